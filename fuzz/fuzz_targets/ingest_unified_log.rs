//! Parses arbitrary bytes as macOS unified log JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::UnifiedLog, data);
});
