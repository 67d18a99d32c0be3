//! Problems found while decoding frames: kinds of the one expert model
//! (`crate::model::expert`), re-exported where the framing code names them.

pub use crate::model::expert::{Group, Problem, ProblemKind, Severity};
