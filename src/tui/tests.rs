//! Headless tests: the app driven by key sequences and engine updates, and every view drawn on a
//! test backend at 80x24 and 160x48 from a hand-built store.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::app::{App, ChainSource, FilterKind, Inbound, Overlay, View};
use super::theme::Theme;
use super::tune::RerunState;
use super::{TuiOptions, views};
use crate::analytics::Analytic;
use crate::engine::{
    AnalyticSummary, Chain, ChainStep, ExecutableSummary, Finding, JoinKey, LoadSummary, Request,
    Update,
};
use crate::store::{EventBuilder, EventStore, Origin, Platform, SourceFile};

const SECOND: i64 = 1_000_000_000;
/// 2024-03-01 10:00:00 UTC.
const START: i64 = 1_709_287_200 * SECOND;
/// Number of analytics in the catalog the UI is built for, so that scrolling is tested at scale.
const CATALOG_SIZE: usize = 1739;

fn event(
    store: &mut EventStore,
    offset_seconds: i64,
    fields: &[(&'static str, &str)],
    record: u64,
) {
    let origin = Origin {
        file: 0,
        record,
        offset: None,
    };
    let mut builder = EventBuilder::new(
        START + offset_seconds * SECOND,
        "WinEventLog:Sysmon",
        Platform::Windows,
        origin,
    );
    for (name, value) in fields {
        builder.field(*name, *value);
    }
    store.push(builder);
}

/// Four events on two hosts; the last two carry hostile text.
fn store() -> Arc<EventStore> {
    let mut store = EventStore::new();
    store.add_file(SourceFile {
        path: PathBuf::from("/cases/ws01-sysmon.evtx"),
        format: "evtx",
    });
    event(
        &mut store,
        0,
        &[
            ("host.name", "WS01"),
            ("user.name", "alice"),
            ("process.name", "powershell.exe"),
            ("event.code", "1"),
        ],
        101,
    );
    event(
        &mut store,
        62,
        &[
            ("host.name", "WS01"),
            ("user.name", "alice"),
            ("process.name", "cmd.exe"),
            ("file.path", "C:\\Temp\\a.bat"),
            ("event.code", "11"),
        ],
        102,
    );
    event(
        &mut store,
        100,
        &[
            ("host.name", "SRV02"),
            ("user.name", "bob\u{1b}[31m"),
            ("process.name", "evil\u{202e}gpj.exe"),
            ("event.code", "1"),
        ],
        103,
    );
    event(
        &mut store,
        3_700,
        &[("host.name", "SRV02"), ("process.name", "rundll32.exe")],
        104,
    );
    store.sort();
    Arc::new(store)
}

fn analytic(id: &str, technique: &str, platform: &str, executable: bool) -> AnalyticSummary {
    AnalyticSummary {
        id: id.to_owned(),
        description: format!("Detects activity of {technique} on {platform}"),
        platforms: vec![platform.to_owned()],
        techniques: vec![(technique.to_owned(), format!("Technique {technique}"))],
        tactics: vec!["Execution".to_owned()],
        strategy: Some(("DET0001".to_owned(), "Strategy one".to_owned())),
        log_sources: vec!["WinEventLog:Sysmon (EventCode=1)".to_owned()],
        data_present: platform == "Windows",
        executable: executable.then(|| ExecutableSummary {
            path: format!("analytics/{id}.toml"),
            severity: "high".to_owned(),
            query: "sequence by host.name\n  [process where process.name == \"powershell.exe\"]"
                .to_owned(),
            tunables: vec![(
                "window".to_owned(),
                "5m".to_owned(),
                "maximum time between steps".to_owned(),
            )],
        }),
        coverage: None,
        mutable_elements: vec![("window".to_owned(), "Time between steps".to_owned())],
        siblings: vec![("AN9001".to_owned(), "Linux".to_owned())],
    }
}

/// Builds a catalog the size of the real one: two executable analytics, one with hits, and
/// filler.
fn catalog() -> Vec<AnalyticSummary> {
    let mut analytics = vec![
        analytic("AN0900", "T1003", "Linux", false),
        analytic("AN0002", "T1059.003", "Windows", true),
        analytic("AN0001", "T1059.001", "Windows", true),
    ];
    for n in analytics.len()..CATALOG_SIZE {
        analytics.push(analytic(
            &format!("AN{:04}", 1000 + n),
            "T1105",
            "macOS",
            false,
        ));
    }
    analytics
}

fn chain(host: &str, events: [usize; 2]) -> Chain {
    Chain {
        join_keys: vec![JoinKey {
            field: "host.name".to_owned(),
            value: host.to_owned(),
        }],
        steps: vec![
            ChainStep {
                step: 0,
                event: events[0],
            },
            ChainStep {
                step: 1,
                event: events[1],
            },
        ],
    }
}

fn options() -> TuiOptions {
    TuiOptions {
        sample_data: true,
        title: "samples/ a very long list of paths that would push a marker off the screen"
            .to_owned(),
        raw_reader: Arc::new(|_store: &EventStore, index: usize| {
            if index == 3 {
                Err("record 104 is past the end of the file".to_owned())
            } else {
                Ok(format!(
                    "<Event>\r\n\t<Data>\u{1b}]0;owned\u{7}</Data>\n\t<Index>{index}</Index>\n</Event>"
                ))
            }
        }),
        theme: Theme::default(),
        analytics: vec![runnable_analytic()],
        requests: None,
        case: super::case::Case::default(),
        case_path: PathBuf::from("glexia-case.json"),
    }
}

/// The runnable form of AN0001, with the same tunable the catalog summary shows.
fn runnable_analytic() -> Analytic {
    let text = "id = \"AN0001\"\ntitle = \"t\"\nplatform = \"Windows\"\n\
                technique = \"T1059.001\"\nseverity = \"high\"\nnotes = \"n\"\n\
                query = 'sequence by host.name with maxspan={{window}} \
                [process where true] [file where true]'\n\
                [[reads]]\nlog_source = \"WinEventLog:Sysmon\"\n\
                [tunables.window]\nkind = \"duration\"\ndefault = \"5m\"\n\
                help = \"maximum time between steps\"\n";
    match Analytic::from_toml(std::path::Path::new("analytics/AN0001.toml"), text) {
        Ok(analytic) => analytic,
        Err(error) => panic!("test analytic failed to load: {error}"),
    }
}

/// Builds an app that has received the catalog, the store and the findings.
fn loaded_app() -> App {
    loaded_app_with(&options())
}

/// Builds a loaded app whose rerun requests arrive on the returned receiver.
fn loaded_app_with_worker() -> (App, std::sync::mpsc::Receiver<Request>) {
    let (sender, receiver) = crate::engine::request_channel();
    let mut options = options();
    options.requests = Some(sender);
    (loaded_app_with(&options), receiver)
}

fn loaded_app_with(options: &TuiOptions) -> App {
    let mut app = App::new(options);
    app.handle(Inbound::Resize(80, 24));
    let updates = vec![
        Update::Analytics(catalog()),
        Update::Loaded {
            store: store(),
            summary: LoadSummary {
                files: 1,
                events: 4,
                skipped: 1,
                failed_files: 0,
                problems: vec!["/cases/ws01-sysmon.evtx record 7: invalid XML".to_owned()],
                not_logs: 0,
            },
        },
        Update::Findings(vec![Finding {
            analytic: "AN0001".to_owned(),
            chains: vec![chain("WS01", [0, 1]), chain("SRV02", [2, 3])],
        }]),
    ];
    for update in updates {
        app.handle(Inbound::Update(update));
    }
    app.settle();
    app
}

fn press(app: &mut App, codes: &[KeyCode]) {
    for code in codes {
        app.handle(Inbound::Key(KeyEvent::new(*code, KeyModifiers::NONE)));
    }
    app.settle();
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle(Inbound::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    app.settle();
}

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(terminal) => terminal,
        Err(error) => panic!("test backend failed: {error}"),
    };
    if let Err(error) = terminal.draw(|frame| views::draw(frame, app)) {
        panic!("draw failed: {error}");
    }
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn selected_analytic(app: &App) -> Option<&str> {
    let View::Analytics(cursor) = app.path.first()? else {
        return None;
    };
    let index = *app.visible.get(cursor.selected)?;
    Some(app.analytics[index].id.as_str())
}

use KeyCode::{Backspace, Char, Down, End, Enter, Esc, Home, PageDown, Up};

#[test]
fn first_frame_shows_loading() {
    let app = App::new(&options());
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("SAMPLE DATA"), "{screen}");
    assert!(screen.contains("loading the catalog"), "{screen}");
    assert!(screen.contains("starting"), "{screen}");
}

#[test]
fn precomputed_facets_match_update() {
    let summary = LoadSummary {
        files: 1,
        events: 4,
        ..LoadSummary::default()
    };
    let mut from_update = App::new(&options());
    from_update.handle(Inbound::Update(Update::Loaded {
        store: store(),
        summary: summary.clone(),
    }));
    let mut precomputed = App::new(&options());
    let store = store();
    let facets = Box::new(super::model::StoreFacets::of(&store));
    precomputed.handle(Inbound::Loaded {
        store,
        summary,
        facets,
    });

    assert!(!precomputed.hosts.is_empty());
    assert_eq!(precomputed.hosts, from_update.hosts);
    assert!(precomputed.time_range.is_some());
    assert_eq!(precomputed.time_range, from_update.time_range);
    for kind in [FilterKind::LogSource, FilterKind::From, FilterKind::To] {
        assert_eq!(
            precomputed.picker_entries(kind),
            from_update.picker_entries(kind),
            "{kind:?}"
        );
    }
    assert_eq!(precomputed.store.as_ref().map(|s| s.len()), Some(4));
    assert_eq!(draw(&precomputed, 80, 24), draw(&from_update, 80, 24));
}

#[test]
fn sample_marker_fits_narrow_screen() {
    let app = loaded_app();
    let screen = draw(&app, 80, 24);
    let first_line = screen.lines().next().unwrap_or_default();
    assert!(first_line.contains("SAMPLE DATA"), "{first_line}");
}

#[test]
fn no_sample_marker_for_real_data() {
    let mut options = options();
    options.sample_data = false;
    let app = App::new(&options);
    assert!(!draw(&app, 80, 24).contains("SAMPLE DATA"));
}

#[test]
fn header_shows_load_totals() {
    let app = loaded_app();
    let screen = draw(&app, 160, 48);
    assert!(screen.contains("1 file ·"), "{screen}");
    assert!(screen.contains("4 events"), "{screen}");
    assert!(screen.contains("1 skipped"), "{screen}");
    assert!(screen.contains("2 hosts"), "{screen}");
    assert!(
        screen.contains("2024-03-01 10:00:00 → 2024-03-01 11:01:40"),
        "{screen}"
    );
    assert!(screen.contains("1 problem (!)"), "{screen}");
}

#[test]
fn header_counts_files_not_logs_apart() {
    let mut app = App::new(&options());
    let summary = LoadSummary {
        files: 2,
        events: 4,
        skipped: 0,
        failed_files: 0,
        problems: vec!["/cases/README.md: file: unsupported format".to_owned()],
        not_logs: 1,
    };
    app.handle(Inbound::Update(Update::Loaded {
        store: store(),
        summary,
    }));
    app.settle();
    let screen = draw(&app, 160, 48);
    assert!(screen.contains("1 file not a log (!)"), "{screen}");
    assert!(!screen.contains("problem"), "{screen}");
    press(&mut app, &[Char('!')]);
    let overlay = draw(&app, 80, 24);
    assert!(overlay.contains("README.md"), "{overlay}");
}

#[test]
fn header_shows_progress() {
    let mut app = App::new(&options());
    app.handle(Inbound::Update(Update::Progress {
        stage: "loading".to_owned(),
        done: 3,
        total: Some(10),
    }));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("loading 3/10"), "{screen}");
    assert!(app.is_busy());
}

