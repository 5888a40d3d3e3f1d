//! Shapes: the sorted field-name lists that events share.
//!
//! Events of one kind (a Sysmon process creation, a sshd login) carry the same field names. The
//! store keeps each distinct name list once, and an event keeps only a shape id and its values
//! in the order of the shape's names, so a value's position is the position of its name.
//!
//! The table is bounded so that input crafted to give every event new names cannot grow it
//! without limit. Once it is full, an event with a new name list carries its names itself,
//! packed two to a value after its values (see [`INLINE`]). That costs 8 bytes per field and 8
//! more for an odd count, so with the 56-byte event header such an event takes no more memory
//! than the 64-byte header and 24-byte `(name, value)` pairs that events used to have.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::{Event, StoredValue, Sym};

/// The maximum number of shapes a table keeps.
pub const MAX_SHAPES: usize = 1 << 16;

/// The maximum number of names over all shapes of a table: 16 MiB of symbols.
const MAX_SHAPE_NAMES: usize = 1 << 22;

/// The shape id of an event that carries its own names.
///
/// Such an event's value slice is its `n` values followed by `ceil(n / 2)` `StoredValue::Int`
/// items, each packing two name symbols: the first in the low 32 bits and the second in the
/// high 32 bits (zero after the last name).
pub(super) const INLINE: u32 = u32::MAX;

/// Distinct sorted field-name lists, each with a `u32` id.
#[derive(Default)]
pub(super) struct ShapeTable {
    /// The names of every shape, back to back.
    names: Vec<Sym>,
    /// The start and length in `names` of each shape, indexed by shape id.
    spans: Vec<(u32, u32)>,
    /// Shape ids, hashed by their name lists.
    index: HashTable<u32>,
}

impl std::fmt::Debug for ShapeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShapeTable")
            .field("shapes", &self.spans.len())
            .field("names", &self.names.len())
            .finish()
    }
}

fn hash(names: &[Sym]) -> u64 {
    FxBuildHasher.hash_one(names)
}

fn span_names<'a>(names: &'a [Sym], spans: &[(u32, u32)], shape: u32) -> &'a [Sym] {
    let Some(&(start, len)) = spans.get(shape as usize) else {
        return &[];
    };
    let start = start as usize;
    names.get(start..start + len as usize).unwrap_or(&[])
}

impl ShapeTable {
    /// Number of shapes.
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Returns the names of `shape`, or nothing for [`INLINE`] or an unknown id.
    #[inline]
    pub(super) fn names(&self, shape: u32) -> &[Sym] {
        span_names(&self.names, &self.spans, shape)
    }

    /// Returns the heap memory the table holds. Allocator overhead is not counted.
    pub(super) fn heap_bytes(&self) -> usize {
        let names = self.names.capacity() * std::mem::size_of::<Sym>();
        let spans = self.spans.capacity() * std::mem::size_of::<(u32, u32)>();
        let slots = self.index.capacity() * (std::mem::size_of::<u32>() + 1);
        names + spans + slots
    }

    /// Returns the id of the shape with `names`, adding it when new. Returns `None` when the
    /// shape is new and the table is full.
    pub(super) fn find_or_insert(&mut self, names: &[Sym]) -> Option<u32> {
        let hash_value = hash(names);
        let ShapeTable {
            names: all,
            spans,
            index,
        } = self;
        if let Some(&shape) =
            index.find(hash_value, |&shape| span_names(all, spans, shape) == names)
        {
            return Some(shape);
        }
        if spans.len() >= MAX_SHAPES || all.len() + names.len() > MAX_SHAPE_NAMES {
            return None;
        }
        let shape = u32::try_from(spans.len()).ok()?;
        let start = u32::try_from(all.len()).ok()?;
        let len = u32::try_from(names.len()).ok()?;
        all.extend_from_slice(names);
        spans.push((start, len));
        index.insert_unique(hash_value, shape, |&shape| {
            hash(span_names(all, spans, shape))
        });
        Some(shape)
    }

    /// Finds or adds the shape of `names`, which must be sorted and distinct, and returns its
    /// id with the value slice to store for `values`, given in the same order.
    pub(super) fn place(
        &mut self,
        names: &[Sym],
        mut values: Vec<StoredValue>,
    ) -> (u32, Box<[StoredValue]>) {
        if let Some(shape) = self.find_or_insert(names) {
            return (shape, values.into_boxed_slice());
        }
        values.reserve_exact(names.len().div_ceil(2));
        for pair in names.chunks(2) {
            let low = pair.first().map_or(0, |sym| sym.as_u32());
            let high = pair.get(1).map_or(0, |sym| sym.as_u32());
            let packed = (u64::from(high) << 32) | u64::from(low);
            values.push(StoredValue::Int(packed as i64));
        }
        (INLINE, values.into_boxed_slice())
    }

