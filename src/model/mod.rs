//! The model every output reads: field definitions, decoded field trees
//! with byte spans, and the tree builder decoders use.

mod field;
pub mod tree;

pub use field::{hex, FieldDef, FieldKind, FieldNode, Source, Span, Value};
