//! Secure mode against the library's encoder: msgr2.0-secure and
//! msgr2.1-secure frames of every example shape round-trip byte-exactly
//! after the mode switch, keys are found by trial, and a flipped bit
//! anywhere in a secure frame is detected.

use cephshark::msgr2::banner;
use cephshark::msgr2::crypto::{GcmStream, Nonce, NonceFormat};
use cephshark::msgr2::encoder::{encode_crc, msg_header2, FrameSpec};
use cephshark::msgr2::secure::KeyCandidate;
use cephshark::msgr2::{
    CheckKind, CheckStatus, ConnDecoder, DecoderConfig, Event, Frame, Mode, ProblemKind, Rev, Tag,
};
use cephshark::tcp::Direction;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;
const KEY: [u8; 16] = *b"0123456789abcdef";

fn nonce(dir: Direction) -> Nonce {
    match dir {
        C2S => Nonce::from_parts(0x1111_2222, 0x0102_0304_0506_0708),
        S2C => Nonce::from_parts(0x3333_4444, u64::MAX - 1), // counter wraps during the test
    }
}

/// The example shapes of the spec (msgr2.rst; test_frames_v2.cc).
fn shapes() -> Vec<FrameSpec> {
    let pat = |n: usize, k: u8| {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(13).wrapping_add(k))
            .collect::<Vec<u8>>()
    };
    [
        (0, 0, 0, 0),
        (20, 0, 0, 0),
        (0, 70, 0, 0),
        (20, 70, 0, 350),
        (105, 0, 0, 0),
        (105, 70, 0, 350),
        (48, 0, 0, 0),
        (49, 0, 202, 303),
    ]
    .iter()
    .map(|&(a, b, c, d)| {
        let mut segs: Vec<(Vec<u8>, u16)> = vec![
            (pat(a, 1), 8),
            (pat(b, 2), 8),
            (pat(c, 3), 8),
            (pat(d, 4), 4096),
        ];
        while segs.len() > 1 && segs.last().is_some_and(|s| s.0.is_empty()) {
            segs.pop();
        }
        FrameSpec {
            tag: 17,
            segments: segs,
            flags: 0,
            late: None,
            no_data_crc: false,
        }
    })
    .collect()
}

struct Conv {
    c2s: Vec<u8>,
    s2c: Vec<u8>,
    /// Offsets where each direction's secure frames start.
    secure_starts: [Vec<usize>; 2],
}

