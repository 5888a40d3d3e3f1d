//! A binary EVTX encoder for the benchmark's generated logs.
//!
//! It turns evtx_dump-style JSON records (`{"Event":{"System":{...},"EventData":{...}}}`) into
//! an EVTX file laid out as Windows writes one (the BinXML of MS-EVEN6):
//! - a 4096-byte file header ("ElfFile\0") with the chunk count and the CRC32 of its first
//!   120 bytes;
//! - 64 KiB chunks ("ElfChnk\0") whose 512-byte header contains the record ids, the free space
//!   offset, the CRC32 of the records, a 64-bucket string table, a 32-bucket template table and
//!   the CRC32 of the header itself;
//! - records ("**\0\0", size, record id, FILETIME, BinXML, size again) whose BinXML is one
//!   template instance. The template definition is written inline, in the first record of a
//!   chunk that has its shape (provider, event id, element and data names, value types), and
//!   later records of that chunk point back at it. The record's values follow as a typed
//!   substitution array: UTF-16 strings, unsigned integers, FILETIME for `SystemTime`.
//!
//! Element and attribute names are chunk-local name structures, written inline where a chunk
//! first uses them and linked into the chunk's string table.
//!
//! The JSON maps to XML as evtx_dump renders it: an object is an element, its `#attributes`
//! object contains the attributes, a scalar is an element whose text is a substitution, and every
//! key of `EventData` is a `<Data Name="key">` element.
//!
//! NOTE: the output has only the elements of the source JSON. Windows also writes an `xmlns`
//! attribute on `Event` and `System` elements such as `Task`, `Keywords` and `Execution`, which
//! the generator's records lack, so that the evtx crate's JSON of a record equals its source.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_HEADER_SIZE: usize = 24;
/// Seconds from 1601-01-01 (the FILETIME epoch) to 1970-01-01.
const FILETIME_UNIX_OFFSET_SECONDS: i64 = 11_644_473_600;

/// BinXML token bytes (MS-EVEN6 section 2.2.3.1).
mod token {
    pub const END_OF_FRAGMENT: u8 = 0x00;
    pub const OPEN_START_ELEMENT: u8 = 0x01;
    pub const CLOSE_START_ELEMENT: u8 = 0x02;
    pub const CLOSE_EMPTY_ELEMENT: u8 = 0x03;
    pub const END_ELEMENT: u8 = 0x04;
    pub const VALUE_TEXT: u8 = 0x05;
    pub const ATTRIBUTE: u8 = 0x06;
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub const NORMAL_SUBSTITUTION: u8 = 0x0d;
    pub const FRAGMENT_HEADER: u8 = 0x0f;
    /// Set on an element start that has attributes, and on an attribute that another follows.
    pub const MORE_FLAG: u8 = 0x40;
}

/// BinXML value types used for substitutions (MS-EVEN6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ValueType {
    Null = 0x00,
    String = 0x01,
    UInt8 = 0x04,
    UInt16 = 0x06,
    UInt32 = 0x08,
    Int64 = 0x09,
    UInt64 = 0x0a,
    Real64 = 0x0c,
    Bool = 0x0d,
    FileTime = 0x11,
}

/// Returns the error for a record the encoder cannot represent.
fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// Converts an RFC 3339 time to a FILETIME: 100 ns ticks since 1601-01-01 UTC.
fn filetime(text: &str) -> Option<u64> {
    let time = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    let seconds = time.timestamp().checked_add(FILETIME_UNIX_OFFSET_SECONDS)?;
    let ticks = u64::try_from(seconds).ok()?.checked_mul(10_000_000)?;
    ticks.checked_add(u64::from(time.timestamp_subsec_nanos() / 100))
}

