//! The command line: `glexia [PATHS…]` opens the TUI, `glexia scan` runs headless and
//! `glexia query` runs one EQL query.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::ingest::{FileSetting, Year, Zone};
use crate::query_command::{LineageFields, QueryFormat, TimestampUnit};

/// Investigate security event logs in a terminal with ATT&CK analytics.
#[derive(Debug, Parser)]
#[command(name = "glexia", version, about, long_about = None)]
pub struct Cli {
    /// Log files or folders to open in the TUI; folders are walked recursively. With none, the
    /// bundled samples open, marked SAMPLE DATA.
    pub paths: Vec<PathBuf>,

    /// Extra folders or files of executable analytics (*.toml); a file replaces the built-in
    /// analytic with the same id.
    #[arg(long = "analytics", value_name = "PATH", global = true)]
    pub analytics: Vec<PathBuf>,

    /// Sigma rule files or folders (YAML) to run beside the analytics; folders are walked for
    /// .yml and .yaml files. Repeat the option for several paths.
    #[arg(long = "sigma", value_name = "PATH", global = true)]
    pub sigma: Vec<PathBuf>,

    /// Values of the placeholders that Sigma rules' `expand` modifier uses: a YAML mapping from
    /// placeholder name to a list of values.
    #[arg(long = "sigma-placeholders", value_name = "FILE", global = true)]
    pub sigma_placeholders: Option<PathBuf>,

    /// A normalized ATT&CK catalog (JSON) to use instead of the built-in one.
    #[arg(long, value_name = "FILE", global = true)]
    pub catalog: Option<PathBuf>,

    /// The TUI's theme: a shipped theme by name (dark, light, high-contrast, mono) or a theme
    /// file (TOML) whose roles override the default theme's.
    #[arg(long, value_name = "NAME|FILE")]
    pub theme: Option<PathBuf>,

    /// The case file of bookmarks, notes and verdicts (JSON), loaded at start when it exists
    /// and written by `w`. Default: glexia-case.json beside the first path.
    #[arg(long, value_name = "FILE")]
    pub case: Option<PathBuf>,

    /// Write the log to this file instead of ~/.local/state/glexia/glexia.log.
    #[arg(long, value_name = "FILE", global = true)]
    pub log_file: Option<PathBuf>,

    /// The zone of timestamps written without one (syslog, auth.log, network-device syslog,
    /// nfdump CSV): an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00.
    /// FILE=ZONE sets it for the files whose name matches FILE (* and ? are wildcards; with a
    /// /, the end of the path). Repeatable; a FILE setting wins over one for all files.
    /// Default: UTC.
    #[arg(long = "tz", value_name = "[FILE=]ZONE", global = true)]
    pub tz: Vec<FileSetting<Zone>>,

    /// The year of a file's first timestamp written without one (syslog, auth.log,
    /// network-device syslog); later lines follow it across New Year. FILE=YEAR sets it for
    /// matching files, as with --tz. Default: inferred from each file's modification time.
    #[arg(long = "year", value_name = "[FILE=]YEAR", global = true)]
    pub year: Vec<FileSetting<Year>>,

    /// The maximum memory the loaded events and their strings may take, such as 8G, 512M or
    /// none. A file that would pass it is not loaded, nor are the files after it, and each is
    /// reported. Default: half of the machine's physical memory.
    #[arg(long = "memory-limit", value_name = "SIZE|none", global = true)]
    pub memory_limit: Option<MemoryLimit>,

    /// The subcommand; none opens the TUI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The value of `--memory-limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// No limit.
    Unlimited,
    /// A limit in bytes.
    Bytes(u64),
}

impl std::str::FromStr for MemoryLimit {
    type Err = String;

    /// Parses `none`, a byte count, or a number with a K, M, G or T suffix (powers of 1024,
    /// with an optional `B` or `iB` after it).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            return Ok(MemoryLimit::Unlimited);
        }
        let invalid =
            || format!("invalid size '{text}': expected a number with K, M, G or T, or none");
        let split = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().map_err(|_| invalid())?;
        let unit = unit.trim().to_ascii_uppercase();
        let unit = unit.trim_end_matches("IB").trim_end_matches('B');
        let scale: f64 = match unit {
            "" => 1.0,
            "K" => 1024.0,
            "M" => 1024.0 * 1024.0,
            "G" => 1024.0 * 1024.0 * 1024.0,
            "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return Err(invalid()),
        };
        let bytes = number * scale;
        if !bytes.is_finite() || bytes < 1.0 {
            return Err(invalid());
        }
        // `as` saturates at u64::MAX for larger values.
        Ok(MemoryLimit::Bytes(bytes as u64))
    }
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
    /// Work with ATT&CK STIX bundles.
    Attack {
        /// The subcommand to run.
        #[command(subcommand)]
        command: AttackCommand,
    },
    /// Check Sigma rules.
    Sigma {
        /// The subcommand to run.
        #[command(subcommand)]
        command: SigmaCommand,
    },
    /// Inspect and check analytics.
    Analytics {
        /// The subcommand to run.
        #[command(subcommand)]
        command: AnalyticsCommand,
    },
}

