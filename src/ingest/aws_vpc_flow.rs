//! AWS VPC Flow Logs in their text form: one flow per line, fields separated by spaces, mapped
//! to ECS and to the `aws.vpcflow.*` fields of Elastic's `parse_aws_vpc_flow_log` processor.
//!
//! A file delivered to S3 starts with a header line naming its fields (`version account-id
//! interface-id …` for the default version 2 format, or the custom format's fields in the order
//! chosen, version 3 to 8 fields included). A header line may come again later, as when
//! delivery files are concatenated, and applies to the lines after it. Lines before any header,
//! such as CloudWatch Logs exports, are read in the default format. `-` marks a field with no
//! value, and `start` and `end` are Unix seconds.
//!
//! ATT&CK 18.1 names these records `AWS:VPCFlowLogs` in 16 analytics. One analytic calls them
//! `VPCFlowLogs:All`, a name no event carries.
#![doc = include_str!("aws_vpc_flow_mapping.md")]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::lines::{Line, split_lines};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use crate::store::{EventBuilder, FileId, Origin, PendingValue, Platform};

/// The ATT&CK log source name of VPC Flow Logs.
pub const LOG_SOURCE: &str = "AWS:VPCFlowLogs";

/// How many lines are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 1024;

/// The fields of the default format, in order.
const DEFAULT_FIELDS: [&str; 14] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// The value type of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Kept as text.
    Text,
    /// A whole number. Any other text makes the record invalid.
    Number,
    /// An IPv4 or IPv6 address. Any other text makes the record invalid.
    Address,
}

/// The VPC flow log fields of versions 2 to 8 as Elastic's `parse_aws_vpc_flow_log` processor
/// lists them, without version 6's Transit Gateway fields: (name, kind, ECS fields that
/// receive the value unchanged). Fields with a derived mapping are listed in
/// [`mapping_markdown`].
const FIELDS: &[(&str, Kind, &[&str])] = &[
    ("version", Kind::Number, &[]),
    ("account-id", Kind::Text, &["cloud.account.id"]),
    ("interface-id", Kind::Text, &[]),
    ("srcaddr", Kind::Address, &["source.address", "source.ip"]),
    (
        "dstaddr",
        Kind::Address,
        &["destination.address", "destination.ip"],
    ),
    ("srcport", Kind::Number, &["source.port"]),
    ("dstport", Kind::Number, &["destination.port"]),
    ("protocol", Kind::Number, &["network.iana_number"]),
    (
        "packets",
        Kind::Number,
        &["source.packets", "network.packets"],
    ),
    ("bytes", Kind::Number, &["source.bytes", "network.bytes"]),
    ("start", Kind::Number, &[]),
    ("end", Kind::Number, &[]),
    ("action", Kind::Text, &[]),
    ("log-status", Kind::Text, &[]),
    ("vpc-id", Kind::Text, &[]),
    ("subnet-id", Kind::Text, &[]),
    ("instance-id", Kind::Text, &["cloud.instance.id"]),
    ("tcp-flags", Kind::Number, &[]),
    ("type", Kind::Text, &[]),
    ("pkt-srcaddr", Kind::Address, &[]),
    ("pkt-dstaddr", Kind::Address, &[]),
    ("region", Kind::Text, &["cloud.region"]),
    ("az-id", Kind::Text, &["cloud.availability_zone"]),
    ("sublocation-type", Kind::Text, &[]),
    ("sublocation-id", Kind::Text, &[]),
    ("pkt-src-aws-service", Kind::Text, &[]),
    ("pkt-dst-aws-service", Kind::Text, &[]),
    ("flow-direction", Kind::Text, &["network.direction"]),
    ("traffic-path", Kind::Number, &[]),
    ("ecs-cluster-arn", Kind::Text, &["orchestrator.cluster.id"]),
    (
        "ecs-cluster-name",
        Kind::Text,
        &["orchestrator.cluster.name"],
    ),
    (
        "ecs-container-instance-arn",
        Kind::Text,
        &["orchestrator.resource.name"],
    ),
    (
        "ecs-container-instance-id",
        Kind::Text,
        &["orchestrator.resource.id"],
    ),
    ("ecs-container-id", Kind::Text, &["container.id"]),
    ("ecs-second-container-id", Kind::Text, &[]),
    ("ecs-service-name", Kind::Text, &["service.name"]),
    ("ecs-task-definition-arn", Kind::Text, &[]),
    ("ecs-task-arn", Kind::Text, &[]),
    ("ecs-task-id", Kind::Text, &[]),
    ("reject-reason", Kind::Text, &["event.reason"]),
];

