//! The device-code authority (`webticket::server::device_code`) driven by the crate's own
//! client (`DeviceCodeConfig`, `DevicePoller`) on a simulated clock, through every outcome.

mod common;

use common::{TestRng, test_rng};

use common::data;
use rand_core::RngCore;
use webticket::UnixTime;
use webticket::crypto::SecretString;
use webticket::device_code::{
    DeviceAuthorization, DeviceCodeConfig, DeviceConfig, DevicePoller, PollStep, TokenResponse,
};
use webticket::error::{AuthError, Error, MisuseError, ServerError};
use webticket::http::{HttpRequest, HttpResponse};
use webticket::server::device_code::{
    Audience, AuthorityConfig, CodeState, DeviceCodeAuthority, EXPIRED_RETENTION,
    device_config_response,
};
use webticket::server::{ServerRequest, ServerResponse};

const AUTHORITY: &str = "https://login.emulator.test/common";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const RESOURCE: &str = "https://webdir1a.online.lync.com/";
const T0: UnixTime = UnixTime(1_767_225_600);

/// The path and query of an absolute URL.
fn target(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// What the emulator does: the client's request in, the server's response out.
struct Harness {
    authority: DeviceCodeAuthority,
    rng: TestRng,
    users: Vec<(&'static str, &'static str)>,
}

impl Harness {
    fn new(config: AuthorityConfig) -> Self {
        Self {
            authority: DeviceCodeAuthority::new(config),
            rng: test_rng(42),
            users: vec![("alice@contoso.com", "p&ss wörd")],
        }
    }

    fn send(&mut self, req: &HttpRequest, now: UnixTime) -> ServerResponse {
        let mut sreq = ServerRequest::new(req.method.as_str(), target(&req.url)).body(&req.body);
        for (n, v) in &req.headers {
            sreq = sreq.header(n, v);
        }
        let users = self.users.clone();
        let mut check = |u: &str, p: &SecretString| {
            users
                .iter()
                .any(|(uu, pp)| *uu == u && *pp == p.dangerous_expose())
        };
        self.authority.handle(&sreq, now, &mut self.rng, &mut check)
    }

    fn raw(&mut self, method: &str, target: &str, body: &[u8], now: UnixTime) -> ServerResponse {
        let users = self.users.clone();
        let mut check = |u: &str, p: &SecretString| {
            users
                .iter()
                .any(|(uu, pp)| *uu == u && *pp == p.dangerous_expose())
        };
        let req = ServerRequest::new(method, target).body(body);
        self.authority.handle(&req, now, &mut self.rng, &mut check)
    }

    fn authorize(&mut self, cfg: &DeviceCodeConfig, now: UnixTime) -> DeviceAuthorization {
        let resp = self.send(&cfg.device_authorization_request().unwrap(), now);
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        DeviceAuthorization::from_response(&as_http(&resp)).unwrap()
    }

    /// Drives the poller until it finishes; `on_poll(n, now, harness)` runs before each
    /// poll. Returns the outcome and the server's error codes seen.
    fn drive(
        &mut self,
        poller: &mut DevicePoller,
        mut now: UnixTime,
        mut on_poll: impl FnMut(u32, UnixTime, &mut Self),
    ) -> (Result<TokenResponse, Error>, Vec<String>, UnixTime) {
        let mut seen = Vec::new();
        for _ in 0..1_000 {
            match poller.poll(now) {
                Ok(PollStep::WaitUntil(t)) => {
                    assert!(t > now, "time must advance");
                    now = t;
                }
                Ok(PollStep::Send(req)) => {
                    on_poll(poller.polls(), now, self);
                    let resp = self.send(&req, now);
                    if resp.status != 200 {
                        seen.push(error_code(&resp));
                    }
                    poller.handle_response(&as_http(&resp), now).unwrap();
                }
                Ok(PollStep::Done(t)) => return (Ok(t), seen, now),
                Ok(other) => panic!("unexpected step {other:?}"),
                Err(e) => return (Err(e), seen, now),
            }
        }
        panic!("poller did not finish");
    }
}

fn as_http(resp: &ServerResponse) -> HttpResponse<'_> {
    let mut h = HttpResponse::new(resp.status, &resp.body);
    for (n, v) in &resp.headers {
        h = h.header(n, v);
    }
    h
}

