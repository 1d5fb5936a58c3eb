//! The `GetAndPublishCert` response: the issued certificate, or why there is none.
//!
//! ```text
//!  HttpResponse ─► CertResponse::from_http ─► tokens (DER, as sent) ─► verify(&csr, now) ─► IssuedCertificate
//!                   │ SOAP fault (any status) ─► ServiceError  (TicketRejected | UserNotEnabled | RetryLater | Fault)
//!                   │ ErrorInfo               ─► ServiceError  (UserNotEnabled | RetryLater | Refused)
//!                   └ HTTP error, no body     ─► ServiceError  (TicketRejected | RetryLater | Http)
//! ```
//!
//! Reading follows SIPE: the path
//! `Body/GetAndPublishCertResponse/RequestSecurityTokenResponse/RequestedSecurityToken/BinarySecurityToken`
//! is matched by **local names** (the namespaces of the response are UNCONFIRMED), extra
//! siblings are ignored, and a `RequestSecurityTokenResponseCollection` wrapper is
//! tolerated. The token may be:
//!
//! - one DER X.509 certificate (`ValueType …#X509v3`, what SIPE expects), or several such
//!   tokens (a chain);
//! - a PKCS#7 / CMS certs-only `SignedData` (`…#PKCS7`, or an `X509v3` token whose content
//!   is not a single certificate, which SIPE's NSS backend also accepted);
//! - an `X509PKIPathv1` sequence of certificates.
//!
//! [`CertResponse::verify`] then picks the certificate for the requested key and checks its
//! subject against the request's `Entity` and its validity window at `now`.
//!
//! Error classification (the `ErrorInfo` children are UNCONFIRMED: this crate reads a
//! numeric `ErrorId`/`ErrorCode`/`Code` and a `Reason`/`Message`/`Description` text, by
//! local name, anywhere inside `ErrorInfo`; ids come from [MS-OCER] 7.22):
//!
//! | what | → |
//! |---|---|
//! | error id [`ERROR_USER_NOT_SIP_ENABLED`] (28000) in `ErrorInfo`, fault detail or `X-Ms-diagnostics` | [`ServiceError::UserNotEnabled`] |
//! | error id [`ERROR_INTERNAL`] (28001); HTTP 429, 500, 502, 503, 504; fault code `Server`/`Receiver` | [`ServiceError::RetryLater`] |
//! | WS-Security fault (`FailedAuthentication`, `InvalidSecurity`, `InvalidSecurityToken`, `FailedCheck`, `SecurityTokenUnavailable`, `MessageExpired`, `UnsupportedSecurityToken`); HTTP 401 | [`ServiceError::TicketRejected`] |
//! | any other `ErrorInfo` | [`ServiceError::Refused`] |
//! | any other fault / HTTP status | [`ServiceError::Fault`] / [`ServiceError::Http`] |

use std::fmt;

use der::{Decode, Encode};
use rsa::RsaPublicKey;
use webticket::UnixTime;
use webticket::http::HttpResponse;
use webticket::soap::{self, MsDiagnostics, SoapFault};
use webticket::xml::{AnyNs, Document, Element, XmlLimits};
use x509_cert::Certificate;

use crate::csr::Csr;
use crate::error::{
    CertificateError, Error, MalformedError, ServiceError, der_err, from_webticket, invalid,
    missing,
};
use crate::x509;

/// The [MS-OCER] error id for "User is not SIP enabled." ([MS-OCAUTHWS] 3.2.4.1).
pub const ERROR_USER_NOT_SIP_ENABLED: u32 = 28000;
/// The [MS-OCER] error id for an internal server error ([MS-OCAUTHWS] 3.2.4.1).
pub const ERROR_INTERNAL: u32 = 28001;
/// Clock skew tolerated when checking `NotBefore` (5 minutes, the buffer ADAL uses).
pub const CLOCK_SKEW: i64 = 300;
/// `ValueType` of a PKCS#7 certificate chain token (WSS X.509 token profile 1.0).
pub const VALUE_TYPE_PKCS7: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#PKCS7";
/// `ValueType` of a PKIPath chain token (WSS X.509 token profile 1.0).
pub const VALUE_TYPE_PKIPATH: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509PKIPathv1";
/// Most certificates read from one response.
pub const MAX_CERTIFICATES: usize = 16;

const WSS_FAULTS: [&str; 8] = [
    "FailedAuthentication",
    "InvalidSecurity",
    "InvalidSecurityToken",
    "FailedCheck",
    "SecurityTokenUnavailable",
    "MessageExpired",
    "UnsupportedSecurityToken",
    "UnsupportedAlgorithm",
];

