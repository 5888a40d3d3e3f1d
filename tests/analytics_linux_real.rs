//! The Linux analytics on public recordings written outside this project.
//!
//! The files live beside the repository, in `../shared/data`; a fresh clone has no such folder,
//! and then every test here prints that and passes without checking anything. The pinned records
//! were read from the files with a text editor: they are JSON lines and syslog or audit lines.

use std::path::{Path, PathBuf};

use glexia::engine::{self, ScanResult, Setup};
use glexia::eql::{self, Query, QueryBody};
use glexia::store::ValueRef;

const LINUX_ANALYTICS: [&str; 5] = ["AN0748", "AN0751", "AN0760", "AN0765", "AN0768"];

fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: {} not found", path.display());
        None
    }
}

fn scan(paths: &[PathBuf]) -> (Setup, ScanResult) {
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");
    let result = engine::scan(&setup, paths);
    (setup, result)
}

/// Returns each chain of `analytic` as `(file name, record)` per step.
fn chains(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, u64)>> {
    let store = &result.store;
    result
        .findings
        .iter()
        .filter(|f| f.analytic == analytic)
        .flat_map(|f| &f.chains)
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
}

/// Runs step `step` of an analytic's sequence as a query of its own and returns the
/// `(file name, record)` of each event it matches, so a test can show which part of a chain
/// the data holds.
fn step_matches(
    setup: &Setup,
    result: &ScanResult,
    analytic: &str,
    step: usize,
) -> Vec<(String, u64)> {
    let analytic = setup.analytic(analytic).expect("analytic ships");
    let QueryBody::Sequence(sequence) = &analytic.query.body else {
        panic!("{} is not a sequence", analytic.id);
    };
    let query = Query {
        body: QueryBody::Event(sequence.steps[step].query.clone()),
        pipes: Vec::new(),
    };
    let store = &result.store;
    let selected = engine::select_events(store, analytic);
    let columns =
        engine::StatisticColumns::compute(store, &analytic.statistics, &selected, &setup.options)
            .expect("statistics compute");
    let documents: Vec<_> = selected
        .iter()
        .enumerate()
        .map(|(position, &i)| {
            engine::StoreDocument::new(store, i).with_statistics(&columns, position)
        })
        .collect();
    eql::execute(&query, &documents, &setup.options)
        .expect("step runs")
        .iter()
        .map(|m| {
            let event = &store.events()[selected[m.events[0]]];
            let path = store.file_path(event.origin().file).expect("known file");
            let name = path.file_name().expect("file name");
            (name.to_string_lossy().into_owned(), event.origin().record)
        })
        .collect()
}

fn text<'a>(result: &'a ScanResult, event: usize, field: &str) -> Option<&'a str> {
    match result.store.field(event, field) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

#[test]
fn an0760_log4shell_reverse_shell() {
    let Some(file) = shared("linux/otrf_log4shell_syslog_sysmon_for_linux.json") else {
        return;
    };
    let (_, result) = scan(&[file]);

    // Record 33 is Sysmon EventCode 3: bash (pid 17806), started through the exploited Java
    // process, connecting to 192.168.2.6 on port 443. Records 2 (wdavdaemon) and 63
    // (telemetryd_v2) reach Microsoft on 443 and are whitelisted daemons.
    let name = "otrf_log4shell_syslog_sysmon_for_linux.json";
    assert_eq!(chains(&result, "AN0760"), [vec![(name.to_owned(), 33)]]);
    let event = result.findings[0].chains[0].steps[0].event;
    assert_eq!(text(&result, event, "process.name"), Some("bash"));
    assert_eq!(text(&result, event, "destination.ip"), Some("192.168.2.6"));
    assert_eq!(
        result.store.field(event, "destination.port"),
        Some(ValueRef::Int(443))
    );
    assert_eq!(result.store.log_source(event), "linux:Sysmon");
}

#[test]
fn linux_analytics_over_all_shared_data() {
    let Some(root) = shared("") else {
        return;
    };
    let (_, result) = scan(&[root]);

    for id in LINUX_ANALYTICS {
        let found = chains(&result, id);
        if id == "AN0760" {
            assert_eq!(
                found,
                [vec![(
                    "otrf_log4shell_syslog_sysmon_for_linux.json".to_owned(),
                    33
                )]],
                "{id}"
            );
        } else {
            assert!(found.is_empty(), "{id}: {found:?}");
        }
    }
}

#[test]
fn an0751_public_logons_have_no_audit_trail() {
    let Some(dir) = shared("linux") else {
        return;
    };
    let (setup, result) = scan(&[dir]);

    // The auth.log samples contain sshd logons and the audit log contains a sudo USER_CMD
    // record, but no host has both. No audit record shows an outbound connection to an
    // administration port.
    let logons = step_matches(&setup, &result, "AN0751", 0);
    let commands = step_matches(&setup, &result, "AN0751", 1);
    let lateral = step_matches(&setup, &result, "AN0751", 2);
    assert!(!logons.is_empty());
    assert!(
        logons
            .iter()
            .all(|(file, _)| file.ends_with("sshd.log") || file.ends_with("auth_test.log")),
        "{logons:?}"
    );
    assert_eq!(commands, [("go-libaudit_audit-rhel7.log".to_owned(), 34)]);
    assert!(lateral.is_empty(), "{lateral:?}");
    assert!(chains(&result, "AN0751").is_empty());
}

#[test]
fn an0760_public_audit_connect_has_no_address() {
    let Some(file) = shared("linux/go-libaudit_audit-rhel7.log") else {
        return;
    };
    let (_, result) = scan(&[file]);

    // The one connect syscall (record 28, python as google_ip_forwa) has no SOCKADDR record
    // with its stamp. The SOCKADDR record for 169.254.169.254 port 80 (record 22) has a stamp
    // of its own and is not a syscall event.
    let connects: Vec<usize> = (0..result.store.len())
        .filter(|&i| text(&result, i, "event.code") == Some("connect"))
        .collect();
    assert_eq!(connects.len(), 1);
    assert_eq!(result.store.events()[connects[0]].origin().record, 28);
    assert_eq!(text(&result, connects[0], "destination.ip"), None);
    let metadata: Vec<usize> = (0..result.store.len())
        .filter(|&i| text(&result, i, "destination.ip") == Some("169.254.169.254"))
        .collect();
    assert_eq!(metadata.len(), 1);
    assert_eq!(result.store.events()[metadata[0]].origin().record, 22);
    assert_eq!(result.store.log_source(metadata[0]), "auditd:SOCKADDR");
    assert!(chains(&result, "AN0760").is_empty());
}
