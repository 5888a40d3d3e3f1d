//! Windows events exported as JSON in shapes other than evtx_dump's.
//!
//! Three shapes are read, each rewritten into the `{"Event": {"System": …, "EventData": …}}`
//! shape and mapped by [`map_event`], so the same tables and analytics apply:
//! - flat exports (NXLog, Logstash and the OTRF datasets, Sentinel `SecurityEvent` rows):
//!   `EventID`, `Channel`, `Hostname` and the `EventData` items side by side at the top level,
//!   or `EventData` as an XML string;
//! - Winlogbeat and other ECS documents with `winlog.channel`, `winlog.event_data` and
//!   `@timestamp`, nested or with dotted keys;
//! - either of these as the `_source` of an Elasticsearch hit (see [`super::json_records`]).

use serde_json::{Map, Value, json};

use super::json_records::{lookup, lookup_text, parse_time};
use super::windows::map_event;
use crate::store::{EventBuilder, Origin};

/// Top-level keys of flat exports that describe the record rather than hold `EventData` items.
///
/// They come from NXLog's `im_msvistalog` fields, Logstash's additions, the OTRF datasets and
/// Sentinel's `SecurityEvent` table. NOTE: an `EventData` item with one of these names (Sysmon
/// event 4's `Version`, for one) is taken for the envelope field and is not kept as an item.
const ENVELOPE_KEYS: &[&str] = &[
    "@timestamp",
    "@version",
    "AccountName",
    "AccountType",
    "Activity",
    "ActivityID",
    "Category",
    "Channel",
    "Computer",
    "Domain",
    "EventData",
    "EventID",
    "EventId",
    "EventOriginId",
    "EventReceivedTime",
    "EventRecordID",
    "EventSourceName",
    "EventTime",
    "EventType",
    "ExecutionProcessID",
    "ExecutionThreadID",
    "Hostname",
    "Keywords",
    "Level",
    "MG",
    "ManagementGroupName",
    "Message",
    "Opcode",
    "OpcodeValue",
    "ProviderGuid",
    "ProviderName",
    "RecordNumber",
    "RelatedActivityID",
    "Severity",
    "SeverityValue",
    "SourceComputerId",
    "SourceModuleName",
    "SourceModuleType",
    "SourceName",
    "SourceSystem",
    "Task",
    "TenantId",
    "ThreadID",
    "TimeCollected",
    "TimeCreated",
    "TimeGenerated",
    "Type",
    "UserData",
    "UserID",
    "Version",
    "_ResourceId",
    "host",
    "port",
    "tags",
];

/// Largest difference between NXLog's local receive time and Logstash's UTC `@timestamp`
/// that is taken for a time zone offset: 14 hours, the largest UTC offset in use.
const MAX_ZONE_OFFSET_SECONDS: i64 = 14 * 3600;

/// Time zone offsets are whole multiples of 15 minutes.
const ZONE_OFFSET_STEP_SECONDS: i64 = 15 * 60;

/// Maps one Windows event in any of the module's shapes; see the module docs.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    if record.get("Event").is_some_and(Value::is_object) {
        return map_event(record, origin).map_err(|err| err.to_string());
    }
    let is_winlogbeat = lookup(record, "winlog.channel").is_some()
        || lookup(record, "winlog.event_data").is_some()
        || lookup(record, "winlog.event_id").is_some();
    let event = if is_winlogbeat {
        from_winlogbeat(record)?
    } else {
        from_flat(record)?
    };
    let mut builder = map_event(&event, origin).map_err(|err| err.to_string())?;
    if let Some(message) = lookup_text(record, "Message").or_else(|| lookup_text(record, "message"))
    {
        builder.field("message", message);
    }
    if is_winlogbeat && lookup_text(record, "event.outcome").is_some() {
        let has_outcome = builder
            .pending_fields()
            .iter()
            .any(|(name, _)| name == "event.outcome");
        if !has_outcome && let Some(outcome) = lookup_text(record, "event.outcome") {
            builder.field("event.outcome", outcome);
        }
    }
    Ok(builder)
}

