//! The Windows analytics on the Windows samples: each fires on its attack story with exactly the
//! expected chain, stays quiet on the benign look-alikes, and follows its tunables.
//!
//! samples/windows/README.md lists each story and near-miss with its records.

use std::path::PathBuf;

use glexia::engine::{self, ScanResult, Setup};

const WS01_SYSMON: &str = "WS01-Sysmon.jsonl";
const WS01_SECURITY: &str = "WS01-Security.jsonl";
const WS01_WMI: &str = "WS01-WMI.jsonl";
const WS02_SYSMON: &str = "WS02-Sysmon.jsonl";
const WS02_SECURITY: &str = "WS02-Security.jsonl";
const DC01_SYSMON: &str = "DC01-Sysmon.jsonl";
const DC01_SECURITY: &str = "DC01-Security.jsonl";
const FS01_SECURITY: &str = "FS01-Security.jsonl";

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/windows")
}

fn setup() -> Setup {
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");
    assert!(setup.problems.is_empty(), "{:?}", setup.problems);
    setup
}

/// Scans the Windows samples with the analytic `id` tuned by `(tunable, value)` pairs.
fn scan_tuned(id: &str, tunables: &[(&str, &str)]) -> ScanResult {
    let mut setup = setup();
    let analytic = setup
        .analytics
        .iter_mut()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("{id} ships"));
    for (name, value) in tunables {
        analytic
            .set_tunable(name, value)
            .unwrap_or_else(|e| panic!("{name} = {value}: {e}"));
    }
    let result = engine::scan(&setup, &[samples()]);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    result
}

fn scan() -> ScanResult {
    scan_tuned("AN0750", &[])
}

/// Returns each chain of `analytic` as `[(file name, record), …]` in step order.
fn chains(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, u64)>> {
    let store = &result.store;
    result
        .findings
        .iter()
        .filter(|f| f.analytic == analytic)
        .flat_map(|f| &f.chains)
        .map(|chain| {
            chain
                .steps
                .iter()
                .map(|step| {
                    let event = &store.events()[step.event];
                    let path = store.file_path(event.origin().file).expect("known file");
                    let name = path.file_name().expect("file name");
                    (name.to_string_lossy().into_owned(), event.origin().record)
                })
                .collect()
        })
        .collect()
}

/// Returns the join keys of every chain of `analytic` as `[(field, value), …]`.
fn join_keys(result: &ScanResult, analytic: &str) -> Vec<Vec<(String, String)>> {
    result
        .findings
        .iter()
        .filter(|f| f.analytic == analytic)
        .flat_map(|f| &f.chains)
        .map(|chain| {
            chain
                .join_keys
                .iter()
                .map(|k| (k.field.clone(), k.value.clone()))
                .collect()
        })
        .collect()
}

fn steps(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(f, r)| ((*f).to_owned(), *r)).collect()
}

fn keys(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect()
}

// AN0747: archiving through a compression library.

#[test]
fn an0747_powershell_zip_chain() {
    let result = scan();
    // Quiet: 7-Zip (allowlisted), a Python export that loads _lzma but writes a CSV, Chrome
    // saving a .zip without a compression library, and a log rotation whose archive appears
    // 25 minutes after its _bz2 load.
    assert_eq!(
        chains(&result, "AN0747"),
        [steps(&[
            (WS02_SYSMON, 8),
            (WS02_SYSMON, 9),
            (WS02_SYSMON, 11)
        ])]
    );
    assert_eq!(
        join_keys(&result, "AN0747"),
        [keys(&[
            ("host.name", "WS02.corp.example"),
            ("process.pid", "7412")
        ])]
    );
}

#[test]
fn an0747_wider_window_adds_log_rotation() {
    let result = scan_tuned("AN0747", &[("TimeWindow", "30m")]);
    assert_eq!(
        chains(&result, "AN0747"),
        [
            steps(&[(WS02_SYSMON, 8), (WS02_SYSMON, 9), (WS02_SYSMON, 11)]),
            steps(&[(WS02_SYSMON, 20), (WS02_SYSMON, 21), (WS02_SYSMON, 22)]),
        ]
    );
}

