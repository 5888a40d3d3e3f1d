//! The import report and errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

#[cfg(doc)]
use super::super::Catalog;
use super::super::CatalogError;

/// Counts of the objects an import read, skipped and ignored, and the references it dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Objects imported, by STIX type.
    pub imported: BTreeMap<String, usize>,
    /// Revoked objects skipped, by STIX type.
    pub revoked: BTreeMap<String, usize>,
    /// Deprecated objects skipped, by STIX type. An object both revoked and deprecated is
    /// counted as revoked only.
    pub deprecated: BTreeMap<String, usize>,
    /// Objects of types the catalog does not use, by STIX type, whether revoked or not.
    pub ignored: BTreeMap<String, usize>,
    /// References from imported objects to revoked or deprecated objects.
    pub references_to_skipped: Vec<SkippedReference>,
    /// Origin of the ATT&CK version.
    pub version_source: VersionSource,
}

/// A reference from an imported object to a revoked or deprecated object.
///
/// The importer drops such references, with one exception. A log source keeps naming its
/// revoked data component, but that component's other log sources are not added to
/// [`Catalog::allowed_log_sources`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedReference {
    /// STIX id of the object holding the reference.
    pub object_id: String,
    /// STIX id of the revoked or deprecated object.
    pub reference: String,
}

/// Origin of the catalog's ATT&CK version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum VersionSource {
    /// The bundle's `x-mitre-collection` object (`x_mitre_version`).
    #[default]
    Collection,
    /// The fallback version given by the caller, for bundles without a collection object.
    Fallback,
}

/// An error while importing a STIX bundle.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bundle file could not be read.
    #[error("failed to read STIX bundle {path}: {source}")]
    Read {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The catalog file could not be written.
    #[error("failed to write catalog {path}: {source}")]
    Write {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The input is not valid JSON or not a JSON object.
    #[error("invalid STIX bundle JSON: {0}")]
    Json(serde_json::Error),
    /// The top-level object's `type` is not `bundle`.
    #[error("expected a STIX bundle (\"type\": \"bundle\"), found type {found:?}")]
    NotABundle {
        /// The `type` found.
        found: String,
    },
    /// An object lacks a required property or has a property of the wrong JSON type.
    #[error("invalid STIX object at position {position} ({id}): {reason}")]
    InvalidObject {
        /// Zero-based position in the bundle's `objects` array.
        position: usize,
        /// STIX id, or `no id` when the object has none.
        id: String,
        /// Description of the problem, from the JSON parser where it found one.
        reason: String,
    },
    /// Two objects share a STIX id.
    #[error("duplicate STIX id {id} in bundle")]
    DuplicateObject {
        /// The repeated id.
        id: String,
    },
    /// An object that needs an ATT&CK id has no `mitre-attack` external reference.
    #[error("{id} has no mitre-attack external reference with an external_id")]
    MissingAttackId {
        /// STIX id of the object.
        id: String,
    },
    /// A reference points at no object in the bundle.
    #[error("{object_id}: {field} references {missing}, which is not in the bundle")]
    DanglingReference {
        /// STIX id of the object holding the reference.
        object_id: String,
        /// Property holding the reference, e.g. `x_mitre_analytic_refs`.
        field: &'static str,
        /// The missing STIX id.
        missing: String,
    },
    /// A reference points at an object of the wrong type.
    #[error("{object_id}: {field} references {reference}, a {found}, but expected a {expected}")]
    WrongReferenceType {
        /// STIX id of the object holding the reference.
        object_id: String,
        /// Property holding the reference.
        field: &'static str,
        /// The referenced STIX id.
        reference: String,
        /// STIX type the reference must have.
        expected: &'static str,
        /// STIX type it has.
        found: String,
    },
    /// A technique names a kill chain phase that matches no tactic.
    #[error(
        "{object_id}: kill chain phase {phase_name:?} matches no tactic; \
         the bundle needs an x-mitre-tactic object with that x_mitre_shortname"
    )]
    UnknownTactic {
        /// STIX id of the technique.
        object_id: String,
        /// The unmatched phase name.
        phase_name: String,
    },
    /// The bundle has no collection version and the caller gave no fallback.
    #[error(
        "the bundle has no x-mitre-collection object with x_mitre_version; \
         pass the ATT&CK version explicitly or name the file like enterprise-attack-18.1.json"
    )]
    MissingVersion,
    /// The imported data does not form a valid catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}
