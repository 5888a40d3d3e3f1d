//! The matches of a query typed in the prompt: the query, the state of its run, and one chain
//! per match.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::app::{App, ChainSource, View};
use super::super::format;
use super::super::query::QueryState;
use super::super::sanitize::sanitize_lines;
use super::{chain, pane, spinner};

/// Rows of the query's text shown above its matches at most; the prompt shows it whole.
const QUERY_ROWS: usize = 3;

/// Draws a query view; `view` must be a [`View::Query`], anything else draws an empty pane.
pub fn draw(frame: &mut Frame, app: &App, view: &View, area: Rect, focused: bool) {
    let View::Query { query, matches } = view else {
        frame.render_widget(pane(app, " Query ", focused), area);
        return;
    };
    let Some(run) = app.queries.get(*query) else {
        frame.render_widget(pane(app, " Query ", focused), area);
        return;
    };
    let theme = &app.theme;
    let block = pane(app, format!(" Query {} ", query + 1), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut text: Vec<Line> = sanitize_lines(&run.text)
        .into_iter()
        .map(|line| Line::styled(line, theme.accent))
        .collect();
    if text.len() > QUERY_ROWS {
        let hidden = text.len() - (QUERY_ROWS - 1);
        text.truncate(QUERY_ROWS - 1);
        text.push(Line::styled(
            format!("… {} more lines (: shows them all)", hidden),
            theme.dim,
        ));
    }
    let source = ChainSource::Query(*query);
    let visible = app.visible_chains(source);
    let (status, style) = match &run.state {
        QueryState::Running => (
            format!("{} running over the loaded events…", spinner(app)),
            theme.accent,
        ),
        QueryState::Failed(message) => (format!("query failed: {message}"), theme.error),
        QueryState::Cancelled => ("cancelled: a newer query replaced it".to_owned(), theme.dim),
        QueryState::Done(result) => {
            let shown = result.chains.len();
            let mut status = if result.matches > shown {
                format!(
                    "the first {} of {} matches",
                    format::count(shown),
                    format::count(result.matches)
                )
            } else {
                format::counted(result.matches, "match", "matches")
            };
            if visible.len() < shown {
                status.push_str(&format!(
                    ", {} after the filters",
                    format::count(visible.len())
                ));
            }
            (status, theme.hits)
        }
    };
    let text_rows = u16::try_from(text.len()).unwrap_or(u16::MAX);
    let [text_area, status_area, list_area] = Layout::vertical([
        Constraint::Length(text_rows),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(text), text_area);
    frame.render_widget(
        Paragraph::new(Line::styled(
            super::super::sanitize::sanitize(&status).into_owned(),
            style,
        )),
        status_area,
    );
    if matches!(run.state, QueryState::Done(_)) {
        chain::draw_list(frame, app, source, &visible, matches, list_area, focused);
    }
}
