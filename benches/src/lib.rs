//! Benchmarks for the workspace crates. Never published.
//!
//! **Status: not implemented yet.** The criterion benchmarks and the cross-crate report
//! (sip-core against rsip, ezk-sip-types, rsipstack, sipmsg and a bare `memchr` line
//! split) are tracked by the benchmarks issue; this crate is an empty placeholder until then.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
