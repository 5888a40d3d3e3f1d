//! Value modifiers: turns one Sigma field item (`Field|mod1|mod2: values`) into compiled
//! matchers.
//!
//! Every modifier of the Sigma v2.1 modifiers appendix is supported. Transformations (`windash`,
//! `base64`, `base64offset`, `utf16le`, `utf16be`, `utf16`, `wide`, `expand`) run in the order
//! written and can turn one value into several alternatives, any of which may match. Type
//! modifiers (`re`, `cidr`, `lt`…, `exists`, `fieldref`, the time parts) decide how the value is
//! compared. Text comparisons ignore case unless `cased` is given; `re` is case-sensitive
//! unless its `i` flag is given, as the specification requires.

use std::collections::HashMap;
use std::net::IpAddr;

use base64::Engine as _;
use regex::{Regex, RegexBuilder};

/// The largest compiled regex, in bytes, a rule may create (the `regex` crate's default); bigger
/// ones are rejected.
const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// The characters `windash` treats as interchangeable: hyphen, slash, en dash, em dash and
/// horizontal bar.
pub const WINDASH: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// The reason a field item could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModifierError {
    /// The rule uses something Glexia does not implement, such as an unknown modifier or a
    /// regex feature the linear-time engine lacks. The rule is skipped, not wrong.
    Unsupported(String),
    /// The item is invalid Sigma, such as `lt` on a value that is not a number.
    Invalid(String),
}

impl std::fmt::Display for ModifierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModifierError::Unsupported(message) | ModifierError::Invalid(message) => {
                f.write_str(message)
            }
        }
    }
}

/// A numeric comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Equal, used after a time part without another comparison.
    Eq,
}

impl Comparison {
    /// Applies the comparison as `left op right`.
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Lt => left < right,
            Comparison::Lte => left <= right,
            Comparison::Gt => left > right,
            Comparison::Gte => left >= right,
            Comparison::Eq => left == right,
        }
    }
}

/// A part of a date that the time modifiers extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePart {
    /// 0 to 59.
    Minute,
    /// 0 to 23.
    Hour,
    /// Day of the month, 1 to 31.
    Day,
    /// ISO 8601 week of the year, 1 to 53.
    Week,
    /// 1 to 12.
    Month,
    /// The year.
    Year,
}

/// The position a literal must have in the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// The whole value.
    Exact,
    /// The start of the value.
    Prefix,
    /// The end of the value.
    Suffix,
    /// Anywhere in the value.
    Contains,
}

/// One compiled comparison of a field value.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// A literal at the position [`TextKind`] names; `needle` is lowercase unless `cased`.
    Text {
        /// The literal's position.
        kind: TextKind,
        /// The literal.
        needle: String,
        /// Whether case matters.
        cased: bool,
    },
    /// Any value at all (a lone `*`).
    Any,
    /// A regular expression: from `re`, or a wildcard pattern that is not a plain literal.
    Regex(Regex),
    /// The value is an IP address inside the network.
    Cidr {
        /// The network address.
        network: IpAddr,
        /// The prefix length.
        prefix: u8,
    },
    /// The value is a number in that relation to `number`.
    Compare {
        /// The comparison, with the field value on the left.
        op: Comparison,
        /// The rule's number.
        number: f64,
    },
    /// The field is present (`true`) or absent (`false`).
    Exists(bool),
    /// The field is absent or empty (`null` or `''` in a rule).
    Null,
    /// The value equals the value of another field of the same event.
    FieldRef {
        /// The other field's Sigma name.
        field: String,
        /// Whether case matters.
        cased: bool,
    },
    /// A number extracted from a date value, compared with `number`.
    Time {
        /// The part extracted.
        part: TimePart,
        /// The comparison, with the extracted part on the left.
        op: Comparison,
        /// The rule's number.
        number: f64,
    },
}

/// One value of an item after transformations: any of its alternatives may match.
pub type Alternatives = Vec<Matcher>;

/// A compiled field item: `field|modifiers: values`.
#[derive(Clone, Debug)]
pub struct FieldItem {
    /// The Sigma field name, or `None` for a keyword search over the whole event.
    pub field: Option<String>,
    /// The field's index in its detection's field names, set when the detection is read.
    pub field_index: usize,
    /// Each value of the item, with its alternatives.
    pub values: Vec<Alternatives>,
    /// Whether every value must match (`all`) instead of any one.
    pub all: bool,
    /// Whether the item holds when the field differs from every value (`neq`).
    pub negate: bool,
}

