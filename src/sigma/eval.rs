//! Evaluation of compiled Sigma rules over the event store.
//!
//! Rules are bound to a store once: log sources become sets of interned `log.source` symbols,
//! channels and event codes, and Sigma field names become the interned names of the event
//! fields they read. Then the events are read once, in parallel chunks, and each event is
//! tested only against the rules whose log source selects it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustc_hash::FxHashMap;

use crate::store::{Event, EventStore, Platform, StoredValue, Sym};

use super::condition::Condition;
use super::mapping::{Mapping, Source};
use super::modifiers::{FieldItem, Matcher, TextValue};
use super::prefilter::{self, Prefilter};
use super::rule::{Detection, SigmaRule};

/// Events per parallel work unit.
const CHUNK: usize = 4096;

/// A [`Source`] resolved against one store.
struct BoundSource {
    /// `log.source` symbols selected; `None` when the source does not restrict them.
    log_sources: Option<HashSet<Sym>>,
    platform: Option<Platform>,
    /// Lowercase channel names; empty when the source does not restrict them.
    channels: Vec<String>,
    /// `event.code` symbols; `None` when the source does not restrict them.
    codes: Option<Vec<Sym>>,
    /// Fields and the lowercase value each must have; a field absent from the store makes the
    /// source select nothing.
    conditions: Vec<(Option<Sym>, String)>,
}

/// Interned names the evaluator reads on every event.
struct CommonFields {
    channel: Option<Sym>,
    code: Option<Sym>,
}

/// Lowercase forms of the values of one event, shared by every rule tested on it.
#[derive(Default)]
pub(super) struct LowerCache {
    entries: RefCell<Vec<(Sym, Rc<str>)>>,
}

impl LowerCache {
    fn clear(&self) {
        self.entries.borrow_mut().clear();
    }

    fn get(&self, sym: Sym, raw: &str) -> Rc<str> {
        if let Some((_, lower)) = self.entries.borrow().iter().find(|(s, _)| *s == sym) {
            return Rc::clone(lower);
        }
        let lower: Rc<str> = Rc::from(raw.to_lowercase());
        self.entries.borrow_mut().push((sym, Rc::clone(&lower)));
        lower
    }
}

/// A field value of the event under test, as text.
enum Text<'s> {
    Interned(Sym, &'s str),
    Owned(String),
}

impl Text<'_> {
    fn raw(&self) -> &str {
        match self {
            Text::Interned(_, s) => s,
            Text::Owned(s) => s,
        }
    }
}

/// Calls `visit` with each text of `value` (each item of a list) until it returns `true`;
/// returns whether it did.
fn any_text<'s>(
    value: &StoredValue,
    store: &'s EventStore,
    visit: &mut dyn FnMut(&Text<'s>) -> bool,
) -> bool {
    match value {
        StoredValue::Str(sym) => visit(&Text::Interned(*sym, store.strings.resolve(*sym))),
        StoredValue::Int(n) => visit(&Text::Owned(n.to_string())),
        StoredValue::Float(x) => visit(&Text::Owned(x.to_string())),
        StoredValue::Bool(b) => visit(&Text::Owned(b.to_string())),
        StoredValue::List(items) => items.iter().any(|item| any_text(item, store, visit)),
    }
}

fn push_texts<'s>(value: &StoredValue, store: &'s EventStore, out: &mut Vec<Text<'s>>) {
    any_text(value, store, &mut |text| {
        out.push(match text {
            Text::Interned(sym, raw) => Text::Interned(*sym, raw),
            Text::Owned(raw) => Text::Owned(raw.clone()),
        });
        false
    });
}

/// Everything an evaluation needs besides the rule: the event, its store and caches.
pub(super) struct EventContext<'s> {
    pub(super) store: &'s EventStore,
    pub(super) event: &'s Event,
    pub(super) lower: &'s LowerCache,
}

