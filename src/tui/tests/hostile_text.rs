//! Evidence text that tries to drive the terminal: every kind of control sequence, in every
//! string the views draw, must reach the screen only as visible placeholders.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::KeyCode;

use super::super::TuiOptions;
use super::super::app::{App, Inbound, Overlay, View};
use super::{draw, options, press, type_text};
use crate::engine::{Chain, ChainStep, Finding, JoinKey, LoadSummary, Update};
use crate::store::{EventBuilder, EventStore, Origin, Platform, SourceFile};

use KeyCode::{Enter, Esc};

/// One payload of each kind an attacker can plant in a log value.
const PAYLOADS: [(&str, &str); 11] = [
    ("CSI clear screen and color", "\u{1b}[2J\u{1b}[31m"),
    ("OSC window title", "\u{1b}]0;pwned\u{7}"),
    (
        "OSC 8 hyperlink",
        "\u{1b}]8;;https://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\",
    ),
    ("OSC 52 clipboard write", "\u{1b}]52;c;ZXZpbA==\u{7}"),
    ("C1 CSI", "\u{9b}31m"),
    ("C1 OSC and string terminator", "\u{9d}0;title\u{9c}"),
    ("right-to-left override", "evil\u{202e}gpj.exe"),
    ("isolates", "\u{2066}a\u{2069}\u{2067}b\u{2069}"),
    ("carriage return and backspace", "good\rbad\u{8}\u{8}"),
    ("line feed and separators", "one\ntwo\u{2028}three"),
    ("bell, NUL and DEL", "\u{7}\u{0}\u{7f}"),
];

/// Joins every payload into one value after a readable `prefix`.
fn hostile(prefix: &str) -> String {
    let mut text = prefix.to_owned();
    for (_, payload) in PAYLOADS {
        text.push_str(payload);
    }
    text
}

/// Returns the characters of `screen` that could drive a terminal or hide text.
fn unsafe_chars(screen: &str) -> Vec<String> {
    screen
        .chars()
        .filter(|&c| c != '\n')
        .filter(|&c| {
            matches!(c,
                '\u{0}'..='\u{1f}'
                | '\u{7f}'..='\u{9f}'
                | '\u{61c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}')
        })
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect()
}

fn assert_clean(app: &App, view: &str) {
    for (width, height) in [(80, 24), (160, 48)] {
        let screen = draw(app, width, height);
        let found = unsafe_chars(&screen);
        assert!(
            found.is_empty(),
            "{view} at {width}x{height} drew {found:?}:\n{screen}"
        );
    }
}

/// Two events on a host whose name, like every other string, carries every payload.
fn hostile_store() -> Arc<EventStore> {
    let mut store = EventStore::new();
    store.add_file(SourceFile {
        path: PathBuf::from(hostile("/cases/evil")),
        format: "evtx",
    });
    for (record, seconds) in [(1_u64, 0_i64), (2, 60)] {
        let origin = Origin {
            file: 0,
            record,
            offset: None,
        };
        let mut builder = EventBuilder::new(
            1_709_287_200_000_000_000 + seconds * 1_000_000_000,
            "WinEventLog:Sysmon",
            Platform::Windows,
            origin,
        );
        builder.field("host.name", hostile("HOST"));
        builder.field("user.name", hostile("user"));
        builder.field("process.name", hostile("proc"));
        builder.field("process.command_line", hostile("cmd /c"));
        builder.field(hostile("field."), hostile("value"));
        builder.field("event.code", "1");
        store.push(builder);
    }
    store.sort();
    Arc::new(store)
}

fn hostile_app() -> App {
    let mut options: TuiOptions = options();
    options.title = hostile("case ");
    options.raw_reader = Arc::new(|_store: &EventStore, _index: usize| Ok(hostile("<Event>")));
    let mut app = App::new(&options);
    app.handle(Inbound::Resize(80, 24));
    let chain = Chain {
        join_keys: vec![JoinKey {
            field: "host.name".to_owned(),
            value: hostile("HOST"),
        }],
        steps: vec![
            ChainStep { step: 0, event: 0 },
            ChainStep { step: 1, event: 1 },
        ],
    };
    let updates = vec![
        Update::Analytics(super::catalog()),
        Update::Loaded {
            store: hostile_store(),
            summary: LoadSummary {
                files: 1,
                events: 2,
                skipped: 1,
                failed_files: 0,
                problems: vec![hostile("/cases/evil record 7: ")],
                not_logs: 0,
            },
        },
        Update::Findings(vec![Finding {
            analytic: "AN0001".to_owned(),
            chains: vec![chain],
        }]),
    ];
    for update in updates {
        app.handle(Inbound::Update(update));
    }
    app.settle();
    app
}

#[test]
fn payloads_cover_every_kind() {
    // The check itself must see each payload, or a clean screen proves nothing.
    for (kind, payload) in PAYLOADS {
        assert!(!unsafe_chars(payload).is_empty(), "{kind}");
    }
}

#[test]
fn hostile_text_is_escaped_in_every_view() {
    let mut app = hostile_app();
    assert_clean(&app, "analytic list");

    press(&mut app, &[Enter]);
    assert_clean(&app, "analytic detail");
    press(&mut app, &[Enter]);
    assert!(matches!(app.current(), View::Chain { .. }));
    assert_clean(&app, "chain");
    press(&mut app, &[Enter]);
    assert!(matches!(app.current(), View::Event { .. }));
    assert_clean(&app, "event");
    // The escaped value is shown, not dropped.
    let screen = draw(&app, 160, 48);
    assert!(screen.contains("proc␛[2J␛[31m"), "{screen}");
    assert!(screen.contains("evil<U+202E>gpj.exe"), "{screen}");

    press(&mut app, &[KeyCode::Char('r')]);
    assert_clean(&app, "raw record");
    press(&mut app, &[KeyCode::Char('t')]);
    assert!(matches!(app.current(), View::Timeline { .. }));
    assert_clean(&app, "timeline");
    press(&mut app, &[Esc, Esc, Esc, Esc]);

    press(&mut app, &[KeyCode::Char('f')]);
    assert!(matches!(app.overlay, Some(Overlay::Picker { .. })));
    assert_clean(&app, "host picker");
    press(&mut app, &[KeyCode::Down, Enter]);
    assert_clean(&app, "list filtered by a hostile host");
    press(&mut app, &[Esc]);

    press(&mut app, &[KeyCode::Char('!')]);
    assert_clean(&app, "problems");
    press(&mut app, &[Esc]);

    // Text typed or pasted into the search field is shown escaped too.
    press(&mut app, &[KeyCode::Char('/')]);
    type_text(&mut app, "\u{1b}]0;typed\u{7}\u{202e}");
    assert_clean(&app, "search field");
    press(&mut app, &[Esc]);

    press(&mut app, &[KeyCode::Char('?')]);
    assert_clean(&app, "help");
}
