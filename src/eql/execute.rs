//! Runs a parsed query over events: compiles it, finds the matches, then applies the pipes.

use super::ast::{EventQuery, Expr, Query, QueryBody, SequenceStep};
use super::category::Categories;
use super::compile::Compiler;
use super::error::EvalError;
use super::eval::Evaluator;
use super::lineage::{LineageSpec, LineageView, ProcessFields, Tracker, observe_all};
use super::pipes::{apply_pipes, compile_pipes, resolve_pipes};
use super::sequence::{Context, Step, run_join, run_sequence};
use super::{Document, Match, Options, Value};

/// Runs `query` over `events`, which must be in time order (ties keep their input order).
///
/// Every field the query reads is resolved once with [`Document::resolve`] on the first
/// event and then read from each event by that key.
///
/// # Errors
///
/// Returns an [`EvalError`] before reading any event when the query calls an unknown function,
/// passes a wrong number of arguments, contains an invalid regular expression, or uses a
/// lineage expression in a pipe, and [`EvalError::StateLimit`] partway when a `sequence` or
/// `join` would hold more partial matches than [`Options::max_partials`].
pub fn execute<D: Document>(
    query: &Query,
    events: &[D],
    options: &Options,
) -> Result<Vec<Match>, EvalError> {
    let mut pipes = compile_pipes(&query.pipes)?;
    if let Some(first) = events.first() {
        resolve_pipes(&mut pipes, first);
    }
    // One compiler for every step, so all lineage expressions share one tracker list.
    let mut compiler = Compiler::default();
    let mut categories = Categories::new(&options.category_field);
    let mut fields = ProcessFields::new(options, &mut categories);
    let matches = match &query.body {
        QueryBody::Event(event_query) => {
            let mut step =
                compile_step(&mut compiler, &mut categories, event_query, &[], &[], false)?;
            let mut trackers = trackers(compiler.lineages, &mut categories);
            if let Some(first) = events.first() {
                step.resolve(first);
                resolve(&mut categories, &mut fields, &mut trackers, first);
            }
            let context = Context {
                categories: &categories,
                fields: &fields,
                options,
            };
            run_event_query(&step, &mut trackers, &context, events)
        }
        QueryBody::Sequence(sequence) => {
            let (mut steps, mut until) = compile_steps(
                &mut compiler,
                &mut categories,
                &sequence.steps,
                &sequence.until,
                &sequence.by,
            )?;
            let mut trackers = trackers(compiler.lineages, &mut categories);
            if let Some(first) = events.first() {
                steps
                    .iter_mut()
                    .chain(&mut until)
                    .for_each(|step| step.resolve(first));
                resolve(&mut categories, &mut fields, &mut trackers, first);
            }
            let context = Context {
                categories: &categories,
                fields: &fields,
                options,
            };
            run_sequence(
                &steps,
                until.as_ref(),
                sequence.maxspan,
                &mut trackers,
                &context,
                events,
            )?
        }
        QueryBody::Join(join) => {
            let (mut steps, mut until) = compile_steps(
                &mut compiler,
                &mut categories,
                &join.steps,
                &join.until,
                &join.by,
            )?;
            let mut trackers = trackers(compiler.lineages, &mut categories);
            if let Some(first) = events.first() {
                steps
                    .iter_mut()
                    .chain(&mut until)
                    .for_each(|step| step.resolve(first));
                resolve(&mut categories, &mut fields, &mut trackers, first);
            }
            let context = Context {
                categories: &categories,
                fields: &fields,
                options,
            };
            run_join(&steps, until.as_ref(), &mut trackers, &context, events)?
        }
    };
    Ok(apply_pipes(&pipes, matches, events, options))
}

/// Evaluates one expression against one event, as a `where` clause would before testing its
/// truth. Lineage expressions see no earlier events, so they are false.
///
/// # Errors
///
/// Returns an [`EvalError`] when the expression cannot compile, as for [`execute`].
pub fn evaluate<D: Document>(
    expr: &Expr,
    event: &D,
    options: &Options,
) -> Result<Value<'static>, EvalError> {
    let node = Compiler::default().compile(expr)?;
    Ok(Evaluator::new(std::slice::from_ref(event), options)
        .eval(&node)
        .into_owned())
}

fn trackers(lineages: Vec<LineageSpec>, categories: &mut Categories) -> Vec<Tracker> {
    lineages
        .into_iter()
        .map(|spec| Tracker::new(spec, categories))
        .collect()
}

