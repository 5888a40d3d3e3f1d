//! Checks the benchmark's EVTX encoder: the evtx crate reads every generated record back as
//! the JSON it came from, and Glexia loads the same events from the EVTX and the JSON lines.

#[path = "../examples/bench/evtx_writer.rs"]
mod evtx_writer;
#[allow(dead_code)] // The tests use only the generator's entry point.
#[path = "../examples/bench/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::store::EventStore;
use serde_json::Value;

/// Generates a small benchmark input and its EVTX copy; returns the two folders.
fn generate_both(root: &Path, events: u64) -> (PathBuf, PathBuf) {
    generate_plan(root, generate::Plan::for_events(events))
}

/// Generates the input of `plan` and its EVTX copy; returns the two folders.
fn generate_plan(root: &Path, plan: generate::Plan) -> (PathBuf, PathBuf) {
    let jsonl = root.join("jsonl");
    let evtx = root.join("evtx");
    std::fs::create_dir_all(&jsonl).unwrap();
    std::fs::create_dir_all(&evtx).unwrap();
    generate::generate(&jsonl, plan, 42).unwrap();
    let converted = evtx_writer::convert_dir(&jsonl, &evtx).unwrap();
    let lines: usize = evtx_dump_files(&jsonl)
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap().lines().count())
        .sum();
    assert_eq!(converted.records, lines as u64);
    (jsonl, evtx)
}

/// Lists the evtx_dump-style files of `dir`, the ones converted to EVTX.
fn evtx_dump_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = files_with(dir, "jsonl");
    files.retain(|path| evtx_writer::is_evtx_dump_file(path));
    assert!(
        !files.is_empty(),
        "no evtx_dump-style file in {}",
        dir.display()
    );
    files
}

