//! Docker's logs: `docker events --format '{{json .}}'` output, the daemon's own log (logrus
//! lines as JSON, with `"log-format": "json"`, or as `key=value` text) and the `json-file`
//! log driver's container output files (`<container id>-json.log`).
//!
//! Every event has platform `Containers` and the ATT&CK log source of its kind:
//! `docker:events`, `docker:daemon` or `docker:runtime`. See `docker_mapping.md`.
#![doc = include_str!("docker_mapping.md")]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};

use super::json_records::{self, add_flattened, parse_time};
use super::lines::split_lines;
use super::report::{FileReport, Location};
use super::sink::{EventSink, WithField};
use super::sniff::has_key;
use super::syslog::string_list;
use crate::store::{EventBuilder, FileId, Origin, Platform};

/// The ATT&CK log source of `docker events` records.
pub(crate) const EVENTS_LOG_SOURCE: &str = "docker:events";
/// The ATT&CK log source of the daemon's log.
pub(crate) const DAEMON_LOG_SOURCE: &str = "docker:daemon";
/// The ATT&CK log source of container output.
pub(crate) const RUNTIME_LOG_SOURCE: &str = "docker:runtime";

/// How many lines are parsed between two checks of the cancellation flag.
const CANCEL_CHECK_INTERVAL: u64 = 1024;

/// Object types and actions of `docker events`, and their `event.category` and `event.type`.
/// `*` stands for any action; the first row that matches wins.
const EVENT_KINDS: &[(&str, &str, &str, &str)] = &[
    ("container", "exec_create", "process", "start"),
    ("container", "exec_start", "process", "start"),
    ("container", "exec_die", "process", "end"),
    ("container", "start", "process", "start"),
    ("container", "restart", "process", "start"),
    ("container", "unpause", "process", "start"),
    ("container", "die", "process", "end"),
    ("container", "stop", "process", "end"),
    ("container", "kill", "process", "end"),
    ("container", "oom", "process", "end"),
    ("container", "pause", "process", "end"),
    ("container", "destroy", "process", "end"),
    ("container", "update", "process", "change"),
    ("container", "rename", "process", "change"),
    ("container", "*", "process", "info"),
    ("image", "pull", "package", "installation"),
    ("image", "load", "package", "installation"),
    ("image", "import", "package", "installation"),
    ("image", "delete", "package", "deletion"),
    ("image", "untag", "package", "deletion"),
    ("image", "*", "package", "info"),
    ("network", "connect", "network", "connection"),
    ("network", "disconnect", "network", "end"),
    ("network", "*", "network", "info"),
    ("volume", "create", "file", "creation"),
    ("volume", "destroy", "file", "deletion"),
    ("volume", "*", "file", "access"),
    ("*", "create", "configuration", "creation"),
    ("*", "remove", "configuration", "deletion"),
    ("*", "*", "configuration", "change"),
];

/// Engine API calls the daemon logs at debug level (`Calling POST /v1.43/containers/create`)
/// and the `event.action` each gets: method, path with `*` for one or more segments, action.
const API_ACTIONS: &[(&str, &str, &str)] = &[
    ("POST", "/containers/create", "container_create"),
    ("POST", "/containers/*/start", "container_start"),
    ("POST", "/containers/*/stop", "container_stop"),
    ("POST", "/containers/*/kill", "container_kill"),
    ("POST", "/containers/*/restart", "container_restart"),
    ("POST", "/containers/*/exec", "exec_create"),
    ("POST", "/exec/*/start", "exec_start"),
    ("POST", "/containers/*/attach", "container_attach"),
    ("DELETE", "/containers/*", "container_delete"),
    ("GET", "/containers/json", "container_list"),
    ("GET", "/containers/*/json", "container_inspect"),
    ("GET", "/containers/*/logs", "container_logs"),
    ("GET", "/containers/*/archive", "container_archive_read"),
    ("PUT", "/containers/*/archive", "container_archive_write"),
    ("GET", "/containers/*/export", "container_export"),
    ("POST", "/commit", "container_commit"),
    ("POST", "/build", "image_build"),
    ("POST", "/images/create", "image_pull"),
    ("POST", "/images/*/push", "image_push"),
    ("POST", "/images/*/tag", "image_tag"),
    ("POST", "/images/load", "image_load"),
    ("GET", "/images/json", "image_list"),
    ("GET", "/images/*/json", "image_inspect"),
    ("GET", "/images/*/get", "image_save"),
    ("GET", "/images/get", "image_save"),
    ("DELETE", "/images/*", "image_delete"),
    ("POST", "/volumes/create", "volume_create"),
    ("POST", "/networks/create", "network_create"),
    ("GET", "/info", "daemon_info"),
    ("GET", "/version", "daemon_info"),
];

