//! PKCS#12 and `.p7b` both ways with the real keytool (JDK 17) and OpenSSL 3.
//!
//! Findings pinned here:
//! - JDK 17's keytool refuses non-ASCII passwords for PKCS#12 ("Password is not ASCII":
//!   PBES2's PBKDF2 key in SunJCE takes ASCII only), so non-ASCII passwords are exchanged with
//!   OpenSSL only; non-ASCII aliases go both ways.
//! - keytool lists PKCS#12 aliases lower-cased; the file (and we) keep the friendlyName's case.
//!   Aliases are therefore compared case-insensitively.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::cert::{CertInfo, certs_to_pem};
use harness::keystore::{
    Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords, Pkcs12Profile, encode_p7b,
    read_certificates,
};
use harness::pki::{KeyType, Role, World, WorldSpec};
use harness::secret::Password;
use rustls_pki_types::CertificateDer;
use tests::{run_ok, tool};

/// What a listing says about one entry: (lower-case alias) -> (type, SHA-256 of each chain
/// certificate, leaf first).
type Listing = BTreeMap<String, (String, Vec<String>)>;

const ASCII_PASSWORD: &str = "changeit-Interop1";
const NON_ASCII_PASSWORD: &str = "pässwörd-ü€";

fn ours(store: &Keystore) -> Listing {
    store
        .entries()
        .iter()
        .map(|e| {
            let certs: Vec<CertificateDer<'static>> = match &e.kind {
                EntryKind::TrustedCertificate(c) => vec![c.clone()],
                EntryKind::KeyPair { chain, .. } => chain.clone(),
                EntryKind::SecretKey { .. } => vec![],
            };
            let prints = certs
                .iter()
                .map(|c| CertInfo::from_der(c).unwrap().sha256)
                .collect();
            (
                e.alias.to_lowercase(),
                (e.kind.type_name().to_owned(), prints),
            )
        })
        .collect()
}

/// Parses `keytool -list -v` (English locale).
fn keytool_listing(text: &str) -> Listing {
    let mut out = Listing::new();
    for block in text.split("*******************************************") {
        let Some(alias) = block.lines().find_map(|l| l.strip_prefix("Alias name: ")) else {
            continue;
        };
        let kind = block
            .lines()
            .find_map(|l| l.strip_prefix("Entry type: "))
            .unwrap_or("?")
            .to_owned();
        let prints = block
            .lines()
            .filter_map(|l| l.trim().strip_prefix("SHA256: "))
            .map(str::to_owned)
            .collect();
        out.insert(alias.to_lowercase(), (kind, prints));
    }
    out
}

fn keytool_cmd(keytool: &Path) -> Command {
    let mut cmd = Command::new(keytool);
    cmd.env("LC_ALL", "C.UTF-8")
        .args(["-J-Duser.language=en", "-J-Duser.country=US"]);
    cmd
}

fn openssl_cmd(openssl: &Path) -> Command {
    Command::new(openssl)
}

struct Worlds {
    ec: World,
    rsa: World,
    dir: tempfile::TempDir,
}

