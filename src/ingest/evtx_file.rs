//! Binary EVTX files, read with the `evtx` crate.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};

use super::json_tree::JsonNode;
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::windows::{ClampedTimeCounter, map_tree, note_clamped_times};
use crate::store::{FileId, Origin};

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
    events: &mut dyn EventSink,
) -> bool {
    match super::input::is_gzip_file(path) {
        Ok(true) => return parse_gzip(path, file, cancel, report, events),
        Ok(false) => {}
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            return true;
        }
    }
    let parser = match EvtxParser::from_path(path) {
        Ok(parser) => parser,
        Err(err) => {
            report.push_error(Location::File, error_chain(&err));
            return true;
        }
    };
    if !parse_records(parser, file, cancel, report, events) {
        return false;
    }
    if let Ok(bytes) = std::fs::read(path) {
        check_truncation(&bytes, report);
        check_chunk_checksums(&bytes, report);
    }
    true
}

/// Parses a gzip-compressed EVTX file, decompressed into memory because the `evtx` crate needs
/// to seek. The decompressed size is bounded by [`super::input::MAX_DECOMPRESSED_LEN`].
fn parse_gzip(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let bytes = match super::input::read_all(path, report) {
        Ok(bytes) => bytes,
        Err(err) => {
            report.push_error(Location::File, format!("cannot decompress gzip: {err}"));
            return true;
        }
    };
    report.notes.push(format!(
        "decompressed from gzip in memory: {} bytes of EVTX",
        bytes.len()
    ));
    parse_bytes(&bytes, file, cancel, report, events)
}

/// Parses an EVTX file held in memory, like [`parse`] does for a file on disk.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let parser = match EvtxParser::from_read_seek(std::io::Cursor::new(bytes)) {
        Ok(parser) => parser,
        Err(err) => {
            report.push_error(Location::File, error_chain(&err));
            return true;
        }
    };
    if !parse_records(parser, file, cancel, report, events) {
        return false;
    }
    check_truncation(bytes, report);
    check_chunk_checksums(bytes, report);
    true
}

fn parse_records<T: std::io::Read + std::io::Seek>(
    parser: EvtxParser<T>,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut events = ClampedTimeCounter::new(events);
    let mut parser = parser.with_configuration(settings());

    // The crate renders each record as JSON text. Reading it into a tree that borrows its
    // strings from that text allocates far less than the crate's own `Value` output.
    for result in parser.records_json() {
        if report.records_read.is_multiple_of(CANCEL_CHECK_INTERVAL)
            && cancel.load(Ordering::Relaxed)
        {
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
                let mapped = match serde_json::from_str::<JsonNode<'_>>(&record.data) {
                    Ok(tree) => map_tree(&tree, origin).map_err(|err| err.to_string()),
                    Err(err) => Err(format!("the evtx crate rendered invalid JSON: {err}")),
                };
                match mapped {
                    Ok(event) => events.push(event),
                    Err(err) => report.push_error(
                        Location::EvtxRecord {
                            record_id: record.event_record_id,
                        },
                        err,
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
    note_clamped_times(&events, report);
    true
}

/// Size of the EVTX file header block.
pub(crate) const HEADER_SIZE: u64 = 4096;
/// Size of one EVTX chunk.
pub(crate) const CHUNK_SIZE: u64 = 65_536;

/// Reports records lost to a file cut short, which the `evtx` crate passes over in silence: it
/// reads only whole chunks, so a partial last chunk, or chunks the header declares but the file
/// no longer holds, vanish without an error.
///
/// The records of a partial chunk are counted from its header (first and last record number)
/// when that header survived, and added to the records read, so read = loaded + skipped still
/// holds.
fn check_truncation(bytes: &[u8], report: &mut FileReport) {
    let length = bytes.len() as u64;
    if length < HEADER_SIZE {
        return;
    }
    let complete = (length - HEADER_SIZE) / CHUNK_SIZE;
    let tail = (length - HEADER_SIZE) % CHUNK_SIZE;
    if tail > 0 {
        let offset = length - tail;
        let chunk = bytes
            .get(usize::try_from(offset).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        let lost = chunk_record_count(chunk);
        let count = lost.map_or_else(
            || "an unknown number of records".to_owned(),
            |n| format!("{n} records"),
        );
        report.push_error(
            Location::EvtxChunkOffset {
                chunk: Some(complete),
                offset,
            },
            format!(
                "file ends {tail} bytes into chunk {complete} (of {CHUNK_SIZE}); {count} of \
                 that chunk could not be read"
            ),
        );
        report.records_read += lost.unwrap_or(0);
    }
    let declared = u64::from(read_u16(bytes, 42).unwrap_or(0));
    let present = complete + u64::from(tail > 0);
    if declared > present {
        report.push_error(
            Location::File,
            format!(
                "the file header declares {declared} chunks but the file holds {present}; \
                 records of the missing chunks are lost"
            ),
        );
    }
}

/// Notes the chunks whose stored CRC32 does not match their content.
///
/// The parser runs with checksum validation off, because a responder wants every record that
/// still parses, even from a damaged or edited chunk. A mismatch can mean either, so it is
/// stated in the file's notes rather than hidden.
fn check_chunk_checksums(bytes: &[u8], report: &mut FileReport) {
    let chunks = bytes.get(HEADER_SIZE as usize..).unwrap_or_default();
    let mismatched: Vec<String> = chunks
        .chunks_exact(CHUNK_SIZE as usize)
        .enumerate()
        .filter(|(_, chunk)| chunk.starts_with(b"ElfChnk\0"))
        .filter(|(_, chunk)| {
            EvtxChunkData::new(chunk.to_vec(), false).is_ok_and(|data| !data.validate_checksum())
        })
        .map(|(number, _)| number.to_string())
        .collect();
    if !mismatched.is_empty() {
        report.notes.push(format!(
            "the stored checksum does not match the content of chunk {}; its records were \
             loaded, but the chunk may be damaged or altered",
            mismatched.join(", ")
        ));
    }
}

/// Number of records a chunk header says the chunk holds, if the header is intact.
fn chunk_record_count(chunk: &[u8]) -> Option<u64> {
    if !chunk.starts_with(b"ElfChnk\0") {
        return None;
    }
    let first = read_u64(chunk, 8)?;
    let last = read_u64(chunk, 16)?;
    let count = last.checked_sub(first)?.checked_add(1)?;
    // A chunk of 64 KiB cannot hold more records than this; a larger count is a damaged header.
    (count <= CHUNK_SIZE / 24).then_some(count)
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let slice = bytes.get(at..at + 8)?;
    Some(u64::from_le_bytes(slice.try_into().ok()?))
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let slice = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes(slice.try_into().ok()?))
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
