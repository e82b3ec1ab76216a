//! `harness pki generate`: determinism, layout and bad input.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .output()
        .expect("the harness binary runs")
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn same_seed_gives_identical_files_and_other_seeds_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let out = |name: &str, seed: &str| {
        let dir = tmp.path().join(name);
        let run = harness(&[
            "pki",
            "generate",
            "--seed",
            seed,
            // Without --now the PKI is placed around today: a run across midnight would differ.
            "--now",
            "2026-06-01T00:00:00Z",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        files(&dir)
    };
    // client.p12 is encrypted with random salts and IVs (p12-keystore): same content, not
    // same bytes. Its content is compared parsed.
    let parsed_p12 = |files: &mut Vec<(String, Vec<u8>)>| {
        let i = files.iter().position(|(n, _)| n == "client.p12").unwrap();
        let (_, bytes) = files.remove(i);
        let passwords = harness::keystore::Passwords::new(harness::pki::CLIENT_P12_PASSWORD.into());
        harness::keystore::Keystore::from_bytes(&bytes, &passwords, "client.p12").unwrap()
    };
    let (mut a, mut b, mut c) = (out("a", "5"), out("b", "5"), out("c", "6"));
    let (p12_a, p12_b, p12_c) = (parsed_p12(&mut a), parsed_p12(&mut b), parsed_p12(&mut c));
    assert_eq!(p12_a, p12_b);
    assert_ne!(p12_a, p12_c);
    assert_eq!(a, b, "same seed, same bytes (keys and certificates)");
    for ((name_a, bytes_a), (name_c, bytes_c)) in a.iter().zip(&c) {
        assert_eq!(name_a, name_c);
        if name_a.ends_with(".der") || name_a.ends_with(".pem") {
            assert_ne!(bytes_a, bytes_c, "{name_a} must differ between seeds");
        }
    }
    let names: Vec<_> = a.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "server.chain.pem",
        "server.fullchain.pem",
        "client.key.pem",
        "client.cert.der",
        "receiver-root.cert.pem",
        "index.txt",
        "index.json",
        "client.p7b",
        "server.p7b",
    ] {
        assert!(names.contains(&wanted), "missing {wanted}: {names:?}");
    }
}

#[test]
fn json_index_lists_every_role() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    let run = harness(&[
        "pki",
        "generate",
        "--seed",
        "9",
        "--json",
        "--key-type",
        "p384",
        "--now",
        "2030-01-01T00:00:00Z",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(run.status.success());
    let index: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(index["version"], 1);
    assert_eq!(index["key_type"], "p384");
    assert_eq!(index["now"], "2030-01-01T00:00:00Z");
    let certs = index["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), harness::pki::Role::ALL.len());
    let server = certs.iter().find(|c| c["role"] == "server").unwrap();
    assert_eq!(
        server["subject"],
        "CN=localhost, OU=seed 9, O=Harness Receiver"
    );
    assert_eq!(server["key"], "EC P-384");
    assert!(
        server["not_after"]
            .as_str()
            .unwrap()
            .starts_with("2031-01-01")
    );
}

#[test]
fn bad_input_exits_2_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pki");
    let out_s = out.to_str().unwrap();
    for (args, message) in [
        (vec!["--key-type", "rsa1024"], "unknown key type `rsa1024`"),
        (
            vec!["--now", "tomorrow"],
            "`tomorrow` is not an RFC 3339 time",
        ),
        (
            vec!["--server-name", "bad name!"],
            "`bad name!` is not a valid DNS name",
        ),
    ] {
        let mut all = vec!["pki", "generate", "--out", out_s];
        all.extend(args);
        let run = harness(&all);
        assert_eq!(run.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(message), "{stderr}");
        assert!(!out.exists(), "no output directory after an error");
    }
    let blocker = tmp.path().join("file");
    fs::write(&blocker, b"x").unwrap();
    let under_file = blocker.join("pki");
    let run = harness(&["pki", "generate", "--out", under_file.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot write"));
    let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        1,
        "only the blocking file remains: {leftovers:?}"
    );

    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep.txt"), b"mine").unwrap();
    let run = harness(&["pki", "generate", "--out", out_s]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("not empty"));
    assert_eq!(fs::read(out.join("keep.txt")).unwrap(), b"mine");
}
