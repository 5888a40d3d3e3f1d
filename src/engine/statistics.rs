//! Computes an analytic's `[[statistics]]` over the events it reads.
//!
//! Each statistic becomes one column with a cell per selected event, filled before the query
//! runs, so the query reads a statistic as cheaply as a stored field. The population is the
//! analytic's selected events that match the statistic's `where`, visited in store order,
//! which is time order.

use std::collections::{HashMap, HashSet};

use crate::analytics::{Statistic, StatisticKind};
use crate::eql::{self, Document, FieldKey, Value};
use crate::store::EventStore;

use super::run::StoreDocument;

/// One computed value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cell {
    Absent,
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// The statistics of one analytic, one column per statistic and one cell per selected event.
#[derive(Debug, Default)]
pub struct StatisticColumns {
    names: Vec<String>,
    columns: Vec<Vec<Cell>>,
}

impl StatisticColumns {
    /// Computes every statistic over `selected`, the indexes of the events the analytic reads,
    /// in store order.
    ///
    /// # Errors
    ///
    /// Returns the evaluator's message when a `where` condition cannot run, for example
    /// because it calls an unknown function.
    pub fn compute(
        store: &EventStore,
        statistics: &[Statistic],
        selected: &[usize],
        options: &eql::Options,
    ) -> Result<StatisticColumns, String> {
        let documents: Vec<StoreDocument<'_>> = selected
            .iter()
            .map(|&index| StoreDocument::new(store, index))
            .collect();
        let mut names = Vec::with_capacity(statistics.len());
        let mut columns = Vec::with_capacity(statistics.len());
        for statistic in statistics {
            let population = population(statistic, &documents, options)?;
            columns.push(column(statistic, &documents, &population));
            names.push(statistic.name.clone());
        }
        Ok(StatisticColumns { names, columns })
    }

    /// Whether `name` is one of these statistics.
    pub fn defines(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// The value of statistic `name` for the selected event at `position`, or `None` when
    /// the event has none.
    pub fn value(&self, name: &str, position: usize) -> Option<Value<'static>> {
        let column = self.names.iter().position(|n| n == name)?;
        match self.columns.get(column)?.get(position)? {
            Cell::Absent => None,
            Cell::Int(n) => Some(Value::Int(*n)),
            Cell::Float(x) => Some(Value::Float(*x)),
            Cell::Bool(b) => Some(Value::Bool(*b)),
        }
    }
}

