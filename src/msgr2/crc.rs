//! CRC32C as Ceph computes it on the wire.
//!
//! Ceph's `ceph_crc32c(seed, buf)` is the raw Castagnoli register update with
//! no pre- or post-inversion (FACTS.md "CRCs"; frames_v2.cc). The `crc32c`
//! crate computes the common form (init and xorout 0xFFFFFFFF), so
//! `ceph_crc32c(seed, b) == !crc32c_append(!seed, b)`.

/// Seed of the preamble CRC (frames_v2.cc: `ceph_crc32c(0, preamble, 28)`).
pub const PREAMBLE_SEED: u32 = 0;
/// Seed of every segment CRC (frames_v2.cc: `bufferlist::crc32c(-1)`).
pub const SEGMENT_SEED: u32 = 0xFFFF_FFFF;

/// `ceph_crc32c(seed, data)`.
pub fn ceph_crc32c(seed: u32, data: &[u8]) -> u32 {
    !crc32c::crc32c_append(!seed, data)
}

/// CRC of a 28-byte preamble prefix.
pub fn preamble_crc(data: &[u8]) -> u32 {
    ceph_crc32c(PREAMBLE_SEED, data)
}

/// CRC of one segment's bytes.
pub fn segment_crc(data: &[u8]) -> u32 {
    ceph_crc32c(SEGMENT_SEED, data)
}

/// Segments at least this long are split when a second thread may help.
pub const SPLIT_MIN: usize = 512 << 10;

/// [`segment_crc`], its second half computed on another thread when
/// `split` is set and the segment is large: CRC32C of `a || b` follows from
/// the register after `a` and the CRC of `b` alone (`crc32c_combine`).
pub fn segment_crc_split(data: &[u8], split: bool) -> u32 {
    if !split || data.len() < SPLIT_MIN {
        return segment_crc(data);
    }
    let (a, b) = data.split_at(data.len() / 2);
    std::thread::scope(|s| {
        let second = std::thread::Builder::new().spawn_scoped(s, || crc32c::crc32c(b));
        let first = crc32c::crc32c_append(!SEGMENT_SEED, a);
        match second.ok().and_then(|h| h.join().ok()) {
            Some(c) => !crc32c::crc32c_combine(first, c, b.len()),
            None => !crc32c::crc32c_append(first, b),
        }
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    // RESEARCH.md A6: values for "123456789".
    #[test]
    fn check_values() {
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(ceph_crc32c(0, b"123456789"), 0x58E3_FA20);
        assert_eq!(ceph_crc32c(0xFFFF_FFFF, b"123456789"), 0x1CF9_6D7C);
        assert_eq!(segment_crc(b""), 0xFFFF_FFFF);
        // Split in two (on two threads) or not, the same value.
        let mut x = 0x9e37_79b9_u32;
        let big: Vec<u8> = (0..SPLIT_MIN * 3 + 7)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 24) as u8
            })
            .collect();
        for len in [0, 1, SPLIT_MIN - 1, SPLIT_MIN, SPLIT_MIN + 1, big.len()] {
            let d = &big[..len];
            assert_eq!(segment_crc_split(d, true), segment_crc(d), "{len}");
            assert_eq!(segment_crc_split(d, false), segment_crc(d), "{len}");
        }
        assert_eq!(preamble_crc(b""), 0);
    }

    // FACTS.md worked example: a real HELLO preamble.
    #[test]
    fn real_hello_preamble() {
        let mut p = [0u8; 28];
        p[..8].copy_from_slice(&[0x01, 0x01, 0x24, 0, 0, 0, 0x08, 0]);
        assert_eq!(preamble_crc(&p), 0x066b_bd3f);
    }
}
