//! Okta System Log events (`LogEvent` objects of the System Log API, as `GET /api/v1/logs`
//! returns them in a JSON array, or one per line), mapped to ECS as Elastic's `okta`
//! integration does.
//!
//! ATT&CK 18.1 names Okta's log `saas:okta` in 14 analytics and `Okta:SystemLog` in 2. Events
//! get `saas:okta`, because every data component that lists `Okta:SystemLog` (User Account
//! Authentication, User Account Modification, Logon Session Creation) also lists `saas:okta`.
//! An executable analytic written for either name can therefore read them.
#![doc = include_str!("okta_mapping.md")]

use serde_json::Value;

use super::json_records::{add_flattened, lookup, lookup_text, parse_time};
use super::m365::add_user;
use crate::store::{EventBuilder, Origin, PendingValue, Platform};

/// The ATT&CK log source name given to Okta System Log events.
pub const LOG_SOURCE: &str = "saas:okta";

/// Maximum object depth of an event flattened into `okta.*` fields.
const FLATTEN_DEPTH: u32 = 4;

/// Event fields copied unchanged: (Okta path, ECS field).
const COPIED: &[(&str, &str)] = &[
    ("uuid", "event.id"),
    ("eventType", "event.action"),
    ("displayMessage", "message"),
    ("outcome.reason", "event.reason"),
    ("severity", "log.level"),
    ("actor.id", "user.id"),
    ("actor.displayName", "user.full_name"),
    ("client.ipAddress", "source.ip"),
    ("client.ipAddress", "client.ip"),
    ("client.userAgent.rawUserAgent", "user_agent.original"),
    ("client.geographicalContext.city", "client.geo.city_name"),
    ("client.geographicalContext.state", "client.geo.region_name"),
    (
        "client.geographicalContext.country",
        "client.geo.country_name",
    ),
    ("securityContext.domain", "source.domain"),
    ("securityContext.asOrg", "client.as.organization.name"),
];

/// `event.category` and `event.type` of event types, from the lists in Elastic's `okta`
/// ingest pipeline: (event types, categories, types).
const CATEGORIES: &[(&[&str], &[&str], &[&str])] = &[
    (
        &["user.session.start"],
        &["authentication", "session"],
        &["start", "user"],
    ),
    (
        &["user.session.end"],
        &["authentication", "session"],
        &["end", "user"],
    ),
    (&["user.authentication.sso"], &["authentication"], &["user"]),
    (&["policy.evaluate_sign_on"], &["authentication"], &["info"]),
    (&["user.lifecycle.create"], &["iam"], &["user", "creation"]),
    (
        &[
            "user.lifecycle.activate",
            "user.lifecycle.deactivate",
            "user.lifecycle.suspend",
            "user.lifecycle.unsuspend",
        ],
        &["iam"],
        &["user", "change"],
    ),
    (
        &["group.user_membership.add", "group.user_membership.remove"],
        &["iam"],
        &["group", "change"],
    ),
    (
        &["policy.lifecycle.create", "application.lifecycle.create"],
        &["configuration"],
        &["creation"],
    ),
    (
        &["policy.lifecycle.delete", "application.lifecycle.delete"],
        &["configuration"],
        &["deletion"],
    ),
    (
        &[
            "policy.lifecycle.activate",
            "policy.lifecycle.deactivate",
            "policy.lifecycle.update",
            "policy.rule.activate",
            "policy.rule.add",
            "policy.rule.deactivate",
            "policy.rule.update",
        ],
        &["configuration"],
        &["change"],
    ),
    (
        &[
            "application.lifecycle.activate",
            "application.lifecycle.deactivate",
            "application.lifecycle.update",
            "policy.rule.delete",
        ],
        &["configuration"],
        &[],
    ),
    (&["security.request.blocked"], &[], &["network"]),
];

