//! Finding where JSON documents and records end, on hostile input too.
//!
//! [`document_end`] finds the end of a document with serde_json's recursion limit applied, so
//! no document costs more than 128 levels of nesting. [`Skimmer`] is a structural scanner that
//! tracks strings and brackets only. It keeps a bracket counter rather than a stack, so it has
//! no depth limit, and it does not validate. So it can step over a record that serde_json
//! rejects, one nested too deep or with a syntax error inside, and split the records of a
//! container document apart when the container as a whole does not parse. The readers use it
//! only after serde_json has failed, so valid input never goes through it.

use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Returns whether serde_json failed because the input nests deeper than its recursion limit
/// of 128 arrays and objects. Such a failure does not mean that the brackets are unbalanced.
pub(crate) fn is_depth_error(err: &serde_json::Error) -> bool {
    err.is_syntax() && err.to_string().starts_with("recursion limit exceeded")
}

/// A JSON value that serde_json parses and drops, with its recursion limit of 128.
///
/// serde_json skips `IgnoredAny` and `RawValue` without a depth limit (serde_json 1.0.154), so
/// a document that keeps opening brackets is read to the end of the file before it fails. A
/// file of thousands of such documents then costs time quadratic in its size. Parsing through
/// `deserialize_any` counts the depth, so such a document fails within 128 levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CheckedValue;