/// `glexia attack …` subcommands.
#[derive(Debug, Subcommand)]
pub enum AttackCommand {
    /// Convert an ATT&CK STIX 2.1 bundle into a normalized catalog for `--catalog`.
    ///
    /// Reads the bundles MITRE publishes (enterprise, ICS, mobile). Revoked and deprecated
    /// objects are skipped and counted; a dangling reference fails with the object's id.
    Import {
        /// The STIX bundle, such as `enterprise-attack-18.1.json`.
        bundle: PathBuf,

        /// Output path of the catalog. Defaults to `catalog-<domain>-<version>.json` in the
        /// current folder.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `glexia sigma …` subcommands.
#[derive(Debug, Subcommand)]
pub enum SigmaCommand {
    /// Load Sigma rule files or folders and report the rules loaded and the documents skipped,
    /// with the reason and line of each.
    ///
    /// Exit status 0 when every document loaded or was skipped for a stated reason (an unknown
    /// log source, an unsupported modifier…), 2 when a file cannot be read or holds invalid
    /// YAML or invalid Sigma.
    Check {
        /// Rule files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// `glexia analytics …` subcommands.
#[derive(Debug, Subcommand)]
pub enum AnalyticsCommand {
    /// Check every executable analytic against the catalog.
    ///
    /// Exit status 0 when all agree, 2 when a file fails to load or disagrees; each problem
    /// names the file and the field.
    Check,
    /// List catalog analytics and whether each is executable here.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// List only analytics that have an executable query.
        #[arg(long)]
        executable: bool,
        /// List only analytics for this ATT&CK platform, such as `Windows` or `ESXi`.
        #[arg(long, value_name = "PLATFORM")]
        platform: Option<String>,
        /// List only analytics detecting this technique or one of its sub-techniques.
        #[arg(long, value_name = "TECHNIQUE")]
        technique: Option<String>,
    },
    /// Show one analytic: its ATT&CK record and, when executable, its query and tunables.
    Show {
        /// The analytic id, such as `AN0750`.
        id: String,
    },
}

/// Output formats of `glexia scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// One JSON document with `files`, `totals`, `findings`, `coverage` and `analytic_errors`.
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
    fn memory_limit_sizes_parse() {
        let cases = [
            ("none", Ok(MemoryLimit::Unlimited)),
            ("NONE", Ok(MemoryLimit::Unlimited)),
            ("4096", Ok(MemoryLimit::Bytes(4096))),
            ("512M", Ok(MemoryLimit::Bytes(512 << 20))),
            ("512MiB", Ok(MemoryLimit::Bytes(512 << 20))),
            ("8G", Ok(MemoryLimit::Bytes(8 << 30))),
            ("8gb", Ok(MemoryLimit::Bytes(8 << 30))),
            ("1.5K", Ok(MemoryLimit::Bytes(1536))),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<MemoryLimit>(), expected, "{text}");
        }
        for bad in ["", "G", "8X", "-1G", "0", "1..2M"] {
            let error = bad.parse::<MemoryLimit>().unwrap_err();
            assert!(error.contains("invalid size"), "{bad}: {error}");
        }
    }

    #[test]
    fn case_and_theme_parse() {
        let cli = Cli::try_parse_from(["glexia", "--case", "c.json", "--theme", "light", "a"])
            .expect("valid options");
        assert_eq!(cli.case, Some(PathBuf::from("c.json")));
        assert_eq!(cli.theme, Some(PathBuf::from("light")));
        assert_eq!(cli.paths, vec![PathBuf::from("a")]);
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
    fn tz_and_year_parse_after_subcommand() {
        let cli = Cli::try_parse_from([
            "glexia",
            "scan",
            "logs",
            "--tz",
            "Europe/Berlin",
            "--tz",
            "auth.log=+02:00",
            "--year",
            "2023",
        ])
        .expect("valid options");
        assert_eq!(cli.tz.len(), 2);
        assert_eq!(cli.tz[1].pattern.as_deref(), Some("auth.log"));
        assert_eq!(cli.year, vec![FileSetting::all(Year(2023))]);
        let bad = ["glexia", "scan", "logs", "--tz", "Mars/Olympus"];
        let error = Cli::try_parse_from(bad).expect_err("unknown zone");
        assert!(error.to_string().contains("IANA zone"), "{error}");
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
