//! The server side of the handshake (what a registrar does).

use std::sync::Arc;

use rand_core::CryptoRngCore;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use sha2::Digest;
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use super::cert::{self, ClientCertVerifier, UnixTime};
use super::messages::{
    self, CertificateRequest, ClientHello, Extension, HandshakeMessage, ServerHello, hs,
};
use super::record::{self, CHANGE_CIPHER_SPEC, HANDSHAKE, Protection};
use super::suites::{CipherSuite, ProtocolVersion};
use super::{
    HandshakeOutcome, TlsError, Transcript, finished_message, key_block, master_secret,
    open_protected, read_flight, verify_data,
};
use crate::keys::SignatureMac;

/// What the registrar brings: its certificate and key, the versions and suites it accepts,
/// and the verifier for client certificates.
#[derive(Clone)]
pub struct ServerConfig {
    /// Server certificate chain, DER, leaf first.
    pub cert_chain: Vec<Vec<u8>>,
    /// The server certificate's RSA private key (decrypts the pre-master secret).
    pub key: RsaPrivateKey,
    /// Lowest accepted version.
    pub min_version: ProtocolVersion,
    /// Highest accepted version.
    pub max_version: ProtocolVersion,
    /// Accepted suites in the server's preference order.
    pub suites: Vec<CipherSuite>,
    /// Checks client certificates (chain, validity at the passed-in time).
    pub verifier: Arc<dyn ClientCertVerifier>,
    /// CA names sent in CertificateRequest (DER distinguished names; may be empty).
    pub ca_names: Vec<Vec<u8>>,
    /// The MAC used for SIP signatures with SHA-256 suites (see [`SignatureMac`]).
    pub signature_mac: SignatureMac,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
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
            .field("verifier", &self.verifier)
            .finish()
    }
}

impl ServerConfig {
    /// TLS 1.0 to 1.2 and the AES suites, preferring AES-256-CBC-SHA as Office 365 does.
    pub fn new(
        cert_chain: Vec<Vec<u8>>,
        key: RsaPrivateKey,
        verifier: Arc<dyn ClientCertVerifier>,
    ) -> Self {
        Self {
            cert_chain,
            key,
            min_version: ProtocolVersion::TLS10,
            max_version: ProtocolVersion::TLS12,
            suites: CipherSuite::ALL.to_vec(),
            verifier,
            ca_names: Vec::new(),
            signature_mac: SignatureMac::default(),
        }
    }
}

enum State {
    ExpectClientHello,
    ExpectClientFinished {
        hello: ClientHello,
        version: ProtocolVersion,
        suite: CipherSuite,
        server_random: [u8; 32],
    },
    Done(Box<HandshakeOutcome>),
    Failed,
}

/// The server handshake, driven one TLS-DSK round at a time.
///
/// Call order: feed the ClientHello flight to [`ServerHandshake::handle`] and send the
/// returned flight (ServerHello, Certificate, CertificateRequest, ServerHelloDone in one
/// record); feed the client's second flight and send the returned flight
/// (ChangeCipherSpec, Finished). The handshake is then done: [`ServerHandshake::outcome`]
/// holds the keys and the verified client identity. Any error is final.
pub struct ServerHandshake {
    config: ServerConfig,
    now: UnixTime,
    transcript: Transcript,
    state: State,
}

