//! Typed tunables: the ATT&CK mutable elements of an analytic, with values substituted into its
//! query as EQL literals.

use super::TunableFile;

/// The type of a tunable's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunableKind {
    /// A time span such as `5m`, rendered as an EQL duration for `maxspan`.
    Duration,
    /// A number, whole or with a fraction such as an entropy threshold.
    Number,
    /// A list of strings, rendered as an EQL list `("a", "b")`.
    List,
    /// One string, rendered as an EQL string literal.
    Text,
}

impl TunableKind {
    fn parse(kind: &str) -> Option<TunableKind> {
        match kind {
            "duration" => Some(TunableKind::Duration),
            "number" => Some(TunableKind::Number),
            "list" => Some(TunableKind::List),
            "text" => Some(TunableKind::Text),
            _ => None,
        }
    }

    /// The kind's name as written in analytic files.
    pub fn name(self) -> &'static str {
        match self {
            TunableKind::Duration => "duration",
            TunableKind::Number => "number",
            TunableKind::List => "list",
            TunableKind::Text => "text",
        }
    }
}

/// A tunable's current value.
#[derive(Clone, Debug, PartialEq)]
pub enum TunableValue {
    /// A duration in milliseconds.
    Duration(u64),
    /// A number; whole numbers render without a fraction.
    Number(f64),
    /// A list of strings.
    List(Vec<String>),
    /// One string.
    Text(String),
}

/// One tunable of an analytic.
#[derive(Clone, Debug, PartialEq)]
pub struct Tunable {
    /// The ATT&CK mutable element it implements, such as `TimeWindow`, or a name of its own.
    pub name: String,
    /// The value's type.
    pub kind: TunableKind,
    /// The current value.
    pub value: TunableValue,
    /// The value shipped in the analytic file.
    pub default: TunableValue,
    /// One line on what the value changes.
    pub help: String,
    /// Whether ATT&CK lists it as a mutable element of the analytic; `false` marks a knob of
    /// Glexia's own, such as the threshold behind a statistic.
    pub mutable_element: bool,
}

impl Tunable {
    pub(super) fn resolve(name: &str, file: &TunableFile) -> Result<Tunable, String> {
        let kind = TunableKind::parse(&file.kind).ok_or_else(|| {
            format!(
                "kind '{}' is not one of duration, number, list, text",
                file.kind
            )
        })?;
        let value = match (kind, &file.default) {
            (TunableKind::Duration, toml::Value::String(s)) => {
                TunableValue::Duration(parse_duration(s)?)
            }
            // NOTE: integers beyond 2^53 lose precision as f64; thresholds are far smaller.
            (TunableKind::Number, toml::Value::Integer(n)) => TunableValue::Number(*n as f64),
            (TunableKind::Number, toml::Value::Float(x)) if x.is_finite() => {
                TunableValue::Number(*x)
            }
            (TunableKind::Text, toml::Value::String(s)) => TunableValue::Text(s.clone()),
            (TunableKind::List, toml::Value::Array(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        toml::Value::String(s) => list.push(s.clone()),
                        other => {
                            return Err(format!("list items must be strings, found '{other}'"));
                        }
                    }
                }
                TunableValue::List(list)
            }
            (kind, other) => {
                return Err(format!(
                    "default '{other}' does not fit kind '{}'",
                    kind.name()
                ));
            }
        };
        Ok(Tunable {
            name: name.to_owned(),
            kind,
            default: value.clone(),
            value,
            help: file.help.clone(),
            mutable_element: file.mutable_element,
        })
    }
}

