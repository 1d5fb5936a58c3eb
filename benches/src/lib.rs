//! Benchmarks for the workspace crates. Never published.
//!
//! This library holds what the criterion benches (`benches/parse.rs`,
//! `benches/serialize.rs`) and the cross-crate report (`src/bin/report.rs`) share:
//!
//! - [`data`]: the message set in `benches/data/*.sip`, compiled in;
//! - [`visit`]: the answers every contender must give (start line, top Via branch,
//!   From/To tags, Call-ID, CSeq), either touched cheaply ([`visit::Touch`], timed) or
//!   collected as strings ([`visit::Answers`], to check that contenders agree);
//! - [`contenders`]: one parse entry point per Rust SIP parser, plus the `memchr` line
//!   split that is the physical limit;
//! - [`build`]: building and serializing an equivalent INVITE with sip-core and rsip.
//!
//! Run `cargo run -p benches --bin report --release` for the table, `cargo bench -p
//! benches` for criterion. See `benches/README.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod build;
pub mod contenders;
pub mod data;
pub mod visit;

pub use contenders::{Id, Runner};
pub use data::{Sample, samples};
