//! World generation cost: `cargo bench -p harness --bench pki`.
//!
//! A bench binary (no criterion: one more heavy dependency for three numbers). Each figure is
//! the median of several runs in one process; "cold" RSA is the process's first world (keys
//! read from the committed pool), "cached" the same seed again (keys from the per-seed cache,
//! certificates re-signed), "unpooled" a seed whose keys must be generated.

// Benchmarks: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use harness::pki::{KeyType, World, WorldSpec};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time_world(spec: &WorldSpec) -> Duration {
    let start = Instant::now();
    black_box(World::generate(spec).expect("world generates"));
    start.elapsed()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run quickly then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 3 } else { 51 };

    for key_type in [KeyType::P256, KeyType::P384] {
        let samples = (0..runs)
            .map(|i| time_world(&WorldSpec::new(1_000 + i).key_type(key_type)))
            .collect();
        println!(
            "{key_type} world (21 certificates): {:?} median of {runs}",
            median(samples)
        );
    }

    // Seed 9,000's keys are in the committed RSA pool (harness/src/pki/pool.rs), as the
    // suite's are: "cold" is the first world of the process, read from the pool; "unpooled"
    // are seeds outside it, whose keys are generated (the cost before the pool).
    let rsa_runs = if quick { 1 } else { 5 };
    let cold = time_world(&WorldSpec::new(9_000).key_type(KeyType::Rsa2048));
    let cached: Vec<_> = (0..rsa_runs)
        .map(|_| time_world(&WorldSpec::new(9_000).key_type(KeyType::Rsa2048)))
        .collect();
    let unpooled: Vec<_> = (0..rsa_runs)
        .map(|i| time_world(&WorldSpec::new(9_100 + i).key_type(KeyType::Rsa2048)))
        .collect();
    println!(
        "rsa2048 world: cold (pooled seed) {cold:?}, cached {:?}, unpooled seed {:?} (median of {rsa_runs})",
        median(cached),
        median(unpooled)
    );
}
