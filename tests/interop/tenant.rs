//! The tenant's files as keytool and OpenSSL see them: the tenant JCEKS (keys included),
//! the backup, `PublicContentKeystore.jks`, every `.p7b` and `.cer` download.

use std::path::Path;
use std::process::Command;

use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use harness::pki::{KeyType, Role as PkiRole, World, WorldSpec};
use harness::secret::Password;
use harness::tenant::{
    Actor, AddMode, Alias, CertEncoding, KeyPairSpec, SAP_KEY_PAIR_ALIAS, Subject, Tenant,
    TenantSpec,
};
use harness::time::DEFAULT_NOW;
use tests::{run_ok, tool};
use time::Duration;

const UPLOAD_PASSWORD: &str = "upload-Pass1";
const OUT_PASSWORD: &str = "Download-2026";

/// A tenant with the SAP entries, an uploaded root and key pair, and a created RSA key pair.
fn tenant(dir: &Path) -> Tenant {
    let world = World::generate(&WorldSpec::new(4)).unwrap();
    let admin = Actor::admin(DEFAULT_NOW);
    let mut tenant = Tenant::create(dir, &TenantSpec::new(4), &admin, false).unwrap();
    let client = world.get(PkiRole::Client);
    let mut upload = Keystore::new(Format::Jks);
    upload
        .insert(Entry {
            alias: "receiver-root".into(),
            created: DEFAULT_NOW,
            kind: EntryKind::TrustedCertificate(world.get(PkiRole::ReceiverRoot).cert().clone()),
        })
        .unwrap();
    upload
        .insert(Entry {
            alias: "client".into(),
            created: DEFAULT_NOW,
            kind: EntryKind::KeyPair {
                key: KeyMaterial::plain(client.key().private_key().clone()),
                chain: client.full_chain(),
            },
        })
        .unwrap();
    let bytes = upload
        .to_bytes(Format::Jks, &Passwords::new(Password::new(UPLOAD_PASSWORD)))
        .unwrap();
    tenant
        .add_keystore(
            &admin,
            &bytes,
            &Password::new(UPLOAD_PASSWORD),
            AddMode::Merge,
        )
        .unwrap();
    let spec = KeyPairSpec {
        key_type: KeyType::Rsa2048,
        subject: Subject {
            common_name: "created-in-tenant".into(),
            organization: Some("ACME".into()),
            country: Some("DE".into()),
            ..Subject::default()
        },
        not_before: DEFAULT_NOW,
        not_after: DEFAULT_NOW + Duration::days(730),
    };
    tenant
        .create_key_pair(&admin, &Alias::parse("created").unwrap(), &spec)
        .unwrap();
    tenant
}

#[test]
fn keytool_opens_the_tenant_its_backup_and_the_public_keystore() {
    let Some(keytool) = tool("keytool") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut tenant = tenant(&tmp.path().join("tenant"));
    let password = tenant.passwords().store;
    let list = |file: &Path, store_type: &str, pass: &str| {
        run_ok(
            Command::new(&keytool)
                .args(["-list", "-storetype", store_type, "-keystore"])
                .arg(file)
                .args(["-storepass", pass]),
        )
    };
    let listed = list(&tenant.keystore_path(), "JCEKS", password.secret_str());
    for alias in [
        "client",
        "created",
        "receiver-root",
        SAP_KEY_PAIR_ALIAS,
        "sap_cloudrootca",
    ] {
        assert!(
            listed.contains(&format!("{alias},")),
            "{alias} missing:\n{listed}"
        );
    }
    assert_eq!(listed.matches("PrivateKeyEntry").count(), 3, "{listed}");
    assert_eq!(listed.matches("trustedCertEntry").count(), 4, "{listed}");

    // Converting to PKCS#12 makes keytool decrypt every key with the tenant password.
    let p12 = tmp.path().join("tenant.p12");
    run_ok(
        Command::new(&keytool)
            .args([
                "-importkeystore",
                "-noprompt",
                "-srcstoretype",
                "JCEKS",
                "-srckeystore",
            ])
            .arg(tenant.keystore_path())
            .args([
                "-srcstorepass",
                password.secret_str(),
                "-deststoretype",
                "PKCS12",
            ])
            .arg("-destkeystore")
            .arg(&p12)
            .args(["-deststorepass", OUT_PASSWORD]),
    );
    let converted = Keystore::from_bytes(
        &std::fs::read(&p12).unwrap(),
        &Passwords::new(Password::new(OUT_PASSWORD)),
        "tenant.p12",
    )
    .unwrap();
    assert_eq!(converted.key_pairs().count(), 3);

    let admin = Actor::admin(DEFAULT_NOW);
    tenant.backup(&admin, &Password::new(OUT_PASSWORD)).unwrap();
    let backup = tenant.dir().join(&tenant.backup_record().unwrap().file);
    let listed = list(&backup, "JCEKS", OUT_PASSWORD);
    assert_eq!(listed.matches("PrivateKeyEntry").count(), 2, "{listed}");
    assert!(
        !listed.contains("sap_"),
        "the backup holds Tenant Administrator entries only"
    );

    let public = tenant
        .download_public_keystore(&Actor::developer(DEFAULT_NOW), &Password::new(OUT_PASSWORD))
        .unwrap()
        .write_to(tmp.path())
        .unwrap();
    let listed = list(&public, "JKS", OUT_PASSWORD);
    assert!(!listed.contains("PrivateKeyEntry"), "{listed}");
    for alias in [
        "client,",
        "client_1,",
        "client_2,",
        "created,",
        "sap_cloudintegrationcertificate_2,",
    ] {
        assert!(listed.contains(alias), "{alias} missing:\n{listed}");
    }
}

