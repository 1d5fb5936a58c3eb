//! The web-ticket service of `webticket::server::ticket`, driven by the crate's own client
//! side (`IssueTokenRequest` → service → `WebTicket::from_response`) and by a SIPE-shaped
//! request.

mod common;

use common::{TestRng, test_rng};

use common::data;
use webticket::UnixTime;
use webticket::autodiscover::SipAddress;
use webticket::crypto::{ClientEntropy, ProofKey, SecretString, p_sha1};
use webticket::error::{Error, ServerError};
use webticket::http::{HttpRequest, HttpResponse};
use webticket::server::ticket::{
    AuthFailure, AuthRequest, PresentedCredential, TicketPort, TicketRejection, TicketRoute,
    TicketService, TicketServiceConfig, applies_to_matches,
};
use webticket::server::{ServerRequest, ServerResponse};
use webticket::soap::{SecurityHeader, Timestamp, Uuid};
use webticket::webticket::{IssueTokenRequest, WebTicket};
use webticket::xml::{Document, XmlLimits};

const WT: &str = "https://pool.contoso.com/WebTicket/WebTicketService.svc";
const USER_URL: &str = "https://lyncdiscover.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com";
const CERTPROV: &str =
    "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1";
const NOW: UnixTime = UnixTime(1_767_225_600);
/// `alice@contoso.com:secret`.
const ALICE_BASIC: &str = "Basic YWxpY2VAY29udG9zby5jb206c2VjcmV0";

fn alice() -> SipAddress {
    "alice@contoso.com".parse().unwrap()
}

fn service() -> TicketService {
    TicketService::new(TicketServiceConfig::new(WT).unwrap())
}

fn authenticate(a: &AuthRequest<'_>) -> Result<SipAddress, AuthFailure> {
    match a.credential {
        PresentedCredential::Basic { username, password } => {
            match (username, password.dangerous_expose()) {
                ("alice@contoso.com", "secret") => Ok(alice()),
                ("carol@contoso.com", "secret") => Ok("carol@contoso.com".parse().unwrap()),
                ("bob@contoso.com", _) => Err(AuthFailure::NotSipEnabled),
                ("alice@contoso.com", _) => Err(AuthFailure::WrongPassword),
                _ => Err(AuthFailure::UnknownUser),
            }
        }
        PresentedCredential::Bearer(t) if t.dangerous_expose() == "good-token" => Ok(alice()),
        PresentedCredential::Bearer(_) => Err(AuthFailure::Expired),
        PresentedCredential::OrgIdToken(x) => {
            if x.as_bytes() == data("server/orgid_encrypted_data.xml").trim_ascii_end() {
                Ok(alice())
            } else {
                Err(AuthFailure::WrongPassword)
            }
        }
        PresentedCredential::UsernameToken { username, password } => {
            if username == "alice@contoso.com" && password.dangerous_expose() == "p&ss<" {
                Ok(alice())
            } else {
                Err(AuthFailure::Rejected("no \"such\" user".into()))
            }
        }
        PresentedCredential::SamlAssertion(_) => Err(AuthFailure::Rejected("no".into())),
        _ => Err(AuthFailure::UnknownUser),
    }
}

/// Posts a client-built request to the service, as an HTTP server would.
fn post(
    svc: &mut TicketService,
    req: &HttpRequest,
    extra: &[(&str, &str)],
    now: UnixTime,
    rng: &mut TestRng,
) -> ServerResponse {
    let path = &req.url["https://pool.contoso.com".len()..];
    let mut sreq = ServerRequest::new(req.method.as_str(), path).body(&req.body);
    for (n, v) in &req.headers {
        sreq = sreq.header(n, v);
    }
    for (n, v) in extra {
        sreq = sreq.header(n, v);
    }
    svc.handle(&sreq, now, rng, &mut authenticate)
}

fn view(resp: &ServerResponse) -> HttpResponse<'_> {
    let mut r = HttpResponse::new(resp.status, &resp.body);
    for (n, v) in &resp.headers {
        r = r.header(n, v);
    }
    r
}

fn port(svc: &TicketService, p: TicketPort) -> String {
    svc.config().port_url(p)
}

