//! A literal prefilter: for each rule, a set of lowercase literals at least one of which must
//! occur in the event's text for the rule to match.
//!
//! The set is derived from the condition: a selection needs one literal of each of its
//! alternatives, `and` needs the set of any one operand (the one with the fewest and longest
//! literals is taken), `or` needs the union of its operands, and `not` bounds nothing. An event is scanned once with an
//! Aho-Corasick automaton of every rule's literals, and a rule whose set has no literal in the
//! event is not evaluated. The set is a necessary condition only, so the result is the same
//! as evaluating every rule.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::condition::Condition;
use super::modifiers::{FieldItem, Matcher};
use super::rule::Detection;

/// Literals shorter than this bound too little to be worth scanning for.
const MIN_LITERAL: usize = 3;

/// Literals one of which must occur, or `None` when the rule can match without any.
type Needs = Option<Vec<String>>;

fn matcher_literal(matcher: &Matcher) -> Option<String> {
    match matcher {
        Matcher::Text { needle, .. } if needle.len() >= MIN_LITERAL && needle.is_ascii() => {
            Some(needle.to_ascii_lowercase())
        }
        _ => None,
    }
}

fn item_needs(item: &FieldItem) -> Needs {
    if item.negate {
        return None;
    }
    let value_needs = |alternatives: &Vec<Matcher>| -> Needs {
        alternatives.iter().map(matcher_literal).collect()
    };
    if item.all {
        // Every value must match, so any one value's literals are needed.
        smallest(item.values.iter().map(value_needs))
    } else {
        let mut union = Vec::new();
        for alternatives in &item.values {
            union.extend(value_needs(alternatives)?);
        }
        Some(union)
    }
}

/// A rough chance that one of `literals` occurs in an event: short literals are likelier.
fn weight(literals: &[String]) -> f64 {
    literals.iter().map(|l| 1.0 / l.len() as f64).sum()
}

/// Picks the set least likely to occur, so that fewer events pass the prefilter.
fn smallest(options: impl Iterator<Item = Needs>) -> Needs {
    options
        .flatten()
        .min_by(|a, b| weight(a).total_cmp(&weight(b)))
}

fn union(options: impl Iterator<Item = Needs>) -> Needs {
    let mut all = Vec::new();
    for needs in options {
        all.extend(needs?);
    }
    Some(all)
}

fn selection_needs(detection: &Detection, index: usize) -> Needs {
    let selection = detection.selections.get(index)?;
    union(
        selection
            .alternatives
            .iter()
            .map(|items| smallest(items.iter().map(item_needs))),
    )
}

fn condition_needs(detection: &Detection, condition: &Condition) -> Needs {
    match condition {
        Condition::Selection(index) => selection_needs(detection, *index),
        Condition::Not(_) => None,
        Condition::And(operands) => {
            smallest(operands.iter().map(|c| condition_needs(detection, c)))
        }
        Condition::Or(operands) => union(operands.iter().map(|c| condition_needs(detection, c))),
        Condition::AnyOf(indexes) => union(indexes.iter().map(|&i| selection_needs(detection, i))),
        Condition::AllOf(indexes) => {
            smallest(indexes.iter().map(|&i| selection_needs(detection, i)))
        }
    }
}

/// The literals one of which a detection needs, or `None` when it needs none.
pub fn needs(detection: &Detection) -> Option<Vec<String>> {
    let mut literals = condition_needs(detection, &detection.condition)?;
    literals.sort();
    literals.dedup();
    (!literals.is_empty()).then_some(literals)
}

/// The automaton of every rule's literals, and each rule's literal ids.
pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    literal_count: usize,
}

impl Prefilter {
    /// Builds the automaton; `rules` lists each rule's needs, and the return value maps each
    /// to literal ids.
    pub fn build(rules: &[Option<Vec<String>>]) -> (Prefilter, Vec<Option<Vec<u32>>>) {
        let mut literals: Vec<&str> = rules
            .iter()
            .flatten()
            .flatten()
            .map(String::as_str)
            .collect();
        literals.sort_unstable();
        literals.dedup();
        let ids = rules
            .iter()
            .map(|needs| {
                needs.as_ref().map(|list| {
                    list.iter()
                        .filter_map(|l| literals.binary_search(&l.as_str()).ok())
                        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
                        .collect()
                })
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
            "{HEAD}  sel:\n    Image|endswith: ['\\a.exe', '\\b.exe']\n    CommandLine|contains: x\n  filter:\n    User: bob\n  condition: sel and not filter\n"
        );
        assert_eq!(
            needs(&detection(&text)),
            Some(vec!["\\a.exe".to_owned(), "\\b.exe".to_owned()])
        );
    }

    #[test]
    fn or_with_an_unbounded_side_needs_nothing() {
        let text =
            format!("{HEAD}  a:\n    Image: evil.exe\n  b:\n    Size|gt: 5\n  condition: a or b\n");
        assert_eq!(needs(&detection(&text)), None);
    }

    #[test]
    fn all_takes_one_value() {
        let text = format!(
            "{HEAD}  sel:\n    CommandLine|contains|all: ['alpha', 'beta']\n  condition: sel\n"
        );
        assert_eq!(needs(&detection(&text)), Some(vec!["alpha".to_owned()]));
    }

    #[test]
    fn scan_ignores_ascii_case() {
        let rules = vec![Some(vec!["mimikatz".to_owned()]), None];
        let (prefilter, ids) = Prefilter::build(&rules);
        assert_eq!(ids, vec![Some(vec![0]), None]);
        let mut found = vec![false; prefilter.literal_count()];
        prefilter.scan("C:\\Tools\\MimiKatz.exe", &mut found);
        assert_eq!(found, vec![true]);
    }
}
