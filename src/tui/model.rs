//! Lists derived from the catalog, the findings and the store: filtering, fuzzy search, sorting
//! and the counts the filter picker shows.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::format;
use crate::engine::AnalyticSummary;
use crate::store::{EventStore, StoredValue, Timestamp};

/// The active filters; `None` lets everything through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Keep chains whose first event has this `host.name`.
    pub host: Option<String>,
    /// Keep analytics for this ATT&CK platform.
    pub platform: Option<String>,
    /// Keep analytics for this technique id.
    pub technique: Option<String>,
    /// Keep analytics for this tactic name.
    pub tactic: Option<String>,
    /// Keep analytics of this detection strategy id, such as `DET0269`.
    pub strategy: Option<String>,
    /// Keep executable analytics of this severity, such as `high`.
    pub severity: Option<String>,
    /// Keep analytics that name this log source, and chains with an event from it.
    pub log_source: Option<String>,
    /// Keep chains whose first event is at or after this time.
    pub from: Option<Timestamp>,
    /// Keep chains whose first event is at or before this time.
    pub to: Option<Timestamp>,
}

impl Filters {
    /// Returns whether any filter is set.
    pub fn is_active(&self) -> bool {
        self.host.is_some()
            || self.platform.is_some()
            || self.technique.is_some()
            || self.tactic.is_some()
            || self.strategy.is_some()
            || self.severity.is_some()
            || self.log_source.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }

    /// Returns whether a time passes the from and to filters.
    pub fn time_passes(&self, time: Timestamp) -> bool {
        self.from.is_none_or(|from| time >= from) && self.to.is_none_or(|to| time <= to)
    }
}

/// One value the filter picker offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickerEntry {
    /// The value the filter compares with.
    pub value: String,
    /// The value with a name, such as `T1059.001 PowerShell`.
    pub label: String,
    /// Events (hosts) or analytics (platforms, techniques) carrying the value.
    pub count: usize,
}

/// Selects the analytics that pass the platform, technique and tactic filters and the search.
///
/// Returns their indices in display order. A search orders them by score. Without one, analytics
/// with hits come first (most hits first), then other executable analytics, then the rest, and
/// each group is ordered by id.
pub fn visible_analytics(
    analytics: &[AnalyticSummary],
    hits: &[Option<usize>],
    filters: &Filters,
    search: &str,
) -> Vec<usize> {
    let passes = |analytic: &AnalyticSummary| {
        let platform = filters
            .platform
            .as_ref()
            .is_none_or(|p| analytic.platforms.iter().any(|q| q == p));
        let technique = filters
            .technique
            .as_ref()
            .is_none_or(|t| analytic.techniques.iter().any(|(id, _)| id == t));
        let tactic = filters
            .tactic
            .as_ref()
            .is_none_or(|t| analytic.tactics.iter().any(|u| u == t));
        let strategy = filters.strategy.as_ref().is_none_or(|wanted| {
            analytic
                .strategy
                .as_ref()
                .is_some_and(|(id, _)| id == wanted)
        });
        let severity = filters.severity.as_ref().is_none_or(|wanted| {
            analytic
                .executable
                .as_ref()
                .is_some_and(|e| &e.severity == wanted)
        });
        let log_source = filters.log_source.as_ref().is_none_or(|source| {
            analytic
                .log_sources
                .iter()
                .any(|named| log_source_name(named) == source)
        });
        platform && technique && tactic && strategy && severity && log_source
    };
    let candidates = analytics
        .iter()
        .enumerate()
        .filter(|(_, analytic)| passes(analytic));
    let query = search.trim();
    if !query.is_empty() {
        let matcher = SkimMatcherV2::default().ignore_case();
        // A fuzzy subsequence of a short query occurs in almost any long description, so a
        // match must score at least this share of the query matched against itself.
        let floor = matcher
            .fuzzy_match(query, query)
            .map_or(0, |ideal| ideal * MIN_SCORE_PERCENT / 100);
        let needle = query.to_lowercase();
        let mut ranked: Vec<(SearchRank, usize, &str)> = candidates
            .filter_map(|(index, analytic)| {
                let rank = search_rank(&matcher, analytic, query, &needle, floor)?;
                Some((rank, index, analytic.id.as_str()))
            })
            .collect();
        ranked.sort_by(|(a, _, a_id), (b, _, b_id)| a.cmp(b).then_with(|| a_id.cmp(b_id)));
        return ranked.into_iter().map(|(_, index, _)| index).collect();
    }
    let mut indices: Vec<(usize, &str)> = candidates
        .map(|(index, analytic)| (index, analytic.id.as_str()))
        .collect();
    indices.sort_by_key(|&(index, id)| {
        let hit_count = hits.get(index).copied().flatten();
        let group = match hit_count {
            Some(n) if n > 0 => 0,
            Some(_) => 1,
            None => 2,
        };
        (group, Reverse(hit_count.unwrap_or(0)), id)
    });
    indices.into_iter().map(|(index, _)| index).collect()
}

