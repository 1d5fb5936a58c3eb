//! Criterion: build the INVITE of `data/invite_sdp.sip` and serialize it to bytes, with
//! sip-core's `MessageBuilder` and with rsip (see `benches::build`).
//!
//! `cargo bench -p benches --bench serialize`.

use std::hint::black_box;
use std::time::Duration;

use benches::build;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn serialize(c: &mut Criterion) {
    let mut group = c.benchmark_group("build_serialize/invite_sdp");
    group.throughput(Throughput::Bytes(build::sip_core_bytes().len() as u64));
    group.bench_function("sip_core_into_bytes", |b| {
        b.iter(|| black_box(build::sip_core_bytes()));
    });
    group.bench_function("sip_core_build_validated", |b| {
        b.iter(|| black_box(build::sip_core_built().wire()));
    });
    group.bench_function("rsip_typed", |b| b.iter(|| black_box(build::rsip_typed())));
    group.bench_function("rsip_untyped", |b| {
        b.iter(|| black_box(build::rsip_untyped()));
    });
    group.finish();
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
    targets = serialize
}
criterion_main!(benches);
