//! The client side of the handshake (what a phone or desktop client does).

use rand_core::CryptoRngCore;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::messages::{self, ClientHello, Extension, HandshakeMessage, ServerHello, hs};
use super::record::{self, CHANGE_CIPHER_SPEC, HANDSHAKE, Protection};
use super::suites::{CipherSuite, ProtocolVersion};
use super::{
    HandshakeOutcome, TlsError, Transcript, cert, finished_message, key_block, master_secret,
    open_protected, read_flight, verify_data,
};
use crate::keys::SignatureMac;

/// What the client brings: its certificate (from certificate provisioning), the matching
/// key, and the versions and suites it offers.
#[derive(Clone)]
pub struct ClientConfig {
    /// The client certificate chain, DER, leaf first (usually just the leaf).
    pub cert_chain: Vec<Vec<u8>>,
    /// The certificate's RSA private key.
    pub key: RsaPrivateKey,
    /// Lowest acceptable version.
    pub min_version: ProtocolVersion,
    /// Highest offered version.
    pub max_version: ProtocolVersion,
    /// Offered suites, in preference order.
    pub suites: Vec<CipherSuite>,
    /// The MAC used for SIP signatures with SHA-256 suites (see [`SignatureMac`]).
    pub signature_mac: SignatureMac,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field(
                "cert_chain",
                &self
                    .cert_chain
                    .iter()
                    .map(|c| cert::common_name(c))
                    .collect::<Vec<_>>(),
            )
            .field("key", &"<redacted>")
            .field("min_version", &self.min_version)
            .field("max_version", &self.max_version)
            .field(
                "suites",
                &self.suites.iter().map(|s| s.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ClientConfig {
    /// TLS 1.0 to 1.2, AES suites, HMAC-SHA1 signatures: what interoperates with SIPE-era
    /// servers and Office 365.
    pub fn new(cert_chain: Vec<Vec<u8>>, key: RsaPrivateKey) -> Self {
        Self {
            cert_chain,
            key,
            min_version: ProtocolVersion::TLS10,
            max_version: ProtocolVersion::TLS12,
            suites: CipherSuite::ALL.to_vec(),
            signature_mac: SignatureMac::default(),
        }
    }
}

// One state per handshake; the largest variant lives only between two SIP rounds.
#[allow(clippy::large_enum_variant)]
enum State {
    ExpectServerHello,
    ExpectServerFinished {
        version: ProtocolVersion,
        suite: CipherSuite,
        master: Zeroizing<[u8; 48]>,
        server_random: [u8; 32],
        server_prot: Protection,
        peer_chain: Vec<Vec<u8>>,
    },
    Done(Box<HandshakeOutcome>),
    Failed,
}

/// The client handshake, driven one TLS-DSK round at a time.
///
/// Call order: [`ClientHandshake::start`] gives the ClientHello flight (the first
/// `gssapi-data`); feed each server flight to [`ClientHandshake::handle`]. The first call
/// returns the client's second flight; the second returns `None` and the handshake is
/// complete: take the keys with [`ClientHandshake::outcome`]. Any error is final.
pub struct ClientHandshake {
    config: ClientConfig,
    client_random: [u8; 32],
    offered_version: ProtocolVersion,
    transcript: Transcript,
    state: State,
}

impl std::fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::ExpectServerHello => "ExpectServerHello",
            State::ExpectServerFinished { .. } => "ExpectServerFinished",
            State::Done(_) => "Done",
            State::Failed => "Failed",
        };
        f.debug_struct("ClientHandshake")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl ClientHandshake {
    /// Starts a handshake and returns the ClientHello flight.
    pub fn start(config: ClientConfig, rng: &mut dyn CryptoRngCore) -> (Self, Vec<u8>) {
        let mut client_random = [0u8; 32];
        rng.fill_bytes(&mut client_random);
        let offered_version = config.max_version;
        let mut suites: Vec<u16> = config
            .suites
            .iter()
            .filter(|s| s.usable_with(offered_version))
            .map(|s| s.id)
            .collect();
        // RFC 5746: signal secure renegotiation without sending an extension, which keeps
        // the TLS 1.0 ClientHello extension-free like SIPE's.
        suites.push(messages::SCSV);
        let mut extensions = Vec::new();
        if offered_version.is_tls12() {
            let mut algs = Vec::new();
            super::codec::put_vec16(&mut algs, &[0x04, 0x01, 0x02, 0x01]);
            extensions.push(Extension {
                typ: messages::ext::SIGNATURE_ALGORITHMS,
                data: algs,
            });
        }
        let hello = ClientHello {
            version: offered_version,
            random: client_random,
            session_id: Vec::new(),
            cipher_suites: suites,
            compression: vec![0],
            extensions,
        };
        let msg = hello.to_message();
        let mut transcript = Transcript::default();
        transcript.add(&msg);
        let mut flight = Vec::new();
        // The record version of a ClientHello is conventionally TLS 1.0 (RFC 5246 App. E.1).
        record::write_records(
            &mut flight,
            HANDSHAKE,
            ProtocolVersion::TLS10,
            &msg.to_bytes(),
        );
        let hs = Self {
            config,
            client_random,
            offered_version,
            transcript,
            state: State::ExpectServerHello,
        };
        (hs, flight)
    }

    /// Feeds one server flight (decoded `gssapi-data`). Returns the next client flight, or
    /// `None` when the handshake is complete.
    ///
    /// # Errors
    ///
    /// A [`TlsError`]; the handshake is then failed for good.
    pub fn handle(
        &mut self,
        flight: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Option<Vec<u8>>, TlsError> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let (next, out) = match state {
            State::ExpectServerHello => {
                let (next, out) = self.on_server_hello(flight, rng)?;
                (next, Some(out))
            }
            State::ExpectServerFinished {
                version,
                suite,
                master,
                server_random,
                server_prot,
                peer_chain,
            } => (
                self.on_server_finished(
                    flight,
                    version,
                    suite,
                    master,
                    server_random,
                    server_prot,
                    peer_chain,
                )?,
                None,
            ),
            State::Done(_) | State::Failed => {
                return Err(TlsError::Unexpected("flight after the handshake ended"));
            }
        };
        self.state = next;
        Ok(out)
    }

    /// True once the server's Finished verified.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The keys and parameters, once done.
    pub fn outcome(&self) -> Option<&HandshakeOutcome> {
        match &self.state {
            State::Done(o) => Some(o),
            _ => None,
        }
    }

    /// Takes the outcome, once done.
    pub fn into_outcome(self) -> Option<HandshakeOutcome> {
        match self.state {
            State::Done(o) => Some(*o),
            _ => None,
        }
    }

    fn on_server_hello(
        &mut self,
        flight: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(State, Vec<u8>), TlsError> {
        let f = read_flight(flight)?;
        if f.ccs || !f.protected.is_empty() {
            return Err(TlsError::Unexpected(
                "change cipher spec in the server's first flight",
            ));
        }
        let mut msgs = f.messages.into_iter();
        let sh_msg = msgs.next().ok_or(TlsError::Truncated("server flight"))?;
        if sh_msg.typ != hs::SERVER_HELLO {
            return Err(TlsError::Unexpected("message instead of ServerHello"));
        }
        let sh = ServerHello::read(&sh_msg.body)?;
        self.transcript.add(&sh_msg);
        let version = sh.version;
        if version < self.config.min_version || version > self.offered_version {
            return Err(TlsError::NoCommonVersion);
        }
        let suite = self
            .config
            .suites
            .iter()
            .copied()
            .find(|s| s.id == sh.cipher_suite && s.usable_with(version))
            .ok_or(TlsError::NoCommonSuite)?;
        if sh.compression != 0 {
            return Err(TlsError::Malformed("compression method"));
        }
        if let Some(ri) = sh
            .extensions
            .iter()
            .find(|e| e.typ == messages::ext::RENEGOTIATION_INFO)
            && ri.data != [0]
        {
            return Err(TlsError::Malformed(
                "renegotiation_info on an initial handshake",
            ));
        }
        let mut chain = None;
        let mut request = None;
        let mut done = false;
        for m in msgs {
            if done {
                return Err(TlsError::Unexpected("message after ServerHelloDone"));
            }
            self.transcript.add(&m);
            match m.typ {
                hs::CERTIFICATE if chain.is_none() => {
                    chain = Some(messages::read_certificate(&m.body)?)
                }
                hs::CERTIFICATE_REQUEST if request.is_none() => {
                    request = Some(messages::CertificateRequest::read(
                        &m.body,
                        version.is_tls12(),
                    )?)
                }
                hs::SERVER_KEY_EXCHANGE => {
                    return Err(TlsError::Unexpected(
                        "ServerKeyExchange (only static RSA is supported)",
                    ));
                }
                hs::SERVER_HELLO_DONE => done = true,
                _ => {
                    return Err(TlsError::Unexpected(
                        "handshake message in the server's first flight",
                    ));
                }
            }
        }
        if !done {
            return Err(TlsError::Truncated("server flight without ServerHelloDone"));
        }
        let chain =
            chain.ok_or_else(|| TlsError::Certificate("the server sent no certificate".into()))?;
        let request = request.ok_or(TlsError::NoCertificateRequest)?;
        // The server certificate is not validated: TLS-DSK runs inside the outer SIP TLS
        // connection, which authenticated the server already (tls-dsk.md §3.1).
        let server_key = cert::leaf_public_key(
            chain
                .first()
                .ok_or_else(|| TlsError::Certificate("empty server chain".into()))?,
        )?;

        let mut pms = Zeroizing::new([0u8; 48]);
        rng.fill_bytes(&mut pms[2..]);
        pms[..2].copy_from_slice(&self.offered_version.0.to_be_bytes());
        let enc = server_key
            .encrypt(&mut super::DynRng(rng), Pkcs1v15Encrypt, pms.as_ref())
            .map_err(|e| TlsError::Rsa(e.to_string()))?;
        let master = master_secret(version, pms.as_ref(), &self.client_random, &sh.random);
        let (mut client_prot, server_prot) =
            key_block(version, suite, &master, &self.client_random, &sh.random);

        let cert_msg = messages::certificate_message(&self.config.cert_chain);
        self.transcript.add(&cert_msg);
        let cke = messages::client_key_exchange_message(&enc);
        self.transcript.add(&cke);
        let (alg, signature) = self.sign_transcript(version, &request)?;
        let cv = messages::certificate_verify_message(alg, &signature);
        self.transcript.add(&cv);
        let verify = verify_data(version, &master, b"client finished", &self.transcript);
        let fin = finished_message(&verify);
        self.transcript.add(&fin);

        let mut hs_bytes = cert_msg.to_bytes();
        hs_bytes.extend_from_slice(&cke.to_bytes());
        hs_bytes.extend_from_slice(&cv.to_bytes());
        let mut out = Vec::new();
        record::write_records(&mut out, HANDSHAKE, version, &hs_bytes);
        record::write_records(&mut out, CHANGE_CIPHER_SPEC, version, &[1]);
        let sealed = client_prot.seal(HANDSHAKE, &fin.to_bytes(), rng);
        record::write_records(&mut out, HANDSHAKE, version, &sealed);
        let state = State::ExpectServerFinished {
            version,
            suite,
            master,
            server_random: sh.random,
            server_prot,
            peer_chain: chain,
        };
        Ok((state, out))
    }

    fn sign_transcript(
        &self,
        version: ProtocolVersion,
        request: &messages::CertificateRequest,
    ) -> Result<(Option<u16>, Vec<u8>), TlsError> {
        let data = self.transcript.bytes();
        let rsa_err = |e: rsa::Error| TlsError::Rsa(e.to_string());
        if !version.is_tls12() {
            // TLS 1.0/1.1: PKCS#1 v1.5 over MD5||SHA1 without a DigestInfo.
            let hash = self.transcript.hash(version);
            return Ok((
                None,
                self.config
                    .key
                    .sign(Pkcs1v15Sign::new_unprefixed(), &hash)
                    .map_err(rsa_err)?,
            ));
        }
        let offered = request.signature_algorithms.as_deref().unwrap_or(&[]);
        use sha2::Digest;
        if offered.is_empty() || offered.contains(&messages::RSA_PKCS1_SHA256) {
            let hash = sha2::Sha256::digest(data);
            Ok((
                Some(messages::RSA_PKCS1_SHA256),
                self.config
                    .key
                    .sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &hash)
                    .map_err(rsa_err)?,
            ))
        } else if offered.contains(&messages::RSA_PKCS1_SHA1) {
            let hash = sha1::Sha1::digest(data);
            Ok((
                Some(messages::RSA_PKCS1_SHA1),
                self.config
                    .key
                    .sign(Pkcs1v15Sign::new::<sha1::Sha1>(), &hash)
                    .map_err(rsa_err)?,
            ))
        } else {
            Err(TlsError::Malformed(
                "no rsa signature algorithm in CertificateRequest",
            ))
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_server_finished(
        &mut self,
        flight: &[u8],
        version: ProtocolVersion,
        suite: CipherSuite,
        master: Zeroizing<[u8; 48]>,
        server_random: [u8; 32],
        mut server_prot: Protection,
        peer_chain: Vec<Vec<u8>>,
    ) -> Result<State, TlsError> {
        let f = read_flight(flight)?;
        for m in &f.messages {
            // A NewSessionTicket may precede ChangeCipherSpec (OpenSSL peers); it is part
            // of the transcript and otherwise ignored.
            if m.typ != hs::NEW_SESSION_TICKET {
                return Err(TlsError::Unexpected(
                    "handshake message before the server's change cipher spec",
                ));
            }
            self.transcript.add(m);
        }
        if !f.ccs {
            return Err(TlsError::Unexpected(
                "server flight without change cipher spec",
            ));
        }
        let msgs = open_protected(&f.protected, &mut server_prot)?;
        let [fin]: [HandshakeMessage; 1] = msgs
            .try_into()
            .map_err(|_| TlsError::Unexpected("server flight without exactly one Finished"))?;
        if fin.typ != hs::FINISHED {
            return Err(TlsError::Unexpected("message instead of Finished"));
        }
        let expected = verify_data(version, &master, b"server finished", &self.transcript);
        if !bool::from(expected.ct_eq(fin.body.as_slice())) {
            return Err(TlsError::BadFinished);
        }
        let outcome = HandshakeOutcome::new(
            version,
            suite,
            &master,
            &self.client_random,
            &server_random,
            self.config.signature_mac,
            peer_chain,
            None,
        );
        Ok(State::Done(Box::new(outcome)))
    }
}
