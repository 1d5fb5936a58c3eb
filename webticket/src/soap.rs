//! SOAP building blocks shared by the web-ticket, OrgID and certificate-provisioning
//! requests: envelopes with WS-Addressing, the WS-Security header (timestamp, tokens, the
//! HMAC-SHA1 proof signature), fault parsing and the `X-Ms-diagnostics` header.
//!
//! ```text
//!  SecurityHeader ─┐   (username token | timestamp + token | timestamp + assertion + signature)
//!  Addressing ─────┼─► SoapMessage::to_xml() ─► soap_http_request() ─► HttpRequest
//!  body (XmlWriter)┘
//!
//!  HttpResponse ─► check_response() ─► Ok(xml::Document)   (2xx and no fault)
//!                                  └─► Err(Server(Fault | Http{status, X-Ms-diagnostics}))
//! ```
//!
//! A SOAP fault is reported whatever the HTTP status is (login.microsoftonline.com answers
//! faults with `200`), and `X-Ms-diagnostics` is read on every error status.
//!
//! # Example: a signed request as certificate provisioning sends it
//!
//! ```
//! use webticket::crypto::{ClientEntropy, ProofKey};
//! use webticket::soap::{self, Addressing, SecurityHeader, SoapMessage, SoapVersion, Timestamp, Uuid};
//! use webticket::UnixTime;
//!
//! let key = ProofKey::compute_psha1(&ClientEntropy::from_bytes([1; 32]), &[2; 32]);
//! let ts = Timestamp::new(UnixTime(1_767_225_600), UnixTime(1_767_254_400));
//! let assertion = r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="SamlSecurityToken-1"/>"#;
//! let security = SecurityHeader::signed(&ts, assertion, "SamlSecurityToken-1", &key)?;
//! let url = "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1";
//! let action = "http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert";
//! let xml = SoapMessage {
//!     version: SoapVersion::Soap11,
//!     namespaces: &[],
//!     addressing: Some(Addressing { to: url, action, message_id: Uuid::from_random_bytes([9; 16]) }),
//!     security: Some(&security),
//!     body: "<GetAndPublishCert xmlns=\"http://schemas.microsoft.com/OCS/AuthWebServices/\"/>",
//! }
//! .to_xml()?;
//! let req = soap::soap_http_request(url, SoapVersion::Soap11.default_content_type(), action, xml)?;
//! assert_eq!(req.header("SOAPAction"), Some(format!("\"{action}\"").as_str()));
//! assert!(req.body_str().unwrap().contains("<SignatureValue>"));
//! # Ok::<(), webticket::Error>(())
//! ```

use std::fmt;

use zeroize::Zeroizing;

use crate::crypto::{ProofKey, SecretString, b64, sha1};
use crate::error::{Error, MalformedError, ServerError, invalid};
use crate::http::{HttpRequest, HttpResponse, Method, require_url};
use crate::time::UnixTime;
use crate::xml::{
    AnyNs, Document, Element, XmlLimits, XmlWriter, check_xml_chars, escape_attr, escape_text,
};

/// Namespace URIs used by the Lync web services.
pub mod ns {
    /// SOAP 1.1 envelope.
    pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    /// SOAP 1.2 envelope.
    pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
    /// WS-Addressing 1.0.
    pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
    /// WS-Addressing 2004/08 (member submission), accepted when reading.
    pub const WSA_2004: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    /// WS-Security 1.0 secext.
    pub const WSSE: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    /// WS-Security 1.0 utility (`wsu:Id`, `wsu:Timestamp`, `wsu:Created`, `wsu:Expires`).
    pub const WSU: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    /// WS-Trust 1.3.
    pub const WST: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
    /// WS-Trust February 2005 (used by login.microsoftonline.com and ADFS).
    pub const WST_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
    /// WS-Policy 2004/09.
    pub const WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
    /// WS-Policy 1.5.
    pub const WSP_15: &str = "http://www.w3.org/ns/ws-policy";
    /// WS-SecurityPolicy 2005/07.
    pub const SP: &str = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy";
    /// WS-SecurityPolicy 1.2 (200702).
    pub const SP_12: &str = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702";
    /// XML Signature.
    pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
    /// XML Encryption.
    pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
    /// SAML 1.x assertions.
    pub const SAML1: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
    /// SAML 2.0 assertions.
    pub const SAML2: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    /// The authorization claims dialect namespace of the web-ticket RST.
    pub const AUTH: &str = "http://schemas.xmlsoap.org/ws/2006/12/authorization";
    /// WSDL 1.1.
    pub const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
    /// WSDL 1.1 SOAP 1.1 binding.
    pub const WSDL_SOAP: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
    /// WSDL 1.1 SOAP 1.2 binding.
    pub const WSDL_SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
    /// WS-MetadataExchange.
    pub const MEX: &str = "http://schemas.xmlsoap.org/ws/2004/09/mex";
    /// Passport (login.microsoftonline.com) SOAP services.
    pub const PS: &str = "http://schemas.microsoft.com/Passport/SoapServices/PPCRL";
}

