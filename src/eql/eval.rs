//! Evaluates compiled expressions against events, with the reference implementation's null
//! rules: a comparison or function with a null operand yields null, `and`/`or` follow
//! three-valued logic, and a `where` clause keeps an event only when its condition is true.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::{ArithmeticOp, CompareOp, PathPart};
use super::compile::{ArrayLoop, FieldRef, FieldSource, Node};
use super::functions::call;
use super::lineage::LineageView;
use super::wildcard::wildcard_match;
use super::{Document, Options, Value};

/// Function calls with at most this many arguments evaluate them into an array on the stack.
const INLINE_ARGUMENTS: usize = 6;

/// Evaluates nodes against the events of one result: one event for an event query, one per
/// step for a sequence result in a pipe.
///
/// Values borrow from the events and the nodes for `'x`. The lineage trackers are borrowed
/// only for `'t`, so a caller can keep values across events while it updates the trackers.
pub(crate) struct Evaluator<'x, 't, D> {
    events: &'x [D],
    pub options: &'x Options,
    variables: Vec<Value<'x>>,
    /// The trackers [`Node::Lineage`] indexes into.
    lineage: Option<LineageView<'t>>,
}

impl<'x, 't, D: Document> Evaluator<'x, 't, D> {
    pub fn new(events: &'x [D], options: &'x Options) -> Self {
        Evaluator {
            events,
            options,
            variables: Vec::new(),
            lineage: None,
        }
    }

    /// Lets lineage expressions read `lineage`, whose trackers must be current for the event.
    pub fn with_lineage(mut self, lineage: LineageView<'t>) -> Self {
        self.lineage = Some(lineage);
        self
    }

    /// Tests a condition: true only when it evaluates to a true value.
    pub fn test(&mut self, node: &'x Node) -> bool {
        truth(&self.eval(node)) == Some(true)
    }

    /// Tests whether string comparisons ignore case, given an operator's own setting.
    pub fn insensitive(&self, forced: bool) -> bool {
        forced || !self.options.case_sensitive_equals
    }

    pub fn eval(&mut self, node: &'x Node) -> Value<'x> {
        match node {
            Node::Const(value) => borrow(value),
            Node::Field(source, field) => self.field(source, field),
            Node::Not(inner) => match truth(&self.eval(inner)) {
                Some(value) => Value::Bool(!value),
                None => Value::Null,
            },
            Node::Negate(inner) => negate(self.eval(inner)),
            Node::And(left, right) => self.and(left, right),
            Node::Or(left, right) => self.or(left, right),
            Node::Compare {
                left,
                op,
                right,
                null_test,
            } => {
                let left = self.eval(left);
                let right = self.eval(right);
                self.compare(&left, *op, &right, *null_test)
            }
            Node::Arithmetic(left, op, right) => {
                let left = self.eval(left);
                let right = self.eval(right);
                arithmetic(&left, *op, &right)
            }
            Node::In {
                needle,
                list,
                negated,
                force_insensitive,
            } => self.is_in(needle, list, *negated, *force_insensitive),
            Node::Wildcard {
                subject,
                patterns,
                case_insensitive,
                question_mark,
                negated,
                compiled,
            } => {
                let insensitive = case_insensitive.unwrap_or(!self.options.case_sensitive_equals);
                let result = match compiled.as_ref().and_then(|set| set.get(insensitive)) {
                    Some(regex) => self.wildcard_compiled(subject, regex),
                    None => self.wildcard(subject, patterns, insensitive, *question_mark),
                };
                match result {
                    Value::Bool(value) if *negated => Value::Bool(!value),
                    other => other,
                }
            }
            Node::Regex { subject, regexes } => match self.eval(subject) {
                Value::Str(text) => Value::Bool(regexes.iter().any(|regex| regex.is_match(&text))),
                _ => Value::Null,
            },
            Node::Call {
                function,
                args,
                force_insensitive,
            } => {
                let insensitive = self.insensitive(*force_insensitive);
                if args.len() <= INLINE_ARGUMENTS {
                    let mut values = [const { Value::Null }; INLINE_ARGUMENTS];
                    for (value, arg) in values.iter_mut().zip(args) {
                        *value = self.eval(arg);
                    }
                    let used = values.get_mut(..args.len()).unwrap_or_default();
                    call(*function, used, insensitive)
                } else {
                    let mut values: Vec<Value<'x>> =
                        args.iter().map(|arg| self.eval(arg)).collect();
                    call(*function, &mut values, insensitive)
                }
            }
            Node::ArrayLoop {
                kind,
                array,
                slot,
                predicate,
            } => self.array_loop(*kind, array, *slot, predicate),
            Node::Lineage(slot) => {
                let found = match (self.lineage, self.events.first()) {
                    (Some(lineage), Some(event)) => lineage
                        .trackers
                        .get(*slot)
                        .is_some_and(|tracker| tracker.contains(event, lineage.fields)),
                    _ => false,
                };
                Value::Bool(found)
            }
        }
    }

    fn field(&mut self, source: &FieldSource, field: &FieldRef) -> Value<'x> {
        let base = match source {
            FieldSource::Event => self
                .events
                .first()
                .and_then(|doc| doc.field_by_key(field.key, &field.name)),
            FieldSource::EventAt(index) => usize::try_from(*index)
                .ok()
                .and_then(|index| self.events.get(index))
                .and_then(|doc| doc.field_by_key(field.key, &field.name)),
            FieldSource::Variable(slot) => self.variables.get(*slot).cloned(),
        };
        let mut value = base.unwrap_or(Value::Null);
        for part in &field.rest {
            value = step_into(value, part);
        }
        value
    }

