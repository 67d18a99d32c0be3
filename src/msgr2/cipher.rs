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

use aes_gcm::aes::Aes128;
use aes_gcm::{Aes128Gcm, KeyInit};
use cipher::{BlockCipherEncrypt, InnerIvInit, StreamCipherCore};
use ghash::universal_hash::UniversalHash;
use ghash::GHash;
use std::fmt;
use std::sync::Arc;

/// Operations at least this long are opened on two threads, when allowed:
/// below it a thread's start costs more than half the work.
pub const SPLIT_MIN: usize = 256 << 10;

/// Bytes copied and decrypted at a time by [`KeyCipher::open_split`]: a
/// whole number of AES blocks, small enough to stay in cache between the
/// copy and the decryption.
const PIECE: usize = 32 << 10;

type Ctr32<'a> = ctr::CtrCore<&'a Aes128, ctr::flavors::Ctr32BE>;

/// The expanded state of one AES-128 key.
#[derive(Clone)]
pub struct KeyCipher {
    /// AES-128-GCM.
    pub(super) aead: Aes128Gcm,
    /// The block cipher alone (the keystream peeked before a tag is checked).
    pub(super) block: Aes128,
    /// GHASH keyed with H = E(K, 0^128), when operations may be split.
    split: Option<GHash>,
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
        let split = split.then(|| {
            let mut h = ghash::Block::default();
            block.encrypt_block(&mut h);
            GHash::new(&h)
        });
        Arc::new(KeyCipher {
            aead: Aes128Gcm::new(&(*key).into()),
            block,
            split,
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
        let tag_of = || {
            let mut g = self.split.clone().unwrap_or_else(|| {
                let mut h = ghash::Block::default();
                self.block.encrypt_block(&mut h);
                GHash::new(&h)
            });
            g.update_padded(body);
            let mut lens = ghash::Block::default();
            let bits = u64::try_from(body.len())
                .unwrap_or(u64::MAX)
                .saturating_mul(8);
            if let Some(c) = lens.get_mut(8..) {
                c.copy_from_slice(&bits.to_be_bytes());
            }
            g.update(&[lens]);
            let mut t = g.finalize();
            for (a, b) in t.iter_mut().zip(mask.iter()) {
                *a ^= *b;
            }
            t
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
        let computed =
            std::thread::scope(
                |s| match std::thread::Builder::new().spawn_scoped(s, tag_of) {
                    Ok(job) => {
                        decrypt(ctr, out);
                        job.join().ok()
                    }
                    Err(_) => {
                        decrypt(ctr, out);
                        Some(tag_of())
                    }
                },
            );
        computed.is_some_and(|t| t.as_slice() == tag.as_slice())
    }
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
