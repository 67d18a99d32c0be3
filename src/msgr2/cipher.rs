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
//! cut in two). The other thread hashes chunks from the front while this
//! one decrypts everything, then this one hashes chunks from the back
//! until none is left: both end together, whatever each one's speed.

use aes_gcm::aes::Aes128;
use aes_gcm::{Aes128Gcm, KeyInit};
use cipher::{BlockCipherEncrypt, InnerIvInit, StreamCipherCore};
use polyval::hazmat::FieldElement;
use polyval::universal_hash::UniversalHash;
use polyval::Polyval;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// Operations at least this long are opened on two threads, when allowed:
/// below it a thread's start costs more than half the work.
pub const SPLIT_MIN: usize = 256 << 10;

/// Bytes copied and decrypted at a time by [`KeyCipher::open_split`]: a
/// whole number of AES blocks, small enough to stay in cache between the
/// copy and the decryption.
const PIECE: usize = 32 << 10;

type Ctr32<'a> = ctr::CtrCore<&'a Aes128, ctr::flavors::Ctr32BE>;

/// Bytes of ciphertext hashed at a time by either thread of a split
/// operation (a whole number of blocks): the thread that ends first waits
/// at most one chunk's hashing for the other.
pub(super) const CHUNK: usize = 32 << 10;

/// The expanded state of one AES-128 key.
#[derive(Clone)]
pub struct KeyCipher {
    /// AES-128-GCM.
    pub(super) aead: Aes128Gcm,
    /// The block cipher alone (the keystream peeked before a tag is checked).
    pub(super) block: Aes128,
    /// GHASH keyed with H = E(K, 0^128).
    ghash: Ghash,
    /// Whether large operations are opened on two threads.
    parallel: bool,
    /// H itself, for the powers that join two parts of a tag.
    h: ghash::Block,
    /// H to the blocks of a chunk.
    chunk_power: ghash::Block,
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

    fn with(key: &[u8; 16], parallel: bool) -> Arc<Self> {
        let block = Aes128::new(&(*key).into());
        let mut h = ghash::Block::default();
        block.encrypt_block(&mut h);
        Arc::new(KeyCipher {
            aead: Aes128Gcm::new(&(*key).into()),
            block,
            ghash: Ghash::new(&h),
            parallel,
            h,
            chunk_power: power(&h, CHUNK / 16),
        })
    }

    /// Whether an operation of `len` ciphertext bytes is opened on two
    /// threads ([`KeyCipher::open_split`]).
    pub(super) fn splits(&self, len: usize) -> bool {
        self.parallel && len >= SPLIT_MIN
    }

    /// Open one operation: `body` decrypted and appended to `out` while
    /// another thread computes the tag; `false` if the tag does not verify
    /// (the bytes appended must then be dropped). Without a second thread
    /// (none allowed, or none started) both run here.
    ///
    /// The tag's GHASH is taken in chunks (see [`Claims`]): the other
    /// thread hashes from the front while this one decrypts, then this one
    /// hashes from the back until they meet, so that both end together
    /// whatever each one's speed.
    pub(super) fn open_split(
        &self,
        nonce: &[u8; 12],
        body: &[u8],
        tag: &[u8; 16],
        out: &mut Vec<u8>,
    ) -> bool {
        let (ctr, mask) = self.start(nonce);
        let claims = Claims::new(body.len());
        let front = || self.hash_front(body, &claims, usize::MAX);
        let (front, back) = std::thread::scope(|s| {
            let job = std::thread::Builder::new().spawn_scoped(s, front).ok();
            decrypt(ctr, body, out);
            let back = self.hash_back(body, &claims);
            // Without the other thread, `hash_back` took every chunk.
            let front = job.map_or(Some(ghash::Block::default()), |j| j.join().ok());
            (front, back)
        });
        front.is_some_and(|f| self.tag_matches(&f, &back, &mask, tag))
    }

    /// Open one operation on this thread, as [`KeyCipher::open_split`]
    /// does on two: each piece is hashed, copied and decrypted while it is
    /// in cache, one pass over `body`.
    pub(super) fn open_one(
        &self,
        nonce: &[u8; 12],
        body: &[u8],
        tag: &[u8; 16],
        out: &mut Vec<u8>,
    ) -> bool {
        let (mut ctr, mask) = self.start(nonce);
        let mut g = self.ghash();
        out.reserve(body.len());
        for piece in body.chunks(PIECE) {
            // Pieces are whole blocks but the last: padding only it.
            g.update_padded(piece);
            decrypt_piece(&mut ctr, piece, out);
        }
        g.update_padded(&lengths(body.len()));
        let mut t = g.finalize();
        xor_into(&mut t, &mask);
        t.as_slice() == tag.as_slice()
    }

