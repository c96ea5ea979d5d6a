//! The measuring core of `mqtk bench`: the payload header every bench message carries, and
//! the statistics (HDR latency histograms, per-sequence loss/duplicate/reorder accounting)
//! its report is built from. Kept apart from the command so it is tested on fixed inputs.

pub mod header;
pub mod stats;
pub mod wire;
