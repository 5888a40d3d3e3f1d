//! Kubernetes API server audit events (`audit.k8s.io/v1` `Event` objects), as the log backend
//! writes them one per line, or as the items of an `EventList` document. Mapped to ECS and to
//! the `kubernetes.audit.*` fields of Elastic's `kubernetes` integration.
//!
//! ATT&CK 18.1 names these events `kubernetes:audit` in 11 analytics and
//! `kubernetes:apiserver` in 9, for the same API server requests. Events get
//! `kubernetes:audit`, the name of the log itself, and the mapping page lists what that leaves
//! out.
#![doc = include_str!("kubernetes_audit_mapping.md")]

use serde_json::Value;

use super::json_records::{add_flattened, lookup, lookup_text, parse_time};
use crate::store::{EventBuilder, Origin, PendingValue, Platform};

/// The ATT&CK log source name of Kubernetes audit events.
pub const LOG_SOURCE: &str = "kubernetes:audit";

/// Maximum object depth of an event flattened into `kubernetes.audit.*` fields. Deeper parts
/// of `requestObject` and `responseObject` stay as compact JSON text.
const FLATTEN_DEPTH: u32 = 3;

/// Event fields copied unchanged: (audit event path, ECS field).
const COPIED: &[(&str, &str)] = &[
    ("auditID", "event.id"),
    ("verb", "event.action"),
    ("user.username", "user.name"),
    ("user.uid", "user.id"),
    ("impersonatedUser.username", "user.effective.name"),
    ("impersonatedUser.uid", "user.effective.id"),
    ("userAgent", "user_agent.original"),
    ("requestURI", "url.original"),
    ("objectRef.namespace", "orchestrator.namespace"),
    ("objectRef.resource", "orchestrator.resource.type"),
    ("objectRef.name", "orchestrator.resource.name"),
    ("objectRef.apiVersion", "orchestrator.api_version"),
];

/// The annotation the authorizer writes with its decision (`allow` or `forbid`).
const DECISION_ANNOTATION: &str = "authorization.k8s.io/decision";

/// Maps one audit event to an event.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    if let Some(kind) = lookup_text(record, "kind")
        && kind != "Event"
    {
        return Err(format!(
            "record is of kind {kind}, not a Kubernetes audit Event"
        ));
    }
    lookup_text(record, "verb").ok_or("record has no verb; it is not a Kubernetes audit Event")?;
    let timestamp = ["requestReceivedTimestamp", "stageTimestamp"]
        .iter()
        .filter_map(|key| lookup_text(record, key))
        .find_map(|text| parse_time(&text))
        .ok_or("record has no valid requestReceivedTimestamp or stageTimestamp")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::Containers, origin);
    builder.field("event.kind", "event");
    builder.field("orchestrator.type", "kubernetes");
    for (source, target) in COPIED {
        if let Some(value) = lookup_text(record, source) {
            builder.field(*target, value);
        }
    }
    add_addresses(&mut builder, record);
    let code = lookup(record, "responseStatus.code").and_then(Value::as_i64);
    if let Some(code) = code {
        builder.field("http.response.status_code", code);
    }
    let decision = lookup(record, "annotations")
        .and_then(|annotations| annotations.get(DECISION_ANNOTATION))
        .and_then(Value::as_str);
    if let Some(outcome) = outcome(code, decision) {
        builder.field("event.outcome", outcome);
    }
    add_flattened(&mut builder, "kubernetes.audit", record, FLATTEN_DEPTH);
    Ok(builder)
}

/// Adds `source.ip` from the first of `sourceIPs` and every address as `related.ip`. The API
/// server lists `X-Forwarded-For` addresses first and the connection's remote address last, so
/// only the last cannot be set by the client.
fn add_addresses(builder: &mut EventBuilder, record: &Value) {
    let Some(Value::Array(addresses)) = lookup(record, "sourceIPs") else {
        return;
    };
    let valid: Vec<&str> = addresses
        .iter()
        .filter_map(Value::as_str)
        .filter(|text| text.parse::<std::net::IpAddr>().is_ok())
        .collect();
    if let Some(first) = valid.first() {
        builder.field("source.ip", *first);
    }
    if !valid.is_empty() {
        let list = valid.iter().map(|ip| (*ip).into()).collect();
        builder.field("related.ip", PendingValue::List(list));
    }
}

/// Returns `failure` when the authorizer forbade the request or the response code is 400 or more,
/// `success` for a lower code, and `None` when the stage has no response yet.
fn outcome(code: Option<i64>, decision: Option<&str>) -> Option<&'static str> {
    if decision == Some("forbid") {
        return Some("failure");
    }
    code.map(|code| if code >= 400 { "failure" } else { "success" })
}

