use super::*;

const CA_A: &[u8] = &[0x30, 1];
const CA_B: &[u8] = &[0x30, 2];

fn facts(alias: &str, key: &str, issuer: &[u8], sig: &str, check: CheckResult) -> KeyPairFacts {
    KeyPairFacts {
        alias: alias.to_owned(),
        key_algorithm: key.to_owned(),
        issuers: vec![issuer.to_vec()],
        signature_algorithms: vec![sig.to_owned()],
        check,
    }
}

fn request(ca: &[&[u8]], schemes: &[u16], version: TlsVersion) -> CertificateRequestInfo {
    CertificateRequestInfo {
        ca_names_der: ca.iter().map(|c| c.to_vec()).collect(),
        signature_schemes: schemes.to_vec(),
        version,
    }
}

/// OpenSSL 3's default signature_algorithms, as s_server sends them.
const OPENSSL: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401,
    0x0501, 0x0601,
];

fn chosen(kind: KeyManagerKind, f: &[KeyPairFacts], r: &CertificateRequestInfo) -> Option<String> {
    rank(kind, f, r)
        .fitting
        .first()
        .map(|&(i, _)| f[i].alias.clone())
}

#[test]
fn pkix_prefers_valid_over_expired_and_extension_mismatch() {
    use CheckResult::*;
    let f = [
        facts(
            "eku-server",
            "EC",
            CA_A,
            "SHA256withECDSA",
            ExtensionMismatch,
        ),
        facts(
            "expired",
            "EC",
            CA_A,
            "SHA256withECDSA",
            ExpiredOrNotYetValid,
        ),
        facts("valid", "EC", CA_A, "SHA256withECDSA", Valid),
        facts("valid2", "EC", CA_A, "SHA256withECDSA", Valid),
    ];
    let r = request(&[CA_A], OPENSSL, TlsVersion::Tls13);
    assert_eq!(
        chosen(KeyManagerKind::Pkix, &f, &r).as_deref(),
        Some("valid")
    );
    let ranking = rank(KeyManagerKind::Pkix, &f, &r);
    let order: Vec<&str> = ranking
        .fitting
        .iter()
        .map(|&(i, _)| f[i].alias.as_str())
        .collect();
    assert_eq!(order, ["valid", "valid2", "expired", "eku-server"]);
    // SunX509 looks at none of it: the first fitting.
    assert_eq!(
        chosen(KeyManagerKind::SunX509, &f, &r).as_deref(),
        Some("eku-server")
    );
    // Expired beats extension mismatch.
    assert_eq!(
        chosen(KeyManagerKind::Pkix, &f[..2], &r).as_deref(),
        Some("expired")
    );
}

#[test]
fn ca_names_and_key_types_drop_key_pairs() {
    use CheckResult::*;
    let f = [
        facts("foreign", "EC", CA_B, "SHA256withECDSA", Valid),
        facts("dsa", "DSA", CA_A, "SHA256withDSA", Valid),
        facts("mine", "RSA", CA_A, "SHA256withRSA", ExpiredOrNotYetValid),
    ];
    let r = request(&[CA_A], OPENSSL, TlsVersion::Tls12);
    let ranking = rank(KeyManagerKind::Pkix, &f, &r);
    assert_eq!(ranking.fitting, vec![(2, ExpiredOrNotYetValid)]);
    assert_eq!(
        ranking.dropped,
        vec![
            Dropped {
                alias: "foreign".into(),
                drop: Drop::Issuer
            },
            Dropped {
                alias: "dsa".into(),
                drop: Drop::KeyType {
                    key_algorithm: "DSA".into()
                }
            },
        ]
    );
    // No CA names: any issuer fits.
    let r = request(&[], OPENSSL, TlsVersion::Tls12);
    assert_eq!(
        chosen(KeyManagerKind::Pkix, &f, &r).as_deref(),
        Some("foreign")
    );
}

