//! One investigation session: the catalog, the executable analytics, and the background job that
//! loads logs and correlates them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::analytics::{self, Analytic};
use crate::catalog::{Catalog, CatalogError};
use crate::eql;
use crate::ingest::{self, FileStatus, LoadReport};
use crate::sigma;
use crate::store::EventStore;

use super::{AnalyticSummary, Coverage, ExecutableSummary, Finding, LoadSummary, RunError, Update};

/// The catalog and the analytics that passed their checks, plus what failed to load or check.
#[derive(Debug)]
pub struct Setup {
    /// The ATT&CK catalog.
    pub catalog: Catalog,
    /// Executable analytics that resolved and agree with the catalog.
    pub analytics: Vec<Analytic>,
    /// One message per analytic file that failed to load or disagrees with the catalog; those
    /// analytics do not run.
    pub problems: Vec<String>,
    /// Query options shared by every analytic.
    pub options: eql::Options,
    /// The zone and year of log timestamps written without them (`--tz`, `--year`).
    pub load_options: ingest::LoadOptions,
    /// Sigma rules run beside the analytics; empty unless [`Setup::load_sigma`] loaded some.
    pub sigma: sigma::RuleSet,
}

impl Setup {
    /// Loads the catalog (the built-in one unless `catalog_path` is given) and the analytics
    /// (built-in plus `analytics_paths`), and checks each analytic against the catalog.
    pub fn load(
        catalog_path: Option<&Path>,
        analytics_paths: &[PathBuf],
    ) -> Result<Setup, CatalogError> {
        let catalog = match catalog_path {
            Some(path) => Catalog::from_file(path)?,
            None => Catalog::embedded()?,
        };
        let (loaded, load_errors) = analytics::load(analytics_paths);
        let mut problems: Vec<String> = load_errors.iter().map(ToString::to_string).collect();
        let check_errors = analytics::check(&loaded, &catalog);
        let failed: HashSet<&Path> = check_errors.iter().map(|e| e.path.as_path()).collect();
        problems.extend(check_errors.iter().map(ToString::to_string));
        let analytics = loaded
            .iter()
            .filter(|a| !failed.contains(a.path.as_path()))
            .cloned()
            .collect();
        Ok(Setup {
            catalog,
            analytics,
            problems,
            options: eql::Options::default(),
            load_options: ingest::LoadOptions::default(),
            sigma: sigma::RuleSet::empty(),
        })
    }

    /// Loads Sigma rule files or folders to run beside the analytics. Invalid rule files
    /// become problems of the session; rules skipped for a stated reason are logged.
    pub fn load_sigma(&mut self, paths: &[PathBuf], placeholders: &sigma::Placeholders) {
        let set = sigma::RuleSet::load(paths, placeholders);
        for problem in &set.problems {
            match problem.problem.kind {
                sigma::ProblemKind::Error => self.problems.push(problem.to_string()),
                sigma::ProblemKind::Skipped => tracing::debug!("{problem}"),
            }
        }
        let (skipped, errors) = set.problem_counts();
        tracing::info!(
            rules = set.rules.len(),
            correlations = set.correlations.len(),
            skipped,
            errors,
            "loaded Sigma rules"
        );
        self.sigma = set;
    }

    /// Lists the other analytics of `entry`'s detection strategy with their platforms.
    fn siblings(&self, entry: &crate::catalog::Analytic) -> Vec<(String, String)> {
        let Some(strategy) = entry
            .strategy
            .as_ref()
            .and_then(|s| self.catalog.strategy(&s.id))
        else {
            return Vec::new();
        };
        strategy
            .analytic_ids
            .iter()
            .filter(|id| **id != entry.id)
            .map(|id| {
                let platforms = self
                    .catalog
                    .analytic(id)
                    .map(|a| a.platforms.join("/"))
                    .unwrap_or_default();
                (id.clone(), platforms)
            })
            .collect()
    }

    /// Looks up an executable analytic by id.
    pub fn analytic(&self, id: &str) -> Option<&Analytic> {
        self.analytics.iter().find(|a| a.id == id)
    }

    /// Builds one summary per catalog analytic, executable ones first by id, then the rest.
    ///
    /// `store` decides whether each analytic's log sources are present in the loaded data.
    pub fn summaries(&self, store: Option<&EventStore>) -> Vec<AnalyticSummary> {
        let present: HashSet<String> = store
            .map(|s| (0..s.len()).map(|i| s.log_source(i).to_owned()).collect())
            .unwrap_or_default();
        let coverage = store.map(|s| Coverage::compute(s, &self.catalog));
        let mut summaries: Vec<AnalyticSummary> = self
            .catalog
            .analytics()
            .iter()
            .map(|entry| {
                let executable = self.analytic(&entry.id).map(executable_summary);
                let mut tactics: Vec<String> = Vec::new();
                for technique in &entry.techniques {
                    for tactic in &technique.tactics {
                        if !tactics.contains(&tactic.name) {
                            tactics.push(tactic.name.clone());
                        }
                    }
                }
                AnalyticSummary {
                    id: entry.id.clone(),
                    description: entry.description.clone(),
                    platforms: entry.platforms.clone(),
                    techniques: entry
                        .techniques
                        .iter()
                        .map(|t| (t.id.clone(), t.name.clone()))
                        .collect(),
                    tactics,
                    strategy: entry
                        .strategy
                        .as_ref()
                        .map(|s| (s.id.clone(), s.name.clone())),
                    log_sources: entry
                        .log_sources
                        .iter()
                        .map(|l| format!("{} ({})", l.name, l.channel))
                        .collect(),
                    data_present: entry.log_sources.iter().any(|l| present.contains(&l.name)),
                    coverage: coverage
                        .as_ref()
                        .and_then(|c| c.analytic(&entry.id))
                        .cloned(),
                    mutable_elements: entry
                        .mutable_elements
                        .iter()
                        .map(|m| (m.field.clone(), m.description.clone()))
                        .collect(),
                    siblings: self.siblings(entry),
                    executable,
                }
            })
            .collect();
        summaries.extend(sigma::summary::summaries(&self.sigma, &self.catalog));
        summaries.sort_by(|a, b| {
            b.executable
                .is_some()
                .cmp(&a.executable.is_some())
                .then_with(|| a.id.cmp(&b.id))
        });
        summaries
    }
}

