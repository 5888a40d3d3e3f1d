//! Microsoft 365 unified audit log search results exported as CSV from the Purview portal
//! (`RecordId,CreationDate,RecordType,Operation,UserId,AuditData,…`), from the older
//! compliance portal (`CreationDate,UserIds,Operations,AuditData`) or by PowerShell's
//! `Search-UnifiedAuditLog | Export-Csv`, whose first line may be a `#TYPE` line.
//!
//! The `AuditData` column contains the audit record as JSON. It is mapped by
//! [`super::m365::map_record`], exactly as a record of the JSON exports, after filling in the
//! record fields it lacks from the other columns. Quoting, doubled quotes and line breaks inside
//! fields are read by the `csv` crate.
#![doc = include_str!("m365_csv_mapping.md")]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::json_stream::LineCounter;
use super::lines::MAX_LINE_BYTES;
use super::raw::RawError;
use super::report::{FileReport, Location};
use super::sink::EventSink;
use crate::store::{EventBuilder, FileId, Origin};

/// How many rows are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 256;

/// The column that contains each audit record as JSON.
const AUDIT_DATA: &str = "AuditData";

/// Record fields taken from a column when `AuditData` lacks them: (columns in order of
/// preference, record field).
const FILLED: &[(&[&str], &str)] = &[
    (&["Operation", "Operations"], "Operation"),
    (&["CreationDate"], "CreationTime"),
    (&["UserId", "UserIds"], "UserId"),
    (&["RecordType"], "RecordType"),
    (&["RecordId"], "Id"),
];

/// Returns whether `text`, a file's first bytes, starts with the header of an audit log
/// export: an `AuditData` column with `CreationDate` and `Operation` or `Operations`.
pub(crate) fn looks_like_m365_csv(text: &str) -> bool {
    let (skip, _) = content_start(text.as_bytes());
    let rest = text.as_bytes().get(skip..).unwrap_or_default();
    let header = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
    let Ok(columns) = read_header(header) else {
        return false;
    };
    let has = |name: &str| columns.iter().any(|column| column == name);
    has(AUDIT_DATA) && has("CreationDate") && (has("Operation") || has("Operations"))
}

/// Returns how many leading bytes are not CSV (a UTF-8 byte order mark and PowerShell's
/// `#TYPE` line) and how many lines they span.
fn content_start(bytes: &[u8]) -> (usize, u64) {
    let mut start = bytes.len() - super::detect::strip_bom(bytes).len();
    let mut lines = 0;
    let content = bytes.get(start..).unwrap_or_default();
    if content.starts_with(b"#TYPE") {
        let end = content
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i + 1);
        start = end;
        lines = 1;
    }
    (start, lines)
}

/// Reads the column names of a header line.
fn read_header(line: &[u8]) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(|name| name.trim().to_owned()).collect()),
        Ok(false) => Err("the file has no header line".to_owned()),
        Err(err) => Err(format!("invalid header line: {err}")),
    }
}

/// The header's columns, with the positions the mapping needs.
struct Columns {
    names: Vec<String>,
    audit_data: usize,
}

impl Columns {
    fn new(names: Vec<String>) -> Result<Columns, String> {
        let audit_data = names
            .iter()
            .position(|name| name == AUDIT_DATA)
            .ok_or_else(|| format!("the header line has no {AUDIT_DATA} column"))?;
        Ok(Columns { names, audit_data })
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|column| column == name)
    }
}

/// Parses the export at `path` (gzip or not).
pub(crate) fn parse(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    match super::input::read_all(path, report) {
        Ok(bytes) => parse_bytes(&bytes, file, cancel, report, events),
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            true
        }
    }
}

