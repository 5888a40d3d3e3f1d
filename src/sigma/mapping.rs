//! The mapping from Sigma's taxonomy onto Glexia's events: which events a `logsource` selects
//! and which event fields a Sigma field name reads.
//!
//! The data is `mapping.toml`, compiled into the binary; `mapping.md` documents it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::rule::LogSource;

/// The mapping file shipped with the binary.
pub const MAPPING_TOML: &str = include_str!("mapping.toml");

/// A set of field mappings shared by the log sources that use it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSet {
    /// The events the set is for.
    pub description: String,
    /// Another set whose fields and prefixes apply where this one has none.
    #[serde(default)]
    pub base: Option<String>,
    /// Candidates for Sigma names without an entry, prefix or base entry.
    #[serde(default)]
    pub fallback: Vec<String>,
    /// Candidates per Sigma field name.
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
    /// Candidates per Sigma field name prefix, with `{rest}` for what follows the prefix.
    #[serde(default)]
    pub prefixes: BTreeMap<String, Vec<String>>,
}

/// A set of events one Sigma log source selects.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The ATT&CK platform of the events, when that alone selects them.
    #[serde(default)]
    pub platform: Option<String>,
    /// The events' `log.source`; a trailing `*` takes every name with that prefix.
    #[serde(default)]
    pub log_source: Option<String>,
    /// The `winlog.channel` values, compared ignoring ASCII case.
    #[serde(default)]
    pub channels: Vec<String>,
    /// The `event.code` values.
    #[serde(default)]
    pub event_codes: Vec<String>,
    /// Fields and the value each must have (for a list field, contain), ignoring ASCII case.
    #[serde(default, rename = "where")]
    pub conditions: BTreeMap<String, String>,
    /// The field set that maps Sigma field names for these events.
    pub fieldset: String,
}

/// One Sigma log source and the events it selects.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSourceEntry {
    /// `product`.
    #[serde(default)]
    pub product: Option<String>,
    /// `category`.
    #[serde(default)]
    pub category: Option<String>,
    /// `service`.
    #[serde(default)]
    pub service: Option<String>,
    /// The event sets selected.
    pub sources: Vec<Source>,
}

/// The whole mapping.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Field sets by name.
    pub fieldsets: BTreeMap<String, FieldSet>,
    /// Log sources in the order written.
    pub logsources: Vec<LogSourceEntry>,
}

/// The reason the mapping file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The TOML is malformed or has unknown keys.
    #[error("invalid Sigma mapping: {0}")]
    Toml(String),
    /// A reference does not resolve.
    #[error("invalid Sigma mapping: {0}")]
    Reference(String),
}

