//! The tuning form and the note editor, drawn over the body.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::super::app::App;
use super::super::keymap::{Action, KEYMAP, Scope, key_name};
use super::super::sanitize::sanitize;
use super::overlay::centered;
use super::pane;

/// Rows each field takes: the name with kind and help, the value, and a blank line.
const FIELD_ROWS: u16 = 3;

/// Draws the tuning form over `area` when it is open.
pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let Some(form) = &app.form else {
        return;
    };
    let theme = &app.theme;
    let area = centered(area, 90, 90);
    let block = pane(app, format!(" Tune {} ", sanitize(&form.analytic)), true);
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }

    // The footer keeps the rows that the wrapped error and keys need, up to half the form. The
    // fields scroll in the rest so the focused one stays visible.
    let width = usize::from(inner.width);
    let error_rows = form
        .error
        .as_ref()
        .map_or(0, |error| error.chars().count().div_ceil(width));
    let keys = scope_keys(app, Scope::Form);
    let key_rows = Line::from(keys.clone()).width().div_ceil(width);
    let needed = u16::try_from(error_rows + key_rows).unwrap_or(u16::MAX);
    let footer_rows = needed.min(inner.height / 2).max(1).min(inner.height);
    let field_area_rows = inner.height - footer_rows;
    let visible_fields = usize::from((field_area_rows / FIELD_ROWS).max(1));
    let first = (form.focus + 1).saturating_sub(visible_fields);
    let mut y = inner.y;
    for (position, field) in form.fields.iter().enumerate().skip(first) {
        if y.saturating_add(2) > inner.y.saturating_add(field_area_rows) {
            break;
        }
        let focused = position == form.focus;
        let name_style = if focused { theme.accent } else { theme.text };
        let label = Line::from(vec![
            Span::styled(if focused { "▶ " } else { "  " }, theme.key),
            Span::styled(sanitize(&field.name).into_owned(), name_style),
            Span::styled(format!(" ({})  ", field.kind), theme.dim),
            Span::styled(sanitize(&field.help).into_owned(), theme.dim),
        ]);
        frame.render_widget(Paragraph::new(label), row(inner, y, 0));
        let value_area = row(inner, y.saturating_add(1), 4);
        if focused {
            frame.render_widget(&field.input, value_area);
        } else {
            let text = sanitize(&field.text()).into_owned();
            frame.render_widget(Paragraph::new(Span::styled(text, theme.filter)), value_area);
        }
        y = y.saturating_add(FIELD_ROWS);
    }

    let footer = Rect {
        y: inner.y + field_area_rows,
        height: footer_rows,
        ..inner
    };
    let mut lines = Vec::new();
    if let Some(error) = &form.error {
        lines.push(Line::styled(sanitize(error).into_owned(), theme.error));
    }
    lines.push(Line::from(keys));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), footer);
}

/// Returns the one-row rectangle at row `y` of `area`, indented by `indent` columns.
fn row(area: Rect, y: u16, indent: u16) -> Rect {
    let indent = indent.min(area.width);
    Rect {
        x: area.x + indent,
        y,
        width: area.width - indent,
        height: 1,
    }
}

/// Lists the keys of a scope from the keymap, one per action.
pub(super) fn scope_keys(app: &App, scope: Scope) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut seen: Vec<Action> = Vec::new();
    for binding in KEYMAP.iter().filter(|b| b.scope == scope) {
        if seen.contains(&binding.action) || binding.action == Action::Quit {
            continue;
        }
        seen.push(binding.action);
        spans.push(Span::styled(key_name(binding), app.theme.key));
        spans.push(Span::styled(
            format!(" {}  ", binding.description),
            app.theme.dim,
        ));
    }
    spans
}

/// Rows of the note editor: borders, the note and the keys.
const NOTE_ROWS: u16 = 4;

/// Draws the note editor over `area` when it is open.
pub(super) fn draw_note(frame: &mut Frame, app: &App, area: Rect) {
    let Some(editor) = &app.note else {
        return;
    };
    let width = centered(area, 90, 100).width;
    let height = NOTE_ROWS.min(area.height);
    let box_area = Rect {
        x: area.x + area.width.saturating_sub(width) / 2,
        y: area.y + area.height.saturating_sub(height) / 2,
        width,
        height,
    };
    let block = pane(app, format!(" Note on {} ", sanitize(&editor.label)), true);
    let inner = block.inner(box_area);
    frame.render_widget(Clear, box_area);
    frame.render_widget(block, box_area);
    if inner.height == 0 {
        return;
    }
    frame.render_widget(&editor.input, row(inner, inner.y, 0));
    if inner.height > 1 {
        let keys = Line::from(scope_keys(app, Scope::Note));
        frame.render_widget(
            Paragraph::new(keys),
            row(inner, inner.y.saturating_add(1), 0),
        );
    }
}
