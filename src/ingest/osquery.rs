//! osquery result logs, as osqueryd's filesystem logger writes them.
//!
//! Each line is a JSON object with `name`, `hostIdentifier`, `unixTime`, `calendarTime` and
//! `decorations`. Its rows are `columns` with `action` `added` or `removed` (event format),
//! `snapshot` rows, or `diffResults` with `added` and `removed` rows (batch format).
//!
//! Each row becomes one event with log source `linux:osquery` or `macos:osquery`, chosen from
//! the platform that the decorations or a top-level `platform` field name.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value};

use super::json_stream::{self, Document};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use crate::store::{EventBuilder, FileId, Origin, Platform};

/// Keys, in decorations or at the top level of a result, that name the host's platform.
/// `platform` and `platform_like` are the `os_version` columns that decorator queries
/// usually select.
const PLATFORM_KEYS: &[&str] = &["platform", "os_platform", "platform_like", "os_name", "os"];

/// Result columns copied to ECS fields as text, with the ECS name.
const TEXT_COLUMNS: &[(&str, &str)] = &[
    ("cmdline", "process.command_line"),
    ("username", "user.name"),
    ("user", "user.name"),
    ("uid", "user.id"),
    ("gid", "user.group.id"),
    ("remote_address", "destination.ip"),
    ("local_address", "source.ip"),
    ("sha256", "file.hash.sha256"),
    ("md5", "file.hash.md5"),
    ("sha1", "file.hash.sha1"),
    ("cwd", "process.working_directory"),
];

/// Result columns copied to ECS fields as integers, with the ECS name.
const INTEGER_COLUMNS: &[(&str, &str)] = &[
    ("pid", "process.pid"),
    ("parent", "process.parent.pid"),
    ("remote_port", "destination.port"),
    ("local_port", "source.port"),
];

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

/// Parses every row of every result of `bytes` into an event.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut without_platform = 0u64;
    let finished = json_stream::scan(bytes, cancel, report, |document, _, report| {
        let result = match parse_result(&document) {
            Ok(result) => result,
            Err(message) => {
                report.records_read += 1;
                report.push_error(document.location(), message);
                return;
            }
        };
        let rows = rows(&result);
        if rows.is_empty() {
            report.records_read += 1;
            report.push_error(
                document.location(),
                "result has no `columns`, `snapshot` or `diffResults` rows",
            );
            return;
        }
        let platform = platform(&result);
        if platform.is_none() {
            without_platform += rows.len() as u64;
        }
        for (action, row) in rows {
            report.records_read += 1;
            match map_row(&result, action, row, platform.clone(), &document, file) {
                Ok(event) => events.push(event),
                Err(message) => report.push_error(document.location(), message),
            }
        }
    });
    if without_platform > 0 {
        report.notes.push(format!(
            "{without_platform} osquery rows name no platform in their decorations or a `platform` field; they were read as Linux"
        ));
    }
    finished
}

fn parse_result(document: &Document<'_>) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_slice(document.text)
        .map_err(|err| json_stream::json_error_message(&err, document.line))?;
    match value {
        Value::Object(result) => Ok(result),
        _ => Err("result is not a JSON object".to_owned()),
    }
}

/// Returns the rows of a result, each with its action: `added` or `removed` for event and batch
/// results, `snapshot` for snapshot rows.
fn rows(result: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut rows = Vec::new();
    if let Some(columns) = result.get("columns") {
        let action = result
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or("added");
        rows.push((action.to_owned(), columns));
    }
    if let Some(Value::Array(snapshot)) = result.get("snapshot") {
        rows.extend(snapshot.iter().map(|row| ("snapshot".to_owned(), row)));
    }
    if let Some(Value::Object(diff)) = result.get("diffResults") {
        for action in ["added", "removed"] {
            if let Some(Value::Array(items)) = diff.get(action) {
                rows.extend(items.iter().map(|row| (action.to_owned(), row)));
            }
        }
    }
    rows
}

/// Returns the platform that the result's decorations or top-level fields name, `None` when
/// none is named, and `Some(Err(name))` for a platform ATT&CK has no
/// osquery log source for.
fn platform(result: &Map<String, Value>) -> Option<Result<Platform, String>> {
    let decorations = result.get("decorations").and_then(Value::as_object);
    let name = PLATFORM_KEYS.iter().find_map(|key| {
        decorations
            .and_then(|d| d.get(*key))
            .or_else(|| result.get(*key))
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
    })?;
    let lower = name.to_ascii_lowercase();
    let platform = if lower.contains("darwin") || lower.contains("mac") {
        Ok(Platform::MacOs)
    } else if lower.contains("windows") {
        Err(name.to_owned())
    } else {
        // `os_version.platform` names the Linux distribution (`ubuntu`, `rhel`, `debian`…).
        Ok(Platform::Linux)
    };
    Some(platform)
}

