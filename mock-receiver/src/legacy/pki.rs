//! Server identities rcgen cannot make, issued with OpenSSL under the world's receiver
//! intermediate: RSA-1024 and RSA-PSS keys, SHA-1 signatures, keyEncipherment alone.
//!
//! Keys are seeded (the same world seed gives the same key); serial numbers, names and
//! validity derive from the world. RSA PKCS#1 v1.5 signatures are deterministic, so chains
//! under RSA worlds are byte-identical across runs; ECDSA and RSA-PSS signatures from
//! OpenSSL are randomised (the certificates differ in their signature bytes only).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};

use harness::memo::Memo;
use harness::pki::{Role, World, WorldSpec};
use harness::secret::PrivateKey;
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509NameBuilder, X509Ref};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use super::LegacyServerKey;
use crate::error::ReceiverError;
use crate::profile::{ServerIdentity, TrustProfile};

fn pki_error(what: &str) -> impl FnOnce(openssl::error::ErrorStack) -> ReceiverError + '_ {
    move |e| ReceiverError::Tls {
        what: format!("legacy PKI: {what}"),
        source: Some(Box::new(e)),
    }
}

/// 32 seed bytes for `purpose` in the world of `seed`.
fn derive(seed: u64, purpose: &str) -> [u8; 32] {
    let mut input = b"mock-receiver-legacy/v1\0".to_vec();
    input.extend_from_slice(&seed.to_be_bytes());
    input.extend_from_slice(purpose.as_bytes());
    openssl::sha::sha256(&input)
}

/// A seeded RSA key of `bits` as PKCS#8 DER, from harness's seeded RSA generator (whose
/// committed pool holds the default world's keys); generated once per process otherwise (an
/// RSA-2048 key costs up to a second in a debug build, and tests start many receivers of one
/// world).
fn seeded_rsa(seed: [u8; 32], bits: usize) -> Result<Vec<u8>, ReceiverError> {
    type Cache = HashMap<([u8; 32], usize), Vec<u8>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(der) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&(seed, bits)).cloned())
    {
        return Ok(der);
    }
    let der =
        harness::pki::KeyPair::seeded_rsa_pkcs8(bits, seed).map_err(|e| ReceiverError::Tls {
            what: format!("legacy PKI: RSA-{bits} key"),
            source: Some(e.into()),
        })?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 64 {
            c.clear();
        }
        c.insert((seed, bits), der.clone());
    }
    Ok(der)
}

/// DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// PKCS#8 of an RSASSA-PSS key (algorithm id-RSASSA-PSS 1.2.840.113549.1.1.10, parameters
/// absent: any hash) around a PKCS#1 RSAPrivateKey.
fn pss_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    const ID_RSASSA_PSS: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    let version = tlv(0x02, &[0]);
    let algorithm = tlv(0x30, &tlv(0x06, &ID_RSASSA_PSS));
    let key = tlv(0x04, pkcs1);
    tlv(0x30, &[version, algorithm, key].concat())
}

fn load_key(der: &[u8], what: &str) -> Result<PKey<Private>, ReceiverError> {
    PKey::private_key_from_der(der).map_err(pki_error(what))
}

fn asn1_time(at: OffsetDateTime) -> Result<Asn1Time, ReceiverError> {
    Asn1Time::from_unix(at.unix_timestamp()).map_err(pki_error("validity"))
}

fn serial(seed: u64, label: &str) -> Result<Asn1Integer, ReceiverError> {
    let mut bytes = derive(seed, &format!("serial {label}"))[..16].to_vec();
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    BigNum::from_slice(&bytes)
        .and_then(|bn| bn.to_asn1_integer())
        .map_err(pki_error("serial number"))
}

fn x509(der: &CertificateDer<'_>) -> Result<X509, ReceiverError> {
    X509::from_der(der).map_err(pki_error("reading a world certificate"))
}

/// What is issued: the leaf's key, its key usage, the signature digest.
struct LeafPlan {
    key: PKey<Private>,
    key_der: Vec<u8>,
    key_usage: KeyUsage,
    digest: MessageDigest,
}

