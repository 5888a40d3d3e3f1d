//! Helpers shared by the ingest tests: finding the public sample data, loading, and picking
//! one file's report and events.

#![allow(dead_code)] // Each test crate uses only some of the helpers.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, FileReport, LoadReport};
use glexia::store::EventStore;

/// Returns the sample data folder `name` beside the repository, or `None` after a message
/// saying the tests that need it skip.
pub fn data_dir(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: sample directory {} not found", dir.display());
        None
    }
}

/// Loads `paths` with default options and no progress reports.
pub fn load(paths: &[PathBuf]) -> (EventStore, LoadReport) {
    ingest::load(paths, &|_| {}, &AtomicBool::new(false))
}

/// Returns the report of the file called `name`; panics when the load has no such file.
pub fn file_report<'a>(report: &'a LoadReport, name: &str) -> &'a FileReport {
    report
        .files
        .iter()
        .find(|f| f.path.file_name().is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not in report"))
}

/// Returns the indexes of the events of the file called `name`, in store (time) order.
pub fn events_of(store: &EventStore, name: &str) -> Vec<usize> {
    let file = store
        .files
        .iter()
        .position(|f| f.path.file_name().is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not in store"));
    (0..store.len())
        .filter(|&i| store.events()[i].origin().file as usize == file)
        .collect()
}
