//! The app's pivots over the loaded events: the host timeline, the pivot on a field's value and
//! the histogram of events and chains over time.

use std::collections::HashSet;

use super::super::cursor::ListCursor;
use super::super::model;
use super::{App, ChainSource, FIELD_LINE, PIVOT_LIMIT, TIMELINE_SCAN, TIMELINE_SIDE, View};

impl App {
    /// Opens the timeline of the current event's host: up to [`TIMELINE_SIDE`] events of that
    /// host before the event and as many after it. Nothing opens for an event without a host.
    pub(super) fn open_timeline(&mut self) {
        let Some(View::Event { event, .. }) = self.path.last() else {
            return;
        };
        let anchor = *event;
        let Some(store) = &self.store else {
            return;
        };
        let Some(host) = store.field(anchor, "host.name").map(|v| v.to_string()) else {
            return;
        };
        let events = model::host_neighbors(store, anchor, &host, TIMELINE_SIDE, TIMELINE_SCAN);
        let position = events.iter().position(|&e| e == anchor).unwrap_or(0);
        let mut cursor = ListCursor::default();
        cursor.select(position, self.page);
        // Center the anchor so the events just before it are visible too.
        cursor.offset = position.saturating_sub(self.page / 2);
        // The chain is the one whose step opened the event, when the path came that way.
        let chain_events = self
            .path
            .iter()
            .rev()
            .nth(1)
            .and_then(|view| match view {
                View::Chain { source, chain, .. } => self.chain(*source, *chain),
                _ => None,
            })
            .map(|chain| chain.steps.iter().map(|step| step.event).collect())
            .unwrap_or_default();
        self.path.push(View::Timeline {
            host,
            anchor,
            chain_events,
            events,
            cursor,
        });
    }

    /// Opens the pivot on the field selected in the event view: every loaded event with the
    /// same value of that field, and every chain that contains one of them.
    pub(super) fn open_pivot(&mut self) {
        let Some(View::Event { event, cursor, .. }) = self.path.last() else {
            return;
        };
        let Some(store) = self.store.clone() else {
            return;
        };
        let Some((field, value)) = cursor
            .selected
            .checked_sub(FIELD_LINE)
            .and_then(|position| {
                model::sorted_fields(&store, *event)
                    .into_iter()
                    .nth(position)
            })
        else {
            self.notice = Some("select a field line to pivot on".to_owned());
            return;
        };
        let (events, truncated) = model::events_with_value(&store, &field, &value, PIVOT_LIMIT);
        let matched: HashSet<usize> = events.iter().copied().collect();
        let mut chains = Vec::new();
        for (analytic, summary) in self.analytics.iter().enumerate() {
            let Some(finding) = self.findings.get(&summary.id) else {
                continue;
            };
            for (index, chain) in finding.chains.iter().enumerate() {
                if chain.steps.iter().any(|step| matched.contains(&step.event)) {
                    chains.push((analytic, index));
                }
            }
        }
        tracing::debug!(%field, events = events.len(), chains = chains.len(), "opened a pivot");
        self.path.push(View::Pivot {
            field,
            value,
            events,
            truncated,
            chains,
            cursor: ListCursor::default(),
        });
    }

    /// Counts the events and chain first times that pass the filters; a pass over every event,
    /// so it runs only while the histogram is shown.
    pub(super) fn build_histogram(&self) -> Option<model::Histogram> {
        let store = self.store.as_ref()?;
        let mut chain_times = Vec::new();
        for &analytic in &self.visible {
            let source = ChainSource::Analytic(analytic);
            for chain in self.visible_chains(source) {
                if let Some(time) = self.chain(source, chain).and_then(|c| c.first_time(store)) {
                    chain_times.push(time);
                }
            }
        }
        let filters = &self.filters;
        let keep = |index: usize| {
            let host = filters.host.as_deref().is_none_or(|host| {
                store
                    .field(index, "host.name")
                    .map(|v| v.to_string())
                    .as_deref()
                    == Some(host)
            });
            let source = filters
                .log_source
                .as_deref()
                .is_none_or(|source| store.log_source(index) == source);
            let time = store
                .events()
                .get(index)
                .is_some_and(|event| filters.time_passes(event.timestamp));
            host && source && time
        };
        model::histogram(store, keep, &chain_times)
    }
}