/// Text only Docker's daemon writes, one of which a daemon log's start must contain, since
/// other programs write logrus lines too.
const DAEMON_MARKERS: &[&str] = &[
    "dockerd",
    "Docker daemon",
    "docker.sock",
    "/var/lib/docker",
    "API listen on",
    "Calling GET /v1.",
    "Calling POST /v1.",
    "Calling HEAD /_ping",
    "moby",
];

/// Returns whether `text` (the start of a file) is `docker events` JSON output.
pub(crate) fn looks_like_docker_events(text: &str) -> bool {
    let text = text.trim_start().as_bytes();
    text.first() == Some(&b'{')
        && has_key(text, "Type")
        && has_key(text, "Action")
        && has_key(text, "Actor")
        && (has_key(text, "timeNano") || has_key(text, "time"))
}

/// Returns whether `text` is a `json-file` log driver file.
pub(crate) fn looks_like_docker_json_log(text: &str) -> bool {
    let text = text.trim_start().as_bytes();
    text.starts_with(b"{")
        && has_key(text, "log")
        && has_key(text, "stream")
        && has_key(text, "time")
}

/// Returns whether `text` is the daemon's log, as JSON or `key=value` lines.
pub(crate) fn looks_like_docker_daemon(text: &str) -> bool {
    let first = text.trim_start();
    let bytes = first.as_bytes();
    let json = bytes.first() == Some(&b'{')
        && has_key(bytes, "level")
        && has_key(bytes, "msg")
        && has_key(bytes, "time");
    let logfmt =
        first.starts_with("time=\"") && first.contains(" level=") && first.contains(" msg=");
    (json || logfmt) && DAEMON_MARKERS.iter().any(|marker| text.contains(marker))
}

/// Parses a `docker events` file.
pub(crate) fn parse_events(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    json_records::parse(path, file, map_event, cancel, report, events)
}

