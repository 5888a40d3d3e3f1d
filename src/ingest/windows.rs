//! The Windows event mapping shared by EVTX and evtx_dump-style JSON.
//!
//! Both readers hand [`map_event`] the record in the JSON shape the `evtx` crate renders
//! (`Event` → `System` / `EventData` / `UserData`, with XML attributes under `#attributes`), so
//! one set of tables normalizes both.
#![doc = include_str!("windows_mapping.md")]

use std::borrow::Cow;

use serde_json::Value;

use super::json_tree::JsonView;

use super::report::FileReport;
use super::sink::EventSink;
use crate::store::{EventBuilder, Origin, PendingValue, Platform, Timestamp};

/// The conversion that computes an ECS field from one `EventData` (or `UserData`) item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derive {
    /// The item's text, unchanged.
    Copy,
    /// A decimal integer; items that do not parse are left out.
    Long,
    /// A `0x`-prefixed hexadecimal integer, as Security events write process ids.
    HexLong,
    /// An IP address; `-` and empty items are left out, and an IPv4-mapped IPv6 address
    /// (`::ffff:10.0.0.5`) becomes its IPv4 address.
    Ip,
    /// The last component of a Windows or POSIX path.
    Basename,
    /// A path's directory, without the trailing separator.
    Directory,
    /// The extension of a path's last component, without the dot.
    Extension,
    /// The user part of `DOMAIN\user`.
    AccountName,
    /// The domain part of `DOMAIN\user`.
    AccountDomain,
    /// Sysmon's `SHA1=…,MD5=…,IMPHASH=…` list, as `<target>.hash.<algorithm>` fields and
    /// `<target>.pe.imphash`, lowercase, skipping all-zero hashes.
    Hashes,
    /// The registry hive abbreviation (`HKLM`, `HKU`…) of a registry path.
    RegistryHive,
    /// A registry path without its hive, when the hive is known.
    RegistryKey,
    /// The last component of a registry path.
    RegistryValue,
    /// The item as a one-element list.
    StringList,
    /// A logon type number as its name (`3` → `Network`); unknown numbers stay as they are.
    LogonTypeName,
}

impl Derive {
    fn label(self) -> &'static str {
        match self {
            Derive::Copy => "",
            Derive::Long => "integer",
            Derive::HexLong => "hex integer",
            Derive::Ip => "IP, `-` dropped, `::ffff:` removed",
            Derive::Basename => "basename",
            Derive::Directory => "directory",
            Derive::Extension => "extension",
            Derive::AccountName => "user of `DOMAIN\\user`",
            Derive::AccountDomain => "domain of `DOMAIN\\user`",
            Derive::Hashes => "split by algorithm",
            Derive::RegistryHive => "hive",
            Derive::RegistryKey => "path without hive",
            Derive::RegistryValue => "last component",
            Derive::StringList => "one-element list",
            Derive::LogonTypeName => "logon type name",
        }
    }
}

/// One ECS field of an [`EventMapping`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRule {
    /// The ECS field name; for [`Derive::Hashes`], the field set that gets `.hash.*`.
    pub target: &'static str,
    /// The `EventData` or `UserData` item name.
    pub source: &'static str,
    /// The conversion applied to the item.
    pub derive: Derive,
}

const fn rule(target: &'static str, source: &'static str, derive: Derive) -> FieldRule {
    FieldRule {
        target,
        source,
        derive,
    }
}

/// The ECS categorization and fields of one channel's event id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMapping {
    /// The channel, as in `System/Channel`.
    pub channel: &'static str,
    /// The event id.
    pub event_id: u32,
    /// `event.category` values.
    pub category: &'static [&'static str],
    /// `event.type` values.
    pub kind: &'static [&'static str],
    /// `event.action`.
    pub action: &'static str,
    /// ECS fields, in groups so common sets such as the Sysmon process fields are shared.
    pub fields: &'static [&'static [FieldRule]],
}

const SECURITY: &str = "Security";
const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const POWERSHELL: &str = "Microsoft-Windows-PowerShell/Operational";

/// Maps a channel to its ATT&CK log source name; other channels get `WinEventLog:<Channel>`.
pub const LOG_SOURCES: &[(&str, &str)] = &[
    (SECURITY, "WinEventLog:Security"),
    (SYSMON, "WinEventLog:Sysmon"),
    ("System", "WinEventLog:System"),
    ("Application", "WinEventLog:Application"),
    // ATT&CK names one PowerShell log source for both the operational and the classic log.
    (POWERSHELL, "WinEventLog:PowerShell"),
    ("Windows PowerShell", "WinEventLog:PowerShell"),
    (
        "Microsoft-Windows-WMI-Activity/Operational",
        "WinEventLog:WMI",
    ),
    (
        "Microsoft-Windows-TaskScheduler/Operational",
        "WinEventLog:TaskScheduler",
    ),
    ("Microsoft-Windows-WinRM/Operational", "WinEventLog:WinRM"),
];

use Derive::*;

const SYSMON_PROCESS: &[FieldRule] = &[
    rule("process.entity_id", "ProcessGuid", Copy),
    rule("process.pid", "ProcessId", Long),
    rule("process.executable", "Image", Copy),
    rule("process.name", "Image", Basename),
];

const SYSMON_USER: &[FieldRule] = &[
    rule("user.name", "User", AccountName),
    rule("user.domain", "User", AccountDomain),
];

const SYSMON_PROCESS_CREATE: &[FieldRule] = &[
    rule("process.command_line", "CommandLine", Copy),
    rule("process.working_directory", "CurrentDirectory", Copy),
    rule("process.pe.original_file_name", "OriginalFileName", Copy),
    rule("process", "Hashes", Hashes),
    rule("process.parent.entity_id", "ParentProcessGuid", Copy),
    rule("process.parent.pid", "ParentProcessId", Long),
    rule("process.parent.executable", "ParentImage", Copy),
    rule("process.parent.name", "ParentImage", Basename),
    rule("process.parent.command_line", "ParentCommandLine", Copy),
    rule("winlog.logon.id", "LogonId", Copy),
];

