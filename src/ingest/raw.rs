//! Reading one raw record back from its file, for the detail view.

use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use evtx::{EvtxChunkData, EvtxParser, ParserSettings};

use super::Format;
use super::evtx_file::{CHUNK_SIZE, HEADER_SIZE, error_chain, settings};
use crate::store::{EventStore, Origin};

/// Failure to read a raw record back from its file.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The EVTX file could not be parsed.
    #[error("cannot parse EVTX file {path}: {message}")]
    Evtx {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// No record with the origin's record number was found.
    #[error("record {record} not found in {path}; the file may have changed since it was loaded")]
    NotFound {
        /// The file.
        path: String,
        /// The record number searched for.
        record: u64,
    },
    /// The text at the origin's offset is not a JSON document.
    #[error("invalid JSON at byte {offset} of {path}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The byte offset read from.
        offset: u64,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The offset is at or past the end of the file.
    #[error("no JSON document at byte {offset} of {path}; the file may have changed")]
    NoDocument {
        /// The file.
        path: String,
        /// The byte offset read from.
        offset: u64,
    },
    /// The origin has no byte offset, which line formats need.
    #[error("origin of record {record} has no byte offset")]
    MissingOffset {
        /// The record number.
        record: u64,
    },
    /// No reader for this format.
    #[error("cannot read raw records of format {0}")]
    UnsupportedFormat(Format),
    /// The store holds no event with this index.
    #[error("no event {index} in the store")]
    NoSuchEvent {
        /// The event index asked for.
        index: usize,
    },
}

/// Reads back the raw record of event `index` of `store` from its file.
pub fn read_raw_event(store: &EventStore, index: usize) -> Result<String, RawError> {
    let event = store
        .events()
        .get(index)
        .ok_or(RawError::NoSuchEvent { index })?;
    let file = store
        .files
        .get(event.origin().file as usize)
        .ok_or(RawError::NoSuchEvent { index })?;
    let format = Format::from_name(file.format).unwrap_or(Format::Unknown);
    read_raw(&file.path, format, &event.origin())
}

/// Reads the record at `origin` back from `path` as text: EVTX records as the XML the `evtx`
/// crate renders, JSON records pretty-printed.
pub fn read_raw(path: &Path, format: Format, origin: &Origin) -> Result<String, RawError> {
    match format {
        Format::Evtx => read_evtx_record(path, origin.record),
        Format::EvtxJson
        | Format::WindowsJson
        | Format::CloudTrail
        | Format::M365Audit
        | Format::EntraId
        | Format::ZeekJson
        | Format::OktaSystemLog
        | Format::GcpAudit
        | Format::KubernetesAudit => {
            let offset = origin.offset.ok_or(RawError::MissingOffset {
                record: origin.record,
            })?;
            read_json_document(path, offset)
        }
        Format::Auditd => super::auditd::read_raw(path, line_offset(origin)?),
        Format::Syslog => super::syslog::read_raw(path, line_offset(origin)?),
        Format::ZeekTsv => {
            let offset = origin.offset.ok_or(RawError::MissingOffset {
                record: origin.record,
            })?;
            read_line(path, offset)
        }
        Format::ElasticEndpoint => read_json_document(path, line_offset(origin)?),
        Format::UnifiedLog => read_json_document(path, line_offset(origin)?),
        Format::Journald => read_json_document(path, line_offset(origin)?),
        Format::Osquery => read_json_document(path, line_offset(origin)?),
        Format::Esxi => super::esxi::read_raw(path, line_offset(origin)?),
        Format::SentinelSyslog => super::sentinel_syslog::read_raw(path, line_offset(origin)?),
        Format::AwsVpcFlow => read_line(path, line_offset(origin)?),
        Format::M365Csv => super::m365_csv::read_raw(path, line_offset(origin)?),
        Format::NetflowCsv => super::netflow::read_raw(path, line_offset(origin)?),
        Format::CiscoSyslog => super::syslog::read_raw(path, line_offset(origin)?),
        Format::DockerEvents | Format::DockerJsonLog => {
            read_json_document(path, line_offset(origin)?)
        }
        Format::DockerDaemon => super::docker::read_raw(path, line_offset(origin)?),
        Format::Json | Format::Unknown => Err(RawError::UnsupportedFormat(format)),
    }
}

/// The byte offset of a record in a line format.
fn line_offset(origin: &Origin) -> Result<u64, RawError> {
    origin.offset.ok_or(RawError::MissingOffset {
        record: origin.record,
    })
}

