//! Flow records exported as CSV: nfdump's `-o csv` (the short column names of nfdump 1.6,
//! `ts,te,td,sa,da,sp,dp,pr,…`, and the long ones of later releases, `firstSeen,lastSeen,…`),
//! SiLK's `rwcut` (`sIP|dIP|sPort|…`) and generic exports with headers such as
//! `src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,start,end`.
//!
//! A file is recognized by its header row: it must name a source and a destination address, a
//! start or end time, and a port, protocol, byte or packet count. The delimiter is the one of
//! `,`, `|`, tab and `;` that splits the header into the most known columns. Every row becomes
//! one event with `log.source` `NSM:Flow`, the name ATT&CK 18.1 analytics give NetFlow and
//! IPFIX flow records, and platform `Network Devices`. See `netflow_mapping.md`.
#![doc = include_str!("netflow_mapping.md")]

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDateTime};

use super::evtx_json::LineCounter;
use super::local_time::{FileTimeOptions, LocalClock};
use super::raw::RawError;
use super::report::{FileReport, Location};
use super::sink::EventSink;
use super::syslog::string_list;
use crate::store::{EventBuilder, FileId, Origin, Platform};

/// The ATT&CK log source name of flow records.
pub const LOG_SOURCE: &str = "NSM:Flow";

/// How many rows are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 1024;

/// Maximum length of one row; longer rows are reported and skipped.
const MAX_ROW_BYTES: usize = 1 << 20;

/// The delimiters a header is tried with.
const DELIMITERS: [u8; 4] = [b',', b'|', b'\t', b';'];

/// A column this parser understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Column {
    Start,
    End,
    Duration,
    SourceIp,
    DestinationIp,
    SourcePort,
    DestinationPort,
    Protocol,
    Packets,
    Bytes,
    OutPackets,
    OutBytes,
    InputInterface,
    OutputInterface,
    SourceAs,
    DestinationAs,
    Exporter,
    Sensor,
    Direction,
    Flows,
}

