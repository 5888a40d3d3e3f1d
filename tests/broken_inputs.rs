//! Loads broken and hostile inputs, each built at test time in a temporary directory, and
//! checks the outcome the loader promises for every one of them: no panic, no hang, a report
//! entry naming the file and the record's location, the good records before and after the bad
//! one still loaded, and records read = events loaded + records skipped.
//!
//! EVTX cases that need a real file derive it from the public sample logs beside the
//! repository and skip with a message when they are absent. No copy of those files is kept.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::Duration;

use glexia::ingest::{self, FileReport, FileStatus, Format, LoadOptions, LoadReport, Location};
use glexia::store::{EventStore, ValueRef};

/// How long one load may take before the test calls it a hang. The largest input here is
/// 20 MB of JSON, which loads in well under a second in a release build.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Loads `paths` on another thread and fails the test if it does not finish in time.
fn load_with(paths: &[PathBuf], options: LoadOptions) -> (EventStore, LoadReport) {
    let (sender, receiver) = mpsc::channel();
    let paths = paths.to_vec();
    std::thread::spawn(move || {
        let outcome = ingest::load_with(&paths, &options, &|_| {}, &AtomicBool::new(false));
        let _ = sender.send(outcome);
    });
    receiver
        .recv_timeout(LOAD_TIMEOUT)
        .expect("load did not finish in time (hang?) or panicked")
}

fn load(paths: &[PathBuf]) -> (EventStore, LoadReport) {
    load_with(paths, LoadOptions::default())
}

/// Loads one file and returns the store and the file's report, after the checks every file
/// must pass.
fn load_one(path: &Path) -> (EventStore, FileReport) {
    let (store, report) = load(&[path.to_path_buf()]);
    assert_eq!(report.files.len(), 1, "{:?}", report.files);
    let file = report.files.into_iter().next().unwrap();
    assert_eq!(file.path, path, "the report names the file");
    check_counts(&file);
    assert_eq!(store.len() as u64, file.events_loaded);
    (store, file)
}

fn check_counts(file: &FileReport) {
    assert_eq!(
        file.events_loaded + file.records_skipped,
        file.records_read,
        "records read = loaded + skipped for {}",
        file.path.display()
    );
    for error in &file.errors {
        assert!(
            !error.message.starts_with("parser failed unexpectedly"),
            "a parser panicked on {}: {}",
            file.path.display(),
            error.message
        );
    }
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn str_field<'a>(store: &'a EventStore, index: usize, name: &str) -> Option<&'a str> {
    match store.field(index, name) {
        Some(ValueRef::Str(text)) => Some(text),
        _ => None,
    }
}

/// The `record` part of each event's origin, in store order: the line for text formats.
fn origin_records(store: &EventStore) -> Vec<u64> {
    store.events().iter().map(|e| e.origin().record).collect()
}

fn line_location(line: u64, offset: usize) -> Location {
    Location::Line {
        line,
        offset: offset as u64,
    }
}

// ---------------------------------------------------------------------------------------------
// evtx_dump JSON lines

/// One evtx_dump JSON document on one line, for a Security 4688 event on `host`.
fn json_record(id: u64, host: &str, time: &str) -> String {
    format!(
        concat!(
            r#"{{"Event":{{"System":{{"EventID":4688,"EventRecordID":{id},"#,
            r##""TimeCreated":{{"#attributes":{{"SystemTime":"{time}"}}}},"##,
            r#""Channel":"Security","Computer":"{host}"}},"#,
            r#""EventData":{{"NewProcessName":"C:\\Windows\\cmd.exe","NewProcessId":"0x1f4"}}}}}}"#
        ),
        id = id,
        host = host,
        time = time
    )
}

fn good(id: u64) -> String {
    json_record(id, "host", "2020-01-01T00:00:00Z")
}

#[test]
fn json_lines_with_bom_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bom.jsonl",
        format!("\u{feff}{}\n{}\n", good(1), good(2)),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.format, Format::EvtxJson);
    assert_eq!(file.events_loaded, 2);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    // The BOM is three bytes, so the first record starts at offset 3.
    assert_eq!(store.events()[0].origin().offset, Some(3));
}

#[test]
fn json_lines_with_crlf_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "crlf.jsonl",
        format!("{}\r\n{}\r\n{}\r\n", good(1), good(2), good(3)),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 3);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(origin_records(&store), vec![1, 2, 3]);
}

#[test]
fn json_line_with_invalid_utf8_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("{}\n", good(1));
    let mut bytes = first.clone().into_bytes();
    let bad = good(2).replace("host", "h\u{1}st");
    let bad = bad.replace('\u{1}', "\u{fffd}");
    // Replace the three bytes of U+FFFD with one byte that is never valid UTF-8.
    let bad = bad.into_bytes();
    let marker = "\u{fffd}".as_bytes();
    let at = bad.windows(3).position(|w| w == marker).unwrap();
    bytes.extend_from_slice(&bad[..at]);
    bytes.push(0xFF);
    bytes.extend_from_slice(&bad[at + 3..]);
    bytes.push(b'\n');
    bytes.extend_from_slice(format!("{}\n", good(3)).as_bytes());
    let path = write(dir.path(), "utf8.jsonl", &bytes);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors[0].location, line_location(2, first.len()));
    assert!(
        file.errors[0].message.contains("invalid unicode"),
        "{}",
        file.errors[0].message
    );
    assert_eq!(origin_records(&store), vec![1, 3]);
}

#[test]
fn json_line_of_20_mb_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("{}\n", good(1));
    let huge = good(2).replace("cmd.exe", &"A".repeat(20_000_000));
    let path = write(
        dir.path(),
        "long.jsonl",
        format!("{first}{huge}\n{}\n", good(3)),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors[0].location, line_location(2, first.len()));
    assert!(
        file.errors[0].message.contains("longer than"),
        "{}",
        file.errors[0].message
    );
    assert_eq!(origin_records(&store), vec![1, 3]);
}

