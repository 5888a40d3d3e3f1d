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

use std::cell::RefCell;

use super::ast::Relation;
use super::category::{Categories, CategoryTest};
use super::compile::Node;
use super::eval::{Evaluator, truth};
use super::keys::KeyTable;
use super::{Document, Options, ResolvedField, Value};

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

/// One process id scheme with its fields resolved.
#[derive(Clone)]
struct Scheme {
    id: ResolvedField,
    parent_id: ResolvedField,
    scope: Vec<ResolvedField>,
}

/// The fields of [`LineageOptions`], resolved for the events being read, with the test for
/// the process category, shared by every tracker of a query.
#[derive(Clone)]
pub(crate) struct ProcessFields {
    /// The test for the category of process events.
    process: CategoryTest,
    action: ResolvedField,
    create_values: Vec<String>,
    terminate_values: Vec<String>,
    schemes: Vec<Scheme>,
    /// Actions of the action field values seen, by value id (see [`Document::string_id`]).
    actions: RefCell<Vec<(u64, Action)>>,
}

/// How many distinct action values [`ProcessFields`] remembers.
const ACTION_MEMO_SIZE: usize = 32;

/// Scope fields of at most this count build process keys on the stack.
const INLINE_SCOPE: usize = 2;

impl ProcessFields {
    pub fn new(options: &Options, categories: &mut Categories) -> Self {
        let lineage = &options.lineage;
        ProcessFields {
            process: categories.test_for(&lineage.process_category),
            action: ResolvedField::new(&lineage.action_field),
            create_values: lineage.create_values.clone(),
            terminate_values: lineage.terminate_values.clone(),
            schemes: lineage
                .ids
                .iter()
                .map(|fields| Scheme {
                    id: ResolvedField::new(&fields.id),
                    parent_id: ResolvedField::new(&fields.parent_id),
                    scope: fields
                        .scope
                        .iter()
                        .map(|name| ResolvedField::new(name))
                        .collect(),
                })
                .collect(),
            actions: RefCell::new(Vec::new()),
        }
    }

    /// Resolves the fields against `event`. Only queries with lineage expressions call it,
    /// so a store keeps no columns for these fields for other queries.
    pub fn resolve<D: Document>(&mut self, event: &D) {
        self.action.resolve(event);
        self.actions.get_mut().clear();
        for scheme in &mut self.schemes {
            scheme.id.resolve(event);
            scheme.parent_id.resolve(event);
            scheme
                .scope
                .iter_mut()
                .for_each(|field| field.resolve(event));
        }
    }

    fn action<D: Document>(&self, event: &D) -> Action {
        let Some(id) = event.string_id(self.action.key, &self.action.name) else {
            return self.compute_action(event);
        };
        let mut actions = self.actions.borrow_mut();
        if let Some(&(_, action)) = actions.iter().find(|(seen, _)| *seen == id) {
            return action;
        }
        let action = self.compute_action(event);
        if actions.len() < ACTION_MEMO_SIZE {
            actions.push((id, action));
        }
        action
    }

    fn compute_action<D: Document>(&self, event: &D) -> Action {
        let is_one_of = |values: &[String]| {
            self.action.any_string(event, &mut |text| {
                values.iter().any(|wanted| wanted == text)
            })
        };
        if is_one_of(&self.create_values) {
            Action::Create
        } else if is_one_of(&self.terminate_values) {
            Action::Terminate
        } else {
            Action::Other
        }
    }

    /// Calls `visit` with each of the event's process keys (or, with `parent`, its parent's),
    /// one per id scheme it carries, until `visit` returns true. A key is the scheme's
    /// number, its scope values (null when missing) and the id. A missing, null, zero, false
    /// or empty id identifies no process.
    fn any_process_key<D: Document>(
        &self,
        event: &D,
        parent: bool,
        visit: &mut dyn FnMut(&[Value]) -> bool,
    ) -> bool {
        for (number, scheme) in self.schemes.iter().enumerate() {
            let field = if parent {
                &scheme.parent_id
            } else {
                &scheme.id
            };
            let Some(id) = field.read(event) else {
                continue;
            };
            if truth(&id) != Some(true) {
                continue;
            }
            let number = Value::Int(i64::try_from(number).unwrap_or(i64::MAX));
            let scope = scheme
                .scope
                .iter()
                .map(|field| field.read(event).unwrap_or(Value::Null));
            let found = if scheme.scope.len() <= INLINE_SCOPE {
                let mut key = [const { Value::Null }; INLINE_SCOPE + 2];
                let values = std::iter::once(number).chain(scope).chain([id]);
                for (slot, value) in key.iter_mut().zip(values) {
                    *slot = value;
                }
                let length = scheme.scope.len() + 2;
                visit(key.get(..length).unwrap_or_default())
            } else {
                let mut key = Vec::with_capacity(scheme.scope.len() + 2);
                key.push(number);
                key.extend(scope);
                key.push(id);
                visit(&key)
            };
            if found {
                return true;
            }
        }
        false
    }
}

/// The trackers of a query as an evaluator reads them: those of the lineage expressions it
/// may meet, with the fields they read.
#[derive(Clone, Copy)]
pub(crate) struct LineageView<'t> {
    pub fields: &'t ProcessFields,
    pub trackers: &'t [Tracker],
}

/// The data observing one event needs besides the trackers: the lineage fields, the query's
/// categories with the event's category mask, and the options.
#[derive(Clone, Copy)]
pub(crate) struct Observation<'q> {
    pub fields: &'q ProcessFields,
    pub categories: &'q Categories,
    pub mask: u64,
    pub options: &'q Options,
}

