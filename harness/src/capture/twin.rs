//! The twin: every captured certificate re-issued under seeded keys, byte for byte the same
//! except for the key, the key identifiers, the signature and what [`Renamer`] renames.
//!
//! A certificate is edited in place: version, validity, key usage, extended key usage, basic
//! constraints, name constraints, policies and every other extension keep their bytes;
//! the subject key gets a seeded key of the same type and size (RSA 2048/3072/4096, EC
//! P-256/P-384); the subject key identifier becomes the SHA-1 of the new key (RFC 5280
//! method 1), the authority key identifier the issuer twin's; the signature is made by the
//! issuer twin's key with the same family (RSA PKCS#1 v1.5 SHA-256, ECDSA SHA-256/384). An
//! issuer that was not sent and is not in the keystore (the root, usually) is synthesised:
//! a self-signed CA with the child's issuer name, whose key identifier the child's
//! authority key identifier then names.

use std::collections::HashMap;

use rcgen::{PublicKeyData, SigningKey};
use rustls_pki_types::CertificateDer;
use sha1::{Digest as _, Sha1};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::CaptureError;
use super::der::{self, Tlv};
use super::rename::Renamer;
use crate::pki::{KeyPair, KeyType, Pki};

const SKI: &str = "2.5.29.14";
const AKI: &str = "2.5.29.35";
const SAN: &str = "2.5.29.17";

/// Labels whose seeded keys (seed 1, the suite's) are in the committed RSA key pool, so an
/// RSA twin costs no prime search.
const KEY_LABELS: &[&str] = &[
    "server",
    "receiver-intermediate",
    "receiver-root",
    "client",
    "client-intermediate",
    "client-root",
    "unrelated-root",
    "server-self-signed",
    "unrelated-client",
    "second-client",
];

/// One re-issued certificate.
#[derive(Clone, Debug)]
pub struct TwinCert {
    /// The real certificate (for a synthesised issuer: the stand-in it was made from).
    pub original: CertificateDer<'static>,
    /// The twin.
    pub twin: CertificateDer<'static>,
    /// The twin's key.
    pub key: KeyPair,
    /// Whether the real certificate was never seen (a synthesised issuer).
    pub synthesised: bool,
}

/// Every twin made so far, by the real certificate's DER.
#[derive(Debug)]
pub struct Twins {
    renamer: Renamer,
    certs: Vec<TwinCert>,
    by_original: HashMap<Vec<u8>, usize>,
    /// Certificates that may be issuers (the chain as sent, the keystore's certificates).
    candidates: Vec<CertificateDer<'static>>,
}

/// The parts of a certificate this module edits.
struct Parts<'a> {
    tbs: Vec<Tlv<'a>>,
    /// Index of the serial in `tbs`.
    at: usize,
    sig_alg_oid: String,
}

fn parts(der: &[u8]) -> Result<Parts<'_>, CaptureError> {
    let cert = der::one(der)?;
    let outer = der::children(cert.content)?;
    let (Some(tbs), Some(alg)) = (outer.first(), outer.get(1)) else {
        return Err(malformed("certificate: fewer than 3 parts"));
    };
    let tbs = der::children(tbs.content)?;
    let at = usize::from(tbs.first().is_some_and(|t| t.tag == 0xa0));
    if tbs.len() < at + 6 {
        return Err(malformed("certificate: TBSCertificate too short"));
    }
    let alg_kids = der::children(alg.content)?;
    let sig_alg_oid = alg_kids
        .first()
        .map(|o| crate::cert::oid_text(o.content))
        .unwrap_or_default();
    Ok(Parts {
        tbs,
        at,
        sig_alg_oid,
    })
}

fn malformed(what: &str) -> CaptureError {
    CaptureError::Malformed {
        what: what.to_owned(),
    }
}

/// The key type of a certificate's subject key, the nearest the PKI makes.
fn key_type_of(der: &[u8]) -> KeyType {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return KeyType::P256;
    };
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => match rsa.key_size() {
            0..=2048 => KeyType::Rsa2048,
            2049..=3072 => KeyType::Rsa3072,
            _ => KeyType::Rsa4096,
        },
        Ok(x509_parser::public_key::PublicKey::EC(_)) => {
            let curve = cert
                .public_key()
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref() {
                Some("1.3.132.0.34") => KeyType::P384,
                _ => KeyType::P256,
            }
        }
        _ => KeyType::P256,
    }
}

