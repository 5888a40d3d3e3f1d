//! The conversion of parsed STIX objects into catalog entries.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::raw;
use super::{ImportError, ImportReport, SkippedReference, VersionSource};
use crate::catalog::tactics::enterprise_tactic;
use crate::catalog::{
    Analytic, Catalog, DataComponent, DetectionStrategy, LogSource, LogSourceRef, MutableElement,
    StrategyRef, TacticRef, Technique, TechniqueRef,
};
use crate::store::Platform;

const ANALYTIC: &str = "x-mitre-analytic";
const STRATEGY: &str = "x-mitre-detection-strategy";
const ATTACK_PATTERN: &str = "attack-pattern";
const DATA_COMPONENT: &str = "x-mitre-data-component";
const RELATIONSHIP: &str = "relationship";
const TACTIC: &str = "x-mitre-tactic";
const COLLECTION: &str = "x-mitre-collection";

/// Whether an object was imported or skipped as revoked or deprecated.
enum Presence {
    Active,
    Skipped,
}

#[derive(Default)]
pub(super) struct Importer {
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
    /// How many imported analytics list each ATT&CK domain.
    domain_counts: BTreeMap<String, usize>,
}

impl Importer {
    pub(super) fn add_object(
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

        let used = matches!(
            kind.as_str(),
            ANALYTIC
                | STRATEGY
                | ATTACK_PATTERN
                | DATA_COMPONENT
                | RELATIONSHIP
                | TACTIC
                | COLLECTION
        );
        if !used {
            // Recorded so that a reference to it is not reported as dangling.
            let previous = self
                .objects
                .insert(id.clone(), (kind.clone(), Presence::Active));
            if previous.is_some() {
                return Err(ImportError::DuplicateObject { id });
            }
            *self.report.ignored.entry(kind).or_default() += 1;
            return Ok(());
        }

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
        let previous = self.objects.insert(id.clone(), (kind.clone(), presence));
        if previous.is_some() {
            return Err(ImportError::DuplicateObject { id });
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

    pub(super) fn finish(
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
