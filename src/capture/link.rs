//! Link, network and transport headers down to the TCP payload.
//! (stub: interface only, implementation pending)

use super::LinkType;
use std::net::SocketAddr;

/// The TCP flags the reassembler cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
}

/// A TCP segment found in a packet, borrowing its payload.
#[derive(Debug, Clone, Copy)]
pub struct TcpPacket<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    pub seq: u32,
    /// Acknowledgement number (meaningful when `flags.ack`).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Captured payload bytes.
    pub payload: &'a [u8],
    /// Offset of `payload` within the packet's bytes.
    pub payload_offset: usize,
    /// Payload bytes the IP header declares but the capture did not keep (snap length).
    pub missing: u32,
}

/// Why a packet's headers could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The headers are cut short or inconsistent.
    #[error("malformed {layer} header: {detail}")]
    Malformed {
        /// Which header.
        layer: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Parse one packet of link type `link` down to TCP. `Ok(None)` when the
/// packet is not TCP over IPv4/IPv6 (ARP, UDP, an IP fragment, ...).
pub fn parse_tcp(link: LinkType, data: &[u8]) -> Result<Option<TcpPacket<'_>>, LinkError> {
    let _ = (link, data);
    Ok(None)
}
