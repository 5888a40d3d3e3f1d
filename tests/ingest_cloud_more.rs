//! Loads the hand-written VPC flow, M365 CSV, Okta, Google Cloud and Kubernetes samples in
//! `tests/data/cloud`.
//!
//! Counts, locations and field values were read from the files by hand (their README lists
//! each record), not taken from this loader's output.

mod common;

use std::path::{Path, PathBuf};

use common::{data_dir, events_of, file_report, load};
use glexia::ingest::{self, FileStatus, Format, LoadReport, Location, read_raw_event};
use glexia::store::{EventStore, Platform, ValueRef};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cloud")
}

fn sample_text(name: &str) -> String {
    std::fs::read_to_string(sample_dir().join(name)).unwrap()
}

fn str_field<'a>(store: &'a EventStore, index: usize, name: &str) -> Option<&'a str> {
    match store.field(index, name) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

fn strings<'a>(values: &[&'a str]) -> ValueRef<'a> {
    ValueRef::List(values.iter().map(|v| ValueRef::Str(v)).collect())
}

/// Returns the event of `file` whose `field` equals `value`; panics when there is not exactly
/// one.
fn find(store: &EventStore, file: &str, field: &str, value: &str) -> usize {
    find_where(store, file, &[(field, value)])
}

/// Returns the event of `file` whose fields equal all the given values; panics when there is
/// not exactly one.
fn find_where(store: &EventStore, file: &str, conditions: &[(&str, &str)]) -> usize {
    let found: Vec<usize> = events_of(store, file)
        .into_iter()
        .filter(|&i| {
            conditions
                .iter()
                .all(|(field, value)| str_field(store, i, field) == Some(*value))
        })
        .collect();
    assert_eq!(found.len(), 1, "events of {file} with {conditions:?}");
    found[0]
}

/// Returns the (line, message) of every error of `file`.
fn errors(report: &LoadReport, file: &str) -> Vec<(u64, String)> {
    file_report(report, file)
        .errors
        .iter()
        .map(|error| match error.location {
            Location::Line { line, .. } => (line, error.message.clone()),
            ref other => panic!("{file}: error at {other:?}: {}", error.message),
        })
        .collect()
}

#[test]
fn samples_detected_and_counted() {
    let (_, report) = load(&[sample_dir()]);

    // File, format, records read, events loaded, records skipped.
    let expected: &[(&str, Format, u64, u64, u64)] = &[
        ("vpc-flow-default.log", Format::AwsVpcFlow, 5, 3, 2),
        ("vpc-flow-cloudwatch.log", Format::AwsVpcFlow, 2, 2, 0),
        ("vpc-flow-custom.log.gz", Format::AwsVpcFlow, 4, 3, 1),
        ("m365-audit-purview.csv", Format::M365Csv, 5, 4, 1),
        ("m365-audit-powershell.csv", Format::M365Csv, 2, 2, 0),
        ("m365-audit-legacy.csv", Format::M365Csv, 3, 2, 1),
        ("okta-system-log.json", Format::OktaSystemLog, 4, 3, 1),
        ("okta-system-log.ndjson", Format::OktaSystemLog, 3, 2, 1),
        ("gcp-audit.json", Format::GcpAudit, 3, 2, 1),
        ("gcp-audit.ndjson.gz", Format::GcpAudit, 3, 2, 1),
        ("k8s-audit.log", Format::KubernetesAudit, 6, 4, 2),
        ("k8s-audit-eventlist.json", Format::KubernetesAudit, 2, 2, 0),
    ];
    for (name, format, read, loaded, skipped) in expected {
        let file = file_report(&report, name);
        assert_eq!(file.format, *format, "{name} format");
        assert_eq!(file.status, FileStatus::Loaded, "{name} status");
        assert_eq!(file.records_read, *read, "{name} records read");
        assert_eq!(file.events_loaded, *loaded, "{name} events loaded");
        assert_eq!(file.records_skipped, *skipped, "{name} records skipped");
        assert_eq!(file.errors.len() as u64, *skipped, "{name} errors");
    }
    assert_eq!(
        file_report(&report, "README.md").status,
        FileStatus::Skipped
    );
}