#[test]
fn json_nested_10000_deep_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("{}\n", good(1));
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep = good(2).replace(r#""Channel""#, &format!(r#""Deep":{nested},"Channel""#));
    let path = write(
        dir.path(),
        "deep.jsonl",
        format!("{first}{deep}\n{}\n", good(3)),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors[0].location, line_location(2, first.len()));
    assert!(
        file.errors[0].message.contains("recursion limit"),
        "{}",
        file.errors[0].message
    );
    assert_eq!(origin_records(&store), vec![1, 3]);
}

#[test]
fn json_duplicate_keys_keep_last() {
    let dir = tempfile::tempdir().unwrap();
    let record = good(1).replace(
        r#""Computer":"host""#,
        r#""Computer":"first","Computer":"second""#,
    );
    let path = write(dir.path(), "dup.jsonl", format!("{record}\n"));

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 1);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(str_field(&store, 0, "host.name"), Some("second"));
}

#[test]
fn json_numbers_as_strings_load() {
    let dir = tempfile::tempdir().unwrap();
    let record = good(7)
        .replace(r#""EventID":4688"#, r#""EventID":"4688""#)
        .replace(r#""EventRecordID":7"#, r#""EventRecordID":"7""#)
        .replace(r#""NewProcessId":"0x1f4""#, r#""NewProcessId":500"#);
    let path = write(dir.path(), "strings.jsonl", format!("{record}\n"));

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 1);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(store.field(0, "winlog.event_id"), Some(ValueRef::Int(4688)));
    assert_eq!(store.field(0, "winlog.record_id"), Some(ValueRef::Int(7)));
    assert_eq!(str_field(&store, 0, "process.name"), Some("cmd.exe"));
}

#[test]
fn json_concatenated_documents_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "concat.json",
        format!("{}{}{}\n", good(1), good(2), good(3)),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 3);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let offsets: Vec<Option<u64>> = store.events().iter().map(|e| e.origin().offset).collect();
    let length = good(1).len() as u64;
    assert_eq!(offsets, vec![Some(0), Some(length), Some(2 * length)]);
}

#[test]
fn json_truncated_last_record_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("{}\n", good(1));
    let last = good(2);
    let path = write(
        dir.path(),
        "truncated.jsonl",
        format!("{first}{}", &last[..last.len() / 2]),
    );

    let (_, file) = load_one(&path);

    assert_eq!(file.records_read, 2);
    assert_eq!(file.events_loaded, 1);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors[0].location, line_location(2, first.len()));
    assert!(
        file.errors[0].message.contains("EOF"),
        "{}",
        file.errors[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Timestamps

#[test]
fn timestamp_in_future_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "future.jsonl",
        format!("{}\n", json_record(1, "host", "2100-01-01T00:00:00Z")),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 1);
    assert_eq!(store.events()[0].timestamp, 4_102_444_800_000_000_000);
}

#[test]
fn timestamp_before_1970_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "old.jsonl",
        format!("{}\n", json_record(1, "host", "1969-07-20T20:17:40Z")),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 1);
    assert_eq!(store.events()[0].timestamp, -14_182_940_000_000_000);
}

#[test]
fn timestamp_unparseable_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("{}\n", good(1));
    let path = write(
        dir.path(),
        "badtime.jsonl",
        format!(
            "{first}{}\n{}\n",
            json_record(2, "host", "yesterday"),
            good(3)
        ),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors[0].location, line_location(2, first.len()));
    assert!(
        file.errors[0].message.contains("\"yesterday\""),
        "{}",
        file.errors[0].message
    );
    assert_eq!(origin_records(&store), vec![1, 3]);
}

#[test]
fn timestamp_outside_nanosecond_range_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    // FILETIME 0 and a year past 2262 both fall outside i64 nanoseconds since 1970.
    let path = write(
        dir.path(),
        "range.jsonl",
        format!(
            "{}\n{}\n{}\n",
            json_record(1, "host", "1601-01-01T00:00:00Z"),
            good(2),
            json_record(3, "host", "2999-01-01T00:00:00Z"),
        ),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 3);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    // The store is time-sorted, so the clamped events sit at both ends.
    assert_eq!(store.events()[0].timestamp, i64::MIN);
    assert_eq!(store.events()[2].timestamp, i64::MAX);
    assert_eq!(
        str_field(&store, 0, "winlog.time_created"),
        Some("1601-01-01T00:00:00Z")
    );
    assert_eq!(
        str_field(&store, 2, "winlog.time_created"),
        Some("2999-01-01T00:00:00Z")
    );
    assert_eq!(str_field(&store, 1, "winlog.time_created"), None);
    assert!(
        file.notes.iter().any(|n| n.starts_with("2 records")),
        "{:?}",
        file.notes
    );
}

// ---------------------------------------------------------------------------------------------
// auditd

const AUDIT_GOOD_1: &str = "type=SYSCALL msg=audit(1605000000.100:10): arch=c000003e syscall=59 \
success=yes exit=0 pid=100 uid=0 comm=\"ls\" exe=\"/usr/bin/ls\"";
const AUDIT_GOOD_2: &str = "type=SYSCALL msg=audit(1605000000.300:12): arch=c000003e syscall=59 \
success=yes exit=0 pid=102 uid=0 comm=\"id\" exe=\"/usr/bin/id\"";

#[test]
fn auditd_missing_serial_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("{AUDIT_GOOD_1}\n");
    let path = write(
        dir.path(),
        "audit.log",
        format!(
            "{first}type=SYSCALL msg=audit(1605000000.200): syscall=59 pid=101\n{AUDIT_GOOD_2}\n"
        ),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.format, Format::Auditd);
    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors[0].location, line_location(2, first.len()));
    assert!(
        file.errors[0].message.contains("invalid audit stamp"),
        "{}",
        file.errors[0].message
    );
    assert_eq!(origin_records(&store), vec![1, 3]);
}

