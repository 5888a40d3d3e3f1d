//! Import of ATT&CK STIX 2.1 bundles into a [`Catalog`].
//!
//! The importer reads analytics, detection strategies, techniques (`attack-pattern`), data
//! components, tactics, the collection object and the `detects` and `subtechnique-of`
//! relationships. It ignores every other object type, skips revoked and deprecated objects,
//! and rejects a bundle in which a reference it follows points at no object.

mod raw;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::tactics::enterprise_tactic;
use super::{
    Analytic, Catalog, CatalogError, DataComponent, DetectionStrategy, LogSource, LogSourceRef,
    MutableElement, StrategyRef, TacticRef, Technique, TechniqueRef,
};
use crate::store::Platform;

const ANALYTIC: &str = "x-mitre-analytic";
const STRATEGY: &str = "x-mitre-detection-strategy";
const ATTACK_PATTERN: &str = "attack-pattern";
const DATA_COMPONENT: &str = "x-mitre-data-component";
const RELATIONSHIP: &str = "relationship";
const TACTIC: &str = "x-mitre-tactic";
const COLLECTION: &str = "x-mitre-collection";

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
    /// Objects of types the catalog does not use, by STIX type.
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

/// Imports a bundle that carries its ATT&CK version in an `x-mitre-collection` object.
pub fn import(bundle_json: &str) -> Result<(Catalog, ImportReport), ImportError> {
    import_with_fallback_version(bundle_json, None)
}

/// Imports a bundle, using `fallback_version` when it has no `x-mitre-collection` version.
///
/// The collection's version wins when both exist.
pub fn import_with_fallback_version(
    bundle_json: &str,
    fallback_version: Option<&str>,
) -> Result<(Catalog, ImportReport), ImportError> {
    let bundle: raw::Bundle = serde_json::from_str(bundle_json).map_err(ImportError::Json)?;
    if bundle.kind != "bundle" {
        return Err(ImportError::NotABundle { found: bundle.kind });
    }
    let mut importer = Importer::default();
    for (position, object) in bundle.objects.into_iter().enumerate() {
        importer.add_object(position, object)?;
    }
    importer.finish(fallback_version)
}

/// Reads and imports a bundle file, taking the fallback version from its file name.
pub fn import_file(path: &Path) -> Result<(Catalog, ImportReport), ImportError> {
    let json = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let fallback = version_from_file_name(path);
    import_with_fallback_version(&json, fallback.as_deref())
}

/// Imports a bundle file and writes the normalized catalog JSON to `output`.
pub fn generate_catalog_file(bundle: &Path, output: &Path) -> Result<ImportReport, ImportError> {
    let (catalog, report) = import_file(bundle)?;
    let json = catalog.to_json_pretty()?;
    std::fs::write(output, json).map_err(|source| ImportError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    Ok(report)
}

/// Extracts an ATT&CK version such as `18.1` from a file name such as
/// `enterprise-attack-18.1-detection.json`: the first `-`-separated part of the name without
/// extension that is digits and dots, optionally prefixed with `v`.
pub fn version_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".json").unwrap_or(name);
    stem.split('-')
        .map(|part| part.strip_prefix('v').unwrap_or(part))
        .find(|part| {
            part.starts_with(|c: char| c.is_ascii_digit())
                && part.chars().all(|c| c.is_ascii_digit() || c == '.')
                && !part.ends_with('.')
        })
        .map(str::to_string)
}

/// A STIX object that is kept but neither revoked nor deprecated, or a skipped one.
enum Presence {
    Active,
    Skipped,
}

#[derive(Default)]
struct Importer {
    report: ImportReport,
    /// STIX type and presence of every object in the bundle, by STIX id.
    objects: HashMap<String, (String, Presence)>,
    analytics: Vec<raw::Analytic>,
    strategies: Vec<raw::DetectionStrategy>,
    attack_patterns: Vec<raw::AttackPattern>,
    /// Data components by STIX id, skipped ones included so log sources can still name them.
    data_components: HashMap<String, raw::DataComponent>,
    relationships: Vec<raw::Relationship>,
    tactics: Vec<raw::Tactic>,
    collection_version: Option<String>,
    /// How many imported objects list each ATT&CK domain.
    domain_counts: BTreeMap<String, usize>,
}

