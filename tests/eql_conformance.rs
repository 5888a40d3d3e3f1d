//! Runs the reference implementation's conformance queries (`test_queries.toml` over
//! `test_data.json`, from the `eql` package's sources) through our EQL evaluator.
//!
//! Each query runs in every case mode it names, as the reference test suite runs it, with
//! lineage tracked by `unique_pid` and `unique_ppid`. Any failing run fails the test, so a
//! query that cannot pass must be listed here with the reason it differs from the reference
//! (none is today). The data lives beside the repository in `../shared/data/eql`; without it
//! the test prints that it skips and passes.

use std::path::{Path, PathBuf};

use glexia::eql::{Document, LineageOptions, Options, Value, execute, parse};

/// The number of queries that pass today (all of them); a drop means a regression.
const MIN_PASSING: usize = 200;

/// Windows FILETIME ticks (100 ns since 1601-01-01) at the Unix epoch.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// A conformance event: the JSON record and its time converted from FILETIME ticks.
struct TestEvent {
    json: serde_json::Value,
    nanos: i64,
}

impl Document for TestEvent {
    fn field(&self, dotted: &str) -> Option<Value<'_>> {
        self.json.field(dotted)
    }

    fn timestamp(&self) -> i64 {
        self.nanos
    }
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/eql")
}

fn load_events(dir: &Path) -> Vec<TestEvent> {
    let text = std::fs::read_to_string(dir.join("test_data.json")).unwrap();
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    records
        .into_iter()
        .map(|json| {
            let ticks = json["timestamp"].as_i64().unwrap();
            let nanos = (ticks - FILETIME_UNIX_EPOCH).checked_mul(100).unwrap();
            TestEvent { json, nanos }
        })
        .collect()
}

/// Runs one query and returns the `serial_event_id` of each result event, in order.
fn run(source: &str, events: &[TestEvent], options: &Options) -> Result<Vec<i64>, String> {
    let query = parse(source).map_err(|error| format!("parse error: {error}"))?;
    let matches = execute(&query, events, options).map_err(|error| error.to_string())?;
    Ok(matches
        .iter()
        .flat_map(|found| &found.events)
        .map(|&index| events[index].json["serial_event_id"].as_i64().unwrap())
        .collect())
}

/// Lists the case modes the reference test suite runs a query in. A query marked neither
/// `case_sensitive` nor `case_insensitive` runs in both, otherwise in each mode marked true.
fn case_modes(entry: &toml::Value) -> Vec<bool> {
    let flag = |name: &str| entry.get(name).and_then(toml::Value::as_bool);
    let (sensitive, insensitive) = (flag("case_sensitive"), flag("case_insensitive"));
    if sensitive.is_none() && insensitive.is_none() {
        return vec![true, false];
    }
    let mut modes = Vec::new();
    if sensitive == Some(true) {
        modes.push(true);
    }
    if insensitive == Some(true) {
        modes.push(false);
    }
    modes
}

fn options(case_sensitive: bool) -> Options {
    Options {
        category_field: "event_type".to_string(),
        case_sensitive_equals: case_sensitive,
        lineage: LineageOptions::reference(),
        host_field: "hostname".to_string(),
        ..Options::default()
    }
}

#[test]
fn reference_queries_pass() {
    let dir = data_dir();
    if !dir.join("test_queries.toml").exists() {
        println!("skipping: no EQL conformance data at {}", dir.display());
        return;
    }
    let events = load_events(&dir);
    let text = std::fs::read_to_string(dir.join("test_queries.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let queries = table["queries"].as_array().unwrap();

    let mut passing = 0;
    let mut runs = 0;
    let mut failures = Vec::new();
    for (number, entry) in queries.iter().enumerate() {
        let source = entry["query"].as_str().unwrap();
        let expected: Vec<i64> = entry["expected_event_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_integer().unwrap())
            .collect();
        let modes = case_modes(entry);
        assert!(!modes.is_empty(), "query #{number} names no case mode");
        let mut all_passed = true;
        for case_sensitive in modes {
            runs += 1;
            let mode = if case_sensitive {
                "case-sensitive"
            } else {
                "case-insensitive"
            };
            match run(source, &events, &options(case_sensitive)) {
                Ok(found) if found == expected => {}
                Ok(found) => {
                    all_passed = false;
                    failures.push(format!(
                        "#{number} ({mode}): {}\n    expected {expected:?}\n    found    {found:?}",
                        source.trim()
                    ));
                }
                Err(error) => {
                    all_passed = false;
                    failures.push(format!(
                        "#{number} ({mode}): {}\n    {error}",
                        source.trim()
                    ));
                }
            }
        }
        if all_passed {
            passing += 1;
        }
    }

    for failure in &failures {
        println!("{failure}");
    }
    println!(
        "{passing} of {} conformance queries pass in every case mode they name ({runs} runs)",
        queries.len()
    );
    assert!(failures.is_empty(), "{} runs failed", failures.len());
    assert!(
        passing >= MIN_PASSING,
        "only {passing} conformance queries pass, fewer than the pinned {MIN_PASSING}"
    );
}