#[test]
fn header_shows_failure() {
    let mut app = App::new(&options());
    app.handle(Inbound::Update(Update::Failed(
        "catalog not found".to_owned(),
    )));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("failed: catalog not found"), "{screen}");
    assert!(!app.is_busy());
}

#[test]
fn list_sorts_hits_first() {
    let app = loaded_app();
    assert_eq!(app.visible.len(), CATALOG_SIZE);
    assert_eq!(selected_analytic(&app), Some("AN0001"));
    let second = app.visible.get(1).map(|&i| app.analytics[i].id.as_str());
    assert_eq!(second, Some("AN0002"));
    let screen = draw(&app, 80, 24);
    let row = screen
        .lines()
        .find(|l| l.contains("AN0001"))
        .unwrap_or_default();
    assert!(row.contains("T1059.001"), "{row}");
    assert!(row.contains(" 2 "), "hit count missing: {row}");
    assert!(row.contains("ED"), "markers missing: {row}");
}

#[test]
fn hits_wait_for_findings() {
    let mut app = App::new(&options());
    app.handle(Inbound::Update(Update::Analytics(catalog())));
    app.settle();
    let screen = draw(&app, 80, 24);
    let row = screen
        .lines()
        .find(|l| l.contains("AN0001"))
        .unwrap_or_default();
    assert!(row.contains('…'), "{row}");
}

