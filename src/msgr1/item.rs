//! One msgr1 item: what a row of a msgr1 connection is (the banner, the
//! address exchange, a connect or its reply, a MSG with its checks, or a
//! tagged control item), with its wire bytes and problems.

use super::addr::LegacyAddr;
use super::connect::{Connect, ConnectReply};
use super::header::{Footer, MsgHeader};
use super::tag::Tag1;
use crate::msgr2::{CheckStatus, Problem};
use bytes::Bytes;
use std::ops::Range;

/// Which msgr1 CRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind1 {
    /// `ceph_msg_header.crc`.
    Header,
    /// `ceph_msg_footer.front_crc`.
    Front,
    /// `ceph_msg_footer.middle_crc`.
    Middle,
    /// `ceph_msg_footer.data_crc`.
    Data,
}

impl CheckKind1 {
    /// `header_crc`, `front_crc`, `middle_crc`, `data_crc`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind1::Header => "header_crc",
            CheckKind1::Front => "front_crc",
            CheckKind1::Middle => "middle_crc",
            CheckKind1::Data => "data_crc",
        }
    }
}

/// One CRC check of a MSG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check1 {
    /// Which.
    pub kind: CheckKind1,
    /// Stream offset of the stored value.
    pub offset: u64,
    /// Value on the wire.
    pub stored: u32,
    /// Value computed from the bytes.
    pub computed: u32,
    /// Verdict.
    pub status: CheckStatus,
}

/// A MSG: header, where its front, middle and data are in the item's
/// bytes, and its footer (absent when the capture ends inside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// The header.
    pub header: MsgHeader,
    /// Front bytes (range in [`Item::data`]).
    pub front: Range<usize>,
    /// Middle bytes.
    pub middle: Range<usize>,
    /// Data bytes.
    pub data: Range<usize>,
    /// The footer.
    pub footer: Option<Footer>,
    /// Where the footer starts in [`Item::data`].
    pub footer_at: usize,
}

/// What the decoder found, in stream order per direction.
#[derive(Debug, Clone)]
pub enum Event1 {
    /// An item.
    Item(Box<Item>),
    /// Bytes `[offset, offset+len)` were never captured.
    Lost {
        /// First missing byte.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// Bytes that could not be decoded, with the reason.
    Undecoded(Problem),
}

impl Event1 {
    /// Stream range `(offset, len)` the event covers.
    pub fn range(&self) -> (u64, u64) {
        match self {
            Event1::Item(i) => (i.offset, i.wire_len()),
            Event1::Lost { offset, len } => (*offset, *len),
            Event1::Undecoded(p) => (p.offset, p.len),
        }
    }
}

/// What an item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The banner `ceph v027`.
    Banner,
    /// The server's address and the client's address as the server sees it.
    ServerAddrs {
        /// The server's.
        server: LegacyAddr,
        /// The client's, as seen by the server.
        peer: LegacyAddr,
    },
    /// The client's address.
    ClientAddr(LegacyAddr),
    /// `ceph_msg_connect` and its authorizer (range in [`Item::data`]),
    /// decoded when cephx (spans in [`Item::data`]).
    Connect(
        Connect,
        Range<usize>,
        Option<Box<crate::decode::cephx::Authorizer>>,
    ),
    /// `ceph_msg_connect_reply` and its authorizer reply.
    ConnectReply(ConnectReply, Range<usize>),
    /// After a SEQ reply: the server's last acked seq, or the client's
    /// in_seq (le64, ProtocolV1.cc `handle_ack_seq` / `handle_seq`).
    SeqExchange(u64),
    /// A message.
    Msg(Box<Msg>),
    /// ACK and the seq it acknowledges.
    Ack(u64),
    /// KEEPALIVE.
    Keepalive,
    /// KEEPALIVE2 or KEEPALIVE2_ACK and its ceph_timespec.
    Keepalive2 {
        /// Whether this is the ACK.
        ack: bool,
        /// Seconds.
        sec: u32,
        /// Nanoseconds.
        nsec: u32,
    },
    /// CLOSE.
    Close,
}

/// One item of a msgr1 stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stream offset of its first byte.
    pub offset: u64,
    /// Its wire bytes (for a MSG cut short by the capture: those held).
    pub data: Bytes,
    /// What it is.
    pub body: Body,
    /// CRC checks, in wire order (MSG only).
    pub checks: Vec<Check1>,
    /// Problems, in wire order.
    pub problems: Vec<Problem>,
}

impl Item {
    /// Bytes on the wire.
    pub fn wire_len(&self) -> u64 {
        self.data.len() as u64
    }

    /// The row's tag column: the tag, or a handshake step's name.
    pub fn name(&self) -> String {
        match &self.body {
            Body::Banner => "BANNER".into(),
            Body::ServerAddrs { .. } | Body::ClientAddr(_) => "ADDR".into(),
            Body::Connect(..) => "CONNECT".into(),
            Body::ConnectReply(r, _) => format!("CONNECT_REPLY({})", r.tag),
            Body::SeqExchange(_) => "SEQ".into(),
            Body::Msg(_) => Tag1::Msg.to_string(),
            Body::Ack(_) => Tag1::Ack.to_string(),
            Body::Keepalive => Tag1::Keepalive.to_string(),
            Body::Keepalive2 { ack: false, .. } => Tag1::Keepalive2.to_string(),
            Body::Keepalive2 { ack: true, .. } => Tag1::Keepalive2Ack.to_string(),
            Body::Close => Tag1::Close.to_string(),
        }
    }

    /// The MSG, if this item is one.
    pub fn msg(&self) -> Option<&Msg> {
        match &self.body {
            Body::Msg(m) => Some(m),
            _ => None,
        }
    }

    /// Bytes of `r` within the item, when all there.
    pub fn bytes(&self, r: &Range<usize>) -> Option<&[u8]> {
        self.data.get(r.clone())
    }

    /// Front, middle and data lengths from the header (MSG only; zeros
    /// otherwise).
    pub fn sizes(&self) -> [u32; 3] {
        self.msg().map_or([0; 3], |m| m.header.lens())
    }
}

impl Msg {
    /// Empty front, middle and data ranges (for items that are no MSG).
    pub fn default_ranges() -> (Range<usize>, Range<usize>, Range<usize>) {
        (0..0, 0..0, 0..0)
    }
}
