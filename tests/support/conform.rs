//! Helpers of the conformance tests: real connections re-sent as
//! mutants, the findings of the state machine, and `verify` on them.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use super::mutants::{control_frame, records, resend};
use super::synth::{connection, Send};
use cephshark::analysis::{dissect, Config, Record, RecordKind, Summary};
use cephshark::decode::control::Control;
use cephshark::model::{Problem, ProblemKind};
use cephshark::msgr2::keys::KeyLog;
use cephshark::msgr2::Tag;
use cephshark::tcp::{ConnId, Direction};
use std::path::Path;
use std::sync::Arc;

pub const CONFORMANCE: &[ProblemKind] = &[
    ProblemKind::UnexpectedFrame,
    ProblemKind::WrongSide,
    ProblemKind::ModeNotOffered,
    ProblemKind::MethodNotAllowed,
    ProblemKind::WrongTarget,
    ProblemKind::PeerTypeMismatch,
    ProblemKind::FeaturesUnsupported,
    ProblemKind::GidMismatch,
    ProblemKind::ReconnectBad,
    ProblemKind::ReconnectUnknownSession,
    ProblemKind::MsgHeaderInconsistent,
    ProblemKind::SeqReplayed,
    ProblemKind::KeepaliveAckUnmatched,
];

pub fn path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

pub fn dissect_file(name: &str, keys: Option<&str>) -> (Vec<Record>, Summary) {
    let keys =
        keys.map(|k| Arc::new(KeyLog::parse(&std::fs::read_to_string(path(k)).unwrap()).unwrap()));
    let cfg = Config {
        keys,
        ..Config::default()
    };
    let mut rows = Vec::new();
    let s = dissect(&std::fs::read(path(name)).unwrap()[..], cfg, &mut |r| {
        rows.push(r)
    })
    .unwrap();
    (rows, s)
}

/// Every conformance problem of the rows: (row, problem).
pub fn findings(rows: &[Record]) -> Vec<(&Record, Problem)> {
    rows.iter()
        .flat_map(|r| r.problems().into_iter().map(move |p| (r, p)))
        .filter(|(_, p)| CONFORMANCE.contains(&p.kind))
        .collect()
}

/// A real connection's sends with the tag and side of each.
pub fn conversation(name: &str, conn: u32) -> Vec<(Send, Option<Tag>)> {
    let recs = super::mutants::real_named(name);
    let tags = recs
        .iter()
        .filter(|r| {
            r.conn == ConnId(conn) && matches!(r.kind, RecordKind::Banner(_) | RecordKind::Frame(_))
        })
        .map(|r| r.frame().map(|f| f.tag()));
    resend(&recs, ConnId(conn)).into_iter().zip(tags).collect()
}

pub fn pos(c: &[(Send, Option<Tag>)], client: bool, tag: Tag) -> usize {
    c.iter()
        .position(|(s, t)| s.from_client == client && *t == Some(tag))
        .unwrap()
}

pub fn run(c: &[(Send, Option<Tag>)]) -> Vec<Record> {
    let sends: Vec<Send> = c.iter().map(|(s, _)| s.clone()).collect();
    records(&connection(40000, 3300, &sends, 1400))
}

pub fn pcap(c: &[(Send, Option<Tag>)]) -> Vec<u8> {
    let sends: Vec<Send> = c.iter().map(|(s, _)| s.clone()).collect();
    connection(40000, 3300, &sends, 1400)
}

/// `cephshark verify` on the capture: exit code and output.
pub fn verify(bytes: &[u8], label: &str) -> (i32, String) {
    let f = std::env::temp_dir().join(format!(
        "cephshark-conf-{}-{label}.pcap",
        std::process::id()
    ));
    std::fs::write(&f, bytes).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cephshark"))
        .arg("verify")
        .arg(&f)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&f);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// The one conformance finding of a mutant: its row's tag and direction,
/// and the problem; `verify` fails on it.
pub fn one(c: &[(Send, Option<Tag>)], label: &str) -> (Tag, Direction, Problem) {
    let rows = run(c);
    let f = findings(&rows);
    assert_eq!(
        f.len(),
        1,
        "{label}: {:#?}",
        f.iter().map(|x| &x.1).collect::<Vec<_>>()
    );
    let (r, p) = &f[0];
    let (code, out) = verify(&pcap(c), label);
    assert_eq!(code, 1, "{label}: {out}");
    assert!(out.contains(p.kind.name()), "{label}: {out}");
    (r.frame().unwrap().tag(), r.dir, p.clone())
}

pub fn send(client: bool, c: &Control) -> (Send, Option<Tag>) {
    (
        Send {
            from_client: client,
            data: control_frame(c),
        },
        Some(c.tag()),
    )
}

pub fn decoded(c: &[(Send, Option<Tag>)], i: usize) -> Control {
    let rows = run(c);
    let frames: Vec<&Record> = rows
        .iter()
        .filter(|r| r.frame().is_some() || matches!(r.kind, RecordKind::Banner(_)))
        .collect();
    frames[i].control().cloned().unwrap()
}
