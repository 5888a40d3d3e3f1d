//! Microsoft 365 unified audit log records, mapped to ECS and to the `o365.audit.*` fields of
//! Elastic's `o365` integration.
//!
//! Two JSON shapes are read: records of the Office 365 Management Activity API (`CreationTime`,
//! `Workload`, `ClientIP`) and rows of Sentinel's `OfficeActivity` table (`TimeGenerated`,
//! `OfficeWorkload`, `Client_IPAddress`).
#![doc = include_str!("m365_mapping.md")]

use serde_json::Value;

use super::json_records::{add_flattened, lookup_text, parse_time};
use crate::store::{EventBuilder, Origin, Platform};

/// The ATT&CK log source name of the unified audit log.
pub const LOG_SOURCE: &str = "m365:unified";

/// Maximum object depth of a record flattened into `o365.audit.*` fields.
const FLATTEN_DEPTH: u32 = 3;

/// ECS fields taken from the first record key present: (ECS field, record keys in order).
const COPIED: &[(&str, &[&str])] = &[
    ("event.action", &["Operation"]),
    ("event.provider", &["Workload", "OfficeWorkload"]),
    ("event.id", &["Id", "OfficeId"]),
    ("user.id", &["UserId"]),
    ("organization.id", &["OrganizationId"]),
    ("organization.name", &["OrganizationName"]),
];

/// Maps one unified audit log record to an event.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    lookup_text(record, "Operation")
        .ok_or("record has no Operation; it is not an M365 audit record")?;
    let timestamp = ["CreationTime", "TimeGenerated"]
        .iter()
        .filter_map(|key| lookup_text(record, key))
        .find_map(|text| parse_time(&text))
        .ok_or("record has no valid CreationTime or TimeGenerated")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::OfficeSuite, origin);
    builder.field("event.kind", "event");
    for (target, keys) in COPIED {
        if let Some(value) = keys.iter().find_map(|key| lookup_text(record, key)) {
            builder.field(*target, value);
        }
    }
    if let Some(user) = lookup_text(record, "UserId") {
        add_user(&mut builder, &user);
    }
    if let Some(agent) = lookup_text(record, "UserAgent").or_else(|| extended_user_agent(record)) {
        builder.field("user_agent.original", agent);
    }
    let client = [
        "ClientIP",
        "ClientIPAddress",
        "Client_IPAddress",
        "ActorIpAddress",
    ]
    .iter()
    .find_map(|key| lookup_text(record, key));
    if let Some(address) = client.as_deref().and_then(client_ip) {
        builder.field("source.ip", address);
    }
    let status = ["ResultStatus", "ResultReasonType"]
        .iter()
        .find_map(|key| lookup_text(record, key));
    if let Some(outcome) = status.as_deref().and_then(outcome) {
        builder.field("event.outcome", outcome);
    }
    if let Value::Object(object) = record {
        for (key, value) in object {
            add_flattened(
                &mut builder,
                &format!("o365.audit.{key}"),
                value,
                FLATTEN_DEPTH,
            );
        }
    }
    Ok(builder)
}

/// Adds `user.email`, `user.name` and `user.domain` from a user principal name.
pub(crate) fn add_user(builder: &mut EventBuilder, user: &str) {
    if let Some((name, domain)) = user.split_once('@') {
        builder.field("user.email", user);
        builder.field("user.name", name);
        builder.field("user.domain", domain);
    } else {
        builder.field("user.name", user);
    }
}

/// Returns the user agent that Entra ID records keep in `ExtendedProperties`: the entry named
/// `UserAgent` (sign-ins), else the `User-Agent` key of the JSON object in the entry named
/// `additionalDetails` (directory changes).
fn extended_user_agent(record: &Value) -> Option<String> {
    let properties = record.get("ExtendedProperties")?.as_array()?;
    let entry = |name: &str| {
        properties
            .iter()
            .find(|p| p.get("Name").and_then(Value::as_str) == Some(name))
            .and_then(|p| p.get("Value"))
            .and_then(Value::as_str)
    };
    if let Some(agent) = entry("UserAgent").filter(|a| !a.is_empty()) {
        return Some(agent.to_owned());
    }
    let details: Value = serde_json::from_str(entry("additionalDetails")?).ok()?;
    details
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("User-Agent"))
        .and_then(|(_, value)| value.as_str())
        .filter(|agent| !agent.is_empty())
        .map(str::to_owned)
}

/// Returns the client address without a port or IPv6 brackets (`1.2.3.4:5678`, `[::1]:443`), or
/// `None` when it is not an IP address.
pub(crate) fn client_ip(text: &str) -> Option<String> {
    let text = text.trim();
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Some(text.to_owned());
    }
    if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
        return Some(socket.ip().to_string());
    }
    let bracketed = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'))?;
    bracketed
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

/// `event.outcome` from `ResultStatus`, which differs between workloads.
fn outcome(status: &str) -> Option<&'static str> {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" | "success" | "true" | "partiallysucceeded" => Some("success"),
        "failed" | "failure" | "false" => Some("failure"),
        _ => None,
    }
}