/// Chooses the substitution type of a JSON scalar. Field names fix the types Windows gives the
/// `System` fields; other integers are `UInt32` when they fit, as Sysmon's ids are.
fn value_type(name: &str, value: &Value) -> Result<ValueType, String> {
    match value {
        Value::Null => Ok(ValueType::Null),
        Value::Bool(_) => Ok(ValueType::Bool),
        Value::String(text) => {
            if name == "SystemTime" && filetime(text).is_some() {
                Ok(ValueType::FileTime)
            } else {
                Ok(ValueType::String)
            }
        }
        Value::Number(number) => match (number.as_u64(), number.as_i64()) {
            (Some(n), _) => Ok(match name {
                "Version" | "Level" | "Opcode" if n <= u64::from(u8::MAX) => ValueType::UInt8,
                "EventID" | "Task" if n <= u64::from(u16::MAX) => ValueType::UInt16,
                "EventRecordID" => ValueType::UInt64,
                _ if n <= u64::from(u32::MAX) => ValueType::UInt32,
                _ => ValueType::UInt64,
            }),
            (None, Some(_)) => Ok(ValueType::Int64),
            (None, None) => Ok(ValueType::Real64),
        },
        Value::Array(_) | Value::Object(_) => Err(format!("'{name}' is not a scalar")),
    }
}

/// Appends the little-endian bytes of one substitution value.
fn encode_value(out: &mut Vec<u8>, kind: ValueType, value: &Value) {
    match (kind, value) {
        (ValueType::String, Value::String(text)) => {
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        }
        (ValueType::FileTime, Value::String(text)) => {
            out.extend(filetime(text).unwrap_or(0).to_le_bytes());
        }
        (ValueType::Bool, Value::Bool(flag)) => out.extend(u32::from(*flag).to_le_bytes()),
        (ValueType::Real64, Value::Number(n)) => {
            out.extend(n.as_f64().unwrap_or(0.0).to_le_bytes());
        }
        (ValueType::Int64, Value::Number(n)) => out.extend(n.as_i64().unwrap_or(0).to_le_bytes()),
        (_, Value::Number(n)) => {
            let n = n.as_u64().unwrap_or(0);
            match kind {
                ValueType::UInt8 => out.push(u8::try_from(n).unwrap_or(u8::MAX)),
                ValueType::UInt16 => out.extend(u16::try_from(n).unwrap_or(0).to_le_bytes()),
                ValueType::UInt32 => out.extend(u32::try_from(n).unwrap_or(0).to_le_bytes()),
                _ => out.extend(n.to_le_bytes()),
            }
        }
        _ => {}
    }
}

/// Windows' name hash: `hash * 65599 + code unit` over the UTF-16 name, low 16 bits kept.
fn name_hash(name: &str) -> u16 {
    let hash = name.encode_utf16().fold(0u32, |hash, unit| {
        hash.wrapping_mul(65599).wrapping_add(u32::from(unit))
    });
    (hash & 0xffff) as u16
}

/// FNV-1a over `bytes` from `seed`, used to derive template GUIDs.
fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn patch_u32(buffer: &mut [u8], at: usize, value: u32) {
    if let Some(slot) = buffer.get_mut(at..at + 4) {
        slot.copy_from_slice(&value.to_le_bytes());
    }
}

fn length_u32(length: usize) -> u32 {
    u32::try_from(length).unwrap_or(u32::MAX)
}

/// A template definition already written in the current chunk.
#[derive(Clone, Copy)]
struct Template {
    id: u32,
    /// Chunk offset of the definition's header (next-template offset, GUID, data size).
    offset: u32,
}

