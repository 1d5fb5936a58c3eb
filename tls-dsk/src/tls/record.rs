//! The record layer: splitting flights into records, and protecting the one encrypted
//! record (Finished) each side sends with AES-CBC and HMAC (RFC 2246 §6.2, RFC 5246 §6.2).

use aes::{Aes128, Aes256};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::codec::{Reader, put_u16};
use super::error::TlsError;
use super::prf::hmac;
use super::suites::{CipherSuite, MacAlgorithm, ProtocolVersion};

pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
pub(crate) const ALERT: u8 = 21;
pub(crate) const HANDSHAKE: u8 = 22;

/// Largest plaintext fragment (RFC 5246 §6.2.1).
const MAX_FRAGMENT: usize = 1 << 14;
/// Largest ciphertext fragment we accept.
const MAX_CIPHERTEXT: usize = MAX_FRAGMENT + 2048;

/// One record of a flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub(crate) typ: u8,
    pub(crate) version: ProtocolVersion,
    pub(crate) fragment: &'a [u8],
}

/// Splits a flight into records. A flight that ends inside a record is an error.
pub(crate) fn split_records(flight: &[u8]) -> Result<Vec<Record<'_>>, TlsError> {
    let mut r = Reader::new(flight);
    let mut out = Vec::new();
    while !r.is_empty() {
        let typ = r.u8("record type")?;
        let version = ProtocolVersion(r.u16("record version")?);
        if version.0 >> 8 != 3 {
            return Err(TlsError::Malformed("record version"));
        }
        let fragment = r.vec16("record fragment")?;
        if fragment.len() > MAX_CIPHERTEXT {
            return Err(TlsError::Malformed("record length"));
        }
        if !matches!(typ, CHANGE_CIPHER_SPEC | ALERT | HANDSHAKE | 23) {
            return Err(TlsError::Malformed("record type"));
        }
        out.push(Record {
            typ,
            version,
            fragment,
        });
    }
    Ok(out)
}

/// Appends `data` as records of `typ`, split at the maximum fragment size. Handshake
/// messages of a flight go into as few records as possible: SIPE fails on a flight whose
/// ServerHelloDone sits in a record of its own.
pub(crate) fn write_records(out: &mut Vec<u8>, typ: u8, version: ProtocolVersion, data: &[u8]) {
    for chunk in data.chunks(MAX_FRAGMENT) {
        out.push(typ);
        put_u16(out, version.0);
        put_u16(out, chunk.len() as u16);
        out.extend_from_slice(chunk);
    }
}

/// Keys of one direction after ChangeCipherSpec.
pub(crate) struct Protection {
    version: ProtocolVersion,
    suite: CipherSuite,
    mac_key: Zeroizing<Vec<u8>>,
    enc_key: Zeroizing<Vec<u8>>,
    /// TLS 1.0 implicit IV (from the key block, then the last ciphertext block).
    iv: [u8; 16],
    seq: u64,
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protection")
            .field("suite", &self.suite.name)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

fn mac(alg: MacAlgorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        MacAlgorithm::Sha1 => hmac::<sha1::Sha1>(key, parts),
        MacAlgorithm::Sha256 => hmac::<sha2::Sha256>(key, parts),
    }
}

fn cbc_encrypt(key: &[u8], iv: &[u8; 16], buf: &mut [u8]) {
    let len = buf.len();
    // Lengths are multiples of the block size by construction, so these cannot fail.
    let _ = match key.len() {
        16 => cbc::Encryptor::<Aes128>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_mut::<NoPadding>(buf, len).map(drop)),
        _ => cbc::Encryptor::<Aes256>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_mut::<NoPadding>(buf, len).map(drop)),
    };
}

fn cbc_decrypt(key: &[u8], iv: &[u8; 16], buf: &mut [u8]) -> Result<(), TlsError> {
    let ok = match key.len() {
        16 => cbc::Decryptor::<Aes128>::new_from_slices(key, iv)
            .map(|c| c.decrypt_padded_mut::<NoPadding>(buf).is_ok()),
        _ => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
            .map(|c| c.decrypt_padded_mut::<NoPadding>(buf).is_ok()),
    };
    if ok == Ok(true) {
        Ok(())
    } else {
        Err(TlsError::BadRecordMac)
    }
}

impl Protection {
    pub(crate) fn new(
        version: ProtocolVersion,
        suite: CipherSuite,
        mac_key: &[u8],
        enc_key: &[u8],
        iv: &[u8],
    ) -> Self {
        let mut fixed_iv = [0u8; 16];
        if iv.len() == 16 {
            fixed_iv.copy_from_slice(iv);
        }
        Self {
            version,
            suite,
            mac_key: Zeroizing::new(mac_key.to_vec()),
            enc_key: Zeroizing::new(enc_key.to_vec()),
            iv: fixed_iv,
            seq: 0,
        }
    }

