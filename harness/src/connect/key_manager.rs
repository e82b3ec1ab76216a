//! Java's key managers, engine-agnostic: which key pair answers a CertificateRequest.
//!
//! CPI's "Authenticate with Client Certificate" with the alias empty leaves the choice to the
//! JDK's key manager. This module does what JDK 17's two key managers do, read from the JDK
//! 17 sources (openjdk/jdk17u, `src/java.base/share/classes/`, checked against the bytecode
//! of the installed 17.0.15 with `javap -c`):
//!
//! - `sun/security/ssl/X509KeyManagerImpl.java` ("PKIX", alias "NewSunX509", the default of
//!   `KeyManagerFactory.getDefaultAlgorithm()`): `chooseClientAlias` → `chooseAlias` →
//!   `getAliases` → `CheckType.CLIENT.check`, `conformsToAlgorithmConstraints`,
//!   `EntryStatus.compareTo`; `getPrivateKey` → `getEntry` returns `null` when the key does not
//!   unseal with the store password.
//! - `sun/security/ssl/SunX509KeyManagerImpl.java` ("SunX509"): the constructor unseals every
//!   key with the store password (`KeyStore.getKey`; an `UnrecoverableKeyException` fails
//!   `KeyManagerFactory.init`) into a `HashMap`; `chooseClientAlias` takes, for the first key
//!   type that has any, the first alias of `getClientAliases` in that map's iteration order.
//! - `sun/security/ssl/CertificateMessage.java` (`T13CertificateProducer.choosePossession`),
//!   `CertificateRequest.java` (`T12CertificateRequestConsumer.choosePossession`),
//!   `X509Authentication.java` (`createClientPossession`): the key types asked for are the
//!   key algorithms of the server's signature schemes, in the server's order, each kept only
//!   when a scheme of that key algorithm can sign the CertificateVerify in the negotiated
//!   version; the key manager is asked once with all of them; when `getPrivateKey` returns
//!   `null` no certificate is sent (no second choice).
//! - `sun/security/ssl/SSLAlgorithmConstraints.java` (`SupportedSignatureAlgorithmConstraints`)
//!   and `sun/security/provider/certpath/AlgorithmChecker.java`: with TLS 1.2 and later every
//!   certificate of the chain must be signed with an algorithm the server listed.
//! - `java/util/Hashtable.java`, `java/util/HashMap.java`, `sun/security/provider/JavaKeyStore.java`,
//!   `sun/security/pkcs12/PKCS12KeyStore.java`: the order in which aliases are seen.
//!
//! # The ranking ([`KeyManagerKind::Pkix`])
//!
//! A key pair *fits* when all of these hold (else it is dropped, with the reason recorded):
//!
//! | check | Java | dropped as |
//! |---|---|---|
//! | leaf key algorithm is one of the key types asked for | `KeyType.matches` | [`Drop::KeyType`] |
//! | some certificate of the chain has an issuer among the CA names (none sent: any) | `issuerSet.contains(getIssuerX500Principal())` (X500Principal: canonical DN comparison, [`same_name`]) | [`Drop::Issuer`] |
//! | every certificate's signature algorithm is one the server listed | `conformsToAlgorithmConstraints` | [`Drop::SignatureAlgorithm`] |
//!
//! The fitting ones are ranked by the leaf's [`CheckResult`], then by the position of their
//! key type in the list asked for; ties keep keystore order (`Collections.sort` is stable);
//! the first one wins:
//!
//! | rank | `CheckResult` | when |
//! |---|---|---|
//! | 1 | `OK` | extensions fit and valid now |
//! | 2 | `EXPIRED` | extensions fit, but expired or not yet valid |
//! | 3 | `EXTENSION_MISMATCH` | an extended key usage without clientAuth and anyExtendedKeyUsage; or a key usage without digitalSignature (RSA, EC, DSA keys; keyAgreement for DH; not checked for RSASSA-PSS and EdDSA keys); or unparseable extensions. Validity is then not looked at |
//!
//! # [`KeyManagerKind::SunX509`]
//!
//! No ranking: for each key type in order, the key pairs of that key type whose chain has an
//! issuer among the CA names; the first in `HashMap` order (of the lower-cased aliases) wins.
//! Neither validity, extensions nor the chain's signature algorithms are looked at.
//!
//! # Keystore order
//!
//! Java sees aliases in `KeyStore.aliases()` order: for PKCS#12 the order of the key bags in
//! the file (a `LinkedHashMap`); for JKS and JCEKS the enumeration order of a
//! `java.util.Hashtable` filled in file order (not the file order). [`java_alias_order`]
//! computes it; SunX509 then re-orders by `HashMap` ([`hash_map_order`]). Both orders are
//! measured against JDK 17 in the unit tests; a `HashMap` bucket of eight or more aliases
//! (a tree bin, whose root moves to the front) is not modelled.
//!
//! Measured end to end by `tests/interop/keymgr_java.rs`: JDK 17 with each key manager and
//! [`rank`] pick from the same keytool-made PKCS#12 and JKS keystores for `openssl s_server`
//! receivers with various CA names and `-client_sigalgs`, and agree on the alias and on
//! "Client Certificate Used".
//!
//! # A key password other than the store password
//!
//! Java's key managers unseal keys with the store password only. PKIX ranks such a key pair
//! like any other (its chain needs no password); when it wins, `getPrivateKey` returns
//! `null` and no certificate is sent: [`ChoiceReason::KeyPasswordDiffers`]. SunX509 fails
//! when it is built (`UnrecoverableKeyException`), before any connection: [`KeyManager::new`]
//! refuses, naming the alias.
//!
//! # Policies and key managers
//!
//! [`Policy::FirstFitting`] (the default, `--pick first`) is the key manager's own choice
//! (the table above for `pkix`, the first fitting for `sunx509`). [`Policy::RandomFitting`]
//! (`--pick random`, the current CPI help's "a random key pair among those that fit") picks at
//! random, from the seed, among the fitting key pairs of the best rank (with `sunx509`, every
//! fitting key pair, as it has no ranks); the key manager still decides what fits. A named
//! alias bypasses the key manager (CPI sends that key pair whenever the server asks).
//!
//! Not modelled: the TLS 1.2 `certificate_types` filter (servers list every type), key-size
//! constraints of `jdk.certpath.disabledAlgorithms` on the client chain, and a TLS 1.3
//! CertificateVerify that finds no scheme for the chosen key's curve (a handshake failure
//! after the choice).

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::ConnectError;
use super::client_cert::ChoiceReason;
use super::options::{ClientCertificate, Options, Policy, TlsVersion};
use super::trust::TrustSource;
use crate::keystore::Format;
use crate::secret::PrivateKey;

