//! VMware ESXi and vCenter logs: `hostd.log`, `vmkernel.log`, `shell.log`, `auth.log`,
//! `vobd.log`, `vpxa.log`, `vpxd.log` and the other files ESXi's syslog daemon writes.
//!
//! Two line layouts are read, both with a UTC RFC 3339 timestamp first:
//! - ESXi 8.0's standard layout, `<time> In(166) Hostd[2099395]: [Originator@6876 sub=…] msg`,
//!   where `In(166)` is the severity and syslog priority and a `+` after it marks the
//!   continuation lines of a multi-line message;
//! - the older layouts, `<time> info hostd[2099395] [Originator@6876 …] msg`,
//!   `<time> shell[2100123]: [root]: cmd` and `<time> cpu3:2097602)World: msg` (vmkernel).
//!
//! The log source is chosen per line from the program that wrote it (`esxi:hostd`,
//! `esxi:shell`…), because ESXi's `syslog.log` mixes programs. Continuation lines, which
//! hostd also starts with `-->`, are joined to the line before them. See `esxi_mapping.md`.

mod connections;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, FixedOffset};

use super::limits::time_out_of_range;
use super::lines::{Line, read_lines_at, split_lines};
use super::raw::RawError;
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::syslog::{map_auth_message, string_list};
use crate::store::{EventBuilder, FileId, Origin, Platform};

/// How many lines are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 1024;

/// Maximum continuation lines joined to one record and shown by the raw view.
const MAX_CONTINUATION_LINES: usize = 1000;

/// Programs, in lower case, and the ATT&CK log source of their lines. Other programs get
/// `esxi:syslog`, as ESXi writes them to `syslog.log`.
const LOG_SOURCES: &[(&str, &str)] = &[
    ("hostd", "esxi:hostd"),
    ("vmkernel", "esxi:vmkernel"),
    ("shell", "esxi:shell"),
    ("sshd", "esxi:auth"),
    ("sshd-session", "esxi:auth"),
    ("login", "esxi:auth"),
    ("su", "esxi:auth"),
    ("sudo", "esxi:auth"),
    ("vpxd", "esxi:vpxd"),
    ("vpxa", "esxi:vpxa"),
    ("vobd", "esxi:vobd"),
    ("cron", "esxi:cron"),
    ("crond", "esxi:cron"),
    ("esxupdate", "esxi:esxupdate"),
];

/// The level words of the layouts before ESXi 8.0.
const LEVEL_WORDS: &[&str] = &[
    "info", "verbose", "warning", "error", "trivia", "panic", "critical", "debug",
];

/// One parsed ESXi log line.
#[derive(Debug, Default, PartialEq, Eq)]
struct EsxiLine<'a> {
    /// `log.level`: `info`, `warning`…
    level: Option<&'static str>,
    /// The syslog priority in an ESXi 8.0 severity such as `In(166)`.
    priority: Option<u8>,
    /// Whether the line continues the message of the line before it.
    continuation: bool,
    /// The program (thread name), such as `Hostd`, `shell` or `vmkernel`.
    program: Option<&'a str>,
    /// The process or world id after the program.
    pid: Option<&'a str>,
    /// The `[Originator@6876 sub=… opID=… user=…]` block, without brackets.
    originator: Option<&'a str>,
    /// The vmkernel CPU and world id of `cpu3:2097602)`.
    cpu: Option<&'a str>,
    /// The free-text message.
    message: &'a str,
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

/// A record whose continuation lines may still follow.
struct Pending {
    event: EventBuilder,
    message: String,
    continuations: usize,
}

