//! Loads the hand-written flow CSV, Cisco syslog and Docker files under `tests/data/network`
//! and `tests/data/containers`, the `--tz` and `--year` options through the binary, and
//! gzip-compressed EVTX from the public samples beside the repository.
//!
//! The pinned counts and values were worked out by hand from the files, not read from this
//! loader's output.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::AtomicBool;

use common::{data_dir, events_of, file_report, load};
use glexia::ingest::{
    self, FileReport, FileSetting, FileStatus, Format, LoadOptions, LoadReport, Location, Year,
};
use glexia::store::{EventStore, Platform, ValueRef};

/// The 64-digit container id the `json-file` sample is named after.
const CONTAINER_ID: &str = "4e1f0c9a7b2d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";

fn network(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/network")
        .join(name)
}

fn containers(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/containers")
        .join(name)
}

/// Loads `paths` with `--year 2024` for every file, as the Cisco samples have no year.
fn load_2024(paths: &[PathBuf]) -> (EventStore, LoadReport) {
    let options = LoadOptions {
        years: vec![FileSetting::all(Year(2024))],
        ..LoadOptions::default()
    };
    ingest::load_with(paths, &options, &|_| {}, &AtomicBool::new(false))
}

/// Returns the first event of `name` whose fields equal all the given strings.
fn find(store: &EventStore, name: &str, conditions: &[(&str, &str)]) -> usize {
    events_of(store, name)
        .into_iter()
        .find(|&i| {
            conditions
                .iter()
                .all(|(field, value)| store.field(i, field) == Some(ValueRef::Str(value)))
        })
        .unwrap_or_else(|| panic!("no event in {name} with {conditions:?}"))
}

fn text<'a>(store: &'a EventStore, index: usize, field: &str) -> Option<&'a str> {
    match store.field(index, field) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

fn list<'a>(items: &[&'a str]) -> Option<ValueRef<'a>> {
    Some(ValueRef::List(
        items.iter().map(|s| ValueRef::Str(s)).collect(),
    ))
}

/// Nanoseconds since the epoch of an RFC 3339 time.
fn nanos(time: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time)
        .expect("valid time")
        .timestamp_nanos_opt()
        .expect("time in range")
}

/// Asserts a file's format, status and counts, and returns its report.
fn check_file<'a>(
    report: &'a LoadReport,
    name: &str,
    format: Format,
    read: u64,
    loaded: u64,
) -> &'a FileReport {
    let file = file_report(report, name);
    assert_eq!(file.format, format, "{name} format");
    assert_eq!(file.status, FileStatus::Loaded, "{name} status");
    assert_eq!(file.records_read, read, "{name} records read");
    assert_eq!(file.events_loaded, loaded, "{name} events loaded");
    assert_eq!(
        file.records_skipped,
        read - loaded,
        "{name} records skipped"
    );
    assert_eq!(
        file.error_count(),
        read - loaded,
        "{name}: {:?}",
        file.errors
    );
    file
}

/// Asserts that error `index` of `file` is at `line` and mentions `words`.
fn check_error(file: &FileReport, index: usize, line: u64, words: &str) {
    let error = &file.errors[index];
    assert!(
        matches!(error.location, Location::Line { line: at, .. } if at == line),
        "{:?}",
        error
    );
    assert!(error.message.contains(words), "{}", error.message);
}

fn gzip_into(dir: &Path, source: &Path, name: &str) -> PathBuf {
    let target = dir.join(name);
    let bytes = std::fs::read(source).expect("read sample");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&bytes).expect("compress");
    std::fs::write(&target, encoder.finish().expect("finish gzip")).expect("write gzip");
    target
}