/// The key type a signature algorithm implies for a synthesised issuer.
fn key_type_of_signature(oid: &str) -> KeyType {
    match oid {
        "1.2.840.10045.4.3.3" | "1.2.840.10045.4.3.4" => KeyType::P384,
        o if o.starts_with("1.2.840.10045.") => KeyType::P256,
        _ => KeyType::Rsa2048,
    }
}

/// The AlgorithmIdentifier a key of this type signs with.
fn algorithm(key_type: KeyType) -> Vec<u8> {
    match key_type {
        KeyType::P256 => der::seq(&[&der::oid("1.2.840.10045.4.3.2")]),
        KeyType::P384 => der::seq(&[&der::oid("1.2.840.10045.4.3.3")]),
        _ => der::seq(&[&der::oid("1.2.840.113549.1.1.11"), &[0x05, 0x00]]),
    }
}

fn key_id(key: &KeyPair) -> Result<Vec<u8>, CaptureError> {
    let signer = key.signer().map_err(CaptureError::Pki)?;
    Ok(Sha1::digest(signer.der_bytes()).to_vec())
}

/// The subject key identifier of a certificate, if it has one.
fn ski_of(parts: &Parts<'_>) -> Option<Vec<u8>> {
    extension(parts, SKI).and_then(|value| der::one(value).ok().map(|t| t.content.to_vec()))
}

/// The key identifier of a certificate's authority key identifier, if it has one.
fn aki_of(parts: &Parts<'_>) -> Option<Vec<u8>> {
    let value = extension(parts, AKI)?;
    let seq = der::one(value).ok()?;
    der::children(seq.content)
        .ok()?
        .into_iter()
        .find(|t| t.tag == 0x80)
        .map(|t| t.content.to_vec())
}

/// The extnValue (content of the OCTET STRING) of extension `oid`.
fn extension<'a>(parts: &Parts<'a>, oid: &str) -> Option<&'a [u8]> {
    let ext = parts.tbs.iter().find(|t| t.tag == 0xa3)?;
    let list = der::one(ext.content).ok()?;
    for e in der::children(list.content).ok()? {
        let kids = der::children(e.content).ok()?;
        if kids
            .first()
            .map(|o| crate::cert::oid_text(o.content))
            .as_deref()
            == Some(oid)
        {
            return kids.last().map(|v| v.content);
        }
    }
    None
}

impl Twins {
    /// An empty set that renames with `renamer` and finds issuers among `candidates`.
    pub(crate) fn new(renamer: Renamer, candidates: Vec<CertificateDer<'static>>) -> Self {
        Self {
            renamer,
            certs: Vec::new(),
            by_original: HashMap::new(),
            candidates,
        }
    }

    /// Every twin, in the order made (issuers before the certificates they signed).
    pub fn certs(&self) -> &[TwinCert] {
        &self.certs
    }

    /// The twin of a real certificate, if one was made.
    pub fn get(&self, original: &[u8]) -> Option<&TwinCert> {
        self.by_original.get(original).map(|i| &self.certs[*i])
    }

    /// The renamer.
    pub(crate) fn renamer(&self) -> &Renamer {
        &self.renamer
    }

    /// The twin of `original`, made (with its issuers) if not made yet.
    pub(crate) fn twin(
        &mut self,
        original: &CertificateDer<'static>,
    ) -> Result<usize, CaptureError> {
        self.twin_at(original, None, false, 0)
    }

    fn next_key(&self, key_type: KeyType) -> Result<KeyPair, CaptureError> {
        let n = self.certs.len();
        let label = KEY_LABELS
            .get(n)
            .map_or_else(|| format!("capture-{n}"), |l| (*l).to_owned());
        let pki = Pki::new(1, crate::time::DEFAULT_NOW, key_type);
        let issued = pki.root(&label).build().map_err(CaptureError::Pki)?;
        Ok(issued.key().clone())
    }

