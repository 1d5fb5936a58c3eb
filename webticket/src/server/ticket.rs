//! The web-ticket service (\[MS-OCAUTHWS\] 3.2): answers the WS-Trust `IssueToken` request
//! with a SAML 1.1 web ticket, remembers every ticket it issued, and checks the tickets
//! that clients present later (autodiscover's `X-MS-WebTicket` header, the `wsse:Security`
//! header of certificate provisioning).
//!
//! ```text
//!  GET  <service>/mex            ─► MEX: WebTicketServiceWinNegotiate, WsFedBearer, WebTicketServiceOAuth
//!  POST <service>/WinNegotiate   ─► no Authorization ─► 401 WWW-Authenticate: Basic realm="…"
//!       + Authorization: Basic   ─► authenticate(Basic{user, password}) ─► RSTR | 401 | 403
//!  POST <service>/WsFedBearer    ─► wsse:Security: xenc:EncryptedData | saml:Assertion | UsernameToken
//!                                   ─► authenticate(...) ─► RSTR | SOAP fault + X-Ms-diagnostics
//!  POST <service>/OAuth          ─► Authorization: Bearer ─► authenticate(Bearer) ─► RSTR | 401
//!
//!  RSTR: saml:Assertion (AssertionID, Issuer, Conditions, AttributeStatement sip:…)
//!        + ComputedKey PSHA1 + Entropy/BinarySecret (32 server bytes) + Lifetime + AppliesTo
//!  store: AssertionID ─► exact assertion bytes, user, AppliesTo, lifetime, proof key
//!  later: verify_header("opaque=<b64>") · verify_assertion(xml) · lookup(AssertionID)
//! ```
//!
//! # What it does and does not do
//!
//! - **Credentials are the caller's.** Every presented credential (HTTP `Basic`, HTTP
//!   `Bearer`, an OrgID `xenc:EncryptedData` kept verbatim, a SAML assertion, a
//!   `wsse:UsernameToken`) goes to the caller's `authenticate` callback, which answers
//!   with the user's SIP address or an [`AuthFailure`]. This module never decrypts or
//!   validates tokens itself, and it does not do `Negotiate`/`NTLM` (it can list them in
//!   the challenge, see [`TicketServiceConfig::advertise_negotiate`], but only `Basic`
//!   completes).
//! - **Tickets are unsigned but unforgeable in effect** (emulator choice, UNCONFIRMED
//!   against a real Lync server, which signs them): a ticket is accepted only if its
//!   assertion is byte-identical to one this service issued, unexpired, and (when the
//!   consumer asks) issued for the consumer's URL. Consumers that need a signature check
//!   (certificate provisioning) verify the `wsse:Security` signature with
//!   [`IssuedTicket::proof_key`] themselves.
//! - **Bounded.** At most [`TicketServiceConfig::max_tickets`] tickets are remembered;
//!   expired ones are purged on every issue, and when the store is still full the ticket
//!   that expires soonest is dropped. Request bodies go through the crate's safe XML reader
//!   with its default limits.
//! - **Sans-IO.** The caller's HTTP server builds a [`ServerRequest`], passes the current
//!   time and a CSPRNG, and sends the [`ServerResponse`] back.
//!
//! # Wire choices made for SIPE
//!
//! SIPE reads the RSTR as text: it looks for the literal strings `<Lifetime`,
//! `<BinarySecret`, `<saml:Assertion` and (inside the lifetime) `<Expires`. The RSTR
//! therefore puts the WS-Trust elements in the default namespace, `wsu:Created` /
//! `wsu:Expires` as `<Created xmlns="…utility…">`, the assertion with the `saml` prefix,
//! and exactly one `BinarySecret` (the server entropy). The lifetime is written in
//! canonical form, so the `wsu:Timestamp` SIPE builds from it is canonical too.
//!
//! # Example
//!
//! ```
//! # struct DemoRng(u8);
//! # impl rand_core::RngCore for DemoRng {
//! #     fn next_u32(&mut self) -> u32 { rand_core::impls::next_u32_via_fill(self) }
//! #     fn next_u64(&mut self) -> u64 { rand_core::impls::next_u64_via_fill(self) }
//! #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.0; self.0 = self.0.wrapping_add(1); } }
//! #     fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core::Error> { self.fill_bytes(d); Ok(()) }
//! # }
//! # impl rand_core::CryptoRng for DemoRng {}
//! use webticket::crypto::ClientEntropy;
//! use webticket::http::HttpResponse;
//! use webticket::server::ServerRequest;
//! use webticket::server::ticket::{AuthFailure, PresentedCredential, TicketService, TicketServiceConfig};
//! use webticket::soap::Uuid;
//! use webticket::webticket::{IssueTokenRequest, WebTicket};
//! use webticket::UnixTime;
//!
//! let config = TicketServiceConfig::new("https://pool.contoso.com/WebTicket/WebTicketService.svc")?;
//! let mut service = TicketService::new(config);
//! let now = UnixTime(1_767_225_600);
//! let user_url = "https://pool.contoso.com/Autodiscover/AutodiscoverService.svc/root/user";
//!
//! // The client side builds the RST for the WinNegotiate port...
//! let endpoint = service.config().port_url(webticket::server::ticket::TicketPort::WinNegotiate);
//! let entropy = ClientEntropy::from_bytes([7; 32]);
//! let rst = IssueTokenRequest::new(&endpoint, user_url, Uuid::from_random_bytes([1; 16]))
//!     .proof_key(&entropy)
//!     .build()?;
//! let path = &rst.url["https://pool.contoso.com".len()..];
//! let req = ServerRequest::new("POST", path)
//!     .header("Authorization", "Basic YWxpY2VAY29udG9zby5jb206c2VjcmV0") // alice@contoso.com:secret
//!     .body(&rst.body);
//! // ...the service authenticates through the callback and issues a ticket...
//! let mut rng = DemoRng(0); // in production: a CSPRNG such as `rand::rngs::OsRng`
//! let resp = service.handle(&req, now, &mut rng, &mut |a| match a.credential {
//!     PresentedCredential::Basic { username, password }
//!         if username == "alice@contoso.com" && password.dangerous_expose() == "secret" =>
//!     {
//!         Ok("alice@contoso.com".parse().unwrap())
//!     }
//!     _ => Err(AuthFailure::WrongPassword),
//! });
//! assert_eq!(resp.status, 200);
//!
//! // ...which the client reads back with the same proof key as the service.
//! let ticket = WebTicket::from_response(&HttpResponse::new(200, &resp.body), Some(&entropy))?;
//! let issued = service.verify_header(&ticket.header_value(), Some(user_url), now).unwrap();
//! assert_eq!(issued.user().as_str(), "alice@contoso.com");
//! assert_eq!(issued.proof_key(), ticket.proof_key());
//! # Ok::<(), webticket::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::autodiscover::SipAddress;
use crate::crypto::{ProofKey, SecretString, b64, b64_decode, p_sha1};
use crate::error::Error;
use crate::http::{Url, require_url};
use crate::server::{ServerRequest, ServerResponse, mex};
use crate::soap::{self, ns};
use crate::time::UnixTime;
use crate::webticket::{CK_PSHA1, CLAIM_TYPE_URI, KEY_TYPE_BEARER, KEY_TYPE_SYMMETRIC};
use crate::xml::{Document, XmlLimits, XmlWriter};

