//! Imports the ATT&CK 18.1 detection bundle and checks the result against values read from the
//! raw STIX JSON. The bundle lives outside the repository, next to it under
//! `shared/data/attack/`; without it the bundle tests print a message and pass.

use std::path::PathBuf;

use glexia::catalog::stix::{self, ImportReport, VersionSource};
use glexia::catalog::{Catalog, LogSourceRef, MutableElement, StrategyRef, TacticRef};

const BUNDLE_NAME: &str = "enterprise-attack-18.1-detection.json";

fn bundle_path() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/attack")
        .join(BUNDLE_NAME);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: ATT&CK bundle not found at {}", path.display());
        None
    }
}

fn shipped_catalog_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("analytics/attack/enterprise-attack-18.1.json")
}

fn import_bundle() -> Option<(Catalog, ImportReport)> {
    let path = bundle_path()?;
    match stix::import_file(&path) {
        Ok(imported) => Some(imported),
        Err(error) => panic!("import of {} failed: {error}", path.display()),
    }
}

#[test]
fn bundle_counts() {
    let Some((catalog, report)) = import_bundle() else {
        return;
    };
    assert_eq!(catalog.attack_version(), "18.1");
    assert_eq!(report.version_source, VersionSource::Fallback);
    assert_eq!(catalog.domain(), "enterprise-attack");
    assert_eq!(catalog.analytics().len(), 1739);
    assert_eq!(catalog.strategies().len(), 691);
    assert_eq!(catalog.data_components().len(), 109);

    // 835 attack-pattern objects: 132 revoked, 12 deprecated, 691 active.
    assert_eq!(catalog.techniques().len(), 691);
    let subtechniques = catalog
        .techniques()
        .iter()
        .filter(|t| t.parent.is_some())
        .count();
    assert_eq!(subtechniques, 475);
    assert_eq!(report.revoked.get("attack-pattern"), Some(&132));
    assert_eq!(report.deprecated.get("attack-pattern"), Some(&12));
    assert_eq!(report.revoked.values().sum::<usize>(), 132);
    assert_eq!(report.deprecated.values().sum::<usize>(), 12);
    assert_eq!(report.ignored.get("identity"), Some(&1));
    assert_eq!(report.imported.get("relationship"), Some(&1168));

    // Two subtechnique-of relationships start at a deprecated technique.
    assert_eq!(report.references_to_skipped.len(), 2);
}

#[test]
fn bundle_every_analytic_resolved() {
    let Some((catalog, _)) = import_bundle() else {
        return;
    };
    for analytic in catalog.analytics() {
        assert!(
            analytic.strategy.is_some(),
            "{} has no strategy",
            analytic.id
        );
        assert_eq!(analytic.techniques.len(), 1, "{} techniques", analytic.id);
        for technique in &analytic.techniques {
            assert!(
                !technique.tactics.is_empty(),
                "{} has no tactic",
                technique.id
            );
        }
    }
    let log_source_refs: usize = catalog
        .analytics()
        .iter()
        .map(|a| a.log_sources.len())
        .sum();
    assert_eq!(log_source_refs, 4126);
    let detected: usize = catalog
        .strategies()
        .iter()
        .map(|s| s.technique_ids.len())
        .sum();
    assert_eq!(detected, 691);
    let listed: usize = catalog
        .strategies()
        .iter()
        .map(|s| s.analytic_ids.len())
        .sum();
    assert_eq!(listed, 1739);
    assert_eq!(catalog.analytics_for_platform("PRE").len(), 92);
    assert_eq!(catalog.analytics_for_platform("Windows").len(), 471);
}

