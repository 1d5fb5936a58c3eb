//! Entry points for the cargo-fuzz targets. Compiled only with `--cfg fuzzing`; not a
//! public API. Each function must never panic, whatever the input.

use crate::UnixTime;
use crate::autodiscover::{AccessLocation, AutodiscoverResponse, Challenge, LinkKind, SipAddress};
use crate::crypto::{ClientEntropy, SecretString};
use crate::device_code::{
    DeviceAuthorization, DeviceCodeConfig, DeviceConfig, DevicePoller, PollStep, TokenResponse,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::orgid::{OrgIdRequest, OrgIdToken, RealmInfo};
use crate::server::autodiscover::{
    AutodiscoverResponder, AutodiscoverRoute, CredentialCheck, SiteConfig, UserAuth, UserCredential,
};
use crate::server::device_code::{AuthorityConfig, DeviceCodeAuthority};
use crate::server::orgid::{OrgIdServer, OrgIdServerConfig};
use crate::server::ticket::{
    AuthFailure, AuthRequest, PresentedCredential, TicketPort, TicketRoute, TicketService,
    TicketServiceConfig,
};
use crate::server::{ServerRequest, ServerResponse};
use crate::soap::{MsDiagnostics, SoapFault, Uuid};
use crate::webticket::{IssueTokenRequest, Metadata, PORT_CERTPROV_PROOF, WebTicket};
use crate::xml::{Document, XmlLimits};

/// The safe XML reader: spans stay inside the input, traversal terminates.
pub fn xml_document(data: &[u8]) {
    let limits = XmlLimits::default().max_size(64 * 1024);
    if let Ok(doc) = Document::parse(data, &limits) {
        let src = doc.source();
        let root = doc.root();
        assert!(src.contains(root.raw()));
        let mut n = 0;
        for el in std::iter::once(root).chain(root.descendants()) {
            n += 1;
            assert!(el.raw().starts_with('<') && el.raw().ends_with('>'));
            assert_eq!(el.raw_standalone(), el.raw_standalone_walk());
            let _ = el.text_trimmed();
            for a in el.attributes() {
                assert!(!a.local_name.is_empty());
            }
        }
        assert_eq!(n, doc.element_count());
        let _ = SoapFault::from_document(&doc);
    }
}

/// Autodiscover XML (and the same bytes as `WWW-Authenticate` / `X-Ms-diagnostics`).
pub fn autodiscover_xml(data: &[u8]) {
    if let Ok(r) = AutodiscoverResponse::parse_xml(data) {
        for p in r.sip_pools() {
            assert!(p.port != 0 && !p.host.is_empty());
        }
        let _ = r.link(LinkKind::User);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        for c in Challenge::parse_all(s) {
            assert!(!c.scheme.is_empty());
        }
        let _ = MsDiagnostics::parse(s);
    }
}

/// Autodiscover JSON.
pub fn autodiscover_json(data: &[u8]) {
    if let Ok(r) = AutodiscoverResponse::parse_json(data) {
        for p in r.sip_pools() {
            assert!(p.port != 0 && !p.host.is_empty());
        }
        let _ = r.redirect();
    }
}

/// MEX / WSDL.
pub fn mex(data: &[u8]) {
    if let Ok(m) = Metadata::parse(data) {
        let _ = m.web_ticket_endpoints();
        if let Some(req) = m.service_requirements(PORT_CERTPROV_PROOF) {
            assert!(m.port(PORT_CERTPROV_PROOF).is_some());
            assert!(!req.issuer.is_empty());
        }
    }
}

/// WS-Trust responses: web-ticket RSTR (with and without client entropy), OrgID RSTR,
/// RealmInfo.
pub fn rstr(data: &[u8]) {
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    for e in [None, Some(&entropy)] {
        if let Ok(t) = WebTicket::parse(data, e) {
            assert!(!t.assertion_id().is_empty());
            assert!(t.lifetime().expires > t.lifetime().created);
            assert!(t.header_value().starts_with("opaque="));
            let sec = t
                .security_header()
                .expect("a parsed ticket can be presented");
            assert!(sec.dangerous_as_str().contains(t.assertion_xml()));
        }
    }
    if let Ok(t) = OrgIdToken::parse(data) {
        assert!(
            t.security_header()
                .dangerous_as_str()
                .ends_with(t.token_xml())
        );
    }
    let _ = RealmInfo::parse(data);
}

/// Device-code JSON: bootstrap, authorization, token response, and the poller fed with the
/// bytes as an error answer.
pub fn device_code_json(data: &[u8]) {
    let _ = DeviceConfig::parse(data);
    let now = UnixTime(1_767_225_600);
    if let Ok(t) = TokenResponse::parse(data, now) {
        assert!(!t.access_token.is_empty());
    }
    let cfg = DeviceCodeConfig::aad_v1("https://login.example/common", "c", "https://r/");
    if let Ok(auth) = DeviceAuthorization::parse(data) {
        assert!(auth.interval >= 1);
        let mut p = DevicePoller::new(cfg.clone(), auth, now);
        let _ = p.poll(now);
    }
    let auth = DeviceAuthorization::parse(
        br#"{"user_code":"U","device_code":"D","verification_uri":"https://v/","expires_in":60}"#,
    )
    .expect("static json");
    let t = now.plus(5);
    for status in [200u16, 400] {
        let mut p = DevicePoller::new(cfg.clone(), auth.clone(), now);
        if let Ok(PollStep::Send(_)) = p.poll(t) {
            p.handle_response(&HttpResponse::new(status, data), t)
                .expect("a request is outstanding");
            let _ = p.poll(t);
            let _ = p.poll(t.plus(100));
        }
    }
}

// ---------------------------------------------------------------------------------------
// The service side (`crate::server`): one fuzzed HTTP request per run, against a service
// that has already answered one real request built by the crate's client side.
// ---------------------------------------------------------------------------------------

/// The time of every server run.
const SERVER_NOW: UnixTime = UnixTime(1_767_225_600);
const WT_URL: &str = "https://pool.contoso.com/WebTicket/WebTicketService.svc";
const AD_BASE: &str = "https://lyncdiscover.contoso.com";
const AD_USER_URL: &str = "https://lyncdiscover.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com";
/// `alice@contoso.com:secret`.
const ALICE_BASIC: &str = "Basic YWxpY2VAY29udG9zby5jb206c2VjcmV0";
const ORGID_APPLIES_TO: &str =
    "https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer";
const ORGID_PASSWORD: &str = "p&ss";
const DC_AUTHORITY: &str = "https://login.example/common";
const DC_CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const DC_RESOURCE: &str = "https://webdir1a.online.lync.com/";
const DC_PASSWORD: &str = "p&ss w\u{f6}rd";

/// A deterministic generator (splitmix64), so crashes reproduce. Not for anything secret.
struct FuzzRng(u64);

impl rand_core::RngCore for FuzzRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for FuzzRng {}

/// The fuzz input read as a request: `METHOD SP target`, then `Name: value` lines, an
/// empty line (`\n\n`, CR before LF optional) and the body. The head is read as UTF-8
/// (lossy); a line without `:` is a header with an empty value. Before splitting,
/// placeholders such as `{ticket}` are replaced with real secrets of the run, so that the
/// verify paths are reachable.
struct FuzzRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl FuzzRequest {
    fn parse(data: &[u8], placeholders: &[(&str, &str)]) -> Self {
        let data = substitute(data, placeholders);
        let split = data.windows(2).position(|w| w == b"\n\n");
        let (head, body) = match split {
            Some(i) => (&data[..i], &data[i + 2..]),
            None => (&data[..], &[][..]),
        };
        let head = String::from_utf8_lossy(head);
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let first = lines.next().unwrap_or("");
        let (method, target) = first.split_once(' ').unwrap_or((first, ""));
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap_or((l, ""));
                (n.to_owned(), v.to_owned())
            })
            .collect();
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers,
            body: body.to_vec(),
        }
    }

    fn view(&self) -> ServerRequest<'_> {
        let mut r = ServerRequest::new(&self.method, &self.target).body(&self.body);
        for (n, v) in &self.headers {
            r = r.header(n, v);
        }
        r
    }

    /// The body, when it is UTF-8.
    fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

