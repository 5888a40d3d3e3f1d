//! The app's tuning actions: the form that edits an analytic's tunables, the rerun request it
//! sends, and the result that comes back.

use crossterm::event::KeyEvent;

use super::super::keymap::Action;
use super::super::tune::{self, Rerun, RerunState, TuneForm};
use super::{App, ChainSource, View};
use crate::analytics::Analytic;
use crate::engine::{CancelToken, Chain, Finding, Request};

impl App {
    /// Applies a rerun's result unless a newer request for the same analytic was sent since.
    pub(super) fn finish_rerun(
        &mut self,
        id: String,
        generation: u64,
        result: Result<Vec<Chain>, String>,
    ) {
        let Some(rerun) = self.reruns.get_mut(&id) else {
            return;
        };
        if rerun.generation != generation {
            tracing::debug!(analytic = %id, generation, "dropped a stale rerun result");
            return;
        }
        match result {
            Ok(chains) => {
                rerun.state = RerunState::Done;
                if chains.is_empty() {
                    self.findings.remove(&id);
                } else {
                    let finding = Finding {
                        analytic: id.clone(),
                        chains,
                    };
                    self.findings.insert(id.clone(), finding);
                }
            }
            Err(message) => rerun.state = RerunState::Failed(message),
        }
        // Chain indices of this analytic refer to the old chains, so the chain views and pivots
        // that use them close, with every view above them.
        if let Some(index) = self.analytics.iter().position(|a| a.id == id) {
            let stale = self.path.iter().position(|view| match view {
                View::Chain {
                    source: ChainSource::Analytic(analytic),
                    ..
                } => *analytic == index,
                View::Pivot { chains, .. } => chains.iter().any(|(analytic, _)| *analytic == index),
                _ => false,
            });
            if let Some(position) = stale {
                self.path.truncate(position);
            }
        }
        self.keep_selection = true;
        self.dirty = true;
    }

    /// Opens the tuning form of the analytic whose detail is shown, when it has tunables.
    pub(super) fn open_form(&mut self) {
        let Some(View::Detail { analytic, .. }) = self.path.last() else {
            return;
        };
        let Some(summary) = self.analytics.get(*analytic) else {
            return;
        };
        match self.executables.get(&summary.id) {
            Some(executable) if !executable.tunables.is_empty() => {
                self.form = Some(TuneForm::new(executable));
            }
            Some(_) => self.notice = Some(format!("{} has no tunables", summary.id)),
            None => self.notice = Some(format!("{} has no executable query", summary.id)),
        }
    }

    pub(super) fn handle_form_key(&mut self, key: KeyEvent, action: Option<Action>) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        match action {
            Some(Action::Quit) => self.quit = true,
            Some(Action::Back) => self.form = None,
            Some(Action::NextField) => form.step_focus(true),
            Some(Action::PreviousField) => form.step_focus(false),
            Some(Action::Open) => self.apply_form(),
            _ => form.input(key),
        }
    }

    /// Validates the form; on success closes it and reruns the tuned analytic, on error keeps
    /// it open with the message.
    pub(super) fn apply_form(&mut self) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        let Some(analytic) = self.executables.get(&form.analytic) else {
            form.error = Some(format!("{} is no longer loaded", form.analytic));
            return;
        };
        match form.apply(analytic) {
            Err(_) => {}
            Ok(None) => {
                self.notice = Some("no tunable changed".to_owned());
                self.form = None;
            }
            Ok(Some(tuned)) => {
                self.form = None;
                self.start_rerun(tuned);
            }
        }
    }

    pub(super) fn start_rerun(&mut self, tuned: Analytic) {
        let id = tuned.id.clone();
        if let Some(summary) = self.analytics.iter_mut().find(|a| a.id == id) {
            summary.executable = Some(tune::executable_summary(&tuned));
        }
        // The older rerun's chains would be dropped on arrival, so it stops now rather than
        // hold the worker.
        if let Some(previous) = self.reruns.get(&id) {
            previous.cancel.cancel();
        }
        self.generation += 1;
        let generation = self.generation;
        let cancel = CancelToken::new();
        let request = Request::Rerun {
            analytic: Box::new(tuned.clone()),
            generation,
            cancel: cancel.clone(),
        };
        self.executables.insert(id.clone(), tuned);
        self.tuned.insert(id.clone());
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|requests| requests.send(request).is_ok());
        let state = if sent {
            tracing::info!(analytic = %id, generation, "requested a rerun");
            RerunState::Running
        } else {
            tracing::error!(analytic = %id, "failed to request a rerun: the engine has stopped");
            RerunState::Failed("the engine has stopped, so the analytic cannot rerun".to_owned())
        };
        self.reruns.insert(
            id,
            Rerun {
                generation,
                state,
                cancel,
            },
        );
        self.dirty = true;
    }
}
