//! The event store: every loaded record as a compact, normalized event.
//!
//! Events keep their field values as interned symbols and numbers rather than a JSON tree, and
//! share their sorted field-name lists through a table of shapes, so a collection of millions
//! of records stays small. The raw record is not kept: each event carries its [`Origin`], and
//! the raw text is read back from the file on demand.

mod column;
mod interner;
mod shape;
mod value;

pub use column::MAX_COLUMNS;
pub use interner::{Interner, Sym};
pub use shape::MAX_SHAPES;
pub use value::{FieldRead, StoredValue, ValueRef};

use column::{Cell, ColumnCache};
use shape::{INLINE, Names, ShapeTable};

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use rustc_hash::FxBuildHasher;

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
    /// The record's number, as in [`Origin::record`].
    record: u64,
    /// The record's byte offset, or [`NO_OFFSET`] for none.
    offset: u64,
    /// The file the record was read from.
    file: FileId,
    /// The id of the field-name list in the store's shape table, or [`INLINE`].
    shape: u32,
    /// ECS and original field values, in the order of the shape's names.
    values: Box<[StoredValue]>,
}

/// [`Event::offset`] for a record without a byte offset. No file reaches `u64::MAX` bytes.
const NO_OFFSET: u64 = u64::MAX;

impl Event {
    /// Returns the location of the raw record.
    #[inline]
    pub fn origin(&self) -> Origin {
        Origin {
            file: self.file,
            record: self.record,
            offset: (self.offset != NO_OFFSET).then_some(self.offset),
        }
    }

    /// Returns the memory the event holds: itself, its values and their lists. The shape's
    /// names are counted by the shape table.
    fn memory_bytes(&self) -> usize {
        let values = std::mem::size_of_val::<[StoredValue]>(&self.values);
        let lists: usize = self.values.iter().map(StoredValue::heap_bytes).sum();
        std::mem::size_of::<Event>() + values + lists
    }
}