impl<'s> EventContext<'s> {
    /// Calls `visit` with each text of the fields `syms` (or of every field, for `None`) until
    /// it returns `true`; returns whether it did.
    fn any_text(&self, syms: Option<&[Sym]>, visit: &mut dyn FnMut(&Text<'s>) -> bool) -> bool {
        match syms {
            Some(syms) => syms.iter().any(|&sym| {
                self.store
                    .get(self.event, sym)
                    .is_some_and(|value| any_text(value, self.store, visit))
            }),
            None => self
                .store
                .fields(self.event)
                .any(|(_, value)| any_text(value, self.store, visit)),
        }
    }

    fn present(&self, syms: Option<&[Sym]>) -> bool {
        match syms {
            Some(syms) => syms
                .iter()
                .any(|&sym| self.store.get(self.event, sym).is_some()),
            None => true,
        }
    }

    fn matches(&self, matcher: &Matcher, text: &Text<'_>) -> bool {
        let value = match text {
            Text::Interned(sym, raw) => {
                let lower = self.lower.get(*sym, raw);
                TextValue::with_lower(raw, lower)
            }
            Text::Owned(raw) => TextValue::new(raw),
        };
        matcher.matches_text(&value)
    }
}

/// Selections a condition can refer to before evaluation needs the heap.
const STACK_SELECTIONS: usize = 32;

/// A detection bound to a store through one field set: per field name, its event fields.
pub(super) struct BoundDetection<'d> {
    pub(super) detection: &'d Detection,
    pub(super) fields: Vec<Vec<Sym>>,
}

impl BoundDetection<'_> {
    fn syms_of(&self, item: &FieldItem) -> Option<&[Sym]> {
        item.field.as_ref()?;
        Some(self.fields.get(item.field_index).map_or(&[], Vec::as_slice))
    }

    fn syms_named(&self, name: &str) -> &[Sym] {
        self.detection
            .field_names
            .iter()
            .position(|f| f == name)
            .and_then(|i| self.fields.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// Returns whether the detection's condition is true for the event.
    pub(super) fn holds(&self, context: &EventContext<'_>) -> bool {
        let count = self.detection.selections.len();
        let mut on_stack = [None; STACK_SELECTIONS];
        let mut on_heap = Vec::new();
        let memo: &mut [Option<bool>] = if let Some(memo) = on_stack.get_mut(..count) {
            memo
        } else {
            on_heap.resize(count, None);
            &mut on_heap
        };
        let mut selection = |index: usize| {
            if let Some(Some(known)) = memo.get(index) {
                return *known;
            }
            let result = self.detection.selections.get(index).is_some_and(|s| {
                s.alternatives
                    .iter()
                    .any(|items| items.iter().all(|item| self.item_holds(item, context)))
            });
            if let Some(slot) = memo.get_mut(index) {
                *slot = Some(result);
            }
            result
        };
        eval_condition(&self.detection.condition, &mut selection)
    }

    fn item_holds(&self, item: &FieldItem, context: &EventContext<'_>) -> bool {
        let syms = self.syms_of(item);
        if item.negate {
            // `neq`: the field is present and equals none of the values.
            return context.present(syms)
                && !item
                    .values
                    .iter()
                    .any(|alternatives| self.value_holds(alternatives, syms, context));
        }
        let mut groups = item.values.iter();
        if item.all {
            groups.all(|alternatives| self.value_holds(alternatives, syms, context))
        } else {
            groups.any(|alternatives| self.value_holds(alternatives, syms, context))
        }
    }

    fn value_holds(
        &self,
        alternatives: &[Matcher],
        syms: Option<&[Sym]>,
        context: &EventContext<'_>,
    ) -> bool {
        alternatives.iter().any(|matcher| match matcher {
            Matcher::Exists(wanted) => context.present(syms) == *wanted,
            Matcher::Null => !context.any_text(syms, &mut |text| !text.raw().is_empty()),
            Matcher::FieldRef { field, cased } => {
                let mut others = Vec::new();
                for &sym in self.syms_named(field) {
                    if let Some(value) = context.store.get(context.event, sym) {
                        push_texts(value, context.store, &mut others);
                    }
                }
                context.any_text(syms, &mut |text| {
                    others.iter().any(|other| {
                        if *cased {
                            text.raw() == other.raw()
                        } else {
                            text.raw().to_lowercase() == other.raw().to_lowercase()
                        }
                    })
                })
            }
            _ => context.any_text(syms, &mut |text| context.matches(matcher, text)),
        })
    }
}

fn eval_condition(condition: &Condition, selection: &mut dyn FnMut(usize) -> bool) -> bool {
    condition.eval(selection)
}

/// A rule bound to a store through one of its sources.
struct BoundRule<'r> {
    rule: usize,
    /// Prefilter clauses: for each, literal ids one of which the event must contain.
    clauses: Vec<Vec<u32>>,
    detection: BoundDetection<'r>,
    filters: Vec<BoundDetection<'r>>,
}

