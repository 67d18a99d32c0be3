//! Fronts built by Ceph's encoding rules from values in Ceph's own logs
//! (captures/none-crc.logs: these OSD-monitor messages crossed the wire
//! before the captures started, but the `<==` lines remain), decoded and
//! printed back: the logged front sizes and texts are the expected values.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use crate::decode::messages::{summary, tree};
use crate::decode::MsgType;
use crate::model::{FieldNode, Source};

fn find<'a>(nodes: &'a [FieldNode], abbrev: &str) -> Vec<&'a FieldNode> {
    nodes
        .iter()
        .flat_map(FieldNode::walk)
        .filter(|n| n.def.abbrev == abbrev)
        .collect()
}

fn one(nodes: &[FieldNode], abbrev: &str) -> String {
    let v = find(nodes, abbrev);
    assert_eq!(v.len(), 1, "{abbrev}");
    v[0].value_text()
}

/// Little-endian encoder for hand-built fronts (include/encoding.h rules).
#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn u16(mut self, v: u16) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn u64(mut self, v: u64) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn str(self, s: &str) -> Self {
        self.u32(s.len() as u32).raw(s.as_bytes())
    }
    /// PaxosServiceMessage header: version, session_mon -1, session_mon_tid 0.
    fn paxos(self, version: u64) -> Self {
        self.u64(version).u16(0xffff).u64(0)
    }
    /// ENCODE_START(v, compat) around `body`.
    fn versioned(self, v: u8, compat: u8, body: Enc) -> Self {
        self.u8(v).u8(compat).u32(body.0.len() as u32).raw(&body.0)
    }
    /// pg_t.
    fn pg(self, pool: u64, seed: u32) -> Self {
        self.u8(1).u64(pool).u32(seed).u32(u32::MAX)
    }
    /// entity_addrvec_t with one v2 IPv4 address.
    fn addrvec(self, ip: [u8; 4], port: u16, nonce: u32) -> Self {
        let sockaddr = Enc::default()
            .u16(2)
            .raw(&port.to_be_bytes())
            .raw(&ip)
            .raw(&[0; 8]);
        let addr = Enc::default().u32(2).u32(nonce).u32(16).raw(&sockaddr.0);
        self.u8(2).u32(1).u8(1).versioned(1, 1, addr)
    }
}

const FSID: [u8; 16] = [
    0x9e, 7, 0x0c, 0xbd, 0x96, 0xbc, 0x43, 0x8e, 0x8d, 0x48, 2, 0x67, 0x45, 0x1d, 0xe6, 0x9b,
];
/// 2026-11-23T04:54:42 UTC, the start of the logged run.
const T0: u32 = 1_795_409_682;

/// Messages between the OSD and the monitor crossed the wire before the
/// captures started, but their log lines remain: fronts built from the
/// logged values, by Ceph's encoders, have the logged size and print as
/// the logs do.
#[test]
fn osd_and_mon_messages_print_as_logged() {
    let beacon = Enc::default()
        .paxos(5)
        .u32(0)
        .u32(0)
        .u32(T0 + 4)
        .u32(147_014_000)
        .u32(300);
    let down = Enc::default()
        .paxos(0)
        .raw(&FSID)
        .addrvec([127, 0, 0, 1], 43501, 7928)
        .u32(0)
        .u32(10)
        .u8(1)
        .u8(1);
    // (type, header version, front, logged front size, logged text)
    let cases: Vec<(u16, u16, Enc, usize, &str)> = vec![
        (
            79,
            3,
            beacon,
            38,
            "osd_beacon(pgs [] lec 0 last_purged_snaps_scrub 2026-11-23T04:54:46.147014+0000 \
             osd_beacon_report_interval 300 v5)",
        ),
        (
            73,
            1,
            Enc::default().paxos(7).u32(7),
            22,
            "osd_alive(want up_thru 7 have 7)",
        ),
        (
            116,
            1,
            Enc::default().paxos(0).pg(1, 4),
            35,
            "osd_pg_created(1.4)",
        ),
        (
            74,
            4,
            down,
            84,
            "MOSDMarkMeDown(request_ack=1, down_and_dead=1, osd.0, v2:127.0.0.1:43501/7928, \
             fsid=9e070cbd-96bc-438e-8d48-0267451de69b)",
        ),
        (
            19,
            1,
            Enc::default().u64(1).str("osdmap"),
            18,
            "mon_get_version(what=osdmap handle=1)",
        ),
        (
            20,
            2,
            Enc::default().u64(1).u64(4).u64(1),
            24,
            "mon_get_version_reply(handle=1 version=4)",
        ),
    ];
    for (ty, v, front, size, text) in cases {
        assert_eq!(front.0.len(), size, "{text}");
        check(ty, v, &front, text);
    }
}

