//! Certificate chains: which certificate is the leaf, which the root, and the order leaf
//! first, found by issuer names with the authority key identifier as tie-break.
//!
//! A set of certificates often arrives unordered: a `.p7b` is a DER `SET OF` (sorted, so
//! for our chains root first), a PKCS#12 file lists its certificates in any order, a CA's
//! signing response holds the chain in the CA's order. Every reader restores the order the
//! same way, here:
//!
//! - [`leaf_of`]: the first certificate that issues none of the others;
//! - [`order_from`]: a certificate, then its issuer among the set, and so on, until a
//!   self-issued certificate or no issuer; when several certificates carry the issuer's name
//!   (two PKIs with the same names), the one whose subject key identifier is the child's
//!   authority key identifier wins, as in Java's `PKCS12KeyStore`;
//! - [`order`]: both, for a whole set;
//! - [`root_of`], [`is_self_issued`], [`issued_by`]: the questions callers ask of a chain.
//!
//! Names compare as raw DER, as Java's `X500Principal.equals` does for the encodings CAs
//! write. A certificate that does not parse has no names: it issues nothing, is issued by
//! nothing and is never self-issued.

use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

/// What the chain functions read of one certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Names {
    /// Raw DER subject, empty when the certificate does not parse.
    subject: Vec<u8>,
    /// Raw DER issuer, empty when the certificate does not parse.
    issuer: Vec<u8>,
    /// Subject key identifier.
    ski: Option<Vec<u8>>,
    /// Authority key identifier (its key identifier field).
    aki: Option<Vec<u8>>,
}

impl Names {
    fn of(der: &[u8]) -> Self {
        let Ok((_, cert)) = X509Certificate::from_der(der) else {
            return Self::default();
        };
        let mut names = Self {
            subject: cert.subject().as_raw().to_vec(),
            issuer: cert.issuer().as_raw().to_vec(),
            ski: None,
            aki: None,
        };
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => names.ski = Some(id.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    names.aki = aki.key_identifier.as_ref().map(|id| id.0.to_vec());
                }
                _ => {}
            }
        }
        names
    }

    fn parsed(&self) -> bool {
        !self.subject.is_empty() || !self.issuer.is_empty()
    }

    fn self_issued(&self) -> bool {
        self.parsed() && self.subject == self.issuer
    }
}

/// Whether the certificate's subject equals its issuer (a root, or a self-signed leaf).
/// `false` for a certificate that does not parse.
pub fn is_self_issued(cert: &[u8]) -> bool {
    Names::of(cert).self_issued()
}

/// Whether `issuer`'s subject is `cert`'s issuer name (the link a chain follows; the
/// signature is not checked).
pub fn issued_by(cert: &[u8], issuer: &[u8]) -> bool {
    let (cert, issuer) = (Names::of(cert), Names::of(issuer));
    cert.parsed() && issuer.parsed() && cert.issuer == issuer.subject
}

/// The leaf of an unordered set: the first certificate (in the given order) that issues none
/// of the others (a self-issued certificate does not count as issuing itself, nor does one
/// certificate issue another with its own subject). When every certificate issues another (a
/// cycle), the first. `None` only for an empty set.
///
/// Replaces the runner's `leaf_of` (a `.p7b` read back from the tenant) and the `.p7b`
/// reader's own.
pub fn leaf_of<'a, 'c>(certs: &'a [CertificateDer<'c>]) -> Option<&'a CertificateDer<'c>> {
    let names: Vec<Names> = certs.iter().map(|c| Names::of(c)).collect();
    let issues_another = |i: usize| {
        names.iter().enumerate().any(|(j, other)| {
            j != i
                && names[i].parsed()
                && other.issuer == names[i].subject
                && other.subject != names[i].subject
        })
    };
    (0..certs.len())
        .find(|&i| !issues_another(i))
        .or(if certs.is_empty() { None } else { Some(0) })
        .map(|i| &certs[i])
}

/// The root of a set: the first self-issued certificate, `None` when there is none (a chain
/// sent without its root).
pub fn root_of<'a, 'c>(certs: &'a [CertificateDer<'c>]) -> Option<&'a CertificateDer<'c>> {
    certs.iter().find(|c| is_self_issued(c))
}

/// `leaf`, then its issuers found among `certs`, leaf first: stops at a self-issued
/// certificate or when no issuer is found; several candidates with the issuer's name are
/// decided by the authority key identifier (else the first). Certificates of `certs` off the
/// chain are left out; none appears twice, so a cycle ends.
pub fn order_from(
    leaf: &CertificateDer<'static>,
    certs: &[CertificateDer<'static>],
) -> Vec<CertificateDer<'static>> {
    let names: Vec<Names> = certs.iter().map(|c| Names::of(c)).collect();
    let mut chain = vec![leaf.clone()];
    let mut current = Names::of(leaf);
    // Bounded by the number of certificates: a cycle cannot loop.
    for _ in 0..certs.len() {
        if !current.parsed() || current.self_issued() {
            break;
        }
        let candidates: Vec<usize> = (0..certs.len())
            .filter(|&i| {
                names[i].parsed()
                    && names[i].subject == current.issuer
                    && !chain.contains(&certs[i])
            })
            .collect();
        let next = match candidates.as_slice() {
            [one] => Some(*one),
            [] => None,
            many => many
                .iter()
                .copied()
                .find(|&i| current.aki.is_some() && names[i].ski == current.aki)
                .or(many.first().copied()),
        };
        match next {
            Some(i) => {
                chain.push(certs[i].clone());
                current = names[i].clone();
            }
            None => break,
        }
    }
    chain
}

