//! Unit tests of `crypto.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

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

/// Bytes from a fixed seed (xorshift), for large operations.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn the_split_open_reads_cephs_vector() {
    // The two-thread path on its own, against Ceph's test vector.
    let key: [u8; KEY_LEN] = arr(&CEPH_SECRET[0..16]);
    let nonce: [u8; 12] = arr(&CEPH_SECRET[16..28]);
    let c = crate::msgr2::cipher::KeyCipher::parallel(&key);
    let body = hex(CEPH_CIPHER);
    let mut out = vec![9u8];
    assert!(c.open_split(&nonce, &body, &arr(&hex(CEPH_TAG)), &mut out));
    assert_eq!(out.first(), Some(&9), "appended after what was there");
    assert_eq!(out.get(1..), Some(CEPH_PLAIN));
    let mut bad = arr::<16>(&hex(CEPH_TAG));
    bad[0] ^= 1;
    out.clear();
    assert!(!c.open_split(&nonce, &body, &bad, &mut out));
}

#[test]
fn large_operations_opened_on_two_threads_give_what_aes_gcm_gives() {
    use crate::msgr2::cipher::{KeyCipher, SPLIT_MIN};
    let key: [u8; KEY_LEN] = arr(&noise(1, 16));
    let nonce = Nonce(arr(&noise(2, 12)));
    for (k, len) in [
        0,
        1,
        15,
        16,
        17,
        SPLIT_MIN - 1,
        SPLIT_MIN,
        SPLIT_MIN + 13,
        (3 << 20) + 5,
    ]
    .into_iter()
    .enumerate()
    {
        let plain = noise(10 + k as u64, len);
        let mut tx = GcmStream::new(&key, nonce, NonceFormat::Rev1);
        let first = tx.seal(&plain);
        let second = tx.seal(&plain[..len / 2]);
        let mut one = GcmStream::with_cipher(KeyCipher::new(&key), nonce, NonceFormat::Rev1);
        let mut two = GcmStream::with_cipher(KeyCipher::parallel(&key), nonce, NonceFormat::Rev1);
        assert!(KeyCipher::parallel(&key).splits(len) == (len >= SPLIT_MIN));
        for (op, want) in [(&first, &plain[..]), (&second, &plain[..len / 2])] {
            let a = one.open(op).unwrap();
            let b = two.open(op).unwrap();
            assert!(a == want, "{len} bytes: other plaintext on one thread");
            assert!(b == want, "{len} bytes: other plaintext on two");
            assert_eq!(one.nonce(), two.nonce());
        }
        assert!(two.open(&second).is_err(), "replayed op, next nonce");
        // Damage in the ciphertext or the tag: refused, nothing appended,
        // the nonce kept.
        for at in [0, first.len().saturating_sub(17), first.len() - 1] {
            if first.len() <= at {
                continue;
            }
            let mut bad = first.clone();
            bad[at] ^= 0x40;
            let mut s = GcmStream::with_cipher(KeyCipher::parallel(&key), nonce, NonceFormat::Rev1);
            let mut out = vec![7u8; 3];
            assert!(
                s.open_append(&bad, &mut out).is_err(),
                "{len} bytes, byte {at}"
            );
            assert_eq!(out, vec![7u8; 3]);
            assert_eq!(s.nonce(), nonce);
        }
    }
}

