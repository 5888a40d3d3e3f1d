//! The catalog subcommands: `glexia attack import` and `glexia analytics check|list|show`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::analytics::{self, Analytic};
use crate::catalog::{self, Catalog};
use crate::cli::{AnalyticsCommand, AttackCommand, Format};

/// Exit status when the command did what was asked.
const SUCCESS: u8 = 0;
/// Exit status when a check failed or an id was not found.
const FAILURE: u8 = 2;

/// Runs a `glexia attack` subcommand.
pub fn attack(command: &AttackCommand, out: &mut dyn Write) -> anyhow::Result<u8> {
    match command {
        AttackCommand::Import { bundle, output } => import(bundle, output.as_deref(), out),
    }
}

fn import(bundle: &Path, output: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<u8> {
    let (catalog, report) = catalog::stix::import_file(bundle).map_err(|error| match error {
        // This message names the file already, and its cause is part of it.
        catalog::stix::ImportError::Read { .. } => anyhow::anyhow!("{error}"),
        other => anyhow::anyhow!("cannot import '{}': {other}", bundle.display()),
    })?;
    let output = output.map_or_else(
        || {
            PathBuf::from(format!(
                "catalog-{}-{}.json",
                catalog.domain(),
                catalog.attack_version()
            ))
        },
        Path::to_path_buf,
    );
    std::fs::write(&output, catalog.to_json_pretty()?)
        .map_err(|e| anyhow::anyhow!("cannot write '{}': {e}", output.display()))?;
    writeln!(
        out,
        "wrote '{}': ATT&CK {} {}, {} analytics, {} detection strategies, {} techniques, {} data \
         components",
        output.display(),
        catalog.domain(),
        catalog.attack_version(),
        catalog.analytics().len(),
        catalog.strategies().len(),
        catalog.techniques().len(),
        catalog.data_components().len(),
    )?;
    for (label, counts) in [
        ("skipped revoked", &report.revoked),
        ("skipped deprecated", &report.deprecated),
        ("ignored", &report.ignored),
    ] {
        for (kind, count) in counts {
            writeln!(out, "{label}: {count} {kind}")?;
        }
    }
    if !report.references_to_skipped.is_empty() {
        writeln!(
            out,
            "dropped {} references to revoked or deprecated objects",
            report.references_to_skipped.len()
        )?;
    }
    Ok(SUCCESS)
}

/// Runs a `glexia analytics` subcommand.
pub fn analytics(
    command: &AnalyticsCommand,
    catalog: &Catalog,
    analytics_paths: &[PathBuf],
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let (loaded, load_errors) = analytics::load(analytics_paths);
    match command {
        AnalyticsCommand::Check => {
            let check_errors = analytics::check(&loaded, catalog);
            for error in &load_errors {
                writeln!(out, "error: {error}")?;
            }
            for error in &check_errors {
                writeln!(out, "error: {error}")?;
            }
            let failed = load_errors.len() + check_errors.len();
            writeln!(
                out,
                "{} analytics checked against ATT&CK {}: {}",
                loaded.len() + load_errors.len(),
                catalog.attack_version(),
                if failed == 0 {
                    "all agree".to_owned()
                } else {
                    crate::tui::format::counted(failed, "problem", "problems")
                }
            )?;
            Ok(if failed == 0 { SUCCESS } else { FAILURE })
        }
        AnalyticsCommand::List {
            format,
            executable,
            platform,
            technique,
        } => {
            let rows: Vec<&catalog::Analytic> = catalog
                .analytics()
                .iter()
                .filter(|a| !*executable || loaded.iter().any(|e| e.id == a.id))
                .filter(|a| {
                    platform
                        .as_ref()
                        .is_none_or(|p| a.platforms.iter().any(|x| x.eq_ignore_ascii_case(p)))
                })
                .filter(|a| {
                    technique
                        .as_ref()
                        .is_none_or(|t| a.techniques.iter().any(|x| technique_matches(&x.id, t)))
                })
                .collect();
            list(&rows, &loaded, *format, out)?;
            Ok(SUCCESS)
        }
        AnalyticsCommand::Show { id } => {
            let Some(entry) = catalog.analytic(id) else {
                // The error goes to standard error, so that a script reading the output of
                // `show` never takes it for an analytic.
                eprintln!(
                    "glexia: '{id}' is not in the ATT&CK {} catalog",
                    catalog.attack_version()
                );
                return Ok(FAILURE);
            };
            show(entry, catalog, loaded.iter().find(|a| &a.id == id), out)?;
            Ok(SUCCESS)
        }
    }
}

/// Whether technique `id` is `wanted` or one of its sub-techniques, ignoring case.
fn technique_matches(id: &str, wanted: &str) -> bool {
    id.eq_ignore_ascii_case(wanted)
        || id
            .split_at_checked(wanted.len())
            .is_some_and(|(prefix, rest)| {
                prefix.eq_ignore_ascii_case(wanted) && rest.starts_with('.')
            })
}

fn list(
    rows: &[&catalog::Analytic],
    executable: &[Analytic],
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let is_executable = |id: &str| executable.iter().any(|e| e.id == id);
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "executable": is_executable(&a.id),
                        "platforms": a.platforms,
                        "techniques": a.techniques.iter().map(|t| json!({
                            "id": t.id, "name": t.name,
                        })).collect::<Vec<_>>(),
                        "strategy": a.strategy.as_ref().map(|s| json!({"id": s.id, "name": s.name})),
                        "description": a.description,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &items)?;
            writeln!(out)
        }
        Format::Table => {
            for a in rows {
                let techniques: Vec<&str> = a.techniques.iter().map(|t| t.id.as_str()).collect();
                writeln!(
                    out,
                    "{}  {:<3} {:<10} {:<20} {}",
                    a.id,
                    if is_executable(&a.id) { "EXE" } else { "" },
                    techniques.join(","),
                    a.platforms.join(","),
                    first_sentence(&a.description),
                )?;
            }
            writeln!(out, "{} analytics", rows.len())
        }
    }
}