/// Banners and a crc-mode handshake ending in AUTH_DONE(secure), then `specs`
/// sent in secure mode by both sides.
fn conversation(rev: Rev, specs: &[FrameSpec]) -> Conv {
    let sup = if rev == Rev::V1 { 1 } else { 0 };
    let mut c2s = banner::encode(sup, 0);
    let mut s2c = banner::encode(sup, 0);
    c2s.extend(encode_crc(
        rev,
        &FrameSpec::control(Tag::Hello.raw(), &[8, 1]),
    ));
    s2c.extend(encode_crc(
        rev,
        &FrameSpec::control(Tag::Hello.raw(), &[1, 1]),
    ));
    c2s.extend(encode_crc(
        rev,
        &FrameSpec::control(
            Tag::AuthRequest.raw(),
            &[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ),
    ));
    let mut done = 4242u64.to_le_bytes().to_vec();
    done.extend_from_slice(&2u32.to_le_bytes()); // CEPH_CON_MODE_SECURE
    done.extend_from_slice(&0u32.to_le_bytes());
    s2c.extend(encode_crc(
        rev,
        &FrameSpec::control(Tag::AuthDone.raw(), &done),
    ));
    let format = NonceFormat::for_revision(rev == Rev::V1);
    let mut starts: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (d, buf) in [(C2S, &mut c2s), (S2C, &mut s2c)] {
        let mut tx = GcmStream::new(&KEY, nonce(d), format);
        buf.extend(cephshark::msgr2::encoder::encode_secure(
            &mut tx,
            rev,
            &FrameSpec::control(Tag::AuthSignature.raw(), &[7; 32]),
        ));
        for spec in specs {
            starts[d.index()].push(buf.len());
            buf.extend(cephshark::msgr2::encoder::encode_secure(&mut tx, rev, spec));
        }
    }
    Conv {
        c2s,
        s2c,
        secure_starts: starts,
    }
}

fn candidates() -> Vec<KeyCandidate> {
    // Both directions' keys plus a decoy, in an order that makes trial matter.
    let decoy = KeyCandidate {
        key: *b"fedcba9876543210",
        nonce: nonce(C2S),
        origin: "decoy".into(),
        cipher: Default::default(),
    };
    vec![
        decoy,
        KeyCandidate {
            key: KEY,
            nonce: nonce(S2C),
            origin: "s2c".into(),
            cipher: Default::default(),
        },
        KeyCandidate {
            key: KEY,
            nonce: nonce(C2S),
            origin: "c2s".into(),
            cipher: Default::default(),
        },
    ]
}

/// A decoder whose both directions have the test's key candidates.
fn keyed_decoder() -> ConnDecoder {
    let mut d = ConnDecoder::new(DecoderConfig::default(), true);
    for dir in [C2S, S2C] {
        if let Some(s) = d.secure_mut(dir) {
            s.set_candidates(candidates());
        }
    }
    d
}

fn decode(conv: &Conv, keys: bool, chunk: usize) -> Vec<(Direction, Event)> {
    let mut d = ConnDecoder::new(DecoderConfig::default(), true);
    if keys {
        for dir in [C2S, S2C] {
            if let Some(s) = d.secure_mut(dir) {
                s.set_candidates(candidates());
            }
        }
    }
    let mut out = Vec::new();
    // Interleave as a real exchange would: s2c's handshake first, then c2s.
    let mut offs = [0usize; 2];
    let streams = [&conv.c2s, &conv.s2c];
    while offs[0] < conv.c2s.len() || offs[1] < conv.s2c.len() {
        for dir in [S2C, C2S] {
            let i = dir.index();
            let end = (offs[i] + chunk).min(streams[i].len());
            if offs[i] < end {
                d.feed(dir, offs[i] as u64, &streams[i][offs[i]..end], &mut out);
                offs[i] = end;
            }
        }
    }
    d.finish(&mut out);
    assert_eq!(
        d.secure_mut(C2S)
            .and_then(|s| s.matched().map(|m| m.origin.clone())),
        keys.then(|| "c2s".to_string())
    );
    out
}

fn secure_frames(evs: &[(Direction, Event)], dir: Direction) -> Vec<Frame> {
    evs.iter()
        .filter(|(d, _)| *d == dir)
        .filter_map(|(_, e)| match e {
            Event::Frame(f) if f.mode == Mode::Secure => Some((**f).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_shape_round_trips_in_both_revisions() {
    for rev in [Rev::V0, Rev::V1] {
        let specs = shapes();
        let conv = conversation(rev, &specs);
        for chunk in [usize::MAX, 1, 17, 96] {
            let evs = decode(&conv, true, chunk);
            for dir in [C2S, S2C] {
                let fs = secure_frames(&evs, dir);
                assert_eq!(fs.len(), specs.len() + 1, "{rev:?} {dir:?} chunk {chunk}");
                assert_eq!(fs[0].tag(), Tag::AuthSignature);
                for (f, (spec, start)) in fs[1..]
                    .iter()
                    .zip(specs.iter().zip(&conv.secure_starts[dir.index()]))
                {
                    assert_eq!(f.offset, *start as u64);
                    assert!(f.decrypted && f.problems.is_empty(), "{:?}", f.problems);
                    for (i, (seg, _)) in spec.segments.iter().enumerate() {
                        assert_eq!(f.segment(i), Some(&seg[..]), "{rev:?} segment {i}");
                    }
                    let tags: Vec<_> = f
                        .checks
                        .iter()
                        .filter(|c| matches!(c.kind, CheckKind::GcmTag(_)))
                        .collect();
                    assert!(!tags.is_empty() && tags.iter().all(|c| c.status == CheckStatus::Good));
                    if rev == Rev::V1 {
                        // One op for the preamble+inline, one for the rest of S0, one for S1..S3.
                        let s0 = spec.segments[0].0.len();
                        let expect = 1
                            + usize::from(s0.div_ceil(16) * 16 > 48)
                            + usize::from(spec.segments.len() > 1);
                        assert_eq!(tags.len(), expect);
                    }
                }
                // Wire lengths from the spec's table (RESEARCH.md A4, rev1-secure).
                if rev == Rev::V1 {
                    let lens: Vec<u64> = fs[1..].iter().map(|f| f.wire_len).collect();
                    // op1 96 | op2 pad16(S0)-48+16 if pad16(S0)>48 | pad16(S1..S3)+16+16 if nseg>1
                    let expect = [
                        96,                       // 0+0+0+0
                        96,                       // 20+0+0+0
                        96 + 80 + 32,             // 0+70+0+0
                        96 + 80 + 352 + 32,       // 20+70+0+350
                        96 + 80,                  // 105+0+0+0
                        96 + 80 + 80 + 352 + 32,  // 105+70+0+350
                        96,                       // 48+0+0+0
                        96 + 32 + 208 + 304 + 32, // 49+0+202+303 (RESEARCH.md A4 table)
                    ];
                    assert_eq!(lens, expect);
                }
            }
        }
    }
}

#[test]
fn without_keys_each_direction_is_reported_once() {
    for rev in [Rev::V0, Rev::V1] {
        let conv = conversation(rev, &shapes());
        let evs = decode(&conv, false, 1000);
        for dir in [C2S, S2C] {
            assert!(secure_frames(&evs, dir).is_empty());
            let nokey: Vec<_> = evs
                .iter()
                .filter(|(d, e)| {
                    *d == dir && matches!(e, Event::Undecoded(p) if p.kind == ProblemKind::NoKey)
                })
                .collect();
            assert_eq!(nokey.len(), 1, "{rev:?} {dir:?}");
            // It covers every byte after AUTH_DONE's switch.
            let (off, len) = nokey[0].1.range();
            let total = if dir == C2S {
                conv.c2s.len()
            } else {
                conv.s2c.len()
            };
            assert_eq!(off + len, total as u64);
        }
    }
}

#[test]
fn a_flipped_bit_anywhere_in_a_secure_frame_is_detected() {
    for rev in [Rev::V0, Rev::V1] {
        let spec = shapes()[5].clone(); // 105+70+0+350: three GCM operations in 2.1
        let conv = conversation(
            rev,
            &[
                spec.clone(),
                FrameSpec::control(Tag::Ack.raw(), &9u64.to_le_bytes()),
            ],
        );
        let start = conv.secure_starts[0][0];
        let end = conv.secure_starts[0][1];
        for i in (start..end).step_by(3) {
            for bit in [0x01u8, 0x80] {
                let mut bad = Conv {
                    c2s: conv.c2s.clone(),
                    s2c: conv.s2c.clone(),
                    secure_starts: conv.secure_starts.clone(),
                };
                bad.c2s[i] ^= bit;
                let evs = decode(&bad, true, usize::MAX);
                let flagged = evs.iter().filter(|(d, _)| *d == C2S).any(|(_, e)| match e {
                    Event::Frame(f) => {
                        f.offset == start as u64
                            && f.problems.iter().any(|p| p.kind == ProblemKind::GcmTagBad)
                    }
                    // A damaged preamble: named, and the stretch runs to the next frame.
                    Event::Undecoded(p) => {
                        p.kind == ProblemKind::PreambleCrcBad
                            && p.offset == start as u64 + 28
                            && p.offset + p.len == end as u64
                    }
                    _ => false,
                });
                assert!(
                    flagged,
                    "{rev:?} byte {} bit {bit:#x} not detected",
                    i - start
                );
                // The frame after the damaged one still decrypts: decoding
                // stayed (or got back) in step with the sender's nonce.
                let after = secure_frames(&evs, C2S)
                    .into_iter()
                    .find(|f| f.offset == end as u64);
                assert!(
                    after.is_some_and(|f| f.problems.is_empty() && f.tag() == Tag::Ack),
                    "{rev:?} byte {} bit {bit:#x}: the next frame was lost",
                    i - start
                );
                // The other direction is untouched.
                assert_eq!(
                    secure_frames(&evs, S2C)
                        .iter()
                        .filter(|f| f.problems.is_empty())
                        .count(),
                    3
                );
            }
        }
    }
}

#[test]
fn a_bad_tag_outside_the_preamble_keeps_the_stream_in_step() {
    let spec = shapes()[5].clone();
    let conv = conversation(
        Rev::V1,
        &[
            spec,
            FrameSpec::message(&msg_header2(9, 1, 42), b"after", b"", b""),
        ],
    );
    let start = conv.secure_starts[0][0];
    let mut bad = Conv {
        c2s: conv.c2s.clone(),
        s2c: conv.s2c.clone(),
        secure_starts: conv.secure_starts.clone(),
    };
    bad.c2s[start + 200] ^= 0x10; // inside the S1..S3 operation
    let evs = decode(&bad, true, usize::MAX);
    let fs = secure_frames(&evs, C2S);
    assert_eq!(fs.len(), 3);
    let kinds: Vec<_> = fs[1].problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, vec![ProblemKind::GcmTagBad]);
    assert_eq!(
        fs[1]
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Bad)
            .count(),
        1
    );
    // The next frame still decrypts: the nonce stayed in step.
    assert!(fs[2].problems.is_empty());
    assert_eq!(fs[2].segment(1), Some(&b"after"[..]));
}

/// Bytes lost in a secure direction: the frame they cut is reported, the
/// decoder finds the next frame (its start is 16-aligned with the secure
/// stream, its nonce a few operations further on) and decrypts again; the
/// other direction is untouched.
#[test]
fn a_gap_in_a_secure_direction_is_resynchronised() {
    for rev in [Rev::V1, Rev::V0] {
        let specs = shapes();
        let conv = conversation(rev, &specs);
        let starts = &conv.secure_starts[0];
        // Lose 20 bytes inside frame 2 (20+70+0+350: several operations).
        let lost_at = starts[3] + 10;
        let mut d = keyed_decoder();
        let mut out = Vec::new();
        d.feed(S2C, 0, &conv.s2c, &mut out);
        d.feed(C2S, 0, &conv.c2s[..lost_at], &mut out);
        d.gap(C2S, lost_at as u64, 20, &mut out);
        d.feed(
            C2S,
            lost_at as u64 + 20,
            &conv.c2s[lost_at + 20..],
            &mut out,
        );
        d.finish(&mut out);
        let fs = secure_frames(&out, C2S);
        let ok: Vec<u64> = fs
            .iter()
            .filter(|f| f.problems.is_empty())
            .map(|f| f.offset)
            .collect();
        // AUTH_SIGNATURE, frames 0..=2 before the gap, frames 4.. after it.
        let mut want = Vec::new();
        want.extend(
            starts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 3)
                .map(|(_, s)| *s as u64),
        );
        let got_after: Vec<u64> = ok
            .iter()
            .copied()
            .filter(|o| *o >= starts[0] as u64)
            .collect();
        assert_eq!(got_after, want, "{rev:?}");
        let c2s: Vec<&Event> = out
            .iter()
            .filter(|(d, _)| *d == C2S)
            .map(|(_, e)| e)
            .collect();
        assert!(c2s
            .iter()
            .any(|e| matches!(e, Event::Lost { offset, len: 20 } if *offset == lost_at as u64)));
        // The rest of the cut frame is one undecoded stretch ending where frame 4 starts.
        let skipped: Vec<_> = c2s
            .iter()
            .filter_map(|e| match e {
                Event::Undecoded(p) if p.kind == ProblemKind::Undecoded => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(skipped.len(), 1, "{rev:?}");
        assert_eq!(
            (skipped[0].offset, skipped[0].offset + skipped[0].len),
            (lost_at as u64 + 20, starts[4] as u64)
        );
        assert!(!c2s
            .iter()
            .any(|e| matches!(e, Event::Undecoded(p) if p.kind == ProblemKind::SecureSyncLost)));
        assert_eq!(
            secure_frames(&out, S2C)
                .iter()
                .filter(|f| f.problems.is_empty())
                .count(),
            specs.len() + 1
        );
    }
}

/// A loss of hundreds of frames (more operations than the stepped resync
/// window tries): the nonce search over the captured segments' starts
/// finds the next whole frame and its counter, and decryption goes on.
#[test]
fn a_long_gap_in_a_secure_direction_is_crossed_by_the_nonce_search() {
    let small = FrameSpec {
        tag: 17,
        segments: vec![(vec![5; 20], 8)],
        flags: 0,
        late: None,
        no_data_crc: false,
    };
    // Enough after the loss for the search to run before the input ends
    // (over 256 KiB held).
    let specs = vec![small; 3500];
    let conv = conversation(Rev::V1, &specs);
    let starts = &conv.secure_starts[0];
    // From inside frame 10 to inside frame 600: 590 operations lost.
    let (lost_at, resume_at) = (starts[10] + 7, starts[600] + 7);
    let mut d = keyed_decoder();
    let mut out = Vec::new();
    d.feed(S2C, 0, &conv.s2c, &mut out);
    d.feed(C2S, 0, &conv.c2s[..lost_at], &mut out);
    d.gap(C2S, lost_at as u64, (resume_at - lost_at) as u64, &mut out);
    // After the loss, one captured segment per frame (as a sender writes
    // them), the first one the rest of frame 600.
    let mut cuts: Vec<usize> = vec![resume_at];
    cuts.extend(starts[601..].iter().copied());
    cuts.push(conv.c2s.len());
    for w in cuts.windows(2) {
        d.feed(C2S, w[0] as u64, &conv.c2s[w[0]..w[1]], &mut out);
    }
    d.finish(&mut out);
    let ok: Vec<u64> = secure_frames(&out, C2S)
        .iter()
        .filter(|f| f.problems.is_empty())
        .map(|f| f.offset)
        .collect();
    let want: Vec<u64> = starts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 10 || *i > 600)
        .map(|(_, s)| *s as u64)
        .collect();
    let after: Vec<u64> = ok
        .iter()
        .copied()
        .filter(|o| *o >= starts[0] as u64)
        .collect();
    assert_eq!(after, want);
    // The stretch from the loss's end to frame 601 is one undecoded
    // stretch naming the search; the stream is never called lost.
    let c2s: Vec<&Event> = out
        .iter()
        .filter(|(d, _)| *d == C2S)
        .map(|(_, e)| e)
        .collect();
    let skipped: Vec<_> = c2s
        .iter()
        .filter_map(|e| match e {
            Event::Undecoded(p) if p.kind == ProblemKind::Undecoded => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        (skipped[0].offset, skipped[0].offset + skipped[0].len),
        (resume_at as u64, starts[601] as u64)
    );
    // AUTH_SIGNATURE and frames 0..=600 used one operation each.
    assert!(
        skipped[0]
            .found
            .contains("resumed 591 operations past the last frame decoded"),
        "{}",
        skipped[0].found
    );
    assert!(!c2s
        .iter()
        .any(|e| matches!(e, Event::Undecoded(p) if p.kind == ProblemKind::SecureSyncLost)));
}
