//! Inputs that the fuzz targets under `fuzz/` found to crash or to break a promise, each fed
//! through the same API as the target that found it, with the exact outcome it must have now.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, FileStatus, Format, Location};
use glexia::sigma::{Placeholders, ProblemKind, RuleSet};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Returns the first record of the hand-written Google Cloud audit sample, decompressed.
fn gcp_audit_record() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cloud/gcp-audit.ndjson.gz");
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut text)
        .unwrap();
    let end = text.iter().position(|&b| b == b'\n').unwrap();
    text[..=end].to_vec()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A gzip file cut short inside its first 4096 decompressed bytes was reported as unreadable
/// with format `unknown`, although the text before the cut is a Google Cloud audit record:
/// detection from the content's prefix and from the file disagreed. It is now detected from
/// the text before the cut, and the records in that text load.
#[test]
fn truncated_gzip_detects_decompressed_prefix() {
    let record = gcp_audit_record();
    let mut content = record.clone();
    content.extend_from_slice(&record);
    let mut packed = gzip(&content);
    // Drop the 8-byte trailer and some of the deflate stream, as a cut-off copy would.
    packed.truncate(packed.len() - 20);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cut.ndjson.gz", &packed);

    assert_eq!(ingest::detect_file(&path).unwrap(), Format::GcpAudit);

    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );
    let file = &report.files[0];
    assert_eq!(file.path, path);
    assert_eq!(file.format, Format::GcpAudit);
    assert_eq!(file.status, FileStatus::Loaded);
    // The first record decompressed whole and loads; the second is cut in two and skipped.
    assert_eq!(store.len(), 1);
    assert_eq!(file.records_read, 2);
    assert_eq!(file.errors.len(), 2);
    assert_eq!(file.errors[0].location, Location::File);
    assert!(
        file.errors[0].message.contains("cut short"),
        "{}",
        file.errors[0].message
    );
}

/// A gzip file whose header is cut short decompresses to nothing, so it stays unreadable.
#[test]
fn gzip_header_only_is_unreadable() {
    let packed = gzip(&gcp_audit_record());
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "header.gz", &packed[..6]);

    assert!(ingest::detect_file(&path).is_err());
    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );
    let file = &report.files[0];
    assert_eq!(file.format, Format::Unknown);
    assert_eq!(file.status, FileStatus::Failed);
    assert_eq!(store.len(), 0);
    assert_eq!(file.errors.len(), 1);
    assert!(
        file.errors[0].message.starts_with("cannot read file: "),
        "{}",
        file.errors[0].message
    );
}

/// A rule file that ends inside an unfinished mapping, without a final line break, reported
/// its YAML error at line 8 of a 7-line file. The parser had placed the end of the input on
/// the line after the last one. The bytes are the fuzzer's mutation of a test rule.
#[test]
fn sigma_yaml_error_at_end_names_last_line() {
    let bytes = b"# A rule with an `expand` place>holder, writte# Detection rules for tests/sigm)a_rules.rs, written foor: Glexia tests\nstatus: test\nlevel: high\ntags:\n    - atesDescrts/sigma_cli.rs.\ntitle: Administrator logon on exe'\na w  ";
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "rule.yml", bytes);

    let set = RuleSet::load(std::slice::from_ref(&path), &Placeholders::new());

    assert_eq!(set.files, 1);
    assert!(set.is_empty());
    assert_eq!(set.problems.len(), 1);
    let problem = &set.problems[0];
    assert_eq!(problem.problem.kind, ProblemKind::Error);
    assert_eq!(problem.problem.line, 7);
    assert_eq!(
        problem.problem.message,
        "invalid YAML at line 7, column 6: simple key expected"
    );
    assert_eq!(
        problem.to_string(),
        format!(
            "{}:7: error: invalid YAML at line 7, column 6: simple key expected",
            path.display()
        )
    );
}
