//! Autodiscover: entry URLs, request building, every response fixture, the 401 challenge,
//! and the client state machine through its success and failure paths.

mod common;

use common::{RawResponse, XML_TYPE, ad_xml, data};
use webticket::Error;
use webticket::autodiscover::{
    AccessLocation, AuthChallenge, AutodiscoverClient, AutodiscoverConfig, AutodiscoverResponse,
    AutodiscoverStep, Challenge, Credential, LinkKind, Resource, ResponseFormat, SipAccessKind,
    SipAddress, entry_urls, request,
};
use webticket::crypto::{ClientEntropy, SecretString};
use webticket::error::{AuthError, DiscoveryError, MalformedError, MisuseError, ServerError};
use webticket::http::{HttpRequest, HttpResponse, Method};
use webticket::webticket::WebTicket;

const USER_URL: &str = "https://webdir1a.online.lync.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com";

fn alice() -> SipAddress {
    "alice@contoso.com".parse().unwrap()
}

fn ticket() -> WebTicket {
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    WebTicket::parse(&data("rstr_proof.xml"), Some(&entropy)).unwrap()
}

fn send(ad: &mut AutodiscoverClient) -> HttpRequest {
    match ad.poll().expect("poll") {
        AutodiscoverStep::Send(r) => r,
        other => panic!("expected Send, got {other:?}"),
    }
}

#[test]
fn sip_address_parsing() {
    let a: SipAddress = "SIP:Alice.Smith@Sub.Contoso.COM".parse().unwrap();
    assert_eq!(a.as_str(), "Alice.Smith@Sub.Contoso.COM");
    assert_eq!(a.user(), "Alice.Smith");
    assert_eq!(a.domain(), "sub.contoso.com");
    for bad in [
        "",
        "alice",
        "@contoso.com",
        "alice@",
        "al ice@contoso.com",
        "alice@conto_so.com",
        "alice@-x.com",
        "a<b@c.com",
        "alice@a..b",
    ] {
        assert!(
            matches!(
                SipAddress::parse(bad),
                Err(Error::Misuse(MisuseError::InvalidSipAddress { .. }))
            ),
            "{bad}"
        );
    }
}

#[test]
fn entry_urls_in_order() {
    let urls = entry_urls(&alice());
    let got: Vec<_> = urls
        .iter()
        .map(|e| (e.url.as_str(), e.location, e.https))
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://lyncdiscoverinternal.contoso.com/?sipuri=alice@contoso.com",
                AccessLocation::Internal,
                true
            ),
            (
                "http://lyncdiscoverinternal.contoso.com/?sipuri=alice@contoso.com",
                AccessLocation::Internal,
                false
            ),
            (
                "https://lyncdiscover.contoso.com/?sipuri=alice@contoso.com",
                AccessLocation::External,
                true
            ),
            (
                "http://lyncdiscover.contoso.com/?sipuri=alice@contoso.com",
                AccessLocation::External,
                false
            ),
        ]
    );
    let odd: SipAddress = "o'brien+x%y@contoso.com".parse().unwrap();
    assert_eq!(
        entry_urls(&odd)[0].url,
        "https://lyncdiscoverinternal.contoso.com/?sipuri=o%27brien%2Bx%25y@contoso.com"
    );
}

