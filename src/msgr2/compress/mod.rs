//! msgr2 on-wire compression (Ceph 17+): what COMPRESSION_DONE agreed on,
//! and the decompression of a flagged frame's segments.
//!
//! ```text
//!  banners: CEPH_MSGR2_FEATURE_COMPRESSION on both sides (msgr.h)
//!  client -> COMPRESSION_REQUEST {u8 is_compress, vector<le32> methods}
//!  server -> COMPRESSION_DONE    {u8 is_compress, le32 method}
//!  then any frame may set preamble flags bit 0 (FRAME_EARLY_DATA_COMPRESSED):
//!  preamble | seg0' | seg1' | seg2' | seg3' | epilogue     (seg' compressed)
//! ```
//!
//! Facts: frames_v2.h (tags, payloads), frames_v2.cc (the flag, segment
//! lengths in the preamble are the compressed ones, CRCs and GCM cover
//! the compressed bytes), compression_onwire.cc (every segment compressed
//! on its own; an empty segment stays empty), Compressor.h (method ids),
//! the compressors' own formats in the files beside this one.
//!
//! A frame's segments are checked as they are on the wire, then each is
//! decompressed with the connection's method into the frame's buffer,
//! which from then on holds the preamble and the decompressed segments.
//! Output is bounded by a cap (the decoder's segment length cap): a
//! segment claiming more is refused before anything is allocated.

pub mod lz4;
pub mod snappy;
pub mod zlib;
pub mod zstd;

use super::frame::Frame;
use super::preamble::{self, MAX_SEGMENTS};
use super::problem::{Problem, ProblemKind};
use super::tag::open_enum;
use bytes::Bytes;
use nom::number::complete::{le_u32, le_u8};
use nom::Parser;
use std::ops::Range;

open_enum! {
    /// A compression algorithm (compressor/Compressor.h CompressionAlgorithm).
    pub enum Method: u32 {
        /// COMP_ALG_NONE.
        None = 0 => "none",
        /// COMP_ALG_SNAPPY.
        Snappy = 1 => "snappy",
        /// COMP_ALG_ZLIB.
        Zlib = 2 => "zlib",
        /// COMP_ALG_ZSTD.
        Zstd = 3 => "zstd",
        /// COMP_ALG_LZ4.
        Lz4 = 4 => "lz4",
        /// COMP_ALG_BROTLI: its segment format is not established here.
        Brotli = 5 => "brotli",
    }
}

impl Method {
    /// Whether segments of this method can be decompressed here.
    pub fn supported(self) -> bool {
        matches!(
            self,
            Method::Snappy | Method::Zlib | Method::Zstd | Method::Lz4
        )
    }
}

/// Why a segment did not decompress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The output would pass the cap (its claimed or produced length).
    TooLong {
        /// Bytes claimed (or, without a claim, produced past the cap).
        claimed: u64,
    },
    /// The bytes are not valid for the method.
    Corrupt(String),
    /// The method has no decoder here.
    Unsupported,
}

/// Decompress one non-empty segment with `method`, at most `cap` bytes.
pub fn decompress(method: Method, seg: &[u8], cap: usize) -> Result<Vec<u8>, Failure> {
    match method {
        Method::Snappy => snappy::decode(seg, cap),
        Method::Zlib => zlib::decode(seg, cap),
        Method::Zstd => zstd::decode(seg, cap),
        Method::Lz4 => lz4::decode(seg, cap),
        Method::None | Method::Brotli | Method::Unknown(_) => Err(Failure::Unsupported),
    }
}

/// Compress one segment with `method` (lz4: as one block), as Ceph's
/// compressor writes it; `None` for methods with no encoder here. An
/// empty segment stays empty (compression_onwire.cc).
pub fn compress(method: Method, seg: &[u8]) -> Option<Vec<u8>> {
    if seg.is_empty() {
        return Some(Vec::new());
    }
    Some(match method {
        Method::Snappy => snappy::encode(seg),
        Method::Zlib => zlib::encode(seg),
        Method::Zstd => zstd::encode(seg),
        Method::Lz4 => lz4::encode(&[seg]),
        Method::None | Method::Brotli | Method::Unknown(_) => return None,
    })
}

/// What the server's COMPRESSION_DONE said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    /// Whether frames may be compressed.
    pub on: bool,
    /// The method.
    pub method: Method,
}

impl Done {
    /// The answer to "is compression on for this connection?": the method,
    /// or `off`.
    pub fn text(self) -> String {
        if self.on {
            self.method.to_string()
        } else {
            "off".into()
        }
    }
}

/// COMPRESSION_DONE's payload: `u8 is_compress, le32 method` (frames_v2.h
/// CompressionDoneFrame).
pub fn parse_done(seg0: &[u8]) -> Option<Done> {
    let (_, (on, method)) = (le_u8::<_, nom::error::Error<&[u8]>>, le_u32)
        .parse(seg0)
        .ok()?;
    Some(Done {
        on: on != 0,
        method: Method::from(method),
    })
}