#[test]
fn nfdump_csv_rows_map() {
    let (store, report) = load(&[network("nfdump.csv")]);

    let file = check_file(&report, "nfdump.csv", Format::NetflowCsv, 6, 4);
    check_error(file, 0, 6, "has 4 fields but the header names 48");
    check_error(file, 1, 7, "invalid IP address '10.0.0.300'");
    assert!(
        file.notes
            .iter()
            .any(|n| n.contains("summary block from line 9")),
        "{:?}",
        file.notes
    );
    assert!(
        file.notes
            .iter()
            .any(|n| n.starts_with("10 start and end times have no zone")),
        "{:?}",
        file.notes
    );

    let https = find(&store, "nfdump.csv", &[("destination.ip", "203.0.113.7")]);
    assert_eq!(
        store.events()[https].timestamp,
        nanos("2024-03-01T10:00:00Z")
    );
    assert_eq!(store.log_source(https), "NSM:Flow");
    assert_eq!(store.events()[https].platform, Platform::NetworkDevices);
    assert_eq!(text(&store, https, "source.ip"), Some("10.0.0.5"));
    assert_eq!(
        store.field(https, "source.port"),
        Some(ValueRef::Int(51234))
    );
    assert_eq!(
        store.field(https, "destination.port"),
        Some(ValueRef::Int(443))
    );
    assert_eq!(text(&store, https, "network.transport"), Some("tcp"));
    assert_eq!(text(&store, https, "network.iana_number"), Some("6"));
    assert_eq!(
        store.field(https, "network.bytes"),
        Some(ValueRef::Int(1500))
    );
    assert_eq!(
        store.field(https, "network.packets"),
        Some(ValueRef::Int(10))
    );
    assert_eq!(
        store.field(https, "event.duration"),
        Some(ValueRef::Int(2_000_000_000))
    );
    assert_eq!(text(&store, https, "observer.ip"), Some("192.0.2.1"));
    assert_eq!(
        store.field(https, "observer.ingress.interface.id"),
        Some(ValueRef::Int(2))
    );
    assert_eq!(text(&store, https, "netflow.flg"), Some(".AP.SF"));
    assert_eq!(text(&store, https, "netflow.nh"), Some("192.0.2.254"));
    assert_eq!(text(&store, https, "network.direction"), Some("ingress"));
    assert_eq!(store.events()[https].origin().record, 3);
    // Zero MAC addresses, MPLS labels and latencies are left out.
    assert_eq!(store.field(https, "netflow.ismc"), None);
    assert_eq!(store.field(https, "netflow.mpls1"), None);

    let icmp = find(&store, "nfdump.csv", &[("network.transport", "icmp")]);
    assert_eq!(store.field(icmp, "destination.port"), None);
    assert_eq!(text(&store, icmp, "netflow.dp"), Some("8.0"));

    let long = find(&store, "nfdump.csv", &[("destination.ip", "203.0.113.9")]);
    assert_eq!(
        store.field(long, "event.duration"),
        Some(ValueRef::Int(60_000_000_000))
    );
    assert_eq!(text(&store, long, "network.direction"), Some("egress"));
    assert_eq!(
        text(&store, long, "event.end"),
        Some("2024-03-01T10:01:06Z")
    );
}

#[test]
fn generic_csv_with_crlf_and_cut_row() {
    let (store, report) = load(&[network("flows_generic.csv")]);

    let file = check_file(&report, "flows_generic.csv", Format::NetflowCsv, 5, 3);
    check_error(file, 0, 5, "no start or end time");
    check_error(file, 1, 6, "has 8 fields but the header names 10");
    assert!(file.notes.is_empty(), "{:?}", file.notes);

    let beacon = find(
        &store,
        "flows_generic.csv",
        &[("destination.ip", "192.0.2.80")],
    );
    assert_eq!(
        store.events()[beacon].timestamp,
        nanos("2024-03-01T10:00:00Z")
    );
    assert_eq!(
        store.field(beacon, "destination.port"),
        Some(ValueRef::Int(4444))
    );
    assert_eq!(
        store.field(beacon, "source.bytes"),
        Some(ValueRef::Int(88_210))
    );
    assert_eq!(text(&store, beacon, "network.transport"), Some("tcp"));
    assert_eq!(
        store.field(beacon, "event.duration"),
        Some(ValueRef::Int(60_000_000_000))
    );
    assert_eq!(text(&store, beacon, "observer.ip"), Some("192.0.2.2"));
    assert_eq!(store.events()[beacon].origin().record, 2);

    let dns = find(
        &store,
        "flows_generic.csv",
        &[("destination.ip", "192.0.2.81")],
    );
    assert_eq!(
        store.events()[dns].timestamp,
        nanos("2024-03-01T10:00:01.5Z")
    );
    assert_eq!(text(&store, dns, "network.transport"), Some("udp"));

    let v6 = find(
        &store,
        "flows_generic.csv",
        &[("destination.ip", "2001:db8::1")],
    );
    assert_eq!(text(&store, v6, "network.iana_number"), Some("6"));
    assert_eq!(
        store.field(v6, "event.duration"),
        Some(ValueRef::Int(1_250_000_000))
    );
    assert_eq!(store.events()[v6].origin().record, 4);
    let raw = ingest::read_raw_event(&store, v6).expect("raw row");
    assert!(
        raw.starts_with("10.1.0.8,2001:db8::1,49814,443,tcp"),
        "{raw}"
    );
    assert!(!raw.ends_with('\r'), "{raw:?}");
}