/// Columns, the header names that mean them (compared in lower case with everything but
/// letters and digits removed), and where their values go.
const COLUMNS: &[(Column, &[&str], &str)] = &[
    (
        Column::Start,
        &[
            "ts",
            "firstseen",
            "datefirstseen",
            "start",
            "starttime",
            "stime",
            "tstart",
            "flowstart",
            "first",
            "firstswitched",
            "timestart",
            "flowstartseconds",
            "flowstartmilliseconds",
        ],
        "`@timestamp`, `event.start`",
    ),
    (
        Column::End,
        &[
            "te",
            "lastseen",
            "datelastseen",
            "end",
            "endtime",
            "etime",
            "tend",
            "flowend",
            "last",
            "lastswitched",
            "timeend",
            "flowendseconds",
            "flowendmilliseconds",
        ],
        "`event.end`; `@timestamp` when there is no start",
    ),
    (
        Column::Duration,
        &["td", "duration", "dur", "flowduration"],
        "`event.duration` (seconds in the file, nanoseconds in the event), and the end when only the start is given",
    ),
    (
        Column::SourceIp,
        &[
            "sa",
            "srcaddr",
            "srcip",
            "sourceip",
            "sip",
            "src",
            "saddr",
            "sourceaddress",
            "sourceipv4address",
            "sourceipv6address",
            "ipv4srcaddr",
        ],
        "`source.ip`",
    ),
    (
        Column::DestinationIp,
        &[
            "da",
            "dstaddr",
            "dstip",
            "destinationip",
            "dip",
            "dst",
            "daddr",
            "destip",
            "destinationaddress",
            "destinationipv4address",
            "destinationipv6address",
            "ipv4dstaddr",
        ],
        "`destination.ip`",
    ),
    (
        Column::SourcePort,
        &[
            "sp",
            "srcport",
            "sourceport",
            "sport",
            "sourcetransportport",
            "l4srcport",
        ],
        "`source.port`",
    ),
    (
        Column::DestinationPort,
        &[
            "dp",
            "dstport",
            "destinationport",
            "dport",
            "destport",
            "destinationtransportport",
            "l4dstport",
        ],
        "`destination.port`",
    ),
    (
        Column::Protocol,
        &[
            "pr",
            "proto",
            "protocol",
            "protocolidentifier",
            "ipprotocol",
        ],
        "`network.transport` (lower case name) and `network.iana_number`, from a name or a number",
    ),
    (
        Column::Packets,
        &[
            "ipkt",
            "pkt",
            "packets",
            "pkts",
            "inpackets",
            "inpkts",
            "packetdeltacount",
        ],
        "`source.packets`, added into `network.packets`",
    ),
    (
        Column::Bytes,
        &[
            "ibyt",
            "byt",
            "bytes",
            "inbytes",
            "octets",
            "octetdeltacount",
            "doctets",
        ],
        "`source.bytes`, added into `network.bytes`",
    ),
    (
        Column::OutPackets,
        &["opkt", "outpackets", "outpkts"],
        "`destination.packets`, added into `network.packets`",
    ),
    (
        Column::OutBytes,
        &["obyt", "outbytes"],
        "`destination.bytes`, added into `network.bytes`",
    ),
    (
        Column::InputInterface,
        &["in", "input", "inif", "ingressinterface", "inputsnmp"],
        "`observer.ingress.interface.id`",
    ),
    (
        Column::OutputInterface,
        &["out", "output", "outif", "egressinterface", "outputsnmp"],
        "`observer.egress.interface.id`",
    ),
    (
        Column::SourceAs,
        &["sas", "srcas", "bgpsourceasnumber"],
        "`source.as.number`",
    ),
    (
        Column::DestinationAs,
        &["das", "dstas", "bgpdestinationasnumber"],
        "`destination.as.number`",
    ),
    (
        Column::Exporter,
        &[
            "ra",
            "routerip",
            "exporter",
            "exporterip",
            "exporteraddress",
        ],
        "`observer.ip`",
    ),
    (Column::Sensor, &["sensor"], "`observer.name`"),
    (
        Column::Direction,
        &["dir", "direction", "flowdirection"],
        "`network.direction`: nfdump's `0` is `ingress` and `1` is `egress`",
    ),
    (
        Column::Flows,
        &["fl", "flows"],
        "`netflow.flows` as a number",
    ),
];

/// Columns of AWS VPC Flow Logs exports, which are not read here.
const VPC_ONLY: &[&str] = &["accountid", "interfaceid", "logstatus"];

/// IANA protocol numbers and the lower case names `network.transport` uses.
const PROTOCOLS: &[(i64, &str)] = &[
    (1, "icmp"),
    (2, "igmp"),
    (6, "tcp"),
    (17, "udp"),
    (41, "ipv6"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (58, "ipv6-icmp"),
    (89, "ospf"),
    (103, "pim"),
    (112, "vrrp"),
    (132, "sctp"),
];

/// The header of a flow file: its delimiter and what each column means.
#[derive(Debug)]
struct Header {
    delimiter: u8,
    names: Vec<String>,
    columns: Vec<Option<Column>>,
}

impl Header {
    /// Reads `line` as a header with `delimiter`, or returns `None` when it is not a flow
    /// header.
    fn parse_with(line: &str, delimiter: u8) -> Option<Header> {
        let names: Vec<String> = split_row(line, delimiter)?;
        let normalized: Vec<String> = names.iter().map(|n| normalize(n)).collect();
        if normalized.iter().any(|n| VPC_ONLY.contains(&n.as_str())) {
            return None;
        }
        let columns: Vec<Option<Column>> = normalized.iter().map(|n| column_of(n)).collect();
        let has = |c: Column| columns.contains(&Some(c));
        let flowish = [
            Column::SourcePort,
            Column::DestinationPort,
            Column::Protocol,
            Column::Bytes,
            Column::Packets,
        ]
        .into_iter()
        .any(has);
        let timed = has(Column::Start) || has(Column::End);
        (has(Column::SourceIp) && has(Column::DestinationIp) && timed && flowish).then_some(
            Header {
                delimiter,
                names,
                columns,
            },
        )
    }

    /// Reads `line` with the delimiter that makes it a flow header with the most known columns.
    fn parse(line: &str) -> Option<Header> {
        DELIMITERS
            .iter()
            .filter_map(|&d| Header::parse_with(line, d))
            .max_by_key(|h| h.columns.iter().flatten().count())
    }

    fn index(&self, column: Column) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(column))
    }
}