/// A value written in a rule: text, or `null`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleValue {
    /// A scalar as written.
    Text(String),
    /// `null`, or an empty unquoted scalar.
    Null,
}

/// One element of a Sigma string after escapes are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Literal bytes; UTF-8 unless an encoding modifier produced them.
    Literal(Vec<u8>),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    Question,
    /// One of [`WINDASH`], from the `windash` modifier.
    Dash,
}

/// Parses Sigma string syntax: `*` and `?` are wildcards, `\` escapes `*`, `?` and itself, and
/// any other backslash is literal.
fn parse_sigma_string(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(literal).into_bytes()));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    literal.push(next);
                    chars.next();
                }
                _ => literal.push('\\'),
            },
            '*' => {
                flush(&mut literal, &mut pieces);
                pieces.push(Piece::Star);
            }
            '?' => {
                flush(&mut literal, &mut pieces);
                pieces.push(Piece::Question);
            }
            _ => literal.push(c),
        }
    }
    flush(&mut literal, &mut pieces);
    pieces
}

fn literal_only(pieces: &[Piece], modifier: &str) -> Result<Vec<u8>, ModifierError> {
    let mut bytes = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Literal(part) => bytes.extend_from_slice(part),
            _ => {
                return Err(ModifierError::Invalid(format!(
                    "'{modifier}' cannot encode a value with wildcards"
                )));
            }
        }
    }
    Ok(bytes)
}

fn windash(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out = Vec::new();
    for piece in pieces {
        let Piece::Literal(bytes) = piece else {
            out.push(piece);
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut literal = String::new();
        for c in text.chars() {
            if WINDASH.contains(&c) {
                if !literal.is_empty() {
                    out.push(Piece::Literal(std::mem::take(&mut literal).into_bytes()));
                }
                out.push(Piece::Dash);
            } else {
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            out.push(Piece::Literal(literal.into_bytes()));
        }
    }
    out
}

fn utf16(bytes: &[u8], little_endian: bool, bom: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if little_endian {
            &[0xFF, 0xFE]
        } else {
            &[0xFE, 0xFF]
        });
    }
    for unit in text.encode_utf16() {
        let pair = if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        };
        out.extend_from_slice(&pair);
    }
    out
}

/// Returns the three base64 forms of `value` as it can appear at any byte offset inside a longer
/// encoded text: encoded after 0, 1 and 2 bytes of padding, with the characters that depend on
/// the neighbouring bytes cut off.
fn base64_offsets(value: &[u8]) -> Vec<Vec<u8>> {
    const START: [usize; 3] = [0, 2, 3];
    const END_CUT: [usize; 3] = [0, 3, 2];
    let mut out = Vec::new();
    for (shift, start) in START.into_iter().enumerate() {
        let mut padded = vec![0u8; shift];
        padded.extend_from_slice(value);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&padded);
        let cut = END_CUT.get((value.len() + shift) % 3).copied().unwrap_or(0);
        let end = encoded.len().saturating_sub(cut);
        let start = start.min(end);
        let trimmed = encoded.as_bytes().get(start..end).unwrap_or_default();
        out.push(trimmed.to_vec());
    }
    out
}

/// The modifiers of one item, sorted by role.
#[derive(Debug, Default)]
struct Modifiers {
    all: bool,
    cased: bool,
    neq: bool,
    position: Option<TextKind>,
    exists: bool,
    regex: Option<(bool, bool, bool)>,
    cidr: bool,
    fieldref: bool,
    comparison: Option<Comparison>,
    time: Option<TimePart>,
    expand: bool,
    transforms: Vec<String>,
}

