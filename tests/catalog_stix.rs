//! STIX import on small hand-written bundles: references, skipped objects, optional fields,
//! tactics, versions and malformed input.

use std::path::Path;

use glexia::catalog::stix::{self, ImportError, ImportReport, SkippedReference, VersionSource};
use glexia::catalog::{Catalog, CatalogError};
use serde_json::{Value, json};

const ANALYTIC_ID: &str = "x-mitre-analytic--00000000-0000-0000-0000-000000000001";
const STRATEGY_ID: &str = "x-mitre-detection-strategy--00000000-0000-0000-0000-000000000002";
const TECHNIQUE_ID: &str = "attack-pattern--00000000-0000-0000-0000-000000000003";
const SUBTECHNIQUE_ID: &str = "attack-pattern--00000000-0000-0000-0000-000000000004";
const COMPONENT_ID: &str = "x-mitre-data-component--00000000-0000-0000-0000-000000000005";

fn attack_ref(id: &str) -> Value {
    json!([{ "source_name": "mitre-attack", "external_id": id,
             "url": format!("https://attack.mitre.org/{id}") }])
}

fn collection() -> Value {
    json!({ "type": "x-mitre-collection", "id": "x-mitre-collection--1", "x_mitre_version": "9.9" })
}

fn analytic() -> Value {
    json!({
        "type": "x-mitre-analytic",
        "id": ANALYTIC_ID,
        "name": "Analytic 0001",
        "description": "Process creation by a remote session.",
        "external_references": attack_ref("AN0001"),
        "x_mitre_platforms": ["windows", "PRE"],
        "x_mitre_domains": ["enterprise-attack"],
        "x_mitre_log_source_references": [{
            "x_mitre_data_component_ref": COMPONENT_ID,
            "name": "WinEventLog:Sysmon",
            "channel": "EventCode=1"
        }],
        "x_mitre_mutable_elements": [{ "field": "TimeWindow", "description": "Window" }]
    })
}

fn strategy() -> Value {
    json!({
        "type": "x-mitre-detection-strategy",
        "id": STRATEGY_ID,
        "name": "Strategy one",
        "external_references": attack_ref("DET0001"),
        "x_mitre_analytic_refs": [ANALYTIC_ID]
    })
}

fn technique() -> Value {
    json!({
        "type": "attack-pattern",
        "id": TECHNIQUE_ID,
        "name": "Remote Services",
        "external_references": attack_ref("T1021"),
        "kill_chain_phases": [{ "kill_chain_name": "mitre-attack", "phase_name": "lateral-movement" }],
        "x_mitre_platforms": ["Windows"]
    })
}

fn subtechnique() -> Value {
    json!({
        "type": "attack-pattern",
        "id": SUBTECHNIQUE_ID,
        "name": "Remote Desktop Protocol",
        "external_references": attack_ref("T1021.001"),
        "kill_chain_phases": [{ "kill_chain_name": "mitre-attack", "phase_name": "lateral-movement" }]
    })
}

fn data_component() -> Value {
    json!({
        "type": "x-mitre-data-component",
        "id": COMPONENT_ID,
        "name": "Process Creation",
        "external_references": attack_ref("DC0032"),
        "x_mitre_log_sources": [
            { "name": "WinEventLog:Sysmon", "channel": "EventCode=1" },
            { "name": "WinEventLog:Security", "channel": "EventCode=4688" }
        ]
    })
}

fn relationship(id: &str, kind: &str, source: &str, target: &str) -> Value {
    json!({
        "type": "relationship",
        "id": format!("relationship--{id}"),
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target
    })
}

fn detects() -> Value {
    relationship("detects", "detects", STRATEGY_ID, TECHNIQUE_ID)
}

fn subtechnique_of() -> Value {
    relationship("sub", "subtechnique-of", SUBTECHNIQUE_ID, TECHNIQUE_ID)
}

