//! A secure direction captured without its start: the sender's nonce has
//! moved on by an unknown number of GCM operations since the initial nonce
//! a key file (or connection secret) gives, and the first whole frame
//! starts somewhere in the captured bytes. Both are found by search.
//!
//! msgr2.1 (crypto_onwire.cc, `new_nonce_format`): the nonce's le64 at
//! bytes 4..12 steps once per GCM operation, so after `k` operations the
//! nonce is the initial one plus `k`. The first operation of a frame opens
//! with its 32-byte preamble: AES-CTR of it is AES(key, nonce ‖ be32 2)
//! and AES(key, nonce ‖ be32 3) (GCM's first payload counter is 2). For
//! each `k` one AES block gives the keystream of the preamble's first 16
//! bytes; a frame start's second byte decrypts to its segment count (1 to
//! 4), which the candidate starts are indexed by, so each `k` costs one
//! block and four table lookups. A start that passes is checked with the
//! preamble CRC over the 32 decrypted bytes, then proven by the GCM tag of
//! the whole first operation.
//!
//! Frame starts are looked for where the capture's TCP segments start
//! (senders write a frame at a time: after a pause a segment starts with a
//! frame), `starts`.

use super::{KeyCandidate, FIRST_OP_LEN};
use crate::msgr2::crypto::{Nonce, NonceFormat};
use crate::msgr2::preamble::{self, Preamble};
use aes::cipher::{array::Array, BlockCipherEncrypt, KeyInit};

/// Operations searched past the initial nonce: 2^24 (over 5 million
/// frames of 1 to 3 operations).
pub const MIDSTREAM_MAX_OPS: u64 = 1 << 24;
/// Counters tried per direction over all candidates: with many keys
/// (unnamed key file lines) each gets a share, nearer counters first.
pub const MIDSTREAM_BUDGET: u64 = 1 << 26;
/// AES blocks computed at once (the aes crate pipelines them).
const BATCH: usize = 8;

/// A frame start and the nonce that opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Index of the frame's first byte in the buffer searched.
    pub offset: usize,
    /// Operations between the initial nonce and this frame's.
    pub steps: u64,
    /// The nonce of its first operation.
    pub nonce: Nonce,
    /// Which candidate.
    pub candidate: usize,
}

/// Search `buf` for a msgr2.1 secure frame starting at one of `starts`
/// whose first operation opens with a candidate's initial nonce stepped by
/// 0 to `max_steps - 1` operations.
pub fn search(
    cands: &[KeyCandidate],
    buf: &[u8],
    starts: &[usize],
    max_steps: u64,
    max_seg: u32,
) -> Option<Found> {
    // Starts by their second byte (the segment count, once decrypted).
    let mut by_second: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for &i in starts {
        let whole = i.checked_add(FIRST_OP_LEN).is_some_and(|e| e <= buf.len());
        if let (true, Some(&b)) = (whole, buf.get(i.wrapping_add(1))) {
            if let Some(v) = by_second.get_mut(usize::from(b)) {
                v.push(i);
            }
        }
    }
    if by_second.iter().all(Vec::is_empty) {
        return None;
    }
    // Nearer counters first, over every candidate: a wrong key costs the
    // whole range, the right one is found at its own distance.
    let mut from = 0u64;
    let mut spent = 0u64;
    for bits in [10u32, 14, 18, 22, 26] {
        let to = (1u64 << bits).min(max_steps);
        for (ci, c) in cands.iter().enumerate() {
            spent = spent.saturating_add(to.saturating_sub(from));
            if spent > MIDSTREAM_BUDGET.max(max_steps) {
                return None;
            }
            if let Some((offset, steps, nonce)) = search_one(c, buf, &by_second, from..to, max_seg)
            {
                return Some(Found {
                    offset,
                    steps,
                    nonce,
                    candidate: ci,
                });
            }
        }
        if to >= max_steps {
            break;
        }
        from = to;
    }
    None
}