impl Worlds {
    fn new() -> Self {
        let ec = World::generate(&WorldSpec::new(21)).unwrap();
        let rsa = World::generate(&WorldSpec::new(21).key_type(KeyType::Rsa2048)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        harness::pki::write_dir(&ec, &dir.path().join("ec"), false).unwrap();
        harness::pki::write_dir(&rsa, &dir.path().join("rsa"), false).unwrap();
        Self { ec, rsa, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn key_pair(alias: &str, world: &World, role: Role) -> Entry {
    let issued = world.get(role);
    Entry {
        alias: alias.to_owned(),
        created: time::OffsetDateTime::UNIX_EPOCH,
        kind: EntryKind::KeyPair {
            key: KeyMaterial::plain(issued.key().private_key().clone()),
            chain: issued.full_chain(),
        },
    }
}

fn trusted(alias: &str, world: &World, role: Role) -> Entry {
    Entry {
        alias: alias.to_owned(),
        created: time::OffsetDateTime::UNIX_EPOCH,
        kind: EntryKind::TrustedCertificate(world.get(role).cert().clone()),
    }
}

/// The key in `pem` re-encoded by `openssl pkey` (OpenSSL's canonical PKCS#8 DER), so two
/// encodings of one key compare equal.
fn canonical_key(openssl: &Path, pem: &[u8], dir: &Path, name: &str) -> Vec<u8> {
    let input = dir.join(format!("{name}.in.pem"));
    let output = dir.join(format!("{name}.out.der"));
    std::fs::write(&input, pem).unwrap();
    run_ok(
        openssl_cmd(openssl)
            .args(["pkey", "-outform", "DER", "-in"])
            .arg(&input)
            .arg("-out")
            .arg(&output),
    );
    std::fs::read(output).unwrap()
}

#[test]
fn pkcs12_from_keytool_and_openssl_reads_with_identical_content() {
    let (Some(keytool), Some(openssl)) = (tool("keytool"), tool("openssl")) else {
        return;
    };
    let w = Worlds::new();
    // OpenSSL exports (each form), with a non-ASCII password and a non-ASCII alias.
    let forms: [(&str, &[&str]); 4] = [
        ("openssl-default.p12", &[]),
        ("openssl-legacy.p12", &["-legacy"]),
        ("openssl-plain-certs.p12", &["-certpbe", "NONE"]),
        (
            "openssl-plain.p12",
            &["-certpbe", "NONE", "-keypbe", "NONE"],
        ),
    ];
    for (world, sub) in [(&w.ec, "ec"), (&w.rsa, "rsa")] {
        for (name, flags) in forms {
            let out = w.path(&format!("{sub}-{name}"));
            run_ok(
                openssl_cmd(&openssl)
                    .args([
                        "pkcs12",
                        "-export",
                        "-name",
                        "clïent-ÄÖ",
                        "-passout",
                        "env:PW",
                    ])
                    .args(flags)
                    .arg("-inkey")
                    .arg(w.path(&format!("{sub}/client.key.pem")))
                    .arg("-in")
                    .arg(w.path(&format!("{sub}/client.fullchain.pem")))
                    .arg("-out")
                    .arg(&out)
                    .env("PW", NON_ASCII_PASSWORD),
            );
            let store =
                Keystore::read_file(&out, &Passwords::new(NON_ASCII_PASSWORD.into())).unwrap();
            assert_eq!(store.format(), Format::Pkcs12);
            let [entry] = store.entries() else {
                panic!("{sub}-{name}: one entry, got {:?}", ours(&store))
            };
            assert_eq!(entry.alias, "clïent-ÄÖ", "{sub}-{name}: case kept");
            let EntryKind::KeyPair { key, chain } = &entry.kind else {
                panic!("{sub}-{name}: key pair");
            };
            assert_eq!(chain, &world.get(Role::Client).full_chain(), "{sub}-{name}");
            assert_eq!(
                canonical_key(
                    &openssl,
                    key.plain_key().unwrap().secret_pkcs8_pem().as_bytes(),
                    w.dir.path(),
                    "ours"
                ),
                canonical_key(
                    &openssl,
                    world
                        .get(Role::Client)
                        .key()
                        .private_key()
                        .secret_pkcs8_pem()
                        .as_bytes(),
                    w.dir.path(),
                    "orig"
                ),
                "{sub}-{name}: same key"
            );
            let wrong = Keystore::read_file(&out, &Passwords::new("wrong".into())).unwrap_err();
            assert!(
                matches!(
                    wrong.kind,
                    harness::keystore::ErrorKind::WrongPassword {
                        integrity_only: false
                    }
                ),
                "{sub}-{name}: {wrong}"
            );
        }
    }
    // A trust bundle without keys (`-nokeys`): every certificate is a trusted entry.
    let bundle = w.path("openssl-nokeys.p12");
    run_ok(
        openssl_cmd(&openssl)
            .args(["pkcs12", "-export", "-nokeys", "-passout", "pass:x", "-in"])
            .arg(w.path("ec/server.fullchain.pem"))
            .arg("-out")
            .arg(&bundle),
    );
    let store = Keystore::read_file(&bundle, &Passwords::new("x".into())).unwrap();
    assert_eq!(store.trusted_certificates().count(), 3);

    // keytool: import both OpenSSL key pairs (chain 3) and a trusted certificate, into one
    // PKCS#12 with non-ASCII aliases, then list it.
    let kt = w.path("keytool.p12");
    for (sub, alias) in [("ec", "clïent-ec"), ("rsa", "Sërver-RSA")] {
        let src = w.path(&format!("{sub}-ascii.p12"));
        run_ok(
            openssl_cmd(&openssl)
                .args([
                    "pkcs12", "-export", "-name", "src", "-passout", "env:PW", "-inkey",
                ])
                .arg(w.path(&format!("{sub}/client.key.pem")))
                .arg("-in")
                .arg(w.path(&format!("{sub}/client.fullchain.pem")))
                .arg("-out")
                .arg(&src)
                .env("PW", ASCII_PASSWORD),
        );
        run_ok(
            keytool_cmd(&keytool)
                .args(["-importkeystore", "-noprompt", "-srcstoretype", "PKCS12"])
                .args(["-srcstorepass:env", "PW", "-deststorepass:env", "PW"])
                .args([
                    "-srcalias",
                    "src",
                    "-destalias",
                    alias,
                    "-deststoretype",
                    "PKCS12",
                ])
                .arg("-srckeystore")
                .arg(&src)
                .arg("-destkeystore")
                .arg(&kt)
                .env("PW", ASCII_PASSWORD),
        );
    }
    run_ok(
        keytool_cmd(&keytool)
            .args([
                "-importcert",
                "-noprompt",
                "-alias",
                "empfänger-root",
                "-storepass:env",
                "PW",
            ])
            .arg("-file")
            .arg(w.path("ec/receiver-root.cert.der"))
            .arg("-keystore")
            .arg(&kt)
            .env("PW", ASCII_PASSWORD),
    );
    run_ok(
        keytool_cmd(&keytool)
            .args([
                "-genseckey",
                "-keyalg",
                "AES",
                "-keysize",
                "128",
                "-alias",
                "sëcret",
            ])
            .args(["-storepass:env", "PW", "-keystore"])
            .arg(&kt)
            .env("PW", ASCII_PASSWORD),
    );
    let listed = run_ok(
        keytool_cmd(&keytool)
            .args(["-list", "-v", "-storepass:env", "PW", "-keystore"])
            .arg(&kt)
            .env("PW", ASCII_PASSWORD),
    );
    let store = Keystore::read_file(&kt, &Passwords::new(ASCII_PASSWORD.into())).unwrap();
    let expected = keytool_listing(&listed);
    assert_eq!(expected.len(), 4, "{listed}");
    assert_eq!(ours(&store), expected);
    let secret = store.get("sëcret").unwrap();
    assert!(matches!(&secret.kind, EntryKind::SecretKey { algorithm } if algorithm == "AES"));
    let rsa_key = store.get("sërver-rsa").unwrap();
    let EntryKind::KeyPair { key, .. } = &rsa_key.kind else {
        panic!("key pair")
    };
    assert_eq!(
        canonical_key(
            &openssl,
            key.plain_key().unwrap().secret_pkcs8_pem().as_bytes(),
            w.dir.path(),
            "kt-ours"
        ),
        canonical_key(
            &openssl,
            w.rsa
                .get(Role::Client)
                .key()
                .private_key()
                .secret_pkcs8_pem()
                .as_bytes(),
            w.dir.path(),
            "kt-orig"
        ),
    );
}

#[test]
fn pkcs12_we_write_is_listed_by_keytool_and_openssl_extracts_the_keys() {
    let (Some(keytool), Some(openssl)) = (tool("keytool"), tool("openssl")) else {
        return;
    };
    let w = Worlds::new();
    let mut store = Keystore::new(Format::Pkcs12);
    store
        .insert(key_pair("Tenant-EC", &w.ec, Role::Client))
        .unwrap();
    store
        .insert(key_pair("sërver-rsa", &w.rsa, Role::Server))
        .unwrap();
    store
        .insert(trusted("empfänger-root", &w.ec, Role::ReceiverRoot))
        .unwrap();
    store
        .insert(trusted("self-signed", &w.rsa, Role::ServerSelfSigned))
        .unwrap();
    let passwords = Passwords::new(ASCII_PASSWORD.into());
    let mut listings = String::new();
    for (name, profile) in [
        ("jdk17.p12", Pkcs12Profile::Jdk17),
        ("legacy.p12", Pkcs12Profile::Legacy),
    ] {
        let path = w.path(name);
        std::fs::write(&path, store.to_pkcs12(&passwords, profile).unwrap()).unwrap();
        let listed = run_ok(
            keytool_cmd(&keytool)
                .args([
                    "-list",
                    "-v",
                    "-storetype",
                    "PKCS12",
                    "-storepass:env",
                    "PW",
                    "-keystore",
                ])
                .arg(&path)
                .env("PW", ASCII_PASSWORD),
        );
        assert_eq!(keytool_listing(&listed), ours(&store), "{name}:\n{listed}");
        listings.push_str(&listed);

        // OpenSSL extracts the same keys (compared after OpenSSL's own re-encoding).
        let extracted = run_ok(
            openssl_cmd(&openssl)
                .args(["pkcs12", "-nodes", "-nocerts", "-passin", "env:PW", "-in"])
                .arg(&path)
                .env("PW", ASCII_PASSWORD),
        );
        let keys: Vec<Vec<u8>> = pem_blocks(&extracted, "PRIVATE KEY")
            .iter()
            .enumerate()
            .map(|(i, block)| {
                canonical_key(&openssl, block.as_bytes(), w.dir.path(), &format!("x{i}"))
            })
            .collect();
        for (world, role) in [(&w.ec, Role::Client), (&w.rsa, Role::Server)] {
            let original = canonical_key(
                &openssl,
                world
                    .get(role)
                    .key()
                    .private_key()
                    .secret_pkcs8_pem()
                    .as_bytes(),
                w.dir.path(),
                "orig",
            );
            assert!(
                keys.contains(&original),
                "{name}: OpenSSL extracts the {role} key"
            );
        }
    }
    // A non-ASCII password: OpenSSL opens what we write (keytool 17 cannot; see module docs).
    let path = w.path("non-ascii.p12");
    let non_ascii = Passwords::new(Password::new(NON_ASCII_PASSWORD));
    std::fs::write(&path, store.to_bytes(Format::Pkcs12, &non_ascii).unwrap()).unwrap();
    let certs = run_ok(
        openssl_cmd(&openssl)
            .args(["pkcs12", "-nokeys", "-passin", "env:PW", "-in"])
            .arg(&path)
            .env("PW", NON_ASCII_PASSWORD),
    );
    assert_eq!(pem_blocks(&certs, "CERTIFICATE").len(), 8);
}

#[test]
fn p7b_opens_in_openssl_and_keytool() {
    let (Some(keytool), Some(openssl)) = (tool("keytool"), tool("openssl")) else {
        return;
    };
    let w = Worlds::new();
    let chain = w.rsa.get(Role::ServerTwoIntermediates).full_chain();
    for (name, pem) in [("chain.p7b", false), ("chain.pem.p7b", true)] {
        let path = w.path(name);
        std::fs::write(&path, encode_p7b(&chain, pem).unwrap()).unwrap();
        let inform = if pem { "PEM" } else { "DER" };
        let printed = run_ok(
            openssl_cmd(&openssl)
                .args(["pkcs7", "-print_certs", "-inform", inform, "-in"])
                .arg(&path),
        );
        let mut from_openssl: Vec<String> = pem_blocks(&printed, "CERTIFICATE");
        let mut expected: Vec<String> = chain
            .iter()
            .map(|c| certs_to_pem(std::slice::from_ref(c)))
            .collect();
        from_openssl.sort();
        expected.sort();
        assert_eq!(from_openssl, expected, "{name}");

        let printed = run_ok(
            keytool_cmd(&keytool)
                .arg("-printcert")
                .arg("-file")
                .arg(&path),
        );
        for cert in &chain {
            let sha = CertInfo::from_der(cert).unwrap().sha256;
            assert!(
                printed.contains(&sha),
                "{name}: keytool shows {sha}\n{printed}"
            );
        }
        assert_eq!(
            read_certificates(&path, &Passwords::new("".into())).unwrap(),
            chain,
            "{name}: leaf first"
        );
    }
    // And a .p7b that OpenSSL writes (leaf first in the file) reads back as the same chain.
    let theirs = w.path("openssl.p7b");
    let fullchain = w.path("rsa/server-two-intermediates.fullchain.pem");
    run_ok(
        openssl_cmd(&openssl)
            .args(["crl2pkcs7", "-nocrl", "-outform", "DER", "-certfile"])
            .arg(&fullchain)
            .arg("-out")
            .arg(&theirs),
    );
    assert_eq!(
        read_certificates(&theirs, &Passwords::new("".into())).unwrap(),
        chain
    );
}

/// The PEM blocks labelled `label` in `text`, each with its armour and a final newline.
fn pem_blocks(text: &str, label: &str) -> Vec<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line == begin {
            current = Some(format!("{line}\n"));
        } else if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
            if line == end {
                out.extend(current.take());
            }
        }
    }
    out
}
