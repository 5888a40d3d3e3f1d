//! Word wrapping of styled lines into rows of a fixed width, so that a view can count the rows
//! its text takes before drawing it, and scroll it by rows.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Wraps each line at spaces into rows at most `width` columns wide, keeping the styles.
///
/// A word wider than a row is cut where the row ends. Spaces that start a line are kept, since
/// they indent it, and the spaces where a row breaks are dropped. An empty line stays one empty
/// row.
pub fn wrap(lines: &[Line<'_>], width: usize) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    for line in lines {
        let mut builder = RowBuilder {
            rows: &mut rows,
            width: width.max(1),
            line_style: line.style,
            row: Vec::new(),
            used: 0,
            wrapped: false,
        };
        for span in &line.spans {
            for token in tokens(&span.content) {
                builder.push(token, span.style);
            }
        }
        builder.finish();
    }
    rows
}

/// Returns the number of columns `text` takes on a terminal.
pub fn text_width(text: &str) -> usize {
    Span::raw(text).width()
}

/// Splits text into runs of whitespace and runs of other characters, in order.
fn tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut previous: Option<bool> = None;
    for (index, c) in text.char_indices() {
        let space = c.is_whitespace();
        if previous.is_some_and(|p| p != space) {
            tokens.extend(text.get(start..index));
            start = index;
        }
        previous = Some(space);
    }
    if start < text.len() {
        tokens.extend(text.get(start..));
    }
    tokens
}

struct RowBuilder<'r> {
    rows: &'r mut Vec<Line<'static>>,
    width: usize,
    line_style: Style,
    row: Vec<Span<'static>>,
    used: usize,
    /// Whether the row being built continues a line that broke.
    wrapped: bool,
}

impl RowBuilder<'_> {
    fn push(&mut self, token: &str, style: Style) {
        let width = text_width(token);
        if token.starts_with(char::is_whitespace) {
            if self.used == 0 && self.wrapped {
                return;
            }
            if self.used + width > self.width {
                self.break_row();
                return;
            }
            self.append(token, style, width);
            return;
        }
        if self.used + width <= self.width {
            self.append(token, style, width);
            return;
        }
        if width <= self.width {
            if self.row.iter().all(|span| span.content.trim().is_empty()) {
                // Indentation that leaves no room for the word is dropped instead of taking
                // a row of its own.
                self.row.clear();
                self.used = 0;
            } else {
                self.break_row();
            }
            self.append(token, style, width);
            return;
        }
        // The word is wider than a row, so it is cut into pieces that fill the rest of this row
        // and the rows after it.
        let mut piece = String::new();
        let mut piece_width = 0;
        for c in token.chars() {
            let mut buffer = [0; 4];
            let char_width = text_width(c.encode_utf8(&mut buffer));
            let room = self.width.saturating_sub(self.used);
            if piece_width + char_width > room && (piece_width > 0 || self.used > 0) {
                self.append(&piece, style, piece_width);
                self.break_row();
                piece.clear();
                piece_width = 0;
            }
            piece.push(c);
            piece_width += char_width;
        }
        self.append(&piece, style, piece_width);
    }

    fn append(&mut self, text: &str, style: Style, width: usize) {
        if !text.is_empty() {
            self.row.push(Span::styled(text.to_owned(), style));
            self.used += width;
        }
    }

    fn break_row(&mut self) {
        let mut spans = std::mem::take(&mut self.row);
        // Spaces where the row breaks would only pad it.
        if spans.iter().any(|span| !span.content.trim().is_empty()) {
            while spans
                .last()
                .is_some_and(|span| span.content.trim().is_empty())
            {
                spans.pop();
            }
        }
        self.rows.push(Line::from(spans).style(self.line_style));
        self.used = 0;
        self.wrapped = true;
    }

    fn finish(mut self) {
        if !self.row.is_empty() || !self.wrapped {
            self.break_row();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[Line<'_>]) -> Vec<String> {
        rows.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn wraps_at_spaces() {
        let rows = wrap(&[Line::raw("alpha beta gamma delta")], 11);
        assert_eq!(texts(&rows), vec!["alpha beta", "gamma delta"]);
    }

    #[test]
    fn cuts_long_words_and_keeps_indent() {
        let rows = wrap(&[Line::raw("  abcdefghij xy")], 4);
        assert_eq!(texts(&rows), vec!["  ab", "cdef", "ghij", "xy"]);
    }

    #[test]
    fn drops_indent_without_room() {
        let rows = wrap(&[Line::raw("  alphabet")], 9);
        assert_eq!(texts(&rows), vec!["alphabet"]);
    }

    #[test]
    fn keeps_styles_and_empty_lines() {
        let style = Style::default().fg(ratatui::style::Color::Red);
        let line = Line::from(vec![Span::raw("key: "), Span::styled("value one", style)]);
        let rows = wrap(&[line, Line::raw("")], 9);
        assert_eq!(texts(&rows), vec!["key:", "value one", ""]);
        assert_eq!(rows[1].spans[0].style, style);
    }

    #[test]
    fn rows_never_exceed_width() {
        let text = "wide 漢字漢字漢字 text ".repeat(5);
        // A double-width character cannot fit a row of one column, so widths start at two.
        for width in 2..20 {
            for row in wrap(&[Line::raw(text.as_str())], width) {
                assert!(row.width() <= width, "{width}: {row:?}");
            }
        }
    }
}
