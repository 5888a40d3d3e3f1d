//! The app state and the two functions that change it: [`App::handle`] applies one message and
//! [`App::settle`] rebuilds the lists derived from the state.
//!
//! Nothing here touches the terminal, so tests drive the app with key sequences and engine
//! updates and then inspect the state or draw it on a test backend.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::case::{Case, NoteEditor};
use super::cursor::ListCursor;
use super::keymap::{self, Action, KeyContext};
use super::model::{self, Filters, PickerEntry, StoreFacets};
use super::query::{QueryPrompt, QueryRun, QueryState};
use super::sanitize::sanitize_lines;
use super::theme::Theme;
use super::tune::{self, Rerun, RerunState, TuneForm};
use super::{RawReader, TuiOptions};
use crate::analytics::Analytic;
use crate::engine::{AnalyticSummary, Chain, Finding, LoadSummary, Request, Update};
use crate::store::{EventStore, Timestamp};

/// Everything the UI loop receives: input, engine updates and timer ticks.
#[derive(Debug)]
pub enum Inbound {
    /// A key press.
    Key(KeyEvent),
    /// The terminal changed size, in columns and rows.
    Resize(u16, u16),
    /// Progress or results from background work.
    Update(Update),
    /// The loaded store with the lists derived from it, computed off the UI thread. The same as
    /// `Update(Update::Loaded { .. })`, which computes them on arrival.
    Loaded {
        /// The loaded events.
        store: Arc<EventStore>,
        /// Totals and problems of the load.
        summary: LoadSummary,
        /// The picker lists and time range of `store`.
        facets: Box<StoreFacets>,
    },
    /// Time passed; advances the spinner.
    Tick,
    /// Text pasted into the terminal, delivered whole because bracketed paste is on.
    Paste(String),
    /// Reading terminal input failed, with the error message.
    InputFailed(String),
    /// The process was asked to end (SIGTERM, SIGHUP or SIGINT), so the TUI quits and restores
    /// the terminal.
    Terminate,
}

/// State of the background work, shown in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Nothing reported yet.
    Starting,
    /// A stage is running.
    Running {
        /// Short stage name, such as `loading`.
        stage: String,
        /// Units done.
        done: u64,
        /// Units in all, when known.
        total: Option<u64>,
    },
    /// Findings arrived.
    Done,
    /// The work failed as a whole.
    Failed(String),
}

/// The kinds of filter the picker offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKind {
    /// `host.name` of a chain's first event.
    Host,
    /// An ATT&CK platform of the analytic.
    Platform,
    /// An ATT&CK technique of the analytic.
    Technique,
    /// An ATT&CK tactic of the analytic's techniques.
    Tactic,
    /// The ATT&CK detection strategy the analytic belongs to.
    Strategy,
    /// The severity of an executable analytic.
    Severity,
    /// A log source (`log.source`) of a chain's events and of the analytic.
    LogSource,
    /// The earliest first time of a chain.
    From,
    /// The latest first time of a chain.
    To,
}

impl FilterKind {
    /// Every kind, in the order the picker cycles through them.
    pub const ALL: [FilterKind; 9] = [
        FilterKind::Host,
        FilterKind::Platform,
        FilterKind::Technique,
        FilterKind::Tactic,
        FilterKind::Strategy,
        FilterKind::Severity,
        FilterKind::LogSource,
        FilterKind::From,
        FilterKind::To,
    ];

    /// Returns whether the kind takes a time, typed or picked from the hours with events.
    pub fn is_time(self) -> bool {
        matches!(self, FilterKind::From | FilterKind::To)
    }

    /// Returns the kind's label.
    pub fn label(self) -> &'static str {
        match self {
            FilterKind::Host => "host",
            FilterKind::Platform => "platform",
            FilterKind::Technique => "technique",
            FilterKind::Tactic => "tactic",
            FilterKind::Strategy => "strategy",
            FilterKind::Severity => "severity",
            FilterKind::LogSource => "source",
            FilterKind::From => "from",
            FilterKind::To => "to",
        }
    }

    fn step(self, forward: bool) -> FilterKind {
        let index = FilterKind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        let len = FilterKind::ALL.len();
        let next = if forward {
            (index + 1) % len
        } else {
            (index + len - 1) % len
        };
        FilterKind::ALL.get(next).copied().unwrap_or(self)
    }
}

/// The raw record of an event as the reader returned it, split into sanitized lines.
pub type RawRecord = Result<Vec<String>, String>;

/// The origin of a chain: an analytic's finding or a query typed in the prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainSource {
    /// Index into [`App::analytics`].
    Analytic(usize),
    /// Index into [`App::queries`].
    Query(usize),
}

/// The part of an analytic's detail view that the movement keys move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DetailFocus {
    /// The selection in the chains list.
    #[default]
    Chains,
    /// The scroll position of the analytic's page: description, facts and query.
    Page,
}

