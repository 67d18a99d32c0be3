//! The model every output reads: field definitions, decoded field trees
//! with byte spans, and the tree builder decoders use.

pub mod escape;
pub mod expert;
mod field;
pub mod palette;
pub mod tree;
pub mod wire_text;

pub use escape::{escape, Escaped};
pub use expert::{Group, Problem, ProblemKind, Severity};
pub use field::{hex, FieldDef, FieldKind, FieldNode, Source, Span, Value};