/// Positions, within `documents`, of the statistic's population.
fn population(
    statistic: &Statistic,
    documents: &[StoreDocument<'_>],
    options: &eql::Options,
) -> Result<Vec<usize>, String> {
    let Some(query) = &statistic.population else {
        return Ok((0..documents.len()).collect());
    };
    let matches = eql::execute(query, documents, options)
        .map_err(|e| format!("statistic {}: {e}", statistic.name))?;
    Ok(matches
        .into_iter()
        .filter_map(|m| m.events.first().copied())
        .collect())
}

fn column(
    statistic: &Statistic,
    documents: &[StoreDocument<'_>],
    population: &[usize],
) -> Vec<Cell> {
    let fields = Fields::resolve(statistic, documents);
    let fields = &fields;
    match statistic.kind {
        StatisticKind::Count => count(fields, documents, population),
        StatisticKind::Distinct if statistic.window_ms > 0 => {
            windowed_distinct(statistic, fields, documents, population)
        }
        StatisticKind::Distinct => distinct(fields, documents, population),
        StatisticKind::FirstSeen => first_seen(statistic, fields, documents, population),
        StatisticKind::Rate | StatisticKind::Sum => {
            windowed(statistic, fields, documents, population)
        }
        StatisticKind::Entropy => documents
            .iter()
            .map(|document| entropy(document, fields.of))
            .collect(),
        StatisticKind::Ratio => documents
            .iter()
            .map(|document| {
                let numerator = number(document, fields.of);
                let denominator = number(document, fields.per);
                match (numerator, denominator) {
                    (Some(n), Some(d)) if d != 0.0 => Cell::Float(n / d),
                    _ => Cell::Absent,
                }
            })
            .collect(),
    }
}

fn count(fields: &Fields<'_>, documents: &[StoreDocument<'_>], population: &[usize]) -> Vec<Cell> {
    let mut counts: HashMap<(String, String), i64> = HashMap::new();
    for document in population.iter().filter_map(|&p| documents.get(p)) {
        if let Some(key) = value_key(fields, document) {
            *counts.entry(key).or_default() += 1;
        }
    }
    documents
        .iter()
        .map(|document| match value_key(fields, document) {
            Some(key) => Cell::Int(counts.get(&key).copied().unwrap_or(0)),
            None => Cell::Absent,
        })
        .collect()
}

fn distinct(
    fields: &Fields<'_>,
    documents: &[StoreDocument<'_>],
    population: &[usize],
) -> Vec<Cell> {
    let mut values: HashMap<String, HashSet<String>> = HashMap::new();
    for document in population.iter().filter_map(|&p| documents.get(p)) {
        if let Some((group, value)) = value_key(fields, document) {
            values.entry(group).or_default().insert(value);
        }
    }
    documents
        .iter()
        .map(|document| match group_key(&fields.by, document) {
            Some(group) => {
                let n = values.get(&group).map_or(0, HashSet::len);
                Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
            }
            None => Cell::Absent,
        })
        .collect()
}

/// `distinct` with a `window`: distinct `of` values among the population events of the
/// event's group whose time lies in `[t - window, t]`.
///
/// Documents and population both ascend in time, so one window per group slides forward: each
/// document adds the population events up to its time and drops those before its window.
fn windowed_distinct(
    statistic: &Statistic,
    fields: &Fields<'_>,
    documents: &[StoreDocument<'_>],
    population: &[usize],
) -> Vec<Cell> {
    // Per group: the (time, value) pairs of its population events in time order.
    let mut groups: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for document in population.iter().filter_map(|&p| documents.get(p)) {
        if let Some((group, value)) = value_key(fields, document) {
            groups
                .entry(group)
                .or_default()
                .push((document.timestamp(), value));
        }
    }
    let window = window_ns(statistic);
    // Per group: the index of the first event not yet added, the index of the first event
    // still inside the window, and how often each value occurs between the two.
    let mut slides: HashMap<String, (usize, usize, HashMap<String, usize>)> = HashMap::new();
    documents
        .iter()
        .map(|document| {
            let Some(group) = group_key(&fields.by, document) else {
                return Cell::Absent;
            };
            let Some(events) = groups.get(&group) else {
                return Cell::Int(0);
            };
            let now = document.timestamp();
            let (added, kept, counts) = slides.entry(group).or_default();
            while let Some((_, value)) = events.get(*added).filter(|(time, _)| *time <= now) {
                *counts.entry(value.clone()).or_default() += 1;
                *added += 1;
            }
            let start = now.saturating_sub(window);
            while let Some((_, value)) = events
                .get(*kept)
                .filter(|(time, _)| *kept < *added && *time < start)
            {
                if let Some(count) = counts.get_mut(value) {
                    *count -= 1;
                    if *count == 0 {
                        counts.remove(value);
                    }
                }
                *kept += 1;
            }
            Cell::Int(i64::try_from(counts.len()).unwrap_or(i64::MAX))
        })
        .collect()
}

fn first_seen(
    statistic: &Statistic,
    fields: &Fields<'_>,
    documents: &[StoreDocument<'_>],
    population: &[usize],
) -> Vec<Cell> {
    // Population positions ascend, so the first insert of a key is its earliest occurrence.
    let mut first: HashMap<(String, String), usize> = HashMap::new();
    for &position in population {
        let Some(document) = documents.get(position) else {
            continue;
        };
        if let Some(key) = value_key(fields, document) {
            first.entry(key).or_insert(position);
        }
    }
    let start = population
        .first()
        .or(documents.first().map(|_| &0))
        .and_then(|&p| documents.get(p))
        .map_or(0, Document::timestamp);
    let learned_until = start.saturating_add(window_ns(statistic));
    documents
        .iter()
        .enumerate()
        .map(|(position, document)| match value_key(fields, document) {
            Some(key) => {
                let unseen_before = first.get(&key).is_none_or(|&f| f >= position);
                Cell::Bool(unseen_before && document.timestamp() >= learned_until)
            }
            None => Cell::Absent,
        })
        .collect()
}

/// `rate` and `sum`: the population events of the event's group whose time lies in the
/// window `[t - window, t]` ending at the event's time `t`, counted or summed.
fn windowed(
    statistic: &Statistic,
    fields: &Fields<'_>,
    documents: &[StoreDocument<'_>],
    population: &[usize],
) -> Vec<Cell> {
    let summing = statistic.kind == StatisticKind::Sum;
    // Per group: times in ascending order and the running sum of values up to each time.
    let mut groups: HashMap<String, (Vec<i64>, Vec<f64>)> = HashMap::new();
    for document in population.iter().filter_map(|&p| documents.get(p)) {
        let Some(group) = group_key(&fields.by, document) else {
            continue;
        };
        let amount = if summing {
            match number(document, fields.of) {
                Some(amount) => amount,
                None => continue,
            }
        } else {
            1.0
        };
        let (times, sums) = groups.entry(group).or_default();
        let total = sums.last().copied().unwrap_or(0.0) + amount;
        times.push(document.timestamp());
        sums.push(total);
    }
    let window = window_ns(statistic);
    documents
        .iter()
        .map(|document| {
            let Some(group) = group_key(&fields.by, document) else {
                return Cell::Absent;
            };
            let Some((times, sums)) = groups.get(&group) else {
                return if summing {
                    Cell::Float(0.0)
                } else {
                    Cell::Int(0)
                };
            };
            let now = document.timestamp();
            let end = times.partition_point(|&t| t <= now);
            let begin = times.partition_point(|&t| t < now.saturating_sub(window));
            if summing {
                let upto = |i: usize| {
                    i.checked_sub(1)
                        .and_then(|last| sums.get(last))
                        .copied()
                        .unwrap_or(0.0)
                };
                Cell::Float(upto(end) - upto(begin.min(end)))
            } else {
                Cell::Int(i64::try_from(end.saturating_sub(begin)).unwrap_or(i64::MAX))
            }
        })
        .collect()
}

fn window_ns(statistic: &Statistic) -> i64 {
    i64::try_from(statistic.window_ms)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000)
}

/// A field a statistic reads: its key, resolved once per statistic, and its name.
type Field<'a> = (FieldKey, &'a str);

/// The fields a statistic reads, resolved against the documents' store once, so that reading
/// them for each event does not look the names up again.
struct Fields<'a> {
    by: Vec<Field<'a>>,
    of: Option<Field<'a>>,
    per: Option<Field<'a>>,
}

impl<'a> Fields<'a> {
    fn resolve(statistic: &'a Statistic, documents: &[StoreDocument<'_>]) -> Fields<'a> {
        let field = |name: &'a str| -> Field<'a> {
            let key = documents
                .first()
                .map_or(FieldKey::BY_NAME, |document| document.resolve(name));
            (key, name)
        };
        Fields {
            by: statistic.by.iter().map(|name| field(name)).collect(),
            of: statistic.of.as_deref().map(field),
            per: statistic.per.as_deref().map(field),
        }
    }
}