fn parse_modifiers(names: &[&str]) -> Result<Modifiers, ModifierError> {
    let mut modifiers = Modifiers::default();
    let set_position = |kind: TextKind, modifiers: &mut Modifiers| {
        if modifiers.position.is_some() {
            return Err(ModifierError::Invalid(
                "only one of 'contains', 'startswith' and 'endswith' may be given".to_owned(),
            ));
        }
        modifiers.position = Some(kind);
        Ok(())
    };
    for &name in names {
        match name {
            "all" => modifiers.all = true,
            "cased" => modifiers.cased = true,
            "neq" => modifiers.neq = true,
            "contains" => set_position(TextKind::Contains, &mut modifiers)?,
            "startswith" => set_position(TextKind::Prefix, &mut modifiers)?,
            "endswith" => set_position(TextKind::Suffix, &mut modifiers)?,
            "exists" => modifiers.exists = true,
            "re" => modifiers.regex = Some((false, false, false)),
            "i" | "m" | "s" => {
                let Some(flags) = modifiers.regex.as_mut() else {
                    return Err(ModifierError::Invalid(format!(
                        "the regex flag '{name}' must follow 're'"
                    )));
                };
                match name {
                    "i" => flags.0 = true,
                    "m" => flags.1 = true,
                    _ => flags.2 = true,
                }
            }
            "cidr" => modifiers.cidr = true,
            "fieldref" => modifiers.fieldref = true,
            "expand" => modifiers.expand = true,
            "lt" => modifiers.comparison = Some(Comparison::Lt),
            "lte" => modifiers.comparison = Some(Comparison::Lte),
            "gt" => modifiers.comparison = Some(Comparison::Gt),
            "gte" => modifiers.comparison = Some(Comparison::Gte),
            "minute" => modifiers.time = Some(TimePart::Minute),
            "hour" => modifiers.time = Some(TimePart::Hour),
            "day" => modifiers.time = Some(TimePart::Day),
            "week" => modifiers.time = Some(TimePart::Week),
            "month" => modifiers.time = Some(TimePart::Month),
            "year" => modifiers.time = Some(TimePart::Year),
            "windash" | "base64" | "base64offset" | "utf16le" | "utf16be" | "utf16" | "wide" => {
                modifiers.transforms.push(name.to_owned());
            }
            other => {
                return Err(ModifierError::Unsupported(format!(
                    "unknown modifier '{other}'"
                )));
            }
        }
    }
    Ok(modifiers)
}

/// Compiles one field item.
///
/// `field` is the Sigma field name (`None` for keywords), `modifier_names` the modifiers in the
/// order written and `values` the item's values. `placeholders` supplies the values of
/// `%name%` placeholders for `expand`.
pub fn compile_item(
    field: Option<&str>,
    modifier_names: &[&str],
    values: &[RuleValue],
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<FieldItem, ModifierError> {
    let modifiers = parse_modifiers(modifier_names)?;
    if values.is_empty() {
        return Err(ModifierError::Invalid("the value list is empty".to_owned()));
    }
    let mut compiled = Vec::with_capacity(values.len());
    for value in values {
        compiled.push(compile_value(
            field.is_none(),
            &modifiers,
            value,
            placeholders,
        )?);
    }
    Ok(FieldItem {
        field: field.map(str::to_owned),
        field_index: 0,
        values: compiled,
        all: modifiers.all,
        negate: modifiers.neq,
    })
}

fn compile_value(
    keyword: bool,
    modifiers: &Modifiers,
    value: &RuleValue,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Alternatives, ModifierError> {
    let text = match value {
        RuleValue::Null => {
            if modifiers.exists || modifiers.regex.is_some() || modifiers.cidr {
                return Err(ModifierError::Invalid(
                    "null cannot be used with this modifier".to_owned(),
                ));
            }
            return Ok(vec![Matcher::Null]);
        }
        RuleValue::Text(text) => text,
    };
    if modifiers.exists {
        return match text.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(vec![Matcher::Exists(true)]),
            "false" | "no" => Ok(vec![Matcher::Exists(false)]),
            _ => Err(ModifierError::Invalid(format!(
                "'exists' takes true or false, not '{text}'"
            ))),
        };
    }
    if let Some((insensitive, multi_line, dot_all)) = modifiers.regex {
        let regex = RegexBuilder::new(text)
            .case_insensitive(insensitive)
            .multi_line(multi_line)
            .dot_matches_new_line(dot_all)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|error| {
                ModifierError::Unsupported(format!(
                    "regex '{text}' does not compile: {}",
                    first_line(&error.to_string())
                ))
            })?;
        return Ok(vec![Matcher::Regex(regex)]);
    }
    if modifiers.cidr {
        return parse_cidr(text).map(|m| vec![m]);
    }
    if modifiers.fieldref {
        return Ok(vec![Matcher::FieldRef {
            field: text.clone(),
            cased: modifiers.cased,
        }]);
    }
    if let Some(part) = modifiers.time {
        let number = parse_number(text)?;
        return Ok(vec![Matcher::Time {
            part,
            op: modifiers.comparison.unwrap_or(Comparison::Eq),
            number,
        }]);
    }
    if let Some(op) = modifiers.comparison {
        let number = parse_number(text)?;
        return Ok(vec![Matcher::Compare { op, number }]);
    }
    // Glexia does not store empty values, so an empty value in a rule means the field is
    // empty or absent, as `null` does.
    if text.is_empty()
        && !keyword
        && modifiers.position.is_none()
        && modifiers.transforms.is_empty()
    {
        return Ok(vec![Matcher::Null]);
    }
    let expanded = if modifiers.expand {
        expand(text, placeholders)?
    } else {
        vec![text.clone()]
    };
    let mut alternatives = Vec::new();
    for text in expanded {
        let mut forms = vec![parse_sigma_string(&text)];
        for transform in &modifiers.transforms {
            forms = apply_transform(transform, forms)?;
        }
        // A keyword without position modifiers may occur anywhere in the event's text.
        let position = modifiers.position.or(keyword.then_some(TextKind::Contains));
        for mut pieces in forms {
            match position {
                Some(TextKind::Contains) => {
                    pieces.insert(0, Piece::Star);
                    pieces.push(Piece::Star);
                }
                Some(TextKind::Prefix) => pieces.push(Piece::Star),
                Some(TextKind::Suffix) => pieces.insert(0, Piece::Star),
                Some(TextKind::Exact) | None => {}
            }
            alternatives.push(compile_pieces(&pieces, modifiers.cased)?);
        }
    }
    Ok(alternatives)
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or("")
        .to_owned()
}

