//! A key's expanded AES-128-GCM state (round keys and the GHASH key),
//! built once per key and shared by every stream that uses it: trying a
//! key file's lines on each direction of a capture would otherwise expand
//! every key again for every direction.

use aes_gcm::aes::Aes128;
use aes_gcm::{Aes128Gcm, KeyInit};
use std::fmt;
use std::sync::Arc;

/// The expanded state of one AES-128 key.
#[derive(Clone)]
pub struct KeyCipher {
    /// AES-128-GCM.
    pub(super) aead: Aes128Gcm,
    /// The block cipher alone (the keystream peeked before a tag is checked).
    pub(super) block: Aes128,
}

impl KeyCipher {
    /// Expand `key`.
    pub fn new(key: &[u8; 16]) -> Arc<Self> {
        Arc::new(KeyCipher {
            aead: Aes128Gcm::new(&(*key).into()),
            block: Aes128::new(&(*key).into()),
        })
    }
}

/// The key stays out of debug output.
impl fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyCipher")
    }
}

/// A [`KeyCipher`] a key candidate may carry: equal to any other (it is
/// the key's, and candidates compare by key), absent by default.
#[derive(Clone, Debug, Default)]
pub struct SharedCipher(pub Option<Arc<KeyCipher>>);

impl PartialEq for SharedCipher {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SharedCipher {}