/// Splits one line with the `csv` crate, so quoted fields are read as CSV defines them.
fn split_row(line: &str, delimiter: u8) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    let record = reader.records().next()?.ok()?;
    Some(record.iter().map(str::to_owned).collect())
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn column_of(normalized: &str) -> Option<Column> {
    COLUMNS
        .iter()
        .find(|(_, names, _)| names.contains(&normalized))
        .map(|(column, _, _)| *column)
}

/// Returns the first line of `text` that is neither blank nor a `#` comment.
fn first_line(text: &str) -> Option<&str> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

/// Returns whether `text` (the start of a file) starts with a flow CSV header.
pub(crate) fn looks_like_netflow_csv(text: &str) -> bool {
    first_line(text).is_some_and(|line| Header::parse(line).is_some())
}

/// Parses the file at `path` (gzip or not). Returns `false` when `cancel` stopped it early.
pub(crate) fn parse(
    path: &Path,
    file: FileId,
    time: &FileTimeOptions,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    match super::input::read_all(path, report) {
        Ok(bytes) => parse_bytes(&bytes, file, time, cancel, report, events),
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            true
        }
    }
}

/// Counts kept for the file's notes.
#[derive(Default)]
struct Tally {
    repeated_headers: u64,
    summary_line: Option<u64>,
    local_times: u64,
}

/// Parses every row of `bytes`. Returns `false` when `cancel` stopped it early.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    time: &FileTimeOptions,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let Some(header) = first_line(text).and_then(Header::parse) else {
        report.push_error(
            Location::File,
            "no flow header: the first line must name source and destination addresses and a time",
        );
        return true;
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(header.delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut clock = LocalClock::new(time.zone.clone());
    let mut tally = Tally::default();
    let mut record = csv::ByteRecord::new();
    let mut header_seen = false;
    // After a `\r\n` line ending the csv crate's line numbers lag one behind and its offsets
    // point at the `\n`, so lines are counted here from the corrected offsets.
    let mut lines = LineCounter::default();
    loop {
        let position = reader.position().clone();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                report.records_read += 1;
                let offset = record_start(bytes, err.position().unwrap_or(&position).byte());
                let location = Location::Line {
                    line: lines.line_at(bytes, usize::try_from(offset).unwrap_or(usize::MAX)),
                    offset,
                };
                report.push_error(location, format!("invalid CSV: {err}"));
                continue;
            }
        }
        // The position after the BOM and blank lines, where the record itself starts.
        let offset = record_start(bytes, record.position().unwrap_or(&position).byte());
        let line = lines.line_at(bytes, usize::try_from(offset).unwrap_or(usize::MAX));
        let location = Location::Line { line, offset };
        let row: Vec<String> = record
            .iter()
            .map(|field| String::from_utf8_lossy(field).into_owned())
            .collect();
        if row.iter().all(String::is_empty) {
            continue;
        }
        if row == header.names {
            // The header itself, or a repeated one where exports were concatenated.
            if header_seen {
                tally.repeated_headers += 1;
            }
            header_seen = true;
            continue;
        }
        if matches!(row.as_slice(), [only] if only == "Summary") {
            // nfdump 1.6 ends its CSV with a summary block, which holds totals, not flows.
            tally.summary_line = Some(line);
            break;
        }
        if report.records_read.is_multiple_of(CANCEL_CHECK_INTERVAL)
            && cancel.load(Ordering::Relaxed)
        {
            return false;
        }
        report.records_read += 1;
        if record.as_slice().len() > MAX_ROW_BYTES {
            report.push_error(location, "row longer than 1 MiB; not parsed");
            continue;
        }
        let origin = Origin {
            file,
            record: line,
            offset: Some(offset),
        };
        match map_row(&header, &row, &mut clock, &mut tally, origin) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(location, message),
        }
    }
    push_notes(&tally, &clock, report);
    true
}

