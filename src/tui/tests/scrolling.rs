//! Scrolling that is not a list selection: an analytic's long page in the detail view, and the
//! event view's sideways scroll over long raw lines, at 80x24 and at a wide size.

use std::sync::Arc;

use crossterm::event::KeyCode;

use super::super::app::{App, DetailFocus, Inbound, View};
use super::{assert_snapshot, draw, loaded_app, loaded_app_with, options, press};
use crate::store::EventStore;

use KeyCode::{Char, Down, End, Enter, Esc, Home, PageDown, Tab, Up};

/// Builds a description of about 1,400 characters whose last sentence names its end.
fn long_description() -> String {
    let mut text = String::new();
    for n in 1..=20 {
        text.push_str(&format!(
            "Sentence {n} describes the behavior the analytic looks for in detail. "
        ));
    }
    text.push_str("This is the last sentence of the description.");
    text
}

fn app_with_long_description(id: &str) -> App {
    let mut app = loaded_app();
    for analytic in &mut app.analytics {
        if analytic.id == id {
            analytic.description = long_description();
        }
    }
    app
}

fn scroll_of(app: &App) -> Option<(usize, DetailFocus)> {
    match app.current() {
        View::Detail { scroll, focus, .. } => Some((*scroll, *focus)),
        _ => None,
    }
}

#[test]
fn detail_page_scrolls_without_chains() {
    // AN0900 has no executable query, so it lists no chains and the keys move its page.
    let mut app = app_with_long_description("AN0900");
    press(&mut app, &[Down, Down, Enter]);
    let top = draw(&app, 80, 24);
    assert!(top.contains("AN0900"), "{top}");
    assert!(top.contains("Sentence 1 describes"), "{top}");
    assert!(!top.contains("last sentence"), "{top}");
    assert!(
        top.contains("rows 1–"),
        "the title does not show the scroll: {top}"
    );

    press(&mut app, &[Char('j')]);
    assert_eq!(scroll_of(&app), Some((1, DetailFocus::Chains)));
    press(&mut app, &[PageDown]);
    let page = draw(&app, 80, 24);
    assert!(!page.contains("Sentence 1 describes"), "{page}");

    press(&mut app, &[End]);
    let bottom = draw(&app, 80, 24);
    assert!(
        bottom.contains("not executable: catalog entry only"),
        "{bottom}"
    );
    assert!(bottom.contains("last sentence"), "{bottom}");
    let (at_end, _) = scroll_of(&app).unwrap_or_default();
    press(&mut app, &[Char('j'), PageDown]);
    assert_eq!(
        scroll_of(&app).map(|(scroll, _)| scroll),
        Some(at_end),
        "the page scrolled past its last row"
    );

    press(&mut app, &[Char('k'), Home]);
    assert_eq!(scroll_of(&app).map(|(scroll, _)| scroll), Some(0));
}

#[test]
fn tab_moves_keys_to_page() {
    let mut app = app_with_long_description("AN0001");
    press(&mut app, &[Enter]);
    press(&mut app, &[Down]);
    let chains = |app: &App| match app.current() {
        View::Detail { chains, .. } => chains.selected,
        _ => usize::MAX,
    };
    assert_eq!(chains(&app), 1, "Down did not move the chain selection");
    assert_eq!(scroll_of(&app), Some((0, DetailFocus::Chains)));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("(Tab: page)"), "{screen}");

    press(&mut app, &[Tab, Down, Down]);
    assert_eq!(scroll_of(&app), Some((2, DetailFocus::Page)));
    assert_eq!(chains(&app), 1, "the page keys moved the chain selection");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("(Tab: chains)"), "{screen}");
    assert!(screen.contains("rows 3–"), "{screen}");

    // Enter still opens the selected chain.
    press(&mut app, &[Enter]);
    assert!(matches!(app.current(), View::Chain { chain: 1, .. }));
    press(&mut app, &[Esc, Tab, Up]);
    assert_eq!(chains(&app), 0);
    assert_eq!(scroll_of(&app), Some((2, DetailFocus::Chains)));
}

#[test]
fn wide_detail_shows_whole_page() {
    let mut app = app_with_long_description("AN0900");
    press(&mut app, &[Down, Down, Enter]);
    let screen = draw(&app, 200, 50);
    assert!(screen.contains("last sentence"), "{screen}");
    assert!(!screen.contains("rows 1–"), "{screen}");
}

