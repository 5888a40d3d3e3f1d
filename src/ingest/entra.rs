//! Microsoft Entra ID (Azure AD) audit and sign-in logs, mapped to ECS and to the
//! `azure.auditlogs.*` and `azure.signinlogs.*` fields of Elastic's `azure` integration.
//!
//! Three shapes of each log are read: Microsoft Graph records (`activityDisplayName`,
//! `createdDateTime`), Azure Monitor diagnostic records (`time`, `category`, `properties`), and
//! Sentinel `AuditLogs` / `SigninLogs` rows, whose nested fields (`InitiatedBy`,
//! `TargetResources`, `Status`…) are JSON-encoded strings. Key case is ignored because the
//! three spell the same field differently.
#![doc = include_str!("entra_mapping.md")]

use serde_json::{Map, Value};

use super::json_records::{add_flattened, lookup_text, parse_time};
use super::m365::{add_user, client_ip};
use crate::store::{EventBuilder, Origin, Platform};

/// The ATT&CK log source name of Entra ID audit logs.
pub const AUDIT_LOG_SOURCE: &str = "azure:audit";

/// The ATT&CK log source name of Entra ID sign-in logs.
pub const SIGNIN_LOG_SOURCE: &str = "azure:signinlogs";

/// Maximum object depth of a record flattened into `azure.*` fields.
const FLATTEN_DEPTH: u32 = 4;

/// Maps one audit or sign-in record to an event.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let fields = normalize(record).ok_or("record is not a JSON object")?;
    let get = |key: &str| lookup_text(&fields, key);
    let timestamp = [
        "activitydatetime",
        "createddatetime",
        "timegenerated",
        "time",
    ]
    .iter()
    .filter_map(|key| get(key))
    .find_map(|text| parse_time(&text))
    .ok_or("record has no valid activityDateTime, createdDateTime, TimeGenerated or time")?;

    let is_signin = get("userprincipalname").is_some() && get("activitydisplayname").is_none();
    let is_audit = get("activitydisplayname").is_some();
    if !is_signin && !is_audit {
        return Err(
            "record is neither an Entra ID audit record (activityDisplayName) nor a \
                    sign-in record (userPrincipalName)"
                .to_owned(),
        );
    }
    let (log_source, prefix) = if is_audit {
        (AUDIT_LOG_SOURCE, "azure.auditlogs")
    } else {
        (SIGNIN_LOG_SOURCE, "azure.signinlogs")
    };
    let mut builder = EventBuilder::new(timestamp, log_source, Platform::IdentityProvider, origin);
    builder.field("event.kind", "event");
    if let Some(tenant) = get("tenantid").or_else(|| get("aadtenantid")) {
        builder.field("azure.tenant_id", tenant);
    }
    if let Some(correlation) = get("correlationid") {
        builder.field("azure.correlation_id", correlation);
    }
    if is_audit {
        map_audit(&mut builder, &fields);
    } else {
        map_signin(&mut builder, &fields);
    }
    if let Value::Object(object) = &fields {
        for (key, value) in object {
            add_flattened(
                &mut builder,
                &format!("{prefix}.{key}"),
                value,
                FLATTEN_DEPTH,
            );
        }
    }
    Ok(builder)
}

fn map_audit(builder: &mut EventBuilder, fields: &Value) {
    let get = |key: &str| lookup_text(fields, key);
    builder.field("event.category", "iam");
    if let Some(action) = get("activitydisplayname") {
        builder.field("event.action", action);
    }
    if let Some(service) = get("loggedbyservice") {
        builder.field("event.provider", service);
    }
    if let Some(id) = get("id") {
        builder.field("event.id", id);
    }
    if let Some(result) = get("result") {
        builder.field("event.outcome", outcome(&result));
    }
    let user =
        get("initiatedby.user.userprincipalname").or_else(|| get("initiatedby.app.displayname"));
    if let Some(user) = user {
        add_user(builder, &user);
    }
    if let Some(id) =
        get("initiatedby.user.id").or_else(|| get("initiatedby.app.serviceprincipalid"))
    {
        builder.field("user.id", id);
    }
    if let Some(ip) = get("initiatedby.user.ipaddress")
        .as_deref()
        .and_then(client_ip)
    {
        builder.field("source.ip", ip);
    }
    if let Some(agent) = get("useragent") {
        builder.field("user_agent.original", agent);
    }
    // The first target is the object acted on; `user.target.*` needs a user principal name.
    if let Some(Value::Array(targets)) = fields.get("targetresources")
        && let Some(first) = targets.first().map(normalize_object)
    {
        if let Some(name) = lookup_text(&first, "userprincipalname") {
            builder.field("user.target.name", name);
        }
        if let Some(name) = lookup_text(&first, "displayname") {
            builder.field("azure.auditlogs.target.display_name", name);
        }
    }
}

