//! Instruction-count companion to `benches/dsk.rs`, for machines too busy for wall-clock
//! numbers: run under `valgrind --tool=callgrind` with `MODE` = bare | sign | verify and
//! `N` iterations, and compare the totals (subtract an `N = 0` run for the setup).
//!
//! `cargo build --release -p tls-dsk --example sign_cost`
//! `valgrind --tool=callgrind target/release/examples/sign_cost sign 10000`

use std::hint::black_box;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use sip_core::SipMessage;
use tls_dsk::sign::{SignatureParams, mac, signature_buffer, to_hex, verify_hex};
use tls_dsk::{DskKeys, SignatureAlgorithm};

const REGISTER: &[u8] = b"REGISTER sip:contoso.com SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.10:49152;branch=z9hG4bK5d1c6a8e\r\nMax-Forwards: 70\r\nFrom: <sip:alice@contoso.com>;tag=22fafb15b8;epid=e06accb078\r\nTo: <sip:alice@contoso.com>\r\nCall-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\nCSeq: 3 REGISTER\r\nContact: <sip:192.0.2.10:49152;transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:7ef67d5b-7a04-5d6e-a5a4-5e4d4d9e8f21>\"\r\nUser-Agent: UCCAPI/16.0.4266.1001 OC/16.0.4266.1001 (Skype for Business)\r\nSupported: gruu-10, adhoclist, msrtc-event-categories\r\nms-keep-alive: UAC;hop-hop=yes\r\nEvent: registration\r\nContent-Length: 0\r\n\r\n";

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "sign".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
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
    for _ in 0..n {
        match mode.as_str() {
            "bare" => {
                let mut m =
                    <Hmac<sha1::Sha1> as Mac>::new_from_slice(keys.dangerous_client_key()).unwrap();
                m.update(black_box(&buffer));
                black_box(m.finalize().into_bytes());
            }
            "sign" => {
                let buf = signature_buffer(black_box(&msg.message()), &params).unwrap();
                black_box(to_hex(&mac(&keys, false, &buf)));
            }
            _ => {
                let buf = signature_buffer(black_box(&msg.message()), &params).unwrap();
                verify_hex(&mac(&keys, false, &buf), black_box(&tag)).unwrap();
            }
        }
    }
}
