//! A world's certificates and keystore, made with the `openssl` crate: SHA-1/MD5, RSA-PSS,
//! DSA, Ed448, v1 certificates, custom extensions and PrintableString names included.
//!
//! Keys come from a small pool per key type, generated once with `openssl genpkey` and kept
//! in the target directory (RSA-3072 and DSA parameters take seconds each).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use harness::secret::{Password, PrivateKey};
use openssl::asn1::{Asn1Integer, Asn1Time, Asn1Type};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::x509::{X509, X509Builder, X509Extension, X509Name, X509NameBuilder};
use rustls_pki_types::CertificateDer;

use crate::dims::*;

/// Keys per key type in the pool.
const POOL: usize = 3;
const DAY: i64 = 86_400;
/// certificatePolicies with the one policy 1.3.6.1.4.1.55555.1.1.
const POLICY_DER: &str = "DER:30:0E:30:0C:06:0A:2B:06:01:04:01:83:B2:03:01:01";
/// The keystore password (every world).
pub(crate) const STORE_PASSWORD: &str = "changeit";
/// The key password of a key pair whose password differs.
pub(crate) const OTHER_KEY_PASSWORD: &str = "keypass2";

/// Keys by type, `POOL` of each.
pub(crate) struct KeyPool(BTreeMap<KeyKind, Vec<PKey<Private>>>);

fn genpkey_args(kind: KeyKind) -> Vec<&'static str> {
    match kind {
        KeyKind::P256 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        KeyKind::P384 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        KeyKind::P521 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        KeyKind::Rsa1024 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        KeyKind::Rsa2048 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        KeyKind::Rsa3072 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        KeyKind::RsaPss => vec!["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
        KeyKind::Ed25519 => vec!["-algorithm", "ED25519"],
        KeyKind::Ed448 => vec!["-algorithm", "ED448"],
        KeyKind::Dsa2048 => vec![],
    }
}

impl KeyPool {
    /// Loads the pool from `dir`, generating what is missing (in parallel, one thread per
    /// key type).
    pub(crate) fn load(openssl: &Path, dir: &Path) -> KeyPool {
        std::fs::create_dir_all(dir).unwrap();
        let handles: Vec<_> = KeyKind::ALL
            .iter()
            .map(|&kind| {
                let (openssl, dir) = (openssl.to_owned(), dir.to_owned());
                std::thread::spawn(move || {
                    let keys: Vec<PKey<Private>> = (0..POOL)
                        .map(|i| {
                            let path = dir.join(format!("{}-{i}.pem", kind.tag()));
                            if !path.is_file() {
                                generate(&openssl, &dir, kind, &path);
                            }
                            PKey::private_key_from_pem(&std::fs::read(&path).unwrap()).unwrap()
                        })
                        .collect();
                    (kind, keys)
                })
            })
            .collect();
        KeyPool(handles.into_iter().map(|h| h.join().unwrap()).collect())
    }

    /// Key `i` (modulo the pool) of `kind`.
    pub(crate) fn get(&self, kind: KeyKind, i: usize) -> &PKey<Private> {
        let keys = &self.0[&kind];
        &keys[i % keys.len()]
    }
}

fn generate(openssl: &Path, dir: &Path, kind: KeyKind, path: &Path) {
    let tmp = path.with_extension("tmp");
    if kind == KeyKind::Dsa2048 {
        let params = dir.join("dsa2048.params");
        if !params.is_file() {
            let ptmp = dir.join("dsa2048.params.tmp");
            tests::run_ok(
                Command::new(openssl)
                    .args([
                        "genpkey",
                        "-genparam",
                        "-algorithm",
                        "DSA",
                        "-pkeyopt",
                        "dsa_paramgen_bits:2048",
                        "-out",
                    ])
                    .arg(&ptmp),
            );
            std::fs::rename(&ptmp, &params).unwrap();
        }
        tests::run_ok(
            Command::new(openssl)
                .args(["genpkey", "-paramfile"])
                .arg(&params)
                .arg("-out")
                .arg(&tmp),
        );
    } else {
        tests::run_ok(
            Command::new(openssl)
                .arg("genpkey")
                .args(genpkey_args(kind))
                .arg("-out")
                .arg(&tmp),
        );
    }
    std::fs::rename(&tmp, path).unwrap();
}