const SYSMON_NETWORK: &[FieldRule] = &[
    rule("network.transport", "Protocol", Copy),
    rule("network.protocol", "DestinationPortName", Copy),
    rule("source.ip", "SourceIp", Ip),
    rule("source.domain", "SourceHostname", Copy),
    rule("source.port", "SourcePort", Long),
    rule("destination.ip", "DestinationIp", Ip),
    rule("destination.domain", "DestinationHostname", Copy),
    rule("destination.port", "DestinationPort", Long),
];

const SYSMON_IMAGE_LOAD: &[FieldRule] = &[
    rule("dll.path", "ImageLoaded", Copy),
    rule("dll.name", "ImageLoaded", Basename),
    rule("dll", "Hashes", Hashes),
    rule("dll.pe.original_file_name", "OriginalFileName", Copy),
    rule("dll.code_signature.subject_name", "Signature", Copy),
];

const SYSMON_SOURCE_PROCESS: &[FieldRule] = &[
    rule("process.entity_id", "SourceProcessGuid", Copy),
    // Sysmon 10 spells the GUID field with capitals, unlike event 8.
    rule("process.entity_id", "SourceProcessGUID", Copy),
    rule("process.pid", "SourceProcessId", Long),
    rule("process.thread.id", "SourceThreadId", Long),
    rule("process.executable", "SourceImage", Copy),
    rule("process.name", "SourceImage", Basename),
    rule("user.name", "SourceUser", AccountName),
    rule("user.domain", "SourceUser", AccountDomain),
];

const SYSMON_FILE: &[FieldRule] = &[
    rule("file.path", "TargetFilename", Copy),
    rule("file.name", "TargetFilename", Basename),
    rule("file.directory", "TargetFilename", Directory),
    rule("file.extension", "TargetFilename", Extension),
];

const SYSMON_REGISTRY: &[FieldRule] = &[
    rule("registry.path", "TargetObject", Copy),
    rule("registry.hive", "TargetObject", RegistryHive),
    rule("registry.key", "TargetObject", RegistryKey),
    rule("registry.value", "TargetObject", RegistryValue),
    rule("registry.data.strings", "Details", StringList),
];

const SYSMON_PIPE: &[FieldRule] = &[rule("file.name", "PipeName", Copy)];

const SYSMON_DNS: &[FieldRule] = &[rule("dns.question.name", "QueryName", Copy)];

const LOGON_TARGET: &[FieldRule] = &[
    rule("user.name", "TargetUserName", Copy),
    rule("user.domain", "TargetDomainName", Copy),
    rule("user.id", "TargetUserSid", Copy),
    rule("source.ip", "IpAddress", Ip),
    rule("source.port", "IpPort", Long),
    rule("source.domain", "WorkstationName", Copy),
    rule("winlog.logon.type", "LogonType", LogonTypeName),
    rule("winlog.logon.id", "TargetLogonId", Copy),
    rule("process.executable", "ProcessName", Copy),
    rule("process.name", "ProcessName", Basename),
    rule("process.pid", "ProcessId", HexLong),
];

const EXPLICIT_LOGON: &[FieldRule] = &[
    rule("user.name", "TargetUserName", Copy),
    rule("user.domain", "TargetDomainName", Copy),
    rule("source.ip", "IpAddress", Ip),
    rule("source.port", "IpPort", Long),
    rule("destination.domain", "TargetServerName", Copy),
    rule("winlog.logon.id", "SubjectLogonId", Copy),
    rule("process.executable", "ProcessName", Copy),
    rule("process.name", "ProcessName", Basename),
    rule("process.pid", "ProcessId", HexLong),
];

const SUBJECT_USER: &[FieldRule] = &[
    rule("user.name", "SubjectUserName", Copy),
    rule("user.domain", "SubjectDomainName", Copy),
    rule("user.id", "SubjectUserSid", Copy),
    rule("winlog.logon.id", "SubjectLogonId", Copy),
];

const TARGET_ACCOUNT: &[FieldRule] = &[
    rule("user.target.name", "TargetUserName", Copy),
    rule("user.target.domain", "TargetDomainName", Copy),
    rule("user.target.id", "TargetSid", Copy),
];

const TARGET_GROUP: &[FieldRule] = &[
    rule("group.name", "TargetUserName", Copy),
    rule("group.domain", "TargetDomainName", Copy),
    rule("group.id", "TargetSid", Copy),
];

const SECURITY_PROCESS_CREATE: &[FieldRule] = &[
    rule("process.executable", "NewProcessName", Copy),
    rule("process.name", "NewProcessName", Basename),
    rule("process.command_line", "CommandLine", Copy),
    rule("process.pid", "NewProcessId", HexLong),
    rule("process.parent.executable", "ParentProcessName", Copy),
    rule("process.parent.name", "ParentProcessName", Basename),
    rule("process.parent.pid", "ProcessId", HexLong),
];

const SERVICE: &[FieldRule] = &[
    rule("service.name", "ServiceName", Copy),
    rule("file.path", "ServiceFileName", Copy),
];

const SCRIPT_BLOCK: &[FieldRule] = &[
    rule("powershell.file.script_block_text", "ScriptBlockText", Copy),
    rule("powershell.file.script_block_id", "ScriptBlockId", Copy),
    rule("powershell.sequence", "MessageNumber", Long),
    rule("powershell.total", "MessageTotal", Long),
    rule("file.path", "Path", Copy),
];

const fn sysmon(
    event_id: u32,
    category: &'static [&'static str],
    kind: &'static [&'static str],
    action: &'static str,
    fields: &'static [&'static [FieldRule]],
) -> EventMapping {
    EventMapping {
        channel: SYSMON,
        event_id,
        category,
        kind,
        action,
        fields,
    }
}

