//! The Web Ticket Service (\[MS-OCAUTHWS\] 3.2): MEX discovery, the WS-Trust `IssueToken`
//! request, and the response that carries the web ticket (a SAML assertion).
//!
//! ```text
//!  mex_request(service) ─► GET <service>/mex ─► Metadata::parse
//!        │   ports:    WebTicketServiceWinNegotiate, WsFedBearer, ... (names case-insensitive)
//!        │   policies: <Port>_policy ─► issuer + EndorsingSupportingTokens (proof) | SignedSupportingTokens (bearer)
//!        ▼
//!  IssueTokenRequest::new(endpoint, applies_to, context)
//!        .claims(sip address) .proof_key(entropy) .security(OrgID header) .bearer_token(AAD token)
//!        .build() ─► POST (SOAP 1.1, SOAPAction …/RST/Issue)
//!        ▼
//!  WebTicket::from_response(resp, Some(&entropy))
//!        assertion (verbatim) · AssertionID · lifetime · proof key = P_SHA1(client, server entropy)
//!        ├─► header_value()     ─► X-MS-WebTicket: opaque=<base64 assertion>     (autodiscover)
//!        └─► security_header()  ─► wsse:Security Timestamp+Assertion[+Signature] (SOAP services)
//! ```

use std::fmt;

use crate::autodiscover::SipAddress;
use crate::crypto::{ClientEntropy, ENTROPY_LEN, ProofKey, SecretString, b64, b64_decode};
use crate::error::{Error, MisuseError, invalid, missing};
use crate::http::{HttpRequest, HttpResponse, Method, check_header_value, require_url};
use crate::soap::{
    self, Addressing, SecurityHeader, SoapContentType, SoapFault, SoapMessage, SoapVersion,
    Timestamp, Uuid, ns,
};
use crate::time::UnixTime;
use crate::xml::{Document, Element, XmlLimits, XmlWriter};

/// The WS-Trust 1.3 issue action (`SOAPAction` and `wsa:Action` of the RST).
pub const ISSUE_ACTION: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue";
/// The `RequestType` the Lync clients send: the February 2005 URI inside a WS-Trust 1.3
/// request (a SIPE quirk that the servers accept; the 1.3 URI would be
/// `http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue`).
pub const REQUEST_TYPE_ISSUE: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue";
/// `KeyType` for a holder-of-key (proof) ticket.
pub const KEY_TYPE_SYMMETRIC: &str =
    "http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey";
/// `KeyType` for a bearer ticket.
pub const KEY_TYPE_BEARER: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer";
/// The PSHA1 computed-key algorithm.
pub const CK_PSHA1: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/CK/PSHA1";
/// The claims dialect of the web-ticket RST.
pub const CLAIMS_DIALECT: &str = "urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims";
/// The claim type carrying the SIP URI.
pub const CLAIM_TYPE_URI: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri";
/// Port name of the Integrated Windows authentication endpoint.
pub const PORT_WIN_NEGOTIATE: &str = "WebTicketServiceWinNegotiate";
/// Port name of the endpoint accepting an OrgID token.
pub const PORT_WS_FED_BEARER: &str = "WsFedBearer";
/// Port name of the certificate-provisioning endpoint that needs a signed ticket.
pub const PORT_CERTPROV_PROOF: &str = "CertProvisioningServiceWebTicketProof_SHA1";

/// `GET <service>/mex`: the metadata of a web service (no authentication).
///
/// # Errors
///
/// [`MisuseError::InvalidUrl`] for a URL that is not absolute `http(s)`.
pub fn mex_request(service_url: &str) -> Result<HttpRequest, Error> {
    require_url(service_url)?;
    let url = format!("{}/mex", service_url.trim_end_matches('/'));
    Ok(HttpRequest::new(Method::Get, url))
}

/// A `wsdl:port` of a MEX document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Port {
    /// `name`.
    pub name: String,
    /// `binding` (QName as written), if present.
    pub binding: Option<String>,
    /// `soap:address/@location` (SOAP 1.1 or 1.2 binding).
    pub location: String,
}