fn executable_summary(analytic: &Analytic) -> ExecutableSummary {
    ExecutableSummary {
        path: analytic.path.display().to_string(),
        severity: analytic.severity.clone(),
        query: analytic.query_text.clone(),
        tunables: analytic
            .tunables
            .iter()
            .map(|t| (t.name.clone(), t.value.to_text(), t.help.clone()))
            .collect(),
    }
}

/// Maximum number of problem lines kept for the UI; the counts still cover every problem.
const MAX_PROBLEMS: usize = 2000;

/// Condenses a load report into the totals and problem lines the UI shows.
pub fn load_summary(report: &LoadReport) -> LoadSummary {
    let mut problems = Vec::new();
    let mut not_logs = Vec::new();
    for file in &report.files {
        let lines = if file.status == FileStatus::Skipped {
            &mut not_logs
        } else {
            &mut problems
        };
        for error in file
            .errors
            .iter()
            .take(MAX_PROBLEMS.saturating_sub(lines.len()))
        {
            lines.push(format!(
                "{}: {}: {}",
                file.path.display(),
                error.location,
                error.message
            ));
        }
    }
    not_logs.truncate(MAX_PROBLEMS.saturating_sub(problems.len()));
    let not_logs_count = not_logs.len();
    problems.append(&mut not_logs);
    let totals = &report.totals;
    LoadSummary {
        files: usize::try_from(totals.files).unwrap_or(usize::MAX),
        events: usize::try_from(totals.events_loaded).unwrap_or(usize::MAX),
        skipped: usize::try_from(totals.records_skipped).unwrap_or(usize::MAX),
        failed_files: usize::try_from(totals.files_failed).unwrap_or(usize::MAX),
        problems,
        not_logs: not_logs_count,
    }
}

/// The results of one headless run.
#[derive(Debug)]
pub struct ScanResult {
    /// The loaded events.
    pub store: EventStore,
    /// Per-file counts and errors of the load.
    pub report: LoadReport,
    /// Analytics that matched.
    pub findings: Vec<Finding>,
    /// Analytics that failed while running.
    pub errors: Vec<RunError>,
    /// Log sources present in the data, and each analytic's coverage by them.
    pub coverage: Coverage,
}

/// Loads `paths` and runs every analytic, without progress reports.
pub fn scan(setup: &Setup, paths: &[PathBuf]) -> ScanResult {
    let cancel = AtomicBool::new(false);
    let (store, report) = ingest::load_with(paths, &setup.load_options, &|_| {}, &cancel);
    let (mut findings, errors) = super::run_all(
        &store,
        &setup.analytics,
        &setup.options,
        &cancel,
        &|_, _, _| {},
    );
    findings.extend(setup.sigma.findings(&store, &cancel));
    let coverage = Coverage::compute(&store, &setup.catalog);
    ScanResult {
        store,
        report,
        findings,
        errors,
        coverage,
    }
}

/// Loads `paths` and runs every analytic, sending progress and results to `updates`.
///
/// Meant for a background thread: it blocks until done or until `cancel` is set. Send errors
/// mean the UI has gone away, so they end the job quietly.
pub fn run_in_background(
    setup: &Setup,
    paths: &[PathBuf],
    updates: &tokio::sync::mpsc::UnboundedSender<Update>,
    cancel: &AtomicBool,
) {
    load_and_correlate(setup, paths, updates, cancel);
}

/// Does the work of [`run_in_background`] and returns the loaded store, so that the session
/// worker can run analytics again over it.
pub(super) fn load_and_correlate(
    setup: &Setup,
    paths: &[PathBuf],
    updates: &tokio::sync::mpsc::UnboundedSender<Update>,
    cancel: &AtomicBool,
) -> Arc<EventStore> {
    let progress = |p: ingest::Progress| {
        let _ = updates.send(Update::Progress {
            stage: "loading".to_owned(),
            done: p.files_done as u64,
            total: Some(p.files_total as u64),
        });
    };
    let (store, report) = ingest::load_with(paths, &setup.load_options, &progress, cancel);
    let mut summary = load_summary(&report);
    // Analytic files that failed to load or check are problems of this session too; without
    // them the TUI would only show the analytic silently missing its executable mark.
    summary
        .problems
        .splice(0..0, setup.problems.iter().cloned());
    let store = Arc::new(store);
    let _ = updates.send(Update::Analytics(setup.summaries(Some(&store))));
    let _ = updates.send(Update::Loaded {
        store: Arc::clone(&store),
        summary,
    });
    let correlate_progress = |id: &str, done: u64, total: u64| {
        let _ = updates.send(Update::Progress {
            stage: id.to_owned(),
            done,
            total: Some(total),
        });
    };
    let (mut findings, errors) = super::run_all(
        &store,
        &setup.analytics,
        &setup.options,
        cancel,
        &correlate_progress,
    );
    if !setup.sigma.is_empty() {
        correlate_progress("Sigma rules", 0, 1);
        findings.extend(setup.sigma.findings(&store, cancel));
    }
    for error in &errors {
        tracing::warn!(analytic = %error.analytic, "{}", error.message);
    }
    let _ = updates.send(Update::Findings(findings));
    store
}
