//! The SaaS, IaaS and identity-provider analytics over the public cloud recordings in
//! `../shared/data/cloud`. None of them records the behaviour these analytics describe, so each
//! test checks that the related records were loaded and that the analytic stays quiet on them.

mod common;

use std::collections::BTreeMap;

mod analytics_cloud_support;

use analytics_cloud_support::{chains, scan_path};
use glexia::engine::ScanResult;

fn scan_cloud() -> Option<ScanResult> {
    let dir = common::data_dir("cloud")?;
    Some(scan_path(&dir, &[]))
}

fn chain_count(result: &ScanResult, analytic: &str) -> usize {
    chains(result, analytic).len()
}

/// Counts the loaded events of `log_source` by `event.action`.
fn actions(result: &ScanResult, log_source: &str) -> BTreeMap<String, usize> {
    let store = &result.store;
    let mut counts = BTreeMap::new();
    for index in 0..store.len() {
        if store.log_source(index) != log_source {
            continue;
        }
        let action = store
            .field(index, "event.action")
            .map(|v| v.to_string())
            .unwrap_or_default();
        *counts.entry(action).or_default() += 1;
    }
    counts
}

#[test]
fn an0746_quiet_on_mailbox_read() {
    let Some(result) = scan_cloud() else { return };
    // The Golden SAML recording's only unified audit record reads a mailbox; nothing is sent.
    let m365 = actions(&result, "m365:unified");
    assert_eq!(m365.get("MailItemsAccessed"), Some(&1));
    assert!(!m365.contains_key("Send"));
    assert_eq!(chain_count(&result, "AN0746"), 0);
}

#[test]
fn an0753_quiet_without_session_or_flows() {
    let Some(result) = scan_cloud() else { return };
    // Stratus Red Team runs commands with SendCommand, not an interactive StartSession, and
    // signs in to the console once. No VPC flow log comes with any recording.
    let trail = actions(&result, "AWS:CloudTrail");
    assert_eq!(trail.get("SendCommand"), Some(&2));
    assert_eq!(trail.get("ConsoleLogin"), Some(&1));
    assert!(!trail.contains_key("StartSession"));
    assert!(actions(&result, "AWS:VPCFlowLogs").is_empty());
    assert_eq!(chain_count(&result, "AN0753"), 0);
}

#[test]
fn an0756_quiet_on_golden_saml_changes() {
    let Some(result) = scan_cloud() else { return };
    // The Golden SAML recording changes an application's credentials and grants it
    // permissions. It changes no domain's federation and contains no sign-in log.
    let audit = actions(&result, "azure:audit");
    assert_eq!(audit.values().sum::<usize>(), 4);
    assert!(audit.contains_key("Add delegated permission grant"));
    assert!(actions(&result, "azure:signinlogs").is_empty());
    assert_eq!(chain_count(&result, "AN0756"), 0);
}
