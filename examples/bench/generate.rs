//! Deterministic synthetic logs of many hosts with a known number of planted attack stories.
//!
//! The output is a triage collection of four kinds of files. Each noise step draws one kind,
//! so the shares of the events are, roughly:
//! - 60%: Windows Sysmon and Security events as evtx_dump-style JSON lines, in
//!   `<host>-Sysmon.jsonl` and `<host>-Security.jsonl` of the `WS` hosts;
//! - 15%: the same kinds of Windows events as Winlogbeat ECS documents (`@timestamp`, `event.*`,
//!   `host.name` and `winlog.*`, event data values as strings), in `<host>-winlogbeat.jsonl`
//!   of the `LT` hosts;
//! - 15%: raw auditd logs of the Linux servers in `<host>-audit.log`, as auditd 3.x writes
//!   `/var/log/audit/audit.log` with `name_format = hostname` and `log_format = ENRICHED`. One
//!   event is the group of records (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, or one USER_LOGIN or
//!   USER_CMD record) that share an `audit(time:serial)` stamp. The records follow the rules
//!   `-a always,exit -F arch=b64 -S execve -k exec` and
//!   `-a always,exit -F arch=b64 -S open,openat,creat -F perm=w -F dir=/tmp` (and `dir=/home`);
//! - 10%: CloudTrail records as JSON lines in `111122223333_CloudTrail_us-east-1.jsonl`, and
//!   VPC flow log lines in a custom version 5 format, after its header line, in
//!   `vpc-flow-logs.log`.
//!
//! Background noise is drawn from fixed pools of common activity, shaped so that none of it
//! completes a chain of the shipped analytics, and it contains look-alikes of the stories: the
//! same command or call with one condition missing. Each planted story completes exactly one
//! chain of one analytic and comes with look-alikes of its own. A scan of the output must
//! therefore find exactly [`Plan::expected`] chains per analytic, at any size, and the events
//! written add up to exactly [`Plan::events`].

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Map, Value, json};

/// A small, fast, deterministic generator (xorshift64*), so every run writes the same bytes.
pub struct Rng(u64);

impl Rng {
    /// Seeds the generator; a zero seed is replaced because xorshift would stay at zero.
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index into a slice of `len` items; `len` must be positive.
    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }
}

/// The sizes to write and the chains a scan must then find.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Total number of events, noise and stories together.
    pub events: u64,
    /// Number of Windows hosts writing evtx_dump-style JSON.
    pub hosts: u64,
    /// Number of Windows hosts writing Winlogbeat ECS documents.
    pub ecs_hosts: u64,
    /// Number of Linux hosts writing auditd logs.
    pub linux_hosts: u64,
    /// Number of EC2 instances in the CloudTrail and VPC flow records.
    pub instances: u64,
    /// Stories planted per analytic.
    pub stories: u64,
}

impl Plan {
    /// Plans `events` events. There is one evtx_dump-style host per 20,000 events (at least 4),
    /// one ECS host and one Linux host per 80,000 (at least 2 each), and one instance per
    /// 10,000 (at least 8). One story per analytic is planted per 50,000 events (at least 1).
    pub fn for_events(events: u64) -> Plan {
        Plan {
            events,
            hosts: (events / 20_000).max(4),
            ecs_hosts: (events / 80_000).max(2),
            linux_hosts: (events / 80_000).max(2),
            instances: (events / 10_000).max(8),
            stories: (events / 50_000).max(1),
        }
    }

    /// The chains a scan must find, per analytic id, sorted by id.
    pub fn expected(&self) -> [(&'static str, u64); 5] {
        [
            ("AN0750", self.stories),
            ("AN0753", self.stories),
            ("AN0764", self.stories),
            ("AN0767", self.stories),
            ("AN0768", self.stories),
        ]
    }
}

impl Plan {
    /// The chains a scan of the evtx_dump-style files alone (`*-Sysmon.jsonl` and
    /// `*-Security.jsonl`, or their EVTX copies) must find, sorted by id.
    ///
    /// Each Windows chain of a story lies on one host, picked as `plant_windows_story` picks
    /// it, and only the chains on evtx_dump-style hosts are in those files.
    pub fn expected_in_evtx_dump_files(&self) -> Vec<(&'static str, u64)> {
        let count = self.ecs_hosts + self.hosts;
        let on_evtx_host = |offset: u64| {
            (0..self.stories)
                .filter(|story| (story * 3 + offset) % count >= self.ecs_hosts)
                .count() as u64
        };
        // An analytic without a chain is not listed, as a scan lists only those that matched.
        [
            ("AN0750", on_evtx_host(0)),
            ("AN0764", on_evtx_host(1)),
            ("AN0767", on_evtx_host(2)),
        ]
        .into_iter()
        .filter(|(_, chains)| *chains > 0)
        .collect()
    }
}

/// Events one story writes: 6 for the three Windows chains, 4 for the auditd chain and its
/// look-alike, 5 for the CloudTrail and flow chain and its look-alikes.
const STORY_EVENTS: u64 = 15;

const COMMON: [(&str, &str); 12] = [
    (
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\System32\services.exe",
    ),
    (
        r"C:\Windows\System32\conhost.exe",
        r"C:\Windows\System32\cmd.exe",
    ),
    (r"C:\Windows\System32\cmd.exe", r"C:\Windows\explorer.exe"),
    (
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        r"C:\Windows\explorer.exe",
    ),
    (
        r"C:\Windows\System32\RuntimeBroker.exe",
        r"C:\Windows\System32\svchost.exe",
    ),
    (
        r"C:\Windows\System32\taskhostw.exe",
        r"C:\Windows\System32\svchost.exe",
    ),
    (
        r"C:\Windows\System32\backgroundTaskHost.exe",
        r"C:\Windows\System32\svchost.exe",
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r"C:\Windows\explorer.exe",
    ),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
        r"C:\Windows\explorer.exe",
    ),
    (
        r"C:\Windows\System32\SearchProtocolHost.exe",
        r"C:\Windows\System32\SearchIndexer.exe",
    ),
    (
        r"C:\Windows\System32\certutil.exe",
        r"C:\Windows\System32\cmd.exe",
    ),
    (
        r"C:\Windows\System32\reg.exe",
        r"C:\Windows\System32\cmd.exe",
    ),
];

