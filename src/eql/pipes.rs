//! Runs the pipes after a query's body: `head`, `tail`, `filter`, `unique`, `unique_count`,
//! `count` and `sort`, in the order written.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::ast::Pipe;
use super::compile::{Compiler, Node};
use super::error::EvalError;
use super::eval::Evaluator;
use super::functions::sort_order;
use super::keys::KeyTable;
use super::{Aggregate, Document, FieldKey, Match, Options, Value};

/// A pipe with its expressions compiled.
pub(crate) enum CompiledPipe {
    Head(u64),
    Tail(u64),
    Filter(Node),
    Unique(Vec<Node>),
    UniqueCount(Vec<Node>),
    Count(Vec<Node>),
    Sort(Vec<Node>),
}

/// Compiles the pipes. In them `events[N]` refers to a result's Nth event, and lineage
/// expressions are rejected.
pub(crate) fn compile_pipes(pipes: &[Pipe]) -> Result<Vec<CompiledPipe>, EvalError> {
    let mut compiler = Compiler::default();
    compiler.allow_event_index = true;
    compiler.reject_lineage = true;
    let mut compiled = Vec::with_capacity(pipes.len());
    for pipe in pipes {
        compiled.push(match pipe {
            Pipe::Head(count) => CompiledPipe::Head(*count),
            Pipe::Tail(count) => CompiledPipe::Tail(*count),
            Pipe::Filter(condition) => CompiledPipe::Filter(compiler.compile(condition)?),
            Pipe::Unique(keys) => CompiledPipe::Unique(compile_all(&mut compiler, keys)?),
            Pipe::UniqueCount(keys) => CompiledPipe::UniqueCount(compile_all(&mut compiler, keys)?),
            Pipe::Count(keys) => CompiledPipe::Count(compile_all(&mut compiler, keys)?),
            Pipe::Sort(keys) => CompiledPipe::Sort(compile_all(&mut compiler, keys)?),
        });
    }
    Ok(compiled)
}

/// Resolves the fields the pipes read against `event`, one of the events the results index.
pub(crate) fn resolve_pipes<D: Document>(pipes: &mut [CompiledPipe], event: &D) {
    for pipe in pipes {
        match pipe {
            CompiledPipe::Head(_) | CompiledPipe::Tail(_) => {}
            CompiledPipe::Filter(condition) => condition.resolve(event),
            CompiledPipe::Unique(keys)
            | CompiledPipe::UniqueCount(keys)
            | CompiledPipe::Count(keys)
            | CompiledPipe::Sort(keys) => keys.iter_mut().for_each(|key| key.resolve(event)),
        }
    }
}

fn compile_all(compiler: &mut Compiler, exprs: &[super::Expr]) -> Result<Vec<Node>, EvalError> {
    exprs.iter().map(|expr| compiler.compile(expr)).collect()
}

/// One event of a result as pipes see it: the event's fields, with the result's counts in
/// front of them on the first event, or the counts alone for a `count` result.
struct PipeDocument<'a, D> {
    event: Option<&'a D>,
    aggregate: Option<&'a Aggregate>,
}

impl<D> PipeDocument<'_, D> {
    /// Reads a field the counts provide, if the result has counts and `dotted` names one.
    fn aggregate_field(&self, dotted: &str) -> Option<Value<'_>> {
        let aggregate = self.aggregate?;
        match dotted {
            "count" => Some(Value::Int(saturating_int(aggregate.count))),
            "percent" => aggregate.percent.map(Value::Float),
            "key" => aggregate.key.clone(),
            "hosts" if !aggregate.hosts.is_empty() => {
                let hosts = aggregate.hosts.iter();
                Some(Value::List(
                    hosts.map(|host| Value::Str(Cow::Borrowed(host))).collect(),
                ))
            }
            "total_hosts" if !aggregate.hosts.is_empty() => {
                Some(Value::Int(saturating_int(aggregate.hosts.len() as u64)))
            }
            _ => None,
        }
    }
}

/// Reads fields of the result's events by the keys resolved against those events, with the
/// counts' fields in front.
impl<D: Document> Document for PipeDocument<'_, D> {
    fn field(&self, dotted: &str) -> Option<Value<'_>> {
        if let Some(value) = self.aggregate_field(dotted) {
            return Some(value);
        }
        self.event.and_then(|event| event.field(dotted))
    }

    fn field_by_key(&self, key: FieldKey, dotted: &str) -> Option<Value<'_>> {
        if let Some(value) = self.aggregate_field(dotted) {
            return Some(value);
        }
        self.event.and_then(|event| event.field_by_key(key, dotted))
    }

    fn timestamp(&self) -> i64 {
        self.event.map_or(0, Document::timestamp)
    }
}