/// One level of the navigation path.
#[derive(Clone, Debug, PartialEq)]
pub enum View {
    /// Every catalog analytic, filtered and sorted.
    Analytics(ListCursor),
    /// One analytic and its chains.
    Detail {
        /// Index into [`App::analytics`].
        analytic: usize,
        /// The cursor over the chains that pass the filters.
        chains: ListCursor,
        /// The first row of the analytic's page that is shown.
        scroll: usize,
        /// The part that the movement keys move; the page moves when no chain is listed.
        focus: DetailFocus,
    },
    /// The matches of a query typed in the prompt, each a chain.
    Query {
        /// Index into [`App::queries`].
        query: usize,
        /// The cursor over the matches that pass the filters.
        matches: ListCursor,
    },
    /// One chain's steps.
    Chain {
        /// The finding or query the chain belongs to.
        source: ChainSource,
        /// Index into the chains of `source`.
        chain: usize,
        /// The cursor over the steps.
        steps: ListCursor,
    },
    /// Events of one host around an anchor event, in time order.
    Timeline {
        /// The `host.name` shared by the events.
        host: String,
        /// The anchor event, which the timeline opened from.
        anchor: usize,
        /// Events of the chain the anchor was opened from, marked in the list.
        chain_events: Vec<usize>,
        /// Indices of the events in the store.
        events: Vec<usize>,
        /// The cursor over `events`.
        cursor: ListCursor,
    },
    /// Every loaded event with one field's value, and every chain that contains such an event.
    Pivot {
        /// The field name, such as `process.name`.
        field: String,
        /// The value the events share, as text.
        value: String,
        /// Store indices of the events, in time order.
        events: Vec<usize>,
        /// Whether more events matched than [`PIVOT_LIMIT`].
        truncated: bool,
        /// The chains as `(analytic index, chain index)`, in analytic order.
        chains: Vec<(usize, usize)>,
        /// The cursor over the events, then the chains.
        cursor: ListCursor,
    },
    /// One event's fields and raw record.
    Event {
        /// Index of the event in the store.
        event: usize,
        /// The selected line and the first line shown; a selected field line can be pivoted on.
        cursor: ListCursor,
        /// Whether the raw record is shown below the fields.
        show_raw: bool,
        /// The raw record, read once when the view opened.
        raw: RawRecord,
        /// The first column shown, for lines wider than the pane.
        column: usize,
    },
}

impl View {
    /// Opens the detail of analytic `analytic` at the top of its page, with its first chain
    /// selected.
    pub fn detail(analytic: usize) -> View {
        View::Detail {
            analytic,
            chains: ListCursor::default(),
            scroll: 0,
            focus: DetailFocus::Chains,
        }
    }

    /// Returns whether the view names analytics by their index in the catalog.
    fn uses_analytic_indices(&self) -> bool {
        matches!(
            self,
            View::Detail { .. }
                | View::Chain {
                    source: ChainSource::Analytic(_),
                    ..
                }
                | View::Pivot { .. }
        )
    }

    /// Returns whether the view names events by their index in the store.
    fn uses_event_indices(&self) -> bool {
        matches!(
            self,
            View::Chain { .. } | View::Timeline { .. } | View::Pivot { .. } | View::Event { .. }
        )
    }

    /// Returns whether the view names the chains of a finding by their index.
    fn uses_finding_chains(&self) -> bool {
        matches!(
            self,
            View::Chain {
                source: ChainSource::Analytic(_),
                ..
            } | View::Pivot { .. }
        )
    }
}

/// A panel drawn over the views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// Every key with its description.
    Help(ListCursor),
    /// The load problems.
    Problems(ListCursor),
    /// A list of filter values with counts.
    Picker {
        /// The filter kind whose values are listed.
        kind: FilterKind,
        /// The cursor over the values; row 0 removes the filter.
        cursor: ListCursor,
        /// Text that the listed values must contain, ignoring case.
        query: String,
        /// Whether keys are typed into `query`.
        typing: bool,
    },
}

/// Rows of chrome around a list (header, filter bar, status line, borders, column header), used
/// to size pages before the first draw reports the real pane height.
const CHROME_ROWS: u16 = 7;

