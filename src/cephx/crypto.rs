//! cephx's cryptography: the `CryptoKey` a keyring holds, AES-128-CBC
//! with Ceph's fixed IV, the `AUTH_ENC_MAGIC` envelope around every
//! encrypted cephx structure, and HMAC-SHA256 for AUTH_SIGNATURE.

use aes::cipher::{array::Array, BlockCipherDecrypt, KeyInit};
use hmac::{Hmac, Mac};
use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
use nom::IResult;
use sha2::Sha256;
use std::fmt;

/// ceph_fs.h CEPH_AES_IV: the IV of every cephx AES-CBC operation.
pub const CEPH_AES_IV: &[u8; 16] = b"cephsageyudagreg";
/// CephxProtocol.h AUTH_ENC_MAGIC: first field of every encrypted
/// cephx structure's plaintext, after a u8 struct_v of 1.
pub const AUTH_ENC_MAGIC: u64 = 0xff00_9cad_8826_aa55;
/// Crypto.h CEPH_CRYPTO_AES.
pub const CRYPTO_AES: u16 = 1;
/// Crypto.h CEPH_CRYPTO_AES256KRB5 (recent Ceph releases only).
pub const CRYPTO_AES256KRB5: u16 = 2;
const BLOCK: usize = 16;

/// A cephx secret as `CryptoKey::encode` writes it (Crypto.cc): le16 type,
/// utime created (le32 sec, le32 nsec), le16 len, the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CryptoKey {
    /// CEPH_CRYPTO_* type.
    pub ty: u16,
    /// Creation time: seconds, nanoseconds.
    pub created: (u32, u32),
    /// The secret bytes (16 for AES).
    pub secret: Vec<u8>,
}

/// The secret is never printed by `{:?}`.
impl fmt::Debug for CryptoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CryptoKey(type {}, {} bytes)",
            self.ty,
            self.secret.len()
        )
    }
}

/// Why a cephx decryption failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptError {
    /// The key is of a type not implemented here.
    Unsupported(u16),
    /// The key is not 16 bytes.
    KeyLength(usize),
    /// The ciphertext is empty or not whole 16-byte blocks.
    Length(usize),
    /// PKCS#7 padding does not check out (a wrong key).
    Padding,
    /// The plaintext does not start with AUTH_ENC_MAGIC (a wrong key).
    BadMagic(u64),
    /// The plaintext ends before its structure does.
    Short,
}

impl fmt::Display for CryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptError::Unsupported(CRYPTO_AES256KRB5) => {
                f.write_str("key type 2 (aes256k) is not supported")
            }
            CryptError::Unsupported(t) => write!(f, "key type {t} is not supported"),
            CryptError::KeyLength(n) => write!(f, "AES key of {n} bytes, expected 16"),
            CryptError::Length(n) => write!(f, "ciphertext of {n} bytes is not whole AES blocks"),
            CryptError::Padding => f.write_str("bad padding"),
            CryptError::BadMagic(m) => {
                write!(f, "bad magic {m:#018x}, expected {AUTH_ENC_MAGIC:#018x}")
            }
            CryptError::Short => f.write_str("decrypted structure cut short"),
        }
    }
}

impl CryptoKey {
    /// An AES key from its 16 secret bytes.
    pub fn aes(secret: [u8; 16]) -> Self {
        CryptoKey {
            ty: CRYPTO_AES,
            created: (0, 0),
            secret: secret.to_vec(),
        }
    }

    /// Read an encoded key (Crypto.cc CryptoKey::decode).
    pub fn parse(i: &[u8]) -> IResult<&[u8], CryptoKey> {
        let (i, ty) = le_u16(i)?;
        let (i, sec) = le_u32(i)?;
        let (i, nsec) = le_u32(i)?;
        let (i, len) = le_u16(i)?;
        let (i, secret) = nom::bytes::complete::take(len)(i)?;
        Ok((
            i,
            CryptoKey {
                ty,
                created: (sec, nsec),
                secret: secret.to_vec(),
            },
        ))
    }