/// Default ticket lifetime: 8 hours (typical; the real value is UNCONFIRMED).
pub const DEFAULT_LIFETIME_SECS: i64 = 8 * 3600;
/// Default bound of the ticket store.
pub const DEFAULT_MAX_TICKETS: usize = 10_000;
/// Default largest accepted client entropy, in bytes (SIPE and Lync send 32).
pub const DEFAULT_MAX_ENTROPY: usize = 128;
/// Smallest accepted client entropy, in bytes (128 bits).
pub const MIN_ENTROPY: usize = 16;
/// Length of the server entropy and of the proof key for 32-byte client entropy.
pub const SERVER_ENTROPY_LEN: usize = 32;
/// Largest assertion accepted by [`TicketService::verify_header`] and
/// [`TicketService::verify_assertion`].
pub const MAX_ASSERTION_LEN: usize = 64 * 1024;
/// The namespace written on the `af:` diagnostics fault detail. UNCONFIRMED: \[MS-OCAUTHWS\]
/// 2.2.4.1 names the type but the namespace URI was not readable; clients (this crate,
/// SIPE) match the local names only.
pub const AF_NAMESPACE: &str = "http://schemas.microsoft.com/OCS/AuthWebServices/";

const CONTENT_TYPE: &str = "text/xml; charset=utf-8";
const ISSUE_200512: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue";
const ISSUE_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue";
const NONCE_TYPE: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Nonce";
const SAML_TOKEN_TYPES: [&str; 2] = [
    soap::SAML11_TOKEN_TYPE,
    "urn:oasis:names:tc:SAML:1.0:assertion",
];

/// The endpoints (WSDL ports) of the service, each with its own credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TicketPort {
    /// `WebTicketServiceWinNegotiate` at `<service>/WinNegotiate`: HTTP `Basic` (the
    /// emulator's stand-in for Integrated Windows authentication; SIPE falls back to it).
    WinNegotiate,
    /// `WsFedBearer` at `<service>/WsFedBearer`: a token in the SOAP `wsse:Security`
    /// header (OrgID `EncryptedData`, SAML assertion or `UsernameToken`).
    WsFedBearer,
    /// [`mex::PORT_OAUTH`] at `<service>/OAuth`: `Authorization: Bearer` (UNCONFIRMED port).
    OAuth,
}

impl TicketPort {
    fn suffix(self) -> &'static str {
        match self {
            Self::WinNegotiate => "WinNegotiate",
            Self::WsFedBearer => "WsFedBearer",
            Self::OAuth => "OAuth",
        }
    }
}

/// Settings of a [`TicketService`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketServiceConfig {
    service_url: String,
    source: String,
    realm: String,
    lifetime_secs: i64,
    max_tickets: usize,
    max_entropy: usize,
    advertise_negotiate: bool,
    oauth: bool,
}

impl TicketServiceConfig {
    /// Settings for the service at `service_url` (the `X-MS-WebTicketURL`, e.g.
    /// `https://pool.contoso.com/WebTicket/WebTicketService.svc`). Its host is used as the
    /// `Basic` realm and as the `source` of `X-Ms-diagnostics`.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidUrl`](crate::error::MisuseError::InvalidUrl) when the URL is
    /// not absolute `http(s)` (or holds a query): fix the configuration.
    pub fn new(service_url: &str) -> Result<Self, Error> {
        let url = require_url(service_url)?;
        if url.rest.contains(['?', '#']) {
            return Err(crate::error::MisuseError::InvalidUrl {
                url: service_url.to_owned(),
            }
            .into());
        }
        let host = host_of(url.authority).to_owned();
        Ok(Self {
            service_url: service_url.trim_end_matches('/').to_owned(),
            source: host.clone(),
            realm: host,
            lifetime_secs: DEFAULT_LIFETIME_SECS,
            max_tickets: DEFAULT_MAX_TICKETS,
            max_entropy: DEFAULT_MAX_ENTROPY,
            advertise_negotiate: false,
            oauth: true,
        })
    }

    /// Ticket lifetime in seconds (default 8 h; values below 60 s are raised to 60 s).
    pub fn lifetime_secs(mut self, secs: i64) -> Self {
        self.lifetime_secs = secs.max(60);
        self
    }

    /// Most tickets remembered at once (default 10 000; at least 1).
    pub fn max_tickets(mut self, n: usize) -> Self {
        self.max_tickets = n.max(1);
        self
    }

    /// Largest client entropy accepted, in bytes (default 128, at least 32).
    pub fn max_entropy(mut self, bytes: usize) -> Self {
        self.max_entropy = bytes.max(SERVER_ENTROPY_LEN);
        self
    }

