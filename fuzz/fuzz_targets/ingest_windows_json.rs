//! Parses arbitrary bytes as Windows events as flat JSON, Winlogbeat documents or Elasticsearch hits.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::WindowsJson, data);
});
