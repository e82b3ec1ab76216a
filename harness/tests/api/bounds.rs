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

/// One DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn oid(content: &[u8]) -> Vec<u8> {
    tlv(0x06, content)
}

const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const OID_ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
const OID_SHROUDED_KEY_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
];
const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
const OID_HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

/// PBES2 with PBKDF2-HmacSHA256 at 1,000,000 iterations (the per-count cap) and AES-256-CBC.
fn pbes2_at_a_million() -> Vec<u8> {
    let prf = tlv(0x30, &[oid(OID_HMAC_SHA256), vec![0x05, 0x00]].concat());
    let pbkdf2_params = tlv(
        0x30,
        &[tlv(0x04, &[7; 16]), tlv(0x02, &[0x0f, 0x42, 0x40]), prf].concat(),
    );
    let kdf = tlv(0x30, &[oid(OID_PBKDF2), pbkdf2_params].concat());
    let enc = tlv(0x30, &[oid(OID_AES256_CBC), tlv(0x04, &[9; 16])].concat());
    tlv(
        0x30,
        &[oid(OID_PBES2), tlv(0x30, &[kdf, enc].concat())].concat(),
    )
}

/// A PFX (with a SHA-256 MAC at 10,000 iterations) whose authenticated safe holds
/// `content_infos`.
fn pfx(content_infos: &[Vec<u8>]) -> Vec<u8> {
    let auth_safe = tlv(0x30, &content_infos.concat());
    let outer = tlv(
        0x30,
        &[oid(OID_DATA), tlv(0xa0, &tlv(0x04, &auth_safe))].concat(),
    );
    let digest_info = tlv(
        0x30,
        &[
            tlv(0x30, &[oid(OID_SHA256), vec![0x05, 0x00]].concat()),
            tlv(0x04, &[0; 32]),
        ]
        .concat(),
    );
    let mac = tlv(
        0x30,
        &[digest_info, tlv(0x04, &[1; 16]), tlv(0x02, &[0x27, 0x10])].concat(),
    );
    tlv(0x30, &[tlv(0x02, &[3]), outer, mac].concat())
}

/// 100 shrouded key bags at 1,000,000 PBKDF2 iterations each (37 KB; 30 s of work before
/// the budget), and 100 encrypted-data containers at 1,000,000 each.
fn amplified_pkcs12() -> [Vec<u8>; 2] {
    let key_bag = tlv(
        0x30,
        &[
            oid(OID_SHROUDED_KEY_BAG),
            tlv(
                0xa0,
                &tlv(0x30, &[pbes2_at_a_million(), tlv(0x04, &[0; 48])].concat()),
            ),
        ]
        .concat(),
    );
    let safe_contents = tlv(0x30, &vec![key_bag; 100].concat());
    let keys = pfx(&[tlv(
        0x30,
        &[oid(OID_DATA), tlv(0xa0, &tlv(0x04, &safe_contents))].concat(),
    )]);
    let encrypted_data = tlv(
        0x30,
        &[
            oid(OID_ENCRYPTED_DATA),
            tlv(
                0xa0,
                &tlv(
                    0x30,
                    &[
                        tlv(0x02, &[0]),
                        tlv(
                            0x30,
                            &[oid(OID_DATA), pbes2_at_a_million(), tlv(0x80, &[0; 48])].concat(),
                        ),
                    ]
                    .concat(),
                ),
            ),
        ]
        .concat(),
    );
    let certs = pfx(&vec![encrypted_data; 100]);
    [keys, certs]
}

/// The amplified PKCS#12 files are refused before any key derivation, with an error that
/// names the per-file budget (the library and `harness keystore list`, exit 2).
#[test]
fn an_amplified_pkcs12_is_refused_naming_the_key_derivation_budget() {
    use harness::keystore::{ErrorKind, Keystore, MAX_KDF_WORK, Passwords};
    use harness::secret::Password;
    let tmp = tempfile::tempdir().unwrap();
    for (i, bytes) in amplified_pkcs12().iter().enumerate() {
        let err = Keystore::from_bytes(bytes, &Passwords::new(Password::new("x")), "amp.p12")
            .unwrap_err();
        match &err.kind {
            ErrorKind::LimitExceeded { what, value, limit } => {
                assert!(what.contains("per-file budget"), "{what}");
                assert_eq!(*limit, MAX_KDF_WORK);
                assert_eq!(*value, 100 * 1_000_000 + 10_000);
            }
            other => panic!("case {i}: expected the budget refusal, got {other:?}"),
        }
        let path = tmp.path().join(format!("amp-{i}.p12"));
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(["keystore", "list"])
            .arg(&path)
            .env("P", "x")
            .args(["--storepass-env", "P"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("key-derivation work"), "{stderr}");
        assert!(stderr.contains(&MAX_KDF_WORK.to_string()), "{stderr}");
    }
}
