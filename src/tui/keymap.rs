//! The one key table: it dispatches keys and, through its descriptions, drives the help overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A command that a key sends to the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Leave the program.
    Quit,
    /// Open or close the key help.
    Help,
    /// Start typing a fuzzy search over analytics, or a text that narrows the picker's values.
    Search,
    /// Open the filter picker.
    FilterPicker,
    /// Drop every filter and the search.
    ClearFilters,
    /// Open the list of load problems.
    Problems,
    /// Move the selection up one row.
    Up,
    /// Move the selection down one row.
    Down,
    /// Move the selection up one page.
    PageUp,
    /// Move the selection down one page.
    PageDown,
    /// Move to the first row.
    Top,
    /// Move to the last row.
    Bottom,
    /// Open the selected row, going one view deeper, or apply the picker's choice.
    Open,
    /// Go back one view, or close the overlay.
    Back,
    /// Show the next chain of the same analytic.
    NextChain,
    /// Show the previous chain of the same analytic.
    PreviousChain,
    /// Show or hide the raw record.
    ToggleRaw,
    /// Open the timeline of the event's host around the event.
    Timeline,
    /// Show the picker's next filter kind.
    NextFilterKind,
    /// Show the picker's previous filter kind.
    PreviousFilterKind,
    /// Remove the filter of the kind the picker shows.
    ClearFilterKind,
    /// Delete the last character of the search.
    DeleteChar,
    /// Open the tuning form of the analytic shown.
    Tune,
    /// Move to the next field of a form.
    NextField,
    /// Move to the previous field of a form.
    PreviousField,
    /// List every event with the selected field's value and the chains that contain them.
    Pivot,
    /// Show or hide the histogram of events and chains over time.
    Histogram,
    /// Bookmark the selected chain or event, or remove its bookmark.
    Bookmark,
    /// Edit the note of the selected chain or event.
    Note,
    /// Set the selected chain's next verdict.
    Verdict,
    /// Write the case file.
    SaveCase,
    /// Write the case as JSON, CSV and a Markdown report.
    ExportCase,
    /// Open the EQL query prompt.
    QueryPrompt,
    /// Insert a line break into the query being typed.
    NewLine,
    /// Move the keys between an analytic's page and its chains.
    SwitchFocus,
    /// Scroll the event view to the left.
    ScrollLeft,
    /// Scroll the event view to the right.
    ScrollRight,
}

/// The context in which a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Always, except while typing a search.
    Everywhere,
    /// In every view and overlay list, except while typing a search.
    Moving,
    /// In the views, with no overlay open.
    Views,
    /// In an executable analytic's detail view.
    Detail,
    /// In the chain view.
    Chain,
    /// In the event view.
    Event,
    /// In the filter picker.
    Picker,
    /// While typing a search; other printable keys are typed into the query.
    SearchInput,
    /// In the tuning form; other keys edit the focused field.
    Form,
    /// In the note editor; other keys edit the note.
    Note,
    /// In the EQL query prompt; other keys edit the query.
    Prompt,
}

impl Scope {
    /// Returns the heading of the scope's section in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Everywhere => "Everywhere",
            Scope::Moving => "Moving in lists",
            Scope::Views => "Views",
            Scope::Detail => "Analytic detail",
            Scope::Chain => "Chain view",
            Scope::Event => "Event view",
            Scope::Picker => "Filter picker",
            Scope::SearchInput => "Typing a search",
            Scope::Form => "Tuning form",
            Scope::Note => "Note editor",
            Scope::Prompt => "EQL query prompt",
        }
    }
}

/// The state the keymap needs to pick the scopes that apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyContext {
    /// The innermost view is the chain view.
    pub chain_view: bool,
    /// The innermost view is the event view.
    pub event_view: bool,
    /// An overlay (help, problems, picker) is open.
    pub overlay: bool,
    /// The open overlay is the filter picker.
    pub picker: bool,
    /// The search query has the keyboard.
    pub typing: bool,
    /// The innermost view is an analytic's detail.
    pub detail_view: bool,
    /// The tuning form is open and has the keyboard.
    pub form: bool,
    /// The note editor is open and has the keyboard.
    pub note: bool,
    /// The EQL query prompt is open and has the keyboard.
    pub prompt: bool,
}