/// Maps one `docker events` record.
pub(crate) fn map_event(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let object = record.as_object().ok_or("record is not a JSON object")?;
    let timestamp = event_time(object).ok_or("record has no valid timeNano or time")?;
    let kind = text(object, "Type").ok_or("record has no Type")?;
    let action_text = text(object, "Action")
        .or_else(|| text(object, "status"))
        .ok_or("record has no Action")?;
    // `exec_create: sh -c id` and `health_status: healthy` carry an argument after the action.
    let (action, argument) = match action_text.split_once(": ") {
        Some((action, argument)) => (action, Some(argument)),
        None => (action_text, None),
    };
    let actor = object.get("Actor").and_then(Value::as_object);
    let actor_id = actor
        .and_then(|a| a.get("ID"))
        .and_then(Value::as_str)
        .or_else(|| text(object, "id"));
    let attributes = actor
        .and_then(|a| a.get("Attributes"))
        .and_then(Value::as_object);
    let attribute = |key: &str| attributes.and_then(|a| a.get(key)).and_then(Value::as_str);

    let mut builder = EventBuilder::new(timestamp, EVENTS_LOG_SOURCE, Platform::Containers, origin);
    builder.field("event.kind", "event");
    builder.field("event.dataset", "docker.events");
    builder.field("event.action", action);
    builder.field("event.provider", kind);
    if let Some((_, _, category, kind)) = EVENT_KINDS
        .iter()
        .find(|(t, a, _, _)| (*t == kind || *t == "*") && (*a == action || *a == "*"))
    {
        builder.field("event.category", string_list(&[category]));
        builder.field("event.type", string_list(&[kind]));
    }
    builder.field("container.runtime", "docker");
    match kind {
        "container" => {
            if let Some(id) = actor_id {
                builder.field("container.id", id);
            }
            if let Some(name) = attribute("name") {
                builder.field("container.name", name);
            }
            if let Some(image) = attribute("image").or_else(|| text(object, "from")) {
                builder.field("container.image.name", image);
            }
        }
        "image" => {
            if let Some(name) = attribute("name").or(actor_id) {
                builder.field("container.image.name", name);
            }
        }
        _ => {
            if let Some(id) = actor_id {
                builder.field("docker.actor.id", id);
            }
            if let Some(name) = attribute("name") {
                builder.field("docker.actor.name", name);
            }
        }
    }
    if let Some(argument) = argument {
        if action.starts_with("exec_") {
            builder.field("process.command_line", argument);
        } else {
            builder.field("docker.event.argument", argument);
        }
    }
    if let Some(code) = attribute("exitCode").and_then(|c| c.parse::<i64>().ok()) {
        builder.field("process.exit_code", code);
    }
    if let Some(scope) = text(object, "scope") {
        builder.field("docker.event.scope", scope);
    }
    if let Some(attributes) = attributes {
        for (key, value) in attributes {
            add_flattened(&mut builder, &format!("docker.attributes.{key}"), value, 0);
        }
    }
    Ok(builder)
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn event_time(object: &Map<String, Value>) -> Option<i64> {
    if let Some(nanos) = object.get("timeNano").and_then(Value::as_i64) {
        return Some(nanos);
    }
    object
        .get("time")
        .and_then(Value::as_i64)
        .and_then(|seconds| seconds.checked_mul(1_000_000_000))
}

/// Parses a `json-file` log driver file. The container id comes from the file name
/// (`<id>-json.log`, rotated as `<id>-json.log.1`) or its folder, as Docker names them.
pub(crate) fn parse_json_log(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let Some(id) = container_id_from_path(path) else {
        return json_records::parse(path, file, map_json_log, cancel, report, events);
    };
    let mut with_id = WithField {
        inner: events,
        name: "container.id",
        value: &id,
    };
    json_records::parse(path, file, map_json_log, cancel, report, &mut with_id)
}

/// Maps one line of a `json-file` log.
pub(crate) fn map_json_log(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let object = record.as_object().ok_or("record is not a JSON object")?;
    let timestamp = text(object, "time")
        .and_then(parse_time)
        .ok_or("record has no valid time")?;
    let line = object
        .get("log")
        .and_then(Value::as_str)
        .ok_or("record has no log text")?;
    let mut builder =
        EventBuilder::new(timestamp, RUNTIME_LOG_SOURCE, Platform::Containers, origin);
    builder.field("event.kind", "event");
    builder.field("event.dataset", "docker.container_logs");
    builder.field("container.runtime", "docker");
    builder.field("message", line.trim_end_matches(['\n', '\r']));
    if let Some(stream) = text(object, "stream") {
        builder.field("stream", stream);
    }
    if let Some(attrs) = object.get("attrs").and_then(Value::as_object) {
        for (key, value) in attrs {
            add_flattened(&mut builder, &format!("docker.attrs.{key}"), value, 0);
        }
    }
    Ok(builder)
}

fn container_id_from_path(path: &Path) -> Option<String> {
    let is_id = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let name = path.file_name()?.to_str()?;
    if let Some((id, _)) = name.split_once("-json.log")
        && is_id(id)
    {
        return Some(id.to_owned());
    }
    let folder = path.parent()?.file_name()?.to_str()?;
    is_id(folder).then(|| folder.to_owned())
}

/// Parses the daemon's log: JSON lines, or logrus `key=value` text lines.
pub(crate) fn parse_daemon(
    path: &Path,
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let bytes = match super::input::read_all(path, report) {
        Ok(bytes) => bytes,
        Err(err) => {
            report.push_error(Location::File, format!("cannot read file: {err}"));
            return true;
        }
    };
    parse_daemon_bytes(&bytes, file, cancel, report, events)
}

/// Parses the daemon's log held in memory.
pub(crate) fn parse_daemon_bytes(
    bytes: &[u8],
    file: FileId,
    cancel: &AtomicBool,
    report: &mut FileReport,
    events: &mut dyn EventSink,
) -> bool {
    let first = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
    if first == Some(&b'{') {
        return json_records::parse_bytes(bytes, file, map_daemon_json, cancel, report, events);
    }
    for line in split_lines(bytes) {
        if line.number % CANCEL_CHECK_INTERVAL == 0 && cancel.load(Ordering::Relaxed) {
            return false;
        }
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        report.records_read += 1;
        let location = Location::Line {
            line: line.number,
            offset: line.offset,
        };
        if line.is_too_long() {
            report.push_error(location, "line longer than 1 MiB; not parsed");
            continue;
        }
        let origin = Origin {
            file,
            record: line.number,
            offset: Some(line.offset),
        };
        let record = match parse_logfmt(&line.text()) {
            Ok(record) => record,
            Err(message) => {
                report.push_error(location, message);
                continue;
            }
        };
        match map_daemon_json(&Value::Object(record), origin) {
            Ok(event) => events.push(event),
            Err(message) => report.push_error(location, message),
        }
    }
    true
}

/// Splits a logrus text line, `time="…" level=info msg="…" key=value`, into its keys and
/// values. Quoted values use Go's escapes (`\"`, `\\`, `\n`, `\t`).
fn parse_logfmt(line: &str) -> Result<Map<String, Value>, String> {
    let mut record = Map::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("not a key=value pair at '{}'", preview(rest)))?;
        if key.is_empty() || key.contains(' ') {
            return Err(format!("not a key=value pair at '{}'", preview(rest)));
        }
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            read_quoted(quoted).ok_or_else(|| format!("unclosed quote in the value of {key}"))?
        } else {
            // `split_once` drops the separating space, which the next round would trim anyway.
            let (value, after) = after.split_once(' ').unwrap_or((after, ""));
            (value.to_owned(), after)
        };
        record.insert(key.to_owned(), Value::String(value));
        rest = after.trim_start();
    }
    if !record.contains_key("msg") || !record.contains_key("time") {
        return Err("not a daemon log line: no time and msg".to_owned());
    }
    Ok(record)
}

