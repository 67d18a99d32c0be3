//! Streaming pcap/pcapng reader. (stub: interface only)

use super::Packet;
use std::io::Read;

/// Errors while reading a capture file.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Reading the underlying source failed.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The data is neither pcap nor pcapng.
    #[error("not a pcap or pcapng capture")]
    NotACapture,
}

/// Streams packets out of a pcap or pcapng source.
pub struct CaptureReader<R: Read> {
    _src: R,
}

impl<R: Read> CaptureReader<R> {
    /// Open a capture from any byte source.
    pub fn new(src: R) -> Result<Self, CaptureError> {
        Ok(CaptureReader { _src: src })
    }

    /// The next packet, `Ok(None)` at the end of the capture.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        Ok(None)
    }
}
