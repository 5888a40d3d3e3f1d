//! Network-device syslog in Cisco's message format: IOS, IOS XE, IOS XR and NX-OS
//! (`%SYS-5-CONFIG_I: …`) and the ASA and FTD firewalls (`%ASA-6-302013: …`), as devices send
//! them and as a syslog server writes them to a file.
//!
//! Every message carries a `%FACILITY-SEVERITY-MNEMONIC:` tag. What comes before the tag
//! varies with the device's `logging` and `service timestamps` settings and with the server
//! that wrote the file: a `<PRI>`, the server's own timestamp and the sender's address, a
//! sequence number, the device's host name, and the device's timestamp, which may lack a
//! year, carry a zone abbreviation, or be marked `*` (clock not synchronized). All of them are
//! optional, and each is recognized by its shape. See `cisco_mapping.md`.
//!
//! Lines without a tag in a file that has tagged ones are read as Linux syslog, because a
//! central syslog server often writes hosts and devices into one file.
#![doc = include_str!("cisco_mapping.md")]

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use regex::{Captures, Regex};

use super::lines::{Line, split_lines};
use super::local_time::{FileTimeOptions, LocalClock, YearInference, describe_year};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::syslog::{self, string_list};
use crate::store::{EventBuilder, FileId, Origin, Platform};

#[path = "cisco_rules.rs"]
mod rules;

use rules::{Handler, RULES, Rule};

/// The ATT&CK log source of messages that are neither commands nor configuration changes.
pub(crate) const LOG_SOURCE: &str = "networkdevice:syslog";
/// The ATT&CK log source of command logging.
const CLI_LOG_SOURCE: &str = "networkdevice:cli";
/// The ATT&CK log source of configuration changes.
const CONFIG_LOG_SOURCE: &str = "networkdevice:config";

/// How many lines are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 1024;

/// How far into a line the tag may start, so a tag quoted inside a message of another format
/// does not count.
const MAX_TAG_START: usize = 200;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const SEVERITY_NAMES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// `%FACILITY-SEVERITY-MNEMONIC:`; IOS XR puts a subfacility after the facility and a space
/// before the colon.
#[allow(
    clippy::expect_used,
    reason = "a constant pattern, which `tags_are_found_near_the_start` compiles"
)]
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"%([A-Z][A-Z0-9_]*(?:-[A-Z][A-Z0-9_]*)*)-([0-7])-([A-Z0-9][A-Z0-9_]*) ?:")
        .expect("valid tag pattern")
});

/// Facilities of the ASA family, whose mnemonics are six-digit message ids.
const ASA_FACILITIES: &[&str] = &["ASA", "FTD", "PIX", "FWSM"];

/// One message tag.
#[derive(Debug, PartialEq, Eq)]
struct Tag<'a> {
    facility: &'a str,
    severity: u8,
    mnemonic: &'a str,
    /// Byte range of the tag in the line.
    start: usize,
    end: usize,
}

impl Tag<'_> {
    fn is_asa(&self) -> bool {
        ASA_FACILITIES.contains(&self.facility)
    }

    /// Builds the key that rules are looked up by: the facility (`ASA` for the whole ASA
    /// family) and the mnemonic, without the severity, which administrators can change.
    fn rule_key(&self) -> String {
        let facility = if self.is_asa() { "ASA" } else { self.facility };
        format!("{facility}-{}", self.mnemonic)
    }
}

fn find_tag(line: &str) -> Option<Tag<'_>> {
    let found = TAG.captures(line)?;
    let whole = found.get(0)?;
    if whole.start() > MAX_TAG_START {
        return None;
    }
    Some(Tag {
        facility: found.get(1)?.as_str(),
        severity: found.get(2)?.as_str().parse().ok()?,
        mnemonic: found.get(3)?.as_str(),
        start: whole.start(),
        end: whole.end(),
    })
}

/// Returns whether `text` (the start of a file) contains Cisco-tagged syslog lines: one of its
/// first 20 lines that are neither blank nor `#` comments has a tag near its start.
pub(crate) fn looks_like_cisco_syslog(text: &str) -> bool {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .take(20)
        .any(|line| find_tag(line).is_some_and(|tag| tag_in_header_position(line, &tag)))
}

/// Returns whether the text before the tag is a plausible header: no more than a PRI, times,
/// host names, sequence numbers and a process, so no word of free text.
fn tag_in_header_position(line: &str, tag: &Tag<'_>) -> bool {
    let prefix = line.get(..tag.start).unwrap_or_default();
    prefix.split_whitespace().count() <= 14
}

/// A timestamp as a line writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stamp<'a> {
    /// An RFC 3339 timestamp with its zone.
    Full(DateTime<FixedOffset>),
    /// A `Mmm dd [yyyy] hh:mm:ss[.fff] [ZONE]` timestamp.
    Partial {
        year: Option<i32>,
        month: u32,
        day: u32,
        seconds_of_day: u32,
        nanos: u32,
        zone: Option<&'a str>,
        /// Whether IOS marked it `*`: the clock was not synchronized.
        unsynchronized: bool,
    },
}

/// The parts of a line before the tag.
#[derive(Debug, Default, PartialEq, Eq)]
struct Header<'a> {
    priority: Option<u8>,
    sequence: Option<&'a str>,
    /// Host names and addresses, in line order: the sender as the syslog server saw it, then
    /// the device's own name.
    hosts: Vec<&'a str>,
    /// Timestamps in line order: the server's, then the device's.
    stamps: Vec<Stamp<'a>>,
    /// IOS XR's node (`RP/0/RSP0/CPU0`).
    node: Option<&'a str>,
    /// IOS XR's process and its id (`config[65711]`).
    process: Option<(&'a str, Option<&'a str>)>,
    /// Device uptime, written by `service timestamps log uptime` (`1d02h`).
    uptime: Option<&'a str>,
}

