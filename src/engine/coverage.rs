//! Log-source coverage: which ATT&CK log sources the loaded data contains, and whether each
//! analytic could be satisfied by it.
//!
//! Coverage tells two silences apart: an analytic that found nothing in data holding all its log
//! sources, and one that could not have found anything because its sources were never collected.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::analytics::event_codes;
use crate::catalog::Catalog;
use crate::ingest;
use crate::store::{EventStore, StoredValue, Sym};

/// The share of an analytic's log sources that the loaded data contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Every log source the analytic names is present.
    All,
    /// Some of them are.
    Some,
    /// None of them is.
    None,
}

impl Level {
    /// The level's name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Level::All => "all",
            Level::Some => "some",
            Level::None => "none",
        }
    }
}

/// One analytic's coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnalyticCoverage {
    /// The ATT&CK analytic id.
    pub id: String,
    /// How much of its log sources are present.
    pub level: Level,
    /// Its log sources present in the data, as `name` or `name EventCode=…`.
    pub present: Vec<String>,
    /// Its log sources absent from the data, written the same way.
    pub missing: Vec<String>,
}

/// Coverage of one load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Event count per ATT&CK log source name present in the data.
    pub log_sources: BTreeMap<String, u64>,
    /// Every catalog analytic, in catalog order.
    pub analytics: Vec<AnalyticCoverage>,
}

impl Coverage {
    /// Counts the log sources of `store` and rates every analytic of `catalog` against them.
    ///
    /// A log source reference whose channel lists event codes (`EventCode=3, 22`) counts as
    /// present only when an event of that source carries one of those codes; any other channel
    /// is ATT&CK's free text, so the source name alone decides.
    pub fn compute(store: &EventStore, catalog: &Catalog) -> Coverage {
        // Counted by symbol first, so the pass over every event allocates nothing.
        let mut by_symbol: HashMap<Sym, u64> = HashMap::new();
        let mut code_symbols: HashSet<(Sym, Sym)> = HashSet::new();
        let code_field = store.strings.get("event.code");
        for event in store.events() {
            *by_symbol.entry(event.log_source).or_default() += 1;
            if let Some(StoredValue::Str(code)) = code_field.and_then(|f| store.get(event, f)) {
                code_symbols.insert((event.log_source, *code));
            }
        }
        let log_sources: BTreeMap<String, u64> = by_symbol
            .into_iter()
            .map(|(sym, count)| (store.strings.resolve(sym).to_owned(), count))
            .collect();
        let codes: HashSet<(String, String)> = code_symbols
            .into_iter()
            .map(|(source, code)| {
                (
                    store.strings.resolve(source).to_owned(),
                    store.strings.resolve(code).to_owned(),
                )
            })
            .collect();
        let analytics = catalog
            .analytics()
            .iter()
            .map(|analytic| {
                let mut present = Vec::new();
                let mut missing = Vec::new();
                for reference in &analytic.log_sources {
                    let listed = event_codes(&reference.channel);
                    let direct = log_sources.contains_key(&reference.name)
                        && (listed.is_empty()
                            || listed
                                .into_iter()
                                .any(|code| codes.contains(&(reference.name.clone(), code))));
                    let found = direct
                        || ingest::narrower_sources(&reference.name)
                            .iter()
                            .any(|name| log_sources.contains_key(*name));
                    let label = if reference.channel.starts_with("EventCode=") {
                        format!("{} {}", reference.name, reference.channel)
                    } else {
                        reference.name.clone()
                    };
                    let list = if found { &mut present } else { &mut missing };
                    if !list.contains(&label) {
                        list.push(label);
                    }
                }
                let level = match (present.is_empty(), missing.is_empty()) {
                    (false, true) => Level::All,
                    (false, false) => Level::Some,
                    (true, _) => Level::None,
                };
                AnalyticCoverage {
                    id: analytic.id.clone(),
                    level,
                    present,
                    missing,
                }
            })
            .collect();
        Coverage {
            log_sources,
            analytics,
        }
    }

    /// Looks up one analytic's coverage.
    pub fn analytic(&self, id: &str) -> Option<&AnalyticCoverage> {
        self.analytics.iter().find(|a| a.id == id)
    }

    /// Number of analytics at each level, as `(all, some, none)`.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |level| self.analytics.iter().filter(|a| a.level == level).count();
        (count(Level::All), count(Level::Some), count(Level::None))
    }
}