#[test]
fn silk_rwcut_output_maps() {
    let (store, report) = load(&[network("flows_silk.txt")]);

    check_file(&report, "flows_silk.txt", Format::NetflowCsv, 3, 3);
    let first = find(
        &store,
        "flows_silk.txt",
        &[("destination.ip", "198.51.100.9")],
    );
    assert_eq!(
        store.events()[first].timestamp,
        nanos("2024-03-01T10:00:00Z")
    );
    assert_eq!(
        store.field(first, "source.port"),
        Some(ValueRef::Int(50001))
    );
    assert_eq!(
        store.field(first, "source.bytes"),
        Some(ValueRef::Int(4312))
    );
    assert_eq!(text(&store, first, "observer.name"), Some("S0"));
    assert_eq!(text(&store, first, "netflow.flags"), Some("FS PA"));
    assert_eq!(
        store.field(first, "event.duration"),
        Some(ValueRef::Int(1_500_000_000))
    );
    let netbios = find(
        &store,
        "flows_silk.txt",
        &[("destination.ip", "10.2.0.255")],
    );
    assert_eq!(text(&store, netbios, "network.transport"), Some("udp"));
}

#[test]
fn gzip_flows_load_and_read_back() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let packed = gzip_into(dir.path(), &network("nfdump.csv"), "flows.csv.gz");

    let (store, report) = load(std::slice::from_ref(&packed));

    check_file(&report, "flows.csv.gz", Format::NetflowCsv, 6, 4);
    let https = find(&store, "flows.csv.gz", &[("destination.ip", "203.0.113.7")]);
    let raw = ingest::read_raw_event(&store, https).expect("raw row");
    assert!(
        raw.starts_with("2024-03-01 10:00:00,2024-03-01 10:00:02,2.000,10.0.0.5"),
        "{raw}"
    );
}

#[test]
fn cisco_ios_relay_file_maps() {
    let (store, report) = load_2024(&[network("cisco_ios.log")]);

    let file = check_file(&report, "cisco_ios.log", Format::CiscoSyslog, 9, 8);
    check_error(file, 0, 6, "no %FACILITY-SEVERITY-MNEMONIC: tag");
    let notes = file.notes.join("\n");
    assert!(
        notes.contains("1 lines had a device time marked '*'"),
        "{notes}"
    );
    assert!(
        notes.contains("1 lines have no Cisco message tag"),
        "{notes}"
    );
    assert!(
        notes.contains("year 2024 for the first line (set by --year 2024)"),
        "{notes}"
    );

    let config = find(&store, "cisco_ios.log", &[("event.code", "SYS-5-CONFIG_I")]);
    // The device's clock was not synchronized, so the syslog server's time is used.
    assert_eq!(
        store.events()[config].timestamp,
        nanos("2024-03-01T18:46:12Z")
    );
    assert_eq!(store.log_source(config), "networkdevice:config");
    assert_eq!(text(&store, config, "user.name"), Some("admin"));
    assert_eq!(text(&store, config, "source.ip"), Some("10.0.0.5"));
    assert_eq!(text(&store, config, "cisco.ios.line"), Some("vty0"));
    assert_eq!(text(&store, config, "host.name"), Some("10.0.0.1"));
    assert_eq!(
        store.field(config, "event.sequence"),
        Some(ValueRef::Int(123))
    );
    assert_eq!(
        text(&store, config, "event.action"),
        Some("configuration_change")
    );

    let login = find(
        &store,
        "cisco_ios.log",
        &[("event.code", "SEC_LOGIN-5-LOGIN_SUCCESS")],
    );
    assert_eq!(
        store.events()[login].timestamp,
        nanos("2024-03-01T18:47:00.456Z")
    );
    assert_eq!(
        text(&store, login, "event.created"),
        Some("2024-03-01T18:47:01Z")
    );
    assert_eq!(text(&store, login, "host.name"), Some("router1"));
    assert_eq!(text(&store, login, "host.ip"), Some("10.0.0.1"));
    assert_eq!(text(&store, login, "event.outcome"), Some("success"));
    assert_eq!(
        store.field(login, "destination.port"),
        Some(ValueRef::Int(22))
    );
    assert_eq!(
        store.field(login, "event.category"),
        list(&["authentication", "session"])
    );
    assert_eq!(store.log_source(login), "networkdevice:syslog");
    assert_eq!(text(&store, login, "log.level"), Some("notice"));

    let failed = find(&store, "cisco_ios.log", &[("user.name", "backup")]);
    assert_eq!(text(&store, failed, "event.outcome"), Some("failure"));
    assert_eq!(text(&store, failed, "source.ip"), Some("198.51.100.23"));
    assert_eq!(
        text(&store, failed, "event.reason"),
        Some("Login Authentication Failed")
    );

    let command = find(
        &store,
        "cisco_ios.log",
        &[("event.code", "PARSER-5-CFGLOG_LOGGEDCMD")],
    );
    assert_eq!(store.log_source(command), "networkdevice:cli");
    assert_eq!(
        text(&store, command, "process.command_line"),
        Some("crypto key generate rsa modulus 512")
    );

    let ssh = find(
        &store,
        "cisco_ios.log",
        &[("event.code", "SSH-5-SSH2_USERAUTH")],
    );
    assert_eq!(
        text(&store, ssh, "cisco.ios.ssh.cipher"),
        Some("aes128-cbc")
    );
    assert_eq!(text(&store, ssh, "cisco.ios.ssh.hmac"), Some("hmac-sha1"));
    assert_eq!(text(&store, ssh, "event.outcome"), Some("success"));

    let privilege = find(
        &store,
        "cisco_ios.log",
        &[("event.action", "privilege_change")],
    );
    assert_eq!(
        store.field(privilege, "cisco.ios.privilege_level"),
        Some(ValueRef::Int(15))
    );

    let linux = find(&store, "cisco_ios.log", &[("user.name", "ops")]);
    assert_eq!(store.log_source(linux), "linux:syslog");
    assert_eq!(store.events()[linux].platform, Platform::Linux);
    assert_eq!(store.events()[linux].origin().record, 8);
    let raw = ingest::read_raw_event(&store, linux).expect("raw line");
    assert_eq!(
        raw,
        "Mar  1 18:50:00 syslog01 sshd[4242]: Accepted publickey for ops from 10.0.0.9 port 50522 ssh2"
    );
}

