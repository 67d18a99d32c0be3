//! An OSD coming and going: osd_boot (MSG_OSD_BOOT, 71) and MOSDMarkMeDown
//! (MSG_OSD_MARK_ME_DOWN, 74).
//!
//! ```text
//! MOSDBoot (v7):        paxos | OSDSuperblock sb | entity_addrvec_t hb_back_addrs
//!                       | entity_addrvec_t cluster_addrs | le32 boot_epoch
//!                       | entity_addrvec_t hb_front_addrs | map<string,string> metadata
//!                       | le64 osd_features
//! OSDSuperblock:        ENCODE_START(v, 5) uuid cluster_fsid | le32 whoami
//!                       | le32 current_epoch | le32 oldest_map | le32 newest_map | ...
//! MOSDMarkMeDown (v3+): paxos | uuid fsid | entity_addrvec_t target_addrs | le32 target_osd
//!                       | le32 epoch | bool request_ack | bool down_and_dead (v4+)
//! ```
//!
//! Sources: messages/MOSDBoot.h, messages/MOSDMarkMeDown.h (encode_payload,
//! print), osd/osd_types.cc (OSDSuperblock::encode). The superblock's
//! fields past newest_map stay bytes.

use super::denc::{paxos, string_map, u32_of, uuid, versioned};
use super::{rest, Body, MsgContext, Parts};
use crate::decode::addr::addrvec_tree;
use crate::fields;
use crate::model::tree::{Res, Tree};
use crate::model::{FieldDef, Value};

fields! {
    BOOT = "ceph.osd_boot", "OSD boot", None, "MOSDBoot: an OSD asks to be marked up.";
    SB = "ceph.osd_boot.superblock", "Superblock", Str, "The OSD's superblock.";
    CLUSTER_FSID = "ceph.osd_boot.cluster_fsid", "Cluster fsid", Str, "Cluster fsid.";
    WHOAMI = "ceph.osd_boot.whoami", "OSD id", Int, "The OSD's id.";
    CURRENT_EPOCH = "ceph.osd_boot.current_epoch", "Current epoch", Uint, "Newest map the OSD has applied.";
    OLDEST_MAP = "ceph.osd_boot.oldest_map", "Oldest map", Uint, "Oldest map the OSD stores.";
    NEWEST_MAP = "ceph.osd_boot.newest_map", "Newest map", Uint, "Newest map the OSD stores.";
    SB_REST = "ceph.osd_boot.superblock.rest", "Other fields", Bytes, "Superblock fields not broken down.";
    BOOT_EPOCH = "ceph.osd_boot.boot_epoch", "Boot epoch", Uint, "Last epoch the OSD was marked up.";
    METADATA = "ceph.osd_boot.metadata", "Metadata", None, "The OSD's metadata.";
    METADATA_COUNT = "ceph.osd_boot.metadata.count", "Count", Uint, "Number of entries.";
    METADATA_ENTRY = "ceph.osd_boot.metadata.entry", "Entry", Str, "key=value.";
    METADATA_KEY = "ceph.osd_boot.metadata.key", "Key", Str, "Metadata key.";
    METADATA_VALUE = "ceph.osd_boot.metadata.value", "Value", Str, "Metadata value.";
    OSD_FEATURES = "ceph.osd_boot.features", "Features", Uint, "The OSD's feature bits (shown in decimal, as Ceph prints them).";
    DOWN = "ceph.osd_mark_me_down", "Mark me down", None, "MOSDMarkMeDown: an OSD asks to be marked down.";
    DOWN_FSID = "ceph.osd_mark_me_down.fsid", "Cluster fsid", Str, "Cluster fsid.";
    TARGET = "ceph.osd_mark_me_down.target_osd", "OSD", Int, "The OSD to mark down.";
    EPOCH = "ceph.osd_mark_me_down.epoch", "Epoch", Uint, "The OSD's map epoch.";
    REQUEST_ACK = "ceph.osd_mark_me_down.request_ack", "Request ack", Bool, "Whether the OSD waits for an answer.";
    DOWN_AND_DEAD = "ceph.osd_mark_me_down.down_and_dead", "Down and dead", Bool, "Whether the OSD is going away for good.";
}

/// A decoded MOSDBoot.
#[derive(Debug, Default)]
pub struct Boot {
    version: u64,
    whoami: i64,
    boot_epoch: u64,
    features: u64,
}

impl Body for Boot {
    const NODE: &'static FieldDef = &BOOT;
    fn supports(version: u16) -> bool {
        version >= 7
    }
    fn front(&mut self, t: &mut Tree<'_>, _p: &Parts<'_>) -> Res<()> {
        self.version = paxos(t)?;
        let (whoami, node) = versioned(t, &SB, u64::MAX, |t, _| {
            uuid(t, &CLUSTER_FSID)?;
            let w = t.int(&WHOAMI, 4)?;
            t.uint(&CURRENT_EPOCH, 4)?;
            t.uint(&OLDEST_MAP, 4)?;
            t.uint(&NEWEST_MAP, 4)?;
            rest(t, &SB_REST)?;
            Ok(w)
        })?;
        node.value = Value::Str(format!("osd.{whoami}"));
        self.whoami = whoami;
        addrvec_tree(t)?;
        addrvec_tree(t)?;
        self.boot_epoch = t.uint(&BOOT_EPOCH, 4)?;
        addrvec_tree(t)?;
        string_map(
            t,
            &METADATA,
            &METADATA_COUNT,
            &METADATA_ENTRY,
            &METADATA_KEY,
            &METADATA_VALUE,
        )?;
        self.features = t.uint(&OSD_FEATURES, 8)?;
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "osd_boot(osd.{} booted {} features {} v{})",
            self.whoami, self.boot_epoch, self.features, self.version
        )
    }
}

/// A decoded MOSDMarkMeDown.
#[derive(Debug, Default)]
pub struct MarkMeDown {
    fsid: String,
    addrs: String,
    target: i64,
    request_ack: bool,
    down_and_dead: bool,
}

impl Body for MarkMeDown {
    const NODE: &'static FieldDef = &DOWN;
    fn supports(version: u16) -> bool {
        version >= 3
    }
    fn front(&mut self, t: &mut Tree<'_>, p: &Parts<'_>) -> Res<()> {
        paxos(t)?;
        self.fsid = uuid(t, &DOWN_FSID)?;
        self.addrs = addrvec_tree(t)?.to_string();
        self.target = t.int(&TARGET, 4)?;
        u32_of(t.uint(&EPOCH, 4)?);
        self.request_ack = t.bool(&REQUEST_ACK)?;
        if p.version >= 4 {
            self.down_and_dead = t.bool(&DOWN_AND_DEAD)?;
        }
        Ok(())
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "MOSDMarkMeDown(request_ack={}, down_and_dead={}, osd.{}, {}, fsid={})",
            u8::from(self.request_ack),
            u8::from(self.down_and_dead),
            self.target,
            self.addrs,
            self.fsid
        )
    }
}
