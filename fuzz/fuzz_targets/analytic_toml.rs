//! Loads arbitrary text as an executable analytic file: TOML parsing, tunable substitution and
//! the query parse must end in an analytic or an error.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = glexia::analytics::Analytic::from_toml(Path::new("fuzz/AN0000.toml"), text);
    }
});
