//! OAuth 2.0 device code: bootstrap, requests, responses, and the poller through every
//! outcome with a simulated clock.

mod common;

use common::data;
use webticket::Error;
use webticket::UnixTime;
use webticket::autodiscover::Credential;
use webticket::crypto::SecretString;
use webticket::device_code::{
    DeviceAuthorization, DeviceCodeConfig, DeviceConfig, DevicePoller, Dialect, PollStep,
    REFRESH_MARGIN, TokenResponse, bootstrap_request,
};
use webticket::error::{AuthError, MalformedError, MisuseError, ServerError};
use webticket::http::{HttpRequest, HttpResponse, Method};

const T0: UnixTime = UnixTime(1_767_225_600);
const RESOURCE: &str = "https://webdir1a.online.lync.com/";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";

fn v1() -> DeviceCodeConfig {
    DeviceCodeConfig::aad_v1(
        "https://login.microsoftonline.com/common/",
        CLIENT,
        RESOURCE,
    )
}

fn auth_v1() -> DeviceAuthorization {
    DeviceAuthorization::parse(&data("devicecode_v1.json")).unwrap()
}

fn form(req: &HttpRequest) -> &str {
    req.body_str().unwrap()
}

#[test]
fn bootstrap() {
    let r = bootstrap_request(webticket::device_code::BOOTSTRAP_URL).unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.header("Accept"), Some("application/json"));
    let c = DeviceConfig::parse(&data("device_config.json")).unwrap();
    assert_eq!(
        c.aad_endpoint_url.as_deref(),
        Some("https://login.microsoftonline.com/")
    );
    assert_eq!(
        c.client_id.as_deref(),
        Some("131c22db-3591-4fc8-a305-55444fa5ccd3")
    );
    assert_eq!(
        c.device_pairing_website_url.as_deref(),
        Some("http://aka.ms/sphone")
    );
    assert_eq!(
        c.auto_discover_url.as_deref(),
        Some("https://webdir.online.lync.com/autodiscover/autodiscoverservice.svc/root?")
    );
    let mut other: Vec<_> = c
        .other
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    other.sort();
    assert_eq!(
        other,
        [
            ("ExchangeOnlineAutoDUrl", "https://outlook.office365.com/"),
            ("GraphApiUrl", "https://graph.windows.net")
        ],
        "non-string values are skipped"
    );
    let cfg = c.aad_v1(RESOURCE).unwrap();
    assert_eq!(
        cfg.device_authorization_url,
        "https://login.microsoftonline.com/common/oauth2/devicecode?api-version=1.0"
    );
    assert_eq!(cfg.client_id, "131c22db-3591-4fc8-a305-55444fa5ccd3");
    assert!(
        DeviceConfig::parse(b"{}")
            .unwrap()
            .aad_v1(RESOURCE)
            .is_none()
    );
    assert!(matches!(
        DeviceConfig::parse(b"[]"),
        Err(Error::Malformed(MalformedError::Invalid { .. }))
    ));
}

