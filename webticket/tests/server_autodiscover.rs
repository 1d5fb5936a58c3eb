//! The autodiscover responder of `webticket::server::autodiscover`, driven end to end by
//! the crate's own `AutodiscoverClient`, with tickets from `server::ticket`.

mod common;

use common::{TestRng, test_rng};

use webticket::UnixTime;
use webticket::autodiscover::{
    AccessLocation, AutodiscoverClient, AutodiscoverConfig, AutodiscoverResponse, AutodiscoverStep,
    Credential, LinkKind, Resource, ResponseFormat, SipAddress,
};
use webticket::crypto::{ClientEntropy, SecretString};
use webticket::error::{AuthError, DiscoveryError, Error};
use webticket::http::{HttpRequest, HttpResponse};
use webticket::server::autodiscover::{
    AutodiscoverResponder, AutodiscoverRoute, CredentialCheck, SiteConfig, UserAuth, UserCredential,
};
use webticket::server::ticket::{
    AuthFailure, AuthRequest, PresentedCredential, TicketService, TicketServiceConfig,
};
use webticket::server::{ServerRequest, ServerResponse};
use webticket::soap::Uuid;
use webticket::webticket::{IssueTokenRequest, Metadata, WebTicket, mex_request};

const WT: &str = "https://pool.contoso.com/WebTicket/WebTicketService.svc";
const BASE: &str = "https://lyncdiscover.contoso.com";
const NOW: UnixTime = UnixTime(1_767_225_600);
const ALICE_BASIC: &str = "Basic YWxpY2VAY29udG9zby5jb206c2VjcmV0";

fn site() -> SiteConfig {
    SiteConfig::new("contoso.com", BASE, WT)
        .unwrap()
        .base_url("https://lyncdiscoverinternal.contoso.com")
        .unwrap()
        .oauth_token_url("https://pool.contoso.com/WebTicket/oauthtoken")
        .unwrap()
        .access_location(Some(AccessLocation::External))
        .internal_pool("pool.contoso.com", 5061)
        .external_pool("sip.contoso.com", 443)
}

/// A tiny in-memory "internet": the autodiscover host and the web-ticket host.
struct World {
    ad: AutodiscoverResponder,
    wt: TicketService,
    rng: TestRng,
}

fn ticket_auth(a: &AuthRequest<'_>) -> Result<SipAddress, AuthFailure> {
    match a.credential {
        PresentedCredential::Basic { username, password }
            if password.dangerous_expose() == "secret" =>
        {
            username.parse().map_err(|_| AuthFailure::UnknownUser)
        }
        _ => Err(AuthFailure::WrongPassword),
    }
}

impl World {
    fn new(site: SiteConfig) -> Self {
        Self {
            ad: AutodiscoverResponder::new(site),
            wt: TicketService::new(TicketServiceConfig::new(WT).unwrap()),
            rng: test_rng(0),
        }
    }

