//! Linux audit daemon logs in the raw format `auditd` writes to `/var/log/audit/audit.log`.
//!
//! Each line is one record: `type=SYSCALL msg=audit(1605000000.123:456): key=value …`, with an
//! optional `node=<host> ` prefix. The kernel and user-space tools write one event as several
//! records that share the `audit(<time>:<serial>)` stamp, so records are grouped by that stamp
//! into one event each. Records of different events may interleave, and the closing `EOE`
//! record is usually absent from log files, so a group also ends when no record of it has
//! appeared for [`GROUP_WINDOW_LINES`] lines, or at the end of the file.
//!
//! The field mapping is in `linux_mapping.md` beside this file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::limits::time_out_of_range;
use super::lines::{Line, read_lines_at, split_lines};
use super::raw::RawError;
use super::report::{FileReport, Location};
use super::sink::EventSink;
use crate::store::{EventBuilder, FileId, Origin, PendingValue, Platform, Timestamp};

#[path = "auditd_tables.rs"]
mod tables;

use tables::{
    FILE_CREATING_SYSCALLS, LOG_SOURCE_OVERRIDES, Normalization, PROCESS, RECORD_NORMALIZATIONS,
    SECONDARY_TYPES, SYSCALL_NORMALIZATIONS, architecture, syscall_name,
};

/// How many lines after its last record a group stays open for more records of its event.
///
/// NOTE: auditd writes the records of one event next to each other, and interleaving seen in
/// practice spans a few lines, so this bound is generous. A record that arrives later than
/// this becomes an event of its own.
pub(crate) const GROUP_WINDOW_LINES: u64 = 1000;

/// How many lines are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 1024;

/// Audit's "unset" id (`(uid_t)-1`), written for `auid` and `ses` before a login sets them.
const UNSET_ID: &str = "4294967295";

/// Parses the file at `path`, reporting records that fail in `report`. Returns `false` when
/// `cancel` stopped it early.
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

/// The stamp shared by all records of one event. The time is `seconds` (rounded down, so
/// negative for times before 1970) plus `nanos`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct EventKey {
    seconds: i64,
    nanos: u32,
    serial: u64,
}

impl EventKey {
    fn timestamp(self) -> Option<Timestamp> {
        self.seconds
            .checked_mul(1_000_000_000)?
            .checked_add(i64::from(self.nanos))
    }

    /// Formats the time as decimal Unix seconds, for messages.
    fn time_text(self) -> String {
        let total = i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos);
        let sign = if total < 0 { "-" } else { "" };
        let magnitude = total.unsigned_abs();
        format!(
            "{sign}{}.{:09} (Unix seconds)",
            magnitude / 1_000_000_000,
            magnitude % 1_000_000_000
        )
    }
}

/// The parts of a record line before its fields.
#[derive(Debug, PartialEq, Eq)]
struct RecordHeader<'a> {
    node: Option<&'a str>,
    kind: &'a str,
    key: EventKey,
    body: &'a str,
}

/// One record, with its fields decoded.
#[derive(Debug, Default)]
struct Record {
    kind: String,
    fields: Vec<(String, String)>,
    /// The raw `saddr` bytes of a SOCKADDR record.
    sockaddr: Option<Vec<u8>>,
}

impl Record {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The records of one event, collected so far.
#[derive(Debug)]
struct Group {
    key: EventKey,
    node: Option<String>,
    first_line: u64,
    first_offset: u64,
    last_line: u64,
    records: Vec<Record>,
}

/// Parses every record in `bytes` and assembles the events. Returns `false` when `cancel`
/// stopped it early.
///
/// Each event's origin is the line number and byte offset of its first record. A line that is
/// not an audit record counts as one skipped record with its location.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut open: HashMap<EventKey, Group> = HashMap::new();
    for line in split_lines(bytes) {
        if line.number % CANCEL_CHECK_INTERVAL == 0 {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            flush_groups(&mut open, Some(line.number), file, report, events);
        }
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        add_line(&line, &mut open, report);
    }
    flush_groups(&mut open, None, file, report, events);
    true
}

fn add_line(line: &Line<'_>, open: &mut HashMap<EventKey, Group>, report: &mut FileReport) {
    let location = Location::Line {
        line: line.number,
        offset: line.offset,
    };
    if line.is_too_long() {
        report.records_read += 1;
        report.push_error(location, "line longer than 1 MiB; not parsed");
        return;
    }
    let text = line.text();
    let header = match parse_header(&text) {
        Ok(header) => header,
        Err(reason) => {
            report.records_read += 1;
            report.push_error(location, reason);
            return;
        }
    };
    let record = parse_record(header.kind, header.body);
    let group = open.entry(header.key).or_insert_with(|| {
        report.records_read += 1;
        Group {
            key: header.key,
            node: header.node.map(str::to_owned),
            first_line: line.number,
            first_offset: line.offset,
            last_line: line.number,
            records: Vec::new(),
        }
    });
    group.last_line = line.number;
    if record.kind != "EOE" {
        group.records.push(record);
    }
}

/// Maps and removes the groups that can get no more records: all of them when `now` is
/// `None` (end of file), else those idle for more than [`GROUP_WINDOW_LINES`].
fn flush_groups(
    open: &mut HashMap<EventKey, Group>,
    now: Option<u64>,
    file: FileId,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) {
    let mut done: Vec<Group> = Vec::new();
    open.retain(|_, group| {
        let idle = now.is_none_or(|line| line > group.last_line + GROUP_WINDOW_LINES);
        if idle {
            done.push(Group {
                key: group.key,
                node: group.node.take(),
                first_line: group.first_line,
                first_offset: group.first_offset,
                last_line: group.last_line,
                records: std::mem::take(&mut group.records),
            });
        }
        !idle
    });
    // Emit in file order, so events and errors come out the same on every run.
    done.sort_by_key(|group| group.first_line);
    for group in done {
        let origin = Origin {
            file,
            record: group.first_line,
            offset: Some(group.first_offset),
        };
        match map_group(&group, origin) {
            Some(event) => events.push(event),
            None => report.push_error(
                Location::Line {
                    line: group.first_line,
                    offset: group.first_offset,
                },
                time_out_of_range(&group.key.time_text()),
            ),
        }
    }
}