    fn and(&mut self, left: &'x Node, right: &'x Node) -> Value<'x> {
        let left = truth(&self.eval(left));
        if left == Some(false) {
            return Value::Bool(false);
        }
        match (left, truth(&self.eval(right))) {
            (_, Some(false)) => Value::Bool(false),
            (Some(true), Some(true)) => Value::Bool(true),
            _ => Value::Null,
        }
    }

    fn or(&mut self, left: &'x Node, right: &'x Node) -> Value<'x> {
        let left = truth(&self.eval(left));
        if left == Some(true) {
            return Value::Bool(true);
        }
        match (left, truth(&self.eval(right))) {
            (_, Some(true)) => Value::Bool(true),
            (Some(false), Some(false)) => Value::Bool(false),
            _ => Value::Null,
        }
    }

    fn compare(&self, left: &Value, op: CompareOp, right: &Value, null_test: bool) -> Value<'x> {
        let insensitive = self.insensitive(false);
        if matches!(left, Value::Null) || matches!(right, Value::Null) {
            if !null_test {
                return Value::Null;
            }
            let both = matches!(left, Value::Null) && matches!(right, Value::Null);
            return match op {
                CompareOp::Eq => Value::Bool(both),
                CompareOp::NotEq => Value::Bool(!both),
                _ => Value::Null,
            };
        }
        match op {
            CompareOp::Eq => Value::Bool(values_equal(left, right, insensitive)),
            CompareOp::NotEq => Value::Bool(!values_equal(left, right, insensitive)),
            _ => match compare_values(left, right, insensitive) {
                Some(ordering) => Value::Bool(match op {
                    CompareOp::Lt => ordering == Ordering::Less,
                    CompareOp::Le => ordering != Ordering::Greater,
                    CompareOp::Gt => ordering == Ordering::Greater,
                    _ => ordering != Ordering::Less,
                }),
                None => Value::Null,
            },
        }
    }

    fn is_in(
        &mut self,
        needle: &'x Node,
        list: &'x [Node],
        negated: bool,
        forced: bool,
    ) -> Value<'x> {
        let needle = self.eval(needle);
        if matches!(needle, Value::Null) {
            return Value::Null;
        }
        let insensitive = self.insensitive(forced);
        let found = list
            .iter()
            .any(|item| values_equal(&needle, &self.eval(item), insensitive));
        Value::Bool(found != negated)
    }

    fn wildcard_compiled(&mut self, subject: &'x Node, regex: &regex::Regex) -> Value<'x> {
        match self.eval(subject) {
            Value::Str(text) => Value::Bool(regex.is_match(&text)),
            // A list matches when any of its strings does, as for multi-valued ECS fields.
            Value::List(items) => Value::Bool(items.iter().any(|item| match item {
                Value::Str(text) => regex.is_match(text),
                _ => false,
            })),
            _ => Value::Null,
        }
    }

    fn wildcard(
        &mut self,
        subject: &'x Node,
        patterns: &'x [Node],
        insensitive: bool,
        question_mark: bool,
    ) -> Value<'x> {
        let subject = self.eval(subject);
        if !matches!(subject, Value::Str(_) | Value::List(_)) {
            return Value::Null;
        }
        for pattern in patterns {
            let Value::Str(pattern) = self.eval(pattern) else {
                continue;
            };
            let hit = |text: &str| wildcard_match(text, &pattern, insensitive, question_mark);
            let found = match &subject {
                Value::Str(text) => hit(text),
                // A list matches when any of its strings does, as for multi-valued ECS fields.
                Value::List(items) => items
                    .iter()
                    .any(|item| matches!(item, Value::Str(text) if hit(text))),
                _ => false,
            };
            if found {
                return Value::Bool(true);
            }
        }
        Value::Bool(false)
    }

    fn array_loop(
        &mut self,
        kind: ArrayLoop,
        array: &'x Node,
        slot: usize,
        predicate: &'x Node,
    ) -> Value<'x> {
        let Value::List(items) = self.eval(array) else {
            return match kind {
                ArrayLoop::Search => Value::Bool(false),
                ArrayLoop::Count => Value::Int(0),
            };
        };
        let mut count = 0_i64;
        for item in items {
            // Variables live in slots by nesting depth, so a nested loop reuses the next slot.
            self.variables.truncate(slot);
            self.variables.push(item);
            let hit = self.test(predicate);
            self.variables.truncate(slot);
            if hit {
                if kind == ArrayLoop::Search {
                    return Value::Bool(true);
                }
                count += 1;
            }
        }
        match kind {
            ArrayLoop::Search => Value::Bool(false),
            ArrayLoop::Count => Value::Int(count),
        }
    }
}

