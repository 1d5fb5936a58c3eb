//! The service side of `GetAndPublishCert`, for emulators and test registrars: parse the
//! request, check the web-ticket signature and the PKCS#10, issue a certificate from a
//! caller-supplied CA, and write the answer.
//!
//! ```text
//!  POST body ─► ParsedRequest::parse ─► security(): WsSecurity::verify(proof key of AssertionID, now)
//!                                   │        └─ TicketError ─► ticket_fault_response()   (SOAP fault, HTTP 500)
//!                                   └─► csr(): self-signature + CN == Entity
//!                                            └─ CsrError ─► error_response(ErrorInfo)    (HTTP 200)
//!  CertAuthority::issue(csr, policy, now, rng) ─► DER ─► certificate_response()          (HTTP 200)
//! ```
//!
//! [`CertProvService::handle`] runs the whole sequence. Choices where the sources are silent
//! (all UNCONFIRMED against Microsoft's service): ticket problems are SOAP 1.1 faults with
//! the WS-Security codes (they happen before the operation runs, as in any WS-Security
//! stack), operation problems are `ErrorInfo` (`<ErrorInfo><ErrorId/><Reason/></ErrorInfo>`,
//! mirroring `af:Ms-Diagnostics-Fault`); the certificate is an X.509 v3 leaf with
//! `CN=<Entity>`, a `sip:` SAN URI, `digitalSignature`/`nonRepudiation` key usage and the
//! `clientAuth` extended key usage, valid for 8 hours (WU1) from 5 minutes in the past.

use std::fmt;

use der::{Decode, Encode};
use rand_core::CryptoRngCore;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::traits::PublicKeyParts;
use webticket::UnixTime;
use webticket::autodiscover::SipAddress;
use webticket::crypto::ProofKey;
use webticket::soap::{self, SoapMessage, SoapVersion, Timestamp};
use webticket::xml::{Document, Element, XmlLimits, XmlWriter};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use crate::csr::{Csr, SignatureHash};
use crate::error::{
    CsrError, Error, KeyError, MalformedError, MisuseError, TicketError, build_err, der_err,
    from_webticket, missing,
};
use crate::request::{ENCODING_BASE64, NS_AUTHWS, NS_WST_SLASH, NS_WSTEP, TOKEN_TYPE_X509V3};
use crate::response::{ERROR_INTERNAL, ERROR_USER_NOT_SIP_ENABLED};
use crate::x509;

/// `Content-Type` of every answer built here (SOAP 1.1).
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";
/// The `clientAuth` extended key usage (RFC 5280 §4.2.1.12).
const ID_KP_CLIENT_AUTH: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// A parsed `GetAndPublishCert` request. Nothing in it is verified yet: check
/// [`security`](Self::security) first, then take the [`csr`](Self::csr).
#[derive(Clone)]
pub struct ParsedRequest {
    entity: String,
    device_id: Option<String>,
    request_id: Option<String>,
    to: Option<String>,
    action: Option<String>,
    message_id: Option<String>,
    csr_der: Vec<u8>,
    security: Option<WsSecurity>,
}

impl fmt::Debug for ParsedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedRequest")
            .field("entity", &self.entity)
            .field("device_id", &self.device_id)
            .field("request_id", &self.request_id)
            .field("to", &self.to)
            .field("action", &self.action)
            .field("csr_bytes", &self.csr_der.len())
            .field("security", &self.security)
            .finish()
    }
}

impl ParsedRequest {
    /// Parses a request body (SOAP 1.1 or 1.2). Namespaces are matched by URI; the
    /// `AuthWebServices` and WS-Trust URIs are accepted with and without the trailing slash.
    /// A `RequestType` other than WS-Trust Issue is refused; a missing one is tolerated.
    ///
    /// # Errors
    ///
    /// [`MalformedError`] for an unreadable envelope, a missing `Entity`, token or body
    /// element, a token that is not PKCS#10, or bad base64.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(body, &XmlLimits::default().max_size(256 * 1024))
            .map_err(from_webticket)?;
        let root = doc.root();
        let body_el = soap::body(&doc).map_err(from_webticket)?;
        let header = root.child(root.namespace(), "Header");
        let wsa = [soap::ns::WSA, soap::ns::WSA_2004];
        let header_text = |name: &str| {
            header
                .and_then(|h| h.child(wsa, name))
                .map(|e| e.text_trimmed().to_owned())
        };
        let security = header
            .and_then(|h| h.child(soap::ns::WSSE, "Security"))
            .map(WsSecurity::parse);