    /// The `Basic` realm (default: the service host). Quotes and control characters are
    /// dropped when it is written.
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = realm.to_owned();
        self
    }

    /// The `source` of `X-Ms-diagnostics` (default: the service host).
    pub fn source(mut self, source: &str) -> Self {
        self.source = source.to_owned();
        self
    }

    /// Also list `Negotiate` and `NTLM` in the `401` of the WinNegotiate port (default
    /// `false`). Leave it off for SIPE: SIPE prefers `Negotiate`/`NTLM` over `Basic` when
    /// they are offered, and this module cannot complete either.
    pub fn advertise_negotiate(mut self, yes: bool) -> Self {
        self.advertise_negotiate = yes;
        self
    }

    /// Publish and serve the OAuth port (default `true`).
    pub fn oauth_port(mut self, yes: bool) -> Self {
        self.oauth = yes;
        self
    }

    /// The service URL (no trailing slash): the issuer of every ticket.
    pub fn service_url(&self) -> &str {
        &self.service_url
    }

    /// The configured lifetime in seconds.
    pub fn lifetime(&self) -> i64 {
        self.lifetime_secs
    }

    /// The location of `port`: `<service>/WinNegotiate`, `<service>/WsFedBearer`,
    /// `<service>/OAuth`.
    pub fn port_url(&self, port: TicketPort) -> String {
        format!("{}/{}", self.service_url, port.suffix())
    }

    /// The URL of the MEX document, `<service>/mex`.
    pub fn mex_url(&self) -> String {
        format!("{}/mex", self.service_url)
    }
}

/// A credential presented to the service, handed to the caller's `authenticate` callback.
///
/// `Debug` shows the kind and the user name only.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum PresentedCredential<'a> {
    /// `Authorization: Basic` (WinNegotiate port). `username` is as sent: SIPE sends its
    /// login name, which may be `user@domain` or `DOMAIN\user`.
    Basic {
        /// The user name.
        username: &'a str,
        /// The password.
        password: &'a SecretString,
    },
    /// `Authorization: Bearer` (OAuth port).
    Bearer(&'a SecretString),
    /// An OrgID token from `wsse:Security` (WsFedBearer port): the `xenc:EncryptedData`
    /// element verbatim (self-contained), exactly as the client received it from `RST2.srf`.
    OrgIdToken(&'a str),
    /// A SAML assertion (1.1 or 2.0) from `wsse:Security`, verbatim (self-contained).
    SamlAssertion(&'a str),
    /// A `wsse:UsernameToken` from `wsse:Security`.
    UsernameToken {
        /// `wsse:Username`.
        username: &'a str,
        /// `wsse:Password`.
        password: &'a SecretString,
    },
}

impl fmt::Debug for PresentedCredential<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username:?}, [redacted])"),
            Self::Bearer(_) => f.write_str("Bearer([redacted])"),
            Self::OrgIdToken(_) => f.write_str("OrgIdToken([redacted])"),
            Self::SamlAssertion(_) => f.write_str("SamlAssertion([redacted])"),
            Self::UsernameToken { username, .. } => {
                write!(f, "UsernameToken({username:?}, [redacted])")
            }
        }
    }
}

impl PresentedCredential<'_> {
    /// Whether the credential came at the HTTP level (`Basic`, `Bearer`) rather than in
    /// the SOAP header.
    pub fn is_http_level(&self) -> bool {
        matches!(self, Self::Basic { .. } | Self::Bearer(_))
    }
}

/// What the `authenticate` callback is asked to check.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct AuthRequest<'a> {
    /// The port the request came to.
    pub port: TicketPort,
    /// The credential.
    pub credential: PresentedCredential<'a>,
    /// The `sip:` URI claimed in the RST (`wst:Claims`), if any. The service itself
    /// checks that the authenticated user equals it.
    pub claimed_user: Option<&'a SipAddress>,
    /// The `AppliesTo` address the ticket is requested for.
    pub applies_to: &'a str,
}

/// Why the `authenticate` callback refused a credential. Each maps to an
/// `X-Ms-diagnostics` error id (only 28000 is documented; the others are UNCONFIRMED
/// emulator choices) and to the answer the client sees: `401` (or `403` for
/// [`NotSipEnabled`](Self::NotSipEnabled)) for HTTP-level credentials, a SOAP fault with an
/// `af:Ms-Diagnostics-Fault` detail for tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailure {
    /// No such user (id 28020).
    UnknownUser,
    /// Wrong password or invalid token (id 28021).
    WrongPassword,
    /// The token has expired (id 28022).
    Expired,
    /// The user exists but is not enabled for SIP (id 28000, `403`).
    NotSipEnabled,
    /// Any other refusal, with a reason shown to the client (id 28023).
    Rejected(String),
}

impl AuthFailure {
    /// The `X-Ms-diagnostics` / `af:ErrorId` error id.
    pub fn error_id(&self) -> u32 {
        match self {
            Self::NotSipEnabled => 28000,
            Self::UnknownUser => 28020,
            Self::WrongPassword => 28021,
            Self::Expired => 28022,
            Self::Rejected(_) => 28023,
        }
    }

    /// The reason text sent to the client.
    pub fn reason(&self) -> &str {
        match self {
            Self::NotSipEnabled => "User is not SIP enabled.",
            Self::UnknownUser => "The user is unknown.",
            Self::WrongPassword => "The credentials are not valid.",
            Self::Expired => "The security token has expired.",
            Self::Rejected(r) => r,
        }
    }
}

/// Why a presented ticket was refused by [`TicketService::verify_header`],
/// [`verify_assertion`](TicketService::verify_assertion) or
/// [`lookup`](TicketService::lookup). Answer the client as the consumer's protocol says
/// (autodiscover: `401`; certificate provisioning: its own error).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TicketRejection {
    /// The header or XML is not a SAML assertion with an `AssertionID` (bad base64, not
    /// UTF-8, not XML, too large).
    #[error("not a web ticket")]
    Malformed,
    /// No ticket with this `AssertionID` was issued (or it was purged).
    #[error("unknown web ticket")]
    Unknown,
    /// The assertion differs from the issued one: it was altered.
    #[error("web ticket does not match the issued one")]
    Tampered,
    /// The ticket has expired.
    #[error("web ticket expired")]
    Expired,
    /// The ticket was issued for another `AppliesTo` URL.
    #[error("web ticket issued for another service")]
    WrongAudience,
}

