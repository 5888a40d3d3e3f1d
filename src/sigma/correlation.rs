//! Sigma correlation rules: event_count, value_count, temporal, temporal_ordered, value_sum,
//! value_avg and value_percentile over the matches of other rules.
//!
//! Window semantics: the events of one group (equal values of every `group-by` field, after
//! aliases) are read in time order, and each event closes a window that reaches back
//! `timespan` from it, both ends included, so two events exactly `timespan` apart share a
//! window.
//! - When every threshold is `gt` or `gte` (a condition that more events can only help to
//!   meet), the correlation is tested at each event over the window ending there, and matches
//!   as soon as it holds. Temporal types are tested the same way.
//! - Otherwise (`lt`, `lte`, `eq` or `neq`, and always for value_avg and value_percentile,
//!   where one more event can break the condition), the window starts at the group's first
//!   event not yet used, and is tested once when it closes: at the first later event more
//!   than `timespan` after its start, or at the end of the data.
//!
//! A match becomes one chain of the events in its window, and those events start no other
//! window, so a burst of 30 events under `gte: 10` yields three chains, not twenty-one.
//! Events that lack a `group-by` field belong to no group and are not counted.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::engine::{Chain, ChainStep, Finding, JoinKey};
use crate::store::{EventStore, Sym};

use super::eval::FieldBinder;
use super::rule::{CorrelationRule, CorrelationType, Threshold};
use super::{FINDING_PREFIX, Mapping, RuleSet};

/// One input of a correlation: a rule match, or a match of a correlation it refers to.
#[derive(Clone, Debug, PartialEq)]
pub struct Occurrence {
    /// Time of the occurrence: the event's, or the last event's of a correlation match.
    pub time: i64,
    /// Position in the correlation's `rules` of the rule that produced it.
    pub rule: usize,
    /// Store indexes of the events behind it.
    pub events: Vec<usize>,
    /// Values of the `group-by` fields, in order.
    pub group: Vec<String>,
    /// The value of the condition's `field`, when it has one.
    pub value: Option<String>,
}

/// One match of a correlation: its group and the occurrences in its window, in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrelationMatch {
    /// The `group-by` values.
    pub group: Vec<String>,
    /// Indexes into the occurrences given to [`correlate`].
    pub occurrences: Vec<usize>,
}

/// The parameters of [`correlate`], independent of where the occurrences come from.
#[derive(Clone, Debug)]
pub struct Spec<'a> {
    /// The correlation type.
    pub kind: CorrelationType,
    /// Number of referenced rules.
    pub rule_count: usize,
    /// Window length in nanoseconds.
    pub timespan: i64,
    /// Thresholds that must all hold.
    pub condition: &'a [Threshold],
}

fn monotone(spec: &Spec<'_>) -> bool {
    match spec.kind {
        CorrelationType::Temporal | CorrelationType::TemporalOrdered => true,
        CorrelationType::ValueAvg | CorrelationType::ValuePercentile => false,
        CorrelationType::EventCount | CorrelationType::ValueCount | CorrelationType::ValueSum => {
            spec.condition
                .iter()
                .all(|t| matches!(t, Threshold::Gt(_) | Threshold::Gte(_)))
        }
    }
}

fn thresholds_hold(condition: &[Threshold], value: f64) -> bool {
    condition.iter().all(|t| t.holds(value))
}

fn number(value: Option<&String>) -> Option<f64> {
    value.and_then(|v| v.trim().parse::<f64>().ok())
}

