//! Both sides together: client request → service parses, checks the ticket and the CSR,
//! issues → client checks the answer → the certificate authenticates a TLS-DSK handshake
//! with tls-dsk's server verifying it against the same CA. Then every server-side refusal,
//! as the client sees it.

mod common;

use std::sync::Arc;

use certprov::server::{
    CertAuthority, CertProvService, ErrorInfo, IssuePolicy, KnownTicket, ParsedRequest,
    certificate_response, error_response, fault_response,
};
use certprov::store::tls_time;
use certprov::{
    CertResponse, Credential, CredentialStore, CsrError, Error, IssuedCertificate, KeyError,
    MisuseError, ServiceError, SignatureHash, TicketError, UnixTime,
};
use common::*;
use tls_dsk::tls::{ClientHandshake, ServerHandshake, TlsError};
use tls_dsk::{CaVerifier, ServerConfig};
use webticket::http::HttpResponse;

const TARGET: &str = "sipfed2a.online.lync.com";

/// tls-dsk's registrar (its own fixture certificate and key) trusting `ca_der` for clients.
fn registrar(ca_der: &[u8]) -> ServerConfig {
    let verifier = CaVerifier::new(&[ca_der.to_vec()]).unwrap();
    let server_pem = tls_data("server.pem");
    let der = {
        use base64::Engine as _;
        let b64: String = server_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    };
    ServerConfig::new(
        vec![der],
        ca_key().dangerous_rsa_key().clone(),
        Arc::new(verifier),
    )
}

/// A full TLS-DSK handshake in memory.
fn handshake(
    client: tls_dsk::ClientConfig,
    server: ServerConfig,
    now: UnixTime,
) -> Result<(ClientHandshake, ServerHandshake), TlsError> {
    let mut rng = rng(50);
    let (mut c, hello) = ClientHandshake::start(client, &mut rng);
    let mut s = ServerHandshake::new(server, tls_time(now));
    let f1 = s.handle(&hello, &mut rng)?;
    let f2 = c.handle(&f1, &mut rng)?.expect("client second flight");
    let f3 = s.handle(&f2, &mut rng)?;
    assert_eq!(c.handle(&f3, &mut rng)?, None);
    Ok((c, s))
}

fn client_sees(status: u16, body: &str) -> Result<IssuedCertificate, Error> {
    CertResponse::from_http(&HttpResponse::new(status, body.as_bytes()))?
        .verify(&csr(SignatureHash::Sha1), NOW)
}

#[test]
fn provision_then_tls_dsk_handshake() {
    let ca = ca();
    for hash in [SignatureHash::Sha1, SignatureHash::Sha256] {
        // Client.
        let key = client_key();
        let csr = certprov::Csr::new(&key, ALICE, hash, &mut rng(20)).unwrap();
        let http = request(&csr).http_request().unwrap();

        // Service.
        let reply = with_service(&ca, true, |s| s.handle(&http.body, NOW, &mut rng(21)));
        assert_eq!(reply.status, 200, "{:?}", reply.error);
        assert!(reply.error.is_none());
        let published = reply.certificate.clone().unwrap();

        // Client again.
        let resp = CertResponse::from_http(&HttpResponse::new(reply.status, reply.body.as_bytes()))
            .unwrap();
        assert_eq!(
            resp.request_id(),
            Some("22222222-2222-2222-2222-222222222222")
        );
        let cert = resp.verify(&csr, NOW).unwrap();
        assert_eq!(cert.der(), published.as_slice());
        assert_eq!(cert.subject_cn(), ALICE);
        assert_eq!(cert.issuer_cn(), "certprov test CA");
        assert_eq!(cert.not_before(), NOW - 300);
        assert_eq!(cert.not_after(), NOW + 8 * 3600 - 300);

        let mut store = CredentialStore::new();
        store.insert(ALICE, TARGET, Credential::new(key, cert).unwrap());
        let config = store.tls_client_config(ALICE, TARGET, NOW).unwrap();

        // tls-dsk's server verifies the certificate against the same CA.
        let (c, s) = handshake(config.clone(), registrar(ca.cert_der()), NOW).expect("handshake");
        let (co, so) = (c.outcome().unwrap(), s.outcome().unwrap());
        assert_eq!(
            co.keys.dangerous_client_key(),
            so.keys.dangerous_client_key()
        );
        let id = so.client_identity.as_ref().unwrap();
        assert!(id.names(ALICE) && id.names("sip:alice@contoso.com"));
        assert!(!id.names("bob@contoso.com"));
        assert_eq!(id.not_after, (NOW + 8 * 3600 - 300).0 as u64);

        // A registrar that trusts another CA refuses it; so does ours after expiry.
        let foreign = {
            let pem = tls_data("ca.pem");
            use base64::Engine as _;
            let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap()
        };
        let err = handshake(config.clone(), registrar(&foreign), NOW).unwrap_err();
        assert!(
            matches!(&err, TlsError::Certificate(why) if why.contains("trusted")),
            "{err}"
        );
        let err = handshake(config, registrar(ca.cert_der()), NOW + 9 * 3600).unwrap_err();
        assert!(
            matches!(&err, TlsError::Certificate(why) if why.contains("not valid at")),
            "{err}"
        );
    }
}

