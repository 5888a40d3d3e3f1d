//! Deterministic synthetic Windows logs with a known number of planted attack stories.
//!
//! The output is evtx_dump-style JSON lines, one file per host and channel, as a triage
//! collection would hold them. Background noise is drawn from a fixed pool of common processes,
//! logons and registry writes, shaped so that none of it completes a chain of the shipped
//! analytics; each planted story completes exactly one chain of one analytic. A scan of the
//! output must therefore find exactly [`Plan::expected`] chains per analytic, at any size.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Value, json};

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
}

/// The sizes to write and the chains a scan must then find.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Total number of events, noise and stories together.
    pub events: u64,
    /// Number of hosts the noise is spread over.
    pub hosts: u64,
    /// Stories planted per analytic.
    pub stories: u64,
}

impl Plan {
    /// Plans `events` events: one host per 20,000 events (at least 4) and one story per
    /// analytic per 50,000 events (at least 1).
    pub fn for_events(events: u64) -> Plan {
        Plan {
            events,
            hosts: (events / 20_000).max(4),
            stories: (events / 50_000).max(1),
        }
    }

    /// The chains a scan must find, per analytic id.
    pub fn expected(&self) -> [(&'static str, u64); 3] {
        [
            ("AN0750", self.stories),
            ("AN0764", self.stories),
            ("AN0767", self.stories),
        ]
    }
}

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

struct Writer {
    out: BufWriter<File>,
    record: u64,
    bytes: u64,
}

impl Writer {
    fn create(path: &Path) -> std::io::Result<Writer> {
        Ok(Writer {
            out: BufWriter::with_capacity(1 << 20, File::create(path)?),
            record: 0,
            bytes: 0,
        })
    }

