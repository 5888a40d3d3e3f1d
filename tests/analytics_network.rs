//! The network-device analytics on their bundled samples: each fires on the attack written into
//! `samples/network-devices/` with exactly the expected chain, stays quiet on the benign
//! look-alikes beside it, and follows its tunables.

mod analytics_cloud_support;

use analytics_cloud_support::{chains, join_keys, scan, steps};

const CONN: &str = "conn.log";
const SSL: &str = "ssl.log";

#[test]
fn an0763_tls_tunnel_on_dns_port() {
    let result = scan("network-devices", &[]);
    // Left out: plain DNS on port 53, upload-heavy TLS on 443, download-heavy TLS on 8080,
    // and the upload-heavy session to one of the three servers speaking TLS on 4443.
    assert_eq!(chains(&result, "AN0763"), [steps(&[(CONN, 28), (SSL, 16)])]);
    assert_eq!(
        join_keys(&result, "AN0763"),
        [[("event.id".to_owned(), "CVIYpKq23owhvyVVr8".to_owned())]]
    );
}

#[test]
fn an0763_ratio_threshold_filters() {
    // The tunnel sends 4,215,880 bytes and receives 61,442: a ratio of about 68.6.
    let strict = scan(
        "network-devices",
        &[("AN0763", "TrafficAsymmetryRatio", "100")],
    );
    assert!(chains(&strict, "AN0763").is_empty());
}

#[test]
fn an0763_port_statistic_threshold() {
    // Three servers speak TLS on 4443; counting that as rare adds the upload-heavy session.
    let result = scan("network-devices", &[("AN0763", "RareTlsPortServers", "3")]);
    assert_eq!(
        chains(&result, "AN0763"),
        [
            steps(&[(CONN, 26), (SSL, 14)]),
            steps(&[(CONN, 28), (SSL, 16)]),
        ]
    );
}

#[test]
fn an0763_port_profiles_exempt_ports() {
    let result = scan("network-devices", &[("AN0763", "PortProfiles", "443, 53")]);
    assert!(chains(&result, "AN0763").is_empty());
}
