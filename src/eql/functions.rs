//! The built-in functions that take evaluated arguments. Each returns null when a required
//! argument is null or of the wrong type, as the reference implementation does.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::IpAddr;

use super::Value;
use super::ast::ArithmeticOp;
use super::compile::Function;
use super::eval::{arithmetic, compare_strings, values_equal};

/// Calls `function` with its evaluated arguments; `insensitive` makes string tests ignore
/// letter case. `safe` takes its argument out of `args`.
pub(crate) fn call<'a>(function: Function, args: &mut [Value<'a>], insensitive: bool) -> Value<'a> {
    let arg = |index: usize| args.get(index).unwrap_or(&Value::Null);
    match function {
        Function::Add => arithmetic(arg(0), ArithmeticOp::Add, arg(1)),
        Function::Subtract => arithmetic(arg(0), ArithmeticOp::Subtract, arg(1)),
        Function::Multiply => arithmetic(arg(0), ArithmeticOp::Multiply, arg(1)),
        Function::Divide => arithmetic(arg(0), ArithmeticOp::Divide, arg(1)),
        Function::Modulo => arithmetic(arg(0), ArithmeticOp::Modulo, arg(1)),
        Function::ArrayContains => match arg(0) {
            Value::List(items) => Value::Bool(args.iter().skip(1).any(|wanted| {
                items
                    .iter()
                    .any(|item| values_equal(item, wanted, insensitive))
            })),
            _ => Value::Null,
        },
        Function::Between => between(args, insensitive),
        Function::CidrMatch => cidr_match(args),
        Function::Concat => concat(args),
        Function::EndsWith => string_test(arg(0), arg(1), |text, suffix| {
            if insensitive && text.is_ascii() && suffix.is_ascii() {
                let start = text.len().checked_sub(suffix.len());
                return start
                    .and_then(|start| text.get(start..))
                    .is_some_and(|end| end.eq_ignore_ascii_case(suffix));
            }
            fold(text, insensitive).ends_with(fold(suffix, insensitive).as_ref())
        }),
        Function::StartsWith => string_test(arg(0), arg(1), |text, prefix| {
            if insensitive && text.is_ascii() && prefix.is_ascii() {
                let head = text.get(..prefix.len());
                return head.is_some_and(|head| head.eq_ignore_ascii_case(prefix));
            }
            fold(text, insensitive).starts_with(fold(prefix, insensitive).as_ref())
        }),
        Function::StringContains => string_test(arg(0), arg(1), |text, part| {
            if insensitive && text.is_ascii() && part.is_ascii() {
                return contains_ignore_ascii_case(text, part);
            }
            fold(text, insensitive).contains(fold(part, insensitive).as_ref())
        }),
        Function::IndexOf => index_of(arg(0), arg(1), args.get(2), insensitive),
        Function::Length => match arg(0) {
            Value::Str(text) => count_value(text.chars().count()),
            Value::List(items) => count_value(items.len()),
            Value::Object(entries) => count_value(entries.len()),
            _ => Value::Null,
        },
        Function::Number => number(arg(0), args.get(1)),
        Function::Safe => args
            .first_mut()
            .map_or(Value::Null, |value| std::mem::replace(value, Value::Null)),
        Function::String => render(arg(0)).map_or(Value::Null, |text| Value::Str(Cow::Owned(text))),
        Function::Substring => substring(arg(0), arg(1), args.get(2)),
    }
}

fn count_value<'a>(count: usize) -> Value<'a> {
    i64::try_from(count).map_or(Value::Null, Value::Int)
}

