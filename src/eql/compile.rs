//! Turns expression syntax into evaluable nodes: resolves function names, compiles regular
//! expressions once, and binds `arraySearch` variables to slots.

use std::borrow::Cow;

use regex::Regex;

use super::ast::{
    ArithmeticOp, CompareOp, EventQuery, Expr, FieldPath, Literal, MatchKind, PathPart, Relation,
};
use super::error::EvalError;
use super::lineage::LineageSpec;
use super::{Document, FieldKey, Value};

/// The largest compiled size a query's regular expression may reach, in bytes. It keeps a
/// hostile pattern such as `a{1000}{1000}` from taking memory and time; typical detection
/// patterns compile to a few kilobytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Built-in functions that take evaluated arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    Add,
    ArrayContains,
    Between,
    CidrMatch,
    Concat,
    Divide,
    EndsWith,
    IndexOf,
    Length,
    Modulo,
    Multiply,
    Number,
    Safe,
    StartsWith,
    String,
    StringContains,
    Substring,
    Subtract,
}

/// Names, functions and accepted argument counts (`usize::MAX` for any number).
const FUNCTIONS: [(&str, Function, usize, usize); 18] = [
    ("add", Function::Add, 2, 2),
    ("arrayContains", Function::ArrayContains, 2, usize::MAX),
    ("between", Function::Between, 3, 5),
    ("cidrMatch", Function::CidrMatch, 2, usize::MAX),
    ("concat", Function::Concat, 1, usize::MAX),
    ("divide", Function::Divide, 2, 2),
    ("endsWith", Function::EndsWith, 2, 2),
    ("indexOf", Function::IndexOf, 2, 3),
    ("length", Function::Length, 1, 1),
    ("modulo", Function::Modulo, 2, 2),
    ("multiply", Function::Multiply, 2, 2),
    ("number", Function::Number, 1, 2),
    ("safe", Function::Safe, 1, 1),
    ("startsWith", Function::StartsWith, 2, 2),
    ("string", Function::String, 1, 1),
    ("stringContains", Function::StringContains, 2, 2),
    ("substring", Function::Substring, 2, 3),
    ("subtract", Function::Subtract, 2, 2),
];

/// The array function an [`Node::ArrayLoop`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArrayLoop {
    /// `arraySearch`: true if any element satisfies the predicate.
    Search,
    /// `arrayCount`: how many elements satisfy it.
    Count,
}

/// A field read: the dotted name up to the first array index, then the remaining steps.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FieldRef {
    /// Passed to [`super::Document::field`]; flat documents are keyed by it.
    pub name: String,
    /// The name resolved for the events being read, or [`FieldKey::BY_NAME`].
    pub key: FieldKey,
    /// Indexes and keys applied to the value the document returned.
    pub rest: Vec<PathPart>,
}

/// The value a field path starts from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FieldSource {
    /// The current event (for a sequence in a pipe, its first event).
    Event,
    /// `events[N]`, the Nth event of a sequence result in a pipe.
    EventAt(i64),
    /// An `arraySearch` variable, by slot.
    Variable(usize),
}

/// An evaluable expression.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Const(Value<'static>),
    Field(FieldSource, FieldRef),
    Not(Box<Node>),
    Negate(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare {
        left: Box<Node>,
        op: CompareOp,
        right: Box<Node>,
        /// Set when one side is a literal `null`, making `==`/`!=` a null test instead of
        /// propagating null, as the reference implementation does.
        null_test: bool,
    },
    Arithmetic(Box<Node>, ArithmeticOp, Box<Node>),
    In {
        needle: Box<Node>,
        list: Vec<Node>,
        negated: bool,
        force_insensitive: bool,
    },
    Wildcard {
        subject: Box<Node>,
        patterns: Vec<Node>,
        /// `None` follows the options; `Some` is fixed by the operator.
        case_insensitive: Option<bool>,
        question_mark: bool,
        negated: bool,
        /// The patterns compiled once, when they are all string literals.
        compiled: Option<WildcardSet>,
    },
    Regex {
        subject: Box<Node>,
        regexes: Vec<Regex>,
    },
    Call {
        function: Function,
        args: Vec<Node>,
        force_insensitive: bool,
    },
    ArrayLoop {
        kind: ArrayLoop,
        array: Box<Node>,
        slot: usize,
        predicate: Box<Node>,
    },
    /// A lineage expression, by index into [`Compiler::lineages`].
    Lineage(usize),
}