/// The chunk being filled: its bytes, string and template tables and record range.
struct Chunk {
    data: Vec<u8>,
    /// The free space offset: where the next record goes.
    end: usize,
    names: HashMap<String, u32>,
    string_buckets: [u32; 64],
    templates: HashMap<String, Template>,
    template_buckets: [u32; 32],
    first_record_id: u64,
    last_record_id: u64,
    last_record_offset: usize,
    records: u64,
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            data: vec![0; CHUNK_SIZE],
            end: CHUNK_HEADER_SIZE,
            names: HashMap::new(),
            string_buckets: [0; 64],
            templates: HashMap::new(),
            template_buckets: [0; 32],
            first_record_id: 0,
            last_record_id: 0,
            last_record_offset: 0,
            records: 0,
        }
    }

    /// Fills in the chunk header and both CRC32s, and returns the finished 64 KiB.
    fn finish(mut self) -> Vec<u8> {
        let end = length_u32(self.end);
        let last_offset = length_u32(self.last_record_offset);
        let header = &mut self.data;
        header[..8].copy_from_slice(b"ElfChnk\0");
        // Log record numbers and record ids are the same here, as in an uncleared log.
        header[8..16].copy_from_slice(&self.first_record_id.to_le_bytes());
        header[16..24].copy_from_slice(&self.last_record_id.to_le_bytes());
        header[24..32].copy_from_slice(&self.first_record_id.to_le_bytes());
        header[32..40].copy_from_slice(&self.last_record_id.to_le_bytes());
        header[40..44].copy_from_slice(&128u32.to_le_bytes());
        header[44..48].copy_from_slice(&last_offset.to_le_bytes());
        header[48..52].copy_from_slice(&end.to_le_bytes());
        let records_crc = crc32fast::hash(&self.data[CHUNK_HEADER_SIZE..self.end]);
        let header = &mut self.data;
        header[52..56].copy_from_slice(&records_crc.to_le_bytes());
        for (i, offset) in self.string_buckets.iter().enumerate() {
            patch_u32(header, 128 + i * 4, *offset);
        }
        for (i, offset) in self.template_buckets.iter().enumerate() {
            patch_u32(header, 384 + i * 4, *offset);
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&header[..120]);
        hasher.update(&header[128..CHUNK_HEADER_SIZE]);
        let header_crc = hasher.finalize();
        header[124..128].copy_from_slice(&header_crc.to_le_bytes());
        self.data
    }
}

/// One record's BinXML as it is encoded at a fixed chunk offset, with the names and the
/// template it would add to the chunk once it fits.
struct RecordEncoder<'c> {
    chunk: &'c Chunk,
    /// Chunk offset of `out[0]`.
    base: usize,
    out: Vec<u8>,
    new_names: Vec<(String, u32)>,
    new_template: Option<(String, Template)>,
    next_substitution: u16,
}

