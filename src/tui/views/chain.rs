//! A chain: its join keys above one line per step, with the time since the previous step.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::super::app::{App, ChainSource};
use super::super::cursor::ListCursor;
use super::super::format;
use super::super::sanitize::sanitize;
use super::{case_marks, case_title, ellipsize, pane, row_style};
use crate::engine::Chain;
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

/// Draws chain `chain` of `source` with the step under `cursor` selected.
pub fn draw(
    frame: &mut Frame,
    app: &App,
    source: ChainSource,
    chain: usize,
    cursor: &ListCursor,
    area: Rect,
    focused: bool,
) {
    let theme = &app.theme;
    let visible = app.visible_chains(source);
    let position = visible
        .iter()
        .position(|&c| c == chain)
        .map_or_else(|| "filtered out".to_owned(), |p| format!("{}", p + 1));
    let label = sanitize(&app.source_label(source)).into_owned();
    let title = format!(
        " {label} chain {position}/{} {}",
        visible.len(),
        case_title(app.chain_annotation(source, chain))
    );
    let block = pane(app, title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (Some(found), Some(store)) = (app.chain(source, chain), &app.store) else {
        frame.render_widget(Paragraph::new("chain not found").style(theme.dim), inner);
        return;
    };

    let mut keys = vec![Span::styled("join keys: ", theme.dim)];
    if found.join_keys.is_empty() {
        keys.push(Span::styled("none (single event)", theme.dim));
    } else if found.steps.is_empty() {
        keys = vec![Span::styled("counts: ", theme.dim)];
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
    let fixed = if compact {
        [8, 7, 16, 10, 10]
    } else {
        [19, 7, 26, 18, 14]
    };
    let last = last_column_width(table_area.width, &fixed);
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
            let source = event_source(store, step.event, compact);
            let activity = process_and_target(store, step.event);
            let text =
                |value: String, width: usize| Cell::from(ellipsize(&sanitize(&value), width));
            Some(
                Row::new(vec![
                    Cell::from(time(event.timestamp)),
                    Cell::from(Line::from(Span::styled(delta, theme.hits)).right_aligned()),
                    text(source, fixed[2]),
                    text(first_field(store, step.event, &["host.name"]), fixed[3]),
                    text(first_field(store, step.event, &["user.name"]), fixed[4]),
                    text(activity, last),
                ])
                .style(row_style(app, index == cursor.selected, focused)),
            )
        });
    let widths = fixed
        .into_iter()
        .map(|width| Constraint::Length(u16::try_from(width).unwrap_or(u16::MAX)))
        .chain([Constraint::Min(0)]);
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

/// Draws the rows of a chains list: `chains` are indices into the chains of `source`, in the
/// order shown, and `cursor` selects one of them.
pub fn draw_list(
    frame: &mut Frame,
    app: &App,
    source: ChainSource,
    chains: &[usize],
    cursor: &ListCursor,
    area: Rect,
    focused: bool,
) {
    let theme = &app.theme;
    let Some(store) = &app.store else {
        frame.render_widget(
            Paragraph::new("the events are not loaded").style(theme.dim),
            area,
        );
        return;
    };

    let compact = area.width < COMPACT_BELOW;
    // Narrow panes give the host less room, so the summary keeps some.
    let fixed = [6, 19, if compact { 12 } else { 18 }, 5];
    let last = last_column_width(area.width, &fixed);
    // One row goes to the column header.
    let height = usize::from(area.height.saturating_sub(1));
    let start = cursor.window_start(chains.len(), height);
    let rows = chains
        .iter()
        .enumerate()
        .skip(start)
        .take(height.max(1))
        .filter_map(|(position, &chain_index)| {
            let chain = app.chain(source, chain_index)?;
            let time = chain
                .first_time(store)
                .map(format::time)
                .unwrap_or_default();
            let host = chain.host(store).unwrap_or_default();
            let marks = case_marks(app.chain_annotation(source, chain_index));
            Some(
                Row::new(vec![
                    Cell::from(Span::styled(marks, theme.filter)),
                    Cell::from(time),
                    Cell::from(ellipsize(&sanitize(&host), fixed[2])),
                    Cell::from(chain.steps.len().to_string()),
                    Cell::from(ellipsize(
                        &sanitize(&chain_summary(store, chain, compact)),
                        last,
                    )),
                ])
                .style(row_style(app, position == cursor.selected, focused)),
            )
        });

    let widths = fixed
        .into_iter()
        .map(|width| Constraint::Length(u16::try_from(width).unwrap_or(u16::MAX)))
        .chain([Constraint::Min(0)]);
    let header = Row::new(["case", "first time", "host", "steps", "match"]).style(theme.dim);
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

/// Describes a chain in one line: its join keys, or for a chain of one event without any, what
/// that event did.
fn chain_summary(store: &EventStore, chain: &Chain, compact: bool) -> String {
    if !chain.join_keys.is_empty() {
        let keys: Vec<String> = chain
            .join_keys
            .iter()
            .map(|key| format!("{}={}", key.field, key.value))
            .collect();
        return keys.join(" ");
    }
    let [step] = chain.steps.as_slice() else {
        return String::new();
    };
    let source = event_source(store, step.event, compact);
    let activity = process_and_target(store, step.event);
    if activity.is_empty() {
        source
    } else {
        format!("{source} {activity}")
    }
}

/// Names where an event came from as its code and log source, such as `1 WinEventLog:Sysmon`.
/// The code goes first, because it distinguishes the events of one source. `compact` keeps
/// only the part of the source after its last colon, such as `1 Sysmon`.
pub(super) fn event_source(store: &EventStore, event: usize, compact: bool) -> String {
    let mut source = store.log_source(event);
    if compact {
        source = source.rsplit(':').next().unwrap_or(source);
    }
    match store.field(event, "event.code") {
        Some(code) => format!("{code} {source}"),
        None => source.to_owned(),
    }
}

/// Returns the width left to the last column of a table of `width` columns whose other columns
/// are `fixed` wide, with the table's one-column gaps between columns.
pub(super) fn last_column_width(width: u16, fixed: &[usize]) -> usize {
    let used: usize = fixed.iter().sum::<usize>() + fixed.len();
    usize::from(width).saturating_sub(used)
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
