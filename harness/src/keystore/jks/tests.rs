//! The codec against keytool-made fixtures (`harness/tests/data/keytool/`, see its README) and
//! against itself.

use rustls_pki_types::CertificateDer;

use super::*;

/// JDK 17 keytool: an EC P-256 key pair `fixture`, AES-128 `aes` and DESede `desede` secret
/// keys, store and key password `changeit`.
const KEYTOOL_JCEKS: &[u8] = include_bytes!("../../../tests/data/keytool/ec.jceks");
/// The same key pair imported into JKS by `keytool -importkeystore`.
const KEYTOOL_JKS: &[u8] = include_bytes!("../../../tests/data/keytool/ec.jks");
/// The key pair's private key as `openssl pkcs12 -nodes` extracted it from keytool's PKCS#12.
const KEYTOOL_KEY_PEM: &str = include_str!("../../../tests/data/keytool/ec.key.pem");
const KEYTOOL_CERT_PEM: &str = include_str!("../../../tests/data/keytool/ec.cert.pem");

fn pem_der(text: &str) -> Vec<u8> {
    pem::parse(text).unwrap().contents().to_vec()
}

fn changeit() -> Passwords {
    Passwords::new(Password::new("changeit"))
}

#[test]
fn keytool_jceks_key_unseals_to_the_key_openssl_extracted() {
    let entries = read(KEYTOOL_JCEKS, &changeit(), Format::Jceks).unwrap();
    let fixture = entries.iter().find(|e| e.alias == "fixture").unwrap();
    let EntryKind::KeyPair { key, chain } = &fixture.kind else {
        panic!("fixture is not a key pair: {:?}", fixture.kind);
    };
    assert_eq!(chain.len(), 1);
    assert_eq!(chain[0].as_ref(), &pem_der(KEYTOOL_CERT_PEM)[..]);
    let (scheme, blob) = key.sealed_parts().unwrap();
    assert_eq!(scheme, SealScheme::JceksPbeMd5TripleDes);
    let info = der::parse_encrypted_key_info(blob).unwrap();
    let (_, iterations) = der::parse_pbe_params(info.params.unwrap()).unwrap();
    assert_eq!(
        iterations, JCEKS_ITERATIONS,
        "JDK 17 writes 200,000 iterations"
    );
    let plain = key.unlock(&Password::new("changeit"), "fixture").unwrap();
    assert_eq!(plain.secret_pkcs8_der(), &pem_der(KEYTOOL_KEY_PEM)[..]);
    assert!(matches!(
        key.unlock(&Password::new("changeIt"), "fixture"),
        Err(ErrorKind::WrongKeyPassword { alias }) if alias == "fixture"
    ));
}

#[test]
fn keytool_jceks_secret_keys_report_their_algorithm() {
    let entries = read(KEYTOOL_JCEKS, &changeit(), Format::Jceks).unwrap();
    let algorithm = |alias: &str| match &entries.iter().find(|e| e.alias == alias).unwrap().kind {
        EntryKind::SecretKey { algorithm } => algorithm.clone(),
        other => panic!("{alias}: {other:?}"),
    };
    // AES keys serialise as SecretKeySpec, DESede keys as a KeyRep (writeReplace).
    assert_eq!(algorithm("aes"), "AES");
    assert_eq!(algorithm("desede"), "DESede");
    let wrong = read(
        KEYTOOL_JCEKS,
        &changeit().with_key("aes", Password::new("nope")),
        Format::Jceks,
    )
    .unwrap_err();
    assert!(matches!(wrong, ErrorKind::WrongKeyPassword { alias } if alias == "aes"));
}

#[test]
fn keytool_jks_key_unseals_with_the_jks_protector() {
    let entries = read(KEYTOOL_JKS, &changeit(), Format::Jks).unwrap();
    assert_eq!(entries.len(), 1);
    let EntryKind::KeyPair { key, .. } = &entries[0].kind else {
        panic!("not a key pair");
    };
    let (scheme, blob) = key.sealed_parts().unwrap();
    assert_eq!(scheme, SealScheme::JksKeyProtector);
    // keytool writes the protector's AlgorithmIdentifier with NULL parameters; so do we.
    let ours = protector::jks_seal(
        &PrivateKey::from_pkcs8_der(pem_der(KEYTOOL_KEY_PEM)),
        &Password::new("changeit"),
        [0; 20],
    );
    let head = |b: &[u8]| {
        let info = der::parse_encrypted_key_info(b).unwrap();
        (info.oid.to_vec(), info.params.map(<[u8]>::to_vec))
    };
    assert_eq!(head(blob), head(&ours));
    let plain = key.unlock(&Password::new("changeit"), "fixture").unwrap();
    assert_eq!(plain.secret_pkcs8_der(), &pem_der(KEYTOOL_KEY_PEM)[..]);
}

