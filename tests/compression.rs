//! msgr2 on-wire compression (Ceph 17+) through the whole pipeline: a
//! connection whose banners offer CEPH_MSGR2_FEATURE_COMPRESSION, that
//! negotiates a method with COMPRESSION_REQUEST / COMPRESSION_DONE and
//! then sends MESSAGE frames whose segments are compressed in the
//! method's own format (Ceph's src/compressor/*), in crc and in secure
//! mode, written as a pcap.
//!
//! No Ceph 17+ capture exists here: the message compressed is a real
//! one, the first osd_op of none-crc.pcap's connection 2, whose receiver
//! logged `1 ==== osd_op(client.4112.0:1 1.7 1.6cf8deff (undecoded)
//! ondisk+write+known_if_redirected e9) v8 ==== 213+0+12813`
//! (captures/none-crc.logs, osd.0), and its reply, which client.4112
//! logged `1 ==== osd_op_reply(1 obj1 [writefull 0~12813] v9'1 uv1
//! ondisk = 0) v8 ==== 148+0+0`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use cephshark::analysis::Record;
use cephshark::analysis::{dissect, record_tree, Config};
use cephshark::decode::control::Control;
use cephshark::decode::msg::osd_op::OsdOp;
use cephshark::model::Value;
use cephshark::msgr2::compress::{self, Method};
use cephshark::msgr2::encoder::FrameSpec;
use cephshark::msgr2::Tag;
use support::compress_conv::*;

/// The osd_op decodes as osd.0 logged it: seq 1, tid 1, sizes
/// 213+0+12813, `osd_op(client.4112.0:1 1.7 1.6cf8deff ... e9)`.
fn assert_logged_osd_op(r: &Record, what: &str) {
    let h = r.msg.unwrap();
    assert_eq!((h.seq, h.tid, h.msg_type), (1, 1, 42), "{what}");
    assert_eq!(r.segment_lens()[1..], [213, 0, 12813], "{what}");
    let op = r
        .payload
        .as_ref()
        .and_then(|p| p.front::<OsdOp>())
        .unwrap_or_else(|| panic!("{what}: no osd_op front"));
    assert_eq!(op.hash.v, 0x6cf8_deff, "{what}");
    assert_eq!(op.epoch.v, 9, "{what}");
    // The object, as the reply's log line names it.
    assert_eq!(op.oid.v, "obj1", "{what}");
    let info = r.info();
    assert!(
        info.contains(" osd_op(client.4112.0:1 1.7 ")
            && info.contains(" ondisk+write+known_if_redirected e9)"),
        "{what}: {info}"
    );
    assert_eq!(r.status(), "ok", "{what}: {:?}", r.problems());
}

#[test]
fn each_method_in_crc_and_secure_mode_decodes_the_logged_osd_op() {
    let [_, _, op, reply] = real();
    for secure in [false, true] {
        for m in methods() {
            let what = format!("{m} secure={secure}");
            let spec = message(&op).compressed(m).unwrap();
            // The data segment went on the wire compressed.
            assert!(spec.segments[3].0.len() < 12813, "{what}");
            let back = message(&reply).compressed(m).unwrap();
            let recs = converse(
                secure,
                Some((true, m.raw())),
                &[(true, spec.clone()), (false, back)],
            );
            let r = osd_op_row(&recs);
            let f = r.frame().unwrap();
            assert!(f.preamble.compressed() && f.decompressed(), "{what}");
            assert_eq!(f.decrypted, secure, "{what}");
            // The preamble holds the compressed lengths; the segments are
            // the original bytes again.
            assert_eq!(
                f.preamble.seg_len(3) as usize,
                spec.segments[3].0.len(),
                "{what}"
            );
            for (i, seg) in op.iter().enumerate() {
                assert_eq!(f.segment(i).unwrap(), &seg[..], "{what} segment {i}");
            }
            assert_logged_osd_op(r, &what);
            // The server's reply, compressed too, as client.4112 logged it.
            let rep = recs
                .iter()
                .find(|r| r.msg.is_some_and(|h| h.msg_type == 43))
                .unwrap();
            let h = rep.msg.unwrap();
            assert_eq!((h.seq, h.tid), (1, 1), "{what}");
            assert_eq!(rep.segment_lens()[1..], [148, 0, 0], "{what}");
            assert!(rep.frame().unwrap().decompressed(), "{what}");
            assert!(
                rep.info()
                    .contains("osd_op_reply(1 obj1 [writefull 0~12813] v9'1 uv1 ondisk = 0)"),
                "{what}: {}",
                rep.info()
            );
            // Every row of the connection checks.
            for r in &recs {
                assert_eq!(r.status(), "ok", "{what} row {}: {}", r.number, r.info());
            }
        }
    }
}

