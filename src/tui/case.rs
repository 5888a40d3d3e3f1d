//! Case work: bookmarks, notes and verdicts on chains and events, saved as a JSON case file and
//! exported as JSON, CSV and a Markdown report.
//!
//! Events are named by their origin (file path and record number), not by their index in the
//! store, so a case still applies when the same files are opened again in another order.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::format;
use crate::engine::Chain;
use crate::store::{EventStore, FileId};

/// Version of the case file layout written by [`Case::save`].
pub const CASE_VERSION: u32 = 1;

/// File name of the case file when `--case` is not given.
pub const DEFAULT_CASE_FILE: &str = "glexia-case.json";

/// An event as its origin names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventKey {
    /// The file the event was read from.
    pub file: String,
    /// The record number in that file.
    pub record: u64,
}

impl EventKey {
    /// Names event `index` of `store`, or `None` when the index is out of range.
    pub fn of(store: &EventStore, index: usize) -> Option<EventKey> {
        let event = store.events().get(index)?;
        let file = store
            .file_path(event.origin().file)
            .map(|path| path.display().to_string())
            .unwrap_or_default();
        Some(EventKey {
            file,
            record: event.origin().record,
        })
    }
}

/// Finds the store indices of `keys` in one pass over the events; keys not loaded are left out.
pub fn locate<'k>(
    store: &EventStore,
    keys: impl IntoIterator<Item = &'k EventKey>,
) -> HashMap<EventKey, usize> {
    let files: HashMap<String, FileId> = store
        .files
        .iter()
        .enumerate()
        .filter_map(|(id, file)| {
            Some((file.path.display().to_string(), FileId::try_from(id).ok()?))
        })
        .collect();
    let mut wanted: HashMap<(FileId, u64), &EventKey> = HashMap::new();
    for key in keys {
        if let Some(&file) = files.get(&key.file) {
            wanted.insert((file, key.record), key);
        }
    }
    let mut found = HashMap::new();
    if wanted.is_empty() {
        return found;
    }
    for (index, event) in store.events().iter().enumerate() {
        if let Some(key) = wanted.get(&(event.origin().file, event.origin().record)) {
            found.insert((*key).clone(), index);
        }
    }
    found
}

/// The chain or event an annotation is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// One event.
    Event {
        /// The event's origin.
        event: EventKey,
    },
    /// One chain of an analytic, named by the origins of its steps in order.
    Chain {
        /// The analytic id.
        analytic: String,
        /// The steps' events.
        events: Vec<EventKey>,
    },
}

impl Target {
    /// Names chain `chain` of analytic `analytic`.
    pub fn chain(store: &EventStore, analytic: &str, chain: &Chain) -> Target {
        Target::Chain {
            analytic: analytic.to_owned(),
            events: chain
                .steps
                .iter()
                .filter_map(|step| EventKey::of(store, step.event))
                .collect(),
        }
    }

    /// Returns the events the target covers.
    pub fn events(&self) -> Vec<&EventKey> {
        match self {
            Target::Event { event } => vec![event],
            Target::Chain { events, .. } => events.iter().collect(),
        }
    }
}

/// The analyst's judgment of a chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not judged yet.
    #[default]
    None,
    /// Malicious activity that the analytic meant to find.
    TruePositive,
    /// The analytic matched activity that is not what it meant to find.
    FalsePositive,
    /// Activity the analytic meant to find, but authorized or expected.
    Benign,
}

impl Verdict {
    /// Returns the next verdict in the cycle none, true positive, false positive, benign.
    pub fn next(self) -> Verdict {
        match self {
            Verdict::None => Verdict::TruePositive,
            Verdict::TruePositive => Verdict::FalsePositive,
            Verdict::FalsePositive => Verdict::Benign,
            Verdict::Benign => Verdict::None,
        }
    }

    /// Returns the short mark shown in lists: `TP`, `FP`, `B` or nothing.
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::None => "",
            Verdict::TruePositive => "TP",
            Verdict::FalsePositive => "FP",
            Verdict::Benign => "B",
        }
    }

    /// Returns the verdict in words.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::None => "none",
            Verdict::TruePositive => "true positive",
            Verdict::FalsePositive => "false positive",
            Verdict::Benign => "benign",
        }
    }
}

/// The analyst's marks on one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// The chain or event.
    pub target: Target,
    /// Whether it is bookmarked.
    #[serde(default)]
    pub bookmarked: bool,
    /// Free text; empty when there is none.
    #[serde(default)]
    pub note: String,
    /// The verdict, for chains.
    #[serde(default)]
    pub verdict: Verdict,
}

impl Annotation {
    fn is_empty(&self) -> bool {
        !self.bookmarked && self.note.is_empty() && self.verdict == Verdict::None
    }
}