#[test]
fn skipped_records_name_their_reason() {
    let (_, report) = load(&[sample_dir()]);

    // File, then (line, start of the message) of each skipped record.
    let expected: &[(&str, &[(u64, &str)])] = &[
        (
            "vpc-flow-default.log",
            &[
                (5, "invalid dstport `https`: expected a whole number"),
                (6, "line has 9 fields but the header line names 14"),
            ],
        ),
        (
            "vpc-flow-custom.log.gz",
            &[(4, "invalid srcaddr `10.0.3.300`: expected an IP address")],
        ),
        (
            "m365-audit-purview.csv",
            &[(6, "CSV record 4: AuditData is not valid JSON:")],
        ),
        (
            "m365-audit-legacy.csv",
            &[(4, "CSV record 3: AuditData is not valid JSON:")],
        ),
        (
            "okta-system-log.json",
            &[(214, "record has no valid published time")],
        ),
        ("okta-system-log.ndjson", &[(2, "invalid JSON:")]),
        (
            "gcp-audit.json",
            &[(
                106,
                "LogEntry has no protoPayload; it is not an audit log entry",
            )],
        ),
        (
            "gcp-audit.ndjson.gz",
            &[(3, "invalid JSON: EOF while parsing")],
        ),
        (
            "k8s-audit.log",
            &[
                (5, "invalid JSON: expected `,` or `}`"),
                (6, "invalid JSON: EOF while parsing"),
            ],
        ),
    ];
    for (name, reasons) in expected {
        let found = errors(&report, name);
        assert_eq!(found.len(), reasons.len(), "{name}: {found:?}");
        for ((line, message), (expected_line, expected_start)) in found.iter().zip(*reasons) {
            assert_eq!(line, expected_line, "{name}: {message}");
            assert!(
                message.starts_with(expected_start),
                "{name} line {line}: {message}"
            );
        }
    }
}

#[test]
fn vpc_flow_default_format_maps() {
    let name = "vpc-flow-default.log";
    let (store, _) = load(&[sample_dir().join(name)]);
    let events = events_of(&store, name);

    assert!(
        events
            .iter()
            .all(|&i| store.log_source(i) == "AWS:VPCFlowLogs")
    );
    assert!(
        events
            .iter()
            .all(|&i| store.events()[i].platform == Platform::Iaas)
    );

    let ssh = find(&store, name, "source.ip", "203.0.113.45");
    assert_eq!(
        store.field(ssh, "destination.port"),
        Some(ValueRef::Int(22))
    );
    assert_eq!(str_field(&store, ssh, "destination.ip"), Some("10.0.1.25"));
    assert_eq!(str_field(&store, ssh, "event.action"), Some("accept"));
    assert_eq!(str_field(&store, ssh, "event.outcome"), Some("success"));
    assert_eq!(str_field(&store, ssh, "network.transport"), Some("tcp"));
    assert_eq!(
        str_field(&store, ssh, "cloud.account.id"),
        Some("123456789012")
    );
    assert_eq!(store.field(ssh, "network.bytes"), Some(ValueRef::Int(4249)));
    // `end` is 1718870460, 2024-06-20T08:01:00Z.
    assert_eq!(store.events()[ssh].timestamp, 1_718_870_460_000_000_000);
    assert_eq!(
        str_field(&store, ssh, "event.start"),
        Some("2024-06-20T08:00:00Z")
    );
    assert_eq!(store.events()[ssh].origin().record, 2);

    let rdp = find(&store, name, "source.ip", "198.51.100.7");
    assert_eq!(
        store.field(rdp, "destination.port"),
        Some(ValueRef::Int(3389))
    );
    assert_eq!(str_field(&store, rdp, "event.outcome"), Some("failure"));
    assert_eq!(
        store.field(rdp, "event.type"),
        Some(strings(&["connection", "denied"]))
    );

    let nodata = find(&store, name, "aws.vpcflow.log_status", "NODATA");
    assert_eq!(store.field(nodata, "source.ip"), None);
    assert_eq!(store.field(nodata, "event.outcome"), None);
    assert_eq!(
        str_field(&store, nodata, "aws.vpcflow.interface_id"),
        Some("eni-0a1b2c3d4e5f60718")
    );
}

