//! The `glexia` binary.

fn main() {}
