//! Loading log files into the event store.
//!
//! [`load`] walks the given paths, detects each file's [`Format`] from its content, parses
//! files in parallel on the rayon pool, then adds their events to an [`EventStore`] in path
//! order and sorts it by time. Nothing in a bad file stops the load: every unreadable entry,
//! unsupported file and bad record is counted in the [`LoadReport`] with its location.

mod auditd;
pub mod aws_vpc_flow;
pub mod cisco;
mod cloud_detect;
pub mod cloudtrail;
mod detect;
pub mod docker;
mod elastic_endpoint;
pub mod entra;
mod esxi;
mod evtx_file;
mod evtx_json;
pub mod gcp_audit;
mod input;
mod journald;
mod json_records;
mod json_skim;
mod json_stream;
mod json_tree;
pub mod kubernetes_audit;
mod limits;
mod lines;
mod linux_detect;
mod local_time;
pub mod m365;
pub mod m365_csv;
mod memory;
pub mod netflow;
mod network_detect;
pub mod okta;
mod osquery;
mod raw;
mod report;
mod sentinel_syslog;
mod sink;
mod sniff;
mod syslog;
mod sysmon_linux;
mod unified_log;
mod walk;
pub mod windows;
mod windows_json;
pub mod zeek;

pub use auditd::narrower_sources;
pub use detect::{DETECT_PREFIX_LEN, Format, detect};
pub use local_time::{FileSetting, FileTimeOptions, LoadOptions, Year, Zone};
pub use memory::{MEMORY_PATH, parse_bytes};
pub use raw::{RawError, read_raw, read_raw_event};
pub use report::{
    FileReport, FileStatus, LoadReport, Location, MAX_ERRORS_PER_FILE, Progress, RecordError,
    Totals,
};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::store::{EventBatch, EventStore, FileId, SourceFile};
use sink::InterningSink;
use walk::{WalkEntry, walk};

/// A file the walk found, after detection.
enum Candidate {
    /// A readable file, its format and, when a parser reads that format, its store id.
    File {
        path: PathBuf,
        format: Format,
        id: Option<FileId>,
    },
    /// A path the walk or detection could not read.
    Unreadable { path: PathBuf, message: String },
}

/// Loads every file under `paths` into a new, time-sorted [`EventStore`].
///
/// `progress` is called from worker threads after each file. Setting `cancel` stops the load
/// between records; the store then contains what was parsed so far and the report has
/// `cancelled` set.
pub fn load(
    paths: &[PathBuf],
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
) -> (EventStore, LoadReport) {
    load_with(paths, &LoadOptions::default(), progress, cancel)
}

