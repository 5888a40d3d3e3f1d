//! The analytics list: every catalog analytic with its hit count and markers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::super::app::App;
use super::super::cursor::ListCursor;
use super::super::sanitize::sanitize;
use super::super::tune::RerunState;
use super::chain::last_column_width;
use super::{ellipsize, pane, row_style, spinner};

/// Marker of an executable analytic.
pub const EXECUTABLE_MARK: char = 'E';
/// Marker of an analytic whose log sources are present in the loaded data.
pub const DATA_MARK: char = 'D';

/// Draws the analytics list; only the rows on screen are built, so the catalog's size does not
/// slow drawing.
pub fn draw(frame: &mut Frame, app: &App, cursor: &ListCursor, area: Rect, focused: bool) {
    let title = format!(" Analytics {}/{} ", app.visible.len(), app.analytics.len());
    let block = pane(app, title, focused);
    if !app.analytics_loaded {
        let waiting = Paragraph::new(format!("{} loading the catalog…", spinner(app)))
            .style(app.theme.dim)
            .block(block);
        frame.render_widget(waiting, area);
        return;
    }
    if app.visible.is_empty() {
        let empty = Paragraph::new("no analytic matches the filters and search")
            .style(app.theme.dim)
            .block(block);
        frame.render_widget(empty, area);
        return;
    }

    let fixed = [2, 7, 10, 5];
    // The borders take two columns.
    let description_width = last_column_width(area.width.saturating_sub(2), &fixed);
    // One row goes to the column header.
    let height = usize::from(area.height.saturating_sub(3));
    let start = cursor.window_start(app.visible.len(), height);
    let rows = app
        .visible
        .iter()
        .enumerate()
        .skip(start)
        .take(height.max(1))
        .filter_map(|(position, &index)| {
            let analytic = app.analytics.get(index)?;
            let style = row_style(app, position == cursor.selected, focused);
            let marks = Line::from(vec![
                if analytic.executable.is_some() {
                    Span::styled(EXECUTABLE_MARK.to_string(), app.theme.executable)
                } else {
                    Span::raw(" ")
                },
                if analytic.data_present {
                    Span::styled(DATA_MARK.to_string(), app.theme.data_present)
                } else {
                    Span::raw(" ")
                },
            ]);
            let technique = analytic
                .techniques
                .first()
                .map(|(id, _)| sanitize(id).into_owned())
                .unwrap_or_default();
            Some(
                Row::new(vec![
                    Cell::from(marks),
                    Cell::from(sanitize(&analytic.id).into_owned()),
                    Cell::from(technique),
                    hits_cell(app, index),
                    Cell::from(ellipsize(
                        &sanitize(&analytic.description),
                        description_width,
                    )),
                ])
                .style(style),
            )
        });

    let header = Row::new(["", "id", "technique", "hits", "description"]).style(app.theme.dim);
    let widths = fixed
        .into_iter()
        .map(|width| Constraint::Length(u16::try_from(width).unwrap_or(u16::MAX)))
        .chain([Constraint::Min(0)]);
    let table = Table::new(rows, widths).header(header).block(block);
    frame.render_widget(table, area);
}

fn hits_cell(app: &App, index: usize) -> Cell<'static> {
    match app.rerun_state(index) {
        Some(RerunState::Running) => {
            let mark = Span::styled(spinner(app).to_string(), app.theme.accent);
            return Cell::from(Line::from(mark).right_aligned());
        }
        Some(RerunState::Failed(_)) => {
            return Cell::from(Line::from(Span::styled("!", app.theme.error)).right_aligned());
        }
        _ => {}
    }
    match app.hits.get(index).copied().flatten() {
        Some(count) if app.findings_loaded => {
            let style = if count > 0 {
                app.theme.hits
            } else {
                app.theme.dim
            };
            Cell::from(Line::from(Span::styled(count.to_string(), style)).right_aligned())
        }
        // Executable but correlation has not finished yet.
        Some(_) => Cell::from(Line::from(Span::styled("…", app.theme.dim)).right_aligned()),
        None => Cell::from(""),
    }
}
