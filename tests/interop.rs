//! Interop verdicts: releases of the peers, requests and their replies,
//! results, values no release defines, and message versions the receiver
//! cannot decode. Expected values come from the captures' Ceph logs and
//! README (Ceph 16.2.15 on both sides) or from Ceph's source.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/ceph_logs.rs"]
mod ceph_logs;
mod support;

use cephshark::analysis::interop::Release;
use cephshark::analysis::{dissect, record_tree, Config, Record, RecordKind};
use cephshark::decode::msg::osd_op::{OsdOp, Otel};
use cephshark::decode::msg::{parse, MsgContext, Parts};
use cephshark::filter::Filter;
use cephshark::model::{ProblemKind, Severity, Value};
use cephshark::msgr2::{banner, Tag};
use cephshark::tcp::ConnId;
use std::path::Path;
use support::mutants::{frame, records};
use support::synth::{connection, Send};

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn capture(name: &str) -> (Vec<Record>, cephshark::analysis::Summary) {
    let mut cfg = Config::default();
    if let Ok(text) = std::fs::read_to_string(dir().join(format!("{name}.keys"))) {
        let log = cephshark::msgr2::keys::KeyLog::parse(&text).unwrap();
        cfg.keys = Some(std::sync::Arc::new(log));
    }
    let f = std::fs::File::open(dir().join(format!("{name}.pcap"))).unwrap();
    let mut recs = Vec::new();
    let s = dissect(std::io::BufReader::new(f), cfg, &mut |r| recs.push(r)).unwrap();
    (recs, s)
}

const CAPTURES: [&str; 3] = ["none-crc", "cephx-crc", "cephx-secure"];

/// captures/README.md: every daemon and client is Ceph 16.2.15 (Pacific).
#[test]
fn bundled_captures_are_pacific_on_both_sides() {
    for name in CAPTURES {
        let (recs, summary) = capture(name);
        let mut identified = 0;
        for (id, c) in &summary.conns {
            if c.names.iter().all(Option::is_some) {
                identified += 1;
                assert_eq!(
                    c.releases,
                    [Some(Release::Pacific), Some(Release::Pacific)],
                    "{name} conn {id}"
                );
            }
        }
        assert!(
            identified >= 29,
            "{name}: {identified} connections identified"
        );
        let f = Filter::parse(
            "ceph.msg && ceph.peer.release == pacific && ceph.peer.receiver_release == pacific",
        )
        .unwrap();
        let messages = recs.iter().filter(|r| r.is_message()).count();
        let pacific = recs.iter().filter(|r| f.matches(r)).count();
        // Messages of connections whose idents the capture holds: all but
        // those of a connection picked up mid-stream.
        let mid: usize = recs
            .iter()
            .filter(|r| r.is_message() && summary.conns[&r.conn].names.iter().any(Option::is_none))
            .count();
        assert_eq!(pacific, messages - mid, "{name}");
    }
}

/// Every request of the bundled captures is answered: as many paired
/// replies as the receivers logged requests while the capture ran, no
/// unanswered request and no reply to nothing.
#[test]
fn bundled_captures_every_request_answered() {
    for name in CAPTURES {
        let (recs, _) = capture(name);
        let start = recs.iter().map(|r| r.ts.as_f64()).fold(f64::MAX, f64::min);
        let logged = |ty: &str| {
            ceph_logs::received(&dir().join(format!("{name}.logs")))
                .values()
                .flatten()
                .filter(|m| m.name == ty && m.time >= start)
                .count()
        };
        let paired = |reply: u16| {
            recs.iter()
                .filter(|r| r.msg.is_some_and(|h| h.msg_type == reply))
                .filter(|r| r.interop.as_ref().is_some_and(|n| n.request.is_some()))
                .count()
        };
        let (ops, cmds) = (logged("osd_op"), logged("mon_command"));
        // The OSD and monitor logs: 15 (14 in cephx-crc, whose first write
        // ended before tcpdump started) osd_op and 2 mon_command.
        assert_eq!(
            (ops, cmds),
            if name == "cephx-crc" {
                (14, 2)
            } else {
                (15, 2)
            },
            "{name}"
        );
        assert_eq!((paired(43), paired(51)), (ops, cmds), "{name}");
        let interop: Vec<_> = recs
            .iter()
            .flat_map(|r| r.problems())
            .filter(|p| p.kind.group() == cephshark::model::Group::Interop)
            .collect();
        assert_eq!(interop, vec![], "{name}");
        // Each reply names its request's row: same connection and tid.
        for r in recs
            .iter()
            .filter(|r| r.msg.is_some_and(|h| h.msg_type == 43))
        {
            let (row, _) = r.interop.as_ref().unwrap().request.unwrap();
            let q = recs.iter().find(|q| q.number == row).unwrap();
            assert_eq!(
                (q.conn, q.msg.unwrap().msg_type, q.msg.unwrap().tid),
                (r.conn, 42, r.msg.unwrap().tid)
            );
        }
    }
}