/// Reborrows a constant so evaluating it does not copy its text.
fn borrow<'a>(value: &'a Value<'static>) -> Value<'a> {
    match value {
        Value::Str(text) => Value::Str(Cow::Borrowed(text.as_ref())),
        other => other.clone(),
    }
}

fn step_into<'a>(value: Value<'a>, part: &PathPart) -> Value<'a> {
    match (value, part) {
        (Value::List(items), PathPart::Index(index)) => {
            let length = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let position = if *index < 0 { length + index } else { *index };
            usize::try_from(position)
                .ok()
                .and_then(|position| items.into_iter().nth(position))
                .unwrap_or(Value::Null)
        }
        (Value::Object(entries), PathPart::Name(name)) => entries
            .into_iter()
            .find(|(key, _)| key == name)
            .map_or(Value::Null, |(_, value)| value),
        _ => Value::Null,
    }
}

/// The truth of a value: null stays unknown, and other values follow Python's rules (zero,
/// empty strings and empty lists are false), as the reference implementation does.
pub(crate) fn truth(value: &Value) -> Option<bool> {
    match value {
        Value::Null => None,
        Value::Bool(value) => Some(*value),
        Value::Int(value) => Some(*value != 0),
        Value::Float(value) => Some(*value != 0.0),
        Value::Str(text) => Some(!text.is_empty()),
        Value::List(items) => Some(!items.is_empty()),
        Value::Object(entries) => Some(!entries.is_empty()),
    }
}

fn negate(value: Value) -> Value {
    match value {
        Value::Int(value) => value.checked_neg().map_or(Value::Null, Value::Int),
        Value::Float(value) => Value::Float(-value),
        _ => Value::Null,
    }
}

/// Tests strings for equality as [`compare_strings`] orders them, without ordering them.
pub(crate) fn strings_equal(left: &str, right: &str, insensitive: bool) -> bool {
    if !insensitive {
        return left == right;
    }
    // Strings equal ignoring ASCII case are equal under Unicode lowercasing too, and two ASCII
    // strings that differ so are unequal under it.
    if left.eq_ignore_ascii_case(right) {
        return true;
    }
    if left.is_ascii() && right.is_ascii() {
        return false;
    }
    compare_strings(left, right, true) == Ordering::Equal
}

/// Compares strings, folding case with Unicode lowercase when `insensitive` is set.
pub(crate) fn compare_strings(left: &str, right: &str, insensitive: bool) -> Ordering {
    if !insensitive {
        return left.cmp(right);
    }
    if left.is_ascii() && right.is_ascii() {
        let left = left.bytes().map(|b| b.to_ascii_lowercase());
        return left.cmp(right.bytes().map(|b| b.to_ascii_lowercase()));
    }
    left.chars()
        .flat_map(char::to_lowercase)
        .cmp(right.chars().flat_map(char::to_lowercase))
}

/// Tests equality: numbers compare by value across int and float, strings by
/// [`compare_strings`], lists element by element, and different types are unequal.
pub(crate) fn values_equal(left: &Value, right: &Value, insensitive: bool) -> bool {
    match (left, right) {
        (Value::Str(a), Value::Str(b)) => strings_equal(a, b, insensitive),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            compare_values(left, right, insensitive) == Some(Ordering::Equal)
        }
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(a, b)| values_equal(a, b, insensitive))
        }
        _ => left == right,
    }
}

