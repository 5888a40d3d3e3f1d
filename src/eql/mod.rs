//! EQL, the event query language, as the reference implementation (the `eql` package on PyPI)
//! and Elastic's documentation define it.
//!
//! The evaluator depends on no file format and not on the event store: it reads events through
//! the [`Document`] trait, which the store's events and plain JSON values both implement.
//!
//! [`parse`] turns query text into a [`Query`]; [`execute`] runs it over events given in time
//! order and returns one [`Match`] per result.

mod ast;
mod category;
mod compile;
mod error;
mod eval;
mod execute;
mod functions;
mod json;
mod keys;
mod lexer;
mod lineage;
mod parser;
mod pipes;
mod query;
mod sequence;
mod signatures;
mod wildcard;

use std::borrow::Cow;

pub use ast::{
    ArithmeticOp, CompareOp, EventQuery, Expr, FieldPath, Join, Literal, MatchKind, PathPart, Pipe,
    Query, QueryBody, Relation, Sequence, SequenceStep,
};
pub use error::{EvalError, ParseError};
pub use execute::evaluate;
pub use execute::execute;
pub use lexer::Position;
pub use lineage::{LineageOptions, ProcessIdFields};
pub use parser::{MAX_DEPTH, parse, parse_expression};

/// A value read from an event or computed by an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// A missing field or an explicit `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array.
    List(Vec<Value<'a>>),
    /// A nested object, as key and value pairs in document order. Flat documents never return
    /// one; nested JSON does, so `arraySearch` can read `item.key` from arrays of objects.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl Value<'_> {
    /// Copies any borrowed text, so the value outlives the document it came from.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(value) => Value::Bool(value),
            Value::Int(value) => Value::Int(value),
            Value::Float(value) => Value::Float(value),
            Value::Str(text) => Value::Str(Cow::Owned(text.into_owned())),
            Value::List(items) => Value::List(items.into_iter().map(Value::into_owned).collect()),
            Value::Object(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (Cow::Owned(key.into_owned()), value.into_owned()))
                    .collect(),
            ),
        }
    }
}

/// A field name resolved by [`Document::resolve`], so that reading it from each event skips
/// the lookup by name. What the bits mean is up to the document type that made the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldKey(u64);

impl FieldKey {
    /// The key that makes [`Document::field_by_key`] look the field up by name, as
    /// [`Document::field`] does.
    pub const BY_NAME: FieldKey = FieldKey(u64::MAX);

    /// Makes a key from a document type's own bits. `u64::MAX` is [`FieldKey::BY_NAME`].
    pub const fn from_bits(bits: u64) -> FieldKey {
        FieldKey(bits)
    }

    /// Returns the bits the key was made from.
    pub const fn bits(self) -> u64 {
        self.0
    }
}

/// An event as the evaluator reads it.
///
/// Only [`Document::field`] and [`Document::timestamp`] are required. A document type that
/// can find a field faster by a precomputed key also implements [`Document::resolve`] and
/// [`Document::field_by_key`]; [`execute()`] resolves each field a query reads once, on the
/// first event, and reads every event through that key.
pub trait Document {
    /// Looks up a field by its dotted ECS-style name (`process.parent.name`), or `None` when
    /// the event lacks it.
    fn field(&self, dotted: &str) -> Option<Value<'_>>;

    /// The event's time, nanoseconds since the Unix epoch; sequences order and window by it.
    fn timestamp(&self) -> i64;

    /// Resolves a dotted field name to a key for [`Document::field_by_key`].
    ///
    /// The key must read the same field from every event passed with this one to [`execute()`]
    /// (for events of one store, a store-wide key). The default, [`FieldKey::BY_NAME`], reads
    /// by name.
    fn resolve(&self, dotted: &str) -> FieldKey {
        let _ = dotted;
        FieldKey::BY_NAME
    }

    /// Reads the field `dotted`, which `key` was resolved from. The default reads by name.
    fn field_by_key(&self, key: FieldKey, dotted: &str) -> Option<Value<'_>> {
        let _ = key;
        self.field(dotted)
    }

    /// Returns an id of the field's value when it is one string, alone or as the only item
    /// of a list, such that equal ids mean equal strings. Returns `None` otherwise, and
    /// always in the default. Category tests remember their results by the id.
    fn string_id(&self, key: FieldKey, dotted: &str) -> Option<u64> {
        let _ = (key, dotted);
        None
    }

    /// Writes [`Document::string_id`] of each of `documents` into `ids`, which has their
    /// length. A document type can override it to read a block of events at once. The
    /// default calls `string_id` for each document.
    fn string_ids(documents: &[Self], key: FieldKey, dotted: &str, ids: &mut [Option<u64>])
    where
        Self: Sized,
    {
        for (document, id) in documents.iter().zip(ids) {
            *id = document.string_id(key, dotted);
        }
    }

    /// Tests whether the field is a string, or a list holding a string, for which `test`
    /// returns true. Category and lineage checks call it on every event, so a document type
    /// can implement it without building a [`Value`].
    fn any_string(&self, key: FieldKey, dotted: &str, test: &mut dyn FnMut(&str) -> bool) -> bool {
        match self.field_by_key(key, dotted) {
            Some(Value::Str(text)) => test(&text),
            Some(Value::List(items)) => items
                .iter()
                .any(|item| matches!(item, Value::Str(text) if test(text))),
            _ => false,
        }
    }
}