/// Rewrites a flat export into the evtx shape.
fn from_flat(record: &Value) -> Result<Value, String> {
    let object = record.as_object().ok_or("record is not a JSON object")?;
    let event_id = first_text(object, &["EventID", "EventId"])
        .ok_or("record has no EventID; it is not a Windows event")?;
    let channel = first_text(object, &["Channel"]).ok_or("record has no Channel")?;
    let time = flat_time(object)
        .ok_or("record has no valid TimeCreated, EventTime, TimeGenerated or @timestamp")?;

    let mut system = Map::new();
    system.insert("EventID".into(), json!(event_id));
    system.insert("Channel".into(), json!(channel));
    system.insert(
        "TimeCreated".into(),
        json!({"#attributes": {"SystemTime": time}}),
    );
    let mut provider = Map::new();
    if let Some(name) = first_text(object, &["SourceName", "ProviderName", "EventSourceName"]) {
        provider.insert("Name".into(), json!(name));
    }
    if let Some(guid) = first_text(object, &["ProviderGuid"]) {
        provider.insert("Guid".into(), json!(guid));
    }
    system.insert("Provider".into(), json!({"#attributes": provider}));
    if let Some(computer) = first_text(object, &["Hostname", "Computer"]) {
        system.insert("Computer".into(), json!(computer));
    }
    if let Some(record_id) = first_text(object, &["RecordNumber", "EventRecordID"]) {
        system.insert("EventRecordID".into(), json!(record_id));
    }
    if let Some(keywords) = object.get("Keywords").and_then(keywords_hex) {
        system.insert("Keywords".into(), json!(keywords));
    }
    let mut execution = Map::new();
    if let Some(pid) = first_text(object, &["ExecutionProcessID"]) {
        execution.insert("ProcessID".into(), json!(pid));
    }
    if let Some(tid) = first_text(object, &["ExecutionThreadID", "ThreadID"]) {
        execution.insert("ThreadID".into(), json!(tid));
    }
    system.insert("Execution".into(), json!({"#attributes": execution}));
    if let Some(user) = first_text(object, &["UserID"]) {
        system.insert("Security".into(), json!({"#attributes": {"UserID": user}}));
    }

    let event_data = match object.get("EventData") {
        Some(Value::String(xml)) => parse_event_data_xml(xml)?,
        Some(Value::Object(items)) => items.clone(),
        _ => object
            .iter()
            .filter(|(key, _)| !ENVELOPE_KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    };
    let mut event = Map::new();
    event.insert("System".into(), Value::Object(system));
    event.insert("EventData".into(), Value::Object(event_data));
    if let Some(user_data) = object.get("UserData").filter(|v| v.is_object()) {
        event.insert("UserData".into(), user_data.clone());
    }
    Ok(json!({ "Event": event }))
}

/// Rewrites a Winlogbeat (ECS) document into the evtx shape.
fn from_winlogbeat(record: &Value) -> Result<Value, String> {
    let event_id = lookup_text(record, "winlog.event_id")
        .or_else(|| lookup_text(record, "event.code"))
        .ok_or("Winlogbeat record has no winlog.event_id or event.code")?;
    let channel = lookup_text(record, "winlog.channel").ok_or("record has no winlog.channel")?;
    let time = lookup_text(record, "@timestamp")
        .or_else(|| lookup_text(record, "winlog.time_created"))
        .filter(|t| parse_time(t).is_some())
        .ok_or("Winlogbeat record has no valid @timestamp")?;

    let mut system = Map::new();
    system.insert("EventID".into(), json!(event_id));
    system.insert("Channel".into(), json!(channel));
    system.insert(
        "TimeCreated".into(),
        json!({"#attributes": {"SystemTime": time}}),
    );
    let mut provider = Map::new();
    if let Some(name) = lookup_text(record, "winlog.provider_name")
        .or_else(|| lookup_text(record, "event.provider"))
    {
        provider.insert("Name".into(), json!(name));
    }
    if let Some(guid) = lookup_text(record, "winlog.provider_guid") {
        provider.insert("Guid".into(), json!(guid));
    }
    system.insert("Provider".into(), json!({"#attributes": provider}));
    if let Some(computer) =
        lookup_text(record, "winlog.computer_name").or_else(|| lookup_text(record, "host.name"))
    {
        system.insert("Computer".into(), json!(computer));
    }
    if let Some(record_id) = lookup_text(record, "winlog.record_id") {
        system.insert("EventRecordID".into(), json!(record_id));
    }
    let mut execution = Map::new();
    if let Some(pid) = lookup_text(record, "winlog.process.pid") {
        execution.insert("ProcessID".into(), json!(pid));
    }
    if let Some(tid) = lookup_text(record, "winlog.process.thread.id") {
        execution.insert("ThreadID".into(), json!(tid));
    }
    system.insert("Execution".into(), json!({"#attributes": execution}));
    if let Some(user) = lookup_text(record, "winlog.user.identifier") {
        system.insert("Security".into(), json!({"#attributes": {"UserID": user}}));
    }

    let mut event = Map::new();
    event.insert("System".into(), Value::Object(system));
    if let Some(data) = items_under(record, "winlog.event_data") {
        event.insert("EventData".into(), Value::Object(data));
    }
    if let Some(data) = items_under(record, "winlog.user_data") {
        // `map_event` reads `UserData` as one provider element whose children are the items.
        event.insert("UserData".into(), json!({ "UserData": data }));
    }
    Ok(json!({ "Event": event }))
}

/// Returns the object at `path`, or else the top-level keys that start with `path.` (as flattened
/// exports write them) with that prefix removed.
fn items_under(record: &Value, path: &str) -> Option<Map<String, Value>> {
    if let Some(Value::Object(items)) = lookup(record, path) {
        return Some(items.clone());
    }
    let prefix = format!("{path}.");
    let items: Map<String, Value> = record
        .as_object()?
        .iter()
        .filter_map(|(key, value)| Some((key.strip_prefix(&prefix)?.to_owned(), value.clone())))
        .collect();
    (!items.is_empty()).then_some(items)
}

fn first_text(object: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match object.get(*key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Picks the record time of a flat export, as RFC 3339 or as a zone-less UTC time.
///
/// `TimeCreated` (OTRF) and `TimeGenerated` (Sentinel) are UTC. NXLog's `EventTime` is the
/// host's local time, so it is moved to UTC by the zone offset between NXLog's local
/// `EventReceivedTime` and Logstash's UTC `@timestamp`, rounded to 15 minutes. Without those
/// two, `@timestamp` (the time Logstash received the record) is used.
fn flat_time(object: &Map<String, Value>) -> Option<String> {
    let valid = |key: &str| first_text(object, &[key]).filter(|t| parse_time(t).is_some());
    if let Some(time) = valid("TimeCreated") {
        return Some(time);
    }
    if let (Some(local), Some(received), Some(utc)) = (
        valid("EventTime"),
        valid("EventReceivedTime"),
        valid("@timestamp"),
    ) && let Some(time) = local_to_utc(&local, &received, &utc)
    {
        return Some(time);
    }
    valid("TimeGenerated").or_else(|| valid("@timestamp"))
}

fn local_to_utc(local: &str, received_local: &str, received_utc: &str) -> Option<String> {
    let local = parse_time(local)?;
    let offset_nanos = parse_time(received_local)? - parse_time(received_utc)?;
    let step = ZONE_OFFSET_STEP_SECONDS * 1_000_000_000;
    let offset = (offset_nanos as f64 / step as f64).round() as i64 * step;
    if offset.abs() > MAX_ZONE_OFFSET_SECONDS * 1_000_000_000 {
        return None;
    }
    let utc = chrono::DateTime::from_timestamp_nanos(local - offset);
    Some(utc.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Windows keywords as `0x…` hex, from hex text or from the signed 64-bit integer NXLog writes.
fn keywords_hex(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.starts_with("0x") => Some(s.clone()),
        Value::String(s) => s
            .parse::<i64>()
            .ok()
            .map(|n| format!("0x{:016x}", n as u64)),
        Value::Number(n) => n.as_i64().map(|n| format!("0x{:016x}", n as u64)),
        _ => None,
    }
}

/// Parses `<EventData><Data Name="…">text</Data>…</EventData>` into name → text items; unnamed
/// `<Data>` elements are collected under `Data`, which [`map_event`] names `param1`, `param2`….
fn parse_event_data_xml(xml: &str) -> Result<Map<String, Value>, String> {
    use quick_xml::events::Event as XmlEvent;

    let mut reader = quick_xml::Reader::from_str(xml);
    let mut items = Map::new();
    let mut unnamed = Vec::new();
    // The `Data` element being read: its name (if any) and the text so far.
    let mut current: Option<(Option<String>, String)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|err| format!("invalid EventData XML: {err}"))?;
        match event {
            XmlEvent::Start(start) if start.local_name().as_ref() == b"Data" => {
                current = Some((data_name(&start)?, String::new()));
            }
            XmlEvent::Empty(start) if start.local_name().as_ref() == b"Data" => {
                if let Some(name) = data_name(&start)? {
                    items.insert(name, json!(""));
                }
            }
            XmlEvent::Text(text) => {
                if let Some((_, value)) = current.as_mut() {
                    let decoded = text
                        .xml10_content()
                        .map_err(|err| format!("invalid EventData XML: {err}"))?;
                    value.push_str(&decoded);
                }
            }
            XmlEvent::CData(data) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&String::from_utf8_lossy(&data));
                }
            }
            XmlEvent::GeneralRef(reference) => {
                if let Some((_, value)) = current.as_mut() {
                    let name = reference
                        .decode()
                        .map_err(|err| format!("invalid EventData XML: {err}"))?;
                    value.push_str(&resolve_reference(&name)?);
                }
            }
            XmlEvent::End(end) if end.local_name().as_ref() == b"Data" => match current.take() {
                Some((Some(name), value)) => {
                    items.insert(name, json!(value));
                }
                Some((None, value)) => unnamed.push(json!(value)),
                None => {}
            },
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if !unnamed.is_empty() {
        items.insert("Data".into(), Value::Array(unnamed));
    }
    Ok(items)
}

fn data_name(start: &quick_xml::events::BytesStart) -> Result<Option<String>, String> {
    let attribute = start
        .try_get_attribute("Name")
        .map_err(|err| format!("invalid EventData XML: {err}"))?;
    match attribute {
        Some(attribute) => attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|name| Some(name.into_owned()))
            .map_err(|err| format!("invalid EventData XML: {err}")),
        None => Ok(None),
    }
}

