//! Lync Autodiscover (\[MS-OCDISCWS\]): from a SIP address to the SIP pool to register with.
//!
//! ```text
//!  SipAddress ─► entry_urls(): https/http × LyncDiscoverInternal./LyncDiscover.<domain>/?sipuri=…
//!                    │
//!  AutodiscoverClient::poll() ─► Send(GET) ─► caller's HTTP ─► handle_response()
//!        ▲              │                                          │
//!        │              ├─► NeedCredential{user_url, challenge} ─► caller gets a web ticket
//!        │              │       (X-MS-WebTicketURL) or bearer token ─► provide_credential()
//!        └──────────────┤
//!                       └─► Done{pools: [(host, port)], ...}   or Err(Discovery(...))
//! ```
//!
//! The pieces are usable on their own: [`entry_urls`], [`request`], [`AutodiscoverResponse`]
//! (XML and JSON), [`AuthChallenge`] (the `401` on the User resource).
//!
//! # Redirects
//!
//! In-document `Redirect` links and HTTP 301/302/303/307/308 `Location`s are followed,
//! each counting as a hop (limit [`AutodiscoverConfig::max_hops`], default 10), with a
//! visited set (URLs compared with scheme and host lower-cased) and no `https` → `http`
//! downgrade. A failing chain moves on to the next entry URL; the failures are kept in
//! [`AutodiscoverClient::failures`].
//!
//! # Namespaces
//!
//! The namespace URI of the autodiscover XML is not documented in the sources this crate
//! was built from (UNCONFIRMED), so the XML parser matches element local names in any
//! namespace, as SIPE does. Link tokens are compared case-insensitively.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::crypto::SecretString;
use crate::error::{AuthError, DiscoveryError, Error, MalformedError, MisuseError, ServerError};
use crate::http::{HttpRequest, HttpResponse, Method, Url, check_header_value, percent_encode};
use crate::soap::{MsDiagnostics, unquote};
use crate::webticket::WebTicket;
use crate::xml::{AnyNs, Document, Element, XmlLimits};

/// Media type of the XML autodiscover representation.
pub const XML_MEDIA_TYPE: &str = "application/vnd.microsoft.rtc.autodiscover+xml";
/// Media type of the JSON autodiscover representation (UNCONFIRMED, by analogy with the
/// XML type; accepted when reading, never requested).
pub const JSON_MEDIA_TYPE: &str = "application/vnd.microsoft.rtc.autodiscover+json";
/// Largest JSON body accepted (same default as [`XmlLimits::max_size`]).
const MAX_JSON: usize = 1 << 20;

/// A SIP address `user@domain`, as autodiscover and the web-ticket claims use it.
///
/// ```
/// use webticket::autodiscover::SipAddress;
///
/// let a: SipAddress = "sip:Alice@Contoso.com".parse()?;
/// assert_eq!(a.as_str(), "Alice@Contoso.com");
/// assert_eq!(a.domain(), "contoso.com");
/// assert_eq!(a.sip_uri(), "sip:Alice@Contoso.com");
/// assert!("alice".parse::<SipAddress>().is_err());
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SipAddress {
    addr: String,
    at: usize,
    domain: String,
}

impl SipAddress {
    /// Parses `user@domain`, with an optional `sip:` prefix (any case).
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidSipAddress`] when there is no single `@`, the user part is
    /// empty or holds whitespace/control characters, or the domain is not a DNS name.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |reason| Error::from(MisuseError::InvalidSipAddress { reason });
        let s = s.trim();
        let s = match s.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("sip:") => &s[4..],
            _ => s,
        };
        let (user, domain) = s.rsplit_once('@').ok_or_else(|| bad("no `@`"))?;
        if user.is_empty() {
            return Err(bad("empty user part"));
        }
        if user
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '@'))
        {
            return Err(bad("invalid character in the user part"));
        }
        let labels_ok = !domain.is_empty()
            && domain.len() <= 253
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !labels_ok {
            return Err(bad("domain is not a dns name"));
        }
        Ok(Self {
            addr: s.to_owned(),
            at: user.len(),
            domain: domain.to_ascii_lowercase(),
        })
    }

    /// `user@domain` as given (case kept).
    pub fn as_str(&self) -> &str {
        &self.addr
    }

    /// The user part.
    pub fn user(&self) -> &str {
        &self.addr[..self.at]
    }

    /// The domain, lower-cased.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// `sip:user@domain`.
    pub fn sip_uri(&self) -> String {
        format!("sip:{}", self.addr)
    }
}

impl FromStr for SipAddress {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for SipAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.addr)
    }
}

impl fmt::Debug for SipAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SipAddress({})", self.addr)
    }
}

/// Where a client is, as autodiscover sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessLocation {
    /// Inside the corporate network (`LyncDiscoverInternal`, `Sip*InternalAccess`).
    Internal,
    /// On the Internet (`LyncDiscover`, `Sip*ExternalAccess`).
    External,
}

impl AccessLocation {
    fn parse(s: &str) -> Option<Self> {
        if s.trim().eq_ignore_ascii_case("internal") {
            Some(Self::Internal)
        } else if s.trim().eq_ignore_ascii_case("external") {
            Some(Self::External)
        } else {
            None
        }
    }
}

/// One autodiscover entry URL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryUrl {
    /// The URL to `GET`.
    pub url: String,
    /// `Internal` for `lyncdiscoverinternal.<domain>`, `External` for `lyncdiscover.<domain>`.
    pub location: AccessLocation,
    /// Whether the URL is `https`.
    pub https: bool,
}

/// The entry URLs to try, in order: internal before external, HTTPS before HTTP
/// (\[NextHop\], \[UCWA-App\]; SIPE runs the HTTP and HTTPS variants in parallel, this order is
/// the sequential equivalent):
///
/// 1. `https://lyncdiscoverinternal.<domain>/?sipuri=<user@domain>`
/// 2. `http://lyncdiscoverinternal.<domain>/?sipuri=<user@domain>`
/// 3. `https://lyncdiscover.<domain>/?sipuri=<user@domain>`
/// 4. `http://lyncdiscover.<domain>/?sipuri=<user@domain>`
///
/// `sipuri` carries the bare address (no `sip:`), percent-encoded except for `@`.
pub fn entry_urls(addr: &SipAddress) -> Vec<EntryUrl> {
    let sipuri = percent_encode(addr.as_str(), b"@");
    let mut out = Vec::with_capacity(4);
    for (host, location) in [
        ("lyncdiscoverinternal", AccessLocation::Internal),
        ("lyncdiscover", AccessLocation::External),
    ] {
        for https in [true, false] {
            let scheme = if https { "https" } else { "http" };
            out.push(EntryUrl {
                url: format!("{scheme}://{host}.{}/?sipuri={sipuri}", addr.domain()),
                location,
                https,
            });
        }
    }
    out
}

/// Which representation to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ResponseFormat {
    /// `Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1` (what Lync clients and
    /// SIPE send; the default).
    #[default]
    Xml,
    /// `Accept: application/json` (UCWA style).
    Json,
}