/// Which Java key manager chooses the client certificate.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum KeyManagerKind {
    /// JDK's default `KeyManagerFactory.getDefaultAlgorithm()`, "PKIX" (alias "NewSunX509",
    /// `sun.security.ssl.X509KeyManagerImpl`): ranks the fitting key pairs (valid now before
    /// expired or not yet valid, extended key usage clientAuth-compatible first) and takes
    /// the first of the best rank.
    #[default]
    Pkix,
    /// "SunX509" (`sun.security.ssl.SunX509KeyManagerImpl`): the first fitting key pair.
    #[serde(rename = "sunx509")]
    #[value(name = "sunx509")]
    SunX509,
}

impl KeyManagerKind {
    /// The name as written on the command line and in scenario files.
    pub fn id(self) -> &'static str {
        match self {
            KeyManagerKind::Pkix => "pkix",
            KeyManagerKind::SunX509 => "sunx509",
        }
    }
}

impl std::fmt::Display for KeyManagerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What the server's CertificateRequest said, engine-independent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequestInfo {
    /// The CA names (`certificate_authorities`): DER `Name`s, outer SEQUENCE included, in
    /// order. Empty: any issuer fits.
    pub ca_names_der: Vec<Vec<u8>>,
    /// The IANA SignatureScheme codes the server accepts, in its order.
    pub signature_schemes: Vec<u16>,
    /// The negotiated protocol version.
    pub version: TlsVersion,
}

/// A key pair ready for any TLS engine: the chain (leaf first) and the PKCS#8 private key.
/// `Debug` elides the key ([`PrivateKey`]).
#[derive(Clone, Debug)]
pub struct ClientKey {
    /// The alias of the key pair entry.
    pub alias: String,
    /// The certificate chain, leaf first, as the keystore holds it.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key (PKCS#8 DER; never printed).
    pub pkcs8: PrivateKey,
}

