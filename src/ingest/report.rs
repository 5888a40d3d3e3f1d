//! The load report: per-file counts, record errors with their locations, and totals.
//!
//! Everything here serializes with serde so `glexia scan --format json` can print the
//! per-file entries as its `files` list.

use std::path::PathBuf;

use serde::Serialize;

use super::Format;

/// Maximum number of record errors kept per file; the rest are only counted, so one corrupt
/// file cannot grow the report without bound.
pub const MAX_ERRORS_PER_FILE: usize = 1000;

/// The position of a record error in its file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// The file as a whole, such as an unreadable file or an invalid EVTX header.
    File,
    /// An EVTX record, by its `EventRecordID`.
    EvtxRecord {
        /// The record's `EventRecordID`.
        record_id: u64,
    },
    /// An EVTX chunk, by its 0-based number in the file.
    EvtxChunk {
        /// The chunk's number.
        chunk: u64,
    },
    /// An EVTX record whose header is unreadable, by its position inside its chunk.
    EvtxChunkOffset {
        /// The chunk's number, when the parser knew it.
        chunk: Option<u64>,
        /// Byte offset of the record inside the chunk.
        offset: u64,
    },
    /// A record in a text format.
    Line {
        /// 1-based line number where the record starts.
        line: u64,
        /// Byte offset of the record's first byte in the file.
        offset: u64,
    },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File => f.write_str("file"),
            Location::EvtxRecord { record_id } => write!(f, "record {record_id}"),
            Location::EvtxChunk { chunk } => write!(f, "chunk {chunk}"),
            Location::EvtxChunkOffset {
                chunk: Some(chunk),
                offset,
            } => write!(f, "chunk {chunk}, offset {offset}"),
            Location::EvtxChunkOffset {
                chunk: None,
                offset,
            } => write!(f, "chunk offset {offset}"),
            Location::Line { line, offset } => write!(f, "line {line} (byte {offset})"),
        }
    }
}

/// One record or file that could not be loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// The position of the problem.
    pub location: Location,
    /// The parser's description of the problem.
    pub message: String,
}

/// The outcome for one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// The file was parsed; individual records may still have failed (see `errors`).
    Loaded,
    /// The file was not parsed because no parser reads its format.
    Skipped,
    /// The file could not be read or its container is invalid (see `errors`).
    Failed,
    /// The load was cancelled before or while this file was parsed.
    Cancelled,
}

/// Counts and errors for one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file's path, as given or as found while walking a directory.
    pub path: PathBuf,
    /// The format detected from the file's content.
    pub format: Format,
    /// Whether the file was loaded, skipped or failed.
    pub status: FileStatus,
    /// Records found in the file, whether they loaded or not.
    pub records_read: u64,
    /// Records that became events in the store.
    pub events_loaded: u64,
    /// Records found but not loaded; each has an entry in `errors` until the cap is reached.
    pub records_skipped: u64,
    /// Errors with their locations, at most [`MAX_ERRORS_PER_FILE`].
    pub errors: Vec<RecordError>,
    /// Errors beyond the cap that were counted but not kept.
    pub errors_omitted: u64,
    /// Assumptions the parser made about the whole file, such as the year and zone of
    /// syslog timestamps, and lines it read as comments rather than records.
    pub notes: Vec<String>,
}

impl FileReport {
    /// Creates an empty report for `path`.
    pub fn new(path: PathBuf, format: Format, status: FileStatus) -> Self {
        FileReport {
            path,
            format,
            status,
            records_read: 0,
            events_loaded: 0,
            records_skipped: 0,
            errors: Vec::new(),
            errors_omitted: 0,
            notes: Vec::new(),
        }
    }

    /// Records an error, keeping at most [`MAX_ERRORS_PER_FILE`] of them.
    pub fn push_error(&mut self, location: Location, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS_PER_FILE {
            self.errors.push(RecordError {
                location,
                message: message.into(),
            });
        } else {
            self.errors_omitted += 1;
        }
    }

    /// Total errors, kept and omitted.
    pub fn error_count(&self) -> u64 {
        self.errors.len() as u64 + self.errors_omitted
    }
}

/// Sums over all files of a load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Files found, including skipped and failed ones.
    pub files: u64,
    /// Files parsed.
    pub files_loaded: u64,
    /// Files in a format no parser reads.
    pub files_skipped: u64,
    /// Files or directory entries that could not be read.
    pub files_failed: u64,
    /// Records found in all files.
    pub records_read: u64,
    /// Events added to the store.
    pub events_loaded: u64,
    /// Records found but not loaded.
    pub records_skipped: u64,
    /// Errors of all files, kept and omitted.
    pub errors: u64,
}

/// The outcome of [`super::load`]: one entry per file found, plus totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// One entry per file or unreadable directory entry, in path order.
    pub files: Vec<FileReport>,
    /// Sums over `files`.
    pub totals: Totals,
    /// Whether the load was cancelled before every file was parsed.
    pub cancelled: bool,
}

impl LoadReport {
    /// Recomputes `totals` from `files`.
    pub fn compute_totals(&mut self) {
        let mut totals = Totals::default();
        for file in &self.files {
            totals.files += 1;
            match file.status {
                FileStatus::Loaded => totals.files_loaded += 1,
                FileStatus::Skipped => totals.files_skipped += 1,
                FileStatus::Failed => totals.files_failed += 1,
                FileStatus::Cancelled => {}
            }
            totals.records_read += file.records_read;
            totals.events_loaded += file.events_loaded;
            totals.records_skipped += file.records_skipped;
            totals.errors += file.error_count();
        }
        self.totals = totals;
    }
}

/// Progress of a running load, sent after each file is parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Files parsed or skipped so far.
    pub files_done: usize,
    /// Files found by the directory walk.
    pub files_total: usize,
    /// Events parsed so far, over all finished files.
    pub events: u64,
    /// The file that just finished.
    pub path: PathBuf,
}
