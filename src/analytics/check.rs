//! Checks that hold each executable analytic to the ATT&CK catalog's record of it.
//!
//! An analytic passes when its id exists in the catalog, its platform and technique agree with
//! the catalog's, every log source it reads is one the ATT&CK analytic names (directly or through
//! a data component it references), and every tunable is one of its mutable elements unless the file marks it
//! `mutable_element = false`.

use std::path::PathBuf;

use crate::catalog::Catalog;

use super::Analytic;

/// One disagreement between an analytic file and the catalog.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: field '{field}': {message}")]
pub struct CheckError {
    /// The analytic file.
    pub path: PathBuf,
    /// The field that disagrees, such as `reads[1].event_codes`.
    pub field: String,
    /// What the catalog says instead.
    pub message: String,
}

/// Checks every analytic against `catalog` and returns all disagreements.
pub fn check(analytics: &[Analytic], catalog: &Catalog) -> Vec<CheckError> {
    analytics
        .iter()
        .flat_map(|analytic| check_one(analytic, catalog))
        .collect()
}

fn check_one(analytic: &Analytic, catalog: &Catalog) -> Vec<CheckError> {
    let mut errors = Vec::new();
    let mut fail = |field: String, message: String| {
        errors.push(CheckError {
            path: analytic.path.clone(),
            field,
            message,
        });
    };
    let Some(entry) = catalog.analytic(&analytic.id) else {
        fail(
            "id".into(),
            format!(
                "'{}' is not in the ATT&CK {} catalog",
                analytic.id,
                catalog.attack_version()
            ),
        );
        return errors;
    };

    if !entry.platforms.iter().any(|p| p == &analytic.platform) {
        fail(
            "platform".into(),
            format!(
                "'{}' is not a platform of {}; the catalog lists {}",
                analytic.platform,
                analytic.id,
                entry.platforms.join(", ")
            ),
        );
    }

    if !entry.techniques.iter().any(|t| t.id == analytic.technique) {
        let listed: Vec<&str> = entry.techniques.iter().map(|t| t.id.as_str()).collect();
        fail(
            "technique".into(),
            format!(
                "'{}' is not detected by {}'s strategy; the catalog lists {}",
                analytic.technique,
                analytic.id,
                listed.join(", ")
            ),
        );
    }

    let allowed = catalog
        .allowed_log_sources(&analytic.id)
        .unwrap_or_default();
    for (i, read) in analytic.reads.iter().enumerate() {
        let channels: Vec<&str> = allowed
            .iter()
            .filter(|(name, _)| *name == read.log_source)
            .map(|(_, channel)| *channel)
            .collect();
        if channels.is_empty() {
            fail(
                format!("reads[{i}].log_source"),
                format!(
                    "'{}' is not a log source that {} names, directly or through its data \
                     components",
                    read.log_source, analytic.id
                ),
            );
            continue;
        }
        let codes: Vec<String> = channels.iter().flat_map(|c| event_codes(c)).collect();
        for code in &read.event_codes {
            if !codes.contains(code) {
                fail(
                    format!("reads[{i}].event_codes"),
                    format!(
                        "event code '{code}' of '{}' is not one {} names; allowed: {}",
                        read.log_source,
                        analytic.id,
                        if codes.is_empty() {
                            "none".to_owned()
                        } else {
                            codes.join(", ")
                        }
                    ),
                );
            }
        }
    }

    for tunable in analytic.tunables.iter().filter(|t| t.mutable_element) {
        if !entry
            .mutable_elements
            .iter()
            .any(|m| m.field == tunable.name)
        {
            let listed: Vec<&str> = entry
                .mutable_elements
                .iter()
                .map(|m| m.field.as_str())
                .collect();
            fail(
                format!("tunables.{}", tunable.name),
                format!(
                    "'{}' is not a mutable element of {}; the catalog lists {}",
                    tunable.name,
                    analytic.id,
                    listed.join(", ")
                ),
            );
        }
    }
    errors
}

/// Extracts the event codes from an ATT&CK channel such as `EventCode=4624, 4648`.
///
/// ATT&CK writes channels as free text; only the `EventCode=` form lists codes, so any other
/// channel yields none.
pub fn event_codes(channel: &str) -> Vec<String> {
    let Some(rest) = channel.trim().strip_prefix("EventCode=") else {
        return Vec::new();
    };
    rest.split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn catalog() -> Catalog {
        Catalog::embedded().expect("embedded catalog parses")
    }

    #[test]
    fn builtin_analytics_agree_with_catalog() {
        let (analytics, errors) = super::super::load(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        let problems = check(&analytics, &catalog());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn event_codes_of_channels() {
        assert_eq!(event_codes("EventCode=4624, 4648"), ["4624", "4648"]);
        assert_eq!(event_codes("EventCode=1"), ["1"]);
        assert!(event_codes("None").is_empty());
        assert!(event_codes("execve").is_empty());
    }

    fn with(text_change: impl Fn(&str) -> String) -> Vec<CheckError> {
        let original = include_str!("../../analytics/windows/AN0750.toml");
        let analytic = Analytic::from_toml(Path::new("AN0750.toml"), &text_change(original))
            .expect("edited analytic still parses");
        check(&[analytic], &catalog())
    }

    #[test]
    fn unlisted_event_code_is_reported() {
        let errors =
            with(|s| s.replace(r#"event_codes = ["1", "3"]"#, r#"event_codes = ["1", "8"]"#));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "reads[1].event_codes");
        assert!(errors[0].message.contains("'8'"), "{}", errors[0].message);
    }

    #[test]
    fn wrong_technique_platform_and_tunable_are_reported() {
        let errors = with(|s| {
            s.replace(r#"technique = "T1021""#, r#"technique = "T1003""#)
                .replace(r#"platform = "Windows""#, r#"platform = "Linux""#)
                .replace("[tunables.LogonUser]", "[tunables.LoginUser]")
                .replace("{{LogonUser}}", "{{LoginUser}}")
        });
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["platform", "technique", "tunables.LoginUser"]);
    }

    #[test]
    fn unknown_id_is_reported() {
        let errors = with(|s| s.replace(r#"id = "AN0750""#, r#"id = "AN9999""#));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "id");
    }

    #[test]
    fn unnamed_log_source_is_reported() {
        let errors = with(|s| s.replace("WinEventLog:Sysmon", "WinEventLog:PowerShell"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "reads[1].log_source");
    }
}
