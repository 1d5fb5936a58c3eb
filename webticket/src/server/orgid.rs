//! The OrgID service side (`web-services.md` §3): realm discovery
//! (`getuserrealm.srf`) and the legacy WS-Trust endpoint `RST2.srf`, answering what
//! [`crate::orgid`] asks.
//!
//! ```text
//!  GET /getuserrealm.srf?login=alice@contoso.com&xml=1 ─► handle_realm ─► RealmInfo (Managed | Federated{STSAuthURL} | Unknown)
//!  POST /RST2.srf (SOAP 1.2 RST, wsse:UsernameToken, AppliesTo) ─► handle_rst2
//!        check_password(user, password) ── ok ──► RSTR { Lifetime, RequestedSecurityToken/xenc:EncryptedData }
//!                                        └─ no ──► S:Fault + psf:error/internalerror/text
//!  web-ticket service (WsFedBearer port) ─► verify_token(EncryptedData XML, applies_to, now) ─► OrgIdGrant { user, … }
//! ```
//!
//! What it does: parses the request with the crate's safe XML reader (username and password
//! are read with entities and character references resolved, the password kept exactly,
//! whitespace included, in a [`SecretString`]), asks the caller's callback, and on success
//! issues an opaque token: an `xenc:EncryptedData` element whose `CipherValue` is a random
//! 32-byte handle (base64). The service remembers handle → user, AppliesTo and expiry (only
//! the SHA-1 digest of the handle is kept), so [`OrgIdServer::verify_token`] can resolve the
//! token when the client presents it in a `wsse:Security` header. It does not matter
//! whether that XML arrives byte-identical (the client keeps it verbatim) or re-serialized:
//! verification parses it and reads only the `CipherValue`.
//!
//! What it does **not** do: no real encryption or SAML inside the token (it is a handle,
//! meaningful only to this server), no ADFS and no federated second hop (a `wsse:Security`
//! without a `UsernameToken` gets an `InvalidRequest` fault), no user database (passwords
//! are checked by a callback), no sockets, no clock, no global RNG.
//!
//! State is bounded: at most [`OrgIdServerConfig::max_tokens`] live tokens; expired ones are
//! purged whenever a token is issued, and if the store is still full the token expiring
//! first is evicted.
//!
//! UNCONFIRMED choices:
//! - the `psf:` namespace [`PSF_NS`], the codes `0x80048821` / `0x80041012` and the fault
//!   text for a wrong password (the shape the client's [`SoapFault`](crate::soap::SoapFault)
//!   reads; SIPE reads `Detail/error/internalerror/text`); faults are sent with HTTP `200`
//!   by default because SIPE only reads bodies of `200` responses
//!   ([`OrgIdServerConfig::fault_status`]);
//! - unknown users and wrong passwords get the same fault (no user enumeration);
//! - the RSTR layout beyond `Lifetime` and `EncryptedData` (`wst:TokenType`
//!   `urn:passport:legacy`, `wsp:AppliesTo`), the `EncryptedData` decoration
//!   (`Id="BinaryDAToken0"`, triple-DES method, `ds:KeyName http://Passport.NET/STS`);
//! - the `RealmInfo` children other than `NameSpaceType` / `STSAuthURL`, and the JSON form
//!   sent when `xml=1` is absent;
//! - the token is not single-use: the client reuses it for every web ticket until expiry.

use std::collections::HashMap;
use std::fmt;

use rand_core::CryptoRngCore;
use serde_json::json;

use super::device_code::{digest, parse_form};
use super::{ServerRequest, ServerResponse};
use crate::crypto::{SecretString, b64};
use crate::error::{AuthError, Error, missing};
use crate::orgid::RST2_URL;
use crate::soap::ns;
use crate::time::UnixTime;
use crate::xml::{AnyNs, Document, Element, XmlLimits, XmlWriter};

