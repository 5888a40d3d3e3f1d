//! Format detection from a file's first bytes.
//!
//! Detection looks at content, not the extension, because collections are often renamed or
//! exported without one. A new format gets a [`Format`] variant, a check in [`detect`] and a
//! parser arm in the loader.

use serde::Serialize;

/// How many bytes of a file [`detect`] needs to see.
pub const DETECT_PREFIX_LEN: usize = 4096;

/// The magic bytes at the start of every EVTX file header.
const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// A file format, as detected from content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Windows XML event log (binary EVTX).
    Evtx,
    /// EVTX records rendered as JSON by `evtx_dump -o json` or `-o jsonl`: one object per
    /// record with an `Event` key, as JSON lines, concatenated documents, `Record N` blocks
    /// or a JSON array.
    EvtxJson,
    /// Windows events as other JSON: flat exports (NXLog, OTRF, Sentinel `SecurityEvent`),
    /// Winlogbeat documents and Elasticsearch hits of either.
    WindowsJson,
    /// AWS CloudTrail records: `{"Records": [...]}` files, arrays, JSON lines.
    #[serde(rename = "cloudtrail")]
    CloudTrail,
    /// Microsoft 365 unified audit log records (Management API or Sentinel `OfficeActivity`).
    M365Audit,
    /// Microsoft Entra ID audit and sign-in records (Graph, Azure Monitor or Sentinel).
    EntraId,
    /// Zeek logs written as JSON lines.
    ZeekJson,
    /// Zeek logs in Zeek's tab-separated form with `#fields` and `#types` header lines.
    ZeekTsv,
    /// JSON in a shape no parser reads.
    Json,
    /// Raw Linux audit daemon log (`type=… msg=audit(…)` lines).
    Auditd,
    /// Syslog text lines (RFC 3164, as in `/var/log/auth.log`, or RFC 5424).
    Syslog,
    /// Microsoft Sentinel `Syslog` table rows as JSON lines, such as Sysmon for Linux events.
    SentinelSyslog,
    /// Elastic Endpoint events from macOS hosts: Elasticsearch hits, `_source` documents or
    /// search and EQL responses.
    ElasticEndpoint,
    /// The macOS unified log as `log show --style ndjson` or `--style json` prints it.
    UnifiedLog,
    /// systemd journal entries as `journalctl -o json` exports them.
    Journald,
    /// osquery result logs (event, snapshot and batch results as JSON lines).
    Osquery,
    /// VMware ESXi and vCenter log lines (`hostd.log`, `vmkernel.log`, `shell.log`…).
    Esxi,
    /// AWS VPC Flow Logs as space-separated text, in the default or a custom format.
    AwsVpcFlow,
    /// Microsoft 365 audit log search results exported as CSV with an `AuditData` column.
    M365Csv,
    /// Okta System Log events (`LogEvent` objects).
    OktaSystemLog,
    /// Google Cloud audit log entries (`LogEntry` with an `AuditLog` payload).
    GcpAudit,
    /// Kubernetes API server audit events (`audit.k8s.io` `Event` objects).
    KubernetesAudit,
    /// Flow records as CSV: nfdump `-o csv`, SiLK `rwcut` and generic flow exports.
    NetflowCsv,
    /// Network-device syslog with Cisco `%FACILITY-SEVERITY-MNEMONIC:` tags (IOS, ASA…).
    CiscoSyslog,
    /// `docker events --format '{{json .}}'` output.
    DockerEvents,
    /// The Docker daemon's own log, as logrus JSON or `key=value` lines.
    DockerDaemon,
    /// Container output written by Docker's `json-file` log driver.
    DockerJsonLog,
    /// A format no detector recognizes.
    Unknown,
}

