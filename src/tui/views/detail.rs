//! An analytic's detail: what it detects, where, how, and the chains it produced.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::super::app::{App, ChainSource, DetailFocus, View};
use super::super::cursor::ListCursor;
use super::super::sanitize::{sanitize, sanitize_lines};
use super::super::tune::RerunState;
use super::wrap::wrap;
use super::{chain, labeled, pane, spinner};
use crate::engine::AnalyticSummary;

/// Rows above the chains: the heading with the chain count and the column header.
const CHAIN_CHROME_ROWS: usize = 2;

/// Draws a detail view; `view` must be a [`View::Detail`], anything else draws an empty pane.
///
/// The analytic's page (description, facts, query) takes the top and scrolls by rows; its
/// chains take the rest.
pub fn draw(frame: &mut Frame, app: &App, view: &View, area: Rect, focused: bool) {
    let View::Detail {
        analytic: index,
        chains: cursor,
        scroll,
        focus,
    } = view
    else {
        frame.render_widget(pane(app, " Detail ", focused), area);
        return;
    };
    let Some(analytic) = app.analytics.get(*index) else {
        frame.render_widget(pane(app, " Detail ", focused), area);
        return;
    };
    let block = Block::bordered();
    let inner = block.inner(area);
    let layout = layout(app, *index, inner);
    let height = usize::from(layout.page.height);
    let total = layout.rows.len();
    let start = (*scroll).min(total.saturating_sub(height));
    let chains_listed = !app.visible_chains(ChainSource::Analytic(*index)).is_empty();
    let page_focused = *focus == DetailFocus::Page || !chains_listed;
    let mut title = format!(" {} ", sanitize(&analytic.id));
    // The row range shows that the page scrolls, and where it is.
    if total > height {
        let end = (start + height).min(total);
        title.push_str(&format!("rows {}–{end} of {total} ", start + 1));
        if focused && chains_listed {
            let part = if page_focused { "chains" } else { "page" };
            title.push_str(&format!("(Tab: {part}) "));
        }
    }
    frame.render_widget(pane(app, title, focused), area);
    let rows: Vec<Line> = layout.rows.into_iter().skip(start).take(height).collect();
    frame.render_widget(Paragraph::new(rows), layout.page);
    draw_chains(
        frame,
        app,
        *index,
        cursor,
        layout.chains,
        focused && !page_focused,
    );
}

/// The detail pane's parts: the page wrapped into rows, where the page is drawn, and where the
/// chains are.
struct PageLayout {
    rows: Vec<Line<'static>>,
    page: Rect,
    chains: Rect,
}

fn layout(app: &App, index: usize, inner: Rect) -> PageLayout {
    let rows = match app.analytics.get(index) {
        Some(analytic) => wrap(&info_lines(app, analytic), usize::from(inner.width)),
        None => Vec::new(),
    };
    // The chains keep the rows they need, but the page always gets at least half the pane.
    let executable = app
        .analytics
        .get(index)
        .is_some_and(|a| a.executable.is_some());
    let chain_rows = if executable {
        app.visible_chains(ChainSource::Analytic(index)).len() + CHAIN_CHROME_ROWS
    } else {
        1
    };
    let height = usize::from(inner.height);
    let page_limit = height.saturating_sub(chain_rows).max(height / 2);
    let page_height = u16::try_from(rows.len().min(page_limit)).unwrap_or(u16::MAX);
    let [page, chains] =
        Layout::vertical([Constraint::Length(page_height), Constraint::Min(0)]).areas(inner);
    PageLayout { rows, page, chains }
}

/// Returns the rows the page of analytic `index` takes in a detail pane of `area`, and how many
/// of them the pane shows at once.
pub fn page_rows(app: &App, index: usize, area: Rect) -> (usize, usize) {
    let layout = layout(app, index, Block::bordered().inner(area));
    (layout.rows.len(), usize::from(layout.page.height))
}

