//! Google Cloud audit logs: `LogEntry` objects whose `protoPayload` is a
//! `type.googleapis.com/google.cloud.audit.AuditLog`, as `gcloud logging read --format=json`
//! prints them (a JSON array) or as log sinks write them (one per line). Mapped to ECS as
//! Elastic's `gcp` integration maps its `audit` data stream.
//!
//! ATT&CK 18.1 names these logs `gcp:audit` in 11 analytics. It also names `gcp:iam`,
//! `gcp:config` and `GCPAuditLogs:login.googleapis.com` once each, for entries of particular
//! services. Every event here gets `gcp:audit`.
#![doc = include_str!("gcp_audit_mapping.md")]

use serde_json::Value;

use super::json_records::{add_flattened, lookup, lookup_text, parse_time};
use super::m365::add_user;
use crate::store::{EventBuilder, Origin, Platform};

/// The ATT&CK log source name of Cloud Audit Logs.
pub const LOG_SOURCE: &str = "gcp:audit";

/// The `@type` of an audit log payload.
pub const AUDIT_LOG_TYPE: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

/// Maximum object depth of an entry flattened into `gcp.*` fields. Deeper parts, such as
/// most of `request` and `response`, stay as compact JSON text.
const FLATTEN_DEPTH: u32 = 4;

/// Entry fields copied unchanged: (LogEntry path, ECS field).
const COPIED: &[(&str, &str)] = &[
    ("insertId", "event.id"),
    ("logName", "log.logger"),
    ("severity", "log.level"),
    ("protoPayload.methodName", "event.action"),
    ("protoPayload.serviceName", "event.provider"),
    ("protoPayload.serviceName", "service.name"),
    ("protoPayload.resourceName", "gcp.audit.resource_name"),
    (
        "protoPayload.requestMetadata.callerSuppliedUserAgent",
        "user_agent.original",
    ),
    ("protoPayload.requestMetadata.callerIp", "source.address"),
    ("resource.type", "gcp.audit.resource_type"),
    ("resource.labels.project_id", "cloud.project.id"),
    ("resource.labels.zone", "cloud.availability_zone"),
    ("resource.labels.region", "cloud.region"),
    ("resource.labels.instance_id", "cloud.instance.id"),
];

/// Maps one LogEntry with an AuditLog payload to an event.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let payload = lookup(record, "protoPayload")
        .filter(|payload| payload.is_object())
        .ok_or("LogEntry has no protoPayload; it is not an audit log entry")?;
    match lookup_text(payload, "@type") {
        Some(kind) if kind != AUDIT_LOG_TYPE => {
            return Err(format!(
                "protoPayload is of type {kind}, not {AUDIT_LOG_TYPE}"
            ));
        }
        None if lookup(payload, "methodName").is_none() => {
            return Err("protoPayload has neither @type nor methodName".to_owned());
        }
        _ => {}
    }
    let timestamp = ["timestamp", "receiveTimestamp"]
        .iter()
        .filter_map(|key| lookup_text(record, key))
        .find_map(|text| parse_time(&text))
        .ok_or("LogEntry has no valid timestamp or receiveTimestamp")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::Iaas, origin);
    builder.field("event.kind", "event");
    builder.field("cloud.provider", "gcp");
    for (source, target) in COPIED {
        if let Some(value) = lookup_text(record, source) {
            builder.field(*target, value);
        }
    }
    if let Some(address) = lookup_text(payload, "requestMetadata.callerIp")
        && let Ok(ip) = address.parse::<std::net::IpAddr>()
    {
        builder.field("source.ip", ip.to_string());
    }
    if let Some(email) = lookup_text(payload, "authenticationInfo.principalEmail") {
        add_user(&mut builder, &email);
    }
    add_outcome(&mut builder, payload);
    add_flattened(&mut builder, "gcp", record, FLATTEN_DEPTH);
    Ok(builder)
}

/// Adds `event.outcome` from `status`: `success` when it is missing or its code is 0 (OK),
/// else `failure` with `error.code` and `error.message`.
fn add_outcome(builder: &mut EventBuilder, payload: &Value) {
    let code = lookup(payload, "status.code").and_then(Value::as_i64);
    match code {
        None | Some(0) => {
            builder.field("event.outcome", "success");
        }
        Some(code) => {
            builder.field("event.outcome", "failure");
            builder.field("error.code", code.to_string());
            if let Some(message) = lookup_text(payload, "status.message") {
                builder.field("error.message", message);
            }
        }
    }
}

