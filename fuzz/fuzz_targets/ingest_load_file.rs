//! Writes arbitrary bytes to a temporary file and loads it the way `glexia scan` does: content
//! detection, the detected format's parser and the load report.

#![no_main]

use std::sync::atomic::AtomicBool;

use glexia::ingest::{DETECT_PREFIX_LEN, FileStatus, detect, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let prefix = &data[..data.len().min(DETECT_PREFIX_LEN)];
    let format = detect(prefix);

    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("input.log");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let (store, report) = load(&[path], &|_| {}, &AtomicBool::new(false));

    assert_eq!(report.files.len(), 1);
    let file = &report.files[0];
    assert_eq!(
        file.format, format,
        "detection from the prefix and from the file disagree"
    );
    // The loader turns a parser panic into a failed file, so the message is checked here to
    // make the fuzzer report the panic as a crash.
    for error in &file.errors {
        assert!(
            !error.message.starts_with("parser failed unexpectedly"),
            "{}",
            error.message
        );
    }
    if file.status == FileStatus::Loaded {
        assert_eq!(file.events_loaded + file.records_skipped, file.records_read);
        assert_eq!(store.len() as u64, file.events_loaded);
    }
});