const USERS: [&str; 8] = [
    "akhan", "bmora", "cjones", "dlee", "eroth", "fsato", "gpaz", "hwu",
];

/// Start of the synthetic time range: 2026-11-02T00:00:00Z, in seconds.
const START: i64 = 1_793_577_600;

/// One output file, counting the events and bytes written to it.
struct Writer {
    out: BufWriter<File>,
    events: u64,
    bytes: u64,
}

impl Writer {
    fn create(path: &Path) -> std::io::Result<Writer> {
        Ok(Writer {
            out: BufWriter::with_capacity(1 << 20, File::create(path)?),
            events: 0,
            bytes: 0,
        })
    }

    /// Writes one line that is not an event, such as a header.
    fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.bytes += line.len() as u64 + 1;
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn event(&mut self, line: &str) -> std::io::Result<()> {
        self.events += 1;
        self.line(line)
    }

    fn finish(mut self, written: &mut Written) -> std::io::Result<()> {
        self.out.flush()?;
        written.events += self.events;
        written.bytes += self.bytes;
        Ok(())
    }
}

fn time(seconds: i64, micros: u32) -> String {
    chrono::DateTime::from_timestamp(START + seconds, micros * 1000)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The output of one Windows host: evtx_dump-style JSON in one file per channel, or
/// Winlogbeat documents of both channels in one file.
enum WindowsLog {
    Evtx {
        sysmon: Writer,
        security: Writer,
    },
    Ecs {
        out: Writer,
        sysmon_records: u64,
        security_records: u64,
    },
}

struct WindowsHost {
    name: String,
    log: WindowsLog,
}

impl WindowsHost {
    fn create(dir: &Path, name: String, ecs: bool) -> std::io::Result<WindowsHost> {
        let log = if ecs {
            WindowsLog::Ecs {
                out: Writer::create(&dir.join(format!("{name}-winlogbeat.jsonl")))?,
                sysmon_records: 0,
                security_records: 0,
            }
        } else {
            WindowsLog::Evtx {
                sysmon: Writer::create(&dir.join(format!("{name}-Sysmon.jsonl")))?,
                security: Writer::create(&dir.join(format!("{name}-Security.jsonl")))?,
            }
        };
        Ok(WindowsHost { name, log })
    }

    /// Writes `event`, given in evtx_dump's shape, with the next record id of its channel.
    fn write(&mut self, mut event: Value) -> std::io::Result<()> {
        let is_security = event["Event"]["System"]["Channel"] == "Security";
        match &mut self.log {
            WindowsLog::Evtx { sysmon, security } => {
                let writer = if is_security { security } else { sysmon };
                event["Event"]["System"]["EventRecordID"] = json!(writer.events + 1);
                writer.event(&serde_json::to_string(&event)?)
            }
            WindowsLog::Ecs {
                out,
                sysmon_records,
                security_records,
            } => {
                let record = if is_security {
                    security_records
                } else {
                    sysmon_records
                };
                *record += 1;
                let document = winlogbeat(&event, *record);
                out.event(&serde_json::to_string(&document)?)
            }
        }
    }

    fn finish(self, written: &mut Written) -> std::io::Result<()> {
        match self.log {
            WindowsLog::Evtx { sysmon, security } => {
                sysmon.finish(written)?;
                security.finish(written)
            }
            WindowsLog::Ecs { out, .. } => out.finish(written),
        }
    }
}

/// Rewrites an evtx_dump-style event as the document Winlogbeat 8 ships, which renders every
/// event data value as a string.
fn winlogbeat(event: &Value, record: u64) -> Value {
    let system = &event["Event"]["System"];
    let data: Map<String, Value> = event["Event"]["EventData"]
        .as_object()
        .map(|items| {
            items
                .iter()
                .map(|(key, value)| {
                    let text = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    (key.clone(), Value::String(text))
                })
                .collect()
        })
        .unwrap_or_default();
    let event_id = system["EventID"].to_string();
    let provider = &system["Provider"]["#attributes"]["Name"];
    let at = &system["TimeCreated"]["#attributes"]["SystemTime"];
    let computer = &system["Computer"];
    let module = if system["Channel"] == "Security" {
        "security"
    } else {
        "sysmon"
    };
    json!({
        "@timestamp": at,
        "agent": {"type": "winlogbeat", "version": "8.15.3"},
        "ecs": {"version": "8.0.0"},
        "host": {"name": computer},
        "event": {"code": event_id, "provider": provider, "kind": "event", "module": module},
        "log": {"level": "information"},
        "winlog": {
            "api": "wineventlog",
            "channel": system["Channel"],
            "computer_name": computer,
            "event_id": event_id,
            "provider_name": provider,
            "record_id": record.to_string(),
            "event_data": data,
        },
    })
}

fn system(provider: &str, channel: &str, id: u32, host: &str, at: &str) -> Value {
    json!({
        "Provider": {"#attributes": {"Name": provider}},
        "EventID": id,
        "Version": 5,
        "Level": 4,
        "TimeCreated": {"#attributes": {"SystemTime": at}},
        "EventRecordID": 0,
        "Channel": channel,
        "Computer": host,
    })
}

fn sysmon(id: u32, host: &str, at: &str, data: Value) -> Value {
    json!({"Event": {
        "System": system("Microsoft-Windows-Sysmon", "Microsoft-Windows-Sysmon/Operational", id, host, at),
        "EventData": data,
    }})
}

fn security(id: u32, host: &str, at: &str, data: Value) -> Value {
    json!({"Event": {
        "System": system("Microsoft-Windows-Security-Auditing", "Security", id, host, at),
        "EventData": data,
    }})
}

fn process(pid: u64, image: &str, command: &str, parent: &str, user: &str) -> Value {
    json!({
        "ProcessGuid": format!("{{5F3A0000-0000-0000-0000-{pid:012X}}}"),
        "ProcessId": pid,
        "Image": image,
        "CommandLine": command,
        "ParentImage": parent,
        "ParentProcessId": 4,
        "User": format!("CORP\\{user}"),
        "LogonId": "0x3e7",
    })
}

fn logon(user: &str, ip: &str, logon_type: &str) -> Value {
    json!({
        "TargetUserName": user,
        "TargetDomainName": "CORP",
        "TargetLogonId": "0x1f2e3d",
        "LogonType": logon_type,
        "IpAddress": ip,
        "IpPort": "50211",
        "ProcessName": "-",
    })
}

/// Sizes written, for throughput figures.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    /// Events written.
    pub events: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Every file being written, with the state that noise and stories share.
struct Output {
    /// The ECS hosts first, then the evtx_dump-style hosts.
    windows: Vec<WindowsHost>,
    ecs_hosts: usize,
    linux: Vec<LinuxHost>,
    cloud: Cloud,
    next_pid: u64,
}

impl Output {
    fn create(dir: &Path, plan: Plan) -> std::io::Result<Output> {
        let mut windows = Vec::new();
        for i in 0..plan.ecs_hosts {
            windows.push(WindowsHost::create(
                dir,
                format!("LT{i:04}.corp.example"),
                true,
            )?);
        }
        for i in 0..plan.hosts {
            windows.push(WindowsHost::create(
                dir,
                format!("WS{i:04}.corp.example"),
                false,
            )?);
        }
        let mut linux = Vec::new();
        for i in 0..plan.linux_hosts {
            linux.push(LinuxHost::create(dir, format!("srv{i:03}"))?);
        }
        Ok(Output {
            windows,
            ecs_hosts: usize::try_from(plan.ecs_hosts).unwrap_or(0),
            linux,
            cloud: Cloud::create(dir)?,
            next_pid: 10_000,
        })
    }

    fn finish(self) -> std::io::Result<Written> {
        let mut written = Written::default();
        for host in self.windows {
            host.finish(&mut written)?;
        }
        for host in self.linux {
            host.log.finish(&mut written)?;
        }
        self.cloud.trail.finish(&mut written)?;
        self.cloud.flows.finish(&mut written)?;
        Ok(written)
    }
}

/// Writes the logs of `plan` into `dir`, which must exist.
pub fn generate(dir: &Path, plan: Plan, seed: u64) -> std::io::Result<Written> {
    let mut rng = Rng::new(seed);
    let mut out = Output::create(dir, plan)?;
    let noise = plan.events.saturating_sub(plan.stories * STORY_EVENTS);
    // Stories sit at evenly spaced points of the noise.
    let story_every = (noise / plan.stories.max(1)).max(1);
    let mut story = 0;
    let mut n: i64 = 0;
    let mut written_noise: u64 = 0;
    while written_noise < noise {
        n += 1;
        let at_seconds = n * 2;
        let remaining = noise - written_noise;
        written_noise += match rng.below(20) {
            0..=11 => {
                let h = out.ecs_hosts + rng.index(out.windows.len() - out.ecs_hosts);
                windows_noise(&mut rng, &mut out, h, at_seconds, remaining)?
            }
            12..=14 => {
                let h = rng.index(out.ecs_hosts);
                windows_noise(&mut rng, &mut out, h, at_seconds, remaining)?
            }
            15..=17 => {
                let h = rng.index(out.linux.len());
                linux_noise(&mut rng, &mut out.linux[h], at_seconds)?
            }
            _ => cloud_noise(&mut rng, &mut out.cloud, plan.instances, at_seconds)?,
        };
        if story < plan.stories && written_noise >= (story + 1) * story_every {
            plant_story(story, at_seconds + 1, &mut out)?;
            story += 1;
        }
    }
    while story < plan.stories {
        let at_seconds = n * 2 + i64::try_from(story).unwrap_or(0) * 3600;
        plant_story(story, at_seconds, &mut out)?;
        story += 1;
    }
    out.finish()
}

/// Writes one or two events of routine Windows activity on host `h`, never more than
/// `remaining`, and returns how many it wrote.
fn windows_noise(
    rng: &mut Rng,
    out: &mut Output,
    h: usize,
    at_seconds: i64,
    remaining: u64,
) -> std::io::Result<u64> {
    let at = time(at_seconds, u32::try_from(rng.below(1_000_000)).unwrap_or(0));
    let user = USERS[rng.index(USERS.len())];
    out.next_pid += 4;
    let pid = out.next_pid;
    let host = &mut out.windows[h];
    let name = host.name.clone();
    match rng.below(20) {
        // Benign network logons by people, followed only by common processes.
        0 => {
            let ip = format!("10.1.{}.{}", rng.below(200), rng.below(250) + 1);
            host.write(security(4624, &name, &at, logon(user, &ip, "3")))?;
        }
        // Machine-account logons, which AN0750 leaves out.
        1 => {
            let machine = format!("{}$", name.split('.').next().unwrap_or(&name));
            host.write(security(4624, &name, &at, logon(&machine, "10.0.0.5", "3")))?;
        }
        // Run-key writes by installers that explorer.exe started, which AN0764 expects.
        2 if remaining >= 2 => {
            host.write(sysmon(
                1,
                &name,
                &at,
                process(
                    pid,
                    r"C:\Users\Public\setup.exe",
                    "setup.exe /quiet",
                    r"C:\Windows\explorer.exe",
                    user,
                ),
            ))?;
            host.write(sysmon(
                13,
                &name,
                &at,
                json!({
                    "EventType": "SetValue",
                    "ProcessGuid": format!("{{5F3A0000-0000-0000-0000-{pid:012X}}}"),
                    "ProcessId": pid,
                    "Image": r"C:\Users\Public\setup.exe",
                    "TargetObject": r"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Run\Updater",
                    "Details": r"C:\Users\Public\updater.exe",
                }),
            ))?;
            return Ok(2);
        }
        // certutil without a decoding command line.
        3 => host.write(sysmon(
            1,
            &name,
            &at,
            process(
                pid,
                r"C:\Windows\System32\certutil.exe",
                "certutil.exe -verify root.cer",
                r"C:\Windows\System32\cmd.exe",
                user,
            ),
        ))?,
        _ => {
            let (image, parent) = COMMON[rng.index(COMMON.len())];
            let command = image.rsplit('\\').next().unwrap_or(image);
            host.write(sysmon(
                1,
                &name,
                &at,
                process(pid, image, command, parent, user),
            ))?;
        }
    }
    Ok(1)
}

/// Plants one chain of each analytic. The Windows chains each sit on their own host, each with
/// a process name seen nowhere else so that AN0750's rarity condition is met at any size.
///
/// NOTE: some events of a story are minutes to an hour later than the noise written after
/// them, so the files are not strictly in time order. Glexia sorts events after loading.
fn plant_story(story: u64, at_seconds: i64, out: &mut Output) -> std::io::Result<()> {
    plant_windows_story(story, at_seconds, out)?;
    let h = usize::try_from(story % out.linux.len() as u64).unwrap_or(0);
    plant_decode_story(story, at_seconds, &mut out.linux[h])?;
    plant_session_story(story, at_seconds, &mut out.cloud)
}

fn plant_windows_story(story: u64, at_seconds: i64, out: &mut Output) -> std::io::Result<()> {
    let count = out.windows.len() as u64;
    let pick = |offset: u64| usize::try_from((story * 3 + offset) % count).unwrap_or(0);

    let host = &mut out.windows[pick(0)];
    let name = host.name.clone();
    host.write(security(
        4624,
        &name,
        &time(at_seconds, 0),
        logon("svc_deploy", "10.66.6.6", "3"),
    ))?;
    out.next_pid += 4;
    host.write(sysmon(
        1,
        &name,
        &time(at_seconds + 2, 0),
        process(
            out.next_pid,
            &format!(r"C:\Windows\Temp\impl{story}.exe"),
            &format!("impl{story}.exe -s"),
            r"C:\Windows\System32\services.exe",
            "SYSTEM",
        ),
    ))?;

    let host = &mut out.windows[pick(1)];
    let name = host.name.clone();
    out.next_pid += 4;
    let pid = out.next_pid;
    host.write(sysmon(
        1,
        &name,
        &time(at_seconds, 100_000),
        process(pid, r"C:\Windows\System32\reg.exe", r"reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v x /d C:\Users\Public\x.exe /f", r"C:\Windows\System32\cmd.exe", "akhan"),
    ))?;
    host.write(sysmon(
        13,
        &name,
        &time(at_seconds, 300_000),
        json!({
            "EventType": "SetValue",
            "ProcessGuid": format!("{{5F3A0000-0000-0000-0000-{pid:012X}}}"),
            "ProcessId": pid,
            "Image": r"C:\Windows\System32\reg.exe",
            "TargetObject": r"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Run\x",
            "Details": r"C:\Users\Public\x.exe",
        }),
    ))?;

    let host = &mut out.windows[pick(2)];
    let name = host.name.clone();
    out.next_pid += 4;
    let pid = out.next_pid;
    host.write(sysmon(
        1,
        &name,
        &time(at_seconds, 500_000),
        process(
            pid,
            r"C:\Windows\System32\certutil.exe",
            r"certutil.exe -decode C:\Users\Public\a.b64 C:\Users\Public\a.exe",
            r"C:\Windows\System32\cmd.exe",
            "bmora",
        ),
    ))?;
    host.write(sysmon(
        11,
        &name,
        &time(at_seconds + 1, 0),
        json!({
            "ProcessGuid": format!("{{5F3A0000-0000-0000-0000-{pid:012X}}}"),
            "ProcessId": pid,
            "Image": r"C:\Windows\System32\certutil.exe",
            "TargetFilename": r"C:\Users\Public\a.exe",
        }),
    ))
}

/// Audit's "unset" id, written for `auid` and `ses` of processes outside any login.
const UNSET_ID: &str = "4294967295";

/// The byte auditd's ENRICHED format puts before the resolved names of a record.
const ENRICHED: char = '\u{1d}';

/// Routine commands of the Linux users: executable and arguments.
const LINUX_COMMANDS: [(&str, &[&str]); 10] = [
    ("/usr/bin/ls", &["ls", "-la"]),
    ("/usr/bin/ps", &["ps", "aux"]),
    ("/usr/bin/cat", &["cat", "/etc/hostname"]),
    ("/usr/bin/grep", &["grep", "-r", "TODO", "src"]),
    ("/usr/bin/git", &["git", "status"]),
    ("/usr/bin/df", &["df", "-h"]),
    ("/usr/bin/vim", &["vim", "notes.txt"]),
    ("/usr/bin/systemctl", &["systemctl", "status", "nginx"]),
    ("/usr/bin/tail", &["tail", "-n", "50", "/var/log/syslog"]),
    ("/usr/bin/less", &["less", "/var/log/nginx/access.log"]),
];

struct LinuxHost {
    name: String,
    log: Writer,
    serial: u64,
    next_pid: u64,
}

/// The user an audited process runs as, with its audit session, or none for a daemon.
struct Actor<'a> {
    uid: u32,
    name: &'a str,
    session: Option<u64>,
}

