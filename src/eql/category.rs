//! Category tests. An event is in a category when its category field equals the category
//! ignoring ASCII case, or is a list containing it. The category `any` matches every event.
//!
//! A query names few categories but tests them on every event, often several times (once per
//! sequence step, lineage tracker and process check). [`Categories`] tests all of them in one
//! read of the field and remembers the result per distinct field value, when the document can
//! identify its values (see [`Document::string_id`]).

use std::cell::RefCell;

use super::{Document, ResolvedField};

/// The maximum number of categories tested as bits of one mask. Further ones are tested by
/// name.
const MAX_BITS: usize = 64;

/// How many events [`Categories::masked`] reads at a time.
const BLOCK: usize = 256;

/// How many distinct category values [`Categories`] remembers results for. A category field
/// has few distinct values; past this many the results are computed for each event.
const MEMO_SIZE: usize = 32;

/// The category test of a step, a tracker or the process check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CategoryTest {
    /// `any`: every event.
    Any,
    /// The category with this bit in the masks [`Categories::masked`] yields.
    Bit(u32),
    /// A category beyond the bits, tested by name.
    Name(String),
}

impl CategoryTest {
    /// Tests an event whose mask, as [`Categories::masked`] yields it, is `mask`.
    pub fn matches<D: Document>(&self, mask: u64, event: &D, categories: &Categories) -> bool {
        match self {
            CategoryTest::Any => true,
            CategoryTest::Bit(bit) => mask & (1 << bit) != 0,
            CategoryTest::Name(name) => categories.test_name(event, name),
        }
    }
}

/// The categories a query names, tested together.
pub(crate) struct Categories {
    field: ResolvedField,
    names: Vec<String>,
    /// Masks of the field values seen, by value id.
    memo: RefCell<Vec<(u64, u64)>>,
}

impl Categories {
    /// Creates an empty set reading `field`.
    pub fn new(field: &str) -> Self {
        Categories {
            field: ResolvedField::new(field),
            names: Vec::new(),
            memo: RefCell::new(Vec::new()),
        }
    }

    /// Returns the test for `category`, adding it to the set.
    pub fn test_for(&mut self, category: &str) -> CategoryTest {
        if category.eq_ignore_ascii_case("any") {
            return CategoryTest::Any;
        }
        let known = self
            .names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(category));
        let bit = match known {
            Some(bit) => bit,
            None if self.names.len() < MAX_BITS => {
                self.names.push(category.to_string());
                self.names.len() - 1
            }
            None => return CategoryTest::Name(category.to_string()),
        };
        CategoryTest::Bit(u32::try_from(bit).unwrap_or(u32::MAX))
    }

    /// Resolves the category field against `event`.
    pub fn resolve<D: Document>(&mut self, event: &D) {
        self.field.resolve(event);
        self.memo.get_mut().clear();
    }

    /// Iterates over `events` with their positions and category masks, reading the category
    /// field a block of events at a time.
    pub fn masked<'e, D: Document>(&'e self, events: &'e [D]) -> Masked<'e, D> {
        Masked {
            categories: self,
            events,
            masks: [0; BLOCK],
            next: 0,
        }
    }

    /// Fills `masks` with the masks of `events`, which are at most [`BLOCK`].
    fn fill<D: Document>(&self, events: &[D], masks: &mut [u64]) {
        if self.names.is_empty() {
            masks.fill(0);
            return;
        }
        let mut ids = [None; BLOCK];
        let ids = ids.get_mut(..events.len()).unwrap_or_default();
        D::string_ids(events, self.field.key, &self.field.name, ids);
        // Neighbouring events often share a category, so the last one is checked first.
        let mut last: Option<(u64, u64)> = None;
        for ((event, id), mask) in events.iter().zip(ids.iter()).zip(masks.iter_mut()) {
            *mask = match (*id, last) {
                (Some(id), Some((seen, seen_mask))) if id == seen => seen_mask,
                (Some(id), _) => {
                    let found = self.remembered(id, event);
                    last = Some((id, found));
                    found
                }
                (None, _) => self.compute(event),
            };
        }
    }

    /// Returns the mask of `event`, whose category value has `id`, remembering it.
    fn remembered<D: Document>(&self, id: u64, event: &D) -> u64 {
        let mut memo = self.memo.borrow_mut();
        if let Some(&(_, mask)) = memo.iter().find(|(seen, _)| *seen == id) {
            return mask;
        }
        let mask = self.compute(event);
        if memo.len() < MEMO_SIZE {
            memo.push((id, mask));
        }
        mask
    }

    fn compute<D: Document>(&self, event: &D) -> u64 {
        let mut mask = 0;
        self.field.any_string(event, &mut |text| {
            for (bit, name) in self.names.iter().enumerate() {
                if text.eq_ignore_ascii_case(name) {
                    mask |= 1 << bit;
                }
            }
            false
        });
        mask
    }

    fn test_name<D: Document>(&self, event: &D, category: &str) -> bool {
        self.field
            .any_string(event, &mut |text| text.eq_ignore_ascii_case(category))
    }
}

/// The iterator [`Categories::masked`] returns.
pub(crate) struct Masked<'e, D> {
    categories: &'e Categories,
    events: &'e [D],
    masks: [u64; BLOCK],
    next: usize,
}

impl<'e, D: Document> Iterator for Masked<'e, D> {
    type Item = (usize, &'e D, u64);

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.next;
        let event = self.events.get(index)?;
        let offset = index % BLOCK;
        if offset == 0 {
            let end = self.events.len().min(index + BLOCK);
            let block = self.events.get(index..end).unwrap_or_default();
            let masks = self.masks.get_mut(..block.len()).unwrap_or_default();
            self.categories.fill(block, masks);
        }
        self.next += 1;
        Some((index, event, self.masks.get(offset).copied().unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tests_share_bits_ignoring_case() {
        let mut categories = Categories::new("event.category");
        let process = categories.test_for("process");
        assert_eq!(categories.test_for("Process"), process);
        assert_eq!(categories.test_for("ANY"), CategoryTest::Any);
        let file = categories.test_for("file");
        let events = [json!({"event": {"category": ["FILE", "network"]}})];
        let (_, event, mask) = categories.masked(&events).next().unwrap();
        assert!(file.matches(mask, event, &categories));
        assert!(!process.matches(mask, event, &categories));
    }

    #[test]
    fn categories_past_bits_test_by_name() {
        let mut categories = Categories::new("kind");
        for number in 0..MAX_BITS {
            categories.test_for(&format!("c{number}"));
        }
        let extra = categories.test_for("extra");
        assert_eq!(extra, CategoryTest::Name("extra".to_string()));
        let events = [json!({"kind": "EXTRA"})];
        let (_, event, mask) = categories.masked(&events).next().unwrap();
        assert!(extra.matches(mask, event, &categories));
    }

    #[test]
    fn masked_covers_every_block() {
        let mut categories = Categories::new("kind");
        let odd = categories.test_for("odd");
        let events: Vec<_> = (0..BLOCK * 2 + 3)
            .map(|number| json!({"kind": if number % 2 == 1 { "odd" } else { "even" }}))
            .collect();
        let masked: Vec<(usize, bool)> = categories
            .masked(&events)
            .map(|(index, event, mask)| (index, odd.matches(mask, event, &categories)))
            .collect();
        assert_eq!(masked.len(), events.len());
        for (index, is_odd) in masked {
            assert_eq!(is_odd, index % 2 == 1, "event {index}");
        }
    }
}
