//! Frame encoder: builds byte-exact msgr2 frames of every crc-mode variant
//! (and, with a key, secure mode), valid or deliberately broken, so that
//! msgr2.0 and every corruption case can be tested without a live peer.

use super::crc::segment_crc;
use super::crypto::GcmStream;
use super::frame::{Rev, LATE_STATUS_COMPLETE};
use super::preamble::{self, SegmentDesc, MAX_SEGMENTS};
use super::secure::{pad16, EPILOGUE_LEN, INLINE_SIZE};

/// What a frame carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSpec {
    /// Tag byte.
    pub tag: u8,
    /// Segments (1..=4), each with its alignment hint.
    pub segments: Vec<(Vec<u8>, u16)>,
    /// Preamble flags byte.
    pub flags: u8,
    /// Late byte to write instead of "complete" (0x0e in 2.1, 0 in 2.0).
    pub late: Option<u8>,
    /// Write 0 for every segment CRC, as a sender with data CRCs disabled does.
    pub no_data_crc: bool,
}

impl FrameSpec {
    /// A control frame: one segment, alignment 8 (frames_v2.h DEFAULT_ALIGNMENT).
    pub fn control(tag: u8, payload: &[u8]) -> FrameSpec {
        FrameSpec {
            tag,
            segments: vec![(payload.to_vec(), 8)],
            flags: 0,
            late: None,
            no_data_crc: false,
        }
    }

    /// A MESSAGE frame (tag 17): header, front, middle, data with Ceph's
    /// alignments {8, 8, 8, 4096}; trailing empty segments dropped
    /// (frames_v2.h `calc_num_segments`).
    pub fn message(header: &[u8], front: &[u8], middle: &[u8], data: &[u8]) -> FrameSpec {
        let mut segments = vec![
            (header.to_vec(), 8),
            (front.to_vec(), 8),
            (middle.to_vec(), 8),
            (data.to_vec(), 4096),
        ];
        while segments.len() > 1 && segments.last().is_some_and(|s| s.0.is_empty()) {
            segments.pop();
        }
        FrameSpec {
            tag: 17,
            segments,
            flags: 0,
            late: None,
            no_data_crc: false,
        }
    }

    /// The frame as a compressing sender sends it (compression_onwire.cc):
    /// each segment compressed on its own in `method`'s format (an empty
    /// one stays empty) and preamble flags bit 0 set; `None` for a method
    /// with no encoder here.
    pub fn compressed(&self, method: super::compress::Method) -> Option<FrameSpec> {
        let mut out = self.clone();
        for (seg, _) in &mut out.segments {
            *seg = super::compress::compress(method, seg)?;
        }
        out.flags |= preamble::FLAG_COMPRESSED;
        Some(out)
    }

    /// Segment descriptors for the preamble.
    pub fn descriptors(&self) -> Vec<SegmentDesc> {
        self.segments
            .iter()
            .take(MAX_SEGMENTS)
            .map(|(b, align)| SegmentDesc {
                len: u32::try_from(b.len()).unwrap_or(u32::MAX),
                align: *align,
            })
            .collect()
    }

    /// The encoded preamble.
    pub fn preamble(&self) -> [u8; preamble::LEN] {
        preamble::encode(self.tag, &self.descriptors(), self.flags)
    }

    fn crc_of(&self, i: usize) -> u32 {
        match self.segments.get(i) {
            Some(_) if self.no_data_crc => 0,
            Some((b, _)) => segment_crc(b),
            None => 0,
        }
    }
}

/// Encode a crc-mode frame.
pub fn encode_crc(rev: Rev, spec: &FrameSpec) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&spec.preamble());
    let nseg = spec.segments.len().min(MAX_SEGMENTS);
    for (i, (seg, _)) in spec.segments.iter().take(MAX_SEGMENTS).enumerate() {
        out.extend_from_slice(seg);
        if rev == Rev::V1 && i == 0 && !seg.is_empty() {
            out.extend_from_slice(&spec.crc_of(0).to_le_bytes());
        }
    }
    match rev {
        Rev::V0 => {
            out.push(spec.late.unwrap_or(0));
            for i in 0..MAX_SEGMENTS {
                out.extend_from_slice(&spec.crc_of(i).to_le_bytes());
            }
        }
        Rev::V1 if nseg > 1 => {
            out.push(spec.late.unwrap_or(LATE_STATUS_COMPLETE));
            for i in 1..MAX_SEGMENTS {
                out.extend_from_slice(&spec.crc_of(i).to_le_bytes());
            }
        }
        Rev::V1 => {}
    }
    out
}

/// A 41-byte `ceph_msg_header2` (msgr.h) with the given seq, tid and type;
/// priority 127, version 1, everything else zero.
pub fn msg_header2(seq: u64, tid: u64, msg_type: u16) -> Vec<u8> {
    let mut h = Vec::with_capacity(41);
    h.extend_from_slice(&seq.to_le_bytes());
    h.extend_from_slice(&tid.to_le_bytes());
    h.extend_from_slice(&msg_type.to_le_bytes());
    h.extend_from_slice(&127u16.to_le_bytes()); // priority: CEPH_MSG_PRIO_DEFAULT
    h.extend_from_slice(&1u16.to_le_bytes()); // version
    h.extend_from_slice(&0u32.to_le_bytes()); // data_pre_padding_len
    h.extend_from_slice(&0u16.to_le_bytes()); // data_off
    h.extend_from_slice(&0u64.to_le_bytes()); // ack_seq
    h.push(0); // flags
    h.extend_from_slice(&1u16.to_le_bytes()); // compat_version
    h.extend_from_slice(&0u16.to_le_bytes()); // reserved
    h
}

/// Encode a secure frame with `s` (the sender's stream), for tests.
pub fn encode_secure(s: &mut GcmStream, rev: Rev, spec: &FrameSpec) -> Vec<u8> {
    let pre = spec.preamble();
    let padded = |i: usize| {
        let mut v = spec
            .segments
            .get(i)
            .map(|x| x.0.clone())
            .unwrap_or_default();
        v.resize(pad16(v.len()), 0);
        v
    };
    let late = spec.late.unwrap_or(match rev {
        Rev::V1 => LATE_STATUS_COMPLETE,
        Rev::V0 => 0,
    });
    let mut epi = vec![0u8; EPILOGUE_LEN];
    if let Some(b) = epi.first_mut() {
        *b = late;
    }
    let mut out = Vec::new();
    match rev {
        Rev::V1 => {
            let s0 = padded(0);
            let mut op1 = pre.to_vec();
            let mut inline = s0.clone();
            inline.resize(INLINE_SIZE.max(inline.len()), 0);
            op1.extend_from_slice(inline.get(..INLINE_SIZE).unwrap_or(&inline));
            out.extend(s.seal(&op1));
            if s0.len() > INLINE_SIZE {
                out.extend(s.seal(s0.get(INLINE_SIZE..).unwrap_or(&[])));
            }
            if spec.segments.len() > 1 {
                let mut tail: Vec<u8> = (1..MAX_SEGMENTS).flat_map(padded).collect();
                tail.extend_from_slice(&epi);
                out.extend(s.seal(&tail));
            }
        }
        Rev::V0 => {
            let mut all = pre.to_vec();
            all.extend((0..MAX_SEGMENTS).flat_map(padded));
            all.extend_from_slice(&epi);
            out.extend(s.seal(&all));
            s.end_frame();
        }
    }
    out
}
