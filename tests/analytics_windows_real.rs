//! The Windows analytics on public attack recordings written outside this project.
//!
//! The files live beside the repository, in `../shared/data`. A fresh clone has no such folder,
//! so there every test here prints a skip message and passes without checking anything. Record numbers are
//! the files' own: EVTX record numbers, or line numbers in JSON-lines exports.

use std::path::{Path, PathBuf};

use glexia::engine::{self, ScanResult, Setup};
use glexia::eql::{self, Query, QueryBody};

fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: {} not found", path.display());
        None
    }
}

fn setup() -> Setup {
    let setup = Setup::load(None, &[]).expect("built-in catalog loads");
    assert!(setup.problems.is_empty(), "{:?}", setup.problems);
    setup
}

fn scan(setup: &Setup, path: PathBuf) -> ScanResult {
    let result = engine::scan(setup, &[path]);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    result
}

/// Returns the records of each chain of `analytic`.
fn chain_records(result: &ScanResult, analytic: &str) -> Vec<Vec<u64>> {
    result
        .findings
        .iter()
        .filter(|f| f.analytic == analytic)
        .flat_map(|f| &f.chains)
        .map(|c| {
            c.steps
                .iter()
                .map(|s| result.store.events()[s.event].origin().record)
                .collect()
        })
        .collect()
}

/// Runs step `step` of an analytic's sequence as a query of its own over the events the
/// analytic reads, returning the records it matches, so a test can show which part of a chain
/// the data contains.
fn step_records(setup: &Setup, result: &ScanResult, analytic: &str, step: usize) -> Vec<u64> {
    let analytic = setup.analytic(analytic).expect("analytic ships");
    let QueryBody::Sequence(sequence) = &analytic.query.body else {
        panic!("{} is not a sequence", analytic.id);
    };
    let query = Query {
        body: QueryBody::Event(sequence.steps[step].query.clone()),
        pipes: Vec::new(),
    };
    let store = &result.store;
    let selected = engine::select_events(store, analytic);
    let columns =
        engine::StatisticColumns::compute(store, &analytic.statistics, &selected, &setup.options)
            .expect("statistics compute");
    let documents: Vec<_> = selected
        .iter()
        .enumerate()
        .map(|(position, &i)| {
            engine::StoreDocument::new(store, i).with_statistics(&columns, position)
        })
        .collect();
    let mut records: Vec<u64> = eql::execute(&query, &documents, &setup.options)
        .expect("step runs")
        .iter()
        .map(|m| store.events()[selected[m.events[0]]].origin().record)
        .collect();
    records.sort_unstable();
    records
}

fn field(result: &ScanResult, event: usize, name: &str) -> Option<String> {
    result.store.field(event, name).map(|v| v.to_string())
}