fn apply_transform(name: &str, forms: Vec<Vec<Piece>>) -> Result<Vec<Vec<Piece>>, ModifierError> {
    let mut out = Vec::with_capacity(forms.len());
    for pieces in forms {
        match name {
            "windash" => out.push(windash(pieces)),
            "base64" => {
                let bytes = literal_only(&pieces, name)?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                out.push(vec![Piece::Literal(encoded.into_bytes())]);
            }
            "base64offset" => {
                let bytes = literal_only(&pieces, name)?;
                for form in base64_offsets(&bytes) {
                    out.push(vec![Piece::Literal(form)]);
                }
            }
            "utf16le" | "wide" | "utf16be" | "utf16" => {
                let bytes = literal_only(&pieces, name)?;
                let encoded = match name {
                    "utf16be" => utf16(&bytes, false, false),
                    "utf16" => utf16(&bytes, true, true),
                    _ => utf16(&bytes, true, false),
                };
                out.push(vec![Piece::Literal(encoded)]);
            }
            other => {
                return Err(ModifierError::Unsupported(format!(
                    "unknown modifier '{other}'"
                )));
            }
        }
    }
    Ok(out)
}

/// Replaces each `%name%` with every value the placeholder has; `\%` is a plain percent sign.
fn expand(
    text: &str,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<String>, ModifierError> {
    let mut results = vec![String::new()];
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\%") {
            for result in &mut results {
                result.push('%');
            }
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('%')
            && let Some((name, after_name)) = after.split_once('%')
        {
            let Some(values) = placeholders.get(name) else {
                return Err(ModifierError::Unsupported(format!(
                    "placeholder '%{name}%' has no values; give them in a placeholders file"
                )));
            };
            let mut next = Vec::with_capacity(results.len() * values.len());
            for result in &results {
                for value in values {
                    next.push(format!("{result}{value}"));
                }
            }
            results = next;
            rest = after_name;
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            for result in &mut results {
                result.push(c);
            }
        }
        rest = chars.as_str();
    }
    Ok(results)
}

fn parse_number(text: &str) -> Result<f64, ModifierError> {
    let trimmed = text.trim();
    let parsed = if let Some(hex) = trimmed.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok().map(|n| n as f64)
    } else {
        trimmed.parse::<f64>().ok()
    };
    parsed.ok_or_else(|| ModifierError::Invalid(format!("'{text}' is not a number")))
}

