//! Entry points for fuzzing: each takes arbitrary bytes and drives one
//! stage of the pipeline. They must never panic, loop forever or allocate
//! without bound, whatever the input. `fuzz/` calls them from cargo-fuzz
//! targets; `tests/robustness.rs` calls them on random inputs.

use crate::analysis::{dissect, record_tree, Config};
use crate::capture::{parse_tcp, CaptureReader, LinkType};
use crate::msgr2::{banner, ConnDecoder, DecoderConfig};
use crate::tcp::Direction;

/// The whole pipeline on a capture file's bytes, field trees included.
pub fn capture(data: &[u8]) {
    let _ = dissect(data, Config::default(), &mut |r| {
        let _ = record_tree(&r);
    });
}

/// The capture reader and link-layer parser alone.
pub fn packets(data: &[u8]) {
    let Ok(mut r) = CaptureReader::new(data) else {
        return;
    };
    while let Ok(Some(p)) = r.next_packet() {
        let _ = parse_tcp(p.link, p.data);
    }
    for link in [
        LinkType::ETHERNET,
        LinkType::LINUX_SLL,
        LinkType::LINUX_SLL2,
        LinkType::NULL,
        LinkType::RAW,
    ] {
        let _ = parse_tcp(link, data);
    }
}

/// The msgr2 decoder on one direction's bytes after both banners, fed in
/// chunks whose sizes come from the first byte; every frame's tree is built.
pub fn frames(data: &[u8]) {
    let (first, rest) = data.split_first().unwrap_or((&7, &[]));
    let chunk = usize::from(*first).max(1);
    for supported in [0, banner::FEATURE_REVISION_1] {
        let mut d = ConnDecoder::new(
            DecoderConfig {
                max_segment_len: 1 << 20,
                ..DecoderConfig::default()
            },
            true,
        );
        let mut out = Vec::new();
        let b = banner::encode(supported, 0);
        d.feed(Direction::ServerToClient, 0, &b, &mut out);
        d.feed(Direction::ClientToServer, 0, &b, &mut out);
        let mut off = b.len() as u64;
        for piece in rest.chunks(chunk) {
            d.feed(Direction::ClientToServer, off, piece, &mut out);
            off += piece.len() as u64;
            if piece.first() == Some(&0xff) {
                // Occasionally lose a few bytes.
                d.gap(Direction::ClientToServer, off, 3, &mut out);
                off += 3;
            }
        }
        d.finish(&mut out);
        for (_, ev) in out {
            if let crate::msgr2::Event::Frame(f) = ev {
                let _ = crate::decode::frame_tree(&f);
            }
        }
    }
}
