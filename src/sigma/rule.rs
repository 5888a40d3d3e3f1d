//! The rule model: Sigma detection rules, correlation rules and filters, read from YAML
//! documents.
//!
//! Reading a document either yields a compiled rule or a [`Problem`] that records whether
//! Glexia skips the document because it uses something unsupported, or rejects it as invalid
//! Sigma.
//! Both carry the line they refer to.

use std::collections::HashMap;
use std::path::PathBuf;

use super::condition::{self, Condition, ConditionError};
use super::modifiers::{self, FieldItem, ModifierError, RuleValue};
use super::yaml::{Node, NodeValue, Position};

/// Metadata shared by detection and correlation rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleInfo {
    /// `id`, a UUID in SigmaHQ's rules.
    pub id: Option<String>,
    /// `name`, the unique name correlation rules may refer to.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `status`: stable, test, experimental, deprecated or unsupported.
    pub status: Option<String>,
    /// `level`: informational, low, medium, high or critical.
    pub level: Option<String>,
    /// `author`, which the Detection Rule License requires to be shown with every match.
    pub author: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `tags`, such as `attack.t1003.001`.
    pub tags: Vec<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `date`.
    pub date: Option<String>,
    /// The file the rule was read from.
    pub path: PathBuf,
    /// The line where the rule's document starts.
    pub line: usize,
}

impl RuleInfo {
    /// Returns the identifier findings use: the id, else the name, else the title.
    pub fn key(&self) -> &str {
        self.id
            .as_deref()
            .or(self.name.as_deref())
            .unwrap_or(&self.title)
    }

    /// ATT&CK technique ids from `attack.tNNNN[.NNN]` tags, in uppercase.
    pub fn techniques(&self) -> Vec<String> {
        let mut techniques = Vec::new();
        for tag in &self.tags {
            let Some(rest) = tag.strip_prefix("attack.") else {
                continue;
            };
            let bytes = rest.as_bytes();
            let is_technique = bytes.len() >= 5
                && bytes.split_first().is_some_and(|(first, rest)| {
                    first.eq_ignore_ascii_case(&b't')
                        && rest.iter().all(|b| b.is_ascii_digit() || *b == b'.')
                });
            if is_technique {
                let id = rest.to_ascii_uppercase();
                if !techniques.contains(&id) {
                    techniques.push(id);
                }
            }
        }
        techniques
    }
}

/// The `logsource` of a rule, in lowercase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogSource {
    /// `product`, such as `windows`.
    pub product: Option<String>,
    /// `category`, such as `process_creation`.
    pub category: Option<String>,
    /// `service`, such as `security`.
    pub service: Option<String>,
}

impl std::fmt::Display for LogSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (key, value) in [
            ("product", &self.product),
            ("category", &self.category),
            ("service", &self.service),
        ] {
            if let Some(value) = value {
                parts.push(format!("{key}: {value}"));
            }
        }
        if parts.is_empty() {
            f.write_str("(empty)")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// One named selection: any of its maps matches when all of that map's items do.
#[derive(Clone, Debug)]
pub struct Selection {
    /// Alternatives (a list of maps, or one map); each is a conjunction of items.
    pub alternatives: Vec<Vec<FieldItem>>,
}

/// A `detection` section compiled: selections, the condition over them and the field names
/// they read.
#[derive(Clone, Debug)]
pub struct Detection {
    /// Selections in the order written.
    pub selections: Vec<Selection>,
    /// The condition; several conditions in a list are joined with `or`.
    pub condition: Condition,
    /// Every Sigma field name the items read, including `fieldref` targets.
    pub field_names: Vec<String>,
}

/// A compiled Sigma detection rule.
#[derive(Clone, Debug)]
pub struct SigmaRule {
    /// Metadata.
    pub info: RuleInfo,
    /// The log source.
    pub logsource: LogSource,
    /// The line of the `logsource` key.
    pub logsource_line: usize,
    /// The detection.
    pub detection: Detection,
    /// Filters from filter documents that name this rule, as `(filter title, detection)`; a
    /// match of any of them suppresses the rule's match.
    pub filters: Vec<(String, Detection)>,
}

/// A correlation type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorrelationType {
    /// Counts events.
    EventCount,
    /// Counts distinct values of a field.
    ValueCount,
    /// All referenced rules match within the timespan.
    Temporal,
    /// All referenced rules match within the timespan, in the order listed.
    TemporalOrdered,
    /// Sums a numeric field.
    ValueSum,
    /// Averages a numeric field.
    ValueAvg,
    /// A percentile of a numeric field.
    ValuePercentile,
}

