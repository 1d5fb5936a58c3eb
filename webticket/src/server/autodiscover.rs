//! A Lync autodiscover responder (\[MS-OCDISCWS\] 3.1.5) for one site: one SIP domain, one
//! pool, one web-ticket service.
//!
//! ```text
//!  GET /?sipuri=alice@contoso.com                              ─► 200 Root: Domain, User, OAuth links
//!  GET /Autodiscover/AutodiscoverService.svc/root?sipuri=…     ─► (same; path case-insensitive)
//!  GET …/root/user  or  …/root/oauth/user
//!       no credential                    ─► 401 X-MS-WebTicketURL + WWW-Authenticate: MsRtcOAuth, Bearer
//!       X-MS-WebTicket / Bearer / Basic  ─► check(credential, user URL)
//!           Authenticated(user@domain)   ─► 200 User: Sip{Server,Client}{Internal,External}Access + links
//!           UnknownUser                  ─► 404, empty body
//!           Rejected                     ─► 401 (same challenge)
//!  GET …/root/domain                     ─► 200 Domain: the SIP access entries (UNCONFIRMED shape)
//!  plain http (handle_insecure): Root    ─► 200 Root with one Redirect link to the https Root
//! ```
//!
//! # Representations
//!
//! Negotiated on `Accept` (\[MS-OCDISCWS\] via `web-services.md` §1.2): the first listed
//! media type this module knows wins; XML (`application/vnd.microsoft.rtc.autodiscover+xml;
//! v=1`) when none is known. JSON is written for `application/json` and the (UNCONFIRMED)
//! vendor type `application/vnd.microsoft.rtc.autodiscover+json`, in the shapes the
//! crate's [`AutodiscoverResponse::parse_json`](crate::autodiscover::AutodiscoverResponse::parse_json)
//! reads: the Root as UCWA `_links` (`self`, `user`, `domain`, `oauth`), the User as the
//! XML mirror `{"AccessLocation":…,"User":{"SipClientExternalAccess":{"fqdn":…,"port":…},
//! …,"Links":[{"token":…,"href":…}]}}` (INFERENCE; the real JSON User is UNCONFIRMED). The
//! XML has no namespace (UNCONFIRMED; SIPE and this crate match local names).
//!
//! # What it does and does not do
//!
//! - Credentials are checked by the caller's callback (typically with
//!   [`TicketService::verify_header`](crate::server::ticket::TicketService::verify_header),
//!   passing [`CredentialCheck::user_url`] as the audience). The responder only decides
//!   the HTTP answer.
//! - A user whose domain is not the site's domain gets `404` (emulator choice: there is no
//!   other pool to redirect to). A Root request for another domain is answered normally.
//! - It never redirects with HTTP 3xx, and it does not serve UCWA, the `xframe` or the
//!   `OPTIONS` preflight of browser clients.
//!
//! # SIPE
//!
//! SIPE's HTTP layer (read in the 2018 source snapshot; UNCONFIRMED for the Debian 1.25
//! build) handles every `401` itself: when no `Negotiate`/`NTLM`/`Basic` challenge is
//! offered it reports a failure *without the response headers*, so it never sees
//! `X-MS-WebTicketURL`. [`SiteConfig::offer_basic`] adds a `Basic` challenge to the
//! User `401`, with which SIPE retries the User request with its password; the callback
//! then receives [`UserCredential::Basic`].
//!
//! # Example
//!
//! ```
//! use webticket::server::ServerRequest;
//! use webticket::server::autodiscover::{AutodiscoverResponder, SiteConfig, UserAuth, UserCredential};
//!
//! let site = SiteConfig::new(
//!     "contoso.com",
//!     "https://lyncdiscover.contoso.com",
//!     "https://pool.contoso.com/WebTicket/WebTicketService.svc",
//! )?
//! .external_pool("sip.contoso.com", 443);
//! let ad = AutodiscoverResponder::new(site);
//! let user_url = ad.user_url();
//! assert_eq!(user_url, "https://lyncdiscover.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com");
//!
//! let root = ad.handle(&ServerRequest::new("GET", "/?sipuri=alice@contoso.com"), &mut |_| UserAuth::Rejected);
//! assert_eq!(root.status, 200);
//!
//! let path = &user_url["https://lyncdiscover.contoso.com".len()..];
//! let challenge = ad.handle(&ServerRequest::new("GET", path), &mut |_| UserAuth::Rejected);
//! assert_eq!(challenge.status, 401);
//! assert_eq!(challenge.get("X-MS-WebTicketURL"), Some("https://pool.contoso.com/WebTicket/WebTicketService.svc"));
//!
//! let req = ServerRequest::new("GET", path).header("X-MS-WebTicket", "opaque=PHNhbWw6...");
//! let user = ad.handle(&req, &mut |c| match c.credential {
//!     // A real emulator asks its TicketService here.
//!     UserCredential::WebTicket(_) => UserAuth::Authenticated("alice@contoso.com".parse().unwrap()),
//!     _ => UserAuth::Rejected,
//! });
//! assert_eq!(user.status, 200);
//! assert!(String::from_utf8_lossy(&user.body).contains(r#"<SipClientExternalAccess fqdn="sip.contoso.com" port="443">"#));
//! # Ok::<(), webticket::Error>(())
//! ```

