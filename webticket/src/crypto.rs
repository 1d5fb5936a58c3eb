//! Key material: client entropy, the WS-Trust `PSHA1` proof key, HMAC-SHA1 signing, and a
//! redacted secret string for passwords and tokens.
//!
//! Primitives come from RustCrypto (`hmac` 0.12, `sha1` 0.10). `P_SHA1` is the TLS 1.0
//! (RFC 2246 §5) `P_hash` construction over HMAC-SHA1, which WS-Trust 1.3 uses for the
//! computed key `http://docs.oasis-open.org/ws-sx/ws-trust/200512/CK/PSHA1`:
//!
//! ```text
//! key = P_SHA1(secret = client entropy, seed = server entropy)[..len(client entropy)]
//! A(0) = seed, A(i) = HMAC(secret, A(i-1)), output = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
//! ```
//!
//! Every type holding key bytes is zeroized on drop and prints as `[redacted]`. The only
//! ways to read the bytes are the `dangerous_*` methods.
//!
//! ```
//! use webticket::crypto::{ClientEntropy, ProofKey};
//!
//! let client = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
//! let server: Vec<u8> = (1..=32u8).rev().collect();
//! let key = ProofKey::compute_psha1(&client, &server);
//! assert_eq!(key.dangerous_as_bytes().len(), 32);
//! assert_eq!(format!("{key:?}"), "ProofKey([redacted])");
//! let mac = key.sign(b"data");
//! assert!(key.verify(b"data", &mac));
//! ```

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, Zeroizing};

type HmacSha1 = Hmac<Sha1>;

/// Length of the client entropy SIPE and the Lync client send: 256 bits.
pub const ENTROPY_LEN: usize = 32;

/// The requestor's entropy for a proof-key web ticket: 32 random bytes the caller draws
/// from a CSPRNG (this crate has no RNG). Sent as `wst:Entropy/wst:BinarySecret`, kept to
/// compute the proof key from the server's answer.
#[derive(Clone)]
pub struct ClientEntropy([u8; ENTROPY_LEN]);

impl ClientEntropy {
    /// Wraps 32 random bytes.
    pub fn from_bytes(bytes: [u8; ENTROPY_LEN]) -> Self {
        Self(bytes)
    }

    /// The bytes. Named `dangerous_` because they are half of the proof key.
    pub fn dangerous_as_bytes(&self) -> &[u8; ENTROPY_LEN] {
        &self.0
    }

    /// Base64 as sent in `wst:BinarySecret`.
    pub(crate) fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.0))
    }
}

impl Drop for ClientEntropy {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ClientEntropy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientEntropy([redacted])")
    }
}

/// The symmetric proof key of a holder-of-key web ticket, used to HMAC-SHA1 sign the
/// `wsu:Timestamp` of requests to services whose policy requires it (certificate
/// provisioning).
#[derive(Clone)]
pub struct ProofKey(Zeroizing<Vec<u8>>);

impl ProofKey {
    /// The WS-Trust computed key: `P_SHA1(client entropy, server entropy)`, as long as the
    /// client entropy (32 bytes).
    pub fn compute_psha1(client: &ClientEntropy, server_entropy: &[u8]) -> Self {
        Self(p_sha1(&client.0, server_entropy, ENTROPY_LEN))
    }

    /// A derived key, kept in the zeroizing buffer it was computed into.
    pub(crate) fn from_derived(key: Zeroizing<Vec<u8>>) -> Self {
        Self(key)
    }

    /// A key issued directly by the server (`wst:RequestedProofToken/wst:BinarySecret`).
    pub fn from_issued(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// HMAC-SHA1 of `data` under this key.
    pub fn sign(&self, data: &[u8]) -> [u8; 20] {
        hmac_sha1(&self.0, data)
    }

    /// Constant-time check of an HMAC-SHA1 tag (for server emulators).
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        let mut mac =
            <HmacSha1 as Mac>::new_from_slice(&self.0).expect("hmac takes any key length");
        mac.update(data);
        mac.verify_slice(tag).is_ok()
    }

    /// The key bytes. Named `dangerous_` because anyone holding them can sign as the ticket
    /// holder.
    pub fn dangerous_as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProofKey([redacted])")
    }
}

impl PartialEq for ProofKey {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl Eq for ProofKey {}

/// A secret string (password, access or refresh token, device code): zeroized on drop,
/// `[redacted]` in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// The secret text. Named `dangerous_` so every place that reveals it is easy to find.
    pub fn dangerous_expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

/// `P_SHA1(secret, seed)` truncated to `len` bytes (RFC 2246 §5 `P_hash` with HMAC-SHA1).
///
/// Exposed so server emulators and tests can reproduce the computed key; clients use
/// [`ProofKey::compute_psha1`].
pub fn p_sha1(secret: &[u8], seed: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mac = <HmacSha1 as Mac>::new_from_slice(secret).expect("hmac takes any key length");
    // A(1) = HMAC(secret, seed)
    let mut a = Zeroizing::new([0u8; 20]);
    let mut m = mac.clone();
    m.update(seed);
    a.copy_from_slice(&m.finalize().into_bytes());
    loop {
        let mut m = mac.clone();
        m.update(&a[..]);
        m.update(seed);
        let block = m.finalize().into_bytes();
        let take = (len - out.len()).min(block.len());
        out.extend_from_slice(&block[..take]);
        if out.len() == len {
            return out;
        }
        // why: A(i+1) is only needed for a further block, so the last one is never computed.
        let mut m = mac.clone();
        m.update(&a[..]);
        a.copy_from_slice(&m.finalize().into_bytes());
    }
}

/// HMAC-SHA1 (RFC 2104) of `data` under `key`.
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut mac = <HmacSha1 as Mac>::new_from_slice(key).expect("hmac takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SHA-1 of `data`.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

pub(crate) fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Decodes base64 leniently: whitespace (line breaks in long tokens) is ignored; the
/// standard alphabet with padding is required.
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    // ASCII whitespace bytes never occur inside a multi-byte UTF-8 sequence, so dropping
    // them byte by byte drops exactly the whitespace characters.
    if !text.bytes().any(|b| b.is_ascii_whitespace()) {
        return engine.decode(text).ok();
    }
    let mut compact = Vec::with_capacity(text.len());
    compact.extend(text.bytes().filter(|b| !b.is_ascii_whitespace()));
    engine.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_sha1_prefix_property() {
        // P_hash output is a stream: shorter outputs are prefixes of longer ones.
        let long = p_sha1(b"secret", b"seed", 100);
        for len in [0, 1, 19, 20, 21, 40, 64] {
            assert_eq!(&p_sha1(b"secret", b"seed", len)[..], &long[..len]);
        }
        // First block is HMAC(secret, HMAC(secret, seed) + seed).
        let a1 = hmac_sha1(b"secret", b"seed");
        let mut m = a1.to_vec();
        m.extend_from_slice(b"seed");
        assert_eq!(&long[..20], &hmac_sha1(b"secret", &m));
    }

    #[test]
    fn secrets_are_redacted() {
        let s = SecretString::new("hunter2");
        assert_eq!(format!("{s:?}"), "SecretString([redacted])");
        assert_eq!(s.dangerous_expose(), "hunter2");
        let e = ClientEntropy::from_bytes([7; 32]);
        assert!(!format!("{e:?}").contains('7'));
    }
}
