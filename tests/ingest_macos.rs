//! Loads the Elastic Endpoint macOS samples kept beside the repository.
//!
//! The pinned counts and fields were read with Python's `json.JSONDecoder.raw_decode`, one
//! document after another; the malformed file fails there at line 28 column 4.

mod common;

use common::events_of;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, Format, LoadReport, Location, read_raw_event};
use glexia::store::{EventStore, Platform, ValueRef};

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/macos");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: sample directory {} not found", dir.display());
        None
    }
}

fn str_field<'a>(store: &'a EventStore, index: usize, name: &str) -> Option<&'a str> {
    match store.field(index, name) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

fn counts(report: &LoadReport, name: &str) -> (Format, u64, u64, u64) {
    let file = report
        .files
        .iter()
        .find(|f| f.path.file_name().is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not in report"));
    (
        file.format,
        file.records_read,
        file.events_loaded,
        file.records_skipped,
    )
}

#[test]
fn elastic_endpoint_macos_files() {
    let Some(dir) = data_dir() else { return };

    let (store, report) = ingest::load(&[dir], &|_| {}, &AtomicBool::new(false));

    // File, then records read, events loaded and records skipped.
    let expected: &[(&str, u64, u64, u64)] = &[
        ("collection_clipboard_osascript_pbpast.json", 2, 2, 0),
        ("credaccess_keychain_dumping_security.json", 1, 1, 0),
        ("evasion_deletion_quarantine_xattr.json", 1, 1, 0),
        (
            "execution_scripting_jxa_osascript_apfell_dwnld.json",
            1,
            1,
            0,
        ),
        (
            "lateral_movement_credaccess_kerberos_bifrost_procexec.json",
            8,
            8,
            0,
        ),
        ("lateral_movement_ssh_from_python_procexec.json", 1, 0, 1),
        ("persistence_crontab_creation.json", 1, 1, 0),
        ("persistence_launchagent_hidden_file.json", 1, 1, 0),
        ("persistence_ssh_authorized_keys_filemod.json", 2, 2, 0),
        ("privesc_evasion_sudoers_modification.json", 1, 1, 0),
    ];
    for (name, read, loaded, skipped) in expected {
        let actual = counts(&report, name);
        assert_eq!(
            actual,
            (Format::ElasticEndpoint, *read, *loaded, *skipped),
            "{name}"
        );
    }
    assert_eq!(store.len(), 18);
    assert!((0..store.len()).all(|i| store.log_source(i) == "macos:endpointsecurity"));
    assert!(store.events().iter().all(|e| e.platform == Platform::MacOs));

    let malformed = report
        .files
        .iter()
        .find(|f| {
            f.path
                .ends_with("lateral_movement_ssh_from_python_procexec.json")
        })
        .unwrap();
    assert_eq!(malformed.errors.len(), 1);
    assert_eq!(
        malformed.errors[0].location,
        Location::Line { line: 1, offset: 0 }
    );
    assert!(
        malformed.errors[0].message.contains("at line 28 column 4"),
        "{}",
        malformed.errors[0].message
    );

    let keychain = events_of(&store, "credaccess_keychain_dumping_security.json")[0];
    assert_eq!(
        str_field(&store, keychain, "process.command_line"),
        Some("security dump-keychain -d")
    );
    assert_eq!(
        store.field(keychain, "process.pid"),
        Some(ValueRef::Int(1221))
    );
    assert_eq!(str_field(&store, keychain, "event.action"), Some("exec"));
    assert_eq!(str_field(&store, keychain, "user.name"), Some("sisi"));

    let clipboard = events_of(&store, "collection_clipboard_osascript_pbpast.json");
    assert_eq!(clipboard.len(), 2);
    let mut lines: Vec<u64> = clipboard
        .iter()
        .map(|&i| store.events()[i].origin().record)
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, vec![1, 118]);

    let launch_agent = events_of(&store, "persistence_launchagent_hidden_file.json")[0];
    assert_eq!(
        str_field(&store, launch_agent, "file.path"),
        Some("/Users/sisi/Library/LaunchAgents/.espl.plist")
    );
    assert_eq!(
        str_field(&store, launch_agent, "event.action"),
        Some("rename")
    );

    let keys = events_of(&store, "persistence_ssh_authorized_keys_filemod.json");
    assert_eq!(str_field(&store, keys[1], "process.name"), Some("cp"));
    assert_eq!(
        str_field(&store, keys[1], "file.path"),
        Some("/Users/sisi/.ssh/authorized_keys")
    );

    let bifrost = events_of(
        &store,
        "lateral_movement_credaccess_kerberos_bifrost_procexec.json",
    );
    assert_eq!(store.events()[bifrost[0]].origin().record, 12);
    let raw = read_raw_event(&store, bifrost[0]).unwrap();
    assert!(raw.starts_with('{'), "{raw}");
    assert!(raw.contains("\"_id\": \"Umin9nYBimKzADJjJNWD\""), "{raw}");
    assert!(!raw.contains("is_partial"), "{raw}");
}