/// Parses every data row of `bytes`, one audit record each. Returns `false` when `cancel`
/// stopped it early.
///
/// A row that cannot be mapped is reported with its CSV record number (1 for the first row
/// after the header) and the line and byte offset where it starts.
pub(crate) fn parse_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let (skip, _) = content_start(bytes);
    let mut lines = LineCounter::new(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.get(skip..).unwrap_or_default());
    let mut row = csv::ByteRecord::new();
    let columns = match reader.read_byte_record(&mut row) {
        Ok(true) => {
            let names = row
                .iter()
                .map(|name| String::from_utf8_lossy(name).trim().to_owned())
                .collect();
            Columns::new(names)
        }
        Ok(false) => Err("the file has no header line".to_owned()),
        Err(err) => Err(format!("invalid header line: {err}")),
    };
    let columns = match columns {
        Ok(columns) => columns,
        Err(message) => {
            report.push_error(Location::File, message);
            return true;
        }
    };

    let mut number = 0u64;
    loop {
        if number.is_multiple_of(CANCEL_CHECK_INTERVAL) && cancel.load(Ordering::Relaxed) {
            return false;
        }
        // The `csv` reader's own positions drift after `\r\n` line ends, so the record's
        // start is found from where the previous one ended: past the line ends and blank
        // lines that the reader skips.
        let ended = skip + reader.position().byte() as usize;
        let start = ended
            + bytes
                .get(ended..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
        let line = lines.line_at(start);
        let offset = start as u64;
        let location = Location::Line { line, offset };
        match reader.read_byte_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                // With `flexible` set and byte records, the `csv` reader fails only on I/O errors,
                // which reading a byte slice never raises.
                report.records_read += 1;
                report.push_error(location, format!("CSV record {}: {err}", number + 1));
                break;
            }
        }
        number += 1;
        report.records_read += 1;
        let length = (skip + reader.position().byte() as usize).saturating_sub(start);
        if length > MAX_LINE_BYTES {
            report.push_error(
                location,
                format!("CSV record {number} is longer than {MAX_LINE_BYTES} bytes; not parsed"),
            );
            continue;
        }
        let origin = Origin {
            file,
            record: line,
            offset: Some(offset),
        };
        match map_row(&columns, &row, origin) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(location, format!("CSV record {number}: {message}")),
        }
    }
    true
}

/// Maps one data row through [`super::m365::map_record`].
fn map_row(
    columns: &Columns,
    row: &csv::ByteRecord,
    origin: Origin,
) -> Result<EventBuilder, String> {
    let cell = |index: usize| -> Option<String> {
        row.get(index)
            .map(|bytes| String::from_utf8_lossy(bytes).trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    let Some(audit_data) = cell(columns.audit_data) else {
        return Err(if row.len() <= columns.audit_data {
            format!(
                "row has {} columns, so it has no {AUDIT_DATA} (column {} of {})",
                row.len(),
                columns.audit_data + 1,
                columns.names.len()
            )
        } else {
            format!("the {AUDIT_DATA} column is empty")
        });
    };
    let mut record: Value = serde_json::from_str(&audit_data)
        .map_err(|err| format!("{AUDIT_DATA} is not valid JSON: {err}"))?;
    let Value::Object(fields) = &mut record else {
        return Err(format!("{AUDIT_DATA} is JSON but not an object"));
    };
    for (sources, key) in FILLED {
        if fields.contains_key(*key) {
            continue;
        }
        let value = sources
            .iter()
            .filter_map(|name| columns.position(name))
            .find_map(cell);
        if let Some(value) = value {
            fields.insert((*key).to_owned(), Value::String(value));
        }
    }
    super::m365::map_record(&record, origin)
}

/// Reads back the row that starts at byte `offset` of the export at `path`, one
/// `column: value` line per column, with `AuditData` pretty-printed.
pub(crate) fn read_raw(path: &Path, offset: u64) -> Result<String, RawError> {
    let display = path.display().to_string();
    let io_error = |source| RawError::Io {
        path: display.clone(),
        source,
    };
    let header = read_header_of(path).map_err(io_error)?;
    let reader = super::input::open_at(path, offset).map_err(|source| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            RawError::NoDocument {
                path: display.clone(),
                offset,
            }
        } else {
            io_error(source)
        }
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut row = csv::StringRecord::new();
    let found = reader
        .read_record(&mut row)
        .map_err(|err| io_error(std::io::Error::new(std::io::ErrorKind::InvalidData, err)))?;
    if !found {
        return Err(RawError::NoDocument {
            path: display,
            offset,
        });
    }
    let mut out = String::new();
    for (index, value) in row.iter().enumerate() {
        let name = header
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("column {}", index + 1));
        let pretty = (name == AUDIT_DATA)
            .then(|| serde_json::from_str::<Value>(value).ok())
            .flatten()
            .and_then(|json| serde_json::to_string_pretty(&json).ok());
        match pretty {
            Some(json) => out.push_str(&format!("{name}:\n{json}\n")),
            None => out.push_str(&format!("{name}: {value}\n")),
        }
    }
    Ok(out.trim_end().to_owned())
}

/// Reads the column names from the start of the export at `path`.
fn read_header_of(path: &Path) -> std::io::Result<Vec<String>> {
    let (reader, _) = super::input::open(path)?;
    let mut reader = BufReader::new(reader.take(super::lines::MAX_LINE_BYTES as u64 * 2));
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first)?;
    let (skip, skipped_lines) = content_start(&first);
    let mut line = first.get(skip..).unwrap_or_default().to_vec();
    if skipped_lines > 0 {
        line.clear();
        reader.read_until(b'\n', &mut line)?;
    }
    read_header(&line)
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))
}

