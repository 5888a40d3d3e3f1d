//! The load-and-correlate benchmark: `cargo run --release --example bench`.
//!
//! For each size it generates deterministic logs with planted attack stories, then measures in
//! the same run, each in a fresh child process so peak memory is its own:
//! - `glexia scan` end to end (load, sort, every analytic, JSON written to a sink);
//! - the bare baseline: reading the same folder, parsing each JSON line with serde_json and
//!   reading the text lines (auditd, VPC flows) without parsing them;
//! - `glexia scan` over binary EVTX copies of the evtx_dump-style Windows records, which
//!   `evtx_writer.rs` writes (the other formats have no EVTX form). The baseline is the evtx
//!   crate reading those files as `evtx_dump -o jsonl` does by default, parsing chunks on every
//!   core (`num_threads(0)`) and rendering every record to one line of JSON;
//! - on the public EVTX recordings beside the repository, when present: Glexia's load of them
//!   against the same evtx crate baseline;
//! - the latency step: the release TUI on the same folder inside tmux, its first frame and how
//!   fast it responds to keys while the load and the analytics run and after (see `latency.rs`).
//!
//! It prints the median of several runs, Glexia's ratios to the baselines, checks that exactly
//! the planted chains were found, and writes the tables to BENCHMARKS.md.
//!
//! Options: `--sizes 100000,1000000,5000000`, `--runs 3`, `--steps scan,latency` (which steps
//! to run; BENCHMARKS.md is written only when both run), `--no-write` (leave BENCHMARKS.md).
//! `--generate EVENTS DIR [EVTX_DIR]` only writes the input of that size into DIR, and its EVTX
//! copies into EVTX_DIR when given, and keeps them, for measuring one side with
//! `--child scan DIR` or `--child evtx-crate EVTX_DIR` under `/usr/bin/time -v` or a profiler.

mod evtx_writer;
mod generate;
mod latency;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use generate::Plan;

/// One child run's figures.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    seconds: f64,
    /// User and system CPU time of every thread of the child. Waiting for a core, which a
    /// busy machine adds to `seconds`, does not count here.
    cpu_seconds: f64,
    peak_rss_kib: u64,
}

/// Returns the CPU time this process has used so far, over all its threads.
fn process_cpu_seconds() -> f64 {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    time.tv_sec as f64 + time.tv_nsec as f64 / 1e9
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn files_under(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == extension))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The child side: runs one measurement and prints `seconds peak_kib extra`.
fn child(mode: &str, dir: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let extra = match mode {
        "scan" => {
            let setup = glexia::engine::Setup::load(None, &[])?;
            let result = glexia::engine::scan(&setup, &[dir.to_path_buf()]);
            glexia::output::write_json(&mut std::io::sink(), &setup, &result)?;
            let chains: Vec<String> = result
                .findings
                .iter()
                .map(|f| format!("{}={}", f.analytic, f.chains.len()))
                .collect();
            let line = format!(
                "{} {}",
                result.report.totals.events_loaded,
                chains.join(",")
            );
            // As `glexia scan` does, the process exits without freeing the events one by one.
            std::mem::forget(result);
            line
        }
        "serde" => {
            let mut count = 0u64;
            for path in files_under(dir, "jsonl") {
                let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
                for line in reader.lines() {
                    let value: serde_json::Value = serde_json::from_str(&line?)?;
                    std::hint::black_box(&value);
                    count += 1;
                }
            }
            // The auditd and flow logs are text, which the baseline only reads line by line.
            for path in files_under(dir, "log") {
                let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
                for line in reader.lines() {
                    std::hint::black_box(&line?);
                    count += 1;
                }
            }
            count.to_string()
        }
        "evtx-load" => {
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let (store, _) = glexia::ingest::load(&[dir.to_path_buf()], &|_| {}, &cancel);
            let fields: usize = store.events().iter().map(|e| store.fields(e).len()).sum();
            // Events, the store's own heap estimate in KiB, and fields per event.
            format!(
                "{} {} {:.1}",
                store.len(),
                store.heap_bytes() / 1024,
                fields as f64 / store.len().max(1) as f64
            )
        }
        "evtx-crate" => {
            // evtx_dump's defaults in evtx 0.15.1 are a thread per core (0) and attributes
            // inside their element, and its `-o jsonl` turns indenting off, as here.
            let settings = evtx::ParserSettings::new()
                .num_threads(0)
                .separate_json_attributes(false)
                .indent(false);
            let mut count = 0u64;
            let mut json_bytes = 0u64;
            for path in files_under(dir, "evtx") {
                let mut parser =
                    evtx::EvtxParser::from_path(&path)?.with_configuration(settings.clone());
                for record in parser.records_json_bytes() {
                    let record = record?;
                    json_bytes += record.data.len() as u64;
                    std::hint::black_box(&record.data);
                    count += 1;
                }
            }
            format!("{count} {json_bytes}")
        }
        other => anyhow::bail!("unknown child mode '{other}'"),
    };
    println!(
        "{} {} {} {extra}",
        start.elapsed().as_secs_f64(),
        process_cpu_seconds(),
        peak_rss_kib()
    );
    Ok(())
}

