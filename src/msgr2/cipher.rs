//! A key's expanded AES-128-GCM state (round keys and the GHASH key),
//! built once per key and shared by every stream that uses it: trying a
//! key file's lines on each direction of a capture would otherwise expand
//! every key again for every direction.
//!
//! A large operation may be opened on two threads ([`KeyCipher::parallel`]):
//! GCM's tag is GHASH over the ciphertext and its plaintext AES-CTR of the
//! ciphertext, two computations that need only the ciphertext (NIST SP
//! 800-38D, 7.2: J0 = IV || 0^31 || 1 for a 96-bit IV; the plaintext's
//! counter blocks start at inc32(J0); the tag is E(K, J0) xor
//! GHASH_H(C padded || len(A) || len(C)), here with no A). The result is
//! the one aes-gcm gives: the same plaintext, or the same refusal.
//!
//! The tag's GHASH is itself shared: GHASH is linear, so over the blocks
//! of `A || B` it is `GHASH(A) · H^b xor GHASH(B)`, `b` the number of
//! blocks of `B` (the sum Y_m = X_1 H^m + ... + X_m H of SP 800-38D 6.4,
//! cut in two). The other thread hashes the first part while this one
//! decrypts everything and then hashes the rest; how much is the rest is
//! learnt from the operations before, so that both threads end together.

use aes_gcm::aes::Aes128;
use aes_gcm::{Aes128Gcm, KeyInit};
use cipher::{BlockCipherEncrypt, InnerIvInit, StreamCipherCore};
use ghash::universal_hash::UniversalHash;
use ghash::GHash;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Operations at least this long are opened on two threads, when allowed:
/// below it a thread's start costs more than half the work.
pub const SPLIT_MIN: usize = 256 << 10;

/// Bytes copied and decrypted at a time by [`KeyCipher::open_split`]: a
/// whole number of AES blocks, small enough to stay in cache between the
/// copy and the decryption.
const PIECE: usize = 32 << 10;

type Ctr32<'a> = ctr::CtrCore<&'a Aes128, ctr::flavors::Ctr32BE>;

/// The share of a split operation's GHASH left to the decrypting thread
/// is counted in 1/`SHARES` of the ciphertext ...
const SHARES: u32 = 1024;
/// ... and is at most half of it (then it is the slower thread anyway).
const MAX_SHARE: u32 = SHARES / 2;

/// The expanded state of one AES-128 key.
#[derive(Clone)]
pub struct KeyCipher {
    /// AES-128-GCM.
    pub(super) aead: Aes128Gcm,
    /// The block cipher alone (the keystream peeked before a tag is checked).
    pub(super) block: Aes128,
    /// GHASH keyed with H = E(K, 0^128), when operations may be split.
    split: Option<GHash>,
    /// H itself, for the powers that join two parts of a tag.
    h: ghash::Block,
    /// The share of the GHASH of the next split operation done by the
    /// decrypting thread, in 1/`SHARES` (learnt, see [`balance`]).
    share: Arc<AtomicU32>,
}

impl KeyCipher {
    /// Expand `key`.
    pub fn new(key: &[u8; 16]) -> Arc<Self> {
        Self::with(key, false)
    }

    /// Expand `key`; large operations are opened on two threads.
    pub fn parallel(key: &[u8; 16]) -> Arc<Self> {
        Self::with(key, true)
    }

    fn with(key: &[u8; 16], split: bool) -> Arc<Self> {
        let block = Aes128::new(&(*key).into());
        let mut h = ghash::Block::default();
        block.encrypt_block(&mut h);
        Arc::new(KeyCipher {
            aead: Aes128Gcm::new(&(*key).into()),
            block,
            split: split.then(|| GHash::new(&h)),
            h,
            share: Arc::new(AtomicU32::new(0)),
        })
    }

    /// Whether an operation of `len` ciphertext bytes is opened on two
    /// threads ([`KeyCipher::open_split`]).
    pub(super) fn splits(&self, len: usize) -> bool {
        self.split.is_some() && len >= SPLIT_MIN
    }