#[test]
fn bearer_ticket_round_trip() {
    let mut svc = service();
    let endpoint = port(&svc, TicketPort::WinNegotiate);
    let addr = alice();
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([1; 16]))
        .claims(&addr)
        .build()
        .unwrap();
    let resp = post(
        &mut svc,
        &rst,
        &[("Authorization", ALICE_BASIC)],
        NOW,
        &mut test_rng(0),
    );
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let ticket = WebTicket::from_response(&view(&resp), None).unwrap();
    assert!(ticket.proof_key().is_none());
    assert_eq!(ticket.applies_to(), Some(USER_URL));
    assert_eq!(ticket.expires(), NOW + 8 * 3600);
    assert!(ticket.is_valid_at(NOW, 60));
    assert!(ticket.assertion_id().starts_with("SamlSecurityToken-"));

    let issued = svc
        .verify_header(&ticket.header_value(), Some(USER_URL), NOW)
        .unwrap();
    assert_eq!(issued.user(), &alice());
    assert_eq!(issued.assertion_xml(), ticket.assertion_xml());
    assert!(issued.proof_key().is_none());
    assert_eq!(issued.port(), TicketPort::WinNegotiate);
    // The assertion names the user.
    assert!(ticket.assertion_xml().contains(">sip:alice@contoso.com<"));
}

#[test]
fn proof_key_ticket_round_trip() {
    let mut svc = service();
    let endpoint = port(&svc, TicketPort::WinNegotiate);
    let addr = alice();
    let entropy = ClientEntropy::from_bytes([0x42; 32]);
    let rst = IssueTokenRequest::new(&endpoint, CERTPROV, Uuid::from_random_bytes([2; 16]))
        .claims(&addr)
        .proof_key(&entropy)
        .build()
        .unwrap();
    let mut rng = test_rng(0);
    let resp = post(
        &mut svc,
        &rst,
        &[("Authorization", ALICE_BASIC)],
        NOW,
        &mut rng,
    );
    assert_eq!(resp.status, 200);
    let ticket = WebTicket::from_response(&view(&resp), Some(&entropy)).unwrap();
    let client_key = ticket.proof_key().unwrap();

    // Lookup by AssertionID: what certificate provisioning builds its KnownTicket from.
    let issued = svc.lookup(ticket.assertion_id(), NOW).unwrap();
    let server_key: ProofKey = issued.proof_key().unwrap().clone();
    assert_eq!(&server_key, client_key);
    assert_eq!(issued.applies_to(), CERTPROV);
    assert!(issued.applies_to_url(CERTPROV));
    // The server entropy is the RSTR's (only) BinarySecret.
    let body = std::str::from_utf8(&resp.body).unwrap();
    let secret = body
        .split_once("<BinarySecret")
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(b64, _)| b64)
        .unwrap();
    let server_entropy =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, secret).unwrap();
    assert_eq!(server_entropy.len(), 32);
    assert_eq!(
        server_key,
        ProofKey::compute_psha1(&entropy, &server_entropy)
    );

    // The presented signed wsse:Security: the assertion is byte-identical and the signature
    // verifies with the server's key.
    let security = ticket.security_header().unwrap();
    let sec = security.dangerous_as_str();
    let start = sec.find("<saml:Assertion").unwrap();
    let end = sec.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    assert!(
        svc.verify_assertion(&sec[start..end], Some(CERTPROV), NOW)
            .is_ok()
    );
    let si_start = sec.find("<SignedInfo").unwrap();
    let si_end = sec.find("</SignedInfo>").unwrap() + "</SignedInfo>".len();
    let value_start = sec.find("<SignatureValue>").unwrap() + "<SignatureValue>".len();
    let value_end = sec.find("</SignatureValue>").unwrap();
    let mac = base64_decode(&sec[value_start..value_end]);
    assert!(server_key.verify(&sec.as_bytes()[si_start..si_end], &mac));
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// SIPE: POST without credentials → 401 Basic (and nothing SIPE would prefer), POST with
/// Basic → RSTR from which SIPE's text extraction finds everything it needs.
#[test]
fn sipe_shaped_request() {
    let mut svc = service();
    let body = data("server/sipe_rst.xml");
    let path = "/WebTicket/WebTicketService.svc/WinNegotiate";
    let req = ServerRequest::new("POST", path)
        .header("Content-Type", "text/xml")
        .header(
            "SOAPAction",
            "\"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\"",
        )
        .body(&body);
    let mut rng = test_rng(0);
    let first = svc.handle(&req, NOW, &mut rng, &mut authenticate);
    assert_eq!(first.status, 401);
    let challenges: Vec<_> = first
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(challenges, ["Basic realm=\"pool.contoso.com\""]);
    assert!(first.body.is_empty());
    assert!(svc.is_empty());

    let req = req.header("Authorization", ALICE_BASIC);
    let resp = svc.handle(&req, NOW, &mut rng, &mut authenticate);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.get("content-type"), Some("text/xml; charset=utf-8"));
    let raw = std::str::from_utf8(&resp.body).unwrap();

    // SIPE's sipe_xml_extract_raw: the first "<tag" up to the first "</tag>".
    fn extract<'a>(raw: &'a str, tag: &str, include: bool) -> Option<&'a str> {
        let start = raw.find(&format!("<{tag}"))?;
        let end = start + raw[start..].find(&format!("</{tag}>"))?;
        if include {
            Some(&raw[start..end + tag.len() + 3])
        } else {
            let inner = start + raw[start..].find('>')? + 1;
            Some(&raw[inner..end])
        }
    }
    let lifetime = extract(raw, "Lifetime", false).expect("<Lifetime");
    let timestamp = format!(
        "<wsu:Timestamp xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" wsu:Id=\"timestamp\">{lifetime}</wsu:Timestamp>"
    );
    assert_eq!(
        extract(&timestamp, "Expires", false),
        Some("2026-01-01T08:00:00Z")
    );
    let ts_doc = Document::parse(timestamp.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(ts_doc.root().children().count(), 2);
    let assertion = extract(raw, "saml:Assertion", true).expect("<saml:Assertion");
    let server_entropy = base64_decode(extract(raw, "BinarySecret", false).unwrap());
    assert_eq!(server_entropy.len(), 32);
    let id_at = assertion.find("AssertionID=\"").unwrap() + "AssertionID=\"".len();
    let id = &assertion[id_at..id_at + assertion[id_at..].find('"').unwrap()];

    let client: Vec<u8> = (0..32).collect();
    let key = p_sha1(&client, &server_entropy, 32);
    let issued = svc
        .verify_assertion(assertion, Some(CERTPROV), NOW)
        .unwrap();
    assert_eq!(issued.assertion_id(), id);
    assert_eq!(issued.proof_key().unwrap().dangerous_as_bytes(), &key[..]);

    // The crate's client reads the same response.
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    let ticket = WebTicket::from_response(&view(&resp), Some(&entropy)).unwrap();
    assert_eq!(ticket.assertion_xml(), assertion);
    assert_eq!(ticket.proof_key(), issued.proof_key());
}

