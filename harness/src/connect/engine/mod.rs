//! The connectivity test's TLS client: the system OpenSSL (libssl 3.0 through the `openssl`
//! and `tokio-openssl` crates), configured to send JDK 17's default ClientHello
//! ([`hello`]), with every certificate decision taken by our Java-rules validator and the
//! client certificate chosen when the server's CertificateRequest arrives.
//!
//! OpenSSL's own chain verification is overruled: `SSL_VERIFY_PEER` with a callback that
//! records the chain exactly as sent and answers with our validator's decision (validation
//! off: always yes). One `SSL_CTX` serves every test of the process (built once: the
//! cipher, group and signature lists are parsed once); the per-test state (`Hook`) hangs
//! on each `SSL` as ex data.

pub(crate) mod ffi;
pub mod hello;

use std::sync::{Arc, Mutex, OnceLock};

use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey};
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslOptions, SslRef, SslSessionCacheMode,
    SslVerifyMode, SslVersion, StatusType,
};
use openssl::x509::{X509, X509StoreContext, X509StoreContextRef};
use rustls_pki_types::{CertificateDer, UnixTime};

use super::ConnectError;
use super::client_cert::ChoiceReason;
use super::key_manager::{CertificateRequestInfo, ClientKey, KeyManager};
use super::options::TlsVersion;
use crate::pkix::{Accepted, Host, KeyExchange, PkixError, TlsUsage, Validator};

/// What the server's certificate check and the client-certificate hook saw, read by `run`
/// after the handshake.
#[derive(Debug, Default)]
pub(crate) struct Record {
    /// The server's certificates, exactly as sent.
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// Whether the chain has been judged (the verify callback runs once per depth).
    judged: bool,
    /// The report's view of `chain` (the certificates that parse), taken from the verdict
    /// memo when the chain was judged before; `None`: not computed here.
    pub(crate) infos: Option<Vec<crate::cert::CertInfo>>,
    /// What validation said (also when validation is off).
    pub(crate) error: Option<PkixError>,
    /// Validation off: what JSSE still refuses (algorithm constraints on the chain as sent).
    pub(crate) unvalidated: Option<PkixError>,
    /// A refusal of Java's own that is no certificate rule (chain length, an
    /// `unrecognized_name` warning under TLS 1.2): the Java reason text.
    pub(crate) refusal: Option<Refusal>,
    /// How the chain was accepted, when it was.
    pub(crate) accepted: Option<Accepted>,
    /// Whether the server sent a CertificateRequest.
    pub(crate) requested: bool,
    /// Its CA names (DER).
    pub(crate) ca_names: Vec<Vec<u8>>,
    /// The signature schemes it accepts.
    pub(crate) ca_sigalgs: Vec<u16>,
    /// The alias chosen.
    pub(crate) chosen: Option<String>,
    /// Why.
    pub(crate) reason: Option<ChoiceReason>,
    /// Whether a certificate was handed to OpenSSL for sending.
    pub(crate) used: bool,
    /// A warning `unrecognized_name` alert arrived.
    pub(crate) unrecognized_name_warning: bool,
}

/// Why Java's client stops the handshake on its own, besides certificate rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// More certificates than `jdk.tls.maxCertificateChainLength`.
    ChainTooLong {
        /// How many the server sent.
        length: usize,
    },
    /// A warning `unrecognized_name` alert under TLS 1.2.
    UnrecognizedName,
    /// A TLS 1.3 CertificateRequest whose certificate_authorities extension lists no name
    /// (Java's `CertificateAuthoritiesExtension` refuses it while parsing the request).
    EmptyCertificateAuthorities,
}

/// The per-test state the OpenSSL callbacks work with.
pub(crate) struct Hook {
    pub(crate) record: Mutex<Record>,
    validator: Arc<Validator>,
    host: Host,
    now: UnixTime,
    enforce: bool,
    key_manager: KeyManager,
    verdicts: VerdictCache,
}

