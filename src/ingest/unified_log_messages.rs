//! ECS fields from the messages of a few macOS subsystems whose unified-log entries name a
//! user, a remote address, a network peer or a launchd job.
//!
//! Each reader takes the message as `log show` prints it with private data visible. A message
//! whose values are redacted (`<private>`, `Hostname#3fba6d68`) keeps what is left, such as the
//! redaction token as `destination.address`.
//!
//! NOTE: the message shapes come from published log excerpts, not from captures made for this
//! project; the readers match on the stable parts and read keyed values by name.

use std::net::IpAddr;

use crate::ingest::syslog::string_list;
use crate::store::EventBuilder;

/// A launchd entry saying that it started a job's program:
/// `[gui/501/com.example.agent [4233]:] Successfully spawned agent[4233] because ipc (mach)`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct LaunchdSpawn<'a> {
    /// The launchd domain: `system`, `gui/501`, `user/501`…
    pub domain: &'a str,
    /// The job's label, as the `Label` key of its property list names it.
    pub label: &'a str,
    /// The started program's process name.
    pub name: &'a str,
    /// The started program's process id.
    pub pid: i64,
    /// The cause launchd gives for starting it, such as `ipc (mach)`.
    pub reason: &'a str,
}

/// Reads a launchd spawn entry of subsystem `com.apple.xpc.launchd`.
pub(super) fn launchd_spawn<'a>(
    subsystem: Option<&str>,
    message: &'a str,
) -> Option<LaunchdSpawn<'a>> {
    if subsystem != Some("com.apple.xpc.launchd") {
        return None;
    }
    let (service, rest) = message.strip_prefix('[')?.split_once(":] ")?;
    let service = service
        .rsplit_once(" [")
        .map_or(service, |(service, _)| service);
    let (domain, label) = service.rsplit_once('/')?;
    let (program, reason) = rest
        .strip_prefix("Successfully spawned ")?
        .split_once(" because ")?;
    let (name, pid) = program.strip_suffix(']')?.rsplit_once('[')?;
    Some(LaunchdSpawn {
        domain,
        label,
        name,
        pid: pid.parse().ok()?,
        reason,
    })
}

/// Adds the fields of a recognized message. `process_name` is the logging process.
pub(super) fn map_message(
    builder: &mut EventBuilder,
    subsystem: Option<&str>,
    category: Option<&str>,
    process_name: Option<&str>,
    message: &str,
) {
    if let Some(spawn) = launchd_spawn(subsystem, message) {
        map_launchd_spawn(builder, &spawn);
    } else if process_name == Some("screensharingd") {
        map_screensharing(builder, message);
    } else if subsystem == Some("com.apple.network") && category == Some("connection") {
        map_connection_summary(builder, message);
    } else if subsystem == Some("com.apple.backgroundtaskmanagement") {
        map_launch_item(builder, message);
    }
}

/// Maps a spawn entry: the started program becomes `process.*`, and the caller has already put
/// launchd under `process.parent.*`.
fn map_launchd_spawn(builder: &mut EventBuilder, spawn: &LaunchdSpawn<'_>) {
    builder.field("event.category", string_list(&["process"]));
    builder.field("event.type", string_list(&["start"]));
    builder.field("event.action", "launchd_spawn");
    builder.field("process.name", spawn.name);
    builder.field("process.pid", spawn.pid);
    builder.field("service.name", spawn.label);
    builder.field("launchd.domain", spawn.domain);
    builder.field("launchd.reason", spawn.reason);
    // A job in a user's domain runs as that user, not as launchd's root.
    if let Some(uid) = spawn
        .domain
        .strip_prefix("gui/")
        .or_else(|| spawn.domain.strip_prefix("user/"))
    {
        builder.field("user.id", uid);
    }
}