impl CorrelationType {
    /// Returns the name as written in rules.
    pub fn name(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
            CorrelationType::ValueSum => "value_sum",
            CorrelationType::ValueAvg => "value_avg",
            CorrelationType::ValuePercentile => "value_percentile",
        }
    }

    fn parse(text: &str) -> Option<CorrelationType> {
        Some(match text {
            "event_count" => CorrelationType::EventCount,
            "value_count" => CorrelationType::ValueCount,
            "temporal" => CorrelationType::Temporal,
            "temporal_ordered" => CorrelationType::TemporalOrdered,
            "value_sum" => CorrelationType::ValueSum,
            "value_avg" => CorrelationType::ValueAvg,
            "value_percentile" => CorrelationType::ValuePercentile,
            _ => return None,
        })
    }
}

/// A comparison in a correlation condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// Greater than.
    Gt(f64),
    /// Greater than or equal.
    Gte(f64),
    /// Less than.
    Lt(f64),
    /// Less than or equal.
    Lte(f64),
    /// Equal.
    Eq(f64),
    /// Not equal.
    Neq(f64),
}

impl Threshold {
    /// Returns whether `value` satisfies the comparison.
    pub fn holds(self, value: f64) -> bool {
        match self {
            Threshold::Gt(n) => value > n,
            Threshold::Gte(n) => value >= n,
            Threshold::Lt(n) => value < n,
            Threshold::Lte(n) => value <= n,
            Threshold::Eq(n) => value == n,
            Threshold::Neq(n) => value != n,
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, n) = match self {
            Threshold::Gt(n) => ("gt", n),
            Threshold::Gte(n) => ("gte", n),
            Threshold::Lt(n) => ("lt", n),
            Threshold::Lte(n) => ("lte", n),
            Threshold::Eq(n) => ("eq", n),
            Threshold::Neq(n) => ("neq", n),
        };
        write!(f, "{name} {n}")
    }
}

/// A compiled Sigma correlation rule.
#[derive(Clone, Debug)]
pub struct CorrelationRule {
    /// Metadata.
    pub info: RuleInfo,
    /// The correlation type.
    pub kind: CorrelationType,
    /// The referenced rules, by id or name, in the order written.
    pub rules: Vec<String>,
    /// Fields or aliases the events of one group share.
    pub group_by: Vec<String>,
    /// The window, in nanoseconds.
    pub timespan: i64,
    /// The condition, every comparison of which must hold; empty for temporal types, which
    /// then require every referenced rule.
    pub condition: Vec<Threshold>,
    /// The field a value_* condition reads.
    pub field: Option<String>,
    /// Aliases: alias name, then per rule name or id, the field it stands for.
    pub aliases: HashMap<String, HashMap<String, String>>,
    /// Whether the referenced rules also report their own matches.
    pub generate: bool,
}

/// A Sigma filter document.
#[derive(Clone, Debug)]
pub struct FilterRule {
    /// Metadata (title, id, path).
    pub info: RuleInfo,
    /// The log source it was written for.
    pub logsource: LogSource,
    /// The rules it applies to, by id or name.
    pub rules: Vec<String>,
    /// The filter's detection.
    pub detection: Detection,
}

/// One document of a rule file.
#[derive(Clone, Debug)]
pub enum Document {
    /// A detection rule.
    Rule(Box<SigmaRule>),
    /// A correlation rule.
    Correlation(Box<CorrelationRule>),
    /// A filter.
    Filter(Box<FilterRule>),
}

/// The reason a document cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// Valid Sigma that Glexia does not implement or cannot map to its events.
    Skipped,
    /// Not valid Sigma, or not readable at all.
    Error,
}

/// A document that cannot be used, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Skipped or rejected.
    pub kind: ProblemKind,
    /// The line of the construct at fault (1-based; 0 when unknown).
    pub line: usize,
    /// The reason, naming the construct.
    pub message: String,
}

impl Problem {
    pub(super) fn skipped(position: Position, message: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Skipped,
            line: position.line,
            message: message.into(),
        }
    }

    pub(super) fn error(position: Position, message: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Error,
            line: position.line,
            message: message.into(),
        }
    }
}

