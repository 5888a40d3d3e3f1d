//! The correlation engine: runs executable analytics over the event store and produces
//! findings.
//!
//! A **finding** is one analytic that matched; a **chain** is one match: the ordered events that
//! satisfied the query's steps, with the join keys that tied them together.

mod coverage;
mod run;
mod session;
mod statistics;
mod worker;

pub use run::{RunError, StoreDocument, run_all, run_analytic, select_events};
pub use statistics::{StatisticColumns, shannon_entropy};

pub use coverage::{AnalyticCoverage, Coverage, Level};
pub use session::{ScanResult, Setup, load_summary, run_in_background, scan};
pub use worker::{
    CancelToken, QUERY_MATCH_LIMIT, QueryResult, Request, request_channel, run_query, serve,
};

use std::sync::Arc;

use crate::store::{EventStore, Timestamp};

/// One analytic that matched, with every chain it produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The ATT&CK analytic id, such as `AN0750`.
    pub analytic: String,
    /// Every match, in time order of their first event.
    pub chains: Vec<Chain>,
}

/// One match of an analytic: the events that satisfied its steps, in step order.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// The `by` fields of a sequence and the value they shared, such as `host.name = WS01`.
    pub join_keys: Vec<JoinKey>,
    /// The matched events, one per satisfied step.
    pub steps: Vec<ChainStep>,
}

/// A join field and the value every step shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinKey {
    /// The field named in the query's `by` clause.
    pub field: String,
    /// The value the steps shared, rendered as text.
    pub value: String,
}

/// One event of a chain and the query step it satisfied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainStep {
    /// Zero-based index of the query step (always 0 for a single-event query).
    pub step: usize,
    /// Index of the event in the store.
    pub event: usize,
}

impl Chain {
    /// Time of the first event.
    pub fn first_time(&self, store: &EventStore) -> Option<Timestamp> {
        self.steps
            .first()
            .and_then(|s| store.events().get(s.event))
            .map(|e| e.timestamp)
    }

    /// Time of the last event.
    pub fn last_time(&self, store: &EventStore) -> Option<Timestamp> {
        self.steps
            .last()
            .and_then(|s| store.events().get(s.event))
            .map(|e| e.timestamp)
    }

    /// The host of the first event, which is the host every step shares when the query joins
    /// on `host.name`.
    pub fn host(&self, store: &EventStore) -> Option<String> {
        let first = self.steps.first()?;
        store.field(first.event, "host.name").map(|v| v.to_string())
    }
}

/// The UI's view of one catalog analytic, executable or not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalyticSummary {
    /// The ATT&CK analytic id, such as `AN0750`.
    pub id: String,
    /// ATT&CK's description of what the analytic looks for.
    pub description: String,
    /// ATT&CK platform names.
    pub platforms: Vec<String>,
    /// Techniques the analytic's detection strategy detects, as `(id, name)`.
    pub techniques: Vec<(String, String)>,
    /// Tactic names of those techniques.
    pub tactics: Vec<String>,
    /// The detection strategy, as `(id, name)`.
    pub strategy: Option<(String, String)>,
    /// Log sources the analytic names, as `name (channel)`.
    pub log_sources: Vec<String>,
    /// Whether the loaded data carries at least one of those log sources.
    pub data_present: bool,
    /// The share of those log sources the loaded data contains, once data is loaded.
    pub coverage: Option<AnalyticCoverage>,
    /// ATT&CK's mutable elements, as `(field, description)`.
    pub mutable_elements: Vec<(String, String)>,
    /// The other analytics of the same detection strategy, as `(id, platforms)`.
    pub siblings: Vec<(String, String)>,
    /// The executable analytic for this id, when one is shipped or loaded.
    pub executable: Option<ExecutableSummary>,
}

/// The UI's view of an executable analytic.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecutableSummary {
    /// The analytic file it came from.
    pub path: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The EQL query with tunables substituted.
    pub query: String,
    /// Tunables as `(name, value, explanation)`.
    pub tunables: Vec<(String, String, String)>,
}

/// Totals of one load, for the header and the status line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Files read.
    pub files: usize,
    /// Events loaded.
    pub events: usize,
    /// Records that failed to parse and were skipped.
    pub skipped: usize,
    /// Files that could not be read at all; files of an unsupported format are not counted.
    pub failed_files: usize,
    /// One line per problem: the file, the record or offset, and the message. The last
    /// `not_logs` lines name files in no supported log format.
    pub problems: Vec<String>,
    /// Files skipped because their content matches no supported log format, such as notes
    /// beside the logs. They are listed with the problems but not counted as problems.
    pub not_logs: usize,
}

/// Progress and results that background work sends to the UI, in the order it happens.
#[derive(Debug)]
pub enum Update {
    /// Work in progress: what stage, how far, out of how much when known.
    Progress {
        /// Short stage name, such as `loading` or `AN0750`.
        stage: String,
        /// Units done.
        done: u64,
        /// Units in all, when known.
        total: Option<u64>,
    },
    /// The catalog with executable analytics resolved; sent before loading starts.
    Analytics(Vec<AnalyticSummary>),
    /// All files are loaded and the store is sorted.
    Loaded {
        /// The loaded events.
        store: Arc<EventStore>,
        /// Totals and problems of the load.
        summary: LoadSummary,
    },
    /// Correlation finished.
    Findings(Vec<Finding>),
    /// The work failed as a whole, for the reason in the message.
    Failed(String),
    /// One analytic ran again at the UI's request.
    Rerun {
        /// The analytic id.
        analytic: String,
        /// Generation of the request that produced this result.
        generation: u64,
        /// The chains found, or the evaluator's message.
        result: Result<Vec<Chain>, String>,
    },
    /// An EQL query ran at the UI's request.
    Query {
        /// Generation of the request that produced this result.
        generation: u64,
        /// The matches, or the evaluator's message.
        result: Result<QueryResult, String>,
    },
}
