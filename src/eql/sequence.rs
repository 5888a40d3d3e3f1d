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

use super::category::{Categories, CategoryTest};
use super::compile::Node;
use super::error::EvalError;
use super::eval::Evaluator;
use super::keys::{Entry, KeyTable};
use super::lineage::{LineageView, Observation, ProcessFields, Tracker, observe_all};
use super::{Document, Match, Options, Value};

/// How many events pass between sweeps that drop partials older than `maxspan`. Sweeping on
/// every event would cost time proportional to the pending partials each time.
const SWEEP_INTERVAL: usize = 1024;

/// A compiled sequence step.
pub(crate) struct Step {
    pub category: CategoryTest,
    pub condition: Node,
    /// Shared keys first, then the step's own.
    pub keys: Vec<Node>,
    /// Extending a partial leaves a copy pending for this step (`fork=true`).
    pub fork: bool,
}

impl Step {
    /// Resolves the fields the step reads against `event`.
    pub fn resolve<D: Document>(&mut self, event: &D) {
        self.condition.resolve(event);
        self.keys.iter_mut().for_each(|key| key.resolve(event));
    }
}

/// The data the steps of a query read besides the event: its categories, the lineage fields
/// and the options.
pub(crate) struct Context<'q> {
    pub categories: &'q Categories,
    pub fields: &'q ProcessFields,
    pub options: &'q Options,
}

impl<'q> Context<'q> {
    /// Returns the observation of an event whose category mask is `mask`.
    pub fn observation(&self, mask: u64) -> Observation<'q> {
        Observation {
            fields: self.fields,
            categories: self.categories,
            mask,
            options: self.options,
        }
    }
}

#[derive(Clone)]
struct Partial {
    events: Vec<usize>,
    start: i64,
}

/// Runs a compiled sequence over `events` and returns its matches in completion order.
///
/// # Errors
///
/// Returns [`EvalError::StateLimit`] when more partials than `context.options.max_partials`
/// would be pending at once.
pub(crate) fn run_sequence<D: Document>(
    steps: &[Step],
    until: Option<&Step>,
    maxspan: Option<i64>,
    trackers: &mut [Tracker],
    context: &Context<'_>,
    events: &[D],
) -> Result<Vec<Match>, EvalError> {
    let hashing: KeyTable<()> = KeyTable::new(true);
    // pending[n] contains the partials that have satisfied n + 1 steps. Partials move between
    // the tables with their hashes, so all tables hash alike.
    let mut pending: Vec<KeyTable<Partial>> = (0..steps.len().saturating_sub(1))
        .map(|_| hashing.new_like())
        .collect();
    let mut matches = Vec::new();
    // The join key values of the current event and step, reused to avoid allocating.
    let mut keys: Vec<Value<'_>> = Vec::new();
    for (index, event, mask) in context.categories.masked(events) {
        observe_all(trackers, events, index, context.observation(mask));
        let lineage = LineageView {
            fields: context.fields,
            trackers,
        };
        // Reading the time can touch the stored event, so it is read only when needed.
        let now = || event.timestamp();
        if let Some(maxspan) = maxspan
            && index % SWEEP_INTERVAL == 0
        {
            let now = now();
            for state in &mut pending {
                state.retain(|partial| now.saturating_sub(partial.start) <= maxspan);
            }
        }
        if let Some(until) = until {
            let any_pending = pending.iter().any(|state| !state.is_empty());
            if any_pending && step_keys(until, event, mask, lineage, context, &mut keys) {
                let hash = hashing.hash(&keys);
                for state in &mut pending {
                    state.remove(hash, &keys);
                }
            }
        }
        for (position, step) in steps.iter().enumerate().rev() {
            // A later step with nothing waiting for it cannot extend anything, so its
            // condition, which has no side effects, need not run.
            if position > 0 && pending.get(position - 1).is_none_or(KeyTable::is_empty) {
                continue;
            }
            if !step_keys(step, event, mask, lineage, context, &mut keys) {
                continue;
            }
            let hash = hashing.hash(&keys);
            if position == 0 {
                if let Some(state) = pending.first_mut() {
                    start_partial(state, hash, &keys, index, now(), steps.len());
                }
                // Only a new partial grows the state, because extending one moves it.
                let pending_count: usize = pending.iter().map(KeyTable::len).sum();
                check_partials(pending_count, index, context.options)?;
                continue;
            }
            let Some(waiting) = pending.get_mut(position - 1) else {
                continue;
            };
            let entry = if step.fork {
                waiting.get(hash, &keys).cloned()
            } else {
                waiting.remove(hash, &keys)
            };
            let Some(mut entry) = entry else {
                continue;
            };
            if maxspan.is_some_and(|maxspan| now().saturating_sub(entry.value.start) > maxspan) {
                continue;
            }
            entry.value.events.push(index);
            if position + 1 == steps.len() {
                matches.push(Match::new(entry.value.events, entry.key.into_vec()));
            } else if let Some(state) = pending.get_mut(position) {
                state.insert(entry);
            }
        }
    }
    Ok(matches)
}

