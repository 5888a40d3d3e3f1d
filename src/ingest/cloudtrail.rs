//! AWS CloudTrail records, mapped to ECS and to the `aws.cloudtrail.*` fields that Elastic's
//! Filebeat `aws` module documents (exported fields, `cloudtrail` fileset).
//!
//! Files come as CloudTrail's own `{"Records": [...]}` delivery files, JSON arrays, JSON lines
//! (Logstash adds `@timestamp` and `@version` and may drop `eventTime`) or single records;
//! [`super::json_records`] splits them into records.
#![doc = include_str!("cloudtrail_mapping.md")]

use std::net::Ipv4Addr;

use serde_json::Value;

use super::json_records::{add_flattened, lookup, lookup_text, parse_time};
use crate::store::{EventBuilder, Origin, Platform};

/// The ATT&CK log source name of CloudTrail.
pub const LOG_SOURCE: &str = "AWS:CloudTrail";

/// Maximum object depth of request parameters and response elements flattened into fields.
const FLATTEN_DEPTH: u32 = 4;

/// Record fields copied unchanged: (CloudTrail path, ECS field).
const COPIED: &[(&str, &str)] = &[
    ("eventName", "event.action"),
    ("eventSource", "event.provider"),
    ("eventID", "event.id"),
    ("awsRegion", "cloud.region"),
    ("userAgent", "user_agent.original"),
    ("userIdentity.principalId", "user.id"),
    ("eventVersion", "aws.cloudtrail.event_version"),
    ("eventType", "aws.cloudtrail.event_type"),
    ("eventCategory", "aws.cloudtrail.event_category"),
    ("requestID", "aws.cloudtrail.request_id"),
    ("sharedEventID", "aws.cloudtrail.shared_event_id"),
    ("apiVersion", "aws.cloudtrail.api_version"),
    ("recipientAccountId", "aws.cloudtrail.recipient_account_id"),
    ("errorCode", "aws.cloudtrail.error_code"),
    ("errorMessage", "aws.cloudtrail.error_message"),
    ("vpcEndpointId", "aws.cloudtrail.vpc_endpoint_id"),
    ("userIdentity.type", "aws.cloudtrail.user_identity.type"),
    ("userIdentity.arn", "aws.cloudtrail.user_identity.arn"),
    (
        "userIdentity.accountId",
        "aws.cloudtrail.user_identity.account_id",
    ),
    (
        "userIdentity.accessKeyId",
        "aws.cloudtrail.user_identity.access_key_id",
    ),
    (
        "userIdentity.invokedBy",
        "aws.cloudtrail.user_identity.invoked_by",
    ),
    (
        "userIdentity.sessionContext.attributes.mfaAuthenticated",
        "aws.cloudtrail.user_identity.session_context.mfa_authenticated",
    ),
    (
        "userIdentity.sessionContext.attributes.creationDate",
        "aws.cloudtrail.user_identity.session_context.creation_date",
    ),
    (
        "userIdentity.sessionContext.sessionIssuer.type",
        "aws.cloudtrail.user_identity.session_context.session_issuer.type",
    ),
    (
        "userIdentity.sessionContext.sessionIssuer.arn",
        "aws.cloudtrail.user_identity.session_context.session_issuer.arn",
    ),
    (
        "userIdentity.sessionContext.sessionIssuer.userName",
        "aws.cloudtrail.user_identity.session_context.session_issuer.user_name",
    ),
    (
        "additionalEventData.MFAUsed",
        "aws.cloudtrail.console_login.additional_eventdata.mfa_used",
    ),
    ("tlsDetails.tlsVersion", "tls.version_protocol"),
    ("tlsDetails.cipherSuite", "tls.cipher"),
    (
        "tlsDetails.clientProvidedHostHeader",
        "tls.client.server_name",
    ),
];

/// Nested record parts kept as compact JSON text and as flattened fields:
/// (CloudTrail key, ECS text field, flattened prefix).
const NESTED: &[(&str, &str, &str)] = &[
    (
        "requestParameters",
        "aws.cloudtrail.request_parameters",
        "aws.cloudtrail.flattened.request_parameters",
    ),
    (
        "responseElements",
        "aws.cloudtrail.response_elements",
        "aws.cloudtrail.flattened.response_elements",
    ),
    (
        "additionalEventData",
        "aws.cloudtrail.additional_eventdata",
        "aws.cloudtrail.flattened.additional_eventdata",
    ),
    (
        "serviceEventDetails",
        "aws.cloudtrail.service_event_details",
        "aws.cloudtrail.flattened.service_event_details",
    ),
];