#[test]
fn fed_bearer_with_orgid_token() {
    let mut svc = service();
    let endpoint = port(&svc, TicketPort::WsFedBearer);
    let token = String::from_utf8(data("server/orgid_encrypted_data.xml")).unwrap();
    let ts = Timestamp::new(NOW, NOW + 3600);
    let security = SecurityHeader::bearer(&ts, token.trim_end());
    let addr = alice();
    let entropy = ClientEntropy::from_bytes([9; 32]);
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([3; 16]))
        .claims(&addr)
        .proof_key(&entropy)
        .security(&security, Uuid::from_random_bytes([4; 16]))
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(7));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let ticket = WebTicket::from_response(&view(&resp), Some(&entropy)).unwrap();
    assert_eq!(
        svc.lookup(ticket.assertion_id(), NOW).unwrap().port(),
        TicketPort::WsFedBearer
    );

    // The OrgID token's timestamp has expired: a fault, surfaced as such by the client.
    let old = Timestamp::new(NOW - 7200, NOW - 3600);
    let security = SecurityHeader::bearer(&old, token.trim_end());
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([3; 16]))
        .security(&security, Uuid::from_random_bytes([4; 16]))
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(7));
    assert_fault(&resp, 28022, "The security token has expired.");
}

fn assert_fault(resp: &ServerResponse, id: u32, reason: &str) {
    assert_eq!(resp.status, 500);
    match WebTicket::from_response(&view(resp), None) {
        Err(Error::Server(ServerError::Fault(f))) => {
            let ocs = f.ocs_diagnostics.as_ref().expect("af:Ms-Diagnostics-Fault");
            assert_eq!((ocs.error_id, ocs.reason.as_str()), (id, reason));
            assert_eq!(f.message(), reason);
            assert_eq!(f.http_status, Some(500));
            let d = f.diagnostics.as_ref().expect("X-Ms-diagnostics");
            assert_eq!(d.error_id, id);
            assert_eq!(d.source(), Some("pool.contoso.com"));
        }
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn token_failures_are_soap_faults() {
    let mut svc = service();
    let endpoint = port(&svc, TicketPort::WsFedBearer);
    let ts = Timestamp::new(NOW, NOW + 3600);
    let bad = SecurityHeader::bearer(
        &ts,
        "<EncryptedData xmlns=\"http://www.w3.org/2001/04/xmlenc#\"><CipherData><CipherValue>QkJC</CipherValue></CipherData></EncryptedData>",
    );
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([3; 16]))
        .security(&bad, Uuid::from_random_bytes([4; 16]))
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(0));
    assert_fault(&resp, 28021, "The credentials are not valid.");

    // UsernameToken: escaped password reaches the callback unescaped; a refusal's reason
    // is written escaped in the body and made header-safe in X-Ms-diagnostics.
    let good =
        SecurityHeader::username_token("alice@contoso.com", &SecretString::new("p&ss<")).unwrap();
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([3; 16]))
        .security(&good, Uuid::from_random_bytes([4; 16]))
        .build()
        .unwrap();
    assert_eq!(post(&mut svc, &rst, &[], NOW, &mut test_rng(0)).status, 200);
    let other = SecurityHeader::username_token("eve@contoso.com", &SecretString::new("x")).unwrap();
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([3; 16]))
        .security(&other, Uuid::from_random_bytes([4; 16]))
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(0));
    assert_fault(&resp, 28023, "no \"such\" user");
    assert!(
        resp.get("x-ms-diagnostics")
            .unwrap()
            .contains("reason=\"no 'such' user\"")
    );

    // No token at all.
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([3; 16]))
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(0));
    assert_fault(&resp, 28032, "No security token in the request.");
}

