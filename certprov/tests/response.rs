//! Response parsing: every fixture under `tests/data/response-*`, the certificate forms
//! that are accepted, and every error path with its classification.

mod common;

use certprov::{
    CertResponse, CertificateError, Error, IssuedCertificate, MalformedError, ServiceError,
    SignatureHash, UnixTime,
};
use common::*;
use webticket::http::HttpResponse;

/// 2026-01-01T00:00:00Z and 08:00:00Z: the fixture certificates' window.
const NOT_BEFORE: UnixTime = UnixTime(1_767_225_600);
const NOT_AFTER: UnixTime = UnixTime(1_767_254_400);

fn answer(name: &str, status: u16) -> Result<IssuedCertificate, Error> {
    let body = data(name);
    CertResponse::from_http(&HttpResponse::new(status, &body))?
        .verify(&csr(SignatureHash::Sha1), NOW)
}

#[test]
fn accepted_certificate_forms() {
    for (name, chain_len) in [
        ("response.xml", 0),
        ("response-prefixed.xml", 0),
        ("response-chain.xml", 1),
        ("response-pkipath.xml", 1),
        ("response-pkcs7.xml", 1),
    ] {
        let cert = answer(name, 200).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(cert.subject_cn(), ALICE, "{name}");
        assert_eq!(
            (cert.not_before(), cert.not_after()),
            (NOT_BEFORE, NOT_AFTER),
            "{name}"
        );
        assert_eq!(cert.chain().len(), chain_len, "{name}");
        assert_eq!(cert.public_key(), &client_key().public_key(), "{name}");
        assert_eq!(cert.san_uris(), ["sip:alice@contoso.com"], "{name}");
        assert!(cert.is_valid_at(NOW));
        if chain_len == 1 {
            assert_eq!(cert.issuer_cn(), "certprov test intermediate CA", "{name}");
            let inter = IssuedCertificate::from_der(&cert.chain()[0]).unwrap();
            assert_eq!(
                inter.issuer_cn(),
                "certprov test CA",
                "{name}: root excluded, intermediate kept"
            );
        } else {
            assert_eq!(cert.issuer_cn(), "certprov test CA");
        }
    }
}

#[test]
fn extra_siblings_are_kept_or_ignored() {
    let resp = CertResponse::parse(&data("response-prefixed.xml")).unwrap();
    assert_eq!(
        resp.request_id(),
        Some("22222222-2222-2222-2222-222222222222")
    );
    assert_eq!(resp.disposition(), Some("Issued"));
    assert_eq!(resp.certificates().len(), 1);
    // Three tokens in the chain fixture, in document order.
    assert_eq!(
        CertResponse::parse(&data("response-chain.xml"))
            .unwrap()
            .certificates()
            .len(),
        3
    );
    let plain = CertResponse::parse(&data("response.xml")).unwrap();
    assert_eq!(plain.request_id(), None);
    assert!(format!("{plain:?}").contains("certificates: 1"));
}

type Check = fn(&Error) -> bool;