/// Resolves field names against a store, caching per field set and name.
pub(super) struct FieldBinder<'s> {
    store: &'s EventStore,
    mapping: &'s Mapping,
    cache: HashMap<(String, String), Vec<Sym>>,
    /// Every field name the store's events use, collected on the first glob candidate.
    names: Option<Vec<(Sym, String)>>,
}

impl<'s> FieldBinder<'s> {
    pub(super) fn new(store: &'s EventStore, mapping: &'s Mapping) -> Self {
        FieldBinder {
            store,
            mapping,
            cache: HashMap::new(),
            names: None,
        }
    }

    pub(super) fn bind(&mut self, fieldset: &str, field: &str) -> Vec<Sym> {
        let key = (fieldset.to_owned(), field.to_owned());
        if let Some(syms) = self.cache.get(&key) {
            return syms.clone();
        }
        let mut syms = Vec::new();
        for candidate in self.mapping.candidates(fieldset, field) {
            if candidate.contains('*') {
                for (sym, name) in self.field_names() {
                    if super::condition::pattern_matches(&candidate, name) && !syms.contains(sym) {
                        syms.push(*sym);
                    }
                }
            } else if let Some(sym) = self.store.strings.get(&candidate) {
                if !syms.contains(&sym) {
                    syms.push(sym);
                }
            } else {
                // Sigma writes a field whose name has spaces without them (`Threat Name` is
                // `ThreatName`), so an absent candidate also reads names equal to it once
                // their spaces are removed.
                for (sym, name) in self.field_names() {
                    if name.contains(' ')
                        && name.replace(' ', "") == candidate
                        && !syms.contains(sym)
                    {
                        syms.push(*sym);
                    }
                }
            }
        }
        self.cache.insert(key, syms.clone());
        syms
    }

    /// Binds field names that are event fields as written, such as correlation `group-by`
    /// fields, through the field set first and as written when the set has no candidate.
    pub(super) fn bind_or_literal(&mut self, fieldset: &str, field: &str) -> Vec<Sym> {
        let syms = self.bind(fieldset, field);
        if !syms.is_empty() {
            return syms;
        }
        self.store.strings.get(field).into_iter().collect()
    }

    fn field_names(&mut self) -> &[(Sym, String)] {
        let store = self.store;
        self.names.get_or_insert_with(|| {
            let mut seen: HashSet<Sym> = HashSet::new();
            for event in store.events() {
                for (name, _) in store.fields(event) {
                    seen.insert(name);
                }
            }
            let mut names: Vec<(Sym, String)> = seen
                .into_iter()
                .map(|sym| (sym, store.strings.resolve(sym).to_owned()))
                .collect();
            names.sort();
            names
        })
    }

    fn detection<'d>(&mut self, fieldset: &str, detection: &'d Detection) -> BoundDetection<'d> {
        let fields = detection
            .field_names
            .iter()
            .map(|field| self.bind(fieldset, field))
            .collect();
        BoundDetection { detection, fields }
    }
}

