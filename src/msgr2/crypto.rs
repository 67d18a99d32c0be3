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

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::AeadInOut;
use aes_gcm::aes::cipher::BlockCipherEncrypt;
use aes_gcm::aes::{Aes128, Block};
use aes_gcm::{Aes128Gcm, KeyInit};

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
    aead: Aes128Gcm,
    block: Aes128,
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
        GcmStream {
            aead: Aes128Gcm::new(&(*key).into()),
            block: Aes128::new(&(*key).into()),
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
        let start = out.len();
        out.resize(start.saturating_add(body.len()), 0);
        let Some(buf) = out
            .get_mut(start..)
            .and_then(|region| InOutBuf::new(body, region).ok())
        else {
            out.truncate(start);
            return Err(mismatch);
        };
        if self
            .aead
            .decrypt_inout_detached(&self.nonce.0.into(), &[], buf, &tag.into())
            .is_err()
        {
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
        match self
            .aead
            .encrypt_inout_detached(&self.nonce.0.into(), &[], out.as_mut_slice().into())
        {
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
        self.block.encrypt_block(&mut block);
        block
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn arr<const N: usize>(v: &[u8]) -> [u8; N] {
        v.try_into().unwrap()
    }

    // Ceph's AES-GCM on-wire unit test (src/test/crypto.cc vectors, msgr2.0
    // nonce format, one operation).
    const CEPH_SECRET: &[u8] = b"mock of crypto material for deriving key and nonce for AES GCM";
    const CEPH_PLAIN: &[u8] = b"mock of plain text for AES GCM cipher";
    const CEPH_CIPHER: &str =
        "4da2a61ba52e200da33e566f368cf3431ae58155b2318c79e516aeab80abd9e41391ad447d";
    const CEPH_TAG: &str = "f4919e370edca8b2c6ebf803e96242c5";

    fn ceph_stream(format: NonceFormat) -> GcmStream {
        let key: [u8; KEY_LEN] = arr(&CEPH_SECRET[0..16]);
        let nonce = Nonce(arr(&CEPH_SECRET[16..28]));
        GcmStream::new(&key, nonce, format)
    }

    fn ceph_op() -> Vec<u8> {
        let mut op = hex(CEPH_CIPHER);
        op.extend(hex(CEPH_TAG));
        op
    }

    #[test]
    fn ceph_known_answer_seal() {
        let mut tx = ceph_stream(NonceFormat::Rev0);
        assert_eq!(&CEPH_SECRET[16..28], b"aterial for ");
        assert_eq!(tx.seal(CEPH_PLAIN), ceph_op());
    }

    #[test]
    fn ceph_known_answer_open() {
        let mut rx = ceph_stream(NonceFormat::Rev0);
        let first = rx.nonce();
        assert_eq!(rx.open(&ceph_op()).unwrap(), CEPH_PLAIN);
        // msgr2.0 steps only at the end of the frame, in the fixed field.
        assert_eq!(rx.nonce(), first);
        rx.end_frame();
        assert_eq!(rx.nonce().fixed(), first.fixed().wrapping_add(1));
        assert_eq!(rx.nonce().counter(), first.counter());
        // The stepped nonce no longer opens the same operation.
        assert!(rx.open(&ceph_op()).is_err());
    }

    #[test]
    fn rev0_steps_low_le32_with_carry_and_wrap() {
        let mut n = Nonce(arr(&hex("ff000000 0102030405060708")));
        n.step(NonceFormat::Rev0);
        assert_eq!(n.0, arr::<12>(&hex("00010000 0102030405060708")));
        let mut n = Nonce(arr(&hex("ffffffff ffffffffffffffff")));
        n.step(NonceFormat::Rev0);
        // Wraps to zero without touching the counter field.
        assert_eq!(n.0, arr::<12>(&hex("00000000 ffffffffffffffff")));
        assert_eq!(n.fixed(), 0);
    }

    #[test]
    fn rev1_steps_le64_counter_with_carry_and_wrap() {
        let mut n = Nonce(arr(&hex("aabbccdd ff00000000000000")));
        n.step(NonceFormat::Rev1);
        assert_eq!(n.0, arr::<12>(&hex("aabbccdd 0001000000000000")));
        let mut n = Nonce(arr(&hex("aabbccdd ffffffffffffff7f")));
        n.step(NonceFormat::Rev1);
        assert_eq!(n.0, arr::<12>(&hex("aabbccdd 0000000000000080")));
        let mut n = Nonce(arr(&hex("ffffffff ffffffffffffffff")));
        n.step(NonceFormat::Rev1);
        assert_eq!(n.0, arr::<12>(&hex("ffffffff 0000000000000000")));
        assert_eq!(n.counter(), 0);
        assert_eq!(
            Nonce::from_parts(0xddccbbaa, 1).0,
            arr::<12>(&hex("aabbccdd 0100000000000000"))
        );
    }

    #[test]
    fn rev1_stream_steps_after_every_operation() {
        let key = [7u8; KEY_LEN];
        let start = Nonce::from_parts(0x1234, u64::MAX - 1);
        let mut tx = GcmStream::new(&key, start, NonceFormat::Rev1);
        let ops: Vec<Vec<u8>> = (0..3u8).map(|i| tx.seal(&[i; 40])).collect();
        assert_eq!(tx.nonce(), Nonce::from_parts(0x1234, 1));
        tx.end_frame();
        assert_eq!(
            tx.nonce(),
            Nonce::from_parts(0x1234, 1),
            "end_frame is a no-op for rev1"
        );

        let mut rx = GcmStream::new(&key, start, NonceFormat::Rev1);
        for (i, op) in (0..3u8).zip(&ops) {
            assert_eq!(rx.open(op).unwrap(), vec![i; 40]);
        }
        // The second operation was sealed with counter + 1: a stream starting
        // there opens it and nothing else.
        let mut second = GcmStream::new(&key, start.stepped(NonceFormat::Rev1), NonceFormat::Rev1);
        assert!(second.open(&ops[0]).is_err());
        assert_eq!(second.open(&ops[1]).unwrap(), vec![1u8; 40]);
    }

    #[test]
    fn failed_open_keeps_nonce_and_skip_op_steps() {
        let mut rx = ceph_stream(NonceFormat::Rev1);
        let before = rx.nonce();
        let mut op = ceph_op();
        op[0] ^= 1;
        assert_eq!(
            rx.open(&op),
            Err(TagMismatch {
                nonce: before,
                len: op.len()
            })
        );
        assert_eq!(rx.nonce(), before);
        rx.skip_op();
        assert_eq!(rx.nonce(), before.stepped(NonceFormat::Rev1));
        let mut rx0 = ceph_stream(NonceFormat::Rev0);
        rx0.skip_op();
        assert_eq!(
            rx0.nonce(),
            before,
            "rev0 steps per frame, not per operation"
        );
    }

    #[test]
    fn short_input_is_an_error_not_a_panic() {
        let mut rx = ceph_stream(NonceFormat::Rev1);
        for len in 0..TAG_LEN {
            let err = rx.open(&vec![0u8; len]).unwrap_err();
            assert!(err.is_truncated());
            assert_eq!(err.len, len);
            assert!(err.to_string().contains("shorter"));
        }
        // Exactly a tag: a valid operation with empty plaintext.
        let mut tx = ceph_stream(NonceFormat::Rev1);
        let empty = tx.seal(&[]);
        assert_eq!(empty.len(), TAG_LEN);
        assert_eq!(rx.open(&empty).unwrap(), Vec::<u8>::new());
        assert!(rx.peek_keystream_decrypt(&[]).is_empty());
    }

    #[test]
    fn peek_equals_prefix_of_open() {
        let key = [0x42u8; KEY_LEN];
        let plain: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for format in [NonceFormat::Rev0, NonceFormat::Rev1] {
            let mut tx = GcmStream::new(&key, Nonce::from_parts(9, 9), format);
            tx.seal(b"an earlier operation");
            tx.end_frame();
            let op = tx.seal(&plain);
            let mut rx = GcmStream::new(&key, Nonce::from_parts(9, 9), format);
            rx.open(&op[..0]).unwrap_err();
            let first = rx.clone().seal(b"an earlier operation");
            rx.open(&first).unwrap();
            rx.end_frame();
            for len in [0, 1, 15, 16, 17, 32, 80, 96, 999, 1000] {
                let peeked = rx.peek_keystream_decrypt(&op[..len]);
                assert_eq!(peeked, &plain[..len], "{format:?} prefix {len}");
            }
            let before = rx.nonce();
            let _ = rx.peek_keystream_decrypt(&op);
            assert_eq!(rx.nonce(), before, "peek does not step");
            assert_eq!(rx.open(&op).unwrap(), plain);
        }
        // The Ceph vector: peek over ciphertext and tag decrypts the
        // ciphertext part to the plaintext.
        let rx = ceph_stream(NonceFormat::Rev0);
        assert_eq!(&rx.peek_keystream_decrypt(&hex(CEPH_CIPHER)), CEPH_PLAIN);
    }

    #[test]
    fn every_flipped_bit_fails() {
        let op = ceph_op();
        for bit in 0..op.len() * 8 {
            let mut bad = op.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let mut rx = ceph_stream(NonceFormat::Rev0);
            assert!(rx.open(&bad).is_err(), "bit {bit} flipped still verifies");
        }
        // A truncated or extended operation fails too.
        let mut rx = ceph_stream(NonceFormat::Rev0);
        assert!(rx.open(&op[..op.len() - 1]).is_err());
        let mut longer = op.clone();
        longer.push(0);
        assert!(rx.open(&longer).is_err());
    }

    /// captures/keylog-rados.pcap, packet 17: the client's first secure
    /// operation (127.0.0.1:45710 -> 127.0.0.1:44400, stream offset 248),
    /// keyed by line 1 of captures/keylog-rados.keys; line 2 is the server's
    /// direction of the same connection (same key, other nonce).
    const RADOS_KEY: &str = "ed8d301855ae6d0221058690ab1f5c6d";
    const RADOS_CLIENT_NONCE: &str = "6acfbf5af5d36d1d746c05ce";
    const RADOS_SERVER_NONCE: &str = "9674d6e469b7025364709128";
    const RADOS_FIRST_OP: &str = "7b3a40085c7fc6c9064e1a918bc6fedea3f1507cf4ef1cd69c391fce3d7be7a8
        2a332441466e16b31b7c0df5b199fd5ad299006bb4ba918613c38d72561d8282
        9061c547cbc92e24ab344378d7d04c50e370ef7ce10649e8fa525f230bb15717";

    #[test]
    fn real_capture_first_op_is_auth_signature() {
        let key: [u8; KEY_LEN] = arr(&hex(RADOS_KEY));
        let op = hex(RADOS_FIRST_OP);
        assert_eq!(op.len(), 96, "preamble 32 + inline 48 + tag 16");
        let nonce = Nonce(arr(&hex(RADOS_CLIENT_NONCE)));
        let mut rx = GcmStream::new(&key, nonce, NonceFormat::Rev1);
        let peeked = rx.peek_keystream_decrypt(&op[..32]);
        let plain = rx.open(&op).unwrap();
        assert_eq!(&plain[..32], &peeked[..]);
        // Preamble: tag 7 (AUTH_SIGNATURE), one segment of 32 bytes aligned
        // to 8, preamble crc a80c9872; then the 32-byte HMAC and zero padding.
        assert_eq!(&plain[..8], &hex("07 01 20000000 0800")[..]);
        assert_eq!(&plain[28..32], &hex("a80c9872")[..]);
        assert!(plain[64..].iter().all(|&b| b == 0));
        assert_eq!(rx.nonce(), nonce.stepped(NonceFormat::Rev1));
        // The server's nonce does not open the client's operation.
        let other = Nonce(arr(&hex(RADOS_SERVER_NONCE)));
        assert!(GcmStream::new(&key, other, NonceFormat::Rev1)
            .open(&op)
            .is_err());
    }

    #[test]
    fn debug_output_hides_the_key() {
        let s = format!("{:?}", ceph_stream(NonceFormat::Rev1));
        assert!(s.contains("617465726961"), "{s}");
        assert!(!s.contains("6d6f636b"), "{s}");
    }
}
