//! Web-ticket service: MEX parsing, the IssueToken RST (byte-exact and structural), and
//! RSTR parsing on every fixture.

mod common;

use common::{RawResponse, assert_matches_file, data};
use webticket::Error;
use webticket::UnixTime;
use webticket::autodiscover::SipAddress;
use webticket::crypto::{ClientEntropy, SecretString};
use webticket::error::{MalformedError, MisuseError, ServerError};
use webticket::http::{HttpResponse, Method};
use webticket::orgid::OrgIdToken;
use webticket::soap::{Uuid, ns};
use webticket::webticket::{
    IssueTokenRequest, Metadata, PORT_CERTPROV_PROOF, TokenUsage, WebTicket, mex_request,
};
use webticket::xml::{Document, XmlLimits};

const KEY32: &str = "c8958347a1e6d158a8dcbcab17b988b2fbe29fcce7b1afdb9c0e3f86ebf451d5";
const KEY64: &str = "c8958347a1e6d158a8dcbcab17b988b2fbe29fcce7b1afdb9c0e3f86ebf451d5c2b4b12905da68e75d60509f5c4c939b47e024d08cd49512b9cf050112247e22";
const JAN1: UnixTime = UnixTime(1_767_225_600);

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn entropy() -> ClientEntropy {
    ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8))
}

#[test]
fn mex_request_url() {
    let r = mex_request("https://pool.contoso.com/WebTicket/WebTicketService.svc/").unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.url,
        "https://pool.contoso.com/WebTicket/WebTicketService.svc/mex"
    );
    assert!(r.headers.is_empty() && r.body.is_empty());
    assert!(mex_request("pool.contoso.com").is_err());
}

#[test]
fn mex_web_ticket_service() {
    let m = Metadata::parse(&data("mex_webticket.xml")).unwrap();
    let names: Vec<_> = m.ports.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "WebTicketServiceWinNegotiate",
            "WebTicketServiceCert",
            "WsFedBearer",
            "WebTicketServiceOAuth"
        ]
    );
    assert_eq!(m.ports[0].binding.as_deref(), Some("tns:b1"));
    let e = m.web_ticket_endpoints();
    assert_eq!(
        e.win_negotiate.as_deref(),
        Some("https://pool.contoso.com/WebTicket/WebTicketService.svc/WinNegotiate")
    );
    assert_eq!(
        e.ws_fed_bearer.as_deref(),
        Some("https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer")
    );
    assert_eq!(
        e.oauth.as_deref(),
        Some("https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/OAuth")
    );
    let p = m.policy("webticketservicewinnegotiate_POLICY").unwrap();
    assert_eq!((p.issuer.as_deref(), p.usage), (None, None));

    // MEX envelope, default namespaces, SOAP 1.2 addresses, names in other cases.
    let m = Metadata::parse(&data("mex_webticket_wrapped.xml")).unwrap();
    let e = m.web_ticket_endpoints();
    assert_eq!(
        e.win_negotiate.as_deref(),
        Some("https://pool.contoso.com/WebTicket/WebTicketService.svc/WinNegotiate")
    );
    assert_eq!(
        e.ws_fed_bearer.as_deref(),
        Some("https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer")
    );
    assert_eq!(e.oauth, None);
}

#[test]
fn mex_certprov_policies() {
    let m = Metadata::parse(&data("mex_certprov.xml")).unwrap();
    let req = m.service_requirements(PORT_CERTPROV_PROOF).unwrap();
    assert_eq!(
        req.endpoint,
        "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1"
    );
    assert_eq!(
        req.issuer,
        "https://pool.contoso.com/WebTicket/WebTicketService.svc"
    );
    assert!(req.proof_required);
    let bearer = m
        .service_requirements("certprovisioningservicewebticketbearer")
        .unwrap();
    assert!(!bearer.proof_required);
    assert_eq!(
        m.policy("CertProvisioningServiceWebTicketBearer_policy")
            .unwrap()
            .usage,
        Some(TokenUsage::Signed)
    );
    assert!(m.service_requirements("NoSuchPort").is_none());

    assert!(matches!(
        Metadata::parse(&data("mex_not_wsdl.xml")),
        Err(Error::Malformed(MalformedError::Missing { .. }))
    ));
    assert!(matches!(
        Metadata::parse(&data("fault_ocs.xml")),
        Err(Error::Server(ServerError::Fault(_)))
    ));
}

