//! The Linux analytics over the Linux samples: each fires exactly on the attack stories written
//! into `samples/linux/`, stays quiet on the benign look-alikes beside them, and changes its
//! result when a tunable changes, in the way the analytic's description gives.

use std::path::PathBuf;

use glexia::engine::{self, Finding, ScanResult, Setup};

fn setup() -> Setup {
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");
    assert!(setup.problems.is_empty(), "{:?}", setup.problems);
    setup
}

fn scan(setup: &Setup) -> ScanResult {
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/linux");
    engine::scan(setup, &[samples])
}

/// Scans the Linux samples with the given tunables of `analytic` changed.
fn scan_tuned(analytic: &str, tunables: &[(&str, &str)]) -> ScanResult {
    let mut setup = setup();
    let target = setup
        .analytics
        .iter_mut()
        .find(|a| a.id == analytic)
        .expect("analytic ships");
    for (name, value) in tunables {
        target
            .set_tunable(name, value)
            .unwrap_or_else(|e| panic!("{name} = {value}: {e}"));
    }
    scan(&setup)
}

fn finding<'a>(result: &'a ScanResult, analytic: &str) -> Option<&'a Finding> {
    result.findings.iter().find(|f| f.analytic == analytic)
}

/// Returns each chain as its events' `(file name, record)`, in step order.
fn chains(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, u64)>> {
    let store = &result.store;
    finding(result, analytic)
        .map(|f| {
            f.chains
                .iter()
                .map(|chain| {
                    chain
                        .steps
                        .iter()
                        .map(|step| {
                            let event = &store.events()[step.event];
                            let path = store.file_path(event.origin().file).expect("known file");
                            let name = path.file_name().expect("file name");
                            (name.to_string_lossy().into_owned(), event.origin().record)
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Returns each chain's join keys as `(field, value)`.
fn join_keys(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, String)>> {
    finding(result, analytic)
        .map(|f| {
            f.chains
                .iter()
                .map(|chain| {
                    chain
                        .join_keys
                        .iter()
                        .map(|k| (k.field.clone(), k.value.clone()))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Returns the log sources of one chain's events, in step order.
fn chain_sources(result: &ScanResult, analytic: &str, index: usize) -> Vec<String> {
    let store = &result.store;
    let finding = finding(result, analytic).expect("analytic fired");
    finding.chains[index]
        .steps
        .iter()
        .map(|step| store.log_source(step.event).to_owned())
        .collect()
}

fn steps(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(f, r)| ((*f).to_owned(), *r)).collect()
}

fn keys(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect()
}

const DB01: &str = "db01-audit.log";
const WEB01: &str = "web01-audit.log";
const WEB02: &str = "web02-osquery.log";
const WEB03: &str = "web03-syslog.log";
const APP01: &str = "app01-audit.log";
const APP02_AUDIT: &str = "app02-audit.log";
const APP02_AUTH: &str = "app02-auth.log";

fn an0748_attack() -> Vec<(String, u64)> {
    steps(&[(DB01, 101), (DB01, 110), (DB01, 113), (DB01, 125)])
}

fn an0751_attack() -> Vec<(String, u64)> {
    steps(&[(APP02_AUTH, 29), (APP02_AUDIT, 45), (APP02_AUDIT, 70)])
}

#[test]
fn linux_samples_load_without_errors() {
    let result = scan(&setup());
    let totals = &result.report.totals;

    // Seven logs, and this folder's README, which is skipped as a file in no log format.
    assert_eq!(totals.files, 8);
    assert_eq!(totals.files_loaded, 7);
    assert_eq!(totals.files_skipped, 1);
    assert_eq!(totals.records_read, 192);
    assert_eq!(totals.events_loaded, 192);
    assert_eq!(totals.records_skipped, 0);
    for file in &result.report.files {
        let name = file.path.file_name().expect("file name");
        if name != "README.md" {
            assert!(file.errors.is_empty(), "{name:?}: {:?}", file.errors);
        }
    }
    assert!(result.errors.is_empty(), "{:?}", result.errors);
}

#[test]
fn linux_samples_fire_only_linux_analytics() {
    let result = scan(&setup());
    let fired: Vec<&str> = result
        .findings
        .iter()
        .map(|f| f.analytic.as_str())
        .collect();

    assert_eq!(fired, ["AN0748", "AN0751", "AN0760", "AN0765", "AN0768"]);
}

// AN0748: archive via library.

#[test]
fn an0748_archive_chain() {
    let result = scan(&setup());

    // Left out: the nightly tar backup to /var/backups, the metrics job that gzips a batch into
    // /tmp every five minutes with the same command line, and python3 -c reading a manifest
    // without writing an archive.
    assert_eq!(chains(&result, "AN0748"), [an0748_attack()]);
    assert_eq!(
        join_keys(&result, "AN0748"),
        [keys(&[("host.name", "db01"), ("process.pid", "43391")])]
    );
    assert_eq!(
        chain_sources(&result, "AN0748", 0),
        [
            "auditd:SYSCALL",
            "auditd:SYSCALL",
            "auditd:MMAP",
            "auditd:FILE"
        ]
    );
}

#[test]
fn an0748_repeated_job_counts_when_allowed() {
    let result = scan_tuned("AN0748", &[("RareCommandCount", "3")]);

    let found = chains(&result, "AN0748");
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(
        found[0],
        steps(&[(DB01, 17), (DB01, 26), (DB01, 29), (DB01, 35)])
    );
    assert_eq!(found[3], an0748_attack());
}

#[test]
fn an0748_entropy_flags_repeated_job() {
    // The metrics job's arguments reach 3.67 bits per character.
    let result = scan_tuned("AN0748", &[("EntropyThreshold", "3.5")]);

    assert_eq!(chains(&result, "AN0748").len(), 4);
}

#[test]
fn an0748_entropy_alone_keeps_attack() {
    let common = scan_tuned("AN0748", &[("RareCommandCount", "0")]);
    let strict = scan_tuned(
        "AN0748",
        &[("RareCommandCount", "0"), ("EntropyThreshold", "5.1")],
    );

    // The inline zipfile code scores 5.05 bits per character.
    assert_eq!(chains(&common, "AN0748"), [an0748_attack()]);
    assert!(chains(&strict, "AN0748").is_empty());
}

#[test]
fn an0748_archive_paths_limit_chain() {
    let result = scan_tuned("AN0748", &[("ArchivePaths", "/var/tmp/*, /home/*")]);

    assert!(chains(&result, "AN0748").is_empty());
}

#[test]
fn an0748_monitored_libraries_limit_chain() {
    let result = scan_tuned("AN0748", &[("MonitoredLibraries", "*/libzip.so*")]);

    assert!(chains(&result, "AN0748").is_empty());
}

// AN0751: SSH from a new source address, then a shell or sudo and a lateral connection.

#[test]
fn an0751_new_address_chain() {
    let result = scan(&setup());

    // Left out: alice's routine sessions from her workstation, which also jump to db01, and
    // bob's logon from a new laptop, which is followed by HTTPS only within the window.
    assert_eq!(chains(&result, "AN0751"), [an0751_attack()]);
    assert_eq!(
        join_keys(&result, "AN0751"),
        [keys(&[("host.name", "app02"), ("user.name", "alice")])]
    );
    assert_eq!(
        chain_sources(&result, "AN0751", 0),
        ["linux:syslog", "auditd:SYSCALL", "auditd:SYSCALL"]
    );
}

#[test]
fn an0751_no_learning_flags_first_logon() {
    let result = scan_tuned("AN0751", &[("LearningPeriod", "0s")]);

    // Without a learning period alice's first logon in the data is new, and that session
    // also jumped to db01.
    assert_eq!(
        chains(&result, "AN0751"),
        [
            steps(&[(APP02_AUTH, 1), (APP02_AUDIT, 1), (APP02_AUDIT, 20)]),
            an0751_attack(),
        ]
    );
}

#[test]
fn an0751_wider_window_adds_late_jump() {
    let result = scan_tuned("AN0751", &[("TimeWindow", "12h")]);

    let found = chains(&result, "AN0751");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0], an0751_attack());
    assert_eq!(found[1][0], (APP02_AUTH.to_owned(), 34));
    assert_eq!(found[1][2], (APP02_AUDIT.to_owned(), 95));
}

#[test]
fn an0751_expected_source_is_never_new() {
    let result = scan_tuned("AN0751", &[("SourceIP", "127.0.0.1, 185.220.101.*")]);

    assert!(chains(&result, "AN0751").is_empty());
}

#[test]
fn an0751_command_list_gates_second_step() {
    let result = scan_tuned("AN0751", &[("CommandList", "su -*")]);

    // The sudo USER_CMD record still counts as privilege escalation.
    let found = chains(&result, "AN0751");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0][1], (APP02_AUDIT.to_owned(), 57));
}

// AN0760: unexpected process opens a TLS connection to a rare destination.

#[test]
fn an0760_rare_tls_chains() {
    let result = scan(&setup());

    // Left out: apt's https method, the shop's Python worker and the monitoring agent reaching
    // their usual endpoints, curl health checks, and wget over plain HTTP.
    assert_eq!(
        chains(&result, "AN0760"),
        [
            steps(&[(WEB02, 4)]),
            steps(&[(WEB03, 5)]),
            steps(&[(WEB01, 178)])
        ]
    );
    assert_eq!(chain_sources(&result, "AN0760", 0), ["linux:osquery"]);
    assert_eq!(chain_sources(&result, "AN0760", 1), ["linux:Sysmon"]);
    assert_eq!(chain_sources(&result, "AN0760", 2), ["auditd:SYSCALL"]);
}

#[test]
fn an0760_common_destination_counts_when_allowed() {
    let result = scan_tuned("AN0760", &[("RareDestinationCount", "7")]);

    // The payment API is reached seven times: six by the shop's Python worker on web01 (python
    // is a dual-use tool) and once by node on web03 (a program seen once). The mirror at
    // 10.0.2.10 is reached seven times too, by curl and wget.
    let found = chains(&result, "AN0760");
    for record in [46, 49, 55, 61, 79, 181] {
        assert!(
            found.contains(&steps(&[(WEB01, record)])),
            "{record}: {found:?}"
        );
    }
    assert!(found.contains(&steps(&[(WEB03, 2)])), "{found:?}");
    assert!(found.contains(&steps(&[(WEB01, 221)])), "{found:?}");
    assert_eq!(found.len(), 17, "{found:?}");
}

#[test]
fn an0760_untrusted_issuer_is_reported() {
    let result = scan_tuned("AN0760", &[("CertificateAuthorities", "Let's Encrypt")]);

    // The agent's certificate comes from Amazon, now outside the trusted list.
    assert_eq!(
        chains(&result, "AN0760"),
        [
            steps(&[(WEB02, 1)]),
            steps(&[(WEB02, 4)]),
            steps(&[(WEB03, 5)]),
            steps(&[(WEB01, 178)]),
        ]
    );
}

#[test]
fn an0760_whitelisted_daemon_is_quiet() {
    let result = scan_tuned(
        "AN0760",
        &[("WhitelistedDaemons", "kworker, python3*, socat")],
    );

    assert!(chains(&result, "AN0760").is_empty());
}

// AN0765: unit file or init script written, then run or followed by an outlier service.

#[test]
fn an0765_autostart_chains() {
    let result = scan(&setup());

    // Left out: dpkg installing redis-server's unit, ops's nginx override followed by an
    // nginx restart, the per-user systemd manager, and services that start at both boots.
    assert_eq!(
        chains(&result, "AN0765"),
        [
            steps(&[(APP01, 111), (APP01, 185)]),
            steps(&[(APP01, 191), (APP01, 207)]),
        ]
    );
    assert_eq!(
        join_keys(&result, "AN0765"),
        [
            keys(&[("host.name", "app01")]),
            keys(&[("host.name", "app01")])
        ]
    );
    assert_eq!(
        chain_sources(&result, "AN0765", 0),
        ["auditd:FILE", "auditd:SYSCALL"]
    );
}

#[test]
fn an0765_no_outliers_keeps_script_run() {
    let result = scan_tuned("AN0765", &[("RareBootProcessCount", "0")]);

    assert_eq!(
        chains(&result, "AN0765"),
        [steps(&[(APP01, 191), (APP01, 207)])]
    );
}

#[test]
fn an0765_user_context_flags_service_user() {
    let result = scan_tuned("AN0765", &[("UserContext", "0")]);

    // With only root expected, redis-server (uid 113) follows ops's nginx override, and
    // rsyslogd (uid 104) is the first service at the next boot after the new unit.
    assert_eq!(
        chains(&result, "AN0765"),
        [
            steps(&[(APP01, 55), (APP01, 87)]),
            steps(&[(APP01, 111), (APP01, 155)]),
            steps(&[(APP01, 191), (APP01, 207)]),
        ]
    );
}

#[test]
fn an0765_file_path_limits_writes() {
    let result = scan_tuned("AN0765", &[("FilePath", "/etc/init.d/*")]);

    assert_eq!(
        chains(&result, "AN0765"),
        [steps(&[(APP01, 191), (APP01, 207)])]
    );
}

// AN0768: file written, then decoded.

#[test]
fn an0768_decode_chains() {
    let result = scan(&setup());

    // Left out: a base64 decode to the terminal with no write before it, a Node.js download
    // unpacked twelve minutes later, and a write in root's session beside a decode in
    // deploy's.
    assert_eq!(
        chains(&result, "AN0768"),
        [
            steps(&[(WEB01, 88), (WEB01, 92)]),
            steps(&[(WEB01, 146), (WEB01, 150)]),
        ]
    );
    assert_eq!(
        join_keys(&result, "AN0768"),
        [
            keys(&[("host.name", "web01"), ("auditd.session", "null")]),
            keys(&[("host.name", "web01"), ("auditd.session", "418")]),
        ]
    );
    // The analytic reads auditd:SYSCALL, which takes the narrower auditd:FILE writes too.
    assert_eq!(
        chain_sources(&result, "AN0768", 1),
        ["auditd:FILE", "auditd:SYSCALL"]
    );
}

#[test]
fn an0768_wider_window_adds_late_unpack() {
    let result = scan_tuned("AN0768", &[("TimeWindow", "15m")]);

    assert_eq!(
        chains(&result, "AN0768"),
        [
            steps(&[(WEB01, 88), (WEB01, 92)]),
            steps(&[(WEB01, 146), (WEB01, 150)]),
            steps(&[(WEB01, 199), (WEB01, 203)]),
        ]
    );
}

#[test]
fn an0768_writer_names_gate_first_step() {
    let shells = scan_tuned("AN0768", &[("ShellProcessName", "zsh")]);
    let fetchers = scan_tuned("AN0768", &[("ParentProcess", "scp")]);

    assert_eq!(
        chains(&shells, "AN0768"),
        [steps(&[(WEB01, 146), (WEB01, 150)])]
    );
    assert_eq!(
        chains(&fetchers, "AN0768"),
        [steps(&[(WEB01, 88), (WEB01, 92)])]
    );
}

#[test]
fn an0768_argument_pattern_gates_decoder() {
    let result = scan_tuned("AN0768", &[("ArgumentPattern", r"(?i).*\s--decode(\s|$)")]);
    let utilities = scan_tuned("AN0768", &[("DecodeUtility", "openssl")]);

    assert!(chains(&result, "AN0768").is_empty());
    assert!(chains(&utilities, "AN0768").is_empty());
}

#[test]
fn linux_samples_cover_linux_analytics() {
    let result = scan(&setup());

    for id in ["AN0748", "AN0751", "AN0760", "AN0765", "AN0768"] {
        let coverage = result.coverage.analytic(id).expect("catalog analytic");
        assert!(coverage.missing.is_empty(), "{id}: {:?}", coverage.missing);
    }
}