/// The anonymous WS-Addressing endpoint used in `wsa:ReplyTo`.
pub const WSA_ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";

/// SOAP version of an envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SoapVersion {
    /// SOAP 1.1 (web-ticket service, certificate provisioning).
    Soap11,
    /// SOAP 1.2 (login.microsoftonline.com `RST2.srf`, ADFS).
    Soap12,
}

impl SoapVersion {
    /// The envelope namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::Soap11 => ns::SOAP11,
            Self::Soap12 => ns::SOAP12,
        }
    }

    /// The content-type convention of this version.
    pub fn default_content_type(self) -> SoapContentType {
        match self {
            Self::Soap11 => SoapContentType::TextXml,
            Self::Soap12 => SoapContentType::SoapXml,
        }
    }
}

/// How the action is conveyed in HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SoapContentType {
    /// `Content-Type: text/xml; charset=utf-8` plus a quoted `SOAPAction` header (SOAP 1.1;
    /// also what Lync clients send to `RST2.srf` with a SOAP 1.2 envelope).
    TextXml,
    /// `Content-Type: application/soap+xml; charset=utf-8; action="..."` (SOAP 1.2; ADFS).
    SoapXml,
}

/// A UUID supplied by the caller (this crate has no RNG), for `wsa:MessageID`, RST
/// `Context` and similar identifiers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid([u8; 16]);

impl Uuid {
    /// A version-4 UUID from 16 random bytes (the version and variant bits are set).
    pub fn from_random_bytes(mut bytes: [u8; 16]) -> Self {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Self(bytes)
    }

    /// A UUID with exactly these bytes (no bits changed).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for Uuid {
    /// Lower-case hyphenated form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

/// A `wsu:Timestamp` (`Created`, `Expires`), rendered in exclusive-canonical form with
/// `wsu:Id="timestamp"` so that it can be digested as emitted.
///
/// The lexical form of the dates is kept: a timestamp built from a ticket's lifetime uses
/// the server's exact strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    created: String,
    expires: String,
}

/// The `wsu:Id` of the timestamp, referenced by the signature as `#timestamp`.
pub const TIMESTAMP_ID: &str = "timestamp";

impl Timestamp {
    /// A timestamp from two instants, formatted `YYYY-MM-DDThh:mm:ssZ`.
    pub fn new(created: UnixTime, expires: UnixTime) -> Self {
        Self {
            created: created.to_xsd_datetime(),
            expires: expires.to_xsd_datetime(),
        }
    }

    /// A timestamp keeping the given lexical `xsd:dateTime` strings.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Invalid`] when either string is not an `xsd:dateTime`.
    pub fn from_lexical(created: &str, expires: &str) -> Result<Self, Error> {
        for v in [created, expires] {
            UnixTime::parse_xsd_datetime(v).ok_or_else(|| invalid("wsu:Timestamp date"))?;
        }
        Ok(Self::from_checked(created, expires))
    }

    /// [`from_lexical`](Self::from_lexical) for strings the caller has already checked with
    /// [`UnixTime::parse_xsd_datetime`].
    pub(crate) fn from_checked(created: &str, expires: &str) -> Self {
        Self {
            created: created.trim().to_owned(),
            expires: expires.trim().to_owned(),
        }
    }

    /// `wsu:Created` as written.
    pub fn created(&self) -> &str {
        &self.created
    }

    /// `wsu:Expires` as written.
    pub fn expires(&self) -> &str {
        &self.expires
    }

