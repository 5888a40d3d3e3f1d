//! systemd journal entries exported with `journalctl -o json`: one object per line, every
//! value a string, except a `MESSAGE` that is not valid UTF-8, which journald writes as an
//! array of byte values.
//!
//! Each entry becomes a `linux:syslog` event. Messages of sshd, sudo, su, cron, useradd and
//! groupadd, chosen by `SYSLOG_IDENTIFIER`, get the fields of the syslog parsers.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value};

use super::json_stream::{self, Document};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::syslog::{LOG_SOURCE, map_auth_message};
use crate::store::{EventBuilder, FileId, Origin, Platform};

/// Journal fields copied to ECS fields, as text.
const TEXT_FIELDS: &[(&str, &str)] = &[
    ("_HOSTNAME", "host.hostname"),
    ("_HOSTNAME", "host.name"),
    ("_COMM", "process.name"),
    ("_EXE", "process.executable"),
    ("_CMDLINE", "process.command_line"),
    ("_UID", "user.id"),
    ("_GID", "user.group.id"),
    ("SYSLOG_IDENTIFIER", "log.syslog.appname"),
    ("_SYSTEMD_UNIT", "systemd.unit"),
    ("_TRANSPORT", "journald.transport"),
];

/// Journal fields copied to ECS fields, as integers.
const INTEGER_FIELDS: &[(&str, &str)] = &[
    ("_PID", "process.pid"),
    ("PRIORITY", "log.syslog.severity.code"),
    ("SYSLOG_FACILITY", "log.syslog.facility.code"),
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

/// Parses every entry of `bytes` into an event.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    json_stream::scan(bytes, cancel, report, |document, _, report| {
        report.records_read += 1;
        match map_entry(&document, file) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(document.location(), message),
        }
    })
}

fn map_entry(document: &Document<'_>, file: FileId) -> Result<EventBuilder, String> {
    let entry: Value = serde_json::from_slice(document.text)
        .map_err(|err| json_stream::json_error_message(&err, document.line))?;
    let Value::Object(fields) = entry else {
        return Err("entry is not a JSON object".to_owned());
    };
    let realtime = text(&fields, "__REALTIME_TIMESTAMP").ok_or("missing __REALTIME_TIMESTAMP")?;
    // __REALTIME_TIMESTAMP is microseconds since the Unix epoch.
    let timestamp = realtime
        .parse::<i64>()
        .ok()
        .and_then(|micros| micros.checked_mul(1000))
        .ok_or_else(|| {
            format!("invalid __REALTIME_TIMESTAMP {realtime:?}: expected microseconds")
        })?;
    let origin = Origin {
        file,
        record: document.line,
        offset: Some(document.offset as u64),
    };

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::Linux, origin);
    builder.field("event.kind", "event");
    builder.field("event.module", "system");
    for (name, target) in TEXT_FIELDS {
        if let Some(value) = text(&fields, name) {
            builder.field(*target, value);
        }
    }
    for (name, target) in INTEGER_FIELDS {
        if let Some(value) = text(&fields, name).and_then(|v| v.parse::<i64>().ok()) {
            builder.field(*target, value);
        }
    }
    let message = message(&fields);
    builder.field("message", message.as_str());
    for (name, value) in &fields {
        if let Some(value) = value.as_str() {
            builder.field(format!("journald.fields.{name}"), value);
        }
    }

    let program = text(&fields, "SYSLOG_IDENTIFIER").or_else(|| text(&fields, "_COMM"));
    let dataset = if map_auth_message(&mut builder, program.as_deref(), &message) {
        "system.auth"
    } else {
        "system.syslog"
    };
    builder.field("event.dataset", dataset);
    Ok(builder)
}

/// Returns the text of a field. journald exports a field that occurs twice as an array, and
/// then the first value is returned.
fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.first().and_then(Value::as_str).map(str::to_owned),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Returns `MESSAGE` as text: a string as is, a byte array decoded as UTF-8 with invalid bytes
/// replaced, and a `null` (journald's output for a message too large to export) as empty.
fn message(fields: &Map<String, Value>) -> String {
    match fields.get("MESSAGE") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            let bytes: Vec<u8> = items
                .iter()
                .filter_map(Value::as_u64)
                .filter_map(|b| u8::try_from(b).ok())
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => String::new(),
    }
}

/// Returns whether `text` (the start of a file) looks like `journalctl -o json` output.
pub(crate) fn looks_like_journald(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && (text.contains("\"__REALTIME_TIMESTAMP\"") || text.contains("\"__CURSOR\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;

    fn scan(text: &str) -> (FileReport, Vec<EventBuilder>) {
        let mut report = FileReport::new("j.json".into(), Format::Json, FileStatus::Loaded);
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
    fn bad_timestamps_are_located() {
        let text = concat!(
            "{\"__REALTIME_TIMESTAMP\":\"x\"}\n",
            "{\"__REALTIME_TIMESTAMP\":\"99999999999999999999\"}\n",
            "{\"MESSAGE\":\"no time\"}\n",
            "[]\n"
        );

        let (report, events) = scan(text);

        assert!(events.is_empty());
        assert_eq!(report.records_read, 4);
        assert_eq!(report.errors.len(), 4);
        assert_eq!(
            report.errors[1].location,
            Location::Line {
                line: 2,
                offset: 29
            }
        );
    }

    #[test]
    fn repeated_field_takes_first_value() {
        let (_, events) =
            scan("{\"__REALTIME_TIMESTAMP\":\"1\",\"_COMM\":[\"a\",\"b\"],\"MESSAGE\":null}\n");

        let fields = events[0].pending_fields();
        assert!(
            fields
                .iter()
                .any(|(n, v)| n == "process.name" && *v == "a".into())
        );
        assert_eq!(events[0].timestamp(), 1000);
    }

    #[test]
    fn detection_needs_journal_fields() {
        assert!(looks_like_journald(
            "{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"1\"}"
        ));
        assert!(!looks_like_journald("{\"MESSAGE\":\"x\"}"));
        assert!(!looks_like_journald("__CURSOR"));
    }
}