/// The whole UI state.
pub struct App {
    /// Whether the loaded data are the bundled samples.
    pub sample_data: bool,
    /// Label of what was opened, such as the paths.
    pub title: String,
    /// Styles per role.
    pub theme: Theme,
    raw_reader: RawReader,
    /// Every catalog analytic.
    pub analytics: Vec<AnalyticSummary>,
    /// Whether the catalog has arrived.
    pub analytics_loaded: bool,
    findings: HashMap<String, Finding>,
    /// Whether correlation has finished.
    pub findings_loaded: bool,
    /// The loaded events, once loading finished.
    pub store: Option<Arc<EventStore>>,
    /// Totals and problems of the load.
    pub summary: Option<LoadSummary>,
    /// Host names in the store with their event counts, most events first.
    pub hosts: Vec<PickerEntry>,
    /// Earliest and latest event time.
    pub time_range: Option<(Timestamp, Timestamp)>,
    /// State of the background work.
    pub work: Work,
    /// The active filters.
    pub filters: Filters,
    /// The fuzzy search query over analytics.
    pub search: String,
    /// Whether keys are typed into the search query.
    pub typing: bool,
    /// Indices into `analytics` that pass the filters and search, in display order.
    pub visible: Vec<usize>,
    /// Chain counts per analytic after the host filter; `None` when not executable.
    pub hits: Vec<Option<usize>>,
    platform_counts: Vec<PickerEntry>,
    technique_counts: Vec<PickerEntry>,
    tactic_counts: Vec<PickerEntry>,
    strategy_counts: Vec<PickerEntry>,
    severity_counts: Vec<PickerEntry>,
    log_source_counts: Vec<PickerEntry>,
    from_hours: Vec<PickerEntry>,
    to_hours: Vec<PickerEntry>,
    /// The navigation path; the first view is always the analytics list.
    pub path: Vec<View>,
    /// The open overlay, if any.
    pub overlay: Option<Overlay>,
    /// Frame of the progress spinner.
    pub spinner: usize,
    /// A terminal input failure, shown in the status line.
    pub input_error: Option<String>,
    /// The result of the last command that has no view of its own, shown in the status line.
    pub notice: Option<String>,
    /// Whether the histogram pane is shown above the views.
    pub show_histogram: bool,
    /// Events and chain first times over time for the current filters, while it is shown.
    pub histogram: Option<model::Histogram>,
    /// Bookmarks, notes and verdicts.
    pub case: Case,
    /// Where the case file is saved.
    pub case_path: std::path::PathBuf,
    /// The open note editor, which takes every key but quit.
    pub note: Option<NoteEditor>,
    /// The open tuning form, which takes every key but quit.
    pub form: Option<TuneForm>,
    /// The newest rerun of each analytic tuned in this session, by analytic id.
    pub reruns: HashMap<String, Rerun>,
    /// The open EQL query prompt, which takes every key but quit.
    pub prompt: Option<QueryPrompt>,
    /// Every query submitted in this session, oldest first; query views index into it.
    pub queries: Vec<QueryRun>,
    /// The text of each query submitted in this session, oldest first, without repeats in a
    /// row.
    pub query_history: Vec<String>,
    /// The prompt's text when it last closed, shown when it opens again.
    prompt_lines: Vec<String>,
    /// The history entry `prompt_lines` came from, if any.
    prompt_recalled: Option<usize>,
    /// The terminal's size as last reported, which bounds scrolling before a draw.
    screen: ratatui::layout::Rect,
    executables: HashMap<String, Analytic>,
    tuned: BTreeSet<String>,
    requests: Option<Sender<Request>>,
    generation: u64,
    keep_selection: bool,
    page: usize,
    dirty: bool,
    quit: bool,
}

impl App {
    /// Creates the app before any engine update: every panel shows its loading state.
    pub fn new(options: &TuiOptions) -> App {
        App {
            sample_data: options.sample_data,
            title: options.title.clone(),
            theme: options.theme.clone(),
            raw_reader: Arc::clone(&options.raw_reader),
            analytics: Vec::new(),
            analytics_loaded: false,
            findings: HashMap::new(),
            findings_loaded: false,
            store: None,
            summary: None,
            hosts: Vec::new(),
            time_range: None,
            work: Work::Starting,
            filters: Filters::default(),
            search: String::new(),
            typing: false,
            visible: Vec::new(),
            hits: Vec::new(),
            platform_counts: Vec::new(),
            technique_counts: Vec::new(),
            tactic_counts: Vec::new(),
            strategy_counts: Vec::new(),
            severity_counts: Vec::new(),
            log_source_counts: Vec::new(),
            from_hours: Vec::new(),
            to_hours: Vec::new(),
            path: vec![View::Analytics(ListCursor::default())],
            overlay: None,
            spinner: 0,
            input_error: None,
            notice: None,
            case: options.case.clone(),
            case_path: options.case_path.clone(),
            note: None,
            show_histogram: false,
            histogram: None,
            form: None,
            reruns: HashMap::new(),
            prompt: None,
            queries: Vec::new(),
            query_history: Vec::new(),
            prompt_lines: Vec::new(),
            prompt_recalled: None,
            screen: ratatui::layout::Rect::new(0, 0, 80, 24),
            executables: options
                .analytics
                .iter()
                .map(|analytic| (analytic.id.clone(), analytic.clone()))
                .collect(),
            tuned: BTreeSet::new(),
            requests: options.requests.clone(),
            generation: 0,
            keep_selection: false,
            page: 10,
            dirty: false,
            quit: false,
        }
    }

    /// Returns whether the user requested to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Returns whether background work is still running, so the loop keeps the spinner turning.
    pub fn is_busy(&self) -> bool {
        matches!(self.work, Work::Starting | Work::Running { .. })
            || self
                .reruns
                .values()
                .any(|rerun| rerun.state == RerunState::Running)
            || self
                .queries
                .iter()
                .any(|query| query.state == QueryState::Running)
    }

    /// Returns the terminal's size as last reported.
    pub fn screen(&self) -> ratatui::layout::Rect {
        self.screen
    }

