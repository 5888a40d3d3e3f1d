//! Drawing: every function here reads the [`App`] and changes nothing.
//!
//! The screen is a header, a filter bar, the body and a status line. The body shows the innermost
//! view of the navigation path. From [`WIDE_COLUMNS`] columns on, it also shows the view one level
//! up beside it, or a preview of the selected analytic when the analytics list is innermost.

pub mod analytics;
pub mod chain;
pub mod detail;
pub mod event;
mod form;
mod header;
mod histogram;
mod overlay;
pub mod pivot;
mod prompt;
pub mod query;
pub mod timeline;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::app::{App, View};

/// Rows of the histogram pane: events, chains and the time axis.
const HISTOGRAM_ROWS: u16 = 3;

/// Terminal width from which the body shows two panes side by side.
pub const WIDE_COLUMNS: u16 = 120;

/// The screen's parts.
struct Screen {
    header: Rect,
    filters: Rect,
    histogram: Option<Rect>,
    body: Rect,
    status: Rect,
}

fn screen(app: &App, area: Rect) -> Screen {
    let [header, filters, body, status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let (histogram, body) = if app.show_histogram {
        let [chart, rest] =
            Layout::vertical([Constraint::Length(HISTOGRAM_ROWS), Constraint::Min(0)]).areas(body);
        (Some(chart), rest)
    } else {
        (None, body)
    };
    Screen {
        header,
        filters,
        histogram,
        body,
        status,
    }
}

/// Splits the body into the left and right panes of a wide screen, or returns `None` when it
/// is too narrow for two.
fn split_body(body: Rect) -> Option<(Rect, Rect)> {
    if body.width < WIDE_COLUMNS {
        return None;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(body);
    Some((left, right))
}

/// Returns the pane of the innermost view on a screen of `area`, as [`draw`] lays it out, so
/// that the app can bound scrolling by what is visible.
pub fn focused_area(app: &App, area: Rect) -> Rect {
    let body = screen(app, area).body;
    match split_body(body) {
        None => body,
        Some((left, _)) if matches!(app.current(), View::Analytics(_)) => left,
        Some((_, right)) => right,
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let parts = screen(app, frame.area());
    header::draw_header(frame, app, parts.header);
    header::draw_filter_bar(frame, app, parts.filters);
    if let Some(chart) = parts.histogram {
        histogram::draw(frame, app, chart);
    }
    draw_body(frame, app, parts.body);
    header::draw_status(frame, app, parts.status);
    overlay::draw(frame, app, parts.body);
    form::draw(frame, app, parts.body);
    form::draw_note(frame, app, parts.body);
    prompt::draw(frame, app, parts.body);
}

fn draw_body(frame: &mut Frame, app: &App, area: Rect) {
    let current = app.current();
    let Some((left, right)) = split_body(area) else {
        draw_view(frame, app, current, area, true);
        return;
    };
    let depth = app.path.len();
    match current {
        View::Analytics(cursor) => {
            draw_view(frame, app, current, left, true);
            if let Some(&analytic) = app.visible.get(cursor.selected) {
                draw_view(frame, app, &View::detail(analytic), right, false);
            } else {
                frame.render_widget(pane(app, "Detail", false), right);
            }
        }
        _ => {
            if let Some(parent) = depth.checked_sub(2).and_then(|i| app.path.get(i)) {
                draw_view(frame, app, parent, left, false);
            }
            draw_view(frame, app, current, right, true);
        }
    }
}

fn draw_view(frame: &mut Frame, app: &App, view: &View, area: Rect, focused: bool) {
    match view {
        View::Analytics(cursor) => analytics::draw(frame, app, cursor, area, focused),
        View::Detail { .. } => detail::draw(frame, app, view, area, focused),
        View::Query { .. } => query::draw(frame, app, view, area, focused),
        View::Chain {
            source,
            chain,
            steps,
        } => chain::draw(frame, app, *source, *chain, steps, area, focused),
        View::Timeline { .. } => timeline::draw(frame, app, view, area, focused),
        View::Pivot { .. } => pivot::draw(frame, app, view, area, focused),
        View::Event { .. } => event::draw(frame, app, view, area, focused),
    }
}

/// Builds a bordered pane whose border shows whether it has the keyboard.
fn pane<'a>(app: &App, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    let border = if focused {
        app.theme.accent
    } else {
        app.theme.border
    };
    Block::bordered()
        .border_style(border)
        .title(title.into().style(app.theme.accent))
}

/// Returns the case marks of an annotation for titles and rows: `★` when bookmarked, the
/// verdict's mark, and `✎` when it has a note.
fn case_marks(annotation: Option<&super::case::Annotation>) -> String {
    let Some(annotation) = annotation else {
        return String::new();
    };
    let mut marks = Vec::new();
    if annotation.bookmarked {
        marks.push("★");
    }
    let verdict = annotation.verdict.mark();
    if !verdict.is_empty() {
        marks.push(verdict);
    }
    if !annotation.note.is_empty() {
        marks.push("✎");
    }
    marks.join(" ")
}

/// Returns the case marks and the note of an annotation for a pane title, each followed by a
/// space, or nothing when it has neither.
fn case_title(annotation: Option<&super::case::Annotation>) -> String {
    let mut title = String::new();
    let marks = case_marks(annotation);
    if !marks.is_empty() {
        title.push_str(&format!("{marks} "));
    }
    if let Some(note) = annotation
        .map(|a| a.note.as_str())
        .filter(|n| !n.is_empty())
    {
        title.push_str(&format!("“{}” ", super::sanitize::sanitize(note)));
    }
    title
}

/// Cuts `spans` to `width` columns, ending with `…` where text was cut, so that a cut line
/// shows that it goes on.
fn fit(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(Span::width).sum();
    if total <= width {
        return spans;
    }
    let room = width.saturating_sub(1);
    let mut used = 0;
    let mut kept = Vec::new();
    for span in spans {
        let span_width = span.width();
        if used + span_width <= room {
            used += span_width;
            kept.push(span);
            continue;
        }
        let mut text = String::new();
        for c in span.content.chars() {
            let mut buffer = [0; 4];
            let char_width = wrap::text_width(c.encode_utf8(&mut buffer));
            if used + char_width > room {
                break;
            }
            used += char_width;
            text.push(c);
        }
        kept.push(Span::styled(text, span.style));
        kept.push(Span::styled("…", span.style));
        break;
    }
    kept
}

/// Cuts `text` to `width` columns, ending with `…` where it was cut.
fn ellipsize(text: &str, width: usize) -> String {
    fit(vec![Span::raw(text.to_owned())], width)
        .iter()
        .map(|span| span.content.as_ref())
        .collect()
}

/// Braille frames of the progress spinner.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

fn spinner(app: &App) -> char {
    SPINNER
        .get(app.spinner % SPINNER.len())
        .copied()
        .unwrap_or(' ')
}

/// Builds a `label: value` line with the label dimmed.
fn labeled<'a>(app: &App, label: &'a str, value: impl Into<String>) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label}: "), app.theme.dim),
        Span::styled(value.into(), app.theme.text),
    ])
}

/// Returns the style of a row: reversed when selected, and also dimmed when the pane has no
/// focus.
fn row_style(app: &App, selected: bool, focused: bool) -> Style {
    if selected && focused {
        app.theme.selected
    } else if selected {
        app.theme.dim.patch(app.theme.selected)
    } else {
        app.theme.text
    }
}