#[test]
fn requests_v1_and_rfc8628() {
    let cfg = v1();
    let r = cfg.device_authorization_request().unwrap();
    assert_eq!(r.method, Method::Post);
    assert_eq!(
        r.url,
        "https://login.microsoftonline.com/common/oauth2/devicecode?api-version=1.0"
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("Accept"), Some("application/json"));
    assert_eq!(
        form(&r),
        "client_id=11111111-2222-3333-4444-555555555555&resource=https%3A%2F%2Fwebdir1a.online.lync.com%2F"
    );

    let code = SecretString::new("DAQABAAEAAAD--DLA3VO7QrddgJg7Wevr");
    let r = cfg.token_request(&code).unwrap();
    assert_eq!(
        r.url,
        "https://login.microsoftonline.com/common/oauth2/token"
    );
    assert_eq!(
        form(&r),
        "grant_type=device_code&client_id=11111111-2222-3333-4444-555555555555&resource=https%3A%2F%2Fwebdir1a.online.lync.com%2F&code=DAQABAAEAAAD--DLA3VO7QrddgJg7Wevr"
    );
    let refresh = SecretString::new("AQAB+/=x");
    let r = cfg.refresh_request(&refresh).unwrap();
    assert_eq!(
        form(&r),
        "grant_type=refresh_token&refresh_token=AQAB%2B%2F%3Dx&client_id=11111111-2222-3333-4444-555555555555&resource=https%3A%2F%2Fwebdir1a.online.lync.com%2F"
    );
    assert!(!format!("{r:?}").contains("AQAB"));

    let cfg = DeviceCodeConfig::rfc8628(
        "https://idp.example/device",
        "https://idp.example/token",
        "c",
        Some("openid offline_access"),
    );
    assert_eq!(
        cfg.dialect,
        Dialect::Rfc8628 {
            scope: Some("openid offline_access".into())
        }
    );
    assert_eq!(
        form(&cfg.device_authorization_request().unwrap()),
        "client_id=c&scope=openid%20offline_access"
    );
    assert_eq!(
        form(&cfg.token_request(&code).unwrap()),
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=c&device_code=DAQABAAEAAAD--DLA3VO7QrddgJg7Wevr"
    );
    assert_eq!(
        form(&cfg.refresh_request(&refresh).unwrap()),
        "grant_type=refresh_token&refresh_token=AQAB%2B%2F%3Dx&client_id=c&scope=openid%20offline_access"
    );

    let bad = DeviceCodeConfig::aad_v1("https://login.microsoftonline.com/common", "", RESOURCE);
    assert!(matches!(
        bad.device_authorization_request(),
        Err(Error::Misuse(MisuseError::Empty { .. }))
    ));
    let bad = DeviceCodeConfig::aad_v1("login.microsoftonline.com", CLIENT, RESOURCE);
    assert!(matches!(
        bad.device_authorization_request(),
        Err(Error::Misuse(MisuseError::InvalidUrl { .. }))
    ));
}

