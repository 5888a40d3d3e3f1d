//! The latency step: runs the release `glexia` TUI on a generated folder inside a detached tmux
//! session and presses navigation keys while the load and the analytics run and after they end.
//! Then it reads back the lines the TUI wrote to its `GLEXIA_TIMINGS` file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// Terminal size of the tmux session, in columns and rows.
const COLUMNS: u16 = 120;
const ROWS: u16 = 40;
/// Time between two key presses.
const KEY_SPACING: Duration = Duration::from_millis(100);
/// Keys pressed after the run ended.
const KEYS_AFTER: usize = 30;
/// The keys pressed in turn, as tmux names them: moves in the analytics list, and Tab, which
/// the list does not bind, so the frame after it shows the same screen.
const KEYS: [&str; 6] = ["j", "j", "Down", "k", "Up", "Tab"];
/// Maximum wait for the first frame.
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(60);
/// Maximum wait for the load and the analytics to end, which bounds the keys sent meanwhile.
const RUN_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Maximum wait for the TUI to exit after `q`.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Key latencies of one group, in milliseconds.
#[derive(Clone, Debug, Default)]
pub struct Spread {
    pub count: usize,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
}

impl Spread {
    /// Computes the median, the 95th percentile (nearest rank) and the maximum of `values`.
    fn of(mut values: Vec<f64>) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_by(f64::total_cmp);
        let rank = |fraction: f64| {
            let position = (fraction * values.len() as f64).ceil() as usize;
            values[position.clamp(1, values.len()) - 1]
        };
        Spread {
            count: values.len(),
            median: rank(0.5),
            p95: rank(0.95),
            max: values[values.len() - 1],
        }
    }

    /// Formats the figures for the table, or a dash when no key fell into the group.
    pub fn cells(&self) -> String {
        if self.count == 0 {
            return "0 | – ".to_owned();
        }
        format!(
            "{} | {:.1} / {:.1} / {:.1} ",
            self.count, self.median, self.p95, self.max
        )
    }
}

/// Measurements of one TUI session.
#[derive(Clone, Debug)]
pub struct Latency {
    /// From process start to the end of the first draw.
    pub first_frame_ms: f64,
    /// Screen the first frame showed: `loading` or `loaded`.
    pub first_screen: String,
    /// From process start to the first draw after the run ended.
    pub run_end_ms: Option<f64>,
    /// Keys handled while the run was going.
    pub during: Spread,
    /// Keys handled after it ended.
    pub after: Spread,
}

/// Returns whether tmux can be started.
pub fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Builds the release `glexia` binary beside this benchmark and returns its path.
pub fn build_glexia(root: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "glexia", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .status()
        .context("failed to run cargo to build the glexia binary")?;
    if !status.success() {
        anyhow::bail!("building the release glexia binary failed ({status})");
    }
    let exe = std::env::current_exe()?;
    // This benchmark runs as target/release/examples/bench.
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the benchmark is not inside a cargo target folder")?;
    let glexia = profile_dir.join(format!("glexia{}", std::env::consts::EXE_SUFFIX));
    if !glexia.is_file() {
        anyhow::bail!("the glexia binary is not at '{}'", glexia.display());
    }
    Ok(glexia)
}

/// A private tmux server, on a socket of its own so that no other tmux session is touched.
/// Dropping it kills the server and the TUI running in it and removes the socket file, on
/// success and on error alike.
struct TmuxServer {
    socket: PathBuf,
}