impl Hook {
    pub(crate) fn new(
        validator: Arc<Validator>,
        host: Host,
        now: UnixTime,
        enforce: bool,
        key_manager: KeyManager,
        verdicts: VerdictCache,
    ) -> Self {
        Self {
            record: Mutex::default(),
            validator,
            host,
            now,
            enforce,
            key_manager,
            verdicts,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The chain hook (instead of OpenSSL's verification): judges the chain as sent.
    fn verify(&self, ctx: &mut X509StoreContextRef) -> bool {
        let mut record = self.lock();
        if !record.judged {
            record.judged = true;
            let ssl = X509StoreContext::ssl_idx()
                .ok()
                .and_then(|idx| ctx.ex_data(idx));
            let chain: Vec<CertificateDer<'static>> = ssl
                .and_then(|ssl| ssl.peer_cert_chain())
                .map(|stack| {
                    stack
                        .iter()
                        .filter_map(|c| c.to_der().ok())
                        .map(CertificateDer::from)
                        .collect()
                })
                .unwrap_or_default();
            let tls12 = ssl.is_some_and(|s| s.version2() != Some(SslVersion::TLS1_3));
            let usage = ssl.map(usage_of).unwrap_or(TlsUsage {
                version: TlsVersion::Tls13,
                key_exchange: KeyExchange::Unknown,
            });
            record.chain = chain;
            if record.unrecognized_name_warning && tls12 {
                record.refusal = Some(Refusal::UnrecognizedName);
            } else if !tls12 && ssl.is_some_and(ffi::peer_ca_names_empty_list) {
                // TLS 1.3 sends the CertificateRequest before the Certificate: Java has
                // already failed on it.
                record.refusal = Some(Refusal::EmptyCertificateAuthorities);
            } else if record.chain.len() > hello::MAX_CERTIFICATE_CHAIN_LENGTH {
                record.refusal = Some(Refusal::ChainTooLong {
                    length: record.chain.len(),
                });
            } else {
                let now = self.now.as_secs();
                let found = self
                    .verdicts
                    .find(&record.chain, &self.host, now, usage, self.enforce);
                let verdict = match found {
                    Some(verdict) => verdict,
                    None => {
                        let verdict = Verdict {
                            infos: record
                                .chain
                                .iter()
                                .filter_map(|c| crate::cert::CertInfo::from_der(c.as_ref()).ok())
                                .collect(),
                            validated: self.validator.validate(
                                &record.chain,
                                &self.host,
                                self.now,
                                usage,
                            ),
                            unvalidated: if self.enforce {
                                None
                            } else {
                                self.validator.check_unvalidated(&record.chain, usage).err()
                            },
                            chain: record.chain.clone(),
                            host: self.host.clone(),
                            now,
                            usage,
                            enforce: self.enforce,
                        };
                        self.verdicts.put(verdict.clone());
                        verdict
                    }
                };
                match verdict.validated {
                    Ok(accepted) => record.accepted = Some(accepted),
                    Err(err) => record.error = Some(err),
                }
                record.unvalidated = verdict.unvalidated;
                record.infos = Some(verdict.infos);
            }
        }
        let ok = record.refusal.is_none()
            && if self.enforce {
                record.error.is_none()
            } else {
                record.unvalidated.is_none()
            };
        if !ok {
            ctx.set_error(ffi::refused());
        }
        ok
    }

    /// The client-certificate hook: Java's key manager choice, then the key handed to
    /// OpenSSL. `false` only on an internal failure (the handshake then fails).
    fn client_cert(&self, ssl: &mut SslRef) -> bool {
        let request = CertificateRequestInfo {
            ca_names_der: ffi::peer_ca_names(ssl),
            signature_schemes: ffi::peer_sigalgs(ssl),
            version: usage_of(ssl).version,
        };
        let (chosen, reason) = self.key_manager.choose(&request);
        let used = chosen.as_ref().is_some_and(|key| load(ssl, key).is_ok());
        let mut record = self.lock();
        record.requested = true;
        record.chosen = match (&chosen, &reason) {
            (Some(k), _) => Some(k.alias.clone()),
            (None, ChoiceReason::KeyPasswordDiffers { alias }) => Some(alias.clone()),
            (None, _) => None,
        };
        record.ca_names = request.ca_names_der;
        record.ca_sigalgs = request.signature_schemes;
        record.reason = Some(reason);
        record.used = used;
        true
    }
}

/// Verdicts of the validator, memoised per [`TrustSource`]: validation is a pure function of
/// (chain as sent, host, now, negotiated usage), and repeated tests against one receiver (a
/// scenario run, a bench) send the same chain at the same instant. At most
/// [`VerdictCache::SIZE`] entries, oldest dropped.
///
/// [`TrustSource`]: super::TrustSource
#[derive(Clone, Default)]
pub(crate) struct VerdictCache(Arc<Mutex<Vec<Verdict>>>);

#[derive(Clone)]
struct Verdict {
    chain: Vec<CertificateDer<'static>>,
    host: Host,
    now: u64,
    usage: TlsUsage,
    enforce: bool,
    validated: Result<Accepted, PkixError>,
    unvalidated: Option<PkixError>,
    /// The report's view of `chain`, parsed once.
    infos: Vec<crate::cert::CertInfo>,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        write!(f, "VerdictCache({} entries)", cache.len())
    }
}

impl VerdictCache {
    /// How many verdicts are kept.
    const SIZE: usize = 16;

    fn find(
        &self,
        chain: &[CertificateDer<'static>],
        host: &Host,
        now: u64,
        usage: TlsUsage,
        enforce: bool,
    ) -> Option<Verdict> {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .iter()
            .find(|v| {
                v.now == now
                    && v.usage == usage
                    && v.enforce == enforce
                    && &v.host == host
                    && v.chain == chain
            })
            .cloned()
    }

    fn put(&self, verdict: Verdict) {
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= Self::SIZE {
            cache.remove(0);
        }
        cache.push(verdict);
    }
}

/// A key pair decoded into OpenSSL objects, once per process: every [`TrustSource`] of a
/// scenario run holds the same seeded key pairs, and decoding one costs OpenSSL 3.0 about
/// as much as a handshake (`perf record` of `scenarios run`: 6% of the suite's CPU before
/// this memo). Entries are found by the chain and a SHA-256 of the PKCS#8 bytes, so the
/// memo keeps no second copy of a private key's bytes; at most 64 are kept.
///
/// [`TrustSource`]: super::TrustSource
fn decode_key(key: &ClientKey) -> Result<(Vec<X509>, PKey<openssl::pkey::Private>), ErrorStack> {
    type Decoded = (Vec<X509>, PKey<openssl::pkey::Private>);
    static MEMO: crate::memo::Memo<([u8; 32], Vec<CertificateDer<'static>>), Decoded> =
        crate::memo::Memo::new(64);
    let id = openssl::sha::sha256(key.pkcs8.secret_pkcs8_der());
    MEMO.get_or_try_insert(&(id, key.chain.clone()), || {
        let chain = key
            .chain
            .iter()
            .map(|c| X509::from_der(c.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            chain,
            PKey::private_key_from_der(key.pkcs8.secret_pkcs8_der())?,
        ))
    })
}

/// Hands a chosen key pair to OpenSSL for sending.
fn load(ssl: &mut SslRef, key: &ClientKey) -> Result<(), ErrorStack> {
    let (chain, private) = decode_key(key)?;
    let mut certs = chain.into_iter();
    let Some(leaf) = certs.next() else {
        return Ok(());
    };
    ssl.set_certificate(&leaf)?;
    ssl.set_private_key(&private)?;
    for cert in certs {
        ssl.add_chain_cert(cert)?;
    }
    Ok(())
}

fn hook_index() -> Result<openssl::ex_data::Index<Ssl, Arc<Hook>>, ErrorStack> {
    static INDEX: OnceLock<Result<openssl::ex_data::Index<Ssl, Arc<Hook>>, ErrorStack>> =
        OnceLock::new();
    INDEX.get_or_init(Ssl::new_ex_index).clone()
}

fn hook_of(ssl: &SslRef) -> Option<Arc<Hook>> {
    ssl.ex_data(hook_index().ok()?).cloned()
}

fn on_client_cert(ssl: &mut SslRef) -> bool {
    match hook_of(ssl) {
        Some(hook) => hook.client_cert(ssl),
        None => true,
    }
}

fn on_chain(ctx: &mut X509StoreContextRef) -> bool {
    let hook = X509StoreContext::ssl_idx()
        .ok()
        .and_then(|idx| ctx.ex_data(idx))
        .and_then(hook_of);
    match hook {
        Some(hook) => hook.verify(ctx),
        None => false,
    }
}

fn on_alert(ssl: &SslRef, level: u8, description: u8) {
    // level 1 = warning, 112 = unrecognized_name.
    if level == 1
        && description == 112
        && let Some(hook) = hook_of(ssl)
    {
        hook.lock().unrecognized_name_warning = true;
    }
}

/// Makes libcrypto 3.0 decode EC public keys its fast built-in way, process-wide (a
/// method-only ENGINE offering libcrypto's own built-in EC methods; docs/DESIGN.md): about 170 us less per P-256 certificate parsed, libssl's parse
/// of the server's chain and the validator's included. Returns whether it is in place.
///
/// Opt-in, once, early, by a process whose only OpenSSL work is connectivity tests (the
/// `harness connect` command, the connect bench): the switch routes every EC operation of
/// the process through libcrypto's built-in EC methods, and certificate issuing with the
/// `openssl` crate in the same process (mock-receiver's legacy PKI under the scenario runner)
/// then fails (`ctrl_params_translate: command not supported`). Without it the results are
/// the same, only slower.
pub fn fast_public_keys() -> bool {
    ffi::fast_public_keys()
}

/// The one client context of the process.
fn context() -> Result<&'static SslContext, ConnectError> {
    static CONTEXT: OnceLock<Result<SslContext, ErrorStack>> = OnceLock::new();
    CONTEXT
        .get_or_init(build_context)
        .as_ref()
        .map_err(|e| ConnectError::Config(e.clone()))
}

fn build_context() -> Result<SslContext, ErrorStack> {
    let mut builder = SslContextBuilder::new(SslMethod::tls_client())?;
    builder.set_cipher_list(&hello::openssl_cipher_list())?;
    builder.set_ciphersuites(&hello::openssl_ciphersuites())?;
    builder.set_groups_list(&hello::openssl_groups())?;
    builder.set_sigalgs_list(&hello::openssl_sigalgs())?;
    builder.set_security_level(0);
    // Java sends neither encrypt_then_mac nor a session ticket it could reuse: every test
    // is a full handshake, as CPI's is.
    // SSL_OP_NO_ENCRYPT_THEN_MAC (1 << 19), which the crate does not name.
    builder.set_options(SslOptions::from_bits_retain(1 << 19));
    builder.set_session_cache_mode(SslSessionCacheMode::OFF);
    builder.set_min_proto_version(Some(SslVersion::TLS1))?;
    builder.set_max_proto_version(Some(SslVersion::TLS1_3))?;
    ffi::install(
        &mut builder,
        on_client_cert,
        on_chain,
        on_alert,
        hello::MAX_HANDSHAKE_MESSAGE_SIZE,
    );
    Ok(builder.build())
}

fn ssl_version(v: TlsVersion) -> SslVersion {
    match v {
        TlsVersion::Tls10 => SslVersion::TLS1,
        TlsVersion::Tls11 => SslVersion::TLS1_1,
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    }
}

/// A new client SSL for one test: versions, SNI, OCSP status request (as Java sends), the
/// verify callback and the hook.
pub(crate) fn new_ssl(
    hook: &Arc<Hook>,
    min: TlsVersion,
    max: TlsVersion,
    sni: Option<&str>,
) -> Result<Ssl, ConnectError> {
    let config = |e: ErrorStack| ConnectError::Config(e);
    let mut ssl = Ssl::new(context()?).map_err(config)?;
    ssl.set_min_proto_version(Some(ssl_version(min)))
        .map_err(config)?;
    ssl.set_max_proto_version(Some(ssl_version(max)))
        .map_err(config)?;
    if let Some(name) = sni {
        ssl.set_hostname(name).map_err(config)?;
    }
    ssl.set_status_type(StatusType::OCSP).map_err(config)?;
    ssl.set_ex_data(hook_index().map_err(config)?, hook.clone());
    // PEER: a refusal by the chain hook (`on_chain`, which replaces OpenSSL's own chain
    // verification) ends the handshake.
    ssl.set_verify(SslVerifyMode::PEER);
    Ok(ssl)
}

/// What the handshake negotiated, in Java's names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Negotiated {
    pub(crate) protocol: Option<String>,
    pub(crate) cipher: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) signature_scheme: Option<String>,
}

/// Reads what a finished handshake negotiated.
pub(crate) fn negotiated(ssl: &SslRef) -> Negotiated {
    let protocol = Some(ssl.version_str().to_owned()).filter(|v| v != "unknown");
    let cipher = ssl
        .current_cipher()
        .and_then(|c| c.standard_name())
        .map(str::to_owned);
    let group = group_name(ssl);
    let leaf_key = ssl
        .peer_certificate()
        .and_then(|c| c.public_key().ok())
        .map(|k| k.id());
    let signature_scheme = ffi::peer_signature(ssl)
        .and_then(|(kind, digest)| scheme_name(kind, digest, leaf_key))
        .map(str::to_owned);
    Negotiated {
        protocol,
        cipher,
        group,
        signature_scheme,
    }
}

fn group_name(ssl: &SslRef) -> Option<String> {
    let nid = ffi::negotiated_group(ssl);
    let named = match nid {
        1034 => Some("x25519"),
        1035 => Some("x448"),
        415 => Some("secp256r1"),
        715 => Some("secp384r1"),
        716 => Some("secp521r1"),
        1126 => Some("ffdhe2048"),
        1127 => Some("ffdhe3072"),
        1128 => Some("ffdhe4096"),
        1129 => Some("ffdhe6144"),
        1130 => Some("ffdhe8192"),
        _ => None,
    };
    if let Some(name) = named {
        return Some(name.to_owned());
    }
    // TLS 1.2 DHE with the server's own parameters: no named group, only a size.
    let key = ssl.peer_tmp_key().ok()?;
    match key.id() {
        Id::DH => Some(format!("dhe{}", key.bits())),
        Id::EC => key
            .ec_key()
            .ok()?
            .group()
            .curve_name()
            .and_then(|n: Nid| n.short_name().ok())
            .map(str::to_owned),
        _ => None,
    }
}

fn scheme_name(kind: i32, digest: i32, leaf: Option<Id>) -> Option<&'static str> {
    let hash = match digest {
        64 => "sha1",
        675 => "sha224",
        672 => "sha256",
        673 => "sha384",
        674 => "sha512",
        _ => "",
    };
    let name = match (kind, hash) {
        (1087, _) => "ed25519",
        (1088, _) => "ed448",
        (408, "sha256") => "ecdsa_secp256r1_sha256",
        (408, "sha384") => "ecdsa_secp384r1_sha384",
        (408, "sha512") => "ecdsa_secp521r1_sha512",
        (408, "sha224") => "ecdsa_sha224",
        (408, "sha1") => "ecdsa_sha1",
        (6, "sha256") => "rsa_pkcs1_sha256",
        (6, "sha384") => "rsa_pkcs1_sha384",
        (6, "sha512") => "rsa_pkcs1_sha512",
        (6, "sha224") => "rsa_sha224",
        (6, "sha1") => "rsa_pkcs1_sha1",
        (912, h) if leaf == Some(Id::RSA_PSS) => match h {
            "sha256" => "rsa_pss_pss_sha256",
            "sha384" => "rsa_pss_pss_sha384",
            "sha512" => "rsa_pss_pss_sha512",
            _ => return None,
        },
        (912, "sha256") => "rsa_pss_rsae_sha256",
        (912, "sha384") => "rsa_pss_rsae_sha384",
        (912, "sha512") => "rsa_pss_rsae_sha512",
        (116, "sha256") => "dsa_sha256",
        (116, "sha224") => "dsa_sha224",
        (116, "sha1") => "dsa_sha1",
        _ => return None,
    };
    Some(name)
}

