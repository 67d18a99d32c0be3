//! Helpers shared by the integration tests.

pub mod capture_conv;
pub mod compress_conv;
pub mod conform;
pub mod flip;
pub mod mutants;
pub mod synth;