#[test]
fn list_scrolls_to_end() {
    let mut app = loaded_app();
    press(&mut app, &[End]);
    let last = app.visible.last().map(|&i| app.analytics[i].id.clone());
    assert_eq!(selected_analytic(&app).map(str::to_owned), last);
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains(&format!("AN{:04}", 1000 + CATALOG_SIZE - 1)),
        "{screen}"
    );
    press(&mut app, &[Home, PageDown, Down, Up]);
    let View::Analytics(cursor) = &app.path[0] else {
        panic!("root is not the analytics list");
    };
    assert_eq!(cursor.selected, 17);
}

#[test]
fn wide_screen_shows_preview() {
    let app = loaded_app();
    let screen = draw(&app, 160, 48);
    assert!(screen.contains("Analytics 1739/1739"), "{screen}");
    assert!(
        screen.contains("Techniques: T1059.001 Technique T1059.001"),
        "{screen}"
    );
    assert!(screen.contains("2 chains"), "{screen}");
}

#[test]
fn detail_lists_chains_and_query() {
    let mut app = loaded_app();
    press(&mut app, &[Enter]);
    assert!(matches!(app.current(), View::Detail { .. }));
    let screen = draw(&app, 160, 48);
    assert!(
        screen.contains("Strategy: DET0001 Strategy one"),
        "{screen}"
    );
    assert!(screen.contains("sequence by host.name"), "{screen}");
    assert!(screen.contains("window = 5m"), "{screen}");
    assert!(screen.contains("host.name=SRV02"), "{screen}");
    let narrow = draw(&app, 80, 24);
    assert!(narrow.contains("2 chains"), "{narrow}");
    assert!(narrow.contains("2024-03-01 10:00:00"), "{narrow}");
}

#[test]
fn chain_shows_step_deltas() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Enter]);
    assert!(matches!(app.current(), View::Chain { chain: 0, .. }));
    for (width, height) in [(80, 24), (160, 48)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("+1m02s"), "{screen}");
        assert!(screen.contains("host.name=WS01"), "{screen}");
        assert!(screen.contains("chain 1/2"), "{screen}");
    }
    let wide = draw(&app, 160, 48);
    assert!(wide.contains("cmd.exe → C:\\Temp\\a.bat"), "{wide}");
    assert!(wide.contains("11 Sysmon"), "{wide}");
    let wider = draw(&app, 240, 48);
    assert!(wider.contains("2024-03-01 10:01:02"), "{wider}");
    assert!(wider.contains("11 WinEventLog:Sysmon"), "{wider}");
    // A narrow pane keeps the source's last part and marks a cut target with an ellipsis.
    let narrow = draw(&app, 80, 24);
    assert!(narrow.contains("10:01:02"), "{narrow}");
    assert!(narrow.contains("11 Sysmon"), "{narrow}");
    let tight = draw(&app, 75, 24);
    let row = tight
        .lines()
        .find(|line| line.contains("cmd.exe → C:"))
        .unwrap_or_default();
    assert!(row.ends_with("…│"), "{tight}");
}

#[test]
fn event_text_is_sanitized() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Down, Enter, Enter]);
    assert!(matches!(app.current(), View::Event { event: 2, .. }));
    for (width, height) in [(80, 24), (160, 48)] {
        let screen = draw(&app, width, height);
        assert!(!screen.contains('\u{1b}'), "raw ESC reached the screen");
        assert!(
            !screen.contains('\u{202e}'),
            "bidi override reached the screen"
        );
        assert!(screen.contains("bob␛[31m"), "{screen}");
        assert!(screen.contains("evil<U+202E>gpj.exe"), "{screen}");
        assert!(
            screen.contains("/cases/ws01-sysmon.evtx record 103"),
            "{screen}"
        );
    }
    press(&mut app, &[Char('r')]);
    let wide = draw(&app, 160, 48);
    assert!(wide.contains("<Data>␛]0;owned␇</Data>"), "{wide}");
    assert!(!wide.contains('\u{1b}'), "raw ESC reached the screen");
}

#[test]
fn raw_record_toggles() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Enter, Enter]);
    let hidden = draw(&app, 160, 48);
    assert!(hidden.contains("raw record hidden"), "{hidden}");
    assert!(!hidden.contains("<Event>"), "{hidden}");
    // Showing the raw record scrolls to it, even on a screen too short for the fields.
    press(&mut app, &[Char('r')]);
    let shown = draw(&app, 80, 24);
    assert!(shown.contains("Raw record"), "{shown}");
    assert!(shown.contains("<Event>"), "{shown}");
    press(&mut app, &[Char('r')]);
    let screen = draw(&app, 160, 48);
    assert!(screen.contains("raw record hidden"), "{screen}");
}

#[test]
fn raw_reader_failure_is_shown() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Down, Enter, Down, Enter]);
    assert!(matches!(app.current(), View::Event { event: 3, .. }));
    press(&mut app, &[Char('r')]);
    let screen = draw(&app, 160, 48);
    assert!(screen.contains("past the end of the file"), "{screen}");
}

#[test]
fn timeline_shows_host_events() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Down, Enter, Enter, Char('t')]);
    let View::Timeline {
        host,
        anchor,
        chain_events,
        events,
        cursor,
    } = app.current()
    else {
        panic!("t did not open the timeline");
    };
    assert_eq!(host, "SRV02");
    assert_eq!(*anchor, 2);
    assert_eq!(events, &vec![2, 3]);
    assert_eq!(chain_events, &vec![2, 3], "the chain's steps are marked");
    assert_eq!(cursor.selected, 0);
    for (width, height) in [(80, 24), (160, 48)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("Timeline of SRV02 (2 events)"), "{screen}");
        assert!(screen.contains("+1h00m"), "{screen}");
        assert!(screen.contains("rundll32.exe"), "{screen}");
        assert!(screen.contains("● chain step"), "{screen}");
        assert!(screen.contains("●"), "{screen}");
        assert!(!screen.contains('\u{1b}'), "raw ESC reached the screen");
    }
    press(&mut app, &[Down, Enter]);
    assert!(matches!(app.current(), View::Event { event: 3, .. }));
    press(&mut app, &[Esc, Esc]);
    assert!(matches!(app.current(), View::Event { event: 2, .. }));
}