/// `Authentication: SUCCEEDED :: User Name: alice :: Viewer Address: 198.51.100.23 :: Type: DH`,
/// which screensharingd logs for Screen Sharing and Apple Remote Desktop logins.
fn map_screensharing(builder: &mut EventBuilder, message: &str) {
    let mut parts = message.split(" :: ");
    let Some(outcome) = parts
        .next()
        .and_then(|first| first.strip_prefix("Authentication: "))
    else {
        return;
    };
    let success = outcome.trim() == "SUCCEEDED";
    builder.field(
        "event.category",
        string_list(&["authentication", "session"]),
    );
    builder.field("event.type", string_list(&["info"]));
    builder.field("event.action", "screensharing_login");
    builder.field("event.outcome", if success { "success" } else { "failure" });
    for part in parts {
        match part.split_once(": ") {
            Some(("User Name", user)) if user != "N/A" => {
                builder.field("user.name", user.trim());
            }
            Some(("Viewer Address", address)) => add_address(builder, "source", address.trim()),
            _ => {}
        }
    }
}

/// Sets `<side>.address`, and `<side>.ip` or `<side>.domain` when the text is one. A redacted
/// value such as `Hostname#3fba6d68` stays only as the address.
fn add_address(builder: &mut EventBuilder, side: &str, address: &str) {
    if address.is_empty() || address == "<private>" {
        return;
    }
    builder.field(format!("{side}.address"), address);
    if let Ok(ip) = address.parse::<IpAddr>() {
        builder.field(format!("{side}.ip"), ip.to_string());
    } else if !address.contains('#') && address.contains('.') {
        builder.field(format!("{side}.domain"), address);
    }
}

/// Splits `host:port`, `[v6]:port` or a bare host.
fn split_endpoint(endpoint: &str) -> (&str, Option<i64>) {
    if let Some(rest) = endpoint.strip_prefix('[')
        && let Some((host, port)) = rest.split_once("]:")
    {
        return (host, port.parse().ok());
    }
    match endpoint.rsplit_once(':') {
        // More than one colon without brackets is a bare IPv6 address.
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (endpoint, None),
    }
}

/// Maps the summary that Network.framework logs when a connection ends:
///
/// ```text
/// [C137 5CADEB1D-… www.example.com:443 tcp, url hash: 15f2f095, tls, definite, …] cancelled
///     [C137.1.1 C84B1419-… 172.20.1.254:64673<->93.184.216.34:443]
///     Connected Path: satisfied (Path is satisfied), viable, interface: en0[802.11], …
///     Duration: 60.046s, DNS @0.000s took 0.045s, TCP @0.047s took 0.048s, TLS 1.3 took 0.151s
///     bytes in/out: 515210/1012, packets in/out: 111/62, rtt: 0.135s, …
/// ```
fn map_connection_summary(builder: &mut EventBuilder, message: &str) {
    let mut lines = message.lines().map(str::trim);
    let Some((connection, _)) = lines
        .next()
        .and_then(|line| line.strip_prefix('['))
        .and_then(|line| line.split_once("] cancelled"))
    else {
        return;
    };
    // `C137`, the connection's UUID, the endpoint, then comma-separated descriptors.
    let mut words = connection.splitn(4, ' ');
    let (Some(id), Some(_uuid), Some(endpoint)) = (words.next(), words.next(), words.next()) else {
        return;
    };
    let descriptors: Vec<&str> = words
        .next()
        .map(|rest| rest.split(", ").map(str::trim).collect())
        .unwrap_or_default();

    builder.field("event.category", string_list(&["network"]));
    builder.field("event.type", string_list(&["connection", "end"]));
    builder.field("network.direction", "egress");
    builder.field("unified_log.network.connection", id);

    let (host, port) = split_endpoint(endpoint);
    add_address(builder, "destination", host);
    if let Some(port) = port {
        builder.field("destination.port", port);
    }
    if descriptors
        .iter()
        .any(|d| d.starts_with("quic") || *d == "udp")
    {
        builder.field("network.transport", "udp");
    } else if descriptors.contains(&"tcp") {
        builder.field("network.transport", "tcp");
    }

    for line in lines {
        if let Some((_, flow)) = line.strip_prefix('[').and_then(|l| l.split_once(' ')) {
            map_flow(builder, flow.trim_end_matches(']'));
        } else if let Some(timings) = line.strip_prefix("Duration: ") {
            map_timings(builder, timings);
        } else if let Some(counts) = line.strip_prefix("bytes in/out: ") {
            map_byte_counts(builder, counts);
        }
    }
}

