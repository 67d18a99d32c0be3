//! Analysis: the dissector that drives the pipeline, the rows it produces,
//! per-connection counters and the verify findings.

mod dissector;
mod record;
mod summary;
pub mod verify;

pub use dissector::{dissect, Config, Dissector};
pub use record::{Record, RecordKind};
pub use summary::{ConnSummary, KeyStatus, Summary};
