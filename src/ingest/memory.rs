//! Parsing one file's content from memory, without the directory walk or the thread pool.
//!
//! Fuzz targets and tests use this to feed a parser bytes they build in place. Unlike
//! [`super::load`], it does not catch panics, so a fuzzer reports a parser's panic as a crash.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::report::{FileReport, FileStatus};
use super::{Format, LoadOptions, auditd, evtx_file, evtx_json, syslog};
use crate::store::EventBuilder;

/// The path written into reports of content parsed from memory.
pub const MEMORY_PATH: &str = "<memory>";

/// Parses `bytes` as the whole content of one file of `format` and returns the file's report
/// and the events in file order.
///
/// `records_read`, `events_loaded` and `records_skipped` are filled in as [`super::load`]
/// fills them. A format no parser reads returns a `Skipped` report and no events. Syslog
/// timestamps without a year take it from `options` or else from the current date, because
/// content in memory has no modification time.
pub fn parse_bytes(
    format: Format,
    bytes: &[u8],
    options: &LoadOptions,
) -> (FileReport, Vec<EventBuilder>) {
    let mut report = FileReport::new(PathBuf::from(MEMORY_PATH), format, FileStatus::Loaded);
    let mut events = Vec::new();
    let cancel = AtomicBool::new(false);
    let file = 0;
    match format {
        Format::Evtx => {
            evtx_file::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::EvtxJson => {
            evtx_json::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Auditd => {
            auditd::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Syslog => {
            syslog::parse_bytes(
                bytes,
                file,
                options,
                None,
                &cancel,
                &mut report,
                &mut events,
            );
        }
        Format::Json | Format::Unknown => report.status = FileStatus::Skipped,
    }
    report.events_loaded = events.len() as u64;
    report.records_skipped = report.records_read.saturating_sub(report.events_loaded);
    (report, events)
}
