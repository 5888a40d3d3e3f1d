//! Executable analytics: TOML files that give one ATT&CK catalog analytic an EQL query.
//!
//! Loading happens in two stages. [`AnalyticFile`] mirrors the TOML file field for field;
//! [`Analytic::resolve`] validates it, substitutes tunables into the query and parses the EQL,
//! so only resolved analytics reach the engine.
//!
//! A file declares every log source its query reads under `[[reads]]`. The engine feeds the query
//! only events from those sources, so the declaration is enforced rather than advisory, and the
//! catalog check compares it with the log sources ATT&CK names for the analytic.

mod check;
mod statistic;
mod tunable;

pub use check::{CheckError, check, event_codes};
pub use statistic::{STATISTIC_PREFIX, Statistic, StatisticFile, StatisticKind};
pub use tunable::{Tunable, TunableKind, TunableValue};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::eql;

/// The analytics shipped with the binary, as `(path, contents)` in path order: every `*.toml`
/// under `analytics/` except the catalog folder, listed by the build script.
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_analytics.rs"));

/// An analytic file exactly as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticFile {
    /// The ATT&CK analytic id, such as `AN0750`.
    pub id: String,
    /// A short title for lists.
    pub title: String,
    /// The ATT&CK platform the query covers.
    pub platform: String,
    /// The ATT&CK technique id the analytic's detection strategy detects.
    pub technique: String,
    /// `informational`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// Implementation notes: the query's reading of ATT&CK's description and its gaps.
    pub notes: String,
    /// Links that back the query's logic.
    #[serde(default)]
    pub references: Vec<String>,
    /// Every log source the query reads.
    pub reads: Vec<ReadFile>,
    /// Tunables keyed by the ATT&CK mutable element they implement.
    #[serde(default)]
    pub tunables: BTreeMap<String, TunableFile>,
    /// Values computed from the loaded data that the query reads as `glexia.` fields.
    #[serde(default)]
    pub statistics: Vec<StatisticFile>,
    /// The EQL query, with `{{Name}}` where a tunable's value goes.
    pub query: String,
}

/// One `[[reads]]` entry: a log source and the event codes read from it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReadFile {
    /// The ATT&CK log source name, such as `WinEventLog:Sysmon`.
    pub log_source: String,
    /// The `event.code` values read; empty reads every code of the source.
    #[serde(default)]
    pub event_codes: Vec<String>,
}

/// One tunable as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TunableFile {
    /// `duration`, `number`, `list` or `text`.
    pub kind: String,
    /// The default value, of the kind's TOML type (durations as strings such as `"5m"`).
    pub default: toml::Value,
    /// One line on what the value changes.
    pub help: String,
    /// `false` for a threshold the query needs that ATT&CK does not list as a mutable element;
    /// the catalog check then does not look it up.
    #[serde(default = "yes")]
    pub mutable_element: bool,
}

fn yes() -> bool {
    true
}

/// A validated analytic with its query parsed.
#[derive(Clone, Debug)]
pub struct Analytic {
    /// The ATT&CK analytic id.
    pub id: String,
    /// A short title for lists.
    pub title: String,
    /// The ATT&CK platform name.
    pub platform: String,
    /// The ATT&CK technique id.
    pub technique: String,
    /// Severity as written.
    pub severity: String,
    /// Implementation notes.
    pub notes: String,
    /// Supporting links.
    pub references: Vec<String>,
    /// Log sources the query reads.
    pub reads: Vec<ReadFile>,
    /// Tunables in name order.
    pub tunables: Vec<Tunable>,
    /// Statistics as written, kept to resolve them again when a tunable changes.
    pub statistic_files: Vec<StatisticFile>,
    /// Statistics with the current tunable values.
    pub statistics: Vec<Statistic>,
    /// The query text before substitution.
    pub query_template: String,
    /// The query text with the current tunable values.
    pub query_text: String,
    /// The parsed query.
    pub query: eql::Query,
    /// The file it came from.
    pub path: PathBuf,
}