/// Moves `offset` past the line ending the csv crate may place a record's position on.
fn record_start(bytes: &[u8], offset: u64) -> u64 {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let skipped = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    offset + skipped as u64
}

fn push_notes(tally: &Tally, clock: &LocalClock, report: &mut FileReport) {
    if tally.local_times > 0 {
        report.notes.push(format!(
            "{} start and end times have no zone (nfdump writes the local time of the host \
             that ran it): {}",
            tally.local_times,
            clock.describe()
        ));
    }
    if tally.repeated_headers > 0 {
        report.notes.push(format!(
            "{} repeated header rows were skipped",
            tally.repeated_headers
        ));
    }
    if let Some(line) = tally.summary_line {
        report.notes.push(format!(
            "the summary block from line {line} on holds totals, not flows, and was not read"
        ));
    }
}

/// Maps one data row to an event.
fn map_row(
    header: &Header,
    row: &[String],
    clock: &mut LocalClock,
    tally: &mut Tally,
    origin: Origin,
) -> Result<EventBuilder, String> {
    if row.len() != header.names.len() {
        return Err(format!(
            "row has {} fields but the header names {}",
            row.len(),
            header.names.len()
        ));
    }
    let value = |column: Column| {
        header
            .index(column)
            .and_then(|i| row.get(i))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let mut read_time = |column: Column| -> Result<Option<i64>, String> {
        let Some(text) = value(column) else {
            return Ok(None);
        };
        match parse_time(text) {
            Some(FlowTime::Missing) => Ok(None),
            Some(FlowTime::Utc(nanos)) => Ok(Some(nanos)),
            Some(FlowTime::Local(local)) => {
                tally.local_times += 1;
                clock
                    .resolve_utc(local)
                    .map(Some)
                    .ok_or_else(|| format!("time '{text}' is out of range"))
            }
            None => Err(format!("invalid time '{text}'")),
        }
    };
    let start = read_time(Column::Start)?;
    let mut end = read_time(Column::End)?;
    let duration = value(Column::Duration).and_then(seconds_to_nanos);
    if end.is_none()
        && let (Some(start), Some(duration)) = (start, duration)
    {
        end = start.checked_add(duration);
    }
    let timestamp = start.or(end).ok_or("row has no start or end time")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::NetworkDevices, origin);
    builder.field("event.kind", "event");
    builder.field("event.category", string_list(&["network"]));
    builder.field("event.type", string_list(&["connection"]));
    builder.field("event.action", "netflow_flow");
    builder.field("event.dataset", "netflow.log");
    if let Some(start) = start {
        builder.field("event.start", format_time(start));
    }
    if let Some(end) = end {
        builder.field("event.end", format_time(end));
    }
    match (start, end) {
        (Some(start), Some(end)) if end >= start => {
            builder.field("event.duration", end - start);
        }
        _ => {
            if let Some(duration) = duration {
                builder.field("event.duration", duration);
            }
        }
    }
    for (column, target) in [
        (Column::SourceIp, "source.ip"),
        (Column::DestinationIp, "destination.ip"),
    ] {
        let text = value(column).ok_or_else(|| format!("row has no {target}"))?;
        let ip: IpAddr = text
            .parse()
            .map_err(|_| format!("invalid IP address '{text}' for {target}"))?;
        builder.field(target, ip.to_string());
    }
    if let Some(exporter) = value(Column::Exporter).and_then(|v| v.parse::<IpAddr>().ok()) {
        builder.field("observer.ip", exporter.to_string());
    }
    if let Some(sensor) = value(Column::Sensor) {
        builder.field("observer.name", sensor);
    }
    let numbers = [
        (Column::SourcePort, "source.port"),
        (Column::DestinationPort, "destination.port"),
        (Column::Packets, "source.packets"),
        (Column::Bytes, "source.bytes"),
        (Column::OutPackets, "destination.packets"),
        (Column::OutBytes, "destination.bytes"),
        (Column::InputInterface, "observer.ingress.interface.id"),
        (Column::OutputInterface, "observer.egress.interface.id"),
        (Column::SourceAs, "source.as.number"),
        (Column::DestinationAs, "destination.as.number"),
        (Column::Flows, "netflow.flows"),
    ];
    let mut parsed: HashMap<Column, i64> = HashMap::new();
    for (column, target) in numbers {
        let is_port = matches!(column, Column::SourcePort | Column::DestinationPort);
        let number = value(column)
            .and_then(parse_count)
            .filter(|n| !is_port || *n <= i64::from(u16::MAX));
        if let Some(number) = number {
            parsed.insert(column, number);
            builder.field(target, number);
        } else if let Some(name) = header.index(column).and_then(|i| header.names.get(i))
            && let Some(raw) = value(column)
        {
            // Such as nfdump's ICMP `type.code` in the port column.
            builder.field(format!("netflow.{}", column_key(name)), raw);
        }
    }
    for (total, parts) in [
        ("network.bytes", [Column::Bytes, Column::OutBytes]),
        ("network.packets", [Column::Packets, Column::OutPackets]),
    ] {
        if parts.iter().any(|c| parsed.contains_key(c)) {
            let sum: i64 = parts.iter().filter_map(|c| parsed.get(c)).sum();
            builder.field(total, sum);
        }
    }
    if let Some(protocol) = value(Column::Protocol) {
        add_protocol(&mut builder, protocol);
    }
    if let Some(direction) = value(Column::Direction).and_then(direction_name) {
        builder.field("network.direction", direction);
    }
    add_original_columns(&mut builder, header, row);
    Ok(builder)
}