#[test]
fn wrong_store_password_and_tampering_look_the_same() {
    let wrong = read(
        KEYTOOL_JKS,
        &Passwords::new(Password::new("x")),
        Format::Jks,
    )
    .unwrap_err();
    assert!(matches!(
        wrong,
        ErrorKind::WrongPassword {
            integrity_only: true
        }
    ));
    let mut tampered = KEYTOOL_JKS.to_vec();
    let last_cert_byte = tampered.len() - 21;
    tampered[last_cert_byte] ^= 1;
    let err = read(&tampered, &changeit(), Format::Jks).unwrap_err();
    assert!(matches!(
        err,
        ErrorKind::WrongPassword {
            integrity_only: true
        }
    ));
    assert!(err.to_string().contains("tampered"), "{err}");
}

#[test]
fn every_truncation_of_a_keytool_file_is_a_typed_error() {
    for (bytes, format) in [(KEYTOOL_JKS, Format::Jks), (KEYTOOL_JCEKS, Format::Jceks)] {
        for cut in 0..bytes.len() {
            let err = read(&bytes[..cut], &changeit(), format).unwrap_err();
            assert!(
                matches!(
                    err,
                    ErrorKind::Truncated { .. }
                        | ErrorKind::UnknownFormat
                        | ErrorKind::Malformed { .. }
                ),
                "{format} cut at {cut}: {err:?}"
            );
        }
    }
}

fn key_pair_entry(alias: &str, created: OffsetDateTime) -> Entry {
    Entry {
        alias: alias.into(),
        created,
        kind: EntryKind::KeyPair {
            key: KeyMaterial::plain(PrivateKey::from_pkcs8_der(pem_der(KEYTOOL_KEY_PEM))),
            chain: vec![CertificateDer::from(pem_der(KEYTOOL_CERT_PEM))],
        },
    }
}

#[test]
fn write_then_read_keeps_aliases_dates_and_keys() {
    let created = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_000_000).unwrap();
    let entries = vec![
        key_pair_entry("Cl\u{e9}-\u{1f511}", created),
        Entry {
            alias: "root".into(),
            created: OffsetDateTime::UNIX_EPOCH - time::Duration::milliseconds(5),
            kind: EntryKind::TrustedCertificate(pem_der(KEYTOOL_CERT_PEM).into()),
        },
    ];
    let passwords = Passwords::new(Password::new("st\u{f6}re"))
        .with_key("cl\u{e9}-\u{1f511}", Password::new("key pass"));
    let options = WriteOptions {
        iterations: 3,
        fixed_salt: Some(1),
        salt_seed: None,
    };
    for format in [Format::Jks, Format::Jceks] {
        let bytes = write_with(&entries, &passwords, format, &options).unwrap();
        let back = read(&bytes, &passwords, format).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].alias, "cl\u{e9}-\u{1f511}");
        assert_eq!(back[0].created, created);
        assert_eq!(back[1].created, entries[1].created);
        assert_eq!(back[1].kind, entries[1].kind);
        let EntryKind::KeyPair { key, chain } = &back[0].kind else {
            panic!("not a key pair");
        };
        assert_eq!(chain.len(), 1);
        let plain = key.unlock(&Password::new("key pass"), "x").unwrap();
        assert_eq!(plain.secret_pkcs8_der(), &pem_der(KEYTOOL_KEY_PEM)[..]);
        // Sealed keys in the target's scheme are copied byte for byte.
        assert_eq!(
            write_with(&back, &passwords, format, &options).unwrap(),
            bytes
        );
    }
}