fn json(resp: &ServerResponse) -> serde_json::Value {
    serde_json::from_slice(&resp.body).unwrap()
}

fn error_code(resp: &ServerResponse) -> String {
    json(resp)["error"].as_str().unwrap_or("").to_owned()
}

fn v1() -> DeviceCodeConfig {
    DeviceCodeConfig::aad_v1(AUTHORITY, CLIENT, RESOURCE)
}

fn rfc() -> DeviceCodeConfig {
    DeviceCodeConfig::rfc8628(
        &format!("{AUTHORITY}/oauth2/v2.0/devicecode"),
        &format!("{AUTHORITY}/oauth2/v2.0/token"),
        CLIENT,
        Some("openid profile offline_access"),
    )
}

#[test]
fn aad_v1_pending_then_approved() {
    let mut h = Harness::new(AuthorityConfig::default());
    let resp = h.send(&v1().device_authorization_request().unwrap(), T0);
    let j = json(&resp);
    // AAD v1 form: both spellings of the URL, numbers as strings.
    assert_eq!(j["verification_url"], "https://microsoft.com/devicelogin");
    assert_eq!(j["verification_uri"], "https://microsoft.com/devicelogin");
    assert_eq!(j["expires_in"], "900");
    assert_eq!(j["interval"], "5");
    assert!(
        j["message"]
            .as_str()
            .unwrap()
            .contains(j["user_code"].as_str().unwrap())
    );
    assert_eq!(resp.get("Cache-Control"), Some("no-store"));
    let auth = DeviceAuthorization::from_response(&as_http(&resp)).unwrap();
    let code = &auth.user_code;
    assert_eq!(code.len(), 9);
    assert_eq!(&code[4..5], "-");
    assert!(
        code.bytes()
            .filter(|&b| b != b'-')
            .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b))
    );
    assert_eq!(auth.expires_in, 900);
    assert_eq!(auth.interval, 5);

    let listed = h.authority.pending(T0);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].user_code, *code);
    assert_eq!(listed[0].client_id, CLIENT);
    assert_eq!(listed[0].audience, Audience::Resource(RESOURCE.into()));
    assert_eq!(listed[0].state, CodeState::Pending);

    let user_code = code.clone();
    let mut poller = DevicePoller::new(v1(), auth, T0);
    let (done, seen, end) = h.drive(&mut poller, T0, |n, now, h| {
        if n == 3 {
            h.authority
                .approve(&user_code.to_lowercase(), "alice@contoso.com", now)
                .unwrap();
        }
    });
    let token = done.unwrap();
    assert_eq!(seen, ["authorization_pending", "authorization_pending"]);
    assert_eq!(poller.polls(), 3);
    assert_eq!(poller.interval(), 5);
    assert_eq!(end, T0 + 15);
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.resource.as_deref(), Some(RESOURCE));
    assert_eq!(token.expires_at, end + 3599);
    assert!(token.refresh_token.is_some());
    let grant = h
        .authority
        .verify_access_token(token.access_token.dangerous_expose(), end)
        .unwrap();
    assert_eq!(grant.user, "alice@contoso.com");
    assert_eq!(grant.client_id, CLIENT);
    assert_eq!(grant.expires_at, end + 3599);
    let header = format!("bearer {}", token.access_token.dangerous_expose());
    assert!(
        h.authority
            .verify_authorization_header(&header, end)
            .is_ok()
    );
    assert!(matches!(
        h.authority.verify_authorization_header("Basic abc", end),
        Err(Error::Auth(AuthError::NoSupportedScheme))
    ));
    assert!(matches!(
        h.authority
            .verify_access_token(token.access_token.dangerous_expose(), end + 3599),
        Err(Error::Auth(AuthError::TokenExpired))
    ));
    assert!(matches!(
        h.authority.verify_access_token("forged", end),
        Err(Error::Auth(AuthError::CredentialRejected { .. }))
    ));
    // The device code is consumed: polling again is an unknown code.
    assert!(h.authority.pending(end).is_empty());
    let again = h.send(
        &v1()
            .token_request(&poller.authorization().device_code)
            .unwrap(),
        end + 5,
    );
    assert_eq!(error_code(&again), "bad_verification_code");
}