/// Returns the log source name of a summary's `name (channel)` entry.
fn log_source_name(entry: &str) -> &str {
    entry.split_once(" (").map_or(entry, |(name, _)| name)
}

/// Severities of the executable analytics with the number of analytics for each, most first.
pub fn severity_entries(analytics: &[AnalyticSummary]) -> Vec<PickerEntry> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for executable in analytics.iter().filter_map(|a| a.executable.as_ref()) {
        *counts.entry(&executable.severity).or_default() += 1;
    }
    ranked(counts.into_iter().map(|(severity, count)| PickerEntry {
        value: severity.to_owned(),
        label: severity.to_owned(),
        count,
    }))
}

/// Log sources (`log.source`) in the store with their event counts, most first.
pub fn log_source_counts(store: &EventStore) -> Vec<PickerEntry> {
    let mut by_symbol: HashMap<_, usize> = HashMap::new();
    for event in store.events() {
        *by_symbol.entry(event.log_source).or_default() += 1;
    }
    ranked(by_symbol.into_iter().map(|(symbol, count)| {
        let name = store.strings.resolve(symbol).to_owned();
        PickerEntry {
            value: name.clone(),
            label: name,
            count,
        }
    }))
}

/// Nanoseconds in an hour.
const HOUR: Timestamp = 3_600 * 1_000_000_000;

/// Hours that have events, in time order, with their event counts, as choices for a time
/// filter: the value is the hour's first instant for `from`, and its last one otherwise.
pub fn hour_entries(store: &EventStore, from: bool) -> Vec<PickerEntry> {
    let mut counts: BTreeMap<Timestamp, usize> = BTreeMap::new();
    for event in store.events() {
        *counts.entry(event.timestamp.div_euclid(HOUR)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(hour, count)| {
            let start = hour.saturating_mul(HOUR);
            let value = if from {
                start
            } else {
                start.saturating_add(HOUR - 1)
            };
            let label = format::time(value);
            PickerEntry {
                value: value.to_string(),
                label,
                count,
            }
        })
        .collect()
}

/// Parses a time typed into a time filter: RFC 3339 (`2024-03-01T10:30:00Z`), a date and time
/// in UTC (`2024-03-01 10:30`), or a time of day in UTC (`10:30`, `10:30:15`) on the date of
/// `day`.
pub fn parse_time(text: &str, day: Option<Timestamp>) -> Option<Timestamp> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return time.timestamp_nanos_opt();
    }
    for layout in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, layout) {
            return time.and_utc().timestamp_nanos_opt();
        }
    }
    let clock = NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()?;
    let day = day?;
    let date: NaiveDate = DateTime::from_timestamp(day.div_euclid(1_000_000_000), 0)?.date_naive();
    date.and_time(clock).and_utc().timestamp_nanos_opt()
}