/// Resolves the category field, and the lineage fields and trackers when the query has
/// lineage expressions.
fn resolve<D: Document>(
    categories: &mut Categories,
    fields: &mut ProcessFields,
    trackers: &mut [Tracker],
    first: &D,
) {
    categories.resolve(first);
    if !trackers.is_empty() {
        fields.resolve(first);
    }
    trackers
        .iter_mut()
        .for_each(|tracker| tracker.resolve(first));
}

fn compile_steps(
    compiler: &mut Compiler,
    categories: &mut Categories,
    steps: &[SequenceStep],
    until: &Option<SequenceStep>,
    shared: &[Expr],
) -> Result<(Vec<Step>, Option<Step>), EvalError> {
    let mut compiled = Vec::with_capacity(steps.len());
    for step in steps {
        compiled.push(compile_step(
            compiler,
            categories,
            &step.query,
            shared,
            &step.by,
            step.fork,
        )?);
    }
    let until = match until {
        Some(until) => Some(compile_step(
            compiler,
            categories,
            &until.query,
            shared,
            &until.by,
            false,
        )?),
        None => None,
    };
    Ok((compiled, until))
}

fn compile_step(
    compiler: &mut Compiler,
    categories: &mut Categories,
    query: &EventQuery,
    shared: &[Expr],
    own: &[Expr],
    fork: bool,
) -> Result<Step, EvalError> {
    let condition = compiler.compile(&query.condition)?;
    let keys = shared
        .iter()
        .chain(own)
        .map(|key| compiler.compile(key))
        .collect::<Result<_, _>>()?;
    Ok(Step {
        category: categories.test_for(&query.category),
        condition,
        keys,
        fork,
    })
}