fn preview(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Reads a quoted value up to its closing quote, returning it unescaped and the rest after it.
fn read_quoted(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Some((value, text.get(index + 1..)?)),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                other => value.push(other),
            },
            other => value.push(other),
        }
    }
    None
}

/// Maps one daemon log record, parsed from JSON or from `key=value` text.
pub(crate) fn map_daemon_json(record: &Value, origin: Origin) -> Result<EventBuilder, String> {
    let object = record.as_object().ok_or("record is not a JSON object")?;
    let timestamp = text(object, "time")
        .and_then(parse_time)
        .ok_or("record has no valid time")?;
    let message = text(object, "msg").ok_or("record has no msg")?;
    let mut builder = EventBuilder::new(timestamp, DAEMON_LOG_SOURCE, Platform::Containers, origin);
    builder.field("event.kind", "event");
    builder.field("event.dataset", "docker.daemon");
    builder.field("message", message);
    if let Some(level) = text(object, "level") {
        builder.field("log.level", level);
    }
    if let Some(error) = text(object, "error") {
        builder.field("error.message", error);
    }
    if let Some(container) = text(object, "container") {
        builder.field("container.id", container);
    }
    if let Some(call) = message.strip_prefix("Calling ") {
        add_api_call(&mut builder, call);
    }
    if let Some(form) = message.strip_prefix("form data: ") {
        add_form_data(&mut builder, form);
    }
    for (key, value) in object {
        if !matches!(
            key.as_str(),
            "time" | "msg" | "level" | "error" | "container"
        ) {
            add_flattened(&mut builder, &format!("docker.daemon.{key}"), value, 1);
        }
    }
    Ok(builder)
}

