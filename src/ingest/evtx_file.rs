//! Binary EVTX files, read with the `evtx` crate.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};

use super::report::{FileReport, Location};
use super::windows::map_event;
use crate::store::{EventBuilder, FileId, Origin};

/// How many records are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 256;

/// Parser settings shared by loading and [`super::read_raw`].
///
/// The parser runs on one thread per file because the loader already parses files in parallel
/// on the rayon pool. The crate's own chunk pipeline blocks a pool thread while it waits for
/// chunks it queued on the same pool, so it can stall when every pool thread is waiting.
pub(crate) fn settings() -> ParserSettings {
    ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(false)
        .indent(false)
}

/// Parses every record of the EVTX file at `path` into events, counting and locating failures
/// in `report`. Returns `false` when `cancel` stopped it early.
///
/// The `evtx` crate skips all-zero (preallocated, never used) chunks and reads chunks past the
/// count in the file header, so files whose header is dirty or stale still load in full.
pub(crate) fn parse(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut Vec<EventBuilder>,
) -> bool {
    let parser = match EvtxParser::from_path(path) {
        Ok(parser) => parser,
        Err(err) => {
            report.push_error(Location::File, error_chain(&err));
            return true;
        }
    };
    let mut parser = parser.with_configuration(settings());

    for result in parser.records_json_value() {
        if report.records_read % CANCEL_CHECK_INTERVAL == 0 && cancel.load(Ordering::Relaxed) {
            return false;
        }
        match result {
            Ok(record) => {
                report.records_read += 1;
                let origin = Origin {
                    file,
                    record: record.event_record_id,
                    offset: None,
                };
                match map_event(&record.data, origin) {
                    Ok(event) => events.push(event),
                    Err(err) => report.push_error(
                        Location::EvtxRecord {
                            record_id: record.event_record_id,
                        },
                        err.to_string(),
                    ),
                }
            }
            Err(err) => {
                let location = error_location(&err);
                // A chunk-level error loses an unknown number of records, so only errors that
                // name one record count towards `records_read`.
                if !matches!(location, Location::EvtxChunk { .. } | Location::File) {
                    report.records_read += 1;
                }
                report.push_error(location, error_chain(&err));
            }
        }
    }
    true
}

fn error_location(err: &EvtxError) -> Location {
    match err {
        EvtxError::FailedToParseChunk { chunk_id, .. } => Location::EvtxChunk { chunk: *chunk_id },
        EvtxError::FailedToParseRecord { record_id, .. } => Location::EvtxRecord {
            record_id: *record_id,
        },
        EvtxError::FailedToReadRecordAt { chunk, offset, .. } => Location::EvtxChunkOffset {
            chunk: *chunk,
            offset: *offset,
        },
        _ => Location::File,
    }
}

/// Joins the error and its sources with `: `, because the crate's top-level messages alone
/// ("Failed to parse record number 5") leave out the cause.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