#[test]
fn rfc8628_form_and_decline() {
    let mut h =
        Harness::new(AuthorityConfig::default().verification_uri("https://emu.test/devicelogin"));
    let resp = h.send(&rfc().device_authorization_request().unwrap(), T0);
    let j = json(&resp);
    // RFC 8628 form: JSON numbers.
    assert_eq!(j["expires_in"], 900);
    assert_eq!(j["interval"], 5);
    assert_eq!(j["verification_uri"], "https://emu.test/devicelogin");
    let auth = DeviceAuthorization::from_response(&as_http(&resp)).unwrap();
    assert_eq!(
        auth.verification_uri_complete.as_deref(),
        Some(format!("https://emu.test/devicelogin?user_code={}", auth.user_code).as_str())
    );
    assert_eq!(
        h.authority.pending(T0)[0].audience,
        Audience::Scope(Some("openid profile offline_access".into()))
    );
    let user_code = auth.user_code.clone();
    let mut poller = DevicePoller::new(rfc(), auth, T0);
    let (done, seen, _) = h.drive(&mut poller, T0, |n, now, h| {
        if n == 2 {
            h.authority.deny(&user_code, now).unwrap();
        }
    });
    assert!(matches!(done, Err(Error::Auth(AuthError::AccessDenied))));
    assert_eq!(seen, ["authorization_pending", "access_denied"]);
}

#[test]
fn rfc8628_approved_token_uses_numbers() {
    let mut h = Harness::new(AuthorityConfig::default());
    let auth = h.authorize(&rfc(), T0);
    h.authority
        .approve(&auth.user_code, "alice@contoso.com", T0 + 1)
        .unwrap();
    let resp = h.send(&rfc().token_request(&auth.device_code).unwrap(), T0 + 5);
    let j = json(&resp);
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], 3599);
    assert_eq!(j["expires_on"], (T0 + 5 + 3599).secs());
    assert_eq!(j["scope"], "openid profile offline_access");
    assert!(j.get("resource").is_none());
}

#[test]
fn slow_down_grows_the_interval_by_five() {
    let mut h = Harness::new(AuthorityConfig::default());
    let auth = h.authorize(&v1(), T0);
    let user_code = auth.user_code.clone();
    // The device's clock runs 2 s behind the authority's: its first poll, one interval
    // after *its* receipt, reaches the authority only 3 s after issuance.
    let mut poller = DevicePoller::new(v1(), auth, T0 - 2);
    let (done, seen, end) = h.drive(&mut poller, T0 - 2, |n, now, h| {
        if n == 3 {
            h.authority
                .approve(&user_code, "alice@contoso.com", now)
                .unwrap();
        }
    });
    assert!(done.is_ok());
    assert_eq!(seen, ["slow_down", "authorization_pending"]);
    assert_eq!(poller.interval(), 10);
    // Polls at T0+3 (slow_down), T0+13 (pending: 10 s later, the new interval), T0+23.
    assert_eq!(end, T0 + 23);
}

#[test]
fn slow_down_answer_carries_the_new_interval_and_repeats() {
    let mut h = Harness::new(AuthorityConfig::default());
    let auth = h.authorize(&v1(), T0);
    let req = v1().token_request(&auth.device_code).unwrap();
    let r = h.send(&req, T0 + 1);
    assert_eq!(error_code(&r), "slow_down");
    assert_eq!(json(&r)["interval"], 10);
    let r = h.send(&req, T0 + 9);
    assert_eq!(error_code(&r), "slow_down");
    assert_eq!(json(&r)["interval"], 15);
    let r = h.send(&req, T0 + 24);
    assert_eq!(error_code(&r), "authorization_pending");
}

