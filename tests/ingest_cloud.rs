//! Loads the Windows JSON, cloud and network samples kept beside the repository.
//!
//! The pinned counts and field values were read from the files with Python's `json` module
//! (one record per line, per array element or per `Records` element), not with this loader.

mod common;

use common::{data_dir, events_of, file_report, load};

use glexia::ingest::{self, FileStatus, Format, LoadReport};
use glexia::store::{EventStore, Platform, ValueRef};

/// Returns the first event of `name` whose `field` equals `value`.
fn find(store: &EventStore, name: &str, field: &str, value: &str) -> usize {
    find_all(store, name, &[(field, value)])
}

/// Returns the first event of `name` whose fields equal all the given values.
fn find_all(store: &EventStore, name: &str, conditions: &[(&str, &str)]) -> usize {
    events_of(store, name)
        .into_iter()
        .find(|&i| {
            conditions
                .iter()
                .all(|(field, value)| store.field(i, field) == Some(ValueRef::Str(value)))
        })
        .unwrap_or_else(|| panic!("no event in {name} with {conditions:?}"))
}

fn str_field<'a>(store: &'a EventStore, index: usize, field: &str) -> Option<&'a str> {
    match store.field(index, field) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

/// Asserts that every file with a name ending in `suffix` loaded in full as `format`, and
/// checks its record count against `expected`.
fn assert_loaded(report: &LoadReport, format: Format, expected: &[(&str, u64)]) {
    for (name, count) in expected {
        let file = file_report(report, name);
        assert_eq!(file.format, format, "{name}");
        assert_eq!(file.status, FileStatus::Loaded, "{name}");
        assert!(file.errors.is_empty(), "{name}: {:?}", file.errors);
        assert_eq!(file.records_read, *count, "{name} records read");
        assert_eq!(file.events_loaded, *count, "{name} events loaded");
    }
}

#[test]
fn windows_json_samples_load() {
    let Some(dir) = data_dir("windows-json") else {
        return;
    };

    let (store, report) = load(&[dir]);

    assert_loaded(
        &report,
        Format::WindowsJson,
        &[
            ("otrf_cmd_bitsadmin_download_psh_script.json", 424),
            ("otrf_cmd_userinitmprlogonscript_batch.json", 122),
            ("otrf_empire_persistence_run_keys_elevated_user.json", 657),
            (
                "otrf_log4shell_securityauditing_java_serialized_object.json",
                39,
            ),
            ("otrf_psh_lsass_memory_dump_comsvcs.json", 184),
            ("otrf_psh_powershell_httplistener.json", 110),
        ],
    );
    for file in report
        .files
        .iter()
        .filter(|f| f.format != Format::WindowsJson)
    {
        assert_eq!(file.status, FileStatus::Skipped, "{}", file.path.display());
    }
    assert!(
        store
            .events()
            .iter()
            .all(|e| e.platform == Platform::Windows)
    );
}

#[test]
fn flat_sysmon_keeps_process_fields() {
    let Some(dir) = data_dir("windows-json") else {
        return;
    };
    let name = "otrf_cmd_bitsadmin_download_psh_script.json";

    let (store, _) = load(&[dir.join(name)]);

    let events = events_of(&store, name);
    let sysmon = events
        .iter()
        .filter(|&&i| store.log_source(i) == "WinEventLog:Sysmon")
        .count();
    assert_eq!(sysmon, 336);
    let bits = find_all(
        &store,
        name,
        &[("process.name", "bitsadmin.exe"), ("event.code", "1")],
    );
    assert_eq!(str_field(&store, bits, "user.name"), Some("wardog"));
    assert_eq!(store.field(bits, "process.pid"), Some(ValueRef::Int(9260)));
    assert_eq!(str_field(&store, bits, "host.name"), Some("WORKSTATION5"));
    assert!(
        str_field(&store, bits, "process.command_line")
            .unwrap()
            .contains("/transfer")
    );
    // 2020-10-23T02:36:43.547Z
    assert_eq!(store.events()[bits].timestamp, 1_603_420_603_547_000_000);
    assert_eq!(store.events()[bits].origin().record, 118);
}