fn run_child(mode: &str, dir: &Path) -> anyhow::Result<(Sample, String)> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .args(["--child", mode])
        .arg(dir)
        .output()?;
    if !output.status.success() {
        anyhow::bail!(
            "child '{mode}' failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.trim().splitn(4, ' ');
    let seconds: f64 = parts.next().unwrap_or("0").parse()?;
    let cpu_seconds: f64 = parts.next().unwrap_or("0").parse()?;
    let peak_rss_kib: u64 = parts.next().unwrap_or("0").parse()?;
    let extra = parts.next().unwrap_or("").to_owned();
    Ok((
        Sample {
            seconds,
            cpu_seconds,
            peak_rss_kib,
        },
        extra,
    ))
}

fn median(samples: &mut [Sample]) -> Sample {
    samples.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let mid = samples.len() / 2;
    let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    rss.sort_unstable();
    let mut cpu: Vec<f64> = samples.iter().map(|s| s.cpu_seconds).collect();
    cpu.sort_by(f64::total_cmp);
    Sample {
        seconds: samples.get(mid).map_or(0.0, |s| s.seconds),
        cpu_seconds: cpu.get(mid).copied().unwrap_or(0.0),
        peak_rss_kib: rss.get(mid).copied().unwrap_or(0),
    }
}

fn measure(mode: &str, dir: &Path, runs: usize) -> anyhow::Result<(Sample, String)> {
    let mut samples = Vec::with_capacity(runs);
    let mut extra = String::new();
    for _ in 0..runs {
        let (sample, text) = run_child(mode, dir)?;
        samples.push(sample);
        extra = text;
    }
    Ok((median(&mut samples), extra))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{} GiB", kib / 1024 / 1024),
        );
    format!("{cpu}, {cores} cores, {memory} memory")
}

struct Row {
    label: String,
    events: u64,
    megabytes: f64,
    glexia: Sample,
    baseline: Sample,
    baseline_name: &'static str,
    check: String,
}