impl ResponseFormat {
    /// The `Accept` header value.
    pub fn accept(self) -> &'static str {
        match self {
            Self::Xml => "application/vnd.microsoft.rtc.autodiscover+xml;v=1",
            Self::Json => "application/json",
        }
    }
}

/// A credential for the autodiscover User resource.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credential {
    /// A web ticket, sent as `X-MS-WebTicket: opaque=<base64 assertion>`.
    WebTicket(WebTicket),
    /// An OAuth 2.0 access token, sent as `Authorization: Bearer <token>`.
    Bearer(SecretString),
}

impl Credential {
    /// The header name and value that carry this credential.
    pub fn header(&self) -> (&'static str, String) {
        match self {
            Self::WebTicket(t) => ("X-MS-WebTicket", t.header_value()),
            Self::Bearer(t) => ("Authorization", format!("Bearer {}", t.dangerous_expose())),
        }
    }
}

/// Builds an autodiscover `GET`.
///
/// # Errors
///
/// [`MisuseError::InvalidUrl`] for a URL that is not absolute `http(s)`;
/// [`AuthError::InsecureUrl`] when a credential would go over plain `http`;
/// [`MisuseError::InvalidHeaderValue`] for a bearer token with control characters.
pub fn request(
    url: &str,
    format: ResponseFormat,
    credential: Option<&Credential>,
) -> Result<HttpRequest, Error> {
    let parsed = Url::parse(url).ok_or_else(|| MisuseError::InvalidUrl {
        url: url.to_owned(),
    })?;
    let mut req = HttpRequest::new(Method::Get, url).with_header("Accept", format.accept())?;
    if let Some(c) = credential {
        if !parsed.is_https() {
            return Err(AuthError::InsecureUrl {
                url: url.to_owned(),
            }
            .into());
        }
        let (name, value) = c.header();
        check_header_value("credential", &value)?;
        req = req.with_header(name, value)?;
    }
    Ok(req)
}

/// What a link points to. Tokens are compared case-insensitively; JSON `_links` keys map
/// to the same kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkKind {
    /// `self` (JSON).
    SelfRef,
    /// `User`: the User resource (needs a credential).
    User,
    /// `Domain`.
    Domain,
    /// `OAuth`: the OAuth-flavoured User resource (`.../root/oauth/user`).
    OAuth,
    /// `xframe` (JSON, browser cross-domain frame).
    Xframe,
    /// `Redirect`: the next hop.
    Redirect,
    /// `Internal/Autodiscover`.
    InternalAutodiscover,
    /// `External/Autodiscover`.
    ExternalAutodiscover,
    /// `Internal/AuthBroker`.
    InternalAuthBroker,
    /// `External/AuthBroker`.
    ExternalAuthBroker,
    /// `Internal/Ucwa`.
    InternalUcwa,
    /// `External/Ucwa`.
    ExternalUcwa,
    /// `applications` (JSON UCWA link, location not stated).
    Ucwa,
    /// Any other token (`Internal/Mcx`, `External/WebScheduler`, ...): kept, never an
    /// error.
    Other,
}

impl LinkKind {
    /// Classifies a token (XML `token` attribute or JSON `_links` key).
    pub fn from_token(token: &str) -> Self {
        const TABLE: [(&str, LinkKind); 14] = [
            ("self", LinkKind::SelfRef),
            ("user", LinkKind::User),
            ("domain", LinkKind::Domain),
            ("oauth", LinkKind::OAuth),
            ("xframe", LinkKind::Xframe),
            ("redirect", LinkKind::Redirect),
            ("internal/autodiscover", LinkKind::InternalAutodiscover),
            ("external/autodiscover", LinkKind::ExternalAutodiscover),
            ("internal/authbroker", LinkKind::InternalAuthBroker),
            ("external/authbroker", LinkKind::ExternalAuthBroker),
            ("internal/ucwa", LinkKind::InternalUcwa),
            ("external/ucwa", LinkKind::ExternalUcwa),
            ("applications", LinkKind::Ucwa),
            ("ucwa", LinkKind::Ucwa),
        ];
        let t = token.trim();
        TABLE
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(t))
            .map_or(Self::Other, |(_, v)| *v)
    }
}