/// The tag cut anywhere between the two threads: the front hashing no
/// chunk, one, some, all but one or all of them, on operations of several
/// sizes (whole blocks, a part block, one chunk and a block), against
/// aes-gcm; and damage in the front, the middle, the last byte or the tag
/// refused whatever the cut.
#[test]
fn the_tag_is_the_same_wherever_it_is_cut() {
    use crate::msgr2::cipher::{KeyCipher, CHUNK};
    let key: [u8; KEY_LEN] = arr(&noise(3, 16));
    let nonce = Nonce(arr(&noise(4, 12)));
    for (k, len) in [(256 << 10) + 3, 300 << 10, (1 << 20) + 17, CHUNK + 16]
        .into_iter()
        .enumerate()
    {
        let plain = noise(20 + k as u64, len);
        let mut tx = GcmStream::new(&key, nonce, NonceFormat::Rev1);
        let op = tx.seal(&plain);
        let (body, tag) = op.split_at(len);
        let tag: [u8; 16] = arr(tag);
        let chunks = len.div_ceil(CHUNK);
        let c = KeyCipher::parallel(&key);
        for front in [0, 1, 7, chunks / 2, chunks - 1, chunks, usize::MAX] {
            let mut out = Vec::new();
            assert!(
                c.open_cut(&nonce.0, body, &tag, &mut out, front),
                "{len} bytes, {front} chunks in front"
            );
            assert!(out == plain, "{len} bytes, {front} chunks in front");
            for at in [0, len / 2, len - 1, len + 15] {
                let mut bad = op.clone();
                bad[at] ^= 0x01;
                let (body, tag) = bad.split_at(len);
                assert!(
                    !c.open_cut(&nonce.0, body, &arr(tag), &mut Vec::new(), front),
                    "{len} bytes, {front} chunks in front, byte {at}"
                );
            }
        }
    }
}

/// Two threads taking chunks from either end take each exactly once.
#[test]
fn every_chunk_is_taken_once_from_one_end_or_the_other() {
    use crate::msgr2::cipher::{Claims, CHUNK};
    for chunks in [0, 1, 2, 3, 1000] {
        let claims = Claims::new(chunks * CHUNK);
        let (front, back) = std::thread::scope(|s| {
            let f = s.spawn(|| std::iter::from_fn(|| claims.front()).collect::<Vec<_>>());
            let b: Vec<usize> = std::iter::from_fn(|| claims.back()).collect();
            (f.join().unwrap(), b)
        });
        // The front's follow one another from 0; the back's from the end.
        assert!(front.iter().copied().eq(0..front.len()), "{chunks}");
        assert!(
            back.iter().copied().eq((front.len()..chunks).rev()),
            "{chunks}"
        );
    }
    // A short last chunk is a chunk.
    let claims = Claims::new(CHUNK + 1);
    assert_eq!((claims.back(), claims.back()), (Some(1), Some(0)));
    assert_eq!((claims.front(), claims.back()), (None, None));
}

/// H^n by squaring is n products by H; a product is GHASH of one block.
#[test]
fn powers_of_h_are_repeated_products() {
    use crate::msgr2::cipher::{mul, KeyCipher};
    let key: [u8; KEY_LEN] = arr(&noise(5, 16));
    let c = KeyCipher::parallel(&key);
    let h = c.power(1);
    let mut want = h;
    for n in 1..=70 {
        assert_eq!(c.power(n), want, "H^{n}");
        want = mul(&want, &h);
    }
    // Multiplying by 1 (the block 0x80 00..00 in GHASH's bit order).
    let mut one = ghash::Block::default();
    one[0] = 0x80;
    assert_eq!(mul(&h, &one), h);
    assert_eq!(mul(&one, &h), h);
}

/// GHASH over POLYVAL with the bytes reversed here is ghash's GHASH, for
/// inputs of whole blocks, a part block, and more than one group, fed in
/// one or several calls (each padded).
#[test]
fn ghash_over_polyval_is_ghash() {
    use crate::msgr2::cipher::Ghash;
    use ghash::universal_hash::UniversalHash;
    let h: [u8; 16] = arr(&noise(7, 16));
    for (k, len) in [0, 1, 15, 16, 17, 1023, 1024, 64 * 16, 64 * 16 + 5, 5000]
        .into_iter()
        .enumerate()
    {
        let data = noise(30 + k as u64, len);
        for cut in [0, 16, 64 * 16, len / 32 * 16] {
            let cut = cut.min(len);
            let (a, b) = data.split_at(cut);
            let mut want = ghash::GHash::new(&h.into());
            want.update_padded(a);
            want.update_padded(b);
            let mut got = Ghash::new(&h.into());
            got.update_padded(a);
            got.update_padded(b);
            assert_eq!(got.finalize(), want.finalize(), "{len} bytes cut at {cut}");
        }
    }
}