/// Maps `POST /v1.43/containers/create?name=web` to the request fields and an action.
fn add_api_call(builder: &mut EventBuilder, call: &str) {
    let Some((method, target)) = call.split_once(' ') else {
        return;
    };
    builder.field("http.request.method", method);
    builder.field("url.original", target);
    let path = target.split('?').next().unwrap_or(target);
    builder.field("url.path", path);
    let unversioned = strip_api_version(path);
    let found = API_ACTIONS
        .iter()
        .find(|(m, pattern, _)| *m == method && path_matches(pattern, unversioned));
    if let Some((_, _, action)) = found {
        builder.field("event.action", *action);
        builder.field("event.category", string_list(&["api"]));
    }
    let segments: Vec<&str> = unversioned.split('/').filter(|s| !s.is_empty()).collect();
    if let ["containers", id, ..] = segments.as_slice()
        && !matches!(*id, "create" | "json" | "prune")
    {
        builder.field("container.id", *id);
    }
}

/// Removes the `/v1.43` version prefix of an API path.
fn strip_api_version(path: &str) -> &str {
    let Some(rest) = path.strip_prefix("/v") else {
        return path;
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let (version, after) = rest.split_at_checked(end).unwrap_or((rest, ""));
    if version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        after
    } else {
        path
    }
}

/// Matches an API path against a pattern where `*` stands for one or more segments.
fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((&"*", rest)), Some(_)) => {
            (1..=path.len()).any(|n| path.get(n..).is_some_and(|tail| segments_match(rest, tail)))
        }
        (Some((want, rest)), Some((have, tail))) => want == have && segments_match(rest, tail),
        _ => false,
    }
}