    /// The element in canonical form:
    /// `<wsu:Timestamp xmlns:wsu="…" wsu:Id="timestamp"><wsu:Created>…</wsu:Created><wsu:Expires>…</wsu:Expires></wsu:Timestamp>`.
    pub fn to_xml(&self) -> String {
        // The date strings were validated: they contain no markup characters.
        format!(
            "<wsu:Timestamp xmlns:wsu=\"{}\" wsu:Id=\"{TIMESTAMP_ID}\"><wsu:Created>{}</wsu:Created><wsu:Expires>{}</wsu:Expires></wsu:Timestamp>",
            ns::WSU,
            escape_text(&self.created),
            escape_text(&self.expires)
        )
    }
}

/// The exclusive-canonical `SignedInfo` for an HMAC-SHA1 signature over the timestamp,
/// given the base64 SHA-1 digest of the canonical timestamp. This exact text is what the
/// signature value is computed over (XML-DSig with exc-c14n, as Lync clients send it).
pub fn signed_info_c14n(digest_b64: &str) -> String {
    format!(
        concat!(
            "<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\">",
            "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></CanonicalizationMethod>",
            "<SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#hmac-sha1\"></SignatureMethod>",
            "<Reference URI=\"#{id}\">",
            "<Transforms><Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></Transform></Transforms>",
            "<DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"></DigestMethod>",
            "<DigestValue>{digest}</DigestValue>",
            "</Reference>",
            "</SignedInfo>"
        ),
        id = TIMESTAMP_ID,
        digest = escape_text(digest_b64)
    )
}

/// The SAML 1.1 token type URI.
pub const SAML11_TOKEN_TYPE: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1";
/// The key identifier value type for SAML assertion ids.
pub const SAML_ASSERTION_ID_VALUE_TYPE: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID";

/// The content of a `wsse:Security` header (without the `wsse:Security` element itself,
/// which [`SoapMessage`] writes). Zeroized on drop and redacted in `Debug`: it may hold a
/// password or a bearer token.
///
/// The fragments use the `wsse` prefix that [`SoapMessage`] declares on the envelope.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityHeader(Zeroizing<String>);

impl SecurityHeader {
    /// `wsse:UsernameToken` with a cleartext password (what `RST2.srf` and ADFS
    /// `usernamemixed` accept). Both values are XML-escaped.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidXmlChar`](crate::error::MisuseError::InvalidXmlChar) when a
    /// value holds a character XML cannot carry.
    pub fn username_token(username: &str, password: &SecretString) -> Result<Self, Error> {
        check_xml_chars("username", username)?;
        check_xml_chars("password", password.dangerous_expose())?;
        let mut w = XmlWriter::with_capacity(160);
        w.open("wsse:UsernameToken", &[])
            .leaf("wsse:Username", &[], username)
            .leaf("wsse:Password", &[], password.dangerous_expose())
            .close("wsse:UsernameToken");
        Ok(Self(Zeroizing::new(w.finish()?)))
    }

    /// A timestamp followed by a token kept verbatim (a SAML assertion presented as a
    /// bearer web ticket, or the OrgID `EncryptedData`).
    ///
    /// `token_xml` must be a complete, self-contained element taken from a parsed response
    /// (see [`WebTicket`](crate::webticket::WebTicket) and
    /// [`OrgIdToken`](crate::orgid::OrgIdToken), which call this); it is not escaped.
    pub fn bearer(timestamp: &Timestamp, token_xml: &str) -> Self {
        let mut s = timestamp.to_xml();
        s.push_str(token_xml);
        Self(Zeroizing::new(s))
    }

