//! The EQL prompt driven by keys: errors with a caret, results that open as chains, the
//! history, and cancellation of replaced requests.

use std::sync::mpsc::Receiver;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::app::{App, ChainSource, Inbound, View};
use super::super::query::QueryState;
use super::{assert_snapshot, draw, loaded_app_with_worker, press, type_text};
use crate::engine::{CancelToken, Request, Update};
use crate::eql;

use KeyCode::{Char, Down, Enter, Esc, Up};

fn press_with(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    app.handle(Inbound::Key(KeyEvent::new(code, modifiers)));
    app.settle();
}

/// Types `text` into the open prompt, pressing Alt-Enter for each line break.
fn type_query(app: &mut App, text: &str) {
    for (number, line) in text.split('\n').enumerate() {
        if number > 0 {
            press_with(app, Enter, KeyModifiers::ALT);
        }
        type_text(app, line);
    }
}

/// Opens the prompt, types `text` and presses Enter.
fn submit(app: &mut App, text: &str) {
    press(app, &[Char(':')]);
    assert!(app.prompt.is_some(), ": did not open the prompt");
    type_query(app, text);
    press(app, &[Enter]);
}

/// Takes the query request the app sent, with its generation and token.
fn received_query(requests: &Receiver<Request>) -> (eql::Query, u64, CancelToken) {
    match requests.try_recv() {
        Ok(Request::Query {
            query,
            generation,
            cancel,
        }) => (*query, generation, cancel),
        Ok(other) => panic!("expected a query request, found {other:?}"),
        Err(error) => panic!("no query request was sent: {error}"),
    }
}

/// Runs the app's query request over the app's store as the worker does, and delivers the
/// result.
fn answer(app: &mut App, requests: &Receiver<Request>) {
    let (query, generation, cancel) = received_query(requests);
    let Some(store) = app.store.clone() else {
        panic!("the test app has no store");
    };
    let result = crate::engine::run_query(&store, &query, &eql::Options::default(), &cancel);
    let Some(result) = result else {
        panic!("the query was cancelled");
    };
    app.handle(Inbound::Update(Update::Query { generation, result }));
    app.settle();
}

const BAD_QUERY: &str = "sequence by host.name\n  [any wher event.code == \"1\"]";

const SEQUENCE: &str = "sequence by host.name with maxspan=5m\n  \
                        [any where event.code == \"1\"]\n  [any where event.code == \"11\"]";

#[test]
fn bad_query_shows_caret() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, BAD_QUERY);
    assert!(app.prompt.is_some(), "a malformed query closed the prompt");
    assert!(requests.try_recv().is_err(), "a malformed query was sent");
    let error = app.prompt.as_ref().and_then(|p| p.error.clone());
    assert_eq!(error.as_ref().and_then(|e| e.position), Some((2, 8)));

    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(
            screen.contains("invalid query at line 2, column 8"),
            "{screen}"
        );
        let lines: Vec<&str> = screen.lines().collect();
        // The error repeats the offending line, and the row under it has the caret.
        let quoted = lines
            .iter()
            .rposition(|line| line.contains("[any wher event.code"));
        let Some(quoted) = quoted else {
            panic!("the offending line is not shown:\n{screen}");
        };
        let token = lines[quoted].chars().position(|c| c == 'w');
        let caret = lines
            .get(quoted + 1)
            .and_then(|line| line.chars().position(|c| c == '^'));
        assert!(token.is_some(), "{screen}");
        assert_eq!(caret, token, "the caret is not under 'wher':\n{screen}");
    }
    // Fixing the text retires the error.
    press(&mut app, &[KeyCode::Left; 19]);
    type_text(&mut app, "e");
    let prompt = app.prompt.as_ref();
    assert_eq!(
        prompt.and_then(|p| p.error.clone()),
        None,
        "an edit kept the caret"
    );
    let text = prompt.map(|p| p.text()).unwrap_or_default();
    assert!(text.contains("[any where event.code"), "{text}");
}