/// A link of an autodiscover resource.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// The token as written (`User`, `Internal/Ucwa`, JSON key `user`, ...).
    pub token: String,
    /// The target URL.
    pub href: String,
}

impl Link {
    /// The classified token.
    pub fn kind(&self) -> LinkKind {
        LinkKind::from_token(&self.token)
    }
}

/// Which `Sip*Access` element an entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SipAccessKind {
    /// `SipServerInternalAccess`.
    ServerInternal,
    /// `SipClientInternalAccess`.
    ClientInternal,
    /// `SipServerExternalAccess`.
    ServerExternal,
    /// `SipClientExternalAccess`.
    ClientExternal,
}

impl SipAccessKind {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "SipServerInternalAccess" => Some(Self::ServerInternal),
            "SipClientInternalAccess" => Some(Self::ClientInternal),
            "SipServerExternalAccess" => Some(Self::ServerExternal),
            "SipClientExternalAccess" => Some(Self::ClientExternal),
            _ => None,
        }
    }
}

/// A SIP access entry of the User resource.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SipAccess {
    /// Which element it came from.
    pub kind: SipAccessKind,
    /// `fqdn`.
    pub fqdn: String,
    /// `port` (entries with port 0 or without a port are dropped while parsing, as SIPE
    /// does).
    pub port: u16,
}

/// Which resource a response describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// The Root resource (`<Root>`, or a JSON document with `_links`).
    Root,
    /// The User resource (`<User>`).
    User,
}

/// A SIP pool to send `REGISTER` to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SipPool {
    /// Host name.
    pub host: String,
    /// TLS port.
    pub port: u16,
    /// Whether this is the internal or the external entry.
    pub location: AccessLocation,
}

/// A parsed autodiscover response (Root or User, XML or JSON).
///
/// ```
/// use webticket::autodiscover::{AutodiscoverResponse, LinkKind};
///
/// let body = br#"<AutodiscoverResponse AccessLocation="External"><User>
///   <SipClientExternalAccess fqdn="sipfed2a.online.lync.com" port="443"/>
/// </User></AutodiscoverResponse>"#;
/// let r = AutodiscoverResponse::parse("application/vnd.microsoft.rtc.autodiscover+xml; charset=utf-8", body)?;
/// let pools = r.sip_pools();
/// assert_eq!((pools[0].host.as_str(), pools[0].port), ("sipfed2a.online.lync.com", 443));
/// assert_eq!(r.link(LinkKind::Redirect), None);
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutodiscoverResponse {
    /// `AccessLocation`, when given.
    pub access_location: Option<AccessLocation>,
    /// Root or User.
    pub resource: Resource,
    /// The links in document order (for JSON `_links`, in the order the JSON map yields
    /// them).
    pub links: Vec<Link>,
    /// The SIP access entries in document order.
    pub sip_access: Vec<SipAccess>,
}