#[test]
fn vpc_flow_without_header_maps() {
    let name = "vpc-flow-cloudwatch.log";
    let (store, _) = load(&[sample_dir().join(name)]);

    let metadata = find(&store, name, "destination.ip", "169.254.169.254");
    assert_eq!(str_field(&store, metadata, "source.ip"), Some("10.0.2.14"));
    assert_eq!(
        store.field(metadata, "destination.port"),
        Some(ValueRef::Int(80))
    );

    let upload = find(&store, name, "destination.ip", "203.0.113.200");
    assert_eq!(
        store.field(upload, "destination.port"),
        Some(ValueRef::Int(4444))
    );
    assert_eq!(
        store.field(upload, "source.bytes"),
        Some(ValueRef::Int(2_201_847))
    );
    assert_eq!(
        store.field(upload, "event.duration"),
        Some(ValueRef::Int(60_000_000_000))
    );
}

#[test]
fn vpc_flow_custom_gzip_maps() {
    let name = "vpc-flow-custom.log.gz";
    let (store, _) = load(&[sample_dir().join(name)]);

    let s3 = find(&store, name, "destination.ip", "198.51.100.80");
    assert_eq!(str_field(&store, s3, "network.direction"), Some("egress"));
    assert_eq!(
        str_field(&store, s3, "aws.vpcflow.pkt_dst_aws_service"),
        Some("S3")
    );
    assert_eq!(
        store.field(s3, "aws.vpcflow.tcp_flags_array"),
        Some(strings(&["fin", "syn", "ack"]))
    );
    assert_eq!(
        str_field(&store, s3, "cloud.instance.id"),
        Some("i-0123456789abcdef0")
    );
    assert_eq!(str_field(&store, s3, "cloud.region"), Some("us-east-1"));
    assert_eq!(
        str_field(&store, s3, "aws.vpcflow.vpc_id"),
        Some("vpc-0abc1234")
    );
    assert_eq!(
        store.field(s3, "aws.vpcflow.traffic_path"),
        Some(ValueRef::Int(8))
    );
    assert_eq!(
        store.field(s3, "source.bytes"),
        Some(ValueRef::Int(58_210_442))
    );

    let ipv6 = find(&store, name, "source.ip", "2001:db8::10");
    assert_eq!(str_field(&store, ipv6, "network.type"), Some("ipv6"));
    assert_eq!(
        str_field(&store, ipv6, "network.direction"),
        Some("ingress")
    );
    assert_eq!(store.field(ipv6, "aws.vpcflow.pkt_dst_aws_service"), None);

    let snmp = find(&store, name, "source.ip", "192.0.2.44");
    assert_eq!(str_field(&store, snmp, "network.transport"), Some("udp"));
    assert_eq!(str_field(&store, snmp, "event.outcome"), Some("failure"));
    assert_eq!(store.field(snmp, "aws.vpcflow.tcp_flags"), None);
}

