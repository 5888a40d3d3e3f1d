//! The enterprise ATT&CK tactics, for bundles that carry no `x-mitre-tactic` objects.

use super::TacticRef;

/// Enterprise tactics as `(kill chain phase name, ATT&CK id, display name)`, in matrix order.
///
/// Bundles exported by MITRE include `x-mitre-tactic` objects, and the importer prefers those.
/// NOTE: this table follows the enterprise matrix of ATT&CK v18, so a release that adds a tactic
/// needs a new row here unless its bundle carries tactic objects.
const ENTERPRISE_TACTICS: [(&str, &str, &str); 14] = [
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("resource-development", "TA0042", "Resource Development"),
    ("initial-access", "TA0001", "Initial Access"),
    ("execution", "TA0002", "Execution"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege-escalation", "TA0004", "Privilege Escalation"),
    ("defense-evasion", "TA0005", "Defense Evasion"),
    ("credential-access", "TA0006", "Credential Access"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral-movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("command-and-control", "TA0011", "Command and Control"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("impact", "TA0040", "Impact"),
];

/// Returns the enterprise tactic for a kill chain phase name such as `lateral-movement`.
pub(crate) fn enterprise_tactic(phase_name: &str) -> Option<TacticRef> {
    ENTERPRISE_TACTICS
        .iter()
        .find(|(phase, _, _)| *phase == phase_name)
        .map(|(phase, id, name)| TacticRef {
            id: (*id).to_string(),
            name: (*name).to_string(),
            shortname: (*phase).to_string(),
        })
}