/// Lowercases text for a case-insensitive test, borrowing when nothing changes.
fn fold(text: &str, insensitive: bool) -> Cow<'_, str> {
    if insensitive && text.chars().any(char::is_uppercase) {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// Tests whether ASCII `text` contains ASCII `part`, ignoring ASCII case.
fn contains_ignore_ascii_case(text: &str, part: &str) -> bool {
    let (text, part) = (text.as_bytes(), part.as_bytes());
    if part.is_empty() {
        return true;
    }
    text.windows(part.len())
        .any(|window| window.eq_ignore_ascii_case(part))
}

fn string_test<'a>(text: &Value, other: &Value, test: impl Fn(&str, &str) -> bool) -> Value<'a> {
    match (text, other) {
        (Value::Str(text), Value::Str(other)) => Value::Bool(test(text, other)),
        _ => Value::Null,
    }
}

/// Renders a value as `string()` and `concat()` do: numbers in decimal, booleans lowercase.
fn render(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(value) => Some(value.to_string()),
        Value::Int(value) => Some(value.to_string()),
        Value::Float(value) if value.fract() == 0.0 && value.abs() < 1e16 => {
            Some(format!("{value:.1}"))
        }
        Value::Float(value) => Some(value.to_string()),
        Value::Str(text) => Some(text.to_string()),
        Value::List(_) | Value::Object(_) => None,
    }
}

fn concat<'a>(args: &[Value]) -> Value<'a> {
    let mut text = String::new();
    for arg in args {
        match render(arg) {
            Some(part) => text.push_str(&part),
            None => return Value::Null,
        }
    }
    Value::Str(Cow::Owned(text))
}

/// Finds `needle` in `text`, returning (byte offset, byte length) of the match in `text`.
/// Case folding can change byte lengths, so insensitive search walks char boundaries.
fn find_from(text: &str, needle: &str, from: usize, insensitive: bool) -> Option<(usize, usize)> {
    let starts = text
        .char_indices()
        .map(|(offset, _)| offset)
        .chain([text.len()]);
    for start in starts.filter(|&start| start >= from) {
        let Some(rest) = text.get(start..) else {
            continue;
        };
        if !insensitive {
            if rest.starts_with(needle) {
                return Some((start, needle.len()));
            }
            continue;
        }
        let mut rest_chars = rest.char_indices();
        let mut matched_len = 0;
        let mut needle_chars = needle.chars();
        let mut ok = true;
        for wanted in needle_chars.by_ref() {
            match rest_chars.next() {
                Some((offset, c)) if c.to_lowercase().eq(wanted.to_lowercase()) => {
                    matched_len = offset + c.len_utf8();
                }
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Some((start, matched_len));
        }
    }
    None
}

fn char_to_byte(text: &str, chars: usize) -> Option<usize> {
    text.char_indices()
        .map(|(offset, _)| offset)
        .chain([text.len()])
        .nth(chars)
}

fn byte_to_char(text: &str, byte: usize) -> usize {
    text.get(..byte).unwrap_or(text).chars().count()
}

fn index_of<'a>(
    text: &Value,
    needle: &Value,
    start: Option<&Value>,
    insensitive: bool,
) -> Value<'a> {
    let (Value::Str(text), Value::Str(needle)) = (text, needle) else {
        return Value::Null;
    };
    let start = match start {
        None | Some(Value::Null) => 0,
        Some(Value::Int(start)) => usize::try_from(*start).unwrap_or(0),
        Some(_) => return Value::Null,
    };
    let Some(from) = char_to_byte(text, start) else {
        return Value::Null;
    };
    match find_from(text, needle, from, insensitive) {
        Some((offset, _)) => count_value(byte_to_char(text, offset)),
        None => Value::Null,
    }
}

/// Returns the text between the first `left` and the following `right` (the last one when
/// `greedy`), or an empty string when either is missing. The optional fifth argument,
/// `case_sensitive`, overrides the options as in the reference implementation.
fn between<'a>(args: &[Value], insensitive: bool) -> Value<'a> {
    let (Some(Value::Str(text)), Some(Value::Str(left)), Some(Value::Str(right))) =
        (args.first(), args.get(1), args.get(2))
    else {
        return Value::Null;
    };
    let greedy = matches!(args.get(3), Some(Value::Bool(true)));
    let insensitive = match args.get(4) {
        Some(Value::Bool(case_sensitive)) => !case_sensitive,
        _ => insensitive,
    };
    let Some((left_at, left_len)) = find_from(text, left, 0, insensitive) else {
        return Value::Str(Cow::Owned(String::new()));
    };
    let after = left_at + left_len;
    let end = if greedy {
        let mut last = None;
        let mut from = after;
        while let Some((at, len)) = find_from(text, right, from, insensitive) {
            last = Some(at);
            if from >= text.len() {
                break;
            }
            from = at + len.max(1);
            // Step to the next char boundary when the needle was empty.
            while from < text.len() && !text.is_char_boundary(from) {
                from += 1;
            }
        }
        last
    } else {
        find_from(text, right, after, insensitive).map(|(at, _)| at)
    };
    match end {
        Some(end) => Value::Str(Cow::Owned(
            text.get(after..end).unwrap_or_default().to_string(),
        )),
        None => Value::Str(Cow::Owned(String::new())),
    }
}

