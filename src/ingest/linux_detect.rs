//! Content detection for the Linux and macOS formats, called from [`super::detect`].

use super::Format;
use super::auditd::looks_like_auditd;
use super::elastic_endpoint::looks_like_elastic_endpoint;
use super::esxi::looks_like_esxi;
use super::journald::looks_like_journald;
use super::osquery::looks_like_osquery;
use super::sentinel_syslog::looks_like_sentinel_syslog;
use super::syslog::looks_like_syslog;
use super::unified_log::looks_like_unified_log;

/// Detects a Linux or macOS log format from a file's first bytes, or returns `None` to let
/// the other detectors decide.
pub(crate) fn detect(prefix: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(prefix);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if looks_like_auditd(text) {
        return Some(Format::Auditd);
    }
    // ESXi lines without a host name would also pass as syslog lines.
    if looks_like_esxi(text) {
        return Some(Format::Esxi);
    }
    if looks_like_syslog(text) {
        return Some(Format::Syslog);
    }
    if looks_like_sentinel_syslog(text) {
        return Some(Format::SentinelSyslog);
    }
    if looks_like_elastic_endpoint(text) {
        return Some(Format::ElasticEndpoint);
    }
    if looks_like_unified_log(text) {
        return Some(Format::UnifiedLog);
    }
    if looks_like_journald(text) {
        return Some(Format::Journald);
    }
    if looks_like_osquery(text) {
        return Some(Format::Osquery);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_linux_text_formats() {
        let cases: &[(&[u8], Option<Format>)] = &[
            (
                b"type=SYSCALL msg=audit(1.2:3): a=1\n",
                Some(Format::Auditd),
            ),
            (
                b"\xEF\xBB\xBFnode=h type=CWD msg=audit(1.2:3): cwd=\"/\"",
                Some(Format::Auditd),
            ),
            (
                b"# c\n\nMay 29 20:56:52 imago sshd[28732]: x\n",
                Some(Format::Syslog),
            ),
            (
                b"<38>1 2019-07-08T17:40:16Z h sshd 1 - - x",
                Some(Format::Syslog),
            ),
            (
                b"{\"TimeGenerated\":\"2022-05-11T18:10:20.4Z\",\"SyslogMessage\":\"<Event>\"}",
                Some(Format::SentinelSyslog),
            ),
            (
                b"{\n\t\"_index\": \".ds-logs-endpoint.events.process-default-000002\",",
                Some(Format::ElasticEndpoint),
            ),
            (
                b"[{\n  \"traceID\" : 1,\n  \"eventType\" : \"logEvent\",\n  \"processImagePath\" : \"x\"",
                Some(Format::UnifiedLog),
            ),
            (
                b"{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"1714583472123456\"}",
                Some(Format::Journald),
            ),
            (
                b"{\"name\":\"q\",\"hostIdentifier\":\"h\",\"columns\":{}}",
                Some(Format::Osquery),
            ),
            (
                b"2024-05-01T10:12:30.000Z In(38) sshd[2100001]: Accepted password",
                Some(Format::Esxi),
            ),
            (
                b"2019-05-01T10:11:12Z shell[2100123]: [root]: ls",
                Some(Format::Esxi),
            ),
            (
                b"2015-04-16T18:02:50.321974+00:00 host sshd[2716]: m",
                Some(Format::Syslog),
            ),
            (b"{\"eventMessage\": \"x\"}", None),
            (b"#separator \\x09\n#fields\tts\n", None),
            (b"{\"Event\": {}}", None),
            (b"\xFF\xFE\x00", None),
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
