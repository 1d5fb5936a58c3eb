//! RSTR parsing against a bare quick-xml event scan of the same document.
//!
//! `cargo bench -p webticket --bench rstr -- --warm-up-time 1 --measurement-time 3`
//!
//! - `quick_xml_scan`: reads every event of the document and nothing else (the floor).
//! - `document`: the safe reader alone (limits, namespaces, spans).
//! - `web_ticket`: the full RSTR parse: fault check, RSTR lookup, verbatim assertion,
//!   lifetime, base64 entropy and the `P_SHA1` proof key.
//! - `web_ticket_no_key`: the same for a bearer RSTR (no key derivation).
//! - `psha1`: the proof-key derivation alone, so that `web_ticket` minus `psha1` is the
//!   parse-only cost of the proof RSTR.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use webticket::crypto::{ClientEntropy, ProofKey};
use webticket::webticket::WebTicket;
use webticket::xml::{Document, XmlLimits};

use common::{SERVER_ENTROPY, scan};

const PROOF: &[u8] = include_bytes!("../tests/data/rstr_proof.xml");
const BEARER: &[u8] = include_bytes!("../tests/data/rstr_bearer.xml");

fn bench(c: &mut Criterion) {
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    let limits = XmlLimits::default();
    for (name, body) in [("proof", PROOF), ("bearer", BEARER)] {
        let mut g = c.benchmark_group(format!("rstr_{name}"));
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function("quick_xml_scan", |b| b.iter(|| scan(black_box(body))));
        g.bench_function("document", |b| {
            b.iter(|| {
                Document::parse(black_box(body), &limits)
                    .unwrap()
                    .element_count()
            })
        });
        if name == "proof" {
            g.bench_function("web_ticket", |b| {
                b.iter(|| WebTicket::parse(black_box(body), Some(&entropy)).unwrap())
            });
            g.bench_function("psha1", |b| {
                b.iter(|| ProofKey::compute_psha1(&entropy, black_box(&SERVER_ENTROPY)))
            });
        } else {
            g.bench_function("web_ticket_no_key", |b| {
                b.iter(|| WebTicket::parse(black_box(body), None).unwrap())
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