/// A ticket the service issued, as remembered.
#[derive(Clone, Debug)]
pub struct IssuedTicket {
    assertion_id: String,
    assertion: String,
    user: SipAddress,
    applies_to: String,
    created: UnixTime,
    expires: UnixTime,
    proof_key: Option<ProofKey>,
    port: TicketPort,
}

impl IssuedTicket {
    /// `AssertionID`.
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// The assertion exactly as issued.
    pub fn assertion_xml(&self) -> &str {
        &self.assertion
    }

    /// The authenticated user.
    pub fn user(&self) -> &SipAddress {
        &self.user
    }

    /// The `AppliesTo` address the ticket was issued for.
    pub fn applies_to(&self) -> &str {
        &self.applies_to
    }

    /// Whether the ticket was issued for `url` (see [`applies_to_matches`]).
    pub fn applies_to_url(&self, url: &str) -> bool {
        applies_to_matches(&self.applies_to, url)
    }

    /// `wsu:Created` / `IssueInstant`.
    pub fn created(&self) -> UnixTime {
        self.created
    }

    /// `wsu:Expires` / `NotOnOrAfter`.
    pub fn expires(&self) -> UnixTime {
        self.expires
    }

    /// Whether the ticket is still valid at `now` (`now < expires`).
    pub fn is_valid_at(&self, now: UnixTime) -> bool {
        now < self.expires
    }

    /// The proof key `P_SHA1(client entropy, server entropy)` of a holder-of-key ticket
    /// (clone it to build e.g. certprov's `KnownTicket`); `None` for bearer tickets.
    pub fn proof_key(&self) -> Option<&ProofKey> {
        self.proof_key.as_ref()
    }

    /// The port it was issued on.
    pub fn port(&self) -> TicketPort {
        self.port
    }
}

/// Whether a ticket issued for `applies_to` may be used at `url`: scheme and host compared
/// case-insensitively, default ports ignored, paths compared case-insensitively (IIS
/// paths are), a trailing `/`, the query and the fragment ignored (so a User URL with
/// `?originalDomain=…` matches). Emulator choice; the real binding rule is UNCONFIRMED.
pub fn applies_to_matches(applies_to: &str, url: &str) -> bool {
    match (normalize_url(applies_to), normalize_url(url)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn normalize_url(u: &str) -> Option<String> {
    let p = Url::parse(u.trim())?;
    let scheme = p.scheme.to_ascii_lowercase();
    let authority = p.authority.to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default).unwrap_or(&authority);
    let path = p.rest.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/').to_ascii_lowercase();
    Some(format!("{scheme}://{authority}{path}"))
}

/// The web-ticket service (see the [module docs](self)).
#[derive(Debug)]
pub struct TicketService {
    config: TicketServiceConfig,
    tickets: HashMap<String, IssuedTicket>,
}

/// Where a request path leads, see [`TicketService::route`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TicketRoute {
    /// `<service>/mex`.
    Mex,
    /// One of the ports.
    Port(TicketPort),
}

/// An internal refusal: HTTP status, diagnostics id, reason, fault code.
struct Refusal {
    status: u16,
    id: u32,
    reason: Cow<'static, str>,
    code: FaultCode,
    /// Answer with a `401`/`403` and no body instead of a SOAP fault.
    http_level: bool,
}

#[derive(Clone, Copy)]
enum FaultCode {
    FailedAuthentication,
    InvalidRequest,
    Server,
}

impl FaultCode {
    fn text(self) -> &'static str {
        match self {
            Self::FailedAuthentication => "wsse:FailedAuthentication",
            Self::InvalidRequest => "wst:InvalidRequest",
            Self::Server => "s:Server",
        }
    }
}

impl Refusal {
    fn invalid(reason: &'static str) -> Self {
        Self {
            status: 500,
            id: 28030,
            reason: Cow::Borrowed(reason),
            code: FaultCode::InvalidRequest,
            http_level: false,
        }
    }

    fn internal() -> Self {
        Self {
            status: 500,
            id: 28001,
            reason: Cow::Borrowed("Internal error."),
            code: FaultCode::Server,
            http_level: false,
        }
    }

    fn auth(f: &AuthFailure, http_level: bool) -> Self {
        let status = match (http_level, f) {
            (true, AuthFailure::NotSipEnabled) => 403,
            (true, _) => 401,
            (false, _) => 500,
        };
        Self {
            status,
            id: f.error_id(),
            reason: Cow::Owned(f.reason().to_owned()),
            code: FaultCode::FailedAuthentication,
            http_level,
        }
    }
}

/// A parsed `IssueToken` request.
struct Rst {
    context: Option<String>,
    applies_to: String,
    claimed: Option<SipAddress>,
    entropy: Option<Zeroizing<Vec<u8>>>,
    proof: bool,
    token: Option<HeaderToken>,
    timestamp_expires: Option<UnixTime>,
}

enum HeaderToken {
    EncryptedData(String),
    Assertion(String),
    Username(String, SecretString),
}