/// Every annotation of an investigation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// The layout version, [`CASE_VERSION`].
    pub version: u32,
    /// The annotations, in the order they were first made.
    pub entries: Vec<Annotation>,
}

impl Case {
    /// Reads a case file.
    ///
    /// Fails when the file cannot be read, is not valid JSON of this layout, or has a newer
    /// version than this program writes.
    pub fn load(path: &Path) -> anyhow::Result<Case> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read case file '{}'", path.display()))?;
        let case: Case = serde_json::from_str(&text)
            .with_context(|| format!("invalid case file '{}'", path.display()))?;
        if case.version > CASE_VERSION {
            anyhow::bail!(
                "case file '{}' has version {}, but this program reads up to {CASE_VERSION}; \
                 open it with a newer glexia",
                path.display(),
                case.version
            );
        }
        Ok(case)
    }

    /// Writes the case as JSON, leaving out targets with no mark. The text goes to a temporary
    /// file beside `path` first, so a failed write leaves the previous case file whole.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let case = Case {
            version: CASE_VERSION,
            entries: self
                .entries
                .iter()
                .filter(|entry| !entry.is_empty())
                .cloned()
                .collect(),
        };
        let text = serde_json::to_string_pretty(&case)?;
        write_atomically(path, text.as_bytes())
    }

    /// Returns the annotation of a target, if it has one.
    pub fn get(&self, target: &Target) -> Option<&Annotation> {
        self.entries.iter().find(|entry| &entry.target == target)
    }

    /// Returns the annotation of a target, adding an empty one when it has none.
    #[allow(
        clippy::indexing_slicing,
        reason = "`position` comes from `position()` on `entries` or is the last index after a push"
    )]
    pub fn entry(&mut self, target: Target) -> &mut Annotation {
        let position = match self.entries.iter().position(|entry| entry.target == target) {
            Some(position) => position,
            None => {
                self.entries.push(Annotation {
                    target,
                    bookmarked: false,
                    note: String::new(),
                    verdict: Verdict::None,
                });
                self.entries.len() - 1
            }
        };
        &mut self.entries[position]
    }

    /// Returns the annotations that carry a mark.
    pub fn marked(&self) -> impl Iterator<Item = &Annotation> {
        self.entries.iter().filter(|entry| !entry.is_empty())
    }
}

/// Returns the default case file path: beside the first input, in it when it is a folder.
pub fn default_path(first_input: Option<&Path>) -> PathBuf {
    match first_input {
        Some(path) if path.is_dir() => path.join(DEFAULT_CASE_FILE),
        Some(path) => path.parent().map_or_else(
            || PathBuf::from(DEFAULT_CASE_FILE),
            |p| p.join(DEFAULT_CASE_FILE),
        ),
        None => PathBuf::from(DEFAULT_CASE_FILE),
    }
}

/// Picks the case file (`case_flag`, or else [`default_path`]) and loads it when it exists.
///
/// A case file that exists but cannot be read is an error rather than an empty case, because
/// saving over it would lose the analyst's work.
pub fn open(
    case_flag: Option<&Path>,
    first_input: Option<&Path>,
) -> anyhow::Result<(Case, PathBuf)> {
    let path = case_flag.map_or_else(|| default_path(first_input), Path::to_path_buf);
    let case = if path.exists() {
        Case::load(&path)?
    } else {
        Case::default()
    };
    Ok((case, path))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("failed to create '{}'", temporary.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("failed to write '{}'", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("failed to move '{}' into place", temporary.display()))
}

/// The open note editor: the target and its note being edited.
#[derive(Clone, Debug)]
pub struct NoteEditor {
    /// The chain or event the note is about.
    pub target: Target,
    /// Name of the target for the editor's title, such as `chain 2 of AN0750`.
    pub label: String,
    /// The note text.
    pub input: ratatui_textarea::TextArea<'static>,
}

impl NoteEditor {
    /// Opens the editor on a target's current note.
    pub fn new(target: Target, label: String, note: &str) -> NoteEditor {
        let mut input = ratatui_textarea::TextArea::new(vec![note.to_owned()]);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        input.set_cursor_line_style(ratatui::style::Style::default());
        NoteEditor {
            target,
            label,
            input,
        }
    }

    /// Returns the note as one line, trimmed.
    pub fn text(&self) -> String {
        self.input.lines().join(" ").trim().to_owned()
    }
}

/// One marked target with what the store records about its events, for the exports.
#[derive(Serialize)]
struct ExportEntry<'a> {
    #[serde(flatten)]
    annotation: &'a Annotation,
    first_time: Option<String>,
    host: Option<String>,
    events: Vec<ExportEvent>,
}

