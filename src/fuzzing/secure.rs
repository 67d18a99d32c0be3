//! Secure-mode frames for fuzzing: random bytes never pass an AES-GCM tag,
//! so the `secure` target reads its input as records that the harness
//! seals with a fixed key, then damages, before the decoder (which has the
//! key) opens them. The handshake before them is a real crc-mode one ending
//! in AUTH_DONE with con_mode secure.
//!
//! ```text
//! input  := head:u8 record*
//! head   := bit 0 msgr2.1 (else msgr2.0); bits 1-7 feed chunk size (0: whole)
//! record := kind:u8 body
//! kind%5 == 0  frame:  tag:u8 flags:u8 nseg:u8 len:le16 * (nseg%4+1), segment bytes
//! kind%5 == 1  op:     len:le16 bytes   sealed as one GCM operation as they are
//! kind%5 == 2  raw:    len:le16 bytes   appended unsealed
//! kind%5 == 3  flip:   back:le16 xor:u8 the byte `back` from the end ^= xor
//! kind%5 == 4  lose:   n:u8             the last n%64+1 bytes are not captured
//! ```

use std::ops::Range;

use crate::msgr2::crypto::{GcmStream, Nonce, NonceFormat, KEY_LEN};
use crate::msgr2::encoder::{encode_crc, encode_secure, FrameSpec};
use crate::msgr2::secure::KeyCandidate;
use crate::msgr2::{banner, ConnDecoder, DecoderConfig, Rev, Tag};
use crate::tcp::Direction;

/// The fixed AES-128 key every secure record is sealed with.
pub const KEY: [u8; KEY_LEN] = *b"cephshark-fuzz-k";
/// Fixed part of the client's first nonce.
pub const NONCE_FIXED: u32 = 0x5eed_c0de;
/// Counter of the client's first nonce: it wraps after two operations.
pub const NONCE_COUNTER: u64 = u64::MAX - 1;
/// Largest length a record gives a segment or operation.
pub const MAX_LEN: usize = 16 << 10;

/// Record kinds (the kind byte modulo 5).
pub const FRAME: u8 = 0;
/// See [`FRAME`].
pub const OP: u8 = 1;
/// See [`FRAME`].
pub const RAW: u8 = 2;
/// See [`FRAME`].
pub const FLIP: u8 = 3;
/// See [`FRAME`].
pub const LOSE: u8 = 4;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

/// The client's first secure nonce.
pub fn nonce() -> Nonce {
    Nonce::from_parts(NONCE_FIXED, NONCE_COUNTER)
}

/// A frame record's bytes (segments over [`MAX_LEN`] are cut; at most four).
pub fn frame_record(tag: u8, flags: u8, segments: &[&[u8]]) -> Vec<u8> {
    let segs: Vec<&[u8]> = segments
        .iter()
        .take(4)
        .map(|s| s.get(..MAX_LEN).unwrap_or(s))
        .collect();
    let nseg = u8::try_from(segs.len().max(1) - 1).unwrap_or(0);
    let mut v = vec![FRAME, tag, flags, nseg];
    for s in &segs {
        v.extend_from_slice(&u16::try_from(s.len()).unwrap_or(0).to_le_bytes());
    }
    if segs.is_empty() {
        v.extend_from_slice(&[0, 0]);
    }
    for s in &segs {
        v.extend_from_slice(s);
    }
    v
}

/// Cursor over the input.
struct In<'a>(&'a [u8]);

impl<'a> In<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.u8()?, self.u8()?]))
    }
    /// Up to `n` bytes (fewer at the end of the input).
    fn take(&mut self, n: u16) -> &'a [u8] {
        let n = usize::from(n).min(MAX_LEN).min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// The client's stream after its part of the handshake, and the ranges of