impl TicketService {
    /// A service with no tickets.
    pub fn new(config: TicketServiceConfig) -> Self {
        Self {
            config,
            tickets: HashMap::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &TicketServiceConfig {
        &self.config
    }

    /// The service's MEX document (ports WinNegotiate, WsFedBearer and, when enabled,
    /// OAuth).
    pub fn mex(&self) -> mex::MexDocument {
        let oauth = self.config.port_url(TicketPort::OAuth);
        mex::web_ticket_service(
            &self.config.port_url(TicketPort::WinNegotiate),
            &self.config.port_url(TicketPort::WsFedBearer),
            self.config.oauth.then_some(oauth.as_str()),
        )
    }

    /// Where `path` (a request target; the query is ignored, case-insensitive, a trailing
    /// `/` ignored) leads: the MEX or a port. `None` for anything else.
    pub fn route(&self, path: &str) -> Option<TicketRoute> {
        let path = normalize_path(path);
        let of = |url: &str| Url::parse(url).map(|u| normalize_path(u.rest));
        if of(&self.config.mex_url()) == Some(path.clone()) {
            return Some(TicketRoute::Mex);
        }
        let mut ports = vec![TicketPort::WinNegotiate, TicketPort::WsFedBearer];
        if self.config.oauth {
            ports.push(TicketPort::OAuth);
        }
        ports
            .into_iter()
            .find(|p| of(&self.config.port_url(*p)) == Some(path.clone()))
            .map(TicketRoute::Port)
    }

    /// Answers any request to the service: `GET <service>/mex` with the MEX, `POST` to a
    /// port with [`issue`](Self::issue), `404` for unknown paths, `405` for other methods.
    pub fn handle(
        &mut self,
        req: &ServerRequest<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
        authenticate: &mut dyn FnMut(&AuthRequest<'_>) -> Result<SipAddress, AuthFailure>,
    ) -> ServerResponse {
        match self.route(req.path()) {
            Some(TicketRoute::Mex) if req.method.eq_ignore_ascii_case("GET") => {
                self.mex().to_response()
            }
            Some(TicketRoute::Mex) => ServerResponse::new(405).header("Allow", "GET"),
            Some(TicketRoute::Port(p)) => self.issue(p, req, now, rng, authenticate),
            None => ServerResponse::new(404),
        }
    }

    /// Answers an `IssueToken` request that arrived at `port` (see the
    /// [module docs](self) for the answers). Never fails: every problem becomes an HTTP
    /// error or a SOAP fault for the client.
    pub fn issue(
        &mut self,
        port: TicketPort,
        req: &ServerRequest<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
        authenticate: &mut dyn FnMut(&AuthRequest<'_>) -> Result<SipAddress, AuthFailure>,
    ) -> ServerResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            return ServerResponse::new(405).header("Allow", "POST");
        }
        // HTTP-level credential first: SIPE posts the RST without one and expects a 401.
        let authorization = req.get("authorization");
        let http_cred = match port {
            TicketPort::WinNegotiate => match authorization.and_then(parse_basic) {
                Some(c) => Some(c),
                None => return self.challenge(port, None),
            },
            TicketPort::OAuth => match authorization.and_then(parse_bearer) {
                Some(t) => Some((String::new(), t)),
                None => return self.challenge(port, None),
            },
            TicketPort::WsFedBearer => None,
        };
        let rst = match parse_rst(req.body, self.config.max_entropy) {
            Ok(r) => r,
            Err(reason) => return self.refuse(port, Refusal::invalid(reason)),
        };
        let credential = match (&http_cred, port) {
            (Some((u, p)), TicketPort::WinNegotiate) => PresentedCredential::Basic {
                username: u,
                password: p,
            },
            (Some((_, t)), _) => PresentedCredential::Bearer(t),
            (None, _) => {
                if rst.timestamp_expires.is_some_and(|e| e <= now) {
                    return self.refuse(port, Refusal::auth(&AuthFailure::Expired, false));
                }
                match &rst.token {
                    Some(HeaderToken::EncryptedData(x)) => PresentedCredential::OrgIdToken(x),
                    Some(HeaderToken::Assertion(x)) => PresentedCredential::SamlAssertion(x),
                    Some(HeaderToken::Username(u, p)) => PresentedCredential::UsernameToken {
                        username: u,
                        password: p,
                    },
                    None => {
                        return self.refuse(
                            port,
                            Refusal {
                                status: 500,
                                id: 28032,
                                reason: Cow::Borrowed("No security token in the request."),
                                code: FaultCode::FailedAuthentication,
                                http_level: false,
                            },
                        );
                    }
                }
            }
        };
        let http_level = credential.is_http_level();
        let auth = AuthRequest {
            port,
            credential,
            claimed_user: rst.claimed.as_ref(),
            applies_to: &rst.applies_to,
        };
        let user = match authenticate(&auth) {
            Ok(u) => u,
            Err(f) => return self.refuse(port, Refusal::auth(&f, http_level)),
        };
        if let Some(claimed) = &rst.claimed
            && !claimed.as_str().eq_ignore_ascii_case(user.as_str())
        {
            return self.refuse(
                port,
                Refusal {
                    status: if http_level { 403 } else { 500 },
                    id: 28031,
                    reason: Cow::Borrowed(
                        "The claimed SIP URI does not match the authenticated user.",
                    ),
                    code: FaultCode::FailedAuthentication,
                    http_level,
                },
            );
        }
        match self.issue_ticket(port, &rst, user, now, rng) {
            Ok(body) => ServerResponse::new(200).body(CONTENT_TYPE, body),
            Err(()) => self.refuse(port, Refusal::internal()),
        }
    }

    fn issue_ticket(
        &mut self,
        port: TicketPort,
        rst: &Rst,
        user: SipAddress,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<String, ()> {
        let mut assertion_id = None;
        for _ in 0..4 {
            let mut raw = [0u8; 16];
            rng.fill_bytes(&mut raw);
            let id = format!("SamlSecurityToken-{}", hex(&raw));
            if !self.tickets.contains_key(&id) {
                assertion_id = Some(id);
                break;
            }
        }
        let assertion_id = assertion_id.ok_or(())?;
        let created = now;
        let expires = now.plus(self.config.lifetime_secs);
        let mut server_entropy = Zeroizing::new([0u8; SERVER_ENTROPY_LEN]);
        let proof_key = match (&rst.entropy, rst.proof) {
            (Some(client), true) => {
                rng.fill_bytes(&mut server_entropy[..]);
                // Key length = client entropy length (SIPE's rule; 32 for every known
                // client, which makes it ProofKey::compute_psha1).
                let key = p_sha1(client, &server_entropy[..], client.len());
                Some(ProofKey::from_issued(key.to_vec()))
            }
            _ => None,
        };
        let assertion = assertion_xml(
            &assertion_id,
            &self.config.service_url,
            created,
            expires,
            &rst.applies_to,
            &user,
            proof_key.is_some(),
        )
        .map_err(|_| ())?;
        let body = rstr_xml(
            rst,
            &assertion,
            proof_key.as_ref().map(|_| &server_entropy[..]),
            created,
            expires,
        )
        .map_err(|_| ())?;
        self.insert(
            IssuedTicket {
                assertion_id,
                assertion,
                user,
                applies_to: rst.applies_to.clone(),
                created,
                expires,
                proof_key,
                port,
            },
            now,
        );
        Ok(body)
    }

    fn insert(&mut self, ticket: IssuedTicket, now: UnixTime) {
        self.purge_expired(now);
        while self.tickets.len() >= self.config.max_tickets {
            let soonest = self
                .tickets
                .values()
                .min_by_key(|t| (t.expires, t.assertion_id.clone()))
                .map(|t| t.assertion_id.clone());
            match soonest {
                Some(id) => {
                    self.tickets.remove(&id);
                }
                None => break,
            }
        }
        self.tickets.insert(ticket.assertion_id.clone(), ticket);
    }

    /// Forgets every ticket expired at `now`; returns how many were dropped.
    pub fn purge_expired(&mut self, now: UnixTime) -> usize {
        let before = self.tickets.len();
        self.tickets.retain(|_, t| t.is_valid_at(now));
        before - self.tickets.len()
    }

    /// Number of tickets remembered.
    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    /// Whether no ticket is remembered.
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }

    /// The unexpired ticket with this `AssertionID`, for consumers that check the
    /// presented assertion themselves (certificate provisioning: verify the signature with
    /// [`IssuedTicket::proof_key`], and prefer [`verify_assertion`](Self::verify_assertion)
    /// to also check the bytes).
    ///
    /// # Errors
    ///
    /// [`TicketRejection::Unknown`] or [`TicketRejection::Expired`]: refuse the request.
    pub fn lookup(
        &self,
        assertion_id: &str,
        now: UnixTime,
    ) -> Result<&IssuedTicket, TicketRejection> {
        let t = self
            .tickets
            .get(assertion_id)
            .ok_or(TicketRejection::Unknown)?;
        if t.is_valid_at(now) {
            Ok(t)
        } else {
            Err(TicketRejection::Expired)
        }
    }

    /// Checks a presented assertion (raw XML, as found in a `wsse:Security` header): it
    /// must be byte-identical to an issued, unexpired ticket, and when `audience` is given,
    /// that ticket must have been issued for it ([`applies_to_matches`]).
    ///
    /// # Errors
    ///
    /// A [`TicketRejection`]: refuse the request (autodiscover: `401`).
    pub fn verify_assertion(
        &self,
        assertion_xml: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<&IssuedTicket, TicketRejection> {
        if assertion_xml.len() > MAX_ASSERTION_LEN {
            return Err(TicketRejection::Malformed);
        }
        let limits = XmlLimits::default()
            .max_size(MAX_ASSERTION_LEN)
            .max_depth(16)
            .max_elements(256);
        let doc = Document::parse(assertion_xml.as_bytes(), &limits)
            .map_err(|_| TicketRejection::Malformed)?;
        let root = doc.root();
        let id = if root.is(ns::SAML1, "Assertion") {
            root.attr("", "AssertionID")
        } else {
            None
        }
        .ok_or(TicketRejection::Malformed)?;
        let t = self.tickets.get(id).ok_or(TicketRejection::Unknown)?;
        if !ct_eq(t.assertion.as_bytes(), assertion_xml.as_bytes()) {
            return Err(TicketRejection::Tampered);
        }
        if !t.is_valid_at(now) {
            return Err(TicketRejection::Expired);
        }
        if let Some(a) = audience
            && !t.applies_to_url(a)
        {
            return Err(TicketRejection::WrongAudience);
        }
        Ok(t)
    }

    /// Checks an `X-MS-WebTicket` header value, `opaque=<base64 of the assertion>` (the
    /// `opaque=` prefix is matched case-insensitively and may be absent), as
    /// [`verify_assertion`](Self::verify_assertion) does.
    ///
    /// # Errors
    ///
    /// A [`TicketRejection`]: refuse the request (autodiscover: `401`).
    pub fn verify_header(
        &self,
        header_value: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<&IssuedTicket, TicketRejection> {
        let v = header_value.trim();
        let v = match v.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("opaque=") => &v[7..],
            _ => v,
        };
        if v.len() > MAX_ASSERTION_LEN * 4 / 3 + 8 {
            return Err(TicketRejection::Malformed);
        }
        let bytes = b64_decode(v).ok_or(TicketRejection::Malformed)?;
        let xml = std::str::from_utf8(&bytes).map_err(|_| TicketRejection::Malformed)?;
        self.verify_assertion(xml, audience, now)
    }

    fn challenge(&self, port: TicketPort, refusal: Option<&Refusal>) -> ServerResponse {
        let realm = header_safe(&self.config.realm);
        let mut r = ServerResponse::new(401);
        match port {
            TicketPort::OAuth => {
                r = r.header("WWW-Authenticate", format!("Bearer realm=\"{realm}\""));
            }
            _ => {
                if self.config.advertise_negotiate {
                    r = r
                        .header("WWW-Authenticate", "Negotiate")
                        .header("WWW-Authenticate", "NTLM");
                }
                r = r.header("WWW-Authenticate", format!("Basic realm=\"{realm}\""));
            }
        }
        if let Some(f) = refusal {
            r = r.header("X-Ms-diagnostics", self.diagnostics(f));
        }
        r
    }

    fn diagnostics(&self, f: &Refusal) -> String {
        format!(
            "{};source=\"{}\";reason=\"{}\";fault=\"{}\"",
            f.id,
            header_safe(&self.config.source),
            header_safe(&f.reason),
            f.code.text()
        )
    }

    fn refuse(&self, port: TicketPort, f: Refusal) -> ServerResponse {
        if f.http_level {
            if f.status == 401 {
                return self.challenge(port, Some(&f));
            }
            return ServerResponse::new(f.status).header("X-Ms-diagnostics", self.diagnostics(&f));
        }
        let body = fault_xml(&f).unwrap_or_default();
        ServerResponse::new(f.status)
            .header("X-Ms-diagnostics", self.diagnostics(&f))
            .body(CONTENT_TYPE, body)
    }
}

fn normalize_path(p: &str) -> String {
    let p = p.split(['?', '#']).next().unwrap_or("");
    p.trim_end_matches('/').to_ascii_lowercase()
}

fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.find(']').map_or(authority, |i| &authority[..=i]);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// A value for a quoted header parameter: quotes, backslashes and control characters
/// replaced.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Basic <base64(user:password)>` → (user, password).
pub(super) fn parse_basic(value: &str) -> Option<(String, SecretString)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Zeroizing::new(b64_decode(rest.trim())?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if user.is_empty() {
        return None;
    }
    Some((user.to_owned(), SecretString::new(password)))
}

/// `Bearer <token>` → token.
fn parse_bearer(value: &str) -> Option<SecretString> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| SecretString::new(token))
}

fn parse_rst(body: &[u8], max_entropy: usize) -> Result<Rst, &'static str> {
    let doc = Document::parse(body, &XmlLimits::default())
        .map_err(|_| "The request body is not a well-formed XML document.")?;
    let root = doc.root();
    if !root.is([ns::SOAP11, ns::SOAP12], "Envelope") {
        return Err("The request is not a SOAP envelope.");
    }
    let env = root.namespace();
    let rst = root
        .child(env, "Body")
        .and_then(|b| b.child([ns::WST, ns::WST_2005], "RequestSecurityToken"))
        .ok_or("The SOAP body holds no wst:RequestSecurityToken.")?;
    let wst = rst.namespace();
    let text = |name: &str| rst.child(wst, name).map(|e| e.text_trimmed());

