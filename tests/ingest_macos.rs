//! Loads the Elastic Endpoint macOS samples kept beside the repository.
//!
//! The pinned counts and fields were read with Python's `json.JSONDecoder.raw_decode`, one
//! document after another; the malformed file fails there at line 28 column 4.

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

/// Indexes of events from file `name`, in store (time) order.
fn events_of(store: &EventStore, name: &str) -> Vec<usize> {
    let file = store
        .files
        .iter()
        .position(|f| f.path.file_name().is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not in store"));
    (0..store.len())
        .filter(|&i| store.events()[i].origin.file as usize == file)
        .collect()
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
        .map(|&i| store.events()[i].origin.record)
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
    assert_eq!(store.events()[bifrost[0]].origin.record, 12);
    let raw = read_raw_event(&store, bifrost[0]).unwrap();
    assert!(raw.starts_with('{'), "{raw}");
    assert!(raw.contains("\"_id\": \"Umin9nYBimKzADJjJNWD\""), "{raw}");
    assert!(!raw.contains("is_partial"), "{raw}");
}
