//! A structural reader for JSON that finds where values end by tracking strings and brackets
//! only.
//!
//! It keeps a bracket counter rather than a stack, so it has no depth limit, and it does not
//! validate, so it can step over a record that serde_json rejects (nested deeper than
//! serde_json's limit of 128, or with a syntax error inside) and split the records of a
//! container document apart when the container as a whole does not parse. The scanners use it
//! only after serde_json has failed, so valid input never goes through it.

use std::ops::Range;

/// Returns whether serde_json failed because the input nests deeper than its recursion limit
/// of 128 arrays and objects, a failure that says nothing about the syntax around it.
pub(crate) fn is_depth_error(err: &serde_json::Error) -> bool {
    err.is_syntax() && err.to_string().starts_with("recursion limit exceeded")
}

/// Returns the end (exclusive) of the JSON value that starts at `start`, or `None` when the
/// input ends before the value does.
///
/// Objects and arrays end at the bracket that brings the count back to zero, whatever its
/// kind; strings end at the first unescaped quote; other values end before the next `,`,
/// `}`, `]` or whitespace.
pub(crate) fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match *bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut pos = start;
            while let Some(&byte) = bytes.get(pos) {
                match byte {
                    b'"' => {
                        pos = string_end(bytes, pos)?;
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
            let rest = bytes.get(start..)?;
            let length = rest
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            Some(start + length)
        }
    }
}

/// Returns the end (exclusive) of the string whose opening quote is at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut pos = start + 1;
    while let Some(&byte) = bytes.get(pos) {
        match byte {
            b'\\' => pos += 2,
            b'"' => return Some(pos + 1),
            _ => pos += 1,
        }
    }
    None
}

fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// One member of a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    /// The key as written between its quotes, escapes not decoded.
    pub key: &'a [u8],
    /// The byte range of the value. A value cut off by the end of input runs to the end.
    pub value: Range<usize>,
}

/// Splits the object whose `{` is at `start` into its members, in order, and returns them
/// with the end (exclusive) of the object, or `None` for the end when the object is not
/// closed. Reading stops at the first member it cannot make out.
pub(crate) fn object_members(bytes: &[u8], start: usize) -> (Vec<Member<'_>>, Option<usize>) {
    let mut members = Vec::new();
    if bytes.get(start) != Some(&b'{') {
        return (members, None);
    }
    let mut pos = skip_whitespace(bytes, start + 1);
    if bytes.get(pos) == Some(&b'}') {
        return (members, Some(pos + 1));
    }
    loop {
        if bytes.get(pos) != Some(&b'"') {
            return (members, None);
        }
        let Some(key_end) = string_end(bytes, pos) else {
            return (members, None);
        };
        let key = &bytes[pos + 1..key_end - 1];
        pos = skip_whitespace(bytes, key_end);
        if bytes.get(pos) != Some(&b':') {
            return (members, None);
        }
        let value_start = skip_whitespace(bytes, pos + 1);
        if value_start >= bytes.len() {
            return (members, None);
        }
        let Some(end) = value_end(bytes, value_start) else {
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
        pos = skip_whitespace(bytes, end);
        match bytes.get(pos) {
            Some(b',') => pos = skip_whitespace(bytes, pos + 1),
            Some(b'}') => return (members, Some(pos + 1)),
            _ => return (members, None),
        }
    }
}

/// Splits the array whose `[` is at `start` into the byte ranges of its elements, and returns
/// them with the end (exclusive) of the array, or `None` for the end when the array is not
/// closed. An element cut off by the end of input runs to the end; reading stops at the first
/// separator that is not `,` or `]`.
pub(crate) fn array_elements(bytes: &[u8], start: usize) -> (Vec<Range<usize>>, Option<usize>) {
    let mut elements = Vec::new();
    if bytes.get(start) != Some(&b'[') {
        return (elements, None);
    }
    let mut pos = skip_whitespace(bytes, start + 1);
    if bytes.get(pos) == Some(&b']') {
        return (elements, Some(pos + 1));
    }
    while pos < bytes.len() {
        let Some(end) = value_end(bytes, pos) else {
            elements.push(pos..bytes.len());
            return (elements, None);
        };
        elements.push(pos..end);
        pos = skip_whitespace(bytes, end);
        match bytes.get(pos) {
            Some(b',') => pos = skip_whitespace(bytes, pos + 1),
            Some(b']') => return (elements, Some(pos + 1)),
            _ => return (elements, None),
        }
    }
    (elements, None)
}

/// Finds the member `key` of the object whose `{` is at `start`.
pub(crate) fn member<'a>(bytes: &'a [u8], start: usize, key: &[u8]) -> Option<Member<'a>> {
    object_members(bytes, start)
        .0
        .into_iter()
        .find(|member| member.key == key)
}

/// Returns the start of the array reached from the object at `start` by following `path`, one
/// member name per level, or `None` when a member is missing or the last is not an array.
pub(crate) fn array_at(bytes: &[u8], start: usize, path: &[&[u8]]) -> Option<usize> {
    let mut at = start;
    for key in path {
        at = member(bytes, at, key)?.value.start;
    }
    (bytes.get(at) == Some(&b'[')).then_some(at)
}

/// Splits the records of a container document that did not parse as a whole: the elements of
/// the array at `array` inside the document at `document`. Returns their byte ranges and
/// where the scan resumes, or `None` when the array holds nothing.
///
/// The scan resumes after the document when it is closed. Otherwise it resumes at
/// `resync(bytes, start of the last record)`, the scanner's next line that starts a document,
/// and the last record is cut there, so a container cut short does not swallow the documents
/// after it.
pub(crate) fn container_records(
    bytes: &[u8],
    document: usize,
    array: usize,
    resync: impl Fn(&[u8], usize) -> usize,
) -> Option<(Vec<Range<usize>>, usize)> {
    let (mut records, _) = array_elements(bytes, array);
    let last = records.last_mut()?;
    let resume = match value_end(bytes, document) {
        Some(end) if end >= last.end => end,
        _ => {
            let resume = resync(bytes, last.start);
            last.end = last.end.min(resume);
            resume
        }
    };
    Some((records, resume))
}

#[cfg(test)]
mod tests {
    use super::*;

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

        assert_eq!(array_at(text, 0, &[b"hits", b"hits"]), Some(41));
        assert_eq!(array_at(text, 0, &[b"hits"]), None);
        assert_eq!(array_at(text, 0, &[b"missing"]), None);
    }

    #[test]
    fn container_records_of_cut_document() {
        let text = b"{\"Records\": [{\"a\": 1}, {\"b\": 2\n{\"next\": 1}\n";
        let next_line = |bytes: &[u8], start: usize| {
            start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1
        };

        let (records, resume) = container_records(text, 0, 12, next_line).unwrap();

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
            let _ = member(text, 0, b"a");
        }
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
