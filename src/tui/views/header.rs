//! The header (sample marker, load totals, progress), the filter bar and the status line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::{App, FilterKind, View, Work};
use super::super::format;
use super::super::keymap::{Action, KEYMAP, key_name};
use super::super::sanitize::sanitize;
use super::wrap::text_width;
use super::{fit, spinner};

pub(super) fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut first = Vec::new();
    // The marker comes first so that no title length can push it off a narrow screen.
    if app.sample_data {
        first.push(Span::styled(" SAMPLE DATA ", theme.sample));
        first.push(Span::raw(" "));
    }
    first.push(Span::styled("Glexia ", theme.accent));
    first.push(Span::styled(sanitize(&app.title).into_owned(), theme.text));
    let width = usize::from(area.width);

    let second = match (&app.work, &app.summary) {
        (Work::Failed(message), _) => Line::from(vec![
            Span::styled("failed: ", theme.error),
            Span::styled(sanitize(message).into_owned(), theme.error),
        ]),
        (Work::Starting, None) => Line::from(Span::styled(
            format!("{} starting…", spinner(app)),
            theme.dim,
        )),
        (Work::Running { stage, done, total }, summary) => {
            let mut spans = vec![Span::styled(
                format!(
                    "{} {} {}{}",
                    spinner(app),
                    sanitize(stage),
                    done,
                    total.map(|t| format!("/{t}")).unwrap_or_default()
                ),
                theme.accent,
            )];
            if summary.is_some() {
                spans.push(Span::raw("  "));
                let room = width.saturating_sub(spans.iter().map(Span::width).sum());
                spans.extend(load_spans(app, room));
            }
            Line::from(spans)
        }
        _ => Line::from(load_spans(app, width)),
    };
    let lines = vec![
        Line::from(fit(first, width)),
        Line::from(fit(second.spans, width)),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

/// Describes the load in `width` columns or fewer where it can: the time range drops its
/// seconds, then the repeated date, before the line is cut.
fn load_spans(app: &App, width: usize) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let Some(summary) = &app.summary else {
        return vec![Span::styled("no data loaded", theme.dim)];
    };
    let mut parts = vec![
        format::counted(summary.files, "file", "files"),
        format::counted(summary.events, "event", "events"),
    ];
    if summary.skipped > 0 {
        parts.push(format!("{} skipped", format::count(summary.skipped)));
    }
    if summary.failed_files > 0 {
        let failed = format::counted(summary.failed_files, "file", "files");
        parts.push(format!("{failed} failed"));
    }
    parts.push(format::counted(app.hosts.len(), "host", "hosts"));
    if let Some((first, last)) = app.time_range {
        let (first, last) = (format::time(first), format::time(last));
        let full = format!("{first} → {last}");
        parts.push(full);
        if text_width(&parts.join(" · ")) > width {
            // `YYYY-MM-DD HH:MM`, and only `HH:MM` at the end when the day is the same.
            let minutes = |time: &str| time.get(..16).unwrap_or(time).to_owned();
            let end = match (first.get(..10), last.get(..10)) {
                (Some(a), Some(b)) if a == b => last.get(11..16).unwrap_or(&last).to_owned(),
                _ => minutes(&last),
            };
            parts.pop();
            parts.push(format!("{} → {end}", minutes(&first)));
        }
    }
    vec![Span::styled(parts.join(" · "), theme.text)]
}

pub(super) fn draw_filter_bar(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    for kind in FilterKind::ALL {
        let value = match kind {
            FilterKind::From => app.filters.from.map(format::time),
            FilterKind::To => app.filters.to.map(format::time),
            _ => app.filter_value(kind),
        };
        if let Some(value) = value {
            let name = kind.label();
            spans.push(Span::styled(format!("{name}="), theme.dim));
            spans.push(Span::styled(sanitize(&value).into_owned(), theme.filter));
            spans.push(Span::raw("  "));
        }
    }
    if app.typing || !app.search.is_empty() {
        spans.push(Span::styled("search: ", theme.dim));
        spans.push(Span::styled(
            sanitize(&app.search).into_owned(),
            theme.filter,
        ));
        if app.typing {
            spans.push(Span::styled("█", theme.filter));
        }
        spans.push(Span::raw("  "));
    }
    if spans.is_empty() {
        spans.push(Span::styled(
            format!(
                "no filter ({} filter, {} search)",
                key_for(Action::FilterPicker),
                key_for(Action::Search)
            ),
            theme.dim,
        ));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    // The count keeps its place at the right end, and the filters are cut before it.
    let count = if app.analytics_loaded {
        format!("{} of {} analytics", app.visible.len(), app.analytics.len())
    } else {
        String::new()
    };
    let count_width = u16::try_from(text_width(&count)).unwrap_or(u16::MAX);
    let [filters, counts] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(count_width)]).areas(area);
    let spans = fit(spans, usize::from(filters.width));
    frame.render_widget(Paragraph::new(Line::from(spans)), filters);
    frame.render_widget(
        Paragraph::new(Line::styled(count, theme.dim)).right_aligned(),
        counts,
    );
}