/// Loads like [`load`], with `options` for formats whose records leave out year or zone.
pub fn load_with(
    paths: &[PathBuf],
    options: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
) -> (EventStore, LoadReport) {
    let candidates = detect_all(walk(paths));
    let files_total = candidates.len();
    let files_done = AtomicUsize::new(0);
    let events_parsed = AtomicU64::new(0);

    let mut store = EventStore::new();
    let mut load_report = LoadReport::default();
    // Files are parsed a few at a time and moved into the store as each batch ends. Each worker
    // interns every record into an interner of its own as soon as the parser maps it, so
    // interning runs in parallel and a record's owned strings live only until the next record.
    // The store then merges each file's distinct strings once.
    let batch_size = (rayon::current_num_threads() * 2).max(2);
    let mut memory_full = false;
    for batch in candidates.chunks(batch_size) {
        if memory_full {
            for candidate in batch {
                // Unreadable and unsupported files keep their own reports, which cost nothing.
                let report = match candidate {
                    Candidate::File { id: Some(_), .. } => {
                        over_memory_limit(candidate, &store, options)
                    }
                    _ => parse_candidate(candidate, options, cancel).0,
                };
                add_file(
                    &mut store,
                    &mut load_report,
                    candidate,
                    report,
                    EventBatch::default(),
                );
            }
            continue;
        }
        let parsed: Vec<(FileReport, EventBatch)> = batch
            .par_iter()
            .map(|candidate| {
                let (report, events) = parse_candidate(candidate, options, cancel);
                let events_so_far = events_parsed.fetch_add(events.len() as u64, Ordering::Relaxed)
                    + events.len() as u64;
                progress(Progress {
                    files_done: files_done.fetch_add(1, Ordering::Relaxed) + 1,
                    files_total,
                    events: events_so_far,
                    path: report.path.clone(),
                });
                (report, events)
            })
            .collect();
        for (candidate, (report, events)) in batch.iter().zip(parsed) {
            let fits = options.memory_limit.is_none_or(|limit| {
                let after = store.heap_bytes().saturating_add(events.heap_bytes());
                u64::try_from(after).unwrap_or(u64::MAX) <= limit
            });
            memory_full |= !fits;
            if memory_full && !events.is_empty() {
                let mut dropped = over_memory_limit(candidate, &store, options);
                dropped.records_read = report.records_read;
                add_file(
                    &mut store,
                    &mut load_report,
                    candidate,
                    dropped,
                    EventBatch::default(),
                );
            } else {
                add_file(&mut store, &mut load_report, candidate, report, events);
            }
        }
    }
    store.sort();
    load_report.compute_totals();
    tracing::info!(
        events = store.len(),
        estimated_mib = store.heap_bytes() / (1024 * 1024),
        limit_mib = options.memory_limit.map(|limit| limit / (1024 * 1024)),
        "load finished"
    );
    (store, load_report)
}

/// Makes the report of a file left out because the store reached `options.memory_limit`.
fn over_memory_limit(
    candidate: &Candidate,
    store: &EventStore,
    options: &LoadOptions,
) -> FileReport {
    let (path, format) = match candidate {
        Candidate::File { path, format, .. } => (path.clone(), *format),
        Candidate::Unreadable { path, .. } => (path.clone(), Format::Unknown),
    };
    let mut report = FileReport::new(path, format, FileStatus::Failed);
    let limit = options.memory_limit.unwrap_or(u64::MAX);
    let loaded = u64::try_from(store.heap_bytes()).unwrap_or(u64::MAX);
    report.push_error(
        Location::File,
        format!(
            "not loaded: the events loaded so far take {} and this file would pass the \
             memory limit of {}; raise --memory-limit or load fewer files",
            human_bytes(loaded),
            human_bytes(limit)
        ),
    );
    report
}