impl RecordEncoder<'_> {
    fn position(&self) -> usize {
        self.base + self.out.len()
    }

    /// Writes a reference to `name`, and the name structure itself when the chunk lacks it.
    fn name(&mut self, name: &str) {
        let known = self.chunk.names.get(name).copied().or_else(|| {
            self.new_names
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, offset)| *offset)
        });
        if let Some(offset) = known {
            self.out.extend(offset.to_le_bytes());
            return;
        }
        let offset = length_u32(self.position() + 4);
        self.out.extend(offset.to_le_bytes());
        // The next-string link is filled in when the chunk takes the record.
        self.out.extend(0u32.to_le_bytes());
        self.out.extend(name_hash(name).to_le_bytes());
        let units: Vec<u16> = name.encode_utf16().collect();
        self.out
            .extend(u16::try_from(units.len()).unwrap_or(0).to_le_bytes());
        self.out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        self.out.extend(0u16.to_le_bytes());
        self.new_names.push((name.to_owned(), offset));
    }

    fn substitution(&mut self, kind: ValueType) {
        self.out.push(token::NORMAL_SUBSTITUTION);
        self.out.extend(self.next_substitution.to_le_bytes());
        self.out.push(kind as u8);
        self.next_substitution += 1;
    }

    /// Opens an element; returns where its data size goes, to patch in [`Self::end_element`].
    fn open_element(&mut self, name: &str, has_attributes: bool) -> usize {
        let flag = if has_attributes { token::MORE_FLAG } else { 0 };
        self.out.push(token::OPEN_START_ELEMENT | flag);
        // The dependency id: no element of these templates depends on a substitution.
        self.out.extend(0xffffu16.to_le_bytes());
        let size_at = self.out.len();
        self.out.extend(0u32.to_le_bytes());
        self.name(name);
        size_at
    }

    fn end_element(&mut self, size_at: usize, empty: bool) {
        self.out.push(if empty {
            token::CLOSE_EMPTY_ELEMENT
        } else {
            token::END_ELEMENT
        });
        let size = length_u32(self.out.len() - size_at - 4);
        patch_u32(&mut self.out, size_at, size);
    }

    /// Writes the element `name` for the JSON `value`, collecting the substituted scalars.
    fn element<'v>(
        &mut self,
        name: &str,
        value: &'v Value,
        values: &mut Vec<(ValueType, &'v Value)>,
    ) -> Result<(), String> {
        let Value::Object(members) = value else {
            let kind = value_type(name, value)?;
            let size_at = self.open_element(name, false);
            self.out.push(token::CLOSE_START_ELEMENT);
            self.substitution(kind);
            values.push((kind, value));
            self.end_element(size_at, false);
            return Ok(());
        };
        let attributes = match members.get("#attributes") {
            Some(Value::Object(attributes)) => Some(attributes),
            Some(_) => return Err(format!("'{name}' has '#attributes' that is not an object")),
            None => None,
        };
        let size_at = self.open_element(name, attributes.is_some_and(|a| !a.is_empty()));
        if let Some(attributes) = attributes.filter(|a| !a.is_empty()) {
            self.attributes(attributes, values)?;
        }
        let children: Vec<(&String, &Value)> = members
            .iter()
            .filter(|(key, _)| key.as_str() != "#attributes")
            .collect();
        if children.is_empty() {
            self.end_element(size_at, true);
            return Ok(());
        }
        self.out.push(token::CLOSE_START_ELEMENT);
        for (key, child) in children {
            if key == "#text" {
                let kind = value_type(name, child)?;
                self.substitution(kind);
                values.push((kind, child));
            } else if name == "EventData" {
                self.data_element(key, child, values)?;
            } else {
                self.element(key, child, values)?;
            }
        }
        self.end_element(size_at, false);
        Ok(())
    }

    fn attributes<'v>(
        &mut self,
        attributes: &'v Map<String, Value>,
        values: &mut Vec<(ValueType, &'v Value)>,
    ) -> Result<(), String> {
        let list_size_at = self.out.len();
        self.out.extend(0u32.to_le_bytes());
        let count = attributes.len();
        for (i, (attribute, value)) in attributes.iter().enumerate() {
            let flag = if i + 1 < count { token::MORE_FLAG } else { 0 };
            self.out.push(token::ATTRIBUTE | flag);
            self.name(attribute);
            let kind = value_type(attribute, value)?;
            self.substitution(kind);
            values.push((kind, value));
        }
        let size = length_u32(self.out.len() - list_size_at - 4);
        patch_u32(&mut self.out, list_size_at, size);
        Ok(())
    }

    /// Writes `<Data Name="key">value</Data>`, the name as literal text of the template.
    fn data_element<'v>(
        &mut self,
        key: &str,
        value: &'v Value,
        values: &mut Vec<(ValueType, &'v Value)>,
    ) -> Result<(), String> {
        let kind = value_type(key, value)?;
        let size_at = self.open_element("Data", true);
        let list_size_at = self.out.len();
        self.out.extend(0u32.to_le_bytes());
        self.out.push(token::ATTRIBUTE);
        self.name("Name");
        self.out.push(token::VALUE_TEXT);
        self.out.push(ValueType::String as u8);
        let units: Vec<u16> = key.encode_utf16().collect();
        self.out
            .extend(u16::try_from(units.len()).unwrap_or(0).to_le_bytes());
        self.out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        let size = length_u32(self.out.len() - list_size_at - 4);
        patch_u32(&mut self.out, list_size_at, size);
        self.out.push(token::CLOSE_START_ELEMENT);
        self.substitution(kind);
        values.push((kind, value));
        self.end_element(size_at, false);
        Ok(())
    }
}