        let gapc = body_el
            .child(
                [NS_AUTHWS, NS_AUTHWS.trim_end_matches('/')],
                "GetAndPublishCert",
            )
            .ok_or_else(|| missing("GetAndPublishCert"))?;
        let entity = gapc
            .attr("", "Entity")
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| missing("Entity"))?
            .to_owned();
        let wst = [NS_WST_SLASH, soap::ns::WST];
        let rst = gapc
            .child(wst, "RequestSecurityToken")
            .ok_or_else(|| missing("wst:RequestSecurityToken"))?;
        if let Some(rt) = rst.child(wst, "RequestType") {
            let rt = rt.text_trimmed();
            if rt != crate::request::REQUEST_TYPE_ISSUE
                && rt != "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue"
            {
                return Err(MalformedError::Invalid {
                    what: "wst:RequestType",
                }
                .into());
            }
        }
        let token = rst
            .child(soap::ns::WSSE, "BinarySecurityToken")
            .ok_or_else(|| missing("wsse:BinarySecurityToken"))?;
        let value_type = token.attr("", "ValueType").unwrap_or("");
        if !value_type.is_empty()
            && !value_type
                .rsplit('#')
                .next()
                .unwrap_or("")
                .eq_ignore_ascii_case("PKCS10")
        {
            return Err(MalformedError::UnsupportedTokenType {
                value_type: value_type.to_owned(),
            }
            .into());
        }
        let csr_der = x509::base64_decode(token.text()).ok_or(MalformedError::Base64 {
            what: "PKCS#10 BinarySecurityToken",
        })?;
        let request_id = rst
            .child(NS_WSTEP, "RequestID")
            .map(|e| e.text_trimmed().to_owned())
            .filter(|s| !s.is_empty());
        Ok(Self {
            entity,
            device_id: gapc.attr("", "DeviceId").map(str::to_owned),
            request_id,
            to: header_text("To"),
            action: header_text("Action"),
            message_id: header_text("MessageID"),
            csr_der,
            security,
        })
    }

    /// The `Entity` attribute: the SIP address the certificate is requested for.
    pub fn entity(&self) -> &str {
        &self.entity
    }

    /// The `DeviceId` attribute (SIPE: the endpoint GUID in braces).
    pub fn device_id(&self) -> Option<&str> {
        self.device_id.as_deref()
    }

    /// `wstep:RequestID`.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// `wsa:To`: compare it with the endpoint the request arrived at.
    pub fn to(&self) -> Option<&str> {
        self.to.as_deref()
    }

    /// `wsa:Action`.
    pub fn action(&self) -> Option<&str> {
        self.action.as_deref()
    }

    /// `wsa:MessageID`.
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// The PKCS#10 bytes as sent (not verified).
    pub fn csr_der(&self) -> &[u8] {
        &self.csr_der
    }

    /// The `wsse:Security` header, if present.
    pub fn security(&self) -> Option<&WsSecurity> {
        self.security.as_ref()
    }

    /// The certificate request, with its self-signature verified and its subject common
    /// name checked against `Entity` (ASCII case ignored; a `sip:` prefix on `Entity` is
    /// ignored).
    ///
    /// # Errors
    ///
    /// As [`Csr::from_der`]; [`CsrError::SubjectMismatch`] when the names differ.
    pub fn csr(&self) -> Result<Csr, Error> {
        let csr = Csr::from_der(&self.csr_der)?;
        let entity = SipAddress::parse(&self.entity)
            .map_or_else(|_| self.entity.clone(), |a| a.as_str().to_owned());
        if !csr.subject_cn().eq_ignore_ascii_case(&entity) {
            return Err(CsrError::SubjectMismatch {
                entity: self.entity.clone(),
                subject: csr.subject_cn().to_owned(),
            }
            .into());
        }
        Ok(csr)
    }
}

/// The parts of a `wsse:Security` header that authenticate a CertProv request: the
/// timestamp, the SAML assertion (the web ticket) and the HMAC-SHA1 signature.
#[derive(Clone)]
pub struct WsSecurity {
    /// Created, Expires, `wsu:Id`, the element as received (self-contained).
    timestamp: Option<(String, String, Option<String>, String)>,
    assertion_xml: Option<String>,
    assertion_id: Option<String>,
    signature: Option<SignatureParts>,
}