#[test]
fn cisco_asa_messages_map() {
    let (store, report) = load(&[network("cisco_asa.log")]);

    let file = check_file(&report, "cisco_asa.log", Format::CiscoSyslog, 12, 11);
    check_error(file, 0, 10, "no timestamp");
    assert!(
        file.notes
            .iter()
            .any(|n| n.starts_with("10 device timestamps have no zone")),
        "{:?}",
        file.notes
    );

    let built = find(&store, "cisco_asa.log", &[("event.code", "ASA-6-302013")]);
    assert_eq!(
        store.events()[built].timestamp,
        nanos("2024-03-01T18:46:11Z")
    );
    assert_eq!(text(&store, built, "source.ip"), Some("10.0.0.5"));
    assert_eq!(text(&store, built, "destination.ip"), Some("8.8.8.8"));
    assert_eq!(
        store.field(built, "destination.port"),
        Some(ValueRef::Int(443))
    );
    assert_eq!(
        text(&store, built, "cisco.asa.mapped_source_ip"),
        Some("203.0.113.5")
    );
    assert_eq!(text(&store, built, "cisco.asa.connection_id"), Some("1234"));
    assert_eq!(
        store.field(built, "event.type"),
        list(&["connection", "start"])
    );
    assert_eq!(text(&store, built, "host.name"), Some("asa1"));
    assert_eq!(
        store.field(built, "log.syslog.priority"),
        Some(ValueRef::Int(166))
    );
    assert_eq!(
        store.field(built, "log.syslog.facility.code"),
        Some(ValueRef::Int(20))
    );
    assert_eq!(text(&store, built, "observer.product"), Some("ASA"));

    let teardown = find(&store, "cisco_asa.log", &[("event.code", "ASA-6-302014")]);
    assert_eq!(
        store.field(teardown, "event.duration"),
        Some(ValueRef::Int(30_000_000_000))
    );
    assert_eq!(
        store.field(teardown, "network.bytes"),
        Some(ValueRef::Int(6120))
    );
    assert_eq!(
        text(&store, teardown, "event.reason"),
        Some("TCP FINs from inside")
    );
    assert_eq!(
        text(&store, teardown, "event.action"),
        Some("connection_teardown")
    );

    let login = find(&store, "cisco_asa.log", &[("event.code", "ASA-6-605005")]);
    assert_eq!(text(&store, login, "user.name"), Some("admin"));
    assert_eq!(text(&store, login, "source.ip"), Some("10.1.1.1"));
    assert_eq!(
        store.field(login, "source.port"),
        Some(ValueRef::Int(51234))
    );
    assert_eq!(text(&store, login, "destination.ip"), Some("10.0.0.1"));
    assert_eq!(text(&store, login, "network.protocol"), Some("ssh"));
    assert_eq!(text(&store, login, "event.outcome"), Some("success"));

    let privilege = find(&store, "cisco_asa.log", &[("event.code", "ASA-5-502103")]);
    assert_eq!(
        store.field(privilege, "cisco.asa.privilege.new"),
        Some(ValueRef::Int(15))
    );

    let command = find(&store, "cisco_asa.log", &[("event.code", "ASA-5-111010")]);
    assert_eq!(store.log_source(command), "networkdevice:cli");
    assert_eq!(
        text(&store, command, "process.command_line"),
        Some("no logging enable")
    );
    assert_eq!(text(&store, command, "source.ip"), Some("10.1.1.1"));

    let rejected = find(&store, "cisco_asa.log", &[("event.code", "ASA-6-113005")]);
    assert_eq!(text(&store, rejected, "event.outcome"), Some("failure"));
    assert_eq!(text(&store, rejected, "event.reason"), Some("AAA failure"));
    assert_eq!(text(&store, rejected, "source.ip"), Some("198.51.100.23"));
    assert_eq!(
        text(&store, rejected, "cisco.asa.aaa_server"),
        Some("10.1.1.2")
    );
    let accepted = find(&store, "cisco_asa.log", &[("event.code", "ASA-6-113004")]);
    assert_eq!(text(&store, accepted, "user.name"), Some("admin"));
    assert_eq!(text(&store, accepted, "event.outcome"), Some("success"));

    let denied = find(&store, "cisco_asa.log", &[("event.code", "ASA-4-106023")]);
    assert_eq!(text(&store, denied, "rule.name"), Some("outside_access_in"));
    assert_eq!(
        store.field(denied, "event.type"),
        list(&["connection", "denied"])
    );
    assert_eq!(
        store.field(denied, "destination.port"),
        Some(ValueRef::Int(23))
    );

    let logout = find(&store, "cisco_asa.log", &[("event.code", "ASA-6-611103")]);
    assert_eq!(
        store.events()[logout].timestamp,
        nanos("2024-03-01T18:51:00Z")
    );
    assert_eq!(text(&store, logout, "host.name"), Some("asa1"));
    assert_eq!(text(&store, logout, "event.action"), Some("user_logout"));

    // The last line is cut short: the tag and time survive, the message does not match.
    let cut = find(&store, "cisco_asa.log", &[("event.code", "ASA-6-611101")]);
    assert_eq!(store.field(cut, "event.action"), None);
    assert_eq!(
        text(&store, cut, "message"),
        Some("User authentication succ")
    );
    assert_eq!(store.events()[cut].origin().record, 12);
}