#[test]
fn sequence_query_opens_chain_and_event() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, SEQUENCE);
    assert!(app.prompt.is_none(), "a valid query kept the prompt open");
    assert!(matches!(app.current(), View::Query { query: 0, .. }));
    let running = draw(&app, 80, 24);
    assert!(
        running.contains("running over the loaded events"),
        "{running}"
    );
    assert!(app.is_busy());

    answer(&mut app, &requests);
    assert!(!app.is_busy());
    let chains = app.chains(ChainSource::Query(0)).to_vec();
    assert_eq!(chains.len(), 1, "{chains:?}");
    let steps: Vec<usize> = chains[0].steps.iter().map(|s| s.event).collect();
    assert_eq!(steps, vec![0, 1]);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("Query 1"), "{screen}");
        assert!(screen.contains("1 match"), "{screen}");
        assert!(screen.contains("host.name=WS01"), "{screen}");
    }

    press(&mut app, &[Enter]);
    assert!(
        matches!(
            app.current(),
            View::Chain {
                source: ChainSource::Query(0),
                chain: 0,
                ..
            }
        ),
        "{:?}",
        app.current()
    );
    let chain = draw(&app, 80, 24);
    assert!(chain.contains("query 1 chain 1/1"), "{chain}");
    assert!(chain.contains("powershell.exe"), "{chain}");
    assert!(chain.contains("cmd.exe"), "{chain}");

    press(&mut app, &[Down, Enter]);
    assert!(matches!(app.current(), View::Event { event: 1, .. }));
    let event = draw(&app, 80, 24);
    assert!(
        event.contains("/cases/ws01-sysmon.evtx record 102"),
        "{event}"
    );

    press(&mut app, &[Esc]);
    assert!(matches!(app.current(), View::Chain { .. }));
    press(&mut app, &[Esc]);
    assert!(matches!(app.current(), View::Query { .. }));
    press(&mut app, &[Esc]);
    assert!(matches!(app.current(), View::Analytics(_)));
}

#[test]
fn event_query_lists_single_events() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, "any where host.name == \"SRV02\"");
    answer(&mut app, &requests);
    let chains = app.chains(ChainSource::Query(0));
    assert_eq!(chains.len(), 2);
    assert!(chains.iter().all(|c| c.steps.len() == 1));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("2 matches"), "{screen}");
    assert!(screen.contains("rundll32.exe"), "{screen}");
    // The filters narrow query matches as they narrow chains.
    app.handle(Inbound::Key(KeyEvent::new(Char('f'), KeyModifiers::NONE)));
    let ws01 = app
        .hosts
        .iter()
        .position(|entry| entry.value == "WS01")
        .unwrap_or(0);
    for _ in 0..=ws01 {
        press(&mut app, &[Down]);
    }
    press(&mut app, &[Enter]);
    assert_eq!(app.filters.host.as_deref(), Some("WS01"));
    assert!(app.visible_chains(ChainSource::Query(0)).is_empty());
    let filtered = draw(&app, 80, 24);
    assert!(filtered.contains("0 after the filters"), "{filtered}");
}

#[test]
fn history_recalls_queries() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, "any where true");
    answer(&mut app, &requests);
    submit(&mut app, "any where host.name == \"WS01\"");
    answer(&mut app, &requests);
    assert_eq!(app.query_history.len(), 2);

    press(&mut app, &[Char(':')]);
    let text = |app: &App| app.prompt.as_ref().map(|p| p.text()).unwrap_or_default();
    assert_eq!(text(&app), "", "the prompt did not open empty after a run");
    press(&mut app, &[Up]);
    assert_eq!(text(&app), "any where host.name == \"WS01\"");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("EQL query (history 2/2)"), "{screen}");
    press(&mut app, &[Up]);
    assert_eq!(text(&app), "any where true");
    press(&mut app, &[Up]);
    assert_eq!(
        text(&app),
        "any where true",
        "Up went past the oldest query"
    );
    press(&mut app, &[Down, Down]);
    assert_eq!(
        text(&app),
        "",
        "Down after the newest query shows the draft"
    );

    // Escape keeps the text for the next time the prompt opens.
    type_text(&mut app, "any where");
    press(&mut app, &[Esc]);
    assert!(app.prompt.is_none());
    press(&mut app, &[Char(':')]);
    assert_eq!(text(&app), "any where");
}

#[test]
fn multi_line_history_moves_cursor_first() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, SEQUENCE);
    answer(&mut app, &requests);
    submit(&mut app, "any where true");
    answer(&mut app, &requests);
    press(&mut app, &[Char(':'), Up, Up]);
    let text = |app: &App| app.prompt.as_ref().map(|p| p.text()).unwrap_or_default();
    assert_eq!(text(&app), SEQUENCE);
    // The cursor is on the last of three lines, so Up moves it before recalling anything.
    press(&mut app, &[Up, Up]);
    assert_eq!(text(&app), SEQUENCE);
    let row = app.prompt.as_ref().map(|p| p.input.cursor().0);
    assert_eq!(row, Some(0));
}