/// IANA protocol numbers with the keyword ECS `network.transport` uses for them.
const TRANSPORTS: &[(i64, &str)] = &[
    (0, "hopopt"),
    (1, "icmp"),
    (2, "igmp"),
    (6, "tcp"),
    (8, "egp"),
    (17, "udp"),
    (47, "gre"),
    (50, "esp"),
    (58, "ipv6-icmp"),
    (112, "vrrp"),
    (132, "sctp"),
];

/// TCP flag bits as `tcp-flags` ORs them over the aggregation interval.
const TCP_FLAGS: &[(i64, &str)] = &[
    (0x01, "fin"),
    (0x02, "syn"),
    (0x04, "rst"),
    (0x08, "psh"),
    (0x10, "ack"),
    (0x20, "urg"),
];

/// Fields whose presence makes a line of field names a header line.
const HEADER_ANCHORS: &[&str] = &[
    "srcaddr",
    "dstaddr",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "interface-id",
    "instance-id",
];

/// Returns whether `text`, a file's first bytes, starts like a VPC flow log: a header line
/// of field names, or a line in the default version 2 format.
pub(crate) fn looks_like_vpc_flow(text: &str) -> bool {
    let Some(first) = text.lines().map(str::trim).find(|line| !line.is_empty()) else {
        return false;
    };
    header_fields(first).is_some() || is_default_format_line(first)
}

/// Returns the columns of a header line, or `None` when `line` is not a header. `_` in a name
/// is read as `-` (the Athena and Parquet spelling).
///
/// A header has only lowercase names, at least half of them AWS fields, and names one of
/// [`HEADER_ANCHORS`]. Unknown names are kept, so fields AWS adds later still line up.
fn header_fields(line: &str) -> Option<Vec<Column>> {
    // Data lines fail this check at their first number or address, before anything is allocated.
    if !line.split_ascii_whitespace().all(is_field_name) {
        return None;
    }
    let names: Vec<String> = line
        .split_ascii_whitespace()
        .map(|name| name.replace('_', "-"))
        .collect();
    if names.len() < 2 {
        return None;
    }
    let known = names.iter().filter(|name| field(name).is_some()).count();
    let anchored = names
        .iter()
        .any(|name| HEADER_ANCHORS.contains(&name.as_str()));
    (anchored && known * 2 >= names.len()).then(|| columns(&names))
}

fn is_field_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Fields mapped to ECS by code rather than through [`FIELDS`], so their originals are not kept.
const DERIVED: &[&str] = &["start", "end", "action"];

/// One field of a header, with its entry in [`FIELDS`] looked up once per header rather than
/// once per record.
#[derive(Clone, Debug)]
struct Column {
    /// The AWS name, such as `pkt-srcaddr`.
    name: String,
    /// The field that keeps the original value, such as `aws.vpcflow.pkt_srcaddr`, or `None`
    /// when ECS fields already carry it.
    original: Option<String>,
    kind: Kind,
    /// ECS fields that receive the value unchanged.
    targets: &'static [&'static str],
}

fn columns<S: AsRef<str>>(names: &[S]) -> Vec<Column> {
    names
        .iter()
        .map(|name| {
            let name = name.as_ref();
            let (kind, targets) = field(name)
                .map_or((Kind::Text, &[][..]), |(_, kind, targets)| {
                    (*kind, *targets)
                });
            let mapped = !targets.is_empty() || DERIVED.contains(&name);
            Column {
                name: name.to_owned(),
                original: (!mapped).then(|| format!("aws.vpcflow.{}", name.replace('-', "_"))),
                kind,
                targets,
            }
        })
        .collect()
}