impl Mapping {
    /// Parses and checks a mapping file.
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        let mapping: Mapping =
            toml::from_str(text).map_err(|error| MappingError::Toml(error.to_string()))?;
        for (name, set) in &mapping.fieldsets {
            if let Some(base) = &set.base
                && !mapping.fieldsets.contains_key(base)
            {
                return Err(MappingError::Reference(format!(
                    "field set '{name}' has an unknown base '{base}'"
                )));
            }
        }
        for entry in &mapping.logsources {
            for source in &entry.sources {
                if !mapping.fieldsets.contains_key(&source.fieldset) {
                    return Err(MappingError::Reference(format!(
                        "log source {} uses an unknown field set '{}'",
                        entry.key(),
                        source.fieldset
                    )));
                }
            }
        }
        Ok(mapping)
    }

    /// Returns the mapping compiled into the binary.
    #[allow(
        clippy::panic,
        reason = "the mapping is a constant of the binary, which `embedded_mapping_parses` checks"
    )]
    pub fn embedded() -> &'static Mapping {
        static MAPPING: OnceLock<Mapping> = OnceLock::new();
        MAPPING.get_or_init(|| match Mapping::parse(MAPPING_TOML) {
            Ok(mapping) => mapping,
            // The unit test `embedded_mapping_parses` checks the shipped file, so a build that
            // passes its tests never reaches this.
            Err(error) => panic!("{error}"),
        })
    }

    /// Returns the event sets a rule's log source selects, or `None` when Glexia has no events for it.
    ///
    /// The product, category and service must equal an entry's. A rule without a product
    /// takes the entries of every product with that category and service.
    pub fn sources(&self, logsource: &LogSource) -> Option<Vec<&Source>> {
        let mut found: Vec<&Source> = Vec::new();
        for entry in &self.logsources {
            let product = logsource.product.is_none() || entry.product == logsource.product;
            if product && entry.category == logsource.category && entry.service == logsource.service
            {
                for source in &entry.sources {
                    if !found.contains(&source) {
                        found.push(source);
                    }
                }
            }
        }
        (!found.is_empty()).then_some(found)
    }

    /// Returns the candidate event fields of `field` in field set `set`, in order; a candidate may
    /// contain `*`.
    pub fn candidates(&self, set: &str, field: &str) -> Vec<String> {
        let chain = self.base_chain(set);
        for set in &chain {
            if let Some(candidates) = lookup(&set.fields, field) {
                return substitute_all(candidates, field, "");
            }
        }
        for set in &chain {
            for (prefix, candidates) in &set.prefixes {
                if let Some(rest) = field.strip_prefix(prefix.as_str()) {
                    return substitute_all(candidates, field, rest);
                }
            }
        }
        for set in &chain {
            if !set.fallback.is_empty() {
                return substitute_all(&set.fallback, field, "");
            }
        }
        Vec::new()
    }

    fn base_chain(&self, set: &str) -> Vec<&FieldSet> {
        let mut chain: Vec<&FieldSet> = Vec::new();
        let mut next = Some(set);
        while let Some(name) = next {
            let Some(set) = self.fieldsets.get(name) else {
                break;
            };
            // A cycle of bases would loop forever; stop at the first repeat.
            if chain.iter().any(|s| std::ptr::eq(*s, set)) {
                break;
            }
            chain.push(set);
            next = set.base.as_deref();
        }
        chain
    }
}

impl LogSourceEntry {
    /// Returns the entry's keys as written in a rule, for messages.
    pub fn key(&self) -> LogSource {
        LogSource {
            product: self.product.clone(),
            category: self.category.clone(),
            service: self.service.clone(),
        }
    }
}

/// Looks a Sigma name up exactly, then ignoring ASCII case.
fn lookup<'a>(fields: &'a BTreeMap<String, Vec<String>>, field: &str) -> Option<&'a Vec<String>> {
    fields.get(field).or_else(|| {
        fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(_, candidates)| candidates)
    })
}

fn substitute_all(candidates: &[String], field: &str, rest: &str) -> Vec<String> {
    candidates
        .iter()
        .map(|candidate| {
            candidate
                .replace("{field_lower}", &field.to_lowercase())
                .replace("{field}", field)
                .replace("{rest_lower}", &rest.to_lowercase())
                .replace("{rest}", rest)
        })
        .collect()
}

/// Renders the mapping as the Markdown table part of `mapping.md`.
pub fn render_markdown(mapping: &Mapping) -> String {
    let mut out = String::new();
    out.push_str("## Log sources\n\n");
    out.push_str("| product | category | service | selects | field set |\n|---|---|---|---|---|\n");
    for entry in &mapping.logsources {
        for source in &entry.sources {
            out.push_str(&format!(
                "| {} | {} | {} | {} | `{}` |\n",
                entry.product.as_deref().unwrap_or(""),
                entry.category.as_deref().unwrap_or(""),
                entry.service.as_deref().unwrap_or(""),
                describe_source(source),
                source.fieldset
            ));
        }
    }
    out.push_str("\n## Field sets\n");
    for (name, set) in &mapping.fieldsets {
        out.push_str(&format!("\n### `{name}`\n\n{}.", set.description));
        if let Some(base) = &set.base {
            out.push_str(&format!(" Names not listed here are read as in `{base}`."));
        }
        if !set.fallback.is_empty() {
            let fallback: Vec<String> = set.fallback.iter().map(|f| format!("`{f}`")).collect();
            out.push_str(&format!(" Any other name reads {}.", fallback.join(", ")));
        }
        out.push('\n');
        if set.fields.is_empty() && set.prefixes.is_empty() {
            continue;
        }
        out.push_str("\n| Sigma field | event fields |\n|---|---|\n");
        for (field, candidates) in &set.fields {
            out.push_str(&format!(
                "| `{field}` | {} |\n",
                render_candidates(candidates)
            ));
        }
        for (prefix, candidates) in &set.prefixes {
            out.push_str(&format!(
                "| `{prefix}…` | {} |\n",
                render_candidates(candidates)
            ));
        }
    }
    out
}

