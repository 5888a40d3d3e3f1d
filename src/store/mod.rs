//! The event store: every loaded record as a compact, normalized event.
//!
//! Events keep their fields as sorted `(field, value)` pairs of interned symbols rather than a
//! JSON tree, so a collection of millions of records stays small. The raw record is not kept:
//! each event carries its [`Origin`], and the raw text is read back from the file on demand.

mod column;
mod interner;
mod value;

pub use column::MAX_COLUMNS;
pub use interner::{Interner, Sym};
pub use value::{FieldRead, StoredValue, ValueRef};

use column::{Cell, ColumnCache};

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
    #[inline]
    pub fn get(&self, field: Sym) -> Option<&StoredValue> {
        self.fields
            .binary_search_by_key(&field, |(name, _)| *name)
            .ok()
            .and_then(|i| self.fields.get(i))
            .map(|(_, value)| value)
    }

    /// Returns the memory the event holds: itself, its fields and their lists.
    fn memory_bytes(&self) -> usize {
        let fields = std::mem::size_of_val::<[(Sym, StoredValue)]>(&self.fields);
        let lists: usize = self
            .fields
            .iter()
            .map(|(_, value)| value.heap_bytes())
            .sum();
        std::mem::size_of::<Event>() + fields + lists
    }

    /// Replaces every symbol `s` of the event with `map[s]` and restores the field order.
    fn remap(&mut self, map: &[Sym]) {
        self.log_source = self.log_source.remapped(map);
        for (name, value) in self.fields.iter_mut() {
            *name = name.remapped(map);
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
    /// The sum of the events' [`Event::memory_bytes`].
    event_bytes: usize,
}

impl EventBatch {
    /// Creates an empty batch with room for `events` events.
    pub fn with_capacity(events: usize) -> Self {
        EventBatch {
            strings: Interner::default(),
            events: Vec::with_capacity(events),
            event_bytes: 0,
        }
    }

    /// Interns and appends one event.
    pub fn push(&mut self, event: EventBuilder) {
        let event = event.finish(&mut self.strings);
        self.event_bytes = self.event_bytes.saturating_add(event.memory_bytes());
        self.events.push(event);
    }

    /// Returns an estimate of the memory the batch's events and strings hold. Strings that the
    /// store already has are counted too, so merging the batch adds at most this much.
    pub fn heap_bytes(&self) -> usize {
        self.event_bytes.saturating_add(self.strings.heap_bytes())
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

/// Maximum number of fields an [`EventBuilder`] keeps. The loader skips a record that has more
/// and reports it, so one crafted record cannot grow an event without bound.
pub const MAX_FIELDS_PER_EVENT: usize = 10_000;

/// Builds one [`Event`], interning names and values as they are added.
///
/// Parsers create a builder per record, add fields in any order and call [`EventBuilder::finish`].
/// A field added twice keeps its last value. Additions past [`MAX_FIELDS_PER_EVENT`] are
/// dropped and counted in [`EventBuilder::fields_dropped`].
#[derive(Debug)]
pub struct EventBuilder {
    timestamp: Timestamp,
    log_source: std::borrow::Cow<'static, str>,
    platform: Platform,
    origin: Origin,
    fields: Vec<(FieldName, PendingValue)>,
    fields_dropped: u64,
}

/// Number of fields a new [`EventBuilder`] has room for before its list grows. The loader interns
/// each builder as soon as it is finished, so the room is reused rather than held per event.
const FIELDS_RESERVED: usize = 32;

/// A field name before interning: borrowed when a mapping names the field with a literal, owned
/// when the name is built from the record (such as `winlog.event_data.<name>`).
pub type FieldName = std::borrow::Cow<'static, str>;

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
        log_source: impl Into<std::borrow::Cow<'static, str>>,
        platform: Platform,
        origin: Origin,
    ) -> Self {
        EventBuilder {
            timestamp,
            log_source: log_source.into(),
            platform,
            origin,
            fields: Vec::with_capacity(FIELDS_RESERVED),
            fields_dropped: 0,
        }
    }

    /// Adds a field; empty strings are skipped because they carry nothing to match on, and
    /// additions past [`MAX_FIELDS_PER_EVENT`] are only counted.
    pub fn field(
        &mut self,
        name: impl Into<FieldName>,
        value: impl Into<PendingValue>,
    ) -> &mut Self {
        let value = value.into();
        if matches!(&value, PendingValue::Str(s) if s.is_empty()) {
            return self;
        }
        if self.fields.len() < MAX_FIELDS_PER_EVENT {
            self.fields.push((name.into(), value));
        } else {
            self.fields_dropped += 1;
        }
        self
    }

    /// Returns the number of field additions dropped because the event already had
    /// [`MAX_FIELDS_PER_EVENT`] fields.
    pub fn fields_dropped(&self) -> u64 {
        self.fields_dropped
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
    pub fn pending_fields(&self) -> &[(FieldName, PendingValue)] {
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

/// A field name resolved once by [`EventStore::field_handle`] for repeated reads with
/// [`EventStore::field_at`].
///
/// A handle belongs to the store that made it. After the store changes (a push or a sort) it
/// still reads the right field, only without the column it had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldHandle {
    field: Sym,
    /// The column slot, or `u32::MAX` for none.
    column: u32,
}

impl FieldHandle {
    /// Packs the handle into an integer, for callers that keep keys of several kinds.
    pub fn to_bits(self) -> u64 {
        (u64::from(self.column) << 32) | u64::from(self.field.as_u32())
    }

    /// Unpacks a handle packed by [`FieldHandle::to_bits`].
    #[inline]
    pub fn from_bits(bits: u64) -> FieldHandle {
        FieldHandle {
            field: Sym::from_u32(bits as u32),
            column: (bits >> 32) as u32,
        }
    }
}

/// Reads one field of a store's events; made by [`EventStore::field_reader`].
#[derive(Clone, Copy)]
pub struct FieldReader<'a> {
    events: &'a [Event],
    field: Sym,
    column: Option<&'a column::Column>,
}

impl<'a> FieldReader<'a> {
    /// Reads the field of event `index`, without allocating.
    #[inline]
    pub fn read(&self, index: usize) -> Option<FieldRead<'a>> {
        let Some(column) = self.column else {
            return self.events.get(index)?.get(self.field).map(FieldRead::from);
        };
        // A filled cell is read without touching the event.
        match column.get(index, self.events)? {
            Cell::Missing => None,
            Cell::Bool(value) => Some(FieldRead::Bool(value)),
            Cell::Int(value) => Some(FieldRead::Int(value)),
            Cell::Str(sym) => Some(FieldRead::Str(sym)),
            Cell::OneStrList(sym) => Some(FieldRead::OneStrList(sym)),
            Cell::Position(position) => self
                .events
                .get(index)?
                .fields
                .get(position)
                .map(|(_, value)| FieldRead::from(value)),
        }
    }
}

impl std::fmt::Debug for FieldReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldReader")
            .field("field", &self.field)
            .field("column", &self.column.is_some())
            .finish()
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
    /// The sum of the events' [`Event::memory_bytes`].
    event_bytes: usize,
    /// Columns of the fields read through handles; emptied whenever the events change.
    columns: ColumnCache,
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
        self.event_bytes = self.event_bytes.saturating_add(event.memory_bytes());
        self.events.push(event);
        self.drop_columns();
    }

    /// Moves a batch's events and strings into the store, after the events already in it.
    pub fn append(&mut self, batch: EventBatch) {
        let map = self.strings.absorb(batch.strings);
        self.event_bytes = self.event_bytes.saturating_add(batch.event_bytes);
        self.events.reserve(batch.events.len());
        for mut event in batch.events {
            event.remap(&map);
            self.events.push(event);
        }
        self.drop_columns();
    }

    /// Returns an estimate of the memory the events and strings hold, without the field
    /// columns that queries add later. Allocator overhead is not counted.
    pub fn heap_bytes(&self) -> usize {
        let spare = (self.events.capacity() - self.events.len()) * std::mem::size_of::<Event>();
        self.event_bytes
            .saturating_add(spare)
            .saturating_add(self.strings.heap_bytes())
    }

    /// Sorts events by time; ties keep load order (file order, then record order).
    pub fn sort(&mut self) {
        self.events.sort_by_key(|e| e.timestamp);
        self.drop_columns();
    }

    fn drop_columns(&mut self) {
        if !self.columns.is_empty() {
            self.columns = ColumnCache::default();
        }
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

    /// Resolves a field name for [`EventStore::field_at`], giving it a column when fewer than
    /// [`MAX_COLUMNS`] fields have one. Returns `None` when no event has a field of that name.
    ///
    /// Resolve once per query, not per event: the first call for a field allocates its column
    /// of 8 bytes per event.
    pub fn field_handle(&self, name: &str) -> Option<FieldHandle> {
        let field = self.strings.get(name)?;
        let column = self
            .columns
            .slot_for(field, self.events.len())
            .and_then(|slot| u32::try_from(slot).ok())
            .unwrap_or(u32::MAX);
        Some(FieldHandle { field, column })
    }

    /// Reads a field of event `index` through a handle, without allocating.
    #[inline]
    pub fn field_at(&self, index: usize, handle: FieldHandle) -> Option<FieldRead<'_>> {
        self.field_reader(handle).read(index)
    }

    /// Returns a reader of one field that finds its column once, for reading the field of
    /// many events in a row.
    #[inline]
    pub fn field_reader(&self, handle: FieldHandle) -> FieldReader<'_> {
        let column = self
            .columns
            .get(handle.column as usize)
            .filter(|column| column.field() == handle.field);
        FieldReader {
            events: &self.events,
            field: handle.field,
            column,
        }
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

    fn store_of(events: Vec<Vec<(impl Into<FieldName>, PendingValue)>>) -> EventStore {
        let mut store = EventStore::new();
        for (record, fields) in events.into_iter().enumerate() {
            let origin = Origin {
                file: 0,
                record: record as u64,
                offset: None,
            };
            let mut builder = EventBuilder::new(record as i64, "test", Platform::Windows, origin);
            for (name, value) in fields {
                builder.field(name, value);
            }
            store.push(builder);
        }
        store
    }

    /// Reads a field of every event through a handle, as owned text for comparison.
    fn read_all(store: &EventStore, handle: FieldHandle) -> Vec<Option<String>> {
        (0..store.len())
            .map(|index| {
                store.field_at(index, handle).map(|read| match read {
                    FieldRead::Str(sym) => format!("str {}", store.strings.resolve(sym)),
                    FieldRead::OneStrList(sym) => format!("list [{}]", store.strings.resolve(sym)),
                    FieldRead::List(items) => format!("list {}", items.len()),
                    other => format!("{other:?}"),
                })
            })
            .collect()
    }

    #[test]
    fn handles_read_every_kind_twice() {
        let big = i64::MAX;
        let store = store_of(vec![
            vec![("v", PendingValue::Str("a".into()))],
            vec![("v", PendingValue::Int(-5))],
            vec![("v", PendingValue::Int(big))],
            vec![("v", PendingValue::Float(1.5))],
            vec![("v", PendingValue::Bool(true))],
            vec![("v", PendingValue::List(vec!["x".into()]))],
            vec![("v", PendingValue::List(vec!["x".into(), "y".into()]))],
            vec![("other", PendingValue::Int(1))],
        ]);
        let handle = store.field_handle("v").unwrap();
        let expected = vec![
            Some("str a".to_string()),
            Some("Int(-5)".to_string()),
            Some(format!("Int({big})")),
            Some("Float(1.5)".to_string()),
            Some("Bool(true)".to_string()),
            Some("list [x]".to_string()),
            Some("list 2".to_string()),
            None,
        ];
        // The first pass fills the column and the second reads it back.
        assert_eq!(read_all(&store, handle), expected);
        assert_eq!(read_all(&store, handle), expected);
        assert_eq!(store.field_at(99, handle), None);
        assert_eq!(store.field_handle("never.seen"), None);
    }

    #[test]
    fn handles_survive_changes_and_full_cache() {
        let mut store = store_of(vec![vec![("a", PendingValue::Int(1))]]);
        let handle = store.field_handle("a").unwrap();
        assert_eq!(store.field_at(0, handle), Some(FieldRead::Int(1)));
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let mut builder = EventBuilder::new(-1, "test", Platform::Windows, origin);
        builder.field("a", 2_i64);
        store.push(builder);
        store.sort();
        assert_eq!(store.field_at(0, handle), Some(FieldRead::Int(2)));
        assert_eq!(store.field_at(1, handle), Some(FieldRead::Int(1)));

        let names: Vec<String> = (0..MAX_COLUMNS + 2).map(|n| format!("f{n}")).collect();
        let fields = names
            .iter()
            .map(|name| (name.clone(), PendingValue::Int(7)))
            .collect();
        let store = store_of(vec![fields]);
        for name in &names {
            let handle = store.field_handle(name).unwrap();
            assert_eq!(store.field_at(0, handle), Some(FieldRead::Int(7)), "{name}");
        }
    }

    fn event(record: u64, fields: &[(&'static str, &str)]) -> EventBuilder {
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