impl KeyContext {
    fn applies(self, scope: Scope) -> bool {
        if self.form {
            return scope == Scope::Form;
        }
        if self.note {
            return scope == Scope::Note;
        }
        if self.prompt {
            return scope == Scope::Prompt;
        }
        if self.typing {
            return scope == Scope::SearchInput;
        }
        match scope {
            Scope::Everywhere | Scope::Moving => true,
            Scope::Views => !self.overlay,
            Scope::Detail => !self.overlay && self.detail_view,
            Scope::Chain => !self.overlay && self.chain_view,
            Scope::Event => !self.overlay && self.event_view,
            Scope::Picker => self.picker,
            Scope::SearchInput | Scope::Form | Scope::Note | Scope::Prompt => false,
        }
    }
}

/// One key binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The key.
    pub code: KeyCode,
    /// Modifiers that must be held; Shift is ignored for character keys because it is already
    /// part of the character.
    pub modifiers: KeyModifiers,
    /// The context in which the binding applies.
    pub scope: Scope,
    /// The command the key sends.
    pub action: Action,
    /// One line for the help overlay.
    pub description: &'static str,
}

const fn bind(code: KeyCode, scope: Scope, action: Action, description: &'static str) -> Binding {
    Binding {
        code,
        modifiers: KeyModifiers::NONE,
        scope,
        action,
        description,
    }
}

const fn ch(c: char, scope: Scope, action: Action, description: &'static str) -> Binding {
    bind(KeyCode::Char(c), scope, action, description)
}

const fn with(
    modifiers: KeyModifiers,
    code: KeyCode,
    scope: Scope,
    action: Action,
    description: &'static str,
) -> Binding {
    Binding {
        code,
        modifiers,
        scope,
        action,
        description,
    }
}