/// Maps one System Log event to an event.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let event_type = lookup_text(record, "eventType")
        .ok_or("record has no eventType; it is not an Okta LogEvent")?;
    let timestamp = lookup_text(record, "published")
        .and_then(|text| parse_time(&text))
        .ok_or("record has no valid published time")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::IdentityProvider, origin);
    builder.field("event.kind", "event");
    for (source, target) in COPIED {
        if let Some(value) = lookup_text(record, source) {
            builder.field(*target, value);
        }
    }
    if let Some(login) = lookup_text(record, "actor.alternateId") {
        add_user(&mut builder, &login);
    }
    builder.field("event.outcome", outcome(record));
    if let Some((_, categories, types)) = CATEGORIES
        .iter()
        .find(|(event_types, _, _)| event_types.contains(&event_type.as_str()))
    {
        add_list(&mut builder, "event.category", categories);
        add_list(&mut builder, "event.type", types);
    }
    add_targets(&mut builder, record);
    add_flattened(&mut builder, "okta", record, FLATTEN_DEPTH);
    Ok(builder)
}

/// Returns `event.outcome` for `outcome.result`, as Elastic maps it: `SUCCESS` and `ALLOW` are
/// `success`, `FAILURE` and `DENY` are `failure`, anything else (`CHALLENGE`, `SKIPPED`,
/// `UNKNOWN`, none) is `unknown`.
fn outcome(record: &Value) -> &'static str {
    let result = lookup_text(record, "outcome.result").unwrap_or_default();
    match result.to_ascii_lowercase().as_str() {
        "success" | "allow" => "success",
        "failure" | "deny" => "failure",
        _ => "unknown",
    }
}

fn add_list(builder: &mut EventBuilder, name: &'static str, values: &[&str]) {
    if !values.is_empty() {
        let list = values.iter().map(|value| (*value).into()).collect();
        builder.field(name, PendingValue::List(list));
    }
}

/// Adds `user.target.*` from the first target whose type names a user and
/// `user.target.group.*` from the first that names a group, and lists every target's id,
/// type, alternate id and display name.
fn add_targets(builder: &mut EventBuilder, record: &Value) {
    let Some(Value::Array(targets)) = lookup(record, "target") else {
        return;
    };
    let type_contains = |target: &&Value, word: &str| {
        lookup_text(target, "type").is_some_and(|kind| kind.to_ascii_lowercase().contains(word))
    };
    if let Some(user) = targets.iter().find(|t| type_contains(t, "user")) {
        for (source, target) in [
            ("id", "user.target.id"),
            ("displayName", "user.target.full_name"),
            ("alternateId", "user.target.email"),
        ] {
            if let Some(value) = lookup_text(user, source) {
                builder.field(target, value);
            }
        }
    }
    if let Some(group) = targets.iter().find(|t| type_contains(t, "group")) {
        for (source, target) in [
            ("id", "user.target.group.id"),
            ("displayName", "user.target.group.name"),
        ] {
            if let Some(value) = lookup_text(group, source) {
                builder.field(target, value);
            }
        }
    }
    for key in ["id", "type", "alternateId", "displayName"] {
        let values: Vec<PendingValue> = targets
            .iter()
            .filter_map(|target| lookup_text(target, key))
            .map(PendingValue::from)
            .collect();
        if !values.is_empty() {
            builder.field(format!("okta.target.{key}"), PendingValue::List(values));
        }
    }
}