/// Tests an aggregate type over a window; returns the occurrences that make up the match.
fn aggregate(spec: &Spec<'_>, occurrences: &[Occurrence], window: &[usize]) -> Vec<Vec<usize>> {
    let values = || {
        window
            .iter()
            .filter_map(|&i| occurrences.get(i))
            .map(|o| o.value.as_ref())
    };
    let holds = |value: f64| thresholds_hold(spec.condition, value);
    match spec.kind {
        CorrelationType::EventCount => {
            if holds(window.len() as f64) {
                vec![window.to_vec()]
            } else {
                Vec::new()
            }
        }
        CorrelationType::ValueCount => {
            let distinct: HashSet<&String> = values().flatten().collect();
            if holds(distinct.len() as f64) {
                vec![window.to_vec()]
            } else {
                Vec::new()
            }
        }
        CorrelationType::ValueSum | CorrelationType::ValueAvg => {
            let numbers: Vec<f64> = values().filter_map(number).collect();
            if numbers.is_empty() {
                return Vec::new();
            }
            let sum: f64 = numbers.iter().sum();
            let aggregate = if spec.kind == CorrelationType::ValueSum {
                sum
            } else {
                sum / numbers.len() as f64
            };
            if holds(aggregate) {
                vec![window.to_vec()]
            } else {
                Vec::new()
            }
        }
        CorrelationType::ValuePercentile => {
            // Each distinct value's share of the window, in percent; a value whose share meets
            // the condition (such as `lte: 1` for a rare process) is one match.
            let mut by_value: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
            for &i in window {
                if let Some(value) = occurrences.get(i).and_then(|o| o.value.as_ref()) {
                    by_value.entry(value).or_default().push(i);
                }
            }
            let total: usize = by_value.values().map(Vec::len).sum();
            if total == 0 {
                return Vec::new();
            }
            by_value
                .into_values()
                .filter(|members| holds(members.len() as f64 * 100.0 / total as f64))
                .collect()
        }
        CorrelationType::Temporal | CorrelationType::TemporalOrdered => Vec::new(),
    }
}

/// Tests a temporal window ending at its last occurrence: every rule (or as many distinct
/// rules as the condition requires) must occur in it. Returns the latest occurrence of each
/// rule found.
fn temporal(spec: &Spec<'_>, occurrences: &[Occurrence], window: &[usize]) -> Option<Vec<usize>> {
    let mut latest: BTreeMap<usize, usize> = BTreeMap::new();
    for &i in window {
        if let Some(occurrence) = occurrences.get(i) {
            latest.insert(occurrence.rule, i);
        }
    }
    let distinct = latest.len() as f64;
    let enough = if spec.condition.is_empty() {
        latest.len() == spec.rule_count
    } else {
        thresholds_hold(spec.condition, distinct)
    };
    if !enough {
        return None;
    }
    let mut chosen: Vec<usize> = latest.into_values().collect();
    chosen.sort_unstable();
    Some(chosen)
}

/// A partial ordered sequence: the occurrences of steps `0..=k`.
type Partial = Vec<usize>;

/// Runs a correlation over `occurrences`, which must be in time order.
pub fn correlate(spec: &Spec<'_>, occurrences: &[Occurrence]) -> Vec<CorrelationMatch> {
    let mut groups: HashMap<&[String], Vec<usize>> = HashMap::new();
    let mut order: Vec<&[String]> = Vec::new();
    for (i, occurrence) in occurrences.iter().enumerate() {
        let key = occurrence.group.as_slice();
        groups
            .entry(key)
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(i);
    }
    let mut matches = Vec::new();
    for key in order {
        let Some(members) = groups.get(key) else {
            continue;
        };
        let found = if spec.kind == CorrelationType::TemporalOrdered {
            ordered(spec, occurrences, members)
        } else if monotone(spec) {
            sliding(spec, occurrences, members)
        } else {
            anchored(spec, occurrences, members)
        };
        matches.extend(found.into_iter().map(|occurrences| CorrelationMatch {
            group: key.to_vec(),
            occurrences,
        }));
    }
    matches.sort_by_key(|m| m.occurrences.first().copied());
    matches
}

fn sliding(spec: &Spec<'_>, occurrences: &[Occurrence], members: &[usize]) -> Vec<Vec<usize>> {
    let mut matches = Vec::new();
    let mut window: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    for &i in members {
        let Some(now) = occurrences.get(i).map(|o| o.time) else {
            continue;
        };
        window.push_back(i);
        while window
            .front()
            .and_then(|&first| occurrences.get(first))
            .is_some_and(|first| now - first.time > spec.timespan)
        {
            window.pop_front();
        }
        let current: Vec<usize> = window.iter().copied().collect();
        let found = match spec.kind {
            CorrelationType::Temporal => {
                temporal(spec, occurrences, &current).into_iter().collect()
            }
            _ => aggregate(spec, occurrences, &current),
        };
        if !found.is_empty() {
            matches.extend(found);
            window.clear();
        }
    }
    matches
}

fn anchored(spec: &Spec<'_>, occurrences: &[Occurrence], members: &[usize]) -> Vec<Vec<usize>> {
    let mut matches = Vec::new();
    let mut window: Vec<usize> = Vec::new();
    for &i in members {
        if let Some(start) = window.first().and_then(|&start| occurrences.get(start))
            && let Some(occurrence) = occurrences.get(i)
            && occurrence.time - start.time > spec.timespan
        {
            matches.extend(aggregate(spec, occurrences, &window));
            window.clear();
        }
        window.push(i);
    }
    if !window.is_empty() {
        matches.extend(aggregate(spec, occurrences, &window));
    }
    matches
}

