//! Lists the analytic files under `analytics/` so the binary embeds every one of them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let analytics = root.join("analytics");
    println!("cargo:rerun-if-changed=analytics");
    let mut files = Vec::new();
    collect(&analytics, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for file in &files {
        let relative = file
            .strip_prefix(root)
            .expect("analytic files lie under the manifest directory");
        let relative = relative.to_string_lossy().replace('\\', "/");
        let absolute = file.to_string_lossy();
        writeln!(out, "    ({relative:?}, include_str!({absolute:?})),").expect("write to String");
    }
    out.push(']');
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("builtin_analytics.rs"), out).expect("write the analytics list");
}

/// Adds every `*.toml` below `dir` to `files`, leaving out the ATT&CK catalog folder.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "attack") {
                collect(&path, files);
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
}