/// An unordered set as a chain, leaf first ([`leaf_of`], then [`order_from`]); empty for an
/// empty set. Certificates off the leaf's chain are left out.
pub fn order(certs: &[CertificateDer<'static>]) -> Vec<CertificateDer<'static>> {
    match leaf_of(certs) {
        Some(leaf) => order_from(leaf, certs),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{Role, World, WorldSpec};

    fn world() -> World {
        World::generate(&WorldSpec::new(1)).unwrap()
    }

    #[test]
    fn orders_any_permutation_leaf_first() {
        let w = world();
        let full = w.get(Role::ServerTwoIntermediates).full_chain();
        assert_eq!(full.len(), 4, "leaf, two intermediates, root");
        let mut reversed = full.clone();
        reversed.reverse();
        let mut rotated = full.clone();
        rotated.rotate_left(2);
        for set in [full.clone(), reversed, rotated] {
            assert_eq!(leaf_of(&set), Some(&full[0]));
            assert_eq!(root_of(&set), Some(&full[3]));
            assert_eq!(order(&set), full);
        }
        assert!(is_self_issued(&full[3]));
        assert!(!is_self_issued(&full[0]));
        assert!(issued_by(&full[0], &full[1]));
        assert!(!issued_by(&full[1], &full[0]));
    }

    #[test]
    fn stops_at_a_missing_issuer_and_leaves_strangers_out() {
        let w = world();
        let full = w.get(Role::Server).full_chain();
        let stranger = w.get(Role::UnrelatedRoot).cert().clone();
        let without_intermediate = vec![stranger.clone(), full[2].clone(), full[0].clone()];
        assert_eq!(
            order_from(&full[0], &without_intermediate),
            vec![full[0].clone()]
        );
        let with_stranger = vec![full[2].clone(), stranger, full[1].clone(), full[0].clone()];
        assert_eq!(order_from(&full[0], &with_stranger), full);
        assert_eq!(root_of(&full[..2]), None);
    }

    #[test]
    fn empty_garbage_and_self_signed() {
        assert_eq!(leaf_of(&[]), None);
        assert!(order(&[]).is_empty());
        let garbage = CertificateDer::from(vec![0x30, 0x00]);
        assert!(!is_self_issued(&garbage));
        assert_eq!(order(std::slice::from_ref(&garbage)), vec![garbage.clone()]);
        let w = world();
        let own = w.get(Role::ServerSelfSigned).cert().clone();
        assert_eq!(leaf_of(std::slice::from_ref(&own)), Some(&own));
        assert_eq!(root_of(std::slice::from_ref(&own)), Some(&own));
        assert_eq!(order(&[own.clone(), garbage]), vec![own]);
    }

    #[test]
    fn a_name_clash_is_decided_by_the_authority_key_identifier() {
        // Two roots with the same name and different keys (a re-keyed CA): the
        // intermediate's AKI picks the root that signed it, wherever it sits in the set.
        use crate::pki::{KeyType, Pki};
        let pki = Pki::new(1, crate::time::DEFAULT_NOW, KeyType::P256);
        let root = |label: &str| {
            pki.root(label)
                .common_name("Clash Root CA")
                .build()
                .unwrap()
        };
        let (old_root, new_root) = (root("old-root"), root("new-root"));
        let ca = pki
            .intermediate("ca", &new_root)
            .common_name("Clash CA")
            .build()
            .unwrap();
        let leaf = pki.leaf("leaf", &ca).common_name("leaf").build().unwrap();
        let subject = |c: &CertificateDer<'_>| crate::cert::subject_der(c).unwrap();
        assert_eq!(
            subject(old_root.cert()),
            subject(new_root.cert()),
            "the names clash"
        );
        assert_ne!(old_root.cert(), new_root.cert());
        let want = vec![
            leaf.cert().clone(),
            ca.cert().clone(),
            new_root.cert().clone(),
        ];
        for set in [
            vec![
                old_root.cert().clone(),
                new_root.cert().clone(),
                ca.cert().clone(),
            ],
            vec![
                new_root.cert().clone(),
                old_root.cert().clone(),
                ca.cert().clone(),
            ],
        ] {
            assert_eq!(order_from(leaf.cert(), &set), want);
        }
    }
}