#[test]
fn docker_events_map() {
    let (store, report) = load(&[containers("docker_events.json")]);

    let file = check_file(&report, "docker_events.json", Format::DockerEvents, 9, 7);
    check_error(file, 0, 5, "invalid JSON");
    check_error(file, 1, 9, "no valid timeNano or time");

    let exec = find(
        &store,
        "docker_events.json",
        &[("event.action", "exec_create")],
    );
    assert_eq!(
        store.events()[exec].timestamp,
        nanos("2024-03-01T10:06:00Z")
    );
    assert_eq!(store.log_source(exec), "docker:events");
    assert_eq!(store.events()[exec].platform, Platform::Containers);
    assert_eq!(text(&store, exec, "process.command_line"), Some("sh -c id"));
    assert_eq!(text(&store, exec, "container.id"), Some(CONTAINER_ID));
    assert_eq!(text(&store, exec, "container.name"), Some("web"));
    assert_eq!(
        text(&store, exec, "container.image.name"),
        Some("alpine:3.19")
    );
    assert_eq!(
        text(&store, exec, "docker.attributes.execID"),
        Some("9f8e7d")
    );
    assert_eq!(store.field(exec, "event.category"), list(&["process"]));
    assert_eq!(store.field(exec, "event.type"), list(&["start"]));

    let create = find(&store, "docker_events.json", &[("event.action", "create")]);
    assert_eq!(
        text(
            &store,
            create,
            "docker.attributes.com.docker.compose.project"
        ),
        Some("shop")
    );
    assert_eq!(store.events()[create].origin().record, 1);

    let pull = find(&store, "docker_events.json", &[("event.action", "pull")]);
    assert_eq!(text(&store, pull, "container.image.name"), Some("alpine"));
    assert_eq!(store.field(pull, "event.category"), list(&["package"]));

    let die = find(&store, "docker_events.json", &[("event.action", "die")]);
    assert_eq!(
        store.field(die, "process.exit_code"),
        Some(ValueRef::Int(137))
    );
    assert_eq!(store.field(die, "event.type"), list(&["end"]));

    let connect = find(&store, "docker_events.json", &[("event.action", "connect")]);
    assert_eq!(text(&store, connect, "docker.actor.name"), Some("bridge"));
    assert_eq!(
        text(&store, connect, "docker.attributes.container"),
        Some(CONTAINER_ID)
    );

    let raw = ingest::read_raw_event(&store, exec).expect("raw event");
    assert!(
        raw.contains("\"Action\": \"exec_create: sh -c id\""),
        "{raw}"
    );
}

