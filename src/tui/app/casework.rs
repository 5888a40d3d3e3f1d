//! The app's case actions: bookmarks, notes and verdicts on the selected chain or event, and
//! saving and exporting the case.

use crossterm::event::KeyEvent;

use super::super::case::{self, NoteEditor, Target};
use super::super::keymap::Action;
use super::{App, ChainSource, View};

impl App {
    /// Names the chain or event the innermost view has selected, with a label for messages.
    pub fn selected_target(&self) -> Option<(Target, String)> {
        let store = self.store.as_ref()?;
        let chain_target = |source: ChainSource, chain: usize| {
            let id = self.case_source(source)?;
            let found = self.chain(source, chain)?;
            let label = format!("chain {} of {}", chain + 1, self.source_label(source));
            Some((Target::chain(store, &id, found), label))
        };
        let event_target = |event: usize| {
            let key = case::EventKey::of(store, event)?;
            let label = format!("event {} record {}", key.file, key.record);
            Some((Target::Event { event: key }, label))
        };
        match self.current() {
            View::Analytics(_) => None,
            View::Detail {
                analytic, chains, ..
            } => {
                let source = ChainSource::Analytic(*analytic);
                let chain = *self.visible_chains(source).get(chains.selected)?;
                chain_target(source, chain)
            }
            View::Query { query, matches } => {
                let source = ChainSource::Query(*query);
                let chain = *self.visible_chains(source).get(matches.selected)?;
                chain_target(source, chain)
            }
            View::Chain { source, chain, .. } => chain_target(*source, *chain),
            View::Timeline { events, cursor, .. } => event_target(*events.get(cursor.selected)?),
            View::Event { event, .. } => event_target(*event),
            View::Pivot {
                events,
                chains,
                cursor,
                ..
            } => match events.get(cursor.selected) {
                Some(&event) => event_target(event),
                None => {
                    let &(analytic, chain) = chains.get(cursor.selected - events.len())?;
                    chain_target(ChainSource::Analytic(analytic), chain)
                }
            },
        }
    }

    pub(super) fn toggle_bookmark(&mut self) {
        let Some((target, label)) = self.selected_target() else {
            self.notice = Some("select a chain or an event to bookmark".to_owned());
            return;
        };
        let entry = self.case.entry(target);
        entry.bookmarked = !entry.bookmarked;
        let done = if entry.bookmarked {
            "bookmarked"
        } else {
            "removed the bookmark of"
        };
        self.notice = Some(format!("{done} {label}"));
    }

    pub(super) fn open_note(&mut self) {
        let Some((target, label)) = self.selected_target() else {
            self.notice = Some("select a chain or an event to write a note on".to_owned());
            return;
        };
        let note = self
            .case
            .get(&target)
            .map(|e| e.note.clone())
            .unwrap_or_default();
        self.note = Some(NoteEditor::new(target, label, &note));
    }

    pub(super) fn handle_note_key(&mut self, key: KeyEvent, action: Option<Action>) {
        let Some(editor) = self.note.as_mut() else {
            return;
        };
        match action {
            Some(Action::Quit) => self.quit = true,
            Some(Action::Back) => self.note = None,
            Some(Action::Open) => {
                let text = editor.text();
                let target = editor.target.clone();
                self.case.entry(target).note = text;
                self.note = None;
            }
            _ => {
                editor.input.input(key);
            }
        }
    }

    pub(super) fn cycle_verdict(&mut self) {
        match self.selected_target() {
            Some((target @ Target::Chain { .. }, label)) => {
                let entry = self.case.entry(target);
                entry.verdict = entry.verdict.next();
                self.notice = Some(format!("{label}: {}", entry.verdict.label()));
            }
            Some(_) => self.notice = Some("verdicts apply to chains, not events".to_owned()),
            None => self.notice = Some("select a chain to give a verdict".to_owned()),
        }
    }

    pub(super) fn save_case(&mut self) {
        let path = self.case_path.clone();
        self.notice = Some(match self.case.save(&path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "saved the case");
                format!("saved the case to {}", path.display())
            }
            Err(error) => {
                tracing::error!(path = %path.display(), "failed to save the case: {error:#}");
                format!("failed to save the case: {error:#}")
            }
        });
    }

    pub(super) fn export_case(&mut self) {
        let path = self.case_path.clone();
        let store = self.store.as_deref();
        self.notice = Some(match case::export(&self.case, store, &path) {
            Ok(paths) => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                tracing::info!(files = %names.join(", "), "exported the case");
                format!("exported the case to {}", names.join(", "))
            }
            Err(error) => {
                tracing::error!("failed to export the case: {error:#}");
                format!("failed to export the case: {error:#}")
            }
        });
    }

    /// Returns the case marks of a chain, when it has any.
    pub fn chain_annotation(&self, source: ChainSource, chain: usize) -> Option<&case::Annotation> {
        let store = self.store.as_ref()?;
        let id = self.case_source(source)?;
        let target = Target::chain(store, &id, self.chain(source, chain)?);
        self.case.get(&target)
    }

    /// Names the source of a chain in the case file: the analytic id, or for a query its text
    /// after `EQL: `, so that the case and its exports show what matched.
    fn case_source(&self, source: ChainSource) -> Option<String> {
        match source {
            ChainSource::Analytic(analytic) => Some(self.analytics.get(analytic)?.id.clone()),
            ChainSource::Query(query) => {
                Some(format!("EQL: {}", self.queries.get(query)?.one_line()))
            }
        }
    }

    /// Returns the case marks of an event, when it has any.
    pub fn event_annotation(&self, event: usize) -> Option<&case::Annotation> {
        let key = case::EventKey::of(self.store.as_ref()?, event)?;
        self.case.get(&Target::Event { event: key })
    }
}