#[test]
fn nxlog_event_time_is_utc() {
    let Some(dir) = data_dir("windows-json") else {
        return;
    };
    let name = "otrf_empire_persistence_run_keys_elevated_user.json";

    let (store, _) = load(&[dir.join(name)]);

    let key = "HKLM\\System\\CurrentControlSet\\Services\\W32Time\\Config\\LastKnownGoodTime";
    let event = find(&store, name, "registry.path", key);
    // EventTime 00:18:55 host time, which is UTC-4, and Sysmon's UtcTime is 04:18:55.218.
    assert_eq!(store.events()[event].timestamp, 1_595_391_535_000_000_000);
    assert_eq!(str_field(&store, event, "registry.hive"), Some("HKLM"));
    assert_eq!(store.events()[event].origin().record, 133);
    let powershell = events_of(&store, name)
        .into_iter()
        .filter(|&i| store.log_source(i) == "WinEventLog:PowerShell")
        .count();
    assert_eq!(powershell, 73 + 62);
}

#[test]
fn sentinel_security_events_map() {
    let Some(dir) = data_dir("windows-json") else {
        return;
    };
    let name = "otrf_log4shell_securityauditing_java_serialized_object.json";

    let (store, _) = load(&[dir.join(name)]);

    let created = find(&store, name, "event.code", "4688");
    assert_eq!(
        str_field(&store, created, "process.name"),
        Some("powershell.exe")
    );
    assert_eq!(
        store.field(created, "process.pid"),
        Some(ValueRef::Int(0x824))
    );
    assert_eq!(
        str_field(&store, created, "process.parent.name"),
        Some("tomcat9.exe")
    );
    assert_eq!(store.events()[created].origin().record, 17);
    // EventData given as an XML string.
    let connection = find(&store, name, "winlog.event_data.DestPort", "8080");
    assert_eq!(str_field(&store, connection, "event.code"), Some("5156"));
    assert_eq!(
        str_field(&store, connection, "winlog.event_data.SourceAddress"),
        Some("192.168.3.5")
    );
}

#[test]
fn windows_json_raw_record_reads_back() {
    let Some(dir) = data_dir("windows-json") else {
        return;
    };
    let name = "otrf_psh_lsass_memory_dump_comsvcs.json";

    let (store, _) = load(&[dir.join(name)]);

    let dump = find(
        &store,
        name,
        "file.path",
        "C:\\Users\\wardog\\AppData\\Local\\Temp\\lsass-comsvcs.dmp",
    );
    assert_eq!(store.events()[dump].origin().record, 75);
    let raw = ingest::read_raw_event(&store, dump).unwrap();
    assert!(raw.contains("lsass-comsvcs.dmp"), "{raw}");
    assert!(raw.contains("\"EventID\": 11"), "{raw}");
}

#[test]
fn cloudtrail_samples_load() {
    let Some(dir) = data_dir("cloud") else {
        return;
    };

    let (store, report) = load(&[dir]);

    assert_loaded(
        &report,
        Format::CloudTrail,
        &[
            ("otrf_aws_ec2_proxy_s3_exfiltration.json", 103),
            (
                "stratus_aws.credential-access.ec2-steal-instance-credentials.json",
                45,
            ),
            ("stratus_aws.defense-evasion.cloudtrail-stop.json", 1),
            ("stratus_aws.discovery.ec2-download-user-data.json", 19),
            ("stratus_aws.execution.ssm-send-command.json", 56),
            ("stratus_aws.exfiltration.ec2-share-ebs-snapshot.json", 1),
            (
                "stratus_aws.initial-access.console-login-without-mfa.json",
                1,
            ),
            ("stratus_aws.persistence.iam-create-admin-user.json", 3),
        ],
    );
    let cloudtrail: Vec<usize> = (0..store.len())
        .filter(|&i| store.log_source(i) == "AWS:CloudTrail")
        .collect();
    assert_eq!(cloudtrail.len(), 229);
    assert!(
        cloudtrail
            .iter()
            .all(|&i| store.events()[i].platform == Platform::Iaas)
    );
}