fn bind_source(store: &EventStore, source: &Source, present: &[Sym]) -> BoundSource {
    let log_sources = source.log_source.as_ref().map(|wanted| {
        present
            .iter()
            .copied()
            .filter(|sym| {
                let name = store.strings.resolve(*sym);
                match wanted.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name == wanted,
                }
            })
            .collect()
    });
    let platform = source
        .platform
        .as_deref()
        .and_then(Platform::from_attack_name);
    let codes = (!source.event_codes.is_empty()).then(|| {
        source
            .event_codes
            .iter()
            .filter_map(|code| store.strings.get(code))
            .collect()
    });
    BoundSource {
        log_sources,
        platform,
        channels: source
            .channels
            .iter()
            .map(|c| c.to_ascii_lowercase())
            .collect(),
        codes,
        conditions: source
            .conditions
            .iter()
            .map(|(field, value)| (store.strings.get(field), value.to_ascii_lowercase()))
            .collect(),
    }
}

impl BoundSource {
    fn selects(&self, store: &EventStore, event: &Event, common: &CommonFields) -> bool {
        if let Some(sources) = &self.log_sources
            && !sources.contains(&event.log_source)
        {
            return false;
        }
        if self.platform.is_some_and(|p| p != event.platform) {
            return false;
        }
        if let Some(codes) = &self.codes {
            let code = common.code.and_then(|f| match store.get(event, f) {
                Some(StoredValue::Str(code)) => Some(*code),
                _ => None,
            });
            if !code.is_some_and(|c| codes.contains(&c)) {
                return false;
            }
        }
        if !self.channels.is_empty() {
            let channel = common.channel.and_then(|f| match store.get(event, f) {
                Some(StoredValue::Str(channel)) => Some(store.strings.resolve(*channel)),
                _ => None,
            });
            if !channel.is_some_and(|c| self.channels.iter().any(|w| c.eq_ignore_ascii_case(w))) {
                return false;
            }
        }
        self.conditions.iter().all(|(field, wanted)| {
            let Some(value) = field.and_then(|f| store.get(event, f)) else {
                return false;
            };
            let mut texts = Vec::new();
            push_texts(value, store, &mut texts);
            texts.iter().any(|t| t.raw().eq_ignore_ascii_case(wanted))
        })
    }
}

/// The rules of a set, bound to one store and indexed by what selects them.
pub(super) struct Plan<'r> {
    sources: Vec<BoundSource>,
    /// Sources by the `log.source` symbol they require.
    by_log_source: FxHashMap<Sym, Vec<usize>>,
    /// Sources that do not require a `log.source`.
    unindexed: Vec<usize>,
    /// Per source, the bound rules it feeds.
    rules: Vec<Vec<BoundRule<'r>>>,
    common: CommonFields,
    prefilter: Prefilter,
}

