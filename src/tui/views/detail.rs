//! An analytic's detail: what it detects, where, how, and the chains it produced.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::super::app::App;
use super::super::cursor::ListCursor;
use super::super::format;
use super::super::sanitize::{sanitize, sanitize_lines};
use super::super::tune::RerunState;
use super::{case_marks, labeled, pane, row_style, spinner};
use crate::engine::AnalyticSummary;

/// Rows above the chains: the heading with the chain count and the column header.
const CHAIN_CHROME_ROWS: usize = 2;

/// Draws the detail of analytic `index`: its description and facts on top, its chains below.
pub fn draw(
    frame: &mut Frame,
    app: &App,
    index: usize,
    cursor: &ListCursor,
    area: Rect,
    focused: bool,
) {
    let Some(analytic) = app.analytics.get(index) else {
        frame.render_widget(pane(app, " Detail ", focused), area);
        return;
    };
    let title = format!(" {} ", sanitize(&analytic.id));
    let block = pane(app, title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let info = info_lines(app, analytic);
    // Wrapped lines take more than one row each, so the facts' height is counted in rows.
    let width = usize::from(inner.width.max(1));
    let info_rows: usize = info
        .iter()
        .map(|line| line.width().div_ceil(width).max(1))
        .sum();
    // The chains keep the rows they need, but the facts always get at least half the pane.
    let chain_rows = if analytic.executable.is_some() {
        app.visible_chains(index).len() + CHAIN_CHROME_ROWS
    } else {
        1
    };
    let rows = usize::from(inner.height);
    let info_limit = rows.saturating_sub(chain_rows).max(rows / 2);
    let info_height = u16::try_from(info_rows.min(info_limit)).unwrap_or(u16::MAX);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(info_height), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), top);
    draw_chains(frame, app, index, cursor, bottom, focused);
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

    let chains = app.visible_chains(index);
    let total = app.finding(index).map_or(0, |f| f.chains.len());
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
    let Some(store) = &app.store else {
        frame.render_widget(Paragraph::new(heading).style(theme.dim), area);
        return;
    };
    let height = usize::from(area.height).saturating_sub(CHAIN_CHROME_ROWS);
    let start = cursor.window_start(chains.len(), height);
    let rows = chains
        .iter()
        .enumerate()
        .skip(start)
        .take(height.max(1))
        .filter_map(|(position, &chain_index)| {
            let chain = app.chain(index, chain_index)?;
            let time = chain
                .first_time(store)
                .map(format::time)
                .unwrap_or_default();
            let host = chain.host(store).unwrap_or_default();
            let keys: Vec<String> = chain
                .join_keys
                .iter()
                .map(|k| format!("{}={}", sanitize(&k.field), sanitize(&k.value)))
                .collect();
            let marks = case_marks(app.chain_annotation(index, chain_index));
            Some(
                Row::new(vec![
                    Cell::from(Span::styled(marks, theme.filter)),
                    Cell::from(time),
                    Cell::from(sanitize(&host).into_owned()),
                    Cell::from(chain.steps.len().to_string()),
                    Cell::from(keys.join(" ")),
                ])
                .style(row_style(app, position == cursor.selected, focused)),
            )
        });

    let widths = [
        Constraint::Length(6),
        Constraint::Length(19),
        Constraint::Length(16),
        Constraint::Length(5),
        Constraint::Min(0),
    ];
    let [heading_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::styled(heading, heading_style)),
        heading_area,
    );
    let header = Row::new(["case", "first time", "host", "steps", "join keys"]).style(theme.dim);
    frame.render_widget(Table::new(rows, widths).header(header), table_area);
}