    /// Sends a client request; `extra` headers are what the caller's HTTP stack adds.
    fn send(&mut self, req: &HttpRequest, extra: &[(&str, &str)]) -> Option<ServerResponse> {
        let (scheme, rest) = req.url.split_once("://").unwrap();
        let split = rest.find('/').unwrap_or(rest.len());
        let (host, target) = rest.split_at(split);
        let target = if target.is_empty() { "/" } else { target };
        let mut sreq = ServerRequest::new(req.method.as_str(), target)
            .header("Host", host)
            .body(&req.body);
        for (n, v) in req.headers.iter() {
            sreq = sreq.header(n, v);
        }
        for (n, v) in extra {
            sreq = sreq.header(n, v);
        }
        match host {
            "lyncdiscover.contoso.com" | "lyncdiscoverinternal.contoso.com" => {
                let wt = &self.wt;
                let mut check = |c: &CredentialCheck<'_>| match c.credential {
                    UserCredential::WebTicket(v) => {
                        match wt.verify_header(v, Some(c.user_url), NOW) {
                            Ok(t) if t.user().as_str() == "nobody@contoso.com" => {
                                UserAuth::UnknownUser
                            }
                            Ok(t) => UserAuth::Authenticated(t.user().clone()),
                            Err(_) => UserAuth::Rejected,
                        }
                    }
                    UserCredential::Bearer(t) if t.dangerous_expose() == "aad-token" => {
                        UserAuth::Authenticated("alice@contoso.com".parse().unwrap())
                    }
                    UserCredential::Basic { username, password }
                        if password.dangerous_expose() == "secret" =>
                    {
                        UserAuth::Authenticated(username.parse().unwrap())
                    }
                    _ => UserAuth::Rejected,
                };
                Some(if scheme == "https" {
                    self.ad.handle(&sreq, &mut check)
                } else {
                    self.ad.handle_insecure(&sreq)
                })
            }
            "pool.contoso.com" => Some(self.wt.handle(&sreq, NOW, &mut self.rng, &mut ticket_auth)),
            _ => None,
        }
    }

    /// The client side's whole web-ticket dance: MEX, RST with Basic, RSTR.
    fn get_ticket(&mut self, web_ticket_url: &str, user_url: &str, user: &str) -> WebTicket {
        let mex = self
            .send(&mex_request(web_ticket_url).unwrap(), &[])
            .unwrap();
        let endpoint = Metadata::parse(&mex.body)
            .unwrap()
            .web_ticket_endpoints()
            .win_negotiate
            .unwrap();
        let addr: SipAddress = user.parse().unwrap();
        let entropy = ClientEntropy::from_bytes([3; 32]);
        let rst = IssueTokenRequest::new(&endpoint, user_url, Uuid::from_random_bytes([5; 16]))
            .claims(&addr)
            .proof_key(&entropy)
            .build()
            .unwrap();
        let basic = format!(
            "Basic {}",
            base64_encode(format!("{user}:secret").as_bytes())
        );
        let resp = self.send(&rst, &[("Authorization", &basic)]).unwrap();
        WebTicket::from_response(&view(&resp), Some(&entropy)).unwrap()
    }
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn view(resp: &ServerResponse) -> HttpResponse<'_> {
    let mut r = HttpResponse::new(resp.status, &resp.body);
    for (n, v) in &resp.headers {
        r = r.header(n, v);
    }
    r
}

/// Runs the client state machine against the world; `user` is who signs in at the web
/// ticket service (`None`: provide `cred` instead).
fn run(
    world: &mut World,
    format: ResponseFormat,
    user: &str,
    tamper: bool,
) -> Result<AutodiscoverStep, Error> {
    let addr: SipAddress = user.parse().unwrap();
    let mut client = AutodiscoverClient::new(addr, AutodiscoverConfig::default().format(format));
    for _ in 0..20 {
        match client.poll()? {
            AutodiscoverStep::Send(req) => match world.send(&req, &[]) {
                Some(resp) => client.handle_response(&view(&resp))?,
                None => client.handle_transport_error("no such host")?,
            },
            AutodiscoverStep::NeedCredential {
                user_url,
                challenge,
            } => {
                let wt_url = challenge.web_ticket_url.clone().unwrap();
                assert_eq!(wt_url, WT);
                let ms = challenge.ms_rtc_oauth.as_ref().unwrap();
                assert_eq!(ms.href, "https://pool.contoso.com/WebTicket/oauthtoken");
                assert_eq!(ms.grant_types.len(), 3);
                assert!(challenge.bearer.is_some());
                let ticket = if tamper {
                    // A ticket for another service: valid, but not for this URL.
                    world.get_ticket(&wt_url, "https://elsewhere.contoso.com/svc", user)
                } else {
                    world.get_ticket(&wt_url, &user_url, user)
                };
                client.provide_credential(Credential::WebTicket(ticket))?;
            }
            done @ AutodiscoverStep::Done(_) => return Ok(done),
            other => panic!("unexpected step {other:?}"),
        }
    }
    panic!("no result after 20 steps");
}

#[test]
fn end_to_end_xml_and_json() {
    for format in [ResponseFormat::Xml, ResponseFormat::Json] {
        let mut world = World::new(site());
        let step = run(&mut world, format, "alice@contoso.com", false).unwrap();
        let AutodiscoverStep::Done(found) = step else {
            unreachable!()
        };
        // AccessLocation External: only the external client entry is used.
        assert_eq!(found.pools.len(), 1, "{format:?}");
        assert_eq!(
            (found.pools[0].host.as_str(), found.pools[0].port),
            ("sip.contoso.com", 443)
        );
        assert_eq!(found.pools[0].location, AccessLocation::External);
        // The first entry URL answered (internal name, https).
        assert!(
            found
                .user_url
                .starts_with("https://lyncdiscoverinternal.contoso.com/Autodiscover/"),
            "{}",
            found.user_url
        );
        assert_eq!(found.user.sip_access.len(), 4);
        assert_eq!(found.user.link(LinkKind::ExternalAuthBroker), Some(WT));
        assert_eq!(world.wt.len(), 1);
    }
}