fn read_evtx_record(path: &Path, record_id: u64) -> Result<String, RawError> {
    let display = path.display().to_string();
    let evtx_error = |err: &dyn std::error::Error| RawError::Evtx {
        path: display.clone(),
        message: error_chain(err),
    };
    // Indented, because the detail view shows the record one line per element; loading keeps
    // the compact form.
    let indented = Arc::new(settings().indent(true));
    let io_error = |source| RawError::Io {
        path: display.clone(),
        source,
    };
    if super::input::is_gzip_file(path).map_err(io_error)? {
        let (reader, _) = super::input::open(path).map_err(io_error)?;
        return find_record_in_stream(reader, record_id, &indented)
            .map_err(|source| RawError::Io {
                path: display.clone(),
                source,
            })?
            .ok_or(RawError::NotFound {
                path: display.clone(),
                record: record_id,
            })?
            .map_err(|message| RawError::Evtx {
                path: display.clone(),
                message,
            });
    }
    let mut parser = EvtxParser::from_path(path)
        .map_err(|e| evtx_error(&e))?
        .with_configuration(settings());
    let settings = indented;

    // Chunk headers name their record id range, so only the chunk that contains the record is
    // parsed. Chunks that fail to read are skipped here: loading already reported them.
    for chunk in parser.chunks() {
        let Ok(mut chunk) = chunk else { continue };
        let header = &chunk.header;
        if record_id < header.first_event_record_id || record_id > header.last_event_record_id {
            continue;
        }
        let Ok(mut parsed) = chunk.parse(Arc::clone(&settings)) else {
            continue;
        };
        for record in parsed.iter().flatten() {
            if record.event_record_id == record_id {
                let xml = record.into_xml().map_err(|e| evtx_error(&e))?;
                return Ok(xml.data);
            }
        }
    }
    Err(RawError::NotFound {
        path: display,
        record: record_id,
    })
}

/// Finds record `record_id` in the EVTX content `reader` yields, such as a gzip stream that
/// cannot seek, holding one chunk in memory at a time. Returns `Ok(None)` when no chunk has
/// the record, and `Ok(Some(Err(message)))` when its chunk or record cannot be rendered.
fn find_record_in_stream(
    reader: impl Read,
    record_id: u64,
    settings: &Arc<ParserSettings>,
) -> std::io::Result<Option<Result<String, String>>> {
    let mut reader = BufReader::new(reader);
    std::io::copy(&mut (&mut reader).take(HEADER_SIZE), &mut std::io::sink())?;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_SIZE as usize);
        (&mut reader).take(CHUNK_SIZE).read_to_end(&mut chunk)?;
        if (chunk.len() as u64) < CHUNK_SIZE {
            // A partial last chunk, which loading reported, or the end of the file.
            return Ok(None);
        }
        // Chunks that fail to read are skipped here, as loading already reported them.
        let Ok(mut data) = EvtxChunkData::new(chunk, false) else {
            continue;
        };
        let header = &data.header;
        if record_id < header.first_event_record_id || record_id > header.last_event_record_id {
            continue;
        }
        let mut parsed = match data.parse(Arc::clone(settings)) {
            Ok(parsed) => parsed,
            Err(err) => return Ok(Some(Err(error_chain(&err)))),
        };
        for record in parsed.iter().flatten() {
            if record.event_record_id == record_id {
                return Ok(Some(
                    record
                        .into_xml()
                        .map(|xml| xml.data)
                        .map_err(|e| error_chain(&e)),
                ));
            }
        }
    }
}

pub(crate) fn read_json_document(path: &Path, offset: u64) -> Result<String, RawError> {
    let display = path.display().to_string();
    let io_error = |source| RawError::Io {
        path: display.clone(),
        source,
    };
    let file = super::input::open_at(path, offset).map_err(io_error)?;
    let mut documents = serde_json::Deserializer::from_reader(BufReader::new(file))
        .into_iter::<serde_json::Value>();
    let json_error = |source| RawError::Json {
        path: display.clone(),
        offset,
        source,
    };
    match documents.next() {
        Some(Ok(value)) => serde_json::to_string_pretty(&value).map_err(json_error),
        Some(Err(err)) => Err(json_error(err)),
        None => Err(RawError::NoDocument {
            path: display.clone(),
            offset,
        }),
    }
}

/// Reads the line that starts at byte `offset`, up to [`super::zeek::MAX_LINE_LEN`] bytes.
fn read_line(path: &Path, offset: u64) -> Result<String, RawError> {
    use std::io::{BufRead, Read};

    let display = path.display().to_string();
    let file = super::input::open_at(path, offset).map_err(|source| RawError::Io {
        path: display.clone(),
        source,
    })?;
    let mut line = Vec::new();
    BufReader::new(file)
        .take(super::zeek::MAX_LINE_LEN as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(|source| RawError::Io {
            path: display.clone(),
            source,
        })?;
    if line.is_empty() {
        return Err(RawError::NoDocument {
            path: display,
            offset,
        });
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}