impl AutodiscoverResponse {
    /// Parses a body according to its `Content-Type`: the autodiscover XML type, or
    /// `application/json` / the autodiscover JSON type. Anything else (an HTML portal page,
    /// `text/plain`) is refused, as SIPE does.
    ///
    /// # Errors
    ///
    /// [`MalformedError::UnexpectedContentType`], or the errors of
    /// [`parse_xml`](Self::parse_xml) / [`parse_json`](Self::parse_json).
    pub fn parse(content_type: &str, body: &[u8]) -> Result<Self, Error> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case(XML_MEDIA_TYPE) {
            Self::parse_xml(body)
        } else if media.eq_ignore_ascii_case("application/json")
            || media.eq_ignore_ascii_case(JSON_MEDIA_TYPE)
        {
            Self::parse_json(body)
        } else {
            Err(MalformedError::UnexpectedContentType {
                content_type: content_type.to_owned(),
            }
            .into())
        }
    }

    /// Parses the XML representation (`AutodiscoverResponse` with a `Root` or `User`
    /// child). Element names are matched in any namespace; unknown elements and tokens are
    /// ignored.
    ///
    /// # Errors
    ///
    /// XML errors, [`MalformedError::UnexpectedRoot`], or [`MalformedError::Missing`] when
    /// neither `Root` nor `User` is present.
    pub fn parse_xml(body: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(body, &XmlLimits::default())?;
        let root = doc.root();
        if root.local_name() != "AutodiscoverResponse" {
            return Err(MalformedError::UnexpectedRoot {
                expected: "AutodiscoverResponse",
                found: root.local_name().to_owned(),
            }
            .into());
        }
        let access_location = root
            .attr("", "AccessLocation")
            .and_then(AccessLocation::parse);
        let (resource, el) = if let Some(u) = root.child(AnyNs, "User") {
            (Resource::User, u)
        } else if let Some(r) = root.child(AnyNs, "Root") {
            (Resource::Root, r)
        } else {
            return Err(crate::error::missing("Root or User element"));
        };
        let mut out = Self {
            access_location,
            resource,
            links: Vec::new(),
            sip_access: Vec::new(),
        };
        for child in el.children() {
            out.add_xml_child(child);
        }
        Ok(out)
    }

    fn add_xml_child(&mut self, child: Element<'_, '_>) {
        if child.local_name() == "Link" {
            if let (Some(token), Some(href)) = (child.attr("", "token"), child.attr("", "href")) {
                self.links.push(Link {
                    token: token.to_owned(),
                    href: href.trim().to_owned(),
                });
            }
        } else if let Some(kind) = SipAccessKind::from_name(child.local_name()) {
            let fqdn = child.attr("", "fqdn").map(str::trim).unwrap_or("");
            let port = child
                .attr("", "port")
                .and_then(|p| p.trim().parse::<u16>().ok())
                .unwrap_or(0);
            if !fqdn.is_empty() && port != 0 {
                self.sip_access.push(SipAccess {
                    kind,
                    fqdn: fqdn.to_owned(),
                    port,
                });
            }
        }
    }

    /// Parses the JSON representation:
    ///
    /// - UCWA style: `{"_links": {"self": {"href": …}, "user": {"href": …}, "redirect": …}}`
    ///   (\[UCWA-App\]); every `_links` key becomes a [`Link`].
    /// - The XML mirror (INFERENCE, the JSON User resource is UNCONFIRMED):
    ///   `{"AccessLocation": "External", "User"|"Root": {"SipClientExternalAccess":
    ///   {"fqdn": …, "port": 443}, …, "Links": [{"token": …, "href": …}]}}`. `port` may be
    ///   a number or a string.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Json`] for invalid JSON, [`MalformedError::Missing`] when neither
    /// shape is recognised, [`LimitError::TooLarge`](crate::error::LimitError::TooLarge) for
    /// bodies over 1 MiB.
    pub fn parse_json(body: &[u8]) -> Result<Self, Error> {
        let v = parse_json_value(body, MAX_JSON)?;
        let obj = v
            .as_object()
            .ok_or_else(|| crate::error::invalid("json document"))?;
        let access_location = get_ci(obj, "AccessLocation")
            .and_then(Value::as_str)
            .and_then(AccessLocation::parse);
        let (resource, body) = if let Some(u) = get_ci(obj, "User").and_then(Value::as_object) {
            (Resource::User, u)
        } else if let Some(r) = get_ci(obj, "Root").and_then(Value::as_object) {
            (Resource::Root, r)
        } else if obj.contains_key("_links") {
            (Resource::Root, obj)
        } else {
            return Err(crate::error::missing("_links, Root or User"));
        };
        let mut out = Self {
            access_location,
            resource,
            links: Vec::new(),
            sip_access: Vec::new(),
        };
        if let Some(links) = body.get("_links").and_then(Value::as_object) {
            for (key, val) in links {
                let href = val
                    .get("href")
                    .or_else(|| {
                        val.as_array()
                            .and_then(|a| a.first())
                            .and_then(|f| f.get("href"))
                    })
                    .and_then(Value::as_str);
                if let Some(href) = href {
                    out.links.push(Link {
                        token: key.clone(),
                        href: href.trim().to_owned(),
                    });
                }
            }
        }
        if let Some(links) = get_ci(body, "Links").and_then(Value::as_array) {
            for l in links {
                let token = l.get("token").and_then(Value::as_str);
                let href = l.get("href").and_then(Value::as_str);
                if let (Some(token), Some(href)) = (token, href) {
                    out.links.push(Link {
                        token: token.to_owned(),
                        href: href.trim().to_owned(),
                    });
                }
            }
        }
        for (key, val) in body {
            let Some(kind) = SipAccessKind::from_name(key) else {
                continue;
            };
            let fqdn = val
                .get("fqdn")
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or("");
            let port = val
                .get("port")
                .and_then(json_u64)
                .and_then(|p| u16::try_from(p).ok());
            if let (false, Some(port @ 1..)) = (fqdn.is_empty(), port) {
                out.sip_access.push(SipAccess {
                    kind,
                    fqdn: fqdn.to_owned(),
                    port,
                });
            }
        }
        if out.resource == Resource::Root && !out.sip_access.is_empty() {
            out.resource = Resource::User;
        }
        Ok(out)
    }

    /// The `href` of the first link of `kind`.
    pub fn link(&self, kind: LinkKind) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.kind() == kind)
            .map(|l| l.href.as_str())
    }

    /// The `Redirect` target, if any.
    pub fn redirect(&self) -> Option<&str> {
        self.link(LinkKind::Redirect)
    }

    /// The client SIP pools to try, internal first: `SipClientInternalAccess` when
    /// `AccessLocation` is absent or `Internal`, then `SipClientExternalAccess` when it is
    /// absent or `External` (SIPE's rule). The `SipServer*` entries are for servers and are
    /// not returned.
    pub fn sip_pools(&self) -> Vec<SipPool> {
        let mut out = Vec::new();
        for (want, location) in [
            (SipAccessKind::ClientInternal, AccessLocation::Internal),
            (SipAccessKind::ClientExternal, AccessLocation::External),
        ] {
            if self.access_location.is_some_and(|l| l != location) {
                continue;
            }
            for a in self.sip_access.iter().filter(|a| a.kind == want) {
                let pool = SipPool {
                    host: a.fqdn.clone(),
                    port: a.port,
                    location,
                };
                if !out.contains(&pool) {
                    out.push(pool);
                }
            }
        }
        out
    }
}

