//! cephx message signatures of msgr1 (auth/cephx/CephxSessionHandler.cc
//! `_calc_signature`): the session key AES-encrypts a block built from the
//! message's CRCs (CryptoKey::encrypt: AES-128-CBC, Ceph's IV, PKCS#7
//! padding, no envelope) and the signature is taken from the ciphertext.
//!
//! ```text
//! CEPHX_V2 (mimic+):  le32 header_crc | front_crc | front_len | middle_crc
//!                     | middle_len | data_crc | data_len | seq (low 32 bits)
//!                     sig = XOR of the ciphertext's first four le64 words
//! legacy:             u8 1 | le64 AUTH_ENC_MAGIC | le32 16 | header_crc
//!                     | front_crc | middle_crc | data_crc
//!                     sig = the ciphertext's first le64
//! ```
//!
//! The form follows the connection's negotiated features
//! (`HAVE_FEATURE(features, CEPHX_V2)`); a receiver checks only when
//! CEPH_FEATURE_MSG_AUTH was negotiated (`check_message_signature`).

use super::crypto::AUTH_ENC_MAGIC;
use super::crypto::{CryptError, CryptoKey};

/// CEPH_FEATURE_MSG_AUTH (ceph_features.h bit 23).
pub const FEATURE_MSG_AUTH: u64 = 1 << 23;
/// CEPH_FEATURE_CEPHX_V2 (ceph_features.h bit 61).
pub const FEATURE_CEPHX_V2: u64 = 1 << 61;

/// What a message signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signed {
    /// `ceph_msg_header.crc`.
    pub header_crc: u32,
    /// `ceph_msg_footer` front, middle and data CRCs.
    pub crcs: [u32; 3],
    /// `ceph_msg_header` front, middle and data lengths.
    pub lens: [u32; 3],
    /// `ceph_msg_header.seq`.
    pub seq: u64,
}

/// Which form of signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// CEPHX_V2 negotiated.
    V2,
    /// Before CEPHX_V2.
    Legacy,
}

impl Form {
    /// The form a connection with these negotiated features uses.
    pub fn of(features: u64) -> Form {
        if features & FEATURE_CEPHX_V2 != 0 {
            Form::V2
        } else {
            Form::Legacy
        }
    }

    /// Its name, as shown.
    pub fn name(self) -> &'static str {
        match self {
            Form::V2 => "cephx v2",
            Form::Legacy => "cephx v1 (pre-mimic)",
        }
    }
}

/// The signature `key` gives a message.
pub fn signature(key: &CryptoKey, form: Form, m: &Signed) -> Result<u64, CryptError> {
    let [front_crc, middle_crc, data_crc] = m.crcs;
    let [front_len, middle_len, data_len] = m.lens;
    let mut block = Vec::with_capacity(32);
    match form {
        Form::V2 => {
            // The seq's low word: `mswab<uint32_t>(header.seq)`.
            let seq_low = (m.seq & 0xffff_ffff) as u32;
            for w in [
                m.header_crc,
                front_crc,
                front_len,
                middle_crc,
                middle_len,
                data_crc,
                data_len,
                seq_low,
            ] {
                block.extend_from_slice(&w.to_le_bytes());
            }
        }
        Form::Legacy => {
            block.push(1);
            block.extend_from_slice(&AUTH_ENC_MAGIC.to_le_bytes());
            block.extend_from_slice(&16u32.to_le_bytes());
            for w in [m.header_crc, front_crc, middle_crc, data_crc] {
                block.extend_from_slice(&w.to_le_bytes());
            }
        }
    }
    let ct = key.encrypt(&block)?;
    let word = |i: usize| -> u64 {
        ct.get(i * 8..i * 8 + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    };
    Ok(match form {
        Form::V2 => word(0) ^ word(1) ^ word(2) ^ word(3),
        Form::Legacy => word(0),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn msg() -> Signed {
        Signed {
            header_crc: 0x1122_3344,
            crcs: [1, 2, 3],
            lens: [10, 0, 4096],
            seq: 0x1_0000_0007,
        }
    }

    #[test]
    fn v2_is_the_xor_of_the_ciphertext_words() {
        let key = CryptoKey::aes([7; 16]);
        let m = msg();
        let mut pt = Vec::new();
        for w in [0x1122_3344u32, 1, 10, 2, 0, 3, 4096, 7] {
            pt.extend_from_slice(&w.to_le_bytes());
        }
        let ct = key.encrypt(&pt).unwrap();
        // 32 bytes of plaintext: a whole block of padding follows.
        assert_eq!(ct.len(), 48);
        let w: Vec<u64> = ct
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            signature(&key, Form::V2, &m).unwrap(),
            w[0] ^ w[1] ^ w[2] ^ w[3]
        );
        // Only the seq's low word counts.
        let m2 = Signed { seq: 7, ..m };
        assert_eq!(
            signature(&key, Form::V2, &m).unwrap(),
            signature(&key, Form::V2, &m2).unwrap()
        );
    }

    #[test]
    fn legacy_is_the_first_word_of_the_enveloped_block() {
        let key = CryptoKey::aes([9; 16]);
        let m = msg();
        let mut st = 16u32.to_le_bytes().to_vec();
        for w in [0x1122_3344u32, 1, 2, 3] {
            st.extend_from_slice(&w.to_le_bytes());
        }
        // The legacy block is encode_encrypt's envelope around 16 bytes.
        let ct = key.seal(&st).unwrap();
        let want = u64::from_le_bytes(ct[..8].try_into().unwrap());
        assert_eq!(signature(&key, Form::Legacy, &m).unwrap(), want);
        // Lengths and seq are not covered by the legacy form.
        let other = Signed {
            lens: [1, 2, 3],
            seq: 99,
            ..m
        };
        assert_eq!(signature(&key, Form::Legacy, &other).unwrap(), want);
    }

    #[test]
    fn every_field_changes_a_v2_signature() {
        let key = CryptoKey::aes([3; 16]);
        let base = signature(&key, Form::V2, &msg()).unwrap();
        let variants = [
            Signed {
                header_crc: 0,
                ..msg()
            },
            Signed {
                crcs: [1, 2, 4],
                ..msg()
            },
            Signed {
                lens: [10, 1, 4096],
                ..msg()
            },
            Signed { seq: 8, ..msg() },
        ];
        for v in variants {
            assert_ne!(signature(&key, Form::V2, &v).unwrap(), base);
        }
    }

    #[test]
    fn a_key_of_another_type_is_an_error() {
        let key = CryptoKey {
            ty: 2,
            ..CryptoKey::aes([0; 16])
        };
        assert!(signature(&key, Form::V2, &msg()).is_err());
    }

    #[test]
    fn forms_follow_the_features() {
        assert_eq!(Form::of(FEATURE_CEPHX_V2 | FEATURE_MSG_AUTH), Form::V2);
        assert_eq!(Form::of(FEATURE_MSG_AUTH), Form::Legacy);
    }
}