/// How a service wants the web ticket presented, from its policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenUsage {
    /// `EndorsingSupportingTokens`: holder-of-key, the request must be signed with the
    /// proof key.
    Endorsing,
    /// `SignedSupportingTokens`: bearer, no signature.
    Signed,
}

/// A `wsp:Policy` with an id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// `wsu:Id` (or an `Id` attribute in any namespace).
    pub id: String,
    /// The issuer (`IssuedToken/Issuer/Address`), i.e. the web-ticket service URL.
    pub issuer: Option<String>,
    /// Which supporting-token assertion carried the issuer.
    pub usage: Option<TokenUsage>,
}

/// What a service (e.g. certificate provisioning) requires, from its MEX.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceRequirements {
    /// The endpoint to call (the port location).
    pub endpoint: String,
    /// The web-ticket service that issues acceptable tickets.
    pub issuer: String,
    /// Whether the ticket must be signed with its proof key.
    pub proof_required: bool,
}

/// The endpoints a web-ticket service offers, by credential.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WebTicketEndpoints {
    /// `WebTicketServiceWinNegotiate`: Kerberos/NTLM at the HTTP level.
    pub win_negotiate: Option<String>,
    /// `WsFedBearer`: an OrgID token in `wsse:Security`.
    pub ws_fed_bearer: Option<String>,
    /// The OAuth endpoint: the first port whose name contains `OAuth` (case-insensitive).
    /// The real port name is UNCONFIRMED (\[MS-OCAUTHWS\] excerpts do not name it).
    pub oauth: Option<String>,
}

/// A parsed MEX / WSDL document: every port and every policy with an id, wherever they sit
/// (a bare WSDL or several `mex:MetadataSection`s). Extra ports and policies are kept;
/// lookups by name are case-insensitive, as SIPE does.
///
/// ```
/// use webticket::webticket::Metadata;
///
/// let wsdl = br#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/">
///  <wsdl:service name="WebTicketService">
///   <wsdl:port name="WsFedBearer" binding="tns:b2"><soap:address location="https://pool/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer"/></wsdl:port>
///  </wsdl:service></wsdl:definitions>"#;
/// let m = Metadata::parse(wsdl)?;
/// assert_eq!(m.web_ticket_endpoints().ws_fed_bearer.as_deref(), Some("https://pool/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer"));
/// assert!(m.port("wsfedbearer").is_some());
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Metadata {
    /// The ports in document order.
    pub ports: Vec<Port>,
    /// The policies with an id, in document order.
    pub policies: Vec<Policy>,
}

impl Metadata {
    /// Parses a MEX response body.
    ///
    /// # Errors
    ///
    /// XML errors; [`MalformedError::Missing`](crate::error::MalformedError::Missing) when the document has neither a port nor a
    /// policy (an error page, or the wrong URL).
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(body, &XmlLimits::default())?;
        if let Some(f) = SoapFault::from_document(&doc) {
            return Err(f.into());
        }
        let mut out = Self::default();
        let root = doc.root();
        for el in std::iter::once(root).chain(root.descendants()) {
            if el.is(ns::WSDL, "port") && el.parent().is_some_and(|p| p.is(ns::WSDL, "service")) {
                let Some(name) = el.attr("", "name") else {
                    continue;
                };
                let location = el
                    .children()
                    .find(|c| c.is([ns::WSDL_SOAP, ns::WSDL_SOAP12], "address"))
                    .and_then(|a| a.attr("", "location"));
                if let Some(location) = location {
                    out.ports.push(Port {
                        name: name.trim().to_owned(),
                        binding: el.attr("", "binding").map(str::to_owned),
                        location: location.trim().to_owned(),
                    });
                }
            } else if el.is([ns::WSP, ns::WSP_15], "Policy") {
                let id = el.attr(ns::WSU, "Id").or_else(|| {
                    el.attributes()
                        .find(|a| a.local_name == "Id")
                        .map(|a| a.value)
                });
                if let Some(id) = id {
                    out.policies.push(policy(el, id));
                }
            }
        }
        if out.ports.is_empty() && out.policies.is_empty() {
            return Err(missing("wsdl:port or wsp:Policy"));
        }
        Ok(out)
    }

    /// The port named `name` (case-insensitive).
    pub fn port(&self, name: &str) -> Option<&Port> {
        self.ports
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The policy with id `id` (case-insensitive).
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id.eq_ignore_ascii_case(id))
    }

    /// The endpoints of a web-ticket service's own MEX.
    pub fn web_ticket_endpoints(&self) -> WebTicketEndpoints {
        WebTicketEndpoints {
            win_negotiate: self.port(PORT_WIN_NEGOTIATE).map(|p| p.location.clone()),
            ws_fed_bearer: self.port(PORT_WS_FED_BEARER).map(|p| p.location.clone()),
            oauth: self
                .ports
                .iter()
                .find(|p| p.name.to_ascii_lowercase().contains("oauth"))
                .map(|p| p.location.clone()),
        }
    }

    /// What the service's port `port_name` requires: its location, and from the policy
    /// `<port_name>_policy` the issuer and whether the ticket must be signed
    /// (`EndorsingSupportingTokens`) or is a bearer token (`SignedSupportingTokens`).
    /// `None` when the port, the policy or its issuer is missing.
    pub fn service_requirements(&self, port_name: &str) -> Option<ServiceRequirements> {
        let port = self.port(port_name)?;
        let policy = self.policy(&format!("{port_name}_policy"))?;
        Some(ServiceRequirements {
            endpoint: port.location.clone(),
            issuer: policy.issuer.clone()?,
            proof_required: policy.usage == Some(TokenUsage::Endorsing),
        })
    }
}

