//! The subset of ATT&CK's STIX 2.1 objects that the importer reads.
//!
//! Every field except `id` and the ones named as required below defaults when missing, so
//! bundles that leave out optional properties still import. The importer reads `type`, `id`
//! and [`Status`] from every object before parsing it into one of these types.

use serde::Deserialize;

/// The top level of a STIX bundle.
#[derive(Deserialize)]
pub(super) struct Bundle {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub objects: Vec<serde_json::Value>,
}

/// The revocation and deprecation flags that every ATT&CK object may carry.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct Status {
    pub revoked: bool,
    pub x_mitre_deprecated: bool,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct ExternalReference {
    pub source_name: String,
    pub external_id: Option<String>,
    pub url: Option<String>,
}

/// Returns the `mitre-attack` external reference, which carries the ATT&CK id and URL.
pub(super) fn attack_reference(references: &[ExternalReference]) -> Option<&ExternalReference> {
    references.iter().find(|reference| {
        reference.source_name == "mitre-attack" && reference.external_id.is_some()
    })
}

#[derive(Deserialize)]
pub(super) struct Analytic {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub x_mitre_platforms: Vec<String>,
    #[serde(default)]
    pub x_mitre_log_source_references: Vec<LogSourceReference>,
    #[serde(default)]
    pub x_mitre_mutable_elements: Vec<MutableElement>,
}

/// A log source reference; the data component reference is required.
#[derive(Deserialize)]
pub(super) struct LogSourceReference {
    pub x_mitre_data_component_ref: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub channel: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct MutableElement {
    pub field: String,
    pub description: String,
}

#[derive(Deserialize)]
pub(super) struct DetectionStrategy {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub x_mitre_analytic_refs: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct AttackPattern {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default)]
    pub x_mitre_platforms: Vec<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct KillChainPhase {
    pub kill_chain_name: String,
    pub phase_name: String,
}

#[derive(Deserialize)]
pub(super) struct DataComponent {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub x_mitre_log_sources: Vec<LogSource>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LogSource {
    pub name: String,
    pub channel: String,
}

/// A relationship; its type and both ends are required.
#[derive(Deserialize)]
pub(super) struct Relationship {
    pub id: String,
    pub relationship_type: String,
    pub source_ref: String,
    pub target_ref: String,
}

#[derive(Deserialize)]
pub(super) struct Tactic {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub x_mitre_shortname: String,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct Collection {
    pub x_mitre_version: Option<String>,
}

/// Returns the ATT&CK domains an object belongs to (`enterprise-attack`…).
pub(super) fn domains(object: &serde_json::Value) -> Vec<&str> {
    object
        .get("x_mitre_domains")
        .and_then(|domains| domains.as_array())
        .map(|domains| domains.iter().filter_map(|d| d.as_str()).collect())
        .unwrap_or_default()
}