pub(crate) fn parse_json_value(body: &[u8], limit: usize) -> Result<Value, Error> {
    if body.len() > limit {
        return Err(crate::error::LimitError::TooLarge {
            size: body.len(),
            limit,
        }
        .into());
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(body).map_err(|e| {
        MalformedError::Json {
            reason: e.to_string(),
        }
        .into()
    })
}

/// A JSON number or a numeric string (Azure AD v1 sends numbers as strings).
pub(crate) fn json_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Looks a key up case-insensitively (exact match first).
pub(crate) fn get_ci<'v>(obj: &'v serde_json::Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    /// The scheme as written (`Bearer`, `MsRtcOAuth`, `NTLM`, ...).
    pub scheme: String,
    /// The auth-params, quoted values unquoted.
    pub params: Vec<(String, String)>,
    /// A token68 credential (`Negotiate <blob>`), if any.
    pub token68: Option<String>,
}

impl Challenge {
    /// The parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Parses every challenge of one `WWW-Authenticate` header value. Lenient: unquoted
    /// values may hold `:` and `/` (`MsRtcOAuth href=https://…`), as servers send them.
    pub fn parse_all(value: &str) -> Vec<Self> {
        let mut out: Vec<Self> = Vec::new();
        let mut rest = value;
        loop {
            rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
            if rest.is_empty() {
                break;
            }
            let tok_end = rest
                .find(|c: char| c == ',' || c == '=' || c.is_ascii_whitespace())
                .unwrap_or(rest.len());
            let tok = &rest[..tok_end];
            let after = &rest[tok_end..];
            let is_param = after.trim_start_matches([' ', '\t']).starts_with('=')
                && !after.trim_start_matches([' ', '\t'])[1..].starts_with('=')
                && !out.is_empty()
                && !tok.is_empty();
            if is_param {
                let v = after.trim_start_matches([' ', '\t'])[1..].trim_start_matches([' ', '\t']);
                let (val, tail) = if let Some(q) = v.strip_prefix('"') {
                    unquote(q)
                } else {
                    let end = v.find(',').unwrap_or(v.len());
                    (v[..end].trim().to_owned(), &v[end..])
                };
                if let Some(last) = out.last_mut() {
                    last.params.push((tok.to_owned(), val));
                }
                rest = tail;
                continue;
            }
            if tok.is_empty() {
                // Stray '=': skip one character.
                rest = &rest[1..];
                continue;
            }
            let mut ch = Self {
                scheme: tok.to_owned(),
                params: Vec::new(),
                token68: None,
            };
            rest = after.trim_start_matches([' ', '\t']);
            // token68: a run of token68 characters followed by optional '=' padding, then
            // end or ','.
            let t_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~+/".contains(c)))
                .unwrap_or(rest.len());
            if t_end > 0 {
                let pad_end = t_end
                    + rest[t_end..]
                        .find(|c: char| c != '=')
                        .unwrap_or(rest.len() - t_end);
                let tail = rest[pad_end..].trim_start_matches([' ', '\t']);
                let is_token68 = (tail.is_empty() || tail.starts_with(','))
                    && (pad_end > t_end || !rest[t_end..].starts_with('='));
                if is_token68 {
                    ch.token68 = Some(rest[..pad_end].to_owned());
                    rest = tail;
                }
            }
            out.push(ch);
        }
        out
    }
}

/// The `MsRtcOAuth` challenge: the Lync OAuth-like token endpoint (\[UCWA-Auth\]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MsRtcOAuth {
    /// `href`: the token endpoint (`https://<pool>/WebTicket/oauthtoken`).
    pub href: String,
    /// `grant_type`, split at commas (`urn:microsoft.rtc:windows`, `password`, ...).
    pub grant_types: Vec<String>,
}

/// What a `401` on the User resource offers.
///
/// ```
/// use webticket::autodiscover::AuthChallenge;
/// use webticket::http::HttpResponse;
///
/// let resp = HttpResponse::new(401, b"")
///     .header("X-MS-WebTicketURL", "https://webpool1a.infra.lync.com/WebTicket/WebTicketService.svc")
///     .header("WWW-Authenticate", r#"MsRtcOAuth href=https://webpool1a.infra.lync.com/WebTicket/oauthtoken,grant_type="urn:microsoft.rtc:windows,password""#);
/// let c = AuthChallenge::from_response(&resp);
/// assert_eq!(c.web_ticket_url.as_deref(), Some("https://webpool1a.infra.lync.com/WebTicket/WebTicketService.svc"));
/// assert_eq!(c.ms_rtc_oauth.unwrap().grant_types, ["urn:microsoft.rtc:windows", "password"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AuthChallenge {
    /// `X-MS-WebTicketURL`: the web-ticket service to get a ticket from (preferred).
    pub web_ticket_url: Option<String>,
    /// The `MsRtcOAuth` challenge.
    pub ms_rtc_oauth: Option<MsRtcOAuth>,
    /// The `Bearer` challenge (Azure AD; params such as `client_id`, `trusted_issuers`,
    /// `authorization_uri`).
    pub bearer: Option<Challenge>,
    /// Every challenge of every `WWW-Authenticate` header, in order.
    pub challenges: Vec<Challenge>,
    /// `X-Ms-diagnostics`, if sent.
    pub diagnostics: Option<MsDiagnostics>,
}