    fn write(&mut self, mut event: Value) -> std::io::Result<()> {
        self.record += 1;
        event["Event"]["System"]["EventRecordID"] = json!(self.record);
        let line = serde_json::to_string(&event)?;
        self.bytes += line.len() as u64 + 1;
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }
}

fn time(seconds: i64, micros: u32) -> String {
    chrono::DateTime::from_timestamp(START + seconds, micros * 1000)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
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

/// Writes the logs of `plan` into `dir`, which must exist.
pub fn generate(dir: &Path, plan: Plan, seed: u64) -> std::io::Result<Written> {
    let mut rng = Rng::new(seed);
    let hosts: Vec<String> = (0..plan.hosts)
        .map(|i| format!("WS{i:04}.corp.example"))
        .collect();
    let mut sysmon_files = Vec::new();
    let mut security_files = Vec::new();
    for host in &hosts {
        sysmon_files.push(Writer::create(&dir.join(format!("{host}-Sysmon.jsonl")))?);
        security_files.push(Writer::create(&dir.join(format!("{host}-Security.jsonl")))?);
    }
    let story_events = plan.stories * 6;
    let noise = plan.events.saturating_sub(story_events);
    // Stories sit at evenly spaced points of the noise.
    let story_every = (noise / plan.stories.max(1)).max(1);
    let mut next_pid: u64 = 10_000;
    let mut story = 0;
    let mut n: u64 = 0;
    let mut written_noise: u64 = 0;
    while written_noise < noise {
        n += 1;
        let h = usize::try_from(rng.below(plan.hosts)).unwrap_or(0);
        let host = &hosts[h];
        let at_seconds = i64::try_from(n).unwrap_or(0) * 2;
        let at = time(at_seconds, u32::try_from(rng.below(1_000_000)).unwrap_or(0));
        let user = USERS[usize::try_from(rng.below(USERS.len() as u64)).unwrap_or(0)];
        next_pid += 4;
        match rng.below(20) {
            // Benign network logons by people, followed only by common processes.
            0 => security_files[h].write(security(
                4624,
                host,
                &at,
                logon(
                    user,
                    &format!("10.1.{}.{}", rng.below(200), rng.below(250) + 1),
                    "3",
                ),
            ))?,
            // Machine-account logons, which AN0750 leaves out.
            1 => security_files[h].write(security(
                4624,
                host,
                &at,
                logon(&format!("WS{h:04}$"), "10.0.0.5", "3"),
            ))?,
            // Run-key writes by installers that explorer.exe started, which AN0764 expects.
            2 => {
                written_noise += 1;
                sysmon_files[h].write(sysmon(
                    1,
                    host,
                    &at,
                    process(
                        next_pid,
                        r"C:\Users\Public\setup.exe",
                        "setup.exe /quiet",
                        r"C:\Windows\explorer.exe",
                        user,
                    ),
                ))?;
                sysmon_files[h].write(sysmon(
                    13,
                    host,
                    &at,
                    json!({
                        "EventType": "SetValue",
                        "ProcessGuid": format!("{{5F3A0000-0000-0000-0000-{next_pid:012X}}}"),
                        "ProcessId": next_pid,
                        "Image": r"C:\Users\Public\setup.exe",
                        "TargetObject": r"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Run\Updater",
                        "Details": r"C:\Users\Public\updater.exe",
                    }),
                ))?;
            }
            // certutil without a decoding command line.
            3 => sysmon_files[h].write(sysmon(
                1,
                host,
                &at,
                process(
                    next_pid,
                    r"C:\Windows\System32\certutil.exe",
                    "certutil.exe -verify root.cer",
                    r"C:\Windows\System32\cmd.exe",
                    user,
                ),
            ))?,
            _ => {
                let (image, parent) =
                    COMMON[usize::try_from(rng.below(COMMON.len() as u64)).unwrap_or(0)];
                let name = image.rsplit('\\').next().unwrap_or(image);
                sysmon_files[h].write(sysmon(
                    1,
                    host,
                    &at,
                    process(next_pid, image, name, parent, user),
                ))?;
            }
        }
        written_noise += 1;
        if story < plan.stories && written_noise >= (story + 1) * story_every {
            plant_story(
                story,
                at_seconds + 1,
                &hosts,
                &mut sysmon_files,
                &mut security_files,
                &mut next_pid,
            )?;
            story += 1;
        }
    }
    while story < plan.stories {
        let at_seconds =
            i64::try_from(n).unwrap_or(0) * 2 + i64::try_from(story).unwrap_or(0) * 3600;
        plant_story(
            story,
            at_seconds,
            &hosts,
            &mut sysmon_files,
            &mut security_files,
            &mut next_pid,
        )?;
        story += 1;
    }
    let mut written = Written::default();
    for mut writer in sysmon_files.into_iter().chain(security_files) {
        writer.out.flush()?;
        written.events += writer.record;
        written.bytes += writer.bytes;
    }
    Ok(written)
}

/// Plants one chain of each analytic, each on its own host, each with a process name seen
/// nowhere else so that AN0750's rarity condition is met at any size.
fn plant_story(
    story: u64,
    at_seconds: i64,
    hosts: &[String],
    sysmon_files: &mut [Writer],
    security_files: &mut [Writer],
    next_pid: &mut u64,
) -> std::io::Result<()> {
    let count = hosts.len() as u64;
    let pick = |offset: u64| usize::try_from((story * 3 + offset) % count).unwrap_or(0);

    let h = pick(0);
    security_files[h].write(security(
        4624,
        &hosts[h],
        &time(at_seconds, 0),
        logon("svc_deploy", "10.66.6.6", "3"),
    ))?;
    *next_pid += 4;
    sysmon_files[h].write(sysmon(
        1,
        &hosts[h],
        &time(at_seconds + 2, 0),
        process(
            *next_pid,
            &format!(r"C:\Windows\Temp\impl{story}.exe"),
            &format!("impl{story}.exe -s"),
            r"C:\Windows\System32\services.exe",
            "SYSTEM",
        ),
    ))?;

    let h = pick(1);
    *next_pid += 4;
    let pid = *next_pid;
    sysmon_files[h].write(sysmon(
        1,
        &hosts[h],
        &time(at_seconds, 100_000),
        process(pid, r"C:\Windows\System32\reg.exe", r"reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v x /d C:\Users\Public\x.exe /f", r"C:\Windows\System32\cmd.exe", "akhan"),
    ))?;
    sysmon_files[h].write(sysmon(
        13,
        &hosts[h],
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

    let h = pick(2);
    *next_pid += 4;
    let pid = *next_pid;
    sysmon_files[h].write(sysmon(
        1,
        &hosts[h],
        &time(at_seconds, 500_000),
        process(
            pid,
            r"C:\Windows\System32\certutil.exe",
            r"certutil.exe -decode C:\Users\Public\a.b64 C:\Users\Public\a.exe",
            r"C:\Windows\System32\cmd.exe",
            "bmora",
        ),
    ))?;
    sysmon_files[h].write(sysmon(
        11,
        &hosts[h],
        &time(at_seconds + 1, 0),
        json!({
            "ProcessGuid": format!("{{5F3A0000-0000-0000-0000-{pid:012X}}}"),
            "ProcessId": pid,
            "Image": r"C:\Windows\System32\certutil.exe",
            "TargetFilename": r"C:\Users\Public\a.exe",
        }),
    ))?;
    Ok(())
}