impl Format {
    /// Returns the format's short name, as stored in [`crate::store::SourceFile::format`].
    pub fn name(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::EvtxJson => "evtx-json",
            Format::WindowsJson => "windows-json",
            Format::CloudTrail => "cloudtrail",
            Format::M365Audit => "m365-audit",
            Format::EntraId => "entra-id",
            Format::ZeekJson => "zeek-json",
            Format::ZeekTsv => "zeek-tsv",
            Format::Json => "json",
            Format::Auditd => "auditd",
            Format::Syslog => "syslog",
            Format::SentinelSyslog => "sentinel-syslog",
            Format::ElasticEndpoint => "elastic-endpoint",
            Format::UnifiedLog => "unified-log",
            Format::Journald => "journald",
            Format::Osquery => "osquery",
            Format::Esxi => "esxi",
            Format::AwsVpcFlow => "aws-vpc-flow",
            Format::M365Csv => "m365-csv",
            Format::OktaSystemLog => "okta-system-log",
            Format::GcpAudit => "gcp-audit",
            Format::KubernetesAudit => "kubernetes-audit",
            Format::NetflowCsv => "netflow-csv",
            Format::CiscoSyslog => "cisco-syslog",
            Format::DockerEvents => "docker-events",
            Format::DockerDaemon => "docker-daemon",
            Format::DockerJsonLog => "docker-json-log",
            Format::Unknown => "unknown",
        }
    }

    /// Parses a short name as [`Format::name`] writes it.
    pub fn from_name(name: &str) -> Option<Format> {
        [
            Format::Evtx,
            Format::EvtxJson,
            Format::WindowsJson,
            Format::CloudTrail,
            Format::M365Audit,
            Format::EntraId,
            Format::ZeekJson,
            Format::ZeekTsv,
            Format::Json,
            Format::Auditd,
            Format::Syslog,
            Format::SentinelSyslog,
            Format::ElasticEndpoint,
            Format::UnifiedLog,
            Format::Journald,
            Format::Osquery,
            Format::Esxi,
            Format::AwsVpcFlow,
            Format::M365Csv,
            Format::OktaSystemLog,
            Format::GcpAudit,
            Format::KubernetesAudit,
            Format::NetflowCsv,
            Format::CiscoSyslog,
            Format::DockerEvents,
            Format::DockerDaemon,
            Format::DockerJsonLog,
            Format::Unknown,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }

    /// Returns whether a parser reads this format.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            Format::Evtx
                | Format::EvtxJson
                | Format::WindowsJson
                | Format::CloudTrail
                | Format::M365Audit
                | Format::EntraId
                | Format::ZeekJson
                | Format::ZeekTsv
                | Format::Auditd
                | Format::Syslog
                | Format::SentinelSyslog
                | Format::ElasticEndpoint
                | Format::UnifiedLog
                | Format::Journald
                | Format::Osquery
                | Format::Esxi
                | Format::AwsVpcFlow
                | Format::M365Csv
                | Format::OktaSystemLog
                | Format::GcpAudit
                | Format::KubernetesAudit
                | Format::NetflowCsv
                | Format::CiscoSyslog
                | Format::DockerEvents
                | Format::DockerDaemon
                | Format::DockerJsonLog
        )
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Detects the format of a file from its first bytes (up to [`DETECT_PREFIX_LEN`]).
pub fn detect(prefix: &[u8]) -> Format {
    if prefix.starts_with(EVTX_MAGIC) {
        return Format::Evtx;
    }
    if let Some(format) = super::network_detect::detect(prefix) {
        return format;
    }
    if let Some(format) = super::linux_detect::detect(prefix) {
        return format;
    }
    if let Some(format) = super::cloud_detect::detect(prefix) {
        return format;
    }
    let text = skip_whitespace(strip_bom(prefix));
    if let Some(rest) = text.strip_prefix(b"Record ") {
        // evtx_dump's default output puts `Record <id>` on its own line before each record.
        if rest.first().is_some_and(u8::is_ascii_digit) {
            return Format::EvtxJson;
        }
        return Format::Unknown;
    }
    let object = match text.split_first() {
        Some((b'{', rest)) => rest,
        Some((b'[', rest)) => match skip_whitespace(rest).split_first() {
            Some((b'{', rest)) => rest,
            // An empty array or an array of scalars is JSON, but not records we can read.
            _ => return Format::Json,
        },
        _ => return super::sniff::classify_text(text),
    };
    // evtx_dump writes `Event` as the first key of every record.
    if skip_whitespace(object).starts_with(b"\"Event\"") {
        Format::EvtxJson
    } else {
        super::sniff::classify_json(text)
    }
}

/// Strips a UTF-8 byte order mark, which Windows tools often write.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn skip_whitespace(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii_start()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_formats_by_content() {
        let cases: &[(&[u8], Format)] = &[
            (b"ElfFile\0rest", Format::Evtx),
            (b"{\"Event\":{}}\n", Format::EvtxJson),
            (b"\xEF\xBB\xBF  {\n  \"Event\": {", Format::EvtxJson),
            (b"[\n {\"Event\": {}}]", Format::EvtxJson),
            (b"Record 12\n{\n", Format::EvtxJson),
            (b"{\"EventID\": 4624}", Format::Json),
            (
                b"{\"EventID\": 4624, \"Channel\": \"Security\"}",
                Format::WindowsJson,
            ),
            (b"[]", Format::Json),
            (b"Record x", Format::Unknown),
            (b"", Format::Unknown),
            (b"<Event xmlns=", Format::Unknown),
            (b"ElfFil", Format::Unknown),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                detect(bytes),
                *expected,
                "input {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn format_names_match_serialized_names() {
        let formats = [
            Format::Evtx,
            Format::EvtxJson,
            Format::Json,
            Format::Auditd,
            Format::Syslog,
            Format::SentinelSyslog,
            Format::ElasticEndpoint,
            Format::UnifiedLog,
            Format::Journald,
            Format::Osquery,
            Format::Esxi,
            Format::AwsVpcFlow,
            Format::M365Csv,
            Format::OktaSystemLog,
            Format::GcpAudit,
            Format::KubernetesAudit,
            Format::NetflowCsv,
            Format::CiscoSyslog,
            Format::DockerEvents,
            Format::DockerDaemon,
            Format::DockerJsonLog,
            Format::Unknown,
        ];
        for format in formats {
            let serialized = serde_json::to_value(format).unwrap();
            assert_eq!(serialized, format.name(), "{format:?}");
            assert_eq!(Format::from_name(format.name()), Some(format));
        }
    }
}