#[test]
fn enter_and_back_walk_path() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Enter, Enter]);
    assert_eq!(app.path.len(), 4);
    assert!(matches!(app.current(), View::Event { event: 0, .. }));
    press(&mut app, &[Enter]);
    assert!(matches!(app.current(), View::Pivot { .. }), "Enter pivots");
    press(&mut app, &[Esc, Esc, Esc]);
    assert!(matches!(app.current(), View::Detail { .. }));
    press(&mut app, &[Backspace, Esc, Esc]);
    assert_eq!(app.path.len(), 1);
    assert!(!app.should_quit());
}

#[test]
fn next_and_previous_chain() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Enter, Char('n')]);
    assert!(matches!(app.current(), View::Chain { chain: 1, .. }));
    assert!(draw(&app, 80, 24).contains("chain 2/2"));
    press(&mut app, &[Char('n')]);
    assert!(matches!(app.current(), View::Chain { chain: 1, .. }));
    press(&mut app, &[Char('p')]);
    assert!(matches!(app.current(), View::Chain { chain: 0, .. }));
    press(&mut app, &[Char('n'), Esc]);
    let View::Detail { chains, .. } = app.current() else {
        panic!("back did not reach the detail view");
    };
    assert_eq!(
        chains.selected, 1,
        "detail should select the chain last shown"
    );
}

#[test]
fn host_filter_narrows_chains() {
    let mut app = loaded_app();
    press(&mut app, &[Char('f')]);
    assert!(matches!(
        app.overlay,
        Some(Overlay::Picker {
            kind: FilterKind::Host,
            ..
        })
    ));
    let picker = draw(&app, 80, 24);
    assert!(picker.contains("SRV02"), "{picker}");
    assert!(picker.contains("[host]"), "{picker}");
    // Both hosts have two events, so they sort by name: row 1 is SRV02 and row 2 is WS01.
    press(&mut app, &[Down, Down, Enter]);
    assert_eq!(app.filters.host.as_deref(), Some("WS01"));
    assert!(app.overlay.is_none());
    assert!(draw(&app, 80, 24).contains("host=WS01"));
    press(&mut app, &[Char('f'), Down, Enter]);
    assert_eq!(app.filters.host.as_deref(), Some("SRV02"));
    let index = app.analytics.iter().position(|a| a.id == "AN0001");
    assert_eq!(index.and_then(|i| app.hits[i]), Some(1));
    press(&mut app, &[Enter]);
    assert_eq!(
        app.visible_chains(ChainSource::Analytic(index.unwrap_or(0))),
        vec![1]
    );
    press(&mut app, &[Enter]);
    assert!(matches!(app.current(), View::Chain { chain: 1, .. }));
    press(&mut app, &[Char('p')]);
    assert!(matches!(app.current(), View::Chain { chain: 1, .. }));
}

#[test]
fn picker_filters_analytics() {
    let mut app = loaded_app();
    press(&mut app, &[Char('f'), KeyCode::Tab]);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("[platform]"), "{screen}");
    assert!(screen.contains("macOS"), "{screen}");
    // The filler makes macOS the most common platform, so it is the first value.
    press(&mut app, &[Down, Enter]);
    assert_eq!(app.filters.platform.as_deref(), Some("macOS"));
    assert_eq!(app.visible.len(), CATALOG_SIZE - 3);
    press(&mut app, &[Char('f'), KeyCode::Tab, Char('x'), Esc]);
    assert_eq!(app.filters.platform, None);
    press(&mut app, &[Char('f'), KeyCode::Tab, KeyCode::Tab]);
    assert!(draw(&app, 80, 24).contains("[technique]"));
    press(&mut app, &[Down, Down, Enter]);
    assert!(app.filters.technique.is_some());
    assert!(app.visible.len() < CATALOG_SIZE);
    press(
        &mut app,
        &[Char('f'), KeyCode::Right, KeyCode::Right, Char('x')],
    );
    assert_eq!(app.filters.technique, None);
    press(&mut app, &[KeyCode::Right]);
    assert!(draw(&app, 80, 24).contains("[tactic]"));
    press(&mut app, &[Down, Enter]);
    assert_eq!(app.filters.tactic.as_deref(), Some("Execution"));
    assert!(draw(&app, 80, 24).contains("tactic=Execution"));
    press(&mut app, &[Char('f'), Down, Enter]);
    assert!(app.filters.host.is_some());
    press(&mut app, &[Char('F')]);
    assert!(!app.filters.is_active());
    assert_eq!(app.visible.len(), CATALOG_SIZE);
}

#[test]
fn picker_narrows_by_typed_text() {
    let mut app = loaded_app();
    press(
        &mut app,
        &[Char('f'), KeyCode::Tab, KeyCode::Tab, Char('/')],
    );
    type_text(&mut app, "q1003");
    assert!(
        !app.should_quit(),
        "q is typed, not a command, while narrowing"
    );
    press(
        &mut app,
        &[Backspace, Backspace, Backspace, Backspace, Backspace],
    );
    type_text(&mut app, "1003");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("/1003"), "{screen}");
    assert!(screen.contains("T1003 Technique T1003"), "{screen}");
    assert!(!screen.contains("Technique T1105"), "{screen}");
    press(&mut app, &[Enter, Down, Enter]);
    assert_eq!(app.filters.technique.as_deref(), Some("T1003"));
    assert_eq!(selected_analytic(&app), Some("AN0900"));
    press(&mut app, &[Char('f'), Char('/')]);
    type_text(&mut app, "nohost");
    assert!(draw(&app, 80, 24).contains("no value contains the typed text"));
    press(&mut app, &[Esc]);
    assert!(
        matches!(&app.overlay, Some(Overlay::Picker { query, typing: false, .. }) if query.is_empty())
    );
    press(&mut app, &[Esc]);
    assert!(app.overlay.is_none());
}

#[test]
fn search_narrows_and_clears() {
    let mut app = loaded_app();
    press(&mut app, &[Char('/')]);
    assert!(app.typing);
    type_text(&mut app, "T1003");
    assert_eq!(app.search, "T1003");
    assert_eq!(selected_analytic(&app), Some("AN0900"));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("search: T1003"), "{screen}");
    press(&mut app, &[Backspace]);
    assert_eq!(app.search, "T100");
    press(&mut app, &[Enter]);
    assert!(!app.typing);
    assert_eq!(app.search, "T100");
    press(&mut app, &[Char('/'), Esc]);
    assert!(app.search.is_empty());
    assert_eq!(app.visible.len(), CATALOG_SIZE);
}

