//! Runs `sequence` queries as a state machine over events in the order given.
//!
//! The rules follow the reference implementation:
//! - A partial match that has satisfied N steps waits in state N, at most one per join key;
//!   a newer partial reaching the same state with the same key replaces the older one.
//! - Each event is checked against the steps from the last to the first, so an event can
//!   complete one partial, advance another and start a third, but never advance a partial
//!   it just created or moved.
//! - An event that matches the `until` step first drops every pending partial of its key.
//! - `maxspan` is measured from the first event of a partial to the event that would extend it.
//! - A completed match leaves the machine; other partials of the same key stay pending.
//! - Join keys compare strings ignoring letter case, and numbers by value (`1 == 1.0`), whatever
//!   the options say, because keys join events from different sources whose writers disagree
//!   on case. A null key value joins with null, as in the reference implementation.

use std::collections::HashMap;

use super::compile::Node;
use super::eval::Evaluator;
use super::lineage::{Tracker, observe_all};
use super::{Document, Match, Options, Value};

/// How many events pass between sweeps that drop partials older than `maxspan`. Sweeping on
/// every event would cost time proportional to the pending partials each time.
const SWEEP_INTERVAL: usize = 1024;

/// A compiled sequence step.
pub(crate) struct Step {
    pub category: String,
    pub condition: Node,
    /// Shared keys first, then the step's own.
    pub keys: Vec<Node>,
    /// Extending a partial leaves a copy pending for this step (`fork=true`).
    pub fork: bool,
}

#[derive(Clone)]
struct Partial {
    events: Vec<usize>,
    start: i64,
    keys: Vec<Value<'static>>,
}

/// Runs a compiled sequence over `events` and returns its matches in completion order.
pub(crate) fn run_sequence<D: Document>(
    steps: &[Step],
    until: Option<&Step>,
    maxspan: Option<i64>,
    trackers: &mut [Tracker],
    events: &[D],
    options: &Options,
) -> Vec<Match> {
    // pending[n] holds the partials that have satisfied n + 1 steps.
    let mut pending: Vec<HashMap<String, Partial>> = (0..steps.len().saturating_sub(1))
        .map(|_| HashMap::new())
        .collect();
    let mut matches = Vec::new();
    for (index, event) in events.iter().enumerate() {
        observe_all(trackers, event, options);
        // Every step tests the same category field, so it is read once per event.
        let category = event.field(&options.category_field);
        let now = event.timestamp();
        if let Some(maxspan) = maxspan {
            if index % SWEEP_INTERVAL == 0 {
                for state in &mut pending {
                    state.retain(|_, partial| now.saturating_sub(partial.start) <= maxspan);
                }
            }
        }
        if let Some(until) = until {
            if let Some((key, _)) = step_key(until, event, category.as_ref(), trackers, options) {
                for state in &mut pending {
                    state.remove(&key);
                }
            }
        }
        for (position, step) in steps.iter().enumerate().rev() {
            let Some((key, values)) = step_key(step, event, category.as_ref(), trackers, options)
            else {
                continue;
            };
            if position == 0 {
                let partial = Partial {
                    events: vec![index],
                    start: now,
                    keys: values,
                };
                if let Some(state) = pending.first_mut() {
                    state.insert(key, partial);
                }
                continue;
            }
            let waiting = pending.get_mut(position - 1);
            let partial = if step.fork {
                waiting.and_then(|state| state.get(&key).cloned())
            } else {
                waiting.and_then(|state| state.remove(&key))
            };
            let Some(mut partial) = partial else {
                continue;
            };
            if maxspan.is_some_and(|maxspan| now.saturating_sub(partial.start) > maxspan) {
                continue;
            }
            partial.events.push(index);
            if position + 1 == steps.len() {
                matches.push(Match::new(partial.events, partial.keys));
            } else if let Some(state) = pending.get_mut(position) {
                state.insert(key, partial);
            }
        }
    }
    matches
}

