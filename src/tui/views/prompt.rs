//! The EQL query prompt, drawn over the body: the query being typed, the error of the last
//! attempt to run it with a caret under the offending token, and the prompt's keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::app::App;
use super::super::keymap::Scope;
use super::super::query::PromptError;
use super::super::sanitize::sanitize;
use super::form::scope_keys;
use super::pane;
use super::wrap::{text_width, wrap};

/// Rows the query text gets at least, so the box does not jump while a line is added.
const MIN_TEXT_ROWS: usize = 3;

/// Draws the prompt over `area` when it is open.
pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let Some(prompt) = &app.prompt else {
        return;
    };
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = &app.theme;
    let width = area.width.saturating_sub(2).max(1).min(area.width);
    let inner_width = usize::from(width.saturating_sub(2).max(1));

    let mut footer = Vec::new();
    if let Some(error) = &prompt.error {
        footer.extend(error_lines(app, error, inner_width));
    }
    footer.extend(wrap(
        &[Line::from(scope_keys(app, Scope::Prompt))],
        inner_width,
    ));

    let text_rows = prompt.input.lines().len().max(MIN_TEXT_ROWS);
    // The text gives way to the error and keys when the screen is short; it scrolls to the
    // cursor inside whatever rows it keeps.
    let wanted = text_rows + footer.len() + 2;
    let height = u16::try_from(wanted).unwrap_or(u16::MAX).min(area.height);
    let box_area = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + area.height.saturating_sub(height) / 2,
        width,
        height,
    };

    let mut title = " EQL query ".to_owned();
    if let Some(index) = prompt.recalled {
        title.push_str(&format!(
            "(history {}/{}) ",
            index + 1,
            app.query_history.len()
        ));
    }
    let block = pane(app, title, true);
    let inner = block.inner(box_area);
    frame.render_widget(Clear, box_area);
    frame.render_widget(block, box_area);
    if inner.height == 0 {
        return;
    }

    let footer_rows = u16::try_from(footer.len())
        .unwrap_or(u16::MAX)
        .min(inner.height.saturating_sub(1));
    let text_area = Rect {
        height: inner.height - footer_rows,
        ..inner
    };
    let footer_area = Rect {
        y: inner.y + text_area.height,
        height: footer_rows,
        ..inner
    };
    frame.render_widget(&prompt.input, text_area);
    frame.render_widget(Paragraph::new(footer).style(theme.text), footer_area);
}

/// Builds the error's rows: the message, then for a syntax error the offending line with a
/// caret under the token, shifted sideways when the token lies beyond the pane's edge.
fn error_lines(app: &App, error: &PromptError, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let message = Line::styled(sanitize(&error.message).into_owned(), theme.error);
    let mut rows = wrap(&[message], width);
    let Some((_, column)) = error.position else {
        return rows;
    };
    let (text, caret) = window(&error.line_text, column, width);
    rows.push(Line::styled(text, theme.text));
    rows.push(Line::from(vec![
        Span::raw(" ".repeat(caret)),
        Span::styled("^", theme.error),
    ]));
    rows
}

/// Returns the part of `line` a row of `width` columns shows so that the character at
/// `column` (counted from 1) is visible, and the screen column of that character in it.
fn window(line: &str, column: usize, width: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let before: String = chars.iter().take(column.saturating_sub(1)).collect();
    let caret = text_width(&sanitize(&before));
    let safe = sanitize(line).into_owned();
    let last = width.saturating_sub(1);
    if caret <= last {
        return (safe, caret);
    }
    // Keep the caret in the middle of the row, and mark the cut with an ellipsis.
    let skip = caret - width / 2;
    let mut shown = String::from("…");
    let mut position = 0;
    for c in safe.chars() {
        let mut buffer = [0; 4];
        let char_width = text_width(c.encode_utf8(&mut buffer));
        if position > skip {
            shown.push(c);
        }
        position += char_width;
    }
    (shown, caret - skip)
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn window_keeps_caret_on_screen() {
        assert_eq!(
            window("process wher", 9, 40),
            ("process wher".to_owned(), 8)
        );
        let long = format!("{}x", "a".repeat(100));
        let (text, caret) = window(&long, 101, 20);
        assert!(caret < 20, "{caret}");
        assert_eq!(text.chars().nth(caret), Some('x'), "{text}");
        assert!(text.starts_with('…'));
    }
}
