//! Process lineage for `child of`, `descendant of` and `event of`.
//!
//! Each lineage expression owns a [`Tracker`] that watches every event in stream order, as
//! the reference implementation (the `eql` package) does:
//! - An event that matches the bracketed query marks its process as a source, unless its
//!   process id is missing, null, zero, false or empty.
//! - A process-creation event whose parent is a source (for `descendant of`, also a
//!   descendant) marks the new process as a child or descendant.
//! - A process-termination event schedules its process for removal, which happens at the
//!   next event of the process category, so events between the two still see it.
//!
//! Every tracker observes an event before any condition is tested against that event, so a
//! creation event already counts as a child of its matching parent.
//!
//! NOTE: the reference also clears all state when a process named `System` with pid 4 starts,
//! because it takes that as a reboot. This tracker keeps its state, so after a reboot a reused
//! pid (without an entity id) can still link to a process from before it.

use std::collections::HashSet;

use super::Document;
use super::ast::Relation;
use super::compile::Node;
use super::eval::{Evaluator, truth};
use super::sequence::{in_category, key_text};
use super::{Options, Value};

/// The fields that identify a process and its parent in one kind of event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessIdFields {
    /// The field holding the process's own id.
    pub id: String,
    /// The field holding the parent process's id, in the same id space as `id`.
    pub parent_id: String,
    /// Fields that qualify the id because it is only unique within them, such as
    /// `host.name` for operating-system pids. Empty for globally unique ids.
    pub scope: Vec<String>,
}

/// The fields lineage expressions read to find processes and their lifetimes in events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineageOptions {
    /// Process id schemes. An event's process is known under every scheme whose `id` field
    /// it has, and its parent is looked up under every scheme whose `parent_id` field it
    /// has, so events carrying only some ids still link up.
    pub ids: Vec<ProcessIdFields>,
    /// The category of process events, which create and end processes.
    pub process_category: String,
    /// The field that tells whether a process event creates or ends a process.
    pub action_field: String,
    /// Values of `action_field` that mean a process was created.
    pub create_values: Vec<String>,
    /// Values of `action_field` that mean a process ended.
    pub terminate_values: Vec<String>,
}

impl LineageOptions {
    /// Builds options for the ECS fields: `process.entity_id` and `process.parent.entity_id`, else
    /// `process.pid` and `process.parent.pid` within `host.name`; `event.type` `start`
    /// creates a process and `end` ends it.
    pub fn ecs() -> Self {
        LineageOptions {
            ids: vec![
                ProcessIdFields {
                    id: "process.entity_id".to_string(),
                    parent_id: "process.parent.entity_id".to_string(),
                    scope: Vec::new(),
                },
                ProcessIdFields {
                    id: "process.pid".to_string(),
                    parent_id: "process.parent.pid".to_string(),
                    scope: vec!["host.name".to_string()],
                },
            ],
            process_category: "process".to_string(),
            action_field: "event.type".to_string(),
            create_values: vec!["start".to_string()],
            terminate_values: vec!["end".to_string()],
        }
    }

    /// Builds options for the fields of the reference implementation's test data: `unique_pid` and
    /// `unique_ppid`, with `subtype` `create` or `fork` and `terminate`.
    pub fn reference() -> Self {
        LineageOptions {
            ids: vec![ProcessIdFields {
                id: "unique_pid".to_string(),
                parent_id: "unique_ppid".to_string(),
                scope: Vec::new(),
            }],
            process_category: "process".to_string(),
            action_field: "subtype".to_string(),
            create_values: vec!["create".to_string(), "fork".to_string()],
            terminate_values: vec!["terminate".to_string()],
        }
    }
}

impl Default for LineageOptions {
    fn default() -> Self {
        LineageOptions::ecs()
    }
}

/// A compiled lineage expression: the relation and the bracketed query.
pub(crate) struct LineageSpec {
    pub relation: Relation,
    pub category: String,
    pub condition: Node,
}

/// The state of one lineage expression over the events seen so far.
pub(crate) struct Tracker {
    spec: LineageSpec,
    /// Processes that matched the bracketed query.
    sources: HashSet<String>,
    /// Children or descendants of `sources`; unused for `event of`.
    related: HashSet<String>,
    /// Processes that ended, removed at the next process event.
    ended: Vec<String>,
}