#[test]
fn request_headers_and_credentials() {
    let r = request(USER_URL, ResponseFormat::Xml, None).unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.url, USER_URL);
    assert_eq!(
        r.headers,
        [(
            "Accept".to_owned(),
            "application/vnd.microsoft.rtc.autodiscover+xml;v=1".to_owned()
        )]
    );
    assert!(r.body.is_empty());

    let r = request(
        USER_URL,
        ResponseFormat::Json,
        Some(&Credential::Bearer(SecretString::new("eyJ.x.y"))),
    )
    .unwrap();
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("Authorization"), Some("Bearer eyJ.x.y"));

    let t = ticket();
    let r = request(
        USER_URL,
        ResponseFormat::Xml,
        Some(&Credential::WebTicket(t.clone())),
    )
    .unwrap();
    let expected = format!("opaque={}", b64(t.assertion_xml().as_bytes()));
    assert_eq!(r.header("X-MS-WebTicket"), Some(expected.as_str()));

    let http = "http://lyncdiscover.contoso.com/?sipuri=alice@contoso.com";
    assert!(request(http, ResponseFormat::Xml, None).is_ok());
    assert!(matches!(
        request(http, ResponseFormat::Xml, Some(&Credential::WebTicket(t))),
        Err(Error::Auth(AuthError::InsecureUrl { .. }))
    ));
    assert!(matches!(
        request("lyncdiscover.contoso.com", ResponseFormat::Xml, None),
        Err(Error::Misuse(MisuseError::InvalidUrl { .. }))
    ));
    assert!(matches!(
        request(
            USER_URL,
            ResponseFormat::Xml,
            Some(&Credential::Bearer(SecretString::new("a\r\nX: y")))
        ),
        Err(Error::Misuse(MisuseError::InvalidHeaderValue { .. }))
    ));
}