#[test]
fn auditd_interleaved_events_group() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
type=SYSCALL msg=audit(1605000000.100:10): arch=c000003e syscall=59 success=yes pid=100 \
comm=\"ls\" exe=\"/usr/bin/ls\"
type=SYSCALL msg=audit(1605000000.100:11): arch=c000003e syscall=59 success=yes pid=200 \
comm=\"id\" exe=\"/usr/bin/id\"
type=CWD msg=audit(1605000000.100:10): cwd=\"/tmp\"
type=CWD msg=audit(1605000000.100:11): cwd=\"/root\"
type=EXECVE msg=audit(1605000000.100:11): argc=1 a0=\"id\"
type=EXECVE msg=audit(1605000000.100:10): argc=2 a0=\"ls\" a1=\"-l\"
";
    let path = write(dir.path(), "audit.log", text);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 2);
    assert_eq!(file.events_loaded, 2);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    // Both events have the same time, so the store keeps file order.
    assert_eq!(origin_records(&store), vec![1, 2]);
    assert_eq!(str_field(&store, 0, "process.command_line"), Some("ls -l"));
    assert_eq!(str_field(&store, 1, "process.command_line"), Some("id"));
    assert_eq!(
        str_field(&store, 0, "process.working_directory"),
        Some("/tmp")
    );
    assert_eq!(
        str_field(&store, 1, "process.working_directory"),
        Some("/root")
    );
}

#[test]
fn auditd_bad_hex_keeps_raw_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{AUDIT_GOOD_1}\ntype=PROCTITLE msg=audit(1605000000.100:10): proctitle=6C73ZZ\n\
         type=EXECVE msg=audit(1605000000.300:12): argc=1 a0=414\n{AUDIT_GOOD_2}\n"
    );
    let path = write(dir.path(), "audit.log", text);

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 2);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(str_field(&store, 0, "process.title"), Some("6C73ZZ"));
    assert_eq!(str_field(&store, 1, "process.args"), None);
}

// ---------------------------------------------------------------------------------------------
// syslog

const NEW_YEAR: &str = "\
Dec 31 23:59:58 host sshd[1]: Accepted password for alice from 10.0.0.1 port 22 ssh2
Jan  1 00:00:01 host sshd[2]: Accepted password for bob from 10.0.0.2 port 22 ssh2
";

#[test]
fn syslog_new_year_with_given_year() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "auth.log", NEW_YEAR);
    let options = LoadOptions {
        years: vec![ingest::FileSetting::all(ingest::Year(2023))],
        ..LoadOptions::default()
    };

    let (store, report) = load_with(std::slice::from_ref(&path), options);

    check_counts(&report.files[0]);
    assert_eq!(report.files[0].format, Format::Syslog);
    assert_eq!(store.len(), 2);
    // 2023-12-31T23:59:58Z and 2024-01-01T00:00:01Z.
    assert_eq!(store.events()[0].timestamp, 1_704_067_198_000_000_000);
    assert_eq!(store.events()[1].timestamp, 1_704_067_201_000_000_000);
}

#[test]
fn syslog_new_year_from_mtime() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "auth.log", NEW_YEAR);
    // Written on 2024-01-01T12:00:00Z, just after the New Year the lines cross.
    let written = std::time::UNIX_EPOCH + Duration::from_secs(1_704_110_400);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(written)
        .unwrap();

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 2);
    assert_eq!(store.events()[0].timestamp, 1_704_067_198_000_000_000);
    assert_eq!(store.events()[1].timestamp, 1_704_067_201_000_000_000);
    assert!(
        file.notes.iter().any(|n| n.contains("modification time")),
        "{:?}",
        file.notes
    );
}

// ---------------------------------------------------------------------------------------------
// EVTX

/// The public sample EVTX directory, or `None` (and a message) when it is absent.
fn evtx_sample(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/evtx")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            eprintln!("skipping: sample {} not readable: {err}", path.display());
            None
        }
    }
}

/// A sample of 17 full chunks whose header declares 3, so a cut in chunk 1 leaves whole chunks
/// on both sides and is a chunk short of what the header declares.
const MULTI_CHUNK_SAMPLE: &str = "deepblue_password-spray.evtx";
const HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65_536;

#[test]
fn evtx_truncated_mid_chunk_keeps_earlier_chunks() {
    let Some(bytes) = evtx_sample(MULTI_CHUNK_SAMPLE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let intact = write(dir.path(), "intact.evtx", &bytes);
    let (_, whole) = load_one(&intact);
    let cut_at = HEADER_SIZE + CHUNK_SIZE + 30_000;
    let path = write(dir.path(), "cut.evtx", &bytes[..cut_at]);

    let (_, file) = load_one(&path);

    assert_eq!(file.status, FileStatus::Loaded);
    assert!(file.events_loaded > 0, "chunk 0 still loads");
    assert!(file.events_loaded < whole.events_loaded);
    let location = Location::EvtxChunkOffset {
        chunk: Some(1),
        offset: (HEADER_SIZE + CHUNK_SIZE) as u64,
    };
    let error = file
        .errors
        .iter()
        .find(|e| e.location == location)
        .unwrap_or_else(|| panic!("no error at {location}: {:?}", file.errors));
    assert!(error.message.contains("file ends"), "{}", error.message);
    assert!(
        file.records_skipped > 0,
        "records of chunk 1 count as skipped"
    );
    assert!(
        file.errors
            .iter()
            .any(|e| e.message.contains("chunks but the file holds 2")),
        "{:?}",
        file.errors
    );
}

#[test]
fn evtx_bad_chunk_checksum_still_loads() {
    let Some(mut bytes) = evtx_sample(MULTI_CHUNK_SAMPLE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let intact = write(dir.path(), "intact.evtx", &bytes);
    let (_, whole) = load_one(&intact);
    // Chunk 1's header CRC32 is at byte 124 of the chunk; its records' CRC32 at byte 52.
    let chunk = HEADER_SIZE + CHUNK_SIZE;
    bytes[chunk + 124] ^= 0xFF;
    bytes[chunk + 52] ^= 0xFF;
    let path = write(dir.path(), "checksum.evtx", &bytes);

    let (_, file) = load_one(&path);

    assert_eq!(file.status, FileStatus::Loaded);
    assert_eq!(file.events_loaded, whole.events_loaded);
    assert!(
        file.notes.iter().any(|n| n.contains("chunk 1")),
        "{:?}",
        file.notes
    );
}

#[test]
fn evtx_dirty_header_loads_in_full() {
    let Some(mut bytes) = evtx_sample(MULTI_CHUNK_SAMPLE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let intact = write(dir.path(), "intact.evtx", &bytes);
    let (_, whole) = load_one(&intact);
    // Header flags at byte 120: set "dirty" (bit 0); the header CRC32 at 124 is now stale.
    bytes[120] |= 1;
    // The stored chunk count at byte 42 claims only one chunk.
    bytes[42..44].copy_from_slice(&1u16.to_le_bytes());
    let path = write(dir.path(), "dirty.evtx", &bytes);

    let (_, file) = load_one(&path);

    assert_eq!(file.status, FileStatus::Loaded);
    assert_eq!(file.events_loaded, whole.events_loaded);
    assert_eq!(file.records_skipped, 0);
}

#[test]
fn evtx_zero_bytes_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.evtx", b"");

    let (_, file) = load_one(&path);

    assert_eq!(file.status, FileStatus::Skipped);
    assert_eq!(file.format, Format::Unknown);
    assert_eq!(file.records_read, 0);
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.errors[0].location, Location::File);
}

/// Bytes from a fixed xorshift sequence, so the case is the same on every run.
fn pseudo_random_bytes(length: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn evtx_name_on_random_bytes_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "random.evtx", pseudo_random_bytes(200_000));

    let (_, file) = load_one(&path);

    assert_eq!(file.status, FileStatus::Skipped);
    assert_eq!(file.format, Format::Unknown);
    assert_eq!(file.errors[0].location, Location::File);
}