fn text_of(node: &Node, key: &str) -> Result<Option<String>, Problem> {
    match node.get(key) {
        None => Ok(None),
        Some(value) if value.is_null() => Ok(None),
        Some(value) => match &value.value {
            NodeValue::Scalar { text, .. } => Ok(Some(text.clone())),
            // Some rules list several authors; they are joined as the text form would be.
            NodeValue::Sequence(items) if key == "author" => Ok(Some(
                items
                    .iter()
                    .filter_map(Node::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
            _ => Err(Problem::error(
                value.position,
                format!("'{key}' must be a text, not {}", value.kind()),
            )),
        },
    }
}

fn list_of(node: &Node, key: &str) -> Result<Vec<String>, Problem> {
    match node.get(key) {
        None => Ok(Vec::new()),
        Some(value) if value.is_null() => Ok(Vec::new()),
        Some(value) => match &value.value {
            NodeValue::Scalar { text, .. } => Ok(vec![text.clone()]),
            NodeValue::Sequence(items) => items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_owned).ok_or_else(|| {
                        Problem::error(
                            item.position,
                            format!("'{key}' must list texts, not {}", item.kind()),
                        )
                    })
                })
                .collect(),
            NodeValue::Mapping(_) => Err(Problem::error(
                value.position,
                format!("'{key}' must be a list, not a mapping"),
            )),
        },
    }
}

fn read_info(node: &Node, path: &std::path::Path) -> Result<RuleInfo, Problem> {
    let title = text_of(node, "title")?
        .ok_or_else(|| Problem::error(node.position, "the rule has no 'title'"))?;
    Ok(RuleInfo {
        id: text_of(node, "id")?,
        name: text_of(node, "name")?,
        title,
        status: text_of(node, "status")?,
        level: text_of(node, "level")?,
        author: text_of(node, "author")?,
        description: text_of(node, "description")?,
        tags: list_of(node, "tags")?,
        references: list_of(node, "references")?,
        falsepositives: list_of(node, "falsepositives")?,
        date: text_of(node, "date")?,
        path: path.to_owned(),
        line: node.position.line,
    })
}

fn read_logsource(node: &Node) -> Result<LogSource, Problem> {
    let Some(logsource) = node.get("logsource") else {
        return Err(Problem::error(node.position, "the rule has no 'logsource'"));
    };
    if logsource.entries().is_none() {
        return Err(Problem::error(
            logsource.position,
            format!("'logsource' must be a mapping, not {}", logsource.kind()),
        ));
    }
    let lower = |key| text_of(logsource, key).map(|v| v.map(|s| s.to_lowercase()));
    Ok(LogSource {
        product: lower("product")?,
        category: lower("category")?,
        service: lower("service")?,
    })
}

fn rule_value(node: &Node) -> Result<RuleValue, Problem> {
    if node.is_null() {
        return Ok(RuleValue::Null);
    }
    match &node.value {
        NodeValue::Scalar { text, .. } => Ok(RuleValue::Text(text.clone())),
        _ => Err(Problem::error(
            node.position,
            format!("a value must be a text or a number, not {}", node.kind()),
        )),
    }
}

fn modifier_problem(position: Position, key: &str, error: ModifierError) -> Problem {
    match error {
        ModifierError::Unsupported(message) => {
            Problem::skipped(position, format!("'{key}': {message}"))
        }
        ModifierError::Invalid(message) => Problem::error(position, format!("'{key}': {message}")),
    }
}

/// Compiles one `field|modifiers: values` entry.
fn read_item(
    key: &str,
    value: &Node,
    placeholders: &HashMap<String, Vec<String>>,
    field_names: &mut Vec<String>,
) -> Result<FieldItem, Problem> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").trim();
    let modifier_names: Vec<&str> = parts.collect();
    let values: Vec<RuleValue> = match &value.value {
        NodeValue::Sequence(items) => items.iter().map(rule_value).collect::<Result<_, _>>()?,
        _ => vec![rule_value(value)?],
    };
    let field = (!field.is_empty()).then_some(field);
    let mut item = modifiers::compile_item(field, &modifier_names, &values, placeholders)
        .map_err(|error| modifier_problem(value.position, key, error))?;
    if let Some(field) = field {
        item.field_index = match field_names.iter().position(|f| f == field) {
            Some(index) => index,
            None => {
                field_names.push(field.to_owned());
                field_names.len() - 1
            }
        };
    }
    for alternatives in &item.values {
        for matcher in alternatives {
            if let modifiers::Matcher::FieldRef { field, .. } = matcher
                && !field_names.contains(field)
            {
                field_names.push(field.clone());
            }
        }
    }
    Ok(item)
}