/// The frames of connection 2 of none-crc.pcap (client.4112 and osd.0):
/// CLIENT_IDENT, SERVER_IDENT, osd_op writefull tid 1, its reply.
fn real_exchange() -> [[Vec<u8>; 4]; 4] {
    let (recs, _) = capture("none-crc");
    let segs =
        |r: &Record| [0, 1, 2, 3].map(|i| r.frame().unwrap().segment(i).unwrap_or(&[]).to_vec());
    let of = |p: &dyn Fn(&Record) -> bool| {
        segs(recs.iter().find(|r| r.conn == ConnId(2) && p(r)).unwrap())
    };
    [
        of(&|r| r.frame().is_some_and(|f| f.tag() == Tag::ClientIdent)),
        of(&|r| r.frame().is_some_and(|f| f.tag() == Tag::ServerIdent)),
        of(&|r| r.msg.is_some_and(|h| h.msg_type == 42)),
        of(&|r| r.msg.is_some_and(|h| h.msg_type == 43)),
    ]
}

/// Banners, the idents, then `frames` (tag, segments, from the client),
/// one packet each, and the FIN that closes the connection.
fn converse(ident: &[[Vec<u8>; 4]; 2], frames: &[(bool, Tag, &[Vec<u8>; 4])]) -> Vec<Record> {
    // A conforming handshake up to the real idents, AUTH_DONE giving the
    // client the gid its CLIENT_IDENT claims.
    let gid = match cephshark::decode::control::Control::decode(Tag::ClientIdent, &ident[0][0]) {
        Some(cephshark::decode::control::Control::ClientIdent(c)) => c.gid.v,
        _ => panic!("CLIENT_IDENT"),
    };
    let mut sends = vec![
        Send {
            from_client: true,
            data: banner::encode(1, 0),
        },
        Send {
            from_client: false,
            data: banner::encode(1, 0),
        },
    ];
    sends.extend(support::mutants::handshake_auth(
        u64::try_from(gid).unwrap_or(0),
    ));
    sends.extend([
        Send {
            from_client: true,
            data: frame(Tag::ClientIdent.raw(), &ident[0]),
        },
        Send {
            from_client: false,
            data: frame(Tag::ServerIdent.raw(), &ident[1]),
        },
    ]);
    for (from_client, tag, segs) in frames {
        sends.push(Send {
            from_client: *from_client,
            data: frame(tag.raw(), segs),
        });
    }
    records(&connection(40000, 6800, &sends, 65000))
}

fn kinds(r: &Record) -> Vec<ProblemKind> {
    r.problems().iter().map(|p| p.kind).collect()
}

