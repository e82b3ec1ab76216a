//! No output of the `harness` binary holds a password or private key bytes (STYLE.md §4:
//! "a test checks no output ever holds a password or key bytes").
//!
//! Every subcommand that takes a password or touches private keys runs with distinctive
//! passwords (from environment variables and files), on its success and failure paths (wrong
//! password, malformed file, weak password), in text and `--json`. Each stdout and stderr is
//! searched for every password, the tenant's own password, and every private key involved:
//! each base64 line of its PEM body, the base64 of its PKCS#8 DER on one line, and windows of
//! the hex of that DER (lower and upper case).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::pki::Role;
use harness::secret::PrivateKey;
use harness::tenant::Tenant;

use super::connect::{Auth, Server, world};

/// Distinctive passwords: each one would be found by a plain substring search.
const STORE: &str = "Store-Secret-7q9Z";
const KEY: &str = "Key-Secret-3xW8q";
const DEST: &str = "Dest-Secret-5vK2";
const P12: &str = "P12-Secret-8mN4";
const BACKUP: &str = "Backup-Secret-2pL6";
const WRONG: &str = "Wrong-Secret-9rT1";
const WEAK: &str = "weaksecretonlylowercase";

const ENV: [(&str, &str); 7] = [
    ("HS_STORE", STORE),
    ("HS_KEY", KEY),
    ("HS_DEST", DEST),
    ("HS_P12", P12),
    ("HS_BACKUP", BACKUP),
    ("HS_WRONG", WRONG),
    ("HS_WEAK", WEAK),
];

/// Everything that must never be printed.
struct Secrets {
    texts: Vec<(String, String)>,
}

impl Secrets {
    fn new() -> Self {
        let texts = ENV
            .iter()
            .map(|(var, value)| (format!("password {var}"), (*value).to_owned()))
            .collect();
        Self { texts }
    }

    fn password(&mut self, what: &str, value: &str) {
        self.texts.push((what.to_owned(), value.to_owned()));
    }

    fn key(&mut self, what: &str, key: &PrivateKey) {
        let pem = key.secret_pkcs8_pem();
        for (i, line) in pem.lines().filter(|l| !l.starts_with("-----")).enumerate() {
            if line.len() >= 16 {
                self.texts
                    .push((format!("{what} PEM line {i}"), line.to_owned()));
            }
        }
        let der = key.secret_pkcs8_der();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        self.texts.push((format!("{what} base64 DER"), b64));
        let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
        // Skip the PKCS#8 header (the same for every key of a type); from there on every
        // 20-byte window is key material.
        for start in (30..der.len().saturating_sub(20)).step_by(10) {
            let window = &hex[start * 2..(start + 20) * 2];
            self.texts
                .push((format!("{what} hex DER @{start}"), window.to_owned()));
            self.texts
                .push((format!("{what} HEX DER @{start}"), window.to_uppercase()));
        }
    }

    fn key_file(&mut self, what: &str, path: &Path) {
        let pem = std::fs::read_to_string(path).unwrap();
        let der = pem::parse(pem.as_bytes()).unwrap().into_contents();
        self.key(what, &PrivateKey::from_pkcs8_der(der));
    }

    /// Panics naming the command, the stream and the secret when one is printed.
    fn check(&self, label: &str, out: &Output) {
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            for (what, secret) in &self.texts {
                assert!(
                    !text.contains(secret.as_str()),
                    "{label}: {stream} holds {what}:\n{text}"
                );
            }
        }
    }
}

fn harness(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harness"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("HARNESS_TENANT")
        // The tenant's records follow the wall clock by default; this test's receivers and
        // PKI sit at the default "now", so its tenant does too (deterministic).
        .env("HARNESS_NOW", "2026-06-01T00:00:00Z");
    for (var, value) in ENV {
        command.env(var, value);
    }
    command.output().expect("the harness binary runs")
}

/// One command with the exit code it must give.
struct Case {
    args: Vec<String>,
    code: i32,
}

