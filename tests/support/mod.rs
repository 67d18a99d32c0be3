//! Helpers shared by the integration tests.

pub mod capture_conv;
pub mod cephx_nodes;
pub mod compress_conv;
pub mod conform;
pub mod diff_common;
pub mod flip;
pub mod keyring_cmp;
pub mod mutants;
pub mod pty;
pub mod synth;
