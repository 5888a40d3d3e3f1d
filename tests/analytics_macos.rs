//! The macOS analytics over `samples/macos`: each fires on the attack written into the samples,
//! with the expected events and join keys, stays quiet on the benign look-alikes beside it, and
//! changes its result when a tunable changes.

use std::path::PathBuf;

use glexia::engine::{self, ScanResult, Setup};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/macos")
}

fn setup() -> Setup {
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");
    assert!(setup.problems.is_empty(), "{:?}", setup.problems);
    setup
}

fn scan(setup: &Setup) -> ScanResult {
    let result = engine::scan(setup, &[samples_dir()]);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    result
}

/// Scans the samples with one tunable of `analytic` changed.
fn scan_tuned(analytic: &str, tunable: &str, value: &str) -> ScanResult {
    let mut setup = setup();
    setup
        .analytics
        .iter_mut()
        .find(|a| a.id == analytic)
        .expect("analytic ships")
        .set_tunable(tunable, value)
        .expect("valid tunable value");
    scan(&setup)
}

/// Returns each chain of `analytic` as its events' `(file name, record)`, in step order.
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
                    let path = store.file_path(event.origin().file).expect("known file");
                    let name = path.file_name().expect("file name");
                    (name.to_string_lossy().into_owned(), event.origin().record)
                })
                .collect()
        })
        .collect()
}

/// Returns the join keys of the first chain of `analytic`, as `(field, value)`.
fn join_keys(result: &ScanResult, analytic: &str) -> Vec<(String, String)> {
    let finding = result
        .findings
        .iter()
        .find(|f| f.analytic == analytic)
        .expect("analytic fired");
    finding.chains[0]
        .join_keys
        .iter()
        .map(|k| (k.field.clone(), k.value.clone()))
        .collect()
}

fn steps(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(f, r)| ((*f).to_owned(), *r)).collect()
}

#[test]
fn samples_load_cleanly() {
    let result = scan(&setup());
    let totals = &result.report.totals;
    // The README beside the samples is listed as skipped, with one "unsupported format" note.
    assert_eq!(totals.files_loaded, 6);
    assert_eq!(totals.files_skipped, 1);
    assert_eq!(totals.files_failed, 0);
    assert_eq!(totals.records_read, 69);
    assert_eq!(totals.events_loaded, 69);
    assert_eq!(totals.records_skipped, 0);
    assert_eq!(totals.errors, 1);
}

#[test]
fn an0749_archive_chain() {
    let result = scan(&setup());
    // Left out: Slack's frequent libz use (common), Archive Utility (allowed), and the libz
    // entry on bob's Mac whose pid matches Spotlight's on alice's Mac (another boot).
    assert_eq!(
        chains(&result, "AN0749"),
        [steps(&[
            ("archive-library.ndjson", 8),
            ("archive-library.ndjson", 9)
        ])]
    );
    assert_eq!(
        join_keys(&result, "AN0749"),
        [
            (
                "host.boot.id".to_owned(),
                "6F1C2D3E-8B4A-4C2E-9F57-1D0A3B6C9E21".to_owned()
            ),
            ("process.pid".to_owned(), "4242".to_owned()),
        ]
    );
}

#[test]
fn an0749_library_use_threshold() {
    // Slack wrote four libz entries; counting it as rare adds its update archive, named a
    // second after its third libz entry.
    let result = scan_tuned("AN0749", "RareLibraryUseCount", "4");
    assert_eq!(
        chains(&result, "AN0749"),
        [
            steps(&[("archive-library.ndjson", 3), ("archive-library.ndjson", 5)]),
            steps(&[("archive-library.ndjson", 8), ("archive-library.ndjson", 9)]),
        ]
    );
}

#[test]
fn an0749_user_context_root_only() {
    let result = scan_tuned("AN0749", "UserContext", "0");
    assert!(chains(&result, "AN0749").is_empty());
}

#[test]
fn an0749_allowed_processes_empty() {
    // Without the allowlist, Archive Utility's zip joins the implant's archive.
    let result = scan_tuned("AN0749", "AllowedProcesses", "");
    assert_eq!(
        chains(&result, "AN0749"),
        [
            steps(&[("archive-library.ndjson", 6), ("archive-library.ndjson", 7)]),
            steps(&[("archive-library.ndjson", 8), ("archive-library.ndjson", 9)]),
        ]
    );
}

#[test]
fn an0752_remote_login_chain() {
    let result = scan(&setup());
    // Left out: the admin's SSH session running sw_vers and ls, the ARD session reading a
    // preference, the failed VNC login after screensharingd started, and the copy of the
    // Messages database hours after the last login.
    assert_eq!(
        chains(&result, "AN0752"),
        [steps(&[
            ("remote-login.ndjson", 3),
            ("remote-login-osquery.log", 5)
        ])]
    );
}

#[test]
fn an0752_ssh_only_ignores_screen_sharing() {
    // Watching Screen Sharing logins alone drops the SSH story.
    let result = scan_tuned("AN0752", "RemoteService", "screensharing_login");
    assert!(chains(&result, "AN0752").is_empty());
}