// mimalloc instead of the system allocator: loading frees and allocates millions of small
// strings in turns, which glibc's malloc handles markedly slower (measured by the load
// benchmark, see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let mode = args.get(1).map_or("", String::as_str);
        let dir = PathBuf::from(args.get(2).map_or("", String::as_str));
        return child(mode, &dir);
    }
    if args.first().map(String::as_str) == Some("--generate") {
        let size: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        let dir = PathBuf::from(args.get(2).map_or("", String::as_str));
        if size == 0 || dir.as_os_str().is_empty() {
            anyhow::bail!("usage: bench --generate EVENTS DIR [EVTX_DIR]");
        }
        std::fs::create_dir_all(&dir)?;
        let written = generate::generate(&dir, Plan::for_events(size), 42)?;
        eprintln!(
            "generated {} events, {:.1} MB in {}",
            written.events,
            written.bytes as f64 / 1e6,
            dir.display()
        );
        if let Some(evtx_dir) = args.get(3).map(PathBuf::from) {
            std::fs::create_dir_all(&evtx_dir)?;
            let converted = evtx_writer::convert_dir(&dir, &evtx_dir)?;
            eprintln!(
                "wrote {} records, {:.1} MB of EVTX in {}",
                converted.records,
                converted.bytes as f64 / 1e6,
                evtx_dir.display()
            );
        }
        return Ok(());
    }
    let mut sizes: Vec<u64> = vec![100_000, 1_000_000, 5_000_000];
    let mut runs = 3;
    let mut write = true;
    let mut steps = vec!["scan".to_owned(), "latency".to_owned()];
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--sizes" => {
                sizes = iter
                    .next()
                    .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
                    .unwrap_or_default();
            }
            "--runs" => runs = iter.next().and_then(|n| n.parse().ok()).unwrap_or(3),
            "--steps" => {
                steps = iter
                    .next()
                    .map(|s| s.split(',').map(|step| step.trim().to_owned()).collect())
                    .unwrap_or_default();
                if let Some(unknown) = steps
                    .iter()
                    .find(|s| !["scan", "latency"].contains(&s.as_str()))
                {
                    anyhow::bail!("unknown step '{unknown}'; the steps are scan and latency");
                }
            }
            "--no-write" => write = false,
            other => anyhow::bail!("unknown option '{other}'; see the file header for options"),
        }
    }
    let scan_step = steps.iter().any(|s| s == "scan");
    let mut latency_step = steps.iter().any(|s| s == "latency");
    if write && !(scan_step && latency_step) {
        eprintln!("not writing BENCHMARKS.md, because only some steps run");
        write = false;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench-data");
    let mut glexia_binary = None;
    if latency_step && !latency::tmux_available() {
        eprintln!("skipping the latency step: tmux not found");
        latency_step = false;
    } else if latency_step {
        glexia_binary = Some(latency::build_glexia(root)?);
    }
    let mut rows = Vec::new();
    let mut latency_rows = Vec::new();
    for &size in &sizes {
        let dir = work.join(format!("jsonl-{size}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let plan = Plan::for_events(size);
        let written = generate::generate(&dir, plan, 42)?;
        eprintln!(
            "{size} events: generated {} events, {:.1} MB",
            written.events,
            written.bytes as f64 / 1e6
        );
        if scan_step {
            eprintln!("{size} events: measuring the scan, {runs} runs each");
            let jsonl = Input {
                label: format!("JSONL {size}"),
                dir: &dir,
                events: written.events,
                bytes: written.bytes,
                baseline: ("serde", "serde_json parse"),
                expected: plan.expected().to_vec(),
            };
            rows.push(scan_row(&jsonl, runs)?);
            let evtx_dir = work.join(format!("evtx-{size}"));
            let _ = std::fs::remove_dir_all(&evtx_dir);
            std::fs::create_dir_all(&evtx_dir)?;
            let converted = evtx_writer::convert_dir(&dir, &evtx_dir)?;
            eprintln!(
                "{size} events: wrote {} EVTX files, {:.1} MB; measuring the scan, {runs} runs each",
                converted.files,
                converted.bytes as f64 / 1e6
            );
            let evtx = Input {
                label: format!("EVTX {size}"),
                dir: &evtx_dir,
                events: converted.records,
                bytes: converted.bytes,
                baseline: ("evtx-crate", "evtx crate to JSON"),
                expected: plan.expected_in_evtx_dump_files(),
            };
            rows.push(scan_row(&evtx, runs)?);
            let _ = std::fs::remove_dir_all(&evtx_dir);
        }
        if let Some(glexia) = &glexia_binary {
            eprintln!("{size} events: measuring the TUI's latency in tmux");
            let measured = latency::measure(glexia, &dir, &work, &size.to_string())?;
            latency_rows.push(LatencyRow {
                label: format!("JSONL {size}"),
                events: written.events,
                latency: measured,
            });
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    if scan_step && let Some(row) = evtx_row(root, runs)? {
        rows.push(row);
    }
    let mut table = String::new();
    if scan_step {
        table.push_str(&render(&rows, runs));
    }
    if latency_step {
        if !table.is_empty() {
            table.push('\n');
        }
        table.push_str(&render_latency(&latency_rows));
    }
    print!("{table}");
    if write {
        update_benchmarks(root, &table)?;
    }
    Ok(())
}

/// Measures Glexia's load of the public EVTX recordings beside the repository against the evtx
/// crate, or returns `None` when they are absent.
fn evtx_row(root: &Path, runs: usize) -> anyhow::Result<Option<Row>> {
    let evtx_dir = root.join("../shared/data/evtx");
    if !evtx_dir.is_dir() {
        eprintln!("skipping EVTX: {} not found", evtx_dir.display());
        return Ok(None);
    }
    let bytes: u64 = files_under(&evtx_dir, "evtx")
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let (glexia, events) = measure("evtx-load", &evtx_dir, runs)?;
    let (baseline, _) = measure("evtx-crate", &evtx_dir, runs)?;
    Ok(Some(Row {
        label: "EVTX recordings".to_owned(),
        // The load child prints the event count first, then its heap estimate and fields.
        events: events
            .split_whitespace()
            .next()
            .and_then(|count| count.parse().ok())
            .unwrap_or(0),
        megabytes: bytes as f64 / 1e6,
        glexia,
        baseline,
        baseline_name: "evtx crate to JSON",
        check: "n/a (no planted stories)".to_owned(),
    }))
}

/// A generated input folder and the baseline to measure `glexia scan` against on it.
struct Input<'a> {
    label: String,
    dir: &'a Path,
    events: u64,
    bytes: u64,
    /// The child mode of the baseline and its name in the table.
    baseline: (&'static str, &'static str),
    /// The chains the scan must find, per analytic id, sorted by id.
    expected: Vec<(&'static str, u64)>,
}

/// Measures `glexia scan` and the input's baseline, and checks the planted chains.
fn scan_row(input: &Input, runs: usize) -> anyhow::Result<Row> {
    let (glexia, found) = measure("scan", input.dir, runs)?;
    let (baseline, _) = measure(input.baseline.0, input.dir, runs)?;
    let expected: Vec<String> = input
        .expected
        .iter()
        .map(|(id, n)| format!("{id}={n}"))
        .collect();
    let (loaded, found_chains) = found.split_once(' ').unwrap_or((found.as_str(), ""));
    let loaded: u64 = loaded.trim().parse().unwrap_or(0);
    let mut found_list: Vec<&str> = found_chains.split(',').filter(|c| !c.is_empty()).collect();
    found_list.sort_unstable();
    let found_chains = found_list.join(",");
    let check = if loaded != input.events {
        format!("MISMATCH: loaded {loaded} of {} events", input.events)
    } else if found_chains == expected.join(",") {
        format!("exact ({found_chains})")
    } else {
        format!(
            "MISMATCH: found {found_chains}, planted {}",
            expected.join(",")
        )
    };
    Ok(Row {
        label: input.label.clone(),
        events: input.events,
        megabytes: input.bytes as f64 / 1e6,
        glexia,
        baseline,
        baseline_name: input.baseline.1,
        check,
    })
}

struct LatencyRow {
    label: String,
    events: u64,
    latency: latency::Latency,
}

fn render_latency(rows: &[LatencyRow]) -> String {
    let mut out = String::new();
    out.push_str(
        "TUI latency: the release binary in a detached 120x40 tmux session, one run per size. \
         A key's latency runs from crossterm delivering it to the end of the next draw; keys \
         are pressed every 100 ms while the load and the analytics run, then 30 more after.\n\n",
    );
    out.push_str(
        "| input | events | first frame ms | first frame shows | run end s | keys during run | \
         during median / p95 / max ms | keys after | after median / p95 / max ms |\n",
    );
    out.push_str("|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let latency = &row.latency;
        let run_end = latency
            .run_end_ms
            .map_or_else(|| "–".to_owned(), |ms| format!("{:.2}", ms / 1000.0));
        out.push_str(&format!(
            "| {} | {} | {:.1} | {} | {} | {}| {}|\n",
            row.label,
            row.events,
            latency.first_frame_ms,
            latency.first_screen,
            run_end,
            latency.during.cells(),
            latency.after.cells(),
        ));
    }
    out
}

fn render(rows: &[Row], runs: usize) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Machine: {}. Median of {runs} runs; each run is a fresh process.\n\n",
        machine()
    ));
    out.push_str(
        "| input | events | MB | Glexia s | Glexia events/s | Glexia MB/s | Glexia peak RSS MiB | \
         baseline | baseline s | ratio to baseline | Glexia CPU s | baseline CPU s | \
         ratio by CPU | Glexia events/CPU s | RSS / input | planted chains |\n",
    );
    out.push_str(
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for row in rows {
        let events_per_second = row.events as f64 / row.glexia.seconds.max(1e-9);
        let megabytes_per_second = row.megabytes / row.glexia.seconds.max(1e-9);
        let rss_mib = row.glexia.peak_rss_kib as f64 / 1024.0;
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.2} | {:.0} | {:.1} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {:.2} \
             | {:.2} | {:.0} | {:.2} | {} |\n",
            row.label,
            row.events,
            row.megabytes,
            row.glexia.seconds,
            events_per_second,
            megabytes_per_second,
            rss_mib,
            row.baseline_name,
            row.baseline.seconds,
            row.baseline.seconds / row.glexia.seconds.max(1e-9),
            row.glexia.cpu_seconds,
            row.baseline.cpu_seconds,
            row.baseline.cpu_seconds / row.glexia.cpu_seconds.max(1e-9),
            row.events as f64 / row.glexia.cpu_seconds.max(1e-9),
            rss_mib / row.megabytes.max(1e-9),
            row.check,
        ));
    }
    out
}

/// Replaces the section between the load benchmark markers in BENCHMARKS.md, creating the
/// file when missing, so other sections stay as they are.
fn update_benchmarks(root: &Path, table: &str) -> std::io::Result<()> {
    const BEGIN: &str = "<!-- load benchmark: begin -->";
    const END: &str = "<!-- load benchmark: end -->";
    let path = root.join("BENCHMARKS.md");
    let current = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    let section = format!("{BEGIN}\n{table}{END}");
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(start), Some(end)) if end > start => {
            format!(
                "{}{section}{}",
                &current[..start],
                &current[end + END.len()..]
            )
        }
        _ => format!("{current}\n{section}\n"),
    };
    let mut file = std::fs::File::create(path)?;
    file.write_all(updated.as_bytes())
}
