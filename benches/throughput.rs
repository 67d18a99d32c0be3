//! Throughput of the pipeline's stages, in bytes per second: CRC32C,
//! AES-GCM opening, and whole-capture dissection in crc and secure mode.
//!
//! `cargo bench --bench throughput` prints the figures.

use cephshark::analysis::{dissect, Config};
use cephshark::msgr2::crc::segment_crc;
use cephshark::msgr2::crypto::{GcmStream, Nonce, NonceFormat};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use std::sync::Arc;

fn capture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name),
    )
    .unwrap_or_default()
}

fn primitives(c: &mut Criterion) {
    let data = vec![0x5au8; 4 << 20];
    let mut g = c.benchmark_group("primitives");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("segment_crc32c_4MiB", |b| {
        b.iter(|| segment_crc(black_box(&data)))
    });
    let key = [7u8; 16];
    let nonce = Nonce::from_parts(1, 2);
    let sealed = GcmStream::new(&key, nonce, NonceFormat::Rev1).seal(&data);
    g.bench_function("gcm_open_4MiB", |b| {
        b.iter(|| {
            let mut s = GcmStream::new(&key, nonce, NonceFormat::Rev1);
            s.open(black_box(&sealed)).map(|v| v.len()).unwrap_or(0)
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let mut g = c.benchmark_group("dissect");
    g.sample_size(20);
    let crc = capture("cephx-crc.pcap");
    g.throughput(Throughput::Bytes(crc.len() as u64));
    g.bench_function("cephx-crc.pcap", |b| {
        b.iter(|| {
            let mut n = 0u64;
            let _ = dissect(&crc[..], Config::default(), &mut |_| n += 1);
            n
        })
    });
    let sec = capture("cephx-secure.pcap");
    let keys = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/cephx-secure.keys"),
    )
    .unwrap_or_default();
    let cfg = Config {
        keys: cephshark::msgr2::keys::KeyLog::parse(&keys)
            .ok()
            .map(Arc::new),
        ..Config::default()
    };
    g.throughput(Throughput::Bytes(sec.len() as u64));
    g.bench_function("cephx-secure.pcap+keys", |b| {
        b.iter(|| {
            let mut n = 0u64;
            let _ = dissect(&sec[..], cfg.clone(), &mut |_| n += 1);
            n
        })
    });
    g.finish();
}

criterion_group!(benches, primitives, pipeline);
criterion_main!(benches);