fn plan(world: &World, key: LegacyServerKey) -> Result<LeafPlan, ReceiverError> {
    let seed = world.spec().seed;
    let server_der = world
        .get(Role::Server)
        .key()
        .private_key()
        .secret_pkcs8_der();
    let rsa_usage = || {
        let mut ku = KeyUsage::new();
        ku.critical().digital_signature().key_encipherment();
        ku
    };
    Ok(match key {
        LegacyServerKey::Rsa1024 => {
            let der = seeded_rsa(derive(seed, "key rsa1024"), 1024)?;
            LeafPlan {
                key: load_key(&der, "RSA-1024 key")?,
                key_der: der,
                key_usage: rsa_usage(),
                digest: MessageDigest::sha256(),
            }
        }
        LegacyServerKey::RsaPss => {
            let plain = seeded_rsa(derive(seed, "key rsa-pss"), 2048)?;
            let pkcs1 = load_key(&plain, "RSA key")?
                .rsa()
                .and_then(|rsa| rsa.private_key_to_der())
                .map_err(pki_error("RSA-PSS key"))?;
            let der = pss_pkcs8(&pkcs1);
            let mut ku = KeyUsage::new();
            ku.critical().digital_signature();
            LeafPlan {
                key: load_key(&der, "RSA-PSS key")?,
                key_der: der,
                key_usage: ku,
                digest: MessageDigest::sha256(),
            }
        }
        LegacyServerKey::Sha1Chain => {
            let key = load_key(server_der, "world server key")?;
            let key_usage = if key.rsa().is_ok() {
                rsa_usage()
            } else {
                let mut ku = KeyUsage::new();
                ku.critical().digital_signature();
                ku
            };
            LeafPlan {
                key,
                key_der: server_der.to_vec(),
                key_usage,
                digest: MessageDigest::sha1(),
            }
        }
        LegacyServerKey::KeyEnciphermentOnly => {
            let mut ku = KeyUsage::new();
            ku.critical().key_encipherment();
            LeafPlan {
                key: load_key(server_der, "world server key")?,
                key_der: server_der.to_vec(),
                key_usage: ku,
                digest: MessageDigest::sha256(),
            }
        }
    })
}

/// The identity of `profile` with the legacy `key`, from `world`: built once per process
/// for each (world spec, profile, key), since a world is a function of its spec. Building
/// one costs OpenSSL key decoding and signing (about 5% of the built-in suite's CPU before
/// this memo, `perf record` of `scenarios run`); tests and suites start many receivers of
/// one world. At most 64 identities are kept.
pub(super) fn identity(
    world: &World,
    profile: TrustProfile,
    key: LegacyServerKey,
) -> Result<ServerIdentity, ReceiverError> {
    static MEMO: Memo<(WorldSpec, TrustProfile, LegacyServerKey), ServerIdentity> = Memo::new(64);
    MEMO.get_or_try_insert(&(world.spec().clone(), profile, key), || {
        identity_uncached(world, profile, key)
    })
}

fn identity_uncached(
    world: &World,
    profile: TrustProfile,
    key: LegacyServerKey,
) -> Result<ServerIdentity, ReceiverError> {
    let seed = world.spec().seed;
    let now = world.spec().now;
    let plan = plan(world, key)?;
    let root = world.get(Role::ReceiverRoot);
    let int = world.get(Role::ReceiverIntermediate);
    let root_cert = x509(root.cert())?;
    let root_key = load_key(root.key().private_key().secret_pkcs8_der(), "root key")?;
    let int_key = load_key(
        int.key().private_key().secret_pkcs8_der(),
        "intermediate key",
    )?;
    let mut int_cert = x509(int.cert())?;
    if key == LegacyServerKey::Sha1Chain {
        int_cert = resign_intermediate(&int_cert, &root_cert, &root_key, seed)?;
    }
    let names = &world.spec().server_names;
    let label = format!("legacy-server-{}", key.name());
    let leaf = if profile == TrustProfile::SelfSigned {
        issue_leaf(&plan, names, seed, now, &label, None)?
    } else {
        issue_leaf(&plan, names, seed, now, &label, Some((&int_cert, &int_key)))?
    };
    let der = |c: &X509Ref| {
        c.to_der()
            .map(CertificateDer::from)
            .map_err(pki_error("encoding"))
    };
    let (leaf, int, root) = (der(&leaf)?, der(&int_cert)?, der(&root_cert)?);
    let chain = match profile {
        TrustProfile::FullChain => vec![leaf, int, root],
        TrustProfile::LeafIntermediate => vec![leaf, int],
        TrustProfile::LeafOnly | TrustProfile::SelfSigned => vec![leaf],
        TrustProfile::ReversedChain => vec![int, leaf],
    };
    Ok(ServerIdentity {
        label: format!("{}/{}", profile.name(), key.name()),
        chain,
        key: PrivateKey::from_pkcs8_der(plan.key_der),
    })
}

