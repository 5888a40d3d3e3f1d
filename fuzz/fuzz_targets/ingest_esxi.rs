//! Parses arbitrary bytes as ESXi and vCenter log lines.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::Esxi, data);
});