#[test]
fn evtx_magic_before_random_bytes_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend(pseudo_random_bytes(200_000));
    let path = write(dir.path(), "magic.evtx", bytes);

    let (_, file) = load_one(&path);

    assert_eq!(file.format, Format::Evtx);
    assert_eq!(file.status, FileStatus::Failed);
    assert_eq!(file.events_loaded, 0);
    assert!(!file.errors.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Directories

fn good_file(dir: &Path, name: &str) -> PathBuf {
    write(dir, name, format!("{}\n{}\n", good(1), good(2)))
}

fn report_for<'a>(report: &'a LoadReport, path: &Path) -> &'a FileReport {
    report
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{} not in report", path.display()))
}

/// Root reads files whatever their mode, so this uses an entry that fails for every user: a
/// symbolic link to a file that does not exist.
#[cfg(unix)]
#[test]
fn directory_with_unreadable_entry() {
    let dir = tempfile::tempdir().unwrap();
    let before = good_file(dir.path(), "a.jsonl");
    let dangling = dir.path().join("b.jsonl");
    std::os::unix::fs::symlink(dir.path().join("missing"), &dangling).unwrap();
    let after = good_file(dir.path(), "c.jsonl");

    let (store, report) = load(&[dir.path().to_path_buf()]);

    assert_eq!(store.len(), 4);
    assert_eq!(report_for(&report, &before).events_loaded, 2);
    assert_eq!(report_for(&report, &after).events_loaded, 2);
    let failed = report_for(&report, &dangling);
    assert_eq!(failed.status, FileStatus::Failed);
    assert_eq!(failed.errors[0].location, Location::File);
    assert!(
        failed.errors[0].message.contains("No such file"),
        "{}",
        failed.errors[0].message
    );
}

#[cfg(unix)]
#[test]
fn directory_with_symlink_loops() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let before = good_file(root, "a.jsonl");
    std::fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink(root, root.join("sub/up")).unwrap();
    // Two links that point at each other never resolve to a file.
    std::os::unix::fs::symlink(root.join("y"), root.join("x")).unwrap();
    std::os::unix::fs::symlink(root.join("x"), root.join("y")).unwrap();

    let (store, report) = load(&[root.to_path_buf()]);

    assert_eq!(store.len(), 2);
    assert_eq!(report_for(&report, &before).events_loaded, 2);
    for name in ["x", "y"] {
        let entry = report_for(&report, &root.join(name));
        assert_eq!(entry.status, FileStatus::Failed);
        assert!(
            entry.errors[0].message.contains("symbolic links"),
            "{}",
            entry.errors[0].message
        );
    }
    assert_eq!(report.files.len(), 3, "{:?}", report.files);
}

#[cfg(unix)]
#[test]
fn directory_with_named_pipe_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let before = good_file(dir.path(), "a.jsonl");
    let pipe = dir.path().join("b.pipe");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("skipping: mkfifo is not available");
        return;
    }
    let after = good_file(dir.path(), "c.jsonl");

    // Given both inside the directory and by name.
    let (store, report) = load(&[dir.path().to_path_buf(), pipe.clone()]);

    assert_eq!(store.len(), 4);
    assert_eq!(report_for(&report, &before).events_loaded, 2);
    assert_eq!(report_for(&report, &after).events_loaded, 2);
    let entry = report_for(&report, &pipe);
    assert_eq!(entry.status, FileStatus::Failed);
    assert!(
        entry.errors[0].message.contains("pipe"),
        "{}",
        entry.errors[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Timestamps of the text formats
//
// A time the store's nanosecond clock holds (1677-09-21 to 2262-04-11) loads as written, also
// before 1970. A valid time outside that range, and a time that does not parse, skip the record
// with a message at its line. Windows formats clamp instead (see above).

/// Returns the only error of `file`, after checking that there is exactly one.
fn only_error(file: &FileReport) -> &glexia::ingest::RecordError {
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    &file.errors[0]
}

/// Returns the byte offset of line `number` (1-based) of `text`.
fn offset_of_line(text: &str, number: usize) -> usize {
    text.split_inclusive('\n')
        .take(number - 1)
        .map(str::len)
        .sum()
}

#[test]
fn auditd_time_before_1970_loads() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
type=SYSCALL msg=audit(-1.5:1): arch=c000003e syscall=59 success=yes pid=1 exe=\"/bin/a\"
type=SYSCALL msg=audit(-0.25:2): arch=c000003e syscall=59 success=yes pid=2 exe=\"/bin/b\"
type=SYSCALL msg=audit(-86400:3): arch=c000003e syscall=59 success=yes pid=3 exe=\"/bin/c\"
";
    let path = write(dir.path(), "audit.log", text);

    let (store, file) = load_one(&path);

    assert_eq!(file.events_loaded, 3);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let times: Vec<i64> = store.events().iter().map(|e| e.timestamp).collect();
    assert_eq!(
        times,
        vec![-86_400_000_000_000, -1_500_000_000, -250_000_000]
    );
}

#[test]
fn auditd_time_out_of_range_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{AUDIT_GOOD_1}\ntype=SYSCALL msg=audit(99999999999999.000:11): syscall=59 pid=101\n\
         type=SYSCALL msg=audit(-99999999999999.5:13): syscall=59 pid=103\n{AUDIT_GOOD_2}\n"
    );
    let path = write(dir.path(), "audit.log", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 4);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 2, "{:?}", file.errors);
    assert_eq!(
        file.errors[0].location,
        line_location(2, offset_of_line(&text, 2))
    );
    assert!(
        file.errors[0]
            .message
            .contains("time 99999999999999.000000000 (Unix seconds) is outside 1677-09-21"),
        "{}",
        file.errors[0].message
    );
    assert_eq!(
        file.errors[1].location,
        line_location(3, offset_of_line(&text, 3))
    );
    assert!(
        file.errors[1]
            .message
            .contains("time -99999999999999.500000000 (Unix seconds) is outside"),
        "{}",
        file.errors[1].message
    );
    assert_eq!(origin_records(&store), vec![1, 4]);
}