    match text("RequestType") {
        Some(t) if t == ISSUE_200512 || t == ISSUE_2005 => {}
        _ => return Err("wst:RequestType is missing or not Issue."),
    }
    if let Some(t) = text("TokenType")
        && !SAML_TOKEN_TYPES.contains(&t)
    {
        return Err("Only SAML 1.1 tokens are issued.");
    }
    let applies_to = rst
        .child([ns::WSP, ns::WSP_15], "AppliesTo")
        .and_then(|a| a.find([ns::WSA, ns::WSA_2004], "Address"))
        .map(|a| a.text_trimmed())
        .filter(|a| Url::parse(a).is_some())
        .ok_or("wsp:AppliesTo holds no absolute http(s) address.")?
        .to_owned();
    let claimed = match rst.child(wst, "Claims") {
        None => None,
        Some(claims) => {
            let value = claims
                .children_named(ns::AUTH, "ClaimType")
                .find(|c| c.attr("", "Uri").map(str::trim) == Some(CLAIM_TYPE_URI))
                .and_then(|c| c.child(ns::AUTH, "Value"))
                .map(|v| v.text_trimmed());
            match value {
                Some(v) => {
                    Some(SipAddress::parse(v).map_err(|_| "The claimed SIP URI is not valid.")?)
                }
                None => None,
            }
        }
    };
    let entropy = match rst.path(&[(wst, "Entropy"), (wst, "BinarySecret")]) {
        None => None,
        Some(s) => {
            if s.text().len() > max_entropy * 2 + 16 {
                return Err("wst:Entropy is too large.");
            }
            let bytes = Zeroizing::new(b64_decode(s.text()).ok_or("wst:Entropy is not base64.")?);
            if bytes.len() < MIN_ENTROPY || bytes.len() > max_entropy {
                return Err("wst:Entropy has an unsupported size.");
            }
            Some(bytes)
        }
    };
    let proof = match text("KeyType") {
        None => entropy.is_some(),
        Some(k) if k == KEY_TYPE_SYMMETRIC || k.ends_with("/trust/SymmetricKey") => {
            if entropy.is_none() {
                return Err("A symmetric key needs wst:Entropy.");
            }
            true
        }
        Some(k)
            if k == KEY_TYPE_BEARER
                || k.ends_with("/trust/Bearer")
                || k == "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey" =>
        {
            false
        }
        Some(_) => return Err("Unsupported wst:KeyType."),
    };
    let security = root
        .child(env, "Header")
        .and_then(|h| h.child(ns::WSSE, "Security"));
    let mut token = None;
    let mut timestamp_expires = None;
    if let Some(sec) = security {
        for c in sec.children() {
            if c.is(ns::WSU, "Timestamp") {
                timestamp_expires = c
                    .child(ns::WSU, "Expires")
                    .and_then(|e| UnixTime::parse_xsd_datetime(e.text_trimmed()));
            } else if token.is_some() {
                continue;
            } else if c.is(ns::XENC, "EncryptedData") {
                token = Some(HeaderToken::EncryptedData(c.raw_standalone().into_owned()));
            } else if c.is([ns::SAML1, ns::SAML2], "Assertion") {
                token = Some(HeaderToken::Assertion(c.raw_standalone().into_owned()));
            } else if c.is(ns::WSSE, "UsernameToken") {
                let user = c.child(ns::WSSE, "Username").map(|u| u.text_trimmed());
                let pass = c.child(ns::WSSE, "Password").map(|p| p.text());
                if let (Some(u), Some(p)) = (user, pass) {
                    token = Some(HeaderToken::Username(u.to_owned(), SecretString::new(p)));
                }
            }
        }
    }
    Ok(Rst {
        context: rst.attr("", "Context").map(str::to_owned),
        applies_to,
        claimed,
        entropy,
        proof,
        token,
        timestamp_expires,
    })
}

