//! Bounds on what a command reads and computes: size limits apply to the bytes actually
//! read (files, pipes, devices, password files), and per-file work is bounded.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The keystore size limit (`harness::keystore::MAX_FILE_BYTES`), in KiB.
const LIMIT_KIB: u64 = harness::keystore::MAX_FILE_BYTES / 1024;
/// What a bounded read may use beyond the limit: the binary, its allocator and buffers.
const SLACK_KIB: u64 = 48 * 1024;

/// Runs `harness ARGS` under `/usr/bin/time` when it is there, so the peak resident memory
/// is known: `(output, Some(peak KiB))`. Without it, the output only.
fn run_measured(args: &[&str], stdin: Option<u64>) -> (Output, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    let mut command = if time.is_file() {
        let mut c = Command::new(time);
        c.args(["-f", "peak-rss-kib=%M"])
            .arg(env!("CARGO_BIN_EXE_harness"));
        c
    } else {
        eprintln!("note: /usr/bin/time is absent: peak memory not measured");
        Command::new(env!("CARGO_BIN_EXE_harness"))
    };
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the harness binary runs");
    let writer = stdin.map(|total| {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let chunk = vec![0u8; 1 << 20];
            let mut sent = 0u64;
            while sent < total {
                // The reader stops early and closes the pipe: that ends the writer.
                if pipe.write_all(&chunk).is_err() {
                    break;
                }
                sent += chunk.len() as u64;
            }
        })
    });
    let out = child.wait_with_output().unwrap();
    if let Some(writer) = writer {
        writer.join().unwrap();
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib="))
        .and_then(|v| v.trim().parse().ok());
    (out, peak)
}

fn assert_refused(out: &Output, peak: Option<u64>, limit_kib: u64, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    assert!(stderr.contains("the limit"), "{stderr}");
    if let Some(peak) = peak {
        assert!(
            peak < limit_kib + SLACK_KIB,
            "peak {peak} KiB, limit {limit_kib} KiB + {SLACK_KIB} KiB\n{stderr}"
        );
    }
}

#[test]
fn dev_zero_is_refused_at_the_limit_with_bounded_memory() {
    let (out, peak) = run_measured(&["keystore", "list", "/dev/zero"], None);
    assert_refused(&out, peak, LIMIT_KIB, "`/dev/zero`");
}

#[test]
fn a_100_mb_pipe_is_refused_at_the_limit_with_bounded_memory() {
    let (out, peak) = run_measured(&["keystore", "list", "/dev/stdin"], Some(100_000_000));
    assert_refused(&out, peak, LIMIT_KIB, "`/dev/stdin`");
}

#[test]
fn a_50_mb_password_file_is_refused_after_a_few_kib() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = tmp.path().join("pass.txt");
    let file = std::fs::File::create(&pass).unwrap();
    // Sparse: 50 MB stated, no disk used.
    file.set_len(50_000_000).unwrap();
    let keystore = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keytool/ec.jks");
    for source in [pass.as_path(), Path::new("/dev/zero")] {
        let (out, peak) = run_measured(
            &[
                "keystore",
                "list",
                keystore.to_str().unwrap(),
                "--storepass-file",
                source.to_str().unwrap(),
            ],
            None,
        );
        // A password file is read up to 4 KiB: the peak is the binary's own.
        assert_refused(&out, peak, 0, "password file");
    }
}

/// 1,500 copies of one certificate in a PEM bundle get the aliases `base`, `base-2`, ...,
/// `base-1500` (assigned with a set and a per-alias counter: linear, where rescanning
/// every alias per candidate took 23 s for 1,200 copies).
#[test]
fn a_pem_of_1500_copies_of_one_certificate_gets_distinct_aliases() {
    use harness::keystore::{Keystore, Passwords};
    use harness::pki::{Role, World, WorldSpec};
    use harness::secret::Password;
    let world = World::generate(&WorldSpec::new(13)).unwrap();
    let one = harness::cert::pem_encode("CERTIFICATE", world.get(Role::ClientRoot).cert());
    let bundle = one.repeat(1500);
    let store = Keystore::from_bytes(
        bundle.as_bytes(),
        &Passwords::new(Password::new("")),
        "many.pem",
    )
    .unwrap();
    assert_eq!(store.len(), 1500);
    let base = store.entries()[0].alias.clone();
    for (i, entry) in store.entries().iter().enumerate().skip(1) {
        assert_eq!(entry.alias, format!("{base}-{}", i + 1));
    }
}