fn parse_cidr(text: &str) -> Result<Matcher, ModifierError> {
    let invalid = || ModifierError::Invalid(format!("'{text}' is not a CIDR network"));
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let network: IpAddr = address.trim().parse().map_err(|_| invalid())?;
    let max = if network.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(prefix) => prefix.trim().parse::<u8>().map_err(|_| invalid())?,
        None => max,
    };
    if prefix > max {
        return Err(invalid());
    }
    Ok(Matcher::Cidr { network, prefix })
}

/// Returns whether `address` lies in `network/prefix`.
pub fn in_network(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn compile_pieces(pieces: &[Piece], cased: bool) -> Result<Matcher, ModifierError> {
    let mut collapsed: Vec<Piece> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        if *piece == Piece::Star && collapsed.last() == Some(&Piece::Star) {
            continue;
        }
        collapsed.push(piece.clone());
    }
    let pieces = collapsed.as_slice();
    let literal = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if cased { text } else { text.to_lowercase() }
    };
    match pieces {
        [] => Ok(Matcher::Text {
            kind: TextKind::Exact,
            needle: String::new(),
            cased,
        }),
        [Piece::Star] => Ok(Matcher::Any),
        [Piece::Literal(bytes)] => Ok(Matcher::Text {
            kind: TextKind::Exact,
            needle: literal(bytes),
            cased,
        }),
        [Piece::Literal(bytes), Piece::Star] => Ok(Matcher::Text {
            kind: TextKind::Prefix,
            needle: literal(bytes),
            cased,
        }),
        [Piece::Star, Piece::Literal(bytes)] => Ok(Matcher::Text {
            kind: TextKind::Suffix,
            needle: literal(bytes),
            cased,
        }),
        [Piece::Star, Piece::Literal(bytes), Piece::Star] => Ok(Matcher::Text {
            kind: TextKind::Contains,
            needle: literal(bytes),
            cased,
        }),
        _ => {
            let mut pattern = String::from("^");
            for piece in pieces {
                match piece {
                    Piece::Literal(bytes) => {
                        pattern.push_str(&regex::escape(&String::from_utf8_lossy(bytes)));
                    }
                    Piece::Star => pattern.push_str(".*"),
                    Piece::Question => pattern.push('.'),
                    Piece::Dash => pattern.push_str("[-/\u{2013}\u{2014}\u{2015}]"),
                }
            }
            pattern.push('$');
            let regex = RegexBuilder::new(&pattern)
                .case_insensitive(!cased)
                .dot_matches_new_line(true)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|error| {
                    ModifierError::Unsupported(format!("pattern too large: {error}"))
                })?;
            Ok(Matcher::Regex(regex))
        }
    }
}

/// A field value as text, with its lowercase form computed once and shared by every matcher.
pub struct TextValue<'a> {
    raw: &'a str,
    lower: std::cell::OnceCell<std::rc::Rc<str>>,
}

impl<'a> TextValue<'a> {
    /// Wraps a value.
    pub fn new(raw: &'a str) -> Self {
        TextValue {
            raw,
            lower: std::cell::OnceCell::new(),
        }
    }

    /// Wraps a value whose lowercase form is already known.
    pub fn with_lower(raw: &'a str, lower: std::rc::Rc<str>) -> Self {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(lower);
        TextValue { raw, lower: cell }
    }

    /// Returns the value as stored.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Returns the value in lowercase, computed on first use.
    pub fn lower(&self) -> &str {
        self.lower
            .get_or_init(|| std::rc::Rc::from(self.raw.to_lowercase()))
    }
}

impl Matcher {
    /// Compares one present field value; `Exists`, `Null` and `FieldRef` are decided by the
    /// evaluator, which reads the whole event, and return `false` here.
    pub fn matches_text(&self, value: &TextValue<'_>) -> bool {
        match self {
            Matcher::Text {
                kind,
                needle,
                cased,
            } => {
                let haystack = if *cased { value.raw() } else { value.lower() };
                match kind {
                    TextKind::Exact => haystack == needle,
                    TextKind::Prefix => haystack.starts_with(needle.as_str()),
                    TextKind::Suffix => haystack.ends_with(needle.as_str()),
                    TextKind::Contains => haystack.contains(needle.as_str()),
                }
            }
            Matcher::Any => true,
            Matcher::Regex(regex) => regex.is_match(value.raw()),
            Matcher::Cidr { network, prefix } => value
                .raw()
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|address| in_network(address, *network, *prefix)),
            Matcher::Compare { op, number } => {
                parse_number(value.raw()).is_ok_and(|n| op.holds(n, *number))
            }
            Matcher::Time { part, op, number } => {
                time_part(value.raw(), *part).is_some_and(|n| op.holds(f64::from(n), *number))
            }
            Matcher::Exists(_) | Matcher::Null | Matcher::FieldRef { .. } => false,
        }
    }
}

