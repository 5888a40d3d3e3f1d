//! Zeek logs (conn, ssl, x509, dns, http and others) as JSON lines or as Zeek's classic
//! tab-separated form, mapped to ECS and to the `zeek.<log>.*` fields of Elastic's `zeek`
//! integration.
//!
//! Every record gets `log.source` `NSM:Flow`, the name ATT&CK 18.1 analytics give conn.log,
//! ssl.log, x509.log, dns.log and http.log. The platform is `Network Devices` because a Zeek
//! sensor observes network traffic rather than running on the hosts in it.
#![doc = include_str!("zeek_mapping.md")]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};

use super::json_records::{add_flattened, parse_time};
use super::report::{FileReport, Location};
use super::sink::EventSink;
use crate::store::{EventBuilder, FileId, Origin, Platform};

/// The ATT&CK log source name of Zeek logs.
pub const LOG_SOURCE: &str = "NSM:Flow";

/// Maximum length of one line of a tab-separated log; longer lines are reported and skipped.
pub const MAX_LINE_LEN: usize = 1 << 20;

/// How many lines are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 256;

/// ECS fields copied from Zeek fields: (log or `*` for all, Zeek field, ECS field).
const COPIED: &[(&str, &str, &str)] = &[
    ("*", "uid", "event.id"),
    ("*", "id.orig_h", "source.ip"),
    ("*", "id.orig_p", "source.port"),
    ("*", "id.resp_h", "destination.ip"),
    ("*", "id.resp_p", "destination.port"),
    ("*", "proto", "network.transport"),
    ("conn", "service", "network.protocol"),
    ("conn", "orig_bytes", "source.bytes"),
    ("conn", "resp_bytes", "destination.bytes"),
    ("conn", "orig_pkts", "source.packets"),
    ("conn", "resp_pkts", "destination.packets"),
    ("conn", "orig_l2_addr", "source.mac"),
    ("conn", "resp_l2_addr", "destination.mac"),
    ("ssl", "version", "tls.version_protocol"),
    ("ssl", "cipher", "tls.cipher"),
    ("ssl", "curve", "tls.curve"),
    ("ssl", "server_name", "tls.client.server_name"),
    ("ssl", "resumed", "tls.resumed"),
    ("ssl", "established", "tls.established"),
    ("ssl", "ja3", "tls.client.ja3"),
    ("ssl", "ja3s", "tls.server.ja3s"),
    ("ssl", "subject", "tls.server.subject"),
    ("ssl", "issuer", "tls.server.issuer"),
    ("ssl", "resp_certificate_sha1", "tls.server.hash.sha1"),
    ("x509", "certificate.version", "x509.version_number"),
    ("x509", "certificate.serial", "x509.serial_number"),
    (
        "x509",
        "certificate.subject",
        "x509.subject.distinguished_name",
    ),
    (
        "x509",
        "certificate.issuer",
        "x509.issuer.distinguished_name",
    ),
    ("x509", "certificate.key_alg", "x509.public_key_algorithm"),
    ("x509", "certificate.sig_alg", "x509.signature_algorithm"),
    ("x509", "certificate.key_length", "x509.public_key_size"),
    ("x509", "certificate.exponent", "x509.public_key_exponent"),
    ("dns", "query", "dns.question.name"),
    ("dns", "qtype_name", "dns.question.type"),
    ("dns", "qclass_name", "dns.question.class"),
    ("dns", "rcode_name", "dns.response_code"),
    ("dns", "trans_id", "dns.id"),
    ("http", "method", "http.request.method"),
    ("http", "host", "url.domain"),
    ("http", "uri", "url.original"),
    ("http", "referrer", "http.request.referrer"),
    ("http", "status_code", "http.response.status_code"),
    ("http", "user_agent", "user_agent.original"),
    ("http", "request_body_len", "http.request.body.bytes"),
    ("http", "response_body_len", "http.response.body.bytes"),
];

/// `event.category` and `event.type` per log.
const CATEGORIES: &[(&str, &str, &str)] = &[
    ("conn", "network", "connection"),
    ("ssl", "network", "protocol"),
    ("x509", "network", "info"),
    ("dns", "network", "protocol"),
    ("http", "network", "protocol"),
];

