//! The terminal UI: views over the catalog, findings, chains, events and host timelines.
//!
//! [`run`] owns the terminal until the user quits. Background work reports through the
//! [`Update`] channel, which a thread of its own reads, so the UI draws its first frame before
//! any update and stays responsive while the work runs.
//!
//! The parts: [`app`] holds the state and changes it, [`views`] draws it without changing it,
//! [`keymap`] is the one key table, and the terminal loop lives in `terminal`.

pub mod app;
pub mod case;
pub mod cursor;
pub mod format;
pub mod keymap;
pub mod model;
pub mod query;
pub mod sanitize;
mod terminal;
pub mod theme;
pub mod timings;
pub mod tune;
pub mod views;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedReceiver;

use crate::analytics::Analytic;
use crate::engine::{Request, Update};
use crate::store::EventStore;

pub use theme::Theme;

/// Callback that reads the raw record of one event back from its file. It takes the store and
/// the event index, and returns the record's text or an error message.
pub type RawReader = Arc<dyn Fn(&EventStore, usize) -> Result<String, String> + Send + Sync>;

/// Settings of the TUI, passed next to the update channel.
#[derive(Clone)]
pub struct TuiOptions {
    /// Whether the loaded data are the bundled samples; the header then shows SAMPLE DATA.
    pub sample_data: bool,
    /// Label of what was opened, such as the paths, shown in the header.
    pub title: String,
    /// Reads an event's raw record when the event view opens.
    pub raw_reader: RawReader,
    /// Styles per role; `NO_COLOR` is applied on top by [`run`].
    pub theme: Theme,
    /// The executable analytics as the engine runs them, which the tuning form edits.
    pub analytics: Vec<Analytic>,
    /// Sends rerun requests to the engine's worker; `None` when no worker serves them.
    pub requests: Option<std::sync::mpsc::Sender<Request>>,
    /// The case loaded at start, empty for a new one.
    pub case: case::Case,
    /// Where `w` saves the case and `X` writes the exports beside.
    pub case_path: std::path::PathBuf,
}

impl std::fmt::Debug for TuiOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TuiOptions")
            .field("sample_data", &self.sample_data)
            .field("title", &self.title)
            .field("theme", &self.theme)
            .field("analytics", &self.analytics.len())
            .field("case_path", &self.case_path)
            .finish_non_exhaustive()
    }
}

/// Runs the TUI until the user quits.
///
/// Takes over the terminal (raw mode, alternate screen) and restores it on return, on error and
/// from a panic hook. Draws the first frame at once, then merges key presses and `updates` into
/// one queue, applying every queued message before drawing once. Engine updates are drawn at
/// most 30 frames a second, and a key press is drawn at once.
/// Nothing is written to stdout or stderr meanwhile, and errors are logged through `tracing`.
/// The caller must therefore install a subscriber that writes to a file, or none at all.
///
/// Must not be called from inside an async task, because it blocks the calling thread; call it
/// from `main` or through `tokio::task::spawn_blocking`.
pub fn run(options: TuiOptions, updates: UnboundedReceiver<Update>) -> anyhow::Result<()> {
    terminal::run(options, updates)
}
