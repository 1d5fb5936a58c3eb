//! OpenSSL as the other end (pyOpenSSL over memory BIOs, `tests/openssl_peer.py`): our
//! client against an OpenSSL server and an OpenSSL client against our server, TLS 1.0 and
//! 1.2, every AES-CBC suite, with a client certificate. The key block OpenSSL exports
//! (`export_keying_material(b"client EAP encryption", 128)`) must equal ours byte for
//! byte, and HMACs computed on each side over the same signature buffer must match.
//!
//! Under CI (`CI=true`) a missing python3/pyOpenSSL fails the test; scripts/test installs
//! pyOpenSSL with pip.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use tls_dsk::sign::{SignatureParams, mac, signature_buffer, to_hex};
use tls_dsk::tls::{
    CipherSuite, ClientHandshake, HandshakeOutcome, ProtocolVersion, ServerHandshake,
};

fn have_pyopenssl() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import OpenSSL"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "pyOpenSSL missing (pip install pyOpenSSL); scripts/test installs it"
        );
        eprintln!("SKIPPED: pyOpenSSL not installed");
    }
    ok
}

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn spawn(role: &str, version: &str, cipher: &str) -> Self {
        let dir = format!("{}/tests", env!("CARGO_MANIFEST_DIR"));
        let (cert, key) = if role == "server" {
            ("server.pem", "server.key")
        } else {
            ("client.pem", "client.key")
        };
        let mut child = Command::new("python3")
            .arg(format!("{dir}/openssl_peer.py"))
            .args([role, version, cipher])
            .arg(format!("{dir}/data/{cert}"))
            .arg(format!("{dir}/data/{key}"))
            .arg(format!("{dir}/data/ca.pem"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn line(&mut self) -> (String, String) {
        let mut l = String::new();
        self.stdout.read_line(&mut l).unwrap();
        let (cmd, arg) = l.trim().split_once(' ').unwrap_or_else(|| (l.trim(), ""));
        assert_ne!(cmd, "ERROR", "openssl peer: {arg}");
        assert!(!cmd.is_empty(), "openssl peer exited");
        (cmd.to_string(), arg.to_string())
    }

    fn flight(&mut self) -> Vec<u8> {
        let (cmd, arg) = self.line();
        assert_eq!(cmd, "FLIGHT");
        if arg == "-" {
            Vec::new()
        } else {
            B64.decode(arg).unwrap()
        }
    }

    fn send(&mut self, flight: &[u8]) {
        writeln!(
            self.stdin,
            "FLIGHT {}",
            if flight.is_empty() {
                "-".to_string()
            } else {
                B64.encode(flight)
            }
        )
        .unwrap();
    }

    /// (version name, cipher name, key block)
    fn done(&mut self) -> (String, String, Vec<u8>) {
        let (cmd, arg) = self.line();
        assert_eq!(cmd, "DONE", "{arg}");
        let mut parts = arg.split(' ');
        let (v, c, ekm) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let ekm = (0..ekm.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&ekm[i..i + 2], 16).unwrap())
            .collect();
        (v.to_string(), c.to_string(), ekm)
    }

    /// OpenSSL's HMAC-SHA1 with (client key, server key) over `buffer`.
    fn mac(&mut self, buffer: &[u8]) -> (String, String) {
        writeln!(self.stdin, "MAC {}", to_hex(buffer)).unwrap();
        let (cmd, arg) = self.line();
        assert_eq!(cmd, "MAC");
        let (c, s) = arg.split_once(' ').unwrap();
        (c.to_string(), s.to_string())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "QUIT");
        let _ = self.child.wait();
    }
}

const MATRIX: &[(&str, ProtocolVersion, &str, CipherSuite)] = &[
    (
        "1.0",
        ProtocolVersion::TLS10,
        "AES128-SHA",
        CipherSuite::RSA_AES_128_CBC_SHA,
    ),
    (
        "1.0",
        ProtocolVersion::TLS10,
        "AES256-SHA",
        CipherSuite::RSA_AES_256_CBC_SHA,
    ),
    (
        "1.2",
        ProtocolVersion::TLS12,
        "AES128-SHA",
        CipherSuite::RSA_AES_128_CBC_SHA,
    ),
    (
        "1.2",
        ProtocolVersion::TLS12,
        "AES256-SHA",
        CipherSuite::RSA_AES_256_CBC_SHA,
    ),
    (
        "1.2",
        ProtocolVersion::TLS12,
        "AES128-SHA256",
        CipherSuite::RSA_AES_128_CBC_SHA256,
    ),
    (
        "1.2",
        ProtocolVersion::TLS12,
        "AES256-SHA256",
        CipherSuite::RSA_AES_256_CBC_SHA256,
    ),
];