impl Importer {
    fn add_object(
        &mut self,
        position: usize,
        object: serde_json::Value,
    ) -> Result<(), ImportError> {
        let invalid = |id: &str, reason: &str| ImportError::InvalidObject {
            position,
            id: id.to_string(),
            reason: reason.to_string(),
        };
        let Some(kind) = object.get("type").and_then(|kind| kind.as_str()) else {
            let id = object
                .get("id")
                .and_then(|id| id.as_str())
                .unwrap_or("no id");
            return Err(invalid(id, "missing string property \"type\""));
        };
        let kind = kind.to_string();
        let Some(id) = object.get("id").and_then(|id| id.as_str()) else {
            return Err(invalid("no id", "missing string property \"id\""));
        };
        let id = id.to_string();

        let status =
            raw::Status::deserialize(&object).map_err(|error| ImportError::InvalidObject {
                position,
                id: id.clone(),
                reason: error.to_string(),
            })?;
        let presence = if status.revoked {
            *self.report.revoked.entry(kind.clone()).or_default() += 1;
            Presence::Skipped
        } else if status.x_mitre_deprecated {
            *self.report.deprecated.entry(kind.clone()).or_default() += 1;
            Presence::Skipped
        } else {
            Presence::Active
        };
        let active = matches!(presence, Presence::Active);
        if self
            .objects
            .insert(id.clone(), (kind.clone(), presence))
            .is_some()
        {
            return Err(ImportError::DuplicateObject { id });
        }

        let used = matches!(
            kind.as_str(),
            ANALYTIC | STRATEGY | ATTACK_PATTERN | DATA_COMPONENT | RELATIONSHIP | TACTIC
        ) || kind == COLLECTION;
        if !used {
            *self.report.ignored.entry(kind).or_default() += 1;
            return Ok(());
        }
        if kind == DATA_COMPONENT {
            // Parsed even when skipped, because active analytics may still name it.
            let component: raw::DataComponent = parse(position, &id, object)?;
            if active {
                self.count_imported(&kind);
            }
            self.data_components.insert(id, component);
            return Ok(());
        }
        if !active {
            return Ok(());
        }
        if kind == ANALYTIC {
            for domain in raw::domains(&object) {
                *self.domain_counts.entry(domain.to_string()).or_default() += 1;
            }
        }
        match kind.as_str() {
            ANALYTIC => self.analytics.push(parse(position, &id, object)?),
            STRATEGY => self.strategies.push(parse(position, &id, object)?),
            ATTACK_PATTERN => self.attack_patterns.push(parse(position, &id, object)?),
            RELATIONSHIP => self.relationships.push(parse(position, &id, object)?),
            TACTIC => self.tactics.push(parse(position, &id, object)?),
            _ => {
                let collection: raw::Collection = parse(position, &id, object)?;
                if self.collection_version.is_none() {
                    self.collection_version = collection.x_mitre_version;
                }
            }
        }
        self.count_imported(&kind);
        Ok(())
    }

    fn count_imported(&mut self, kind: &str) {
        *self.report.imported.entry(kind.to_string()).or_default() += 1;
    }

    /// Checks that `reference` exists and has type `expected`, and returns whether it is active.
    fn resolve(
        &mut self,
        object_id: &str,
        field: &'static str,
        reference: &str,
        expected: &'static str,
    ) -> Result<bool, ImportError> {
        let Some((kind, presence)) = self.objects.get(reference) else {
            return Err(ImportError::DanglingReference {
                object_id: object_id.to_string(),
                field,
                missing: reference.to_string(),
            });
        };
        if kind != expected {
            return Err(ImportError::WrongReferenceType {
                object_id: object_id.to_string(),
                field,
                reference: reference.to_string(),
                expected,
                found: kind.clone(),
            });
        }
        if matches!(presence, Presence::Skipped) {
            self.report.references_to_skipped.push(SkippedReference {
                object_id: object_id.to_string(),
                reference: reference.to_string(),
            });
            return Ok(false);
        }
        Ok(true)
    }