#[test]
fn an0747_allowlist_hides_archiver() {
    let result = scan_tuned("AN0747", &[("LibraryAllowlist", "WinRAR.exe")]);
    assert_eq!(
        chains(&result, "AN0747"),
        [
            steps(&[(WS02_SYSMON, 8), (WS02_SYSMON, 9), (WS02_SYSMON, 11)]),
            steps(&[(WS02_SYSMON, 12), (WS02_SYSMON, 13), (WS02_SYSMON, 14)]),
        ]
    );
    let result = scan_tuned("AN0747", &[("SuspiciousExtensions", "7z, rar")]);
    assert!(chains(&result, "AN0747").is_empty());
}

// AN0750: remote logon followed by rare process or lateral connection.

#[test]
fn an0750_rarity_threshold_controls_chains() {
    let result = scan();
    assert_eq!(
        chains(&result, "AN0750"),
        [
            steps(&[(WS01_SECURITY, 2), (WS01_SYSMON, 15)]),
            steps(&[(DC01_SECURITY, 7), (DC01_SECURITY, 8)]),
        ]
    );
    // PSEXESVC.exe and WmiPrvSE.exe start once each; with no name rare enough, both chains go.
    let result = scan_tuned("AN0750", &[("RareProcessCount", "0")]);
    assert!(chains(&result, "AN0750").is_empty());
}

#[test]
fn an0750_logon_user_narrows() {
    let result = scan_tuned("AN0750", &[("LogonUser", "svc_*")]);
    assert_eq!(
        chains(&result, "AN0750"),
        [steps(&[(WS01_SECURITY, 2), (WS01_SYSMON, 15)])]
    );
    let result = scan_tuned("AN0750", &[("RemoteHostList", "10.0.9.77")]);
    assert!(chains(&result, "AN0750").is_empty());
}

// AN0755: policy, trust or configuration object modification.

#[test]
fn an0755_gpo_changes_chain() {
    let result = scan();
    // Quiet: a user object's description, a GPO renamed by adm_ops (displayName is not a
    // high-risk attribute) and svc_backup reading GPT.INI. The scheduled-task GPO edit yields
    // two chains: the file write with the new extension list, and the version number's
    // replacement.
    assert_eq!(
        chains(&result, "AN0755"),
        [
            steps(&[(DC01_SECURITY, 15), (DC01_SECURITY, 16)]),
            steps(&[(DC01_SECURITY, 17), (DC01_SECURITY, 18)]),
            steps(&[(DC01_SECURITY, 19), (DC01_SECURITY, 20)]),
        ]
    );
    let expected = keys(&[("winlog.event_data.SubjectUserName", "helpdesk2")]);
    assert_eq!(join_keys(&result, "AN0755"), vec![expected; 3]);
}

#[test]
fn an0755_expected_editor_is_quiet() {
    let result = scan_tuned("AN0755", &[("UserContext", "helpdesk*")]);
    assert!(chains(&result, "AN0755").is_empty());
}

#[test]
fn an0755_attributes_and_window_narrow() {
    let result = scan_tuned("AN0755", &[("AttributeModified", "gPCFileSysPath")]);
    assert_eq!(
        chains(&result, "AN0755"),
        [steps(&[(DC01_SECURITY, 15), (DC01_SECURITY, 16)])]
    );
    // The scheduled task file is written 3 s before the extension list changes.
    let result = scan_tuned("AN0755", &[("TimeWindow", "2s")]);
    assert_eq!(
        chains(&result, "AN0755"),
        [
            steps(&[(DC01_SECURITY, 15), (DC01_SECURITY, 16)]),
            steps(&[(DC01_SECURITY, 19), (DC01_SECURITY, 20)]),
        ]
    );
    // With displayName counted as high-risk, the GPO rename by adm_ops becomes a chain.
    let result = scan_tuned("AN0755", &[("AttributeModified", "displayName")]);
    assert_eq!(
        chains(&result, "AN0755"),
        [steps(&[(DC01_SECURITY, 12), (DC01_SECURITY, 13)])]
    );
}