/// The hand-written `log show` samples in `tests/data/macos`.
fn unified_log_sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/macos")
        .join(name)
}

#[test]
fn unified_log_ndjson_sample() {
    let path = unified_log_sample("unifiedlog.ndjson");

    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );

    let file = &report.files[0];
    assert_eq!(file.format, Format::UnifiedLog);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.records_read, 4);
    assert_eq!(file.events_loaded, 4);
    assert_eq!(file.notes.len(), 1);
    assert!((0..store.len()).all(|i| store.log_source(i) == "macos:unifiedlog"));
    assert!(store.events().iter().all(|e| e.platform == Platform::MacOs));

    // Events are in time order, which is file order here.
    assert_eq!(str_field(&store, 0, "process.name"), Some("sudo"));
    assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(4321)));
    assert_eq!(
        str_field(&store, 0, "process.command_line"),
        Some("/usr/bin/security dump-keychain -d")
    );
    assert_eq!(str_field(&store, 0, "user.name"), Some("alice"));
    assert_eq!(str_field(&store, 0, "event.action"), Some("sudo"));

    assert_eq!(str_field(&store, 1, "source.ip"), Some("192.0.2.7"));
    assert_eq!(str_field(&store, 1, "event.outcome"), Some("success"));

    assert_eq!(
        str_field(&store, 2, "event.action"),
        Some("com.apple.TCC/access")
    );
    assert_eq!(
        str_field(&store, 2, "process.executable"),
        Some("/System/Library/PrivateFrameworks/TCC.framework/Support/tccd")
    );
    assert_eq!(str_field(&store, 2, "log.level"), Some("error"));

    assert_eq!(
        str_field(&store, 3, "message"),
        Some("osascript -e get the clipboard")
    );
    assert!(store.field(3, "event.action").is_none());
    assert_eq!(
        store.events()[0].timestamp,
        1_714_583_472_123_456_000,
        "2024-05-01 10:11:12.123456-0700 is 17:11:12.123456 UTC"
    );

    let raw = read_raw_event(&store, 3).unwrap();
    assert!(raw.contains("\"processID\": 4500"), "{raw}");
}

#[test]
fn unified_log_json_sample() {
    let path = unified_log_sample("unifiedlog.json");

    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );

    let file = &report.files[0];
    assert_eq!(file.format, Format::UnifiedLog);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.records_read, 2);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(str_field(&store, 0, "process.name"), Some("launchd"));
    assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(1)));
    assert_eq!(
        str_field(&store, 0, "event.action"),
        Some("com.apple.xpc.launchd/core")
    );
    assert_eq!(
        str_field(&store, 1, "event.action"),
        Some("com.apple.xpc.launchd")
    );
    assert_eq!(
        str_field(&store, 1, "unified_log.eventType"),
        Some("activityCreateEvent")
    );
    assert_eq!(store.events()[1].origin().record, 31);

    let raw = read_raw_event(&store, 1).unwrap();
    assert!(raw.contains("activityCreateEvent"), "{raw}");
    assert!(!raw.contains("Adding client"), "{raw}");
}
