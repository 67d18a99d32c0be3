//! The mid-stream nonce counter search (`msgr2::secure::midstream`):
//! nonce counters tried per second, one key, 64 segment starts, the frame
//! 2^20 operations past the initial nonce.
//!
//! `cargo bench --bench midstream` prints the time; counters per second
//! are the "elements" throughput.

use cephshark::msgr2::crypto::{GcmStream, Nonce, NonceFormat};
use cephshark::msgr2::encoder::{encode_secure, FrameSpec};
use cephshark::msgr2::secure::midstream::search;
use cephshark::msgr2::secure::KeyCandidate;
use cephshark::msgr2::Rev;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const STEPS: u64 = 1 << 20;

fn setup() -> (Vec<KeyCandidate>, Vec<u8>, Vec<usize>) {
    let key = [7u8; 16];
    let first = Nonce::from_parts(0x1234_5678, 0x0bad_cafe);
    let at = Nonce::from_parts(0x1234_5678, 0x0bad_cafe + STEPS - 1);
    let mut s = GcmStream::new(&key, at, NonceFormat::Rev1);
    // 64 segment starts of which the last holds the frame; random-looking
    // bytes before it.
    let mut buf: Vec<u8> = (0..63 * 97)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let starts: Vec<usize> = (0..64).map(|i| i * 97).collect();
    buf.extend(encode_secure(
        &mut s,
        Rev::V1,
        &FrameSpec::control(0x12, &[0u8; 16]),
    ));
    let c = KeyCandidate {
        key,
        nonce: first,
        origin: "bench".into(),
        cipher: Default::default(),
    };
    (vec![c], buf, starts)
}

fn counter_search(c: &mut Criterion) {
    let (cands, buf, starts) = setup();
    assert_eq!(
        search(&cands, &buf, &starts, STEPS, 1 << 27).map(|f| f.steps),
        Some(STEPS - 1)
    );
    let mut g = c.benchmark_group("midstream");
    g.sample_size(10);
    g.throughput(Throughput::Elements(STEPS));
    g.bench_function("nonce_counter_search_2^20", |b| {
        b.iter(|| search(black_box(&cands), black_box(&buf), &starts, STEPS, 1 << 27))
    });
    g.finish();
}

criterion_group!(benches, counter_search);
criterion_main!(benches);
