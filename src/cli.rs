//! The command line: `glexia [PATHS…]` opens the TUI, `glexia scan` runs headless.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Work with ATT&CK STIX bundles.
    Attack {
        /// The subcommand to run.
        #[command(subcommand)]
        command: AttackCommand,
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
    fn case_and_theme_parse() {
        let cli = Cli::try_parse_from(["glexia", "--case", "c.json", "--theme", "light", "a"])
            .expect("valid options");
        assert_eq!(cli.case, Some(PathBuf::from("c.json")));
        assert_eq!(cli.theme, Some(PathBuf::from("light")));
        assert_eq!(cli.paths, vec![PathBuf::from("a")]);
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