/// Resolves `&name;` for the five XML entities and numeric character references.
fn resolve_reference(name: &str) -> Result<String, String> {
    let invalid = || format!("invalid EventData XML: unknown reference &{name};");
    if let Some(number) = name.strip_prefix('#') {
        let code = match number
            .strip_prefix('x')
            .or_else(|| number.strip_prefix('X'))
        {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => number.parse::<u32>(),
        }
        .map_err(|_| invalid())?;
        return char::from_u32(code).map(String::from).ok_or_else(invalid);
    }
    quick_xml::escape::resolve_xml_entity(name)
        .map(str::to_owned)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn load(record: Value) -> EventStore {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "t.json".into(),
            format: "windows-json",
        });
        let origin = Origin {
            file: 0,
            record: 1,
            offset: Some(0),
        };
        store.push(map_record(&record, origin).unwrap());
        store
    }

    #[test]
    fn flat_sysmon_maps_through_tables() {
        let store = load(json!({
            "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Hostname": "WS5", "TimeCreated": "2020-10-18 07:50:06.220",
            "SourceName": "Microsoft-Windows-Sysmon", "Image": "C:\\Windows\\cmd.exe",
            "CommandLine": "cmd /c whoami", "User": "CORP\\bob", "ProcessId": "42",
            "Message": "Process Create:"
        }));

        assert_eq!(store.log_source(0), "WinEventLog:Sysmon");
        assert_eq!(
            store.field(0, "process.name"),
            Some(ValueRef::Str("cmd.exe"))
        );
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(42)));
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("bob")));
        assert_eq!(store.field(0, "host.name"), Some(ValueRef::Str("WS5")));
        assert_eq!(
            store.field(0, "message"),
            Some(ValueRef::Str("Process Create:"))
        );
        assert_eq!(
            store.field(0, "winlog.event_data.CommandLine"),
            Some(ValueRef::Str("cmd /c whoami"))
        );
        assert_eq!(store.field(0, "winlog.event_data.Hostname"), None);
        assert_eq!(store.events()[0].timestamp, 1_603_007_406_220_000_000);
    }

    #[test]
    fn nxlog_local_time_moves_to_utc() {
        let store = load(json!({
            "EventID": 4624, "Channel": "Security", "Hostname": "DC",
            "EventTime": "2020-07-22 00:18:45", "EventReceivedTime": "2020-07-22 00:18:47",
            "@timestamp": "2020-07-22T04:18:47.980Z", "Keywords": -9214364837600034816_i64,
            "TargetUserName": "alice", "LogonType": "3"
        }));

        // 00:18:45 at UTC-4 is 04:18:45 UTC.
        assert_eq!(store.events()[0].timestamp, 1_595_391_525_000_000_000);
        assert_eq!(
            store.field(0, "winlog.keywords"),
            Some(ValueRef::Str("0x8020000000000000"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
        assert_eq!(
            store.field(0, "winlog.logon.type"),
            Some(ValueRef::Str("Network"))
        );
    }

    #[test]
    fn sentinel_event_data_xml_is_parsed() {
        let xml = "<EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n  <Data Name=\"NewProcessName\">C:\\a&amp;b\\x.exe</Data>\r\n  <Data Name=\"NewProcessId\">0x1f4</Data>\r\n  <Data Name=\"Empty\" />\r\n</EventData>";
        let store = load(json!({
            "EventID": 4688, "Channel": "Security", "Computer": "WS5",
            "TimeGenerated": "2022-05-13T08:54:05.21Z", "EventData": xml,
            "SubjectUserName": "ignored-sentinel-column"
        }));

        assert_eq!(store.field(0, "process.name"), Some(ValueRef::Str("x.exe")));
        assert_eq!(
            store.field(0, "process.executable"),
            Some(ValueRef::Str("C:\\a&b\\x.exe"))
        );
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(500)));
        assert_eq!(store.field(0, "winlog.event_data.SubjectUserName"), None);
    }

    #[test]
    fn winlogbeat_document_maps_through_tables() {
        let store = load(json!({
            "@timestamp": "2021-01-01T00:00:00.000Z",
            "event": {"code": "4688", "outcome": "success"},
            "host": {"name": "ws1"},
            "winlog": {
                "channel": "Security", "provider_name": "Microsoft-Windows-Security-Auditing",
                "record_id": 77, "computer_name": "ws1.corp",
                "event_data": {"NewProcessName": "C:\\w\\cmd.exe", "CommandLine": "cmd"}
            }
        }));

        assert_eq!(store.log_source(0), "WinEventLog:Security");
        assert_eq!(
            store.field(0, "process.name"),
            Some(ValueRef::Str("cmd.exe"))
        );
        assert_eq!(store.field(0, "winlog.record_id"), Some(ValueRef::Int(77)));
        assert_eq!(store.field(0, "host.name"), Some(ValueRef::Str("ws1.corp")));
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
    }

    #[test]
    fn dotted_winlogbeat_keys_are_read() {
        let store = load(json!({
            "@timestamp": "2021-01-01T00:00:00Z", "winlog.channel": "Microsoft-Windows-Sysmon/Operational",
            "winlog.event_id": 3, "winlog.event_data.DestinationPort": "443"
        }));

        assert_eq!(store.field(0, "destination.port"), Some(ValueRef::Int(443)));
    }

    #[test]
    fn records_without_id_or_time_are_rejected() {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let no_id = json!({"Channel": "Security", "TimeCreated": "2020-01-01 00:00:00"});
        let no_time = json!({"EventID": 1, "Channel": "Security", "TimeCreated": "yesterday"});

        assert!(map_record(&no_id, origin).unwrap_err().contains("EventID"));
        assert!(
            map_record(&no_time, origin)
                .unwrap_err()
                .contains("TimeCreated")
        );
    }

    #[test]
    fn bad_event_data_xml_is_an_error() {
        for xml in [
            "<EventData><Data Name=\"a\">x</Wrong>",
            "<Data Name=\"a\">&bogus;</Data>",
        ] {
            assert!(parse_event_data_xml(xml).is_err(), "{xml}");
        }
        let unnamed =
            parse_event_data_xml("<EventData><Data>a</Data><Data>b</Data></EventData>").unwrap();
        assert_eq!(unnamed["Data"], json!(["a", "b"]));
    }
}
