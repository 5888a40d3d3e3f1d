//! The syntax tree of a parsed EQL query.

/// A parsed query: an event query, a sequence or a join, followed by pipes.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The event query, sequence or join that produces results for the pipes.
    pub body: QueryBody,
    /// The pipes, in the order they run.
    pub pipes: Vec<Pipe>,
}

/// The part of a query before its pipes.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryBody {
    /// `CATEGORY where EXPR`.
    Event(EventQuery),
    /// `sequence ...`.
    Sequence(Sequence),
    /// `join ...`: like a sequence, but its steps may match in any order.
    Join(Join),
}

/// `CATEGORY where EXPR`, the unit every other query form is built from.
#[derive(Clone, Debug, PartialEq)]
pub struct EventQuery {
    /// The event category, or `any`.
    pub category: String,
    /// The condition after `where`.
    pub condition: Expr,
}

/// `sequence [by ...] [with maxspan=...] STEP... [until STEP]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Join keys shared by every step (`sequence by ...`).
    pub by: Vec<Expr>,
    /// The maximum time from the first to the last event of a match, in nanoseconds.
    pub maxspan: Option<i64>,
    /// The steps, with `runs=N` steps already repeated N times.
    pub steps: Vec<SequenceStep>,
    /// A step whose match drops the pending partial matches of its join key.
    pub until: Option<SequenceStep>,
}

/// One bracketed step of a sequence or join.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceStep {
    /// The event query in brackets.
    pub query: EventQuery,
    /// The step's own join keys (`[...] by a, b`), appended to the shared ones.
    pub by: Vec<Expr>,
    /// `fork=true`: a partial match that this step extends stays pending as well, so later
    /// events matching this step extend copies of it (legacy syntax of the reference).
    pub fork: bool,
}

/// `join [by ...] STEP... [until STEP]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    /// Join keys shared by every step.
    pub by: Vec<Expr>,
    /// The steps.
    pub steps: Vec<SequenceStep>,
    /// A step that ends the join window of its key.
    pub until: Option<SequenceStep>,
}

/// One `| ...` stage after the query body.
#[derive(Clone, Debug, PartialEq)]
pub enum Pipe {
    /// `head N`: keeps the first N results.
    Head(u64),
    /// `tail N`: keeps the last N results.
    Tail(u64),
    /// `filter EXPR`: keeps results for which EXPR is true.
    Filter(Expr),
    /// `unique f, ...`: keeps the first result for each distinct value of the expressions.
    Unique(Vec<Expr>),
    /// `unique_count f, ...`: like `unique`, and each kept result carries how many results
    /// shared its key (`count`) and their share of all results (`percent`).
    UniqueCount(Vec<Expr>),
    /// `count [f, ...]`: replaces the results by one count per distinct key, or by one total
    /// when no key is given.
    Count(Vec<Expr>),
    /// `sort f, ...`: stable sort by the expressions, ascending.
    Sort(Vec<Expr>),
}

/// An expression in a `where` clause, a join key or a pipe argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal value.
    Literal(Literal),
    /// A field reference such as `process.name` or `a.b[0].c`.
    Field(FieldPath),
    /// `not EXPR`.
    Not(Box<Expr>),
    /// `-EXPR`.
    Negate(Box<Expr>),
    /// `EXPR and EXPR`.
    And(Box<Expr>, Box<Expr>),
    /// `EXPR or EXPR`.
    Or(Box<Expr>, Box<Expr>),
    /// `EXPR op EXPR` for `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    /// `EXPR op EXPR` for `+`, `-`, `*`, `/`, `%`.
    Arithmetic(Box<Expr>, ArithmeticOp, Box<Expr>),
    /// `EXPR [not] in (...)` and `in~`.
    In {
        /// The value looked for.
        needle: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `not in`.
        negated: bool,
        /// `in~`: compare strings ignoring letter case, overriding the options.
        case_insensitive: bool,
    },
    /// `EXPR : pattern`, `like`, `like~`, `regex`, `regex~`, each with one or a list of patterns.
    Match {
        /// The value tested.
        subject: Box<Expr>,
        /// The pattern kind.
        kind: MatchKind,
        /// The patterns; the match succeeds if any pattern matches.
        patterns: Vec<Expr>,
        /// Whether letter case is ignored.
        case_insensitive: bool,
    },
    /// `name(args)`; `name~(args)` sets `case_insensitive`.
    Call {
        /// The function name without any `~`.
        name: String,
        /// The arguments.
        args: Vec<Expr>,
        /// Written with a trailing `~`.
        case_insensitive: bool,
    },
    /// `child of [...]`, `descendant of [...]`, `event of [...]`: tests the event's process
    /// against the processes of earlier events that matched the bracketed query.
    Lineage {
        /// Which relation.
        relation: Relation,
        /// The bracketed query.
        query: Box<EventQuery>,
    },
}

/// The process relations of [`Expr::Lineage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// `child of`: the event's process was created by a matching process.
    Child,
    /// `descendant of`: the event's process is a child, grandchild and so on of a matching
    /// process.
    Descendant,
    /// `event of`: the event's process is itself a matching process.
    Event,
}

impl Relation {
    /// Returns the keyword as written before `of`.
    pub fn keyword(self) -> &'static str {
        match self {
            Relation::Child => "child",
            Relation::Descendant => "descendant",
            Relation::Event => "event",
        }
    }
}

/// A literal value written in the query.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
}

/// A field reference split into names and array indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldPath {
    /// The parts in order; the first is always a name.
    pub parts: Vec<PathPart>,
}

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq)]
pub enum PathPart {
    /// A field or object key.
    Name(String),
    /// An array index; negative indexes count from the end.
    Index(i64),
}

impl FieldPath {
    /// Renders the path as dotted text (`a.b[0].c`), the form flat documents are keyed by.
    pub fn dotted(&self) -> String {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                PathPart::Name(name) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(name);
                }
                PathPart::Index(index) => text.push_str(&format!("[{index}]")),
            }
        }
        text
    }
}

/// The comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `==` (also written `=`).
    Eq,
    /// `!=`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// The arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithmeticOp {
    /// `+`.
    Add,
    /// `-`.
    Subtract,
    /// `*`.
    Multiply,
    /// `/`: whole numbers divide with floor rounding, as in the reference implementation.
    Divide,
    /// `%`: the remainder takes the sign of the divisor, as in the reference implementation.
    Modulo,
}

/// The pattern kinds of [`Expr::Match`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKind {
    /// `:` and `like`: `*` matches any run of characters and `?` one character.
    Wildcard,
    /// `regex`: the whole value must match the regular expression.
    Regex,
}