#[test]
fn http_level_failures() {
    let mut svc = service();
    let endpoint = port(&svc, TicketPort::WinNegotiate);
    let addr = alice();
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([1; 16]))
        .claims(&addr)
        .build()
        .unwrap();
    let http_error = |resp: &ServerResponse| match WebTicket::from_response(&view(resp), None) {
        Err(Error::Server(ServerError::Http {
            status,
            diagnostics,
        })) => (
            status,
            diagnostics.map(|d| (d.error_id, d.reason().unwrap().to_owned())),
        ),
        other => panic!("expected an http error, got {other:?}"),
    };
    // alice@contoso.com:wrong
    let resp = post(
        &mut svc,
        &rst,
        &[("Authorization", "Basic YWxpY2VAY29udG9zby5jb206d3Jvbmc=")],
        NOW,
        &mut test_rng(0),
    );
    assert_eq!(
        resp.get("www-authenticate"),
        Some("Basic realm=\"pool.contoso.com\"")
    );
    assert_eq!(
        http_error(&resp),
        (401, Some((28021, "The credentials are not valid.".into())))
    );
    // bob@contoso.com:x → not SIP enabled: 403 / 28000 as documented.
    let resp = post(
        &mut svc,
        &rst,
        &[("Authorization", "Basic Ym9iQGNvbnRvc28uY29tOng=")],
        NOW,
        &mut test_rng(0),
    );
    assert_eq!(
        http_error(&resp),
        (403, Some((28000, "User is not SIP enabled.".into())))
    );
    // carol@contoso.com:secret authenticates but claims alice.
    let resp = post(
        &mut svc,
        &rst,
        &[("Authorization", "Basic Y2Fyb2xAY29udG9zby5jb206c2VjcmV0")],
        NOW,
        &mut test_rng(0),
    );
    assert_eq!(http_error(&resp).0, 403);
    assert_eq!(http_error(&resp).1.unwrap().0, 28031);
    // Not Basic, or undecodable: the plain challenge.
    for bad in ["NTLM TlRMTVNTUAABAAAA", "Basic !!!", "Basic Og=="] {
        let resp = post(
            &mut svc,
            &rst,
            &[("Authorization", bad)],
            NOW,
            &mut test_rng(0),
        );
        assert_eq!(resp.status, 401, "{bad}");
        assert!(resp.get("x-ms-diagnostics").is_none());
    }
    assert!(svc.is_empty());

    // Negotiate/NTLM listed before Basic when asked for.
    let mut svc = TicketService::new(
        TicketServiceConfig::new(WT)
            .unwrap()
            .advertise_negotiate(true)
            .realm("R\"x"),
    );
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(0));
    let all: Vec<_> = resp
        .headers
        .iter()
        .filter(|(n, _)| n == "WWW-Authenticate")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(all, ["Negotiate", "NTLM", "Basic realm=\"R'x\""]);
}