impl AuthChallenge {
    /// Reads the challenge headers of a response (each `WWW-Authenticate` header is parsed
    /// separately; schemes this crate cannot use, such as `NTLM`, are listed in
    /// [`challenges`](Self::challenges) only).
    pub fn from_response(resp: &HttpResponse<'_>) -> Self {
        let challenges: Vec<Challenge> = resp
            .get_all("www-authenticate")
            .flat_map(Challenge::parse_all)
            .collect();
        let ms_rtc_oauth = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("MsRtcOAuth"))
            .and_then(|c| {
                Some(MsRtcOAuth {
                    href: c.param("href")?.to_owned(),
                    grant_types: c
                        .param("grant_type")
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            });
        let bearer = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("Bearer"))
            .cloned();
        Self {
            web_ticket_url: resp
                .get("x-ms-webticketurl")
                .filter(|u| Url::parse(u).is_some())
                .map(str::to_owned),
            ms_rtc_oauth,
            bearer,
            challenges,
            diagnostics: resp.get("x-ms-diagnostics").and_then(MsDiagnostics::parse),
        }
    }

    /// Whether the challenge offers something this crate supports (a web-ticket URL, an
    /// `MsRtcOAuth` endpoint, or `Bearer`).
    pub fn is_supported(&self) -> bool {
        self.web_ticket_url.is_some() || self.ms_rtc_oauth.is_some() || self.bearer.is_some()
    }
}

/// Settings of an [`AutodiscoverClient`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutodiscoverConfig {
    /// Representation to request (default XML).
    pub format: ResponseFormat,
    /// Navigations (redirects and the User link) allowed per entry URL (default 10).
    pub max_hops: usize,
    /// Whether to try the `http://` entry URLs as well (default `true`, as the spec and
    /// SIPE do; the Root over HTTP only ever redirects, and credentials never go over HTTP).
    pub try_http: bool,
    /// Whether to follow the `OAuth` link instead of `User` when the client holds a bearer
    /// token (default `true`; INFERENCE from `.../root/oauth/user` seen with `Bearer`).
    pub prefer_oauth_link: bool,
}

impl Default for AutodiscoverConfig {
    fn default() -> Self {
        Self {
            format: ResponseFormat::Xml,
            max_hops: 10,
            try_http: true,
            prefer_oauth_link: true,
        }
    }
}

impl AutodiscoverConfig {
    /// Sets [`format`](Self::format).
    pub fn format(mut self, format: ResponseFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets [`max_hops`](Self::max_hops).
    pub fn max_hops(mut self, hops: usize) -> Self {
        self.max_hops = hops;
        self
    }

    /// Sets [`try_http`](Self::try_http).
    pub fn try_http(mut self, yes: bool) -> Self {
        self.try_http = yes;
        self
    }

    /// Sets [`prefer_oauth_link`](Self::prefer_oauth_link).
    pub fn prefer_oauth_link(mut self, yes: bool) -> Self {
        self.prefer_oauth_link = yes;
        self
    }
}

/// The result of a successful discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Discovered {
    /// The client SIP pools, internal first; never empty.
    pub pools: Vec<SipPool>,
    /// The User resource they came from (UCWA and AuthBroker links are there too).
    pub user: AutodiscoverResponse,
    /// The URL of the User resource.
    pub user_url: String,
}

/// What the caller must do next, returned by [`AutodiscoverClient::poll`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AutodiscoverStep {
    /// Send this request, then call [`AutodiscoverClient::handle_response`] (or
    /// [`handle_transport_error`](AutodiscoverClient::handle_transport_error)).
    Send(HttpRequest),
    /// The User resource wants a credential. Get a web ticket for `user_url` (AppliesTo)
    /// from `challenge.web_ticket_url`, or a bearer token, then call
    /// [`AutodiscoverClient::provide_credential`].
    NeedCredential {
        /// The User resource URL (the web ticket's AppliesTo address).
        user_url: String,
        /// The challenge.
        challenge: AuthChallenge,
    },
    /// Finished.
    Done(Discovered),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Entry,
    Navigate,
    User,
}

#[derive(Debug)]
enum State {
    Ready,
    Awaiting { sent_credential: bool },
    NeedCredential(AuthChallenge),
    Done(Discovered),
    Failed(Error),
    Finished,
}

#[derive(Debug)]
enum CredScope {
    Any,
    Url(String),
}

/// The autodiscover client state machine.
///
/// Call order: [`poll`](Self::poll) → act on the step → feed the result with
/// [`handle_response`](Self::handle_response) /
/// [`handle_transport_error`](Self::handle_transport_error) /
/// [`provide_credential`](Self::provide_credential) → `poll` again, until `poll` returns
/// [`AutodiscoverStep::Done`] or an error. Inputs only fail on misuse; protocol failures
/// are reported by the next `poll`.
///
/// ```
/// use webticket::autodiscover::{AutodiscoverClient, AutodiscoverConfig, AutodiscoverStep, SipAddress};
/// use webticket::http::HttpResponse;
///
/// let mut ad = AutodiscoverClient::new("alice@contoso.com".parse()?, AutodiscoverConfig::default());
/// let AutodiscoverStep::Send(req) = ad.poll()? else { unreachable!() };
/// assert_eq!(req.url, "https://lyncdiscoverinternal.contoso.com/?sipuri=alice@contoso.com");
/// ad.handle_transport_error("no such host")?; // internal DNS name unknown outside the LAN
/// let AutodiscoverStep::Send(req) = ad.poll()? else { unreachable!() };
/// assert_eq!(req.url, "http://lyncdiscoverinternal.contoso.com/?sipuri=alice@contoso.com");
/// ad.handle_transport_error("no such host")?;
/// let AutodiscoverStep::Send(req) = ad.poll()? else { unreachable!() };
/// assert_eq!(req.url, "https://lyncdiscover.contoso.com/?sipuri=alice@contoso.com");
/// let body = br#"<AutodiscoverResponse><User><SipClientExternalAccess fqdn="sip.contoso.com" port="443"/></User></AutodiscoverResponse>"#;
/// ad.handle_response(&HttpResponse::new(200, body).header("Content-Type", "application/vnd.microsoft.rtc.autodiscover+xml"))?;
/// let AutodiscoverStep::Done(found) = ad.poll()? else { unreachable!() };
/// assert_eq!(found.pools[0].host, "sip.contoso.com");
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Debug)]
pub struct AutodiscoverClient {
    config: AutodiscoverConfig,
    entries: Vec<EntryUrl>,
    next_entry: usize,
    credential: Option<(Credential, CredScope)>,
    // Current chain.
    url: String,
    kind: Kind,
    hops: usize,
    visited: Vec<String>,
    user_url: Option<String>,
    // Attach an any-URL credential to the next request even though it is not a User request
    // (after a 401 on it).
    force_credential: bool,
    state: State,
    failures: Vec<(String, Error)>,
}