/// A field name with the key it resolved to for the events being read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResolvedField {
    pub name: String,
    pub key: FieldKey,
}

impl ResolvedField {
    /// Creates a field not resolved yet, read by name.
    pub fn new(name: &str) -> Self {
        ResolvedField {
            name: name.to_string(),
            key: FieldKey::BY_NAME,
        }
    }

    /// Resolves the key against `event`.
    #[inline]
    pub fn resolve<D: Document>(&mut self, event: &D) {
        self.key = event.resolve(&self.name);
    }

    /// Reads the field from `event`.
    #[inline]
    pub fn read<'d, D: Document>(&self, event: &'d D) -> Option<Value<'d>> {
        event.field_by_key(self.key, &self.name)
    }

    /// Tests the field's strings of `event`, as [`Document::any_string`] does.
    #[inline]
    pub fn any_string<D: Document>(&self, event: &D, test: &mut dyn FnMut(&str) -> bool) -> bool {
        event.any_string(self.key, &self.name, test)
    }
}

/// Settings that change how a query matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The field holding an event's category. An event matches `process where` when this
    /// field equals `process`, or is a list containing it, ignoring ASCII case.
    pub category_field: String,
    /// Whether `==`, `!=`, `in`, ordering comparisons, `unique`, `sort` and the string
    /// functions compare strings with letter case. The default, `false`, mirrors the
    /// reference implementation (eql 0.9 and later), where `"CMD.EXE" == "cmd.exe"`.
    /// Operators that fix their own case rule (`:`, `like`, `like~`, `regex`, `regex~`,
    /// `in~` and `name~()` calls) ignore this setting.
    pub case_sensitive_equals: bool,
    /// The fields `child of`, `descendant of` and `event of` track processes by.
    pub lineage: LineageOptions,
    /// The field `count` and `unique_count` collect distinct values of into `hosts`.
    pub host_field: String,
    /// The maximum number of partial matches a `sequence` or `join` may keep at once, over all
    /// its steps and join keys. A query that would keep more stops with
    /// [`EvalError::StateLimit`] rather than grow without bound. `maxspan` or narrower join
    /// keys keep the state small.
    pub max_partials: usize,
}

/// The default [`Options::max_partials`]. A partial contains its event indexes and a copy of
/// its key values, so this many take in the order of 1 GiB with short keys (an estimate).
pub const DEFAULT_MAX_PARTIALS: usize = 5_000_000;

impl Default for Options {
    /// Options for ECS events: `event.category`, case-insensitive equality, ECS process ids
    /// and `host.name`.
    fn default() -> Self {
        Options {
            category_field: "event.category".to_string(),
            case_sensitive_equals: false,
            lineage: LineageOptions::ecs(),
            host_field: "host.name".to_string(),
            max_partials: DEFAULT_MAX_PARTIALS,
        }
    }
}

/// One result of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// Indexes into the events passed to [`execute`]: one for an event query, one per step
    /// in step order for a sequence.
    pub events: Vec<usize>,
    /// The values of the join keys, shared `by` keys first and then the step's own. They are
    /// read from the first event, and an event query has none.
    pub join_keys: Vec<Value<'static>>,
    /// The counts a `count` or `unique_count` pipe attached; `None` otherwise. A result of
    /// `count` has no events.
    pub aggregate: Option<Aggregate>,
}

impl Match {
    /// Creates a result without counts.
    pub fn new(events: Vec<usize>, join_keys: Vec<Value<'static>>) -> Self {
        Match {
            events,
            join_keys,
            aggregate: None,
        }
    }
}

/// The counts of a `count` or `unique_count` result. Later pipes read them as the fields
/// `key`, `count`, `percent`, `hosts` and `total_hosts`, which for `unique_count` hide the
/// first event's fields of the same names.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// The counted value, a list of values for several keys, or `"totals"` for a bare
    /// `count`; `None` for `unique_count`, whose result keeps its events instead.
    pub key: Option<Value<'static>>,
    /// How many results had this key.
    pub count: u64,
    /// `count` divided by the number of results counted; `None` for a bare `count`.
    pub percent: Option<f64>,
    /// The distinct values of the host field among the counted results, sorted.
    pub hosts: Vec<String>,
}