/// Parses every line of `bytes`. Returns `false` when `cancel` stopped it early.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut pending: Option<Pending> = None;
    let mut joined = 0u64;
    for line in split_lines(bytes) {
        if line.number % CANCEL_CHECK_INTERVAL == 0 && cancel.load(Ordering::Relaxed) {
            return false;
        }
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let location = Location::Line {
            line: line.number,
            offset: line.offset,
        };
        if line.is_too_long() {
            report.records_read += 1;
            report.push_error(location, "line longer than 1 MiB; not parsed");
            continue;
        }
        let text = line.text();
        let parsed = parse_line(&text);
        if let (Some((_, parsed)), Some(open)) = (&parsed, pending.as_mut())
            && parsed.continuation
            && open.continuations < MAX_CONTINUATION_LINES
        {
            open.message.push('\n');
            open.message.push_str(parsed.message);
            open.continuations += 1;
            joined += 1;
            continue;
        }
        flush(&mut pending, events);
        report.records_read += 1;
        match parsed {
            Some((time, parsed)) => match time.timestamp_nanos_opt() {
                Some(timestamp) => pending = Some(start_record(&parsed, timestamp, &line, file)),
                None => report.push_error(location, time_out_of_range(&time.to_rfc3339())),
            },
            None => report.push_error(
                location,
                "not an ESXi log line: no UTC RFC 3339 timestamp followed by a severity, program or vmkernel CPU",
            ),
        }
    }
    flush(&mut pending, events);
    if joined > 0 {
        report.notes.push(format!(
            "{joined} continuation lines were joined to the message of the line before them"
        ));
    }
    true
}

fn flush(pending: &mut Option<Pending>, events: &mut dyn EventSink) {
    if let Some(mut open) = pending.take() {
        if open.continuations > 0 {
            open.event.field("message", open.message);
        }
        events.push(open.event);
    }
}

fn start_record(parsed: &EsxiLine<'_>, timestamp: i64, line: &Line<'_>, file: FileId) -> Pending {
    let origin = Origin {
        file,
        record: line.number,
        offset: Some(line.offset),
    };
    Pending {
        event: map_line(parsed, timestamp, origin),
        message: parsed.message.to_owned(),
        continuations: 0,
    }
}

/// Splits a line into its UTC timestamp and parts, or returns `None` when it is not in an ESXi
/// layout.
fn parse_line(line: &str) -> Option<(DateTime<FixedOffset>, EsxiLine<'_>)> {
    let (time, rest) = line.split_once(' ')?;
    // vobd before ESXi 8.0 puts a colon after the timestamp.
    let time = time.strip_suffix(':').unwrap_or(time);
    if !time.ends_with('Z') {
        return None;
    }
    let timestamp = DateTime::parse_from_rfc3339(time).ok()?;
    let mut parsed = EsxiLine::default();
    let mut rest = rest.trim_start();

    let (first, after_first) = rest.split_once(' ').unwrap_or((rest, ""));
    if let Some((level, priority, continuation)) = parse_severity(first) {
        parsed.level = Some(level);
        parsed.priority = priority;
        parsed.continuation = continuation;
        rest = after_first.trim_start();
    } else if let Some(level) = LEVEL_WORDS.iter().find(|w| **w == first) {
        parsed.level = Some(level);
        rest = after_first.trim_start();
    }

    let (token, after_token) = rest.split_once(' ').unwrap_or((rest, ""));
    if let Some((cpu, message)) = split_vmkernel_cpu(rest) {
        parsed.program = Some("vmkernel");
        parsed.cpu = Some(cpu);
        parsed.message = message;
    } else if let Some((program, pid)) = parse_tag(token) {
        parsed.program = Some(program);
        parsed.pid = pid;
        let after_token = after_token.trim_start();
        match split_vmkernel_cpu(after_token) {
            Some((cpu, message)) => {
                parsed.cpu = Some(cpu);
                parsed.message = message;
            }
            None => {
                let (originator, message) = split_originator(after_token);
                parsed.originator = originator;
                parsed.message = message;
            }
        }
    } else if parsed.level.is_some() || rest.starts_with('[') {
        // A severity without a program, or vobd's `[UserLevelCorrelator]` before ESXi 8.0.
        parsed.message = rest;
        if rest.contains("Correlator]") {
            parsed.program = Some("vobd");
        }
    } else {
        return None;
    }
    if parsed.message.starts_with("-->") {
        parsed.continuation = true;
    }
    Some((timestamp, parsed))
}

