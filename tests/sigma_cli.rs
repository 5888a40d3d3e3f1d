//! `glexia sigma check` and `glexia scan --sigma` as a user runs them.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

fn glexia(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_glexia"))
        .args(args)
        .output()
    {
        Ok(output) => output,
        Err(error) => panic!("glexia did not run: {error}"),
    }
}

fn test_rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigma/rules")
}

#[test]
fn check_reports_loaded_rules() {
    let folder = test_rules();
    let output = glexia(&["sigma", "check", &folder.display().to_string()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("2 files: 3 rules, 0 correlations and 1 filters loaded"),
        "{text}"
    );
}

#[test]
fn check_reports_yaml_error_line() {
    let broken = test_rules().join("broken.yml.txt");
    let output = glexia(&["sigma", "check", &broken.display().to_string()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("broken.yml.txt:"), "{text}");
    assert!(text.contains("invalid YAML at line"), "{text}");
}

#[test]
fn check_loads_the_sigmahq_corpus() {
    let Some(sigma) = common::data_dir("sigma") else {
        return;
    };
    let rules = sigma.join("rules");
    let output = glexia(&["sigma", "check", &rules.display().to_string()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let summary = text.lines().last().unwrap_or("");
    println!("{summary}");
    let loaded: usize = summary
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(loaded > 2500, "{summary}");
    assert!(summary.ends_with(" 0 errors"), "{summary}");
}

#[test]
fn scan_shows_sigma_author() {
    let Some(sigma) = common::data_dir("sigma") else {
        return;
    };
    let case = sigma.join(
        "regression_data/rules/windows/process_creation/proc_creation_win_certutil_encode_susp_extensions",
    );
    let Some(evtx) = std::fs::read_dir(&case).ok().and_then(|entries| {
        entries
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "evtx"))
    }) else {
        eprintln!("skipping: {} not found", case.display());
        return;
    };
    let rules = sigma.join("rules/windows/process_creation");
    let output = glexia(&[
        "scan",
        "--sigma",
        &rules.display().to_string(),
        &evtx.display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = match serde_json::from_slice(&output.stdout) {
        Ok(document) => document,
        Err(error) => panic!("scan output is not JSON: {error}"),
    };
    let findings = document["findings"].as_array().cloned().unwrap_or_default();
    let finding = findings
        .iter()
        .find(|f| f["analytic"] == "sigma:ea0cdc3e-2239-4f26-a947-4e8f8224e464");
    let Some(finding) = finding else {
        panic!("the rule of the case did not match: {findings:#?}");
    };
    assert_eq!(
        finding["sigma"]["author"],
        "Nasreddine Bencherchali (Nextron Systems)"
    );
    assert_eq!(finding["severity"], "high");
    assert_eq!(finding["technique"], "T1027");
    assert!(
        finding["sigma"]["related_analytics"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    assert_eq!(finding["chains"].as_array().map(Vec::len), Some(1));
}

#[test]
fn placeholders_file_enables_expand() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigma");
    let rule = data.join("expand").display().to_string();
    let without = glexia(&["sigma", "check", &rule]);
    let text = String::from_utf8_lossy(&without.stdout);
    assert_eq!(without.status.code(), Some(0), "{text}");
    assert!(
        text.contains("placeholder '%Administrators%' has no values"),
        "{text}"
    );
    assert!(text.contains("0 rules"), "{text}");

    let placeholders = data.join("placeholders.yml").display().to_string();
    let with = glexia(&[
        "sigma",
        "check",
        "--sigma-placeholders",
        &placeholders,
        &rule,
    ]);
    let text = String::from_utf8_lossy(&with.stdout);
    assert_eq!(with.status.code(), Some(0), "{text}");
    assert!(text.contains("1 rules"), "{text}");
}
