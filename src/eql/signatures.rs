//! The names, argument counts and argument types of the built-in functions, so the parser
//! can reject a bad call at its position before the query runs.
//!
//! Only literal arguments have a type before the query runs, so only they are checked: a
//! field of the wrong type makes the call null at run time instead, as in the reference.

use super::ast::{Expr, Literal, PathPart};

/// The kind of value an argument position accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgType {
    /// Any value.
    Any,
    /// A string.
    Text,
    /// A whole or floating-point number.
    Number,
    /// A whole number.
    Integer,
    /// A boolean.
    Boolean,
    /// A string or an array.
    TextOrArray,
    /// A string or a number.
    TextOrNumber,
    /// An array.
    Array,
    /// A plain variable name, bound for the predicate that follows.
    Variable,
}

impl ArgType {
    fn describe(self) -> &'static str {
        match self {
            ArgType::Any => "any value",
            ArgType::Text => "a string",
            ArgType::Number => "a number",
            ArgType::Integer => "a whole number",
            ArgType::Boolean => "true or false",
            ArgType::TextOrArray => "a string or an array",
            ArgType::TextOrNumber => "a string or a number",
            ArgType::Array => "an array",
            ArgType::Variable => "a variable name such as 'item'",
        }
    }

    fn accepts(self, literal: &Literal) -> bool {
        let kind = match literal {
            // Null stands for a missing value, which every function accepts.
            Literal::Null => return true,
            Literal::Bool(_) => ArgType::Boolean,
            Literal::Int(_) => ArgType::Integer,
            Literal::Float(_) => ArgType::Number,
            Literal::Str(_) => ArgType::Text,
        };
        match self {
            ArgType::Any => true,
            ArgType::Number => matches!(kind, ArgType::Number | ArgType::Integer),
            ArgType::TextOrArray => kind == ArgType::Text,
            ArgType::TextOrNumber => kind != ArgType::Boolean,
            ArgType::Array | ArgType::Variable => false,
            exact => exact == kind,
        }
    }
}

/// A function's name as the reference spells it and what it accepts.
pub(crate) struct Signature {
    pub name: &'static str,
    pub min: usize,
    /// `usize::MAX` for any number.
    pub max: usize,
    /// The types of the first arguments.
    pub types: &'static [ArgType],
    /// The type of every argument after `types`.
    pub rest: ArgType,
}

const fn signature(
    name: &'static str,
    min: usize,
    max: usize,
    types: &'static [ArgType],
    rest: ArgType,
) -> Signature {
    Signature {
        name,
        min,
        max,
        types,
        rest,
    }
}

use ArgType::{Any, Array, Boolean, Integer, Number, Text, TextOrArray, TextOrNumber, Variable};

/// Every built-in function.
pub(crate) const SIGNATURES: &[Signature] = &[
    signature("add", 2, 2, &[Number, Number], Any),
    signature("arrayContains", 2, usize::MAX, &[Array], Any),
    signature("arrayCount", 3, 3, &[Array, Variable, Any], Any),
    signature("arraySearch", 3, 3, &[Array, Variable, Any], Any),
    signature("between", 3, 5, &[Text, Text, Text, Boolean, Boolean], Any),
    signature("cidrMatch", 2, usize::MAX, &[Text], Text),
    signature("concat", 1, usize::MAX, &[], Any),
    signature("divide", 2, 2, &[Number, Number], Any),
    signature("endsWith", 2, 2, &[Text, Text], Any),
    signature("indexOf", 2, 3, &[Text, Text, Integer], Any),
    signature("length", 1, 1, &[TextOrArray], Any),
    signature("match", 2, usize::MAX, &[Text], Text),
    signature("matchLite", 2, usize::MAX, &[Text], Text),
    signature("modulo", 2, 2, &[Number, Number], Any),
    signature("multiply", 2, 2, &[Number, Number], Any),
    signature("number", 1, 2, &[TextOrNumber, Integer], Any),
    signature("safe", 1, 1, &[], Any),
    signature("startsWith", 2, 2, &[Text, Text], Any),
    signature("string", 1, 1, &[], Any),
    signature("stringContains", 2, 2, &[Text, Text], Any),
    signature("substring", 2, 3, &[Text, Integer, Integer], Any),
    signature("subtract", 2, 2, &[Number, Number], Any),
    signature("wildcard", 2, usize::MAX, &[Text], Text),
];

/// Finds a function by name, ignoring ASCII case as the reference does.
pub(crate) fn find(name: &str) -> Option<&'static Signature> {
    SIGNATURES
        .iter()
        .find(|signature| signature.name.eq_ignore_ascii_case(name))
}

/// Renders an accepted argument count, such as "2", "2 to 3" or "2 or more".
pub(crate) fn describe_count(min: usize, max: usize) -> String {
    if max == usize::MAX {
        format!("{min} or more")
    } else if min == max {
        min.to_string()
    } else {
        format!("{min} to {max}")
    }
}

impl Signature {
    /// Checks argument `index` of a call, returning what was expected when it does not fit.
    pub fn check_argument(&self, index: usize, arg: &Expr) -> Option<&'static str> {
        let expected = self.types.get(index).copied().unwrap_or(self.rest);
        let fits = match arg {
            Expr::Literal(literal) => expected.accepts(literal),
            Expr::Field(path) if expected == ArgType::Variable => {
                matches!(path.parts.as_slice(), [PathPart::Name(_)])
            }
            _ => expected != ArgType::Variable,
        };
        (!fits).then(|| expected.describe())
    }
}