use std::fmt;

use serde_json::{Map, Value, json};

use crate::autodiscover::{AccessLocation, JSON_MEDIA_TYPE, SipAddress, XML_MEDIA_TYPE};
use crate::crypto::SecretString;
use crate::error::{Error, MisuseError};
use crate::http::{Url, percent_encode};
use crate::server::ticket::parse_basic;
use crate::server::{ServerRequest, ServerResponse};
use crate::xml::XmlWriter;

/// The path of the Root resource (matched case-insensitively).
pub const ROOT_PATH: &str = "/Autodiscover/AutodiscoverService.svc/root";
/// The `MsRtcOAuth` grant types offered in the challenge (\[UCWA-Auth\]).
pub const GRANT_TYPES: &str = "urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password";
/// `client_id` of the `Bearer` challenge (the SfB resource GUID; UNCONFIRMED).
pub const BEARER_CLIENT_ID: &str = "00000004-0000-0ff1-ce00-000000000000";
/// `trusted_issuers` of the `Bearer` challenge (\[MS-XOAUTH\] 4.6 shape; value UNCONFIRMED).
pub const BEARER_TRUSTED_ISSUERS: &str = "00000001-0000-0000-c000-000000000000@*";

const XML_CONTENT_TYPE: &str = "application/vnd.microsoft.rtc.autodiscover+xml; v=1";
const JSON_VENDOR_CONTENT_TYPE: &str = "application/vnd.microsoft.rtc.autodiscover+json; v=1";

/// The site an [`AutodiscoverResponder`] describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteConfig {
    domain: String,
    base_urls: Vec<String>,
    web_ticket_url: String,
    oauth_token_url: Option<String>,
    bearer_authorization_uri: Option<String>,
    access_location: Option<AccessLocation>,
    internal: Option<(String, u16)>,
    external: Option<(String, u16)>,
    server_port: u16,
    offer_basic: bool,
}

fn check_url(url: &str) -> Result<Url<'_>, Error> {
    match Url::parse(url) {
        Some(u) if !url.contains([',', '"']) => Ok(u),
        _ => Err(MisuseError::InvalidUrl {
            url: url.to_owned(),
        }
        .into()),
    }
}

impl SiteConfig {
    /// A site for SIP `domain`, whose autodiscover service answers at `base_url`
    /// (`https://lyncdiscover.<domain>`: scheme and authority only) and whose web-ticket
    /// service is `web_ticket_url` (sent as `X-MS-WebTicketURL`). No pool yet: add one with
    /// [`external_pool`](Self::external_pool) / [`internal_pool`](Self::internal_pool).
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidUrl`] for a URL that is not absolute `http(s)` (or a base URL
    /// with a path, or a URL with `,` or `"`), [`MisuseError::InvalidSipAddress`] for a
    /// domain that is not a DNS name. Fix the configuration.
    pub fn new(domain: &str, base_url: &str, web_ticket_url: &str) -> Result<Self, Error> {
        let domain = SipAddress::parse(&format!("x@{domain}"))?
            .domain()
            .to_owned();
        check_url(web_ticket_url)?;
        let mut s = Self {
            domain,
            base_urls: Vec::new(),
            web_ticket_url: web_ticket_url.to_owned(),
            oauth_token_url: None,
            bearer_authorization_uri: None,
            access_location: None,
            internal: None,
            external: None,
            server_port: 5061,
            offer_basic: false,
        };
        s.push_base(base_url)?;
        Ok(s)
    }