#[test]
fn m365_purview_csv_maps_audit_data() {
    let name = "m365-audit-purview.csv";
    let (store, _) = load(&[sample_dir().join(name)]);
    let events = events_of(&store, name);

    assert!(
        events
            .iter()
            .all(|&i| store.log_source(i) == "m365:unified")
    );
    assert!(
        events
            .iter()
            .all(|&i| store.events()[i].platform == Platform::OfficeSuite)
    );

    let rule = find(&store, name, "event.action", "New-InboxRule");
    assert_eq!(str_field(&store, rule, "user.name"), Some("mallory"));
    assert_eq!(
        str_field(&store, rule, "user.domain"),
        Some("contoso.onmicrosoft.com")
    );
    assert_eq!(str_field(&store, rule, "source.ip"), Some("198.51.100.23"));
    assert_eq!(str_field(&store, rule, "event.outcome"), Some("success"));
    assert_eq!(str_field(&store, rule, "event.provider"), Some("Exchange"));
    // CreationTime 2024-06-20T08:14:31, UTC.
    assert_eq!(store.events()[rule].timestamp, 1_718_871_271_000_000_000);
    assert_eq!(store.events()[rule].origin().record, 2);

    let download = find(&store, name, "event.action", "FileDownloaded");
    assert_eq!(
        str_field(&store, download, "source.ip"),
        Some("203.0.113.41")
    );
    assert_eq!(
        str_field(&store, download, "o365.audit.SourceFileName"),
        Some("Q2 payroll.xlsx")
    );
    assert_eq!(store.field(download, "event.outcome"), None);
    assert_eq!(store.events()[download].origin().record, 3);

    let failed = find(&store, name, "event.action", "UserLoginFailed");
    assert_eq!(str_field(&store, failed, "user.name"), Some("ann"));
    assert_eq!(str_field(&store, failed, "source.ip"), Some("192.0.2.77"));
    assert_eq!(str_field(&store, failed, "event.outcome"), Some("failure"));
    assert_eq!(store.events()[failed].origin().record, 5);

    let mail = find(&store, name, "event.action", "MailItemsAccessed");
    assert_eq!(str_field(&store, mail, "source.ip"), Some("2001:db8::77"));
    assert_eq!(str_field(&store, mail, "event.outcome"), Some("success"));
    assert_eq!(store.events()[mail].origin().record, 7);
}

#[test]
fn m365_powershell_and_legacy_csv_map() {
    let powershell = "m365-audit-powershell.csv";
    let legacy = "m365-audit-legacy.csv";
    let (store, _) = load(&[sample_dir().join(powershell), sample_dir().join(legacy)]);

    let role = find(&store, powershell, "event.action", "Add member to role.");
    assert_eq!(str_field(&store, role, "user.name"), Some("mallory"));
    assert_eq!(str_field(&store, role, "event.outcome"), Some("success"));
    assert_eq!(
        str_field(&store, role, "event.provider"),
        Some("AzureActiveDirectory")
    );
    assert_eq!(store.events()[role].origin().record, 3);

    let forward = find(&store, powershell, "event.action", "Set-Mailbox");
    assert_eq!(
        str_field(&store, forward, "source.ip"),
        Some("2001:db8::23")
    );
    assert_eq!(store.events()[forward].origin().record, 4);

    let read = find(&store, legacy, "event.action", "FileAccessed");
    assert_eq!(str_field(&store, read, "source.ip"), Some("198.51.100.150"));
    assert_eq!(str_field(&store, read, "event.provider"), Some("OneDrive"));
    let login = find(&store, legacy, "event.action", "UserLoggedIn");
    assert_eq!(
        str_field(&store, login, "user.email"),
        Some("ann@contoso.onmicrosoft.com")
    );
    assert_eq!(str_field(&store, login, "event.outcome"), Some("success"));
}