/// Splits `[node=<host> ]type=<TYPE> msg=audit(<seconds>.<fraction>:<serial>)[:] <fields>`.
fn parse_header(line: &str) -> Result<RecordHeader<'_>, &'static str> {
    let mut rest = line.trim_start();
    let mut node = None;
    if let Some(after) = rest.strip_prefix("node=") {
        let (name, tail) = after.split_once(' ').unwrap_or((after, ""));
        node = Some(name);
        rest = tail.trim_start();
    }
    let after_type = rest
        .strip_prefix("type=")
        .ok_or("not an audit record: missing `type=`")?;
    let (kind, tail) = after_type
        .split_once(' ')
        .ok_or("not an audit record: missing `msg=audit(…)`")?;
    let stamp_start = tail
        .trim_start()
        .strip_prefix("msg=audit(")
        .ok_or("audit record without a `msg=audit(<time>:<serial>)` stamp")?;
    let (stamp, body) = stamp_start
        .split_once(')')
        .ok_or("audit stamp is not closed with `)`")?;
    let key =
        parse_stamp(stamp).ok_or("invalid audit stamp; expected `<seconds>.<ms>:<serial>`")?;
    let body = body.strip_prefix(':').unwrap_or(body).trim_start();
    Ok(RecordHeader {
        node,
        kind,
        key,
        body,
    })
}

fn parse_stamp(stamp: &str) -> Option<EventKey> {
    let (time, serial) = stamp.split_once(':')?;
    let (seconds, fraction) = time.split_once('.').unwrap_or((time, ""));
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = if fraction.is_empty() {
        0
    } else {
        let scale = 10u32.pow(9 - fraction.len() as u32);
        fraction.parse::<u32>().ok()? * scale
    };
    let mut seconds: i64 = seconds.parse().ok()?;
    // `-1.5` is a second and a half before 1970: the fraction counts away from zero, so the
    // whole seconds round down and the fraction is what remains up to them.
    if time.starts_with('-') && nanos > 0 {
        seconds = seconds.checked_sub(1)?;
        nanos = 1_000_000_000 - nanos;
    }
    Some(EventKey {
        seconds,
        nanos,
        serial: serial.parse().ok()?,
    })
}

/// One `key=value` token, before hex decoding.
#[derive(Debug, PartialEq, Eq)]
enum RawValue<'a> {
    Quoted(&'a str),
    Bare(&'a str),
}

/// Splits a record body into `key=value` pairs. Words without `=` (free text in daemon
/// records) are dropped, and `msg='…'` of user-space records is split into its own pairs.
fn split_fields(body: &str) -> Vec<(&str, RawValue<'_>)> {
    let mut fields = Vec::new();
    split_fields_into(body, &mut fields, 0);
    fields
}

/// The byte between a record's raw fields and the names that `log_format = ENRICHED` appends
/// (`AUID="alice"`).
const ENRICHED_SEPARATOR: u8 = 0x1d;

fn is_separator(byte: u8) -> bool {
    byte == b' ' || byte == ENRICHED_SEPARATOR
}

fn split_fields_into<'a>(body: &'a str, fields: &mut Vec<(&'a str, RawValue<'a>)>, depth: u8) {
    let bytes = body.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        while bytes.get(pos).is_some_and(|&b| is_separator(b)) {
            pos += 1;
        }
        let start = pos;
        while bytes
            .get(pos)
            .is_some_and(|&b| b != b'=' && !is_separator(b))
        {
            pos += 1;
        }
        if bytes.get(pos).is_none_or(|&b| is_separator(b)) {
            continue;
        }
        // Every position stops at an ASCII delimiter or the end, so each is a char boundary.
        let key = body.get(start..pos).unwrap_or_default();
        pos += 1;
        match bytes.get(pos) {
            Some(&quote @ (b'"' | b'\'')) => {
                let value_start = pos + 1;
                let value_end = bytes
                    .get(value_start..)
                    .unwrap_or_default()
                    .iter()
                    .position(|&b| b == quote)
                    .map_or(bytes.len(), |i| value_start + i);
                let value = body.get(value_start..value_end).unwrap_or_default();
                pos = value_end + 1;
                // The user-space message nests its own pairs one level deep.
                if quote == b'\'' && key == "msg" && depth == 0 {
                    split_fields_into(value, fields, depth + 1);
                } else if !key.is_empty() {
                    fields.push((key, RawValue::Quoted(value)));
                }
            }
            _ => {
                let value_start = pos;
                while bytes.get(pos).is_some_and(|&b| !is_separator(b)) {
                    pos += 1;
                }
                if !key.is_empty() {
                    let value = body.get(value_start..pos).unwrap_or_default();
                    fields.push((key, RawValue::Bare(value)));
                }
            }
        }
    }
}

/// Returns whether auditd hex-encodes this field when its value contains a space, a double
/// quote or a control character.
fn is_encoded_field(kind: &str, key: &str) -> bool {
    match key {
        "proctitle" | "cmd" | "acct" | "exe" | "comm" | "cwd" | "name" | "data" | "path"
        | "key" | "old-key" | "new-key" | "vm" | "dir" | "file" => true,
        _ => kind == "EXECVE" && is_execve_argument(key),
    }
}

/// `a0`, `a1`… and the pieces `a1[0]`, `a1[1]`… of an argument split over several records.
fn is_execve_argument(key: &str) -> bool {
    let Some(rest) = key.strip_prefix('a') else {
        return false;
    };
    let digits = rest.split('[').next().unwrap_or(rest);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Decodes an even-length run of hex digits; `None` when `text` is not one.
pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => Some(digit(*high)? << 4 | digit(*low)?),
            _ => None,
        })
        .collect()
}