    /// Encode (Crypto.cc CryptoKey::encode).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ty.to_le_bytes());
        out.extend_from_slice(&self.created.0.to_le_bytes());
        out.extend_from_slice(&self.created.1.to_le_bytes());
        let n = u16::try_from(self.secret.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&self.secret);
    }

    /// The AES-128 secret, for a key of type 1.
    pub fn aes_secret(&self) -> Result<[u8; 16], CryptError> {
        if self.ty != CRYPTO_AES {
            return Err(CryptError::Unsupported(self.ty));
        }
        <[u8; 16]>::try_from(self.secret.as_slice())
            .map_err(|_| CryptError::KeyLength(self.secret.len()))
    }

    /// AES-128-CBC decryption with Ceph's IV, PKCS#7 padding removed
    /// (Crypto.cc CryptoAESKeyHandler::decrypt: the pad length is the last
    /// byte, at most 16).
    pub fn decrypt(&self, ct: &[u8]) -> Result<Vec<u8>, CryptError> {
        let mut out = self.decrypt_blocks(ct)?;
        unpad(&mut out)?;
        Ok(out)
    }

    /// AES-128-CBC decryption with Ceph's IV, padding kept.
    fn decrypt_blocks(&self, ct: &[u8]) -> Result<Vec<u8>, CryptError> {
        let key = self.aes_secret()?;
        if ct.is_empty() || ct.len() % BLOCK != 0 {
            return Err(CryptError::Length(ct.len()));
        }
        let cipher = aes::Aes128::new(&Array::from(key));
        let mut prev = *CEPH_AES_IV;
        let mut out = Vec::with_capacity(ct.len());
        for chunk in ct.chunks_exact(BLOCK) {
            let mut block =
                Array::<u8, _>::try_from(chunk).map_err(|_| CryptError::Length(chunk.len()))?;
            cipher.decrypt_block(&mut block);
            out.extend(block.iter().zip(prev.iter()).map(|(a, b)| a ^ b));
            prev.copy_from_slice(chunk);
        }
        Ok(out)
    }

    /// AES-128-CBC encryption with Ceph's IV and PKCS#7 padding (tests and
    /// the encoders of mutants).
    pub fn encrypt(&self, pt: &[u8]) -> Result<Vec<u8>, CryptError> {
        use aes::cipher::BlockCipherEncrypt;
        let key = self.aes_secret()?;
        let cipher = aes::Aes128::new(&Array::from(key));
        let pad = BLOCK - pt.len() % BLOCK;
        let mut data = pt.to_vec();
        data.extend(std::iter::repeat_n(pad as u8, pad));
        let mut prev = *CEPH_AES_IV;
        let mut out = Vec::with_capacity(data.len());
        for chunk in data.chunks_exact(BLOCK) {
            let mut block =
                Array::<u8, _>::try_from(chunk).map_err(|_| CryptError::Length(chunk.len()))?;
            for (b, p) in block.iter_mut().zip(prev.iter()) {
                *b ^= p;
            }
            cipher.encrypt_block(&mut block);
            prev.copy_from_slice(&block);
            out.extend_from_slice(&block);
        }
        Ok(out)
    }

    /// Decrypt an encrypted cephx structure (CephxProtocol.h
    /// decode_decrypt_enc_bl): the plaintext's `u8 1 | le64 AUTH_ENC_MAGIC`
    /// is checked and the structure's bytes returned.
    pub fn open(&self, ct: &[u8]) -> Result<Vec<u8>, CryptError> {
        // The magic first: it is what tells a wrong key (the padding of
        // a wrong key's plaintext is right once in 16).
        let mut pt = self.decrypt_blocks(ct)?;
        let (_, (_v, magic)) = envelope(&pt).map_err(|_| CryptError::Short)?;
        if magic != AUTH_ENC_MAGIC {
            return Err(CryptError::BadMagic(magic));
        }
        unpad(&mut pt)?;
        Ok(pt.get(9..).unwrap_or(&[]).to_vec())
    }

    /// Encrypt a structure in the envelope (CephxProtocol.h encode_encrypt_enc_bl).
    pub fn seal(&self, structure: &[u8]) -> Result<Vec<u8>, CryptError> {
        let mut pt = vec![1u8];
        pt.extend_from_slice(&AUTH_ENC_MAGIC.to_le_bytes());
        pt.extend_from_slice(structure);
        self.encrypt(&pt)
    }

    /// HMAC-SHA256 keyed with the secret (Crypto.h CryptoKey::hmac_sha256,
    /// used by ProtocolV2.cc for AUTH_SIGNATURE).
    pub fn hmac_sha256(&self, data: &[u8]) -> [u8; 32] {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret) else {
            return [0; 32];
        };
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

/// Remove PKCS#7 padding: its length is the last byte, 1 to 16.
fn unpad(out: &mut Vec<u8>) -> Result<(), CryptError> {
    let pad = usize::from(out.last().copied().unwrap_or(0));
    if pad == 0 || pad > BLOCK || pad > out.len() {
        return Err(CryptError::Padding);
    }
    out.truncate(out.len() - pad);
    Ok(())
}

fn envelope(i: &[u8]) -> IResult<&[u8], (u8, u64)> {
    let (i, v) = le_u8(i)?;
    let (i, m) = le_u64(i)?;
    Ok((i, (v, m)))
}

/// Lower-case hex of bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