/// The summary is `text`; the fields have no malformed or trailing item.
fn check(ty: u16, v: u16, front: &Enc, text: &str) {
    assert_eq!(
        summary(MsgType(ty), v, &front.0, &[], &[]).as_deref(),
        Some(text)
    );
    let nodes = tree(
        MsgType(ty),
        v,
        [(&front.0, 0), (&[], 0), (&[], 0)],
        Source::Wire,
    );
    assert!(
        find(&nodes, "ceph.malformed").is_empty() && find(&nodes, "ceph.trailing").is_empty(),
        "{text}"
    );
}

/// Messages whose logged front holds more than their text shows: built
/// with the logged values and minimal other fields, they print as logged.
#[test]
fn boot_pg_create_and_log_print_as_logged() {
    // osd_boot: the superblock's fields past newest_map are not broken down.
    let sb = Enc::default()
        .raw(&FSID)
        .u32(0)
        .u32(9)
        .u32(1)
        .u32(9)
        .raw(&[0; 12]);
    let boot = Enc::default()
        .paxos(4)
        .versioned(10, 5, sb)
        .addrvec([127, 0, 0, 1], 6802, 7928)
        .addrvec([127, 0, 0, 1], 6801, 7928)
        .u32(0)
        .addrvec([127, 0, 0, 1], 6803, 7928)
        .u32(1)
        .str("osd_objectstore")
        .str("memstore")
        .u64(4_540_138_314_316_775_423);
    // pg_create2: the eight PGs of pool 1, created at epoch 7; no history.
    let stamp = (T0 + 8, 20_294_000);
    let mut pgs = Enc::default().u32(7).u32(8);
    for seed in 0..8 {
        let spg = Enc::default().pg(1, seed).u8(0xff);
        pgs = pgs.versioned(1, 1, spg).u32(7).u32(stamp.0).u32(stamp.1);
    }
    let pgs = pgs.u32(0);
    // log: one entry.
    let entry = Enc::default()
        .u32(4)
        .str("0")
        .u8(4)
        .u64(0)
        .addrvec([127, 0, 0, 1], 43501, 7928)
        .u32(T0)
        .u32(550_364_000)
        .u64(1)
        .u16(1)
        .str("osd.0 boot")
        .str("cluster");
    let log = Enc::default()
        .paxos(0)
        .raw(&FSID)
        .u32(1)
        .versioned(5, 2, entry);
    let at = "7,2026-11-23T04:54:50.020294+0000";
    let pgs_text: Vec<String> = (0..8).map(|i| format!("1.{i}={at}")).collect();
    check(
        71,
        7,
        &boot,
        "osd_boot(osd.0 booted 0 features 4540138314316775423 v4)",
    );
    check(
        120,
        2,
        &pgs,
        &format!("pg_create2(e7 {{{}}})", pgs_text.join(",")),
    );
    check(
        52,
        1,
        &log,
        "log(1 entries from seq 1 at 2026-11-23T04:54:42.550364+0000)",
    );
}

/// Messages of the msgr1-era exchanges, built by their encoders, print as
/// the message classes' print() writes them.
#[test]
fn auth_ping_and_subscribe_ack_print_like_ceph() {
    let auth = Enc::default().paxos(0).u32(2).str("abcd").u32(1);
    assert_eq!(
        summary(MsgType(17), 1, &auth.0, &[], &[]).as_deref(),
        Some("auth(proto 2 4 bytes epoch 1)")
    );
    let reply = Enc::default()
        .u32(2)
        .u32(-13i32 as u32)
        .u64(4112)
        .str("")
        .str("denied");
    assert_eq!(
        summary(MsgType(18), 1, &reply.0, &[], &[]).as_deref(),
        Some("auth_reply(proto 2 -13 (13) Permission denied: denied)")
    );
    assert_eq!(
        summary(MsgType(2), 1, &[], &[], &[]).as_deref(),
        Some("ping magic: 0")
    );
    let ack = Enc::default().u32(300).raw(&FSID);
    assert_eq!(
        summary(MsgType(16), 1, &ack.0, &[], &[]).as_deref(),
        Some("mon_subscribe_ack(300s)")
    );
    let nodes = tree(
        MsgType(16),
        1,
        [(&ack.0, 0), (&[], 0), (&[], 0)],
        Source::Wire,
    );
    assert_eq!(
        one(&nodes, "ceph.mon_subscribe_ack.fsid"),
        "9e070cbd-96bc-438e-8d48-0267451de69b"
    );
}
