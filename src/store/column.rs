//! Field columns: per-field caches of values by event index.
//!
//! Reading a field of an event costs a pointer chase to its shape, a binary search over the
//! shape's names and a pointer chase to its values, which for a query that reads every event is
//! mostly cache misses. A column keeps one 4-byte cell per event for one field, filled the
//! first time each event's value is read, so later queries that read the field step through a
//! dense array instead.
//!
//! Cells are atomics filled with relaxed ordering: every thread that fills a cell computes the
//! same value from the immutable events, so a race only repeats work.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use super::{Event, ShapeTable, StoredValue, Sym};

/// The maximum number of columns a store keeps. A column takes 4 bytes per event, so the cache
/// never takes more than 4 × this many bytes per event. Fields read after the limit is reached
/// are read from the events directly.
pub const MAX_COLUMNS: usize = 32;

/// Cell: the event's value has not been read yet.
const UNREAD: u32 = 0;
/// Cell: the event lacks the field.
const MISSING: u32 = 1;
/// Cells for booleans.
const FALSE: u32 = 2;
const TRUE: u32 = 3;
/// Bits 29 and 30 tell the kind of cell when the top bit is clear.
const KIND_SHIFT: u32 = 29;
const KIND_MASK: u32 = 0b11 << KIND_SHIFT;
/// The payload of a string, list or position cell: the low 29 bits.
const PAYLOAD_MASK: u32 = (1 << KIND_SHIFT) - 1;
/// Kind: a string, with its symbol as payload.
const KIND_STR: u32 = 0b01 << KIND_SHIFT;
/// Kind: a list holding exactly one string, with its symbol as payload.
const KIND_ONE_STR_LIST: u32 = 0b10 << KIND_SHIFT;
/// Kind: any other value, with its position in the event's values as payload. Strings whose
/// symbol does not fit the payload are cells of this kind too.
const KIND_POSITION: u32 = 0b11 << KIND_SHIFT;
/// The top bit marks an integer, kept in the low 31 bits as two's complement.
const INT_FLAG: u32 = 1 << 31;
/// Integers a cell holds: those that fit 31-bit two's complement. Others are position cells.
const INT_MIN: i64 = -(1 << 30);
const INT_MAX: i64 = (1 << 30) - 1;

/// A decoded cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Cell {
    Missing,
    Bool(bool),
    Int(i64),
    Str(Sym),
    OneStrList(Sym),
    /// The value sits at this position of the event's values.
    Position(usize),
}

impl Cell {
    /// Encodes a cell that [`Cell::of`] made, whose payload fits its kind.
    fn encode(self) -> u32 {
        match self {
            Cell::Missing => MISSING,
            Cell::Bool(false) => FALSE,
            Cell::Bool(true) => TRUE,
            Cell::Int(value) => INT_FLAG | (value as u32 & !INT_FLAG),
            Cell::Str(sym) => KIND_STR | (sym.as_u32() & PAYLOAD_MASK),
            Cell::OneStrList(sym) => KIND_ONE_STR_LIST | (sym.as_u32() & PAYLOAD_MASK),
            Cell::Position(position) => KIND_POSITION | (position as u32 & PAYLOAD_MASK),
        }
    }

    /// Decodes a filled cell; `None` for an unread one.
    #[inline]
    fn decode(bits: u32) -> Option<Cell> {
        if bits & INT_FLAG != 0 {
            // Shifting left then arithmetic right restores the sign from bit 30.
            return Some(Cell::Int(i64::from(((bits << 1) as i32) >> 1)));
        }
        let low = bits & PAYLOAD_MASK;
        match (bits & KIND_MASK, bits) {
            (0, UNREAD) => None,
            (0, MISSING) => Some(Cell::Missing),
            (0, FALSE) => Some(Cell::Bool(false)),
            (0, TRUE) => Some(Cell::Bool(true)),
            (KIND_STR, _) => Some(Cell::Str(Sym::from_u32(low))),
            (KIND_ONE_STR_LIST, _) => Some(Cell::OneStrList(Sym::from_u32(low))),
            (KIND_POSITION, _) => Some(Cell::Position(low as usize)),
            // No other bit pattern is ever stored.
            _ => Some(Cell::Missing),
        }
    }