fn saturating_int(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn pipe_documents<'a, D>(found: &'a Match, events: &'a [D]) -> Vec<PipeDocument<'a, D>> {
    let aggregate = found.aggregate.as_ref();
    if found.events.is_empty() {
        return vec![PipeDocument {
            event: None,
            aggregate,
        }];
    }
    found
        .events
        .iter()
        .enumerate()
        .filter_map(|(position, &index)| {
            events.get(index).map(|event| PipeDocument {
                event: Some(event),
                aggregate: aggregate.filter(|_| position == 0),
            })
        })
        .collect()
}

/// Evaluates `nodes` against one result and returns owned values.
fn eval_keys<D: Document>(
    nodes: &[Node],
    found: &Match,
    events: &[D],
    options: &Options,
) -> Vec<Value<'static>> {
    let docs = pipe_documents(found, events);
    let mut evaluator = Evaluator::new(&docs, options);
    nodes
        .iter()
        .map(|node| evaluator.eval(node).into_owned())
        .collect()
}

fn test_filter<D: Document>(
    condition: &Node,
    found: &Match,
    events: &[D],
    options: &Options,
) -> bool {
    with_documents(found, events, |docs| {
        Evaluator::new(docs, options).test(condition)
    })
}

/// Calls `f` with the pipe documents of one result, without allocating for a result of one
/// event.
fn with_documents<D, R>(
    found: &Match,
    events: &[D],
    f: impl FnOnce(&[PipeDocument<'_, D>]) -> R,
) -> R {
    if let [index] = found.events[..]
        && let Some(event) = events.get(index)
    {
        let docs = [PipeDocument {
            event: Some(event),
            aggregate: found.aggregate.as_ref(),
        }];
        return f(&docs);
    }
    f(&pipe_documents(found, events))
}

/// Reads the host field of a result's first event as text.
fn host_of<D: Document>(found: &Match, events: &[D], options: &Options) -> Option<String> {
    let event = found.events.first().and_then(|&index| events.get(index))?;
    match event.field(&options.host_field)? {
        Value::Str(text) => Some(text.into_owned()),
        Value::Null => None,
        Value::Int(number) => Some(number.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Runs the pipes over the results in order.
pub(crate) fn apply_pipes<D: Document>(
    pipes: &[CompiledPipe],
    mut matches: Vec<Match>,
    events: &[D],
    options: &Options,
) -> Vec<Match> {
    let insensitive = !options.case_sensitive_equals;
    for pipe in pipes {
        matches = match pipe {
            CompiledPipe::Head(count) => {
                matches.truncate(usize::try_from(*count).unwrap_or(usize::MAX));
                matches
            }
            CompiledPipe::Tail(count) => {
                let keep = usize::try_from(*count).unwrap_or(usize::MAX);
                let skip = matches.len().saturating_sub(keep);
                matches.split_off(skip)
            }
            CompiledPipe::Filter(condition) => matches
                .into_iter()
                .filter(|found| test_filter(condition, found, events, options))
                .collect(),
            CompiledPipe::Unique(keys) => {
                let mut seen = KeyTable::new(insensitive);
                matches
                    .into_iter()
                    .filter(|found| {
                        with_documents(found, events, |docs| {
                            let mut evaluator = Evaluator::new(docs, options);
                            let values: Vec<Value<'_>> =
                                keys.iter().map(|key| evaluator.eval(key)).collect();
                            let hash = seen.hash(&values);
                            let new = seen.get(hash, &values).is_none();
                            if new {
                                seen.insert(KeyTable::new_entry(hash, &values, ()));
                            }
                            new
                        })
                    })
                    .collect()
            }
            CompiledPipe::UniqueCount(keys) => unique_count(keys, matches, events, options),
            CompiledPipe::Count(keys) if keys.is_empty() => count_total(&matches, events, options),
            CompiledPipe::Count(keys) => count_by_key(keys, &matches, events, options),
            CompiledPipe::Sort(keys) => sort_matches(keys, matches, events, options),
        };
    }
    matches
}

/// Collects the hosts of a result: those its counts collected, else its first event's host.
fn hosts_of<D: Document>(found: &Match, events: &[D], options: &Options) -> BTreeSet<String> {
    match &found.aggregate {
        Some(aggregate) if !aggregate.hosts.is_empty() => aggregate.hosts.iter().cloned().collect(),
        _ => host_of(found, events, options).into_iter().collect(),
    }
}

/// Keeps the first result of each key and counts the results (or, after an earlier count,
/// the counts) that share it.
fn unique_count<D: Document>(
    keys: &[Node],
    matches: Vec<Match>,
    events: &[D],
    options: &Options,
) -> Vec<Match> {
    let insensitive = !options.case_sensitive_equals;
    let mut kept: Vec<(Match, u64, BTreeSet<String>)> = Vec::new();
    let mut positions: KeyTable<usize> = KeyTable::new(insensitive);
    for found in matches {
        let values = eval_keys(keys, &found, events, options);
        let count = found
            .aggregate
            .as_ref()
            .map_or(1, |aggregate| aggregate.count);
        let hosts = hosts_of(&found, events, options);
        let hash = positions.hash(&values);
        match positions
            .get(hash, &values)
            .and_then(|entry| kept.get_mut(entry.value))
        {
            Some((_, total, seen)) => {
                *total = total.saturating_add(count);
                seen.extend(hosts);
            }
            None => {
                positions.insert(KeyTable::new_entry(hash, &values, kept.len()));
                kept.push((found, count, hosts));
            }
        }
    }
    let total: u64 = kept.iter().map(|(_, count, _)| *count).sum();
    kept.into_iter()
        .map(|(mut found, count, hosts)| {
            found.aggregate = Some(Aggregate {
                key: None,
                count,
                percent: Some(count as f64 / total.max(1) as f64),
                hosts: hosts.into_iter().collect(),
            });
            found
        })
        .collect()
}

/// Replaces the results by one result counting them all.
fn count_total<D: Document>(matches: &[Match], events: &[D], options: &Options) -> Vec<Match> {
    let mut hosts = BTreeSet::new();
    for found in matches {
        if let Some(host) = host_of(found, events, options) {
            hosts.insert(host);
        }
    }
    vec![Match {
        events: Vec::new(),
        join_keys: Vec::new(),
        aggregate: Some(Aggregate {
            key: Some(Value::Str(Cow::Borrowed("totals"))),
            count: matches.len() as u64,
            percent: None,
            hosts: hosts.into_iter().collect(),
        }),
    }]
}

/// Replaces the results by one result per distinct key, ordered by count and then key. Keys
/// compare ignoring case, as in the reference, and keep the case first seen.
fn count_by_key<D: Document>(
    keys: &[Node],
    matches: &[Match],
    events: &[D],
    options: &Options,
) -> Vec<Match> {
    let mut table: Vec<(Value<'static>, u64, BTreeSet<String>)> = Vec::new();
    let mut positions: KeyTable<usize> = KeyTable::new(true);
    for found in matches {
        let mut values = eval_keys(keys, found, events, options);
        let hash = positions.hash(&values);
        let position = match positions.get(hash, &values) {
            Some(entry) => entry.value,
            None => {
                positions.insert(KeyTable::new_entry(hash, &values, table.len()));
                let key = if values.len() == 1 {
                    values.pop().unwrap_or(Value::Null)
                } else {
                    Value::List(values)
                };
                table.push((key, 0, BTreeSet::new()));
                table.len() - 1
            }
        };
        if let Some((_, count, hosts)) = table.get_mut(position) {
            *count += 1;
            hosts.extend(host_of(found, events, options));
        }
    }
    let insensitive = !options.case_sensitive_equals;
    table.sort_by(|(left_key, left_count, _), (right_key, right_count, _)| {
        left_count
            .cmp(right_count)
            .then_with(|| sort_order(left_key, right_key, insensitive))
    });
    let total = matches.len().max(1) as f64;
    table
        .into_iter()
        .map(|(key, count, hosts)| Match {
            events: Vec::new(),
            join_keys: Vec::new(),
            aggregate: Some(Aggregate {
                key: Some(key),
                count,
                percent: Some(count as f64 / total),
                hosts: hosts.into_iter().collect(),
            }),
        })
        .collect()
}

/// Sorts stably by the keys, read from each result's first event; nulls sort first.
fn sort_matches<D: Document>(
    keys: &[Node],
    matches: Vec<Match>,
    events: &[D],
    options: &Options,
) -> Vec<Match> {
    let insensitive = !options.case_sensitive_equals;
    let mut keyed: Vec<_> = matches
        .into_iter()
        .map(|found| (eval_keys(keys, &found, events, options), found))
        .collect();
    keyed.sort_by(|(left, _), (right, _)| {
        left.iter()
            .zip(right)
            .map(|(a, b)| sort_order(a, b, insensitive))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    keyed.into_iter().map(|(_, found)| found).collect()
}