/// The digest a key of `kind` can sign with, for the wanted one (SHA-256 where it cannot;
/// none for EdDSA).
pub(crate) fn effective_digest(kind: KeyKind, wanted: Digest) -> Option<Digest> {
    match kind {
        KeyKind::Ed25519 | KeyKind::Ed448 => None,
        KeyKind::P256 | KeyKind::P384 | KeyKind::P521 => Some(match wanted {
            Digest::Md5 => Digest::Sha256,
            d => d,
        }),
        KeyKind::RsaPss => Some(match wanted {
            Digest::Md5 | Digest::Sha1 | Digest::Sha224 => Digest::Sha256,
            d => d,
        }),
        KeyKind::Dsa2048 => Some(match wanted {
            Digest::Md5 => Digest::Sha256,
            d => d,
        }),
        KeyKind::Rsa1024 | KeyKind::Rsa2048 | KeyKind::Rsa3072 => Some(wanted),
    }
}

fn md(d: Option<Digest>) -> MessageDigest {
    match d {
        None => MessageDigest::null(),
        Some(Digest::Sha256) => MessageDigest::sha256(),
        Some(Digest::Sha384) => MessageDigest::sha384(),
        Some(Digest::Sha1) => MessageDigest::sha1(),
        Some(Digest::Md5) => MessageDigest::md5(),
        Some(Digest::Sha224) => MessageDigest::sha224(),
        Some(Digest::Sha512) => MessageDigest::sha512(),
    }
}

fn kind_of(key: &PKey<Private>) -> KeyKind {
    match key.id() {
        Id::ED25519 => KeyKind::Ed25519,
        Id::ED448 => KeyKind::Ed448,
        Id::RSA_PSS => KeyKind::RsaPss,
        Id::DSA => KeyKind::Dsa2048,
        Id::EC => KeyKind::P256,
        _ => KeyKind::Rsa2048,
    }
}

fn name(entries: &[(&str, &str)], enc: Asn1Type) -> X509Name {
    let mut b = X509NameBuilder::new().unwrap();
    for (field, value) in entries {
        b.append_entry_by_text_with_type(field, value, enc).unwrap();
    }
    b.build()
}

/// A certificate with its key and its subject's entries.
pub(crate) struct Issued {
    pub(crate) cert: X509,
    pub(crate) key: PKey<Private>,
    subject: Vec<(String, String)>,
}

impl Issued {
    fn entries(&self) -> Vec<(&str, &str)> {
        self.subject
            .iter()
            .map(|(f, v)| (f.as_str(), v.as_str()))
            .collect()
    }

    pub(crate) fn der(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.cert.to_der().unwrap())
    }
}

/// What to issue.
struct Spec<'a> {
    subject: Vec<(String, String)>,
    key: PKey<Private>,
    /// `None`: self-signed.
    issuer: Option<&'a Issued>,
    digest: Digest,
    window: (i64, i64),
    v1: bool,
    exts: Vec<(String, String)>,
    serial: u32,
    /// The subject's string type.
    subject_enc: Asn1Type,
    /// The string type of the issuer field (for a name written differently from the
    /// issuer's own subject).
    issuer_enc: Asn1Type,
}

