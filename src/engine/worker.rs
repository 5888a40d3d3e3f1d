//! The session worker: loads the logs, runs every analytic once, then serves requests from the
//! UI: running one analytic again after its tunables changed, or running an EQL query typed in
//! the TUI over every loaded event.
//!
//! Requests queue while the first load and run are in progress. Before each batch the worker
//! drains the queue and keeps only the newest request per analytic, and the newest query, so a
//! burst of edits costs one run.
//!
//! Each request carries a [`CancelToken`]. The UI cancels the token of a request it has replaced,
//! and a run in progress then stops at the next field it reads: the evaluator unwinds out of
//! [`eql::execute`] and the worker sends no result for it. Each result also carries the
//! generation of its request, so the UI can still drop a result that finished just before its
//! token was cancelled.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::analytics::Analytic;
use crate::eql::{self, Aggregate, Document, Match, Value};
use crate::store::EventStore;

use super::run::select_events;
use super::session::load_and_correlate;
use super::{Chain, ChainStep, JoinKey, Setup, StatisticColumns, StoreDocument, Update};

/// Work that the UI requests from the worker.
#[derive(Debug)]
pub enum Request {
    /// Run one analytic again over the loaded events, usually with changed tunables.
    Rerun {
        /// The analytic as it should run, already validated.
        analytic: Box<Analytic>,
        /// Increases with every request the UI sends, so the UI can tell stale results apart.
        generation: u64,
        /// Set by the UI when a newer request replaces this one.
        cancel: CancelToken,
    },
    /// Run an EQL query over every loaded event, in time order.
    Query {
        /// The parsed query.
        query: Box<eql::Query>,
        /// Increases with every request the UI sends, as for [`Request::Rerun`].
        generation: u64,
        /// Set by the UI when a newer query replaces this one.
        cancel: CancelToken,
    },
}

impl Request {
    /// Names what the request computes: the analytic it reruns, or `None` for a query. A newer
    /// request with the same key replaces an older one.
    fn key(&self) -> Option<&str> {
        match self {
            Request::Rerun { analytic, .. } => Some(&analytic.id),
            Request::Query { .. } => None,
        }
    }

    fn token(&self) -> &CancelToken {
        match self {
            Request::Rerun { cancel, .. } | Request::Query { cancel, .. } => cancel,
        }
    }
}

/// A flag shared by the UI and the worker that cancels one request, queued or running.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// Creates a token that is not cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels the request: the worker skips it when queued, and stops it when running.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Returns whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The matches of a query typed in the UI.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    /// The first [`QUERY_MATCH_LIMIT`] matches as chains: one step per event of a sequence, a
    /// single step for an event query, and no step for a `count` result, whose counts are join
    /// keys.
    pub chains: Vec<Chain>,
    /// The number of matches, which exceeds `chains.len()` when the limit cut the list.
    pub matches: usize,
}

/// Matches a query result keeps at most, which bounds the UI's memory for a query that matches
/// nearly every event.
pub const QUERY_MATCH_LIMIT: usize = 10_000;

/// How long the worker waits for a request before checking `cancel` again.
const REQUEST_POLL: Duration = Duration::from_millis(200);

/// Loads `paths`, runs every analytic, then serves `requests` until the UI drops its sender or
/// `cancel` is set. Results go to `updates` as for [`super::run_in_background`], plus one
/// [`Update::Rerun`] or [`Update::Query`] per request that was not cancelled.
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
        for request in newest_per_key(first, requests) {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            let Some(update) = serve_one(setup, &store, request, cancel) else {
                continue;
            };
            if updates.send(update).is_err() {
                return;
            }
        }
    }
}

/// Takes `first` and every request already queued, keeping the newest one per analytic, and
/// the newest query, in the order their keys were first requested.
fn newest_per_key(first: Request, requests: &Receiver<Request>) -> Vec<Request> {
    let mut positions: HashMap<Option<String>, usize> = HashMap::new();
    positions.insert(first.key().map(str::to_owned), 0);
    let mut batch: Vec<Request> = vec![first];
    while let Ok(request) = requests.try_recv() {
        let key = request.key().map(str::to_owned);
        match positions
            .get(&key)
            .and_then(|&position| batch.get_mut(position))
        {
            Some(slot) => *slot = request,
            None => {
                positions.insert(key, batch.len());
                batch.push(request);
            }
        }
    }
    batch
}

