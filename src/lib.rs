//! Glexia: a terminal workbench for investigating security event logs with ATT&CK analytics.
//!
//! Layers, each importing only those below it: the TUI and the command line on top; `engine`;
//! `analytics` and `eql`; `ingest` and `catalog`; `store` at the bottom.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Input files are adversarial, so library code reports bad data as an error instead of
// panicking. These lints hold for the library and the binary. Unit tests are exempt through
// clippy.toml and the `cfg_attr` below. The integration tests, examples, build script and fuzz
// targets are separate crates that do not inherit these attributes, so they may unwrap freely.
// The few remaining exceptions carry `#[allow(..., reason = "...")]` at the item they cover.
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
// clippy.toml cannot exempt tests from `string_slice`, so the test build allows it. The normal
// library build, which `cargo clippy --all-targets` also checks, still enforces it.
#![cfg_attr(test, allow(clippy::string_slice))]

pub mod analytics;
pub mod app;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod eql;
pub mod ingest;
pub mod output;
pub mod query_command;
pub mod sigma;
pub mod store;
pub mod tui;