fn read_map(
    entries: &[(String, Node)],
    placeholders: &HashMap<String, Vec<String>>,
    field_names: &mut Vec<String>,
) -> Result<Vec<FieldItem>, Problem> {
    entries
        .iter()
        .map(|(key, value)| read_item(key, value, placeholders, field_names))
        .collect()
}

fn read_selection(
    name: &str,
    node: &Node,
    placeholders: &HashMap<String, Vec<String>>,
    field_names: &mut Vec<String>,
) -> Result<Selection, Problem> {
    match &node.value {
        NodeValue::Mapping(entries) => Ok(Selection {
            alternatives: vec![read_map(entries, placeholders, field_names)?],
        }),
        NodeValue::Sequence(items) => {
            let mut alternatives = Vec::new();
            let mut keywords = Vec::new();
            for item in items {
                match &item.value {
                    NodeValue::Mapping(entries) => {
                        alternatives.push(read_map(entries, placeholders, field_names)?);
                    }
                    NodeValue::Scalar { .. } => keywords.push(rule_value(item)?),
                    NodeValue::Sequence(_) => {
                        return Err(Problem::error(
                            item.position,
                            format!("selection '{name}' holds a list inside a list"),
                        ));
                    }
                }
            }
            if !keywords.is_empty() {
                let item = modifiers::compile_item(None, &[], &keywords, placeholders)
                    .map_err(|error| modifier_problem(node.position, name, error))?;
                alternatives.push(vec![item]);
            }
            if alternatives.is_empty() {
                return Err(Problem::error(
                    node.position,
                    format!("selection '{name}' is an empty list"),
                ));
            }
            Ok(Selection { alternatives })
        }
        NodeValue::Scalar { .. } if !node.is_null() => {
            let item = modifiers::compile_item(None, &[], &[rule_value(node)?], placeholders)
                .map_err(|error| modifier_problem(node.position, name, error))?;
            Ok(Selection {
                alternatives: vec![vec![item]],
            })
        }
        NodeValue::Scalar { .. } => Err(Problem::error(
            node.position,
            format!("selection '{name}' is empty"),
        )),
    }
}

fn condition_problem(position: Position, error: ConditionError) -> Problem {
    match error {
        ConditionError::Unsupported(message) => {
            Problem::skipped(position, format!("condition: {message}"))
        }
        ConditionError::Invalid(message) => {
            Problem::error(position, format!("condition: {message}"))
        }
    }
}

/// Compiles a `detection` section, or the body of a filter's `filter` section when
/// `ignored_keys` names `rules`.
pub(super) fn read_detection(
    node: &Node,
    ignored_keys: &[&str],
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Detection, Problem> {
    let Some(entries) = node.entries() else {
        return Err(Problem::error(
            node.position,
            format!("'detection' must be a mapping, not {}", node.kind()),
        ));
    };
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut field_names = Vec::new();
    let mut condition_node = None;
    for (key, value) in entries {
        match key.as_str() {
            "condition" => condition_node = Some(value),
            // `timeframe` belonged to the obsolete aggregations; without one it changes nothing.
            "timeframe" => {}
            key if ignored_keys.contains(&key) => {}
            _ => {
                selections.push(read_selection(key, value, placeholders, &mut field_names)?);
                names.push(key.clone());
            }
        }
    }
    let Some(condition_node) = condition_node else {
        return Err(Problem::error(
            node.position,
            "the detection has no 'condition'",
        ));
    };
    let texts: Vec<(String, Position)> = match &condition_node.value {
        NodeValue::Scalar { text, .. } => vec![(text.clone(), condition_node.position)],
        NodeValue::Sequence(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(|text| (text.to_owned(), item.position))
                    .ok_or_else(|| Problem::error(item.position, "a condition must be a text"))
            })
            .collect::<Result<_, _>>()?,
        NodeValue::Mapping(_) => {
            return Err(Problem::error(
                condition_node.position,
                "'condition' must be a text or a list of texts",
            ));
        }
    };
    let mut conditions = Vec::new();
    for (text, position) in texts {
        conditions.push(
            condition::parse(&text, &names).map_err(|error| condition_problem(position, error))?,
        );
    }
    let condition = if conditions.len() == 1 {
        conditions.remove(0)
    } else {
        Condition::Or(conditions)
    };
    Ok(Detection {
        selections,
        condition,
        field_names,
    })
}

/// Parses a duration such as `90s`, `5m`, `1h` or `2d` into nanoseconds.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let mut chars = text.chars();
    let unit = chars.next_back()?;
    let number: i64 = chars.as_str().trim().parse().ok()?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'M' => 30 * 86_400,
        'y' => 365 * 86_400,
        _ => return None,
    };
    number.checked_mul(seconds)?.checked_mul(1_000_000_000)
}

