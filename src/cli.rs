//! The command line: `glexia [PATHS…]` opens the TUI, `glexia scan` runs headless and
//! `glexia query` runs one EQL query.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::query_command::{LineageFields, QueryFormat, TimestampUnit};

/// Investigate security event logs in a terminal with ATT&CK analytics.
#[derive(Debug, Parser)]
#[command(name = "glexia", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Log files or folders to open in the TUI; folders are walked recursively. With none, the
    /// bundled samples open, marked SAMPLE DATA.
    pub paths: Vec<PathBuf>,

    /// Extra folders or files of executable analytics (*.toml); a file replaces the built-in
    /// analytic with the same id.
    #[arg(long = "analytics", value_name = "PATH", global = true)]
    pub analytics: Vec<PathBuf>,

    /// A normalized ATT&CK catalog (JSON) to use instead of the built-in one.
    #[arg(long, value_name = "FILE", global = true)]
    pub catalog: Option<PathBuf>,

    /// A theme file (TOML) for the TUI.
    #[arg(long, value_name = "FILE")]
    pub theme: Option<PathBuf>,

    /// Write the log to this file instead of the default in the system's temporary folder.
    #[arg(long, value_name = "FILE", global = true)]
    pub log_file: Option<PathBuf>,

    /// The subcommand; none opens the TUI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load logs, run every executable analytic and print the findings.
    ///
    /// Exit status: 0 when something was found, 1 when nothing was, 2 when a file, a record or
    /// an analytic failed (the rest still ran and was printed). Files of an unsupported format
    /// are listed as skipped and do not change the status.
    Scan {
        /// Log files or folders; folders are walked recursively.
        #[arg(required = true)]
        paths: Vec<PathBuf>,

        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run one EQL query over all loaded events, in time order, and print each match's events.
    ///
    /// Exit status: 0 when something matched, 1 when nothing did, 2 when the query is invalid
    /// or a file or record failed to load (matches are still printed).
    Query {
        /// The EQL query, such as 'process where process.name == "cmd.exe"'.
        query: String,

        /// Log files or folders; folders are walked recursively.
        paths: Vec<PathBuf>,

        /// Read events from this JSON file, an array of event objects, instead of logs. Field
        /// names are looked up as written, or as dotted paths into nested objects.
        #[arg(long, value_name = "FILE", conflicts_with = "paths")]
        events_json: Option<PathBuf>,

        /// The field holding the event category in --events-json events.
        #[arg(long, value_name = "FIELD", default_value = "event.category")]
        category_field: String,

        /// The field holding the time in --events-json events: an RFC 3339 string or a whole
        /// number in --timestamp-unit.
        #[arg(long, value_name = "FIELD", default_value = "@timestamp")]
        timestamp_field: String,

        /// The unit of whole-number times in --events-json events.
        #[arg(long, value_enum, default_value_t = TimestampUnit::Ms)]
        timestamp_unit: TimestampUnit,

        /// The process fields `child of`, `descendant of` and `event of` read in
        /// --events-json events.
        #[arg(long, value_enum, default_value_t = LineageFields::Ecs)]
        lineage: LineageFields,

        /// Output format.
        #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
    },
}

/// Output formats of `glexia scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// One JSON document with `files`, `findings` and `errors`.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn query_takes_events_json_or_paths() {
        let cli = Cli::try_parse_from(["glexia", "query", "any where true", "--events-json", "e"])
            .expect("valid query");
        assert!(matches!(
            cli.command,
            Some(Command::Query {
                events_json: Some(_),
                format: QueryFormat::Table,
                ..
            })
        ));
        let both = [
            "glexia",
            "query",
            "any where true",
            "logs",
            "--events-json",
            "e",
        ];
        assert!(Cli::try_parse_from(both).is_err());
    }

    #[test]
    fn scan_requires_paths() {
        assert!(Cli::try_parse_from(["glexia", "scan"]).is_err());
        let cli = Cli::try_parse_from(["glexia", "scan", "a.evtx", "--format", "json"])
            .expect("valid scan");
        assert!(matches!(
            cli.command,
            Some(Command::Scan {
                format: Format::Json,
                ..
            })
        ));
    }
}
