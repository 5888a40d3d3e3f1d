//! `glexia sigma check`: loads rule files and reports what loaded, what was skipped and why.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use super::{Placeholders, ProblemKind, RuleSet};

/// Exit status when every document loaded or was skipped for a reason Glexia states.
const SUCCESS: u8 = 0;
/// Exit status when a file could not be read or a document is invalid Sigma.
const FAILURE: u8 = 2;

/// Returns the reason of a skipped document without the parts that differ from rule to rule,
/// so that reasons can be counted.
fn reason_kind(message: &str) -> String {
    if message.starts_with("unknown logsource") {
        // `unknown logsource (product: okta, service: okta): …` keeps its log source.
        return match message.split_once("):") {
            Some((head, _)) => format!("{head})"),
            None => message.to_owned(),
        };
    }
    if let Some(tail) = message
        .find("unknown modifier")
        .and_then(|index| message.get(index..))
    {
        return tail.to_owned();
    }
    if message.contains("does not compile") {
        return "regex feature the linear-time engine lacks (look-around or backreference)"
            .to_owned();
    }
    if message.contains("placeholder") {
        return "placeholder without values".to_owned();
    }
    if message.starts_with("condition:") {
        return message.to_owned();
    }
    if message.contains("refers to rules that are not loaded") {
        return "correlation of rules that are not loaded".to_owned();
    }
    message.to_owned()
}

/// Loads `paths` and writes the report to `out`; returns the exit status.
pub fn check(
    paths: &[PathBuf],
    placeholders: &Placeholders,
    out: &mut dyn Write,
) -> std::io::Result<u8> {
    let set = RuleSet::load(paths, placeholders);
    let (skipped, errors) = set.problem_counts();
    for problem in &set.problems {
        writeln!(out, "{problem}")?;
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for problem in &set.problems {
        if problem.problem.kind == ProblemKind::Skipped {
            *reasons
                .entry(reason_kind(&problem.problem.message))
                .or_default() += 1;
        }
    }
    if !reasons.is_empty() {
        writeln!(out, "skipped, by reason:")?;
        let mut ranked: Vec<(&String, &usize)> = reasons.iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        for (reason, count) in ranked {
            writeln!(out, "  {count:>5}  {reason}")?;
        }
    }
    writeln!(
        out,
        "{} files: {} rules, {} correlations and {} filters loaded, {skipped} documents skipped, {errors} errors",
        set.files,
        set.rules.len(),
        set.correlations.len(),
        set.filters.len(),
    )?;
    Ok(if errors == 0 { SUCCESS } else { FAILURE })
}