/// What decompression made of a flagged frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compression {
    /// The connection's method, when its COMPRESSION_DONE was seen.
    pub method: Option<Method>,
    /// Whether `Frame::data` holds the decompressed segments.
    pub decompressed: bool,
    /// Each segment's length on the wire (compressed).
    pub wire_lens: [usize; MAX_SEGMENTS],
    /// The frame's bytes before decompression (wire bytes in crc mode,
    /// decrypted bytes in secure mode) and the segments' ranges in them.
    pub before: Bytes,
    /// Ranges of the segments in `before`.
    pub before_segments: [Range<usize>; MAX_SEGMENTS],
}

/// Decompress the segments of a frame whose preamble says they are
/// compressed, with what the connection's COMPRESSION_DONE agreed on
/// (`done`), each to at most `cap` bytes. Problems are added to the
/// frame; the frame keeps its compressed bytes when any segment fails.
pub fn apply(f: &mut Frame, done: Option<Done>, cap: usize) {
    if !f.preamble.compressed() || f.compression.is_some() {
        return;
    }
    let wire_lens = f.segments.clone().map(|r| r.len());
    let mut c = Compression {
        method: done.filter(|d| d.on).map(|d| d.method),
        decompressed: false,
        wire_lens,
        before: f.data.clone(),
        before_segments: f.segments.clone(),
    };
    let flags_at = f.offset.saturating_add(preamble::FLAGS as u64);
    let method = match (done, c.method) {
        (_, Some(m)) if m.supported() => m,
        (_, Some(m)) => {
            f.problems.push(
                Problem::new(
                    ProblemKind::CompressionUnsupported,
                    flags_at,
                    1,
                    "msgr2.preamble.flags",
                )
                .values("snappy, zlib, zstd or lz4", m.to_string()),
            );
            f.compression = Some(Box::new(c));
            return;
        }
        (found, None) => {
            let found = match found {
                Some(_) => "COMPRESSION_DONE with compression off",
                None => "no COMPRESSION_DONE in the capture",
            };
            f.problems.push(
                Problem::new(
                    ProblemKind::CompressionNotNegotiated,
                    flags_at,
                    1,
                    "msgr2.preamble.flags",
                )
                .values("COMPRESSION_DONE with compression on", found),
            );
            f.compression = Some(Box::new(c));
            return;
        }
    };
    // Segments after the first of an aborted frame were cut short, and a
    // frame missing bytes has nothing whole to decompress.
    let whole = (0..f.preamble.nseg()).all(|i| f.segment_bytes(i).is_some());
    if f.aborted() || !whole {
        f.compression = Some(Box::new(c));
        return;
    }
    let mut data = f.data.get(..preamble::LEN).unwrap_or(&[]).to_vec();
    let mut ranges: [Range<usize>; MAX_SEGMENTS] = [0..0, 0..0, 0..0, 0..0];
    let mut failed = false;
    for (i, r) in ranges.iter_mut().enumerate() {
        let seg = f.segment_bytes(i).unwrap_or(&[]);
        let start = data.len();
        if !seg.is_empty() {
            let at = f.segment_offsets.get(i).copied().unwrap_or(f.offset);
            let len = seg.len() as u64;
            match decompress(method, seg, cap) {
                Ok(out) => data.extend_from_slice(&out),
                Err(e) => {
                    failed = true;
                    f.problems.push(failure_problem(method, i, e, at, len, cap));
                }
            }
        }
        *r = start..data.len();
    }
    if !failed {
        f.data = Bytes::from(data);
        f.segments = ranges;
        c.decompressed = true;
        // Read as if sent plain: the note that the segments are opaque goes.
        f.problems.retain(|p| p.kind != ProblemKind::Compressed);
    }
    f.problems.sort_by_key(|p| p.offset);
    f.compression = Some(Box::new(c));
}

