//! Measures EQL evaluation speed against the reference implementation.
//!
//! Run with `cargo run --release --example eql_bench`. Options:
//! `--events N` (default 1,000,000), `--runs R` (default 3 for Glexia),
//! `--all-runs R` (default 3; runs of all applicable queries, 0 to skip them),
//! `--reference-runs R` (default 3), `--reference-every K` (default 20: the reference runs
//! every Kth applicable query, because it takes minutes per query set at this size).
//! `GLEXIA_BENCH_ONLY=TEXT` keeps only the queries containing TEXT (whitespace collapsed),
//! and `GLEXIA_BENCH_PER_QUERY=all` or `=subset` prints the CPU time of each query.
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
//! Throughput is reported as events per second per query: events × queries / seconds, by
//! wall-clock time and by CPU time. On a shared machine the CPU time varies less, because
//! waiting for a processor does not count.
//!
//! The store fills a column for each field a query reads the first time it reads the field
//! (see `glexia::store::MAX_COLUMNS`), so the first run of the queries is slower than the
//! rest. The first run is reported on its own line.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use glexia::engine::StoreDocument;
use glexia::eql::{self, LineageOptions, Options, Query};
use glexia::store::{EventBuilder, EventStore, Origin, PendingValue, Platform};
use serde_json::Value as Json;

// The allocator the `glexia` binary uses, so the store is laid out in memory as it is there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    start, start_cpu = time.perf_counter(), time.process_time()
    for query in queries:
        engine = PythonEngine({"flatten": True, "pid_key": "unique_pid", "ppid_key": "unique_ppid"})
        engine.add_query(query)
        engine.add_output_hook(lambda result: None)
        engine.stream_events(events)
    times.append([time.perf_counter() - start, time.process_time() - start_cpu])
print(json.dumps(times))
"#;

/// The median wall-clock and CPU time of several runs, in seconds. The CPU time is that of
/// the thread (Glexia) or process (the reference) that evaluates, so other programs on a
/// shared machine change it less than the wall-clock time.
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

impl Timing {
    fn median_of(runs: &[Timing]) -> Timing {
        let mut wall: Vec<f64> = runs.iter().map(|run| run.wall).collect();
        let mut cpu: Vec<f64> = runs.iter().map(|run| run.cpu).collect();
        Timing {
            wall: median(&mut wall),
            cpu: median(&mut cpu),
        }
    }
}

/// Returns the CPU time of the calling thread in seconds (POSIX `CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu_seconds() -> f64 {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    time.tv_sec as f64 + time.tv_nsec as f64 / 1e9
}

struct Settings {
    events: usize,
    runs: usize,
    all_runs: usize,
    reference_runs: usize,
    reference_every: usize,
}

