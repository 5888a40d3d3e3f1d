//! A scanner for files of JSON records, shared by the JSON formats other than evtx_dump's.
//!
//! It reads JSON lines, pretty documents one after another and top-level arrays, as the
//! evtx_dump reader does, and also opens the containers that exports wrap records in:
//! CloudTrail's `{"Records": [...]}`, Elasticsearch search responses
//! (`{"hits": {"hits": [...]}}`), Microsoft Graph pages (`{"@odata.context": …,
//! "value": [...]}`) and Kubernetes lists (`{"kind": "EventList", "items": [...]}`). An
//! Elasticsearch hit's `_source` is the record. Each record keeps the
//! line and byte offset where it starts, so [`super::read_raw`] can show it alone.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::detect::strip_bom;
use super::evtx_json::{
    LineCounter, json_error_message, next_document_start, next_line, resume_after_error,
    skip_separators, skip_whitespace,
};
use super::json_skim::{self, Skimmer};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use crate::store::{EventBuilder, FileId, Origin};

/// How many records are mapped between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 256;

/// Maps one JSON record to an event, or returns why it cannot.
pub(crate) type MapRecord = fn(&Value, Origin) -> Result<EventBuilder, String>;

/// Reads the file at `path` (gzip or not) and parses it with [`parse_bytes`].
pub(crate) fn parse(
    path: &Path,
    file: FileId,
    map: MapRecord,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    match super::input::read_all(path, report) {
        Ok(bytes) => parse_bytes(&bytes, file, map, cancel, report, events),
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            true
        }
    }
}

/// Parses every record in `bytes` with `map`, counting and locating failures in `report`.
/// Returns `false` when `cancel` stopped it early.
///
/// A document that is not valid JSON counts as one record, is reported, and the scan resumes
/// at the next line that starts with `{` or `]`.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    map: MapRecord,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut lines = LineCounter::default();
    let mut skimmer = Skimmer::new(bytes);
    let mut pos = skip_whitespace(bytes, bytes.len() - strip_bom(bytes).len());
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
                let location = Location::Line {
                    line: lines.line_at(bytes, end),
                    offset: end as u64,
                };
                report.push_error(
                    location,
                    "unexpected text after the closing `]` of the array; ignored",
                );
            }
            break;
        }
        if cancel.load(Ordering::Relaxed) {
            return false;
        }

        let start = pos;
        // The depth-limited pass finds where the document ends, so the borrowing parse below
        // reads exactly that much.
        let rest = bytes.get(start..).unwrap_or_default();
        let document = json_skim::document_end(rest).map(|length| {
            let length = length?;
            serde_json::from_slice::<&RawValue>(rest.get(..length).unwrap_or_default())
                .map(|document| (document, length))
        });
        match document {
            Some(Ok((document, length))) => {
                pos = start + length;
                for record in records_of(document) {
                    if report.records_read.is_multiple_of(CANCEL_CHECK_INTERVAL)
                        && cancel.load(Ordering::Relaxed)
                    {
                        return false;
                    }
                    // The record is a slice of `bytes`, so the pointer difference is its offset.
                    let offset = record.get().as_ptr() as usize - bytes.as_ptr() as usize;
                    let line = lines.line_at(bytes, offset);
                    report.records_read += 1;
                    let origin = Origin {
                        file,
                        record: line,
                        offset: Some(offset as u64),
                    };
                    let location = Location::Line {
                        line,
                        offset: offset as u64,
                    };
                    match map_raw(record, origin, map) {
                        Ok(event) => events.push(event),
                        Err(message) => report.push_error(location, message),
                    }
                }
            }
            Some(Err(err)) => {
                let line = lines.line_at(bytes, start);
                let location = Location::Line {
                    line,
                    offset: start as u64,
                };
                if let Some((records, end)) = container_records(&mut skimmer, bytes, start) {
                    // The container did not parse, but its records can be separated. Each is
                    // parsed and reported on its own, so one bad record costs only itself.
                    let mut failed = false;
                    for range in records {
                        if report.records_read.is_multiple_of(CANCEL_CHECK_INTERVAL)
                            && cancel.load(Ordering::Relaxed)
                        {
                            return false;
                        }
                        let offset = range.start;
                        let line = lines.line_at(bytes, offset);
                        report.records_read += 1;
                        let origin = Origin {
                            file,
                            record: line,
                            offset: Some(offset as u64),
                        };
                        let location = Location::Line {
                            line,
                            offset: offset as u64,
                        };
                        let record = bytes.get(range).unwrap_or_default();
                        match map_slice(record, origin, line, map) {
                            Ok(event) => events.push(event),
                            Err(message) => {
                                failed = true;
                                report.push_error(location, message);
                            }
                        }
                    }
                    if !failed {
                        // Every record parsed, so the fault lies outside them.
                        report.push_error(location, json_error_message(&err, line));
                    }
                    pos = end;
                    continue;
                }
                report.records_read += 1;
                report.push_error(location, json_error_message(&err, line));
                pos = resume_after_error(&mut skimmer, bytes, start, &err);
                // `next_document_start` also stops at `Record ` lines, which are not JSON here.
                while bytes
                    .get(pos..)
                    .is_some_and(|rest| rest.starts_with(b"Record "))
                {
                    pos = next_line(bytes, pos);
                }
            }
            None => break,
        }
    }
    true
}

