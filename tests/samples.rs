//! The bundled samples: each shipped analytic fires exactly on the attack written into them and
//! not on the benign look-alikes beside it.

use std::path::PathBuf;

use glexia::engine::{self, Finding, ScanResult, Setup};

fn scan_samples() -> (Setup, ScanResult) {
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");
    assert!(setup.problems.is_empty(), "{:?}", setup.problems);
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let result = engine::scan(&setup, &[samples]);
    (setup, result)
}

/// Each chain as `(host, [(file name, record), …])`, for exact comparison.
fn chains(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, u64)>> {
    let store = &result.store;
    let finding: Option<&Finding> = result.findings.iter().find(|f| f.analytic == analytic);
    finding
        .map(|f| {
            f.chains
                .iter()
                .map(|chain| {
                    chain
                        .steps
                        .iter()
                        .map(|step| {
                            let event = &store.events()[step.event];
                            let path = store.file_path(event.origin().file).expect("known file");
                            let name = path.file_name().expect("file name");
                            (name.to_string_lossy().into_owned(), event.origin().record)
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn steps(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(f, r)| ((*f).to_owned(), *r)).collect()
}

#[test]
fn samples_load_without_errors() {
    let (_, result) = scan_samples();
    let totals = &result.report.totals;
    assert_eq!(totals.files, 41);
    assert_eq!(totals.files_loaded, 33);
    assert_eq!(totals.records_read, 648);
    assert_eq!(totals.events_loaded, 648);
    assert_eq!(totals.records_skipped, 0);
    // The skipped files, one error each, are the READMEs that describe each platform's samples.
    assert_eq!(totals.files_skipped, 8);
    assert_eq!(totals.errors, 8);
    let skipped: Vec<&str> = result
        .report
        .files
        .iter()
        .filter(|f| f.error_count() > 0)
        .filter_map(|f| f.path.file_name()?.to_str())
        .collect();
    assert_eq!(skipped, ["README.md"; 8]);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    // The TUI lists the READMEs as files that are not logs, not as problems.
    let summary = engine::load_summary(&result.report);
    assert_eq!(summary.not_logs, 8);
    assert_eq!(summary.problems.len(), 8);
}

#[test]
fn an0750_remote_logon_chains() {
    let (_, result) = scan_samples();
    // Left out by design: the machine account's logon before gpupdate, the interactive logon
    // before notepad++, and the jump-host logon followed only by common processes.
    assert_eq!(
        chains(&result, "AN0750"),
        [
            steps(&[("WS01-Security.jsonl", 2), ("WS01-Sysmon.jsonl", 15)]),
            steps(&[("DC01-Security.jsonl", 7), ("DC01-Security.jsonl", 8)]),
        ]
    );
}

#[test]
fn an0764_run_key_chain() {
    let (_, result) = scan_samples();
    // Left out: OneDriveSetup (started by explorer.exe) writing its Run value, and reg.exe
    // writing a key that is not an autostart.
    assert_eq!(
        chains(&result, "AN0764"),
        [steps(&[
            ("WS01-Sysmon.jsonl", 29),
            ("WS01-Sysmon.jsonl", 30)
        ])]
    );
    let finding = result
        .findings
        .iter()
        .find(|f| f.analytic == "AN0764")
        .expect("AN0764 fired");
    let keys: Vec<(&str, &str)> = finding.chains[0]
        .join_keys
        .iter()
        .map(|k| (k.field.as_str(), k.value.as_str()))
        .collect();
    assert_eq!(
        keys,
        [("host.name", "WS01.corp.example"), ("process.pid", "5512")]
    );
}

#[test]
fn an0767_decode_chain() {
    let (_, result) = scan_samples();
    // Left out: certutil -dump of a certificate, and a decode whose output file appears ten
    // minutes later, past the two-minute TimeWindow.
    assert_eq!(
        chains(&result, "AN0767"),
        [steps(&[
            ("WS01-Sysmon.jsonl", 35),
            ("WS01-Sysmon.jsonl", 36)
        ])]
    );
}

#[test]
fn an0767_wider_window_adds_late_decode() {
    let mut setup = Setup::load(None, &[]).expect("built-in catalog loads");
    let analytic = setup
        .analytics
        .iter_mut()
        .find(|a| a.id == "AN0767")
        .expect("AN0767 ships");
    analytic
        .set_tunable("TimeWindow", "15m")
        .expect("15m is a duration");
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let result = engine::scan(&setup, &[samples]);
    assert_eq!(
        chains(&result, "AN0767"),
        [
            steps(&[("WS01-Sysmon.jsonl", 35), ("WS01-Sysmon.jsonl", 36)]),
            steps(&[("WS01-Sysmon.jsonl", 39), ("WS01-Sysmon.jsonl", 40)]),
        ]
    );
}
