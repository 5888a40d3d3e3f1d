//! The EQL query prompt and the queries run from it in this session.

use ratatui_textarea::{CursorMove, TextArea};

use crate::engine::{CancelToken, QueryResult};
use crate::eql;

/// The reason a typed query cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptError {
    /// One line naming the problem, such as `invalid query at line 2, column 9: found …`.
    pub message: String,
    /// Line and column of the offending token, both starting at 1, when the parser found one.
    pub position: Option<(usize, usize)>,
    /// The query line that contains the offending token, for the caret display.
    pub line_text: String,
}

/// Parses `text` and compiles it without running it, so that every error the query can have
/// before reading an event shows in the prompt.
pub fn check(text: &str, options: &eql::Options) -> Result<eql::Query, PromptError> {
    if text.trim().is_empty() {
        return Err(PromptError {
            message: "type a query, such as: process where process.name == \"cmd.exe\"".to_owned(),
            position: None,
            line_text: String::new(),
        });
    }
    let query = eql::parse(text).map_err(|error| PromptError {
        message: format!(
            "invalid query at line {}, column {}: found {}, expected {}",
            error.position.line, error.position.column, error.found, error.expected
        ),
        position: Some((error.position.line, error.position.column)),
        line_text: error.line_text,
    })?;
    // Unknown functions, wrong argument counts and invalid patterns fail while compiling,
    // before the first event, so an empty run finds them at no cost.
    let no_events: [serde_json::Value; 0] = [];
    eql::execute(&query, &no_events, options).map_err(|error| PromptError {
        message: format!("invalid query: {error}"),
        position: None,
        line_text: String::new(),
    })?;
    Ok(query)
}

/// The open prompt: the text being typed, the error of the last attempt to run it, and the
/// place in the session's query history.
#[derive(Clone, Debug)]
pub struct QueryPrompt {
    /// The query text.
    pub input: TextArea<'static>,
    /// The reason the last submitted text could not run.
    pub error: Option<PromptError>,
    /// Index into the history of the query shown, or `None` while the draft is shown.
    pub recalled: Option<usize>,
    /// The text typed before the history was recalled, restored after its newest entry.
    draft: Vec<String>,
}

impl QueryPrompt {
    /// Opens the prompt on `lines`, the text left from its last use. `recalled` is the history
    /// entry that text came from, if any.
    pub fn new(lines: Vec<String>, recalled: Option<usize>) -> QueryPrompt {
        QueryPrompt {
            input: text_area(lines),
            error: None,
            recalled,
            draft: Vec::new(),
        }
    }

    /// Returns the query as typed, lines joined by line feeds.
    pub fn text(&self) -> String {
        self.input.lines().join("\n")
    }

    /// Shows the history entry before the one shown, keeping the draft when leaving it. Returns
    /// false when the oldest entry is already shown.
    pub fn recall_previous(&mut self, history: &[String]) -> bool {
        let previous = match self.recalled {
            None => history.len().checked_sub(1),
            Some(index) => index.checked_sub(1),
        };
        let Some(previous) = previous else {
            return false;
        };
        if self.recalled.is_none() {
            self.draft = self.input.lines().to_vec();
        }
        self.show(history, Some(previous));
        true
    }

    /// Shows the history entry after the one shown, or the draft after the newest entry.
    /// Returns false when the draft is already shown.
    pub fn recall_next(&mut self, history: &[String]) -> bool {
        let Some(index) = self.recalled else {
            return false;
        };
        let next = index + 1;
        if next < history.len() {
            self.show(history, Some(next));
        } else {
            self.show(history, None);
        }
        true
    }

    fn show(&mut self, history: &[String], entry: Option<usize>) {
        let lines = match entry.and_then(|index| history.get(index)) {
            Some(text) => text.split('\n').map(str::to_owned).collect(),
            None => std::mem::take(&mut self.draft),
        };
        self.input = text_area(lines);
        self.recalled = entry;
        self.error = None;
    }

    /// Returns whether the cursor is on the first line, where Up recalls the history.
    pub fn on_first_line(&self) -> bool {
        self.input.cursor().0 == 0
    }

    /// Returns whether the cursor is on the last line, where Down recalls the history.
    pub fn on_last_line(&self) -> bool {
        self.input.cursor().0 + 1 >= self.input.lines().len()
    }
}

fn text_area(lines: Vec<String>) -> TextArea<'static> {
    let mut input = TextArea::new(lines);
    input.move_cursor(CursorMove::Bottom);
    input.move_cursor(CursorMove::End);
    // The default underlines the cursor's line, which reads as a link.
    input.set_cursor_line_style(ratatui::style::Style::default());
    input
}

/// The state of a query run.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryState {
    /// The worker has it.
    Running,
    /// The matches arrived.
    Done(QueryResult),
    /// The evaluator failed with this message, or the request could not be sent.
    Failed(String),
    /// A newer query replaced it before it finished.
    Cancelled,
}

/// One query submitted in this session.
#[derive(Clone, Debug)]
pub struct QueryRun {
    /// The query as typed.
    pub text: String,
    /// The generation of its request, which its result carries back.
    pub generation: u64,
    /// Cancels the request when a newer query replaces it.
    pub cancel: CancelToken,
    /// Its state.
    pub state: QueryState,
}

impl QueryRun {
    /// Returns the query's text on one line, whitespace runs shortened to one space, for titles
    /// and case entries.
    pub fn one_line(&self) -> String {
        self.text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reports_position() {
        let error = match check(
            "sequence by host.name\n  [process wher true]",
            &eql::Options::default(),
        ) {
            Ok(_) => panic!("a malformed query parsed"),
            Err(error) => error,
        };
        assert_eq!(error.position, Some((2, 12)), "{error:?}");
        assert_eq!(error.line_text, "  [process wher true]");
        assert!(
            error
                .message
                .starts_with("invalid query at line 2, column 12"),
            "{}",
            error.message
        );
    }

    #[test]
    fn check_reports_unknown_function() {
        let error = check("process where nope(1)", &eql::Options::default()).err();
        assert_eq!(error.as_ref().and_then(|e| e.position), Some((1, 15)));
        let message = error.map(|e| e.message).unwrap_or_default();
        assert!(message.contains("unknown function 'nope'"), "{message}");
    }

    #[test]
    fn check_compiles_without_events() {
        let error = check(
            "process where process.name regex \"(\"",
            &eql::Options::default(),
        )
        .err();
        assert_eq!(error.as_ref().map(|e| e.position), Some(None));
        let message = error.map(|e| e.message).unwrap_or_default();
        assert!(
            message.starts_with("invalid query: invalid regular expression"),
            "{message}"
        );
    }

    #[test]
    fn check_rejects_empty_text() {
        assert!(check("  \n ", &eql::Options::default()).is_err());
        assert!(check("process where true", &eql::Options::default()).is_ok());
    }

    #[test]
    fn history_walks_back_and_restores_draft() {
        let history = vec!["first".to_owned(), "second\nline".to_owned()];
        let mut prompt = QueryPrompt::new(vec!["draft".to_owned()], None);
        assert!(prompt.recall_previous(&history));
        assert_eq!(prompt.text(), "second\nline");
        assert!(prompt.recall_previous(&history));
        assert_eq!(prompt.text(), "first");
        assert!(!prompt.recall_previous(&history), "past the oldest entry");
        assert!(prompt.recall_next(&history));
        assert!(prompt.recall_next(&history));
        assert_eq!(prompt.text(), "draft");
        assert_eq!(prompt.recalled, None);
        assert!(!prompt.recall_next(&history), "past the draft");
    }
}
