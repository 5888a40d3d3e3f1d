//! Helpers shared by the tests of the cloud, ESXi and network-device analytics: scanning a
//! folder with tuned analytics and listing the chains an analytic found.

#![allow(dead_code)] // Each test crate uses only some of the helpers.

use std::path::{Path, PathBuf};

use glexia::engine::{self, ScanResult, Setup};

/// Scans `samples/<folder>` with every built-in analytic, after setting each
/// `(analytic, tunable, value)` of `tuning`, and checks that the load had no errors.
pub fn scan(folder: &str, tuning: &[(&str, &str, &str)]) -> ScanResult {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(folder);
    let result = scan_path(&path, tuning);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert_eq!(result.report.totals.records_skipped, 0);
    result
}

/// Scans `path` with every built-in analytic, after setting each `(analytic, tunable, value)`
/// of `tuning`.
pub fn scan_path(path: &Path, tuning: &[(&str, &str, &str)]) -> ScanResult {
    let mut setup = Setup::load(None, &[]).expect("built-in catalog loads");
    assert!(setup.problems.is_empty(), "{:?}", setup.problems);
    for (id, name, value) in tuning {
        let analytic = setup
            .analytics
            .iter_mut()
            .find(|a| a.id == *id)
            .unwrap_or_else(|| panic!("{id} ships"));
        analytic
            .set_tunable(name, value)
            .unwrap_or_else(|e| panic!("{id} {name}={value}: {e}"));
    }
    engine::scan(&setup, &[path.to_owned()])
}

/// Lists each chain of `analytic` as its steps' `(file name, record)`, in order.
pub fn chains(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, u64)>> {
    let store = &result.store;
    let Some(finding) = result.findings.iter().find(|f| f.analytic == analytic) else {
        return Vec::new();
    };
    finding
        .chains
        .iter()
        .map(|chain| {
            chain
                .steps
                .iter()
                .map(|step| {
                    let event = &store.events()[step.event];
                    let path = store.file_path(event.origin().file).expect("known file");
                    let name = path.file_name().expect("file name");
                    (name.to_string_lossy().into_owned(), event.origin().record)
                })
                .collect()
        })
        .collect()
}

/// Lists the join keys of each chain of `analytic`, as `(field, value)`.
pub fn join_keys(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, String)>> {
    let Some(finding) = result.findings.iter().find(|f| f.analytic == analytic) else {
        return Vec::new();
    };
    finding
        .chains
        .iter()
        .map(|chain| {
            chain
                .join_keys
                .iter()
                .map(|k| (k.field.clone(), k.value.clone()))
                .collect()
        })
        .collect()
}

/// Builds the expected steps of one chain from `(file name, record)` pairs.
pub fn steps(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(f, r)| ((*f).to_owned(), *r)).collect()
}
