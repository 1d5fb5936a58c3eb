//! The TLS pseudo-random functions (RFC 2246 §5 for TLS 1.0/1.1, RFC 5246 §5 for TLS 1.2),
//! built on RustCrypto's HMAC.

use hmac::digest::core_api::BlockSizeUser;
use hmac::digest::{Digest, KeyInit};
use hmac::{Mac, SimpleHmac};

use super::suites::ProtocolVersion;

/// `P_hash(secret, seed)` expanded into `out`.
fn p_hash<D>(secret: &[u8], seed: &[u8], out: &mut [u8])
where
    D: Digest + BlockSizeUser + Clone,
{
    let mac = |data: &[&[u8]]| hmac::<D>(secret, data);
    let mut a = mac(&[seed]);
    let mut filled = 0;
    while filled < out.len() {
        let block = mac(&[&a, seed]);
        let n = block.len().min(out.len() - filled);
        out[filled..filled + n].copy_from_slice(&block[..n]);
        filled += n;
        a = mac(&[&a]);
    }
}

/// The TLS 1.0/1.1 PRF: `P_MD5(S1, label || seed) XOR P_SHA1(S2, label || seed)`, where S1
/// and S2 are the two (overlapping when odd) halves of the secret.
pub fn prf_tls10(secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let half = secret.len().div_ceil(2);
    let (s1, s2) = (&secret[..half], &secret[secret.len() - half..]);
    let mut ls = Vec::with_capacity(label.len() + seed.len());
    ls.extend_from_slice(label);
    ls.extend_from_slice(seed);
    let mut md5 = vec![0u8; out.len()];
    p_hash::<md5::Md5>(s1, &ls, &mut md5);
    p_hash::<sha1::Sha1>(s2, &ls, out);
    for (o, m) in out.iter_mut().zip(&md5) {
        *o ^= m;
    }
}

/// The TLS 1.2 PRF with SHA-256: `P_SHA256(secret, label || seed)`.
pub fn prf_tls12(secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let mut ls = Vec::with_capacity(label.len() + seed.len());
    ls.extend_from_slice(label);
    ls.extend_from_slice(seed);
    p_hash::<sha2::Sha256>(secret, &ls, out);
}

/// The PRF of a negotiated version.
pub fn prf(version: ProtocolVersion, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    if version.is_tls12() {
        prf_tls12(secret, label, seed, out)
    } else {
        prf_tls10(secret, label, seed, out)
    }
}

/// HMAC over the concatenation of `parts`.
pub(crate) fn hmac<D>(key: &[u8], parts: &[&[u8]]) -> Vec<u8>
where
    D: Digest + BlockSizeUser + Clone,
{
    let mut m = <SimpleHmac<D> as KeyInit>::new_from_slice(key).expect("hmac takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn tls10_prf_known_answer() {
        // tls-dsk.md §6.2 (the BearSSL br_tls10_prf vector).
        let mut out = [0u8; 104];
        prf_tls10(&[0xab; 48], b"PRF Testvector", &[0xcd; 64], &mut out);
        assert_eq!(
            hex(&out),
            "d3d4d1e349b5d515044666d51de32bab258cb521b6b053463e354832fd976754443bcf9a296519bc289abcbc1187e4ebd31e602353776c408aafb74cbc85eff69255f9788faa184cbb957a9819d84a5d7eb006eb459d3ae8de9810454b8b2d8f1afbc655a8c9a013"
        );
    }

    #[test]
    fn tls12_prf_known_answer() {
        // The widely published TLS 1.2 PRF (SHA-256) test vector (IETF TLS WG mailing list).
        let secret = [
            0x9b, 0xbe, 0x43, 0x6b, 0xa9, 0x40, 0xf0, 0x17, 0xb1, 0x76, 0x52, 0x84, 0x9a, 0x71,
            0xdb, 0x35,
        ];
        let seed = [
            0xa0, 0xba, 0x9f, 0x93, 0x6c, 0xda, 0x31, 0x18, 0x27, 0xa6, 0xf7, 0x96, 0xff, 0xd5,
            0x19, 0x8c,
        ];
        let mut out = [0u8; 100];
        prf_tls12(&secret, b"test label", &seed, &mut out);
        assert_eq!(
            hex(&out),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        );
    }
}
