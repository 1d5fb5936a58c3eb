//! The OrgID service (`webticket::server::orgid`) answering the crate's own client
//! (`webticket::orgid`): realm discovery, RST2.srf success and faults, and verification of
//! the token when it comes back inside the WsFedBearer RST.

mod common;

use common::{TestRng, test_rng};

use common::data;
use rand_core::RngCore;
use webticket::UnixTime;
use webticket::crypto::SecretString;
use webticket::error::{AuthError, Error, ServerError};
use webticket::http::{HttpRequest, HttpResponse};
use webticket::orgid::{
    OrgIdRequest, OrgIdToken, OrgIdTokenKind, Realm, RealmInfo, realm_request_at,
};
use webticket::server::orgid::{
    DEFAULT_TOKEN_LIFETIME, OrgIdServer, OrgIdServerConfig, PSF_CODE_WRONG_PASSWORD,
    PSF_VALUE_AUTH_FAILED, WRONG_PASSWORD_TEXT,
};
use webticket::server::{ServerRequest, ServerResponse};
use webticket::soap::Uuid;
use webticket::webticket::IssueTokenRequest;

const BASE: &str = "https://login.emulator.test";
const WS_FED: &str = "https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer";
const USER_URL: &str = "https://pool.contoso.com/Autodiscover/AutodiscoverService.svc/root/user";
const T0: UnixTime = UnixTime(1_767_225_600);
const NASTY_PW: &str = "p&ss<w>\"o'rd ]]> é ";

fn target(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

struct Harness {
    server: OrgIdServer,
    rng: TestRng,
    /// Every (user, password) the callback saw.
    seen: Vec<(String, String)>,
}

impl Harness {
    fn new(config: OrgIdServerConfig) -> Self {
        Self {
            server: OrgIdServer::new(config),
            rng: test_rng(9),
            seen: Vec::new(),
        }
    }

    fn send(&mut self, req: &HttpRequest, now: UnixTime) -> ServerResponse {
        let mut sreq = ServerRequest::new(req.method.as_str(), target(&req.url)).body(&req.body);
        for (n, v) in &req.headers {
            sreq = sreq.header(n, v);
        }
        self.raw(&sreq, now)
    }

    fn raw(&mut self, req: &ServerRequest<'_>, now: UnixTime) -> ServerResponse {
        let seen = &mut self.seen;
        let mut check = |u: &str, p: &SecretString| {
            seen.push((u.to_owned(), p.dangerous_expose().to_owned()));
            matches!(
                (u, p.dangerous_expose()),
                ("alice@contoso.com", NASTY_PW) | ("bob@contoso.com", "P&ss <w> \"o'rdé ")
            )
        };
        self.server.handle(req, now, &mut self.rng, &mut check)
    }

    fn sign_in(&mut self, user: &str, pw: &str, now: UnixTime) -> Result<OrgIdToken, Error> {
        let pw = SecretString::new(pw);
        let url = format!("{BASE}/RST2.srf");
        let req = OrgIdRequest::password(user, &pw, WS_FED, Uuid::from_random_bytes([3; 16]))
            .url(&url)
            .build()
            .unwrap();
        let resp = self.send(&req, now);
        OrgIdToken::from_response(&as_http(&resp))
    }
}

fn as_http(resp: &ServerResponse) -> HttpResponse<'_> {
    let mut h = HttpResponse::new(resp.status, &resp.body);
    for (n, v) in &resp.headers {
        h = h.header(n, v);
    }
    h
}

fn realm(h: &mut Harness, login: &str) -> RealmInfo {
    let req = realm_request_at(BASE, login).unwrap();
    let resp = h.send(&req, T0);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.get("Content-Type"), Some("text/xml; charset=utf-8"));
    RealmInfo::parse(&resp.body).unwrap()
}

