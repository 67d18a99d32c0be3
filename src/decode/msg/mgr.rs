//! mgrmap (MSG_MGR_MAP, 0x704): the manager map, MMgrMap
//! (messages/MMgrMap.h: `encode(map, payload, features)`; print
//! `mgrmap(e N)`). The fields up to the active manager's name are broken
//! down; the rest (standbys, modules, services, ...) stays bytes.
//!
//! ```text
//! MgrMap: ENCODE_START(11+, 6) le32 epoch | entity_addrvec_t active_addrs
//!   | le64 active_gid | bool available | string active_name | ...
//! ```
//!
//! Source: mon/MgrMap.h (MgrMap::encode).

use super::denc::{u32_of, versioned};
use super::{rest, Body, MsgContext, Parts};
use crate::decode::addr::addrvec_tree;
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, Value};

fields! {
    NODE = "ceph.mgrmap", "Manager map message", None, "MMgrMap: an encoded MgrMap.";
    MAP = "ceph.mgrmap.map", "MgrMap", Str, "The MgrMap structure.";
    EPOCH = "ceph.mgrmap.epoch", "Epoch", Uint, "Map epoch.";
    ACTIVE_GID = "ceph.mgrmap.active_gid", "Active gid", Uint, "Global id of the active manager (0: none).";
    AVAILABLE = "ceph.mgrmap.available", "Available", Bool, "Whether the active manager is available.";
    ACTIVE_NAME = "ceph.mgrmap.active_name", "Active name", Str, "Name of the active manager.";
    REST = "ceph.mgrmap.rest", "Other fields", Bytes, "Standbys, modules, services and later fields, not broken down.";
}

/// A decoded MMgrMap.
#[derive(Debug, Default)]
pub struct MgrMap {
    /// Epoch.
    pub epoch: u32,
}

impl Body for MgrMap {
    const NODE: &'static FieldDef = &NODE;
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        let (epoch, node) = versioned(t, &MAP, u64::MAX, |t, _| {
            let e = u32_of(t.uint(&EPOCH, 4)?);
            addrvec_tree(t)?;
            t.uint(&ACTIVE_GID, 8)?;
            t.bool(&AVAILABLE)?;
            t.string(&ACTIVE_NAME)?;
            rest(t, &REST)?;
            Ok(e)
        })?;
        node.value = Value::Str(format!("e {epoch}"));
        self.epoch = epoch;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!("mgrmap(e {})", self.epoch)
    }
}
