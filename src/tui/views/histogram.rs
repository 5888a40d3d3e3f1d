//! The histogram pane: events and chain first times over time, for the current filters, as two
//! sparklines over a time axis.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::super::app::App;
use super::super::format;
use super::super::model::Histogram;

/// Columns of the row labels left of the sparklines.
const LABEL_COLUMNS: u16 = 8;

/// Draws the histogram pane into `area`, three rows high.
pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let Some(histogram) = &app.histogram else {
        let message = if app.store.is_some() {
            "histogram: no event passes the filters"
        } else {
            "histogram: the events are not loaded"
        };
        frame.render_widget(Paragraph::new(message).style(theme.dim), area);
        return;
    };
    let [labels, chart] =
        Layout::horizontal([Constraint::Length(LABEL_COLUMNS), Constraint::Min(0)]).areas(area);
    let [events_row, chains_row, axis_row] =
        Layout::vertical([Constraint::Length(1); 3]).areas(chart);
    let width = usize::from(chart.width);

    let events = Histogram::fit(&histogram.events, width);
    let chains = Histogram::fit(&histogram.chains, width);
    frame.render_widget(
        Sparkline::default().data(&events).style(theme.accent),
        events_row,
    );
    frame.render_widget(
        Sparkline::default().data(&chains).style(theme.hits),
        chains_row,
    );
    let label_lines = vec![
        Line::styled("events", theme.dim),
        Line::styled("chains", theme.dim),
    ];
    frame.render_widget(Paragraph::new(label_lines), labels);

    let start = format::time(histogram.start);
    let end = format::time(histogram.end);
    let gap = width.saturating_sub(start.len() + end.len()).max(1);
    let axis = Line::from(vec![
        Span::styled(start, theme.dim),
        Span::raw(" ".repeat(gap)),
        Span::styled(end, theme.dim),
    ]);
    frame.render_widget(Paragraph::new(axis), axis_row);
}
