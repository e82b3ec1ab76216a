//! JKS and JCEKS against the real keytool (JDK 17) and OpenSSL, both ways:
//!
//! - stores keytool makes (key pairs imported from OpenSSL PKCS#12 files of our PKI, keytool's
//!   own RSA and EC key pairs, trusted certificates, many entries, non-ASCII aliases and
//!   passwords) read with the alias, entry type, creation date and chain fingerprints that
//!   `keytool -list -v` prints, and every key unseals to the key of its leaf certificate;
//! - stores we write list identically in `keytool -list -v`, and their keys survive
//!   `keytool -importkeystore` to PKCS#12 and `openssl pkcs12 -nodes`.
//!
//! keytool starts a JVM per call (about 0.5 s), so each test batches its work into a few calls.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::cert::fingerprint_sha256;
use harness::keystore::{
    Entry, EntryKind, ErrorKind, Format, KeyMaterial, Keystore, Passwords, WriteOptions,
};
use harness::pki::{KeyType, Role, World, WorldSpec, write_dir};
use harness::secret::{Password, PrivateKey};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use tests::{run, run_ok, tool};
use time::OffsetDateTime;
use time::macros::{datetime, format_description};

/// An entry as `keytool -list -v` shows it.
#[derive(Debug, PartialEq, Eq)]
struct Listed {
    kind: String,
    date: String,
    sha256: Vec<String>,
}

fn keytool(path: &Path) -> Command {
    let mut cmd = Command::new(path);
    // A UTF-8 locale so non-ASCII aliases and passwords cross argv and stdout intact; UTC and
    // English so "Creation date" is comparable.
    cmd.env("LC_ALL", "C.UTF-8")
        .env("TZ", "UTC")
        .args(["-J-Duser.language=en", "-J-Duser.country=US"]);
    cmd
}

fn store_type(format: Format) -> &'static str {
    match format {
        Format::Jks => "JKS",
        _ => "JCEKS",
    }
}

/// Parses `keytool -list -v`: per alias, the entry type, creation date and SHA-256 lines.
fn parse_listing(text: &str) -> BTreeMap<String, Listed> {
    let mut out = BTreeMap::new();
    for chunk in text.split("Alias name: ").skip(1) {
        let alias = chunk.lines().next().unwrap().to_owned();
        let field = |name: &str| {
            chunk
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_default()
                .to_owned()
        };
        let sha256 = chunk
            .lines()
            .filter_map(|l| l.trim().strip_prefix("SHA256: "))
            .map(str::to_owned)
            .collect();
        out.insert(
            alias,
            Listed {
                kind: field("Entry type: "),
                date: field("Creation date: "),
                sha256,
            },
        );
    }
    out
}

fn list(
    keytool_path: &Path,
    store: &Path,
    format: Format,
    password: &str,
) -> BTreeMap<String, Listed> {
    let text = run_ok(
        keytool(keytool_path)
            .args(["-list", "-v", "-storetype", store_type(format), "-keystore"])
            .arg(store)
            .args(["-storepass", password]),
    );
    parse_listing(&text)
}

/// Our reading of a store, in keytool's terms.
fn ours(store: &Keystore) -> BTreeMap<String, Listed> {
    let date = format_description!("[month repr:short] [day padding:none], [year]");
    store
        .entries()
        .iter()
        .map(|e| {
            let certs: Vec<&[u8]> = match &e.kind {
                EntryKind::TrustedCertificate(c) => vec![c.as_ref()],
                EntryKind::KeyPair { chain, .. } => chain.iter().map(|c| c.as_ref()).collect(),
                EntryKind::SecretKey { .. } => Vec::new(),
            };
            (
                e.alias.clone(),
                Listed {
                    kind: e.kind.type_name().to_owned(),
                    date: e.created.format(&date).unwrap(),
                    sha256: certs.iter().map(|c| fingerprint_sha256(c)).collect(),
                },
            )
        })
        .collect()
}