#[test]
fn new_query_cancels_running_one() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, "any where true");
    let (_, first_generation, first) = received_query(&requests);
    submit(&mut app, "any where host.name == \"WS01\"");
    let (query, second_generation, second) = received_query(&requests);
    assert!(first.is_cancelled(), "the replaced query still runs");
    assert!(!second.is_cancelled());
    assert_eq!(app.queries[0].state, QueryState::Cancelled);
    let screen = draw(&app, 200, 50);
    assert!(screen.contains("Query 2"), "{screen}");

    // A result that finished before the cancel arrived is dropped.
    app.handle(Inbound::Update(Update::Query {
        generation: first_generation,
        result: Err("late".to_owned()),
    }));
    assert_eq!(app.queries[0].state, QueryState::Cancelled);

    let Some(store) = app.store.clone() else {
        panic!("the test app has no store");
    };
    let result = crate::engine::run_query(&store, &query, &eql::Options::default(), &second);
    let Some(result) = result else {
        panic!("the newest query was cancelled");
    };
    app.handle(Inbound::Update(Update::Query {
        generation: second_generation,
        result,
    }));
    assert!(matches!(app.queries[1].state, QueryState::Done(_)));
}

#[test]
fn paste_keeps_line_breaks() {
    let (mut app, _requests) = loaded_app_with_worker();
    press(&mut app, &[Char(':')]);
    app.handle(Inbound::Paste(
        "sequence by host.name\r\n  [any where true]\n  [any where \u{1b}true]".to_owned(),
    ));
    let lines = app
        .prompt
        .as_ref()
        .map(|p| p.input.lines().to_vec())
        .unwrap_or_default();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        lines[2], "  [any where ␛true]",
        "control characters are shown"
    );
}

#[test]
fn ctrl_j_inserts_line_break() {
    let (mut app, _requests) = loaded_app_with_worker();
    press(&mut app, &[Char(':')]);
    type_text(&mut app, "any");
    press_with(&mut app, Char('j'), KeyModifiers::CONTROL);
    type_text(&mut app, "where true");
    let text = app.prompt.as_ref().map(|p| p.text()).unwrap_or_default();
    assert_eq!(text, "any\nwhere true");
}

#[test]
fn query_chain_goes_into_case() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, SEQUENCE);
    answer(&mut app, &requests);
    press(&mut app, &[Char('b')]);
    let entry = app.case.entries.first().map(|e| e.target.clone());
    let Some(super::super::case::Target::Chain { analytic, events }) = entry else {
        panic!("no chain was bookmarked: {:?}", app.case.entries);
    };
    assert!(
        analytic.starts_with("EQL: sequence by host.name"),
        "{analytic}"
    );
    assert_eq!(events.len(), 2);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains('★'), "{screen}");
}

#[test]
fn tuning_twice_cancels_first_rerun() {
    let (mut app, requests) = loaded_app_with_worker();
    press(&mut app, &[Enter, Char('e'), KeyCode::Backspace]);
    type_text(&mut app, "s");
    press(&mut app, &[Enter]);
    let first = match requests.try_recv() {
        Ok(Request::Rerun { cancel, .. }) => cancel,
        other => panic!("expected a rerun request, found {other:?}"),
    };
    press(&mut app, &[Char('e'), KeyCode::Backspace]);
    type_text(&mut app, "m");
    press(&mut app, &[Enter]);
    let second = match requests.try_recv() {
        Ok(Request::Rerun { cancel, .. }) => cancel,
        other => panic!("expected a second rerun request, found {other:?}"),
    };
    assert!(first.is_cancelled(), "the replaced rerun still runs");
    assert!(!second.is_cancelled());
}

#[test]
fn query_views_match_snapshots() {
    let (mut app, requests) = loaded_app_with_worker();
    submit(&mut app, BAD_QUERY);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert_snapshot(&format!("query-error-{width}x{height}"), &screen);
    }
    // Replace the text with a valid sequence.
    for _ in 0..3 {
        press_with(&mut app, Char('a'), KeyModifiers::CONTROL);
        press_with(&mut app, Char('k'), KeyModifiers::CONTROL);
        press(&mut app, &[KeyCode::Backspace]);
    }
    let cleared = app.prompt.as_ref().map(|p| p.text()).unwrap_or_default();
    assert_eq!(cleared, "");
    type_query(&mut app, SEQUENCE);
    press(&mut app, &[Enter]);
    answer(&mut app, &requests);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert_snapshot(&format!("query-results-{width}x{height}"), &screen);
    }
    press(&mut app, &[Enter]);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert_snapshot(&format!("query-chain-{width}x{height}"), &screen);
    }
}
