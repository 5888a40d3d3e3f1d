//! Loads the hand-written `journalctl -o json` sample in `tests/data/linux`.

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
fn journal_json_sample() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linux/journal.json");
    let text = std::fs::read_to_string(&path).unwrap();

    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );

    let file = &report.files[0];
    assert_eq!(file.format, Format::Journald);
    assert_eq!(file.records_read, 5);
    assert_eq!(file.events_loaded, 4);
    assert_eq!(file.records_skipped, 1);
    let last_line = text.trim_end().rfind('\n').unwrap() as u64 + 1;
    assert_eq!(
        file.errors[0].location,
        Location::Line {
            line: 5,
            offset: last_line
        }
    );
    assert!(file.errors[0].message.contains("__REALTIME_TIMESTAMP"));
    assert!((0..store.len()).all(|i| store.log_source(i) == "linux:syslog"));
    assert!(store.events().iter().all(|e| e.platform == Platform::Linux));

    // 1714583472123456 microseconds.
    assert_eq!(store.events()[0].timestamp, 1_714_583_472_123_456_000);
    assert_eq!(str_field(&store, 0, "event.action"), Some("ssh_login"));
    assert_eq!(str_field(&store, 0, "source.ip"), Some("192.0.2.7"));
    assert_eq!(str_field(&store, 0, "user.name"), Some("alice"));
    assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(2211)));
    assert_eq!(str_field(&store, 0, "host.name"), Some("web1"));

    assert_eq!(str_field(&store, 1, "event.action"), Some("sudo"));
    assert_eq!(
        str_field(&store, 1, "process.command_line"),
        Some("/usr/bin/cat /etc/shadow")
    );
    assert_eq!(str_field(&store, 1, "user.effective.name"), Some("root"));

    assert_eq!(
        str_field(&store, 2, "message"),
        Some("usb 1-1: bad name \u{fffd}t\u{fffd}")
    );
    assert_eq!(str_field(&store, 2, "event.dataset"), Some("system.syslog"));

    assert_eq!(str_field(&store, 3, "event.action"), Some("cron_command"));
    assert_eq!(
        str_field(&store, 3, "process.command_line"),
        Some("/tmp/.x/run.sh")
    );

    let raw = read_raw_event(&store, 3).unwrap();
    assert!(raw.contains("\"SYSLOG_IDENTIFIER\": \"CRON\""), "{raw}");
}