/// Runs one request. Returns `None`, sending nothing, when it was cancelled before or while it
/// ran.
fn serve_one(
    setup: &Setup,
    store: &EventStore,
    request: Request,
    session: &AtomicBool,
) -> Option<Update> {
    if request.token().is_cancelled() {
        tracing::debug!(key = ?request.key(), "skipped a cancelled request");
        return None;
    }
    match request {
        Request::Rerun {
            analytic,
            generation,
            cancel,
        } => {
            tracing::info!(analytic = %analytic.id, generation, "rerunning an analytic");
            let stop = Stop {
                request: &cancel,
                session,
            };
            let Some(result) = rerun(store, &analytic, &setup.options, &stop) else {
                tracing::info!(analytic = %analytic.id, generation, "rerun cancelled");
                return None;
            };
            match &result {
                Ok(chains) => {
                    let chains = chains.len();
                    tracing::info!(analytic = %analytic.id, generation, chains, "rerun finished");
                }
                Err(message) => {
                    tracing::warn!(analytic = %analytic.id, generation, %message, "rerun failed");
                }
            }
            Some(Update::Rerun {
                analytic: analytic.id.clone(),
                generation,
                result,
            })
        }
        Request::Query {
            query,
            generation,
            cancel,
        } => {
            tracing::info!(generation, "running a query from the UI");
            let stop = Stop {
                request: &cancel,
                session,
            };
            let Some(result) = query_until_stopped(store, &query, &setup.options, &stop) else {
                tracing::info!(generation, "query cancelled");
                return None;
            };
            match &result {
                Ok(found) => tracing::info!(generation, matches = found.matches, "query finished"),
                Err(message) => tracing::warn!(generation, %message, "query failed"),
            }
            Some(Update::Query { generation, result })
        }
    }
}

/// Runs `analytic` over the events it reads, as [`super::run_analytic`] does, but stops when
/// `stop` is set. Returns `None` when it stopped.
///
/// NOTE: this repeats the steps of `run_analytic` around a cancellable evaluation, so a change
/// to how that function selects events or builds chains must be made here too.
fn rerun(
    store: &EventStore,
    analytic: &Analytic,
    options: &eql::Options,
    stop: &Stop<'_>,
) -> Option<Result<Vec<Chain>, String>> {
    if stop.is_set() {
        return None;
    }
    let selected = select_events(store, analytic);
    let columns = match StatisticColumns::compute(store, &analytic.statistics, &selected, options) {
        Ok(columns) => columns,
        Err(message) => return Some(Err(message)),
    };
    let documents: Vec<Cancellable<'_, StoreDocument<'_>>> = selected
        .iter()
        .enumerate()
        .map(|(position, &index)| Cancellable {
            inner: StoreDocument::new(store, index).with_statistics(&columns, position),
            stop,
        })
        .collect();
    let matches = match execute_until_stopped(&analytic.query, &documents, options)? {
        Ok(matches) => matches,
        Err(error) => return Some(Err(error.to_string())),
    };
    let join_fields = analytic.query.join_fields();
    // The first run leaves the counts of a `count` pipe out of its chains, and so does a rerun.
    let chains = matches
        .iter()
        .map(|found| to_chain(found, &join_fields, false, |doc| selected.get(doc).copied()))
        .collect();
    Some(Ok(chains))
}

/// Runs `query` over every event of `store`, as the worker does for [`Request::Query`], and
/// keeps the first [`QUERY_MATCH_LIMIT`] matches. Returns `None` when `cancel` was set before
/// the run finished.
///
/// The `glexia.` statistic fields are absent, as in `glexia query`, because statistics belong
/// to an analytic.
pub fn run_query(
    store: &EventStore,
    query: &eql::Query,
    options: &eql::Options,
    cancel: &CancelToken,
) -> Option<Result<QueryResult, String>> {
    let session = AtomicBool::new(false);
    let stop = Stop {
        request: cancel,
        session: &session,
    };
    query_until_stopped(store, query, options, &stop)
}

fn query_until_stopped(
    store: &EventStore,
    query: &eql::Query,
    options: &eql::Options,
    stop: &Stop<'_>,
) -> Option<Result<QueryResult, String>> {
    if stop.is_set() {
        return None;
    }
    let documents: Vec<Cancellable<'_, StoreDocument<'_>>> = (0..store.len())
        .map(|index| Cancellable {
            inner: StoreDocument::new(store, index),
            stop,
        })
        .collect();
    let matches = match execute_until_stopped(query, &documents, options)? {
        Ok(matches) => matches,
        Err(error) => return Some(Err(error.to_string())),
    };
    let join_fields = query.join_fields();
    let events = store.len();
    let chains = matches
        .iter()
        .take(QUERY_MATCH_LIMIT)
        .map(|found| {
            to_chain(found, &join_fields, true, |doc| {
                (doc < events).then_some(doc)
            })
        })
        .collect();
    Some(Ok(QueryResult {
        chains,
        matches: matches.len(),
    }))
}

