//! `glexia query` as scripts use it: matches, exit statuses and error messages.
//!
//! The expected ids come from the reference implementation (the `eql` package, version
//! 1.0.1) run over the same `test_data.json`, with `unique_pid` and `unique_ppid` as its
//! process keys. Tests that read that file print that they skip when `../shared` is absent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn glexia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glexia"))
        .args(args)
        .output()
        .expect("glexia runs")
}

fn test_data() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/eql/test_data.json");
    if path.exists() {
        Some(path)
    } else {
        println!("skipping: no EQL test data at {}", path.display());
        None
    }
}

/// Runs a query over the test data as JSON lines and returns each match's `serial_event_id`s.
fn query_ids(data: &Path, query: &str) -> (Option<i32>, Vec<Vec<i64>>) {
    let output = glexia(&[
        "query",
        query,
        "--events-json",
        data.to_str().expect("utf-8 path"),
        "--category-field",
        "event_type",
        "--timestamp-field",
        "timestamp",
        "--timestamp-unit",
        "filetime",
        "--lineage",
        "unique-pid",
        "--format",
        "jsonl",
    ]);
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    let matches = stdout
        .lines()
        .map(|line| {
            let found: serde_json::Value = serde_json::from_str(line).expect("one JSON object");
            found["events"]
                .as_array()
                .expect("events list")
                .iter()
                .map(|event| event["serial_event_id"].as_i64().expect("event id"))
                .collect()
        })
        .collect();
    (output.status.code(), matches)
}

/// Each query with the ids the reference returns, one inner list per match.
const CASES: &[(&str, &[&[i64]])] = &[
    (
        r#"process where process_name == "cmd.exe""#,
        &[&[39], &[53], &[94]],
    ),
    (
        r#"process where wildcard(process_name, "svc*.exe") and opcode == 1"#,
        &[&[56]],
    ),
    (
        r#"file where file_name in ("lsass.exe", "explorer.exe") | head 3"#,
        &[&[61], &[65], &[88]],
    ),
    (
        "process where length(command_line) > 200",
        &[&[4], &[6], &[28]],
    ),
    (
        r#"process where descendant of [process where process_name == "cmd.exe"]"#,
        &[
            &[54],
            &[56],
            &[58],
            &[62],
            &[64],
            &[68],
            &[69],
            &[73],
            &[74],
            &[78],
            &[80],
            &[84],
            &[85],
            &[89],
            &[90],
            &[93],
        ],
    ),
    (
        r#"process where child of [process where process_name == "python.exe"]"#,
        &[
            &[50],
            &[51],
            &[53],
            &[56],
            &[58],
            &[62],
            &[64],
            &[68],
            &[69],
            &[73],
            &[74],
            &[78],
            &[80],
            &[84],
            &[85],
            &[89],
            &[90],
            &[94],
        ],
    ),
    (
        "sequence by unique_pid [process where opcode == 1] [file where opcode == 0]",
        &[&[54, 55]],
    ),
    (
        "sequence by unique_pid with maxspan=5s \
         [process where true] [file where true] [file where true]",
        &[],
    ),
    (
        "sequence by unique_pid with maxspan=10s \
         [process where true] [file where true] [file where true]",
        &[&[54, 55, 59]],
    ),
    (
        "sequence by unique_pid with maxspan=2h [process where true] [process where opcode == 2]",
        &[
            &[56, 58],
            &[62, 64],
            &[68, 69],
            &[73, 74],
            &[78, 80],
            &[84, 85],
            &[89, 90],
            &[54, 93],
            &[53, 94],
            &[75273, 75303],
        ],
    ),
    (
        r#"sequence [process where process_name == "python.exe"] by unique_pid
           [process where true] by unique_ppid
           until [process where opcode == 2] by unique_pid"#,
        &[&[48, 50], &[54, 56]],
    ),
    (
        r#"sequence by user_name [process where process_name == "cmd.exe"] [file where true]
           until [process where process_name == "lsass.exe"]"#,
        &[&[53, 55], &[94, 95]],
    ),
    (
        r#"any where process_name == "svchost.exe" | unique_count event_type_full
           | filter count > 2"#,
        &[&[11], &[60]],
    ),
    (
        "process where true | unique parent_process_name | tail 4",
        &[&[48], &[50], &[54], &[98]],
    ),
];