fn map_signin(builder: &mut EventBuilder, fields: &Value) {
    let get = |key: &str| lookup_text(fields, key);
    builder.field("event.category", "authentication");
    builder.field("event.action", "Sign-in activity");
    if let Some(id) = get("id") {
        builder.field("event.id", id);
    }
    if let Some(user) = get("userprincipalname") {
        add_user(builder, &user);
    }
    if let Some(id) = get("userid") {
        builder.field("user.id", id);
    }
    if let Some(ip) = get("ipaddress").as_deref().and_then(client_ip) {
        builder.field("source.ip", ip);
    }
    if let Some(agent) = get("useragent") {
        builder.field("user_agent.original", agent);
    }
    // Graph and Sentinel give 0 for a successful sign-in and an AADSTS error number otherwise.
    let code = get("status.errorcode").or_else(|| get("resulttype"));
    if let Some(code) = code {
        let outcome = if code.trim() == "0" {
            "success"
        } else {
            "failure"
        };
        builder.field("event.outcome", outcome);
    }
}

/// `success` or `failure` from an audit record's `result`.
fn outcome(result: &str) -> &'static str {
    if result.eq_ignore_ascii_case("success") {
        "success"
    } else {
        "failure"
    }
}

/// Returns the record with lowercase keys, Azure Monitor's `properties` merged into the top
/// level, and JSON-encoded string values (Sentinel's) decoded.
fn normalize(record: &Value) -> Option<Value> {
    let object = record.as_object()?;
    let mut merged = normalize_map(object);
    if let Some(Value::Object(properties)) = merged.remove("properties") {
        for (key, value) in properties {
            merged.entry(key).or_insert(value);
        }
    }
    Some(Value::Object(merged))
}

fn normalize_object(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(normalize_map(object)),
        Value::Array(items) => Value::Array(items.iter().map(normalize_object).collect()),
        Value::String(text) => match decode_json_string(text) {
            Some(decoded) => normalize_object(&decoded),
            None => value.clone(),
        },
        other => other.clone(),
    }
}

fn normalize_map(object: &Map<String, Value>) -> Map<String, Value> {
    object
        .iter()
        .map(|(key, value)| (key.to_ascii_lowercase(), normalize_object(value)))
        .collect()
}

/// Decodes a string that contains a JSON object or array. Other strings stay text.
fn decode_json_string(text: &str) -> Option<Value> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