fn parse_record(kind: &str, body: &str) -> Record {
    let mut record = Record {
        kind: kind.to_owned(),
        ..Record::default()
    };
    for (key, value) in split_fields(body) {
        let text = match value {
            RawValue::Quoted(text) => text.to_owned(),
            RawValue::Bare(text) if key == "saddr" => {
                record.sockaddr = decode_hex(text);
                text.to_owned()
            }
            RawValue::Bare(text) if is_encoded_field(kind, key) => match decode_hex(text) {
                Some(decoded) if key == "proctitle" => proctitle_text(&decoded),
                Some(decoded) => String::from_utf8_lossy(&decoded).into_owned(),
                None => text.to_owned(),
            },
            RawValue::Bare(text) => text.to_owned(),
        };
        record.fields.push((key.to_owned(), text));
    }
    record
}

/// Joins the NUL-separated arguments of a process title with spaces.
fn proctitle_text(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes
        .split(|&b| b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    parts.join(" ")
}

/// Returns the main record: SYSCALL when present, else the first record that is not only
/// detail.
fn primary_record(records: &[Record]) -> Option<&Record> {
    records
        .iter()
        .find(|r| r.kind == "SYSCALL")
        .or_else(|| {
            records
                .iter()
                .find(|r| !SECONDARY_TYPES.contains(&r.kind.as_str()))
        })
        .or_else(|| records.first())
}

/// Returns the ATT&CK log source of an event whose main record has type `kind`.
pub(crate) fn log_source(kind: &str) -> String {
    LOG_SOURCE_OVERRIDES
        .iter()
        .find(|(name, _)| *name == kind)
        .map_or_else(
            || format!("auditd:{kind}"),
            |(_, source)| (*source).to_owned(),
        )
}

/// Returns the log sources of events that a read of `source` also takes: `auditd:FILE` and
/// `auditd:MMAP` events are syscall events named more narrowly, so a query over
/// `auditd:SYSCALL` (as ATT&CK writes file writes and library loads for most analytics) sees
/// them too.
pub fn narrower_sources(source: &str) -> &'static [&'static str] {
    match source {
        "auditd:SYSCALL" => &["auditd:FILE", "auditd:MMAP"],
        _ => &[],
    }
}

/// Returns the log source of an event with a SYSCALL record.
///
/// A file-backed memory mapping, for which the kernel adds an MMAP record, is `auditd:MMAP`.
/// A successful syscall that created a file, marked by a PATH record with `nametype=CREATE`,
/// is `auditd:FILE`. ATT&CK names these sources in its Module Load (DC0016) and File Creation
/// (DC0039) data components. Every other syscall is `auditd:SYSCALL`.
fn syscall_log_source(syscall: &Record, records: &[Record]) -> String {
    if records.iter().any(|r| r.kind == "MMAP") {
        return "auditd:MMAP".to_owned();
    }
    let created = records
        .iter()
        .any(|r| r.kind == "PATH" && r.get("nametype") == Some("CREATE"));
    let creating_syscall = syscall
        .get("syscall")
        .map(|number| syscall_name(syscall.get("arch"), number))
        .is_some_and(|name| FILE_CREATING_SYSCALLS.contains(&name.as_str()));
    if created && creating_syscall && syscall.get("success") != Some("no") {
        "auditd:FILE".to_owned()
    } else {
        "auditd:SYSCALL".to_owned()
    }
}

fn map_group(group: &Group, origin: Origin) -> Option<EventBuilder> {
    let timestamp = group.key.timestamp()?;
    let primary = primary_record(&group.records);
    let primary_kind = primary.map_or("UNKNOWN", |r| r.kind.as_str());
    let syscall = group.records.iter().find(|r| r.kind == "SYSCALL");
    let source = match syscall {
        Some(record) => syscall_log_source(record, &group.records),
        None => log_source(primary_kind),
    };
    let mut builder = EventBuilder::new(timestamp, source, Platform::Linux, origin);
    builder.field("event.kind", "event");
    builder.field("event.module", "auditd");
    builder.field("auditd.message_type", primary_kind.to_ascii_lowercase());
    builder.field(
        "auditd.sequence",
        i64::try_from(group.key.serial).unwrap_or(i64::MAX),
    );
    if let Some(node) = &group.node {
        builder.field("host.name", node.as_str());
    }
    let kinds: Vec<PendingValue> = group
        .records
        .iter()
        .map(|r| PendingValue::from(r.kind.as_str()))
        .collect();
    builder.field("auditd.record_types", PendingValue::List(kinds));

    for record in &group.records {
        keep_original_fields(&mut builder, record);
    }
    match syscall {
        Some(record) => map_syscall(&mut builder, record),
        None => {
            builder.field("event.code", primary_kind);
            if let Some(record) = primary {
                map_user_space(&mut builder, record);
            }
        }
    }
    for record in &group.records {
        match record.kind.as_str() {
            "EXECVE" => map_execve(&mut builder, record),
            "CWD" => {
                if let Some(cwd) = record.get("cwd") {
                    builder.field("process.working_directory", cwd);
                }
            }
            "PROCTITLE" => {
                if let Some(title) = record.get("proctitle") {
                    builder.field("process.title", title);
                }
            }
            "SOCKADDR" => map_sockaddr(&mut builder, record, syscall),
            "CONFIG_CHANGE" => {
                if let Some(op) = record.get("op") {
                    builder.field("auditd.data.op", op);
                }
            }
            _ => {}
        }
    }
    map_paths(&mut builder, &group.records);
    if let Some(key) = group.records.iter().find_map(|r| r.get("key"))
        && key != "(null)"
    {
        // auditctl joins several rule keys with \x01.
        let keys: Vec<PendingValue> = key.split('\u{1}').map(PendingValue::from).collect();
        builder.field("tags", PendingValue::List(keys));
    }
    add_command_line(&mut builder, &group.records);
    Some(builder)
}