#[test]
fn end_to_end_without_access_location() {
    let mut world = World::new(site().access_location(None));
    let AutodiscoverStep::Done(found) =
        run(&mut world, ResponseFormat::Xml, "alice@contoso.com", false).unwrap()
    else {
        unreachable!()
    };
    let pools: Vec<_> = found
        .pools
        .iter()
        .map(|p| (p.host.as_str(), p.port))
        .collect();
    assert_eq!(
        pools,
        [("pool.contoso.com", 5061), ("sip.contoso.com", 443)]
    );
}

#[test]
fn unknown_user_is_404() {
    let mut world = World::new(site());
    let err = run(&mut world, ResponseFormat::Xml, "nobody@contoso.com", false).unwrap_err();
    assert!(
        matches!(err, Error::Discovery(DiscoveryError::UserNotFound)),
        "{err:?}"
    );
    // A user of another domain is not homed here either.
    let ad = AutodiscoverResponder::new(site());
    let path = &ad.user_url()[BASE.len()..];
    let req = ServerRequest::new("GET", path).header("X-MS-WebTicket", "opaque=x");
    let resp = ad.handle(&req, &mut |_| {
        UserAuth::Authenticated("eve@fabrikam.com".parse().unwrap())
    });
    assert_eq!((resp.status, resp.body.len()), (404, 0));
}

#[test]
fn wrong_ticket_is_rejected() {
    let mut world = World::new(site());
    let err = run(&mut world, ResponseFormat::Json, "alice@contoso.com", true).unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::CredentialRejected { .. })),
        "{err:?}"
    );
}

#[test]
fn bearer_credential_uses_the_oauth_link() {
    let mut world = World::new(site());
    let addr: SipAddress = "alice@contoso.com".parse().unwrap();
    let mut client = AutodiscoverClient::new(addr, AutodiscoverConfig::default())
        .with_credential(Credential::Bearer(SecretString::new("aad-token")));
    let mut urls = Vec::new();
    let found = loop {
        match client.poll().unwrap() {
            AutodiscoverStep::Send(req) => {
                urls.push(req.url.clone());
                let resp = world.send(&req, &[]).unwrap();
                client.handle_response(&view(&resp)).unwrap();
            }
            AutodiscoverStep::Done(d) => break d,
            other => panic!("{other:?}"),
        }
    };
    assert!(urls[1].contains("/root/oauth/user"), "{urls:?}");
    assert_eq!(found.pools[0].host, "sip.contoso.com");
}