const fn security(
    event_id: u32,
    category: &'static [&'static str],
    kind: &'static [&'static str],
    action: &'static str,
    fields: &'static [&'static [FieldRule]],
) -> EventMapping {
    EventMapping {
        channel: SECURITY,
        event_id,
        category,
        kind,
        action,
        fields,
    }
}

/// Every mapped channel and event id.
///
/// Categories, types and Security actions follow Elastic's Winlogbeat `security` and `sysmon`
/// modules (beats `x-pack/winlogbeat/module/*/config/*.js`). Sysmon actions are Sysmon's task
/// names, which Winlogbeat reports as `event.action`.
pub const MAPPINGS: &[EventMapping] = &[
    sysmon(
        1,
        &["process"],
        &["start", "process_start"],
        "Process Create (rule: ProcessCreate)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_PROCESS_CREATE],
    ),
    sysmon(
        2,
        &["file"],
        &["change"],
        "File creation time changed (rule: FileCreateTime)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_FILE],
    ),
    sysmon(
        3,
        &["network"],
        &["connection", "start", "protocol"],
        "Network connection detected (rule: NetworkConnect)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_NETWORK],
    ),
    sysmon(
        5,
        &["process"],
        &["end", "process_end"],
        "Process terminated (rule: ProcessTerminate)",
        &[SYSMON_PROCESS, SYSMON_USER],
    ),
    sysmon(
        7,
        &["process"],
        &["change"],
        "Image loaded (rule: ImageLoad)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_IMAGE_LOAD],
    ),
    // Winlogbeat sets no category for CreateRemoteThread, so neither does this table.
    sysmon(
        8,
        &[],
        &[],
        "CreateRemoteThread detected (rule: CreateRemoteThread)",
        &[SYSMON_SOURCE_PROCESS],
    ),
    sysmon(
        10,
        &["process"],
        &["access"],
        "Process accessed (rule: ProcessAccess)",
        &[SYSMON_SOURCE_PROCESS],
    ),
    sysmon(
        11,
        &["file"],
        &["creation"],
        "File created (rule: FileCreate)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_FILE],
    ),
    sysmon(
        12,
        &["configuration", "registry"],
        &["change"],
        "Registry object added or deleted (rule: RegistryEvent)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_REGISTRY],
    ),
    sysmon(
        13,
        &["configuration", "registry"],
        &["change"],
        "Registry value set (rule: RegistryEvent)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_REGISTRY],
    ),
    sysmon(
        14,
        &["configuration", "registry"],
        &["change"],
        "Registry object renamed (rule: RegistryEvent)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_REGISTRY],
    ),
    sysmon(
        15,
        &["file"],
        &["access"],
        "File stream created (rule: FileCreateStreamHash)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_FILE],
    ),
    sysmon(
        17,
        &["file"],
        &["creation"],
        "Pipe Created (rule: PipeEvent)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_PIPE],
    ),
    sysmon(
        18,
        &["file"],
        &["access"],
        "Pipe Connected (rule: PipeEvent)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_PIPE],
    ),
    sysmon(
        22,
        &["network"],
        &["connection", "protocol", "info"],
        "Dns query (rule: DnsQuery)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_DNS],
    ),
    sysmon(
        23,
        &["file"],
        &["deletion"],
        "File Delete archived (rule: FileDelete)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_FILE],
    ),
    sysmon(
        26,
        &["file"],
        &["deletion"],
        "File Delete logged (rule: FileDeleteDetected)",
        &[SYSMON_PROCESS, SYSMON_USER, SYSMON_FILE],
    ),
    security(
        1102,
        &["iam"],
        &["admin"],
        "audit-log-cleared",
        &[SUBJECT_USER],
    ),
    security(
        4624,
        &["authentication"],
        &["start"],
        "logged-in",
        &[LOGON_TARGET],
    ),
    security(
        4625,
        &["authentication"],
        &["start"],
        "logon-failed",
        &[LOGON_TARGET],
    ),
    security(
        4634,
        &["authentication"],
        &["end"],
        "logged-out",
        &[LOGON_TARGET],
    ),
    security(
        4648,
        &["authentication"],
        &["start"],
        "logged-in-explicit",
        &[EXPLICIT_LOGON],
    ),
    security(
        4672,
        &["iam"],
        &["admin"],
        "logged-in-special",
        &[SUBJECT_USER],
    ),
    security(
        4688,
        &["process"],
        &["start"],
        "created-process",
        &[SUBJECT_USER, SECURITY_PROCESS_CREATE],
    ),
    security(
        4689,
        &["process"],
        &["end"],
        "exited-process",
        &[SUBJECT_USER],
    ),
    security(
        4697,
        &["iam"],
        &["admin"],
        "service-installed",
        &[SUBJECT_USER, SERVICE],
    ),
    security(
        4698,
        &["iam"],
        &["creation"],
        "scheduled-task-created",
        &[SUBJECT_USER],
    ),
    security(
        4720,
        &["iam"],
        &["creation"],
        "added-user-account",
        &[SUBJECT_USER, TARGET_ACCOUNT],
    ),
    security(
        4722,
        &["iam"],
        &["creation"],
        "enabled-user-account",
        &[SUBJECT_USER, TARGET_ACCOUNT],
    ),
    security(
        4724,
        &["iam"],
        &["change"],
        "reset-password",
        &[SUBJECT_USER, TARGET_ACCOUNT],
    ),
    security(
        4726,
        &["iam"],
        &["deletion"],
        "deleted-user-account",
        &[SUBJECT_USER, TARGET_ACCOUNT],
    ),
    security(
        4728,
        &["iam"],
        &["change"],
        "added-member-to-group",
        &[SUBJECT_USER, TARGET_GROUP],
    ),
    security(
        4732,
        &["iam"],
        &["change"],
        "added-member-to-group",
        &[SUBJECT_USER, TARGET_GROUP],
    ),
    security(
        4738,
        &["iam"],
        &["change"],
        "modified-user-account",
        &[SUBJECT_USER, TARGET_ACCOUNT],
    ),
    security(
        4756,
        &["iam"],
        &["change"],
        "added-member-to-group",
        &[SUBJECT_USER, TARGET_GROUP],
    ),
    security(
        4768,
        &["authentication"],
        &["start"],
        "kerberos-authentication-ticket-requested",
        &[LOGON_TARGET],
    ),
    security(
        4769,
        &["authentication"],
        &["start"],
        "kerberos-service-ticket-requested",
        &[LOGON_TARGET],
    ),
    security(
        4771,
        &["authentication"],
        &["start"],
        "kerberos-preauth-failed",
        &[LOGON_TARGET],
    ),
    security(
        4776,
        &["authentication"],
        &["start"],
        "credential-validated",
        &[LOGON_TARGET],
    ),
    security(
        4778,
        &["authentication"],
        &["start"],
        "session-reconnected",
        &[LOGON_TARGET],
    ),
    // NOTE: Winlogbeat's security module has no action for directory-service changes, so
    // these two action names are this project's own.
    security(
        5136,
        &["configuration", "iam"],
        &["change"],
        "directory-service-object-modified",
        &[SUBJECT_USER],
    ),
    security(
        5137,
        &["configuration", "iam"],
        &["creation"],
        "directory-service-object-created",
        &[SUBJECT_USER],
    ),
    EventMapping {
        channel: POWERSHELL,
        event_id: 4104,
        category: &["process"],
        kind: &["info"],
        action: "Execute a Remote Command",
        fields: &[SCRIPT_BLOCK],
    },
];

