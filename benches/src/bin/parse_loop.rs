//! A plain loop for profilers (valgrind callgrind, perf): parses every message of
//! `benches/data` (or the ones named) N times with one contender.
//!
//! ```text
//! cargo build -p benches --bin parse_loop --release     # CARGO_PROFILE_RELEASE_DEBUG=true for symbols
//! valgrind --tool=callgrind target/release/parse_loop sip_core_borrowed 10000 options.sip
//! ```
//!
//! Arguments: contender slug (see `Id::slug`, default `sip_core_borrowed`), iterations
//! per message (default 10000), then message file names (default: all).

use std::hint::black_box;

use benches::{Id, Runner, Sample, samples};

struct Loop<'a> {
    sample: &'a Sample,
    iterations: u64,
}

impl Runner for Loop<'_> {
    type Output = u64;

    fn run<F: FnMut(&Sample) -> Result<u64, String>>(&mut self, mut f: F) -> u64 {
        let mut acc = 0u64;
        for _ in 0..self.iterations {
            match f(black_box(self.sample)) {
                Ok(v) => acc = acc.wrapping_add(v),
                Err(e) => {
                    eprintln!("{}: {e}", self.sample.name);
                    std::process::exit(1);
                }
            }
        }
        acc
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let slug = args.next().unwrap_or_else(|| "sip_core_borrowed".into());
    let Some(id) = Id::ALL.into_iter().find(|id| id.slug() == slug) else {
        let known: Vec<_> = Id::ALL.iter().map(|id| id.slug()).collect();
        eprintln!("unknown contender {slug:?}; one of {}", known.join(", "));
        std::process::exit(2);
    };
    let iterations = args.next().map_or(10_000, |n| {
        n.parse().unwrap_or_else(|_| {
            eprintln!("iterations must be a number, not {n:?}");
            std::process::exit(2);
        })
    });
    let names: Vec<String> = args.collect();
    let mut acc = 0u64;
    for s in samples() {
        if names.is_empty() || names.iter().any(|n| n == s.name) {
            acc = acc.wrapping_add(id.run(&mut Loop {
                sample: &s,
                iterations,
            }));
        }
    }
    println!("{} checksum {acc}", id.name());
}