fn policy(el: Element<'_, '_>, id: &str) -> Policy {
    let sp = [ns::SP, ns::SP_12];
    let issuer_in = |container: Element<'_, '_>| {
        container
            .find(sp, "IssuedToken")
            .and_then(|t| t.child(sp, "Issuer"))
            .and_then(|i| i.child([ns::WSA, ns::WSA_2004], "Address"))
            .map(|a| a.text_trimmed().to_owned())
            .filter(|a| !a.is_empty())
    };
    let mut out = Policy {
        id: id.trim().to_owned(),
        issuer: None,
        usage: None,
    };
    for (name, usage) in [
        ("EndorsingSupportingTokens", TokenUsage::Endorsing),
        ("SignedSupportingTokens", TokenUsage::Signed),
    ] {
        if let Some(issuer) = el.find(sp, name).and_then(issuer_in) {
            out.issuer = Some(issuer);
            out.usage = Some(usage);
            break;
        }
    }
    out
}

/// How the RST authenticates, besides what the HTTP stack does on its own (Negotiate).
#[derive(Clone, Copy, Debug)]
enum RstAuth<'a> {
    None,
    Security(&'a SecurityHeader, Uuid),
    Bearer(&'a SecretString),
}

/// A WS-Trust `IssueToken` request to a web-ticket service endpoint
/// (SIPE `sipe_svc_webticket`).
///
/// - Without [`proof_key`](Self::proof_key) the RST asks for a **bearer** ticket
///   (`KeyType …/Bearer`, no entropy). SIPE always asks for a proof key and simply does not
///   sign for bearer-policy services; whether the Lync web-ticket service honours
///   `KeyType …/Bearer` is UNCONFIRMED, so request a proof key when in doubt: the ticket
///   works for both uses.
/// - With [`proof_key`](Self::proof_key) it asks for a holder-of-key ticket
///   (`KeyType …/SymmetricKey`, `wst:Entropy` with the caller's 32 random bytes).
/// - [`security`](Self::security) adds a SOAP header (WS-Addressing + `wsse:Security`, e.g.
///   the OrgID token for the `WsFedBearer` port); [`bearer_token`](Self::bearer_token) adds
///   `Authorization: Bearer` (OAuth). With neither, authentication is the HTTP stack's
///   (`WebTicketServiceWinNegotiate`).
///
/// ```
/// use webticket::crypto::ClientEntropy;
/// use webticket::soap::Uuid;
/// use webticket::webticket::IssueTokenRequest;
///
/// let entropy = ClientEntropy::from_bytes([0; 32]);
/// let addr = "alice@contoso.com".parse()?;
/// let req = IssueTokenRequest::new(
///     "https://pool.contoso.com/WebTicket/WebTicketService.svc/WinNegotiate",
///     "https://pool.contoso.com/Autodiscover/AutodiscoverService.svc/root/user",
///     Uuid::from_random_bytes([7; 16]),
/// )
/// .claims(&addr)
/// .proof_key(&entropy)
/// .build()?;
/// assert_eq!(req.header("SOAPAction"), Some("\"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\""));
/// assert!(req.body_str().unwrap().contains("<auth:Value>sip:alice@contoso.com</auth:Value>"));
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IssueTokenRequest<'a> {
    endpoint: &'a str,
    applies_to: &'a str,
    context: Uuid,
    claims: Option<&'a SipAddress>,
    entropy: Option<&'a ClientEntropy>,
    auth: RstAuth<'a>,
}

