//! ECS fields from the messages of sshd, sudo, su, cron, useradd and groupadd, after the
//! fields Elastic's system module (`auth` dataset) extracts from the same lines.

use std::net::IpAddr;

use super::string_list;
use crate::store::EventBuilder;

/// Adds the fields of a recognized message and returns whether the line is an
/// authentication-log line (the program is one of those this module maps).
pub(super) fn map_message(
    builder: &mut EventBuilder,
    program: Option<&str>,
    message: &str,
) -> bool {
    let Some(program) = program else {
        return false;
    };
    // OpenSSH 9.8 logs from a per-session `sshd-session` process.
    match program {
        "sshd" | "sshd-session" => map_sshd(builder, message),
        "sudo" => map_sudo(builder, message),
        "su" => map_su(builder, message),
        "CRON" | "cron" | "crond" => map_cron(builder, message),
        "useradd" => map_useradd(builder, message),
        "groupadd" => map_groupadd(builder, message),
        _ => return false,
    }
    true
}

/// Sets `source.address`, and `source.ip` when the text is an IP address (leading-zero
/// octets such as `192.030.0.6` are not), else `source.domain`.
fn add_source(builder: &mut EventBuilder, address: &str) {
    builder.field("source.address", address);
    match address.parse::<IpAddr>() {
        Ok(ip) => {
            builder.field("source.ip", ip.to_string());
        }
        Err(_) if address.chars().any(|c| c.is_ascii_alphabetic()) && !address.contains(':') => {
            builder.field("source.domain", address);
        }
        Err(_) => {}
    }
}

/// Reads `from <address>[ port <n>]` at the end of an sshd message.
fn add_from(builder: &mut EventBuilder, text: &str) {
    let Some((_, after)) = text.rsplit_once(" from ") else {
        return;
    };
    let mut words = after.split_whitespace();
    if let Some(address) = words.next() {
        add_source(builder, address);
    }
    if words.next() == Some("port")
        && let Some(port) = words.next().and_then(|p| p.parse::<i64>().ok())
    {
        builder.field("source.port", port);
    }
}

fn authentication(builder: &mut EventBuilder, success: bool, action: &str) {
    builder.field(
        "event.category",
        string_list(&["authentication", "session"]),
    );
    builder.field("event.type", string_list(&["info"]));
    builder.field("event.action", action);
    builder.field("event.outcome", if success { "success" } else { "failure" });
}