impl Actor<'_> {
    /// Returns the login user of routine activity: user `u`, in the session of its login on `day`.
    fn routine(u: usize, day: i64) -> Actor<'static> {
        let day = u64::try_from(day).unwrap_or(0);
        Actor {
            uid: 1001 + u32::try_from(u).unwrap_or(0),
            name: USERS[u],
            session: Some(100 + day * USERS.len() as u64 + u as u64),
        }
    }

    /// Returns the pid of the login shell of this actor's session.
    fn shell_pid(&self) -> u64 {
        self.session
            .map_or(900, |session| 20_000 + session % 50_000)
    }
}

/// One system call as the SYSCALL record states it.
struct Syscall<'a> {
    number: u32,
    name: &'a str,
    exit: u32,
    /// The `a0` to `a3` fields, as the kernel writes them in hex.
    arguments: &'a str,
    items: u32,
    ppid: u64,
    pid: u64,
    exe: &'a str,
    key: &'a str,
}

impl LinuxHost {
    fn create(dir: &Path, name: String) -> std::io::Result<LinuxHost> {
        Ok(LinuxHost {
            log: Writer::create(&dir.join(format!("{name}-audit.log")))?,
            name,
            serial: 300_000,
            next_pid: 30_000,
        })
    }

    fn pid(&mut self) -> u64 {
        self.next_pid += 1;
        30_000 + self.next_pid % 4_000_000
    }