#[derive(Clone, Debug)]
struct SignatureParts {
    c14n: String,
    method: String,
    reference_uri: String,
    digest: String,
    value: String,
    key_identifier: Option<String>,
    /// `SignedInfo` as received (self-contained).
    signed_info: String,
}

impl fmt::Debug for WsSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsSecurity")
            .field("assertion_id", &self.assertion_id)
            .field(
                "timestamp",
                &self.timestamp.as_ref().map(|(c, e, _, _)| (c, e)),
            )
            .field("signed", &self.signature.is_some())
            .finish_non_exhaustive()
    }
}

impl WsSecurity {
    fn parse(sec: Element<'_, '_>) -> Self {
        let timestamp = sec.child(soap::ns::WSU, "Timestamp").and_then(|t| {
            let created = t.child(soap::ns::WSU, "Created")?.text_trimmed().to_owned();
            let expires = t.child(soap::ns::WSU, "Expires")?.text_trimmed().to_owned();
            Some((
                created,
                expires,
                t.attr(soap::ns::WSU, "Id").map(str::to_owned),
                t.raw_standalone().into_owned(),
            ))
        });
        let assertion = sec
            .child(soap::ns::SAML1, "Assertion")
            .map(|a| (a, "AssertionID"))
            .or_else(|| sec.child(soap::ns::SAML2, "Assertion").map(|a| (a, "ID")));
        let signature = sec.child(DS, "Signature").and_then(|s| {
            let si = s.child(DS, "SignedInfo")?;
            let reference = si.child(DS, "Reference")?;
            let alg = |el: Option<Element<'_, '_>>| {
                el.and_then(|e| e.attr("", "Algorithm"))
                    .unwrap_or("")
                    .to_owned()
            };
            Some(SignatureParts {
                c14n: alg(si.child(DS, "CanonicalizationMethod")),
                method: alg(si.child(DS, "SignatureMethod")),
                reference_uri: reference.attr("", "URI").unwrap_or("").to_owned(),
                digest: reference
                    .child(DS, "DigestValue")?
                    .text_trimmed()
                    .to_owned(),
                value: s.child(DS, "SignatureValue")?.text_trimmed().to_owned(),
                key_identifier: s
                    .find(soap::ns::WSSE, "KeyIdentifier")
                    .map(|k| k.text_trimmed().to_owned()),
                signed_info: si.raw_standalone().into_owned(),
            })
        });
        Self {
            timestamp,
            assertion_xml: assertion.map(|(a, _)| a.raw_standalone().into_owned()),
            assertion_id: assertion
                .and_then(|(a, id)| a.attr("", id))
                .map(str::to_owned),
            signature,
        }
    }

    /// The `AssertionID` (SAML 1.1) or `ID` (SAML 2.0) of the web ticket: look up the proof
    /// key the web-ticket service computed for it.
    pub fn assertion_id(&self) -> Option<&str> {
        self.assertion_id.as_deref()
    }

    /// The assertion, verbatim (self-contained).
    pub fn assertion_xml(&self) -> Option<&str> {
        self.assertion_xml.as_deref()
    }

    /// `wsu:Created` and `wsu:Expires` of the timestamp, if both parse.
    pub fn timestamp(&self) -> Option<(UnixTime, UnixTime)> {
        let (c, e, _, _) = self.timestamp.as_ref()?;
        Some((
            UnixTime::parse_xsd_datetime(c)?,
            UnixTime::parse_xsd_datetime(e)?,
        ))
    }

