//! The Sigma benchmark: `cargo run --release --example sigma_bench`.
//!
//! It writes the load benchmark's synthetic Windows logs (Sysmon and Security, with planted
//! attack stories), loads them into an event store, then times in the same run:
//! - the shipped EQL analytics alone, as `glexia scan` runs them;
//! - every SigmaHQ rule that loads (the corpus beside the repository, or the folders in
//!   `GLEXIA_SIGMA_RULES`, separated by `:`), each over the events its log source selects.
//!
//! Both report events per second: loaded events divided by the median evaluation time. Loading
//! the logs is not timed; compiling the Sigma rules is timed and printed on its own.
//!
//! Options: `--events 1000000` (events generated), `--runs 3` (runs of each side).

#[allow(dead_code)] // Only the generator's entry point is used here.
#[path = "bench/generate.rs"]
mod generate;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use glexia::engine::{Setup, run_all};
use glexia::sigma::{Placeholders, RuleSet};

struct Settings {
    events: u64,
    runs: usize,
}

fn parse_settings() -> Result<Settings, String> {
    let mut settings = Settings {
        events: 1_000_000,
        runs: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--events" => {
                settings.events = value
                    .parse()
                    .map_err(|_| format!("--events: '{value}' is not a number"))?;
            }
            "--runs" => {
                settings.runs = value
                    .parse()
                    .map_err(|_| format!("--runs: '{value}' is not a number"))?;
            }
            other => {
                return Err(format!(
                    "unknown option '{other}'; use --events N or --runs N"
                ));
            }
        }
    }
    Ok(settings)
}

fn rule_folders() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("GLEXIA_SIGMA_RULES") {
        return list.split(':').map(PathBuf::from).collect();
    }
    let sigma = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sigma");
    ["rules", "rules-threat-hunting", "rules-emerging-threats"]
        .iter()
        .map(|folder| sigma.join(folder))
        .filter(|folder| folder.is_dir())
        .collect()
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() -> Result<(), String> {
    let settings = parse_settings()?;
    let folders = rule_folders();
    if folders.is_empty() {
        return Err(
            "no Sigma rules: put the SigmaHQ corpus at ../shared/data/sigma or set \
                    GLEXIA_SIGMA_RULES"
                .to_owned(),
        );
    }
    let dir = std::env::temp_dir().join(format!("glexia-sigma-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
    let plan = generate::Plan::for_events(settings.events);
    generate::generate(&dir, plan, 42).map_err(|e| format!("generating logs failed: {e}"))?;
    let cancel = AtomicBool::new(false);
    let (store, report) = glexia::ingest::load(std::slice::from_ref(&dir), &|_| {}, &cancel);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "loaded {} events from {} files ({} hosts)",
        store.len(),
        report.totals.files,
        plan.hosts
    );

    let started = Instant::now();
    let rules = RuleSet::load(&folders, &Placeholders::new());
    let compile_seconds = started.elapsed().as_secs_f64();
    let (skipped, errors) = rules.problem_counts();
    println!(
        "compiled {} Sigma rules in {compile_seconds:.2} s ({skipped} skipped, {errors} errors)",
        rules.rules.len()
    );

    let setup = Setup::load(None, &[]).map_err(|e| e.to_string())?;
    let mut eql_times = Vec::new();
    let mut eql_chains = 0;
    for _ in 0..settings.runs {
        let started = Instant::now();
        let (findings, errors) = run_all(
            &store,
            &setup.analytics,
            &setup.options,
            &cancel,
            &|_, _, _| {},
        );
        eql_times.push(started.elapsed().as_secs_f64());
        if !errors.is_empty() {
            return Err(format!("an analytic failed: {}", errors[0]));
        }
        eql_chains = findings.iter().map(|f| f.chains.len()).sum();
    }
    let mut sigma_times = Vec::new();
    let mut sigma_findings = 0;
    let mut sigma_chains = 0;
    for _ in 0..settings.runs {
        let started = Instant::now();
        let findings = rules.findings(&store, &cancel);
        sigma_times.push(started.elapsed().as_secs_f64());
        sigma_findings = findings.len();
        sigma_chains = findings.iter().map(|f| f.chains.len()).sum();
    }
    // The generator plants a known number of stories, so the EQL side is checked as the load
    // benchmark checks it.
    let expected: u64 = plan.expected().iter().map(|(_, chains)| chains).sum();
    if eql_chains as u64 != expected {
        return Err(format!(
            "the EQL analytics found {eql_chains} chains where {expected} were planted"
        ));
    }
    let events = store.len() as f64;
    let eql = median(&mut eql_times);
    let sigma = median(&mut sigma_times);
    println!();
    println!("| | rules | median time | events/s | chains |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| EQL analytics alone | {} | {eql:.3} s | {:.0} | {eql_chains} |",
        setup.analytics.len(),
        events / eql
    );
    println!(
        "| SigmaHQ corpus | {} | {sigma:.3} s | {:.0} | {sigma_chains} in {sigma_findings} rules |",
        rules.rules.len(),
        events / sigma
    );
    Ok(())
}
