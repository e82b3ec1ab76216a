//! JKS and JCEKS properties: write -> read round-trips with random entries, and the reader never
//! panics, on arbitrary bytes, on every truncation of a valid file, or on mutated valid files
//! (with the integrity digest recomputed, so the mutations reach the entry parsers and the
//! sealed secret keys rather than stopping at the digest).
//!
//! Case counts are small for CI; `PROPTEST_CASES` overrides them all. The larger run of the
//! never-panic properties (each case draws JKS or JCEKS at random, so 200,000 cases give
//! about 100,000 per format; every truncation is checked exhaustively in every run):
//!
//! ```text
//! PROPTEST_CASES=200000 cargo nextest run -p tests --test property \
//!     -E 'test(arbitrary_bytes_never_panic) | test(mutated_files_never_panic)'
//! ```
//!
//! Cost: sealing a key as JCEKS runs 200,000 MD5 rounds twice (about 60 ms in release, a few
//! hundred in debug), so the round-trips draw key pairs that were sealed once per run and are
//! copied as is by the writer; one property seals plain keys, with few cases and one key.

use std::sync::OnceLock;

use harness::keystore::{Entry, EntryKind, ErrorKind, Format, KeyMaterial, Keystore, Passwords};
use harness::pki::{KeyType, Role, World, WorldSpec};
use harness::secret::Password;
use proptest::prelude::*;
use rustls::pki_types::CertificateDer;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const SEAL_PASSWORD: &str = "seal pass";

struct Pool {
    certs: Vec<CertificateDer<'static>>,
    /// Key pair entry kinds with plain keys.
    plain: Vec<EntryKind>,
}

/// A few worlds' certificates and key pairs.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let worlds = [
            World::generate(&WorldSpec::new(1)).unwrap(),
            World::generate(&WorldSpec::new(2).key_type(KeyType::Rsa2048)).unwrap(),
            World::generate(&WorldSpec::new(3).key_type(KeyType::P384)).unwrap(),
        ];
        let certs = worlds
            .iter()
            .flat_map(|w| w.iter().map(|(_, issued)| issued.cert().clone()))
            .collect();
        let plain = worlds
            .iter()
            .map(|w| EntryKind::KeyPair {
                key: KeyMaterial::plain(w.get(Role::Client).key().private_key().clone()),
                chain: w.get(Role::Client).full_chain(),
            })
            .collect();
        Pool { certs, plain }
    })
}

/// The pool's key pairs sealed once per format (by writing and reading a store), so the
/// round-trips copy them instead of running 400,000 MD5 rounds per JCEKS key and case.
fn sealed(format: Format) -> &'static [EntryKind] {
    static JKS: OnceLock<Vec<EntryKind>> = OnceLock::new();
    static JCEKS: OnceLock<Vec<EntryKind>> = OnceLock::new();
    let cell = match format {
        Format::Jks => &JKS,
        _ => &JCEKS,
    };
    cell.get_or_init(|| {
        let mut store = Keystore::new(format);
        for (i, kind) in pool().plain.iter().enumerate() {
            store
                .insert(Entry {
                    alias: format!("k{i}"),
                    created: OffsetDateTime::UNIX_EPOCH,
                    kind: kind.clone(),
                })
                .unwrap();
        }
        let passwords = Passwords::new(Password::new(SEAL_PASSWORD));
        let bytes = store.to_bytes(format, &passwords).unwrap();
        Keystore::from_bytes(&bytes, &passwords, "pool")
            .unwrap()
            .entries()
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    })
}

#[derive(Clone, Debug)]
enum Pick {
    Trusted(usize),
    KeyPair(usize),
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        3 => any::<usize>().prop_map(Pick::Trusted),
        1 => any::<usize>().prop_map(Pick::KeyPair),
    ]
}

/// Aliases as people type them, including non-ASCII, NUL and characters outside the BMP
/// (stored as modified UTF-8 surrogate pairs).
fn alias() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._\\-\u{0}\u{e9}\u{df}\u{3a9}\u{4e2d}\u{1f511}]{1,24}"
}

/// Dates Java can hold and `time` can show, to the millisecond.
fn created() -> impl Strategy<Value = OffsetDateTime> {
    (-30_000_000_000_000i64..200_000_000_000_000i64).prop_map(|ms| {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap()
    })
}

pub(crate) fn format() -> impl Strategy<Value = Format> {
    prop_oneof![Just(Format::Jks), Just(Format::Jceks)]
}

fn build(format: Format, picks: &[(String, OffsetDateTime, Pick)]) -> Keystore {
    let pool = pool();
    let sealed = sealed(format);
    let mut store = Keystore::new(format);
    for (alias, created, pick) in picks {
        let kind = match pick {
            Pick::Trusted(i) => {
                EntryKind::TrustedCertificate(pool.certs[i % pool.certs.len()].clone())
            }
            Pick::KeyPair(i) => sealed[i % sealed.len()].clone(),
        };
        // Aliases equal after lower-casing are refused by insert: skip them.
        let _ = store.insert(Entry {
            alias: alias.clone(),
            created: *created,
            kind,
        });
    }
    store
}