    /// Verifies the holder-of-key signature (`web-services.md` §2.5c) with the proof key of
    /// the assertion, and the timestamp at `now` (`skew` seconds of tolerance for
    /// `Created`):
    ///
    /// 1. a signature with HMAC-SHA1, exclusive c14n, `Reference URI="#timestamp"` and the
    ///    assertion's id as key identifier;
    /// 2. `DigestValue` = base64(SHA-1(timestamp)), where the timestamp is taken either as
    ///    received (right when the client sent it already in canonical form, as SIPE and
    ///    `webticket` do) or in the canonical form `webticket` writes ([`Timestamp::to_xml`]:
    ///    `wsu` prefix, `wsu:Id="timestamp"`) rebuilt from the received values;
    /// 3. `SignatureValue` = HMAC-SHA1(key, `SignedInfo`), with `SignedInfo` as received or
    ///    as [`soap::signed_info_c14n`] writes it, compared in constant time;
    /// 4. `now < Expires` and `Created <= now + skew`.
    ///
    /// This is not a general XML-DSig verifier (no canonicalization of arbitrary input): a
    /// client that signs a non-canonical serialization of its own message fails with
    /// [`TicketError::BadSignature`]. Whether Microsoft's clients always send canonical
    /// forms is UNCONFIRMED.
    ///
    /// # Errors
    ///
    /// [`Error::Ticket`] with the reason.
    pub fn verify(&self, key: &ProofKey, now: UnixTime, skew: i64) -> Result<(), Error> {
        let (created, expires, ts_id, ts_raw) =
            self.timestamp.as_ref().ok_or(TicketError::Missing {
                what: "wsu:Timestamp",
            })?;
        let assertion_id = self.assertion_id.as_deref().ok_or(TicketError::Missing {
            what: "saml:Assertion",
        })?;
        let sig = self.signature.as_ref().ok_or(TicketError::Unsigned)?;
        if sig.method != HMAC_SHA1 {
            return Err(TicketError::UnsupportedSignature {
                what: "SignatureMethod",
            }
            .into());
        }
        if sig.c14n != EXC_C14N {
            return Err(TicketError::UnsupportedSignature {
                what: "CanonicalizationMethod",
            }
            .into());
        }
        if sig.reference_uri != format!("#{}", soap::TIMESTAMP_ID)
            || ts_id.as_deref() != Some(soap::TIMESTAMP_ID)
        {
            return Err(TicketError::UnsupportedSignature {
                what: "Reference URI",
            }
            .into());
        }
        if sig.key_identifier.as_deref() != Some(assertion_id) {
            return Err(TicketError::UnsupportedSignature {
                what: "KeyIdentifier",
            }
            .into());
        }
        let rebuilt = Timestamp::from_lexical(created, expires)
            .map_err(|_| TicketError::Missing {
                what: "valid wsu:Timestamp dates",
            })?
            .to_xml();
        // Both candidates carry exactly the received Created/Expires values, so either
        // binds the signature to them.
        let digest_ok = [ts_raw.as_str(), rebuilt.as_str()]
            .iter()
            .any(|form| x509::base64(&webticket::crypto::sha1(form.as_bytes())) == sig.digest);
        if !digest_ok {
            return Err(TicketError::BadSignature.into());
        }
        let value = x509::base64_decode(&sig.value).ok_or(TicketError::BadSignature)?;
        let signed_ok = [sig.signed_info.clone(), soap::signed_info_c14n(&sig.digest)]
            .iter()
            .any(|form| key.verify(form.as_bytes(), &value));
        if !signed_ok {
            return Err(TicketError::BadSignature.into());
        }
        let (c, e) = self.timestamp().ok_or(TicketError::Missing {
            what: "valid wsu:Timestamp dates",
        })?;
        if now >= e {
            return Err(TicketError::Expired { expires: e, now }.into());
        }
        if c > now + skew {
            return Err(TicketError::NotYetValid { created: c, now }.into());
        }
        Ok(())
    }
}

/// How certificates are issued.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuePolicy {
    /// Validity after `now`, seconds (default 8 h, as observed for Office 365 in WU1).
    pub lifetime: i64,
    /// `NotBefore` this many seconds before `now`, for client clock skew (default 300).
    pub backdate: i64,
    /// Hash of the CA signature (default SHA-256).
    pub hash: SignatureHash,
    /// Smallest accepted RSA key (default 2048).
    pub min_key_bits: usize,
}

impl Default for IssuePolicy {
    fn default() -> Self {
        Self {
            lifetime: 8 * 3600,
            backdate: 300,
            hash: SignatureHash::Sha256,
            min_key_bits: 2048,
        }
    }
}

impl IssuePolicy {
    /// Sets [`lifetime`](Self::lifetime).
    pub fn lifetime(mut self, secs: i64) -> Self {
        self.lifetime = secs;
        self
    }

    /// Sets [`backdate`](Self::backdate).
    pub fn backdate(mut self, secs: i64) -> Self {
        self.backdate = secs;
        self
    }

    /// Sets [`hash`](Self::hash).
    pub fn hash(mut self, hash: SignatureHash) -> Self {
        self.hash = hash;
        self
    }

    /// Sets [`min_key_bits`](Self::min_key_bits).
    pub fn min_key_bits(mut self, bits: usize) -> Self {
        self.min_key_bits = bits;
        self
    }
}