fn run_event_query<D: Document>(
    step: &Step,
    trackers: &mut [Tracker],
    context: &Context<'_>,
    events: &[D],
) -> Vec<Match> {
    let mut matches = Vec::new();
    for (index, event, mask) in context.categories.masked(events) {
        observe_all(trackers, events, index, context.observation(mask));
        if !step.category.matches(mask, event, context.categories) {
            continue;
        }
        let lineage = LineageView {
            fields: context.fields,
            trackers,
        };
        let mut evaluator =
            Evaluator::new(std::slice::from_ref(event), context.options).with_lineage(lineage);
        if evaluator.test(&step.condition) {
            matches.push(Match::new(vec![index], Vec::new()));
        }
    }
    matches
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

    /// Process events 1..=count, each with its own `key` and host `h`.
    fn keyed_processes(count: i64) -> Vec<Json> {
        (1..=count)
            .map(|id| event("process", id, id, json!({"key": id, "host": "h"})))
            .collect()
    }

    #[test]
    fn sequence_state_past_limit_stops_with_message() {
        let events = keyed_processes(20);
        let options = Options {
            max_partials: 10,
            ..Options::default()
        };
        let query = parse("sequence by key [process where true] [file where true]").unwrap();
        let error = execute(&query, &events, &options).unwrap_err();
        assert_eq!(
            error,
            EvalError::StateLimit {
                limit: 10,
                events_read: 11
            }
        );
        assert!(error.to_string().contains("maxspan"), "{error}");
        // The same events under a key shared by all hold one partial and run to the end.
        let query = parse("sequence by host [process where true] [file where true]").unwrap();
        assert_eq!(execute(&query, &events, &options).unwrap(), vec![]);
        // Exactly at the limit is allowed.
        let query = parse("sequence by key [process where true] [file where true]").unwrap();
        assert!(execute(&query, &events[..10], &options).is_ok());
    }

    #[test]
    fn sequence_maxspan_keeps_state_under_limit() {
        // One new key a second with a 1 s span: the sweep drops old partials every 1024
        // events, so at most about that many are held.
        let events = keyed_processes(5000);
        let options = Options {
            max_partials: 2000,
            ..Options::default()
        };
        let query = parse("sequence by key with maxspan=1s [process where true] [file where true]")
            .unwrap();
        assert!(execute(&query, &events, &options).is_ok());
    }

    #[test]
    fn join_state_past_limit_stops_with_message() {
        let events = keyed_processes(20);
        let options = Options {
            max_partials: 5,
            ..Options::default()
        };
        let query = parse("join by key [process where true] [file where true]").unwrap();
        let error = execute(&query, &events, &options).unwrap_err();
        assert_eq!(
            error,
            EvalError::StateLimit {
                limit: 5,
                events_read: 6
            }
        );
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

    /// Builds an ECS process event. `kind` is `start` or `end`, and the ids are entity ids.
    fn process_event(id: i64, kind: &str, entity: &str, parent: &str, name: &str) -> Json {
        event(
            "process",
            id,
            id,
            json!({
                "event": {"category": "process", "type": [kind]},
                "process": {"entity_id": entity, "parent": {"entity_id": parent}, "name": name},
            }),
        )
    }

    #[test]
    fn lineage_follows_ecs_entity_ids() {
        let events = vec![
            process_event(1, "start", "a", "root", "cmd.exe"),
            process_event(2, "start", "b", "a", "powershell.exe"),
            process_event(3, "start", "c", "b", "whoami.exe"),
            process_event(4, "end", "b", "a", "powershell.exe"),
            process_event(5, "start", "d", "x", "whoami.exe"),
            process_event(6, "start", "e", "b", "net.exe"),
        ];
        let options = Options::default();
        let child = "process where child of [process where process.name == \"cmd.exe\"]";
        assert_eq!(ids(child, &events, &options), vec![2, 4]);
        let descendant = "process where descendant of [process where process.name == \"cmd.exe\"]";
        // Event 6 starts after its parent `b` ended, so the link is gone.
        assert_eq!(ids(descendant, &events, &options), vec![2, 3, 4]);
        let event_of = "process where event of [process where process.name == \"cmd.exe\"]";
        assert_eq!(ids(event_of, &events, &options), vec![1]);
    }

    #[test]
    fn lineage_falls_back_to_pid_within_host() {
        let start = |id, host: &str, pid, ppid, name: &str| {
            event(
                "process",
                id,
                id,
                json!({
                    "event": {"category": "process", "type": "start"},
                    "host": {"name": host},
                    "process": {"pid": pid, "parent": {"pid": ppid}, "name": name},
                }),
            )
        };
        let events = vec![
            start(1, "h1", 10, 1, "cmd.exe"),
            start(2, "h2", 20, 10, "other.exe"),
            start(3, "h1", 30, 10, "child.exe"),
        ];
        let query = "process where child of [process where process.name == \"cmd.exe\"]";
        assert_eq!(ids(query, &events, &Options::default()), vec![3]);
    }

    #[test]
    fn count_pipes_attach_counts() {
        let events: Vec<Json> = (1..=5)
            .map(|id| {
                let name = if id <= 3 { "a" } else { "B" };
                event(
                    "process",
                    id,
                    id,
                    json!({"name": name, "host": {"name": "h"}}),
                )
            })
            .collect();
        let options = Options::default();
        let query = parse("process where true | unique_count name").unwrap();
        let matches = execute(&query, &events, &options).unwrap();
        let counts: Vec<_> = matches
            .iter()
            .map(|found| found.aggregate.as_ref().unwrap().count)
            .collect();
        assert_eq!(counts, vec![3, 2]);
        assert_eq!(
            ids(
                "process where true | unique_count name | filter count == 2",
                &events,
                &options
            ),
            vec![4]
        );
        let query = parse("process where true | count name").unwrap();
        let matches = execute(&query, &events, &options).unwrap();
        let keys: Vec<_> = matches
            .iter()
            .map(|found| found.aggregate.clone().unwrap())
            .map(|aggregate| (aggregate.key, aggregate.count, aggregate.hosts))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Some(Value::Str("B".into())), 2, vec!["h".to_string()]),
                (Some(Value::Str("a".into())), 3, vec!["h".to_string()]),
            ]
        );
        let query = parse("process where true | count | filter count > 4").unwrap();
        let matches = execute(&query, &events, &options).unwrap();
        assert_eq!(matches.len(), 1);
        assert!(matches[0].events.is_empty());
    }

    #[test]
    fn fork_keeps_partial_pending() {
        let source = "sequence [process where id == 1] [process where id > 1] fork=true";
        assert_eq!(
            ids(source, &processes(3), &Options::default()),
            vec![1, 2, 1, 3]
        );
        let plain = "sequence [process where id == 1] [process where id > 1]";
        assert_eq!(ids(plain, &processes(3), &Options::default()), vec![1, 2]);
    }

    #[test]
    fn lineage_in_pipe_fails_cleanly() {
        let events = processes(2);
        let query = parse("process where true | filter child of [process where true]").unwrap();
        assert!(execute(&query, &events, &Options::default()).is_err());
    }
}
