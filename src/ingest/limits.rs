//! Bounds the loader sets on hostile input, and the checks that apply them to every format.
//!
//! The bounds themselves live beside the code that enforces them: line length in
//! [`super::lines::MAX_LINE_BYTES`], evtx_dump documents in
//! [`super::evtx_json::MAX_DOCUMENT_BYTES`], decompressed size in
//! [`super::input::MAX_DECOMPRESSED_LEN`], fields per event in
//! [`crate::store::MAX_FIELDS_PER_EVENT`], and JSON nesting in serde_json (128 levels).

use super::report::{FileReport, Location};
use crate::store::{EventBuilder, MAX_FIELDS_PER_EVENT, Origin};

/// The range of times the store's nanosecond clock holds, as a message fragment.
pub(crate) const TIME_RANGE: &str =
    "1677-09-21T00:12:43.145224192Z..2262-04-11T23:47:16.854775807Z";

/// Returns the message for a record whose time `value` is valid but outside [`TIME_RANGE`].
pub(crate) fn time_out_of_range(value: &str) -> String {
    format!("time {value} is outside {TIME_RANGE}, the range of nanosecond timestamps; not loaded")
}

/// Removes the events that reached [`MAX_FIELDS_PER_EVENT`] and reports each at its record,
/// so a record with too many fields is skipped like any other bad record.
pub(crate) fn drop_events_over_field_limit(
    report: &mut FileReport,
    events: &mut Vec<EventBuilder>,
) {
    if events.iter().all(|event| event.fields_dropped() == 0) {
        return;
    }
    events.retain(|event| {
        if event.fields_dropped() == 0 {
            return true;
        }
        report_over_field_limit(report, event.origin());
        false
    });
}

/// Reports the record at `origin` as skipped for having more than [`MAX_FIELDS_PER_EVENT`]
/// fields.
pub(crate) fn report_over_field_limit(report: &mut FileReport, origin: Origin) {
    report.push_error(
        record_location(origin),
        format!("record has more than {MAX_FIELDS_PER_EVENT} fields; not loaded"),
    );
}

/// Returns the report location of the record an event came from: its line and byte offset in
/// text formats, its `EventRecordID` in EVTX.
fn record_location(origin: Origin) -> Location {
    match origin.offset {
        Some(offset) => Location::Line {
            line: origin.record,
            offset,
        },
        None => Location::EvtxRecord {
            record_id: origin.record,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::FileStatus;
    use crate::store::Platform;

    fn event(line: u64, fields: usize) -> EventBuilder {
        let origin = Origin {
            file: 0,
            record: line,
            offset: Some(line * 10),
        };
        let mut event = EventBuilder::new(0, "test", Platform::Linux, origin);
        for i in 0..fields {
            event.field(format!("f{i}"), 1);
        }
        event
    }

    #[test]
    fn events_over_field_limit_are_reported() {
        let mut report = FileReport::new("t".into(), Format::Auditd, FileStatus::Loaded);
        let mut events = vec![
            event(1, 3),
            event(2, MAX_FIELDS_PER_EVENT + 1),
            event(3, MAX_FIELDS_PER_EVENT),
        ];

        drop_events_over_field_limit(&mut report, &mut events);

        let loaded_records: Vec<u64> = events.iter().map(|e| e.origin().record).collect();
        assert_eq!(loaded_records, vec![1, 3]);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 2,
                offset: 20
            }
        );
        assert!(
            report.errors[0].message.contains("more than 10000 fields"),
            "{}",
            report.errors[0].message
        );
    }

    #[test]
    fn evtx_origin_is_record_id() {
        let origin = Origin {
            file: 0,
            record: 42,
            offset: None,
        };
        assert_eq!(
            record_location(origin),
            Location::EvtxRecord { record_id: 42 }
        );
    }
}