/// Returns a complete small bundle: one analytic, its strategy, technique, sub-technique and
/// data component.
fn full_objects() -> Vec<Value> {
    vec![
        collection(),
        analytic(),
        strategy(),
        technique(),
        subtechnique(),
        data_component(),
        detects(),
        subtechnique_of(),
    ]
}

fn bundle(objects: Vec<Value>) -> String {
    json!({ "type": "bundle", "id": "bundle--1", "objects": objects }).to_string()
}

fn import_ok(objects: Vec<Value>) -> (Catalog, ImportReport) {
    match stix::import(&bundle(objects)) {
        Ok(imported) => imported,
        Err(error) => panic!("import failed: {error}"),
    }
}

fn import_err(objects: Vec<Value>) -> ImportError {
    match stix::import(&bundle(objects)) {
        Ok(_) => panic!("import succeeded but an error was expected"),
        Err(error) => error,
    }
}

fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

#[test]
fn full_bundle_imports() {
    let (catalog, report) = import_ok(full_objects());
    assert_eq!(catalog.attack_version(), "9.9");
    assert_eq!(report.version_source, VersionSource::Collection);
    assert_eq!(catalog.domain(), "enterprise-attack");

    let Some(analytic) = catalog.analytic("AN0001") else {
        panic!("AN0001 not found");
    };
    assert_eq!(analytic.stix_id, ANALYTIC_ID);
    assert_eq!(analytic.platforms, ["Windows", "PRE"]);
    assert_eq!(analytic.log_sources.len(), 1);
    assert_eq!(analytic.log_sources[0].data_component_id, "DC0032");
    assert_eq!(
        analytic.log_sources[0].data_component_name,
        "Process Creation"
    );
    assert_eq!(analytic.mutable_elements[0].field, "TimeWindow");
    assert_eq!(
        analytic.strategy.as_ref().map(|s| s.id.as_str()),
        Some("DET0001")
    );
    assert_eq!(analytic.techniques.len(), 1);
    assert_eq!(analytic.techniques[0].id, "T1021");
    assert_eq!(analytic.techniques[0].tactics[0].id, "TA0008");
    assert_eq!(
        analytic.url.as_deref(),
        Some("https://attack.mitre.org/AN0001")
    );
    let known: Vec<_> = analytic.known_platforms().collect();
    assert_eq!(known, [glexia::store::Platform::Windows]);

    let Some(subtechnique) = catalog.technique("T1021.001") else {
        panic!("T1021.001 not found");
    };
    assert_eq!(
        subtechnique.parent,
        Some(("T1021".to_string(), "Remote Services".to_string()))
    );
    assert_eq!(
        catalog.strategy("DET0001").map(|s| s.analytic_ids.clone()),
        Some(vec!["AN0001".to_string()])
    );
    assert_eq!(catalog.analytics_for_technique("T1021").len(), 1);
    assert_eq!(catalog.analytics_for_technique("T1021.001").len(), 0);
    assert_eq!(catalog.analytics_for_platform("pre").len(), 1);
    assert_eq!(
        catalog.allowed_log_sources("AN0001"),
        Some(vec![
            ("WinEventLog:Sysmon", "EventCode=1"),
            ("WinEventLog:Security", "EventCode=4688"),
        ])
    );
}

#[test]
fn dangling_analytic_ref_rejected() {
    let mut objects = full_objects();
    let missing = "x-mitre-analytic--ffffffff-0000-0000-0000-000000000000";
    let mut broken = strategy();
    set(
        &mut broken,
        "x_mitre_analytic_refs",
        json!([ANALYTIC_ID, missing]),
    );
    objects[2] = broken;
    let error = import_err(objects);
    let message = error.to_string();
    assert!(message.contains(STRATEGY_ID), "{message}");
    assert!(message.contains(missing), "{message}");
    assert!(matches!(
        error,
        ImportError::DanglingReference {
            field: "x_mitre_analytic_refs",
            ..
        }
    ));
}