/// A successful `GetAndPublishCert` answer, before the certificate is checked against the
/// request.
#[derive(Clone, PartialEq, Eq)]
pub struct CertResponse {
    certificates: Vec<Vec<u8>>,
    request_id: Option<String>,
    disposition: Option<String>,
}

impl fmt::Debug for CertResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertResponse")
            .field("certificates", &self.certificates.len())
            .field("request_id", &self.request_id)
            .field("disposition", &self.disposition)
            .finish()
    }
}

impl CertResponse {
    /// Reads an HTTP answer: a SOAP fault (whatever the status), an `ErrorInfo`, an HTTP
    /// error status (with `X-Ms-diagnostics`), or the certificate.
    ///
    /// # Errors
    ///
    /// [`Error::Service`] as classified in the [module docs](self); [`Error::Malformed`]
    /// when a 2xx body is not a readable GetAndPublishCert response.
    pub fn from_http(resp: &HttpResponse<'_>) -> Result<Self, Error> {
        let diagnostics = resp.get("x-ms-diagnostics").and_then(MsDiagnostics::parse);
        let blank = resp.body.iter().all(u8::is_ascii_whitespace);
        let doc = if blank {
            None
        } else {
            Document::parse(resp.body, &limits()).ok()
        };
        if let Some(doc) = &doc {
            if let Some(mut fault) = SoapFault::from_document(doc) {
                fault.http_status = Some(resp.status);
                fault.diagnostics = diagnostics;
                return Err(classify_fault(fault).into());
            }
            if let Some(info) = error_info(doc) {
                return Err(info.into());
            }
        }
        if !resp.is_success() {
            return Err(classify_http(resp.status, diagnostics.map(Box::new)).into());
        }
        Self::parse(resp.body)
    }