/// What the handshake has negotiated so far, for the rules that depend on it.
fn usage_of(ssl: &SslRef) -> TlsUsage {
    let version = match ssl.version2() {
        Some(SslVersion::TLS1_3) => TlsVersion::Tls13,
        Some(SslVersion::TLS1_1) => TlsVersion::Tls11,
        Some(SslVersion::TLS1) => TlsVersion::Tls10,
        _ => TlsVersion::Tls12,
    };
    let key_exchange = ssl
        .current_cipher()
        .and_then(|c| c.standard_name())
        .map_or(KeyExchange::Unknown, key_exchange_of);
    TlsUsage {
        version,
        key_exchange,
    }
}

/// The key exchange of a negotiated suite, from its IANA name.
pub(crate) fn key_exchange_of(cipher: &str) -> KeyExchange {
    if !cipher.contains("_WITH_") {
        KeyExchange::Tls13
    } else if cipher.starts_with("TLS_ECDHE_") {
        KeyExchange::Ecdhe
    } else if cipher.starts_with("TLS_DHE_") {
        KeyExchange::Dhe
    } else if cipher.starts_with("TLS_RSA_") {
        KeyExchange::Rsa
    } else {
        KeyExchange::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_accepts_every_list() {
        assert!(context().is_ok());
    }

    /// A self-signed certificate over `key`, signed with SHA-256, as DER.
    fn self_signed(key: &PKey<openssl::pkey::Private>) -> Vec<u8> {
        let mut name = openssl::x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "fast keys").unwrap();
        let name = name.build();
        let mut builder = openssl::x509::X509Builder::new().unwrap();
        builder.set_version(2).unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(&name).unwrap();
        builder.set_pubkey(key).unwrap();
        let not_before = openssl::asn1::Asn1Time::from_unix(1_700_000_000).unwrap();
        let not_after = openssl::asn1::Asn1Time::from_unix(1_800_000_000).unwrap();
        builder.set_not_before(&not_before).unwrap();
        builder.set_not_after(&not_after).unwrap();
        builder
            .sign(key, openssl::hash::MessageDigest::sha256())
            .unwrap();
        builder.build().to_der().unwrap()
    }

    #[test]
    fn keys_decoded_the_built_in_way_keep_their_type_size_and_signatures() {
        let ec = PKey::from_ec_key(
            openssl::ec::EcKey::generate(
                &openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        // RSA keeps the provider path; it must parse and verify alike after the switch.
        let ders = [
            (self_signed(&ec), Id::EC, 256),
            (self_signed(&rsa), Id::RSA, 2048),
        ];
        assert!(ffi::fast_public_keys(), "the ENGINE is installed");
        let other = PKey::from_ec_key(
            openssl::ec::EcKey::generate(
                &openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        for (der, id, bits) in ders {
            let cert = X509::from_der(&der).unwrap();
            let key = cert.public_key().unwrap();
            assert_eq!((key.id(), key.bits()), (id, bits));
            assert!(cert.verify(&key).unwrap(), "its own signature verifies");
            assert!(
                !cert.verify(&other).unwrap_or(false),
                "another key's does not"
            );
            assert_eq!(cert.to_der().unwrap(), der, "re-encodes byte for byte");
        }
        // A signature made after the switch verifies too (signing through the built-in
        // methods, as a client certificate's CertificateVerify is).
        let cert = X509::from_der(&self_signed(&ec)).unwrap();
        assert!(cert.verify(&cert.public_key().unwrap()).unwrap());
    }

    #[test]
    fn key_exchange_follows_the_suite_name() {
        assert_eq!(
            key_exchange_of("TLS_AES_128_GCM_SHA256"),
            KeyExchange::Tls13
        );
        assert_eq!(
            key_exchange_of("TLS_RSA_WITH_AES_128_CBC_SHA"),
            KeyExchange::Rsa
        );
        assert_eq!(
            key_exchange_of("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
            KeyExchange::Dhe
        );
    }
}
