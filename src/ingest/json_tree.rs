//! A JSON tree that borrows its strings from the input, and a view shared with
//! `serde_json::Value` so that one mapper reads either.
//!
//! Parsing a record into [`JsonNode`] instead of `Value` spares a `String` per key and per
//! unescaped string and the hash table of every object. The tree keeps what `Value` keeps when
//! serde_json has `preserve_order`. Object keys stay in first-seen order, and a repeated key
//! keeps its first place with its last value. Numbers are `serde_json::Number`, and the tree
//! serializes to the same compact JSON text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

/// Objects with at least this many members find repeated keys through a hash table rather than
/// by comparing each new key with every earlier one.
const LINEAR_KEY_SEARCH_MAX: usize = 32;

/// One JSON value whose strings borrow from the parsed text when they contain no escape.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JsonNode<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<JsonNode<'a>>),
    /// Members in first-seen order, without repeated keys.
    Object(Vec<(Cow<'a, str>, JsonNode<'a>)>),
}

/// Read access to a JSON value, implemented by `serde_json::Value` and [`JsonNode`].
pub(crate) trait JsonView: Serialize + Sized {
    /// Iterator over an object's members in document order.
    type Members<'v>: Iterator<Item = (&'v str, &'v Self)>
    where
        Self: 'v;

    /// Returns the member `key` of an object, or `None` for a missing key or a non-object.
    fn get(&self, key: &str) -> Option<&Self>;
    /// Returns the members of an object, or `None` for any other value.
    fn members(&self) -> Option<Self::Members<'_>>;
    /// Returns the elements of an array, or `None` for any other value.
    fn elements(&self) -> Option<&[Self]>;
    /// Returns a string's text, or `None` for any other value.
    fn as_text(&self) -> Option<&str>;
    /// Returns a number, or `None` for any other value.
    fn as_number(&self) -> Option<&Number>;
    /// Returns a boolean, or `None` for any other value.
    fn as_boolean(&self) -> Option<bool>;

    /// Returns whether the value is an object.
    fn is_object(&self) -> bool {
        self.members().is_some()
    }

    /// Returns the value as compact JSON text, as `Value`'s `Display` writes it.
    fn to_compact_json(&self) -> String {
        // Serializing into memory fails only for non-string map keys, which JSON cannot have.
        serde_json::to_string(self).unwrap_or_default()
    }
}

type ValueMembers<'v> =
    std::iter::Map<serde_json::map::Iter<'v>, fn((&'v String, &'v Value)) -> (&'v str, &'v Value)>;

fn value_member<'v>((key, value): (&'v String, &'v Value)) -> (&'v str, &'v Value) {
    (key.as_str(), value)
}

impl JsonView for Value {
    type Members<'v> = ValueMembers<'v>;

    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }

    fn members(&self) -> Option<Self::Members<'_>> {
        let iter: ValueMembers<'_> = self.as_object()?.iter().map(value_member);
        Some(iter)
    }

    fn elements(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }

    fn as_text(&self) -> Option<&str> {
        self.as_str()
    }

    fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        self.as_bool()
    }
}

type NodeMembers<'v, 'a> = std::iter::Map<
    std::slice::Iter<'v, (Cow<'a, str>, JsonNode<'a>)>,
    fn(&'v (Cow<'a, str>, JsonNode<'a>)) -> (&'v str, &'v JsonNode<'a>),
>;

fn node_member<'v, 'a>(
    (key, value): &'v (Cow<'a, str>, JsonNode<'a>),
) -> (&'v str, &'v JsonNode<'a>) {
    (key.as_ref(), value)
}

impl<'a> JsonView for JsonNode<'a> {
    type Members<'v>
        = NodeMembers<'v, 'a>
    where
        Self: 'v;