/// An event's fields as `(name, value)` pairs in symbol order; made by [`EventStore::fields`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    names: Names<'a>,
    values: std::slice::Iter<'a, StoredValue>,
    position: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (Sym, &'a StoredValue);

    fn next(&mut self) -> Option<Self::Item> {
        let name = self.names.get(self.position)?;
        let value = self.values.next()?;
        self.position += 1;
        Some((name, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.values.len();
        (left, Some(left))
    }
}

impl ExactSizeIterator for Fields<'_> {}

/// The store's counterpart of one batch shape, used to move the batch's events of that shape.
struct ShapeMerge {
    /// The store's shape, or [`INLINE`] when the store's table is full.
    shape: u32,
    /// The shape's names as store symbols, sorted.
    names: Vec<Sym>,
    /// For each value position in the batch, its position in the store; empty when the order
    /// is unchanged.
    destinations: Vec<u32>,
}

impl ShapeMerge {
    /// Returns the remapped, sorted names of `names` and for each old position its new one.
    fn remap_names(names: &[Sym], map: &[Sym]) -> (Vec<Sym>, Vec<u32>) {
        let mut order: Vec<(Sym, u32)> = names
            .iter()
            .zip(0_u32..)
            .map(|(name, position)| (name.remapped(map), position))
            .collect();
        // `finish` left no duplicate names and `map` is one-to-one, so the order is all that
        // changes.
        order.sort_unstable_by_key(|(name, _)| *name);
        let mut destinations = vec![0_u32; order.len()];
        for ((_, old), new) in order.iter().zip(0_u32..) {
            if let Some(slot) = destinations.get_mut(*old as usize) {
                *slot = new;
            }
        }
        let sorted = order.into_iter().map(|(name, _)| name).collect();
        (sorted, destinations)
    }

    fn new(names: &[Sym], map: &[Sym], store: &mut ShapeTable) -> ShapeMerge {
        let (names, mut destinations) = ShapeMerge::remap_names(names, map);
        if destinations
            .iter()
            .zip(0_u32..)
            .all(|(new, old)| *new == old)
        {
            destinations = Vec::new();
        }
        let shape = store.find_or_insert(&names).unwrap_or(INLINE);
        ShapeMerge {
            shape,
            names,
            destinations,
        }
    }
}

/// Moves each value at position `p` of `values` to `destinations[p]`, in place.
fn permute(values: &mut [StoredValue], destinations: &mut [u32]) {
    for position in 0..destinations.len() {
        while let Some(&target) = destinations.get(position) {
            let target = target as usize;
            if target == position || target >= values.len() {
                break;
            }
            values.swap(position, target);
            destinations.swap(position, target);
        }
    }
}

/// Events interned into an interner of their own, so that worker threads can intern in
/// parallel; [`EventStore::append`] moves them into a store.
#[derive(Debug, Default)]
pub struct EventBatch {
    strings: Interner,
    shapes: ShapeTable,
    literals: LiteralNames,
    events: Vec<Event>,
    /// The sum of the events' [`Event::memory_bytes`].
    event_bytes: usize,
}

impl EventBatch {
    /// Creates an empty batch with room for `events` events.
    pub fn with_capacity(events: usize) -> Self {
        EventBatch {
            strings: Interner::default(),
            shapes: ShapeTable::default(),
            literals: LiteralNames::default(),
            events: Vec::with_capacity(events),
            event_bytes: 0,
        }
    }

    /// Interns and appends one event.
    pub fn push(&mut self, event: EventBuilder) {
        let event = event.finish(&mut self.strings, &mut self.shapes, &mut self.literals);
        self.event_bytes = self.event_bytes.saturating_add(event.memory_bytes());
        self.events.push(event);
    }

    /// Returns an estimate of the memory the batch's events, shapes and strings hold. Strings
    /// and shapes that the store already has are counted too, so merging the batch adds at
    /// most this much.
    pub fn heap_bytes(&self) -> usize {
        self.event_bytes
            .saturating_add(self.strings.heap_bytes())
            .saturating_add(self.shapes.heap_bytes())
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

/// The symbols of field names that mappings write as literals, found by the literal's address
/// instead of by hashing and comparing its text each time an event is interned.
///
/// Two literals with the same text at different addresses get entries of their own that hold
/// the same symbol, so the cache never changes which symbol a name gets.
#[derive(Debug, Default)]
struct LiteralNames {
    symbols: HashMap<(usize, usize), Sym, FxBuildHasher>,
}

impl LiteralNames {
    /// Returns the symbol of `name`, interning it into `strings` the first time.
    #[inline]
    fn intern(&mut self, name: &FieldName, strings: &mut Interner) -> Sym {
        match name {
            Cow::Borrowed(literal) => *self
                .symbols
                .entry((literal.as_ptr() as usize, literal.len()))
                .or_insert_with(|| strings.intern(literal)),
            Cow::Owned(built) => strings.intern(built),
        }
    }
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

    /// Interns everything into `strings` and `shapes` and returns the compact event.
    fn finish(
        self,
        strings: &mut Interner,
        shapes: &mut ShapeTable,
        literals: &mut LiteralNames,
    ) -> Event {
        let mut fields: Vec<(Sym, StoredValue)> = self
            .fields
            .into_iter()
            .map(|(name, value)| {
                let name = literals.intern(&name, strings);
                (name, StoredValue::intern(value, strings))
            })
            .collect();
        // Stable sort keeps insertion order among duplicates, so dedup keeps the last one.
        fields.sort_by_key(|(name, _)| *name);
        fields.reverse();
        fields.dedup_by_key(|(name, _)| *name);
        fields.reverse();
        let (names, values): (Vec<Sym>, Vec<StoredValue>) = fields.into_iter().unzip();
        let (shape, values) = shapes.place(&names, values);
        Event {
            timestamp: self.timestamp,
            log_source: strings.intern(&self.log_source),
            platform: self.platform,
            record: self.origin.record,
            offset: self.origin.offset.unwrap_or(NO_OFFSET),
            file: self.origin.file,
            shape,
            values,
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
    shapes: &'a ShapeTable,
    field: Sym,
    column: Option<&'a column::Column>,
}

impl<'a> FieldReader<'a> {
    /// Reads the field of event `index`, without allocating.
    #[inline]
    pub fn read(&self, index: usize) -> Option<FieldRead<'a>> {
        let Some(column) = self.column else {
            let event = self.events.get(index)?;
            return self.shapes.get(event, self.field).map(FieldRead::from);
        };
        // A filled cell is read without touching the event.
        match column.get(index, self.events, self.shapes)? {
            Cell::Missing => None,
            Cell::Bool(value) => Some(FieldRead::Bool(value)),
            Cell::Int(value) => Some(FieldRead::Int(value)),
            Cell::Str(sym) => Some(FieldRead::Str(sym)),
            Cell::OneStrList(sym) => Some(FieldRead::OneStrList(sym)),
            Cell::Position(position) => self
                .events
                .get(index)?
                .values
                .get(position)
                .map(FieldRead::from),
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
    /// The field-name lists of the events.
    shapes: ShapeTable,
    literals: LiteralNames,
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
        let event = event.finish(&mut self.strings, &mut self.shapes, &mut self.literals);
        self.event_bytes = self.event_bytes.saturating_add(event.memory_bytes());
        self.events.push(event);
        self.drop_columns();
    }

    /// Moves a batch's events, shapes and strings into the store, after the events already in
    /// it.
    pub fn append(&mut self, batch: EventBatch) {
        let map = self.strings.absorb(batch.strings);
        let merges: Vec<ShapeMerge> = (0..batch.shapes.len())
            .map(|shape| {
                let names = batch.shapes.names(shape as u32);
                ShapeMerge::new(names, &map, &mut self.shapes)
            })
            .collect();
        drop(batch.shapes);
        let mut event_bytes = batch.event_bytes;
        let mut destinations = Vec::new();
        self.events.reserve(batch.events.len());
        for mut event in batch.events {
            event.log_source = event.log_source.remapped(&map);
            let before = event.values.len();
            self.merge_shape(&mut event, &map, &merges, &mut destinations);
            for value in event.values.iter_mut() {
                value.remap(&map);
            }
            // Names packed into the event because the store's table is full grow it, and packed
            // names moved into a shape of the store shrink it.
            let size = std::mem::size_of::<StoredValue>();
            let after = event.values.len();
            event_bytes = event_bytes
                .saturating_add(after.saturating_sub(before) * size)
                .saturating_sub(before.saturating_sub(after) * size);
            self.events.push(event);
        }
        self.event_bytes = self.event_bytes.saturating_add(event_bytes);
        self.drop_columns();
    }

    /// Gives a batch event the store's shape for its names and reorders its values to match.
    /// `destinations` is scratch space.
    fn merge_shape(
        &mut self,
        event: &mut Event,
        map: &[Sym],
        merges: &[ShapeMerge],
        destinations: &mut Vec<u32>,
    ) {
        let merge = merges.get(event.shape as usize);
        let (names, mut values, order) = match merge {
            Some(merge) if merge.shape != INLINE => {
                event.shape = merge.shape;
                if !merge.destinations.is_empty() {
                    destinations.clear();
                    destinations.extend_from_slice(&merge.destinations);
                    permute(&mut event.values, destinations);
                }
                return;
            }
            // The store's table is full, so the event carries the names itself.
            Some(merge) => {
                let values = std::mem::take(&mut event.values).into_vec();
                (merge.names.clone(), values, merge.destinations.clone())
            }
            // The event carried its own names in the batch.
            None => {
                let stored = std::mem::take(&mut event.values);
                let (names, values) = self.shapes.layout(INLINE, &stored);
                let names: Vec<Sym> = (0..names.len()).filter_map(|i| names.get(i)).collect();
                let values = values.to_vec();
                let (names, order) = ShapeMerge::remap_names(&names, map);
                (names, values, order)
            }
        };
        values.truncate(names.len());
        if !order.is_empty() {
            destinations.clear();
            destinations.extend_from_slice(&order);
            permute(&mut values, destinations);
        }
        let (shape, values) = self.shapes.place(&names, values);
        event.shape = shape;
        event.values = values;
    }

    /// Returns an estimate of the memory the events, shapes and strings hold, without the
    /// field columns that queries add later. Allocator overhead is not counted.
    pub fn heap_bytes(&self) -> usize {
        let spare = (self.events.capacity() - self.events.len()) * std::mem::size_of::<Event>();
        self.event_bytes
            .saturating_add(spare)
            .saturating_add(self.strings.heap_bytes())
            .saturating_add(self.shapes.heap_bytes())
    }

    /// Looks up a field of `event`, one of this store's events, by its interned name.
    #[inline]
    pub fn get<'a>(&self, event: &'a Event, field: Sym) -> Option<&'a StoredValue> {
        self.shapes.get(event, field)
    }

    /// Returns the fields of `event`, one of this store's events, in symbol order.
    pub fn fields<'a>(&'a self, event: &'a Event) -> Fields<'a> {
        let (names, values) = self.shapes.layout(event.shape, &event.values);
        Fields {
            names,
            values: values.iter(),
            position: 0,
        }
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
        let value = self.get(self.events.get(index)?, sym)?;
        Some(value.resolve(&self.strings))
    }

    /// Resolves a field name for [`EventStore::field_at`], giving it a column when fewer than
    /// [`MAX_COLUMNS`] fields have one. Returns `None` when no event has a field of that name.
    ///
    /// Resolve once per query, not per event: the first call for a field allocates its column
    /// of 4 bytes per event.
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
            shapes: &self.shapes,
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

    fn event(record: u64, fields: &[(&str, &str)]) -> EventBuilder {
        let origin = Origin {
            file: 0,
            record,
            offset: None,
        };
        let mut builder = EventBuilder::new(0, "WinEventLog:Security", Platform::Windows, origin);
        for (name, value) in fields {
            builder.field((*name).to_owned(), *value);
        }
        builder
    }

    #[test]
    fn literal_names_match_built_names() {
        let mut strings = Interner::default();
        let mut literals = LiteralNames::default();
        let literal = literals.intern(&Cow::Borrowed("host.name"), &mut strings);
        let again = literals.intern(&Cow::Borrowed("host.name"), &mut strings);
        let built = literals.intern(&Cow::Owned(format!("host.{}", "name")), &mut strings);
        // A literal with the same text elsewhere in memory: a slice of a longer literal.
        let other = literals.intern(&Cow::Borrowed(&"xhost.name"[1..]), &mut strings);
        assert_eq!(again, literal);
        assert_eq!(built, literal);
        assert_eq!(other, literal);
        assert_eq!(strings.resolve(literal), "host.name");
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

    /// Returns every field of event `index` as `name=value` text, in the store's order.
    fn field_texts(store: &EventStore, index: usize) -> Vec<String> {
        store
            .fields(&store.events()[index])
            .map(|(name, value)| {
                let name = store.strings.resolve(name);
                format!("{name}={}", value.resolve(&store.strings))
            })
            .collect()
    }

    #[test]
    fn event_header_is_56_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 56);
    }

    #[test]
    fn origin_round_trips_through_event() {
        for offset in [None, Some(0), Some(u64::MAX - 1)] {
            let origin = Origin {
                file: 3,
                record: 9,
                offset,
            };
            let mut store = EventStore::new();
            store.push(EventBuilder::new(0, "test", Platform::Linux, origin));
            assert_eq!(store.events()[0].origin(), origin);
        }
    }

    #[test]
    fn shapes_shared_by_equal_names() {
        let mut store = EventStore::new();
        store.push(event(1, &[("host.name", "a"), ("user.name", "alice")]));
        store.push(event(2, &[("user.name", "bob"), ("host.name", "b")]));
        store.push(event(3, &[("host.name", "c")]));

        assert_eq!(store.shapes.len(), 2);
        assert_eq!(store.events()[0].shape, store.events()[1].shape);
        assert_ne!(store.events()[0].shape, store.events()[2].shape);
        assert_eq!(field_texts(&store, 1), ["host.name=b", "user.name=bob"]);
        assert_eq!(field_texts(&store, 2), ["host.name=c"]);
        assert_eq!(store.fields(&store.events()[0]).len(), 2);
    }

    #[test]
    fn append_remaps_shapes_of_batches() {
        let mut store = EventStore::new();
        store.push(event(0, &[("z.last", "1"), ("a.first", "2")]));
        // The batch interns the names in the other order, so its symbols sort them the other
        // way round and the values must be reordered on append.
        let mut batch = EventBatch::default();
        batch.push(event(
            1,
            &[("z.last", "3"), ("m.middle", "4"), ("a.first", "5")],
        ));
        batch.push(event(2, &[("a.first", "6"), ("z.last", "7")]));
        batch.push(event(
            3,
            &[("m.middle", "8"), ("z.last", "9"), ("a.first", "10")],
        ));
        store.append(batch);

        assert_eq!(store.len(), 4);
        assert_eq!(store.shapes.len(), 2);
        assert_eq!(store.events()[0].shape, store.events()[2].shape);
        assert_eq!(store.events()[1].shape, store.events()[3].shape);
        let sorted = |index: usize| {
            let mut texts = field_texts(&store, index);
            texts.sort();
            texts
        };
        assert_eq!(sorted(0), ["a.first=2", "z.last=1"]);
        assert_eq!(sorted(1), ["a.first=5", "m.middle=4", "z.last=3"]);
        assert_eq!(sorted(2), ["a.first=6", "z.last=7"]);
        assert_eq!(sorted(3), ["a.first=10", "m.middle=8", "z.last=9"]);
        for index in 0..store.len() {
            let names: Vec<Sym> = store
                .fields(&store.events()[index])
                .map(|(name, _)| name)
                .collect();
            assert!(
                names.is_sorted(),
                "event {index} fields out of symbol order"
            );
        }
        let handle = store.field_handle("m.middle").unwrap();
        assert_eq!(store.field_at(0, handle), None);
        let value = store.field_at(3, handle).map(|read| match read {
            FieldRead::Str(sym) => store.strings.resolve(sym),
            _ => "",
        });
        assert_eq!(value, Some("8"));
    }

    #[test]
    fn many_distinct_shapes_stay_bounded() {
        // Every event gets a name of its own, so every event is a new shape, and events past
        // the table's limit carry their names inline.
        let count = MAX_SHAPES + 100;
        let mut batch = EventBatch::default();
        let mut store = EventStore::new();
        for record in 0..count {
            let own = format!("own.{record}");
            let fields = [("shared", "x"), (own.as_str(), "y"), ("z.tail", "z")];
            if record % 2 == 0 {
                store.push(event(record as u64, &fields));
            } else {
                batch.push(event(record as u64, &fields));
            }
        }
        store.append(batch);

        assert_eq!(store.len(), count);
        assert_eq!(store.shapes.len(), MAX_SHAPES);
        let inline = store.events().iter().filter(|e| e.shape == INLINE).count();
        assert_eq!(inline, count - MAX_SHAPES);
        for index in [0, 1, count - 2, count - 1] {
            let record = store.events()[index].origin().record;
            let mut texts = field_texts(&store, index);
            texts.sort();
            assert_eq!(
                texts,
                [
                    format!("own.{record}=y"),
                    "shared=x".into(),
                    "z.tail=z".into()
                ]
            );
            let own = store.field(index, &format!("own.{record}"));
            assert_eq!(own, Some(ValueRef::Str("y")), "event {index}");
        }
        // Events stored as `(name, value)` pairs took a 64-byte header and 24 bytes per field,
        // and one with its names inline must cost no more.
        for event in store.events().iter().filter(|e| e.shape == INLINE) {
            let pairs = 64 + 3 * std::mem::size_of::<(Sym, StoredValue)>();
            assert!(
                event.memory_bytes() <= pairs,
                "{} bytes",
                event.memory_bytes()
            );
        }
        let handle = store.field_handle("z.tail").unwrap();
        for index in 0..store.len() {
            assert!(store.field_at(index, handle).is_some(), "event {index}");
        }
    }
}
