//! Writes deterministic synthetic logs with planted attack stories:
//! `cargo run --release --example generate -- EVENTS DIR [SEED]`.
//!
//! It prints how many chains of each analytic a scan of DIR must find.

#[path = "bench/generate.rs"]
mod generate;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(events), Some(dir)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: generate EVENTS DIR [SEED]");
    };
    let events: u64 = events
        .parse()
        .map_err(|_| anyhow::anyhow!("'{events}' is not a number of events"))?;
    let seed: u64 = match args.get(2) {
        Some(seed) => seed
            .parse()
            .map_err(|_| anyhow::anyhow!("'{seed}' is not a number"))?,
        None => 42,
    };
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let plan = generate::Plan::for_events(events);
    let written = generate::generate(dir, plan, seed)?;
    println!(
        "wrote {} events ({} bytes) for {} hosts into '{}'",
        written.events,
        written.bytes,
        plan.hosts,
        dir.display()
    );
    for (analytic, chains) in plan.expected() {
        println!("expect {analytic}: {chains} chains");
    }
    for (analytic, chains) in plan.expected_in_evtx_dump_files() {
        println!(
            "expect {analytic} in the *-Sysmon.jsonl and *-Security.jsonl files alone: {chains} chains"
        );
    }
    Ok(())
}
