//! OrgID: the legacy Microsoft Online WS-Trust sign-in (`login.microsoftonline.com`
//! `RST2.srf`, optionally via ADFS) whose token is the credential for the web-ticket
//! service's `WsFedBearer` port.
//!
//! ```text
//!  realm_request(user) ─► GET getuserrealm.srf?login=user&xml=1 ─► RealmInfo::parse
//!        │ Managed                                   │ Federated { STSAuthURL }
//!        ▼                                           ▼
//!  OrgIdRequest::password(user, pw, WsFedBearer)   OrgIdRequest::adfs(sts, user, pw) ─► OrgIdToken (ADFS assertion)
//!        │                                           └─► OrgIdRequest::federated(&adfs, WsFedBearer)
//!        ▼                                                     │
//!  POST RST2.srf (SOAP 1.2, wsse:UsernameToken) ─────────────────┘
//!        ▼
//!  OrgIdToken::parse ─► lifetime + EncryptedData (verbatim)
//!        ▼
//!  security_header() ─► IssueTokenRequest::security(…) to the WsFedBearer port
//! ```
//!
//! This path is password-only: it cannot do multi-factor or modern authentication. Phones
//! and current clients use the [device-code flow](crate::device_code) instead.

use std::fmt;

use crate::crypto::SecretString;
use crate::error::{Error, MalformedError, invalid, missing};
use crate::http::{HttpRequest, HttpResponse, Method, percent_encode, require_url};
use crate::soap::{
    self, Addressing, SecurityHeader, SoapContentType, SoapFault, SoapMessage, SoapVersion, Uuid,
    ns,
};
use crate::time::UnixTime;
use crate::webticket::{Lifetime, REQUEST_TYPE_ISSUE, find_rstr, parse_lifetime};
use crate::xml::{AnyNs, Document, XmlLimits, XmlWriter, check_xml_chars};

/// The default login host.
pub const LOGIN_BASE: &str = "https://login.microsoftonline.com";
/// The `RST2.srf` endpoint as Lync clients address it (explicit port, as SIPE sends it).
pub const RST2_URL: &str = "https://login.microsoftonline.com:443/RST2.srf";
/// The WS-Trust February 2005 issue action.
pub const ISSUE_ACTION_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue";
/// AppliesTo of the ADFS hop.
pub const ADFS_APPLIES_TO: &str = "urn:federation:MicrosoftOnline";
/// KeyType of the ADFS hop.
pub const KEY_TYPE_NO_PROOF: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey";

/// `GET https://login.microsoftonline.com/getuserrealm.srf?login=<user>&xml=1`.
///
/// # Errors
///
/// [`MisuseError::Empty`](crate::error::MisuseError::Empty) for an empty login.
pub fn realm_request(login: &str) -> Result<HttpRequest, Error> {
    realm_request_at(LOGIN_BASE, login)
}

/// [`realm_request`] against another login host (an emulator).
///
/// # Errors
///
/// [`MisuseError::InvalidUrl`](crate::error::MisuseError::InvalidUrl) for a bad base URL,
/// [`MisuseError::Empty`](crate::error::MisuseError::Empty) for an empty login.
pub fn realm_request_at(base: &str, login: &str) -> Result<HttpRequest, Error> {
    require_url(base)?;
    if login.trim().is_empty() {
        return Err(crate::error::MisuseError::Empty { what: "login" }.into());
    }
    let url = format!(
        "{}/getuserrealm.srf?login={}&xml=1",
        base.trim_end_matches('/'),
        percent_encode(login.trim(), b"@")
    );
    Ok(HttpRequest::new(Method::Get, url))
}

/// How a domain signs in.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Realm {
    /// Passwords are checked by Microsoft Online: use [`OrgIdRequest::password`].
    Managed,
    /// Passwords are checked by the organisation's ADFS at `sts_auth_url` (the
    /// `STSAuthURL`, SIPE's criterion); `None` when `NameSpaceType` says `Federated` but no
    /// URL was given.
    Federated {
        /// The ADFS WS-Trust endpoint.
        sts_auth_url: Option<String>,
    },
    /// Neither (unknown domain, or a `NameSpaceType` this crate does not know).
    Unknown,
}