/// The SubjectPublicKeyInfo a PKCS#8 key implies (aws-lc-rs computes it when the PKCS#8
/// omits it, as keytool's EC keys do).
fn spki_of_key(key: &PrivateKey) -> Vec<u8> {
    let der = PrivateKeyDer::Pkcs8(key.secret_pkcs8_der().to_vec().into());
    let signer = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der).unwrap();
    signer.public_key().unwrap().to_vec()
}

fn spki_of_cert(der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.public_key().raw.to_vec()
}

fn world(seed: u64, key_type: KeyType, dir: &Path) -> (World, PathBuf) {
    let world = World::generate(&WorldSpec::new(seed).key_type(key_type)).unwrap();
    let pki = dir.join(format!("pki-{seed}"));
    write_dir(&world, &pki, false).unwrap();
    (world, pki)
}

#[test]
fn keytool_made_stores_read_identically_and_keys_unseal() {
    let (Some(keytool_path), Some(openssl)) = (tool("keytool"), tool("openssl")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ec_world, ec_pki) = world(41, KeyType::P256, d);
    let (rsa_world, rsa_pki) = world(42, KeyType::Rsa2048, d);
    // keytool converts a whole store only when every key opens with the store password, so
    // both start as `key-pass` and get their non-ASCII store passwords at the end.
    let start = "key-pass";
    let jks = d.join("keytool.jks");

    // Key pairs with chains: OpenSSL PKCS#12 from our PKI, imported by keytool.
    for (pki, role, name) in [
        (&ec_pki, Role::Client, "Client-\u{41a}\u{43b}\u{44e}\u{447}"),
        (&rsa_pki, Role::Server, "Server RSA"),
    ] {
        let p12 = d.join(format!("{}.p12", role.name()));
        run_ok(
            Command::new(&openssl)
                .args([
                    "pkcs12",
                    "-export",
                    "-passout",
                    "pass:p12pass",
                    "-name",
                    name,
                ])
                .arg("-inkey")
                .arg(pki.join(format!("{}.key.pem", role.name())))
                .arg("-in")
                .arg(pki.join(format!("{}.fullchain.pem", role.name())))
                .arg("-out")
                .arg(&p12),
        );
        run_ok(
            keytool(&keytool_path)
                .args(["-importkeystore", "-noprompt", "-srcstoretype", "PKCS12"])
                .arg("-srckeystore")
                .arg(&p12)
                .args(["-srcstorepass", "p12pass", "-deststoretype", "JKS"])
                .arg("-destkeystore")
                .arg(&jks)
                .args(["-deststorepass", start, "-destkeypass", start]),
        );
    }
    // keytool's own key pairs.
    for (alias, args) in [
        (
            "RSA-Schl\u{fc}ssel",
            &["-keyalg", "RSA", "-keysize", "2048"][..],
        ),
        ("ec-p384", &["-keyalg", "EC", "-groupname", "secp384r1"][..]),
    ] {
        run_ok(
            keytool(&keytool_path)
                .args(["-genkeypair", "-noprompt", "-storetype", "JKS", "-keystore"])
                .arg(&jks)
                .args(["-storepass", start, "-keypass", start, "-alias", alias])
                .args(["-dname", "CN=keytool, O=Harness"])
                .args(args),
        );
    }
    run_ok(
        keytool(&keytool_path)
            .args(["-importcert", "-noprompt", "-storetype", "JKS", "-keystore"])
            .arg(&jks)
            .args([
                "-storepass",
                start,
                "-alias",
                "Empf\u{e4}nger-Wurzel",
                "-file",
            ])
            .arg(rsa_pki.join("receiver-root.cert.pem")),
    );
    // Many entries: 150 trusted certificates, copied in by keytool from a store we wrote.
    let mut many = Keystore::new(Format::Jks);
    let certs: Vec<_> = ec_world
        .iter()
        .chain(rsa_world.iter())
        .map(|(_, issued)| issued.cert().clone())
        .collect();
    for i in 0..150 {
        many.insert(Entry {
            alias: format!("trusted-{i:03}-\u{e9}"),
            created: datetime!(2026-01-02 03:04:05.678 UTC),
            kind: EntryKind::TrustedCertificate(certs[i % certs.len()].clone()),
        })
        .unwrap();
    }
    let many_path = d.join("many.jks");
    many.write_file(
        &many_path,
        Format::Jks,
        &Passwords::new(Password::new("many")),
    )
    .unwrap();
    run_ok(
        keytool(&keytool_path)
            .args([
                "-importkeystore",
                "-noprompt",
                "-srcstoretype",
                "JKS",
                "-srckeystore",
            ])
            .arg(&many_path)
            .args([
                "-srcstorepass",
                "many",
                "-deststoretype",
                "JKS",
                "-destkeystore",
            ])
            .arg(&jks)
            .args(["-deststorepass", start]),
    );
    // JCEKS: the whole store converted by keytool (keys keep the ASCII key password; Java's
    // PBEKey refuses others).
    let jceks = d.join("keytool.jceks");
    run_ok(
        keytool(&keytool_path)
            .args([
                "-importkeystore",
                "-noprompt",
                "-srcstoretype",
                "JKS",
                "-srckeystore",
            ])
            .arg(&jks)
            .args([
                "-srcstorepass",
                start,
                "-deststoretype",
                "JCEKS",
                "-destkeystore",
            ])
            .arg(&jceks)
            .args(["-deststorepass", start]),
    );
    let jks_pass = "p\u{e4}ssw\u{f6}rd-\u{3a9}";
    let jceks_pass = "p\u{e4}sswort-\u{3a9}";
    for (path, format, password) in [
        (&jks, Format::Jks, jks_pass),
        (&jceks, Format::Jceks, jceks_pass),
    ] {
        run_ok(
            keytool(&keytool_path)
                .args([
                    "-storepasswd",
                    "-storetype",
                    store_type(format),
                    "-keystore",
                ])
                .arg(path)
                .args(["-storepass", start, "-new", password]),
        );
    }

    for (path, format, store_pass, key_pass) in [
        (&jks, Format::Jks, jks_pass, start),
        (&jceks, Format::Jceks, jceks_pass, start),
    ] {
        let listed = list(&keytool_path, path, format, store_pass);
        assert_eq!(
            listed.len(),
            155,
            "{format}: keytool lists {}",
            listed.len()
        );
        let mut passwords = Passwords::new(Password::new(store_pass));
        for alias in listed.keys() {
            passwords = passwords.with_key(alias, Password::new(key_pass));
        }
        let store = Keystore::read_file(path, &passwords).unwrap();
        assert_eq!(store.format(), format);
        assert_eq!(ours(&store), listed, "{format}");
        let mut keys = 0;
        for (alias, key, chain) in store.key_pairs() {
            assert!(
                key.is_sealed(),
                "{format} `{alias}` stays sealed until used"
            );
            let plain = key.unlock(passwords.key_for(alias), alias).unwrap();
            assert_eq!(
                spki_of_key(&plain),
                spki_of_cert(&chain[0]),
                "{format} `{alias}`"
            );
            keys += 1;
        }
        assert_eq!(keys, 4, "{format}");
        // The imported chains are our PKI's, byte for byte.
        let client = store.get("client-\u{43a}\u{43b}\u{44e}\u{447}").unwrap();
        let EntryKind::KeyPair { chain, .. } = &client.kind else {
            panic!("client is not a key pair");
        };
        assert_eq!(chain, &ec_world.get(Role::Client).full_chain());
        let wrong =
            Keystore::read_file(path, &Passwords::new(Password::new("changeit"))).unwrap_err();
        assert!(matches!(
            wrong.kind,
            ErrorKind::WrongPassword {
                integrity_only: true
            }
        ));
    }
}

