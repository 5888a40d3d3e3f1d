//! Parses arbitrary text as an EQL query: the parser must return a query or an error, never
//! panic, overflow its stack or hang.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = glexia::eql::parse(text);
    }
});