#[derive(Serialize)]
struct ExportEvent {
    file: String,
    record: u64,
    time: Option<String>,
    log_source: Option<String>,
    host: Option<String>,
    found: bool,
}

fn export_entries<'a>(case: &'a Case, store: Option<&EventStore>) -> Vec<ExportEntry<'a>> {
    let located = store
        .map(|store| locate(store, case.marked().flat_map(|a| a.target.events())))
        .unwrap_or_default();
    case.marked()
        .map(|annotation| {
            let events: Vec<ExportEvent> = annotation
                .target
                .events()
                .into_iter()
                .map(|key| {
                    let index = store.and_then(|s| located.get(key).map(|&i| (s, i)));
                    ExportEvent {
                        file: key.file.clone(),
                        record: key.record,
                        time: index
                            .and_then(|(s, i)| s.events().get(i))
                            .map(|e| format::time(e.timestamp)),
                        log_source: index.map(|(s, i)| s.log_source(i).to_owned()),
                        host: index
                            .and_then(|(s, i)| s.field(i, "host.name"))
                            .map(|v| v.to_string()),
                        found: index.is_some(),
                    }
                })
                .collect();
            ExportEntry {
                annotation,
                first_time: events.first().and_then(|e| e.time.clone()),
                host: events.first().and_then(|e| e.host.clone()),
                events,
            }
        })
        .collect()
}

/// Paths the exports of a case saved at `case_path` go to: JSON, CSV and Markdown.
pub fn export_paths(case_path: &Path) -> [PathBuf; 3] {
    let stem = case_path.file_stem().map_or_else(
        || "glexia-case".into(),
        |s| s.to_string_lossy().into_owned(),
    );
    let folder = case_path.parent().unwrap_or_else(|| Path::new(""));
    ["export.json", "csv", "md"].map(|extension| folder.join(format!("{stem}.{extension}")))
}

/// Writes the JSON, CSV and Markdown exports beside `case_path` and returns their paths.
pub fn export(
    case: &Case,
    store: Option<&EventStore>,
    case_path: &Path,
) -> anyhow::Result<[PathBuf; 3]> {
    let entries = export_entries(case, store);
    let paths = export_paths(case_path);
    let [json_path, csv_path, markdown_path] = &paths;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "version": CASE_VERSION,
        "entries": entries,
    }))?;
    write_atomically(json_path, json.as_bytes())?;
    write_atomically(csv_path, to_csv(&entries).as_bytes())?;
    write_atomically(markdown_path, to_markdown(&entries).as_bytes())?;
    Ok(paths)
}