fn rst_proof() -> IssueTokenRequest<'static> {
    static ADDR: std::sync::OnceLock<SipAddress> = std::sync::OnceLock::new();
    static ENTROPY: std::sync::OnceLock<ClientEntropy> = std::sync::OnceLock::new();
    IssueTokenRequest::new(
        "https://pool.contoso.com/WebTicket/WebTicketService.svc/WinNegotiate",
        "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1",
        Uuid::from_bytes(*b"\xf8\x1d\x4f\xae\x7d\xec\x11\xd0\xa7\x65\x00\xa0\xc9\x1e\x6b\xf6"),
    )
    .claims(ADDR.get_or_init(|| "alice@contoso.com".parse().unwrap()))
    .proof_key(ENTROPY.get_or_init(entropy))
}

#[test]
fn rst_proof_key_variant() {
    let req = rst_proof().build().unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://pool.contoso.com/WebTicket/WebTicketService.svc/WinNegotiate"
    );
    assert_eq!(
        req.headers,
        [
            (
                "Content-Type".to_owned(),
                "text/xml; charset=utf-8".to_owned()
            ),
            (
                "SOAPAction".to_owned(),
                "\"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\"".to_owned()
            ),
        ]
    );
    assert_matches_file("rst_proof_request.xml", &req.body);

    // Structurally: namespaces by URI, the values the spec (§2.3, F6) prescribes.
    let doc = Document::parse(&req.body, &XmlLimits::default()).unwrap();
    let root = doc.root();
    assert!(root.is(ns::SOAP11, "Envelope"));
    assert!(
        root.child(ns::SOAP11, "Header").is_none(),
        "no SOAP header without a security token"
    );
    let rst = root
        .path(&[(ns::SOAP11, "Body"), (ns::WST, "RequestSecurityToken")])
        .unwrap();
    assert_eq!(
        rst.attr("", "Context"),
        Some("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
    );
    let text = |local: &str| rst.child(ns::WST, local).unwrap().text().to_owned();
    assert_eq!(
        text("TokenType"),
        "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1"
    );
    assert_eq!(
        text("RequestType"),
        "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue"
    );
    assert_eq!(
        text("KeyType"),
        "http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey"
    );
    let applies = rst
        .path(&[
            (ns::WSP, "AppliesTo"),
            (ns::WSA, "EndpointReference"),
            (ns::WSA, "Address"),
        ])
        .unwrap();
    assert_eq!(
        applies.text(),
        "https://pool.contoso.com/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1"
    );
    let secret = rst
        .path(&[(ns::WST, "Entropy"), (ns::WST, "BinarySecret")])
        .unwrap();
    assert_eq!(
        secret.text(),
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    );
    let claims = rst.child(ns::WST, "Claims").unwrap();
    assert_eq!(
        claims.attr("", "Dialect"),
        Some("urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims")
    );
    let claim = claims.child(ns::AUTH, "ClaimType").unwrap();
    assert_eq!(
        claim.attr("", "Uri"),
        Some("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri")
    );
    assert_eq!(claim.attr("", "Optional"), Some("false"));
    assert_eq!(
        claim.child(ns::AUTH, "Value").unwrap().text(),
        "sip:alice@contoso.com"
    );
}