    /// [`KeyCipher::open_split`] on this thread alone, the front's first
    /// `front` chunks hashed before the rest (tests: every cut).
    #[cfg(test)]
    pub(super) fn open_cut(
        &self,
        nonce: &[u8; 12],
        body: &[u8],
        tag: &[u8; 16],
        out: &mut Vec<u8>,
        front: usize,
    ) -> bool {
        let (ctr, mask) = self.start(nonce);
        let claims = Claims::new(body.len());
        let f = self.hash_front(body, &claims, front);
        decrypt(ctr, body, out);
        let back = self.hash_back(body, &claims);
        self.tag_matches(&f, &back, &mask, tag)
    }

    /// The keystream after J0, and the tag's mask E(K, J0) (SP 800-38D
    /// 7.2: J0 = IV || 0^31 || 1 for a 96-bit IV).
    fn start(&self, nonce: &[u8; 12]) -> (Ctr32<'_>, ghash::Block) {
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
        (ctr, mask)
    }

    fn ghash(&self) -> Ghash {
        self.ghash.clone()
    }

    /// GHASH of the chunks taken from the front, at most `limit` of them:
    /// they follow one another from the first.
    fn hash_front(&self, body: &[u8], claims: &Claims, limit: usize) -> ghash::Block {
        let mut g = self.ghash();
        for _ in 0..limit {
            let Some(i) = claims.front() else { break };
            g.update_padded(chunk(body, i));
        }
        g.finalize()
    }

    /// The chunks taken from the back, and the lengths block after them:
    /// their share of the tag's GHASH, and H^b, b the blocks they span.
    /// A chunk's share is its own GHASH times H to the blocks after it
    /// (SP 800-38D 6.4: Y_m = X_1 H^m xor ... xor X_m H).
    fn hash_back(&self, body: &[u8], claims: &Claims) -> Back {
        let mut sum = mul(&self.h, &lengths(body.len()));
        let mut after = self.h;
        while let Some(i) = claims.back() {
            let part = chunk(body, i);
            let mut g = self.ghash();
            g.update_padded(part);
            xor_into(&mut sum, &mul(&after, &g.finalize()));
            let blocks = part.len().div_ceil(16);
            let step = if blocks == CHUNK / 16 {
                self.chunk_power
            } else {
                self.power(blocks)
            };
            after = mul(&after, &step);
        }
        Back { sum, after }
    }

    /// Whether the front's GHASH and the back's share make `tag`: GHASH of
    /// `front || back` is GHASH(front) · H^b xor GHASH(back).
    fn tag_matches(
        &self,
        front: &ghash::Block,
        back: &Back,
        mask: &ghash::Block,
        tag: &[u8; 16],
    ) -> bool {
        let mut t = mul(front, &back.after);
        xor_into(&mut t, &back.sum);
        xor_into(&mut t, mask);
        t.as_slice() == tag.as_slice()
    }

    /// H^n, by squaring (n >= 1).
    pub(super) fn power(&self, n: usize) -> ghash::Block {
        power(&self.h, n)
    }
}

/// `h`^n, by squaring (n >= 1).
fn power(h: &ghash::Block, n: usize) -> ghash::Block {
    let mut result: Option<ghash::Block> = None;
    let mut square = *h;
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
    result.unwrap_or(*h)
}

/// The product of two field elements as GHASH sees them: GHASH keyed
/// with `a` over the one block `b` is `b · a` (SP 800-38D 6.4, m = 1).
pub(super) fn mul(a: &ghash::Block, b: &ghash::Block) -> ghash::Block {
    let mut g = Ghash::new(a);
    g.update_padded(b);
    g.finalize()
}

/// Chunk `i` of `body` (the last may be short; none past the end).
fn chunk(body: &[u8], i: usize) -> &[u8] {
    let from = i.saturating_mul(CHUNK).min(body.len());
    let to = from.saturating_add(CHUNK).min(body.len());
    body.get(from..to).unwrap_or_default()
}