    fn push_base(&mut self, base_url: &str) -> Result<(), Error> {
        let u = check_url(base_url)?;
        if !(u.rest.is_empty() || u.rest == "/") {
            return Err(MisuseError::InvalidUrl {
                url: base_url.to_owned(),
            }
            .into());
        }
        self.base_urls
            .push(base_url.trim_end_matches('/').to_owned());
        Ok(())
    }

    /// Adds another public base URL (e.g. `https://lyncdiscoverinternal.<domain>`). Links
    /// are built on the base whose host matches the request's `Host` header, else on the
    /// first one.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn base_url(mut self, base_url: &str) -> Result<Self, Error> {
        self.push_base(base_url)?;
        Ok(self)
    }

    /// The OAuth token endpoint sent in `WWW-Authenticate: MsRtcOAuth href=…` (not sent
    /// when unset).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn oauth_token_url(mut self, url: &str) -> Result<Self, Error> {
        check_url(url)?;
        self.oauth_token_url = Some(url.to_owned());
        Ok(self)
    }

    /// The `authorization_uri` of the `Bearer` challenge (an Azure AD authority; omitted
    /// when unset).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn bearer_authorization_uri(mut self, url: &str) -> Result<Self, Error> {
        check_url(url)?;
        self.bearer_authorization_uri = Some(url.to_owned());
        Ok(self)
    }

    /// The `AccessLocation` attribute (default: absent, so that clients use both the
    /// internal and the external entries, internal first).
    pub fn access_location(mut self, location: Option<AccessLocation>) -> Self {
        self.access_location = location;
        self
    }

    /// The pool for internal clients (`SipClientInternalAccess`, plus
    /// `SipServerInternalAccess` on [`server_port`](Self::server_port)).
    pub fn internal_pool(mut self, host: &str, port: u16) -> Self {
        self.internal = Some((host.to_owned(), port));
        self
    }

    /// The pool for external clients (`SipClientExternalAccess`, plus
    /// `SipServerExternalAccess` on [`server_port`](Self::server_port)).
    pub fn external_pool(mut self, host: &str, port: u16) -> Self {
        self.external = Some((host.to_owned(), port));
        self
    }

    /// The port of the `SipServer*Access` entries (default 5061).
    pub fn server_port(mut self, port: u16) -> Self {
        self.server_port = port;
        self
    }

    /// Also offer `WWW-Authenticate: Basic` on the User `401` and accept
    /// `Authorization: Basic` there (default `false`). Needed for SIPE, see the
    /// [module docs](self). Only enable it over HTTPS.
    pub fn offer_basic(mut self, yes: bool) -> Self {
        self.offer_basic = yes;
        self
    }

    /// The SIP domain (lower-cased).
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

/// The resources, see [`AutodiscoverResponder::route`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AutodiscoverRoute {
    /// `/` or `…/root`.
    Root,
    /// `…/root/user`.
    User,
    /// `…/root/oauth/user`.
    OAuthUser,
    /// `…/root/domain`.
    Domain,
}

/// The credential presented to the User resource.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum UserCredential<'a> {
    /// The `X-MS-WebTicket` header value as received (`opaque=<base64 assertion>`); hand
    /// it to [`TicketService::verify_header`](crate::server::ticket::TicketService::verify_header).
    WebTicket(&'a str),
    /// The token of `Authorization: Bearer`.
    Bearer(&'a SecretString),
    /// `Authorization: Basic` (only with [`SiteConfig::offer_basic`]).
    Basic {
        /// The user name as sent.
        username: &'a str,
        /// The password.
        password: &'a SecretString,
    },
}

impl fmt::Debug for UserCredential<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WebTicket(_) => f.write_str("WebTicket([redacted])"),
            Self::Bearer(_) => f.write_str("Bearer([redacted])"),
            Self::Basic { username, .. } => write!(f, "Basic({username:?}, [redacted])"),
        }
    }
}

/// What the caller's callback checks.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct CredentialCheck<'a> {
    /// The credential.
    pub credential: UserCredential<'a>,
    /// The absolute URL being accessed (base URL + request target): the audience a web
    /// ticket must have been issued for.
    pub user_url: &'a str,
}

