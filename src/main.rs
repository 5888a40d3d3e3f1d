//! The `glexia` binary: parses the command line and hands over to the library.

// The same panic-free lints as src/lib.rs, which explains them.
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

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
