//! The TLS-DSK signing keys ([MS-SIPAE] 3.2.5.1, `tls-dsk.md` §4).

use std::fmt;

use zeroize::Zeroizing;

use crate::tls::{CipherSuite, MacAlgorithm, ProtocolVersion, prf};

/// The label of the key block: EAP-TLS's (RFC 5216), 21 ASCII bytes, no NUL.
pub const KEY_BLOCK_LABEL: &[u8] = b"client EAP encryption";

/// Which HMAC signs SIP messages when the negotiated suite's MAC is SHA-256.
///
/// SHA-1 suites always sign with HMAC-SHA1 (what SIPE, Lync and Office 365 do). For the
/// TLS 1.2 SHA-256 suites no trace is known (`tls-dsk.md`, UNCONFIRMED). The default is
/// HMAC-SHA1, because every known peer expects 40-hex-digit signatures; `SuiteHash`
/// switches to HMAC-SHA256 for peers that follow the suite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureMac {
    /// HMAC-SHA1 for every AES suite.
    #[default]
    Sha1,
    /// The suite's MAC hash (HMAC-SHA256 for the SHA-256 suites).
    SuiteHash,
}

/// The HMAC used for SIP message signatures of one security association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// HMAC-SHA1, 20-byte tags (40 hex digits).
    HmacSha1,
    /// HMAC-SHA256, 32-byte tags.
    HmacSha256,
    /// HMAC-MD5, 16-byte tags (RC4-MD5 suites of old peers).
    HmacMd5,
}

/// The two 32-byte keys that sign SIP messages after a TLS-DSK handshake:
/// `key_block = PRF(master_secret, "client EAP encryption", client_random || server_random)`,
/// the client key is `key_block[64..96]`, the server key `key_block[96..128]`.
///
/// The keys never appear in `Debug` output; reading them requires the `dangerous_*`
/// methods.
#[derive(Clone)]
pub struct DskKeys {
    client: Zeroizing<[u8; 32]>,
    server: Zeroizing<[u8; 32]>,
    algorithm: SignatureAlgorithm,
}

impl fmt::Debug for DskKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DskKeys")
            .field("algorithm", &self.algorithm)
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl DskKeys {
    /// The signature HMAC for a negotiated suite.
    pub(crate) fn algorithm_for(suite: CipherSuite, mac: SignatureMac) -> SignatureAlgorithm {
        match (suite.mac, mac) {
            (MacAlgorithm::Sha256, SignatureMac::SuiteHash) => SignatureAlgorithm::HmacSha256,
            _ => SignatureAlgorithm::HmacSha1,
        }
    }

    /// Keys from a 128-byte key block (for test vectors and for peers that export the
    /// block themselves, such as OpenSSL's `export_keying_material`).
    pub fn from_key_block(block: &[u8; 128], algorithm: SignatureAlgorithm) -> Self {
        let mut client = Zeroizing::new([0u8; 32]);
        let mut server = Zeroizing::new([0u8; 32]);
        client.copy_from_slice(&block[64..96]);
        server.copy_from_slice(&block[96..128]);
        Self {
            client,
            server,
            algorithm,
        }
    }

    /// The signature HMAC.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The client-to-server signing key. Secret: do not log it.
    pub fn dangerous_client_key(&self) -> &[u8; 32] {
        &self.client
    }

    /// The server-to-client signing key. Secret: do not log it.
    pub fn dangerous_server_key(&self) -> &[u8; 32] {
        &self.server
    }

    pub(crate) fn key(&self, from_server: bool) -> &[u8; 32] {
        if from_server {
            &self.server
        } else {
            &self.client
        }
    }
}

/// The 128-byte key block itself, for comparison with peers that export it (OpenSSL's
/// `export_keying_material(b"client EAP encryption", 128)`). Secret.
pub fn dangerous_key_block(
    version: ProtocolVersion,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; 128] {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(client_random);
    seed[32..].copy_from_slice(server_random);
    let mut block = [0u8; 128];
    prf(version, master, KEY_BLOCK_LABEL, &seed, &mut block);
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn vector() -> ([u8; 48], [u8; 32], [u8; 32]) {
        let cr: [u8; 32] = std::array::from_fn(|i| i as u8);
        let sr: [u8; 32] = std::array::from_fn(|i| 0x20 + i as u8);
        let ms: [u8; 48] = std::array::from_fn(|i| 0x40 + i as u8);
        (ms, cr, sr)
    }

    #[test]
    fn key_block_tls10_matches_spec_vector() {
        // tls-dsk.md §6.3.
        let (ms, cr, sr) = vector();
        let kb = dangerous_key_block(ProtocolVersion::TLS10, &ms, &cr, &sr);
        assert_eq!(
            hex(&kb),
            "f73a86065a2457eeaae81f970b558a8ae1a3883e6de134d2b6b070fede934f93\
             8a3f1fff4b003d189a9b9f68de42fcfa2c7e657e7ac34ee707e484a9a7abe5b4\
             ad5d2aeb41ffab093150ecf5b12588f0d61860f8c2e0a0bffefcaaf081fd1396\
             3e50f116b7747b40c86b24b1a9f4b5d40aa7b8bc1ed99afa915faabfc297c53b"
        );
        let keys = DskKeys::from_key_block(
            &kb,
            DskKeys::algorithm_for(CipherSuite::RSA_AES_128_CBC_SHA, SignatureMac::default()),
        );
        assert_eq!(
            hex(keys.dangerous_client_key()),
            "ad5d2aeb41ffab093150ecf5b12588f0d61860f8c2e0a0bffefcaaf081fd1396"
        );
        assert_eq!(
            hex(keys.dangerous_server_key()),
            "3e50f116b7747b40c86b24b1a9f4b5d40aa7b8bc1ed99afa915faabfc297c53b"
        );
        assert!(!format!("{keys:?}").contains("ad5d"));
    }

    #[test]
    fn key_block_tls12_matches_spec_vector() {
        let (ms, cr, sr) = vector();
        let kb = dangerous_key_block(ProtocolVersion::TLS12, &ms, &cr, &sr);
        assert_eq!(
            hex(&kb),
            "e7e1058ba641a8281c5e0aaf08172e45930322afe5e8eb98b563cd1beaa3f373\
             3e7093d4ec8e5068bc04eeef7daeb3356d7971d16b2246fd7d3eaffefafd02b6\
             5ce84daa4d88c4f7bba300cfefb955c3807e5804b8780aff25897ab862a80967\
             267c15cfe965cb6dd1f1e21c531ca597e4c3a65c08c6ce6e8e0afeb76750a681"
        );
    }
}