/// Looks up the mapping of a channel's event id.
pub fn find_mapping(channel: &str, event_id: u32) -> Option<&'static EventMapping> {
    MAPPINGS
        .iter()
        .find(|m| m.event_id == event_id && m.channel.eq_ignore_ascii_case(channel))
}

/// Returns the ATT&CK log source name of a channel.
pub fn log_source(channel: &str) -> Cow<'static, str> {
    LOG_SOURCES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(channel))
        .map_or_else(
            || Cow::Owned(format!("WinEventLog:{channel}")),
            |(_, source)| Cow::Borrowed(*source),
        )
}

/// Failure to map a record to an event.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    /// The record has no `Event.System` object.
    #[error("record has no Event.System object; it is not a Windows event")]
    NotAnEvent,
    /// The record has no usable `TimeCreated` attribute.
    #[error("missing or invalid System/TimeCreated/@SystemTime: {0:?}")]
    InvalidTime(String),
}

/// Maps one record (`{"Event": {...}}`, as the `evtx` crate renders it) to an event.
///
/// Every `EventData` item is kept under `winlog.event_data.<Name>` as text, unnamed items as
/// `param1`, `param2`…, and `UserData` items under `winlog.user_data.<Name>`.
pub fn map_event(record: &Value, origin: Origin) -> Result<EventBuilder, MappingError> {
    map_tree(record, origin)
}

/// Maps one record read as any [`JsonView`], such as a tree borrowed from the input; see
/// [`map_event`].
pub(crate) fn map_tree<J: JsonView>(
    record: &J,
    origin: Origin,
) -> Result<EventBuilder, MappingError> {
    let event = record.get("Event").ok_or(MappingError::NotAnEvent)?;
    let system = event
        .get("System")
        .filter(|system| system.is_object())
        .ok_or(MappingError::NotAnEvent)?;

    let time_text = attribute(system.get("TimeCreated"), "SystemTime").unwrap_or_default();
    let Some((timestamp, clamped)) = parse_system_time(&time_text) else {
        return Err(MappingError::InvalidTime(time_text));
    };
    let channel = system.get("Channel").and_then(text).unwrap_or_default();
    let event_id_text = system.get("EventID").and_then(text).unwrap_or_default();
    let event_id: Option<u32> = event_id_text.parse().ok();

    let data = collect_data(event);
    let mapping = event_id.and_then(|id| find_mapping(&channel, id));
    let mut builder = EventBuilder::new(timestamp, log_source(&channel), Platform::Windows, origin);
    add_system_fields(&mut builder, system, &channel, &event_id_text);
    if clamped {
        builder.field(ORIGINAL_TIME_FIELD, time_text);
    }

    if let Some(mapping) = mapping {
        apply_mapping(&mut builder, mapping, &data);
    }
    // The items are moved into the event after the mapping has read them. No mapped name
    // starts with `winlog.event_data.` or `winlog.user_data.`, so the order cannot change
    // which value a repeated name keeps.
    for (name, values) in data.event_data {
        builder.field(
            format!("winlog.event_data.{name}"),
            values_to_pending(values),
        );
    }
    for (name, values) in data.user_data {
        builder.field(
            format!("winlog.user_data.{name}"),
            values_to_pending(values),
        );
    }
    Ok(builder)
}