/// Renders the mapping as the Markdown in `m365_csv_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(
        "# Microsoft 365 audit log CSV export mapping\n\n\
         Every data row becomes one event, mapped from its `AuditData` column exactly as a \
         record of the JSON exports: see [m365_mapping.md](m365_mapping.md) (`log.source` \
         `m365:unified`, platform `Office Suite`). A row whose `AuditData` is empty or not a \
         JSON object is reported with its CSV record number and skipped.\n\n\
         When `AuditData` lacks a record field, it is filled in from a column before mapping:\n\n\
         | record field | column |\n|---|---|\n",
    );
    for (columns, key) in FILLED {
        let columns: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        out.push_str(&format!("| `{key}` | {} |\n", columns.join(", else ")));
    }
    out.push_str(
        "\nOther columns, such as `AssociatedAdminUnits`, are not mapped, but the detail \
         view shows them with the raw row.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::{EventStore, SourceFile, ValueRef};

    fn scan(text: &str) -> (FileReport, EventStore) {
        let mut report = FileReport::new("audit.csv".into(), Format::Unknown, FileStatus::Loaded);
        let mut events = Vec::new();
        assert!(parse_bytes(
            text.as_bytes(),
            0,
            &AtomicBool::new(false),
            &mut report,
            &mut events
        ));
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "audit.csv".into(),
            format: "m365-csv",
        });
        for event in events {
            store.push(event);
        }
        (report, store)
    }

    #[test]
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/ingest/m365_csv_mapping.md"
        );
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("m365_csv_mapping.md") == generated,
            "m365_csv_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn quoted_json_with_line_break_and_fill_in() {
        let text = "\u{feff}#TYPE Deserialized.Something\r\n\
            CreationDate,UserIds,Operations,AuditData\r\n\
            2024-05-01T10:00:00Z,ann@contoso.com,FileAccessed,\"{\"\"ClientIP\"\":\"\"198.51.100.7\"\",\r\n\
            \"\"Workload\"\":\"\"SharePoint\"\"}\"\r\n\
            2024-05-01T10:01:00Z,bob@contoso.com,UserLoggedIn,\"{\"\"broken\"\r\n";

        let (report, store) = scan(text);

        assert_eq!(report.records_read, 2);
        assert_eq!(store.len(), 1);
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("FileAccessed"))
        );
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("ann")));
        assert_eq!(
            store.field(0, "source.ip"),
            Some(ValueRef::Str("198.51.100.7"))
        );
        assert_eq!(store.events()[0].timestamp, 1_714_557_600_000_000_000);
        assert_eq!(store.events()[0].origin().record, 3);
        assert_eq!(
            store.events()[0].origin().offset,
            Some(text.find("2024-05-01T10:00").unwrap() as u64)
        );
        assert_eq!(report.errors.len(), 1);
        assert!(
            report.errors[0]
                .message
                .starts_with("CSV record 2: AuditData is not valid JSON"),
            "{}",
            report.errors[0].message
        );
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 5,
                offset: text.find("2024-05-01T10:01").unwrap() as u64
            }
        );
    }

    #[test]
    fn header_without_audit_data_fails_the_file() {
        let (report, store) = scan("a,b\n1,2\n");

        assert!(store.is_empty());
        assert_eq!(report.records_read, 0);
        assert_eq!(report.errors[0].location, Location::File);
    }

    #[test]
    fn short_and_empty_rows_are_reported() {
        let text = "RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n\
                    1,2024-05-01T10:00:00Z,15\n\
                    2,2024-05-01T10:00:00Z,15,UserLoggedIn,a@b.c,\n\
                    3,2024-05-01T10:00:00Z,15,UserLoggedIn,a@b.c,[1]\n";

        let (report, store) = scan(text);

        assert_eq!(report.records_read, 3);
        assert!(store.is_empty());
        assert!(report.errors[0].message.contains("row has 3 columns"));
        assert!(report.errors[1].message.contains("empty"));
        assert!(report.errors[2].message.contains("not an object"));
    }

    #[test]
    fn detection_reads_quoted_header() {
        assert!(looks_like_m365_csv(
            "\u{feff}\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\n"
        ));
        assert!(looks_like_m365_csv(
            "#TYPE x\nRecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits\n"
        ));
        assert!(!looks_like_m365_csv("CreationDate,UserIds,Operations\n"));
        assert!(!looks_like_m365_csv("{\"AuditData\": 1}"));
    }
}