fn map_row(
    result: &Map<String, Value>,
    action: String,
    row: &Value,
    platform: Option<Result<Platform, String>>,
    document: &Document<'_>,
    file: FileId,
) -> Result<EventBuilder, String> {
    let Value::Object(columns) = row else {
        return Err("result row is not a JSON object".to_owned());
    };
    let platform = match platform {
        Some(Ok(platform)) => platform,
        None => Platform::Linux,
        Some(Err(name)) => {
            return Err(format!(
                "osquery result from a {name:?} host; ATT&CK names osquery log sources only for Linux and macOS"
            ));
        }
    };
    let log_source = match platform {
        Platform::MacOs => "macos:osquery",
        _ => "linux:osquery",
    };
    let timestamp = timestamp(result)?;
    let origin = Origin {
        file,
        record: document.line,
        offset: Some(document.offset as u64),
    };

    let mut builder = EventBuilder::new(timestamp, log_source, platform, origin);
    builder.field("event.kind", "event");
    builder.field("event.module", "osquery");
    builder.field("event.dataset", "osquery.result");
    builder.field("event.action", action.as_str());
    builder.field("osquery.result.action", action);
    if let Some(name) = result.get("name").and_then(Value::as_str) {
        builder.field("osquery.result.name", name);
        builder.field("rule.name", name);
    }
    if let Some(host) = result.get("hostIdentifier").and_then(Value::as_str) {
        builder.field("osquery.result.host_identifier", host);
        builder.field("host.name", host);
        builder.field("host.hostname", host);
    }
    if let Some(Value::Object(decorations)) = result.get("decorations") {
        for (key, value) in decorations {
            if let Some(text) = scalar_text(value) {
                builder.field(format!("osquery.result.decorations.{key}"), text);
            }
        }
    }
    for (key, value) in columns {
        if let Some(text) = scalar_text(value) {
            builder.field(format!("osquery.result.columns.{key}"), text);
        }
    }
    add_ecs_columns(&mut builder, columns);
    Ok(builder)
}

/// Adds ECS fields for the columns common to process, socket, user and file tables.
fn add_ecs_columns(builder: &mut EventBuilder, columns: &Map<String, Value>) {
    let column = |name: &str| {
        columns
            .get(name)
            .and_then(scalar_text)
            .filter(|t| !t.is_empty())
    };
    for (name, target) in TEXT_COLUMNS {
        if let Some(text) = column(name) {
            builder.field(*target, text);
        }
    }
    for (name, target) in INTEGER_COLUMNS {
        if let Some(number) = column(name).and_then(|t| t.parse::<i64>().ok()) {
            builder.field(*target, number);
        }
    }
    // `path` is the executable in process tables, which have a pid, and a file elsewhere.
    if let Some(path) = column("path") {
        let is_process = columns.contains_key("pid") || columns.contains_key("cmdline");
        let (path_field, name_field) = if is_process {
            ("process.executable", "process.name")
        } else {
            ("file.path", "file.name")
        };
        let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
        builder.field(path_field, path);
        builder.field(name_field, name);
    }
}

/// `unixTime` (seconds, a number or a string), else `calendarTime`
/// (`Tue May  7 10:11:12 2024 UTC`).
fn timestamp(result: &Map<String, Value>) -> Result<i64, String> {
    let unix = result.get("unixTime").and_then(|value| match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    if let Some(seconds) = unix {
        return seconds
            .checked_mul(1_000_000_000)
            .ok_or_else(|| format!("invalid unixTime {seconds}: out of range"));
    }
    let calendar = result
        .get("calendarTime")
        .and_then(Value::as_str)
        .ok_or("missing unixTime and calendarTime")?;
    chrono::NaiveDateTime::parse_from_str(calendar, "%a %b %e %H:%M:%S %Y UTC")
        .ok()
        .and_then(|time| time.and_utc().timestamp_nanos_opt())
        .ok_or_else(|| format!("invalid calendarTime {calendar:?}"))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Returns whether `text` (the start of a file) looks like an osquery result log.
pub(crate) fn looks_like_osquery(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && text.contains("\"hostIdentifier\"")
        && (text.contains("\"columns\"")
            || text.contains("\"snapshot\"")
            || text.contains("\"diffResults\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;

    fn scan(text: &str) -> (FileReport, Vec<EventBuilder>) {
        let mut report = FileReport::new("o.log".into(), Format::Json, FileStatus::Loaded);
        let mut events = Vec::new();
        let finished = parse_bytes(
            text.as_bytes(),
            0,
            &AtomicBool::new(false),
            &mut report,
            &mut events,
        );
        assert!(finished);
        (report, events)
    }

    #[test]
    fn bad_results_are_located() {
        let text = concat!(
            "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"columns\":{}}\n",
            "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"unixTime\":1}\n",
            "{\"unixTime\":1,\"snapshot\":[1,{}],\"decorations\":{\"platform\":\"windows\"}}\n",
            "[]\n"
        );

        let (report, events) = scan(text);

        assert!(events.is_empty());
        assert_eq!(report.records_read, 5);
        assert_eq!(report.errors.len(), 5);
        assert!(report.errors[0].message.contains("unixTime"));
        assert!(report.errors[4].message.contains("not a JSON object"));
        assert!(report.errors[3].message.contains("windows"));
    }

    #[test]
    fn calendar_time_without_unix_time() {
        let text = "{\"calendarTime\":\"Tue May  7 10:11:12 2024 UTC\",\"columns\":{\"a\":\"1\"}}";

        let (report, events) = scan(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(events[0].timestamp(), 1_715_076_672_000_000_000);
        assert_eq!(report.notes.len(), 1);
    }

    #[test]
    fn detection_needs_result_fields() {
        assert!(looks_like_osquery(
            "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"columns\":{}}"
        ));
        assert!(!looks_like_osquery("{\"columns\":{}}"));
    }
}
