//! Downloads (`AuthGroup.IntegrationDeveloper`): a certificate, a key pair's chain or root,
//! and the public content keystore.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;

use super::PUBLIC_KEYSTORE_FILE;
use super::{file_stem, type_name};
use crate::cert::pem_encode;
use crate::keystore::{Entry, EntryKind, Format, Keystore, Passwords};
use crate::secret::Password;
use crate::tenant::auth_group::Permission;
use crate::tenant::error::TenantError;
use crate::tenant::password::check_password_policy;
use crate::tenant::store::{Actor, Tenant};

/// How a certificate is downloaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CertEncoding {
    /// Base64 (PEM), as current CPI downloads it.
    #[default]
    Pem,
    /// DER, as the article gets it by re-exporting through Windows certmgr.
    Der,
}

/// A file the tenant hands out: its name and bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Download {
    /// The file name CPI gives it (`<alias>.cer`, `<alias>.p7b`, ...).
    pub file_name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl Download {
    /// Writes the file into `dir` atomically; returns its path.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(&self.file_name);
        crate::file::write_atomic(&path, &self.bytes)?;
        Ok(path)
    }
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file_name", &self.file_name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Tenant {
    /// "Download" of a certificate: the trusted certificate, or a key pair's own
    /// certificate, as `<alias>.cer`.
    pub fn download_certificate(
        &self,
        actor: &Actor,
        alias: &str,
        encoding: CertEncoding,
    ) -> Result<Download, TenantError> {
        actor.require(Permission::Download, "download")?;
        let entry = self.entry(alias)?;
        let cert = entry
            .kind
            .certificate()
            .ok_or_else(|| TenantError::WrongType {
                operation: "download",
                alias: entry.alias.clone(),
                expected: "certificate or key pair",
                found: type_name(&entry.kind),
            })?;
        Ok(Download {
            file_name: format!("{}.cer", file_stem(&entry.alias)),
            bytes: encode_cert(cert, encoding),
        })
    }

    /// "Download" of a key pair: `<alias>.p7b`, PKCS#7 certs-only (DER) with the whole
    /// chain. The private key is never part of it.
    pub fn download_chain(&self, actor: &Actor, alias: &str) -> Result<Download, TenantError> {
        actor.require(Permission::Download, "download")?;
        let (entry, chain) = self.key_pair("download", alias)?;
        Ok(Download {
            file_name: format!("{}.p7b", file_stem(&entry.alias)),
            bytes: crate::keystore::encode_p7b(&chain, false)?,
        })
    }

    /// "Download" of a key pair's root: `<alias>_rootCA.cer`, the top of its chain.
    pub fn download_root_ca(
        &self,
        actor: &Actor,
        alias: &str,
        encoding: CertEncoding,
    ) -> Result<Download, TenantError> {
        actor.require(Permission::Download, "download")?;
        let (entry, chain) = self.key_pair("download", alias)?;
        // Invariant: key pair chains are never empty (every reader refuses an empty chain).
        let top = chain.last().unwrap_or(&chain[0]);
        Ok(Download {
            file_name: format!("{}_rootCA.cer", file_stem(&entry.alias)),
            bytes: encode_cert(top, encoding),
        })
    }

    /// "Download public content": `PublicContentKeystore.jks`, a JKS file with every
    /// certificate and no private key. A key pair's chain is split into trusted entries
    /// `alias`, `alias_1`, `alias_2`, ...; `password` must follow CPI's policy.
    pub fn download_public_keystore(
        &self,
        actor: &Actor,
        password: &Password,
    ) -> Result<Download, TenantError> {
        actor.require(Permission::Download, "download")?;
        check_password_policy(password)?;
        let store = self.public_content();
        Ok(Download {
            file_name: PUBLIC_KEYSTORE_FILE.to_owned(),
            bytes: store.to_bytes(Format::Jks, &Passwords::new(password.clone()))?,
        })
    }

    /// The public content: every certificate as a trusted entry, chains split.
    pub fn public_content(&self) -> Keystore {
        let mut store = Keystore::new(Format::Jks);
        let mut pending = Vec::new();
        for entry in self.keystore.entries() {
            match &entry.kind {
                EntryKind::TrustedCertificate(cert) => {
                    pending.push((entry.alias.clone(), entry.created, cert.clone()))
                }
                EntryKind::KeyPair { chain, .. } => {
                    for (i, cert) in chain.iter().enumerate() {
                        let alias = if i == 0 {
                            entry.alias.clone()
                        } else {
                            format!("{}_{i}", entry.alias)
                        };
                        pending.push((alias, entry.created, cert.clone()));
                    }
                }
                EntryKind::SecretKey { .. } => {}
            }
        }
        for (alias, created, cert) in pending {
            let mut unique = alias.clone();
            let mut n = 2;
            while store.get(&unique).is_some() {
                unique = format!("{alias}_dup{n}");
                n += 1;
            }
            store.upsert(Entry {
                alias: unique,
                created,
                kind: EntryKind::TrustedCertificate(cert),
            });
        }
        store
    }
}

fn encode_cert(cert: &CertificateDer<'_>, encoding: CertEncoding) -> Vec<u8> {
    match encoding {
        CertEncoding::Pem => pem_encode("CERTIFICATE", cert).into_bytes(),
        CertEncoding::Der => cert.to_vec(),
    }
}