/// Adds the columns no ECS field took under `netflow.<column>`, leaving out empty and zero
/// values, which nfdump writes for every field a flow does not have.
fn add_original_columns(builder: &mut EventBuilder, header: &Header, row: &[String]) {
    for ((name, column), value) in header.names.iter().zip(&header.columns).zip(row) {
        if column.is_some() || is_zero(value) {
            continue;
        }
        builder.field(format!("netflow.{}", column_key(name)), value.as_str());
    }
}

/// Names a column's field: lower case, with `_` for characters other than letters and digits.
fn column_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn is_zero(value: &str) -> bool {
    value.is_empty()
        || value
            .chars()
            .all(|c| matches!(c, '0' | '.' | ':' | '-' | '/' | ' '))
}

fn add_protocol(builder: &mut EventBuilder, protocol: &str) {
    let by_number = protocol
        .parse::<i64>()
        .ok()
        .map(|n| (n, PROTOCOLS.iter().find(|(number, _)| *number == n)));
    let (number, name) = match by_number {
        Some((number, known)) => (Some(number), known.map(|(_, name)| (*name).to_owned())),
        None => {
            let lower = protocol.to_ascii_lowercase();
            let lower = if lower == "icmp6" {
                "ipv6-icmp".to_owned()
            } else {
                lower
            };
            let number = PROTOCOLS
                .iter()
                .find(|(_, name)| *name == lower)
                .map(|(n, _)| *n);
            (number, Some(lower))
        }
    };
    if let Some(name) = name {
        builder.field("network.transport", name);
    }
    if let Some(number) = number {
        builder.field("network.iana_number", number.to_string());
    }
}