// AN0757: Skeleton Key-style LSASS patching.

#[test]
fn an0757_skeleton_key_chain() {
    let result = scan();
    // Quiet: LSASS loading its own cryptdll.dll, Defender reading LSASS (0x1410), svc_backup's
    // logon from the address it used at 13:40 and the machine account's logon. The newer
    // cryptdll.dll load by m64.exe replaces the one by svchost at 13:50.
    assert_eq!(
        chains(&result, "AN0757"),
        [steps(&[
            (DC01_SYSMON, 5),
            (DC01_SYSMON, 6),
            (DC01_SECURITY, 35)
        ])]
    );
    assert_eq!(
        join_keys(&result, "AN0757"),
        [keys(&[("host.name", "DC01.corp.example")])]
    );
}

#[test]
fn an0757_tunables_change_result() {
    // The logon comes 3 min 9 s after the DLL load.
    let result = scan_tuned("AN0757", &[("TimeWindow", "3m")]);
    assert!(chains(&result, "AN0757").is_empty());
    let result = scan_tuned("AN0757", &[("UserContext", "adm_finance")]);
    assert!(chains(&result, "AN0757").is_empty());
    let result = scan_tuned("AN0757", &[("MonitoredDLLs", "samsrv.dll")]);
    assert!(chains(&result, "AN0757").is_empty());
    // With m64.exe allowed to write to LSASS there is no patching step.
    let result = scan_tuned("AN0757", &[("AllowedLsassAccessor", "m64.exe")]);
    assert!(chains(&result, "AN0757").is_empty());
}

// AN0759: a process that rarely uses the network opens a TLS session.

#[test]
fn an0759_rare_tls_process_chain() {
    let result = scan();
    // Quiet: OneDrive (on WS01 and WS02, so not rare), Chrome and svchost (allowlisted),
    // PowerShell reaching the intranet server, and the DLL's second beacon after the chain.
    assert_eq!(
        chains(&result, "AN0759"),
        [steps(&[(WS02_SYSMON, 25), (WS02_SYSMON, 27)])]
    );
    assert_eq!(
        join_keys(&result, "AN0759"),
        [keys(&[
            ("host.name", "WS02.corp.example"),
            ("process.entity_id", "B2C3D4E5-1AA4-6741-BA7C-000000001AA4"),
        ])]
    );
}

#[test]
fn an0759_host_threshold_admits_onedrive() {
    let result = scan_tuned("AN0759", &[("RareHostCount", "2")]);
    assert_eq!(
        chains(&result, "AN0759"),
        [
            steps(&[(WS02_SYSMON, 4), (WS02_SYSMON, 5)]),
            steps(&[(WS01_SYSMON, 41), (WS01_SYSMON, 42)]),
            steps(&[(WS02_SYSMON, 25), (WS02_SYSMON, 27)]),
        ]
    );
    // Without svchost.exe on the list, the BITS service host's TLS download becomes a chain,
    // because WS02 is the only host where a svchost.exe used the network. Listing rundll32.exe
    // drops the beacon.
    let result = scan_tuned(
        "AN0759",
        &[("AllowedEncryptedProcesses", "chrome.exe, rundll32.exe")],
    );
    assert_eq!(
        chains(&result, "AN0759"),
        [steps(&[(WS02_SYSMON, 6), (WS02_SYSMON, 7)])]
    );
}

// AN0764: Run key written by a process with an unexpected parent.

#[test]
fn an0764_expected_parent_is_quiet() {
    let result = scan();
    assert_eq!(
        chains(&result, "AN0764"),
        [steps(&[(WS01_SYSMON, 29), (WS01_SYSMON, 30)])]
    );
    let result = scan_tuned(
        "AN0764",
        &[("ParentProcessName", "explorer.exe, services.exe, cmd.exe")],
    );
    assert!(chains(&result, "AN0764").is_empty());
}

// AN0767: built-in tool decodes a payload and writes a file.

