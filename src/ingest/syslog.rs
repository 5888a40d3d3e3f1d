//! Syslog text files such as `/var/log/auth.log`, `/var/log/secure` and `/var/log/syslog`.
//!
//! Three line layouts are read, each with an optional `<PRI>` prefix:
//! - RFC 3164 (BSD): `Feb 21 21:54:44 host sshd[3402]: message`, with no year or zone;
//! - rsyslog's high-precision layout: `2015-04-16T18:02:50.321974+00:00 host sshd[2716]: …`;
//! - RFC 5424: `<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - [sd] message`.
//!
//! The host may be missing (`Nov 23 21:50:37 sshd[8148]: …`). Lines starting with `#` are
//! comments, not records: they are counted in the file's notes. The messages of sshd, sudo,
//! su, cron, useradd and groupadd are mapped to ECS; see `linux_mapping.md`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, FixedOffset, Utc};

use super::LoadOptions;
use super::limits::time_out_of_range;
use super::lines::{read_lines_at, split_lines};
use super::local_time::{FileTimeOptions, LocalClock, YearInference, describe_year};
use super::raw::RawError;
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::sysmon_linux::{is_sysmon_xml, map_sysmon_xml};
use crate::store::{EventBuilder, FileId, Origin, PendingValue, Platform};

#[path = "syslog_messages.rs"]
mod messages;

/// The ATT&CK log source of every syslog event.
///
/// ATT&CK also names `linux:auth` and `linux:cron`, but its data components list sshd logons,
/// sudo and cron activity under `linux:syslog`, which most analytics read.
pub(crate) const LOG_SOURCE: &str = "linux:syslog";

/// How many lines are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 1024;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses the file at `path`; see [`parse_bytes`]. The file's modification time anchors the
/// year of RFC 3164 timestamps unless `options` sets one.
pub(crate) fn parse(
    path: &Path,
    file: FileId,
    options: &LoadOptions,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    let time = options.for_file(path);
    match super::input::read_all(path, report) {
        Ok(bytes) => parse_bytes(&bytes, file, &time, modified, cancel, report, events),
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            true
        }
    }
}

/// One parsed syslog line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SyslogLine<'a> {
    /// The `<PRI>` value, when present.
    pub priority: Option<u8>,
    /// The host, when the line names one.
    pub host: Option<&'a str>,
    /// The program (RFC 3164 tag, RFC 5424 APP-NAME).
    pub program: Option<&'a str>,
    /// The process id in the tag (`sshd[3402]`) or RFC 5424 PROCID.
    pub pid: Option<&'a str>,
    /// The RFC 5424 structured data, as written.
    pub structured_data: Option<&'a str>,
    /// The free-text message.
    pub message: &'a str,
}

/// The timestamp of a line, before any year or zone is filled in.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineTime {
    /// RFC 3164: month, day, seconds of the day and nanoseconds, no year or zone.
    Partial {
        month: u32,
        day: u32,
        seconds_of_day: u32,
        nanos: u32,
    },
    /// An RFC 3339 timestamp with its zone.
    Full(DateTime<FixedOffset>),
}

