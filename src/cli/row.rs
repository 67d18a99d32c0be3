//! A row's values, typed: the keys `-T jsonl` prints (all but the field
//! tree) and the columns `-T parquet` writes, made once from the record by
//! [`Row::of`], so the two outputs are views of the same values and cannot
//! tell different stories.

use crate::analysis::{Record, RecordKind};
use crate::capture::{PacketIndex, Timestamp};
use crate::msgr2::{CheckKind, Problem};
use std::borrow::Cow;
use std::net::SocketAddr;

/// Seconds from `origin` to `ts` (the `time_relative` key and column).
pub fn rel(ts: Timestamp, origin: Timestamp) -> f64 {
    ts.as_f64() - origin.as_f64()
}

/// The framing of a msgr2 frame row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// `2.0` or `2.1`.
    pub rev: &'static str,
    /// `crc` or `secure`.
    pub mode: &'static str,
    /// The preamble's flags byte.
    pub flags: u8,
    /// The late_flags / late_status byte, when read.
    pub late: Option<u8>,
}

/// One CRC or GCM tag check (the `checks` key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// `preamble_crc`, `segment<i>_crc`, `gcm_tag<i>` (msgr2);
    /// `header_crc`, `front_crc`, `middle_crc`, `data_crc` (msgr1).
    pub check: Cow<'static, str>,
    /// Stream offset of the stored value.
    pub offset: u64,
    /// Value on the wire (0 for GCM tags).
    pub stored: u32,
    /// Value computed (0 for GCM tags).
    pub computed: u32,
    /// `good`, `bad`, `absent`, `unverified`.
    pub status: &'static str,
}

/// The message header's keys, for message rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgRow {
    /// CEPH_MSG_* type.
    pub msg_type: u16,
    /// Its log name (`osd_op`), or `type_<n>`.
    pub msg_name: Cow<'static, str>,
    /// seq.
    pub seq: u64,
    /// tid.
    pub tid: u64,
    /// ack_seq (msgr2 only: msgr1's ceph_msg_header has none, ACK items
    /// carry it).
    pub ack_seq: Option<u64>,
}

/// One problem of the row, with the packet carrying its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRow {
    /// The problem.
    pub problem: Problem,
    /// The packet.
    pub packet: u64,
}

impl ProblemRow {
    /// Its kind's name (`preamble_crc_mismatch`, ...).
    pub fn kind(&self) -> &'static str {
        self.problem.kind.name()
    }

    /// `note`, `warning` or `error`.
    pub fn severity(&self) -> &'static str {
        self.problem.kind.severity().as_str()
    }
}

/// A row's values.
#[derive(Debug, Clone)]
pub struct Row<'r> {
    /// Row number.
    pub frame: u64,
    /// Time of the packet that completed the row.
    pub time: Timestamp,
    /// Seconds since the capture's first packet.
    pub time_relative: f64,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Connection index.
    pub conn: u32,
    /// `c2s` or `s2c`.
    pub dir: &'static str,
    /// `msgr1` or `msgr2`.
    pub proto: &'static str,
    /// Tag name, or a bracketed pseudo tag.
    pub tag: String,
    /// Segment lengths (zeros but for frames).
    pub segments: [u32; 4],
    /// `ok`, or the problems' names joined by commas.
    pub status: Cow<'static, str>,
    /// Stream offset.
    pub offset: u64,
    /// Bytes on the wire.
    pub len: u64,
    /// Packets carrying the row's bytes.
    pub packets: &'r [PacketIndex],
    /// With several captures merged: the inputs the packets came from.
    pub files: Option<Vec<&'r str>>,
    /// A msgr2 frame's framing.
    pub framing: Option<Framing>,
    /// The checks of a frame or a msgr1 item.
    pub checks: Option<Vec<CheckRow>>,
    /// A msgr1 MSG footer's flags.
    pub footer_flags: Option<u8>,
    /// A banner's supported and required features.
    pub banner: Option<[u64; 2]>,
    /// A message's header.
    pub msg: Option<MsgRow>,
    /// A message's front, middle and data lengths.
    pub sizes: Option<[u32; 3]>,
    /// Every problem's kind name, in order.
    pub problem_kinds: Vec<&'static str>,
    /// The problems with their packets.
    pub problems: Vec<ProblemRow>,
    /// Sender's and receiver's entity names, once known (in the field
    /// tree: `ceph.src.entity`, `ceph.dst.entity`).
    pub entities: [Option<&'r str>; 2],
    /// Their entity types (`ceph.src.entity.type`, `ceph.dst.entity.type`).
    pub entity_types: [Option<&'static str>; 2],
    /// For a reply: its request's row and the nanoseconds since it
    /// (`ceph.request.frame`, `ceph.request.wait`).
    pub request: Option<(u64, u64)>,
    /// For a KEEPALIVE2_ACK: the KEEPALIVE2's row
    /// (`msgr2.session.keepalive_frame`).
    pub keepalive_frame: Option<u64>,
    /// And the round trip in nanoseconds (`msgr2.session.keepalive_rtt`).
    pub keepalive_rtt: Option<u64>,
}

/// A msgr2 check's name (frames_v2.h: at most 4 segments, so most names
/// are spelled out once here rather than formatted for every frame).
fn check_name(kind: CheckKind) -> Cow<'static, str> {
    const SEGMENTS: [&str; 4] = [
        "segment0_crc",
        "segment1_crc",
        "segment2_crc",
        "segment3_crc",
    ];
    const TAGS: [&str; 4] = ["gcm_tag0", "gcm_tag1", "gcm_tag2", "gcm_tag3"];
    match kind {
        CheckKind::Preamble => Cow::Borrowed("preamble_crc"),
        CheckKind::Segment(i) => match SEGMENTS.get(usize::from(i)) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("segment{i}_crc")),
        },
        CheckKind::GcmTag(i) => match TAGS.get(usize::from(i)) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("gcm_tag{i}")),
        },
    }
}