#[test]
fn certificates_that_do_not_fit_the_request_are_refused() {
    let cases: &[(&str, Check)] = &[
        ("response-wrong-subject.xml", |e| {
            matches!(e, Error::Certificate(CertificateError::SubjectMismatch { expected, found })
                if expected == ALICE && found == "bob@contoso.com")
        }),
        ("response-wrong-key.xml", |e| {
            matches!(e, Error::Certificate(CertificateError::KeyMismatch))
        }),
        (
            "response-expired.xml",
            |e| matches!(e, Error::Certificate(CertificateError::Expired { now, .. }) if *now == NOW),
        ),
        (
            "response-not-yet-valid.xml",
            |e| matches!(e, Error::Certificate(CertificateError::NotYetValid { not_before, .. }) if *not_before == NOW + 6900),
        ),
        ("response-broken-chain.xml", |e| {
            matches!(e, Error::Certificate(CertificateError::BrokenChain { .. }))
        }),
    ];
    for (name, check) in cases {
        let err = answer(name, 200).expect_err(name);
        assert!(check(&err), "{name}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn malformed_answers_are_specific_errors() {
    let cases: &[(&str, Check)] = &[
        ("response-bad-base64.xml", |e| {
            matches!(e, Error::Malformed(MalformedError::Base64 { .. }))
        }),
        ("response-bad-der.xml", |e| {
            matches!(
                e,
                Error::Malformed(MalformedError::Der {
                    what: "certificate",
                    ..
                })
            )
        }),
        (
            "response-unsupported-type.xml",
            |e| matches!(e, Error::Malformed(MalformedError::UnsupportedTokenType { value_type }) if value_type.ends_with("#X509SubjectKeyIdentifier")),
        ),
        ("response-missing-token.xml", |e| {
            matches!(
                e,
                Error::Malformed(MalformedError::Missing {
                    what: "BinarySecurityToken"
                })
            )
        }),
        ("response-empty-body.xml", |e| {
            matches!(
                e,
                Error::Malformed(MalformedError::Missing {
                    what: "GetAndPublishCertResponse"
                })
            )
        }),
        ("response-html.html", |e| {
            matches!(e, Error::Malformed(MalformedError::Soap(_)))
        }),
        ("response-not-xml.txt", |e| {
            matches!(e, Error::Malformed(MalformedError::Soap(_)))
        }),
    ];
    for (name, check) in cases {
        let err = answer(name, 200).expect_err(name);
        assert!(check(&err), "{name}: {err:?}");
        // The body-only parser agrees.
        let err2 = CertResponse::parse(&data(name))
            .and_then(|r| r.verify(&csr(SignatureHash::Sha1), NOW))
            .expect_err(name);
        assert_eq!(
            std::mem::discriminant(&err2),
            std::mem::discriminant(&err),
            "{name}"
        );
    }
    assert!(matches!(
        CertResponse::parse(b""),
        Err(Error::Malformed(MalformedError::Soap(_)))
    ));
}

#[test]
fn service_errors_say_what_to_do() {
    let cases: &[(&str, u16, Check)] = &[
        (
            "response-errorinfo-28000.xml",
            200,
            |e| matches!(e, Error::Service(ServiceError::UserNotEnabled { reason }) if reason == "User is not SIP enabled."),
        ),
        ("response-errorinfo-28000.xml", 500, |e| {
            matches!(e, Error::Service(ServiceError::UserNotEnabled { .. }))
        }),
        ("response-errorinfo-28001.xml", 200, |e| {
            matches!(
                e,
                Error::Service(ServiceError::RetryLater {
                    error_id: Some(28001),
                    ..
                })
            )
        }),
        ("response-errorinfo-unknown.xml", 200, |e| {
            matches!(e, Error::Service(ServiceError::Refused { error_id: Some(28050), reason, detail_xml })
                if reason == "Certificate request rejected by policy." && detail_xml.starts_with("<ErrorInfo"))
        }),
        ("response-errorinfo-text.xml", 200, |e| {
            matches!(e, Error::Service(ServiceError::Refused { error_id: None, reason, .. })
                if reason == "The certificate template is disabled.")
        }),
        (
            "response-fault-failedauth.xml",
            500,
            |e| matches!(e, Error::Service(ServiceError::TicketRejected { reason, .. }) if reason.contains("could not be authenticated")),
        ),
        ("response-fault-failedauth.xml", 200, |e| {
            matches!(e, Error::Service(ServiceError::TicketRejected { .. }))
        }),
        ("response-fault-expired.xml", 500, |e| {
            matches!(e, Error::Service(ServiceError::TicketRejected { .. }))
        }),
        ("response-fault-soap12.xml", 500, |e| {
            matches!(e, Error::Service(ServiceError::TicketRejected { .. }))
        }),
        (
            "response-fault-28000.xml",
            500,
            |e| matches!(e, Error::Service(ServiceError::UserNotEnabled { reason }) if reason == "User is not SIP enabled."),
        ),
        ("response-fault-server.xml", 500, |e| {
            matches!(
                e,
                Error::Service(ServiceError::RetryLater {
                    http_status: Some(500),
                    ..
                })
            )
        }),
        (
            "response-fault-other.xml",
            500,
            |e| matches!(e, Error::Service(ServiceError::Fault(f)) if f.code == "s:Client" && f.http_status == Some(500)),
        ),
        ("response-html.html", 503, |e| {
            matches!(
                e,
                Error::Service(ServiceError::RetryLater {
                    http_status: Some(503),
                    ..
                })
            )
        }),
    ];
    for (name, status, check) in cases {
        let err = answer(name, *status).expect_err(name);
        assert!(check(&err), "{name} @ {status}: {err:?}");
    }
    // The body-only parser classifies faults and ErrorInfo the same way.
    assert!(matches!(
        CertResponse::parse(&data("response-fault-failedauth.xml")),
        Err(Error::Service(ServiceError::TicketRejected { .. }))
    ));
    assert!(matches!(
        CertResponse::parse(&data("response-errorinfo-28000.xml")),
        Err(Error::Service(ServiceError::UserNotEnabled { .. }))
    ));
}

#[test]
fn http_errors_without_a_body() {
    let diag = r#"28000;source="pool.contoso.com";reason="User is not SIP enabled.";fault="wsse:FailedAuthentication""#;
    let cases: &[(HttpResponse<'_>, Check)] = &[
        (HttpResponse::new(401, b""), |e| {
            matches!(e, Error::Service(ServiceError::TicketRejected { .. }))
        }),
        (
            HttpResponse::new(403, b"").header("X-Ms-diagnostics", diag),
            |e| matches!(e, Error::Service(ServiceError::UserNotEnabled { reason }) if reason == "User is not SIP enabled."),
        ),
        (
            HttpResponse::new(403, b"").header(
                "X-Ms-diagnostics",
                r#"28020;reason="Ticket expired";fault="wsse:FailedAuthentication""#,
            ),
            |e| {
                matches!(
                    e,
                    Error::Service(ServiceError::TicketRejected {
                        error_id: Some(28020),
                        ..
                    })
                )
            },
        ),
        (
            HttpResponse::new(500, b"")
                .header("X-Ms-diagnostics", r#"28001;reason="Internal error""#),
            |e| {
                matches!(
                    e,
                    Error::Service(ServiceError::RetryLater {
                        error_id: Some(28001),
                        http_status: Some(500),
                        ..
                    })
                )
            },
        ),
        (HttpResponse::new(503, b"   "), |e| {
            matches!(e, Error::Service(ServiceError::RetryLater { .. }))
        }),
        (HttpResponse::new(404, b""), |e| {
            matches!(
                e,
                Error::Service(ServiceError::Http {
                    status: 404,
                    diagnostics: None
                })
            )
        }),
        (HttpResponse::new(200, b""), |e| {
            matches!(e, Error::Malformed(MalformedError::Soap(_)))
        }),
    ];
    for (resp, check) in cases {
        let err = CertResponse::from_http(resp).expect_err("error");
        assert!(check(&err), "{} : {err:?}", resp.status);
    }
}

#[test]
fn issued_certificate_accessors() {
    let cert = answer("response.xml", 200).unwrap();
    assert_eq!(cert.serial_hex().len(), 32);
    assert!(cert.names("sip:ALICE@contoso.com") && cert.names(ALICE));
    assert!(!cert.names("bob@contoso.com") && !cert.names(""));
    assert!(!cert.is_valid_at(NOT_AFTER));
    assert!(cert.is_valid_at(NOT_BEFORE - 300) && !cert.is_valid_at(NOT_BEFORE - 301));
    let pem = cert.to_pem();
    assert_eq!(IssuedCertificate::from_pem(&pem).unwrap(), cert);
    let chained = answer("response-chain.xml", 200).unwrap();
    assert_eq!(
        IssuedCertificate::from_pem(&chained.to_pem())
            .unwrap()
            .chain(),
        chained.chain()
    );
    assert_eq!(chained.cert_chain().len(), 2);
    let dbg = format!("{cert:?}");
    assert!(
        dbg.contains("alice@contoso.com") && dbg.contains("2026-01-01T08:00:00Z"),
        "{dbg}"
    );
    assert!(matches!(
        IssuedCertificate::from_pem("nope"),
        Err(Error::Malformed(MalformedError::Missing { .. }))
    ));
    assert!(matches!(
        IssuedCertificate::from_der(b"\x30\x00"),
        Err(Error::Malformed(MalformedError::Der { .. }))
    ));
}