fn render_candidates(candidates: &[String]) -> String {
    if candidates.is_empty() {
        return "none: the field is absent".to_owned();
    }
    candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_source(source: &Source) -> String {
    let mut parts = Vec::new();
    if let Some(platform) = &source.platform {
        parts.push(format!("platform {platform}"));
    }
    if let Some(log_source) = &source.log_source {
        parts.push(format!("`{log_source}`"));
    }
    if !source.channels.is_empty() {
        let channels: Vec<String> = source.channels.iter().map(|c| format!("`{c}`")).collect();
        parts.push(format!("channel {}", channels.join(" or ")));
    }
    if !source.event_codes.is_empty() {
        parts.push(format!("event {}", source.event_codes.join(", ")));
    }
    for (field, value) in &source.conditions {
        parts.push(format!("`{field}` = `{value}`"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(product: &str, category: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            product: Some(product.to_owned()),
            category: category.map(str::to_owned),
            service: service.map(str::to_owned),
        }
    }

    #[test]
    fn embedded_mapping_parses() {
        let mapping = Mapping::parse(MAPPING_TOML);
        assert!(mapping.is_ok(), "{:?}", mapping.err());
    }

    #[test]
    fn process_creation_selects_sysmon_and_4688() {
        let mapping = Mapping::embedded();
        let sources = mapping.sources(&source("windows", Some("process_creation"), None));
        let Some(sources) = sources else {
            panic!("process_creation is not mapped");
        };
        let selected: Vec<(Option<&str>, &[String])> = sources
            .iter()
            .map(|s| (s.log_source.as_deref(), s.event_codes.as_slice()))
            .collect();
        assert_eq!(
            selected,
            vec![
                (Some("WinEventLog:Sysmon"), &["1".to_owned()][..]),
                (Some("WinEventLog:Security"), &["4688".to_owned()][..]),
            ]
        );
    }

    #[test]
    fn unknown_logsource_is_none() {
        let mapping = Mapping::embedded();
        assert!(
            mapping
                .sources(&source("okta", None, Some("okta")))
                .is_none()
        );
    }

    #[test]
    fn security_4688_renames_image() {
        let mapping = Mapping::embedded();
        assert_eq!(
            mapping.candidates("security_4688", "Image"),
            vec!["winlog.event_data.NewProcessName".to_owned()]
        );
        assert_eq!(
            mapping.candidates("security_4688", "CommandLine"),
            vec![
                "winlog.event_data.CommandLine".to_owned(),
                "winlog.user_data.CommandLine".to_owned()
            ]
        );
        assert_eq!(
            mapping.candidates("security_4688", "EventID"),
            vec!["event.code"]
        );
        assert!(
            mapping
                .candidates("security_4688", "ParentCommandLine")
                .is_empty()
        );
    }

    #[test]
    fn prefixes_and_lowercase() {
        let mapping = Mapping::embedded();
        assert_eq!(
            mapping.candidates("cloudtrail", "requestParameters.userName"),
            vec!["aws.cloudtrail.flattened.request_parameters.userName".to_owned()]
        );
        assert_eq!(
            mapping.candidates("entra_audit", "properties.ActivityDisplayName"),
            vec!["azure.auditlogs.activitydisplayname".to_owned()]
        );
    }

    #[test]
    fn markdown_is_current() {
        let text = include_str!("mapping.md");
        let rendered = render_markdown(Mapping::embedded());
        assert!(
            text.contains(&rendered),
            "mapping.md is stale; replace its tables with:\n{rendered}"
        );
    }
}