fn direction_name(value: &str) -> Option<&'static str> {
    match value.to_ascii_lowercase().as_str() {
        "0" | "ingress" | "in" => Some("ingress"),
        "1" | "egress" | "out" => Some("egress"),
        "inbound" => Some("inbound"),
        "outbound" => Some("outbound"),
        _ => None,
    }
}

/// Reads a whole count; nfdump may scale large ones (`1.2 M`), which are left out.
fn parse_count(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// Converts decimal seconds (`1.250`) to nanoseconds.
fn seconds_to_nanos(text: &str) -> Option<i64> {
    let seconds: f64 = text.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| (seconds * 1e9).round() as i64)
}

/// A time as written in a flow file.
#[derive(Debug, PartialEq, Eq)]
enum FlowTime {
    /// A time with a zone, or epoch seconds, in UTC nanoseconds.
    Utc(i64),
    /// A time without a zone.
    Local(NaiveDateTime),
    /// nfdump's `0000-00-00 00:00:00.000`, written for a time the flow does not have.
    Missing,
}

/// Reads RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]`, SiLK's `YYYY/MM/DDTHH:MM:SS[.fff]`, or Unix
/// time in seconds, milliseconds, microseconds or nanoseconds, distinguished by their size.
fn parse_time(text: &str) -> Option<FlowTime> {
    if text.starts_with("0000-00-00") {
        return Some(FlowTime::Missing);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return time.timestamp_nanos_opt().map(FlowTime::Utc);
    }
    if let Some(nanos) = epoch_to_nanos(text) {
        return Some(FlowTime::Utc(nanos));
    }
    let normalized = text.replace('/', "-").replacen('T', " ", 1);
    NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(FlowTime::Local)
}

fn epoch_to_nanos(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: i64 = whole.parse().ok()?;
    // Ten digits are seconds until 2286, thirteen milliseconds, sixteen microseconds.
    let (scale, fraction_scale) = match whole.len() {
        0..=11 => (1_000_000_000, 9),
        12..=14 => (1_000_000, 6),
        15..=17 => (1_000, 3),
        _ => (1, 0),
    };
    let mut digits: String = fraction.chars().take(fraction_scale).collect();
    while digits.len() < fraction_scale {
        digits.push('0');
    }
    let fraction_nanos: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    value.checked_mul(scale)?.checked_add(fraction_nanos)
}