/// A valid file of `format` to truncate and mutate: every kind the writer makes.
fn sample(format: Format) -> (Vec<u8>, Passwords) {
    let picks = vec![
        (
            "Trusted-\u{e9}".to_owned(),
            OffsetDateTime::UNIX_EPOCH,
            Pick::Trusted(0),
        ),
        (
            "key \u{1f511}".to_owned(),
            OffsetDateTime::UNIX_EPOCH,
            Pick::KeyPair(1),
        ),
        (
            "root".to_owned(),
            OffsetDateTime::UNIX_EPOCH,
            Pick::Trusted(4),
        ),
    ];
    let passwords = Passwords::new(Password::new("store \u{3a9}"));
    let bytes = build(format, &picks).to_bytes(format, &passwords).unwrap();
    (bytes, passwords)
}

/// Files whose mutations are worth re-digesting: ours, plus JCEKS secret keys from the
/// shared corpus when it is there (low iteration counts, so opening them stays cheap).
pub(crate) fn mutation_samples(format: Format) -> &'static [(Vec<u8>, String)] {
    static JKS: OnceLock<Vec<(Vec<u8>, String)>> = OnceLock::new();
    static JCEKS: OnceLock<Vec<(Vec<u8>, String)>> = OnceLock::new();
    let cell = match format {
        Format::Jks => &JKS,
        _ => &JCEKS,
    };
    cell.get_or_init(|| {
        let (bytes, _) = sample(format);
        let mut out = vec![(bytes, "store \u{3a9}".to_owned())];
        if format == Format::Jceks
            && let Some(shared) = tests::shared_dir()
        {
            for name in ["AES128.jceks", "DESede.jceks"] {
                let path = shared.join("corpora/keystores/pyjks/jceks").join(name);
                out.push((std::fs::read(path).unwrap(), "12345678".to_owned()));
            }
        }
        out
    })
}

/// Replaces the trailing SHA-1 with the digest Java would compute for `body`.
pub(crate) fn redigest(body: &[u8], password: &str) -> Vec<u8> {
    let pw: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let digest = Sha1::new()
        .chain_update(&pw)
        .chain_update(b"Mighty Aphrodite")
        .chain_update(body)
        .finalize();
    let mut out = body.to_vec();
    out.extend_from_slice(&digest);
    out
}

