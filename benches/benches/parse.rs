//! Criterion: parse every message of `benches/data` with every contender.
//!
//! `cargo bench -p benches --bench parse` (add `-- options.sip` to filter). One group per
//! message with `Throughput::Bytes`, one function per contender (see
//! `benches::contenders`). Contenders that cannot parse a message are skipped with a note.
//! The header-slot array and parser configuration are set up once, outside the timed loop,
//! as a server reusing them would; `sip_core_borrowed_fresh_slots` instead hands a fresh
//! slot array to every iteration with `iter_batched_ref` (setup not timed).

use std::hint::black_box;
use std::time::Duration;

use benches::{Id, Runner, Sample, samples};
use criterion::{BatchSize, Bencher, Criterion, Throughput, criterion_group, criterion_main};
use sip_core::{EMPTY_HEADER, ParserConfig};

/// Runs a contender's parse function under criterion's timer.
struct Bench<'a, 'b> {
    bencher: &'a mut Bencher<'b>,
    sample: &'a Sample,
}

impl Runner for Bench<'_, '_> {
    type Output = ();

    fn run<F: FnMut(&Sample) -> Result<u64, String>>(&mut self, mut f: F) {
        let sample = self.sample;
        self.bencher.iter(|| f(black_box(sample)));
    }
}

fn parse(c: &mut Criterion) {
    for sample in samples() {
        let mut group = c.benchmark_group(format!("parse/{}", sample.name));
        group.throughput(Throughput::Bytes(sample.len() as u64));
        for id in Id::ALL {
            if let Err(e) = id.answers(&sample) {
                eprintln!("{} / {}: skipped ({e})", sample.name, id.name());
                continue;
            }
            group.bench_function(id.slug(), |b| {
                id.run(&mut Bench {
                    bencher: b,
                    sample: &sample,
                });
            });
        }
        let config = ParserConfig::default();
        group.bench_function("sip_core_borrowed_fresh_slots", |b| {
            b.iter_batched_ref(
                || [EMPTY_HEADER; 64],
                |slots| {
                    sip_core::parse_with(black_box(sample.as_slice()), slots, &config)
                        .map(|s| s.is_complete())
                },
                BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse
}
criterion_main!(benches);
