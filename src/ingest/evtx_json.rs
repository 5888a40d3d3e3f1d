//! EVTX records rendered as JSON by `evtx_dump` (or any tool that keeps its `Event` shape).
//!
//! One scanner reads every layout `evtx_dump` writes: one document per line (`-o jsonl`),
//! pretty documents one after another (`-o json`), the same with a `Record <id>` line before
//! each, and a JSON array of documents.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

#[cfg(test)]
use serde_json::Value;

use super::detect::strip_bom;
use super::json_skim::{Skimmer, is_depth_error};
use super::json_tree::JsonNode;
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::windows::{ClampedTimeCounter, map_tree, note_clamped_times};
use crate::store::{FileId, Origin};

/// How many records are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 256;

/// Maximum size of one JSON document, in bytes, the same bound as a line of the text formats.
/// A larger document is reported as a skipped record rather than parsed.
///
/// NOTE: one EVTX record lives in a 64 KiB chunk, so its JSON rendering is far smaller than
/// this in the samples seen so far, but the bound is an estimate, not a limit of the format.
pub(crate) const MAX_DOCUMENT_BYTES: usize = super::lines::MAX_LINE_BYTES;

// Nesting is bounded by serde_json, which rejects documents nested deeper than 128 arrays and
// objects with "recursion limit exceeded", so a deep document is a skipped record too.

/// Parses the file at `path`; see [`parse_bytes`].
///
/// NOTE: the whole file is read into memory first, so peak memory grows with the largest
/// JSON file being parsed at once (one per rayon thread).
pub(crate) fn parse(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    match super::input::read_all(path, report) {
        Ok(bytes) => parse_bytes(&bytes, file, cancel, report, events),
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            true
        }
    }
}

/// Parses every document in `bytes` into events, counting and locating failures in `report`.
/// Returns `false` when `cancel` stopped it early.
///
/// Each event's origin is the 1-based line and the byte offset where its document starts. A
/// document that is not valid JSON is reported and the scan resumes at the next line that
/// starts with `{` or `Record `, so one bad line or block never hides the records after it.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut events = ClampedTimeCounter::new(events);
    let mut lines = LineCounter::default();
    let mut skimmer = Skimmer::new(bytes);
    let mut pos = bytes.len() - strip_bom(bytes).len();
    pos = skip_whitespace(bytes, pos);
    let in_array = bytes.get(pos) == Some(&b'[');
    if in_array {
        pos += 1;
    }

    loop {
        pos = skip_separators(bytes, pos, in_array);
        if pos >= bytes.len() {
            break;
        }
        if in_array && bytes.get(pos) == Some(&b']') {
            let end = skip_whitespace(bytes, pos + 1);
            if end < bytes.len() {
                let line = lines.line_at(bytes, end);
                report.push_error(
                    Location::Line {
                        line,
                        offset: end as u64,
                    },
                    "unexpected text after the closing `]` of the array; ignored",
                );
            }
            break;
        }
        if bytes
            .get(pos..)
            .is_some_and(|rest| rest.starts_with(b"Record "))
        {
            pos = next_line(bytes, pos);
            continue;
        }
        if report.records_read.is_multiple_of(CANCEL_CHECK_INTERVAL)
            && cancel.load(Ordering::Relaxed)
        {
            return false;
        }

        let start = pos;
        let line = lines.line_at(bytes, start);
        let location = Location::Line {
            line,
            offset: start as u64,
        };
        report.records_read += 1;
        // Parsing stops at the size bound, so an oversized document ends in an EOF error.
        let window_end = bytes.len().min(start.saturating_add(MAX_DOCUMENT_BYTES));
        let window = bytes.get(start..window_end).unwrap_or_default();
        // The tree borrows the document's strings from `bytes` rather than copying them.
        let mut documents = serde_json::Deserializer::from_slice(window).into_iter::<JsonNode>();
        match documents.next() {
            Some(Err(err)) if err.is_eof() && window_end < bytes.len() => {
                report.push_error(
                    location,
                    format!("JSON document longer than {MAX_DOCUMENT_BYTES} bytes; not parsed"),
                );
                pos = next_document_start(bytes, start);
            }
            Some(Ok(value)) => {
                pos = start + documents.byte_offset();
                let origin = Origin {
                    file,
                    record: line,
                    offset: Some(start as u64),
                };
                map_document(&value, origin, location, report, &mut events);
            }
            Some(Err(err)) => {
                report.push_error(location, json_error_message(&err, line));
                pos = resume_after_error(&mut skimmer, bytes, start, &err);
            }
            None => break,
        }
    }
    note_clamped_times(&events, report);
    true
}