/// `C84B1419-… 172.20.1.254:64673<->93.184.216.34:443`: the local and remote ends.
fn map_flow(builder: &mut EventBuilder, flow: &str) {
    let Some((_, ends)) = flow.split_once(' ') else {
        return;
    };
    let Some((local, remote)) = ends.split_once("<->") else {
        return;
    };
    let (local_host, local_port) = split_endpoint(local);
    if let Ok(ip) = local_host.parse::<IpAddr>() {
        builder.field("source.ip", ip.to_string());
        builder.field("source.address", local_host);
    }
    if let Some(port) = local_port {
        builder.field("source.port", port);
    }
    let (remote_host, _) = split_endpoint(remote);
    if let Ok(ip) = remote_host.parse::<IpAddr>() {
        builder.field("destination.ip", ip.to_string());
    }
}

/// `60.046s, DNS @0.000s took 0.045s, TCP @0.047s took 0.048s, TLS 1.3 took 0.151s`.
fn map_timings(builder: &mut EventBuilder, timings: &str) {
    let mut parts = timings.split(", ");
    if let Some(seconds) = parts
        .next()
        .and_then(|d| d.strip_suffix('s'))
        .and_then(|d| d.parse::<f64>().ok())
    {
        builder.field("event.duration", (seconds * 1e9).round() as i64);
    }
    for part in parts {
        if let Some(version) = part
            .strip_prefix("TLS ")
            .and_then(|rest| rest.split_once(" took"))
            .map(|(version, _)| version)
        {
            builder.field("tls.version_protocol", "tls");
            builder.field("tls.version", version);
            builder.field("tls.established", true);
        }
    }
}

/// `515210/1012, packets in/out: 111/62, …`: received and sent bytes of the local end, which
/// opened the connection and so is the ECS source.
fn map_byte_counts(builder: &mut EventBuilder, counts: &str) {
    let first = counts.split(',').next().unwrap_or(counts);
    let Some((received, sent)) = first.split_once('/') else {
        return;
    };
    let (Ok(received), Ok(sent)) = (received.trim().parse::<i64>(), sent.trim().parse::<i64>())
    else {
        return;
    };
    builder.field("destination.bytes", received);
    builder.field("source.bytes", sent);
    builder.field("network.bytes", received.saturating_add(sent));
}

/// `registerLaunchItem: result=no error, new item disposition=[enabled, allowed, visible,
/// notified], identifier=com.example.agent, type=legacy agent,
/// url=file:///Users/alice/Library/LaunchAgents/com.example.agent.plist, …`, which the
/// background task manager logs when it records a new or changed launchd property list.
fn map_launch_item(builder: &mut EventBuilder, message: &str) {
    let Some(rest) = message.strip_prefix("registerLaunchItem: ") else {
        return;
    };
    builder.field("event.category", string_list(&["configuration", "file"]));
    builder.field("event.type", string_list(&["change"]));
    builder.field("event.action", "launch_item_registered");
    for (key, value) in top_level_pairs(rest) {
        match key {
            "result" => {
                let success = value == "no error";
                builder.field("event.outcome", if success { "success" } else { "failure" });
            }
            "identifier" => {
                builder.field("service.name", value);
            }
            "type" => {
                builder.field("launchd.item_type", value);
            }
            "url" => {
                let path = value.strip_prefix("file://").unwrap_or(value);
                let name = path.rsplit('/').next().unwrap_or(path);
                builder.field("file.path", path);
                builder.field("file.name", name);
                if let Some((_, extension)) = name.rsplit_once('.') {
                    builder.field("file.extension", extension);
                }
            }
            _ => {}
        }
    }
}