/// A certificate authority: its certificate and RSA key, supplied by the caller. `Debug`
/// shows the CA name only.
#[derive(Clone)]
pub struct CertAuthority {
    cert_der: Vec<u8>,
    subject: Name,
    key: RsaPrivateKey,
}

impl fmt::Debug for CertAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertAuthority")
            .field("subject_cn", &x509::common_name(&self.subject))
            .field("key", &"[redacted]")
            .finish()
    }
}

impl CertAuthority {
    /// A CA from its certificate (DER) and key.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Der`] for a bad certificate; [`KeyError::CertificateMismatch`]
    /// when the key is not the certificate's.
    pub fn new(cert_der: Vec<u8>, key: RsaPrivateKey) -> Result<Self, Error> {
        let cert = Certificate::from_der(&cert_der).map_err(|e| der_err("ca certificate", e))?;
        if x509::rsa_key_of_cert(&cert).as_ref() != Some(&key.to_public_key()) {
            return Err(KeyError::CertificateMismatch.into());
        }
        Ok(Self {
            subject: cert.tbs_certificate.subject,
            cert_der,
            key,
        })
    }

    /// A CA from PEM files: a `CERTIFICATE` and a PKCS#8 or PKCS#1 key.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new) and [`ClientKey::from_pem`](crate::ClientKey::from_pem).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, Error> {
        let der = x509::pem_decode("CERTIFICATE", cert_pem)
            .ok_or_else(|| missing("PEM ca certificate"))?;
        let key = crate::ClientKey::from_pem(key_pem)?;
        Self::new(der, key.dangerous_rsa_key().clone())
    }

    /// A self-signed root CA `CN=<common_name>` for `key`, valid from `not_before` to
    /// `not_after` (SHA-256 with RSA, basic constraints CA, key usage keyCertSign/cRLSign).
    /// For test registrars and emulators.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidValidity`] for an empty window.
    pub fn self_signed(
        key: RsaPrivateKey,
        common_name: &str,
        not_before: UnixTime,
        not_after: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, Error> {
        if not_after <= not_before {
            return Err(MisuseError::InvalidValidity {
                reason: "not_after must follow not_before",
            }
            .into());
        }
        let subject = x509::cn_name(common_name)?;
        let validity = Validity {
            not_before: x509::x509_time(not_before)?,
            not_after: x509::x509_time(not_after)?,
        };
        let spki = SubjectPublicKeyInfoOwned::from_der(&crate::key::spki_der(&key.to_public_key()))
            .map_err(|e| build_err("ca certificate", e))?;
        let serial = random_serial(rng)?;
        let signer = SigningKey::<sha2::Sha256>::new(key.clone());
        let builder =
            CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &signer)
                .map_err(|e| build_err("ca certificate", e))?;
        let mut rng = rng;
        let cert = builder
            .build_with_rng::<rsa::pkcs1v15::Signature>(&mut rng)
            .map_err(|e| build_err("ca certificate", e))?;
        let der = cert.to_der().map_err(|e| build_err("ca certificate", e))?;
        Self::new(der, key)
    }

    /// The CA certificate, DER (give it to tls-dsk's `CaVerifier`).
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        x509::pem("CERTIFICATE", &self.cert_der)
    }

    /// Issues a certificate for a verified request: subject `CN=<csr subject>`, the
    /// request's key, a random 128-bit serial, validity `now - backdate .. now + lifetime`,
    /// key usage digitalSignature + nonRepudiation, extended key usage clientAuth, and
    /// a SAN URI `sip:<subject>` when the subject is a SIP address.
    ///
    /// The request's identity must already be checked against the authenticated user
    /// ([`CertProvService`] does that); this function signs what it is given.
    ///
    /// # Errors
    ///
    /// [`CsrError::KeyTooSmall`] below the policy minimum; [`MisuseError::InvalidValidity`]
    /// for a non-positive lifetime or a window outside 1970..=9999.
    pub fn issue(
        &self,
        csr: &Csr,
        policy: &IssuePolicy,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, Error> {
        if csr.key_bits() < policy.min_key_bits {
            return Err(CsrError::KeyTooSmall {
                bits: csr.key_bits(),
                min: policy.min_key_bits,
            }
            .into());
        }
        if policy.lifetime <= 0 || policy.backdate < 0 {
            return Err(MisuseError::InvalidValidity {
                reason: "lifetime must be positive and backdate not negative",
            }
            .into());
        }
        let validity = Validity {
            not_before: x509::x509_time(now - policy.backdate)?,
            not_after: x509::x509_time(now + policy.lifetime)?,
        };
        match policy.hash {
            SignatureHash::Sha1 => self.issue_with::<sha1::Sha1>(csr, validity, rng),
            SignatureHash::Sha256 => self.issue_with::<sha2::Sha256>(csr, validity, rng),
            SignatureHash::Sha384 => self.issue_with::<sha2::Sha384>(csr, validity, rng),
            SignatureHash::Sha512 => self.issue_with::<sha2::Sha512>(csr, validity, rng),
        }
    }

    fn issue_with<D>(
        &self,
        csr: &Csr,
        validity: Validity,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, Error>
    where
        D: sha2::Digest + der::oid::AssociatedOid + rsa::pkcs1v15::RsaSignatureAssociatedOid,
    {
        let subject = x509::cn_name(csr.subject_cn())?;
        let spki = SubjectPublicKeyInfoOwned::from_der(csr.public_key_der())
            .map_err(|e| build_err("certificate", e))?;
        let serial = random_serial(rng)?;
        let signer = SigningKey::<D>::new(self.key.clone());
        let profile = Profile::Leaf {
            issuer: self.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let mut builder =
            CertificateBuilder::new(profile, serial, validity, subject, spki, &signer)
                .map_err(|e| build_err("certificate", e))?;
        if let Ok(addr) = SipAddress::parse(csr.subject_cn()) {
            let uri = der::asn1::Ia5String::new(&addr.sip_uri())
                .map_err(|e| build_err("certificate", e))?;
            builder
                .add_extension(&SubjectAltName(vec![
                    GeneralName::UniformResourceIdentifier(uri),
                ]))
                .map_err(|e| build_err("certificate", e))?;
        }
        builder
            .add_extension(&ExtendedKeyUsage(vec![ID_KP_CLIENT_AUTH]))
            .map_err(|e| build_err("certificate", e))?;
        let mut rng = rng;
        let cert = builder
            .build_with_rng::<rsa::pkcs1v15::Signature>(&mut rng)
            .map_err(|e| build_err("certificate", e))?;
        cert.to_der().map_err(|e| build_err("certificate", e))
    }

    /// The CA key size in bits.
    pub fn key_bits(&self) -> usize {
        self.key.n().bits()
    }
}

fn random_serial(rng: &mut dyn CryptoRngCore) -> Result<SerialNumber, Error> {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    // Positive and minimally encoded: top bit clear, first byte non-zero.
    bytes[0] = (bytes[0] & 0x7f).max(1);
    SerialNumber::new(&bytes).map_err(|e| build_err("serial number", e))
}

/// An `ErrorInfo` to answer with (layout UNCONFIRMED, see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorInfo {
    /// The [MS-OCER] error id, if one applies.
    pub error_id: Option<u32>,
    /// A human-readable reason.
    pub reason: String,
}

impl ErrorInfo {
    /// An error with an optional id and a reason.
    pub fn new(error_id: Option<u32>, reason: impl Into<String>) -> Self {
        Self {
            error_id,
            reason: reason.into(),
        }
    }

    /// `28000` "User is not SIP enabled." (clients map it to
    /// [`ServiceError::UserNotEnabled`](crate::ServiceError::UserNotEnabled)).
    pub fn user_not_enabled() -> Self {
        Self::new(Some(ERROR_USER_NOT_SIP_ENABLED), "User is not SIP enabled.")
    }

    /// `28001`, an internal error (clients retry later).
    pub fn internal() -> Self {
        Self::new(
            Some(ERROR_INTERNAL),
            "Internal error while issuing the certificate.",
        )
    }

    /// A refused request, with no id (clients map it to
    /// [`ServiceError::Refused`](crate::ServiceError::Refused)).
    pub fn from_csr_error(e: &CsrError) -> Self {
        Self::new(None, e.to_string())
    }
}

/// The success answer: `GetAndPublishCertResponse` with one `X509v3` token (what SIPE
/// reads) and the request id echoed.
///
/// # Errors
///
/// [`MisuseError::Soap`] when the request id holds a character XML cannot carry.
pub fn certificate_response(cert_der: &[u8], request_id: Option<&str>) -> Result<String, Error> {
    let b64 = x509::base64(cert_der);
    let mut w = XmlWriter::with_capacity(b64.len() + 1024);
    w.open("GetAndPublishCertResponse", &[("xmlns", NS_AUTHWS)])
        .open("RequestSecurityTokenResponse", &[("xmlns", soap::ns::WST)])
        .leaf("TokenType", &[], TOKEN_TYPE_X509V3)
        .open("RequestedSecurityToken", &[])
        .leaf(
            "BinarySecurityToken",
            &[
                ("xmlns", soap::ns::WSSE),
                ("ValueType", TOKEN_TYPE_X509V3),
                ("EncodingType", ENCODING_BASE64),
            ],
            &b64,
        )
        .close("RequestedSecurityToken");
    if let Some(id) = request_id {
        w.leaf("RequestID", &[("xmlns", NS_WSTEP)], id);
    }
    w.close("RequestSecurityTokenResponse")
        .close("GetAndPublishCertResponse");
    envelope(&w.finish().map_err(MisuseError::Soap)?)
}

/// The error answer: `GetAndPublishCertResponse/ErrorInfo{ErrorId?, Reason}`.
///
/// # Errors
///
/// [`MisuseError::Soap`] when the reason holds a character XML cannot carry.
pub fn error_response(info: &ErrorInfo) -> Result<String, Error> {
    let id = info.error_id.map(|i| i.to_string());
    let mut w = XmlWriter::with_capacity(512);
    w.open("GetAndPublishCertResponse", &[("xmlns", NS_AUTHWS)])
        .open("ErrorInfo", &[]);
    if let Some(id) = &id {
        w.leaf("ErrorId", &[], id);
    }
    w.leaf("Reason", &[], &info.reason)
        .close("ErrorInfo")
        .close("GetAndPublishCertResponse");
    envelope(&w.finish().map_err(MisuseError::Soap)?)
}

/// A SOAP 1.1 fault with `code` (a QName using a prefix the envelope declares: `soap`,
/// `wsse`, `wsu` or `wsa`) and `reason`. Send it with HTTP status 500.
///
/// # Errors
///
/// [`MisuseError::Soap`] when a value holds a character XML cannot carry.
pub fn fault_response(code: &str, reason: &str) -> Result<String, Error> {
    let mut w = XmlWriter::with_capacity(512);
    w.open("soap:Fault", &[])
        .leaf("faultcode", &[], code)
        .leaf("faultstring", &[("xml:lang", "en-US")], reason)
        .close("soap:Fault");
    envelope(&w.finish().map_err(MisuseError::Soap)?)
}

/// The fault for a rejected web ticket ([`TicketError::fault_code`]). Send it with HTTP
/// status 500; clients map it to
/// [`ServiceError::TicketRejected`](crate::ServiceError::TicketRejected).
pub fn ticket_fault_response(err: &TicketError) -> String {
    // The code and the message are ASCII text this crate wrote.
    fault_response(err.fault_code(), &err.to_string()).unwrap_or_default()
}

fn envelope(body: &str) -> Result<String, Error> {
    SoapMessage {
        version: SoapVersion::Soap11,
        namespaces: &[],
        addressing: None,
        security: None,
        body,
    }
    .to_xml()
    .map_err(|e| MisuseError::Soap(e).into())
}

/// What the web-ticket service knows about a ticket: its proof key and the user it was
/// issued to.
#[derive(Clone)]
pub struct KnownTicket {
    /// The proof key (`P_SHA1(client entropy, server entropy)`).
    pub proof_key: ProofKey,
    /// The SIP address the ticket was issued for.
    pub user: String,
}

impl fmt::Debug for KnownTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownTicket")
            .field("user", &self.user)
            .field("proof_key", &self.proof_key)
            .finish()
    }
}