#[test]
fn query_matches_reference_ids() {
    let Some(data) = test_data() else {
        return;
    };
    for (query, expected) in CASES {
        let (status, found) = query_ids(&data, query);
        let expected: Vec<Vec<i64>> = expected.iter().map(|ids| ids.to_vec()).collect();
        assert_eq!(found, expected, "{query}");
        let expected_status = if expected.is_empty() { 1 } else { 0 };
        assert_eq!(status, Some(expected_status), "{query}");
    }
}

#[test]
fn query_rejects_bad_query_with_caret() {
    let Some(data) = test_data() else {
        return;
    };
    let data = data.to_str().expect("utf-8 path");
    let output = glexia(&[
        "query",
        "process where lenght(a) > 1",
        "--events-json",
        data,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).expect("utf-8 errors");
    assert!(stderr.contains("unknown function 'lenght'"), "{stderr}");
    assert!(stderr.contains("line 1, column 15"), "{stderr}");
    assert!(stderr.ends_with("              ^\n"), "{stderr}");
}

#[test]
fn query_table_groups_sequence_events() {
    let Some(data) = test_data() else {
        return;
    };
    let output = glexia(&[
        "query",
        "sequence by unique_pid [process where opcode == 1] [file where opcode == 0]",
        "--events-json",
        data.to_str().expect("utf-8 path"),
        "--category-field",
        "event_type",
        "--timestamp-field",
        "timestamp",
        "--timestamp-unit",
        "filetime",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(lines[0], "match 1  by 54");
    assert!(lines[1].contains("\"serial_event_id\":54"), "{}", lines[1]);
    assert!(lines[2].contains("\"serial_event_id\":55"), "{}", lines[2]);
    assert_eq!(lines[3], "1 match");
}

#[test]
fn query_rejects_invalid_events_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("events.json");
    std::fs::write(&path, "{\"not\": \"an array\"}").expect("write events");
    let output = glexia(&[
        "query",
        "any where true",
        "--events-json",
        path.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8 errors");
    assert!(stderr.contains("expected a JSON array"), "{stderr}");
}

#[test]
fn query_reads_events_json_fields() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("events.json");
    let events = serde_json::json!([
        {"@timestamp": "2024-01-01T00:00:02Z", "event": {"category": "process"}, "id": 2},
        {"@timestamp": "2024-01-01T00:00:01Z", "event": {"category": "process"}, "id": 1},
        {"@timestamp": "2024-01-01T00:00:03Z", "event": {"category": "file"}, "id": 3},
    ]);
    std::fs::write(&path, events.to_string()).expect("write events");
    let output = glexia(&[
        "query",
        "process where true | count",
        "--events-json",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document[0]["count"], 2);
    assert_eq!(document[0]["key"], "totals");

    let ordered = glexia(&[
        "query",
        "sequence [process where true] [process where true]",
        "--events-json",
        path.to_str().expect("utf-8 path"),
        "--format",
        "jsonl",
    ]);
    let line: serde_json::Value = serde_json::from_slice(&ordered.stdout).expect("one JSON line");
    assert_eq!(line["events"][0]["id"], 1, "events run in time order");
    assert_eq!(line["events"][1]["id"], 2);
}

#[test]
fn query_runs_over_loaded_logs() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let samples = samples.to_str().expect("utf-8 path");
    let output = glexia(&[
        "query",
        r#"process where process.name : "*.exe""#,
        samples,
        "--format",
        "jsonl",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    let first: serde_json::Value =
        serde_json::from_str(stdout.lines().next().expect("a match")).expect("JSON line");
    assert_eq!(first["events"][0]["log.source"], "WinEventLog:Sysmon");
    assert!(first["events"][0]["fields"]["process.name"].is_string());

    let none = glexia(&[
        "query",
        r#"process where process.name == "nope.exe""#,
        samples,
    ]);
    assert_eq!(none.status.code(), Some(1));
    let missing = glexia(&["query", "any where true"]);
    assert_eq!(missing.status.code(), Some(2));
}
