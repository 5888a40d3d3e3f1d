//! Elastic Endpoint (Elastic Defend) events from macOS hosts, as Elasticsearch returns them.
//!
//! A file may hold single hits (`{"_index", "_id", "_source": {…}}`), bare `_source`
//! documents, or whole search and EQL responses (`hits.hits`, `hits.events`,
//! `hits.sequences[].events`), pretty or one per line, and several documents one after
//! another. The events are ECS already, so their fields are kept under their own names.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::json_stream::{self, Document, LineCounter};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use crate::store::{EventBuilder, FileId, Origin, PendingValue, Platform};

/// The ATT&CK log source of Elastic Endpoint events on macOS.
///
/// Elastic's macOS agent collects process and file events through Apple's Endpoint Security
/// framework, which is what ATT&CK's `macos:endpointsecurity` names.
pub(crate) const MACOS_LOG_SOURCE: &str = "macos:endpointsecurity";

/// Maximum nesting depth flattened into fields; deeper values are kept as JSON text.
const MAX_FLATTEN_DEPTH: usize = 32;

/// The hit lists of an Elasticsearch search or EQL response, as borrowed raw JSON so each
/// hit's byte offset in the file is known.
#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow)]
    hits: Hits<'a>,
}

#[derive(Deserialize)]
struct Hits<'a> {
    #[serde(borrow, default)]
    hits: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    events: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    sequences: Vec<Sequence<'a>>,
}

#[derive(Deserialize)]
struct Sequence<'a> {
    #[serde(borrow, default)]
    events: Vec<&'a RawValue>,
}

/// Parses the file at `path` (gzip or not). Returns `false` when `cancel` stopped it early.
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

/// Parses every hit of every document of `bytes` into an event.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut empty_responses = 0u64;
    // A response that does not parse as a whole is split into its hits, so one bad hit costs
    // only itself.
    let containers: [&[&[u8]]; 2] = [&[b"hits", b"hits"], &[b"hits", b"events"]];
    let finished = json_stream::scan_containers(
        bytes,
        cancel,
        report,
        &containers,
        |document, lines, report| {
            let is_response = document_is_response(&document);
            if !is_response {
                report.records_read += 1;
                let origin = Origin {
                    file,
                    record: document.line,
                    offset: Some(document.offset as u64),
                };
                match map_hit_text(document.text, origin, document.line) {
                    Ok(event) => events.push(event),
                    Err(message) => report.push_error(document.location(), message),
                }
                return;
            }
            match serde_json::from_slice::<Response<'_>>(document.text) {
                Ok(response) => {
                    let hits: Vec<&RawValue> = response
                        .hits
                        .hits
                        .into_iter()
                        .chain(response.hits.events)
                        .chain(response.hits.sequences.into_iter().flat_map(|s| s.events))
                        .collect();
                    if hits.is_empty() {
                        empty_responses += 1;
                    }
                    for hit in hits {
                        map_nested_hit(hit, &document, file, lines, report, events);
                    }
                }
                Err(err) => {
                    report.records_read += 1;
                    let message = json_stream::json_error_message(&err, document.line);
                    report.push_error(document.location(), message);
                }
            }
        },
    );
    if empty_responses > 0 {
        report.notes.push(format!(
            "{empty_responses} Elasticsearch responses contained no hits"
        ));
    }
    finished
}

/// Returns whether a document is a search or EQL response rather than one hit: its
/// top-level `hits` is an object.
fn document_is_response(document: &Document<'_>) -> bool {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        hits: Option<&'a RawValue>,
    }
    serde_json::from_slice::<Probe<'_>>(document.text)
        .ok()
        .and_then(|probe| probe.hits)
        .is_some_and(|hits| hits.get().trim_start().starts_with('{'))
}

