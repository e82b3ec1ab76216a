//! `harness keystore ...` through the real binary: every subcommand, text and JSON listings,
//! and bad input (exit 2, a message naming the file and the reason, nothing modified, no
//! temp file left).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::cert::fingerprint_sha256;
use harness::keystore::{EntryKind, Keystore, Passwords, read_certificates};

const PASSWORD: &str = "s3cret-Pässwort";

/// A temp dir with a generated PKI (`pki/`) and a password file.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let run = Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(["pki", "generate", "--seed", "11", "--out"])
            .arg(dir.path().join("pki"))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        fs::write(dir.path().join("pass.txt"), format!("{PASSWORD}\n")).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn pki(&self, name: &str) -> PathBuf {
        self.dir.path().join("pki").join(name)
    }

    /// Runs `harness keystore ARGS` with the store password in `KS_PASS`.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_harness"))
            .arg("keystore")
            .args(args)
            .env("KS_PASS", PASSWORD)
            .env("OTHER_PASS", "other-password")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} failed:\n{stderr}");
        assert_no_secret(&out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that must fail with exit 2; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?} must exit 2");
        assert_no_secret(&out);
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `store.p12`: key pair `Client` (client chain) + trusted `receiver-root`.
    fn store(&self) -> PathBuf {
        let pem = self.path("client.pem");
        let mut text = fs::read(self.pki("client.key.pem")).unwrap();
        text.extend(fs::read(self.pki("client.fullchain.pem")).unwrap());
        fs::write(&pem, text).unwrap();
        let store = self.path("store.p12");
        self.ok(&[
            "import-keypair",
            "store.p12",
            "--alias",
            "Client",
            "--from",
            "client.pem",
            "--storepass-env",
            "KS_PASS",
        ]);
        self.ok(&[
            "import-cert",
            "store.p12",
            "--alias",
            "receiver-root",
            "--cert",
            "pki/receiver-root.cert.der",
            "--storepass-file",
            "pass.txt",
        ]);
        store
    }

    fn leftovers(&self) -> Vec<String> {
        fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".harness-tmp"))
            .collect()
    }
}

fn assert_no_secret(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(PASSWORD), "the password was printed: {text}");
    }
}

fn open(path: &Path) -> Keystore {
    Keystore::read_file(path, &Passwords::new(PASSWORD.into())).unwrap()
}

fn fingerprint(path: &Path) -> String {
    fingerprint_sha256(&fs::read(path).unwrap())
}

#[test]
fn list_text_and_json_show_every_field() {
    let fx = Fixture::new();
    fx.store();
    let text = fx.ok(&["list", "store.p12", "--storepass-env", "KS_PASS"]);
    assert!(text.contains("Keystore type: PKCS12"), "{text}");
    assert!(text.contains("Your keystore contains 2 entries"), "{text}");
    assert!(
        text.contains("Client, -, PrivateKeyEntry, chain 3"),
        "{text}"
    );
    assert!(
        text.contains(&fingerprint(&fx.pki("client.cert.der"))),
        "{text}"
    );

    let verbose = fx.ok(&["list", "store.p12", "-v", "--storepass-env", "KS_PASS"]);
    for wanted in [
        "Alias name: receiver-root",
        "Entry type: trustedCertEntry",
        "Certificate chain length: 3",
        "Owner: CN=cpi-tenant-client, OU=seed 11, O=Harness Tenant",
        "Issuer: CN=Tenant Client Intermediate CA",
        "Subject public key algorithm: EC P-256",
    ] {
        assert!(verbose.contains(wanted), "missing {wanted:?} in\n{verbose}");
    }

    let json: serde_json::Value = serde_json::from_str(&fx.ok(&[
        "list",
        "store.p12",
        "--json",
        "--storepass-env",
        "KS_PASS",
    ]))
    .unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["format"], "pkcs12");
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let client = entries.iter().find(|e| e["alias"] == "Client").unwrap();
    assert_eq!(client["entry_type"], "PrivateKeyEntry");
    assert_eq!(client["chain_length"], 3);
    assert_eq!(client["created"], serde_json::Value::Null);
    let leaf = &client["certificates"][0];
    assert_eq!(leaf["sha256"], fingerprint(&fx.pki("client.cert.der")));
    assert_eq!(leaf["key"], "EC P-256");
    for field in ["subject", "issuer", "serial", "not_before", "not_after"] {
        assert!(leaf[field].is_string(), "{field}");
    }
}

#[test]
fn certificate_files_list_without_a_password() {
    let fx = Fixture::new();
    for file in [
        "pki/server.p7b",
        "pki/server.fullchain.pem",
        "pki/server.cert.der",
    ] {
        let json: serde_json::Value =
            serde_json::from_str(&fx.ok(&["list", file, "--json"])).unwrap();
        let first = &json["entries"][0]["certificates"][0];
        assert_eq!(
            first["sha256"],
            fingerprint(&fx.pki("server.cert.der")),
            "{file}: leaf first"
        );
    }
}

