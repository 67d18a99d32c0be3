//! The decoder's part in on-wire compression: the server's
//! COMPRESSION_DONE names the method, and every frame flagged compressed
//! after it, in either direction, is decompressed (`compress::apply`).

use super::{ConnDecoder, Event};
use crate::msgr2::compress;
use crate::msgr2::Tag;
use crate::tcp::Direction;

impl ConnDecoder {
    /// The frames of `dir` a step emitted: learn what COMPRESSION_DONE
    /// says, and decompress the frames flagged compressed.
    pub(super) fn after_step(&mut self, dir: Direction, new: &mut [(Direction, Event)]) {
        let cap = usize::try_from(self.cfg.max_segment_len).unwrap_or(usize::MAX);
        for (d, ev) in new.iter_mut() {
            let Event::Frame(f) = ev else { continue };
            if *d != dir {
                continue;
            }
            compress::apply(f, self.compression, cap);
            // ProtocolV2.cc handle_compression_done: the client takes the
            // server's answer; both sides compress from then on.
            if dir == Direction::ServerToClient
                && f.tag() == Tag::CompressionDone
                && !f.aborted()
                && !f.has_problems()
            {
                if let Some(done) = f.segment(0).and_then(compress::parse_done) {
                    self.compression = Some(done);
                }
            }
        }
    }
}
