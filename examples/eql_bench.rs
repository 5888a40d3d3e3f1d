//! Measures EQL evaluation speed against the reference implementation.
//!
//! Run with `cargo run --release --example eql_bench`. Options:
//! `--events N` (default 1,000,000), `--runs R` (default 3 for Glexia),
//! `--reference-runs R` (default 3), `--reference-every K` (default 20: the reference runs
//! every Kth applicable query, because it takes minutes per query set at this size).
//!
//! The input is the reference implementation's `test_data.json` (from `../shared/data/eql`,
//! or the folder in `GLEXIA_EQL_DATA`), copied until it holds at least N events. Each copy is
//! shifted in time and gets its own process ids, so sequences and lineage stay within a copy.
//! Glexia reads the events from an [`EventStore`] through the engine's `StoreDocument`,
//! as `glexia scan` does. The reference, `eql` from PyPI run by `python3`, reads the same
//! events from a JSON file written here. Both time evaluation only, not loading.
//!
//! A conformance query is applicable when Glexia, reading the original 102 events from the
//! store, returns the reference's expected ids in case-insensitive mode (the reference
//! package's only mode since version 0.9). Queries over nested objects are not applicable,
//! because the store keeps flat fields.
//!
//! Throughput is reported as events per second per query: events × queries / seconds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use glexia::engine::StoreDocument;
use glexia::eql::{self, LineageOptions, Options, Query};
use glexia::store::{EventBuilder, EventStore, Origin, PendingValue, Platform};
use serde_json::Value as Json;

/// Windows FILETIME ticks (100 ns since 1601-01-01) at the Unix epoch.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// How far apart copies of the data start, in FILETIME ticks (one day), which is longer than
/// the data's own span after its first event, so copies do not overlap in time.
const COPY_SHIFT_TICKS: i64 = 864_000_000_000;

/// How far apart the process ids and event ids of copies are.
const COPY_ID_SHIFT: i64 = 1_000_000;

/// The reference runner: loads the events once, then times each run of the query list.
const REFERENCE_SCRIPT: &str = r#"
import json, sys, time
from eql import PythonEngine
from eql.events import Event
from eql.parser import parse_query
events = [Event.from_data(d) for d in json.load(open(sys.argv[1]))]
queries = [parse_query(q) for q in json.load(open(sys.argv[2]))]
times = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    for query in queries:
        engine = PythonEngine({"flatten": True, "pid_key": "unique_pid", "ppid_key": "unique_ppid"})
        engine.add_query(query)
        engine.add_output_hook(lambda result: None)
        engine.stream_events(events)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"#;

struct Settings {
    events: usize,
    runs: usize,
    reference_runs: usize,
    reference_every: usize,
}

fn parse_settings() -> Result<Settings, String> {
    let mut settings = Settings {
        events: 1_000_000,
        runs: 3,
        reference_runs: 3,
        reference_every: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("missing value after {flag}"))?;
        let number: usize = value
            .parse()
            .map_err(|_| format!("invalid number '{value}' after {flag}"))?;
        match flag.as_str() {
            "--events" => settings.events = number,
            "--runs" => settings.runs = number.max(1),
            "--reference-runs" => settings.reference_runs = number,
            "--reference-every" => settings.reference_every = number.max(1),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(settings)
}

fn data_dir() -> PathBuf {
    match std::env::var_os("GLEXIA_EQL_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/eql"),
    }
}

/// Copies the base events until there are at least `count`, shifting times and ids per copy.
fn replicate(base: &[Json], count: usize) -> Vec<Json> {
    let copies = count.div_ceil(base.len().max(1));
    let mut events = Vec::with_capacity(copies * base.len());
    for copy in 0..copies {
        let copy = i64::try_from(copy).unwrap_or(i64::MAX);
        for event in base {
            let mut event = event.clone();
            if let Some(object) = event.as_object_mut() {
                shift(object, "timestamp", copy * COPY_SHIFT_TICKS);
                for field in ["serial_event_id", "unique_pid", "unique_ppid"] {
                    shift(object, field, copy * COPY_ID_SHIFT);
                }
            }
            events.push(event);
        }
    }
    events
}

fn shift(object: &mut serde_json::Map<String, Json>, field: &str, by: i64) {
    if let Some(value) = object.get(field).and_then(Json::as_i64) {
        object.insert(field.to_string(), Json::from(value + by));
    }
}