/// Renders the mapping tables as the Markdown in `okta_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# Okta System Log field mapping\n\n\
         Every `LogEvent` becomes one event with `log.source` `saas:okta` and platform \
         `Identity Provider`. ATT&CK 18.1 calls Okta's log `saas:okta` in 14 analytics and \
         `Okta:SystemLog` in two. The data components those two analytics reference (User \
         Account Authentication, Logon Session Creation) list `saas:okta` as well, so \
         executable analytics for them can read these events, although coverage counts their \
         `Okta:SystemLog` reference as missing. Field choices follow Elastic's `okta` \
         integration.\n\n\
         | ECS field | LogEvent field |\n|---|---|\n\
         | `@timestamp` | `published` |\n\
         | `event.kind` | always `event` |\n",
    );
    for (source, target) in COPIED {
        out.push_str(&format!("| `{target}` | `{source}` |\n"));
    }
    out.push_str(
        "| `user.email`, `user.name`, `user.domain` | `actor.alternateId` split at `@` |\n\
         | `event.outcome` | `outcome.result`: `SUCCESS` and `ALLOW` are `success`, \
         `FAILURE` and `DENY` are `failure`, and anything else is `unknown` |\n\
         | `user.target.id`, `user.target.full_name`, `user.target.email` | `id`, \
         `displayName`, `alternateId` of the first `target` whose type contains `user` |\n\
         | `user.target.group.id`, `user.target.group.name` | `id`, `displayName` of the \
         first `target` whose type contains `group` |\n\
         | `okta.target.id`, `okta.target.type`, `okta.target.alternateId`, \
         `okta.target.displayName` | that field of every `target`, as a list |\n\
         | `okta.<path>` | every field, nested objects flattened with dots (arrays of objects \
         as compact JSON) |\n\n\
         `event.category` and `event.type` by `eventType`:\n\n\
         | eventType | `event.category` | `event.type` |\n|---|---|---|\n",
    );
    for (event_types, categories, types) in CATEGORIES {
        let quote = |values: &[&str]| {
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            quote(event_types),
            quote(categories),
            quote(types)
        ));
    }
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
            path: "okta.json".into(),
            format: "okta-system-log",
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
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/okta_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("okta_mapping.md") == generated,
            "okta_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn session_start_maps_actor_client_and_category() {
        let store = load(json!({
            "uuid": "u1", "published": "2024-02-01T08:00:00.123Z",
            "eventType": "user.session.start", "displayMessage": "User login to Okta",
            "actor": {"id": "00u1", "type": "User", "alternateId": "kim@example.org",
                "displayName": "Kim Lee"},
            "client": {"ipAddress": "192.0.2.10", "userAgent": {"rawUserAgent": "curl/8"}},
            "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
            "target": [{"id": "00u1", "type": "User", "alternateId": "kim@example.org"}]
        }));

        assert_eq!(store.log_source(0), "saas:okta");
        assert_eq!(store.events()[0].platform, Platform::IdentityProvider);
        assert_eq!(store.events()[0].timestamp, 1_706_774_400_123_000_000);
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("kim")));
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("192.0.2.10"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("failure"))
        );
        assert_eq!(
            store.field(0, "event.category"),
            Some(ValueRef::List(vec![
                ValueRef::Str("authentication"),
                ValueRef::Str("session")
            ]))
        );
        assert_eq!(
            store.field(0, "user.target.email"),
            Some(ValueRef::Str("kim@example.org"))
        );
        assert_eq!(
            store.field(0, "okta.outcome.reason"),
            Some(ValueRef::Str("INVALID_CREDENTIALS"))
        );
    }

    #[test]
    fn missing_event_type_or_time_is_rejected() {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let no_type = json!({"published": "2024-02-01T08:00:00Z"});
        let no_time = json!({"eventType": "user.session.start", "published": "yesterday"});

        assert!(
            map_record(&no_type, origin)
                .unwrap_err()
                .contains("eventType")
        );
        assert!(
            map_record(&no_time, origin)
                .unwrap_err()
                .contains("published")
        );
    }

    #[test]
    fn unknown_result_is_unknown() {
        assert_eq!(
            outcome(&json!({"outcome": {"result": "CHALLENGE"}})),
            "unknown"
        );
        assert_eq!(outcome(&json!({})), "unknown");
        assert_eq!(outcome(&json!({"outcome": {"result": "ALLOW"}})), "success");
    }
}