impl<'a> IssueTokenRequest<'a> {
    /// A request to `endpoint` (the port location) for a ticket that applies to
    /// `applies_to` (the URL of the service that will consume it: the autodiscover User
    /// URL, or the certificate-provisioning port location). `context` is the RST
    /// `Context` (a fresh UUID).
    pub fn new(endpoint: &'a str, applies_to: &'a str, context: Uuid) -> Self {
        Self {
            endpoint,
            applies_to,
            context,
            claims: None,
            entropy: None,
            auth: RstAuth::None,
        }
    }

    /// Adds the `sip:` URI claim (the Lync clients always send it).
    pub fn claims(mut self, addr: &'a SipAddress) -> Self {
        self.claims = Some(addr);
        self
    }

    /// Requests a proof key, sending `entropy`.
    pub fn proof_key(mut self, entropy: &'a ClientEntropy) -> Self {
        self.entropy = Some(entropy);
        self
    }

    /// Adds a SOAP header with WS-Addressing (`message_id` as `wsa:MessageID`) and this
    /// `wsse:Security` content (e.g. [`OrgIdToken::security_header`](crate::orgid::OrgIdToken::security_header)).
    pub fn security(mut self, security: &'a SecurityHeader, message_id: Uuid) -> Self {
        self.auth = RstAuth::Security(security, message_id);
        self
    }

    /// Sends an OAuth 2.0 access token in `Authorization: Bearer` (\[MS-OCAUTHWS\] 3.2). Which
    /// web-ticket port accepts it is UNCONFIRMED; see [`WebTicketEndpoints::oauth`].
    pub fn bearer_token(mut self, token: &'a SecretString) -> Self {
        self.auth = RstAuth::Bearer(token);
        self
    }

    /// The SOAP envelope.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidXmlChar`] when a URL or the SIP address cannot be written.
    pub fn to_xml(&self) -> Result<String, Error> {
        let mut w = XmlWriter::with_capacity(1024);
        let context = self.context.to_string();
        w.open("wst:RequestSecurityToken", &[("Context", &context)]);
        w.leaf("wst:TokenType", &[], soap::SAML11_TOKEN_TYPE);
        w.leaf("wst:RequestType", &[], REQUEST_TYPE_ISSUE);
        w.open("wsp:AppliesTo", &[])
            .open("wsa:EndpointReference", &[])
            .leaf("wsa:Address", &[], self.applies_to)
            .close("wsa:EndpointReference")
            .close("wsp:AppliesTo");
        if let Some(addr) = self.claims {
            w.open("wst:Claims", &[("Dialect", CLAIMS_DIALECT)])
                .open(
                    "auth:ClaimType",
                    &[("Uri", CLAIM_TYPE_URI), ("Optional", "false")],
                )
                .leaf("auth:Value", &[], &addr.sip_uri())
                .close("auth:ClaimType")
                .close("wst:Claims");
        }
        match self.entropy {
            Some(e) => {
                w.open("wst:Entropy", &[])
                    .leaf("wst:BinarySecret", &[], &e.to_base64())
                    .close("wst:Entropy");
                w.leaf("wst:KeyType", &[], KEY_TYPE_SYMMETRIC);
            }
            None => {
                w.leaf("wst:KeyType", &[], KEY_TYPE_BEARER);
            }
        }
        w.close("wst:RequestSecurityToken");
        let body = w.finish()?;
        let (addressing, security) = match self.auth {
            RstAuth::Security(s, id) => (
                Some(Addressing {
                    to: self.endpoint,
                    action: ISSUE_ACTION,
                    message_id: id,
                }),
                Some(s),
            ),
            _ => (None, None),
        };
        SoapMessage {
            version: SoapVersion::Soap11,
            namespaces: &[("wst", ns::WST), ("wsp", ns::WSP), ("auth", ns::AUTH)],
            addressing,
            security,
            body: &body,
        }
        .to_xml()
    }

