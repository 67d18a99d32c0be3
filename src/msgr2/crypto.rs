//! msgr2 secure mode: AES-128-GCM with Ceph's nonce stepping, one direction
//! at a time.
//!
//! Facts from crypto_onwire.{h,cc} (AES128GCM_OnWire{Tx,Rx}Handler) and
//! frames_v2.cc (asm/disasm_secure_rev{0,1}); the kernel's
//! net/ceph/messenger_v2.c implements the same scheme.
//!
//! ```text
//!  nonce (12 bytes, nonce_t, packed little-endian)
//!  +--------------+---------------------------------+
//!  | le32 fixed   | le64 counter                    |
//!  +--------------+---------------------------------+
//!   0            4                                 12
//!
//!  msgr2.0 (rev0): fixed += 1 once per frame (one GCM operation per frame)
//!  msgr2.1 (rev1): counter += 1 after every GCM operation (1 to 3 per frame)
//!  Both step after use: the first operation uses the initial nonce.
//!
//!  one GCM operation on the wire (no associated data)
//!  +---------------------------------------+------------------+
//!  | ciphertext (same length as plaintext) | tag (16 bytes)   |
//!  +---------------------------------------+------------------+
//! ```
//!
//! The ciphertext is AES-CTR with the counter block `nonce || be32 counter`
//! starting at 2 (NIST SP 800-38D: inc32(J0), J0 = nonce || 1). That lets a
//! reader decrypt the start of an operation before it has all of it
//! ([`GcmStream::peek_keystream_decrypt`]): a msgr2.0 frame is a single
//! operation whose length is only known from its decrypted preamble.
//!
//! The initial key and nonces come from the connection secret
//! (crypto_onwire.cc: create_handler_pair): key = secret[0..16], and the
//! client sends with secret[28..40] and receives with secret[16..28]; the
//! server the other way round (see [`super::keys`]).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use super::cipher::KeyCipher;

use aes_gcm::aead::AeadInOut;
use aes_gcm::aes::cipher::BlockCipherEncrypt;
use aes_gcm::aes::Block;

/// AES-128 key length (crypto_onwire.cc: AESGCM_KEY_LEN).
pub const KEY_LEN: usize = 16;
/// GCM nonce length (crypto_onwire.cc: AESGCM_IV_LEN, sizeof nonce_t).
pub const NONCE_LEN: usize = 12;
/// GCM authentication tag length (crypto_onwire.cc: AESGCM_TAG_LEN).
pub const TAG_LEN: usize = 16;
/// AES block length; msgr2 pads secure segments to it (AESGCM_BLOCK_LEN).
pub const BLOCK: usize = 16;

/// Bytes of the nonce holding the le32 `fixed` field, the msgr2.0 counter.
pub const NONCE_FIXED: Range<usize> = 0..4;
/// Bytes of the nonce holding the le64 `counter` field, the msgr2.1 counter.
pub const NONCE_COUNTER: Range<usize> = 4..12;

/// GCM's counter for the first keystream block of the payload: inc32(J0).
const FIRST_PAYLOAD_COUNTER: u32 = 2;

/// A 12-byte AES-GCM nonce laid out as Ceph's `nonce_t`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Nonce(pub [u8; NONCE_LEN]);

/// Which field of the nonce steps, and how often.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NonceFormat {
    /// msgr2.0: the le32 at bytes 0..4 steps once per frame
    /// (crypto_onwire.cc: `new_nonce_format == false`).
    Rev0,
    /// msgr2.1: the le64 at bytes 4..12 steps once per GCM operation
    /// (crypto_onwire.cc: `new_nonce_format == true`).
    Rev1,
}

impl NonceFormat {
    /// The format used by a connection of the given msgr2 revision.
    pub fn for_revision(rev1: bool) -> Self {
        if rev1 {
            NonceFormat::Rev1
        } else {
            NonceFormat::Rev0
        }
    }
}

impl Nonce {
    /// Builds a nonce from its two fields.
    pub fn from_parts(fixed: u32, counter: u64) -> Self {
        let [a, b, c, d] = fixed.to_le_bytes();
        let [e, f, g, h, i, j, k, l] = counter.to_le_bytes();
        Nonce([a, b, c, d, e, f, g, h, i, j, k, l])
    }