#[test]
fn expired_code() {
    let mut h = Harness::new(AuthorityConfig::default().expires_in(30));
    let auth = h.authorize(&v1(), T0);
    assert_eq!(auth.expires_in, 30);
    // Delivered 10 s late: the device believes the code lives until T0+40, the authority
    // says T0+30, so the authority's expired_token ends it.
    let mut poller = DevicePoller::new(v1(), auth, T0 + 10);
    let (done, seen, end) = h.drive(&mut poller, T0 + 10, |_, _, _| {});
    assert!(matches!(
        done,
        Err(Error::Auth(AuthError::DeviceCodeExpired))
    ));
    assert_eq!(seen.last().map(String::as_str), Some("expired_token"));
    assert_eq!(end, T0 + 30);
    assert_eq!(seen.len(), 4);
    // Approving an expired code is refused.
    let code = h.authority.pending(T0)[0].user_code.clone();
    assert!(matches!(
        h.authority.approve(&code, "alice@contoso.com", T0 + 30),
        Err(Error::Auth(AuthError::DeviceCodeExpired))
    ));
    // Forgotten after the retention period.
    h.authority.purge_expired(T0 + 30 + EXPIRED_RETENTION);
    assert_eq!(h.authority.counts(), (0, 0, 0));
    // The poller's own clock also ends a flow nobody answers.
    let auth = h.authorize(&v1(), T0 + 1_000);
    let mut poller = DevicePoller::new(v1(), auth, T0 + 1_000);
    let (done, _, end) = h.drive(&mut poller, T0 + 1_000, |_, _, _| {});
    assert!(matches!(
        done,
        Err(Error::Auth(AuthError::DeviceCodeExpired))
    ));
    assert!(end <= T0 + 1_030);
}

#[test]
fn wrong_device_code() {
    let mut h = Harness::new(AuthorityConfig::default());
    let _real = h.authorize(&v1(), T0);
    let forged = DeviceAuthorization::parse(
        br#"{"user_code":"BCDF-GHJK","device_code":"not-a-code","verification_url":"https://x/","expires_in":900,"interval":5}"#,
    )
    .unwrap();
    let mut poller = DevicePoller::new(v1(), forged, T0);
    let (done, seen, _) = h.drive(&mut poller, T0, |_, _, _| {});
    assert!(matches!(
        done,
        Err(Error::Auth(AuthError::BadVerificationCode))
    ));
    assert_eq!(seen, ["bad_verification_code"]);
    // Unknown user codes for the operator API.
    assert!(matches!(
        h.authority.approve("ZZZZ-ZZZZ", "a", T0),
        Err(Error::Auth(AuthError::BadVerificationCode))
    ));
    assert!(matches!(
        h.authority.approve("not a code!", "a", T0),
        Err(Error::Auth(AuthError::BadVerificationCode))
    ));
}

#[test]
fn refresh_rotates_and_old_access_token_lives_on() {
    let mut h = Harness::new(AuthorityConfig::default());
    let auth = h.authorize(&v1(), T0);
    h.authority
        .approve(&auth.user_code, "alice@contoso.com", T0)
        .unwrap();
    let mut poller = DevicePoller::new(v1(), auth, T0);
    let (done, _, t1) = h.drive(&mut poller, T0, |_, _, _| {});
    let first = done.unwrap();
    let rt = first.refresh_token.clone().unwrap();

    let t2 = t1 + 3_000;
    let resp = h.send(&v1().refresh_request(&rt).unwrap(), t2);
    let second = TokenResponse::from_response(&as_http(&resp), t2).unwrap();
    assert_eq!(second.expires_at, t2 + 3599);
    assert_eq!(second.resource.as_deref(), Some(RESOURCE));
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    let g = h
        .authority
        .verify_access_token(second.access_token.dangerous_expose(), t2)
        .unwrap();
    assert_eq!(g.user, "alice@contoso.com");
    // Documented: the old access token stays valid until its own expiry...
    assert!(
        h.authority
            .verify_access_token(first.access_token.dangerous_expose(), t2)
            .is_ok()
    );
    assert!(matches!(
        h.authority
            .verify_access_token(first.access_token.dangerous_expose(), t1 + 3599),
        Err(Error::Auth(AuthError::TokenExpired))
    ));
    // ...while the old refresh token is spent.
    let resp = h.send(&v1().refresh_request(&rt).unwrap(), t2 + 1);
    assert!(matches!(
        TokenResponse::from_response(&as_http(&resp), t2 + 1),
        Err(Error::Server(ServerError::OAuth { ref error, .. })) if error == "invalid_grant"
    ));
    // Another client cannot use the new one.
    let other = DeviceCodeConfig::aad_v1(AUTHORITY, "someone-else", RESOURCE);
    let resp = h.send(
        &other
            .refresh_request(second.refresh_token.as_ref().unwrap())
            .unwrap(),
        t2 + 2,
    );
    assert_eq!(error_code(&resp), "invalid_grant");
    // An RFC 8628 client refreshing with a scope gets that scope.
    let resp = h.send(
        &rfc()
            .refresh_request(second.refresh_token.as_ref().unwrap())
            .unwrap(),
        t2 + 3,
    );
    let third = TokenResponse::from_response(&as_http(&resp), t2 + 3).unwrap();
    assert_eq!(
        third.scope.as_deref(),
        Some("openid profile offline_access")
    );
    // Revocation drops everything of the user.
    assert!(h.authority.revoke_user("ALICE@contoso.com") >= 3);
    assert!(
        h.authority
            .verify_access_token(third.access_token.dangerous_expose(), t2 + 3)
            .is_err()
    );
}