    /// The HTTP request: `POST` to the endpoint, `Content-Type: text/xml; charset=utf-8`,
    /// `SOAPAction: "…/RST/Issue"`.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidUrl`] for a bad endpoint, the errors of
    /// [`to_xml`](Self::to_xml), [`MisuseError::InvalidHeaderValue`] for a bearer token with
    /// control characters.
    pub fn build(&self) -> Result<HttpRequest, Error> {
        let mut req = soap::soap_http_request(
            self.endpoint,
            SoapContentType::TextXml,
            ISSUE_ACTION,
            self.to_xml()?,
        )?;
        if let RstAuth::Bearer(t) = self.auth {
            check_header_value("bearer token", t.dangerous_expose())?;
            req = req.with_header("Authorization", format!("Bearer {}", t.dangerous_expose()))?;
        }
        Ok(req)
    }
}

/// The validity period of a token (`wst:Lifetime`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lifetime {
    /// `wsu:Created`.
    pub created: UnixTime,
    /// `wsu:Expires`.
    pub expires: UnixTime,
    /// Both values in their original lexical form, as a timestamp.
    pub timestamp: Timestamp,
}

impl Lifetime {
    /// Whether the token is still usable at `now` with more than `margin` seconds left
    /// (`now + margin < expires`). `Created` is not checked: a server clock ahead of the
    /// client's is harmless.
    pub fn is_valid_at(&self, now: UnixTime, margin: i64) -> bool {
        self.expires.since(now) > margin
    }
}

pub(crate) fn parse_lifetime(el: Element<'_, '_>) -> Result<Lifetime, Error> {
    let created = el
        .child(ns::WSU, "Created")
        .ok_or_else(|| missing("wsu:Created"))?;
    let expires = el
        .child(ns::WSU, "Expires")
        .ok_or_else(|| missing("wsu:Expires"))?;
    lifetime_from(
        created.text_trimmed(),
        expires.text_trimmed(),
        "wst:Lifetime",
    )
}

fn lifetime_from(created: &str, expires: &str, what: &'static str) -> Result<Lifetime, Error> {
    let c = UnixTime::parse_xsd_datetime(created).ok_or_else(|| invalid(what))?;
    let e = UnixTime::parse_xsd_datetime(expires).ok_or_else(|| invalid(what))?;
    if e <= c {
        return Err(invalid(what));
    }
    Ok(Lifetime {
        created: c,
        expires: e,
        // Both strings were just parsed as xsd:dateTime above.
        timestamp: Timestamp::from_checked(created, expires),
    })
}

/// The `RequestSecurityTokenResponse` carrying a token: the first one (WS-Trust 1.3 or
/// February 2005, inside a collection or not) that has a `RequestedSecurityToken`.
pub(crate) fn find_rstr<'d, 'a>(doc: &'d Document<'a>) -> Result<Element<'d, 'a>, Error> {
    let body = soap::body(doc)?;
    body.descendants()
        .filter(|e| e.is([ns::WST, ns::WST_2005], "RequestSecurityTokenResponse"))
        .find(|e| e.child(e.namespace(), "RequestedSecurityToken").is_some())
        .ok_or_else(|| missing("wst:RequestSecurityTokenResponse with a token"))
}

