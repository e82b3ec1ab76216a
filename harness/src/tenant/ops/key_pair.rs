//! Key pairs the tenant makes: "Create key pair", "Download signing request" and "Update with
//! signing response".

use rcgen::{CertificateParams, DistinguishedName, DnType, IsCa, KeyUsagePurpose, SerialNumber};
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::error::X509Error;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::MAX_UPLOAD_BYTES;
use super::{Download, check_size, file_stem, read_upload, type_name};
use crate::cert::pem_encode;
use crate::keystore::{EntryKind, Format, KeyMaterial};
use crate::pki::{KeyPair, KeyType};
use crate::secret::Password;
use crate::tenant::alias::Alias;
use crate::tenant::auth_group::Permission;
use crate::tenant::error::{GenerateError, TenantError, UploadError};
use crate::tenant::store::{Actor, Tenant};

/// Subject fields of a new key pair's certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    /// CN (required).
    pub common_name: String,
    /// O.
    pub organization: Option<String>,
    /// OU.
    pub organizational_unit: Option<String>,
    /// L.
    pub locality: Option<String>,
    /// ST.
    pub state: Option<String>,
    /// C (two letters).
    pub country: Option<String>,
}

/// "Create key pair": key type, subject and validity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPairSpec {
    /// RSA or EC key type.
    pub key_type: KeyType,
    /// The subject (the certificate is self-signed until updated with a signing response).
    pub subject: Subject,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
}

impl Tenant {
    /// "Create key pair": a new key (RSA or EC, derived from the tenant seed, the alias and
    /// the generation, so it is reproducible) with a self-signed certificate.
    pub fn create_key_pair(
        &mut self,
        actor: &Actor,
        alias: &Alias,
        spec: &KeyPairSpec,
    ) -> Result<(), TenantError> {
        const OP: &str = "create-key-pair";
        actor.require(Permission::Maintain, OP)?;
        let mut draft = self.draft();
        draft.require_new(alias)?;
        let generate = |source: GenerateError| TenantError::Generate {
            alias: alias.to_string(),
            source,
        };
        if spec.subject.common_name.trim().is_empty() {
            return Err(generate(GenerateError::NoCommonName));
        }
        if let Some(country) = &spec.subject.country
            && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(generate(GenerateError::BadCountry {
                country: country.clone(),
            }));
        }
        if spec.not_before >= spec.not_after {
            return Err(generate(GenerateError::ValidityReversed));
        }
        let mut seed = Sha256::new();
        seed.update(b"harness-tenant/v1\0key\0");
        seed.update(self.meta.seed.to_be_bytes());
        seed.update(self.meta.generation.to_be_bytes());
        seed.update(alias.as_str().as_bytes());
        let seed: [u8; 32] = seed.finalize().into();
        let key = KeyPair::from_seed(spec.key_type, seed).map_err(|e| generate(e.into()))?;
        let signer = key.signer().map_err(|e| generate(e.into()))?;
        let mut params = CertificateParams::default();
        let mut serial = seed[16..32].to_vec();
        serial[0] = (serial[0] & 0x7f) | 0x10;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.distinguished_name = distinguished_name(&spec.subject);
        params.not_before = spec.not_before;
        params.not_after = spec.not_after;
        params.is_ca = IsCa::NoCa;
        params.key_usages = if spec.key_type.is_rsa() {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ]
        } else {
            vec![KeyUsagePurpose::DigitalSignature]
        };
        let cert = params
            .self_signed(signer)
            .map_err(|e| generate(GenerateError::Sign(e)))?;
        let kind = EntryKind::KeyPair {
            key: KeyMaterial::plain(key.private_key().clone()),
            chain: vec![cert.der().clone()],
        };
        draft.put(alias.as_str(), kind, actor);
        self.commit(
            draft,
            actor,
            OP,
            format!("created key pair `{alias}` ({})", spec.key_type),
        )
    }

    /// "Download signing request": a PKCS#10 request (`<alias>.csr`, PEM) for a Tenant
    /// Administrator key pair, with the certificate's subject. Needs `AuthGroup.Admin`: it
    /// uses the private key, which is maintenance, not a download of public content.
    pub fn signing_request(&self, actor: &Actor, alias: &str) -> Result<Download, TenantError> {
        const OP: &str = "signing-request";
        actor.require(Permission::Maintain, OP)?;
        let (entry, chain) = self.customer_key_pair(OP, alias)?;
        let key = self.plain_key(&entry.alias)?;
        let generate = |source: GenerateError| TenantError::Generate {
            alias: entry.alias.clone(),
            source,
        };
        let key_type =
            key_type_of(&chain[0]).ok_or_else(|| generate(GenerateError::UnsupportedKeyType))?;
        let pair = KeyPair::from_parts(key_type, key.secret_pkcs8_der().to_vec());
        let signer = pair.signer().map_err(|e| generate(e.into()))?;
        let mut params = CertificateParams::default();
        params.distinguished_name =
            subject_of(&chain[0]).map_err(|e| generate(GenerateError::Subject(e)))?;
        let csr = params
            .serialize_request(signer)
            .map_err(|e| generate(GenerateError::Sign(e)))?;
        Ok(Download {
            file_name: format!("{}.csr", file_stem(&entry.alias)),
            bytes: pem_encode("CERTIFICATE REQUEST", csr.der()).into_bytes(),
        })
    }

    /// "Update with signing response": replaces a key pair's chain with the CA's response
    /// (PKCS#7 or a PEM/DER chain). The response must hold a certificate for the key pair's
    /// public key; the chain is ordered leaf first by issuer links.
    pub fn update_with_signing_response(
        &mut self,
        actor: &Actor,
        alias: &str,
        bytes: &[u8],
    ) -> Result<(), TenantError> {
        const OP: &str = "update-signing-response";
        actor.require(Permission::Maintain, OP)?;
        check_size("the signing response", bytes, MAX_UPLOAD_BYTES)?;
        let (entry, chain) = self.customer_key_pair(OP, alias)?;
        let response = read_upload(
            OP,
            bytes,
            &Password::new(""),
            &[Format::Pkcs7, Format::Pem, Format::Der],
        )?;
        let certs: Vec<CertificateDer<'static>> = response
            .trusted_certificates()
            .map(|(_, cert)| cert.clone())
            .collect();
        let spki = spki_of(&chain[0]);
        let Some(leaf) = certs
            .iter()
            .find(|c| spki_of(c).is_some() && spki_of(c) == spki)
        else {
            return Err(TenantError::BadUpload {
                operation: OP,
                source: UploadError::NoMatchingKey {
                    alias: entry.alias.clone(),
                },
            });
        };
        let new_chain = crate::chain::order_from(leaf, &certs);
        let EntryKind::KeyPair { key, .. } = entry.kind else {
            return Err(TenantError::WrongType {
                operation: OP,
                alias: entry.alias,
                expected: "key pair",
                found: type_name(&entry.kind),
            });
        };
        let kind = EntryKind::KeyPair {
            key,
            chain: new_chain,
        };
        let mut draft = self.draft();
        draft.put(&entry.alias, kind, actor);
        self.commit(
            draft,
            actor,
            OP,
            format!("updated `{}` with a signing response", entry.alias),
        )
    }
}