#[test]
fn authorization_responses() {
    let a = auth_v1();
    assert_eq!(a.user_code, "BX7KQ2LMP");
    assert_eq!(
        a.device_code.dangerous_expose(),
        "DAQABAAEAAAD--DLA3VO7QrddgJg7Wevr"
    );
    assert_eq!(a.verification_uri, "https://microsoft.com/devicelogin");
    assert_eq!((a.expires_in, a.interval), (900, 5));
    assert!(a.message.as_deref().unwrap().contains("BX7KQ2LMP"));
    assert!(!format!("{a:?}").contains("DAQAB"));

    let a = DeviceAuthorization::parse(&data("devicecode_rfc8628.json")).unwrap();
    assert_eq!(a.verification_uri, "https://example.com/device");
    assert_eq!(
        a.verification_uri_complete.as_deref(),
        Some("https://example.com/device?user_code=WDJB-MJHT")
    );
    assert_eq!((a.expires_in, a.interval), (1800, 5));

    let a = DeviceAuthorization::parse(&data("devicecode_no_interval.json")).unwrap();
    assert_eq!(a.interval, 5, "RFC 8628 default");
    assert!(matches!(
        DeviceAuthorization::parse(&data("devicecode_missing_expires.json")),
        Err(Error::Malformed(MalformedError::Missing {
            what: "expires_in"
        }))
    ));
    assert!(matches!(
        DeviceAuthorization::parse(br#"{"device_code":"D","user_code":"U","expires_in":1}"#),
        Err(Error::Malformed(MalformedError::Missing {
            what: "verification_uri"
        }))
    ));
    assert!(matches!(
        DeviceAuthorization::parse(br#"{"device_code":"D","user_code":"U","verification_uri":"https://v","expires_in":"soon"}"#),
        Err(Error::Malformed(MalformedError::Invalid { what: "expires_in" }))
    ));
    let body = data("error_invalid_grant.json");
    assert!(matches!(
        DeviceAuthorization::from_response(&HttpResponse::new(400, &body)),
        Err(Error::Server(ServerError::OAuth { .. }))
    ));
}

#[test]
fn token_responses() {
    let t = TokenResponse::parse(&data("token_v1.json"), T0).unwrap();
    assert_eq!(t.token_type, "Bearer");
    assert!(t.access_token.dangerous_expose().starts_with("eyJ0eXAi"));
    assert_eq!(
        t.refresh_token.as_ref().unwrap().dangerous_expose(),
        "AQABAAAAAADRNYRQ3dhR"
    );
    assert!(t.id_token.is_some());
    assert_eq!(t.expires_at, T0 + 3599, "expires_in wins over expires_on");
    assert_eq!(t.resource.as_deref(), Some(RESOURCE));
    assert!(!format!("{t:?}").contains("eyJ0"));
    let Credential::Bearer(b) = t.credential() else {
        panic!()
    };
    assert_eq!(b.dangerous_expose(), t.access_token.dangerous_expose());

    // Refresh before expiry.
    assert!(!t.needs_refresh(T0, REFRESH_MARGIN));
    assert!(!t.needs_refresh(T0 + 3599 - 301, REFRESH_MARGIN));
    assert!(t.needs_refresh(T0 + 3599 - 300, REFRESH_MARGIN));
    assert!(t.needs_refresh(T0 + 4000, REFRESH_MARGIN));

    let t = TokenResponse::parse(&data("token_rfc8628.json"), T0).unwrap();
    assert_eq!(t.token_type, "bearer");
    assert_eq!(t.expires_at, T0 + 3600);
    assert_eq!(
        t.scope.as_deref(),
        Some("https://api.skypeforbusiness.com/.default")
    );
    let t = TokenResponse::parse(&data("token_expires_on_only.json"), T0).unwrap();
    assert_eq!(t.expires_at, UnixTime(1_767_229_199));

    assert!(matches!(
        TokenResponse::parse(&data("token_mac.json"), T0),
        Err(Error::Malformed(MalformedError::Invalid {
            what: "token_type"
        }))
    ));
    assert!(matches!(
        TokenResponse::parse(br#"{"token_type":"Bearer","expires_in":1}"#, T0),
        Err(Error::Malformed(MalformedError::Missing {
            what: "access_token"
        }))
    ));
    let body = data("error_invalid_grant.json");
    let err = TokenResponse::from_response(&HttpResponse::new(400, &body), T0).unwrap_err();
    let Error::Server(ServerError::OAuth { error, description }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error, "invalid_grant");
    assert!(description.as_deref().unwrap().starts_with("AADSTS70016"));
    assert!(
        err.to_string()
            .starts_with("oauth error `invalid_grant`: AADSTS70016")
    );
}

fn expect_wait(p: &mut DevicePoller, now: UnixTime) -> UnixTime {
    match p.poll(now).unwrap() {
        PollStep::WaitUntil(t) => t,
        other => panic!("expected WaitUntil at {now:?}, got {other:?}"),
    }
}

fn expect_send(p: &mut DevicePoller, now: UnixTime) -> HttpRequest {
    match p.poll(now).unwrap() {
        PollStep::Send(r) => r,
        other => panic!("expected Send at {now:?}, got {other:?}"),
    }
}

fn error_response(body: &[u8]) -> HttpResponse<'_> {
    HttpResponse::new(400, body).header("Content-Type", "application/json; charset=utf-8")
}

/// Pending → slow_down → pending → success, with a simulated clock.
#[test]
fn poller_success_path() {
    let mut p = DevicePoller::new(v1(), auth_v1(), T0);
    assert_eq!(p.expires_at(), T0 + 900);
    assert_eq!(expect_wait(&mut p, T0), T0 + 5);
    assert_eq!(expect_wait(&mut p, T0 + 4), T0 + 5);
    let req = expect_send(&mut p, T0 + 5);
    assert!(form(&req).starts_with("grant_type=device_code&"));
    assert!(matches!(
        p.poll(T0 + 5),
        Err(Error::Misuse(MisuseError::UnexpectedCall { .. }))
    ));
    let pending = data("error_authorization_pending.json");
    p.handle_response(&error_response(&pending), T0 + 6)
        .unwrap();
    assert_eq!(expect_wait(&mut p, T0 + 6), T0 + 11);

    expect_send(&mut p, T0 + 11);
    let slow = data("error_slow_down.json");
    p.handle_response(&error_response(&slow), T0 + 11).unwrap();
    assert_eq!(p.interval(), 10);
    assert_eq!(expect_wait(&mut p, T0 + 11), T0 + 21);
    expect_send(&mut p, T0 + 21);
    p.handle_response(&error_response(&slow), T0 + 21).unwrap();
    assert_eq!(p.interval(), 15, "slow_down is cumulative");
    assert_eq!(expect_wait(&mut p, T0 + 21), T0 + 36);

    expect_send(&mut p, T0 + 36);
    p.handle_transport_error(T0 + 37).unwrap();
    assert_eq!(expect_wait(&mut p, T0 + 37), T0 + 52);

    expect_send(&mut p, T0 + 52);
    p.handle_response(&error_response(&pending), T0 + 52)
        .unwrap();
    expect_send(&mut p, T0 + 67);
    let token = data("token_v1.json");
    p.handle_response(&HttpResponse::new(200, &token), T0 + 68)
        .unwrap();
    let PollStep::Done(t) = p.poll(T0 + 68).unwrap() else {
        panic!()
    };
    assert_eq!(t.expires_at, T0 + 68 + 3599);
    assert_eq!(p.polls(), 6);
    assert!(
        matches!(p.poll(T0 + 1000).unwrap(), PollStep::Done(_)),
        "done is sticky"
    );
    assert!(matches!(
        p.handle_response(&HttpResponse::new(200, &token), T0),
        Err(Error::Misuse(_))
    ));
}

#[test]
fn poller_error_outcomes() {
    type Check = fn(&Error) -> bool;
    let cases: [(&str, Check); 7] = [
        ("error_expired_token.json", |e| {
            matches!(e, Error::Auth(AuthError::DeviceCodeExpired))
        }),
        ("error_code_expired.json", |e| {
            matches!(e, Error::Auth(AuthError::DeviceCodeExpired))
        }),
        ("error_access_denied.json", |e| {
            matches!(e, Error::Auth(AuthError::AccessDenied))
        }),
        ("error_authorization_declined.json", |e| {
            matches!(e, Error::Auth(AuthError::AccessDenied))
        }),
        ("error_bad_verification_code.json", |e| {
            matches!(e, Error::Auth(AuthError::BadVerificationCode))
        }),
        (
            "error_invalid_grant.json",
            |e| matches!(e, Error::Server(ServerError::OAuth { error, .. }) if error == "invalid_grant"),
        ),
        ("token_mac.json", |e| {
            matches!(e, Error::Malformed(MalformedError::Invalid { .. }))
        }),
    ];
    for (name, check) in cases {
        let body = data(name);
        let mut p = DevicePoller::new(v1(), auth_v1(), T0);
        expect_send(&mut p, T0 + 5);
        let status = if name.starts_with("token") { 200 } else { 400 };
        p.handle_response(&HttpResponse::new(status, &body), T0 + 5)
            .unwrap();
        let err = p.poll(T0 + 5).unwrap_err();
        assert!(check(&err), "{name}: {err:?}");
        assert!(
            matches!(p.poll(T0 + 10), Err(Error::Misuse(_))),
            "{name}: failure is reported once"
        );
    }

    // A non-JSON error body.
    let mut p = DevicePoller::new(v1(), auth_v1(), T0);
    expect_send(&mut p, T0 + 5);
    p.handle_response(&HttpResponse::new(503, b"<html>busy</html>"), T0 + 5)
        .unwrap();
    assert!(matches!(
        p.poll(T0 + 5),
        Err(Error::Server(ServerError::Http { status: 503, .. }))
    ));
}

#[test]
fn poller_expires_by_clock() {
    let auth = DeviceAuthorization::parse(br#"{"device_code":"D","user_code":"U","verification_uri":"https://v/","expires_in":12,"interval":5}"#).unwrap();
    let mut p = DevicePoller::new(v1(), auth, T0);
    let pending = data("error_authorization_pending.json");
    expect_send(&mut p, T0 + 5);
    p.handle_response(&error_response(&pending), T0 + 5)
        .unwrap();
    expect_send(&mut p, T0 + 10);
    p.handle_response(&error_response(&pending), T0 + 10)
        .unwrap();
    // The next poll would be at +15, after the code expired at +12: wait only until +12.
    assert_eq!(expect_wait(&mut p, T0 + 10), T0 + 12);
    assert!(matches!(
        p.poll(T0 + 12),
        Err(Error::Auth(AuthError::DeviceCodeExpired))
    ));
    assert!(matches!(p.poll(T0 + 13), Err(Error::Misuse(_))));
    assert_eq!(p.polls(), 2);

    // interval 0 is taken as 1.
    let auth = DeviceAuthorization::parse(br#"{"device_code":"D","user_code":"U","verification_uri":"https://v/","expires_in":60,"interval":0}"#).unwrap();
    let mut p = DevicePoller::new(v1(), auth, T0);
    assert_eq!(expect_wait(&mut p, T0), T0 + 1);
}