#[test]
fn import_export_rename_delete_round_trip() {
    let fx = Fixture::new();
    let store = fx.store();

    fx.ok(&[
        "export",
        "store.p12",
        "--alias",
        "client",
        "--format",
        "der",
        "--out",
        "leaf.cer",
        "--storepass-env",
        "KS_PASS",
    ]);
    assert_eq!(
        fs::read(fx.path("leaf.cer")).unwrap(),
        fs::read(fx.pki("client.cert.der")).unwrap()
    );
    let pem = fx.ok(&[
        "export",
        "store.p12",
        "--alias",
        "receiver-root",
        "--storepass-env",
        "KS_PASS",
    ]);
    assert_eq!(
        pem.as_bytes(),
        fs::read(fx.pki("receiver-root.cert.pem")).unwrap()
    );
    for (flags, name) in [(vec![], "chain.p7b"), (vec!["--pem"], "chain.pem.p7b")] {
        let mut args = vec![
            "export",
            "store.p12",
            "--alias",
            "Client",
            "--format",
            "p7b",
            "--out",
            name,
            "--storepass-env",
            "KS_PASS",
        ];
        args.extend(flags);
        fx.ok(&args);
        let chain = read_certificates(&fx.path(name), &Passwords::new("".into())).unwrap();
        let fullchain =
            read_certificates(&fx.pki("client.fullchain.pem"), &Passwords::new("".into())).unwrap();
        assert_eq!(chain, fullchain, "{name}: the chain, leaf first");
    }

    fx.ok(&[
        "rename",
        "store.p12",
        "--alias",
        "CLIENT",
        "--to",
        "tenant-key",
        "--storepass-env",
        "KS_PASS",
    ]);
    fx.ok(&[
        "delete",
        "store.p12",
        "--alias",
        "receiver-root",
        "--storepass-env",
        "KS_PASS",
    ]);
    let reread = open(&store);
    let aliases: Vec<_> = reread.entries().iter().map(|e| e.alias.as_str()).collect();
    assert_eq!(aliases, ["tenant-key"]);
    let (_, key, chain) = reread.key_pairs().next().unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(
        key.plain_key().unwrap().secret_pkcs8_der(),
        fs::read(fx.pki("client.key.der")).unwrap()
    );
    assert!(fx.leftovers().is_empty());
}

#[test]
fn new_import_keypair_from_p12_and_pem_with_separate_chain() {
    let fx = Fixture::new();
    fx.ok(&["new", "empty.p12", "--storepass-env", "KS_PASS"]);
    assert!(open(&fx.path("empty.p12")).is_empty());
    assert!(
        fx.fails(&["new", "empty.p12", "--storepass-env", "KS_PASS"])
            .contains("already exists")
    );

    // From the generated client.p12 (its own password), picking the alias.
    fs::write(fx.path("p12pass"), harness::pki::CLIENT_P12_PASSWORD).unwrap();
    fx.ok(&[
        "import-keypair",
        "empty.p12",
        "--alias",
        "from-p12",
        "--from",
        "pki/client.p12",
        "--src-alias",
        "client",
        "--srcpass-file",
        "p12pass",
        "--storepass-env",
        "KS_PASS",
    ]);
    // A PEM key with the chain in a separate .p7b.
    fx.ok(&[
        "import-keypair",
        "empty.p12",
        "--alias",
        "server",
        "--from",
        "pki/server.key.pem",
        "--chain",
        "pki/server.p7b",
        "--storepass-env",
        "KS_PASS",
    ]);
    let store = open(&fx.path("empty.p12"));
    assert_eq!(store.len(), 2);
    let server = store.get("server").unwrap();
    let EntryKind::KeyPair { chain, .. } = &server.kind else {
        panic!("key pair")
    };
    assert_eq!(
        chain[0].as_ref(),
        fs::read(fx.pki("server.cert.der")).unwrap()
    );
    assert_eq!(chain.len(), 3);
    let from_p12 = store.get("FROM-P12").unwrap();
    assert_eq!(
        from_p12.kind.certificate().unwrap().as_ref(),
        fs::read(fx.pki("client.cert.der")).unwrap()
    );
}

