//! A capture file read in place (`--mmap`: mapped into memory) keeps the
//! process small: the pages it has read are given back behind it, so the
//! resident size does not grow with the file. The same capture read with
//! read() gives the same report.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use cephshark::capture::{LinkType, PcapOptions, PcapWriter, Timestamp};
use std::io::BufWriter;
use std::process::Command;

/// Bytes of the file: large against the resident size allowed below.
const FILE_BYTES: usize = 320 << 20;
/// Ethernet frames carrying UDP (not TCP: each is counted, none is kept).
const FRAME_LEN: usize = 9000;

fn udp_frame(i: u32) -> Vec<u8> {
    let mut f = vec![0u8; FRAME_LEN];
    // Ethernet: dst, src, type IPv4.
    f[12] = 0x08;
    // IPv4 header: version 4, IHL 5, total length, TTL, protocol UDP (17).
    let ip_len = u16::try_from(FRAME_LEN - 14).unwrap_or(0);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&[10, 0, 0, 1]);
    f[30..34].copy_from_slice(&[10, 0, 0, 2]);
    // UDP: ports, length.
    f[34..36].copy_from_slice(&5000u16.to_be_bytes());
    f[36..38].copy_from_slice(&6000u16.to_be_bytes());
    f[38..40].copy_from_slice(&(ip_len - 20).to_be_bytes());
    for (k, b) in f.iter_mut().enumerate().skip(42) {
        *b = (k as u32 ^ i) as u8;
    }
    f
}

/// The largest resident size of the children waited for so far, in bytes.
fn children_peak_rss() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the pointer it is given.
    let usage = unsafe {
        assert_eq!(
            libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()),
            0
        );
        usage.assume_init()
    };
    u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024
}

#[test]
fn a_large_file_read_in_place_keeps_the_resident_size_small() {
    let dir = std::env::temp_dir().join(format!("cephshark-in-place-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.pcap");
    let packets = FILE_BYTES / (FRAME_LEN + 16);
    {
        let out = BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut w = PcapWriter::new(out, PcapOptions::new(LinkType::ETHERNET)).unwrap();
        for i in 0..packets {
            let i = u32::try_from(i).unwrap();
            let ts = Timestamp {
                secs: 1_700_000_000 + i64::from(i / 1000),
                nanos: (i % 1000) * 1000,
            };
            let f = udp_frame(i);
            w.write_packet(ts, u32::try_from(f.len()).unwrap(), &f)
                .unwrap();
        }
        w.into_inner().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size >= FILE_BYTES as u64 - (FRAME_LEN as u64 + 16));

    let file = path.display().to_string();
    let verify = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
            .args(["verify", "-j", "2", &file])
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, report) = verify(&["--mmap"]);
    let peak = children_peak_rss();
    // Every packet counted, none of them TCP.
    assert!(report.contains(&format!("{packets} packets")), "{report}");
    assert_eq!(verify(&[]), (code, report));
    // Read whole without giving pages back, the process would hold the
    // file's 320 MiB; in place it holds a few tens of MiB.
    assert!(
        peak < 128 << 20,
        "peak resident size {} MiB reading a {} MiB file in place",
        peak >> 20,
        size >> 20
    );
    let _ = std::fs::remove_dir_all(&dir);
}