fn map_raw(record: &RawValue, origin: Origin, map: MapRecord) -> Result<EventBuilder, String> {
    let value: Value =
        serde_json::from_str(record.get()).map_err(|err| format!("invalid JSON record: {err}"))?;
    map_value(value, origin, map)
}

/// Parses and maps one record cut from a container that did not parse as a whole.
fn map_slice(
    record: &[u8],
    origin: Origin,
    line: u64,
    map: MapRecord,
) -> Result<EventBuilder, String> {
    let value: Value =
        serde_json::from_slice(record).map_err(|err| json_error_message(&err, line))?;
    map_value(value, origin, map)
}

fn map_value(value: Value, origin: Origin, map: MapRecord) -> Result<EventBuilder, String> {
    let value = match value {
        Value::Object(mut object) if object.get("_source").is_some_and(Value::is_object) => {
            object.remove("_source").unwrap_or(Value::Null)
        }
        other => other,
    };
    if !value.is_object() {
        return Err("record is not a JSON object".to_owned());
    }
    map(&value, origin)
}

#[derive(Deserialize)]
struct CloudTrailFile<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct SearchResponse<'a> {
    #[serde(borrow)]
    hits: SearchHits<'a>,
}

#[derive(Deserialize)]
struct SearchHits<'a> {
    #[serde(borrow)]
    hits: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct GraphPage<'a> {
    #[serde(rename = "@odata.context")]
    _context: &'a RawValue,
    #[serde(borrow)]
    value: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct KubernetesList<'a> {
    kind: String,
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
}

/// Returns the records of one top-level document: the elements of a known container, or the
/// document itself.
fn records_of(document: &RawValue) -> Vec<&RawValue> {
    let text = document.get();
    if !text.starts_with('{') {
        return vec![document];
    }
    // The substring checks are cheap and spare a second parse of every ordinary record.
    if text.contains("\"Records\"")
        && let Ok(file) = serde_json::from_str::<CloudTrailFile>(text)
    {
        return file.records;
    }
    if text.contains("\"hits\"")
        && let Ok(response) = serde_json::from_str::<SearchResponse>(text)
    {
        return response.hits.hits;
    }
    if text.contains("\"@odata.context\"")
        && let Ok(page) = serde_json::from_str::<GraphPage>(text)
    {
        return page.value;
    }
    // Kubernetes names every list kind `<Kind>List`, such as the audit log's `EventList`.
    if text.contains("\"items\"")
        && let Ok(list) = serde_json::from_str::<KubernetesList>(text)
        && list.kind.ends_with("List")
    {
        return list.items;
    }
    vec![document]
}