#[test]
fn docker_daemon_json_maps() {
    let (store, report) = load(&[containers("dockerd.json")]);

    let file = check_file(&report, "dockerd.json", Format::DockerDaemon, 7, 6);
    check_error(file, 0, 7, "invalid JSON");

    let create = find(
        &store,
        "dockerd.json",
        &[("event.action", "container_create")],
    );
    assert_eq!(store.log_source(create), "docker:daemon");
    assert_eq!(
        store.events()[create].timestamp,
        nanos("2024-03-01T10:05:00.1Z")
    );
    assert_eq!(text(&store, create, "http.request.method"), Some("POST"));
    assert_eq!(
        text(&store, create, "url.original"),
        Some("/v1.43/containers/create?name=web")
    );
    assert_eq!(text(&store, create, "log.level"), Some("debug"));

    let form = find(
        &store,
        "dockerd.json",
        &[("container.image.name", "alpine:3.19")],
    );
    assert_eq!(
        store.field(form, "docker.container.privileged"),
        Some(ValueRef::Bool(true))
    );
    assert_eq!(
        store.field(form, "docker.container.binds"),
        list(&["/:/host"])
    );
    assert_eq!(text(&store, form, "process.command_line"), Some("sh"));

    let start = find(
        &store,
        "dockerd.json",
        &[("event.action", "container_start")],
    );
    assert_eq!(text(&store, start, "container.id"), Some("web"));

    let shim = find(
        &store,
        "dockerd.json",
        &[("docker.daemon.module", "libcontainerd")],
    );
    assert_eq!(text(&store, shim, "container.id"), Some(CONTAINER_ID));
    assert_eq!(text(&store, shim, "error.message"), Some("exit status 137"));
    assert_eq!(text(&store, shim, "log.level"), Some("warning"));
}

#[test]
fn docker_daemon_text_maps() {
    let (store, report) = load(&[containers("dockerd.log")]);

    let file = check_file(&report, "dockerd.log", Format::DockerDaemon, 6, 5);
    check_error(file, 0, 4, "not a key=value pair");

    let list_call = find(&store, "dockerd.log", &[("event.action", "container_list")]);
    assert_eq!(text(&store, list_call, "http.request.method"), Some("GET"));
    assert_eq!(
        store.events()[list_call].timestamp,
        nanos("2024-03-01T10:05:00.3Z")
    );
    let exec = find(&store, "dockerd.log", &[("event.action", "exec_create")]);
    assert_eq!(text(&store, exec, "container.id"), Some("web"));
    let failed = find(&store, "dockerd.log", &[("log.level", "error")]);
    assert_eq!(
        text(&store, failed, "error.message"),
        Some("No such container: gone")
    );
    let raw = ingest::read_raw_event(&store, exec).expect("raw line");
    assert_eq!(
        raw,
        "time=\"2024-03-01T10:05:01.000000000Z\" level=debug msg=\"Calling POST /v1.43/containers/web/exec\""
    );
}

#[test]
fn docker_json_file_log_maps() {
    let name = format!("{CONTAINER_ID}-json.log");
    let (store, report) = load(&[containers(&name)]);

    let file = check_file(&report, &name, Format::DockerJsonLog, 4, 3);
    check_error(file, 0, 3, "invalid JSON");

    let aws = find(&store, &name, &[("stream", "stderr")]);
    assert_eq!(store.log_source(aws), "docker:runtime");
    assert_eq!(
        text(&store, aws, "message"),
        Some("aws s3 cp s3://shop-backups/db.dump /tmp/")
    );
    assert_eq!(text(&store, aws, "container.id"), Some(CONTAINER_ID));
    assert_eq!(
        store.events()[aws].timestamp,
        nanos("2024-03-01T10:05:02.5Z")
    );
    let done = find(&store, &name, &[("message", "done")]);
    assert_eq!(text(&store, done, "docker.attrs.tag"), Some("web"));
}

