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
    let samples = samples();
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
    assert_eq!(files.len(), 3);
    for file in files {
        assert_eq!(file["format"], "evtx-json");
        assert_eq!(file["records_skipped"], 0);
    }
    let findings = document["findings"].as_array().expect("findings list");
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f["analytic"].as_str().expect("analytic id"))
        .collect();
    assert_eq!(ids, ["AN0750", "AN0764", "AN0767"]);
    let first_step = &findings[1]["chains"][0]["steps"][0]["event"];
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
    assert_eq!(findings[1]["technique"], "T1547");
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
