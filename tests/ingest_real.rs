//! Loads the real EVTX and evtx_dump JSON samples kept beside the repository.
//!
//! The pinned record counts and event ids were checked independently with python-evtx 0.8.1,
//! counting `<EventID>` in each record's XML, not with this loader. python-evtx stops at the
//! chunk count in the file header, so for the file whose header lags its chunks the counts
//! were taken by reading every chunk that starts with the `ElfChnk` magic.

mod common;

use common::{data_dir, events_of, file_report, load};

use glexia::ingest::{self, FileReport, FileStatus, Format};
use glexia::store::{EventStore, ValueRef};

fn count_code(store: &EventStore, events: &[usize], code: &str) -> usize {
    events
        .iter()
        .filter(|&&i| store.field(i, "event.code") == Some(ValueRef::Str(code)))
        .count()
}

fn text<'a>(store: &'a EventStore, index: usize, field: &str) -> Option<ValueRef<'a>> {
    store.field(index, field)
}

#[test]
fn evtx_samples_load_without_errors() {
    let Some(dir) = data_dir("evtx") else { return };

    let (store, report) = load(&[dir]);

    for file in &report.files {
        println!(
            "{} {:?} read={} loaded={} skipped={} errors={}",
            file.path.file_name().unwrap().to_string_lossy(),
            file.status,
            file.records_read,
            file.events_loaded,
            file.records_skipped,
            file.error_count()
        );
        assert_eq!(file.format, Format::Evtx, "{}", file.path.display());
        assert_eq!(file.status, FileStatus::Loaded, "{}", file.path.display());
        assert!(
            file.errors.is_empty(),
            "{}: {:?}",
            file.path.display(),
            file.errors
        );
        assert_eq!(file.records_read, file.events_loaded);
    }
    assert_eq!(report.totals.files, 19);
    assert_eq!(report.totals.records_read, 1408);
    assert_eq!(report.totals.errors, 0);
    assert_eq!(store.len(), 1408);
    let times: Vec<i64> = store.events().iter().map(|e| e.timestamp).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "store is not time-sorted"
    );
}

#[test]
fn password_spray_counts() {
    let Some(dir) = data_dir("evtx") else { return };
    let name = "deepblue_password-spray.evtx";

    let (store, report) = load(&[dir.join(name)]);

    let file = file_report(&report, name);
    assert_eq!(file.records_read, 295);
    assert_eq!(file.events_loaded, 295);
    let events = events_of(&store, name);
    assert_eq!(count_code(&store, &events, "4648"), 294);
    assert_eq!(count_code(&store, &events, "1102"), 1);
    let cleared = events
        .iter()
        .copied()
        .find(|&i| text(&store, i, "event.code") == Some(ValueRef::Str("1102")))
        .unwrap();
    assert_eq!(
        text(&store, cleared, "event.action"),
        Some(ValueRef::Str("audit-log-cleared"))
    );
    assert_eq!(store.log_source(cleared), "WinEventLog:Security");
}

/// The header of this file is marked dirty and counts 12 chunks, but 13 hold records: the last
/// one, records 892 to 901, includes one more 5861 consumer registration.
#[test]
fn dirty_header_file_loads_every_chunk() {
    let Some(dir) = data_dir("evtx") else { return };
    let name = "deepblue_wmi-event-filter-persistance.evtx";

    let (store, report) = load(&[dir.join(name)]);

    let file = file_report(&report, name);
    assert_eq!(file.records_read, 901);
    assert_eq!(file.events_loaded, 901);
    let events = events_of(&store, name);
    let expected = [
        ("5857", 119),
        ("5858", 741),
        ("5859", 11),
        ("5860", 18),
        ("5861", 12),
    ];
    for (code, count) in expected {
        assert_eq!(count_code(&store, &events, code), count, "event {code}");
    }
    let last = events
        .iter()
        .map(|&i| store.events()[i].origin().record)
        .max();
    assert_eq!(last, Some(901));
    assert!(
        events
            .iter()
            .all(|&i| store.log_source(i) == "WinEventLog:WMI")
    );
}

#[test]
fn wmi_lateral_movement_fields() {
    let Some(dir) = data_dir("evtx") else { return };
    let name = "sbousseaden_LM_WMI_4624_4688_TargetHost.evtx";

    let (store, report) = load(&[dir.join(name)]);

    assert_eq!(file_report(&report, name).events_loaded, 8);
    let events = events_of(&store, name);
    assert_eq!(count_code(&store, &events, "4624"), 6);
    assert_eq!(count_code(&store, &events, "4688"), 2);
    let logons: Vec<usize> = events
        .iter()
        .copied()
        .filter(|&i| text(&store, i, "event.code") == Some(ValueRef::Str("4624")))
        .collect();
    assert!(
        logons
            .iter()
            .any(|&i| text(&store, i, "source.ip") == Some(ValueRef::Str("10.0.2.17")))
    );
    assert!(
        logons
            .iter()
            .any(|&i| text(&store, i, "winlog.logon.type") == Some(ValueRef::Str("Network")))
    );
    let processes: Vec<String> = events
        .iter()
        .filter_map(|&i| match text(&store, i, "process.name") {
            Some(ValueRef::Str(name))
                if text(&store, i, "event.code") == Some(ValueRef::Str("4688")) =>
            {
                Some(name.to_owned())
            }
            _ => None,
        })
        .collect();
    println!("4688 process names: {processes:?}");
    assert!(
        processes
            .iter()
            .any(|p| p.eq_ignore_ascii_case("WmiPrvSE.exe"))
    );
    assert!(processes.iter().any(|p| p.eq_ignore_ascii_case("calc.exe")));
}