/// Slices by character positions with Python's rules: negative positions count from the end
/// and out-of-range positions are clamped.
fn substring<'a>(text: &Value, start: &Value, end: Option<&Value>) -> Value<'a> {
    let Value::Str(text) = text else {
        return Value::Null;
    };
    let length = i64::try_from(text.chars().count()).unwrap_or(i64::MAX);
    let clamp = |position: i64| -> i64 {
        let position = if position < 0 {
            length.saturating_add(position)
        } else {
            position
        };
        position.clamp(0, length)
    };
    let start = match start {
        Value::Int(start) => clamp(*start),
        Value::Null => 0,
        _ => return Value::Null,
    };
    let end = match end {
        Some(Value::Int(end)) => clamp(*end),
        None | Some(Value::Null) => length,
        Some(_) => return Value::Null,
    };
    let taken = usize::try_from((end - start).max(0)).unwrap_or(0);
    let skipped = usize::try_from(start).unwrap_or(0);
    Value::Str(Cow::Owned(text.chars().skip(skipped).take(taken).collect()))
}

/// Parses a number from a string; a `base` of 16 accepts an optional `0x` prefix.
fn number<'a>(value: &Value, base: Option<&Value>) -> Value<'a> {
    let base = match base {
        None | Some(Value::Null) => 10,
        Some(Value::Int(base)) if (2..=36).contains(base) => u32::try_from(*base).unwrap_or(10),
        Some(_) => return Value::Null,
    };
    let text = match value {
        Value::Str(text) => text.trim(),
        Value::Int(_) | Value::Float(_) => return value.clone().into_owned(),
        _ => return Value::Null,
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits = if base == 16 {
        digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
            .unwrap_or(digits)
    } else {
        digits
    };
    if let Ok(parsed) = i64::from_str_radix(digits, base) {
        return Value::Int(if negative { -parsed } else { parsed });
    }
    if base == 10
        && let Ok(parsed) = text.parse::<f64>()
        && parsed.is_finite()
    {
        return Value::Float(parsed);
    }
    Value::Null
}

/// Tests an address against CIDR blocks; an unparsable address or block never matches.
fn cidr_match<'a>(args: &[Value]) -> Value<'a> {
    let Some((Value::Str(address), blocks)) = args.split_first() else {
        return Value::Null;
    };
    let Ok(address) = address.trim().parse::<IpAddr>() else {
        return Value::Bool(false);
    };
    let matched = blocks.iter().any(|block| match block {
        Value::Str(block) => in_block(address, block),
        _ => false,
    });
    Value::Bool(matched)
}

fn in_block(address: IpAddr, block: &str) -> bool {
    let (network, prefix) = match block.split_once('/') {
        Some((network, prefix)) => (network, prefix.trim().parse::<u32>().ok()),
        None => (block, None),
    };
    let Ok(network) = network.trim().parse::<IpAddr>() else {
        return false;
    };
    match (address, network) {
        (IpAddr::V4(address), IpAddr::V4(network)) => {
            let prefix = prefix.unwrap_or(32);
            prefix <= 32
                && masked_equal(
                    u32::from(address).into(),
                    u32::from(network).into(),
                    prefix,
                    32,
                )
        }
        (IpAddr::V6(address), IpAddr::V6(network)) => {
            let prefix = prefix.unwrap_or(128);
            prefix <= 128 && masked_equal(u128::from(address), u128::from(network), prefix, 128)
        }
        _ => false,
    }
}

fn masked_equal(address: u128, network: u128, prefix: u32, bits: u32) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = bits - prefix;
    (address >> shift) == (network >> shift)
}