/// Share of the best possible score, in percent, that a fuzzy match needs to be listed.
const MIN_SCORE_PERCENT: i64 = 85;

/// Order of search results, best first: where the query matched (the id, then a technique or
/// the detection strategy, then the description, then a fuzzy match anywhere), how often it
/// occurs, and the fuzzy score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SearchRank {
    tier: u8,
    occurrences: Reverse<usize>,
    score: Reverse<i64>,
}

fn search_rank(
    matcher: &SkimMatcherV2,
    analytic: &AnalyticSummary,
    query: &str,
    needle: &str,
    floor: i64,
) -> Option<SearchRank> {
    let text = search_text(analytic);
    let score = matcher.fuzzy_match(&text, query)?;
    let lower = text.to_lowercase();
    let occurrences = lower.matches(needle).count();
    let named = analytic
        .techniques
        .iter()
        .map(|(id, name)| format!("{id} {name}"))
        .chain(
            analytic
                .strategy
                .iter()
                .map(|(id, name)| format!("{id} {name}")),
        )
        .any(|label| label.to_lowercase().contains(needle));
    let tier = if analytic.id.to_lowercase().starts_with(needle) {
        0
    } else if named {
        1
    } else if occurrences > 0 {
        2
    } else if score >= floor {
        3
    } else {
        return None;
    };
    Some(SearchRank {
        tier,
        occurrences: Reverse(occurrences),
        score: Reverse(score),
    })
}

/// Joins the text the fuzzy search matches: id, technique ids and names, detection strategy and
/// description.
fn search_text(analytic: &AnalyticSummary) -> String {
    let mut text = analytic.id.clone();
    for (id, name) in &analytic.techniques {
        text.push(' ');
        text.push_str(id);
        text.push(' ');
        text.push_str(name);
    }
    if let Some((id, name)) = &analytic.strategy {
        text.push(' ');
        text.push_str(id);
        text.push(' ');
        text.push_str(name);
    }
    text.push(' ');
    text.push_str(&analytic.description);
    text
}

/// Platforms with the number of analytics for each, most first.
pub fn platform_entries(analytics: &[AnalyticSummary]) -> Vec<PickerEntry> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for analytic in analytics {
        for platform in &analytic.platforms {
            *counts.entry(platform).or_default() += 1;
        }
    }
    ranked(counts.into_iter().map(|(platform, count)| PickerEntry {
        value: platform.to_owned(),
        label: platform.to_owned(),
        count,
    }))
}

/// Tactics with the number of analytics for each, most first.
pub fn tactic_entries(analytics: &[AnalyticSummary]) -> Vec<PickerEntry> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for analytic in analytics {
        for tactic in &analytic.tactics {
            *counts.entry(tactic).or_default() += 1;
        }
    }
    ranked(counts.into_iter().map(|(tactic, count)| PickerEntry {
        value: tactic.to_owned(),
        label: tactic.to_owned(),
        count,
    }))
}

/// Detection strategies with their names and the number of analytics for each, most first.
pub fn strategy_entries(analytics: &[AnalyticSummary]) -> Vec<PickerEntry> {
    let mut counts: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for analytic in analytics {
        if let Some((id, name)) = &analytic.strategy {
            counts.entry(id).or_insert((name, 0)).1 += 1;
        }
    }
    ranked(counts.into_iter().map(|(id, (name, count))| PickerEntry {
        value: id.to_owned(),
        label: format!("{id} {name}"),
        count,
    }))
}

/// Techniques with their names and the number of analytics for each, most first.
pub fn technique_entries(analytics: &[AnalyticSummary]) -> Vec<PickerEntry> {
    let mut counts: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for analytic in analytics {
        for (id, name) in &analytic.techniques {
            counts.entry(id).or_insert((name, 0)).1 += 1;
        }
    }
    ranked(counts.into_iter().map(|(id, (name, count))| PickerEntry {
        value: id.to_owned(),
        label: format!("{id} {name}"),
        count,
    }))
}

