//! A snappy segment (compressor/snappy/SnappyCompressor.h): one raw snappy
//! block, not the framed stream format:
//!
//! ```text
//!  varint uncompressed_len | literal and copy elements ...
//! ```
//!
//! The length in front is read (and checked against the cap) before any
//! output is allocated.

use super::Failure;

/// Decompress a snappy segment of at most `cap` bytes of output.
pub fn decode(seg: &[u8], cap: usize) -> Result<Vec<u8>, Failure> {
    let claimed = snap::raw::decompress_len(seg).map_err(|e| Failure::Corrupt(e.to_string()))?;
    if claimed > cap {
        return Err(Failure::TooLong {
            claimed: u64::try_from(claimed).unwrap_or(u64::MAX),
        });
    }
    let mut out = vec![0u8; claimed];
    let n = snap::raw::Decoder::new()
        .decompress(seg, &mut out)
        .map_err(|e| Failure::Corrupt(e.to_string()))?;
    out.truncate(n);
    Ok(out)
}

/// Compress `data` as one raw snappy block (`snappy::RawCompress`).
pub fn encode(data: &[u8]) -> Vec<u8> {
    snap::raw::Encoder::new()
        .compress_vec(data)
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_claim() {
        let data = b"osd_op osd_op osd_op osd_op rbd_data.1234".repeat(20);
        let seg = encode(&data);
        assert!(seg.len() < data.len());
        assert_eq!(decode(&seg, 1 << 20).unwrap(), data);
        // The varint in front: 820 = 0xb4 0x06.
        assert_eq!(&seg[..2], &[0xb4, 0x06]);
        assert_eq!(decode(&seg, 100), Err(Failure::TooLong { claimed: 820 }));
    }

    #[test]
    fn huge_claim_is_refused_before_allocating() {
        // varint 0xffffffff: 4 GiB claimed by five bytes.
        let seg = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        assert_eq!(
            decode(&seg, 128 << 20),
            Err(Failure::TooLong {
                claimed: 0xffff_ffff
            })
        );
    }

    #[test]
    fn corrupt_is_an_error() {
        let mut seg = encode(&b"abcdefgh".repeat(30));
        let last = seg.len() - 1;
        seg.truncate(last);
        assert!(matches!(decode(&seg, 1 << 20), Err(Failure::Corrupt(_))));
    }
}