#[test]
fn an0767_tool_list_controls_chain() {
    let result = scan_tuned("AN0767", &[("ToolName", "powershell.exe, expand.exe")]);
    assert!(chains(&result, "AN0767").is_empty());
    let result = scan_tuned("AN0767", &[("FileExtensionFilter", "*.b64*")]);
    assert_eq!(
        chains(&result, "AN0767"),
        [steps(&[(WS01_SYSMON, 35), (WS01_SYSMON, 36)])]
    );
}

// AN0770: rogue domain controller registration.

#[test]
fn an0770_dcshadow_chain() {
    let result = scan();
    // Quiet: routine replication from DC02 (no SPN change before it), an MSSQLSvc SPN, and the
    // SPN removals after the push. The GC/ SPN added 10 ms before the DRS SPN is replaced by it.
    assert_eq!(
        chains(&result, "AN0770"),
        [steps(&[(DC01_SECURITY, 24), (DC01_SECURITY, 27)])]
    );
    let joined: Vec<Vec<String>> = join_keys(&result, "AN0770")
        .into_iter()
        .map(|k| k.into_iter().map(|(_, value)| value).collect())
        .collect();
    assert_eq!(joined, [["WS09"]]);
}

#[test]
fn an0770_tunables_change_result() {
    let result = scan_tuned("AN0770", &[("AllowedReplicationPartners", "DC02, WS09")]);
    assert!(chains(&result, "AN0770").is_empty());
    let result = scan_tuned("AN0770", &[("TimeWindow", "1s")]);
    assert!(chains(&result, "AN0770").is_empty());
    let result = scan_tuned("AN0770", &[("SuspiciousSPNs", "GC/*")]);
    assert_eq!(
        chains(&result, "AN0770"),
        [steps(&[(DC01_SECURITY, 23), (DC01_SECURITY, 27)])]
    );
    let result = scan_tuned("AN0770", &[("NonDCObjectCreationAlert", "Administrator")]);
    assert!(chains(&result, "AN0770").is_empty());
}

// AN1336: password spraying.

#[test]
fn an1336_spray_crosses_threshold_once() {
    let result = scan();
    // The tenth distinct account from 10.0.9.77 (dpatel, 45 s into the spray) reaches the
    // threshold. Quiet: jdoe's four mistyped passwords (one account) and the VPN
    // concentrator's ten users spread over two and a quarter hours.
    assert_eq!(chains(&result, "AN1336"), [steps(&[(DC01_SECURITY, 45)])]);
}

#[test]
fn an1336_window_and_threshold_change_result() {
    // A three-hour window contains all ten users of the VPN concentrator.
    let result = scan_tuned("AN1336", &[("TimeWindow", "3h")]);
    assert_eq!(
        chains(&result, "AN1336"),
        [steps(&[(DC01_SECURITY, 45)]), steps(&[(DC01_SECURITY, 61)])]
    );
    let result = scan_tuned("AN1336", &[("PasswordReuseThreshold", "13")]);
    assert!(chains(&result, "AN1336").is_empty());
    let result = scan_tuned("AN1336", &[("PasswordReuseThreshold", "3")]);
    assert_eq!(chains(&result, "AN1336"), [steps(&[(DC01_SECURITY, 38)])]);
    // Four of the twelve sprayed accounts are administrator or service accounts.
    let result = scan_tuned(
        "AN1336",
        &[
            ("TargetGroupFilter", "adm_*, svc_*"),
            ("PasswordReuseThreshold", "4"),
        ],
    );
    assert_eq!(chains(&result, "AN1336"), [steps(&[(DC01_SECURITY, 39)])]);
}

// AN1604: account creation from an account-management tool's session.

#[test]
fn an1604_net_user_add_chain() {
    let result = scan();
    // net1.exe replaces net.exe as the newest tool of the elevated session 0x5a2b50 before the
    // 4720. Quiet: the lookup of mlopez's own account (no creation follows) and the kiosk
    // account the management agent creates as WS02$ from the SYSTEM session.
    assert_eq!(
        chains(&result, "AN1604"),
        [steps(&[(WS02_SYSMON, 32), (WS02_SECURITY, 1)])]
    );
    assert_eq!(
        join_keys(&result, "AN1604"),
        [keys(&[
            ("host.name", "WS02.corp.example"),
            ("winlog.logon.id", "0x5a2b50")
        ])]
    );
}

