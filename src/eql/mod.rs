//! EQL, the event query language, as the reference implementation (the `eql` package on PyPI)
//! and Elastic's documentation define it.
//!
//! The evaluator depends on no file format and not on the event store: it reads events through
//! the [`Document`] trait, which the store's events and plain JSON values both implement.
//!
//! [`parse`] turns query text into a [`Query`]; [`execute`] runs it over events given in time
//! order and returns one [`Match`] per result.

mod ast;
mod compile;
mod error;
mod eval;
mod execute;
mod functions;
mod json;
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

/// An event as the evaluator reads it.
pub trait Document {
    /// Looks up a field by its dotted ECS-style name (`process.parent.name`), or `None` when
    /// the event lacks it.
    fn field(&self, dotted: &str) -> Option<Value<'_>>;

    /// The event's time, nanoseconds since the Unix epoch; sequences order and window by it.
    fn timestamp(&self) -> i64;
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
}

impl Default for Options {
    /// Options for ECS events: `event.category`, case-insensitive equality, ECS process ids
    /// and `host.name`.
    fn default() -> Self {
        Options {
            category_field: "event.category".to_string(),
            case_sensitive_equals: false,
            lineage: LineageOptions::ecs(),
            host_field: "host.name".to_string(),
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
