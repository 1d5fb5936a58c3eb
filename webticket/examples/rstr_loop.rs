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
//!
//! Mode `ratio` times instead: it alternates short batches of the scan and of the full
//! parse (with the proof key when the file has server entropy) N times and prints the
//! median time of each and their ratio. Both sides of every round see the same machine
//! load, so the ratio stays meaningful when the absolute times do not.

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use webticket::crypto::{ClientEntropy, ProofKey};
use webticket::webticket::WebTicket;
use webticket::xml::{Document, XmlLimits};

use common::{SERVER_ENTROPY, scan};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "doc".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let data = std::fs::read(args.next().expect("RSTR file")).expect("readable file");
    let limits = XmlLimits::default();
    let entropy = ClientEntropy::from_bytes(core::array::from_fn(|i| i as u8));
    if mode == "ratio" {
        ratio(&data, n, &entropy);
        return;
    }
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

/// Median nanoseconds per call of `f`, over `rounds` batches interleaved with the other
/// workloads by [`ratio`].
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ratio(data: &[u8], rounds: usize, entropy: &ClientEntropy) {
    const BATCH: u32 = 200;
    let proof = WebTicket::parse(data, Some(entropy)).is_ok_and(|t| t.proof_key().is_some());
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        t.elapsed().as_nanos() as f64 / f64::from(BATCH)
    };
    let (mut scan_ns, mut parse_ns, mut key_ns) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        scan_ns.push(time(&|| {
            black_box(scan(black_box(data)));
        }));
        parse_ns.push(time(&|| {
            black_box(WebTicket::parse(black_box(data), proof.then_some(entropy)).expect("RSTR"));
        }));
        if proof {
            key_ns.push(time(&|| {
                black_box(ProofKey::compute_psha1(entropy, black_box(&SERVER_ENTROPY)));
            }));
        }
    }
    let (scan_t, parse_t) = (median(scan_ns), median(parse_ns));
    println!(
        "scan {scan_t:.0} ns, parse {parse_t:.0} ns, ratio {:.2}",
        parse_t / scan_t
    );
    if proof {
        let key_t = median(key_ns);
        println!(
            "psha1 {key_t:.0} ns, parse without it {:.0} ns, ratio {:.2}",
            parse_t - key_t,
            (parse_t - key_t) / scan_t
        );
    }
}