#[test]
fn key_type_order_follows_the_server_schemes_after_the_rank() {
    use CheckResult::*;
    let f = [
        facts("rsa", "RSA", CA_A, "SHA256withRSA", Valid),
        facts("ec", "EC", CA_A, "SHA256withECDSA", Valid),
        facts(
            "ec-old",
            "EC",
            CA_A,
            "SHA256withECDSA",
            ExpiredOrNotYetValid,
        ),
    ];
    // OpenSSL lists ECDSA first: the EC key type is asked for first.
    let r = request(&[], OPENSSL, TlsVersion::Tls13);
    assert_eq!(chosen(KeyManagerKind::Pkix, &f, &r).as_deref(), Some("ec"));
    assert_eq!(
        chosen(KeyManagerKind::SunX509, &f, &r).as_deref(),
        Some("ec")
    );
    // RSA first: rsa wins both (rsa_pkcs1_sha256 lets its SHA256withRSA chain fit).
    let r = request(&[], &[0x0804, 0x0401, 0x0403], TlsVersion::Tls13);
    assert_eq!(chosen(KeyManagerKind::Pkix, &f, &r).as_deref(), Some("rsa"));
    assert_eq!(
        chosen(KeyManagerKind::SunX509, &f, &r).as_deref(),
        Some("rsa")
    );
    // Without it, PKIX drops the RSA chain (SunX509 does not look).
    let r = request(&[], &[0x0804, 0x0403], TlsVersion::Tls13);
    assert_eq!(chosen(KeyManagerKind::Pkix, &f, &r).as_deref(), Some("ec"));
    assert_eq!(
        chosen(KeyManagerKind::SunX509, &f, &r).as_deref(),
        Some("rsa")
    );
    // A valid key of a later type beats an expired one of the first type (rank first).
    let r = request(&[], &[0x0403, 0x0804, 0x0401], TlsVersion::Tls13);
    assert_eq!(
        chosen(KeyManagerKind::Pkix, &f[..1], &r).as_deref(),
        Some("rsa")
    );
    assert_eq!(
        chosen(KeyManagerKind::Pkix, &[f[2].clone(), f[0].clone()], &r).as_deref(),
        Some("rsa")
    );
}

#[test]
fn tls13_needs_a_scheme_that_can_sign_the_certificate_verify() {
    // rsa_pkcs1_* cannot sign a TLS 1.3 CertificateVerify: no RSA key type under 1.3.
    assert_eq!(key_types(&[0x0401, 0x0403], TlsVersion::Tls13), ["EC"]);
    assert_eq!(
        key_types(&[0x0401, 0x0403], TlsVersion::Tls12),
        ["RSA", "EC"]
    );
    assert_eq!(
        key_types(&[0x0809, 0x0807, 0x0804, 0x0503], TlsVersion::Tls13),
        ["RSASSA-PSS", "EdDSA", "RSA", "EC"]
    );
    assert!(key_types(&[], TlsVersion::Tls13).is_empty());
}

#[test]
fn pkix_drops_a_chain_signed_with_an_algorithm_the_server_did_not_list() {
    use CheckResult::*;
    let mut sha1 = facts("sha1", "RSA", CA_A, "SHA256withRSA", Valid);
    sha1.signature_algorithms.push("SHA1withRSA".into());
    let f = [sha1, facts("ok", "RSA", CA_A, "SHA256withRSA", Valid)];
    let r = request(&[], &[0x0804, 0x0401], TlsVersion::Tls12);
    let ranking = rank(KeyManagerKind::Pkix, &f, &r);
    assert_eq!(ranking.fitting, vec![(1, Valid)]);
    assert_eq!(
        ranking.dropped[0].drop,
        Drop::SignatureAlgorithm {
            algorithm: "SHA1withRSA".into()
        }
    );
    // SunX509 does not check.
    assert_eq!(
        chosen(KeyManagerKind::SunX509, &f, &r).as_deref(),
        Some("sha1")
    );
    // A PSS-signed certificate fits any rsa_pss scheme.
    let pss = facts("pss", "RSA", CA_A, "RSASSA-PSS", Valid);
    let r = request(&[], &[0x0804], TlsVersion::Tls13);
    assert_eq!(
        chosen(KeyManagerKind::Pkix, &[pss], &r).as_deref(),
        Some("pss")
    );
}

/// Orders measured with JDK 17.0.15: `new Hashtable<>()` / `new HashMap<>()` filled with
/// these keys in order, then `keys()` / `keySet()`.
#[test]
fn java_collection_orders_match_jdk17() {
    let keys = [
        "client",
        "expired",
        "valid",
        "foreign",
        "eku-server",
        "other-pass",
        "rsa1024",
        "rsapss",
        "p256",
        "p384",
        "p521",
        "ed25519",
        "k13",
        "k14",
    ];
    let names = |order: Vec<usize>| order.into_iter().map(|i| keys[i]).collect::<Vec<_>>();
    assert_eq!(
        names(hashtable_order(&keys)).join(","),
        "valid,p384,client,foreign,ed25519,eku-server,rsa1024,other-pass,p521,expired,p256,k14,k13,rsapss"
    );
    assert_eq!(
        names(hash_map_order(&keys)).join(","),
        "ed25519,p384,k13,other-pass,foreign,k14,valid,rsa1024,p256,expired,p521,client,eku-server,rsapss"
    );
    // 30 keys: the HashMap resizes twice. (Eight or more aliases in one HashMap bucket make
    // a tree bin, whose root moves to the front: not modelled.)
    let many: Vec<String> = (1..=30).map(|i| format!("key-{i}")).collect();
    let keys: Vec<&str> = many.iter().map(String::as_str).collect();
    let names = |order: Vec<usize>| order.into_iter().map(|i| keys[i]).collect::<Vec<_>>();
    assert_eq!(
        names(hashtable_order(&keys)).join(","),
        "key-9,key-8,key-29,key-7,key-28,key-6,key-27,key-5,key-26,key-4,key-25,key-3,key-24,key-2,key-23,key-1,key-22,key-21,key-20,key-30,key-19,key-18,key-17,key-16,key-15,key-14,key-13,key-12,key-11,key-10"
    );
    assert_eq!(
        names(hash_map_order(&keys)).join(","),
        "key-18,key-17,key-19,key-14,key-13,key-16,key-15,key-1,key-10,key-12,key-11,key-5,key-4,key-3,key-30,key-2,key-9,key-8,key-7,key-6,key-29,key-28,key-25,key-24,key-27,key-26,key-21,key-20,key-23,key-22"
    );
    assert_eq!(java_alias_order(Some(Format::Pkcs12), &["b", "a"]), [0, 1]);
    assert_eq!(
        java_alias_order(Some(Format::Jks), &["B", "A"]),
        hashtable_order(&["b", "a"])
    );
}