fn parse_header(prefix: &str) -> Header<'_> {
    let mut header = Header::default();
    let mut rest = prefix;
    if let Some(after) = rest.strip_prefix('<')
        && let Some((digits, tail)) = after.split_once('>')
        && (1..=3).contains(&digits.len())
        && let Ok(priority) = digits.parse::<u8>()
    {
        header.priority = Some(priority);
        rest = tail;
        // RFC 5424's version number.
        if let Some(tail) = rest.strip_prefix("1 ") {
            rest = tail;
        }
    }
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some((stamp, tail)) = parse_stamp(rest) {
            header.stamps.push(stamp);
            rest = tail;
            continue;
        }
        let (token, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        rest = tail;
        // IOS XR glues its node to the time: `RP/0/RSP0/CPU0:Mar  1 …`.
        if let Some((node, _)) = token.split_once(':')
            && node.contains('/')
        {
            header.node = Some(node);
            let token_start = token.as_ptr() as usize - prefix.as_ptr() as usize;
            rest = prefix
                .get(token_start + node.len() + 1..)
                .unwrap_or_default();
            continue;
        }
        read_token(&mut header, token);
    }
    header
}

fn read_token<'a>(header: &mut Header<'a>, token: &'a str) {
    let bare = token.strip_suffix(':').unwrap_or(token);
    if bare.is_empty() || bare == "-" {
        return;
    }
    if bare.bytes().all(|b| b.is_ascii_digit()) && token.ends_with(':') {
        header.sequence.get_or_insert(bare);
        return;
    }
    if is_uptime(bare) {
        header.uptime = Some(bare);
        return;
    }
    if let Some((name, pid)) = bare.split_once('[') {
        header.process = Some((name, pid.strip_suffix(']')));
        return;
    }
    header.hosts.push(bare);
}

/// Returns whether `text` is an IOS uptime stamp: `1d02h`, `2w3d`, `00:01:23` or
/// `00:01:23.456`.
fn is_uptime(text: &str) -> bool {
    let units = text
        .chars()
        .filter(|c| matches!(c, 'w' | 'd' | 'h' | 'm' | 'y'))
        .count();
    let letters_ok = units >= 1
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'w' | 'd' | 'h' | 'm' | 'y'));
    let clock_ok = text.split(':').count() == 3
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '.');
    letters_ok || clock_ok
}

/// Parses a timestamp at the start of `text` and returns it with the rest after it, its zone
/// and a colon right after it.
fn parse_stamp(text: &str) -> Option<(Stamp<'_>, &str)> {
    let (unsynchronized, body) = match text.as_bytes().first()? {
        b'*' => (true, text.get(1..)?),
        b'.' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let (first, rest) = body.split_once(' ').unwrap_or((body, ""));
    let token = first.strip_suffix(':').unwrap_or(first);
    if token.len() >= 20
        && token.as_bytes().get(4) == Some(&b'-')
        && let Ok(time) = DateTime::parse_from_rfc3339(token)
    {
        return Some((Stamp::Full(time), rest));
    }
    parse_bsd_stamp(body, unsynchronized)
}

/// Parses `[yyyy ]Mmm dd [yyyy ]hh:mm:ss[.fff][:][ ZONE][:]`.
fn parse_bsd_stamp(text: &str, unsynchronized: bool) -> Option<(Stamp<'_>, &str)> {
    let mut rest = text;
    let mut year = None;
    // NX-OS writes the year first: `2024 Mar  1 18:46:11 UTC:`.
    if let Some((first, tail)) = rest.split_once(' ')
        && first.len() == 4
        && first.bytes().all(|b| b.is_ascii_digit())
    {
        year = first.parse().ok();
        rest = tail;
    }
    let month = MONTHS
        .iter()
        .position(|m| rest.starts_with(m))
        .and_then(|i| u32::try_from(i + 1).ok())?;
    rest = rest.get(3..)?.strip_prefix(' ')?.trim_start();
    let (day, tail) = rest.split_once(' ')?;
    let day: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    rest = tail.trim_start();
    if year.is_none()
        && let Some((first, tail)) = rest.split_once(' ')
        && first.len() == 4
        && first.bytes().all(|b| b.is_ascii_digit())
    {
        year = first.parse().ok();
        rest = tail;
    }
    let (clock, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let (clock, colon) = match clock.strip_suffix(':') {
        Some(clock) => (clock, true),
        None => (clock, false),
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = clock.split(':');
    let hour: u32 = parts.next()?.parse().ok().filter(|h| *h < 24)?;
    let minute: u32 = parts.next()?.parse().ok().filter(|m| *m < 60)?;
    let second: u32 = parts.next()?.parse().ok().filter(|s| *s < 61)?;
    if parts.next().is_some() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u32>().ok()? * 10u32.pow(9 - fraction.len() as u32)
    };
    rest = tail;
    let mut zone = None;
    if !colon && let Some((candidate, after)) = split_zone(rest) {
        zone = Some(candidate);
        rest = after;
    }
    let stamp = Stamp::Partial {
        year,
        month,
        day,
        seconds_of_day: hour * 3600 + minute * 60 + second.min(59),
        nanos,
        zone,
        unsynchronized,
    };
    Some((stamp, rest))
}

/// Splits a zone abbreviation such as `UTC` or `CET` off `text` when a colon or the end of
/// the header follows it, since a host name would be followed by more header.
fn split_zone(text: &str) -> Option<(&str, &str)> {
    let (token, rest) = text.split_once(' ').unwrap_or((text, ""));
    let (name, colon) = match token.strip_suffix(':') {
        Some(name) => (name, true),
        None => (token, false),
    };
    let letters = name
        .split(['+', '-'])
        .next()
        .filter(|l| (2..=5).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_uppercase()))?;
    let offset_ok = name
        .get(letters.len()..)?
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b':'));
    (offset_ok && (colon || rest.trim().is_empty())).then_some((name, rest))
}