/// Checks the key block and a signature HMAC in both directions against OpenSSL's.
fn compare(peer: &mut Peer, ours: &HandshakeOutcome, openssl_ekm: &[u8], what: &str) {
    assert_eq!(
        ours.dangerous_key_block().as_slice(),
        openssl_ekm,
        "{what}: key block differs"
    );
    let register = sip_core::SipMessage::parse(bytes::Bytes::from_static(
        b"REGISTER sip:contoso.com SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:alice@contoso.com>;tag=22fafb15b8\r\nTo: <sip:alice@contoso.com>\r\nCall-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\nCSeq: 3 REGISTER\r\nContent-Length: 0\r\n\r\n",
    ))
    .unwrap();
    let params = SignatureParams {
        protocol: "TLS-DSK",
        rand: "41c8a5e2",
        num: "1",
        realm: "SIP Communications Service",
        targetname: "server.contoso.com",
        version: 4,
    };
    let buffer = signature_buffer(&register.message(), &params).unwrap();
    let (their_c, their_s) = peer.mac(&buffer);
    assert_eq!(
        to_hex(&mac(&ours.keys, false, &buffer)),
        their_c,
        "{what}: client signature differs"
    );
    assert_eq!(
        to_hex(&mac(&ours.keys, true, &buffer)),
        their_s,
        "{what}: server signature differs"
    );
}

#[test]
fn our_client_against_openssl_server() {
    if !have_pyopenssl() {
        return;
    }
    let mut rng = rng(11);
    for &(v, version, cipher, suite) in MATRIX {
        let what = format!("our client, openssl server, TLS {v} {cipher}");
        let mut peer = Peer::spawn("server", v, cipher);
        let mut config = client_config();
        config.min_version = version;
        config.max_version = version;
        config.suites = vec![suite];
        let (mut client, hello) = ClientHandshake::start(config, &mut rng);
        peer.send(&hello);
        let f1 = peer.flight();
        let f2 = client
            .handle(&f1, &mut rng)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .expect("second flight");
        peer.send(&f2);
        let f3 = peer.flight();
        let (pv, pc, ekm) = peer.done();
        assert_eq!(
            client
                .handle(&f3, &mut rng)
                .unwrap_or_else(|e| panic!("{what}: {e}")),
            None
        );
        let outcome = client.outcome().unwrap();
        assert_eq!((outcome.version, outcome.suite), (version, suite));
        assert_eq!(pv, if v == "1.0" { "TLSv1" } else { "TLSv1.2" });
        assert_eq!(pc, cipher);
        compare(&mut peer, outcome, &ekm, &what);
    }
}

#[test]
fn openssl_client_against_our_server() {
    if !have_pyopenssl() {
        return;
    }
    let mut rng = rng(12);
    for &(v, version, cipher, suite) in MATRIX {
        let what = format!("openssl client, our server, TLS {v} {cipher}");
        let mut peer = Peer::spawn("client", v, cipher);
        let hello = peer.flight();
        let mut server = ServerHandshake::new(server_config(), NOW);
        let f1 = server
            .handle(&hello, &mut rng)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        peer.send(&f1);
        let f2 = peer.flight();
        let f3 = server
            .handle(&f2, &mut rng)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        peer.send(&f3);
        assert!(peer.flight().is_empty());
        let (_, pc, ekm) = peer.done();
        let outcome = server.outcome().unwrap();
        assert_eq!((outcome.version, outcome.suite), (version, suite));
        assert_eq!(pc, cipher);
        assert!(
            outcome
                .client_identity
                .as_ref()
                .unwrap()
                .names("sip:alice@contoso.com")
        );
        compare(&mut peer, outcome, &ekm, &what);
    }
}