/// Maps one CloudTrail record to an event.
pub(crate) fn map_record(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let event_name =
        lookup_text(record, "eventName").ok_or("record has no eventName; it is not CloudTrail")?;
    let timestamp = ["eventTime", "@timestamp"]
        .iter()
        .filter_map(|key| lookup_text(record, key))
        .find_map(|text| parse_time(&text))
        .ok_or("record has no valid eventTime or @timestamp")?;

    let mut builder = EventBuilder::new(timestamp, LOG_SOURCE, Platform::Iaas, origin);
    builder.field("event.kind", "event");
    builder.field("cloud.provider", "aws");
    for (source, target) in COPIED {
        if let Some(value) = lookup_text(record, source) {
            builder.field(*target, value);
        }
    }
    if let Some(account) = lookup_text(record, "recipientAccountId")
        .or_else(|| lookup_text(record, "userIdentity.accountId"))
    {
        builder.field("cloud.account.id", account);
    }
    for key in ["readOnly", "managementEvent"] {
        if let Some(Value::Bool(flag)) = lookup(record, key) {
            let target = if key == "readOnly" {
                "aws.cloudtrail.read_only"
            } else {
                "aws.cloudtrail.management_event"
            };
            builder.field(target, *flag);
        }
    }
    if let Some(name) = user_name(record) {
        builder.field("user.name", name);
    }
    if let Some(address) = lookup_text(record, "sourceIPAddress") {
        add_source(&mut builder, &address);
    }
    builder.field("event.outcome", outcome(record, &event_name));
    for (key, text_field, prefix) in NESTED {
        if let Some(value) = lookup(record, key).filter(|v| !v.is_null()) {
            builder.field(*text_field, value.to_string());
            add_flattened(&mut builder, prefix, value, FLATTEN_DEPTH);
        }
    }
    if let Some(Value::Array(resources)) = lookup(record, "resources") {
        let arns: Vec<String> = resources
            .iter()
            .filter_map(|r| lookup_text(r, "ARN"))
            .collect();
        if !arns.is_empty() {
            builder.field(
                "aws.cloudtrail.resources.arn",
                crate::store::PendingValue::List(arns.into_iter().map(Into::into).collect()),
            );
        }
    }
    Ok(builder)
}

/// Returns the acting user's name: the IAM user name, the name of the role a session was issued for,
/// or the last part of the identity's ARN (`root` for the root user).
fn user_name(record: &Value) -> Option<String> {
    lookup_text(record, "userIdentity.userName")
        .or_else(|| lookup_text(record, "userIdentity.sessionContext.sessionIssuer.userName"))
        .or_else(|| {
            let arn = lookup_text(record, "userIdentity.arn")?;
            let resource = arn.rsplit(':').next()?;
            Some(resource.rsplit('/').next().unwrap_or(resource).to_owned())
        })
        .filter(|name| !name.is_empty())
}

/// `failure` when the call returned an error code or a console sign-in failed, else `success`.
fn outcome(record: &Value, event_name: &str) -> &'static str {
    if lookup_text(record, "errorCode").is_some_and(|code| !code.is_empty()) {
        return "failure";
    }
    if event_name == "ConsoleLogin"
        && lookup_text(record, "responseElements.ConsoleLogin").as_deref() == Some("Failure")
    {
        return "failure";
    }
    "success"
}

/// Adds `source.address` and either `source.ip` or, for AWS service callers such as
/// `ec2.amazonaws.com`, `source.domain`.
///
/// IPv4 octets with leading zeros (`075.050.255.67`, as some anonymized samples write them)
/// are read as decimal and written without the zeros, so `source.ip` is always a valid address.
fn add_source(builder: &mut EventBuilder, address: &str) {
    builder.field("source.address", address);
    if address.parse::<std::net::IpAddr>().is_ok() {
        builder.field("source.ip", address);
    } else if let Some(ip) = decimal_ipv4(address) {
        builder.field("source.ip", ip.to_string());
    } else {
        builder.field("source.domain", address);
    }
}