#[test]
fn gzip_container_log_keeps_id() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let name = format!("{CONTAINER_ID}-json.log.1.gz");
    let packed = gzip_into(
        dir.path(),
        &containers(&format!("{CONTAINER_ID}-json.log")),
        &name,
    );

    let (store, report) = load(std::slice::from_ref(&packed));

    check_file(&report, &name, Format::DockerJsonLog, 4, 3);
    let aws = find(&store, &name, &[("stream", "stderr")]);
    assert_eq!(text(&store, aws, "container.id"), Some(CONTAINER_ID));
    let raw = ingest::read_raw_event(&store, aws).expect("raw record");
    assert!(raw.contains("shop-backups"), "{raw}");
}

#[test]
fn formats_detected_despite_names() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let copies = [
        (network("nfdump.csv"), "flows.log", Format::NetflowCsv),
        (network("cisco_asa.log"), "asa.json", Format::CiscoSyslog),
        (network("cisco_ios.log"), "notes.txt", Format::CiscoSyslog),
        (
            containers("docker_events.json"),
            "events.csv",
            Format::DockerEvents,
        ),
        (
            containers("dockerd.log"),
            "daemon.txt",
            Format::DockerDaemon,
        ),
    ];
    for (source, name, expected) in &copies {
        let target = dir.path().join(name);
        std::fs::copy(source, &target).expect("copy sample");
        assert_eq!(
            ingest::detect_file(&target).expect("detect"),
            *expected,
            "{name}"
        );
    }
}

/// Runs the binary with `args` and returns its output.
fn glexia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glexia"))
        .args(args)
        .output()
        .expect("glexia runs")
}

/// Writes the same RFC 3164 line, which has no year or zone, to `auth.log` and `other.log`.
fn write_two_syslogs(dir: &Path) -> (PathBuf, PathBuf) {
    let line =
        "Mar  1 10:00:00 host sshd[1]: Accepted password for bob from 10.0.0.1 port 22 ssh2\n";
    let auth = dir.join("auth.log");
    let other = dir.join("other.log");
    std::fs::write(&auth, line).expect("write auth.log");
    std::fs::write(&other, line).expect("write other.log");
    (auth, other)
}

/// Returns the `@timestamp` of every event a `glexia query --format jsonl` run printed, by
/// the file name of its origin.
fn times_by_file(output: &Output) -> Vec<(String, String)> {
    let mut times = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let found: serde_json::Value = serde_json::from_str(line).expect("one JSON match a line");
        for event in found["events"].as_array().expect("events") {
            let path = event["origin"]["path"].as_str().expect("origin path");
            let name = Path::new(path).file_name().expect("file name");
            let time = event["@timestamp"].as_str().expect("time");
            times.push((name.to_string_lossy().into_owned(), time.to_owned()));
        }
    }
    times.sort();
    times
}

#[test]
fn tz_for_one_file_only() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (auth, other) = write_two_syslogs(dir.path());

    let output = glexia(&[
        "query",
        "any where true",
        auth.to_str().expect("utf-8 path"),
        other.to_str().expect("utf-8 path"),
        "--format",
        "jsonl",
        "--tz",
        "auth.log=+02:00",
        "--year",
        "2023",
    ]);

    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        times_by_file(&output),
        vec![
            (
                "auth.log".to_owned(),
                "2023-03-01T08:00:00.000000Z".to_owned()
            ),
            (
                "other.log".to_owned(),
                "2023-03-01T10:00:00.000000Z".to_owned()
            ),
        ]
    );
}

#[test]
fn tz_iana_zone_for_all_files() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (auth, _) = write_two_syslogs(dir.path());

    // Berlin is UTC+01:00 on March 1 and UTC+02:00 in summer.
    let output = glexia(&[
        "query",
        "any where true",
        auth.to_str().expect("utf-8 path"),
        "--format",
        "jsonl",
        "--tz",
        "Europe/Berlin",
        "--year",
        "auth.log=2021",
    ]);

    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        times_by_file(&output),
        vec![(
            "auth.log".to_owned(),
            "2021-03-01T09:00:00.000000Z".to_owned()
        )]
    );
}

#[test]
fn scan_notes_state_zone_and_year() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (_, other) = write_two_syslogs(dir.path());
    // Written on 2023-06-15, so the March line falls in 2023.
    let written = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_686_830_400);
    std::fs::File::options()
        .write(true)
        .open(&other)
        .expect("open other.log")
        .set_modified(written)
        .expect("set modification time");
    let flows = dir.path().join("nfdump.csv");
    std::fs::copy(network("nfdump.csv"), &flows).expect("copy flows");

    let output = glexia(&[
        "scan",
        dir.path().to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--tz",
        "auth.log=+02:00",
        "--tz",
        "*.csv=America/New_York",
    ]);

    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    let notes = |name: &str| -> String {
        document["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} not in the scan"))["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .map(|n| n.as_str().expect("note text").to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let auth_notes = notes("auth.log");
    assert!(
        auth_notes.contains("times read as UTC+02:00 (set by --tz auth.log=UTC+02:00)"),
        "{auth_notes}"
    );
    let other_notes = notes("other.log");
    assert!(
        other_notes.contains("times read as UTC (no --tz given)"),
        "{other_notes}"
    );
    assert!(
        other_notes.contains(
            "year 2023 for the first line, inferred so that each line falls in the 12 months \
             up to the file's modification time (2023-06-15)"
        ),
        "{other_notes}"
    );
    let flow_notes = notes("nfdump.csv");
    assert!(
        flow_notes.contains("times read as America/New_York (set by --tz *.csv=America/New_York)"),
        "{flow_notes}"
    );
}