#[test]
fn bundle_analytic_an0750() {
    let Some((catalog, _)) = import_bundle() else {
        return;
    };
    let Some(analytic) = catalog.analytic("AN0750") else {
        panic!("AN0750 not found");
    };
    assert_eq!(
        analytic.stix_id,
        "x-mitre-analytic--34c5e959-876b-4851-8ebf-bfaf97e9e609"
    );
    assert_eq!(analytic.name, "Analytic 0750");
    assert_eq!(
        analytic.description,
        "Logon via RDP or WMI by a user account followed by uncommon command execution, \
         file manipulation, or lateral network connections."
    );
    assert_eq!(analytic.platforms, ["Windows"]);
    assert_eq!(
        analytic.url.as_deref(),
        Some("https://attack.mitre.org/detectionstrategies/DET0269#AN0750")
    );

    let expected_sources = [
        (
            "WinEventLog:Security",
            "EventCode=4624, 4648",
            "DC0067",
            "Logon Session Creation",
        ),
        (
            "WinEventLog:Sysmon",
            "EventCode=1",
            "DC0032",
            "Process Creation",
        ),
        (
            "WinEventLog:Sysmon",
            "EventCode=3, 22",
            "DC0082",
            "Network Connection Creation",
        ),
    ];
    let expected_sources: Vec<LogSourceRef> = expected_sources
        .iter()
        .map(|(name, channel, id, component)| LogSourceRef {
            name: name.to_string(),
            channel: channel.to_string(),
            data_component_id: id.to_string(),
            data_component_name: component.to_string(),
        })
        .collect();
    assert_eq!(analytic.log_sources, expected_sources);

    let fields: Vec<&str> = analytic
        .mutable_elements
        .iter()
        .map(|element| element.field.as_str())
        .collect();
    assert_eq!(fields, ["TimeWindow", "LogonUser", "RemoteHostList"]);
    assert_eq!(
        analytic.mutable_elements[0],
        MutableElement {
            field: "TimeWindow".to_string(),
            description: "Correlation window between remote login and post-access activity"
                .to_string(),
        }
    );

    assert_eq!(
        analytic.strategy,
        Some(StrategyRef {
            id: "DET0269".to_string(),
            name: "Behavioral Detection Strategy for Remote Service Logins and Post-Access \
                   Activity"
                .to_string(),
        })
    );
    assert_eq!(analytic.techniques.len(), 1);
    let technique = &analytic.techniques[0];
    assert_eq!(technique.id, "T1021");
    assert_eq!(technique.name, "Remote Services");
    assert_eq!(technique.parent, None);
    assert_eq!(
        technique.tactics,
        [TacticRef {
            id: "TA0008".to_string(),
            name: "Lateral Movement".to_string(),
            shortname: "lateral-movement".to_string(),
        }]
    );
}

#[test]
fn bundle_lookups() {
    let Some((catalog, _)) = import_bundle() else {
        return;
    };
    let for_t1021: Vec<&str> = catalog
        .analytics_for_technique("T1021")
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert!(for_t1021.contains(&"AN0750"), "{for_t1021:?}");
    assert_eq!(for_t1021.len(), 5);

    let Some(strategy) = catalog.strategy("DET0269") else {
        panic!("DET0269 not found");
    };
    assert_eq!(strategy.technique_ids, ["T1021"]);
    assert_eq!(strategy.analytic_ids.len(), 5);
    assert_eq!(strategy.analytic_ids[0], "AN0750");

    let Some(subtechnique) = catalog.technique("T1021.001") else {
        panic!("T1021.001 not found");
    };
    assert_eq!(
        subtechnique.parent,
        Some(("T1021".to_string(), "Remote Services".to_string()))
    );

    let Some(process_creation) = catalog.data_component("DC0032") else {
        panic!("DC0032 not found");
    };
    assert_eq!(process_creation.name, "Process Creation");
}

#[test]
fn bundle_allowed_log_sources() {
    let Some((catalog, _)) = import_bundle() else {
        return;
    };
    let Some(allowed) = catalog.allowed_log_sources("AN0750") else {
        panic!("AN0750 not found");
    };
    // The analytic's own entries come first, in bundle order.
    assert_eq!(allowed[0], ("WinEventLog:Security", "EventCode=4624, 4648"));
    assert_eq!(allowed[1], ("WinEventLog:Sysmon", "EventCode=1"));
    assert_eq!(allowed[2], ("WinEventLog:Sysmon", "EventCode=3, 22"));
    // DC0032 (Process Creation) also lists Security 4688.
    assert!(
        allowed.contains(&("WinEventLog:Security", "EventCode=4688")),
        "{allowed:?}"
    );
    let mut unique = allowed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), allowed.len());
    assert_eq!(catalog.allowed_log_sources("AN9999"), None);
}

#[test]
fn embedded_equals_fresh_import() {
    let Some((fresh, _)) = import_bundle() else {
        return;
    };
    let embedded = match Catalog::embedded() {
        Ok(catalog) => catalog,
        Err(error) => panic!("embedded catalog failed to parse: {error}"),
    };
    assert!(
        embedded == fresh,
        "the embedded catalog differs from a fresh import; regenerate it with \
         `cargo test --test catalog_import -- --ignored regenerate`"
    );
    let fresh_json = match fresh.to_json_pretty() {
        Ok(json) => json,
        Err(error) => panic!("serialization failed: {error}"),
    };
    assert!(
        fresh_json == Catalog::embedded_json(),
        "the embedded JSON differs byte for byte from a fresh import"
    );
}