/// Keeps every field of every record under `auditd.log.<type>.<key>`; PATH records, which
/// repeat, under `auditd.log.path.<item>.<key>`.
fn keep_original_fields(builder: &mut EventBuilder, record: &Record) {
    let kind = record.kind.to_ascii_lowercase();
    let prefix = match (record.kind.as_str(), record.get("item")) {
        ("PATH", Some(item)) => format!("auditd.log.path.{item}"),
        _ => format!("auditd.log.{kind}"),
    };
    for (key, value) in &record.fields {
        builder.field(format!("{prefix}.{key}"), value.as_str());
    }
}

fn map_syscall(builder: &mut EventBuilder, record: &Record) {
    let arch = record.get("arch");
    if let Some((name, _)) = arch.and_then(architecture) {
        builder.field("auditd.data.arch", name);
    }
    if let Some(number) = record.get("syscall") {
        let name = syscall_name(arch, number);
        builder.field("event.code", name.as_str());
        if let Some((_, normal)) = SYSCALL_NORMALIZATIONS
            .iter()
            .find(|(names, _)| names.contains(&name.as_str()))
        {
            apply_normalization(builder, normal);
        } else {
            // go-libaudit's catch-all for syscalls it does not name.
            builder.field("event.category", list(PROCESS));
            builder.field("event.type", list(&["info"]));
        }
        builder.field("auditd.data.syscall", name);
    }
    for key in ["exit", "a0", "a1", "a2", "a3", "tty"] {
        if let Some(value) = record.get(key) {
            builder.field(format!("auditd.data.{key}"), value);
        }
    }
    match record.get("success") {
        Some("yes") => outcome(builder, true),
        Some("no") => outcome(builder, false),
        _ => {}
    }
    map_process_identity(builder, record);
}

/// Maps the subject fields shared by SYSCALL and user-space records.
fn map_process_identity(builder: &mut EventBuilder, record: &Record) {
    add_long(builder, "process.pid", record.get("pid"));
    add_long(builder, "process.parent.pid", record.get("ppid"));
    if let Some(exe) = record.get("exe").filter(|e| *e != "?" && *e != "(null)") {
        builder.field("process.executable", exe);
    }
    if let Some(comm) = record.get("comm").filter(|c| *c != "?") {
        builder.field("process.name", comm);
    } else if let Some(exe) = record.get("exe").filter(|e| e.starts_with('/')) {
        builder.field("process.name", exe.rsplit('/').next().unwrap_or(exe));
    }
    for (target, key) in [
        ("user.id", "uid"),
        ("user.effective.id", "euid"),
        ("user.saved.id", "suid"),
        ("user.filesystem.id", "fsuid"),
        ("user.group.id", "gid"),
        ("user.effective.group.id", "egid"),
        ("user.audit.id", "auid"),
    ] {
        if let Some(value) = record.get(key).filter(|v| *v != UNSET_ID) {
            builder.field(target, value);
        }
    }
    // Enriched logs (`log_format = ENRICHED`) add the names in upper-case fields.
    for (target, key) in [
        ("user.name", "UID"),
        ("user.effective.name", "EUID"),
        ("user.group.name", "GID"),
        ("user.audit.name", "AUID"),
    ] {
        if let Some(value) = record.get(key).filter(|v| *v != "unset") {
            builder.field(target, value);
        }
    }
    if let Some(session) = record.get("ses").filter(|v| *v != UNSET_ID) {
        builder.field("auditd.session", session);
    }
}

/// Maps a user-space record (authentication, account and daemon messages).
fn map_user_space(builder: &mut EventBuilder, record: &Record) {
    if let Some((_, normal)) = RECORD_NORMALIZATIONS
        .iter()
        .find(|(kind, _)| *kind == record.kind)
    {
        apply_normalization(builder, normal);
    }
    map_process_identity(builder, record);

    // The account acted on: the user logging in, or the account being created.
    let account = record.get("acct").filter(|a| *a != "?" && !a.is_empty());
    let id = record.get("id").filter(|v| *v != "?" && *v != UNSET_ID);
    match record.kind.as_str() {
        "ADD_USER" | "DEL_USER" | "USER_MGMT" | "USER_CHAUTHTOK" => {
            set(builder, "user.target.name", account);
            set(builder, "user.target.id", id);
        }
        "ADD_GROUP" | "DEL_GROUP" | "GRP_MGMT" => {
            set(builder, "group.name", account);
            set(builder, "group.id", id);
        }
        _ => {
            set(builder, "user.name", account);
            if id.is_some() {
                set(builder, "user.id", id);
            }
        }
    }

    if let Some(addr) = record.get("addr").filter(|a| *a != "?" && !a.is_empty()) {
        builder.field("source.ip", addr);
    }
    if let Some(host) = record
        .get("hostname")
        .filter(|h| *h != "?" && !h.is_empty())
        && Some(host) != record.get("addr")
    {
        builder.field("source.domain", host);
    }
    add_long(builder, "source.port", record.get("rport"));
    for key in ["op", "terminal", "grantors", "unit"] {
        if let Some(value) = record.get(key).filter(|v| *v != "?") {
            builder.field(format!("auditd.data.{key}"), value);
        }
    }
    if let Some(unit) = record.get("unit") {
        builder.field("service.name", unit);
    }

    if record.kind == "USER_CMD"
        && let Some(cmd) = record.get("cmd")
    {
        builder.field("process.command_line", cmd);
        if let Some(cwd) = record.get("cwd") {
            builder.field("process.working_directory", cwd);
        }
    }
    if let Some(data) = record.get("data") {
        builder.field("auditd.data.data", data);
    }
    match record.get("res") {
        Some("success" | "1" | "yes") => outcome(builder, true),
        Some("failed" | "0" | "no") => outcome(builder, false),
        _ => {}
    }
}