#[test]
fn a_request_with_no_reply_is_reported_when_the_connection_closes() {
    let [ci, si, op, reply] = real_exchange();
    let ident = [ci, si];
    let recs = converse(&ident, &[(true, Tag::Message, &op)]);
    let un: Vec<&Record> = recs
        .iter()
        .filter(|r| r.tag_name() == "[UNANSWERED]")
        .collect();
    assert_eq!(un.len(), 1, "{recs:#?}");
    let req = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 42))
        .unwrap();
    let p = &un[0].problems()[0];
    assert_eq!(p.kind, ProblemKind::RequestUnanswered);
    assert_eq!(p.kind.severity(), Severity::Warning);
    assert_eq!(p.field, "ceph.msg.tid");
    assert_eq!(p.offset, req.range().0);
    assert!(
        p.found.starts_with(&format!(
            "osd_op tid 1 (frame {}) unanswered after ",
            req.number
        )) && p.found.ends_with("s: the connection closed"),
        "{}",
        p.found
    );
    assert_eq!(un[0].conn, req.conn);
    assert_eq!(un[0].packets, vec![req.packets[0]]);
    assert!(cephshark::analysis::verify::findings(un[0]).len() == 1);

    // Answered: no such row, and the reply names its request.
    let recs = converse(
        &ident,
        &[(true, Tag::Message, &op), (false, Tag::Message, &reply)],
    );
    assert!(recs.iter().all(|r| r.tag_name() != "[UNANSWERED]"));
    let req = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 42))
        .unwrap();
    let rep = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 43))
        .unwrap();
    // synth: the i-th packet is at base + i ms; the reply is 2 packets later (an ACK between).
    assert_eq!(
        rep.interop.as_ref().unwrap().request,
        Some((req.number, 2_000_000))
    );
    assert_eq!(kinds(rep), vec![]);

    // A reply with no request before it is a note.
    let recs = converse(&ident, &[(false, Tag::Message, &reply)]);
    let rep = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 43))
        .unwrap();
    let p = &rep.problems()[0];
    assert_eq!(
        (p.kind, p.field, p.kind.severity()),
        (
            ProblemKind::ReplyUnrequested,
            "ceph.msg.tid",
            Severity::Note
        )
    );
    assert_eq!(p.offset, rep.frame().unwrap().segment_offsets[0] + 8);
}

/// The grace period: a request still waiting at the end of a capture that
/// did not close the connection is reported only past it.
#[test]
fn grace_period_at_the_end_of_the_capture() {
    use cephshark::analysis::interop::{InteropConfig, Pending};
    use cephshark::capture::{PacketIndex, Timestamp};
    let p = Pending {
        row: 7,
        dir: cephshark::tcp::Direction::ClientToServer,
        ts: Timestamp { secs: 10, nanos: 0 },
        offset: 100,
        len: 50,
        packet: PacketIndex(3),
        msg_type: 42,
        tid: 9,
    };
    let pr = cephshark::analysis::interop::unanswered_problem(&p, 6_500_000_000, false);
    assert_eq!(
        pr.found,
        "osd_op tid 9 (frame 7) unanswered after 6.500 s: the capture ended"
    );
    assert_eq!(pr.expected, "a osd_op_reply with tid 9");
    assert_eq!(InteropConfig::default().grace_ns, 5_000_000_000);
}