/// Copy `body` to the end of `out` and decrypt it there, a piece at a
/// time, while the piece is still in cache: `out` needs no zero-filled
/// room and each byte is written once.
fn decrypt(mut ctr: Ctr32<'_>, body: &[u8], out: &mut Vec<u8>) {
    out.reserve(body.len());
    for piece in body.chunks(PIECE) {
        decrypt_piece(&mut ctr, piece, out);
    }
}

/// Copy `piece` to the end of `out` and decrypt it there. Only the last
/// piece of an operation may end in a part block.
fn decrypt_piece(ctr: &mut Ctr32<'_>, piece: &[u8], out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(piece);
    let Some(region) = out.get_mut(at..) else {
        return;
    };
    let (blocks, tail) = ghash::Block::slice_as_chunks_mut(region);
    ctr.apply_keystream_blocks(blocks);
    // A part block: the next keystream block's first bytes (SP 800-38D,
    // GCTR step 4).
    if !tail.is_empty() {
        let mut ks = ghash::Block::default();
        ctr.write_keystream_block(&mut ks);
        xor_into(tail, &ks);
    }
}

/// GHASH's last block: the bit lengths of the associated data (none
/// here) and of the ciphertext (SP 800-38D 7.2 step 5).
fn lengths(len: usize) -> ghash::Block {
    let mut lens = ghash::Block::default();
    let bits = u64::try_from(len).unwrap_or(u64::MAX).saturating_mul(8);
    if let Some(c) = lens.get_mut(8..) {
        c.copy_from_slice(&bits.to_be_bytes());
    }
    lens
}

/// GHASH over POLYVAL, the bytes of each block reversed here a group at a
/// time (RFC 8452 appendix A: GHASH(H, X_1, ..., X_n) = ByteReverse(
/// POLYVAL(mulX_POLYVAL(ByteReverse(H)), ByteReverse(X_1), ...,
/// ByteReverse(X_n)))). The same as `ghash::GHash`, which reverses and
/// copies every four blocks on their way to POLYVAL.
#[derive(Clone)]
pub(super) struct Ghash(Polyval);

/// Blocks reversed at a time by [`Ghash::update_padded`].
const GROUP: usize = 64;

impl Ghash {
    pub(super) fn new(h: &ghash::Block) -> Self {
        let key = FieldElement::from(*h).reverse().mulx();
        Ghash(Polyval::new(&key.into()))
    }

    /// Hash `data`, its last block padded with zeros.
    pub(super) fn update_padded(&mut self, data: &[u8]) {
        let (blocks, tail) = ghash::Block::slice_as_chunks(data);
        let mut group = [polyval::Block::default(); GROUP];
        for part in blocks.chunks(GROUP) {
            for (to, from) in group.iter_mut().zip(part) {
                let b: [u8; 16] = (*from).into();
                *to = u128::from_be_bytes(b).to_le_bytes().into();
            }
            self.0.update(group.get(..part.len()).unwrap_or_default());
        }
        if !tail.is_empty() {
            let mut b = [0u8; 16];
            if let Some(head) = b.get_mut(..tail.len()) {
                head.copy_from_slice(tail);
            }
            self.0
                .update(&[u128::from_be_bytes(b).to_le_bytes().into()]);
        }
    }

    pub(super) fn finalize(self) -> ghash::Block {
        let mut t = self.0.finalize();
        t.reverse();
        t
    }
}

/// `a` xor= `b`, over the shorter.
fn xor_into(a: &mut [u8], b: &[u8]) {
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x ^= *y;
    }
}

/// The back's share of a tag ([`KeyCipher::hash_back`]).
struct Back {
    /// GHASH of the back's chunks and the lengths block, as the tail of
    /// the whole.
    sum: ghash::Block,
    /// H^b, b the blocks of the back's chunks and the lengths block.
    after: ghash::Block,
}

/// The chunks of one operation's ciphertext not yet hashed, from `front`
/// to `back`: the other thread takes them from the front, this one from
/// the back once it has decrypted, until none is left.
pub(super) struct Claims(Mutex<(usize, usize)>);

impl Claims {
    pub(super) fn new(len: usize) -> Self {
        Claims(Mutex::new((0, len.div_ceil(CHUNK))))
    }

    pub(super) fn front(&self) -> Option<usize> {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (front, back) = *c;
        (front < back).then(|| {
            c.0 = front + 1;
            front
        })
    }

    pub(super) fn back(&self) -> Option<usize> {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (front, back) = *c;
        (front < back).then(|| {
            c.1 = back - 1;
            back - 1
        })
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