fn substitute(data: &[u8], placeholders: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    'outer: while i < data.len() {
        if data[i] == b'{' {
            for (k, v) in placeholders {
                if data[i..].starts_with(k.as_bytes()) {
                    out.extend_from_slice(v.as_bytes());
                    i += k.len();
                    continue 'outer;
                }
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

/// The path and query of an absolute URL built by the client side.
fn target_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

fn client_request(req: &HttpRequest) -> ServerRequest<'_> {
    let mut r = ServerRequest::new(req.method.as_str(), target_of(&req.url)).body(&req.body);
    for (n, v) in &req.headers {
        r = r.header(n, v);
    }
    r
}

/// What every answer must look like: a real status, header names that are tokens, header
/// values without CR, LF or NUL (no header injection from request data).
fn check_response(r: &ServerResponse) {
    assert!((100..=599).contains(&r.status), "status {}", r.status);
    for (n, v) in &r.headers {
        assert!(
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b':'),
            "header name {n:?}"
        );
        assert!(!v.contains(['\r', '\n', '\0']), "header {n}: {v:?}");
    }
}

fn alice() -> SipAddress {
    SipAddress::parse("alice@contoso.com").expect("static address")
}

/// The `authenticate` callback of the ticket service: fixed users, and refusals whose
/// reason carries request data (so header escaping is exercised).
fn ticket_auth(a: &AuthRequest<'_>) -> Result<SipAddress, AuthFailure> {
    let password_user = |username: &str, password: &SecretString| match password.dangerous_expose()
    {
        "secret" => SipAddress::parse(username).map_err(|_| AuthFailure::UnknownUser),
        "disabled" => Err(AuthFailure::NotSipEnabled),
        "expired" => Err(AuthFailure::Expired),
        "" => Err(AuthFailure::WrongPassword),
        _ => Err(AuthFailure::Rejected(format!("{username} may not sign in"))),
    };
    match a.credential {
        PresentedCredential::Basic { username, password }
        | PresentedCredential::UsernameToken { username, password } => {
            password_user(username, password)
        }
        PresentedCredential::Bearer(t) if t.dangerous_expose() == "good-token" => Ok(alice()),
        PresentedCredential::Bearer(t) => Err(AuthFailure::Rejected(format!(
            "token {} refused",
            t.dangerous_expose()
        ))),
        PresentedCredential::OrgIdToken(x) | PresentedCredential::SamlAssertion(x) => {
            if x.contains("alice") {
                Ok(alice())
            } else {
                Err(AuthFailure::Rejected(x.chars().take(64).collect()))
            }
        }
    }
}

/// A ticket service that has issued one proof-key ticket for the autodiscover User URL to
/// `alice@contoso.com` through the WinNegotiate port (request built by
/// `IssueTokenRequest`). Returns the service and the ticket as the client read it.
fn ticket_service_with_ticket(rng: &mut FuzzRng) -> (TicketService, WebTicket) {
    let config = TicketServiceConfig::new(WT_URL)
        .expect("static url")
        .max_tickets(4)
        .advertise_negotiate(true);
    let mut service = TicketService::new(config);
    let endpoint = service.config().port_url(TicketPort::WinNegotiate);
    let entropy = ClientEntropy::from_bytes([7; 32]);
    let rst = IssueTokenRequest::new(&endpoint, AD_USER_URL, Uuid::from_random_bytes([1; 16]))
        .proof_key(&entropy)
        .build()
        .expect("static request");
    let req = client_request(&rst).header("Authorization", ALICE_BASIC);
    let resp = service.handle(&req, SERVER_NOW, rng, &mut ticket_auth);
    assert_eq!(resp.status, 200);
    let ticket = WebTicket::parse(&resp.body, Some(&entropy)).expect("own RSTR");
    let issued = service
        .verify_header(&ticket.header_value(), Some(AD_USER_URL), SERVER_NOW)
        .expect("own ticket");
    assert_eq!(issued.proof_key(), ticket.proof_key());
    (service, ticket)
}

/// `TicketService::handle` on a fuzzed request (placeholders `{ticket}`: the
/// `X-MS-WebTicket` value of a real ticket, `{assertion}`: its assertion XML), then
/// `verify_header` / `verify_assertion` on the `X-MS-WebTicket` header and the body. A
/// ticket issued by the fuzzed request must be readable by the client side and verify.
pub fn server_ticket(data: &[u8]) {
    let mut rng = FuzzRng(1);
    let (mut service, ticket) = ticket_service_with_ticket(&mut rng);
    let header = ticket.header_value();
    let input = FuzzRequest::parse(
        data,
        &[
            ("{ticket}", &header),
            ("{assertion}", ticket.assertion_xml()),
        ],
    );
    let req = input.view();
    let route = service.route(req.path());
    let resp = service.handle(&req, SERVER_NOW, &mut rng, &mut ticket_auth);
    check_response(&resp);
    assert!(service.len() <= 4);
    if resp.status == 200 && matches!(route, Some(TicketRoute::Port(_))) {
        // No client entropy is known here: read it as a bearer ticket when possible.
        if let Ok(t) = WebTicket::parse(&resp.body, None) {
            let issued = service
                .verify_header(&t.header_value(), None, SERVER_NOW)
                .expect("a ticket just issued verifies");
            assert_eq!(issued.assertion_xml(), t.assertion_xml());
            assert!(
                service
                    .verify_assertion(t.assertion_xml(), None, SERVER_NOW)
                    .is_ok()
            );
        }
    }
    let mut presented: Vec<&str> = Vec::new();
    presented.extend(req.get("x-ms-webticket"));
    presented.extend(input.body_str());
    for v in presented {
        for audience in [None, Some(AD_USER_URL)] {
            if let Ok(t) = service.verify_header(v, audience, SERVER_NOW) {
                assert!(t.is_valid_at(SERVER_NOW));
            }
            if let Ok(t) = service.verify_assertion(v, audience, SERVER_NOW) {
                assert_eq!(t.assertion_xml(), v);
            }
        }
    }
}

/// An OrgID server (managed `contoso.com`, federated `fabrikam.com`, one allowed
/// AppliesTo) that has issued one token to `alice@contoso.com` for a request built by
/// `OrgIdRequest`.
fn orgid_server_with_token(rng: &mut FuzzRng) -> (OrgIdServer, OrgIdToken) {
    let config = OrgIdServerConfig::default()
        .known_domain("contoso.com")
        .federated_domain(
            "fabrikam.com",
            "https://sts.fabrikam.com/adfs/services/trust/2005/usernamemixed",
        )
        .allow_applies_to(ORGID_APPLIES_TO)
        .max_tokens(4);
    let mut server = OrgIdServer::new(config);
    let pw = SecretString::new(ORGID_PASSWORD);
    let rst = OrgIdRequest::password(
        "alice@contoso.com",
        &pw,
        ORGID_APPLIES_TO,
        Uuid::from_random_bytes([2; 16]),
    )
    .build()
    .expect("static request");
    let resp = server.handle(&client_request(&rst), SERVER_NOW, rng, &mut orgid_check);
    assert_eq!(resp.status, 200);
    let token = OrgIdToken::parse(&resp.body).expect("own RSTR");
    server
        .verify_token(token.token_xml(), Some(ORGID_APPLIES_TO), SERVER_NOW)
        .expect("own token");
    (server, token)
}

fn orgid_check(user: &str, password: &SecretString) -> bool {
    password.dangerous_expose() == ORGID_PASSWORD && !user.starts_with("bob")
}

/// `OrgIdServer::handle` on a fuzzed request (placeholders `{token}`: the `EncryptedData`
/// of a real token, `{cipher}`: its `CipherValue`), then `verify_token` / `verify_cipher_value` on the body. A token
/// issued by the fuzzed request must verify; a `RealmInfo` answer must read back.
pub fn server_orgid(data: &[u8]) {
    let mut rng = FuzzRng(2);
    let (mut server, token) = orgid_server_with_token(&mut rng);
    let xml = token.token_xml();
    let cipher = xml
        .split_once("<CipherValue>")
        .and_then(|(_, r)| r.split_once("</CipherValue>"))
        .map_or("", |(c, _)| c);
    let input = FuzzRequest::parse(data, &[("{token}", xml), ("{cipher}", cipher)]);
    let req = input.view();
    let resp = server.handle(&req, SERVER_NOW, &mut rng, &mut orgid_check);
    check_response(&resp);
    assert!(server.len() <= 4);
    if resp.status == 200 {
        if resp.get("content-type") == Some("text/xml; charset=utf-8") {
            RealmInfo::parse(&resp.body).expect("own RealmInfo");
        } else if let Ok(t) = OrgIdToken::parse(&resp.body) {
            server
                .verify_token(t.token_xml(), None, SERVER_NOW)
                .expect("a token just issued verifies");
        }
    }
    if let Some(body) = input.body_str() {
        for applies_to in [None, Some(ORGID_APPLIES_TO)] {
            if let Ok(g) = server.verify_token(body, applies_to, SERVER_NOW) {
                assert!(SERVER_NOW < g.expires);
            }
            let _ = server.verify_cipher_value(body, applies_to, SERVER_NOW);
        }
    }
}

fn dc_check(user: &str, password: &SecretString) -> bool {
    password.dangerous_expose() == DC_PASSWORD && user != "bob"
}

/// Secrets of a device-code authority after a real flow: a pending code, an approved
/// code, and the tokens of a finished one.
struct DeviceSecrets {
    pending_device_code: String,
    pending_user_code: String,
    approved_device_code: String,
    access_token: String,
    refresh_token: String,
}

fn dc_send(
    authority: &mut DeviceCodeAuthority,
    req: &HttpRequest,
    now: UnixTime,
    rng: &mut FuzzRng,
) -> ServerResponse {
    authority.handle(&client_request(req), now, rng, &mut dc_check)
}

/// An authority that has run three flows with requests built by `DeviceCodeConfig`: AAD v1
/// approved and redeemed, RFC 8628 approved but not polled, AAD v1 still pending.
fn device_authority(rng: &mut FuzzRng) -> (DeviceCodeAuthority, DeviceSecrets) {
    let config = AuthorityConfig::default()
        .verification_uri("https://login.example/devicelogin")
        .max_pending(4)
        .max_tokens(4);
    let mut authority = DeviceCodeAuthority::new(config);
    let v1 = DeviceCodeConfig::aad_v1(DC_AUTHORITY, DC_CLIENT, DC_RESOURCE);
    let rfc = DeviceCodeConfig::rfc8628(
        &format!("{DC_AUTHORITY}/oauth2/v2.0/devicecode"),
        &format!("{DC_AUTHORITY}/oauth2/v2.0/token"),
        DC_CLIENT,
        Some("openid offline_access"),
    );
    let mut start = |cfg: &DeviceCodeConfig, authority: &mut DeviceCodeAuthority| {
        let req = cfg.device_authorization_request().expect("static request");
        let resp = dc_send(authority, &req, SERVER_NOW, rng);
        DeviceAuthorization::parse(&resp.body).expect("own authorization")
    };
    let done = start(&v1, &mut authority);
    let approved = start(&rfc, &mut authority);
    let pending = start(&v1, &mut authority);
    let t = SERVER_NOW.plus(10);
    authority
        .approve(&done.user_code, "alice@contoso.com", t)
        .expect("fresh code");
    authority
        .approve(&approved.user_code, "carol@contoso.com", t)
        .expect("fresh code");
    let req = v1.token_request(&done.device_code).expect("static request");
    let resp = dc_send(&mut authority, &req, t, rng);
    let tokens = TokenResponse::parse(&resp.body, t).expect("own token response");
    let secrets = DeviceSecrets {
        pending_device_code: pending.device_code.dangerous_expose().to_owned(),
        pending_user_code: pending.user_code,
        approved_device_code: approved.device_code.dangerous_expose().to_owned(),
        access_token: tokens.access_token.dangerous_expose().to_owned(),
        refresh_token: tokens
            .refresh_token
            .expect("a refresh token is issued")
            .dangerous_expose()
            .to_owned(),
    };
    (authority, secrets)
}

/// `DeviceCodeAuthority::handle` on a fuzzed request, sent three times (in the polling
/// interval, 1 s later, after every code expired). Placeholders: `{device_code}` /
/// `{user_code}` (a pending code), `{approved_code}` (an approved device code),
/// `{access_token}`, `{refresh_token}`. A device authorization or token answer must read
/// back with the client side and the access token must verify; errors are OAuth JSON.
pub fn server_device(data: &[u8]) {
    let mut rng = FuzzRng(3);
    let (mut authority, s) = device_authority(&mut rng);
    let input = FuzzRequest::parse(
        data,
        &[
            ("{device_code}", &s.pending_device_code),
            ("{user_code}", &s.pending_user_code),
            ("{approved_code}", &s.approved_device_code),
            ("{access_token}", &s.access_token),
            ("{refresh_token}", &s.refresh_token),
        ],
    );
    let req = input.view();
    for t in [
        SERVER_NOW.plus(20),
        SERVER_NOW.plus(21),
        SERVER_NOW.plus(100_000),
    ] {
        let resp = authority.handle(&req, t, &mut rng, &mut dc_check);
        check_response(&resp);
        let (pending, access, refresh) = authority.counts();
        assert!(pending <= 4 && access <= 4 && refresh <= 4);
        if resp.get("content-type") != Some("application/json; charset=utf-8") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&resp.body).expect("own JSON");
        if resp.status != 200 {
            assert!(v.get("error").is_some_and(serde_json::Value::is_string));
        } else if v.get("access_token").is_some() {
            let tr = TokenResponse::parse(&resp.body, t).expect("own token response");
            authority
                .verify_access_token(tr.access_token.dangerous_expose(), t)
                .expect("a token just issued verifies");
        } else {
            DeviceAuthorization::parse(&resp.body).expect("own authorization");
        }
    }
    if let Some(a) = req.get("authorization") {
        let _ = authority.verify_authorization_header(a, SERVER_NOW.plus(20));
    }
    if let Some(b) = input.body_str() {
        let _ = authority.verify_access_token(b, SERVER_NOW.plus(20));
    }
}