    /// Returns the rerun state of an analytic tuned in this session.
    pub fn rerun_state(&self, analytic: usize) -> Option<&RerunState> {
        let summary = self.analytics.get(analytic)?;
        self.reruns.get(&summary.id).map(|rerun| &rerun.state)
    }

    /// Returns the innermost view.
    pub fn current(&self) -> &View {
        // The path is never empty: `back` keeps the root view.
        self.path.last().unwrap_or(&ROOT)
    }

    /// Returns the finding of an analytic, if it matched.
    pub fn finding(&self, analytic: usize) -> Option<&Finding> {
        let summary = self.analytics.get(analytic)?;
        self.findings.get(&summary.id)
    }

    /// Returns every chain of a source: an analytic's finding, or a query's matches once they
    /// arrived.
    pub fn chains(&self, source: ChainSource) -> &[Chain] {
        match source {
            ChainSource::Analytic(analytic) => self
                .finding(analytic)
                .map_or(&[][..], |finding| &finding.chains),
            ChainSource::Query(query) => match self.queries.get(query).map(|q| &q.state) {
                Some(QueryState::Done(result)) => &result.chains,
                _ => &[],
            },
        }
    }

    /// Indices of the chains of `source` that pass the host, source and time filters.
    pub fn visible_chains(&self, source: ChainSource) -> Vec<usize> {
        self.chains(source)
            .iter()
            .enumerate()
            .filter(|(_, chain)| self.chain_passes(chain))
            .map(|(index, _)| index)
            .collect()
    }

    /// Looks up a chain by source and chain index.
    pub fn chain(&self, source: ChainSource, chain: usize) -> Option<&Chain> {
        self.chains(source).get(chain)
    }

    /// Names a source for titles: the analytic id, or `query N` counting from 1.
    pub fn source_label(&self, source: ChainSource) -> String {
        match source {
            ChainSource::Analytic(analytic) => self
                .analytics
                .get(analytic)
                .map(|a| a.id.clone())
                .unwrap_or_default(),
            ChainSource::Query(query) => format!("query {}", query + 1),
        }
    }

    /// Values the picker lists for a filter kind, with counts.
    pub fn picker_entries(&self, kind: FilterKind) -> &[PickerEntry] {
        match kind {
            FilterKind::Host => &self.hosts,
            FilterKind::Platform => &self.platform_counts,
            FilterKind::Technique => &self.technique_counts,
            FilterKind::Tactic => &self.tactic_counts,
            FilterKind::Strategy => &self.strategy_counts,
            FilterKind::Severity => &self.severity_counts,
            FilterKind::LogSource => &self.log_source_counts,
            FilterKind::From => &self.from_hours,
            FilterKind::To => &self.to_hours,
        }
    }

    /// Returns the time typed into the picker of a time filter kind, when it parses.
    pub fn typed_time(&self, kind: FilterKind, query: &str) -> Option<Timestamp> {
        if !kind.is_time() || query.trim().is_empty() {
            return None;
        }
        model::parse_time(query, self.time_range.map(|(first, _)| first))
    }

    /// Returns the value of the active filter of a kind, as the picker's entries spell it.
    pub fn filter_value(&self, kind: FilterKind) -> Option<String> {
        let filters = &self.filters;
        match kind {
            FilterKind::Host => filters.host.clone(),
            FilterKind::Platform => filters.platform.clone(),
            FilterKind::Technique => filters.technique.clone(),
            FilterKind::Tactic => filters.tactic.clone(),
            FilterKind::Strategy => filters.strategy.clone(),
            FilterKind::Severity => filters.severity.clone(),
            FilterKind::LogSource => filters.log_source.clone(),
            FilterKind::From => filters.from.map(|t| t.to_string()),
            FilterKind::To => filters.to.map(|t| t.to_string()),
        }
    }

    /// Lists the picker's values for a filter kind whose label contains `query`, ignoring case.
    pub fn picker_rows(&self, kind: FilterKind, query: &str) -> Vec<&PickerEntry> {
        let query = query.to_lowercase();
        self.picker_entries(kind)
            .iter()
            .filter(|entry| entry.label.to_lowercase().contains(&query))
            .collect()
    }

    fn chain_passes(&self, chain: &Chain) -> bool {
        let filters = &self.filters;
        if filters.host.is_none()
            && filters.log_source.is_none()
            && filters.from.is_none()
            && filters.to.is_none()
        {
            return true;
        }
        let Some(store) = &self.store else {
            return false;
        };
        let host = filters
            .host
            .as_ref()
            .is_none_or(|host| chain.host(store).as_deref() == Some(host.as_str()));
        let source = filters.log_source.as_ref().is_none_or(|source| {
            chain
                .steps
                .iter()
                .any(|step| store.log_source(step.event) == source)
        });
        let time = chain
            .first_time(store)
            .is_some_and(|time| filters.time_passes(time));
        host && source && time
    }