    /// The issuer of `parts` among the candidates: subject equals the issuer name and, when
    /// both are known, the key identifiers agree.
    fn find_issuer(&self, parts: &Parts<'_>, own: &[u8]) -> Option<CertificateDer<'static>> {
        let issuer = parts.tbs[parts.at + 2].raw;
        let aki = aki_of(parts);
        self.candidates
            .iter()
            .filter(|c| c.as_ref() != own)
            .find(|c| {
                let Ok(p) = super::twin::parts(c.as_ref()) else {
                    return false;
                };
                p.tbs[p.at + 4].raw == issuer
                    && match (&aki, ski_of(&p)) {
                        (Some(a), Some(s)) => *a == s,
                        _ => true,
                    }
            })
            .cloned()
    }

    fn twin_at(
        &mut self,
        original: &CertificateDer<'static>,
        key_type: Option<KeyType>,
        synthesised: bool,
        depth: usize,
    ) -> Result<usize, CaptureError> {
        if let Some(i) = self.by_original.get(original.as_ref()) {
            return Ok(*i);
        }
        if depth > 8 {
            return Err(malformed(
                "certificate chain: issuers loop or nest deeper than 8",
            ));
        }
        let p = parts(original.as_ref())?;
        let self_issued = p.tbs[p.at + 2].raw == p.tbs[p.at + 4].raw;
        let issuer = if self_issued {
            None
        } else {
            let found = match self.find_issuer(&p, original.as_ref()) {
                Some(c) => self.twin_at(&c, None, false, depth + 1)?,
                None => {
                    let stand_in = synthetic_root(&p)?;
                    let kt = key_type_of_signature(&p.sig_alg_oid);
                    self.twin_at(&stand_in, Some(kt), true, depth + 1)?
                }
            };
            Some(found)
        };
        let key_type = key_type.unwrap_or_else(|| key_type_of(original.as_ref()));
        let key = self.next_key(key_type)?;
        let own_id = key_id(&key)?;
        let (issuer_key, issuer_id) = match issuer {
            Some(i) => (self.certs[i].key.clone(), key_id(&self.certs[i].key)?),
            None => (key.clone(), own_id.clone()),
        };
        let twin = self.rebuild(&p, &key, &own_id, &issuer_key, &issuer_id)?;
        self.certs.push(TwinCert {
            original: original.clone(),
            twin: CertificateDer::from(twin),
            key,
            synthesised,
        });
        let index = self.certs.len() - 1;
        self.by_original.insert(original.as_ref().to_vec(), index);
        Ok(index)
    }

    fn rebuild(
        &self,
        p: &Parts<'_>,
        key: &KeyPair,
        own_id: &[u8],
        issuer_key: &KeyPair,
        issuer_id: &[u8],
    ) -> Result<Vec<u8>, CaptureError> {
        let signer = key.signer().map_err(CaptureError::Pki)?;
        let issuer_signer = issuer_key.signer().map_err(CaptureError::Pki)?;
        let alg = algorithm(issuer_key.key_type());
        let mut tbs: Vec<Vec<u8>> = Vec::new();
        for (i, t) in p.tbs.iter().enumerate() {
            let part = match i.checked_sub(p.at) {
                Some(0) => der::uint(&self.renamer.serial(strip_sign(t.content))),
                Some(1) => alg.clone(),
                Some(2) | Some(4) => self.name(t)?,
                Some(5) => signer.subject_public_key_info(),
                _ if t.tag == 0xa3 => self.extensions(t, own_id, issuer_id)?,
                _ => t.raw.to_vec(),
            };
            tbs.push(part);
        }
        let refs: Vec<&[u8]> = tbs.iter().map(Vec::as_slice).collect();
        let tbs = der::seq(&refs);
        let signature = issuer_signer
            .sign(&tbs)
            .map_err(|e| CaptureError::Pki(crate::pki::PkiError::Sign(e.to_string())))?;
        let mut bits = vec![0u8];
        bits.extend_from_slice(&signature);
        Ok(der::seq(&[&tbs, &alg, &der::tlv(0x03, &bits)]))
    }

    /// A Name with its attributes renamed.
    pub(crate) fn name(&self, name: &Tlv<'_>) -> Result<Vec<u8>, CaptureError> {
        let mut rdns = Vec::new();
        for rdn in der::children(name.content)? {
            let mut atvs = Vec::new();
            for atv in der::children(rdn.content)? {
                let kids = der::children(atv.content)?;
                let (Some(oid), Some(value)) = (kids.first(), kids.get(1)) else {
                    atvs.push(atv.raw.to_vec());
                    continue;
                };
                let text = matches!(value.tag, 0x0c | 0x13 | 0x14 | 0x16)
                    .then(|| std::str::from_utf8(value.content).ok())
                    .flatten();
                match text.and_then(|t| {
                    self.renamer
                        .attribute(&crate::cert::oid_text(oid.content), t)
                }) {
                    Some(new) => {
                        let tag = if value.tag == 0x13
                            && !new
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c))
                        {
                            0x0c
                        } else {
                            value.tag
                        };
                        atvs.push(der::seq(&[oid.raw, &der::tlv(tag, new.as_bytes())]));
                    }
                    None => atvs.push(atv.raw.to_vec()),
                }
            }
            // An unchanged RDN keeps its bytes (a multi-valued one may not be sorted as DER
            // wants, and CA names are compared byte for byte).
            let mut joined = atvs.concat();
            if joined != rdn.content {
                atvs.sort();
                joined = atvs.concat();
            }
            rdns.push(der::tlv(0x31, &joined));
        }
        Ok(der::tlv(0x30, &rdns.concat()))
    }

    fn extensions(
        &self,
        a3: &Tlv<'_>,
        own_id: &[u8],
        issuer_id: &[u8],
    ) -> Result<Vec<u8>, CaptureError> {
        let list = der::one(a3.content)?;
        let mut out = Vec::new();
        for e in der::children(list.content)? {
            let kids = der::children(e.content)?;
            let (Some(oid), Some(value)) = (kids.first(), kids.last()) else {
                out.push(e.raw.to_vec());
                continue;
            };
            let new_value = match crate::cert::oid_text(oid.content).as_str() {
                SKI => Some(der::tlv(0x04, own_id)),
                AKI => Some(der::seq(&[&der::tlv(0x80, issuer_id)])),
                SAN => Some(self.san(value.content)?),
                _ => None,
            };
            match new_value {
                Some(v) => {
                    let mut parts: Vec<&[u8]> =
                        kids[..kids.len() - 1].iter().map(|k| k.raw).collect();
                    let octets = der::tlv(0x04, &v);
                    parts.push(&octets);
                    out.push(der::seq(&parts));
                }
                None => out.push(e.raw.to_vec()),
            }
        }
        Ok(der::tlv(0xa3, &der::tlv(0x30, &out.concat())))
    }

    fn san(&self, value: &[u8]) -> Result<Vec<u8>, CaptureError> {
        let seq = der::one(value)?;
        let mut names = Vec::new();
        for n in der::children(seq.content)? {
            match n.tag {
                0x82 => {
                    let text = String::from_utf8_lossy(n.content);
                    names.push(der::tlv(0x82, self.renamer.dns(&text).as_bytes()));
                }
                0x87 => names.push(der::tlv(0x87, &self.renamer.ip(n.content))),
                _ => names.push(n.raw.to_vec()),
            }
        }
        Ok(der::tlv(0x30, &names.concat()))
    }
}