fn add_system_fields<J: JsonView>(
    builder: &mut EventBuilder,
    system: &J,
    channel: &str,
    event_id_text: &str,
) {
    builder.field("event.kind", "event");
    builder.field("event.code", event_id_text);
    if let Ok(id) = event_id_text.parse::<i64>() {
        builder.field("winlog.event_id", id);
    }
    builder.field("winlog.channel", channel);
    if let Some(computer) = system.get("Computer").and_then(text) {
        builder.field("host.name", computer.clone());
        builder.field("winlog.computer_name", computer);
    }
    if let Some(provider) = attribute(system.get("Provider"), "Name") {
        builder.field("event.provider", provider.clone());
        builder.field("winlog.provider_name", provider);
    }
    if let Some(guid) = attribute(system.get("Provider"), "Guid") {
        builder.field("winlog.provider_guid", guid);
    }
    if let Some(record_id) = system.get("EventRecordID").and_then(text) {
        match record_id.parse::<i64>() {
            Ok(id) => builder.field("winlog.record_id", id),
            Err(_) => builder.field("winlog.record_id", record_id),
        };
    }
    if let Some(qualifiers) = attribute(system.get("EventID"), "Qualifiers") {
        builder.field("winlog.event_qualifiers", qualifiers);
    }
    if let Some(user) = attribute(system.get("Security"), "UserID") {
        builder.field("winlog.user.identifier", user);
    }
    let execution = system.get("Execution");
    if let Some(pid) = attribute(execution, "ProcessID").and_then(|p| p.parse::<i64>().ok()) {
        builder.field("winlog.process.pid", pid);
    }
    if let Some(tid) = attribute(execution, "ThreadID").and_then(|t| t.parse::<i64>().ok()) {
        builder.field("winlog.process.thread.id", tid);
    }
    if let Some(keywords) = system.get("Keywords").and_then(text) {
        if let Some(outcome) = audit_outcome(&keywords) {
            builder.field("event.outcome", outcome);
        }
        builder.field("winlog.keywords", keywords);
    }
}

/// `event.outcome` from the audit keyword bits: 0x0020000000000000 is Audit Success and
/// 0x0010000000000000 is Audit Failure (Windows `winmeta.xml` standard keywords).
fn audit_outcome(keywords: &str) -> Option<&'static str> {
    let hex = keywords.strip_prefix("0x")?;
    let bits = u64::from_str_radix(hex, 16).ok()?;
    if bits & 0x0020_0000_0000_0000 != 0 {
        Some("success")
    } else if bits & 0x0010_0000_0000_0000 != 0 {
        Some("failure")
    } else {
        None
    }
}

fn apply_mapping(builder: &mut EventBuilder, mapping: &EventMapping, data: &EventDataItems) {
    if !mapping.category.is_empty() {
        builder.field("event.category", string_list(mapping.category));
    }
    if !mapping.kind.is_empty() {
        builder.field("event.type", string_list(mapping.kind));
    }
    builder.field("event.action", mapping.action);
    for rule in mapping.fields.iter().flat_map(|group| group.iter()) {
        let Some(value) = data.first(rule.source) else {
            continue;
        };
        derive_fields(builder, rule, value);
    }
}

fn derive_fields(builder: &mut EventBuilder, rule: &FieldRule, value: &str) {
    let target = rule.target;
    match rule.derive {
        Derive::Copy => {
            builder.field(target, value);
        }
        Derive::Long => {
            if let Ok(n) = value.trim().parse::<i64>() {
                builder.field(target, n);
            }
        }
        Derive::HexLong => {
            let digits = value.trim();
            let digits = digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"))
                .unwrap_or(digits);
            if let Ok(n) = i64::from_str_radix(digits, 16) {
                builder.field(target, n);
            }
        }
        Derive::Ip => {
            let ip = value.trim();
            // Kerberos events write IPv4 clients as IPv4-mapped IPv6 (`::ffff:10.0.0.5`). The
            // plain form joins them with the other events of the same client.
            let ip = match ip.strip_prefix("::ffff:") {
                Some(v4) if v4.parse::<std::net::Ipv4Addr>().is_ok() => v4,
                _ => ip,
            };
            if ip != "-" && !ip.is_empty() {
                builder.field(target, ip);
            }
        }
        Derive::Basename => {
            builder.field(target, basename(value));
        }
        Derive::Directory => {
            if let Some(dir) = directory(value) {
                builder.field(target, dir);
            }
        }
        Derive::Extension => {
            if let Some(ext) = extension(value) {
                builder.field(target, ext);
            }
        }
        Derive::AccountName => {
            if let Some((_, user)) = value.split_once('\\') {
                builder.field(target, user);
            }
        }
        Derive::AccountDomain => {
            if let Some((domain, _)) = value.split_once('\\') {
                builder.field(target, domain);
            }
        }
        Derive::Hashes => add_hashes(builder, target, value),
        Derive::RegistryHive => {
            if let Some((hive, _)) = split_hive(value) {
                builder.field(target, hive);
            }
        }
        Derive::RegistryKey => {
            if let Some((_, key)) = split_hive(value)
                && !key.is_empty()
            {
                builder.field(target, key);
            }
        }
        Derive::RegistryValue => {
            builder.field(target, value.rsplit('\\').next().unwrap_or(value));
        }
        Derive::StringList => {
            builder.field(target, PendingValue::List(vec![value.into()]));
        }
        Derive::LogonTypeName => {
            builder.field(target, logon_type_name(value).unwrap_or(value));
        }
    }
}

fn add_hashes(builder: &mut EventBuilder, target: &str, value: &str) {
    for pair in value.split(',') {
        let Some((algorithm, hash)) = pair.split_once('=') else {
            continue;
        };
        let hash = hash.trim().to_ascii_lowercase();
        if hash.is_empty() || hash.bytes().all(|b| b == b'0') {
            continue;
        }
        let algorithm = algorithm.trim().to_ascii_lowercase();
        if algorithm == "imphash" {
            builder.field(format!("{target}.pe.imphash"), hash);
        } else {
            builder.field(format!("{target}.hash.{algorithm}"), hash);
        }
    }
}

/// Logon type names as Winlogbeat writes them.
fn logon_type_name(number: &str) -> Option<&'static str> {
    Some(match number.trim() {
        "0" => "System",
        "2" => "Interactive",
        "3" => "Network",
        "4" => "Batch",
        "5" => "Service",
        "7" => "Unlock",
        "8" => "NetworkCleartext",
        "9" => "NewCredentials",
        "10" => "RemoteInteractive",
        "11" => "CachedInteractive",
        _ => return None,
    })
}

