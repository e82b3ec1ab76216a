//! `harness explain` on 1 MiB inputs: `cargo bench -p harness --bench explain`.
//!
//! Prints the best and median time of `explain` over several inputs of 1 MiB each: random
//! printable text, stack traces full of known texts, one repeated byte, and back-to-back
//! `Caused by:` and near-miss prefixes (the worst cases for the checks around a hit). The
//! target is under 10 ms each (release build). Without `--bench` (as `cargo test` runs
//! benches) it runs each input once.

use std::time::{Duration, Instant};

const MIB: usize = 1 << 20;

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut random = Vec::with_capacity(MIB);
    while random.len() < MIB {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        random.push(b' ' + (seed % 95) as u8);
    }
    let trace = "javax.net.ssl.SSLHandshakeException: PKIX path building failed: \
                 sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid \
                 certification path to requested target\n\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)\n\
                 Caused by: java.security.cert.CertificateException: No name matching api.example.com found\n";
    let fill = |unit: &str| unit.repeat(MIB / unit.len()).into_bytes();
    vec![
        ("random printable", random),
        ("stack traces", fill(trace)),
        ("one byte", vec![b'N'; MIB]),
        ("Caused by:", fill("Caused by: ")),
        ("near misses", fill("No name matching ")),
    ]
}

fn main() {
    let rounds = if std::env::args().any(|a| a == "--bench") {
        25
    } else {
        1
    };
    for (name, input) in inputs() {
        let mut times: Vec<Duration> = (0..rounds)
            .map(|_| {
                let start = Instant::now();
                let e = harness::explain::explain(&input);
                let elapsed = start.elapsed();
                std::hint::black_box(e);
                elapsed
            })
            .collect();
        times.sort();
        println!(
            "explain {name:<17} 1 MiB: best {:.2} ms, median {:.2} ms",
            times[0].as_secs_f64() * 1e3,
            times[times.len() / 2].as_secs_f64() * 1e3
        );
    }
}
