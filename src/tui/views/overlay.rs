//! Panels drawn over the body: key help, load problems and the filter picker.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::app::{App, FilterKind, Overlay};
use super::super::cursor::ListCursor;
use super::super::format;
use super::super::keymap::{KEYMAP, SCOPES, key_name};
use super::super::sanitize::sanitize;
use super::{fit, pane, row_style};

/// Draws the open overlay, if any, over `area`.
pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let Some(overlay) = &app.overlay else {
        return;
    };
    let area = centered(area, 90, 80);
    let (title, lines, cursor) = match overlay {
        Overlay::Help(cursor) => (" Keys ".to_owned(), help_lines(app), cursor),
        Overlay::Problems(cursor) => (
            " Load problems ".to_owned(),
            problem_lines(app, cursor),
            cursor,
        ),
        Overlay::Picker {
            kind,
            cursor,
            query,
            typing,
        } => (
            picker_title(*kind, query, *typing, area.width),
            picker_lines(app, *kind, query, cursor),
            cursor,
        ),
    };
    let height = usize::from(area.height.saturating_sub(2));
    // The help has no selection, so its cursor is the first line shown.
    let start = match overlay {
        Overlay::Help(_) => cursor.selected.min(lines.len().saturating_sub(height)),
        _ => cursor.window_start(lines.len(), height),
    };
    // A line wider than the panel ends with `…`, so a cut key description or path shows that
    // it goes on.
    let inner_width = usize::from(area.width.saturating_sub(2));
    let visible_lines: Vec<Line> = lines
        .into_iter()
        .skip(start)
        .take(height.max(1))
        .map(|line| {
            let style = line.style;
            Line::from(fit(line.spans, inner_width)).style(style)
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(visible_lines).block(pane(app, title, true)),
        area,
    );
}

/// Returns a rectangle of `percent_x` by `percent_y` percent of `area`, centered in it.
pub(super) fn centered(area: Rect, percent_x: u16, percent_y: u16) -> Rect {
    let width = u16::try_from(u32::from(area.width) * u32::from(percent_x) / 100).unwrap_or(0);
    let height = u16::try_from(u32::from(area.height) * u32::from(percent_y) / 100).unwrap_or(0);
    Rect {
        x: area.x + area.width.saturating_sub(width) / 2,
        y: area.y + area.height.saturating_sub(height) / 2,
        width,
        height,
    }
}

/// Lists every binding grouped by scope, from the same table that dispatches keys.
fn help_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for scope in SCOPES {
        lines.push(Line::styled(scope.title(), app.theme.accent));
        for binding in KEYMAP.iter().filter(|b| b.scope == scope) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<10}", key_name(binding)), app.theme.key),
                Span::styled(binding.description, app.theme.text),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines
}

fn problem_lines(app: &App, cursor: &ListCursor) -> Vec<Line<'static>> {
    let problems = app
        .summary
        .as_ref()
        .map(|s| s.problems.as_slice())
        .unwrap_or_default();
    if problems.is_empty() {
        return vec![Line::styled("no load problems", app.theme.dim)];
    }
    problems
        .iter()
        .enumerate()
        .map(|(index, problem)| {
            let style = row_style(app, index == cursor.selected, true);
            Line::styled(sanitize(problem).into_owned(), style)
        })
        .collect()
}

fn picker_title(kind: FilterKind, query: &str, typing: bool, width: u16) -> String {
    let kinds: Vec<String> = FilterKind::ALL
        .iter()
        .map(|k| {
            if *k == kind {
                format!("[{}]", k.label())
            } else {
                k.label().to_owned()
            }
        })
        .collect();
    let mut title = format!(" Filter: {} ", kinds.join(" "));
    let mut tail = String::new();
    if typing || !query.is_empty() {
        tail.push_str(&format!("/{}", sanitize(query)));
        if typing {
            tail.push('█');
        }
        tail.push(' ');
    } else {
        tail.push_str("(Tab switches, / narrows) ");
    }
    // On a narrow screen only the current kind is named, so the typed text stays visible.
    let fits = title.chars().count() + tail.chars().count() + 2 <= usize::from(width);
    if !fits {
        let position = FilterKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) + 1;
        let count = FilterKind::ALL.len();
        title = format!(" Filter [{}] {position}/{count} ", kind.label());
    }
    title.push_str(&tail);
    title
}

fn picker_lines(
    app: &App,
    kind: FilterKind,
    query: &str,
    cursor: &ListCursor,
) -> Vec<Line<'static>> {
    let current = app.filter_value(kind);
    let mut lines = vec![Line::styled(
        format!("  (any {})", kind.label()),
        row_style(app, cursor.selected == 0, true),
    )];
    if let Some(time) = app.typed_time(kind, query) {
        lines.push(Line::styled(
            format!("  Enter sets {} {}", kind.label(), format::time(time)),
            app.theme.filter,
        ));
    }
    let entries = app.picker_rows(kind, query);
    let (singular, plural) = match kind {
        FilterKind::Host | FilterKind::LogSource | FilterKind::From | FilterKind::To => {
            ("event", "events")
        }
        _ => ("analytic", "analytics"),
    };
    for (index, entry) in entries.iter().enumerate() {
        let mark = if current.as_deref() == Some(entry.value.as_str()) {
            '*'
        } else {
            ' '
        };
        let style = row_style(app, cursor.selected == index + 1, true);
        let unit = if entry.count == 1 { singular } else { plural };
        lines.push(Line::styled(
            format!(
                "{mark} {:>9} {unit}  {}",
                format::count(entry.count),
                sanitize(&entry.label)
            ),
            style,
        ));
    }
    if entries.is_empty() {
        let message = if query.is_empty() {
            "  no values loaded yet"
        } else if kind.is_time() {
            "  no hour matches; type RFC 3339, YYYY-MM-DD HH:MM or HH:MM"
        } else {
            "  no value contains the typed text"
        };
        lines.push(Line::styled(message, app.theme.dim));
    }
    lines
}