/// A MOSDOp v9 (Squid layout: the otel trace after the blkin trace, built
/// here from the real v8 front) sent to a server whose SERVER_IDENT
/// advertises Pacific features is flagged; to one advertising Squid's
/// (SERVER_QUINCY, SERVER_REEF, SERVER_SQUID added) it is not. The body
/// decodes in both cases.
#[test]
fn mosdop_v9_against_pacific_and_squid_servers() {
    let [ci, si, op, _] = real_exchange();
    let v8 = parse(
        42,
        &Parts {
            version: 8,
            front: &op[1],
            middle: &[],
            data: &op[3],
            elided: None,
        },
        0,
        &MsgContext::default(),
    )
    .unwrap();
    let o = v8.front::<OsdOp>().unwrap();
    let at = o.trace.parent.at + 8;
    let mut front = op[1][..at].to_vec();
    front.extend_from_slice(&Otel::encode(None));
    front.extend_from_slice(&op[1][at..]);
    let mut hdr = op[0].clone();
    hdr[20..22].copy_from_slice(&9u16.to_le_bytes());
    let v9 = [hdr, front, op[2].clone(), op[3].clone()];

    // SERVER_IDENT of osd.0: supported features 0x3f01cfbdfffdffff.
    let pacific = 0x3f01_cfbd_fffd_ffffu64;
    let pos = si[0]
        .windows(8)
        .position(|w| w == pacific.to_le_bytes())
        .unwrap();
    let squid = pacific | (1 << 33) | (1 << 31) | (1 << 49);
    let mut si_squid = si.clone();
    si_squid[0][pos..pos + 8].copy_from_slice(&squid.to_le_bytes());

    let recs = converse(&[ci.clone(), si], &[(true, Tag::Message, &v9)]);
    let m = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 42))
        .unwrap();
    let p = m
        .problems()
        .into_iter()
        .find(|p| p.kind == ProblemKind::VersionUnsupported)
        .unwrap();
    assert_eq!(p.field, "ceph.msg.version");
    assert_eq!(p.kind.severity(), Severity::Error);
    // The header's version field: segment 0, bytes 20..22, after the
    // banners and both idents.
    assert_eq!(p.offset, m.frame().unwrap().segment_offsets[0] + 20);
    assert_eq!(p.expected, "version <= 8 (pacific decodes up to 8)");
    assert_eq!(
        p.found,
        format!("version 9 (compat 3) to a pacific receiver, whose features {pacific:#x} lack SERVER_SQUID (0x202000000000000)")
    );
    // Decoded anyway: the otel trace is in the tree, the text is Ceph's.
    let tree = record_tree(m);
    assert_eq!(
        tree.find("ceph.osd_op.otel_trace.valid").unwrap().value,
        Value::Bool(false)
    );
    assert!(m.info().contains(" 1.7 1:ff7b1f36:::obj1:head [writefull 0~12813 in=12813b] snapc 0=[] ondisk+write+known_if_redirected e9)"), "{}", m.info());
    assert_eq!(kinds(m), vec![ProblemKind::VersionUnsupported]);

    let recs = converse(&[ci, si_squid], &[(true, Tag::Message, &v9)]);
    let m = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 42))
        .unwrap();
    assert_eq!(
        m.interop.as_ref().unwrap().receiver.unwrap().1,
        Some(Release::Squid)
    );
    assert_eq!(kinds(m), vec![], "{:?}", m.problems());
}

/// An osd_op_reply (MOSDOpReply.h: Pacific's HEAD_VERSION 8) claiming
/// version 9 with compat_version 9 is refused by the Pacific client it is
/// sent to: Message.cc decode_message will not decode a message whose
/// compat_version exceeds the class's version. The same reply with compat
/// 2 is read (decode_payload takes any version >= 2 field by field), so it
/// draws no verdict. Built from the real v8 reply of none-crc.pcap.
#[test]
fn osd_op_reply_v9_to_a_pacific_client() {
    let [ci, si, op, reply] = real_exchange();
    let with = |version: u16, compat: u16| {
        let mut r = reply.clone();
        r[0][20..22].copy_from_slice(&version.to_le_bytes());
        // ceph_msg_header2: compat_version at bytes 37..39 (msg.h).
        r[0][37..39].copy_from_slice(&compat.to_le_bytes());
        r
    };
    let (refused, read) = (with(9, 9), with(9, 2));
    // CLIENT_IDENT of client.4112: the Pacific features of the bundled
    // captures.
    let pacific = 0x3f01_cfbd_fffd_ffffu64;
    assert!(ci[0].windows(8).any(|w| w == pacific.to_le_bytes()));

    let recs = converse(
        &[ci.clone(), si.clone()],
        &[(true, Tag::Message, &op), (false, Tag::Message, &refused)],
    );
    let m = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 43))
        .unwrap();
    assert_eq!(
        m.interop.as_ref().unwrap().receiver.unwrap(),
        (pacific, Some(Release::Pacific))
    );
    assert_eq!(kinds(m), vec![ProblemKind::VersionUnsupported]);
    let p = &m.problems()[0];
    assert_eq!(p.field, "ceph.msg.version");
    assert_eq!(p.kind.severity(), Severity::Error);
    assert_eq!(p.offset, m.frame().unwrap().segment_offsets[0] + 20);
    assert_eq!(
        p.expected,
        "version <= 8 or compat_version <= 8 (pacific decodes up to 8)"
    );
    // The client has NEW_OSDOPREPLY_ENCODING (bit 58): no feature is named.
    assert_eq!(p.found, "version 9 (compat 9) to a pacific receiver");

    let recs = converse(
        &[ci, si],
        &[(true, Tag::Message, &op), (false, Tag::Message, &read)],
    );
    let m = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 43))
        .unwrap();
    assert_eq!(m.msg.unwrap().version, 9);
    assert_eq!(m.msg.unwrap().compat_version, 2);
    assert_eq!(kinds(m), vec![], "{:?}", m.problems());
}