fn search_one(
    c: &KeyCandidate,
    buf: &[u8],
    by_second: &[Vec<usize>],
    range: std::ops::Range<u64>,
    max_seg: u32,
) -> Option<(usize, u64, Nonce)> {
    let aes = aes::Aes128::new(&Array::from(c.key));
    let fixed = c.nonce.fixed();
    let base = c.nonce.counter();
    // Which second bytes any start has: most counters stop here.
    let mut present = [false; 256];
    for (b, list) in present.iter_mut().zip(by_second) {
        *b = !list.is_empty();
    }
    // Counter blocks: nonce (le32 fixed, le64 counter) | be32 2, GCM's
    // first payload block; only bytes 4..12 change from one to the next.
    let mut template = [0u8; 16];
    template[..4].copy_from_slice(&fixed.to_le_bytes());
    template[12..].copy_from_slice(&2u32.to_be_bytes());
    let mut blocks = [Array::from(template); BATCH];
    let mut k = range.start;
    while k < range.end {
        for (j, b) in blocks.iter_mut().enumerate() {
            let n = base.wrapping_add(k).wrapping_add(j as u64);
            // Encryption was in place: the block is rebuilt.
            *b = Array::from(template);
            if let Some(d) = b.get_mut(4..12) {
                d.copy_from_slice(&n.to_le_bytes());
            }
        }
        aes.encrypt_blocks(&mut blocks);
        for (j, ks) in blocks.iter().enumerate() {
            let steps = k.wrapping_add(j as u64);
            if steps >= range.end {
                break;
            }
            let &[k0, k1, ..] = ks.as_slice() else {
                continue;
            };
            for nseg in 1u8..=4 {
                let second = usize::from(k1 ^ nseg);
                if present.get(second) != Some(&true) {
                    continue;
                }
                for &i in by_second.get(second).map_or(&[][..], |v| &v[..]) {
                    // The tag: msgr2 tags are 1 to 0x20-something.
                    let tag = buf.get(i).map_or(0, |b| b ^ k0);
                    if tag == 0 || tag > 0x40 {
                        continue;
                    }
                    let nonce = Nonce::from_parts(fixed, base.wrapping_add(steps));
                    // The preamble's CRC over the 32 decrypted bytes
                    // (the second keystream block: counter 3), then the tag.
                    let mut b1 = Array::from(template);
                    if let Some(d) = b1.get_mut(4..12) {
                        d.copy_from_slice(&base.wrapping_add(steps).to_le_bytes());
                    }
                    if let Some(d) = b1.get_mut(12..16) {
                        d.copy_from_slice(&3u32.to_be_bytes());
                    }
                    aes.encrypt_block(&mut b1);
                    let Some(ct) = i.checked_add(preamble::LEN).and_then(|e| buf.get(i..e)) else {
                        continue;
                    };
                    let mut pre = [0u8; preamble::LEN];
                    for ((p, c), k) in pre.iter_mut().zip(ct).zip(ks.iter().chain(b1.iter())) {
                        *p = c ^ k;
                    }
                    let good = Preamble::parse(&pre)
                        .is_some_and(|p| p.crc_ok() && p.validate(max_seg).is_ok());
                    if good && opens(c, nonce, buf, i, max_seg) {
                        return Some((i, steps, nonce));
                    }
                }
            }
        }
        k = k.saturating_add(BATCH as u64);
    }
    None
}

/// The preamble decrypts with a good CRC and the first operation's tag
/// verifies.
fn opens(c: &KeyCandidate, nonce: Nonce, buf: &[u8], i: usize, max_seg: u32) -> bool {
    let mut s = c.stream(nonce, NonceFormat::Rev1);
    let Some(head) = i.checked_add(preamble::LEN).and_then(|e| buf.get(i..e)) else {
        return false;
    };
    let good = Preamble::parse(&s.peek_keystream_decrypt(head))
        .is_some_and(|p| p.crc_ok() && p.validate(max_seg).is_ok());
    good && i
        .checked_add(FIRST_OP_LEN)
        .and_then(|e| buf.get(i..e))
        .is_some_and(|op| s.open(op).is_ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::msgr2::crypto::GcmStream;
    use crate::msgr2::encoder::{encode_secure, FrameSpec};
    use crate::msgr2::Rev;

    fn frame_at(steps: u64) -> (Vec<KeyCandidate>, Vec<u8>, Vec<usize>) {
        let key = [7u8; 16];
        let first = Nonce::from_parts(0x1234_5678, 0x0bad_cafe);
        let at = Nonce::from_parts(0x1234_5678, 0x0bad_cafe + steps);
        let mut s = GcmStream::new(&key, at, NonceFormat::Rev1);
        let mut buf: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        buf.extend(encode_secure(
            &mut s,
            Rev::V1,
            &FrameSpec::control(0x12, &[0u8; 16]),
        ));
        let c = KeyCandidate {
            key,
            nonce: first,
            origin: "t".into(),
            cipher: Default::default(),
        };
        (vec![c], buf, vec![0, 17, 100, 300])
    }

    #[test]
    fn finds_the_frame_and_its_counter() {
        for steps in [0u64, 5, 1023, 1024, 70_000] {
            let (c, buf, starts) = frame_at(steps);
            let f = search(&c, &buf, &starts, 1 << 20, 1 << 27)
                .unwrap_or_else(|| panic!("steps {steps}"));
            assert_eq!((f.offset, f.steps, f.candidate), (300, steps, 0));
            assert_eq!(f.nonce.counter(), 0x0bad_cafe + steps);
        }
        // Past the range searched: not found; a start that is no frame: not found.
        let (c, buf, _) = frame_at(2000);
        assert_eq!(search(&c, &buf, &[300], 1024, 1 << 27), None);
        assert_eq!(search(&c, &buf, &[0, 17], 1 << 12, 1 << 27), None);
    }
}
