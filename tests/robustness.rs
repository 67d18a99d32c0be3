//! No input makes cephshark panic, hang or allocate without bound: random
//! bytes at every stage, and real captures with random damage.

use cephshark::fuzzing;
use proptest::prelude::*;

fn real() -> &'static [u8] {
    static DATA: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/keylog-rados.pcap"),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_at_every_stage(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        fuzzing::packets(&data);
        fuzzing::frames(&data);
        fuzzing::capture(&data);
        fuzzing::secure_frames(&data);
        fuzzing::payloads(&data);
        fuzzing::filter(&data);
        fuzzing::keys(&data);
        fuzzing::msgr1(&data);
        fuzzing::decompress(&data);
    }

    #[test]
    fn msgr1_msgs_that_look_almost_right(front in proptest::collection::vec(any::<u8>(), 0..300), at in any::<usize>(), bit in 0u8..8) {
        // A whole MSG with one bit flipped anywhere: header, front or footer.
        let mut m = cephshark::msgr1::encoder::msg(1, 42, [&front, &[], &[]], true, 1);
        let i = at % m.len();
        m[i] ^= 1 << bit;
        let mut data = vec![5u8];
        data.extend_from_slice(&m);
        fuzzing::msgr1(&data);
    }

    #[test]
    fn frames_that_look_almost_right(seed in proptest::collection::vec(any::<u8>(), 32..600), tag in 1u8..23) {
        // A valid preamble followed by random bytes: CRCs fail, lengths are random.
        let len = u32::from_le_bytes([seed[0], seed[1], 0, 0]);
        let pre = cephshark::msgr2::preamble::encode(tag, &[cephshark::msgr2::preamble::SegmentDesc { len, align: 8 }], 0);
        let mut data = vec![4u8];
        data.extend_from_slice(&pre);
        data.extend_from_slice(&seed);
        fuzzing::frames(&data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A real capture with bytes flipped anywhere (headers, TCP, msgr2) and
    /// cut at a random length still dissects to the end.
    #[test]
    fn damaged_real_capture(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40), cut in any::<prop::sample::Index>()) {
        let mut data = real().to_vec();
        for (at, x) in flips {
            let i = at.index(data.len());
            data[i] ^= x | 1;
        }
        let keep = cut.index(data.len()).max(data.len() / 2);
        data.truncate(keep);
        fuzzing::capture(&data);
    }
}

/// The payload selector reads back what the seed writer wrote.
#[test]
fn payload_inputs_read_back() {
    use fuzzing::Payload;
    let m = Payload::Message {
        msg_type: 0x704,
        version: 3,
        parts: [b"front", b"mid", b"data bytes"],
    };
    let b = m.to_bytes();
    assert_eq!(b[..9], [0x80, 0x04, 0x07, 3, 0, 5, 0, 3, 0]);
    assert_eq!(Payload::read(&b), Some(m));
    let c = Payload::Control {
        tag: 1,
        payload: &[8, 1],
    };
    assert_eq!(c.to_bytes(), [1, 8, 1]);
    assert_eq!(Payload::read(&[1, 8, 1]), Some(c));
    assert_eq!(Payload::read(&[]), None);
}

/// A segment record becomes the IPv4/TCP packet it describes.
#[test]
fn segment_records_build_their_packets() {
    use cephshark::capture::{parse_tcp, LinkType};
    use fuzzing::segments::{isn, Seg};
    let seg = Seg {
        flow: 3,
        from_server: true,
        syn: false,
        ack_flag: true,
        fin: false,
        rst: false,
        snapped: false,
        seq: 0x200,
        ack: 7,
        payload: b"ceph v2",
    };
    let bytes = seg.to_bytes();
    assert_eq!(bytes.len(), 11 + 7);
    assert_eq!(Seg::read(&bytes), Some((seg, &[][..])));
    let (pkt, wire) = seg.packet();
    assert_eq!((pkt.len(), wire), (47, 47));
    let t = parse_tcp(LinkType::RAW, &pkt).unwrap().unwrap();
    assert_eq!(t.src.to_string(), "10.0.0.2:3300");
    assert_eq!(t.dst.to_string(), "10.0.0.1:40003");
    // The server of flow 3 starts at 0xffffff00: offset 0x200 wraps.
    assert_eq!(isn(3, true), 0xffff_ff00);
    assert_eq!(t.seq, 0x100);
    assert_eq!(t.ack, isn(3, false) + 7);
    assert_eq!(t.payload, b"ceph v2");
}

/// Every input the fuzzers ever found (`fuzz/regressions/TARGET-KIND-ID`)
/// runs through its target's entry point again, and quickly: a crash fails
/// here, and so does a slow input (the budget is generous against a debug
/// build; the inputs took libFuzzer over 10 s in release before their fix).
#[test]
fn fuzz_regressions_replay() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let target = name.split('-').next().unwrap_or("");
        let started = std::time::Instant::now();
        match target {
            "capture" => fuzzing::capture(&data),
            "packets" => fuzzing::packets(&data),
            "frames" => fuzzing::frames(&data),
            "secure" => fuzzing::secure_frames(&data),
            "payloads" => fuzzing::payloads(&data),
            "filter" => fuzzing::filter(&data),
            "keys" => fuzzing::keys(&data),
            other => panic!("{name}: no fuzz target {other:?}"),
        }
        let took = started.elapsed();
        assert!(took.as_secs() < 5, "{name} took {took:?}");
        seen += 1;
    }
    assert!(seen >= 1, "no regression inputs in {}", dir.display());
}
