//! SOAP building blocks: envelopes, security headers, faults, diagnostics, check_response.

mod common;

use common::data;
use webticket::Error;
use webticket::crypto::SecretString;
use webticket::error::{MalformedError, ServerError};
use webticket::http::HttpResponse;
use webticket::soap::{
    self, Addressing, MsDiagnostics, SecurityHeader, SoapContentType, SoapFault, SoapMessage,
    SoapVersion, Timestamp, Uuid, ns,
};
use webticket::xml::{Document, XmlLimits};

#[test]
fn envelope_layout() {
    let sec = SecurityHeader::username_token("u<1>", &SecretString::new("p&2")).unwrap();
    let xml = SoapMessage {
        version: SoapVersion::Soap12,
        namespaces: &[("x", "urn:x")],
        addressing: Some(Addressing {
            to: "https://h/p?a=1&b=2",
            action: "urn:act",
            message_id: Uuid::from_bytes([0xcd; 16]),
        }),
        security: Some(&sec),
        body: "<x:Op/>",
    }
    .to_xml()
    .unwrap();
    assert_eq!(
        xml,
        concat!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
            "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" ",
            "xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" ",
            "xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" xmlns:x=\"urn:x\">",
            "<soap:Header><wsa:To>https://h/p?a=1&amp;b=2</wsa:To><wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>",
            "<wsa:MessageID>uuid:cdcdcdcd-cdcd-cdcd-cdcd-cdcdcdcdcdcd</wsa:MessageID><wsa:Action>urn:act</wsa:Action>",
            "<wsse:Security><wsse:UsernameToken><wsse:Username>u&lt;1&gt;</wsse:Username><wsse:Password>p&amp;2</wsse:Password></wsse:UsernameToken></wsse:Security>",
            "</soap:Header><soap:Body><x:Op/></soap:Body></soap:Envelope>"
        )
    );
    // No header at all without addressing and security.
    let bare = SoapMessage {
        version: SoapVersion::Soap11,
        namespaces: &[],
        addressing: None,
        security: None,
        body: "",
    }
    .to_xml()
    .unwrap();
    assert!(!bare.contains("Header") && bare.ends_with("<soap:Body></soap:Body></soap:Envelope>"));

    let req =
        soap::soap_http_request("https://h/p", SoapContentType::SoapXml, "urn:act", xml).unwrap();
    assert_eq!(
        req.header("content-type"),
        Some("application/soap+xml; charset=utf-8; action=\"urn:act\"")
    );
    assert!(
        soap::soap_http_request(
            "https://h/p",
            SoapContentType::TextXml,
            "urn:a\r\nX: y",
            String::new()
        )
        .is_err()
    );
    assert!(
        soap::soap_http_request("h/p", SoapContentType::TextXml, "urn:a", String::new()).is_err()
    );
}

#[test]
fn fault_fixtures() {
    let doc_bytes = data("fault_soap12.xml");
    let doc = Document::parse(&doc_bytes, &XmlLimits::default()).unwrap();
    let f = SoapFault::from_document(&doc).unwrap();
    assert_eq!(f.version, SoapVersion::Soap12);
    assert_eq!(f.code, "env:Sender");
    assert_eq!(f.subcodes, ["wst:InvalidRequest", "wst:BadRequest"]);
    assert_eq!(f.reason, "The request was invalid or malformed");
    assert_eq!(f.message(), f.reason);
    assert!(f.detail_xml.is_none() && f.ocs_diagnostics.is_none() && f.passport_error.is_none());
    assert_eq!(
        f.to_string(),
        "env:Sender/wst:InvalidRequest/wst:BadRequest: The request was invalid or malformed"
    );

    let doc_bytes = data("rstr_proof.xml");
    let doc = Document::parse(&doc_bytes, &XmlLimits::default()).unwrap();
    assert!(SoapFault::from_document(&doc).is_none());
}

#[test]
fn check_response_rules() {
    let ok = data("rstr_proof.xml");
    let doc = soap::check_response(&HttpResponse::new(200, &ok), &XmlLimits::default()).unwrap();
    assert!(soap::body(&doc).unwrap().is(ns::SOAP11, "Body"));

    let fault = data("fault_ocs.xml");
    let resp = HttpResponse::new(400, &fault).header("X-Ms-Diagnostics", "28020;reason=\"x\"");
    let Err(Error::Server(ServerError::Fault(f))) =
        soap::check_response(&resp, &XmlLimits::default())
    else {
        panic!()
    };
    assert_eq!(f.http_status, Some(400));
    assert_eq!(f.diagnostics, MsDiagnostics::parse("28020;reason=\"x\""));

    assert!(matches!(
        soap::check_response(&HttpResponse::new(200, b"  "), &XmlLimits::default()),
        Err(Error::Malformed(MalformedError::Missing {
            what: "response body"
        }))
    ));
    assert!(matches!(
        soap::check_response(&HttpResponse::new(200, b"<html>"), &XmlLimits::default()),
        Err(Error::Malformed(MalformedError::Xml { .. }))
    ));
    assert!(matches!(
        soap::check_response(&HttpResponse::new(401, b""), &XmlLimits::default()),
        Err(Error::Server(ServerError::Http {
            status: 401,
            diagnostics: None
        }))
    ));
    let not_soap = b"<r/>";
    let doc =
        soap::check_response(&HttpResponse::new(200, not_soap), &XmlLimits::default()).unwrap();
    assert!(matches!(
        soap::body(&doc),
        Err(Error::Malformed(MalformedError::UnexpectedRoot { .. }))
    ));
}

#[test]
fn bearer_header_layout() {
    let ts =
        Timestamp::from_lexical("2026-01-01T00:00:00.5Z", "2026-01-01T00:05:00+00:00").unwrap();
    let h = SecurityHeader::bearer(&ts, "<t/>");
    assert_eq!(
        h.dangerous_as_str(),
        "<wsu:Timestamp xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" wsu:Id=\"timestamp\"><wsu:Created>2026-01-01T00:00:00.5Z</wsu:Created><wsu:Expires>2026-01-01T00:05:00+00:00</wsu:Expires></wsu:Timestamp><t/>"
    );
    assert!(SecurityHeader::username_token("a\u{0}", &SecretString::new("p")).is_err());
}