fn first_sentence(text: &str) -> &str {
    // `..=i` keeps the full stop, which is one byte, so the end is a char boundary.
    text.find(". ").and_then(|i| text.get(..=i)).unwrap_or(text)
}

fn show(
    entry: &catalog::Analytic,
    catalog: &Catalog,
    executable: Option<&Analytic>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "{}  {}", entry.id, entry.name)?;
    writeln!(out, "{}", entry.description)?;
    writeln!(out, "platforms: {}", entry.platforms.join(", "))?;
    for technique in &entry.techniques {
        let tactics: Vec<&str> = technique.tactics.iter().map(|t| t.name.as_str()).collect();
        writeln!(
            out,
            "technique: {} {} ({})",
            technique.id,
            technique.name,
            tactics.join(", ")
        )?;
    }
    if let Some(strategy) = &entry.strategy {
        writeln!(out, "detection strategy: {} {}", strategy.id, strategy.name)?;
        if let Some(full) = catalog.strategy(&strategy.id) {
            let siblings: Vec<String> = full
                .analytic_ids
                .iter()
                .filter(|id| **id != entry.id)
                .map(|id| {
                    let platforms = catalog
                        .analytic(id)
                        .map(|a| a.platforms.join("/"))
                        .unwrap_or_default();
                    format!("{id} ({platforms})")
                })
                .collect();
            if !siblings.is_empty() {
                writeln!(out, "sibling analytics: {}", siblings.join(", "))?;
            }
        }
    }
    for source in &entry.log_sources {
        writeln!(
            out,
            "log source: {} ({}) via {} {}",
            source.name, source.channel, source.data_component_id, source.data_component_name
        )?;
    }
    for element in &entry.mutable_elements {
        let current = executable
            .and_then(|a| a.tunables.iter().find(|t| t.name == element.field))
            .map(|t| format!(" = {}", t.value.to_text()))
            .unwrap_or_default();
        writeln!(
            out,
            "mutable element: {}{current}: {}",
            element.field, element.description
        )?;
    }
    match executable {
        Some(analytic) => {
            writeln!(
                out,
                "executable: {} ({}, {})",
                analytic.path.display(),
                analytic.title,
                analytic.severity
            )?;
            writeln!(out, "query:\n{}", analytic.query_text.trim_end())?;
        }
        None => writeln!(out, "executable: no")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::technique_matches;

    #[test]
    fn technique_filter_takes_subtechniques() {
        assert!(technique_matches("T1021", "T1021"));
        assert!(technique_matches("T1021.001", "t1021"));
        assert!(!technique_matches("T10210", "T1021"));
        assert!(!technique_matches("T1021", "T1021.001"));
    }
}