/// Parses an ESXi 8.0 severity such as `In(166)` or `Wa(180)+`.
fn parse_severity(token: &str) -> Option<(&'static str, Option<u8>, bool)> {
    let level = match token.get(..2)? {
        "Em" => "emergency",
        "Al" => "alert",
        "Cr" => "critical",
        "Er" => "error",
        "Wa" => "warning",
        "No" => "notice",
        "In" => "info",
        "Db" => "debug",
        _ => return None,
    };
    let rest = token.get(2..)?;
    let (rest, continuation) = match rest.strip_suffix('+') {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let digits = rest.strip_prefix('(')?.strip_suffix(')')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3 {
        return None;
    }
    Some((level, digits.parse().ok(), continuation))
}

/// Parses a program tag: `name[pid]:`, `name[pid]` or `name:`.
fn parse_tag(token: &str) -> Option<(&str, Option<&str>)> {
    let tag = token.strip_suffix(':').unwrap_or(token);
    if let Some((program, pid)) = tag.split_once('[') {
        let pid = pid.strip_suffix(']')?;
        let valid = !program.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
        return valid.then_some((program, Some(pid)));
    }
    let is_name = !tag.is_empty()
        && token.ends_with(':')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    is_name.then_some((tag, None))
}

/// Splits vmkernel's `cpu3:2097602)message` into `3:2097602` and the message.
fn split_vmkernel_cpu(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("cpu")?;
    let (cpu, message) = rest.split_once(')')?;
    let (number, world) = cpu.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(number) && digits(world)).then_some((cpu, message))
}

/// Splits a leading `[Originator@6876 …]` block from the message.
fn split_originator(text: &str) -> (Option<&str>, &str) {
    if text.starts_with("[Originator@")
        && let Some((inside, after)) = text.split_once(']')
    {
        return (inside.get(1..), after.trim_start());
    }
    (None, text)
}

fn log_source(program: Option<&str>) -> &'static str {
    let Some(program) = program else {
        return "esxi:syslog";
    };
    LOG_SOURCES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(program))
        .map_or("esxi:syslog", |(_, source)| source)
}

fn map_line(line: &EsxiLine<'_>, timestamp: i64, origin: Origin) -> EventBuilder {
    let source = log_source(line.program);
    let mut builder = EventBuilder::new(timestamp, source, Platform::Esxi, origin);
    builder.field("event.kind", "event");
    builder.field("event.module", "esxi");
    builder.field("message", line.message);

    if let Some(level) = line.level {
        builder.field("log.level", level);
    }
    if let Some(priority) = line.priority {
        builder.field("log.syslog.priority", i64::from(priority));
        builder.field("log.syslog.facility.code", i64::from(priority / 8));
        builder.field("log.syslog.severity.code", i64::from(priority % 8));
    }
    if let Some(program) = line.program {
        builder.field("process.name", program);
    }
    if let Some(pid) = line.pid.and_then(|p| p.parse::<i64>().ok()) {
        builder.field("process.pid", pid);
    }
    if let Some(cpu) = line.cpu
        && let Some((number, world)) = cpu.split_once(':')
    {
        builder.field("esxi.cpu", number);
        builder.field("esxi.world_id", world);
    }
    if let Some(originator) = line.originator {
        add_originator(&mut builder, originator);
    }

    match source {
        "esxi:shell" => map_shell_command(&mut builder, line),
        "esxi:auth" => {
            if line
                .program
                .is_some_and(|p| p.eq_ignore_ascii_case("login"))
            {
                map_console_login(&mut builder, line.message);
            } else {
                map_auth_message(&mut builder, line.program, line.message);
            }
        }
        "esxi:hostd" | "esxi:vpxd" | "esxi:vpxa" => {
            map_management_login(&mut builder, line.message);
            connections::map_connection(&mut builder, line.message);
        }
        _ => connections::map_connection(&mut builder, line.message),
    }
    builder
}