    /// Writes one audit event: records of `(type, body)` that share one stamp.
    fn event(
        &mut self,
        at_seconds: i64,
        millis: u64,
        records: &[(&str, String)],
    ) -> std::io::Result<()> {
        self.serial += 1;
        let stamp = format!("audit({}.{millis:03}:{})", START + at_seconds, self.serial);
        for (i, (kind, body)) in records.iter().enumerate() {
            let line = format!("node={} type={kind} msg={stamp}: {body}", self.name);
            if i == 0 {
                self.log.event(&line)?;
            } else {
                self.log.line(&line)?;
            }
        }
        Ok(())
    }

    /// Writes an execve event of `args` run by `actor` from `exe`, started by `ppid`.
    fn execve(
        &mut self,
        at_seconds: i64,
        millis: u64,
        actor: &Actor,
        ppid: u64,
        exe: &str,
        args: &[&str],
    ) -> std::io::Result<()> {
        let pid = self.pid();
        let call = Syscall {
            number: 59,
            name: "execve",
            exit: 0,
            arguments: "a0=55d1c0a4e2b0 a1=55d1c0a4f1d0 a2=55d1c0a50870 a3=8",
            items: 2,
            ppid,
            pid,
            exe,
            key: "exec",
        };
        let mut execve = format!("argc={}", args.len());
        for (i, arg) in args.iter().enumerate() {
            execve.push_str(&format!(" a{i}={}", audit_value(arg)));
        }
        let cwd = home(actor);
        self.event(
            at_seconds,
            millis,
            &[
                ("SYSCALL", syscall_record(actor, &call)),
                ("EXECVE", execve),
                ("CWD", format!("cwd={}", audit_value(&cwd))),
                (
                    "PATH",
                    path_record(0, exe, pid % 9000 + 1000, "0100755", None, "NORMAL"),
                ),
                (
                    "PATH",
                    path_record(
                        1,
                        "/lib64/ld-linux-x86-64.so.2",
                        3412,
                        "0100755",
                        None,
                        "NORMAL",
                    ),
                ),
                ("PROCTITLE", format!("proctitle={}", proctitle(args))),
            ],
        )
    }