fn map_sshd(builder: &mut EventBuilder, message: &str) {
    if let Some(rest) = message
        .strip_prefix("Accepted ")
        .or_else(|| message.strip_prefix("Failed "))
    {
        let success = message.starts_with("Accepted");
        let Some((method, after_method)) = rest.split_once(" for ") else {
            return;
        };
        let (user, _) = after_method
            .split_once(" from ")
            .unwrap_or((after_method, ""));
        let user = user.strip_prefix("invalid user ").unwrap_or(user);
        authentication(builder, success, "ssh_login");
        builder.field(
            "system.auth.ssh.event",
            if success { "Accepted" } else { "Failed" },
        );
        builder.field("system.auth.ssh.method", method);
        builder.field("user.name", user);
        add_from(builder, after_method);
        if let Some((_, signature)) = after_method.split_once(": ") {
            builder.field("system.auth.ssh.signature", signature);
        }
    } else if let Some(rest) = message.strip_prefix("Invalid user ") {
        let (user, _) = rest.split_once(" from ").unwrap_or((rest, ""));
        authentication(builder, false, "ssh_login");
        builder.field("system.auth.ssh.event", "Invalid");
        builder.field("user.name", user);
        add_from(builder, rest);
    } else if let Some(rest) = message.strip_prefix("error: PAM: Authentication failure for ") {
        let (user, _) = rest.split_once(" from ").unwrap_or((rest, ""));
        let user = user.strip_prefix("illegal user ").unwrap_or(user);
        authentication(builder, false, "ssh_login");
        builder.field("system.auth.ssh.event", "Failed");
        builder.field("user.name", user);
        add_from(builder, rest);
    } else if message.starts_with("Did not receive identification string from ") {
        builder.field("event.category", string_list(&["network"]));
        builder.field("event.type", string_list(&["connection", "denied"]));
        builder.field("event.action", "ssh_dropped_connection");
        add_from(builder, message);
    }
}

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls`, with an optional
/// error such as `user NOT in sudoers ;` before `TTY=`.
fn map_sudo(builder: &mut EventBuilder, message: &str) {
    let Some((user, rest)) = message.split_once(" : ") else {
        return;
    };
    builder.field("user.name", user.trim());
    builder.field("event.category", string_list(&["process"]));
    builder.field("event.type", string_list(&["start"]));
    builder.field("event.action", "sudo");
    let mut failed = false;
    for part in rest.split(" ; ") {
        let part = part.trim();
        match part.split_once('=') {
            Some(("TTY", value)) => {
                builder.field("system.auth.sudo.tty", value);
            }
            Some(("PWD", value)) => {
                builder.field("system.auth.sudo.pwd", value);
                builder.field("process.working_directory", value);
            }
            Some(("USER", value)) => {
                builder.field("system.auth.sudo.user", value);
                builder.field("user.effective.name", value);
            }
            Some(("COMMAND", value)) => {
                builder.field("system.auth.sudo.command", value);
                builder.field("process.command_line", value);
                let executable = value.split_whitespace().next().unwrap_or(value);
                builder.field("process.executable", executable);
            }
            Some(_) => {}
            None if !part.is_empty() => {
                failed = true;
                builder.field("system.auth.sudo.error", part);
            }
            None => {}
        }
    }
    builder.field("event.outcome", if failed { "failure" } else { "success" });
}

/// `Successful su for root by alice`, `FAILED su for root by alice` and
/// `pam_unix(su:session): session opened for user root by alice(uid=1000)`.
fn map_su(builder: &mut EventBuilder, message: &str) {
    let (outcome, rest) = if let Some(rest) = message.strip_prefix("Successful su for ") {
        ("success", rest)
    } else if let Some(rest) = message.strip_prefix("FAILED su for ") {
        ("failure", rest)
    } else if let Some((_, rest)) = message.split_once("session opened for user ") {
        ("success", rest)
    } else {
        return;
    };
    let Some((target, by)) = rest.split_once(" by ") else {
        return;
    };
    let user = by.split(['(', ' ']).next().unwrap_or(by);
    authentication(builder, outcome == "success", "su");
    builder.field("user.effective.name", target.trim());
    if !user.is_empty() {
        builder.field("user.name", user);
    }
}

/// `(root) CMD (command)`.
fn map_cron(builder: &mut EventBuilder, message: &str) {
    let Some(rest) = message.strip_prefix('(') else {
        return;
    };
    let Some((user, rest)) = rest.split_once(") CMD (") else {
        return;
    };
    let command = rest.strip_suffix(')').unwrap_or(rest);
    builder.field("user.name", user);
    builder.field("process.command_line", command);
    builder.field("event.category", string_list(&["process"]));
    builder.field("event.type", string_list(&["start"]));
    builder.field("event.action", "cron_command");
}

/// Splits `name=apache, UID=48, GID=48, home=/x` into its pairs.
fn comma_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split(", ")
        .filter_map(|pair| pair.trim().split_once('='))
}

/// `new user: name=apache, UID=48, GID=48, home=/usr/share/httpd, shell=/sbin/nologin`.
fn map_useradd(builder: &mut EventBuilder, message: &str) {
    let Some(rest) = message.strip_prefix("new user: ") else {
        return;
    };
    builder.field("event.category", string_list(&["iam"]));
    builder.field("event.type", string_list(&["user", "creation"]));
    builder.field("event.action", "useradd");
    builder.field("event.outcome", "success");
    for (key, value) in comma_pairs(rest) {
        match key {
            "name" => builder.field("user.name", value),
            "UID" => builder.field("user.id", value),
            "GID" => builder.field("group.id", value),
            "home" => builder.field("system.auth.useradd.home", value),
            "shell" => builder.field("system.auth.useradd.shell", value),
            _ => builder,
        };
    }
}

/// `new group: name=apache, GID=48`.
fn map_groupadd(builder: &mut EventBuilder, message: &str) {
    let Some(rest) = message.strip_prefix("new group: ") else {
        return;
    };
    builder.field("event.category", string_list(&["iam"]));
    builder.field("event.type", string_list(&["group", "creation"]));
    builder.field("event.action", "groupadd");
    builder.field("event.outcome", "success");
    for (key, value) in comma_pairs(rest) {
        match key {
            "name" => builder.field("group.name", value),
            "GID" => builder.field("group.id", value),
            _ => builder,
        };
    }
}