/// Renders the mapping as the Markdown in `entra_mapping.md`.
pub fn mapping_markdown() -> String {
    String::from(
        "# Microsoft Entra ID field mapping\n\n\
         Keys are matched ignoring case; Azure Monitor's `properties` object is merged into the \
         top level, and Sentinel's JSON-encoded strings are decoded. Every event gets platform \
         `Identity Provider`, `event.kind` `event`, `azure.tenant_id` from `tenantId` (or \
         `AADTenantId`) and `azure.correlation_id` from `correlationId`.\n\n\
         ## Audit logs (`log.source` `azure:audit`)\n\n\
         A record with `activityDisplayName` is an audit record.\n\n\
         | ECS field | audit record field |\n|---|---|\n\
         | `@timestamp` | `activityDateTime`, else `TimeGenerated`, else `time` |\n\
         | `event.category` | always `iam` |\n\
         | `event.action` | `activityDisplayName` |\n\
         | `event.provider` | `loggedByService` |\n\
         | `event.id` | `id` |\n\
         | `event.outcome` | `result`: `success` is `success`, anything else `failure` |\n\
         | `user.name`, `user.domain`, `user.email` | `initiatedBy.user.userPrincipalName` split \
         at `@`, else `initiatedBy.app.displayName` |\n\
         | `user.id` | `initiatedBy.user.id`, else `initiatedBy.app.servicePrincipalId` |\n\
         | `source.ip` | `initiatedBy.user.ipAddress` |\n\
         | `user_agent.original` | `userAgent` |\n\
         | `user.target.name` | `targetResources[0].userPrincipalName` |\n\
         | `azure.auditlogs.target.display_name` | `targetResources[0].displayName` |\n\
         | `azure.auditlogs.<key>` | every field, lowercase, nested objects flattened |\n\n\
         ## Sign-in logs (`log.source` `azure:signinlogs`)\n\n\
         A record with `userPrincipalName` and no `activityDisplayName` is a sign-in record.\n\n\
         | ECS field | sign-in record field |\n|---|---|\n\
         | `@timestamp` | `createdDateTime`, else `TimeGenerated`, else `time` |\n\
         | `event.category` | always `authentication` |\n\
         | `event.action` | always `Sign-in activity` |\n\
         | `event.id` | `id` |\n\
         | `user.name`, `user.domain`, `user.email` | `userPrincipalName` split at `@` |\n\
         | `user.id` | `userId` |\n\
         | `source.ip` | `ipAddress` |\n\
         | `user_agent.original` | `userAgent` |\n\
         | `event.outcome` | `status.errorCode`, else `ResultType`: `0` is `success`, any other \
         code `failure` |\n\
         | `azure.signinlogs.<key>` | every field, lowercase, nested objects flattened |\n",
    )
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
            format: "entra-id",
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
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/entra_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("entra_mapping.md") == generated,
            "entra_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn sentinel_audit_row_decodes_strings() {
        let store = load(json!({
            "TimeGenerated": "2021-08-02T13:29:25.983Z", "Type": "AuditLogs",
            "ActivityDisplayName": "Add member to role", "Result": "success",
            "LoggedByService": "Core Directory",
            "InitiatedBy": "{\"user\":{\"id\":\"u1\",\"userPrincipalName\":\"admin@contoso.com\",\"ipAddress\":\"10.1.2.3\"}}",
            "TargetResources": "[{\"userPrincipalName\":\"eve@contoso.com\",\"displayName\":\"Eve\"}]"
        }));

        assert_eq!(store.log_source(0), "azure:audit");
        assert_eq!(store.events()[0].platform, Platform::IdentityProvider);
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("Add member to role"))
        );
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("admin")));
        assert_eq!(store.field(0, "user.id"), Some(ValueRef::Str("u1")));
        assert_eq!(store.field(0, "source.ip"), Some(ValueRef::Str("10.1.2.3")));
        assert_eq!(
            store.field(0, "user.target.name"),
            Some(ValueRef::Str("eve@contoso.com"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
        assert_eq!(
            store.field(0, "azure.auditlogs.initiatedby.user.userprincipalname"),
            Some(ValueRef::Str("admin@contoso.com"))
        );
    }

    #[test]
    fn graph_signin_maps() {
        let store = load(json!({
            "id": "s1", "createdDateTime": "2024-01-01T10:00:00Z",
            "userPrincipalName": "bob@contoso.com", "userId": "u2", "appDisplayName": "Azure Portal",
            "ipAddress": "198.51.100.7", "status": {"errorCode": 50126}
        }));

        assert_eq!(store.log_source(0), "azure:signinlogs");
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("bob")));
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("198.51.100.7"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("failure"))
        );
        assert_eq!(
            store.field(0, "azure.signinlogs.appdisplayname"),
            Some(ValueRef::Str("Azure Portal"))
        );
    }

    #[test]
    fn azure_monitor_signin_merges_properties() {
        let store = load(json!({
            "time": "2024-01-01T10:00:00Z", "category": "SignInLogs",
            "properties": {"userPrincipalName": "carol@contoso.com", "status": {"errorCode": 0}}
        }));

        assert_eq!(store.log_source(0), "azure:signinlogs");
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
    }

    #[test]
    fn unrelated_record_is_rejected() {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let record = json!({"time": "2024-01-01T10:00:00Z", "foo": 1});
        assert!(map_record(&record, origin).unwrap_err().contains("neither"));
    }
}
