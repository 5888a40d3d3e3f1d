//! The session worker: loads the logs, runs every analytic once, then serves requests from the
//! UI, such as running one analytic again after its tunables changed.
//!
//! Requests queue while the first load and run are in progress. Before each batch the worker
//! drains the queue and keeps only the newest request per analytic, so a burst of edits costs one
//! run. A run already in progress is not interrupted. Each result carries the generation of its
//! request instead, and the UI drops results older than the newest generation it sent.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::analytics::Analytic;
use crate::store::EventStore;

use super::session::load_and_correlate;
use super::{Setup, Update, run_analytic};

/// Work that the UI requests from the worker.
#[derive(Debug)]
pub enum Request {
    /// Run one analytic again over the loaded events, usually with changed tunables.
    Rerun {
        /// The analytic as it should run, already validated.
        analytic: Box<Analytic>,
        /// Increases with every request the UI sends, so the UI can tell stale results apart.
        generation: u64,
    },
}

impl Request {
    fn analytic_id(&self) -> &str {
        match self {
            Request::Rerun { analytic, .. } => &analytic.id,
        }
    }
}

/// How long the worker waits for a request before checking `cancel` again.
const REQUEST_POLL: Duration = Duration::from_millis(200);

/// Loads `paths`, runs every analytic, then serves `requests` until the UI drops its sender or
/// `cancel` is set. Results go to `updates` as for [`super::run_in_background`], plus one
/// [`Update::Rerun`] per request served.
pub fn serve(
    setup: &Setup,
    paths: &[PathBuf],
    requests: &Receiver<Request>,
    updates: &tokio::sync::mpsc::UnboundedSender<Update>,
    cancel: &AtomicBool,
) {
    let store = load_and_correlate(setup, paths, updates, cancel);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let first = match requests.recv_timeout(REQUEST_POLL) {
            Ok(request) => request,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        for request in newest_per_analytic(first, requests) {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            let update = serve_one(setup, &store, request);
            if updates.send(update).is_err() {
                return;
            }
        }
    }
}

/// Takes `first` and every request already queued, keeping the newest one per analytic in the
/// order the analytics were first requested.
fn newest_per_analytic(first: Request, requests: &Receiver<Request>) -> Vec<Request> {
    let mut batch: Vec<Request> = vec![first];
    let mut positions: HashMap<String, usize> = HashMap::new();
    positions.insert(batch[0].analytic_id().to_owned(), 0);
    while let Ok(request) = requests.try_recv() {
        match positions.get(request.analytic_id()) {
            Some(&position) => batch[position] = request,
            None => {
                positions.insert(request.analytic_id().to_owned(), batch.len());
                batch.push(request);
            }
        }
    }
    batch
}

fn serve_one(setup: &Setup, store: &EventStore, request: Request) -> Update {
    match request {
        Request::Rerun {
            analytic,
            generation,
        } => {
            tracing::info!(analytic = %analytic.id, generation, "rerunning an analytic");
            let result =
                run_analytic(store, &analytic, &setup.options).map_err(|error| error.message);
            match &result {
                Ok(chains) => {
                    let chains = chains.len();
                    tracing::info!(analytic = %analytic.id, generation, chains, "rerun finished");
                }
                Err(message) => {
                    tracing::warn!(analytic = %analytic.id, generation, %message, "rerun failed");
                }
            }
            Update::Rerun {
                analytic: analytic.id.clone(),
                generation,
                result,
            }
        }
    }
}

/// Creates the channel the UI sends requests on; the worker owns the receiver.
pub fn request_channel() -> (mpsc::Sender<Request>, Receiver<Request>) {
    mpsc::channel()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analytic(id: &str) -> Analytic {
        let text = format!(
            "id = \"{id}\"\ntitle = \"t\"\nplatform = \"Windows\"\ntechnique = \"T1059\"\n\
             severity = \"low\"\nnotes = \"n\"\nquery = 'process where true'\n\
             [[reads]]\nlog_source = \"WinEventLog:Sysmon\"\n"
        );
        match Analytic::from_toml(std::path::Path::new("test.toml"), &text) {
            Ok(analytic) => analytic,
            Err(error) => panic!("test analytic failed to load: {error}"),
        }
    }

    fn rerun(id: &str, generation: u64) -> Request {
        Request::Rerun {
            analytic: Box::new(analytic(id)),
            generation,
        }
    }

    fn generation(request: &Request) -> u64 {
        match request {
            Request::Rerun { generation, .. } => *generation,
        }
    }

    #[test]
    fn serve_answers_rerun_until_disconnected() {
        let setup = match Setup::load(None, &[]) {
            Ok(setup) => setup,
            Err(error) => panic!("setup failed: {error}"),
        };
        let (requests, receiver) = request_channel();
        let (updates, mut results) = tokio::sync::mpsc::unbounded_channel();
        let sent = requests.send(rerun("AN0001", 7));
        assert!(sent.is_ok());
        drop(requests);
        serve(&setup, &[], &receiver, &updates, &AtomicBool::new(false));
        let mut answered = None;
        while let Ok(update) = results.try_recv() {
            if let Update::Rerun {
                generation, result, ..
            } = update
            {
                answered = Some((generation, result));
            }
        }
        assert_eq!(answered, Some((7, Ok(Vec::new()))));
    }

    #[test]
    fn serve_reruns_tuned_sample_analytic() {
        let setup = match Setup::load(None, &[]) {
            Ok(setup) => setup,
            Err(error) => panic!("setup failed: {error}"),
        };
        let Some(mut tuned) = setup.analytic("AN0750").cloned() else {
            panic!("AN0750 is not shipped");
        };
        let set = tuned.set_tunable("TimeWindow", "1s");
        assert!(set.is_ok(), "{set:?}");
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let (requests, receiver) = request_channel();
        let (updates, mut results) = tokio::sync::mpsc::unbounded_channel();
        let request = Request::Rerun {
            analytic: Box::new(tuned),
            generation: 1,
        };
        assert!(requests.send(request).is_ok());
        drop(requests);
        serve(
            &setup,
            &[samples],
            &receiver,
            &updates,
            &AtomicBool::new(false),
        );

        let mut first_run = None;
        let mut rerun = None;
        while let Ok(update) = results.try_recv() {
            match update {
                Update::Findings(findings) => {
                    first_run = findings
                        .into_iter()
                        .find(|f| f.analytic == "AN0750")
                        .map(|f| f.chains.len());
                }
                Update::Rerun { result, .. } => rerun = Some(result.map(|c| c.len())),
                _ => {}
            }
        }
        // Every sample chain of AN0750 spans more than one second, so a one-second window
        // leaves none.
        assert!(first_run.is_some_and(|n| n > 0), "{first_run:?}");
        assert_eq!(rerun, Some(Ok(0)));
    }

    #[test]
    fn batch_keeps_newest_per_analytic() {
        let (sender, receiver) = request_channel();
        for request in [rerun("AN0002", 2), rerun("AN0001", 3), rerun("AN0002", 4)] {
            let sent = sender.send(request);
            assert!(sent.is_ok());
        }
        let batch = newest_per_analytic(rerun("AN0001", 1), &receiver);
        let ids: Vec<&str> = batch.iter().map(Request::analytic_id).collect();
        assert_eq!(ids, vec!["AN0001", "AN0002"]);
        let generations: Vec<u64> = batch.iter().map(generation).collect();
        assert_eq!(generations, vec![3, 4]);
    }
}
