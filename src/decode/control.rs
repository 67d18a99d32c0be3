//! Control frame payloads (frames_v2.h; RESEARCH.md A9, A10).

use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::msgr2::Tag;

fields! {
    RAW = "msgr2.payload.raw", "Payload bytes", Bytes, "Payload bytes of a frame whose layout is not decoded.";
}

/// Decode the payload of a control frame with tag `tag` into `t`.
pub fn tree(tag: Tag, t: &mut Tree<'_>) -> Res<()> {
    let _ = tag;
    let n = t.remaining();
    t.bytes(&RAW, n)?;
    Ok(())
}
