//! The error type of this crate, split by cause.
//!
//! | variant | cause | typical reaction |
//! |---|---|---|
//! | [`Error::Service`] | the certificate service said no (`ErrorInfo`, SOAP fault, HTTP status) | per variant: new web ticket, retry later, or tell the user |
//! | [`Error::Certificate`] | the issued certificate does not fit the request (subject, key, validity) | discard it; see the variant |
//! | [`Error::Malformed`] | a message could not be read (XML, base64, DER, missing element) | report the peer; do not loop |
//! | [`Error::Csr`] | a certificate request is unacceptable (server side, or [`Csr::from_der`](crate::Csr::from_der)) | answer with an `ErrorInfo` |
//! | [`Error::Ticket`] | the `wsse:Security` header does not authenticate the request (server side) | answer with [`TicketError::fault_code`] |
//! | [`Error::Key`] | a key could not be generated, imported or exported | check the key file / RNG |
//! | [`Error::Misuse`] | the caller passed invalid input | fix the calling code |

use webticket::UnixTime;
use webticket::soap::{MsDiagnostics, SoapFault};

/// Every error of this crate. See the [module documentation](self) for the grouping.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The certificate service refused or failed the request. Each [`ServiceError`] variant
    /// says what to do next (new web ticket, retry later, give up).
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The response carried a certificate, but it does not match the request. Never use such
    /// a certificate.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// A message could not be read. Treat the peer as broken for this request and report
    /// it; repeating the same request rarely helps.
    #[error(transparent)]
    Malformed(#[from] MalformedError),
    /// A PKCS#10 request is unacceptable. On the server side, answer with an `ErrorInfo`
    /// ([`server::ErrorInfo::from_csr_error`](crate::server::ErrorInfo::from_csr_error)).
    #[error(transparent)]
    Csr(#[from] CsrError),
    /// The web ticket in a request does not authenticate it (server side). Answer with a
    /// SOAP fault ([`server::ticket_fault_response`](crate::server::ticket_fault_response)).
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// A key could not be generated, imported or exported.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The caller passed invalid input. Fix the calling code.
    #[error(transparent)]
    Misuse(#[from] MisuseError),
}

/// What the certificate service answered instead of a certificate.
///
/// Mapping (details in [`response`](crate::response)): `ErrorInfo` / `X-Ms-diagnostics` /
/// fault error id `28000` → [`UserNotEnabled`](Self::UserNotEnabled); id `28001`, HTTP
/// 429/500/502/503/504 and `Server`/`Receiver` faults → [`RetryLater`](Self::RetryLater);
/// WS-Security faults (`wsse:FailedAuthentication`, `InvalidSecurity`, `MessageExpired`, ...)
/// and HTTP 401 → [`TicketRejected`](Self::TicketRejected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The service did not accept the web ticket (expired, badly signed, issued for another
    /// service, or unknown to it). Get a **new** web ticket with a proof key whose
    /// `AppliesTo` is this CertProv endpoint and send the request once more; if that fails
    /// too, stop and report.
    #[error("web ticket rejected: {reason}")]
    TicketRejected {
        /// The server's text (fault string or diagnostics reason).
        reason: String,
        /// The Lync error id, when the server sent one.
        error_id: Option<u32>,
    },
    /// The user is not enabled for SIP / Lync (error id `28000`, "User is not SIP
    /// enabled."). Do not retry: tell the user to ask their administrator.
    #[error("user is not enabled for sip: {reason}")]
    UserNotEnabled {
        /// The server's text.
        reason: String,
    },
    /// A temporary failure on the service side (internal error `28001`, overload, gateway
    /// error). Retry later with a growing delay (for example 1 min, then doubling); keep
    /// using a still-valid certificate meanwhile.
    #[error("certificate service temporarily failed{}: {reason}", Status(*.http_status))]
    RetryLater {
        /// The server's text.
        reason: String,
        /// The Lync error id, when the server sent one.
        error_id: Option<u32>,
        /// The HTTP status, when the failure came as one.
        http_status: Option<u16>,
    },
    /// The service refused the request with an `ErrorInfo` this crate does not classify.
    /// Show the reason; do not repeat the same request automatically. The `ErrorInfo`
    /// layout is UNCONFIRMED (see [`response`](crate::response)).
    #[error("certificate request refused{}: {reason}", Id(*.error_id))]
    Refused {
        /// The numeric error id, if one was found.
        error_id: Option<u32>,
        /// The reason text (possibly empty).
        reason: String,
        /// The `ErrorInfo` element verbatim, for logs.
        detail_xml: String,
    },
    /// A SOAP fault this crate does not classify. Show [`SoapFault::message`]; do not loop.
    #[error("soap fault: {0}")]
    Fault(Box<SoapFault>),
    /// An HTTP error status without a SOAP fault, not classified above. Report it;
    /// retrying rarely helps for 4xx.
    #[error("http status {status}{}", Diag(.diagnostics.as_deref()))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The parsed `X-Ms-diagnostics` header, if any.
        diagnostics: Option<Box<MsDiagnostics>>,
    },
}