fn assertion_xml(
    id: &str,
    issuer: &str,
    created: UnixTime,
    expires: UnixTime,
    applies_to: &str,
    user: &SipAddress,
    holder_of_key: bool,
) -> Result<String, Error> {
    let created = created.to_xsd_datetime();
    let expires = expires.to_xsd_datetime();
    let issuer = format!("URI:{issuer}");
    let sip = user.sip_uri();
    let confirmation = if holder_of_key {
        "urn:oasis:names:tc:SAML:1.0:cm:holder-of-key"
    } else {
        "urn:oasis:names:tc:SAML:1.0:cm:bearer"
    };
    let subject = |w: &mut XmlWriter| {
        w.open("saml:Subject", &[])
            .leaf(
                "saml:NameIdentifier",
                &[(
                    "Format",
                    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                )],
                &sip,
            )
            .open("saml:SubjectConfirmation", &[])
            .leaf("saml:ConfirmationMethod", &[], confirmation)
            .close("saml:SubjectConfirmation")
            .close("saml:Subject");
    };
    let mut w = XmlWriter::with_capacity(1024);
    w.open(
        "saml:Assertion",
        &[
            ("xmlns:saml", ns::SAML1),
            ("MajorVersion", "1"),
            ("MinorVersion", "1"),
            ("AssertionID", id),
            ("Issuer", &issuer),
            ("IssueInstant", &created),
        ],
    );
    w.open(
        "saml:Conditions",
        &[("NotBefore", &created), ("NotOnOrAfter", &expires)],
    )
    .open("saml:AudienceRestrictionCondition", &[])
    .leaf("saml:Audience", &[], applies_to)
    .close("saml:AudienceRestrictionCondition")
    .close("saml:Conditions");
    w.open(
        "saml:AuthenticationStatement",
        &[
            (
                "AuthenticationMethod",
                "urn:oasis:names:tc:SAML:1.0:am:unspecified",
            ),
            ("AuthenticationInstant", &created),
        ],
    );
    subject(&mut w);
    w.close("saml:AuthenticationStatement");
    w.open("saml:AttributeStatement", &[]);
    subject(&mut w);
    w.open(
        "saml:Attribute",
        &[
            ("AttributeName", "uri"),
            (
                "AttributeNamespace",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims",
            ),
        ],
    )
    .leaf("saml:AttributeValue", &[], &sip)
    .close("saml:Attribute");
    w.close("saml:AttributeStatement");
    w.close("saml:Assertion");
    w.finish()
}

