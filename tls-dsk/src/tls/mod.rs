//! A purpose-built TLS 1.0–1.2 handshake engine for TLS-DSK: static RSA key exchange, a
//! client certificate, AES-CBC record protection for the two Finished messages, and
//! nothing else (no application data, no resumption, no renegotiation).
//!
//! rustls cannot be used here: TLS-DSK peers speak TLS 1.0 with static RSA and CBC
//! (`tls-dsk.md` §8). Every primitive comes from RustCrypto; this module only composes them.

mod cert;
mod client;
mod codec;
mod dump;
mod error;
mod messages;
mod prf;
mod record;
mod server;
mod suites;

pub use cert::{CaVerifier, ClientCertVerifier, ClientIdentity, UnixTime, common_name};
pub use client::{ClientConfig, ClientHandshake};
pub use dump::{FlightDump, decode_flight};
pub use error::TlsError;
pub use messages::{CertificateRequest, ClientHello, Extension, HandshakeMessage, ServerHello};
pub use prf::{prf, prf_tls10, prf_tls12};
pub use server::{ServerConfig, ServerHandshake};
pub use suites::{CipherSuite, MacAlgorithm, ProtocolVersion, suite_name};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::keys::DskKeys;
use messages::HandshakeMessage as Msg;
use record::{CHANGE_CIPHER_SPEC, HANDSHAKE, Protection, Record};

/// Adapts a `dyn` RNG to the sized `R: CryptoRngCore` the `rsa` crate asks for.
pub(crate) struct DynRng<'a>(pub(crate) &'a mut dyn rand_core::CryptoRngCore);

impl rand_core::RngCore for DynRng<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl rand_core::CryptoRng for DynRng<'_> {}

/// What a finished handshake established. `Debug` shows no key material.
pub struct HandshakeOutcome {
    /// Negotiated version.
    pub version: ProtocolVersion,
    /// Negotiated suite.
    pub suite: CipherSuite,
    /// The TLS-DSK signing keys.
    pub keys: DskKeys,
    /// The peer's certificate chain (DER, leaf first).
    pub peer_chain: Vec<Vec<u8>>,
    /// The verified client identity (server side only).
    pub client_identity: Option<ClientIdentity>,
    key_block: Zeroizing<[u8; 128]>,
}

impl HandshakeOutcome {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        version: ProtocolVersion,
        suite: CipherSuite,
        master: &[u8; 48],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        mac: crate::keys::SignatureMac,
        peer_chain: Vec<Vec<u8>>,
        client_identity: Option<ClientIdentity>,
    ) -> Self {
        let key_block = Zeroizing::new(crate::keys::dangerous_key_block(
            version,
            master,
            client_random,
            server_random,
        ));
        let keys = DskKeys::from_key_block(&key_block, DskKeys::algorithm_for(suite, mac));
        Self {
            version,
            suite,
            keys,
            peer_chain,
            client_identity,
            key_block,
        }
    }

    /// The whole 128-byte "client EAP encryption" key block (what OpenSSL's
    /// `export_keying_material` returns). Secret: for interop checks only.
    pub fn dangerous_key_block(&self) -> &[u8; 128] {
        &self.key_block
    }
}

impl std::fmt::Debug for HandshakeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandshakeOutcome")
            .field("version", &self.version)
            .field("suite", &self.suite.name)
            .field("keys", &self.keys)
            .field("client_identity", &self.client_identity)
            .finish_non_exhaustive()
    }
}

/// The running handshake transcript (all handshake messages, headers included).
#[derive(Clone, Debug, Default)]
pub(crate) struct Transcript(Vec<u8>);

