//! Content detection for the Linux and macOS formats, called from [`super::detect`].

use super::Format;
use super::auditd::looks_like_auditd;
use super::syslog::looks_like_syslog;

/// Detects a Linux or macOS log format from a file's first bytes, or returns `None` to let
/// the other detectors decide.
pub(crate) fn detect(prefix: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(prefix);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if looks_like_auditd(text) {
        return Some(Format::Auditd);
    }
    if looks_like_syslog(text) {
        return Some(Format::Syslog);
    }
    None
}
