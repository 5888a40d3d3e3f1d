//! A literal prefilter: for each rule, the lowercase literals that must occur in an event's
//! text for the rule to match.
//!
//! The need is a conjunction of clauses, each a set of literals one of which must occur. A
//! selection item gives one clause, `and` joins its operands' clauses, `or` distributes them
//! (or, when that grows too large, joins one clause of each side into one), and `not` needs
//! nothing. An event is scanned once with an Aho-Corasick automaton of every rule's literals,
//! and a rule with a clause that has no literal in the event is not evaluated. The clauses are
//! a necessary condition only, so the result is the same as evaluating every rule.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::condition::Condition;
use super::modifiers::{FieldItem, Matcher};
use super::rule::Detection;

/// Literals shorter than this bound too little to be worth scanning for.
const MIN_LITERAL: usize = 3;

/// Clauses that must all hold, each a set of literals one of which must occur; no clause
/// means the detection can match without any literal.
type Clauses = Vec<Vec<String>>;

/// Clauses a rule keeps at most; the ones least likely to occur are kept.
const MAX_CLAUSES: usize = 8;
/// The largest product of two operands' clause counts that `or` distributes.
const MAX_PRODUCT: usize = 16;

fn matcher_literal(matcher: &Matcher) -> Option<String> {
    match matcher {
        Matcher::Text { needle, .. } if needle.len() >= MIN_LITERAL && needle.is_ascii() => {
            Some(needle.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The literals of one value, or `None` when an alternative has none.
fn value_clause(alternatives: &[Matcher]) -> Option<Vec<String>> {
    alternatives.iter().map(matcher_literal).collect()
}

fn item_clauses(item: &FieldItem) -> Clauses {
    if item.negate {
        return Vec::new();
    }
    if item.all {
        // Every value must match, so each value with literals is a clause of its own.
        return item.values.iter().filter_map(|v| value_clause(v)).collect();
    }
    let mut clause = Vec::new();
    for alternatives in &item.values {
        match value_clause(alternatives) {
            Some(literals) => clause.extend(literals),
            None => return Vec::new(),
        }
    }
    vec![clause]
}

/// Estimates how likely one of `literals` is to occur in an event: short literals are likelier.
fn weight(literals: &[String]) -> f64 {
    literals.iter().map(|l| 1.0 / l.len() as f64).sum()
}

/// Keeps the clauses least likely to occur, at most [`MAX_CLAUSES`].
fn trim(mut clauses: Clauses) -> Clauses {
    clauses.sort_by(|a, b| weight(a).total_cmp(&weight(b)));
    clauses.truncate(MAX_CLAUSES);
    clauses
}

fn and(operands: impl Iterator<Item = Clauses>) -> Clauses {
    trim(operands.flatten().collect())
}

fn or(operands: impl Iterator<Item = Clauses>) -> Clauses {
    let mut result: Option<Clauses> = None;
    for clauses in operands {
        if clauses.is_empty() {
            return Vec::new();
        }
        result = Some(match result {
            None => clauses,
            Some(previous) if previous.len() * clauses.len() <= MAX_PRODUCT => {
                // (a1 and a2) or (b1 and b2) implies every (ai or bj).
                let mut product = Vec::new();
                for a in &previous {
                    for b in &clauses {
                        let mut joined = a.clone();
                        joined.extend(b.iter().cloned());
                        product.push(joined);
                    }
                }
                trim(product)
            }
            Some(previous) => {
                // Too many to distribute: one clause from each side still has to hold.
                match (previous.first(), clauses.first()) {
                    (Some(a), Some(b)) => {
                        let mut joined = a.clone();
                        joined.extend(b.iter().cloned());
                        vec![joined]
                    }
                    // An empty side constrains nothing, so neither does the disjunction.
                    _ => Vec::new(),
                }
            }
        });
    }
    result.unwrap_or_default()
}

fn selection_clauses(detection: &Detection, index: usize) -> Clauses {
    let Some(selection) = detection.selections.get(index) else {
        return Vec::new();
    };
    or(selection
        .alternatives
        .iter()
        .map(|items| and(items.iter().map(item_clauses))))
}

fn condition_clauses(detection: &Detection, condition: &Condition) -> Clauses {
    match condition {
        Condition::Selection(index) => selection_clauses(detection, *index),
        Condition::Not(_) => Vec::new(),
        Condition::And(operands) => and(operands.iter().map(|c| condition_clauses(detection, c))),
        Condition::Or(operands) => or(operands.iter().map(|c| condition_clauses(detection, c))),
        Condition::AnyOf(indexes) => or(indexes.iter().map(|&i| selection_clauses(detection, i))),
        Condition::AllOf(indexes) => and(indexes.iter().map(|&i| selection_clauses(detection, i))),
    }
}

/// Returns the clauses a detection needs: each a set of literals one of which must occur.
/// An empty list means the detection can match without any literal.
pub fn needs(detection: &Detection) -> Clauses {
    condition_clauses(detection, &detection.condition)
        .into_iter()
        .map(|mut clause| {
            clause.sort();
            clause.dedup();
            clause
        })
        .filter(|clause| !clause.is_empty())
        .collect()
}

/// The automaton of every rule's literals, and each rule's literal ids.
pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    literal_count: usize,
}

impl Prefilter {
    /// Builds the automaton from each rule's clauses, and returns the clauses as literal ids.
    pub fn build(rules: &[Clauses]) -> (Prefilter, Vec<Vec<Vec<u32>>>) {
        let mut literals: Vec<&str> = rules
            .iter()
            .flatten()
            .flatten()
            .map(String::as_str)
            .collect();
        literals.sort_unstable();
        literals.dedup();
        let id = |literal: &String| {
            literals
                .binary_search(&literal.as_str())
                .ok()
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        };
        let ids = rules
            .iter()
            .map(|clauses| {
                clauses
                    .iter()
                    .map(|clause| clause.iter().filter_map(id).collect())
                    .collect()
            })
            .collect();
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .ok();
        let prefilter = Prefilter {
            automaton,
            literal_count: literals.len(),
        };
        (prefilter, ids)
    }

    /// Number of distinct literals.
    pub fn literal_count(&self) -> usize {
        self.literal_count
    }

    /// Marks in `found` (one flag per literal) every literal occurring in `text`.
    pub fn scan(&self, text: &str, found: &mut [bool]) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        for hit in automaton.find_overlapping_iter(text) {
            if let Some(flag) = found.get_mut(hit.pattern().as_usize()) {
                *flag = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::rule::{Document, read_document};
    use crate::sigma::yaml::parse_documents;
    use std::collections::HashMap;

    fn detection(text: &str) -> Detection {
        let documents = parse_documents(text).unwrap_or_default();
        match read_document(
            &documents[0],
            std::path::Path::new("t.yml"),
            &HashMap::new(),
        ) {
            Ok(Document::Rule(rule)) => rule.detection,
            other => panic!("{other:?}"),
        }
    }

    const HEAD: &str = "title: t\nlogsource:\n  product: windows\ndetection:\n";

    #[test]
    fn selection_and_filter_need_the_selection_literals() {
        let text = format!(
            "{HEAD}  sel:\n    Image|endswith: ['\\a.exe', '\\b.exe']\n    CommandLine|contains: xyz\n  filter:\n    User: bob\n  condition: sel and not filter\n"
        );
        let clauses = needs(&detection(&text));
        assert_eq!(clauses.len(), 2);
        assert!(clauses.contains(&vec!["\\a.exe".to_owned(), "\\b.exe".to_owned()]));
        assert!(clauses.contains(&vec!["xyz".to_owned()]));
    }

    #[test]
    fn or_distributes_small_operands() {
        let text = format!(
            "{HEAD}  a:\n    Image: alpha.exe\n    CommandLine|contains: one\n  b:\n    Image: beta.exe\n  condition: a or b\n"
        );
        let clauses = needs(&detection(&text));
        assert_eq!(clauses.len(), 2);
        assert!(clauses.contains(&vec!["alpha.exe".to_owned(), "beta.exe".to_owned()]));
        assert!(clauses.contains(&vec!["beta.exe".to_owned(), "one".to_owned()]));
    }

    #[test]
    fn or_with_an_unbounded_side_needs_nothing() {
        let text =
            format!("{HEAD}  a:\n    Image: evil.exe\n  b:\n    Size|gt: 5\n  condition: a or b\n");
        assert!(needs(&detection(&text)).is_empty());
    }

    #[test]
    fn all_takes_one_value() {
        let text = format!(
            "{HEAD}  sel:\n    CommandLine|contains|all: ['alpha', 'beta']\n  condition: sel\n"
        );
        let clauses = needs(&detection(&text));
        assert_eq!(
            clauses,
            vec![vec!["alpha".to_owned()], vec!["beta".to_owned()]]
        );
    }

    #[test]
    fn scan_ignores_ascii_case() {
        let rules = vec![vec![vec!["mimikatz".to_owned()]], Vec::new()];
        let (prefilter, ids) = Prefilter::build(&rules);
        assert_eq!(ids, vec![vec![vec![0]], Vec::new()]);
        let mut found = vec![false; prefilter.literal_count()];
        prefilter.scan("C:\\Tools\\MimiKatz.exe", &mut found);
        assert_eq!(found, vec![true]);
    }
}
