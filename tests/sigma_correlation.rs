//! Sigma correlation rules over hand-built events: every correlation type, group-by with
//! several fields, aliases, generate, window boundaries, hosts kept apart and the order of
//! every temporal_ordered step. The rules are in `tests/data/sigma/correlation/`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use glexia::engine::{Chain, Finding};
use glexia::sigma::{Placeholders, RuleSet};
use glexia::store::{EventBuilder, EventStore, Origin, Platform, SourceFile};

const SECOND: i64 = 1_000_000_000;
/// 2024-01-01T00:00:00Z, so that times in the tests are small offsets.
const BASE: i64 = 1_704_067_200 * SECOND;

fn rules_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sigma/correlation")
        .join(name)
}

fn load(files: &[&str]) -> RuleSet {
    let paths: Vec<PathBuf> = files.iter().map(|f| rules_file(f)).collect();
    let set = RuleSet::load(&paths, &Placeholders::new());
    assert!(set.problems.is_empty(), "{:#?}", set.problems);
    set
}

/// Builds Windows events the way the EVTX reader stores them.
struct Events {
    store: EventStore,
    record: u64,
}

impl Events {
    fn new() -> Events {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: PathBuf::from("built-in-test.evtx"),
            format: "evtx",
        });
        Events { store, record: 0 }
    }

    fn push(&mut self, seconds: i64, channel: &str, code: i64, host: &str, data: &[(&str, &str)]) {
        self.record += 1;
        let log_source = match channel {
            "Security" => "WinEventLog:Security",
            _ => "WinEventLog:Sysmon",
        };
        let origin = Origin {
            file: 0,
            record: self.record,
            offset: None,
        };
        let mut event = EventBuilder::new(
            BASE + seconds * SECOND,
            log_source,
            Platform::Windows,
            origin,
        );
        event
            .field("winlog.channel", channel)
            .field("event.code", code.to_string())
            .field("winlog.event_id", code)
            .field("host.name", host)
            .field("winlog.computer_name", host);
        for (name, value) in data {
            event.field(format!("winlog.event_data.{name}"), *value);
        }
        self.store.push(event);
    }

    fn failed_logon(&mut self, seconds: i64, host: &str, user: &str, ip: &str) {
        let data = [("TargetUserName", user), ("IpAddress", ip)];
        self.push(seconds, "Security", 4625, host, &data);
    }

    fn logon(&mut self, seconds: i64, host: &str, user: &str, ip: &str) {
        let data = [("TargetUserName", user), ("IpAddress", ip)];
        self.push(seconds, "Security", 4624, host, &data);
    }

    fn process(&mut self, seconds: i64, host: &str, user: &str, image: &str) {
        let data = [("Image", image), ("User", user)];
        self.push(
            seconds,
            "Microsoft-Windows-Sysmon/Operational",
            1,
            host,
            &data,
        );
    }

    fn connection(&mut self, seconds: i64, host: &str, destination: &str, port: &str) {
        let data = [
            ("Initiated", "true"),
            ("DestinationIp", destination),
            ("DestinationPort", port),
        ];
        self.push(
            seconds,
            "Microsoft-Windows-Sysmon/Operational",
            3,
            host,
            &data,
        );
    }

    fn run(mut self, set: &RuleSet) -> (EventStore, Vec<Finding>) {
        self.store.sort();
        let findings = set.findings(&self.store, &AtomicBool::new(false));
        (self.store, findings)
    }
}

fn chains<'f>(findings: &'f [Finding], id: &str) -> &'f [Chain] {
    let analytic = format!("sigma:{id}");
    findings
        .iter()
        .find(|f| f.analytic == analytic)
        .map_or(&[], |f| f.chains.as_slice())
}

fn keys(chain: &Chain) -> Vec<(String, String)> {
    chain
        .join_keys
        .iter()
        .map(|k| (k.field.clone(), k.value.clone()))
        .collect()
}

fn pair(field: &str, value: &str) -> (String, String) {
    (field.to_owned(), value.to_owned())
}

const MANY_FAILED: &str = "9d3c1a52-0002-4c3e-9a51-000000000001";
const MANY_USERS: &str = "9d3c1a52-0002-4c3e-9a51-000000000002";
const RECON_ANY_ORDER: &str = "9d3c1a52-0002-4c3e-9a51-000000000003";
const RECON_IN_ORDER: &str = "9d3c1a52-0002-4c3e-9a51-000000000004";
const FAILED_THEN_SUCCESS: &str = "9d3c1a52-0002-4c3e-9a51-000000000005";
const LOGON_THEN_CONNECTION: &str = "9d3c1a52-0002-4c3e-9a51-000000000006";
const FAILED_LOGON: &str = "9d3c1a52-0001-4c3e-9a51-000000000001";
const WHOAMI: &str = "9d3c1a52-0001-4c3e-9a51-000000000003";