/// Hosts (`host.name`) with their event counts, most first.
///
/// Counting runs once per load over every event, keyed by interned symbol so that it does not
/// resolve a string per event.
pub fn host_counts(store: &EventStore) -> Vec<PickerEntry> {
    let Some(field) = store.strings.get("host.name") else {
        return Vec::new();
    };
    let mut by_symbol = HashMap::new();
    let mut other: BTreeMap<String, usize> = BTreeMap::new();
    for event in store.events() {
        match store.get(event, field) {
            Some(StoredValue::Str(sym)) => *by_symbol.entry(*sym).or_insert(0) += 1,
            Some(value) => {
                let text = value.resolve(&store.strings).to_string();
                *other.entry(text).or_default() += 1;
            }
            None => {}
        }
    }
    for (sym, count) in by_symbol {
        *other
            .entry(store.strings.resolve(sym).to_owned())
            .or_default() += count;
    }
    ranked(other.into_iter().map(|(host, count)| PickerEntry {
        value: host.clone(),
        label: host,
        count,
    }))
}

/// Finds up to `side` events of `host` before `anchor` and as many after it, looking at no more
/// than `scan` events on each side. Returns store indices in time order, the anchor included.
pub fn host_neighbors(
    store: &EventStore,
    anchor: usize,
    host: &str,
    side: usize,
    scan: usize,
) -> Vec<usize> {
    let Some(field) = store.strings.get("host.name") else {
        return Vec::new();
    };
    // Comparing interned symbols avoids building a string per event; hosts stored as numbers
    // or lists, which the symbol cannot match, fall back to comparing text.
    let host_symbol = store.strings.get(host);
    let on_host = |index: &usize| match store.events().get(*index).and_then(|e| store.get(e, field))
    {
        Some(StoredValue::Str(sym)) => Some(*sym) == host_symbol,
        Some(value) => value.resolve(&store.strings).to_string() == host,
        None => false,
    };
    let start = anchor.saturating_sub(scan);
    let end = anchor
        .saturating_add(scan)
        .min(store.len().saturating_sub(1));
    let mut before: Vec<usize> = (start..anchor).rev().filter(on_host).take(side).collect();
    before.reverse();
    let after = (anchor.saturating_add(1)..=end).filter(on_host).take(side);
    let mut events = before;
    if anchor < store.len() {
        events.push(anchor);
    }
    events.extend(after);
    events
}

/// Returns an event's fields as `(name, value)` text, sorted by name.
///
/// Alphabetical order puts each ECS field set together (event.*, host.*, process.*) and the
/// original winlog.* items last. The event view lists the fields in this order, so a line of it
/// maps to one entry.
pub fn sorted_fields(store: &EventStore, index: usize) -> Vec<(String, String)> {
    let Some(event) = store.events().get(index) else {
        return Vec::new();
    };
    let mut fields: Vec<(String, String)> = store
        .fields(event)
        .map(|(name, value)| {
            let value = value.resolve(&store.strings).to_string();
            (store.strings.resolve(name).to_owned(), value)
        })
        .collect();
    fields.sort();
    fields
}

/// Finds the events whose `field` has the text `value`, in store (time) order, keeping at most
/// `limit`. Returns them and whether more matched.
pub fn events_with_value(
    store: &EventStore,
    field: &str,
    value: &str,
    limit: usize,
) -> (Vec<usize>, bool) {
    let Some(field) = store.strings.get(field) else {
        return (Vec::new(), false);
    };
    // As for timelines, interned symbols are compared first, and values stored as numbers or
    // lists by their text.
    let symbol = store.strings.get(value);
    let mut events = Vec::new();
    for (index, event) in store.events().iter().enumerate() {
        let matches = match store.get(event, field) {
            Some(StoredValue::Str(sym)) => Some(*sym) == symbol,
            Some(other) => other.resolve(&store.strings).to_string() == value,
            None => false,
        };
        if !matches {
            continue;
        }
        if events.len() == limit {
            return (events, true);
        }
        events.push(index);
    }
    (events, false)
}

