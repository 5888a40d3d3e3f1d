//! A host timeline: the events of one host around an anchor event, with the time from the anchor.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::super::app::{App, View};
use super::super::format;
use super::super::sanitize::sanitize;
use super::chain::{event_source, first_field, last_column_width, process_and_target};
use super::{case_marks, ellipsize, pane, row_style};

/// Pane width below which the time column shows the time of day only.
const COMPACT_BELOW: u16 = 100;

/// Draws a timeline view; `view` must be a [`View::Timeline`], anything else draws an empty pane.
pub fn draw(frame: &mut Frame, app: &App, view: &View, area: Rect, focused: bool) {
    let View::Timeline {
        host,
        anchor,
        chain_events,
        events,
        cursor,
    } = view
    else {
        frame.render_widget(pane(app, " Timeline ", focused), area);
        return;
    };
    let theme = &app.theme;
    let mut title = format!(" Timeline of {} ({} events) ", sanitize(host), events.len());
    if !chain_events.is_empty() {
        title.push_str("● chain step ");
    }
    let block = pane(app, title, focused);
    let Some(store) = &app.store else {
        let message = Paragraph::new("the events are not loaded")
            .style(theme.dim)
            .block(block);
        frame.render_widget(message, area);
        return;
    };
    let anchor_time = store.events().get(*anchor).map(|e| e.timestamp);
    let compact = area.width < COMPACT_BELOW;

    let fixed = if compact {
        [2, 8, 7, 16, 10]
    } else {
        [4, 19, 7, 26, 14]
    };
    // The borders take two columns.
    let last = last_column_width(area.width.saturating_sub(2), &fixed);
    // Three rows go to the borders and the column header.
    let height = usize::from(area.height.saturating_sub(3));
    let start = cursor.window_start(events.len(), height);
    let rows = events
        .iter()
        .enumerate()
        .skip(start)
        .take(height.max(1))
        .filter_map(|(position, &index)| {
            let event = store.events().get(index)?;
            let time = if compact {
                format::clock(event.timestamp)
            } else {
                format::time(event.timestamp)
            };
            let delta = anchor_time
                .map(|t| format::delta(t, event.timestamp))
                .unwrap_or_default();
            let position_mark = if index == *anchor {
                "▶"
            } else if chain_events.contains(&index) {
                "●"
            } else {
                " "
            };
            let marks = case_marks(app.event_annotation(index));
            let mark = format!("{position_mark}{marks}");
            let source = event_source(store, index, compact);
            let text =
                |value: String, width: usize| Cell::from(ellipsize(&sanitize(&value), width));
            Some(
                Row::new(vec![
                    Cell::from(Span::styled(mark, theme.hits)),
                    Cell::from(time),
                    Cell::from(Line::from(Span::styled(delta, theme.hits)).right_aligned()),
                    text(source, fixed[3]),
                    text(first_field(store, index, &["user.name"]), fixed[4]),
                    text(process_and_target(store, index), last),
                ])
                .style(row_style(app, position == cursor.selected, focused)),
            )
        });

    let widths = fixed
        .into_iter()
        .map(|width| Constraint::Length(u16::try_from(width).unwrap_or(u16::MAX)))
        .chain([Constraint::Min(0)]);
    let header = Row::new([
        "",
        "time",
        "from ▶",
        "event source",
        "user",
        "process → target",
    ])
    .style(theme.dim);
    let table = Table::new(rows, widths).header(header).block(block);
    frame.render_widget(table, area);
}
