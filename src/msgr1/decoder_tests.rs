//! The msgr1 decoder on streams from the encoder: whole sessions, every
//! truncation, any chunking, caps on lengths, NOCRC, lost bytes, a wrong
//! banner and a bad tag.
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use super::decoder::{Event1, Msgr1Decoder, MAX_AUTHORIZER_LEN};
use super::encoder::{msg, session};
use super::header::{FLAG_COMPLETE, FLAG_NOCRC};
use super::item::Body;
use crate::msgr2::{CheckStatus, ProblemKind};
use crate::tcp::Direction;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

fn stream() -> (Vec<u8>, Vec<u8>) {
    let front = b"front bytes of an osd_op".to_vec();
    let data = vec![0x5a; 3000];
    session(
        &[
            msg(1, 42, [&front, &[], &data], true, FLAG_COMPLETE),
            vec![14, 1, 0, 0, 0, 2, 0, 0, 0], // KEEPALIVE2
            msg(2, 42, [&front, b"mid", &[]], true, FLAG_COMPLETE),
        ],
        &[
            vec![8, 1, 0, 0, 0, 0, 0, 0, 0], // ACK 1
            msg(1, 43, [b"reply", &[], &[]], true, FLAG_COMPLETE),
            vec![6], // CLOSE
        ],
    )
}

fn names(out: &[(Direction, Event1)], dir: Direction) -> Vec<String> {
    out.iter()
        .filter(|(d, _)| *d == dir)
        .map(|(_, e)| match e {
            Event1::Item(it) => it.name(),
            Event1::Lost { .. } => "[LOST]".into(),
            Event1::Undecoded(p) => format!("[{}]", p.kind.name()),
        })
        .collect()
}

fn run(c: &[u8], s: &[u8], chunk: usize) -> Vec<(Direction, Event1)> {
    let mut d = Msgr1Decoder::new(1 << 20);
    let mut out = Vec::new();
    let (mut ci, mut si) = (0, 0);
    while ci < c.len() || si < s.len() {
        // The server speaks first, as in ProtocolV1; each side a chunk.
        if si < s.len() {
            let e = (si + chunk).min(s.len());
            d.feed(S2C, si as u64, &s[si..e], &mut out);
            si = e;
        }
        if ci < c.len() {
            let e = (ci + chunk).min(c.len());
            d.feed(C2S, ci as u64, &c[ci..e], &mut out);
            ci = e;
        }
    }
    d.finish(&mut out);
    out
}

#[test]
fn whole_session() {
    let (c, s) = stream();
    let out = run(&c, &s, usize::MAX);
    assert_eq!(
        names(&out, C2S),
        ["BANNER", "ADDR", "CONNECT", "MSG", "KEEPALIVE2", "MSG"]
    );
    assert_eq!(
        names(&out, S2C),
        [
            "BANNER",
            "ADDR",
            "CONNECT_REPLY(READY)",
            "ACK",
            "MSG",
            "CLOSE"
        ]
    );
    for (_, e) in &out {
        let Event1::Item(it) = e else { panic!("{e:?}") };
        assert!(it.problems.is_empty(), "{:?}", it.problems);
        if let Body::Msg(m) = &it.body {
            assert_eq!(it.checks.len(), 4);
            assert!(it.checks.iter().all(|c| c.status == CheckStatus::Good));
            assert_eq!(m.footer.map(|f| f.sig), Some(Some(0)));
        }
    }
    let sizes: Vec<[u32; 3]> = out
        .iter()
        .filter_map(|(_, e)| match e {
            Event1::Item(it) => it.msg().map(|m| m.header.lens()),
            _ => None,
        })
        .collect();
    // The server's whole stream was fed first.
    assert_eq!(sizes, [[5, 0, 0], [24, 0, 3000], [24, 3, 0]]);
}

/// Each direction's events, in order (the interleaving of the two
/// directions follows the feeding).
fn per_dir(out: &[(Direction, Event1)]) -> [String; 2] {
    [C2S, S2C].map(|d| {
        let v: Vec<&Event1> = out
            .iter()
            .filter(|(x, _)| *x == d)
            .map(|(_, e)| e)
            .collect();
        format!("{v:?}")
    })
}

#[test]
fn any_chunking_gives_the_same_items() {
    let (c, s) = stream();
    let whole = per_dir(&run(&c, &s, usize::MAX));
    for chunk in [1, 2, 3, 7, 53, 54, 100, 1000] {
        assert!(per_dir(&run(&c, &s, chunk)) == whole, "chunk {chunk}");
    }
}

#[test]
fn every_prefix_waits_for_more_bytes() {
    let (c, s) = stream();
    let full_c = names(&run(&c, &s, usize::MAX), C2S);
    for n in 0..c.len() {
        let mut d = Msgr1Decoder::new(1 << 20);
        let mut out = Vec::new();
        d.feed(S2C, 0, &s, &mut out);
        d.feed(C2S, 0, &c[..n], &mut out);
        // Only whole items, in order; nothing flagged: the rest is awaited.
        let got = names(&out, C2S);
        assert!(full_c.starts_with(&got), "prefix {n}: {got:?}");
        assert!(got.len() < full_c.len(), "prefix {n}");
        // At the end of the capture, what is left is a truncated row.
        let left = d.pending(C2S).1;
        d.finish(&mut out);
        let flagged = out.iter().any(|(dir, e)| {
            *dir == C2S
                && match e {
                    Event1::Item(it) => {
                        it.problems.iter().any(|p| p.kind == ProblemKind::Truncated)
                    }
                    Event1::Undecoded(p) => p.kind == ProblemKind::Truncated,
                    Event1::Lost { .. } => false,
                }
        });
        assert_eq!(flagged, left > 0, "prefix {n}");
    }
    for n in 0..s.len() {
        let mut d = Msgr1Decoder::new(1 << 20);
        let mut out = Vec::new();
        d.feed(S2C, 0, &s[..n], &mut out);
        assert!(
            out.iter().all(|(_, e)| matches!(e, Event1::Item(_))),
            "prefix {n}"
        );
        d.finish(&mut out);
    }
}

