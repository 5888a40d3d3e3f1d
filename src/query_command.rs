//! `glexia query`: runs one EQL query over loaded logs, or over a JSON array of events, and
//! prints each match's events with their fields.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value as Json, json};

use crate::engine::StoreDocument;
use crate::eql::{self, Aggregate, Document, Match, Value};
use crate::ingest;
use crate::output;

/// Exit status when the query matched something.
pub const EXIT_MATCHED: u8 = 0;
/// Exit status when the query ran and matched nothing.
pub const EXIT_NO_MATCH: u8 = 1;
/// Exit status when the query is invalid or the events could not be loaded.
pub const EXIT_ERROR: u8 = 2;

/// The output formats of `glexia query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// One block of aligned lines per match.
    Table,
    /// One JSON document: an array of matches.
    Json,
    /// One JSON object per line, one line per match.
    Jsonl,
}

/// The unit of integer timestamps in `--events-json` input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TimestampUnit {
    /// Seconds since the Unix epoch.
    S,
    /// Milliseconds since the Unix epoch.
    Ms,
    /// Microseconds since the Unix epoch.
    Us,
    /// Nanoseconds since the Unix epoch.
    Ns,
    /// Windows FILETIME: 100-nanosecond ticks since 1601-01-01.
    Filetime,
}

/// The fields lineage expressions (`child of`, `descendant of`, `event of`) track
/// processes by in `--events-json` events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LineageFields {
    /// ECS: `process.entity_id`, else `process.pid` within `host.name`, with `event.type`
    /// `start` and `end`.
    Ecs,
    /// `unique_pid` and `unique_ppid` with `subtype` `create` and `terminate`, the fields of
    /// the reference implementation's test data.
    UniquePid,
}

/// Everything `glexia query` needs besides the query text.
#[derive(Clone, Debug)]
pub struct QueryRequest {
    /// The EQL query.
    pub query: String,
    /// Log files or folders to load through the ingest.
    pub paths: Vec<PathBuf>,
    /// A JSON file holding an array of event objects, read instead of or besides `paths`.
    pub events_json: Option<PathBuf>,
    /// The field of `events_json` events holding the event category.
    pub category_field: String,
    /// The field of `events_json` events holding the time.
    pub timestamp_field: String,
    /// The unit of integer times in `events_json`.
    pub timestamp_unit: TimestampUnit,
    /// The process fields of `events_json` events.
    pub lineage: LineageFields,
    /// The output format.
    pub format: QueryFormat,
    /// The zone and year of log timestamps written without them (`--tz`, `--year`).
    pub load_options: ingest::LoadOptions,
}

/// Windows FILETIME ticks at the Unix epoch.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// One event of `--events-json`: the object as read and its time in nanoseconds.
struct JsonEvent {
    json: Json,
    nanos: i64,
}

impl Document for JsonEvent {
    fn field(&self, dotted: &str) -> Option<Value<'_>> {
        self.json.field(dotted)
    }

    fn timestamp(&self) -> i64 {
        self.nanos
    }
}

/// Runs the request, printing matches to `out` and problems to `errors`, and returns the
/// exit status.
///
/// # Errors
///
/// Returns an error only when writing to `out` fails.
pub fn run(
    request: &QueryRequest,
    out: &mut dyn Write,
    errors: &mut dyn Write,
) -> std::io::Result<u8> {
    let query = match eql::parse(&request.query) {
        Ok(query) => query,
        Err(error) => {
            writeln!(errors, "glexia: {error}")?;
            return Ok(EXIT_ERROR);
        }
    };
    match &request.events_json {
        Some(path) => run_on_json(request, &query, path, out, errors),
        None => run_on_logs(request, &query, out, errors),
    }
}