impl TunableValue {
    /// Parses a value typed by a person: durations as `90s`, lists comma-separated.
    pub fn parse(kind: TunableKind, text: &str) -> Result<TunableValue, String> {
        let text = text.trim();
        match kind {
            TunableKind::Duration => parse_duration(text).map(TunableValue::Duration),
            TunableKind::Number => text
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(TunableValue::Number)
                .ok_or_else(|| format!("'{text}' is not a number")),
            TunableKind::List => Ok(TunableValue::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )),
            TunableKind::Text => Ok(TunableValue::Text(text.to_owned())),
        }
    }

    /// Renders the value as EQL source.
    ///
    /// An empty list renders as `("")`. The store never keeps empty strings, so the list then
    /// matches no event, which is what an empty allowlist or blocklist means.
    pub fn to_eql(&self) -> String {
        match self {
            TunableValue::Duration(ms) => format_duration(*ms),
            TunableValue::Number(x) => format_number(*x),
            TunableValue::Text(s) => quote(s),
            TunableValue::List(items) if items.is_empty() => "(\"\")".to_owned(),
            TunableValue::List(items) => {
                let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
                format!("({})", quoted.join(", "))
            }
        }
    }

    /// Renders the value as a person would type it.
    pub fn to_text(&self) -> String {
        match self {
            TunableValue::Duration(ms) => format_duration(*ms),
            TunableValue::Number(x) => format_number(*x),
            TunableValue::Text(s) => s.clone(),
            TunableValue::List(items) => items.join(", "),
        }
    }
}

/// Formats a number as an EQL literal: `2` for whole numbers, `4.5` otherwise.
fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// Replaces each `{{Name}}` in `template` with the named tunable's EQL rendering.
pub(super) fn substitute(template: &str, tunables: &[Tunable]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some((before, after)) = rest.split_once("{{") {
        out.push_str(before);
        let (name, after_close) = after
            .split_once("}}")
            .ok_or_else(|| "'{{' without a closing '}}'".to_owned())?;
        let name = name.trim();
        let tunable = tunables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| format!("placeholder '{{{{{name}}}}}' names no tunable"))?;
        out.push_str(&tunable.value.to_eql());
        rest = after_close;
    }
    out.push_str(rest);
    Ok(out)
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Parses `500ms`, `30s`, `5m`, `2h` or `1d` into milliseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration such as '30s', '5m' or '2h'"))?;
    let scale = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
        .ok_or_else(|| format!("'{text}' has no unit; use ms, s, m, h or d"))?;
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("'{text}' is too long a duration"))
}

/// Formats milliseconds with the largest unit that divides them exactly.
pub fn format_duration(ms: u64) -> String {
    for (name, scale) in UNITS.iter().rev() {
        if ms.is_multiple_of(*scale) && ms >= *scale {
            return format!("{}{name}", ms / scale);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_round_trip() {
        assert_eq!(parse_duration("90s"), Ok(90_000));
        assert_eq!(format_duration(90_000), "90s");
        assert_eq!(format_duration(120_000), "2m");
        assert_eq!(format_duration(0), "0ms");
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn list_renders_escaped() {
        let value = TunableValue::List(vec![r"*\Run\*".into(), "a\"b".into()]);
        assert_eq!(value.to_eql(), r#"("*\\Run\\*", "a\"b")"#);
        assert_eq!(TunableValue::List(vec![]).to_eql(), "(\"\")");
    }

    #[test]
    fn number_takes_fractions() {
        let whole = TunableValue::parse(TunableKind::Number, " 2 ").expect("whole number");
        let fraction = TunableValue::parse(TunableKind::Number, "4.5").expect("fraction");

        assert_eq!(whole.to_eql(), "2");
        assert_eq!(fraction.to_eql(), "4.5");
        assert_eq!(fraction.to_text(), "4.5");
        assert!(TunableValue::parse(TunableKind::Number, "4,5").is_err());
        assert!(TunableValue::parse(TunableKind::Number, "inf").is_err());
    }

    #[test]
    fn substitute_reports_unknown_placeholder() {
        let error = substitute("a {{Nope}} b", &[]).expect_err("no such tunable");
        assert!(error.contains("Nope"), "{error}");
        assert!(substitute("a {{ b", &[]).is_err());
    }
}