/// Reads the request body the daemon logs at debug level after a create or exec call: the
/// image, the command, and whether the container is privileged or mounts host paths.
fn add_form_data(builder: &mut EventBuilder, form: &str) {
    let Ok(body) = serde_json::from_str::<Value>(form) else {
        return;
    };
    if let Some(image) = body.get("Image").and_then(Value::as_str) {
        builder.field("container.image.name", image);
    }
    let words = |key: &str| -> Vec<String> {
        body.get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut command = words("Entrypoint");
    command.extend(words("Cmd"));
    if !command.is_empty() {
        builder.field("process.command_line", command.join(" "));
    }
    let host = body.get("HostConfig");
    if let Some(privileged) = host
        .and_then(|h| h.get("Privileged"))
        .or_else(|| body.get("Privileged"))
        .and_then(Value::as_bool)
    {
        builder.field("docker.container.privileged", privileged);
    }
    if let Some(binds) = host.and_then(|h| h.get("Binds")) {
        add_flattened(builder, "docker.container.binds", binds, 0);
    }
}

/// Reads back a daemon log record: a JSON document, or a text line.
pub(crate) fn read_raw(path: &Path, offset: u64) -> Result<String, super::raw::RawError> {
    let line = super::syslog::read_raw(path, offset)?;
    if line.trim_start().starts_with('{') {
        return super::raw::read_json_document(path, offset);
    }
    Ok(line)
}

/// Renders the mapping as the Markdown in `docker_mapping.md`.
pub fn mapping_markdown() -> String {
    let mut out = String::from(MAPPING_INTRO);
    out.push_str(
        "\n### `event.category` and `event.type` by object type and action\n\n\
         | `Type` | `Action` | `event.category` | `event.type` |\n|---|---|---|---|\n",
    );
    for (kind, action, category, event_type) in EVENT_KINDS {
        out.push_str(&format!(
            "| `{kind}` | `{action}` | `{category}` | `{event_type}` |\n"
        ));
    }
    out.push_str(DAEMON_INTRO);
    out.push_str("\n| method | path (after `/v1.NN`) | `event.action` |\n|---|---|---|\n");
    for (method, path, action) in API_ACTIONS {
        out.push_str(&format!("| `{method}` | `{path}` | `{action}` |\n"));
    }
    out.push_str(RUNTIME_INTRO);
    out
}

const MAPPING_INTRO: &str = "# Docker field mappings (formats `docker-events`, `docker-daemon`, `docker-json-log`)

Every event has platform `Containers` and `container.runtime` `docker`.

## `docker events --format '{{json .}}'` (`docker:events`)

Recognized by a first JSON object with the keys `Type`, `Action`, `Actor` and `timeNano` or
`time`. Records may be JSON lines, a JSON array or concatenated documents.

| field | source |
|---|---|
| `@timestamp` | `timeNano`, else `time` (seconds) |
| `event.action` | `Action` (or the older `status`) up to `: `, such as `exec_create` |
| `process.command_line` | for `exec_create`, `exec_start` and `exec_die`, the command after `: ` |
| `docker.event.argument` | for other actions, the text after `: `, such as `healthy` |
| `event.provider` | `Type`: `container`, `image`, `network`, `volume`, `daemon`… |
| `container.id`, `container.name`, `container.image.name` | for containers: `Actor.ID`, `Actor.Attributes.name`, `Actor.Attributes.image` (or the older `from`) |
| `container.image.name` | for images: `Actor.Attributes.name`, else `Actor.ID` |
| `docker.actor.id`, `docker.actor.name` | for other types: `Actor.ID`, `Actor.Attributes.name` |
| `process.exit_code` | `Actor.Attributes.exitCode` of `die` |
| `docker.event.scope` | `scope`: `local` or `swarm` |
| `docker.attributes.<key>` | every attribute, labels included |
| `event.kind`, `event.dataset` | `event`, `docker.events` |
";

const DAEMON_INTRO: &str = "
## The daemon's log (`docker:daemon`)

dockerd writes logrus lines: JSON with `\"log-format\": \"json\"` in `daemon.json`, else
`time=\"…\" level=info msg=\"…\" key=value` text, as in `/var/log/docker.log`. Other programs
write logrus lines too, so a file is read as the daemon's only when its start also contains
text only dockerd writes (`dockerd`, `Docker daemon`, `docker.sock`, `/var/lib/docker`,
`API listen on`, an Engine API call, `moby`). A daemon log whose first 4 KiB holds none of
these is skipped as JSON no parser reads.

| field | source |
|---|---|
| `@timestamp` | `time` |
| `message`, `log.level`, `error.message` | `msg`, `level`, `error` |
| `container.id` | `container`, or the container in an API path |
| `http.request.method`, `url.original`, `url.path` | `Calling POST /v1.43/containers/create?name=web`, logged at debug level |
| `event.action`, `event.category` | the API call's action from the table below, and `api` |
| `container.image.name`, `process.command_line` | the `form data:` line after a create call: `Image`, and `Entrypoint` and `Cmd` joined |
| `docker.container.privileged`, `docker.container.binds` | `HostConfig.Privileged` and `HostConfig.Binds` of the same line |
| `docker.daemon.<key>` | every other key |
| `event.kind`, `event.dataset` | `event`, `docker.daemon` |
";

const RUNTIME_INTRO: &str = "
## Container output, `json-file` driver (`docker:runtime`)

Recognized by a first JSON object with the keys `log`, `stream` and `time`, as in
`/var/lib/docker/containers/<id>/<id>-json.log`.

| field | source |
|---|---|
| `@timestamp` | `time` |
| `message` | `log`, without its line ending |
| `stream` | `stream`: `stdout` or `stderr` |
| `container.id` | the file name `<id>-json.log` (or `.1`, `.2`… when rotated), or its folder |
| `docker.attrs.<key>` | `attrs`, the labels and variables the driver was told to log |
| `event.kind`, `event.dataset` | `event`, `docker.container_logs` |
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventStore, SourceFile, ValueRef};
    use serde_json::json;

    fn store_of(events: Vec<EventBuilder>) -> EventStore {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "docker.json".into(),
            format: "docker-events",
        });
        for event in events {
            store.push(event);
        }
        store
    }

    fn origin() -> Origin {
        Origin {
            file: 0,
            record: 1,
            offset: Some(0),
        }
    }

    #[test]
    fn mapping_doc_matches_tables() {
        let generated = mapping_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ingest/docker_mapping.md");
        if std::env::var_os("GLEXIA_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        assert!(
            include_str!("docker_mapping.md") == generated,
            "docker_mapping.md is stale; rerun with GLEXIA_BLESS=1"
        );
    }

    #[test]
    fn exec_event_maps_command() {
        let record = json!({"Type": "container", "Action": "exec_create: sh -c id",
            "Actor": {"ID": "abc123", "Attributes": {"image": "alpine:3.19", "name": "web",
            "execID": "e1"}}, "scope": "local", "time": 1709287200,
            "timeNano": 1709287200123456789_i64});

        let store = store_of(vec![map_event(&record, origin()).unwrap()]);

        assert_eq!(store.events()[0].timestamp, 1_709_287_200_123_456_789);
        assert_eq!(store.log_source(0), "docker:events");
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("exec_create"))
        );
        assert_eq!(
            store.field(0, "process.command_line"),
            Some(ValueRef::Str("sh -c id"))
        );
        assert_eq!(
            store.field(0, "container.id"),
            Some(ValueRef::Str("abc123"))
        );
        assert_eq!(store.field(0, "container.name"), Some(ValueRef::Str("web")));
        assert_eq!(
            store.field(0, "docker.attributes.execID"),
            Some(ValueRef::Str("e1"))
        );
        assert_eq!(
            store.field(0, "event.category"),
            Some(ValueRef::List(vec![ValueRef::Str("process")]))
        );
    }

    #[test]
    fn daemon_api_call_and_form_data() {
        let call = json!({"level": "debug", "msg": "Calling POST /v1.43/containers/create?name=web",
            "time": "2024-03-01T10:00:00.5Z"});
        let form = json!({"level": "debug", "time": "2024-03-01T10:00:00.6Z",
            "msg": "form data: {\"Image\":\"alpine\",\"Cmd\":[\"sh\",\"-c\",\"id\"],\"HostConfig\":{\"Privileged\":true,\"Binds\":[\"/:/host\"]}}"});

        let store = store_of(vec![
            map_daemon_json(&call, origin()).unwrap(),
            map_daemon_json(&form, origin()).unwrap(),
        ]);

        assert_eq!(store.log_source(0), "docker:daemon");
        assert_eq!(
            store.field(0, "event.action"),
            Some(ValueRef::Str("container_create"))
        );
        assert_eq!(
            store.field(0, "url.path"),
            Some(ValueRef::Str("/v1.43/containers/create"))
        );
        assert_eq!(
            store.field(1, "docker.container.privileged"),
            Some(ValueRef::Bool(true))
        );
        assert_eq!(
            store.field(1, "process.command_line"),
            Some(ValueRef::Str("sh -c id"))
        );
    }

    #[test]
    fn api_paths_match_patterns() {
        assert!(path_matches(
            "/images/*/push",
            "/images/registry.example/app/push"
        ));
        assert!(path_matches("/containers/*", "/containers/web"));
        assert!(!path_matches("/containers/*", "/containers"));
        assert!(!path_matches("/containers/*/start", "/containers/web/stop"));
        assert_eq!(strip_api_version("/v1.43/info"), "/info");
        assert_eq!(strip_api_version("/volumes"), "/volumes");
    }

    #[test]
    fn logfmt_lines_parse() {
        let record =
            parse_logfmt(r#"time="2024-03-01T10:00:00Z" level=info msg="say \"hi\"" n=1"#).unwrap();
        assert_eq!(record["msg"], "say \"hi\"");
        assert_eq!(record["n"], "1");
        assert!(parse_logfmt("time=\"x\" msg=\"open").is_err());
        assert!(parse_logfmt("just words").is_err());
    }

    #[test]
    fn detection_needs_docker_markers() {
        assert!(looks_like_docker_daemon(
            r#"{"level":"info","msg":"API listen on /run/docker.sock","time":"2024-03-01T10:00:00Z"}"#
        ));
        assert!(!looks_like_docker_daemon(
            r#"{"level":"info","msg":"started","time":"2024-03-01T10:00:00Z"}"#
        ));
        assert!(looks_like_docker_json_log(
            r#"{"log":"hi\n","stream":"stdout","time":"2024-03-01T10:00:00Z"}"#
        ));
        assert!(looks_like_docker_events(
            r#"{"Type":"image","Action":"pull","Actor":{"ID":"alpine"},"time":1}"#
        ));
        let id = "a".repeat(64);
        assert_eq!(
            container_id_from_path(Path::new(&format!("/x/{id}/{id}-json.log.1"))),
            Some(id)
        );
    }
}