/// Zone abbreviations read as UTC whatever zone `--tz` sets.
const UTC_NAMES: &[&str] = &["UTC", "GMT", "UCT", "Z"];

/// Parses the file at `path`; see [`parse_bytes`].
pub(crate) fn parse(
    path: &Path,
    file: FileId,
    time: &FileTimeOptions,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    match super::input::read_all(path, report) {
        Ok(bytes) => parse_bytes(&bytes, file, time, modified, cancel, report, events),
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            true
        }
    }
}

/// The year and zone state of one clock: the syslog server's or the device's.
struct ClockState {
    years: YearInference,
    clock: LocalClock,
    /// Times read without a year, in this clock.
    yearless: u64,
    /// Times read without a zone, or with one that is not UTC, in this clock.
    zoneless: u64,
}

/// Everything the file's notes report.
struct FileState<'t> {
    time: &'t FileTimeOptions,
    modified: Option<DateTime<Utc>>,
    server: ClockState,
    device: ClockState,
    /// Zone abbreviations other than UTC, which are read in the `--tz` zone or as UTC.
    abbreviations: BTreeSet<String>,
    /// Lines whose device time was marked unsynchronized and replaced by the server's.
    unsynchronized_replaced: u64,
    /// Lines whose only time was marked unsynchronized.
    unsynchronized_kept: u64,
    /// Lines without a tag, read as Linux syslog.
    linux_lines: u64,
}

impl<'t> FileState<'t> {
    fn new(time: &'t FileTimeOptions, modified: Option<DateTime<Utc>>) -> Self {
        let year = time.year.as_ref().map(|(year, _)| *year);
        let clock = || ClockState {
            years: YearInference::new(year, modified),
            clock: LocalClock::new(time.zone.clone()),
            yearless: 0,
            zoneless: 0,
        };
        FileState {
            time,
            modified,
            server: clock(),
            device: clock(),
            abbreviations: BTreeSet::new(),
            unsynchronized_replaced: 0,
            unsynchronized_kept: 0,
            linux_lines: 0,
        }
    }
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
    let mut state = FileState::new(time, modified);
    let mut comments = 0u64;
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
        match read_line(&line, file, &mut state) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(location, message),
        }
    }
    push_notes(&state, comments, report);
    true
}

fn read_line(
    line: &Line<'_>,
    file: FileId,
    state: &mut FileState<'_>,
) -> Result<EventBuilder, String> {
    let text = line.text();
    let origin = Origin {
        file,
        record: line.number,
        offset: Some(line.offset),
    };
    let Some(tag) = find_tag(&text) else {
        return read_linux_line(&text, origin, state);
    };
    let header = parse_header(text.get(..tag.start).unwrap_or_default());
    let message = text.get(tag.end..).unwrap_or_default().trim();
    let (timestamp, created) = choose_time(&header, state)?;
    let mut builder = map_message(&header, &tag, message, timestamp, origin);
    if let Some(created) = created {
        builder.field("event.created", format_time(created));
    }
    Ok(builder)
}

/// Reads a line without a tag as Linux syslog, in the syslog server's clock.
fn read_linux_line(
    text: &str,
    origin: Origin,
    state: &mut FileState<'_>,
) -> Result<EventBuilder, String> {
    let not_cisco = "not a network-device syslog line: no %FACILITY-SEVERITY-MNEMONIC: tag, and \
                     not a Linux syslog line either";
    let (time, parsed) = syslog::parse_line(text).ok_or(not_cisco)?;
    if parsed.program.is_none() {
        return Err(not_cisco.to_owned());
    }
    let timestamp = match time {
        syslog::LineTime::Full(time) => time.timestamp_nanos_opt(),
        syslog::LineTime::Partial {
            month,
            day,
            seconds_of_day,
            nanos,
        } => {
            let server = &mut state.server;
            server.yearless += 1;
            server.zoneless += 1;
            server
                .years
                .resolve(month, day, seconds_of_day, nanos)
                .and_then(|local| server.clock.resolve_utc(local))
        }
    }
    .ok_or("invalid date in the inferred year (Feb 29 outside a leap year?)")?;
    state.linux_lines += 1;
    Ok(syslog::map_line(&parsed, timestamp, origin))
}

