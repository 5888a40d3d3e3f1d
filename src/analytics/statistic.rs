//! Statistics an analytic computes from the loaded data before its query runs.
//!
//! ATT&CK descriptions often ask for a property of the whole collection rather than of one
//! event: a "rare" process, a "new" source address, a "high" message rate, a "high-entropy"
//! name. An analytic declares each such property under `[[statistics]]`. The engine computes
//! it over the events the analytic reads, and the query reads it as an extra field whose name
//! starts with `glexia.`.
//!
//! ```toml
//! [[statistics]]
//! name = "glexia.process_count"
//! kind = "count"
//! of = "process.name"
//! where = 'event.code in ("1", "4688")'
//! help = "Process creations across the loaded data with this event's process name"
//! ```
//!
//! The population of a statistic is every event the analytic reads (its `[[reads]]`) that
//! also matches `where`, or all of them without it. Values are compared as text ignoring
//! ASCII case, so `CMD.EXE` and `cmd.exe` count together. An event whose `of`, `per` or `by`
//! field is missing gets no value, and the query sees the field as null.

use serde::Deserialize;

use super::tunable::{self, Tunable};
use crate::eql;

/// Prefix every statistic name carries, so a statistic never shadows a field of the events.
pub const STATISTIC_PREFIX: &str = "glexia.";

/// One `[[statistics]]` entry as written.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StatisticFile {
    /// The field name the query reads, starting with `glexia.`.
    pub name: String,
    /// `count`, `distinct`, `first_seen`, `rate`, `sum`, `entropy` or `ratio`.
    pub kind: String,
    /// The field measured.
    #[serde(default)]
    pub of: Option<String>,
    /// The denominator field of a `ratio`.
    #[serde(default)]
    pub per: Option<String>,
    /// Fields whose values split the population into groups measured separately.
    #[serde(default)]
    pub by: Vec<String>,
    /// The trailing window of `rate`, `sum` and `distinct`, or the learning period of
    /// `first_seen`; it may name a tunable as `{{Name}}`.
    #[serde(default)]
    pub window: Option<String>,
    /// An EQL condition that narrows the population; it may name tunables as `{{Name}}`.
    #[serde(default, rename = "where")]
    pub population: Option<String>,
    /// One line on what the value means.
    pub help: String,
}

/// The measure a statistic computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatisticKind {
    /// Population events in the event's group whose `of` value equals the event's.
    Count,
    /// Distinct `of` values among the population events of the event's group, only those in
    /// the trailing window ending at the event when a window is set.
    Distinct,
    /// Whether no earlier population event of the group had the event's `of` value, once the
    /// learning window from the population's first event has passed.
    FirstSeen,
    /// Population events of the group within the trailing window ending at the event.
    Rate,
    /// Sum of the numeric `of` values of the group's population events within the trailing
    /// window ending at the event.
    Sum,
    /// Shannon entropy of the event's `of` text, in bits per character; for a list, the
    /// highest among its items.
    Entropy,
    /// The event's `of` divided by its `per`.
    Ratio,
}

impl StatisticKind {
    fn parse(kind: &str) -> Option<StatisticKind> {
        match kind {
            "count" => Some(StatisticKind::Count),
            "distinct" => Some(StatisticKind::Distinct),
            "first_seen" => Some(StatisticKind::FirstSeen),
            "rate" => Some(StatisticKind::Rate),
            "sum" => Some(StatisticKind::Sum),
            "entropy" => Some(StatisticKind::Entropy),
            "ratio" => Some(StatisticKind::Ratio),
            _ => None,
        }
    }

    /// The kind's name as written in analytic files.
    pub fn name(self) -> &'static str {
        match self {
            StatisticKind::Count => "count",
            StatisticKind::Distinct => "distinct",
            StatisticKind::FirstSeen => "first_seen",
            StatisticKind::Rate => "rate",
            StatisticKind::Sum => "sum",
            StatisticKind::Entropy => "entropy",
            StatisticKind::Ratio => "ratio",
        }
    }

    /// Whether the value depends on other events; `entropy` and `ratio` read only the event.
    pub fn needs_population(self) -> bool {
        !matches!(self, StatisticKind::Entropy | StatisticKind::Ratio)
    }
}

/// A validated statistic with its tunables substituted.
#[derive(Clone, Debug)]
pub struct Statistic {
    /// The field name the query reads.
    pub name: String,
    /// What it measures.
    pub kind: StatisticKind,
    /// The field measured, absent only for `rate`.
    pub of: Option<String>,
    /// The denominator field of a `ratio`.
    pub per: Option<String>,
    /// Grouping fields.
    pub by: Vec<String>,
    /// The window in milliseconds: trailing for `rate`, `sum` and `distinct` (0: no window),
    /// learning for `first_seen`.
    pub window_ms: u64,
    /// The population condition as an `any where` query, when one is set.
    pub population: Option<eql::Query>,
    /// The condition's text after substitution, for display.
    pub population_text: Option<String>,
    /// One line on what the value means.
    pub help: String,
}