#[test]
fn oauth_port() {
    let mut svc = service();
    let endpoint = port(&svc, TicketPort::OAuth);
    let token = SecretString::new("good-token");
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([1; 16]))
        .bearer_token(&token)
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(0));
    assert_eq!(resp.status, 200);
    let ticket = WebTicket::from_response(&view(&resp), None).unwrap();
    assert_eq!(
        svc.lookup(ticket.assertion_id(), NOW).unwrap().port(),
        TicketPort::OAuth
    );

    let stale = SecretString::new("old-token");
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([1; 16]))
        .bearer_token(&stale)
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(0));
    assert_eq!(resp.status, 401);
    assert_eq!(resp.get("x-ms-diagnostics").map(|d| &d[..5]), Some("28022"));

    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([1; 16]))
        .build()
        .unwrap();
    let resp = post(&mut svc, &rst, &[], NOW, &mut test_rng(0));
    assert_eq!(resp.status, 401);
    assert_eq!(
        resp.get("www-authenticate"),
        Some("Bearer realm=\"pool.contoso.com\"")
    );

    // Without the OAuth port the path is unknown.
    let mut svc = TicketService::new(TicketServiceConfig::new(WT).unwrap().oauth_port(false));
    assert_eq!(post(&mut svc, &rst, &[], NOW, &mut test_rng(0)).status, 404);
    assert_eq!(svc.mex().to_xml().unwrap().matches("wsdl:port ").count(), 2);
}

fn issue_one(svc: &mut TicketService, now: UnixTime, seed: u8) -> WebTicket {
    let endpoint = port(svc, TicketPort::WinNegotiate);
    let rst = IssueTokenRequest::new(&endpoint, USER_URL, Uuid::from_random_bytes([1; 16]))
        .build()
        .unwrap();
    let resp = post(
        svc,
        &rst,
        &[("Authorization", ALICE_BASIC)],
        now,
        &mut test_rng(u64::from(seed)),
    );
    WebTicket::from_response(&view(&resp), None).unwrap()
}

#[test]
fn presented_tickets_are_checked() {
    let mut svc = TicketService::new(TicketServiceConfig::new(WT).unwrap().lifetime_secs(3600));
    let t = issue_one(&mut svc, NOW, 0);
    assert_eq!(t.expires(), NOW + 3600);
    let h = t.header_value();
    assert!(svc.verify_header(&h, Some(USER_URL), NOW + 3599).is_ok());
    // Audience: query, case and default port ignored; another path refused.
    let same =
        "HTTPS://LyncDiscover.contoso.com:443/autodiscover/autodiscoverservice.svc/root/user/";
    assert!(svc.verify_header(&h, Some(same), NOW).is_ok());
    assert_eq!(
        svc.verify_header(&h, Some(CERTPROV), NOW).unwrap_err(),
        TicketRejection::WrongAudience
    );
    // Expired.
    assert_eq!(
        svc.verify_header(&h, None, NOW + 3600).unwrap_err(),
        TicketRejection::Expired
    );
    assert_eq!(
        svc.lookup(t.assertion_id(), NOW + 3600).unwrap_err(),
        TicketRejection::Expired
    );
    // Tampered: one character of the assertion changed, or whitespace added.
    let tampered = t.assertion_xml().replace("sip:alice@", "sip:alicf@");
    assert_eq!(
        svc.verify_assertion(&tampered, None, NOW).unwrap_err(),
        TicketRejection::Tampered
    );
    let spaced = t.assertion_xml().replacen("><", "> <", 1);
    assert_eq!(
        svc.verify_assertion(&spaced, None, NOW).unwrap_err(),
        TicketRejection::Tampered
    );
    // Unknown id, garbage.
    let forged = t
        .assertion_xml()
        .replace(t.assertion_id(), "SamlSecurityToken-0");
    assert_eq!(
        svc.verify_assertion(&forged, None, NOW).unwrap_err(),
        TicketRejection::Unknown
    );
    for junk in [
        "",
        "opaque=",
        "opaque=!!",
        "opaque=PGE+PC9hPg==",
        "bm90IHhtbA==",
    ] {
        assert_eq!(
            svc.verify_header(junk, None, NOW).unwrap_err(),
            TicketRejection::Malformed,
            "{junk}"
        );
    }
    // Case-insensitive prefix, and none at all.
    let bare = &h["opaque=".len()..];
    assert!(
        svc.verify_header(&format!("OPAQUE={bare}"), None, NOW)
            .is_ok()
    );
    assert!(svc.verify_header(bare, None, NOW).is_ok());

    assert_eq!(svc.purge_expired(NOW + 3600), 1);
    assert_eq!(
        svc.verify_header(&h, None, NOW).unwrap_err(),
        TicketRejection::Unknown
    );
    assert!(applies_to_matches("https://a/x?q", "https://A:443/X/"));
    assert!(!applies_to_matches("https://a/x", "http://a/x"));
}

