//! cephshark: a dissector and verifier for Ceph's msgr2 wire protocol.
//!
//! The crate is the decoding core; the `cephshark` binary is a thin layer
//! over it. Data flows one way through the modules, and the tree mirrors it:
//!
//! ```text
//!  capture/   pcap, pcapng (pcap-parser) + link layers (etherparse) -> Packet, TcpPacket
//!     |
//!  tcp/       flow table, per-direction reassembly, stream->packet map -> StreamEvent
//!     |
//!  msgr2/     banner, preamble, segments, epilogue, crc  -> Frame
//!     |
//!  decode/    message header, message type names         -> typed values
//!     |
//!  analysis/  the dissector driving it all, per-frame records, verify findings, stats,
//!     |      and two captures compared (diff)
//!     |
//!  filter/    display filters over each row's field tree
//!     |
//!  cli/       text / jsonl printers and verify report (to any `io::Write`)
//! ```
//!
//! Outside `cli/`, nothing in the library opens files or talks to a terminal: readers take
//! `impl Read`, printers take `impl Write`; `cli/` adds the exports (`-w`,
//! `--export-streams`) and the progress bar the binary uses.
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![warn(missing_docs)]

pub mod analysis;
pub mod capture;
pub mod cephx;
pub mod cli;
pub mod decode;
pub mod fastmap;
pub mod filter;
pub mod fuzzing;
pub mod model;
pub mod msgr1;
pub mod msgr2;
pub mod signals;
pub mod tcp;
#[cfg(feature = "tui")]
pub mod tui;
