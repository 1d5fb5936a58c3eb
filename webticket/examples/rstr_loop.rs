//! Parses one RSTR file N times: a fixed workload for `valgrind --tool=callgrind`,
//! whose instruction counts are repeatable on a busy machine.
//!
//! `cargo build --release -p webticket --example rstr_loop`
//! `valgrind --tool=callgrind target/release/examples/rstr_loop doc 1000 webticket/tests/data/rstr_proof.xml`
//!
//! Modes: `scan` (bare quick-xml event scan), `doc` (the safe reader), `ticket` (full RSTR
//! parse of a bearer RSTR), `key` (full parse with the benchmark's client entropy and proof
//! key derivation, for `rstr_proof.xml`), `psha1` (the proof key derivation alone, with
//! the server entropy of `rstr_proof.xml`; the file is still read but not parsed).

use std::hint::black_box;

use quick_xml::Reader;
use quick_xml::events::Event;
use webticket::crypto::{ClientEntropy, ProofKey};
use webticket::webticket::WebTicket;
use webticket::xml::{Document, XmlLimits};

/// The server entropy of `rstr_proof.xml` (0x20 down to 0x01).
const SERVER_ENTROPY: [u8; 32] = {
    let mut a = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        a[i] = 32 - i as u8;
        i += 1;
    }
    a
};

fn scan(body: &[u8]) -> usize {
    let mut reader = Reader::from_reader(body);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return n,
            Ok(_) => n += 1,
            Err(e) => panic!("{e}"),
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "doc".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let data = std::fs::read(args.next().expect("RSTR file")).expect("readable file");
    let limits = XmlLimits::default();
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    for _ in 0..n {
        match mode.as_str() {
            "scan" => {
                black_box(scan(black_box(&data)));
            }
            "ticket" => {
                black_box(WebTicket::parse(black_box(&data), None).expect("RSTR"));
            }
            "psha1" => {
                black_box(ProofKey::compute_psha1(
                    &entropy,
                    black_box(&SERVER_ENTROPY),
                ));
            }
            "key" => {
                black_box(WebTicket::parse(black_box(&data), Some(&entropy)).expect("RSTR"));
            }
            _ => {
                let doc = Document::parse(black_box(&data), &limits).expect("document");
                black_box(doc.element_count());
            }
        }
    }
}