/// The key pairs and trusted certificates our written stores hold.
fn our_store(ec: &World, rsa: &World) -> Keystore {
    let created = datetime!(2026-03-04 05:06:07.089 UTC);
    let key_pair = |alias: &str, world: &World, role: Role, full: bool| Entry {
        alias: alias.to_owned(),
        created,
        kind: EntryKind::KeyPair {
            key: KeyMaterial::plain(world.get(role).key().private_key().clone()),
            chain: if full {
                world.get(role).full_chain()
            } else {
                world.get(role).chain()
            },
        },
    };
    let trusted = |alias: &str, world: &World, role: Role| Entry {
        alias: alias.to_owned(),
        created: created + time::Duration::milliseconds(1),
        kind: EntryKind::TrustedCertificate(world.get(role).cert().clone()),
    };
    let mut store = Keystore::new(Format::Jks);
    for entry in [
        key_pair("Client-\u{1f511}", ec, Role::Client, true),
        key_pair("server-rsa", rsa, Role::Server, true),
        key_pair("client2-rsa", rsa, Role::Client2, false),
        trusted("receiver-root", ec, Role::ReceiverRoot),
        trusted("Wurzel-\u{3a9}", rsa, Role::ReceiverRoot),
        trusted("unrelated-root", ec, Role::UnrelatedRoot),
        trusted("self-signed", rsa, Role::ServerSelfSigned),
    ] {
        store.insert(entry).unwrap();
    }
    store
}