#[test]
fn search_keys_are_typed() {
    let mut app = loaded_app();
    press(&mut app, &[Char('/')]);
    type_text(&mut app, "q?jn");
    assert_eq!(app.search, "q?jn");
    assert!(!app.should_quit());
    assert!(app.overlay.is_none());
    app.handle(Inbound::Key(KeyEvent::new(
        Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.should_quit());
}

#[test]
fn help_lists_keymap() {
    let mut app = loaded_app();
    press(&mut app, &[Char('?')]);
    let screen = draw(&app, 160, 48);
    assert!(screen.contains("Everywhere"), "{screen}");
    assert!(screen.contains("show or hide this help"), "{screen}");
    assert!(
        screen.contains("bookmark the selected chain or event"),
        "{screen}"
    );
    press(&mut app, &[End]);
    let end = draw(&app, 160, 48);
    assert!(
        end.contains("check the values and rerun the analytic"),
        "{end}"
    );
    assert!(end.contains("keep the note"), "{end}");
    press(&mut app, &[Char('?')]);
    assert!(app.overlay.is_none());
}

#[test]
fn help_scrolls_to_end() {
    let mut app = loaded_app();
    press(&mut app, &[Char('?')]);
    assert!(!draw(&app, 80, 24).contains("Note editor"));
    press(&mut app, &[End]);
    assert!(draw(&app, 80, 24).contains("Note editor"));
    press(&mut app, &[Up]);
    assert!(
        draw(&app, 80, 24).contains("Note editor"),
        "one line up still shows the end"
    );
    press(&mut app, &[Home]);
    assert!(draw(&app, 80, 24).contains("Everywhere"));
}

#[test]
fn help_marks_cut_lines_at_80_columns() {
    let mut app = loaded_app();
    press(&mut app, &[Char('?')]);
    for _ in 0..20 {
        press(&mut app, &[Char('j')]);
    }
    let screen = draw(&app, 80, 24);
    let line = screen
        .lines()
        .find(|l| l.contains("bookmark the selected chain"))
        .unwrap_or_else(|| panic!("no bookmark line in {screen}"));
    let cell = line
        .split('│')
        .find(|cell| cell.contains("bookmark the selected chain"))
        .unwrap_or_default();
    assert!(cell.ends_with('…'), "{line}");
}

#[test]
fn problems_overlay_lists_problems() {
    let mut app = loaded_app();
    press(&mut app, &[Char('!')]);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("record 7: invalid XML"), "{screen}");
    press(&mut app, &[Esc]);
    assert!(app.overlay.is_none());
    assert_eq!(app.path.len(), 1);
}

#[test]
fn quit_key_quits() {
    let mut app = loaded_app();
    press(&mut app, &[Char('q')]);
    assert!(app.should_quit());
}

#[test]
fn findings_reset_deep_views() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Enter, Enter]);
    app.handle(Inbound::Update(Update::Findings(Vec::new())));
    app.settle();
    assert_eq!(app.path.len(), 2);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("0 chains"), "{screen}");
}

#[test]
fn no_color_theme_draws_no_color() {
    let mut options = options();
    options.theme = Theme::default().without_colors();
    let mut app = App::new(&options);
    app.handle(Inbound::Update(Update::Analytics(catalog())));
    app.settle();
    let mut terminal = match Terminal::new(TestBackend::new(80, 24)) {
        Ok(terminal) => terminal,
        Err(error) => panic!("test backend failed: {error}"),
    };
    if let Err(error) = terminal.draw(|frame| views::draw(frame, &app)) {
        panic!("draw failed: {error}");
    }
    let buffer = terminal.backend().buffer();
    for cell in &buffer.content {
        assert_eq!(cell.fg, Color::Reset, "colored cell {:?}", cell.symbol());
        assert_eq!(cell.bg, Color::Reset, "colored cell {:?}", cell.symbol());
    }
}

#[test]
fn any_size_draws_without_panic() {
    let mut apps = vec![App::new(&options()), loaded_app()];
    let sequences: [&[KeyCode]; 14] = [
        &[Enter],
        &[Char('f'), KeyCode::BackTab, Char('/'), Char('1')],
        &[Enter, Char('e'), Backspace, Char('x'), Enter],
        &[Enter, Char('b'), Char('v'), Char('a')],
        &[Char('H'), Enter],
        &[Enter, Enter, Enter, Down, Enter],
        &[Enter, Char('e')],
        &[Enter, Enter],
        &[Enter, Enter, Enter],
        &[Enter, Enter, Enter, Char('t')],
        &[Char('f'), Char('/'), Char('x')],
        &[Char('?')],
        &[Char('f')],
        &[Char('!')],
    ];
    for keys in sequences {
        let mut app = loaded_app();
        press(&mut app, keys);
        apps.push(app);
    }
    let sizes = [
        (0, 0),
        (1, 0),
        (0, 1),
        (1, 1),
        (2, 1),
        (1, 5),
        (5, 2),
        (20, 5),
        (80, 24),
        (119, 30),
        (160, 48),
    ];
    for app in &apps {
        for (width, height) in sizes {
            let _ = draw(app, width, height);
        }
    }
}

#[test]
fn tiny_resize_keeps_paging() {
    let mut app = loaded_app();
    app.handle(Inbound::Resize(1, 1));
    press(&mut app, &[PageDown, PageDown]);
    let View::Analytics(cursor) = &app.path[0] else {
        panic!("root is not the analytics list");
    };
    assert_eq!(cursor.selected, 2);
}

fn received_rerun(requests: &std::sync::mpsc::Receiver<Request>) -> (String, u64) {
    match requests.try_recv() {
        Ok(Request::Rerun {
            analytic,
            generation,
            ..
        }) => (analytic.query_text.clone(), generation),
        Ok(other) => panic!("expected a rerun request, found {other:?}"),
        Err(error) => panic!("no rerun request was sent: {error}"),
    }
}

#[test]
fn tune_form_shows_tunables() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Char('e')]);
    assert!(app.form.is_some(), "e did not open the form");
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("Tune AN0001"), "{screen}");
        assert!(screen.contains("window (duration)"), "{screen}");
        assert!(screen.contains("maximum time between steps"), "{screen}");
        assert!(screen.contains("5m"), "{screen}");
        assert!(screen.contains("Enter check the values"), "{screen}");
    }
    press(&mut app, &[Char('q')]);
    assert!(!app.should_quit(), "q is typed into the field");
    press(&mut app, &[Esc]);
    assert!(app.form.is_none());
    assert!(matches!(app.current(), View::Detail { .. }));
}

#[test]
fn tune_rejects_invalid_value() {
    let (mut app, requests) = loaded_app_with_worker();
    press(&mut app, &[Enter, Char('e'), Backspace, Backspace]);
    type_text(&mut app, "soon");
    press(&mut app, &[Enter]);
    let Some(form) = &app.form else {
        panic!("an invalid value closed the form");
    };
    let error = form.error.clone().unwrap_or_default();
    assert!(error.contains("'soon'"), "{error}");
    assert!(requests.try_recv().is_err(), "an invalid value was sent");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("window: "), "{screen}");
}

