//! Sigma rules and Sigma correlation rules, run over the same events as the ATT&CK analytics.
//!
//! Rule files are YAML ([`yaml`]) read into detection rules, correlation rules and filters
//! ([`rule`]) whose values are compiled by their modifiers ([`modifiers`]) and whose conditions
//! are parsed once ([`condition`]). The Sigma taxonomy is mapped onto Glexia's events by a data
//! table ([`mapping`]): each rule reads only the events its `logsource` selects, through the
//! field names of that source. Matches ([`eval`]) and correlations ([`correlation`]) become
//! findings whose analytic id is `sigma:` followed by the rule's id.

pub mod command;
pub mod condition;
pub mod correlation;
pub mod eval;
pub mod mapping;
pub mod modifiers;
pub mod prefilter;
pub mod rule;
pub mod summary;
pub mod yaml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::engine::{Chain, ChainStep, Finding, JoinKey};
use crate::store::EventStore;

pub use mapping::Mapping;
pub use rule::{CorrelationRule, Document, FilterRule, Problem, ProblemKind, RuleInfo, SigmaRule};

/// The prefix of the analytic id of a finding made by a Sigma rule.
pub const FINDING_PREFIX: &str = "sigma:";

/// A problem of one document of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    /// The rule file.
    pub path: PathBuf,
    /// The rule's title, when it could be read.
    pub title: Option<String>,
    /// Skipped or rejected, with line and reason.
    pub problem: Problem,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match self.problem.kind {
            ProblemKind::Skipped => "skipped",
            ProblemKind::Error => "error",
        };
        write!(f, "{}", self.path.display())?;
        if self.problem.line > 0 {
            write!(f, ":{}", self.problem.line)?;
        }
        write!(f, ": {verdict}")?;
        if let Some(title) = &self.title {
            write!(f, " '{title}'")?;
        }
        write!(f, ": {}", self.problem.message)
    }
}

/// Every loaded Sigma rule, ready to run, and what could not be loaded.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// Detection rules whose log source maps onto Glexia's events, with their filters.
    pub rules: Vec<SigmaRule>,
    /// Per rule, indexes into [`RuleSet::sources`] of the events it reads.
    pub rule_sources: Vec<Vec<usize>>,
    /// The distinct event sets the rules read.
    pub sources: Vec<mapping::Source>,
    /// Correlation rules whose referenced rules all loaded.
    pub correlations: Vec<CorrelationRule>,
    /// Filters that were applied to at least one rule.
    pub filters: Vec<FilterRule>,
    /// Rule files read.
    pub files: usize,
    /// Documents skipped or rejected.
    pub problems: Vec<FileProblem>,
}

/// Placeholder values for the `expand` modifier, by placeholder name without `%`.
pub type Placeholders = HashMap<String, Vec<String>>;

/// Reads a placeholders file: a YAML mapping from placeholder name (without `%`) to a value or a
/// list of values.
pub fn load_placeholders(path: &Path) -> Result<Placeholders, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read placeholders '{}': {error}", path.display()))?;
    let documents = yaml::parse_documents(&text)
        .map_err(|error| format!("placeholders '{}': {error}", path.display()))?;
    let mut placeholders = Placeholders::new();
    for document in &documents {
        let Some(entries) = document.entries() else {
            return Err(format!(
                "placeholders '{}': the file must be a mapping of names to values",
                path.display()
            ));
        };
        for (name, value) in entries {
            let values: Vec<String> = match &value.value {
                yaml::NodeValue::Scalar { text, .. } => vec![text.clone()],
                yaml::NodeValue::Sequence(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str().map(str::to_owned).ok_or_else(|| {
                            format!(
                                "placeholders '{}': {}: '{name}' must list texts",
                                path.display(),
                                item.position
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
                yaml::NodeValue::Mapping(_) => {
                    return Err(format!(
                        "placeholders '{}': {}: '{name}' must be a value or a list",
                        path.display(),
                        value.position
                    ));
                }
            };
            placeholders.insert(name.trim_matches('%').to_owned(), values);
        }
    }
    Ok(placeholders)
}

/// Lists the rule files under `paths`: files as given, folders walked for `.yml` and `.yaml`
/// files, in path order.
fn rule_files(paths: &[PathBuf], problems: &mut Vec<FileProblem>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            let mut found = Vec::new();
            while let Some(dir) = stack.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(error) => {
                        problems.push(read_problem(&dir, &error.to_string()));
                        continue;
                    }
                };
                for entry in entries.flatten() {
                    let entry_path = entry.path();
                    if entry_path.is_dir() {
                        stack.push(entry_path);
                    } else if entry_path.extension().is_some_and(|e| {
                        e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml")
                    }) {
                        found.push(entry_path);
                    }
                }
            }
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            problems.push(read_problem(path, "not found"));
        }
    }
    files
}

