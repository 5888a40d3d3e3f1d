//! SigmaHQ's regression cases: each case's rule, run over the case's EVTX file, must match at
//! least `match_count` events (one when the case gives no count).

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::sigma::yaml::{self, Node};
use glexia::sigma::{Placeholders, RuleSet};

/// Cases that fail, with the reason. The test fails when a listed case passes, so the list
/// stays true.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

/// One regression case as its `info.yml` describes it.
struct Case {
    rule_id: String,
    title: String,
    match_count: usize,
    evtx: PathBuf,
}

fn read_case(info: &Path) -> Result<Option<Case>, String> {
    let text = std::fs::read_to_string(info).map_err(|e| format!("{}: {e}", info.display()))?;
    let documents = yaml::parse_documents(&text).map_err(|e| format!("{}: {e}", info.display()))?;
    let root = documents.first().ok_or("empty info.yml")?;
    let metadata = root
        .get("rule_metadata")
        .and_then(Node::items)
        .and_then(|items| items.first())
        .ok_or_else(|| format!("{}: no rule_metadata", info.display()))?;
    let rule_id = metadata
        .get("id")
        .and_then(Node::as_str)
        .ok_or("no rule id")?;
    let title = metadata.get("title").and_then(Node::as_str).unwrap_or("");
    // A case whose test entry is commented out, as for raw-text logs, is not a case.
    let Some(test) = root
        .get("regression_tests_info")
        .and_then(Node::items)
        .and_then(|items| items.first())
    else {
        return Ok(None);
    };
    let match_count = test
        .get("match_count")
        .and_then(Node::as_str)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let folder = info.parent().ok_or("no folder")?;
    let evtx = std::fs::read_dir(folder)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "evtx"))
        .ok_or_else(|| format!("{}: no .evtx beside it", info.display()))?;
    Ok(Some(Case {
        rule_id: rule_id.to_owned(),
        title: title.to_owned(),
        match_count,
        evtx,
    }))
}

fn info_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            info_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "info.yml") {
            out.push(path);
        }
    }
}

#[test]
fn regression_cases_match() {
    let Some(sigma) = common::data_dir("sigma") else {
        return;
    };
    let rule_folders: Vec<PathBuf> = ["rules", "rules-threat-hunting", "rules-emerging-threats"]
        .iter()
        .map(|f| sigma.join(f))
        .collect();
    let corpus = RuleSet::load(&rule_folders, &Placeholders::new());
    let mut infos = Vec::new();
    info_files(&sigma.join("regression_data"), &mut infos);
    infos.sort();
    assert!(!infos.is_empty(), "no regression case found");

    let mut passed = 0;
    let mut cases = 0;
    let mut failures: Vec<(String, String)> = Vec::new();
    for info in &infos {
        let case = match read_case(info) {
            Ok(Some(case)) => case,
            Ok(None) => {
                println!("not a case (no test entry): {}", info.display());
                continue;
            }
            Err(message) => {
                failures.push((info.display().to_string(), message));
                continue;
            }
        };
        cases += 1;
        let Some(index) = corpus.rule_index(&case.rule_id) else {
            let reason = corpus
                .problems
                .iter()
                .find(|p| std::fs::read_to_string(&p.path).is_ok_and(|t| t.contains(&case.rule_id)))
                .map_or_else(|| "rule not found".to_owned(), ToString::to_string);
            failures.push((
                case.rule_id.clone(),
                format!("{}: not loaded: {reason}", case.title),
            ));
            continue;
        };
        let single = RuleSet::load(
            &[corpus.rules[index].info.path.clone()],
            &Placeholders::new(),
        );
        let (store, _) = common::load(std::slice::from_ref(&case.evtx));
        let matches = single.match_rules(&store, &AtomicBool::new(false));
        let found = single
            .rule_index(&case.rule_id)
            .and_then(|i| matches.get(i))
            .map_or(0, Vec::len);
        if found >= case.match_count {
            passed += 1;
        } else {
            failures.push((
                case.rule_id.clone(),
                format!(
                    "{}: {found} of {} expected matches over {} events",
                    case.title,
                    case.match_count,
                    store.len()
                ),
            ));
        }
    }
    println!("sigma regression: {passed} of {cases} cases pass");
    for (id, message) in &failures {
        println!("  fails: {id}: {message}");
    }
    let unexpected: Vec<&(String, String)> = failures
        .iter()
        .filter(|(id, _)| !KNOWN_FAILURES.iter().any(|(known, _)| known == id))
        .collect();
    assert!(
        unexpected.is_empty(),
        "cases failing without a listed reason: {unexpected:#?}"
    );
    let fixed: Vec<&str> = KNOWN_FAILURES
        .iter()
        .filter(|(known, _)| !failures.iter().any(|(id, _)| id == known))
        .map(|(known, _)| *known)
        .collect();
    assert!(fixed.is_empty(), "listed cases that now pass: {fixed:?}");
}