#[test]
fn rst_bearer_variant_and_escaping() {
    let applies = "https://pool.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com&sipuri=alice@contoso.com";
    let req = IssueTokenRequest::new(
        "https://pool.contoso.com/WebTicket/WebTicketService.svc/WinNegotiate",
        applies,
        Uuid::from_random_bytes([0xab; 16]),
    )
    .build()
    .unwrap();
    assert_matches_file("rst_bearer_request.xml", &req.body);
    let doc = Document::parse(&req.body, &XmlLimits::default()).unwrap();
    let rst = doc.root().find(ns::WST, "RequestSecurityToken").unwrap();
    assert_eq!(
        rst.attr("", "Context"),
        Some("abababab-abab-4bab-abab-abababababab")
    );
    assert_eq!(
        rst.child(ns::WST, "KeyType").unwrap().text(),
        "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer"
    );
    assert!(rst.child(ns::WST, "Entropy").is_none() && rst.child(ns::WST, "Claims").is_none());
    assert_eq!(
        rst.find(ns::WSA, "Address").unwrap().text(),
        applies,
        "the & round-trips"
    );
    assert!(
        req.body_str()
            .unwrap()
            .contains("originalDomain=contoso.com&amp;sipuri=")
    );

    let bad =
        IssueTokenRequest::new("https://x/", "https://x/\u{1}", Uuid::from_bytes([0; 16])).build();
    assert!(matches!(
        bad,
        Err(Error::Misuse(MisuseError::InvalidXmlChar { .. }))
    ));
    let bad = IssueTokenRequest::new("not a url", "https://x/", Uuid::from_bytes([0; 16])).build();
    assert!(matches!(
        bad,
        Err(Error::Misuse(MisuseError::InvalidUrl { .. }))
    ));
}

#[test]
fn rst_with_orgid_token_and_oauth() {
    let orgid = OrgIdToken::parse(&data("rst2_response.xml")).unwrap();
    let security = orgid.security_header();
    let endpoint = "https://pool.contoso.com/WebTicket/WebTicketAdvancedService.svc/WsFed_bearer";
    let addr: SipAddress = "alice@contoso.com".parse().unwrap();
    let e = entropy();
    let req = IssueTokenRequest::new(
        endpoint,
        "https://pool.contoso.com/Autodiscover/AutodiscoverService.svc/root/user",
        Uuid::from_random_bytes([1; 16]),
    )
    .claims(&addr)
    .proof_key(&e)
    .security(&security, Uuid::from_random_bytes([2; 16]))
    .build()
    .unwrap();
    assert_matches_file("rst_fedbearer_request.xml", &req.body);
    let doc = Document::parse(&req.body, &XmlLimits::default()).unwrap();
    let header = doc.root().child(ns::SOAP11, "Header").unwrap();
    assert_eq!(header.child(ns::WSA, "To").unwrap().text(), endpoint);
    assert_eq!(
        header.child(ns::WSA, "Action").unwrap().text(),
        "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"
    );
    assert_eq!(
        header.child(ns::WSA, "MessageID").unwrap().text(),
        "uuid:02020202-0202-4202-8202-020202020202"
    );
    assert_eq!(
        header
            .path(&[(ns::WSA, "ReplyTo"), (ns::WSA, "Address")])
            .unwrap()
            .text(),
        "http://www.w3.org/2005/08/addressing/anonymous"
    );
    let sec = header.child(ns::WSSE, "Security").unwrap();
    let ts = sec.child(ns::WSU, "Timestamp").unwrap();
    assert_eq!(ts.attr(ns::WSU, "Id"), Some("timestamp"));
    assert_eq!(
        ts.child(ns::WSU, "Expires").unwrap().text(),
        "2026-01-01T08:00:00Z"
    );
    let enc = sec.child(ns::XENC, "EncryptedData").unwrap();
    assert_eq!(
        enc.raw(),
        orgid.token_xml(),
        "the OrgID token goes out verbatim"
    );

    let token = SecretString::new("eyJ0eXAi.eyJhdWQi.c2ln");
    let req = IssueTokenRequest::new(endpoint, "https://x/user", Uuid::from_bytes([0; 16]))
        .bearer_token(&token)
        .build()
        .unwrap();
    assert_eq!(
        req.header("Authorization"),
        Some("Bearer eyJ0eXAi.eyJhdWQi.c2ln")
    );
    assert!(!format!("{req:?}").contains("eyJ0eXAi"));
}