/// Op codes and flag bits no release defines are notes, as Ceph prints
/// them `???`; an error result is named (rados.h, errno.h: -95 EOPNOTSUPP)
/// in the tree, the filter and -z results.
#[test]
fn unknown_ops_and_flags_and_named_results() {
    let [ci, si, op, reply] = real_exchange();
    let v8 = parse(
        42,
        &Parts {
            version: 8,
            front: &op[1],
            middle: &[],
            data: &op[3],
            elided: None,
        },
        0,
        &MsgContext::default(),
    )
    .unwrap();
    let o = v8.front::<OsdOp>().unwrap();
    let mut bad = op.clone();
    // Op code 0x2fff (no release defines it), op flag bit 31, message flag bit 30.
    let code = o.ops[0].at;
    bad[1][code..code + 2].copy_from_slice(&0x2fffu16.to_le_bytes());
    bad[1][code + 2..code + 6].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    let fl = o.flags.at;
    let flags = o.flags.v | 0x4000_0000;
    bad[1][fl..fl + 4].copy_from_slice(&flags.to_le_bytes());
    let rv = cephshark::decode::msg::parse(
        43,
        &Parts {
            version: 8,
            front: &reply[1],
            middle: &[],
            data: &reply[3],
            elided: None,
        },
        0,
        &MsgContext::default(),
    )
    .unwrap();
    let rep = rv
        .front::<cephshark::decode::msg::osd_op_reply::OsdOpReply>()
        .unwrap();
    let mut err = reply.clone();
    let ra = rep.result.at;
    err[1][ra..ra + 4].copy_from_slice(&(-95i32).to_le_bytes());

    let recs = converse(
        &[ci, si],
        &[(true, Tag::Message, &bad), (false, Tag::Message, &err)],
    );
    let m = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 42))
        .unwrap();
    let s0 = m.frame().unwrap().segment_offsets[0];
    let front = s0 + op[0].len() as u64 + 4; // msgr2.1: segment 0, its crc, then the front
    let ps = m.problems();
    let got: Vec<_> = ps
        .iter()
        .map(|p| (p.kind, p.field, p.offset, p.found.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ProblemKind::OsdFlagsUnknown,
                "ceph.osd_op.flags",
                front + fl as u64,
                format!("{flags:#x} (??? bits 0x40000000)").as_str()
            ),
            (
                ProblemKind::OsdOpUnknown,
                "ceph.osd_op.op.code",
                front + code as u64,
                "0x2fff (???)"
            ),
            (
                ProblemKind::OsdFlagsUnknown,
                "ceph.osd_op.op.flags",
                front + code as u64 + 2,
                "0x80000000 (??? bits 0x80000000)"
            ),
        ]
    );
    assert!(ps.iter().all(|p| p.kind.severity() == Severity::Note));
    assert!(m.info().contains("[???"), "{}", m.info());

    let r = recs
        .iter()
        .find(|r| r.msg.is_some_and(|h| h.msg_type == 43))
        .unwrap();
    let f = Filter::parse("ceph.osd_op_reply.result == EOPNOTSUPP").unwrap();
    assert!(f.matches(r));
    assert!(!Filter::parse("ceph.osd_op_reply.result == EINVAL")
        .unwrap()
        .matches(r));
    let tree = record_tree(r);
    assert_eq!(
        tree.find("ceph.osd_op_reply.result").unwrap().to_string(),
        "Result: -95 EOPNOTSUPP"
    );
    let mut st =
        cephshark::analysis::stats::Stats::new(&[cephshark::analysis::stats::StatKind::Results]);
    for r in &recs {
        st.add(r, None);
    }
    assert_eq!(
        st.results
            .counts
            .iter()
            .map(|((o, r), n)| (o.as_str(), *r, *n))
            .collect::<Vec<_>>(),
        // The reply carries its own ops (here the real reply's writefull).
        vec![("writefull", -95, 1)]
    );
    assert!(matches!(recs.last().unwrap().kind, RecordKind::Frame(_)));
}
