//! Helpers shared by the integration tests.

pub mod capture_conv;
pub mod synth;