/// Renders the mapping as the Markdown in `m365_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# Microsoft 365 unified audit log field mapping\n\n\
         Every record becomes one event with `log.source` `m365:unified` and platform \
         `Office Suite`.\n\n| ECS field | audit record field |\n|---|---|\n\
         | `@timestamp` | `CreationTime` (UTC), else Sentinel's `TimeGenerated` |\n\
         | `event.kind` | always `event` |\n",
    );
    for (target, keys) in COPIED {
        let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        out.push_str(&format!("| `{target}` | {} |\n", keys.join(", else ")));
    }
    out.push_str(
        "| `user_agent.original` | `UserAgent`, else the `ExtendedProperties` entry named \
         `UserAgent`, else the `User-Agent` key of the JSON object in the entry named \
         `additionalDetails` |\n\
         | `user.email`, `user.name`, `user.domain` | `UserId` split at `@` |\n\
         | `source.ip` | `ClientIP`, `ClientIPAddress`, `Client_IPAddress` or `ActorIpAddress`, \
         without port |\n\
         | `event.outcome` | `ResultStatus`: `Succeeded` is `success`, `Failed` is `failure` |\n\
         | `o365.audit.<Key>` | every record field; nested objects flattened with dots |\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventStore, SourceFile, ValueRef};
    use serde_json::json;

    fn load(record: Value) -> EventStore {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "t.json".into(),
            format: "m365-audit",
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
    fn mapping_doc_matches_code() {
        let generated = mapping_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/m365_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("m365_mapping.md") == generated,
            "m365_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn management_api_record_maps() {
        let store = load(json!({
            "CreationTime": "2021-08-02T13:32:07", "Id": "abc", "Operation": "FileDownloaded",
            "RecordType": 6, "ResultStatus": "Succeeded", "UserId": "bob@contoso.com",
            "Workload": "SharePoint", "ClientIP": "[2001:db8::1]:443",
            "UserAgent": "curl/8", "SourceFileName": "secret.docx"
        }));

        assert_eq!(store.log_source(0), "m365:unified");
        assert_eq!(store.events()[0].platform, Platform::OfficeSuite);
        assert_eq!(store.events()[0].timestamp, 1_627_911_127_000_000_000);
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("FileDownloaded"))
        );
        assert_eq!(
            store.field(0, "event.provider"),
            Some(ValueRef::Str("SharePoint"))
        );
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("bob")));
        assert_eq!(
            store.field(0, "user.domain"),
            Some(ValueRef::Str("contoso.com"))
        );
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("2001:db8::1"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
        assert_eq!(
            store.field(0, "o365.audit.SourceFileName"),
            Some(ValueRef::Str("secret.docx"))
        );
        assert_eq!(
            store.field(0, "o365.audit.RecordType"),
            Some(ValueRef::Int(6))
        );
    }

    #[test]
    fn directory_change_user_agent_maps() {
        let store = load(json!({
            "CreationTime": "2024-11-05T10:31:07", "Operation": "Set domain authentication.",
            "UserId": "admin@contoso.onmicrosoft.com", "Workload": "AzureActiveDirectory",
            "ExtendedProperties": [
                {"Name": "additionalDetails", "Value": "{\"User-Agent\":\"WindowsPowerShell/5.1\"}"},
                {"Name": "extendedAuditEventCategory", "Value": "Domain"}
            ]
        }));
        assert_eq!(
            store.field(0, "user_agent.original"),
            Some(ValueRef::Str("WindowsPowerShell/5.1"))
        );

        let store = load(json!({
            "CreationTime": "2024-11-05T10:31:07", "Operation": "UserLoggedIn",
            "ExtendedProperties": [
                {"Name": "ResultStatusDetail", "Value": "Redirect"},
                {"Name": "UserAgent", "Value": "Mozilla/5.0"}
            ]
        }));
        assert_eq!(
            store.field(0, "user_agent.original"),
            Some(ValueRef::Str("Mozilla/5.0"))
        );

        let store = load(json!({
            "CreationTime": "2024-11-05T10:31:07", "Operation": "Add user.",
            "ExtendedProperties": [{"Name": "additionalDetails", "Value": "{}"}]
        }));
        assert_eq!(store.field(0, "user_agent.original"), None);
    }

    #[test]
    fn client_ip_strips_ports() {
        assert_eq!(client_ip("1.2.3.4:5678").as_deref(), Some("1.2.3.4"));
        assert_eq!(client_ip("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(client_ip("[::1]").as_deref(), Some("::1"));
        assert_eq!(client_ip("not an ip"), None);
    }

    #[test]
    fn record_without_operation_is_rejected() {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let record = json!({"CreationTime": "2021-08-02T13:32:07"});
        assert!(
            map_record(&record, origin)
                .unwrap_err()
                .contains("Operation")
        );
    }
}
