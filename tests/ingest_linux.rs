//! Loads the real Linux and macOS samples kept beside the repository.
//!
//! The pinned counts were taken by hand from the files: auditd events are the distinct
//! `audit(<time>:<serial>)` stamps (`grep -o 'audit([0-9.:]*)' | sort -u | wc -l`), and the
//! hex-encoded values were decoded with Python's `bytes.fromhex`.

mod common;

use common::{data_dir, events_of, file_report, load};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use glexia::ingest::{self, FileStatus, Format, LoadReport, Location};
use glexia::store::{EventStore, ValueRef};

fn str_field<'a>(store: &'a EventStore, index: usize, name: &str) -> Option<&'a str> {
    match store.field(index, name) {
        Some(ValueRef::Str(s)) => Some(s),
        _ => None,
    }
}

fn print_report(report: &LoadReport) {
    for file in &report.files {
        println!(
            "{} {} {:?} read={} loaded={} skipped={} errors={}",
            file.path.file_name().unwrap().to_string_lossy(),
            file.format,
            file.status,
            file.records_read,
            file.events_loaded,
            file.records_skipped,
            file.error_count()
        );
        for error in &file.errors {
            println!("  {}: {}", error.location, error.message);
        }
    }
}

#[test]
fn auditd_rhel7_counts_and_decoding() {
    let Some(dir) = data_dir("linux") else { return };
    let path = dir.join("go-libaudit_audit-rhel7.log");

    let (store, report) = load(std::slice::from_ref(&path));
    print_report(&report);

    let file = file_report(&report, "go-libaudit_audit-rhel7.log");
    assert_eq!(file.format, Format::Auditd);
    assert_eq!(file.status, FileStatus::Loaded);
    // 50 lines: 46 distinct stamps, and one `type=UNKNOWN[1329] msg=?` line with none.
    assert_eq!(file.events_loaded, 46);
    assert_eq!(file.records_skipped, 1);
    assert_eq!(file.records_read, 47);
    assert_eq!(file.errors.len(), 1);
    assert!(matches!(
        file.errors[0].location,
        Location::Line { line: 31, .. }
    ));

    let events = events_of(&store, "go-libaudit_audit-rhel7.log");
    let find = |code: &str| {
        events
            .iter()
            .copied()
            .find(|&i| str_field(&store, i, "event.code") == Some(code))
            .unwrap_or_else(|| panic!("no {code} event"))
    };
    let sudo = find("USER_CMD");
    assert_eq!(store.log_source(sudo), "auditd:USER_CMD");
    assert_eq!(
        str_field(&store, sudo, "process.command_line"),
        Some("./metricbeat -c mb.dev.yml")
    );
    let connect = find("connect");
    assert_eq!(store.log_source(connect), "auditd:SYSCALL");
    assert_eq!(
        str_field(&store, connect, "process.executable"),
        Some("/usr/bin/python2.7;58d1ccfb (deleted)")
    );
    assert_eq!(str_field(&store, connect, "event.outcome"), Some("failure"));
    let module = find("finit_module");
    assert_eq!(str_field(&store, module, "process.name"), Some("modprobe"));
    let module_records = store.field(module, "auditd.record_types");
    assert_eq!(
        module_records,
        Some(ValueRef::List(vec![
            ValueRef::Str("NETFILTER_CFG"),
            ValueRef::Str("SYSCALL")
        ]))
    );
    let auth = find("USER_AUTH");
    assert_eq!(store.log_source(auth), "auditd:USER_LOGIN");
    assert_eq!(str_field(&store, auth, "user.name"), Some("andrew_kroh"));
    assert_eq!(str_field(&store, auth, "source.ip"), Some("96.241.146.97"));
    let cwd = events
        .iter()
        .copied()
        .find(|&i| str_field(&store, i, "process.working_directory") == Some("/tmp/a b c"));
    assert!(cwd.is_some(), "hex-encoded cwd not decoded");

    let raw = ingest::read_raw_event(&store, module).unwrap();
    assert_eq!(raw.lines().count(), 2, "{raw}");
    assert!(raw.contains("type=NETFILTER_CFG"), "{raw}");
    assert!(raw.contains("type=SYSCALL"), "{raw}");
}

#[test]
fn auditd_arp_cache_events() {
    let Some(dir) = data_dir("linux") else { return };
    let path = dir.join("otrf_sh_arp_cache_auditd.log");

    let (store, report) = load(std::slice::from_ref(&path));
    print_report(&report);

    let file = file_report(&report, "otrf_sh_arp_cache_auditd.log");
    assert_eq!(file.format, Format::Auditd);
    assert_eq!(file.records_read, 2);
    assert_eq!(file.events_loaded, 2);
    assert_eq!(file.records_skipped, 0);
    let events = events_of(&store, "otrf_sh_arp_cache_auditd.log");
    let lines: Vec<&str> = events
        .iter()
        .filter_map(|&i| str_field(&store, i, "process.command_line"))
        .collect();
    assert_eq!(lines, vec!["arp -a", "grep -v ^?"]);
    let titles: Vec<&str> = events
        .iter()
        .filter_map(|&i| str_field(&store, i, "process.title"))
        .collect();
    assert_eq!(titles, vec!["arp -a", "grep -v ^?"]);
    for &i in &events {
        assert_eq!(store.log_source(i), "auditd:SYSCALL");
        assert_eq!(str_field(&store, i, "event.code"), Some("execve"));
        assert_eq!(str_field(&store, i, "user.audit.id"), Some("1000"));
    }

    let raw = ingest::read_raw_event(&store, events[1]).unwrap();
    assert_eq!(raw.lines().count(), 6, "{raw}");
    assert!(raw.starts_with("type=SYSCALL msg=audit(1604994496.155:92734)"));
}

