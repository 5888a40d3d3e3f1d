//! A YAML tree with source positions, built from `saphyr-parser` events.
//!
//! Sigma needs two things a serde deserializer hides. The first is the line of every key, so
//! that a problem is reported where it is written. The second is each scalar as written,
//! because `0x17`, `4688` and `'4688'` are all strings to Sigma while YAML 1.2 would turn the
//! first two into integers.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A position in a YAML file, 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// The line, counting from 1.
    pub line: usize,
    /// The column, counting from 1.
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A YAML node and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The node's start position.
    pub position: Position,
    /// The node's content.
    pub value: NodeValue,
}

/// A node's content.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    /// A scalar as written, and whether it was quoted (a quoted scalar is always a string).
    Scalar {
        /// The scalar's text after YAML unescaping.
        text: String,
        /// Whether the scalar was written in quotes or as a block scalar.
        quoted: bool,
    },
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping in the order written, keys as text.
    Mapping(Vec<(String, Node)>),
}

/// A YAML syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid YAML at {position}: {message}")]
pub struct YamlError {
    /// The position at which the parser stopped.
    pub position: Position,
    /// The parser's message.
    pub message: String,
}

impl Node {
    /// Returns the scalar text of a scalar node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Returns whether the node is an unquoted `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar { text, quoted: false }
            if text.is_empty() || text == "~" || text.eq_ignore_ascii_case("null"))
    }

    /// Returns the value of `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Mapping(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Returns the entries of a mapping node.
    pub fn entries(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            NodeValue::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// Returns the items of a sequence node.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// Returns the node's kind for messages: `a scalar`, `a list` or `a mapping`.
    pub fn kind(&self) -> &'static str {
        match self.value {
            NodeValue::Scalar { .. } => "a scalar",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Mapping(_) => "a mapping",
        }
    }
}

fn position(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// Returns the position just after the last character of `text`.
fn end_of_text(text: &str) -> Position {
    // YAML ends a line at `\n`, `\r\n` or a lone `\r`.
    let mut end = Position { line: 1, column: 1 };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
            end.line += 1;
            end.column = 1;
        } else if c != '\r' {
            end.column += 1;
        }
    }
    end
}

/// Moves a position on a line after `end` back to `end`.
///
/// The parser can report an error at the end of the input on the line after the last one
/// when the text does not end with a line break, and a message should name a line the file
/// has.
fn within_text(position: Position, end: Position) -> Position {
    if position.line > end.line {
        end
    } else {
        position
    }
}

/// A collection being built: the node so far and, for mappings, the key waiting for a value.
struct Open {
    node: Node,
    anchor: usize,
    pending_key: Option<(String, Position)>,
}

/// Parses every document of a YAML stream.
///
/// Mapping keys must be scalars and unique within their mapping, as YAML requires. Aliases are
/// replaced by a copy of their anchored node.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut documents = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let end = end_of_text(text);
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| YamlError {
            position: within_text(
                Position {
                    line: error.marker().line(),
                    column: error.marker().col() + 1,
                },
                end,
            ),
            message: error.info().to_owned(),
        })?;
        let at = within_text(position(&span), end);
        let finished = match event {
            Event::SequenceStart(anchor, _) => {
                stack.push(Open {
                    node: Node {
                        position: at,
                        value: NodeValue::Sequence(Vec::new()),
                    },
                    anchor,
                    pending_key: None,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Open {
                    node: Node {
                        position: at,
                        value: NodeValue::Mapping(Vec::new()),
                    },
                    anchor,
                    pending_key: None,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop().map(|open| (open.node, open.anchor))
            }
            Event::Scalar(text, style, anchor, _) => Some((
                Node {
                    position: at,
                    value: NodeValue::Scalar {
                        text: text.into_owned(),
                        quoted: style != ScalarStyle::Plain,
                    },
                },
                anchor,
            )),
            Event::Alias(anchor) => {
                let node = anchors.get(&anchor).cloned().ok_or_else(|| YamlError {
                    position: at,
                    message: "alias to an unknown anchor".to_owned(),
                })?;
                Some((node, 0))
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => None,
        };
        let Some((node, anchor)) = finished else {
            continue;
        };
        if anchor > 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => documents.push(node),
            Some(parent) => attach(parent, node)?,
        }
    }
    Ok(documents)
}

fn attach(parent: &mut Open, node: Node) -> Result<(), YamlError> {
    match &mut parent.node.value {
        NodeValue::Sequence(items) => items.push(node),
        NodeValue::Mapping(entries) => match parent.pending_key.take() {
            None => {
                let NodeValue::Scalar { text, .. } = node.value else {
                    return Err(YamlError {
                        position: node.position,
                        message: format!("a mapping key must be a scalar, not {}", node.kind()),
                    });
                };
                if entries.iter().any(|(key, _)| *key == text) {
                    return Err(YamlError {
                        position: node.position,
                        message: format!("duplicate key '{text}'"),
                    });
                }
                parent.pending_key = Some((text, node.position));
            }
            Some((key, _)) => entries.push((key, node)),
        },
        NodeValue::Scalar { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(text: &str) -> Node {
        let mut documents = match parse_documents(text) {
            Ok(documents) => documents,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(documents.len(), 1);
        documents.remove(0)
    }

    #[test]
    fn scalars_keep_text_and_quoting() {
        let node = parse_one("a: 0x17\nb: '4688'\nc: null\nd:\n");
        assert_eq!(node.get("a").and_then(Node::as_str), Some("0x17"));
        let b = node.get("b");
        assert!(matches!(
            b.map(|n| &n.value),
            Some(NodeValue::Scalar { quoted: true, .. })
        ));
        assert!(node.get("c").is_some_and(Node::is_null));
        assert!(node.get("d").is_some_and(Node::is_null));
    }

    #[test]
    fn positions_are_one_based() {
        let node = parse_one("title: x\ndetection:\n    sel:\n        - a\n");
        let detection = node.get("detection");
        let sel = detection.and_then(|d| d.get("sel"));
        assert_eq!(
            sel.map(|n| n.position),
            Some(Position { line: 4, column: 9 })
        );
    }

    #[test]
    fn documents_split_and_aliases_resolve() {
        let documents = parse_documents("a: &x [1, 2]\nb: *x\n---\nc: 3\n");
        let Ok(documents) = documents else {
            panic!("{documents:?}");
        };
        assert_eq!(documents.len(), 2);
        let b = documents[0]
            .get("b")
            .and_then(Node::items)
            .map(<[Node]>::len);
        assert_eq!(b, Some(2));
    }

    #[test]
    fn errors_carry_line() {
        let error = parse_documents("a: [1, 2\nb: 3\n");
        assert!(
            matches!(
                error,
                Err(YamlError {
                    position: Position { line: 2.., .. },
                    ..
                })
            ),
            "{error:?}"
        );
        let duplicate = parse_documents("a: 1\na: 2\n");
        assert!(matches!(
            duplicate,
            Err(YamlError {
                position: Position { line: 2, .. },
                ..
            })
        ));
    }
}