fn run_on_json(
    request: &QueryRequest,
    query: &eql::Query,
    path: &Path,
    out: &mut dyn Write,
    errors: &mut dyn Write,
) -> std::io::Result<u8> {
    let events = match read_json_events(path, request) {
        Ok(events) => events,
        Err(message) => {
            writeln!(errors, "glexia: {message}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let lineage = match request.lineage {
        LineageFields::Ecs => eql::LineageOptions::ecs(),
        LineageFields::UniquePid => eql::LineageOptions::reference(),
    };
    let options = eql::Options {
        category_field: request.category_field.clone(),
        lineage,
        ..eql::Options::default()
    };
    let matches = match eql::execute(query, &events, &options) {
        Ok(matches) => matches,
        Err(error) => {
            writeln!(errors, "glexia: invalid query: {error}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let render = |index: usize| events.get(index).map_or(Json::Null, |e| e.json.clone());
    let summary = |index: usize| {
        events.get(index).map_or_else(String::new, |event| {
            let time = output::format_time(event.nanos);
            format!("{time}  {}", event.json)
        })
    };
    write_matches(out, request.format, &matches, &render, &summary)?;
    Ok(if matches.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_MATCHED
    })
}

/// Reads a JSON array of event objects and sorts it by time, keeping file order for ties.
fn read_json_events(path: &Path, request: &QueryRequest) -> Result<Vec<JsonEvent>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read '{}': {error}", path.display()))?;
    let records: Vec<Json> = serde_json::from_str(&text).map_err(|error| {
        format!(
            "invalid events file '{}': {error}; expected a JSON array of event objects",
            path.display()
        )
    })?;
    let mut events = Vec::with_capacity(records.len());
    for (number, json) in records.into_iter().enumerate() {
        if !json.is_object() {
            return Err(format!(
                "invalid events file '{}': element {number} is not an object",
                path.display()
            ));
        }
        let nanos = match json.field(&request.timestamp_field) {
            None | Some(Value::Null) => 0,
            Some(value) => to_nanos(&value, request.timestamp_unit).ok_or_else(|| {
                format!(
                    "invalid events file '{}': element {number} has '{}' = {value:?}, \
                     expected an RFC 3339 time or a whole number",
                    path.display(),
                    request.timestamp_field
                )
            })?,
        };
        events.push(JsonEvent { json, nanos });
    }
    events.sort_by_key(|event| event.nanos);
    Ok(events)
}

fn to_nanos(value: &Value, unit: TimestampUnit) -> Option<i64> {
    match value {
        Value::Int(number) => match unit {
            TimestampUnit::S => number.checked_mul(1_000_000_000),
            TimestampUnit::Ms => number.checked_mul(1_000_000),
            TimestampUnit::Us => number.checked_mul(1_000),
            TimestampUnit::Ns => Some(*number),
            TimestampUnit::Filetime => number
                .checked_sub(FILETIME_UNIX_EPOCH)
                .and_then(|ticks| ticks.checked_mul(100)),
        },
        Value::Str(text) => chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .and_then(|time| time.timestamp_nanos_opt()),
        _ => None,
    }
}

fn run_on_logs(
    request: &QueryRequest,
    query: &eql::Query,
    out: &mut dyn Write,
    errors: &mut dyn Write,
) -> std::io::Result<u8> {
    if request.paths.is_empty() {
        writeln!(
            errors,
            "glexia: no events to query; name log files or folders, or pass --events-json FILE"
        )?;
        return Ok(EXIT_ERROR);
    }
    let cancel = AtomicBool::new(false);
    let (store, report) =
        ingest::load_with(&request.paths, &request.load_options, &|_| {}, &cancel);
    output::warn_unmatched_patterns(&request.load_options, &report, errors)?;
    let documents: Vec<StoreDocument<'_>> = (0..store.len())
        .map(|index| StoreDocument::new(&store, index))
        .collect();
    let matches = match eql::execute(query, &documents, &eql::Options::default()) {
        Ok(matches) => matches,
        Err(error) => {
            writeln!(errors, "glexia: invalid query: {error}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let render = |index: usize| output::event_json(&store, index);
    let summary = |index: usize| {
        let Some(event) = store.events().get(index) else {
            return String::new();
        };
        let time = output::format_time(event.timestamp);
        let subject = output::event_subject(&store, index);
        format!("{time}  {}  {subject}", store.log_source(index))
    };
    write_matches(out, request.format, &matches, &render, &summary)?;

    let totals = &report.totals;
    for file in &report.files {
        for problem in &file.errors {
            let path = file.path.display();
            writeln!(
                errors,
                "glexia: {path}: {}: {}",
                problem.location, problem.message
            )?;
        }
    }
    let failed = totals.files_failed > 0 || totals.records_skipped > 0;
    Ok(if failed {
        EXIT_ERROR
    } else if matches.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_MATCHED
    })
}

fn aggregate_json(aggregate: &Aggregate) -> Map<String, Json> {
    let mut fields = Map::new();
    if let Some(key) = &aggregate.key {
        fields.insert("key".to_string(), value_json(key));
    }
    fields.insert("count".to_string(), json!(aggregate.count));
    if let Some(percent) = aggregate.percent {
        fields.insert("percent".to_string(), json!(percent));
    }
    if !aggregate.hosts.is_empty() {
        fields.insert("hosts".to_string(), json!(aggregate.hosts));
        fields.insert("total_hosts".to_string(), json!(aggregate.hosts.len()));
    }
    fields
}

fn value_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(value) => json!(value),
        Value::Int(value) => json!(value),
        Value::Float(value) => json!(value),
        Value::Str(text) => json!(text),
        Value::List(items) => Json::Array(items.iter().map(value_json).collect()),
        Value::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, value)| (key.to_string(), value_json(value)))
                .collect(),
        ),
    }
}

