//! The load's memory limit: files that would take the store past it are reported, not loaded.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, FileStatus, LoadOptions, LoadReport};
use glexia::store::EventStore;

/// Writes a file of `count` evtx_dump JSON lines, Security 4688 events on `host`.
fn write_events(dir: &Path, name: &str, host: &str, count: u64) -> PathBuf {
    let lines: Vec<String> = (1..=count)
        .map(|id| {
            format!(
                concat!(
                    r#"{{"Event":{{"System":{{"EventID":4688,"EventRecordID":{id},"#,
                    r##""TimeCreated":{{"#attributes":{{"SystemTime":"2024-01-01T00:00:{s:02}Z"}}}},"##,
                    r#""Channel":"Security","Computer":"{host}"}},"#,
                    r#""EventData":{{"NewProcessName":"C:\\Windows\\p{id}.exe"}}}}}}"#
                ),
                id = id,
                s = id % 60,
                host = host
            )
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn load(paths: &[PathBuf], memory_limit: Option<u64>) -> (EventStore, LoadReport) {
    let options = LoadOptions {
        memory_limit,
        ..LoadOptions::default()
    };
    ingest::load_with(paths, &options, &|_| {}, &AtomicBool::new(false))
}

#[test]
fn files_past_memory_limit_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    // More files than one parse batch contains (two per worker thread), so the last ones are
    // refused before parsing.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let count = 2 * threads.max(2) + 4;
    let mut files: Vec<PathBuf> = (0..count)
        .map(|n| write_events(dir.path(), &format!("f{n:03}.json"), &format!("h{n}"), 50))
        .collect();
    files.push(dir.path().join("notes.txt"));
    std::fs::write(files.last().unwrap(), "not a log\n").unwrap();

    let (first_alone, _) = load(&files[..1], None);
    let limit = first_alone.heap_bytes() as u64;
    let (store, report) = load(&[dir.path().to_path_buf()], Some(limit));

    assert_eq!(store.len(), 50);
    assert!(store.heap_bytes() as u64 <= limit);
    let first = &report.files[0];
    assert_eq!(first.status, FileStatus::Loaded);
    assert_eq!(first.events_loaded, 50);
    for file in &report.files[1..count] {
        assert_eq!(file.status, FileStatus::Failed, "{}", file.path.display());
        assert_eq!(file.events_loaded, 0);
        assert_eq!(file.records_skipped, file.records_read);
        let message = &file.errors[0].message;
        assert!(message.contains("memory limit"), "{message}");
        assert!(message.contains("--memory-limit"), "{message}");
    }
    // Files parsed in the same batch as the first still count their records.
    assert_eq!(report.files[1].records_read, 50);
    // Files after the batch were not parsed at all.
    assert_eq!(report.files[count - 1].records_read, 0);
    // An unsupported file keeps its own reason.
    let notes = report.files.last().unwrap();
    assert_eq!(notes.status, FileStatus::Skipped);
    assert!(!notes.errors[0].message.contains("memory limit"));
}

#[test]
fn no_memory_limit_loads_everything() {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..3 {
        write_events(dir.path(), &format!("f{n}.json"), "h", 40);
    }
    let (store, report) = load(&[dir.path().to_path_buf()], None);
    assert_eq!(store.len(), 120);
    assert!(report.files.iter().all(|f| f.status == FileStatus::Loaded));
    // The estimate counts at least the events' fixed part and grows with them.
    assert!(store.heap_bytes() > 120 * std::mem::size_of::<glexia::store::Event>());
}