/// Runs a compiled `join`: like a sequence, but its steps may match in any order.
///
/// For each join key the first event to match each step is kept. When every step has an
/// event, the match is output in step order and that key starts over; an `until` match drops
/// the key's kept events. This mirrors the reference implementation's results on its
/// conformance suite.
pub(crate) fn run_join<D: Document>(
    steps: &[Step],
    until: Option<&Step>,
    trackers: &mut [Tracker],
    events: &[D],
    options: &Options,
) -> Vec<Match> {
    let mut pending: HashMap<String, (Vec<Option<usize>>, Vec<Value<'static>>)> = HashMap::new();
    let mut matches = Vec::new();
    for (index, event) in events.iter().enumerate() {
        observe_all(trackers, event, options);
        let category = event.field(&options.category_field);
        if let Some((key, _)) =
            until.and_then(|until| step_key(until, event, category.as_ref(), trackers, options))
        {
            pending.remove(&key);
        }
        for (position, step) in steps.iter().enumerate() {
            let Some((key, values)) = step_key(step, event, category.as_ref(), trackers, options)
            else {
                continue;
            };
            let (slots, _) = pending
                .entry(key.clone())
                .or_insert_with(|| (vec![None; steps.len()], values));
            if let Some(slot @ None) = slots.get_mut(position) {
                *slot = Some(index);
            }
            if slots.iter().all(Option::is_some) {
                if let Some((slots, keys)) = pending.remove(&key) {
                    matches.push(Match::new(slots.into_iter().flatten().collect(), keys));
                }
            }
        }
    }
    matches
}

/// Tests `event`, whose category field value is `category`, against `step`, returning its
/// join key (as lookup text and as values) when it matches.
fn step_key<D: Document>(
    step: &Step,
    event: &D,
    category: Option<&Value>,
    trackers: &[Tracker],
    options: &Options,
) -> Option<(String, Vec<Value<'static>>)> {
    if !in_category(category, &step.category) {
        return None;
    }
    let docs = [event];
    let mut evaluator = Evaluator::new(&docs, options).with_lineage(trackers);
    if !evaluator.test(&step.condition) {
        return None;
    }
    let values: Vec<Value<'static>> = step
        .keys
        .iter()
        .map(|key| evaluator.eval(key).into_owned())
        .collect();
    Some((key_text(&values, true), values))
}

/// Tests whether `event` belongs to `category`; `any` matches every event.
pub(crate) fn category_matches<D: Document>(event: &D, category: &str, options: &Options) -> bool {
    if category.eq_ignore_ascii_case("any") {
        return true;
    }
    in_category(event.field(&options.category_field).as_ref(), category)
}

/// Tests a category field value, read once per event, against a step's category.
pub(crate) fn in_category(value: Option<&Value>, category: &str) -> bool {
    if category.eq_ignore_ascii_case("any") {
        return true;
    }
    let is_category =
        |value: &Value| matches!(value, Value::Str(text) if text.eq_ignore_ascii_case(category));
    match value {
        Some(Value::List(items)) => items.iter().any(is_category),
        Some(value) => is_category(value),
        None => false,
    }
}

/// Renders values as text that is equal for values EQL considers equal, for hashing.
pub(crate) fn key_text(values: &[Value], insensitive: bool) -> String {
    let mut text = String::new();
    for value in values {
        push_key(&mut text, value, insensitive);
        text.push('\u{1f}');
    }
    text
}

fn push_key(text: &mut String, value: &Value, insensitive: bool) {
    match value {
        Value::Null => text.push('N'),
        Value::Bool(value) => text.push_str(if *value { "T" } else { "F" }),
        Value::Int(value) => text.push_str(&format!("#{value}")),
        // Whole floats render like ints so that `1` and `1.0` share a key.
        Value::Float(value) if value.fract() == 0.0 && value.abs() < 9.0e15 => {
            text.push_str(&format!("#{value:.0}"));
        }
        Value::Float(value) => text.push_str(&format!("#{value:?}")),
        Value::Str(value) if insensitive => {
            text.push('"');
            text.push_str(&value.to_lowercase());
        }
        Value::Str(value) => {
            text.push('"');
            text.push_str(value);
        }
        Value::List(items) => {
            text.push('[');
            for item in items {
                push_key(text, item, insensitive);
                text.push('\u{1e}');
            }
            text.push(']');
        }
        Value::Object(entries) => {
            text.push('{');
            for (key, item) in entries {
                text.push_str(key);
                text.push('\u{1d}');
                push_key(text, item, insensitive);
                text.push('\u{1e}');
            }
            text.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn key_text_folds_case_and_number_type() {
        let upper = [Value::Str(Cow::Borrowed("HOST")), Value::Int(1)];
        let lower = [Value::Str(Cow::Borrowed("host")), Value::Float(1.0)];
        assert_eq!(key_text(&upper, true), key_text(&lower, true));
        assert_ne!(key_text(&upper, false), key_text(&lower, false));
    }

    #[test]
    fn key_text_separates_values() {
        let joined = [Value::Str(Cow::Borrowed("ab"))];
        let split = [
            Value::Str(Cow::Borrowed("a")),
            Value::Str(Cow::Borrowed("b")),
        ];
        assert_ne!(key_text(&joined, true), key_text(&split, true));
    }
}
