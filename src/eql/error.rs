//! Errors from parsing and running EQL queries.

use std::fmt;

use super::lexer::Position;

/// A query that failed to parse, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The start of the offending token.
    pub position: Position,
    /// The offending token as written, or a description such as "end of query".
    pub found: String,
    /// The tokens or constructs the parser expected at that point.
    pub expected: String,
    /// The full text of the line that contains the offending token, for the caret display.
    pub line_text: String,
}

impl ParseError {
    /// Builds an error at `position` in `source`.
    pub(crate) fn new(source: &str, position: Position, found: String, expected: &str) -> Self {
        let line_text = source
            .lines()
            .nth(position.line.saturating_sub(1))
            .unwrap_or("")
            .to_string();
        ParseError {
            position,
            found,
            expected: expected.to_string(),
            line_text,
        }
    }
}

impl fmt::Display for ParseError {
    /// Renders `line L, column C: found X, expected Y`, then the query line with a caret under
    /// the offending token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid query at line {}, column {}: found {}, expected {}",
            self.position.line, self.position.column, self.found, self.expected
        )?;
        writeln!(f, "{}", self.line_text)?;
        let indent: String = self
            .line_text
            .chars()
            .take(self.position.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{indent}^")
    }
}

impl std::error::Error for ParseError {}

/// A query that parsed but cannot run, or failed while running.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The query calls a function this evaluator does not have.
    #[error("unknown function '{0}'")]
    UnknownFunction(String),
    /// A function was called with the wrong number of arguments.
    #[error("function '{name}' takes {expected} arguments, got {found}")]
    WrongArgumentCount {
        /// The function name.
        name: String,
        /// The accepted argument counts, such as "2" or "2 or 3".
        expected: String,
        /// How many arguments the query passed.
        found: usize,
    },
    /// An argument that must be a literal (a regex pattern, a variable name) was not.
    #[error("invalid argument to '{name}': {reason}")]
    InvalidArgument {
        /// The function or operator name.
        name: String,
        /// The reason the argument is invalid.
        reason: String,
    },
    /// A regular expression in the query failed to compile.
    #[error("invalid regular expression '{pattern}': {reason}")]
    InvalidRegex {
        /// The pattern as written in the query.
        pattern: String,
        /// The regex engine's message.
        reason: String,
    },
    /// The query uses a part of EQL that this evaluator does not run yet.
    #[error("unsupported EQL feature: {0}")]
    Unsupported(String),
    /// A `sequence` or `join` would have held more partial matches than the options allow.
    #[error(
        "stopped after {events_read} events: the query held more than {limit} partial matches \
         at once; add `with maxspan` or join on narrower keys"
    )]
    StateLimit {
        /// The limit, [`super::Options::max_partials`].
        limit: usize,
        /// How many events had been read when the limit was passed.
        events_read: usize,
    },
}