#[test]
fn cloudtrail_fields_map() {
    let Some(dir) = data_dir("cloud") else {
        return;
    };
    let login = "stratus_aws.initial-access.console-login-without-mfa.json";
    let user_data = "stratus_aws.discovery.ec2-download-user-data.json";
    let exfil = "otrf_aws_ec2_proxy_s3_exfiltration.json";

    let (store, _) = load(&[dir.join(login), dir.join(user_data), dir.join(exfil)]);

    let event = find(&store, login, "event.action", "ConsoleLogin");
    assert_eq!(
        str_field(&store, event, "user.name"),
        Some("stratus-red-team-nmfalu-jfzdtsvchl")
    );
    assert_eq!(
        str_field(&store, event, "source.address"),
        Some("225.01.00.16")
    );
    assert_eq!(str_field(&store, event, "source.ip"), Some("225.1.0.16"));
    assert_eq!(
        str_field(
            &store,
            event,
            "aws.cloudtrail.console_login.additional_eventdata.mfa_used"
        ),
        Some("No")
    );
    assert_eq!(
        str_field(&store, event, "event.provider"),
        Some("signin.amazonaws.com")
    );
    assert_eq!(
        str_field(&store, event, "cloud.account.id"),
        Some("562283505220")
    );
    assert_eq!(store.events()[event].timestamp, 1_722_588_804_000_000_000);

    let denied = find(
        &store,
        user_data,
        "aws.cloudtrail.error_code",
        "Client.UnauthorizedOperation",
    );
    assert_eq!(str_field(&store, denied, "event.outcome"), Some("failure"));
    assert_eq!(
        str_field(&store, denied, "user.name"),
        Some("stratus-red-team-get-usr-data-role")
    );

    let get = find(&store, exfil, "event.action", "GetObject");
    assert_eq!(
        str_field(
            &store,
            get,
            "aws.cloudtrail.flattened.request_parameters.key"
        ),
        Some("ring.txt")
    );
    assert_eq!(str_field(&store, get, "cloud.region"), Some("us-east-1"));
    // 2020-09-14T01:02:34.000Z, from Logstash's @timestamp: the file has no eventTime.
    let first_get = events_of(&store, exfil)
        .into_iter()
        .find(|&i| str_field(&store, i, "event.action") == Some("GetObject"))
        .unwrap();
    assert_eq!(
        store.events()[first_get].timestamp,
        1_600_045_354_000_000_000
    );
    let raw = ingest::read_raw_event(&store, first_get).unwrap();
    assert!(raw.contains("\"eventName\": \"GetObject\""), "{raw}");
}

#[test]
fn gzip_renamed_cloudtrail_loads() {
    use std::io::Write;
    let Some(dir) = data_dir("cloud") else {
        return;
    };
    let source = std::fs::read(dir.join("stratus_aws.execution.ssm-send-command.json")).unwrap();
    let temp = tempfile::tempdir().unwrap();
    // No `.gz` and no `.json`: both the compression and the format are found from content.
    let path = temp.path().join("trail.bin");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&source).unwrap();
    std::fs::write(&path, encoder.finish().unwrap()).unwrap();

    let (store, report) = load(std::slice::from_ref(&path));

    assert_eq!(report.files[0].format, Format::CloudTrail);
    assert_eq!(report.files[0].events_loaded, 56);
    assert_eq!(store.len(), 56);
    let raw = ingest::read_raw_event(&store, 10).unwrap();
    assert!(raw.contains("\"eventSource\""), "{raw}");
}

