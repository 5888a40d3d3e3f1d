//! Loads arbitrary bytes as a Sigma rule file (detection rules, filters and correlation rules,
//! one YAML document each) and runs whatever loaded over six fixed events.

#![no_main]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use glexia::sigma::{Placeholders, RuleSet};
use glexia::store::{EventBuilder, EventStore, Origin, Platform, SourceFile};
use libfuzzer_sys::fuzz_target;

/// 2024-01-01T00:00:00Z in nanoseconds.
const START: i64 = 1_704_067_200_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("rule.yml");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let mut placeholders = Placeholders::new();
    placeholders.insert(
        "Admins".to_owned(),
        vec!["alice".to_owned(), "root".to_owned()],
    );
    let set = RuleSet::load(&[path], &placeholders);

    assert_eq!(set.files, 1);
    assert_eq!(set.rules.len(), set.rule_sources.len());
    for indexes in &set.rule_sources {
        for &index in indexes {
            assert!(
                index < set.sources.len(),
                "source {index} of {}",
                set.sources.len()
            );
        }
    }
    // A problem's line is 0 for the whole file or a line of the file. YAML ends a line at
    // `\n`, `\r\n` or a lone `\r`.
    let lines = data
        .iter()
        .zip(data.iter().skip(1).chain(std::iter::once(&0)))
        .filter(|&(&byte, &next)| byte == b'\n' || (byte == b'\r' && next != b'\n'))
        .count()
        + 1;
    for problem in &set.problems {
        assert!(
            problem.problem.line <= lines,
            "problem at line {} of {lines}: {}",
            problem.problem.line,
            problem.problem.message
        );
    }
    if set.is_empty() {
        return;
    }

    let store = events();
    let findings = set.findings(&store, &AtomicBool::new(false));
    for finding in &findings {
        assert!(
            set.info(&finding.analytic).is_some(),
            "finding {} has no rule",
            finding.analytic
        );
        for chain in &finding.chains {
            for step in &chain.steps {
                assert!(
                    step.event < store.len(),
                    "event {} of {}",
                    step.event,
                    store.len()
                );
            }
        }
    }
});

/// Six events from four log sources and two hosts, one second apart: Sysmon process creation
/// and network connection, Security 4688, an sshd syslog line, a CloudTrail record and an
/// auditd execve.
fn events() -> EventStore {
    let mut store = EventStore::new();
    store.add_file(SourceFile {
        path: PathBuf::from("fixed-events"),
        format: "evtx",
    });
    let mut record = 0;
    let mut next = |log_source: &str, platform: Platform| {
        record += 1;
        let origin = Origin {
            file: 0,
            record,
            offset: None,
        };
        EventBuilder::new(
            START + record as i64 * 1_000_000_000,
            log_source,
            platform,
            origin,
        )
    };

    let mut event = next("WinEventLog:Sysmon", Platform::Windows);
    event
        .field("winlog.channel", "Microsoft-Windows-Sysmon/Operational")
        .field("event.code", "1")
        .field("winlog.event_id", 1_i64)
        .field("host.name", "WS1")
        .field("user.name", "alice")
        .field("winlog.event_data.Image", r"C:\Windows\System32\cmd.exe")
        .field("winlog.event_data.CommandLine", "cmd.exe /c whoami /all")
        .field("winlog.event_data.ParentImage", r"C:\Windows\explorer.exe")
        .field("winlog.event_data.User", r"CORP\alice")
        .field("winlog.event_data.ProcessId", "4242");
    store.push(event);

    let mut event = next("WinEventLog:Security", Platform::Windows);
    event
        .field("winlog.channel", "Security")
        .field("event.code", "4688")
        .field("winlog.event_id", 4688_i64)
        .field("host.name", "WS1")
        .field(
            "winlog.event_data.NewProcessName",
            r"C:\Windows\System32\powershell.exe",
        )
        .field("winlog.event_data.CommandLine", "powershell -enc SQBFAFgA")
        .field(
            "winlog.event_data.ParentProcessName",
            r"C:\Windows\System32\cmd.exe",
        );
    store.push(event);

    let mut event = next("WinEventLog:Sysmon", Platform::Windows);
    event
        .field("winlog.channel", "Microsoft-Windows-Sysmon/Operational")
        .field("event.code", "3")
        .field("winlog.event_id", 3_i64)
        .field("host.name", "WS1")
        .field(
            "winlog.event_data.Image",
            r"C:\Windows\System32\powershell.exe",
        )
        .field("winlog.event_data.DestinationIp", "203.0.113.7")
        .field("winlog.event_data.DestinationPort", "443")
        .field("destination.ip", "203.0.113.7")
        .field("destination.port", 443_i64);
    store.push(event);

    let mut event = next("linux:syslog", Platform::Linux);
    event
        .field("host.name", "web01")
        .field("process.name", "sshd")
        .field("user.name", "root")
        .field("source.ip", "198.51.100.20")
        .field(
            "message",
            "Failed password for root from 198.51.100.20 port 50022 ssh2",
        );
    store.push(event);

    let mut event = next("AWS:CloudTrail", Platform::Iaas);
    event
        .field("event.provider", "iam.amazonaws.com")
        .field("event.action", "CreateAccessKey")
        .field("cloud.region", "us-east-1")
        .field("source.address", "192.0.2.44")
        .field("user.name", "alice")
        .field("aws.cloudtrail.user_identity.type", "IAMUser")
        .field(
            "aws.cloudtrail.flattened.request_parameters.userName",
            "backup-admin",
        );
    store.push(event);

    let mut event = next("auditd:EXECVE", Platform::Linux);
    event
        .field("host.name", "web01")
        .field("auditd.record_types", "SYSCALL EXECVE")
        .field("auditd.log.EXECVE.a0", "curl")
        .field("auditd.log.EXECVE.a1", "http://203.0.113.7/x.sh")
        .field("auditd.log.SYSCALL.exe", "/usr/bin/curl")
        .field("tags", "exec")
        .field("process.executable", "/usr/bin/curl");
    store.push(event);
    store
}