fn b64(b: &[u8]) -> String {
    // Independent base64 (RFC 4648) so the test does not reuse the crate's encoder.
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn parses_root_fixtures() {
    let r = AutodiscoverResponse::parse(XML_TYPE, &data("ad_root.xml")).unwrap();
    assert_eq!(r.resource, Resource::Root);
    assert_eq!(r.access_location, Some(AccessLocation::External));
    assert_eq!(r.link(LinkKind::User), Some(USER_URL));
    assert_eq!(
        r.link(LinkKind::Domain)
            .map(|h| h.ends_with("/root/domain?originalDomain=contoso.com")),
        Some(true)
    );
    assert_eq!(r.redirect(), None);
    assert!(r.sip_access.is_empty());

    let r = AutodiscoverResponse::parse_xml(&data("ad_root_oauth.xml")).unwrap();
    assert_eq!(r.access_location, Some(AccessLocation::External));
    let kinds: Vec<_> = r.links.iter().map(|l| l.kind()).collect();
    assert_eq!(
        kinds,
        [
            LinkKind::Domain,
            LinkKind::OAuth,
            LinkKind::Other,
            LinkKind::User
        ]
    );
    assert_eq!(r.links[2].token, "Internal/Mcx");
    assert!(
        r.link(LinkKind::OAuth)
            .unwrap()
            .ends_with("/root/oauth/user")
    );

    let r = AutodiscoverResponse::parse_xml(&data("ad_root_redirect.xml")).unwrap();
    assert_eq!(
        r.redirect(),
        Some(
            "https://webdir2b.online.lync.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com"
        )
    );
}

#[test]
fn parses_user_fixtures() {
    let r = AutodiscoverResponse::parse(XML_TYPE, &data("ad_user.xml")).unwrap();
    assert_eq!(r.resource, Resource::User);
    let pools: Vec<_> = r
        .sip_pools()
        .into_iter()
        .map(|p| (p.host, p.port, p.location))
        .collect();
    assert_eq!(
        pools,
        [(
            "sipfed2a.online.lync.com".to_owned(),
            443,
            AccessLocation::External
        )]
    );
    assert_eq!(r.sip_access.len(), 2);
    assert_eq!(r.sip_access[1].kind, SipAccessKind::ServerExternal);
    assert_eq!(
        r.link(LinkKind::ExternalUcwa),
        Some("https://webpool1a.infra.lync.com/ucwa/v1/applications")
    );

    // Prefixed elements in an unknown namespace, every documented token, no AccessLocation.
    let r = AutodiscoverResponse::parse_xml(&data("ad_user_full.xml")).unwrap();
    assert_eq!(r.access_location, None);
    assert_eq!(r.sip_access.len(), 4);
    let pools: Vec<_> = r
        .sip_pools()
        .into_iter()
        .map(|p| (p.host, p.port))
        .collect();
    assert_eq!(
        pools,
        [
            ("pool.contoso.local".to_owned(), 5061),
            ("sip.contoso.com".to_owned(), 443)
        ]
    );
    let kinds: Vec<_> = r.links.iter().map(|l| l.kind()).collect();
    assert_eq!(
        kinds,
        [
            LinkKind::InternalAutodiscover,
            LinkKind::ExternalAutodiscover,
            LinkKind::InternalAuthBroker,
            LinkKind::ExternalAuthBroker,
            LinkKind::InternalUcwa,
            LinkKind::ExternalUcwa,
            LinkKind::Other,
        ]
    );

    // AccessLocation=Internal: only the internal client entry is offered.
    let r = AutodiscoverResponse::parse_xml(&data("ad_user_internal.xml")).unwrap();
    let pools: Vec<_> = r.sip_pools().into_iter().map(|p| p.host).collect();
    assert_eq!(pools, ["pool.contoso.local"]);

    // Port 0, missing port, empty fqdn and out-of-range ports are dropped.
    let r = AutodiscoverResponse::parse_xml(&data("ad_user_port0.xml")).unwrap();
    let pools: Vec<_> = r
        .sip_pools()
        .into_iter()
        .map(|p| (p.host, p.port))
        .collect();
    assert_eq!(pools, [("sip3.contoso.com".to_owned(), 443)]);

    let r = AutodiscoverResponse::parse_xml(&data("ad_user_redirect.xml")).unwrap();
    assert_eq!(r.resource, Resource::User);
    assert!(
        r.redirect()
            .unwrap()
            .starts_with("https://webdir2b.online.lync.com/")
    );
    assert!(r.sip_pools().is_empty());
}

#[test]
fn parses_json_fixtures() {
    let r = AutodiscoverResponse::parse("application/json", &data("ad_root.json")).unwrap();
    assert_eq!(r.resource, Resource::Root);
    assert_eq!(
        r.link(LinkKind::SelfRef)
            .map(|h| h.starts_with("https://lyncdiscover.contoso.com/")),
        Some(true)
    );
    assert!(
        r.link(LinkKind::User)
            .unwrap()
            .ends_with("/root/oauth/user?originalDomain=contoso.com")
    );
    assert!(r.link(LinkKind::Xframe).unwrap().ends_with("XFrame.html"));

    let r = AutodiscoverResponse::parse(
        "application/vnd.microsoft.rtc.autodiscover+json; v=1",
        &data("ad_redirect.json"),
    )
    .unwrap();
    assert!(
        r.redirect()
            .unwrap()
            .starts_with("https://webdir2b.online.lync.com/")
    );
    assert_eq!(r.links.len(), 4);

    let r = AutodiscoverResponse::parse_json(&data("ad_user.json")).unwrap();
    assert_eq!(r.resource, Resource::User);
    assert_eq!(r.access_location, Some(AccessLocation::External));
    // Port given as a string and as a number; AccessLocation=External filters the internal one.
    let pools: Vec<_> = r
        .sip_pools()
        .into_iter()
        .map(|p| (p.host, p.port))
        .collect();
    assert_eq!(pools, [("sipfed2a.online.lync.com".to_owned(), 443)]);
    assert_eq!(r.sip_access.len(), 3);
    assert_eq!(
        r.link(LinkKind::Ucwa),
        Some("https://webpool1a.infra.lync.com/ucwa/oauth/v1/applications")
    );
    assert_eq!(
        r.link(LinkKind::ExternalUcwa),
        Some("https://webpool1a.infra.lync.com/ucwa/v1/applications")
    );
    assert_eq!(r.redirect(), None, "a Links entry without href is dropped");
}

#[test]
fn rejects_bad_responses() {
    let html = b"<html><body>Wi-Fi login</body></html>";
    assert!(matches!(
        AutodiscoverResponse::parse("text/html; charset=utf-8", html),
        Err(Error::Malformed(
            MalformedError::UnexpectedContentType { .. }
        ))
    ));
    assert!(matches!(
        AutodiscoverResponse::parse("", &data("ad_root.xml")),
        Err(Error::Malformed(
            MalformedError::UnexpectedContentType { .. }
        ))
    ));
    assert!(matches!(
        AutodiscoverResponse::parse(XML_TYPE, html),
        Err(Error::Malformed(MalformedError::UnexpectedRoot { .. }))
    ));
    assert!(matches!(
        AutodiscoverResponse::parse_xml(b"<AutodiscoverResponse><Other/></AutodiscoverResponse>"),
        Err(Error::Malformed(MalformedError::Missing { .. }))
    ));
    assert!(matches!(
        AutodiscoverResponse::parse_json(b"{\"_links\": "),
        Err(Error::Malformed(MalformedError::Json { .. }))
    ));
    assert!(matches!(
        AutodiscoverResponse::parse_json(b"[1,2]"),
        Err(Error::Malformed(MalformedError::Invalid { .. }))
    ));
    assert!(matches!(
        AutodiscoverResponse::parse_json(b"{\"x\":1}"),
        Err(Error::Malformed(MalformedError::Missing { .. }))
    ));
}

#[test]
fn challenge_fixtures() {
    let raw = RawResponse::load("ad_user_401.http");
    let c = AuthChallenge::from_response(&raw.view());
    assert!(c.is_supported());
    assert_eq!(
        c.web_ticket_url.as_deref(),
        Some("https://webpool1a.infra.lync.com/WebTicket/WebTicketService.svc")
    );
    let o = c.ms_rtc_oauth.as_ref().unwrap();
    assert_eq!(
        o.href,
        "https://webpool1a.infra.lync.com/WebTicket/oauthtoken"
    );
    assert_eq!(
        o.grant_types,
        [
            "urn:microsoft.rtc:windows",
            "urn:microsoft.rtc:anonmeeting",
            "password"
        ]
    );
    assert!(c.bearer.is_none());

    let raw = RawResponse::load("ad_user_401_aad.http");
    let c = AuthChallenge::from_response(&raw.view());
    assert!(c.web_ticket_url.is_none());
    let b = c.bearer.as_ref().unwrap();
    assert_eq!(
        b.param("client_id"),
        Some("00000004-0000-0ff1-ce00-000000000000")
    );
    assert_eq!(
        b.param("trusted_issuers"),
        Some("00000001-0000-0000-c000-000000000000@*")
    );
    assert_eq!(
        b.param("authorization_uri"),
        Some("https://login.windows.net/common/oauth2/authorize")
    );
    assert!(c.ms_rtc_oauth.is_some());
    let schemes: Vec<_> = c.challenges.iter().map(|c| c.scheme.as_str()).collect();
    assert_eq!(schemes, ["Bearer", "MsRtcOAuth", "NTLM", "Negotiate"]);
    assert_eq!(
        c.challenges[3].token68.as_deref(),
        Some("TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==")
    );
    assert_eq!(c.diagnostics.as_ref().unwrap().error_id, 28032);

    let raw = RawResponse::load("ad_user_401_iwa_only.http");
    let c = AuthChallenge::from_response(&raw.view());
    assert!(!c.is_supported());
    assert_eq!(c.challenges.len(), 2);
}

#[test]
fn challenge_grammar_edge_cases() {
    let c = Challenge::parse_all(
        r#"Basic realm="a, b", charset=UTF-8, Bearer , Digest nonce = "x\"y""#,
    );
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].param("realm"), Some("a, b"));
    assert_eq!(c[0].param("CHARSET"), Some("UTF-8"));
    assert_eq!(c[1].scheme, "Bearer");
    assert!(c[1].params.is_empty());
    assert_eq!(c[2].param("nonce"), Some("x\"y"));
    assert_eq!(
        Challenge::parse_all("Negotiate abc=")
            .first()
            .and_then(|c| c.token68.as_deref()),
        Some("abc=")
    );
    assert!(Challenge::parse_all("").is_empty());
    assert!(Challenge::parse_all(" , ,=").is_empty());
}