fn rstr_xml(
    rst: &Rst,
    assertion: &str,
    server_entropy: Option<&[u8]>,
    created: UnixTime,
    expires: UnixTime,
) -> Result<String, Error> {
    let mut w = XmlWriter::with_capacity(assertion.len() + 2048);
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    w.open("s:Envelope", &[("xmlns:s", ns::SOAP11)]);
    w.open("s:Header", &[])
        .leaf(
            "a:Action",
            &[("xmlns:a", ns::WSA)],
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal",
        )
        .close("s:Header");
    w.open("s:Body", &[]);
    w.open(
        "RequestSecurityTokenResponseCollection",
        &[("xmlns", ns::WST)],
    );
    match &rst.context {
        Some(c) => w.open("RequestSecurityTokenResponse", &[("Context", c)]),
        None => w.open("RequestSecurityTokenResponse", &[]),
    };
    w.leaf("TokenType", &[], soap::SAML11_TOKEN_TYPE);
    w.open("RequestedSecurityToken", &[])
        .raw(assertion)
        .close("RequestedSecurityToken");
    if let Some(e) = server_entropy {
        w.open("RequestedProofToken", &[])
            .leaf("ComputedKey", &[], CK_PSHA1)
            .close("RequestedProofToken");
        let secret = Zeroizing::new(b64(e));
        w.open("Entropy", &[])
            .leaf("BinarySecret", &[("Type", NONCE_TYPE)], &secret)
            .close("Entropy");
    }
    w.open("Lifetime", &[])
        .leaf("Created", &[("xmlns", ns::WSU)], &created.to_xsd_datetime())
        .leaf("Expires", &[("xmlns", ns::WSU)], &expires.to_xsd_datetime())
        .close("Lifetime");
    w.open("wsp:AppliesTo", &[("xmlns:wsp", ns::WSP)])
        .open("EndpointReference", &[("xmlns", ns::WSA)])
        .leaf("Address", &[], &rst.applies_to)
        .close("EndpointReference")
        .close("wsp:AppliesTo");
    w.leaf(
        "KeyType",
        &[],
        if server_entropy.is_some() {
            KEY_TYPE_SYMMETRIC
        } else {
            KEY_TYPE_BEARER
        },
    );
    w.close("RequestSecurityTokenResponse");
    w.close("RequestSecurityTokenResponseCollection");
    w.close("s:Body");
    w.close("s:Envelope");
    w.finish()
}

fn fault_xml(f: &Refusal) -> Result<String, Error> {
    let mut w = XmlWriter::with_capacity(1024);
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    w.open("s:Envelope", &[("xmlns:s", ns::SOAP11)]);
    w.open("s:Body", &[]).open("s:Fault", &[]);
    w.leaf(
        "faultcode",
        &[("xmlns:wsse", ns::WSSE), ("xmlns:wst", ns::WST)],
        f.code.text(),
    );
    w.leaf("faultstring", &[("xml:lang", "en-US")], &f.reason);
    let id = f.id.to_string();
    w.open("detail", &[])
        .open("af:OCSDiagnosticsFaultType", &[("xmlns:af", AF_NAMESPACE)])
        .open("af:Ms-Diagnostics-Fault", &[])
        .leaf("af:ErrorId", &[], &id)
        .leaf("af:Reason", &[], &f.reason)
        .close("af:Ms-Diagnostics-Fault")
        .close("af:OCSDiagnosticsFaultType")
        .close("detail");
    w.close("s:Fault").close("s:Body").close("s:Envelope");
    w.finish()
}
