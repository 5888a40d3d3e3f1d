//! Sigma detection rules over hand-built Windows events: Sysmon and Security 4688 read through
//! the taxonomy mapping, windash, a rule's own filter selection, a filter document, keywords,
//! and the summary that links a rule to ATT&CK.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use glexia::catalog::Catalog;
use glexia::sigma::{Placeholders, RuleSet};
use glexia::store::{EventBuilder, EventStore, Origin, Platform, SourceFile};

const ENCODED: &str = "sigma:7c1f0e4a-1111-4b6e-8a0f-000000000001";
const TEMP: &str = "sigma:7c1f0e4a-1111-4b6e-8a0f-000000000002";
const KEYWORDS: &str = "sigma:7c1f0e4a-1111-4b6e-8a0f-000000000003";

fn rules() -> RuleSet {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigma/rules");
    let set = RuleSet::load(&[folder], &Placeholders::new());
    assert!(set.problems.is_empty(), "{:#?}", set.problems);
    set
}

/// A store with one event per call of `add`.
struct Events(EventStore);

impl Events {
    fn new() -> Events {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: PathBuf::from("built-in-test.evtx"),
            format: "evtx",
        });
        Events(store)
    }

    fn add(&mut self, channel: &str, code: i64, data: &[(&str, &str)]) -> usize {
        let record = self.0.len() as u64 + 1;
        let log_source = if channel == "Security" {
            "WinEventLog:Security"
        } else {
            "WinEventLog:Sysmon"
        };
        let origin = Origin {
            file: 0,
            record,
            offset: None,
        };
        let time = 1_704_067_200_000_000_000 + record as i64 * 1_000_000_000;
        let mut event = EventBuilder::new(time, log_source, Platform::Windows, origin);
        event
            .field("winlog.channel", channel)
            .field("event.code", code.to_string())
            .field("winlog.event_id", code)
            .field("host.name", "WS1");
        for (name, value) in data {
            event.field(format!("winlog.event_data.{name}"), *value);
        }
        self.0.push(event);
        self.0.len() - 1
    }

    fn sysmon_process(&mut self, image: &str, command_line: &str, parent: &str) -> usize {
        let data = [
            ("Image", image),
            ("CommandLine", command_line),
            ("ParentImage", parent),
        ];
        self.add("Microsoft-Windows-Sysmon/Operational", 1, &data)
    }

    fn security_process(&mut self, image: &str, command_line: &str, parent: &str) -> usize {
        let data = [
            ("NewProcessName", image),
            ("CommandLine", command_line),
            ("ParentProcessName", parent),
        ];
        self.add("Security", 4688, &data)
    }

    /// Returns the events each finding matched, by analytic id.
    fn matched(mut self, set: &RuleSet) -> Vec<(String, Vec<usize>)> {
        self.0.sort();
        set.findings(&self.0, &AtomicBool::new(false))
            .into_iter()
            .map(|f| {
                let events = f
                    .chains
                    .iter()
                    .flat_map(|c| c.steps.iter().map(|s| s.event))
                    .collect();
                (f.analytic, events)
            })
            .collect()
    }
}

fn events_of<'a>(matched: &'a [(String, Vec<usize>)], id: &str) -> &'a [usize] {
    matched
        .iter()
        .find(|(a, _)| a == id)
        .map_or(&[], |(_, e)| e.as_slice())
}

const POWERSHELL: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";

#[test]
fn sysmon_and_4688_both_match() {
    let set = rules();
    let mut events = Events::new();
    let sysmon = events.sysmon_process(
        POWERSHELL,
        "powershell -enc SQBFAFgA",
        "C:\\Windows\\explorer.exe",
    );
    let security = events.security_process(
        POWERSHELL,
        "powershell /enc SQBFAFgA",
        "C:\\Windows\\explorer.exe",
    );
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, ENCODED), &[sysmon, security]);
}

#[test]
fn windash_takes_other_dashes() {
    let set = rules();
    let mut events = Events::new();
    let en_dash = events.sysmon_process(POWERSHELL, "powershell \u{2013}enc SQBFAFgA", "C:\\x.exe");
    events.sysmon_process(POWERSHELL, "powershell +enc SQBFAFgA", "C:\\x.exe");
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, ENCODED), &[en_dash]);
}

#[test]
fn filter_selection_reads_mapped_parent() {
    let set = rules();
    let mut events = Events::new();
    events.sysmon_process(
        POWERSHELL,
        "powershell -enc AAAA",
        "C:\\Windows\\CCM\\CcmExec.exe",
    );
    // On 4688 the parent is ParentProcessName, which the mapping reads for ParentImage.
    events.security_process(
        POWERSHELL,
        "powershell -enc AAAA",
        "C:\\Windows\\CCM\\ccmexec.exe",
    );
    let matched = events.matched(&set);
    assert!(events_of(&matched, ENCODED).is_empty());
}