impl Transcript {
    pub(crate) fn add(&mut self, m: &Msg) {
        m.encode(&mut self.0);
    }
    /// The hash TLS signs and puts into Finished: MD5||SHA1 before TLS 1.2, SHA-256 after.
    pub(crate) fn hash(&self, version: ProtocolVersion) -> Vec<u8> {
        if version.is_tls12() {
            Sha256::digest(&self.0).to_vec()
        } else {
            let mut h = Md5::digest(&self.0).to_vec();
            h.extend_from_slice(&Sha1::digest(&self.0));
            h
        }
    }
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

pub(crate) fn master_secret(
    version: ProtocolVersion,
    pms: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Zeroizing<[u8; 48]> {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(client_random);
    seed[32..].copy_from_slice(server_random);
    let mut ms = Zeroizing::new([0u8; 48]);
    prf(version, pms, b"master secret", &seed, ms.as_mut());
    ms
}

/// Record keys for both directions: `(client_write, server_write)`.
pub(crate) fn key_block(
    version: ProtocolVersion,
    suite: CipherSuite,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> (Protection, Protection) {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    let (m, k) = (suite.mac.len(), suite.key_len);
    let iv = if version.explicit_iv() { 0 } else { 16 };
    let mut kb = Zeroizing::new(vec![0u8; 2 * (m + k + iv)]);
    prf(version, master, b"key expansion", &seed, &mut kb);
    let (cmac, rest) = kb.split_at(m);
    let (smac, rest) = rest.split_at(m);
    let (ckey, rest) = rest.split_at(k);
    let (skey, rest) = rest.split_at(k);
    let (civ, siv) = rest.split_at(iv);
    (
        Protection::new(version, suite, cmac, ckey, civ),
        Protection::new(version, suite, smac, skey, siv),
    )
}

pub(crate) fn verify_data(
    version: ProtocolVersion,
    master: &[u8; 48],
    label: &[u8],
    transcript: &Transcript,
) -> [u8; 12] {
    let mut out = [0u8; 12];
    prf(version, master, label, &transcript.hash(version), &mut out);
    out
}

pub(crate) fn finished_message(verify: &[u8; 12]) -> Msg {
    Msg {
        typ: messages::hs::FINISHED,
        body: verify.to_vec(),
    }
}

/// A received flight split at its ChangeCipherSpec.
pub(crate) struct Flight<'a> {
    /// Handshake messages before ChangeCipherSpec (reassembled across records).
    pub(crate) messages: Vec<Msg>,
    /// Whether a ChangeCipherSpec record came.
    pub(crate) ccs: bool,
    /// Encrypted records after ChangeCipherSpec.
    pub(crate) protected: Vec<Record<'a>>,
}

pub(crate) fn read_flight(bytes: &[u8]) -> Result<Flight<'_>, TlsError> {
    let records = record::split_records(bytes)?;
    let mut hs = Vec::new();
    let mut ccs = false;
    let mut protected = Vec::new();
    for r in records {
        match (r.typ, ccs) {
            (HANDSHAKE, false) => hs.extend_from_slice(r.fragment),
            (CHANGE_CIPHER_SPEC, false) => {
                if r.fragment != [1] {
                    return Err(TlsError::Malformed("change cipher spec"));
                }
                ccs = true;
            }
            (record::ALERT, false) => {
                let level = r.fragment.first().copied().unwrap_or(0);
                let desc = r.fragment.get(1).copied().unwrap_or(0);
                return Err(TlsError::PeerAlert(level, desc));
            }
            (_, true) => protected.push(r),
            _ => {
                return Err(TlsError::Unexpected(
                    "application data during the handshake",
                ));
            }
        }
    }
    Ok(Flight {
        messages: messages::split_messages(&hs)?,
        ccs,
        protected,
    })
}

/// Decrypts the protected records of a flight into handshake messages (the peer's
/// Finished, normally). An encrypted alert is reported as such.
pub(crate) fn open_protected(
    records: &[Record<'_>],
    prot: &mut Protection,
) -> Result<Vec<Msg>, TlsError> {
    let mut hs = Vec::new();
    for r in records {
        let plain = prot.open(r.typ, r.fragment)?;
        match r.typ {
            HANDSHAKE => hs.extend_from_slice(&plain),
            record::ALERT => {
                return Err(TlsError::PeerAlert(
                    plain.first().copied().unwrap_or(0),
                    plain.get(1).copied().unwrap_or(0),
                ));
            }
            _ => return Err(TlsError::Unexpected("record after change cipher spec")),
        }
    }
    messages::split_messages(&hs)
}