/// The problem of segment `i`, which did not decompress.
fn failure_problem(m: Method, i: usize, e: Failure, at: u64, len: u64, cap: usize) -> Problem {
    let field = "msgr2.segment.data";
    match e {
        Failure::TooLong { claimed } => {
            Problem::new(ProblemKind::DecompressTooLong, at, len, field).values(
                format!("{m} segment {i}: at most {cap} bytes decompressed"),
                format!("{claimed} bytes"),
            )
        }
        Failure::Corrupt(why) => Problem::new(ProblemKind::DecompressFailed, at, len, field)
            .values(format!("{m} data in segment {i}"), why),
        Failure::Unsupported => Problem::new(ProblemKind::CompressionUnsupported, at, len, field)
            .values("snappy, zlib, zstd or lz4", m.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::msgr2::encoder::{encode_crc, FrameSpec};
    use crate::msgr2::frame::{crc_frame, decode_crc, Rev};
    use crate::msgr2::preamble::preamble;

    fn frame(spec: &FrameSpec) -> Frame {
        let wire = encode_crc(Rev::V1, spec);
        let (_, p) = preamble(&wire).unwrap();
        let (_, parts) = crc_frame(&p, Rev::V1)(&wire).unwrap();
        decode_crc(p, Rev::V1, 100, &parts, Bytes::from(wire))
    }

    #[test]
    fn method_ids_and_done() {
        // Compressor.h: COMP_ALG_NONE .. COMP_ALG_BROTLI.
        let ids: Vec<u32> = Method::ALL.iter().map(|m| m.raw()).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
        assert_eq!(Method::from(9).to_string(), "UNKNOWN(9)");
        assert!(!Method::Brotli.supported() && Method::Lz4.supported());
        let d = parse_done(&[1, 3, 0, 0, 0]).unwrap();
        assert_eq!(
            (d.on, d.method, d.text()),
            (true, Method::Zstd, "zstd".into())
        );
        assert_eq!(parse_done(&[0, 0, 0, 0, 0]).unwrap().text(), "off");
        assert_eq!(parse_done(&[1, 3, 0, 0]), None);
    }

    #[test]
    fn apply_replaces_the_segments_and_keeps_the_wire_bytes() {
        let front = b"front front front front front front".repeat(8);
        let spec = FrameSpec::message(&[7u8; 41], &front, &[], &[]);
        let zspec = spec.compressed(Method::Snappy).unwrap();
        let mut f = frame(&zspec);
        assert!(f.segment(1).is_none(), "compressed bytes are not payload");
        let wire = f.data.clone();
        let done = Done {
            on: true,
            method: Method::Snappy,
        };
        apply(&mut f, Some(done), 1 << 20);
        assert!(f.decompressed());
        assert_eq!(f.segment(1).unwrap(), &front[..]);
        assert_eq!(f.segment_lens(), [41, front.len() as u32, 0, 0]);
        assert_eq!(f.data.len(), preamble::LEN + 41 + front.len());
        let c = f.compression.as_ref().unwrap();
        assert_eq!(c.before, wire);
        assert_eq!(c.wire_lens[1], zspec.segments[1].0.len());
        // Bytes of a decompressed segment map to its first byte on the wire.
        let s1 = f.segment_offsets[1];
        assert_eq!(f.stream_offset(f.segments[1].start + 50), s1);
        // Just past its end is where the (empty) next segment is on the wire.
        assert_eq!(f.stream_offset(f.segments[1].end), f.segment_offsets[2]);
        assert_eq!(f.segment_stream_offset(1, f.segments[1].end), Some(s1));
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        // Applied once only.
        let again = f.clone();
        apply(&mut f, Some(done), 1 << 20);
        assert_eq!(f.data, again.data);
    }

    #[test]
    fn failures_leave_the_frame_compressed() {
        let spec = FrameSpec::message(&[7u8; 41], &[1u8; 300], &[], &[]);
        let mut zspec = spec.compressed(Method::Lz4).unwrap();
        let seg = &mut zspec.segments[1].0;
        seg.truncate(seg.len() - 4);
        let mut f = frame(&zspec);
        let done = Done {
            on: true,
            method: Method::Lz4,
        };
        apply(&mut f, Some(done), 1 << 20);
        assert!(!f.decompressed() && f.segment(1).is_none());
        let kinds: Vec<_> = f.problems.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [ProblemKind::Compressed, ProblemKind::DecompressFailed]
        );
        let p = &f.problems[1];
        assert_eq!(p.offset, f.segment_offsets[1]);
        assert!(
            p.expected.starts_with("lz4 data in segment 1"),
            "{}",
            p.expected
        );
    }

    /// Every byte of a valid segment of each method changed (three
    /// values each), and every prefix: an error or bounded output, never
    /// a panic.
    #[test]
    fn damaged_segments_never_panic() {
        let data: Vec<u8> = b"osd_op(client.4112.0:1 1.7 obj1 [writefull 0~12813])"
            .iter()
            .cycle()
            .take(3000)
            .copied()
            .collect();
        let cap = 4096;
        for m in [Method::Snappy, Method::Zlib, Method::Zstd, Method::Lz4] {
            let seg = compress(m, &data).unwrap();
            assert_eq!(decompress(m, &seg, cap).unwrap(), data, "{m}");
            for at in 0..seg.len() {
                for x in [0x01u8, 0x80, 0xff] {
                    let mut bad = seg.clone();
                    bad[at] ^= x;
                    if let Ok(out) = decompress(m, &bad, cap) {
                        assert!(out.len() <= cap, "{m} byte {at}");
                    }
                }
                let _ = decompress(m, &seg[..at], cap);
            }
        }
    }
}
