//! The client's RSA key pair: generation from a caller-supplied RNG, PKCS#8 / PKCS#1
//! import, PKCS#8 export.
//!
//! The private key lives in an [`rsa::RsaPrivateKey`], which zeroizes its numbers when
//! dropped. Every export returns a [`Zeroizing`] buffer, and `Debug` prints only the key size
//! and a fingerprint of the *public* key.
//!
//! ```
//! use certprov::ClientKey;
//!
//! # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tls-dsk/tests/data/client.key"))?;
//! let key = ClientKey::from_pem(&pem)?;
//! assert_eq!(key.bits(), 2048);
//! assert!(!format!("{key:?}").contains("BEGIN"));
//! let again = ClientKey::from_pkcs8_der(&key.to_pkcs8_der()?)?;
//! assert_eq!(again.public_key_der(), key.public_key_der());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rand_core::CryptoRngCore;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, KeyError};

/// Size of generated keys, as SIPE and the Lync clients use: RSA-2048, e = 65537.
pub const KEY_BITS: usize = 2048;

/// Smallest key this crate accepts on import.
pub const MIN_KEY_BITS: usize = 2048;

/// The client's RSA private key. Zeroized on drop (by `rsa`), redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientKey {
    key: RsaPrivateKey,
}

// The only field is an `RsaPrivateKey`, which is `ZeroizeOnDrop`.
impl ZeroizeOnDrop for ClientKey {}

impl ClientKey {
    /// Generates an RSA-2048 key (e = 65537) with the caller's RNG.
    ///
    /// The prime search takes a random, sometimes long time (worst in unoptimized
    /// builds); generate one key per session and reuse it, as SIPE does.
    ///
    /// # Errors
    ///
    /// [`KeyError::Generate`] when the RSA implementation fails (an RNG failure).
    pub fn generate(rng: &mut dyn CryptoRngCore) -> Result<Self, Error> {
        let key = RsaPrivateKey::new(rng, KEY_BITS).map_err(|e| KeyError::Generate {
            reason: e.to_string(),
        })?;
        Ok(Self { key })
    }

    /// Wraps an existing RSA key.
    ///
    /// # Errors
    ///
    /// [`KeyError::TooSmall`] below [`MIN_KEY_BITS`]; [`KeyError::Decode`] when the key
    /// fails its consistency check.
    pub fn from_rsa(key: RsaPrivateKey) -> Result<Self, Error> {
        key.validate().map_err(|e| KeyError::Decode {
            reason: e.to_string(),
        })?;
        let bits = key.n().bits();
        if bits < MIN_KEY_BITS {
            return Err(KeyError::TooSmall {
                bits,
                min: MIN_KEY_BITS,
            }
            .into());
        }
        Ok(Self { key })
    }

    /// Imports a PKCS#8 `PrivateKeyInfo` (DER, unencrypted).
    ///
    /// # Errors
    ///
    /// [`KeyError::Decode`] when it is not an RSA PKCS#8 key; see also [`from_rsa`](Self::from_rsa).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_rsa(RsaPrivateKey::from_pkcs8_der(der).map_err(decode_err)?)
    }

    /// Imports a PKCS#1 `RSAPrivateKey` (DER).
    ///
    /// # Errors
    ///
    /// As [`from_pkcs8_der`](Self::from_pkcs8_der).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_rsa(RsaPrivateKey::from_pkcs1_der(der).map_err(decode_err)?)
    }

    /// Imports a PEM key: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1, what
    /// `openssl genrsa` 1.x writes). Encrypted keys are not supported.
    ///
    /// # Errors
    ///
    /// As [`from_pkcs8_der`](Self::from_pkcs8_der).
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let key = if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(decode_err)?
        } else {
            RsaPrivateKey::from_pkcs8_pem(pem).map_err(decode_err)?
        };
        Self::from_rsa(key)
    }

    /// Exports as PKCS#8 DER. The buffer is zeroized when dropped.
    ///
    /// # Errors
    ///
    /// [`KeyError::Encode`] (not expected for a valid key).
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let doc = self.key.to_pkcs8_der().map_err(encode_err)?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// Exports as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, LF line ends). The string is
    /// zeroized when dropped.
    ///
    /// # Errors
    ///
    /// [`KeyError::Encode`] (not expected for a valid key).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        self.key.to_pkcs8_pem(LineEnding::LF).map_err(encode_err)
    }

    /// The public key as DER `SubjectPublicKeyInfo`.
    pub fn public_key_der(&self) -> Vec<u8> {
        spki_der(&self.key.to_public_key())
    }

    /// The public key.
    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.n().bits()
    }

    /// SHA-256 of the `SubjectPublicKeyInfo`, lower-case hex: names the key in logs
    /// without revealing anything secret.
    pub fn fingerprint(&self) -> String {
        hex(&Sha256::digest(self.public_key_der()))
    }

    /// The RSA private key, for handing to a TLS stack (tls-dsk's `ClientConfig` takes an
    /// `RsaPrivateKey`). Named `dangerous_` because whoever holds it can authenticate as
    /// the user.
    pub fn dangerous_rsa_key(&self) -> &RsaPrivateKey {
        &self.key
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey")
            .field("bits", &self.bits())
            .field("public_sha256", &self.fingerprint())
            .field("private", &"[redacted]")
            .finish()
    }
}