#[test]
fn okta_events_map() {
    let array = "okta-system-log.json";
    let lines = "okta-system-log.ndjson";
    let (store, _) = load(&[sample_dir().join(array), sample_dir().join(lines)]);
    let events = [events_of(&store, array), events_of(&store, lines)].concat();

    assert!(events.iter().all(|&i| store.log_source(i) == "saas:okta"));
    assert!(
        events
            .iter()
            .all(|&i| store.events()[i].platform == Platform::IdentityProvider)
    );

    let login = find(&store, array, "source.ip", "198.51.100.14");
    assert_eq!(
        str_field(&store, login, "event.action"),
        Some("user.session.start")
    );
    assert_eq!(str_field(&store, login, "user.name"), Some("kim.lee"));
    assert_eq!(
        str_field(&store, login, "user.email"),
        Some("kim.lee@example.com")
    );
    assert_eq!(str_field(&store, login, "event.outcome"), Some("success"));
    assert_eq!(
        store.field(login, "event.category"),
        Some(strings(&["authentication", "session"]))
    );
    assert_eq!(store.events()[login].origin().record, 2);

    let failed = find(&store, array, "source.ip", "203.0.113.66");
    assert_eq!(str_field(&store, failed, "event.outcome"), Some("failure"));
    assert_eq!(
        str_field(&store, failed, "event.reason"),
        Some("INVALID_CREDENTIALS")
    );
    assert_eq!(
        str_field(&store, failed, "client.geo.city_name"),
        Some("Amsterdam")
    );
    assert_eq!(
        store.field(failed, "okta.securityContext.isProxy"),
        Some(ValueRef::Bool(true))
    );

    let grant = find(
        &store,
        array,
        "event.action",
        "user.account.privilege.grant",
    );
    assert_eq!(str_field(&store, grant, "user.name"), Some("it-admin"));
    assert_eq!(str_field(&store, grant, "source.ip"), Some("192.0.2.30"));
    assert_eq!(
        str_field(&store, grant, "user.target.email"),
        Some("kim.lee@example.com")
    );
    assert_eq!(
        str_field(
            &store,
            grant,
            "okta.debugContext.debugData.privilegeGranted"
        ),
        Some("Super administrator")
    );

    let policy = find(&store, lines, "event.action", "policy.evaluate_sign_on");
    assert_eq!(str_field(&store, policy, "event.outcome"), Some("success"));
    assert_eq!(str_field(&store, policy, "source.ip"), Some("192.0.2.50"));
    assert_eq!(store.field(policy, "event.type"), Some(strings(&["info"])));
    let reset = find(&store, lines, "event.action", "user.mfa.factor.deactivate");
    assert_eq!(
        str_field(&store, reset, "user.target.full_name"),
        Some("Kim Lee")
    );
    assert_eq!(store.events()[reset].origin().record, 3);
}

#[test]
fn gcp_audit_entries_map() {
    let array = "gcp-audit.json";
    let gzip = "gcp-audit.ndjson.gz";
    let (store, _) = load(&[sample_dir().join(array), sample_dir().join(gzip)]);
    let events = [events_of(&store, array), events_of(&store, gzip)].concat();

    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|&i| store.log_source(i) == "gcp:audit"));
    assert!(
        events
            .iter()
            .all(|&i| store.events()[i].platform == Platform::Iaas)
    );

    let iam = find(&store, array, "event.action", "SetIamPolicy");
    assert_eq!(
        str_field(&store, iam, "user.email"),
        Some("attacker@example.com")
    );
    assert_eq!(str_field(&store, iam, "source.ip"), Some("203.0.113.9"));
    assert_eq!(str_field(&store, iam, "event.outcome"), Some("success"));
    assert_eq!(
        str_field(&store, iam, "event.provider"),
        Some("cloudresourcemanager.googleapis.com")
    );
    assert_eq!(
        str_field(&store, iam, "cloud.project.id"),
        Some("prod-analytics-4412")
    );
    assert_eq!(store.events()[iam].origin().record, 2);

    let denied = find(&store, array, "event.action", "storage.objects.get");
    assert_eq!(
        str_field(&store, denied, "user.email"),
        Some("svc-backup@prod-analytics-4412.iam.gserviceaccount.com")
    );
    assert_eq!(str_field(&store, denied, "source.ip"), Some("10.128.0.7"));
    assert_eq!(str_field(&store, denied, "event.outcome"), Some("failure"));
    assert_eq!(str_field(&store, denied, "error.code"), Some("7"));
    assert_eq!(
        str_field(&store, denied, "error.message"),
        Some("PERMISSION_DENIED")
    );

    let metadata = find(
        &store,
        gzip,
        "event.action",
        "v1.compute.instances.setMetadata",
    );
    assert_eq!(str_field(&store, metadata, "user.name"), Some("dev"));
    assert_eq!(
        str_field(&store, metadata, "source.address"),
        Some("gce-internal-ip")
    );
    assert_eq!(store.field(metadata, "source.ip"), None);
    assert_eq!(
        str_field(&store, metadata, "event.outcome"),
        Some("success")
    );
    let key = find(
        &store,
        gzip,
        "event.action",
        "google.iam.admin.v1.CreateServiceAccountKey",
    );
    assert_eq!(str_field(&store, key, "source.ip"), Some("198.51.100.201"));
    assert_eq!(
        str_field(&store, key, "user_agent.original"),
        Some("curl/8.5.0")
    );
    assert_eq!(store.events()[key].origin().record, 2);
}

