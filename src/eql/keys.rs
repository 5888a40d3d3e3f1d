//! Keys made of values, as sequences, joins, lineage and pipes group events by them: hashed
//! and compared value by value, so looking a key up allocates nothing.
//!
//! Two keys are equal when they have the same length and their values are pairwise equal:
//! - `null` equals `null`, and booleans equal by value.
//! - An integer and a float are equal when the float is a whole number below 9e15 in
//!   magnitude with the same value, so `1 == 1.0`. But `-0.0` equals only itself. Other
//!   floats are equal when they are the same float, and every NaN equals every other NaN.
//! - Strings are equal exactly or, when the key folds case, after Unicode lowercasing.
//! - Lists and objects are equal element by element, in order.
//! - Values of different kinds are never equal.

use std::hash::{BuildHasher, Hasher};

use hashbrown::{DefaultHashBuilder, HashTable};

use super::Value;

/// Integers and whole floats up to this magnitude share a key; larger floats keep their own.
const WHOLE_FLOAT_LIMIT: f64 = 9.0e15;

/// How many lowercased bytes are hashed at a time.
const FOLD_CHUNK: usize = 64;

/// A number as keys compare it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Number {
    Whole(i64),
    NegativeZero,
    Bits(u64),
}

fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Int(value) => Some(Number::Whole(*value)),
        Value::Float(value) if value.fract() == 0.0 && value.abs() < WHOLE_FLOAT_LIMIT => {
            if *value == 0.0 && value.is_sign_negative() {
                Some(Number::NegativeZero)
            } else {
                Some(Number::Whole(*value as i64))
            }
        }
        Value::Float(value) if value.is_nan() => Some(Number::Bits(f64::NAN.to_bits())),
        Value::Float(value) => Some(Number::Bits(value.to_bits())),
        _ => None,
    }
}

/// Tests two strings for equality, ignoring case with Unicode lowercasing when `fold_case`.
pub(crate) fn strings_equal(left: &str, right: &str, fold_case: bool) -> bool {
    if !fold_case {
        return left == right;
    }
    if left.is_ascii() && right.is_ascii() {
        return left.eq_ignore_ascii_case(right);
    }
    left.to_lowercase() == right.to_lowercase()
}

/// Tests two values for equality as keys.
pub(crate) fn values_equal(left: &Value, right: &Value, fold_case: bool) -> bool {
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(left), Value::Bool(right)) => left == right,
        (Value::Str(left), Value::Str(right)) => strings_equal(left, right, fold_case),
        (Value::List(left), Value::List(right)) => keys_equal(left, right, fold_case),
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .zip(right)
                    .all(|((left_key, left), (right_key, right))| {
                        left_key == right_key && values_equal(left, right, fold_case)
                    })
        }
        _ => match (number(left), number(right)) {
            (Some(left), Some(right)) => left == right,
            _ => false,
        },
    }
}

/// Tests two keys for equality.
pub(crate) fn keys_equal(left: &[Value], right: &[Value], fold_case: bool) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .all(|(left, right)| values_equal(left, right, fold_case))
}

/// Feeds a value to `hasher` so that values equal as keys hash alike.
fn hash_value(hasher: &mut impl Hasher, value: &Value, fold_case: bool) {
    match value {
        Value::Null => hasher.write_u8(0),
        Value::Bool(value) => hasher.write_u8(1 + u8::from(*value)),
        Value::Int(_) | Value::Float(_) => match number(value) {
            Some(Number::Whole(whole)) => {
                hasher.write_u8(3);
                hasher.write_i64(whole);
            }
            Some(Number::NegativeZero) => hasher.write_u8(4),
            Some(Number::Bits(bits)) => {
                hasher.write_u8(5);
                hasher.write_u64(bits);
            }
            None => {}
        },
        Value::Str(text) => {
            hasher.write_u8(6);
            hash_str(hasher, text, fold_case);
        }
        Value::List(items) => {
            hasher.write_u8(7);
            hasher.write_usize(items.len());
            for item in items {
                hash_value(hasher, item, fold_case);
            }
        }
        Value::Object(entries) => {
            hasher.write_u8(8);
            hasher.write_usize(entries.len());
            for (key, item) in entries {
                hash_str(hasher, key, false);
                hash_value(hasher, item, fold_case);
            }
        }
    }
}

/// Hashes text, lowercased when `fold_case`. The lowercased length, then the lowercased bytes
/// in chunks of [`FOLD_CHUNK`] from the start, go to the hasher whichever path lowercased
/// them, so equal folded strings feed the hasher identically.
fn hash_str(hasher: &mut impl Hasher, text: &str, fold_case: bool) {
    if !fold_case {
        hasher.write_usize(text.len());
        hasher.write(text.as_bytes());
        return;
    }
    if text.is_ascii() {
        hasher.write_usize(text.len());
        let mut buffer = [0_u8; FOLD_CHUNK];
        for chunk in text.as_bytes().chunks(FOLD_CHUNK) {
            for (target, byte) in buffer.iter_mut().zip(chunk) {
                *target = byte.to_ascii_lowercase();
            }
            hasher.write(buffer.get(..chunk.len()).unwrap_or_default());
        }
        return;
    }
    let lower = text.to_lowercase();
    hasher.write_usize(lower.len());
    for chunk in lower.as_bytes().chunks(FOLD_CHUNK) {
        hasher.write(chunk);
    }
}

