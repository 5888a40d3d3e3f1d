//! Sigma rules as the analytic summaries the TUI lists, and the metadata scan output prints.
//!
//! A Sigma rule appears beside the ATT&CK analytics with the id its findings carry
//! (`sigma:<rule id>`), its `level` as severity, the platforms its log source maps to, and the
//! techniques of its `attack.t…` tags. The catalog's analytics of those techniques are listed as
//! its siblings, so an analyst can step from a Sigma match to ATT&CK's analytics of the same
//! technique. Its description starts with the title, author, status and level, because the
//! Detection Rule License requires the author wherever a match is shown.

use crate::catalog::Catalog;
use crate::engine::{AnalyticSummary, ExecutableSummary};

use super::rule::{LogSource, RuleInfo};
use super::{FINDING_PREFIX, RuleSet};

/// ATT&CK platforms for a Sigma product.
fn platforms(logsource: &LogSource) -> Vec<String> {
    let platform = match logsource.product.as_deref() {
        Some("windows") => "Windows",
        Some("linux") => "Linux",
        Some("macos") => "macOS",
        Some("aws" | "gcp") => "IaaS",
        Some("azure") => "Identity Provider",
        Some("m365") => "Office Suite",
        Some("zeek") => "Network Devices",
        _ => return Vec::new(),
    };
    vec![platform.to_owned()]
}

/// Returns one line naming the rule, its author, status and level.
pub fn attribution(info: &RuleInfo) -> String {
    format!(
        "Sigma rule '{}' by {} (status {}, level {})",
        info.title,
        info.author.as_deref().unwrap_or("unknown author"),
        info.status.as_deref().unwrap_or("none"),
        info.level.as_deref().unwrap_or("none"),
    )
}

fn summary(
    info: &RuleInfo,
    kind: &str,
    platforms: Vec<String>,
    log_sources: Vec<String>,
    catalog: &Catalog,
) -> AnalyticSummary {
    let mut techniques = Vec::new();
    let mut tactics: Vec<String> = Vec::new();
    let mut siblings: Vec<(String, String)> = Vec::new();
    for id in info.techniques() {
        let technique = catalog.technique(&id);
        let name = technique.map_or_else(String::new, |t| t.name.clone());
        if let Some(technique) = technique {
            for tactic in &technique.tactics {
                if !tactics.contains(&tactic.name) {
                    tactics.push(tactic.name.clone());
                }
            }
        }
        for analytic in catalog.analytics_for_technique(&id) {
            if !siblings.iter().any(|(s, _)| *s == analytic.id) {
                siblings.push((analytic.id.clone(), analytic.platforms.join("/")));
            }
        }
        techniques.push((id, name));
    }
    let mut description = attribution(info);
    description.push_str(&format!(" ({kind}, {})", info.path.display()));
    if let Some(text) = &info.description {
        description.push_str(".\n\n");
        description.push_str(text.trim());
    }
    AnalyticSummary {
        id: format!("{FINDING_PREFIX}{}", info.key()),
        description,
        platforms,
        techniques,
        tactics,
        strategy: None,
        log_sources,
        data_present: false,
        coverage: None,
        mutable_elements: Vec::new(),
        siblings,
        executable: Some(ExecutableSummary {
            path: info.path.display().to_string(),
            severity: info.level.clone().unwrap_or_else(|| "medium".to_owned()),
            query: std::fs::read_to_string(&info.path).unwrap_or_default(),
            tunables: Vec::new(),
        }),
    }
}

/// Summaries of every rule and correlation of `set`, for the analytics list.
pub fn summaries(set: &RuleSet, catalog: &Catalog) -> Vec<AnalyticSummary> {
    let mut out = Vec::new();
    for (index, rule) in set.rules.iter().enumerate() {
        let log_sources = set
            .rule_sources
            .get(index)
            .map(|sources| {
                sources
                    .iter()
                    .filter_map(|&s| set.sources.get(s))
                    .map(|s| {
                        let mut text = s
                            .log_source
                            .clone()
                            .or(s.platform.clone())
                            .unwrap_or_default();
                        if !s.channels.is_empty() {
                            text.push_str(&format!(" ({})", s.channels.join(", ")));
                        }
                        if !s.event_codes.is_empty() {
                            text.push_str(&format!(" (EventCode={})", s.event_codes.join(", ")));
                        }
                        text
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(summary(
            &rule.info,
            "Sigma rule",
            platforms(&rule.logsource),
            log_sources,
            catalog,
        ));
    }
    for correlation in &set.correlations {
        let mut platform_list: Vec<String> = Vec::new();
        for reference in &correlation.rules {
            if let Some(rule) = set.rule_index(reference).and_then(|i| set.rules.get(i)) {
                for platform in platforms(&rule.logsource) {
                    if !platform_list.contains(&platform) {
                        platform_list.push(platform);
                    }
                }
            }
        }
        let kind = format!(
            "Sigma {} correlation of {}",
            correlation.kind.name(),
            correlation.rules.join(", ")
        );
        out.push(summary(
            &correlation.info,
            &kind,
            platform_list,
            Vec::new(),
            catalog,
        ));
    }
    out
}
