//! Throughput of opening one AES-128-GCM operation of 4 MiB (the size of
//! a `rados bench` data segment) in place, on one thread: the crates
//! cephshark decrypts with (aes-gcm 0.11, built on aes 0.9, ctr and ghash
//! 0.6/polyval 0.7), GHASH and AES-CTR of those crates alone, and ring 0.17 (BoringSSL's
//! assembly). Each figure is the best of five passes over 800 MiB; every
//! pass checks the plaintext and the tag.

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use cipher::{InnerIvInit, StreamCipherCore};
use ghash::universal_hash::UniversalHash;
use std::time::Instant;

const LEN: usize = 4 << 20;
const ROUNDS: usize = 200;

fn best(mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let key = [7u8; 16];
    let nonce = [3u8; 12];
    let plain: Vec<u8> = (0..LEN).map(|i| (i * 31 % 251) as u8).collect();
    let rk = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &key).expect("key"),
    );
    let mut ct = plain.clone();
    let tag = rk
        .seal_in_place_separate_tag(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::empty(),
            &mut ct,
        )
        .expect("seal");
    let tag: [u8; 16] = tag.as_ref().try_into().expect("tag");
    let ag = aes_gcm::Aes128Gcm::new(&key.into());
    let mut buf = ct.clone();
    let gb = (LEN * ROUNDS) as f64 / 1e9;

    let copy = best(|| {
        for _ in 0..ROUNDS {
            buf.copy_from_slice(&ct);
            std::hint::black_box(&mut buf);
        }
    });
    let aes_gcm = best(|| {
        for _ in 0..ROUNDS {
            buf.copy_from_slice(&ct);
            let io = InOutBuf::from(&mut buf[..]);
            ag.decrypt_inout_detached(&nonce.into(), &[], io, &tag.into())
                .expect("aes-gcm refused its own tag");
        }
        assert_eq!(buf, plain);
    });
    let ghash_only = best(|| {
        for _ in 0..ROUNDS {
            let mut g = ghash::GHash::new(&[9u8; 16].into());
            g.update_padded(&ct);
            std::hint::black_box(g.finalize());
        }
    });
    let ring = best(|| {
        for _ in 0..ROUNDS {
            buf.copy_from_slice(&ct);
            rk.open_in_place_separate_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::empty(),
                ring::aead::Tag::from(tag),
                &mut buf,
                0..,
            )
            .expect("ring refused its own tag");
        }
        assert_eq!(buf, plain);
    });
    // AES-CTR alone (the plaintext without the tag), as cephshark's
    // two-thread path runs it.
    let aes = aes::Aes128::new(&key.into());
    let mut j0 = [0u8; 16];
    j0[..12].copy_from_slice(&nonce);
    j0[15] = 2;
    let ctr_crate = best(|| {
        for _ in 0..ROUNDS {
            buf.copy_from_slice(&ct);
            let mut c = ctr::CtrCore::<&aes::Aes128, ctr::flavors::Ctr32BE>::inner_iv_init(
                &aes,
                &j0.into(),
            );
            let (blocks, _) = aes::Block::slice_as_chunks_mut(&mut buf[..]);
            c.apply_keystream_blocks(blocks);
        }
        assert_eq!(buf, plain);
    });
    println!("4 MiB AES-128-GCM opens in place, one thread, GB/s (best of 5 x {gb:.2} GB):");
    println!("  copy only (the floor of each row)   {:6.2}", gb / copy);
    println!("  aes-gcm 0.11 (copy + open)          {:6.2}", gb / aes_gcm);
    println!(
        "  ghash 0.6 alone (tag only)          {:6.2}",
        gb / ghash_only
    );
    println!(
        "  ctr 0.10 alone (copy + plaintext)   {:6.2}",
        gb / ctr_crate
    );
    println!("  ring 0.17 (copy + open)             {:6.2}", gb / ring);
    println!(
        "  ring / aes-gcm                      {:6.2}x",
        aes_gcm / ring
    );
}