#[test]
fn convert_writes_a_new_file_with_the_new_password_and_leaves_the_input() {
    let fx = Fixture::new();
    let store = fx.store();
    let before = fs::read(&store).unwrap();
    for (out, flags) in [("jdk17.p12", vec![]), ("legacy.p12", vec!["--legacy"])] {
        let mut args = vec![
            "convert",
            "store.p12",
            "--to",
            "pkcs12",
            "--out",
            out,
            "--storepass-env",
            "KS_PASS",
            "--destpass-env",
            "OTHER_PASS",
        ];
        args.extend(flags);
        fx.ok(&args);
        let converted =
            Keystore::read_file(&fx.path(out), &Passwords::new("other-password".into())).unwrap();
        assert_eq!(converted.entries(), open(&store).entries(), "{out}");
    }
    assert_eq!(fs::read(&store).unwrap(), before);
    let stderr = fx.fails(&[
        "convert",
        "store.p12",
        "--to",
        "pkcs12",
        "--out",
        "jdk17.p12",
        "--storepass-env",
        "KS_PASS",
    ]);
    assert!(stderr.contains("exists"), "{stderr}");
    let stderr = fx.fails(&[
        "convert",
        "store.p12",
        "--to",
        "pkcs12",
        "--out",
        "store.p12",
        "--force",
        "--storepass-env",
        "KS_PASS",
    ]);
    assert!(stderr.contains("is the input"), "{stderr}");
    assert_eq!(fs::read(&store).unwrap(), before);
}

#[test]
fn bad_input_exits_2_names_the_file_and_changes_nothing() {
    let fx = Fixture::new();
    let store = fx.store();
    let bytes = fs::read(&store).unwrap();
    fs::write(fx.path("truncated.p12"), &bytes[..bytes.len() / 2]).unwrap();
    fs::write(fx.path("unknown.bin"), b"\x00\x01\x02\x03 not a keystore").unwrap();
    fs::write(fx.path("empty.bin"), b"").unwrap();
    fs::write(fx.path("wrong"), "wrong-password").unwrap();

    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["list", "store.p12", "--storepass-file", "wrong"],
            "store.p12",
            "wrong store password",
        ),
        (
            vec!["list", "truncated.p12", "--storepass-env", "KS_PASS"],
            "truncated.p12",
            "truncated",
        ),
        (
            vec!["list", "unknown.bin", "--storepass-env", "KS_PASS"],
            "unknown.bin",
            "unknown format",
        ),
        (
            vec!["list", "empty.bin", "--storepass-env", "KS_PASS"],
            "empty.bin",
            "empty",
        ),
        (
            vec!["list", "missing.p12", "--storepass-env", "KS_PASS"],
            "missing.p12",
            "No such file",
        ),
        (
            vec!["list", "store.p12", "--storepass-env", "UNSET_VAR_X"],
            "UNSET_VAR_X",
            "not set",
        ),
        (
            vec![
                "import-cert",
                "store.p12",
                "--alias",
                "RECEIVER-ROOT",
                "--cert",
                "pki/server.cert.der",
                "--storepass-env",
                "KS_PASS",
            ],
            "store.p12",
            "duplicate alias `RECEIVER-ROOT`",
        ),
        (
            vec![
                "import-cert",
                "store.p12",
                "--alias",
                "x",
                "--cert",
                "pki/server.fullchain.pem",
                "--storepass-env",
                "KS_PASS",
            ],
            "server.fullchain.pem",
            "choose with --index N or --root",
        ),
        (
            vec![
                "delete",
                "store.p12",
                "--alias",
                "nope",
                "--storepass-env",
                "KS_PASS",
            ],
            "store.p12",
            "no entry with alias `nope`",
        ),
        (
            vec![
                "rename",
                "store.p12",
                "--alias",
                "client",
                "--to",
                "receiver-root",
                "--storepass-env",
                "KS_PASS",
            ],
            "store.p12",
            "duplicate alias",
        ),
        (
            vec![
                "export",
                "store.p12",
                "--alias",
                "nope",
                "--out",
                "x.cer",
                "--storepass-env",
                "KS_PASS",
            ],
            "store.p12",
            "no entry with alias `nope`",
        ),
        (
            vec!["delete", "pki/server.p7b", "--alias", "localhost"],
            "server.p7b",
            "not a keystore",
        ),
        (
            vec![
                "import-keypair",
                "store.p12",
                "--alias",
                "k",
                "--from",
                "unknown.bin",
                "--storepass-env",
                "KS_PASS",
            ],
            "unknown.bin",
            "unknown format",
        ),
    ];
    for (args, file, reason) in cases {
        let stderr = fx.fails(&args);
        assert!(stderr.contains(file), "{args:?}: {stderr}");
        assert!(
            stderr.contains(reason),
            "{args:?}: expected {reason:?} in {stderr}"
        );
        assert_eq!(
            fs::read(&store).unwrap(),
            bytes,
            "{args:?} modified the store"
        );
    }
    assert!(!fx.path("x.cer").exists());
    assert!(fx.leftovers().is_empty(), "{:?}", fx.leftovers());
}

#[test]
fn passwords_are_never_plain_arguments() {
    let fx = Fixture::new();
    let out = fx.run(&["list", "pki/client.p12", "--storepass", "changeit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--storepass"));
}