#[test]
fn realm_discovery() {
    let mut h = Harness::new(
        OrgIdServerConfig::default()
            .known_domain("contoso.com")
            .federated_domain(
                "fabrikam.com",
                "https://sts.fabrikam.com/adfs/services/trust/2005/usernamemixed",
            ),
    );
    let r = realm(&mut h, "alice@contoso.com");
    assert_eq!(r.realm, Realm::Managed);
    assert_eq!(r.domain_name.as_deref(), Some("contoso.com"));
    assert_eq!(
        r.cloud_instance_name.as_deref(),
        Some("microsoftonline.com")
    );
    let r = realm(&mut h, "bob@FABRIKAM.com");
    assert_eq!(
        r.realm,
        Realm::Federated {
            sts_auth_url: Some(
                "https://sts.fabrikam.com/adfs/services/trust/2005/usernamemixed".into()
            )
        }
    );
    assert_eq!(realm(&mut h, "eve@unknown.example").realm, Realm::Unknown);
    // Markup in the login is escaped, and read back intact.
    let r = realm(&mut h, "a<b>&\"c@contoso.com");
    assert_eq!(r.realm, Realm::Managed);
    let resp = h.raw(
        &ServerRequest::new(
            "GET",
            "/getuserrealm.srf?login=a%3Cb%3E%26%22c%40contoso.com&xml=1",
        ),
        T0,
    );
    assert!(
        String::from_utf8(resp.body)
            .unwrap()
            .contains("<Login>a&lt;b&gt;&amp;\"c@contoso.com</Login>")
    );
    // Every domain is managed when no domain is configured.
    let mut open = Harness::new(OrgIdServerConfig::default());
    assert_eq!(realm(&mut open, "x@anything.example").realm, Realm::Managed);
    // JSON without xml=1; errors.
    let resp = open.raw(
        &ServerRequest::new("GET", "/getuserrealm.srf?login=x%40y.com"),
        T0,
    );
    let j: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(j["NameSpaceType"], "Managed");
    assert_eq!(j["Login"], "x@y.com");
    for (m, t, status) in [
        ("GET", "/getuserrealm.srf?xml=1", 400),
        ("GET", "/getuserrealm.srf", 400),
        ("GET", "/getuserrealm.srf?login=%ff&xml=1", 400),
        ("GET", "/getuserrealm.srf?login=%01%40x.com&xml=1", 400),
        ("POST", "/getuserrealm.srf?login=a%40b.com&xml=1", 405),
        ("GET", "/nothing", 404),
    ] {
        assert_eq!(
            open.raw(&ServerRequest::new(m, t), T0).status,
            status,
            "{m} {t}"
        );
    }
}

#[test]
fn rst2_success_round_trip() {
    let mut h = Harness::new(OrgIdServerConfig::default());
    let token = h.sign_in("alice@contoso.com", NASTY_PW, T0).unwrap();
    // The password arrived exactly, escaping undone.
    assert_eq!(
        h.seen,
        [("alice@contoso.com".to_owned(), NASTY_PW.to_owned())]
    );
    assert_eq!(token.kind(), OrgIdTokenKind::EncryptedData);
    assert_eq!(token.lifetime().created, T0);
    assert_eq!(token.lifetime().expires, T0 + DEFAULT_TOKEN_LIFETIME);
    assert_eq!(token.lifetime().timestamp.expires(), "2026-01-01T08:00:00Z");
    assert!(
        token
            .token_xml()
            .starts_with("<EncryptedData xmlns=\"http://www.w3.org/2001/04/xmlenc#\"")
    );
    assert_eq!(h.server.len(), 1);

    // The verbatim element, as the client keeps it.
    let g = h
        .server
        .verify_token(token.token_xml(), Some(WS_FED), T0 + 60)
        .unwrap();
    assert_eq!(g.user, "alice@contoso.com");
    assert_eq!(g.applies_to, WS_FED);
    assert_eq!(g.expires, T0 + DEFAULT_TOKEN_LIFETIME);
    // The whole WsFedBearer RST the client then sends to the web-ticket service.
    let security = token.security_header();
    let rst = IssueTokenRequest::new(WS_FED, USER_URL, Uuid::from_random_bytes([4; 16]))
        .security(&security, Uuid::from_random_bytes([5; 16]))
        .build()
        .unwrap();
    let g2 = h
        .server
        .verify_token(
            rst.body_str().unwrap(),
            Some(&WS_FED.to_uppercase()),
            T0 + 60,
        )
        .unwrap();
    assert_eq!(g2, g);
    // Expiry and audience.
    assert!(matches!(
        h.server
            .verify_token(token.token_xml(), None, T0 + DEFAULT_TOKEN_LIFETIME),
        Err(Error::Auth(AuthError::TokenExpired))
    ));
    assert!(matches!(
        h.server
            .verify_token(token.token_xml(), Some(USER_URL), T0 + 60),
        Err(Error::Auth(AuthError::CredentialRejected { .. }))
    ));
    // Not single-use: a second web ticket with the same token works.
    assert!(
        h.server
            .verify_token(token.token_xml(), None, T0 + 120)
            .is_ok()
    );
}