/// X509KeyManagerImpl's `CheckResult` for a client certificate, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckResult {
    /// Extensions fit and the certificate is valid now (`OK`).
    Valid,
    /// Extensions fit, but the certificate is expired or not yet valid (`EXPIRED`).
    ExpiredOrNotYetValid,
    /// The extended key usage excludes clientAuth, or the key usage lacks digitalSignature,
    /// or the extensions do not parse (`EXTENSION_MISMATCH`).
    ExtensionMismatch,
}

impl CheckResult {
    /// Words for people.
    pub fn describe(self) -> &'static str {
        match self {
            CheckResult::Valid => "valid now, usage allows client authentication",
            CheckResult::ExpiredOrNotYetValid => "expired or not yet valid",
            CheckResult::ExtensionMismatch => {
                "key usage or extended key usage does not allow client authentication"
            }
        }
    }
}

/// Why a key pair does not fit a CertificateRequest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "why")]
pub enum Drop {
    /// Its key algorithm is none the server's signature schemes can use.
    KeyType {
        /// Java's name of the key algorithm (`RSA`, `RSASSA-PSS`, `EC`, `EdDSA`, ...).
        key_algorithm: String,
    },
    /// No certificate of its chain has an issuer among the CA names.
    Issuer,
    /// A certificate of its chain is signed with an algorithm the server did not list.
    SignatureAlgorithm {
        /// Java's name of that signature algorithm.
        algorithm: String,
    },
}

impl Drop {
    /// Words for people.
    pub fn describe(&self) -> String {
        match self {
            Drop::KeyType { key_algorithm } => {
                format!("its {key_algorithm} key fits none of the server's signature schemes")
            }
            Drop::Issuer => "no certificate of its chain is issued under the CA names".into(),
            Drop::SignatureAlgorithm { algorithm } => format!(
                "its chain has a certificate signed with {algorithm}, which the server did not list"
            ),
        }
    }
}

/// One dropped key pair and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// The alias.
    pub alias: String,
    /// Why it does not fit.
    #[serde(flatten)]
    pub drop: Drop,
}

/// What the ranking needs to know of one key pair entry (pure data, see [`rank`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPairFacts {
    /// The alias.
    pub alias: String,
    /// Java's name of the leaf's key algorithm (`RSA`, `RSASSA-PSS`, `EC`, `EdDSA`, `DSA`, ...).
    pub key_algorithm: String,
    /// The issuer names (DER) of every certificate of the chain.
    pub issuers: Vec<Vec<u8>>,
    /// Java's names of the signature algorithms of every certificate of the chain (an
    /// unknown one is given by its OID).
    pub signature_algorithms: Vec<String>,
    /// The leaf's check result at the test's "now".
    pub check: CheckResult,
}

/// The result of [`rank`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
    /// The fitting key pairs, best first (indices into the facts), with their check result.
    pub fitting: Vec<(usize, CheckResult)>,
    /// The key pairs that do not fit, in the order seen.
    pub dropped: Vec<Dropped>,
}

/// Java's signature scheme table (`sun.security.ssl.SignatureScheme`): code, key algorithm,
/// signature algorithm name, usable for a TLS 1.3 CertificateVerify.
const SCHEMES: &[(u16, &str, &str, bool)] = &[
    (0x0403, "EC", "SHA256withECDSA", true),
    (0x0503, "EC", "SHA384withECDSA", true),
    (0x0603, "EC", "SHA512withECDSA", true),
    (0x0303, "EC", "SHA224withECDSA", false),
    (0x0203, "EC", "SHA1withECDSA", false),
    (0x0807, "EdDSA", "Ed25519", true),
    (0x0808, "EdDSA", "Ed448", true),
    (0x0804, "RSA", "RSASSA-PSS", true),
    (0x0805, "RSA", "RSASSA-PSS", true),
    (0x0806, "RSA", "RSASSA-PSS", true),
    (0x0809, "RSASSA-PSS", "RSASSA-PSS", true),
    (0x080a, "RSASSA-PSS", "RSASSA-PSS", true),
    (0x080b, "RSASSA-PSS", "RSASSA-PSS", true),
    (0x0401, "RSA", "SHA256withRSA", false),
    (0x0501, "RSA", "SHA384withRSA", false),
    (0x0601, "RSA", "SHA512withRSA", false),
    (0x0301, "RSA", "SHA224withRSA", false),
    (0x0201, "RSA", "SHA1withRSA", false),
    (0x0402, "DSA", "SHA256withDSA", false),
    (0x0302, "DSA", "SHA224withDSA", false),
    (0x0202, "DSA", "SHA1withDSA", false),
];