    /// Open one operation: `body` decrypted and appended to `out` while
    /// another thread computes the tag; `false` if the tag does not verify
    /// (the bytes appended must then be dropped). Without a second thread
    /// (none allowed, or none started) both run here.
    ///
    /// The plaintext is made a piece at a time: a piece of `body` is copied
    /// to `out` and decrypted there while it is still in cache, so `out`
    /// needs no zero-filled room and each byte is written once.
    pub(super) fn open_split(
        &self,
        nonce: &[u8; 12],
        body: &[u8],
        tag: &[u8; 16],
        out: &mut Vec<u8>,
    ) -> bool {
        let mut j0 = ghash::Block::default();
        if let Some(iv) = j0.get_mut(..12) {
            iv.copy_from_slice(nonce);
        }
        if let Some(last) = j0.get_mut(15) {
            *last = 1;
        }
        let mut ctr = Ctr32::inner_iv_init(&self.block, &j0);
        let mut mask = ghash::Block::default();
        ctr.write_keystream_block(&mut mask);
        // The other thread hashes `first`, this one `rest` and the
        // lengths block; `rest` starts on a block.
        let share = self.share.load(Ordering::Relaxed).min(MAX_SHARE);
        let cut = head_len(body.len(), share);
        let (first, rest) = body.split_at(cut);
        let ghash = || self.split.clone().unwrap_or_else(|| GHash::new(&self.h));
        let first_of = || {
            let t = Instant::now();
            let mut g = ghash();
            g.update_padded(first);
            (g.finalize(), t.elapsed())
        };
        let rest_of = || {
            let mut g = ghash();
            g.update_padded(rest);
            let mut lens = ghash::Block::default();
            let bits = u64::try_from(body.len())
                .unwrap_or(u64::MAX)
                .saturating_mul(8);
            if let Some(c) = lens.get_mut(8..) {
                c.copy_from_slice(&bits.to_be_bytes());
            }
            g.update(&[lens]);
            g.finalize()
        };
        let decrypt = |mut ctr: Ctr32, out: &mut Vec<u8>| {
            out.reserve(body.len());
            for piece in body.chunks(PIECE) {
                let at = out.len();
                out.extend_from_slice(piece);
                let Some(region) = out.get_mut(at..) else {
                    break;
                };
                let (blocks, tail) = ghash::Block::slice_as_chunks_mut(region);
                ctr.apply_keystream_blocks(blocks);
                // Only the last piece may end in a part block: the next
                // keystream block's first bytes (SP 800-38D, GCTR step 4).
                if !tail.is_empty() {
                    let mut ks = ghash::Block::default();
                    ctr.write_keystream_block(&mut ks);
                    for (b, k) in tail.iter_mut().zip(ks.iter()) {
                        *b ^= *k;
                    }
                }
            }
        };
        let (first_hash, rest_hash, times) = std::thread::scope(
            |s| match std::thread::Builder::new().spawn_scoped(s, first_of) {
                Ok(job) => {
                    let t = Instant::now();
                    decrypt(ctr, out);
                    let decrypted = t.elapsed();
                    let rest_hash = rest_of();
                    let hashed = t.elapsed().saturating_sub(decrypted);
                    let first = job.join().ok();
                    let times = first.map(|(_, other)| (decrypted, hashed, other));
                    (first.map(|f| f.0), rest_hash, times)
                }
                Err(_) => {
                    decrypt(ctr, out);
                    (Some(first_of().0), rest_of(), None)
                }
            },
        );
        if let Some((decrypted, hashed, other)) = times {
            let next = balance(share, (first.len(), rest.len()), (decrypted, hashed, other));
            self.share.store(next, Ordering::Relaxed);
        }
        let Some(first_hash) = first_hash else {
            return false;
        };
        // GHASH(first || rest) = GHASH(first) · H^b xor GHASH(rest), b the
        // blocks hashed after `first` (rest padded, and the lengths).
        let b = rest.len().div_ceil(16).saturating_add(1);
        let mut t = mul(&first_hash, &self.power(b));
        for ((a, r), m) in t.iter_mut().zip(rest_hash.iter()).zip(mask.iter()) {
            *a ^= *r ^ *m;
        }
        t.as_slice() == tag.as_slice()
    }

    /// Set the share of the next split operation's GHASH left to the
    /// decrypting thread (tests: every way of cutting the tag).
    #[cfg(test)]
    pub(super) fn set_share(&self, share: u32) {
        self.share.store(share, Ordering::Relaxed);
    }

    /// H^n, by squaring (n >= 1).
    pub(super) fn power(&self, n: usize) -> ghash::Block {
        let mut result: Option<ghash::Block> = None;
        let mut square = self.h;
        let mut n = n;
        while n > 0 {
            if n & 1 == 1 {
                result = Some(match result {
                    Some(r) => mul(&r, &square),
                    None => square,
                });
            }
            n >>= 1;
            if n > 0 {
                square = mul(&square, &square);
            }
        }
        result.unwrap_or(self.h)
    }
}

/// The product of two field elements as GHASH sees them: GHASH keyed
/// with `a` over the one block `b` is `b · a` (SP 800-38D 6.4, m = 1).
pub(super) fn mul(a: &ghash::Block, b: &ghash::Block) -> ghash::Block {
    let mut g = GHash::new(a);
    g.update(&[*b]);
    g.finalize()
}

/// Where the part hashed by the other thread ends, for an operation of
/// `len` bytes of which `share`/`SHARES` is left to this one: on a block.
fn head_len(len: usize, share: u32) -> usize {
    let blocks = len / 16;
    let mine = blocks.saturating_mul(usize::try_from(share).unwrap_or(0)) / SHARES as usize;
    (blocks - mine.min(blocks)) * 16
}

/// The share for the next operation, from this one's: `lens` the bytes
/// hashed by the other thread and by this one, `times` how long this one
/// took to decrypt and to hash, and the other to hash. The share that
/// makes both end together: this thread decrypts everything at d per
/// byte and hashes a share x at g per byte, the other hashes the rest, so
/// d + x g = (1 - x) g, x = (g - d) / 2g. Moved a quarter of the way there
/// each time, so that one slow operation does not swing it.
pub(super) fn balance(
    share: u32,
    lens: (usize, usize),
    times: (Duration, Duration, Duration),
) -> u32 {
    let (other_len, mine_len) = lens;
    let (decrypted, hashed, other) = times;
    let total = other_len.saturating_add(mine_len);
    if total == 0 {
        return share;
    }
    let g = hashed.saturating_add(other).as_secs_f64() / total as f64;
    let d = decrypted.as_secs_f64() / total as f64;
    if g <= 0.0 {
        return share;
    }
    let want = ((g - d) / (2.0 * g)).clamp(0.0, f64::from(MAX_SHARE) / f64::from(SHARES));
    let want = (want * f64::from(SHARES)).round();
    let next = (3.0 * f64::from(share) + want) / 4.0;
    // In range by the clamp; `as` after rounding.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let next = next.round() as u32;
    next.min(MAX_SHARE)
}

/// The key stays out of debug output.
impl fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyCipher")
    }
}

/// A [`KeyCipher`] a key candidate may carry: equal to any other (it is
/// the key's, and candidates compare by key), absent by default.
#[derive(Clone, Debug, Default)]
pub struct SharedCipher(pub Option<Arc<KeyCipher>>);

impl PartialEq for SharedCipher {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SharedCipher {}