/// The state of one lineage expression over the events seen so far.
pub(crate) struct Tracker {
    spec: LineageSpec,
    category: CategoryTest,
    /// Processes that matched the bracketed query. Ids compare exactly, except that 1 and
    /// 1.0 are the same id.
    sources: KeyTable<()>,
    /// Children or descendants of `sources`; unused for `event of`.
    related: KeyTable<()>,
    /// Positions of process-termination events whose processes are removed at the next
    /// process event.
    ended: Vec<usize>,
}

#[derive(Clone, Copy)]
enum Action {
    Create,
    Terminate,
    Other,
}

impl Tracker {
    pub fn new(spec: LineageSpec, categories: &mut Categories) -> Self {
        let sources = KeyTable::new(false);
        // Both sets hash alike, so a key hashed once is looked up in either.
        let related = sources.new_like();
        Tracker {
            category: categories.test_for(&spec.category),
            spec,
            sources,
            related,
            ended: Vec::new(),
        }
    }

    /// Resolves the fields of the bracketed query against `event`.
    pub fn resolve<D: Document>(&mut self, event: &D) {
        self.spec.condition.resolve(event);
    }

    /// Updates the state with event `index` of `events`. `inner` contains the trackers of
    /// lineage expressions nested in this one's query, already updated with the same event,
    /// and `action` is the event's action when it is a process event.
    fn observe<D: Document>(
        &mut self,
        events: &[D],
        index: usize,
        action: Option<Action>,
        inner: LineageView<'_>,
        observation: Observation<'_>,
    ) {
        let fields = inner.fields;
        let Some(event) = events.get(index) else {
            return;
        };
        if let Some(action) = action {
            self.drop_ended(events, fields);
            match action {
                Action::Create if self.spec.relation != Relation::Event => {
                    self.link_child(event, fields);
                }
                Action::Terminate => self.ended.push(index),
                Action::Create | Action::Other => {}
            }
        }
        if !self
            .category
            .matches(observation.mask, event, observation.categories)
        {
            return;
        }
        let matched = Evaluator::new(std::slice::from_ref(event), observation.options)
            .with_lineage(inner)
            .test(&self.spec.condition);
        if matched {
            let sources = &mut self.sources;
            fields.any_process_key(event, false, &mut |key| {
                insert(sources, key);
                false
            });
        }
    }

    /// Removes the processes of the termination events seen since the last process event.
    fn drop_ended<D: Document>(&mut self, events: &[D], fields: &ProcessFields) {
        if self.sources.is_empty() && self.related.is_empty() {
            self.ended.clear();
            return;
        }
        let (sources, related) = (&mut self.sources, &mut self.related);
        for &position in &self.ended {
            let Some(event) = events.get(position) else {
                continue;
            };
            fields.any_process_key(event, false, &mut |key| {
                let hash = related.hash(key);
                related.remove(hash, key);
                sources.remove(hash, key);
                false
            });
        }
        self.ended.clear();
    }

    /// Marks a created process as related when its parent is a source (for `descendant of`,
    /// also when its parent is related).
    fn link_child<D: Document>(&mut self, event: &D, fields: &ProcessFields) {
        let descendant = self.spec.relation == Relation::Descendant;
        if self.sources.is_empty() && (!descendant || self.related.is_empty()) {
            return;
        }
        let (sources, related) = (&self.sources, &self.related);
        let linked = fields.any_process_key(event, true, &mut |key| {
            let hash = sources.hash(key);
            sources.get(hash, key).is_some() || (descendant && related.get(hash, key).is_some())
        });
        if linked {
            let related = &mut self.related;
            fields.any_process_key(event, false, &mut |key| {
                insert(related, key);
                false
            });
        }
    }

    /// Tests whether the event's process is in the relation.
    pub fn contains<D: Document>(&self, event: &D, fields: &ProcessFields) -> bool {
        let set = match self.spec.relation {
            Relation::Event => &self.sources,
            Relation::Child | Relation::Descendant => &self.related,
        };
        if set.is_empty() {
            return false;
        }
        fields.any_process_key(event, false, &mut |key| {
            set.get(set.hash(key), key).is_some()
        })
    }
}

fn insert(set: &mut KeyTable<()>, key: &[Value]) {
    let hash = set.hash(key);
    if set.get(hash, key).is_none() {
        set.insert(KeyTable::new_entry(hash, key, ()));
    }
}

/// Updates every tracker with event `index` of `events`, inner trackers first.
#[inline]
pub(crate) fn observe_all<D: Document>(
    trackers: &mut [Tracker],
    events: &[D],
    index: usize,
    observation: Observation<'_>,
) {
    if !trackers.is_empty() {
        observe_each(trackers, events, index, observation);
    }
}

fn observe_each<D: Document>(
    trackers: &mut [Tracker],
    events: &[D],
    index: usize,
    observation: Observation<'_>,
) {
    let Some(event) = events.get(index) else {
        return;
    };
    let fields = observation.fields;
    // Whether the event creates or ends a process is the same for every tracker.
    let action = fields
        .process
        .matches(observation.mask, event, observation.categories)
        .then(|| fields.action(event));
    for position in 0..trackers.len() {
        let (inner, rest) = trackers.split_at_mut(position);
        let inner = LineageView {
            fields,
            trackers: inner,
        };
        if let Some(tracker) = rest.first_mut() {
            tracker.observe(events, index, action, inner, observation);
        }
    }
}