fn scheme(code: u16) -> Option<&'static (u16, &'static str, &'static str, bool)> {
    SCHEMES.iter().find(|s| s.0 == code)
}

/// The key types Java asks its key manager for: the key algorithms of the server's schemes,
/// in the server's order, each once, kept only when a scheme of that key algorithm can sign
/// the CertificateVerify in `version`.
pub fn key_types(schemes: &[u16], version: TlsVersion) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in schemes.iter().filter_map(|&c| scheme(c)) {
        if out.contains(&s.1) {
            continue;
        }
        let signable = schemes
            .iter()
            .filter_map(|&c| scheme(c))
            .any(|t| t.1 == s.1 && (version == TlsVersion::Tls12 || t.3));
        if signable {
            out.push(s.1);
        }
    }
    out
}

/// Ranks key pairs (in keystore order) as `kind` does for `request`: the pure heart of the
/// key manager, unit-tested below. `facts` must be in the order the key manager sees them
/// ([`java_alias_order`], and [`hash_map_order`] for SunX509).
pub fn rank(
    kind: KeyManagerKind,
    facts: &[KeyPairFacts],
    request: &CertificateRequestInfo,
) -> Ranking {
    let types = key_types(&request.signature_schemes, request.version);
    let listed: Vec<&str> = request
        .signature_schemes
        .iter()
        .filter_map(|&c| scheme(c).map(|s| s.2))
        .collect();
    let mut fitting: Vec<(usize, CheckResult, usize)> = Vec::new();
    let mut dropped = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        let Some(type_index) = types.iter().position(|t| *t == f.key_algorithm) else {
            dropped.push(Dropped {
                alias: f.alias.clone(),
                drop: Drop::KeyType {
                    key_algorithm: f.key_algorithm.clone(),
                },
            });
            continue;
        };
        let issuer_fits = request.ca_names_der.is_empty()
            || f.issuers
                .iter()
                .any(|i| request.ca_names_der.iter().any(|n| same_name(n, i)));
        if !issuer_fits {
            dropped.push(Dropped {
                alias: f.alias.clone(),
                drop: Drop::Issuer,
            });
            continue;
        }
        if kind == KeyManagerKind::Pkix
            && let Some(bad) = f
                .signature_algorithms
                .iter()
                .find(|a| !listed.iter().any(|l| l.eq_ignore_ascii_case(a)))
        {
            dropped.push(Dropped {
                alias: f.alias.clone(),
                drop: Drop::SignatureAlgorithm {
                    algorithm: bad.clone(),
                },
            });
            continue;
        }
        let check = match kind {
            KeyManagerKind::Pkix => f.check,
            KeyManagerKind::SunX509 => CheckResult::Valid,
        };
        fitting.push((i, check, type_index));
    }
    // Stable: ties keep keystore order.
    fitting.sort_by_key(|&(_, check, type_index)| match kind {
        KeyManagerKind::Pkix => (check, type_index),
        KeyManagerKind::SunX509 => (CheckResult::Valid, type_index),
    });
    Ranking {
        fitting: fitting.into_iter().map(|(i, c, _)| (i, c)).collect(),
        dropped,
    }
}

/// Java's `String.hashCode` of `text`.
fn java_hash(text: &str) -> i32 {
    text.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// The iteration order of a `java.util.HashMap` (default capacity 16, load factor 0.75)
/// filled with `keys` in order: indices into `keys`.
pub fn hash_map_order(keys: &[&str]) -> Vec<usize> {
    let mut capacity = 16usize;
    while keys.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| {
        let h = java_hash(keys[i]);
        let spread = h ^ ((h as u32) >> 16) as i32;
        (spread as u32 as usize) & (capacity - 1)
    });
    order
}

