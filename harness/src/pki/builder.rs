//! Builders that read like the chain: `root`, `intermediate(root)`, `leaf(intermediate)`.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::PkiError;
use super::key::{KeyPair, KeyType};

/// The context every certificate of one PKI is built in: the seed, the simulated "now" and
/// the default key type. Everything derived from it is a pure function of these three and the
/// labels passed to the builders.
#[derive(Clone, Debug)]
pub struct Pki {
    seed: u64,
    now: OffsetDateTime,
    key_type: KeyType,
}

impl Pki {
    /// A PKI for `seed` at the simulated time `now`, with `key_type` keys unless a builder
    /// says otherwise.
    pub fn new(seed: u64, now: OffsetDateTime, key_type: KeyType) -> Self {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        Self {
            seed,
            now,
            key_type,
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulated "now".
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// The default key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// A self-signed root CA. `label` names it uniquely within this PKI: its key and serial
    /// derive from the seed and the label.
    pub fn root(&self, label: &str) -> CertSpec<'_> {
        CertSpec::new(self, label, Kind::Root, None)
    }

    /// An intermediate CA issued by `issuer`.
    pub fn intermediate<'a>(&'a self, label: &str, issuer: &'a Issued) -> CertSpec<'a> {
        CertSpec::new(self, label, Kind::Intermediate, Some(issuer))
    }

    /// An end-entity certificate issued by `issuer`.
    pub fn leaf<'a>(&'a self, label: &str, issuer: &'a Issued) -> CertSpec<'a> {
        CertSpec::new(self, label, Kind::Leaf, Some(issuer))
    }

    /// A self-signed end-entity certificate (not a CA: webpki refuses a CA as end entity).
    pub fn self_signed_leaf(&self, label: &str) -> CertSpec<'_> {
        CertSpec::new(self, label, Kind::SelfSignedLeaf, None)
    }

    /// 32 bytes derived from the seed for `purpose` and `label` (SHA-256 over a versioned
    /// domain string), so each key and serial is independent of the order of generation.
    fn derive(&self, purpose: &str, label: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(b"harness-pki/v1\0");
        hash.update(self.seed.to_be_bytes());
        hash.update(purpose.as_bytes());
        hash.update([0]);
        hash.update(label.as_bytes());
        hash.finalize().into()
    }
}

/// Where a certificate stands in its chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Root,
    Intermediate,
    Leaf,
    SelfSignedLeaf,
}

/// Validity window relative to the PKI's "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// Valid at "now": CAs from now-1y to now+10y, leaves from now-30d to now+1y.
    Current,
    /// Expired: from now-400d to now-1d.
    Expired,
    /// Not yet valid: from now+1d to now+400d.
    NotYetValid,
    /// An explicit window.
    Window {
        /// notBefore.
        not_before: OffsetDateTime,
        /// notAfter.
        not_after: OffsetDateTime,
    },
}

/// The extended key usage a leaf carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eku {
    /// id-kp-serverAuth (a receiver's server certificate).
    ServerAuth,
    /// id-kp-clientAuth (the tenant's client certificate).
    ClientAuth,
    /// Both.
    ServerAndClientAuth,
    /// id-kp-emailProtection only: wrong for TLS in either direction.
    EmailProtection,
    /// No EKU extension at all (any purpose).
    Absent,
}

/// One certificate being specified. Finish with [`CertSpec::build`].
#[derive(Debug)]
pub struct CertSpec<'a> {
    pki: &'a Pki,
    label: String,
    kind: Kind,
    issuer: Option<&'a Issued>,
    common_name: Option<String>,
    organization: String,
    validity: Validity,
    names: Vec<String>,
    subject_alt_names: bool,
    eku: Option<Eku>,
    is_ca: Option<bool>,
    key_label: Option<String>,
    key_type: KeyType,
}

impl<'a> CertSpec<'a> {
    fn new(pki: &'a Pki, label: &str, kind: Kind, issuer: Option<&'a Issued>) -> Self {
        Self {
            pki,
            label: label.to_owned(),
            kind,
            issuer,
            common_name: None,
            organization: "Harness Test PKI".to_owned(),
            validity: Validity::Current,
            names: Vec::new(),
            subject_alt_names: true,
            eku: None,
            is_ca: None,
            key_label: None,
            key_type: pki.key_type,
        }
    }

    /// The subject CN (default: the label, or the first host name of a leaf).
    pub fn common_name(mut self, cn: &str) -> Self {
        self.common_name = Some(cn.to_owned());
        self
    }

    /// The subject O.
    pub fn organization(mut self, org: &str) -> Self {
        self.organization = org.to_owned();
        self
    }

    /// The validity window.
    pub fn validity(mut self, validity: Validity) -> Self {
        self.validity = validity;
        self
    }