#[test]
fn event_count_groups_by_two_fields() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    for t in [0, 10, 20] {
        events.failed_logon(t, "WS1", "alice", "10.0.0.9");
    }
    // Same user, other host: two failures only.
    events.failed_logon(5, "WS2", "alice", "10.0.0.9");
    events.failed_logon(15, "WS2", "alice", "10.0.0.9");
    // Same host, other user.
    events.failed_logon(25, "WS1", "bob", "10.0.0.9");
    let (_, findings) = events.run(&set);
    let found = chains(&findings, MANY_FAILED);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].steps.len(), 3);
    assert_eq!(
        keys(&found[0]),
        vec![pair("TargetUserName", "alice"), pair("Computer", "WS1")]
    );
}

#[test]
fn different_hosts_never_mix() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    events.failed_logon(0, "WS1", "alice", "10.0.0.9");
    events.failed_logon(1, "WS2", "alice", "10.0.0.9");
    events.failed_logon(2, "WS1", "alice", "10.0.0.9");
    events.failed_logon(3, "WS2", "alice", "10.0.0.9");
    let (_, findings) = events.run(&set);
    assert!(chains(&findings, MANY_FAILED).is_empty());
}

#[test]
fn window_boundary_is_inclusive() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut exact = Events::new();
    for t in [0, 30, 60] {
        exact.failed_logon(t, "WS1", "alice", "10.0.0.9");
    }
    let (_, findings) = exact.run(&set);
    assert_eq!(chains(&findings, MANY_FAILED).len(), 1);

    let mut past = Events::new();
    for t in [0, 30, 61] {
        past.failed_logon(t, "WS1", "alice", "10.0.0.9");
    }
    let (_, findings) = past.run(&set);
    assert!(chains(&findings, MANY_FAILED).is_empty());
}

#[test]
fn referenced_rule_is_hidden_without_generate() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    events.failed_logon(0, "WS1", "alice", "10.0.0.9");
    let (_, findings) = events.run(&set);
    assert!(chains(&findings, FAILED_LOGON).is_empty());
}

#[test]
fn value_count_counts_distinct_users() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    for (t, user) in [(0, "a"), (10, "b"), (20, "c")] {
        events.failed_logon(t, "DC1", user, "10.0.0.5");
    }
    for t in [0, 10, 20, 30] {
        events.failed_logon(t, "DC1", "a", "10.0.0.6");
    }
    let (_, findings) = events.run(&set);
    let found = chains(&findings, MANY_USERS);
    assert_eq!(found.len(), 1);
    assert_eq!(keys(&found[0]), vec![pair("IpAddress", "10.0.0.5")]);
    assert_eq!(found[0].steps.len(), 3);
}

#[test]
fn temporal_takes_any_order() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    events.process(0, "WS1", "CORP\\eve", "C:\\Windows\\System32\\ipconfig.exe");
    events.process(10, "WS1", "CORP\\eve", "C:\\Windows\\System32\\whoami.exe");
    events.process(20, "WS1", "CORP\\eve", "C:\\Windows\\System32\\net.exe");
    let (_, findings) = events.run(&set);
    let found = chains(&findings, RECON_ANY_ORDER);
    assert_eq!(found.len(), 1);
    assert_eq!(
        keys(&found[0]),
        vec![pair("Computer", "WS1"), pair("User", "CORP\\eve")]
    );
    // The same commands out of order do not satisfy the ordered rule.
    assert!(chains(&findings, RECON_IN_ORDER).is_empty());
}

#[test]
fn temporal_needs_one_user() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    events.process(0, "WS1", "CORP\\eve", "C:\\Windows\\System32\\whoami.exe");
    events.process(10, "WS1", "CORP\\eve", "C:\\Windows\\System32\\net.exe");
    events.process(
        20,
        "WS1",
        "CORP\\bob",
        "C:\\Windows\\System32\\ipconfig.exe",
    );
    let (_, findings) = events.run(&set);
    assert!(chains(&findings, RECON_ANY_ORDER).is_empty());
    // The ordered rule groups by host alone, so it matches.
    assert_eq!(chains(&findings, RECON_IN_ORDER).len(), 1);
}

#[test]
fn temporal_ordered_checks_every_step() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let orders: [([&str; 3], bool); 4] = [
        (["whoami", "net", "ipconfig"], true),
        (["whoami", "ipconfig", "net"], false),
        (["net", "whoami", "ipconfig"], false),
        (["ipconfig", "net", "whoami"], false),
    ];
    for (order, expected) in orders {
        let mut events = Events::new();
        for (i, name) in order.iter().enumerate() {
            let image = format!("C:\\Windows\\System32\\{name}.exe");
            events.process(i as i64 * 10, "WS1", "CORP\\eve", &image);
        }
        let (store, findings) = events.run(&set);
        let found = chains(&findings, RECON_IN_ORDER);
        assert_eq!(found.len(), usize::from(expected), "{order:?}");
        if let Some(chain) = found.first() {
            let steps: Vec<usize> = chain.steps.iter().map(|s| s.step).collect();
            assert_eq!(steps, vec![0, 1, 2]);
            let times: Vec<i64> = chain
                .steps
                .iter()
                .map(|s| store.events()[s.event].timestamp)
                .collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        }
    }
}

