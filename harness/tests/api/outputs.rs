//! Outputs that never clobber: no command writes over its input, nor over an existing file
//! without `--force`; multi-file downloads are all or nothing and long aliases still
//! download; private keys are written 0600; control characters are escaped.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use harness::pki::KeyType;
use harness::tenant::{Actor, Alias, KeyPairSpec, Subject, Tenant, TenantSpec};
use harness::time::DEFAULT_NOW;

fn harness(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .current_dir(dir)
        .env("KS_PASS", "changeit")
        .output()
        .expect("the harness binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sh -c 'umask 022; exec harness ARGS'`.
fn harness_umask_022(dir: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("sh runs")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn export_never_writes_over_its_input_nor_an_existing_file_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = harness_umask_022(dir, &["pki", "generate", "--seed", "5", "--out", "pki"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let p12 = dir.join("pki/client.p12");
    let before = fs::read(&p12).unwrap();
    let pass = harness::pki::CLIENT_P12_PASSWORD;
    let export = |out_file: &str, force: bool| {
        let mut args = vec![
            "keystore",
            "export",
            "pki/client.p12",
            "--alias",
            harness::pki::CLIENT_P12_ALIAS,
            "--out",
            out_file,
            "--storepass-env",
            "P12",
        ];
        if force {
            args.push("--force");
        }
        Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(&args)
            .current_dir(dir)
            .env("P12", pass)
            .output()
            .unwrap()
    };
    // The input itself, even with --force.
    for force in [false, true] {
        let out = export("pki/client.p12", force);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("is an input"), "{}", stderr(&out));
        assert_eq!(fs::read(&p12).unwrap(), before);
    }
    // An existing file: refused without --force, replaced with it.
    fs::write(dir.join("taken.pem"), b"keep me").unwrap();
    let out = export("taken.pem", false);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(fs::read(dir.join("taken.pem")).unwrap(), b"keep me");
    let out = export("taken.pem", true);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::read_to_string(dir.join("taken.pem"))
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    // Private keys and the PKCS#12 are 0600 under umask 022; certificates keep the umask.
    #[cfg(unix)]
    {
        assert_eq!(mode(&p12), 0o600);
        assert_eq!(mode(&dir.join("pki/client.key.pem")), 0o600);
        assert_eq!(mode(&dir.join("pki/client.key.der")), 0o600);
        assert_eq!(mode(&dir.join("pki/client.cert.pem")), 0o644);
    }
}

#[cfg(unix)]
#[test]
fn keystore_rename_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = harness_umask_022(dir, &["pki", "generate", "--seed", "6", "--out", "pki"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let store = dir.join("trust.jks");
    let out = harness(
        dir,
        &[
            "keystore",
            "import-cert",
            "trust.jks",
            "--alias",
            "root",
            "--cert",
            "pki/client-root.cert.pem",
            "--storepass-env",
            "KS_PASS",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    fs::set_permissions(&store, fs::Permissions::from_mode(0o640)).unwrap();
    let out = harness(
        dir,
        &[
            "keystore",
            "rename",
            "trust.jks",
            "--alias",
            "root",
            "--to",
            "renamed",
            "--storepass-env",
            "KS_PASS",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&store), 0o640);
}

#[test]
fn tenant_downloads_never_clobber_and_long_aliases_download_shortened() {
    let tmp = tempfile::tempdir().unwrap();
    let tenant_dir = tmp.path().join("tenant");
    let admin = Actor::admin(DEFAULT_NOW);
    let mut tenant = Tenant::create(&tenant_dir, &TenantSpec::new(8), &admin, false).unwrap();
    let long = "k".repeat(harness::tenant::MAX_ALIAS_CHARS);
    let spec = KeyPairSpec {
        key_type: KeyType::P256,
        subject: Subject {
            common_name: "long".into(),
            ..Subject::default()
        },
        not_before: DEFAULT_NOW,
        not_after: DEFAULT_NOW + time::Duration::days(30),
    };
    tenant
        .create_key_pair(&admin, &Alias::parse(&long).unwrap(), &spec)
        .unwrap();
    drop(tenant);
    let out_dir = tmp.path().join("out");
    let download = |force: bool| {
        let mut args = vec![
            "tenant",
            "--tenant",
            tenant_dir.to_str().unwrap(),
            "download",
            long.as_str(),
            "--out",
            out_dir.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        harness(tmp.path(), &args)
    };
    let out = download(false);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}{stdout}", stderr(&out));
    assert!(stdout.contains("written as"), "{stdout}");
    let mut names: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".p7b")), "{names:?}");
    assert!(
        names.iter().any(|n| n.ends_with("_rootCA.cer")),
        "{names:?}"
    );
    assert!(names.iter().all(|n| n.len() <= 255), "{names:?}");
    // Again: refused, nothing changed; with --force, replaced.
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|n| fs::read(out_dir.join(n)).unwrap())
        .collect();
    fs::remove_file(out_dir.join(&names[0])).unwrap();
    let out = download(false);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    // All or nothing: the file that was missing was not written either.
    assert!(!out_dir.join(&names[0]).exists());
    let out = download(true);
    assert!(out.status.success(), "{}", stderr(&out));
    let after: Vec<Vec<u8>> = names
        .iter()
        .map(|n| fs::read(out_dir.join(n)).unwrap())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn control_characters_in_aliases_are_escaped_in_human_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = harness(dir, &["pki", "generate", "--seed", "7", "--out", "pki"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut store = harness::keystore::Keystore::new(harness::keystore::Format::Jks);
    let cert = fs::read(dir.join("pki/client-root.cert.der")).unwrap();
    store
        .insert(harness::keystore::Entry {
            alias: "evil\n\u{1b}[31mforged".into(),
            created: DEFAULT_NOW,
            kind: harness::keystore::EntryKind::TrustedCertificate(cert.into()),
        })
        .unwrap();
    store
        .write_file(
            &dir.join("evil.jks"),
            harness::keystore::Format::Jks,
            &harness::keystore::Passwords::new(harness::secret::Password::new("changeit")),
        )
        .unwrap();
    let out = harness(
        dir,
        &["keystore", "list", "evil.jks", "--storepass-env", "KS_PASS"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout.contains("evil\\n\\x1b[31mforged"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
}