    fn mac_of(&self, typ: u8, plaintext: &[u8]) -> Vec<u8> {
        let mut header = [0u8; 13];
        header[..8].copy_from_slice(&self.seq.to_be_bytes());
        header[8] = typ;
        header[9..11].copy_from_slice(&self.version.0.to_be_bytes());
        header[11..13].copy_from_slice(&(plaintext.len() as u16).to_be_bytes());
        mac(self.suite.mac, &self.mac_key, &[&header, plaintext])
    }

    /// Encrypts one record fragment: `IV? || E(plaintext || MAC || padding)`.
    pub(crate) fn seal(
        &mut self,
        typ: u8,
        plaintext: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Vec<u8> {
        let tag = self.mac_of(typ, plaintext);
        let mut data = Vec::with_capacity(plaintext.len() + tag.len() + 32);
        data.extend_from_slice(plaintext);
        data.extend_from_slice(&tag);
        let pad = 15 - (data.len() % 16);
        data.resize(data.len() + pad + 1, pad as u8);
        let mut out = Vec::with_capacity(data.len() + 16);
        let iv = if self.version.explicit_iv() {
            let mut iv = [0u8; 16];
            rng.fill_bytes(&mut iv);
            out.extend_from_slice(&iv);
            iv
        } else {
            self.iv
        };
        cbc_encrypt(&self.enc_key, &iv, &mut data);
        if !self.version.explicit_iv()
            && let Some(last) = data.rchunks_exact(16).next()
        {
            self.iv.copy_from_slice(last);
        }
        out.extend_from_slice(&data);
        self.seq += 1;
        out
    }

    /// Decrypts and authenticates one record fragment.
    pub(crate) fn open(&mut self, typ: u8, fragment: &[u8]) -> Result<Vec<u8>, TlsError> {
        let (iv, body) = if self.version.explicit_iv() {
            if fragment.len() < 16 {
                return Err(TlsError::BadRecordMac);
            }
            let mut iv = [0u8; 16];
            iv.copy_from_slice(&fragment[..16]);
            (iv, &fragment[16..])
        } else {
            (self.iv, fragment)
        };
        let mac_len = self.suite.mac.len();
        if body.is_empty() || body.len() % 16 != 0 || body.len() < mac_len + 1 {
            return Err(TlsError::BadRecordMac);
        }
        let mut data = body.to_vec();
        cbc_decrypt(&self.enc_key, &iv, &mut data)?;
        if !self.version.explicit_iv() {
            self.iv.copy_from_slice(&body[body.len() - 16..]);
        }
        // Check padding and MAC without an early exit between them, so a bad padding and a
        // bad MAC take the same path (the classic padding-oracle defence).
        let pad = usize::from(*data.last().unwrap_or(&0));
        let pad_ok = pad + 1 + mac_len <= data.len()
            && data[data.len() - pad - 1..]
                .iter()
                .all(|&b| usize::from(b) == pad);
        let content_len = if pad_ok {
            data.len() - pad - 1 - mac_len
        } else {
            data.len() - 1 - mac_len
        };
        let (content, rest) = data.split_at(content_len);
        let expected = self.mac_of(typ, content);
        let mac_ok: bool = expected.ct_eq(&rest[..mac_len]).into();
        self.seq += 1;
        if pad_ok && mac_ok {
            Ok(content.to_vec())
        } else {
            Err(TlsError::BadRecordMac)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn seal_open_round_trip_both_versions() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for version in [ProtocolVersion::TLS10, ProtocolVersion::TLS12] {
            for suite in CipherSuite::ALL
                .into_iter()
                .filter(|s| s.usable_with(version))
            {
                let mk = vec![1u8; suite.mac.len()];
                let ek = vec![2u8; suite.key_len];
                let iv = [3u8; 16];
                let mut tx = Protection::new(version, suite, &mk, &ek, &iv);
                let mut rx = Protection::new(version, suite, &mk, &ek, &iv);
                for len in [0, 1, 15, 16, 40] {
                    let msg = vec![0x14u8; len];
                    let sealed = tx.seal(HANDSHAKE, &msg, &mut rng);
                    assert_eq!(
                        rx.open(HANDSHAKE, &sealed).unwrap(),
                        msg,
                        "{} {}",
                        version,
                        suite.name
                    );
                }
                let mut sealed = tx.seal(HANDSHAKE, b"finished", &mut rng);
                let last = sealed.len() - 1;
                sealed[last] ^= 1;
                assert_eq!(rx.open(HANDSHAKE, &sealed), Err(TlsError::BadRecordMac));
            }
        }
    }

    #[test]
    fn records_split_and_reject_garbage() {
        let mut flight = Vec::new();
        write_records(
            &mut flight,
            HANDSHAKE,
            ProtocolVersion::TLS10,
            &[9u8; 20000],
        );
        write_records(
            &mut flight,
            CHANGE_CIPHER_SPEC,
            ProtocolVersion::TLS10,
            &[1],
        );
        let recs = split_records(&flight).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].fragment.len() + recs[1].fragment.len(), 20000);
        assert!(matches!(
            split_records(&flight[..10]),
            Err(TlsError::Truncated(_))
        ));
        assert!(split_records(b"GET / HTTP/1.1\r\n").is_err());
    }
}
