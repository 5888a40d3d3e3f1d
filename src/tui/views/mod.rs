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
pub mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::app::{App, View};
use super::cursor::ListCursor;

/// Rows of the histogram pane: events, chains and the time axis.
const HISTOGRAM_ROWS: u16 = 3;

/// Terminal width from which the body shows two panes side by side.
pub const WIDE_COLUMNS: u16 = 120;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let [header, filters, body, status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header::draw_header(frame, app, header);
    header::draw_filter_bar(frame, app, filters);
    let body = if app.show_histogram {
        let [chart, rest] =
            Layout::vertical([Constraint::Length(HISTOGRAM_ROWS), Constraint::Min(0)]).areas(body);
        histogram::draw(frame, app, chart);
        rest
    } else {
        body
    };
    draw_body(frame, app, body);
    header::draw_status(frame, app, status);
    overlay::draw(frame, app, body);
    form::draw(frame, app, body);
    form::draw_note(frame, app, body);
}

fn draw_body(frame: &mut Frame, app: &App, area: Rect) {
    let current = app.current();
    if area.width < WIDE_COLUMNS {
        draw_view(frame, app, current, area, true);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let depth = app.path.len();
    match current {
        View::Analytics(cursor) => {
            draw_view(frame, app, current, left, true);
            if let Some(&analytic) = app.visible.get(cursor.selected) {
                let preview = View::Detail {
                    analytic,
                    chains: ListCursor::default(),
                };
                draw_view(frame, app, &preview, right, false);
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
        View::Detail { analytic, chains } => {
            detail::draw(frame, app, *analytic, chains, area, focused);
        }
        View::Chain {
            analytic,
            chain,
            steps,
        } => chain::draw(frame, app, *analytic, *chain, steps, area, focused),
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

/// Braille frames of the progress spinner.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

fn spinner(app: &App) -> char {
    SPINNER[app.spinner % SPINNER.len()]
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