#[test]
fn tune_reruns_newest_generation() {
    let (mut app, requests) = loaded_app_with_worker();
    let index = app
        .analytics
        .iter()
        .position(|a| a.id == "AN0001")
        .unwrap_or(0);
    press(&mut app, &[Enter, Char('e'), Backspace]);
    type_text(&mut app, "s");
    press(&mut app, &[Enter]);
    assert!(app.form.is_none());
    let (query, first) = received_rerun(&requests);
    assert!(query.contains("maxspan=5s"), "{query}");
    assert_eq!(app.rerun_state(index), Some(&RerunState::Running));
    assert!(app.is_busy());
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(
            screen.contains("rerunning with the new tunables"),
            "{screen}"
        );
    }
    assert!(draw(&app, 200, 50).contains("window = 5s"));

    press(&mut app, &[Char('e'), Backspace, Backspace]);
    type_text(&mut app, "1h");
    press(&mut app, &[Enter]);
    let (_, second) = received_rerun(&requests);
    assert!(second > first);

    app.handle(Inbound::Update(Update::Rerun {
        analytic: "AN0001".to_owned(),
        generation: first,
        result: Ok(Vec::new()),
    }));
    app.settle();
    assert_eq!(
        app.rerun_state(index),
        Some(&RerunState::Running),
        "stale result applied"
    );
    assert_eq!(app.hits[index], Some(2));

    app.handle(Inbound::Update(Update::Rerun {
        analytic: "AN0001".to_owned(),
        generation: second,
        result: Ok(vec![chain("WS01", [0, 1])]),
    }));
    app.settle();
    assert_eq!(app.rerun_state(index), Some(&RerunState::Done));
    assert_eq!(app.hits[index], Some(1));
    assert!(!app.is_busy());
    assert!(draw(&app, 80, 24).contains("1 chains (rerun"));
}

#[test]
fn tune_without_worker_fails_visibly() {
    let mut app = loaded_app();
    let index = app
        .analytics
        .iter()
        .position(|a| a.id == "AN0001")
        .unwrap_or(0);
    press(&mut app, &[Enter, Char('e'), Backspace]);
    type_text(&mut app, "s");
    press(&mut app, &[Enter]);
    assert!(matches!(
        app.rerun_state(index),
        Some(RerunState::Failed(_))
    ));
    assert!(draw(&app, 80, 24).contains("rerun failed"));
}

#[test]
fn tune_needs_tunables() {
    let mut app = loaded_app();
    press(&mut app, &[Down, Enter, Char('e')]);
    assert!(app.form.is_none());
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("AN0002"), "{notice}");
}

#[test]
fn pivot_lists_events_and_chains() {
    let mut app = loaded_app();
    // Event 0's fields sort as event.code, host.name, process.name, user.name.
    press(&mut app, &[Enter, Enter, Enter, Down]);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("host.name = WS01"), "{screen}");
    press(&mut app, &[Enter]);
    let View::Pivot {
        field,
        value,
        events,
        truncated,
        chains,
        ..
    } = app.current()
    else {
        panic!("Enter on a field did not open the pivot");
    };
    assert_eq!(field, "host.name");
    assert_eq!(value, "WS01");
    assert_eq!(events, &vec![0, 1]);
    assert!(!truncated);
    assert_eq!(chains.len(), 1);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(
            screen.contains("Pivot host.name = WS01 (2 events, 1 chain)"),
            "{screen}"
        );
        assert!(screen.contains("cmd.exe → C:\\Temp\\a.bat"), "{screen}");
        assert!(screen.contains("AN0001"), "{screen}");
    }
    press(&mut app, &[Down, Enter]);
    assert!(matches!(app.current(), View::Event { event: 1, .. }));
    press(&mut app, &[Esc, Down, Enter]);
    assert!(matches!(app.current(), View::Chain { chain: 0, .. }));
}

#[test]
fn pivot_needs_field_line() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Enter, Enter, Home, Enter]);
    assert!(matches!(app.current(), View::Event { .. }));
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("select a field"), "{notice}");
}

#[test]
fn pivot_on_hostile_value_is_sanitized() {
    let mut app = loaded_app();
    // Event 2's user.name carries an escape sequence; it is the fourth field.
    press(
        &mut app,
        &[Enter, Down, Enter, Enter, Down, Down, Down, Enter],
    );
    let View::Pivot { field, .. } = app.current() else {
        panic!("no pivot opened");
    };
    assert_eq!(field, "user.name");
    let screen = draw(&app, 200, 50);
    assert!(screen.contains("bob␛[31m"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "raw ESC reached the screen");
}

#[test]
fn histogram_follows_host_filter() {
    let mut app = loaded_app();
    press(&mut app, &[Char('H')]);
    let Some(histogram) = app.histogram.clone() else {
        panic!("H did not build the histogram");
    };
    assert_eq!(histogram.events.iter().sum::<u64>(), 4);
    assert_eq!(histogram.chains.iter().sum::<u64>(), 2);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("events"), "{screen}");
        assert!(screen.contains("chains"), "{screen}");
        assert!(screen.contains("2024-03-01 11:01:40"), "{screen}");
    }
    // Row 2 of the host picker is WS01, whose two events and one chain remain.
    press(&mut app, &[Char('f'), Down, Down, Enter]);
    let Some(histogram) = app.histogram.clone() else {
        panic!("the filter dropped the histogram");
    };
    assert_eq!(histogram.events.iter().sum::<u64>(), 2);
    assert_eq!(histogram.chains.iter().sum::<u64>(), 1);
    press(&mut app, &[Char('H')]);
    assert!(app.histogram.is_none());
}

fn hits_of(app: &App, id: &str) -> Option<usize> {
    let index = app.analytics.iter().position(|a| a.id == id)?;
    app.hits.get(index).copied().flatten()
}