    /// Parses a response body (the HTTP status is taken to be 200).
    ///
    /// # Errors
    ///
    /// [`Error::Service`] for a fault or an `ErrorInfo`; [`MalformedError`] for a body
    /// that is not XML, not an envelope, lacks the token, or holds bad base64 / DER.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(body, &limits()).map_err(from_webticket)?;
        if let Some(fault) = SoapFault::from_document(&doc) {
            return Err(classify_fault(fault).into());
        }
        if let Some(info) = error_info(&doc) {
            return Err(info.into());
        }
        let body = soap::body(&doc).map_err(from_webticket)?;
        let resp = body
            .child(AnyNs, "GetAndPublishCertResponse")
            .ok_or_else(|| missing("GetAndPublishCertResponse"))?;
        let rstr = resp
            .find(AnyNs, "RequestSecurityTokenResponse")
            .ok_or_else(|| missing("RequestSecurityTokenResponse"))?;
        let token_parent = rstr
            .child(AnyNs, "RequestedSecurityToken")
            .ok_or_else(|| missing("RequestedSecurityToken"))?;
        let mut certificates = Vec::new();
        for token in token_parent.children_named(AnyNs, "BinarySecurityToken") {
            certificates.extend(decode_token(token)?);
            if certificates.len() > MAX_CERTIFICATES {
                return Err(MalformedError::TooManyCertificates {
                    limit: MAX_CERTIFICATES,
                }
                .into());
            }
        }
        if certificates.is_empty() {
            return Err(missing("BinarySecurityToken"));
        }
        let text = |name| {
            rstr.child(AnyNs, name)
                .map(|e| e.text_trimmed().to_owned())
                .filter(|s| !s.is_empty())
        };
        Ok(Self {
            certificates,
            request_id: text("RequestID"),
            disposition: text("DispositionMessage"),
        })
    }

    /// The certificates as sent (DER), in document order.
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// `RequestID` of the response, if sent.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// `DispositionMessage` of the response, if sent.
    pub fn disposition(&self) -> Option<&str> {
        self.disposition.as_deref()
    }

    /// Checks the answer against the request and returns the certificate to use:
    ///
    /// 1. the certificate whose public key is the request's is the leaf (else
    ///    [`CertificateError::KeyMismatch`]);
    /// 2. its subject common name (or a `sip:` SAN URI) is the request's subject, ignoring
    ///    ASCII case (else [`CertificateError::SubjectMismatch`]);
    /// 3. `now` is before `NotAfter` ([`CertificateError::Expired`]) and not earlier than
    ///    `NotBefore` minus [`CLOCK_SKEW`] ([`CertificateError::NotYetValid`]);
    /// 4. the other certificates are ordered into the issuer chain; each link's signature
    ///    must verify ([`CertificateError::BrokenChain`]). Self-signed roots and unrelated
    ///    certificates are left out. Whether the chain ends in a trusted CA is the TLS
    ///    server's decision, not this function's.
    ///
    /// # Errors
    ///
    /// As listed; [`MalformedError::Der`] when a certificate does not decode.
    pub fn verify(&self, csr: &Csr, now: UnixTime) -> Result<IssuedCertificate, Error> {
        let certs = self
            .certificates
            .iter()
            .map(|d| Certificate::from_der(d).map_err(|e| der_err("certificate", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let leaf_at = certs
            .iter()
            .position(|c| x509::rsa_key_of_cert(c).as_ref() == Some(csr.public_key()))
            .ok_or(CertificateError::KeyMismatch)?;
        let leaf = IssuedCertificate::from_der(&self.certificates[leaf_at])?;
        if !leaf.names(csr.subject_cn()) {
            return Err(CertificateError::SubjectMismatch {
                expected: csr.subject_cn().to_owned(),
                found: leaf.subject_cn,
            }
            .into());
        }
        if now >= leaf.not_after {
            return Err(CertificateError::Expired {
                not_after: leaf.not_after,
                now,
            }
            .into());
        }
        if leaf.not_before > now + CLOCK_SKEW {
            return Err(CertificateError::NotYetValid {
                not_before: leaf.not_before,
                now,
            }
            .into());
        }
        let mut used = vec![false; certs.len()];
        used[leaf_at] = true;
        let mut chain = Vec::new();
        let mut cur = leaf_at;
        loop {
            let c = &certs[cur].tbs_certificate;
            if c.issuer == c.subject {
                break;
            }
            let Some(parent) = (0..certs.len())
                .find(|&j| !used[j] && certs[j].tbs_certificate.subject == c.issuer)
            else {
                break;
            };
            if !x509::signed_by(&certs[cur], &certs[parent]) {
                return Err(CertificateError::BrokenChain {
                    reason: "a certificate is not signed by the issuer sent with it",
                }
                .into());
            }
            used[parent] = true;
            let p = &certs[parent].tbs_certificate;
            if p.issuer == p.subject {
                break;
            }
            chain.push(self.certificates[parent].clone());
            cur = parent;
        }
        Ok(IssuedCertificate { chain, ..leaf })
    }
}

fn limits() -> XmlLimits {
    XmlLimits::default().max_size(256 * 1024)
}

/// The certificates of one `BinarySecurityToken`.
fn decode_token(token: Element<'_, '_>) -> Result<Vec<Vec<u8>>, Error> {
    let value_type = token.attr("", "ValueType").unwrap_or("");
    let fragment = value_type.rsplit('#').next().unwrap_or("").trim();
    let der = x509::base64_decode(token.text()).ok_or(MalformedError::Base64 {
        what: "BinarySecurityToken",
    })?;
    if der.is_empty() {
        return Err(missing("BinarySecurityToken content"));
    }
    let is = |name: &str| fragment.eq_ignore_ascii_case(name);
    if value_type.is_empty() || is("X509v3") || is("X509") || is("X509v1") {
        return match Certificate::from_der(&der) {
            Ok(_) => Ok(vec![der]),
            // Not a single certificate: maybe a PKCS#7 package (SIPE's NSS backend took both).
            Err(e) => x509::pkcs7_certificates(&der).map_err(|_| der_err("certificate", e)),
        };
    }
    if is("PKCS7") {
        return x509::pkcs7_certificates(&der).map_err(|e| der_err("PKCS#7 certificate chain", e));
    }
    if is("X509PKIPathv1") {
        // PkiPath ::= SEQUENCE OF Certificate, issuer first.
        let path = Vec::<Certificate>::from_der(&der).map_err(|e| der_err("PKIPath", e))?;
        return path
            .iter()
            .rev()
            .map(|c| c.to_der().map_err(|e| der_err("PKIPath", e)))
            .collect();
    }
    Err(MalformedError::UnsupportedTokenType {
        value_type: value_type.to_owned(),
    }
    .into())
}

/// An `ErrorInfo` anywhere in `GetAndPublishCertResponse`, classified.
fn error_info(doc: &Document<'_>) -> Option<ServiceError> {
    let body = soap::body(doc).ok()?;
    let resp = body.child(AnyNs, "GetAndPublishCertResponse")?;
    let info = resp.find(AnyNs, "ErrorInfo")?;
    let pick = |names: &[&str]| {
        std::iter::once(info)
            .chain(info.descendants())
            .find(|e| names.contains(&e.local_name()) && !e.text_trimmed().is_empty())
            .map(|e| e.text_trimmed())
    };
    let error_id = pick(&["ErrorId", "ErrorCode", "Code", "Id"])
        .and_then(|t| t.parse::<u32>().ok())
        .or_else(|| {
            ["ErrorId", "ErrorCode", "Code"]
                .iter()
                .find_map(|a| info.attr("", a))
                .and_then(|t| t.trim().parse().ok())
        });
    let reason = pick(&["Reason", "Message", "ErrorMessage", "Description", "Text"])
        .unwrap_or_else(|| info.text_trimmed())
        .to_owned();
    Some(classify_error_info(
        error_id,
        reason,
        info.raw_standalone().into_owned(),
    ))
}

pub(crate) fn classify_error_info(
    error_id: Option<u32>,
    reason: String,
    detail_xml: String,
) -> ServiceError {
    match error_id {
        Some(ERROR_USER_NOT_SIP_ENABLED) => ServiceError::UserNotEnabled { reason },
        Some(ERROR_INTERNAL) => ServiceError::RetryLater {
            reason,
            error_id,
            http_status: None,
        },
        _ => ServiceError::Refused {
            error_id,
            reason,
            detail_xml,
        },
    }
}

/// Classifies a SOAP fault (see the module docs).
pub(crate) fn classify_fault(f: SoapFault) -> ServiceError {
    let error_id = f
        .ocs_diagnostics
        .as_ref()
        .map(|o| o.error_id)
        .or_else(|| f.diagnostics.as_ref().map(|d| d.error_id));
    let reason = f.message().to_owned();
    if error_id == Some(ERROR_USER_NOT_SIP_ENABLED) {
        return ServiceError::UserNotEnabled { reason };
    }
    let local = |code: &str| code.rsplit(':').next().unwrap_or("").trim().to_owned();
    let wss_namespace = matches!(
        f.code_namespace.as_deref(),
        None | Some(soap::ns::WSSE) | Some(soap::ns::WSU)
    );
    let codes: Vec<String> = std::iter::once(&f.code)
        .chain(&f.subcodes)
        .map(|c| local(c))
        .collect();
    if codes.iter().any(|c| WSS_FAULTS.contains(&c.as_str()))
        && (wss_namespace
            || f.subcodes
                .iter()
                .any(|s| WSS_FAULTS.contains(&local(s).as_str())))
    {
        return ServiceError::TicketRejected { reason, error_id };
    }
    if error_id == Some(ERROR_INTERNAL)
        || matches!(f.http_status, Some(429 | 502 | 503 | 504))
        || matches!(codes[0].as_str(), "Server" | "Receiver")
    {
        return ServiceError::RetryLater {
            reason,
            error_id,
            http_status: f.http_status,
        };
    }
    ServiceError::Fault(Box::new(f))
}

/// Classifies an HTTP error status without a fault body (see the module docs).
pub(crate) fn classify_http(status: u16, diagnostics: Option<Box<MsDiagnostics>>) -> ServiceError {
    let id = diagnostics.as_ref().map(|d| d.error_id);
    let reason = diagnostics
        .as_ref()
        .and_then(|d| d.reason())
        .map_or_else(|| format!("http status {status}"), str::to_owned);
    let wss_fault = diagnostics
        .as_ref()
        .and_then(|d| d.fault())
        .is_some_and(|f| WSS_FAULTS.contains(&f.rsplit(':').next().unwrap_or("")));
    if id == Some(ERROR_USER_NOT_SIP_ENABLED) {
        ServiceError::UserNotEnabled { reason }
    } else if id == Some(ERROR_INTERNAL) || matches!(status, 429 | 500 | 502 | 503 | 504) {
        ServiceError::RetryLater {
            reason,
            error_id: id,
            http_status: Some(status),
        }
    } else if status == 401 || wss_fault {
        ServiceError::TicketRejected {
            reason,
            error_id: id,
        }
    } else {
        ServiceError::Http {
            status,
            diagnostics,
        }
    }
}

/// A certificate issued for this client, with its chain (issuers, leaf excluded, self-signed
/// root excluded). `Debug` shows names, serial and validity.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    der: Vec<u8>,
    chain: Vec<Vec<u8>>,
    subject_cn: String,
    issuer_cn: String,
    san_uris: Vec<String>,
    serial: Vec<u8>,
    not_before: UnixTime,
    not_after: UnixTime,
    public_key: RsaPublicKey,
}

impl IssuedCertificate {
    /// Reads a DER certificate without checking it against a request (for loading a stored
    /// certificate; pair it with its key through
    /// [`Credential::new`](crate::Credential::new), which checks that they match).
    ///
    /// # Errors
    ///
    /// [`MalformedError::Der`] when it does not decode; [`MalformedError::Invalid`] when it
    /// has no RSA key or an empty validity window.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let cert = Certificate::from_der(der).map_err(|e| der_err("certificate", e))?;
        let tbs = &cert.tbs_certificate;
        let public_key =
            x509::rsa_key_of_cert(&cert).ok_or_else(|| invalid("certificate key (not RSA)"))?;
        let not_before = x509::unix(&tbs.validity.not_before);
        let not_after = x509::unix(&tbs.validity.not_after);
        if not_after <= not_before {
            return Err(invalid("certificate validity"));
        }
        Ok(Self {
            der: der.to_vec(),
            chain: Vec::new(),
            subject_cn: x509::common_name(&tbs.subject).unwrap_or_default(),
            issuer_cn: x509::common_name(&tbs.issuer).unwrap_or_default(),
            san_uris: x509::san_uris(&cert),
            serial: tbs.serial_number.as_bytes().to_vec(),
            not_before,
            not_after,
            public_key,
        })
    }

    /// Reads a PEM certificate (`-----BEGIN CERTIFICATE-----`); further blocks are
    /// taken as the chain, in order.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Missing`] without a PEM block, else as [`from_der`](Self::from_der).
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let mut blocks = pem
            .split_inclusive("-----END CERTIFICATE-----")
            .filter_map(|b| x509::pem_decode("CERTIFICATE", b));
        let leaf = blocks.next().ok_or_else(|| missing("PEM certificate"))?;
        let mut cert = Self::from_der(&leaf)?;
        for der in blocks {
            Certificate::from_der(&der).map_err(|e| der_err("certificate", e))?;
            cert.chain.push(der);
        }
        Ok(cert)
    }

    /// The leaf certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The issuer certificates that came with it (DER, closest first), without a
    /// self-signed root.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// Leaf then chain: the form TLS `Certificate` messages and tls-dsk's `ClientConfig`
    /// take.
    pub fn cert_chain(&self) -> Vec<Vec<u8>> {
        std::iter::once(self.der.clone())
            .chain(self.chain.iter().cloned())
            .collect()
    }

    /// Leaf then chain as PEM.
    pub fn to_pem(&self) -> String {
        self.cert_chain()
            .iter()
            .map(|d| x509::pem("CERTIFICATE", d))
            .collect()
    }

    /// The subject common name (`""` when absent).
    pub fn subject_cn(&self) -> &str {
        &self.subject_cn
    }

    /// The issuer common name (`""` when absent).
    pub fn issuer_cn(&self) -> &str {
        &self.issuer_cn
    }

    /// URIs in the subject alternative names (`sip:alice@contoso.com`).
    pub fn san_uris(&self) -> &[String] {
        &self.san_uris
    }

    /// The serial number, lower-case hex of its bytes.
    pub fn serial_hex(&self) -> String {
        crate::key::hex(&self.serial)
    }

    /// Start of validity.
    pub fn not_before(&self) -> UnixTime {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> UnixTime {
        self.not_after
    }

    /// The certified public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    /// Whether `now` lies inside the validity window (with [`CLOCK_SKEW`] before
    /// `NotBefore`).
    pub fn is_valid_at(&self, now: UnixTime) -> bool {
        now + CLOCK_SKEW >= self.not_before && now < self.not_after
    }

    /// Whether the certificate names the SIP address `entity` (`user@domain`, optional
    /// `sip:`): its subject CN or a SAN URI, ASCII case ignored.
    pub fn names(&self, entity: &str) -> bool {
        let bare = |s: &str| {
            let s = s.trim();
            match s.get(..4) {
                Some(p) if p.eq_ignore_ascii_case("sip:") => s[4..].to_owned(),
                _ => s.to_owned(),
            }
        };
        let want = bare(entity);
        !want.is_empty()
            && (bare(&self.subject_cn).eq_ignore_ascii_case(&want)
                || self.san_uris.iter().any(|u| {
                    u.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("sip:"))
                        && bare(u).eq_ignore_ascii_case(&want)
                }))
    }
}

impl fmt::Debug for IssuedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("subject_cn", &self.subject_cn)
            .field("issuer_cn", &self.issuer_cn)
            .field("serial", &self.serial_hex())
            .field("not_before", &format_args!("{}", self.not_before))
            .field("not_after", &format_args!("{}", self.not_after))
            .field("chain", &self.chain.len())
            .finish()
    }
}
