//! The header (sample marker, load totals, progress), the filter bar and the status line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::{App, FilterKind, View, Work};
use super::super::format;
use super::super::keymap::{Action, KEYMAP, key_name};
use super::super::sanitize::sanitize;
use super::spinner;

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
                spans.extend(load_spans(app));
            }
            Line::from(spans)
        }
        _ => Line::from(load_spans(app)),
    };
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

fn load_spans(app: &App) -> Vec<Span<'static>> {
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
        parts.push(format!("{} → {}", format::time(first), format::time(last)));
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
    } else if app.analytics_loaded {
        spans.push(Span::styled(
            format!("{} of {} analytics", app.visible.len(), app.analytics.len()),
            theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
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
    let problems = app.summary.as_ref().map_or(0, |s| s.problems.len());
    if problems > 0 {
        spans.push(Span::styled(
            format!(
                "{} ({})  ",
                format::counted(problems, "problem", "problems"),
                key_for(Action::Problems)
            ),
            theme.warning,
        ));
    }

    let mut hints = vec![(Action::Open, "open"), (Action::Back, "back")];
    match app.current() {
        View::Detail { .. } => hints.push((Action::Tune, "tune")),
        View::Chain { .. } => {
            hints.push((Action::NextChain, "next chain"));
            hints.push((Action::PreviousChain, "previous"));
        }
        View::Event { .. } => {
            hints.push((Action::Pivot, "pivot"));
            hints.push((Action::ToggleRaw, "raw"));
            hints.push((Action::Timeline, "timeline"));
        }
        _ => {}
    }
    hints.extend([
        (Action::Search, "search"),
        (Action::FilterPicker, "filter"),
        (Action::Help, "help"),
        (Action::Quit, "quit"),
    ]);
    if app.typing {
        hints = vec![
            (Action::Open, "keep search"),
            (Action::Back, "clear search"),
        ];
    }

    for (action, label) in hints {
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