/// A web ticket: the SAML assertion issued by the web-ticket service, its lifetime and, for
/// holder-of-key tickets, the proof key.
///
/// `Debug` shows the assertion id and lifetime only: the assertion is a bearer credential.
///
/// ```
/// use webticket::webticket::WebTicket;
///
/// let rstr = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
/// <wst:RequestSecurityTokenResponse xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
///  <wst:RequestedSecurityToken><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="A1">x</saml:Assertion></wst:RequestedSecurityToken>
///  <wst:Lifetime><wsu:Created xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">2026-01-01T00:00:00Z</wsu:Created><wsu:Expires xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">2026-01-01T08:00:00Z</wsu:Expires></wst:Lifetime>
/// </wst:RequestSecurityTokenResponse></s:Body></s:Envelope>"#;
/// let t = WebTicket::parse(rstr, None)?;
/// assert_eq!(t.assertion_id(), "A1");
/// assert_eq!(t.assertion_xml(), r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="A1">x</saml:Assertion>"#);
/// assert!(t.header_value().starts_with("opaque=PHNhbWw6"));
/// assert!(t.proof_key().is_none());
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebTicket {
    assertion: String,
    assertion_id: String,
    lifetime: Lifetime,
    proof_key: Option<ProofKey>,
    token_type: Option<String>,
    applies_to: Option<String>,
}

impl fmt::Debug for WebTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebTicket")
            .field("assertion_id", &self.assertion_id)
            .field("lifetime", &self.lifetime)
            .field("proof_key", &self.proof_key.is_some())
            .field("applies_to", &self.applies_to)
            .finish_non_exhaustive()
    }
}

impl WebTicket {
    /// Checks the HTTP response with [`soap::check_response`] (faults whatever the status,
    /// `X-Ms-diagnostics` on errors), then parses the body as [`parse`](Self::parse) does.
    ///
    /// # Errors
    ///
    /// [`ServerError`](crate::error::ServerError) for faults and HTTP errors, else as
    /// [`parse`](Self::parse).
    pub fn from_response(
        resp: &HttpResponse<'_>,
        entropy: Option<&ClientEntropy>,
    ) -> Result<Self, Error> {
        let doc = soap::check_response(resp, &XmlLimits::default())?;
        Self::from_document(&doc, entropy)
    }

    /// Parses an `IssueToken` response body (RSTR or RSTR collection).
    ///
    /// - The SAML assertion (1.1 `AssertionID` or 2.0 `ID`) is kept byte for byte (only if
    ///   it relied on namespace declarations of its ancestors are those inserted into its
    ///   start tag, see [`Element::raw_standalone`](crate::xml::Element::raw_standalone)).
    /// - The lifetime comes from `wst:Lifetime`, or when absent from the assertion's
    ///   `Conditions` (`NotBefore`/`NotOnOrAfter`).
    /// - The proof key: `wst:RequestedProofToken/wst:BinarySecret` when the server issued
    ///   the key, else `P_SHA1(client entropy, wst:Entropy/wst:BinarySecret)` when the
    ///   server sent entropy. Its length is `wst:KeySize`/8 when a `KeySize` between 128 and
    ///   512 bits is given, else 32 bytes (SIPE's choice: the client entropy length).
    ///
    /// An expired lifetime is not an error here (this function has no clock); check
    /// [`is_valid_at`](Self::is_valid_at).
    ///
    /// # Errors
    ///
    /// [`ServerError::Fault`](crate::error::ServerError::Fault) for a SOAP fault (even in a
    /// `200`), XML errors, [`MalformedError::Missing`](crate::error::MalformedError::Missing) / [`MalformedError::Invalid`](crate::error::MalformedError::Invalid) for
    /// missing or bad elements, [`MisuseError::ProofKeyMismatch`] when the server sent
    /// entropy but `entropy` is `None`.
    pub fn parse(body: &[u8], entropy: Option<&ClientEntropy>) -> Result<Self, Error> {
        let doc = Document::parse(body, &XmlLimits::default())?;
        if let Some(f) = SoapFault::from_document(&doc) {
            return Err(f.into());
        }
        Self::from_document(&doc, entropy)
    }