/// The Passport SOAP fault namespace bound to `psf` (UNCONFIRMED).
pub const PSF_NS: &str = "http://schemas.microsoft.com/Passport/SoapServices/SOAPFault";
/// `psf:value` of an authentication failure (UNCONFIRMED).
pub const PSF_VALUE_AUTH_FAILED: &str = "0x80048821";
/// `psf:internalerror/psf:code` of a wrong password (UNCONFIRMED).
pub const PSF_CODE_WRONG_PASSWORD: &str = "0x80041012";
/// `psf:internalerror/psf:text` of a wrong password (§8 F9b).
pub const WRONG_PASSWORD_TEXT: &str = "The entered and stored passwords do not match.";
/// Default token lifetime: 8 hours.
pub const DEFAULT_TOKEN_LIFETIME: i64 = 8 * 3600;
/// Default cap on live tokens.
pub const DEFAULT_MAX_TOKENS: usize = 10_000;
/// Largest RST body accepted, in bytes.
pub const MAX_RST_BODY: usize = 64 * 1024;
/// `wst:TokenType` written in the RSTR (UNCONFIRMED).
pub const TOKEN_TYPE_PASSPORT: &str = "urn:passport:legacy";
const XENC_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const XENC_3DES: &str = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";
const PASSPORT_KEY_NAME: &str = "http://Passport.NET/STS";
const HANDLE_BYTES: usize = 32;

/// A domain whose users sign in through their organisation's ADFS.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FederatedDomain {
    /// The domain (`fabrikam.com`), compared case-insensitively.
    pub domain: String,
    /// The ADFS WS-Trust endpoint sent as `STSAuthURL`.
    pub sts_auth_url: String,
}

/// Settings of an [`OrgIdServer`]. Build with [`Default`] and the setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgIdServerConfig {
    /// Token lifetime in seconds (default 8 h).
    pub token_lifetime: i64,
    /// Cap on live tokens (default 10 000).
    pub max_tokens: usize,
    /// Domains that exist (`NameSpaceType` `Managed` unless federated); empty means every
    /// domain is managed.
    pub known_domains: Vec<String>,
    /// Federated domains (`NameSpaceType` `Federated` + `STSAuthURL`).
    pub federated: Vec<FederatedDomain>,
    /// Accepted `AppliesTo` addresses (compared ASCII case-insensitively, trailing `/`
    /// ignored); empty accepts any.
    pub allowed_applies_to: Vec<String>,
    /// The URL naming this service in [`AuthError::CredentialRejected`] (default
    /// [`RST2_URL`]).
    pub issuer_url: String,
    /// HTTP status of faults (default `200`, see the module documentation).
    pub fault_status: u16,
    /// `FederationBrandName` in `RealmInfo` (default: the domain).
    pub federation_brand_name: Option<String>,
    /// `CloudInstanceName` in `RealmInfo` (default `microsoftonline.com`).
    pub cloud_instance_name: String,
}

impl Default for OrgIdServerConfig {
    fn default() -> Self {
        Self {
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            max_tokens: DEFAULT_MAX_TOKENS,
            known_domains: Vec::new(),
            federated: Vec::new(),
            allowed_applies_to: Vec::new(),
            issuer_url: RST2_URL.to_owned(),
            fault_status: 200,
            federation_brand_name: None,
            cloud_instance_name: "microsoftonline.com".to_owned(),
        }
    }
}

impl OrgIdServerConfig {
    /// Sets [`token_lifetime`](Self::token_lifetime) (at least 1 s).
    pub fn token_lifetime(mut self, secs: i64) -> Self {
        self.token_lifetime = secs.max(1);
        self
    }

    /// Sets [`max_tokens`](Self::max_tokens).
    pub fn max_tokens(mut self, n: usize) -> Self {
        self.max_tokens = n;
        self
    }

    /// Adds a known (managed) domain.
    pub fn known_domain(mut self, domain: impl Into<String>) -> Self {
        self.known_domains.push(domain.into());
        self
    }

    /// Adds a federated domain.
    pub fn federated_domain(
        mut self,
        domain: impl Into<String>,
        sts_auth_url: impl Into<String>,
    ) -> Self {
        self.federated.push(FederatedDomain {
            domain: domain.into(),
            sts_auth_url: sts_auth_url.into(),
        });
        self
    }

    /// Adds an accepted `AppliesTo` address.
    pub fn allow_applies_to(mut self, address: impl Into<String>) -> Self {
        self.allowed_applies_to.push(address.into());
        self
    }

