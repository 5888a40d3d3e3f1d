//! The check shared by the ingest targets.

use glexia::ingest::{FileSetting, Format, LoadOptions, Year, parse_bytes};

/// Parses `data` as one file of `format` and checks the report's counts: every event comes
/// from a record that was read, so events loaded plus records skipped equals records read.
pub fn parse_and_check(format: Format, data: &[u8]) {
    // A fixed year keeps syslog and Cisco runs independent of the current date.
    let options = LoadOptions {
        years: vec![FileSetting::all(Year(2024))],
        ..LoadOptions::default()
    };
    let (report, events) = parse_bytes(format, data, &options);
    assert!(
        events.len() as u64 <= report.records_read,
        "{} events from {} records read",
        events.len(),
        report.records_read
    );
    assert_eq!(
        report.events_loaded + report.records_skipped,
        report.records_read
    );
}