pub(super) fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    // Problems and errors go first: they matter more than hints when the line is cut.
    if let Some(error) = &app.input_error {
        spans.push(Span::styled(format!("{}  ", sanitize(error)), theme.error));
    }
    if let Some(notice) = &app.notice {
        spans.push(Span::styled(
            format!("{}  ", sanitize(notice)),
            theme.filter,
        ));
    }
    let (problems, not_logs) = app.summary.as_ref().map_or((0, 0), |s| {
        (s.problems.len().saturating_sub(s.not_logs), s.not_logs)
    });
    if problems > 0 {
        spans.push(Span::styled(
            format!(
                "{} ({})  ",
                format::counted(problems, "problem", "problems"),
                key_for(Action::Problems)
            ),
            theme.warning,
        ));
    } else if not_logs > 0 {
        // Notes and other files beside the logs are not problems, but the list names them.
        spans.push(Span::styled(
            format!(
                "{} ({})  ",
                format::counted(not_logs, "file not a log", "files not logs"),
                key_for(Action::Problems)
            ),
            theme.dim,
        ));
    }

    // Each hint has a rank. When the line is too narrow, the lowest ranks go first, so that the
    // help key, which lists every other key, stays.
    let mut hints = vec![(Action::Open, "open", 5), (Action::Back, "back", 5)];
    match app.current() {
        View::Detail { .. } => {
            hints.push((Action::Tune, "tune", 4));
            hints.push((Action::SwitchFocus, "page/chains", 4));
        }
        View::Chain { .. } => {
            hints.push((Action::NextChain, "next chain", 4));
            hints.push((Action::PreviousChain, "previous", 4));
        }
        View::Event { .. } => {
            hints.push((Action::Pivot, "pivot", 4));
            hints.push((Action::ToggleRaw, "raw", 4));
            hints.push((Action::Timeline, "timeline", 4));
            hints.push((Action::ScrollRight, "scroll right", 1));
        }
        _ => {}
    }
    hints.extend([
        (Action::QueryPrompt, "query", 2),
        (Action::Search, "search", 2),
        (Action::FilterPicker, "filter", 2),
        (Action::Help, "help", 6),
        (Action::Quit, "quit", 3),
    ]);
    if app.typing {
        hints = vec![
            (Action::Open, "keep search", 5),
            (Action::Back, "clear search", 5),
        ];
    }
    if app.prompt.is_some() {
        hints = vec![(Action::Open, "run query", 5), (Action::Back, "close", 5)];
    }

    let used: usize = spans.iter().map(Span::width).sum();
    let room = usize::from(area.width).saturating_sub(used);
    let width = |hints: &[(Action, &str, u8)]| -> usize {
        hints
            .iter()
            .map(|(action, label, _)| key_for(*action).chars().count() + label.chars().count() + 3)
            .sum()
    };
    while width(&hints) > room {
        let lowest = hints
            .iter()
            .enumerate()
            .min_by_key(|(position, (_, _, rank))| (*rank, std::cmp::Reverse(*position)))
            .map(|(position, (_, _, rank))| (position, *rank));
        match lowest {
            Some((position, rank)) if rank < 6 => {
                hints.remove(position);
            }
            _ => break,
        }
    }
    for (action, label, _) in hints {
        spans.push(Span::styled(key_for(action), theme.key));
        spans.push(Span::styled(format!(" {label}  "), theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Names the first key the keymap binds to `action` without a modifier, so that quitting shows
/// `q` rather than `Ctrl-c`.
fn key_for(action: Action) -> String {
    KEYMAP
        .iter()
        .filter(|binding| binding.action == action && binding.modifiers.is_empty())
        .map(key_name)
        .next()
        .unwrap_or_default()
}