    fn finish(
        mut self,
        fallback_version: Option<&str>,
    ) -> Result<(Catalog, ImportReport), ImportError> {
        let attack_version = match (self.collection_version.take(), fallback_version) {
            (Some(version), _) => version,
            (None, Some(version)) => {
                self.report.version_source = VersionSource::Fallback;
                version.to_string()
            }
            (None, None) => return Err(ImportError::MissingVersion),
        };
        let domain = most_common_domain(&self.domain_counts);

        let data_components = self.build_data_components()?;
        let techniques = self.build_techniques()?;
        let mut strategies = self.build_strategies(&techniques)?;
        let analytics = self.build_analytics(&mut strategies)?;

        let catalog = Catalog::new(
            attack_version,
            domain,
            analytics,
            strategies
                .into_values()
                .map(|built| built.strategy)
                .collect(),
            techniques.into_values().collect(),
            data_components,
        )?;
        Ok((catalog, self.report))
    }

    fn build_data_components(&self) -> Result<Vec<DataComponent>, ImportError> {
        let mut components = Vec::new();
        for (stix_id, component) in &self.data_components {
            if !self.is_active(stix_id) {
                continue;
            }
            let (id, _) = attack_id(stix_id, &component.external_references)?;
            components.push(DataComponent {
                id,
                name: component.name.clone(),
                log_sources: component
                    .x_mitre_log_sources
                    .iter()
                    .map(|source| LogSource {
                        name: source.name.clone(),
                        channel: source.channel.clone(),
                    })
                    .collect(),
            });
        }
        Ok(components)
    }

    /// Builds techniques keyed by STIX id, with tactics and parents resolved.
    fn build_techniques(&mut self) -> Result<BTreeMap<String, Technique>, ImportError> {
        let tactics = self.tactics_by_shortname()?;
        let mut techniques = BTreeMap::new();
        for pattern in &self.attack_patterns {
            let (id, url) = attack_id(&pattern.id, &pattern.external_references)?;
            let mut technique_tactics = Vec::new();
            for phase in &pattern.kill_chain_phases {
                // Other kill chains (such as Lockheed Martin's) have no ATT&CK tactic.
                if !phase.kill_chain_name.starts_with("mitre-") {
                    continue;
                }
                let tactic = tactics
                    .get(&phase.phase_name)
                    .cloned()
                    .or_else(|| enterprise_tactic(&phase.phase_name))
                    .ok_or_else(|| ImportError::UnknownTactic {
                        object_id: pattern.id.clone(),
                        phase_name: phase.phase_name.clone(),
                    })?;
                if !technique_tactics.contains(&tactic) {
                    technique_tactics.push(tactic);
                }
            }
            let technique = Technique {
                id,
                stix_id: pattern.id.clone(),
                name: pattern.name.clone(),
                tactics: technique_tactics,
                platforms: normalize_platforms(&pattern.x_mitre_platforms),
                parent: None,
                url,
            };
            techniques.insert(pattern.id.clone(), technique);
        }

        let relationships = std::mem::take(&mut self.relationships);
        for relationship in &relationships {
            if relationship.relationship_type != "subtechnique-of" {
                continue;
            }
            let source_active = self.resolve(
                &relationship.id,
                "source_ref",
                &relationship.source_ref,
                ATTACK_PATTERN,
            )?;
            let target_active = self.resolve(
                &relationship.id,
                "target_ref",
                &relationship.target_ref,
                ATTACK_PATTERN,
            )?;
            if !(source_active && target_active) {
                continue;
            }
            let Some(parent) = techniques.get(&relationship.target_ref) else {
                continue;
            };
            let parent = (parent.id.clone(), parent.name.clone());
            if let Some(child) = techniques.get_mut(&relationship.source_ref) {
                child.parent = Some(parent);
            }
        }
        self.relationships = relationships;
        Ok(techniques)
    }

    /// Maps kill chain phase names to the tactics that the bundle's tactic objects define.
    fn tactics_by_shortname(&self) -> Result<HashMap<String, TacticRef>, ImportError> {
        let mut tactics = HashMap::new();
        for tactic in &self.tactics {
            let (id, _) = attack_id(&tactic.id, &tactic.external_references)?;
            let tactic_ref = TacticRef {
                id,
                name: tactic.name.clone(),
                shortname: tactic.x_mitre_shortname.clone(),
            };
            tactics.insert(tactic.x_mitre_shortname.clone(), tactic_ref);
        }
        Ok(tactics)
    }