fn decimal_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// Renders the mapping tables as the Markdown in `cloudtrail_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# AWS CloudTrail field mapping\n\n\
         Every record becomes one event with `log.source` `AWS:CloudTrail` and platform \
         `IaaS`. Field names follow the `aws.cloudtrail.*` fields of Elastic's Filebeat `aws` module.\n\n\
         | ECS field | CloudTrail field |\n|---|---|\n",
    );
    out.push_str("| `@timestamp` | `eventTime`, else Logstash's `@timestamp` |\n");
    out.push_str("| `event.kind` | always `event` |\n");
    out.push_str("| `cloud.provider` | always `aws` |\n");
    for (source, target) in COPIED {
        out.push_str(&format!("| `{target}` | `{source}` |\n"));
    }
    out.push_str(
        "| `cloud.account.id` | `recipientAccountId`, else `userIdentity.accountId` |\n\
         | `aws.cloudtrail.read_only`, `aws.cloudtrail.management_event` | `readOnly`, \
         `managementEvent` |\n\
         | `user.name` | `userIdentity.userName`, else \
         `userIdentity.sessionContext.sessionIssuer.userName`, else the last part of \
         `userIdentity.arn` |\n\
         | `source.address` | `sourceIPAddress` as written |\n\
         | `source.ip` | `sourceIPAddress` when it is an address; leading zeros of IPv4 octets \
         dropped |\n\
         | `source.domain` | `sourceIPAddress` when it is a service name |\n\
         | `event.outcome` | `failure` when `errorCode` is set or `responseElements.ConsoleLogin` \
         is `Failure`, else `success` |\n\
         | `aws.cloudtrail.resources.arn` | every `resources[].ARN` |\n",
    );
    for (source, text_field, prefix) in NESTED {
        out.push_str(&format!(
            "| `{text_field}` (compact JSON), `{prefix}.*` | `{source}` |\n"
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
            path: "t.json".into(),
            format: "cloudtrail",
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
            "/src/ingest/cloudtrail_mapping.md"
        );
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("cloudtrail_mapping.md") == generated,
            "cloudtrail_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn assumed_role_call_with_error() {
        let store = load(json!({
            "eventVersion": "1.08", "eventTime": "2024-08-02T08:53:24Z",
            "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstanceAttribute",
            "awsRegion": "eu-west-2r", "sourceIPAddress": "075.050.255.67",
            "userAgent": "aws-cli/2", "errorCode": "Client.UnauthorizedOperation",
            "recipientAccountId": "562283505220", "readOnly": true,
            "requestParameters": {"instanceId": "i-1", "attribute": "userData"},
            "userIdentity": {"type": "AssumedRole", "principalId": "AROA:x",
                "arn": "arn:aws:sts::562283505220:assumed-role/role-a/session",
                "sessionContext": {"sessionIssuer": {"userName": "role-a"}}}
        }));

        assert_eq!(store.log_source(0), "AWS:CloudTrail");
        assert_eq!(store.events()[0].platform, Platform::Iaas);
        assert_eq!(store.events()[0].timestamp, 1_722_588_804_000_000_000);
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("DescribeInstanceAttribute"))
        );
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("role-a")));
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("75.50.255.67"))
        );
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("failure"))
        );
        assert_eq!(
            store.field(0, "cloud.account.id"),
            Some(ValueRef::Str("562283505220"))
        );
        assert_eq!(
            store.field(0, "aws.cloudtrail.flattened.request_parameters.attribute"),
            Some(ValueRef::Str("userData"))
        );
        assert_eq!(
            store.field(0, "aws.cloudtrail.read_only"),
            Some(ValueRef::Bool(true))
        );
    }

    #[test]
    fn service_caller_and_logstash_time() {
        let store = load(json!({
            "@timestamp": "2020-09-14T00:44:23.000Z", "@version": "1",
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "sourceIPAddress": "ec2.amazonaws.com",
            "userIdentity": {"type": "IAMUser", "userName": "pedro",
                "arn": "arn:aws:iam::123:user/pedro"}
        }));

        assert_eq!(store.events()[0].timestamp, 1_600_044_263_000_000_000);
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("pedro")));
        assert_eq!(
            store.field(0, "source.domain"),
            Some(ValueRef::Str("ec2.amazonaws.com"))
        );
        assert_eq!(store.field(0, "source.ip"), None);
        assert_eq!(
            store.field(0, "event.outcome"),
            Some(ValueRef::Str("success"))
        );
    }

    #[test]
    fn root_user_name_from_arn() {
        let record = json!({"userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"}});
        assert_eq!(user_name(&record).as_deref(), Some("root"));
    }

    #[test]
    fn failed_console_login_is_failure() {
        let record = json!({"responseElements": {"ConsoleLogin": "Failure"}});
        assert_eq!(outcome(&record, "ConsoleLogin"), "failure");
    }

    #[test]
    fn record_without_time_is_rejected() {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let record = json!({"eventName": "GetObject", "eventTime": "soon"});
        assert!(
            map_record(&record, origin)
                .unwrap_err()
                .contains("eventTime")
        );
    }

    #[test]
    fn decimal_ipv4_reads_leading_zeros() {
        assert_eq!(
            decimal_ipv4("253.252.51.07"),
            Some(Ipv4Addr::new(253, 252, 51, 7))
        );
        assert_eq!(decimal_ipv4("256.1.1.1"), None);
        assert_eq!(decimal_ipv4("1.2.3"), None);
        assert_eq!(decimal_ipv4("1.2.3.4.5"), None);
        assert_eq!(decimal_ipv4("a.b.c.d"), None);
    }
}
