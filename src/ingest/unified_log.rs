//! The macOS unified log as Apple's `log show` and `log stream` print it with
//! `--style ndjson` (one object per line) or `--style json` (an array of objects).
//!
//! Each entry becomes a `macos:unifiedlog` event. The `{"count":…,"finished":1}` summary line
//! that ends ndjson output is not a log entry: it is counted in the file's notes.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value};

use super::json_stream::{self, Document};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::syslog::map_auth_message;
use crate::store::{EventBuilder, FileId, Origin, PendingValue, Platform};

#[path = "unified_log_messages.rs"]
mod messages;

/// The ATT&CK log source of unified log entries.
pub(crate) const LOG_SOURCE: &str = "macos:unifiedlog";

/// The layout of `timestamp`, such as `2024-05-01 10:11:12.123456-0700`: local time with the
/// UTC offset of the Mac that logged it.
const TIMESTAMP_LAYOUT: &str = "%Y-%m-%d %H:%M:%S%.f%z";

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
    let mut summaries = 0u64;
    let finished = json_stream::scan(bytes, cancel, report, |document, _, report| {
        let entry: Value = match serde_json::from_slice(document.text) {
            Ok(entry) => entry,
            Err(err) => {
                report.records_read += 1;
                let message = json_stream::json_error_message(&err, document.line);
                report.push_error(document.location(), message);
                return;
            }
        };
        if is_summary(&entry) {
            summaries += 1;
            return;
        }
        report.records_read += 1;
        match map_entry(&entry, &document, file) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(document.location(), message),
        }
    });
    if summaries > 0 {
        report.notes.push(format!(
            "{summaries} `log` summary lines ({{\"count\":…,\"finished\":…}}) were not read as entries"
        ));
    }
    finished
}

/// Returns whether `entry` is the summary line `log show --style ndjson` ends with.
// NOTE: the summary's shape is taken from memory of `log` output, not from a capture of it.
fn is_summary(entry: &Value) -> bool {
    let Value::Object(fields) = entry else {
        return false;
    };
    fields.contains_key("finished") && fields.keys().all(|k| k == "count" || k == "finished")
}

fn map_entry(entry: &Value, document: &Document<'_>, file: FileId) -> Result<EventBuilder, String> {
    let Value::Object(fields) = entry else {
        return Err("entry is not a JSON object".to_owned());
    };
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let time = text("timestamp").ok_or("missing timestamp")?;
    let timestamp = chrono::DateTime::parse_from_str(time, TIMESTAMP_LAYOUT)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .ok_or_else(|| {
            format!("invalid timestamp {time:?}: expected YYYY-MM-DD hh:mm:ss.ffffff+hhmm")
        })?;
    let origin = Origin {
        file,
        record: document.line,
        offset: Some(document.offset as u64),
    };

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::MacOs, origin);
    builder.field("event.kind", "event");
    let message = text("eventMessage").unwrap_or_default();
    builder.field("message", message);
    // launchd's spawn entries describe the program it started, so launchd is the parent.
    let logger = match messages::launchd_spawn(text("subsystem"), message) {
        Some(_) => "process.parent",
        None => "process",
    };
    let process_name = text("processImagePath").map(|path| {
        builder.field(format!("{logger}.executable"), path);
        let name = path.rsplit('/').next().unwrap_or(path);
        builder.field(format!("{logger}.name"), name);
        name
    });
    if let Some(pid) = fields.get("processID").and_then(Value::as_i64) {
        builder.field(format!("{logger}.pid"), pid);
    }
    if let Some(thread) = fields.get("threadID").and_then(Value::as_i64) {
        builder.field("process.thread.id", thread);
    }
    if let Some(user) = fields.get("userID").and_then(Value::as_i64) {
        builder.field("user.id", user.to_string());
    }
    if let Some(level) = text("messageType") {
        builder.field("log.level", level.to_ascii_lowercase());
    }
    if let Some(subsystem) = text("subsystem") {
        builder.field("event.provider", subsystem);
    }
    if let Some(boot) = text("bootUUID") {
        builder.field("host.boot.id", boot);
    }
    // The image that wrote the entry: the program itself, or a library or framework it loaded.
    if let Some(sender) = text("senderImagePath") {
        builder.field("dll.path", sender);
        builder.field("dll.name", sender.rsplit('/').next().unwrap_or(sender));
    }
    add_original_fields(&mut builder, fields);

    // sudo and sshd log the same messages as on Linux, so the syslog parsers read them.
    map_auth_message(&mut builder, process_name, message);
    messages::map_message(
        &mut builder,
        text("subsystem"),
        text("category"),
        process_name,
        message,
    );
    let has_action = builder
        .pending_fields()
        .iter()
        .any(|(name, _)| name == "event.action");
    if !has_action && let Some(action) = action(text("subsystem"), text("category")) {
        builder.field("event.action", action);
    }
    Ok(builder)
}