#[test]
fn m365_and_entra_samples_map() {
    let Some(dir) = data_dir("cloud") else {
        return;
    };
    let office = "otrf_goldensaml_OfficeActivityEvents.json";
    let entra = "otrf_goldensaml_AADAuditEvents.json";

    let (store, report) = load(&[dir.join(office), dir.join(entra)]);

    assert_loaded(&report, Format::M365Audit, &[(office, 1)]);
    assert_loaded(&report, Format::EntraId, &[(entra, 4)]);
    let mail = find(&store, office, "event.action", "MailItemsAccessed");
    assert_eq!(store.log_source(mail), "m365:unified");
    assert_eq!(store.events()[mail].platform, Platform::OfficeSuite);
    assert_eq!(str_field(&store, mail, "user.name"), Some("pgustavo"));
    assert_eq!(str_field(&store, mail, "source.ip"), Some("1.2.3.4"));
    assert_eq!(str_field(&store, mail, "event.provider"), Some("Exchange"));
    assert_eq!(str_field(&store, mail, "event.outcome"), Some("success"));
    // 2021-08-02T13:32:07Z
    assert_eq!(store.events()[mail].timestamp, 1_627_911_127_000_000_000);

    let grants = find(
        &store,
        entra,
        "event.action",
        "Add delegated permission grant",
    );
    assert_eq!(store.log_source(grants), "azure:audit");
    assert_eq!(store.events()[grants].platform, Platform::IdentityProvider);
    let by_user = events_of(&store, entra)
        .into_iter()
        .filter(|&i| str_field(&store, i, "user.email") == Some("pgustavo@simulandlabs.com"))
        .count();
    assert_eq!(by_user, 4);
    let raw = ingest::read_raw_event(&store, grants).unwrap();
    assert!(raw.contains("Add delegated permission grant"), "{raw}");
}

#[test]
fn zeek_samples_load() {
    let Some(dir) = data_dir("network") else {
        return;
    };
    let tsv = "lsass_campaign01_zeek_ssl.tsv.log";

    let (store, report) = load(&[dir]);

    assert_loaded(
        &report,
        Format::ZeekJson,
        &[
            ("apt29_day1_NASHUA_conn.log", 479),
            ("apt29_day1_NASHUA_ssl.log", 376),
            ("apt29_day2_UTICA-A_conn.log", 353),
            ("apt29_day2_UTICA-A_ssl.log", 283),
            ("apt29_day2_UTICA-A_x509.log", 2),
        ],
    );
    assert_loaded(&report, Format::ZeekTsv, &[(tsv, 5)]);
    assert!((0..store.len()).all(|i| store.log_source(i) == "NSM:Flow"));

    let first_ssl = find(
        &store,
        "apt29_day1_NASHUA_ssl.log",
        "event.id",
        "CpnezL3085IfcJzSAe",
    );
    assert_eq!(
        str_field(&store, first_ssl, "tls.client.ja3"),
        Some("e0fe397a5edfba9a6facc7c7b341f4eb")
    );
    assert_eq!(
        str_field(&store, first_ssl, "destination.ip"),
        Some("192.168.0.4")
    );
    assert_eq!(
        str_field(&store, first_ssl, "event.dataset"),
        Some("zeek.ssl")
    );
    assert_eq!(store.events()[first_ssl].origin().record, 1);

    let cert = find(
        &store,
        "apt29_day2_UTICA-A_x509.log",
        "x509.subject.distinguished_name",
        "CN=P18055077,OU=Jethpro,O=Pajfds,L=Minnetonka,ST=Minnesota,C=US",
    );
    assert_eq!(store.events()[cert].timestamp, 1_588_316_619_755_627_000);

    let downgrade = find(&store, tsv, "tls.version_protocol", "TLSv10");
    assert_eq!(
        store.events()[downgrade].timestamp,
        1_692_161_685_536_254_000
    );
    assert_eq!(
        store.field(downgrade, "destination.port"),
        Some(ValueRef::Int(8080))
    );
    assert_eq!(
        store.field(downgrade, "tls.resumed"),
        Some(ValueRef::Bool(false))
    );
    assert_eq!(store.events()[downgrade].origin().record, 10);
    let raw = ingest::read_raw_event(&store, downgrade).unwrap();
    assert!(
        raw.starts_with("1692161685.536254\tCwPdEL3GjlTuYf5iAd"),
        "{raw}"
    );
}