fn ext(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

fn issue(spec: Spec<'_>) -> Issued {
    let subject: Vec<(&str, &str)> = spec
        .subject
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    let subject_name = name(&subject, spec.subject_enc);
    let (issuer_name, signer) = match spec.issuer {
        Some(i) => (name(&i.entries(), spec.issuer_enc), &i.key),
        None => (name(&subject, spec.issuer_enc), &spec.key),
    };
    let mut b = X509Builder::new().unwrap();
    b.set_version(if spec.v1 { 0 } else { 2 }).unwrap();
    let serial = BigNum::from_u32(spec.serial).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&serial).unwrap())
        .unwrap();
    b.set_subject_name(&subject_name).unwrap();
    b.set_issuer_name(&issuer_name).unwrap();
    b.set_not_before(&Asn1Time::from_unix(spec.window.0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(spec.window.1).unwrap())
        .unwrap();
    b.set_pubkey(&spec.key).unwrap();
    if !spec.v1 {
        let mut made = Vec::new();
        {
            let ctx = b.x509v3_context(spec.issuer.map(|i| i.cert.as_ref()), None);
            let mut all = vec![ext("subjectKeyIdentifier", "hash")];
            if spec
                .issuer
                .is_some_and(|i| i.cert.subject_key_id().is_some())
            {
                all.push(ext("authorityKeyIdentifier", "keyid"));
            }
            all.extend(spec.exts.iter().cloned());
            for (n, v) in &all {
                #[allow(deprecated)]
                let e = X509Extension::new(None, Some(&ctx), n, v)
                    .unwrap_or_else(|e| panic!("extension {n}={v}: {e}"));
                made.push(e);
            }
        }
        for e in made {
            b.append_extension(e).unwrap();
        }
    }
    let digest = effective_digest(kind_of(signer), spec.digest);
    b.sign(signer, md(digest)).unwrap();
    Issued {
        cert: b.build(),
        key: spec.key,
        subject: spec.subject,
    }
}

/// The files and passwords of one materialised world.
#[derive(Clone, Debug)]
pub(crate) struct Materials {
    pub(crate) dir: PathBuf,
    /// The receiver's certificate, key and extra certificates (`-cert_chain`; none when
    /// empty).
    pub(crate) server_cert: PathBuf,
    pub(crate) server_key: PathBuf,
    pub(crate) server_chain: Option<PathBuf>,
    /// The certificate a receiver that switches by SNI answers with.
    pub(crate) sni_cert: PathBuf,
    pub(crate) sni_key: PathBuf,
    /// `-CAfile` for client authentication.
    pub(crate) client_ca: PathBuf,
    pub(crate) keystore: PathBuf,
    pub(crate) store_type: &'static str,
    /// Aliases in keystore order.
    pub(crate) aliases: Vec<String>,
}

fn write_pem(path: &Path, certs: &[&X509]) {
    let mut text = Vec::new();
    for c in certs {
        text.extend(c.to_pem().unwrap());
    }
    std::fs::write(path, text).unwrap();
}