/// Adds the `sub`, `opID` and `user` values of an `Originator@6876 …` block.
fn add_originator(builder: &mut EventBuilder, block: &str) {
    builder.field("esxi.originator", block);
    for pair in block.split_whitespace().skip(1) {
        match pair.split_once('=') {
            Some(("sub", value)) => builder.field("esxi.sub", value),
            Some(("opID", value)) => builder.field("esxi.op_id", value),
            Some(("user", value)) => builder.field("user.name", value),
            _ => continue,
        };
    }
}

/// Maps `shell.log`'s `[user]: command` lines, which record every command typed in the ESXi
/// Shell, as process starts of the command.
fn map_shell_command(builder: &mut EventBuilder, line: &EsxiLine<'_>) {
    let Some(rest) = line.message.strip_prefix('[') else {
        return;
    };
    let Some((user, command)) = rest.split_once("]: ") else {
        return;
    };
    let command = command.trim();
    builder.field("user.name", user);
    if command.is_empty() {
        return;
    }
    builder.field("process.command_line", command);
    let executable = command.split_whitespace().next().unwrap_or(command);
    builder.field(
        "process.name",
        executable.rsplit('/').next().unwrap_or(executable),
    );
    builder.field(
        "process.args",
        string_list(&command.split_whitespace().collect::<Vec<_>>()),
    );
    if let Some(pid) = line.pid.and_then(|p| p.parse::<i64>().ok()) {
        // The pid in the tag is the shell's, which started the command.
        builder.field("process.parent.pid", pid);
        builder.field("process.parent.name", "shell");
    }
    builder.field("event.category", string_list(&["process"]));
    builder.field("event.type", string_list(&["start"]));
    builder.field("event.action", "shell_command");
}

/// Maps the ESXi Shell login at the host's console, `root login on 'char/tty/1'`, which
/// `login` writes to `auth.log`.
fn map_console_login(builder: &mut EventBuilder, message: &str) {
    let Some((user, _terminal)) = message.split_once(" login on ") else {
        return;
    };
    let user = user.trim();
    if user.is_empty() || user.contains(char::is_whitespace) {
        return;
    }
    builder.field("user.name", user);
    login(builder, true, "user_login");
}

/// Maps the logins that hostd and vpxd record for the vSphere API and clients:
/// `User root@192.0.2.7 logged in as …`, `User … logged out`, `Cannot login root@192.0.2.7`,
/// and `Accepted` or `Rejected password for user root from 192.0.2.7`.
fn map_management_login(builder: &mut EventBuilder, message: &str) {
    if let Some((_, rest)) = message.split_once("User ")
        && let Some((account, tail)) = rest.split_once(' ')
    {
        if let Some(agent) = tail.strip_prefix("logged in as ") {
            add_account(builder, account);
            builder.field("user_agent.original", agent.trim());
            login(builder, true, "user_login");
            return;
        }
        if tail.starts_with("logged out") {
            add_account(builder, account);
            builder.field(
                "event.category",
                string_list(&["authentication", "session"]),
            );
            builder.field("event.type", string_list(&["end"]));
            builder.field("event.action", "user_logout");
            return;
        }
    }
    if let Some((_, rest)) = message.split_once("Cannot login ") {
        let account = rest.split_whitespace().next().unwrap_or(rest);
        add_account(builder, account);
        login(builder, false, "user_login");
        return;
    }
    for (prefix, success) in [
        ("Accepted password for user ", true),
        ("Rejected password for user ", false),
    ] {
        if let Some((_, rest)) = message.split_once(prefix) {
            let mut words = rest.split_whitespace();
            if let Some(user) = words.next() {
                builder.field("user.name", user);
            }
            if words.next() == Some("from")
                && let Some(address) = words.next()
            {
                builder.field("source.address", address);
                if address.parse::<std::net::IpAddr>().is_ok() {
                    builder.field("source.ip", address);
                }
            }
            login(builder, success, "user_login");
            return;
        }
    }
}

