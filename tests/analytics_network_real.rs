//! The network-device analytics over the public Zeek recordings in `../shared/data/network`.

mod common;

mod analytics_cloud_support;

use analytics_cloud_support::scan_path;
use glexia::engine::ScanResult;

/// Scans the network folder after setting each `(analytic, tunable, value)` of `tuning`.
fn scan_network(tuning: &[(&str, &str, &str)]) -> Option<ScanResult> {
    let dir = common::data_dir("network")?;
    Some(scan_path(&dir, tuning))
}

/// Lists the file names of the steps of every chain of `analytic`, one list per chain.
fn chain_files(result: &ScanResult, analytic: &str) -> Vec<Vec<String>> {
    analytics_cloud_support::chains(result, analytic)
        .into_iter()
        .map(|chain| chain.into_iter().map(|(file, _)| file).collect())
        .collect()
}

#[test]
fn an0763_quiet_on_expected_tls_ports() {
    let Some(result) = scan_network(&[]) else {
        return;
    };
    // APT29 day 1 speaks TLS on 8443 and day 2 on 443, both in PortProfiles. The LSASS-dump
    // recording's TLS on 8080 comes without conn.log, so its volumes are unknown.
    assert!(chain_files(&result, "AN0763").is_empty());
}

#[test]
fn an0763_fires_on_apt29_c2_without_port_profile() {
    // With 443 no longer expected, APT29 day 2's upload-heavy sessions to its command server
    // 192.168.0.4, the only TLS server on that port in the recording, fire. Day 1's sessions
    // on 8443 are download-heavy and stay quiet even without a port profile.
    let Some(result) = scan_network(&[("AN0763", "PortProfiles", "")]) else {
        return;
    };
    let chains = chain_files(&result, "AN0763");
    assert_eq!(chains.len(), 173);
    for files in &chains {
        assert_eq!(
            files,
            &["apt29_day2_UTICA-A_conn.log", "apt29_day2_UTICA-A_ssl.log"]
        );
    }
    let store = &result.store;
    let finding = result
        .findings
        .iter()
        .find(|f| f.analytic == "AN0763")
        .expect("AN0763 fired");
    for chain in &finding.chains {
        let server = store
            .field(chain.steps[1].event, "destination.ip")
            .map(|v| v.to_string());
        assert_eq!(server.as_deref(), Some("192.168.0.4"));
    }
}
