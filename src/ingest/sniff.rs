//! Content checks for the JSON and text formats beyond EVTX, used by [`super::detect`].
//!
//! The checks look for keys that only one family writes, anywhere in the prefix, because a
//! prefix often ends inside the first record and key order differs between exporters.

use super::Format;

/// Classifies JSON text (an object, or an array of objects) by the keys it contains.
pub(crate) fn classify_json(text: &[u8]) -> Format {
    let has = |key: &str| has_key(text, key);
    if has("eventSource") && has("eventName") && (has("awsRegion") || has("eventVersion")) {
        return Format::CloudTrail;
    }
    let has_any = |keys: &[&str]| keys.iter().any(|key| has_key(text, key));
    if has("Operation") && has_any(&["Workload", "OfficeWorkload"]) && has("RecordType") {
        return Format::M365Audit;
    }
    let entra_audit = has_any(&["activityDisplayName", "ActivityDisplayName"])
        && has_any(&[
            "initiatedBy",
            "InitiatedBy",
            "loggedByService",
            "LoggedByService",
        ]);
    let entra_signin = has_any(&["userPrincipalName", "UserPrincipalName"])
        && has_any(&["appDisplayName", "AppDisplayName"])
        && has_any(&["ipAddress", "IPAddress"]);
    if entra_audit || entra_signin {
        return Format::EntraId;
    }
    let zeek_ids = has_any(&["uid", "id.orig_h", "id_orig_h", "certificate_version"]);
    if has("ts") && (zeek_ids || has("_path") || has("@stream")) {
        return Format::ZeekJson;
    }
    if has("winlog") || has("winlog.channel") || has("winlog.event_data") {
        return Format::WindowsJson;
    }
    // evtx_dump's shape as the `_source` of an Elasticsearch hit.
    if has("_source") && has("Event") && has("System") {
        return Format::WindowsJson;
    }
    if (has("EventID") || has("EventId")) && has("Channel") {
        return Format::WindowsJson;
    }
    Format::Json
}

/// Classifies text that is not JSON.
pub(crate) fn classify_text(text: &[u8]) -> Format {
    // Zeek's tab-separated logs start with their header lines, `#separator` first.
    if text.starts_with(b"#separator ") || text.starts_with(b"#fields\t") {
        return Format::ZeekTsv;
    }
    Format::Unknown
}

/// Returns whether `text` contains `"key"` used as an object key: not escaped inside a string
/// and followed by a colon.
pub(crate) fn has_key(text: &[u8], key: &str) -> bool {
    let needle_len = key.len() + 2;
    let mut start = 0;
    while let Some(found) = text
        .get(start..)
        .and_then(|rest| find(rest, key.as_bytes()))
    {
        let at = start + found;
        start = at + 1;
        // The key must be quoted, and the opening quote must not be an escaped one.
        if at == 0 || text.get(at - 1) != Some(&b'"') || at + key.len() >= text.len() {
            continue;
        }
        if at >= 2 && text.get(at - 2) == Some(&b'\\') {
            continue;
        }
        if text.get(at + key.len()) != Some(&b'"') {
            continue;
        }
        let after = text.get(at - 1 + needle_len..).unwrap_or_default();
        let colon = after.iter().find(|b| !b.is_ascii_whitespace());
        if colon == Some(&b':') {
            return true;
        }
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_key_needs_quotes_and_colon() {
        assert!(has_key(br#"{"EventID": 1}"#, "EventID"));
        assert!(has_key(b"{\n  \"EventID\"\n  : 1", "EventID"));
        assert!(!has_key(br#"{"x": "EventID"}"#, "EventID"));
        assert!(!has_key(br#"{"x": "say \"EventID\": no"}"#, "EventID"));
        assert!(!has_key(br#"{"EventIDs": 1}"#, "EventID"));
        assert!(!has_key(br#""EventID"#, "EventID"));
        assert!(!has_key(b"", "EventID"));
    }

    #[test]
    fn classify_json_by_keys() {
        let cases: &[(&[u8], Format)] = &[
            (
                br#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject""#,
                Format::CloudTrail,
            ),
            (br#"{"Records": [{"awsRegion": "x", "eventSource": "a", "eventName": "b"}]}"#, Format::CloudTrail),
            (br#"{"EventID":4624,"Channel":"Security""#, Format::WindowsJson),
            (br#"{"_source": {"winlog": {"channel": "Security"}}}"#, Format::WindowsJson),
            (br#"{"event": {"code": "1"}}"#, Format::Json),
            (br#"{"ts":1588205199.82,"uid":"Cvf4","id_orig_h":"10.0.1.6""#, Format::ZeekJson),
            (br#"{"_path":"dns","ts":"2024-01-01T00:00:00Z""#, Format::ZeekJson),
            (
                br#"{"RecordType":"50","Operation":"MailItemsAccessed","OfficeWorkload":"Exchange""#,
                Format::M365Audit,
            ),
            (
                br#"{"ActivityDisplayName":"Add user","InitiatedBy":"{}""#,
                Format::EntraId,
            ),
            (
                br#"{"properties":{"userPrincipalName":"a","appDisplayName":"b","ipAddress":"c"}}"#,
                Format::EntraId,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                classify_json(text),
                *expected,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }
}