#[test]
fn auditd_time_unparseable_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{AUDIT_GOOD_1}\ntype=SYSCALL msg=audit(yesterday:11): syscall=59 pid=101\n{AUDIT_GOOD_2}\n"
    );
    let path = write(dir.path(), "audit.log", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    let error = only_error(&file);
    assert_eq!(error.location, line_location(2, offset_of_line(&text, 2)));
    assert!(
        error.message.contains("invalid audit stamp"),
        "{}",
        error.message
    );
    assert_eq!(origin_records(&store), vec![1, 3]);
}

const SYSLOG_GOOD: &str = "<38>1 2024-03-01T10:00:00Z host sshd 42 - - Accepted password for bob from 10.0.0.1 port 22 ssh2";

#[test]
fn syslog_time_before_1970_loads() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
<38>1 1969-07-20T20:17:40Z host sshd 42 - - Accepted password for bob from 10.0.0.1 port 22 ssh2
1969-07-20T20:17:41+00:00 host sshd[43]: Accepted password for eve from 10.0.0.2 port 22 ssh2
";
    let path = write(dir.path(), "auth.log", text);

    let (store, file) = load_one(&path);

    assert_eq!(file.format, Format::Syslog);
    assert_eq!(file.events_loaded, 2);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(store.events()[0].timestamp, -14_182_940_000_000_000);
    assert_eq!(store.events()[1].timestamp, -14_182_939_000_000_000);
}

#[test]
fn syslog_time_out_of_range_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{SYSLOG_GOOD}\n\
         <38>1 9999-12-31T23:59:59Z host sshd 42 - - Accepted password for eve from 10.0.0.2 port 22 ssh2\n\
         1601-01-01T00:00:00+00:00 host sshd[43]: Accepted password for eve from 10.0.0.3 port 22 ssh2\n\
         {SYSLOG_GOOD}\n"
    );
    let path = write(dir.path(), "auth.log", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 4);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 2, "{:?}", file.errors);
    assert_eq!(
        file.errors[0].location,
        line_location(2, offset_of_line(&text, 2))
    );
    assert!(
        file.errors[0]
            .message
            .starts_with("time 9999-12-31T23:59:59+00:00 is outside 1677-09-21"),
        "{}",
        file.errors[0].message
    );
    assert_eq!(
        file.errors[1].location,
        line_location(3, offset_of_line(&text, 3))
    );
    assert!(
        file.errors[1].message.starts_with("time 1601-01-01"),
        "{}",
        file.errors[1].message
    );
    assert_eq!(origin_records(&store), vec![1, 4]);
}

#[test]
fn syslog_time_unparseable_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{SYSLOG_GOOD}\n<38>1 someday host sshd 42 - - hello\nFoo 99 99:99:99 host sshd[1]: hello\n\
         2024-02-30T10:00:00Z host sshd[1]: hello\n{SYSLOG_GOOD}\n"
    );
    let path = write(dir.path(), "auth.log", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 5);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 3, "{:?}", file.errors);
    for (error, line) in file.errors.iter().zip(2..) {
        assert_eq!(
            error.location,
            line_location(line, offset_of_line(&text, line as usize))
        );
        assert!(
            error.message.starts_with("not a syslog line"),
            "{}",
            error.message
        );
    }
    assert_eq!(origin_records(&store), vec![1, 5]);
}

#[test]
fn esxi_times_out_of_range_or_unparseable() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
2023-02-03T08:00:01Z shell[2100123]: Interactive shell session started
1969-12-31T23:59:59Z shell[2100123]: [root]: id
9999-01-01T00:00:00Z shell[2100123]: [root]: uname -a
2023-13-45T00:00:00Z shell[2100123]: [root]: ls
2023-02-03T08:00:09Z shell[2100123]: [root]: vim-cmd vmsvc/getallvms
";
    let path = write(dir.path(), "shell.log", text);

    let (store, file) = load_one(&path);

    assert_eq!(file.format, Format::Esxi);
    assert_eq!(file.records_read, 5);
    assert_eq!(file.events_loaded, 3);
    assert_eq!(file.errors.len(), 2, "{:?}", file.errors);
    assert_eq!(
        file.errors[0].location,
        line_location(3, offset_of_line(text, 3))
    );
    assert!(
        file.errors[0]
            .message
            .starts_with("time 9999-01-01T00:00:00+00:00 is outside"),
        "{}",
        file.errors[0].message
    );
    assert_eq!(
        file.errors[1].location,
        line_location(4, offset_of_line(text, 4))
    );
    assert!(
        file.errors[1].message.starts_with("not an ESXi log line"),
        "{}",
        file.errors[1].message
    );
    // Time order puts the 1969 line first.
    assert_eq!(store.events()[0].timestamp, -1_000_000_000);
    assert_eq!(origin_records(&store), vec![2, 1, 5]);
}

