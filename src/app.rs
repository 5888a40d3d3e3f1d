//! The program's top: dispatches the command line to the TUI or to a headless scan.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::{Cli, Command, Format, MemoryLimit, SigmaCommand};
use crate::commands;
use crate::engine::{self, Setup, Update};
use crate::ingest;
use crate::output;
use crate::query_command::{self, QueryRequest};
use crate::tui::{self, RawReader, Theme, TuiOptions};

/// Exit status when the scan found something and nothing failed.
pub const EXIT_FOUND: u8 = 0;
/// Exit status when the scan ran cleanly and found nothing.
pub const EXIT_NOTHING_FOUND: u8 = 1;
/// Exit status when a file, a record or an analytic failed, or the command could not run.
///
/// A file of an unsupported format is skipped and reported, but is not a failure.
pub const EXIT_ERROR: u8 = 2;

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        // A reader such as `head` closing the pipe early is not an error of ours.
        Err(error) if is_broken_pipe(&error) => ExitCode::from(EXIT_FOUND),
        Err(error) => {
            let message = format!("{error:#}");
            eprintln!("glexia: {}", crate::tui::sanitize::sanitize(&message));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let load_options = load_options(&cli)?;
    // A query needs neither the catalog nor the analytics, and importing a bundle needs no
    // catalog, so both run before the built-in one is parsed.
    match &cli.command {
        Some(Command::Query {
            query,
            paths,
            events_json,
            category_field,
            timestamp_field,
            timestamp_unit,
            lineage,
            format,
        }) => {
            let ignored = options_without_effect_on_query(&cli);
            if !ignored.is_empty() {
                anyhow::bail!(
                    "{} not used by `glexia query`, which runs only the query it is given; \
                     remove {}",
                    ignored.join(", ") + if ignored.len() == 1 { " is" } else { " are" },
                    if ignored.len() == 1 { "it" } else { "them" }
                );
            }
            return run_query(&QueryRequest {
                query: query.clone(),
                paths: paths.clone(),
                events_json: events_json.clone(),
                category_field: category_field.clone(),
                timestamp_field: timestamp_field.clone(),
                timestamp_unit: *timestamp_unit,
                lineage: *lineage,
                format: *format,
                load_options,
            });
        }
        Some(Command::Attack { command }) => {
            return commands::attack(command, &mut std::io::stdout().lock());
        }
        Some(Command::Sigma {
            command: SigmaCommand::Check { paths },
        }) => {
            let placeholders = sigma_placeholders(&cli)?;
            let mut out = std::io::stdout().lock();
            let code = crate::sigma::command::check(paths, &placeholders, &mut out)?;
            out.flush()?;
            return Ok(code);
        }
        _ => {}
    }
    let mut setup = Setup::load(cli.catalog.as_deref(), &cli.analytics)?;
    setup.load_options = load_options;
    if !cli.sigma.is_empty() {
        setup.load_sigma(&cli.sigma, &sigma_placeholders(&cli)?);
    }
    match &cli.command {
        Some(Command::Scan { paths, format }) => scan(&setup, paths, *format),
        Some(Command::Analytics { command }) => commands::analytics(
            command,
            &setup.catalog,
            &cli.analytics,
            &mut std::io::stdout().lock(),
        ),
        Some(Command::Attack { .. } | Command::Query { .. } | Command::Sigma { .. }) | None => {
            let log_path = cli.log_file.clone().unwrap_or_else(default_log_path);
            init_logging(&log_path);
            open_tui(setup, &cli, &log_path)
        }
    }
}

/// Returns the global options given that `glexia query` does not read: it runs no analytic
/// or Sigma rule and reads no catalog.
fn options_without_effect_on_query(cli: &Cli) -> Vec<&'static str> {
    let options = [
        ("--catalog", cli.catalog.is_some()),
        ("--analytics", !cli.analytics.is_empty()),
        ("--sigma", !cli.sigma.is_empty()),
        ("--sigma-placeholders", cli.sigma_placeholders.is_some()),
    ];
    options
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| name)
        .collect()
}

/// Collects `--tz` and `--year` into load options, rejecting a second value for all files.
fn load_options(cli: &Cli) -> anyhow::Result<ingest::LoadOptions> {
    let memory_limit = match cli.memory_limit {
        Some(MemoryLimit::Bytes(bytes)) => Some(bytes),
        Some(MemoryLimit::Unlimited) => None,
        None => physical_memory().map(|bytes| bytes / 2),
    };
    let options = ingest::LoadOptions {
        zones: cli.tz.clone(),
        years: cli.year.clone(),
        memory_limit,
    };
    let zones_for_all = options.zones.iter().filter(|s| s.pattern.is_none()).count();
    let years_for_all = options.years.iter().filter(|s| s.pattern.is_none()).count();
    for (option, count) in [("--tz", zones_for_all), ("--year", years_for_all)] {
        if count > 1 {
            anyhow::bail!(
                "{option} is given {count} times for all files; give it once, and use \
                 FILE=VALUE for the files that differ"
            );
        }
    }
    Ok(options)
}