/// The whole O365-style sign-in: internal names fail, external root, 401, web ticket, user.
#[test]
fn client_full_flow_with_web_ticket() {
    let mut ad = AutodiscoverClient::new(alice(), AutodiscoverConfig::default());
    for _ in 0..2 {
        let r = send(&mut ad);
        assert!(r.url.contains("lyncdiscoverinternal."));
        ad.handle_transport_error("NXDOMAIN").unwrap();
    }
    let r = send(&mut ad);
    assert_eq!(
        r.url,
        "https://lyncdiscover.contoso.com/?sipuri=alice@contoso.com"
    );
    assert!(r.header("X-MS-WebTicket").is_none() && r.header("Authorization").is_none());
    let root = data("ad_root.xml");
    ad.handle_response(&ad_xml(&root)).unwrap();

    let r = send(&mut ad);
    assert_eq!(r.url, USER_URL);
    assert!(r.header("X-MS-WebTicket").is_none());
    let raw = RawResponse::load("ad_user_401.http");
    ad.handle_response(&raw.view()).unwrap();

    let AutodiscoverStep::NeedCredential {
        user_url,
        challenge,
    } = ad.poll().unwrap()
    else {
        panic!()
    };
    assert_eq!(user_url, USER_URL);
    assert_eq!(
        challenge.web_ticket_url.as_deref(),
        Some("https://webpool1a.infra.lync.com/WebTicket/WebTicketService.svc")
    );
    // Asking again gives the same answer.
    assert!(matches!(
        ad.poll().unwrap(),
        AutodiscoverStep::NeedCredential { .. }
    ));
    let t = ticket();
    ad.provide_credential(Credential::WebTicket(t.clone()))
        .unwrap();

    let r = send(&mut ad);
    assert_eq!(r.url, USER_URL);
    assert_eq!(r.header("x-ms-webticket"), Some(t.header_value().as_str()));
    let user = data("ad_user.xml");
    ad.handle_response(&ad_xml(&user)).unwrap();
    let AutodiscoverStep::Done(found) = ad.poll().unwrap() else {
        panic!()
    };
    assert_eq!(found.user_url, USER_URL);
    assert_eq!(found.pools.len(), 1);
    assert_eq!(
        (found.pools[0].host.as_str(), found.pools[0].port),
        ("sipfed2a.online.lync.com", 443)
    );
    assert_eq!(ad.failures().len(), 2);
    assert!(matches!(
        ad.failures()[0].1,
        Error::Discovery(DiscoveryError::Unreachable { .. })
    ));
    // Done is sticky.
    assert!(matches!(ad.poll().unwrap(), AutodiscoverStep::Done(_)));
}