/// Splits a registry path into its hive abbreviation and the rest.
fn split_hive(path: &str) -> Option<(&'static str, &str)> {
    let (first, rest) = path.split_once('\\').unwrap_or((path, ""));
    let hive = match first.to_ascii_uppercase().as_str() {
        "HKEY_CLASSES_ROOT" | "HKCR" => "HKCR",
        "HKEY_CURRENT_CONFIG" | "HKCC" => "HKCC",
        "HKEY_CURRENT_USER" | "HKCU" => "HKCU",
        "HKEY_DYN_DATA" | "HKDD" => "HKDD",
        "HKEY_LOCAL_MACHINE" | "HKLM" => "HKLM",
        "HKEY_PERFORMANCE_DATA" | "HKPD" => "HKPD",
        "HKEY_USERS" | "HKU" => "HKU",
        _ => return None,
    };
    Some((hive, rest))
}

fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

fn directory(path: &str) -> Option<&str> {
    path.rsplit_once(['\\', '/'])
        .map(|(directory, _)| directory)
}

fn extension(path: &str) -> Option<&str> {
    let name = basename(path);
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then_some(ext)
}

fn string_list(items: &[&str]) -> PendingValue {
    PendingValue::List(items.iter().map(|s| PendingValue::from(*s)).collect())
}

fn values_to_pending(mut values: Vec<String>) -> PendingValue {
    match values.len() {
        1 => PendingValue::Str(values.pop().unwrap_or_default()),
        _ => PendingValue::List(values.into_iter().map(PendingValue::Str).collect()),
    }
}

/// `EventData` and `UserData` items as name → text values, in document order. Names borrow
/// from the record unless they are made up (`param1`…).
#[derive(Debug, Default)]
struct EventDataItems<'j> {
    event_data: Vec<(Cow<'j, str>, Vec<String>)>,
    user_data: Vec<(Cow<'j, str>, Vec<String>)>,
}

impl EventDataItems<'_> {
    /// The first value of item `name`, from `EventData` first and then `UserData`.
    fn first(&self, name: &str) -> Option<&str> {
        self.event_data
            .iter()
            .chain(self.user_data.iter())
            .find(|(item, _)| item == name)
            .and_then(|(_, values)| values.first())
            .map(String::as_str)
    }
}

fn collect_data<J: JsonView>(event: &J) -> EventDataItems<'_> {
    let mut items = EventDataItems::default();
    let event_data = event.get("EventData");
    match event_data.and_then(JsonView::members) {
        Some(object) => {
            for (name, value) in object {
                if name == "#attributes" {
                    continue;
                }
                if name == "Data" {
                    // `<Data>` elements without a Name attribute, named as Winlogbeat does.
                    for (i, value) in texts(value).into_iter().enumerate() {
                        items
                            .event_data
                            .push((Cow::Owned(format!("param{}", i + 1)), vec![value]));
                    }
                    continue;
                }
                let values = texts(value);
                if !values.is_empty() {
                    items.event_data.push((Cow::Borrowed(name), values));
                }
            }
        }
        None => {
            if let Some(other) = event_data {
                for (i, value) in texts(other).into_iter().enumerate() {
                    items
                        .event_data
                        .push((Cow::Owned(format!("param{}", i + 1)), vec![value]));
                }
            }
        }
    }
    // `UserData` holds one provider-defined element whose children are the items.
    if let Some(user_data) = event.get("UserData").and_then(JsonView::members) {
        for (_, element) in user_data.filter(|(k, _)| *k != "#attributes") {
            let Some(children) = element.members() else {
                continue;
            };
            for (name, value) in children.filter(|(k, _)| *k != "#attributes") {
                let values = texts(value);
                if !values.is_empty() {
                    items.user_data.push((Cow::Borrowed(name), values));
                }
            }
        }
    }
    items
}

/// The text values of an item: one for a scalar, one per element for an array.
fn texts<J: JsonView>(value: &J) -> Vec<String> {
    if let Some(items) = value.elements() {
        return items.iter().filter_map(text).collect();
    }
    if value.is_object() {
        return match value.get("#text") {
            Some(inner) => texts(inner),
            // An element with children but no text: keep it as compact JSON, not lose it.
            None => vec![value.to_compact_json()],
        };
    }
    text(value).into_iter().collect()
}

/// The text of a scalar, or of an element's `#text`.
fn text<J: JsonView>(value: &J) -> Option<String> {
    if let Some(s) = value.as_text() {
        return Some(s.to_owned());
    }
    if let Some(n) = value.as_number() {
        return Some(n.to_string());
    }
    if let Some(b) = value.as_boolean() {
        return Some(b.to_string());
    }
    if value.is_object() {
        return value.get("#text").and_then(text);
    }
    let items = value.elements()?;
    let parts: Vec<String> = items.iter().filter_map(text).collect();
    (!parts.is_empty()).then(|| parts.join(""))
}

/// An XML attribute of an element, as `{"#attributes": {name: value}}`.
fn attribute<J: JsonView>(element: Option<&J>, name: &str) -> Option<String> {
    element?.get("#attributes")?.get(name).and_then(text)
}

/// The field that keeps the original `SystemTime` text of an event whose time was clamped.
pub(crate) const ORIGINAL_TIME_FIELD: &str = "winlog.time_created";