fn read_problem(path: &Path, message: &str) -> FileProblem {
    FileProblem {
        path: path.to_owned(),
        title: None,
        problem: Problem {
            kind: ProblemKind::Error,
            line: 0,
            message: format!("cannot read: {message}"),
        },
    }
}

impl RuleSet {
    /// An empty set, for sessions without Sigma rules.
    pub fn empty() -> RuleSet {
        RuleSet::default()
    }

    /// Whether no rule or correlation is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.correlations.is_empty()
    }

    /// Loads every rule file under `paths` and maps each rule onto Glexia's events with the
    /// built-in mapping. Problems are collected, never fatal.
    pub fn load(paths: &[PathBuf], placeholders: &Placeholders) -> RuleSet {
        RuleSet::load_with(paths, placeholders, Mapping::embedded())
    }

    /// Loads rules as [`RuleSet::load`] does, with another mapping.
    pub fn load_with(paths: &[PathBuf], placeholders: &Placeholders, mapping: &Mapping) -> RuleSet {
        let mut problems = Vec::new();
        let files = rule_files(paths, &mut problems);
        let mut rules: Vec<SigmaRule> = Vec::new();
        let mut correlations: Vec<CorrelationRule> = Vec::new();
        let mut filters: Vec<FilterRule> = Vec::new();
        for path in &files {
            let text = match std::fs::read(path) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(error) => {
                    problems.push(read_problem(path, &error.to_string()));
                    continue;
                }
            };
            let documents = match yaml::parse_documents(&text) {
                Ok(documents) => documents,
                Err(error) => {
                    problems.push(FileProblem {
                        path: path.clone(),
                        title: None,
                        problem: Problem {
                            kind: ProblemKind::Error,
                            line: error.position.line,
                            message: error.to_string(),
                        },
                    });
                    continue;
                }
            };
            for node in &documents {
                match rule::read_document(node, path, placeholders) {
                    Ok(Document::Rule(rule)) => rules.push(*rule),
                    Ok(Document::Correlation(correlation)) => correlations.push(*correlation),
                    Ok(Document::Filter(filter)) => filters.push(*filter),
                    Err(problem) => problems.push(FileProblem {
                        path: path.clone(),
                        title: node
                            .get("title")
                            .and_then(yaml::Node::as_str)
                            .map(str::to_owned),
                        problem,
                    }),
                }
            }
        }
        let mut set = RuleSet {
            files: files.len(),
            ..RuleSet::default()
        };
        set.problems = problems;
        set.place_rules(rules, mapping);
        set.attach_filters(filters);
        set.check_correlations(correlations);
        set
    }

    fn place_rules(&mut self, rules: Vec<SigmaRule>, mapping: &Mapping) {
        let mut seen_keys: HashMap<String, PathBuf> = HashMap::new();
        for rule in rules {
            let key = rule.info.key().to_owned();
            if let Some(first) = seen_keys.get(&key) {
                self.problems.push(FileProblem {
                    path: rule.info.path.clone(),
                    title: Some(rule.info.title.clone()),
                    problem: Problem {
                        kind: ProblemKind::Error,
                        line: rule.info.line,
                        message: format!("id '{key}' is also used by '{}'", first.display()),
                    },
                });
                continue;
            }
            let Some(sources) = mapping.sources(&rule.logsource) else {
                self.problems.push(FileProblem {
                    path: rule.info.path.clone(),
                    title: Some(rule.info.title.clone()),
                    problem: Problem {
                        kind: ProblemKind::Skipped,
                        line: rule.logsource_line,
                        message: format!(
                            "unknown logsource ({}): Glexia maps no events to it",
                            rule.logsource
                        ),
                    },
                });
                continue;
            };
            let mut indexes = Vec::new();
            for source in sources {
                let index = match self.sources.iter().position(|s| s == source) {
                    Some(index) => index,
                    None => {
                        self.sources.push(source.clone());
                        self.sources.len() - 1
                    }
                };
                indexes.push(index);
            }
            seen_keys.insert(key, rule.info.path.clone());
            self.rules.push(rule);
            self.rule_sources.push(indexes);
        }
    }

    /// Looks a rule up by id or name.
    pub fn rule_index(&self, reference: &str) -> Option<usize> {
        self.rules.iter().position(|r| {
            r.info.id.as_deref() == Some(reference) || r.info.name.as_deref() == Some(reference)
        })
    }

    fn attach_filters(&mut self, filters: Vec<FilterRule>) {
        for filter in filters {
            let mut applied = false;
            for reference in &filter.rules {
                match self
                    .rule_index(reference)
                    .and_then(|i| self.rules.get_mut(i))
                {
                    Some(rule) => {
                        rule.filters
                            .push((filter.info.title.clone(), filter.detection.clone()));
                        applied = true;
                    }
                    None => self.problems.push(FileProblem {
                        path: filter.info.path.clone(),
                        title: Some(filter.info.title.clone()),
                        problem: Problem {
                            kind: ProblemKind::Skipped,
                            line: filter.info.line,
                            message: format!(
                                "the filter names rule '{reference}', which is not loaded"
                            ),
                        },
                    }),
                }
            }
            if applied {
                self.filters.push(filter);
            }
        }
    }

    fn check_correlations(&mut self, correlations: Vec<CorrelationRule>) {
        // Correlations may refer to correlations, so resolve until nothing changes.
        let mut pending = correlations;
        loop {
            let mut progressed = false;
            let mut still = Vec::new();
            for correlation in pending {
                let resolved = correlation.rules.iter().all(|reference| {
                    self.rule_index(reference).is_some()
                        || self.correlation_index(reference).is_some()
                });
                if resolved {
                    self.correlations.push(correlation);
                    progressed = true;
                } else {
                    still.push(correlation);
                }
            }
            pending = still;
            if !progressed || pending.is_empty() {
                break;
            }
        }
        for correlation in pending {
            let missing: Vec<&str> = correlation
                .rules
                .iter()
                .filter(|r| self.rule_index(r).is_none() && self.correlation_index(r).is_none())
                .map(String::as_str)
                .collect();
            self.problems.push(FileProblem {
                path: correlation.info.path.clone(),
                title: Some(correlation.info.title.clone()),
                problem: Problem {
                    kind: ProblemKind::Skipped,
                    line: correlation.info.line,
                    message: format!(
                        "the correlation refers to rules that are not loaded: {}",
                        missing.join(", ")
                    ),
                },
            });
        }
    }

    /// Looks a correlation up by id or name.
    pub fn correlation_index(&self, reference: &str) -> Option<usize> {
        self.correlations.iter().position(|c| {
            c.info.id.as_deref() == Some(reference) || c.info.name.as_deref() == Some(reference)
        })
    }

    /// Number of problems of each kind, as `(skipped, errors)`.
    pub fn problem_counts(&self) -> (usize, usize) {
        let skipped = self
            .problems
            .iter()
            .filter(|p| p.problem.kind == ProblemKind::Skipped)
            .count();
        (skipped, self.problems.len() - skipped)
    }

    /// Runs every rule over `store` and returns, per rule, the indexes of the events it
    /// matched, in time order.
    pub fn match_rules(&self, store: &EventStore, cancel: &AtomicBool) -> Vec<Vec<usize>> {
        let plan = eval::Plan::new(
            store,
            Mapping::embedded(),
            &self.sources,
            &self.rules,
            &self.rule_sources,
        );
        plan.run(store, self.rules.len(), cancel)
    }

    /// Runs every rule and correlation over `store` and returns their findings.
    ///
    /// A rule that only correlations refer to, all with `generate: false` (the default), is
    /// not reported on its own.
    pub fn findings(&self, store: &EventStore, cancel: &AtomicBool) -> Vec<Finding> {
        let matches = self.match_rules(store, cancel);
        let mut findings = Vec::new();
        let hidden = self.hidden_rules();
        for (index, (events, rule)) in matches.iter().zip(&self.rules).enumerate() {
            if events.is_empty() || hidden.contains(&index) {
                continue;
            }
            let chains = events
                .iter()
                .map(|&event| Chain {
                    join_keys: host_key(store, event),
                    steps: vec![ChainStep { step: 0, event }],
                })
                .collect();
            findings.push(Finding {
                analytic: format!("{FINDING_PREFIX}{}", rule.info.key()),
                chains,
            });
        }
        findings.extend(correlation::findings(self, store, &matches));
        findings
    }

    fn hidden_rules(&self) -> Vec<usize> {
        let mut referenced: HashMap<usize, bool> = HashMap::new();
        for correlation in &self.correlations {
            for reference in &correlation.rules {
                if let Some(index) = self.rule_index(reference) {
                    let reported = referenced.entry(index).or_insert(false);
                    *reported |= correlation.generate;
                }
            }
        }
        referenced
            .into_iter()
            .filter(|(_, reported)| !reported)
            .map(|(index, _)| index)
            .collect()
    }

    /// Looks up the metadata of the rule or correlation behind a finding's analytic id.
    pub fn info(&self, analytic: &str) -> Option<&RuleInfo> {
        let key = analytic.strip_prefix(FINDING_PREFIX)?;
        self.rules
            .iter()
            .map(|r| &r.info)
            .chain(self.correlations.iter().map(|c| &c.info))
            .find(|info| info.key() == key)
    }
}

fn host_key(store: &EventStore, event: usize) -> Vec<JoinKey> {
    store
        .field(event, "host.name")
        .map(|value| JoinKey {
            field: "host.name".to_owned(),
            value: value.to_string(),
        })
        .into_iter()
        .collect()
}
