//! [`Document`] for plain JSON values, for tests and for events that arrive as JSON.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::{Document, Value};

/// Reads fields by dotted path from nested objects: `a.b.c` finds `{"a": {"b": {"c": 1}}}`,
/// and a key that itself contains dots (`{"a.b": {"c": 1}}`) is found too. Array steps are
/// written `a.list[0]`.
///
/// The timestamp is the integer field `timestamp`, in nanoseconds since the Unix epoch, or
/// else the RFC 3339 string `@timestamp`; an event with neither has time 0.
impl Document for Json {
    fn field(&self, dotted: &str) -> Option<Value<'_>> {
        lookup(self, dotted).map(to_value)
    }

    fn timestamp(&self) -> i64 {
        if let Some(nanos) = self.get("timestamp").and_then(Json::as_i64) {
            return nanos;
        }
        self.get("@timestamp")
            .and_then(Json::as_str)
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
            .and_then(|time| time.timestamp_nanos_opt())
            .unwrap_or(0)
    }
}

fn lookup<'a>(value: &'a Json, path: &str) -> Option<&'a Json> {
    if path.is_empty() {
        return Some(value);
    }
    if let Some(found) = value.as_object().and_then(|object| object.get(path)) {
        return Some(found);
    }
    // Try every split point, longest first key, so keys holding dots are found too.
    for (offset, _) in path
        .match_indices('.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let Some((head, rest)) = path.get(..offset).zip(path.get(offset + 1..)) else {
            continue;
        };
        if let Some(found) = step(value, head).and_then(|inner| lookup(inner, rest)) {
            return Some(found);
        }
    }
    step(value, path)
}

/// Applies one path segment such as `name`, `name[0]` or `name[1][-1]`.
fn step<'a>(value: &'a Json, segment: &str) -> Option<&'a Json> {
    let split = segment
        .find('[')
        .and_then(|at| segment.split_at_checked(at));
    let (name, mut indexes) = match split {
        Some(parts) if segment.ends_with(']') => parts,
        _ => (segment, ""),
    };
    let mut current = if name.is_empty() {
        value
    } else {
        value.as_object()?.get(name)?
    };
    while let Some(rest) = indexes.strip_prefix('[') {
        let (number, after) = rest.split_once(']')?;
        let index: i64 = number.trim().parse().ok()?;
        let items = current.as_array()?;
        let length = i64::try_from(items.len()).ok()?;
        let position = if index < 0 { length + index } else { index };
        current = items.get(usize::try_from(position).ok()?)?;
        indexes = after;
    }
    Some(current)
}

fn to_value(json: &Json) -> Value<'_> {
    match json {
        Json::Null => Value::Null,
        Json::Bool(value) => Value::Bool(*value),
        Json::Number(number) => match number.as_i64() {
            Some(value) => Value::Int(value),
            None => number.as_f64().map_or(Value::Null, Value::Float),
        },
        Json::String(text) => Value::Str(Cow::Borrowed(text)),
        Json::Array(items) => Value::List(items.iter().map(to_value).collect()),
        Json::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, value)| (Cow::Borrowed(key.as_str()), to_value(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_nested_and_dotted_keys() {
        let event = json!({
            "process": {"parent": {"name": "cmd.exe"}},
            "winlog.event_data": {"CommandLine": "whoami"},
            "list": [{"a": 1}, {"a": 2}],
        });
        assert_eq!(
            event.field("process.parent.name"),
            Some(Value::Str("cmd.exe".into()))
        );
        assert_eq!(
            event.field("winlog.event_data.CommandLine"),
            Some(Value::Str("whoami".into()))
        );
        assert_eq!(event.field("list[1].a"), Some(Value::Int(2)));
        assert_eq!(event.field("list[-1].a"), Some(Value::Int(2)));
        assert_eq!(event.field("list[5].a"), None);
        assert_eq!(event.field("process.missing"), None);
    }

    #[test]
    fn reads_either_timestamp_form() {
        assert_eq!(json!({"timestamp": 42}).timestamp(), 42);
        assert_eq!(
            json!({"@timestamp": "1970-01-01T00:00:01Z"}).timestamp(),
            1_000_000_000
        );
        assert_eq!(json!({}).timestamp(), 0);
    }
}
