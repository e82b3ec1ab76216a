//! Keystore formats we own (PKCS#12, PEM, DER, `.p7b`): write -> read round-trips with random
//! entries drawn from pre-generated worlds, and parsers that never panic on arbitrary bytes,
//! on every truncation of a valid file, or on mutated valid files.
//!
//! Case counts are small for CI (PKCS#12 derives keys with 10,000 PBKDF2 rounds per bag). The
//! documented larger run (>= 100,000 cases for the parsers):
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test -p tests --test property parsers_never_panic
//! ```
//!
//! (`cargo test`, not nextest: the mutated-files property runs past nextest's 5-minute
//! cut-off.) Measured 2026-11-27, debug build, 2 shared cores: 100,000 arbitrary inputs in
//! 14 s, 100,000 mutated valid files (PKCS#12 JDK 17 and legacy, `.p7b` DER and PEM, PEM,
//! DER) in 700 s; no panic.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use harness::keystore::{
    Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords, Pkcs12Profile,
    certificates_from_bytes, encode_p7b,
};
use harness::pki::{KeyType, Role, World, WorldSpec};
use harness::secret::Password;
use proptest::prelude::*;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

/// Worlds of three key types, generated once (RSA keys are slow to make).
fn worlds() -> &'static [World] {
    static WORLDS: OnceLock<Vec<World>> = OnceLock::new();
    WORLDS.get_or_init(|| {
        [KeyType::P256, KeyType::P384, KeyType::Rsa2048]
            .into_iter()
            .map(|k| World::generate(&WorldSpec::new(31).key_type(k)).unwrap())
            .collect()
    })
}

/// Cases per property: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An entry description: (alias, world index, role, key pair or trusted).
type Spec = (String, usize, usize, bool);

fn entry_specs(max: usize) -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(
        (
            "[a-zA-Z0-9äöüÄ€ _.-]{1,12}",
            0..3usize,
            0..Role::ALL.len(),
            any::<bool>(),
        ),
        0..max,
    )
}

fn build(specs: &[Spec]) -> Keystore {
    let mut store = Keystore::new(Format::Pkcs12);
    for (alias, world, role, key_pair) in specs {
        let issued = worlds()[*world].get(Role::ALL[*role]);
        let kind = if *key_pair {
            EntryKind::KeyPair {
                key: KeyMaterial::plain(issued.key().private_key().clone()),
                chain: issued.full_chain(),
            }
        } else {
            EntryKind::TrustedCertificate(issued.cert().clone())
        };
        // Duplicate aliases (case-insensitively) are refused by design; skip them here.
        let _ = store.insert(Entry {
            alias: alias.clone(),
            created: OffsetDateTime::UNIX_EPOCH,
            kind,
        });
    }
    store
}

fn by_alias(store: &Keystore) -> BTreeMap<String, EntryKind> {
    store
        .entries()
        .iter()
        .map(|e| (e.alias.clone(), e.kind.clone()))
        .collect()
}

/// A valid file of each format we parse here, for the truncation and mutation properties.
pub(crate) fn valid_files() -> &'static [(&'static str, Vec<u8>)] {
    static FILES: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let world = &worlds()[0];
        let store = build(&[("client".into(), 0, 6, true), ("root".into(), 0, 0, false)]);
        let passwords = Passwords::new("pw".into());
        let chain = world.get(Role::Server).full_chain();
        vec![
            (
                "pkcs12",
                store.to_bytes(Format::Pkcs12, &passwords).unwrap(),
            ),
            (
                "pkcs12-legacy",
                store.to_pkcs12(&passwords, Pkcs12Profile::Legacy).unwrap(),
            ),
            ("p7b-der", encode_p7b(&chain, false).unwrap()),
            ("p7b-pem", encode_p7b(&chain, true).unwrap()),
            ("pem", store.to_bytes(Format::Pem, &passwords).unwrap()),
            ("der", chain[0].to_vec()),
        ]
    })
}