/// The enumeration order of a `java.util.Hashtable` (capacity 11, load factor 0.75) filled
/// with `keys` in order: indices into `keys`.
pub fn hashtable_order(keys: &[&str]) -> Vec<usize> {
    let bucket = |i: usize, len: usize| ((java_hash(keys[i]) & 0x7FFF_FFFF) as usize) % len;
    let mut table: Vec<Vec<usize>> = vec![Vec::new(); 11];
    let mut threshold = 8usize;
    for i in 0..keys.len() {
        if i >= threshold {
            let len = table.len() * 2 + 1;
            let mut grown: Vec<Vec<usize>> = vec![Vec::new(); len];
            for chain in table.iter().rev() {
                for &e in chain {
                    grown[bucket(e, len)].insert(0, e);
                }
            }
            table = grown;
            threshold = len * 3 / 4;
        }
        let len = table.len();
        table[bucket(i, len)].insert(0, i);
    }
    table.iter().rev().flatten().copied().collect()
}

/// The order in which Java's `KeyStore.aliases()` yields key pair entries read in file order
/// from a keystore of `format` (aliases as Java keys them: lower-cased): indices into
/// `aliases`.
pub fn java_alias_order(format: Option<Format>, aliases: &[&str]) -> Vec<usize> {
    match format {
        Some(Format::Jks | Format::Jceks) => {
            let lower: Vec<String> = aliases.iter().map(|a| a.to_lowercase()).collect();
            let keys: Vec<&str> = lower.iter().map(String::as_str).collect();
            hashtable_order(&keys)
        }
        _ => (0..aliases.len()).collect(),
    }
}

/// Whether a CA name of a CertificateRequest names the issuer `issuer` (both DER `Name`s), as
/// `X500Principal.equals` compares them.
///
/// Both are compared in their canonical form (case-insensitive, string-type-insensitive,
/// whitespace-normalised: helper pkix's [`crate::pkix::name::canonical`]); a name that does not
/// parse is compared byte for byte.
pub(crate) fn same_name(ca_name: &[u8], issuer: &[u8]) -> bool {
    if ca_name == issuer {
        return true;
    }
    match (
        crate::pkix::name::canonical(ca_name),
        crate::pkix::name::canonical(issuer),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Java's name of a key algorithm OID (`PublicKey.getAlgorithm()`).
fn key_algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.112" | "1.3.101.113" => "EdDSA",
        "1.3.101.110" | "1.3.101.111" => "XDH",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.3.1" | "1.2.840.10046.2.1" => "DH",
        other => return other.to_owned(),
    }
    .to_owned()
}

const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
const ANY_EKU: &str = "2.5.29.37.0";

/// `CheckType.CLIENT.check` of X509KeyManagerImpl for the leaf at `now`.
fn check_leaf(cert: &X509Certificate<'_>, key_algorithm: &str, now: i64) -> CheckResult {
    match cert.extended_key_usage() {
        Err(_) => return CheckResult::ExtensionMismatch,
        Ok(Some(eku)) => {
            let e = &eku.value;
            let mut oids: Vec<String> = e.other.iter().map(|o| o.to_id_string()).collect();
            if e.any {
                oids.push(ANY_EKU.to_owned());
            }
            if e.client_auth {
                oids.push(CLIENT_AUTH.to_owned());
            }
            if !oids.iter().any(|o| o == CLIENT_AUTH || o == ANY_EKU) {
                return CheckResult::ExtensionMismatch;
            }
        }
        Ok(None) => {}
    }
    match cert.key_usage() {
        Err(_) => return CheckResult::ExtensionMismatch,
        Ok(Some(ku)) => {
            let ku = &ku.value;
            let fits = match key_algorithm {
                "RSA" | "DSA" | "EC" => ku.digital_signature(),
                "DH" => ku.key_agreement(),
                _ => true,
            };
            if !fits {
                return CheckResult::ExtensionMismatch;
            }
        }
        Ok(None) => {}
    }
    let validity = cert.validity();
    if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
        return CheckResult::ExpiredOrNotYetValid;
    }
    CheckResult::Valid
}

