//! The event store: every loaded record as a compact, normalized event.
//!
//! Events keep their fields as sorted `(field, value)` pairs of interned symbols rather than a
//! JSON tree, so a collection of millions of records stays small. The raw record is not kept:
//! each event carries its [`Origin`], and the raw text is read back from the file on demand.

mod interner;
mod value;

pub use interner::{Interner, Sym};
pub use value::{StoredValue, ValueRef};

use std::path::PathBuf;

/// Nanoseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// The ATT&CK platform an event belongs to, named as ATT&CK names platforms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Platform {
    /// Microsoft Windows hosts.
    Windows,
    /// Linux hosts.
    Linux,
    /// Apple macOS hosts.
    #[serde(rename = "macOS")]
    MacOs,
    /// VMware ESXi hypervisors.
    #[serde(rename = "ESXi")]
    Esxi,
    /// Cloud infrastructure (AWS, Azure, GCP control planes).
    #[serde(rename = "IaaS")]
    Iaas,
    /// Software-as-a-service applications.
    #[serde(rename = "SaaS")]
    Saas,
    /// Identity providers such as Entra ID or Okta.
    #[serde(rename = "Identity Provider")]
    IdentityProvider,
    /// Office suites such as Microsoft 365.
    #[serde(rename = "Office Suite")]
    OfficeSuite,
    /// Routers, switches and firewalls.
    #[serde(rename = "Network Devices")]
    NetworkDevices,
    /// Container runtimes and orchestrators.
    Containers,
}

impl Platform {
    /// All platforms, in the order ATT&CK lists them.
    pub const ALL: [Platform; 10] = [
        Platform::Windows,
        Platform::Linux,
        Platform::MacOs,
        Platform::Esxi,
        Platform::Iaas,
        Platform::Saas,
        Platform::IdentityProvider,
        Platform::OfficeSuite,
        Platform::NetworkDevices,
        Platform::Containers,
    ];

    /// Returns the platform's name as ATT&CK spells it (`macOS`, `Identity Provider`…).
    pub fn attack_name(self) -> &'static str {
        match self {
            Platform::Windows => "Windows",
            Platform::Linux => "Linux",
            Platform::MacOs => "macOS",
            Platform::Esxi => "ESXi",
            Platform::Iaas => "IaaS",
            Platform::Saas => "SaaS",
            Platform::IdentityProvider => "Identity Provider",
            Platform::OfficeSuite => "Office Suite",
            Platform::NetworkDevices => "Network Devices",
            Platform::Containers => "Containers",
        }
    }

    /// Parses an ATT&CK platform name, ignoring ASCII case.
    pub fn from_attack_name(name: &str) -> Option<Platform> {
        Platform::ALL
            .into_iter()
            .find(|p| p.attack_name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.attack_name())
    }
}

/// Index of a loaded file in [`EventStore::files`].
pub type FileId = u32;

/// The source location of an event, precise enough to read the raw record back and cite it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file the record was read from.
    pub file: FileId,
    /// The record's number: the EVTX `EventRecordID`, or the 1-based line for line formats.
    pub record: u64,
    /// Byte offset of the record in the file, when the format has one (line formats do).
    pub offset: Option<u64>,
}

/// A source file as the store records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as given or found while walking directories.
    pub path: PathBuf,
    /// The format it was read as (`evtx`, `evtx-json`…).
    pub format: &'static str,
}

/// One normalized event.
#[derive(Clone, Debug)]
pub struct Event {
    /// `@timestamp`, nanoseconds since the Unix epoch, UTC.
    pub timestamp: Timestamp,
    /// The ATT&CK log source name, such as `WinEventLog:Sysmon`.
    pub log_source: Sym,
    /// The ATT&CK platform of the host or service that wrote the record.
    pub platform: Platform,
    /// The location of the raw record.
    pub origin: Origin,
    /// ECS and original fields, sorted by field symbol for binary search.
    fields: Box<[(Sym, StoredValue)]>,
}