/// Parses every line of `bytes`. Returns `false` when `cancel` stopped it early.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    time: &FileTimeOptions,
    modified: Option<DateTime<Utc>>,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut years = YearInference::new(time.year.as_ref().map(|(year, _)| *year), modified);
    let mut clock = LocalClock::new(time.zone.clone());
    let mut comments = 0u64;
    let mut partial_lines = 0u64;
    for line in split_lines(bytes) {
        if line.number % CANCEL_CHECK_INTERVAL == 0 && cancel.load(Ordering::Relaxed) {
            return false;
        }
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.bytes.first() == Some(&b'#') {
            comments += 1;
            continue;
        }
        report.records_read += 1;
        let location = Location::Line {
            line: line.number,
            offset: line.offset,
        };
        if line.is_too_long() {
            report.push_error(location, "line longer than 1 MiB; not parsed");
            continue;
        }
        let text = line.text();
        let Some((time, parsed)) = parse_line(&text) else {
            report.push_error(
                location,
                "not a syslog line: no RFC 3164, RFC 3339 or RFC 5424 timestamp",
            );
            continue;
        };
        let timestamp = match time {
            LineTime::Full(time) => time
                .timestamp_nanos_opt()
                .ok_or_else(|| time_out_of_range(&time.to_rfc3339())),
            LineTime::Partial {
                month,
                day,
                seconds_of_day,
                nanos,
            } => {
                partial_lines += 1;
                match years.resolve(month, day, seconds_of_day, nanos) {
                    Some(local) => clock
                        .resolve_utc(local)
                        .ok_or_else(|| time_out_of_range(&local.to_string())),
                    None => Err(
                        "invalid date in the inferred year (Feb 29 outside a leap year?)"
                            .to_owned(),
                    ),
                }
            }
        };
        let timestamp = match timestamp {
            Ok(timestamp) => timestamp,
            Err(message) => {
                report.push_error(location, message);
                continue;
            }
        };
        let origin = Origin {
            file,
            record: line.number,
            offset: Some(line.offset),
        };
        if parsed.program == Some("sysmon") && is_sysmon_xml(parsed.message) {
            match map_sysmon_xml(parsed.message, origin) {
                Ok(event) => events.push(event),
                Err(message) => report.push_error(location, message),
            }
            continue;
        }
        events.push(map_line(&parsed, timestamp, origin));
    }
    if partial_lines > 0 {
        report.notes.push(format!(
            "{partial_lines} lines have timestamps without year or zone: {}; {}; a line whose \
             month is more than 6 months before the previous line's starts the next year",
            clock.describe(),
            describe_year(&years, time.year.as_ref(), modified),
        ));
    }
    if comments > 0 {
        report.notes.push(format!(
            "{comments} comment lines starting with `#` were ignored"
        ));
    }
    true
}

/// Splits a line into its timestamp and parts, or returns `None` when it has no timestamp
/// this parser reads.
pub(crate) fn parse_line(line: &str) -> Option<(LineTime, SyslogLine<'_>)> {
    let (priority, rest) = split_priority(line);
    if let Some(after_version) = rest.strip_prefix("1 ")
        && priority.is_some()
    {
        return parse_rfc5424(priority, after_version);
    }
    let (time, rest) = match parse_bsd_time(rest) {
        Some(found) => found,
        None => {
            let (token, rest) = rest.split_once(' ')?;
            (
                LineTime::Full(DateTime::parse_from_rfc3339(token).ok()?),
                rest,
            )
        }
    };
    let mut parsed = parse_host_and_tag(rest.trim_start());
    parsed.priority = priority;
    Some((time, parsed))
}

fn split_priority(line: &str) -> (Option<u8>, &str) {
    if let Some(rest) = line.strip_prefix('<')
        && let Some((digits, tail)) = rest.split_once('>')
        && (1..=3).contains(&digits.len())
        && let Ok(priority) = digits.parse::<u8>()
    {
        return (Some(priority), tail);
    }
    (None, line)
}

/// Parses `Mmm dd hh:mm:ss[.fraction] ` (the day may be space-padded or a single digit).
fn parse_bsd_time(text: &str) -> Option<(LineTime, &str)> {
    let month = MONTHS
        .iter()
        .position(|m| text.starts_with(m))
        .and_then(|i| u32::try_from(i + 1).ok())?;
    let rest = text.get(3..)?.strip_prefix(' ')?.trim_start();
    let (day, rest) = rest.split_once(' ')?;
    let day: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let (clock, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = clock.split(':');
    let hour: u32 = parts.next()?.parse().ok().filter(|h| *h < 24)?;
    let minute: u32 = parts.next()?.parse().ok().filter(|m| *m < 60)?;
    let second: u32 = parts.next()?.parse().ok().filter(|s| *s < 61)?;
    if parts.next().is_some() || fraction.len() > 9 {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u32>().ok()? * 10u32.pow(9 - fraction.len() as u32)
    };
    let time = LineTime::Partial {
        month,
        day,
        seconds_of_day: hour * 3600 + minute * 60 + second.min(59),
        nanos,
    };
    Some((time, rest))
}

/// Splits `host tag: message`, where the host may be missing and the tag is `prog[pid]:`,
/// `prog:`, `[prog]:` or `[prog]`.
fn parse_host_and_tag(text: &str) -> SyslogLine<'_> {
    let (first, rest) = text.split_once(' ').unwrap_or((text, ""));
    let (host, tag_and_message) = if is_tag(first) {
        (None, text)
    } else {
        (Some(first), rest.trim_start())
    };
    let (tag, message) = tag_and_message
        .split_once(' ')
        .unwrap_or((tag_and_message, ""));
    if !is_tag(tag) {
        return SyslogLine {
            host,
            message: tag_and_message,
            ..SyslogLine::default()
        };
    }
    let tag = tag.strip_suffix(':').unwrap_or(tag);
    let tag = tag
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(tag);
    let (program, pid) = match tag.split_once('[') {
        Some((program, pid)) => (program, pid.strip_suffix(']')),
        None => (tag, None),
    };
    SyslogLine {
        host,
        program: Some(program).filter(|p| !p.is_empty()),
        pid,
        message,
        ..SyslogLine::default()
    }
}

