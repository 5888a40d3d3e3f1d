//! Content detection for the network-device, flow and container formats, called from
//! [`super::detect`] before the Linux formats, because a syslog server's file of Cisco
//! messages would also pass as Linux syslog.

use super::Format;
use super::cisco::looks_like_cisco_syslog;
use super::docker::{
    looks_like_docker_daemon, looks_like_docker_events, looks_like_docker_json_log,
};
use super::netflow::looks_like_netflow_csv;

/// Detects a network-device, flow or Docker format from a file's first bytes, or returns
/// `None` to let the other detectors decide.
pub(crate) fn detect(prefix: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(prefix);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if looks_like_cisco_syslog(text) {
        return Some(Format::CiscoSyslog);
    }
    if looks_like_netflow_csv(text) {
        return Some(Format::NetflowCsv);
    }
    if looks_like_docker_events(text) {
        return Some(Format::DockerEvents);
    }
    if looks_like_docker_json_log(text) {
        return Some(Format::DockerJsonLog);
    }
    if looks_like_docker_daemon(text) {
        return Some(Format::DockerDaemon);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_network_and_container_formats() {
        let cases: &[(&[u8], Option<Format>)] = &[
            (
                b"<189>123: *Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: Configured from console",
                Some(Format::CiscoSyslog),
            ),
            (
                b"\xEF\xBB\xBFts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt\r\n",
                Some(Format::NetflowCsv),
            ),
            (
                b"{\"status\":\"start\",\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{},\"time\":1}",
                Some(Format::DockerEvents),
            ),
            (
                b"{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00Z\"}",
                Some(Format::DockerJsonLog),
            ),
            (
                b"time=\"2024-03-01T10:00:00Z\" level=info msg=\"Starting up\"\ntime=\"2024-03-01T10:00:01Z\" level=info msg=\"API listen on /run/docker.sock\"",
                Some(Format::DockerDaemon),
            ),
            (b"Feb 21 21:54:44 localhost sshd[3402]: x", None),
            (b"{\"Event\": {}}", None),
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
