//! The whole TLS-DSK REGISTER exchange in sip-core messages, client SA against server SA:
//! 4 REGISTERs, 3 401s, a 200 OK whose rspauth the client verifies, then signed traffic
//! both ways and the failure cases (tampered header, replayed cnum, wrong user).

mod common;

use bytes::Bytes;
use common::*;
use sip_core::{KnownHeader as H, MessageBuilder, Method, SipMessage};
use tls_dsk::{
    Challenge, ClientSa, ClientStep, Decision, SaError, ServerAuth, ServerAuthConfig, SignError,
};

const STS: &str = "https://server.contoso.com/CertProv/CertProvisioningService.svc";

fn register(cseq: u32, auth: Option<&str>) -> SipMessage {
    let mut b = MessageBuilder::request(Method::Register, "sip:contoso.com")
        .header(
            H::Via,
            format!("SIP/2.0/TLS 192.0.2.10:49152;branch=z9hG4bKreg{cseq}"),
        )
        .header(H::MaxForwards, "70")
        .header(
            H::From,
            "<sip:alice@contoso.com>;tag=22fafb15b8;epid=e06accb078",
        )
        .header(H::To, "<sip:alice@contoso.com>")
        .header(H::CallId, "d5f2b95d5be64c2cbfb38aa5d3a87ae7")
        .header(H::CSeq, format!("{cseq} REGISTER"))
        .header(
            H::Contact,
            "<sip:192.0.2.10:49152;transport=tls>;+sip.instance=\"<urn:uuid:7ef67d5b>\"",
        );
    if let Some(a) = auth {
        b = b.header(H::Authorization, a);
    }
    b.build().unwrap()
}

fn with_header(m: &SipMessage, name: H, value: &str) -> SipMessage {
    MessageBuilder::from_message(&m.message())
        .header(name, value)
        .build()
        .unwrap()
}

/// `m` with `from` replaced by `to` on the wire, parsed again: a change in transit.
fn edited(m: &SipMessage, from: &str, to: &str) -> SipMessage {
    let text = String::from_utf8(m.wire().to_vec())
        .unwrap()
        .replace(from, to);
    SipMessage::parse(Bytes::from(text)).unwrap()
}

fn server() -> ServerAuth {
    ServerAuth::new(ServerAuthConfig::new(
        server_config(),
        "server.contoso.com",
        Some(STS),
    ))
}

/// The 401 the server sends for a challenge decision, as a real message.
fn unauthorized(request: &SipMessage, decision: &Decision) -> SipMessage {
    let Decision::Challenge { challenge, reason } = decision else {
        panic!("expected a challenge, got {decision:?}")
    };
    assert!(reason.is_none(), "challenge with a failure: {reason:?}");
    MessageBuilder::response_to(&request.message(), 401, "Unauthorized", Some("srvtag1"))
        .header(H::Date, "Wed, 25 Nov 2026 10:00:00 GMT")
        .header(H::WwwAuthenticate, challenge.to_value())
        .header(H::WwwAuthenticate, "NTLM realm=\"SIP Communications Service\", targetname=\"server.contoso.com\", version=4")
        .build()
        .unwrap()
}

/// Runs the sign-in; returns the established client, the server and the opaque.
fn sign_in(rng: &mut rand_chacha::ChaCha20Rng) -> (ClientSa, ServerAuth, String, Vec<SipMessage>) {
    let mut client = ClientSa::new(client_config());
    let mut server = server();
    let mut wire = Vec::new();
    let mut cseq = 1;
    let mut request = register(cseq, None);
    loop {
        wire.push(request.clone());
        let decision = server.handle_request(&request.message(), NOW, rng);
        if let Decision::Authenticated { opaque, aor, .. } = &decision {
            assert_eq!(aor, "alice@contoso.com");
            let ok = MessageBuilder::response_to(&request.message(), 200, "OK", Some("srvtag1"))
                .header(H::Expires, "7200")
                .build()
                .unwrap();
            let info = server.sign_response(opaque, &ok.message(), rng).unwrap();
            let ok = with_header(&ok, H::AuthenticationInfo, &info.to_value());
            wire.push(ok.clone());
            client
                .verify(&ok.message())
                .expect("the client verifies the 200 OK");
            return (client, server, opaque.clone(), wire);
        }
        let resp = unauthorized(&request, &decision);
        wire.push(resp.clone());
        let challenge = Challenge::find(&resp.message())
            .unwrap()
            .expect("a TLS-DSK challenge among NTLM");
        cseq += 1;
        request = match client.handle_challenge(&challenge, rng).unwrap() {
            ClientStep::Authorize(creds) => register(cseq, Some(&creds.to_value())),
            ClientStep::Established => {
                let unsigned = register(cseq, None);
                let creds = client.sign(&unsigned.message(), rng).unwrap();
                with_header(&unsigned, H::Authorization, &creds.to_value())
            }
            other => panic!("{other:?}"),
        };
        assert!(cseq <= 4, "too many rounds");
    }
}