#[test]
fn a_jceks_sealed_key_cannot_be_written_as_jks_until_unlocked() {
    let entries = read(KEYTOOL_JCEKS, &changeit(), Format::Jceks).unwrap();
    let key_pairs: Vec<Entry> = entries
        .into_iter()
        .filter(|e| matches!(e.kind, EntryKind::KeyPair { .. }))
        .collect();
    let err = write(&key_pairs, &changeit(), Format::Jks).unwrap_err();
    assert!(
        matches!(&err, ErrorKind::KeyStillSealed { alias, sealed_for: "jceks", target: "jks" } if alias == "fixture"),
        "{err:?}"
    );
    // Unlocked, the same key pair writes as JKS and unseals there with the JKS protector.
    let mut store =
        crate::keystore::Keystore::from_bytes(KEYTOOL_JCEKS, &changeit(), "ec.jceks").unwrap();
    store.unlock_keys(&changeit()).unwrap();
    let as_jks = store.to_bytes(Format::Jks, &changeit()).unwrap_err();
    // Secret keys still refuse: JKS cannot hold them.
    assert!(
        matches!(as_jks.kind, ErrorKind::CannotHold { .. }),
        "{as_jks}"
    );
    let only_keys = store
        .entries()
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::KeyPair { .. }))
        .cloned()
        .collect::<Vec<_>>();
    let bytes = write(&only_keys, &changeit(), Format::Jks).unwrap();
    let back = read(&bytes, &changeit(), Format::Jks).unwrap();
    let EntryKind::KeyPair { key, .. } = &back[0].kind else {
        panic!("not a key pair");
    };
    let plain = key.unlock(&Password::new("changeit"), "fixture").unwrap();
    assert_eq!(plain.secret_pkcs8_der(), &pem_der(KEYTOOL_KEY_PEM)[..]);
    // JCEKS reads JKS-protected keys (com.sun.crypto.provider.KeyProtector takes both OIDs).
    let jks = read(KEYTOOL_JKS, &changeit(), Format::Jks).unwrap();
    let as_jceks = write(&jks, &changeit(), Format::Jceks).unwrap();
    let back = read(&as_jceks, &changeit(), Format::Jceks).unwrap();
    assert_eq!(back, jks);
}

#[test]
fn secret_keys_and_duplicates_are_refused_by_the_writer() {
    let secret = Entry {
        alias: "s".into(),
        created: OffsetDateTime::UNIX_EPOCH,
        kind: EntryKind::SecretKey {
            algorithm: "AES".into(),
        },
    };
    assert!(matches!(
        write(&[secret], &changeit(), Format::Jceks),
        Err(ErrorKind::CannotHold { .. })
    ));
    let a = key_pair_entry("A", OffsetDateTime::UNIX_EPOCH);
    let b = key_pair_entry("a", OffsetDateTime::UNIX_EPOCH);
    assert!(matches!(
        write(&[a, b], &changeit(), Format::Jks),
        Err(ErrorKind::DuplicateAlias { .. })
    ));
}

#[test]
fn jceks_key_passwords_must_be_ascii_as_in_java() {
    let entries = vec![key_pair_entry("k", OffsetDateTime::UNIX_EPOCH)];
    let passwords = Passwords::new(Password::new("gr\u{fc}n"));
    let options = WriteOptions {
        iterations: 1,
        fixed_salt: None,
        salt_seed: None,
    };
    let err = write_with(&entries, &passwords, Format::Jceks, &options).unwrap_err();
    assert!(matches!(err, ErrorKind::Unsupported { .. }), "{err:?}");
    // JKS has no such rule: its protector uses UTF-16.
    write_with(&entries, &passwords, Format::Jks, &options).unwrap();
}

/// `PbeVectors.java` run on JDK 17 (SunJCE), see `harness/tests/data/keytool/README.md`.
const PBE_VECTORS: &str = include_str!("../../../tests/data/keytool/pbe-vectors.txt");