#[test]
fn openssl_reads_every_p7b_and_cer_download() {
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let tenant = tenant(&tmp.path().join("tenant"));
    let developer = Actor::developer(DEFAULT_NOW);
    let out = tmp.path().join("downloads");
    for alias in ["client", "created", SAP_KEY_PAIR_ALIAS] {
        let p7b = tenant
            .download_chain(&developer, alias)
            .unwrap()
            .write_to(&out)
            .unwrap();
        let printed = run_ok(
            Command::new(&openssl)
                .args(["pkcs7", "-inform", "DER", "-print_certs", "-noout", "-in"])
                .arg(&p7b),
        );
        let expected = if alias == "created" { 1 } else { 3 };
        assert_eq!(
            printed.matches("subject=").count(),
            expected,
            "{alias}:\n{printed}"
        );
        for encoding in [CertEncoding::Pem, CertEncoding::Der] {
            let inform = if encoding == CertEncoding::Pem {
                "PEM"
            } else {
                "DER"
            };
            let root = tenant
                .download_root_ca(&developer, alias, encoding)
                .unwrap()
                .write_to(&out.join(inform))
                .unwrap();
            let cer = tenant
                .download_certificate(&developer, alias, encoding)
                .unwrap()
                .write_to(&out.join(inform))
                .unwrap();
            for file in [&root, &cer] {
                let text = run_ok(
                    Command::new(&openssl)
                        .args([
                            "x509", "-noout", "-subject", "-issuer", "-inform", inform, "-in",
                        ])
                        .arg(file),
                );
                assert!(text.contains("subject="), "{}:\n{text}", file.display());
            }
            let root_text = run_ok(
                Command::new(&openssl)
                    .args([
                        "x509", "-noout", "-subject", "-issuer", "-inform", inform, "-in",
                    ])
                    .arg(&root),
            );
            let mut lines = root_text.lines();
            let subject = lines.next().unwrap().trim_start_matches("subject=");
            let issuer = lines.next().unwrap().trim_start_matches("issuer=");
            assert_eq!(subject, issuer, "`{alias}_rootCA.cer` is self-signed");
        }
    }
    let cer = tenant
        .download_certificate(&developer, "receiver-root", CertEncoding::Der)
        .unwrap()
        .write_to(&out)
        .unwrap();
    run_ok(
        Command::new(&openssl)
            .args(["x509", "-noout", "-inform", "DER", "-in"])
            .arg(&cer),
    );
}

/// Eight `harness tenant add-keystore` processes at once on one tenant, twenty rounds: the
/// tenant lock serialises them, so every upload is present afterwards, every process exits 0,
/// the tenant reopens and keytool opens its keystore.
#[test]
fn concurrent_add_keystore_processes_lose_no_upload() {
    const PROCESSES: usize = 8;
    const ROUNDS: usize = 20;
    let Some(keytool) = tool("keytool") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tenant");
    let admin = Actor::admin(DEFAULT_NOW);
    drop(Tenant::create(&dir, &TenantSpec::new(13), &admin, false).unwrap());
    let world = World::generate(&WorldSpec::new(13)).unwrap();
    let cert = world.get(PkiRole::ReceiverRoot).cert().clone();
    let password_file = tmp.path().join("upload.pass");
    std::fs::write(&password_file, UPLOAD_PASSWORD).unwrap();
    let mut uploads = Vec::new();
    for p in 0..PROCESSES {
        for r in 0..ROUNDS {
            let alias = format!("r{r:02}-p{p}");
            let mut upload = Keystore::new(Format::Jks);
            upload
                .insert(Entry {
                    alias: alias.clone(),
                    created: DEFAULT_NOW,
                    kind: EntryKind::TrustedCertificate(cert.clone()),
                })
                .unwrap();
            let bytes = upload
                .to_bytes(Format::Jks, &Passwords::new(Password::new(UPLOAD_PASSWORD)))
                .unwrap();
            let file = tmp.path().join(format!("{alias}.jks"));
            std::fs::write(&file, bytes).unwrap();
            uploads.push((alias, file));
        }
    }
    let harness = tests::bin("harness");
    for r in 0..ROUNDS {
        let children: Vec<_> = (0..PROCESSES)
            .map(|p| {
                let file = &uploads[p * ROUNDS + r].1;
                Command::new(&harness)
                    .args(["tenant", "--tenant"])
                    .arg(&dir)
                    .arg("add-keystore")
                    .arg(file)
                    .arg("--password-file")
                    .arg(&password_file)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("the harness binary runs (build it with `cargo build -p harness`)")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {r}: add-keystore exited {}:\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let tenant = Tenant::open(&dir).unwrap();
    for (alias, _) in &uploads {
        assert!(tenant.record(alias).is_some(), "upload `{alias}` was lost");
    }
    assert_eq!(tenant.generation(), (PROCESSES * ROUNDS) as u64);
    let listed = run_ok(
        Command::new(&keytool)
            .args(["-list", "-storetype", "JCEKS", "-keystore"])
            .arg(tenant.keystore_path())
            .args(["-storepass", tenant.passwords().store.secret_str()]),
    );
    for (alias, _) in &uploads {
        assert!(listed.contains(&format!("{alias},")), "{alias}:\n{listed}");
    }
    // Clean-up left exactly the files the committed `tenant.json` names.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jceks") || n.starts_with(".harness-tmp-"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [tenant
            .keystore_path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()]
    );
}