#[test]
fn four_registers_three_401s_and_a_signed_200() {
    let mut rng = rng(21);
    let (client, server, opaque, wire) = sign_in(&mut rng);
    let kinds: Vec<String> = wire
        .iter()
        .map(|m| {
            m.message().method().map_or_else(
                || m.message().status().unwrap().to_string(),
                |x| x.to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "REGISTER", "401", "REGISTER", "401", "REGISTER", "401", "REGISTER", "200"
        ]
    );
    assert!(client.is_established());
    assert_eq!(server.associations(), 1);
    // The wire forms are the documented ones.
    let first = Challenge::find(&wire[1].message()).unwrap().unwrap();
    assert_eq!(first.sts_uri.as_deref(), Some(STS));
    let auth2 = wire[2]
        .message()
        .headers()
        .first(H::Authorization)
        .unwrap()
        .value_str()
        .unwrap()
        .to_string();
    assert!(auth2.starts_with("TLS-DSK qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"server.contoso.com\", gssapi-data=\""), "{auth2}");
    assert!(auth2.ends_with(", version=4"));
    let auth4 = wire[6]
        .message()
        .headers()
        .first(H::Authorization)
        .unwrap()
        .value_str()
        .unwrap()
        .to_string();
    assert!(
        auth4.contains(&format!("opaque=\"{opaque}\""))
            && auth4.contains("crand=\"")
            && auth4.contains("cnum=\"1\"")
            && auth4.contains("response=\""),
        "{auth4}"
    );
    assert!(!auth4.contains("gssapi-data"));
    let info = wire[7]
        .message()
        .headers()
        .first(H::AuthenticationInfo)
        .unwrap()
        .value_str()
        .unwrap()
        .to_string();
    assert!(
        info.starts_with("TLS-DSK qop=\"auth\", opaque=")
            && info.contains("snum=\"1\"")
            && info.contains("rspauth=\""),
        "{info}"
    );
    // Every message on the wire reparses strictly.
    for m in &wire {
        assert_eq!(&SipMessage::parse(m.wire()).unwrap(), m);
    }
}

#[test]
fn signed_traffic_after_sign_in_and_its_failures() {
    let mut rng = rng(22);
    let (mut client, mut server, opaque, _) = sign_in(&mut rng);
    // A signed SUBSCRIBE.
    let subscribe = MessageBuilder::request(Method::Subscribe, "sip:alice@contoso.com")
        .header(H::Via, "SIP/2.0/TLS 192.0.2.10:49152;branch=z9hG4bKsub1")
        .header(H::From, "<sip:alice@contoso.com>;tag=sub1;epid=e06accb078")
        .header(H::To, "<sip:alice@contoso.com>")
        .header(H::CallId, "subscribe-1")
        .header(H::CSeq, "1 SUBSCRIBE")
        .header(H::Event, "vnd-microsoft-roaming-self")
        .build()
        .unwrap();
    let creds = client.sign(&subscribe.message(), &mut rng).unwrap();
    assert_eq!(creds.cnum.as_deref(), Some("2"));
    assert_eq!(
        creds.version, None,
        "version only on the first signed request"
    );
    let signed = with_header(&subscribe, H::Authorization, &creds.to_value());
    assert!(matches!(
        server.handle_request(&signed.message(), NOW, &mut rng),
        Decision::Authenticated { .. }
    ));

    // Replaying it is refused; the association survives.
    let replay = server.handle_request(&signed.message(), NOW, &mut rng);
    assert!(
        matches!(
            &replay,
            Decision::Challenge {
                reason: Some(SaError::Sign(SignError::Replay(2))),
                ..
            }
        ),
        "{replay:?}"
    );

    // A signed header changed in transit is refused.
    let creds = client.sign(&subscribe.message(), &mut rng).unwrap();
    let tampered = MessageBuilder::from_message(&subscribe.message())
        .header(H::Authorization, creds.to_value())
        .build()
        .unwrap();
    let tampered = edited(&tampered, "CSeq: 1 SUBSCRIBE", "CSeq: 9 SUBSCRIBE");
    let d = server.handle_request(&tampered.message(), NOW, &mut rng);
    assert!(
        matches!(
            &d,
            Decision::Challenge {
                reason: Some(SaError::Sign(SignError::BadSignature)),
                ..
            }
        ),
        "{d:?}"
    );

    // The untampered message with the same credentials still verifies: state unchanged.
    let good = with_header(&subscribe, H::Authorization, &creds.to_value());
    assert!(matches!(
        server.handle_request(&good.message(), NOW, &mut rng),
        Decision::Authenticated { .. }
    ));

    // Another user on the same association is refused.
    let other = edited(
        &good,
        "From: <sip:alice@contoso.com>",
        "From: <sip:mallory@contoso.com>",
    );
    assert!(matches!(
        server.handle_request(&other.message(), NOW, &mut rng),
        Decision::Challenge {
            reason: Some(SaError::IdentityMismatch),
            ..
        }
    ));

    // Server-signed BENOTIFY verifies at the client; a tampered one does not, and a
    // replayed snum is refused.
    let notify = MessageBuilder::request(Method::Benotify, "sip:192.0.2.10:49152;transport=tls")
        .header(H::Via, "SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKn1")
        .header(H::From, "<sip:alice@contoso.com>;tag=n1")
        .header(H::To, "<sip:alice@contoso.com>;tag=sub1")
        .header(H::CallId, "subscribe-1")
        .header(H::CSeq, "1 BENOTIFY")
        .build()
        .unwrap();
    let info = server
        .sign_response(&opaque, &notify.message(), &mut rng)
        .unwrap();
    let signed = with_header(&notify, H::AuthenticationInfo, &info.to_value());
    client.verify(&signed.message()).unwrap();
    assert_eq!(
        client.verify(&signed.message()),
        Err(SaError::Sign(SignError::Replay(info.snum.parse().unwrap())))
    );
    let info = server
        .sign_response(&opaque, &notify.message(), &mut rng)
        .unwrap();
    let forged = edited(
        &with_header(&notify, H::AuthenticationInfo, &info.to_value()),
        "tag=n1",
        "tag=n2",
    );
    assert_eq!(
        client.verify(&forged.message()),
        Err(SaError::Sign(SignError::BadSignature))
    );
    assert_eq!(
        client.verify(&notify.message()),
        Err(SaError::Sign(SignError::Unsigned))
    );
}

#[test]
fn the_client_signs_its_answer_to_a_server_request() {
    let mut rng = rng(23);
    let (mut client, mut server, opaque, _) = sign_in(&mut rng);
    // The server asks the client something (From: the server, To: the client).
    let options = MessageBuilder::request(Method::Options, "sip:192.0.2.10:49152;transport=tls")
        .header(H::Via, "SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKopt1")
        .header(H::MaxForwards, "70")
        .header(H::From, "<sip:server.contoso.com>;tag=o1")
        .header(H::To, "<sip:alice@contoso.com>")
        .header(H::CallId, "options-1")
        .header(H::CSeq, "1 OPTIONS")
        .build()
        .unwrap();
    let info = server
        .sign_response(&opaque, &options.message(), &mut rng)
        .unwrap();
    let options = with_header(&options, H::AuthenticationInfo, &info.to_value());
    client.verify(&options.message()).unwrap();

    let ok = MessageBuilder::response_to(&options.message(), 200, "OK", Some("c1"))
        .build()
        .unwrap();
    let creds = client.sign(&ok.message(), &mut rng).unwrap();
    let ok = with_header(&ok, H::Authorization, &creds.to_value());
    assert_eq!(
        server.verify_response(&ok.message(), NOW),
        Ok((opaque.clone(), "alice@contoso.com".to_string()))
    );
    // Replayed, tampered or unsigned answers are refused.
    assert_eq!(
        server.verify_response(&ok.message(), NOW),
        Err(SaError::Sign(SignError::Replay(
            creds.cnum.as_deref().unwrap().parse().unwrap()
        )))
    );
    let fresh = MessageBuilder::response_to(&options.message(), 200, "OK", Some("c1"))
        .build()
        .unwrap();
    let creds = client.sign(&fresh.message(), &mut rng).unwrap();
    let forged = edited(
        &with_header(&fresh, H::Authorization, &creds.to_value()),
        "SIP/2.0 200 OK",
        "SIP/2.0 486 Busy Here",
    );
    assert_eq!(
        server.verify_response(&forged.message(), NOW),
        Err(SaError::Sign(SignError::BadSignature))
    );
    assert_eq!(
        server.verify_response(&fresh.message(), NOW),
        Err(SaError::Sign(SignError::Unsigned))
    );
    // An answer in another user's name is refused.
    let other = edited(
        &with_header(&fresh, H::Authorization, &creds.to_value()),
        "To: <sip:alice@contoso.com>",
        "To: <sip:mallory@contoso.com>",
    );
    assert_eq!(
        server.verify_response(&other.message(), NOW),
        Err(SaError::IdentityMismatch)
    );
    // A signed request is not an answer.
    let creds = client.sign(&options.message(), &mut rng).unwrap();
    let request = with_header(&options, H::Authorization, &creds.to_value());
    assert!(matches!(
        server.verify_response(&request.message(), NOW),
        Err(SaError::WrongState(_))
    ));
}

#[test]
fn a_certificate_for_another_user_is_refused() {
    // The client certificate names alice; a REGISTER from bob must not establish.
    let mut rng = rng(23);
    let mut client = ClientSa::new(client_config());
    let mut server = server();
    let bob = |cseq: u32, auth: Option<&str>| edited(&register(cseq, auth), "alice@", "bob@");
    let r1 = bob(1, None);
    let d = server.handle_request(&r1.message(), NOW, &mut rng);
    let ch = Challenge::find(&unauthorized(&r1, &d).message())
        .unwrap()
        .unwrap();
    let ClientStep::Authorize(c) = client.handle_challenge(&ch, &mut rng).unwrap() else {
        panic!()
    };
    let r2 = bob(2, Some(&c.to_value()));
    let d = server.handle_request(&r2.message(), NOW, &mut rng);
    let ch = Challenge::find(&unauthorized(&r2, &d).message())
        .unwrap()
        .unwrap();
    let ClientStep::Authorize(c) = client.handle_challenge(&ch, &mut rng).unwrap() else {
        panic!()
    };
    let r3 = bob(3, Some(&c.to_value()));
    let d = server.handle_request(&r3.message(), NOW, &mut rng);
    assert!(
        matches!(
            d,
            Decision::Challenge {
                reason: Some(SaError::IdentityMismatch),
                ..
            }
        ),
        "{d:?}"
    );
    assert_eq!(server.associations(), 0);
}

#[test]
fn credentials_for_another_targetname_get_a_fresh_challenge() {
    let mut rng = rng(24);
    let mut server = server();
    let r = register(
        1,
        Some(
            "TLS-DSK qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"elsewhere.contoso.com\", gssapi-data=\"FgMB\", version=4",
        ),
    );
    let d = server.handle_request(&r.message(), NOW, &mut rng);
    assert!(matches!(
        d,
        Decision::Challenge {
            reason: Some(SaError::Sign(SignError::WrongSecurityAssociation)),
            ..
        }
    ));
    let r = register(
        1,
        Some(
            "TLS-DSK qop=\"auth\", opaque=\"DEADBEEF\", realm=\"SIP Communications Service\", targetname=\"server.contoso.com\", crand=\"1\", cnum=\"1\", response=\"00\"",
        ),
    );
    let d = server.handle_request(&r.message(), NOW, &mut rng);
    assert!(
        matches!(
            d,
            Decision::Challenge {
                reason: Some(SaError::WrongState(_)),
                ..
            }
        ),
        "{d:?}"
    );
}
