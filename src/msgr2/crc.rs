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