/// The facts of a key pair's chain at `now`; `None` when the leaf does not parse.
fn facts_of(
    alias: &str,
    chain: &[CertificateDer<'static>],
    now: time::OffsetDateTime,
) -> Option<KeyPairFacts> {
    let parsed: Vec<X509Certificate<'_>> = chain
        .iter()
        .map(|c| X509Certificate::from_der(c.as_ref()).map(|(_, c)| c))
        .collect::<Result<_, _>>()
        .ok()?;
    let leaf = parsed.first()?;
    let key_algorithm = key_algorithm_name(&leaf.public_key().algorithm.algorithm.to_id_string());
    Some(KeyPairFacts {
        alias: alias.to_owned(),
        check: check_leaf(leaf, &key_algorithm, now.unix_timestamp()),
        key_algorithm,
        issuers: parsed
            .iter()
            .map(|c| c.issuer().as_raw().to_vec())
            .collect(),
        signature_algorithms: parsed
            .iter()
            .map(|c| {
                crate::pkix::java_sig_alg_name(&c.signature_algorithm.algorithm.to_id_string())
            })
            .collect(),
    })
}

/// One key pair entry as the key manager sees it.
#[derive(Clone, Debug)]
struct Entry {
    facts: KeyPairFacts,
    chain: Vec<CertificateDer<'static>>,
    /// `None`: the key did not unseal with the store password.
    key: Option<PrivateKey>,
}

/// The key manager of one connectivity test: built before the handshake from [`Options`] and
/// the [`TrustSource`]; [`KeyManager::choose`] answers a CertificateRequest.
#[derive(Clone, Debug)]
pub(crate) struct KeyManager {
    kind: KeyManagerKind,
    configured: ClientCertificate,
    /// Key pair entries in the order the key manager sees them.
    entries: Vec<Entry>,
}

impl KeyManager {
    /// The key manager `options` ask for, over the key pairs of `trust`, judging validity at
    /// `now`.
    ///
    /// Refuses a named alias that is in no entry, a key pair with an empty or unparseable
    /// chain, and (SunX509 only, as Java's `KeyManagerFactory.init` does) a key pair whose key
    /// does not unseal with the store password.
    pub(crate) fn new(
        options: &Options,
        trust: &TrustSource,
        now: time::OffsetDateTime,
    ) -> Result<Self, ConnectError> {
        let kind = options.key_manager;
        // Keystore order: unsealed and locked key pairs interleaved as in the file.
        let mut all: Vec<(usize, &str, &[CertificateDer<'static>], Option<&PrivateKey>)> = trust
            .key_pairs()
            .iter()
            .map(|k| {
                (
                    trust.key_pair_position(&k.alias),
                    k.alias.as_str(),
                    k.chain.as_slice(),
                    Some(&k.key),
                )
            })
            .chain(trust.locked_key_pairs().iter().map(|l| {
                (
                    trust.key_pair_position(&l.alias),
                    l.alias.as_str(),
                    l.chain.as_slice(),
                    None,
                )
            }))
            .collect();
        all.sort_by_key(|e| e.0);
        let selected: Vec<_> = match &options.client_certificate {
            ClientCertificate::Off => Vec::new(),
            ClientCertificate::Alias(alias) => {
                if !trust.has_alias(alias) {
                    return Err(ConnectError::UnknownAlias {
                        alias: alias.clone(),
                    });
                }
                all.into_iter()
                    .filter(|e| e.1.eq_ignore_ascii_case(alias))
                    .take(1)
                    .collect()
            }
            ClientCertificate::Automatic(_) => {
                if kind == KeyManagerKind::SunX509
                    && let Some(locked) = all.iter().find(|e| e.3.is_none())
                {
                    return Err(ConnectError::KeyPair {
                        alias: locked.1.to_owned(),
                        source: super::KeyPairError::Keystore(
                            crate::keystore::ErrorKind::WrongKeyPassword {
                                alias: locked.1.to_owned(),
                            },
                        ),
                    });
                }
                let aliases: Vec<&str> = all.iter().map(|e| e.1).collect();
                let mut order = java_alias_order(trust.format(), &aliases);
                if kind == KeyManagerKind::SunX509 {
                    let lower: Vec<String> =
                        order.iter().map(|&i| aliases[i].to_lowercase()).collect();
                    let keys: Vec<&str> = lower.iter().map(String::as_str).collect();
                    order = hash_map_order(&keys)
                        .into_iter()
                        .map(|j| order[j])
                        .collect();
                }
                order.into_iter().map(|i| all[i]).collect()
            }
        };
        let entries = selected
            .into_iter()
            .map(|(_, alias, chain, key)| {
                let bad = |source| ConnectError::KeyPair {
                    alias: alias.to_owned(),
                    source,
                };
                if chain.is_empty() {
                    return Err(bad(super::KeyPairError::EmptyChain));
                }
                let facts = facts_of(alias, chain, now).ok_or_else(|| {
                    bad(super::KeyPairError::UnsupportedKey(
                        crate::decode::TlsError(rustls::Error::General(
                            "the certificate chain does not parse".into(),
                        )),
                    ))
                })?;
                Ok(Entry {
                    facts,
                    chain: chain.to_vec(),
                    key: key.cloned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            kind,
            configured: options.client_certificate.clone(),
            entries,
        })
    }

    /// Answers a CertificateRequest: the key to send, if any, and why.
    pub(crate) fn choose(
        &self,
        request: &CertificateRequestInfo,
    ) -> (Option<ClientKey>, ChoiceReason) {
        let (chosen, reason) = self.choose_entry(request);
        let Some(entry) = chosen else {
            return (None, reason);
        };
        match &entry.key {
            Some(key) => (
                Some(ClientKey {
                    alias: entry.facts.alias.clone(),
                    chain: entry.chain.clone(),
                    pkcs8: key.clone(),
                }),
                reason,
            ),
            None => (
                None,
                ChoiceReason::KeyPasswordDiffers {
                    alias: entry.facts.alias.clone(),
                },
            ),
        }
    }

    fn choose_entry(&self, request: &CertificateRequestInfo) -> (Option<&Entry>, ChoiceReason) {
        let policy = match &self.configured {
            ClientCertificate::Off => return (None, ChoiceReason::NotConfigured),
            ClientCertificate::Alias(_) => {
                return match self.entries.first() {
                    Some(e) => (Some(e), ChoiceReason::NamedAlias),
                    None => (None, ChoiceReason::NamedAliasNotKeyPair),
                };
            }
            ClientCertificate::Automatic(policy) => *policy,
        };
        if self.entries.is_empty() {
            return (None, ChoiceReason::NoKeyPairs);
        }
        let facts: Vec<KeyPairFacts> = self.entries.iter().map(|e| e.facts.clone()).collect();
        let ranking = rank(self.kind, &facts, request);
        let alias = |i: usize| facts[i].alias.clone();
        let Some(&(best_index, best)) = ranking.fitting.first() else {
            if ranking.dropped.iter().all(|d| d.drop == Drop::Issuer) {
                let key_pairs = facts.iter().map(|f| f.alias.clone()).collect();
                return (None, ChoiceReason::NoKeyPairFits { key_pairs });
            }
            return (
                None,
                ChoiceReason::NothingFits {
                    dropped: ranking.dropped,
                },
            );
        };
        let fitting: Vec<String> = ranking.fitting.iter().map(|&(i, _)| alias(i)).collect();
        match policy {
            Policy::FirstFitting => {
                let reason = match self.kind {
                    KeyManagerKind::SunX509 => ChoiceReason::FirstFitting { fitting },
                    KeyManagerKind::Pkix => ChoiceReason::BestRanked {
                        rank: best,
                        fitting,
                        dropped: ranking.dropped,
                    },
                };
                (Some(&self.entries[best_index]), reason)
            }
            Policy::RandomFitting { seed } => {
                let best_rank: Vec<usize> = ranking
                    .fitting
                    .iter()
                    .filter(|&&(_, c)| c == best)
                    .map(|&(i, _)| i)
                    .collect();
                let pick = best_rank
                    [(super::client_cert::splitmix64(seed) % best_rank.len() as u64) as usize];
                (
                    Some(&self.entries[pick]),
                    ChoiceReason::RandomFitting {
                        fitting: best_rank.into_iter().map(alias).collect(),
                        seed,
                    },
                )
            }
        }
    }
}

#[cfg(test)]
mod tests;
