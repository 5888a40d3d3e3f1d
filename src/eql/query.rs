//! Questions a caller asks of a parsed query before running it: which categories and fields
//! it reads, how many steps it has, its time window.

use std::time::Duration;

use super::ast::{EventQuery, Expr, PathPart, Pipe, Query, QueryBody, SequenceStep};

impl Query {
    /// Tests whether the query is a `sequence`.
    pub fn is_sequence(&self) -> bool {
        matches!(self.body, QueryBody::Sequence(_))
    }

    /// The number of events in each result: 1 for an event query, else the number of steps
    /// (with `runs=N` counted N times), not counting `until`.
    pub fn step_count(&self) -> usize {
        match &self.body {
            QueryBody::Event(_) => 1,
            QueryBody::Sequence(sequence) => sequence.steps.len(),
            QueryBody::Join(join) => join.steps.len(),
        }
    }

    /// The longest time a sequence may span from its first to its last event, if it sets one.
    pub fn maxspan(&self) -> Option<Duration> {
        match &self.body {
            QueryBody::Sequence(sequence) => sequence
                .maxspan
                .and_then(|nanos| u64::try_from(nanos).ok())
                .map(Duration::from_nanos),
            _ => None,
        }
    }

    /// The event categories the query reads, including its `until` step, sorted and without
    /// repeats; `["any"]` when some step matches every category.
    pub fn categories(&self) -> Vec<String> {
        let mut categories: Vec<String> = self
            .event_queries()
            .into_iter()
            .map(|query| query.category.to_ascii_lowercase())
            .collect();
        if categories.iter().any(|category| category == "any") {
            return vec!["any".to_string()];
        }
        categories.sort();
        categories.dedup();
        categories
    }

    /// Names of the join keys of a sequence or join, in the order of [`Match::join_keys`]:
    /// the shared `by` keys, then the first step's own keys. A key that is not a plain field
    /// is named by its position (`key 2`). Event queries have none.
    ///
    /// [`Match::join_keys`]: super::Match::join_keys
    pub fn join_fields(&self) -> Vec<String> {
        let (shared, steps) = match &self.body {
            QueryBody::Sequence(sequence) => (sequence.by.as_slice(), sequence.steps.as_slice()),
            QueryBody::Join(join) => (join.by.as_slice(), join.steps.as_slice()),
            QueryBody::Event(_) => return Vec::new(),
        };
        let own = steps.first().map_or(&[][..], |step| step.by.as_slice());
        shared
            .iter()
            .chain(own)
            .enumerate()
            .map(|(i, key)| match key {
                Expr::Field(path) => path.dotted(),
                _ => format!("key {}", i + 1),
            })
            .collect()
    }

    /// The dotted names of the event fields the query reads, sorted and without repeats.
    /// Paths with array indexes are cut before the first index (`a.b[0].c` reads `a.b`), and
    /// the event category field, which the caller sets in the options, is not included.
    pub fn fields(&self) -> Vec<String> {
        let mut collector = FieldCollector::default();
        for query in self.event_queries() {
            collector.expr(&query.condition);
        }
        for step in self.steps() {
            step.by.iter().for_each(|key| collector.expr(key));
        }
        let shared = match &self.body {
            QueryBody::Sequence(sequence) => sequence.by.as_slice(),
            QueryBody::Join(join) => join.by.as_slice(),
            QueryBody::Event(_) => &[],
        };
        shared.iter().for_each(|key| collector.expr(key));
        collector.in_pipe = true;
        for pipe in &self.pipes {
            match pipe {
                Pipe::Filter(condition) => collector.expr(condition),
                Pipe::Unique(keys)
                | Pipe::UniqueCount(keys)
                | Pipe::Count(keys)
                | Pipe::Sort(keys) => {
                    keys.iter().for_each(|key| collector.expr(key));
                }
                Pipe::Head(_) | Pipe::Tail(_) => {}
            }
        }
        let mut fields = collector.fields;
        fields.sort();
        fields.dedup();
        fields
    }