    /// Sets [`fault_status`](Self::fault_status).
    pub fn fault_status(mut self, status: u16) -> Self {
        self.fault_status = status;
        self
    }
}

/// What an OrgID token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgIdGrant {
    /// The user name as sent in `wsse:Username` (trimmed).
    pub user: String,
    /// The `AppliesTo` address it was issued for.
    pub applies_to: String,
    /// `wsu:Created`.
    pub created: UnixTime,
    /// `wsu:Expires`.
    pub expires: UnixTime,
}

/// A token issued by [`OrgIdServer::issue`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuedOrgIdToken {
    /// The whole RSTR envelope, as `RST2.srf` answers it.
    pub rstr_xml: String,
    /// The `EncryptedData` element alone (self-contained).
    pub token_xml: SecretString,
    /// What it stands for.
    pub grant: OrgIdGrant,
}

impl fmt::Debug for IssuedOrgIdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedOrgIdToken")
            .field("grant", &self.grant)
            .finish_non_exhaustive()
    }
}

/// The parts of an RST that matter.
struct Rst {
    username: String,
    password: SecretString,
    applies_to: String,
}

/// Why an RST was refused, mapped to a fault.
enum Refusal {
    Invalid(&'static str),
    BadCredentials,
    AppliesTo,
}

/// The OrgID service: realm discovery, `RST2.srf`, and token verification for the
/// web-ticket service. See the [module documentation](self).
///
/// ```
/// use webticket::crypto::SecretString;
/// use webticket::orgid::{OrgIdRequest, OrgIdToken};
/// use webticket::server::orgid::{OrgIdServer, OrgIdServerConfig};
/// use webticket::server::ServerRequest;
/// use webticket::soap::Uuid;
/// use webticket::UnixTime;
/// # struct Rng(u64);
/// # impl rand_core::RngCore for Rng {
/// #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
/// #     fn next_u64(&mut self) -> u64 { self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15); let mut z = self.0; z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9); z ^ (z >> 31) }
/// #     fn fill_bytes(&mut self, d: &mut [u8]) { rand_core::impls::fill_bytes_via_next(self, d) }
/// #     fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core::Error> { self.fill_bytes(d); Ok(()) }
/// # }
/// # impl rand_core::CryptoRng for Rng {}
/// let mut rng = Rng(7); // a CSPRNG in production
/// let mut server = OrgIdServer::new(OrgIdServerConfig::default());
/// let pw = SecretString::new("p&ss");
/// let applies_to = "https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer";
/// let rst = OrgIdRequest::password("alice@contoso.com", &pw, applies_to, Uuid::from_random_bytes([1; 16])).build()?;
/// let req = ServerRequest::new("POST", "/RST2.srf").body(&rst.body);
/// let now = UnixTime(1_767_225_600);
/// let resp = server.handle_rst2(&req, now, &mut rng, &mut |u, p| {
///     u == "alice@contoso.com" && p.dangerous_expose() == "p&ss"
/// });
/// let token = OrgIdToken::parse(&resp.body)?;
/// let grant = server.verify_token(token.token_xml(), Some(applies_to), now + 60)?;
/// assert_eq!(grant.user, "alice@contoso.com");
/// # Ok::<(), webticket::Error>(())
/// ```
pub struct OrgIdServer {
    config: OrgIdServerConfig,
    tokens: HashMap<[u8; 20], OrgIdGrant>,
}

impl fmt::Debug for OrgIdServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgIdServer")
            .field("config", &self.config)
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

/// A password check the caller supplies: `(username, password) -> accepted`.
pub type PasswordCheck<'c> = &'c mut dyn FnMut(&str, &SecretString) -> bool;

impl OrgIdServer {
    /// A server with no tokens.
    pub fn new(config: OrgIdServerConfig) -> Self {
        Self {
            config,
            tokens: HashMap::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &OrgIdServerConfig {
        &self.config
    }

    /// Routes by path (case-insensitive): `…/getuserrealm.srf` to
    /// [`handle_realm`](Self::handle_realm), `…/RST2.srf` to
    /// [`handle_rst2`](Self::handle_rst2); anything else is `404`.
    pub fn handle(
        &mut self,
        req: &ServerRequest<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
        check_password: PasswordCheck<'_>,
    ) -> ServerResponse {
        let path = req.path().to_ascii_lowercase();
        if path.ends_with("/getuserrealm.srf") {
            self.handle_realm(req)
        } else if path.ends_with("/rst2.srf") {
            self.handle_rst2(req, now, rng, check_password)
        } else {
            ServerResponse::new(404)
        }
    }

    /// `GET /getuserrealm.srf?login=<user>&xml=1`: the `RealmInfo` XML that
    /// [`RealmInfo::parse`](crate::orgid::RealmInfo::parse) reads (`NameSpaceType`
    /// `Managed`, `Federated` with `STSAuthURL`, or `Unknown` for a domain not in
    /// [`OrgIdServerConfig::known_domains`]). Without `xml=1` the same fields are sent as
    /// JSON (UNCONFIRMED shape). `400` without a `login`, `405` for other methods.
    pub fn handle_realm(&self, req: &ServerRequest<'_>) -> ServerResponse {
        if !req.method.eq_ignore_ascii_case("GET") {
            return ServerResponse::new(405).header("Allow", "GET");
        }
        let Some(query) = req.query().and_then(|q| parse_form(q.as_bytes())) else {
            return ServerResponse::new(400);
        };
        let login = query.get("login").unwrap_or("").trim().to_owned();
        if login.is_empty() {
            return ServerResponse::new(400);
        }
        let xml = query.get("xml").is_some_and(|x| x == "1");
        let domain = login.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
        let federated = self
            .config
            .federated
            .iter()
            .find(|f| f.domain.eq_ignore_ascii_case(&domain));
        let known = federated.is_some()
            || self.config.known_domains.is_empty()
            || self
                .config
                .known_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&domain));
        let (ns_type, state, user_state) = match (known, federated) {
            (false, _) => ("Unknown", "4", "1"),
            (true, Some(_)) => ("Federated", "3", "2"),
            (true, None) => ("Managed", "4", "1"),
        };
        let brand = self
            .config
            .federation_brand_name
            .clone()
            .unwrap_or_else(|| domain.clone());
        if !xml {
            let mut v = json!({
                "State": state.parse::<u32>().unwrap_or(4),
                "UserState": user_state.parse::<u32>().unwrap_or(1),
                "Login": login,
                "NameSpaceType": ns_type,
            });
            if known {
                v["DomainName"] = json!(domain);
                v["FederationBrandName"] = json!(brand);
                v["CloudInstanceName"] = json!(self.config.cloud_instance_name);
            }
            if let Some(f) = federated {
                v["STSAuthURL"] = json!(f.sts_auth_url);
            }
            return ServerResponse::new(200).body(
                "application/json; charset=utf-8",
                v.to_string().into_bytes(),
            );
        }
        let mut w = XmlWriter::with_capacity(512);
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        w.open("RealmInfo", &[("Success", "true")])
            .leaf("State", &[], state)
            .leaf("UserState", &[], user_state)
            .leaf("Login", &[], &login)
            .leaf("NameSpaceType", &[], ns_type);
        if known {
            w.leaf("DomainName", &[], &domain)
                .leaf(
                    "IsFederatedNS",
                    &[],
                    if federated.is_some() { "true" } else { "false" },
                )
                .leaf("FederationBrandName", &[], &brand);
        }
        if let Some(f) = federated {
            w.leaf("STSAuthURL", &[], &f.sts_auth_url);
        }
        if known {
            w.leaf("CloudInstanceName", &[], &self.config.cloud_instance_name);
        }
        w.close("RealmInfo");
        match w.finish() {
            Ok(xml) => ServerResponse::new(200).body("text/xml; charset=utf-8", xml.into_bytes()),
            // The login held a character XML cannot carry.
            Err(_) => ServerResponse::new(400),
        }
    }