#[test]
fn severity_and_source_filters() {
    let mut app = loaded_app();
    press(
        &mut app,
        &[
            Char('f'),
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Tab,
        ],
    );
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("[severity]"), "{screen}");
    assert!(screen.contains("2 analytics  high"), "{screen}");
    press(&mut app, &[Down, Enter]);
    assert_eq!(app.filters.severity.as_deref(), Some("high"));
    assert_eq!(app.visible.len(), 2);
    assert!(draw(&app, 80, 24).contains("severity=high"));

    press(
        &mut app,
        &[
            Char('f'),
            KeyCode::BackTab,
            KeyCode::BackTab,
            KeyCode::BackTab,
        ],
    );
    let screen = draw(&app, 200, 50);
    assert!(screen.contains("[source]"), "{screen}");
    assert!(screen.contains("4 events  WinEventLog:Sysmon"), "{screen}");
    press(&mut app, &[Down, Enter]);
    assert_eq!(
        app.filters.log_source.as_deref(),
        Some("WinEventLog:Sysmon")
    );
    assert_eq!(hits_of(&app, "AN0001"), Some(2));
    let bar = draw(&app, 200, 50);
    assert!(
        bar.contains("severity=high  source=WinEventLog:Sysmon"),
        "{bar}"
    );
}

#[test]
fn time_filters_typed_and_picked() {
    let mut app = loaded_app();
    let from_picker = [Char('f'), KeyCode::BackTab, KeyCode::BackTab];
    press(&mut app, &from_picker);
    press(&mut app, &[Char('/')]);
    type_text(&mut app, "10:01");
    press(&mut app, &[Enter]);
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("[from]"), "{screen}");
        assert!(
            screen.contains("Enter sets from 2024-03-01 10:01:00"),
            "{screen}"
        );
    }
    press(&mut app, &[Enter]);
    assert!(app.overlay.is_none());
    assert!(app.filters.from.is_some());
    assert_eq!(
        hits_of(&app, "AN0001"),
        Some(1),
        "the 10:00 chain starts too early"
    );
    assert!(draw(&app, 200, 50).contains("from=2024-03-01 10:01:00"));

    // The first hour's entry in the `to` picker ends at 10:59:59, before the 11:01 event but
    // after both chains start.
    press(&mut app, &[Char('f'), KeyCode::BackTab, Down, Enter]);
    assert!(app.filters.to.is_some());
    assert_eq!(hits_of(&app, "AN0001"), Some(1));
    press(&mut app, &from_picker);
    press(&mut app, &[Char('x'), Esc]);
    assert_eq!(app.filters.from, None);
    assert_eq!(hits_of(&app, "AN0001"), Some(2));

    press(&mut app, &from_picker);
    press(&mut app, &[Char('/')]);
    type_text(&mut app, "soon");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("no hour matches"), "{screen}");
    press(&mut app, &[Enter, Enter]);
    assert_eq!(app.filters.from, None, "an invalid time set a filter");
}

fn temporary_folder() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(directory) => directory,
        Err(error) => panic!("no temporary folder: {error}"),
    }
}

fn app_with_case(case_path: &std::path::Path, case: super::case::Case) -> App {
    let mut options = options();
    options.case_path = case_path.to_owned();
    options.case = case;
    loaded_app_with(&options)
}

/// Bookmarks and judges chain 1 of AN0001, writes a note on it, and bookmarks its first event.
fn mark_case(app: &mut App) {
    press(app, &[Enter, Char('b'), Char('v'), Char('v'), Char('a')]);
    type_text(app, "lateral movement from WS01");
    press(app, &[Enter, Enter, Enter, Char('b')]);
}

#[test]
fn bookmark_note_and_verdict_show() {
    let folder = temporary_folder();
    let mut app = app_with_case(&folder.path().join("case.json"), Default::default());
    press(&mut app, &[Enter, Char('b')]);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with("bookmarked chain 1 of AN0001"),
        "{notice}"
    );
    press(&mut app, &[Char('v')]);
    assert!(
        app.notice
            .clone()
            .unwrap_or_default()
            .ends_with("true positive")
    );
    press(&mut app, &[Char('a')]);
    assert!(app.note.is_some(), "a did not open the note editor");
    type_text(&mut app, "q looks bad");
    assert!(!app.should_quit(), "q is typed into the note");
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("Note on chain 1 of AN0001"), "{screen}");
        assert!(screen.contains("q looks bad"), "{screen}");
    }
    press(&mut app, &[Enter]);
    assert!(app.note.is_none());
    for (width, height) in [(80, 24), (200, 50)] {
        let screen = draw(&app, width, height);
        assert!(screen.contains("★ TP ✎"), "{screen}");
    }
    press(&mut app, &[Enter]);
    assert!(draw(&app, 200, 50).contains("“q looks bad”"));
    press(&mut app, &[Enter, Char('v')]);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.contains("apply to chains"), "{notice}");
    press(&mut app, &[Char('b')]);
    assert!(draw(&app, 80, 24).contains("Event 0 ★"));
    press(&mut app, &[Char('b')]);
    assert!(
        !draw(&app, 80, 24).contains("Event 0 ★"),
        "b did not remove the bookmark"
    );
}

#[test]
fn case_survives_save_and_reopen() {
    let folder = temporary_folder();
    let path = folder.path().join("case.json");
    let mut app = app_with_case(&path, Default::default());
    mark_case(&mut app);
    press(&mut app, &[Char('w')]);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.starts_with("saved the case"), "{notice}");
    let saved = app.case.clone();
    drop(app);

    let reloaded = match super::case::Case::load(&path) {
        Ok(case) => case,
        Err(error) => panic!("the saved case did not load: {error:#}"),
    };
    let mut app = app_with_case(&path, reloaded);
    assert_eq!(app.case.entries, saved.entries);
    let chain = app
        .chain_annotation(ChainSource::Analytic(app.visible[0]), 0)
        .cloned();
    let Some(chain) = chain else {
        panic!("the chain lost its marks");
    };
    assert!(chain.bookmarked);
    assert_eq!(chain.verdict, super::case::Verdict::FalsePositive);
    assert_eq!(chain.note, "lateral movement from WS01");
    assert!(app.event_annotation(0).is_some_and(|a| a.bookmarked));
    press(&mut app, &[Enter]);
    assert!(draw(&app, 80, 24).contains("★ FP ✎"));
}