/// Returns the byte ranges of the records of the container document at `start` (the shapes
/// [`records_of`] opens) and where the scan resumes, or `None` when the document is not such a
/// container or contains no record. Used when the document does not parse as a whole.
fn container_records(
    skimmer: &mut Skimmer<'_>,
    bytes: &[u8],
    start: usize,
) -> Option<(Vec<Range<usize>>, usize)> {
    let (members, _) = skimmer.object_members(start);
    let has = |key: &[u8]| members.iter().any(|m| m.key == key);
    let is_kubernetes_list = members.iter().any(|m| {
        let value = bytes.get(m.value.clone()).unwrap_or_default();
        m.key == b"kind" && value.starts_with(b"\"") && value.ends_with(b"List\"")
    });
    let path: &[&[u8]] = if has(b"Records") {
        &[b"Records"]
    } else if has(b"hits") {
        &[b"hits", b"hits"]
    } else if has(b"@odata.context") {
        &[b"value"]
    } else if is_kubernetes_list {
        &[b"items"]
    } else {
        return None;
    };
    let array = skimmer.array_at(start, path)?;
    skimmer.container_records(start, array, next_document_start)
}

/// Looks up `path` (`a.b.c`) in `value`, as nested objects, as a literal dotted key, or as a
/// mix of both, which flattened exports of nested documents produce.
pub(crate) fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    if let Some(found) = object.get(path) {
        return Some(found);
    }
    for (cut, _) in path.match_indices('.') {
        if let Some(inner) = path.get(..cut).and_then(|head| object.get(head))
            && let Some(found) = path.get(cut + 1..).and_then(|rest| lookup(inner, rest))
        {
            return Some(found);
        }
    }
    None
}

/// Looks up `path` and returns it as text: strings as they are, numbers and booleans printed.
pub(crate) fn lookup_text(value: &Value, path: &str) -> Option<String> {
    match lookup(value, path)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses a timestamp as RFC 3339, or as `YYYY-MM-DD hh:mm:ss[.f]` (with `T` or a space) taken
/// as UTC, into Unix nanoseconds.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return time.timestamp_nanos_opt();
    }
    let naive = text.strip_suffix(" UTC").unwrap_or(text);
    for layout in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(time) = chrono::NaiveDateTime::parse_from_str(naive, layout) {
            return time.and_utc().timestamp_nanos_opt();
        }
    }
    None
}

