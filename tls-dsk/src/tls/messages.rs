//! Handshake messages (RFC 5246 §7.4), one type per message, each with `read` and `encode`.

use super::codec::{Reader, put_u16, put_vec8, put_vec16, put_vec24};
use super::error::TlsError;
use super::suites::ProtocolVersion;

/// Handshake message type numbers.
pub(crate) mod hs {
    pub(crate) const CLIENT_HELLO: u8 = 1;
    pub(crate) const SERVER_HELLO: u8 = 2;
    pub(crate) const NEW_SESSION_TICKET: u8 = 4;
    pub(crate) const CERTIFICATE: u8 = 11;
    pub(crate) const SERVER_KEY_EXCHANGE: u8 = 12;
    pub(crate) const CERTIFICATE_REQUEST: u8 = 13;
    pub(crate) const SERVER_HELLO_DONE: u8 = 14;
    pub(crate) const CERTIFICATE_VERIFY: u8 = 15;
    pub(crate) const CLIENT_KEY_EXCHANGE: u8 = 16;
    pub(crate) const FINISHED: u8 = 20;
}

/// Extension numbers we act on.
pub(crate) mod ext {
    pub(crate) const SIGNATURE_ALGORITHMS: u16 = 13;
    pub(crate) const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` (RFC 5746).
pub(crate) const SCSV: u16 = 0x00ff;

/// `rsa_pkcs1_sha256` and `rsa_pkcs1_sha1` as TLS 1.2 SignatureAndHashAlgorithm values.
pub(crate) const RSA_PKCS1_SHA256: u16 = 0x0401;
pub(crate) const RSA_PKCS1_SHA1: u16 = 0x0201;

/// One handshake message: type and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// Handshake type (1 = ClientHello, 2 = ServerHello, 11 = Certificate, ...).
    pub typ: u8,
    /// The body, without the 4-byte header.
    pub body: Vec<u8>,
}

impl HandshakeMessage {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.typ);
        put_vec24(out, &self.body);
    }

    /// The message with its 4-byte header, as it enters the handshake hash.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 4);
        self.encode(&mut out);
        out
    }

    /// A name for dumps and errors.
    pub fn name(&self) -> &'static str {
        match self.typ {
            hs::CLIENT_HELLO => "ClientHello",
            hs::SERVER_HELLO => "ServerHello",
            hs::NEW_SESSION_TICKET => "NewSessionTicket",
            hs::CERTIFICATE => "Certificate",
            hs::SERVER_KEY_EXCHANGE => "ServerKeyExchange",
            hs::CERTIFICATE_REQUEST => "CertificateRequest",
            hs::SERVER_HELLO_DONE => "ServerHelloDone",
            hs::CERTIFICATE_VERIFY => "CertificateVerify",
            hs::CLIENT_KEY_EXCHANGE => "ClientKeyExchange",
            hs::FINISHED => "Finished",
            _ => "unknown",
        }
    }
}

/// A TLS extension, kept raw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// Extension number.
    pub typ: u16,
    /// Extension data.
    pub data: Vec<u8>,
}

fn read_extensions(r: &mut Reader<'_>) -> Result<Vec<Extension>, TlsError> {
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let mut e = Reader::new(r.vec16("extensions")?);
    let mut out = Vec::new();
    while !e.is_empty() {
        let typ = e.u16("extension type")?;
        let data = e.vec16("extension data")?.to_vec();
        out.push(Extension { typ, data });
    }
    Ok(out)
}

fn put_extensions(out: &mut Vec<u8>, exts: &[Extension]) {
    if exts.is_empty() {
        return;
    }
    let mut body = Vec::new();
    for e in exts {
        put_u16(&mut body, e.typ);
        put_vec16(&mut body, &e.data);
    }
    put_vec16(out, &body);
}

/// ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// Highest version the client supports.
    pub version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// Session id (empty for TLS-DSK).
    pub session_id: Vec<u8>,
    /// Offered cipher suites, in order.
    pub cipher_suites: Vec<u16>,
    /// Offered compression methods.
    pub compression: Vec<u8>,
    /// Extensions, in order.
    pub extensions: Vec<Extension>,
}

impl ClientHello {
    pub(crate) fn read(body: &[u8]) -> Result<Self, TlsError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16("client_version")?);
        let random = r
            .take(32, "client random")?
            .try_into()
            .map_err(|_| TlsError::Malformed("random"))?;
        let session_id = r.vec8("session id")?.to_vec();
        let suites = r.vec16("cipher suites")?;
        if suites.len() % 2 != 0 || suites.is_empty() {
            return Err(TlsError::Malformed("cipher suite list"));
        }
        let cipher_suites = suites
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        let compression = r.vec8("compression methods")?.to_vec();
        let extensions = read_extensions(&mut r)?;
        r.finish("ClientHello")?;
        Ok(Self {
            version,
            random,
            session_id,
            cipher_suites,
            compression,
            extensions,
        })
    }

    pub(crate) fn to_message(&self) -> HandshakeMessage {
        let mut b = Vec::new();
        put_u16(&mut b, self.version.0);
        b.extend_from_slice(&self.random);
        put_vec8(&mut b, &self.session_id);
        let suites: Vec<u8> = self
            .cipher_suites
            .iter()
            .flat_map(|s| s.to_be_bytes())
            .collect();
        put_vec16(&mut b, &suites);
        put_vec8(&mut b, &self.compression);
        put_extensions(&mut b, &self.extensions);
        HandshakeMessage {
            typ: hs::CLIENT_HELLO,
            body: b,
        }
    }

    pub(crate) fn has_extension(&self, typ: u16) -> bool {
        self.extensions.iter().any(|e| e.typ == typ)
    }
}

/// ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// Negotiated version.
    pub version: ProtocolVersion,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// Session id.
    pub session_id: Vec<u8>,
    /// Chosen cipher suite.
    pub cipher_suite: u16,
    /// Chosen compression method.
    pub compression: u8,
    /// Extensions, in order.
    pub extensions: Vec<Extension>,
}

impl ServerHello {
    pub(crate) fn read(body: &[u8]) -> Result<Self, TlsError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16("server_version")?);
        let random = r
            .take(32, "server random")?
            .try_into()
            .map_err(|_| TlsError::Malformed("random"))?;
        let session_id = r.vec8("session id")?.to_vec();
        let cipher_suite = r.u16("cipher suite")?;
        let compression = r.u8("compression method")?;
        let extensions = read_extensions(&mut r)?;
        r.finish("ServerHello")?;
        Ok(Self {
            version,
            random,
            session_id,
            cipher_suite,
            compression,
            extensions,
        })
    }

    pub(crate) fn to_message(&self) -> HandshakeMessage {
        let mut b = Vec::new();
        put_u16(&mut b, self.version.0);
        b.extend_from_slice(&self.random);
        put_vec8(&mut b, &self.session_id);
        put_u16(&mut b, self.cipher_suite);
        b.push(self.compression);
        put_extensions(&mut b, &self.extensions);
        HandshakeMessage {
            typ: hs::SERVER_HELLO,
            body: b,
        }
    }
}

/// Certificate: a chain of DER certificates, leaf first.
pub(crate) fn read_certificate(body: &[u8]) -> Result<Vec<Vec<u8>>, TlsError> {
    let mut r = Reader::new(body);
    let mut list = Reader::new(r.vec24("certificate list")?);
    r.finish("Certificate")?;
    let mut chain = Vec::new();
    while !list.is_empty() {
        chain.push(list.vec24("certificate")?.to_vec());
    }
    Ok(chain)
}

pub(crate) fn certificate_message(chain: &[Vec<u8>]) -> HandshakeMessage {
    let mut list = Vec::new();
    for c in chain {
        put_vec24(&mut list, c);
    }
    let mut b = Vec::new();
    put_vec24(&mut b, &list);
    HandshakeMessage {
        typ: hs::CERTIFICATE,
        body: b,
    }
}

/// CertificateRequest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// Certificate types (1 = rsa_sign).
    pub cert_types: Vec<u8>,
    /// TLS 1.2 signature algorithms the server accepts.
    pub signature_algorithms: Option<Vec<u16>>,
    /// Acceptable CA names (DER distinguished names).
    pub authorities: Vec<Vec<u8>>,
}

impl CertificateRequest {
    pub(crate) fn read(body: &[u8], tls12: bool) -> Result<Self, TlsError> {
        let mut r = Reader::new(body);
        let cert_types = r.vec8("certificate types")?.to_vec();
        let signature_algorithms = if tls12 {
            let algs = r.vec16("signature algorithms")?;
            Some(
                algs.chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect(),
            )
        } else {
            None
        };
        let mut names = Reader::new(r.vec16("certificate authorities")?);
        let mut authorities = Vec::new();
        while !names.is_empty() {
            authorities.push(names.vec16("distinguished name")?.to_vec());
        }
        r.finish("CertificateRequest")?;
        Ok(Self {
            cert_types,
            signature_algorithms,
            authorities,
        })
    }

    pub(crate) fn to_message(&self) -> HandshakeMessage {
        let mut b = Vec::new();
        put_vec8(&mut b, &self.cert_types);
        if let Some(algs) = &self.signature_algorithms {
            let a: Vec<u8> = algs.iter().flat_map(|x| x.to_be_bytes()).collect();
            put_vec16(&mut b, &a);
        }
        let mut names = Vec::new();
        for n in &self.authorities {
            put_vec16(&mut names, n);
        }
        put_vec16(&mut b, &names);
        HandshakeMessage {
            typ: hs::CERTIFICATE_REQUEST,
            body: b,
        }
    }
}

/// CertificateVerify: `(algorithm, signature)`; the algorithm only in TLS 1.2.
pub(crate) fn read_certificate_verify(
    body: &[u8],
    tls12: bool,
) -> Result<(Option<u16>, Vec<u8>), TlsError> {
    let mut r = Reader::new(body);
    let alg = if tls12 {
        Some(r.u16("signature algorithm")?)
    } else {
        None
    };
    let sig = r.vec16("signature")?.to_vec();
    r.finish("CertificateVerify")?;
    Ok((alg, sig))
}

pub(crate) fn certificate_verify_message(alg: Option<u16>, sig: &[u8]) -> HandshakeMessage {
    let mut b = Vec::new();
    if let Some(a) = alg {
        put_u16(&mut b, a);
    }
    put_vec16(&mut b, sig);
    HandshakeMessage {
        typ: hs::CERTIFICATE_VERIFY,
        body: b,
    }
}

/// ClientKeyExchange for RSA: the encrypted pre-master secret with its 2-byte length.
pub(crate) fn read_client_key_exchange(body: &[u8]) -> Result<Vec<u8>, TlsError> {
    let mut r = Reader::new(body);
    let enc = r.vec16("encrypted pre-master secret")?.to_vec();
    r.finish("ClientKeyExchange")?;
    Ok(enc)
}

pub(crate) fn client_key_exchange_message(enc: &[u8]) -> HandshakeMessage {
    let mut b = Vec::new();
    put_vec16(&mut b, enc);
    HandshakeMessage {
        typ: hs::CLIENT_KEY_EXCHANGE,
        body: b,
    }
}

/// Splits concatenated handshake bytes into messages. A message cut at the end is an
/// error: TLS-DSK flights always end on a message boundary.
pub(crate) fn split_messages(mut data: &[u8]) -> Result<Vec<HandshakeMessage>, TlsError> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let mut r = Reader::new(data);
        let typ = r.u8("handshake type")?;
        let body = r.vec24("handshake message")?.to_vec();
        data = r.rest();
        out.push(HandshakeMessage { typ, body });
    }
    Ok(out)
}