#[test]
fn kubernetes_audit_events_map() {
    let lines = "k8s-audit.log";
    let list = "k8s-audit-eventlist.json";
    let (store, _) = load(&[sample_dir().join(lines), sample_dir().join(list)]);
    let events = [events_of(&store, lines), events_of(&store, list)].concat();

    assert!(
        events
            .iter()
            .all(|&i| store.log_source(i) == "kubernetes:audit")
    );
    assert!(
        events
            .iter()
            .all(|&i| store.events()[i].platform == Platform::Containers)
    );

    let received = find(&store, lines, "kubernetes.audit.stage", "RequestReceived");
    let complete = find_where(
        &store,
        lines,
        &[
            ("orchestrator.resource.name", "api-7d9f8c6b5-x2x4q"),
            ("kubernetes.audit.stage", "ResponseComplete"),
        ],
    );
    assert_eq!(str_field(&store, received, "event.action"), Some("create"));
    assert_eq!(str_field(&store, received, "user.name"), Some("dev-alice"));
    assert_eq!(
        str_field(&store, received, "source.ip"),
        Some("203.0.113.50")
    );
    assert_eq!(store.field(received, "event.outcome"), None);
    assert_eq!(
        str_field(&store, complete, "event.outcome"),
        Some("success")
    );
    assert_eq!(
        store.field(complete, "http.response.status_code"),
        Some(ValueRef::Int(101))
    );

    let secrets = find(&store, lines, "orchestrator.resource.type", "secrets");
    assert_eq!(
        str_field(&store, secrets, "user.name"),
        Some("system:serviceaccount:payments:api")
    );
    assert_eq!(str_field(&store, secrets, "source.ip"), Some("10.244.1.17"));
    assert_eq!(str_field(&store, secrets, "event.action"), Some("list"));
    assert_eq!(str_field(&store, secrets, "event.outcome"), Some("failure"));
    assert_eq!(
        str_field(&store, secrets, "orchestrator.namespace"),
        Some("kube-system")
    );

    let binding = find(
        &store,
        lines,
        "orchestrator.resource.type",
        "clusterrolebindings",
    );
    assert_eq!(str_field(&store, binding, "event.outcome"), Some("success"));
    assert_eq!(
        str_field(
            &store,
            binding,
            "kubernetes.audit.requestObject.roleRef.name"
        ),
        Some("cluster-admin")
    );
    assert_eq!(
        store.field(binding, "related.ip"),
        Some(strings(&["203.0.113.50", "10.0.0.4"]))
    );
    assert_eq!(store.events()[binding].origin().record, 4);

    let webhook = find(&store, list, "event.action", "delete");
    assert_eq!(str_field(&store, webhook, "user.name"), Some("dev-alice"));
    assert_eq!(
        str_field(&store, webhook, "user.effective.name"),
        Some("system:admin")
    );
    assert_eq!(str_field(&store, webhook, "event.outcome"), Some("success"));
    assert_eq!(store.events()[webhook].origin().record, 42);
    let kubelet = find(&store, list, "user.name", "system:node:node-1");
    assert_eq!(store.events()[kubelet].origin().record, 6);
}