impl Node {
    /// Resolves the fields this node reads from events against `event`, so that evaluating
    /// it reads them by key (see [`Document::resolve`]).
    pub fn resolve<D: Document>(&mut self, event: &D) {
        match self {
            Node::Field(FieldSource::Event | FieldSource::EventAt(_), field) => {
                field.key = event.resolve(&field.name);
            }
            Node::Field(..) | Node::Const(_) | Node::Lineage(_) => {}
            Node::Not(inner) | Node::Negate(inner) => inner.resolve(event),
            Node::And(left, right)
            | Node::Or(left, right)
            | Node::Arithmetic(left, _, right)
            | Node::Compare { left, right, .. } => {
                left.resolve(event);
                right.resolve(event);
            }
            Node::In { needle, list, .. } => {
                needle.resolve(event);
                list.iter_mut().for_each(|item| item.resolve(event));
            }
            Node::Wildcard {
                subject, patterns, ..
            } => {
                subject.resolve(event);
                patterns
                    .iter_mut()
                    .for_each(|pattern| pattern.resolve(event));
            }
            Node::Regex { subject, .. } => subject.resolve(event),
            Node::Call { args, .. } => args.iter_mut().for_each(|arg| arg.resolve(event)),
            Node::ArrayLoop {
                array, predicate, ..
            } => {
                array.resolve(event);
                predicate.resolve(event);
            }
        }
    }
}

/// Literal wildcard patterns compiled to one anchored regular expression per case mode, so
/// matching neither allocates nor rereads the patterns for each event.
///
/// NOTE: the case-insensitive form folds case as the `regex` crate does (Unicode simple case
/// folding), which differs from the uncompiled path's per-character lowercasing only for the
/// few characters whose lowercase form is longer than one character, such as 'İ'.
#[derive(Clone, Debug)]
pub(crate) struct WildcardSet {
    sensitive: Option<Regex>,
    insensitive: Option<Regex>,
}

impl WildcardSet {
    /// Compiles `patterns` when all are string literals, for the case modes `case` allows
    /// (`None` builds both). Returns `None` otherwise, leaving matching to the slower path.
    fn compile(patterns: &[Expr], case: Option<bool>, question_mark: bool) -> Option<Self> {
        let mut alternatives = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let Expr::Literal(Literal::Str(text)) = pattern else {
                return None;
            };
            let mut source = String::new();
            let mut buffer = [0; 4];
            for c in text.chars() {
                match c {
                    '*' => source.push_str(".*"),
                    '?' if question_mark => source.push('.'),
                    other => source.push_str(&regex::escape(other.encode_utf8(&mut buffer))),
                }
            }
            alternatives.push(source);
        }
        let source = format!("(?s)^(?:{})$", alternatives.join("|"));
        let build = |insensitive: bool| {
            regex::RegexBuilder::new(&source)
                .case_insensitive(insensitive)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .ok()
        };
        let sensitive = match case {
            Some(true) => None,
            _ => Some(build(false)?),
        };
        let insensitive = match case {
            Some(false) => None,
            _ => Some(build(true)?),
        };
        Some(WildcardSet {
            sensitive,
            insensitive,
        })
    }

    /// Returns the expression for one case mode, if it was built.
    pub fn get(&self, insensitive: bool) -> Option<&Regex> {
        if insensitive {
            self.insensitive.as_ref()
        } else {
            self.sensitive.as_ref()
        }
    }
}

/// Compiles expressions, tracking the `arraySearch` variables in scope.
#[derive(Default)]
pub(crate) struct Compiler {
    variables: Vec<String>,
    /// Whether `events[N].field` refers to the events of a sequence result (pipes only).
    pub allow_event_index: bool,
    /// Whether lineage expressions are an error, as in pipes, which see results rather than
    /// the event stream.
    pub reject_lineage: bool,
    /// The lineage expressions compiled so far. A nested expression comes before the one
    /// containing it, so trackers updated in this order see their inner trackers current.
    pub lineages: Vec<LineageSpec>,
}