    /// Timestamp + assertion + an XML-DSig HMAC-SHA1 signature over the timestamp with the
    /// proof key, referencing the assertion by `AssertionID` (the holder-of-key form that
    /// certificate provisioning requires):
    ///
    /// ```text
    /// digest    = base64(SHA1(timestamp in canonical form))
    /// signature = base64(HMAC-SHA1(proof key, signed_info_c14n(digest)))
    /// ```
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidXmlChar`](crate::error::MisuseError::InvalidXmlChar) when the
    /// assertion id cannot be written.
    pub fn signed(
        timestamp: &Timestamp,
        assertion_xml: &str,
        assertion_id: &str,
        key: &ProofKey,
    ) -> Result<Self, Error> {
        check_xml_chars("assertion id", assertion_id)?;
        let ts = timestamp.to_xml();
        let digest = b64(&sha1(ts.as_bytes()));
        let signed_info = signed_info_c14n(&digest);
        let value = b64(&key.sign(signed_info.as_bytes()));
        let mut s = String::with_capacity(ts.len() + assertion_xml.len() + signed_info.len() + 600);
        s.push_str(&ts);
        s.push_str(assertion_xml);
        s.push_str("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">");
        s.push_str(&signed_info);
        s.push_str("<SignatureValue>");
        s.push_str(&value);
        s.push_str("</SignatureValue><KeyInfo><wsse:SecurityTokenReference wsse:TokenType=\"");
        s.push_str(SAML11_TOKEN_TYPE);
        s.push_str("\"><wsse:KeyIdentifier ValueType=\"");
        s.push_str(SAML_ASSERTION_ID_VALUE_TYPE);
        s.push_str("\">");
        s.push_str(&escape_text(assertion_id));
        s.push_str("</wsse:KeyIdentifier></wsse:SecurityTokenReference></KeyInfo></Signature>");
        Ok(Self(Zeroizing::new(s)))
    }

    /// The XML fragment. Named `dangerous_` because it contains credentials.
    pub fn dangerous_as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecurityHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecurityHeader([redacted])")
    }
}

/// WS-Addressing headers of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addressing<'a> {
    /// `wsa:To`: the URL the request is posted to.
    pub to: &'a str,
    /// `wsa:Action` (also the HTTP `SOAPAction`).
    pub action: &'a str,
    /// `wsa:MessageID`, written as `uuid:<uuid>`.
    pub message_id: Uuid,
}

/// A SOAP envelope to serialize.
///
/// The envelope element declares the SOAP prefix `soap`, plus `wsa`, `wsse` and `wsu`
/// (used by the header), plus `namespaces`. The header is written only when there is
/// addressing or security, in this order: `wsa:To`, `wsa:ReplyTo` (anonymous),
/// `wsa:MessageID`, `wsa:Action`, `wsse:Security`.
#[derive(Clone, Copy, Debug)]
pub struct SoapMessage<'a> {
    /// SOAP version.
    pub version: SoapVersion,
    /// Extra `(prefix, uri)` declarations on the envelope element, for prefixes the body
    /// uses.
    pub namespaces: &'a [(&'static str, &'static str)],
    /// WS-Addressing headers.
    pub addressing: Option<Addressing<'a>>,
    /// The `wsse:Security` content.
    pub security: Option<&'a SecurityHeader>,
    /// The serialized body content (from [`XmlWriter`]; not escaped again).
    pub body: &'a str,
}

impl SoapMessage<'_> {
    /// Serializes the envelope, starting with an XML declaration.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidXmlChar`](crate::error::MisuseError::InvalidXmlChar) when an
    /// addressing value holds a character XML cannot carry.
    pub fn to_xml(&self) -> Result<String, Error> {
        let mut w = XmlWriter::with_capacity(1024 + self.body.len());
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        w.raw("<soap:Envelope xmlns:soap=\"")
            .raw(self.version.namespace())
            .raw("\"");
        for (p, uri) in [("wsa", ns::WSA), ("wsse", ns::WSSE), ("wsu", ns::WSU)]
            .into_iter()
            .chain(self.namespaces.iter().copied())
        {
            w.raw(" xmlns:")
                .raw(p)
                .raw("=\"")
                .raw(&escape_attr(uri))
                .raw("\"");
        }
        w.raw(">");
        if self.addressing.is_some() || self.security.is_some() {
            w.open("soap:Header", &[]);
            if let Some(a) = &self.addressing {
                w.leaf("wsa:To", &[], a.to);
                w.open("wsa:ReplyTo", &[])
                    .leaf("wsa:Address", &[], WSA_ANONYMOUS)
                    .close("wsa:ReplyTo");
                w.leaf("wsa:MessageID", &[], &format!("uuid:{}", a.message_id));
                w.leaf("wsa:Action", &[], a.action);
            }
            if let Some(s) = self.security {
                w.open("wsse:Security", &[])
                    .raw(s.dangerous_as_str())
                    .close("wsse:Security");
            }
            w.close("soap:Header");
        }
        w.open("soap:Body", &[]).raw(self.body).close("soap:Body");
        w.close("soap:Envelope");
        w.finish()
    }
}