/// Maps one Zeek JSON record to an event.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let object = record.as_object().ok_or("record is not a JSON object")?;
    let fields = normalize_keys(object);
    let log = log_name(&fields);
    map_fields(&fields, &log, origin)
}

fn map_fields(
    fields: &Map<String, Value>,
    log: &str,
    origin: Origin,
) -> Result<EventBuilder, String> {
    let timestamp = match fields.get("ts") {
        Some(Value::Number(n)) => epoch_seconds_to_nanos(&n.to_string()),
        Some(Value::String(text)) => parse_time(text).or_else(|| epoch_seconds_to_nanos(text)),
        _ => None,
    }
    .ok_or("record has no valid ts")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::NetworkDevices, origin);
    builder.field("event.kind", "event");
    builder.field("event.dataset", format!("zeek.{log}"));
    if let Some((_, category, kind)) = CATEGORIES.iter().find(|(name, _, _)| *name == log) {
        builder.field("event.category", *category);
        builder.field("event.type", *kind);
    }
    if let Some(sensor) = fields.get("@system").and_then(Value::as_str) {
        builder.field("observer.hostname", sensor);
    }
    for (source_log, source, target) in COPIED {
        if *source_log != "*" && *source_log != log {
            continue;
        }
        if let Some(value) = fields.get(*source).filter(|v| !v.is_null()) {
            add_flattened(&mut builder, target, value, 0);
        }
    }
    if let Some(seconds) = fields.get("duration").and_then(Value::as_f64) {
        builder.field("event.duration", (seconds * 1e9).round() as i64);
    }
    for (key, value) in fields {
        if key.starts_with('@') {
            continue;
        }
        add_flattened(&mut builder, &format!("zeek.{log}.{key}"), value, 0);
    }
    Ok(builder)
}

/// Converts decimal Unix seconds, as Zeek writes `ts` (`1588205199.82437`), to nanoseconds.
///
/// The digits are read as text because an `f64` cannot hold microseconds of a current epoch
/// time exactly. Fraction digits past the ninth are dropped.
fn epoch_seconds_to_nanos(text: &str) -> Option<i64> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let mut digits: String = fraction.chars().take(9).collect();
    while digits.len() < 9 {
        digits.push('0');
    }
    let nanos: i64 = digits.parse().ok()?;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Rewrites the underscore spellings some exporters use (`id_orig_h`, `certificate_version`)
/// into Zeek's dotted field names.
fn normalize_keys(object: &Map<String, Value>) -> Map<String, Value> {
    const DOTTED_PREFIXES: &[&str] = &["id_", "certificate_", "san_", "basic_constraints_"];
    object
        .iter()
        .map(|(key, value)| {
            let key = DOTTED_PREFIXES
                .iter()
                .find_map(|prefix| {
                    let head = prefix.get(..prefix.len() - 1)?;
                    Some(format!("{head}.{}", key.strip_prefix(prefix)?))
                })
                .unwrap_or_else(|| key.clone());
            (key, value.clone())
        })
        .collect()
}

/// Returns the log a record comes from: `_path` or `@stream` when present, else guessed from the
/// fields only that log writes, else `unknown`.
fn log_name(fields: &Map<String, Value>) -> String {
    for key in ["_path", "@stream"] {
        if let Some(Value::String(name)) = fields.get(key) {
            return name.clone();
        }
    }
    let has = |key: &str| fields.contains_key(key);
    let guessed = if has("conn_state") || has("history") {
        "conn"
    } else if has("certificate.version") || has("certificate.subject") {
        "x509"
    } else if has("cipher") || has("ja3") || has("server_name") {
        "ssl"
    } else if has("query") && (has("qtype") || has("rcode") || has("trans_id")) {
        "dns"
    } else if has("method") && has("uri") {
        "http"
    } else {
        "unknown"
    };
    guessed.to_owned()
}