#[test]
fn pbe_matches_sunjce_including_equal_salt_halves() {
    let plain = b"PKCS#8 stand-in: 32 bytes long!!";
    let hex = |t: &str| -> Vec<u8> {
        (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
            .collect()
    };
    let mut equal_halves = 0;
    for line in PBE_VECTORS.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (password, salt, iterations, expected) = (
            Password::new(f[0]),
            hex(f[1]),
            f[2].parse().unwrap(),
            hex(f[3]),
        );
        equal_halves += usize::from(salt[..4] == salt[4..]);
        let ours = protector::pbe_encrypt(plain, &password, &salt, iterations).unwrap();
        assert_eq!(ours, expected, "{line}");
        let back = protector::pbe_decrypt(&expected, &password, &salt, iterations).unwrap();
        assert_eq!(back, plain);
    }
    assert!(
        equal_halves >= 2,
        "the vectors cover the equal-halves quirk"
    );
}

#[test]
fn version_1_stores_without_certificate_types_are_read() {
    let cert = pem_der(KEYTOOL_CERT_PEM);
    let mut body = vec![0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
    body.extend_from_slice(&[0, 2, b'V', b'1']);
    body.extend_from_slice(&1_234i64.to_be_bytes());
    body.extend_from_slice(&(cert.len() as u32).to_be_bytes());
    body.extend_from_slice(&cert);
    let password = Password::new("v1");
    let mut bytes = body.clone();
    bytes.extend_from_slice(&container::integrity_digest(&password, &body));
    let entries = read(&bytes, &Passwords::new(password), Format::Jks).unwrap();
    assert_eq!(entries[0].alias, "v1");
    assert_eq!(entries[0].created.unix_timestamp_nanos(), 1_234_000_000);
    assert_eq!(entries[0].kind, EntryKind::TrustedCertificate(cert.into()));
}

#[test]
fn format_specific_rules_are_typed_errors() {
    let password = Password::new("p");
    let framed = |magic: [u8; 4], entry: &[u8]| {
        let mut body = magic.to_vec();
        body.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 1]);
        body.extend_from_slice(entry);
        let mut bytes = body.clone();
        bytes.extend_from_slice(&container::integrity_digest(&password, &body));
        bytes
    };
    let mut secret = vec![0, 0, 0, 3, 0, 1, b's'];
    secret.extend_from_slice(&[0; 8]);
    secret.extend_from_slice(&[0xac, 0xed, 0, 5, 0x70]);
    // Tag 3 exists only in JCEKS; in JCEKS a null object is not a SealedObject.
    let jks = read(
        &framed([0xfe, 0xed, 0xfe, 0xed], &secret),
        &Passwords::new(password.clone()),
        Format::Jks,
    );
    assert!(matches!(jks, Err(ErrorKind::Malformed { .. })), "{jks:?}");
    let jceks = read(
        &framed([0xce; 4], &secret),
        &Passwords::new(password.clone()),
        Format::Jceks,
    );
    assert!(
        matches!(jceks, Err(ErrorKind::UnexpectedJavaType { .. })),
        "{jceks:?}"
    );
    // A JCEKS-protected key in a JKS file: Java's JKS could never recover it.
    let key = protector::pbe_seal(
        &PrivateKey::from_pkcs8_der(pem_der(KEYTOOL_KEY_PEM)),
        &password,
        [1; 8],
        1,
    )
    .unwrap();
    let mut entry = vec![0, 0, 0, 1, 0, 1, b'k'];
    entry.extend_from_slice(&[0; 8]);
    entry.extend_from_slice(&(key.len() as u32).to_be_bytes());
    entry.extend_from_slice(&key);
    entry.extend_from_slice(&[0, 0, 0, 0]);
    let err = read(
        &framed([0xfe, 0xed, 0xfe, 0xed], &entry),
        &Passwords::new(password.clone()),
        Format::Jks,
    );
    assert!(matches!(err, Err(ErrorKind::Unsupported { .. })), "{err:?}");
    let ok = read(
        &framed([0xce; 4], &entry),
        &Passwords::new(password),
        Format::Jceks,
    )
    .unwrap();
    assert!(matches!(&ok[0].kind, EntryKind::KeyPair { chain, .. } if chain.is_empty()));
}