/// temporal_ordered: occurrences of rule 0, then rule 1, … then the last rule, each strictly
/// after the one before in store order, the last within `timespan` of the first. For every
/// step the partial sequence with the latest start is kept, which finds a match whenever one
/// exists.
fn ordered(spec: &Spec<'_>, occurrences: &[Occurrence], members: &[usize]) -> Vec<Vec<usize>> {
    let steps = spec.rule_count;
    let mut matches = Vec::new();
    let mut partials: Vec<Option<Partial>> = vec![None; steps];
    let events = |i: usize| occurrences.get(i).map(|o| &o.events);
    let start_time = |partial: &[usize]| {
        partial
            .first()
            .and_then(|&first| occurrences.get(first))
            .map(|o| o.time)
    };
    // Occurrences of several rules can share a time; those of one event arrive together.
    for batch in members.chunk_by(|&a, &b| events(a) == events(b)) {
        let Some(now) = start_time(batch) else {
            continue;
        };
        for partial in partials.iter_mut() {
            if partial
                .as_deref()
                .and_then(start_time)
                .is_some_and(|first| now - first > spec.timespan)
            {
                *partial = None;
            }
        }
        // Later steps first, so one event never satisfies two consecutive steps.
        let mut completed = None;
        for step in (0..steps).rev() {
            let Some(&i) = batch
                .iter()
                .find(|&&i| occurrences.get(i).is_some_and(|o| o.rule == step))
            else {
                continue;
            };
            let extended = match step.checked_sub(1) {
                None => Some(vec![i]),
                Some(previous) => partials.get(previous).and_then(Option::as_ref).map(|p| {
                    let mut next = p.clone();
                    next.push(i);
                    next
                }),
            };
            let Some(extended) = extended else {
                continue;
            };
            if step + 1 == steps {
                completed = Some(extended);
                break;
            }
            let Some(slot) = partials.get_mut(step) else {
                continue;
            };
            let better = slot
                .as_deref()
                .is_none_or(|current| start_time(current) <= start_time(&extended));
            if better {
                *slot = Some(extended);
            }
        }
        if let Some(sequence) = completed {
            matches.push(sequence);
            partials = vec![None; steps];
        }
    }
    matches
}

/// Reads correlation inputs out of the store and runs every correlation of `set`.
struct Runner<'a> {
    set: &'a RuleSet,
    store: &'a EventStore,
    matches: &'a [Vec<usize>],
    binder: FieldBinder<'a>,
    /// Matches of each correlation, by index, once computed.
    results: HashMap<usize, Vec<(CorrelationMatch, Vec<Occurrence>)>>,
}

