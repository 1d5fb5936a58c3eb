//! TLS-DSK costs against their floors: signing and verifying a REGISTER against a bare
//! HMAC-SHA1 of the same buffer (target: within 1.5x), and a whole in-memory handshake
//! against one RSA-2048 private-key operation (the handshake needs two, plus public-key
//! operations, so about 2-3x is the floor).
//!
//! `cargo bench -p tls-dsk --bench dsk`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use sip_core::SipMessage;
use tls_dsk::sign::{SignatureParams, mac, signature_buffer, to_hex, verify_hex};
use tls_dsk::tls::{ClientHandshake, ProtocolVersion, ServerHandshake};
use tls_dsk::{CaVerifier, ClientConfig, DskKeys, ServerConfig, SignatureAlgorithm, UnixTime};

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn der(name: &str) -> Vec<u8> {
    let b64: String = data(name)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

const REGISTER: &[u8] = b"REGISTER sip:contoso.com SIP/2.0\r\n\
Via: SIP/2.0/TLS 192.0.2.10:49152;branch=z9hG4bK5d1c6a8e\r\n\
Max-Forwards: 70\r\n\
From: <sip:alice@contoso.com>;tag=22fafb15b8;epid=e06accb078\r\n\
To: <sip:alice@contoso.com>\r\n\
Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\n\
CSeq: 3 REGISTER\r\n\
Contact: <sip:192.0.2.10:49152;transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:7ef67d5b-7a04-5d6e-a5a4-5e4d4d9e8f21>\"\r\n\
User-Agent: UCCAPI/16.0.4266.1001 OC/16.0.4266.1001 (Skype for Business)\r\n\
Supported: gruu-10, adhoclist, msrtc-event-categories\r\n\
ms-keep-alive: UAC;hop-hop=yes\r\n\
Event: registration\r\n\
Content-Length: 0\r\n\r\n";

fn signing(c: &mut Criterion) {
    let msg = SipMessage::parse(Bytes::from_static(REGISTER)).unwrap();
    let keys = DskKeys::from_key_block(&[7u8; 128], SignatureAlgorithm::HmacSha1);
    let params = SignatureParams {
        protocol: "TLS-DSK",
        rand: "41c8a5e2",
        num: "17",
        realm: "SIP Communications Service",
        targetname: "server.contoso.com",
        version: 4,
    };
    let buffer = signature_buffer(&msg.message(), &params).unwrap();
    let tag = to_hex(&mac(&keys, false, &buffer));
    let mut g = c.benchmark_group("signature");
    g.bench_function("bare hmac-sha1 of the buffer", |b| {
        b.iter(|| {
            let mut m =
                <Hmac<sha1::Sha1> as Mac>::new_from_slice(keys.dangerous_client_key()).unwrap();
            m.update(black_box(&buffer));
            m.finalize().into_bytes()
        })
    });
    g.bench_function("signature buffer only", |b| {
        b.iter(|| signature_buffer(black_box(&msg.message()), &params).unwrap())
    });
    g.bench_function("sign (buffer + hmac + hex)", |b| {
        b.iter(|| {
            let buf = signature_buffer(black_box(&msg.message()), &params).unwrap();
            to_hex(&mac(&keys, false, &buf))
        })
    });
    g.bench_function("verify (buffer + hmac + compare)", |b| {
        b.iter(|| {
            let buf = signature_buffer(black_box(&msg.message()), &params).unwrap();
            verify_hex(&mac(&keys, false, &buf), black_box(&tag)).unwrap()
        })
    });
    g.finish();
}

fn handshake(c: &mut Criterion) {
    let server_key = RsaPrivateKey::from_pkcs8_pem(&data("server.key")).unwrap();
    let verifier = Arc::new(CaVerifier::new(&[der("ca.pem")]).unwrap());
    let server_cfg = ServerConfig::new(vec![der("server.pem")], server_key.clone(), verifier);
    let client_cfg = ClientConfig::new(
        vec![der("client.pem")],
        RsaPrivateKey::from_pkcs8_pem(&data("client.key")).unwrap(),
    );
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let enc = server_key
        .to_public_key()
        .encrypt(&mut rng, Pkcs1v15Encrypt, &[3u8; 48])
        .unwrap();
    let mut g = c.benchmark_group("handshake");
    g.sample_size(10);
    g.bench_function("one rsa-2048 private-key operation (floor)", |b| {
        b.iter(|| {
            server_key
                .decrypt(Pkcs1v15Encrypt, black_box(&enc))
                .unwrap()
        })
    });
    for (name, version) in [
        ("full in-memory handshake tls1.0", ProtocolVersion::TLS10),
        ("full in-memory handshake tls1.2", ProtocolVersion::TLS12),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut cc = client_cfg.clone();
                cc.max_version = version;
                let (mut client, hello) = ClientHandshake::start(cc, &mut rng);
                let mut server = ServerHandshake::new(server_cfg.clone(), UnixTime(1_795_600_000));
                let f1 = server.handle(&hello, &mut rng).unwrap();
                let f2 = client.handle(&f1, &mut rng).unwrap().unwrap();
                let f3 = server.handle(&f2, &mut rng).unwrap();
                client.handle(&f3, &mut rng).unwrap();
                assert!(client.is_done() && server.is_done());
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = signing, handshake
}
criterion_main!(benches);