impl<'de> Deserialize<'de> for CheckedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = CheckedValue;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<CheckedValue, E> {
        Ok(CheckedValue)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<CheckedValue, E> {
        Ok(CheckedValue)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<CheckedValue, E> {
        Ok(CheckedValue)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<CheckedValue, E> {
        Ok(CheckedValue)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<CheckedValue, E> {
        Ok(CheckedValue)
    }

    fn visit_unit<E: de::Error>(self) -> Result<CheckedValue, E> {
        Ok(CheckedValue)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CheckedValue, A::Error> {
        while seq.next_element::<CheckedValue>()?.is_some() {}
        Ok(CheckedValue)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckedValue, A::Error> {
        while map.next_entry::<IgnoredAny, CheckedValue>()?.is_some() {}
        Ok(CheckedValue)
    }
}

/// Returns the end (exclusive) of the JSON document at the start of `bytes`, parsed with
/// [`CheckedValue`], or serde_json's error.
pub(crate) fn document_end(bytes: &[u8]) -> Option<Result<usize, serde_json::Error>> {
    let mut documents = serde_json::Deserializer::from_slice(bytes).into_iter::<CheckedValue>();
    match documents.next()? {
        Ok(CheckedValue) => Some(Ok(documents.byte_offset())),
        Err(err) => Some(Err(err)),
    }
}

/// How many times the input's length a [`Skimmer`] may read in all, plus
/// [`SKIM_EXTRA_BYTES`]. Splitting one broken container reads it about four times.
const SKIM_BUDGET_FACTOR: usize = 8;

/// The part of a [`Skimmer`]'s budget that does not grow with the input.
const SKIM_EXTRA_BYTES: usize = 1 << 20;

/// One member of a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    /// The key as written between its quotes, escapes not decoded.
    pub key: &'a [u8],
    /// The byte range of the value. A value cut off by the end of input runs to the end.
    pub value: Range<usize>,
}

/// A structural scanner over one file's bytes, with a budget of bytes it may read over all
/// its calls.
///
/// Unlike serde_json, the scanner does not stop at the first invalid byte, so on hostile input
/// (thousands of unclosed documents) each call could read to the end of the file. The budget
/// keeps the total work linear in the file's size. Once it is spent, every call returns as if
/// the input ended there, and the scanners fall back to resuming at the next line.
#[derive(Debug)]
pub(crate) struct Skimmer<'a> {
    bytes: &'a [u8],
    budget: usize,
}

impl<'a> Skimmer<'a> {
    /// Starts a scanner over `bytes` with a budget of [`SKIM_BUDGET_FACTOR`] times their
    /// length.
    pub fn new(bytes: &'a [u8]) -> Self {
        Skimmer {
            bytes,
            budget: bytes
                .len()
                .saturating_mul(SKIM_BUDGET_FACTOR)
                .saturating_add(SKIM_EXTRA_BYTES),
        }
    }

    /// Reads the byte at `pos`, charging it to the budget; `None` past the end or the budget.
    fn byte(&mut self, pos: usize) -> Option<u8> {
        self.budget = self.budget.checked_sub(1)?;
        self.bytes.get(pos).copied()
    }

    fn skip_whitespace(&mut self, mut pos: usize) -> usize {
        while self.byte(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        pos
    }

    /// Returns the end (exclusive) of the JSON value that starts at `start`, or `None` when
    /// the input (or the budget) ends before the value does.
    ///
    /// Objects and arrays end at the bracket that brings the count back to zero, whatever its
    /// kind. Strings end at the first unescaped quote. Other values end before the next `,`,
    /// `}`, `]` or whitespace.
    pub fn value_end(&mut self, start: usize) -> Option<usize> {
        match self.byte(start)? {
            b'"' => self.string_end(start),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut pos = start;
                while let Some(byte) = self.byte(pos) {
                    match byte {
                        b'"' => {
                            pos = self.string_end(pos)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(pos + 1);
                            }
                        }
                        _ => {}
                    }
                    pos += 1;
                }
                None
            }
            _ => {
                let mut pos = start;
                while let Some(byte) = self.byte(pos) {
                    if matches!(byte, b',' | b'}' | b']') || byte.is_ascii_whitespace() {
                        return Some(pos);
                    }
                    pos += 1;
                }
                // The end of input ends a scalar; the end of the budget leaves it unknown.
                (pos >= self.bytes.len()).then_some(pos)
            }
        }
    }

    /// Returns the end (exclusive) of the string whose opening quote is at `start`.
    fn string_end(&mut self, start: usize) -> Option<usize> {
        let mut pos = start + 1;
        while let Some(byte) = self.byte(pos) {
            match byte {
                b'\\' => pos += 2,
                b'"' => return Some(pos + 1),
                _ => pos += 1,
            }
        }
        None
    }

    /// Splits the object whose `{` is at `start` into its members, in order, and returns them
    /// with the end (exclusive) of the object, or `None` for the end when the object is not
    /// closed. Reading stops at the first member it cannot make out.
    pub fn object_members(&mut self, start: usize) -> (Vec<Member<'a>>, Option<usize>) {
        let bytes = self.bytes;
        let mut members = Vec::new();
        if self.byte(start) != Some(b'{') {
            return (members, None);
        }
        let mut pos = self.skip_whitespace(start + 1);
        if self.byte(pos) == Some(b'}') {
            return (members, Some(pos + 1));
        }
        loop {
            if self.byte(pos) != Some(b'"') {
                return (members, None);
            }
            let Some(key_end) = self.string_end(pos) else {
                return (members, None);
            };
            // `string_end` returned the index past the closing quote of the string at `pos`.
            let key = bytes.get(pos + 1..key_end - 1).unwrap_or_default();
            pos = self.skip_whitespace(key_end);
            if self.byte(pos) != Some(b':') {
                return (members, None);
            }
            let value_start = self.skip_whitespace(pos + 1);
            if value_start >= bytes.len() {
                return (members, None);
            }
            let Some(end) = self.value_end(value_start) else {
                members.push(Member {
                    key,
                    value: value_start..bytes.len(),
                });
                return (members, None);
            };
            members.push(Member {
                key,
                value: value_start..end,
            });
            pos = self.skip_whitespace(end);
            match self.byte(pos) {
                Some(b',') => pos = self.skip_whitespace(pos + 1),
                Some(b'}') => return (members, Some(pos + 1)),
                _ => return (members, None),
            }
        }
    }

    /// Splits the array whose `[` is at `start` into the byte ranges of its elements, and
    /// returns them with the end (exclusive) of the array, or `None` for the end when the array
    /// is not closed. An element cut off by the end of input runs to the end; reading stops at
    /// the first separator that is not `,` or `]`.
    pub fn array_elements(&mut self, start: usize) -> (Vec<Range<usize>>, Option<usize>) {
        let length = self.bytes.len();
        let mut elements = Vec::new();
        if self.byte(start) != Some(b'[') {
            return (elements, None);
        }
        let mut pos = self.skip_whitespace(start + 1);
        if self.byte(pos) == Some(b']') {
            return (elements, Some(pos + 1));
        }
        while pos < length {
            let Some(end) = self.value_end(pos) else {
                elements.push(pos..length);
                return (elements, None);
            };
            elements.push(pos..end);
            pos = self.skip_whitespace(end);
            match self.byte(pos) {
                Some(b',') => pos = self.skip_whitespace(pos + 1),
                Some(b']') => return (elements, Some(pos + 1)),
                _ => return (elements, None),
            }
        }
        (elements, None)
    }

    /// Finds the member `key` of the object whose `{` is at `start`.
    pub fn member(&mut self, start: usize, key: &[u8]) -> Option<Member<'a>> {
        self.object_members(start)
            .0
            .into_iter()
            .find(|member| member.key == key)
    }

    /// Returns the start of the array reached from the object at `start` by following `path`,
    /// one member name per level, or `None` when a member is missing or the last is not an
    /// array.
    pub fn array_at(&mut self, start: usize, path: &[&[u8]]) -> Option<usize> {
        let mut at = start;
        for key in path {
            at = self.member(at, key)?.value.start;
        }
        (self.bytes.get(at) == Some(&b'[')).then_some(at)
    }

    /// Splits the records of a container document that did not parse as a whole: the
    /// elements of the array at `array` inside the document at `document`. Returns their byte
    /// ranges and where the scan resumes, or `None` when the array is empty.
    ///
    /// The scan resumes after the document when it is closed. Otherwise it resumes at
    /// `resync(bytes, start of the last record)`, the scanner's next line that starts a
    /// document, and the last record is cut there, so a container cut short does not swallow
    /// the documents after it.
    pub fn container_records(
        &mut self,
        document: usize,
        array: usize,
        resync: impl Fn(&[u8], usize) -> usize,
    ) -> Option<(Vec<Range<usize>>, usize)> {
        let (mut records, _) = self.array_elements(array);
        let document_end = self.value_end(document);
        let last = records.last_mut()?;
        let resume = match document_end {
            Some(end) if end >= last.end => end,
            _ => {
                let resume = resync(self.bytes, last.start);
                last.end = last.end.min(resume);
                resume
            }
        };
        Some((records, resume))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
        Skimmer::new(bytes).value_end(start)
    }

    fn object_members(bytes: &[u8], start: usize) -> (Vec<Member<'_>>, Option<usize>) {
        Skimmer::new(bytes).object_members(start)
    }

    fn array_elements(bytes: &[u8], start: usize) -> (Vec<Range<usize>>, Option<usize>) {
        Skimmer::new(bytes).array_elements(start)
    }

    #[test]
    fn value_end_of_each_kind() {
        let text = br#"{"a": [1, "x]\"}"], "b": {}} tail"#;
        assert_eq!(value_end(text, 0), Some(28));
        assert_eq!(value_end(b"\"a\\\"b\" ,", 0), Some(6));
        assert_eq!(value_end(b"123,", 0), Some(3));
        assert_eq!(value_end(b"true", 0), Some(4));
        assert_eq!(value_end(b"{\"a\": [1, 2", 0), None);
        assert_eq!(value_end(b"\"open", 0), None);
        assert_eq!(value_end(b"", 0), None);
    }

    #[test]
    fn value_end_has_no_depth_limit() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(value_end(deep.as_bytes(), 0), Some(deep.len()));
    }

