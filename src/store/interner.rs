//! String interning for field names and values.

use std::sync::Arc;

use rustc_hash::FxHashMap;

/// An interned string: an index into an [`Interner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

impl Sym {
    /// The symbol's index in its interner.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
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
#[derive(Debug, Default)]
pub struct Interner {
    // FxHash instead of SipHash: every field read of every query hashes a field name here,
    // and names are short, trusted program strings or log values that need no DoS defence
    // beyond what a single-user tool faces.
    lookup: FxHashMap<Arc<str>, Sym>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    /// Returns the symbol for `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.lookup.get(s) {
            return sym;
        }
        // More than u32::MAX distinct strings cannot be addressed; saturating keeps this total.
        let sym = Sym(u32::try_from(self.strings.len()).unwrap_or(u32::MAX));
        let owned: Arc<str> = Arc::from(s);
        self.strings.push(Arc::clone(&owned));
        self.lookup.insert(owned, sym);
        sym
    }

    /// Returns the symbol for `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.lookup.get(s).copied()
    }

    /// Returns the string behind `sym`, or "" for a symbol from another interner.
    #[inline]
    pub fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym.index()).map_or("", |s| s)
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
}