fn map_document(
    value: &JsonNode<'_>,
    origin: Origin,
    location: Location,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) {
    match map_tree(value, origin) {
        Ok(event) => events.push(event),
        Err(err) => report.push_error(location, err.to_string()),
    }
}

/// serde_json's message with the line made absolute, because serde counts lines from the
/// start of the document, not of the file.
pub(crate) fn json_error_message(err: &serde_json::Error, document_line: u64) -> String {
    let text = err.to_string();
    let message = text
        .rfind(" at line ")
        .and_then(|cut| text.get(..cut))
        .unwrap_or(&text);
    let line = document_line + err.line().saturating_sub(1) as u64;
    format!(
        "invalid JSON: {message} at line {line} column {}",
        err.column()
    )
}

/// Returns where to resume after the document at `start` failed to parse with `err`: just past
/// it when it failed only for nesting deeper than serde_json's limit, because its brackets can
/// still be matched, else at [`next_document_start`].
pub(crate) fn resume_after_error(
    skimmer: &mut Skimmer<'_>,
    bytes: &[u8],
    start: usize,
    err: &serde_json::Error,
) -> usize {
    if is_depth_error(err)
        && let Some(end) = skimmer.value_end(start)
    {
        return end;
    }
    next_document_start(bytes, start)
}

/// Returns the start of the first line after the one containing `start` that begins with `{`,
/// `Record ` or `]`, or the end of input.
pub(crate) fn next_document_start(bytes: &[u8], start: usize) -> usize {
    let mut pos = next_line(bytes, start);
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or_default();
        if rest.starts_with(b"{") || rest.starts_with(b"Record ") || rest.starts_with(b"]") {
            return pos;
        }
        pos = next_line(bytes, pos);
    }
    bytes.len()
}

/// Returns the index just past the next `\n` at or after `pos`, or the end of input.
pub(crate) fn next_line(bytes: &[u8], pos: usize) -> usize {
    match bytes
        .get(pos..)
        .unwrap_or_default()
        .iter()
        .position(|&b| b == b'\n')
    {
        Some(i) => pos + i + 1,
        None => bytes.len(),
    }
}

pub(crate) fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

pub(crate) fn skip_separators(bytes: &[u8], mut pos: usize, in_array: bool) -> usize {
    while let Some(&b) = bytes.get(pos) {
        if b.is_ascii_whitespace() || (in_array && b == b',') {
            pos += 1;
        } else {
            break;
        }
    }
    pos
}

/// Converts byte offsets to 1-based line numbers, scanning each byte once as offsets grow.
#[derive(Debug)]
pub(crate) struct LineCounter {
    counted_to: usize,
    line: u64,
}

impl Default for LineCounter {
    fn default() -> Self {
        LineCounter {
            counted_to: 0,
            line: 1,
        }
    }
}

impl LineCounter {
    pub(crate) fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        let offset = offset.min(bytes.len());
        if offset < self.counted_to {
            // Offsets only move forward in the scanner; recount from the start otherwise.
            *self = LineCounter::default();
        }
        let newlines = bytes
            .get(self.counted_to..offset)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.counted_to = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::EventBuilder;

    fn record(id: u64) -> String {
        format!(
            concat!(
                r#"{{"Event":{{"System":{{"EventID":4624,"EventRecordID":{},"#,
                r##""TimeCreated":{{"#attributes":{{"SystemTime":"2020-01-01T00:00:00Z"}}}},"##,
                r#""Channel":"Security","Computer":"host"}},"#,
                r#""EventData":{{"TargetUserName":"bob"}}}}}}"#
            ),
            id
        )
    }