/// HTTP entry → Root with a Redirect to HTTPS (MS-OCDISCWS 3.1.5.2), then a 302 with a
/// relative Location, then the user resource homed elsewhere (Redirect from User).
#[test]
fn client_follows_document_and_http_redirects() {
    let mut ad = AutodiscoverClient::new(alice(), AutodiscoverConfig::default());
    send(&mut ad);
    ad.handle_transport_error("timeout").unwrap();
    let r = send(&mut ad);
    assert!(r.url.starts_with("http://lyncdiscoverinternal."));
    // The Root over HTTP only redirects (the fixture's shape).
    assert!(
        AutodiscoverResponse::parse_xml(&data("ad_root_redirect.xml"))
            .unwrap()
            .redirect()
            .is_some()
    );
    let redirect = root_redirect(
        "https://webdir1a.online.lync.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com",
    );
    ad.handle_response(&ad_xml(&redirect)).unwrap();

    let r = send(&mut ad);
    assert_eq!(
        r.url,
        "https://webdir1a.online.lync.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com"
    );
    ad.handle_response(&HttpResponse::new(302, b"").header(
        "Location",
        "/Autodiscover/AutodiscoverService.svc/root/v2?sipuri=alice@contoso.com",
    ))
    .unwrap();
    let r = send(&mut ad);
    assert_eq!(
        r.url,
        "https://webdir1a.online.lync.com/Autodiscover/AutodiscoverService.svc/root/v2?sipuri=alice@contoso.com"
    );
    let root = data("ad_root.xml");
    ad.handle_response(&ad_xml(&root)).unwrap();
    let r = send(&mut ad);
    assert_eq!(r.url, USER_URL);
    ad.handle_response(&RawResponse::load("ad_user_401.http").view())
        .unwrap();
    ad.provide_credential(Credential::WebTicket(ticket()))
        .unwrap();
    let r = send(&mut ad);
    assert!(r.header("X-MS-WebTicket").is_some());
    // Homed elsewhere: the User resource redirects to another pool's Root.
    let user_redirect = data("ad_user_redirect.xml");
    ad.handle_response(&ad_xml(&user_redirect)).unwrap();
    let r = send(&mut ad);
    assert!(r.url.starts_with(
        "https://webdir2b.online.lync.com/Autodiscover/AutodiscoverService.svc/root?"
    ));
    assert!(
        r.header("X-MS-WebTicket").is_none(),
        "no credential on Root requests"
    );
    let other_root = br#"<AutodiscoverResponse><Root><Link token="User" href="https://webdir2b.online.lync.com/Autodiscover/AutodiscoverService.svc/root/user"/></Root></AutodiscoverResponse>"#;
    ad.handle_response(&ad_xml(other_root)).unwrap();
    let r = send(&mut ad);
    assert_eq!(
        r.url,
        "https://webdir2b.online.lync.com/Autodiscover/AutodiscoverService.svc/root/user"
    );
    assert!(
        r.header("X-MS-WebTicket").is_none(),
        "the ticket applies to the first User URL only"
    );
    ad.handle_response(&RawResponse::load("ad_user_401.http").view())
        .unwrap();
    let AutodiscoverStep::NeedCredential { user_url, .. } = ad.poll().unwrap() else {
        panic!()
    };
    assert_eq!(
        user_url,
        "https://webdir2b.online.lync.com/Autodiscover/AutodiscoverService.svc/root/user"
    );
    ad.provide_credential(Credential::WebTicket(ticket()))
        .unwrap();
    assert!(send(&mut ad).header("X-MS-WebTicket").is_some());
    let user = data("ad_user_full.xml");
    ad.handle_response(&ad_xml(&user)).unwrap();
    let AutodiscoverStep::Done(found) = ad.poll().unwrap() else {
        panic!()
    };
    assert_eq!(found.pools.len(), 2);
    assert_eq!(found.pools[0].location, AccessLocation::Internal);
}