#[test]
fn multi_segment_message_with_a_middle() {
    let [_, _, op, _] = real();
    let middle: Vec<u8> = (0..700u32).map(|i| (i % 17) as u8 + b'a').collect();
    for secure in [false, true] {
        for m in methods() {
            let spec = FrameSpec::message(&op[0], &op[1], &middle, &op[3])
                .compressed(m)
                .unwrap();
            assert_eq!(spec.segments.len(), 4);
            let recs = converse(secure, Some((true, m.raw())), &[(true, spec)]);
            let r = osd_op_row(&recs);
            let f = r.frame().unwrap();
            assert_eq!(r.segment_lens(), [41, 213, 700, 12813], "{m}");
            assert_eq!(f.segment(2).unwrap(), &middle[..], "{m}");
            assert_eq!(f.segment(3).unwrap(), &op[3][..], "{m}");
            assert_eq!(r.status(), "ok", "{m}: {:?}", r.problems());
        }
    }
}

/// lz4's streaming form: the data segment as three blocks (three buffers
/// of Ceph's bufferlist), the second and third copying from the first.
#[test]
fn lz4_linked_blocks() {
    let [_, _, op, _] = real();
    let data = &op[3];
    let (a, rest) = data.split_at(5000);
    let (b, c) = rest.split_at(4000);
    // Later blocks repeat the first block's bytes.
    let b2 = [b, &a[..1000]].concat();
    let c2 = [&a[..2000], c].concat();
    let seg3 = compress::lz4::encode(&[a, &b2, &c2]);
    assert_eq!(&seg3[..4], &3u32.to_le_bytes());
    let mut spec = message(&op);
    for s in spec.segments.iter_mut().take(2) {
        s.0 = compress::compress(Method::Lz4, &s.0).unwrap();
    }
    spec.segments[3].0 = seg3.clone();
    spec.flags |= 1;
    let whole = [a, &b2[..], &c2[..]].concat();
    // The third block alone, without its history, does not decode.
    let c0 = u32::from_le_bytes(seg3[8..12].try_into().unwrap()) as usize;
    let c1 = u32::from_le_bytes(seg3[16..20].try_into().unwrap()) as usize;
    let c2len = u32::from_le_bytes(seg3[24..28].try_into().unwrap()) as usize;
    let third = &seg3[28 + c0 + c1..28 + c0 + c1 + c2len];
    assert!(lz4_flex::block::decompress(third, c2.len()).ok() != Some(c2.clone()));
    for secure in [false, true] {
        let recs = converse(secure, Some((true, 4)), &[(true, spec.clone())]);
        let r = osd_op_row(&recs);
        let f = r.frame().unwrap();
        assert_eq!(f.segment(3).unwrap(), &whole[..]);
        assert_eq!(r.segment_lens()[3] as usize, whole.len());
        assert_eq!(r.status(), "ok", "{:?}", r.problems());
    }
}

#[test]
fn tree_shows_both_sizes_and_hex_the_decompressed_bytes() {
    let [_, _, op, _] = real();
    let spec = message(&op).compressed(Method::Zstd).unwrap();
    let recs = converse(false, Some((true, 3)), &[(true, spec.clone())]);
    let r = osd_op_row(&recs);
    let tree = record_tree(r);
    let nodes = tree.walk();
    let vals = |abbrev: &str| -> Vec<u64> {
        nodes
            .iter()
            .filter(|n| n.def.abbrev == abbrev)
            .filter_map(|n| n.value.as_u64())
            .collect()
    };
    let wire: Vec<u64> = spec.segments.iter().map(|s| s.0.len() as u64).collect();
    assert_eq!(vals("msgr2.segment.compressed_len"), wire);
    assert_eq!(
        vals("msgr2.segment.decompressed_len"),
        vec![41, 213, 0, 12813]
    );
    let m = tree.find("msgr2.compression.method").unwrap();
    assert_eq!(m.value, Value::Enum(3, Some("zstd")));
    // The osd_op's own fields are below, read from the decompressed front.
    let oid = tree.find("ceph.osd_op.oid").unwrap();
    assert_eq!(
        oid.span.as_ref().unwrap().source,
        cephshark::model::Source::Decompressed
    );
    // -x: the decompressed bytes, labelled.
    let mut out = Vec::new();
    cephshark::cli::tree::write_hex(&mut out, r).unwrap();
    let text = String::from_utf8(out).unwrap();
    let f = r.frame().unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "Decompressed frame ({} bytes; {} on the wire):",
            32 + 41 + 213 + 12813,
            f.wire_len
        )
    );
    assert_eq!(f.data.len(), 32 + 41 + 213 + 12813);
    // JSON names the source of each span.
    let json = cephshark::cli::tree::tree_json(r).to_string();
    assert!(json.contains("\"source\":\"decompressed\""));
}