    fn scan(text: &str) -> (FileReport, Vec<EventBuilder>) {
        let mut report = FileReport::new("t.json".into(), Format::EvtxJson, FileStatus::Loaded);
        let mut events = Vec::new();
        let cancel = AtomicBool::new(false);
        let finished = parse_bytes(text.as_bytes(), 0, &cancel, &mut report, &mut events);
        assert!(finished);
        (report, events)
    }

    fn origins(events: &[EventBuilder]) -> Vec<(u64, Option<u64>)> {
        events
            .iter()
            .map(|e| {
                let origin = e.origin();
                (origin.record, origin.offset)
            })
            .collect()
    }

    #[test]
    fn jsonl_lines_get_line_and_offset() {
        let text = format!("{}\n{}\n", record(1), record(2));

        let (report, events) = scan(&text);

        assert_eq!(report.records_read, 2);
        assert!(report.errors.is_empty());
        let second = record(1).len() as u64 + 1;
        assert_eq!(origins(&events), vec![(1, Some(0)), (2, Some(second))]);
    }

    #[test]
    fn jsonl_bad_line_is_reported_and_skipped() {
        let text = format!("{}\n{{\"Event\": oops}}\n{}\n", record(1), record(3));

        let (report, events) = scan(&text);

        assert_eq!(report.records_read, 3);
        assert_eq!(events.len(), 2);
        assert_eq!(report.errors.len(), 1);
        let error = &report.errors[0];
        assert_eq!(
            error.location,
            Location::Line {
                line: 2,
                offset: record(1).len() as u64 + 1
            }
        );
        assert!(
            error.message.starts_with("invalid JSON: expected value"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("at line 2 column"),
            "{}",
            error.message
        );
        assert_eq!(origins(&events)[1].0, 3);
    }

    #[test]
    fn jsonl_unclosed_line_does_not_swallow_next() {
        let text = format!("{{\"Event\": {{\"a\": 1\n{}\n", record(2));

        let (report, events) = scan(&text);

        assert_eq!(events.len(), 1);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(origins(&events)[0].0, 2);
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let text = format!("\u{feff}{}\r\n{}\r\n", record(1), record(2));

        let (report, events) = scan(&text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(events.len(), 2);
        // The BOM is three bytes, so the first document starts at offset 3.
        assert_eq!(origins(&events)[0], (1, Some(3)));
        assert_eq!(origins(&events)[1].0, 2);
    }

    #[test]
    fn truncated_last_line_is_reported() {
        let full = record(1);
        let text = format!("{full}\n{}", &full[..full.len() / 2]);

        let (report, events) = scan(&text);

        assert_eq!(report.records_read, 2);
        assert_eq!(events.len(), 1);
        assert_eq!(report.errors.len(), 1);
        assert!(
            report.errors[0].message.contains("EOF"),
            "{}",
            report.errors[0].message
        );
    }

    #[test]
    fn pretty_documents_with_record_headers() {
        let pretty = |id| {
            let value: Value = serde_json::from_str(&record(id)).unwrap();
            serde_json::to_string_pretty(&value).unwrap()
        };
        let text = format!("Record 1\n{}\nRecord 2\n{}\n", pretty(1), pretty(2));

        let (report, events) = scan(&text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(events.len(), 2);
        assert_eq!(origins(&events)[0], (2, Some(9)));
    }

    #[test]
    fn array_of_documents() {
        let text = format!("[\n{},\n{}\n]\n", record(1), record(2));

        let (report, events) = scan(&text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(events.len(), 2);
        assert_eq!(origins(&events)[1].0, 3);
    }

    #[test]
    fn non_event_document_is_reported() {
        let text = format!("{}\n{{\"EventID\": 1}}\n", record(1));

        let (report, events) = scan(&text);

        assert_eq!(events.len(), 1);
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].message.contains("Event.System"));
    }

    #[test]
    fn garbage_input_does_not_panic() {
        for text in [
            "", "\u{feff}", "[", "]", "{", "Record ", "[,,,]", "\"x\"", "[1, 2]", "}",
        ] {
            let _ = scan(text);
        }
    }
}
