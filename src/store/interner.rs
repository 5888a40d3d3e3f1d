//! String interning for field names and values.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// An interned string: an index into an [`Interner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

impl Sym {
    /// The symbol's index in its interner.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Returns the symbol that `map` gives for this one, as built by [`Interner::absorb`].
    ///
    /// `absorb` returns one entry per string of the absorbed interner, so every symbol of that
    /// interner has an entry, and the fallback to `self` is never taken.
    #[inline]
    pub(super) fn remapped(self, map: &[Sym]) -> Sym {
        map.get(self.index()).copied().unwrap_or(self)
    }

    /// Returns the symbol at `index`, for caches that store symbols as integers.
    pub(super) fn from_u32(index: u32) -> Sym {
        Sym(index)
    }

    /// Returns the symbol's index as stored.
    pub(super) fn as_u32(self) -> u32 {
        self.0
    }
}

/// Stores each distinct string once and hands out [`Sym`]s for it.
///
/// Each string is one allocation, owned by `strings`. The hash table stores only symbols and
/// finds a string's symbol by comparing against `strings`, so a distinct string costs its
/// bytes, a 16-byte pointer and a 4-byte table slot with its one-byte control tag.
#[derive(Default)]
pub struct Interner {
    // FxHash instead of SipHash: every field read of every query hashes a field name here,
    // and names are short, trusted program strings or log values that need no DoS defence
    // beyond what a single-user tool faces.
    table: HashTable<Sym>,
    strings: Vec<Box<str>>,
    /// Total length of `strings`, for [`Interner::heap_bytes`].
    string_bytes: usize,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("strings", &self.strings.len())
            .finish()
    }
}

fn hash(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

impl Interner {
    /// Returns the symbol for `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> Sym {
        match self.find(s) {
            Some(sym) => sym,
            None => self.insert_new(Box::from(s)),
        }
    }

    /// Adds `owned`, which must not be interned yet, and returns its new symbol.
    fn insert_new(&mut self, owned: Box<str>) -> Sym {
        // More than u32::MAX distinct strings cannot be addressed; saturating keeps this total.
        let sym = Sym(u32::try_from(self.strings.len()).unwrap_or(u32::MAX));
        let hash_value = hash(&owned);
        self.string_bytes = self.string_bytes.saturating_add(owned.len());
        self.strings.push(owned);
        let strings = &self.strings;
        self.table.insert_unique(hash_value, sym, |sym| {
            hash(strings.get(sym.index()).map_or("", |s| s))
        });
        sym
    }

    fn find(&self, s: &str) -> Option<Sym> {
        let strings = &self.strings;
        self.table
            .find(hash(s), |sym| {
                strings.get(sym.index()).is_some_and(|t| **t == *s)
            })
            .copied()
    }

    /// Moves every string of `other` into this interner and returns, for each symbol of
    /// `other`, the symbol of the same string here.
    ///
    /// Strings new here are moved, not copied, so merging a worker thread's interner costs one
    /// hash lookup per distinct string.
    pub fn absorb(&mut self, other: Interner) -> Vec<Sym> {
        let mut map = Vec::with_capacity(other.strings.len());
        // Frees the worker's table before this one grows.
        drop(other.table);
        for owned in other.strings {
            let sym = match self.find(&owned) {
                Some(sym) => sym,
                None => self.insert_new(owned),
            };
            map.push(sym);
        }
        map
    }

    /// Returns the symbol for `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.find(s)
    }

    /// Returns the string behind `sym`, or "" for a symbol from another interner.
    #[inline]
    pub fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym.index()).map_or("", |s| s)
    }

    /// Returns an estimate of the heap memory held: the strings' bytes, their pointers and the
    /// table's slots. Allocator rounding and overhead are not counted.
    pub fn heap_bytes(&self) -> usize {
        let pointers = self.strings.capacity() * std::mem::size_of::<Box<str>>();
        let slots = self.table.capacity() * (std::mem::size_of::<Sym>() + 1);
        self.string_bytes
            .saturating_add(pointers)
            .saturating_add(slots)
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether nothing has been interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intern_returns_same_symbol() {
        let mut strings = Interner::default();
        let a = strings.intern("process.name");
        let b = strings.intern("process.name");
        let c = strings.intern("host.name");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(strings.resolve(c), "host.name");
        assert_eq!(strings.len(), 2);
    }

    #[test]
    fn absorb_maps_symbols_to_merged_ones() {
        let mut merged = Interner::default();
        let host = merged.intern("host.name");
        let mut worker = Interner::default();
        let name = worker.intern("process.name");
        let worker_host = worker.intern("host.name");

        let map = merged.absorb(worker);

        assert_eq!(map[worker_host.index()], host);
        assert_eq!(merged.resolve(map[name.index()]), "process.name");
        assert_eq!(merged.len(), 2);
    }
}