/// Splits `a=1, b=[x, y], c=2` into its `key=value` pairs, keeping commas inside brackets.
fn top_level_pairs(text: &str) -> Vec<(&str, &str)> {
    let mut pairs = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &byte) in bytes.iter().enumerate() {
        match byte {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                pairs.extend(
                    text.get(start..i)
                        .and_then(|pair| pair.trim().split_once('=')),
                );
                start = i + 1;
            }
            _ => {}
        }
    }
    pairs.extend(
        text.get(start..)
            .and_then(|pair| pair.trim().split_once('=')),
    );
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventStore, Origin, Platform, ValueRef};

    fn fields(subsystem: &str, category: &str, process: &str, message: &str) -> EventStore {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let mut builder = EventBuilder::new(0, "macos:unifiedlog", Platform::MacOs, origin);
        map_message(
            &mut builder,
            Some(subsystem),
            Some(category),
            Some(process),
            message,
        );
        let mut store = EventStore::new();
        store.push(builder);
        store
    }

    fn text<'a>(store: &'a EventStore, name: &str) -> Option<&'a str> {
        match store.field(0, name) {
            Some(ValueRef::Str(s)) => Some(s),
            _ => None,
        }
    }

    fn int(store: &EventStore, name: &str) -> Option<i64> {
        match store.field(0, name) {
            Some(ValueRef::Int(n)) => Some(n),
            _ => None,
        }
    }

    #[test]
    fn launchd_spawn_names_job_and_program() {
        let message = "[gui/501/com.example.agent [4233]:] Successfully spawned Example \
                       Agent[4233] because ipc (mach)";

        let spawn = launchd_spawn(Some("com.apple.xpc.launchd"), message);

        assert_eq!(
            spawn,
            Some(LaunchdSpawn {
                domain: "gui/501",
                label: "com.example.agent",
                name: "Example Agent",
                pid: 4233,
                reason: "ipc (mach)",
            })
        );
        assert_eq!(launchd_spawn(Some("com.apple.xpc"), message), None);
        let store = fields("com.apple.xpc.launchd", "", "launchd", message);
        assert_eq!(text(&store, "service.name"), Some("com.example.agent"));
        assert_eq!(text(&store, "process.name"), Some("Example Agent"));
        assert_eq!(int(&store, "process.pid"), Some(4233));
        assert_eq!(text(&store, "user.id"), Some("501"));
        assert_eq!(text(&store, "event.action"), Some("launchd_spawn"));
    }

    #[test]
    fn launchd_state_messages_are_not_spawns() {
        for message in [
            "[gui/501/com.example.agent [4233]:] service state: running",
            "[system/com.example.daemon:] internal event: WILL_SPAWN, code = 0",
            "Successfully spawned x[1] because y",
        ] {
            assert_eq!(launchd_spawn(Some("com.apple.xpc.launchd"), message), None);
        }
    }

    #[test]
    fn screensharing_login_fields() {
        let store = fields(
            "",
            "",
            "screensharingd",
            "Authentication: SUCCEEDED :: User Name: alice :: Viewer Address: \
             198.51.100.23 :: Type: DH",
        );

        assert_eq!(text(&store, "event.action"), Some("screensharing_login"));
        assert_eq!(text(&store, "event.outcome"), Some("success"));
        assert_eq!(text(&store, "user.name"), Some("alice"));
        assert_eq!(text(&store, "source.ip"), Some("198.51.100.23"));

        let failed = fields(
            "",
            "",
            "screensharingd",
            "Authentication: FAILED :: User Name: N/A :: Viewer Address: 203.0.113.9 :: Type: VNC DES",
        );
        assert_eq!(text(&failed, "event.outcome"), Some("failure"));
        assert_eq!(text(&failed, "user.name"), None);
    }

    #[test]
    fn connection_summary_fields() {
        let message = "[C137 5CADEB1D-0A08-4B41-B92D-B89BF308083E www.example.com:443 tcp, \
                       url hash: 15f2f095, tls, definite, attribution: developer] cancelled\n\
                       \t[C137.1.1 C84B1419-27A0-421C-8140-8478E1AC40F3 \
                       172.20.1.254:64673<->93.184.216.34:443]\n\
                       \tConnected Path: satisfied (Path is satisfied), viable, interface: en0\n\
                       \tDuration: 60.046s, DNS @0.000s took 0.045s, TCP @0.047s took 0.048s, \
                       TLS 1.3 took 0.151s\n\
                       \tbytes in/out: 515210/1012, packets in/out: 111/62, rtt: 0.135s";

        let store = fields("com.apple.network", "connection", "curl", message);

        assert_eq!(text(&store, "destination.domain"), Some("www.example.com"));
        assert_eq!(text(&store, "destination.address"), Some("www.example.com"));
        assert_eq!(int(&store, "destination.port"), Some(443));
        assert_eq!(text(&store, "destination.ip"), Some("93.184.216.34"));
        assert_eq!(text(&store, "source.ip"), Some("172.20.1.254"));
        assert_eq!(int(&store, "source.port"), Some(64673));
        assert_eq!(text(&store, "tls.version"), Some("1.3"));
        assert_eq!(text(&store, "network.transport"), Some("tcp"));
        assert_eq!(int(&store, "destination.bytes"), Some(515_210));
        assert_eq!(int(&store, "source.bytes"), Some(1012));
        assert_eq!(int(&store, "event.duration"), Some(60_046_000_000));
        assert_eq!(text(&store, "unified_log.network.connection"), Some("C137"));
    }

    #[test]
    fn redacted_connection_keeps_token() {
        let message = "[C348 90B95967-CD66-4EDD-AD9E-5BA99B3B1C62 Hostname#ea5d1e75:443 \
                       quic-connection, traffic class: 100] cancelled\n\
                       \t[C348.1.1.1 A8214DA1-14D6-4867-BEAC-F70599E6E765 \
                       172.20.1.254:64626<->IPv4#3ec082bd:443]\n\
                       \tDuration: 2.893s, DNS @0.001s took 0.045s, TLS 1.3 took 0.348s";

        let store = fields("com.apple.network", "connection", "nsurlsessiond", message);

        assert_eq!(
            text(&store, "destination.address"),
            Some("Hostname#ea5d1e75")
        );
        assert_eq!(text(&store, "destination.domain"), None);
        assert_eq!(text(&store, "destination.ip"), None);
        assert_eq!(text(&store, "network.transport"), Some("udp"));
        assert_eq!(text(&store, "tls.version"), Some("1.3"));
    }

    #[test]
    fn connection_start_is_not_a_summary() {
        let store = fields(
            "com.apple.network",
            "connection",
            "curl",
            "[C12 www.example.com:443 tcp, tls] start",
        );

        assert_eq!(text(&store, "destination.address"), None);
        assert_eq!(store.field(0, "event.category"), None);
    }

    #[test]
    fn launch_item_fields() {
        let store = fields(
            "com.apple.backgroundtaskmanagement",
            "main",
            "backgroundtaskmanagementd",
            "registerLaunchItem: result=no error, new item disposition=[enabled, allowed, \
             visible, notified], identifier=com.example.agent, type=legacy agent, \
             url=file:///Users/alice/Library/LaunchAgents/com.example.agent.plist",
        );

        assert_eq!(text(&store, "service.name"), Some("com.example.agent"));
        assert_eq!(
            text(&store, "file.path"),
            Some("/Users/alice/Library/LaunchAgents/com.example.agent.plist")
        );
        assert_eq!(text(&store, "file.extension"), Some("plist"));
        assert_eq!(text(&store, "launchd.item_type"), Some("legacy agent"));
        assert_eq!(text(&store, "event.outcome"), Some("success"));
        assert_eq!(text(&store, "event.action"), Some("launch_item_registered"));
    }

    #[test]
    fn endpoints_split() {
        assert_eq!(split_endpoint("a.example:443"), ("a.example", Some(443)));
        assert_eq!(
            split_endpoint("[2001:db8::1]:443"),
            ("2001:db8::1", Some(443))
        );
        assert_eq!(split_endpoint("2001:db8::1"), ("2001:db8::1", None));
    }
}
