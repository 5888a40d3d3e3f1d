//! A pivot: every loaded event with one field's value, as a timeline, then every chain that
//! contains one of those events.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::super::app::{App, ChainSource, PIVOT_LIMIT, View};
use super::super::format;
use super::super::sanitize::sanitize;
use super::chain::{event_source, first_field, last_column_width, process_and_target};
use super::{case_marks, ellipsize, pane, row_style};

/// Pane width below which the time column shows the time of day only.
const COMPACT_BELOW: u16 = 100;

/// Draws a pivot view; `view` must be a [`View::Pivot`], anything else draws an empty pane.
pub fn draw(frame: &mut Frame, app: &App, view: &View, area: Rect, focused: bool) {
    let View::Pivot {
        field,
        value,
        events,
        truncated,
        chains,
        cursor,
    } = view
    else {
        frame.render_widget(pane(app, " Pivot ", focused), area);
        return;
    };
    let theme = &app.theme;
    let count = if *truncated {
        format!("first {} events", format::count(PIVOT_LIMIT))
    } else {
        format::counted(events.len(), "event", "events")
    };
    let title = format!(
        " Pivot {} = {} ({count}, {}) ",
        sanitize(field),
        sanitize(value),
        format::counted(chains.len(), "chain", "chains")
    );
    let block = pane(app, title, focused);
    let Some(store) = &app.store else {
        let message = Paragraph::new("the events are not loaded")
            .style(theme.dim)
            .block(block);
        frame.render_widget(message, area);
        return;
    };
    let compact = area.width < COMPACT_BELOW;
    let len = events.len() + chains.len();

    // Three rows go to the borders and the column header.
    let height = usize::from(area.height.saturating_sub(3));
    let start = cursor.window_start(len, height);
    let fixed = if compact {
        [8, 8, 12, 16]
    } else {
        [12, 19, 18, 26]
    };
    // The borders take two columns.
    let last = last_column_width(area.width.saturating_sub(2), &fixed);
    let text = |value: String, width: usize| Cell::from(ellipsize(&sanitize(&value), width));
    let time_text = |timestamp| {
        if compact {
            format::clock(timestamp)
        } else {
            format::time(timestamp)
        }
    };
    let rows = (start..len).take(height.max(1)).filter_map(|position| {
        let style = row_style(app, position == cursor.selected, focused);
        if let Some(&index) = events.get(position) {
            let event = store.events().get(index)?;
            let source = event_source(store, index, compact);
            let kind = format!("event {}", case_marks(app.event_annotation(index)));
            let row = Row::new(vec![
                Cell::from(Span::styled(kind, theme.dim)),
                Cell::from(time_text(event.timestamp)),
                text(first_field(store, index, &["host.name"]), fixed[2]),
                text(source, fixed[3]),
                text(process_and_target(store, index), last),
            ]);
            return Some(row.style(style));
        }
        let &(analytic, chain_index) = chains.get(position - events.len())?;
        let source = ChainSource::Analytic(analytic);
        let chain = app.chain(source, chain_index)?;
        let id = app.analytics.get(analytic).map(|a| a.id.clone());
        let time = chain.first_time(store).map(time_text).unwrap_or_default();
        let kind = format!(
            "chain {}",
            case_marks(app.chain_annotation(source, chain_index))
        );
        let row = Row::new(vec![
            Cell::from(Span::styled(kind, theme.hits)),
            Cell::from(time),
            text(chain.host(store).unwrap_or_default(), fixed[2]),
            text(id.unwrap_or_default(), fixed[3]),
            Cell::from(format::counted(chain.steps.len(), "step", "steps")),
        ]);
        Some(row.style(style))
    });

    let widths = fixed
        .into_iter()
        .map(|width| Constraint::Length(u16::try_from(width).unwrap_or(u16::MAX)))
        .chain([Constraint::Min(0)]);
    let header = Row::new(["", "time", "host", "source/analytic", "activity"]).style(theme.dim);
    let table = Table::new(rows, widths).header(header).block(block);
    frame.render_widget(table, area);
}
