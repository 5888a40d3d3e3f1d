//! Parses arbitrary bytes as Microsoft 365 unified audit log JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::M365Audit, data);
});
