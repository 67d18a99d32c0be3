//! The three panes of the main screen, each drawn from `&App`.

pub mod hex;
pub mod list;
pub mod tree;