/// The per-connection answer: the summary, `-z conv` and the server's
/// replies compressed too.
#[test]
fn conv_shows_the_method() {
    let [_, _, op, reply] = real();
    let spec = message(&op).compressed(Method::Zstd).unwrap();
    let back = message(&reply).compressed(Method::Zstd).unwrap();
    let sends = [(true, spec), (false, back)];
    let (pcap, _) = capture(false, Some((true, 3)), &sends, Config::default());
    let mut recs = Vec::new();
    let summary = dissect(&pcap[..], Config::default(), &mut |r| recs.push(r)).unwrap();
    let c = summary.conns.values().next().unwrap();
    assert_eq!(
        c.compression,
        Some(compress::Done {
            on: true,
            method: Method::Zstd
        })
    );
    assert_eq!(c.compressed_frames, 2);
    // Kept in the test scratch directory: the capture the README shows.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("compress-zstd.pcap");
    std::fs::write(&path, &pcap).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-r", path.to_str().unwrap(), "-q", "-z", "conv"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let head = out.lines().find(|l| l.starts_with("conn")).unwrap();
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("0 "))
        .unwrap();
    let col = head.find("compr").unwrap();
    assert_eq!(row.get(col..col + 6), Some("zstd  "), "{out}");
    // Without compression negotiated the column says `-`; turned off, `off`.
    let (pcap, _) = capture(false, Some((false, 0)), &[], Config::default());
    let summary = dissect(&pcap[..], Config::default(), &mut |_| {}).unwrap();
    let c = summary.conns.values().next().unwrap();
    assert_eq!(c.compression.map(|d| d.text()), Some("off".to_string()));
}

/// The connections view answers the same question (`c` in the UI).
#[cfg(feature = "tui")]
#[test]
fn connections_view_shows_the_method() {
    use cephshark::tui::{self, Theme, TuiOptions};
    let [_, _, op, reply] = real();
    let spec = message(&op).compressed(Method::Lz4).unwrap();
    let back = message(&reply).compressed(Method::Lz4).unwrap();
    let sends = [(true, spec), (false, back)];
    let (pcap, cfg) = capture(true, Some((true, 4)), &sends, Config::default());
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("compress-lz4-secure.pcap");
    std::fs::write(&path, &pcap).unwrap();
    let opts = TuiOptions {
        path,
        config: cfg,
        filter: None,
    };
    let app = tui::load(&opts, Theme::colored(), 120, 30).unwrap();
    let lines = tui::conns::lines(&app);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].mode.as_str(), lines[0].compression.as_str()),
        ("secure", "lz4")
    );
    assert_eq!(lines[0].problems, 0);
}

/// `--export-streams`: a decompressed frame is written as if sent plain,
/// its preamble rewritten with the decompressed lengths (flag clear, CRC
/// good), so that the file reads frame by frame from its preambles.
#[test]
fn streams_are_exported_decompressed() {
    use cephshark::msgr2::preamble::{self, preamble};
    let [_, _, op, reply] = real();
    let spec = message(&op).compressed(Method::Snappy).unwrap();
    let back = message(&reply).compressed(Method::Snappy).unwrap();
    let recs = converse(true, Some((true, 1)), &[(true, spec), (false, back)]);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("compress-streams");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut x = cephshark::cli::export::StreamExporter::new(&dir).unwrap();
    for r in &recs {
        x.add(r).unwrap();
    }
    assert_eq!(x.skipped, 0);
    let paths = x.finish().unwrap();
    let c2s = paths
        .iter()
        .find(|p| p.to_string_lossy().contains("-c2s-"))
        .unwrap();
    let bytes = std::fs::read(c2s).unwrap();
    let mut at = 0;
    let mut last = None;
    while at < bytes.len() {
        let (_, p) = preamble(&bytes[at..]).unwrap();
        assert!(p.crc_ok(), "preamble at {at}");
        let n: usize = (0..4).map(|i| p.seg_len(i) as usize).sum();
        last = Some((p, at));
        at += preamble::LEN + n;
    }
    assert_eq!(at, bytes.len());
    let (p, start) = last.unwrap();
    assert_eq!(p.tag, Tag::Message);
    assert!(!p.compressed());
    assert_eq!([0, 1, 2, 3].map(|i| p.seg_len(i)), [41, 213, 0, 12813]);
    let body = &bytes[start + preamble::LEN..];
    assert_eq!(&body[..41], &op[0][..]);
    assert_eq!(&body[41 + 213..], &op[3][..]);
}