fn map_nested_hit(
    hit: &RawValue,
    document: &Document<'_>,
    file: FileId,
    lines: &mut LineCounter<'_>,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) {
    report.records_read += 1;
    let offset = lines
        .offset_of(hit.get().as_bytes())
        .unwrap_or(document.offset);
    let line = lines.line_at(offset);
    let origin = Origin {
        file,
        record: line,
        offset: Some(offset as u64),
    };
    match map_hit_text(hit.get().as_bytes(), origin, line) {
        Ok(event) => events.push(event),
        Err(message) => {
            let location = Location::Line {
                line,
                offset: offset as u64,
            };
            report.push_error(location, message);
        }
    }
}

fn map_hit_text(text: &[u8], origin: Origin, line: u64) -> Result<EventBuilder, String> {
    let value: Value =
        serde_json::from_slice(text).map_err(|err| json_stream::json_error_message(&err, line))?;
    map_hit(&value, origin)
}

/// Maps one hit or `_source` document to an event.
fn map_hit(value: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let source = match value.get("_source") {
        Some(source) => source,
        None => value,
    };
    let Value::Object(fields) = source else {
        return Err("record is not a JSON object".to_owned());
    };

    let time = fields
        .get("@timestamp")
        .and_then(Value::as_str)
        .ok_or("missing @timestamp text")?;
    let timestamp = chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .ok_or_else(|| format!("invalid @timestamp {time:?}: expected RFC 3339"))?;

    let os = ["type", "platform", "family"]
        .iter()
        .find_map(|key| source.pointer(&format!("/host/os/{key}"))?.as_str())
        .unwrap_or_default();
    // NOTE: only macOS hosts are mapped, because ATT&CK names no log source for Elastic
    // Endpoint events from Linux or Windows hosts that this module could defend.
    if !os.eq_ignore_ascii_case("macos") && !os.eq_ignore_ascii_case("darwin") {
        return Err(format!(
            "host.os is {os:?}, not macOS; only Elastic Endpoint events from macOS are mapped"
        ));
    }

    let mut builder = EventBuilder::new(timestamp, MACOS_LOG_SOURCE, Platform::MacOs, origin);
    for (key, child) in fields {
        if key != "@timestamp" {
            flatten(&mut builder, key, child, 0);
        }
    }
    if let Some(index) = value.get("_index").and_then(Value::as_str) {
        builder.field("elasticsearch.index", index);
    }
    if let Some(id) = value.get("_id").and_then(Value::as_str) {
        builder.field("elasticsearch.id", id);
    }
    Ok(builder)
}

/// Adds `value` under the dotted name `name`: objects recurse, arrays of scalars become
/// lists, and arrays of objects are kept as JSON text.
fn flatten(builder: &mut EventBuilder, name: &str, value: &Value, depth: usize) {
    match value {
        Value::Object(children) if depth < MAX_FLATTEN_DEPTH => {
            for (key, child) in children {
                flatten(builder, &format!("{name}.{key}"), child, depth + 1);
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                return;
            }
            let scalars: Option<Vec<PendingValue>> = items.iter().map(scalar).collect();
            match scalars {
                Some(list) => builder.field(name.to_owned(), PendingValue::List(list)),
                None => builder.field(name.to_owned(), value.to_string()),
            };
        }
        other => {
            if let Some(scalar) = scalar(other) {
                builder.field(name.to_owned(), scalar);
            } else if !other.is_null() {
                builder.field(name.to_owned(), other.to_string());
            }
        }
    }
}