    /// Writes an openat event of `exe` creating `path` for writing (`O_WRONLY|O_CREAT|O_TRUNC`),
    /// as an audit watch with `-F perm=w` records it.
    fn create_file(
        &mut self,
        at_seconds: i64,
        millis: u64,
        actor: &Actor,
        exe: &str,
        title: &[&str],
        path: &str,
    ) -> std::io::Result<()> {
        let pid = self.pid();
        let (parent, _) = path.rsplit_once('/').unwrap_or(("", path));
        let key = if path.starts_with("/tmp/") {
            "tmp_write"
        } else {
            "home_write"
        };
        let call = Syscall {
            number: 257,
            name: "openat",
            exit: 3,
            arguments: "a0=ffffff9c a1=7ffc3d9e6a10 a2=241 a3=1b6",
            items: 2,
            ppid: actor.shell_pid(),
            pid,
            exe,
            key,
        };
        self.event(
            at_seconds,
            millis,
            &[
                ("SYSCALL", syscall_record(actor, &call)),
                ("CWD", format!("cwd={}", audit_value(&home(actor)))),
                (
                    "PATH",
                    path_record(0, &format!("{parent}/"), 131_073, "040755", None, "PARENT"),
                ),
                (
                    "PATH",
                    path_record(
                        1,
                        path,
                        131_000 + pid % 60_000,
                        "0100644",
                        Some(actor),
                        "CREATE",
                    ),
                ),
                ("PROCTITLE", format!("proctitle={}", proctitle(title))),
            ],
        )
    }
}

fn home(actor: &Actor) -> String {
    if actor.uid == 0 {
        "/".to_owned()
    } else {
        format!("/home/{}", actor.name)
    }
}