#[test]
fn gpo_version_replacement_fires_an0755() {
    let Some(file) = shared("evtx/mdecrevoisier_T1484.001_ID5136-4662_sensitive_GPO_edited.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // Records 2 and 3 are admmig's edit of a groupPolicyContainer: versionNumber 1 deleted,
    // versionNumber 2 added, one LDAP operation. The 4662 reads by FS02$ and ROOTDC1$ are not
    // log sources of AN0755.
    assert_eq!(chain_records(&result, "AN0755"), [vec![2, 3]]);
    let chain = &result.findings[0].chains[0];
    assert_eq!(chain.join_keys.len(), 1);
    assert_eq!(chain.join_keys[0].value, "admmig");
    let added = chain.steps[1].event;
    assert_eq!(
        field(&result, added, "winlog.event_data.AttributeLDAPDisplayName"),
        Some("versionNumber".to_owned())
    );
    assert_eq!(
        field(&result, added, "winlog.event_data.ObjectClass"),
        Some("groupPolicyContainer".to_owned())
    );
    let fired: Vec<&str> = result
        .findings
        .iter()
        .map(|f| f.analytic.as_str())
        .collect();
    assert_eq!(fired, ["AN0755"]);
}

#[test]
fn dcshadow_server_creation_is_outside_an0770() {
    let Some(file) = shared("evtx/mdecrevoisier_T1207_ID5137-Fake_DC_registration_DCshadow.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // The recording contains one event: 5137, the server object CN=JUMP01 created under
    // CN=Sites in the Configuration partition. 5137 is not a log source AN0770 (or AN0755)
    // names, and there is no SPN change or 4928 replica source, so neither reads anything.
    assert_eq!(result.report.totals.events_loaded, 1);
    assert_eq!(field(&result, 0, "event.code"), Some("5137".to_owned()));
    assert_eq!(
        field(&result, 0, "winlog.event_data.ObjectClass"),
        Some("server".to_owned())
    );
    for id in ["AN0770", "AN0755"] {
        let analytic = setup.analytic(id).expect("analytic ships");
        assert!(
            engine::select_events(&result.store, analytic).is_empty(),
            "{id}"
        );
    }
    assert!(result.findings.is_empty());
}

#[test]
fn mimikatz_read_access_is_not_patching() {
    let Some(file) =
        shared("evtx/sbousseaden_sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // mimikatz sekurlsa::logonpasswords opens LSASS with 0x1010 (query limited information and
    // read memory): dumping, not writing, so AN0757's access step does not match.
    assert_eq!(
        field(&result, 0, "winlog.event_data.GrantedAccess"),
        Some("0x1010".to_owned())
    );
    assert!(step_records(&setup, &result, "AN0757", 1).is_empty());
    assert!(result.findings.is_empty());
}

#[test]
fn mimikatz_security_handles_are_read_only() {
    let Some(file) =
        shared("evtx/mdecrevoisier_T1003_ID4656-4663-4658_Mimikatz_sekurlsa_password_dump.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // Record 4 (4656, mask 0x1010) and record 5 (4663, mask 0x10) are mimikatz's handle on
    // lsass.exe; neither grants PROCESS_VM_WRITE.
    let analytic = setup.analytic("AN0757").expect("AN0757 ships");
    let read: Vec<u64> = engine::select_events(&result.store, analytic)
        .iter()
        .map(|&i| result.store.events()[i].origin().record)
        .collect();
    assert_eq!(read, [4, 5]);
    assert!(step_records(&setup, &result, "AN0757", 1).is_empty());
    assert!(chain_records(&result, "AN0757").is_empty());
}

#[test]
fn comsvcs_dump_has_write_access_but_no_patch() {
    let Some(file) = shared("windows-json/otrf_psh_lsass_memory_dump_comsvcs.json") else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // rundll32 running comsvcs.dll MiniDump requests PROCESS_ALL_ACCESS (0x1fffff) on LSASS
    // twice: the 4656 handle request (record 6) and Sysmon 10 (record 74). That satisfies the
    // access step, but rundll32 loads no authentication DLL and no logon follows, so AN0757
    // stays quiet: this is a memory dump on a workstation, not a patch on a domain controller.
    assert_eq!(step_records(&setup, &result, "AN0757", 1), [6, 74]);
    assert!(step_records(&setup, &result, "AN0757", 0).is_empty());
    assert!(step_records(&setup, &result, "AN0757", 2).is_empty());
    assert!(chain_records(&result, "AN0757").is_empty());
}

#[test]
fn memssp_log_file_is_not_read_by_an0757() {
    let Some(file) = shared("evtx/sbousseaden_CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // mimikatz misc::memssp patches LSASS too, but the recording keeps only the Sysmon 11
    // creation of mimilsa.log, a file event AN0757 does not read.
    assert_eq!(field(&result, 0, "event.code"), Some("11".to_owned()));
    let analytic = setup.analytic("AN0757").expect("AN0757 ships");
    assert!(engine::select_events(&result.store, analytic).is_empty());
    assert!(result.findings.is_empty());
}

#[test]
fn bits_tls_download_is_allowlisted() {
    let Some(file) = shared("windows-json/otrf_cmd_bitsadmin_download_psh_script.json") else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file.clone());
    // The BITS service host loads schannel.dll (line 347) and ncryptsslp.dll (line 352) and
    // downloads from raw.githubusercontent.com over 443 (line 391). svchost.exe is on the
    // default AllowedEncryptedProcesses list, so AN0759 stays quiet.
    assert!(chain_records(&result, "AN0759").is_empty());

    // With svchost.exe taken off the list, the download becomes a chain, because in this
    // one-host recording every process name uses the network on one host only.
    let mut setup = setup;
    let analytic = setup
        .analytics
        .iter_mut()
        .find(|a| a.id == "AN0759")
        .expect("AN0759 ships");
    analytic
        .set_tunable("AllowedEncryptedProcesses", "chrome.exe, msedge.exe")
        .expect("a list");
    let result = scan(&setup, file);
    assert_eq!(chain_records(&result, "AN0759"), [vec![352, 391]]);
    let access = result.findings[0].chains[0].steps[1].event;
    assert_eq!(
        field(&result, access, "destination.port"),
        Some("443".to_owned())
    );
}

#[test]
fn real_windows_data_fires_gpo_and_spray() {
    let (Some(evtx), Some(json), Some(sigma)) = (
        shared("evtx"),
        shared("windows-json"),
        shared("sigma-regression"),
    ) else {
        return;
    };
    let setup = setup();
    let result = engine::scan(&setup, &[evtx, json, sigma]);
    // Of the Windows analytics added beside AN0750, AN0764 and AN0767, only the GPO edit
    // (AN0755), the comsvcs LSASS dump (AN1030), the encoded PowerShell (AN1252), the spray
    // (AN1336) and the tscon hijack (AN1620) fire on the public Windows recordings. The tests above show why the others stay quiet there.
    let earlier = ["AN0750", "AN0764", "AN0767"];
    let fired: Vec<(&str, usize)> = result
        .findings
        .iter()
        .filter(|f| !earlier.contains(&f.analytic.as_str()))
        .map(|f| (f.analytic.as_str(), f.chains.len()))
        .collect();
    assert_eq!(
        fired,
        [
            ("AN0755", 1),
            ("AN1030", 1),
            ("AN1252", 1),
            ("AN1336", 1),
            ("AN1620", 1)
        ]
    );
}

#[test]
fn explicit_credential_spray_fires_an1336() {
    let Some(file) = shared("evtx/deepblue_password-spray.evtx") else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // jwrig's session (logon id 0x3069d) supplies explicit credentials for 41 accounts against
    // 172.16.144.128 in five minutes, 294 times (records 2-295). Record 11 is the tenth
    // distinct account, 10 s into the spray; the count never falls back below ten.
    assert_eq!(chain_records(&result, "AN1336"), [vec![11]]);
    let event = result.findings[0].chains[0].steps[0].event;
    assert_eq!(field(&result, event, "event.code"), Some("4648".to_owned()));
    assert_eq!(
        field(&result, event, "winlog.logon.id"),
        Some("0x3069d".to_owned())
    );
}

#[test]
fn setup_account_creation_is_not_an1604() {
    let Some(file) = shared("evtx/deepblue_new-user-security.evtx") else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // Record 2 is IEUser created by the machine account (SYSTEM, logon id 0x3e7) while the
    // virtual machine is set up, then added to Users and Administrators. No process creation
    // is recorded, and creations by machine accounts are left out, so AN1604 stays quiet.
    assert_eq!(field(&result, 1, "event.code"), Some("4720".to_owned()));
    assert_eq!(
        field(&result, 1, "user.target.name"),
        Some("IEUser".to_owned())
    );
    assert!(step_records(&setup, &result, "AN1604", 0).is_empty());
    assert!(step_records(&setup, &result, "AN1604", 1).is_empty());
    assert!(result.findings.is_empty());
}

#[test]
fn wmi_command_consumer_binding_without_process() {
    let Some(file) = shared("evtx/deepblue_wmi-event-filter-persistance.evtx") else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // Record 894 binds "LogRotate Event" (a filter on new logged-on users) to a
    // CommandLineEventConsumer running a PowerShell script from the Office Recent folder. The
    // eleven other 5861 bindings are the built-in SCM Event Log Consumer. The recording is the
    // WMI-Activity log alone, with no process creation, so the subscription's first step
    // matches and no chain completes.
    assert_eq!(step_records(&setup, &result, "AN0236", 0), [894]);
    assert!(chain_records(&result, "AN0236").is_empty());
}

#[test]
fn encoded_powershell_service_fires_an1252() {
    let Some(file) =
        shared("evtx/mdecrevoisier_T1059.001_ID4688-Encoded_PowerShell_MSF_payload.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // A service (record 1, 4697) runs cmd, which starts `powershell.exe -nop -w hidden -noni`
    // (record 3, pid 4416); that PowerShell starts the 32-bit PowerShell (record 5) after its
    // conhost (record 4). The monitoring agent's cscript runs that follow are not PowerShell.
    assert_eq!(chain_records(&result, "AN1252"), [vec![3, 5]]);
}

#[test]
fn comsvcs_minidump_fires_an1030() {
    let Some(file) = shared("windows-json/otrf_psh_lsass_memory_dump_comsvcs.json") else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // PowerShell starts `rundll32.exe comsvcs.dll MiniDump 756 …\lsass-comsvcs.dmp full`:
    // 4688 (line 17), then Sysmon 1 (line 107), which replaces it as the pending start. The
    // dump file (line 75) is written 24 ms before the PROCESS_ALL_ACCESS handle (line 74),
    // so the file completes the chain. The lines run newest first.
    assert_eq!(chain_records(&result, "AN1030"), [vec![107, 75]]);
    assert_eq!(step_records(&setup, &result, "AN1030", 1), [74, 75]);
}

#[test]
fn mimikatz_access_without_start_is_not_an1030() {
    let Some(file) =
        shared("evtx/sbousseaden_sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // The recording keeps only mimikatz's read access (0x1010) to LSASS: no process start to
    // match the dump command line, and not a full-access mask.
    assert!(step_records(&setup, &result, "AN1030", 0).is_empty());
    assert!(step_records(&setup, &result, "AN1030", 1).is_empty());
}

#[test]
fn sliver_log_clearing_without_security_log() {
    let Some(file) = shared("evtx/deepblue_sliver-sysmon.evtx") else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // PowerShell runs `wevtutil cl` for five logs (records 1-5); record 1 clears Security.
    // The recording is the Sysmon log alone, so no 1102 is there to complete the chain.
    assert_eq!(step_records(&setup, &result, "AN1472", 0), [1]);
    assert!(chain_records(&result, "AN1472").is_empty());
}

#[test]
fn tscon_session_hijack_fires_an1620() {
    let Some(file) =
        shared("evtx/mdecrevoisier_T1021.001_ID4688-4778_RDP_hijack_command_execution.evtx")
    else {
        return;
    };
    let setup = setup();
    let result = scan(&setup, file);
    // admmig starts the service "hijackservice" (record 1), which runs `tscon 2
    // /dest:rdp-tcp#5` as SYSTEM (record 3, logon id 0x3e7). The first process a user account
    // then starts is admmarsid's rdpinput.exe (record 10, logon id 0x6a423); the processes in
    // between belong to SYSTEM and the service hosts.
    assert_eq!(chain_records(&result, "AN1620"), [vec![3, 10]]);
    let step = result.findings[0].chains[0].steps[1].event;
    assert_eq!(
        field(&result, step, "user.name"),
        Some("admmarsid".to_owned())
    );
}