#[test]
fn tz_shifts_flow_times() {
    let output = glexia(&[
        "query",
        "any where destination.ip == \"203.0.113.7\"",
        network("nfdump.csv").to_str().expect("utf-8 path"),
        "--format",
        "jsonl",
        "--tz",
        "nfdump.csv=-05:00",
    ]);

    // The file has bad rows, so the status is 2; the match is still printed.
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(
        times_by_file(&output),
        vec![(
            "nfdump.csv".to_owned(),
            "2024-03-01T15:00:00.000000Z".to_owned()
        )]
    );
}

#[test]
fn tz_options_reject_bad_values() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (auth, _) = write_two_syslogs(dir.path());
    let path = auth.to_str().expect("utf-8 path");

    let unknown = glexia(&["scan", path, "--tz", "Europe/Berln"]);
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("invalid zone 'Europe/Berln'"), "{stderr}");

    let twice = glexia(&["scan", path, "--tz", "UTC", "--tz", "+01:00"]);
    assert_eq!(twice.status.code(), Some(2), "{twice:?}");
    let stderr = String::from_utf8_lossy(&twice.stderr);
    assert!(
        stderr.contains("--tz is given 2 times for all files"),
        "{stderr}"
    );

    let year = glexia(&["scan", path, "--year", "23"]);
    assert_eq!(year.status.code(), Some(2), "{year:?}");
    let stderr = String::from_utf8_lossy(&year.stderr);
    assert!(stderr.contains("expected four digits"), "{stderr}");

    let unmatched = glexia(&["scan", path, "--tz", "nosuch.log=UTC"]);
    let stderr = String::from_utf8_lossy(&unmatched.stderr);
    assert!(
        stderr.contains("--tz pattern 'nosuch.log' matches no loaded file"),
        "{stderr}"
    );
}

#[test]
fn gzip_evtx_matches_plain() {
    let Some(dir) = data_dir("evtx") else {
        return;
    };
    let name = "deepblue_new-user-security.evtx";
    let plain = dir.join(name);
    let temp = tempfile::tempdir().expect("temporary folder");
    let packed = gzip_into(temp.path(), &plain, "Security.evtx.gz");

    let (plain_store, plain_report) = load(std::slice::from_ref(&plain));
    let (packed_store, packed_report) = load(std::slice::from_ref(&packed));

    let plain_file = file_report(&plain_report, name);
    let packed_file = file_report(&packed_report, "Security.evtx.gz");
    assert_eq!(packed_file.format, Format::Evtx);
    assert_eq!(packed_file.status, FileStatus::Loaded);
    assert_eq!(packed_file.records_read, plain_file.records_read);
    assert_eq!(packed_file.events_loaded, plain_file.events_loaded);
    assert!(packed_file.events_loaded > 0);
    assert_eq!(packed_file.errors, plain_file.errors);
    assert!(
        packed_file
            .notes
            .iter()
            .any(|n| n.starts_with("decompressed from gzip in memory")),
        "{:?}",
        packed_file.notes
    );
    assert_eq!(packed_store.len(), plain_store.len());
    for index in 0..plain_store.len() {
        let (a, b) = (&plain_store.events()[index], &packed_store.events()[index]);
        assert_eq!(a.timestamp, b.timestamp, "event {index}");
        assert_eq!(a.origin().record, b.origin().record, "event {index}");
        assert_eq!(
            plain_store.field(index, "event.code"),
            packed_store.field(index, "event.code"),
            "event {index}"
        );
    }
    let last = plain_store.len() - 1;
    let plain_raw = ingest::read_raw_event(&plain_store, last).expect("plain raw record");
    let packed_raw = ingest::read_raw_event(&packed_store, last).expect("gzip raw record");
    assert_eq!(packed_raw, plain_raw);
    assert!(packed_raw.contains("<EventRecordID>"), "{packed_raw}");
}