#[test]
fn rstr_proof_fixture() {
    let body = data("rstr_proof.xml");
    let t = WebTicket::parse(&body, Some(&entropy())).unwrap();
    let src = std::str::from_utf8(&body).unwrap();
    let start = src.find("<saml:Assertion").unwrap();
    let end = src.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    assert_eq!(
        t.assertion_xml(),
        &src[start..end],
        "assertion kept byte for byte"
    );
    assert_eq!(t.assertion_id(), "SamlSecurityToken-1");
    assert_eq!(t.lifetime().created, JAN1);
    assert_eq!(t.expires(), JAN1 + 8 * 3600);
    assert_eq!(t.lifetime().timestamp.created(), "2026-01-01T00:00:00Z");
    assert_eq!(hex(t.proof_key().unwrap().dangerous_as_bytes()), KEY32);
    assert_eq!(
        t.token_type(),
        Some("http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1")
    );
    assert!(t.header_value().starts_with("opaque=PHNhbWw6QXNzZXJ0aW9u"));
    let dbg = format!("{t:?}");
    assert!(dbg.contains("SamlSecurityToken-1") && !dbg.contains("NameIdentifier"));

    // The same through an HTTP response.
    let t2 = WebTicket::from_response(&HttpResponse::new(200, &body), Some(&entropy())).unwrap();
    assert_eq!(t, t2);
    // Without the client entropy the proof key cannot be computed.
    assert!(matches!(
        WebTicket::parse(&body, None),
        Err(Error::Misuse(MisuseError::ProofKeyMismatch { .. }))
    ));
    // Signed presentation, byte-exact (the signature value is the KAT of tests/kat.rs).
    let sec = t.security_header().unwrap();
    assert_matches_file("security_signed.xml", sec.dangerous_as_str().as_bytes());
    assert!(
        sec.dangerous_as_str()
            .contains("<SignatureValue>eT9q2N5pOdcNijs9Y1Ibdbzb6K0=</SignatureValue>")
    );
    let bearer = t.bearer_security_header();
    assert_eq!(
        bearer.dangerous_as_str(),
        format!("{}{}", t.lifetime().timestamp.to_xml(), t.assertion_xml())
    );
}

#[test]
fn rstr_variants() {
    // Other prefixes, a header, whitespace, extra elements, a bearer ticket.
    let t = WebTicket::parse(&data("rstr_bearer.xml"), Some(&entropy())).unwrap();
    assert_eq!(t.assertion_id(), "_bearer-42");
    assert!(
        t.assertion_xml()
            .starts_with("<Assertion xmlns=\"urn:oasis:names:tc:SAML:1.0:assertion\"")
    );
    assert!(
        t.proof_key().is_none(),
        "no server entropy: a bearer ticket"
    );
    assert_eq!(
        t.applies_to(),
        Some("https://pool.contoso.com/Autodiscover/AutodiscoverService.svc/root/user")
    );
    assert_eq!(t.lifetime().timestamp.expires(), "2026-01-01T08:00:00.123Z");
    assert_eq!(t.expires(), JAN1 + 8 * 3600);
    assert!(matches!(
        t.signed_security_header(&t.lifetime().timestamp),
        Err(Error::Misuse(_))
    ));
    assert!(
        t.security_header()
            .unwrap()
            .dangerous_as_str()
            .contains("<wsu:Expires>2026-01-01T08:00:00.123Z</wsu:Expires>")
    );

    // The assertion relies on xmlns:saml of the envelope: the declaration is added.
    let body = data("rstr_inherited_ns.xml");
    let t = WebTicket::parse(&body, None).unwrap();
    assert_eq!(
        t.assertion_xml(),
        r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="inherited" MajorVersion="1" MinorVersion="1"><saml:Conditions NotBefore="2026-01-01T00:00:00Z" NotOnOrAfter="2026-01-01T08:00:00Z"/></saml:Assertion>"#
    );

    // SAML 2.0, lifetime from the assertion's Conditions.
    let t = WebTicket::parse(&data("rstr_conditions_only.xml"), None).unwrap();
    assert_eq!(t.assertion_id(), "_saml2-id");
    assert_eq!(t.expires(), JAN1 + 3600);

    // Issued key (base64 with line breaks).
    let t = WebTicket::parse(&data("rstr_issued_key.xml"), None).unwrap();
    assert_eq!(
        t.proof_key().unwrap().dangerous_as_bytes(),
        &core::array::from_fn::<u8, 32, _>(|i| i as u8)
    );

    // KeySize 512: a 64-byte PSHA1 key.
    let t = WebTicket::parse(&data("rstr_keysize.xml"), Some(&entropy())).unwrap();
    assert_eq!(hex(t.proof_key().unwrap().dangerous_as_bytes()), KEY64);
}