    /// `POST /RST2.srf`: reads the SOAP 1.2 (or 1.1) RST, checks the username token with
    /// `check_password` and answers an RSTR with `wst:Lifetime` and an opaque
    /// `xenc:EncryptedData`, or a Passport-style fault (wrong password:
    /// [`WRONG_PASSWORD_TEXT`], subcode `wst:FailedAuthentication`; unreadable request,
    /// missing token or AppliesTo: `wst:InvalidRequest`; AppliesTo not allowed:
    /// `wst:InvalidRequest`). `405` for other methods.
    pub fn handle_rst2(
        &mut self,
        req: &ServerRequest<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
        check_password: PasswordCheck<'_>,
    ) -> ServerResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            return ServerResponse::new(405).header("Allow", "POST");
        }
        let rst = match parse_rst(req.body) {
            Ok(r) => r,
            Err(r) => return self.fault(r),
        };
        if !self.applies_to_allowed(&rst.applies_to) {
            return self.fault(Refusal::AppliesTo);
        }
        if !check_password(&rst.username, &rst.password) {
            return self.fault(Refusal::BadCredentials);
        }
        match self.issue(&rst.username, &rst.applies_to, now, rng) {
            Ok(t) => ServerResponse::new(200).body(
                "application/soap+xml; charset=utf-8",
                t.rstr_xml.into_bytes(),
            ),
            Err(_) => self.fault(Refusal::Invalid("a value cannot be written as XML")),
        }
    }

    /// Issues a token for `user` and `applies_to` at `now` without a password check (for
    /// the caller's own flows and tests), and remembers it.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidXmlChar`](crate::error::MisuseError::InvalidXmlChar) when a
    /// value cannot be written as XML.
    pub fn issue(
        &mut self,
        user: &str,
        applies_to: &str,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<IssuedOrgIdToken, Error> {
        let mut bytes = zeroize::Zeroizing::new([0u8; HANDLE_BYTES]);
        rng.fill_bytes(&mut bytes[..]);
        let handle = zeroize::Zeroizing::new(b64(&bytes[..]));
        let expires = now.plus(self.config.token_lifetime.max(1));
        let mut t = XmlWriter::with_capacity(512);
        t.open(
            "EncryptedData",
            &[
                ("xmlns", ns::XENC),
                ("Id", "BinaryDAToken0"),
                ("Type", XENC_ELEMENT),
            ],
        )
        .leaf("EncryptionMethod", &[("Algorithm", XENC_3DES)], "")
        .open("ds:KeyInfo", &[("xmlns:ds", ns::DS)])
        .leaf("ds:KeyName", &[], PASSPORT_KEY_NAME)
        .close("ds:KeyInfo")
        .open("CipherData", &[])
        .leaf("CipherValue", &[], &handle)
        .close("CipherData")
        .close("EncryptedData");
        let token_xml = SecretString::new(t.finish()?);
        let mut w = XmlWriter::with_capacity(1536);
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        w.open(
            "S:Envelope",
            &[
                ("xmlns:S", ns::SOAP12),
                ("xmlns:wst", ns::WST_2005),
                ("xmlns:wsu", ns::WSU),
                ("xmlns:wsp", ns::WSP),
                ("xmlns:wsa", ns::WSA),
            ],
        )
        .open("S:Body", &[])
        .open("wst:RequestSecurityTokenResponse", &[])
        .leaf("wst:TokenType", &[], TOKEN_TYPE_PASSPORT)
        .open("wsp:AppliesTo", &[])
        .open("wsa:EndpointReference", &[])
        .leaf("wsa:Address", &[], applies_to)
        .close("wsa:EndpointReference")
        .close("wsp:AppliesTo")
        .open("wst:Lifetime", &[])
        .leaf("wsu:Created", &[], &now.to_xsd_datetime())
        .leaf("wsu:Expires", &[], &expires.to_xsd_datetime())
        .close("wst:Lifetime")
        .open("wst:RequestedSecurityToken", &[])
        .raw(token_xml.dangerous_expose())
        .close("wst:RequestedSecurityToken")
        .close("wst:RequestSecurityTokenResponse")
        .close("S:Body")
        .close("S:Envelope");
        let rstr_xml = w.finish()?;
        let grant = OrgIdGrant {
            user: user.trim().to_owned(),
            applies_to: applies_to.trim().to_owned(),
            created: now,
            expires,
        };
        self.insert(digest(&handle), grant.clone(), now);
        Ok(IssuedOrgIdToken {
            rstr_xml,
            token_xml,
            grant,
        })
    }

    fn insert(&mut self, key: [u8; 20], grant: OrgIdGrant, now: UnixTime) {
        let cap = self.config.max_tokens.max(1);
        if self.tokens.len() >= cap {
            self.purge_expired(now);
        }
        while self.tokens.len() >= cap {
            let Some(victim) = self
                .tokens
                .iter()
                .min_by_key(|(_, g)| g.expires)
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.tokens.remove(&victim);
        }
        self.tokens.insert(key, grant);
    }

    /// Resolves a token presented to the web-ticket service: `token_xml` is the
    /// `EncryptedData` element (as the client sent it, verbatim or re-serialized; it must
    /// be self-contained, see [`Element::raw_standalone`]), or any self-contained fragment
    /// containing it (the whole `wsse:Security` element or the whole envelope). Only the
    /// `CipherValue` is read. When `applies_to` is given it must match the address the
    /// token was issued for (ASCII case-insensitive, trailing `/` ignored).
    ///
    /// # Errors
    ///
    /// XML errors and [`MalformedError::Missing`](crate::error::MalformedError::Missing) for an unreadable token,
    /// [`AuthError::TokenExpired`] when `now` is at or after `wsu:Expires`,
    /// [`AuthError::CredentialRejected`] (naming [`OrgIdServerConfig::issuer_url`]) for a
    /// token not issued here (or revoked, or evicted) or issued for another AppliesTo.
    pub fn verify_token(
        &self,
        token_xml: &str,
        applies_to: Option<&str>,
        now: UnixTime,
    ) -> Result<OrgIdGrant, Error> {
        let limits = XmlLimits::default().max_size(MAX_RST_BODY);
        let doc = Document::parse(token_xml.as_bytes(), &limits)?;
        let root = doc.root();
        let enc = if root.is(ns::XENC, "EncryptedData") {
            root
        } else {
            root.find(ns::XENC, "EncryptedData")
                .ok_or_else(|| missing("xenc:EncryptedData"))?
        };
        let cipher = enc
            .path(&[(ns::XENC, "CipherData"), (ns::XENC, "CipherValue")])
            .ok_or_else(|| missing("xenc:CipherValue"))?;
        self.verify_cipher_value(cipher.text_trimmed(), applies_to, now)
    }

    /// [`verify_token`](Self::verify_token) given the `CipherValue` text alone.
    ///
    /// # Errors
    ///
    /// As [`verify_token`](Self::verify_token), without the XML errors.
    pub fn verify_cipher_value(
        &self,
        cipher_value: &str,
        applies_to: Option<&str>,
        now: UnixTime,
    ) -> Result<OrgIdGrant, Error> {
        let rejected = || -> Error {
            AuthError::CredentialRejected {
                url: self.config.issuer_url.clone(),
            }
            .into()
        };
        let compact: String = cipher_value
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let grant = self.tokens.get(&digest(&compact)).ok_or_else(rejected)?;
        if now >= grant.expires {
            return Err(AuthError::TokenExpired.into());
        }
        if let Some(a) = applies_to
            && !same_address(a, &grant.applies_to)
        {
            return Err(rejected());
        }
        Ok(grant.clone())
    }

    /// Forgets every token of `user` (case-insensitive); returns how many.
    pub fn revoke_user(&mut self, user: &str) -> usize {
        let before = self.tokens.len();
        self.tokens
            .retain(|_, g| !g.user.eq_ignore_ascii_case(user));
        before - self.tokens.len()
    }

    /// Forgets expired tokens; returns how many.
    pub fn purge_expired(&mut self, now: UnixTime) -> usize {
        let before = self.tokens.len();
        self.tokens.retain(|_, g| now < g.expires);
        before - self.tokens.len()
    }

    /// Live tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether no token is live.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    fn applies_to_allowed(&self, applies_to: &str) -> bool {
        self.config.allowed_applies_to.is_empty()
            || self
                .config
                .allowed_applies_to
                .iter()
                .any(|a| same_address(a, applies_to))
    }

    fn fault(&self, why: Refusal) -> ServerResponse {
        let (subcode, reason, value, code, text) = match why {
            Refusal::BadCredentials => (
                "wst:FailedAuthentication",
                "Authentication Failure",
                Some(PSF_VALUE_AUTH_FAILED),
                Some(PSF_CODE_WRONG_PASSWORD),
                WRONG_PASSWORD_TEXT,
            ),
            Refusal::Invalid(what) => ("wst:InvalidRequest", "Invalid Request", None, None, what),
            Refusal::AppliesTo => (
                "wst:InvalidRequest",
                "Invalid Request",
                None,
                None,
                "The requested service (AppliesTo) is not known.",
            ),
        };
        let mut w = XmlWriter::with_capacity(1024);
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        w.open(
            "S:Envelope",
            &[
                ("xmlns:S", ns::SOAP12),
                ("xmlns:wst", ns::WST_2005),
                ("xmlns:psf", PSF_NS),
            ],
        )
        .open("S:Body", &[])
        .open("S:Fault", &[])
        .open("S:Code", &[])
        .leaf("S:Value", &[], "S:Sender")
        .open("S:Subcode", &[])
        .leaf("S:Value", &[], subcode)
        .close("S:Subcode")
        .close("S:Code")
        .open("S:Reason", &[])
        .leaf("S:Text", &[("xml:lang", "en-US")], reason)
        .close("S:Reason")
        .open("S:Detail", &[])
        .open("psf:error", &[]);
        if let Some(v) = value {
            w.leaf("psf:value", &[], v);
        }
        w.open("psf:internalerror", &[]);
        if let Some(c) = code {
            w.leaf("psf:code", &[], c);
        }
        w.leaf("psf:text", &[], text)
            .close("psf:internalerror")
            .close("psf:error")
            .close("S:Detail")
            .close("S:Fault")
            .close("S:Body")
            .close("S:Envelope");
        // Every value above is a constant: finishing cannot fail.
        let body = w.finish().unwrap_or_default();
        ServerResponse::new(self.config.fault_status)
            .body("application/soap+xml; charset=utf-8", body.into_bytes())
    }
}