/// Builds an app whose raw records have one line far wider than the screen, ending in a
/// marker.
fn app_with_long_raw_line() -> App {
    let mut options = options();
    options.raw_reader = Arc::new(|_store: &EventStore, _index: usize| {
        let padding = "x".repeat(300);
        Ok(format!(
            "{{\"CommandLine\": \"powershell -enc {padding} END-OF-LINE\"}}\nshort line"
        ))
    });
    loaded_app_with(&options)
}

#[test]
fn raw_record_scrolls_sideways() {
    let mut app = app_with_long_raw_line();
    press(&mut app, &[Enter, Enter, Enter, Char('r')]);
    let start = draw(&app, 80, 24);
    assert!(start.contains("{\"CommandLine\": \"powershell"), "{start}");
    assert!(!start.contains("END-OF-LINE"), "{start}");

    press(&mut app, &[Char('l'), KeyCode::Right]);
    let column = |app: &App| match app.current() {
        View::Event { column, .. } => *column,
        _ => usize::MAX,
    };
    assert_eq!(column(&app), 16);
    let moved = draw(&app, 80, 24);
    assert!(moved.contains("from column 17"), "{moved}");
    assert!(!moved.contains("{\"CommandLine\""), "{moved}");

    for _ in 0..100 {
        press(&mut app, &[Char('l')]);
    }
    let end = draw(&app, 80, 24);
    assert!(end.contains("END-OF-LINE\"}"), "{end}");
    // The scroll stops where the widest line ends at the right border.
    let last = column(&app);
    press(&mut app, &[Char('l')]);
    assert_eq!(column(&app), last);
    let row = end
        .lines()
        .find(|line| line.contains("END-OF-LINE"))
        .unwrap_or_default();
    assert!(row.ends_with("END-OF-LINE\"}│"), "{row}");

    press(&mut app, &[Char('h'), KeyCode::Left]);
    assert_eq!(column(&app), last - 16);
    for _ in 0..100 {
        press(&mut app, &[Char('h')]);
    }
    assert_eq!(column(&app), 0);

    // Scrolling sideways reaches a long line on a wide screen too.
    app.handle(Inbound::Resize(200, 50));
    for _ in 0..100 {
        press(&mut app, &[Char('l')]);
    }
    let wide = draw(&app, 200, 50);
    assert!(wide.contains("END-OF-LINE"), "{wide}");
}

#[test]
fn narrow_bars_cut_with_ellipsis() {
    let mut app = loaded_app();
    app.filters.host = Some("WS01".to_owned());
    app.filters.platform = Some("Windows".to_owned());
    app.filters.technique = Some("T1059.001".to_owned());
    app.filters.log_source = Some("WinEventLog:Sysmon".to_owned());
    app.filters.from = app.time_range.map(|(first, _)| first);
    app.handle(Inbound::Resize(80, 24));
    press(&mut app, &[Enter]);
    let screen = draw(&app, 80, 24);
    let lines: Vec<&str> = screen.lines().collect();
    let filter_bar = lines.get(2).copied().unwrap_or_default();
    assert!(filter_bar.contains('…'), "{filter_bar}");
    assert!(
        filter_bar.trim_end().ends_with("analytics"),
        "the count fell off: {filter_bar}"
    );
    let header = lines.get(1).copied().unwrap_or_default();
    assert!(header.contains("10:00 → 11:01"), "{header}");
    let status = lines.last().copied().unwrap_or_default();
    assert!(status.contains("? help"), "{status}");
    assert!(status.contains("e tune"), "{status}");
}

#[test]
fn scrolled_views_match_snapshots() {
    let mut app = app_with_long_description("AN0001");
    press(&mut app, &[Enter, Tab, PageDown]);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert_snapshot(&format!("detail-page-{width}x{height}"), &screen);
    }
    let mut app = app_with_long_raw_line();
    press(
        &mut app,
        &[Enter, Enter, Enter, Char('r'), Char('l'), Char('l')],
    );
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert_snapshot(&format!("event-raw-scrolled-{width}x{height}"), &screen);
    }
}