/// Parses `SystemTime` as RFC 3339 (`2019-03-19T23:34:30.443919Z`, what evtx 0.15 writes) or
/// as `2019-03-19 23:34:30.443919 UTC` (older evtx_dump output), into Unix nanoseconds.
///
/// A valid time outside the range of [`Timestamp`] (before 1677-09-21 or after 2262-04-11,
/// such as FILETIME 0, which is 1601-01-01) is clamped to the nearest end of the range, and
/// the second value is `true`, so the record still loads and keeps its place in time order.
fn parse_system_time(text: &str) -> Option<(Timestamp, bool)> {
    let text = text.trim();
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(clamp_nanos(time.timestamp_nanos_opt(), time.timestamp()));
    }
    let naive = text.strip_suffix(" UTC").unwrap_or(text);
    for layout in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(time) = chrono::NaiveDateTime::parse_from_str(naive, layout) {
            let time = time.and_utc();
            return Some(clamp_nanos(time.timestamp_nanos_opt(), time.timestamp()));
        }
    }
    None
}

/// Returns `nanos`, or when it overflowed, the end of the range on the side of `seconds`.
fn clamp_nanos(nanos: Option<Timestamp>, seconds: i64) -> (Timestamp, bool) {
    match nanos {
        Some(nanos) => (nanos, false),
        None if seconds < 0 => (Timestamp::MIN, true),
        None => (Timestamp::MAX, true),
    }
}

/// Passes events on to another sink and counts those whose time [`map_event`] clamped, for
/// [`note_clamped_times`].
pub(crate) struct ClampedTimeCounter<'a> {
    inner: &'a mut dyn EventSink,
    clamped: usize,
}

impl<'a> ClampedTimeCounter<'a> {
    /// Wraps `inner` with a count of zero.
    pub(crate) fn new(inner: &'a mut dyn EventSink) -> Self {
        ClampedTimeCounter { inner, clamped: 0 }
    }
}

impl EventSink for ClampedTimeCounter<'_> {
    fn push(&mut self, event: EventBuilder) {
        // A clamped time sits at one end of the range, so other events skip the field scan.
        let clamped = matches!(event.timestamp(), Timestamp::MIN | Timestamp::MAX)
            && event
                .pending_fields()
                .iter()
                .any(|(name, _)| name == ORIGINAL_TIME_FIELD);
        if clamped {
            self.clamped += 1;
        }
        self.inner.push(event);
    }
}

/// Adds a note to `report` counting the events whose time [`map_event`] clamped.
pub(crate) fn note_clamped_times(events: &ClampedTimeCounter<'_>, report: &mut FileReport) {
    let clamped = events.clamped;
    if clamped > 0 {
        report.notes.push(format!(
            "{clamped} records have a time outside 1677-09-21..2262-04-11, which nanosecond \
             timestamps cannot hold: their @timestamp was clamped to the nearest end of that \
             range and the original time is kept in {ORIGINAL_TIME_FIELD}"
        ));
    }
}

/// Renders [`MAPPINGS`] and [`LOG_SOURCES`] as the Markdown tables in this module's docs.
pub fn mapping_markdown() -> String {
    let mut out = String::new();
    out.push_str("## Fields of every event\n\n");
    out.push_str("| ECS field | source |\n|---|---|\n");
    for (field, source) in COMMON_FIELDS {
        out.push_str(&format!("| {field} | {source} |\n"));
    }
    out.push_str("\n## Log sources\n\n| channel | `log.source` |\n|---|---|\n");
    for (channel, source) in LOG_SOURCES {
        out.push_str(&format!("| `{channel}` | `{source}` |\n"));
    }
    out.push_str("| any other channel | `WinEventLog:<channel>` |\n");
    out.push_str("\n## Per event id\n");
    for mapping in MAPPINGS {
        out.push_str(&format!(
            "\n### `{}` {}\n\n`event.category` {}, `event.type` {}, `event.action` `{}`\n\n",
            mapping.channel,
            mapping.event_id,
            markdown_list(mapping.category),
            markdown_list(mapping.kind),
            mapping.action,
        ));
        out.push_str("| ECS field | item | conversion |\n|---|---|---|\n");
        for rule in mapping.fields.iter().flat_map(|group| group.iter()) {
            let target = match rule.derive {
                Derive::Hashes => format!("`{0}.hash.*`, `{0}.pe.imphash`", rule.target),
                _ => format!("`{}`", rule.target),
            };
            out.push_str(&format!(
                "| {target} | `{}` | {} |\n",
                rule.source,
                rule.derive.label()
            ));
        }
    }
    out
}

fn markdown_list(items: &[&str]) -> String {
    if items.is_empty() {
        return "—".to_owned();
    }
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    quoted.join(", ")
}