    /// Returns the position of `field` among `event`'s values.
    #[inline]
    pub(super) fn position(&self, event: &Event, field: Sym) -> Option<usize> {
        let (names, _) = self.layout(event.shape, &event.values);
        names.position(field)
    }

    /// Looks up a field of `event` by its interned name.
    #[inline]
    pub(super) fn get<'e>(&self, event: &'e Event, field: Sym) -> Option<&'e StoredValue> {
        event.values.get(self.position(event, field)?)
    }

    /// Splits an event's stored slice into its field names and its values.
    #[inline]
    pub(super) fn layout<'a>(
        &'a self,
        shape: u32,
        stored: &'a [StoredValue],
    ) -> (Names<'a>, &'a [StoredValue]) {
        if shape != INLINE {
            return (Names::Shared(self.names(shape)), stored);
        }
        // `n` values and `ceil(n / 2)` packed items make `3n / 2` items, rounded up.
        let count = stored.len() * 2 / 3;
        let (values, packed) = stored.split_at(count.min(stored.len()));
        (Names::Packed { packed, count }, values)
    }
}

/// The field names of one event, in symbol order.
#[derive(Clone, Copy, Debug)]
pub(super) enum Names<'a> {
    /// The names of a shape in the table.
    Shared(&'a [Sym]),
    /// `count` names packed two per item, as [`INLINE`] describes.
    Packed {
        packed: &'a [StoredValue],
        count: usize,
    },
}

impl Names<'_> {
    /// Number of names.
    #[inline]
    pub(super) fn len(&self) -> usize {
        match self {
            Names::Shared(names) => names.len(),
            Names::Packed { count, .. } => *count,
        }
    }

    /// Returns the name at `position`.
    #[inline]
    pub(super) fn get(&self, position: usize) -> Option<Sym> {
        match self {
            Names::Shared(names) => names.get(position).copied(),
            Names::Packed { packed, count } => {
                if position >= *count {
                    return None;
                }
                let StoredValue::Int(bits) = packed.get(position / 2)? else {
                    return None;
                };
                let half = (*bits as u64) >> (32 * (position % 2));
                Some(Sym::from_u32(half as u32))
            }
        }
    }

    /// Returns the position of `field`, found by binary search.
    #[inline]
    pub(super) fn position(&self, field: Sym) -> Option<usize> {
        match self {
            Names::Shared(names) => names.binary_search(&field).ok(),
            Names::Packed { count, .. } => {
                let (mut low, mut high) = (0, *count);
                while low < high {
                    let middle = low + (high - low) / 2;
                    match self.get(middle)?.cmp(&field) {
                        std::cmp::Ordering::Less => low = middle + 1,
                        std::cmp::Ordering::Greater => high = middle,
                        std::cmp::Ordering::Equal => return Some(middle),
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syms(indexes: &[u32]) -> Vec<Sym> {
        indexes.iter().map(|&i| Sym::from_u32(i)).collect()
    }

    #[test]
    fn equal_name_lists_share_a_shape() {
        let mut table = ShapeTable::default();
        let (first, _) = table.place(&syms(&[1, 4]), vec![StoredValue::Int(1); 2]);
        let (second, _) = table.place(&syms(&[1, 4]), vec![StoredValue::Int(2); 2]);
        let (third, _) = table.place(&syms(&[1, 5]), vec![StoredValue::Int(3); 2]);
        assert_eq!(first, second);
        assert_ne!(first, third);
        assert_eq!(table.len(), 2);
        assert_eq!(table.names(third), syms(&[1, 5]).as_slice());
    }

    #[test]
    fn full_table_packs_names_inline() {
        let mut table = ShapeTable::default();
        for shape in 0..MAX_SHAPES as u32 {
            table.place(&syms(&[shape]), vec![StoredValue::Bool(true)]);
        }
        assert_eq!(table.len(), MAX_SHAPES);

        for count in 0..6_u32 {
            let names: Vec<Sym> = (0..count)
                .map(|i| Sym::from_u32(u32::MAX - 10 + i))
                .collect();
            let values: Vec<StoredValue> = (0..count).map(|i| StoredValue::Int(i.into())).collect();
            let (shape, stored) = table.place(&names, values.clone());
            assert_eq!(shape, INLINE, "{count} names");
            let (layout, stored_values) = table.layout(shape, &stored);
            assert_eq!(stored_values, values.as_slice(), "{count} names");
            assert_eq!(layout.len(), names.len(), "{count} names");
            for (position, name) in names.iter().enumerate() {
                assert_eq!(layout.get(position), Some(*name), "{count} names");
                assert_eq!(layout.position(*name), Some(position), "{count} names");
            }
            assert_eq!(layout.position(Sym::from_u32(3)), None);
        }
        assert_eq!(table.len(), MAX_SHAPES);
    }
}