impl Compiler {
    /// Compiles one expression.
    pub fn compile(&mut self, expr: &Expr) -> Result<Node, EvalError> {
        Ok(match expr {
            Expr::Literal(literal) => Node::Const(literal_value(literal)),
            Expr::Field(path) => self.field(path),
            Expr::Not(inner) => Node::Not(Box::new(self.compile(inner)?)),
            Expr::Negate(inner) => Node::Negate(Box::new(self.compile(inner)?)),
            Expr::And(left, right) => Node::And(self.boxed(left)?, self.boxed(right)?),
            Expr::Or(left, right) => Node::Or(self.boxed(left)?, self.boxed(right)?),
            Expr::Compare(left, op, right) => self.comparison(left, *op, right)?,
            Expr::Arithmetic(left, op, right) => {
                Node::Arithmetic(self.boxed(left)?, *op, self.boxed(right)?)
            }
            Expr::In {
                needle,
                list,
                negated,
                case_insensitive,
            } => Node::In {
                needle: self.boxed(needle)?,
                list: self.all(list)?,
                negated: *negated,
                force_insensitive: *case_insensitive,
            },
            Expr::Match {
                subject,
                kind: MatchKind::Wildcard,
                patterns,
                case_insensitive,
            } => Node::Wildcard {
                subject: self.boxed(subject)?,
                patterns: self.all(patterns)?,
                case_insensitive: Some(*case_insensitive),
                question_mark: true,
                negated: false,
                compiled: WildcardSet::compile(patterns, Some(*case_insensitive), true),
            },
            Expr::Match {
                subject,
                kind: MatchKind::Regex,
                patterns,
                case_insensitive,
            } => Node::Regex {
                subject: self.boxed(subject)?,
                regexes: compile_regexes("regex", patterns, *case_insensitive, true)?,
            },
            Expr::Call {
                name,
                args,
                case_insensitive,
            } => self.call(name, args, *case_insensitive)?,
            Expr::Lineage { relation, query } => self.lineage(*relation, query)?,
        })
    }

    fn lineage(&mut self, relation: Relation, query: &EventQuery) -> Result<Node, EvalError> {
        if self.reject_lineage {
            return Err(EvalError::Unsupported(format!(
                "'{} of' cannot be used in a pipe, only in a where clause",
                relation.keyword()
            )));
        }
        // The bracketed query runs on its own events, outside any enclosing arraySearch.
        let outer = std::mem::take(&mut self.variables);
        let condition = self.compile(&query.condition);
        self.variables = outer;
        self.lineages.push(LineageSpec {
            relation,
            category: query.category.clone(),
            condition: condition?,
        });
        Ok(Node::Lineage(self.lineages.len() - 1))
    }

    fn boxed(&mut self, expr: &Expr) -> Result<Box<Node>, EvalError> {
        Ok(Box::new(self.compile(expr)?))
    }

    fn all(&mut self, exprs: &[Expr]) -> Result<Vec<Node>, EvalError> {
        exprs.iter().map(|expr| self.compile(expr)).collect()
    }

    fn field(&self, path: &FieldPath) -> Node {
        let mut parts = path.parts.as_slice();
        let mut source = FieldSource::Event;
        if let [PathPart::Name(head), rest @ ..] = parts {
            if let Some(slot) = self.variables.iter().rposition(|name| name == head) {
                return Node::Field(
                    FieldSource::Variable(slot),
                    FieldRef {
                        name: String::new(),
                        key: FieldKey::BY_NAME,
                        rest: rest.to_vec(),
                    },
                );
            }
            if let (true, [PathPart::Index(index), after @ ..]) =
                (self.allow_event_index && head == "events", rest)
            {
                source = FieldSource::EventAt(*index);
                parts = after;
            }
        }
        let split = parts
            .iter()
            .position(|part| matches!(part, PathPart::Index(_)))
            .unwrap_or(parts.len());
        let (named, rest) = parts.split_at_checked(split).unwrap_or((parts, &[]));
        let name = FieldPath {
            parts: named.to_vec(),
        }
        .dotted();
        Node::Field(
            source,
            FieldRef {
                name,
                key: FieldKey::BY_NAME,
                rest: rest.to_vec(),
            },
        )
    }