#[test]
fn an1604_tunables_change_result() {
    let result = scan_tuned("AN1604", &[("UserContext", "mlopez")]);
    assert!(chains(&result, "AN1604").is_empty());
    let result = scan_tuned("AN1604", &[("ParentProcessName", "powershell.exe")]);
    assert!(chains(&result, "AN1604").is_empty());
    // With net.exe alone on the list, the chain starts at net.exe, 120 ms before the creation.
    let result = scan_tuned("AN1604", &[("ParentProcessName", "net.exe")]);
    assert_eq!(
        chains(&result, "AN1604"),
        [steps(&[(WS02_SYSMON, 31), (WS02_SECURITY, 1)])]
    );
    let result = scan_tuned(
        "AN1604",
        &[("ParentProcessName", "net.exe"), ("TimeWindow", "100ms")],
    );
    assert!(chains(&result, "AN1604").is_empty());
}

// AN0236: WMI event subscription.

#[test]
fn an0236_subscription_fires_updater() {
    let result = scan();
    // Quiet: the built-in SCM Event Log Consumer (it writes to the event log and runs
    // nothing) and the backup agent, whose subscription starts an allowlisted program.
    assert_eq!(
        chains(&result, "AN0236"),
        [steps(&[(WS01_WMI, 3), (WS01_SYSMON, 46)])]
    );
}

#[test]
fn an0236_tunables_change_result() {
    let result = scan_tuned("AN0236", &[("ProcessNameAllowlist", "CcmExec.exe")]);
    assert_eq!(
        chains(&result, "AN0236"),
        [
            steps(&[(WS01_WMI, 2), (WS01_SYSMON, 45)]),
            steps(&[(WS01_WMI, 3), (WS01_SYSMON, 46)]),
        ]
    );
    // updater.exe starts five minutes after its binding.
    let result = scan_tuned("AN0236", &[("TimeWindow", "4m")]);
    assert!(chains(&result, "AN0236").is_empty());
    let result = scan_tuned("AN0236", &[("ParentProcessAnomalyThreshold", "0")]);
    assert!(chains(&result, "AN0236").is_empty());
    // updater.exe runs as SYSTEM.
    let result = scan_tuned("AN0236", &[("UserContext", "jdoe, mlopez")]);
    assert!(chains(&result, "AN0236").is_empty());
}

// AN1252: PowerShell abuse.

#[test]
fn an1252_powershell_children_chains() {
    let result = scan();
    // Word's hidden, encoded PowerShell starts whoami (its conhost is skipped), and the
    // rundll32 implant loads the PowerShell engine and starts cmd. Quiet: the inventory script
    // started from Explorer and the hidden sync script whose only child is conhost.
    assert_eq!(
        chains(&result, "AN1252"),
        [
            steps(&[(WS02_SYSMON, 37), (WS02_SYSMON, 39)]),
            steps(&[(WS02_SYSMON, 44), (WS02_SYSMON, 45)]),
        ]
    );
    assert_eq!(
        join_keys(&result, "AN1252")[0],
        keys(&[("host.name", "WS02.corp.example"), ("process.pid", "8410")])
    );
}

#[test]
fn an1252_tunables_change_result() {
    // With a pattern that matches every command line, the inventory script becomes a chain.
    let result = scan_tuned("AN1252", &[("CommandLinePattern", "(?s).*")]);
    assert_eq!(chains(&result, "AN1252").len(), 3);
    let result = scan_tuned(
        "AN1252",
        &[
            ("CommandLinePattern", "(?i).*frombase64string.*"),
            ("LoadedModuleList", "none.dll"),
        ],
    );
    // Word remains an unexpected parent.
    assert_eq!(
        chains(&result, "AN1252"),
        [steps(&[(WS02_SYSMON, 37), (WS02_SYSMON, 39)])]
    );
    let result = scan_tuned("AN1252", &[("TimeWindow", "3s")]);
    assert_eq!(
        chains(&result, "AN1252"),
        [steps(&[(WS02_SYSMON, 44), (WS02_SYSMON, 45)])]
    );
}