fn match_json(found: &Match, render: &dyn Fn(usize) -> Json) -> Json {
    let mut object = Map::new();
    if !found.join_keys.is_empty() {
        let keys = found.join_keys.iter().map(value_json).collect();
        object.insert("join_keys".to_string(), Json::Array(keys));
    }
    if let Some(aggregate) = &found.aggregate {
        object.extend(aggregate_json(aggregate));
    }
    let events = found.events.iter().map(|&index| render(index)).collect();
    object.insert("events".to_string(), Json::Array(events));
    Json::Object(object)
}

fn write_matches(
    out: &mut dyn Write,
    format: QueryFormat,
    matches: &[Match],
    render: &dyn Fn(usize) -> Json,
    summary: &dyn Fn(usize) -> String,
) -> std::io::Result<()> {
    match format {
        QueryFormat::Json => {
            let all: Vec<Json> = matches
                .iter()
                .map(|found| match_json(found, render))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)?;
        }
        QueryFormat::Jsonl => {
            for found in matches {
                serde_json::to_writer(&mut *out, &match_json(found, render))?;
                writeln!(out)?;
            }
        }
        QueryFormat::Table => {
            for (number, found) in matches.iter().enumerate() {
                write!(out, "match {}", number + 1)?;
                if !found.join_keys.is_empty() {
                    let keys: Vec<String> = found
                        .join_keys
                        .iter()
                        .map(|key| value_json(key).to_string())
                        .collect();
                    write!(out, "  by {}", keys.join(", "))?;
                }
                if let Some(aggregate) = &found.aggregate {
                    write!(out, "  {}", Json::Object(aggregate_json(aggregate)))?;
                }
                writeln!(out)?;
                for &index in &found.events {
                    writeln!(out, "  {}", sanitize(&summary(index)))?;
                }
            }
            let noun = if matches.len() == 1 {
                "match"
            } else {
                "matches"
            };
            writeln!(out, "{} {noun}", matches.len())?;
        }
    }
    Ok(())
}

/// Replaces control characters, so text from logs cannot drive the terminal.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}
