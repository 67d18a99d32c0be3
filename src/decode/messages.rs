//! Message bodies (front, middle, data) by message type.

use super::MsgType;
use crate::fields;
use crate::model::tree::Tree;
use crate::model::{FieldNode, Source};

fields! {
    FRONT = "ceph.msg.front", "Front", Bytes, "The message's front segment.";
    MIDDLE = "ceph.msg.middle", "Middle", Bytes, "The message's middle segment.";
    DATA = "ceph.msg.data", "Data", Bytes, "The message's data segment.";
}

/// Decode the body of a message of type `ty` and encoding `version` from
/// its front, middle and data segments (bytes and frame offsets).
pub fn tree(ty: MsgType, version: u16, parts: [(&[u8], usize); 3], src: Source) -> Vec<FieldNode> {
    let _ = (ty, version);
    let mut out = Vec::new();
    for ((bytes, base), def) in parts.into_iter().zip([&FRONT, &MIDDLE, &DATA]) {
        if bytes.is_empty() {
            continue;
        }
        let mut t = Tree::new(bytes, base, src);
        let res = t.bytes(def, bytes.len()).map(|_| ());
        out.extend(t.finish_with(res));
    }
    out
}