    /// Reads `field` of `event` into a cell.
    fn of(event: &Event, field: Sym, shapes: &ShapeTable) -> Cell {
        let Some(position) = shapes.position(event, field) else {
            return Cell::Missing;
        };
        let Some(value) = event.values.get(position) else {
            return Cell::Missing;
        };
        let fits = |sym: &Sym| sym.as_u32() <= PAYLOAD_MASK;
        match value {
            StoredValue::Str(sym) if fits(sym) => Cell::Str(*sym),
            StoredValue::Bool(value) => Cell::Bool(*value),
            StoredValue::Int(value) if (INT_MIN..=INT_MAX).contains(value) => Cell::Int(*value),
            StoredValue::List(items) => match &***items {
                [StoredValue::Str(sym)] if fits(sym) => Cell::OneStrList(*sym),
                _ => Cell::Position(position),
            },
            // `MAX_FIELDS_PER_EVENT` keeps every position within the payload.
            StoredValue::Str(_) | StoredValue::Int(_) | StoredValue::Float(_) => {
                Cell::Position(position)
            }
        }
    }
}

/// One field's cells, one per event.
pub(super) struct Column {
    field: Sym,
    cells: Box<[AtomicU32]>,
}

impl Column {
    fn new(field: Sym, events: usize) -> Self {
        Column {
            field,
            cells: (0..events).map(|_| AtomicU32::new(UNREAD)).collect(),
        }
    }

    /// Returns the field the column caches.
    #[inline]
    pub(super) fn field(&self) -> Sym {
        self.field
    }

    /// Returns the cell of event `index` of `events`, reading the event the first time.
    /// Returns `None` when there is no such event.
    #[inline]
    pub(super) fn get(&self, index: usize, events: &[Event], shapes: &ShapeTable) -> Option<Cell> {
        let Some(slot) = self.cells.get(index) else {
            return events
                .get(index)
                .map(|event| Cell::of(event, self.field, shapes));
        };
        if let Some(cell) = Cell::decode(slot.load(Ordering::Relaxed)) {
            return Some(cell);
        }
        let cell = Cell::of(events.get(index)?, self.field, shapes);
        slot.store(cell.encode(), Ordering::Relaxed);
        Some(cell)
    }
}

/// The columns of one store, created on request up to [`MAX_COLUMNS`].
#[derive(Default)]
pub(super) struct ColumnCache {
    columns: [OnceLock<Column>; MAX_COLUMNS],
    /// Serializes creating columns, so one field never gets two.
    creating: Mutex<()>,
}

impl ColumnCache {
    /// Returns the slot of the column for `field`, creating it for `events` events when there
    /// is room. Returns `None` when other fields take every slot.
    pub(super) fn slot_for(&self, field: Sym, events: usize) -> Option<usize> {
        if let Some(slot) = self.find(field) {
            return Some(slot);
        }
        // A poisoned lock only means another thread panicked while creating a column; the
        // slots themselves are still consistent, because each is set at most once.
        let _guard = self
            .creating
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = self.find(field) {
            return Some(slot);
        }
        let (slot, cell) = self
            .columns
            .iter()
            .enumerate()
            .find(|(_, cell)| cell.get().is_none())?;
        cell.get_or_init(|| Column::new(field, events));
        Some(slot)
    }

    fn find(&self, field: Sym) -> Option<usize> {
        self.columns
            .iter()
            .map_while(OnceLock::get)
            .position(|column| column.field == field)
    }

    /// Returns the column in `slot`, if one was created there.
    #[inline]
    pub(super) fn get(&self, slot: usize) -> Option<&Column> {
        self.columns.get(slot).and_then(OnceLock::get)
    }

    /// Tests whether no column exists.
    pub(super) fn is_empty(&self) -> bool {
        self.columns[0].get().is_none()
    }
}

impl std::fmt::Debug for ColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.columns.iter().map_while(OnceLock::get).count();
        f.debug_struct("ColumnCache")
            .field("columns", &count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip() {
        let cells = [
            Cell::Missing,
            Cell::Bool(false),
            Cell::Bool(true),
            Cell::Int(0),
            Cell::Int(-1),
            Cell::Int(INT_MIN),
            Cell::Int(INT_MAX),
            Cell::Str(Sym::from_u32(0)),
            Cell::Str(Sym::from_u32(PAYLOAD_MASK)),
            Cell::OneStrList(Sym::from_u32(PAYLOAD_MASK)),
            Cell::OneStrList(Sym::from_u32(7)),
            Cell::Position(18),
            Cell::Position(super::super::MAX_FIELDS_PER_EVENT),
        ];
        for cell in cells {
            assert_eq!(Cell::decode(cell.encode()), Some(cell), "{cell:?}");
        }
        assert_eq!(Cell::decode(UNREAD), None);
    }
}