#[test]
fn reserialized_token_is_accepted() {
    let mut h = Harness::new(OrgIdServerConfig::default());
    let token = h.sign_in("alice@contoso.com", NASTY_PW, T0).unwrap();
    let doc =
        webticket::xml::Document::parse(token.token_xml().as_bytes(), &Default::default()).unwrap();
    let cipher = doc
        .root()
        .find(webticket::soap::ns::XENC, "CipherValue")
        .unwrap()
        .text()
        .to_owned();
    let (a, b) = cipher.split_at(20);
    let xml = String::from_utf8(data("server_orgid/security_reserialized.xml"))
        .unwrap()
        .replace("{cipher}", &format!("{a}\n        {b}"));
    let g = h.server.verify_token(&xml, Some(WS_FED), T0 + 1).unwrap();
    assert_eq!(g.user, "alice@contoso.com");
    assert!(h.server.verify_cipher_value(&cipher, None, T0 + 1).is_ok());
    // Forged and malformed tokens.
    let forged = xml.replace(a, "AAAAAAAAAAAAAAAAAAAA");
    assert!(matches!(
        h.server.verify_token(&forged, None, T0 + 1),
        Err(Error::Auth(AuthError::CredentialRejected { .. }))
    ));
    assert!(matches!(
        h.server.verify_token("<a>", None, T0),
        Err(Error::Malformed(_))
    ));
    assert!(matches!(
        h.server.verify_token("<a/>", None, T0),
        Err(Error::Malformed(_))
    ));
    assert!(matches!(
        h.server.verify_token(
            &String::from_utf8(data("billion_laughs.xml")).unwrap(),
            None,
            T0
        ),
        Err(Error::Limit(_))
    ));
}

#[test]
fn wrong_password_is_a_passport_fault() {
    let mut h = Harness::new(OrgIdServerConfig::default());
    let err = h.sign_in("alice@contoso.com", "wrong", T0).unwrap_err();
    let Error::Server(ServerError::Fault(f)) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(f.http_status, Some(200));
    assert_eq!(f.code, "S:Sender");
    assert_eq!(f.subcodes, ["wst:FailedAuthentication"]);
    let p = f.passport_error.as_ref().unwrap();
    assert_eq!(p.text, WRONG_PASSWORD_TEXT);
    assert_eq!(p.code.as_deref(), Some(PSF_CODE_WRONG_PASSWORD));
    assert_eq!(p.value.as_deref(), Some(PSF_VALUE_AUTH_FAILED));
    assert_eq!(f.message(), WRONG_PASSWORD_TEXT);
    assert!(err.to_string().contains(WRONG_PASSWORD_TEXT));
    // OrgIdToken::parse (status ignored) reports the same fault.
    let pw = SecretString::new("wrong");
    let req = OrgIdRequest::password(
        "nobody@contoso.com",
        &pw,
        WS_FED,
        Uuid::from_random_bytes([3; 16]),
    )
    .build()
    .unwrap();
    let resp = h.send(&req, T0);
    assert!(matches!(
        OrgIdToken::parse(&resp.body),
        Err(Error::Server(ServerError::Fault(_)))
    ));
    assert!(h.server.is_empty());
    // Fault status is configurable.
    let mut h = Harness::new(OrgIdServerConfig::default().fault_status(500));
    let err = h.sign_in("alice@contoso.com", "wrong", T0).unwrap_err();
    assert!(matches!(err, Error::Server(ServerError::Fault(ref f)) if f.http_status == Some(500)));
}

#[test]
fn sipe_shaped_request() {
    let mut h = Harness::new(OrgIdServerConfig::default());
    let body = data("server_orgid/rst2_sipe.xml");
    let req = ServerRequest::new("POST", "/RST2.srf")
        .header("Content-Type", "text/xml")
        .header(
            "SOAPAction",
            "\"http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue\"",
        )
        .body(&body);
    let resp = h.raw(&req, T0);
    assert_eq!(
        h.seen,
        [("bob@contoso.com".to_owned(), "P&ss <w> \"o'rdé ".to_owned())]
    );
    let token = OrgIdToken::from_response(&as_http(&resp)).unwrap();
    let g = h
        .server
        .verify_token(token.token_xml(), Some(WS_FED), T0)
        .unwrap();
    assert_eq!(g.user, "bob@contoso.com");
}