/// Maps EXECVE arguments to `process.args`, rejoining arguments split into `aN[i]` pieces.
fn map_execve(builder: &mut EventBuilder, record: &Record) {
    let mut args: Vec<(u32, String)> = Vec::new();
    for (key, value) in &record.fields {
        if !is_execve_argument(key) {
            continue;
        }
        let number = key.strip_prefix('a').unwrap_or(key);
        let (index, piece) = match number.split_once('[') {
            Some((index, _)) => (index, true),
            None => (number, false),
        };
        let Ok(index) = index.parse::<u32>() else {
            continue;
        };
        match args.iter_mut().find(|(i, _)| *i == index) {
            Some((_, text)) if piece => text.push_str(value),
            Some(_) => {}
            None => args.push((index, value.clone())),
        }
    }
    args.sort_by_key(|(index, _)| *index);
    if args.is_empty() {
        return;
    }
    builder.field("process.args_count", args.len() as i64);
    let list = args
        .into_iter()
        .map(|(_, text)| PendingValue::Str(text))
        .collect();
    builder.field("process.args", PendingValue::List(list));
}

/// Sets `process.command_line` from the EXECVE arguments, or else from the process title,
/// which the kernel cuts to 128 bytes.
fn add_command_line(builder: &mut EventBuilder, records: &[Record]) {
    let from_args: Option<String> = records.iter().find(|r| r.kind == "EXECVE").map(|r| {
        let mut pieces: Vec<(u32, &str)> = r
            .fields
            .iter()
            .filter(|(key, _)| is_execve_argument(key) && !key.contains('['))
            .filter_map(|(key, value)| Some((key.get(1..)?.parse().ok()?, value.as_str())))
            .collect();
        pieces.sort_by_key(|(index, _)| *index);
        pieces
            .iter()
            .map(|(_, value)| *value)
            .collect::<Vec<_>>()
            .join(" ")
    });
    let split_args = records
        .iter()
        .any(|r| r.kind == "EXECVE" && r.fields.iter().any(|(key, _)| key.contains('[')));
    let command = match from_args {
        Some(text) if !text.is_empty() && !split_args => Some(text),
        _ => records
            .iter()
            .find(|r| r.kind == "PROCTITLE")
            .and_then(|r| r.get("proctitle"))
            .map(str::to_owned),
    };
    if let Some(command) = command {
        builder.field("process.command_line", command);
    }
}

/// Sets `file.path` from the PATH records: the last one that is not a parent directory.
fn map_paths(builder: &mut EventBuilder, records: &[Record]) {
    let path = records
        .iter()
        .rev()
        .filter(|r| r.kind == "PATH")
        .filter(|r| r.get("nametype") != Some("PARENT"))
        .filter_map(|r| Some((r, r.get("name")?)))
        .find(|(_, name)| *name != "(null)");
    if let Some((record, name)) = path {
        builder.field("file.path", name);
        if let Some(file_name) = name.rsplit('/').next() {
            builder.field("file.name", file_name);
        }
        add_long(builder, "file.inode", record.get("inode"));
        if let Some(mode) = record.get("mode") {
            builder.field("file.mode", mode);
        }
    }
}

/// Decodes `saddr` (a `struct sockaddr`) into the peer address. The peer is the destination
/// for outgoing syscalls and the source for `accept` and `bind`.
fn map_sockaddr(builder: &mut EventBuilder, record: &Record, syscall: Option<&Record>) {
    let Some(bytes) = &record.sockaddr else {
        return;
    };
    let Some(address) = decode_sockaddr(bytes) else {
        return;
    };
    let arch = syscall.and_then(|r| r.get("arch"));
    let name = syscall
        .and_then(|r| r.get("syscall"))
        .map(|n| syscall_name(arch, n));
    let side = match name.as_deref() {
        Some("accept" | "accept4" | "bind" | "recvfrom" | "recvmsg") => "source",
        _ => "destination",
    };
    builder.field("auditd.data.socket.family", address.family);
    match address.peer {
        Peer::Ip { ip, port } => {
            builder.field(format!("{side}.ip"), ip);
            builder.field(format!("{side}.port"), i64::from(port));
        }
        Peer::Path(path) => {
            builder.field("auditd.data.socket.path", path);
        }
        Peer::None => {}
    }
}

/// A decoded `struct sockaddr`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SocketAddress {
    /// `ipv4`, `ipv6`, `unix`, `netlink` or the family number.
    pub family: String,
    /// The address inside it.
    pub peer: Peer,
}

/// The address part of a `struct sockaddr`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// An IPv4 or IPv6 address and port.
    Ip {
        /// The address, in its usual text form.
        ip: String,
        /// The port.
        port: u16,
    },
    /// A Unix socket path; abstract names start with `@`.
    Path(String),
    /// A family without an address this parser decodes.
    None,
}

/// Decodes a `struct sockaddr`: the family is little-endian as on the audited host (x86 and
/// ARM), the port and address are in network order.
pub(crate) fn decode_sockaddr(bytes: &[u8]) -> Option<SocketAddress> {
    let family = u16::from_le_bytes([*bytes.first()?, *bytes.get(1)?]);
    let port = |b: &[u8]| Some(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]));
    let (name, peer) = match family {
        1 => {
            let path = bytes.get(2..).unwrap_or_default();
            let text = match path.first() {
                // An abstract socket name starts with a NUL byte.
                Some(0) => {
                    let name = path.get(1..).unwrap_or_default();
                    let name = name.split(|&b| b == 0).next().unwrap_or_default();
                    format!("@{}", String::from_utf8_lossy(name))
                }
                _ => {
                    let name = path.split(|&b| b == 0).next().unwrap_or_default();
                    String::from_utf8_lossy(name).into_owned()
                }
            };
            ("unix".to_owned(), Peer::Path(text))
        }
        2 => {
            let octets: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            let ip = std::net::Ipv4Addr::from(octets).to_string();
            let port = port(bytes)?;
            ("ipv4".to_owned(), Peer::Ip { ip, port })
        }
        10 => {
            let octets: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            let ip = std::net::Ipv6Addr::from(octets).to_string();
            let port = port(bytes)?;
            ("ipv6".to_owned(), Peer::Ip { ip, port })
        }
        16 => ("netlink".to_owned(), Peer::None),
        other => (other.to_string(), Peer::None),
    };
    Some(SocketAddress { family: name, peer })
}

fn apply_normalization(builder: &mut EventBuilder, normal: &Normalization) {
    builder.field("event.action", normal.action);
    builder.field("event.category", list(normal.category));
    builder.field("event.type", list(normal.kind));
}

