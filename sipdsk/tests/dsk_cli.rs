//! `sipdsk dsk decode` on the real captures of the Polycom sign-in trace.

use std::process::Command;

fn capture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../tls-dsk/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .trim()
    .to_string()
}

fn decode(arg: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sipdsk"))
        .args(["dsk", "decode", arg])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn client_hello_of_the_phone() {
    let (code, text) = decode(&format!(
        "gssapi-data=\"{}\"",
        capture("polycom-client-hello.b64")
    ));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ClientHello (1) length 64"));
    assert!(text.contains("cipher_suite 0x00ff TLS_EMPTY_RENEGOTIATION_INFO_SCSV"));
    assert!(text.contains("extension heartbeat (15) 01"));
}

#[test]
fn truncated_office_365_flight() {
    let (code, text) = decode(&capture("o365-server-flight-truncated.b64"));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("note: base64 cut after 450 characters"),
        "{text}"
    );
    assert!(text.contains("ServerHello (2) length 77"), "{text}");
    assert!(
        text.contains("cipher_suite 0x0035 TLS_RSA_WITH_AES_256_CBC_SHA"),
        "{text}"
    );
    assert!(
        text.contains("Certificate (11) length 4658, only"),
        "{text}"
    );
    assert!(text.contains("error: truncated record"), "{text}");
}
