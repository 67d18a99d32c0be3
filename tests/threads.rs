//! `-j`: the output of a whole-capture pass is the same byte for byte
//! whatever the number of threads, on every bundled capture and in every
//! output form (rows, tree, JSON, statistics, verify's report and exit);
//! and whether the file is read with read() (`--no-mmap`; the default with
//! one thread) or in place (`--mmap`; the default with more).

use std::path::PathBuf;
use std::process::{Command, Output};

fn capture(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "captures", name]
        .iter()
        .collect();
    p.display().to_string()
}

fn run(args: &[String], jobs: &str) -> Output {
    let mut all = args.to_vec();
    all.extend(["-j".to_string(), jobs.to_string()]);
    let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(&all)
        .output()
        .unwrap_or_else(|e| panic!("run cephshark: {e}"));
    assert!(o.status.code().is_some(), "{all:?}: killed");
    o
}

const CAPTURES: &[&str] = &[
    "none-crc.pcap",
    "cephx-crc.pcap",
    "cephx-secure.pcapng",
    "keylog-rados.pcap",
    "lab-reconnect.pcap",
    "lab-mixed.pcap",
    "lab-unanswered.pcap",
];

fn forms(file: &str) -> Vec<Vec<String>> {
    let keys = capture("cephx-secure.keys");
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&["-r", file]),
        s(&["-r", file, "-V", "--keys", &keys]),
        s(&["-r", file, "-T", "jsonl"]),
        s(&[
            "-r", file, "-q", "-z", "conv", "-z", "msgs", "-z", "errors", "-z", "results",
        ]),
        s(&["verify", file]),
        s(&["verify", file, "--keys", &keys]),
    ]
}

fn mapped(args: &[String]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--mmap".to_string());
    all
}

fn read(args: &[String]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--no-mmap".to_string());
    all
}

#[test]
fn every_thread_count_gives_the_same_bytes() {
    for name in CAPTURES {
        let file = capture(name);
        for args in forms(&file) {
            // The reference: one thread, the file read with read().
            let one = run(&args, "1");
            assert!(!one.stdout.is_empty(), "{args:?}: no output");
            let others = [
                (args.clone(), "2"),
                (args.clone(), "4"),
                (mapped(&args), "1"),
                (mapped(&args), "2"),
                (read(&args), "2"),
            ];
            for (form, jobs) in others {
                let many = run(&form, jobs);
                assert_eq!(one.status.code(), many.status.code(), "{form:?} -j {jobs}");
                assert!(
                    one.stdout == many.stdout,
                    "{form:?}: -j {jobs} printed other bytes than -j 1"
                );
                assert_eq!(one.stderr, many.stderr, "{form:?} -j {jobs}");
            }
        }
    }
}

#[test]
fn a_cut_capture_ends_at_the_same_packet_with_any_thread_count() {
    let bytes = std::fs::read(capture("cephx-crc.pcap")).unwrap_or_default();
    assert!(bytes.len() > 100_000);
    let dir = std::env::temp_dir().join(format!("cephshark-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap_or_default();
    let args = vec!["-r".to_string(), cut.display().to_string()];
    let one = run(&args, "1");
    // Cut inside a record: rows up to it, then the error, exit 2.
    assert_eq!(one.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&one.stderr).contains("truncated"));
    for (form, jobs) in [
        (args.clone(), "2"),
        (mapped(&args), "1"),
        (mapped(&args), "2"),
        (read(&args), "2"),
    ] {
        let other = run(&form, jobs);
        assert_eq!(other.status.code(), Some(2), "{form:?} -j {jobs}");
        assert!(one.stdout == other.stdout, "{form:?} -j {jobs}");
        assert_eq!(one.stderr, other.stderr, "{form:?} -j {jobs}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn zero_threads_is_refused() {
    let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(["-r", &capture("none-crc.pcap"), "-j", "0"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
}