#[test]
fn raw_records_read_back() {
    let names = [
        "vpc-flow-default.log",
        "vpc-flow-custom.log.gz",
        "m365-audit-purview.csv",
        "okta-system-log.ndjson",
        "gcp-audit.ndjson.gz",
        "k8s-audit-eventlist.json",
    ];
    let paths: Vec<PathBuf> = names.iter().map(|name| sample_dir().join(name)).collect();
    let (store, _) = load(&paths);

    let ssh = find(&store, names[0], "source.ip", "203.0.113.45");
    let line = sample_text(names[0])
        .lines()
        .nth(1)
        .unwrap()
        .trim_end()
        .to_owned();
    assert_eq!(read_raw_event(&store, ssh).unwrap(), line);

    let ipv6 = find(&store, names[1], "source.ip", "2001:db8::10");
    let raw = read_raw_event(&store, ipv6).unwrap();
    assert!(raw.starts_with("5 vpc-0abc1234 "), "{raw}");
    assert!(raw.ends_with(" ingress - - -"), "{raw}");

    let download = find(&store, names[2], "event.action", "FileDownloaded");
    let raw = read_raw_event(&store, download).unwrap();
    assert!(raw.starts_with("RecordId: 0c2d7e11-"), "{raw}");
    assert!(raw.contains("\nOperation: FileDownloaded\n"), "{raw}");
    assert!(raw.contains("\"ClientIP\": \"203.0.113.41\""), "{raw}");
    assert!(raw.contains("\nAssociatedAdminUnits: \n"), "{raw}");

    let reset = find(
        &store,
        names[3],
        "event.action",
        "user.mfa.factor.deactivate",
    );
    let raw = read_raw_event(&store, reset).unwrap();
    assert!(
        raw.contains("\"uuid\": \"9d5e4a8c-2f6b-11ef-9a1c-000000000013\""),
        "{raw}"
    );

    let key = find(&store, names[4], "source.ip", "198.51.100.201");
    let raw = read_raw_event(&store, key).unwrap();
    assert!(raw.contains("CreateServiceAccountKey"), "{raw}");
    assert!(!raw.contains("setMetadata"), "{raw}");

    let webhook = find(&store, names[5], "event.action", "delete");
    let raw = read_raw_event(&store, webhook).unwrap();
    assert!(raw.contains("policy-guard"), "{raw}");
    assert!(!raw.contains("node-1"), "{raw}");
}

#[test]
fn detection_ignores_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("vpc-flow-default.log", Format::AwsVpcFlow),
        ("vpc-flow-custom.log.gz", Format::AwsVpcFlow),
        ("m365-audit-purview.csv", Format::M365Csv),
        ("okta-system-log.json", Format::OktaSystemLog),
        ("gcp-audit.ndjson.gz", Format::GcpAudit),
        ("k8s-audit-eventlist.json", Format::KubernetesAudit),
    ];
    for (index, (name, format)) in cases.iter().enumerate() {
        let renamed = dir.path().join(format!("export-{index}.txt"));
        std::fs::copy(sample_dir().join(name), &renamed).unwrap();

        assert_eq!(ingest::detect_file(&renamed).unwrap(), *format, "{name}");
    }
}

#[test]
fn shared_cloud_samples_keep_their_formats() {
    let Some(dir) = data_dir("cloud") else {
        return;
    };
    let new_formats = [
        Format::AwsVpcFlow,
        Format::M365Csv,
        Format::OktaSystemLog,
        Format::GcpAudit,
        Format::KubernetesAudit,
    ];

    let (_, report) = load(&[dir]);

    // None of the public cloud samples is in one of these formats, so none may be read as one.
    assert!(!report.files.is_empty());
    for file in &report.files {
        assert!(
            !new_formats.contains(&file.format),
            "{} detected as {}",
            file.path.display(),
            file.format
        );
    }
}