/// Adds `user.name` and `source.ip` from `user@address`.
fn add_account(builder: &mut EventBuilder, account: &str) {
    match account.rsplit_once('@') {
        Some((user, address)) => {
            builder.field("user.name", user);
            builder.field("source.address", address);
            if address.parse::<std::net::IpAddr>().is_ok() {
                builder.field("source.ip", address);
            }
        }
        None => {
            builder.field("user.name", account);
        }
    }
}

fn login(builder: &mut EventBuilder, success: bool, action: &str) {
    builder.field(
        "event.category",
        string_list(&["authentication", "session"]),
    );
    builder.field("event.type", string_list(&["start"]));
    builder.field("event.action", action);
    builder.field("event.outcome", if success { "success" } else { "failure" });
}

/// Reads back the line at byte `offset` of `path` with the continuation lines after it.
pub(crate) fn read_raw(path: &Path, offset: u64) -> Result<String, RawError> {
    let lines = read_lines_at(path, offset, MAX_CONTINUATION_LINES + 1)?;
    let mut record: Vec<&str> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let continues = parse_line(line).is_some_and(|(_, parsed)| parsed.continuation);
        if index > 0 && !continues {
            break;
        }
        record.push(line);
    }
    if record.is_empty() {
        return Err(RawError::NoDocument {
            path: path.display().to_string(),
            offset,
        });
    }
    Ok(record.join("\n"))
}