    fn from_document(doc: &Document<'_>, entropy: Option<&ClientEntropy>) -> Result<Self, Error> {
        let rstr = find_rstr(doc)?;
        let wst = rstr.namespace();
        // One pass over the RSTR's children; the first of each name counts.
        let (mut requested, mut lifetime_el, mut key_size, mut proof_token) =
            (None, None, None, None);
        let (mut entropy_el, mut token_type, mut applies_to_el) = (None, None, None);
        for c in rstr.children() {
            let slot = if c.same_namespace(&rstr) {
                match c.local_name() {
                    "RequestedSecurityToken" => &mut requested,
                    "Lifetime" => &mut lifetime_el,
                    "KeySize" => &mut key_size,
                    "RequestedProofToken" => &mut proof_token,
                    "Entropy" => &mut entropy_el,
                    "TokenType" => &mut token_type,
                    _ => continue,
                }
            } else if c.is([ns::WSP, ns::WSP_15], "AppliesTo") {
                &mut applies_to_el
            } else {
                continue;
            };
            slot.get_or_insert(c);
        }
        let token = requested
            .and_then(|t: Element<'_, '_>| t.children().next())
            .ok_or_else(|| missing("wst:RequestedSecurityToken content"))?;
        let assertion_id = if token.is(ns::SAML1, "Assertion") {
            token.attr("", "AssertionID")
        } else if token.is(ns::SAML2, "Assertion") {
            token.attr("", "ID")
        } else {
            return Err(invalid("wst:RequestedSecurityToken (not a saml:Assertion)"));
        }
        .filter(|id| !id.is_empty())
        .ok_or_else(|| missing("saml:Assertion AssertionID"))?;

        let lifetime = match lifetime_el {
            Some(l) => parse_lifetime(l)?,
            None => {
                let cond = token
                    .child([ns::SAML1, ns::SAML2], "Conditions")
                    .ok_or_else(|| missing("wst:Lifetime"))?;
                lifetime_from(
                    cond.attr("", "NotBefore")
                        .ok_or_else(|| missing("wst:Lifetime"))?,
                    cond.attr("", "NotOnOrAfter")
                        .ok_or_else(|| missing("wst:Lifetime"))?,
                    "saml:Conditions",
                )?
            }
        };

        let key_len = key_size
            .and_then(|k: Element<'_, '_>| k.text_trimmed().parse::<usize>().ok())
            .filter(|bits| (128..=512).contains(bits) && bits % 8 == 0)
            .map_or(ENTROPY_LEN, |bits| bits / 8);
        let server_entropy = entropy_el
            .and_then(|e: Element<'_, '_>| e.child(wst, "BinarySecret"))
            .map(|s| b64_decode(s.text()).ok_or_else(|| invalid("wst:Entropy")))
            .transpose()?;
        let proof_key = if let Some(secret) =
            proof_token.and_then(|p: Element<'_, '_>| p.child(wst, "BinarySecret"))
        {
            let bytes =
                b64_decode(secret.text()).ok_or_else(|| invalid("wst:RequestedProofToken"))?;
            if bytes.is_empty() {
                return Err(invalid("wst:RequestedProofToken"));
            }
            Some(ProofKey::from_issued(bytes))
        } else {
            if let Some(ck) = proof_token.and_then(|p| p.child(wst, "ComputedKey")) {
                let alg = ck.text_trimmed();
                if !(alg == CK_PSHA1
                    || alg == "http://schemas.xmlsoap.org/ws/2005/02/trust/CK/PSHA1")
                {
                    return Err(invalid("wst:ComputedKey algorithm"));
                }
                if server_entropy.is_none() {
                    return Err(missing("wst:Entropy"));
                }
            }
            match (server_entropy, entropy) {
                (Some(server), Some(client)) => {
                    if server.is_empty() {
                        return Err(invalid("wst:Entropy"));
                    }
                    let key = crate::crypto::p_sha1(client.dangerous_as_bytes(), &server, key_len);
                    Some(ProofKey::from_derived(key))
                }
                (Some(_), None) => {
                    return Err(MisuseError::ProofKeyMismatch {
                        reason: "the server sent entropy but no client entropy was passed",
                    }
                    .into());
                }
                (None, _) => None,
            }
        };

        let applies_to = applies_to_el
            .and_then(|a: Element<'_, '_>| a.find([ns::WSA, ns::WSA_2004], "Address"))
            .map(|a| a.text_trimmed().to_owned());
        Ok(Self {
            assertion: token.raw_standalone().into_owned(),
            assertion_id: assertion_id.to_owned(),
            lifetime,
            proof_key,
            token_type: token_type.map(|t: Element<'_, '_>| t.text_trimmed().to_owned()),
            applies_to,
        })
    }