impl AutodiscoverClient {
    /// A client for `addr`.
    pub fn new(addr: SipAddress, config: AutodiscoverConfig) -> Self {
        let entries = entry_urls(&addr)
            .into_iter()
            .filter(|e| config.try_http || e.https)
            .collect();
        Self {
            config,
            entries,
            next_entry: 0,
            credential: None,
            url: String::new(),
            kind: Kind::Entry,
            hops: 0,
            visited: Vec::new(),
            user_url: None,
            force_credential: false,
            state: State::Ready,
            failures: Vec::new(),
        }
    }

    /// Starts with a credential for any User resource (typically the bearer token of the
    /// device-code flow). It is sent only to `https` User resource URLs.
    pub fn with_credential(mut self, credential: Credential) -> Self {
        self.credential = Some((credential, CredScope::Any));
        self
    }

    /// The failures of the entry URLs tried so far: `(url, error)`. When discovery fails
    /// for good, the last failure moves into [`DiscoveryError::Exhausted::last`].
    pub fn failures(&self) -> &[(String, Error)] {
        &self.failures
    }

    /// The next step.
    ///
    /// # Errors
    ///
    /// The final failure ([`DiscoveryError::Exhausted`] with the last cause,
    /// [`DiscoveryError::UserNotFound`], [`AuthError::CredentialRejected`]) once; afterwards,
    /// and while a response is outstanding, [`MisuseError::UnexpectedCall`].
    pub fn poll(&mut self) -> Result<AutodiscoverStep, Error> {
        match &self.state {
            State::Ready => {}
            State::Awaiting { .. } => {
                return Err(misuse("poll", "a response is outstanding"));
            }
            State::NeedCredential(c) => {
                return Ok(AutodiscoverStep::NeedCredential {
                    user_url: self.url.clone(),
                    challenge: c.clone(),
                });
            }
            State::Done(d) => return Ok(AutodiscoverStep::Done(d.clone())),
            State::Failed(_) => {
                let State::Failed(e) = std::mem::replace(&mut self.state, State::Finished) else {
                    unreachable!()
                };
                return Err(e);
            }
            State::Finished => return Err(misuse("poll", "discovery has failed")),
        }
        if self.url.is_empty() {
            let Some(entry) = self.entries.get(self.next_entry) else {
                let last = self.failures.pop().map(|(_, e)| Box::new(e));
                self.state = State::Finished;
                return Err(DiscoveryError::Exhausted {
                    tried: self.next_entry,
                    last,
                }
                .into());
            };
            self.next_entry += 1;
            self.url = entry.url.clone();
            self.kind = Kind::Entry;
            self.hops = 0;
            self.visited = vec![url_key(&self.url)];
            self.user_url = None;
        }
        let cred = match (&self.credential, self.kind) {
            (Some((c, CredScope::Any)), _) if self.force_credential => Some(c),
            (Some((c, CredScope::Any)), Kind::User) => Some(c),
            (Some((c, CredScope::Url(k))), Kind::User) if *k == url_key(&self.url) => Some(c),
            _ => None,
        };
        // Never send a credential over http: drop it (the server will answer 401 and the
        // chain fails) rather than leak it.
        let cred = cred.filter(|_| Url::parse(&self.url).is_some_and(|u| u.is_https()));
        let req = match request(&self.url, self.config.format, cred) {
            Ok(r) => r,
            Err(e) => {
                self.chain_failed(e);
                return self.poll();
            }
        };
        self.state = State::Awaiting {
            sent_credential: cred.is_some(),
        };
        Ok(AutodiscoverStep::Send(req))
    }