/// Picks the event time from the line's timestamps, and the syslog server's receive time when
/// the device's own time is used beside it.
fn choose_time(
    header: &Header<'_>,
    state: &mut FileState<'_>,
) -> Result<(i64, Option<i64>), String> {
    let (server, device) = match header.stamps.as_slice() {
        [] => {
            return Err(
                "no timestamp: neither the device nor a syslog server wrote one (configure \
                 'service timestamps log datetime' or 'logging timestamp')"
                    .to_owned(),
            );
        }
        [only] => (None, *only),
        [first, .., last] => (Some(*first), *last),
    };
    let device_unsynchronized = matches!(
        device,
        Stamp::Partial {
            unsynchronized: true,
            ..
        }
    );
    let server_time = match server {
        Some(stamp) => Some(resolve(stamp, Role::Server, state)?),
        None => None,
    };
    if device_unsynchronized {
        if let Some(server_time) = server_time {
            state.unsynchronized_replaced += 1;
            return Ok((server_time, None));
        }
        state.unsynchronized_kept += 1;
    }
    let device_time = resolve(device, Role::Device, state)?;
    Ok((device_time, server_time))
}

#[derive(Clone, Copy)]
enum Role {
    Server,
    Device,
}

fn resolve(stamp: Stamp<'_>, role: Role, state: &mut FileState<'_>) -> Result<i64, String> {
    let (year, month, day, seconds_of_day, nanos, zone) = match stamp {
        Stamp::Full(time) => {
            return time
                .timestamp_nanos_opt()
                .ok_or_else(|| format!("time {time} is out of range"));
        }
        Stamp::Partial {
            year,
            month,
            day,
            seconds_of_day,
            nanos,
            zone,
            ..
        } => (year, month, day, seconds_of_day, nanos, zone),
    };
    if let Some(zone) = zone
        && !UTC_NAMES.contains(&zone)
    {
        state.abbreviations.insert(zone.to_owned());
    }
    let clock = match role {
        Role::Server => &mut state.server,
        Role::Device => &mut state.device,
    };
    let local = match year {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day).and_then(|date| {
            date.and_hms_nano_opt(
                seconds_of_day / 3600,
                seconds_of_day / 60 % 60,
                seconds_of_day % 60,
                nanos,
            )
        }),
        None => {
            clock.yearless += 1;
            clock.years.resolve(month, day, seconds_of_day, nanos)
        }
    }
    .ok_or("invalid date (Feb 29 outside a leap year?)")?;
    match zone {
        Some(zone) if UTC_NAMES.contains(&zone) => local.and_utc().timestamp_nanos_opt(),
        _ => {
            clock.zoneless += 1;
            clock.clock.resolve_utc(local)
        }
    }
    .ok_or_else(|| "time out of range".to_owned())
}

fn push_notes(state: &FileState<'_>, comments: u64, report: &mut FileReport) {
    for (name, clock) in [("device", &state.device), ("syslog server", &state.server)] {
        if clock.zoneless > 0 {
            report.notes.push(format!(
                "{} {name} timestamps have no zone or a zone other than UTC: {}",
                clock.zoneless,
                clock.clock.describe()
            ));
        }
        if clock.yearless > 0 {
            report.notes.push(format!(
                "{} {name} timestamps have no year: {}; a time whose month is more than 6 \
                 months before the previous one's starts the next year",
                clock.yearless,
                describe_year(&clock.years, state.time.year.as_ref(), state.modified)
            ));
        }
    }
    if !state.abbreviations.is_empty() {
        let names: Vec<&str> = state.abbreviations.iter().map(String::as_str).collect();
        let zone = match &state.time.zone {
            Some((zone, _)) => format!("in {zone}"),
            None => "as UTC; name the zone with --tz".to_owned(),
        };
        report.notes.push(format!(
            "zone abbreviations {} were read {zone}, since abbreviations are ambiguous",
            names.join(", ")
        ));
    }
    if state.unsynchronized_replaced > 0 {
        report.notes.push(format!(
            "{} lines had a device time marked '*' (clock not synchronized) and were placed at \
             the syslog server's time instead",
            state.unsynchronized_replaced
        ));
    }
    if state.unsynchronized_kept > 0 {
        report.notes.push(format!(
            "{} lines have only a device time marked '*' (clock not synchronized); it may be \
             far from the real time",
            state.unsynchronized_kept
        ));
    }
    if state.linux_lines > 0 {
        report.notes.push(format!(
            "{} lines have no Cisco message tag and were read as Linux syslog",
            state.linux_lines
        ));
    }
    if comments > 0 {
        report.notes.push(format!(
            "{comments} comment lines starting with `#` were ignored"
        ));
    }
}

fn format_time(nanos: i64) -> String {
    DateTime::from_timestamp_nanos(nanos).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[allow(
    clippy::expect_used,
    reason = "constant patterns, which `mapping_doc_matches_rules` compiles"
)]
static COMPILED: LazyLock<Vec<(&'static Rule, Regex)>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|rule| (rule, Regex::new(rule.pattern).expect("valid rule pattern")))
        .collect()
});

fn rule_for(key: &str) -> Option<&'static (&'static Rule, Regex)> {
    COMPILED.iter().find(|(rule, _)| rule.keys.contains(&key))
}

