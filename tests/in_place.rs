//! A capture file read in place (`--mmap`: mapped into memory, the default
//! with more than one thread) keeps the process small: the pages it has
//! read are given back behind it, so the resident size does not grow with
//! the file. The same capture read with read() gives the same report. A
//! mapped file truncated while it is read is an error, not a crash.

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
    assert_eq!(verify(&["--no-mmap"]), (code, report));
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

/// A copy of a bundled capture in a directory of its own.
fn copy_of(name: &str, tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("cephshark-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let from: std::path::PathBuf = [env!("CARGO_MANIFEST_DIR"), "captures", name]
        .iter()
        .collect();
    let to = dir.join(name);
    std::fs::copy(&from, &to).unwrap();
    (dir, to)
}

/// List `file` verbosely with `args`, and cut the file down to its pcap
/// header while the listing waits for its output to be read (the pipe is
/// full long before the end: the tree of the capture's 3,000,000-byte
/// write alone is megabytes); the exit status, the bytes printed and what
/// was said on stderr.
fn truncated_while_listed(file: &std::path::Path, args: &[&str]) -> (Option<i32>, usize, String) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .arg("-r")
        .arg(file)
        .args(["-V", "-x"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    // The first bytes: the process has started and mapped the file.
    let mut first = [0u8; 4096];
    out.read_exact(&mut first).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The global header only (24 bytes): every packet is past the end now.
    std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .unwrap()
        .set_len(24)
        .unwrap();
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code(), first.len() + rest.len(), err)
}

#[test]
fn a_mapped_file_truncated_while_it_is_read_is_an_error_not_a_crash() {
    let whole = std::fs::metadata(
        [env!("CARGO_MANIFEST_DIR"), "captures", "cephx-crc.pcap"]
            .iter()
            .collect::<std::path::PathBuf>(),
    )
    .unwrap()
    .len();
    assert!(whole > 6_000_000);
    // Mapped: by default with two threads, and with --mmap on one.
    for args in [&["-j", "2"][..], &["-j", "1", "--mmap"]] {
        let (dir, file) = copy_of("cephx-crc.pcap", "truncated");
        let (code, printed, err) = truncated_while_listed(&file, args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert_eq!(
            err,
            "cephshark: a capture file was truncated while it was being read \
             (it is mapped into memory; --no-mmap reads it with read() instead)\n",
            "{args:?}"
        );
        assert!(printed >= 4096, "{args:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
    // Read with read(), the listing ends where the file now does, and is
    // neither killed nor told of a mapping.
    let (dir, file) = copy_of("cephx-crc.pcap", "truncated-read");
    let (code, _, err) = truncated_while_listed(&file, &["-j", "2", "--no-mmap"]);
    assert!(code.is_some(), "killed: {err}");
    assert!(!err.contains("mapped"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