    fn comparison(&mut self, left: &Expr, op: CompareOp, right: &Expr) -> Result<Node, EvalError> {
        // The reference implementation reads `field == "a*b"` as a wildcard match, where
        // only `*` is special; keep that so its queries mean the same here.
        if matches!(op, CompareOp::Eq | CompareOp::NotEq) {
            let (subject, pattern) = match (left, right) {
                (_, Expr::Literal(Literal::Str(text))) if text.contains('*') => (left, right),
                (Expr::Literal(Literal::Str(text)), _) if text.contains('*') => (right, left),
                _ => (left, left),
            };
            if !std::ptr::eq(subject, pattern) {
                return Ok(Node::Wildcard {
                    subject: self.boxed(subject)?,
                    patterns: vec![self.compile(pattern)?],
                    case_insensitive: None,
                    question_mark: false,
                    negated: op == CompareOp::NotEq,
                    compiled: WildcardSet::compile(std::slice::from_ref(pattern), None, false),
                });
            }
        }
        let is_null = |expr: &Expr| matches!(expr, Expr::Literal(Literal::Null));
        Ok(Node::Compare {
            left: self.boxed(left)?,
            op,
            right: self.boxed(right)?,
            null_test: is_null(left) || is_null(right),
        })
    }

    fn call(&mut self, name: &str, args: &[Expr], insensitive: bool) -> Result<Node, EvalError> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "arraysearch" | "arraycount" => {
                let kind = if lower == "arraysearch" {
                    ArrayLoop::Search
                } else {
                    ArrayLoop::Count
                };
                return self.array_loop(name, kind, args);
            }
            "match" | "matchlite" => {
                let (subject, patterns) = subject_and_patterns(name, args)?;
                return Ok(Node::Regex {
                    subject: self.boxed(subject)?,
                    regexes: compile_regexes(name, patterns, insensitive, false)?,
                });
            }
            "wildcard" => {
                let (subject, patterns) = subject_and_patterns(name, args)?;
                let case_insensitive = insensitive.then_some(true);
                return Ok(Node::Wildcard {
                    subject: self.boxed(subject)?,
                    patterns: self.all(patterns)?,
                    case_insensitive,
                    question_mark: false,
                    negated: false,
                    compiled: WildcardSet::compile(patterns, case_insensitive, false),
                });
            }
            _ => {}
        }
        let Some((_, function, min, max)) = FUNCTIONS
            .iter()
            .find(|(known, ..)| known.eq_ignore_ascii_case(name))
        else {
            return Err(EvalError::UnknownFunction(name.to_string()));
        };
        check_count(name, args.len(), *min, *max)?;
        Ok(Node::Call {
            function: *function,
            args: self.all(args)?,
            force_insensitive: insensitive,
        })
    }

    fn array_loop(
        &mut self,
        name: &str,
        kind: ArrayLoop,
        args: &[Expr],
    ) -> Result<Node, EvalError> {
        let [array, variable, predicate] = args else {
            return Err(wrong_count(name, args.len(), 3, 3));
        };
        let variable = match variable {
            Expr::Field(FieldPath { parts }) => match parts.as_slice() {
                [PathPart::Name(variable)] => variable.clone(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        if variable.is_empty() {
            return Err(EvalError::InvalidArgument {
                name: name.to_string(),
                reason: "the second argument must be a plain variable name".to_string(),
            });
        }
        let array = self.boxed(array)?;
        self.variables.push(variable);
        let slot = self.variables.len() - 1;
        let predicate = self.boxed(predicate);
        self.variables.pop();
        Ok(Node::ArrayLoop {
            kind,
            array,
            slot,
            predicate: predicate?,
        })
    }
}

fn check_count(name: &str, found: usize, min: usize, max: usize) -> Result<(), EvalError> {
    if (min..=max).contains(&found) {
        Ok(())
    } else {
        Err(wrong_count(name, found, min, max))
    }
}

/// Splits the arguments of `match()` or `wildcard()` into the subject and at least one pattern.
fn subject_and_patterns<'a>(
    name: &str,
    args: &'a [Expr],
) -> Result<(&'a Expr, &'a [Expr]), EvalError> {
    match args {
        [subject, patterns @ ..] if !patterns.is_empty() => Ok((subject, patterns)),
        _ => Err(wrong_count(name, args.len(), 2, usize::MAX)),
    }
}

fn wrong_count(name: &str, found: usize, min: usize, max: usize) -> EvalError {
    let expected = if max == usize::MAX {
        format!("{min} or more")
    } else if min == max {
        min.to_string()
    } else {
        format!("{min} to {max}")
    };
    EvalError::WrongArgumentCount {
        name: name.to_string(),
        expected,
        found,
    }
}

/// Compiles literal regex patterns. `whole` anchors at both ends, as the `regex` operator
/// requires; `match()` anchors only at the start, like Python's `re.match` in the reference.
fn compile_regexes(
    name: &str,
    patterns: &[Expr],
    case_insensitive: bool,
    whole: bool,
) -> Result<Vec<Regex>, EvalError> {
    patterns
        .iter()
        .map(|pattern| {
            let Expr::Literal(Literal::Str(text)) = pattern else {
                return Err(EvalError::InvalidArgument {
                    name: name.to_string(),
                    reason: "regular expressions must be string literals".to_string(),
                });
            };
            let anchored = if whole {
                format!("^(?:{text})$")
            } else {
                format!("^(?:{text})")
            };
            regex::RegexBuilder::new(&anchored)
                .case_insensitive(case_insensitive)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|error| EvalError::InvalidRegex {
                    pattern: text.clone(),
                    reason: error.to_string(),
                })
        })
        .collect()
}

