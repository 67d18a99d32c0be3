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

use super::denc::{text_if, uuid_text, Paxos};
use super::out::{span_to, MapDefs, Out, Start, StrMap, Vh};
use super::{Body, MsgContext, Parts};
use crate::decode::addr::{addrvec_nodes, AddrVec};
use crate::decode::grammar::prim::{array, bool_, i32_, le32, le64};
use crate::decode::grammar::{offset, In, PResult, Sp};
use crate::fields;
use crate::model::FieldDef;
use nom::Input;

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

static METADATA_DEFS: MapDefs = MapDefs {
    group: &METADATA,
    count: &METADATA_COUNT,
    entry: &METADATA_ENTRY,
    key: &METADATA_KEY,
    val: &METADATA_VALUE,
};

/// The OSDSuperblock fields shown (osd/osd_types.cc OSDSuperblock::decode).
#[derive(Debug, Default)]
struct Superblock {
    h: Vh,
    fsid: Sp<[u8; 16]>,
    whoami: Sp<i32>,
    current: Sp<u32>,
    oldest: Sp<u32>,
    newest: Sp<u32>,
    rest: Option<Sp<()>>,
}

impl Superblock {
    fn parse<'a>(&mut self, i: In<'a>) -> PResult<'a, ()> {
        // DECODE_START_LEGACY_COMPAT_LEN; the compat is not checked here,
        // as the fields past newest_map stay bytes.
        let (rest, b) = self.h.start(Start::Decode(u8::MAX), i)?;
        let (b, f) = array::<16>(&CLUSTER_FSID)(b)?;
        self.fsid = f;
        let (b, w) = i32_(&WHOAMI)(b)?;
        self.whoami = w;
        let (b, c) = le32(&CURRENT_EPOCH)(b)?;
        self.current = c.clone();
        let (b, o) = le32(&OLDEST_MAP)(b)?;
        self.oldest = o;
        let (b, n) = le32(&NEWEST_MAP)(b)?;
        self.newest = n.clone();
        let at = offset(&b);
        let (b, _) = b.take_split(b.input_len());
        self.rest = Some(span_to(at, &b));
        Ok((rest, ()))
    }

    fn view(&self, o: &mut Out<'_>) {
        let value = text_if(self.rest.is_some(), || format!("osd.{}", self.whoami.v));
        o.group(&SB, value, None, |o| {
            o.vh_head(&self.h);
            o.uuid(&CLUSTER_FSID, &self.fsid);
            o.int(&WHOAMI, &self.whoami);
            o.uint(&CURRENT_EPOCH, &self.current);
            o.uint(&OLDEST_MAP, &self.oldest);
            o.uint(&NEWEST_MAP, &self.newest);
            o.raw(&SB_REST, &self.rest, 0);
        });
    }
}

/// A decoded MOSDBoot.
#[derive(Debug, Default)]
pub struct Boot {
    paxos: Paxos,
    sb: Superblock,
    hb_back: AddrVec,
    cluster: AddrVec,
    boot_epoch: Sp<u32>,
    hb_front: AddrVec,
    metadata: StrMap,
    features: Sp<u64>,
}

impl Body for Boot {
    const NODE: &'static FieldDef = &BOOT;
    fn supports(version: u16) -> bool {
        version >= 7
    }
    /// messages/MOSDBoot.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, _p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, ()) = self.sb.parse(i)?;
        let (i, ()) = self.hb_back.parse(i)?;
        let (i, ()) = self.cluster.parse(i)?;
        let (i, e) = le32(&BOOT_EPOCH)(i)?;
        self.boot_epoch = e;
        let (i, ()) = self.hb_front.parse(i)?;
        let (i, ()) = self.metadata.parse(&METADATA_DEFS, i)?;
        let (i, f) = le64(&OSD_FEATURES)(i)?;
        self.features = f;
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        self.sb.view(o);
        addrvec_nodes(&mut o.n, &self.hb_back);
        addrvec_nodes(&mut o.n, &self.cluster);
        o.uint(&BOOT_EPOCH, &self.boot_epoch);
        addrvec_nodes(&mut o.n, &self.hb_front);
        self.metadata.view(o, &METADATA_DEFS);
        o.uint(&OSD_FEATURES, &self.features);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "osd_boot(osd.{} booted {} features {} v{})",
            self.sb.whoami.v, self.boot_epoch.v, self.features.v, self.paxos.version.v
        )
    }
}

/// A decoded MOSDMarkMeDown.
#[derive(Debug, Default)]
pub struct MarkMeDown {
    paxos: Paxos,
    fsid: Sp<[u8; 16]>,
    addrs: AddrVec,
    target: Sp<i32>,
    epoch: Sp<u32>,
    request_ack: Sp<bool>,
    down_and_dead: Sp<bool>,
}

impl Body for MarkMeDown {
    const NODE: &'static FieldDef = &DOWN;
    fn supports(version: u16) -> bool {
        version >= 3
    }
    /// messages/MOSDMarkMeDown.h decode_payload.
    fn parse<'a>(&mut self, i: In<'a>, p: &Parts<'_>) -> PResult<'a, ()> {
        let (i, ()) = self.paxos.parse(i)?;
        let (i, f) = array::<16>(&DOWN_FSID)(i)?;
        self.fsid = f;
        let (i, ()) = self.addrs.parse(i)?;
        let (i, t) = i32_(&TARGET)(i)?;
        self.target = t;
        let (i, e) = le32(&EPOCH)(i)?;
        self.epoch = e;
        let (mut i, r) = bool_(&REQUEST_ACK)(i)?;
        self.request_ack = r;
        if p.version >= 4 {
            let (x, d) = bool_(&DOWN_AND_DEAD)(i)?;
            self.down_and_dead = d.clone();
            i = x;
        }
        Ok((i, ()))
    }
    fn view(&self, o: &mut Out<'_>, _p: &Parts<'_>) {
        self.paxos.view(o);
        o.uuid(&DOWN_FSID, &self.fsid);
        addrvec_nodes(&mut o.n, &self.addrs);
        o.int(&TARGET, &self.target);
        o.uint(&EPOCH, &self.epoch);
        o.boolean(&REQUEST_ACK, &self.request_ack);
        o.boolean(&DOWN_AND_DEAD, &self.down_and_dead);
    }
    fn text(&self, _p: &Parts<'_>, _ctx: &MsgContext) -> String {
        format!(
            "MOSDMarkMeDown(request_ack={}, down_and_dead={}, osd.{}, {}, fsid={})",
            u8::from(self.request_ack.v),
            u8::from(self.down_and_dead.v),
            self.target.v,
            self.addrs,
            uuid_text(&self.fsid.v)
        )
    }
}