/// Builds the key of a record's template shape: its element tree with names and value types
/// but no values. Provider and event id lead, so each event kind gets its own template as on
/// Windows.
fn template_key(record: &Value) -> String {
    fn shape(name: &str, value: &Value, key: &mut String) {
        key.push('<');
        key.push_str(name);
        match value {
            Value::Object(members) => {
                for (child, inner) in members {
                    shape(child, inner, key);
                }
            }
            scalar => {
                let kind = value_type(name, scalar).map_or(0xff, |k| k as u8);
                key.push_str(&format!("={kind}"));
            }
        }
        key.push('>');
    }
    let system = &record["Event"]["System"];
    let mut key = format!(
        "{}|{}|",
        system["Provider"]["#attributes"]["Name"], system["EventID"]
    );
    if let Some(event) = record.get("Event") {
        shape("Event", event, &mut key);
    }
    key
}

/// Writes one EVTX file chunk by chunk. Call [`EvtxWriter::finish`] to write the file header.
pub struct EvtxWriter {
    out: BufWriter<File>,
    path: PathBuf,
    chunk: Chunk,
    chunks: u64,
    last_record_id: u64,
}

impl EvtxWriter {
    /// Creates the file at `path`, leaving room for the file header.
    pub fn create(path: &Path) -> std::io::Result<EvtxWriter> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        out.write_all(&[0; FILE_HEADER_SIZE])?;
        Ok(EvtxWriter {
            out,
            path: path.to_path_buf(),
            chunk: Chunk::new(),
            chunks: 0,
            last_record_id: 0,
        })
    }

    /// Appends one record. Its id is `Event.System.EventRecordID` and its time
    /// `Event.System.TimeCreated.#attributes.SystemTime`, both required.
    pub fn write(&mut self, record: &Value) -> std::io::Result<()> {
        let system = &record["Event"]["System"];
        let record_id = system["EventRecordID"]
            .as_u64()
            .ok_or_else(|| invalid("missing or non-integer Event.System.EventRecordID".into()))?;
        let time = system["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .and_then(filetime)
            .ok_or_else(|| {
                invalid("missing or invalid Event.System.TimeCreated SystemTime".into())
            })?;
        let encoded = match self.encode(record, record_id, time) {
            Some(encoded) => encoded,
            None => {
                self.flush_chunk()?;
                self.encode(record, record_id, time).ok_or_else(|| {
                    invalid(format!(
                        "record {record_id} does not fit in an empty 64 KiB chunk"
                    ))
                })?
            }
        }
        .map_err(invalid)?;
        self.commit(encoded, record_id);
        Ok(())
    }

    /// Encodes a record at the chunk's free space offset. Returns `None` when it does not fit.
    fn encode(&self, record: &Value, record_id: u64, time: u64) -> Option<Result<Encoded, String>> {
        let base = self.chunk.end;
        let mut encoder = RecordEncoder {
            chunk: &self.chunk,
            base: base + RECORD_HEADER_SIZE,
            out: Vec::with_capacity(2048),
            new_names: Vec::new(),
            new_template: None,
            next_substitution: 0,
        };
        if let Err(message) = encode_binxml(&mut encoder, record) {
            return Some(Err(message));
        }
        let size = RECORD_HEADER_SIZE + encoder.out.len() + 4;
        if base + size > CHUNK_SIZE {
            return None;
        }
        let mut bytes = Vec::with_capacity(size);
        bytes.extend([0x2a, 0x2a, 0, 0]);
        bytes.extend(length_u32(size).to_le_bytes());
        bytes.extend(record_id.to_le_bytes());
        bytes.extend(time.to_le_bytes());
        bytes.extend(&encoder.out);
        bytes.extend(length_u32(size).to_le_bytes());
        Some(Ok(Encoded {
            bytes,
            new_names: encoder.new_names,
            new_template: encoder.new_template,
        }))
    }

    /// Copies an encoded record into the chunk and links its new names and template into the
    /// chunk's tables, each new entry becoming the head of its bucket.
    fn commit(&mut self, encoded: Encoded, record_id: u64) {
        let chunk = &mut self.chunk;
        let start = chunk.end;
        chunk.data[start..start + encoded.bytes.len()].copy_from_slice(&encoded.bytes);
        for (name, offset) in encoded.new_names {
            let bucket = usize::from(name_hash(&name)) % chunk.string_buckets.len();
            patch_u32(
                &mut chunk.data,
                offset as usize,
                chunk.string_buckets[bucket],
            );
            chunk.string_buckets[bucket] = offset;
            chunk.names.insert(name, offset);
        }
        if let Some((key, template)) = encoded.new_template {
            let bucket = template.id as usize % chunk.template_buckets.len();
            patch_u32(
                &mut chunk.data,
                template.offset as usize,
                chunk.template_buckets[bucket],
            );
            chunk.template_buckets[bucket] = template.offset;
            chunk.templates.insert(key, template);
        }
        if chunk.records == 0 {
            chunk.first_record_id = record_id;
        }
        chunk.records += 1;
        chunk.last_record_id = record_id;
        chunk.last_record_offset = start;
        chunk.end = start + encoded.bytes.len();
        self.last_record_id = record_id;
    }

    fn flush_chunk(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.chunk, Chunk::new());
        if chunk.records == 0 {
            return Ok(());
        }
        self.out.write_all(&chunk.finish())?;
        self.chunks += 1;
        Ok(())
    }

    /// Writes the last chunk and the file header.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.flush_chunk()?;
        let chunk_count = u16::try_from(self.chunks).map_err(|_| {
            invalid(format!(
                "{}: {} chunks exceed the EVTX limit of 65535",
                self.path.display(),
                self.chunks
            ))
        })?;
        let mut header = vec![0u8; FILE_HEADER_SIZE];
        header[..8].copy_from_slice(b"ElfFile\0");
        header[8..16].copy_from_slice(&0u64.to_le_bytes());
        let last_chunk = self.chunks.saturating_sub(1);
        header[16..24].copy_from_slice(&last_chunk.to_le_bytes());
        header[24..32].copy_from_slice(&(self.last_record_id + 1).to_le_bytes());
        header[32..36].copy_from_slice(&128u32.to_le_bytes());
        header[36..38].copy_from_slice(&1u16.to_le_bytes());
        header[38..40].copy_from_slice(&3u16.to_le_bytes());
        header[40..42].copy_from_slice(&4096u16.to_le_bytes());
        header[42..44].copy_from_slice(&chunk_count.to_le_bytes());
        // File flags stay 0: the log was closed cleanly and is not full.
        let crc = crc32fast::hash(&header[..120]);
        header[124..128].copy_from_slice(&crc.to_le_bytes());
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header)?;
        file.flush()
    }
}