/// The `#` header lines of a tab-separated Zeek log.
struct TsvHeader {
    separator: u8,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: String,
    fields: Vec<String>,
    types: Vec<String>,
}

impl Default for TsvHeader {
    fn default() -> Self {
        TsvHeader {
            separator: b'\t',
            set_separator: ",".to_owned(),
            empty_field: "(empty)".to_owned(),
            unset_field: "-".to_owned(),
            path: String::new(),
            fields: Vec::new(),
            types: Vec::new(),
        }
    }
}

/// Parses a tab-separated Zeek log at `path` (gzip or not), one record per data line.
pub(crate) fn parse_tsv(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    match super::input::read_all(path, report) {
        Ok(bytes) => parse_tsv_bytes(&bytes, file, cancel, report, events),
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            true
        }
    }
}

/// Parses the lines of a tab-separated Zeek log. Header lines (`#…`) and blank lines are not
/// records. Returns `false` when `cancel` stopped it early.
pub(crate) fn parse_tsv_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let mut header = TsvHeader::default();
    let mut offset = 0usize;
    for (index, raw_line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let line_offset = offset;
        offset += raw_line.len();
        let line_number = index as u64 + 1;
        let line = raw_line.strip_suffix(b"\n").unwrap_or(raw_line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if let Some(directive) = line.strip_prefix(b"#") {
            read_directive(&mut header, directive);
            continue;
        }
        if report.records_read.is_multiple_of(CANCEL_CHECK_INTERVAL)
            && cancel.load(Ordering::Relaxed)
        {
            return false;
        }
        report.records_read += 1;
        let location = Location::Line {
            line: line_number,
            offset: line_offset as u64,
        };
        let origin = Origin {
            file,
            record: line_number,
            offset: Some(line_offset as u64),
        };
        match tsv_record(&header, line).and_then(|fields| map_fields(&fields, &header.path, origin))
        {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(location, message),
        }
    }
    true
}

fn read_directive(header: &mut TsvHeader, directive: &[u8]) {
    let text = String::from_utf8_lossy(directive);
    // `#separator` is followed by a space; the other directives by the separator itself.
    if let Some(value) = text.strip_prefix("separator ") {
        let decoded = unescape(value.trim());
        if let [byte] = decoded.as_bytes() {
            header.separator = *byte;
        }
        return;
    }
    let separator = char::from(header.separator);
    let mut parts = text.split(separator);
    let name = parts.next().unwrap_or_default();
    let values: Vec<String> = parts.map(unescape).collect();
    let first = values.first().cloned().unwrap_or_default();
    match name {
        "set_separator" => header.set_separator = first,
        "empty_field" => header.empty_field = first,
        "unset_field" => header.unset_field = first,
        "path" => header.path = first,
        "fields" => header.fields = values,
        "types" => header.types = values,
        _ => {}
    }
}

fn tsv_record(header: &TsvHeader, line: &[u8]) -> Result<Map<String, Value>, String> {
    if header.fields.is_empty() {
        return Err("data line before the #fields header line".to_owned());
    }
    if line.len() > MAX_LINE_LEN {
        return Err(format!(
            "line is {} bytes, longer than the maximum of {MAX_LINE_LEN}",
            line.len()
        ));
    }
    let text =
        std::str::from_utf8(line).map_err(|err| format!("line is not valid UTF-8: {err}"))?;
    let values: Vec<&str> = text.split(char::from(header.separator)).collect();
    if values.len() != header.fields.len() {
        return Err(format!(
            "line has {} fields but the #fields header names {}",
            values.len(),
            header.fields.len()
        ));
    }
    let mut record = Map::new();
    for (index, (name, raw)) in header.fields.iter().zip(values).enumerate() {
        if raw == header.unset_field {
            continue;
        }
        let kind = header
            .types
            .get(index)
            .map(String::as_str)
            .unwrap_or("string");
        record.insert(name.clone(), typed_value(header, kind, raw));
    }
    Ok(record)
}