/// Wraps a serialized envelope as an HTTP `POST`.
///
/// # Errors
///
/// [`MisuseError::InvalidUrl`](crate::error::MisuseError::InvalidUrl) for a URL that is not
/// absolute `http(s)`, [`MisuseError::InvalidHeaderValue`](crate::error::MisuseError::InvalidHeaderValue)
/// for an action with control characters.
pub fn soap_http_request(
    url: &str,
    content_type: SoapContentType,
    action: &str,
    envelope_xml: String,
) -> Result<HttpRequest, Error> {
    require_url(url)?;
    let req = HttpRequest::new(Method::Post, url);
    let req = match content_type {
        SoapContentType::TextXml => req
            .with_header("Content-Type", "text/xml; charset=utf-8")?
            .with_header("SOAPAction", format!("\"{action}\""))?,
        SoapContentType::SoapXml => req.with_header(
            "Content-Type",
            format!("application/soap+xml; charset=utf-8; action=\"{action}\""),
        )?,
    };
    Ok(req.with_body(envelope_xml.into_bytes()))
}

/// Lync's `OCSDiagnosticsFaultType` detail (`af:Ms-Diagnostics-Fault`): an error id from
/// \[MS-OCER\] and a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OcsDiagnostics {
    /// `ErrorId`.
    pub error_id: u32,
    /// `Reason`.
    pub reason: String,
}

/// The login.microsoftonline.com (Passport) fault detail:
/// `Detail/psf:error/psf:internalerror/{psf:code, psf:text}` plus `psf:value`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PassportError {
    /// `error/value` (e.g. `0x80048821`), if present.
    pub value: Option<String>,
    /// `internalerror/code` (e.g. `0x80041012`), if present.
    pub code: Option<String>,
    /// `internalerror/text`, trailing CR/LF stripped.
    pub text: String,
}

/// A parsed SOAP fault (1.1 or 1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SoapFault {
    /// Envelope version.
    pub version: SoapVersion,
    /// The fault code as written (`s:Sender`, `wsse:FailedAuthentication`, ...).
    pub code: String,
    /// The namespace URI of the code's prefix, when declared.
    pub code_namespace: Option<String>,
    /// SOAP 1.2 `Subcode/Value` chain as written, outermost first.
    pub subcodes: Vec<String>,
    /// `faultstring` (1.1) or the first `Reason/Text` (1.2).
    pub reason: String,
    /// The `detail` / `Detail` element, verbatim and self-contained, if present.
    pub detail_xml: Option<String>,
    /// Lync diagnostics from the detail, if present.
    pub ocs_diagnostics: Option<OcsDiagnostics>,
    /// Passport error from the detail, if present.
    pub passport_error: Option<PassportError>,
    /// The HTTP status the fault came with, when known (set by [`check_response`]).
    pub http_status: Option<u16>,
    /// The `X-Ms-diagnostics` header sent with the fault, if any (set by
    /// [`check_response`]).
    pub diagnostics: Option<MsDiagnostics>,
}

impl SoapFault {
    /// The most specific human-readable text: the Passport error text, else the Lync
    /// diagnostics reason, else the fault reason.
    pub fn message(&self) -> &str {
        if let Some(p) = &self.passport_error
            && !p.text.is_empty()
        {
            return &p.text;
        }
        if let Some(o) = &self.ocs_diagnostics
            && !o.reason.is_empty()
        {
            return &o.reason;
        }
        &self.reason
    }

    /// Finds the fault in `Envelope/Body/Fault` of a parsed document.
    pub fn from_document(doc: &Document<'_>) -> Option<Self> {
        let root = doc.root();
        let version = if root.is(ns::SOAP11, "Envelope") {
            SoapVersion::Soap11
        } else if root.is(ns::SOAP12, "Envelope") {
            SoapVersion::Soap12
        } else {
            return None;
        };
        let env_ns = version.namespace();
        let fault = root.child(env_ns, "Body")?.child(env_ns, "Fault")?;
        Some(Self::from_element(fault, version))
    }