/// An error that makes an analytic file unusable.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticError {
    /// The file could not be read.
    #[error("cannot read analytic '{path}': {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or missing keys.
    #[error("invalid analytic '{path}': {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A field has a value the loader does not accept.
    #[error("invalid analytic '{path}': field '{field}': {message}")]
    Field {
        /// The file.
        path: PathBuf,
        /// The field, such as `tunables.TimeWindow.default`.
        field: String,
        /// The problem and the expected value.
        message: String,
    },
    /// The query does not parse after substitution.
    #[error("invalid query in analytic '{path}'{}:\n{error}", file_line_text(*.file_line))]
    Query {
        /// The file.
        path: PathBuf,
        /// The parse error with line, column and caret, counted within the query.
        error: Box<eql::ParseError>,
        /// The file line of the error's query line, when the file's text is known.
        file_line: Option<usize>,
    },
}

/// Formats the file line of a query error for the message, or nothing.
fn file_line_text(file_line: Option<usize>) -> String {
    file_line.map_or_else(String::new, |line| format!(" at line {line} of the file"))
}

/// Returns the line of `text` on which the `query` value's content starts, or `None` when the
/// file has no string `query`. A multi-line string's content starts after the newline that
/// follows its opening quotes, which TOML drops.
fn query_start_line(text: &str) -> Option<usize> {
    #[derive(Deserialize)]
    struct QueryOnly {
        query: toml::Spanned<String>,
    }
    let spanned: QueryOnly = toml::from_str(text).ok()?;
    let start = spanned.query.span().start;
    let before = text.get(..start)?;
    let value = text.get(start..)?;
    let line = before.matches('\n').count() + 1;
    let opens_block = ["'''\n", "'''\r\n", "\"\"\"\n", "\"\"\"\r\n"]
        .iter()
        .any(|opening| value.starts_with(opening));
    Some(if opens_block { line + 1 } else { line })
}