    /// The le32 `fixed` field (bytes 0..4).
    pub fn fixed(&self) -> u32 {
        let [a, b, c, d, ..] = self.0;
        u32::from_le_bytes([a, b, c, d])
    }

    /// The le64 `counter` field (bytes 4..12).
    pub fn counter(&self) -> u64 {
        let [_, _, _, _, e, f, g, h, i, j, k, l] = self.0;
        u64::from_le_bytes([e, f, g, h, i, j, k, l])
    }

    /// Steps the field `format` uses by one, wrapping
    /// (crypto_onwire.cc: reset_tx_handler / reset_rx_handler).
    pub fn step(&mut self, format: NonceFormat) {
        *self = self.stepped(format);
    }

    /// This nonce stepped once for `format`.
    pub fn stepped(self, format: NonceFormat) -> Self {
        match format {
            NonceFormat::Rev0 => Nonce::from_parts(self.fixed().wrapping_add(1), self.counter()),
            NonceFormat::Rev1 => Nonce::from_parts(self.fixed(), self.counter().wrapping_add(1)),
        }
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({self})")
    }
}

impl From<[u8; NONCE_LEN]> for Nonce {
    fn from(bytes: [u8; NONCE_LEN]) -> Self {
        Nonce(bytes)
    }
}

/// A GCM operation that did not authenticate: wrong key or nonce, damaged
/// bytes, or fewer bytes than a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagMismatch {
    /// The nonce the operation was tried with.
    pub nonce: Nonce,
    /// Length of the operation given, ciphertext plus tag.
    pub len: usize,
}

impl TagMismatch {
    /// True when the operation was too short to hold a tag at all.
    pub fn is_truncated(&self) -> bool {
        self.len < TAG_LEN
    }
}

impl fmt::Display for TagMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_truncated() {
            write!(
                f,
                "AES-GCM operation of {} bytes is shorter than its {TAG_LEN}-byte tag (nonce {})",
                self.len, self.nonce
            )
        } else {
            write!(
                f,
                "AES-GCM tag does not verify for a {}-byte operation with nonce {}",
                self.len, self.nonce
            )
        }
    }
}

impl std::error::Error for TagMismatch {}

/// One direction of a secure msgr2 connection: the key, the nonce of the
/// next GCM operation, and how the nonce steps.
///
/// A failed [`open`](Self::open) leaves the nonce where it was, so a caller
/// may try other keys or lengths; [`skip_op`](Self::skip_op) moves past an
/// operation that cannot be authenticated.
#[derive(Clone)]
pub struct GcmStream {
    cipher: Arc<KeyCipher>,
    nonce: Nonce,
    format: NonceFormat,
}