    fn steps(&self) -> Vec<&SequenceStep> {
        match &self.body {
            QueryBody::Event(_) => Vec::new(),
            QueryBody::Sequence(sequence) => sequence.steps.iter().chain(&sequence.until).collect(),
            QueryBody::Join(join) => join.steps.iter().chain(&join.until).collect(),
        }
    }

    fn event_queries(&self) -> Vec<&EventQuery> {
        match &self.body {
            QueryBody::Event(query) => vec![query],
            _ => self.steps().into_iter().map(|step| &step.query).collect(),
        }
    }
}

#[derive(Default)]
struct FieldCollector {
    fields: Vec<String>,
    variables: Vec<String>,
    in_pipe: bool,
}

impl FieldCollector {
    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Literal(_) => {}
            Expr::Field(path) => self.path(&path.parts),
            Expr::Not(inner) | Expr::Negate(inner) => self.expr(inner),
            Expr::And(left, right)
            | Expr::Or(left, right)
            | Expr::Compare(left, _, right)
            | Expr::Arithmetic(left, _, right) => {
                self.expr(left);
                self.expr(right);
            }
            Expr::In { needle, list, .. } => {
                self.expr(needle);
                list.iter().for_each(|item| self.expr(item));
            }
            Expr::Match {
                subject, patterns, ..
            } => {
                self.expr(subject);
                patterns.iter().for_each(|pattern| self.expr(pattern));
            }
            Expr::Call { name, args, .. } => self.call(name, args),
            Expr::Lineage { query, .. } => self.expr(&query.condition),
        }
    }

    fn call(&mut self, name: &str, args: &[Expr]) {
        let binds_variable =
            name.eq_ignore_ascii_case("arraySearch") || name.eq_ignore_ascii_case("arrayCount");
        let variable = match args.get(1) {
            Some(Expr::Field(path)) if binds_variable => match path.parts.as_slice() {
                [PathPart::Name(variable)] => Some(variable.clone()),
                _ => None,
            },
            _ => None,
        };
        let Some(variable) = variable else {
            args.iter().for_each(|arg| self.expr(arg));
            return;
        };
        if let Some(array) = args.first() {
            self.expr(array);
        }
        self.variables.push(variable);
        args.iter().skip(2).for_each(|arg| self.expr(arg));
        self.variables.pop();
    }

    fn path(&mut self, parts: &[PathPart]) {
        let mut parts = parts;
        if let [PathPart::Name(head), rest @ ..] = parts {
            if self.variables.contains(head) {
                return;
            }
            if let (true, [PathPart::Index(_), after @ ..]) =
                (self.in_pipe && head == "events", rest)
            {
                parts = after;
            }
        }
        let names: Vec<&str> = parts
            .iter()
            .map_while(|part| match part {
                PathPart::Name(name) => Some(name.as_str()),
                PathPart::Index(_) => None,
            })
            .collect();
        if !names.is_empty() {
            self.fields.push(names.join("."));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::eql::parse;
    use std::time::Duration;

    #[test]
    fn describes_event_query() {
        let query = parse("process where process.name == \"cmd.exe\" and a.b[0].c > 1").unwrap();
        assert!(!query.is_sequence());
        assert_eq!(query.step_count(), 1);
        assert_eq!(query.categories(), vec!["process"]);
        assert_eq!(query.fields(), vec!["a.b", "process.name"]);
        assert_eq!(query.maxspan(), None);
    }

    #[test]
    fn describes_sequence() {
        let query = parse(
            "sequence by host.name with maxspan=2m [process where a == 1] by pid with runs=3 \
             [file where arraySearch(list, x, x.y == b)] until [network where true] \
             | filter events[1].c == 2",
        )
        .unwrap();
        assert!(query.is_sequence());
        assert_eq!(query.step_count(), 4);
        assert_eq!(query.categories(), vec!["file", "network", "process"]);
        assert_eq!(
            query.fields(),
            vec!["a", "b", "c", "host.name", "list", "pid"]
        );
        assert_eq!(query.maxspan(), Some(Duration::from_secs(120)));
    }

    #[test]
    fn any_covers_every_category() {
        let query = parse("sequence [any where true] [process where true]").unwrap();
        assert_eq!(query.categories(), vec!["any"]);
    }
}
