//! Field values as stored and as read back.

use super::{Interner, PendingValue, Sym};

/// A field value inside the store: strings are interned symbols.
///
/// The value is 16 bytes: a list sits behind a second box so that its slice's length does not
/// widen every scalar value.
#[derive(Clone, Debug, PartialEq)]
pub enum StoredValue {
    /// An interned string.
    Str(Sym),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list, such as `event.category`.
    List(Box<Box<[StoredValue]>>),
}

impl StoredValue {
    /// Returns the heap memory a value owns outside itself: a list's two boxes and items.
    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            StoredValue::List(items) => {
                let own = std::mem::size_of::<Box<[StoredValue]>>()
                    + std::mem::size_of_val::<[StoredValue]>(items);
                items.iter().map(StoredValue::heap_bytes).sum::<usize>() + own
            }
            _ => 0,
        }
    }

    pub(super) fn intern(value: PendingValue, strings: &mut Interner) -> StoredValue {
        match value {
            PendingValue::Str(s) => StoredValue::Str(strings.intern(&s)),
            PendingValue::Int(n) => StoredValue::Int(n),
            PendingValue::Float(x) => StoredValue::Float(x),
            PendingValue::Bool(b) => StoredValue::Bool(b),
            PendingValue::List(items) => StoredValue::List(Box::new(
                items
                    .into_iter()
                    .map(|v| StoredValue::intern(v, strings))
                    .collect(),
            )),
        }
    }

    /// Replaces each interned string's symbol `s` with `map[s]`.
    pub(super) fn remap(&mut self, map: &[Sym]) {
        match self {
            StoredValue::Str(sym) => *sym = sym.remapped(map),
            StoredValue::List(items) => items.iter_mut().for_each(|v| v.remap(map)),
            StoredValue::Int(_) | StoredValue::Float(_) | StoredValue::Bool(_) => {}
        }
    }

    /// Resolves interned strings against `strings`.
    pub fn resolve<'a>(&self, strings: &'a Interner) -> ValueRef<'a> {
        match self {
            StoredValue::Str(sym) => ValueRef::Str(strings.resolve(*sym)),
            StoredValue::Int(n) => ValueRef::Int(*n),
            StoredValue::Float(x) => ValueRef::Float(*x),
            StoredValue::Bool(b) => ValueRef::Bool(*b),
            StoredValue::List(items) => {
                ValueRef::List(items.iter().map(|v| v.resolve(strings)).collect())
            }
        }
    }
}

/// A field value borrowed from the store.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueRef<'a> {
    /// A string.
    Str(&'a str),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list.
    List(Vec<ValueRef<'a>>),
}

impl std::fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueRef::Str(s) => f.write_str(s),
            ValueRef::Int(n) => write!(f, "{n}"),
            ValueRef::Float(x) => write!(f, "{x}"),
            ValueRef::Bool(b) => write!(f, "{b}"),
            ValueRef::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A field value read through a [`super::FieldHandle`]: strings stay symbols and lists stay
/// borrowed, so reading allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldRead<'a> {
    /// An interned string.
    Str(Sym),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list, borrowed from the event.
    List(&'a [StoredValue]),
    /// A list of exactly one string, as a column keeps it.
    OneStrList(Sym),
}

impl<'a> From<&'a StoredValue> for FieldRead<'a> {
    fn from(value: &'a StoredValue) -> Self {
        match value {
            StoredValue::Str(sym) => FieldRead::Str(*sym),
            StoredValue::Int(n) => FieldRead::Int(*n),
            StoredValue::Float(x) => FieldRead::Float(*x),
            StoredValue::Bool(b) => FieldRead::Bool(*b),
            StoredValue::List(items) => FieldRead::List(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_value_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<StoredValue>(), 16);
    }

    #[test]
    fn remap_rewrites_strings_in_lists() {
        let mut strings = Interner::default();
        let a = strings.intern("a");
        let b = strings.intern("b");
        let mut value = StoredValue::List(Box::new(Box::new([
            StoredValue::Str(a),
            StoredValue::Int(3),
        ])));

        value.remap(&[b, a]);

        let expected = StoredValue::List(Box::new(Box::new([
            StoredValue::Str(b),
            StoredValue::Int(3),
        ])));
        assert_eq!(value, expected);
    }
}