#[test]
fn service_reads_every_request_fixture() {
    for name in ["request.xml", "request-prefixed.xml", "request-sipe.xml"] {
        let req = ParsedRequest::parse(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(req.entity(), ALICE, "{name}");
        assert_eq!(req.to(), Some(ENDPOINT), "{name}");
        assert_eq!(
            req.action(),
            Some("http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert"),
            "{name}"
        );
        let sec = req.security().unwrap();
        if name == "request-prefixed.xml" {
            // Signed over its own `u:` prefixes, so only the as-received form verifies.
            let text = String::from_utf8(data(name)).unwrap();
            let reference = String::from_utf8(data("request.xml")).unwrap();
            let digest = |t: &str| {
                t[t.find("<DigestValue>").unwrap()..t.find("</DigestValue>").unwrap()].to_owned()
            };
            assert_ne!(digest(&text), digest(&reference));
        }
        assert_eq!(sec.assertion_id(), Some("SamlSecurityToken-1"));
        assert_eq!(sec.assertion_xml(), Some(ticket().assertion_xml()));
        assert_eq!(
            sec.timestamp(),
            Some((UnixTime(1_767_225_600), UnixTime(1_767_254_400)))
        );
        sec.verify(&proof_key(), NOW, 300)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let csr = req.csr().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(csr.subject_cn(), ALICE);
        assert_eq!(csr.public_key(), &client_key().public_key());
        if name == "request-sipe.xml" {
            assert_eq!(csr.version(), 2, "SIPE's non-standard version is accepted");
            assert_eq!(req.message_id(), None);
            assert_eq!(
                req.device_id(),
                Some("{0e9f7d4c-5b3a-4e21-9f80-7a6b5c4d3e2f}")
            );
            assert_eq!(
                req.request_id(),
                Some("5f0c8a3e-2d41-4b6f-9e87-1a2b3c4d5e6f")
            );
        } else {
            assert_eq!(
                req.device_id(),
                Some("{6b3e1c2a-4d5f-4061-8792-a3b4c5d6e7f8}")
            );
            assert_eq!(
                req.request_id(),
                Some("22222222-2222-2222-2222-222222222222")
            );
        }
        // And the whole service issues for it.
        let reply = with_service(&ca(), true, |s| s.handle(&data(name), NOW, &mut rng(22)));
        assert_eq!(reply.status, 200, "{name}: {:?}", reply.error);
        client_sees(reply.status, &reply.body).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The fixture request, edited.
fn edited(from: &str, to: &str) -> Vec<u8> {
    replace_once(&String::from_utf8(data("request.xml")).unwrap(), from, to).into_bytes()
}

type Check = fn(&Error) -> bool;

#[test]
fn ticket_problems_are_faults_the_client_maps_to_re_ticket() {
    let ca = ca();
    let body = data("request.xml");
    let text = String::from_utf8(body.clone()).unwrap();
    let header_start = text.find("<soap:Header>").unwrap();
    let header_end = text.find("</soap:Header>").unwrap() + "</soap:Header>".len();
    let no_header = format!("{}{}", &text[..header_start], &text[header_end..]).into_bytes();
    let cases: Vec<(&str, Vec<u8>, UnixTime, Check)> = vec![
        ("expired ticket", body.clone(), NOW + 8 * 3600, |e| {
            matches!(e, Error::Ticket(TicketError::Expired { .. }))
        }),
        (
            "clock far behind",
            body,
            UnixTime(1_767_225_600 - 301),
            |e| matches!(e, Error::Ticket(TicketError::NotYetValid { .. })),
        ),
        (
            "altered signature",
            edited("<SignatureValue>eT9q", "<SignatureValue>AT9q"),
            NOW,
            |e| matches!(e, Error::Ticket(TicketError::BadSignature)),
        ),
        (
            "altered timestamp",
            edited(
                "<wsu:Expires>2026-01-01T08:00:00Z",
                "<wsu:Expires>2026-01-01T09:00:00Z",
            ),
            NOW,
            |e| matches!(e, Error::Ticket(TicketError::BadSignature)),
        ),
        ("no header", no_header, NOW, |e| {
            matches!(
                e,
                Error::Ticket(TicketError::Missing {
                    what: "wsse:Security"
                })
            )
        }),
        (
            "unsigned",
            edited("<Signature xmlns", "<NotASignature xmlns")
                .replace_all("</Signature>", "</NotASignature>"),
            NOW,
            |e| matches!(e, Error::Ticket(TicketError::Unsigned)),
        ),
        (
            "other user's ticket",
            edited("Entity=\"alice@contoso.com\"", "Entity=\"bob@contoso.com\""),
            NOW,
            |e| matches!(e, Error::Ticket(TicketError::WrongUser { .. })),
        ),
        (
            "unknown assertion",
            edited(
                "AssertionID=\"SamlSecurityToken-1\"",
                "AssertionID=\"SamlSecurityToken-9\"",
            ),
            NOW,
            |e| matches!(e, Error::Ticket(TicketError::UnknownAssertion)),
        ),
    ];
    for (what, body, now, check) in cases {
        let reply = with_service(&ca, true, |s| s.handle(&body, now, &mut rng(23)));
        assert_eq!(reply.status, 500, "{what}");
        assert!(reply.certificate.is_none());
        let err = reply.error.as_ref().unwrap();
        assert!(check(err), "{what}: {err:?}");
        let seen = client_sees(reply.status, &reply.body).unwrap_err();
        assert!(
            matches!(seen, Error::Service(ServiceError::TicketRejected { .. })),
            "{what}: client saw {seen:?}"
        );
    }
}

trait ReplaceAll {
    fn replace_all(self, from: &str, to: &str) -> Vec<u8>;
}

impl ReplaceAll for Vec<u8> {
    fn replace_all(self, from: &str, to: &str) -> Vec<u8> {
        String::from_utf8(self)
            .unwrap()
            .replace(from, to)
            .into_bytes()
    }
}

#[test]
fn operation_problems_are_error_info() {
    let ca = ca();
    // Not enabled.
    let reply = with_service(&ca, false, |s| {
        s.handle(&data("request.xml"), NOW, &mut rng(24))
    });
    assert_eq!(reply.status, 200);
    assert!(matches!(
        client_sees(reply.status, &reply.body),
        Err(Error::Service(ServiceError::UserNotEnabled { .. }))
    ));

    // A CSR whose signature does not verify: flip the last byte of the DER.
    let csr = csr(SignatureHash::Sha1);
    let mut der = csr.as_der().to_vec();
    *der.last_mut().unwrap() ^= 0x01;
    let good = certprov::Csr::from_der(csr.as_der())
        .unwrap()
        .to_base64_wrapped();
    let bad = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&der)
    };
    let body = edited(&good, &format!("\r\n{bad}"));
    let reply = with_service(&ca, true, |s| s.handle(&body, NOW, &mut rng(25)));
    assert_eq!(reply.status, 200);
    assert!(
        matches!(reply.error, Some(Error::Csr(CsrError::BadSignature))),
        "{:?}",
        reply.error
    );
    assert!(matches!(
        client_sees(reply.status, &reply.body),
        Err(Error::Service(ServiceError::Refused { error_id: None, ref reason, .. })) if reason.contains("signature")
    ));

    // A CSR for someone else than Entity (and the ticket's user).
    let bob_csr = certprov::Csr::new(
        &client_key(),
        "bob@contoso.com",
        SignatureHash::Sha1,
        &mut rng(26),
    )
    .unwrap();
    let body = edited(&good, &bob_csr.to_base64_wrapped());
    let reply = with_service(&ca, true, |s| s.handle(&body, NOW, &mut rng(27)));
    assert!(
        matches!(
            reply.error,
            Some(Error::Csr(CsrError::SubjectMismatch { .. }))
        ),
        "{:?}",
        reply.error
    );
    assert!(matches!(
        client_sees(reply.status, &reply.body),
        Err(Error::Service(ServiceError::Refused { .. }))
    ));

    // Policy demands bigger keys.
    let tickets = |_: &str| {
        Some(KnownTicket {
            proof_key: proof_key(),
            user: ALICE.into(),
        })
    };
    let strict = CertProvService {
        ca: &ca,
        policy: IssuePolicy::default().min_key_bits(4096),
        ticket: &tickets,
        user_enabled: &|_| true,
        clock_skew: 300,
    };
    let reply = strict.handle(&data("request.xml"), NOW, &mut rng(28));
    assert!(
        matches!(
            reply.error,
            Some(Error::Csr(CsrError::KeyTooSmall {
                bits: 2048,
                min: 4096
            }))
        ),
        "{:?}",
        reply.error
    );
    assert!(matches!(
        client_sees(reply.status, &reply.body),
        Err(Error::Service(ServiceError::Refused { .. }))
    ));

    // Garbage and wrong shapes are client faults.
    for body in [
        b"<x/>".to_vec(),
        b"not xml".to_vec(),
        edited(
            "200512/Issue</wst:RequestType>",
            "200512/Renew</wst:RequestType>",
        ),
        edited("#PKCS10", "#X509v3"),
        edited("MIICYTCC", "MIIC!TCC"),
    ] {
        let reply = with_service(&ca, true, |s| s.handle(&body, NOW, &mut rng(29)));
        assert_eq!(reply.status, 500);
        assert!(
            matches!(reply.error, Some(Error::Malformed(_))),
            "{:?}",
            reply.error
        );
        let seen = client_sees(reply.status, &reply.body).unwrap_err();
        assert!(
            matches!(&seen, Error::Service(ServiceError::Fault(f)) if f.code == "soap:Client"),
            "{seen:?}"
        );
    }
}

#[test]
fn answers_written_by_the_server_parse_as_the_client_expects() {
    let leaf = ca()
        .issue(
            &csr(SignatureHash::Sha1),
            &policy(),
            ISSUED_AT,
            &mut rng(30),
        )
        .unwrap();
    let ok = certificate_response(&leaf, Some("abc")).unwrap();
    let resp = CertResponse::parse(ok.as_bytes()).unwrap();
    assert_eq!(resp.request_id(), Some("abc"));
    assert_eq!(resp.certificates(), [leaf]);
    for (info, check) in [
        (
            ErrorInfo::user_not_enabled(),
            (|e: &Error| matches!(e, Error::Service(ServiceError::UserNotEnabled { .. }))) as Check,
        ),
        (ErrorInfo::internal(), |e| {
            matches!(
                e,
                Error::Service(ServiceError::RetryLater {
                    error_id: Some(28001),
                    ..
                })
            )
        }),
        (
            ErrorInfo::new(Some(28050), "no & <way>"),
            |e| matches!(e, Error::Service(ServiceError::Refused { error_id: Some(28050), reason, .. }) if reason == "no & <way>"),
        ),
    ] {
        let err = CertResponse::parse(error_response(&info).unwrap().as_bytes()).unwrap_err();
        assert!(check(&err), "{info:?}: {err:?}");
    }
    let fault = fault_response("wsse:MessageExpired", "late").unwrap();
    assert!(matches!(
        CertResponse::from_http(&HttpResponse::new(500, fault.as_bytes())),
        Err(Error::Service(ServiceError::TicketRejected { .. }))
    ));
    assert!(matches!(
        error_response(&ErrorInfo::new(None, "bell\u{7}")),
        Err(Error::Misuse(MisuseError::Soap(_)))
    ));
}

#[test]
fn certificate_authority_checks_its_inputs() {
    let ca = ca();
    // The key must be the certificate's.
    let err = CertAuthority::new(
        ca.cert_der().to_vec(),
        client_key().dangerous_rsa_key().clone(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Key(KeyError::CertificateMismatch)));
    let again = CertAuthority::from_pem(&ca.cert_pem(), &tls_data("server.key")).unwrap();
    assert_eq!(again.cert_der(), ca.cert_der());
    assert!(!format!("{again:?}").contains("BEGIN"));
    let err = CertAuthority::self_signed(
        ca_key().dangerous_rsa_key().clone(),
        "x",
        NOW,
        NOW,
        &mut rng(31),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::Misuse(MisuseError::InvalidValidity { .. })
    ));
    let csr = csr(SignatureHash::Sha1);
    for policy in [
        IssuePolicy::default().lifetime(0),
        IssuePolicy::default().backdate(-1),
    ] {
        let err = ca.issue(&csr, &policy, NOW, &mut rng(32)).unwrap_err();
        assert!(
            matches!(err, Error::Misuse(MisuseError::InvalidValidity { .. })),
            "{policy:?}"
        );
    }
    let err = ca
        .issue(&csr, &IssuePolicy::default(), UnixTime(-5), &mut rng(33))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Misuse(MisuseError::InvalidValidity { .. })
    ));
    // Serial numbers are random, positive and 16 bytes.
    let a = IssuedCertificate::from_der(&ca.issue(&csr, &policy(), NOW, &mut rng(34)).unwrap())
        .unwrap();
    let b = IssuedCertificate::from_der(&ca.issue(&csr, &policy(), NOW, &mut rng(35)).unwrap())
        .unwrap();
    assert_ne!(a.serial_hex(), b.serial_hex());
    assert!(a.serial_hex().len() == 32 && a.serial_hex().as_bytes()[0] < b'8');
    // SHA-1 signed certificates are possible for old verifiers.
    let sha1 = ca
        .issue(&csr, &policy().hash(SignatureHash::Sha1), NOW, &mut rng(36))
        .unwrap();
    assert!(
        sha1.windows(9)
            .any(|w| w == [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05])
    );
}