#[test]
fn export_writes_three_formats() {
    let folder = temporary_folder();
    let path = folder.path().join("case.json");
    let mut app = app_with_case(&path, Default::default());
    mark_case(&mut app);
    press(&mut app, &[Char('X')]);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.starts_with("exported the case"), "{notice}");
    let read = |name: &str| match std::fs::read_to_string(folder.path().join(name)) {
        Ok(text) => text,
        Err(error) => panic!("{name} was not written: {error}"),
    };
    let markdown = read("case.md");
    assert!(markdown.contains("## Chain of ` AN0001 `"), "{markdown}");
    assert!(markdown.contains("- Verdict: false positive"), "{markdown}");
    assert!(
        markdown.contains("1. ` /cases/ws01-sysmon.evtx `, record 101 (2024-03-01 10:00:00"),
        "{markdown}"
    );
    assert!(
        markdown.contains("2. ` /cases/ws01-sysmon.evtx `, record 102"),
        "{markdown}"
    );
    let csv = read("case.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("kind,analytic,verdict,bookmarked,note,first_time,host,events")
    );
    let chain_row = lines.next().unwrap_or_default();
    assert!(
        chain_row.starts_with("chain,AN0001,false positive,true,"),
        "{chain_row}"
    );
    assert!(chain_row.contains("/cases/ws01-sysmon.evtx#101; /cases/ws01-sysmon.evtx#102"));
    let json: serde_json::Value = match serde_json::from_str(&read("case.export.json")) {
        Ok(json) => json,
        Err(error) => panic!("the JSON export does not parse: {error}"),
    };
    assert_eq!(json["entries"][0]["verdict"], "false_positive");
    assert_eq!(json["entries"][0]["events"][0]["record"], 101);
    assert_eq!(json["entries"][1]["target"]["kind"], "event");
}

#[test]
fn save_failure_is_reported() {
    let folder = temporary_folder();
    let path = folder.path().join("missing-folder").join("case.json");
    let mut app = app_with_case(&path, Default::default());
    press(&mut app, &[Enter, Char('b'), Char('w')]);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(notice.starts_with("failed to save the case"), "{notice}");
    assert!(draw(&app, 80, 24).contains("failed to save"));
}

#[test]
fn shipped_themes_draw_selection() {
    for (name, _) in super::theme::SHIPPED {
        let Some(theme) = Theme::named(name) else {
            panic!("{name} is not shipped");
        };
        let mut options = options();
        options.theme = theme;
        let app = loaded_app_with(&options);
        for (width, height) in [(80, 24), (200, 50)] {
            let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
                Ok(terminal) => terminal,
                Err(error) => panic!("test backend failed: {error}"),
            };
            if let Err(error) = terminal.draw(|frame| views::draw(frame, &app)) {
                panic!("draw failed: {error}");
            }
            let buffer = terminal.backend().buffer();
            // Row 5 is the first analytic: header, filter bar, border and column header above.
            let cell = &buffer[(4, 5)];
            assert!(
                cell.modifier.contains(ratatui::style::Modifier::REVERSED),
                "{name} at {width}x{height}: the selected row is not reversed"
            );
        }
    }
}

/// Compares a drawn screen with `src/tui/snapshots/<name>.txt`. With `GLEXIA_UPDATE_SNAPSHOTS`
/// set, it writes the file instead, for a change meant to alter the screen.
fn assert_snapshot(name: &str, screen: &str) {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui/snapshots");
    let path = folder.join(format!("{name}.txt"));
    if std::env::var_os("GLEXIA_UPDATE_SNAPSHOTS").is_some() {
        let written = std::fs::create_dir_all(&folder).and_then(|()| std::fs::write(&path, screen));
        assert!(
            written.is_ok(),
            "failed to write {}: {written:?}",
            path.display()
        );
        return;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => panic!(
            "snapshot {} is missing ({error}); run the tests with GLEXIA_UPDATE_SNAPSHOTS=1 \
             to write it",
            path.display()
        ),
    };
    assert!(
        screen == expected,
        "screen differs from {}; rerun with GLEXIA_UPDATE_SNAPSHOTS=1 if the change is \
         intended.\nfound:\n{screen}\nexpected:\n{expected}",
        path.display()
    );
}

#[test]
fn new_views_match_snapshots() {
    let cases: [(&str, &[KeyCode]); 8] = [
        ("tune-form", &[Enter, Char('e')]),
        (
            "tune-error",
            &[Enter, Char('e'), Backspace, Char('x'), Enter],
        ),
        ("pivot", &[Enter, Enter, Enter, Down, Enter]),
        ("histogram", &[Char('H'), Enter]),
        ("note-editor", &[Enter, Char('b'), Char('v'), Char('a')]),
        (
            "time-picker",
            &[Char('f'), KeyCode::BackTab, KeyCode::BackTab],
        ),
        ("timeline-chain", &[Enter, Down, Enter, Enter, Char('t')]),
        ("event-field", &[Enter, Enter, Enter, Down]),
    ];
    for (name, keys) in cases {
        let mut app = loaded_app();
        press(&mut app, keys);
        for (width, height) in [(80, 24), (200, 50)] {
            let screen = draw(&app, width, height);
            assert_snapshot(&format!("{name}-{width}x{height}"), &screen);
        }
    }
}

#[test]
fn rerun_closes_stale_pivot() {
    let (mut app, requests) = loaded_app_with_worker();
    press(&mut app, &[Enter, Char('e'), Backspace]);
    type_text(&mut app, "s");
    press(&mut app, &[Enter]);
    let (_, generation) = received_rerun(&requests);
    press(&mut app, &[Enter, Enter, Down, Enter]);
    assert!(matches!(app.current(), View::Pivot { .. }));
    app.handle(Inbound::Update(Update::Rerun {
        analytic: "AN0001".to_owned(),
        generation,
        result: Ok(vec![chain("SRV02", [2, 3])]),
    }));
    app.settle();
    assert_eq!(
        app.path.len(),
        2,
        "views using the old chain indices stayed open"
    );
    assert!(matches!(app.current(), View::Detail { .. }));
}

mod hostile_text;
mod query_prompt;
mod scrolling;

#[test]
fn event_view_marks_cut_lines() {
    let mut app = loaded_app();
    press(&mut app, &[Enter, Enter, Enter]);
    assert!(matches!(app.current(), View::Event { event: 0, .. }));
    app.handle(Inbound::Resize(30, 24));
    app.settle();
    let screen = draw(&app, 30, 24);
    let origin = screen
        .lines()
        .find(|line| line.contains("Origin:"))
        .unwrap_or_else(|| panic!("no origin line in\n{screen}"));
    // "Origin: /cases/ws01-sysmon.evtx record 101" is wider than the 28 inner columns.
    assert!(origin.ends_with("…│"), "{origin}");
    let time = screen
        .lines()
        .find(|line| line.contains("Time:"))
        .unwrap_or_else(|| panic!("no time line in\n{screen}"));
    assert!(!time.contains('…'), "{time}");

    // Scrolled far enough right, the rest of the line fits and the mark goes.
    press(&mut app, &[Char('l'), Char('l'), Char('l'), Char('l')]);
    let screen = draw(&app, 30, 24);
    let origin = screen
        .lines()
        .find(|line| line.contains("record 101"))
        .unwrap_or_else(|| panic!("no origin line in\n{screen}"));
    assert!(!origin.contains('…'), "{origin}");
}