impl fmt::Debug for GcmStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key stays out of debug output.
        f.debug_struct("GcmStream")
            .field("nonce", &self.nonce)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl GcmStream {
    /// A stream whose next operation uses `nonce`.
    pub fn new(key: &[u8; KEY_LEN], nonce: Nonce, format: NonceFormat) -> Self {
        Self::with_cipher(KeyCipher::new(key), nonce, format)
    }

    /// [`new`](Self::new) with a key already expanded.
    pub fn with_cipher(cipher: Arc<KeyCipher>, nonce: Nonce, format: NonceFormat) -> Self {
        GcmStream {
            cipher,
            nonce,
            format,
        }
    }

    /// The nonce the next operation will use.
    pub fn nonce(&self) -> Nonce {
        self.nonce
    }

    /// Make the next operation use `nonce` (to follow a stream again after
    /// lost bytes).
    pub fn set_nonce(&mut self, nonce: Nonce) {
        self.nonce = nonce;
    }

    /// How this stream's nonce steps.
    pub fn format(&self) -> NonceFormat {
        self.format
    }

    /// Decrypts and verifies one GCM operation: ciphertext followed by its
    /// 16-byte tag, no associated data. On success a msgr2.1 stream steps its
    /// nonce; a msgr2.0 stream steps only at [`end_frame`](Self::end_frame).
    ///
    /// # Errors
    /// [`TagMismatch`] when the tag does not verify or the input is shorter
    /// than a tag; the nonce is then left unchanged.
    pub fn open(&mut self, ciphertext_with_tag: &[u8]) -> Result<Vec<u8>, TagMismatch> {
        let mut plain = Vec::with_capacity(ciphertext_with_tag.len().saturating_sub(TAG_LEN));
        self.open_append(ciphertext_with_tag, &mut plain)?;
        Ok(plain)
    }

    /// [`open`](Self::open), decrypting straight into `out` (no buffer of
    /// its own). On a mismatch `out` is left as it was.
    ///
    /// # Errors
    /// [`TagMismatch`], as [`open`](Self::open).
    pub fn open_append(
        &mut self,
        ciphertext_with_tag: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), TagMismatch> {
        let mismatch = TagMismatch {
            nonce: self.nonce,
            len: ciphertext_with_tag.len(),
        };
        let body_len = ciphertext_with_tag
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(mismatch)?;
        let (body, tag) = ciphertext_with_tag
            .split_at_checked(body_len)
            .ok_or(mismatch)?;
        let tag = <[u8; TAG_LEN]>::try_from(tag).map_err(|_| mismatch)?;
        // Copied a piece at a time and decrypted in place, no zero-fill;
        // on one thread each piece is hashed too while it is in cache, on
        // two the other thread hashes meanwhile.
        let start = out.len();
        let opened = if self.cipher.splits(body.len()) {
            self.cipher.open_split(&self.nonce.0, body, &tag, out)
        } else {
            self.cipher.open_one(&self.nonce.0, body, &tag, out)
        };
        if !opened {
            out.truncate(start);
            return Err(mismatch);
        }
        self.after_op();
        Ok(())
    }

    /// Encrypts one GCM operation and returns ciphertext followed by the tag;
    /// steps the nonce as [`open`](Self::open) does. For building test frames.
    ///
    /// GCM limits one operation to 2^36 - 32 bytes of plaintext (far beyond
    /// any msgr2 segment); longer input gives an empty result and leaves the
    /// nonce unchanged.
    pub fn seal(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(plaintext.len().saturating_add(TAG_LEN));
        out.extend_from_slice(plaintext);
        match self.cipher.aead.encrypt_inout_detached(
            &self.nonce.0.into(),
            &[],
            out.as_mut_slice().into(),
        ) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                self.after_op();
                out
            }
            Err(_) => Vec::new(),
        }
    }

    /// Decrypts the first bytes of the next operation without verifying the
    /// tag and without stepping the nonce. `ciphertext_prefix` may have any
    /// length; the result has the same length and equals the start of what
    /// [`open`](Self::open) of the whole operation returns.
    pub fn peek_keystream_decrypt(&self, ciphertext_prefix: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(ciphertext_prefix.len());
        let mut counter = FIRST_PAYLOAD_COUNTER;
        for chunk in ciphertext_prefix.chunks(BLOCK) {
            let keystream = self.keystream_block(counter);
            out.extend(chunk.iter().zip(keystream.iter()).map(|(c, k)| c ^ k));
            // GCM increments only the low 32 bits of the counter block (inc32).
            counter = counter.wrapping_add(1);
        }
        out
    }

    /// Ends a frame: a msgr2.0 stream steps its nonce (one step per frame);
    /// for msgr2.1 this does nothing (its steps follow each operation).
    pub fn end_frame(&mut self) {
        if self.format == NonceFormat::Rev0 {
            self.nonce.step(NonceFormat::Rev0);
        }
    }

    /// Moves past one operation that could not be authenticated, keeping the
    /// stream in step with the sender: steps a msgr2.1 nonce, as a successful
    /// [`open`](Self::open) would.
    pub fn skip_op(&mut self) {
        self.after_op();
    }

    fn after_op(&mut self) {
        if self.format == NonceFormat::Rev1 {
            self.nonce.step(NonceFormat::Rev1);
        }
    }

    /// AES(key, nonce || be32 counter).
    fn keystream_block(&self, counter: u32) -> Block {
        let [a, b, c, d, e, f, g, h, i, j, k, l] = self.nonce.0;
        let [m, n, o, p] = counter.to_be_bytes();
        let mut block = Block::from([a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]);
        self.cipher.block.encrypt_block(&mut block);
        block
    }
}

#[cfg(test)]
#[path = "crypto_tests.rs"]
mod tests;