/// Builds the event of one tagged line.
fn map_message(
    header: &Header<'_>,
    tag: &Tag<'_>,
    message: &str,
    timestamp: i64,
    origin: Origin,
) -> EventBuilder {
    let found = rule_for(&tag.rule_key());
    let captures = found.and_then(|(_, regex)| regex.captures(message));
    let rule = found.filter(|_| captures.is_some()).map(|(rule, _)| *rule);
    let log_source = rule.map_or(LOG_SOURCE, |r| r.log_source);
    let mut builder = EventBuilder::new(timestamp, log_source, Platform::NetworkDevices, origin);
    builder.field("event.kind", "event");
    builder.field(
        "event.code",
        format!("{}-{}-{}", tag.facility, tag.severity, tag.mnemonic),
    );
    builder.field("message", message);
    // The tag pattern reads the severity as one digit from 0 to 7, so every one has a name.
    let severity = SEVERITY_NAMES
        .get(usize::from(tag.severity))
        .copied()
        .unwrap_or_default();
    builder.field("log.level", severity);
    builder.field("log.syslog.severity.code", i64::from(tag.severity));
    builder.field("log.syslog.severity.name", severity);
    if let Some(priority) = header.priority {
        builder.field("log.syslog.priority", i64::from(priority));
        builder.field("log.syslog.facility.code", i64::from(priority / 8));
    }
    builder.field("observer.vendor", "Cisco");
    if tag.is_asa() {
        builder.field("event.dataset", "cisco_asa.log");
        builder.field("observer.product", tag.facility);
        builder.field("observer.type", "firewall");
        builder.field("cisco.asa.message_id", tag.mnemonic);
    } else {
        builder.field("event.dataset", "cisco_ios.log");
        builder.field("cisco.ios.facility", tag.facility);
        builder.field("cisco.ios.mnemonic", tag.mnemonic);
    }
    add_header_fields(&mut builder, header);
    if let (Some(rule), Some(captures)) = (rule, captures) {
        builder.field("event.action", rule.action);
        builder.field("event.category", string_list(rule.category));
        let mut kinds: Vec<&str> = rule.kind.to_vec();
        if let Some(outcome) = rule.outcome {
            builder.field("event.outcome", outcome);
        }
        match rule.handler {
            Handler::Captures => add_captures(&mut builder, &captures, &mut kinds),
            Handler::AsaConnection => add_asa_connection(&mut builder, &captures, &mut kinds),
        }
        builder.field("event.type", string_list(&kinds));
    }
    builder
}

fn add_header_fields(builder: &mut EventBuilder, header: &Header<'_>) {
    if let Some(sequence) = header.sequence {
        builder.field("cisco.ios.sequence", sequence);
        if let Ok(number) = sequence.parse::<i64>() {
            builder.field("event.sequence", number);
        }
    }
    if let Some(uptime) = header.uptime {
        builder.field("cisco.ios.uptime", uptime);
    }
    if let Some(node) = header.node {
        builder.field("cisco.ios.node", node);
    }
    if let Some((name, pid)) = header.process {
        builder.field("process.name", name);
        if let Some(pid) = pid.and_then(|p| p.parse::<i64>().ok()) {
            builder.field("process.pid", pid);
        }
    }
    let address = header.hosts.iter().find_map(|h| h.parse::<IpAddr>().ok());
    let name = header
        .hosts
        .iter()
        .rev()
        .find(|h| h.parse::<IpAddr>().is_err());
    if let Some(address) = address {
        builder.field("host.ip", address.to_string());
        builder.field("observer.ip", address.to_string());
    }
    let host_name = name
        .map(|n| (*n).to_owned())
        .or(address.map(|a| a.to_string()));
    if let Some(host_name) = host_name {
        builder.field("host.name", host_name.as_str());
        builder.field("observer.hostname", host_name);
    }
}

/// Fields whose values are whole numbers.
fn is_numeric(field: &str) -> bool {
    field.ends_with(".port")
        || field.ends_with(".bytes")
        || field.ends_with(".packets")
        || field.ends_with("_level")
        || field.ends_with(".old")
        || field.ends_with(".new")
        || field.ends_with(".tty")
        || field.ends_with("_type")
        || field.ends_with("_code")
}

fn add_captures(builder: &mut EventBuilder, captures: &Captures<'_>, kinds: &mut Vec<&str>) {
    for name in COMPILED_NAMES.iter().filter_map(|n| n.as_deref()) {
        let Some(value) = captures.name(name).map(|m| m.as_str().trim()) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        match name {
            "outcome" => {
                if let Some(outcome) = outcome_of(value) {
                    builder.field("event.outcome", outcome);
                }
            }
            "verdict" => {
                let allowed = outcome_of(value) == Some("success");
                kinds.push(if allowed { "allowed" } else { "denied" });
                builder.field("event.outcome", if allowed { "success" } else { "failure" });
            }
            _ => add_field(builder, &name.replace("__", "."), value),
        }
    }
}

/// Every group name of every rule, so [`add_captures`] can look each one up.
static COMPILED_NAMES: LazyLock<Vec<Option<String>>> = LazyLock::new(|| {
    let mut names: Vec<Option<String>> = COMPILED
        .iter()
        .flat_map(|(_, regex)| regex.capture_names().map(|n| n.map(str::to_owned)))
        .filter(Option::is_some)
        .collect();
    names.sort();
    names.dedup();
    names
});

fn add_field(builder: &mut EventBuilder, field: &str, value: &str) {
    if field.ends_with(".ip") {
        if let Ok(ip) = value.parse::<IpAddr>() {
            builder.field(field.to_owned(), ip.to_string());
        }
        return;
    }
    if field == "network.transport" {
        builder.field(field.to_owned(), value.to_ascii_lowercase());
        return;
    }
    if is_numeric(field)
        && let Ok(number) = value.parse::<i64>()
    {
        builder.field(field.to_owned(), number);
        return;
    }
    builder.field(field.to_owned(), value);
}

/// Maps the words messages use for results to `event.outcome`.
fn outcome_of(word: &str) -> Option<&'static str> {
    match word.to_ascii_lowercase().as_str() {
        "succeeded" | "successful" | "success" | "permitted" | "ok" | "accept" | "est-allowed" => {
            Some("success")
        }
        "failed" | "rejected" | "denied" | "deny" | "reject" => Some("failure"),
        _ => None,
    }
}

