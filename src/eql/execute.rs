//! Runs a parsed query over events: compiles it, finds the matches, then applies the pipes.

use std::collections::HashSet;

use super::ast::{EventQuery, Pipe, Query, QueryBody, SequenceStep};
use super::compile::{Compiler, Node};
use super::error::EvalError;
use super::eval::Evaluator;
use super::functions::sort_order;
use super::sequence::{Step, category_matches, key_text, run_join, run_sequence};
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
/// passes a wrong number of arguments, contains an invalid regular expression, or uses a feature
/// this evaluator does not run yet (`child of`, `count`, `unique_count`).
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
        QueryBody::Join(join) => {
            let mut steps = Vec::with_capacity(join.steps.len());
            for step in &join.steps {
                steps.push(compile_sequence_step(step, &join.by)?);
            }
            let until = match &join.until {
                Some(until) => Some(compile_sequence_step(until, &join.by)?),
                None => None,
            };
            run_join(&steps, until.as_ref(), events, options)
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

#[cfg(test)]
mod tests {
    use serde_json::{Value as Json, json};

    use super::*;
    use crate::eql::{Value, parse};

    /// Builds events `{"event.category": category, "id": id, "timestamp": seconds}` plus extras.
    fn event(category: &str, id: i64, seconds: i64, extra: Json) -> Json {
        let mut event = json!({
            "event": {"category": category},
            "id": id,
            "timestamp": seconds * 1_000_000_000,
        });
        if let (Some(target), Some(source)) = (event.as_object_mut(), extra.as_object()) {
            target.extend(source.clone());
        }
        event
    }

    fn ids(source: &str, events: &[Json], options: &Options) -> Vec<i64> {
        let query = parse(source).unwrap();
        execute(&query, events, options)
            .unwrap()
            .iter()
            .flat_map(|found| found.events.clone())
            .map(|index| events[index]["id"].as_i64().unwrap())
            .collect()
    }

    fn processes(count: i64) -> Vec<Json> {
        (1..=count)
            .map(|id| event("process", id, id, json!({})))
            .collect()
    }

    #[test]
    fn category_matches_value_or_list() {
        let events = vec![
            event("Process", 1, 1, json!({})),
            event("file", 2, 2, json!({})),
            json!({"event": {"category": ["network", "process"]}, "id": 3}),
        ];
        let options = Options::default();
        assert_eq!(ids("process where true", &events, &options), vec![1, 3]);
        assert_eq!(ids("any where true", &events, &options), vec![1, 2, 3]);
        assert_eq!(
            ids("registry where true", &events, &options),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn equality_case_follows_options() {
        let events = vec![event("process", 1, 1, json!({"name": "CMD.EXE"}))];
        let insensitive = Options::default();
        let sensitive = Options {
            case_sensitive_equals: true,
            ..Options::default()
        };
        let source = "process where name == \"cmd.exe\"";
        assert_eq!(ids(source, &events, &insensitive), vec![1]);
        assert_eq!(ids(source, &events, &sensitive), Vec::<i64>::new());
        assert_eq!(
            ids("process where name : \"cmd.*\"", &events, &sensitive),
            vec![1]
        );
        assert_eq!(
            ids("process where name like \"cmd.*\"", &events, &insensitive),
            Vec::<i64>::new()
        );
        assert_eq!(
            ids(
                "process where name regex~ \"c.d\\\\.exe\"",
                &events,
                &sensitive
            ),
            vec![1]
        );
    }

    #[test]
    fn missing_field_comparisons_are_null() {
        let events = vec![
            event("process", 1, 1, json!({})),
            event("process", 2, 2, json!({"code": 0})),
        ];
        let options = Options::default();
        assert_eq!(ids("process where code >= 0", &events, &options), vec![2]);
        assert_eq!(
            ids("process where not (code > 0)", &events, &options),
            vec![2]
        );
        assert_eq!(
            ids("process where code == null", &events, &options),
            vec![1]
        );
        assert_eq!(ids("process where code != 5", &events, &options), vec![2]);
    }

    #[test]
    fn sequence_newer_partial_replaces_older() {
        let source = "sequence [process where id < 5] [process where id == 5]";
        assert_eq!(ids(source, &processes(6), &Options::default()), vec![4, 5]);
    }

    #[test]
    fn sequence_event_can_fill_several_steps() {
        let source = "sequence [process where id <= 3] [process where true] [process where true]";
        assert_eq!(
            ids(source, &processes(6), &Options::default()),
            vec![1, 2, 3, 2, 3, 4, 3, 4, 5]
        );
    }

    #[test]
    fn sequence_joins_on_keys_ignoring_case() {
        let events = vec![
            event("process", 1, 1, json!({"host": "A"})),
            event("process", 2, 2, json!({"host": "b"})),
            event("file", 3, 3, json!({"host": "a"})),
        ];
        let query = parse("sequence by host [process where true] [file where true]").unwrap();
        let matches = execute(&query, &events, &Options::default()).unwrap();
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].events, vec![0, 2]);
        assert_eq!(matches[0].join_keys, vec![Value::Str("A".into())]);
    }

    #[test]
    fn sequence_until_drops_pending() {
        let events = vec![
            event("process", 1, 1, json!({"pid": 7})),
            event("network", 2, 2, json!({"pid": 7})),
            event("file", 3, 3, json!({"pid": 7})),
            event("process", 4, 4, json!({"pid": 8})),
            event("network", 5, 5, json!({"pid": 7})),
            event("file", 6, 6, json!({"pid": 8})),
        ];
        let source =
            "sequence by pid [process where true] [file where true] until [network where true]";
        assert_eq!(ids(source, &events, &Options::default()), vec![4, 6]);
    }

    #[test]
    fn sequence_maxspan_counts_from_first_event() {
        let events = vec![
            event("process", 1, 0, json!({})),
            event("file", 2, 30, json!({})),
            event("file", 3, 61, json!({})),
        ];
        let options = Options::default();
        let within =
            "sequence with maxspan=1m [process where true] [file where true] [file where true]";
        assert_eq!(ids(within, &events, &options), Vec::<i64>::new());
        let wider =
            "sequence with maxspan=2m [process where true] [file where true] [file where true]";
        assert_eq!(ids(wider, &events, &options), vec![1, 2, 3]);
    }

    #[test]
    fn sequence_runs_repeat_step() {
        let single = parse("sequence [process where true] with runs=3").unwrap();
        assert_eq!(single.step_count(), 3);
        let source = "sequence [process where id == 1] [process where true] with runs=2";
        assert_eq!(
            ids(source, &processes(4), &Options::default()),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn pipes_run_in_order() {
        let events: Vec<Json> = (1..=6)
            .map(|id| {
                event(
                    "process",
                    id,
                    id,
                    json!({"name": if id % 2 == 0 { "even" } else { "odd" }}),
                )
            })
            .collect();
        let options = Options::default();
        assert_eq!(
            ids("process where true | head 4 | tail 2", &events, &options),
            vec![3, 4]
        );
        assert_eq!(
            ids("process where true | unique name", &events, &options),
            vec![1, 2]
        );
        assert_eq!(
            ids("process where true | sort name | head 3", &events, &options),
            vec![2, 4, 6]
        );
        assert_eq!(
            ids("process where true | filter id > 4", &events, &options),
            vec![5, 6]
        );
        let sequence =
            "sequence [process where true] [process where true] | filter events[1].id == 4";
        assert_eq!(ids(sequence, &events, &options), vec![3, 4]);
    }

    #[test]
    fn array_functions_walk_objects() {
        let events = vec![event(
            "network",
            1,
            1,
            json!({"items": [{"a": "x-1"}, {"a": "y-2"}], "tags": ["En-US", "fr"]}),
        )];
        let options = Options::default();
        assert_eq!(
            ids(
                "network where arraySearch(items, i, i.a : \"y*\")",
                &events,
                &options
            ),
            vec![1]
        );
        assert_eq!(
            ids(
                "network where arrayCount(items, i, true) == 2",
                &events,
                &options
            ),
            vec![1]
        );
        assert_eq!(
            ids(
                "network where arrayContains(tags, \"en-us\")",
                &events,
                &options
            ),
            vec![1]
        );
        assert_eq!(
            ids("network where tags[-1] == \"FR\"", &events, &options),
            vec![1]
        );
    }

    #[test]
    fn join_matches_steps_in_any_order() {
        let events = vec![
            event("file", 1, 1, json!({"pid": 1})),
            event("file", 2, 2, json!({"pid": 2})),
            event("process", 3, 3, json!({"pid": 2})),
            event("process", 4, 4, json!({"pid": 1})),
        ];
        let source = "join by pid [process where true] [file where true]";
        assert_eq!(ids(source, &events, &Options::default()), vec![3, 2, 4, 1]);
    }

    #[test]
    fn nesting_at_depth_cap_runs() {
        let events = processes(1);
        let depth = crate::eql::MAX_DEPTH - 4;
        let sources = [
            format!(
                "process where {}id{} == 1",
                "(".repeat(depth),
                ")".repeat(depth)
            ),
            format!("process where {}true", "not not ".repeat(depth / 2)),
            format!("process where id == 1{}", " and true".repeat(depth)),
            format!(
                "process where length(concat({}\"x\"{})) == 1",
                "string(".repeat(depth / 2),
                ")".repeat(depth / 2)
            ),
        ];
        for source in sources {
            assert_eq!(
                ids(&source, &events, &Options::default()),
                vec![1],
                "{source}"
            );
        }
    }

    #[test]
    fn hostile_values_do_not_panic() {
        let events = vec![event(
            "process",
            1,
            1,
            json!({"n": i64::MIN, "s": "\u{1F600}é", "big": 1e308}),
        )];
        let options = Options::default();
        for source in [
            "process where n - 1 == 0",
            "process where -n == 0",
            "process where n / -1 == 0",
            "process where n % -1 == 0",
            "process where big * big == 0",
            "process where substring(s, -9223372036854775807, 9223372036854775807) == s",
            "process where indexOf(s, \"\", 9223372036854775807) == 0",
            "process where between(s, \"\", \"\", true) == \"\"",
            "process where s[9223372036854775807] == 1 or s[-9223372036854775807] == 1",
            "process where number(\"-9223372036854775808\") == 0",
            "process where cidrMatch(s, \"::/200\", \"1.2.3.4/-1\")",
            "process where s : \"*?*?*?*?*?*?*?\"",
        ] {
            let query = parse(source).unwrap();
            assert!(execute(&query, &events, &options).is_ok(), "{source}");
        }
    }

    #[test]
    fn unsupported_features_fail_cleanly() {
        let events = processes(2);
        for source in [
            "process where child of [process where true]",
            "process where true | count",
            "process where nosuch(1)",
        ] {
            let query = parse(source).unwrap();
            assert!(
                execute(&query, &events, &Options::default()).is_err(),
                "{source}"
            );
        }
    }
}