/// The `RealmInfo` answer of `getuserrealm.srf`. Children are matched by local name in any
/// namespace (the document has none); only `STSAuthURL` and `NameSpaceType` are
/// interpreted, the others are informational (their set is UNCONFIRMED).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RealmInfo {
    /// The sign-in realm.
    pub realm: Realm,
    /// `NameSpaceType` as written.
    pub namespace_type: Option<String>,
    /// `DomainName`.
    pub domain_name: Option<String>,
    /// `FederationBrandName`.
    pub federation_brand_name: Option<String>,
    /// `CloudInstanceName`.
    pub cloud_instance_name: Option<String>,
}

impl RealmInfo {
    /// Parses the XML body.
    ///
    /// # Errors
    ///
    /// XML errors, [`MalformedError::UnexpectedRoot`] when the document is not `RealmInfo`.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(body, &XmlLimits::default())?;
        let root = doc.root();
        if root.local_name() != "RealmInfo" {
            return Err(MalformedError::UnexpectedRoot {
                expected: "RealmInfo",
                found: root.local_name().to_owned(),
            }
            .into());
        }
        let text = |name: &str| {
            root.child(AnyNs, name)
                .map(|e| e.text_trimmed().to_owned())
                .filter(|t| !t.is_empty())
        };
        let namespace_type = text("NameSpaceType");
        let sts_auth_url = text("STSAuthURL");
        let realm = match (&sts_auth_url, namespace_type.as_deref()) {
            (Some(_), _) => Realm::Federated { sts_auth_url },
            (None, Some(t)) if t.eq_ignore_ascii_case("federated") => {
                Realm::Federated { sts_auth_url: None }
            }
            (None, Some(t)) if t.eq_ignore_ascii_case("managed") => Realm::Managed,
            _ => Realm::Unknown,
        };
        Ok(Self {
            realm,
            namespace_type,
            domain_name: text("DomainName"),
            federation_brand_name: text("FederationBrandName"),
            cloud_instance_name: text("CloudInstanceName"),
        })
    }
}

#[derive(Clone, Debug)]
enum Auth<'a> {
    Password(&'a str, &'a SecretString),
    Token(&'a OrgIdToken),
}

/// A WS-Trust (February 2005) issue request to `RST2.srf` or ADFS (SIPE
/// `request_passport`): SOAP 1.2, WS-Addressing, `wsse:Security` with a username token
/// (credentials XML-escaped) or the ADFS token, body
/// `wst:RequestSecurityToken{RequestType, AppliesTo[, KeyType]}`.
///
/// ```
/// use webticket::crypto::SecretString;
/// use webticket::orgid::OrgIdRequest;
/// use webticket::soap::Uuid;
///
/// let pw = SecretString::new("p&ss");
/// let req = OrgIdRequest::password(
///     "alice@contoso.com",
///     &pw,
///     "https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer",
///     Uuid::from_random_bytes([1; 16]),
/// )
/// .build()?;
/// assert_eq!(req.url, "https://login.microsoftonline.com:443/RST2.srf");
/// assert!(req.body_str().unwrap().contains("<wsse:Password>p&amp;ss</wsse:Password>"));
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Clone)]
pub struct OrgIdRequest<'a> {
    url: &'a str,
    applies_to: &'a str,
    auth: Auth<'a>,
    no_proof_key: bool,
    content_type: SoapContentType,
    message_id: Uuid,
}

impl fmt::Debug for OrgIdRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgIdRequest")
            .field("url", &self.url)
            .field("applies_to", &self.applies_to)
            .finish_non_exhaustive()
    }
}

