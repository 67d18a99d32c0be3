//! cephx from a keyring: the keys Ceph entities hold, the structures they
//! encrypt, and the msgr2 connection secrets that follow from them
//! (../shared/spec/CEPHX.md sets out the derivation with its sources).

pub mod crypto;
pub mod keyring;

pub use crypto::{CryptError, CryptoKey};
pub use keyring::{Keyring, KeyringEntry, KeyringError};
pub mod derive;
mod derive_mon;
pub mod rotating;
pub mod signature;
pub mod structs;

pub use derive::{CephxConn, Derived, KnownRotating, KnownTicket, TicketTable};