fn to_csv(entries: &[ExportEntry<'_>]) -> String {
    let mut out = String::from("kind,analytic,verdict,bookmarked,note,first_time,host,events\n");
    for entry in entries {
        let (kind, analytic) = match &entry.annotation.target {
            Target::Event { .. } => ("event", ""),
            Target::Chain { analytic, .. } => ("chain", analytic.as_str()),
        };
        let origins: Vec<String> = entry
            .events
            .iter()
            .map(|e| format!("{}#{}", e.file, e.record))
            .collect();
        let fields = [
            kind.to_owned(),
            analytic.to_owned(),
            entry.annotation.verdict.label().to_owned(),
            entry.annotation.bookmarked.to_string(),
            entry.annotation.note.clone(),
            entry.first_time.clone().unwrap_or_default(),
            entry.host.clone().unwrap_or_default(),
            origins.join("; "),
        ];
        let cells: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Quotes a CSV cell as RFC 4180 does, and prefixes a quote to text that a spreadsheet would
/// run as a formula, since notes and host names can come from hostile evidence.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn to_markdown(entries: &[ExportEntry<'_>]) -> String {
    let mut out = String::from("# Glexia case report\n");
    for entry in entries {
        let annotation = entry.annotation;
        let heading = match &annotation.target {
            Target::Event { .. } => "Event".to_owned(),
            Target::Chain { analytic, .. } => format!("Chain of {}", markdown_code(analytic)),
        };
        let _ = writeln!(out, "\n## {heading}\n");
        if let Some(time) = &entry.first_time {
            let _ = writeln!(out, "- First time: {time} UTC");
        }
        if let Some(host) = &entry.host {
            let _ = writeln!(out, "- Host: {}", markdown_code(host));
        }
        if matches!(annotation.target, Target::Chain { .. }) {
            let _ = writeln!(out, "- Verdict: {}", annotation.verdict.label());
        }
        if annotation.bookmarked {
            let _ = writeln!(out, "- Bookmarked");
        }
        if !annotation.note.is_empty() {
            let _ = writeln!(out, "- Note: {}", markdown_text(&annotation.note));
        }
        let _ = writeln!(out, "\nEvents, cited by origin:\n");
        for (number, event) in entry.events.iter().enumerate() {
            let details = match (&event.time, &event.log_source) {
                (Some(time), Some(source)) => format!(" ({time}, {})", markdown_code(source)),
                _ if !event.found => " (not in the loaded data)".to_owned(),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{}. {}, record {}{details}",
                number + 1,
                markdown_code(&event.file),
                event.record
            );
        }
    }
    out
}

/// Puts evidence text in a code span, so Markdown and HTML in it stay literal.
fn markdown_code(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // A code span fenced by more backticks than the longest run in the text can contain it.
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    format!("{fence} {flat} {fence}")
}

/// Escapes the characters that start Markdown or HTML markup in a line of the analyst's text.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(record: u64) -> EventKey {
        EventKey {
            file: "/cases/a.evtx".to_owned(),
            record,
        }
    }

    #[test]
    fn save_drops_empty_entries() {
        let directory = match tempfile::tempdir() {
            Ok(directory) => directory,
            Err(error) => panic!("no temporary folder: {error}"),
        };
        let path = directory.path().join("case.json");
        let mut case = Case::default();
        case.entry(Target::Event { event: key(1) }).bookmarked = true;
        case.entry(Target::Event { event: key(2) });
        let saved = case.save(&path);
        assert!(saved.is_ok(), "{saved:?}");
        let loaded = match Case::load(&path) {
            Ok(loaded) => loaded,
            Err(error) => panic!("reload failed: {error}"),
        };
        assert_eq!(loaded.entries.len(), 1);
        assert_eq!(loaded.version, CASE_VERSION);
        assert!(loaded.entries[0].bookmarked);
    }

    #[test]
    fn newer_version_is_rejected() {
        let directory = match tempfile::tempdir() {
            Ok(directory) => directory,
            Err(error) => panic!("no temporary folder: {error}"),
        };
        let path = directory.path().join("case.json");
        let written = std::fs::write(&path, r#"{"version": 99, "entries": []}"#);
        assert!(written.is_ok());
        let error = match Case::load(&path) {
            Ok(_) => panic!("a newer case file loaded"),
            Err(error) => format!("{error:#}"),
        };
        assert!(error.contains("version 99"), "{error}");
    }

    #[test]
    fn verdict_cycles_back_to_none() {
        let mut verdict = Verdict::None;
        let mut seen = Vec::new();
        for _ in 0..4 {
            verdict = verdict.next();
            seen.push(verdict);
        }
        assert_eq!(
            seen,
            vec![
                Verdict::TruePositive,
                Verdict::FalsePositive,
                Verdict::Benign,
                Verdict::None
            ]
        );
    }

    #[test]
    fn csv_cell_quotes_and_defuses() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
        assert_eq!(csv_cell("-1,2"), "\"'-1,2\"");
    }

    #[test]
    fn markdown_keeps_evidence_literal() {
        assert_eq!(markdown_code("a`b"), "`` a`b ``");
        assert_eq!(markdown_code("x\u{1b}y"), "` x y `");
        assert_eq!(markdown_text("<b>*x*</b>"), "\\<b\\>\\*x\\*\\</b\\>");
    }

    #[test]
    fn open_loads_existing_case() {
        let directory = match tempfile::tempdir() {
            Ok(directory) => directory,
            Err(error) => panic!("no temporary folder: {error}"),
        };
        let (case, path) = match open(None, Some(directory.path())) {
            Ok(opened) => opened,
            Err(error) => panic!("a missing case file failed: {error:#}"),
        };
        assert!(case.entries.is_empty());
        assert_eq!(path, directory.path().join(DEFAULT_CASE_FILE));

        let mut marked = Case::default();
        marked.entry(Target::Event { event: key(7) }).note = "seen".to_owned();
        let saved = marked.save(&path);
        assert!(saved.is_ok(), "{saved:?}");
        let reopened = open(None, Some(directory.path())).map(|(case, _)| case);
        assert_eq!(reopened.ok().map(|c| c.entries), Some(marked.entries));

        let corrupt = directory.path().join("corrupt.json");
        assert!(std::fs::write(&corrupt, "{not json").is_ok());
        let error = match open(Some(&corrupt), None) {
            Ok(_) => panic!("a corrupt case file opened"),
            Err(error) => format!("{error:#}"),
        };
        assert!(error.contains("invalid case file"), "{error}");
    }

    #[test]
    fn default_path_sits_beside_input() {
        assert_eq!(
            default_path(Some(Path::new("/cases/a.evtx"))),
            PathBuf::from("/cases/glexia-case.json")
        );
        assert_eq!(default_path(None), PathBuf::from(DEFAULT_CASE_FILE));
    }
}
