//! Decoding what frames carry: the message header and message type names.

pub mod header2;
pub mod msg_type;

pub use header2::Header2;
pub use msg_type::MsgType;