fn outcome(builder: &mut EventBuilder, success: bool) {
    let (result, outcome) = if success {
        ("success", "success")
    } else {
        ("fail", "failure")
    };
    builder.field("auditd.result", result);
    builder.field("event.outcome", outcome);
}

fn set(builder: &mut EventBuilder, target: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        builder.field(target, value);
    }
}

fn add_long(builder: &mut EventBuilder, target: &'static str, value: Option<&str>) {
    if let Some(n) = value.and_then(|v| v.parse::<i64>().ok()) {
        builder.field(target, n);
    }
}

fn list(items: &[&str]) -> PendingValue {
    PendingValue::List(items.iter().map(|s| PendingValue::from(*s)).collect())
}

/// Reads back the records of the event whose first record is at byte `offset` of `path`:
/// that line and every later line with the same stamp within [`GROUP_WINDOW_LINES`].
pub(crate) fn read_raw(path: &Path, offset: u64) -> Result<String, RawError> {
    let window = usize::try_from(GROUP_WINDOW_LINES).unwrap_or(usize::MAX);
    let lines = read_lines_at(path, offset, window.saturating_add(1))?;
    let Some(first) = lines.first() else {
        return Err(RawError::NoDocument {
            path: path.display().to_string(),
            offset,
        });
    };
    let Ok(header) = parse_header(first) else {
        // Not an audit record (a skipped line): show the line itself.
        return Ok(first.clone());
    };
    let key = header.key;
    let mut out = Vec::new();
    let mut idle = 0u64;
    for line in &lines {
        if parse_header(line).is_ok_and(|h| h.key == key) {
            out.push(line.as_str());
            idle = 0;
        } else {
            idle += 1;
            if idle > GROUP_WINDOW_LINES {
                break;
            }
        }
    }
    Ok(out.join("\n"))
}