/// Orders two values of comparable types: numbers, strings or booleans.
pub(crate) fn compare_values(left: &Value, right: &Value, insensitive: bool) -> Option<Ordering> {
    match (left, right) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Int(a), Value::Float(b)) => (*a as f64).partial_cmp(b),
        (Value::Float(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
        (Value::Str(a), Value::Str(b)) => Some(compare_strings(a, b, insensitive)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Applies an arithmetic operator. Null operands, non-numbers, division by zero and integer
/// overflow all yield null rather than an error, so one odd event cannot stop a query.
pub(crate) fn arithmetic<'a>(left: &Value, op: ArithmeticOp, right: &Value) -> Value<'a> {
    match (left, right) {
        (Value::Int(a), Value::Int(b)) => integer_arithmetic(*a, op, *b),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            let (a, b) = (as_float(left), as_float(right));
            let result = match op {
                ArithmeticOp::Add => a + b,
                ArithmeticOp::Subtract => a - b,
                ArithmeticOp::Multiply => a * b,
                ArithmeticOp::Divide if b == 0.0 => return Value::Null,
                ArithmeticOp::Divide => a / b,
                ArithmeticOp::Modulo if b == 0.0 => return Value::Null,
                ArithmeticOp::Modulo => a - b * (a / b).floor(),
            };
            Value::Float(result)
        }
        _ => Value::Null,
    }
}

fn integer_arithmetic<'a>(a: i64, op: ArithmeticOp, b: i64) -> Value<'a> {
    let result = match op {
        ArithmeticOp::Add => a.checked_add(b),
        ArithmeticOp::Subtract => a.checked_sub(b),
        ArithmeticOp::Multiply => a.checked_mul(b),
        // Floor division and a remainder with the divisor's sign, as Python computes them.
        ArithmeticOp::Divide => a.checked_div(b).map(|quotient| {
            if a % b != 0 && ((a < 0) != (b < 0)) {
                quotient - 1
            } else {
                quotient
            }
        }),
        ArithmeticOp::Modulo => a.checked_rem(b).map(|remainder| {
            if remainder != 0 && ((remainder < 0) != (b < 0)) {
                remainder + b
            } else {
                remainder
            }
        }),
    };
    result.map_or(Value::Null, Value::Int)
}

fn as_float(value: &Value) -> f64 {
    match value {
        Value::Int(value) => *value as f64,
        Value::Float(value) => *value,
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_division_floors() {
        assert_eq!(
            integer_arithmetic(-7, ArithmeticOp::Divide, 2),
            Value::Int(-4)
        );
        assert_eq!(
            integer_arithmetic(7, ArithmeticOp::Divide, 2),
            Value::Int(3)
        );
        assert_eq!(
            integer_arithmetic(-7, ArithmeticOp::Modulo, 3),
            Value::Int(2)
        );
        assert_eq!(
            integer_arithmetic(7, ArithmeticOp::Modulo, -3),
            Value::Int(-2)
        );
    }

    #[test]
    fn overflow_and_zero_division_are_null() {
        assert_eq!(
            integer_arithmetic(i64::MAX, ArithmeticOp::Add, 1),
            Value::Null
        );
        assert_eq!(
            integer_arithmetic(i64::MIN, ArithmeticOp::Divide, -1),
            Value::Null
        );
        assert_eq!(
            integer_arithmetic(i64::MIN, ArithmeticOp::Modulo, -1),
            Value::Null
        );
        assert_eq!(integer_arithmetic(1, ArithmeticOp::Divide, 0), Value::Null);
        assert_eq!(
            arithmetic(&Value::Float(1.0), ArithmeticOp::Divide, &Value::Int(0)),
            Value::Null
        );
        assert_eq!(negate(Value::Int(i64::MIN)), Value::Null);
    }

    #[test]
    fn mixed_numbers_compare_by_value() {
        assert!(values_equal(&Value::Int(1), &Value::Float(1.0), false));
        assert!(!values_equal(
            &Value::Int(1),
            &Value::Str("1".into()),
            false
        ));
    }

    #[test]
    fn strings_fold_case_only_when_asked() {
        let upper = Value::Str("CMD.exe".into());
        let lower = Value::Str("cmd.EXE".into());
        assert!(values_equal(&upper, &lower, true));
        assert!(!values_equal(&upper, &lower, false));
        assert_eq!(compare_strings("Ä", "ä", true), Ordering::Equal);
    }
}