/// A DER INTEGER's magnitude (without the sign byte).
fn strip_sign(content: &[u8]) -> &[u8] {
    match content {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    }
}

/// A stand-in for an issuer that was not sent: a self-issued CA certificate with the child's
/// issuer name and validity (its key and signature are replaced when it is twinned).
fn synthetic_root(child: &Parts<'_>) -> Result<CertificateDer<'static>, CaptureError> {
    let name = child.tbs[child.at + 2].raw;
    let validity = child.tbs[child.at + 3].raw;
    let serial = Sha1::digest(name);
    let version = der::tlv(0xa0, &[0x02, 0x01, 0x02]);
    let alg = algorithm(KeyType::P256);
    // Basic constraints cA=true and key usage keyCertSign+cRLSign (both critical), and a
    // subject key identifier (replaced by the twin's).
    let bc = der::seq(&[
        &der::oid("2.5.29.19"),
        &[0x01, 0x01, 0xff],
        &der::tlv(0x04, &der::seq(&[&[0x01, 0x01, 0xff]])),
    ]);
    let ku = der::seq(&[
        &der::oid("2.5.29.15"),
        &[0x01, 0x01, 0xff],
        &der::tlv(0x04, &[0x03, 0x02, 0x01, 0x06]),
    ]);
    let ski = der::seq(&[&der::oid(SKI), &der::tlv(0x04, &der::tlv(0x04, &[0; 20]))]);
    let exts = der::tlv(0xa3, &der::seq(&[&bc, &ku, &ski]));
    // A placeholder key: the twin replaces it.
    let spki = der::seq(&[
        &der::seq(&[
            &der::oid("1.2.840.10045.2.1"),
            &der::oid("1.2.840.10045.3.1.7"),
        ]),
        &der::tlv(0x03, &[0, 4]),
    ]);
    let tbs = der::seq(&[
        &version,
        &der::uint(&serial[..16]),
        &alg,
        name,
        validity,
        name,
        &spki,
        &exts,
    ]);
    Ok(CertificateDer::from(der::seq(&[
        &tbs,
        &alg,
        &der::tlv(0x03, &[0]),
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{Role, World, WorldSpec};

    fn info(der: &[u8]) -> crate::cert::CertInfo {
        crate::cert::CertInfo::from_der(der).unwrap()
    }

    #[test]
    fn a_chain_is_reissued_with_the_same_shape_and_a_synthesised_root() {
        let world = World::generate(&WorldSpec::new(7)).unwrap();
        let leaf = world.get(Role::Server).cert().clone();
        let int = world.get(Role::ReceiverIntermediate).cert().clone();
        let mut twins = Twins::new(
            Renamer::new("localhost", "localhost", false),
            vec![leaf.clone(), int.clone()],
        );
        let i = twins.twin(&leaf).unwrap();
        assert_eq!(
            twins.certs().len(),
            3,
            "leaf, intermediate, synthesised root"
        );
        let t = &twins.certs()[i];
        let (a, b) = (info(&leaf), info(&t.twin));
        assert_eq!(
            (a.subject, a.issuer, a.serial, a.not_after),
            (b.subject, b.issuer, b.serial, b.not_after)
        );
        assert_eq!(a.subject_alt_names, b.subject_alt_names);
        assert_ne!(a.sha256, b.sha256);
        let root = twins.certs().iter().find(|c| c.synthesised).unwrap();
        assert_eq!(
            info(&root.twin).subject,
            info(world.get(Role::ReceiverRoot).cert()).subject
        );
        // The twin chain verifies with webpki from the synthesised root.
        let verifier = crate::connect::ServerVerifier::new([root.twin.clone()]);
        assert_eq!(verifier.trust_anchor_count(), 1);
    }

    #[test]
    fn anonymized_twins_keep_issuer_links() {
        let world = World::generate(&WorldSpec::new(7)).unwrap();
        let leaf = world.get(Role::Server).cert().clone();
        let int = world.get(Role::ReceiverIntermediate).cert().clone();
        let mut twins = Twins::new(
            Renamer::new("localhost", "localhost", true),
            vec![leaf.clone(), int.clone()],
        );
        let l = twins.twin(&leaf).unwrap();
        let t_leaf = info(&twins.certs()[l].twin);
        let t_int = info(&twins.get(int.as_ref()).unwrap().twin);
        assert_eq!(t_leaf.issuer, t_int.subject);
        assert!(
            !t_int.subject.contains("Harness Receiver"),
            "{}",
            t_int.subject
        );
        assert_ne!(t_leaf.serial, info(&leaf).serial);
    }
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn an_unchanged_name_keeps_its_bytes_even_unsorted() {
        // One RDN with two attributes in non-DER order: O then CN (CN's OID sorts first).
        let cn = der::seq(&[&der::oid("2.5.4.3"), &der::tlv(0x13, b"Root")]);
        let o = der::seq(&[&der::oid("2.5.4.10"), &der::tlv(0x0c, b"Customer AG")]);
        let name = der::seq(&[&der::tlv(0x31, &[o.as_slice(), cn.as_slice()].concat())]);
        let twins = Twins::new(Renamer::new("localhost", "localhost", false), Vec::new());
        let tlv = der::one(&name).unwrap();
        assert_eq!(twins.name(&tlv).unwrap(), name);
        let anonymized = Twins::new(Renamer::new("localhost", "localhost", true), Vec::new());
        let renamed = anonymized.name(&tlv).unwrap();
        assert_ne!(renamed, name);
        assert!(!String::from_utf8_lossy(&renamed).contains("Customer"));
        assert_eq!(
            anonymized.name(&tlv).unwrap(),
            renamed,
            "the same input, the same output"
        );
    }
}
