//! Output of `glexia scan`: an aligned table for people or one JSON document for scripts.

use std::io::Write;

use serde_json::{Map, Value, json};

use crate::engine::{AnalyticCoverage, Chain, Level, ScanResult, Setup};
use crate::store::{EventStore, Timestamp, ValueRef};
use crate::tui::sanitize::sanitize;

/// Formats nanoseconds since the epoch as RFC 3339 UTC with microseconds.
pub fn format_time(timestamp: Timestamp) -> String {
    chrono::DateTime::from_timestamp_nanos(timestamp)
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn value_json(value: &ValueRef<'_>) -> Value {
    match value {
        ValueRef::Str(s) => Value::String((*s).to_owned()),
        ValueRef::Int(n) => json!(n),
        ValueRef::Float(x) => json!(x),
        ValueRef::Bool(b) => json!(b),
        ValueRef::List(items) => Value::Array(items.iter().map(value_json).collect()),
    }
}

/// Renders one event as JSON: its normalized fields, log source, platform and origin.
pub fn event_json(store: &EventStore, index: usize) -> Value {
    let Some(event) = store.events().get(index) else {
        return Value::Null;
    };
    let mut fields = Map::new();
    for (name, value) in store.fields(event) {
        fields.insert(
            store.strings.resolve(name).to_owned(),
            value_json(&value.resolve(&store.strings)),
        );
    }
    json!({
        "@timestamp": format_time(event.timestamp),
        "log.source": store.log_source(index),
        "platform": event.platform.attack_name(),
        "origin": {
            "path": store.file_path(event.origin().file).map(|p| p.display().to_string()),
            "record": event.origin().record,
            "offset": event.origin().offset,
        },
        "fields": fields,
    })
}

fn chain_json(store: &EventStore, chain: &Chain) -> Value {
    let join_keys: Map<String, Value> = chain
        .join_keys
        .iter()
        .map(|k| (k.field.clone(), Value::String(k.value.clone())))
        .collect();
    json!({
        "join_keys": join_keys,
        "first": chain.first_time(store).map(format_time),
        "last": chain.last_time(store).map(format_time),
        "steps": chain.steps.iter().map(|s| json!({
            "step": s.step,
            "event": event_json(store, s.event),
        })).collect::<Vec<_>>(),
    })
}

/// Renders the finding of a Sigma rule or correlation, with the rule's title, level, status
/// and author (which the Detection Rule License requires wherever a match is shown), and the
/// catalog analytics of the techniques its tags name.
fn sigma_finding_json(
    setup: &Setup,
    info: &crate::sigma::RuleInfo,
    finding: &crate::engine::Finding,
    store: &EventStore,
) -> Value {
    let techniques = info.techniques();
    let related: Vec<&str> = techniques
        .iter()
        .flat_map(|t| setup.catalog.analytics_for_technique(t))
        .map(|a| a.id.as_str())
        .collect();
    json!({
        "analytic": finding.analytic,
        "title": info.title,
        "technique": techniques.first(),
        "technique_name": techniques
            .first()
            .and_then(|t| setup.catalog.technique(t))
            .map(|t| t.name.as_str()),
        "severity": info.level,
        "sigma": {
            "id": info.id,
            "title": info.title,
            "author": info.author,
            "status": info.status,
            "level": info.level,
            "tags": info.tags,
            "path": info.path.display().to_string(),
            "techniques": techniques,
            "related_analytics": related,
        },
        "chains": finding
            .chains
            .iter()
            .map(|c| chain_json(store, c))
            .collect::<Vec<_>>(),
    })
}

/// Writes the whole scan as one JSON document.
pub fn write_json(out: &mut dyn Write, setup: &Setup, result: &ScanResult) -> std::io::Result<()> {
    let findings: Vec<Value> = result
        .findings
        .iter()
        .map(|finding| {
            if let Some(info) = setup.sigma.info(&finding.analytic) {
                return sigma_finding_json(setup, info, finding, &result.store);
            }
            let analytic = setup.analytic(&finding.analytic);
            let entry = setup.catalog.analytic(&finding.analytic);
            json!({
                "analytic": finding.analytic,
                "title": analytic.map(|a| a.title.as_str()),
                "technique": analytic.map(|a| a.technique.as_str()),
                "technique_name": entry
                    .and_then(|e| e.techniques.first())
                    .map(|t| t.name.as_str()),
                "platform": analytic.map(|a| a.platform.as_str()),
                "severity": analytic.map(|a| a.severity.as_str()),
                "chains": finding
                    .chains
                    .iter()
                    .map(|c| chain_json(&result.store, c))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let coverage = &result.coverage;
    let (all, some, none) = coverage.counts();
    // Analytics whose sources are all absent are only counted: listing 1,700 "none" entries
    // would bury the ones that matter. Executable analytics are always listed.
    let rated: Vec<&AnalyticCoverage> = coverage
        .analytics
        .iter()
        .filter(|a| a.level != Level::None || setup.analytic(&a.id).is_some())
        .collect();
    let document = json!({
        "attack_version": setup.catalog.attack_version(),
        "coverage": {
            "log_sources": coverage.log_sources,
            "analytics_all": all,
            "analytics_some": some,
            "analytics_none": none,
            "analytics": rated,
        },
        "files": result.report.files,
        "totals": result.report.totals,
        "findings": findings,
        "analytic_errors": result
            .errors
            .iter()
            .map(ToString::to_string)
            .chain(setup.problems.iter().cloned())
            .collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// Formats a gap between two events as `+1m02s`, `+350ms` or `+2h05m`.
pub fn format_delta(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "+" };
    let millis = nanos.unsigned_abs() / 1_000_000;
    let seconds = millis / 1000;
    if seconds == 0 {
        format!("{sign}{millis}ms")
    } else if seconds < 60 {
        format!("{sign}{seconds}.{:03}s", millis % 1000)
    } else if seconds < 3600 {
        format!("{sign}{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{sign}{}h{:02}m", seconds / 3600, (seconds % 3600) / 60)
    }
}

/// Returns the value that best identifies an event in a one-line summary: its process, registry path,
/// file, destination or logon source.
pub fn event_subject(store: &EventStore, index: usize) -> String {
    const FIELDS: [&str; 6] = [
        "registry.path",
        "file.path",
        "process.command_line",
        "process.executable",
        "destination.ip",
        "source.ip",
    ];
    for field in FIELDS {
        if let Some(value) = store.field(index, field) {
            let value = value.to_string();
            // Windows writes "-" for an empty value, which tells a reader nothing.
            if value != "-" {
                return format!("{field}={value}");
            }
        }
    }
    String::new()
}

/// Number of skipped files the table names; JSON output lists them all.
const MAX_SKIPPED_LISTED: usize = 10;

/// `1 file`, `2 files`.
fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn text(store: &EventStore, index: usize, field: &str) -> String {
    store
        .field(index, field)
        .map_or_else(|| "-".to_owned(), |v| clean(&v.to_string()))
}

/// Makes text from evidence safe to print on a terminal: control characters, escape sequences
/// and bidirectional overrides become visible placeholders, as in the TUI.
fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

/// Writes findings and file totals as aligned text.
pub fn write_table(out: &mut dyn Write, setup: &Setup, result: &ScanResult) -> std::io::Result<()> {
    let store = &result.store;
    for finding in &result.findings {
        if let Some(info) = setup.sigma.info(&finding.analytic) {
            let techniques = info.techniques();
            writeln!(
                out,
                "{}  {}  {}  {}  ({} chain{})",
                clean(&finding.analytic),
                techniques.join(","),
                info.level.as_deref().unwrap_or("-"),
                clean(&info.title),
                finding.chains.len(),
                if finding.chains.len() == 1 { "" } else { "s" },
            )?;
            writeln!(
                out,
                "  Sigma rule by {} (status {}), {}",
                clean(info.author.as_deref().unwrap_or("unknown author")),
                clean(info.status.as_deref().unwrap_or("none")),
                clean(&info.path.display().to_string()),
            )?;
        } else {
            let analytic = setup.analytic(&finding.analytic);
            writeln!(
                out,
                "{}  {}  {}  {}  ({} chain{})",
                finding.analytic,
                analytic.map_or("", |a| a.technique.as_str()),
                analytic.map_or("", |a| a.severity.as_str()),
                analytic.map_or("", |a| a.title.as_str()),
                finding.chains.len(),
                if finding.chains.len() == 1 { "" } else { "s" },
            )?;
        }
        for (n, chain) in finding.chains.iter().enumerate() {
            let keys: Vec<String> = chain
                .join_keys
                .iter()
                .map(|k| format!("{}={}", k.field, clean(&k.value)))
                .collect();
            writeln!(out, "  chain {}  {}", n + 1, keys.join("  "))?;
            let mut previous: Option<Timestamp> = None;
            for step in &chain.steps {
                let Some(event) = store.events().get(step.event) else {
                    continue;
                };
                let delta =
                    previous.map_or_else(String::new, |p| format_delta(event.timestamp - p));
                previous = Some(event.timestamp);
                writeln!(
                    out,
                    "    {}  {:>9}  {} {}  {}  {}  {}",
                    format_time(event.timestamp),
                    delta,
                    clean(store.log_source(step.event)),
                    text(store, step.event, "event.code"),
                    text(store, step.event, "host.name"),
                    text(store, step.event, "user.name"),
                    clean(&event_subject(store, step.event)),
                )?;
                writeln!(
                    out,
                    "      from {} record {}",
                    store
                        .file_path(event.origin().file)
                        .map_or_else(String::new, |p| clean(&p.display().to_string())),
                    event.origin().record
                )?;
            }
        }
        writeln!(out)?;
    }
    if result.findings.is_empty() {
        writeln!(out, "no analytic matched")?;
    }
    write_coverage(out, setup, result)?;
    let totals = &result.report.totals;
    writeln!(
        out,
        "{} ({} loaded, {} skipped, {} failed), {} read, {} loaded, {} skipped",
        counted(totals.files, "file"),
        totals.files_loaded,
        totals.files_skipped,
        totals.files_failed,
        counted(totals.records_read, "record"),
        counted(totals.events_loaded, "event"),
        counted(totals.records_skipped, "record"),
    )?;
    // Files in no supported format are summed up rather than listed as errors: a case folder
    // often contains thousands of notes, rules and tool outputs beside the logs.
    let skipped: Vec<&crate::ingest::FileReport> = result
        .report
        .files
        .iter()
        .filter(|f| f.status == crate::ingest::FileStatus::Skipped)
        .collect();
    if !skipped.is_empty() {
        writeln!(
            out,
            "skipped {} in no supported log format{}",
            counted(skipped.len() as u64, "file"),
            if skipped.len() > MAX_SKIPPED_LISTED {
                format!(", the first {MAX_SKIPPED_LISTED}:")
            } else {
                ":".to_owned()
            }
        )?;
        for file in skipped.iter().take(MAX_SKIPPED_LISTED) {
            let reason = file.errors.first().map_or("", |e| e.message.as_str());
            writeln!(
                out,
                "  {}: {}",
                clean(&file.path.display().to_string()),
                clean(reason)
            )?;
        }
    }
    for file in &result.report.files {
        if file.status == crate::ingest::FileStatus::Skipped || file.error_count() == 0 {
            continue;
        }
        // The counts come first, so a reader can match the errors below against them.
        writeln!(
            out,
            "file: {}: {} read, {} loaded, {} skipped",
            clean(&file.path.display().to_string()),
            counted(file.records_read, "record"),
            counted(file.events_loaded, "event"),
            counted(file.records_skipped, "record"),
        )?;
        for error in &file.errors {
            writeln!(
                out,
                "error: {}: {}: {}",
                clean(&file.path.display().to_string()),
                error.location,
                clean(&error.message)
            )?;
        }
        if file.errors_omitted > 0 {
            writeln!(
                out,
                "error: {}: {} more errors not listed",
                clean(&file.path.display().to_string()),
                file.errors_omitted
            )?;
        }
    }
    for error in &result.errors {
        writeln!(out, "error: {}", clean(&error.to_string()))?;
    }
    for problem in &setup.problems {
        writeln!(out, "error: {}", clean(problem))?;
    }
    Ok(())
}

fn write_coverage(out: &mut dyn Write, setup: &Setup, result: &ScanResult) -> std::io::Result<()> {
    let coverage = &result.coverage;
    let sources: Vec<String> = coverage
        .log_sources
        .iter()
        .map(|(name, count)| format!("{name} ({count})"))
        .collect();
    writeln!(
        out,
        "log sources: {}",
        if sources.is_empty() {
            "none".to_owned()
        } else {
            sources.join(", ")
        }
    )?;
    for analytic in &setup.analytics {
        let Some(rated) = coverage.analytic(&analytic.id) else {
            continue;
        };
        let mut line = format!("coverage {}: {}", analytic.id, rated.level.name());
        if !rated.missing.is_empty() {
            line.push_str(&format!(" (missing {})", rated.missing.join(", ")));
        }
        writeln!(out, "{line}")?;
    }
    let (all, some, none) = coverage.counts();
    writeln!(
        out,
        "catalog coverage: {all} analytics with all their log sources present, {some} with some, \
         {none} with none"
    )
}

/// Warns on standard error about `--tz` and `--year` patterns that matched no loaded file,
/// since a mistyped pattern would otherwise leave its files read as UTC without a word.
pub fn warn_unmatched_patterns(
    options: &crate::ingest::LoadOptions,
    report: &crate::ingest::LoadReport,
    errors: &mut dyn Write,
) -> std::io::Result<()> {
    let paths = report.files.iter().map(|f| f.path.as_path());
    for pattern in options.unmatched_patterns(paths) {
        writeln!(errors, "glexia: warning: {pattern} matches no loaded file")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_formats() {
        assert_eq!(format_delta(350_000_000), "+350ms");
        assert_eq!(format_delta(3_250_000_000), "+3.250s");
        assert_eq!(format_delta(62_000_000_000), "+1m02s");
        assert_eq!(format_delta(7_500_000_000_000), "+2h05m");
        assert_eq!(format_delta(-2_000_000), "-2ms");
    }

    #[test]
    fn time_formats_as_utc() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000000Z");
    }
}