    /// Host names and IP addresses (for a leaf's SAN extension and default CN).
    pub fn names<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.names = names.into_iter().map(|n| n.as_ref().to_owned()).collect();
        self
    }

    /// Put the first name in the CN only, with no SAN extension (Java falls back to the CN
    /// for host name checks; rustls never does).
    pub fn cn_only(mut self) -> Self {
        self.subject_alt_names = false;
        self
    }

    /// The extended key usage (default: none for CAs, serverAuth for leaves).
    pub fn eku(mut self, eku: Eku) -> Self {
        self.eku = Some(eku);
        self
    }

    /// Issue a CA certificate *without* basicConstraints cA=true (a broken intermediate).
    pub fn not_ca(mut self) -> Self {
        self.is_ca = Some(false);
        self
    }

    /// Reuse the key derived for another label (a re-issued certificate for the same key).
    pub fn key_from(mut self, label: &str) -> Self {
        self.key_label = Some(label.to_owned());
        self
    }

    /// Override the PKI's default key type for this certificate.
    pub fn key_type(mut self, key_type: KeyType) -> Self {
        self.key_type = key_type;
        self
    }

    /// Generates the key (or reuses it) and signs the certificate.
    pub fn build(self) -> Result<Issued, PkiError> {
        let pki = self.pki;
        let key_label = self.key_label.clone().unwrap_or_else(|| self.label.clone());
        let key = KeyPair::from_seed(self.key_type, pki.derive("key", &key_label))?;
        let signer = key.signer()?;

        let mut params = CertificateParams::default();
        let mut serial = pki.derive("serial", &self.label)[..16].to_vec();
        serial[0] = (serial[0] & 0x7f) | 0x10;
        params.serial_number = Some(SerialNumber::from_slice(&serial));

        let is_leaf = matches!(self.kind, Kind::Leaf | Kind::SelfSignedLeaf);
        let cn = self
            .common_name
            .clone()
            .or_else(|| is_leaf.then(|| self.names.first().cloned()).flatten())
            .unwrap_or_else(|| self.label.clone());
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, self.organization.clone());
        dn.push(DnType::OrganizationalUnitName, format!("seed {}", pki.seed));
        dn.push(DnType::CommonName, cn);
        params.distinguished_name = dn;

        let (not_before, not_after) = self.window(is_leaf);
        params.not_before = not_before;
        params.not_after = not_after;

        let wants_ca = matches!(self.kind, Kind::Root | Kind::Intermediate);
        params.is_ca = match (wants_ca, self.is_ca) {
            (true, None | Some(true)) => IsCa::Ca(BasicConstraints::Unconstrained),
            (true, Some(false)) => IsCa::ExplicitNoCa,
            (false, _) => IsCa::NoCa,
        };
        params.key_usages = if wants_ca {
            vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ]
        } else if self.key_type.is_rsa() {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ]
        } else {
            vec![KeyUsagePurpose::DigitalSignature]
        };
        let eku = self.eku.unwrap_or(if is_leaf {
            Eku::ServerAuth
        } else {
            Eku::Absent
        });
        params.extended_key_usages = match eku {
            Eku::ServerAuth => vec![ExtendedKeyUsagePurpose::ServerAuth],
            Eku::ClientAuth => vec![ExtendedKeyUsagePurpose::ClientAuth],
            Eku::ServerAndClientAuth => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            Eku::EmailProtection => vec![ExtendedKeyUsagePurpose::EmailProtection],
            Eku::Absent => Vec::new(),
        };
        if is_leaf && self.subject_alt_names {
            params.subject_alt_names = self
                .names
                .iter()
                .map(|name| san(name))
                .collect::<Result<_, _>>()?;
        }

        let (der, issuers) = match self.issuer {
            Some(issuer) => {
                params.use_authority_key_identifier_extension = true;
                let issuer_signer = issuer.key.signer()?;
                let rc_issuer = Issuer::from_params(&issuer.params, issuer_signer);
                let cert = params
                    .signed_by(signer, &rc_issuer)
                    .map_err(|e| PkiError::Sign(e.to_string()))?;
                let mut issuers = vec![issuer.cert.clone()];
                issuers.extend(issuer.issuers.iter().cloned());
                (cert.der().clone(), issuers)
            }
            None => {
                let cert = params
                    .self_signed(signer)
                    .map_err(|e| PkiError::Sign(e.to_string()))?;
                (cert.der().clone(), Vec::new())
            }
        };
        Ok(Issued {
            label: self.label,
            cert: der,
            issuers,
            key,
            params,
        })
    }

    fn window(&self, is_leaf: bool) -> (OffsetDateTime, OffsetDateTime) {
        let now = self.pki.now;
        match self.validity {
            Validity::Current if is_leaf => (now - Duration::days(30), now + Duration::days(365)),
            Validity::Current => (now - Duration::days(365), now + Duration::days(3650)),
            Validity::Expired => (now - Duration::days(400), now - Duration::days(1)),
            Validity::NotYetValid => (now + Duration::days(1), now + Duration::days(400)),
            Validity::Window {
                not_before,
                not_after,
            } => (not_before, not_after),
        }
    }
}

fn san(name: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let bad = || PkiError::BadName {
        name: name.to_owned(),
    };
    rustls_pki_types::DnsName::try_from(name).map_err(|_| bad())?;
    let dns = name.try_into().map_err(|_| bad())?;
    Ok(SanType::DnsName(dns))
}

/// An issued certificate with its key and the chain above it.
#[derive(Debug)]
pub struct Issued {
    label: String,
    cert: CertificateDer<'static>,
    /// Issuer first, root last; empty for a self-signed certificate.
    issuers: Vec<CertificateDer<'static>>,
    key: KeyPair,
    params: CertificateParams,
}

impl Issued {
    /// The label it was built under.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The certificate.
    pub fn cert(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// The key pair.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// The certificate and every CA above it except the self-signed top: what a server
    /// configured with "leaf + intermediate" sends.
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        let mut chain = vec![self.cert.clone()];
        if let Some((_, intermediates)) = self.issuers.split_last() {
            chain.extend(intermediates.iter().cloned());
        }
        chain
    }

    /// The certificate and every CA above it, root last.
    pub fn full_chain(&self) -> Vec<CertificateDer<'static>> {
        let mut chain = vec![self.cert.clone()];
        chain.extend(self.issuers.iter().cloned());
        chain
    }

    /// The CAs above the certificate, issuer first, root last.
    pub fn issuers(&self) -> &[CertificateDer<'static>] {
        &self.issuers
    }

    /// The top of the chain: the root, or the certificate itself when self-signed.
    pub fn top(&self) -> &CertificateDer<'static> {
        self.issuers.last().unwrap_or(&self.cert)
    }
}
