//! Loads the hand-written ESXi and vCenter samples in `tests/data/esxi`.

mod common;

use common::events_of;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, Format, LoadReport, Location, read_raw_event};
use glexia::store::{EventStore, Platform, ValueRef};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/esxi")
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
fn esxi_samples() {
    let (store, report) = ingest::load(&[sample_dir()], &|_| {}, &AtomicBool::new(false));

    // File, then records read, events loaded and records skipped.
    let expected: &[(&str, u64, u64, u64)] = &[
        ("auth.log", 3, 2, 1),
        ("hostd.log", 5, 5, 0),
        ("shell.log", 4, 4, 0),
        ("vmkernel.log", 2, 2, 0),
        ("vpxd.log", 2, 2, 0),
    ];
    for (name, read, loaded, skipped) in expected {
        assert_eq!(
            counts(&report, name),
            (Format::Esxi, *read, *loaded, *skipped),
            "{name}"
        );
    }
    assert!(store.events().iter().all(|e| e.platform == Platform::Esxi));

    let hostd = events_of(&store, "hostd.log");
    assert!(hostd.iter().all(|&i| store.log_source(i) == "esxi:hostd"));
    let login = hostd[0];
    assert_eq!(str_field(&store, login, "event.outcome"), Some("success"));
    assert_eq!(str_field(&store, login, "user.name"), Some("root"));
    assert_eq!(str_field(&store, login, "source.ip"), Some("192.0.2.7"));
    assert_eq!(
        str_field(&store, login, "esxi.op_id"),
        Some("esxui-4f2c-1a2b")
    );
    assert_eq!(
        store.field(login, "log.syslog.facility.code"),
        Some(ValueRef::Int(20))
    );
    assert_eq!(
        str_field(&store, hostd[1], "event.outcome"),
        Some("failure")
    );
    assert_eq!(str_field(&store, hostd[1], "user.name"), Some("admin"));
    assert_eq!(str_field(&store, hostd[2], "user.name"), Some("root"));
    let ssh_enabled = hostd[3];
    assert!(
        str_field(&store, ssh_enabled, "message")
            .is_some_and(|m| m.ends_with("objectId = \"ha-host\",")),
    );
    let raw = read_raw_event(&store, ssh_enabled).unwrap();
    assert_eq!(raw.lines().count(), 3, "{raw}");
    assert_eq!(
        str_field(&store, hostd[4], "event.action"),
        Some("user_logout")
    );

    let auth = events_of(&store, "auth.log");
    assert!(auth.iter().all(|&i| store.log_source(i) == "esxi:auth"));
    assert_eq!(
        str_field(&store, auth[0], "event.action"),
        Some("ssh_login")
    );
    assert_eq!(str_field(&store, auth[1], "event.outcome"), Some("failure"));
    assert_eq!(str_field(&store, auth[1], "source.ip"), Some("203.0.113.9"));
    let auth_report = report
        .files
        .iter()
        .find(|f| f.path.ends_with("auth.log"))
        .unwrap();
    assert_eq!(
        auth_report.errors[0].location,
        Location::Line {
            line: 3,
            offset: 210
        }
    );

    let shell = events_of(&store, "shell.log");
    assert!(shell.iter().all(|&i| store.log_source(i) == "esxi:shell"));
    assert!(store.field(shell[0], "process.command_line").is_none());
    assert_eq!(
        str_field(&store, shell[3], "process.command_line"),
        Some("/tmp/encrypt.sh /vmfs/volumes/datastore1")
    );
    assert_eq!(
        str_field(&store, shell[3], "process.name"),
        Some("encrypt.sh")
    );
    assert_eq!(str_field(&store, shell[3], "user.name"), Some("root"));
    assert_eq!(
        store.field(shell[3], "process.parent.pid"),
        Some(ValueRef::Int(2100123))
    );

    let vmkernel = events_of(&store, "vmkernel.log");
    assert!(
        vmkernel
            .iter()
            .all(|&i| store.log_source(i) == "esxi:vmkernel")
    );
    assert_eq!(
        str_field(&store, vmkernel[1], "esxi.world_id"),
        Some("2100200")
    );

    let vpxd = events_of(&store, "vpxd.log");
    assert!(vpxd.iter().all(|&i| store.log_source(i) == "esxi:vpxd"));
    assert_eq!(
        str_field(&store, vpxd[1], "user.name"),
        Some("administrator@vsphere.local")
    );
    assert_eq!(
        str_field(&store, vpxd[1], "source.ip"),
        Some("198.51.100.20")
    );
}