/// Control frames go compressed too (compression_onwire.cc compresses
/// every frame past the minimum size): a KEEPALIVE2 and its ACK read as
/// the stamp they carry (frames_v2.h KeepAliveFrame: utime_t).
#[test]
fn compressed_control_frames_decode() {
    let stamp = [0x65u8, 0x53, 0xf1, 0x00, 0x40, 0x42, 0x0f, 0x00];
    for m in methods() {
        let ka = FrameSpec::control(Tag::Keepalive2.raw(), &stamp)
            .compressed(m)
            .unwrap();
        let ack = FrameSpec::control(Tag::Keepalive2Ack.raw(), &stamp)
            .compressed(m)
            .unwrap();
        let recs = converse(true, Some((true, m.raw())), &[(true, ka), (false, ack)]);
        for (tag, from_client) in [(Tag::Keepalive2, true), (Tag::Keepalive2Ack, false)] {
            let r = recs
                .iter()
                .find(|r| r.frame().is_some_and(|f| f.tag() == tag))
                .unwrap();
            assert_eq!(r.dir.index(), usize::from(!from_client));
            assert!(r.frame().unwrap().decompressed(), "{m} {tag}");
            let t = match r.control() {
                Some(Control::Keepalive2(s)) | Some(Control::Keepalive2Ack(s)) => s.t.v,
                other => panic!("{m} {tag}: {other:?}"),
            };
            assert_eq!(t, (0x00f1_5365, 0x000f_4240), "{m} {tag}");
            assert_eq!(r.status(), "ok", "{m} {tag}: {:?}", r.problems());
        }
    }
}

/// A decoder told that no view shows data bytes (verify, `-q`) still keeps
/// every byte of a compressed frame: its data segment is decompressed
/// from the whole of it, so nothing of it is elided.
#[test]
fn compressed_data_segments_are_never_elided() {
    let [_, _, op, _] = real();
    // 600 KiB that do not compress: the compressed segment stays larger
    // than what an uncompressed frame would have elided.
    let mut x = 0x9e37_79b9u32;
    let data: Vec<u8> = (0..600 << 10)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    for m in methods() {
        let spec = FrameSpec::message(&op[0], &op[1], b"", &data)
            .compressed(m)
            .unwrap();
        assert!(spec.segments[3].0.len() > 500 << 10, "{m}");
        let mut cfg = Config::default();
        cfg.decoder.elide_data = true;
        let (pcap, cfg) = capture_mss(false, Some((true, m.raw())), &[(true, spec)], cfg, 65_000);
        let mut recs = Vec::new();
        dissect(&pcap[..], cfg, &mut |r| recs.push(r)).unwrap();
        let r = osd_op_row(&recs);
        let f = r.frame().unwrap();
        assert_eq!(f.elided, None, "{m}");
        assert_eq!(f.segment(3).unwrap(), &data[..], "{m}");
        assert_eq!(r.status(), "ok", "{m}: {:?}", r.problems());
    }
    // The same frame uncompressed has its middle elided.
    let spec = FrameSpec::message(&op[0], &op[1], b"", &data);
    let mut cfg = Config::default();
    cfg.decoder.elide_data = true;
    let (pcap, cfg) = capture_mss(false, None, &[(true, spec)], cfg, 65_000);
    let mut recs = Vec::new();
    dissect(&pcap[..], cfg, &mut |r| recs.push(r)).unwrap();
    let r = osd_op_row(&recs);
    let f = r.frame().unwrap();
    let e = f.elided.clone().unwrap();
    // Whole packets of at most 65 000 bytes inside the middle.
    let middle = (600 << 10) - (128 << 10);
    assert!(e.len() <= middle && e.len() + 2 * 65_000 > middle, "{e:?}");
    assert_eq!(r.status(), "ok", "{:?}", r.problems());
}