/// Payload of the unwind that leaves a cancelled run; [`execute_until_stopped`] catches it.
struct Cancelled;

/// The two flags that stop a run: the request's own token and the session's flag.
struct Stop<'a> {
    request: &'a CancelToken,
    session: &'a AtomicBool,
}

impl Stop<'_> {
    fn is_set(&self) -> bool {
        self.request.is_cancelled() || self.session.load(Ordering::Relaxed)
    }

    /// Leaves the run by unwinding when it was cancelled.
    ///
    /// `resume_unwind` skips the panic hook, which would otherwise log a panic and restore the
    /// terminal under the running TUI.
    fn check(&self) {
        if self.is_set() {
            std::panic::resume_unwind(Box::new(Cancelled));
        }
    }
}

/// An event that stops the run reading it once the run is cancelled.
///
/// The evaluator offers no cancellation of its own, so the check sits where it reads events.
/// NOTE: a query that reads no field at all, such as `any where true`, never checks and runs
/// to its end. That pass is cheap, because it evaluates nothing per event.
struct Cancellable<'a, D> {
    inner: D,
    stop: &'a Stop<'a>,
}

impl<D: Document> Document for Cancellable<'_, D> {
    fn field(&self, dotted: &str) -> Option<Value<'_>> {
        self.stop.check();
        self.inner.field(dotted)
    }

    fn timestamp(&self) -> i64 {
        self.stop.check();
        self.inner.timestamp()
    }
}

/// Runs `query` over `documents`, returning `None` when a document's stop check unwound.
///
/// The evaluator keeps its state in locals, which the unwind drops, and the documents only read
/// the store, so nothing is left half-changed. Any other panic carries on unwinding.
fn execute_until_stopped<D: Document>(
    query: &eql::Query,
    documents: &[Cancellable<'_, D>],
    options: &eql::Options,
) -> Option<Result<Vec<Match>, eql::EvalError>> {
    let run =
        std::panic::catch_unwind(AssertUnwindSafe(|| eql::execute(query, documents, options)));
    match run {
        Ok(result) => Some(result),
        Err(payload) if payload.is::<Cancelled>() => None,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Builds the chain of one match. `event_of` maps a document index to the store index of its
/// event. With `counts`, the fields of a `count` or `unique_count` result become join keys.
fn to_chain(
    found: &Match,
    join_fields: &[String],
    counts: bool,
    event_of: impl Fn(usize) -> Option<usize>,
) -> Chain {
    let mut join_keys: Vec<JoinKey> = join_fields
        .iter()
        .zip(&found.join_keys)
        .map(|(field, value)| JoinKey {
            field: field.clone(),
            value: render(value),
        })
        .collect();
    if counts && let Some(aggregate) = &found.aggregate {
        join_keys.extend(aggregate_keys(aggregate));
    }
    let steps = found
        .events
        .iter()
        .enumerate()
        .filter_map(|(step, &doc)| event_of(doc).map(|event| ChainStep { step, event }))
        .collect();
    Chain { join_keys, steps }
}

/// Names the counts of a `count` or `unique_count` result as the fields later pipes read.
fn aggregate_keys(aggregate: &Aggregate) -> Vec<JoinKey> {
    let mut keys = Vec::new();
    let mut push = |field: &str, value: String| {
        keys.push(JoinKey {
            field: field.to_owned(),
            value,
        });
    };
    if let Some(key) = &aggregate.key {
        push("key", render(key));
    }
    push("count", aggregate.count.to_string());
    if let Some(percent) = aggregate.percent {
        push("percent", format!("{percent:.4}"));
    }
    if !aggregate.hosts.is_empty() {
        push("hosts", aggregate.hosts.join(", "));
        push("total_hosts", aggregate.hosts.len().to_string());
    }
    keys
}

fn render(value: &Value<'_>) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Str(s) => s.to_string(),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{key}: {}", render(value)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Creates the channel the UI sends requests on; the worker owns the receiver.
pub fn request_channel() -> (mpsc::Sender<Request>, Receiver<Request>) {
    mpsc::channel()
}

#[cfg(test)]
mod tests;