pub(crate) fn spki_der(key: &RsaPublicKey) -> Vec<u8> {
    key.to_public_key_der()
        .expect("an rsa public key always encodes")
        .into_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn decode_err(e: impl fmt::Display) -> Error {
    KeyError::Decode {
        reason: e.to_string(),
    }
    .into()
}

fn encode_err(e: impl fmt::Display) -> Error {
    KeyError::Encode {
        reason: e.to_string(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tls-dsk/tests/data/client.key"
        ))
        .unwrap()
    }

    #[test]
    fn pem_and_der_round_trip() {
        let key = ClientKey::from_pem(&fixture()).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(ClientKey::from_pem(&pem).unwrap(), key);
        assert_eq!(
            ClientKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap(),
            key
        );
        // PKCS#1 ("BEGIN RSA PRIVATE KEY") imports too.
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let pkcs1 = key
            .dangerous_rsa_key()
            .to_pkcs1_pem(LineEnding::LF)
            .unwrap();
        assert_eq!(ClientKey::from_pem(&pkcs1).unwrap(), key);
        let pkcs1_der = key.dangerous_rsa_key().to_pkcs1_der().unwrap();
        assert_eq!(
            ClientKey::from_pkcs1_der(pkcs1_der.as_bytes()).unwrap(),
            key
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = ClientKey::from_pem(&fixture()).unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("bits: 2048"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
        // No private number appears: the decimal/hex forms are long digit runs.
        use rsa::traits::PrivateKeyParts;
        let d = key.dangerous_rsa_key().d().to_str_radix(16);
        assert!(!dbg.contains(&d[..16]));
        assert!(!dbg.contains("RsaPrivateKey"));
        fn zeroized_on_drop<T: ZeroizeOnDrop>() {}
        zeroized_on_drop::<ClientKey>();
    }

    #[test]
    fn bad_input_is_a_decode_error() {
        for bad in [
            "",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            assert!(matches!(
                ClientKey::from_pem(bad),
                Err(Error::Key(KeyError::Decode { .. }))
            ));
        }
        assert!(matches!(
            ClientKey::from_pkcs8_der(b"\x30\x00"),
            Err(Error::Key(KeyError::Decode { .. }))
        ));
    }

    #[test]
    fn small_keys_are_refused() {
        // A 1024-bit test key, made once with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`.
        let pem = "-----BEGIN PRIVATE KEY-----
MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBAK+h7jQ/WbxoGO/p
G4BDP8+YPhzgOWFkJ/+pXXR2xlI8AIKVdvyuqDw/cXq6Xv5GwzS2VMeJ8tJkZbh0
TYDJ3ieHJvOvTzwa5klyKs1KvK4ENXazvzC3mEAcoHRuJUFbgRLeZngm6VZjgNMx
kethE8v5wqSDMtAQVser+Ym6I7qXAgMBAAECgYAdGoxKhCTun6FiQBKakopEcEn6
pv1bMimeqAYggn4iqma7POFWxeqC8VBwsemD4V3/oicyWZ2vV4uzoTImoUz6oX7p
yuhGvx9OQuN4zLO3det/FfR0r64xUKE503/bjAOSwr0U1zOiqNqAmeMTSX/dwxtR
UfhQj8CIVy85ZDvjoQJBAN+dEfRXlkAOWlAZSR00qbh8RjeU1YPnQcQN3LDr5TDL
2KgiBNcANEM8jWbj3JZYGfOQc5Y9ZFBN8wxDYBUgQkMCQQDJEd26Kg33XYMGHhB6
jgwtewcmv6ahqTz7otjgiyH+CORybcKCiKE4ACkGF0JC4T2ZW9uP2t2Oye+xKmjt
NdMdAkBIo3RWpDEZo8/wnxYiF55eYHhKy91EGNZDQqGDE04DOOSrUUmzMczIXp4s
Yy6f5ASiGzWBA3ZXo8qlHCnVEwKTAkAc9MO3saK9QuxBj0bUP2yliBgpjmQS1+p+
Wp9dBuxoRyOPDxt57O86v1spE2RpeUKDuWTPPLe3foFUREVEFAJJAkB+7nALPcbV
tsQufAovDusY7MRjr6A7lPBOJEzq97/DL3Ucw85BFa1nEE/xu7/VK3NxC2DI0iX7
gvRZBgd89KdN
-----END PRIVATE KEY-----
";
        let err = ClientKey::from_pem(pem).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Key(KeyError::TooSmall {
                    bits: 1024,
                    min: 2048
                })
            ),
            "{err}"
        );
    }
}