fn pending(value: &Json) -> Option<PendingValue> {
    match value {
        Json::String(text) => Some(PendingValue::Str(text.clone())),
        Json::Bool(value) => Some(PendingValue::Bool(*value)),
        Json::Number(number) => match number.as_i64() {
            Some(value) => Some(PendingValue::Int(value)),
            None => number.as_f64().map(PendingValue::Float),
        },
        Json::Array(items) => Some(PendingValue::List(
            items.iter().filter_map(pending).collect(),
        )),
        // The store keeps flat fields, so nested objects are left out.
        Json::Null | Json::Object(_) => None,
    }
}

/// Loads events into a store as the ingest would: flat fields, sorted by time.
fn build_store(events: &[Json]) -> EventStore {
    let mut store = EventStore::new();
    for (record, event) in events.iter().enumerate() {
        let ticks = event["timestamp"].as_i64().unwrap_or(FILETIME_UNIX_EPOCH);
        let nanos = ticks
            .saturating_sub(FILETIME_UNIX_EPOCH)
            .saturating_mul(100);
        let origin = Origin {
            file: 0,
            record: record as u64,
            offset: None,
        };
        let mut builder = EventBuilder::new(nanos, "eql-test-data", Platform::Windows, origin);
        if let Some(object) = event.as_object() {
            for (name, value) in object {
                if let Some(value) = pending(value) {
                    builder.field(name.clone(), value);
                }
            }
        }
        store.push(builder);
    }
    store.sort();
    store
}

fn options() -> Options {
    Options {
        category_field: "event_type".to_string(),
        case_sensitive_equals: false,
        lineage: LineageOptions::reference(),
        host_field: "hostname".to_string(),
    }
}