#[test]
fn an0752_short_window_drops_chain() {
    // The TCC database changes 3 minutes 20 seconds after the login.
    let result = scan_tuned("AN0752", "TimeWindow", "3m");
    assert!(chains(&result, "AN0752").is_empty());
}

#[test]
fn an0752_targeted_path_narrowed() {
    // Without the TCC database among the targets, the next step is screensharingd starting.
    let result = scan_tuned("AN0752", "TargetedPath", "*/Library/Messages/*");
    assert_eq!(
        chains(&result, "AN0752"),
        [steps(&[
            ("remote-login.ndjson", 3),
            ("remote-login-osquery.log", 6)
        ])]
    );
}

#[test]
fn an0761_rare_host_chain() {
    let result = scan(&setup());
    // Left out: Teams (common host), Homebrew's curl (in the baseline), Firefox's DoH, Zoom
    // (short name), the printer (private address) and the implant's later beacons.
    assert_eq!(
        chains(&result, "AN0761"),
        [steps(&[("tls-sessions.ndjson", 26)])]
    );
}

#[test]
fn an0761_entropy_threshold() {
    let low = scan_tuned("AN0761", "PayloadEntropyThreshold", "20");
    assert_eq!(
        chains(&low, "AN0761"),
        [
            steps(&[("tls-sessions.ndjson", 24)]),
            steps(&[("tls-sessions.ndjson", 26)]),
        ]
    );
    let high = scan_tuned("AN0761", "PayloadEntropyThreshold", "46");
    assert!(chains(&high, "AN0761").is_empty());
}

#[test]
fn an0761_doh_list_empty() {
    let result = scan_tuned("AN0761", "DoHResolvers", "");
    assert_eq!(
        chains(&result, "AN0761"),
        [
            steps(&[("tls-sessions.ndjson", 23)]),
            steps(&[("tls-sessions.ndjson", 26)]),
        ]
    );
}

#[test]
fn an0761_rare_host_threshold() {
    // The implant reached its host three times; two is no longer rare enough.
    let result = scan_tuned("AN0761", "RareHostCount", "2");
    assert!(chains(&result, "AN0761").is_empty());
}

#[test]
fn an0761_no_baseline_window() {
    // With no baseline, every program's first TLS session is new, so softwareupdated's and
    // Homebrew's first sessions to rare hosts join the implant's.
    let result = scan_tuned("AN0761", "BaselineWindow", "0s");
    assert_eq!(
        chains(&result, "AN0761"),
        [
            steps(&[("tls-sessions.ndjson", 5)]),
            steps(&[("tls-sessions.ndjson", 8)]),
            steps(&[("tls-sessions.ndjson", 26)]),
        ]
    );
}

#[test]
fn an0766_launch_agent_chain() {
    let result = scan(&setup());
    // Left out: keystone's rewritten plist (the job ran before), Spotlight and the Quick Look
    // agent (no plist registered), and the disabled daemon that never starts.
    assert_eq!(
        chains(&result, "AN0766"),
        [steps(&[
            ("launch-items.ndjson", 5),
            ("launch-items.ndjson", 8)
        ])]
    );
    assert_eq!(
        join_keys(&result, "AN0766"),
        [("service.name".to_owned(), "com.apple.sysupdate".to_owned())]
    );
}

#[test]
fn an0766_short_window_misses_next_logon() {
    // The job starts 37 minutes after its plist, at the next login.
    let result = scan_tuned("AN0766", "TimeWindow", "10m");
    assert!(chains(&result, "AN0766").is_empty());
}

#[test]
fn an0766_plist_key_narrowed() {
    let result = scan_tuned("AN0766", "PlistKey", "ipc*");
    assert!(chains(&result, "AN0766").is_empty());
}

#[test]
fn an0769_decode_chain() {
    let result = scan(&setup());
    // Left out: base64 encoding a report, plutil -lint, base64 -d in a project folder, and
    // osascript -e with no script file.
    assert_eq!(
        chains(&result, "AN0769"),
        [steps(&[("decode-staged.ndjson", 5)])]
    );
}

#[test]
fn an0769_terminal_context_only() {
    // The payload was decoded with no terminal; watching Terminal sessions drops it.
    let result = scan_tuned("AN0769", "ExecutionContext", "ttys*");
    assert!(chains(&result, "AN0769").is_empty());
}

#[test]
fn an0769_interpreter_list() {
    let result = scan_tuned("AN0769", "DecodeInterpreter", "*/plutil, */osascript");
    assert!(chains(&result, "AN0769").is_empty());
}

#[test]
fn an0769_user_context() {
    let bob = scan_tuned("AN0769", "UserContext", "bob");
    assert!(chains(&bob, "AN0769").is_empty());
    let root = scan_tuned("AN0769", "UserContext", "root");
    assert_eq!(
        chains(&root, "AN0769"),
        [steps(&[("decode-staged.ndjson", 5)])]
    );
}

#[test]
fn an0769_staging_path_widened() {
    // Counting project folders as staging adds the CA certificate decoded there.
    let result = scan_tuned("AN0769", "StagingPath", "*/Users/Shared/*, */Projects/*");
    assert_eq!(
        chains(&result, "AN0769"),
        [
            steps(&[("decode-staged.ndjson", 3)]),
            steps(&[("decode-staged.ndjson", 5)]),
        ]
    );
}