fn case(code: i32, args: &[&str]) -> Case {
    Case {
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        code,
    }
}

fn run_all(dir: &Path, secrets: &Secrets, cases: &[Case]) -> Vec<Output> {
    cases
        .iter()
        .map(|c| {
            let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
            let out = harness(dir, &args);
            let label = args.join(" ");
            assert_eq!(
                out.status.code(),
                Some(c.code),
                "{label}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            secrets.check(&label, &out);
            out
        })
        .collect()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cli_output_holds_a_password_or_private_key() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut secrets = Secrets::new();
    let store_file = write(d, "store.pass", format!("{STORE}\n").as_bytes());
    let wrong_file = write(d, "wrong.pass", format!("{WRONG}\n").as_bytes());
    let backup_file = write(d, "backup.pass", format!("{BACKUP}\n").as_bytes());
    let garbage = write(d, "garbage.jks", b"\xfe\xed\xfe\xed not really a keystore");
    let pem_garbage = write(
        d,
        "garbage.pem",
        b"-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n",
    );

    // pki generate: every key it writes is a secret from here on.
    let pki = d.join("pki");
    let pki2 = d.join("pki2");
    run_all(
        d,
        &secrets,
        &[
            case(
                0,
                &[
                    "pki",
                    "generate",
                    "--seed",
                    "5",
                    "--now",
                    "2026-06-01T00:00:00Z",
                    "--out",
                    &path(&pki),
                    "--p12-password-env",
                    "HS_P12",
                ],
            ),
            case(
                0,
                &[
                    "pki",
                    "generate",
                    "--seed",
                    "5",
                    "--now",
                    "2026-06-01T00:00:00Z",
                    "--out",
                    &path(&pki2),
                    "--json",
                    "--p12-password-env",
                    "HS_P12",
                ],
            ),
        ],
    );
    for entry in std::fs::read_dir(&pki).unwrap() {
        let entry = entry.unwrap().path();
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".key.pem") {
            secrets.key_file(&name, &entry);
        }
    }
    assert!(secrets.texts.len() > 100, "the generated keys are secrets");
    // Failure paths of pki generate, checked with the keys known.
    run_all(
        d,
        &secrets,
        &[
            case(
                2,
                &[
                    "pki",
                    "generate",
                    "--out",
                    &path(&pki),
                    "--p12-password-env",
                    "HS_P12",
                ],
            ),
            case(
                2,
                &[
                    "pki",
                    "generate",
                    "--out",
                    &path(&d.join("p3")),
                    "--p12-password-env",
                    "HS_UNSET_VAR",
                ],
            ),
        ],
    );

    // keystore: build a JCEKS with the client key pair, then every command over it.
    let jceks = path(&d.join("client.jceks"));
    let p12 = path(&pki.join("client.p12"));
    let key_pem = path(&pki.join("client.key.pem"));
    let chain_pem = path(&pki.join("client.chain.pem"));
    let s = |p: &Path| path(p);
    run_all(
        d,
        &secrets,
        &[
            case(
                0,
                &[
                    "keystore",
                    "import-keypair",
                    &jceks,
                    "--type",
                    "jceks",
                    "--alias",
                    "client",
                    "--from",
                    &p12,
                    "--srcpass-env",
                    "HS_P12",
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                0,
                &[
                    "keystore",
                    "import-keypair",
                    &jceks,
                    "--alias",
                    "client-pem",
                    "--from",
                    &key_pem,
                    "--chain",
                    &chain_pem,
                    "--storepass-file",
                    &s(&store_file),
                ],
            ),
            // Wrong source password, wrong store password, malformed sources.
            case(
                2,
                &[
                    "keystore",
                    "import-keypair",
                    &jceks,
                    "--alias",
                    "c2",
                    "--from",
                    &p12,
                    "--srcpass-env",
                    "HS_WRONG",
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "import-keypair",
                    &jceks,
                    "--alias",
                    "c3",
                    "--from",
                    &p12,
                    "--srcpass-env",
                    "HS_P12",
                    "--storepass-env",
                    "HS_WRONG",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "import-keypair",
                    &jceks,
                    "--alias",
                    "c4",
                    "--from",
                    &s(&pem_garbage),
                    "--chain",
                    &chain_pem,
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "import-keypair",
                    &jceks,
                    "--alias",
                    "c5",
                    "--from",
                    &s(&garbage),
                    "--srcpass-env",
                    "HS_P12",
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            // list, text and JSON, verbose; wrong password; malformed file.
            case(
                0,
                &["keystore", "list", &jceks, "--storepass-env", "HS_STORE"],
            ),
            case(
                0,
                &[
                    "keystore",
                    "list",
                    &jceks,
                    "--storepass-env",
                    "HS_STORE",
                    "--verbose",
                ],
            ),
            case(
                0,
                &[
                    "keystore",
                    "list",
                    &jceks,
                    "--storepass-file",
                    &s(&store_file),
                    "--json",
                ],
            ),
            case(
                2,
                &["keystore", "list", &jceks, "--storepass-env", "HS_WRONG"],
            ),
            case(
                2,
                &[
                    "keystore",
                    "list",
                    &jceks,
                    "--storepass-file",
                    &s(&wrong_file),
                    "--json",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "list",
                    &s(&garbage),
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                0,
                &[
                    "keystore",
                    "list",
                    &p12,
                    "--storepass-env",
                    "HS_P12",
                    "--json",
                ],
            ),
            // convert to every type, with a new password and with the key password given.
            case(
                0,
                &[
                    "keystore",
                    "convert",
                    &jceks,
                    "--to",
                    "pkcs12",
                    "--out",
                    &s(&d.join("c.p12")),
                    "--storepass-env",
                    "HS_STORE",
                    "--destpass-env",
                    "HS_DEST",
                ],
            ),
            case(
                0,
                &[
                    "keystore",
                    "convert",
                    &jceks,
                    "--to",
                    "pkcs12",
                    "--legacy",
                    "--out",
                    &s(&d.join("legacy.p12")),
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                0,
                &[
                    "keystore",
                    "convert",
                    &jceks,
                    "--to",
                    "jks",
                    "--out",
                    &s(&d.join("c.jks")),
                    "--storepass-env",
                    "HS_STORE",
                    "--srckeypass-env",
                    "HS_STORE",
                    "--destpass-env",
                    "HS_DEST",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "convert",
                    &jceks,
                    "--to",
                    "jks",
                    "--out",
                    &s(&d.join("k.jks")),
                    "--storepass-env",
                    "HS_STORE",
                    "--srckeypass-env",
                    "HS_KEY",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "convert",
                    &jceks,
                    "--to",
                    "jks",
                    "--out",
                    &s(&d.join("w.jks")),
                    "--storepass-env",
                    "HS_WRONG",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "convert",
                    &s(&garbage),
                    "--to",
                    "jks",
                    "--out",
                    &s(&d.join("g.jks")),
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            // export: certificate to stdout, chain to a file; never the key.
            case(
                0,
                &[
                    "keystore",
                    "export",
                    &jceks,
                    "--alias",
                    "client",
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                0,
                &[
                    "keystore",
                    "export",
                    &jceks,
                    "--alias",
                    "client",
                    "--format",
                    "p7b",
                    "--pem",
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                0,
                &[
                    "keystore",
                    "export",
                    &jceks,
                    "--alias",
                    "client",
                    "--format",
                    "der",
                    "--out",
                    &s(&d.join("client.cer")),
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "export",
                    &jceks,
                    "--alias",
                    "client",
                    "--storepass-env",
                    "HS_WRONG",
                ],
            ),
            case(
                2,
                &[
                    "keystore",
                    "export",
                    &jceks,
                    "--alias",
                    "nobody",
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
        ],
    );

    // tenant: create, upload the keystore, list, download, backup, public keystore.
    let t = d.join("tenant");
    let ts = path(&t);
    run_all(
        d,
        &secrets,
        &[case(
            0,
            &["tenant", "--tenant", &ts, "create", "--seed", "9"],
        )],
    );
    let tenant = Tenant::open(&t).unwrap();
    let tenant_password = tenant.passwords().key_for("any").secret_str().to_owned();
    secrets.password("the tenant's own password", &tenant_password);
    let sap_key = tenant.unlocked_keystore().unwrap();
    for (alias, key, _) in sap_key.key_pairs() {
        if let Some(key) = key.plain_key() {
            secrets.key(alias, key);
        }
    }
    let tenant_cases = |json: &'static str| {
        let mut cases = vec![
            case(0, &["tenant", "--tenant", &ts, "list"]),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "show",
                    "sap_cloudintegrationcertificate",
                ],
            ),
            case(0, &["tenant", "--tenant", &ts, "history"]),
            case(
                2,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "add-keystore",
                    &jceks,
                    "--password-env",
                    "HS_WRONG",
                ],
            ),
            case(
                2,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "add-keystore",
                    &s(&garbage),
                    "--password-file",
                    &s(&store_file),
                ],
            ),
            case(
                2,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "add-key-pair",
                    "kp",
                    &p12,
                    "--password-env",
                    "HS_WRONG",
                ],
            ),
            case(
                2,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "backup",
                    "--password-env",
                    "HS_WEAK",
                ],
            ),
            case(
                2,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "restore",
                    "--password-env",
                    "HS_WRONG",
                ],
            ),
            case(
                2,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "download-public",
                    "--out",
                    &s(&d.join("pub-weak")),
                    "--password-env",
                    "HS_WEAK",
                ],
            ),
            case(1, &["tenant", "lint", &jceks, "--password-env", "HS_WRONG"]),
            case(0, &["tenant", "lint", &jceks, "--password-env", "HS_STORE"]),
        ];
        if !json.is_empty() {
            for c in &mut cases {
                if ["list", "history", "show", "add-keystore", "lint"]
                    .iter()
                    .any(|s| c.args.contains(&(*s).to_owned()))
                {
                    c.args.push(json.to_owned());
                }
            }
        }
        cases
    };
    run_all(
        d,
        &secrets,
        &[
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "add-keystore",
                    &jceks,
                    "--password-file",
                    &s(&store_file),
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "add-keystore",
                    &jceks,
                    "--mode",
                    "overwrite",
                    "--password-env",
                    "HS_STORE",
                    "--json",
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "add-key-pair",
                    "from-p12",
                    &p12,
                    "--password-env",
                    "HS_P12",
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "create-key-pair",
                    "created",
                    "--cn",
                    "created.example",
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "download",
                    "client",
                    "--out",
                    &s(d),
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "download",
                    "sap_cloudintegrationcertificate",
                    "--out",
                    &s(d),
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "backup",
                    "--password-file",
                    &s(&backup_file),
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "restore",
                    "--password-env",
                    "HS_BACKUP",
                ],
            ),
            case(
                0,
                &[
                    "tenant",
                    "--tenant",
                    &ts,
                    "download-public",
                    "--out",
                    &s(d),
                    "--password-env",
                    "HS_BACKUP",
                ],
            ),
        ],
    );
    // The key created in the tenant is a secret too.
    for (alias, key, _) in Tenant::open(&t)
        .unwrap()
        .unlocked_keystore()
        .unwrap()
        .key_pairs()
    {
        if let Some(key) = key.plain_key() {
            secrets.key(alias, key);
        }
    }
    run_all(d, &secrets, &tenant_cases(""));
    run_all(d, &secrets, &tenant_cases("--json"));

    // connect with a client key: a receiver requiring the generated client root, and one
    // requiring an unrelated root (the certificate is sent and refused).
    let w = world();
    let client_root = harness::keystore::read_certificates(
        &pki.join("client-root.cert.pem"),
        &harness::keystore::Passwords::new(harness::secret::Password::new("")),
    )
    .unwrap();
    let trusting = Server::new(w.get(Role::Server), w.get(Role::Server).full_chain())
        .auth(Auth::Required(client_root))
        .start()
        .await;
    let refusing = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
        .auth(Auth::Required(vec![
            w.get(Role::UnrelatedRoot).cert().clone(),
        ]))
        .start()
        .await;
    let ok = format!("127.0.0.1:{}", trusting.port());
    let no = format!("127.0.0.1:{}", refusing.port());
    let now = "2026-06-01T00:00:00Z";
    let mut cases = Vec::new();
    for json in [None, Some("--json")] {
        let mut more = vec![
            case(
                0,
                &[
                    "connect",
                    &ok,
                    "--no-validate",
                    "--now",
                    now,
                    "--keystore",
                    &jceks,
                    "--storepass-env",
                    "HS_STORE",
                    "--client-cert",
                ],
            ),
            case(
                0,
                &[
                    "connect",
                    &ok,
                    "--no-validate",
                    "--now",
                    now,
                    "--keystore",
                    &jceks,
                    "--storepass-file",
                    &s(&store_file),
                    "--client-cert",
                    "client-pem",
                ],
            ),
            case(
                1,
                &[
                    "connect",
                    &no,
                    "--no-validate",
                    "--now",
                    now,
                    "--keystore",
                    &jceks,
                    "--storepass-env",
                    "HS_STORE",
                    "--client-cert",
                    "client",
                ],
            ),
            case(
                0,
                &[
                    "connect",
                    &ok,
                    "--no-validate",
                    "--now",
                    now,
                    "--tenant",
                    &ts,
                    "--client-cert",
                    "client",
                ],
            ),
            case(
                1,
                &[
                    "connect",
                    &ok,
                    "--now",
                    now,
                    "--tenant",
                    &ts,
                    "--client-cert",
                ],
            ),
            case(
                2,
                &[
                    "connect",
                    &ok,
                    "--keystore",
                    &jceks,
                    "--storepass-env",
                    "HS_WRONG",
                    "--client-cert",
                ],
            ),
            case(
                2,
                &[
                    "connect",
                    &ok,
                    "--keystore",
                    &s(&garbage),
                    "--storepass-env",
                    "HS_STORE",
                ],
            ),
            case(
                2,
                &[
                    "connect",
                    &ok,
                    "--keystore",
                    &p12,
                    "--storepass-env",
                    "HS_STORE",
                    "--client-cert",
                ],
            ),
        ];
        if let Some(flag) = json {
            for c in &mut more {
                c.args.push(flag.to_owned());
            }
        }
        cases.extend(more);
    }
    let root_store = path(&d.join("roots.jks"));
    cases.push(case(
        0,
        &[
            "connect",
            &ok,
            "--no-validate",
            "--now",
            now,
            "--keystore",
            &jceks,
            "--storepass-env",
            "HS_STORE",
            "--client-cert",
            "--add-root-to",
            &root_store,
        ],
    ));
    let dir = d.to_owned();
    tokio::task::spawn_blocking(move || run_all(&dir, &secrets, &cases))
        .await
        .unwrap();
}

/// The check itself finds a printed key, in PEM, base64 or hex, and a printed password.
#[test]
fn the_check_finds_every_form_of_a_secret() {
    let w = world();
    let key = w.get(Role::Client).key().private_key();
    let mut secrets = Secrets::new();
    secrets.key("client", key);
    let der = key.secret_pkcs8_der();
    let hex: String = der.iter().map(|b| format!("{b:02X}")).collect();
    let b64: String = key
        .secret_pkcs8_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for printed in [
        key.secret_pkcs8_pem(),
        b64,
        format!("key: {hex}"),
        format!("password `{STORE}` refused"),
    ] {
        let out = Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(0),
            stdout: Vec::new(),
            stderr: printed.clone().into_bytes(),
        };
        let caught = std::panic::catch_unwind(|| secrets.check("probe", &out));
        assert!(caught.is_err(), "not caught: {printed}");
    }
}
