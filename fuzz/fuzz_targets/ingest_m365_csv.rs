//! Parses arbitrary bytes as a Microsoft 365 audit log CSV export.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::M365Csv, data);
});