/// A stored entry: the key as first seen, owned, and its value.
#[derive(Clone)]
pub(crate) struct Entry<T> {
    hash: u64,
    pub key: Box<[Value<'static>]>,
    pub value: T,
}

/// A hash table from keys to values. Lookups take borrowed values, so only inserting a new
/// key copies it.
pub(crate) struct KeyTable<T> {
    entries: HashTable<Entry<T>>,
    hasher: DefaultHashBuilder,
    fold_case: bool,
}

impl<T> KeyTable<T> {
    /// Creates an empty table whose string keys compare ignoring case when `fold_case`.
    pub fn new(fold_case: bool) -> Self {
        KeyTable {
            entries: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            fold_case,
        }
    }

    /// Creates an empty table that hashes as this one does, so one hash serves both.
    pub fn new_like<U>(&self) -> KeyTable<U> {
        KeyTable {
            entries: HashTable::new(),
            hasher: self.hasher.clone(),
            fold_case: self.fold_case,
        }
    }

    /// Hashes a key for the other methods.
    pub fn hash(&self, key: &[Value]) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        hasher.write_usize(key.len());
        for value in key {
            hash_value(&mut hasher, value, self.fold_case);
        }
        hasher.finish()
    }

    /// Returns the entry whose key equals `key`, which hashed to `hash`.
    pub fn get(&self, hash: u64, key: &[Value]) -> Option<&Entry<T>> {
        let fold_case = self.fold_case;
        self.entries.find(hash, |entry| {
            entry.hash == hash && keys_equal(&entry.key, key, fold_case)
        })
    }

    /// Returns the entry whose key equals `key`, mutably.
    pub fn get_mut(&mut self, hash: u64, key: &[Value]) -> Option<&mut Entry<T>> {
        let fold_case = self.fold_case;
        self.entries.find_mut(hash, |entry| {
            entry.hash == hash && keys_equal(&entry.key, key, fold_case)
        })
    }

    /// Removes and returns the entry whose key equals `key`.
    pub fn remove(&mut self, hash: u64, key: &[Value]) -> Option<Entry<T>> {
        let fold_case = self.fold_case;
        let found = self.entries.find_entry(hash, |entry| {
            entry.hash == hash && keys_equal(&entry.key, key, fold_case)
        });
        found.ok().map(|entry| entry.remove().0)
    }

    /// Makes an entry for a key not stored yet, copying the key.
    pub fn new_entry(hash: u64, key: &[Value], value: T) -> Entry<T> {
        Entry {
            hash,
            key: key.iter().map(|value| value.clone().into_owned()).collect(),
            value,
        }
    }

    /// Inserts an entry, replacing any entry with an equal key.
    pub fn insert(&mut self, entry: Entry<T>) {
        let fold_case = self.fold_case;
        let hash = entry.hash;
        let found = self.entries.entry(
            hash,
            |stored| stored.hash == hash && keys_equal(&stored.key, &entry.key, fold_case),
            |stored| stored.hash,
        );
        match found {
            hashbrown::hash_table::Entry::Occupied(mut stored) => *stored.get_mut() = entry,
            hashbrown::hash_table::Entry::Vacant(vacant) => {
                vacant.insert(entry);
            }
        }
    }

    /// Keeps only the entries whose value passes `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.entries.retain(|entry| keep(&entry.value));
    }

    /// Tests whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn text(value: &str) -> Value<'static> {
        Value::Str(Cow::Owned(value.to_string()))
    }

    /// Asserts that two keys are equal in a table and hash alike.
    fn assert_same(left: &[Value], right: &[Value], fold_case: bool) {
        let table: KeyTable<()> = KeyTable::new(fold_case);
        assert!(keys_equal(left, right, fold_case), "{left:?} {right:?}");
        assert_eq!(table.hash(left), table.hash(right), "{left:?} {right:?}");
    }

    #[test]
    fn folded_strings_and_numbers_match() {
        assert_same(
            &[text("HOST"), Value::Int(1)],
            &[text("host"), Value::Float(1.0)],
            true,
        );
        assert_same(&[text("\u{212A}")], &[text("k")], true);
        assert_same(&[text("ÄB")], &[text("äb")], true);
        assert_same(&[Value::Float(f64::NAN)], &[Value::Float(-f64::NAN)], false);
        assert_same(&[Value::Float(0.0)], &[Value::Int(0)], false);
        let long = "X".repeat(200);
        assert_same(&[text(&long)], &[text(&long.to_lowercase())], true);
    }

    #[test]
    fn different_keys_differ() {
        let cases: [(&[Value], &[Value]); 7] = [
            (&[text("HOST")], &[text("host")]),
            (&[text("ab")], &[text("a"), text("b")]),
            (&[Value::Int(1)], &[text("1")]),
            (&[Value::Float(-0.0)], &[Value::Int(0)]),
            (&[Value::Float(1e16)], &[Value::Int(10_000_000_000_000_000)]),
            (&[Value::Float(1.5)], &[Value::Float(2.5)]),
            (&[Value::Null], &[Value::Bool(false)]),
        ];
        for (left, right) in cases {
            assert!(!keys_equal(left, right, false), "{left:?} {right:?}");
        }
    }

    #[test]
    fn table_replaces_and_removes() {
        let mut table = KeyTable::new(true);
        let upper = [text("A")];
        let lower = [text("a")];
        let hash = table.hash(&upper);
        table.insert(KeyTable::new_entry(hash, &upper, 1));
        table.insert(KeyTable::new_entry(table.hash(&lower), &lower, 2));
        assert_eq!(table.get(hash, &lower).map(|entry| entry.value), Some(2));
        let removed = table.remove(hash, &lower).unwrap();
        assert_eq!(removed.key.as_ref(), &lower);
        assert!(table.is_empty());
    }
}