    /// Feeds the response to the request of the last [`AutodiscoverStep::Send`].
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnexpectedCall`] when no request is outstanding.
    pub fn handle_response(&mut self, resp: &HttpResponse<'_>) -> Result<(), Error> {
        let State::Awaiting { sent_credential } = self.state else {
            return Err(misuse("handle_response", "no request is outstanding"));
        };
        self.state = State::Ready;
        match resp.status {
            200..=299 => {
                let parsed =
                    AutodiscoverResponse::parse(resp.get("content-type").unwrap_or(""), resp.body);
                match parsed {
                    Ok(r) => self.on_document(r),
                    Err(e) => self.chain_failed(e),
                }
            }
            301 | 302 | 303 | 307 | 308 => {
                let target = resp
                    .get("location")
                    .and_then(|l| Url::parse(&self.url)?.resolve(l));
                match target {
                    Some(t) => self.navigate(t, self.kind == Kind::User),
                    None => self.chain_failed(
                        DiscoveryError::InvalidRedirect {
                            url: resp.get("location").unwrap_or("").to_owned(),
                        }
                        .into(),
                    ),
                }
            }
            401 if sent_credential => {
                self.state = State::Failed(
                    AuthError::CredentialRejected {
                        url: self.url.clone(),
                    }
                    .into(),
                );
            }
            401 => {
                let challenge = AuthChallenge::from_response(resp);
                let https = Url::parse(&self.url).is_some_and(|u| u.is_https());
                match &self.credential {
                    _ if !https => {
                        self.chain_failed(
                            AuthError::InsecureUrl {
                                url: self.url.clone(),
                            }
                            .into(),
                        );
                    }
                    // A credential for any User resource was withheld (not a User request
                    // yet): repeat the request with it.
                    Some((_, CredScope::Any)) => self.force_credential = true,
                    _ if !challenge.is_supported() => {
                        self.chain_failed(AuthError::NoSupportedScheme.into());
                    }
                    _ => {
                        self.kind = Kind::User;
                        self.state = State::NeedCredential(challenge);
                    }
                }
            }
            404 if self.kind == Kind::User => {
                self.state = State::Failed(DiscoveryError::UserNotFound.into());
            }
            status => self.chain_failed(
                ServerError::Http {
                    status,
                    diagnostics: resp
                        .get("x-ms-diagnostics")
                        .and_then(MsDiagnostics::parse)
                        .map(Box::new),
                }
                .into(),
            ),
        }
        Ok(())
    }

    /// Reports that the outstanding request failed below HTTP (DNS, TCP, TLS). The client
    /// moves on to the next entry URL.
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnexpectedCall`] when no request is outstanding.
    pub fn handle_transport_error(&mut self, reason: &str) -> Result<(), Error> {
        if !matches!(self.state, State::Awaiting { .. }) {
            return Err(misuse(
                "handle_transport_error",
                "no request is outstanding",
            ));
        }
        self.state = State::Ready;
        self.chain_failed(
            DiscoveryError::Unreachable {
                url: self.url.clone(),
                reason: reason.to_owned(),
            }
            .into(),
        );
        Ok(())
    }

    /// Supplies the credential asked for by [`AutodiscoverStep::NeedCredential`]. It is
    /// bound to that User URL; the request is repeated once with it.
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnexpectedCall`] when no credential was asked for.
    pub fn provide_credential(&mut self, credential: Credential) -> Result<(), Error> {
        if !matches!(self.state, State::NeedCredential(_)) {
            return Err(misuse("provide_credential", "no credential was asked for"));
        }
        self.credential = Some((credential, CredScope::Url(url_key(&self.url))));
        self.state = State::Ready;
        Ok(())
    }

    fn on_document(&mut self, r: AutodiscoverResponse) {
        if let Some(target) = r.redirect() {
            let target = target.to_owned();
            // A redirect from the User resource leads to another pool's Root.
            self.navigate(target, false);
            return;
        }
        if !r.sip_access.is_empty() || r.resource == Resource::User {
            let pools = r.sip_pools();
            if pools.is_empty() {
                self.chain_failed(DiscoveryError::NoSipAccess.into());
                return;
            }
            self.state = State::Done(Discovered {
                pools,
                user: r,
                user_url: self.url.clone(),
            });
            return;
        }
        let bearer = matches!(self.credential, Some((Credential::Bearer(_), _)));
        let oauth = (bearer && self.config.prefer_oauth_link)
            .then(|| r.link(LinkKind::OAuth))
            .flatten();
        match oauth.or_else(|| r.link(LinkKind::User)) {
            Some(user) if self.kind != Kind::User => {
                let user = user.to_owned();
                self.user_url = Some(user.clone());
                self.navigate(user, true);
            }
            _ => self.chain_failed(crate::error::missing("User link or SIP access entries")),
        }
    }

    fn navigate(&mut self, target: String, user: bool) {
        let Some(t) = Url::parse(&target) else {
            self.chain_failed(DiscoveryError::InvalidRedirect { url: target }.into());
            return;
        };
        if Url::parse(&self.url).is_some_and(|c| c.is_https()) && !t.is_https() {
            self.chain_failed(DiscoveryError::SchemeDowngrade { url: target }.into());
            return;
        }
        let key = t.key();
        if self.visited.contains(&key) {
            self.chain_failed(DiscoveryError::RedirectLoop { url: target }.into());
            return;
        }
        self.hops += 1;
        if self.hops > self.config.max_hops {
            self.chain_failed(
                DiscoveryError::TooManyHops {
                    limit: self.config.max_hops,
                }
                .into(),
            );
            return;
        }
        self.visited.push(key);
        self.force_credential = false;
        self.url = target;
        self.kind = if user { Kind::User } else { Kind::Navigate };
    }

    fn chain_failed(&mut self, e: Error) {
        self.force_credential = false;
        self.failures.push((std::mem::take(&mut self.url), e));
        self.state = State::Ready;
    }
}

fn url_key(url: &str) -> String {
    Url::parse(url).map_or_else(|| url.to_owned(), |u| u.key())
}

fn misuse(call: &'static str, state: &'static str) -> Error {
    MisuseError::UnexpectedCall { call, state }.into()
}
