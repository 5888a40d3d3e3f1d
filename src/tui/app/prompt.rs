//! The app's query actions: the EQL prompt, the query request it sends, and the matches that
//! come back.

use crossterm::event::KeyEvent;

use super::super::cursor::ListCursor;
use super::super::keymap::Action;
use super::super::query::{self, QueryPrompt, QueryRun, QueryState};
use super::super::sanitize::{sanitize, sanitize_lines};
use super::{App, View};
use crate::engine::{CancelToken, QueryResult, Request};
use crate::eql;

impl App {
    /// Opens the prompt on the text it had when Esc last closed it, or empty after a query ran.
    pub(super) fn open_prompt(&mut self) {
        self.prompt = Some(QueryPrompt::new(
            self.prompt_lines.clone(),
            self.prompt_recalled,
        ));
    }

    pub(super) fn handle_prompt_key(&mut self, key: KeyEvent, action: Option<Action>) {
        let history = &self.query_history;
        let Some(prompt) = self.prompt.as_mut() else {
            return;
        };
        match action {
            Some(Action::Quit) => self.quit = true,
            Some(Action::Back) => {
                self.prompt_lines = prompt.input.lines().to_vec();
                self.prompt_recalled = prompt.recalled;
                self.prompt = None;
            }
            Some(Action::Open) => self.submit_query(),
            Some(Action::NewLine) => {
                prompt.input.insert_newline();
                prompt.error = None;
            }
            Some(Action::Up) if prompt.on_first_line() && prompt.recall_previous(history) => {}
            Some(Action::Down) if prompt.on_last_line() && prompt.recall_next(history) => {}
            _ => {
                if prompt.input.input(key) {
                    // The caret points into the text as submitted, so an edit retires it.
                    prompt.error = None;
                }
            }
        }
    }

    /// Checks the prompt's query. A query that cannot run keeps the prompt open with the error.
    /// A valid one closes it, cancels the query still running, and goes to the worker, with a
    /// view that shows its matches when they arrive.
    pub(super) fn submit_query(&mut self) {
        let Some(prompt) = self.prompt.as_mut() else {
            return;
        };
        let text = prompt.text();
        let query = match query::check(&text, &eql::Options::default()) {
            Ok(query) => query,
            Err(error) => {
                prompt.error = Some(error);
                return;
            }
        };
        if self.query_history.last() != Some(&text) {
            self.query_history.push(text.clone());
        }
        // The next prompt opens empty, as a shell's does; Up recalls this query.
        self.prompt_lines = Vec::new();
        self.prompt_recalled = None;
        self.prompt = None;

        for run in &mut self.queries {
            if run.state == QueryState::Running {
                run.cancel.cancel();
                run.state = QueryState::Cancelled;
            }
        }
        self.generation += 1;
        let generation = self.generation;
        let cancel = CancelToken::new();
        let request = Request::Query {
            query: Box::new(query),
            generation,
            cancel: cancel.clone(),
        };
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|requests| requests.send(request).is_ok());
        let state = if sent {
            tracing::info!(generation, "requested a query");
            QueryState::Running
        } else {
            tracing::error!("failed to request a query: the engine has stopped");
            QueryState::Failed("the engine has stopped, so the query cannot run".to_owned())
        };
        self.queries.push(QueryRun {
            text,
            generation,
            cancel,
            state,
        });
        self.path.push(View::Query {
            query: self.queries.len() - 1,
            matches: ListCursor::default(),
        });
        self.dirty = true;
    }

    /// Stores a query's matches, unless a newer query cancelled it meanwhile.
    pub(super) fn finish_query(&mut self, generation: u64, result: Result<QueryResult, String>) {
        let Some(run) = self.queries.iter_mut().find(|q| q.generation == generation) else {
            return;
        };
        if run.state != QueryState::Running {
            tracing::debug!(generation, "dropped the result of a cancelled query");
            return;
        }
        run.state = match result {
            Ok(found) => QueryState::Done(found),
            Err(message) => QueryState::Failed(message),
        };
        self.dirty = true;
    }

    /// Types pasted text into the prompt, the note, the tuning form or the search, whichever
    /// has the keyboard. Only the prompt keeps line breaks; the others take one line.
    ///
    /// Pasted text may come from the evidence, so control characters become visible
    /// placeholders before any widget draws them.
    pub(super) fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let one_line = || sanitize(&text.replace('\n', " ")).into_owned();
        if let Some(prompt) = self.prompt.as_mut() {
            if prompt.input.insert_str(sanitize_lines(&text).join("\n")) {
                prompt.error = None;
            }
        } else if let Some(form) = self.form.as_mut() {
            if let Some(field) = form.fields.get_mut(form.focus) {
                field.input.insert_str(one_line());
            }
        } else if let Some(note) = self.note.as_mut() {
            note.input.insert_str(one_line());
        } else if self.typing {
            self.search.push_str(&one_line());
            self.dirty = true;
        }
    }
}