    /// Applies one inbound message. Derived lists are rebuilt lazily by [`App::settle`].
    pub fn handle(&mut self, message: Inbound) {
        match message {
            Inbound::Key(key) => self.handle_key(key),
            Inbound::Resize(columns, rows) => {
                self.page = usize::from(rows.saturating_sub(CHROME_ROWS).max(1));
                self.screen = ratatui::layout::Rect::new(0, 0, columns, rows);
            }
            Inbound::Update(update) => self.handle_update(update),
            Inbound::Loaded {
                store,
                summary,
                facets,
            } => self.loaded(store, summary, *facets),
            Inbound::Paste(text) => self.paste(&text),
            Inbound::Tick => self.spinner = self.spinner.wrapping_add(1),
            Inbound::InputFailed(message) => {
                tracing::error!(%message, "terminal input failed");
                self.input_error = Some(message);
            }
            Inbound::Terminate => {
                tracing::info!("quitting on a termination signal");
                self.quit = true;
            }
        }
    }

    /// Rebuilds the filtered, sorted analytics list and the hit counts if anything they depend
    /// on changed. The loop calls this once after draining its queue, so a burst of typed search
    /// characters costs one search.
    pub fn settle(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        self.hits = self
            .analytics
            .iter()
            .map(|analytic| {
                analytic.executable.as_ref()?;
                let count = self.findings.get(&analytic.id).map_or(0, |finding| {
                    finding
                        .chains
                        .iter()
                        .filter(|c| self.chain_passes(c))
                        .count()
                });
                Some(count)
            })
            .collect();
        let selected = match self.path.first() {
            Some(View::Analytics(cursor)) if self.keep_selection => {
                self.visible.get(cursor.selected).copied()
            }
            _ => None,
        };
        self.keep_selection = false;
        self.visible =
            model::visible_analytics(&self.analytics, &self.hits, &self.filters, &self.search);
        let visible = self.visible.len();
        // A rerun changes the order by hits; the same analytic stays selected.
        let position = selected.and_then(|index| self.visible.iter().position(|&i| i == index));
        let page = self.page;
        if let Some(View::Analytics(cursor)) = self.path.first_mut() {
            match position {
                Some(position) => cursor.select(position, page),
                None => cursor.clamp(visible),
            }
        }
        let lengths: Vec<Option<usize>> = self
            .path
            .iter()
            .map(|view| match view {
                View::Detail { analytic, .. } => {
                    Some(self.visible_chains(ChainSource::Analytic(*analytic)).len())
                }
                View::Query { query, .. } => {
                    Some(self.visible_chains(ChainSource::Query(*query)).len())
                }
                _ => None,
            })
            .collect();
        for (view, len) in self.path.iter_mut().zip(lengths) {
            match (view, len) {
                (View::Detail { chains: cursor, .. }, Some(len))
                | (
                    View::Query {
                        matches: cursor, ..
                    },
                    Some(len),
                ) => cursor.clamp(len),
                _ => {}
            }
        }
        self.histogram = if self.show_histogram {
            self.build_histogram()
        } else {
            None
        };
    }

    fn handle_update(&mut self, update: Update) {
        match update {
            Update::Progress { stage, done, total } => {
                self.work = Work::Running { stage, done, total };
            }
            Update::Analytics(mut analytics) => {
                // The engine describes analytics as loaded; keep the values tuned since.
                for summary in &mut analytics {
                    if self.tuned.contains(&summary.id)
                        && let Some(analytic) = self.executables.get(&summary.id)
                    {
                        summary.executable = Some(tune::executable_summary(analytic));
                    }
                }
                self.platform_counts = model::platform_entries(&analytics);
                self.technique_counts = model::technique_entries(&analytics);
                self.tactic_counts = model::tactic_entries(&analytics);
                self.strategy_counts = model::strategy_entries(&analytics);
                self.severity_counts = model::severity_entries(&analytics);
                self.analytics = analytics;
                self.analytics_loaded = true;
                // Indices into the old catalog mean nothing in the new one.
                self.close_views(View::uses_analytic_indices);
                self.dirty = true;
            }
            Update::Loaded { store, summary } => {
                let facets = model::StoreFacets::of(&store);
                self.loaded(store, summary, facets);
            }
            Update::Findings(findings) => {
                self.findings = findings
                    .into_iter()
                    .map(|finding| (finding.analytic.clone(), finding))
                    .collect();
                self.findings_loaded = true;
                self.work = Work::Done;
                self.close_views(View::uses_finding_chains);
                self.dirty = true;
            }
            Update::Failed(message) => {
                tracing::error!(%message, "background work failed");
                self.work = Work::Failed(message);
            }
            Update::Rerun {
                analytic,
                generation,
                result,
            } => self.finish_rerun(analytic, generation, result),
            Update::Query { generation, result } => self.finish_query(generation, result),
        }
    }

    fn loaded(&mut self, store: Arc<EventStore>, summary: LoadSummary, facets: StoreFacets) {
        self.hosts = facets.hosts;
        self.log_source_counts = facets.log_sources;
        self.from_hours = facets.from_hours;
        self.to_hours = facets.to_hours;
        self.time_range = facets.time_range;
        self.store = Some(store);
        self.summary = Some(summary);
        // Event indices in deeper views belong to the old store.
        self.close_views(View::uses_event_indices);
        self.dirty = true;
    }