fn parse_settings() -> Result<Settings, String> {
    let mut settings = Settings {
        events: 1_000_000,
        runs: 3,
        all_runs: 3,
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
            "--all-runs" => settings.all_runs = number,
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
        ..Options::default()
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

/// Runs the queries `runs` times and returns the time of each run.
fn time_glexia(queries: &[&Query], documents: &[StoreDocument<'_>], runs: usize) -> Vec<Timing> {
    let options = options();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let start_cpu = thread_cpu_seconds();
        let mut results = 0;
        for query in queries {
            results += eql::execute(query, documents, &options).map_or(0, |found| found.len());
        }
        times.push(Timing {
            wall: start.elapsed().as_secs_f64(),
            cpu: thread_cpu_seconds() - start_cpu,
        });
        std::hint::black_box(results);
    }
    times
}

fn time_reference(events: &[Json], sources: &[&str], runs: usize) -> Result<Timing, String> {
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
    let times: Vec<(f64, f64)> = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("unexpected reference output: {error}"))?;
    let times: Vec<Timing> = times
        .into_iter()
        .map(|(wall, cpu)| Timing { wall, cpu })
        .collect();
    Ok(Timing::median_of(&times))
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
    let mut applicable = applicable_queries(&dir, &base)?;
    if let Ok(only) = std::env::var("GLEXIA_BENCH_ONLY") {
        applicable.retain(|(source, _)| one_line(source).contains(&only));
        println!("{} queries contain {only:?}", applicable.len());
    }

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

    let per_query = std::env::var("GLEXIA_BENCH_PER_QUERY").ok();
    if per_query.as_deref() == Some("all") {
        print_per_query(&applicable, &documents, settings.runs);
    }
    let all: Vec<&Query> = applicable.iter().map(|(_, query)| query).collect();
    let runs = time_glexia(&all, &documents, settings.all_runs);
    let ours_all = Timing::median_of(&runs);
    println!(
        "glexia, all {} applicable queries, median of {} runs: {:.2} s wall, {:.2} s CPU; \
         {:.0} events/s per query by wall time, {:.0} by CPU time",
        all.len(),
        settings.all_runs,
        ours_all.wall,
        ours_all.cpu,
        rate(events.len(), all.len(), ours_all.wall),
        rate(events.len(), all.len(), ours_all.cpu),
    );
    if let Some(first) = runs.first() {
        println!(
            "  first run, which also fills the store's field columns: {:.2} s wall, {:.2} s CPU",
            first.wall, first.cpu
        );
    }

    let subset: Vec<&(String, Query)> = applicable
        .iter()
        .step_by(settings.reference_every)
        .collect();
    let queries: Vec<&Query> = subset.iter().map(|(_, query)| query).collect();
    let sources: Vec<&str> = subset.iter().map(|(source, _)| source.as_str()).collect();
    println!(
        "every {}th applicable query ({}):",
        settings.reference_every,
        queries.len()
    );
    for source in &sources {
        println!("  {}", one_line(source));
    }
    if per_query.as_deref() == Some("subset") {
        let chosen: Vec<(String, Query)> = subset.iter().map(|&entry| entry.clone()).collect();
        print_per_query(&chosen, &documents, settings.runs);
    }
    let ours = Timing::median_of(&time_glexia(&queries, &documents, settings.runs));
    print_rate("glexia", events.len(), queries.len(), settings.runs, ours);
    if settings.reference_runs == 0 {
        println!("reference: skipped (--reference-runs 0)");
        return Ok(());
    }
    match time_reference(&events, &sources, settings.reference_runs) {
        Ok(theirs) => {
            print_rate(
                "reference eql",
                events.len(),
                queries.len(),
                settings.reference_runs,
                theirs,
            );
            println!(
                "ratio (glexia / reference): {:.1}x by wall time, {:.1}x by CPU time",
                theirs.wall / ours.wall,
                theirs.cpu / ours.cpu
            );
        }
        Err(message) => println!("reference: not measured: {message}; glexia alone above"),
    }
    Ok(())
}

fn print_rate(name: &str, events: usize, queries: usize, runs: usize, timing: Timing) {
    println!(
        "{name}, median of {runs} runs: {:.3} s wall, {:.3} s CPU; \
         {:.0} events/s per query by wall time, {:.0} by CPU time",
        timing.wall,
        timing.cpu,
        rate(events, queries, timing.wall),
        rate(events, queries, timing.cpu),
    );
}

/// Prints the CPU time of each query, slowest first.
fn print_per_query(applicable: &[(String, Query)], documents: &[StoreDocument<'_>], runs: usize) {
    let mut times: Vec<(f64, &str)> = applicable
        .iter()
        .map(|(source, query)| {
            let timing = Timing::median_of(&time_glexia(&[query], documents, runs));
            (timing.cpu, source.as_str())
        })
        .collect();
    times.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (seconds, source) in &times {
        println!("{seconds:8.4} s CPU  {}", one_line(source));
    }
}

fn one_line(source: &str) -> String {
    source.split_whitespace().collect::<Vec<_>>().join(" ")
}
