//! The whole pipeline on public attack recordings written outside this project.
//!
//! The files live beside the repository, in `../shared/data`; a fresh clone has no such folder,
//! and then every test here says so and passes without checking anything. Each pinned value was
//! read from the records themselves with an independent EVTX parser (python-evtx).

use std::path::{Path, PathBuf};

use glexia::engine::{self, ScanResult, Setup};
use glexia::eql::{self, Query, QueryBody};

fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: {} not found", path.display());
        None
    }
}

fn scan(paths: &[PathBuf]) -> (Setup, ScanResult) {
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");
    let result = engine::scan(&setup, paths);
    (setup, result)
}

/// Records of each chain of `analytic`, as EVTX record numbers.
fn chain_records(result: &ScanResult, analytic: &str) -> Vec<Vec<u64>> {
    result
        .findings
        .iter()
        .filter(|f| f.analytic == analytic)
        .flat_map(|f| &f.chains)
        .map(|c| {
            c.steps
                .iter()
                .map(|s| result.store.events()[s.event].origin().record)
                .collect()
        })
        .collect()
}

/// Runs step `step` of an analytic's sequence as a query of its own, returning the records it
/// matches, so a test can show which half of a chain the data contains.
fn step_records(setup: &Setup, result: &ScanResult, analytic: &str, step: usize) -> Vec<u64> {
    let analytic = setup.analytic(analytic).expect("analytic ships");
    let QueryBody::Sequence(sequence) = &analytic.query.body else {
        panic!("{} is not a sequence", analytic.id);
    };
    let query = Query {
        body: QueryBody::Event(sequence.steps[step].query.clone()),
        pipes: Vec::new(),
    };
    let store = &result.store;
    let selected = engine::select_events(store, analytic);
    let columns =
        engine::StatisticColumns::compute(store, &analytic.statistics, &selected, &setup.options)
            .expect("statistics compute");
    let documents: Vec<_> = selected
        .iter()
        .enumerate()
        .map(|(position, &i)| {
            engine::StoreDocument::new(store, i).with_statistics(&columns, position)
        })
        .collect();
    eql::execute(&query, &documents, &setup.options)
        .expect("step runs")
        .iter()
        .map(|m| store.events()[selected[m.events[0]]].origin().record)
        .collect()
}

#[test]
fn wmi_lateral_movement_chains_logon_to_wmiprvse() {
    let Some(file) = shared("evtx/sbousseaden_LM_WMI_4624_4688_TargetHost.evtx") else {
        return;
    };
    let (_, result) = scan(&[file]);
    assert_eq!(result.report.totals.events_loaded, 8);
    // Records 2-4 are three network logons of Administrator from 10.0.2.17; a newer pending
    // logon replaces the older one, so the chain starts at record 4. Record 5 is WmiPrvSE.exe
    // starting 31 ms later. calc.exe (record 6) follows the completed chain and starts no other.
    assert_eq!(chain_records(&result, "AN0750"), [vec![4, 5]]);
    let finding = &result.findings[0];
    let chain = &finding.chains[0];
    assert_eq!(chain.join_keys.len(), 1);
    assert_eq!(chain.join_keys[0].field, "host.name");
    assert_eq!(chain.join_keys[0].value, "WIN-77LTAPHIQ1R.example.corp");
    let logon = chain.steps[0].event;
    assert_eq!(
        result
            .store
            .field(logon, "user.name")
            .map(|v| v.to_string()),
        Some("Administrator".to_owned())
    );
    assert_eq!(
        result
            .store
            .field(logon, "source.ip")
            .map(|v| v.to_string()),
        Some("10.0.2.17".to_owned())
    );
    assert_eq!(result.findings.len(), 1, "only AN0750 fires on this file");
}

#[test]
fn hidden_run_value_without_process_creation_has_no_chain() {
    let Some(file) = shared("evtx/sbousseaden_evasion_persis_hidden_run_keyvalue_sysmon_13.evtx")
    else {
        return;
    };
    let (setup, result) = scan(&[file]);
    assert_eq!(result.report.totals.events_loaded, 1);
    // The one record is the Run-key write (Sysmon 13 by a.exe), which the registry step
    // matches; the recording contains no process creation to pair it with, so AN0764 stays quiet.
    assert_eq!(step_records(&setup, &result, "AN0764", 1), [1]);
    assert!(step_records(&setup, &result, "AN0764", 0).is_empty());
    assert!(chain_records(&result, "AN0764").is_empty());
    assert!(result.findings.is_empty());
}

#[test]
fn certutil_decode_without_file_event_has_no_chain() {
    let Some(file) = shared("sigma-regression/proc_creation_win_certutil_decode.evtx") else {
        return;
    };
    let (setup, result) = scan(&[file]);
    assert_eq!(result.report.totals.events_loaded, 1);
    // `certutil -decode file.base64 file-decoded.ext` (Sysmon 1) matches the decoding step; the
    // recording stops before Sysmon logs the decoded file, so no chain completes.
    assert_eq!(step_records(&setup, &result, "AN0767", 0), [1]);
    assert!(chain_records(&result, "AN0767").is_empty());
}