/// `AutodiscoverResponder::handle` and `handle_insecure` on a fuzzed request, with the
/// credential check done by a ticket service that issued a real ticket for the User URL
/// (placeholder `{ticket}`: its `X-MS-WebTicket` value). A `200` Root or User must read
/// back with the client's XML or JSON parser; a `401` carries the web-ticket URL.
pub fn server_autodiscover(data: &[u8]) {
    let mut rng = FuzzRng(4);
    let (service, ticket) = ticket_service_with_ticket(&mut rng);
    let site = SiteConfig::new("contoso.com", AD_BASE, WT_URL)
        .and_then(|s| s.base_url("https://lyncdiscoverinternal.contoso.com"))
        .and_then(|s| s.oauth_token_url("https://pool.contoso.com/WebTicket/oauthtoken"))
        .and_then(|s| s.bearer_authorization_uri("https://login.example/common"))
        .expect("static site")
        .access_location(Some(AccessLocation::External))
        .internal_pool("pool.contoso.com", 5061)
        .external_pool("sip.contoso.com", 443)
        .offer_basic(true);
    let responder = AutodiscoverResponder::new(site);
    let header = ticket.header_value();
    let input = FuzzRequest::parse(data, &[("{ticket}", &header)]);
    let req = input.view();
    let mut check = |c: &CredentialCheck<'_>| match c.credential {
        UserCredential::WebTicket(v) => {
            match service.verify_header(v, Some(c.user_url), SERVER_NOW) {
                Ok(t) => UserAuth::Authenticated(t.user().clone()),
                Err(_) => UserAuth::Rejected,
            }
        }
        UserCredential::Bearer(t) => match t.dangerous_expose() {
            "good-token" => UserAuth::Authenticated(alice()),
            "foreign-token" => UserAuth::Authenticated(
                SipAddress::parse("bob@fabrikam.com").expect("static address"),
            ),
            _ => UserAuth::Rejected,
        },
        UserCredential::Basic { username, password } => {
            match (username, password.dangerous_expose()) {
                (u, "secret") => {
                    SipAddress::parse(u).map_or(UserAuth::UnknownUser, UserAuth::Authenticated)
                }
                _ => UserAuth::Rejected,
            }
        }
    };
    for resp in [
        responder.handle(&req, &mut check),
        responder.handle_insecure(&req),
    ] {
        check_response(&resp);
        match resp.status {
            // The client reads Root and User documents only (Domain has its own shape).
            200 if AutodiscoverResponder::route(req.path()) != Some(AutodiscoverRoute::Domain) => {
                let ct = resp.get("content-type").unwrap_or("");
                let parsed = if ct.contains("json") {
                    AutodiscoverResponse::parse_json(&resp.body)
                } else {
                    AutodiscoverResponse::parse_xml(&resp.body)
                };
                parsed.expect("own autodiscover document");
            }
            401 => assert_eq!(resp.get("x-ms-webticketurl"), Some(WT_URL)),
            _ => {}
        }
    }
}