/// Returns an error when `pending_count` partials exceed the options' limit, naming how many
/// events were read (`index` + 1).
fn check_partials(pending_count: usize, index: usize, options: &Options) -> Result<(), EvalError> {
    if pending_count > options.max_partials {
        return Err(EvalError::StateLimit {
            limit: options.max_partials,
            events_read: index.saturating_add(1),
        });
    }
    Ok(())
}

/// Starts a partial at event `index`, replacing a pending one with the same key. The
/// replaced partial's storage is reused, keeping its key values unless they differ from the
/// new event's, whose values a result reports.
fn start_partial(
    state: &mut KeyTable<Partial>,
    hash: u64,
    keys: &[Value],
    index: usize,
    now: i64,
    steps: usize,
) {
    if let Some(entry) = state.get_mut(hash, keys) {
        entry.value.events.clear();
        entry.value.events.push(index);
        entry.value.start = now;
        if !super::keys::keys_equal(&entry.key, keys, false) {
            entry.key = keys
                .iter()
                .map(|value| value.clone().into_owned())
                .collect();
        }
        return;
    }
    let mut events = Vec::with_capacity(steps);
    events.push(index);
    state.insert(KeyTable::new_entry(
        hash,
        keys,
        Partial { events, start: now },
    ));
}

/// Runs a compiled `join`: like a sequence, but its steps may match in any order.
///
/// For each join key the first event to match each step is kept. When every step has an
/// event, the match is output in step order and that key starts over; an `until` match drops
/// the key's kept events. This mirrors the reference implementation's results on its
/// conformance suite.
///
/// # Errors
///
/// Returns [`EvalError::StateLimit`] when more keys than `context.options.max_partials` would
/// hold kept events at once.
pub(crate) fn run_join<D: Document>(
    steps: &[Step],
    until: Option<&Step>,
    trackers: &mut [Tracker],
    context: &Context<'_>,
    events: &[D],
) -> Result<Vec<Match>, EvalError> {
    let mut pending: KeyTable<Vec<Option<usize>>> = KeyTable::new(true);
    let mut matches = Vec::new();
    let mut keys: Vec<Value<'_>> = Vec::new();
    for (index, event, mask) in context.categories.masked(events) {
        observe_all(trackers, events, index, context.observation(mask));
        let lineage = LineageView {
            fields: context.fields,
            trackers,
        };
        if let Some(until) = until
            && !pending.is_empty()
            && step_keys(until, event, mask, lineage, context, &mut keys)
        {
            let hash = pending.hash(&keys);
            pending.remove(hash, &keys);
        }
        for (position, step) in steps.iter().enumerate() {
            if !step_keys(step, event, mask, lineage, context, &mut keys) {
                continue;
            }
            let hash = pending.hash(&keys);
            if pending.get(hash, &keys).is_none() {
                pending.insert(KeyTable::new_entry(hash, &keys, vec![None; steps.len()]));
                check_partials(pending.len(), index, context.options)?;
            }
            let Some(entry) = pending.get_mut(hash, &keys) else {
                continue;
            };
            if let Some(slot @ None) = entry.value.get_mut(position) {
                *slot = Some(index);
            }
            if entry.value.iter().all(Option::is_some)
                && let Some(Entry { key, value, .. }) = pending.remove(hash, &keys)
            {
                matches.push(Match::new(
                    value.into_iter().flatten().collect(),
                    key.into_vec(),
                ));
            }
        }
    }
    Ok(matches)
}

/// Tests `event`, whose category mask is `mask`, against `step`. When it matches, puts the
/// step's join key values in `keys` and returns true.
fn step_keys<'x, D: Document>(
    step: &'x Step,
    event: &'x D,
    mask: u64,
    lineage: LineageView<'_>,
    context: &Context<'x>,
    keys: &mut Vec<Value<'x>>,
) -> bool {
    if !step.category.matches(mask, event, context.categories) {
        return false;
    }
    let mut evaluator =
        Evaluator::new(std::slice::from_ref(event), context.options).with_lineage(lineage);
    if !evaluator.test(&step.condition) {
        return false;
    }
    keys.clear();
    keys.extend(step.keys.iter().map(|key| evaluator.eval(key)));
    true
}