fn distinguished_name(subject: &Subject) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    let fields = [
        (DnType::CountryName, &subject.country),
        (DnType::StateOrProvinceName, &subject.state),
        (DnType::LocalityName, &subject.locality),
        (DnType::OrganizationName, &subject.organization),
        (DnType::OrganizationalUnitName, &subject.organizational_unit),
    ];
    for (kind, value) in fields {
        if let Some(value) = value {
            dn.push(kind, value.clone());
        }
    }
    dn.push(DnType::CommonName, subject.common_name.clone());
    dn
}

/// The certificate's subject as rcgen's name (for the signing request).
fn subject_of(cert: &[u8]) -> Result<DistinguishedName, X509Error> {
    let (_, parsed) = X509Certificate::from_der(cert).map_err(|e| match e {
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e,
        x509_parser::nom::Err::Incomplete(_) => X509Error::InvalidCertificate,
    })?;
    let mut dn = DistinguishedName::new();
    for rdn in parsed.subject().iter_rdn() {
        for atv in rdn.iter() {
            let oid = atv.attr_type().to_id_string();
            let value = atv.as_str()?.to_owned();
            let kind = match oid.as_str() {
                "2.5.4.3" => DnType::CommonName,
                "2.5.4.6" => DnType::CountryName,
                "2.5.4.7" => DnType::LocalityName,
                "2.5.4.8" => DnType::StateOrProvinceName,
                "2.5.4.10" => DnType::OrganizationName,
                "2.5.4.11" => DnType::OrganizationalUnitName,
                other => {
                    DnType::CustomDnType(other.split('.').filter_map(|n| n.parse().ok()).collect())
                }
            };
            dn.push(kind, value);
        }
    }
    Ok(dn)
}

fn spki_of(cert: &[u8]) -> Option<Vec<u8>> {
    let (_, parsed) = X509Certificate::from_der(cert).ok()?;
    Some(parsed.public_key().raw.to_vec())
}

fn key_type_of(cert: &[u8]) -> Option<KeyType> {
    let info = crate::cert::CertInfo::from_der(cert).ok()?;
    Some(match info.key.as_str() {
        "RSA 2048" => KeyType::Rsa2048,
        "RSA 3072" => KeyType::Rsa3072,
        "RSA 4096" => KeyType::Rsa4096,
        "EC P-256" => KeyType::P256,
        "EC P-384" => KeyType::P384,
        _ => return None,
    })
}