fn files_with(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// Replaces `TimeCreated.SystemTime` with its instant in nanoseconds. evtx_dump writes FILETIME
/// with seven fraction digits (100 ns ticks) where the generator writes six.
fn normalize_time(record: &mut Value) {
    let time = &mut record["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"];
    let text = time.as_str().unwrap().to_owned();
    let instant = chrono::DateTime::parse_from_rfc3339(&text)
        .unwrap_or_else(|e| panic!("SystemTime '{text}' is not RFC 3339: {e}"));
    *time = Value::from(instant.timestamp_nanos_opt().unwrap());
}

#[test]
fn evtx_crate_reads_records_back() {
    let root = tempfile::tempdir().unwrap();
    // Enough events that the larger files span several chunks.
    let (jsonl_dir, evtx_dir) = generate_both(root.path(), 12_000);
    let mut multi_chunk_files = 0;
    for jsonl in evtx_dump_files(&jsonl_dir) {
        let evtx = evtx_dir.join(jsonl.with_extension("evtx").file_name().unwrap());
        let expected: Vec<Value> = std::fs::read_to_string(&jsonl)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let settings = evtx::ParserSettings::new()
            .separate_json_attributes(false)
            .num_threads(1);
        let mut parser = evtx::EvtxParser::from_path(&evtx)
            .unwrap()
            .with_configuration(settings);
        let header = parser.header();
        assert!(
            header.validate_checksum(),
            "{}: header CRC32",
            evtx.display()
        );
        if header.chunk_count > 1 {
            multi_chunk_files += 1;
        }
        let mut read = 0;
        for (index, record) in parser.records_json_value().enumerate() {
            let record =
                record.unwrap_or_else(|e| panic!("{} record {index}: {e}", evtx.display()));
            let mut source = expected[index].clone();
            let id = source["Event"]["System"]["EventRecordID"].as_u64().unwrap();
            assert_eq!(
                record.event_record_id,
                id,
                "{} record {index}",
                evtx.display()
            );
            let mut data = record.data;
            normalize_time(&mut data);
            normalize_time(&mut source);
            assert_eq!(data, source, "{} record {index}", evtx.display());
            read += 1;
        }
        assert_eq!(read, expected.len(), "{}: records read", evtx.display());
    }
    assert!(multi_chunk_files > 0, "no file spans more than one chunk");
}

#[test]
fn evtx_crate_validates_chunk_checksums() {
    let root = tempfile::tempdir().unwrap();
    let (_, evtx_dir) = generate_both(root.path(), 3_000);
    for evtx in files_with(&evtx_dir, "evtx") {
        let mut parser = evtx::EvtxParser::from_path(&evtx).unwrap();
        for chunk in parser.chunks() {
            let chunk = chunk.unwrap();
            assert!(chunk.validate_header_checksum(), "{}", evtx.display());
            assert!(chunk.validate_data_checksum(), "{}", evtx.display());
        }
    }
}

/// Renders each event as its log source, time, record number and sorted fields, then sorts the
/// events. The record number is the EventRecordID for EVTX and the 1-based line for JSON lines,
/// which agree here because the generator numbers each file's records from 1.
fn canonical_events(store: &EventStore) -> Vec<String> {
    let mut events: Vec<String> = store
        .events()
        .iter()
        .map(|event| {
            let mut fields: Vec<String> = store
                .fields(event)
                .map(|(name, value)| {
                    let name = store.strings.resolve(name);
                    format!("{name}={:?}", value.resolve(&store.strings))
                })
                .collect();
            fields.sort();
            format!(
                "{} {} {} {}",
                store.strings.resolve(event.log_source),
                event.timestamp,
                event.origin().record,
                fields.join(" ")
            )
        })
        .collect();
    events.sort();
    events
}

#[test]
fn glexia_loads_same_events_from_both() {
    let root = tempfile::tempdir().unwrap();
    let (jsonl_dir, evtx_dir) = generate_both(root.path(), 6_000);
    let cancel = AtomicBool::new(false);
    let (from_jsonl, jsonl_report) =
        glexia::ingest::load(&evtx_dump_files(&jsonl_dir), &|_| {}, &cancel);
    let (from_evtx, evtx_report) = glexia::ingest::load(&[evtx_dir], &|_| {}, &cancel);
    assert_eq!(evtx_report.totals.errors, 0, "{:?}", evtx_report.files);
    assert_eq!(jsonl_report.totals.errors, 0);
    assert_eq!(from_evtx.len(), from_jsonl.len());
    let jsonl_events = canonical_events(&from_jsonl);
    let evtx_events = canonical_events(&from_evtx);
    assert!(!evtx_events.is_empty());
    for (index, (evtx, jsonl)) in evtx_events.iter().zip(&jsonl_events).enumerate() {
        assert_eq!(evtx, jsonl, "event {index} in sorted order");
    }
}

#[test]
fn bad_record_names_file_and_line() {
    let root = tempfile::tempdir().unwrap();
    let jsonl = root.path().join("bad.jsonl");
    std::fs::write(
        &jsonl,
        "{\"Event\":{\"System\":{\"EventRecordID\":1,\"TimeCreated\":{\"#attributes\":\
         {\"SystemTime\":\"2026-11-02T00:00:00.000000Z\"}}}}}\n{\"Event\":{\"System\":{}}}\n",
    )
    .unwrap();
    let error = evtx_writer::convert_file(&jsonl, &root.path().join("bad.evtx")).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("bad.jsonl line 2"), "{message}");
    assert!(message.contains("EventRecordID"), "{message}");
}

#[test]
fn evtx_copies_hold_expected_chains() {
    let root = tempfile::tempdir().unwrap();
    // Six Windows hosts, two of them ECS, and three stories: the stories' Windows chains land on
    // ECS hosts for some analytics and on evtx_dump-style hosts for others.
    let plan = generate::Plan {
        events: 30_000,
        hosts: 4,
        ecs_hosts: 2,
        linux_hosts: 2,
        instances: 8,
        stories: 3,
    };
    let expected = plan.expected_in_evtx_dump_files();
    assert_eq!(expected, [("AN0750", 1), ("AN0764", 1), ("AN0767", 3)]);
    let (_, evtx_dir) = generate_plan(root.path(), plan);
    let setup = glexia::engine::Setup::load(None, &[]).unwrap();
    let result = glexia::engine::scan(&setup, &[evtx_dir]);
    let mut found: Vec<(String, u64)> = result
        .findings
        .iter()
        .map(|finding| (finding.analytic.clone(), finding.chains.len() as u64))
        .collect();
    found.sort();
    let expected: Vec<(String, u64)> = expected
        .iter()
        .map(|(id, chains)| ((*id).to_owned(), *chains))
        .collect();
    assert_eq!(found, expected);
}