/// Makes the world's PKI and keystore in `dir`, valid around `now` (Unix seconds).
pub(crate) fn materialise(
    w: &World,
    index: usize,
    pool: &KeyPool,
    now: i64,
    dir: &Path,
) -> Materials {
    std::fs::create_dir_all(dir).unwrap();
    let (subject_enc, issuer_enc) = match w.names {
        Names::Utf8 => (Asn1Type::UTF8STRING, Asn1Type::UTF8STRING),
        Names::Printable => (Asn1Type::PRINTABLESTRING, Asn1Type::PRINTABLESTRING),
        Names::Mixed => (Asn1Type::UTF8STRING, Asn1Type::PRINTABLESTRING),
    };
    let host = w.host_name();
    let org = ("O".to_owned(), "Diff Test".to_owned());
    let cn = |s: String| vec![org.clone(), ("CN".to_owned(), s)];
    let mut serial = 1u32;
    let mut next_serial = || {
        serial += 1;
        serial
    };
    let ca_key = |i: usize| pool.get(w.ca_key.kind(), index + i).clone();
    let n_int = w.intermediates();
    let leaf_issuer_is_int = n_int > 0;

    // Root.
    let root_window = match (w.validity, n_int) {
        (ServerValidity::RootExpired, _) | (ServerValidity::IntExpired, 0) => {
            (now - 800 * DAY, now - 2 * DAY)
        }
        _ => (now - 400 * DAY, now + 3650 * DAY),
    };
    let mut root_exts = vec![
        ext("basicConstraints", "critical,CA:TRUE"),
        ext("keyUsage", "critical,keyCertSign,cRLSign"),
    ];
    let nc_value = match w.nc {
        NameConstraints::None => None,
        NameConstraints::IntPermitsHost => Some(
            "critical,permitted;DNS:diff.test,permitted;DNS:localhost,permitted;IP:127.0.0.0/255.0.0.0",
        ),
        NameConstraints::IntPermitsOther | NameConstraints::RootPermitsOther => {
            Some("critical,permitted;DNS:other.test,permitted;IP:10.0.0.0/255.0.0.0")
        }
        NameConstraints::IntExcludesHost => Some(
            "critical,excluded;DNS:server.diff.test,excluded;DNS:localhost,excluded;IP:127.0.0.1/255.255.255.255",
        ),
    };
    let nc_on_root = w.nc == NameConstraints::RootPermitsOther || !leaf_issuer_is_int;
    if let (Some(v), true) = (nc_value, nc_on_root) {
        root_exts.push(ext("nameConstraints", v));
    }
    if !leaf_issuer_is_int {
        if w.ca == CaProfile::NoKeyCertSign {
            root_exts[1] = ext("keyUsage", "critical,digitalSignature,cRLSign");
        }
        if w.policies == Policies::RequireExplicit {
            root_exts.push(ext("policyConstraints", "critical,requireExplicitPolicy:0"));
        }
    }
    let root = issue(Spec {
        subject: cn(format!("Diff Root CA {index}")),
        key: ca_key(0),
        issuer: None,
        digest: w.digest,
        window: root_window,
        v1: w.ca == CaProfile::RootV1,
        exts: root_exts,
        serial: next_serial(),
        subject_enc,
        issuer_enc: subject_enc,
    });

    // Intermediates, top first.
    let mut ints: Vec<Issued> = Vec::new();
    for i in 0..n_int {
        let top = i == 0;
        let last = i + 1 == n_int;
        let mut exts = vec![
            ext(
                "basicConstraints",
                if top && w.ca == CaProfile::PathLen0 {
                    "critical,CA:TRUE,pathlen:0"
                } else if top && w.ca == CaProfile::IntNotCa {
                    "critical,CA:FALSE"
                } else {
                    "critical,CA:TRUE"
                },
            ),
            ext(
                "keyUsage",
                if last && w.ca == CaProfile::NoKeyCertSign {
                    "critical,digitalSignature,cRLSign"
                } else {
                    "critical,keyCertSign,cRLSign"
                },
            ),
        ];
        if let (Some(v), false, true) = (nc_value, nc_on_root, last) {
            exts.push(ext("nameConstraints", v));
        }
        if top && w.policies == Policies::RequireExplicit {
            exts.push(ext("policyConstraints", "critical,requireExplicitPolicy:0"));
        }
        let window = if top && w.validity == ServerValidity::IntExpired {
            (now - 800 * DAY, now - 2 * DAY)
        } else {
            (now - 300 * DAY, now + 3000 * DAY)
        };
        let issued = issue(Spec {
            subject: cn(format!("Diff Intermediate CA {} {index}", i + 1)),
            key: ca_key(i + 1),
            issuer: Some(ints.last().unwrap_or(&root)),
            digest: w.digest,
            window,
            v1: top && w.ca == CaProfile::IntV1,
            exts,
            serial: next_serial(),
            subject_enc,
            issuer_enc,
        });
        ints.push(issued);
    }

    // The server leaf.
    let leaf_window = match w.validity {
        ServerValidity::LeafExpired => (now - 400 * DAY, now - DAY),
        ServerValidity::LeafNotYet => (now + 2 * DAY, now + 400 * DAY),
        ServerValidity::Pre1970 => (-157_766_400, now + 365 * DAY),
        _ => (now - 30 * DAY, now + 365 * DAY),
    };
    let mut leaf_exts = Vec::new();
    match w.leaf_bc {
        LeafBc::Absent => {}
        LeafBc::NotCa => leaf_exts.push(ext("basicConstraints", "CA:FALSE")),
        LeafBc::Ca => leaf_exts.push(ext("basicConstraints", "critical,CA:TRUE")),
    }
    match w.leaf_ku {
        LeafKu::SigEnc => {
            leaf_exts.push(ext("keyUsage", "critical,digitalSignature,keyEncipherment"))
        }
        LeafKu::Sig => leaf_exts.push(ext("keyUsage", "critical,digitalSignature")),
        LeafKu::Enc => leaf_exts.push(ext("keyUsage", "critical,keyEncipherment")),
        LeafKu::Absent => {}
        LeafKu::CertSign => leaf_exts.push(ext("keyUsage", "critical,keyCertSign,cRLSign")),
    }
    match w.leaf_eku {
        LeafEku::Server => leaf_exts.push(ext("extendedKeyUsage", "serverAuth")),
        LeafEku::ServerClient => leaf_exts.push(ext("extendedKeyUsage", "serverAuth,clientAuth")),
        LeafEku::Client => leaf_exts.push(ext("extendedKeyUsage", "clientAuth")),
        LeafEku::Any => leaf_exts.push(ext("extendedKeyUsage", "anyExtendedKeyUsage")),
        LeafEku::Absent => {}
        LeafEku::NsSgc => leaf_exts.push(ext("extendedKeyUsage", "nsSGC")),
    }
    let san = match (w.san, w.host) {
        (San::CnOnly, _) => None,
        (San::Match, Host::Ip) => Some("IP:127.0.0.1".to_owned()),
        (San::Match, _) => Some(format!("DNS:{host}")),
        (San::Wildcard, Host::Dotted) => Some("DNS:*.diff.test".to_owned()),
        (San::Wildcard, Host::SingleLabel) => Some("DNS:*.localhost".to_owned()),
        (San::Wildcard, Host::Ip) => Some("DNS:127.0.0.1".to_owned()),
        (San::Wrong, Host::Ip) => Some("IP:127.0.0.2".to_owned()),
        (San::Wrong, _) => Some("DNS:other.diff.test".to_owned()),
    };
    if let Some(san) = san {
        leaf_exts.push(ext("subjectAltName", &san));
    }
    match w.policies {
        // One policy, 1.3.6.1.4.1.55555.1.1, as DER (the policy syntax needs a config
        // database the crate does not pass).
        Policies::Leaf => leaf_exts.push(ext("certificatePolicies", POLICY_DER)),
        Policies::LeafCritical => leaf_exts.push(ext(
            "certificatePolicies",
            &format!("critical,{POLICY_DER}"),
        )),
        _ => {}
    }
    match w.leaf_extra {
        LeafExtra::UnknownCritical => {
            leaf_exts.push(ext("1.3.6.1.4.1.55555.2.1", "critical,DER:05:00"))
        }
        LeafExtra::UnknownNonCritical => leaf_exts.push(ext("1.3.6.1.4.1.55555.2.1", "DER:05:00")),
        LeafExtra::NsCertTypeClient => leaf_exts.push(ext("nsCertType", "client")),
        _ => {}
    }
    let leaf_cn = if w.san == San::CnOnly {
        host.to_owned()
    } else {
        format!("Diff Server {index}")
    };
    let self_signed = w.shape == Shape::SelfSigned;
    let leaf = issue(Spec {
        subject: cn(leaf_cn),
        key: pool.get(w.leaf_key, index + 7).clone(),
        issuer: if self_signed {
            None
        } else {
            Some(ints.last().unwrap_or(&root))
        },
        digest: w.digest,
        window: leaf_window,
        v1: w.leaf_extra == LeafExtra::V1,
        exts: leaf_exts,
        serial: next_serial(),
        subject_enc,
        issuer_enc: if self_signed { subject_enc } else { issuer_enc },
    });

    // The chain the receiver sends after its leaf.
    let mut above: Vec<&X509> = ints.iter().rev().map(|i| &i.cert).collect();
    if !self_signed {
        above.push(&root.cert);
    }
    let extra: Vec<&X509> = if self_signed {
        Vec::new()
    } else {
        match w.sent {
            Sent::Full => above.clone(),
            Sent::NoRoot => above[..above.len() - 1].to_vec(),
            Sent::LeafOnly => Vec::new(),
            Sent::Reversed => above.iter().rev().copied().collect(),
        }
    };
    let p = |n: &str| dir.join(n);
    write_pem(&p("server.pem"), &[&leaf.cert]);
    std::fs::write(
        p("server.key"),
        leaf.key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let server_chain = (!extra.is_empty()).then(|| {
        write_pem(&p("server-chain.pem"), &extra);
        p("server-chain.pem")
    });

    // The certificate of a receiver that switches by SNI: self-signed, for another name.
    let sni = issue(Spec {
        subject: cn("sni-other.test".to_owned()),
        key: pool.get(KeyKind::P256, index + 11).clone(),
        issuer: None,
        digest: Digest::Sha256,
        window: (now - 30 * DAY, now + 365 * DAY),
        v1: false,
        exts: vec![
            ext("basicConstraints", "CA:FALSE"),
            ext("keyUsage", "critical,digitalSignature,keyEncipherment"),
            ext("extendedKeyUsage", "serverAuth"),
            ext("subjectAltName", "DNS:sni-other.test"),
        ],
        serial: next_serial(),
        subject_enc,
        issuer_enc: subject_enc,
    });
    write_pem(&p("sni.pem"), &[&sni.cert]);
    std::fs::write(p("sni.key"), sni.key.private_key_to_pem_pkcs8().unwrap()).unwrap();

    // What the keystore trusts.
    let unrelated = issue(Spec {
        subject: cn(format!("Diff Unrelated Root {index}")),
        key: pool.get(KeyKind::P256, index + 13).clone(),
        issuer: None,
        digest: Digest::Sha256,
        window: (now - 400 * DAY, now + 3650 * DAY),
        v1: false,
        exts: vec![
            ext("basicConstraints", "critical,CA:TRUE"),
            ext("keyUsage", "critical,keyCertSign,cRLSign"),
        ],
        serial: next_serial(),
        subject_enc,
        issuer_enc: subject_enc,
    });
    let trusted: Option<&Issued> = match w.trust {
        _ if self_signed && w.trust != Trust::Unrelated && w.trust != Trust::Nothing => Some(&leaf),
        Trust::Root => Some(&root),
        Trust::Intermediate => Some(ints.last().unwrap_or(&root)),
        Trust::Leaf => Some(&leaf),
        Trust::Unrelated => Some(&unrelated),
        Trust::Nothing => None,
    };

    // The client side: a client root, an intermediate, a foreign root for CA names.
    let ca_window = (now - 400 * DAY, now + 3650 * DAY);
    let ca_exts = || {
        vec![
            ext("basicConstraints", "critical,CA:TRUE"),
            ext("keyUsage", "critical,keyCertSign,cRLSign"),
        ]
    };
    let croot = issue(Spec {
        subject: cn(format!("Diff Client Root {index}")),
        key: pool.get(KeyKind::P256, index + 17).clone(),
        issuer: None,
        digest: Digest::Sha256,
        window: ca_window,
        v1: false,
        exts: ca_exts(),
        serial: next_serial(),
        subject_enc,
        issuer_enc: subject_enc,
    });
    let cint = issue(Spec {
        subject: cn(format!("Diff Client Intermediate {index}")),
        key: pool.get(KeyKind::P256, index + 19).clone(),
        issuer: Some(&croot),
        digest: Digest::Sha256,
        window: ca_window,
        v1: false,
        exts: ca_exts(),
        serial: next_serial(),
        subject_enc,
        issuer_enc,
    });
    let foreign = issue(Spec {
        subject: cn(format!("Diff Foreign Client Root {index}")),
        key: pool.get(KeyKind::P256, index + 23).clone(),
        issuer: None,
        digest: Digest::Sha256,
        window: ca_window,
        v1: false,
        exts: ca_exts(),
        serial: next_serial(),
        subject_enc,
        issuer_enc: subject_enc,
    });
    let client_ca = p("client-ca.pem");
    write_pem(
        &client_ca,
        &[if w.ca_names == CaNames::Foreign {
            &foreign.cert
        } else {
            &croot.cert
        }],
    );

    let format = match w.store {
        StoreFormat::Pkcs12 => Format::Pkcs12,
        StoreFormat::Jks => Format::Jks,
    };
    let mut store = Keystore::new(format);
    let mut passwords = Passwords::new(Password::new(STORE_PASSWORD));
    let epoch = time::OffsetDateTime::from_unix_timestamp(now).unwrap();
    if let Some(t) = trusted {
        store
            .insert(Entry {
                alias: "server-trust".to_owned(),
                created: epoch,
                kind: EntryKind::TrustedCertificate(t.der()),
            })
            .unwrap();
    }
    let mut aliases = Vec::new();
    for (n, k) in w.keys.iter().enumerate() {
        let (kind, issuer, window, eku) = match k {
            ClientKey::EcRoot => (KeyKind::P256, Some(&croot), None, "clientAuth"),
            ClientKey::RsaRoot => (KeyKind::Rsa2048, Some(&croot), None, "clientAuth"),
            ClientKey::EcInt => (KeyKind::P256, Some(&cint), None, "clientAuth"),
            ClientKey::Unrelated => (KeyKind::P256, None, None, "clientAuth"),
            ClientKey::ExpiredRoot => (
                KeyKind::P256,
                Some(&croot),
                Some((now - 400 * DAY, now - DAY)),
                "clientAuth",
            ),
            ClientKey::ServerAuthRoot => (KeyKind::P256, Some(&croot), None, "serverAuth"),
            ClientKey::Ed25519Root => (KeyKind::Ed25519, Some(&croot), None, "clientAuth"),
            ClientKey::Rsa1024Root => (KeyKind::Rsa1024, Some(&croot), None, "clientAuth"),
        };
        let alias = k.tag().to_owned();
        let issued = issue(Spec {
            subject: cn(format!("diff-client-{alias}-{index}")),
            key: pool.get(kind, index + 29 + n).clone(),
            issuer,
            digest: Digest::Sha256,
            window: window.unwrap_or((now - 30 * DAY, now + 365 * DAY)),
            v1: false,
            exts: vec![
                ext("basicConstraints", "CA:FALSE"),
                ext("keyUsage", "critical,digitalSignature"),
                ext("extendedKeyUsage", eku),
            ],
            serial: next_serial(),
            subject_enc,
            issuer_enc,
        });
        let mut chain = vec![issued.der()];
        if *k == ClientKey::EcInt {
            chain.push(cint.der());
        }
        if issuer.is_some() {
            chain.push(croot.der());
        }
        let key = PrivateKey::from_pkcs8_der(issued.key.private_key_to_pkcs8().unwrap());
        store
            .insert(Entry {
                alias: alias.clone(),
                created: epoch,
                kind: EntryKind::KeyPair {
                    key: KeyMaterial::plain(key),
                    chain,
                },
            })
            .unwrap();
        if n == 0 && w.key_password == KeyPassword::FirstDiffers {
            passwords = passwords.with_key(&alias, Password::new(OTHER_KEY_PASSWORD));
        }
        aliases.push(alias);
    }
    let keystore = p(match format {
        Format::Jks => "keystore.jks",
        _ => "keystore.p12",
    });
    // Plain write: the world is throwaway (no fsync per file).
    std::fs::write(&keystore, store.to_bytes(format, &passwords).unwrap()).unwrap();

    Materials {
        dir: dir.to_owned(),
        server_cert: p("server.pem"),
        server_key: p("server.key"),
        server_chain,
        sni_cert: p("sni.pem"),
        sni_key: p("sni.key"),
        client_ca,
        keystore,
        store_type: match format {
            Format::Jks => "JKS",
            _ => "PKCS12",
        },
        aliases,
    }
}
