//! `sipdsk emulate` (registrar) and `sipdsk register` as separate processes over loopback:
//! the TLS-DSK REGISTER exchange over TLS and TCP, and a certificate from an untrusted CA.

mod common;

use common::{Kill, free_port};

use std::process::{Command, Output, Stdio};

fn data(name: &str) -> String {
    format!(
        "{}/../tls-dsk/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn emulate(port: u16, tcp: bool) -> Kill {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sipdsk"));
    cmd.args([
        "emulate",
        "--sip-port",
        &port.to_string(),
        "--duration",
        "60",
    ])
    .args([
        "--tls-cert",
        &data("server.pem"),
        "--tls-key",
        &data("server.key"),
        "--client-ca",
        &data("ca.pem"),
    ])
    .stdout(Stdio::piped());
    if tcp {
        cmd.arg("--tcp");
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 128];
    let n = std::io::Read::read(&mut out, &mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("listening: sip"));
    // Keep draining the log so the emulator never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Kill(child)
}

fn register(port: u16, transport: &[&str], cert: &str, key: &str, stay: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipdsk"))
        .args(["register", "--registrar", &format!("127.0.0.1:{port}")])
        .args(transport)
        .args([
            "--user",
            "sip:alice@contoso.com",
            "--cert",
            &data(cert),
            "--key",
            &data(key),
            "--stay",
            stay,
        ])
        .output()
        .unwrap()
}

#[test]
fn tls_dsk_register_over_tls_stays_and_unregisters() {
    let port = free_port();
    let _emu = emulate(port, false);
    let out = register(
        port,
        &["--tls", "--ca", &data("ca.pem")],
        "client.pem",
        "client.key",
        "1",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("<- 401").count(), 3, "{text}");
    assert_eq!(
        text.matches("<- 200 OK, server signature verified").count(),
        3,
        "{text}"
    );
    assert!(text.contains("TLS-DSK established"), "{text}");
    assert!(text.ends_with("ok: every response verified\n"), "{text}");
}

#[test]
fn tls_dsk_register_over_tcp() {
    let port = free_port();
    let _emu = emulate(port, true);
    let out = register(port, &["--tcp"], "client.pem", "client.key", "0");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn untrusted_client_certificate_is_refused() {
    let port = free_port();
    let _emu = emulate(port, true);
    let out = register(port, &["--tcp"], "rogue.pem", "rogue.key", "0");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected 401") || err.contains("401"), "{err}");
}