/// Adds every scalar and list of scalars in `value` as a field named by its dotted path under
/// `prefix`. Objects nest up to `depth` levels. Deeper objects and lists that contain objects
/// are stored as compact JSON text, and `null` values are left out.
pub(crate) fn add_flattened(builder: &mut EventBuilder, prefix: &str, value: &Value, depth: u32) {
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            builder.field(prefix.to_owned(), *b);
        }
        Value::Number(n) => {
            builder.field(prefix.to_owned(), number_value(n));
        }
        Value::String(s) => {
            builder.field(prefix.to_owned(), s.as_str());
        }
        Value::Array(items) if items.iter().all(is_scalar) => {
            let list: Vec<crate::store::PendingValue> = items
                .iter()
                .filter(|item| !item.is_null())
                .map(scalar_value)
                .collect();
            if !list.is_empty() {
                builder.field(prefix.to_owned(), crate::store::PendingValue::List(list));
            }
        }
        Value::Object(object) if depth > 0 => {
            for (key, inner) in object {
                add_flattened(builder, &format!("{prefix}.{key}"), inner, depth - 1);
            }
        }
        other => {
            builder.field(prefix.to_owned(), other.to_string());
        }
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn scalar_value(value: &Value) -> crate::store::PendingValue {
    match value {
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => number_value(n),
        Value::String(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

fn number_value(n: &serde_json::Number) -> crate::store::PendingValue {
    match n.as_i64() {
        Some(i) => i.into(),
        None => crate::store::PendingValue::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::Platform;

    fn map_any(value: &Value, origin: Origin) -> Result<EventBuilder, String> {
        let name = value.get("n").and_then(Value::as_i64).ok_or("no n")?;
        let mut event = EventBuilder::new(0, "test", Platform::Linux, origin);
        event.field("n", name);
        Ok(event)
    }

    fn scan(text: &str) -> (FileReport, Vec<EventBuilder>) {
        let mut report = FileReport::new("t.json".into(), Format::Json, FileStatus::Loaded);
        let mut events = Vec::new();
        let cancel = AtomicBool::new(false);
        assert!(parse_bytes(
            text.as_bytes(),
            0,
            map_any,
            &cancel,
            &mut report,
            &mut events
        ));
        (report, events)
    }

    fn offsets(events: &[EventBuilder]) -> Vec<(u64, Option<u64>)> {
        events
            .iter()
            .map(|e| (e.origin().record, e.origin().offset))
            .collect()
    }

    #[test]
    fn records_container_gets_element_offsets() {
        let text = "{\"Records\": [\n{\"n\": 1},\n{\"n\": 2}\n]}\n";

        let (report, events) = scan(text);

        assert_eq!(report.records_read, 2);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(offsets(&events), vec![(2, Some(14)), (3, Some(24))]);
    }

    #[test]
    fn search_hits_unwrap_source() {
        let text = r#"{"took": 1, "hits": {"total": 2, "hits": [
            {"_index": "i", "_source": {"n": 1}}, {"_source": {"n": 2}}]}}"#;

        let (report, events) = scan(text);

        assert_eq!(report.records_read, 2);
        assert_eq!(events.len(), 2);
        assert_eq!(offsets(&events)[1].0, 2);
    }

    #[test]
    fn graph_page_yields_values() {
        let text = r#"{"@odata.context": "x", "value": [{"n": 1}, {"n": 2}, {"m": 3}]}"#;

        let (report, events) = scan(text);

        assert_eq!(report.records_read, 3);
        assert_eq!(events.len(), 2);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].message, "no n");
    }

    #[test]
    fn kubernetes_list_yields_items() {
        let text = "{\"kind\": \"EventList\", \"apiVersion\": \"audit.k8s.io/v1\",\n\"items\": [\n{\"n\": 1},\n{\"n\": 2}]}";

        let (report, events) = scan(text);

        assert_eq!(report.records_read, 2);
        assert_eq!(offsets(&events), vec![(3, Some(66)), (4, Some(76))]);
    }

    #[test]
    fn bad_lines_and_scalars_are_counted() {
        let text = "{\"n\": 1}\r\n{oops\r\n[1]\r\n{\"n\": 4}\r\n";

        let (report, events) = scan(text);

        assert_eq!(report.records_read, 3);
        assert_eq!(events.len(), 2);
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].message.starts_with("invalid JSON"));
    }

    #[test]
    fn array_with_scalar_element_is_reported() {
        let (report, events) = scan("[{\"n\": 1}, 7, {\"n\": 2}]");

        assert_eq!(report.records_read, 3);
        assert_eq!(events.len(), 2);
        assert_eq!(report.errors[0].message, "record is not a JSON object");
    }

    #[test]
    fn lookup_mixes_nested_and_dotted_keys() {
        let value = serde_json::json!({"winlog": {"event_data.User": "a"}, "event.code": "1"});

        assert_eq!(
            lookup_text(&value, "winlog.event_data.User").as_deref(),
            Some("a")
        );
        assert_eq!(lookup_text(&value, "event.code").as_deref(), Some("1"));
        assert_eq!(lookup(&value, "winlog.missing"), None);
    }

    #[test]
    fn garbage_input_does_not_panic() {
        for text in [
            "",
            "[",
            "]",
            "{",
            "[,,,]",
            "\"x\"",
            "[1, 2]",
            "}",
            "{\"Records\": 5}",
            "{\"hits\": {\"hits\": [1]}}",
            "\u{feff}[{\"n\":1}] trailing",
        ] {
            let _ = scan(text);
        }
        let deep = "[".repeat(10_000);
        let _ = scan(&deep);
    }
}