/// The callback's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserAuth {
    /// Valid credential of this user: `200` with the User resource (or `404` when the
    /// user's domain is not the site's).
    Authenticated(SipAddress),
    /// Valid credential, but the user is not known here: `404`, empty body.
    UnknownUser,
    /// Invalid, expired or foreign credential: `401` with the challenge again.
    Rejected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Xml,
    Json,
    JsonVendor,
}

impl Format {
    fn negotiate(accept: Option<&str>) -> Self {
        for part in accept.unwrap_or("").split(',') {
            let media = part.split(';').next().unwrap_or("").trim();
            if media.eq_ignore_ascii_case(XML_MEDIA_TYPE) {
                return Self::Xml;
            }
            if media.eq_ignore_ascii_case("application/json") {
                return Self::Json;
            }
            if media.eq_ignore_ascii_case(JSON_MEDIA_TYPE) {
                return Self::JsonVendor;
            }
        }
        Self::Xml
    }
}

/// The responder (see the [module docs](self)). Stateless: share it freely.
#[derive(Clone, Debug)]
pub struct AutodiscoverResponder {
    site: SiteConfig,
}

struct Doc<'a> {
    resource: &'static str,
    access: Vec<(&'static str, &'a str, u16)>,
    links: Vec<(&'static str, String)>,
}

impl AutodiscoverResponder {
    /// A responder for `site`.
    pub fn new(site: SiteConfig) -> Self {
        Self { site }
    }

    /// The site.
    pub fn site(&self) -> &SiteConfig {
        &self.site
    }

    /// The resource at `path` (a request target; the query is ignored; case-insensitive; a
    /// trailing `/` ignored), `None` for anything else.
    pub fn route(path: &str) -> Option<AutodiscoverRoute> {
        let p = path.split(['?', '#']).next().unwrap_or("");
        let p = p.trim_end_matches('/').to_ascii_lowercase();
        if p.is_empty() {
            return Some(AutodiscoverRoute::Root);
        }
        let rest = p.strip_prefix(&ROOT_PATH.to_ascii_lowercase())?;
        match rest {
            "" => Some(AutodiscoverRoute::Root),
            "/user" => Some(AutodiscoverRoute::User),
            "/oauth/user" => Some(AutodiscoverRoute::OAuthUser),
            "/domain" => Some(AutodiscoverRoute::Domain),
            _ => None,
        }
    }

    /// The User resource URL on the first base URL: the `AppliesTo` of autodiscover web
    /// tickets, `<base>/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=<domain>`.
    pub fn user_url(&self) -> String {
        self.user_url_on(&self.site.base_urls[0], "/user")
    }

    /// The User resource URL on the base URL a request with this `Host` header is answered
    /// with.
    pub fn user_url_for_host(&self, host: Option<&str>) -> String {
        self.user_url_on(self.base_for(host), "/user")
    }

    fn user_url_on(&self, base: &str, suffix: &str) -> String {
        format!(
            "{base}{ROOT_PATH}{suffix}?originalDomain={}",
            percent_encode(&self.site.domain, &[])
        )
    }

    fn base_for(&self, host: Option<&str>) -> &str {
        let norm = |auth: &str, https: bool| {
            let a = auth.trim().to_ascii_lowercase();
            let default = if https { ":443" } else { ":80" };
            a.strip_suffix(default).unwrap_or(&a).to_owned()
        };
        if let Some(h) = host {
            for b in &self.site.base_urls {
                if let Some(u) = Url::parse(b)
                    && norm(u.authority, u.is_https()) == norm(h, u.is_https())
                {
                    return b;
                }
            }
        }
        &self.site.base_urls[0]
    }