/// A record encoded for the current chunk, not yet copied into it.
struct Encoded {
    bytes: Vec<u8>,
    new_names: Vec<(String, u32)>,
    new_template: Option<(String, Template)>,
}

/// Encodes the record's BinXML: a fragment header, a template instance (with the template
/// definition inline when the chunk has none of this shape), its substitution array, and the
/// end-of-fragment token.
fn encode_binxml(encoder: &mut RecordEncoder<'_>, record: &Value) -> Result<(), String> {
    let event = record
        .get("Event")
        .filter(|event| event.is_object())
        .ok_or_else(|| "missing object 'Event'".to_owned())?;
    encoder
        .out
        .extend([token::FRAGMENT_HEADER, 1, 1, 0, token::TEMPLATE_INSTANCE, 1]);
    let key = template_key(record);
    let mut values = Vec::new();
    if let Some(template) = encoder.chunk.templates.get(&key).copied() {
        encoder.out.extend(template.id.to_le_bytes());
        encoder.out.extend(template.offset.to_le_bytes());
        collect_values("Event", event, &mut values)?;
    } else {
        let guid_low = fnv1a(0xcbf2_9ce4_8422_2325, key.as_bytes());
        let guid_high = fnv1a(guid_low, key.as_bytes());
        let id = (guid_low & 0xffff_ffff) as u32;
        let offset = length_u32(encoder.position() + 8);
        encoder.out.extend(id.to_le_bytes());
        encoder.out.extend(offset.to_le_bytes());
        // The next-template link is filled in when the chunk takes the record.
        encoder.out.extend(0u32.to_le_bytes());
        encoder.out.extend(guid_low.to_le_bytes());
        encoder.out.extend(guid_high.to_le_bytes());
        let data_size_at = encoder.out.len();
        encoder.out.extend(0u32.to_le_bytes());
        encoder.out.extend([token::FRAGMENT_HEADER, 1, 1, 0]);
        encoder.element("Event", event, &mut values)?;
        encoder.out.push(token::END_OF_FRAGMENT);
        let data_size = length_u32(encoder.out.len() - data_size_at - 4);
        patch_u32(&mut encoder.out, data_size_at, data_size);
        encoder.new_template = Some((key, Template { id, offset }));
    }
    encoder.out.extend(length_u32(values.len()).to_le_bytes());
    let mut payload = Vec::new();
    for (kind, value) in &values {
        let before = payload.len();
        encode_value(&mut payload, *kind, value);
        let size = u16::try_from(payload.len() - before)
            .map_err(|_| "a value is longer than 65535 bytes".to_owned())?;
        encoder.out.extend(size.to_le_bytes());
        encoder.out.push(*kind as u8);
        encoder.out.push(0);
    }
    encoder.out.extend(payload);
    encoder.out.push(token::END_OF_FRAGMENT);
    Ok(())
}

