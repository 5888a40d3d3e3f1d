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

const ROUTER: &str = "rtr-edge01-syslog.log";

#[test]
fn an0758_patched_image_then_builtin_account() {
    let result = scan("network-devices", &[]);
    // Left out: jlee's first login with no image event before it, and the planned upgrade
    // followed by netops logging in after two mistyped passwords.
    assert_eq!(
        chains(&result, "AN0758"),
        [steps(&[(ROUTER, 21), (ROUTER, 23)])]
    );
    assert_eq!(
        join_keys(&result, "AN0758"),
        [[("host.name".to_owned(), "rtr-edge01".to_owned())]]
    );
}

#[test]
fn an0758_failure_threshold_adds_upgrade() {
    let result = scan(
        "network-devices",
        &[("AN0758", "AuthFailureThreshold", "2")],
    );
    assert_eq!(
        chains(&result, "AN0758"),
        [
            steps(&[(ROUTER, 11), (ROUTER, 15)]),
            steps(&[(ROUTER, 21), (ROUTER, 23)]),
        ]
    );
}

#[test]
fn an0758_baseline_images_are_trusted() {
    // Trusting the staged image leaves the planned upgrade four hours earlier as the image
    // event before the built-in account's login.
    let staged = scan(
        "network-devices",
        &[("AN0758", "BaselineChecksums", "*c8000v-17.09.05a-rev2.bin*")],
    );
    assert_eq!(
        chains(&staged, "AN0758"),
        [steps(&[(ROUTER, 11), (ROUTER, 23)])]
    );

    let both = scan(
        "network-devices",
        &[("AN0758", "BaselineChecksums", "*c8000v*")],
    );
    assert!(chains(&both, "AN0758").is_empty());
}

#[test]
fn an0758_short_interval_misses_login() {
    // The login comes 9 minutes 29 seconds after the install completes.
    let result = scan(
        "network-devices",
        &[("AN0758", "VerificationInterval", "5m")],
    );
    assert!(chains(&result, "AN0758").is_empty());
}