/// Runs a query over the store and returns the `serial_event_id` of each result event.
fn result_ids(query: &Query, store: &EventStore, documents: &[StoreDocument<'_>]) -> Vec<i64> {
    let Ok(matches) = eql::execute(query, documents, &options()) else {
        return Vec::new();
    };
    matches
        .iter()
        .flat_map(|found| found.events.iter())
        .filter_map(|&index| match store.field(index, "serial_event_id") {
            Some(glexia::store::ValueRef::Int(id)) => Some(id),
            _ => None,
        })
        .collect()
}

/// Selects the conformance queries for which Glexia returns the reference results over the
/// base data.
fn applicable_queries(dir: &Path, base: &[Json]) -> Result<Vec<(String, Query)>, String> {
    let text = std::fs::read_to_string(dir.join("test_queries.toml"))
        .map_err(|error| format!("cannot read test_queries.toml: {error}"))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|error| format!("invalid test_queries.toml: {error}"))?;
    let entries = table
        .get("queries")
        .and_then(toml::Value::as_array)
        .ok_or("test_queries.toml has no queries")?;
    let store = build_store(base);
    let documents: Vec<StoreDocument<'_>> = (0..store.len())
        .map(|index| StoreDocument::new(&store, index))
        .collect();
    let mut applicable = Vec::new();
    for entry in entries {
        let flag = |name: &str| entry.get(name).and_then(toml::Value::as_bool);
        let insensitive_mode = match (flag("case_sensitive"), flag("case_insensitive")) {
            (None, None) => true,
            (_, insensitive) => insensitive == Some(true),
        };
        let (Some(source), Some(expected)) = (
            entry.get("query").and_then(toml::Value::as_str),
            entry
                .get("expected_event_ids")
                .and_then(toml::Value::as_array),
        ) else {
            continue;
        };
        let expected: Vec<i64> = expected
            .iter()
            .filter_map(toml::Value::as_integer)
            .collect();
        let Ok(query) = eql::parse(source) else {
            continue;
        };
        if insensitive_mode && result_ids(&query, &store, &documents) == expected {
            applicable.push((source.to_string(), query));
        }
    }
    println!(
        "{} of {} conformance queries are applicable",
        applicable.len(),
        entries.len()
    );
    Ok(applicable)
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time_glexia(queries: &[&Query], documents: &[StoreDocument<'_>], runs: usize) -> f64 {
    let options = options();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut results = 0;
        for query in queries {
            results += eql::execute(query, documents, &options).map_or(0, |found| found.len());
        }
        times.push(start.elapsed().as_secs_f64());
        std::hint::black_box(results);
    }
    median(&mut times)
}

fn time_reference(events: &[Json], sources: &[&str], runs: usize) -> Result<f64, String> {
    let dir = tempfile::tempdir().map_err(|error| format!("no temporary folder: {error}"))?;
    let events_path = dir.path().join("events.json");
    let queries_path = dir.path().join("queries.json");
    write_json(&events_path, &events)?;
    write_json(&queries_path, &sources)?;
    let output = Command::new("python3")
        .arg("-c")
        .arg(REFERENCE_SCRIPT)
        .arg(&events_path)
        .arg(&queries_path)
        .arg(runs.to_string())
        .output()
        .map_err(|error| format!("cannot run python3: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("no message");
        return Err(format!(
            "the reference failed: {last} (install it with pip install eql)"
        ));
    }
    let mut times: Vec<f64> = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("unexpected reference output: {error}"))?;
    Ok(median(&mut times))
}

fn write_json<T: serde::Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), String> {
    let file = std::fs::File::create(path)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    serde_json::to_writer(std::io::BufWriter::new(file), value)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

fn rate(events: usize, queries: usize, seconds: f64) -> f64 {
    (events * queries) as f64 / seconds
}

fn main() -> Result<(), String> {
    let settings = parse_settings()?;
    let dir = data_dir();
    let text = std::fs::read_to_string(dir.join("test_data.json")).map_err(|error| {
        format!(
            "cannot read {}: {error}; set GLEXIA_EQL_DATA to the folder holding test_data.json",
            dir.join("test_data.json").display()
        )
    })?;
    let base: Vec<Json> =
        serde_json::from_str(&text).map_err(|error| format!("invalid test_data.json: {error}"))?;
    let applicable = applicable_queries(&dir, &base)?;

    let events = replicate(&base, settings.events);
    let store = build_store(&events);
    let documents: Vec<StoreDocument<'_>> = (0..store.len())
        .map(|index| StoreDocument::new(&store, index))
        .collect();
    println!(
        "{} events ({} copies of {})",
        events.len(),
        events.len() / base.len(),
        base.len()
    );

    if std::env::var_os("GLEXIA_BENCH_PER_QUERY").is_some() {
        let mut slowest: Vec<(f64, &str)> = applicable
            .iter()
            .map(|(source, query)| (time_glexia(&[query], &documents, 1), source.as_str()))
            .collect();
        slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (seconds, source) in slowest.iter().take(8).chain(slowest.iter().rev().take(5)) {
            println!(
                "{seconds:8.3} s  {}",
                source.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
    let all: Vec<&Query> = applicable.iter().map(|(_, query)| query).collect();
    let seconds = time_glexia(&all, &documents, settings.runs);
    println!(
        "glexia, all {} applicable queries: median {seconds:.2} s of {} runs, {:.0} events/s per query",
        all.len(),
        settings.runs,
        rate(events.len(), all.len(), seconds)
    );

    let subset: Vec<&(String, Query)> = applicable
        .iter()
        .step_by(settings.reference_every)
        .collect();
    let queries: Vec<&Query> = subset.iter().map(|(_, query)| query).collect();
    let sources: Vec<&str> = subset.iter().map(|(source, _)| source.as_str()).collect();
    let ours = time_glexia(&queries, &documents, settings.runs);
    let ours_rate = rate(events.len(), queries.len(), ours);
    println!(
        "glexia, every {}th query ({}): median {ours:.3} s, {ours_rate:.0} events/s per query",
        settings.reference_every,
        queries.len()
    );
    if settings.reference_runs == 0 {
        println!("reference: skipped (--reference-runs 0)");
        return Ok(());
    }
    match time_reference(&events, &sources, settings.reference_runs) {
        Ok(theirs) => {
            let theirs_rate = rate(events.len(), queries.len(), theirs);
            println!(
                "reference eql, same {} queries: median {theirs:.2} s of {} runs, \
                 {theirs_rate:.0} events/s per query",
                queries.len(),
                settings.reference_runs
            );
            println!(
                "ratio (glexia / reference): {:.1}x",
                ours_rate / theirs_rate
            );
        }
        Err(message) => println!("reference: not measured: {message}; glexia alone above"),
    }
    Ok(())
}
