//! The network-device analytics on their bundled samples: each fires on the attack written into
//! `samples/network-devices/` with exactly the expected chain, stays quiet on the benign
//! look-alikes beside it, and follows its tunables.

use std::path::PathBuf;

use glexia::engine::{self, ScanResult, Setup};

/// Scans `samples/<folder>` with every built-in analytic, after setting each
/// `(analytic, tunable, value)` of `tuning`.
fn scan(folder: &str, tuning: &[(&str, &str, &str)]) -> ScanResult {
    let mut setup = Setup::load(None, &[]).expect("built-in catalog loads");
    assert!(setup.problems.is_empty(), "{:?}", setup.problems);
    for (id, name, value) in tuning {
        let analytic = setup
            .analytics
            .iter_mut()
            .find(|a| a.id == *id)
            .unwrap_or_else(|| panic!("{id} ships"));
        analytic
            .set_tunable(name, value)
            .unwrap_or_else(|e| panic!("{id} {name}={value}: {e}"));
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(folder);
    let result = engine::scan(&setup, &[path]);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert_eq!(result.report.totals.records_skipped, 0);
    result
}

/// Lists each chain of `analytic` as its steps' `(file name, record)`, in order.
fn chains(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, u64)>> {
    let store = &result.store;
    let Some(finding) = result.findings.iter().find(|f| f.analytic == analytic) else {
        return Vec::new();
    };
    finding
        .chains
        .iter()
        .map(|chain| {
            chain
                .steps
                .iter()
                .map(|step| {
                    let event = &store.events()[step.event];
                    let path = store.file_path(event.origin.file).expect("known file");
                    let name = path.file_name().expect("file name");
                    (name.to_string_lossy().into_owned(), event.origin.record)
                })
                .collect()
        })
        .collect()
}

/// Lists the join keys of each chain of `analytic`, as `(field, value)`.
fn join_keys(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, String)>> {
    let Some(finding) = result.findings.iter().find(|f| f.analytic == analytic) else {
        return Vec::new();
    };
    finding
        .chains
        .iter()
        .map(|chain| {
            chain
                .join_keys
                .iter()
                .map(|k| (k.field.clone(), k.value.clone()))
                .collect()
        })
        .collect()
}

fn steps(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(f, r)| ((*f).to_owned(), *r)).collect()
}

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