fn load_with_year(paths: &[PathBuf], year: i32) -> (EventStore, LoadReport) {
    let options = ingest::LoadOptions {
        years: vec![ingest::FileSetting::all(ingest::Year(year))],
        ..ingest::LoadOptions::default()
    };
    ingest::load_with(paths, &options, &|_| {}, &AtomicBool::new(false))
}

#[test]
fn syslog_beats_auth_fields() {
    let Some(dir) = data_dir("linux") else { return };
    let path = dir.join("beats_system_auth_test.log");

    let (store, report) = load_with_year(std::slice::from_ref(&path), 2017);
    print_report(&report);

    let file = file_report(&report, "beats_system_auth_test.log");
    assert_eq!(file.format, Format::Syslog);
    assert_eq!(file.records_read, 10);
    assert_eq!(file.events_loaded, 10);
    assert!(file.errors.is_empty());
    assert!(file.notes[0].contains("2017"), "{:?}", file.notes);
    let events = events_of(&store, "beats_system_auth_test.log");
    let by_line = |line: u64| {
        events
            .iter()
            .copied()
            .find(|&i| store.events()[i].origin().record == line)
            .unwrap_or_else(|| panic!("no event for line {line}"))
    };

    let accepted = by_line(1);
    assert_eq!(store.log_source(accepted), "linux:syslog");
    assert_eq!(str_field(&store, accepted, "user.name"), Some("vagrant"));
    assert_eq!(str_field(&store, accepted, "source.ip"), Some("10.0.2.2"));
    assert_eq!(
        store.field(accepted, "source.port"),
        Some(ValueRef::Int(63673))
    );
    assert_eq!(
        str_field(&store, accepted, "system.auth.ssh.method"),
        Some("publickey")
    );
    assert_eq!(
        str_field(&store, accepted, "event.outcome"),
        Some("success")
    );
    assert_eq!(
        store.events()[accepted].timestamp,
        1_487_714_084_000_000_000
    );

    let invalid = by_line(3);
    assert_eq!(str_field(&store, invalid, "user.name"), Some("test"));
    assert_eq!(str_field(&store, invalid, "event.outcome"), Some("failure"));

    let failed = by_line(4);
    assert_eq!(str_field(&store, failed, "user.name"), Some("root"));
    assert_eq!(str_field(&store, failed, "host.name"), Some("slave22"));

    let sudo = by_line(7);
    assert_eq!(
        str_field(&store, sudo, "process.command_line"),
        Some("/bin/cat /var/log/secure")
    );
    assert_eq!(str_field(&store, sudo, "user.name"), Some("vagrant"));
    assert_eq!(str_field(&store, sudo, "user.effective.name"), Some("root"));

    let denied = by_line(8);
    assert_eq!(str_field(&store, denied, "user.name"), Some("tsg"));
    assert_eq!(str_field(&store, denied, "event.outcome"), Some("failure"));
    assert_eq!(
        str_field(&store, denied, "system.auth.sudo.error"),
        Some("user NOT in sudoers")
    );

    let group = by_line(9);
    assert_eq!(str_field(&store, group, "group.name"), Some("apache"));
    let user = by_line(10);
    assert_eq!(str_field(&store, user, "user.name"), Some("apache"));
    assert_eq!(str_field(&store, user, "user.id"), Some("48"));

    let raw = ingest::read_raw_event(&store, sudo).unwrap();
    assert!(raw.starts_with("Feb 23 00:08:48 localhost sudo:"), "{raw}");
}

#[test]
fn syslog_fail2ban_comments_and_addresses() {
    let Some(dir) = data_dir("linux") else { return };
    let path = dir.join("fail2ban_sshd.log");

    let (store, report) = load_with_year(std::slice::from_ref(&path), 2005);
    print_report(&report);

    let file = file_report(&report, "fail2ban_sshd.log");
    assert_eq!(file.format, Format::Syslog);
    assert_eq!(file.status, FileStatus::Loaded);
    assert_eq!(file.records_read, 155);
    assert_eq!(file.events_loaded, 155);
    assert!(file.errors.is_empty());
    assert!(
        file.notes
            .iter()
            .any(|n| n.starts_with("193 comment lines")),
        "{:?}",
        file.notes
    );
    let events = events_of(&store, "fail2ban_sshd.log");
    let first = events
        .iter()
        .copied()
        .find(|&i| store.events()[i].origin().record == 5)
        .unwrap();
    assert_eq!(str_field(&store, first, "user.name"), Some("myhlj1374"));
    assert_eq!(
        str_field(&store, first, "source.address"),
        Some("192.030.0.6")
    );
    assert_eq!(str_field(&store, first, "source.ip"), None);
    let ipv6 = events
        .iter()
        .filter(|&&i| str_field(&store, i, "source.ip") == Some("aaaa:bbbb:cccc:1234::1:1"))
        .count();
    assert!(ipv6 >= 3, "{ipv6}");
}