/// Counts of events and chain first times over equal spans of the filtered events' time range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Start of the first bucket.
    pub start: Timestamp,
    /// End of the last bucket.
    pub end: Timestamp,
    /// Events per bucket.
    pub events: Vec<u64>,
    /// Chains whose first event falls in each bucket.
    pub chains: Vec<u64>,
}

impl Histogram {
    /// Resamples `series` to exactly `width` columns: each column sums the buckets that fall in
    /// its share of the range, and on a screen wider than the series a bucket spans several
    /// columns.
    pub fn fit(series: &[u64], width: usize) -> Vec<u64> {
        let len = series.len();
        if width == 0 || len == 0 {
            return Vec::new();
        }
        (0..width)
            .map(|column| {
                let start = column * len / width;
                let end = ((column + 1) * len / width).max(start + 1).min(len);
                series.get(start..end).map_or(0, |slice| slice.iter().sum())
            })
            .collect()
    }
}

/// Number of buckets in a histogram, which is the maximum number of columns it shows. The view
/// sums neighbouring buckets down to its width.
pub const HISTOGRAM_BUCKETS: usize = 240;

/// Builds the histogram of the events that `keep` accepts and of `chain_times` over the time
/// range of the kept events. Returns `None` when no event is kept.
pub fn histogram(
    store: &EventStore,
    keep: impl Fn(usize) -> bool,
    chain_times: &[Timestamp],
) -> Option<Histogram> {
    let kept: Vec<Timestamp> = store
        .events()
        .iter()
        .enumerate()
        .filter(|(index, _)| keep(*index))
        .map(|(_, event)| event.timestamp)
        .collect();
    let start = kept.iter().copied().min()?;
    let end = kept.iter().copied().max()?;
    let span = i128::from(end) - i128::from(start) + 1;
    let bucket = |time: Timestamp| -> Option<usize> {
        let offset = i128::from(time) - i128::from(start);
        if offset < 0 || offset >= span {
            return None;
        }
        let index = offset * HISTOGRAM_BUCKETS as i128 / span;
        usize::try_from(index).ok()
    };
    let mut events = vec![0; HISTOGRAM_BUCKETS];
    for time in kept {
        if let Some(slot) = bucket(time).and_then(|i| events.get_mut(i)) {
            *slot += 1;
        }
    }
    let mut chains = vec![0; HISTOGRAM_BUCKETS];
    for &time in chain_times {
        if let Some(slot) = bucket(time).and_then(|i| chains.get_mut(i)) {
            *slot += 1;
        }
    }
    Some(Histogram {
        start,
        end,
        events,
        chains,
    })
}

/// The picker lists and the time range derived from a loaded store.
///
/// Each takes a pass over every event, so the terminal loop computes them on its update thread
/// before the store reaches the UI thread, which then stays free for keys.
#[derive(Clone, Debug, Default)]
pub struct StoreFacets {
    /// Host names with their event counts, most events first.
    pub hosts: Vec<PickerEntry>,
    /// ATT&CK log sources with their event counts, most events first.
    pub log_sources: Vec<PickerEntry>,
    /// Choices for the `from` time filter.
    pub from_hours: Vec<PickerEntry>,
    /// Choices for the `to` time filter.
    pub to_hours: Vec<PickerEntry>,
    /// Earliest and latest event time.
    pub time_range: Option<(Timestamp, Timestamp)>,
}

impl StoreFacets {
    /// Computes every list from `store`.
    pub fn of(store: &EventStore) -> StoreFacets {
        StoreFacets {
            hosts: host_counts(store),
            log_sources: log_source_counts(store),
            from_hours: hour_entries(store, true),
            to_hours: hour_entries(store, false),
            time_range: time_range(store),
        }
    }
}