/// Every key binding, in the order the help lists them. Scopes that apply together are searched
/// in this order, so an earlier, narrower binding wins over a later one for the same key.
pub const KEYMAP: &[Binding] = &[
    Binding {
        code: KeyCode::Char('c'),
        modifiers: KeyModifiers::CONTROL,
        scope: Scope::Everywhere,
        action: Action::Quit,
        description: "quit",
    },
    Binding {
        code: KeyCode::Char('c'),
        modifiers: KeyModifiers::CONTROL,
        scope: Scope::SearchInput,
        action: Action::Quit,
        description: "quit",
    },
    ch('q', Scope::Everywhere, Action::Quit, "quit"),
    ch(
        '?',
        Scope::Everywhere,
        Action::Help,
        "show or hide this help",
    ),
    bind(
        KeyCode::Enter,
        Scope::SearchInput,
        Action::Open,
        "keep the search and leave typing",
    ),
    bind(
        KeyCode::Esc,
        Scope::SearchInput,
        Action::Back,
        "clear the search and leave typing",
    ),
    bind(
        KeyCode::Backspace,
        Scope::SearchInput,
        Action::DeleteChar,
        "delete the last character",
    ),
    Binding {
        code: KeyCode::Char('c'),
        modifiers: KeyModifiers::CONTROL,
        scope: Scope::Form,
        action: Action::Quit,
        description: "quit",
    },
    bind(
        KeyCode::Enter,
        Scope::Form,
        Action::Open,
        "check the values and rerun the analytic",
    ),
    bind(
        KeyCode::Esc,
        Scope::Form,
        Action::Back,
        "close the form without applying",
    ),
    bind(KeyCode::Tab, Scope::Form, Action::NextField, "next field"),
    bind(KeyCode::Down, Scope::Form, Action::NextField, "next field"),
    bind(
        KeyCode::BackTab,
        Scope::Form,
        Action::PreviousField,
        "previous field",
    ),
    bind(
        KeyCode::Up,
        Scope::Form,
        Action::PreviousField,
        "previous field",
    ),
    Binding {
        code: KeyCode::Char('c'),
        modifiers: KeyModifiers::CONTROL,
        scope: Scope::Note,
        action: Action::Quit,
        description: "quit",
    },
    bind(KeyCode::Enter, Scope::Note, Action::Open, "keep the note"),
    bind(
        KeyCode::Esc,
        Scope::Note,
        Action::Back,
        "close the editor without keeping the change",
    ),
    with(
        KeyModifiers::CONTROL,
        KeyCode::Char('c'),
        Scope::Prompt,
        Action::Quit,
        "quit",
    ),
    bind(KeyCode::Enter, Scope::Prompt, Action::Open, "run the query"),
    with(
        KeyModifiers::ALT,
        KeyCode::Enter,
        Scope::Prompt,
        Action::NewLine,
        "new line",
    ),
    with(
        KeyModifiers::CONTROL,
        KeyCode::Char('j'),
        Scope::Prompt,
        Action::NewLine,
        "new line",
    ),
    bind(
        KeyCode::Up,
        Scope::Prompt,
        Action::Up,
        "previous query (from the first line)",
    ),
    bind(
        KeyCode::Down,
        Scope::Prompt,
        Action::Down,
        "next query (from the last line)",
    ),
    bind(
        KeyCode::Esc,
        Scope::Prompt,
        Action::Back,
        "close, keeping the text",
    ),
    ch(
        'e',
        Scope::Detail,
        Action::Tune,
        "edit the tunables and rerun this analytic",
    ),
    bind(
        KeyCode::Tab,
        Scope::Detail,
        Action::SwitchFocus,
        "move the keys between the analytic's page and its chains",
    ),
    ch(
        'n',
        Scope::Chain,
        Action::NextChain,
        "next chain of this analytic",
    ),
    ch(
        'p',
        Scope::Chain,
        Action::PreviousChain,
        "previous chain of this analytic",
    ),
    ch(
        'r',
        Scope::Event,
        Action::ToggleRaw,
        "show or hide the raw record",
    ),
    bind(
        KeyCode::Enter,
        Scope::Event,
        Action::Pivot,
        "pivot: every event with the selected field's value, and its chains",
    ),
    ch(
        't',
        Scope::Event,
        Action::Timeline,
        "timeline of this host around the event",
    ),
    ch('h', Scope::Event, Action::ScrollLeft, "scroll left"),
    bind(
        KeyCode::Left,
        Scope::Event,
        Action::ScrollLeft,
        "scroll left",
    ),
    ch('l', Scope::Event, Action::ScrollRight, "scroll right"),
    bind(
        KeyCode::Right,
        Scope::Event,
        Action::ScrollRight,
        "scroll right",
    ),
    bind(
        KeyCode::Tab,
        Scope::Picker,
        Action::NextFilterKind,
        "next filter kind",
    ),
    bind(
        KeyCode::Right,
        Scope::Picker,
        Action::NextFilterKind,
        "next filter kind",
    ),
    bind(
        KeyCode::BackTab,
        Scope::Picker,
        Action::PreviousFilterKind,
        "previous filter kind",
    ),
    bind(
        KeyCode::Left,
        Scope::Picker,
        Action::PreviousFilterKind,
        "previous filter kind",
    ),
    ch(
        '/',
        Scope::Picker,
        Action::Search,
        "type to narrow the values",
    ),
    ch(
        'x',
        Scope::Picker,
        Action::ClearFilterKind,
        "remove this kind's filter",
    ),
    bind(
        KeyCode::Delete,
        Scope::Picker,
        Action::ClearFilterKind,
        "remove this kind's filter",
    ),
    ch(
        '/',
        Scope::Views,
        Action::Search,
        "fuzzy search analytics (id, technique, text)",
    ),
    ch(
        ':',
        Scope::Views,
        Action::QueryPrompt,
        "run an EQL query over the loaded events",
    ),
    ch(
        'f',
        Scope::Views,
        Action::FilterPicker,
        "filter by host, platform, technique, tactic, severity, source or time",
    ),
    ch(
        'F',
        Scope::Views,
        Action::ClearFilters,
        "remove every filter and the search",
    ),
    ch('!', Scope::Views, Action::Problems, "list load problems"),
    ch(
        'b',
        Scope::Views,
        Action::Bookmark,
        "bookmark the selected chain or event, or remove the bookmark",
    ),
    ch(
        'a',
        Scope::Views,
        Action::Note,
        "write a note on the selected chain or event",
    ),
    ch(
        'v',
        Scope::Views,
        Action::Verdict,
        "next verdict of the selected chain: true positive, false positive, benign, none",
    ),
    ch('w', Scope::Views, Action::SaveCase, "save the case file"),
    ch(
        'X',
        Scope::Views,
        Action::ExportCase,
        "export the case as JSON, CSV and a Markdown report",
    ),
    ch(
        'H',
        Scope::Views,
        Action::Histogram,
        "show or hide the histogram of events and chains over time",
    ),
    ch('j', Scope::Moving, Action::Down, "down"),
    bind(KeyCode::Down, Scope::Moving, Action::Down, "down"),
    ch('k', Scope::Moving, Action::Up, "up"),
    bind(KeyCode::Up, Scope::Moving, Action::Up, "up"),
    bind(
        KeyCode::PageDown,
        Scope::Moving,
        Action::PageDown,
        "page down",
    ),
    bind(KeyCode::PageUp, Scope::Moving, Action::PageUp, "page up"),
    ch('g', Scope::Moving, Action::Top, "first row"),
    bind(KeyCode::Home, Scope::Moving, Action::Top, "first row"),
    ch('G', Scope::Moving, Action::Bottom, "last row"),
    bind(KeyCode::End, Scope::Moving, Action::Bottom, "last row"),
    bind(
        KeyCode::Enter,
        Scope::Moving,
        Action::Open,
        "open the selection / apply the choice",
    ),
    bind(KeyCode::Esc, Scope::Moving, Action::Back, "go back / close"),
    bind(
        KeyCode::Backspace,
        Scope::Moving,
        Action::Back,
        "go back / close",
    ),
];