impl<'a> OrgIdRequest<'a> {
    /// Username/password to `RST2.srf` for a token that applies to `applies_to` (the
    /// web-ticket `WsFedBearer` port location). Sent with `Content-Type: text/xml` and a
    /// `SOAPAction` header, as Lync clients do.
    pub fn password(
        username: &'a str,
        password: &'a SecretString,
        applies_to: &'a str,
        message_id: Uuid,
    ) -> Self {
        Self {
            url: RST2_URL,
            applies_to,
            auth: Auth::Password(username, password),
            no_proof_key: false,
            content_type: SoapContentType::TextXml,
            message_id,
        }
    }

    /// Username/password to an ADFS WS-Trust endpoint (`STSAuthURL`) for a token that
    /// applies to `urn:federation:MicrosoftOnline`, with `KeyType NoProofKey` and
    /// `Content-Type: application/soap+xml` (SIPE also sends a `SOAPAction` header; this
    /// crate puts the action in the content type as SOAP 1.2 specifies, UNCONFIRMED which
    /// ADFS versions require which).
    pub fn adfs(
        sts_auth_url: &'a str,
        username: &'a str,
        password: &'a SecretString,
        message_id: Uuid,
    ) -> Self {
        Self {
            url: sts_auth_url,
            applies_to: ADFS_APPLIES_TO,
            auth: Auth::Password(username, password),
            no_proof_key: true,
            content_type: SoapContentType::SoapXml,
            message_id,
        }
    }

    /// The second hop of the federated path: the ADFS token to `RST2.srf` for a token that
    /// applies to `applies_to`.
    pub fn federated(adfs_token: &'a OrgIdToken, applies_to: &'a str, message_id: Uuid) -> Self {
        Self {
            url: RST2_URL,
            applies_to,
            auth: Auth::Token(adfs_token),
            no_proof_key: false,
            content_type: SoapContentType::TextXml,
            message_id,
        }
    }

    /// Posts to another URL (an emulator) instead of the default.
    pub fn url(mut self, url: &'a str) -> Self {
        self.url = url;
        self
    }

    /// The SOAP envelope.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidXmlChar`](crate::error::MisuseError::InvalidXmlChar) when the
    /// username, password or a URL holds a character XML cannot carry.
    pub fn to_xml(&self) -> Result<String, Error> {
        check_xml_chars("applies-to address", self.applies_to)?;
        let security = match &self.auth {
            Auth::Password(u, p) => SecurityHeader::username_token(u, p)?,
            Auth::Token(t) => t.security_header(),
        };
        let mut w = XmlWriter::with_capacity(512);
        w.open("wst:RequestSecurityToken", &[])
            .leaf("wst:RequestType", &[], REQUEST_TYPE_ISSUE)
            .open("wsp:AppliesTo", &[])
            .open("wsa:EndpointReference", &[])
            .leaf("wsa:Address", &[], self.applies_to)
            .close("wsa:EndpointReference")
            .close("wsp:AppliesTo");
        if self.no_proof_key {
            w.leaf("wst:KeyType", &[], KEY_TYPE_NO_PROOF);
        }
        w.close("wst:RequestSecurityToken");
        let body = w.finish()?;
        SoapMessage {
            version: SoapVersion::Soap12,
            namespaces: &[("wst", ns::WST_2005), ("wsp", ns::WSP)],
            addressing: Some(Addressing {
                to: self.url,
                action: ISSUE_ACTION_2005,
                message_id: self.message_id,
            }),
            security: Some(&security),
            body: &body,
        }
        .to_xml()
    }

    /// The HTTP request.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidUrl`](crate::error::MisuseError::InvalidUrl) and the errors of
    /// [`to_xml`](Self::to_xml).
    pub fn build(&self) -> Result<HttpRequest, Error> {
        soap::soap_http_request(
            self.url,
            self.content_type,
            ISSUE_ACTION_2005,
            self.to_xml()?,
        )
    }
}