fn magic(format: Format) -> [u8; 4] {
    match format {
        Format::Jks => [0xfe, 0xed, 0xfe, 0xed],
        _ => [0xce, 0xce, 0xce, 0xce],
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Mutation {
    Set(usize, u8),
    Xor(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        4 => (any::<usize>(), 1u8..).prop_map(|(i, b)| Mutation::Xor(i, b)),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

pub(crate) fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len().max(1);
    match mutation {
        Mutation::Set(i, b) => {
            let i = i % len;
            if i < bytes.len() {
                bytes[i] = *b;
            }
        }
        Mutation::Xor(i, b) => {
            let i = i % len;
            if i < bytes.len() {
                bytes[i] ^= *b;
            }
        }
        Mutation::Insert(i, extra) => {
            let i = i % (bytes.len() + 1);
            bytes.splice(i..i, extra.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let i = i % len;
            let end = (i + n).min(bytes.len());
            if i < end {
                bytes.drain(i..end);
            }
        }
    }
}

#[test]
fn every_truncation_of_a_valid_file_is_a_typed_error() {
    for format in [Format::Jks, Format::Jceks] {
        let (bytes, passwords) = sample(format);
        assert!(Keystore::from_bytes(&bytes, &passwords, "sample").is_ok());
        for cut in 0..bytes.len() {
            let err = Keystore::from_bytes(&bytes[..cut], &passwords, "cut")
                .expect_err("a truncated file never opens");
            // The kind, not the message text (issue 10: the test is named "typed error").
            assert!(
                matches!(
                    err.kind,
                    ErrorKind::Truncated { .. }
                        | ErrorKind::Malformed { .. }
                        | ErrorKind::Der { .. }
                        | ErrorKind::UnknownFormat
                ),
                "{format} cut at {cut}: {}",
                harness::exit::ErrorChain(&err)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    /// Write -> read gives back the same entries (aliases as Java stores them, dates to the
    /// millisecond, sealed keys byte for byte), whatever the store password.
    #[test]
    fn write_then_read_round_trips(
        format in format(),
        picks in proptest::collection::vec((alias(), created(), pick()), 0..12),
        password in "\\PC{0,12}",
    ) {
        let store = build(format, &picks);
        let passwords = Passwords::new(Password::new(password));
        let bytes = store.to_bytes(format, &passwords).unwrap();
        let back = Keystore::from_bytes(&bytes, &passwords, "round-trip").unwrap();
        prop_assert_eq!(back.format(), format);
        prop_assert_eq!(back.entries(), store.entries());
        prop_assert_eq!(back.to_bytes(format, &passwords).unwrap(), bytes);
    }

    /// The reader never panics on arbitrary bytes, bare or behind a valid magic, version and
    /// integrity digest (so the bytes reach the entry parsers).
    #[test]
    fn arbitrary_bytes_never_panic(
        format in format(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        framed in any::<bool>(),
        count in 0u32..4,
    ) {
        let passwords = Passwords::new(Password::new("p"));
        let _ = Keystore::from_bytes(&body, &passwords, "arbitrary");
        if framed {
            let mut head = magic(format).to_vec();
            head.extend_from_slice(&2u32.to_be_bytes());
            head.extend_from_slice(&count.to_be_bytes());
            head.extend_from_slice(&body);
            let _ = Keystore::from_bytes(&redigest(&head, "p"), &passwords, "arbitrary");
        }
    }

    /// Mutated valid files never panic: with the old digest they fail its check, with a
    /// recomputed digest they reach the parsers and give a typed error or a store.
    #[test]
    fn mutated_files_never_panic(
        format in format(),
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let samples = mutation_samples(format);
        let (original, password) = &samples[which % samples.len()];
        let passwords = Passwords::new(Password::new(password.as_str()));
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if bytes != *original {
            prop_assert!(Keystore::from_bytes(&bytes, &passwords, "mutated").is_err());
        }
        let body = &bytes[..bytes.len().saturating_sub(20)];
        if let Ok(store) = Keystore::from_bytes(&redigest(body, password), &passwords, "redigested") {
            // Whatever opens, writes back (or says clearly why not) without panicking.
            let _ = store.to_bytes(format, &passwords);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(6), ..ProptestConfig::default() })]

    /// Plain keys sealed by the writer unseal to the same PKCS#8 with their key password
    /// (one key per case: a JCEKS seal is 400,000 MD5 rounds).
    #[test]
    fn plain_keys_seal_and_unseal(
        format in format(),
        which in any::<usize>(),
        alias in alias(),
        key_password in "[ -~]{0,12}",
    ) {
        let pool = pool();
        let kind = pool.plain[which % pool.plain.len()].clone();
        let mut store = Keystore::new(format);
        store.insert(Entry { alias: alias.clone(), created: OffsetDateTime::UNIX_EPOCH, kind: kind.clone() }).unwrap();
        let passwords = Passwords::new(Password::new("store")).with_key(&alias, Password::new(key_password.as_str()));
        let bytes = store.to_bytes(format, &passwords).unwrap();
        let back = Keystore::from_bytes(&bytes, &passwords, "plain").unwrap();
        let (stored_alias, key, chain) = back.key_pairs().next().unwrap();
        let EntryKind::KeyPair { key: original, chain: original_chain } = &kind else { unreachable!() };
        prop_assert_eq!(chain, original_chain.as_slice());
        let plain = key.unlock(passwords.key_for(stored_alias), stored_alias).unwrap();
        prop_assert_eq!(plain.secret_pkcs8_der(), original.plain_key().unwrap().secret_pkcs8_der());
    }
}

/// The crafted-header families of issue 13, run every time (not left to chance): entry
/// counts of 2^31 and u32::MAX, string and blob lengths of 2^31-1, behind a valid digest so
/// they reach the parsers; each gives a typed error, promptly and without a huge allocation.
#[test]
fn crafted_jks_headers_are_typed_errors() {
    let passwords = Passwords::new(Password::new("p"));
    for format in [Format::Jks, Format::Jceks] {
        let head = |count: u32, body: &[u8]| {
            let mut bytes = magic(format).to_vec();
            bytes.extend_from_slice(&2u32.to_be_bytes());
            bytes.extend_from_slice(&count.to_be_bytes());
            bytes.extend_from_slice(body);
            redigest(&bytes, "p")
        };
        let trusted_tag = 2u32.to_be_bytes();
        let mut huge_alias = trusted_tag.to_vec();
        huge_alias.extend_from_slice(&u16::MAX.to_be_bytes());
        let mut huge_cert = trusted_tag.to_vec();
        huge_cert.extend_from_slice(&[0, 1, b'a']);
        huge_cert.extend_from_slice(&0u64.to_be_bytes());
        huge_cert.extend_from_slice(&[0, 5, b'X', b'.', b'5', b'0', b'9']);
        huge_cert.extend_from_slice(&0x7fff_ffffu32.to_be_bytes());
        for bytes in [
            head(1 << 31, &[]),
            head(u32::MAX, &[0; 64]),
            head(1, &huge_alias),
            head(1, &huge_cert),
            head(1, &[0xff; 64]),
        ] {
            assert!(
                Keystore::from_bytes(&bytes, &passwords, "crafted").is_err(),
                "{format:?}: a crafted header was accepted"
            );
        }
    }
}