/// Maps ASA's Built and Teardown messages. `Built inbound` names the initiator first (`for`),
/// `Built outbound` names it second (`to`). Teardown does not tell, so its first side becomes
/// `source`.
fn add_asa_connection(builder: &mut EventBuilder, captures: &Captures<'_>, kinds: &mut Vec<&str>) {
    let get = |name: &str| captures.name(name).map(|m| m.as_str());
    let outbound = get("direction") == Some("outbound");
    let (source, destination) = if outbound { ("b", "a") } else { ("a", "b") };
    for (side, target) in [(source, "source"), (destination, "destination")] {
        if let Some(ip) = get(&format!("{side}_ip")) {
            add_field(builder, &format!("{target}.ip"), ip);
        }
        if let Some(port) = get(&format!("{side}_port")) {
            add_field(builder, &format!("{target}.port"), port);
        }
        if let Some(interface) = get(&format!("{side}_if")) {
            builder.field(format!("cisco.asa.{target}_interface"), interface);
        }
        if let Some(ip) = get(&format!("{side}_mapped_ip")) {
            add_field(builder, &format!("cisco.asa.mapped_{target}_ip"), ip);
        }
        if let Some(port) = get(&format!("{side}_mapped_port")) {
            add_field(builder, &format!("cisco.asa.mapped_{target}_port"), port);
        }
    }
    if let Some(direction) = get("direction") {
        builder.field("network.direction", direction);
    }
    if let Some(transport) = get("network__transport") {
        add_field(builder, "network.transport", transport);
    }
    if let Some(id) = get("cisco__asa__connection_id") {
        builder.field("cisco.asa.connection_id", id);
    }
    if let Some(bytes) = get("network__bytes") {
        add_field(builder, "network.bytes", bytes);
    }
    if let Some(reason) = get("event__reason") {
        builder.field("event.reason", reason.trim());
    }
    if let Some(duration) = get("duration").and_then(hms_to_nanos) {
        builder.field("event.duration", duration);
    }
    let teardown = get("event") == Some("Teardown");
    builder.field(
        "event.action",
        if teardown {
            "connection_teardown"
        } else {
            "connection_built"
        },
    );
    kinds.push(if teardown { "end" } else { "start" });
}

/// Converts ASA's `h:mm:ss` duration to nanoseconds.
fn hms_to_nanos(text: &str) -> Option<i64> {
    let mut parts = text.split(':').map(|p| p.parse::<i64>().ok());
    let (hours, minutes, seconds) = (parts.next()??, parts.next()??, parts.next()??);
    Some((hours * 3600 + minutes * 60 + seconds) * 1_000_000_000)
}

/// The hand-written part of `cisco_mapping.md`; the message table follows it.
const MAPPING_INTRO: &str = "# Cisco network-device syslog field mapping (format `cisco-syslog`)

Every line with a `%FACILITY-SEVERITY-MNEMONIC:` tag becomes one event with platform `Network
Devices`. Its `log.source` is `networkdevice:cli` for command logging, `networkdevice:config`
for configuration changes and `networkdevice:syslog` for everything else, the three names
ATT&CK 18.1 analytics give network-device logs. Lines without a tag in the same file are read
as Linux syslog (see `linux_mapping.md`) and counted in the file's notes.

## Recognition

A file is this format when one of its first 20 lines that are neither blank nor `#`
comments has a tag within its first 200 bytes, after no more than 14 words of header. The
tag is `%`, a facility (IOS XR adds a subfacility: `MGBL-CONFIG`), the severity 0 to 7, a
mnemonic (a six-digit message id for ASA and FTD) and a colon.

## Header

Before the tag, each of these may appear, in the order devices and syslog servers write them:

| part | examples | fields |
|---|---|---|
| `<PRI>` and RFC 5424's version | `<189>`, `<189>1` | `log.syslog.priority`, `log.syslog.facility.code` |
| the syslog server's time and the sender | `Mar  1 18:46:12 10.0.0.1`, `2024-03-01T18:46:12Z asa1 :` | `event.created`, `host.ip`, `observer.ip` |
| sequence number | `000123:` | `event.sequence`, `cisco.ios.sequence` |
| device host name | `router1:`, `asa1 :` | `host.name`, `observer.hostname` |
| IOS XR node and process | `RP/0/RSP0/CPU0:`, `config[65711]:` | `cisco.ios.node`, `process.name`, `process.pid` |
| device time | `*Mar  1 18:46:11.123 UTC:`, `Mar 01 2024 18:46:11:`, `2024 Mar  1 18:46:11 UTC:` | `@timestamp` |
| device uptime | `1d02h:`, `00:01:23:` | `cisco.ios.uptime` |

A host that is an IP address sets `host.ip` and `observer.ip`; the last host that is a name
sets `host.name` and `observer.hostname`, else the address does.

## Times

`@timestamp` is the device's time. When the line also has a syslog server's time, that goes
to `event.created`, unless the device's time is marked `*` (its clock was not synchronized,
as after a boot without NTP): then the server's time is `@timestamp`. A line with no time at
all is reported as a bad record. IOS times have no year unless `service timestamps log
datetime year` is set: the year comes from `--year`, else from the file's modification time,
as for syslog, separately for the device's and the server's clock. `UTC` and `GMT` are read
as UTC; times without a zone, and other abbreviations (`CET`, `EST`…, which are ambiguous),
are read in the zone `--tz` gives, else as UTC. The file's notes state each assumption.