#[test]
fn hidden_run_key_value_fields() {
    let Some(dir) = data_dir("evtx") else { return };
    let name = "sbousseaden_evasion_persis_hidden_run_keyvalue_sysmon_13.evtx";

    let (store, report) = load(&[dir.join(name)]);

    assert_eq!(file_report(&report, name).events_loaded, 1);
    assert_eq!(store.log_source(0), "WinEventLog:Sysmon");
    assert_eq!(text(&store, 0, "event.code"), Some(ValueRef::Str("13")));
    // An exported log renumbers record headers from 1 but keeps the original EventRecordID.
    assert_eq!(
        text(&store, 0, "winlog.record_id"),
        Some(ValueRef::Int(306346))
    );
    assert_eq!(store.events()[0].origin().record, 1);
    assert_eq!(
        text(&store, 0, "registry.hive"),
        Some(ValueRef::Str("HKLM"))
    );
    let Some(ValueRef::Str(path)) = text(&store, 0, "registry.path") else {
        panic!("registry.path missing");
    };
    println!("registry.path = {path:?}");
    assert!(path.contains("\\CurrentVersion\\Run"), "{path}");
    let Some(ValueRef::List(data)) = text(&store, 0, "registry.data.strings") else {
        panic!("registry.data.strings missing");
    };
    assert!(
        data[0]
            .to_string()
            .to_ascii_lowercase()
            .contains("taskhost.exe"),
        "{data:?}"
    );
}

#[test]
fn chainsaw_security_sample_counts() {
    let Some(dir) = data_dir("evtx") else { return };
    let name = "chainsaw_security_sample.evtx";

    let (store, report) = load(&[dir.join(name)]);

    assert_eq!(file_report(&report, name).events_loaded, 10);
    let events = events_of(&store, name);
    for (code, expected) in [
        ("4624", 2),
        ("4672", 2),
        ("5058", 2),
        ("5059", 2),
        ("5061", 2),
    ] {
        assert_eq!(count_code(&store, &events, code), expected, "event {code}");
    }
    let logon = events
        .iter()
        .copied()
        .find(|&i| text(&store, i, "event.code") == Some(ValueRef::Str("4624")))
        .unwrap();
    assert_eq!(
        text(&store, logon, "event.action"),
        Some(ValueRef::Str("logged-in"))
    );
    assert_eq!(
        text(&store, logon, "event.category"),
        Some(ValueRef::List(vec![ValueRef::Str("authentication")]))
    );
}

#[test]
fn sigma_regression_json_loads() {
    let Some(dir) = data_dir("sigma-regression") else {
        return;
    };

    let (store, report) = load(&[dir]);

    let json: Vec<&FileReport> = report
        .files
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(json.len(), 4);
    for file in &json {
        assert_eq!(file.format, Format::EvtxJson, "{}", file.path.display());
        assert_eq!(
            file.events_loaded,
            1,
            "{}: {:?}",
            file.path.display(),
            file.errors
        );
    }
    // The YAML files beside them are reported as skipped, not as failures.
    let skipped = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Skipped)
        .count();
    assert_eq!(skipped, 8);
    let certutil = events_of(&store, "proc_creation_win_certutil_decode.json")[0];
    assert_eq!(
        text(&store, certutil, "process.command_line"),
        Some(ValueRef::Str(
            "certutil  -decode file.base64 file-decoded.ext"
        ))
    );
    assert_eq!(
        text(&store, certutil, "process.pid"),
        Some(ValueRef::Int(5112))
    );
    assert_eq!(
        text(&store, certutil, "winlog.record_id"),
        Some(ValueRef::Int(11418519))
    );
}

#[test]
fn evtx_and_json_map_alike() {
    let Some(dir) = data_dir("sigma-regression") else {
        return;
    };
    let stem = "proc_creation_win_certutil_decode";

    let (store, _) = load(&[
        dir.join(format!("{stem}.evtx")),
        dir.join(format!("{stem}.json")),
    ]);

    assert_eq!(store.len(), 2);
    let evtx = events_of(&store, &format!("{stem}.evtx"))[0];
    let json = events_of(&store, &format!("{stem}.json"))[0];
    let names = |i: usize| -> Vec<&str> {
        let mut names: Vec<&str> = store
            .fields(&store.events()[i])
            .map(|(name, _)| store.strings.resolve(name))
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(evtx), names(json));
    // EVTX keeps 100 ns ticks; this JSON file was written with microseconds.
    let delta = store.events()[evtx].timestamp - store.events()[json].timestamp;
    assert!(
        (0..1000).contains(&delta),
        "timestamps differ by {delta} ns"
    );
    // GUIDs and trailing spaces differ between the two files themselves (the JSON was written
    // by another tool), so only fields whose text is the same in both sources are compared.
    for field in [
        "event.code",
        "event.action",
        "host.name",
        "process.pid",
        "process.name",
        "process.command_line",
        "process.parent.name",
        "user.name",
        "winlog.record_id",
    ] {
        assert_eq!(
            store.field(evtx, field),
            store.field(json, field),
            "{field}"
        );
    }
}

#[test]
fn read_raw_returns_record_text() {
    let Some(dir) = data_dir("sigma-regression") else {
        return;
    };
    let stem = "proc_creation_win_certutil_decode";

    let (store, _) = load(&[
        dir.join(format!("{stem}.evtx")),
        dir.join(format!("{stem}.json")),
    ]);

    for event in store.events() {
        let file = &store.files[event.origin().file as usize];
        let format = match file.format {
            "evtx" => Format::Evtx,
            _ => Format::EvtxJson,
        };
        let raw = ingest::read_raw(&file.path, format, &event.origin()).unwrap();
        assert!(raw.contains("certutil  -decode"), "{}: {raw}", file.format);
        if format == Format::Evtx {
            assert!(raw.contains("<EventRecordID>"), "{raw}");
        }
    }
}