/// Converts one field by its `#types` entry; values that do not parse stay text.
fn typed_value(header: &TsvHeader, kind: &str, raw: &str) -> Value {
    if kind.starts_with("vector[") || kind.starts_with("set[") {
        if raw == header.empty_field {
            return Value::Array(Vec::new());
        }
        let items = raw
            .split(header.set_separator.as_str())
            .map(|item| Value::String(unescape(item)))
            .collect();
        return Value::Array(items);
    }
    if raw == header.empty_field {
        return Value::String(String::new());
    }
    let parsed = match kind {
        "count" | "int" | "port" => raw.parse::<i64>().ok().map(Value::from),
        "time" | "interval" | "double" => raw.parse::<f64>().ok().map(Value::from),
        "bool" => match raw {
            "T" => Some(Value::Bool(true)),
            "F" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(unescape(raw)))
}

/// Decodes Zeek's `\xHH` escapes, which it writes for separators and non-printable bytes.
fn unescape(text: &str) -> String {
    if !text.contains("\\x") {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&current) = bytes.get(i) {
        if current == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let Some(hex) = bytes.get(i + 2..i + 4)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 4;
        } else {
            out.push(current);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Renders the mapping as the Markdown in `zeek_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# Zeek field mapping\n\n\
         Every record becomes one event with `log.source` `NSM:Flow` and platform \
         `Network Devices`. Underscore spellings (`id_orig_h`, `certificate_version`) are read \
         as Zeek's dotted names.\n\n\
         | ECS field | Zeek field | logs |\n|---|---|---|\n\
         | `@timestamp` | `ts` (Unix seconds, or an RFC 3339 string) | all |\n\
         | `event.kind` | always `event` | all |\n\
         | `event.dataset` | `zeek.<log>`, the log from `_path`, `@stream`, `#path` or the \
         fields | all |\n\
         | `observer.hostname` | `@system` | all |\n\
         | `event.duration` | `duration`, in nanoseconds | conn |\n",
    );
    for (log, category, kind) in CATEGORIES {
        out.push_str(&format!(
            "| `event.category`, `event.type` | `{category}`, `{kind}` | {log} |\n"
        ));
    }
    for (log, source, target) in COPIED {
        let log = if *log == "*" { "all" } else { log };
        out.push_str(&format!("| `{target}` | `{source}` | {log} |\n"));
    }
    out.push_str("| `zeek.<log>.<field>` | every field | all |\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};
    use serde_json::json;

    fn store_of(events: Vec<EventBuilder>) -> EventStore {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "t.log".into(),
            format: "zeek-tsv",
        });
        for event in events {
            store.push(event);
        }
        store
    }

    fn scan_tsv(text: &str) -> (FileReport, EventStore) {
        let mut report = FileReport::new("t.log".into(), Format::ZeekTsv, FileStatus::Loaded);
        let mut events = Vec::new();
        let cancel = AtomicBool::new(false);
        assert!(parse_tsv_bytes(
            text.as_bytes(),
            0,
            &cancel,
            &mut report,
            &mut events
        ));
        (report, store_of(events))
    }

    #[test]
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/zeek_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("zeek_mapping.md") == generated,
            "zeek_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn json_conn_with_underscore_ids() {
        let record = json!({"@stream": "conn", "@system": "sensor", "ts": 1588205199.82437,
            "uid": "C1", "id_orig_h": "10.0.1.6", "id_orig_p": 54243, "id_resp_h": "10.0.0.4",
            "id_resp_p": 53, "proto": "udp", "service": "dns", "duration": 0.5,
            "conn_state": "SF"});
        let origin = Origin {
            file: 0,
            record: 1,
            offset: Some(0),
        };

        let store = store_of(vec![map_record(&record, origin).unwrap()]);

        assert_eq!(store.log_source(0), "NSM:Flow");
        assert_eq!(store.events()[0].platform, Platform::NetworkDevices);
        assert_eq!(store.events()[0].timestamp, 1_588_205_199_824_370_000);
        assert_eq!(store.field(0, "source.ip"), Some(ValueRef::Str("10.0.1.6")));
        assert_eq!(store.field(0, "destination.port"), Some(ValueRef::Int(53)));
        assert_eq!(
            store.field(0, "network.protocol"),
            Some(ValueRef::Str("dns"))
        );
        assert_eq!(
            store.field(0, "event.duration"),
            Some(ValueRef::Int(500_000_000))
        );
        assert_eq!(
            store.field(0, "zeek.conn.conn_state"),
            Some(ValueRef::Str("SF"))
        );
        assert_eq!(
            store.field(0, "observer.hostname"),
            Some(ValueRef::Str("sensor"))
        );
    }

    /// A dns.log written by hand in Zeek's tab-separated layout, with one short line.
    const DNS_LOG: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n\
        #unset_field\t-\n#path\tdns\n\
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\tanswers\n\
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tvector[string]\n\
        1692161674.5\tCa\t192.168.1.41\t51129\t10.0.0.1\t53\tudp\tevil.example\tA\t1.2.3.4,5.6.7.8\n\
        1692161675.5\tCb\t192.168.1.41\t51130\t10.0.0.1\t53\tudp\tx\\x09y.example\t-\t(empty)\n\
        1692161676.5\tCc\ttoo\tfew\n\
        #close\t2023-08-16-01-28-55\n";

    #[test]
    fn tsv_dns_types_and_escapes() {
        let (report, store) = scan_tsv(DNS_LOG);

        assert_eq!(report.records_read, 3);
        assert_eq!(store.len(), 2);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 10,
                offset: DNS_LOG.find("1692161676.5").unwrap() as u64
            }
        );
        assert!(report.errors[0].message.contains("has 4 fields"));
        assert_eq!(
            store.field(0, "dns.question.name"),
            Some(ValueRef::Str("evil.example"))
        );
        assert_eq!(store.field(0, "source.port"), Some(ValueRef::Int(51129)));
        assert_eq!(
            store.field(0, "zeek.dns.answers"),
            Some(ValueRef::List(vec![
                ValueRef::Str("1.2.3.4"),
                ValueRef::Str("5.6.7.8")
            ]))
        );
        assert_eq!(
            store.field(1, "dns.question.name"),
            Some(ValueRef::Str("x\ty.example"))
        );
        assert_eq!(store.field(1, "dns.question.type"), None);
        assert_eq!(store.events()[0].origin().record, 8);
    }

    #[test]
    fn tsv_line_before_fields_is_reported() {
        let (report, store) = scan_tsv("1.0\tC1\n");

        assert_eq!(report.records_read, 1);
        assert!(store.is_empty());
        assert!(report.errors[0].message.contains("#fields"));
    }

    #[test]
    fn tsv_garbage_does_not_panic() {
        for text in [
            "#",
            "#fields",
            "#separator",
            "#separator \\x",
            "\n\n",
            "#fields\ta\n\u{0}",
        ] {
            let _ = scan_tsv(text);
        }
        let mut report = FileReport::new("t.log".into(), Format::ZeekTsv, FileStatus::Loaded);
        let mut events = Vec::new();
        let bytes = b"#fields\tts\n\xff\xfe\n";
        parse_tsv_bytes(bytes, 0, &AtomicBool::new(false), &mut report, &mut events);
        assert!(report.errors[0].message.contains("UTF-8"));
    }

    #[test]
    fn epoch_seconds_are_exact() {
        assert_eq!(
            epoch_seconds_to_nanos("1692161674.667337"),
            Some(1_692_161_674_667_337_000)
        );
        assert_eq!(epoch_seconds_to_nanos("5"), Some(5_000_000_000));
        assert_eq!(epoch_seconds_to_nanos("1.0000000019"), Some(1_000_000_001));
        assert_eq!(epoch_seconds_to_nanos("-1.5"), None);
        assert_eq!(epoch_seconds_to_nanos("1e9"), None);
        assert_eq!(epoch_seconds_to_nanos("99999999999999999999"), None);
    }

    #[test]
    fn unescape_decodes_hex() {
        assert_eq!(unescape("a\\x09b"), "a\tb");
        assert_eq!(unescape("\\x"), "\\x");
        assert_eq!(unescape("\\xZZ"), "\\xZZ");
    }
}