/// Returns whether `text` (the start of a file) looks like an auditd log: its first line
/// that is not blank is an audit record with a stamp.
pub(crate) fn looks_like_auditd(text: &str) -> bool {
    text.lines()
        .find(|line| !line.trim().is_empty())
        .is_some_and(|line| parse_header(line).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn load(text: &str) -> (FileReport, EventStore) {
        let mut report = FileReport::new("audit.log".into(), Format::Auditd, FileStatus::Loaded);
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
            path: "audit.log".into(),
            format: "auditd",
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

    const EXECVE_EVENT: &str = concat!(
        "type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes ",
        "exit=0 ppid=29002 pid=1631 auid=1000 uid=1000 gid=1000 euid=0 ses=104 comm=\"arp\" ",
        "exe=\"/usr/sbin/arp\" key=(null)\n",
        "type=EXECVE msg=audit(1604994496.155:92733): argc=2 a0=\"arp\" a1=\"-a\"\n",
        "type=CWD msg=audit(1604994496.155:92733): cwd=\"/home/wardog\"\n",
        "type=PATH msg=audit(1604994496.155:92733): item=0 name=\"/usr/sbin/arp\" inode=13181 ",
        "nametype=NORMAL\n",
        "type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61\n",
    );

    #[test]
    fn execve_event_is_one_syscall_event() {
        let (report, store) = load(EXECVE_EVENT);

        assert_eq!(report.records_read, 1);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.len(), 1);
        assert_eq!(store.log_source(0), "auditd:SYSCALL");
        assert_eq!(store.events()[0].platform, Platform::Linux);
        assert_eq!(store.events()[0].timestamp, 1_604_994_496_155_000_000);
        assert_eq!(str_field(&store, 0, "event.code"), Some("execve"));
        assert_eq!(str_field(&store, 0, "auditd.data.syscall"), Some("execve"));
        assert_eq!(str_field(&store, 0, "event.action"), Some("executed"));
        assert_eq!(str_field(&store, 0, "process.name"), Some("arp"));
        assert_eq!(
            str_field(&store, 0, "process.executable"),
            Some("/usr/sbin/arp")
        );
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(1631)));
        assert_eq!(
            store.field(0, "process.parent.pid"),
            Some(ValueRef::Int(29002))
        );
        assert_eq!(str_field(&store, 0, "process.command_line"), Some("arp -a"));
        assert_eq!(
            store.field(0, "process.args"),
            Some(ValueRef::List(vec![
                ValueRef::Str("arp"),
                ValueRef::Str("-a")
            ]))
        );
        assert_eq!(str_field(&store, 0, "process.title"), Some("arp -a"));
        assert_eq!(
            str_field(&store, 0, "process.working_directory"),
            Some("/home/wardog")
        );
        assert_eq!(str_field(&store, 0, "user.id"), Some("1000"));
        assert_eq!(str_field(&store, 0, "user.effective.id"), Some("0"));
        assert_eq!(str_field(&store, 0, "user.audit.id"), Some("1000"));
        assert_eq!(str_field(&store, 0, "file.path"), Some("/usr/sbin/arp"));
        assert_eq!(str_field(&store, 0, "event.outcome"), Some("success"));
        assert_eq!(store.field(0, "tags"), None);
    }

    #[test]
    fn interleaved_records_group_by_stamp() {
        let text = concat!(
            "type=SYSCALL msg=audit(10.001:1): syscall=59 arch=c000003e pid=1\n",
            "type=SYSCALL msg=audit(10.002:2): syscall=42 arch=c000003e pid=2\n",
            "type=EXECVE msg=audit(10.001:1): argc=1 a0=\"ls\"\n",
            "type=SOCKADDR msg=audit(10.002:2): saddr=02000050A9FEA9FE0000000000000000\n",
            "type=EOE msg=audit(10.001:1): \n",
        );

        let (report, store) = load(text);

        assert_eq!(report.records_read, 2);
        assert_eq!(store.len(), 2);
        assert_eq!(str_field(&store, 0, "process.command_line"), Some("ls"));
        assert_eq!(str_field(&store, 1, "event.action"), Some("connected-to"));
        assert_eq!(
            str_field(&store, 1, "destination.ip"),
            Some("169.254.169.254")
        );
        assert_eq!(store.field(1, "destination.port"), Some(ValueRef::Int(80)));
        assert_eq!(
            store.field(0, "auditd.record_types"),
            Some(ValueRef::List(vec![
                ValueRef::Str("SYSCALL"),
                ValueRef::Str("EXECVE")
            ]))
        );
    }

    #[test]
    fn hex_fields_are_decoded() {
        let text = concat!(
            "type=USER_CMD msg=audit(1481077231.363:475): pid=1382 uid=1000 auid=1000 ses=3 ",
            "msg='cwd=\"/home/andrew_kroh\" cmd=2E2F6D657472696362656174202D63206D622E6465762E796D6C ",
            "terminal=pts/0 res=success'\n",
            "type=EXECVE msg=audit(5.000:9): argc=2 a0=\"echo\" a1=68692074686572650A\n",
        );

        let (_, store) = load(text);

        assert_eq!(store.log_source(0), "auditd:USER_CMD");
        assert_eq!(
            str_field(&store, 0, "process.command_line"),
            Some("./metricbeat -c mb.dev.yml")
        );
        assert_eq!(str_field(&store, 0, "event.action"), Some("ran-command"));
        assert_eq!(str_field(&store, 0, "auditd.data.terminal"), Some("pts/0"));
        assert_eq!(store.log_source(1), "auditd:EXECVE");
        assert_eq!(
            str_field(&store, 1, "process.command_line"),
            Some("echo hi there\n")
        );
    }

    #[test]
    fn split_execve_arguments_are_joined() {
        let text = concat!(
            "type=EXECVE msg=audit(5.000:9): argc=2 a0=\"sh\" a1_len=6 a1[0]=616263 ",
            "a1[1]=\"def\"\n",
            "type=PROCTITLE msg=audit(5.000:9): proctitle=7368002D63\n",
        );

        let (_, store) = load(text);

        assert_eq!(
            store.field(0, "process.args"),
            Some(ValueRef::List(vec![
                ValueRef::Str("sh"),
                ValueRef::Str("abcdef")
            ]))
        );
        assert_eq!(store.field(0, "process.args_count"), Some(ValueRef::Int(2)));
        assert_eq!(str_field(&store, 0, "process.command_line"), Some("sh -c"));
    }

    #[test]
    fn user_login_maps_account_and_source() {
        let text = concat!(
            "type=USER_LOGIN msg=audit(1481077043.193:421): pid=1298 uid=0 auid=1000 ses=1 ",
            "msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=host.example ",
            "addr=96.241.146.97 terminal=/dev/pts/0 res=success'\n",
            "type=USER_AUTH msg=audit(1481077043.046:408): pid=1298 uid=0 auid=4294967295 ",
            "msg='op=pubkey_auth rport=63927 acct=\"andrew_kroh\" exe=\"/usr/sbin/sshd\" ",
            "hostname=? addr=96.241.146.97 terminal=? res=failed'\n",
        );

        let (_, store) = load(text);

        assert_eq!(store.log_source(0), "auditd:USER_LOGIN");
        assert_eq!(str_field(&store, 0, "event.code"), Some("USER_LOGIN"));
        assert_eq!(str_field(&store, 0, "user.id"), Some("1000"));
        assert_eq!(str_field(&store, 0, "source.ip"), Some("96.241.146.97"));
        assert_eq!(str_field(&store, 0, "source.domain"), Some("host.example"));
        assert_eq!(str_field(&store, 0, "event.outcome"), Some("success"));
        assert_eq!(str_field(&store, 0, "event.action"), Some("logged-in"));
        assert_eq!(store.log_source(1), "auditd:USER_LOGIN");
        assert_eq!(str_field(&store, 1, "event.code"), Some("USER_AUTH"));
        assert_eq!(str_field(&store, 1, "user.name"), Some("andrew_kroh"));
        assert_eq!(store.field(1, "source.port"), Some(ValueRef::Int(63927)));
        assert_eq!(str_field(&store, 1, "event.outcome"), Some("failure"));
        assert_eq!(str_field(&store, 1, "user.audit.id"), None);
    }

    #[test]
    fn enriched_names_follow_the_separator() {
        let text = concat!(
            "type=SYSCALL msg=audit(1709287200.123:4711): arch=c000003e syscall=42 success=yes ",
            "exit=0 ppid=2201 pid=2240 auid=1001 uid=0 ses=7 comm=\"ssh\" exe=\"/usr/bin/ssh\" ",
            "key=\"egress\"\u{1d}ARCH=x86_64 SYSCALL=connect AUID=\"alice\" UID=\"root\"\n",
            "type=SOCKADDR msg=audit(1709287200.123:4711): saddr=020000160A00030F0000000000000000",
            "\u{1d}SADDR={ saddr_fam=inet laddr=10.0.3.15 lport=22 }\n",
        );

        let (report, store) = load(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.len(), 1);
        assert_eq!(
            store.field(0, "tags"),
            Some(ValueRef::List(vec![ValueRef::Str("egress")]))
        );
        assert_eq!(str_field(&store, 0, "user.audit.name"), Some("alice"));
        assert_eq!(str_field(&store, 0, "user.name"), Some("root"));
        assert_eq!(str_field(&store, 0, "destination.ip"), Some("10.0.3.15"));
        assert_eq!(store.field(0, "destination.port"), Some(ValueRef::Int(22)));
    }

    #[test]
    fn created_file_is_auditd_file() {
        let text = concat!(
            // openat(O_WRONLY|O_CREAT|O_TRUNC) that created /tmp/out.gz.
            "type=SYSCALL msg=audit(100.000:1): arch=c000003e syscall=257 success=yes exit=3 ",
            "a0=ffffff9c a1=7ffd1000 a2=241 a3=1b6 items=2 pid=10 comm=\"python3\"\n",
            "type=PATH msg=audit(100.000:1): item=0 name=\"/tmp/\" nametype=PARENT\n",
            "type=PATH msg=audit(100.000:1): item=1 name=\"/tmp/out.gz\" inode=77 ",
            "nametype=CREATE\n",
            // The same open of a file that already existed.
            "type=SYSCALL msg=audit(101.000:2): arch=c000003e syscall=257 success=yes exit=3 ",
            "a2=241 items=2 pid=10 comm=\"python3\"\n",
            "type=PATH msg=audit(101.000:2): item=0 name=\"/tmp/\" nametype=PARENT\n",
            "type=PATH msg=audit(101.000:2): item=1 name=\"/tmp/out.gz\" nametype=NORMAL\n",
            // A create that failed.
            "type=SYSCALL msg=audit(102.000:3): arch=c000003e syscall=257 success=no exit=-13 ",
            "items=2 pid=10 comm=\"python3\"\n",
            "type=PATH msg=audit(102.000:3): item=1 name=\"/etc/x\" nametype=CREATE\n",
            // bind() of a Unix socket creates a socket file, not a file in ATT&CK's sense.
            "type=SYSCALL msg=audit(103.000:4): arch=c000003e syscall=49 success=yes exit=0 ",
            "items=2 pid=11 comm=\"agent\"\n",
            "type=PATH msg=audit(103.000:4): item=1 name=\"/run/agent.sock\" nametype=CREATE\n",
            // rename() over another name: the new name is the created entry.
            "type=SYSCALL msg=audit(104.000:5): arch=c000003e syscall=82 success=yes exit=0 ",
            "items=4 pid=12 comm=\"sed\"\n",
            "type=PATH msg=audit(104.000:5): item=2 name=\"/etc/sedAb12\" nametype=DELETE\n",
            "type=PATH msg=audit(104.000:5): item=3 name=\"/etc/hosts\" nametype=CREATE\n",
        );

        let (report, store) = load(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.len(), 5);
        assert_eq!(store.log_source(0), "auditd:FILE");
        assert_eq!(str_field(&store, 0, "event.code"), Some("openat"));
        assert_eq!(str_field(&store, 0, "file.path"), Some("/tmp/out.gz"));
        assert_eq!(str_field(&store, 0, "auditd.data.a2"), Some("241"));
        assert_eq!(store.log_source(1), "auditd:SYSCALL");
        assert_eq!(store.log_source(2), "auditd:SYSCALL");
        assert_eq!(store.log_source(3), "auditd:SYSCALL");
        assert_eq!(store.log_source(4), "auditd:FILE");
        assert_eq!(str_field(&store, 4, "file.path"), Some("/etc/hosts"));
    }

    #[test]
    fn file_mapping_is_auditd_mmap() {
        let text = concat!(
            "type=SYSCALL msg=audit(200.000:7): arch=c000003e syscall=9 success=yes ",
            "exit=140243000000000 a0=0 a1=1d000 a2=5 a3=802 items=0 pid=10 comm=\"python3\"\n",
            "type=MMAP msg=audit(200.000:7): fd=3 flags=0x802\n",
            // An anonymous mapping has no MMAP record.
            "type=SYSCALL msg=audit(201.000:8): arch=c000003e syscall=9 success=yes ",
            "exit=140243000000000 a0=0 a1=1000 a2=7 a3=22 items=0 pid=10 comm=\"python3\"\n",
        );

        let (_, store) = load(text);

        assert_eq!(store.log_source(0), "auditd:MMAP");
        assert_eq!(str_field(&store, 0, "event.code"), Some("mmap"));
        assert_eq!(str_field(&store, 0, "auditd.log.mmap.fd"), Some("3"));
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(10)));
        assert_eq!(store.log_source(1), "auditd:SYSCALL");
    }

    #[test]
    fn bad_lines_are_counted_and_located() {
        let text = "type=UNKNOWN[1329] msg=?\n\nnot audit\ntype=X msg=audit(abc:1): a=1\n";

        let (report, store) = load(text);

        assert_eq!(store.len(), 0);
        assert_eq!(report.records_read, 3);
        assert_eq!(report.errors.len(), 3);
        assert_eq!(
            report.errors[1].location,
            Location::Line {
                line: 3,
                offset: 26
            }
        );
    }

    #[test]
    fn sockaddr_families_decode() {
        let unix = decode_hex("01002F7661722F72756E2F6E7363642F736F636B65740000").unwrap();
        let v6 = decode_hex("0A000016000000000000000000000000000000000000000000000000").unwrap();

        assert_eq!(
            decode_sockaddr(&unix).unwrap().peer,
            Peer::Path("/var/run/nscd/socket".into())
        );
        assert_eq!(
            decode_sockaddr(&v6).unwrap().peer,
            Peer::Ip {
                ip: "::".into(),
                port: 22
            }
        );
        assert_eq!(decode_sockaddr(&[2]), None);
        assert_eq!(decode_sockaddr(&[2, 0, 0]), None);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "type=",
            "type=A msg=audit(",
            "type=A msg=audit(1.2:3)",
            "type=A msg=audit(1.2:3): a='unclosed",
            "type=A msg=audit(1.2:3): msg='x=\"y",
            "type=A msg=audit(99999999999999999.1:3): a=1",
            "type=A msg=audit(1.1234567890:3): a=1",
            "type=SOCKADDR msg=audit(1.2:3): saddr=0",
            "type=EXECVE msg=audit(1.2:3): a0=zz a1=ABC a2[x]=1 a[0]=2",
            "node= type=A msg=audit(1.2:3): =",
            "\u{feff}\r\n\r\n",
        ] {
            let _ = load(text);
        }
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("4a4B"), Some(vec![0x4a, 0x4b]));
    }

    #[test]
    fn detection_needs_an_audit_stamp() {
        assert!(looks_like_auditd("\ntype=SYSCALL msg=audit(1.2:3): a=1"));
        assert!(looks_like_auditd("node=h1 type=PATH msg=audit(1.2:3): a=1"));
        assert!(!looks_like_auditd("type=SYSCALL something"));
        assert!(!looks_like_auditd(
            "Feb 21 21:54:44 localhost sshd[3402]: x"
        ));
    }
}