impl std::fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::ExpectClientHello => "ExpectClientHello",
            State::ExpectClientFinished { .. } => "ExpectClientFinished",
            State::Done(_) => "Done",
            State::Failed => "Failed",
        };
        f.debug_struct("ServerHandshake")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl ServerHandshake {
    /// A server handshake; `now` is used to check the client certificate's validity.
    pub fn new(config: ServerConfig, now: UnixTime) -> Self {
        Self {
            config,
            now,
            transcript: Transcript::default(),
            state: State::ExpectClientHello,
        }
    }

    /// Feeds one client flight and returns the server's answer.
    ///
    /// # Errors
    ///
    /// A [`TlsError`]; the handshake is then failed for good.
    pub fn handle(
        &mut self,
        flight: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, TlsError> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let (next, out) = match state {
            State::ExpectClientHello => self.on_client_hello(flight, rng)?,
            State::ExpectClientFinished {
                hello,
                version,
                suite,
                server_random,
            } => self.on_client_finished(flight, rng, hello, version, suite, server_random)?,
            State::Done(_) | State::Failed => {
                return Err(TlsError::Unexpected("flight after the handshake ended"));
            }
        };
        self.state = next;
        Ok(out)
    }

    /// True once the client's Finished verified.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The keys, parameters and client identity, once done.
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

    fn on_client_hello(
        &mut self,
        flight: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(State, Vec<u8>), TlsError> {
        let f = read_flight(flight)?;
        if f.ccs || !f.protected.is_empty() {
            return Err(TlsError::Unexpected(
                "change cipher spec before ClientHello",
            ));
        }
        let [msg]: [HandshakeMessage; 1] = f
            .messages
            .try_into()
            .map_err(|_| TlsError::Unexpected("first flight is not exactly one ClientHello"))?;
        if msg.typ != hs::CLIENT_HELLO {
            return Err(TlsError::Unexpected("message instead of ClientHello"));
        }
        let hello = ClientHello::read(&msg.body)?;
        self.transcript.add(&msg);
        // Version negotiation (RFC 5246 App. E.1): the highest both support.
        let version = hello.version.min(self.config.max_version);
        if version < self.config.min_version || version < ProtocolVersion::TLS10 {
            return Err(TlsError::NoCommonVersion);
        }
        let suite = self
            .config
            .suites
            .iter()
            .copied()
            .find(|s| s.usable_with(version) && hello.cipher_suites.contains(&s.id))
            .ok_or(TlsError::NoCommonSuite)?;
        if !hello.compression.contains(&0) {
            return Err(TlsError::Malformed("no null compression offered"));
        }
        let mut server_random = [0u8; 32];
        rng.fill_bytes(&mut server_random);
        // Echo an empty renegotiation_info when the client signals RFC 5746; unknown
        // extensions (session ticket, heartbeat, EMS, encrypt-then-MAC) are not echoed.
        let mut extensions = Vec::new();
        if hello.cipher_suites.contains(&messages::SCSV)
            || hello.has_extension(messages::ext::RENEGOTIATION_INFO)
        {
            extensions.push(Extension {
                typ: messages::ext::RENEGOTIATION_INFO,
                data: vec![0],
            });
        }
        let sh = ServerHello {
            version,
            random: server_random,
            session_id: Vec::new(),
            cipher_suite: suite.id,
            compression: 0,
            extensions,
        }
        .to_message();
        let cert = messages::certificate_message(&self.config.cert_chain);
        let req = CertificateRequest {
            cert_types: vec![1],
            signature_algorithms: version
                .is_tls12()
                .then(|| vec![messages::RSA_PKCS1_SHA256, messages::RSA_PKCS1_SHA1]),
            authorities: self.config.ca_names.clone(),
        }
        .to_message();
        let done = HandshakeMessage {
            typ: hs::SERVER_HELLO_DONE,
            body: Vec::new(),
        };
        let mut hs_bytes = Vec::new();
        for m in [&sh, &cert, &req, &done] {
            self.transcript.add(m);
            m.encode(&mut hs_bytes);
        }
        let mut out = Vec::new();
        record::write_records(&mut out, HANDSHAKE, version, &hs_bytes);
        Ok((
            State::ExpectClientFinished {
                hello,
                version,
                suite,
                server_random,
            },
            out,
        ))
    }

    fn on_client_finished(
        &mut self,
        flight: &[u8],
        rng: &mut dyn CryptoRngCore,
        hello: ClientHello,
        version: ProtocolVersion,
        suite: CipherSuite,
        server_random: [u8; 32],
    ) -> Result<(State, Vec<u8>), TlsError> {
        let f = read_flight(flight)?;
        let mut msgs = f.messages.into_iter();
        let mut next = |want: u8, name: &'static str| match msgs.next() {
            Some(m) if m.typ == want => Ok(m),
            Some(_) => Err(TlsError::Unexpected(name)),
            None => Err(TlsError::Truncated(name)),
        };
        let cert_msg = next(hs::CERTIFICATE, "Certificate")?;
        let cke = next(hs::CLIENT_KEY_EXCHANGE, "ClientKeyExchange")?;
        let cv = next(hs::CERTIFICATE_VERIFY, "CertificateVerify")?;
        if msgs.next().is_some() {
            return Err(TlsError::Unexpected("message after CertificateVerify"));
        }
        if !f.ccs {
            return Err(TlsError::Unexpected(
                "client flight without change cipher spec",
            ));
        }
        let chain = messages::read_certificate(&cert_msg.body)?;
        if chain.is_empty() {
            return Err(TlsError::Certificate(
                "the client sent no certificate".into(),
            ));
        }
        let identity = self.config.verifier.verify(&chain, self.now)?;
        let client_key = cert::leaf_public_key(&chain[0])?;
        self.transcript.add(&cert_msg);
        self.transcript.add(&cke);

        let pms = self.decrypt_pms(
            &messages::read_client_key_exchange(&cke.body)?,
            hello.version,
            rng,
        );
        let master = master_secret(version, pms.as_ref(), &hello.random, &server_random);

        let (alg, sig) = messages::read_certificate_verify(&cv.body, version.is_tls12())?;
        let ok = if version.is_tls12() {
            let data = self.transcript.bytes();
            match alg {
                Some(messages::RSA_PKCS1_SHA256) => client_key.verify(
                    Pkcs1v15Sign::new::<sha2::Sha256>(),
                    &sha2::Sha256::digest(data),
                    &sig,
                ),
                Some(messages::RSA_PKCS1_SHA1) => client_key.verify(
                    Pkcs1v15Sign::new::<sha1::Sha1>(),
                    &sha1::Sha1::digest(data),
                    &sig,
                ),
                _ => return Err(TlsError::Malformed("certificate verify algorithm")),
            }
        } else {
            client_key.verify(
                Pkcs1v15Sign::new_unprefixed(),
                &self.transcript.hash(version),
                &sig,
            )
        };
        if ok.is_err() {
            return Err(TlsError::BadCertificateVerify);
        }
        self.transcript.add(&cv);

        let (mut client_prot, mut server_prot): (Protection, Protection) =
            key_block(version, suite, &master, &hello.random, &server_random);
        let [fin]: [HandshakeMessage; 1] = open_protected(&f.protected, &mut client_prot)?
            .try_into()
            .map_err(|_| TlsError::Unexpected("client flight without exactly one Finished"))?;
        if fin.typ != hs::FINISHED {
            return Err(TlsError::Unexpected("message instead of Finished"));
        }
        let expected = verify_data(version, &master, b"client finished", &self.transcript);
        if !bool::from(expected.ct_eq(fin.body.as_slice())) {
            return Err(TlsError::BadFinished);
        }
        self.transcript.add(&fin);
        let server_fin = finished_message(&verify_data(
            version,
            &master,
            b"server finished",
            &self.transcript,
        ));
        self.transcript.add(&server_fin);
        let mut out = Vec::new();
        record::write_records(&mut out, CHANGE_CIPHER_SPEC, version, &[1]);
        let sealed = server_prot.seal(HANDSHAKE, &server_fin.to_bytes(), rng);
        record::write_records(&mut out, HANDSHAKE, version, &sealed);
        let outcome = HandshakeOutcome::new(
            version,
            suite,
            &master,
            &hello.random,
            &server_random,
            self.config.signature_mac,
            chain,
            Some(identity),
        );
        Ok((State::Done(Box::new(outcome)), out))
    }

    /// RSA-decrypts the pre-master secret with implicit rejection (RFC 5246 §7.4.7.1):
    /// on any padding, length or version failure a random secret is used instead, chosen
    /// without a data-dependent branch, so the handshake fails at Finished whatever the
    /// cause. The RSA decryption itself is `rsa` 0.9's, which is not constant-time
    /// (RUSTSEC-2023-0071); see the crate docs.
    fn decrypt_pms(
        &self,
        enc: &[u8],
        client_version: ProtocolVersion,
        rng: &mut dyn CryptoRngCore,
    ) -> Zeroizing<[u8; 48]> {
        let mut fallback = Zeroizing::new([0u8; 48]);
        rng.fill_bytes(&mut fallback[2..]);
        fallback[..2].copy_from_slice(&client_version.0.to_be_bytes());
        let decrypted = self
            .config
            .key
            .decrypt(Pkcs1v15Encrypt, enc)
            .map(Zeroizing::new);
        let (candidate, mut good) = match &decrypted {
            Ok(d) if d.len() == 48 => (d.as_slice(), subtle::Choice::from(1)),
            _ => (&fallback[..], subtle::Choice::from(0)),
        };
        good &= candidate[..2].ct_eq(&client_version.0.to_be_bytes());
        let mut out = Zeroizing::new([0u8; 48]);
        for i in 0..48 {
            out[i] = u8::conditional_select(&fallback[i], &candidate[i], good);
        }
        out
    }
}