const ZEEK_TSV_HEADER: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\n\
#types\ttime\tstring\taddr\n";

#[test]
fn zeek_tsv_times_out_of_range_or_unparseable() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{ZEEK_TSV_HEADER}1692161674.5\tC1\t10.0.0.1\n-1.5\tC2\t10.0.0.2\n\
         99999999999999\tC3\t10.0.0.3\nsoon\tC4\t10.0.0.4\n0\tC5\t10.0.0.5\n"
    );
    let path = write(dir.path(), "conn.log", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.format, Format::ZeekTsv);
    assert_eq!(file.records_read, 5);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 3, "{:?}", file.errors);
    for (error, line) in file.errors.iter().zip(6..) {
        assert_eq!(
            error.location,
            line_location(line, offset_of_line(&text, line as usize))
        );
        assert!(error.message.contains("no valid ts"), "{}", error.message);
    }
    assert_eq!(store.events()[0].timestamp, 0);
    assert_eq!(origin_records(&store), vec![9, 5]);
}

#[test]
fn vpc_flow_times_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol \
                  packets bytes start end action log-status\n";
    let row = |start: &str, end: &str| {
        format!(
            "2 123456789012 eni-0a1b2c3d 203.0.113.45 10.0.1.25 51544 22 6 20 4249 {start} \
             {end} ACCEPT OK\n"
        )
    };
    let text = format!(
        "{header}{}{}{}{}",
        row("1718870400", "1718870460"),
        row("-60", "-1"),
        row("99999999999999", "99999999999999"),
        row("1718870500", "1718870560"),
    );
    let path = write(dir.path(), "flow.log", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.format, Format::AwsVpcFlow);
    assert_eq!(file.records_read, 4);
    assert_eq!(file.events_loaded, 3);
    let error = only_error(&file);
    assert_eq!(error.location, line_location(4, offset_of_line(&text, 4)));
    assert!(
        error.message.contains("99999999999999 is out of range"),
        "{}",
        error.message
    );
    assert_eq!(store.events()[0].timestamp, -1_000_000_000);
}

// ---------------------------------------------------------------------------------------------
// JSON nesting: a record nested deeper than serde_json's limit of 128 costs only itself