    fn from_element(fault: Element<'_, '_>, version: SoapVersion) -> Self {
        let env_ns = version.namespace();
        let (code_el, reason, detail) = match version {
            SoapVersion::Soap11 => (
                fault.child("", "faultcode"),
                fault
                    .child("", "faultstring")
                    .map(|e| e.text_trimmed().to_owned()),
                fault.child("", "detail"),
            ),
            SoapVersion::Soap12 => (
                fault.path(&[(env_ns, "Code"), (env_ns, "Value")]),
                fault
                    .child(env_ns, "Reason")
                    .and_then(|r| r.child(env_ns, "Text"))
                    .map(|e| e.text_trimmed().to_owned()),
                fault.child(env_ns, "Detail"),
            ),
        };
        let code = code_el
            .map(|e| e.text_trimmed().to_owned())
            .unwrap_or_default();
        let code_namespace = code_el.and_then(|e| {
            let prefix = code.split_once(':').map_or("", |(p, _)| p);
            e.lookup_namespace(prefix)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
        });
        let mut subcodes = Vec::new();
        if version == SoapVersion::Soap12 {
            let mut cur = fault.child(env_ns, "Code");
            while let Some(sub) = cur.and_then(|c| c.child(env_ns, "Subcode")) {
                if let Some(v) = sub.child(env_ns, "Value") {
                    subcodes.push(v.text_trimmed().to_owned());
                }
                cur = Some(sub);
            }
        }
        let ocs_diagnostics = detail
            .and_then(|d| d.find(AnyNs, "Ms-Diagnostics-Fault"))
            .and_then(|m| {
                let error_id = m.child(AnyNs, "ErrorId")?.text_trimmed().parse().ok()?;
                let reason = m
                    .child(AnyNs, "Reason")
                    .map(|r| r.text_trimmed().to_owned())
                    .unwrap_or_default();
                Some(OcsDiagnostics { error_id, reason })
            });
        let passport_error = detail
            .and_then(|d| d.child(AnyNs, "error"))
            .and_then(|err| {
                let internal = err.child(AnyNs, "internalerror");
                let text = internal
                    .and_then(|i| i.child(AnyNs, "text"))
                    .map(|t| t.text_trimmed().to_owned())?;
                Some(PassportError {
                    value: err
                        .child(AnyNs, "value")
                        .map(|v| v.text_trimmed().to_owned()),
                    code: internal
                        .and_then(|i| i.child(AnyNs, "code"))
                        .map(|c| c.text_trimmed().to_owned()),
                    text,
                })
            });
        Self {
            version,
            code,
            code_namespace,
            subcodes,
            reason: reason.unwrap_or_default(),
            detail_xml: detail.map(|d| d.raw_standalone().into_owned()),
            ocs_diagnostics,
            passport_error,
            http_status: None,
            diagnostics: None,
        }
    }
}

impl fmt::Display for SoapFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        for s in &self.subcodes {
            write!(f, "/{s}")?;
        }
        write!(f, ": {}", self.message())?;
        if let Some(o) = &self.ocs_diagnostics {
            write!(f, " (error id {})", o.error_id)?;
        }
        Ok(())
    }
}

/// The `X-Ms-diagnostics` header (\[MS-OCAUTHWS\] 3.2.4.1):
/// `<error-id>;source="<fqdn>";reason="<text>";fault="<prefix:Code>"`.
///
/// ```
/// use webticket::soap::MsDiagnostics;
///
/// let d = MsDiagnostics::parse(r#"28000;source="pool.contoso.com";reason="User is not SIP enabled.";fault="wsse:FailedAuthentication""#).unwrap();
/// assert_eq!(d.error_id, 28000);
/// assert_eq!(d.reason(), Some("User is not SIP enabled."));
/// assert_eq!(d.get("FAULT"), Some("wsse:FailedAuthentication"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MsDiagnostics {
    /// The numeric error id.
    pub error_id: u32,
    /// The parameters in order, quoted values unquoted.
    pub params: Vec<(String, String)>,
}

impl MsDiagnostics {
    /// Parses a header value; `None` when it does not start with a numeric id.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let id_end = value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len());
        let error_id = value[..id_end].parse().ok()?;
        let mut params = Vec::new();
        let mut rest = value[id_end..].trim_start();
        while let Some(r) = rest.strip_prefix(';') {
            let r = r.trim_start();
            let name_end = r.find(['=', ';']).unwrap_or(r.len());
            let name = r[..name_end].trim().to_owned();
            let mut after = &r[name_end..];
            let mut val = String::new();
            if let Some(v) = after.strip_prefix('=') {
                let v = v.trim_start();
                if let Some(q) = v.strip_prefix('"') {
                    let (s, tail) = unquote(q);
                    val = s;
                    after = tail;
                } else {
                    let end = v.find(';').unwrap_or(v.len());
                    val = v[..end].trim().to_owned();
                    after = &v[end..];
                }
            }
            if !name.is_empty() {
                params.push((name, val));
            }
            rest = after.trim_start();
        }
        Some(Self { error_id, params })
    }

    /// The parameter `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `source`: the server that reported the error.
    pub fn source(&self) -> Option<&str> {
        self.get("source")
    }

    /// `reason`: the human-readable text.
    pub fn reason(&self) -> Option<&str> {
        self.get("reason")
    }

    /// `fault`: the SOAP fault code equivalent.
    pub fn fault(&self) -> Option<&str> {
        self.get("fault")
    }
}