#[test]
fn lengths_over_the_cap_are_refused_before_buffering() {
    let big = vec![0u8; 5000];
    let (c, s) = session(&[msg(1, 42, [&[], &[], &big], true, FLAG_COMPLETE)], &[]);
    let mut d = Msgr1Decoder::new(4096);
    let mut out = Vec::new();
    d.feed(S2C, 0, &s, &mut out);
    // Only the header of the MSG arrives: the claim is refused at once.
    let head = c.len() - big.len() - 21;
    d.feed(C2S, 0, &c[..head], &mut out);
    let p = out
        .iter()
        .find_map(|(_, e)| match e {
            Event1::Undecoded(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(p.kind, ProblemKind::Msgr1LengthTooLong);
    assert_eq!(p.field, "msgr1.header.data_len");
    assert_eq!(p.found, "5000");
    assert!(d.memory() < 4096, "{}", d.memory());

    // An authorizer longer than the cap.
    let (mut c, s) = session(&[], &[]);
    let at = 9 + 136 + 28;
    c[at..at + 4].copy_from_slice(&(MAX_AUTHORIZER_LEN + 1).to_le_bytes());
    let out = run(&c, &s, usize::MAX);
    assert!(out.iter().any(|(d, e)| *d == C2S
        && matches!(e, Event1::Undecoded(p) if p.kind == ProblemKind::Msgr1LengthTooLong
            && p.field == "msgr1.authorizer_len")));
}

#[test]
fn nocrc_makes_the_data_crc_absent_not_bad() {
    let mut m = msg(
        1,
        42,
        [b"f", &[], b"data"],
        true,
        FLAG_COMPLETE | FLAG_NOCRC,
    );
    // The sender computed no data CRC: a zero is stored.
    let n = m.len();
    m[n - 21 + 8..n - 21 + 12].fill(0);
    let (c, s) = session(&[m], &[]);
    let out = run(&c, &s, usize::MAX);
    let it = out
        .iter()
        .find_map(|(_, e)| match e {
            Event1::Item(it) if it.msg().is_some() => Some(it.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(it.checks[3].status, CheckStatus::Absent);
    assert_eq!(
        it.problems
            .iter()
            .map(|p| (p.kind, p.kind.severity()))
            .collect::<Vec<_>>(),
        [(
            ProblemKind::Msgr1DataCrcAbsent,
            crate::msgr2::Severity::Note
        )]
    );
}

#[test]
fn lost_bytes_then_the_next_msg() {
    let (c, s) = stream();
    let mut d = Msgr1Decoder::new(1 << 20);
    let mut out = Vec::new();
    d.feed(S2C, 0, &s, &mut out);
    // The first MSG starts after banner, address and connect (+16).
    let first = 9 + 136 + 33 + 16;
    d.feed(C2S, 0, &c[..first + 100], &mut out);
    d.feed(C2S, (first + 400) as u64, &c[first + 400..], &mut out);
    d.finish(&mut out);
    let got = names(&out, C2S);
    assert_eq!(
        got,
        [
            "BANNER",
            "ADDR",
            "CONNECT",
            "MSG",
            "[LOST]",
            "[undecoded]",
            "MSG"
        ],
        "{out:?}"
    );
}

#[test]
fn wrong_banner_and_bad_tag() {
    let (c, mut s) = stream();
    s[..9].copy_from_slice(b"ceph v2\n\x10");
    let out = run(&c, &s, usize::MAX);
    let p = out
        .iter()
        .find_map(|(d, e)| match e {
            Event1::Undecoded(p) if *d == S2C => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(p.kind, ProblemKind::BannerMismatch);
    assert!(p.expected.contains("ceph v027") && p.found.contains("ceph v2"));

    let (c, s) = session(&[vec![99]], &[]);
    let out = run(&c, &s, usize::MAX);
    assert!(out.iter().any(|(_, e)| matches!(e,
        Event1::Undecoded(p) if p.kind == ProblemKind::Msgr1TagBad && p.found == "UNKNOWN(99)")));
}

#[test]
fn mid_stream_starts_at_the_first_msg() {
    let (c, _) = stream();
    // Join inside the first MSG's data: the rest up to the next MSG's tag
    // is a mid-stream note, then the items follow.
    let first = 9 + 136 + 33 + 16;
    let from = first + 1000;
    let mut d = Msgr1Decoder::mid_stream(1 << 20);
    let mut out = Vec::new();
    d.feed(C2S, from as u64, &c[from..], &mut out);
    d.finish(&mut out);
    assert_eq!(names(&out, C2S), ["[mid_stream]", "MSG"]);
    let Some((_, Event1::Undecoded(p))) = out.first() else {
        panic!("{out:?}")
    };
    assert_eq!(p.offset, from as u64);
    // Up to the KEEPALIVE2 (9 bytes) before the second MSG: its tag is a
    // byte the hunt cannot tell from data, so it is skipped too.
    let second = first + 54 + 24 + 3000 + 21 + 9;
    assert_eq!(p.len, (second - from) as u64);
}
