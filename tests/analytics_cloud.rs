//! The SaaS, IaaS and identity-provider analytics on their bundled samples: each fires on the
//! attack written into `samples/<platform>/` with exactly the expected chain, stays quiet on the
//! benign look-alikes beside it, and follows its tunables.

mod analytics_cloud_support;

use analytics_cloud_support::{chains, join_keys, scan, steps};

const MESSAGES: &str = "contoso-audit-messages.json";

#[test]
fn an0746_burst_gives_one_crossing_chain() {
    let result = scan("saas", &[]);
    // Left out: mallory's three morning messages, alice's 12 replies and bob's 20 Teams
    // messages, all under 30 messages in ten minutes.
    assert_eq!(
        chains(&result, "AN0746"),
        [steps(&[(MESSAGES, 34), (MESSAGES, 35)])]
    );
    assert_eq!(
        join_keys(&result, "AN0746"),
        [[("user.id".to_owned(), "mallory@contoso.com".to_owned())]]
    );
}

#[test]
fn an0746_lower_threshold_reports_busy_users() {
    let result = scan("saas", &[("AN0746", "MessageRateThreshold", "10")]);
    assert_eq!(
        chains(&result, "AN0746"),
        [
            steps(&[(MESSAGES, 14), (MESSAGES, 15)]),
            steps(&[(MESSAGES, 54), (MESSAGES, 55)]),
            steps(&[(MESSAGES, 66), (MESSAGES, 67)]),
        ]
    );
}

#[test]
fn an0746_approved_api_client_is_not_counted() {
    let result = scan(
        "saas",
        &[(
            "AN0746",
            "APIKeyList",
            "8f3c1a7e-5d2b-4c9e-a6f1-0b7d3e9c2a54",
        )],
    );
    assert!(chains(&result, "AN0746").is_empty());
}

#[test]
fn an0746_shorter_window_misses_slow_burst() {
    // Forty messages six seconds apart: a one-minute window contains at most eleven of them.
    let result = scan("saas", &[("AN0746", "RateWindow", "1m")]);
    assert!(chains(&result, "AN0746").is_empty());
}

const TRAIL: &str = "111122223333_CloudTrail_us-east-1_20241008T1415Z.json";
const FLOWS: &str = "vpc-flow-logs-custom.log";

#[test]
fn an0753_session_then_outbound_ssh() {
    let result = scan("iaas", &[]);
    // Left out: the inbound SSH to the bastion, its return traffic and the rejected attempt.
    // Also left out: the app server's HTTPS, the CI runner's SSH without a session, the RDP
    // after a denied session and the report server's SSH 96 minutes after its session.
    assert_eq!(
        chains(&result, "AN0753"),
        [steps(&[(TRAIL, 4), (FLOWS, 3)])]
    );
    assert_eq!(
        join_keys(&result, "AN0753"),
        [[(
            "aws.cloudtrail.flattened.request_parameters.target".to_owned(),
            "i-0a1b2c3d4e5f60718".to_owned()
        )]]
    );
}

#[test]
fn an0753_wider_window_adds_late_ssh() {
    let result = scan("iaas", &[("AN0753", "TimeWindow", "2h")]);
    assert_eq!(
        chains(&result, "AN0753"),
        [
            steps(&[(TRAIL, 4), (FLOWS, 3)]),
            steps(&[(TRAIL, 7), (FLOWS, 8)]),
        ]
    );
}

#[test]
fn an0753_tunables_narrow_hosts_and_ports() {
    let other_hosts = scan("iaas", &[("AN0753", "SourceAssetTag", "i-0f*, i-0e*")]);
    assert!(chains(&other_hosts, "AN0753").is_empty());

    let rdp_only = scan("iaas", &[("AN0753", "TargetPortList", "3389")]);
    assert!(chains(&rdp_only, "AN0753").is_empty());

    let https_too = scan("iaas", &[("AN0753", "TargetPortList", "22, 443")]);
    assert_eq!(
        chains(&https_too, "AN0753"),
        [
            steps(&[(TRAIL, 4), (FLOWS, 3)]),
            steps(&[(TRAIL, 5), (FLOWS, 5)]),
        ]
    );
}

const DIRECTORY: &str = "contoso-unified-audit-directory.json";
const SIGNINS: &str = "contoso-entra-signins.json";

#[test]
fn an0756_backdoor_federation_then_signin() {
    let result = scan("identity-provider", &[]);
    // Left out: the planned certificate update on contoso.com, followed only by sign-ins from
    // known addresses, and bob's sign-in from a new address with no change before it. Also left
    // out: the lab domain's change, followed by a sign-in to another domain, and the failed
    // change.
    assert_eq!(
        chains(&result, "AN0756"),
        [steps(&[(DIRECTORY, 4), (SIGNINS, 11)])]
    );
    assert_eq!(
        join_keys(&result, "AN0756"),
        [[(
            "o365.audit.ObjectId".to_owned(),
            "contoso-legal.com".to_owned()
        )]]
    );
}

#[test]
fn an0756_known_initiator_and_agent_filter() {
    let known = scan(
        "identity-provider",
        &[(
            "AN0756",
            "InitiatedBy",
            "svc-migrate@contoso.onmicrosoft.com",
        )],
    );
    assert!(chains(&known, "AN0756").is_empty());

    let browsers_only = scan("identity-provider", &[("AN0756", "UserAgent", "*Edg/*")]);
    assert!(chains(&browsers_only, "AN0756").is_empty());

    let scripted = scan(
        "identity-provider",
        &[("AN0756", "UserAgent", "*WindowsPowerShell*")],
    );
    assert_eq!(
        chains(&scripted, "AN0756"),
        [steps(&[(DIRECTORY, 4), (SIGNINS, 11)])]
    );
}

#[test]
fn an0756_rarity_moves_chain_start() {
    // svc-migrate set federation settings twice (one failed), and domain authentication once.
    let result = scan(
        "identity-provider",
        &[("AN0756", "RareOperationCount", "1")],
    );
    assert_eq!(
        chains(&result, "AN0756"),
        [steps(&[(DIRECTORY, 3), (SIGNINS, 11)])]
    );
}

#[test]
fn an0756_short_window_drops_signin() {
    // The sign-in comes 12 minutes 38 seconds after the change.
    let result = scan("identity-provider", &[("AN0756", "TimeWindow", "10m")]);
    assert!(chains(&result, "AN0756").is_empty());
}
