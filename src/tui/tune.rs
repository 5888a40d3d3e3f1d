//! The tuning form: one text field per tunable of an executable analytic, and the rerun state
//! of each analytic whose tunables changed.

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use crate::analytics::{Analytic, AnalyticError};
use crate::engine::ExecutableSummary;

/// One field of the form.
#[derive(Clone, Debug)]
pub struct TuneField {
    /// The tunable's name, such as `TimeWindow`.
    pub name: String,
    /// The tunable's kind: `duration`, `number`, `list` or `text`.
    pub kind: &'static str,
    /// One line on what the value changes.
    pub help: String,
    /// The value when the form opened, as a person types it.
    pub initial: String,
    /// The edited value.
    pub input: TextArea<'static>,
}

impl TuneField {
    /// Returns the edited value; lines are joined because every kind is one line of text.
    pub fn text(&self) -> String {
        self.input.lines().join("")
    }
}

/// The open tuning form of one analytic.
#[derive(Clone, Debug)]
pub struct TuneForm {
    /// The analytic id.
    pub analytic: String,
    /// One field per tunable, in the analytic's order.
    pub fields: Vec<TuneField>,
    /// Index of the field that receives typed keys.
    pub focus: usize,
    /// The validation error of the last apply, shown under the fields.
    pub error: Option<String>,
}

impl TuneForm {
    /// Builds a form with the analytic's current values.
    pub fn new(analytic: &Analytic) -> TuneForm {
        let fields = analytic
            .tunables
            .iter()
            .map(|tunable| {
                let initial = tunable.value.to_text();
                let mut input = TextArea::new(vec![initial.clone()]);
                input.move_cursor(ratatui_textarea::CursorMove::End);
                // The default underlines the whole line, which reads as a link.
                input.set_cursor_line_style(ratatui::style::Style::default());
                TuneField {
                    name: tunable.name.clone(),
                    kind: tunable.kind.name(),
                    help: tunable.help.clone(),
                    initial,
                    input,
                }
            })
            .collect();
        TuneForm {
            analytic: analytic.id.clone(),
            fields,
            focus: 0,
            error: None,
        }
    }

    /// Moves the focus to the next or previous field, wrapping around.
    pub fn step_focus(&mut self, forward: bool) {
        let len = self.fields.len();
        if len == 0 {
            return;
        }
        self.focus = if forward {
            (self.focus + 1) % len
        } else {
            (self.focus + len - 1) % len
        };
    }

    /// Types one key into the focused field.
    pub fn input(&mut self, key: KeyEvent) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            field.input.input(key);
        }
    }

    /// Validates every changed field against `analytic` and returns the tuned copy, or `None`
    /// when nothing changed.
    ///
    /// On an invalid value the error names the tunable, the focus moves to its field and the
    /// analytic is left as it was.
    pub fn apply(&mut self, analytic: &Analytic) -> Result<Option<Analytic>, String> {
        let mut tuned = analytic.clone();
        let mut changed = false;
        for (position, field) in self.fields.iter().enumerate() {
            let text = field.text();
            if text.trim() == field.initial.trim() {
                continue;
            }
            if let Err(error) = tuned.set_tunable(&field.name, &text) {
                self.focus = position;
                // The form already names the analytic, so only the tunable and the reason show.
                let reason = match error {
                    AnalyticError::Field { message, .. } => message,
                    AnalyticError::Query { error, .. } => {
                        format!("the query no longer parses with this value: {error}")
                    }
                    other => other.to_string(),
                };
                let message = format!("{}: {reason}", field.name);
                self.error = Some(message.clone());
                return Err(message);
            }
            changed = true;
        }
        self.error = None;
        Ok(changed.then_some(tuned))
    }
}

/// State of a rerun requested from the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RerunState {
    /// Sent to the worker, no result yet.
    Running,
    /// The newest rerun finished and its chains replaced the old ones.
    Done,
    /// The newest rerun failed, with the message.
    Failed(String),
}

/// The newest rerun of one analytic.
#[derive(Clone, Debug)]
pub struct Rerun {
    /// The generation of the newest request; results of older ones are dropped.
    pub generation: u64,
    /// Its state.
    pub state: RerunState,
    /// Stops the request, queued or running, when a newer rerun replaces it.
    pub cancel: crate::engine::CancelToken,
}

/// Describes a tuned analytic the way the engine's summaries do, so the detail view shows the
/// new query and values.
pub fn executable_summary(analytic: &Analytic) -> ExecutableSummary {
    ExecutableSummary {
        path: analytic.path.display().to_string(),
        severity: analytic.severity.clone(),
        query: analytic.query_text.clone(),
        tunables: analytic
            .tunables
            .iter()
            .map(|t| (t.name.clone(), t.value.to_text(), t.help.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn analytic() -> Analytic {
        let text = "id = \"AN0001\"\ntitle = \"t\"\nplatform = \"Windows\"\n\
                    technique = \"T1059\"\nseverity = \"low\"\nnotes = \"n\"\n\
                    query = 'sequence with maxspan={{TimeWindow}} [process where true] \
                    [file where true]'\n\
                    [[reads]]\nlog_source = \"WinEventLog:Sysmon\"\n\
                    [tunables.TimeWindow]\nkind = \"duration\"\ndefault = \"5m\"\n\
                    help = \"maximum time between the steps\"\n";
        match Analytic::from_toml(std::path::Path::new("t.toml"), text) {
            Ok(analytic) => analytic,
            Err(error) => panic!("test analytic failed to load: {error}"),
        }
    }

    fn type_into(form: &mut TuneForm, text: &str) {
        for c in text.chars() {
            form.input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn form_shows_current_values() {
        let form = TuneForm::new(&analytic());
        assert_eq!(form.fields.len(), 1);
        assert_eq!(form.fields[0].text(), "5m");
        assert_eq!(form.fields[0].kind, "duration");
    }

    #[test]
    fn unchanged_form_applies_nothing() {
        let mut form = TuneForm::new(&analytic());
        assert!(matches!(form.apply(&analytic()), Ok(None)));
    }

    #[test]
    fn invalid_value_keeps_error() {
        let mut form = TuneForm::new(&analytic());
        type_into(&mut form, "x");
        let result = form.apply(&analytic());
        assert!(result.is_err());
        let error = form.error.clone().unwrap_or_default();
        assert!(error.starts_with("TimeWindow: "), "{error}");
    }

    #[test]
    fn valid_value_tunes_copy() {
        let mut form = TuneForm::new(&analytic());
        form.input(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        type_into(&mut form, "s");
        let tuned = match form.apply(&analytic()) {
            Ok(Some(tuned)) => tuned,
            other => panic!("expected a tuned analytic, found {other:?}"),
        };
        assert!(
            tuned.query_text.contains("maxspan=5s"),
            "{}",
            tuned.query_text
        );
        assert_eq!(form.error, None);
    }
}