/// The issued certificate does not match what was requested. In every case: do not use
/// it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The certificate names another identity than the request's `Entity`. A correct
    /// service never does this: report it (wrong account, misrouted request, or
    /// tampering).
    #[error("certificate issued for `{found}`, requested for `{expected}`")]
    SubjectMismatch {
        /// The SIP address that was requested.
        expected: String,
        /// The subject common name found (`""` when there is none).
        found: String,
    },
    /// No certificate in the response certifies the requested public key. Discard the
    /// answer; send one new request with a fresh CSR, then report.
    #[error("no certificate in the response is for the requested key")]
    KeyMismatch,
    /// The certificate has already expired at `now`. Check the local clock; if it is right,
    /// report the service (it issued a dead certificate).
    #[error("certificate expired at {not_after} (now {now})")]
    Expired {
        /// End of validity.
        not_after: UnixTime,
        /// The time passed in.
        now: UnixTime,
    },
    /// The certificate becomes valid only later than `now` plus the allowed clock skew.
    /// The local clock is probably behind: fix it and request again.
    #[error("certificate not valid before {not_before} (now {now})")]
    NotYetValid {
        /// Start of validity.
        not_before: UnixTime,
        /// The time passed in.
        now: UnixTime,
    },
    /// A certificate of the returned chain is not signed by the next one. Report the
    /// service; the leaf may still be usable with a verifier that has the CA.
    #[error("certificate chain is broken: {reason}")]
    BrokenChain {
        /// Which link failed.
        reason: &'static str,
    },
}

/// A message could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedError {
    /// The body is not a readable SOAP envelope: XML error, size or depth limit, DTD, or
    /// not an `Envelope` at all (an HTML error page). Check the URL; report the server.
    #[error("unreadable soap message: {0}")]
    Soap(webticket::Error),
    /// A required element or attribute is missing. The message does not have the
    /// GetAndPublishCert shape (wrong endpoint or an unsupported server version).
    #[error("missing {what}")]
    Missing {
        /// The missing item, named as in the protocol.
        what: &'static str,
    },
    /// An element or attribute is present but its value is unusable. Values are not echoed.
    #[error("invalid {what}")]
    Invalid {
        /// The invalid item, named as in the protocol.
        what: &'static str,
    },
    /// A `BinarySecurityToken` is not valid base64.
    #[error("{what} is not valid base64")]
    Base64 {
        /// Which token.
        what: &'static str,
    },
    /// A DER structure (certificate, PKCS#10, PKCS#7) does not decode.
    #[error("{what} is not valid der: {reason}")]
    Der {
        /// Which structure.
        what: &'static str,
        /// What the decoder reported.
        reason: String,
    },
    /// The certificate token has a `ValueType` this crate does not read (it reads X.509 v3,
    /// `X509PKIPathv1` and PKCS#7). Report it with the value.
    #[error("unsupported token value type `{value_type}`")]
    UnsupportedTokenType {
        /// The `ValueType` attribute.
        value_type: String,
    },
    /// More certificates than the parser accepts (16). Report the server.
    #[error("more than {limit} certificates in the response")]
    TooManyCertificates {
        /// The limit.
        limit: usize,
    },
}

