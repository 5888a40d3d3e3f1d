//! An event: where it came from, its normalized fields and its raw record.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::{App, RawRecord, View};
use super::super::format;
use super::super::model;
use super::super::sanitize::sanitize;
use super::{case_title, labeled, pane};

/// Draws an event view; `view` must be a [`View::Event`], anything else draws an empty pane.
pub fn draw(frame: &mut Frame, app: &App, view: &View, area: Rect, focused: bool) {
    let View::Event {
        event,
        cursor,
        show_raw,
        raw,
        column,
    } = view
    else {
        frame.render_widget(pane(app, " Event ", focused), area);
        return;
    };
    let lines = document(app, *event, *show_raw, raw);
    let height = usize::from(area.height.saturating_sub(2));
    let start = cursor.window_start(lines.len(), height);
    let mut title = format!(
        " Event {event} {}",
        case_title(app.event_annotation(*event))
    );
    if *column > 0 {
        title.push_str(&format!("from column {} ", column + 1));
    }

    let selected = cursor.selected.min(lines.len().saturating_sub(1));
    let visible_lines: Vec<Line> = lines
        .into_iter()
        .enumerate()
        .skip(start)
        .map(|(number, line)| {
            if number == selected && focused {
                line.patch_style(app.theme.selected)
            } else {
                line
            }
        })
        .collect();
    // The rows whose line goes past the right edge, marked after the draw.
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    let cut_rows: Vec<u16> = visible_lines
        .iter()
        .take(usize::from(inner.height))
        .enumerate()
        .filter(|(_, line)| line.width() > column + usize::from(inner.width))
        .filter_map(|(row, _)| u16::try_from(row).ok())
        .collect();
    // Lines are not wrapped, so a long value or raw line scrolls sideways instead.
    let scroll = u16::try_from(*column).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(visible_lines)
            .block(pane(app, title, focused))
            .scroll((0, scroll)),
        area,
    );
    // A `…` in the last column shows that the line goes on, and → or l scrolls to the rest.
    if inner.width > 1 {
        let x = inner.right() - 1;
        for row in cut_rows {
            let y = inner.y + row;
            if let Some(cell) = frame.buffer_mut().cell_mut((x, y)) {
                cell.set_symbol("…");
            }
        }
    }
}

/// Number of lines [`draw`] shows for `view`, used to bound scrolling.
pub fn line_count(app: &App, view: &View) -> usize {
    match view {
        View::Event {
            event,
            show_raw,
            raw,
            ..
        } => document(app, *event, *show_raw, raw).len(),
        _ => 0,
    }
}

/// Columns of the widest line [`draw`] shows for `view`, used to bound sideways scrolling.
pub fn max_width(app: &App, view: &View) -> usize {
    match view {
        View::Event {
            event,
            show_raw,
            raw,
            ..
        } => document(app, *event, *show_raw, raw)
            .iter()
            .map(Line::width)
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

/// Builds every line of the event view: one line per field and per raw line, with no wrapping
/// so that long values are cut at the pane's edge rather than pushing the rest down.
fn document(app: &App, index: usize, show_raw: bool, raw: &RawRecord) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(store) = &app.store else {
        return vec![Line::styled("the events are not loaded", theme.dim)];
    };
    let Some(event) = store.events().get(index) else {
        return vec![Line::styled(
            format!("event {index} not found"),
            theme.error,
        )];
    };
    let path = store
        .file_path(event.origin().file)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "unknown file".to_owned());
    let mut origin = format!("{} record {}", sanitize(&path), event.origin().record);
    if let Some(offset) = event.origin().offset {
        origin.push_str(&format!(" at byte {offset}"));
    }
    let mut lines = vec![
        labeled(app, "Time", format::time(event.timestamp)),
        labeled(
            app,
            "Source",
            format!(
                "{} on {}",
                sanitize(store.log_source(index)),
                event.platform
            ),
        ),
        labeled(app, "Origin", origin),
        Line::styled(
            format!("Fields ({})", store.fields(event).len()),
            theme.accent,
        ),
    ];

    for (name, value) in model::sorted_fields(store, index) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} = ", sanitize(&name)), theme.dim),
            Span::styled(sanitize(&value).into_owned(), theme.text),
        ]));
    }

    if !show_raw {
        lines.push(Line::styled("raw record hidden (r shows it)", theme.dim));
        return lines;
    }
    lines.push(Line::styled("Raw record", theme.accent));
    match raw {
        // The reader's lines were sanitized when the view opened.
        Ok(raw_lines) => {
            lines.extend(
                raw_lines
                    .iter()
                    .map(|l| Line::styled(l.clone(), theme.text)),
            );
        }
        Err(message) => lines.push(Line::styled(
            format!("failed to read the raw record: {}", sanitize(message)),
            theme.error,
        )),
    }
    lines
}