/// Collects the substituted scalars of `value` in the order [`RecordEncoder::element`] writes
/// their substitutions, for a record whose template the chunk already holds.
fn collect_values<'v>(
    name: &str,
    value: &'v Value,
    values: &mut Vec<(ValueType, &'v Value)>,
) -> Result<(), String> {
    let Value::Object(members) = value else {
        values.push((value_type(name, value)?, value));
        return Ok(());
    };
    if let Some(Value::Object(attributes)) = members.get("#attributes") {
        for (attribute, inner) in attributes {
            values.push((value_type(attribute, inner)?, inner));
        }
    }
    for (key, child) in members {
        match key.as_str() {
            "#attributes" => {}
            "#text" => values.push((value_type(name, child)?, child)),
            _ if name == "EventData" => values.push((value_type(key, child)?, child)),
            _ => collect_values(key, child, values)?,
        }
    }
    Ok(())
}

/// Converts the JSON lines file `jsonl` into the EVTX file `evtx`, record for record.
/// Returns the number of records written.
pub fn convert_file(jsonl: &Path, evtx: &Path) -> std::io::Result<u64> {
    let reader = BufReader::with_capacity(1 << 20, File::open(jsonl)?);
    let mut writer = EvtxWriter::create(evtx)?;
    let mut records = 0;
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let located =
            |message: String| invalid(format!("{} line {}: {message}", jsonl.display(), index + 1));
        let record: Value =
            serde_json::from_str(&line).map_err(|e| located(format!("invalid JSON: {e}")))?;
        writer.write(&record).map_err(|e| located(e.to_string()))?;
        records += 1;
    }
    writer.finish()?;
    Ok(records)
}

/// Sizes of a folder conversion.
#[derive(Clone, Copy, Debug, Default)]
pub struct Converted {
    /// EVTX files written.
    pub files: u64,
    /// Records written.
    pub records: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Tells whether `path` is one of the generator's evtx_dump-style files, the only ones with an
/// EVTX form: `<host>-Sysmon.jsonl` and `<host>-Security.jsonl`.
pub fn is_evtx_dump_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with("-Sysmon.jsonl") || name.ends_with("-Security.jsonl"))
}

/// Converts every evtx_dump-style file of `source` (see [`is_evtx_dump_file`]) into a `.evtx`
/// file of the same stem in `target`, which must exist.
pub fn convert_dir(source: &Path, target: &Path) -> std::io::Result<Converted> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(source)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| is_evtx_dump_file(path));
    files.sort();
    let mut converted = Converted::default();
    for jsonl in files {
        let evtx = target.join(jsonl.with_extension("evtx").file_name().unwrap_or_default());
        converted.records += convert_file(&jsonl, &evtx)?;
        converted.bytes += std::fs::metadata(&evtx)?.len();
        converted.files += 1;
    }
    Ok(converted)
}
