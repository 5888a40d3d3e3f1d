//! EQL, the event query language, as the reference implementation (the `eql` package on PyPI)
//! and Elastic's documentation define it.
//!
//! The evaluator knows nothing about file formats or the event store: it reads events through
//! the [`Document`] trait, which the store's events and plain JSON values both implement.

use std::borrow::Cow;

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
}

/// An event as the evaluator sees it.
pub trait Document {
    /// Looks up a field by its dotted ECS-style name (`process.parent.name`), or `None` when
    /// the event lacks it.
    fn field(&self, dotted: &str) -> Option<Value<'_>>;

    /// The event's time, nanoseconds since the Unix epoch; sequences order and window by it.
    fn timestamp(&self) -> i64;
}