/// The answer to send: HTTP status, body, and what happened.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerReply {
    /// HTTP status (200, or 500 for a fault).
    pub status: u16,
    /// The SOAP body ([`CONTENT_TYPE`]).
    pub body: String,
    /// The issued certificate (DER), to "publish" for later TLS-DSK verification.
    pub certificate: Option<Vec<u8>>,
    /// Why no certificate was issued.
    pub error: Option<Error>,
}

/// A complete certificate-provisioning endpoint: ticket check, user check, CSR check,
/// issuing, answer.
pub struct CertProvService<'a> {
    /// The issuing CA.
    pub ca: &'a CertAuthority,
    /// How to issue.
    pub policy: IssuePolicy,
    /// Finds the ticket by `AssertionID` (the web-ticket service stored its entropies).
    pub ticket: &'a dyn Fn(&str) -> Option<KnownTicket>,
    /// Whether a user may get a certificate (else `ErrorInfo` 28000).
    pub user_enabled: &'a dyn Fn(&str) -> bool,
    /// Tolerance for the client's clock when checking `wsu:Created`, seconds.
    pub clock_skew: i64,
}

impl fmt::Debug for CertProvService<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertProvService")
            .field("ca", &self.ca)
            .field("policy", &self.policy)
            .field("clock_skew", &self.clock_skew)
            .finish_non_exhaustive()
    }
}

