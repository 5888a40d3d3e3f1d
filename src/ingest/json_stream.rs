//! Splitting a file into JSON documents, for the JSON formats that are not evtx_dump output.
//!
//! A file may hold one document per line, pretty documents one after another, or a JSON
//! array of documents, as `log show --style json` writes (`[{…},{…}]`). Each document is
//! handed to the format's parser as exact text with its line and byte offset, so the parser
//! can locate records nested inside it. A document that is not valid JSON is one skipped
//! record, and the scan resumes at the next line that starts a document.

use std::sync::atomic::{AtomicBool, Ordering};

use super::detect::strip_bom;
use super::json_skim;
use super::report::{FileReport, Location};

/// How many documents are scanned between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 256;

/// One top-level JSON document of a file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Document<'a> {
    /// The document's text, from its opening to its closing bracket.
    pub text: &'a [u8],
    /// Byte offset of the document's first byte in the file.
    pub offset: usize,
    /// 1-based line on which the document starts.
    pub line: u64,
}

impl Document<'_> {
    /// Returns the document's location, for error reports.
    pub fn location(&self) -> Location {
        Location::Line {
            line: self.line,
            offset: self.offset as u64,
        }
    }
}

/// Scans every document of `bytes` and calls `on_document` with each valid one.
///
/// A document that is not valid JSON counts as one record read and is reported at its start.
/// `on_document` counts the records of valid documents itself, because one document may
/// contain many records (an Elasticsearch response) or none (a trailer). Returns `false` when `cancel`
/// stopped the scan early.
pub(crate) fn scan<'a>(
    bytes: &'a [u8],
    cancel: &AtomicBool,
    report: &mut FileReport,
    on_document: impl FnMut(Document<'a>, &mut LineCounter<'a>, &mut FileReport),
) -> bool {
    scan_containers(bytes, cancel, report, &[], on_document)
}

/// Scans like [`scan`], and splits a document that does not parse as a whole when it is an
/// object with an array of records at one of `containers` (member names from the top, such as
/// `hits`, `hits`). Each record of such a document that parses goes to `on_document` as a
/// document of its own, and each that does not counts as one record read and is reported at
/// its own location, so one bad record costs only itself.
pub(crate) fn scan_containers<'a>(
    bytes: &'a [u8],
    cancel: &AtomicBool,
    report: &mut FileReport,
    containers: &[&[&[u8]]],
    mut on_document: impl FnMut(Document<'a>, &mut LineCounter<'a>, &mut FileReport),
) -> bool {
    let mut lines = LineCounter::new(bytes);
    let mut skimmer = json_skim::Skimmer::new(bytes);
    let mut pos = skip_whitespace(bytes, bytes.len() - strip_bom(bytes).len());
    let in_array = bytes.get(pos) == Some(&b'[');
    if in_array {
        pos += 1;
    }
    let mut documents = 0u64;
    loop {
        pos = skip_separators(bytes, pos, in_array);
        if pos >= bytes.len() {
            break;
        }
        if in_array && bytes.get(pos) == Some(&b']') {
            let end = skip_whitespace(bytes, pos + 1);
            if end < bytes.len() {
                let location = Location::Line {
                    line: lines.line_at(end),
                    offset: end as u64,
                };
                report.push_error(location, "unexpected text after the closing `]`; ignored");
            }
            break;
        }
        documents += 1;
        if documents.is_multiple_of(CANCEL_CHECK_INTERVAL) && cancel.load(Ordering::Relaxed) {
            return false;
        }
        let start = pos;
        let line = lines.line_at(start);
        let rest = bytes.get(start..).unwrap_or_default();
        match json_skim::document_end(rest) {
            Some(Ok(length)) => {
                pos = start + length;
                let document = Document {
                    text: rest.get(..length).unwrap_or_default(),
                    offset: start,
                    line,
                };
                on_document(document, &mut lines, report);
            }
            Some(Err(err)) => {
                let location = Location::Line {
                    line,
                    offset: start as u64,
                };
                let split = containers.iter().find_map(|path| {
                    let array = skimmer.array_at(start, path)?;
                    skimmer.container_records(start, array, next_document_start)
                });
                if let Some((records, resume)) = split {
                    let mut failed = false;
                    for range in records {
                        let line = lines.line_at(range.start);
                        let document = Document {
                            text: bytes.get(range.clone()).unwrap_or_default(),
                            offset: range.start,
                            line,
                        };
                        match serde_json::from_slice::<json_skim::CheckedValue>(document.text) {
                            Ok(_) => on_document(document, &mut lines, report),
                            Err(err) => {
                                failed = true;
                                report.records_read += 1;
                                let message = json_error_message(&err, line);
                                report.push_error(document.location(), message);
                            }
                        }
                    }
                    if !failed {
                        // Every record parsed, so the fault lies outside them.
                        report.push_error(location, json_error_message(&err, line));
                    }
                    pos = resume;
                    continue;
                }
                report.records_read += 1;
                report.push_error(location, json_error_message(&err, line));
                // Nesting too deep for serde_json is no syntax error, so the brackets still
                // show where the document ends.
                let end = json_skim::is_depth_error(&err)
                    .then(|| skimmer.value_end(start))
                    .flatten();
                pos = end.unwrap_or_else(|| next_document_start(bytes, start));
            }
            None => break,
        }
    }
    true
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

/// Returns the start of the first line after the one containing `start` that begins a
/// document (`{`, or `},{` between array elements) or closes the array (`]`), or the end of
/// input. Nested objects of pretty documents are indented, so they never match.
fn next_document_start(bytes: &[u8], start: usize) -> usize {
    let mut pos = next_line(bytes, start);
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or_default();
        if rest.starts_with(b"{") || rest.starts_with(b"]") {
            return pos;
        }
        if rest.starts_with(b"},{") {
            return pos + 2;
        }
        pos = next_line(bytes, pos);
    }
    bytes.len()
}

