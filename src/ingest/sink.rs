//! Destinations for the events a parser maps, one finished record at a time.
//!
//! The loader hands parsers an [`InterningSink`], which interns each event into the file's
//! [`EventBatch`] as soon as it is pushed, so a record's owned strings live only until the
//! next record. Tests and [`super::parse_bytes`] collect the builders in a `Vec` instead.

use super::limits;
use super::report::FileReport;
use crate::store::{EventBatch, EventBuilder, Origin};

/// Receives each event a parser finishes, in file order.
pub(crate) trait EventSink {
    /// Takes one finished event.
    fn push(&mut self, event: EventBuilder);
}

impl EventSink for Vec<EventBuilder> {
    fn push(&mut self, event: EventBuilder) {
        Vec::push(self, event);
    }
}

/// Interns events into an [`EventBatch`] as they arrive and sets aside the events that
/// reached [`crate::store::MAX_FIELDS_PER_EVENT`], to report them as skipped records.
#[derive(Debug, Default)]
pub(crate) struct InterningSink {
    batch: EventBatch,
    /// Origins of the events left out for having too many fields, in file order.
    over_field_limit: Vec<Origin>,
}

impl InterningSink {
    /// Reports each event left out for its field count and returns the interned events.
    pub(crate) fn finish(self, report: &mut FileReport) -> EventBatch {
        for origin in self.over_field_limit {
            limits::report_over_field_limit(report, origin);
        }
        self.batch
    }
}

impl EventSink for InterningSink {
    fn push(&mut self, event: EventBuilder) {
        if event.fields_dropped() > 0 {
            self.over_field_limit.push(event.origin());
        } else {
            self.batch.push(event);
        }
    }
}

/// Adds one string field to every event before passing it on, for a value that is the same for
/// the whole file (such as a container id taken from the file name).
pub(crate) struct WithField<'a> {
    /// The sink that receives the events.
    pub(crate) inner: &'a mut dyn EventSink,
    /// The field's name.
    pub(crate) name: &'static str,
    /// The field's value, the same for every event.
    pub(crate) value: &'a str,
}

impl EventSink for WithField<'_> {
    fn push(&mut self, mut event: EventBuilder) {
        event.field(self.name, self.value);
        self.inner.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::report::{FileStatus, Location};
    use crate::store::{MAX_FIELDS_PER_EVENT, Platform};

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
    fn interning_sink_skips_events_over_field_limit() {
        let mut report = FileReport::new("t".into(), Format::Auditd, FileStatus::Loaded);
        let mut sink = InterningSink::default();

        sink.push(event(1, 3));
        sink.push(event(2, MAX_FIELDS_PER_EVENT + 1));
        sink.push(event(3, MAX_FIELDS_PER_EVENT));
        let batch = sink.finish(&mut report);

        assert_eq!(batch.len(), 2);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(
            report.errors[0].location,
            Location::Line {
                line: 2,
                offset: 20
            }
        );
    }

    #[test]
    fn with_field_adds_field_to_each_event() {
        let mut events: Vec<EventBuilder> = Vec::new();
        let mut sink = WithField {
            inner: &mut events,
            name: "container.id",
            value: "abc",
        };

        sink.push(event(1, 0));
        sink.push(event(2, 1));

        for event in &events {
            let ids: Vec<_> = event
                .pending_fields()
                .iter()
                .filter(|(name, _)| name == "container.id")
                .collect();
            assert_eq!(ids.len(), 1, "{:?}", event.pending_fields());
        }
        assert_eq!(events.len(), 2);
    }
}