/// `levels` nested arrays, as JSON text.
fn nested(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

/// `record` (a JSON object) with one more member, `deep`, nested `levels` arrays deep.
fn with_deep_member(record: &str, levels: usize) -> String {
    let rest = record.trim().strip_prefix('{').expect("a JSON object");
    format!("{{\"deep\": {},{rest}", nested(levels))
}

fn cloudtrail_record(name: &str) -> String {
    format!(
        r#"{{"eventVersion": "1.08", "eventTime": "2024-08-02T08:53:24Z", "eventSource": "s3.amazonaws.com", "eventName": "{name}", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7"}}"#
    )
}

#[test]
fn cloudtrail_deep_record_costs_itself() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{{\"Records\": [\n{},\n{},\n{}\n]}}\n",
        cloudtrail_record("GetObject"),
        with_deep_member(&cloudtrail_record("PutObject"), 10_000),
        cloudtrail_record("DeleteObject"),
    );
    let path = write(dir.path(), "trail.json", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.format, Format::CloudTrail);
    assert_eq!(file.status, FileStatus::Loaded);
    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    let error = only_error(&file);
    assert_eq!(error.location, line_location(3, offset_of_line(&text, 3)));
    assert!(
        error.message.contains("recursion limit exceeded"),
        "{}",
        error.message
    );
    assert_eq!(origin_records(&store), vec![2, 4]);
}

#[test]
fn cloudtrail_container_cut_short_keeps_records() {
    let dir = tempfile::tempdir().unwrap();
    let last = cloudtrail_record("DeleteObject");
    let text = format!(
        "{{\"Records\": [\n{},\n{},\n{}",
        cloudtrail_record("GetObject"),
        cloudtrail_record("PutObject"),
        &last[..last.len() / 2],
    );
    let path = write(dir.path(), "trail.json", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    let error = only_error(&file);
    assert_eq!(error.location, line_location(4, offset_of_line(&text, 4)));
    assert!(error.message.contains("EOF"), "{}", error.message);
    assert_eq!(origin_records(&store), vec![2, 3]);
}

#[test]
fn cloudtrail_cut_container_spares_next() {
    let dir = tempfile::tempdir().unwrap();
    let cut = cloudtrail_record("PutObject");
    let text = format!(
        "{{\"Records\": [{}, {}\n{{\"Records\": [{}]}}\n",
        cloudtrail_record("GetObject"),
        &cut[..cut.len() / 2],
        cloudtrail_record("DeleteObject"),
    );
    let path = write(dir.path(), "trail.json", &text);

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    let error = only_error(&file);
    let cut_at = "{\"Records\": [".len() + cloudtrail_record("GetObject").len() + ", ".len();
    assert_eq!(error.location, line_location(1, cut_at));
    assert_eq!(origin_records(&store), vec![1, 2]);
}

#[test]
fn json_array_with_deep_element_on_one_line() {
    let good = json_record(1, "host", "2020-01-01T00:00:00Z");
    let deep = with_deep_member(&json_record(2, "host", "2020-01-01T00:00:00Z"), 500);
    let last = json_record(3, "host", "2020-01-01T00:00:00Z");
    let text = format!("[{good},{deep},{last}]");

    let (report, events) = ingest::parse_bytes(Format::EvtxJson, text.as_bytes(), &options());

    assert_eq!(report.records_read, 3);
    assert_eq!(events.len(), 2);
    let error = only_error(&report);
    assert_eq!(error.location, line_location(1, good.len() + 2));
    assert!(
        error.message.contains("recursion limit exceeded"),
        "{}",
        error.message
    );
}

fn options() -> LoadOptions {
    LoadOptions {
        years: vec![ingest::FileSetting::all(ingest::Year(2024))],
        ..LoadOptions::default()
    }
}

/// Returns the first line of a file under `tests/data` that loads alone as `format`.
fn good_line(relative: &str, format: Format) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .find(|line| {
            let (report, events) = ingest::parse_bytes(format, line.as_bytes(), &options());
            report.errors.is_empty() && events.len() == 1
        })
        .unwrap_or_else(|| panic!("no line of {relative} loads alone"))
        .to_owned()
}

#[test]
fn json_lines_deep_record_costs_itself() {
    let zeek = r#"{"_path":"conn","ts":1588205199.82437,"uid":"C1","id.orig_h":"10.0.1.6","id.orig_p":54243,"id.resp_h":"10.0.0.4","id.resp_p":53,"proto":"udp"}"#;
    let cases = [
        (Format::CloudTrail, cloudtrail_record("GetObject")),
        (Format::ZeekJson, zeek.to_owned()),
        (
            Format::OktaSystemLog,
            good_line("cloud/okta-system-log.ndjson", Format::OktaSystemLog),
        ),
        (
            Format::KubernetesAudit,
            good_line("cloud/k8s-audit.log", Format::KubernetesAudit),
        ),
        (
            Format::Journald,
            good_line("linux/journal.json", Format::Journald),
        ),
        (
            Format::Osquery,
            good_line("linux/osquery.results.log", Format::Osquery),
        ),
        (
            Format::UnifiedLog,
            good_line("macos/unifiedlog.ndjson", Format::UnifiedLog),
        ),
        (Format::EvtxJson, good(1)),
    ];
    for (format, record) in cases {
        for levels in [200, 100_000] {
            let text = format!(
                "{record}\n{}\n{record}\n",
                with_deep_member(&record, levels)
            );

            let (report, events) = ingest::parse_bytes(format, text.as_bytes(), &options());

            assert_eq!(report.records_read, 3, "{format} at depth {levels}");
            assert_eq!(events.len(), 2, "{format} at depth {levels}");
            let error = only_error(&report);
            assert_eq!(
                error.location,
                line_location(2, record.len() + 1),
                "{format} at depth {levels}"
            );
            assert!(
                error.message.contains("recursion limit exceeded"),
                "{format}: {}",
                error.message
            );
            let lines: Vec<u64> = events.iter().map(|e| e.origin().record).collect();
            assert_eq!(lines, vec![1, 3], "{format} at depth {levels}");
        }
    }
}

#[test]
fn elastic_response_with_deep_hit_keeps_others() {
    let hit = |name: &str| {
        format!(
            r#"{{"_index": "logs-endpoint", "_source": {{"@timestamp": "2024-05-01T10:00:00Z", "host": {{"os": {{"type": "macos"}}, "name": "mac1"}}, "event": {{"category": ["process"], "type": ["start"]}}, "process": {{"name": "{name}", "pid": 7}}}}}}"#
        )
    };
    let deep = with_deep_member(&hit("b"), 1000);
    let text = format!(
        "{{\"took\": 3, \"hits\": {{\"total\": 3, \"hits\": [\n{},\n{deep},\n{}\n]}}}}\n",
        hit("a"),
        hit("c")
    );

    let (report, events) =
        ingest::parse_bytes(Format::ElasticEndpoint, text.as_bytes(), &options());

    assert_eq!(report.records_read, 3);
    assert_eq!(events.len(), 2, "{:?}", report.errors);
    let error = only_error(&report);
    assert_eq!(error.location, line_location(3, offset_of_line(&text, 3)));
    assert!(
        error.message.contains("recursion limit exceeded"),
        "{}",
        error.message
    );
}

// ---------------------------------------------------------------------------------------------
// Fields per event

#[test]
fn zeek_json_too_many_fields_skipped() {
    let many: String = (0..20_000).map(|i| format!(",\"k{i}\":{i}")).collect();
    let zeek = r#"{"_path":"conn","ts":1588205199.82437,"uid":"C1","id.orig_h":"10.0.1.6"}"#;
    let wide = format!("{}{many}}}", zeek.strip_suffix('}').unwrap());
    let text = format!("{zeek}\n{wide}\n{zeek}\n");

    let (report, events) = ingest::parse_bytes(Format::ZeekJson, text.as_bytes(), &options());

    assert_eq!(report.records_read, 3);
    assert_eq!(report.records_skipped, 1);
    assert_eq!(events.len(), 2);
    let error = only_error(&report);
    assert_eq!(error.location, line_location(2, zeek.len() + 1));
    assert!(
        error.message.contains("more than 10000 fields"),
        "{}",
        error.message
    );
}

#[test]
fn evtx_json_too_many_fields_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let many: String = (0..12_000)
        .map(|i| format!(",\"Extra{i}\":\"x\""))
        .collect();
    let wide = good(2).replace(
        r#""NewProcessId":"0x1f4""#,
        &format!(r#""NewProcessId":"0x1f4"{many}"#),
    );
    let first = format!("{}\n", good(1));
    let path = write(
        dir.path(),
        "wide.jsonl",
        format!("{first}{wide}\n{}\n", good(3)),
    );

    let (store, file) = load_one(&path);

    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    let error = only_error(&file);
    assert_eq!(error.location, line_location(2, first.len()));
    assert!(
        error.message.contains("more than 10000 fields"),
        "{}",
        error.message
    );
    assert_eq!(origin_records(&store), vec![1, 3]);
}

// ---------------------------------------------------------------------------------------------
// Line length and gzip

#[test]
fn m365_csv_row_over_1_mib_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cloud/m365-audit-powershell.csv");
    let text = std::fs::read_to_string(source).unwrap();
    let (_, plain) = load_one(&write(dir.path(), "plain.csv", &text));
    // Pad the first data row's AuditData with spaces, which JSON allows between tokens.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let row = lines
        .iter()
        .position(|line| line.contains("{\"\""))
        .unwrap();
    lines[row] = lines[row].replacen("{\"\"", &format!("{{{}\"\"", " ".repeat(2 << 20)), 1);
    let padded = lines.join("\n") + "\n";
    let path = write(dir.path(), "long.csv", &padded);

    let (_, file) = load_one(&path);

    assert_eq!(file.records_read, plain.records_read);
    assert_eq!(file.events_loaded, plain.events_loaded - 1);
    let error = file
        .errors
        .iter()
        .find(|e| e.message.contains("longer than 1048576 bytes"))
        .unwrap_or_else(|| panic!("{:?}", file.errors));
    assert_eq!(
        error.location,
        line_location(row as u64 + 1, offset_of_line(&padded, row + 1))
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_loads_like_plain_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![
        root.join("tests/data/linux/journal.json"),
        root.join("tests/data/linux/osquery.results.log"),
        root.join("tests/data/macos/unifiedlog.ndjson"),
        root.join("tests/data/esxi/hostd.log"),
    ];
    for shared in [
        "linux/otrf_log4shell_syslog_sysmon_for_linux.json",
        "macos/persistence_crontab_creation.json",
    ] {
        let path = root.join("../shared/data").join(shared);
        if path.is_file() {
            sources.push(path);
        } else {
            eprintln!("skipping: {} not found", path.display());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for source in sources {
        let bytes = std::fs::read(&source).unwrap();
        let name = source.file_name().unwrap().to_string_lossy().into_owned();
        let (plain_store, plain) = load_one(&write(dir.path(), &name, &bytes));
        let (packed_store, packed) =
            load_one(&write(dir.path(), &format!("{name}.gz"), gzip(&bytes)));

        assert_eq!(packed.format, plain.format, "{name}");
        assert_eq!(packed.records_read, plain.records_read, "{name}");
        assert_eq!(packed.events_loaded, plain.events_loaded, "{name}");
        assert!(plain.events_loaded > 0, "{name}");
        assert_eq!(packed.errors, plain.errors, "{name}");
        assert_eq!(
            origin_records(&packed_store),
            origin_records(&plain_store),
            "{name}"
        );
    }
}

#[test]
fn gzip_cut_short_loads_records_before_cut() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (1..=2_000).map(|id| format!("{}\n", good(id))).collect();
    let mut packed = gzip(text.as_bytes());
    packed.truncate(packed.len() * 6 / 10);
    let path = write(dir.path(), "cut.jsonl.gz", packed);

    let (store, file) = load_one(&path);

    assert_eq!(file.status, FileStatus::Loaded);
    assert!(file.events_loaded > 100, "{} events", file.events_loaded);
    assert!(file.events_loaded < 2_000, "{} events", file.events_loaded);
    assert_eq!(
        origin_records(&store),
        (1..=file.events_loaded).collect::<Vec<_>>()
    );
    let damage: Vec<_> = file
        .errors
        .iter()
        .filter(|e| e.location == Location::File)
        .collect();
    assert_eq!(damage.len(), 1, "{:?}", file.errors);
    assert!(
        damage[0].message.contains("cut short"),
        "{}",
        damage[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Counts over whole collections

/// Checks every file of `report` and its totals: records read = events loaded + records
/// skipped, no parser panic, and every line location inside the file.
fn check_report(report: &LoadReport, store: &EventStore) {
    let mut sums = [0u64; 3];
    for file in &report.files {
        check_counts(file);
        sums[0] += file.records_read;
        sums[1] += file.events_loaded;
        sums[2] += file.records_skipped;
        let length = std::fs::read(&file.path).map_or(0, |bytes| {
            if bytes.starts_with(&[0x1f, 0x8b]) {
                // Offsets count decompressed bytes.
                let mut text = Vec::new();
                let mut decoder = flate2::read::MultiGzDecoder::new(&bytes[..]);
                std::io::Read::read_to_end(&mut decoder, &mut text).map_or(0, |_| text.len())
            } else {
                bytes.len()
            }
        });
        for error in &file.errors {
            if let Location::Line { offset, .. } = error.location {
                assert!(
                    offset <= length as u64,
                    "{}: error at byte {offset} of {length}: {}",
                    file.path.display(),
                    error.message
                );
            }
        }
    }
    let totals = &report.totals;
    assert_eq!(totals.records_read, sums[0]);
    assert_eq!(totals.events_loaded, sums[1]);
    assert_eq!(totals.records_skipped, sums[2]);
    assert_eq!(
        totals.records_read,
        totals.events_loaded + totals.records_skipped
    );
    assert_eq!(store.len() as u64, totals.events_loaded);
}

#[test]
fn shared_data_counts_add_up() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !data.is_dir() {
        eprintln!("skipping: {} not found", data.display());
        return;
    }

    let (store, report) = load(&[data]);

    assert!(report.totals.files > 100, "{:?}", report.totals);
    assert!(report.totals.events_loaded > 0);
    check_report(&report, &store);
}

#[test]
fn repository_data_counts_add_up() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    let (store, report) = load(&[root.join("tests/data"), root.join("samples")]);

    assert!(report.totals.files_loaded > 20, "{:?}", report.totals);
    check_report(&report, &store);
}

/// Parses `bytes` as `format` on another thread and fails the test if it does not finish in
/// time.
fn parse_in_time(format: Format, bytes: Vec<u8>) -> (FileReport, usize) {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let (report, events) = ingest::parse_bytes(format, &bytes, &options());
        let _ = sender.send((report, events.len()));
    });
    receiver
        .recv_timeout(LOAD_TIMEOUT)
        .expect("parse did not finish in time (hang?) or panicked")
}

#[test]
fn many_unclosed_documents_parse_in_time() {
    let cases = [
        (
            Format::CloudTrail,
            "{\"Records\": [{\"eventName\": \"x\", \n",
        ),
        (
            Format::ElasticEndpoint,
            "{\"hits\": {\"hits\": [{\"_source\": \n",
        ),
        (
            Format::EvtxJson,
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
        ),
        (Format::Journald, "{\"a\": \n"),
        (Format::OktaSystemLog, "{\"a\": \n"),
    ];
    // Each document keeps nesting into the next, so a parser without a depth limit reads to
    // the end of the file for every one of them: quadratic time, far beyond the timeout.
    for (format, line) in cases {
        let lines = 20_000;

        let (report, events) = parse_in_time(format, line.repeat(lines).into_bytes());

        assert_eq!(events, 0, "{format}");
        assert_eq!(report.records_read, report.records_skipped, "{format}");
        assert!(report.records_read > 0, "{format}");
        assert!(report.records_read <= lines as u64, "{format}");
    }
}
