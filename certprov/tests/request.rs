//! The GetAndPublishCert request: byte-exact against the fixture, and its shape checked
//! element by element against `web-services.md` §4.3 / SIPE.

mod common;

use certprov::request::{ACTION, NS_AUTHWS, NS_WST_SLASH, NS_WSTEP, VALUE_TYPE_PKCS10};
use certprov::{Error, GetAndPublishCert, MisuseError, SignatureHash};
use common::*;
use webticket::soap::{SecurityHeader, Uuid, ns};
use webticket::webticket::WebTicket;
use webticket::xml::{Document, XmlLimits};

#[test]
fn request_matches_the_fixture_byte_for_byte() {
    let csr = csr(SignatureHash::Sha1);
    let xml = request(&csr).to_xml().unwrap();
    let fixture = String::from_utf8(data("request.xml")).unwrap();
    assert_eq!(
        xml, fixture,
        "regenerate with `--test regenerate -- --ignored` if this change is intended"
    );
}

#[test]
fn request_has_the_shape_sipe_sends() {
    let csr = csr(SignatureHash::Sha1);
    let http = request(&csr).http_request().unwrap();
    assert_eq!(http.method.as_str(), "POST");
    assert_eq!(http.url, ENDPOINT);
    assert_eq!(http.header("Content-Type"), Some("text/xml; charset=utf-8"));
    assert_eq!(
        http.header("SOAPAction"),
        Some(format!("\"{ACTION}\"").as_str())
    );

    let doc = Document::parse(&http.body, &XmlLimits::default()).unwrap();
    let root = doc.root();
    assert!(root.is(ns::SOAP11, "Envelope"));
    let header = root.child(ns::SOAP11, "Header").unwrap();
    let names: Vec<&str> = header.children().map(|c| c.local_name()).collect();
    assert_eq!(names, ["To", "ReplyTo", "MessageID", "Action", "Security"]);
    assert_eq!(header.child(ns::WSA, "To").unwrap().text(), ENDPOINT);
    assert_eq!(header.child(ns::WSA, "Action").unwrap().text(), ACTION);
    assert_eq!(
        header
            .path(&[(ns::WSA, "ReplyTo"), (ns::WSA, "Address")])
            .unwrap()
            .text(),
        "http://www.w3.org/2005/08/addressing/anonymous"
    );
    assert_eq!(
        header.child(ns::WSA, "MessageID").unwrap().text(),
        "uuid:11111111-1111-1111-1111-111111111111"
    );
    let security = header.child(ns::WSSE, "Security").unwrap();
    let parts: Vec<&str> = security.children().map(|c| c.local_name()).collect();
    assert_eq!(parts, ["Timestamp", "Assertion", "Signature"]);
    // The assertion is the ticket's, verbatim.
    assert_eq!(
        security.child(ns::SAML1, "Assertion").unwrap().raw(),
        ticket().assertion_xml()
    );

    let body = root.child(ns::SOAP11, "Body").unwrap();
    let gapc = body.child(NS_AUTHWS, "GetAndPublishCert").unwrap();
    assert_eq!(
        gapc.attr("", "DeviceId"),
        Some("{6b3e1c2a-4d5f-4061-8792-a3b4c5d6e7f8}")
    );
    assert_eq!(gapc.attr("", "Entity"), Some(ALICE));
    // SIPE's wst URI has a trailing slash.
    let rst = gapc.child(NS_WST_SLASH, "RequestSecurityToken").unwrap();
    assert_eq!(
        rst.child(NS_WST_SLASH, "TokenType").unwrap().text(),
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
    );
    assert_eq!(
        rst.child(NS_WST_SLASH, "RequestType").unwrap().text(),
        "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue"
    );
    let token = rst.child(ns::WSSE, "BinarySecurityToken").unwrap();
    assert_eq!(token.attr("", "ValueType"), Some(VALUE_TYPE_PKCS10));
    assert_eq!(
        rst.child(NS_WSTEP, "RequestID").unwrap().text(),
        "22222222-2222-2222-2222-222222222222"
    );

    // The CSR: CRLF first, 76-character CRLF lines, raw CR on the wire (not `&#xD;`).
    let raw = std::str::from_utf8(&http.body).unwrap();
    let start = raw.find("#Base64Binary\">").unwrap() + "#Base64Binary\">".len();
    let end = raw[start..].find("</wsse:BinarySecurityToken>").unwrap() + start;
    let b64 = &raw[start..end];
    assert!(b64.starts_with("\r\n"));
    let lines: Vec<&str> = b64[2..].split("\r\n").collect();
    assert!(lines.len() > 1);
    assert!(lines.iter().all(|l| l.len() <= 76 && !l.is_empty()));
    assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 76));
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(lines.concat())
        .unwrap();
    assert_eq!(der, csr.as_der());
}

