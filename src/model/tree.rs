//! Field definitions every decoder's view shares: a fault shown at its
//! bytes, and bytes left over after a structure. Trees are views of typed
//! values (`decode::grammar::view`); their depth is bounded by the
//! structures the decoders know, never by the input.

use crate::fields;

fields! {
    MALFORMED = "ceph.malformed", "Malformed", Str, "The bytes end before the structure does, or hold an impossible value.";
    TRAILING = "ceph.trailing", "Trailing bytes", Bytes, "Bytes left over after a structure that should have used them all.";
}

/// Levels of subtrees a decoded frame's tree may have: the views nest
/// groups only as deep as the structures they show, far below this.
pub const MAX_NESTING: usize = 32;