/// Returns whether a token is a syslog tag rather than a host name.
fn is_tag(token: &str) -> bool {
    token.ends_with(':') || token.contains('[')
}

/// Parses what follows `<PRI>1 `: `TIMESTAMP HOST APP PROCID MSGID SD [MSG]`, `-` for nil.
fn parse_rfc5424(priority: Option<u8>, text: &str) -> Option<(LineTime, SyslogLine<'_>)> {
    let mut fields = text.splitn(6, ' ');
    let time = DateTime::parse_from_rfc3339(fields.next()?).ok()?;
    let nil = |value: &'_ str| value != "-";
    let host = fields.next().filter(|v| nil(v));
    let program = fields.next().filter(|v| nil(v));
    let pid = fields.next().filter(|v| nil(v));
    let _message_id = fields.next();
    let rest = fields.next().unwrap_or("");
    let (structured_data, message) = split_structured_data(rest);
    let parsed = SyslogLine {
        priority,
        host,
        program,
        pid,
        structured_data,
        message,
    };
    Some((LineTime::Full(time), parsed))
}

/// Splits RFC 5424 structured data (`-` or `[id k="v"]…`, where `\]` escapes a bracket inside
/// a value) from the message after it.
fn split_structured_data(text: &str) -> (Option<&str>, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        return (None, rest.trim_start());
    }
    let bytes = text.as_bytes();
    let mut pos = 0;
    while bytes.get(pos) == Some(&b'[') {
        let mut in_value = false;
        pos += 1;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b'\\' => pos += 1,
                b'"' => in_value = !in_value,
                b']' if !in_value => break,
                _ => {}
            }
            pos += 1;
        }
        pos += 1;
    }
    if pos == 0 {
        return (None, text);
    }
    let end = pos.min(text.len());
    match (text.get(..end), text.get(end..)) {
        (Some(data), Some(message)) => (Some(data), message.trim_start()),
        _ => (None, text),
    }
}

pub(crate) fn map_line(line: &SyslogLine<'_>, timestamp: i64, origin: Origin) -> EventBuilder {
    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::Linux, origin);
    builder.field("event.kind", "event");
    builder.field("event.module", "system");
    builder.field("message", line.message);
    if let Some(host) = line.host {
        builder.field("host.hostname", host);
        builder.field("host.name", host);
    }
    if let Some(program) = line.program {
        builder.field("process.name", program);
    }
    if let Some(pid) = line.pid.and_then(|p| p.parse::<i64>().ok()) {
        builder.field("process.pid", pid);
    }
    if let Some(priority) = line.priority {
        builder.field("log.syslog.priority", i64::from(priority));
        builder.field("log.syslog.facility.code", i64::from(priority / 8));
        builder.field("log.syslog.severity.code", i64::from(priority % 8));
    }
    if let Some(data) = line.structured_data {
        builder.field("log.syslog.structured_data", data);
    }
    let dataset = if messages::map_message(&mut builder, line.program, line.message) {
        "system.auth"
    } else {
        "system.syslog"
    };
    builder.field("event.dataset", dataset);
    builder
}

/// Adds the fields of an sshd, sudo, su, cron, useradd or groupadd message, for formats that
/// carry the same messages outside syslog lines. Returns whether `program` is one of those.
pub(crate) fn map_auth_message(
    builder: &mut EventBuilder,
    program: Option<&str>,
    message: &str,
) -> bool {
    messages::map_message(builder, program, message)
}

