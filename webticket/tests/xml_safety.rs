//! XML safety: DTDs, entity expansion, limits, encodings, namespaces by URI.

use std::time::{Duration, Instant};

use webticket::Error;
use webticket::autodiscover::AutodiscoverResponse;
use webticket::error::{LimitError, MalformedError};
use webticket::webticket::{Metadata, WebTicket};
use webticket::xml::{AnyNs, Document, XmlLimits};

fn billion_laughs() -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        s.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    s.push_str("]>\n<lolz>&lol9;</lolz>");
    s.into_bytes()
}

#[test]
fn billion_laughs_is_refused_fast() {
    let body = billion_laughs();
    let start = Instant::now();
    for parse in [
        |b: &[u8]| Document::parse(b, &XmlLimits::default()).map(|_| ()),
        |b: &[u8]| AutodiscoverResponse::parse_xml(b).map(|_| ()),
        |b: &[u8]| WebTicket::parse(b, None).map(|_| ()),
        |b: &[u8]| Metadata::parse(b).map(|_| ()),
    ] {
        assert!(matches!(
            parse(&body),
            Err(Error::Limit(LimitError::DtdForbidden))
        ));
    }
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn external_entities_and_undeclared_entities() {
    let xxe =
        br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
    assert!(matches!(
        Document::parse(xxe, &XmlLimits::default()),
        Err(Error::Limit(LimitError::DtdForbidden))
    ));
    // Without a DTD an entity reference is simply undeclared.
    let e = Document::parse(b"<r>&x;</r>", &XmlLimits::default()).unwrap_err();
    assert!(
        matches!(e, Error::Malformed(MalformedError::UndeclaredEntity { ref name }) if name == "x")
    );
    assert_eq!(e.to_string(), "undeclared entity reference `&x;`");
}

#[test]
fn depth_size_and_count_limits() {
    let deep = "<a>".repeat(100_000) + &"</a>".repeat(100_000);
    let start = Instant::now();
    let err = Document::parse(deep.as_bytes(), &XmlLimits::default()).unwrap_err();
    assert!(matches!(
        err,
        Error::Limit(LimitError::TooDeep { limit: 64 })
    ));
    assert!(start.elapsed() < Duration::from_millis(500));

    let big = vec![b' '; (1 << 20) + 1];
    assert!(matches!(
        Document::parse(&big, &XmlLimits::default()),
        Err(Error::Limit(LimitError::TooLarge {
            limit: 1_048_576,
            ..
        }))
    ));
    let wide = format!("<r>{}</r>", "<a/>".repeat(20_000));
    assert!(matches!(
        Document::parse(wide.as_bytes(), &XmlLimits::default()),
        Err(Error::Limit(LimitError::TooManyElements { limit: 20_000 }))
    ));
    let attrs: String = (0..65).map(|i| format!(" a{i}=\"1\"")).collect();
    assert!(matches!(
        Document::parse(format!("<r{attrs}/>").as_bytes(), &XmlLimits::default()),
        Err(Error::Limit(LimitError::TooManyAttributes { limit: 64 }))
    ));
}

#[test]
fn many_distinct_namespaces_parse_in_linear_time() {
    // About 42,000 distinct namespace URIs in just under 1 MB: interning them by linear
    // search took seconds in a release build.
    let mut body = String::from("<r>");
    let mut n = 0;
    while body.len() < 1_000_000 {
        body.push_str("<a");
        for _ in 0..60 {
            body.push_str(&format!(" xmlns:p{}=\"urn:{n:07}\"", n % 60));
            n += 1;
        }
        body.push_str("/>");
    }
    body.push_str("</r>");
    let start = Instant::now();
    let doc = Document::parse(body.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(
        doc.root()
            .children()
            .last()
            .unwrap()
            .lookup_namespace("p59"),
        Some(&*format!("urn:{:07}", n - 1))
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn encodings() {
    let utf16 = b"\xFF\xFE<\x00r\x00/\x00>\x00";
    assert!(matches!(
        Document::parse(utf16, &XmlLimits::default()),
        Err(Error::Malformed(MalformedError::NotUtf8))
    ));
    let doc = Document::parse("<r a='é'>ü</r>".as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(doc.root().attr("", "a"), Some("é"));
    assert_eq!(doc.root().text(), "ü");
}

#[test]
fn namespaces_matched_by_uri_not_prefix() {
    // A `wst:` prefix bound to another URI is not WS-Trust; an `x:` prefix bound to WS-Trust is.
    let fake = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><wst:RequestSecurityTokenResponse xmlns:wst="urn:evil"><wst:RequestedSecurityToken><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="x"/></wst:RequestedSecurityToken></wst:RequestSecurityTokenResponse></s:Body></s:Envelope>"#;
    assert!(matches!(
        WebTicket::parse(fake, None),
        Err(Error::Malformed(MalformedError::Missing { .. }))
    ));
    let real = br#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x:RequestSecurityTokenResponse xmlns:x="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><x:RequestedSecurityToken><y:Assertion xmlns:y="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="ok"/></x:RequestedSecurityToken><x:Lifetime xmlns:z="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><z:Created>2026-01-01T00:00:00Z</z:Created><z:Expires>2026-01-01T08:00:00Z</z:Expires></x:Lifetime></x:RequestSecurityTokenResponse></e:Body></e:Envelope>"#;
    assert_eq!(WebTicket::parse(real, None).unwrap().assertion_id(), "ok");
    // AnyNs ignores namespaces entirely (used only where the URI is unknown).
    let doc = Document::parse(
        br#"<a xmlns="urn:1"><b xmlns="urn:2"/></a>"#,
        &XmlLimits::default(),
    )
    .unwrap();
    assert!(doc.root().child(AnyNs, "b").is_some());
    assert!(doc.root().child("urn:1", "b").is_none());
}

#[test]
fn namespace_declarations_are_checked_like_attributes() {
    // Found by the webticket_xml_diff fuzz target: a repeated declaration is a duplicate
    // attribute, whether or not it binds the same name.
    for dup in [
        r#"<r xmlns:p="urn:a" xmlns:p="urn:b"/>"#,
        r#"<r xmlns:p="urn:a" a="1" xmlns:p="urn:a"/>"#,
        r#"<r xmlns="urn:a" xmlns="urn:a"/>"#,
    ] {
        let e = Document::parse(dup.as_bytes(), &XmlLimits::default()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed(MalformedError::Xml { ref reason, .. }) if reason == "duplicate attribute"),
            "{dup}: {e:?}"
        );
    }
    // The same prefix on a child, and `xml` bound to its own name, are fine.
    let ok = r#"<r xmlns:p="urn:a" xmlns:xml="http://www.w3.org/XML/1998/namespace"><p:c xmlns:p="urn:b"/></r>"#;
    let doc = Document::parse(ok.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(doc.root().children().next().unwrap().namespace(), "urn:b");
}

#[test]
fn reserved_namespace_names_are_not_bound() {
    // Namespaces in XML 1.0 §3: neither reserved name may be bound to another prefix or
    // as the default namespace; `xmlns` is never declared, `xml` only to its own name.
    for bad in [
        r#"<r xmlns:p="http://www.w3.org/XML/1998/namespace"/>"#,
        r#"<r xmlns="http://www.w3.org/XML/1998/namespace"/>"#,
        r#"<r xmlns:p="http://www.w3.org/2000/xmlns/"/>"#,
        r#"<r xmlns="http://www.w3.org/2000/xmlns/"/>"#,
        r#"<r xmlns:xml="urn:x"/>"#,
        r#"<r xmlns:xmlns="http://www.w3.org/2000/xmlns/"/>"#,
        // The reserved name after reference resolution.
        r#"<r xmlns:p="http://www.w3.org/2000/xmlns&#x2F;"/>"#,
    ] {
        assert!(
            matches!(
                Document::parse(bad.as_bytes(), &XmlLimits::default()),
                Err(Error::Malformed(MalformedError::Xml { .. }))
            ),
            "{bad}"
        );
    }
}

/// About 1 MB: `levels` nested elements with 63 namespace declarations each (62 levels:
/// 3,906 in scope),
/// then elements whose name and 63 attributes use the prefix declared outermost, so each
/// of their names is resolved past every other declaration.
fn nested_declarations(levels: usize) -> String {
    let mut body = String::from(r#"<p:r xmlns:p="urn:p">"#);
    for l in 0..levels {
        body.push_str("<e");
        for i in 0..63 {
            body.push_str(&format!(" xmlns:a{i}=\"urn:{l}:{i}\""));
        }
        body.push('>');
    }
    let leaf: String = std::iter::once("<p:x".to_owned())
        .chain((0..63).map(|i| format!(" p:a{i}=\"\"")))
        .chain(std::iter::once("/>".to_owned()))
        .collect();
    while body.len() + leaf.len() < 1_000_000 - 5 * levels {
        body.push_str(&leaf);
    }
    body.push_str(&"</e>".repeat(levels));
    body.push_str("</p:r>");
    body
}

#[test]
fn namespace_declarations_in_scope_are_bounded() {
    // Resolving every name past thousands of declarations took about 0.5 s before the
    // limit; now the document is refused at the declaration past the 256th.
    let body = nested_declarations(62);
    let start = Instant::now();
    assert!(matches!(
        Document::parse(body.as_bytes(), &XmlLimits::default()),
        Err(Error::Limit(LimitError::TooManyNamespaceDeclarations {
            limit: 256
        }))
    ));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    // Just under the limit (4 × 63 + 1 declarations) it parses.
    let body = nested_declarations(4);
    let doc = Document::parse(body.as_bytes(), &XmlLimits::default()).unwrap();
    assert!(doc.element_count() > 1000);
}