impl Runner<'_> {
    /// Reads field `name` of event `event` through the field sets of rule `rule`.
    fn rule_field(&mut self, rule: usize, event: usize, name: &str) -> Option<String> {
        let sources = self.set.rule_sources.get(rule)?.clone();
        let record = self.store.events().get(event)?;
        for source in sources {
            let fieldset = self.set.sources.get(source)?.fieldset.clone();
            let syms: Vec<Sym> = self.binder.bind_or_literal(&fieldset, name);
            for sym in syms {
                if let Some(value) = self.store.get(record, sym) {
                    return Some(value.resolve(&self.store.strings).to_string());
                }
            }
        }
        None
    }

    /// Returns the event field that a `group-by` entry or the condition field names in the
    /// events of the referenced rule `reference`, after aliases.
    fn field_for(
        correlation: &CorrelationRule,
        reference: &str,
        names: &[&str],
        field: &str,
    ) -> String {
        if let Some(per_rule) = correlation.aliases.get(field) {
            for name in std::iter::once(reference).chain(names.iter().copied()) {
                if let Some(actual) = per_rule.get(name) {
                    return actual.clone();
                }
            }
        }
        field.to_owned()
    }

    fn occurrences(&mut self, index: usize) -> Vec<Occurrence> {
        let set = self.set;
        let Some(correlation) = set.correlations.get(index) else {
            return Vec::new();
        };
        let mut all = Vec::new();
        for (position, reference) in correlation.rules.iter().enumerate() {
            if let Some(rule) = set.rule_index(reference)
                && let Some(matched) = set.rules.get(rule)
            {
                let info = &matched.info;
                let names: Vec<&str> = info
                    .name
                    .iter()
                    .chain(info.id.iter())
                    .map(String::as_str)
                    .collect();
                let events = self.matches.get(rule).cloned().unwrap_or_default();
                for event in events {
                    let mut group = Vec::with_capacity(correlation.group_by.len());
                    for field in &correlation.group_by {
                        let actual = Self::field_for(correlation, reference, &names, field);
                        match self.rule_field(rule, event, &actual) {
                            Some(value) => group.push(value),
                            None => break,
                        }
                    }
                    if group.len() != correlation.group_by.len() {
                        continue;
                    }
                    let value = correlation.field.as_ref().and_then(|field| {
                        let actual = Self::field_for(correlation, reference, &names, field);
                        self.rule_field(rule, event, &actual)
                    });
                    let time = self.store.events().get(event).map_or(0, |e| e.timestamp);
                    all.push(Occurrence {
                        time,
                        rule: position,
                        events: vec![event],
                        group,
                        value,
                    });
                }
            } else if let Some(inner) = set.correlation_index(reference)
                && let Some(inner_rule) = set.correlations.get(inner)
            {
                for (found, inputs) in self.correlation(inner) {
                    let mut events: Vec<usize> = found
                        .occurrences
                        .iter()
                        .filter_map(|&i| inputs.get(i))
                        .flat_map(|o| o.events.iter().copied())
                        .collect();
                    events.sort_unstable();
                    events.dedup();
                    let time = events
                        .last()
                        .and_then(|&e| self.store.events().get(e))
                        .map_or(0, |e| e.timestamp);
                    let names: Vec<&str> = inner_rule
                        .info
                        .name
                        .iter()
                        .chain(inner_rule.info.id.iter())
                        .map(String::as_str)
                        .collect();
                    let lookup = |field: &str| {
                        let actual = Self::field_for(correlation, reference, &names, field);
                        inner_rule
                            .group_by
                            .iter()
                            .position(|g| *g == actual)
                            .and_then(|p| found.group.get(p).cloned())
                    };
                    let group: Option<Vec<String>> =
                        correlation.group_by.iter().map(|f| lookup(f)).collect();
                    let Some(group) = group else {
                        continue;
                    };
                    let value = correlation.field.as_deref().and_then(lookup);
                    all.push(Occurrence {
                        time,
                        rule: position,
                        events,
                        group,
                        value,
                    });
                }
            }
        }
        // Stable, so the occurrences of one event keep the order of the rules list.
        all.sort_by_key(|o| (o.time, o.events.last().copied()));
        all
    }

    fn correlation(&mut self, index: usize) -> Vec<(CorrelationMatch, Vec<Occurrence>)> {
        if let Some(done) = self.results.get(&index) {
            return done.clone();
        }
        let occurrences = self.occurrences(index);
        let Some(correlation) = self.set.correlations.get(index) else {
            return Vec::new();
        };
        let spec = Spec {
            kind: correlation.kind,
            rule_count: correlation.rules.len(),
            timespan: correlation.timespan,
            condition: &correlation.condition,
        };
        let found: Vec<(CorrelationMatch, Vec<Occurrence>)> = correlate(&spec, &occurrences)
            .into_iter()
            .map(|m| {
                let inputs: Vec<Occurrence> = m
                    .occurrences
                    .iter()
                    .filter_map(|&i| occurrences.get(i).cloned())
                    .collect();
                let renumbered = CorrelationMatch {
                    group: m.group,
                    occurrences: (0..inputs.len()).collect(),
                };
                (renumbered, inputs)
            })
            .collect();
        self.results.insert(index, found.clone());
        found
    }
}