impl Analytic {
    /// Parses and resolves one analytic file's contents.
    pub fn from_toml(path: &Path, text: &str) -> Result<Analytic, AnalyticError> {
        let file: AnalyticFile = toml::from_str(text).map_err(|e| AnalyticError::Toml {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Analytic::resolve(path, file).map_err(|error| match error {
            AnalyticError::Query { path, error, .. } => {
                let file_line = query_start_line(text)
                    .map(|start| start + error.position.line.saturating_sub(1));
                AnalyticError::Query {
                    path,
                    error,
                    file_line,
                }
            }
            other => other,
        })
    }

    /// Reads and resolves one analytic file.
    pub fn from_path(path: &Path) -> Result<Analytic, AnalyticError> {
        let text = std::fs::read_to_string(path).map_err(|source| AnalyticError::Read {
            path: path.to_owned(),
            source,
        })?;
        Analytic::from_toml(path, &text)
    }

    /// Validates a parsed file and builds the analytic with its default tunable values.
    pub fn resolve(path: &Path, file: AnalyticFile) -> Result<Analytic, AnalyticError> {
        let field_error = |field: &str, message: String| AnalyticError::Field {
            path: path.to_owned(),
            field: field.to_owned(),
            message,
        };
        if !is_analytic_id(&file.id) {
            return Err(field_error(
                "id",
                format!(
                    "'{}' is not an ATT&CK analytic id such as 'AN0750'",
                    file.id
                ),
            ));
        }
        if !SEVERITIES.contains(&file.severity.as_str()) {
            return Err(field_error(
                "severity",
                format!(
                    "'{}' is not one of {}",
                    file.severity,
                    SEVERITIES.join(", ")
                ),
            ));
        }
        if file.reads.is_empty() {
            return Err(field_error(
                "reads",
                "at least one log source must be listed".into(),
            ));
        }
        let mut tunables = Vec::with_capacity(file.tunables.len());
        for (name, tunable) in &file.tunables {
            let resolved = Tunable::resolve(name, tunable)
                .map_err(|message| field_error(&format!("tunables.{name}"), message))?;
            tunables.push(resolved);
        }
        let query_text = tunable::substitute(&file.query, &tunables)
            .map_err(|message| field_error("query", message))?;
        let query = eql::parse(&query_text).map_err(|error| AnalyticError::Query {
            path: path.to_owned(),
            error: Box::new(error),
            file_line: None,
        })?;
        let statistics = statistic::resolve_all(&file.statistics, &tunables, &query)
            .map_err(|(field, message)| field_error(&field, message))?;
        Ok(Analytic {
            id: file.id,
            title: file.title,
            platform: file.platform,
            technique: file.technique,
            severity: file.severity,
            notes: file.notes,
            references: file.references,
            reads: file.reads,
            tunables,
            statistic_files: file.statistics,
            statistics,
            query_template: file.query,
            query_text,
            query,
            path: path.to_owned(),
        })
    }

    /// Sets a tunable from text and re-parses the query; the analytic is unchanged on error.
    pub fn set_tunable(&mut self, name: &str, text: &str) -> Result<(), AnalyticError> {
        let field = format!("tunables.{name}");
        let field_error = |message: String| AnalyticError::Field {
            path: self.path.clone(),
            field: field.clone(),
            message,
        };
        let mut tunables = self.tunables.clone();
        let Some(tunable) = tunables.iter_mut().find(|t| t.name == name) else {
            return Err(field_error(format!(
                "'{name}' is not a tunable of {}",
                self.id
            )));
        };
        tunable.value = TunableValue::parse(tunable.kind, text).map_err(field_error)?;
        let query_text =
            tunable::substitute(&self.query_template, &tunables).map_err(field_error)?;
        let query = eql::parse(&query_text).map_err(|error| AnalyticError::Query {
            path: self.path.clone(),
            error: Box::new(error),
            file_line: None,
        })?;
        let statistics = statistic::resolve_all(&self.statistic_files, &tunables, &query).map_err(
            |(field, message)| AnalyticError::Field {
                path: self.path.clone(),
                field,
                message,
            },
        )?;
        self.tunables = tunables;
        self.statistics = statistics;
        self.query_text = query_text;
        self.query = query;
        Ok(())
    }

    /// Whether an event from `log_source` with `event_code` is one this analytic reads. A read
    /// of `auditd:SYSCALL` also takes the narrower auditd sources, as the engine does.
    pub fn reads_event(&self, log_source: &str, event_code: Option<&str>) -> bool {
        self.reads.iter().any(|read| {
            (read.log_source == log_source
                || crate::ingest::narrower_sources(&read.log_source).contains(&log_source))
                && (read.event_codes.is_empty()
                    || event_code.is_some_and(|code| read.event_codes.iter().any(|c| c == code)))
        })
    }
}

const SEVERITIES: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

fn is_analytic_id(id: &str) -> bool {
    id.len() == 6
        && id
            .strip_prefix("AN")
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Loads the built-in analytics, then every `*.toml` under `dirs` (recursively), a later file
/// with the same id replacing an earlier one. Files that fail are returned as errors and the
/// rest still load.
///
/// A file that fails still withdraws the analytic it meant to replace, when its id can be read
/// (from its `id` key or a file name such as `AN0767.toml`): running the built-in query instead
/// would hide that the edited one never ran.
pub fn load(dirs: &[PathBuf]) -> (Vec<Analytic>, Vec<AnalyticError>) {
    let mut analytics: BTreeMap<String, Analytic> = BTreeMap::new();
    let mut errors = Vec::new();
    for (path, text) in BUILTIN {
        match Analytic::from_toml(Path::new(path), text) {
            Ok(analytic) => {
                analytics.insert(analytic.id.clone(), analytic);
            }
            Err(error) => errors.push(error),
        }
    }
    for dir in dirs {
        let mut files = Vec::new();
        collect_toml(dir, &mut files, &mut errors, 0);
        files.sort();
        for path in files {
            match Analytic::from_path(&path) {
                Ok(analytic) => {
                    analytics.insert(analytic.id.clone(), analytic);
                }
                Err(error) => {
                    if let Some(id) = intended_id(&path) {
                        analytics.remove(&id);
                    }
                    errors.push(error);
                }
            }
        }
    }
    (analytics.into_values().collect(), errors)
}

/// Reads, leniently, the analytic id that a file which failed to load was meant to define.
fn intended_id(path: &Path) -> Option<String> {
    let from_key = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| table.get("id").and_then(|v| v.as_str()).map(str::to_owned));
    let from_name = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned);
    from_key
        .into_iter()
        .chain(from_name)
        .find(|id| is_analytic_id(id))
}

/// Directory depth past which analytics folders are not searched; it also stops symlink loops.
const MAX_DEPTH: usize = 16;

fn collect_toml(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<AnalyticError>,
    depth: usize,
) {
    if dir.is_file() {
        files.push(dir.to_owned());
        return;
    }
    if depth > MAX_DEPTH {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(AnalyticError::Read {
                path: dir.to_owned(),
                source,
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_toml(&path, files, errors, depth + 1);
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_analytics_resolve() {
        let (analytics, errors) = load(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let ids: Vec<&str> = analytics.iter().map(|a| a.id.as_str()).collect();
        let mut shipped: Vec<&str> = BUILTIN
            .iter()
            .filter_map(|(path, _)| Path::new(path).file_stem()?.to_str())
            .collect();
        shipped.sort_unstable();
        assert_eq!(ids, shipped);
        assert!(ids.contains(&"AN0750"), "{ids:?}");
    }

    #[test]
    fn unknown_key_names_the_file() {
        let error = Analytic::from_toml(Path::new("x/AN0001.toml"), "id = 'AN0001'\nbogus = 1\n")
            .expect_err("unknown key must be rejected");
        let message = error.to_string();
        assert!(message.contains("x/AN0001.toml"), "{message}");
        assert!(message.contains("bogus"), "{message}");
    }

    #[test]
    fn query_error_names_file_line() {
        let (path, text) = BUILTIN
            .iter()
            .find(|(path, _)| path.ends_with("AN0750.toml"))
            .expect("AN0750 ships");
        let query_index = text
            .lines()
            .position(|line| line.starts_with("query = "))
            .expect("a query key");
        // Breaks the query's second line, two lines below the `query = '''` line.
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[query_index + 2].push_str(" and and");
        let broken = lines.join("\n");
        let error = Analytic::from_toml(Path::new(path), &broken).expect_err("invalid query");
        let message = error.to_string();
        let expected = format!("at line {} of the file", query_index + 3);
        assert!(message.contains(&expected), "{message}");
        assert!(message.contains("invalid query at line 2"), "{message}");
    }

    #[test]
    fn query_start_line_handles_each_string_form() {
        assert_eq!(query_start_line("id = 'x'\nquery = '''\nq\n'''\n"), Some(3));
        assert_eq!(query_start_line("query = \"\"\"\r\nq\r\n\"\"\"\n"), Some(2));
        assert_eq!(query_start_line("\nquery = '''q'''\n"), Some(2));
        assert_eq!(query_start_line("query = \"q\"\n"), Some(1));
        assert_eq!(query_start_line("query = 3\n"), None);
    }

    #[test]
    fn broken_replacement_withdraws_builtin() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("AN0767.toml"), "id = 'AN0767'\nquery = 3\n")
            .expect("write analytic");
        let (analytics, errors) = load(&[dir.path().to_owned()]);
        assert_eq!(errors.len(), 1);
        let ids: Vec<&str> = analytics.iter().map(|a| a.id.as_str()).collect();
        assert!(!ids.contains(&"AN0767"), "{ids:?}");
        assert!(ids.contains(&"AN0764"), "{ids:?}");
        assert_eq!(ids.len(), BUILTIN.len() - 1);
    }

    #[test]
    fn set_tunable_rejects_bad_duration() {
        let (mut analytics, _) = load(&[]);
        let an0750 = analytics
            .iter_mut()
            .find(|a| a.id == "AN0750")
            .expect("AN0750 ships");
        let before = an0750.query_text.clone();
        let error = an0750
            .set_tunable("TimeWindow", "soon")
            .expect_err("'soon' is no duration");
        assert!(error.to_string().contains("tunables.TimeWindow"), "{error}");
        assert_eq!(an0750.query_text, before);
        an0750
            .set_tunable("TimeWindow", "90s")
            .expect("90s is a duration");
        assert!(
            an0750.query_text.contains("maxspan=90s"),
            "{}",
            an0750.query_text
        );
    }
}