#[test]
fn invalid_requests_are_faults_without_password_check() {
    let mut h = Harness::new(OrgIdServerConfig::default().allow_applies_to(WS_FED));
    let bodies: Vec<Vec<u8>> = vec![
        data("server_orgid/rst2_adfs_token.xml"),
        data("server_orgid/rst2_doctype.xml"),
        b"not xml".to_vec(),
        b"<a/>".to_vec(),
        data("rst2_response.xml"),
        String::from_utf8(data("rst2_request.xml"))
            .unwrap()
            .replace("<wsse:Username>alice@contoso.com</wsse:Username>", "")
            .into_bytes(),
        String::from_utf8(data("rst2_request.xml"))
            .unwrap()
            .replace(WS_FED, "https://elsewhere.example/")
            .into_bytes(),
        String::from_utf8(data("rst2_request.xml"))
            .unwrap()
            .replace(
                "trust/Issue</wst:RequestType>",
                "trust/Cancel</wst:RequestType>",
            )
            .into_bytes(),
        vec![b'x'; 70_000],
    ];
    for body in &bodies {
        let resp = h.raw(&ServerRequest::new("POST", "/RST2.srf").body(body), T0);
        let err = OrgIdToken::from_response(&as_http(&resp)).unwrap_err();
        let Error::Server(ServerError::Fault(f)) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(f.subcodes, ["wst:InvalidRequest"]);
        assert!(!f.message().is_empty());
    }
    assert!(h.seen.is_empty(), "no password check for invalid requests");
    // The fixture request itself (allowed AppliesTo) reaches the check.
    let body = data("rst2_request.xml");
    let resp = h.raw(&ServerRequest::new("POST", "/RST2.srf").body(&body), T0);
    assert_eq!(
        h.seen,
        [("alice@contoso.com".to_owned(), "p&ss<w>\"o'rd".to_owned())]
    );
    assert!(OrgIdToken::from_response(&as_http(&resp)).is_err());
    assert_eq!(
        h.raw(&ServerRequest::new("GET", "/RST2.srf"), T0).status,
        405
    );
}

#[test]
fn lifetime_cap_purge_and_revoke() {
    let mut h = Harness::new(
        OrgIdServerConfig::default()
            .token_lifetime(3600)
            .max_tokens(2),
    );
    let a = h.sign_in("alice@contoso.com", NASTY_PW, T0).unwrap();
    assert_eq!(a.lifetime().expires, T0 + 3600);
    let b = h.sign_in("alice@contoso.com", NASTY_PW, T0 + 1).unwrap();
    let c = h.sign_in("alice@contoso.com", NASTY_PW, T0 + 2).unwrap();
    assert_eq!(h.server.len(), 2);
    // The token expiring first was evicted.
    assert!(h.server.verify_token(a.token_xml(), None, T0 + 3).is_err());
    assert!(h.server.verify_token(b.token_xml(), None, T0 + 3).is_ok());
    assert!(h.server.verify_token(c.token_xml(), None, T0 + 3).is_ok());
    assert_eq!(h.server.purge_expired(T0 + 3601), 1);
    assert_eq!(h.server.revoke_user("ALICE@contoso.com"), 1);
    assert!(h.server.is_empty());

    // issue() for callers' own flows; Debug never shows the token.
    let mut rng = test_rng(1);
    let t = h
        .server
        .issue("carol@contoso.com", WS_FED, T0, &mut rng)
        .unwrap();
    let parsed = OrgIdToken::parse(t.rstr_xml.as_bytes()).unwrap();
    assert_eq!(parsed.token_xml(), t.token_xml.dangerous_expose());
    assert!(!format!("{t:?}").contains("CipherValue"));
    assert!(!format!("{:?}", h.server).contains("CipherValue"));
}

#[test]
fn garbage_never_panics() {
    let mut h = Harness::new(OrgIdServerConfig::default());
    let mut rng = test_rng(3);
    let template = data("rst2_request.xml");
    for i in 0..300 {
        let mut body = template.clone();
        // Flip a few bytes of a valid request.
        for _ in 0..(1 + i % 4) {
            let at = (rng.next_u32() as usize) % body.len();
            body[at] = rng.next_u32() as u8;
        }
        let resp = h.raw(&ServerRequest::new("POST", "/RST2.srf").body(&body), T0);
        assert!(resp.status == 200);
        let _ = h
            .server
            .verify_token(&String::from_utf8_lossy(&body), None, T0);
    }
}
