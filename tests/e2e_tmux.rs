//! Runs `scripts/e2e-tmux.sh`, which drives the TUI in a detached tmux session at 80x24 and
//! 200x50, against the binary cargo built for these tests. Without tmux it skips and passes.

use std::path::Path;
use std::process::Command;

fn installed(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .output()
        .is_ok_and(|output| output.status.success())
}

#[test]
fn tui_end_to_end_under_tmux() {
    for (program, flag) in [("tmux", "-V"), ("bash", "--version")] {
        if !installed(program, flag) {
            println!("skipping: {program} not found");
            eprintln!("skipping: {program} not found");
            return;
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/e2e-tmux.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("GLEXIA_BIN", env!("CARGO_BIN_EXE_glexia"))
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!("failed to run {}: {error}", script.display()),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} failed with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        script.display(),
        output.status
    );
    assert!(stdout.contains("80x24 passed"), "{stdout}");
    assert!(stdout.contains("200x50 passed"), "{stdout}");
}