/// Renders the mapping tables as the Markdown in `gcp_audit_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# Google Cloud audit log field mapping\n\n\
         Every `LogEntry` whose `protoPayload` has `@type` \
         `type.googleapis.com/google.cloud.audit.AuditLog` becomes one event with \
         `log.source` `gcp:audit` and platform `IaaS`. An entry with another payload is \
         reported and skipped. ATT&CK 18.1 uses `gcp:audit` in 11 analytics. It uses the \
         names `gcp:iam`, `gcp:config` and `GCPAuditLogs:login.googleapis.com` once each, and \
         no event is given them.\n\n\
         | ECS field | LogEntry field |\n|---|---|\n\
         | `@timestamp` | `timestamp`, else `receiveTimestamp` |\n\
         | `event.kind` | always `event` |\n\
         | `cloud.provider` | always `gcp` |\n",
    );
    for (source, target) in COPIED {
        out.push_str(&format!("| `{target}` | `{source}` |\n"));
    }
    out.push_str(
        "| `source.ip` | `protoPayload.requestMetadata.callerIp` when it is an address (it \
         may be `private` or `gce-internal-ip`) |\n\
         | `user.email`, `user.name`, `user.domain` | \
         `protoPayload.authenticationInfo.principalEmail` split at `@` |\n\
         | `event.outcome` | `success` when `protoPayload.status.code` is missing or 0, else \
         `failure` |\n\
         | `error.code`, `error.message` | `protoPayload.status.code`, \
         `protoPayload.status.message`, when the code is not 0 |\n\
         | `gcp.<path>` | every field, nested objects flattened with dots up to four levels \
         deep, deeper parts and arrays of objects as compact JSON |\n",
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
            path: "gcp.json".into(),
            format: "gcp-audit",
        });
        let origin = Origin {
            file: 0,
            record: 1,
            offset: Some(0),
        };
        store.push(map_record(&record, origin).unwrap());
        store
    }

    fn origin() -> Origin {
        Origin {
            file: 0,
            record: 1,
            offset: None,
        }
    }

    #[test]
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/ingest/gcp_audit_mapping.md"
        );
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("gcp_audit_mapping.md") == generated,
            "gcp_audit_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn denied_call_maps_principal_and_status() {
        let store = load(json!({
            "insertId": "abc", "timestamp": "2024-03-05T12:00:00.5Z",
            "logName": "projects/p1/logs/cloudaudit.googleapis.com%2Factivity",
            "resource": {"type": "gce_instance", "labels": {"project_id": "p1",
                "zone": "europe-west1-b"}},
            "protoPayload": {"@type": AUDIT_LOG_TYPE,
                "serviceName": "compute.googleapis.com",
                "methodName": "v1.compute.instances.setMetadata",
                "resourceName": "projects/p1/zones/europe-west1-b/instances/vm1",
                "authenticationInfo": {"principalEmail": "dev@example.com"},
                "requestMetadata": {"callerIp": "2001:db8::5"},
                "status": {"code": 7, "message": "PERMISSION_DENIED"}}
        }));

        assert_eq!(store.log_source(0), "gcp:audit");
        assert_eq!(store.events()[0].timestamp, 1_709_640_000_500_000_000);
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("v1.compute.instances.setMetadata"))
        );
        assert_eq!(
            store.field(0, "user.email"),
            Some(ValueRef::Str("dev@example.com"))
        );
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("2001:db8::5"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("failure"))
        );
        assert_eq!(store.field(0, "error.code"), Some(ValueRef::Str("7")));
        assert_eq!(
            store.field(0, "cloud.project.id"),
            Some(ValueRef::Str("p1"))
        );
        assert_eq!(
            store.field(0, "gcp.protoPayload.authenticationInfo.principalEmail"),
            Some(ValueRef::Str("dev@example.com"))
        );
    }

    #[test]
    fn other_payloads_are_rejected() {
        let text_entry = json!({"timestamp": "2024-03-05T12:00:00Z", "textPayload": "hi"});
        let other_type = json!({"timestamp": "2024-03-05T12:00:00Z",
            "protoPayload": {"@type": "type.googleapis.com/google.appengine.logging.v1.RequestLog"}});
        let no_time = json!({"protoPayload": {"@type": AUDIT_LOG_TYPE, "methodName": "m"}});

        assert!(
            map_record(&text_entry, origin())
                .unwrap_err()
                .contains("no protoPayload")
        );
        assert!(
            map_record(&other_type, origin())
                .unwrap_err()
                .contains("RequestLog")
        );
        assert!(
            map_record(&no_time, origin())
                .unwrap_err()
                .contains("timestamp")
        );
    }

    #[test]
    fn private_caller_has_no_source_ip() {
        let store = load(json!({"timestamp": "2024-03-05T12:00:00Z",
            "protoPayload": {"methodName": "storage.objects.get",
                "requestMetadata": {"callerIp": "private"}, "status": {}}}));

        assert_eq!(store.field(0, "source.ip"), None);
        assert_eq!(
            store.field(0, "source.address"),
            Some(ValueRef::Str("private"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
    }
}