fn next_line(bytes: &[u8], pos: usize) -> usize {
    let pos = pos.min(bytes.len());
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

fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

fn skip_separators(bytes: &[u8], mut pos: usize, in_array: bool) -> usize {
    while let Some(&b) = bytes.get(pos) {
        if b.is_ascii_whitespace() || (in_array && b == b',') {
            pos += 1;
        } else {
            break;
        }
    }
    pos
}

/// Converts byte offsets of one file to 1-based line numbers, scanning each byte once while
/// offsets grow.
#[derive(Debug)]
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// Starts counting at the beginning of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            counted_to: 0,
            line: 1,
        }
    }

    /// Returns the 1-based line of byte `offset`.
    pub fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        if offset < self.counted_to {
            // Offsets normally only grow, so a smaller one recounts from the start.
            self.counted_to = 0;
            self.line = 1;
        }
        let newlines = self
            .bytes
            .get(self.counted_to..offset)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.counted_to = offset;
        self.line
    }

    /// Returns the byte offset of `inner`, a slice of the counted bytes, or `None` when it
    /// lies elsewhere.
    pub fn offset_of(&self, inner: &[u8]) -> Option<usize> {
        let start = self.bytes.as_ptr() as usize;
        let position = (inner.as_ptr() as usize).checked_sub(start)?;
        (position + inner.len() <= self.bytes.len()).then_some(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;

    /// Scans `text` and returns each document's text and line, and the report.
    fn documents(text: &str) -> (Vec<(String, u64, usize)>, FileReport) {
        let mut report = FileReport::new("t.json".into(), Format::Json, FileStatus::Loaded);
        let mut found = Vec::new();
        let finished = scan(
            text.as_bytes(),
            &AtomicBool::new(false),
            &mut report,
            |document, _, _| {
                found.push((
                    String::from_utf8_lossy(document.text).into_owned(),
                    document.line,
                    document.offset,
                ));
            },
        );
        assert!(finished);
        (found, report)
    }

    #[test]
    fn lines_pretty_and_concatenated() {
        let (found, report) = documents("{\"a\":1}\n{\n\t\"b\": 2\n}{\"c\":3}\n");

        assert_eq!(found.len(), 3);
        assert_eq!(found[1], ("{\n\t\"b\": 2\n}".to_owned(), 2, 8));
        assert_eq!(found[2].1, 4);
        assert!(report.errors.is_empty());
    }

    #[test]
    fn apple_style_array() {
        let text = "[{\n  \"a\" : 1\n},{\n  \"a\" : 2\n}]\n";

        let (found, report) = documents(text);

        assert_eq!(found.len(), 2);
        assert_eq!(found[1].1, 3);
        assert!(report.errors.is_empty());
    }

    #[test]
    fn trailing_comma_is_located_and_scan_resumes() {
        let text = "{\n\t\"a\": [\n\t\t1,\n\t],\n\t\"b\": {}\n}\n{\"c\": 3}\n";

        let (found, report) = documents(text);

        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, 7);
        assert_eq!(report.records_read, 1);
        assert_eq!(
            report.errors[0].location,
            Location::Line { line: 1, offset: 0 }
        );
        assert!(
            report.errors[0].message.contains("at line 4 column 2"),
            "{}",
            report.errors[0].message
        );
    }

    #[test]
    fn broken_array_element_resumes_at_next() {
        let text = "[{\n  \"a\" : ,\n},{\n  \"a\" : 2\n}]\n";

        let (found, report) = documents(text);

        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "{\n  \"a\" : 2\n}");
        assert_eq!(report.records_read, 1);
    }

    #[test]
    fn offset_of_inner_slice() {
        let bytes = b"0123456789";
        let counter = LineCounter::new(bytes);

        assert_eq!(counter.offset_of(&bytes[3..5]), Some(3));
        assert_eq!(counter.offset_of(b"other"), None);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "", "[", "]", "{", "[,,]", "},{", "\u{feff}", "[1, 2]", "\"x\" 1",
        ] {
            let _ = documents(text);
        }
    }
}