#[test]
fn store_is_bounded() {
    let mut svc = TicketService::new(TicketServiceConfig::new(WT).unwrap().max_tickets(2));
    let a = issue_one(&mut svc, NOW, 0);
    let b = issue_one(&mut svc, NOW + 1, 100);
    let c = issue_one(&mut svc, NOW + 2, 200);
    assert_eq!(svc.len(), 2);
    assert_eq!(
        svc.lookup(a.assertion_id(), NOW + 2).unwrap_err(),
        TicketRejection::Unknown
    );
    assert!(svc.lookup(b.assertion_id(), NOW + 2).is_ok());
    assert!(svc.lookup(c.assertion_id(), NOW + 2).is_ok());
    // Expired tickets are purged on insert.
    let _ = issue_one(&mut svc, NOW + 9 * 3600, 50);
    assert_eq!(svc.len(), 1);
}

#[test]
fn bad_requests() {
    let mut svc = service();
    let sipe = String::from_utf8(data("server/sipe_rst.xml")).unwrap();
    let path = "/WebTicket/WebTicketService.svc/WinNegotiate";
    let send = |svc: &mut TicketService, body: &str| {
        let req = ServerRequest::new("POST", path)
            .header("Authorization", ALICE_BASIC)
            .body(body.as_bytes());
        svc.handle(&req, NOW, &mut test_rng(0), &mut authenticate)
    };
    let cases = [
        "not xml".to_owned(),
        "<!DOCTYPE x><x/>".to_owned(),
        "<a/>".to_owned(),
        sipe.replace("2005/02/trust/Issue", "2005/02/trust/Renew"),
        sipe.replace("SAMLV1.1", "SAMLV2.0"),
        sipe.replace("<wsa:Address>https://pool", "<wsa:Address>pool"),
        sipe.replace("sip:alice@contoso.com", "sip:alice"),
        sipe.replace("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "AAEC"),
        sipe.replace("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "%%%"),
        sipe.replace("<wst:Entropy>", "<wst:X>")
            .replace("</wst:Entropy>", "</wst:X>"),
        sipe.replace("200512/SymmetricKey", "200512/PublicKey"),
    ];
    for body in &cases {
        let resp = send(&mut svc, body);
        match WebTicket::from_response(&view(&resp), None) {
            Err(Error::Server(ServerError::Fault(f))) => {
                assert_eq!(f.ocs_diagnostics.unwrap().error_id, 28030, "{body}");
                assert_eq!(f.code, "wst:InvalidRequest");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
    assert!(svc.is_empty());
    // Accepted variants: the 1.3 RequestType, bigger entropy, no KeyType, no claims.
    let big = base64_encode(&[5u8; 64]);
    for body in [
        sipe.replace(
            "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        ),
        sipe.replace("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", &big),
        sipe.replace(
            "<wst:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey</wst:KeyType>",
            "",
        ),
        sipe.replace("sip:alice@contoso.com", "sip:ALICE@contoso.com"),
    ] {
        let resp = send(&mut svc, &body);
        assert_eq!(resp.status, 200, "{body}");
    }
    // 64-byte client entropy: a 64-byte key (SIPE's rule: key length = entropy length).
    let t = svc.len();
    assert_eq!(t, 4);

    // Routing.
    let get = ServerRequest::new("GET", path);
    assert_eq!(
        svc.handle(&get, NOW, &mut test_rng(0), &mut authenticate)
            .status,
        405
    );
    let other = ServerRequest::new("POST", "/WebTicket/Other.svc");
    assert_eq!(
        svc.handle(&other, NOW, &mut test_rng(0), &mut authenticate)
            .status,
        404
    );
    assert_eq!(
        svc.route("/webticket/webticketservice.svc/wsfedbearer/?x=1"),
        Some(TicketRoute::Port(TicketPort::WsFedBearer))
    );
    let mex = ServerRequest::new("GET", "/WebTicket/WebTicketService.svc/mex");
    assert_eq!(
        svc.handle(&mex, NOW, &mut test_rng(0), &mut authenticate)
            .status,
        200
    );
    assert!(TicketServiceConfig::new("pool.contoso.com").is_err());
    assert!(TicketServiceConfig::new("https://pool/x?y").is_err());
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