fn info_lines<'a>(app: &App, analytic: &'a AnalyticSummary) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let mut lines = vec![Line::styled(
        sanitize(&analytic.description).into_owned(),
        theme.text,
    )];
    let techniques: Vec<String> = analytic
        .techniques
        .iter()
        .map(|(id, name)| format!("{} {}", sanitize(id), sanitize(name)))
        .collect();
    lines.push(labeled(app, "Techniques", techniques.join(", ")));
    lines.push(labeled(
        app,
        "Tactics",
        sanitize(&analytic.tactics.join(", ")),
    ));
    lines.push(labeled(
        app,
        "Platforms",
        sanitize(&analytic.platforms.join(", ")),
    ));
    if let Some((id, name)) = &analytic.strategy {
        lines.push(labeled(
            app,
            "Strategy",
            format!("{} {}", sanitize(id), sanitize(name)),
        ));
    }
    if !analytic.siblings.is_empty() {
        let siblings: Vec<String> = analytic
            .siblings
            .iter()
            .map(|(id, platforms)| format!("{} ({})", sanitize(id), sanitize(platforms)))
            .collect();
        lines.push(labeled(app, "Siblings", siblings.join(", ")));
    }
    lines.push(labeled(
        app,
        "Log sources",
        sanitize(&analytic.log_sources.join(", ")).into_owned(),
    ));
    // Coverage tells "nothing happened" apart from "no data to tell".
    let coverage = match &analytic.coverage {
        None => "unknown until the data is loaded".to_owned(),
        Some(c) if c.missing.is_empty() => format!("{}: every log source present", c.level.name()),
        Some(c) => format!(
            "{}: missing {}",
            c.level.name(),
            sanitize(&c.missing.join(", "))
        ),
    };
    lines.push(labeled(app, "Coverage", coverage));
    for (field, description) in &analytic.mutable_elements {
        let current = analytic
            .executable
            .as_ref()
            .and_then(|e| e.tunables.iter().find(|(name, _, _)| name == field))
            .map(|(_, value, _)| format!(" = {}", sanitize(value)))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled("Mutable ", theme.dim),
            Span::styled(format!("{}{current}", sanitize(field)), theme.filter),
            Span::styled(format!("  {}", sanitize(description)), theme.dim),
        ]));
    }
    match &analytic.executable {
        None => lines.push(Line::styled(
            "not executable: catalog entry only",
            theme.dim,
        )),
        Some(executable) => {
            lines.push(labeled(
                app,
                "Severity",
                format!(
                    "{}  file: {}",
                    sanitize(&executable.severity),
                    sanitize(&executable.path)
                ),
            ));
            lines.push(Line::styled("Query:", theme.dim));
            for line in sanitize_lines(&executable.query) {
                lines.push(Line::styled(format!("  {line}"), theme.accent));
            }
            // Every tunable is a mutable element, shown above with its value; only the help
            // text of the analytic file is added here.
            for (name, _, explanation) in &executable.tunables {
                lines.push(Line::from(vec![
                    Span::styled("Tunable ", theme.dim),
                    Span::styled(sanitize(name).into_owned(), theme.filter),
                    Span::styled(format!("  {}", sanitize(explanation)), theme.dim),
                ]));
            }
        }
    }
    lines
}

fn draw_chains(
    frame: &mut Frame,
    app: &App,
    index: usize,
    cursor: &ListCursor,
    area: Rect,
    focused: bool,
) {
    let theme = &app.theme;
    let executable = app
        .analytics
        .get(index)
        .is_some_and(|a| a.executable.is_some());
    let message = if !executable {
        Some("no chains: this analytic has no executable query".to_owned())
    } else if !app.findings_loaded {
        Some(format!("{} correlating…", spinner(app)))
    } else {
        None
    };
    if let Some(message) = message {
        frame.render_widget(Paragraph::new(message).style(theme.dim), area);
        return;
    }

    let source = ChainSource::Analytic(index);
    let chains = app.visible_chains(source);
    let total = app.chains(source).len();
    let mut heading = if chains.len() == total {
        format!("{total} chains")
    } else {
        format!("{} of {total} chains (filtered)", chains.len())
    };
    let mut heading_style = theme.hits;
    match app.rerun_state(index) {
        Some(RerunState::Running) => {
            heading = format!(
                "{} rerunning with the new tunables… ({heading} before)",
                spinner(app)
            );
            heading_style = theme.accent;
        }
        Some(RerunState::Failed(message)) => {
            heading = format!("rerun failed: {}", sanitize(message));
            heading_style = theme.error;
        }
        Some(RerunState::Done) => heading.push_str(" (rerun with the new tunables)"),
        None => {}
    }
    let [heading_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::styled(heading, heading_style)),
        heading_area,
    );
    chain::draw_list(frame, app, source, &chains, cursor, table_area, focused);
}
