//! The macOS analytics over the public recordings beside the repository.
//!
//! Those recordings are Elastic Endpoint events (`macos:endpointsecurity`); none is a unified
//! log or an osquery result, which is all these analytics read. The test pins that they stay
//! quiet over every recording, and that every macOS event loaded is an Endpoint Security one,
//! so the silence means missing data rather than a missed attack.

mod common;

use glexia::engine::{self, Setup};

const MACOS_ANALYTICS: [&str; 5] = ["AN0749", "AN0752", "AN0761", "AN0766", "AN0769"];

#[test]
fn quiet_without_unified_log() {
    let Some(dir) = common::data_dir("") else {
        return;
    };
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");

    let result = engine::scan(&setup, &[dir]);

    for id in MACOS_ANALYTICS {
        assert!(
            !result.findings.iter().any(|f| f.analytic == id),
            "{id} fired on the public recordings"
        );
    }
    let store = &result.store;
    let macos_sources: Vec<&str> = (0..store.len())
        .map(|i| store.log_source(i))
        .filter(|source| source.starts_with("macos:"))
        .collect();
    assert!(!macos_sources.is_empty(), "the macOS recordings loaded");
    assert!(
        macos_sources
            .iter()
            .all(|source| *source == "macos:endpointsecurity"),
        "{macos_sources:?}"
    );
}