/// Orders values for `sort`: nulls first, then by type, then by value.
pub(crate) fn sort_order(left: &Value, right: &Value, insensitive: bool) -> Ordering {
    fn rank(value: &Value) -> u8 {
        match value {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Float(_) => 2,
            Value::Str(_) => 3,
            Value::List(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (left, right) {
        (Value::Str(a), Value::Str(b)) => compare_strings(a, b, insensitive),
        _ => super::eval::compare_values(left, right, insensitive)
            .unwrap_or_else(|| rank(left).cmp(&rank(right))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value<'static> {
        Value::Str(Cow::Owned(text.to_string()))
    }

    #[test]
    fn between_follows_reference_examples() {
        let name = s("System Idle Process");
        assert_eq!(between(&[name.clone(), s("s"), s("e")], true), s("yst"));
        assert_eq!(
            between(&[name.clone(), s("s"), s("e"), Value::Bool(true)], true),
            s("ystem Idle Proc")
        );
        assert_eq!(between(&[s("System"), s("s"), s("e")], false), s("t"));
        assert_eq!(between(&[name, s("q"), s("e")], true), s(""));
    }

    #[test]
    fn index_of_and_substring_count_characters() {
        assert_eq!(
            index_of(&s("explorer.exe"), &s("plore"), None, true),
            Value::Int(2)
        );
        assert_eq!(
            index_of(&s("explorer.exe"), &s(".pf"), None, true),
            Value::Null
        );
        assert_eq!(
            index_of(
                &s("explorer.exe"),
                &s("plorer."),
                Some(&Value::Int(4)),
                true
            ),
            Value::Null
        );
        assert_eq!(index_of(&s("äbc"), &s("B"), None, true), Value::Int(1));
        assert_eq!(
            substring(&s("explorer.exe"), &Value::Int(-4), Some(&Value::Int(-1))),
            s(".ex")
        );
        assert_eq!(substring(&s("abc"), &Value::Int(5), None), s(""));
        assert_eq!(
            substring(
                &s("abc"),
                &Value::Int(i64::MIN),
                Some(&Value::Int(i64::MAX))
            ),
            s("abc")
        );
    }

    #[test]
    fn number_parses_bases() {
        assert_eq!(number(&s("5"), None), Value::Int(5));
        assert_eq!(number(&s("0x32"), Some(&Value::Int(16))), Value::Int(50));
        assert_eq!(number(&s("32"), Some(&Value::Int(16))), Value::Int(50));
        assert_eq!(number(&s("2.5"), None), Value::Float(2.5));
        assert_eq!(number(&s("nope"), None), Value::Null);
        assert_eq!(number(&s("1"), Some(&Value::Int(99))), Value::Null);
    }

    #[test]
    fn cidr_match_masks_host_bits() {
        let address = s("10.6.48.157");
        assert_eq!(
            cidr_match(&[address.clone(), s("10.0.0.0/8")]),
            Value::Bool(true)
        );
        assert_eq!(
            cidr_match(&[address.clone(), s("192.168.0.0/16")]),
            Value::Bool(false)
        );
        assert_eq!(
            cidr_match(&[address.clone(), s("0.0.0.0/0")]),
            Value::Bool(true)
        );
        assert_eq!(cidr_match(&[address, s("10.0.0.0/99")]), Value::Bool(false));
        assert_eq!(
            cidr_match(&[s("fe80::1"), s("fe80::/10")]),
            Value::Bool(true)
        );
    }

    #[test]
    fn concat_renders_numbers() {
        let args = [Value::Int(5), s(":"), s("wininit.exe"), Value::Int(3)];
        assert_eq!(concat(&args), s("5:wininit.exe3"));
        assert_eq!(concat(&[Value::Null, s("a")]), Value::Null);
    }

    #[test]
    fn string_tests_respect_case_setting() {
        let text = s("Explorer.EXE");
        let call_with = |function, insensitive| {
            call(function, &mut [text.clone(), s("explorer.")], insensitive)
        };
        assert_eq!(call_with(Function::StartsWith, true), Value::Bool(true));
        assert_eq!(call_with(Function::StartsWith, false), Value::Bool(false));
    }
}
