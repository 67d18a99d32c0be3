//! Decoding what frames carry: the field tree of a frame, control
//! payloads, the message header and message bodies.

pub mod addr;
pub mod addr_tree;
pub mod auth;
pub mod auth_enc;
pub mod cephx;
pub mod cephx_request;
pub mod cephx_tickets;
pub mod control;
pub mod control_auth;
pub mod control_enc;
pub mod entity;
pub mod errno;
pub mod features;
pub mod frame_tree;
pub mod grammar;
pub mod header2;
pub mod messages;
pub mod msg;
pub mod msg_type;
pub mod payload;
pub mod text;

pub use frame_tree::frame_tree;
pub use header2::Header2;
pub use msg_type::MsgType;