#[test]
fn filter_document_suppresses_named_rule() {
    let set = rules();
    assert_eq!(set.filters.len(), 1);
    let mut events = Events::new();
    let dropper = events.sysmon_process(
        "C:\\Users\\a\\AppData\\Local\\Temp\\dropper.exe",
        "dropper",
        "C:\\x.exe",
    );
    events.sysmon_process(
        "C:\\Users\\a\\AppData\\Local\\Temp\\packager.exe",
        "packager",
        "C:\\x.exe",
    );
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, TEMP), &[dropper]);
}

#[test]
fn keywords_search_security_events_only() {
    let set = rules();
    let mut events = Events::new();
    let security = events.add(
        "Security",
        4688,
        &[("CommandLine", "mimikatz.exe SEKURLSA::LogonPasswords exit")],
    );
    events.sysmon_process(
        "C:\\m.exe",
        "mimikatz.exe sekurlsa::logonpasswords",
        "C:\\x.exe",
    );
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, KEYWORDS), &[security]);
}

#[test]
fn summary_links_tags_to_attack() {
    let set = rules();
    let catalog = match Catalog::embedded() {
        Ok(catalog) => catalog,
        Err(error) => panic!("{error}"),
    };
    let summaries = glexia::sigma::summary::summaries(&set, &catalog);
    let Some(summary) = summaries.iter().find(|s| s.id == ENCODED) else {
        panic!("no summary for {ENCODED}");
    };
    assert_eq!(
        summary.techniques.first().map(|t| t.0.as_str()),
        Some("T1059.001")
    );
    assert_eq!(summary.platforms, vec!["Windows".to_owned()]);
    assert!(
        summary.tactics.iter().any(|t| t == "Execution"),
        "{:?}",
        summary.tactics
    );
    assert!(summary.description.contains("by Glexia tests"));
    assert_eq!(
        summary.executable.as_ref().map(|e| e.severity.as_str()),
        Some("high")
    );
    let expected = catalog.analytics_for_technique("T1059.001");
    assert!(!expected.is_empty());
    for analytic in expected {
        assert!(
            summary.siblings.iter().any(|(id, _)| *id == analytic.id),
            "{}",
            analytic.id
        );
    }
}

fn evaluator_rules() -> RuleSet {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigma/evaluator");
    let set = RuleSet::load(&[folder], &Placeholders::new());
    assert!(set.problems.is_empty(), "{:#?}", set.problems);
    set
}

fn evaluator_id(n: u8) -> String {
    format!("sigma:5e2b7d10-0000-4000-8000-00000000000{n}")
}

#[test]
fn neq_needs_a_different_present_value() {
    let set = evaluator_rules();
    let mut events = Events::new();
    let user = events.add(
        "Microsoft-Windows-Sysmon/Operational",
        1,
        &[("Image", "C:\\cmd.exe"), ("User", "CORP\\eve")],
    );
    events.add(
        "Microsoft-Windows-Sysmon/Operational",
        1,
        &[("Image", "C:\\cmd.exe"), ("User", "nt authority\\system")],
    );
    events.add(
        "Microsoft-Windows-Sysmon/Operational",
        1,
        &[("Image", "C:\\cmd.exe")],
    );
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, &evaluator_id(1)), &[user]);
}

#[test]
fn fieldref_compares_two_fields() {
    let set = evaluator_rules();
    let mut events = Events::new();
    let own = events.add(
        "Microsoft-Windows-Sysmon/Operational",
        23,
        &[
            ("Image", "C:\\t\\a.exe"),
            ("TargetFilename", "C:\\T\\A.EXE"),
        ],
    );
    events.add(
        "Microsoft-Windows-Sysmon/Operational",
        23,
        &[
            ("Image", "C:\\t\\a.exe"),
            ("TargetFilename", "C:\\t\\b.exe"),
        ],
    );
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, &evaluator_id(2)), &[own]);
}

#[test]
fn exists_false_and_null_need_absent_fields() {
    let set = evaluator_rules();
    let mut events = Events::new();
    let bare = events.add(
        "Microsoft-Windows-Sysmon/Operational",
        1,
        &[("Image", "C:\\a.exe")],
    );
    events.sysmon_process("C:\\b.exe", "b.exe /x", "C:\\explorer.exe");
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, &evaluator_id(3)), &[bare]);
    assert_eq!(events_of(&matched, &evaluator_id(4)), &[bare]);
}

#[test]
fn hour_and_cidr_read_typed_values() {
    let set = evaluator_rules();
    let mut events = Events::new();
    let data = |time: &'static str, ip: &'static str| [("UtcTime", time), ("DestinationIp", ip)];
    let public_night = events.add(
        "Microsoft-Windows-Sysmon/Operational",
        3,
        &data("2024-01-01 23:10:00.000", "8.8.8.8"),
    );
    events.add(
        "Microsoft-Windows-Sysmon/Operational",
        3,
        &data("2024-01-01 23:10:00.000", "10.1.2.3"),
    );
    events.add(
        "Microsoft-Windows-Sysmon/Operational",
        3,
        &data("2024-01-01 09:10:00.000", "8.8.8.8"),
    );
    let matched = events.matched(&set);
    assert_eq!(events_of(&matched, &evaluator_id(5)), &[public_night]);
}
