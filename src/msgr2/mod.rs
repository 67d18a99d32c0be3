//! msgr2 framing: banner, preamble, segments, epilogue, CRCs, secure mode,
//! and the per-connection streaming decoder.
//!
//! This layer sees only a direction's byte stream and its offsets, never TCP
//! headers. Facts come from Ceph's `src/msg/async/frames_v2.{h,cc}`,
//! `ProtocolV2.cc`, `src/include/msgr.h` and the kernel's
//! `net/ceph/messenger_v2.c`, as collected in the project's spec notes.

pub mod banner;
pub mod cipher;
pub mod compress;
pub mod crc;
pub mod crypto;
pub mod decoder;
pub mod encoder;
pub mod epilogue;
pub mod frame;
pub mod keys;
pub mod preamble;
pub mod problem;
mod resync;
pub mod secure;
mod tag;

pub use decoder::{ConnDecoder, DecoderConfig, Event, Storages};
pub use frame::{Check, CheckKind, CheckStatus, Frame, Mode, Rev};
pub use problem::{Group, Problem, ProblemKind, Severity};
#[allow(unused_imports)]
pub(crate) use tag::open_enum;
pub use tag::Tag;