fn format_time(nanos: i64) -> String {
    DateTime::from_timestamp_nanos(nanos).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Reads back the row at byte `offset` of `path`, with the following lines of a quoted field
/// that spans several.
pub(crate) fn read_raw(path: &Path, offset: u64) -> Result<String, RawError> {
    const MAX_LINES: usize = 64;
    let lines = super::lines::read_lines_at(path, offset, MAX_LINES)?;
    let mut row = String::new();
    for line in lines {
        if !row.is_empty() {
            row.push('\n');
        }
        row.push_str(&line);
        if row.matches('"').count().is_multiple_of(2) {
            return Ok(row);
        }
    }
    if row.is_empty() {
        return Err(RawError::NoDocument {
            path: path.display().to_string(),
            offset,
        });
    }
    Ok(row)
}

/// Renders the mapping as the Markdown in `netflow_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# Flow CSV field mapping (format `netflow-csv`)\n\n\
         Every row becomes one event with `log.source` `NSM:Flow` and platform `Network \
         Devices`, `event.kind` `event`, `event.category` `network`, `event.type` \
         `connection`, `event.action` `netflow_flow` and `event.dataset` `netflow.log`.\n\n\
         ## Recognition\n\n\
         The first line that is neither blank nor a `#` comment is the header. It is split \
         with each of `,`, `|`, tab and `;`, and the split that names the most known columns \
         wins. Header names are compared in lower case with everything but letters and digits \
         removed, so `src_ip`, `srcIP` and `Src IP` are the same column. The header must name \
         a source address, a destination address, a start or end time, and one of the ports, \
         the protocol, bytes or packets. Headers with AWS VPC Flow Logs columns \
         (`account-id`, `interface-id`, `log-status`) are left to that format.\n\n\
         Rows equal to the header (exports concatenated with `cat`) are skipped and counted in \
         the file's notes. nfdump 1.6 ends `-o csv` output with a `Summary` line and a totals \
         block: reading stops there, and the notes say so.\n\n\
         ## Times\n\n\
         Times may be RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]` (nfdump), \
         `YYYY/MM/DDTHH:MM:SS[.fff]` (SiLK), or Unix time in seconds, milliseconds, \
         microseconds or nanoseconds, told apart by their number of digits. nfdump writes \
         the local time of the host that ran it, without a zone: such times are read in the \
         zone `--tz` gives for the file, else as UTC, and the file's notes say which. \
         `0000-00-00 00:00:00.000` is nfdump's empty time. A row needs a start or an end time \
         and valid source and destination addresses. A number that does not parse, such as \
         nfdump's ICMP `type.code` in the destination port, is kept under `netflow.<column>` \
         instead of its ECS field.\n\n\
         ## Columns\n\n\
         | ECS field | header names |\n|---|---|\n",
    );
    for (_, names, target) in COLUMNS {
        let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        out.push_str(&format!("| {target} | {} |\n", names.join(", ")));
    }
    out.push_str(
        "| `network.bytes`, `network.packets` | the sums of the source and destination counts |\n\
         | `netflow.<column>` | every other column, named in lower case with `_` for other \
         characters, unless empty or zero |\n",
    );
    out.push_str("\n## Protocol numbers\n\n| number | `network.transport` |\n|---|---|\n");
    for (number, name) in PROTOCOLS {
        out.push_str(&format!("| {number} | `{name}` |\n"));
    }
    out.push_str(
        "\nA protocol name is lower-cased (`TCP` becomes `tcp`, `ICMP6` becomes `ipv6-icmp`); \
         a number not in the table sets `network.iana_number` only.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn scan(text: &str) -> (FileReport, EventStore) {
        let mut report = FileReport::new("f.csv".into(), Format::NetflowCsv, FileStatus::Loaded);
        let mut events = Vec::new();
        let finished = parse_bytes(
            text.as_bytes(),
            0,
            &FileTimeOptions::default(),
            &AtomicBool::new(false),
            &mut report,
            &mut events,
        );
        assert!(finished);
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "f.csv".into(),
            format: "netflow-csv",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
    }

    #[test]
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/netflow_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("netflow_mapping.md") == generated,
            "netflow_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn headers_are_recognized() {
        for header in [
            "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt",
            "firstSeen,lastSeen,duration,srcAddr,dstAddr,srcPort,dstPort,proto",
            "src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,start,end",
            "sIP|dIP|sPort|dPort|protocol|packets|bytes|flags|sTime|duration|eTime|sensor|",
            "\"Src IP\";\"Dst IP\";\"Start Time\";\"Bytes\"",
        ] {
            assert!(looks_like_netflow_csv(header), "{header}");
        }
        for header in [
            "src_ip,dst_ip,user",
            "start,end,bytes",
            "version,account-id,interface-id,srcaddr,dstaddr,srcport,dstport,protocol,packets,bytes,start,end,action,log-status",
            "CreationDate,UserIds,Operations,AuditData",
            "",
        ] {
            assert!(!looks_like_netflow_csv(header), "{header}");
        }
    }

    #[test]
    fn nfdump_row_maps() {
        let text = "ts,te,td,sa,da,sp,dp,pr,flg,ipkt,ibyt,opkt,obyt,in,out,ra\n\
            2024-03-01 10:00:00,2024-03-01 10:00:02,2.000,10.0.0.5,203.0.113.7,51234,443,TCP,.AP.S.,10,1500,8,9000,2,3,192.0.2.1\n";

        let (report, store) = scan(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.len(), 1);
        assert_eq!(store.events()[0].timestamp, 1_709_287_200_000_000_000);
        assert_eq!(store.field(0, "source.ip"), Some(ValueRef::Str("10.0.0.5")));
        assert_eq!(store.field(0, "destination.port"), Some(ValueRef::Int(443)));
        assert_eq!(
            store.field(0, "network.transport"),
            Some(ValueRef::Str("tcp"))
        );
        assert_eq!(
            store.field(0, "network.iana_number"),
            Some(ValueRef::Str("6"))
        );
        assert_eq!(store.field(0, "network.bytes"), Some(ValueRef::Int(10_500)));
        assert_eq!(
            store.field(0, "event.duration"),
            Some(ValueRef::Int(2_000_000_000))
        );
        assert_eq!(store.field(0, "netflow.flg"), Some(ValueRef::Str(".AP.S.")));
        assert_eq!(
            store.field(0, "observer.ip"),
            Some(ValueRef::Str("192.0.2.1"))
        );
        assert_eq!(store.log_source(0), "NSM:Flow");
        assert!(
            report.notes[0].contains("read as UTC"),
            "{:?}",
            report.notes
        );
        assert_eq!(store.events()[0].origin().record, 2);
    }

    #[test]
    fn times_are_read_in_every_form() {
        let cases: &[(&str, FlowTime)] = &[
            ("1709287200", FlowTime::Utc(1_709_287_200_000_000_000)),
            ("1709287200.5", FlowTime::Utc(1_709_287_200_500_000_000)),
            ("1709287200123", FlowTime::Utc(1_709_287_200_123_000_000)),
            (
                "2024-03-01T10:00:00Z",
                FlowTime::Utc(1_709_287_200_000_000_000),
            ),
            ("0000-00-00 00:00:00.000", FlowTime::Missing),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_time(text).as_ref(), Some(expected), "{text}");
        }
        assert!(matches!(
            parse_time("2024/03/01T10:00:00.250"),
            Some(FlowTime::Local(_))
        ));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn bad_rows_are_located() {
        let text = "src_ip,dst_ip,start,bytes\n\
            10.0.0.1,10.0.0.2,1709287200,5\n\
            not-an-ip,10.0.0.2,1709287200,5\n\
            10.0.0.1,10.0.0.2\n\
            10.0.0.1,10.0.0.2,soon,5\n";

        let (report, store) = scan(text);

        assert_eq!(store.len(), 1);
        assert_eq!(report.records_read, 4);
        assert_eq!(report.errors.len(), 3);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 3,
                offset: 57
            }
        );
        assert!(report.errors[0].message.contains("not-an-ip"));
        assert!(report.errors[1].message.contains("2 fields"));
        assert!(report.errors[2].message.contains("soon"));
    }

    #[test]
    fn byte_order_mark_keeps_offsets() {
        let text = "\u{feff}src_ip,dst_ip,start,bytes\nbad,10.0.0.2,1,5\n10.0.0.1,10.0.0.2,1,5\n";

        let (report, store) = scan(text);

        assert_eq!(store.len(), 1);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 2,
                offset: 29
            }
        );
        assert_eq!(store.events()[0].origin().offset, Some(46));
    }

    #[test]
    fn crlf_rows_keep_line_numbers() {
        let text = "src_ip,dst_ip,start,dp\r\n10.0.0.1,10.0.0.2,1,8.0\r\n10.0.0.1,10.0.0.2\r\n";

        let (report, store) = scan(text);

        assert_eq!(store.events()[0].origin().record, 2);
        assert_eq!(store.field(0, "netflow.dp"), Some(ValueRef::Str("8.0")));
        assert_eq!(store.field(0, "destination.port"), None);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 3,
                offset: 49
            }
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "src_ip,dst_ip,start,bytes\n\"",
            "src_ip,dst_ip,start,bytes\n,,,\n",
            "src_ip,dst_ip,start,bytes\n1.1.1.1,2.2.2.2,99999999999999999999,1\n",
            "src_ip,dst_ip,start,bytes,td\n1.1.1.1,2.2.2.2,1,1,1e308\n",
            "x",
        ] {
            let _ = scan(text);
        }
    }
}
