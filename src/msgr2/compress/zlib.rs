//! A zlib segment (compressor/zlib/ZlibCompressor.cc): one byte naming the
//! compressor that wrote it, then a raw deflate stream (window bits -15,
//! no zlib header or checksum):
//!
//! ```text
//!  u8 compressor (0 = zlib, 1 = ISA-L) | deflate stream ...
//! ```
//!
//! Deflate carries no output length: the output grows in steps up to
//! `cap` + 1 bytes, and more than `cap` is refused; a stream that stops
//! before its final block is corrupt.

use super::Failure;
use std::io::Read;

/// The first byte of a segment written by zlib.
pub const BY_ZLIB: u8 = 0;
/// The first byte of a segment written by ISA-L.
pub const BY_ISAL: u8 = 1;

/// Output grows by at most this much at a time.
const STEP: usize = 1 << 20;

fn too_long(n: usize) -> Failure {
    Failure::TooLong {
        claimed: u64::try_from(n).unwrap_or(u64::MAX),
    }
}

/// Decompress a zlib segment of at most `cap` bytes of output.
pub fn decode(seg: &[u8], cap: usize) -> Result<Vec<u8>, Failure> {
    let Some((&by, body)) = seg.split_first() else {
        return Err(Failure::Corrupt("no compressor byte".into()));
    };
    if by != BY_ZLIB && by != BY_ISAL {
        return Err(Failure::Corrupt(format!(
            "compressor byte {by} (0 = zlib, 1 = ISA-L)"
        )));
    }
    let mut d = flate2::Decompress::new(false);
    let mut out: Vec<u8> = Vec::new();
    loop {
        if out.len() == out.capacity() {
            if out.len() > cap {
                return Err(too_long(out.len()));
            }
            // Grow in steps, never past cap + 1: one byte more than the
            // cap is enough to know the output passes it.
            let room = cap.saturating_add(1).saturating_sub(out.len());
            out.reserve_exact(room.min(STEP));
        }
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let input = body.get(consumed..).unwrap_or(&[]);
        let before = (d.total_in(), out.len());
        let status = d
            .decompress_vec(input, &mut out, flate2::FlushDecompress::None)
            .map_err(|e| Failure::Corrupt(e.to_string()))?;
        if status == flate2::Status::StreamEnd {
            break;
        }
        if (d.total_in(), out.len()) == before {
            return Err(Failure::Corrupt("the deflate stream ends early".into()));
        }
    }
    if out.len() > cap {
        return Err(too_long(out.len()));
    }
    Ok(out)
}

/// Compress `data` as zlib does: byte 0, then raw deflate.
pub fn encode(data: &[u8]) -> Vec<u8> {
    let mut out = vec![BY_ZLIB];
    let mut d = flate2::read::DeflateEncoder::new(data, flate2::Compression::default());
    if d.read_to_end(&mut out).is_err() {
        out.truncate(1);
    }
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let data = b"rbd_data.10076b8b4567.0000000000000000".repeat(50);
        let seg = encode(&data);
        assert_eq!(seg[0], BY_ZLIB);
        assert_eq!(decode(&seg, 1 << 20).unwrap(), data);
        let mut isal = seg.clone();
        isal[0] = BY_ISAL;
        assert_eq!(decode(&isal, 1 << 20).unwrap(), data);
    }

    #[test]
    fn output_past_the_cap_is_refused() {
        let seg = encode(&[0u8; 4096]);
        assert!(seg.len() < 64);
        assert_eq!(decode(&seg, 1000), Err(Failure::TooLong { claimed: 1001 }));
    }

    #[test]
    fn bad_bytes_are_errors() {
        assert!(matches!(decode(&[], 10), Err(Failure::Corrupt(_))));
        assert!(matches!(decode(&[7, 1, 2], 10), Err(Failure::Corrupt(_))));
        // Block type 3 is reserved in deflate (RFC 1951 3.2.3).
        assert!(matches!(
            decode(&[0, 0xff, 0xff], 10),
            Err(Failure::Corrupt(_))
        ));
    }
}