#[test]
fn whole_evtx_folder_loads_every_record() {
    let Some(dir) = shared("evtx") else {
        return;
    };
    let (_, result) = scan(&[dir]);
    let totals = &result.report.totals;
    assert_eq!(totals.files, 19);
    assert_eq!(totals.files_loaded, 19);
    // 1,408 records in all, counted file by file with python-evtx; the WMI-Activity file contains
    // ten more (records 892-901) in a 13th chunk that its header's chunk count leaves out.
    assert_eq!(totals.records_read, 1408);
    assert_eq!(totals.events_loaded, 1408);
    assert_eq!(totals.records_skipped, 0);
    // Across all nineteen recordings only the WMI lateral movement, the GPO edit, the encoded
    // PowerShell service, the password spray and the RDP session hijack complete a chain.
    let fired: Vec<(&str, usize)> = result
        .findings
        .iter()
        .map(|f| (f.analytic.as_str(), f.chains.len()))
        .collect();
    assert_eq!(
        fired,
        [
            ("AN0750", 1),
            ("AN0755", 1),
            ("AN1252", 1),
            ("AN1336", 1),
            ("AN1620", 1)
        ]
    );
}

#[test]
fn raw_evtx_record_is_indented_xml() {
    let Some(file) = shared("evtx/sbousseaden_LM_WMI_4624_4688_TargetHost.evtx") else {
        return;
    };
    let (_, result) = scan(&[file]);
    let raw = glexia::ingest::read_raw_event(&result.store, 0).expect("raw record reads back");
    let lines: Vec<&str> = raw.lines().collect();
    assert!(lines.len() > 20, "one line per element: {raw}");
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("<EventID>")),
        "{raw}"
    );
}

/// Copies the first `length` bytes of a recording into `dir`, as a file cut short in transit.
fn truncated_copy(source: &Path, dir: &Path, length: usize) -> PathBuf {
    let bytes = std::fs::read(source).expect("recording reads");
    let path = dir.join(format!("cut-{length}.evtx"));
    std::fs::write(&path, &bytes[..length.min(bytes.len())]).expect("copy written");
    path
}

#[test]
fn truncated_evtx_reports_lost_records() {
    let Some(source) = shared("evtx/sbousseaden_DE_RDP_Tunneling_4624.evtx") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    // The 18 records live in the file's one chunk, at byte 4096; a cut anywhere inside it
    // loses all of them, since the evtx crate reads whole chunks only.
    for length in [4200, 30_000, 69_631] {
        let path = truncated_copy(&source, dir.path(), length);
        let (_, result) = scan(&[path]);
        let file = &result.report.files[0];
        assert_eq!(file.events_loaded, 0, "cut at {length}");
        assert_eq!(file.records_skipped, 18, "cut at {length}");
        assert_eq!(file.records_read, 18, "cut at {length}");
        let message = &file.errors[0].message;
        assert!(message.contains("18 records"), "{message}");
        assert!(message.contains("into chunk 0"), "{message}");
    }
    // Cut right after the file header: no chunk is left at all.
    let path = truncated_copy(&source, dir.path(), 4096);
    let (_, result) = scan(&[path]);
    let file = &result.report.files[0];
    assert_eq!(file.events_loaded, 0);
    assert!(file.error_count() > 0, "{file:?}");
}

#[test]
fn truncated_evtx_keeps_whole_chunks() {
    let Some(source) = shared("evtx/deepblue_password-spray.evtx") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    // Chunks 0 and 1 (records 1-210) survive whole; chunk 2 is cut after 64,832 of its
    // 65,536 bytes, losing its 85 records (211-295) as its header records.
    let path = truncated_copy(&source, dir.path(), 200_000);
    let (_, result) = scan(&[path]);
    let file = &result.report.files[0];
    assert_eq!(file.events_loaded, 210);
    assert_eq!(file.records_skipped, 85);
    assert_eq!(file.records_read, file.events_loaded + file.records_skipped);
}

#[test]
fn gzipped_line_logs_load_and_read_back() {
    use std::io::Write;
    let Some(source) = shared("linux/go-libaudit_audit-rhel7.log") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("audit.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).expect("create"),
        flate2::Compression::default(),
    );
    encoder
        .write_all(&std::fs::read(&source).expect("read"))
        .expect("compress");
    encoder.finish().expect("finish");
    let (_, plain) = scan(&[source]);
    let (_, gzipped) = scan(&[path]);
    assert_eq!(gzipped.report.files[0].format.name(), "auditd");
    assert_eq!(
        gzipped.report.totals.events_loaded,
        plain.report.totals.events_loaded
    );
    let raw = glexia::ingest::read_raw_event(&gzipped.store, 0).expect("raw record reads back");
    let expected = glexia::ingest::read_raw_event(&plain.store, 0).expect("plain reads back");
    assert_eq!(raw, expected);
}