    /// Closes the first view for which `stale` holds, with every view above it; the analytics
    /// list always stays.
    fn close_views(&mut self, stale: impl Fn(&View) -> bool) {
        if let Some(position) = self.path.iter().skip(1).position(stale) {
            self.path.truncate(position + 1);
        }
    }

    fn key_context(&self) -> KeyContext {
        KeyContext {
            chain_view: matches!(self.current(), View::Chain { .. }),
            event_view: matches!(self.current(), View::Event { .. }),
            overlay: self.overlay.is_some(),
            picker: matches!(self.overlay, Some(Overlay::Picker { .. })),
            typing: self.typing || self.picker_typing(),
            detail_view: matches!(self.current(), View::Detail { .. }),
            form: self.form.is_some(),
            note: self.note.is_some(),
            prompt: self.prompt.is_some(),
        }
    }

    fn handle_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let action = keymap::lookup(&key, self.key_context());
        if self.form.is_some() {
            self.handle_form_key(key, action);
            return;
        }
        if self.note.is_some() {
            self.handle_note_key(key, action);
            return;
        }
        if self.prompt.is_some() {
            self.handle_prompt_key(key, action);
            return;
        }
        self.notice = None;
        if self.typing || self.picker_typing() {
            self.handle_typing(key, action);
            return;
        }
        let Some(action) = action else {
            return;
        };
        self.settle();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.overlay = match self.overlay {
                    Some(Overlay::Help(_)) => None,
                    _ => Some(Overlay::Help(ListCursor::default())),
                };
            }
            _ if self.overlay.is_some() => self.handle_overlay(action),
            Action::Search => {
                self.typing = true;
                // The search applies to the analytics list, so show it.
                self.path.truncate(1);
            }
            Action::FilterPicker => {
                self.overlay = Some(Overlay::Picker {
                    kind: FilterKind::Host,
                    cursor: ListCursor::default(),
                    query: String::new(),
                    typing: false,
                });
            }
            Action::ClearFilters => {
                self.filters = Filters::default();
                self.search.clear();
                self.dirty = true;
            }
            Action::Problems => self.overlay = Some(Overlay::Problems(ListCursor::default())),
            Action::Back => {
                if self.path.len() > 1 {
                    self.path.pop();
                }
            }
            Action::Open => self.open(),
            Action::NextChain => self.step_chain(true),
            Action::PreviousChain => self.step_chain(false),
            Action::Timeline => self.open_timeline(),
            Action::Tune => self.open_form(),
            Action::ToggleRaw => {
                let store = self.store.clone();
                let page = self.page;
                if let Some(View::Event {
                    event,
                    cursor,
                    show_raw,
                    ..
                }) = self.path.last_mut()
                {
                    *show_raw = !*show_raw;
                    // Showing the raw record scrolls to it, since at 80x24 it starts below the
                    // fields, off screen; the four header lines precede the fields.
                    let fields = store.as_ref().map_or(0, |s| {
                        s.events().get(*event).map_or(0, |e| s.fields(e).len())
                    });
                    if *show_raw {
                        let heading = FIELD_LINE + fields;
                        *cursor = ListCursor {
                            selected: heading,
                            offset: heading,
                        };
                    } else {
                        cursor.clamp(FIELD_LINE + fields + 1);
                        cursor.select(cursor.selected, page);
                    }
                }
            }
            Action::Pivot => self.open_pivot(),
            Action::Bookmark => self.toggle_bookmark(),
            Action::Note => self.open_note(),
            Action::Verdict => self.cycle_verdict(),
            Action::SaveCase => self.save_case(),
            Action::ExportCase => self.export_case(),
            Action::Histogram => {
                self.show_histogram = !self.show_histogram;
                self.dirty = true;
            }
            Action::QueryPrompt => self.open_prompt(),
            Action::SwitchFocus => {
                if let Some(View::Detail { focus, .. }) = self.path.last_mut() {
                    *focus = match focus {
                        DetailFocus::Chains => DetailFocus::Page,
                        DetailFocus::Page => DetailFocus::Chains,
                    };
                }
            }
            Action::ScrollLeft | Action::ScrollRight => self.scroll_sideways(action),
            movement => self.move_in_view(movement),
        }
    }

    fn picker_typing(&self) -> bool {
        matches!(self.overlay, Some(Overlay::Picker { typing: true, .. }))
    }

    fn handle_typing(&mut self, key: KeyEvent, action: Option<Action>) {
        if action == Some(Action::Quit) {
            self.quit = true;
            return;
        }
        if let Some(Overlay::Picker {
            cursor,
            query,
            typing: typing @ true,
            ..
        }) = &mut self.overlay
        {
            match edit_text(query, key, action) {
                TextEdit::Done | TextEdit::Cancelled => *typing = false,
                TextEdit::Changed => *cursor = ListCursor::default(),
                TextEdit::Unchanged => {}
            }
            return;
        }
        let edit = edit_text(&mut self.search, key, action);
        if matches!(edit, TextEdit::Done | TextEdit::Cancelled) {
            self.typing = false;
        }
        if matches!(edit, TextEdit::Changed | TextEdit::Cancelled) {
            self.dirty = true;
            if let Some(View::Analytics(cursor)) = self.path.first_mut() {
                *cursor = ListCursor::default();
            }
        }
    }

    fn handle_overlay(&mut self, action: Action) {
        let page = self.page;
        let problems = self.summary.as_ref().map_or(0, |s| s.problems.len());
        // The help scrolls by its first line. The overlay is shorter than a page of the main
        // view, so this bound leaves room and the drawing clamps the first line to show the
        // end. A tighter bound hid the last lines at 80x24.
        let help_lines = keymap::KEYMAP.len() + keymap::SCOPES.len() * 2;
        let help = help_lines.saturating_sub(page / 2) + 1;
        let picker_len = match &self.overlay {
            Some(Overlay::Picker { kind, query, .. }) => self.picker_rows(*kind, query).len() + 1,
            _ => 0,
        };
        let Some(overlay) = self.overlay.as_mut() else {
            return;
        };
        if action == Action::Back {
            self.overlay = None;
            return;
        }
        match overlay {
            Overlay::Help(cursor) => {
                cursor.apply(action, help, page);
            }
            Overlay::Problems(cursor) => {
                cursor.apply(action, problems, page);
            }
            Overlay::Picker {
                kind,
                cursor,
                query,
                typing,
            } => match action {
                Action::Search => *typing = true,
                Action::NextFilterKind | Action::PreviousFilterKind => {
                    *kind = kind.step(action == Action::NextFilterKind);
                    *cursor = ListCursor::default();
                    query.clear();
                }
                Action::ClearFilterKind => {
                    let kind = *kind;
                    self.set_filter(kind, None);
                }
                Action::Open => {
                    let (kind, row, query) = (*kind, cursor.selected, query.clone());
                    // A typed time wins over the selected hour, since the hours are only a
                    // shortcut for it.
                    let value = match self.typed_time(kind, &query) {
                        Some(time) => Some(time.to_string()),
                        None => row
                            .checked_sub(1)
                            .and_then(|i| self.picker_rows(kind, &query).get(i).copied())
                            .map(|entry| entry.value.clone()),
                    };
                    self.set_filter(kind, value);
                    self.overlay = None;
                }
                movement => {
                    cursor.apply(movement, picker_len, page);
                }
            },
        }
    }

    fn set_filter(&mut self, kind: FilterKind, value: Option<String>) {
        let filters = &mut self.filters;
        let slot = match kind {
            FilterKind::Host => &mut filters.host,
            FilterKind::Platform => &mut filters.platform,
            FilterKind::Technique => &mut filters.technique,
            FilterKind::Tactic => &mut filters.tactic,
            FilterKind::Strategy => &mut filters.strategy,
            FilterKind::Severity => &mut filters.severity,
            FilterKind::LogSource => &mut filters.log_source,
            FilterKind::From | FilterKind::To => {
                // Time values come from the picker's own entries or `typed_time`, so they are
                // nanoseconds as text.
                let time = value.and_then(|text| text.parse::<Timestamp>().ok());
                if kind == FilterKind::From {
                    filters.from = time;
                } else {
                    filters.to = time;
                }
                self.filters_changed();
                return;
            }
        };
        *slot = value;
        self.filters_changed();
    }

    fn filters_changed(&mut self) {
        if let Some(View::Analytics(cursor)) = self.path.first_mut() {
            *cursor = ListCursor::default();
        }
        self.dirty = true;
    }

    fn open(&mut self) {
        let open_chain = |source: ChainSource, cursor: &ListCursor| {
            self.visible_chains(source)
                .get(cursor.selected)
                .map(|&chain| View::Chain {
                    source,
                    chain,
                    steps: ListCursor::default(),
                })
        };
        let next = match self.current() {
            View::Analytics(cursor) => self.visible.get(cursor.selected).copied().map(View::detail),
            View::Detail {
                analytic, chains, ..
            } => open_chain(ChainSource::Analytic(*analytic), chains),
            View::Query { query, matches } => open_chain(ChainSource::Query(*query), matches),
            View::Chain {
                source,
                chain,
                steps,
            } => self
                .chain(*source, *chain)
                .and_then(|c| c.steps.get(steps.selected))
                .map(|step| self.event_view(step.event)),
            View::Timeline { events, cursor, .. } => events
                .get(cursor.selected)
                .map(|&event| self.event_view(event)),
            View::Pivot {
                events,
                chains,
                cursor,
                ..
            } => match events.get(cursor.selected) {
                Some(&event) => Some(self.event_view(event)),
                None => chains
                    .get(cursor.selected - events.len())
                    .map(|&(analytic, chain)| View::Chain {
                        source: ChainSource::Analytic(analytic),
                        chain,
                        steps: ListCursor::default(),
                    }),
            },
            View::Event { .. } => None,
        };
        if let Some(view) = next {
            self.path.push(view);
        }
    }

    fn event_view(&self, event: usize) -> View {
        let raw = match &self.store {
            Some(store) => (self.raw_reader)(store, event).map(|text| sanitize_lines(&text)),
            None => Err("the events are not loaded".to_owned()),
        };
        if let Err(message) = &raw {
            tracing::warn!(event, %message, "failed to read the raw record");
        }
        // The first field is selected, ready for a pivot.
        let cursor = ListCursor {
            selected: FIELD_LINE,
            offset: 0,
        };
        View::Event {
            event,
            cursor,
            show_raw: false,
            raw,
            column: 0,
        }
    }

    /// Moves to the next or previous chain that passes the filters, and keeps the selection of
    /// the list below on it so going back lands on the chain last shown.
    fn step_chain(&mut self, forward: bool) {
        let Some(View::Chain { source, chain, .. }) = self.path.last() else {
            return;
        };
        let (source, current) = (*source, *chain);
        let visible = self.visible_chains(source);
        let next = if forward {
            visible.iter().copied().find(|&c| c > current)
        } else {
            visible.iter().rev().copied().find(|&c| c < current)
        };
        let Some(next) = next else {
            return;
        };
        let position = visible.iter().position(|&c| c == next).unwrap_or(0);
        let page = self.page;
        // Only the chain view on top and the list it was opened from follow. A chain of the
        // same source deeper in the path keeps its place.
        let top = self.path.len() - 1;
        if let Some(View::Chain { chain, steps, .. }) = self.path.get_mut(top) {
            *chain = next;
            *steps = ListCursor::default();
        }
        match top
            .checked_sub(1)
            .and_then(|below| self.path.get_mut(below))
        {
            Some(View::Detail {
                analytic, chains, ..
            }) if source == ChainSource::Analytic(*analytic) => chains.select(position, page),
            Some(View::Query { query, matches }) if source == ChainSource::Query(*query) => {
                matches.select(position, page);
            }
            _ => {}
        }
    }

    fn move_in_view(&mut self, action: Action) {
        let page = self.page;
        if self.page_has_focus() {
            self.scroll_page(action);
            return;
        }
        let len = match self.current() {
            View::Analytics(_) => self.visible.len(),
            View::Detail { analytic, .. } => {
                self.visible_chains(ChainSource::Analytic(*analytic)).len()
            }
            View::Query { query, .. } => self.visible_chains(ChainSource::Query(*query)).len(),
            View::Chain { source, chain, .. } => {
                self.chain(*source, *chain).map_or(0, |c| c.steps.len())
            }
            View::Timeline { events, .. } => events.len(),
            View::Pivot { events, chains, .. } => events.len() + chains.len(),
            View::Event { .. } => super::views::event::line_count(self, self.current()),
        };
        match self.path.last_mut() {
            Some(View::Analytics(cursor))
            | Some(View::Detail { chains: cursor, .. })
            | Some(View::Query {
                matches: cursor, ..
            })
            | Some(View::Chain { steps: cursor, .. })
            | Some(View::Timeline { cursor, .. })
            | Some(View::Pivot { cursor, .. })
            | Some(View::Event { cursor, .. }) => {
                cursor.apply(action, len, page);
            }
            None => {}
        }
    }
}