#[test]
fn rstr_expired_lifetime() {
    let t = WebTicket::parse(&data("rstr_expired.xml"), None).unwrap();
    let created = UnixTime::parse_xsd_datetime("2020-01-01T00:00:00Z").unwrap();
    assert_eq!(t.lifetime().created, created);
    assert!(!t.is_valid_at(JAN1, 60));
    assert!(t.is_valid_at(created + 8 * 3600 - 61, 60));
    assert!(!t.is_valid_at(created + 8 * 3600 - 59, 60));
    assert!(
        !t.is_valid_at(created + 8 * 3600, 0),
        "invalid from the Expires instant on"
    );
    assert!(t.is_valid_at(created + 8 * 3600 - 1, 0));
}

#[test]
fn rstr_errors() {
    type Check = fn(&Error) -> bool;
    let cases: [(&str, Check); 5] = [
        ("rstr_lifetime_inverted.xml", |e| {
            matches!(
                e,
                Error::Malformed(MalformedError::Invalid {
                    what: "wst:Lifetime"
                })
            )
        }),
        ("rstr_bad_entropy.xml", |e| {
            matches!(
                e,
                Error::Malformed(MalformedError::Invalid {
                    what: "wst:Entropy"
                })
            )
        }),
        ("rstr_no_token.xml", |e| {
            matches!(e, Error::Malformed(MalformedError::Missing { .. }))
        }),
        ("rstr_wrong_ns.xml", |e| {
            matches!(e, Error::Malformed(MalformedError::Missing { .. }))
        }),
        ("mex_certprov.xml", |e| {
            matches!(e, Error::Malformed(MalformedError::UnexpectedRoot { .. }))
        }),
    ];
    for (name, check) in cases {
        let err = WebTicket::parse(&data(name), Some(&entropy())).unwrap_err();
        assert!(check(&err), "{name}: {err:?}");
    }
}

#[test]
fn faults_and_diagnostics() {
    // A fault with HTTP 200 is still a fault.
    let body = data("fault_ocs.xml");
    let err = WebTicket::from_response(&HttpResponse::new(200, &body), None).unwrap_err();
    let Error::Server(ServerError::Fault(f)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(f.code, "a:FailedAuthentication");
    assert_eq!(f.code_namespace.as_deref(), Some(ns::WSSE));
    assert_eq!(
        f.reason,
        "The security token could not be authenticated or authorized."
    );
    let d = f.ocs_diagnostics.as_ref().unwrap();
    assert_eq!(
        (d.error_id, d.reason.as_str()),
        (28020, "The SAML token could not be validated.")
    );
    assert_eq!(f.message(), "The SAML token could not be validated.");
    assert_eq!(f.http_status, Some(200));

    let raw = RawResponse::load("webticket_403.http");
    let err = WebTicket::from_response(&raw.view(), None).unwrap_err();
    let Error::Server(ServerError::Http {
        status: 403,
        diagnostics: Some(d),
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(d.error_id, 28000);
    assert_eq!(d.source(), Some("pool.contoso.com"));
    assert_eq!(d.reason(), Some("User is not SIP enabled."));
    assert_eq!(d.fault(), Some("wsse:FailedAuthentication"));
    assert_eq!(
        err.to_string(),
        "http status 403 (ms-diagnostics 28000: User is not SIP enabled.)"
    );

    let raw = RawResponse::load("webticket_500_fault.http");
    let err = WebTicket::from_response(&raw.view(), None).unwrap_err();
    let Error::Server(ServerError::Fault(f)) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(f.http_status, Some(500));
    assert_eq!(f.diagnostics.as_ref().map(|d| d.error_id), Some(28001));
    assert_eq!(
        err.to_string(),
        "soap fault: a:FailedAuthentication: The SAML token could not be validated. (error id 28020)"
    );

    // Non-XML error bodies are HTTP errors, not parse errors.
    let err =
        WebTicket::from_response(&HttpResponse::new(502, b"<html>Bad gateway"), None).unwrap_err();
    assert!(matches!(
        err,
        Error::Server(ServerError::Http {
            status: 502,
            diagnostics: None
        })
    ));
}