/// `event.action`: `subsystem/category`, or whichever of the two is set.
fn action(subsystem: Option<&str>, category: Option<&str>) -> Option<String> {
    match (subsystem, category) {
        (Some(subsystem), Some(category)) => Some(format!("{subsystem}/{category}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// Keeps every scalar field of the entry under `unified_log.<name>`, with Apple's names.
fn add_original_fields(builder: &mut EventBuilder, fields: &Map<String, Value>) {
    for (name, value) in fields {
        let value = match value {
            Value::String(s) => PendingValue::Str(s.clone()),
            Value::Bool(b) => PendingValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => PendingValue::Int(i),
                None => PendingValue::Str(n.to_string()),
            },
            Value::Null | Value::Array(_) | Value::Object(_) => continue,
        };
        builder.field(format!("unified_log.{name}"), value);
    }
}

/// Returns whether `text` (the start of a file) looks like `log show` JSON output: a JSON
/// object or array whose first entry names `processImagePath` and `machTimestamp` or
/// `eventType`.
pub(crate) fn looks_like_unified_log(text: &str) -> bool {
    let trimmed = text.trim_start();
    (trimmed.starts_with('{') || trimmed.starts_with('['))
        && text.contains("\"processImagePath\"")
        && (text.contains("\"machTimestamp\"") || text.contains("\"eventType\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn load(text: &str) -> (FileReport, EventStore) {
        let mut report = FileReport::new("u.json".into(), Format::Json, FileStatus::Loaded);
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
            path: "u.json".into(),
            format: "unified-log",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
    }

    #[test]
    fn entry_maps_process_and_action() {
        let line = concat!(
            r#"{"eventMessage":"hi","subsystem":"com.apple.TCC","category":"access","#,
            r#""processImagePath":"\/usr\/libexec\/tccd","processID":180,"messageType":"Error","#,
            r#""timestamp":"2024-05-01 10:11:12.5-0700","userID":501}"#
        );

        let (report, store) = load(line);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.log_source(0), "macos:unifiedlog");
        assert_eq!(
            store.events()[0].timestamp,
            chrono::DateTime::parse_from_rfc3339("2024-05-01T17:11:12.5Z")
                .unwrap()
                .timestamp_nanos_opt()
                .unwrap()
        );
        assert_eq!(store.field(0, "process.name"), Some(ValueRef::Str("tccd")));
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("com.apple.TCC/access"))
        );
        assert_eq!(store.field(0, "log.level"), Some(ValueRef::Str("error")));
        assert_eq!(store.field(0, "user.id"), Some(ValueRef::Str("501")));
    }

    #[test]
    fn boot_and_sender_image() {
        let line = concat!(
            r#"{"eventMessage":"x","subsystem":"com.apple.network","category":"boringssl","#,
            r#""processImagePath":"\/usr\/bin\/curl","processID":880,"#,
            r#""senderImagePath":"\/usr\/lib\/libboringssl.dylib","#,
            r#""bootUUID":"218031E6-E47F-4A77-B7FC-5A57B049F4BC","#,
            r#""timestamp":"2024-05-01 10:11:12.5-0700"}"#
        );

        let (report, store) = load(line);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(
            store.field(0, "host.boot.id"),
            Some(ValueRef::Str("218031E6-E47F-4A77-B7FC-5A57B049F4BC"))
        );
        assert_eq!(
            store.field(0, "dll.path"),
            Some(ValueRef::Str("/usr/lib/libboringssl.dylib"))
        );
        assert_eq!(
            store.field(0, "dll.name"),
            Some(ValueRef::Str("libboringssl.dylib"))
        );
    }

    #[test]
    fn launchd_spawn_makes_launchd_the_parent() {
        let line = concat!(
            r#"{"eventMessage":"[gui\/501\/com.example.agent [4233]:] Successfully spawned "#,
            r#"agent[4233] because ipc (mach)","subsystem":"com.apple.xpc.launchd","#,
            r#""category":"","processImagePath":"\/sbin\/launchd","processID":1,"userID":0,"#,
            r#""timestamp":"2024-05-01 10:11:12.5-0700"}"#
        );

        let (report, store) = load(line);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.field(0, "process.name"), Some(ValueRef::Str("agent")));
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(4233)));
        assert_eq!(store.field(0, "process.executable"), None);
        assert_eq!(
            store.field(0, "process.parent.executable"),
            Some(ValueRef::Str("/sbin/launchd"))
        );
        assert_eq!(store.field(0, "process.parent.pid"), Some(ValueRef::Int(1)));
        assert_eq!(store.field(0, "user.id"), Some(ValueRef::Str("501")));
    }

    #[test]
    fn bad_entries_are_located() {
        let text = concat!(
            "{\"timestamp\":\"2024-05-01T10:11:12Z\"}\n",
            "{\"eventMessage\":\"no time\"}\n",
            "[]\n",
            "{\"count\":0,\"finished\":1}\n"
        );

        let (report, store) = load(text);

        assert_eq!(store.len(), 0);
        assert_eq!(report.records_read, 3);
        assert_eq!(report.errors.len(), 3);
        assert_eq!(report.notes.len(), 1);
        assert_eq!(
            report.errors[1].location,
            Location::Line {
                line: 2,
                offset: 37
            }
        );
    }

    #[test]
    fn detection_needs_apple_fields() {
        assert!(looks_like_unified_log(
            "[{\n  \"traceID\" : 1,\n  \"eventType\" : \"logEvent\",\n  \"processImagePath\" : \"\\/x\""
        ));
        assert!(!looks_like_unified_log("{\"processImagePath\": \"/x\"}"));
        assert!(!looks_like_unified_log("processImagePath machTimestamp"));
    }
}