#[test]
fn routes_and_representations() {
    let ad = AutodiscoverResponder::new(site());
    let mut reject = |_: &CredentialCheck<'_>| UserAuth::Rejected;
    for (path, route) in [
        ("/", Some(AutodiscoverRoute::Root)),
        ("/?sipuri=a@b.c", Some(AutodiscoverRoute::Root)),
        (
            "/autodiscover/AUTODISCOVERSERVICE.svc/Root/",
            Some(AutodiscoverRoute::Root),
        ),
        (
            "/Autodiscover/AutodiscoverService.svc/root/user?x",
            Some(AutodiscoverRoute::User),
        ),
        (
            "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
            Some(AutodiscoverRoute::OAuthUser),
        ),
        (
            "/Autodiscover/AutodiscoverService.svc/root/domain",
            Some(AutodiscoverRoute::Domain),
        ),
        ("/Autodiscover/AutodiscoverService.svc/root/other", None),
        ("/favicon.ico", None),
    ] {
        assert_eq!(AutodiscoverResponder::route(path), route, "{path}");
    }
    // Root: sipuri required and valid (percent-encoded accepted).
    fn get(target: &str) -> ServerRequest<'_> {
        ServerRequest::new("GET", target)
    }
    assert_eq!(ad.handle(&get("/"), &mut reject).status, 400);
    assert_eq!(ad.handle(&get("/?sipuri=alice"), &mut reject).status, 400);
    assert_eq!(ad.handle(&get("/?sipuri=%ZZ"), &mut reject).status, 400);
    assert_eq!(ad.handle(&get("/favicon.ico"), &mut reject).status, 404);
    assert_eq!(
        ad.handle(
            &ServerRequest::new("POST", "/?sipuri=a@contoso.com"),
            &mut reject
        )
        .status,
        405
    );

    // XML by default; links on the base matching Host.
    let req =
        get("/?sipuri=alice%40contoso.com").header("Host", "LyncDiscoverInternal.contoso.com:443");
    let resp = ad.handle(&req, &mut reject);
    assert_eq!(
        resp.get("content-type"),
        Some("application/vnd.microsoft.rtc.autodiscover+xml; v=1")
    );
    let r = AutodiscoverResponse::parse(resp.get("content-type").unwrap(), &resp.body).unwrap();
    assert_eq!(r.resource, Resource::Root);
    assert_eq!(
        r.link(LinkKind::User),
        Some(
            "https://lyncdiscoverinternal.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com"
        )
    );
    assert!(r.link(LinkKind::Domain).is_some() && r.link(LinkKind::OAuth).is_some());
    assert_eq!(
        String::from_utf8(resp.body).unwrap(),
        concat!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><AutodiscoverResponse AccessLocation=\"External\"><Root>",
            "<Link token=\"Domain\" href=\"https://lyncdiscoverinternal.contoso.com/Autodiscover/AutodiscoverService.svc/root/domain?originalDomain=contoso.com\"></Link>",
            "<Link token=\"User\" href=\"https://lyncdiscoverinternal.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com\"></Link>",
            "<Link token=\"OAuth\" href=\"https://lyncdiscoverinternal.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.com\"></Link>",
            "</Root></AutodiscoverResponse>"
        )
    );
    // JSON: plain and vendor type; XML when XML comes first.
    for (accept, ct) in [
        ("application/json", "application/json"),
        (
            "text/html, application/vnd.microsoft.rtc.autodiscover+json;v=1",
            "application/vnd.microsoft.rtc.autodiscover+json; v=1",
        ),
        (
            "application/vnd.microsoft.rtc.autodiscover+xml;v=1, application/json",
            "application/vnd.microsoft.rtc.autodiscover+xml; v=1",
        ),
        ("*/*", "application/vnd.microsoft.rtc.autodiscover+xml; v=1"),
    ] {
        let resp = ad.handle(
            &get("/?sipuri=alice@contoso.com").header("Accept", accept),
            &mut reject,
        );
        assert_eq!(resp.get("content-type"), Some(ct), "{accept}");
        let r = AutodiscoverResponse::parse(ct, &resp.body).unwrap();
        assert_eq!(r.link(LinkKind::User), Some(&*ad.user_url()));
    }
    let json = ad.handle(
        &get("/?sipuri=alice@contoso.com").header("Accept", "application/json"),
        &mut reject,
    );
    let v: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    assert_eq!(
        v["_links"]["self"]["href"],
        "https://lyncdiscover.contoso.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com"
    );

    // The User challenge.
    let user = get("/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com");
    let resp = ad.handle(&user, &mut reject);
    assert_eq!((resp.status, resp.body.len()), (401, 0));
    let challenges: Vec<_> = resp
        .headers
        .iter()
        .filter(|(n, _)| n == "WWW-Authenticate")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        challenges,
        [
            "MsRtcOAuth href=https://pool.contoso.com/WebTicket/oauthtoken,grant_type=\"urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password\"",
            "Bearer trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", client_id=\"00000004-0000-0ff1-ce00-000000000000\"",
        ]
    );
    // A rejected credential: the same challenge.
    let resp = ad.handle(
        &user.clone().header("X-MS-WebTicket", "opaque=AAAA"),
        &mut reject,
    );
    assert_eq!(resp.status, 401);
    // Basic is ignored unless offered.
    let resp = ad.handle(
        &user.clone().header("Authorization", ALICE_BASIC),
        &mut |_| panic!("not called"),
    );
    assert_eq!(resp.status, 401);

    // Domain resource.
    let resp = ad.handle(
        &get("/Autodiscover/AutodiscoverService.svc/root/domain"),
        &mut reject,
    );
    assert_eq!(resp.status, 200);
    assert!(String::from_utf8_lossy(&resp.body).contains("<Domain><SipServerInternalAccess"));
}