## Fields of every message

| field | value |
|---|---|
| `event.code` | the tag: `SYS-5-CONFIG_I`, `ASA-6-302013` |
| `log.level`, `log.syslog.severity.name` | the severity's name: `emergency`, `alert`, `critical`, `error`, `warning`, `notice`, `informational`, `debug` |
| `log.syslog.severity.code` | the severity, 0 to 7 |
| `message` | the text after the tag |
| `event.kind` | `event` |
| `observer.vendor` | `Cisco` |
| `event.dataset` | `cisco_asa.log` for ASA, FTD, PIX and FWSM, else `cisco_ios.log` |
| `observer.product`, `observer.type`, `cisco.asa.message_id` | for the ASA family: the facility, `firewall` and the message id |
| `cisco.ios.facility`, `cisco.ios.mnemonic` | for the other facilities |
";

/// Renders the mapping as the Markdown in `cisco_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(MAPPING_INTRO);
    out.push_str(
        "\n## Messages\n\n\
         Messages are matched by facility and mnemonic (or ASA message id), whatever their \
         severity. Fields come from the message text; a message whose text does not match \
         keeps only the fields above.\n\n\
         | messages | `log.source` | `event.action` | `event.category` / `event.type` | fields |\n\
         |---|---|---|---|---|\n",
    );
    for (rule, regex) in COMPILED.iter() {
        let keys: Vec<String> = rule.keys.iter().map(|k| format!("`{k}`")).collect();
        let mut fields: Vec<String> = Vec::new();
        if rule.handler == Handler::AsaConnection {
            fields.extend(
                [
                    "source.ip",
                    "source.port",
                    "destination.ip",
                    "destination.port",
                    "network.direction",
                    "network.transport",
                    "network.bytes",
                    "event.duration",
                    "event.reason",
                    "cisco.asa.connection_id",
                    "cisco.asa.source_interface",
                    "cisco.asa.destination_interface",
                    "cisco.asa.mapped_source_ip",
                    "cisco.asa.mapped_destination_ip",
                ]
                .map(str::to_owned),
            );
        } else {
            for name in regex.capture_names().flatten() {
                let field = match name {
                    "outcome" | "verdict" => "event.outcome".to_owned(),
                    _ => name.replace("__", "."),
                };
                if !fields.contains(&field) {
                    fields.push(field);
                }
            }
        }
        if let Some(outcome) = rule.outcome {
            fields.push(format!("event.outcome={outcome}"));
        }
        let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
        let action = if rule.handler == Handler::AsaConnection {
            "`connection_built`, `connection_teardown`".to_owned()
        } else {
            format!("`{}`", rule.action)
        };
        out.push_str(&format!(
            "| {} | `{}` | {action} | {} / {} | {} |\n",
            keys.join(", "),
            rule.log_source,
            rule.category.join(", "),
            rule.kind.join(", "),
            fields.join(", "),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn scan(text: &str) -> (FileReport, EventStore) {
        let mut report =
            FileReport::new("router.log".into(), Format::CiscoSyslog, FileStatus::Loaded);
        let mut events = Vec::new();
        let modified = DateTime::parse_from_rfc3339("2024-03-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let finished = parse_bytes(
            text.as_bytes(),
            0,
            &FileTimeOptions::default(),
            Some(modified),
            &AtomicBool::new(false),
            &mut report,
            &mut events,
        );
        assert!(finished);
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "router.log".into(),
            format: "cisco-syslog",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
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
    fn mapping_doc_matches_rules() {
        let generated = mapping_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/cisco_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("cisco_mapping.md") == generated,
            "cisco_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn headers_are_split() {
        let line = "Mar  1 18:46:12 10.0.0.1 123: router1: *Mar  1 18:46:11.123 UTC: ";
        let header = parse_header(line);
        assert_eq!(header.hosts, vec!["10.0.0.1", "router1"]);
        assert_eq!(header.sequence, Some("123"));
        assert_eq!(header.stamps.len(), 2);
        assert!(matches!(
            header.stamps[1],
            Stamp::Partial {
                zone: Some("UTC"),
                unsynchronized: true,
                nanos: 123_000_000,
                ..
            }
        ));

        let asa = parse_header("<166>Mar 01 2024 18:46:11 asa1 : ");
        assert_eq!(asa.priority, Some(166));
        assert_eq!(asa.hosts, vec!["asa1"]);
        assert!(matches!(
            asa.stamps[0],
            Stamp::Partial {
                year: Some(2024),
                zone: None,
                ..
            }
        ));

        let xr = parse_header("RP/0/RSP0/CPU0:Mar  1 18:46:11.123 UTC: config[65711]: ");
        assert_eq!(xr.node, Some("RP/0/RSP0/CPU0"));
        assert_eq!(xr.process, Some(("config", Some("65711"))));
        assert_eq!(xr.stamps.len(), 1);

        let relay = parse_header("2021-04-01T10:06:26Z 10.126.11.254 : ");
        assert!(matches!(relay.stamps[0], Stamp::Full(_)));
        assert_eq!(relay.hosts, vec!["10.126.11.254"]);

        let uptime = parse_header("<189>45: 1d02h: ");
        assert_eq!(uptime.uptime, Some("1d02h"));
        assert!(uptime.stamps.is_empty());
    }

    #[test]
    fn tags_are_found_near_the_start() {
        let tag = find_tag("<189>1: *Mar  1 18:46:11: %SEC_LOGIN-5-LOGIN_SUCCESS: Login").unwrap();
        assert_eq!(tag.facility, "SEC_LOGIN");
        assert_eq!(tag.severity, 5);
        assert_eq!(tag.mnemonic, "LOGIN_SUCCESS");
        let xr = find_tag("x: %MGBL-CONFIG-6-DB_COMMIT : Configuration committed").unwrap();
        assert_eq!(xr.facility, "MGBL-CONFIG");
        assert_eq!(xr.mnemonic, "DB_COMMIT");
        assert!(find_tag("no tag here %sys-5-lower: x").is_none());
        assert!(looks_like_cisco_syslog(
            "Mar  1 18:46:11 asa1 %ASA-6-302013: Built"
        ));
        assert!(!looks_like_cisco_syslog(
            "Feb 21 21:54:44 host sshd[3402]: Accepted password for root"
        ));
    }

    #[test]
    fn ios_config_and_login_map() {
        let text = "<189>123: *Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)\n\
            <189>124: Mar  1 18:47:00 UTC: %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: 10.0.0.5] [localport: 22] at 18:47:00 UTC Fri Mar 1 2024\n\
            <189>125: Mar  1 18:48:00 UTC: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:crypto key generate rsa modulus 512\n";

        let (report, store) = scan(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.len(), 3);
        assert_eq!(store.events()[0].timestamp, utc("2024-03-01T18:46:11.123Z"));
        assert_eq!(str_field(&store, 0, "event.code"), Some("SYS-5-CONFIG_I"));
        assert_eq!(str_field(&store, 0, "user.name"), Some("admin"));
        assert_eq!(str_field(&store, 0, "source.ip"), Some("10.0.0.5"));
        assert_eq!(store.log_source(0), "networkdevice:config");
        assert_eq!(store.field(0, "event.sequence"), Some(ValueRef::Int(123)));
        assert_eq!(str_field(&store, 1, "event.outcome"), Some("success"));
        assert_eq!(store.field(1, "destination.port"), Some(ValueRef::Int(22)));
        assert_eq!(store.log_source(1), "networkdevice:syslog");
        assert_eq!(
            str_field(&store, 2, "process.command_line"),
            Some("crypto key generate rsa modulus 512")
        );
        assert_eq!(store.log_source(2), "networkdevice:cli");
        assert!(
            report.notes.iter().any(|n| n.contains("marked '*'")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn asa_outbound_connection_swaps_sides() {
        let text = "<166>Mar 01 2024 18:46:11: %ASA-6-302013: Built outbound TCP connection 1234 for outside:8.8.8.8/443 (8.8.8.8/443) to inside:10.0.0.5/51234 (203.0.113.5/51234)\n";

        let (report, store) = scan(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(str_field(&store, 0, "source.ip"), Some("10.0.0.5"));
        assert_eq!(store.field(0, "source.port"), Some(ValueRef::Int(51234)));
        assert_eq!(str_field(&store, 0, "destination.ip"), Some("8.8.8.8"));
        assert_eq!(
            str_field(&store, 0, "cisco.asa.mapped_source_ip"),
            Some("203.0.113.5")
        );
        assert_eq!(str_field(&store, 0, "network.direction"), Some("outbound"));
        assert_eq!(str_field(&store, 0, "network.transport"), Some("tcp"));
        assert_eq!(
            str_field(&store, 0, "event.action"),
            Some("connection_built")
        );
        assert_eq!(str_field(&store, 0, "event.code"), Some("ASA-6-302013"));
        assert_eq!(store.events()[0].timestamp, utc("2024-03-01T18:46:11Z"));
    }

    #[test]
    fn lines_without_time_or_tag_are_reported() {
        let text = "<166>%ASA-6-302013: Built inbound TCP connection 1 for a:1.1.1.1/1 (1.1.1.1/1) to b:2.2.2.2/2 (2.2.2.2/2)\n\
            garbage\n\
            Mar  1 18:46:11 host sshd[1]: Accepted password for bob from 10.0.0.9 port 2 ssh2\n\
            Mar  1 18:46:12 asa1 %ASA-6-611101: User authentication succeeded: IP address: 10.1.1.1, Uname: admin\n";

        let (report, store) = scan(text);

        assert_eq!(report.records_read, 4);
        assert_eq!(store.len(), 2);
        assert_eq!(report.errors.len(), 2);
        assert!(report.errors[0].message.contains("no timestamp"));
        assert!(report.errors[1].message.contains("no %FACILITY"));
        assert_eq!(store.log_source(0), "linux:syslog");
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("read as Linux syslog")),
            "{:?}",
            report.notes
        );
        assert_eq!(str_field(&store, 1, "user.name"), Some("admin"));
        assert_eq!(str_field(&store, 1, "host.name"), Some("asa1"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "%",
            "%A-1-B:",
            "<1>%SYS-5-CONFIG_I:",
            "*Mar 99 00:00:00: %SYS-5-CONFIG_I: x",
            "Mar  1 25:00:00: %SYS-5-CONFIG_I: x",
            "RP/0:Mar: %SYS-5-CONFIG_I: x",
            "Feb 29 10:00:00 2023: %SYS-5-CONFIG_I: x",
            "Mar 1 2024 10:00:00.1234567890: %SYS-5-CONFIG_I: x",
            "1d: %ASA-6-302014: Teardown TCP connection 1 for a:1.1.1.1/1 to b:2.2.2.2/2 duration 9:99:99 bytes x",
        ] {
            let _ = scan(text);
        }
    }
}
