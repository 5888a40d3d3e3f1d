//! Writes arbitrary bytes to a temporary file and loads it the way `glexia scan` does: content
//! detection, the detected format's parser and the load report.

#![no_main]

use std::io::Read;
use std::sync::atomic::AtomicBool;

use glexia::ingest::{DETECT_PREFIX_LEN, FileStatus, detect, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let prefix = content_prefix(data);
    let format = detect(&prefix);

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

/// Returns the first [`DETECT_PREFIX_LEN`] bytes of the file's content, which the loader
/// detects the format from. For gzip (magic bytes 1f 8b) that is the decompressed text, up to
/// the end of the stream or the first decompression error.
fn content_prefix(data: &[u8]) -> Vec<u8> {
    if !data.starts_with(&[0x1f, 0x8b]) {
        return data[..data.len().min(DETECT_PREFIX_LEN)].to_vec();
    }
    let mut decoder = flate2::read::MultiGzDecoder::new(data).take(DETECT_PREFIX_LEN as u64);
    let mut prefix = Vec::new();
    let mut buffer = [0u8; 512];
    loop {
        match decoder.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => prefix.extend_from_slice(&buffer[..read]),
        }
    }
    prefix
}
