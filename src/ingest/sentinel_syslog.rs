//! Microsoft Sentinel `Syslog` table exports: one JSON object per line with `SyslogMessage`,
//! `ProcessName`, `HostName` and `EventTime`.
//!
//! A message that is a Sysmon for Linux `<Event>` document becomes a `linux:Sysmon` event;
//! any other message is mapped like a syslog line (`linux:syslog`, with the sshd and sudo
//! fields of [`super::syslog`]).

use std::path::Path;
use std::sync::atomic::AtomicBool;

use chrono::DateTime;
use serde_json::Value;

use super::json_stream::{self, Document};
use super::raw::{RawError, read_json_document};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::syslog::{SyslogLine, map_line};
use super::sysmon_linux::{is_sysmon_xml, map_sysmon_xml};
use crate::store::{EventBuilder, FileId, Origin};

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

/// Parses every exported row of `bytes` into an event.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    json_stream::scan(bytes, cancel, report, |document, _, report| {
        report.records_read += 1;
        match map_row(&document, file) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(document.location(), message),
        }
    })
}

fn map_row(document: &Document<'_>, file: FileId) -> Result<EventBuilder, String> {
    let row: Value = serde_json::from_slice(document.text)
        .map_err(|err| json_stream::json_error_message(&err, document.line))?;
    let message = row
        .get("SyslogMessage")
        .and_then(Value::as_str)
        .ok_or("row has no SyslogMessage text; it is not a Sentinel Syslog row")?;
    let origin = Origin {
        file,
        record: document.line,
        offset: Some(document.offset as u64),
    };
    let text = |name: &str| {
        row.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };

    let mut event = if is_sysmon_xml(message) {
        map_sysmon_xml(message, origin)?
    } else {
        // EventTime is when the host logged the message; TimeGenerated is when Sentinel
        // received it.
        let time = text("EventTime")
            .or_else(|| text("TimeGenerated"))
            .ok_or("row has neither EventTime nor TimeGenerated")?;
        let timestamp = DateTime::parse_from_rfc3339(time)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .ok_or_else(|| format!("invalid EventTime {time:?}: expected RFC 3339"))?;
        let pid = row.get("ProcessID").map(|pid| match pid {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let line = SyslogLine {
            host: text("HostName").or_else(|| text("Computer")),
            program: text("ProcessName"),
            pid: pid.as_deref(),
            message,
            ..SyslogLine::default()
        };
        map_line(&line, timestamp, origin)
    };
    if let Some(ip) = text("HostIP") {
        event.field("host.ip", ip);
    }
    if let Some(facility) = text("Facility") {
        event.field("log.syslog.facility.name", facility);
    }
    if let Some(severity) = text("SeverityLevel") {
        event.field("log.syslog.severity.name", severity);
    }
    Ok(event)
}

/// Reads back the row at byte `offset` of `path`: a Sysmon message as its XML, any other
/// row as pretty JSON.
pub(crate) fn read_raw(path: &Path, offset: u64) -> Result<String, RawError> {
    let pretty = read_json_document(path, offset)?;
    let message = serde_json::from_str::<Value>(&pretty)
        .ok()
        .and_then(|row| row.get("SyslogMessage")?.as_str().map(str::to_owned));
    match message {
        Some(xml) if is_sysmon_xml(&xml) => Ok(xml),
        _ => Ok(pretty),
    }
}

/// Returns whether `text` (the start of a file) looks like a Sentinel Syslog export.
pub(crate) fn looks_like_sentinel_syslog(text: &str) -> bool {
    let trimmed = text.trim_start();
    (trimmed.starts_with('{') || trimmed.starts_with('['))
        && text.contains("\"SyslogMessage\"")
        && (text.contains("\"TimeGenerated\"") || text.contains("\"EventTime\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn load(text: &str) -> (FileReport, EventStore) {
        let mut report = FileReport::new("s.json".into(), Format::Json, FileStatus::Loaded);
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
            path: "s.json".into(),
            format: "sentinel-syslog",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
    }

    #[test]
    fn sshd_row_maps_like_syslog() {
        let row = concat!(
            r#"{"TimeGenerated":"2022-05-11T18:10:21Z","EventTime":"2022-05-11T18:10:20Z","#,
            r#""HostName":"UBUNTU5","ProcessName":"sshd","ProcessID":812,"Facility":"auth","#,
            r#""SyslogMessage":"Failed password for root from 10.0.0.9 port 2222 ssh2"}"#
        );

        let (report, store) = load(&format!("{row}\n"));

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.log_source(0), "linux:syslog");
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("failure"))
        );
        assert_eq!(store.field(0, "source.ip"), Some(ValueRef::Str("10.0.0.9")));
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(812)));
        assert_eq!(
            store.field(0, "log.syslog.facility.name"),
            Some(ValueRef::Str("auth"))
        );
    }

    #[test]
    fn bad_rows_are_located() {
        let text = concat!(
            "{\"SyslogMessage\":\"<Event><System></Event>\"}\n",
            "{\"EventTime\":\"x\",\"SyslogMessage\":\"hi\"}\n",
            "{\"SyslogMessage\":1}\n",
            "[1]\n",
            "{oops\n"
        );

        let (report, store) = load(text);

        assert_eq!(store.len(), 0);
        assert_eq!(report.records_read, 5);
        assert_eq!(report.errors.len(), 5);
        assert_eq!(
            report.errors[1].location,
            Location::Line {
                line: 2,
                offset: 44
            }
        );
    }
}
