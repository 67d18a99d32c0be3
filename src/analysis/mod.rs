//! Analysis: the dissector that drives the pipeline, the rows it produces,
//! per-connection counters, the verify findings, the `-z` statistics and
//! the comparison of two captures (`diff`).

pub mod conformance;
pub mod diff;
mod dissector;
pub mod info;
pub mod interop;
pub mod latency;
pub mod memcap;
mod record;
pub mod record_fields;
pub mod registry;
pub mod session;
pub mod stats;
mod summary;
pub mod verify;

pub use dissector::{dissect, dissect_packets, Config, Dissector};
pub use record::{status_text, Record, RecordKind};
pub use record_fields::record_tree;
pub use summary::{ConnSummary, KeyStatus, Summary};