/// `openssl pkcs12 -nodes` output: private key by friendlyName.
fn openssl_keys(text: &str) -> BTreeMap<String, PrivateKey> {
    let mut out = BTreeMap::new();
    let mut name = None;
    let mut pem = String::new();
    for line in text.lines() {
        if let Some(n) = line.trim().strip_prefix("friendlyName: ") {
            name = Some(n.to_owned());
        } else if line == "-----BEGIN PRIVATE KEY-----" {
            pem = format!("{line}\n");
        } else if !pem.is_empty() {
            pem.push_str(line);
            pem.push('\n');
            if line == "-----END PRIVATE KEY-----" {
                let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
                    .unwrap()
                    .secret_der()
                    .to_vec();
                out.insert(name.clone().unwrap(), PrivateKey::from_pkcs8_der(der));
                pem.clear();
            }
        }
    }
    out
}

#[test]
fn stores_we_write_list_identically_in_keytool_and_their_keys_work() {
    let (Some(keytool_path), Some(openssl)) = (tool("keytool"), tool("openssl")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ec = World::generate(&WorldSpec::new(7)).unwrap();
    let rsa = World::generate(&WorldSpec::new(8).key_type(KeyType::Rsa2048)).unwrap();
    let store = our_store(&ec, &rsa);
    let originals: BTreeMap<String, Vec<u8>> = store
        .key_pairs()
        .map(|(alias, key, _)| (alias.to_owned(), spki_of_key(key.plain_key().unwrap())))
        .collect();

    // JKS with a non-ASCII password for store and keys (the JKS protector uses UTF-16);
    // JCEKS with an ASCII password for store and keys, so keytool can convert the whole store.
    for (format, password) in [
        (Format::Jks, "p\u{e4}ssw\u{f6}rd-\u{3a9}"),
        (Format::Jceks, "ch@nge it!"),
    ] {
        let path = d.join(format!("ours.{}", format.name()));
        let passwords = Passwords::new(Password::new(password));
        store.write_file(&path, format, &passwords).unwrap();
        let listed = list(&keytool_path, &path, format, password);
        let read_back = Keystore::read_file(&path, &passwords).unwrap();
        assert_eq!(listed, ours(&read_back), "{format}");
        assert_eq!(ours(&read_back), ours(&store.convert(format).unwrap()));
        assert!(listed.contains_key("client-\u{1f511}"));

        let p12 = d.join(format!("ours-{}.p12", format.name()));
        run_ok(
            keytool(&keytool_path)
                .args([
                    "-importkeystore",
                    "-noprompt",
                    "-srcstoretype",
                    store_type(format),
                ])
                .arg("-srckeystore")
                .arg(&path)
                .args(["-srcstorepass", password, "-deststoretype", "PKCS12"])
                .arg("-destkeystore")
                .arg(&p12)
                .args(["-deststorepass", "p12pass"]),
        );
        let text = run_ok(
            Command::new(&openssl)
                .args(["pkcs12", "-nodes", "-passin", "pass:p12pass", "-in"])
                .arg(&p12),
        );
        // openssl prints a friendlyName outside the BMP garbled, so keys are matched by
        // their public keys, not by name.
        let mut extracted: Vec<Vec<u8>> = openssl_keys(&text).values().map(spki_of_key).collect();
        let mut expected: Vec<Vec<u8>> = originals.values().cloned().collect();
        extracted.sort();
        expected.sort();
        assert_eq!(
            extracted, expected,
            "{format}: openssl extracts the keys we wrote"
        );
    }

    // Per-key passwords and a non-ASCII JCEKS store password: keytool recovers the key with
    // -srckeypass, and refuses a wrong store password as tampering.
    let path = d.join("per-key.jceks");
    let store_pass = "Gr\u{fc}\u{df}e-\u{3a9}";
    let passwords = Passwords::new(Password::new(store_pass))
        .with_key("server-rsa", Password::new("server key"))
        .with_key("client-\u{1f511}", Password::new("client key"))
        .with_key("client2-rsa", Password::new("client2 key"));
    // Sealed with 1,000 iterations (`jdk.jceks.iterationCount`, as `scenarios run
    // --jceks-iterations` writes): keytool opens it and recovers the key all the same (the
    // loop above covers JDK 17's default 200,000).
    let low = WriteOptions::default().jceks_iterations(1000);
    store
        .write_file_with(&path, Format::Jceks, &passwords, &low)
        .unwrap();
    let p12 = d.join("per-key.p12");
    run_ok(
        keytool(&keytool_path)
            .args([
                "-importkeystore",
                "-noprompt",
                "-srcstoretype",
                "JCEKS",
                "-srckeystore",
            ])
            .arg(&path)
            .args(["-srcstorepass", store_pass, "-srcalias", "server-rsa"])
            .args(["-srckeypass", "server key", "-deststoretype", "PKCS12"])
            .arg("-destkeystore")
            .arg(&p12)
            .args(["-deststorepass", "p12pass"]),
    );
    let text = run_ok(
        Command::new(&openssl)
            .args(["pkcs12", "-nodes", "-passin", "pass:p12pass", "-in"])
            .arg(&p12),
    );
    let keys = openssl_keys(&text);
    assert_eq!(spki_of_key(&keys["server-rsa"]), originals["server-rsa"]);
    let wrong = run(keytool(&keytool_path)
        .args(["-list", "-storetype", "JCEKS", "-keystore"])
        .arg(&path)
        .args(["-storepass", "Gr\u{fc}\u{df}e-\u{3a9}x"]));
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stdout).into_owned()
        + &String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("Keystore was tampered with, or password was incorrect"),
        "{said}"
    );
}

/// Creation dates keep their milliseconds through a write and a read.
#[test]
fn creation_dates_round_trip_to_the_millisecond() {
    let ec = World::generate(&WorldSpec::new(7)).unwrap();
    let mut store = Keystore::new(Format::Jks);
    let created: OffsetDateTime = datetime!(1969-12-31 23:59:59.999 UTC);
    store
        .insert(Entry {
            alias: "old".into(),
            created,
            kind: EntryKind::TrustedCertificate(ec.get(Role::ReceiverRoot).cert().clone()),
        })
        .unwrap();
    let passwords = Passwords::new(Password::new("x"));
    let bytes = store.to_bytes(Format::Jks, &passwords).unwrap();
    let back = Keystore::from_bytes(&bytes, &passwords, "<memory>").unwrap();
    assert_eq!(back.entries()[0].created, created);
}