/// Line of the event view that shows the first field: time, source, origin and the fields
/// heading come before it.
pub const FIELD_LINE: usize = 4;

/// Events a pivot lists at most, which bounds its memory on a value that nearly every event
/// shares.
pub const PIVOT_LIMIT: usize = 10_000;

/// Events of the same host shown on each side of a timeline's anchor event.
const TIMELINE_SIDE: usize = 200;

/// Events looked at on each side of the anchor when searching for the host's events. It bounds
/// the work for a host that is rare in a large store, at the cost of a shorter timeline then.
const TIMELINE_SCAN: usize = 1_000_000;

mod casework;
mod pivot;
mod prompt;
mod scroll;
mod tuning;

const ROOT: View = View::Analytics(ListCursor {
    selected: 0,
    offset: 0,
});

/// The outcome of one key while typing text.
enum TextEdit {
    /// The text is kept and typing ends.
    Done,
    /// The text is cleared and typing ends.
    Cancelled,
    /// A character was added or removed.
    Changed,
    /// The key did nothing.
    Unchanged,
}

/// Applies one key to a text being typed: Enter keeps it, Esc clears it, Backspace deletes the
/// last character and a printable character is appended.
fn edit_text(text: &mut String, key: KeyEvent, action: Option<Action>) -> TextEdit {
    match action {
        Some(Action::Open) => TextEdit::Done,
        Some(Action::Back) => {
            text.clear();
            TextEdit::Cancelled
        }
        Some(Action::DeleteChar) => {
            text.pop();
            TextEdit::Changed
        }
        _ => {
            let plain = key.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE;
            match key.code {
                KeyCode::Char(c) if plain && !c.is_control() => {
                    text.push(c);
                    TextEdit::Changed
                }
                _ => TextEdit::Unchanged,
            }
        }
    }
}