impl Statistic {
    /// Validates one entry; the error names the key at fault and the expected value.
    pub(super) fn resolve(
        file: &StatisticFile,
        tunables: &[Tunable],
    ) -> Result<Statistic, (String, String)> {
        let fail = |key: &str, message: String| Err((key.to_owned(), message));
        if !file.name.starts_with(STATISTIC_PREFIX) || file.name.len() == STATISTIC_PREFIX.len() {
            return fail(
                "name",
                format!(
                    "'{}' must start with '{STATISTIC_PREFIX}' and name the statistic",
                    file.name
                ),
            );
        }
        let Some(kind) = StatisticKind::parse(&file.kind) else {
            return fail(
                "kind",
                format!(
                    "'{}' is not one of count, distinct, first_seen, rate, sum, entropy, ratio",
                    file.kind
                ),
            );
        };
        if file.of.is_none() && kind != StatisticKind::Rate {
            return fail("of", format!("a '{}' statistic needs 'of'", kind.name()));
        }
        if kind == StatisticKind::Ratio && file.per.is_none() {
            return fail("per", "a 'ratio' statistic needs 'per'".to_owned());
        }
        if kind != StatisticKind::Ratio && file.per.is_some() {
            return fail("per", "only a 'ratio' statistic takes 'per'".to_owned());
        }
        if !kind.needs_population() && (!file.by.is_empty() || file.population.is_some()) {
            return fail(
                "by",
                format!(
                    "a '{}' statistic reads only its own event and takes no 'by' or 'where'",
                    kind.name()
                ),
            );
        }
        let needs_window = matches!(kind, StatisticKind::Rate | StatisticKind::Sum);
        let takes_window =
            needs_window || matches!(kind, StatisticKind::FirstSeen | StatisticKind::Distinct);
        let window_ms = match (&file.window, takes_window) {
            (None, _) if needs_window => {
                return fail(
                    "window",
                    format!("a '{}' statistic needs 'window'", kind.name()),
                );
            }
            (None, _) => 0,
            (Some(_), false) => {
                return fail(
                    "window",
                    format!("a '{}' statistic takes no 'window'", kind.name()),
                );
            }
            (Some(text), true) => {
                let text = tunable::substitute(text, tunables).map_err(|m| ("window".into(), m))?;
                tunable::parse_duration(&text).map_err(|m| ("window".to_owned(), m))?
            }
        };
        let (population, population_text) = match &file.population {
            None => (None, None),
            Some(text) => {
                let text = tunable::substitute(text, tunables).map_err(|m| ("where".into(), m))?;
                let query = eql::parse(&format!("any where {text}"))
                    .map_err(|e| ("where".to_owned(), e.to_string()))?;
                (Some(query), Some(text))
            }
        };
        Ok(Statistic {
            name: file.name.clone(),
            kind,
            of: file.of.clone(),
            per: file.per.clone(),
            by: file.by.clone(),
            window_ms,
            population,
            population_text,
            help: file.help.clone(),
        })
    }
}

/// Resolves every statistic and checks that the query reads each of them and reads no
/// `glexia.` field that none of them defines.
pub(super) fn resolve_all(
    files: &[StatisticFile],
    tunables: &[Tunable],
    query: &eql::Query,
) -> Result<Vec<Statistic>, (String, String)> {
    let mut statistics: Vec<Statistic> = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let statistic = Statistic::resolve(file, tunables)
            .map_err(|(key, message)| (format!("statistics[{index}].{key}"), message))?;
        if statistics.iter().any(|s| s.name == statistic.name) {
            return Err((
                format!("statistics[{index}].name"),
                format!("'{}' is defined twice", statistic.name),
            ));
        }
        statistics.push(statistic);
    }
    let read = query.fields();
    for (index, statistic) in statistics.iter().enumerate() {
        if !read.contains(&statistic.name) {
            return Err((
                format!("statistics[{index}].name"),
                format!("the query never reads '{}'", statistic.name),
            ));
        }
    }
    for field in &read {
        if field.starts_with(STATISTIC_PREFIX) && !statistics.iter().any(|s| s.name == *field) {
            return Err((
                "query".to_owned(),
                format!("'{field}' is not defined under [[statistics]]"),
            ));
        }
    }
    Ok(statistics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(kind: &str) -> StatisticFile {
        StatisticFile {
            name: "glexia.value".into(),
            kind: kind.into(),
            of: Some("process.name".into()),
            per: None,
            by: Vec::new(),
            window: None,
            population: None,
            help: "test".into(),
        }
    }

    #[test]
    fn name_needs_prefix() {
        let mut entry = file("count");
        entry.name = "process_count".into();
        let (key, message) = Statistic::resolve(&entry, &[]).expect_err("prefix is required");
        assert_eq!(key, "name");
        assert!(message.contains("glexia."), "{message}");
    }

    #[test]
    fn rate_needs_window() {
        let (key, _) = Statistic::resolve(&file("rate"), &[]).expect_err("window is required");
        assert_eq!(key, "window");
        let mut entry = file("rate");
        entry.window = Some("5m".into());
        let statistic = Statistic::resolve(&entry, &[]).expect("valid rate");
        assert_eq!(statistic.window_ms, 300_000);
    }

    #[test]
    fn entropy_rejects_grouping() {
        let mut entry = file("entropy");
        entry.by = vec!["host.name".into()];
        let (key, _) = Statistic::resolve(&entry, &[]).expect_err("entropy takes no by");
        assert_eq!(key, "by");
    }

    #[test]
    fn bad_where_is_reported() {
        let mut entry = file("count");
        entry.population = Some("event.code ==".into());
        let (key, _) = Statistic::resolve(&entry, &[]).expect_err("where must parse");
        assert_eq!(key, "where");
    }

    #[test]
    fn query_must_read_statistic() {
        let query = eql::parse("process where glexia.other > 1").expect("query parses");
        let (key, message) = resolve_all(&[file("count")], &[], &query).expect_err("unread");
        assert_eq!(key, "statistics[0].name");
        assert!(message.contains("never reads"), "{message}");
        let query = eql::parse("process where glexia.value > 1 and glexia.other > 1")
            .expect("query parses");
        let (key, message) = resolve_all(&[file("count")], &[], &query).expect_err("undefined");
        assert_eq!(key, "query");
        assert!(message.contains("glexia.other"), "{message}");
    }
}