/// What kind of token an [`OrgIdToken`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrgIdTokenKind {
    /// `xenc:EncryptedData`: the SAML token encrypted for the relying party (RST2.srf).
    EncryptedData,
    /// A SAML assertion (ADFS).
    Assertion,
    /// Any other element.
    Other,
}

/// A token from `RST2.srf` or ADFS, kept verbatim with its lifetime. Opaque to the client:
/// it is only wrapped into a `wsse:Security` header.
#[derive(Clone, PartialEq, Eq)]
pub struct OrgIdToken {
    token: String,
    kind: OrgIdTokenKind,
    lifetime: Lifetime,
}

impl fmt::Debug for OrgIdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgIdToken")
            .field("kind", &self.kind)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl OrgIdToken {
    /// Checks the HTTP response with [`soap::check_response`] and parses the body.
    ///
    /// # Errors
    ///
    /// As [`soap::check_response`] and [`parse`](Self::parse).
    pub fn from_response(resp: &HttpResponse<'_>) -> Result<Self, Error> {
        let doc = soap::check_response(resp, &XmlLimits::default())?;
        Self::from_document(&doc)
    }

    /// Parses a `RequestSecurityTokenResponse` (WS-Trust February 2005 or 1.3, inside a
    /// collection or not): `Lifetime` and the first element of `RequestedSecurityToken`,
    /// verbatim. A SOAP fault (the Passport `psf:` shape, whose namespace is UNCONFIRMED,
    /// is read by local names) is returned as an error even though the status was `200`.
    ///
    /// # Errors
    ///
    /// [`ServerError::Fault`](crate::error::ServerError::Fault), XML errors,
    /// [`MalformedError::Missing`] / [`MalformedError::Invalid`].
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(body, &XmlLimits::default())?;
        if let Some(f) = SoapFault::from_document(&doc) {
            return Err(f.into());
        }
        Self::from_document(&doc)
    }

    fn from_document(doc: &Document<'_>) -> Result<Self, Error> {
        let rstr = find_rstr(doc)?;
        let wst = rstr.namespace();
        let token = rstr
            .child(wst, "RequestedSecurityToken")
            .and_then(|t| t.children().next())
            .ok_or_else(|| missing("wst:RequestedSecurityToken content"))?;
        let kind = if token.is(ns::XENC, "EncryptedData") {
            OrgIdTokenKind::EncryptedData
        } else if token.is([ns::SAML1, ns::SAML2], "Assertion") {
            OrgIdTokenKind::Assertion
        } else {
            OrgIdTokenKind::Other
        };
        let lifetime = parse_lifetime(
            rstr.child(wst, "Lifetime")
                .ok_or_else(|| missing("wst:Lifetime"))?,
        )?;
        if token.raw().is_empty() {
            return Err(invalid("wst:RequestedSecurityToken"));
        }
        Ok(Self {
            token: token.raw_standalone().into_owned(),
            kind,
            lifetime,
        })
    }

    /// The token element, verbatim.
    pub fn token_xml(&self) -> &str {
        &self.token
    }

    /// What the token is.
    pub fn kind(&self) -> OrgIdTokenKind {
        self.kind
    }

    /// The lifetime.
    pub fn lifetime(&self) -> &Lifetime {
        &self.lifetime
    }

    /// Whether the token can still be used at `now` with `margin` seconds to spare.
    pub fn is_valid_at(&self, now: UnixTime, margin: i64) -> bool {
        self.lifetime.is_valid_at(now, margin)
    }

    /// `wsu:Timestamp` (from the lifetime) + the token: the `wsse:Security` content for the
    /// `WsFedBearer` RST (SIPE `generate_fedbearer_wsse`) or for the federated RST2 hop.
    pub fn security_header(&self) -> SecurityHeader {
        SecurityHeader::bearer(&self.lifetime.timestamp, &self.token)
    }
}

impl crate::cache::Expiring for OrgIdToken {
    fn expires(&self) -> UnixTime {
        self.lifetime.expires
    }
}