impl Event {
    /// Returns the event's fields in symbol order.
    pub fn fields(&self) -> &[(Sym, StoredValue)] {
        &self.fields
    }

    /// Looks up a field by its interned name.
    pub fn get(&self, field: Sym) -> Option<&StoredValue> {
        self.fields
            .binary_search_by_key(&field, |(name, _)| *name)
            .ok()
            .map(|i| &self.fields[i].1)
    }

    /// Replaces every symbol `s` of the event with `map[s]` and restores the field order.
    fn remap(&mut self, map: &[Sym]) {
        self.log_source = map[self.log_source.index()];
        for (name, value) in self.fields.iter_mut() {
            *name = map[name.index()];
            value.remap(map);
        }
        // `finish` left no duplicate names and `map` is one-to-one, so order is all to restore.
        self.fields.sort_unstable_by_key(|(name, _)| *name);
    }
}

/// Events interned into an interner of their own, so that worker threads can intern in
/// parallel; [`EventStore::append`] moves them into a store.
#[derive(Debug, Default)]
pub struct EventBatch {
    strings: Interner,
    events: Vec<Event>,
}

impl EventBatch {
    /// Creates an empty batch with room for `events` events.
    pub fn with_capacity(events: usize) -> Self {
        EventBatch {
            strings: Interner::default(),
            events: Vec::with_capacity(events),
        }
    }

    /// Interns and appends one event.
    pub fn push(&mut self, event: EventBuilder) {
        let event = event.finish(&mut self.strings);
        self.events.push(event);
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Returns whether the batch contains no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// Builds one [`Event`], interning names and values as they are added.
///
/// Parsers create a builder per record, add fields in any order and call [`EventBuilder::finish`].
/// A field added twice keeps its last value.
#[derive(Debug)]
pub struct EventBuilder {
    timestamp: Timestamp,
    log_source: String,
    platform: Platform,
    origin: Origin,
    fields: Vec<(String, PendingValue)>,
}

/// A field value before interning.
#[derive(Clone, Debug, PartialEq)]
pub enum PendingValue {
    /// A string.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list of values, such as `event.category`.
    List(Vec<PendingValue>),
}

impl From<&str> for PendingValue {
    fn from(s: &str) -> Self {
        PendingValue::Str(s.to_owned())
    }
}

impl From<String> for PendingValue {
    fn from(s: String) -> Self {
        PendingValue::Str(s)
    }
}

impl From<i64> for PendingValue {
    fn from(n: i64) -> Self {
        PendingValue::Int(n)
    }
}

impl From<bool> for PendingValue {
    fn from(b: bool) -> Self {
        PendingValue::Bool(b)
    }
}

impl EventBuilder {
    /// Starts an event with its required parts.
    pub fn new(
        timestamp: Timestamp,
        log_source: impl Into<String>,
        platform: Platform,
        origin: Origin,
    ) -> Self {
        EventBuilder {
            timestamp,
            log_source: log_source.into(),
            platform,
            origin,
            fields: Vec::new(),
        }
    }

    /// Adds a field; empty strings are skipped because they carry nothing to match on.
    pub fn field(&mut self, name: impl Into<String>, value: impl Into<PendingValue>) -> &mut Self {
        let value = value.into();
        if !matches!(&value, PendingValue::Str(s) if s.is_empty()) {
            self.fields.push((name.into(), value));
        }
        self
    }

    /// Where the record came from, as given to [`EventBuilder::new`].
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The event's time, as given to [`EventBuilder::new`].
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    /// Returns the fields added so far, in insertion order.
    pub fn pending_fields(&self) -> &[(String, PendingValue)] {
        &self.fields
    }

    /// Interns everything into `store`'s tables and returns the compact event.
    pub fn finish(self, strings: &mut Interner) -> Event {
        let mut fields: Vec<(Sym, StoredValue)> = self
            .fields
            .into_iter()
            .map(|(name, value)| (strings.intern(&name), StoredValue::intern(value, strings)))
            .collect();
        // Stable sort keeps insertion order among duplicates, so dedup keeps the last one.
        fields.sort_by_key(|(name, _)| *name);
        fields.reverse();
        fields.dedup_by_key(|(name, _)| *name);
        fields.reverse();
        Event {
            timestamp: self.timestamp,
            log_source: strings.intern(&self.log_source),
            platform: self.platform,
            origin: self.origin,
            fields: fields.into_boxed_slice(),
        }
    }
}

/// All loaded events, in time order once [`EventStore::sort`] has run.
#[derive(Debug, Default)]
pub struct EventStore {
    /// Interned field names and string values.
    pub strings: Interner,
    /// Every loaded file, indexed by [`FileId`].
    pub files: Vec<SourceFile>,
    events: Vec<Event>,
}

impl EventStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        EventStore::default()
    }