/// Renders the mapping tables as the Markdown in `kubernetes_audit_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# Kubernetes audit log field mapping\n\n\
         Every audit `Event` (one per line, or an item of an `EventList`) becomes one event \
         with `log.source` `kubernetes:audit` and platform `Containers`. Each stage of a \
         request (`RequestReceived`, `ResponseStarted`, `ResponseComplete`, `Panic`) is its \
         own event.\n\n\
         ATT&CK 18.1 names the same API server requests `kubernetes:apiserver` in 9 analytics \
         and `kubernetes:audit` in 11. These events carry only `kubernetes:audit`. An \
         executable analytic for an ATT&CK analytic that names only `kubernetes:apiserver` may \
         still read them when a data component it references also lists `kubernetes:audit`: \
         User Account Authentication, Image Creation and Container Creation list both, while \
         Scheduled Job Creation, Process Creation, Pod Enumeration, Web Credential Usage, Image \
         Metadata and Volume Modification list only `kubernetes:apiserver`. Coverage reports \
         such analytics as missing their log source.\n\n\
         | ECS field | audit Event field |\n|---|---|\n\
         | `@timestamp` | `requestReceivedTimestamp`, else `stageTimestamp` |\n\
         | `event.kind` | always `event` |\n\
         | `orchestrator.type` | always `kubernetes` |\n",
    );
    for (source, target) in COPIED {
        out.push_str(&format!("| `{target}` | `{source}` |\n"));
    }
    out.push_str(&format!(
        "| `source.ip` | the first address of `sourceIPs`, the client as the API server saw \
         it: the list runs from `X-Forwarded-For` to the connection's remote address, and \
         every address but the last can be set by the client |\n\
         | `related.ip` | every address of `sourceIPs` |\n\
         | `http.response.status_code` | `responseStatus.code` |\n\
         | `event.outcome` | `failure` when the `{DECISION_ANNOTATION}` annotation is \
         `forbid` or `responseStatus.code` is 400 or more, `success` for a lower code, none \
         before a response |\n\
         | `kubernetes.audit.<path>` | every field, nested objects flattened with dots up to \
         three levels deep, deeper parts and arrays of objects as compact JSON |\n"
    ));
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
            path: "audit.log".into(),
            format: "kubernetes-audit",
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
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/ingest/kubernetes_audit_mapping.md"
        );
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("kubernetes_audit_mapping.md") == generated,
            "kubernetes_audit_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn exec_into_pod_maps() {
        let store = load(json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": "a1", "stage": "ResponseComplete",
            "requestURI": "/api/v1/namespaces/prod/pods/web-1/exec?command=sh",
            "verb": "create",
            "user": {"username": "alice", "uid": "u-1", "groups": ["dev", "system:authenticated"]},
            "sourceIPs": ["198.51.100.4", "10.0.0.2"],
            "objectRef": {"resource": "pods", "namespace": "prod", "name": "web-1",
                "apiVersion": "v1", "subresource": "exec"},
            "responseStatus": {"metadata": {}, "code": 101},
            "requestReceivedTimestamp": "2024-04-10T09:30:00.000100Z",
            "stageTimestamp": "2024-04-10T09:30:05.000000Z",
            "annotations": {"authorization.k8s.io/decision": "allow"}
        }));

        assert_eq!(store.log_source(0), "kubernetes:audit");
        assert_eq!(store.events()[0].platform, Platform::Containers);
        assert_eq!(store.events()[0].timestamp, 1_712_741_400_000_100_000);
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("alice")));
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("198.51.100.4"))
        );
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("create"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
        assert_eq!(
            store.field(0, "kubernetes.audit.objectRef.subresource"),
            Some(ValueRef::Str("exec"))
        );
        assert_eq!(
            store.field(0, "kubernetes.audit.user.groups"),
            Some(ValueRef::List(vec![
                ValueRef::Str("dev"),
                ValueRef::Str("system:authenticated")
            ]))
        );
    }

    #[test]
    fn outcome_rules() {
        assert_eq!(outcome(Some(403), None), Some("failure"));
        assert_eq!(outcome(Some(200), Some("forbid")), Some("failure"));
        assert_eq!(outcome(Some(201), Some("allow")), Some("success"));
        assert_eq!(outcome(None, None), None);
    }

    #[test]
    fn other_kinds_are_rejected() {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let pod = json!({"kind": "Pod", "verb": "get"});
        let no_verb = json!({"kind": "Event", "stageTimestamp": "2024-04-10T09:30:00Z"});

        assert!(map_record(&pod, origin).unwrap_err().contains("kind Pod"));
        assert!(
            map_record(&no_verb, origin)
                .unwrap_err()
                .contains("no verb")
        );
    }
}