/// Returns the machine's physical memory in bytes from /proc/meminfo, or `None` where that
/// file is missing (other systems than Linux) or unreadable.
fn physical_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Reads `--sigma-placeholders`, or returns no placeholders without the option.
fn sigma_placeholders(cli: &Cli) -> anyhow::Result<crate::sigma::Placeholders> {
    match &cli.sigma_placeholders {
        Some(path) => crate::sigma::load_placeholders(path).map_err(anyhow::Error::msg),
        None => Ok(crate::sigma::Placeholders::new()),
    }
}

fn run_query(request: &QueryRequest) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    let code = query_command::run(request, &mut out, &mut std::io::stderr().lock())?;
    out.flush()?;
    Ok(code)
}

fn scan(setup: &Setup, paths: &[PathBuf], format: Format) -> anyhow::Result<u8> {
    let result = engine::scan(setup, paths);
    output::warn_unmatched_patterns(&setup.load_options, &result.report, &mut std::io::stderr())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => output::write_table(&mut out, setup, &result)?,
        Format::Json => output::write_json(&mut out, setup, &result)?,
    }
    out.flush()?;
    let totals = &result.report.totals;
    // Files of an unsupported format are listed as skipped but do not fail the scan, since a
    // collection folder usually contains notes and tool output beside the logs.
    let file_errors = result
        .report
        .files
        .iter()
        .any(|f| f.status != ingest::FileStatus::Skipped && f.error_count() > 0);
    let failed = totals.files_failed > 0
        || totals.records_skipped > 0
        || file_errors
        || !result.errors.is_empty()
        || !setup.problems.is_empty();
    let code = if failed {
        EXIT_ERROR
    } else if result.findings.is_empty() {
        EXIT_NOTHING_FOUND
    } else {
        EXIT_FOUND
    };
    // The process exits next and returns the memory at once. Freeing millions of events one by
    // one first would only delay the exit, by about 3% of a scan's CPU time at 1M events.
    std::mem::forget(result);
    Ok(code)
}

/// Returns the bundled samples folder, in the source tree the binary was built from.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Returns the log's default path: `$XDG_STATE_HOME/glexia/glexia.log`, else
/// `~/.local/state/glexia/glexia.log`.
///
/// A per-user folder, unlike a fixed name in the shared temporary folder, cannot be replaced by
/// another user's symlink, and keeps two users of one jump host from writing into one file.
fn default_log_path() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local/state"))
        });
    match state {
        Some(dir) => dir.join("glexia").join("glexia.log"),
        // Without a home there is no private folder; a name unique to this process, created
        // fresh below, is the next best thing.
        None => std::env::temp_dir().join(format!("glexia-{}.log", std::process::id())),
    }
}

/// Sends `tracing` output to `path`; the level comes from `GLEXIA_LOG` (default `info`).
fn init_logging(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = create_private_dir(dir);
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true);
    // A log in the shared temporary folder must be new, so that an existing file or a symlink
    // planted under that name is never written through.
    if path.starts_with(std::env::temp_dir()) {
        options.create_new(true);
    } else {
        options.create(true);
    }
    let Ok(file) = options.open(path) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GLEXIA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// Creates `dir` and its parents, readable only by the current user where the platform has
/// permission bits.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn open_tui(setup: Setup, cli: &Cli, log_path: &Path) -> anyhow::Result<u8> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the TUI needs a terminal, and standard input or output is not one; for scripts, \
             use 'glexia scan PATHS'"
        );
    }
    let sample_data = cli.paths.is_empty();
    let paths = if sample_data {
        let samples = samples_dir();
        if !samples.is_dir() {
            anyhow::bail!(
                "no path given and the bundled samples are not at '{}'; name the logs to open",
                samples.display()
            );
        }
        vec![samples]
    } else {
        cli.paths.clone()
    };
    let theme = match &cli.theme {
        Some(spec) => Theme::resolve(spec)?,
        None if tui::theme::no_color() => Theme::named("mono").unwrap_or_default(),
        None => Theme::default(),
    };
    let (case, case_path) =
        tui::case::open(cli.case.as_deref(), paths.first().map(PathBuf::as_path))?;
    let title = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    tracing::info!(log = %log_path.display(), paths = %title, "starting the TUI");
    for problem in &setup.problems {
        tracing::warn!("{problem}");
    }

    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let (requests, request_receiver) = engine::request_channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let worker_cancel = Arc::clone(&cancel);
    let _ = sender.send(Update::Analytics(setup.summaries(None)));
    let analytics = setup.analytics.clone();
    // The worker loads and correlates, then serves rerun requests until the UI drops its
    // sender.
    let worker = std::thread::Builder::new()
        .name("glexia-engine".into())
        .spawn(move || {
            engine::serve(&setup, &paths, &request_receiver, &sender, &worker_cancel);
        })?;

    let raw_reader: RawReader =
        Arc::new(|store, index| ingest::read_raw_event(store, index).map_err(|e| e.to_string()));
    let options = TuiOptions {
        sample_data,
        title,
        raw_reader,
        theme,
        analytics,
        requests: Some(requests),
        case,
        case_path,
    };
    let result = tui::run(options, receiver);
    cancel.store(true, Ordering::Relaxed);
    // The engine checks the flag between files and between analytics; a parse in progress
    // finishes first, so waiting here is bounded by one file.
    let _ = worker.join();
    result?;
    Ok(EXIT_FOUND)
}