/// Reads `bytes` in every way a caller can; any result but a panic is fine.
fn read_all_ways(bytes: &[u8]) {
    let passwords = Passwords::new("pw".into());
    let _ = Keystore::from_bytes(bytes, &passwords, "<fuzz>");
    let _ = certificates_from_bytes(bytes, &passwords, "<fuzz>");
    let _ = harness::keystore::detect_format(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(12)))]

    #[test]
    fn pkcs12_round_trip(
        specs in entry_specs(5),
        password in "[a-zA-Z0-9äöü€]{0,12}",
        legacy in any::<bool>(),
    ) {
        let store = build(&specs);
        let passwords = Passwords::new(Password::new(password));
        let profile = if legacy { Pkcs12Profile::Legacy } else { Pkcs12Profile::Jdk17 };
        let bytes = store.to_pkcs12(&passwords, profile).unwrap();
        let read = Keystore::from_bytes(&bytes, &passwords, "<round-trip>").unwrap();
        prop_assert_eq!(by_alias(&read), by_alias(&store));
        let wrong = Passwords::new("not-the-password".into());
        let refused = Keystore::from_bytes(&bytes, &wrong, "<round-trip>").unwrap_err();
        let is_wrong_password =
            matches!(refused.kind, harness::keystore::ErrorKind::WrongPassword { .. });
        prop_assert!(is_wrong_password);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn pem_der_and_p7b_round_trip(world in 0..3usize, role in 0..Role::ALL.len(), pem in any::<bool>()) {
        let issued = worlds()[world].get(Role::ALL[role]);
        let chain: Vec<CertificateDer<'static>> = issued.full_chain();
        let none = Passwords::new("".into());

        // .p7b: the chain comes back leaf first, whatever the SET OF order in the file.
        let p7b = encode_p7b(&chain, pem).unwrap();
        prop_assert_eq!(&certificates_from_bytes(&p7b, &none, "<p7b>").unwrap(), &chain);

        // PEM: a key pair with its chain.
        let mut store = Keystore::new(Format::Pem);
        store.insert(Entry {
            alias: "mykey".into(),
            created: OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::KeyPair {
                key: KeyMaterial::plain(issued.key().private_key().clone()),
                chain: chain.clone(),
            },
        }).unwrap();
        let text = store.to_bytes(Format::Pem, &none).unwrap();
        let read = Keystore::from_bytes(&text, &none, "<pem>").unwrap();
        prop_assert_eq!(by_alias(&read), by_alias(&store));

        // PEM: a bundle of trusted certificates, in file order.
        let bundle = harness::cert::certs_to_pem(&chain);
        prop_assert_eq!(&certificates_from_bytes(bundle.as_bytes(), &none, "<pem>").unwrap(), &chain);

        // DER: one certificate.
        let read = Keystore::from_bytes(&chain[0], &none, "<der>").unwrap();
        prop_assert_eq!(read.format(), Format::Der);
        let der = read.to_bytes(Format::Der, &none).unwrap();
        prop_assert_eq!(der.as_slice(), chain[0].as_ref());
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(
        prefix in prop::sample::select(vec![
            &b""[..], b"\x30\x82", b"\x30\x80", b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce",
            b"-----BEGIN PKCS7-----\n", b"-----BEGIN CERTIFICATE-----\n",
            b"-----BEGIN RSA PRIVATE KEY-----\n", b"-----BEGIN EC PRIVATE KEY-----\n",
        ]),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend(body);
        read_all_ways(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_mutated_valid_files(
        file in 0..6usize,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (_, original) = &valid_files()[file];
        let mut bytes = original.clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        read_all_ways(&bytes);
    }
}

#[test]
fn every_truncation_of_a_valid_file_is_an_error_not_a_panic() {
    for (name, bytes) in valid_files() {
        for len in 0..bytes.len() {
            let cut = &bytes[..len];
            let passwords = Passwords::new("pw".into());
            // A PEM file cut after a complete block can still be valid; the others cannot.
            let result = Keystore::from_bytes(cut, &passwords, "<cut>");
            if !name.starts_with("pem") && *name != "p7b-pem" {
                assert!(result.is_err(), "{name} cut at {len} was accepted");
            }
            read_all_ways(cut);
        }
    }
}

#[test]
fn traditional_pem_keys_read_as_the_same_pkcs8_key() {
    use p256_free::*;
    for world in worlds() {
        let issued = world.get(Role::Client);
        let pkcs8 = issued.key().private_key().secret_pkcs8_der().to_vec();
        let traditional = traditional_pem(&pkcs8);
        let mut text = traditional.into_bytes();
        text.extend(harness::cert::certs_to_pem(&issued.chain()).as_bytes());
        let none = Passwords::new("".into());
        let store = Keystore::from_bytes(&text, &none, "<traditional>").unwrap();
        let (_, key, chain) = store.key_pairs().next().unwrap();
        assert_eq!(chain, issued.chain().as_slice());
        assert_eq!(
            key.plain_key().unwrap().secret_pkcs8_der(),
            pkcs8.as_slice(),
            "{}",
            world.spec().key_type
        );
    }
}

/// Traditional (PKCS#1 / SEC1) encodings of a PKCS#8 key, written with OpenSSL's labels,
/// using only the DER structure: PKCS#8's privateKey OCTET STRING holds the PKCS#1 or SEC1
/// key, so no crypto crate is needed here.
mod p256_free {
    pub(super) fn traditional_pem(pkcs8: &[u8]) -> String {
        let (body, _) = tlv(pkcs8);
        let (_version, rest) = tlv_split(body);
        let (algorithm, rest) = tlv_split(rest);
        let (octets, _) = tlv_split(rest);
        let (inner, _) = tlv(octets);
        let (oid_tlv, params) = tlv_split(tlv(algorithm).0);
        let is_rsa = tlv(oid_tlv).0 == [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        if is_rsa {
            return harness::cert::pem_encode("RSA PRIVATE KEY", inner);
        }
        // SEC1 inside PKCS#8 usually omits the curve; OpenSSL's `EC PRIVATE KEY` names it
        // ([0] parameters), so add it back after the private key octets.
        let (seq, _) = tlv(inner);
        let (version, rest) = tlv_split(seq);
        let (key, rest) = tlv_split(rest);
        let mut content = Vec::new();
        content.extend_from_slice(version);
        content.extend_from_slice(key);
        content.extend(wrap(0xa0, params));
        content.extend_from_slice(rest);
        harness::cert::pem_encode("EC PRIVATE KEY", &wrap(0x30, &content))
    }

    /// The content of the first TLV and what follows it.
    fn tlv(bytes: &[u8]) -> (&[u8], &[u8]) {
        let (header, len) = header(bytes);
        (&bytes[header..header + len], &bytes[header + len..])
    }

    /// The first whole TLV and what follows it.
    fn tlv_split(bytes: &[u8]) -> (&[u8], &[u8]) {
        let (header, len) = header(bytes);
        bytes.split_at(header + len)
    }

    fn header(bytes: &[u8]) -> (usize, usize) {
        let first = bytes[1];
        if first < 0x80 {
            return (2, first as usize);
        }
        let n = (first & 0x7f) as usize;
        let len = bytes[2..2 + n]
            .iter()
            .fold(0usize, |acc, b| acc << 8 | *b as usize);
        (2 + n, len)
    }

    fn wrap(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }
}

/// One DER TLV with a long-form length of `len_bytes` bytes (8-byte lengths included).
fn der_header(tag: u8, len: u64, len_bytes: usize) -> Vec<u8> {
    let mut out = vec![tag, 0x80 | len_bytes as u8];
    out.extend_from_slice(&len.to_be_bytes()[8 - len_bytes..]);
    out
}

/// The crafted-header families of issue 13 for the DER formats, run every time: 8-byte DER
/// lengths, lengths of 2^31-1 with little content, and 100,000-deep nesting (definite and
/// indefinite lengths), alone and behind each format's opening. Each is a typed error (or,
/// for nothing at all, an error) without a panic or a stack overflow.
#[test]
fn crafted_der_headers_are_typed_errors() {
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for len_bytes in [4usize, 8] {
        for len in [0x7fff_ffffu64, u64::MAX >> (64 - 8 * len_bytes as u32)] {
            cases.push(der_header(0x30, len, len_bytes));
            let mut with_version = der_header(0x30, len, len_bytes);
            with_version.extend_from_slice(&[0x02, 0x01, 0x03]);
            with_version.extend(der_header(0x30, len, len_bytes));
            cases.push(with_version);
        }
    }
    let mut deep = vec![0x02, 0x01, 0x00];
    for _ in 0..100_000 {
        let mut outer = der_header(0x30, deep.len() as u64, 4);
        outer.extend_from_slice(&deep);
        deep = outer;
    }
    cases.push(deep);
    cases.push([0x30, 0x80].repeat(100_000));
    cases.push(
        b"-----BEGIN PKCS7-----\n"
            .iter()
            .copied()
            .chain([0x30, 0x80].repeat(1000))
            .collect(),
    );
    for bytes in &cases {
        let passwords = Passwords::new("pw".into());
        assert!(Keystore::from_bytes(bytes, &passwords, "<crafted>").is_err());
        read_all_ways(bytes);
    }
}
