//! Content detection for the cloud and SaaS formats read by [`super::aws_vpc_flow`],
//! [`super::m365_csv`], [`super::okta`], [`super::gcp_audit`] and
//! [`super::kubernetes_audit`], called from [`super::detect`].

use super::Format;
use super::aws_vpc_flow::looks_like_vpc_flow;
use super::gcp_audit::AUDIT_LOG_TYPE;
use super::m365_csv::looks_like_m365_csv;
use super::sniff::has_key;

/// Detects one of the cloud formats from a file's first bytes, or returns `None` to let the
/// other detectors decide.
///
/// JSON is recognized by keys only its producer writes, anywhere in the prefix, because the
/// prefix may end inside the first record and exporters order keys differently.
pub(crate) fn detect(prefix: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(prefix);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        if looks_like_m365_csv(text) {
            return Some(Format::M365Csv);
        }
        if looks_like_vpc_flow(text) {
            return Some(Format::AwsVpcFlow);
        }
        return None;
    }
    let bytes = trimmed.as_bytes();
    let has = |key: &str| has_key(bytes, key);
    if has("protoPayload") && (text.contains(AUDIT_LOG_TYPE) || has("methodName")) {
        return Some(Format::GcpAudit);
    }
    let kubernetes_list = text.contains("\"audit.k8s.io/") && has("apiVersion") && has("items");
    if (has("auditID") && has("verb")) || kubernetes_list {
        return Some(Format::KubernetesAudit);
    }
    if has("eventType") && has("published") && (has("actor") || has("displayMessage")) {
        return Some(Format::OktaSystemLog);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_cloud_formats() {
        let cases: &[(&[u8], Option<Format>)] = &[
            (
                b"version account-id interface-id srcaddr dstaddr srcport dstport protocol \
                  packets bytes start end action log-status\n",
                Some(Format::AwsVpcFlow),
            ),
            (
                b"2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1 2 ACCEPT OK\n",
                Some(Format::AwsVpcFlow),
            ),
            (
                b"\xEF\xBB\xBFRecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\n",
                Some(Format::M365Csv),
            ),
            (
                br#"[{"actor":{"id":"00u1"},"eventType":"user.session.start","published":"2024"#,
                Some(Format::OktaSystemLog),
            ),
            (
                br#"{"insertId":"x","logName":"l","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog""#,
                Some(Format::GcpAudit),
            ),
            (
                br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"RequestReceived","verb":"get""#,
                Some(Format::KubernetesAudit),
            ),
            (
                br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["#,
                Some(Format::KubernetesAudit),
            ),
            (
                br#"{"eventVersion":"1.08","eventType":"AwsApiCall","eventSource":"s3"}"#,
                None,
            ),
            (br#"{"published": "x"}"#, None),
            (b"CreationDate,UserIds,Operations\n", None),
            (b"May 29 20:56:52 host sshd[1]: x\n", None),
            (b"", None),
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
}
