//! The check shared by the ingest targets.

use glexia::ingest::{FileSetting, Format, LoadOptions, Location, Year, parse_bytes};

/// Parses `data` as one file of `format` and checks the report: every event comes from a
/// record that was read, events loaded plus records skipped equals records read, skipped
/// records have errors, and every location lies inside the input.
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
    // One error per skipped record, except that the error for a lost EVTX chunk counts all
    // the records of the chunk.
    if format == Format::Evtx {
        assert!(report.records_skipped == 0 || report.error_count() > 0);
    } else {
        assert!(
            report.records_skipped <= report.error_count(),
            "{} records skipped but only {} errors",
            report.records_skipped,
            report.error_count()
        );
    }
    for error in &report.errors {
        if let Location::Line { offset, .. } = error.location {
            assert!(
                offset <= data.len() as u64,
                "error at byte {offset} of {} bytes: {}",
                data.len(),
                error.message
            );
        }
    }
    for event in &events {
        if let Some(offset) = event.origin().offset {
            assert!(
                offset < data.len() as u64,
                "event at byte {offset} of {} bytes",
                data.len()
            );
        }
    }
}