fn issue_leaf(
    plan: &LeafPlan,
    names: &[String],
    seed: u64,
    now: OffsetDateTime,
    label: &str,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> Result<X509, ReceiverError> {
    let e = pki_error;
    let cn = names.first().map_or("localhost", String::as_str);
    let mut name = X509NameBuilder::new().map_err(e("name"))?;
    name.append_entry_by_text("O", "Harness Receiver")
        .and_then(|()| name.append_entry_by_text("OU", &format!("seed {seed}")))
        .and_then(|()| name.append_entry_by_text("CN", cn))
        .map_err(e("name"))?;
    let name = name.build();
    let mut b = X509Builder::new().map_err(e("certificate"))?;
    b.set_version(2).map_err(e("version"))?;
    b.set_serial_number(&*serial(seed, label)?)
        .map_err(e("serial number"))?;
    b.set_subject_name(&name).map_err(e("subject"))?;
    match issuer {
        Some((cert, _)) => b.set_issuer_name(cert.subject_name()),
        None => b.set_issuer_name(&name),
    }
    .map_err(e("issuer"))?;
    b.set_not_before(&*asn1_time(now - Duration::days(30))?)
        .map_err(e("validity"))?;
    b.set_not_after(&*asn1_time(now + Duration::days(365))?)
        .map_err(e("validity"))?;
    b.set_pubkey(&plan.key).map_err(e("public key"))?;
    let basic = BasicConstraints::new()
        .critical()
        .build()
        .map_err(e("extensions"))?;
    b.append_extension(basic).map_err(e("extensions"))?;
    b.append_extension(plan.key_usage.build().map_err(e("key usage"))?)
        .map_err(e("key usage"))?;
    let eku = ExtendedKeyUsage::new()
        .server_auth()
        .build()
        .map_err(e("extended key usage"))?;
    b.append_extension(eku).map_err(e("extended key usage"))?;
    let (ski, aki, san) = {
        let context = b.x509v3_context(issuer.map(|(cert, _)| &**cert), None);
        let mut san = SubjectAlternativeName::new();
        for n in names {
            if n.parse::<IpAddr>().is_ok() {
                san.ip(n);
            } else {
                san.dns(n);
            }
        }
        let san = san
            .build(&context)
            .map_err(e("subject alternative names"))?;
        let ski = SubjectKeyIdentifier::new()
            .build(&context)
            .map_err(e("subject key identifier"))?;
        let aki = match issuer {
            Some(_) => Some(
                AuthorityKeyIdentifier::new()
                    .keyid(true)
                    .build(&context)
                    .map_err(e("authority key identifier"))?,
            ),
            None => None,
        };
        (ski, aki, san)
    };
    b.append_extension(san).map_err(e("extensions"))?;
    b.append_extension(ski).map_err(e("extensions"))?;
    if let Some(aki) = aki {
        b.append_extension(aki).map_err(e("extensions"))?;
    }
    let signer = issuer.map_or(&plan.key, |(_, key)| key);
    b.sign(signer, plan.digest).map_err(e("signing the leaf"))?;
    Ok(b.build())
}

/// The intermediate again (same subject, key, serial and validity), signed by the root with
/// SHA-1.
fn resign_intermediate(
    int: &X509,
    root: &X509,
    root_key: &PKey<Private>,
    seed: u64,
) -> Result<X509, ReceiverError> {
    let e = pki_error;
    let mut b = X509Builder::new().map_err(e("intermediate"))?;
    b.set_version(2).map_err(e("version"))?;
    b.set_serial_number(&*serial(seed, "legacy-intermediate-sha1")?)
        .map_err(e("serial number"))?;
    b.set_subject_name(int.subject_name())
        .map_err(e("subject"))?;
    b.set_issuer_name(root.subject_name())
        .map_err(e("issuer"))?;
    b.set_not_before(int.not_before()).map_err(e("validity"))?;
    b.set_not_after(int.not_after()).map_err(e("validity"))?;
    let public = int.public_key().map_err(e("intermediate key"))?;
    b.set_pubkey(&public).map_err(e("public key"))?;
    let basic = BasicConstraints::new()
        .critical()
        .ca()
        .build()
        .map_err(e("extensions"))?;
    b.append_extension(basic).map_err(e("extensions"))?;
    let ku = KeyUsage::new()
        .critical()
        .key_cert_sign()
        .crl_sign()
        .digital_signature()
        .build()
        .map_err(e("key usage"))?;
    b.append_extension(ku).map_err(e("key usage"))?;
    let (ski, aki) = {
        let context = b.x509v3_context(Some(root), None);
        (
            SubjectKeyIdentifier::new()
                .build(&context)
                .map_err(e("subject key identifier"))?,
            AuthorityKeyIdentifier::new()
                .keyid(true)
                .build(&context)
                .map_err(e("authority key identifier"))?,
        )
    };
    b.append_extension(ski).map_err(e("extensions"))?;
    b.append_extension(aki).map_err(e("extensions"))?;
    b.sign(root_key, MessageDigest::sha1())
        .map_err(e("signing the intermediate"))?;
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::pki::{KeyType, WorldSpec};

    fn text(der: &CertificateDer<'_>) -> String {
        let cert = X509::from_der(der).unwrap();
        String::from_utf8(cert.to_text().unwrap()).unwrap()
    }

    #[test]
    fn each_legacy_key_has_its_feature_and_chains_to_the_world() {
        // Seed 1: its RSA keys are in the harness key pool (fast in debug builds).
        let world = World::generate(&WorldSpec::new(1).key_type(KeyType::Rsa2048)).unwrap();
        let int = X509::from_der(world.get(Role::ReceiverIntermediate).cert()).unwrap();
        for (key, wanted) in [
            (LegacyServerKey::Rsa1024, "Public-Key: (1024 bit)"),
            (LegacyServerKey::RsaPss, "rsassaPss"),
            (LegacyServerKey::Sha1Chain, "sha1WithRSAEncryption"),
            (LegacyServerKey::KeyEnciphermentOnly, "Key Encipherment\n"),
        ] {
            let id = identity(&world, TrustProfile::LeafIntermediate, key).unwrap();
            assert_eq!(id.chain.len(), 2, "{key}");
            let leaf = text(&id.chain[0]);
            assert!(leaf.contains(wanted), "{key}: {leaf}");
            let leaf_cert = X509::from_der(&id.chain[0]).unwrap();
            let issuer_key = X509::from_der(&id.chain[1]).unwrap().public_key().unwrap();
            assert!(leaf_cert.verify(&issuer_key).unwrap(), "{key}");
            // The intermediate keeps the world's key and subject (the world's root trusts it).
            let sent_int = X509::from_der(&id.chain[1]).unwrap();
            assert!(
                sent_int
                    .public_key()
                    .unwrap()
                    .public_eq(&int.public_key().unwrap())
            );
            // The private key matches the leaf.
            let private = PKey::private_key_from_der(id.key.secret_pkcs8_der()).unwrap();
            assert!(leaf_cert.public_key().unwrap().public_eq(&private), "{key}");
        }
        let sha1 = identity(&world, TrustProfile::FullChain, LegacyServerKey::Sha1Chain).unwrap();
        assert!(text(&sha1.chain[1]).contains("sha1WithRSAEncryption"));
        assert_eq!(sha1.chain.len(), 3);
    }

    #[test]
    fn keys_are_seeded_and_rsa_chains_are_byte_identical() {
        let spec = WorldSpec::new(1).key_type(KeyType::Rsa2048);
        let world = World::generate(&spec).unwrap();
        let a = identity(&world, TrustProfile::LeafOnly, LegacyServerKey::Rsa1024).unwrap();
        let b = identity(&world, TrustProfile::LeafOnly, LegacyServerKey::Rsa1024).unwrap();
        assert_eq!(a.chain, b.chain);
        assert_eq!(a.key.secret_pkcs8_der(), b.key.secret_pkcs8_der());
        let other = World::generate(&WorldSpec::new(2)).unwrap();
        let c = identity(&other, TrustProfile::LeafOnly, LegacyServerKey::Rsa1024).unwrap();
        assert_ne!(a.key.secret_pkcs8_der(), c.key.secret_pkcs8_der());
    }

    #[test]
    fn self_signed_and_reversed_profiles() {
        let world = World::generate(&WorldSpec::new(3)).unwrap();
        let id = identity(&world, TrustProfile::SelfSigned, LegacyServerKey::Sha1Chain).unwrap();
        assert_eq!(id.chain.len(), 1);
        let cert = X509::from_der(&id.chain[0]).unwrap();
        assert!(cert.verify(&cert.public_key().unwrap()).unwrap());
        assert!(text(&id.chain[0]).contains("ecdsa-with-SHA1"));
        let rev = identity(
            &world,
            TrustProfile::ReversedChain,
            LegacyServerKey::KeyEnciphermentOnly,
        )
        .unwrap();
        assert!(text(&rev.chain[0]).contains("CA:TRUE"));
    }
}