// AN1030: LSASS memory dumping.

#[test]
fn an1030_procdump_lsass_chain() {
    let result = scan();
    // procdump's full-access handle on LSASS (48) comes before its dump file (49) and completes
    // the chain. Quiet: procdump of w3wp.exe and Windows Error Reporting's crash dump.
    assert_eq!(
        chains(&result, "AN1030"),
        [steps(&[(WS01_SYSMON, 47), (WS01_SYSMON, 48)])]
    );
    assert_eq!(
        join_keys(&result, "AN1030"),
        [keys(&[
            ("host.name", "WS01.corp.example"),
            ("process.pid", "9800")
        ])]
    );
}

#[test]
fn an1030_tunables_change_result() {
    // Without the full-access mask the dump file completes the chain instead.
    let result = scan_tuned("AN1030", &[("AccessMask", "0x1010")]);
    assert_eq!(
        chains(&result, "AN1030"),
        [steps(&[(WS01_SYSMON, 47), (WS01_SYSMON, 49)])]
    );
    let result = scan_tuned("AN1030", &[("ParentProcessName", "procdump64.exe")]);
    assert_eq!(
        chains(&result, "AN1030"),
        [steps(&[(WS01_SYSMON, 47), (WS01_SYSMON, 49)])]
    );
    // A pattern for any procdump full dump also reports the w3wp.exe dump.
    let result = scan_tuned("AN1030", &[("CommandLinePattern", "(?i).*procdump.*-ma.*")]);
    assert_eq!(
        chains(&result, "AN1030"),
        [
            steps(&[(WS01_SYSMON, 47), (WS01_SYSMON, 48)]),
            steps(&[(WS01_SYSMON, 50), (WS01_SYSMON, 51)]),
        ]
    );
    let result = scan_tuned("AN1030", &[("TimeWindow", "300ms")]);
    assert!(chains(&result, "AN1030").is_empty());
}

// AN1472: event log clearing.

#[test]
fn an1472_security_log_clear_chain() {
    let result = scan();
    // Quiet: the read-only wevtutil query, the Sysmon log cleared in the same session (its
    // clearing is not a Security 1102) and the archiving account's 1102 with no command.
    assert_eq!(
        chains(&result, "AN1472"),
        [steps(&[(WS02_SYSMON, 48), (WS02_SECURITY, 4)])]
    );
    assert_eq!(
        join_keys(&result, "AN1472"),
        [keys(&[
            ("host.name", "WS02.corp.example"),
            ("winlog.logon.id", "0x5a2b50")
        ])]
    );
}

#[test]
fn an1472_tunables_change_result() {
    // The 1102 follows the command by 90 ms.
    let result = scan_tuned("AN1472", &[("TimeWindow", "50ms")]);
    assert!(chains(&result, "AN1472").is_empty());
    let result = scan_tuned("AN1472", &[("UserContext", "svc_*")]);
    assert!(chains(&result, "AN1472").is_empty());
    let result = scan_tuned("AN1472", &[("TargetLogName", "*System*")]);
    assert!(chains(&result, "AN1472").is_empty());
}

// AN1620: RDP session hijacking.

#[test]
fn an1620_system_tscon_chain() {
    let result = scan();
    // The console host, and rdpclip started by the service host, are not the user's. Quiet:
    // adm_ops moving his own session to the console and opening Notepad.
    assert_eq!(
        chains(&result, "AN1620"),
        [steps(&[(FS01_SECURITY, 5), (FS01_SECURITY, 8)])]
    );
}

#[test]
fn an1620_tunables_change_result() {
    let result = scan_tuned("AN1620", &[("ExpectedRDPHosts", "FS01.*")]);
    assert!(chains(&result, "AN1620").is_empty());
    let result = scan_tuned("AN1620", &[("ExpectedRDPHosts", "adm_finance")]);
    assert!(chains(&result, "AN1620").is_empty());
    // The intruder's cmd.exe starts 5 s after tscon.
    let result = scan_tuned("AN1620", &[("TimeWindow", "4s")]);
    assert!(chains(&result, "AN1620").is_empty());
}