/// Quotes `text` as auditd does, or writes it in hex when it contains a space, a quote or a
/// control or non-ASCII byte.
fn audit_value(text: &str) -> String {
    if text.bytes().all(|b| b > b' ' && b < 0x7f && b != b'"') {
        format!("\"{text}\"")
    } else {
        hex(text.as_bytes())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Returns the PROCTITLE value: the arguments separated by NUL bytes, hex-encoded unless it is one
/// plain argument.
fn proctitle(args: &[&str]) -> String {
    match args {
        [only] => audit_value(only),
        _ => hex(args.join("\0").as_bytes()),
    }
}

fn syscall_record(actor: &Actor, call: &Syscall) -> String {
    let (auid, auid_name, session, tty) = match actor.session {
        Some(session) => (
            actor.uid.to_string(),
            actor.name,
            session.to_string(),
            "pts0",
        ),
        None => (UNSET_ID.to_owned(), "unset", UNSET_ID.to_owned(), "(none)"),
    };
    let uid = actor.uid;
    let name = actor.name;
    let comm: String = call
        .exe
        .rsplit('/')
        .next()
        .unwrap_or(call.exe)
        .chars()
        .take(15)
        .collect();
    format!(
        "arch=c000003e syscall={} success=yes exit={} {} items={} ppid={} pid={} auid={auid} \
         uid={uid} gid={uid} euid={uid} suid={uid} fsuid={uid} egid={uid} sgid={uid} fsgid={uid} \
         tty={tty} ses={session} comm=\"{comm}\" exe=\"{}\" subj=unconfined key=\"{}\"{ENRICHED}\
         ARCH=x86_64 SYSCALL={} AUID=\"{auid_name}\" UID=\"{name}\" GID=\"{name}\" EUID=\"{name}\" \
         SUID=\"{name}\" FSUID=\"{name}\" EGID=\"{name}\" SGID=\"{name}\" FSGID=\"{name}\"",
        call.number,
        call.exit,
        call.arguments,
        call.items,
        call.ppid,
        call.pid,
        call.exe,
        call.key,
        call.name,
    )
}

/// Returns a PATH record of a file that `owner` owns, or root when `None`.
fn path_record(
    item: u32,
    name: &str,
    inode: u64,
    mode: &str,
    owner: Option<&Actor>,
    nametype: &str,
) -> String {
    let (uid, owner_name) = owner.map_or((0, "root"), |actor| (actor.uid, actor.name));
    format!(
        "item={item} name={} inode={inode} dev=fd:01 mode={mode} ouid={uid} ogid={uid} \
         rdev=00:00 nametype={nametype} cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 \
         cap_frootid=0{ENRICHED}OUID=\"{owner_name}\" OGID=\"{owner_name}\"",
        audit_value(name)
    )
}

/// Writes one event of routine Linux activity and returns 1.
///
/// Only the first four users write files, and only the other four run decoding commands,
/// each in their own login session, so no session contains both and AN0768 finds nothing.
/// NOTE: the noise has no connect, mmap or library-open records and writes no unit files, so
/// AN0748, AN0760 and AN0765 stay quiet because their sources are missing, not because of
/// look-alikes.
fn linux_noise(rng: &mut Rng, host: &mut LinuxHost, at_seconds: i64) -> std::io::Result<u64> {
    let day = at_seconds / 86_400;
    let millis = rng.below(1000);
    let u = rng.index(USERS.len());
    let actor = Actor::routine(u, day);
    let shell = actor.shell_pid();
    let user = actor.name;
    match rng.below(20) {
        // A shell redirect or a download, by the users who write files.
        10..=13 if u < 4 => {
            let pid = host.next_pid;
            if rng.below(3) == 0 {
                let target = format!("/tmp/pkg-{pid}.tgz");
                let url = "https://mirror.corp.example/pkg.tgz";
                host.create_file(
                    at_seconds,
                    millis,
                    &actor,
                    "/usr/bin/curl",
                    &["curl", "-so", &target, url],
                    &target,
                )?;
            } else {
                let target = if rng.below(2) == 0 {
                    format!("/tmp/out-{pid}.txt")
                } else {
                    format!("/home/{user}/notes-{day}.txt")
                };
                host.create_file(
                    at_seconds,
                    millis,
                    &actor,
                    "/usr/bin/bash",
                    &["-bash"],
                    &target,
                )?;
            }
        }
        // Encoding and compressing, which look like the decoding commands but are not.
        14 | 15 => {
            let home = format!("/home/{user}");
            let args: &[&str] = match rng.below(3) {
                0 => &["base64", "/tmp/report.bin"],
                1 => &["tar", "-czf", "/tmp/home-backup.tgz", &home],
                _ => &["gzip", "-k", "/tmp/app.log"],
            };
            let exe = format!("/usr/bin/{}", args[0]);
            host.execve(at_seconds, millis, &actor, shell, &exe, args)?;
        }
        // Decoding by the users who write no files, so no write precedes it in the session.
        16 => {
            let actor = Actor::routine(4 + rng.index(4), day);
            let shell = actor.shell_pid();
            let archive = format!("/home/{}/dl/site.tgz", actor.name);
            let token = format!("/home/{}/token.b64", actor.name);
            let args: &[&str] = match rng.below(3) {
                0 => &["base64", "-d", &token],
                1 => &["tar", "-xzf", &archive],
                _ => &["gzip", "-d", "/var/tmp/dump.sql.gz"],
            };
            let exe = format!("/usr/bin/{}", args[0]);
            host.execve(at_seconds, millis, &actor, shell, &exe, args)?;
        }
        // A cron job, outside any login session.
        17 => {
            let root = Actor {
                uid: 0,
                name: "root",
                session: None,
            };
            host.execve(
                at_seconds,
                millis,
                &root,
                900,
                "/usr/sbin/logrotate",
                &["/usr/sbin/logrotate", "/etc/logrotate.conf"],
            )?;
        }
        // An SSH login through PAM.
        18 => {
            let session = actor.session.unwrap_or(0);
            let address = format!("10.8.{}.{}", u, rng.below(250) + 1);
            let body = format!(
                "pid={} uid=0 auid={} ses={session} subj=unconfined msg='op=login id={} \
                 exe=\"/usr/sbin/sshd\" hostname={address} addr={address} terminal=/dev/pts/0 \
                 res=success'{ENRICHED}UID=\"root\" AUID=\"{user}\" ID=\"{user}\"",
                shell - 1,
                actor.uid,
                actor.uid
            );
            host.event(at_seconds, millis, &[("USER_LOGIN", body)])?;
        }
        // A sudo command.
        19 => {
            let session = actor.session.unwrap_or(0);
            let body = format!(
                "pid={} uid={} auid={} ses={session} subj=unconfined msg='cwd=\"/home/{user}\" \
                 cmd={} exe=\"/usr/bin/sudo\" terminal=pts/0 res=success'{ENRICHED}UID=\"{user}\" \
                 AUID=\"{user}\"",
                host.pid(),
                actor.uid,
                actor.uid,
                hex(b"/usr/bin/systemctl reload nginx"),
            );
            host.event(at_seconds, millis, &[("USER_CMD", body)])?;
        }
        _ => {
            let (exe, args) = LINUX_COMMANDS[rng.index(LINUX_COMMANDS.len())];
            host.execve(at_seconds, millis, &actor, shell, exe, args)?;
        }
    }
    Ok(1)
}

/// Plants one AN0768 chain: in a login session of its own, a shell writes a file and base64
/// decodes it 20 seconds later. The look-alike, in another session, decodes its file five
/// minutes after writing it, past the analytic's two-minute window.
fn plant_decode_story(story: u64, at_seconds: i64, host: &mut LinuxHost) -> std::io::Result<()> {
    for (offset, name, delay) in [(0, "cache", 20), (1, "stage", 300)] {
        let actor = Actor {
            uid: 1050,
            name: "deploy",
            session: Some(900_000 + story * 2 + offset),
        };
        let path = format!("/tmp/.{name}-{story}");
        let at = at_seconds + i64::try_from(offset).unwrap_or(0) * 40;
        host.create_file(at, 100, &actor, "/usr/bin/bash", &["-bash"], &path)?;
        host.execve(
            at + delay,
            200,
            &actor,
            actor.shell_pid(),
            "/usr/bin/base64",
            &["base64", "-d", &path],
        )?;
    }
    Ok(())
}

/// The AWS account of the CloudTrail and flow records.
const ACCOUNT: &str = "111122223333";

/// The fields of the custom version 5 flow log format, as its header line names them.
const FLOW_HEADER: &str = "version account-id interface-id instance-id srcaddr dstaddr srcport \
                           dstport protocol packets bytes start end action log-status \
                           flow-direction tcp-flags";

struct Cloud {
    trail: Writer,
    flows: Writer,
}

/// One VPC flow, with addresses and ports as the flow log states them.
struct Flow<'a> {
    instance: &'a str,
    source: &'a str,
    destination: &'a str,
    source_port: u64,
    destination_port: u64,
    protocol: u32,
    /// Unix seconds relative to [`START`] of the aggregation interval's end.
    end_seconds: i64,
    action: &'a str,
    direction: &'a str,
}

impl Cloud {
    fn create(dir: &Path) -> std::io::Result<Cloud> {
        let mut flows = Writer::create(&dir.join("vpc-flow-logs.log"))?;
        flows.line(FLOW_HEADER)?;
        Ok(Cloud {
            trail: Writer::create(&dir.join(format!("{ACCOUNT}_CloudTrail_us-east-1.jsonl")))?,
            flows,
        })
    }

    /// Returns a CloudTrail record of a successful call by IAM user `user`, without request
    /// parameters or response elements.
    fn call(
        &self,
        at_seconds: i64,
        user: &str,
        source_ip: &str,
        service: &str,
        name: &str,
    ) -> Value {
        let id = self.trail.events + 1;
        let at = chrono::DateTime::from_timestamp(START + at_seconds, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        json!({
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": format!("AIDA4XQJ7EXAMPLE{:04X}", user.len() * 7919 % 65_536),
                "arn": format!("arn:aws:iam::{ACCOUNT}:user/{user}"),
                "accountId": ACCOUNT,
                "userName": user,
            },
            "eventTime": at,
            "eventSource": format!("{service}.amazonaws.com"),
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": source_ip,
            "userAgent": "aws-cli/2.17.50 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6",
            "requestParameters": null,
            "responseElements": null,
            "requestID": format!("{id:08x}-3f0e-4a7b-9c1d-5e2f8a6b4c01"),
            "eventID": format!("{id:08x}-77aa-4e21-b0c3-1d9e8f7a6b52"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        })
    }

    fn write_call(&mut self, record: &Value) -> std::io::Result<()> {
        self.trail.event(&serde_json::to_string(record)?)
    }

    /// Writes a Session Manager StartSession of `user` on `instance`, denied when `denied`.
    fn start_session(
        &mut self,
        at_seconds: i64,
        user: &str,
        instance: &str,
        denied: bool,
    ) -> std::io::Result<()> {
        let mut record = self.call(at_seconds, user, "192.0.2.140", "ssm", "StartSession");
        record["requestParameters"] = json!({"target": instance});
        if denied {
            record["errorCode"] = json!("AccessDenied");
            record["errorMessage"] = json!(format!(
                "User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: \
                 ssm:StartSession on resource: arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{instance}"
            ));
        } else {
            let session = format!("{user}-{:017x}", self.trail.events + 1);
            record["responseElements"] = json!({
                "sessionId": session,
                "tokenValue": "Value hidden due to security reasons.",
                "streamUrl": format!("wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/{session}?role=publish_subscribe"),
            });
        }
        self.write_call(&record)
    }

    fn write_flow(&mut self, flow: &Flow) -> std::io::Result<()> {
        let packets = 4 + flow.source_port % 60;
        let interface = flow.instance.replacen("i-", "eni-", 1);
        let line = format!(
            "5 {ACCOUNT} {interface} {} {} {} {} {} {} {packets} {} {} {} {} OK {} {}",
            flow.instance,
            flow.source,
            flow.destination,
            flow.source_port,
            flow.destination_port,
            flow.protocol,
            packets * 420,
            START + flow.end_seconds - 60,
            START + flow.end_seconds,
            flow.action,
            flow.direction,
            if flow.action == "ACCEPT" { 19 } else { 2 },
        );
        self.flows.event(&line)
    }
}

/// Instance `k` of the noise, its private address, and whether it is a CI runner. Runners
/// reach git over SSH but are never given a Session Manager session, and the other
/// instances are given sessions but never open SSH or RDP, so no noise completes AN0753.
fn noise_instance(k: u64) -> (String, String, bool) {
    (
        format!("i-0c{k:015x}"),
        format!("10.20.{}.{}", k / 250, k % 250 + 1),
        k % 4 == 3,
    )
}

/// Writes one CloudTrail record or flow of routine cloud activity and returns 1.
fn cloud_noise(
    rng: &mut Rng,
    cloud: &mut Cloud,
    instances: u64,
    at_seconds: i64,
) -> std::io::Result<u64> {
    let (instance, address, runner) = noise_instance(rng.below(instances));
    let user = USERS[rng.index(USERS.len())];
    let port = 32_768 + rng.below(28_000);
    let flow = |destination: &'static str, destination_port, protocol, action, direction| Flow {
        instance: "",
        source: "",
        destination,
        source_port: port,
        destination_port,
        protocol,
        end_seconds: at_seconds,
        action,
        direction,
    };
    match rng.below(10) {
        0 => {
            let mut record = cloud.call(
                at_seconds,
                "ci-runner",
                &address,
                "ec2",
                "DescribeInstances",
            );
            record["readOnly"] = json!(true);
            record["requestParameters"] = json!({"instancesSet": {}, "filterSet": {}});
            cloud.write_call(&record)?;
        }
        1 => {
            let mut record =
                cloud.call(at_seconds, user, "198.51.100.77", "signin", "ConsoleLogin");
            record["eventType"] = json!("AwsConsoleSignIn");
            record["userAgent"] = json!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/129.0.0.0 Safari/537.36"
            );
            record["responseElements"] = json!({"ConsoleLogin": "Success"});
            record["additionalEventData"] = json!({"MFAUsed": "Yes", "MobileVersion": "No"});
            cloud.write_call(&record)?;
        }
        // Sessions on the app servers; the runners' requests are denied.
        2 => cloud.start_session(at_seconds, user, &instance, runner)?,
        3 => {
            let mut record = cloud.call(
                at_seconds,
                user,
                "192.0.2.140",
                "ec2",
                "DescribeSecurityGroups",
            );
            record["readOnly"] = json!(true);
            cloud.write_call(&record)?;
        }
        4 => {
            let mut record =
                cloud.call(at_seconds, user, "192.0.2.140", "sts", "GetCallerIdentity");
            record["readOnly"] = json!(true);
            cloud.write_call(&record)?;
        }
        5 | 6 => cloud.write_flow(&Flow {
            instance: &instance,
            source: &address,
            ..flow("198.51.100.80", 443, 6, "ACCEPT", "egress")
        })?,
        // Inbound SSH from the VPN, which is not a session leaving the instance.
        7 => cloud.write_flow(&Flow {
            instance: &instance,
            source: "10.8.0.12",
            destination: &address,
            source_port: port,
            ..flow("", 22, 6, "ACCEPT", "ingress")
        })?,
        // Git over SSH from the runners, and rejected SSH attempts from the app servers.
        8 => {
            let (destination, action) = if runner {
                ("192.0.2.10", "ACCEPT")
            } else {
                ("10.60.0.5", "REJECT")
            };
            cloud.write_flow(&Flow {
                instance: &instance,
                source: &address,
                ..flow(destination, 22, 6, action, "egress")
            })?;
        }
        _ => cloud.write_flow(&Flow {
            instance: &instance,
            source: &address,
            ..flow("10.20.0.2", 53, 17, "ACCEPT", "egress")
        })?,
    }
    Ok(1)
}

