//! Runs analytics over the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::analytics::{Analytic, STATISTIC_PREFIX};
use crate::eql::{self, Document, FieldKey, Value};
use crate::ingest;
use crate::store::{Event, EventStore, FieldHandle, FieldRead, StoredValue, Sym, ValueRef};

use super::statistics::StatisticColumns;
use super::{Chain, ChainStep, Finding, JoinKey};

/// An analytic that failed while running.
#[derive(Debug, thiserror::Error)]
#[error("analytic {analytic} failed: {message}")]
pub struct RunError {
    /// The analytic id.
    pub analytic: String,
    /// The evaluator's message.
    pub message: String,
}

/// One stored event seen through the EQL [`Document`] trait.
#[derive(Clone, Copy)]
pub struct StoreDocument<'s> {
    store: &'s EventStore,
    index: usize,
    /// An analytic's statistics and this event's position among the events it reads.
    statistics: Option<(&'s StatisticColumns, usize)>,
}

impl<'s> StoreDocument<'s> {
    /// Wraps event `index` of `store`.
    pub fn new(store: &'s EventStore, index: usize) -> Self {
        StoreDocument {
            store,
            index,
            statistics: None,
        }
    }

    /// Adds the statistics computed for an analytic, this event being the one at `position`
    /// among the events the analytic reads.
    pub fn with_statistics(mut self, columns: &'s StatisticColumns, position: usize) -> Self {
        self.statistics = Some((columns, position));
        self
    }
}

fn to_eql(value: ValueRef<'_>) -> Value<'_> {
    match value {
        ValueRef::Str(s) => Value::Str(s.into()),
        ValueRef::Int(n) => Value::Int(n),
        ValueRef::Float(x) => Value::Float(x),
        ValueRef::Bool(b) => Value::Bool(b),
        ValueRef::List(items) => Value::List(items.into_iter().map(to_eql).collect()),
    }
}

/// Returns the id [`Document::string_id`] gives a value read from the store: its symbol.
#[inline]
fn string_id_of(read: Option<FieldRead<'_>>) -> Option<u64> {
    match read {
        Some(FieldRead::Str(sym) | FieldRead::OneStrList(sym)) => Some(sym.index() as u64),
        Some(FieldRead::List([StoredValue::Str(sym)])) => Some(sym.index() as u64),
        _ => None,
    }
}

/// The key of a field that no event in the store has.
const ABSENT_FIELD: FieldKey = FieldKey::from_bits(u64::MAX - 1);

impl StoreDocument<'_> {
    /// Converts a value read through a handle, borrowing its strings from the store.
    #[inline]
    fn read_to_eql(&self, read: FieldRead<'_>) -> Value<'_> {
        let strings = &self.store.strings;
        match read {
            FieldRead::Str(sym) => Value::Str(strings.resolve(sym).into()),
            FieldRead::Int(n) => Value::Int(n),
            FieldRead::Float(x) => Value::Float(x),
            FieldRead::Bool(b) => Value::Bool(b),
            FieldRead::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| to_eql(item.resolve(strings)))
                    .collect(),
            ),
            FieldRead::OneStrList(sym) => {
                Value::List(vec![Value::Str(strings.resolve(sym).into())])
            }
        }
    }
}