/// Formats a byte count with a binary unit and one decimal, such as `1.5 GiB`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    // Precision loss above 2^53 bytes does not show at one decimal.
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        unit = next;
        if value < 1024.0 || next == "TiB" {
            break;
        }
        value /= 1024.0;
    }
    if unit == "B" {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// Registers one parsed file in the store, moves its events into it and records its report.
fn add_file(
    store: &mut EventStore,
    load_report: &mut LoadReport,
    candidate: &Candidate,
    mut report: FileReport,
    events: EventBatch,
) {
    if let Candidate::File {
        path,
        format,
        id: Some(id),
    } = candidate
    {
        // Ids were handed out in this same order; they differ only past u32::MAX files,
        // where `add_file` saturates.
        let added = store.add_file(SourceFile {
            path: path.clone(),
            format: format.name(),
        });
        if added != *id {
            tracing::error!(path = %path.display(), "file id mismatch; too many files");
        }
    }
    report.events_loaded = events.len() as u64;
    report.records_skipped = report.records_read.saturating_sub(report.events_loaded);
    store.append(events);
    load_report.cancelled |= report.status == FileStatus::Cancelled;
    load_report.files.push(report);
}

/// Detects each walked file's format, in parallel, and hands out store ids in walk order.
fn detect_all(entries: Vec<WalkEntry>) -> Vec<Candidate> {
    let mut candidates: Vec<Candidate> = entries
        .into_par_iter()
        .map(|entry| match entry {
            WalkEntry::File(path) => match detect_file(&path) {
                Ok(format) => Candidate::File {
                    path,
                    format,
                    id: None,
                },
                Err(err) => Candidate::Unreadable {
                    path,
                    message: format!("cannot read file: {err}"),
                },
            },
            WalkEntry::Unreadable(path, message) => Candidate::Unreadable { path, message },
        })
        .collect();

    let mut next_id: FileId = 0;
    for candidate in &mut candidates {
        if let Candidate::File { format, id, .. } = candidate
            && format.is_supported()
        {
            *id = Some(next_id);
            next_id = next_id.saturating_add(1);
        }
    }
    candidates
}

/// Detects the format of the file at `path` from its first [`DETECT_PREFIX_LEN`] bytes,
/// after decompression when the file is gzip.
pub fn detect_file(path: &Path) -> std::io::Result<Format> {
    let prefix = input::read_prefix(path, DETECT_PREFIX_LEN)?;
    Ok(detect(&prefix))
}

fn parse_candidate(
    candidate: &Candidate,
    options: &LoadOptions,
    cancel: &AtomicBool,
) -> (FileReport, EventBatch) {
    let (path, format, id) = match candidate {
        Candidate::Unreadable { path, message } => {
            let mut report = FileReport::new(path.clone(), Format::Unknown, FileStatus::Failed);
            report.push_error(Location::File, message.clone());
            return (report, EventBatch::default());
        }
        Candidate::File { path, format, id } => (path, *format, *id),
    };
    let Some(id) = id else {
        let mut report = FileReport::new(path.clone(), format, FileStatus::Skipped);
        let reason = match format {
            Format::Json => {
                "JSON in a shape no parser reads (not Windows events, CloudTrail, M365, Entra ID, \
                 Zeek, Okta, Google Cloud, Kubernetes audit or Docker)"
            }
            _ => "unsupported format: content matches no known log format",
        };
        report.push_error(Location::File, reason);
        return (report, EventBatch::default());
    };

    let mut report = FileReport::new(path.clone(), format, FileStatus::Loaded);
    if cancel.load(Ordering::Relaxed) {
        report.status = FileStatus::Cancelled;
        return (report, EventBatch::default());
    }
    let mut events = InterningSink::default();
    // The `evtx` crate is third-party code fed untrusted bytes; a panic in it must cost one
    // file, not the whole load.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format {
        Format::Evtx => evtx_file::parse(path, id, cancel, &mut report, &mut events),
        Format::EvtxJson => evtx_json::parse(path, id, cancel, &mut report, &mut events),
        Format::Auditd => auditd::parse(path, id, cancel, &mut report, &mut events),
        Format::Syslog => syslog::parse(path, id, options, cancel, &mut report, &mut events),
        Format::WindowsJson => {
            let map = windows_json::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::CloudTrail => {
            let map = cloudtrail::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::M365Audit => {
            let map = m365::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::EntraId => {
            let map = entra::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::ZeekJson => {
            let map = zeek::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::ZeekTsv => zeek::parse_tsv(path, id, cancel, &mut report, &mut events),
        Format::ElasticEndpoint => {
            elastic_endpoint::parse(path, id, cancel, &mut report, &mut events)
        }
        Format::UnifiedLog => unified_log::parse(path, id, cancel, &mut report, &mut events),
        Format::Journald => journald::parse(path, id, cancel, &mut report, &mut events),
        Format::Osquery => osquery::parse(path, id, cancel, &mut report, &mut events),
        Format::Esxi => esxi::parse(path, id, cancel, &mut report, &mut events),
        Format::SentinelSyslog => {
            sentinel_syslog::parse(path, id, cancel, &mut report, &mut events)
        }
        Format::AwsVpcFlow => aws_vpc_flow::parse(path, id, cancel, &mut report, &mut events),
        Format::M365Csv => m365_csv::parse(path, id, cancel, &mut report, &mut events),
        Format::OktaSystemLog => {
            let map = okta::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::GcpAudit => {
            let map = gcp_audit::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::KubernetesAudit => {
            let map = kubernetes_audit::map_record;
            json_records::parse(path, id, map, cancel, &mut report, &mut events)
        }
        Format::NetflowCsv => {
            let time = options.for_file(path);
            netflow::parse(path, id, &time, cancel, &mut report, &mut events)
        }
        Format::CiscoSyslog => {
            let time = options.for_file(path);
            cisco::parse(path, id, &time, cancel, &mut report, &mut events)
        }
        Format::DockerEvents => docker::parse_events(path, id, cancel, &mut report, &mut events),
        Format::DockerDaemon => docker::parse_daemon(path, id, cancel, &mut report, &mut events),
        Format::DockerJsonLog => docker::parse_json_log(path, id, cancel, &mut report, &mut events),
        Format::Json | Format::Unknown => true,
    }));
    match outcome {
        Ok(true) => {}
        Ok(false) => report.status = FileStatus::Cancelled,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(path = %path.display(), %message, "parser panicked");
            report.status = FileStatus::Failed;
            report.push_error(
                Location::File,
                format!("parser failed unexpectedly: {message}"),
            );
        }
    }
    let events = events.finish(&mut report);
    // A file whose container could not be opened at all produced no records.
    if report.status == FileStatus::Loaded
        && report.records_read == 0
        && report.errors.iter().any(|e| e.location == Location::File)
    {
        report.status = FileStatus::Failed;
    }
    if report.error_count() > 0 {
        tracing::warn!(
            path = %path.display(),
            errors = report.error_count(),
            "some records were not loaded"
        );
    }
    (report, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_picks_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(human_bytes(u64::MAX), "16777216.0 TiB");
    }

    const RECORD: &str = concat!(
        r#"{"Event":{"System":{"EventID":4688,"EventRecordID":7,"#,
        r##""TimeCreated":{"#attributes":{"SystemTime":"2020-01-01T00:00:00Z"}},"##,
        r#""Channel":"Security","Computer":"host"},"#,
        r#""EventData":{"NewProcessName":"C:\\Windows\\cmd.exe","NewProcessId":"0x1f4"}}}"#
    );

    fn write_samples(dir: &Path) {
        std::fs::write(dir.join("a.jsonl"), format!("{RECORD}\nnot json\n")).unwrap();
        std::fs::write(dir.join("b.txt"), "plain text").unwrap();
    }

    #[test]
    fn load_reports_skipped_and_bad_records() {
        let dir = tempfile::tempdir().unwrap();
        write_samples(dir.path());

        let (store, report) = load(
            &[dir.path().to_path_buf()],
            &|_| {},
            &AtomicBool::new(false),
        );

        assert_eq!(store.len(), 1);
        assert_eq!(
            store.field(0, "process.pid"),
            Some(crate::store::ValueRef::Int(500))
        );
        assert_eq!(report.files.len(), 2);
        assert_eq!(report.files[0].status, FileStatus::Loaded);
        assert_eq!(report.files[0].records_read, 2);
        assert_eq!(report.files[0].records_skipped, 1);
        assert_eq!(report.files[1].status, FileStatus::Skipped);
        assert_eq!(report.files[1].format, Format::Unknown);
        assert_eq!(report.totals.files_skipped, 1);
        assert_eq!(report.totals.errors, 2);
        assert!(!report.cancelled);
    }

    #[test]
    fn load_stops_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        write_samples(dir.path());

        let (store, report) = load(&[dir.path().to_path_buf()], &|_| {}, &AtomicBool::new(true));

        assert!(store.is_empty());
        assert!(report.cancelled);
        assert_eq!(report.files[0].status, FileStatus::Cancelled);
    }

    #[test]
    fn load_report_serializes_to_json() {
        let dir = tempfile::tempdir().unwrap();
        write_samples(dir.path());

        let (_, report) = load(
            &[dir.path().to_path_buf()],
            &|_| {},
            &AtomicBool::new(false),
        );
        let json = serde_json::to_value(&report).unwrap();

        assert_eq!(json["files"][0]["format"], "evtx-json");
        assert_eq!(json["files"][0]["errors"][0]["location"]["kind"], "line");
        assert_eq!(json["files"][0]["errors"][0]["location"]["line"], 2);
    }
}