fn same_address(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('/'))
}

fn parse_rst(body: &[u8]) -> Result<Rst, Refusal> {
    let limits = XmlLimits::default().max_size(MAX_RST_BODY);
    let doc = Document::parse(body, &limits).map_err(|_| Refusal::Invalid("unreadable request"))?;
    let root = doc.root();
    if !root.is([ns::SOAP12, ns::SOAP11], "Envelope") {
        return Err(Refusal::Invalid("not a SOAP envelope"));
    }
    let env = root.namespace();
    let security = root
        .child(env, "Header")
        .and_then(|h| h.child(ns::WSSE, "Security"))
        .ok_or(Refusal::Invalid("missing wsse:Security"))?;
    let token = security
        .child(ns::WSSE, "UsernameToken")
        .ok_or(Refusal::Invalid("only username tokens are supported"))?;
    let text = |e: Option<Element<'_, '_>>| e.map(|e| e.text().to_owned());
    let username = text(token.child(ns::WSSE, "Username"))
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .ok_or(Refusal::Invalid("missing wsse:Username"))?;
    let password = token
        .child(ns::WSSE, "Password")
        .map(|p| SecretString::new(p.text()))
        .ok_or(Refusal::Invalid("missing wsse:Password"))?;
    let rst = root
        .child(env, "Body")
        .and_then(|b| b.child([ns::WST_2005, ns::WST], "RequestSecurityToken"))
        .ok_or(Refusal::Invalid("missing wst:RequestSecurityToken"))?;
    if let Some(t) = rst.child(rst.namespace(), "RequestType")
        && !t.text_trimmed().ends_with("/Issue")
    {
        return Err(Refusal::Invalid("unsupported wst:RequestType"));
    }
    let applies_to = rst
        .child(AnyNs, "AppliesTo")
        .and_then(|a| a.child(AnyNs, "EndpointReference"))
        .and_then(|e| e.child(AnyNs, "Address"))
        .map(|a| a.text_trimmed().to_owned())
        .filter(|a| !a.is_empty())
        .ok_or(Refusal::Invalid("missing wsp:AppliesTo address"))?;
    Ok(Rst {
        username,
        password,
        applies_to,
    })
}
