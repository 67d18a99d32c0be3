//! msgr1, the legacy "ceph v027" wire protocol: banner, address exchange,
//! connect and reply with their authorizers, tags, and MSG with its header
//! and footer CRCs, decoded from a direction's byte stream.
//!
//! Facts come from Ceph's `src/include/msgr.h`, `src/msg/Message.{h,cc}`
//! and `src/msg/async/ProtocolV1.cc` (see the spec notes, MSGR1.md). The
//! messages a MSG carries are the same as msgr2's: front, middle and data
//! go to the shared message decoders (`crate::decode::msg`); only the
//! envelope differs.

pub mod addr;
pub mod banner;
pub mod connect;
pub mod decoder;
#[cfg(test)]
mod decoder_tests;
pub mod encoder;
pub mod header;
pub mod item;
pub mod msg;
pub mod tag;
pub mod tree;

pub use decoder::{Event1, Msgr1Decoder};
pub use item::{Body, Check1, CheckKind1, Item, Msg};
pub use tag::Tag1;