/// A PKCS#10 certificate request is unacceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrError {
    /// The self-signature does not verify: the request was altered, or its sender does not
    /// hold the private key. Refuse it.
    #[error("the certificate request's signature does not verify")]
    BadSignature,
    /// The request is signed with an algorithm other than RSA PKCS#1 v1.5 with SHA-1/256/384/512.
    #[error("unsupported signature algorithm {oid}")]
    UnsupportedSignatureAlgorithm {
        /// The algorithm OID, dotted.
        oid: String,
    },
    /// The request's key is not RSA (TLS-DSK uses static RSA). Refuse it.
    #[error("the requested key is not rsa")]
    NotRsa,
    /// The RSA key is shorter than the policy allows. The client must generate a 2048-bit key.
    #[error("rsa key of {bits} bits is below the minimum of {min}")]
    KeyTooSmall {
        /// The key size.
        bits: usize,
        /// The minimum.
        min: usize,
    },
    /// The subject common name differs from the `Entity` attribute of the request. Refuse
    /// it: a client may only request a certificate for itself.
    #[error("csr subject `{subject}` does not match entity `{entity}`")]
    SubjectMismatch {
        /// The `Entity` attribute.
        entity: String,
        /// The subject common name.
        subject: String,
    },
    /// The subject has no common name. The client must put its SIP address in `CN`.
    #[error("csr subject has no common name")]
    MissingCommonName,
}

/// The `wsse:Security` header of a request does not authenticate it (server side).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TicketError {
    /// No `wsse:Security` header, or it lacks the timestamp or the SAML assertion. Answer
    /// `wsse:InvalidSecurity`.
    #[error("no usable wsse:Security header: missing {what}")]
    Missing {
        /// What is missing.
        what: &'static str,
    },
    /// The header carries no signature, but the proof policy needs one. Answer
    /// `wsse:InvalidSecurity`.
    #[error("the web ticket is not signed with its proof key")]
    Unsigned,
    /// The signature does not reference the timestamp the way this crate verifies it
    /// (exclusive-canonical SignedInfo over `#timestamp`, HMAC-SHA1). Answer
    /// `wsse:InvalidSecurity`.
    #[error("unsupported signature form: {what}")]
    UnsupportedSignature {
        /// What differs.
        what: &'static str,
    },
    /// The timestamp digest or the HMAC does not verify with the proof key: wrong key
    /// (unknown assertion) or an altered message. Answer `wsse:FailedAuthentication`.
    #[error("the web ticket signature does not verify")]
    BadSignature,
    /// No proof key is known for the assertion (never issued, or forgotten). Answer
    /// `wsse:FailedAuthentication`; the client gets a new ticket.
    #[error("unknown web ticket")]
    UnknownAssertion,
    /// The ticket was issued to another user than the request's `Entity`. Answer
    /// `wsse:FailedAuthentication`: a client may only request its own certificate.
    #[error("web ticket of `{ticket_user}` used to request a certificate for `{entity}`")]
    WrongUser {
        /// The user the ticket was issued to.
        ticket_user: String,
        /// The `Entity` of the request.
        entity: String,
    },
    /// The timestamp has expired. Answer `wsse:MessageExpired`; the client gets a new ticket.
    #[error("the security timestamp expired at {expires} (now {now})")]
    Expired {
        /// `wsu:Expires`.
        expires: UnixTime,
        /// The time passed in.
        now: UnixTime,
    },
    /// The timestamp was created in the future beyond the allowed skew. Answer
    /// `wsse:MessageExpired` (the client's clock is off).
    #[error("the security timestamp starts at {created} (now {now})")]
    NotYetValid {
        /// `wsu:Created`.
        created: UnixTime,
        /// The time passed in.
        now: UnixTime,
    },
}

impl TicketError {
    /// The WS-Security fault code (OASIS WSS 1.0 §12) to answer with.
    pub fn fault_code(&self) -> &'static str {
        match self {
            Self::Missing { .. } | Self::Unsigned | Self::UnsupportedSignature { .. } => {
                "wsse:InvalidSecurity"
            }
            Self::BadSignature | Self::UnknownAssertion | Self::WrongUser { .. } => {
                "wsse:FailedAuthentication"
            }
            Self::Expired { .. } | Self::NotYetValid { .. } => "wsse:MessageExpired",
        }
    }
}