#[test]
fn temporal_ordered_keeps_its_timespan() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    events.process(0, "WS1", "CORP\\eve", "C:\\Windows\\System32\\whoami.exe");
    events.process(100, "WS1", "CORP\\eve", "C:\\Windows\\System32\\net.exe");
    events.process(
        301,
        "WS1",
        "CORP\\eve",
        "C:\\Windows\\System32\\ipconfig.exe",
    );
    let (_, findings) = events.run(&set);
    assert!(chains(&findings, RECON_IN_ORDER).is_empty());
}

#[test]
fn correlation_of_a_correlation() {
    let set = load(&["base_rules.yml", "correlations.yml", "chained.yml"]);
    let mut events = Events::new();
    for t in [0, 10, 20] {
        events.failed_logon(t, "WS1", "alice", "10.0.0.9");
    }
    events.logon(30, "WS1", "alice", "10.0.0.9");
    // Bob logs on before failing: the wrong order.
    events.logon(0, "WS1", "bob", "10.0.0.9");
    for t in [5, 6, 7] {
        events.failed_logon(t, "WS1", "bob", "10.0.0.9");
    }
    let (_, findings) = events.run(&set);
    let found = chains(&findings, FAILED_THEN_SUCCESS);
    assert_eq!(found.len(), 1);
    assert_eq!(keys(&found[0]), vec![pair("TargetUserName", "alice")]);
    assert_eq!(found[0].steps.len(), 4);
    // The inner correlation is referenced without generate, so it is not reported alone.
    assert!(chains(&findings, MANY_FAILED).is_empty());
}

#[test]
fn aliases_join_different_field_names() {
    let set = load(&["base_rules.yml", "correlations.yml"]);
    let mut events = Events::new();
    events.logon(0, "DC1", "alice", "10.1.1.1");
    events.connection(30, "WS1", "10.1.1.1", "445");
    events.logon(40, "DC1", "bob", "10.2.2.2");
    events.connection(50, "WS1", "10.9.9.9", "445");
    let (_, findings) = events.run(&set);
    let found = chains(&findings, LOGON_THEN_CONNECTION);
    assert_eq!(found.len(), 1);
    assert_eq!(keys(&found[0]), vec![pair("peer", "10.1.1.1")]);
}

#[test]
fn value_sum_avg_and_percentile() {
    let set = load(&["base_rules.yml", "metrics.yml"]);
    let mut events = Events::new();
    let mut t = 0;
    for _ in 0..9 {
        events.connection(t, "WS1", "10.0.0.1", "80");
        t += 10;
    }
    events.connection(t, "WS1", "6.6.6.6", "3389");
    let (store, findings) = events.run(&set);
    // 9 × 80 + 3389 = 4109 passes 1000 only with the last connection.
    let sum = chains(&findings, "9d3c1a52-0003-4c3e-9a51-000000000001");
    assert_eq!(sum.len(), 1);
    assert_eq!(sum[0].steps.len(), 10);
    // 4109 / 10 = 410.9, below 500.
    assert!(chains(&findings, "9d3c1a52-0003-4c3e-9a51-000000000002").is_empty());
    let rare = chains(&findings, "9d3c1a52-0003-4c3e-9a51-000000000003");
    assert_eq!(rare.len(), 1);
    assert_eq!(rare[0].steps.len(), 1);
    let event = rare[0].steps[0].event;
    let destination = store.field(event, "winlog.event_data.DestinationIp");
    assert_eq!(
        destination.map(|v| v.to_string()),
        Some("6.6.6.6".to_owned())
    );
}

#[test]
fn value_avg_matches_high_ports() {
    let set = load(&["base_rules.yml", "metrics.yml"]);
    let mut events = Events::new();
    events.connection(0, "WS1", "10.0.0.1", "443");
    events.connection(10, "WS1", "10.0.0.2", "3389");
    let (_, findings) = events.run(&set);
    assert_eq!(
        chains(&findings, "9d3c1a52-0003-4c3e-9a51-000000000002").len(),
        1
    );
}

#[test]
fn generate_reports_referenced_rules() {
    let set = load(&["base_rules.yml", "generate.yml"]);
    let mut events = Events::new();
    events.process(0, "WS1", "CORP\\eve", "C:\\Windows\\System32\\whoami.exe");
    events.process(30, "WS1", "CORP\\eve", "C:\\Windows\\System32\\whoami.exe");
    let (_, findings) = events.run(&set);
    assert_eq!(
        chains(&findings, "9d3c1a52-0004-4c3e-9a51-000000000001").len(),
        1
    );
    assert_eq!(chains(&findings, WHOAMI).len(), 2);
}