impl<'r> Plan<'r> {
    /// Binds `rules` to `store`; `rule_sources[i]` are the mapping sources rule `i` reads.
    pub(super) fn new(
        store: &EventStore,
        mapping: &Mapping,
        sources: &[Source],
        rules: &'r [SigmaRule],
        rule_sources: &[Vec<usize>],
    ) -> Plan<'r> {
        let mut present: HashSet<Sym> = HashSet::new();
        for event in store.events() {
            present.insert(event.log_source);
        }
        let present: Vec<Sym> = present.into_iter().collect();
        let bound_sources: Vec<BoundSource> = sources
            .iter()
            .map(|source| bind_source(store, source, &present))
            .collect();
        let mut by_log_source: FxHashMap<Sym, Vec<usize>> = FxHashMap::default();
        let mut unindexed = Vec::new();
        for (index, source) in bound_sources.iter().enumerate() {
            match &source.log_sources {
                Some(symbols) => {
                    for sym in symbols {
                        by_log_source.entry(*sym).or_default().push(index);
                    }
                }
                None => unindexed.push(index),
            }
        }
        let needs: Vec<Vec<Vec<String>>> = rules
            .iter()
            .map(|rule| prefilter::needs(&rule.detection))
            .collect();
        let (prefilter, needle_ids) = Prefilter::build(&needs);
        let mut binder = FieldBinder::new(store, mapping);
        let mut per_source: Vec<Vec<BoundRule<'r>>> =
            (0..sources.len()).map(|_| Vec::new()).collect();
        for (rule_index, rule) in rules.iter().enumerate() {
            for &source_index in rule_sources.get(rule_index).map_or(&[][..], Vec::as_slice) {
                let Some(source) = sources.get(source_index) else {
                    continue;
                };
                let detection = binder.detection(&source.fieldset, &rule.detection);
                let filters = rule
                    .filters
                    .iter()
                    .map(|(_, filter)| binder.detection(&source.fieldset, filter))
                    .collect();
                if let Some(list) = per_source.get_mut(source_index) {
                    list.push(BoundRule {
                        rule: rule_index,
                        clauses: needle_ids.get(rule_index).cloned().unwrap_or_default(),
                        detection,
                        filters,
                    });
                }
            }
        }
        Plan {
            sources: bound_sources,
            by_log_source,
            unindexed,
            rules: per_source,
            common: CommonFields {
                channel: store.strings.get("winlog.channel"),
                code: store.strings.get("event.code"),
            },
            prefilter,
        }
    }

    /// Marks in `found` every prefilter literal that occurs in any field of `event`.
    fn scan_event(&self, store: &EventStore, event: &Event, found: &mut [bool]) {
        found.fill(false);
        for (_, value) in store.fields(event) {
            any_text(value, store, &mut |text| {
                self.prefilter.scan(text.raw(), found);
                false
            });
        }
    }

    /// Returns, per rule, the indexes of the events it matched in store order. Stops early
    /// when `cancel` is set.
    pub(super) fn run(
        &self,
        store: &EventStore,
        rule_count: usize,
        cancel: &AtomicBool,
    ) -> Vec<Vec<usize>> {
        use rayon::prelude::*;

        let events = store.events();
        let hits: Vec<Vec<(u32, usize)>> = events
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(chunk, slice)| {
                let mut hits = Vec::new();
                if cancel.load(Ordering::Relaxed) {
                    return hits;
                }
                let lower = LowerCache::default();
                let mut selected: Vec<usize> = Vec::new();
                let mut found = vec![false; self.prefilter.literal_count()];
                for (offset, event) in slice.iter().enumerate() {
                    let index = chunk * CHUNK + offset;
                    lower.clear();
                    selected.clear();
                    let indexed = self
                        .by_log_source
                        .get(&event.log_source)
                        .map_or(&[][..], Vec::as_slice);
                    for &source in indexed.iter().chain(self.unindexed.iter()) {
                        let source_set = self.sources.get(source);
                        if source_set.is_some_and(|s| s.selects(store, event, &self.common)) {
                            selected.push(source);
                        }
                    }
                    if selected.is_empty() {
                        continue;
                    }
                    let context = EventContext {
                        store,
                        event,
                        lower: &lower,
                    };
                    let first_hit = hits.len();
                    self.scan_event(store, event, &mut found);
                    for &source in &selected {
                        let bound_rules = self.rules.get(source).map_or(&[][..], Vec::as_slice);
                        for bound in bound_rules {
                            let possible = bound.clauses.iter().all(|ids| {
                                ids.iter()
                                    .any(|&id| found.get(id as usize).copied().unwrap_or(true))
                            });
                            if !possible {
                                continue;
                            }
                            let rule = u32::try_from(bound.rule).unwrap_or(u32::MAX);
                            // Two sources of one rule can both select an event; count it once.
                            if hits.iter().skip(first_hit).any(|(r, _)| *r == rule) {
                                continue;
                            }
                            if bound.detection.holds(&context)
                                && !bound.filters.iter().any(|f| f.holds(&context))
                            {
                                hits.push((rule, index));
                            }
                        }
                    }
                }
                hits
            })
            .collect();
        let mut per_rule: Vec<Vec<usize>> = vec![Vec::new(); rule_count];
        for chunk in hits {
            for (rule, event) in chunk {
                if let Some(list) = per_rule.get_mut(rule as usize) {
                    list.push(event);
                }
            }
        }
        per_rule
    }
}