/// it that are not captured.
fn build(rev: Rev, input: &mut In<'_>, mut out: Vec<u8>) -> (Vec<u8>, Vec<Range<usize>>) {
    let start = out.len();
    let format = NonceFormat::for_revision(rev == Rev::V1);
    let mut tx = GcmStream::new(&KEY, nonce(), format);
    let mut lost: Vec<Range<usize>> = Vec::new();
    while let Some(kind) = input.u8() {
        match kind % 5 {
            FRAME => {
                let (Some(tag), Some(flags), Some(n)) = (input.u8(), input.u8(), input.u8()) else {
                    break;
                };
                let lens: Vec<u16> = (0..=n % 4).map_while(|_| input.u16()).collect();
                let segments = lens.iter().map(|&l| (input.take(l).to_vec(), 8)).collect();
                let spec = FrameSpec {
                    tag,
                    segments,
                    flags,
                    late: None,
                    no_data_crc: false,
                };
                out.extend(encode_secure(&mut tx, rev, &spec));
            }
            OP => {
                let Some(n) = input.u16() else { break };
                out.extend(tx.seal(input.take(n)));
            }
            RAW => {
                let Some(n) = input.u16() else { break };
                out.extend_from_slice(input.take(n));
            }
            FLIP => {
                let (Some(back), Some(x)) = (input.u16(), input.u8()) else {
                    break;
                };
                let secure = out.len() - start;
                if secure > 0 {
                    let at = out.len() - 1 - usize::from(back) % secure;
                    if let Some(b) = out.get_mut(at) {
                        *b ^= x;
                    }
                }
            }
            _ => {
                let Some(n) = input.u8() else { break };
                let n = usize::from(n % 64 + 1).min(out.len() - start);
                let mut new = out.len() - n..out.len();
                while let Some(r) = lost.last().filter(|r| r.end >= new.start) {
                    new.start = new.start.min(r.start);
                    lost.pop();
                }
                lost.push(new);
            }
        }
    }
    (out, lost)
}

/// The crc-mode handshake of both sides: HELLOs, AUTH_REQUEST, and the
/// server's AUTH_DONE choosing secure mode.
fn handshake(rev: Rev) -> (Vec<u8>, Vec<u8>) {
    let sup = if rev == Rev::V1 {
        banner::FEATURE_REVISION_1
    } else {
        0
    };
    let mut c2s = banner::encode(sup, 0);
    let mut s2c = banner::encode(sup, 0);
    let ctl = |tag: Tag, p: &[u8]| encode_crc(rev, &FrameSpec::control(tag.raw(), p));
    c2s.extend(ctl(Tag::Hello, &[8, 1]));
    s2c.extend(ctl(Tag::Hello, &[1, 1]));
    // AUTH_REQUEST: method none (1), no modes, empty payload.
    c2s.extend(ctl(Tag::AuthRequest, &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    // AUTH_DONE: global_id 4242, con_mode 2 (CEPH_CON_MODE_SECURE), empty payload.
    let mut done = 4242u64.to_le_bytes().to_vec();
    done.extend_from_slice(&2u32.to_le_bytes());
    done.extend_from_slice(&0u32.to_le_bytes());
    s2c.extend(ctl(Tag::AuthDone, &done));
    (c2s, s2c)
}

/// The msgr2 decoder, holding the key (and a decoy), on a secure-mode
/// client stream built from `data`'s records; every frame's tree is built.
pub fn secure_frames(data: &[u8]) {
    let mut input = In(data);
    let head = input.u8().unwrap_or(1);
    let rev = if head & 1 == 1 { Rev::V1 } else { Rev::V0 };
    let chunk = match usize::from(head >> 1) {
        0 => usize::MAX,
        n => n,
    };
    let (c2s, s2c) = handshake(rev);
    let (stream, lost) = build(rev, &mut input, c2s);
    let mut d = ConnDecoder::new(
        DecoderConfig {
            max_segment_len: 1 << 20,
            ..DecoderConfig::default()
        },
        true,
    );
    let decoy = KeyCandidate {
        key: *b"not-the-key-0123",
        nonce: nonce(),
        origin: "decoy".into(),
        cipher: Default::default(),
    };
    let right = KeyCandidate {
        key: KEY,
        nonce: nonce(),
        origin: "fuzz".into(),
        cipher: Default::default(),
    };
    for dir in [C2S, S2C] {
        if let Some(s) = d.secure_mut(dir) {
            s.set_candidates(vec![decoy.clone(), right.clone()]);
        }
    }
    let mut out = Vec::new();
    d.feed(S2C, 0, &s2c, &mut out);
    let mut pos = 0usize;
    for r in lost
        .iter()
        .chain(std::iter::once(&(stream.len()..stream.len())))
    {
        let mut at = pos;
        while at < r.start {
            let end = r.start.min(at.saturating_add(chunk));
            if let Some(piece) = stream.get(at..end) {
                d.feed(C2S, at as u64, piece, &mut out);
            }
            at = end;
        }
        if !r.is_empty() {
            d.gap(C2S, r.start as u64, r.len() as u64, &mut out);
        }
        pos = r.end;
    }
    d.finish(&mut out);
    super::trees(&out);
}