impl fmt::Display for MsDiagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ms-diagnostics {}", self.error_id)?;
        if let Some(r) = self.reason() {
            write!(f, ": {r}")?;
        }
        Ok(())
    }
}

/// Reads a quoted string after the opening quote; returns the unescaped content and the
/// rest after the closing quote (or the end when unterminated).
pub(crate) fn unquote(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    (out, "")
}

/// Checks a SOAP response and returns its parsed body.
///
/// - A SOAP fault in the body is [`ServerError::Fault`] whatever the status (with
///   [`SoapFault::http_status`] and [`SoapFault::diagnostics`] filled in).
/// - A non-2xx status without a fault is [`ServerError::Http`] with the parsed
///   `X-Ms-diagnostics` header.
/// - A 2xx body that is not XML is a [`MalformedError`] (or [`LimitError`](crate::error::LimitError)).
///
/// # Errors
///
/// As listed above.
pub fn check_response<'b>(
    resp: &HttpResponse<'b>,
    limits: &XmlLimits,
) -> Result<Document<'b>, Error> {
    let diagnostics = resp.get("x-ms-diagnostics").and_then(MsDiagnostics::parse);
    let parsed = if resp.body.iter().all(u8::is_ascii_whitespace) {
        Err(Error::from(MalformedError::Missing {
            what: "response body",
        }))
    } else {
        Document::parse(resp.body, limits)
    };
    if let Ok(doc) = &parsed
        && let Some(mut fault) = SoapFault::from_document(doc)
    {
        fault.http_status = Some(resp.status);
        fault.diagnostics = diagnostics;
        return Err(fault.into());
    }
    if !resp.is_success() {
        return Err(ServerError::Http {
            status: resp.status,
            diagnostics: diagnostics.map(Box::new),
        }
        .into());
    }
    parsed
}

/// The `soap:Body` of a parsed envelope (SOAP 1.1 or 1.2).
///
/// # Errors
///
/// [`MalformedError::UnexpectedRoot`] when the document is not a SOAP envelope,
/// [`MalformedError::Missing`] when it has no body.
pub fn body<'d, 'a>(doc: &'d Document<'a>) -> Result<Element<'d, 'a>, Error> {
    let root = doc.root();
    if !root.is([ns::SOAP11, ns::SOAP12], "Envelope") {
        return Err(MalformedError::UnexpectedRoot {
            expected: "Envelope",
            found: root.local_name().to_owned(),
        }
        .into());
    }
    root.child(root.namespace(), "Body")
        .ok_or_else(|| crate::error::missing("soap:Body"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_formatting() {
        let u = Uuid::from_random_bytes([0xff; 16]);
        assert_eq!(u.to_string(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let u = Uuid::from_bytes(core::array::from_fn(|i| i as u8));
        assert_eq!(u.to_string(), "00010203-0405-0607-0809-0a0b0c0d0e0f");
    }

    #[test]
    fn diagnostics_header_variants() {
        let d =
            MsDiagnostics::parse("28001; reason=\"Internal \\\"x\\\"\" ;source=fe1;empty").unwrap();
        assert_eq!(d.error_id, 28001);
        assert_eq!(d.reason(), Some("Internal \"x\""));
        assert_eq!(d.source(), Some("fe1"));
        assert_eq!(d.get("empty"), Some(""));
        assert!(MsDiagnostics::parse("reason=x").is_none());
        assert!(MsDiagnostics::parse("").is_none());
        assert_eq!(MsDiagnostics::parse("1").unwrap().params, vec![]);
    }

    #[test]
    fn timestamp_is_canonical() {
        let t = Timestamp::new(UnixTime(0), UnixTime(60));
        assert_eq!(
            t.to_xml(),
            concat!(
                "<wsu:Timestamp xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" wsu:Id=\"timestamp\">",
                "<wsu:Created>1970-01-01T00:00:00Z</wsu:Created><wsu:Expires>1970-01-01T00:01:00Z</wsu:Expires></wsu:Timestamp>"
            )
        );
        assert!(Timestamp::from_lexical("x", "2026-01-01T00:00:00Z").is_err());
    }
}