/// Plants one AN0753 chain: a Session Manager session on an instance of its own, a rejected
/// SSH attempt from it and then an accepted one. The look-alike, on a second instance, opens
/// RDP 59 minutes after its session, past the 30-minute window.
fn plant_session_story(story: u64, at_seconds: i64, cloud: &mut Cloud) -> std::io::Result<()> {
    let instance = format!("i-0a{story:015x}");
    let address = format!("10.30.{}.{}", story / 250, story % 250 + 1);
    cloud.start_session(at_seconds, "akhan", &instance, false)?;
    for (action, end) in [("REJECT", 60), ("ACCEPT", 120)] {
        cloud.write_flow(&Flow {
            instance: &instance,
            source: &address,
            destination: "10.50.3.21",
            source_port: 40_122,
            destination_port: 22,
            protocol: 6,
            end_seconds: at_seconds + end,
            action,
            direction: "egress",
        })?;
    }
    let late = format!("i-0b{story:015x}");
    let late_address = format!("10.31.{}.{}", story / 250, story % 250 + 1);
    cloud.start_session(at_seconds, "bmora", &late, false)?;
    cloud.write_flow(&Flow {
        instance: &late,
        source: &late_address,
        destination: "10.50.3.40",
        source_port: 38_818,
        destination_port: 3389,
        protocol: 6,
        end_seconds: at_seconds + 59 * 60,
        action: "ACCEPT",
        direction: "egress",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use glexia::ingest::{FileStatus, Format};

    #[test]
    fn generated_logs_load_and_give_planted_chains() {
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan::for_events(40_000);
        let written = generate(dir.path(), plan, 42).unwrap();
        assert_eq!(written.events, plan.events);

        let setup = glexia::engine::Setup::load(None, &[]).unwrap();
        let result = glexia::engine::scan(&setup, &[dir.path().to_path_buf()]);
        for file in &result.report.files {
            let name = file.path.display();
            assert_eq!(file.status, FileStatus::Loaded, "{name} did not load");
            assert_eq!(file.records_skipped, 0, "{name}: {:?}", file.errors);
            assert!(file.errors.is_empty(), "{name}: {:?}", file.errors);
        }
        let formats: Vec<Format> = result.report.files.iter().map(|f| f.format).collect();
        for format in [
            Format::EvtxJson,
            Format::WindowsJson,
            Format::Auditd,
            Format::CloudTrail,
            Format::AwsVpcFlow,
        ] {
            assert!(formats.contains(&format), "no file detected as {format}");
        }
        assert_eq!(result.report.totals.events_loaded, plan.events);
        assert!(result.errors.is_empty(), "{:?}", result.errors);

        let found: Vec<(String, u64)> = result
            .findings
            .iter()
            .map(|f| (f.analytic.clone(), f.chains.len() as u64))
            .collect();
        let expected: Vec<(String, u64)> = plan
            .expected()
            .iter()
            .map(|(id, n)| ((*id).to_owned(), *n))
            .collect();
        assert_eq!(found, expected);
    }

    /// Widens the windows of AN0768 and AN0753 so that each story's look-alike, which only
    /// misses the window, becomes a chain too: this shows the look-alikes are in the data.
    #[test]
    fn lookalikes_match_with_wider_windows() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let analytics = tempfile::tempdir().unwrap();
        for (file, window, wider) in [
            (
                "analytics/linux/AN0768.toml",
                "default = \"2m\"",
                "default = \"10m\"",
            ),
            (
                "analytics/iaas/AN0753.toml",
                "default = \"30m\"",
                "default = \"2h\"",
            ),
        ] {
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            assert_eq!(text.matches(window).count(), 1, "{file} changed its window");
            let name = Path::new(file).file_name().unwrap();
            std::fs::write(analytics.path().join(name), text.replace(window, wider)).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan::for_events(20_000);
        generate(dir.path(), plan, 42).unwrap();

        let setup = glexia::engine::Setup::load(None, &[analytics.path().to_path_buf()]).unwrap();
        assert!(setup.problems.is_empty(), "{:?}", setup.problems);
        let result = glexia::engine::scan(&setup, &[dir.path().to_path_buf()]);
        let chains = |id: &str| {
            result
                .findings
                .iter()
                .find(|f| f.analytic == id)
                .map_or(0, |f| f.chains.len() as u64)
        };
        assert_eq!(chains("AN0768"), plan.stories * 2);
        assert_eq!(chains("AN0753"), plan.stories * 2);
    }

    #[test]
    fn generation_is_deterministic() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let plan = Plan::for_events(5_000);
        generate(first.path(), plan, 7).unwrap();
        generate(second.path(), plan, 7).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(first.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for name in names {
            let a = std::fs::read(first.path().join(&name)).unwrap();
            let b = std::fs::read(second.path().join(&name)).unwrap();
            assert!(a == b, "{name:?} differs between runs");
        }
    }
}
