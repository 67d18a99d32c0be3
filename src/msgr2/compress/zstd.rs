//! A zstd segment (compressor/zstd/ZstdCompressor.h): the decompressed
//! length, then one zstd frame (RFC 8878):
//!
//! ```text
//!  le32 decompressed_len | magic 28 b5 2f fd | frame header | blocks ...
//! ```
//!
//! Before decoding, the claimed length and the window the frame header
//! asks for (the decoder's buffer) are both checked against the cap.

use super::Failure;
use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
use nom::IResult;
use std::io::Read;

/// Zstandard frame magic (RFC 8878 3.1.1).
pub const MAGIC: u32 = 0xFD2F_B528;

/// The window size a zstd frame header asks for (RFC 8878 3.1.1.1:
/// Frame_Header_Descriptor, Window_Descriptor, Dictionary_ID,
/// Frame_Content_Size).
fn window_size(i: &[u8]) -> IResult<&[u8], u64> {
    let (i, magic) = le_u32(i)?;
    if magic != MAGIC {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Tag,
        )));
    }
    let (i, desc) = le_u8(i)?;
    let single = desc & 0x20 != 0;
    let (i, window) = if single {
        (i, None)
    } else {
        let (i, w) = le_u8(i)?;
        let log = 10 + u32::from(w >> 3);
        let base = 1u64 << log;
        (i, Some(base + (base / 8) * u64::from(w & 7)))
    };
    let dict_len = [0usize, 1, 2, 4].get(usize::from(desc & 3)).copied();
    let (i, _) = nom::bytes::complete::take(dict_len.unwrap_or(0))(i)?;
    let (i, fcs) = match (desc >> 6, single) {
        (0, true) => le_u8(i).map(|(i, v)| (i, u64::from(v)))?,
        (0, false) => (i, 0),
        (1, _) => le_u16(i).map(|(i, v)| (i, u64::from(v) + 256))?,
        (2, _) => le_u32(i).map(|(i, v)| (i, u64::from(v)))?,
        _ => le_u64(i)?,
    };
    Ok((i, window.unwrap_or(fcs)))
}

/// Decompress a zstd segment of at most `cap` bytes of output.
pub fn decode(seg: &[u8], cap: usize) -> Result<Vec<u8>, Failure> {
    let (frame, claimed) = le_u32::<_, nom::error::Error<&[u8]>>(seg)
        .map_err(|_| Failure::Corrupt("shorter than its 4-byte length".into()))?;
    let cap64 = u64::try_from(cap).unwrap_or(u64::MAX);
    if u64::from(claimed) > cap64 {
        return Err(Failure::TooLong {
            claimed: u64::from(claimed),
        });
    }
    let (_, window) =
        window_size(frame).map_err(|_| Failure::Corrupt("no zstd frame header".into()))?;
    if window > cap64.max(1 << 20) {
        return Err(Failure::Corrupt(format!(
            "frame window of {window} bytes, over the {cap}-byte cap"
        )));
    }
    let mut dec = ruzstd::decoding::StreamingDecoder::new(frame)
        .map_err(|e| Failure::Corrupt(e.to_string()))?;
    let mut out = Vec::new();
    (&mut dec)
        .take(u64::from(claimed).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| Failure::Corrupt(e.to_string()))?;
    if out.len() != usize::try_from(claimed).unwrap_or(usize::MAX) {
        return Err(Failure::Corrupt(format!(
            "{} bytes decompressed, the length says {claimed}",
            out.len()
        )));
    }
    Ok(out)
}

/// Compress `data` as ZstdCompressor does: its length, then a zstd frame.
pub fn encode(data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len())
        .unwrap_or(u32::MAX)
        .to_le_bytes()
        .to_vec();
    out.extend(ruzstd::encoding::compress_to_vec(
        data,
        ruzstd::encoding::CompressionLevel::Fastest,
    ));
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let data = b"pg 2.7 osd_op(client.4123.0:9 2.7 2:e8a0f1a6:::obj:head)".repeat(40);
        let seg = encode(&data);
        assert_eq!(&seg[..4], &(data.len() as u32).to_le_bytes());
        assert_eq!(&seg[4..8], &[0x28, 0xb5, 0x2f, 0xfd]);
        assert!(seg.len() < data.len());
        assert_eq!(decode(&seg, 1 << 20).unwrap(), data);
    }

    #[test]
    fn claims_are_checked() {
        let mut seg = encode(b"hello hello hello");
        assert_eq!(decode(&seg, 10), Err(Failure::TooLong { claimed: 17 }));
        seg[..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert_eq!(
            decode(&seg, 128 << 20),
            Err(Failure::TooLong {
                claimed: 0xffff_fff0
            })
        );
        // A length that disagrees with the frame.
        seg[..4].copy_from_slice(&5u32.to_le_bytes());
        assert!(matches!(decode(&seg, 1 << 20), Err(Failure::Corrupt(_))));
    }

    #[test]
    fn window_descriptor() {
        // Window_Descriptor 0x58: exponent 11, mantissa 0 -> 2^21.
        let h = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58];
        assert_eq!(window_size(&h).unwrap().1, 1 << 21);
        // Exponent 31 (2^41): refused before any decoding.
        let mut seg = 4u32.to_le_bytes().to_vec();
        seg.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0, 0, 0]);
        assert!(matches!(decode(&seg, 1 << 20), Err(Failure::Corrupt(_))));
        assert!(matches!(
            decode(&[1, 0, 0, 0, 9, 9], 10),
            Err(Failure::Corrupt(_))
        ));
    }
}