#[test]
fn public_write_options_set_the_jceks_iteration_count() {
    use crate::keystore::{Keystore, WriteOptions};
    let created = time::macros::datetime!(2026-01-01 00:00 UTC);
    let store = Keystore::from_entries(Format::Jceks, vec![key_pair_entry("k", created)]).unwrap();
    let passwords = changeit();
    let count_of = |bytes: &[u8]| {
        let entries = read(bytes, &passwords, Format::Jceks).unwrap();
        let EntryKind::KeyPair { key, .. } = &entries[0].kind else {
            panic!("not a key pair");
        };
        let (_, blob) = key.sealed_parts().unwrap();
        let info = der::parse_encrypted_key_info(blob).unwrap();
        der::parse_pbe_params(info.params.unwrap()).unwrap().1
    };
    let low = WriteOptions::default().jceks_iterations(1000);
    let bytes = store
        .to_bytes_with(Format::Jceks, &passwords, &low)
        .unwrap();
    assert_eq!(count_of(&bytes), 1000);
    let back = Keystore::from_bytes(&bytes, &passwords, "<low>").unwrap();
    let EntryKind::KeyPair { key, .. } = &back.entries()[0].kind else {
        panic!("not a key pair");
    };
    key.unlock(&Password::new("changeit"), "k").unwrap();
    assert_eq!(
        WriteOptions::default().jceks_iteration_count(),
        JCEKS_ITERATIONS
    );
    // JKS has no count: the option changes nothing.
    assert_eq!(
        store
            .to_bytes_with(Format::Jks, &passwords, &low)
            .unwrap()
            .len(),
        store.to_bytes(Format::Jks, &passwords).unwrap().len()
    );
    for bad in [0, WriteOptions::MAX_JCEKS_ITERATIONS + 1] {
        let err = store
            .to_bytes_with(
                Format::Jceks,
                &passwords,
                &WriteOptions::default().jceks_iterations(bad),
            )
            .unwrap_err();
        let text = crate::exit::ErrorChain(&err).to_string();
        assert!(text.contains("iteration count"), "{text}");
    }
}