/// Fields every Windows event gets, whatever its event id.
const COMMON_FIELDS: &[(&str, &str)] = &[
    ("`@timestamp`", "`System/TimeCreated/@SystemTime`"),
    ("`host.name`, `winlog.computer_name`", "`System/Computer`"),
    (
        "`event.code` (text), `winlog.event_id` (integer)",
        "`System/EventID`",
    ),
    (
        "`event.provider`, `winlog.provider_name`",
        "`System/Provider/@Name`",
    ),
    ("`winlog.provider_guid`", "`System/Provider/@Guid`"),
    ("`winlog.channel`", "`System/Channel`"),
    ("`winlog.record_id`", "`System/EventRecordID`"),
    ("`winlog.event_qualifiers`", "`System/EventID/@Qualifiers`"),
    ("`winlog.user.identifier`", "`System/Security/@UserID`"),
    (
        "`winlog.process.pid`, `winlog.process.thread.id`",
        "`System/Execution`",
    ),
    ("`winlog.keywords`", "`System/Keywords`"),
    (
        "`event.outcome`",
        "audit success or failure bit of `System/Keywords`",
    ),
    ("`event.kind`", "always `event`"),
    (
        "`winlog.event_data.<Name>`",
        "every `EventData/Data`, as text; unnamed ones `paramN`",
    ),
    (
        "`winlog.user_data.<Name>`",
        "every child of the `UserData` element, as text",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn origin() -> Origin {
        Origin {
            file: 0,
            record: 1,
            offset: None,
        }
    }

    fn load_one(record: Value) -> EventStore {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "test.json".into(),
            format: "evtx-json",
        });
        store.push(map_event(&record, origin()).unwrap());
        store
    }

    #[test]
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/windows_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let documented = include_str!("windows_mapping.md");
        assert!(
            documented == generated,
            "windows_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn map_sysmon_process_create() {
        let record = serde_json::json!({"Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": 1,
                "TimeCreated": {"#attributes": {"SystemTime": "2025-10-25T16:56:16.019794Z"}},
                "EventRecordID": 11418519,
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": "dc.example.local",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}}
            },
            "EventData": {
                "ProcessId": 5112,
                "Image": "C:\\Windows\\System32\\certutil.exe",
                "CommandLine": "certutil -decode a b",
                "User": "CORP\\alice",
                "Hashes": "SHA1=AB,MD5=00000000,IMPHASH=CD",
                "LogonId": "0x3e7"
            }
        }});

        let store = load_one(record);

        assert_eq!(store.log_source(0), "WinEventLog:Sysmon");
        assert_eq!(store.field(0, "event.code"), Some(ValueRef::Str("1")));
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(5112)));
        assert_eq!(
            store.field(0, "process.name"),
            Some(ValueRef::Str("certutil.exe"))
        );
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("alice")));
        assert_eq!(store.field(0, "user.domain"), Some(ValueRef::Str("CORP")));
        assert_eq!(
            store.field(0, "process.hash.sha1"),
            Some(ValueRef::Str("ab"))
        );
        assert_eq!(store.field(0, "process.hash.md5"), None);
        assert_eq!(
            store.field(0, "process.pe.imphash"),
            Some(ValueRef::Str("cd"))
        );
        assert_eq!(
            store.field(0, "winlog.logon.id"),
            Some(ValueRef::Str("0x3e7"))
        );
        assert_eq!(
            store.field(0, "winlog.event_data.ProcessId"),
            Some(ValueRef::Str("5112"))
        );
        assert_eq!(
            store.field(0, "event.category"),
            Some(ValueRef::List(vec![ValueRef::Str("process")]))
        );
        assert_eq!(store.events()[0].timestamp, 1_761_411_376_019_794_000);
    }

    #[test]
    fn map_event_id_with_qualifiers() {
        let record = serde_json::json!({"Event": {
            "System": {
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
                "TimeCreated": {"#attributes": {"SystemTime": "2020-01-01 00:00:00.5 UTC"}},
                "Channel": "System"
            },
            "EventData": {"Data": {"#text": ["a", "b"]}}
        }});

        let store = load_one(record);

        assert_eq!(store.field(0, "event.code"), Some(ValueRef::Str("7045")));
        assert_eq!(
            store.field(0, "winlog.event_qualifiers"),
            Some(ValueRef::Str("16384"))
        );
        assert_eq!(store.log_source(0), "WinEventLog:System");
        assert_eq!(
            store.field(0, "winlog.event_data.param2"),
            Some(ValueRef::Str("b"))
        );
        assert_eq!(store.events()[0].timestamp, 1_577_836_800_500_000_000);
    }

    #[test]
    fn map_kerberos_preauth_failure() {
        let record = serde_json::json!({"Event": {
            "System": {
                "EventID": 4771,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-18T15:00:00.000000Z"}},
                "Channel": "Security",
                "Computer": "DC01.corp.example",
                "Keywords": "0x8010000000000000"
            },
            "EventData": {
                "TargetUserName": "jdoe",
                "TargetSid": "S-1-5-21-1-2-3-1107",
                "ServiceName": "krbtgt/CORP",
                "Status": "0x18",
                "IpAddress": "::ffff:10.0.9.77",
                "IpPort": "50112"
            }
        }});

        let store = load_one(record);

        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("kerberos-preauth-failed"))
        );
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("jdoe")));
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("10.0.9.77"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("failure"))
        );
    }

    #[test]
    fn map_ip_keeps_ipv6_and_drops_dash() {
        for (written, expected) in [
            ("::ffff:192.168.1.4", Some("192.168.1.4")),
            ("fe80::1", Some("fe80::1")),
            ("::ffff:not-an-ip", Some("::ffff:not-an-ip")),
            ("-", None),
        ] {
            let record = serde_json::json!({"Event": {
                "System": {
                    "EventID": 4624,
                    "TimeCreated": {"#attributes": {"SystemTime": "2026-11-18T15:00:00Z"}},
                    "Channel": "Security"
                },
                "EventData": {"IpAddress": written}
            }});
            let store = load_one(record);
            assert_eq!(
                store.field(0, "source.ip"),
                expected.map(ValueRef::Str),
                "{written}"
            );
        }
    }

    #[test]
    fn map_event_rejects_missing_time() {
        let record = serde_json::json!({"Event": {"System": {"EventID": 1}}});

        let result = map_event(&record, origin());

        assert!(matches!(result, Err(MappingError::InvalidTime(_))));
    }

    #[test]
    fn map_event_rejects_other_json() {
        let record = serde_json::json!({"EventID": 4624});

        assert_eq!(
            map_event(&record, origin()).err(),
            Some(MappingError::NotAnEvent)
        );
    }

    #[test]
    fn path_helpers_split_windows_paths() {
        assert_eq!(basename("C:\\a\\b.exe"), "b.exe");
        assert_eq!(directory("C:\\a\\b.exe"), Some("C:\\a"));
        assert_eq!(extension("C:\\a\\b.tar.gz"), Some("gz"));
        assert_eq!(extension("C:\\a.d\\noext"), None);
        assert_eq!(extension(".hidden"), None);
        assert_eq!(
            split_hive("HKLM\\SOFTWARE\\Run"),
            Some(("HKLM", "SOFTWARE\\Run"))
        );
        assert_eq!(split_hive("\\REGISTRY\\MACHINE"), None);
    }
}