    /// Builds strategies keyed by STIX id, with their techniques and analytic STIX ids.
    fn build_strategies(
        &mut self,
        techniques: &BTreeMap<String, Technique>,
    ) -> Result<BTreeMap<String, BuiltStrategy>, ImportError> {
        let mut detected: HashMap<String, Vec<String>> = HashMap::new();
        let relationships = std::mem::take(&mut self.relationships);
        for relationship in &relationships {
            if relationship.relationship_type != "detects" {
                continue;
            }
            let source_active = self.resolve(
                &relationship.id,
                "source_ref",
                &relationship.source_ref,
                STRATEGY,
            )?;
            let target_active = self.resolve(
                &relationship.id,
                "target_ref",
                &relationship.target_ref,
                ATTACK_PATTERN,
            )?;
            if source_active && target_active {
                detected
                    .entry(relationship.source_ref.clone())
                    .or_default()
                    .push(relationship.target_ref.clone());
            }
        }
        self.relationships = relationships;

        let mut built = BTreeMap::new();
        let strategies = std::mem::take(&mut self.strategies);
        for strategy in &strategies {
            let (id, url) = attack_id(&strategy.id, &strategy.external_references)?;
            let mut analytic_stix_ids = Vec::new();
            for reference in &strategy.x_mitre_analytic_refs {
                if self.resolve(&strategy.id, "x_mitre_analytic_refs", reference, ANALYTIC)? {
                    analytic_stix_ids.push(reference.clone());
                }
            }
            let mut technique_refs: Vec<TechniqueRef> = detected
                .get(&strategy.id)
                .into_iter()
                .flatten()
                .filter_map(|stix_id| techniques.get(stix_id))
                .map(technique_ref)
                .collect();
            technique_refs.sort_by(|a, b| a.id.cmp(&b.id));
            technique_refs.dedup_by(|a, b| a.id == b.id);
            let strategy_record = DetectionStrategy {
                id,
                name: strategy.name.clone(),
                analytic_ids: Vec::new(),
                technique_ids: technique_refs.iter().map(|t| t.id.clone()).collect(),
                url,
            };
            built.insert(
                strategy.id.clone(),
                BuiltStrategy {
                    strategy: strategy_record,
                    analytic_stix_ids,
                    technique_refs,
                },
            );
        }
        self.strategies = strategies;
        Ok(built)
    }

    /// Builds analytics and fills in each strategy's analytic ids.
    fn build_analytics(
        &mut self,
        strategies: &mut BTreeMap<String, BuiltStrategy>,
    ) -> Result<Vec<Analytic>, ImportError> {
        // NOTE: ATT&CK 18.1 lists every analytic in exactly one strategy. Should one appear in
        // several, the analytic's `strategy` and `techniques` come from the lowest strategy id.
        let mut by_attack_id: Vec<(&String, &BuiltStrategy)> = strategies.iter().collect();
        by_attack_id.sort_by(|a, b| a.1.strategy.id.cmp(&b.1.strategy.id));
        let mut owner: HashMap<String, String> = HashMap::new();
        for (strategy_stix_id, built) in by_attack_id {
            for analytic_stix_id in &built.analytic_stix_ids {
                owner
                    .entry(analytic_stix_id.clone())
                    .or_insert_with(|| strategy_stix_id.clone());
            }
        }

        let raw_analytics = std::mem::take(&mut self.analytics);
        let mut analytics = Vec::with_capacity(raw_analytics.len());
        let mut attack_ids: HashMap<&str, String> = HashMap::new();
        for analytic in &raw_analytics {
            let (id, url) = attack_id(&analytic.id, &analytic.external_references)?;
            attack_ids.insert(&analytic.id, id.clone());
            let strategy = owner
                .get(&analytic.id)
                .and_then(|strategy_stix_id| strategies.get(strategy_stix_id));
            analytics.push(Analytic {
                id,
                stix_id: analytic.id.clone(),
                name: analytic.name.clone(),
                description: analytic.description.clone(),
                platforms: normalize_platforms(&analytic.x_mitre_platforms),
                log_sources: self.build_log_sources(analytic)?,
                mutable_elements: analytic
                    .x_mitre_mutable_elements
                    .iter()
                    .map(|element| MutableElement {
                        field: element.field.clone(),
                        description: element.description.clone(),
                    })
                    .collect(),
                strategy: strategy.map(|built| StrategyRef {
                    id: built.strategy.id.clone(),
                    name: built.strategy.name.clone(),
                }),
                techniques: strategy
                    .map(|built| built.technique_refs.clone())
                    .unwrap_or_default(),
                url,
            });
        }

        for built in strategies.values_mut() {
            built.strategy.analytic_ids = built
                .analytic_stix_ids
                .iter()
                .filter_map(|stix_id| attack_ids.get(stix_id.as_str()).cloned())
                .collect();
        }
        Ok(analytics)
    }