/// Returns whether `line` is a record in the default format: 14 fields, version 2, and an
/// action and log status as AWS writes them.
fn is_default_format_line(line: &str) -> bool {
    let tokens: Vec<&str> = line.split_ascii_whitespace().collect();
    tokens.len() == DEFAULT_FIELDS.len()
        && tokens.first() == Some(&"2")
        && tokens
            .get(12)
            .is_some_and(|action| ["ACCEPT", "REJECT", "-"].contains(action))
        && tokens
            .get(13)
            .is_some_and(|status| ["OK", "NODATA", "SKIPDATA"].contains(status))
}

fn field(name: &str) -> Option<&'static (&'static str, Kind, &'static [&'static str])> {
    FIELDS.iter().find(|(known, _, _)| *known == name)
}

/// Parses the VPC flow log at `path` (gzip or not), one record per line.
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

/// Parses every line of `bytes`. Header lines and blank lines are not records. Returns `false`
/// when `cancel` stopped it early.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let default_columns = columns(&DEFAULT_FIELDS);
    let mut header: Option<Vec<Column>> = None;
    for line in split_lines(bytes) {
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !line.is_too_long()
            && let Ok(text) = std::str::from_utf8(line.bytes)
            && let Some(names) = header_fields(text.trim())
        {
            header = Some(names);
            continue;
        }
        if report.records_read.is_multiple_of(CANCEL_CHECK_INTERVAL)
            && cancel.load(Ordering::Relaxed)
        {
            return false;
        }
        report.records_read += 1;
        let origin = Origin {
            file,
            record: line.number,
            offset: Some(line.offset),
        };
        match map_line(&line, header.as_deref(), &default_columns, origin) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(
                Location::Line {
                    line: line.number,
                    offset: line.offset,
                },
                message,
            ),
        }
    }
    true
}

fn map_line(
    line: &Line<'_>,
    header: Option<&[Column]>,
    default_columns: &[Column],
    origin: Origin,
) -> Result<EventBuilder, String> {
    if line.is_too_long() {
        return Err(format!(
            "line is {} bytes, longer than the maximum of {}",
            line.bytes.len(),
            super::lines::MAX_LINE_BYTES
        ));
    }
    let text =
        std::str::from_utf8(line.bytes).map_err(|err| format!("line is not valid UTF-8: {err}"))?;
    let values: Vec<&str> = text.split_ascii_whitespace().collect();
    let columns = header.unwrap_or(default_columns);
    if values.len() != columns.len() {
        let expected = match header {
            Some(_) => format!("the header line names {}", columns.len()),
            None => format!(
                "no header line names the fields and the default format has {}",
                columns.len()
            ),
        };
        return Err(format!("line has {} fields but {expected}", values.len()));
    }
    let record: Vec<(&Column, &str)> = columns
        .iter()
        .zip(values)
        .filter(|(_, value)| *value != "-")
        .collect();
    map_record(&record, origin)
}