/// Reads back the line at byte `offset` of `path`.
pub(crate) fn read_raw(path: &Path, offset: u64) -> Result<String, RawError> {
    let mut lines = read_lines_at(path, offset, 1)?;
    lines.pop().ok_or(RawError::NoDocument {
        path: path.display().to_string(),
        offset,
    })
}

/// Returns whether `text` (the start of a file) looks like syslog: its first line that is
/// neither blank nor a `#` comment has a syslog timestamp followed by a tag.
pub(crate) fn looks_like_syslog(text: &str) -> bool {
    let Some(line) = text
        .lines()
        .find(|line| !line.trim().is_empty() && !line.starts_with('#'))
    else {
        return false;
    };
    match parse_line(line) {
        Some((_, parsed)) => parsed.program.is_some(),
        None => false,
    }
}

/// Returns the list value of string items.
pub(crate) fn string_list(items: &[&str]) -> PendingValue {
    PendingValue::List(items.iter().map(|s| PendingValue::from(*s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::report::FileStatus;
    use crate::ingest::{FileSetting, Format, Year, Zone};
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn load_with(
        text: &str,
        options: &LoadOptions,
        modified: Option<&str>,
    ) -> (FileReport, EventStore) {
        let mut report = FileReport::new("auth.log".into(), Format::Syslog, FileStatus::Loaded);
        let mut events = Vec::new();
        let modified =
            modified.map(|m| DateTime::parse_from_rfc3339(m).unwrap().with_timezone(&Utc));
        let finished = parse_bytes(
            text.as_bytes(),
            0,
            &options.for_file(Path::new("auth.log")),
            modified,
            &AtomicBool::new(false),
            &mut report,
            &mut events,
        );
        assert!(finished);
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "auth.log".into(),
            format: "syslog",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
    }

    fn load(text: &str) -> (FileReport, EventStore) {
        load_with(text, &LoadOptions::default(), Some("2024-03-01T00:00:00Z"))
    }

    fn str_field<'a>(store: &'a EventStore, index: usize, name: &str) -> Option<&'a str> {
        match store.field(index, name) {
            Some(ValueRef::Str(s)) => Some(s),
            _ => None,
        }
    }

    fn utc(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn year_comes_from_modification_time() {
        let text =
            "Dec 31 23:59:59 h cron[1]: a\nJan  1 00:00:01 h cron[1]: b\nFeb 29 10:00:00 h x: c\n";

        let (report, store) = load(text);

        assert_eq!(store.events()[0].timestamp, utc("2023-12-31T23:59:59Z"));
        assert_eq!(store.events()[1].timestamp, utc("2024-01-01T00:00:01Z"));
        assert_eq!(store.events()[2].timestamp, utc("2024-02-29T10:00:00Z"));
        assert_eq!(report.notes.len(), 1);
        assert!(
            report.notes[0].contains("read as UTC"),
            "{}",
            report.notes[0]
        );
    }

    #[test]
    fn given_year_rolls_over_at_new_year() {
        let options = LoadOptions {
            zones: vec![FileSetting::all(Zone::Fixed(
                FixedOffset::east_opt(3600).unwrap(),
            ))],
            years: vec![FileSetting::all(Year(2019))],
            ..LoadOptions::default()
        };
        let text = "Dec 31 23:00:00 h a: x\nDec 30 23:00:00 h a: y\nJan  2 01:00:00 h a: z\n";

        let (report, store) = load_with(text, &options, None);

        assert_eq!(store.events()[0].timestamp, utc("2019-12-31T22:00:00Z"));
        assert_eq!(store.events()[1].timestamp, utc("2019-12-30T22:00:00Z"));
        assert_eq!(store.events()[2].timestamp, utc("2020-01-02T00:00:00Z"));
        assert!(report.notes[0].contains("2019"), "{}", report.notes[0]);
        assert!(report.notes[0].contains("UTC+01:00"), "{}", report.notes[0]);
    }

    #[test]
    fn feb_29_outside_leap_year_is_skipped() {
        let options = LoadOptions {
            years: vec![FileSetting::all(Year(2023))],
            ..LoadOptions::default()
        };

        let (report, store) = load_with("Feb 29 10:00:00 h x: c\n", &options, None);

        assert_eq!(store.len(), 0);
        assert_eq!(report.records_read, 1);
        assert_eq!(report.errors.len(), 1);
    }

    #[test]
    fn line_layouts_are_parsed() {
        // Line, then the expected host, program, pid and message.
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
        );
        let cases: &[Case<'_>] = &[
            (
                "Feb 21 21:54:44 localhost sshd[3402]: hi",
                Some("localhost"),
                Some("sshd"),
                Some("3402"),
                "hi",
            ),
            (
                "Feb 7 16:01:07 h sudo: x y",
                Some("h"),
                Some("sudo"),
                None,
                "x y",
            ),
            (
                "Nov 23 21:50:37 sshd[8148]: Connection closed",
                None,
                Some("sshd"),
                Some("8148"),
                "Connection closed",
            ),
            (
                "Mar  3 00:17:22 [sshd]: User root",
                None,
                Some("sshd"),
                None,
                "User root",
            ),
            (
                "Jun 25 23:53:34 [sshd] User root",
                None,
                Some("sshd"),
                None,
                "User root",
            ),
            (
                "2015-04-16T18:02:50.321974+00:00 host sshd[2716]: m",
                Some("host"),
                Some("sshd"),
                Some("2716"),
                "m",
            ),
            (
                "<38>1 2019-07-08T17:40:16.9-04:00 h.example sshd 57915 - - Failed x",
                Some("h.example"),
                Some("sshd"),
                Some("57915"),
                "Failed x",
            ),
            (
                "<38>1 2019-07-08T17:40:17Z h sshd 5 - [a b=\"[x\\]\"][c@1 d=\"e\"] msg",
                Some("h"),
                Some("sshd"),
                Some("5"),
                "msg",
            ),
        ];
        for (line, host, program, pid, message) in cases {
            let (_, parsed) = parse_line(line).unwrap_or_else(|| panic!("not parsed: {line}"));
            assert_eq!(parsed.host, *host, "{line}");
            assert_eq!(parsed.program, *program, "{line}");
            assert_eq!(parsed.pid, *pid, "{line}");
            assert_eq!(parsed.message, *message, "{line}");
        }
    }

    #[test]
    fn rfc5424_keeps_zone_and_priority() {
        let (_, store) = load("<38>1 2019-07-08T17:40:16.5-04:00 h sshd 57915 - - hello\n");

        assert_eq!(store.events()[0].timestamp, utc("2019-07-08T21:40:16.5Z"));
        assert_eq!(
            store.field(0, "log.syslog.facility.code"),
            Some(ValueRef::Int(4))
        );
        assert_eq!(
            store.field(0, "log.syslog.severity.code"),
            Some(ValueRef::Int(6))
        );
        assert_eq!(store.log_source(0), "linux:syslog");
    }

    #[test]
    fn comments_are_noted_and_bad_lines_located() {
        let text = "# failJSON: {}\n\nnot syslog\nFeb 21 21:54:44 h a: ok\n";

        let (report, store) = load(text);

        assert_eq!(store.len(), 1);
        assert_eq!(report.records_read, 2);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 3,
                offset: 16
            }
        );
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("1 comment lines"))
        );
        assert_eq!(str_field(&store, 0, "message"), Some("ok"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "<",
            "<999>1 x",
            "<1>",
            "Jan",
            "Jan 99 00:00:00 h a: x",
            "Jan 1 25:00:00 h a: x",
            "Jan 1 00:00:00",
            "Jan 1 00:00:00 ",
            "<38>1 2019-07-08T17:40:17Z",
            "<38>1 2019-07-08T17:40:17Z h a 1 - [unclosed",
            "Jan 1 00:00:00.1234567890 h a: x",
            "\u{feff}#\n",
            "Jan 1 00:00:00 h [: x",
            "Jan 1 00:00:00 h a[: x",
        ] {
            let _ = load(text);
        }
    }

    #[test]
    fn detection_skips_comments() {
        assert!(looks_like_syslog(
            "# c\n\nFeb 21 21:54:44 localhost sshd[3402]: x"
        ));
        assert!(looks_like_syslog(
            "<38>1 2019-07-08T17:40:16Z h sshd 1 - - x"
        ));
        assert!(!looks_like_syslog("# c\n"));
        assert!(!looks_like_syslog("hello world"));
        assert!(!looks_like_syslog("{\"a\": 1}"));
    }
}
