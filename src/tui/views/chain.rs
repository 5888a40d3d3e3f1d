//! A chain: its join keys above one line per step, with the time since the previous step.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::super::app::App;
use super::super::cursor::ListCursor;
use super::super::format;
use super::super::sanitize::sanitize;
use super::{case_title, pane, row_style};
use crate::store::EventStore;

/// Pane width below which the steps table uses its compact columns.
const COMPACT_BELOW: u16 = 100;

/// Fields tried in order for the step's process column.
const PROCESS_FIELDS: [&str; 3] = ["process.name", "process.executable", "process.command_line"];

/// Fields tried in order for the object the step acted on.
const TARGET_FIELDS: [&str; 7] = [
    "file.path",
    "registry.path",
    "destination.ip",
    "dns.question.name",
    "url.full",
    "service.name",
    "user.target.name",
];

/// Draws chain `chain` of analytic `analytic` with the step under `cursor` selected.
pub fn draw(
    frame: &mut Frame,
    app: &App,
    analytic: usize,
    chain: usize,
    cursor: &ListCursor,
    area: Rect,
    focused: bool,
) {
    let theme = &app.theme;
    let visible = app.visible_chains(analytic);
    let position = visible
        .iter()
        .position(|&c| c == chain)
        .map_or_else(|| "filtered out".to_owned(), |p| format!("{}", p + 1));
    let id = app
        .analytics
        .get(analytic)
        .map(|a| sanitize(&a.id).into_owned())
        .unwrap_or_default();
    let title = format!(
        " {id} chain {position}/{} {}",
        visible.len(),
        case_title(app.chain_annotation(analytic, chain))
    );
    let block = pane(app, title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (Some(found), Some(store)) = (app.chain(analytic, chain), &app.store) else {
        frame.render_widget(Paragraph::new("chain not found").style(theme.dim), inner);
        return;
    };

    let mut keys = vec![Span::styled("join keys: ", theme.dim)];
    if found.join_keys.is_empty() {
        keys.push(Span::styled("none (single event)", theme.dim));
    }
    for key in &found.join_keys {
        keys.push(Span::styled(
            format!("{}=", sanitize(&key.field)),
            theme.dim,
        ));
        keys.push(Span::styled(
            format!("{}  ", sanitize(&key.value)),
            theme.filter,
        ));
    }
    // A Sigma match names its rule and author, as the Detection Rule License requires.
    if let Some(summary) = app
        .analytics
        .get(analytic)
        .filter(|a| a.id.starts_with(crate::sigma::FINDING_PREFIX))
    {
        let attribution = summary.description.lines().next().unwrap_or("");
        keys.push(Span::styled(sanitize(attribution).into_owned(), theme.dim));
    }
    let [keys_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(Line::from(keys)), keys_area);

    // Narrow panes drop the date, which the header's time range and the first step show, and
    // narrow the text columns so the process column keeps some room.
    let compact = table_area.width < COMPACT_BELOW;
    let time = |timestamp| {
        if compact {
            format::clock(timestamp)
        } else {
            format::time(timestamp)
        }
    };
    // One row goes to the column header.
    let height = usize::from(table_area.height.saturating_sub(1));
    let start = cursor.window_start(found.steps.len(), height);
    let rows = found
        .steps
        .iter()
        .enumerate()
        .skip(start)
        .take(height.max(1))
        .filter_map(|(index, step)| {
            let event = store.events().get(step.event)?;
            let previous = index
                .checked_sub(1)
                .and_then(|p| found.steps.get(p))
                .and_then(|p| store.events().get(p.event));
            let delta = previous
                .map(|p| format::delta(p.timestamp, event.timestamp))
                .unwrap_or_default();
            // The code goes first so that truncation cuts the long log source name instead.
            let source = match store.field(step.event, "event.code") {
                Some(code) => format!("{code} {}", store.log_source(step.event)),
                None => store.log_source(step.event).to_owned(),
            };
            let activity = process_and_target(store, step.event);
            let text = |value: String| Cell::from(sanitize(&value).into_owned());
            Some(
                Row::new(vec![
                    Cell::from(time(event.timestamp)),
                    Cell::from(Line::from(Span::styled(delta, theme.hits)).right_aligned()),
                    text(source),
                    text(first_field(store, step.event, &["host.name"])),
                    text(first_field(store, step.event, &["user.name"])),
                    text(activity),
                ])
                .style(row_style(app, index == cursor.selected, focused)),
            )
        });
    let widths = if compact {
        [8, 7, 16, 10, 10].map(Constraint::Length)
    } else {
        [19, 7, 22, 12, 12].map(Constraint::Length)
    };
    let widths = widths.into_iter().chain([Constraint::Min(0)]);
    let header = Row::new([
        "time",
        "delta",
        "event source",
        "host",
        "user",
        "process → target",
    ])
    .style(theme.dim);
    frame.render_widget(Table::new(rows, widths).header(header), table_area);
}

/// Describes activity an event did as `process → target`, leaving out a part the event lacks.
pub(super) fn process_and_target(store: &EventStore, event: usize) -> String {
    let mut activity = first_field(store, event, &PROCESS_FIELDS);
    let target = first_field(store, event, &TARGET_FIELDS);
    if !target.is_empty() {
        if !activity.is_empty() {
            activity.push_str(" → ");
        }
        activity.push_str(&target);
    }
    activity
}

/// Returns the first of `fields` that the event carries, as text, or an empty string.
pub(super) fn first_field(store: &EventStore, event: usize, fields: &[&str]) -> String {
    fields
        .iter()
        .find_map(|name| store.field(event, name))
        .map(|value| value.to_string())
        .unwrap_or_default()
}
