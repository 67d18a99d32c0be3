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
