//! The ESXi analytics on their bundled samples: each fires on the attack written into
//! `samples/esxi/` with exactly the expected chain, stays quiet on the benign look-alikes beside
//! it, and follows its tunables.

mod analytics_cloud_support;

use analytics_cloud_support::{chains, join_keys, scan, steps};

const AUTH: &str = "auth.log";
const HOSTD: &str = "hostd.log";
const SHELL: &str = "shell.log";

#[test]
fn an0754_ssh_login_then_firewall_opening() {
    let result = scan("esxi", &[]);
    // Left out: the admin's SSH session with inventory commands, the Host Client session, the
    // console login followed by vmkping, and the sshd and vpxuser lines around the story.
    assert_eq!(
        chains(&result, "AN0754"),
        [steps(&[(AUTH, 7), (SHELL, 10)])]
    );
    assert_eq!(
        join_keys(&result, "AN0754"),
        [[("host.name".to_owned(), "null".to_owned())]]
    );
}

#[test]
fn an0754_session_type_picks_login() {
    let api = scan("esxi", &[("AN0754", "SessionType", "vSphere API")]);
    assert_eq!(chains(&api, "AN0754"), [steps(&[(HOSTD, 5), (SHELL, 10)])]);

    let console = scan("esxi", &[("AN0754", "SessionType", "DCUI")]);
    assert!(chains(&console, "AN0754").is_empty());
}

#[test]
fn an0754_command_pattern_widens_match() {
    let result = scan(
        "esxi",
        &[
            ("AN0754", "SessionType", "DCUI"),
            ("AN0754", "CommandPattern", "vmkping *"),
        ],
    );
    assert_eq!(chains(&result, "AN0754"), [steps(&[(AUTH, 5), (SHELL, 8)])]);
}

#[test]
fn an0754_service_account_login_is_skipped() {
    // Without the exclusion, vCenter's agent logging in over the loopback address is the
    // newest login before the command, and it is read as a DCUI login.
    let result = scan("esxi", &[("AN0754", "ServiceAccount", "")]);
    assert_eq!(
        chains(&result, "AN0754"),
        [steps(&[(HOSTD, 8), (SHELL, 10)])]
    );
}

const VPXA: &str = "vpxa.log";

#[test]
fn an0762_new_outside_destination() {
    let result = scan("esxi", &[]);
    // Left out: the connections to vCenter in the baseline hour and their repeats later, the
    // new loopback connection to hostd and the repeated attempts to 203.0.113.77. The inbound
    // server session and the handshake timeout, whose direction is not given, are left out too.
    assert_eq!(chains(&result, "AN0762"), [steps(&[(VPXA, 8)])]);
}

#[test]
fn an0762_allowed_hosts_silence_and_widen() {
    let approved = scan(
        "esxi",
        &[(
            "AN0762",
            "AllowedMgmtHosts",
            "127.0.0.1, localhost, 203.0.113.*",
        )],
    );
    assert!(chains(&approved, "AN0762").is_empty());

    let nothing_approved = scan("esxi", &[("AN0762", "AllowedMgmtHosts", "")]);
    assert_eq!(
        chains(&nothing_approved, "AN0762"),
        [steps(&[(VPXA, 7)]), steps(&[(VPXA, 8)])]
    );
}

#[test]
fn an0762_long_baseline_learns_attacker() {
    // The first outbound connection is at 14:00, so a 12-hour baseline still runs at 01:22.
    let result = scan("esxi", &[("AN0762", "BaselineWindow", "12h")]);
    assert!(chains(&result, "AN0762").is_empty());
}
