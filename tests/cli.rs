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
