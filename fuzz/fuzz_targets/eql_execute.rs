//! Parses arbitrary text as an EQL query and runs it over a fixed set of JSON events, so the
//! compiler, functions, sequences and pipes see every query the parser accepts.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Process, network and file events from two hosts, a few seconds apart, with values of every
/// JSON type, so comparisons, joins and `maxspan` all have something to work on.
fn events() -> &'static [Value] {
    static EVENTS: OnceLock<Vec<Value>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        vec![
            json!({"timestamp": 1_000_000_000_i64, "event": {"category": "process"},
                "host": {"name": "ws1"}, "user": {"name": "alice"},
                "process": {"name": "cmd.exe", "pid": 10, "args": ["/c", "whoami"],
                    "command_line": "cmd.exe /c whoami", "parent": {"name": "explorer.exe"}}}),
            json!({"timestamp": 2_000_000_000_i64, "event": {"category": ["network"]},
                "host": {"name": "ws1"}, "process": {"pid": 10},
                "destination": {"ip": "10.0.0.5", "port": 445}, "ratio": 0.5}),
            json!({"timestamp": 3_000_000_000_i64, "event": {"category": "file"},
                "host": {"name": "ws2"}, "file": {"path": "C:\\Temp\\a.ps1", "size": null},
                "flag": true, "user": {"name": "ALICE"}}),
            json!({"timestamp": 3_000_000_000_i64, "event": {"category": "process"},
                "host": {"name": "ws2"}, "process": {"name": "powershell.exe", "pid": -1}}),
            json!({"@timestamp": "2020-01-01T00:00:05Z", "event": {"category": "registry"},
                "registry": {"path": "HKLM\\Software\\Run"}, "a.b": {"c": "dotted"}}),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = glexia::eql::parse(text) else {
        return;
    };
    for case_sensitive_equals in [false, true] {
        let options = glexia::eql::Options {
            case_sensitive_equals,
            ..Default::default()
        };
        let _ = glexia::eql::execute(&query, events(), &options);
    }
});