/// Earliest and latest event time, or `None` for an empty store.
pub fn time_range(store: &EventStore) -> Option<(Timestamp, Timestamp)> {
    let events = store.events();
    let first = events.iter().map(|e| e.timestamp).min()?;
    let last = events.iter().map(|e| e.timestamp).max()?;
    Some((first, last))
}

fn ranked(entries: impl Iterator<Item = PickerEntry>) -> Vec<PickerEntry> {
    let mut entries: Vec<PickerEntry> = entries.collect();
    entries.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ExecutableSummary;

    fn analytic(id: &str, technique: &str, platform: &str, executable: bool) -> AnalyticSummary {
        AnalyticSummary {
            id: id.to_owned(),
            description: format!("detects {technique}"),
            platforms: vec![platform.to_owned()],
            techniques: vec![(technique.to_owned(), format!("name of {technique}"))],
            executable: executable.then(ExecutableSummary::default),
            ..AnalyticSummary::default()
        }
    }

    #[test]
    fn sort_puts_hits_first() {
        let analytics = vec![
            analytic("AN1", "T1", "Windows", false),
            analytic("AN2", "T2", "Windows", true),
            analytic("AN3", "T3", "Windows", true),
            analytic("AN4", "T4", "Windows", true),
        ];
        let hits = vec![None, Some(0), Some(2), Some(5)];
        let order = visible_analytics(&analytics, &hits, &Filters::default(), "");
        assert_eq!(order, vec![3, 2, 1, 0]);
    }

    #[test]
    fn platform_and_technique_filter() {
        let analytics = vec![
            analytic("AN1", "T1", "Windows", false),
            analytic("AN2", "T2", "Linux", false),
        ];
        let hits = vec![None, None];
        let linux = Filters {
            platform: Some("Linux".to_owned()),
            ..Filters::default()
        };
        assert_eq!(visible_analytics(&analytics, &hits, &linux, ""), vec![1]);
        let t1 = Filters {
            technique: Some("T1".to_owned()),
            ..Filters::default()
        };
        assert_eq!(visible_analytics(&analytics, &hits, &t1, ""), vec![0]);
    }

    #[test]
    fn fuzzy_search_matches_description() {
        let analytics = vec![
            analytic("AN1", "T1059", "Windows", false),
            analytic("AN2", "T1003", "Windows", false),
        ];
        let hits = vec![None, None];
        let found = visible_analytics(&analytics, &hits, &Filters::default(), "t1003");
        assert_eq!(found, vec![1]);
        let none = visible_analytics(&analytics, &hits, &Filters::default(), "zzzz");
        assert!(none.is_empty());
    }

    fn store_on_hosts(hosts: &[&str]) -> EventStore {
        let mut store = EventStore::new();
        for (i, host) in hosts.iter().enumerate() {
            let origin = crate::store::Origin {
                file: 0,
                record: i as u64,
                offset: None,
            };
            let mut event = crate::store::EventBuilder::new(
                i as i64,
                "WinEventLog:Security",
                crate::store::Platform::Windows,
                origin,
            );
            event.field("host.name", *host);
            store.push(event);
        }
        store
    }

    #[test]
    fn host_neighbors_limit_each_side() {
        let store = store_on_hosts(&["A", "B", "A", "A", "B", "A", "A", "A"]);
        assert_eq!(host_neighbors(&store, 3, "A", 1, 100), vec![2, 3, 5]);
        assert_eq!(
            host_neighbors(&store, 3, "A", 10, 100),
            vec![0, 2, 3, 5, 6, 7]
        );
    }

    #[test]
    fn host_neighbors_limit_scan() {
        let store = store_on_hosts(&["A", "B", "B", "A", "B", "B", "A"]);
        assert_eq!(host_neighbors(&store, 3, "A", 10, 2), vec![3]);
        assert_eq!(host_neighbors(&store, 3, "A", 10, 3), vec![0, 3, 6]);
    }

    #[test]
    fn events_with_value_limit() {
        let store = store_on_hosts(&["A", "B", "A", "A"]);
        assert_eq!(
            events_with_value(&store, "host.name", "A", 10),
            (vec![0, 2, 3], false)
        );
        assert_eq!(
            events_with_value(&store, "host.name", "A", 2),
            (vec![0, 2], true)
        );
        assert_eq!(
            events_with_value(&store, "host.name", "C", 10),
            (vec![], false)
        );
        assert_eq!(
            events_with_value(&store, "user.name", "A", 10),
            (vec![], false)
        );
    }

    #[test]
    fn histogram_spreads_over_range() {
        let store = store_on_hosts(&["A", "B", "A", "A"]);
        let histogram = histogram(&store, |index| index != 1, &[0, 3, 99]);
        let Some(histogram) = histogram else {
            panic!("no histogram for kept events");
        };
        assert_eq!(histogram.start, 0);
        assert_eq!(histogram.end, 3);
        assert_eq!(histogram.events.iter().sum::<u64>(), 3);
        assert_eq!(
            histogram.chains.iter().sum::<u64>(),
            2,
            "a time outside the range is not counted"
        );
        assert_eq!(histogram.events[0], 1);
        // Four nanoseconds make four equal spans, so time 3 lands three quarters in.
        assert_eq!(histogram.events[HISTOGRAM_BUCKETS * 3 / 4], 1);
        assert_eq!(Histogram::fit(&histogram.events, 2), vec![1, 2]);
        assert_eq!(Histogram::fit(&histogram.events, 500).len(), 500);
        assert_eq!(Histogram::fit(&[1, 2], 4), vec![1, 1, 2, 2]);
        assert!(Histogram::fit(&histogram.events, 0).is_empty());
    }

    #[test]
    fn histogram_needs_events() {
        let store = store_on_hosts(&["A"]);
        assert_eq!(histogram(&store, |_| false, &[]), None);
    }

    #[test]
    fn parse_time_accepts_formats() {
        // 2024-03-01 00:00:00 UTC.
        let day = 1_709_251_200 * 1_000_000_000;
        let ten_thirty = day + (10 * 3_600 + 30 * 60) * 1_000_000_000;
        assert_eq!(parse_time("2024-03-01T10:30:00Z", None), Some(ten_thirty));
        assert_eq!(
            parse_time("2024-03-01T11:30:00+01:00", None),
            Some(ten_thirty)
        );
        assert_eq!(parse_time("2024-03-01 10:30", None), Some(ten_thirty));
        assert_eq!(parse_time(" 10:30 ", Some(day + 5)), Some(ten_thirty));
        assert_eq!(parse_time("10:30:00", Some(day)), Some(ten_thirty));
        assert_eq!(
            parse_time("10:30", None),
            None,
            "a time of day needs a loaded day"
        );
        assert_eq!(parse_time("soon", Some(day)), None);
        assert_eq!(parse_time("25:00", Some(day)), None);
    }

    #[test]
    fn severity_and_source_filter() {
        let mut analytics = vec![
            analytic("AN1", "T1", "Windows", true),
            analytic("AN2", "T2", "Windows", true),
            analytic("AN3", "T3", "Windows", false),
        ];
        if let Some(executable) = analytics[0].executable.as_mut() {
            executable.severity = "high".to_owned();
        }
        analytics[1].log_sources = vec!["WinEventLog:Sysmon (EventCode=1)".to_owned()];
        let hits = vec![None, None, None];
        let high = Filters {
            severity: Some("high".to_owned()),
            ..Filters::default()
        };
        assert_eq!(visible_analytics(&analytics, &hits, &high, ""), vec![0]);
        let sysmon = Filters {
            log_source: Some("WinEventLog:Sysmon".to_owned()),
            ..Filters::default()
        };
        assert_eq!(visible_analytics(&analytics, &hits, &sysmon, ""), vec![1]);
        let severities = severity_entries(&analytics);
        assert_eq!(severities.len(), 2, "{severities:?}");
    }

    #[test]
    fn hour_entries_bound_hours() {
        let mut store = EventStore::new();
        for (i, seconds) in [10, 20, 3_700].iter().enumerate() {
            let origin = crate::store::Origin {
                file: 0,
                record: i as u64,
                offset: None,
            };
            let time = seconds * 1_000_000_000;
            let event = crate::store::EventBuilder::new(
                time,
                "WinEventLog:Security",
                crate::store::Platform::Windows,
                origin,
            );
            store.push(event);
        }
        let from = hour_entries(&store, true);
        assert_eq!(from.len(), 2);
        assert_eq!(from[0].value, "0");
        assert_eq!(from[0].count, 2);
        let to = hour_entries(&store, false);
        assert_eq!(to[0].value, (HOUR - 1).to_string());
        let sources = log_source_counts(&store);
        assert_eq!(sources[0].value, "WinEventLog:Security");
        assert_eq!(sources[0].count, 3);
    }

    #[test]
    fn host_neighbors_out_of_range() {
        let store = store_on_hosts(&["A"]);
        assert_eq!(host_neighbors(&store, 5, "A", 10, 10), vec![0]);
        let empty = EventStore::new();
        assert!(host_neighbors(&empty, 0, "A", 10, 10).is_empty());
    }

    #[test]
    fn technique_entries_count_analytics() {
        let analytics = vec![
            analytic("AN1", "T1", "Windows", false),
            analytic("AN2", "T1", "Linux", false),
            analytic("AN3", "T2", "Linux", false),
        ];
        let techniques = technique_entries(&analytics);
        assert_eq!(techniques[0].value, "T1");
        assert_eq!(techniques[0].count, 2);
        assert_eq!(techniques[0].label, "T1 name of T1");
        let platforms = platform_entries(&analytics);
        assert_eq!(platforms[0].value, "Linux");
        assert_eq!(platforms[0].count, 2);
    }
}