    /// Answers a request that arrived over HTTPS (see the [module docs](self)).
    /// `check` is called only for User requests that carry a credential.
    pub fn handle(
        &self,
        req: &ServerRequest<'_>,
        check: &mut dyn FnMut(&CredentialCheck<'_>) -> UserAuth,
    ) -> ServerResponse {
        let Some(route) = Self::route(req.path()) else {
            return ServerResponse::new(404);
        };
        if !(req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD")) {
            return ServerResponse::new(405).header("Allow", "GET");
        }
        let format = Format::negotiate(req.get("accept"));
        let base = self.base_for(req.get("host"));
        match route {
            AutodiscoverRoute::Root => {
                if sipuri(req.query()).is_none() {
                    return ServerResponse::new(400);
                }
                let root = format!("{base}{ROOT_PATH}");
                let doc = Doc {
                    resource: "Root",
                    access: Vec::new(),
                    links: vec![
                        ("self", format!("{root}{}", query_suffix(req.query()))),
                        ("Domain", self.user_url_on(base, "/domain")),
                        ("User", self.user_url_on(base, "/user")),
                        ("OAuth", self.user_url_on(base, "/oauth/user")),
                    ],
                };
                self.render(&doc, format)
            }
            AutodiscoverRoute::Domain => {
                let doc = Doc {
                    resource: "Domain",
                    access: self.access_entries(),
                    links: Vec::new(),
                };
                self.render(&doc, format)
            }
            AutodiscoverRoute::User | AutodiscoverRoute::OAuthUser => {
                self.user(req, base, format, check)
            }
        }
    }

    fn user(
        &self,
        req: &ServerRequest<'_>,
        base: &str,
        format: Format,
        check: &mut dyn FnMut(&CredentialCheck<'_>) -> UserAuth,
    ) -> ServerResponse {
        let url = format!("{base}{}", req.target);
        let authorization = req.get("authorization");
        let bearer = authorization.and_then(|a| {
            let (scheme, rest) = a.split_once(' ')?;
            (scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty())
                .then(|| SecretString::new(rest.trim()))
        });
        let basic = authorization
            .filter(|_| self.site.offer_basic)
            .and_then(parse_basic);
        let credential = if let Some(t) = req.get("x-ms-webticket").filter(|t| !t.is_empty()) {
            UserCredential::WebTicket(t)
        } else if let Some(t) = &bearer {
            UserCredential::Bearer(t)
        } else if let Some((u, p)) = &basic {
            UserCredential::Basic {
                username: u,
                password: p,
            }
        } else {
            return self.challenge();
        };
        match check(&CredentialCheck {
            credential,
            user_url: &url,
        }) {
            UserAuth::Authenticated(u) if u.domain() == self.site.domain => {
                let root = format!("{base}{ROOT_PATH}");
                let mut links = Vec::new();
                for (token, href) in [
                    ("Internal/Autodiscover", &root),
                    ("External/Autodiscover", &root),
                    ("Internal/AuthBroker", &self.site.web_ticket_url),
                    ("External/AuthBroker", &self.site.web_ticket_url),
                ] {
                    links.push((token, href.clone()));
                }
                let doc = Doc {
                    resource: "User",
                    access: self.access_entries(),
                    links,
                };
                self.render(&doc, format)
            }
            UserAuth::Authenticated(_) | UserAuth::UnknownUser => ServerResponse::new(404),
            UserAuth::Rejected => self.challenge(),
        }
    }

    /// Answers a request that arrived over plain HTTP: the Root with a single `Redirect`
    /// link to the same Root over HTTPS (\[MS-OCDISCWS\] 3.1.5.2); `404` for everything else
    /// (credentials never go over plain HTTP).
    pub fn handle_insecure(&self, req: &ServerRequest<'_>) -> ServerResponse {
        match Self::route(req.path()) {
            Some(AutodiscoverRoute::Root) => {}
            _ => return ServerResponse::new(404),
        }
        let format = Format::negotiate(req.get("accept"));
        let base = self.base_for(req.get("host"));
        let https_base = match base.split_once("://") {
            Some((_, rest)) => format!("https://{rest}"),
            None => base.to_owned(),
        };
        let doc = Doc {
            resource: "Root",
            access: Vec::new(),
            links: vec![(
                "Redirect",
                format!("{https_base}{ROOT_PATH}{}", query_suffix(req.query())),
            )],
        };
        self.render(&doc, format)
    }

    /// The `401` of the User resource.
    fn challenge(&self) -> ServerResponse {
        let mut r =
            ServerResponse::new(401).header("X-MS-WebTicketURL", &*self.site.web_ticket_url);
        if let Some(href) = &self.site.oauth_token_url {
            r = r.header(
                "WWW-Authenticate",
                format!("MsRtcOAuth href={href},grant_type=\"{GRANT_TYPES}\""),
            );
        }
        let mut bearer = format!(
            "Bearer trusted_issuers=\"{BEARER_TRUSTED_ISSUERS}\", client_id=\"{BEARER_CLIENT_ID}\""
        );
        if let Some(uri) = &self.site.bearer_authorization_uri {
            bearer.push_str(&format!(", authorization_uri=\"{uri}\""));
        }
        r = r.header("WWW-Authenticate", bearer);
        if self.site.offer_basic {
            r = r.header(
                "WWW-Authenticate",
                format!("Basic realm=\"{}\"", self.site.domain),
            );
        }
        r
    }

    fn access_entries(&self) -> Vec<(&'static str, &str, u16)> {
        let mut out = Vec::new();
        if let Some((h, p)) = &self.site.internal {
            out.push(("SipServerInternalAccess", h.as_str(), self.site.server_port));
            out.push(("SipClientInternalAccess", h.as_str(), *p));
        }
        if let Some((h, p)) = &self.site.external {
            out.push(("SipServerExternalAccess", h.as_str(), self.site.server_port));
            out.push(("SipClientExternalAccess", h.as_str(), *p));
        }
        out
    }

    fn location(&self) -> Option<&'static str> {
        self.site.access_location.map(|l| match l {
            AccessLocation::Internal => "Internal",
            AccessLocation::External => "External",
        })
    }

    fn render(&self, doc: &Doc<'_>, format: Format) -> ServerResponse {
        let (content_type, body) = match format {
            Format::Xml => match self.xml(doc) {
                Ok(x) => (XML_CONTENT_TYPE, x.into_bytes()),
                Err(_) => return ServerResponse::new(500),
            },
            Format::Json => ("application/json", self.json(doc)),
            Format::JsonVendor => (JSON_VENDOR_CONTENT_TYPE, self.json(doc)),
        };
        ServerResponse::new(200).body(content_type, body)
    }

    fn xml(&self, doc: &Doc<'_>) -> Result<String, Error> {
        let mut w = XmlWriter::with_capacity(1024);
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        match self.location() {
            Some(l) => w.open("AutodiscoverResponse", &[("AccessLocation", l)]),
            None => w.open("AutodiscoverResponse", &[]),
        };
        let resource = doc.resource;
        w.open(resource, &[]);
        for (name, fqdn, port) in &doc.access {
            w.leaf(name, &[("fqdn", *fqdn), ("port", &port.to_string())], "");
        }
        for (token, href) in &doc.links {
            // `self` is a JSON-only link.
            if *token != "self" {
                w.leaf("Link", &[("token", *token), ("href", href)], "");
            }
        }
        w.close(resource);
        w.close("AutodiscoverResponse");
        w.finish()
    }

    fn json(&self, doc: &Doc<'_>) -> Vec<u8> {
        let mut top = Map::new();
        if let Some(l) = self.location() {
            top.insert("AccessLocation".into(), Value::from(l));
        }
        if doc.resource == "Root" {
            let links: Map<String, Value> = doc
                .links
                .iter()
                .map(|(t, h)| (t.to_ascii_lowercase(), json!({ "href": h })))
                .collect();
            top.insert("_links".into(), Value::Object(links));
        } else {
            let mut inner = Map::new();
            for (name, fqdn, port) in &doc.access {
                inner.insert((*name).into(), json!({ "fqdn": fqdn, "port": port }));
            }
            if !doc.links.is_empty() {
                let links: Vec<Value> = doc
                    .links
                    .iter()
                    .map(|(t, h)| json!({ "token": t, "href": h }))
                    .collect();
                inner.insert("Links".into(), Value::Array(links));
            }
            top.insert(doc.resource.into(), Value::Object(inner));
        }
        serde_json::to_vec(&Value::Object(top)).unwrap_or_default()
    }
}

fn query_suffix(q: Option<&str>) -> String {
    match q {
        Some(q) if !q.is_empty() && !q.bytes().any(|b| b.is_ascii_control() || b == b' ') => {
            format!("?{q}")
        }
        _ => String::new(),
    }
}

/// The `sipuri` query parameter, percent-decoded and valid.
fn sipuri(query: Option<&str>) -> Option<SipAddress> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("sipuri"))
        .and_then(|(_, v)| percent_decode(v))
        .and_then(|v| SipAddress::parse(&v).ok())
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