/// Maps one flow record, given as (column, value) pairs without the `-` values.
fn map_record(record: &[(&Column, &str)], origin: Origin) -> Result<EventBuilder, String> {
    let mut numbers: Vec<Option<i64>> = Vec::with_capacity(record.len());
    for (column, value) in record {
        let name = &column.name;
        let number = match column.kind {
            Kind::Number => Some(
                value
                    .parse::<i64>()
                    .map_err(|_| format!("invalid {name} `{value}`: expected a whole number"))?,
            ),
            Kind::Address => {
                value
                    .parse::<std::net::IpAddr>()
                    .map_err(|_| format!("invalid {name} `{value}`: expected an IP address"))?;
                None
            }
            Kind::Text => None,
        };
        numbers.push(number);
    }
    let position = |name: &str| record.iter().position(|(column, _)| column.name == name);
    let number = |name: &str| position(name).and_then(|i| numbers.get(i).copied().flatten());
    let text = |name: &str| {
        position(name)
            .and_then(|i| record.get(i))
            .map(|(_, value)| *value)
    };

    let start = number("start").map(seconds_to_nanos).transpose()?;
    let end = number("end").map(seconds_to_nanos).transpose()?;
    let timestamp = end
        .or(start)
        .ok_or("record has no start or end time; a VPC flow record needs one")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::Iaas, origin);
    builder.field("event.kind", "event");
    builder.field("event.category", PendingValue::List(vec!["network".into()]));
    builder.field("cloud.provider", "aws");
    for ((column, value), number) in record.iter().zip(&numbers) {
        if let Some(original) = &column.original {
            match number {
                Some(n) => builder.field(original.clone(), *n),
                None => builder.field(original.clone(), *value),
            };
        }
        for target in column.targets {
            match (number, *target) {
                // ECS types `network.iana_number` as a keyword.
                (Some(n), "network.iana_number") => builder.field(*target, n.to_string()),
                (Some(n), _) => builder.field(*target, *n),
                (None, _) => builder.field(*target, *value),
            };
        }
    }
    add_times(&mut builder, start, end);
    add_network(
        &mut builder,
        record,
        number("protocol"),
        number("tcp-flags"),
    );
    let event_types = add_action(&mut builder, text("action"));
    builder.field("event.type", PendingValue::List(event_types));
    if record
        .iter()
        .any(|(column, _)| column.name.starts_with("ecs-"))
    {
        builder.field("orchestrator.type", "ecs");
    }
    Ok(builder)
}

fn seconds_to_nanos(seconds: i64) -> Result<i64, String> {
    seconds
        .checked_mul(1_000_000_000)
        .ok_or_else(|| format!("time {seconds} is out of range"))
}