    #[test]
    fn members_of_object() {
        let text = br#"{"Records": [{"a": 1}, {"b": 2}], "x": "y"}"#;
        let (members, end) = object_members(text, 0);

        assert_eq!(end, Some(text.len()));
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].key, b"Records");
        assert_eq!(&text[members[0].value.clone()], br#"[{"a": 1}, {"b": 2}]"#);
        assert_eq!(members[1].key, b"x");
    }

    #[test]
    fn members_of_cut_object() {
        let text = br#"{"k": 1, "Records": [{"a": 1}, {"b""#;
        let (members, end) = object_members(text, 0);

        assert_eq!(end, None);
        assert_eq!(members.len(), 2);
        assert_eq!(members[1].value, 20..text.len());
    }

    #[test]
    fn elements_of_array() {
        let text = b"[ {\"a\": 1} ,\n 7, \"s\", [[]] ]";
        let (elements, end) = array_elements(text, 0);

        assert_eq!(end, Some(text.len()));
        let parts: Vec<&[u8]> = elements.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(parts, vec![&b"{\"a\": 1}"[..], b"7", b"\"s\"", b"[[]]"]);
    }

    #[test]
    fn elements_of_cut_array() {
        let text = b"[{\"a\": 1}, {\"b\": [";
        let (elements, end) = array_elements(text, 0);

        assert_eq!(end, None);
        assert_eq!(elements, vec![1..9, 11..text.len()]);
    }

    #[test]
    fn array_at_follows_path() {
        let text = br#"{"took": 1, "hits": {"total": 2, "hits": [{"a": 1}]}}"#;

        let mut skimmer = Skimmer::new(text);

        assert_eq!(skimmer.array_at(0, &[b"hits", b"hits"]), Some(41));
        assert_eq!(skimmer.array_at(0, &[b"hits"]), None);
        assert_eq!(skimmer.array_at(0, &[b"missing"]), None);
    }

    #[test]
    fn container_records_of_cut_document() {
        let text = b"{\"Records\": [{\"a\": 1}, {\"b\": 2\n{\"next\": 1}\n";
        let next_line = |bytes: &[u8], start: usize| {
            start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1
        };

        let (records, resume) = Skimmer::new(text)
            .container_records(0, 12, next_line)
            .unwrap();

        assert_eq!(records, vec![13..21, 23..31]);
        assert_eq!(resume, 31);
        assert_eq!(&text[resume..resume + 2], b"{\"");
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            &b""[..],
            b"{",
            b"[",
            b"{\"",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\": 1,",
            b"[1,",
            b"[1 2]",
            b"}",
            b"{\"a\\",
        ] {
            let _ = object_members(text, 0);
            let _ = array_elements(text, 0);
            let _ = value_end(text, 0);
            let _ = Skimmer::new(text).member(0, b"a");
        }
    }

    #[test]
    fn budget_bounds_total_work() {
        // A thousand unclosed documents: each scan alone would read to the end.
        let text = "{\"a\": [\n".repeat(1000);
        let mut skimmer = Skimmer::new(text.as_bytes());
        for line in 0..1000 {
            let _ = skimmer.object_members(line * 8);
        }

        assert_eq!(skimmer.budget, 0);
        assert_eq!(skimmer.value_end(0), None);
    }

    #[test]
    fn checked_value_stops_at_depth_limit() {
        let unclosed = "{\"a\": \n".repeat(10_000);
        let err = document_end(unclosed.as_bytes()).unwrap().unwrap_err();
        assert!(is_depth_error(&err), "{err}");
        // The error comes at the 128th level, long before the end of the input.
        assert!(err.line() <= 130, "{err}");

        let text = br#"{"a": [1, "x", {"b": null}], "c": true} {"next": 1}"#;
        assert_eq!(document_end(text).unwrap().unwrap(), 39);
        assert!(document_end(b"  ").is_none());
    }

    #[test]
    fn depth_error_is_recognized() {
        let deep = "[".repeat(200);
        let err = serde_json::from_str::<serde_json::Value>(&deep).unwrap_err();
        assert!(is_depth_error(&err));
        let err = serde_json::from_str::<serde_json::Value>("{oops").unwrap_err();
        assert!(!is_depth_error(&err));
    }
}