fn read_correlation(node: &Node, info: RuleInfo) -> Result<CorrelationRule, Problem> {
    let Some(section) = node.get("correlation") else {
        return Err(Problem::error(node.position, "no 'correlation' section"));
    };
    let type_text = text_of(section, "type")?
        .ok_or_else(|| Problem::error(section.position, "the correlation has no 'type'"))?;
    let kind = CorrelationType::parse(&type_text).ok_or_else(|| {
        Problem::error(
            section.position,
            format!("'{type_text}' is not a correlation type"),
        )
    })?;
    let rules = list_of(section, "rules")?;
    if rules.is_empty() {
        return Err(Problem::error(
            section.position,
            "the correlation lists no 'rules'",
        ));
    }
    let group_by = list_of(section, "group-by")?;
    let timespan_text = text_of(section, "timespan")?.or(text_of(section, "timeframe")?);
    let timespan = match timespan_text {
        Some(text) => parse_timespan(&text).ok_or_else(|| {
            Problem::error(
                section.position,
                format!("timespan '{text}' is not a number followed by s, m, h or d"),
            )
        })?,
        None => {
            return Err(Problem::error(
                section.position,
                "the correlation has no 'timespan'",
            ));
        }
    };
    let mut condition = Vec::new();
    let mut field = None;
    if let Some(node) = section.get("condition") {
        let Some(entries) = node.entries() else {
            return Err(Problem::error(
                node.position,
                "'condition' must be a mapping",
            ));
        };
        for (key, value) in entries {
            let text = value.as_str().unwrap_or("");
            if key == "field" {
                field = Some(text.to_owned());
                continue;
            }
            let number: f64 = text.trim().parse().map_err(|_| {
                Problem::error(
                    value.position,
                    format!("'{key}' needs a number, not '{text}'"),
                )
            })?;
            condition.push(match key.as_str() {
                "gt" => Threshold::Gt(number),
                "gte" => Threshold::Gte(number),
                "lt" => Threshold::Lt(number),
                "lte" => Threshold::Lte(number),
                "eq" => Threshold::Eq(number),
                "neq" => Threshold::Neq(number),
                other => {
                    return Err(Problem::error(
                        value.position,
                        format!("'{other}' is not a condition operator"),
                    ));
                }
            });
        }
    }
    let needs_condition = !matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    if needs_condition && condition.is_empty() {
        return Err(Problem::error(
            section.position,
            format!("a {} correlation needs a 'condition'", kind.name()),
        ));
    }
    let needs_field = matches!(
        kind,
        CorrelationType::ValueCount
            | CorrelationType::ValueSum
            | CorrelationType::ValueAvg
            | CorrelationType::ValuePercentile
    );
    if needs_field && field.is_none() {
        return Err(Problem::error(
            section.position,
            format!(
                "a {} correlation needs 'field' in its condition",
                kind.name()
            ),
        ));
    }
    let mut aliases: HashMap<String, HashMap<String, String>> = HashMap::new();
    if let Some(node) = section.get("aliases") {
        let Some(entries) = node.entries() else {
            return Err(Problem::error(node.position, "'aliases' must be a mapping"));
        };
        for (alias, per_rule) in entries {
            let Some(per_rule) = per_rule.entries() else {
                return Err(Problem::error(
                    per_rule.position,
                    format!("alias '{alias}' must map rule names to fields"),
                ));
            };
            let mut fields = HashMap::new();
            for (rule, field) in per_rule {
                let Some(field) = field.as_str() else {
                    return Err(Problem::error(
                        field.position,
                        "an alias field must be a text",
                    ));
                };
                fields.insert(rule.clone(), field.to_owned());
            }
            aliases.insert(alias.clone(), fields);
        }
    }
    let generate = match section.get("generate").or(node.get("generate")) {
        None => false,
        Some(value) => match value.as_str() {
            Some("true") => true,
            Some("false") => false,
            _ => {
                return Err(Problem::error(
                    value.position,
                    "'generate' must be true or false",
                ));
            }
        },
    };
    Ok(CorrelationRule {
        info,
        kind,
        rules,
        group_by,
        timespan,
        condition,
        field,
        aliases,
        generate,
    })
}

