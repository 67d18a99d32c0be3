//! Helpers of the lab-capture tests (tests/lab.rs, tests/lab_interop.rs):
//! the captures with their keys, Ceph's logs beside them, and values both
//! sides name (nonces, global_seq).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crate::ceph_logs;
use cephshark::analysis::conformance::FinalState;
use cephshark::analysis::{dissect, Config, Record, Summary};
use cephshark::decode::control::Control;
use cephshark::tcp::ConnId;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

pub fn lab(name: &str) -> (Vec<Record>, Summary) {
    let mut cfg = Config::default();
    if let Ok(text) = std::fs::read_to_string(dir().join(format!("{name}.keys"))) {
        let log = cephshark::msgr2::keys::KeyLog::parse(&text).unwrap();
        cfg.keys = Some(std::sync::Arc::new(log));
    }
    let bytes = std::fs::read(dir().join(format!("{name}.pcap"))).unwrap();
    let mut recs = Vec::new();
    let s = dissect(&bytes[..], cfg, &mut |r| recs.push(r)).unwrap();
    (recs, s)
}

/// The lines of each log of `name` whose file name starts with `prefix`,
/// one Vec per file.
pub fn logs(name: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join(format!("{name}.logs")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let mut s = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
                .read_to_string(&mut s)
                .unwrap();
            s.lines().map(str::to_string).collect()
        })
        .collect()
}

/// `key=value` of a log line.
pub fn kv<'a>(line: &'a str, key: &str) -> &'a str {
    let pat = format!(" {key}=");
    let rest = line
        .split(&pat)
        .nth(1)
        .unwrap_or_else(|| panic!("{key}: {line}"));
    rest.split([' ', ')']).next().unwrap()
}

pub fn time(line: &str) -> f64 {
    ceph_logs::parse_time(line.split(' ').next().unwrap()).unwrap()
}

/// The capture's first and last packet times.
pub fn window(recs: &[Record]) -> (f64, f64) {
    let ts = recs.iter().map(|r| r.ts.as_f64());
    (
        ts.clone().fold(f64::MAX, f64::min),
        ts.fold(f64::MIN, f64::max),
    )
}

pub fn controls(recs: &[Record], conn: Option<ConnId>) -> Vec<(ConnId, Control)> {
    recs.iter()
        .filter(|r| conn.is_none_or(|c| r.conn == c))
        .filter_map(|r| r.control().map(|c| (r.conn, c.clone())))
        .collect()
}

/// The client nonce and the server's global_seq (Ceph's `pgs=`) of each
/// connection whose idents the capture holds.
pub fn idents(recs: &[Record]) -> Vec<(ConnId, u32, u64)> {
    let mut out = Vec::new();
    for (conn, c) in controls(recs, None) {
        if let Control::ServerIdent(si) = c {
            let nonce = controls(recs, Some(conn))
                .into_iter()
                .find_map(|(_, c)| match c {
                    Control::ClientIdent(ci) => Some(ci.addrs.addrs[0].nonce.v),
                    _ => None,
                });
            out.push((conn, nonce.unwrap(), si.global_seq.v));
        }
    }
    out
}

pub fn state(s: &Summary, c: ConnId) -> FinalState {
    s.conns[&c].state.unwrap()
}

pub fn cephshark(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

pub fn path(f: &str) -> String {
    dir().join(f).to_string_lossy().into_owned()
}

/// The messenger address (`127.0.0.1:0/NONCE`) a client log line names
/// first, and its nonce.
pub fn nonce_of(line: &str, sep: &str) -> u32 {
    let me = line.split(sep).nth(1).unwrap().split(' ').next().unwrap();
    me.rsplit('/').next().unwrap().parse().unwrap()
}