/// Extracts a part of a date written as RFC 3339 or `YYYY-MM-DD hh:mm:ss[.fff]` (read as UTC).
pub fn time_part(text: &str, part: TimePart) -> Option<u32> {
    use chrono::{Datelike, Timelike};
    let text = text.trim();
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok())
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(match part {
        TimePart::Minute => time.minute(),
        TimePart::Hour => time.hour(),
        TimePart::Day => time.day(),
        TimePart::Week => time.iso_week().week(),
        TimePart::Month => time.month(),
        TimePart::Year => u32::try_from(time.year()).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(field: &str, modifiers: &[&str], values: &[&str]) -> FieldItem {
        let values: Vec<RuleValue> = values
            .iter()
            .map(|v| RuleValue::Text((*v).to_owned()))
            .collect();
        match compile_item(Some(field), modifiers, &values, &HashMap::new()) {
            Ok(item) => item,
            Err(error) => panic!("{field}|{modifiers:?}: {error}"),
        }
    }

    /// Returns whether any alternative of the item's first value matches `text`.
    fn first_matches(item: &FieldItem, text: &str) -> bool {
        let value = TextValue::new(text);
        item.values[0].iter().any(|m| m.matches_text(&value))
    }

    #[test]
    fn plain_value_is_exact_and_ignores_case() {
        let plain = item("Image", &[], &["C:\\Windows\\cmd.exe"]);
        assert!(first_matches(&plain, "c:\\windows\\CMD.EXE"));
        assert!(!first_matches(&plain, "c:\\windows\\cmd.exe2"));
    }

    #[test]
    fn contains_startswith_endswith() {
        assert!(first_matches(
            &item("f", &["contains"], &["Mimi"]),
            "x mimikatz y"
        ));
        assert!(!first_matches(
            &item("f", &["contains"], &["Mimi"]),
            "x mim y"
        ));
        assert!(first_matches(
            &item("f", &["startswith"], &["adm_"]),
            "ADM_joe"
        ));
        assert!(!first_matches(
            &item("f", &["startswith"], &["adm_"]),
            "x_adm_joe"
        ));
        assert!(first_matches(
            &item("f", &["endswith"], &["\\cmd.exe"]),
            "C:\\x\\Cmd.exe"
        ));
        assert!(!first_matches(
            &item("f", &["endswith"], &["\\cmd.exe"]),
            "C:\\x\\cmd.exe.bak"
        ));
    }

    #[test]
    fn wildcards_and_escapes() {
        let pattern = item("f", &[], &["prog?.exe"]);
        assert!(first_matches(&pattern, "progA.exe"));
        assert!(!first_matches(&pattern, "progAB.exe"));
        let star = item("f", &[], &["a*z"]);
        assert!(first_matches(&star, "abcz"));
        let escaped = item("f", &[], &["a\\*z"]);
        assert!(first_matches(&escaped, "a*z"));
        assert!(!first_matches(&escaped, "abz"));
        // `\\*` is a backslash followed by a wildcard.
        let backslash_star = item("f", &[], &["C:\\\\*"]);
        assert!(first_matches(&backslash_star, "C:\\anything"));
        // A single backslash before another character is literal.
        let path = item("f", &[], &["C:\\Windows"]);
        assert!(first_matches(&path, "C:\\Windows"));
        assert_eq!(
            parse_sigma_string("\\\\\\*"),
            vec![Piece::Literal(b"\\*".to_vec())]
        );
        assert_eq!(
            parse_sigma_string("\\\\\\\\"),
            vec![Piece::Literal(b"\\\\".to_vec())]
        );
    }

    #[test]
    fn all_sets_the_flag() {
        let all = item("CommandLine", &["contains", "all"], &["a", "b"]);
        assert!(all.all);
        assert_eq!(all.values.len(), 2);
    }

    #[test]
    fn regex_and_flags() {
        let cased = item("f", &["re"], &["^Evil[0-9]+$"]);
        assert!(first_matches(&cased, "Evil42"));
        assert!(!first_matches(&cased, "evil42"));
        let insensitive = item("f", &["re", "i"], &["^evil$"]);
        assert!(first_matches(&insensitive, "EVIL"));
        let multi_line = item("f", &["re", "m"], &["^b$"]);
        assert!(first_matches(&multi_line, "a\nb\nc"));
        assert!(!first_matches(&item("f", &["re"], &["^b$"]), "a\nb\nc"));
        let dot_all = item("f", &["re", "s"], &["a.b"]);
        assert!(first_matches(&dot_all, "a\nb"));
        assert!(!first_matches(&item("f", &["re"], &["a.b"]), "a\nb"));
        let lookahead = compile_item(
            Some("f"),
            &["re"],
            &[RuleValue::Text("a(?=b)".to_owned())],
            &HashMap::new(),
        );
        assert!(matches!(lookahead, Err(ModifierError::Unsupported(_))));
        let flag_alone = compile_item(
            Some("f"),
            &["i"],
            &[RuleValue::Text("a".to_owned())],
            &HashMap::new(),
        );
        assert!(matches!(flag_alone, Err(ModifierError::Invalid(_))));
    }

    #[test]
    fn cidr_v4_and_v6() {
        let v4 = item("ip", &["cidr"], &["10.0.0.0/8"]);
        assert!(first_matches(&v4, "10.20.30.40"));
        assert!(!first_matches(&v4, "11.0.0.1"));
        assert!(!first_matches(&v4, "not an ip"));
        let v6 = item("ip", &["cidr"], &["fe80::/10"]);
        assert!(first_matches(&v6, "fe80::1"));
        assert!(!first_matches(&v6, "2001:db8::1"));
        let zero = item("ip", &["cidr"], &["0.0.0.0/0"]);
        assert!(first_matches(&zero, "8.8.8.8"));
    }

    #[test]
    fn base64_encodes() {
        let encoded = item("f", &["base64"], &["cmd"]);
        assert!(first_matches(&encoded, "Y21k"));
        let contained = item("f", &["base64", "contains"], &["cmd"]);
        assert!(first_matches(&contained, "xxY21kxx"));
    }

    #[test]
    fn base64offset_finds_every_alignment() {
        let offsets = item("f", &["base64offset", "contains"], &["http://"]);
        assert_eq!(offsets.values[0].len(), 3);
        for prefix in ["", "a", "ab", "abc"] {
            let text = format!("{prefix}http://evil");
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            assert!(first_matches(&offsets, &encoded), "{prefix:?} {encoded}");
        }
        assert!(!first_matches(&offsets, "ZXZpbA=="));
    }

    #[test]
    fn utf16_encodings() {
        assert_eq!(utf16(b"cmd", true, false), vec![0x63, 0, 0x6d, 0, 0x64, 0]);
        assert_eq!(utf16(b"cmd", false, false), vec![0, 0x63, 0, 0x6d, 0, 0x64]);
        assert_eq!(utf16(b"cmd", true, true)[..2], [0xFF, 0xFE]);
        // `wide` then `base64offset`, as PowerShell's -EncodedCommand is written.
        let wide = item("f", &["wide", "base64offset", "contains"], &["IEX"]);
        let command = utf16(b"xIEX (New-Object", true, false);
        let encoded = base64::engine::general_purpose::STANDARD.encode(command);
        assert!(first_matches(&wide, &encoded));
        let be = item("f", &["utf16be", "base64"], &["a"]);
        assert!(first_matches(&be, "AGE="));
        let bom = item("f", &["utf16", "base64"], &["a"]);
        assert!(first_matches(&bom, "//5hAA=="));
    }

    #[test]
    fn windash_takes_every_dash() {
        let dash = item("CommandLine", &["contains", "windash"], &["-enc "]);
        for form in [
            "x -enc y",
            "x /enc y",
            "x \u{2013}enc y",
            "x \u{2014}enc y",
            "x \u{2015}enc y",
        ] {
            assert!(first_matches(&dash, form), "{form}");
        }
        assert!(!first_matches(&dash, "x +enc y"));
    }

    #[test]
    fn numeric_comparisons() {
        assert!(first_matches(&item("n", &["lt"], &["10"]), "9"));
        assert!(!first_matches(&item("n", &["lt"], &["10"]), "10"));
        assert!(first_matches(&item("n", &["lte"], &["10"]), "10"));
        assert!(first_matches(&item("n", &["gt"], &["10"]), "10.5"));
        assert!(!first_matches(&item("n", &["gt"], &["10"]), "abc"));
        assert!(first_matches(&item("n", &["gte"], &["0x10"]), "16"));
        let bad = compile_item(
            Some("n"),
            &["gt"],
            &[RuleValue::Text("x".to_owned())],
            &HashMap::new(),
        );
        assert!(matches!(bad, Err(ModifierError::Invalid(_))));
    }

    #[test]
    fn exists_cased_neq_fieldref_flags() {
        let exists = item("f", &["exists"], &["true"]);
        assert!(matches!(exists.values[0][0], Matcher::Exists(true)));
        let absent = item("f", &["exists"], &["false"]);
        assert!(matches!(absent.values[0][0], Matcher::Exists(false)));
        let cased = item("f", &["cased"], &["Evil"]);
        assert!(first_matches(&cased, "Evil"));
        assert!(!first_matches(&cased, "evil"));
        let neq = item("f", &["neq"], &["a"]);
        assert!(neq.negate);
        let fieldref = item("TargetFilename", &["fieldref"], &["Image"]);
        assert!(
            matches!(&fieldref.values[0][0], Matcher::FieldRef { field, .. } if field == "Image")
        );
    }

    #[test]
    fn time_parts() {
        let stamp = "2024-03-05 22:41:07.123";
        assert_eq!(time_part(stamp, TimePart::Minute), Some(41));
        assert_eq!(time_part(stamp, TimePart::Hour), Some(22));
        assert_eq!(time_part(stamp, TimePart::Day), Some(5));
        assert_eq!(time_part(stamp, TimePart::Week), Some(10));
        assert_eq!(time_part(stamp, TimePart::Month), Some(3));
        assert_eq!(time_part(stamp, TimePart::Year), Some(2024));
        assert_eq!(time_part("2024-03-05T22:41:07Z", TimePart::Hour), Some(22));
        assert!(first_matches(&item("t", &["hour"], &["22"]), stamp));
        assert!(first_matches(&item("t", &["hour", "gte"], &["20"]), stamp));
        assert!(!first_matches(&item("t", &["hour", "lt"], &["20"]), stamp));
        assert!(!first_matches(
            &item("t", &["minute"], &["1"]),
            "not a date"
        ));
    }

    #[test]
    fn expand_uses_placeholders() {
        let mut placeholders = HashMap::new();
        placeholders.insert(
            "Admins".to_owned(),
            vec!["adm_*".to_owned(), "root".to_owned()],
        );
        let values = [RuleValue::Text("%Admins%".to_owned())];
        let expanded = compile_item(Some("User"), &["expand"], &values, &placeholders);
        let Ok(expanded) = expanded else {
            panic!("{expanded:?}");
        };
        assert_eq!(expanded.values[0].len(), 2);
        assert!(first_matches(&expanded, "ADM_joe"));
        assert!(first_matches(&expanded, "root"));
        assert!(!first_matches(&expanded, "guest"));
        let escaped = expand("\\%plain%Admins%", &placeholders);
        assert_eq!(
            escaped,
            Ok(vec!["%plainadm_*".to_owned(), "%plainroot".to_owned()])
        );
        let missing = compile_item(
            Some("User"),
            &["expand"],
            &[RuleValue::Text("%Nope%".to_owned())],
            &placeholders,
        );
        assert!(matches!(missing, Err(ModifierError::Unsupported(_))));
        // Without `expand`, a percent sign is literal.
        assert!(first_matches(&item("f", &[], &["%Admins%"]), "%admins%"));
    }

    #[test]
    fn unknown_modifier_is_unsupported() {
        let unknown = compile_item(
            Some("f"),
            &["bogus"],
            &[RuleValue::Text("a".to_owned())],
            &HashMap::new(),
        );
        assert!(matches!(unknown, Err(ModifierError::Unsupported(_))));
    }

    #[test]
    fn lone_star_matches_anything() {
        assert!(first_matches(&item("f", &[], &["*"]), "x"));
        assert!(first_matches(&item("f", &["contains"], &["*"]), ""));
    }
}