#[test]
fn dangling_detects_target_rejected() {
    let mut objects = full_objects();
    let missing = "attack-pattern--ffffffff-0000-0000-0000-000000000000";
    objects[6] = relationship("detects", "detects", STRATEGY_ID, missing);
    let error = import_err(objects);
    let message = error.to_string();
    assert!(message.contains("relationship--detects"), "{message}");
    assert!(message.contains(missing), "{message}");
}

#[test]
fn dangling_data_component_rejected() {
    let objects: Vec<Value> = full_objects()
        .into_iter()
        .filter(|object| object["id"] != COMPONENT_ID)
        .collect();
    let error = import_err(objects);
    let message = error.to_string();
    assert!(message.contains(ANALYTIC_ID), "{message}");
    assert!(message.contains(COMPONENT_ID), "{message}");
}

#[test]
fn wrong_reference_type_rejected() {
    let mut objects = full_objects();
    objects[6] = relationship("detects", "detects", STRATEGY_ID, COMPONENT_ID);
    let error = import_err(objects);
    assert!(
        matches!(
            error,
            ImportError::WrongReferenceType {
                expected: "attack-pattern",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn revoked_analytic_skipped() {
    let mut objects = full_objects();
    set(&mut objects[1], "revoked", json!(true));
    let (catalog, report) = import_ok(objects);
    assert!(catalog.analytics().is_empty());
    assert_eq!(report.revoked.get("x-mitre-analytic"), Some(&1));
    assert_eq!(report.imported.get("x-mitre-analytic"), None);
    assert_eq!(
        report.references_to_skipped,
        [SkippedReference {
            object_id: STRATEGY_ID.to_string(),
            reference: ANALYTIC_ID.to_string(),
        }]
    );
    assert_eq!(
        catalog.strategy("DET0001").map(|s| s.analytic_ids.len()),
        Some(0)
    );
}

#[test]
fn deprecated_technique_skipped() {
    let mut objects = full_objects();
    set(&mut objects[4], "x_mitre_deprecated", json!(true));
    let (catalog, report) = import_ok(objects);
    assert!(catalog.technique("T1021.001").is_none());
    assert!(catalog.technique("T1021").is_some());
    assert_eq!(report.deprecated.get("attack-pattern"), Some(&1));
    assert_eq!(report.references_to_skipped.len(), 1);
}

#[test]
fn revoked_data_component_still_named() {
    let mut objects = full_objects();
    set(&mut objects[5], "revoked", json!(true));
    let (catalog, report) = import_ok(objects);
    assert!(catalog.data_component("DC0032").is_none());
    let Some(analytic) = catalog.analytic("AN0001") else {
        panic!("AN0001 not found");
    };
    assert_eq!(analytic.log_sources[0].data_component_id, "DC0032");
    assert_eq!(
        catalog.allowed_log_sources("AN0001"),
        Some(vec![("WinEventLog:Sysmon", "EventCode=1")])
    );
    assert_eq!(report.references_to_skipped.len(), 1);
}

#[test]
fn missing_optional_fields_tolerated() {
    let objects = vec![
        collection(),
        json!({ "type": "x-mitre-analytic", "id": ANALYTIC_ID,
                "external_references": attack_ref("AN0001") }),
        json!({ "type": "x-mitre-detection-strategy", "id": STRATEGY_ID,
                "external_references": [{ "source_name": "mitre-attack",
                                          "external_id": "DET0001" }] }),
        json!({ "type": "attack-pattern", "id": TECHNIQUE_ID,
                "external_references": attack_ref("T1021") }),
        json!({ "type": "x-mitre-data-component", "id": COMPONENT_ID,
                "external_references": attack_ref("DC0032") }),
        detects(),
    ];
    let (catalog, _) = import_ok(objects);
    let Some(analytic) = catalog.analytic("AN0001") else {
        panic!("AN0001 not found");
    };
    assert_eq!(analytic.description, "");
    assert!(analytic.platforms.is_empty());
    assert!(analytic.log_sources.is_empty());
    assert!(analytic.mutable_elements.is_empty());
    assert!(analytic.strategy.is_none());
    assert_eq!(
        catalog.strategy("DET0001").and_then(|s| s.url.clone()),
        None
    );
    assert_eq!(catalog.technique("T1021").map(|t| t.tactics.len()), Some(0));
    assert_eq!(catalog.domain(), "");
}

#[test]
fn unknown_object_types_ignored() {
    let mut objects = full_objects();
    objects.push(json!({ "type": "intrusion-set", "id": "intrusion-set--1", "revoked": true }));
    objects.push(json!({ "type": "marking-definition", "id": "marking-definition--1" }));
    objects.push(json!({ "type": "identity", "id": "identity--1" }));
    objects.push(relationship(
        "uses",
        "uses",
        "intrusion-set--1",
        "attack-pattern--absent",
    ));
    let (catalog, report) = import_ok(objects);
    assert_eq!(catalog.analytics().len(), 1);
    assert_eq!(report.ignored.get("intrusion-set"), Some(&1));
    assert_eq!(report.ignored.get("marking-definition"), Some(&1));
    assert_eq!(report.ignored.get("identity"), Some(&1));
    assert!(report.revoked.is_empty(), "{:?}", report.revoked);
}

#[test]
fn tactic_objects_preferred() {
    let mut objects = full_objects();
    objects.push(json!({
        "type": "x-mitre-tactic",
        "id": "x-mitre-tactic--1",
        "name": "Sideways Movement",
        "x_mitre_shortname": "lateral-movement",
        "external_references": attack_ref("TA9999")
    }));
    let (catalog, report) = import_ok(objects);
    let tactics = catalog.technique("T1021").map(|t| t.tactics.clone());
    let Some(tactics) = tactics else {
        panic!("T1021 not found");
    };
    assert_eq!(tactics[0].id, "TA9999");
    assert_eq!(tactics[0].name, "Sideways Movement");
    assert_eq!(report.imported.get("x-mitre-tactic"), Some(&1));
}

#[test]
fn unknown_tactic_phase_rejected() {
    let mut objects = full_objects();
    set(
        &mut objects[3],
        "kill_chain_phases",
        json!([{ "kill_chain_name": "mitre-attack", "phase_name": "teleportation" }]),
    );
    let error = import_err(objects);
    let message = error.to_string();
    assert!(message.contains("teleportation"), "{message}");
    assert!(message.contains(TECHNIQUE_ID), "{message}");
}

#[test]
fn foreign_kill_chain_ignored() {
    let mut objects = full_objects();
    set(
        &mut objects[3],
        "kill_chain_phases",
        json!([{ "kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery" },
               { "kill_chain_name": "mitre-attack", "phase_name": "execution" }]),
    );
    let (catalog, _) = import_ok(objects);
    let ids: Vec<String> = catalog
        .technique("T1021")
        .map(|t| t.tactics.iter().map(|tactic| tactic.id.clone()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["TA0002"]);
}

#[test]
fn missing_version_rejected() {
    let objects: Vec<Value> = full_objects().into_iter().skip(1).collect();
    let json = bundle(objects);
    assert!(matches!(
        stix::import(&json),
        Err(ImportError::MissingVersion)
    ));

    let imported = stix::import_with_fallback_version(&json, Some("18.1"));
    let Ok((catalog, report)) = imported else {
        panic!("import with fallback failed");
    };
    assert_eq!(catalog.attack_version(), "18.1");
    assert_eq!(report.version_source, VersionSource::Fallback);
}

#[test]
fn collection_version_beats_fallback() {
    let imported = stix::import_with_fallback_version(&bundle(full_objects()), Some("1.0"));
    let Ok((catalog, report)) = imported else {
        panic!("import failed");
    };
    assert_eq!(catalog.attack_version(), "9.9");
    assert_eq!(report.version_source, VersionSource::Collection);
}

#[test]
fn version_from_file_names() {
    let cases = [
        ("enterprise-attack-18.1-detection.json", Some("18.1")),
        ("/data/enterprise-attack-17.0.json", Some("17.0")),
        ("enterprise-attack-v16.1.json", Some("16.1")),
        ("mobile-attack-18.json", Some("18")),
        ("enterprise-attack.json", None),
        ("attack-1..json", None),
    ];
    for (name, expected) in cases {
        assert_eq!(
            stix::version_from_file_name(Path::new(name)).as_deref(),
            expected,
            "{name}"
        );
    }
}

#[test]
fn malformed_input_rejected() {
    assert!(matches!(
        stix::import("not json"),
        Err(ImportError::Json(_))
    ));
    assert!(matches!(stix::import("[]"), Err(ImportError::Json(_))));
    let not_bundle = json!({ "type": "indicator", "objects": [] }).to_string();
    assert!(matches!(
        stix::import(&not_bundle),
        Err(ImportError::NotABundle { .. })
    ));

    let mut objects = full_objects();
    objects.push(json!({ "type": "attack-pattern" }));
    assert!(matches!(
        import_err(objects),
        ImportError::InvalidObject { position: 8, .. }
    ));

    let mut objects = full_objects();
    set(&mut objects[1], "x_mitre_platforms", json!("Windows"));
    let error = import_err(objects);
    assert!(error.to_string().contains(ANALYTIC_ID), "{error}");

    let mut objects = full_objects();
    objects.push(analytic());
    assert!(matches!(
        import_err(objects),
        ImportError::DuplicateObject { .. }
    ));

    let mut objects = full_objects();
    set(&mut objects[1], "external_references", json!([]));
    assert!(matches!(
        import_err(objects),
        ImportError::MissingAttackId { .. }
    ));
}

#[test]
fn duplicate_attack_id_rejected() {
    let mut objects = full_objects();
    let mut second = analytic();
    set(
        &mut second,
        "id",
        json!("x-mitre-analytic--00000000-0000-0000-0000-0000000000ff"),
    );
    objects.push(second);
    let error = import_err(objects);
    assert!(
        matches!(
            error,
            ImportError::Catalog(CatalogError::DuplicateId {
                kind: "analytic",
                ..
            })
        ),
        "{error}"
    );
}

#[test]
fn truncated_bundles_never_panic() {
    let json = bundle(full_objects());
    for end in 0..json.len() {
        if json.is_char_boundary(end) {
            assert!(
                stix::import(&json[..end]).is_err(),
                "prefix of {end} bytes imported"
            );
        }
    }
}

#[test]
fn catalog_json_round_trip() {
    let (catalog, _) = import_ok(full_objects());
    let json = match catalog.to_json_pretty() {
        Ok(json) => json,
        Err(error) => panic!("serialization failed: {error}"),
    };
    let parsed = match Catalog::from_json(&json) {
        Ok(parsed) => parsed,
        Err(error) => panic!("parse failed: {error}"),
    };
    assert!(parsed == catalog);
    assert_eq!(
        parsed.analytic("AN0001").map(|a| a.id.as_str()),
        Some("AN0001")
    );
}

#[test]
fn catalog_json_duplicate_rejected() {
    let (catalog, _) = import_ok(full_objects());
    let mut value = match serde_json::to_value(&catalog) {
        Ok(value) => value,
        Err(error) => panic!("serialization failed: {error}"),
    };
    let first = value["analytics"][0].clone();
    if let Some(analytics) = value["analytics"].as_array_mut() {
        analytics.push(first);
    }
    let error = Catalog::from_json(&value.to_string());
    let Err(error) = error else {
        panic!("duplicate analytic accepted");
    };
    assert!(error.to_string().contains("AN0001"), "{error}");
}
