//! The `glexia` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

// mimalloc instead of the system allocator: loading frees and allocates millions of small
// strings in turns, which glibc's malloc handles markedly slower (measured by the load
// benchmark, see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // First, so that the TUI's optional timings count from the start of the process.
    glexia::tui::timings::mark_process_start();
    glexia::app::main()
}