/// Runs every correlation of `set` over the rule matches and returns the findings of those
/// reported on their own (see [`RuleSet::findings`] for `generate`).
pub fn findings(set: &RuleSet, store: &EventStore, matches: &[Vec<usize>]) -> Vec<Finding> {
    let mut runner = Runner {
        set,
        store,
        matches,
        binder: FieldBinder::new(store, Mapping::embedded()),
        results: HashMap::new(),
    };
    let mut referenced: HashMap<usize, bool> = HashMap::new();
    for correlation in &set.correlations {
        for reference in &correlation.rules {
            if let Some(inner) = set.correlation_index(reference) {
                *referenced.entry(inner).or_insert(false) |= correlation.generate;
            }
        }
    }
    let mut findings = Vec::new();
    for (index, correlation) in set.correlations.iter().enumerate() {
        let found = runner.correlation(index);
        if referenced.get(&index) == Some(&false) || found.is_empty() {
            continue;
        }
        let chains = found
            .iter()
            .map(|(found, inputs)| {
                let mut steps: Vec<ChainStep> = inputs
                    .iter()
                    .flat_map(|o| {
                        o.events.iter().map(|&event| ChainStep {
                            step: o.rule,
                            event,
                        })
                    })
                    .collect();
                steps.sort_by_key(|s| (s.event, s.step));
                steps.dedup_by_key(|s| s.event);
                Chain {
                    join_keys: correlation
                        .group_by
                        .iter()
                        .zip(found.group.iter())
                        .map(|(field, value)| JoinKey {
                            field: field.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                    steps,
                }
            })
            .collect();
        findings.push(Finding {
            analytic: format!("{FINDING_PREFIX}{}", correlation.info.key()),
            chains,
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    fn occurrence(
        time: i64,
        rule: usize,
        event: usize,
        group: &str,
        value: Option<&str>,
    ) -> Occurrence {
        Occurrence {
            time: time * SECOND,
            rule,
            events: vec![event],
            group: vec![group.to_owned()],
            value: value.map(str::to_owned),
        }
    }

    fn spec(
        kind: CorrelationType,
        rule_count: usize,
        timespan: i64,
        condition: &[Threshold],
    ) -> Spec<'_> {
        Spec {
            kind,
            rule_count,
            timespan: timespan * SECOND,
            condition,
        }
    }

    #[test]
    fn event_count_fires_once_per_burst() {
        let condition = [Threshold::Gte(3.0)];
        let occurrences: Vec<Occurrence> = (0..7)
            .map(|i| occurrence(i, 0, i as usize, "h", None))
            .collect();
        let matches = correlate(
            &spec(CorrelationType::EventCount, 1, 60, &condition),
            &occurrences,
        );
        let windows: Vec<Vec<usize>> = matches.into_iter().map(|m| m.occurrences).collect();
        assert_eq!(windows, vec![vec![0, 1, 2], vec![3, 4, 5]]);
    }

    #[test]
    fn window_boundary_is_inclusive() {
        let condition = [Threshold::Gte(2.0)];
        let exact = [
            occurrence(0, 0, 0, "h", None),
            occurrence(10, 0, 1, "h", None),
        ];
        assert_eq!(
            correlate(
                &spec(CorrelationType::EventCount, 1, 10, &condition),
                &exact
            )
            .len(),
            1
        );
        let past = [
            occurrence(0, 0, 0, "h", None),
            occurrence(11, 0, 1, "h", None),
        ];
        assert!(correlate(&spec(CorrelationType::EventCount, 1, 10, &condition), &past).is_empty());
    }

    #[test]
    fn groups_never_mix() {
        let condition = [Threshold::Gte(2.0)];
        let occurrences = [
            occurrence(0, 0, 0, "a", None),
            occurrence(1, 0, 1, "b", None),
        ];
        assert!(
            correlate(
                &spec(CorrelationType::EventCount, 1, 10, &condition),
                &occurrences
            )
            .is_empty()
        );
    }

    #[test]
    fn lt_condition_is_tested_when_the_window_closes() {
        let condition = [Threshold::Lt(3.0)];
        // The window from 0 to 10 contains 4 events (no match), the next from 20 contains 2 (a match).
        let times = [0, 1, 2, 3, 20, 21];
        let occurrences: Vec<Occurrence> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| occurrence(t, 0, i, "h", None))
            .collect();
        let matches = correlate(
            &spec(CorrelationType::EventCount, 1, 10, &condition),
            &occurrences,
        );
        let windows: Vec<Vec<usize>> = matches.into_iter().map(|m| m.occurrences).collect();
        assert_eq!(windows, vec![vec![4, 5]]);
    }

    #[test]
    fn value_count_counts_distinct() {
        let condition = [Threshold::Gte(3.0)];
        let users = ["a", "a", "b", "b", "c"];
        let occurrences: Vec<Occurrence> = users
            .iter()
            .enumerate()
            .map(|(i, u)| occurrence(i as i64, 0, i, "h", Some(u)))
            .collect();
        let matches = correlate(
            &spec(CorrelationType::ValueCount, 1, 60, &condition),
            &occurrences,
        );
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].occurrences, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn value_sum_and_avg() {
        let occurrences: Vec<Occurrence> = ["400", "700", "100"]
            .iter()
            .enumerate()
            .map(|(i, v)| occurrence(i as i64, 0, i, "h", Some(v)))
            .collect();
        let sum = [Threshold::Gt(1000.0)];
        // The sum passes 1000 at the second event, which closes the match.
        let matches = correlate(&spec(CorrelationType::ValueSum, 1, 60, &sum), &occurrences);
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].occurrences, vec![0, 1]);
        // The average is tested over the whole window once it closes: 1200 / 3 = 400.
        let avg = [Threshold::Gt(350.0)];
        assert_eq!(
            correlate(&spec(CorrelationType::ValueAvg, 1, 60, &avg), &occurrences).len(),
            1
        );
        let high_avg = [Threshold::Gt(400.0)];
        assert!(
            correlate(
                &spec(CorrelationType::ValueAvg, 1, 60, &high_avg),
                &occurrences
            )
            .is_empty()
        );
    }

    #[test]
    fn value_percentile_finds_rare_values() {
        let mut names = vec!["svchost.exe"; 99];
        names.push("evil.exe");
        let occurrences: Vec<Occurrence> = names
            .iter()
            .enumerate()
            .map(|(i, v)| occurrence(i as i64, 0, i, "h", Some(v)))
            .collect();
        let rare = [Threshold::Lte(1.0)];
        let matches = correlate(
            &spec(CorrelationType::ValuePercentile, 1, 3600, &rare),
            &occurrences,
        );
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].occurrences, vec![99]);
    }

    #[test]
    fn temporal_needs_every_rule_in_any_order() {
        let occurrences = [
            occurrence(0, 2, 0, "h", None),
            occurrence(1, 0, 1, "h", None),
            occurrence(2, 1, 2, "h", None),
        ];
        let matches = correlate(&spec(CorrelationType::Temporal, 3, 10, &[]), &occurrences);
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].occurrences, vec![0, 1, 2]);
        let missing = &occurrences[..2];
        assert!(correlate(&spec(CorrelationType::Temporal, 3, 10, &[]), missing).is_empty());
        let two = [Threshold::Gte(2.0)];
        assert_eq!(
            correlate(&spec(CorrelationType::Temporal, 3, 10, &two), missing).len(),
            1
        );
    }

    #[test]
    fn temporal_ordered_checks_every_step() {
        let three = |order: [usize; 3]| -> Vec<Occurrence> {
            order
                .iter()
                .enumerate()
                .map(|(i, &rule)| occurrence(i as i64, rule, i, "h", None))
                .collect()
        };
        let ordered = spec(CorrelationType::TemporalOrdered, 3, 10, &[]);
        assert_eq!(correlate(&ordered, &three([0, 1, 2])).len(), 1);
        // The last step in place but the middle two swapped: no match.
        assert!(correlate(&ordered, &three([1, 0, 2])).is_empty());
        assert!(correlate(&ordered, &three([0, 2, 1])).is_empty());
        assert!(correlate(&ordered, &three([2, 1, 0])).is_empty());
        // A later start within the window still completes.
        let late_start = [
            occurrence(0, 1, 0, "h", None),
            occurrence(1, 0, 1, "h", None),
            occurrence(2, 1, 2, "h", None),
            occurrence(3, 2, 3, "h", None),
        ];
        let matches = correlate(&ordered, &late_start);
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].occurrences, vec![1, 2, 3]);
    }

    #[test]
    fn temporal_ordered_respects_timespan() {
        let ordered = spec(CorrelationType::TemporalOrdered, 2, 10, &[]);
        let inside = [
            occurrence(0, 0, 0, "h", None),
            occurrence(10, 1, 1, "h", None),
        ];
        assert_eq!(correlate(&ordered, &inside).len(), 1);
        let outside = [
            occurrence(0, 0, 0, "h", None),
            occurrence(11, 1, 1, "h", None),
        ];
        assert!(correlate(&ordered, &outside).is_empty());
        let other_host = [
            occurrence(0, 0, 0, "a", None),
            occurrence(1, 1, 1, "b", None),
        ];
        assert!(correlate(&ordered, &other_host).is_empty());
    }

    #[test]
    fn one_event_does_not_fill_two_steps() {
        let ordered = spec(CorrelationType::TemporalOrdered, 2, 10, &[]);
        let same_event = [
            occurrence(0, 0, 0, "h", None),
            occurrence(0, 1, 0, "h", None),
        ];
        assert!(correlate(&ordered, &same_event).is_empty());
    }
}