/// The event's group and `of` value, or `None` when it lacks one of them.
fn value_key(fields: &Fields<'_>, document: &StoreDocument<'_>) -> Option<(String, String)> {
    let group = group_key(&fields.by, document)?;
    let value = text(document, fields.of)?;
    Some((group, value.to_ascii_lowercase()))
}

/// The `by` values joined with a unit separator, lowercased; `None` when one is missing.
fn group_key(by: &[Field<'_>], document: &StoreDocument<'_>) -> Option<String> {
    let mut key = String::new();
    for (i, field) in by.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        key.push_str(&text(document, Some(*field))?.to_ascii_lowercase());
    }
    Some(key)
}

fn text(document: &StoreDocument<'_>, field: Option<Field<'_>>) -> Option<String> {
    let (key, name) = field?;
    match document.field_by_key(key, name)? {
        Value::Null => None,
        Value::Str(s) => Some(s.into_owned()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn number(document: &StoreDocument<'_>, field: Option<Field<'_>>) -> Option<f64> {
    let (key, name) = field?;
    match document.field_by_key(key, name)? {
        Value::Int(n) => Some(n as f64),
        Value::Float(x) => Some(x),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Computes the entropy of the event's `of` text, or for a list (such as `process.args`) the
/// highest entropy among its text items, so that the other items do not dilute one
/// random-looking argument.
fn entropy(document: &StoreDocument<'_>, field: Option<Field<'_>>) -> Cell {
    let Some((key, name)) = field else {
        return Cell::Absent;
    };
    match document.field_by_key(key, name) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Str(text) => Some(shannon_entropy(text)),
                _ => None,
            })
            .reduce(f64::max)
            .map_or(Cell::Absent, Cell::Float),
        _ => text(document, field).map_or(Cell::Absent, |text| Cell::Float(shannon_entropy(&text))),
    }
}

/// Shannon entropy of `text` in bits per character; 0 for empty text.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts: HashMap<char, u32> = HashMap::new();
    let mut total = 0u32;
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .values()
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::Analytic;
    use crate::store::{EventBuilder, EventStore, Origin, PendingValue, Platform};
    use std::path::Path;

    /// Builds a store of events given as (seconds, host, user, value, bytes).
    fn store(rows: &[(i64, &str, &str, &str, i64)]) -> EventStore {
        let mut store = EventStore::new();
        for (i, (seconds, host, user, value, bytes)) in rows.iter().enumerate() {
            let origin = Origin {
                file: 0,
                record: i as u64 + 1,
                offset: None,
            };
            let mut event =
                EventBuilder::new(seconds * 1_000_000_000, "test", Platform::Linux, origin);
            event
                .field("host.name", *host)
                .field("user.name", *user)
                .field("value", *value)
                .field("bytes", *bytes);
            store.push(event);
        }
        store.sort();
        store
    }

    fn statistic(entries: &str) -> Vec<Statistic> {
        let text = format!(
            "id = 'AN0001'\ntitle = 't'\nplatform = 'Linux'\ntechnique = 'T1'\n\
             severity = 'low'\nnotes = ''\nquery = 'any where glexia.s != null'\n\
             [[reads]]\nlog_source = 'test'\n[[statistics]]\nname = 'glexia.s'\nhelp = 'h'\n\
             {entries}\n"
        );
        Analytic::from_toml(Path::new("AN0001.toml"), &text)
            .expect("test analytic resolves")
            .statistics
    }

    fn values(store: &EventStore, entries: &str) -> Vec<Option<Value<'static>>> {
        let selected: Vec<usize> = (0..store.len()).collect();
        let columns = StatisticColumns::compute(
            store,
            &statistic(entries),
            &selected,
            &eql::Options::default(),
        )
        .expect("statistic computes");
        (0..store.len())
            .map(|p| columns.value("glexia.s", p))
            .collect()
    }

    #[test]
    fn count_ignores_case_and_groups() {
        let store = store(&[
            (1, "a", "u", "cmd.exe", 0),
            (2, "a", "u", "CMD.EXE", 0),
            (3, "b", "u", "cmd.exe", 0),
        ]);
        let all = values(&store, "kind = 'count'\nof = 'value'");
        assert_eq!(all, vec![Some(Value::Int(3)); 3]);
        let per_host = values(&store, "kind = 'count'\nof = 'value'\nby = ['host.name']");
        assert_eq!(
            per_host,
            vec![
                Some(Value::Int(2)),
                Some(Value::Int(2)),
                Some(Value::Int(1))
            ]
        );
    }

    #[test]
    fn count_respects_where() {
        let store = store(&[(1, "a", "u", "x", 0), (2, "b", "u", "x", 0)]);
        let counted = values(
            &store,
            "kind = 'count'\nof = 'value'\nwhere = 'host.name == \"a\"'",
        );
        assert_eq!(counted, vec![Some(Value::Int(1)); 2]);
    }

    #[test]
    fn distinct_counts_values_per_group() {
        let store = store(&[
            (1, "a", "u", "x", 0),
            (2, "b", "u", "y", 0),
            (3, "c", "v", "x", 0),
        ]);
        let hosts_per_user = values(
            &store,
            "kind = 'distinct'\nof = 'host.name'\nby = ['user.name']",
        );
        assert_eq!(
            hosts_per_user,
            vec![
                Some(Value::Int(2)),
                Some(Value::Int(2)),
                Some(Value::Int(1))
            ]
        );
    }

    #[test]
    fn first_seen_after_learning_window() {
        let store = store(&[
            (0, "a", "alice", "10.0.0.1", 0),
            (100, "a", "alice", "10.0.0.1", 0),
            (200, "a", "alice", "10.0.0.2", 0),
            (300, "a", "bob", "10.0.0.1", 0),
        ]);
        let new = values(
            &store,
            "kind = 'first_seen'\nof = 'value'\nby = ['user.name']",
        );
        let expected: Vec<_> = [true, false, true, true]
            .map(|b| Some(Value::Bool(b)))
            .to_vec();
        assert_eq!(new, expected);
        let learned = values(
            &store,
            "kind = 'first_seen'\nof = 'value'\nby = ['user.name']\nwindow = '250s'",
        );
        let expected: Vec<_> = [false, false, false, true]
            .map(|b| Some(Value::Bool(b)))
            .to_vec();
        assert_eq!(learned, expected);
    }

    #[test]
    fn windowed_distinct_slides_with_time() {
        let store = store(&[
            (0, "a", "u1", "x", 0),
            (10, "a", "u2", "x", 0),
            (20, "a", "u2", "x", 0),
            (25, "b", "u9", "x", 0),
            (30, "a", "u3", "x", 0),
            (75, "a", "u4", "x", 0),
        ]);
        let accounts = values(
            &store,
            "kind = 'distinct'\nof = 'user.name'\nby = ['host.name']\nwindow = '30s'",
        );
        // At 30 s the window [0, 30] holds u1, u2 and u3; at 75 s only u4 is left in it.
        let expected: Vec<_> = [1, 2, 2, 1, 3, 1].map(|n| Some(Value::Int(n))).to_vec();
        assert_eq!(accounts, expected);
        let whole = values(
            &store,
            "kind = 'distinct'\nof = 'user.name'\nby = ['host.name']",
        );
        let expected: Vec<_> = [4, 4, 4, 1, 4, 4].map(|n| Some(Value::Int(n))).to_vec();
        assert_eq!(whole, expected);
    }

    #[test]
    fn rate_counts_trailing_window_inclusive() {
        let store = store(&[
            (0, "a", "u", "x", 0),
            (30, "a", "u", "x", 0),
            (60, "a", "u", "x", 0),
            (61, "b", "u", "x", 0),
            (120, "a", "u", "x", 0),
        ]);
        let rate = values(&store, "kind = 'rate'\nwindow = '60s'\nby = ['host.name']");
        let expected: Vec<_> = [1, 2, 3, 1, 2].map(|n| Some(Value::Int(n))).to_vec();
        assert_eq!(rate, expected);
    }

    #[test]
    fn sum_adds_values_in_window() {
        let store = store(&[
            (0, "a", "u", "x", 100),
            (10, "a", "u", "x", 50),
            (100, "a", "u", "x", 7),
        ]);
        let sum = values(&store, "kind = 'sum'\nof = 'bytes'\nwindow = '30s'");
        let expected: Vec<_> = [100.0, 150.0, 7.0].map(|x| Some(Value::Float(x))).to_vec();
        assert_eq!(sum, expected);
    }

    #[test]
    fn entropy_and_ratio_read_one_event() {
        let store = store(&[(0, "a", "u", "aaaa", 8), (1, "a", "u", "abcd", 0)]);
        let entropy = values(&store, "kind = 'entropy'\nof = 'value'");
        assert_eq!(
            entropy,
            vec![Some(Value::Float(0.0)), Some(Value::Float(2.0))]
        );
        let ratio = values(&store, "kind = 'ratio'\nof = 'bytes'\nper = 'bytes'");
        assert_eq!(ratio, vec![Some(Value::Float(1.0)), None]);
    }

    #[test]
    fn entropy_of_list_is_highest_item() {
        let mut store = EventStore::new();
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let mut event = EventBuilder::new(0, "test", Platform::Linux, origin);
        let args = ["aaaa", "abcd", "aabb"].map(PendingValue::from).to_vec();
        event.field("process.args", PendingValue::List(args));
        store.push(event);

        let entropy = values(&store, "kind = 'entropy'\nof = 'process.args'");

        assert_eq!(entropy, vec![Some(Value::Float(2.0))]);
    }

    #[test]
    fn missing_field_gives_no_value() {
        let store = store(&[(0, "a", "u", "x", 0)]);
        let count = values(&store, "kind = 'count'\nof = 'process.name'");
        assert_eq!(count, vec![None]);
    }
}