/// Returns whether `text` (the start of a file) looks like an ESXi log. Its first line that is
/// not blank must have a UTC timestamp, and then an ESXi 8.0 severity, a level word and a
/// program, a vmkernel CPU, or a program ESXi runs, with no host name in between.
pub(crate) fn looks_like_esxi(text: &str) -> bool {
    let Some(line) = text.lines().find(|line| !line.trim().is_empty()) else {
        return false;
    };
    let Some((_, parsed)) = parse_line(line) else {
        return false;
    };
    if parsed.priority.is_some() || parsed.cpu.is_some() {
        return true;
    }
    let known_program = parsed.program.is_some_and(|program| {
        LOG_SOURCES
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(program))
    });
    known_program || (parsed.level.is_some() && parsed.program.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;

    fn scan(text: &str) -> (FileReport, Vec<EventBuilder>) {
        let mut report = FileReport::new("hostd.log".into(), Format::Json, FileStatus::Loaded);
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
    fn line_layouts_are_parsed() {
        // Line, then the expected program, pid, level and message.
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
        );
        let cases: &[Case<'_>] = &[
            (
                "2024-05-01T10:11:12.123Z In(166) Hostd[2099395]: [Originator@6876 sub=Vimsvc] x y",
                Some("Hostd"),
                Some("2099395"),
                Some("info"),
                "x y",
            ),
            (
                "2019-05-01T10:11:12.123Z info hostd[2099395] [Originator@6876 sub=A opID=b] m",
                Some("hostd"),
                Some("2099395"),
                Some("info"),
                "m",
            ),
            (
                "2019-05-01T10:11:12Z shell[2100123]: [root]: esxcli network firewall get",
                Some("shell"),
                Some("2100123"),
                None,
                "[root]: esxcli network firewall get",
            ),
            (
                "2019-05-01T10:11:12.123Z cpu3:2097602)World: 12345: started",
                Some("vmkernel"),
                None,
                None,
                "World: 12345: started",
            ),
            (
                "2024-05-01T10:11:12.123Z In(182) vmkernel: cpu3:2097602)NetPort: up",
                Some("vmkernel"),
                None,
                Some("info"),
                "NetPort: up",
            ),
            (
                "2024-05-01T10:11:12.737Z: [UserLevelCorrelator] 1012726884193us: [vob.user.ssh.session.opened]",
                Some("vobd"),
                None,
                None,
                "[UserLevelCorrelator] 1012726884193us: [vob.user.ssh.session.opened]",
            ),
        ];
        for (line, program, pid, level, message) in cases {
            let (_, parsed) = parse_line(line).unwrap_or_else(|| panic!("not parsed: {line}"));
            assert_eq!(parsed.program, *program, "{line}");
            assert_eq!(parsed.pid, *pid, "{line}");
            assert_eq!(parsed.level, *level, "{line}");
            assert_eq!(parsed.message, *message, "{line}");
        }
    }

    #[test]
    fn console_login_is_authentication() {
        let text = concat!(
            "2024-05-13T16:20:03.000Z In(38) login[2101877]: root login on 'char/tty/1'\n",
            "2024-05-13T16:20:04.000Z In(38) login[2101877]: pam_per_user: create_subrequest_handle(): doing map lookup for user \"root\"\n",
        );

        let (report, events) = scan(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let value = |index: usize, name: &str| {
            events[index]
                .pending_fields()
                .iter()
                .rev()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value.clone())
        };
        assert_eq!(value(0, "user.name"), Some("root".into()));
        assert_eq!(value(0, "event.action"), Some("user_login".into()));
        assert_eq!(value(0, "event.outcome"), Some("success".into()));
        assert_eq!(value(1, "event.action"), None);
    }

    #[test]
    fn continuation_lines_join_previous() {
        let text = concat!(
            "2024-05-01T10:11:12.810Z In(166) Hostd[2099395]: [Originator@6876 sub=Vimsvc.ha-eventmgr] Event 38 : a\n",
            "2024-05-01T10:11:12.810Z In(166)+ Hostd[2099395]: -->    eventTypeId = \"x\",\n",
            "2024-05-01T10:11:12.810Z In(166) Hostd[2099395]: -->    objectId = \"ha-host\",\n",
            "2024-05-01T10:11:13.000Z In(166) Hostd[2099395]: next\n"
        );

        let (report, events) = scan(text);

        assert_eq!(report.records_read, 2);
        assert_eq!(events.len(), 2);
        assert_eq!(report.notes.len(), 1);
        let message = events[0]
            .pending_fields()
            .iter()
            .rev()
            .find(|(name, _)| name == "message")
            .map(|(_, value)| value.clone());
        assert_eq!(
            message,
            Some(
                "Event 38 : a\n-->    eventTypeId = \"x\",\n-->    objectId = \"ha-host\",".into()
            )
        );
    }

    #[test]
    fn bad_lines_are_located() {
        let text = "2024-05-01T10:11:12.810Z In(166) Hostd[1]: ok\nnot esxi\n2024-05-01T10:11:12+02:00 h a: b\n";

        let (report, events) = scan(text);

        assert_eq!(events.len(), 1);
        assert_eq!(report.records_read, 3);
        assert_eq!(report.errors.len(), 2);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 2,
                offset: 46
            }
        );
    }

    #[test]
    fn detection_rejects_linux_syslog() {
        assert!(looks_like_esxi(
            "2024-05-01T10:11:12.123Z In(166) Hostd[1]: x"
        ));
        assert!(looks_like_esxi(
            "2019-05-01T10:11:12Z shell[2100123]: [root]: ls"
        ));
        assert!(looks_like_esxi(
            "2019-05-01T10:11:12.123Z cpu3:2097602)World: x"
        ));
        assert!(!looks_like_esxi(
            "2015-04-16T18:02:50.321974+00:00 host sshd[2716]: m"
        ));
        assert!(!looks_like_esxi("2015-04-16T18:02:50Z host sshd[2716]: m"));
        assert!(!looks_like_esxi("Feb 21 21:54:44 localhost sshd[3402]: hi"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "Z",
            "2024-05-01T10:11:12Z",
            "2024-05-01T10:11:12Z In(",
            "2024-05-01T10:11:12Z In(9999) x",
            "2024-05-01T10:11:12Z cpu:)",
            "2024-05-01T10:11:12Z cpu1:)",
            "2024-05-01T10:11:12Z a[: x",
            "2024-05-01T10:11:12Z a[1]: [Originator@",
            "2024-05-01T10:11:12Z shell[1]: [",
            "2024-05-01T10:11:12Z hostd[1]: User ",
            "2024-05-01T10:11:12Z hostd[1]: Cannot login ",
            "2024-05-01T10:11:12Z In(166)+ Hostd[1]: --> first",
        ] {
            let _ = scan(text);
        }
    }
}
