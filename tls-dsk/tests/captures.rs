//! Real captures (tls-dsk.md §3.2, §6.1): the Polycom phone's ClientHello decodes field by
//! field, our server answers it the way Office 365 did, and Office 365's truncated first
//! flight decodes as far as it goes and reports the truncation as an error.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use tls_dsk::tls::{ServerHandshake, TlsError, decode_flight};

fn b64(name: &str) -> String {
    data(name).trim().to_string()
}

#[test]
fn polycom_client_hello_decodes_field_by_field() {
    let bytes = B64.decode(b64("polycom-client-hello.b64")).unwrap();
    assert_eq!(bytes.len(), 73);
    let dump = decode_flight(&bytes);
    assert!(dump.error.is_none(), "{dump}");
    let expected = [
        "record handshake (22) TLS 1.0 length 68",
        "  ClientHello (1) length 64",
        "    client_version TLS 1.0",
        "    random 92d0f9741010ba4cecf48298e1b6f5c5b5202aa1b1390c3a5e36f85de8bb3731",
        "    session_id (0 bytes)",
        "    cipher_suite 0x0039 TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        "    cipher_suite 0x0035 TLS_RSA_WITH_AES_256_CBC_SHA",
        "    cipher_suite 0x0033 TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        "    cipher_suite 0x002f TLS_RSA_WITH_AES_128_CBC_SHA",
        "    cipher_suite 0x0016 TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "    cipher_suite 0x000a TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "    cipher_suite 0x00ff TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        "    compression [0]",
        "    extension session_ticket (35) ",
        "    extension heartbeat (15) 01",
    ];
    assert_eq!(dump.text.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn our_server_answers_the_phone_like_office_365() {
    let hello = B64.decode(b64("polycom-client-hello.b64")).unwrap();
    let mut server = ServerHandshake::new(server_config(), NOW);
    let flight = server.handle(&hello, &mut rng(31)).unwrap();
    let dump = decode_flight(&flight);
    assert!(dump.error.is_none(), "{dump}");
    let text = &dump.text;
    assert!(
        text.starts_with("record handshake (22) TLS 1.0 length"),
        "{text}"
    );
    assert!(text.contains("    server_version TLS 1.0\n"), "{text}");
    assert!(
        text.contains("    cipher_suite 0x0035 TLS_RSA_WITH_AES_256_CBC_SHA\n"),
        "static RSA, not DHE:\n{text}"
    );
    assert!(
        text.contains("    extension renegotiation_info (65281) 00\n"),
        "{text}"
    );
    assert!(
        !text.contains("session_ticket") && !text.contains("heartbeat"),
        "unknown extensions are not echoed:\n{text}"
    );
    assert_eq!(text.matches("record ").count(), 1, "one record:\n{text}");
    assert!(text.contains("CertificateRequest") && text.contains("ServerHelloDone"));
}

#[test]
fn office_365_truncated_flight_is_an_error_not_a_panic() {
    let text = b64("o365-server-flight-truncated.b64");
    assert_ne!(text.len() % 4, 0, "the log cut the base64 itself");
    let usable = &text[..text.len() - text.len() % 4];
    let bytes = B64.decode(usable).unwrap();
    let dump = decode_flight(&bytes);
    let t = &dump.text;
    assert!(
        t.starts_with("record handshake (22) TLS 1.0 length 4757\n"),
        "{t}"
    );
    assert!(t.contains("  ServerHello (2) length 77\n"), "{t}");
    assert!(t.contains("    server_version TLS 1.0\n"), "{t}");
    assert!(t.contains("    session_id (32 bytes)"), "{t}");
    assert!(
        t.contains("    cipher_suite 0x0035 TLS_RSA_WITH_AES_256_CBC_SHA\n"),
        "{t}"
    );
    assert!(
        t.contains("    extension renegotiation_info (65281) 00\n"),
        "{t}"
    );
    assert!(
        matches!(dump.error, Some(TlsError::Truncated(_))),
        "{dump:?}"
    );
    // Every shorter prefix also decodes without panicking.
    for cut in 0..bytes.len() {
        let _ = decode_flight(&bytes[..cut]);
    }
}

#[test]
fn header_model_round_trips_fuzz_regression() {
    // Found by the dsk_headers fuzz target: credentials without qop were written back with
    // qop="auth", so parse -> to_value -> parse changed them.
    let data = std::fs::read(format!(
        "{}/tests/data/fuzz-regressions/dsk_headers-credentials-without-qop.bin",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let a = sip_core::Authentication::parse_all(&data)
        .next()
        .unwrap()
        .unwrap();
    let c = tls_dsk::Credentials::from_auth(&a).unwrap();
    assert_eq!(c.qop, None);
    let again = c.to_value();
    assert!(!again.contains("qop"), "{again}");
    let b = sip_core::Authentication::parse(again.as_bytes()).unwrap();
    assert_eq!(tls_dsk::Credentials::from_auth(&b).unwrap(), c);
}
