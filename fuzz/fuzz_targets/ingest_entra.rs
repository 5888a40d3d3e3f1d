//! Parses arbitrary bytes as Entra ID audit and sign-in records.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(glexia::ingest::Format::EntraId, data);
});