fn add_times(builder: &mut EventBuilder, start: Option<i64>, end: Option<i64>) {
    for (target, nanos) in [("event.start", start), ("event.end", end)] {
        if let Some(nanos) = nanos {
            let time = chrono::DateTime::from_timestamp_nanos(nanos);
            builder.field(
                target,
                time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        }
    }
    if let (Some(start), Some(end)) = (start, end)
        && end >= start
    {
        builder.field("event.duration", end - start);
    }
}

/// Adds `network.transport`, `network.type`, `related.ip` and the names of the TCP flags.
fn add_network(
    builder: &mut EventBuilder,
    record: &[(&Column, &str)],
    protocol: Option<i64>,
    tcp_flags: Option<i64>,
) {
    if let Some((_, name)) = protocol.and_then(|p| TRANSPORTS.iter().find(|(n, _)| *n == p)) {
        builder.field("network.transport", *name);
    }
    let value_of = |name: &str| {
        record
            .iter()
            .find(|(column, _)| column.name == name)
            .map(|(_, value)| *value)
    };
    let address_type = value_of("type")
        .map(str::to_ascii_lowercase)
        .filter(|value| value == "ipv4" || value == "ipv6");
    let source_type = value_of("srcaddr")
        .and_then(|value| value.parse::<std::net::IpAddr>().ok())
        .map(|ip| if ip.is_ipv4() { "ipv4" } else { "ipv6" }.to_owned());
    if let Some(network_type) = address_type.or(source_type) {
        builder.field("network.type", network_type);
    }
    let mut related: Vec<PendingValue> = Vec::new();
    for (column, value) in record {
        let value = PendingValue::from(*value);
        if column.kind == Kind::Address && !related.contains(&value) {
            related.push(value);
        }
    }
    if !related.is_empty() {
        builder.field("related.ip", PendingValue::List(related));
    }
    if let Some(flags) = tcp_flags {
        let names: Vec<PendingValue> = TCP_FLAGS
            .iter()
            .filter(|(bit, _)| flags & bit != 0)
            .map(|(_, name)| (*name).into())
            .collect();
        if !names.is_empty() {
            builder.field("aws.vpcflow.tcp_flags_array", PendingValue::List(names));
        }
    }
}

/// Adds `event.action` and `event.outcome` from `action`, and returns the `event.type` list.
fn add_action(builder: &mut EventBuilder, action: Option<&str>) -> Vec<PendingValue> {
    let mut types: Vec<PendingValue> = vec!["connection".into()];
    let Some(action) = action else {
        return types;
    };
    builder.field("event.action", action.to_ascii_lowercase());
    match action {
        "ACCEPT" => {
            builder.field("event.outcome", "success");
            types.push("allowed".into());
        }
        "REJECT" => {
            builder.field("event.outcome", "failure");
            types.push("denied".into());
        }
        _ => {}
    }
    types
}

/// Renders the mapping as the Markdown in `aws_vpc_flow_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# AWS VPC Flow Logs field mapping\n\n\
         Every record becomes one event with `log.source` `AWS:VPCFlowLogs` and platform \
         `IaaS`. ATT&CK 18.1 uses that name in 16 analytics. One analytic calls these records \
         `VPCFlowLogs:All`, a name no event is given. Field names follow Elastic's \
         `parse_aws_vpc_flow_log` processor in its default `ecs` mode: a field is mapped to \
         the ECS fields below, and a field with no ECS mapping is kept as \
         `aws.vpcflow.<name>`, with `-` in the name written as `_`.\n\n\
         A field whose value is `-` is left out. A whole-number field or an address field \
         with any other text makes the record invalid, and it is reported and skipped.\n\n\
         | ECS field | flow log field |\n|---|---|\n\
         | `@timestamp` | `end`, else `start` (Unix seconds) |\n\
         | `event.start`, `event.end` | `start`, `end`, as RFC 3339 text |\n\
         | `event.duration` | `end` minus `start`, in nanoseconds |\n\
         | `event.kind` | always `event` |\n\
         | `event.category` | always `network` |\n\
         | `event.type` | `connection`, and `allowed` or `denied` from `action` |\n\
         | `event.action` | `action` in lowercase (`accept`, `reject`) |\n\
         | `event.outcome` | `success` for `ACCEPT`, `failure` for `REJECT` |\n\
         | `cloud.provider` | always `aws` |\n",
    );
    for (name, _, targets) in FIELDS {
        for target in *targets {
            out.push_str(&format!("| `{target}` | `{name}` |\n"));
        }
    }
    let transports: Vec<String> = TRANSPORTS
        .iter()
        .map(|(number, name)| format!("{number} `{name}`"))
        .collect();
    out.push_str(&format!(
        "| `network.transport` | `protocol`: {} |\n",
        transports.join(", ")
    ));
    out.push_str(
        "| `network.type` | `type` in lowercase when it is `IPv4` or `IPv6`, else the \
         family of `srcaddr` |\n\
         | `related.ip` | every address field, once each |\n\
         | `orchestrator.type` | `ecs` when any `ecs-*` field is present |\n\
         | `aws.vpcflow.tcp_flags_array` | the names of the bits set in `tcp-flags` |\n\
         | `aws.vpcflow.<name>` | every field not listed above (such as `version`, \
         `interface-id`, `log-status`, `vpc-id`, `tcp-flags`, `pkt-srcaddr`), numbers as \
         numbers |\n",
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
        let mut report = FileReport::new("flow.log".into(), Format::Unknown, FileStatus::Loaded);
        let mut events = Vec::new();
        assert!(parse_bytes(
            text.as_bytes(),
            0,
            &AtomicBool::new(false),
            &mut report,
            &mut events
        ));
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "flow.log".into(),
            format: "aws-vpc-flow",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
    }

    #[test]
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/ingest/aws_vpc_flow_mapping.md"
        );
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("aws_vpc_flow_mapping.md") == generated,
            "aws_vpc_flow_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn default_format_with_header() {
        let text = "version account-id interface-id srcaddr dstaddr srcport dstport protocol \
                    packets bytes start end action log-status\n\
                    2 123456789010 eni-1235b8ca 203.0.113.12 172.31.16.139 0 0 1 4 336 \
                    1432917027 1432917142 REJECT OK\n\
                    2 123456789010 eni-1235b8ca - - - - - - - 1431280876 1431280934 - NODATA\n";

        let (report, store) = scan(text);

        assert_eq!(report.records_read, 2);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(store.log_source(0), "AWS:VPCFlowLogs");
        assert_eq!(store.events()[0].platform, Platform::Iaas);
        assert_eq!(store.events()[0].timestamp, 1_432_917_142_000_000_000);
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("203.0.113.12"))
        );
        assert_eq!(
            store.field(0, "network.transport"),
            Some(ValueRef::Str("icmp"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("failure"))
        );
        assert_eq!(
            store.field(0, "event.duration"),
            Some(ValueRef::Int(115_000_000_000))
        );
        assert_eq!(store.field(1, "source.ip"), None);
        assert_eq!(
            store.field(1, "aws.vpcflow.log_status"),
            Some(ValueRef::Str("NODATA"))
        );
        assert_eq!(store.events()[0].origin().record, 2);
    }

    #[test]
    fn custom_header_in_any_order() {
        let text = "flow-direction tcp-flags srcaddr dstaddr pkt-srcaddr start\n\
                    egress 19 10.0.1.5 10.0.0.220 10.0.1.5 1566848875\n";

        let (report, store) = scan(text);

        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(
            store.field(0, "network.direction"),
            Some(ValueRef::Str("egress"))
        );
        assert_eq!(
            store.field(0, "aws.vpcflow.tcp_flags_array"),
            Some(ValueRef::List(vec![
                ValueRef::Str("fin"),
                ValueRef::Str("syn"),
                ValueRef::Str("ack")
            ]))
        );
        assert_eq!(store.events()[0].timestamp, 1_566_848_875_000_000_000);
        assert_eq!(
            store.field(0, "related.ip"),
            Some(ValueRef::List(vec![
                ValueRef::Str("10.0.1.5"),
                ValueRef::Str("10.0.0.220")
            ]))
        );
    }

    #[test]
    fn bad_values_are_located() {
        let text = "2 1 eni-1 10.0.0.1 10.0.0.2 443 x 6 1 2 3 4 ACCEPT OK\n\
                    2 1 eni-1 10.0.0.1 not-an-ip 443 1 6 1 2 3 4 ACCEPT OK\n\
                    2 1 eni-1 10.0.0.1 10.0.0.2\n\
                    2 1 eni-1 10.0.0.1 10.0.0.2 443 1 6 1 2 - - ACCEPT OK\n";

        let (report, store) = scan(text);

        assert_eq!(report.records_read, 4);
        assert!(store.is_empty());
        let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages[0].contains("invalid dstport `x`"),
            "{}",
            messages[0]
        );
        assert!(
            messages[1].contains("expected an IP address"),
            "{}",
            messages[1]
        );
        assert!(messages[2].contains("has 5 fields"), "{}", messages[2]);
        assert!(messages[3].contains("no start or end"), "{}", messages[3]);
        assert_eq!(
            report.errors[2].location,
            Location::Line {
                line: 3,
                offset: text.find("2 1 eni-1 10.0.0.1 10.0.0.2\n").unwrap() as u64
            }
        );
    }

    #[test]
    fn detection_needs_header_or_default_line() {
        assert!(looks_like_vpc_flow(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets \
             bytes start end action log-status\n"
        ));
        assert!(looks_like_vpc_flow("vpc_id srcaddr dstaddr\r\n"));
        assert!(looks_like_vpc_flow(
            "2 1 eni-1 10.0.0.1 10.0.0.2 443 1 6 1 2 3 4 ACCEPT OK"
        ));
        assert!(!looks_like_vpc_flow("srcaddr dstaddr hello world foo\n"));
        assert!(!looks_like_vpc_flow("version action\n"));
        assert!(!looks_like_vpc_flow("May 29 20:56:52 host sshd[1]: x\n"));
        assert!(!looks_like_vpc_flow(""));
    }

    #[test]
    fn garbage_does_not_panic() {
        for text in [
            "",
            "\n\n",
            "srcaddr dstaddr\n-\n",
            "\u{0}\u{1}",
            "2 - - - - - - - - - - 99999999999999 - OK",
        ] {
            let _ = scan(text);
        }
    }
}