fn scalar(value: &Value) -> Option<PendingValue> {
    match value {
        Value::String(s) => Some(PendingValue::Str(s.clone())),
        Value::Bool(b) => Some(PendingValue::Bool(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(PendingValue::Int(i)),
            None => n.as_f64().map(PendingValue::Float),
        },
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Returns whether `text` (the start of a file) looks like Elastic Endpoint JSON: a JSON
/// document that names an endpoint data stream or dataset.
pub(crate) fn looks_like_elastic_endpoint(text: &str) -> bool {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return false;
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("logs-endpoint.events.")
        || compact.contains("\"dataset\":\"endpoint.events.")
        || compact.contains("\"module\":\"endpoint\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};

    const SOURCE: &str = concat!(
        r#"{"@timestamp":"2021-01-04T09:04:24.385516Z","process":{"name":"security","#,
        r#""args":["security","dump-keychain"],"pid":1221,"Ext":{"ancestry":[]}},"#,
        r#""event":{"category":["process"],"action":"exec","module":"endpoint"},"#,
        r#""host":{"os":{"family":"macos"},"name":"mac"},"score":0.5,"x":null}"#
    );

    fn load(text: &str) -> (FileReport, EventStore) {
        let mut report = FileReport::new("e.json".into(), Format::Json, FileStatus::Loaded);
        let mut events = Vec::new();
        let finished = parse_bytes(
            text.as_bytes(),
            0,
            &AtomicBool::new(false),
            &mut report,
            &mut events,
        );
        assert!(finished);
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "e.json".into(),
            format: "elastic-endpoint",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
    }

    #[test]
    fn bare_source_keeps_ecs_fields() {
        let (report, store) = load(SOURCE);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.log_source(0), "macos:endpointsecurity");
        assert_eq!(store.events()[0].platform, Platform::MacOs);
        assert_eq!(
            store.field(0, "process.name"),
            Some(ValueRef::Str("security"))
        );
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(1221)));
        assert!(store.field(0, "process.args").is_some());
        assert!(store.field(0, "process.Ext.ancestry").is_none());
        assert!(store.field(0, "score").is_some());
        assert!(store.field(0, "x").is_none());
    }

    #[test]
    fn eql_response_hits_are_located() {
        let text = format!(
            "{{\n  \"hits\" : {{\n    \"events\" : [\n      {{\"_id\": \"a\", \"_source\": {SOURCE}}},\n      {{\"_id\": \"b\", \"_source\": {{}}}}\n    ]\n  }}\n}}\n"
        );

        let (report, store) = load(&text);

        assert_eq!(report.records_read, 2);
        assert_eq!(store.len(), 1);
        assert_eq!(store.events()[0].origin().record, 4);
        let first = text.find("{\"_id\": \"a\"").unwrap() as u64;
        assert_eq!(store.events()[0].origin().offset, Some(first));
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 5,
                offset: (text.find("{\"_id\": \"b\"").unwrap()) as u64
            }
        );
    }

    #[test]
    fn empty_response_is_noted() {
        let (report, store) = load("{\"hits\": {\"total\": {\"value\": 0}, \"events\": []}}");

        assert_eq!(store.len(), 0);
        assert_eq!(report.records_read, 0);
        assert_eq!(report.notes.len(), 1);
    }

    #[test]
    fn other_hosts_and_bad_hits_are_reported() {
        let linux = SOURCE.replace("macos", "linux");
        let text = format!(
            "{linux}\n{{\"@timestamp\": \"yesterday\", \"host\": {{\"os\": {{\"type\": \"macos\"}}}}}}\n[1]\n{{\"hits\": {{\"hits\": 3}}}}\n"
        );

        let (report, store) = load(&text);

        assert_eq!(store.len(), 0);
        assert_eq!(report.records_read, 4);
        assert_eq!(report.errors.len(), 4);
        assert!(report.errors[0].message.contains("not macOS"));
    }

    #[test]
    fn detection_needs_endpoint_dataset() {
        assert!(looks_like_elastic_endpoint(
            "{\n\t\"_index\": \".ds-logs-endpoint.events.process-default-000002\""
        ));
        assert!(looks_like_elastic_endpoint(
            "{\"event\" : {\"module\" : \"endpoint\"}}"
        ));
        assert!(!looks_like_elastic_endpoint(
            "{\"event\": {\"module\": \"system\"}}"
        ));
        assert!(!looks_like_elastic_endpoint("logs-endpoint.events."));
    }
}