impl Document for StoreDocument<'_> {
    fn resolve(&self, dotted: &str) -> FieldKey {
        // Fields that `field` computes rather than reads from the event are read by name.
        // NOTE: a computed field added to `field` must be excluded here as well, or it will
        // read as a stored field of the same name.
        if dotted.starts_with("glexia.") || dotted == "log.source" || dotted == "@timestamp" {
            return FieldKey::BY_NAME;
        }
        let Some(handle) = self.store.field_handle(dotted) else {
            return ABSENT_FIELD;
        };
        let key = FieldKey::from_bits(handle.to_bits());
        if key == FieldKey::BY_NAME || key == ABSENT_FIELD {
            return FieldKey::BY_NAME;
        }
        key
    }

    #[inline]
    fn field_by_key(&self, key: FieldKey, dotted: &str) -> Option<Value<'_>> {
        if key == FieldKey::BY_NAME {
            return self.field(dotted);
        }
        if key == ABSENT_FIELD {
            return None;
        }
        let read = self
            .store
            .field_at(self.index, FieldHandle::from_bits(key.bits()))?;
        Some(self.read_to_eql(read))
    }

    #[inline]
    fn string_id(&self, key: FieldKey, _dotted: &str) -> Option<u64> {
        if key == FieldKey::BY_NAME || key == ABSENT_FIELD {
            return None;
        }
        let read = self
            .store
            .field_at(self.index, FieldHandle::from_bits(key.bits()));
        string_id_of(read)
    }

    fn string_ids(documents: &[Self], key: FieldKey, dotted: &str, ids: &mut [Option<u64>]) {
        let Some(first) = documents.first() else {
            return;
        };
        if key == FieldKey::BY_NAME || key == ABSENT_FIELD {
            for (document, id) in documents.iter().zip(ids) {
                *id = document.string_id(key, dotted);
            }
            return;
        }
        // One reader serves the block, so the column is found once rather than per event.
        let reader = first.store.field_reader(FieldHandle::from_bits(key.bits()));
        for (document, id) in documents.iter().zip(ids) {
            *id = if std::ptr::eq(document.store, first.store) {
                string_id_of(reader.read(document.index))
            } else {
                document.string_id(key, dotted)
            };
        }
    }

    fn any_string(&self, key: FieldKey, dotted: &str, test: &mut dyn FnMut(&str) -> bool) -> bool {
        if key == ABSENT_FIELD {
            return false;
        }
        if key == FieldKey::BY_NAME {
            return match self.field(dotted) {
                Some(Value::Str(text)) => test(&text),
                Some(Value::List(items)) => items
                    .iter()
                    .any(|item| matches!(item, Value::Str(text) if test(text))),
                _ => false,
            };
        }
        let strings = &self.store.strings;
        match self
            .store
            .field_at(self.index, FieldHandle::from_bits(key.bits()))
        {
            Some(FieldRead::Str(sym) | FieldRead::OneStrList(sym)) => test(strings.resolve(sym)),
            Some(FieldRead::List(items)) => items.iter().any(|item| match item {
                StoredValue::Str(sym) => test(strings.resolve(*sym)),
                _ => false,
            }),
            _ => false,
        }
    }

    fn field(&self, dotted: &str) -> Option<Value<'_>> {
        if let Some((columns, position)) = self.statistics
            && dotted.starts_with(STATISTIC_PREFIX)
            && columns.defines(dotted)
        {
            return columns.value(dotted, position);
        }
        if dotted == "log.source" {
            return Some(Value::Str(self.store.log_source(self.index).into()));
        }
        if dotted == "@timestamp" {
            return Some(Value::Int(self.timestamp()));
        }
        self.store.field(self.index, dotted).map(to_eql)
    }

    fn timestamp(&self) -> i64 {
        self.store
            .events()
            .get(self.index)
            .map_or(0, |e| e.timestamp)
    }
}

/// An event's log source and `event.code`, with `None` for events without a string code.
type SourcePair = (Sym, Option<Sym>);

/// The positions of the store's events grouped by log source and `event.code`, built in one
/// pass so that each analytic gathers the events it reads without visiting every event.
#[derive(Debug, Default)]
pub struct SourceIndex {
    /// Per pair, the positions of its events in store order.
    groups: HashMap<SourcePair, Vec<u32>>,
    /// Whether the store has more events than `u32` positions address, in which case
    /// `select` visits every event instead.
    too_many: bool,
}

impl SourceIndex {
    /// Groups every event of `store`.
    pub fn build(store: &EventStore) -> SourceIndex {
        let code_field = store.strings.get("event.code");
        let mut groups: HashMap<SourcePair, Vec<u32>> = HashMap::new();
        // Consecutive events usually share their source and code, so the last group is kept
        // at hand instead of hashing each event's pair.
        let mut last: Option<(SourcePair, Vec<u32>)> = None;
        for (position, event) in store.events().iter().enumerate() {
            let Ok(position) = u32::try_from(position) else {
                return SourceIndex {
                    groups: HashMap::new(),
                    too_many: true,
                };
            };
            let pair = (event.log_source, event_code(store, event, code_field));
            match &mut last {
                Some((key, positions)) if *key == pair => positions.push(position),
                _ => {
                    // The group taken out below is moved back whole, never copied.
                    if let Some((key, positions)) = last.take() {
                        groups.insert(key, positions);
                    }
                    let mut positions = groups.remove(&pair).unwrap_or_default();
                    positions.push(position);
                    last = Some((pair, positions));
                }
            }
        }
        if let Some((key, positions)) = last {
            groups.insert(key, positions);
        }
        SourceIndex {
            groups,
            too_many: false,
        }
    }