fn root_redirect(to: &str) -> Vec<u8> {
    format!(r#"<AutodiscoverResponse><Root><Link token="Redirect" href="{to}"/></Root></AutodiscoverResponse>"#).into_bytes()
}

fn only_https() -> AutodiscoverConfig {
    AutodiscoverConfig::default().try_http(false)
}

#[test]
fn client_redirect_guards() {
    // Loop: a redirect back to the entry URL.
    let mut ad = AutodiscoverClient::new(alice(), only_https());
    let first = send(&mut ad).url;
    ad.handle_response(&ad_xml(&root_redirect("https://a.example/root")))
        .unwrap();
    send(&mut ad);
    let same = first.replace(
        "lyncdiscoverinternal.contoso.com",
        "LyncDiscoverInternal.Contoso.com",
    );
    ad.handle_response(&ad_xml(&root_redirect(&same))).unwrap();
    let r = send(&mut ad);
    assert!(
        r.url.starts_with("https://lyncdiscover."),
        "moved on to the next entry"
    );
    assert!(matches!(
        ad.failures()[0].1,
        Error::Discovery(DiscoveryError::RedirectLoop { .. })
    ));

    // Downgrade https -> http.
    ad.handle_response(&ad_xml(&root_redirect("http://insecure.example/root")))
        .unwrap();
    let err = ad.poll().unwrap_err();
    let Error::Discovery(DiscoveryError::Exhausted {
        tried: 2,
        last: Some(last),
    }) = err
    else {
        panic!("{err:?}")
    };
    assert!(matches!(
        *last,
        Error::Discovery(DiscoveryError::SchemeDowngrade { .. })
    ));
    assert!(matches!(
        ad.poll(),
        Err(Error::Misuse(MisuseError::UnexpectedCall { .. }))
    ));

    // Hop limit.
    let mut ad = AutodiscoverClient::new(alice(), only_https().max_hops(3));
    send(&mut ad);
    for i in 0..3 {
        ad.handle_response(&ad_xml(&root_redirect(&format!(
            "https://hop{i}.example/root"
        ))))
        .unwrap();
        assert_eq!(send(&mut ad).url, format!("https://hop{i}.example/root"));
    }
    ad.handle_response(&ad_xml(&root_redirect("https://hop3.example/root")))
        .unwrap();
    assert!(send(&mut ad).url.starts_with("https://lyncdiscover."));
    assert!(matches!(
        ad.failures()[0].1,
        Error::Discovery(DiscoveryError::TooManyHops { limit: 3 })
    ));

    // Unusable Location.
    ad.handle_response(&HttpResponse::new(301, b"").header("Location", "relative/path"))
        .unwrap();
    let err = ad.poll().unwrap_err();
    let Error::Discovery(DiscoveryError::Exhausted {
        last: Some(last), ..
    }) = err
    else {
        panic!("{err:?}")
    };
    assert!(matches!(
        *last,
        Error::Discovery(DiscoveryError::InvalidRedirect { .. })
    ));
}

#[test]
fn client_auth_failures() {
    // A second 401 although the ticket was sent: fail, no loop.
    let mut ad = AutodiscoverClient::new(alice(), only_https());
    send(&mut ad);
    ad.handle_response(&ad_xml(&data("ad_root.xml"))).unwrap();
    send(&mut ad);
    let challenge = RawResponse::load("ad_user_401.http");
    ad.handle_response(&challenge.view()).unwrap();
    ad.provide_credential(Credential::WebTicket(ticket()))
        .unwrap();
    send(&mut ad);
    ad.handle_response(&challenge.view()).unwrap();
    let err = ad.poll().unwrap_err();
    assert!(
        matches!(&err, Error::Auth(AuthError::CredentialRejected { url }) if url == USER_URL),
        "{err:?}"
    );
    assert!(matches!(ad.poll(), Err(Error::Misuse(_))));

    // 404 on the User resource: unknown user, final.
    let mut ad = AutodiscoverClient::new(alice(), only_https());
    send(&mut ad);
    ad.handle_response(&ad_xml(&data("ad_root.xml"))).unwrap();
    send(&mut ad);
    ad.handle_response(&HttpResponse::new(404, b"")).unwrap();
    assert!(matches!(
        ad.poll(),
        Err(Error::Discovery(DiscoveryError::UserNotFound))
    ));

    // A 401 offering only NTLM/Negotiate: this entry fails, the next one is tried.
    let mut ad = AutodiscoverClient::new(alice(), only_https());
    send(&mut ad);
    ad.handle_response(&ad_xml(&data("ad_root.xml"))).unwrap();
    send(&mut ad);
    ad.handle_response(&RawResponse::load("ad_user_401_iwa_only.http").view())
        .unwrap();
    assert!(send(&mut ad).url.starts_with("https://lyncdiscover."));
    assert!(matches!(
        ad.failures()[0].1,
        Error::Auth(AuthError::NoSupportedScheme)
    ));

    // A User link over plain http is never given a credential.
    let mut ad = AutodiscoverClient::new(alice(), AutodiscoverConfig::default());
    send(&mut ad);
    ad.handle_transport_error("x").unwrap();
    send(&mut ad);
    let http_user = br#"<AutodiscoverResponse><Root><Link token="User" href="http://lyncdiscoverinternal.contoso.com/user"/></Root></AutodiscoverResponse>"#;
    ad.handle_response(&ad_xml(http_user)).unwrap();
    let r = send(&mut ad);
    assert_eq!(r.url, "http://lyncdiscoverinternal.contoso.com/user");
    ad.handle_response(&challenge.view()).unwrap();
    assert!(send(&mut ad).url.starts_with("https://lyncdiscover."));
    assert!(matches!(
        ad.failures()[1].1,
        Error::Auth(AuthError::InsecureUrl { .. })
    ));
}

#[test]
fn client_exhausts_on_bad_content_and_statuses() {
    let mut ad = AutodiscoverClient::new(alice(), AutodiscoverConfig::default());
    let portal = b"<html><body>captive portal</body></html>";
    send(&mut ad);
    ad.handle_response(&HttpResponse::new(200, portal).header("Content-Type", "text/html"))
        .unwrap();
    send(&mut ad);
    ad.handle_response(
        &HttpResponse::new(503, b"").header("X-Ms-diagnostics", "1;reason=\"busy\""),
    )
    .unwrap();
    send(&mut ad);
    ad.handle_response(&ad_xml(
        b"<AutodiscoverResponse><User/></AutodiscoverResponse>",
    ))
    .unwrap();
    send(&mut ad);
    ad.handle_response(&ad_xml(
        b"<AutodiscoverResponse><Root/></AutodiscoverResponse>",
    ))
    .unwrap();
    let err = ad.poll().unwrap_err();
    let Error::Discovery(DiscoveryError::Exhausted {
        tried: 4,
        last: Some(last),
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert!(matches!(
        **last,
        Error::Malformed(MalformedError::Missing { .. })
    ));
    assert!(
        err.to_string()
            .starts_with("autodiscover failed on all 4 entry urls; last error: missing")
    );
    let kinds: Vec<_> = ad.failures().iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(kinds.len(), 3, "the last failure moved into the error");
    assert!(matches!(
        ad.failures()[0].1,
        Error::Malformed(MalformedError::UnexpectedContentType { .. })
    ));
    assert!(
        matches!(&ad.failures()[1].1, Error::Server(ServerError::Http { status: 503, diagnostics: Some(d) }) if d.reason() == Some("busy"))
    );
    assert!(matches!(
        ad.failures()[2].1,
        Error::Discovery(DiscoveryError::NoSipAccess)
    ));
}

#[test]
fn client_with_bearer_token_prefers_oauth_link() {
    let token = SecretString::new("eyJ0eXAi.payload.sig");
    let mut ad = AutodiscoverClient::new(alice(), only_https().format(ResponseFormat::Json))
        .with_credential(Credential::Bearer(token.clone()));
    let r = send(&mut ad);
    assert_eq!(r.header("Accept"), Some("application/json"));
    assert!(
        r.header("Authorization").is_none(),
        "no token on the unauthenticated Root"
    );
    ad.handle_response(&ad_xml(&data("ad_root_oauth.xml")))
        .unwrap();
    let r = send(&mut ad);
    assert_eq!(
        r.url,
        "https://webdir1a.online.lync.com/Autodiscover/AutodiscoverService.svc/root/oauth/user"
    );
    assert_eq!(
        r.header("Authorization"),
        Some("Bearer eyJ0eXAi.payload.sig")
    );
    let json = data("ad_user.json");
    ad.handle_response(
        &HttpResponse::new(200, &json).header("content-type", "application/json; charset=utf-8"),
    )
    .unwrap();
    let AutodiscoverStep::Done(found) = ad.poll().unwrap() else {
        panic!()
    };
    assert_eq!(found.pools[0].host, "sipfed2a.online.lync.com");

    // Without the preference the User link is used; a 401 on the entry repeats it with the token.
    let mut ad = AutodiscoverClient::new(alice(), only_https().prefer_oauth_link(false))
        .with_credential(Credential::Bearer(token));
    send(&mut ad);
    ad.handle_response(&HttpResponse::new(401, b"").header("WWW-Authenticate", "Bearer"))
        .unwrap();
    let r = send(&mut ad);
    assert!(r.url.starts_with("https://lyncdiscoverinternal."));
    assert!(r.header("Authorization").is_some());
    ad.handle_response(&ad_xml(&data("ad_root_oauth.xml")))
        .unwrap();
    let r = send(&mut ad);
    assert!(r.url.ends_with("/root/user"));
}

#[test]
fn client_misuse_is_reported() {
    let mut ad = AutodiscoverClient::new(alice(), AutodiscoverConfig::default());
    let ok = HttpResponse::new(200, b"");
    assert!(matches!(
        ad.handle_response(&ok),
        Err(Error::Misuse(MisuseError::UnexpectedCall { .. }))
    ));
    assert!(matches!(
        ad.handle_transport_error("x"),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        ad.provide_credential(Credential::WebTicket(ticket())),
        Err(Error::Misuse(_))
    ));
    send(&mut ad);
    assert!(matches!(
        ad.poll(),
        Err(Error::Misuse(MisuseError::UnexpectedCall {
            call: "poll",
            ..
        }))
    ));
}