#[test]
fn ids_come_from_the_callers_rng() {
    let csr = csr(SignatureHash::Sha1);
    let build = |seed| {
        GetAndPublishCert::with_ticket(ENDPOINT, &csr, &ticket(), device_id(), &mut rng(seed))
            .unwrap()
            .to_xml()
            .unwrap()
    };
    assert_eq!(build(9), build(9));
    assert_ne!(build(9), build(10));
    let req = GetAndPublishCert::with_ticket(ENDPOINT, &csr, &ticket(), device_id(), &mut rng(9))
        .unwrap();
    let id = req.request_id_value().to_string();
    // A version-4 UUID.
    assert_eq!(id.as_bytes()[14], b'4');
    assert!(build(9).contains(&format!("<wstep:RequestID>{id}</wstep:RequestID>")));
}

#[test]
fn a_bearer_ticket_is_refused() {
    // The same RSTR without entropy: no proof key, so no signature is possible.
    let start = RSTR.find("<wst:RequestedProofToken>").unwrap();
    let end = RSTR.find("<wst:Lifetime>").unwrap();
    let bearer = format!("{}{}", &RSTR[..start], &RSTR[end..]);
    let ticket = WebTicket::parse(bearer.as_bytes(), None).unwrap();
    assert!(ticket.proof_key().is_none());
    let csr = csr(SignatureHash::Sha1);
    let err = GetAndPublishCert::with_ticket(ENDPOINT, &csr, &ticket, device_id(), &mut rng(1))
        .unwrap_err();
    assert!(
        matches!(err, Error::Misuse(MisuseError::TicketWithoutProofKey)),
        "{err}"
    );
    // A caller can still pass any header explicitly (e.g. a custom timestamp).
    let custom = ticket.bearer_security_header();
    let xml = GetAndPublishCert::new(ENDPOINT, &csr, custom, device_id(), &mut rng(1))
        .to_xml()
        .unwrap();
    assert!(xml.contains("<saml:Assertion") && !xml.contains("<SignatureValue>"));
}

#[test]
fn a_bad_endpoint_is_misuse() {
    let csr = csr(SignatureHash::Sha1);
    let sec = SecurityHeader::bearer(&webticket::soap::Timestamp::new(NOW, NOW + 60), "<a/>");
    for url in ["ftp://pool.contoso.com/x", "pool.contoso.com/x", ""] {
        let err = GetAndPublishCert::new(
            url,
            &csr,
            sec.clone(),
            Uuid::from_bytes([0; 16]),
            &mut rng(1),
        )
        .http_request()
        .unwrap_err();
        assert!(
            matches!(err, Error::Misuse(MisuseError::Soap(_))),
            "{url}: {err}"
        );
    }
}

#[test]
fn debug_hides_the_ticket() {
    let csr = csr(SignatureHash::Sha1);
    let req = request(&csr);
    let dbg = format!("{req:?}");
    assert!(!dbg.contains("SamlSecurityToken-1"), "{dbg}");
    assert!(!dbg.contains("SignatureValue"), "{dbg}");
    assert!(dbg.contains("alice@contoso.com"));
}