    /// Registers a source file and returns its id.
    pub fn add_file(&mut self, file: SourceFile) -> FileId {
        let id = FileId::try_from(self.files.len()).unwrap_or(FileId::MAX);
        self.files.push(file);
        id
    }

    /// Interns and appends one event.
    pub fn push(&mut self, event: EventBuilder) {
        let event = event.finish(&mut self.strings);
        self.events.push(event);
    }

    /// Moves a batch's events and strings into the store, after the events already in it.
    pub fn append(&mut self, batch: EventBatch) {
        let map = self.strings.absorb(batch.strings);
        self.events.reserve(batch.events.len());
        for mut event in batch.events {
            event.remap(&map);
            self.events.push(event);
        }
    }

    /// Sorts events by time; ties keep load order (file order, then record order).
    pub fn sort(&mut self) {
        self.events.sort_by_key(|e| e.timestamp);
    }

    /// Returns every event, time-ordered after [`EventStore::sort`].
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Returns whether the store contains no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Looks up a field of event `index` by name without interning it.
    pub fn field(&self, index: usize, name: &str) -> Option<ValueRef<'_>> {
        let sym = self.strings.get(name)?;
        let value = self.events.get(index)?.get(sym)?;
        Some(value.resolve(&self.strings))
    }

    /// Returns the ATT&CK log source name of event `index`.
    pub fn log_source(&self, index: usize) -> &str {
        self.events
            .get(index)
            .map_or("", |e| self.strings.resolve(e.log_source))
    }

    /// Returns the path of a loaded file.
    pub fn file_path(&self, file: FileId) -> Option<&std::path::Path> {
        self.files.get(file as usize).map(|f| f.path.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(record: u64, fields: &[(&str, &str)]) -> EventBuilder {
        let origin = Origin {
            file: 0,
            record,
            offset: None,
        };
        let mut builder = EventBuilder::new(0, "WinEventLog:Security", Platform::Windows, origin);
        for (name, value) in fields {
            builder.field(*name, *value);
        }
        builder
    }

    #[test]
    fn append_merges_batches_interned_apart() {
        let mut first = EventBatch::default();
        first.push(event(1, &[("host.name", "a"), ("user.name", "alice")]));
        let mut second = EventBatch::default();
        second.push(event(2, &[("user.name", "bob"), ("host.name", "a")]));
        second.push(event(3, &[("process.name", "cmd.exe")]));

        let mut store = EventStore::new();
        store.append(first);
        store.append(second);

        assert_eq!(store.len(), 3);
        assert_eq!(store.field(0, "user.name"), Some(ValueRef::Str("alice")));
        assert_eq!(store.field(1, "user.name"), Some(ValueRef::Str("bob")));
        assert_eq!(store.field(1, "host.name"), Some(ValueRef::Str("a")));
        assert_eq!(
            store.field(2, "process.name"),
            Some(ValueRef::Str("cmd.exe"))
        );
        assert_eq!(store.log_source(2), "WinEventLog:Security");
        assert_eq!(store.strings.len(), 8);
    }
}