fn literal_value(literal: &Literal) -> Value<'static> {
    match literal {
        Literal::Null => Value::Null,
        Literal::Bool(value) => Value::Bool(*value),
        Literal::Int(value) => Value::Int(*value),
        Literal::Float(value) => Value::Float(*value),
        Literal::Str(text) => Value::Str(Cow::Owned(text.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eql::ast::QueryBody;
    use crate::eql::parser::parse;

    fn compile(condition: &str) -> Result<Node, EvalError> {
        let query = parse(&format!("any where {condition}")).unwrap();
        let QueryBody::Event(event) = query.body else {
            panic!("not an event query");
        };
        Compiler::default().compile(&event.condition)
    }

    /// Builds a call the parser would reject, as a caller building syntax by hand could.
    fn call(name: &str, count: usize) -> Expr {
        let arg = Expr::Field(FieldPath {
            parts: vec![PathPart::Name("a".to_string())],
        });
        Expr::Call {
            name: name.to_string(),
            args: vec![arg; count],
            case_insensitive: false,
        }
    }

    #[test]
    fn unknown_function_is_named() {
        let error = Compiler::default()
            .compile(&call("bogusFn", 1))
            .unwrap_err();
        assert_eq!(error, EvalError::UnknownFunction("bogusFn".to_string()));
    }

    #[test]
    fn wrong_argument_count_is_reported() {
        let error = Compiler::default().compile(&call("length", 2)).unwrap_err();
        assert!(matches!(
            error,
            EvalError::WrongArgumentCount { found: 2, .. }
        ));
    }

    #[test]
    fn regex_must_be_literal_and_valid() {
        assert!(matches!(
            compile("a regex b"),
            Err(EvalError::InvalidArgument { .. })
        ));
        assert!(matches!(
            compile("a regex \"(\""),
            Err(EvalError::InvalidRegex { .. })
        ));
        assert!(compile("a regex \"a{1000}{1000}\"").is_err());
    }

    #[test]
    fn array_search_binds_variable() {
        let node = compile("arraySearch(list, item, item.name == \"x\")").unwrap();
        let Node::ArrayLoop { predicate, .. } = node else {
            panic!("not an array loop");
        };
        let Node::Compare { left, .. } = *predicate else {
            panic!("not a comparison");
        };
        assert!(matches!(*left, Node::Field(FieldSource::Variable(0), _)));
    }

    #[test]
    fn field_splits_at_first_index() {
        let Node::Field(_, field) = compile("a.b[1].c").unwrap() else {
            panic!("not a field");
        };
        assert_eq!(field.name, "a.b");
        assert_eq!(field.rest.len(), 2);
    }
}