    /// The assertion XML, verbatim.
    pub fn assertion_xml(&self) -> &str {
        &self.assertion
    }

    /// `AssertionID` (SAML 1.1) or `ID` (SAML 2.0).
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// The lifetime.
    pub fn lifetime(&self) -> &Lifetime {
        &self.lifetime
    }

    /// When the ticket expires.
    pub fn expires(&self) -> UnixTime {
        self.lifetime.expires
    }

    /// Whether the ticket can still be used at `now` with `margin` seconds to spare (SIPE
    /// reuses tickets with at least 60 s left).
    pub fn is_valid_at(&self, now: UnixTime, margin: i64) -> bool {
        self.lifetime.is_valid_at(now, margin)
    }

    /// The proof key of a holder-of-key ticket.
    pub fn proof_key(&self) -> Option<&ProofKey> {
        self.proof_key.as_ref()
    }

    /// `wst:TokenType`, if sent.
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// The `AppliesTo` address of the response, if sent.
    pub fn applies_to(&self) -> Option<&str> {
        self.applies_to.as_deref()
    }

    /// The `X-MS-WebTicket` header value: `opaque=<base64 of the assertion XML>`.
    pub fn header_value(&self) -> String {
        format!("opaque={}", b64(self.assertion.as_bytes()))
    }

    /// The `wsse:Security` content for a SOAP service: signed with the proof key when the
    /// ticket has one (holder-of-key), else timestamp + assertion. The timestamp is the
    /// ticket lifetime, as Lync clients send it.
    ///
    /// # Errors
    ///
    /// See [`SecurityHeader::signed`].
    pub fn security_header(&self) -> Result<SecurityHeader, Error> {
        match &self.proof_key {
            Some(k) => SecurityHeader::signed(
                &self.lifetime.timestamp,
                &self.assertion,
                &self.assertion_id,
                k,
            ),
            None => Ok(self.bearer_security_header()),
        }
    }

    /// Timestamp + assertion, unsigned (for `SignedSupportingTokens` policies).
    pub fn bearer_security_header(&self) -> SecurityHeader {
        SecurityHeader::bearer(&self.lifetime.timestamp, &self.assertion)
    }

    /// Timestamp + assertion + signature with an explicit timestamp (e.g. `now` to
    /// `now + 5 min`) instead of the ticket lifetime.
    ///
    /// # Errors
    ///
    /// [`MisuseError::ProofKeyMismatch`] when the ticket has no proof key.
    pub fn signed_security_header(&self, timestamp: &Timestamp) -> Result<SecurityHeader, Error> {
        let key = self
            .proof_key
            .as_ref()
            .ok_or(MisuseError::ProofKeyMismatch {
                reason: "the ticket has no proof key",
            })?;
        SecurityHeader::signed(timestamp, &self.assertion, &self.assertion_id, key)
    }
}

impl crate::cache::Expiring for WebTicket {
    fn expires(&self) -> UnixTime {
        self.lifetime.expires
    }
}

/// The `wsse:Security` content of an RST to a proof-policy service, for callers that hold
/// the pieces separately (server emulators, tests): the ticket's lifetime as timestamp, the
/// assertion, and the HMAC-SHA1 signature.
///
/// # Errors
///
/// See [`SecurityHeader::signed`].
pub fn sign_assertion(
    lifetime: &Lifetime,
    assertion_xml: &str,
    assertion_id: &str,
    key: &ProofKey,
) -> Result<SecurityHeader, Error> {
    SecurityHeader::signed(&lifetime.timestamp, assertion_xml, assertion_id, key)
}