    /// Returns the positions of the events `analytic` reads, in store order.
    pub fn select(&self, store: &EventStore, analytic: &Analytic) -> Vec<usize> {
        let sources = sources_read(store, analytic);
        if sources.is_empty() {
            return Vec::new();
        }
        if self.too_many {
            return select_by_scan(store, &sources);
        }
        let mut lists: Vec<&[u32]> = Vec::new();
        for (&(source, code), positions) in &self.groups {
            if reads(&sources, source, code) {
                lists.push(positions);
            }
        }
        let mut selected: Vec<usize> = Vec::with_capacity(lists.iter().map(|l| l.len()).sum());
        for list in &lists {
            selected.extend(list.iter().map(|&p| p as usize));
        }
        // Each list ascends and a pair has one list only, so sorting restores store order
        // without duplicates.
        if lists.len() > 1 {
            selected.sort_unstable();
        }
        selected
    }
}

/// Lists the log source symbols an analytic reads, each with `None` for every code or `Some`
/// with the code symbols read. Sources and codes that no event has are left out.
fn sources_read(store: &EventStore, analytic: &Analytic) -> Vec<(Sym, Option<Vec<Sym>>)> {
    let mut sources: Vec<(Sym, Option<Vec<Sym>>)> = Vec::new();
    for read in &analytic.reads {
        let codes: Option<Vec<Sym>> = if read.event_codes.is_empty() {
            None
        } else {
            Some(
                read.event_codes
                    .iter()
                    .filter_map(|code| store.strings.get(code))
                    .collect(),
            )
        };
        let names = std::iter::once(read.log_source.as_str())
            .chain(ingest::narrower_sources(&read.log_source).iter().copied());
        for name in names {
            if let Some(source) = store.strings.get(name) {
                sources.push((source, codes.clone()));
            }
        }
    }
    sources
}

/// Returns the symbol of `event`'s string `event.code`, `code_field` being that name's symbol.
fn event_code(store: &EventStore, event: &Event, code_field: Option<Sym>) -> Option<Sym> {
    match store.get(event, code_field?) {
        Some(StoredValue::Str(code)) => Some(*code),
        _ => None,
    }
}

/// Tests whether an event of log source `source` and code `code` is among `sources`, as
/// [`sources_read`] lists them.
fn reads(sources: &[(Sym, Option<Vec<Sym>>)], source: Sym, code: Option<Sym>) -> bool {
    sources.iter().any(|(read_source, codes)| {
        *read_source == source
            && codes
                .as_ref()
                .is_none_or(|codes| code.is_some_and(|c| codes.contains(&c)))
    })
}

/// Selects by visiting every event, for stores too large for [`SourceIndex`].
fn select_by_scan(store: &EventStore, sources: &[(Sym, Option<Vec<Sym>>)]) -> Vec<usize> {
    let code_field = store.strings.get("event.code");
    store
        .events()
        .iter()
        .enumerate()
        .filter(|(_, event)| {
            reads(
                sources,
                event.log_source,
                event_code(store, event, code_field),
            )
        })
        .map(|(i, _)| i)
        .collect()
}

/// Indexes of the events an analytic reads, in store order.
///
/// The analytic's `[[reads]]` are resolved to interned symbols once, so the pass over every
/// event compares integers and allocates nothing. Callers that run many analytics over one
/// store build a [`SourceIndex`] once instead.
pub fn select_events(store: &EventStore, analytic: &Analytic) -> Vec<usize> {
    let sources = sources_read(store, analytic);
    if sources.is_empty() {
        return Vec::new();
    }
    select_by_scan(store, &sources)
}

/// Runs one analytic over the events it reads and returns its chains.
pub fn run_analytic(
    store: &EventStore,
    analytic: &Analytic,
    options: &eql::Options,
) -> Result<Vec<Chain>, RunError> {
    run_selected(store, analytic, select_events(store, analytic), options)
}