fn read_filter(
    node: &Node,
    info: RuleInfo,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<FilterRule, Problem> {
    let Some(section) = node.get("filter") else {
        return Err(Problem::error(node.position, "no 'filter' section"));
    };
    let rules = list_of(section, "rules")?;
    if rules.is_empty() {
        return Err(Problem::error(
            section.position,
            "the filter lists no 'rules'",
        ));
    }
    let logsource = read_logsource(node)?;
    let detection = read_detection(section, &["rules"], placeholders)?;
    Ok(FilterRule {
        info,
        logsource,
        rules,
        detection,
    })
}

/// Reads one YAML document as a detection rule, a correlation rule or a filter.
pub fn read_document(
    node: &Node,
    path: &std::path::Path,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Document, Problem> {
    if node.entries().is_none() {
        return Err(Problem::error(
            node.position,
            format!("a Sigma document must be a mapping, not {}", node.kind()),
        ));
    }
    let info = read_info(node, path)?;
    if node.get("correlation").is_some() {
        return read_correlation(node, info).map(|c| Document::Correlation(Box::new(c)));
    }
    if node.get("filter").is_some() {
        return read_filter(node, info, placeholders).map(|f| Document::Filter(Box::new(f)));
    }
    let logsource = read_logsource(node)?;
    let logsource_line = node
        .get("logsource")
        .map_or(node.position.line, |l| l.position.line);
    let Some(detection) = node.get("detection") else {
        return Err(Problem::error(node.position, "the rule has no 'detection'"));
    };
    let detection = read_detection(detection, &[], placeholders)?;
    Ok(Document::Rule(Box::new(SigmaRule {
        info,
        logsource,
        logsource_line,
        detection,
        filters: Vec::new(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::yaml::parse_documents;

    fn read(text: &str) -> Result<Document, Problem> {
        let documents = match parse_documents(text) {
            Ok(documents) => documents,
            Err(error) => panic!("{error}"),
        };
        read_document(
            &documents[0],
            std::path::Path::new("t.yml"),
            &HashMap::new(),
        )
    }

    #[test]
    fn reads_a_rule() {
        let text = "title: Whoami\nid: 1\nauthor: A, B\nlevel: high\ntags:\n  - attack.t1033\n  - attack.discovery\n\
                    logsource:\n  category: process_creation\n  product: Windows\n\
                    detection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\n";
        let Ok(Document::Rule(rule)) = read(text) else {
            panic!("not a rule");
        };
        assert_eq!(rule.info.title, "Whoami");
        assert_eq!(rule.info.author.as_deref(), Some("A, B"));
        assert_eq!(rule.info.techniques(), vec!["T1033".to_owned()]);
        assert_eq!(rule.logsource.product.as_deref(), Some("windows"));
        assert_eq!(rule.detection.field_names, vec!["Image".to_owned()]);
    }

    #[test]
    fn unsupported_modifier_is_skipped_with_line() {
        let text = "title: t\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a|bogus: x\n  condition: sel\n";
        let problem = read(text).err();
        assert_eq!(
            problem.as_ref().map(|p| &p.kind),
            Some(&ProblemKind::Skipped)
        );
        assert_eq!(problem.map(|p| p.line), Some(6));
    }

    #[test]
    fn invalid_condition_is_an_error() {
        let text = "title: t\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: x\n  condition: other\n";
        let problem = read(text).err();
        assert_eq!(problem.as_ref().map(|p| &p.kind), Some(&ProblemKind::Error));
        assert_eq!(problem.map(|p| p.line), Some(7));
    }

    #[test]
    fn reads_a_correlation() {
        let text = "title: c\ncorrelation:\n  type: value_count\n  rules: [a, b]\n  group-by: [Host, User]\n  timespan: 90m\n  condition:\n    field: Target\n    gte: 3\n    lt: 10\n";
        let Ok(Document::Correlation(correlation)) = read(text) else {
            panic!("not a correlation");
        };
        assert_eq!(correlation.kind, CorrelationType::ValueCount);
        assert_eq!(correlation.timespan, 90 * 60 * 1_000_000_000);
        assert_eq!(
            correlation.condition,
            vec![Threshold::Gte(3.0), Threshold::Lt(10.0)]
        );
        assert_eq!(correlation.field.as_deref(), Some("Target"));
        let missing_field = "title: c\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition:\n    gte: 3\n";
        assert!(read(missing_field).is_err());
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s"), Some(30_000_000_000));
        assert_eq!(parse_timespan("2d"), Some(2 * 86_400_000_000_000));
        assert_eq!(parse_timespan("10"), None);
        assert_eq!(parse_timespan("x m"), None);
    }
}