impl CertProvService<'_> {
    /// Answers one request body at `now`:
    ///
    /// | problem | answer |
    /// |---|---|
    /// | unreadable request | fault `soap:Client`, 500 |
    /// | no/invalid/unsigned/expired ticket, unknown `AssertionID`, `Entity` ≠ ticket user | WS-Security fault, 500 |
    /// | user not enabled | `ErrorInfo` 28000, 200 |
    /// | bad CSR (signature, subject ≠ `Entity`, key size, DER) | `ErrorInfo` without id, 200 |
    /// | issuing failed | `ErrorInfo` 28001, 200 |
    /// | none | the certificate, 200 |
    pub fn handle(&self, body: &[u8], now: UnixTime, rng: &mut dyn CryptoRngCore) -> ServerReply {
        let req = match ParsedRequest::parse(body) {
            Ok(r) => r,
            Err(e) => {
                let body = fault_response("soap:Client", &e.to_string()).unwrap_or_default();
                return reply(500, body, None, Some(e));
            }
        };
        if let Err(e) = self.authenticate(&req, now) {
            let body = match &e {
                Error::Ticket(t) => ticket_fault_response(t),
                other => {
                    fault_response("wsse:InvalidSecurity", &other.to_string()).unwrap_or_default()
                }
            };
            return reply(500, body, None, Some(e));
        }
        let entity = SipAddress::parse(req.entity())
            .map_or_else(|_| req.entity().to_owned(), |a| a.as_str().to_owned());
        if !(self.user_enabled)(&entity) {
            let body = error_response(&ErrorInfo::user_not_enabled()).unwrap_or_default();
            return reply(200, body, None, None);
        }
        let csr = match req.csr() {
            Ok(c) => c,
            Err(e) => return self.refuse(e),
        };
        match self.ca.issue(&csr, &self.policy, now, rng) {
            Ok(der) => match certificate_response(&der, req.request_id()) {
                Ok(body) => reply(200, body, Some(der), None),
                Err(e) => reply(
                    500,
                    fault_response("soap:Server", "internal error").unwrap_or_default(),
                    None,
                    Some(e),
                ),
            },
            Err(e @ Error::Csr(_)) => self.refuse(e),
            Err(e) => reply(
                200,
                error_response(&ErrorInfo::internal()).unwrap_or_default(),
                None,
                Some(e),
            ),
        }
    }

    fn authenticate(&self, req: &ParsedRequest, now: UnixTime) -> Result<(), Error> {
        let sec = req.security().ok_or(TicketError::Missing {
            what: "wsse:Security",
        })?;
        let id = sec.assertion_id().ok_or(TicketError::Missing {
            what: "saml:Assertion",
        })?;
        let known = (self.ticket)(id).ok_or(TicketError::UnknownAssertion)?;
        sec.verify(&known.proof_key, now, self.clock_skew)?;
        let same = |a: &str, b: &str| {
            let norm = |s: &str| {
                SipAddress::parse(s).map_or_else(
                    |_| s.to_ascii_lowercase(),
                    |x| x.as_str().to_ascii_lowercase(),
                )
            };
            norm(a) == norm(b)
        };
        if !same(&known.user, req.entity()) {
            return Err(TicketError::WrongUser {
                ticket_user: known.user,
                entity: req.entity().to_owned(),
            }
            .into());
        }
        Ok(())
    }

    fn refuse(&self, e: Error) -> ServerReply {
        let info = match &e {
            Error::Csr(c) => ErrorInfo::from_csr_error(c),
            other => ErrorInfo::new(None, other.to_string()),
        };
        reply(
            200,
            error_response(&info).unwrap_or_default(),
            None,
            Some(e),
        )
    }
}

fn reply(
    status: u16,
    body: String,
    certificate: Option<Vec<u8>>,
    error: Option<Error>,
) -> ServerReply {
    ServerReply {
        status,
        body,
        certificate,
        error,
    }
}
