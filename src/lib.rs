//! Glexia: a terminal workbench for investigating security event logs with ATT&CK analytics.
//!
//! Layers, each importing only those below it: [`tui`] and [`cli`] on top; [`engine`];
//! [`analytics`] and [`eql`]; [`ingest`] and [`catalog`]; [`store`] at the bottom.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod catalog;
pub mod eql;
pub mod store;
