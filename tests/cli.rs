//! The `glexia` binary as scripts use it: output formats and exit statuses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn glexia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glexia"))
        .args(args)
        .output()
        .expect("glexia runs")
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

#[test]
fn scan_json_lists_files_and_findings() {
    let samples = samples().join("windows");
    let output = glexia(&[
        "scan",
        samples.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    let files = document["files"].as_array().expect("files list");
    assert_eq!(files.len(), 9);
    for file in files {
        let path = file["path"].as_str().expect("file path");
        if path.ends_with(".jsonl") {
            assert_eq!(file["format"], "evtx-json", "{path}");
        } else {
            assert_eq!(file["status"], "skipped", "{path}");
        }
        assert_eq!(file["records_skipped"], 0);
    }
    let findings = document["findings"].as_array().expect("findings list");
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f["analytic"].as_str().expect("analytic id"))
        .collect();
    for id in ["AN0750", "AN0764", "AN0767"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let run_key = findings
        .iter()
        .find(|f| f["analytic"] == "AN0764")
        .expect("AN0764 fires on the samples");
    let first_step = &run_key["chains"][0]["steps"][0]["event"];
    assert_eq!(first_step["log.source"], "WinEventLog:Sysmon");
    assert_eq!(first_step["platform"], "Windows");
    assert_eq!(first_step["origin"]["record"], 29);
    assert!(
        first_step["origin"]["path"]
            .as_str()
            .expect("origin path")
            .ends_with("WS01-Sysmon.jsonl")
    );
    assert_eq!(first_step["fields"]["process.name"], "reg.exe");
    assert_eq!(run_key["technique"], "T1547");
}

#[test]
fn scan_exit_status_follows_results() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let quiet = dir.path().join("quiet.jsonl");
    std::fs::write(&quiet, "").expect("write empty file");
    let nothing = glexia(&["scan", quiet.to_str().expect("utf-8 path")]);
    assert_eq!(nothing.status.code(), Some(1), "{nothing:?}");
    assert!(String::from_utf8_lossy(&nothing.stdout).contains("no analytic matched"));

    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"Event\": {\"System\": \n").expect("write broken file");
    let failed = glexia(&["scan", broken.to_str().expect("utf-8 path")]);
    assert_eq!(failed.status.code(), Some(2), "{failed:?}");
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert!(stdout.contains("broken.jsonl"), "{stdout}");
}

