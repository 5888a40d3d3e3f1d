//! Parses arbitrary bytes as `docker events --format '{{json .}}'` output.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::DockerEvents, data);
});