#[test]
fn embedded_parses_without_bundle() {
    let embedded = match Catalog::embedded() {
        Ok(catalog) => catalog,
        Err(error) => panic!("embedded catalog failed to parse: {error}"),
    };
    assert_eq!(embedded.attack_version(), "18.1");
    assert_eq!(embedded.analytics().len(), 1739);
    assert!(embedded.analytic("AN0750").is_some());
    let from_file = match Catalog::from_file(&shipped_catalog_path()) {
        Ok(catalog) => catalog,
        Err(error) => panic!("shipped catalog failed to load: {error}"),
    };
    assert!(from_file == embedded);
}

#[test]
fn import_twice_same_json() {
    let Some(path) = bundle_path() else {
        return;
    };
    let output = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("temporary directory failed: {error}"),
    };
    let first = output.path().join("first.json");
    let second = output.path().join("second.json");
    for target in [&first, &second] {
        if let Err(error) = stix::generate_catalog_file(&path, target) {
            panic!("generation failed: {error}");
        }
    }
    let first = std::fs::read(first).unwrap_or_default();
    let second = std::fs::read(second).unwrap_or_default();
    assert!(!first.is_empty());
    assert!(
        first == second,
        "two imports of one bundle wrote different bytes"
    );
}

/// Rewrites the shipped catalog from the bundle; run it after changing the importer.
#[test]
#[ignore = "writes analytics/attack/enterprise-attack-18.1.json"]
fn regenerate_shipped_catalog() {
    let Some(path) = bundle_path() else {
        return;
    };
    match stix::generate_catalog_file(&path, &shipped_catalog_path()) {
        Ok(report) => println!("{report:#?}"),
        Err(error) => panic!("generation failed: {error}"),
    }
}

/// Checks one analytic of the embedded catalog against values read from the raw STIX bundle.
fn assert_analytic(
    catalog: &Catalog,
    id: &str,
    description: &str,
    platform: &str,
    log_sources: &[(&str, &str)],
    mutable_elements: &[&str],
) {
    let analytic = catalog.analytic(id).expect("analytic in catalog");
    assert_eq!(analytic.description, description, "{id}");
    assert_eq!(analytic.platforms, [platform], "{id}");
    let sources: Vec<(&str, &str)> = analytic
        .log_sources
        .iter()
        .map(|l| (l.name.as_str(), l.channel.as_str()))
        .collect();
    assert_eq!(sources, log_sources, "{id}");
    let fields: Vec<&str> = analytic
        .mutable_elements
        .iter()
        .map(|m| m.field.as_str())
        .collect();
    assert_eq!(fields, mutable_elements, "{id}");
}

#[test]
fn embedded_analytics_across_platforms() {
    let catalog = Catalog::embedded().expect("embedded catalog parses");
    assert_analytic(
        &catalog,
        "AN0746",
        "Abuse of cloud messaging platforms to send mass spam or consume quota-based resources.",
        "SaaS",
        &[
            ("m365:unified", "SendMessage"),
            (
                "saas:application",
                "High-volume API calls or traffic via messaging or webhook service",
            ),
        ],
        &["MessageRateThreshold", "APIKeyList"],
    );
    assert_analytic(
        &catalog,
        "AN0751",
        "SSH session from new source IP followed by interactive shell or privilege escalation \
         (e.g., sudo, su) and outbound lateral connection.",
        "Linux",
        &[
            ("linux:syslog", "sshd: Accepted password/publickey"),
            ("auditd:SYSCALL", "execve, USER_CMD"),
        ],
        &["SourceIP", "CommandList"],
    );
    assert_analytic(
        &catalog,
        "AN0754",
        "vSphere API logins (vimService) or SSH to ESXi host followed by unauthorized shell \
         commands or lateral remote logins from the ESXi host.",
        "ESXi",
        &[
            ("esxi:vmkernel", "vim.fault.*, DCUI login, SSH shell"),
            ("esxi:shell", "Command execution trace"),
        ],
        &["SessionType", "CommandPattern"],
    );
    assert_analytic(
        &catalog,
        "AN0766",
        "Observes creation or modification of LaunchAgent/LaunchDaemon property list files \
         combined with anomalous plist payload execution after user logon",
        "macOS",
        &[
            (
                "macos:unifiedlog",
                "Observed loading of new LaunchAgent or LaunchDaemon plist",
            ),
            ("macos:unifiedlog", "write"),
            (
                "macos:unifiedlog",
                "Execution of binary listed in newly modified LaunchAgent plist",
            ),
        ],
        &["PlistKey", "TimeWindow"],
    );
}
