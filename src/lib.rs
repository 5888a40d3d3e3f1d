//! Glexia: a terminal workbench for investigating security event logs with ATT&CK analytics.
//!
//! Layers, each importing only those below it: the TUI and the command line on top; `engine`;
//! `analytics` and `eql`; `ingest` and `catalog`; `store` at the bottom.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

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
