//! Parses one message file N times: a fixed workload for `valgrind --tool=callgrind`,
//! whose instruction counts are repeatable on a busy machine.
//!
//! `cargo build --release -p sip-core --example parse_loop`
//! `valgrind --tool=callgrind target/release/examples/parse_loop strict 10000 FILE`

use std::hint::black_box;

use sip_core::{EMPTY_HEADER, Mode, ParserConfig, Status, parse_with};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = match args.next().as_deref() {
        Some("lenient") => Mode::Lenient,
        _ => Mode::Strict,
    };
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let data = std::fs::read(args.next().expect("message file")).expect("readable file");
    let cfg = ParserConfig::default().mode(mode);
    let mut slots = [EMPTY_HEADER; 64];
    for _ in 0..n {
        match parse_with(black_box(&data), &mut slots, &cfg) {
            Ok(Status::Complete(m)) => {
                black_box(m.consumed());
            }
            other => panic!("{other:?}"),
        }
    }
}
