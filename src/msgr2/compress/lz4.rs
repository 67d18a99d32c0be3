//! An lz4 segment (compressor/lz4/LZ4Compressor.h): the block table, then
//! the blocks back to back:
//!
//! ```text
//!  le32 count | count x (le32 origin_len, le32 compressed_len) | block 0 | block 1 | ...
//! ```
//!
//! Each block is one of the segment's buffers compressed with
//! `LZ4_compress_fast_continue` on one stream, so a block may copy from
//! the output of the blocks before it (up to 64 KiB back); Ceph decodes
//! them in order with `LZ4_decompress_safe_continue` into one contiguous
//! buffer. Here each block is decoded with the last 64 KiB decoded so far
//! as its dictionary. The sum of the origin lengths is checked against
//! the cap before anything is allocated.

use super::Failure;
use nom::multi::count;
use nom::number::complete::le_u32;
use nom::sequence::pair;
use nom::Parser;

/// How far back an lz4 match may reach (lz4 block format: 16-bit offsets).
pub const WINDOW: usize = 64 << 10;

/// Decompress an lz4 segment of at most `cap` bytes of output.
pub fn decode(seg: &[u8], cap: usize) -> Result<Vec<u8>, Failure> {
    let short = |what: &str| Failure::Corrupt(format!("ends inside the {what}"));
    let (rest, n) = le_u32::<_, nom::error::Error<&[u8]>>(seg).map_err(|_| short("block count"))?;
    // Each pair takes 8 bytes: a count the segment cannot hold is refused
    // before the table is allocated.
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > rest.len() / 8 {
        return Err(Failure::Corrupt(format!(
            "{n} blocks in a {}-byte segment",
            seg.len()
        )));
    }
    let (mut rest, table) = count(pair(le_u32, le_u32), n)
        .parse(rest)
        .map_err(|_: nom::Err<nom::error::Error<&[u8]>>| short("block table"))?;
    let total = table
        .iter()
        .fold(0u64, |t, (orig, _)| t.saturating_add(u64::from(*orig)));
    if total > u64::try_from(cap).unwrap_or(u64::MAX) {
        return Err(Failure::TooLong { claimed: total });
    }
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for (k, (orig, comp)) in table.into_iter().enumerate() {
        let comp = usize::try_from(comp).unwrap_or(usize::MAX);
        let Some((block, after)) = rest.split_at_checked(comp) else {
            return Err(short("blocks"));
        };
        rest = after;
        let orig = usize::try_from(orig).unwrap_or(usize::MAX);
        let dict = out.get(out.len().saturating_sub(WINDOW)..).unwrap_or(&[]);
        let mut buf = vec![0u8; orig];
        let got = lz4_flex::block::decompress_into_with_dict(block, &mut buf, dict)
            .map_err(|e| Failure::Corrupt(format!("block {k}: {e}")))?;
        if got != orig {
            return Err(Failure::Corrupt(format!(
                "block {k}: {got} bytes decompressed, the table says {orig}"
            )));
        }
        out.extend_from_slice(&buf);
    }
    Ok(out)
}

/// Compress `blocks` as LZ4Compressor does, one block per buffer, each
/// with the blocks before it as its history (the streaming form).
pub fn encode(blocks: &[&[u8]]) -> Vec<u8> {
    let mut table = u32::try_from(blocks.len())
        .unwrap_or(u32::MAX)
        .to_le_bytes()
        .to_vec();
    let mut body = Vec::new();
    let mut history: Vec<u8> = Vec::new();
    for b in blocks {
        let dict = history
            .get(history.len().saturating_sub(WINDOW)..)
            .unwrap_or(&[]);
        let c = lz4_flex::block::compress_with_dict(b, dict);
        table.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_le_bytes());
        table.extend_from_slice(&u32::try_from(c.len()).unwrap_or(u32::MAX).to_le_bytes());
        body.extend_from_slice(&c);
        history.extend_from_slice(b);
    }
    table.extend_from_slice(&body);
    table
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn one_block() {
        let data = b"osd_op_reply(9 rbd_header.1 [stat] v0'0 uv2 ondisk = 0)".repeat(30);
        let seg = encode(&[&data]);
        assert_eq!(&seg[..4], &[1, 0, 0, 0]);
        assert_eq!(&seg[4..8], &(data.len() as u32).to_le_bytes());
        assert_eq!(decode(&seg, 1 << 20).unwrap(), data);
    }

    #[test]
    fn linked_blocks_need_their_history() {
        let a: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        let b = a.clone(); // all of it a copy of block 0
        let seg = encode(&[&a, &b]);
        let c1 = u32::from_le_bytes(seg[16..20].try_into().unwrap()) as usize;
        // Block 1 is a few bytes of matches into block 0.
        assert!(c1 < 64, "{c1}");
        let mut both = a.clone();
        both.extend_from_slice(&b);
        assert_eq!(decode(&seg, 1 << 20).unwrap(), both);
        // Without the history, block 1 alone does not decode.
        let c0 = u32::from_le_bytes(seg[8..12].try_into().unwrap()) as usize;
        let block1 = &seg[20 + c0..20 + c0 + c1];
        assert!(lz4_flex::block::decompress(block1, b.len()).is_err());
    }

    #[test]
    fn claims_and_damage() {
        let mut seg = encode(&[b"abcdabcdabcdabcd"]);
        seg[4..8].copy_from_slice(&0xffff_0000u32.to_le_bytes());
        assert_eq!(
            decode(&seg, 128 << 20),
            Err(Failure::TooLong {
                claimed: 0xffff_0000
            })
        );
        // A count no segment of this size can hold.
        assert!(matches!(
            decode(&[0xff, 0xff, 0xff, 0x7f, 0, 0], 1 << 20),
            Err(Failure::Corrupt(_))
        ));
        let good = encode(&[&b"xyz".repeat(100)]);
        assert!(matches!(
            decode(&good[..good.len() - 2], 1 << 20),
            Err(Failure::Corrupt(_))
        ));
    }
}