#[test]
fn verification_page() {
    let mut h =
        Harness::new(AuthorityConfig::default().verification_uri("https://emu.test/devicelogin"));
    let auth = h.authorize(&v1(), T0);
    let code = auth.user_code.clone();

    // GET shows the form; the code from the query is pre-filled, escaped.
    let page = h.raw("GET", &format!("/devicelogin?user_code={code}"), b"", T0);
    assert_eq!(page.status, 200);
    assert_eq!(page.get("Content-Type"), Some("text/html; charset=utf-8"));
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains(&format!("value=\"{code}\"")));
    assert!(html.contains("name=\"password\""));
    let page = h.raw("GET", "/devicelogin?user_code=%22%3E%3Cscript%3E", b"", T0);
    let html = String::from_utf8(page.body).unwrap();
    assert!(!html.contains("<script>"));
    assert!(html.contains("&quot;&gt;&lt;script&gt;"));

    let form = String::from_utf8(data("server_dc/verify_post.form")).unwrap();
    // Wrong password: 403, still pending.
    let wrong = form
        .replace("{user_code}", &code)
        .replace("p%26ss+w%C3%B6rd", "nope");
    let r = h.raw("POST", "/devicelogin", wrong.as_bytes(), T0 + 1);
    assert_eq!(r.status, 403);
    assert_eq!(h.authority.pending(T0 + 1)[0].state, CodeState::Pending);
    // Unknown code: 400. Missing fields: 400.
    let r = h.raw(
        "POST",
        "/devicelogin",
        form.replace("{user_code}", "BBBB-BBBB").as_bytes(),
        T0 + 1,
    );
    assert_eq!(r.status, 400);
    let r = h.raw("POST", "/devicelogin", b"user_code=x", T0 + 1);
    assert_eq!(r.status, 400);
    // Right password, code typed in lower case without the dash: approved.
    let typed = code.replace('-', "").to_lowercase();
    let right = form.replace("{user_code}", &typed);
    let r = h.raw("POST", "/devicelogin", right.as_bytes(), T0 + 2);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        h.authority.pending(T0 + 2)[0].state,
        CodeState::Approved("alice@contoso.com".into())
    );
    // A second decision on the same code is refused.
    let r = h.raw("POST", "/devicelogin", right.as_bytes(), T0 + 3);
    assert_eq!(r.status, 400);
    assert!(matches!(
        h.authority.deny(&code, T0 + 3),
        Err(Error::Misuse(MisuseError::UnexpectedCall { .. }))
    ));

    let mut poller = DevicePoller::new(v1(), auth, T0);
    let (done, _, end) = h.drive(&mut poller, T0, |_, _, _| {});
    let token = done.unwrap();
    let g = h
        .authority
        .verify_access_token(token.access_token.dangerous_expose(), end)
        .unwrap();
    assert_eq!(g.user, "alice@contoso.com");

    // Decline through the page.
    let auth = h.authorize(&v1(), T0 + 100);
    let deny = form
        .replace("{user_code}", &auth.user_code)
        .replace("action=approve", "action=deny");
    let r = h.raw("POST", "/devicelogin", deny.as_bytes(), T0 + 101);
    assert_eq!(r.status, 200);
    let mut poller = DevicePoller::new(v1(), auth, T0 + 100);
    let (done, _, _) = h.drive(&mut poller, T0 + 100, |_, _, _| {});
    assert!(matches!(done, Err(Error::Auth(AuthError::AccessDenied))));
    // Other methods.
    assert_eq!(h.raw("PUT", "/devicelogin", b"", T0).status, 405);
}