/// A key could not be generated, imported or exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// RSA key generation failed (the RNG failed). Check the RNG.
    #[error("rsa key generation failed: {reason}")]
    Generate {
        /// What the RSA implementation reported.
        reason: String,
    },
    /// The input is not a PKCS#8 or PKCS#1 RSA private key (DER or PEM). Check the file.
    #[error("not an rsa private key: {reason}")]
    Decode {
        /// What the decoder reported.
        reason: String,
    },
    /// The key could not be encoded (should not happen for a valid key).
    #[error("key could not be encoded: {reason}")]
    Encode {
        /// What the encoder reported.
        reason: String,
    },
    /// The key is shorter than 2048 bits. Generate a new key.
    #[error("rsa key of {bits} bits is below the minimum of {min}")]
    TooSmall {
        /// The key size.
        bits: usize,
        /// The minimum.
        min: usize,
    },
    /// The key does not belong to the certificate it was paired with. Pair the right
    /// files.
    #[error("the private key does not match the certificate")]
    CertificateMismatch,
}

/// The caller used the API incorrectly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MisuseError {
    /// The entity is not a SIP address `user@domain` (an optional `sip:` prefix is
    /// accepted).
    #[error("invalid sip address: {0}")]
    InvalidEntity(webticket::Error),
    /// The web ticket has no proof key, but the certificate service's policy
    /// (`CertProvisioningServiceWebTicketProof_SHA1`) needs a signed ticket. Request the
    /// ticket with client entropy (`IssueTokenRequest::proof_key`).
    #[error("the web ticket has no proof key; certificate provisioning needs a signed ticket")]
    TicketWithoutProofKey,
    /// A lifetime or validity window is empty, negative, or outside what X.509 can encode
    /// (1970..=9999).
    #[error("invalid validity: {reason}")]
    InvalidValidity {
        /// What is wrong.
        reason: &'static str,
    },
    /// The SOAP layer refused a value (URL not absolute `http(s)`, a character XML cannot
    /// carry).
    #[error("invalid request input: {0}")]
    Soap(webticket::Error),
    /// A certificate or name could not be built from the inputs.
    #[error("cannot build {what}: {reason}")]
    Build {
        /// What was being built.
        what: &'static str,
        /// What the encoder reported.
        reason: String,
    },
}

struct Status(Option<u16>);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(s) => write!(f, " (http {s})"),
            None => Ok(()),
        }
    }
}

struct Id(Option<u32>);

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (error id {id})"),
            None => Ok(()),
        }
    }
}

struct Diag<'a>(Option<&'a MsDiagnostics>);

impl std::fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

pub(crate) fn missing(what: &'static str) -> Error {
    MalformedError::Missing { what }.into()
}

pub(crate) fn invalid(what: &'static str) -> Error {
    MalformedError::Invalid { what }.into()
}

pub(crate) fn der_err(what: &'static str, e: impl std::fmt::Display) -> Error {
    MalformedError::Der {
        what,
        reason: e.to_string(),
    }
    .into()
}

pub(crate) fn build_err(what: &'static str, e: impl std::fmt::Display) -> Error {
    MisuseError::Build {
        what,
        reason: e.to_string(),
    }
    .into()
}

/// Sorts an error reported by `webticket` into this crate's groups: faults and HTTP
/// statuses are classified into [`ServiceError`], misuse stays misuse, the rest is an
/// unreadable message.
pub(crate) fn from_webticket(e: webticket::Error) -> Error {
    use webticket::error::ServerError;
    match e {
        webticket::Error::Server(ServerError::Fault(f)) => {
            crate::response::classify_fault(*f).into()
        }
        webticket::Error::Server(ServerError::Http {
            status,
            diagnostics,
        }) => crate::response::classify_http(status, diagnostics).into(),
        webticket::Error::Misuse(_) => MisuseError::Soap(e).into(),
        other => MalformedError::Soap(other).into(),
    }
}