/// Scopes in the order the help shows them.
pub const SCOPES: [Scope; 11] = [
    Scope::Everywhere,
    Scope::Moving,
    Scope::Views,
    Scope::Detail,
    Scope::Chain,
    Scope::Event,
    Scope::Picker,
    Scope::SearchInput,
    Scope::Form,
    Scope::Note,
    Scope::Prompt,
];

/// Finds the action bound to `key` in `context`.
///
/// Key releases are ignored, because some terminals report both presses and releases and a key
/// should act once per press.
pub fn lookup(key: &KeyEvent, context: KeyContext) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    KEYMAP
        .iter()
        .find(|binding| {
            context.applies(binding.scope)
                && binding.code == key.code
                && modifiers_match(binding, key.modifiers)
        })
        .map(|binding| binding.action)
}

fn modifiers_match(binding: &Binding, pressed: KeyModifiers) -> bool {
    let pressed = match binding.code {
        KeyCode::Char(_) | KeyCode::BackTab => pressed - KeyModifiers::SHIFT,
        _ => pressed,
    };
    pressed == binding.modifiers
}

/// Names a key for the help and the status line, such as `Ctrl-c`, `PgDn` or `G`.
pub fn key_name(binding: &Binding) -> String {
    let base = match binding.code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".to_owned(),
        KeyCode::Esc => "Esc".to_owned(),
        KeyCode::Backspace => "Backspace".to_owned(),
        KeyCode::Tab => "Tab".to_owned(),
        KeyCode::BackTab => "Shift-Tab".to_owned(),
        KeyCode::Up => "Up".to_owned(),
        KeyCode::Down => "Down".to_owned(),
        KeyCode::Left => "Left".to_owned(),
        KeyCode::Right => "Right".to_owned(),
        KeyCode::PageUp => "PgUp".to_owned(),
        KeyCode::PageDown => "PgDn".to_owned(),
        KeyCode::Home => "Home".to_owned(),
        KeyCode::End => "End".to_owned(),
        KeyCode::Delete => "Del".to_owned(),
        other => format!("{other:?}"),
    };
    if binding.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else if binding.modifiers.contains(KeyModifiers::ALT) {
        format!("Alt-{base}")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    const VIEW: KeyContext = KeyContext {
        chain_view: false,
        event_view: false,
        overlay: false,
        picker: false,
        typing: false,
        detail_view: false,
        form: false,
        note: false,
        prompt: false,
    };

    #[test]
    fn shifted_letter_matches() {
        let key = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&key, VIEW), Some(Action::Bottom));
    }

    #[test]
    fn chain_keys_need_chain_view() {
        let key = press(KeyCode::Char('n'));
        assert_eq!(lookup(&key, VIEW), None);
        let chain = KeyContext {
            chain_view: true,
            ..VIEW
        };
        assert_eq!(lookup(&key, chain), Some(Action::NextChain));
    }

    #[test]
    fn typing_only_sees_search_keys() {
        let typing = KeyContext {
            typing: true,
            ..VIEW
        };
        assert_eq!(lookup(&press(KeyCode::Char('q')), typing), None);
        assert_eq!(lookup(&press(KeyCode::Esc), typing), Some(Action::Back));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&ctrl_c, typing), Some(Action::Quit));
    }

    #[test]
    fn form_sees_only_form_keys() {
        let form = KeyContext {
            form: true,
            detail_view: true,
            ..VIEW
        };
        assert_eq!(lookup(&press(KeyCode::Char('e')), form), None);
        assert_eq!(lookup(&press(KeyCode::Char('q')), form), None);
        assert_eq!(lookup(&press(KeyCode::Enter), form), Some(Action::Open));
        assert_eq!(lookup(&press(KeyCode::Tab), form), Some(Action::NextField));
        let detail = KeyContext {
            detail_view: true,
            ..VIEW
        };
        assert_eq!(
            lookup(&press(KeyCode::Char('e')), detail),
            Some(Action::Tune)
        );
    }

    #[test]
    fn prompt_sees_only_prompt_keys() {
        let prompt = KeyContext {
            prompt: true,
            ..VIEW
        };
        assert_eq!(lookup(&press(KeyCode::Char('q')), prompt), None);
        assert_eq!(lookup(&press(KeyCode::Char(':')), prompt), None);
        assert_eq!(lookup(&press(KeyCode::Enter), prompt), Some(Action::Open));
        let alt_enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT);
        assert_eq!(lookup(&alt_enter, prompt), Some(Action::NewLine));
        let ctrl_j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&ctrl_j, prompt), Some(Action::NewLine));
        assert_eq!(
            lookup(&press(KeyCode::Char(':')), VIEW),
            Some(Action::QueryPrompt)
        );
    }

    #[test]
    fn every_key_is_bound_once_per_scope() {
        for (position, binding) in KEYMAP.iter().enumerate() {
            let twin = KEYMAP[..position].iter().find(|earlier| {
                earlier.scope == binding.scope
                    && earlier.code == binding.code
                    && earlier.modifiers == binding.modifiers
            });
            assert!(twin.is_none(), "{binding:?} repeats {twin:?}");
        }
    }

    #[test]
    fn alt_key_is_named() {
        let binding = KEYMAP
            .iter()
            .find(|b| b.action == Action::NewLine && b.modifiers == KeyModifiers::ALT);
        assert_eq!(binding.map(key_name).as_deref(), Some("Alt-Enter"));
    }

    #[test]
    fn release_is_ignored() {
        let mut key = press(KeyCode::Char('j'));
        key.kind = KeyEventKind::Release;
        assert_eq!(lookup(&key, VIEW), None);
    }

    #[test]
    fn every_binding_has_description() {
        for binding in KEYMAP {
            assert!(!binding.description.is_empty(), "{binding:?}");
            assert!(SCOPES.contains(&binding.scope), "{binding:?}");
        }
    }
}