    fn get(&self, key: &str) -> Option<&Self> {
        match self {
            JsonNode::Object(members) => members
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    fn members(&self) -> Option<Self::Members<'_>> {
        match self {
            JsonNode::Object(members) => {
                let iter: NodeMembers<'_, 'a> = members.iter().map(node_member);
                Some(iter)
            }
            _ => None,
        }
    }

    fn elements(&self) -> Option<&[Self]> {
        match self {
            JsonNode::Array(items) => Some(items),
            _ => None,
        }
    }

    fn as_text(&self) -> Option<&str> {
        match self {
            JsonNode::String(s) => Some(s),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<&Number> {
        match self {
            JsonNode::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self {
            JsonNode::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl Serialize for JsonNode<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JsonNode::Null => serializer.serialize_unit(),
            JsonNode::Bool(b) => serializer.serialize_bool(*b),
            JsonNode::Number(n) => n.serialize(serializer),
            JsonNode::String(s) => serializer.serialize_str(s),
            JsonNode::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsonNode::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(key.as_ref(), value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for JsonNode<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = JsonNode<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(JsonNode::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(JsonNode::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(JsonNode::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        // `Value` turns a float that JSON cannot hold into null the same way.
        Ok(Number::from_f64(value).map_or(JsonNode::Null, JsonNode::Number))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(JsonNode::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(JsonNode::String(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(JsonNode::String(Cow::Owned(value)))
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(JsonNode::Null)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(JsonNode::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsonNode::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, JsonNode<'de>)> = Vec::new();
        // Positions by key, filled only once the object is too large for a linear search.
        let mut positions: hashbrown::HashMap<String, usize> = hashbrown::HashMap::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value: JsonNode<'de> = map.next_value()?;
            let repeated = if members.len() < LINEAR_KEY_SEARCH_MAX {
                members.iter().position(|(name, _)| *name == key)
            } else {
                if positions.is_empty() {
                    for (index, (name, _)) in members.iter().enumerate() {
                        positions.insert(name.to_string(), index);
                    }
                }
                positions.get(key.as_ref()).copied()
            };
            match repeated.and_then(|index| members.get_mut(index)) {
                Some(member) => member.1 = value,
                None => {
                    if !positions.is_empty() {
                        positions.insert(key.to_string(), members.len());
                    }
                    members.push((key, value));
                }
            }
        }
        Ok(JsonNode::Object(members))
    }
}

/// Reads an object key, borrowing it when it has no escape.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` both ways and checks that the tree matches `Value` member by member and
    /// serializes to the same text.
    fn assert_same_as_value(text: &str) {
        let value: Value = serde_json::from_str(text).unwrap();
        let node: JsonNode<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(node.to_compact_json(), value.to_string(), "{text}");
        assert_views_equal(&node, &value, text);
    }

    fn assert_views_equal(node: &JsonNode<'_>, value: &Value, text: &str) {
        assert_eq!(node.as_text(), value.as_text(), "{text}");
        assert_eq!(node.as_number(), value.as_number(), "{text}");
        assert_eq!(node.as_boolean(), value.as_boolean(), "{text}");
        assert_eq!(node.is_object(), JsonView::is_object(value), "{text}");
        match (node.elements(), value.elements()) {
            (Some(nodes), Some(values)) => {
                assert_eq!(nodes.len(), values.len(), "{text}");
                for (node, value) in nodes.iter().zip(values) {
                    assert_views_equal(node, value, text);
                }
            }
            (nodes, values) => assert_eq!(nodes.is_some(), values.is_some(), "{text}"),
        }
        if let (Some(nodes), Some(values)) = (node.members(), value.members()) {
            let nodes: Vec<_> = nodes.collect();
            let values: Vec<_> = values.collect();
            assert_eq!(nodes.len(), values.len(), "{text}");
            for ((node_key, node_member), (value_key, value_member)) in
                nodes.into_iter().zip(values)
            {
                assert_eq!(node_key, value_key, "{text}");
                assert_views_equal(node_member, value_member, text);
                assert_eq!(
                    node.get(node_key).map(JsonView::to_compact_json),
                    JsonView::get(value, node_key).map(JsonView::to_compact_json),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn escapes_match_value() {
        for text in [
            r#"{"a\"b": "q\"uote", "path": "C:\\Windows\\cmd.exe"}"#,
            r#"{"name": "caf\u00e9", "caf\u00e9": 1}"#,
            r#"{"emoji": "\ud83d\ude00", "tab": "a\tb\nc\/d"}"#,
            r#"{"raw": "café ☕", "nul": "\u0000"}"#,
        ] {
            assert_same_as_value(text);
        }
    }

    #[test]
    fn escaped_strings_are_owned_and_plain_borrowed() {
        let node: JsonNode<'_> =
            serde_json::from_str(r#"{"plain": "abc", "esc\u0041ped": "x\u00e9"}"#).unwrap();
        let JsonNode::Object(members) = &node else {
            panic!("not an object: {node:?}");
        };
        assert!(matches!(members[0].0, Cow::Borrowed("plain")));
        assert!(matches!(
            &members[0].1,
            JsonNode::String(Cow::Borrowed("abc"))
        ));
        assert!(matches!(&members[1].0, Cow::Owned(key) if key == "escAped"));
        assert!(matches!(&members[1].1, JsonNode::String(Cow::Owned(s)) if s == "xé"));
    }

    #[test]
    fn numbers_match_value() {
        for text in [
            r#"{"int": 5112, "neg": -7, "zero": -0, "big": 18446744073709551615}"#,
            r#"{"float": 1.0, "exp": 1e3, "small": 2.5e-8, "as_text": "4624"}"#,
            r#"[0.1, 123456789012345678901234567890, -9223372036854775808]"#,
        ] {
            assert_same_as_value(text);
        }
    }

    #[test]
    fn repeated_keys_keep_first_place_last_value() {
        let text = r#"{"a": 1, "b": 2, "a": 3, "c": {"x": 1, "x": [true, null]}}"#;
        assert_same_as_value(text);
        let node: JsonNode<'_> = serde_json::from_str(text).unwrap();
        let keys: Vec<&str> = node.members().unwrap().map(|(key, _)| key).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(node.get("a").and_then(JsonView::as_number), Some(&3.into()));
    }

    #[test]
    fn repeated_keys_in_large_object() {
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{}\": {i}, ", i % 70));
        }
        text.push_str("\"k5\": \"last\"}");
        assert_same_as_value(&text);
        let node: JsonNode<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(node.members().unwrap().count(), 70);
        assert_eq!(node.get("k5").and_then(JsonView::as_text), Some("last"));
        assert_eq!(
            node.get("k10").and_then(JsonView::as_number),
            Some(&80.into())
        );
    }

    #[test]
    fn errors_match_value() {
        for text in [
            r#"{"a": "\ud800"}"#,
            r#"{"a": 1e400}"#,
            r#"{"a": }"#,
            r#"{"a": "\q"}"#,
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
        ] {
            let value = serde_json::from_str::<Value>(text).unwrap_err();
            let node = serde_json::from_str::<JsonNode<'_>>(text).unwrap_err();
            assert_eq!(node.to_string(), value.to_string(), "{text}");
        }
    }

    #[test]
    fn windows_mapping_same_from_tree_and_value() {
        use crate::ingest::windows::{map_event, map_tree};
        use crate::store::Origin;

        let text = r##"{"Event": {"System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "{5770385F}"}},
            "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 1},
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-02T00:01:22.613137Z"}},
            "EventRecordID": "77", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": "h\u00f4te", "Keywords": "0x8020000000000000",
            "Execution": {"#attributes": {"ProcessID": 4, "ThreadID": "8"}}},
          "EventData": {"Image": "C:\\Windows\\cert\"util.exe", "ProcessId": 5112,
            "CommandLine": "certutil \ud83d\ude00 -decode", "User": "CORP\\alice",
            "Hashes": "SHA256=AB,IMPHASH=CD", "Flag": true, "Empty": null,
            "Nested": {"a": 1.5, "b": [1, "x"]}, "Texted": {"#text": ["p", "q"]},
            "Image": "C:\\Windows\\certutil.exe"},
          "UserData": {"Op": {"#attributes": {"x": 1}, "Name": "n", "List": ["a", 2]}}}}"##;
        let origin = Origin {
            file: 0,
            record: 1,
            offset: Some(0),
        };
        let value: Value = serde_json::from_str(text).unwrap();
        let node: JsonNode<'_> = serde_json::from_str(text).unwrap();

        let from_value = map_event(&value, origin).unwrap();
        let from_tree = map_tree(&node, origin).unwrap();

        assert!(from_value.pending_fields().len() > 20);
        assert_eq!(from_tree.pending_fields(), from_value.pending_fields());
        assert_eq!(from_tree.timestamp(), from_value.timestamp());
    }

    #[test]
    fn windows_mapping_errors_same_from_tree() {
        use crate::ingest::windows::{map_event, map_tree};
        use crate::store::Origin;

        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        for text in [
            r#"{"Event": {"System": "x"}}"#,
            r#"{"Other": 1}"#,
            r##"{"Event": {"System": {"TimeCreated": {"#attributes": {"SystemTime": "soon"}}}}}"##,
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            let node: JsonNode<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(
                map_tree(&node, origin).unwrap_err(),
                map_event(&value, origin).unwrap_err(),
                "{text}"
            );
        }
    }
}
