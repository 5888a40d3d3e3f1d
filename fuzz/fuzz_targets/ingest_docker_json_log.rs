//! Parses arbitrary bytes as container output written by Docker's `json-file` log driver.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::DockerJsonLog, data);
});