/// A DER Name of one CN attribute with the given string tag.
fn cn(tag: u8, text: &str) -> Vec<u8> {
    let value = [&[tag, text.len() as u8][..], text.as_bytes()].concat();
    let oid = [0x06, 0x03, 0x55, 0x04, 0x03];
    let atv = [&[0x30, (oid.len() + value.len()) as u8][..], &oid, &value].concat();
    let set = [&[0x31, atv.len() as u8][..], &atv].concat();
    [&[0x30, set.len() as u8][..], &set].concat()
}

#[test]
fn ca_names_are_compared_as_java_compares_distinguished_names() {
    // PrintableString vs UTF8String, case and inner whitespace: the same name to Java.
    assert!(same_name(&cn(0x13, "Client CA"), &cn(0x0c, "client  ca")));
    assert!(!same_name(&cn(0x13, "Client CA"), &cn(0x0c, "Other CA")));
    let f = [facts(
        "k",
        "EC",
        &cn(0x0c, "client ca"),
        "SHA256withECDSA",
        CheckResult::Valid,
    )];
    let r = request(&[&cn(0x13, "Client CA")], OPENSSL, TlsVersion::Tls13);
    assert_eq!(chosen(KeyManagerKind::Pkix, &f, &r).as_deref(), Some("k"));
}

/// A JKS store whose only key pair is sealed with a password other than the store password.
fn locked_store() -> TrustSource {
    use crate::keystore::{Entry, EntryKind, KeyMaterial, Keystore, Passwords};
    use crate::pki::{Role, World, WorldSpec};
    let world = World::generate(&WorldSpec::new(7)).unwrap();
    let client = world.get(Role::Client);
    let mut store = Keystore::new(Format::Jks);
    store.upsert(Entry {
        alias: "locked".into(),
        created: time::OffsetDateTime::UNIX_EPOCH,
        kind: EntryKind::KeyPair {
            key: KeyMaterial::plain(client.key().private_key().clone()),
            chain: client.chain(),
        },
    });
    let store_only = Passwords::new("store".into());
    let sealing = Passwords::new("store".into()).with_key("locked", "other".into());
    let bytes = store.to_bytes(Format::Jks, &sealing).unwrap();
    let read = Keystore::from_bytes(&bytes, &store_only, "t.jks").unwrap();
    TrustSource::from_keystore(&read, &store_only, "t.jks").unwrap()
}

#[test]
fn a_key_sealed_with_another_password_is_chosen_but_not_sent() {
    let trust = locked_store();
    assert!(trust.key_pairs().is_empty());
    assert_eq!(trust.locked_key_pairs().len(), 1);
    let target = super::super::Target::new("localhost", 443).unwrap();
    let now = crate::time::DEFAULT_NOW;
    let r = request(&[], OPENSSL, TlsVersion::Tls13);

    // Off: the locked key does not matter (it used to stop the test).
    let off = Options::new(target.clone());
    let km = KeyManager::new(&off, &trust, now).unwrap();
    assert_eq!(km.choose(&r).1, ChoiceReason::NotConfigured);

    // PKIX ranks it, chooses it, and sends nothing: Java's getPrivateKey gives null.
    let mut auto = Options::new(target);
    auto.client_certificate = ClientCertificate::Automatic(Policy::FirstFitting);
    let (key, reason) = KeyManager::new(&auto, &trust, now).unwrap().choose(&r);
    assert!(key.is_none());
    assert_eq!(
        reason,
        ChoiceReason::KeyPasswordDiffers {
            alias: "locked".into()
        }
    );

    // A named alias: the same.
    let mut named = auto.clone();
    named.client_certificate = ClientCertificate::Alias("locked".into());
    let (key, reason) = KeyManager::new(&named, &trust, now).unwrap().choose(&r);
    assert!(key.is_none());
    assert!(matches!(reason, ChoiceReason::KeyPasswordDiffers { .. }));

    // SunX509 cannot be built (Java: KeyManagerFactory.init throws).
    auto.key_manager = KeyManagerKind::SunX509;
    assert!(matches!(
        KeyManager::new(&auto, &trust, now),
        Err(ConnectError::KeyPair { alias, .. }) if alias == "locked"
    ));
}