#[cfg(test)]
mod catalog_tests {
    use super::*;
    use crate::engine::Setup;

    fn summaries() -> Vec<AnalyticSummary> {
        Setup::load(None, &[])
            .expect("built-in catalog loads")
            .summaries(None)
    }

    #[test]
    fn lsass_search_ranks_an0757_early() {
        let analytics = summaries();
        let hits = vec![None; analytics.len()];
        let found = visible_analytics(&analytics, &hits, &Filters::default(), "lsass");
        let ids: Vec<&str> = found.iter().map(|&i| analytics[i].id.as_str()).collect();
        // 19 catalog analytics name LSASS in their description or strategy; scattered fuzzy
        // matches of five letters in other descriptions must not bury them.
        assert!(ids.len() < 40, "{} results: {ids:?}", ids.len());
        let position = ids.iter().position(|id| *id == "AN0757");
        assert!(
            position.is_some_and(|p| p < 10),
            "AN0757 at {position:?}: {ids:?}"
        );
    }

    #[test]
    fn id_search_puts_that_analytic_first() {
        let analytics = summaries();
        let hits = vec![None; analytics.len()];
        let found = visible_analytics(&analytics, &hits, &Filters::default(), "AN0750");
        assert_eq!(analytics[found[0]].id, "AN0750");
    }

    #[test]
    fn esxi_filter_lists_exactly_esxi_analytics() {
        let analytics = summaries();
        let hits = vec![None; analytics.len()];
        let filters = Filters {
            platform: Some("ESXi".to_owned()),
            ..Filters::default()
        };
        let found = visible_analytics(&analytics, &hits, &filters, "");
        // ATT&CK 18.1 lists ESXi among the platforms of 106 analytics.
        assert_eq!(found.len(), 106);
        assert!(
            found
                .iter()
                .all(|&i| analytics[i].platforms.iter().any(|p| p == "ESXi"))
        );
    }
}