enum Action {
    Create,
    Terminate,
    Other,
}

impl Tracker {
    pub fn new(spec: LineageSpec) -> Self {
        Tracker {
            spec,
            sources: HashSet::new(),
            related: HashSet::new(),
            ended: Vec::new(),
        }
    }

    /// Updates the state with the next event. `inner` contains the trackers of lineage
    /// expressions nested in this one's query, already updated with the same event.
    pub fn observe<D: Document>(&mut self, event: &D, inner: &[Tracker], options: &Options) {
        let lineage = &options.lineage;
        let category = event.field(&options.category_field);
        if in_category(category.as_ref(), &lineage.process_category) {
            for key in self.ended.drain(..) {
                self.related.remove(&key);
                self.sources.remove(&key);
            }
            match action(event, lineage) {
                Action::Create if self.spec.relation != Relation::Event => {
                    let parents = process_keys(event, lineage, true);
                    let linked = parents.iter().any(|key| {
                        self.sources.contains(key)
                            || (self.spec.relation == Relation::Descendant
                                && self.related.contains(key))
                    });
                    if linked {
                        self.related.extend(process_keys(event, lineage, false));
                    }
                }
                Action::Terminate => self.ended.extend(process_keys(event, lineage, false)),
                Action::Create | Action::Other => {}
            }
        }
        if !in_category(category.as_ref(), &self.spec.category) {
            return;
        }
        let docs = [event];
        let matched = Evaluator::new(&docs, options)
            .with_lineage(inner)
            .test(&self.spec.condition);
        if matched {
            self.sources.extend(process_keys(event, lineage, false));
        }
    }

    /// Tests whether the event's process is in the relation.
    pub fn contains<D: Document>(&self, event: &D, options: &Options) -> bool {
        let set = match self.spec.relation {
            Relation::Event => &self.sources,
            Relation::Child | Relation::Descendant => &self.related,
        };
        if set.is_empty() {
            return false;
        }
        process_keys(event, &options.lineage, false)
            .iter()
            .any(|key| set.contains(key))
    }
}

fn action<D: Document>(event: &D, lineage: &LineageOptions) -> Action {
    let is = |values: &[String], value: &Value| {
        match value {
        Value::Str(text) => values.iter().any(|wanted| wanted == text.as_ref()),
        Value::List(items) => items.iter().any(|item| {
            matches!(item, Value::Str(text) if values.iter().any(|wanted| wanted == text.as_ref()))
        }),
        _ => false,
    }
    };
    match event.field(&lineage.action_field) {
        Some(value) if is(&lineage.create_values, &value) => Action::Create,
        Some(value) if is(&lineage.terminate_values, &value) => Action::Terminate,
        _ => Action::Other,
    }
}

/// Renders the event's process ids (or its parent's), one per id scheme it carries. A
/// missing, null, zero, false or empty id identifies no process.
fn process_keys<D: Document>(event: &D, lineage: &LineageOptions, parent: bool) -> Vec<String> {
    let mut keys = Vec::new();
    for (scheme, fields) in lineage.ids.iter().enumerate() {
        let field = if parent {
            &fields.parent_id
        } else {
            &fields.id
        };
        let Some(id) = event.field(field) else {
            continue;
        };
        if truth(&id) != Some(true) {
            continue;
        }
        let mut values: Vec<Value> = fields
            .scope
            .iter()
            .map(|scope| event.field(scope).unwrap_or(Value::Null))
            .collect();
        values.push(id);
        // Ids compare exactly, except that 1 and 1.0 are the same id.
        keys.push(format!("{scheme}:{}", key_text(&values, false)));
    }
    keys
}

/// Updates every tracker with the next event, inner trackers first.
pub(crate) fn observe_all<D: Document>(trackers: &mut [Tracker], event: &D, options: &Options) {
    for position in 0..trackers.len() {
        let (inner, rest) = trackers.split_at_mut(position);
        if let Some(tracker) = rest.first_mut() {
            tracker.observe(event, inner, options);
        }
    }
}