/// Runs one analytic over `selected`, the events it reads as [`select_events`] gives them.
fn run_selected(
    store: &EventStore,
    analytic: &Analytic,
    selected: Vec<usize>,
    options: &eql::Options,
) -> Result<Vec<Chain>, RunError> {
    let columns = StatisticColumns::compute(store, &analytic.statistics, &selected, options)
        .map_err(|message| RunError {
            analytic: analytic.id.clone(),
            message,
        })?;
    let documents: Vec<StoreDocument<'_>> = selected
        .iter()
        .enumerate()
        .map(|(position, &i)| StoreDocument::new(store, i).with_statistics(&columns, position))
        .collect();
    let matches = eql::execute(&analytic.query, &documents, options).map_err(|e| RunError {
        analytic: analytic.id.clone(),
        message: e.to_string(),
    })?;
    let join_fields = analytic.query.join_fields();
    let chains = matches
        .into_iter()
        .map(|m| Chain {
            join_keys: join_fields
                .iter()
                .zip(m.join_keys.iter())
                .map(|(field, value)| JoinKey {
                    field: field.clone(),
                    value: render(value),
                })
                .collect(),
            steps: m
                .events
                .iter()
                .enumerate()
                .filter_map(|(step, &doc)| {
                    selected.get(doc).map(|&event| ChainStep { step, event })
                })
                .collect(),
        })
        .collect();
    Ok(chains)
}

fn render(value: &Value<'_>) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Str(s) => s.to_string(),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{key}: {}", render(value)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Runs every analytic, in parallel, and returns the findings of those that matched plus the
/// errors of those that failed. Stops early, returning what it has, when `cancel` is set.
pub fn run_all(
    store: &EventStore,
    analytics: &[Analytic],
    options: &eql::Options,
    cancel: &AtomicBool,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> (Vec<Finding>, Vec<RunError>) {
    use rayon::prelude::*;

    let total = analytics.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let index = SourceIndex::build(store);
    let results: Vec<Result<Finding, RunError>> = analytics
        .par_iter()
        .filter(|_| !cancel.load(Ordering::Relaxed))
        .map(|analytic| {
            let chains = run_selected(store, analytic, index.select(store, analytic), options)?;
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(&analytic.id, n, total);
            Ok(Finding {
                analytic: analytic.id.clone(),
                chains,
            })
        })
        .collect();
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(finding) if !finding.chains.is_empty() => findings.push(finding),
            Ok(_) => {}
            Err(error) => errors.push(error),
        }
    }
    (findings, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventBuilder, Origin, Platform};

    fn analytic() -> Analytic {
        let text = "id = \"AN0001\"\ntitle = \"t\"\nplatform = \"Windows\"\n\
                    technique = \"T1059\"\nseverity = \"low\"\nnotes = \"n\"\n\
                    query = 'any where true'\n\
                    [[reads]]\nlog_source = \"WinEventLog:Security\"\n\
                    event_codes = [\"4624\", \"4688\"]\n\
                    [[reads]]\nlog_source = \"WinEventLog:Sysmon\"\n";
        match Analytic::from_toml(std::path::Path::new("AN0001.toml"), text) {
            Ok(analytic) => analytic,
            Err(error) => panic!("test analytic failed to load: {error}"),
        }
    }

    /// Builds a store whose sources and codes change from event to event and repeat in runs, with
    /// codes of other types and events without a code.
    fn mixed_store() -> EventStore {
        let sources = [
            "WinEventLog:Security",
            "WinEventLog:Sysmon",
            "auditd:SYSCALL",
        ];
        let codes = ["4624", "4688", "4625", "1", "3"];
        let mut store = EventStore::new();
        let mut state = 7u64;
        for record in 0..2_000u64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let pick = (state >> 33) as usize;
            let origin = Origin {
                file: 0,
                record,
                offset: None,
            };
            let source = sources[pick % sources.len()];
            let mut event = EventBuilder::new(record as i64, source, Platform::Windows, origin);
            match (pick / 3) % 7 {
                5 => {}
                6 => {
                    event.field("event.code", 4624i64);
                }
                n => {
                    event.field("event.code", codes[n % codes.len()]);
                }
            }
            // Runs of a few equal events, as real files have.
            for _ in 0..=(pick % 4) {
                store.push(EventBuilder::new(
                    record as i64,
                    source,
                    Platform::Windows,
                    origin,
                ));
            }
            store.push(event);
        }
        store
    }

    #[test]
    fn source_index_matches_full_scan() {
        let store = mixed_store();
        let analytic = analytic();
        let expected = select_events(&store, &analytic);
        assert!(expected.len() > 500);
        assert!(expected.len() < store.len() - 500);
        assert_eq!(
            SourceIndex::build(&store).select(&store, &analytic),
            expected
        );
    }

    #[test]
    fn source_index_empty_store() {
        let store = EventStore::new();
        assert!(
            SourceIndex::build(&store)
                .select(&store, &analytic())
                .is_empty()
        );
    }
}