    fn build_log_sources(
        &mut self,
        analytic: &raw::Analytic,
    ) -> Result<Vec<LogSourceRef>, ImportError> {
        let mut log_sources = Vec::new();
        for source in &analytic.x_mitre_log_source_references {
            let reference = &source.x_mitre_data_component_ref;
            self.resolve(
                &analytic.id,
                "x_mitre_log_source_references",
                reference,
                DATA_COMPONENT,
            )?;
            // `resolve` succeeded, so the component was parsed, skipped or not.
            let Some(component) = self.data_components.get(reference) else {
                continue;
            };
            let (component_id, _) = attack_id(reference, &component.external_references)?;
            log_sources.push(LogSourceRef {
                name: source.name.clone(),
                channel: source.channel.clone(),
                data_component_id: component_id,
                data_component_name: component.name.clone(),
            });
        }
        Ok(log_sources)
    }

    fn is_active(&self, stix_id: &str) -> bool {
        matches!(self.objects.get(stix_id), Some((_, Presence::Active)))
    }
}

/// A strategy during import, before its analytic ATT&CK ids are known.
struct BuiltStrategy {
    strategy: DetectionStrategy,
    analytic_stix_ids: Vec<String>,
    technique_refs: Vec<TechniqueRef>,
}

fn technique_ref(technique: &Technique) -> TechniqueRef {
    TechniqueRef {
        id: technique.id.clone(),
        name: technique.name.clone(),
        tactics: technique.tactics.clone(),
        parent: technique.parent.clone(),
    }
}

/// Parses a STIX object into `T`, reporting the object's position and id on failure.
fn parse<T: DeserializeOwned>(
    position: usize,
    id: &str,
    object: serde_json::Value,
) -> Result<T, ImportError> {
    serde_json::from_value(object).map_err(|error| ImportError::InvalidObject {
        position,
        id: id.to_string(),
        reason: error.to_string(),
    })
}

/// Returns the ATT&CK id and URL of an object from its `mitre-attack` external reference.
fn attack_id(
    stix_id: &str,
    references: &[raw::ExternalReference],
) -> Result<(String, Option<String>), ImportError> {
    let reference =
        raw::attack_reference(references).ok_or_else(|| ImportError::MissingAttackId {
            id: stix_id.to_string(),
        })?;
    let id = reference.external_id.clone().unwrap_or_default();
    Ok((id, reference.url.clone()))
}

/// Spells known platforms as [`Platform::attack_name`] does and keeps unknown ones as given.
fn normalize_platforms(platforms: &[String]) -> Vec<String> {
    let mut normalized: Vec<String> = Vec::new();
    for name in platforms {
        let name = match Platform::from_attack_name(name) {
            Some(platform) => platform.attack_name().to_string(),
            None => name.clone(),
        };
        if !normalized.contains(&name) {
            normalized.push(name);
        }
    }
    normalized
}

/// Returns the domain most imported analytics list, the alphabetically first on a tie, or an
/// empty string when none lists a domain.
fn most_common_domain(counts: &BTreeMap<String, usize>) -> String {
    let mut best: Option<(&String, usize)> = None;
    for (domain, &count) in counts {
        if best.is_none_or(|(_, best_count)| count > best_count) {
            best = Some((domain, count));
        }
    }
    best.map(|(domain, _)| domain.clone()).unwrap_or_default()
}