#[test]
fn user_resource_json_shape() {
    let ad = AutodiscoverResponder::new(site());
    let req = ServerRequest::new(
        "GET",
        "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
    )
    .header("Accept", "application/json")
    .header("Authorization", "Bearer t");
    let resp = ad.handle(&req, &mut |c| {
        assert!(matches!(c.credential, UserCredential::Bearer(t) if t.dangerous_expose() == "t"));
        assert_eq!(
            c.user_url,
            "https://lyncdiscover.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user"
        );
        UserAuth::Authenticated("alice@contoso.com".parse().unwrap())
    });
    let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(v["AccessLocation"], "External");
    assert_eq!(
        v["User"]["SipClientExternalAccess"]["fqdn"],
        "sip.contoso.com"
    );
    assert_eq!(v["User"]["SipClientExternalAccess"]["port"], 443);
    assert_eq!(v["User"]["SipServerInternalAccess"]["port"], 5061);
    assert_eq!(v["User"]["Links"][0]["token"], "Internal/Autodiscover");
    let r = AutodiscoverResponse::parse("application/json", &resp.body).unwrap();
    assert_eq!(r.resource, Resource::User);
    assert_eq!(r.sip_pools()[0].host, "sip.contoso.com");
}

/// SIPE-style: plain http first (redirected to https), then Basic on the User resource.
#[test]
fn insecure_redirect_and_basic_for_sipe() {
    let ad = AutodiscoverResponder::new(site().offer_basic(true));
    let req = ServerRequest::new("GET", "/?sipuri=alice@contoso.com")
        .header("Host", "lyncdiscoverinternal.contoso.com")
        .header(
            "Accept",
            "application/vnd.microsoft.rtc.autodiscover+xml;v=1",
        );
    let resp = ad.handle_insecure(&req);
    let r = AutodiscoverResponse::parse(resp.get("content-type").unwrap(), &resp.body).unwrap();
    assert_eq!(
        r.redirect(),
        Some(
            "https://lyncdiscoverinternal.contoso.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com"
        )
    );
    assert_eq!(r.links.len(), 1);
    let user = ServerRequest::new("GET", "/Autodiscover/AutodiscoverService.svc/root/user");
    assert_eq!(ad.handle_insecure(&user).status, 404);

    let resp = ad.handle(&user, &mut |_| panic!("no credential"));
    assert_eq!(resp.status, 401);
    assert!(
        resp.headers
            .iter()
            .any(|(n, v)| n == "WWW-Authenticate" && v == "Basic realm=\"contoso.com\"")
    );
    let resp = ad.handle(
        &user.clone().header("Authorization", ALICE_BASIC),
        &mut |c| match c.credential {
            UserCredential::Basic { username, password }
                if password.dangerous_expose() == "secret" =>
            {
                UserAuth::Authenticated(username.parse().unwrap())
            }
            _ => UserAuth::Rejected,
        },
    );
    assert_eq!(resp.status, 200);
    let body = String::from_utf8(resp.body).unwrap();
    // SIPE's checks: content type prefix, User/SipClient*Access with fqdn and port.
    assert!(body.contains("<User><SipServerInternalAccess fqdn=\"pool.contoso.com\" port=\"5061\"></SipServerInternalAccess><SipClientInternalAccess fqdn=\"pool.contoso.com\" port=\"5061\">"));
    assert!(body.contains("<SipClientExternalAccess fqdn=\"sip.contoso.com\" port=\"443\">"));
}

#[test]
fn config_validation() {
    assert!(SiteConfig::new("contoso.com", "https://x/path", WT).is_err());
    assert!(SiteConfig::new("contoso .com", BASE, WT).is_err());
    assert!(SiteConfig::new("contoso.com", BASE, "pool").is_err());
    assert!(site().oauth_token_url("https://a/b,c").is_err());
    let s = SiteConfig::new("Contoso.COM", "https://lyncdiscover.contoso.com/", WT).unwrap();
    assert_eq!(s.domain(), "contoso.com");
    let ad = AutodiscoverResponder::new(s);
    assert_eq!(ad.user_url(), ad.user_url_for_host(Some("unknown.example")));
    // Values are escaped in the XML.
    let ad = AutodiscoverResponder::new(site().external_pool("sip.contoso.com\"><x y=\"", 443));
    let req = ServerRequest::new("GET", "/Autodiscover/AutodiscoverService.svc/root/domain");
    let body = ad.handle(&req, &mut |_| UserAuth::Rejected).body;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("fqdn=\"sip.contoso.com&quot;&gt;&lt;x y=&quot;\"")
    );
}