impl TmuxServer {
    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.arg("-S").arg(&self.socket);
        command
    }

    /// Runs a tmux command on this server, failing with its message when tmux does.
    fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        let output = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("failed to run tmux")?;
        if !output.status.success() {
            anyhow::bail!(
                "tmux {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    fn has_session(&self) -> bool {
        self.command()
            .args(["has-session", "-t", SESSION])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn send_key(&self, key: &str) -> anyhow::Result<()> {
        self.run(&["send-keys", "-t", SESSION, key])
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_file(&self.socket);
    }
}

const SESSION: &str = "bench";

/// Runs one TUI session on `data` and returns its measurements. `scratch` receives the timings
/// file, the TUI's log and its case file.
pub fn measure(glexia: &Path, data: &Path, scratch: &Path, label: &str) -> anyhow::Result<Latency> {
    std::fs::create_dir_all(scratch)?;
    let timings = scratch.join(format!("latency-{label}.txt"));
    let log = scratch.join(format!("latency-{label}.log"));
    let case = scratch.join(format!("latency-{label}-case.json"));
    for file in [&timings, &log, &case] {
        let _ = std::fs::remove_file(file);
    }
    // A short path in the temporary folder, because socket paths are limited to about 100
    // bytes.
    let server = TmuxServer {
        socket: std::env::temp_dir().join(format!("glexia-bench-{}.sock", std::process::id())),
    };
    let mut timings_variable = std::ffi::OsString::from("GLEXIA_TIMINGS=");
    timings_variable.push(&timings);
    // tmux runs a command given as separate arguments without a shell, so no path needs
    // quoting. `env` sets the variable for the TUI alone.
    let columns = COLUMNS.to_string();
    let rows = ROWS.to_string();
    let status = server
        .command()
        .args(["-f", "/dev/null", "new-session", "-d", "-s", SESSION])
        .args(["-x", &columns, "-y", &rows, "env"])
        .arg(&timings_variable)
        .arg(glexia)
        .arg("--log-file")
        .arg(&log)
        .arg("--case")
        .arg(&case)
        .arg(data)
        .stdin(Stdio::null())
        .status()
        .context("failed to start tmux")?;
    if !status.success() {
        anyhow::bail!("tmux failed to start the TUI session ({status})");
    }
    let failure = |what: &str| {
        anyhow::anyhow!(
            "{what}; the TUI's log is '{}' and its timings '{}'",
            log.display(),
            timings.display()
        )
    };

    let started = Instant::now();
    while !read(&timings).iter().any(|l| l.kind == "first_frame") {
        if started.elapsed() > FIRST_FRAME_TIMEOUT || !server.has_session() {
            return Err(failure("the TUI drew no first frame"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut keys = KEYS.iter().cycle();
    while !read(&timings).iter().any(|l| l.kind == "run_end") {
        if started.elapsed() > RUN_TIMEOUT || !server.has_session() {
            return Err(failure("the load and analytics run did not end"));
        }
        server.send_key(keys.next().unwrap_or(&"j"))?;
        std::thread::sleep(KEY_SPACING);
    }
    for _ in 0..KEYS_AFTER {
        server.send_key(keys.next().unwrap_or(&"j"))?;
        std::thread::sleep(KEY_SPACING);
    }
    // Lets the last key's frame land before quitting, since the loop does not draw after `q`.
    std::thread::sleep(Duration::from_millis(500));
    server.send_key("q")?;
    let quit = Instant::now();
    while server.has_session() {
        if quit.elapsed() > EXIT_TIMEOUT {
            return Err(failure("the TUI did not exit after q"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(server);
    summarize(&read(&timings)).ok_or_else(|| failure("the timings file has no first frame"))
}

/// One parsed line of the timings file.
#[derive(Clone, Debug)]
struct Line {
    kind: String,
    ms: f64,
    fields: Vec<(String, String)>,
}

impl Line {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Reads the timings file, or nothing when it does not exist yet.
fn read(path: &Path) -> Vec<Line> {
    std::fs::read_to_string(path)
        .map(|text| parse_lines(&text))
        .unwrap_or_default()
}

/// Parses every line that ends in a line break, so a line still being written is left for the
/// next read, and skips lines of an unknown shape.
fn parse_lines(text: &str) -> Vec<Line> {
    text.split_inclusive('\n')
        .filter_map(|line| line.strip_suffix('\n'))
        .filter_map(parse)
        .collect()
}

fn parse(line: &str) -> Option<Line> {
    let mut parts = line.split(' ');
    let kind = parts.next()?.to_owned();
    let mut ms = None;
    let mut fields = Vec::new();
    for part in parts {
        let (key, value) = part.split_once('=')?;
        if key == "ms" {
            ms = value.parse().ok();
        } else {
            fields.push((key.to_owned(), value.to_owned()));
        }
    }
    Some(Line {
        kind,
        ms: ms?,
        fields,
    })
}

fn summarize(lines: &[Line]) -> Option<Latency> {
    let first = lines.iter().find(|l| l.kind == "first_frame")?;
    let run_end_ms = lines.iter().find(|l| l.kind == "run_end").map(|l| l.ms);
    let mut during = Vec::new();
    let mut after = Vec::new();
    for line in lines.iter().filter(|l| l.kind == "key") {
        match line.field("phase") {
            Some("starting" | "loading" | "correlating") => during.push(line.ms),
            _ => after.push(line.ms),
        }
    }
    Some(Latency {
        first_frame_ms: first.ms,
        first_screen: first.field("screen").unwrap_or("?").to_owned(),
        run_end_ms,
        during: Spread::of(during),
        after: Spread::of(after),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_nearest_rank() {
        let spread = Spread::of((1..=20).map(f64::from).collect());
        assert_eq!(spread.count, 20);
        assert_eq!(spread.median, 10.0);
        assert_eq!(spread.p95, 19.0);
        assert_eq!(spread.max, 20.0);
    }

    #[test]
    fn summary_splits_keys_by_phase() {
        let text = "first_frame ms=40.000 screen=loading\n\
                    key ms=10.000 key=j phase=loading\n\
                    key ms=30.000 key=k phase=correlating\n\
                    run_end ms=900.000 phase=done\n\
                    key ms=5.000 key=Tab phase=done\n\
                    key ms=7";
        let lines = parse_lines(text);
        assert_eq!(lines.len(), 5);
        let latency = summarize(&lines).expect("a first frame");
        assert_eq!(latency.first_frame_ms, 40.0);
        assert_eq!(latency.first_screen, "loading");
        assert_eq!(latency.run_end_ms, Some(900.0));
        assert_eq!(latency.during.count, 2);
        assert_eq!(latency.during.max, 30.0);
        assert_eq!(latency.after.count, 1);
    }
}
