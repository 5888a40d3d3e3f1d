//! Runs a parsed query over events: compiles it, finds the matches, then applies the pipes.

use std::collections::HashSet;

use super::ast::{EventQuery, Pipe, Query, QueryBody, SequenceStep};
use super::compile::{Compiler, Node};
use super::error::EvalError;
use super::eval::Evaluator;
use super::functions::sort_order;
use super::sequence::{Step, category_matches, key_text, run_sequence};
use super::{Document, Match, Options};

/// A pipe with its expressions compiled.
enum CompiledPipe {
    Head(u64),
    Tail(u64),
    Filter(Node),
    Unique(Vec<Node>),
    Sort(Vec<Node>),
}

/// Runs `query` over `events`, which must be in time order (ties keep their input order).
///
/// # Errors
///
/// Returns an [`EvalError`] before reading any event when the query calls an unknown function,
/// passes a wrong number of arguments, holds an invalid regular expression, or uses a feature
/// this evaluator does not run yet (`join`, `child of`, `count`, `unique_count`).
pub fn execute<D: Document>(
    query: &Query,
    events: &[D],
    options: &Options,
) -> Result<Vec<Match>, EvalError> {
    let pipes = compile_pipes(&query.pipes)?;
    let matches = match &query.body {
        QueryBody::Event(event_query) => {
            let step = compile_step(event_query, &[], &[])?;
            run_event_query(&step, events, options)
        }
        QueryBody::Sequence(sequence) => {
            let mut steps = Vec::with_capacity(sequence.steps.len());
            for step in &sequence.steps {
                steps.push(compile_sequence_step(step, &sequence.by)?);
            }
            let until = match &sequence.until {
                Some(until) => Some(compile_sequence_step(until, &sequence.by)?),
                None => None,
            };
            run_sequence(&steps, until.as_ref(), sequence.maxspan, events, options)
        }
        QueryBody::Join(_) => {
            return Err(EvalError::Unsupported(
                "'join' queries are not implemented; use 'sequence' where order is known"
                    .to_string(),
            ));
        }
    };
    Ok(apply_pipes(&pipes, matches, events, options))
}

fn compile_sequence_step(step: &SequenceStep, shared: &[super::Expr]) -> Result<Step, EvalError> {
    compile_step(&step.query, shared, &step.by)
}

fn compile_step(
    query: &EventQuery,
    shared: &[super::Expr],
    own: &[super::Expr],
) -> Result<Step, EvalError> {
    let mut compiler = Compiler::default();
    let condition = compiler.compile(&query.condition)?;
    let keys = shared
        .iter()
        .chain(own)
        .map(|key| compiler.compile(key))
        .collect::<Result<_, _>>()?;
    Ok(Step {
        category: query.category.clone(),
        condition,
        keys,
    })
}

fn run_event_query<D: Document>(step: &Step, events: &[D], options: &Options) -> Vec<Match> {
    let mut matches = Vec::new();
    for (index, event) in events.iter().enumerate() {
        if !category_matches(event, &step.category, options) {
            continue;
        }
        let docs = [event];
        if Evaluator::new(&docs, options).test(&step.condition) {
            matches.push(Match {
                events: vec![index],
                join_keys: Vec::new(),
            });
        }
    }
    matches
}

fn compile_pipes(pipes: &[Pipe]) -> Result<Vec<CompiledPipe>, EvalError> {
    let mut compiler = Compiler::default();
    compiler.allow_event_index = true;
    let mut compiled = Vec::with_capacity(pipes.len());
    for pipe in pipes {
        compiled.push(match pipe {
            Pipe::Head(count) => CompiledPipe::Head(*count),
            Pipe::Tail(count) => CompiledPipe::Tail(*count),
            Pipe::Filter(condition) => CompiledPipe::Filter(compiler.compile(condition)?),
            Pipe::Unique(keys) => CompiledPipe::Unique(compile_all(&mut compiler, keys)?),
            Pipe::Sort(keys) => CompiledPipe::Sort(compile_all(&mut compiler, keys)?),
            Pipe::Count(_) | Pipe::UniqueCount(_) => {
                return Err(EvalError::Unsupported(
                    "the 'count' and 'unique_count' pipes are not implemented".to_string(),
                ));
            }
        });
    }
    Ok(compiled)
}

fn compile_all(compiler: &mut Compiler, exprs: &[super::Expr]) -> Result<Vec<Node>, EvalError> {
    exprs.iter().map(|expr| compiler.compile(expr)).collect()
}

fn apply_pipes<D: Document>(
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
                .filter(|found| {
                    let docs = match_docs(found, events);
                    Evaluator::new(&docs, options).test(condition)
                })
                .collect(),
            CompiledPipe::Unique(keys) => {
                let mut seen = HashSet::new();
                matches
                    .into_iter()
                    .filter(|found| {
                        let docs = match_docs(found, events);
                        let mut evaluator = Evaluator::new(&docs, options);
                        let values: Vec<_> = keys.iter().map(|key| evaluator.eval(key)).collect();
                        seen.insert(key_text(&values, insensitive))
                    })
                    .collect()
            }
            CompiledPipe::Sort(keys) => sort_matches(keys, matches, events, options),
        };
    }
    matches
}

fn match_docs<'a, D>(found: &Match, events: &'a [D]) -> Vec<&'a D> {
    found
        .events
        .iter()
        .filter_map(|&index| events.get(index))
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
        .map(|found| {
            let docs = match_docs(&found, events);
            let mut evaluator = Evaluator::new(&docs, options);
            let values: Vec<_> = keys
                .iter()
                .map(|key| evaluator.eval(key).into_owned())
                .collect();
            (values, found)
        })
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
