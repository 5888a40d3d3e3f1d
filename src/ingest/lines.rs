//! Splitting text logs into located lines, and reading one line back by its byte offset.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::raw::RawError;

/// Maximum length of one line, in bytes. Longer lines are reported as skipped records rather
/// than parsed, so one corrupt or binary file cannot make a parser scan without end.
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

/// One line of a text file, without its line ending (`\n` or `\r\n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's first byte in the file.
    pub offset: u64,
    /// The line's bytes, which may be invalid UTF-8.
    pub bytes: &'a [u8],
}

impl Line<'_> {
    /// Returns whether the line is longer than [`MAX_LINE_BYTES`].
    pub fn is_too_long(&self) -> bool {
        self.bytes.len() > MAX_LINE_BYTES
    }

    /// Returns the line as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.bytes)
    }
}

/// Splits `bytes` into lines. A UTF-8 byte order mark at the start is skipped, and a last line
/// without a trailing newline is still returned.
pub(crate) fn split_lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut pos = start;
    let mut number = 0u64;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let rest = bytes.get(pos..)?;
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let mut line = rest.get(..end).unwrap_or(rest);
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        number += 1;
        let item = Line {
            number,
            offset: pos as u64,
            bytes: line,
        };
        pos += end + 1;
        Some(item)
    })
}

/// Reads up to `max_lines` lines starting at byte `offset` of `path`, each cut to
/// [`MAX_LINE_BYTES`], without their line endings.
pub(crate) fn read_lines_at(
    path: &Path,
    offset: u64,
    max_lines: usize,
) -> Result<Vec<String>, RawError> {
    let display = path.display().to_string();
    let io_error = |source| RawError::Io {
        path: display.clone(),
        source,
    };
    // Through the decompressing reader, since offsets count bytes of the decompressed text.
    let reader = super::input::open_at(path, offset).map_err(|source| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            RawError::NoDocument {
                path: display.clone(),
                offset,
            }
        } else {
            io_error(source)
        }
    })?;
    let mut reader = BufReader::new(reader);
    let mut lines = Vec::new();
    while lines.len() < max_lines {
        let mut buffer = Vec::new();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(io_error)?;
        if read == 0 {
            break;
        }
        let complete = buffer.ends_with(b"\n");
        while buffer.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            buffer.pop();
        }
        buffer.truncate(MAX_LINE_BYTES);
        lines.push(String::from_utf8_lossy(&buffer).into_owned());
        if !complete {
            // The line was cut at the length limit: skip the rest of it.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest).map_err(io_error)?;
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_lines_handles_crlf_bom_and_missing_newline() {
        let lines: Vec<Line<'_>> = split_lines(b"\xEF\xBB\xBFa\r\nbb\n\nc").collect();

        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].bytes, b"a");
        assert_eq!(lines[0].offset, 3);
        assert_eq!(lines[1].bytes, b"bb");
        assert_eq!(lines[1].offset, 6);
        assert_eq!(lines[2].bytes, b"");
        assert_eq!(lines[3].bytes, b"c");
        assert_eq!(lines[3].number, 4);
    }

    #[test]
    fn read_lines_at_reads_from_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "one\r\ntwo\nthree").unwrap();

        let lines = read_lines_at(&path, 5, 10).unwrap();

        assert_eq!(lines, vec!["two".to_owned(), "three".to_owned()]);
        assert!(matches!(
            read_lines_at(&path, 100, 1),
            Err(RawError::NoDocument { .. })
        ));
    }
}