#[test]
fn scan_memory_limit_reports_files_left_out() {
    let samples = samples().join("windows");
    let samples = samples.to_str().expect("utf-8 path");
    let output = glexia(&["scan", samples, "--memory-limit", "1K", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    let files = document["files"].as_array().expect("files list");
    let left_out: Vec<&serde_json::Value> = files
        .iter()
        .filter(|file| file["status"] == "failed")
        .collect();
    assert!(!left_out.is_empty(), "{files:?}");
    for file in left_out {
        let message = file["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains("memory limit of 1.0 KiB"), "{message}");
    }

    let unlimited = glexia(&["scan", samples, "--memory-limit", "none"]);
    assert_eq!(unlimited.status.code(), Some(0), "{unlimited:?}");
    let invalid = glexia(&["scan", samples, "--memory-limit", "lots"]);
    assert_eq!(invalid.status.code(), Some(2), "{invalid:?}");
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("invalid size 'lots'"));
}

#[test]
fn bad_analytic_file_is_named() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let bad = dir.path().join("AN0750.toml");
    std::fs::write(&bad, "id = \"AN0750\"\ntitle = 3\n").expect("write analytic");
    let samples = samples();
    let output = glexia(&[
        "scan",
        samples.to_str().expect("utf-8 path"),
        "--analytics",
        bad.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("AN0750.toml"), "{stdout}");
}

#[test]
fn analytics_check_passes_on_shipped_analytics() {
    let output = glexia(&["analytics", "check"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let checked = format!("{} analytics checked", glexia::analytics::BUILTIN.len());
    assert!(stdout.contains(&checked), "{stdout}");
    assert!(stdout.contains("all agree"), "{stdout}");
}

#[test]
fn analytics_check_names_file_and_field() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let wrong = dir.path().join("AN0764.toml");
    let shipped = include_str!("../analytics/windows/AN0764.toml");
    // Security 4689 (process exit) is not a log source ATT&CK names for AN0764.
    let edited = shipped.replace(
        r#"event_codes = ["4688"]"#,
        r#"event_codes = ["4688", "4689"]"#,
    );
    assert_ne!(edited, shipped);
    std::fs::write(&wrong, edited).expect("write analytic");
    let output = glexia(&[
        "analytics",
        "check",
        "--analytics",
        wrong.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("AN0764.toml"), "{stdout}");
    assert!(stdout.contains("reads[0].event_codes"), "{stdout}");
    assert!(stdout.contains("'4689'"), "{stdout}");
    assert!(stdout.trim_end().ends_with(": 1 problem"), "{stdout}");
}

#[test]
fn analytics_list_filters_by_platform() {
    let output = glexia(&[
        "analytics",
        "list",
        "--platform",
        "esxi",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("stdout is a JSON array");
    // 106 analytics of ATT&CK 18.1 list ESXi among their platforms.
    assert_eq!(rows.len(), 106);
    assert!(rows.iter().all(|r| {
        r["platforms"]
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x == "ESXi"))
    }));
}

#[test]
fn analytics_show_prints_the_catalog_record() {
    let output = glexia(&["analytics", "show", "AN0746"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("platforms: SaaS"), "{stdout}");
    assert!(
        stdout.contains("log source: m365:unified (SendMessage)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mutable element: MessageRateThreshold"),
        "{stdout}"
    );
    assert!(stdout.contains("mutable element: APIKeyList"), "{stdout}");
    assert!(
        stdout.contains("executable: analytics/saas/AN0746.toml"),
        "{stdout}"
    );
    let catalog_only = glexia(&["analytics", "show", "AN0745"]);
    assert_eq!(catalog_only.status.code(), Some(0), "{catalog_only:?}");
    let stdout = String::from_utf8_lossy(&catalog_only.stdout);
    assert!(stdout.contains("executable: no"), "{stdout}");
    let missing = glexia(&["analytics", "show", "AN9999"]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
}

#[test]
fn attack_import_reproduces_shipped_catalog() {
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/attack/enterprise-attack-18.1-detection.json");
    if !bundle.exists() {
        eprintln!("skipping: {} not found", bundle.display());
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let output_path = dir.path().join("catalog.json");
    let output = glexia(&[
        "attack",
        "import",
        bundle.to_str().expect("utf-8"),
        "--output",
        output_path.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1739 analytics"), "{stdout}");
    assert!(stdout.contains("691 detection strategies"), "{stdout}");
    assert!(
        stdout.contains("skipped revoked: 132 attack-pattern"),
        "{stdout}"
    );
    let written = std::fs::read(&output_path).expect("catalog written");
    let shipped = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("analytics/attack/enterprise-attack-18.1.json"),
    )
    .expect("shipped catalog");
    assert!(
        written == shipped,
        "import differs from the shipped catalog"
    );
}

#[test]
fn attack_import_names_missing_bundle() {
    let output = glexia(&["attack", "import", "/nonexistent/bundle.json"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/bundle.json"), "{stderr}");
}

#[test]
fn catalog_option_loads_an_import() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let shipped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("analytics/attack/enterprise-attack-18.1.json");
    let copy = dir.path().join("attack.json");
    std::fs::copy(&shipped, &copy).expect("copy catalog");
    let output = glexia(&[
        "analytics",
        "check",
        "--catalog",
        copy.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"attack_version\": ").expect("write broken catalog");
    let failed = glexia(&[
        "analytics",
        "check",
        "--catalog",
        broken.to_str().expect("utf-8"),
    ]);
    assert_eq!(failed.status.code(), Some(2), "{failed:?}");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("broken.json") || stderr.contains("catalog"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Skipped records in scan output

/// Returns one evtx_dump JSON line for a Security 4688 event with record id `id`.
fn evtx_json_line(id: u64) -> String {
    format!(
        concat!(
            r#"{{"Event":{{"System":{{"EventID":4688,"EventRecordID":{id},"#,
            r##""TimeCreated":{{"#attributes":{{"SystemTime":"2020-01-01T00:00:0{id}Z"}}}},"##,
            r#""Channel":"Security","Computer":"ws1"}},"#,
            r#""EventData":{{"NewProcessName":"C:\\Windows\\cmd.exe","NewProcessId":"0x1f4"}}}}}}"#
        ),
        id = id
    )
}

fn cloudtrail_line(name: &str) -> String {
    format!(
        r#"{{"eventVersion": "1.08", "eventTime": "2024-08-02T08:53:24Z", "eventSource": "s3.amazonaws.com", "eventName": "{name}", "awsRegion": "us-east-1"}}"#
    )
}

/// Raw auditd lines; the second has no serial in its stamp.
const AUDIT_TEXT: &str = "\
type=SYSCALL msg=audit(1605000000.100:10): syscall=59 pid=100 exe=\"/usr/bin/ls\"
type=SYSCALL msg=audit(1605000000.200): syscall=59 pid=101
type=SYSCALL msg=audit(1605000000.300:12): syscall=59 pid=102 exe=\"/usr/bin/id\"
";

/// Syslog lines; the second is in year 9999 and the third has no timestamp.
const AUTH_TEXT: &str = "\
<38>1 2024-03-01T10:00:00Z host sshd 42 - - Accepted password for bob from 10.0.0.1 port 22 ssh2
<38>1 9999-03-01T10:00:00Z host sshd 42 - - Accepted password for eve from 10.0.0.2 port 22 ssh2
this line has no timestamp
";

/// Returns the byte offset of line `number` (1-based) of `text`.
fn offset_of_line(text: &str, number: usize) -> usize {
    text.split_inclusive('\n')
        .take(number - 1)
        .map(str::len)
        .sum()
}

/// Writes logs with known bad records into `dir`.
///
/// The bad records are an evtx_dump JSON line that is not JSON, an audit record without a
/// serial, syslog lines with no or an out-of-range time and a CloudTrail record nested too deep.
/// The folder also gets a file in no log format and, when the public samples are present, an
/// EVTX file cut inside a chunk.
fn write_broken_collection(dir: &Path) {
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).expect("write");
    write(
        "events.jsonl",
        format!(
            "{}\n{{\"Event\": oops}}\n{}\n",
            evtx_json_line(1),
            evtx_json_line(3)
        )
        .as_bytes(),
    );
    write("audit.log", AUDIT_TEXT.as_bytes());
    write("auth.log", AUTH_TEXT.as_bytes());
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let deep_record = cloudtrail_line("PutObject").replacen('{', &format!("{{\"x\": {deep}, "), 1);
    write(
        "trail.json",
        format!(
            "{{\"Records\": [\n{},\n{deep_record},\n{}\n]}}\n",
            cloudtrail_line("GetObject"),
            cloudtrail_line("DeleteObject")
        )
        .as_bytes(),
    );
    write("notes.txt", b"analyst notes, not a log\n");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/evtx/deepblue_password-spray.evtx");
    match std::fs::read(&sample) {
        // The file header is 4096 bytes and each chunk 65536: the cut falls inside chunk 1.
        Ok(bytes) => write("cut.evtx", &bytes[..4096 + 65_536 + 30_000]),
        Err(_) => eprintln!("skipping: {} not found", sample.display()),
    }
}

/// Renders a JSON location as the table prints it.
fn location_text(location: &serde_json::Value) -> String {
    let number = |key: &str| location[key].as_u64().expect("number in location");
    match location["kind"].as_str().expect("location kind") {
        "file" => "file".to_owned(),
        "line" => format!("line {} (byte {})", number("line"), number("offset")),
        "evtx_record" => format!("record {}", number("record_id")),
        "evtx_chunk" => format!("chunk {}", number("chunk")),
        "evtx_chunk_offset" => match location["chunk"].as_u64() {
            Some(chunk) => format!("chunk {chunk}, offset {}", number("offset")),
            None => format!("chunk offset {}", number("offset")),
        },
        other => panic!("unknown location kind {other}"),
    }
}

fn count(value: &serde_json::Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing"))
}

#[test]
fn scan_prints_skipped_record_locations() {
    let dir = tempfile::tempdir().expect("temporary folder");
    write_broken_collection(dir.path());
    let folder = dir.path().to_str().expect("utf-8 path");

    let json = glexia(&["scan", folder, "--format", "json"]);
    let table = glexia(&["scan", folder]);

    assert_eq!(json.status.code(), Some(2), "{json:?}");
    assert_eq!(table.status.code(), Some(2), "{table:?}");
    let document: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("stdout is one JSON document");
    let table = String::from_utf8_lossy(&table.stdout);
    let files = document["files"].as_array().expect("files list");
    let mut sums = [0u64; 3];
    let mut checked_errors = 0;
    for file in files {
        let path = file["path"].as_str().expect("path");
        let (read, loaded, skipped) = (
            count(file, "records_read"),
            count(file, "events_loaded"),
            count(file, "records_skipped"),
        );
        assert_eq!(read, loaded + skipped, "{path}");
        sums[0] += read;
        sums[1] += loaded;
        sums[2] += skipped;
        let errors = file["errors"].as_array().expect("errors list");
        let located = errors
            .iter()
            .filter(|e| e["location"]["kind"] != "file")
            .count() as u64;
        // One error per skipped record, except that the error for a lost EVTX chunk counts
        // all the records of the chunk.
        if file["format"] == "evtx" {
            assert_eq!(located == 0, skipped == 0, "{path}");
        } else {
            assert!(
                located >= skipped,
                "{path}: {skipped} records skipped, {located} located errors"
            );
        }
        if file["status"] == "skipped" {
            continue;
        }
        if !errors.is_empty() {
            let plural = |n: u64, noun: &str| {
                if n == 1 {
                    format!("1 {noun}")
                } else {
                    format!("{n} {noun}s")
                }
            };
            let counts = format!(
                "file: {path}: {} read, {} loaded, {} skipped",
                plural(read, "record"),
                plural(loaded, "event"),
                plural(skipped, "record")
            );
            assert!(table.contains(&counts), "no `{counts}` in\n{table}");
        }
        for error in errors {
            let line = format!(
                "error: {path}: {}: {}",
                location_text(&error["location"]),
                error["message"].as_str().expect("message")
            );
            assert!(table.lines().any(|l| l == line), "no `{line}` in\n{table}");
            checked_errors += 1;
        }
    }
    let totals = &document["totals"];
    assert_eq!(count(totals, "records_read"), sums[0]);
    assert_eq!(count(totals, "events_loaded"), sums[1]);
    assert_eq!(count(totals, "records_skipped"), sums[2]);
    assert_eq!(sums[0], sums[1] + sums[2]);
    let totals_line = format!(
        "{} read, {} loaded, {} skipped",
        format_args!("{} records", sums[0]),
        format_args!("{} events", sums[1]),
        format_args!("{} records", sums[2]),
    );
    assert!(
        table.contains(&totals_line),
        "no `{totals_line}` in\n{table}"
    );

    // Every kind of bad record written above is reported where it is.
    let error_at = |name: &str, location: serde_json::Value| {
        files
            .iter()
            .filter(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .flat_map(|f| f["errors"].as_array().expect("errors list"))
            .any(|e| e["location"] == location)
    };
    let first_json_line = evtx_json_line(1).len() + 1;
    assert!(error_at(
        "events.jsonl",
        serde_json::json!({"kind": "line", "line": 2, "offset": first_json_line})
    ));
    assert!(error_at(
        "audit.log",
        serde_json::json!({"kind": "line", "line": 2, "offset": offset_of_line(AUDIT_TEXT, 2)})
    ));
    for line in [2, 3] {
        let offset = offset_of_line(AUTH_TEXT, line);
        assert!(error_at(
            "auth.log",
            serde_json::json!({"kind": "line", "line": line, "offset": offset})
        ));
    }
    let deep_at = "{\"Records\": [\n".len() + cloudtrail_line("GetObject").len() + 2;
    assert!(error_at(
        "trail.json",
        serde_json::json!({"kind": "line", "line": 3, "offset": deep_at})
    ));
    // The cut EVTX file is written only when the public recording it is cut from is present.
    let has_evtx = files
        .iter()
        .any(|f| f["path"].as_str().is_some_and(|p| p.ends_with("cut.evtx")));
    if has_evtx {
        assert!(error_at(
            "cut.evtx",
            serde_json::json!({"kind": "evtx_chunk_offset", "chunk": 1, "offset": 4096 + 65_536})
        ));
    }
    let expected_errors = if has_evtx { 6 } else { 5 };
    assert!(
        checked_errors >= expected_errors,
        "{checked_errors} errors checked"
    );
}

// ---------------------------------------------------------------------------------------------
// Exit statuses of every command
//
// 0: success (for scan and query: something matched), 1: ran cleanly and nothing matched,
// 2: usage error, input error or failed check.

/// Runs glexia with empty standard input and captured output, and returns the exit status
/// with stdout and stderr as text.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = glexia(args);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn global_option_before_command() {
    // A global option before the command name must not turn the command into a path to open.
    let samples = samples();
    let samples = samples.to_string_lossy();
    let (code, stdout, stderr) = run(&["--tz", "UTC", "query", "any where false", &samples]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("TUI"), "{stderr}");
    assert!(stdout.contains("0 matches"), "{stdout}");
}

#[test]
fn query_rejects_options_it_ignores() {
    let samples = samples();
    let samples = samples.to_string_lossy();
    let (code, stdout, stderr) = run(&[
        "query",
        "--catalog",
        "catalog.json",
        "--sigma",
        "rules",
        "process where true",
        &samples,
    ]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("--catalog, --sigma are not used by `glexia query`"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["query", "--analytics", "extra", "process where true"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--analytics is not used"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[&[&str]] = &[
        &["--no-such-option"],
        &["scan"],
        &["scan", "samples", "--format", "yaml"],
        &["query"],
        &["query", "any where true", "--timestamp-unit", "days"],
        &["analytics"],
        &["analytics", "show"],
        &["analytics", "list", "--format", "yaml"],
        &["analytics", "frobnicate"],
        &["attack", "import"],
        &["attack", "import", "a.json", "b.json"],
    ];
    for args in cases {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stdout} {stderr}");
        // clap names the fault and points to --help; a missing subcommand prints the help.
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["scan", "--help"],
        &["help"],
    ] {
        let (code, stdout, _) = run(args);
        assert_eq!(code, Some(0), "{args:?}");
        assert!(stdout.contains("glexia"), "{args:?}: {stdout}");
    }
}

#[test]
fn scan_missing_path_exits_2() {
    let (code, stdout, _) = run(&["scan", "/nonexistent/case"]);

    assert_eq!(code, Some(2));
    assert!(
        stdout.contains("error: /nonexistent/case: file: cannot read"),
        "{stdout}"
    );
}

#[test]
fn query_exit_statuses() {
    let samples = samples();
    let samples = samples.to_str().expect("utf-8 path");
    let (found, stdout, _) = run(&[
        "query",
        r#"process where process.name : "reg.exe""#,
        samples,
    ]);
    assert_eq!(found, Some(0), "{stdout}");

    let (nothing, stdout, _) = run(&[
        "query",
        r#"process where process.name == "no-such.exe""#,
        samples,
    ]);
    assert_eq!(nothing, Some(1), "{stdout}");
    assert!(stdout.contains("0 matches"), "{stdout}");

    let (invalid, _, stderr) = run(&["query", "process where", samples]);
    assert_eq!(invalid, Some(2));
    assert!(stderr.contains("invalid query"), "{stderr}");

    let dir = tempfile::tempdir().expect("temporary folder");
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, format!("{}\n{{oops\n", evtx_json_line(1))).expect("write");
    let (load_error, stdout, stderr) = run(&[
        "query",
        "any where true",
        broken.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(load_error, Some(2), "{stdout} {stderr}");
    assert!(stderr.contains("broken.jsonl"), "{stderr}");

    let (missing, _, stderr) = run(&[
        "query",
        "any where true",
        "--events-json",
        "/nonexistent.json",
    ]);
    assert_eq!(missing, Some(2));
    assert!(stderr.contains("/nonexistent.json"), "{stderr}");
}

#[test]
fn analytics_exit_statuses() {
    let (listed, stdout, _) = run(&["analytics", "list", "--executable"]);
    assert_eq!(listed, Some(0));
    assert!(stdout.contains("AN0750"), "{stdout}");

    // A filter that matches nothing is an empty list, not an error.
    let (empty, stdout, _) = run(&["analytics", "list", "--technique", "T9999"]);
    assert_eq!(empty, Some(0));
    assert!(stdout.contains("0 analytics"), "{stdout}");

    let (shown, _, _) = run(&["analytics", "show", "AN0750"]);
    assert_eq!(shown, Some(0));
    let (unknown, stdout, stderr) = run(&["analytics", "show", "AN9999"]);
    assert_eq!(unknown, Some(2));
    assert!(stderr.contains("'AN9999' is not in the ATT&CK"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");

    let (checked, _, _) = run(&["analytics", "check"]);
    assert_eq!(checked, Some(0));
    let dir = tempfile::tempdir().expect("temporary folder");
    let bad = dir.path().join("AN0750.toml");
    std::fs::write(&bad, "id = \"AN0750\"\n").expect("write analytic");
    let (failed, stdout, _) = run(&[
        "analytics",
        "check",
        "--analytics",
        bad.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(failed, Some(2), "{stdout}");
    assert!(stdout.contains("AN0750.toml"), "{stdout}");
}

/// Returns a STIX bundle with one analytic, its detection strategy, technique and data
/// component, written for these tests in the shape of MITRE's ATT&CK bundles.
fn small_bundle(analytic_refs: &[&str]) -> String {
    let reference =
        |id: &str| serde_json::json!([{"source_name": "mitre-attack", "external_id": id}]);
    serde_json::json!({
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {"type": "x-mitre-collection", "id": "x-mitre-collection--1", "x_mitre_version": "9.9"},
            {"type": "x-mitre-analytic", "id": "x-mitre-analytic--1", "name": "Analytic 0001",
             "external_references": reference("AN0001"), "x_mitre_platforms": ["Windows"],
             "x_mitre_log_source_references": [{"x_mitre_data_component_ref":
                 "x-mitre-data-component--1", "name": "WinEventLog:Sysmon",
                 "channel": "EventCode=1"}]},
            {"type": "x-mitre-detection-strategy", "id": "x-mitre-detection-strategy--1",
             "name": "Strategy", "external_references": reference("DET0001"),
             "x_mitre_analytic_refs": analytic_refs},
            {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Remote Services",
             "external_references": reference("T1021"),
             "kill_chain_phases": [{"kill_chain_name": "mitre-attack",
                                    "phase_name": "lateral-movement"}]},
            {"type": "x-mitre-data-component", "id": "x-mitre-data-component--1",
             "name": "Process Creation", "external_references": reference("DC0032")},
            {"type": "relationship", "id": "relationship--1", "relationship_type": "detects",
             "source_ref": "x-mitre-detection-strategy--1", "target_ref": "attack-pattern--1"}
        ]
    })
    .to_string()
}

#[test]
fn attack_import_exit_statuses() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let bundle = dir.path().join("bundle.json");
    let catalog = dir.path().join("catalog.json");
    std::fs::write(&bundle, small_bundle(&["x-mitre-analytic--1"])).expect("write bundle");
    let (imported, stdout, stderr) = run(&[
        "attack",
        "import",
        bundle.to_str().expect("utf-8 path"),
        "--output",
        catalog.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(imported, Some(0), "{stdout} {stderr}");
    assert!(stdout.contains("1 analytics"), "{stdout}");
    assert!(catalog.is_file());

    let dangling = dir.path().join("dangling.json");
    std::fs::write(
        &dangling,
        small_bundle(&["x-mitre-analytic--1", "x-mitre-analytic--2"]),
    )
    .expect("write bundle");
    let (failed, _, stderr) = run(&[
        "attack",
        "import",
        dangling.to_str().expect("utf-8 path"),
        "--output",
        dir.path().join("other.json").to_str().expect("utf-8 path"),
    ]);
    assert_eq!(failed, Some(2));
    assert!(stderr.contains("x-mitre-analytic--2"), "{stderr}");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"type\": \"bundle\", ").expect("write bundle");
    let (invalid, _, stderr) = run(&["attack", "import", broken.to_str().expect("utf-8 path")]);
    assert_eq!(invalid, Some(2));
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(stderr.contains("invalid STIX bundle JSON"), "{stderr}");

    let (missing, _, stderr) = run(&["attack", "import", "/nonexistent/bundle.json"]);
    assert_eq!(missing, Some(2));
    assert_eq!(
        stderr.matches("No such file").count(),
        1,
        "the cause is printed once: {stderr}"
    );
}

#[test]
fn tui_without_terminal_exits_2() {
    let samples = samples();
    for args in [vec![], vec![samples.to_str().expect("utf-8 path")]] {
        let output = Command::new(env!("CARGO_BIN_EXE_glexia"))
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("glexia runs");

        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("needs a terminal"), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn missing_catalog_names_cause_once() {
    let (code, _, stderr) = run(&[
        "analytics",
        "list",
        "--catalog",
        "/nonexistent/catalog.json",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/catalog.json"), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}