/// One visited entry: alias, date, type and certificates.
type Visited = (String, OffsetDateTime, &'static str, Vec<Vec<u8>>);

/// Every entry [`visit`] hands out, or its error; and whether anything was handed out before
/// the error.
fn visited(
    bytes: &[u8],
    password: &Password,
    format: Format,
    hasher: impl std::hash::BuildHasher,
) -> (Result<Vec<Visited>, ErrorKind>, bool) {
    let mut seen = Vec::new();
    let mut count = None;
    let result = visit_hashed(
        bytes,
        password,
        format,
        hasher,
        |n| {
            count = Some(n);
            Ok(())
        },
        |view| {
            let certs = match &view.kind {
                super::super::view::ViewKind::TrustedCertificate(der) => vec![der.to_vec()],
                super::super::view::ViewKind::KeyPair { chain } => {
                    chain.iter().map(|c| c.to_vec()).collect()
                }
                super::super::view::ViewKind::SecretKey => Vec::new(),
            };
            seen.push((view.alias.clone(), view.created, view.type_name(), certs));
            Ok(())
        },
    );
    let handed_out = !seen.is_empty() || count.is_some();
    (result.map(|()| seen), handed_out)
}

/// A hasher that sends every alias to the same bucket: every second alias is a collision.
#[derive(Default)]
struct Constant;
impl std::hash::Hasher for Constant {
    fn finish(&self) -> u64 {
        7
    }
    fn write(&mut self, _: &[u8]) {}
}

#[test]
fn visiting_hands_out_what_reading_reads_and_nothing_from_a_bad_file() {
    type Hash = std::hash::BuildHasherDefault<std::hash::DefaultHasher>;
    type Collide = std::hash::BuildHasherDefault<Constant>;
    let password = Password::new("changeit");
    for (bytes, format) in [(KEYTOOL_JKS, Format::Jks), (KEYTOOL_JCEKS, Format::Jceks)] {
        let read = read(bytes, &changeit(), format).unwrap();
        let expected: Vec<_> = read
            .iter()
            .map(|e| {
                let certs = match &e.kind {
                    EntryKind::TrustedCertificate(c) => vec![c.to_vec()],
                    EntryKind::KeyPair { chain, .. } => chain.iter().map(|c| c.to_vec()).collect(),
                    EntryKind::SecretKey { .. } => Vec::new(),
                };
                (e.alias.clone(), e.created, e.kind.type_name(), certs)
            })
            .collect();
        let (plain, _) = visited(bytes, &password, format, Hash::default());
        assert_eq!(plain.unwrap(), expected, "{format}");
        // Every alias collides: the exact check runs and finds no duplicate.
        let (collided, _) = visited(bytes, &password, format, Collide::default());
        assert_eq!(collided.unwrap(), expected, "{format} with collisions");
        // A wrong password or a cut file: an error, and nothing handed out first.
        let (wrong, handed) = visited(bytes, &Password::new("x"), format, Hash::default());
        assert!(
            matches!(wrong, Err(ErrorKind::WrongPassword { .. })),
            "{wrong:?}"
        );
        assert!(
            !handed,
            "{format}: entries handed out before the digest was checked"
        );
        for cut in [bytes.len() - 1, bytes.len() / 2] {
            let (err, handed) = visited(&bytes[..cut], &password, format, Hash::default());
            assert!(err.is_err() && !handed, "{format} cut at {cut}");
        }
    }
    // Two entries with the same alias (case differs; JKS lower-cases): refused, with the real
    // hasher and through the collision fallback alike.
    let cert = pem_der(KEYTOOL_CERT_PEM);
    let store = Password::new("p");
    let mut body = vec![0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 2];
    for alias in [b"Dup", b"dUP"] {
        body.extend_from_slice(&[0, 0, 0, 2, 0, 3]);
        body.extend_from_slice(alias);
        body.extend_from_slice(&[0; 8]);
        body.extend_from_slice(&[0, 5]);
        body.extend_from_slice(b"X.509");
        body.extend_from_slice(&(cert.len() as u32).to_be_bytes());
        body.extend_from_slice(&cert);
    }
    let mut bytes = body.clone();
    bytes.extend_from_slice(&container::integrity_digest(&store, &body));
    assert!(matches!(
        super::read(&bytes, &Passwords::new(store.clone()), Format::Jks),
        Err(ErrorKind::DuplicateAlias { .. })
    ));
    let (err, handed) = visited(&bytes, &store, Format::Jks, Hash::default());
    assert!(
        matches!(err, Err(ErrorKind::DuplicateAlias { .. })) && !handed,
        "{err:?}"
    );
    let (err, handed) = visited(&bytes, &store, Format::Jks, Collide::default());
    assert!(
        matches!(err, Err(ErrorKind::DuplicateAlias { .. })) && !handed,
        "{err:?}"
    );
}

#[test]
fn seeded_salts_make_sealing_reproducible_per_seed() {
    use crate::keystore::{Keystore, WriteOptions};
    let created = time::macros::datetime!(2026-01-01 00:00 UTC);
    let store = |alias| {
        Keystore::from_entries(Format::Jceks, vec![key_pair_entry(alias, created)]).unwrap()
    };
    let passwords = changeit();
    let options = |seed| WriteOptions::default().jceks_iterations(10).salt_seed(seed);
    for format in [Format::Jks, Format::Jceks] {
        let write = |alias, options: &WriteOptions| {
            store(alias)
                .to_bytes_with(format, &passwords, options)
                .unwrap()
        };
        let first = write("k", &options(1));
        assert_eq!(
            first,
            write("k", &options(1)),
            "{format}: same seed, same bytes"
        );
        assert_ne!(first, write("k", &options(2)), "{format}: another seed");
        // The salt is the seed's alone: the same key under another alias seals to the same
        // blob (one key derivation per password and seed).
        let blob = |bytes: &[u8]| match &read(bytes, &passwords, format).unwrap()[0].kind {
            EntryKind::KeyPair { key, .. } => key.sealed_parts().unwrap().1.to_vec(),
            _ => panic!("not a key pair"),
        };
        assert_eq!(
            blob(&first),
            blob(&write("j", &options(1))),
            "{format}: another alias"
        );
        // Random salts differ from run to run, and every variant unseals.
        let random = WriteOptions::default().jceks_iterations(10);
        assert_ne!(
            write("k", &random),
            write("k", &random),
            "{format}: random salts"
        );
        let back = Keystore::from_bytes(&first, &passwords, "<seeded>").unwrap();
        let EntryKind::KeyPair { key, .. } = &back.entries()[0].kind else {
            panic!("not a key pair");
        };
        key.unlock(&Password::new("changeit"), "k").unwrap();
    }
}
