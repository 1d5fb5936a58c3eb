#![no_main]

use libfuzzer_sys::fuzz_target;

// The `Arbitrary` input lives in this crate (src/lib.rs), so sip-core needs no
// `arbitrary` dependency; it renders to plain values for `sip_core::fuzzing::build_parse`.
fuzz_target!(|input: sip_fuzz::BuildInput| {
    input.run();
});