impl<'r> Row<'r> {
    /// The values of `r`, in a capture whose first packet came at `origin`.
    pub fn of(r: &'r Record, origin: Timestamp) -> Row<'r> {
        let (offset, len) = r.range();
        let all = r.problems();
        let problem_kinds: Vec<&'static str> = all.iter().map(|p| p.kind.name()).collect();
        let status = match problem_kinds.is_empty() {
            true => Cow::Borrowed("ok"),
            false => Cow::Owned(crate::analysis::status_text(&problem_kinds)),
        };
        let problems = all
            .into_iter()
            .zip(r.problem_packets.iter())
            .map(|(problem, pkt)| ProblemRow {
                problem,
                packet: pkt.0,
            })
            .collect();
        let files = r.origins.as_ref().map(|origins| {
            r.files()
                .iter()
                .map(|(f, _)| origins.name(*f))
                .collect::<Vec<&'r str>>()
        });
        let mut checks = None;
        let mut footer_flags = None;
        let framing = r.frame().map(|f| {
            checks = Some(
                f.checks
                    .iter()
                    .map(|c| CheckRow {
                        check: check_name(c.kind),
                        offset: c.offset,
                        stored: c.stored,
                        computed: c.computed,
                        status: c.status.as_str(),
                    })
                    .collect(),
            );
            Framing {
                rev: f.rev.as_str(),
                mode: f.mode.as_str(),
                flags: f.preamble.flags,
                late: f.late.map(|l| l.value),
            }
        });
        if let Some(it) = r.msgr1() {
            let list = it.checks.iter().map(|c| CheckRow {
                check: Cow::Borrowed(c.kind.as_str()),
                offset: c.offset,
                stored: c.stored,
                computed: c.computed,
                status: c.status.as_str(),
            });
            checks = Some(list.collect());
            footer_flags = it.msg().and_then(|m| m.footer).map(|f| f.flags);
        }
        let banner = match &r.kind {
            RecordKind::Banner(b) => Some([b.supported, b.required]),
            _ => None,
        };
        let msg = r.msg.map(|h| MsgRow {
            msg_type: h.msg_type,
            msg_name: match crate::decode::MsgType(h.msg_type).log_name() {
                Some(name) => Cow::Borrowed(name),
                None => Cow::Owned(crate::decode::MsgType(h.msg_type).display_name()),
            },
            seq: h.seq,
            tid: h.tid,
            ack_seq: r.msgr1().is_none().then_some(h.ack_seq),
        });
        let session = r.session.as_ref();
        Row {
            frame: r.number,
            time: r.ts,
            time_relative: rel(r.ts, origin),
            src: r.src,
            dst: r.dst,
            conn: r.conn.0,
            dir: r.dir.short(),
            proto: r.proto(),
            tag: r.tag_name(),
            segments: r.segment_lens(),
            status,
            offset,
            len,
            packets: &r.packets,
            files,
            framing,
            checks,
            footer_flags,
            banner,
            msg,
            sizes: r.sizes(),
            problem_kinds,
            problems,
            entities: r.entity_names(),
            entity_types: r.entity_types(),
            request: r.interop.as_ref().and_then(|n| n.request),
            keepalive_frame: session.and_then(|n| n.keepalive_row),
            keepalive_rtt: session.and_then(|n| n.keepalive_rtt_ns),
        }
    }

    /// The time in whole nanoseconds since the epoch.
    pub fn time_ns(&self) -> i64 {
        self.time
            .secs
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(self.time.nanos))
    }
}