#[test]
fn fixture_forms() {
    let mut h = Harness::new(AuthorityConfig::default());
    for (auth_form, token_form, target_auth, target_token) in [
        (
            "server_dc/devicecode_request_v1.form",
            "server_dc/token_request_v1.form",
            "/common/oauth2/devicecode?api-version=1.0",
            "/common/oauth2/token",
        ),
        (
            "server_dc/devicecode_request_rfc8628.form",
            "server_dc/token_request_rfc8628.form",
            "/common/oauth2/v2.0/devicecode",
            "/common/oauth2/v2.0/token",
        ),
    ] {
        let r = h.raw("POST", target_auth, &data(auth_form), T0);
        assert_eq!(r.status, 200);
        let j = json(&r);
        let dc = j["device_code"].as_str().unwrap().to_owned();
        let uc = j["user_code"].as_str().unwrap().to_owned();
        let tf = String::from_utf8(data(token_form))
            .unwrap()
            .replace("{device_code}", &dc);
        let r = h.raw("POST", target_token, tf.as_bytes(), T0 + 5);
        assert_eq!(error_code(&r), "authorization_pending");
        h.authority.approve(&uc, "bob@contoso.com", T0 + 6).unwrap();
        let r = h.raw("POST", target_token, tf.as_bytes(), T0 + 10);
        assert_eq!(r.status, 200);
        let t = TokenResponse::from_response(&as_http(&r), T0 + 10).unwrap();
        assert_eq!(
            h.authority
                .verify_access_token(t.access_token.dangerous_expose(), T0 + 10)
                .unwrap()
                .user,
            "bob@contoso.com"
        );
    }
}

#[test]
fn request_errors() {
    let mut h = Harness::new(AuthorityConfig::default().allow_client_id(CLIENT));
    let cases: &[(&str, &str, &[u8], u16, &str)] = &[
        (
            "POST",
            "/common/oauth2/devicecode",
            b"resource=x",
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/common/oauth2/devicecode",
            b"client_id=other",
            400,
            "unauthorized_client",
        ),
        (
            "POST",
            "/common/oauth2/devicecode",
            b"client_id=%zz",
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/common/oauth2/token",
            b"client_id=a",
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/common/oauth2/token",
            b"grant_type=device_code",
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/common/oauth2/token",
            b"grant_type=password&client_id=a",
            400,
            "unsupported_grant_type",
        ),
        (
            "POST",
            "/common/oauth2/token",
            b"grant_type=device_code&client_id=a",
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/common/oauth2/token",
            b"grant_type=refresh_token&client_id=a",
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/common/oauth2/token",
            b"grant_type=refresh_token&client_id=a&refresh_token=b",
            400,
            "invalid_grant",
        ),
        (
            "POST",
            "/common/oauth2/token",
            b"\xff\xfe",
            400,
            "invalid_request",
        ),
    ];
    for (m, t, body, status, error) in cases {
        let r = h.raw(m, t, body, T0);
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (*status, *error),
            "{t} {body:?}"
        );
    }
    assert_eq!(h.raw("GET", "/common/oauth2/token", b"", T0).status, 405);
    assert_eq!(
        h.raw("GET", "/common/oauth2/devicecode", b"", T0).status,
        405
    );
    assert_eq!(h.raw("POST", "/elsewhere", b"", T0).status, 404);
    let big = vec![b'a'; 20_000];
    assert_eq!(h.raw("POST", "/common/oauth2/token", &big, T0).status, 400);

    // A code issued to one client cannot be redeemed by another.
    let auth = h.authorize(&v1(), T0);
    let other = DeviceCodeConfig::aad_v1(AUTHORITY, "other", RESOURCE);
    let r = h.send(&other.token_request(&auth.device_code).unwrap(), T0 + 5);
    assert_eq!(error_code(&r), "invalid_grant");
}

