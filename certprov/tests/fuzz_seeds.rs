//! Runs the fuzz entry points over every fixture and simple mutations of it. Only built
//! with `--cfg fuzzing` (as cargo-fuzz builds):
//! `RUSTFLAGS="--cfg fuzzing" cargo test -p certprov --test fuzz_seeds`.
#![cfg(fuzzing)]

use certprov::fuzzing;

#[test]
fn entry_points_survive_the_seeds_and_their_mutations() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let seed = std::fs::read(entry.unwrap().path()).unwrap();
        let mut inputs = vec![seed.clone()];
        for cut in (0..seed.len()).step_by(97) {
            inputs.push(seed[..cut].to_vec());
            let mut flipped = seed.clone();
            flipped[cut] ^= 0x55;
            inputs.push(flipped);
        }
        for input in inputs {
            fuzzing::parse_response(&input);
            fuzzing::parse_request(&input);
            fuzzing::parse_csr(&input);
            count += 1;
        }
    }
    assert!(count > 1000, "{count}");
}