#[test]
fn state_is_bounded() {
    let mut h = Harness::new(
        AuthorityConfig::default()
            .max_pending(2)
            .max_tokens(1)
            .expires_in(60),
    );
    h.authorize(&v1(), T0);
    h.authorize(&v1(), T0);
    let r = h.send(&v1().device_authorization_request().unwrap(), T0);
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (503, "temporarily_unavailable")
    );
    // After expiry plus retention the slots are free again.
    let later = T0 + 60 + EXPIRED_RETENTION;
    let a = h.authorize(&v1(), later);
    let b = h.authorize(&v1(), later);
    assert_eq!(h.authority.counts().0, 2);
    // With room for one token, the second sign-in evicts the first token.
    let mut tokens = Vec::new();
    for auth in [a, b] {
        h.authority
            .approve(&auth.user_code, "alice@contoso.com", later)
            .unwrap();
        let r = h.send(&v1().token_request(&auth.device_code).unwrap(), later + 5);
        tokens.push(TokenResponse::from_response(&as_http(&r), later + 5).unwrap());
    }
    assert_eq!(h.authority.counts(), (0, 1, 1));
    assert!(
        h.authority
            .verify_access_token(tokens[0].access_token.dangerous_expose(), later + 5)
            .is_err()
    );
    assert!(
        h.authority
            .verify_access_token(tokens[1].access_token.dangerous_expose(), later + 5)
            .is_ok()
    );
}

#[test]
fn user_codes_are_unique_and_debug_is_redacted() {
    let mut h = Harness::new(AuthorityConfig::default());
    let mut codes = std::collections::BTreeSet::new();
    let mut secrets = Vec::new();
    for _ in 0..200 {
        let a = h.authorize(&v1(), T0);
        secrets.push(a.device_code.dangerous_expose().to_owned());
        assert!(codes.insert(a.user_code));
    }
    let dbg = format!("{:?}", h.authority);
    assert!(dbg.contains("pending: 200"));
    assert!(
        secrets
            .iter()
            .all(|s| s.len() == 43 && !dbg.contains(s.as_str()))
    );
}

#[test]
fn garbage_never_panics() {
    let mut h = Harness::new(AuthorityConfig::default());
    let mut rng = test_rng(7);
    let targets = ["/a/oauth2/devicecode", "/a/oauth2/token", "/devicelogin"];
    for i in 0..500 {
        let mut body = vec![0u8; (rng.next_u32() % 200) as usize];
        rng.fill_bytes(&mut body);
        if i % 2 == 0 {
            // Mostly printable, with form syntax.
            for b in &mut body {
                *b = b"ab=&%+_-0F"[(*b % 10) as usize];
            }
        }
        for t in targets {
            let _ = h.raw("POST", t, &body, T0);
        }
    }
}

#[test]
fn device_config_round_trip() {
    let mut c = DeviceConfig::default();
    c.aad_endpoint_url = Some("https://login.emulator.test/".into());
    c.client_id = Some(CLIENT.into());
    c.device_pairing_website_url = Some("https://emu.test/devicelogin".into());
    c.auto_discover_url = Some("https://lyncdiscover.contoso.com/".into());
    c.other.push(("Extra".into(), "x\"<y>".into()));
    let resp = device_config_response(&c);
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.get("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    let back = DeviceConfig::parse(&resp.body).unwrap();
    assert_eq!(back, c);
    let j = json(&resp);
    assert_eq!(j["AadEndpointUrl"], "https://login.emulator.test/");
    // And it points at this authority.
    let cfg = back.aad_v1(RESOURCE).unwrap();
    assert_eq!(
        cfg.device_authorization_url,
        "https://login.emulator.test/common/oauth2/devicecode?api-version=1.0"
    );
    let mut h = Harness::new(AuthorityConfig::default());
    let auth = h.authorize(&cfg, T0);
    assert_eq!(auth.interval, 5);
}
