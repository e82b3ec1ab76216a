//! The Keystore Monitor's operations. Each checks the acting role first, works on a draft of
//! the state, and commits it only when every rule passed: a refusal changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, IsCa, KeyUsagePurpose, SerialNumber};
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::alias::Alias;
use super::error::TenantError;
use super::owner::Owner;
use super::password::check_password_policy;
use super::role::Permission;
use super::store::{Actor, BackupRecord, Draft, EntryRecord, Tenant, sha256_hex};
use crate::cert::pem_encode;
use crate::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use crate::pki::{KeyPair, KeyType};
use crate::secret::{Password, PrivateKey};
use crate::time::format_rfc3339;

/// The largest keystore upload (CPI: 2 MB).
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024;
/// The largest certificate file for "Add certificate" (CPI: 10,240 bytes).
pub const MAX_CERTIFICATE_BYTES: u64 = 10_240;
/// The largest PKCS#12 file for "Add key pair" (CPI: 30,720 bytes).
pub const MAX_KEY_PAIR_BYTES: u64 = 30_720;
/// The public keystore's file name.
pub const PUBLIC_KEYSTORE_FILE: &str = "PublicContentKeystore.jks";

/// How "Add keystore" treats the tenant's existing entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddMode {
    /// Add: new aliases are added, existing Tenant Administrator aliases are preserved.
    Merge,
    /// Add with "overwrite existing entries": existing Tenant Administrator aliases are
    /// overwritten by the upload's.
    MergeOverwrite,
    /// Replace: every Tenant Administrator entry is removed, then the upload's are added.
    Replace,
}

/// One entry of an "Add keystore" summary, with the reason for its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryItem {
    /// The alias (as the upload names it).
    pub alias: String,
    /// Why this outcome.
    pub reason: String,
}

/// What "Add keystore" did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AddSummary {
    /// Format version of this JSON.
    pub version: u32,
    /// New entries.
    pub added: Vec<SummaryItem>,
    /// Existing entries kept as they were.
    pub preserved: Vec<SummaryItem>,
    /// Existing entries replaced by the upload's.
    pub overwritten: Vec<SummaryItem>,
    /// Tenant Administrator entries removed by Replace.
    pub removed: Vec<SummaryItem>,
    /// Upload entries refused, each with its reason.
    pub refused: Vec<SummaryItem>,
    /// Whether the tenant changed (false when nothing was added, overwritten or removed).
    pub changed: bool,
}

impl AddSummary {
    /// The summary as text, one line per entry.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (title, items) in [
            ("added", &self.added),
            ("overwritten", &self.overwritten),
            ("preserved", &self.preserved),
            ("removed", &self.removed),
            ("refused", &self.refused),
        ] {
            out.push_str(&format!("{title}: {}\n", items.len()));
            for item in items {
                out.push_str(&format!("  {}  ({})\n", item.alias, item.reason));
            }
        }
        if !self.changed {
            out.push_str("the tenant keystore was not changed\n");
        }
        out
    }
}

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
    /// "Add keystore": uploads a JKS, JCEKS or PKCS#12 file (at most
    /// [`MAX_UPLOAD_BYTES`]) opened with `password` (store and keys). Refused entries are
    /// listed with their reason; the rest follows `mode`. A file that cannot be read at all
    /// (wrong password, malformed, not a keystore) refuses the whole upload.
    pub fn add_keystore(
        &mut self,
        actor: &Actor,
        bytes: &[u8],
        password: &Password,
        mode: AddMode,
    ) -> Result<AddSummary, TenantError> {
        const OP: &str = "add-keystore";
        actor.require(Permission::Maintain, OP)?;
        check_size("the upload", bytes, MAX_UPLOAD_BYTES)?;
        let upload = read_upload(
            OP,
            bytes,
            password,
            &[Format::Jks, Format::Jceks, Format::Pkcs12],
        )?;
        let mut draft = self.draft();
        let mut summary = AddSummary {
            version: 1,
            added: Vec::new(),
            preserved: Vec::new(),
            overwritten: Vec::new(),
            removed: Vec::new(),
            refused: Vec::new(),
            changed: false,
        };
        if mode == AddMode::Replace {
            for alias in draft.aliases_owned_by(Owner::TenantAdministrator) {
                draft.remove(&alias);
                summary.removed.push(item(
                    &alias,
                    "Replace removes every Tenant Administrator entry",
                ));
            }
        }
        for entry in upload.entries() {
            let alias = match Alias::parse(&entry.alias) {
                Ok(alias) => alias,
                Err(e) => {
                    summary
                        .refused
                        .push(item(&entry.alias, &e.rule.to_string()));
                    continue;
                }
            };
            if let EntryKind::SecretKey { .. } = entry.kind {
                summary.refused.push(item(
                    &entry.alias,
                    "secret-key entries are not supported by the Keystore Monitor",
                ));
                continue;
            }
            match draft.meta.entries.get(alias.as_str()).map(|r| r.owner) {
                Some(Owner::Sap) => {
                    summary
                        .refused
                        .push(item(&entry.alias, "the entry is owned by SAP"));
                }
                Some(Owner::TenantAdministrator) if mode == AddMode::Merge => {
                    summary.preserved.push(item(
                        &entry.alias,
                        "the alias exists; overwrite was not requested",
                    ));
                }
                Some(Owner::TenantAdministrator) => {
                    draft.put(alias.as_str(), entry.kind.clone(), actor);
                    summary.overwritten.push(item(
                        &entry.alias,
                        "the alias existed; overwrite was requested",
                    ));
                }
                None => {
                    draft.put(alias.as_str(), entry.kind.clone(), actor);
                    summary.added.push(item(
                        &entry.alias,
                        &format!("new {}", type_name(&entry.kind)),
                    ));
                }
            }
        }
        summary.changed = !(summary.added.is_empty()
            && summary.overwritten.is_empty()
            && summary.removed.is_empty());
        if summary.changed {
            let detail = format!(
                "{mode:?}: {} added, {} overwritten, {} preserved, {} removed, {} refused",
                summary.added.len(),
                summary.overwritten.len(),
                summary.preserved.len(),
                summary.removed.len(),
                summary.refused.len()
            );
            self.commit(draft, actor, OP, detail)?;
        }
        Ok(summary)
    }

    /// "Add certificate": one certificate, PEM or DER, at most [`MAX_CERTIFICATE_BYTES`],
    /// under a new alias.
    pub fn add_certificate(
        &mut self,
        actor: &Actor,
        alias: &Alias,
        bytes: &[u8],
    ) -> Result<(), TenantError> {
        const OP: &str = "add-certificate";
        actor.require(Permission::Maintain, OP)?;
        check_size("the certificate file", bytes, MAX_CERTIFICATE_BYTES)?;
        let cert = read_one_certificate(OP, bytes)?;
        let mut draft = self.draft();
        draft.require_new(alias)?;
        draft.put(alias.as_str(), EntryKind::TrustedCertificate(cert), actor);
        self.commit(draft, actor, OP, format!("added certificate `{alias}`"))
    }

    /// "Add key pair": a PKCS#12 file (at most [`MAX_KEY_PAIR_BYTES`]) holding exactly one
    /// key pair, opened with `password`, under a new alias.
    pub fn add_key_pair(
        &mut self,
        actor: &Actor,
        alias: &Alias,
        bytes: &[u8],
        password: &Password,
    ) -> Result<(), TenantError> {
        const OP: &str = "add-key-pair";
        actor.require(Permission::Maintain, OP)?;
        check_size("the key pair file", bytes, MAX_KEY_PAIR_BYTES)?;
        let kind = read_one_key_pair(OP, bytes, password)?;
        let mut draft = self.draft();
        draft.require_new(alias)?;
        draft.put(alias.as_str(), kind, actor);
        self.commit(draft, actor, OP, format!("added key pair `{alias}`"))
    }

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
        let generate = |reason: String| TenantError::Generate {
            alias: alias.to_string(),
            reason,
        };
        if spec.subject.common_name.trim().is_empty() {
            return Err(generate("the subject needs a common name (CN)".into()));
        }
        if let Some(country) = &spec.subject.country
            && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(generate(format!(
                "country `{country}` is not a two-letter code"
            )));
        }
        if spec.not_before >= spec.not_after {
            return Err(generate("the validity ends before it starts".into()));
        }
        let mut seed = Sha256::new();
        seed.update(b"harness-tenant/v1\0key\0");
        seed.update(self.meta.seed.to_be_bytes());
        seed.update(self.meta.generation.to_be_bytes());
        seed.update(alias.as_str().as_bytes());
        let seed: [u8; 32] = seed.finalize().into();
        let key = KeyPair::from_seed(spec.key_type, seed).map_err(|e| generate(e.to_string()))?;
        let signer = key.signer().map_err(|e| generate(e.to_string()))?;
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
            .map_err(|e| generate(e.to_string()))?;
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
        let key_type = key_type_of(&chain[0]).ok_or_else(|| TenantError::Generate {
            alias: entry.alias.clone(),
            reason: "unsupported key type".into(),
        })?;
        let pair = KeyPair::from_parts(key_type, key.secret_pkcs8_der().to_vec());
        let generate = |reason: String| TenantError::Generate {
            alias: entry.alias.clone(),
            reason,
        };
        let signer = pair.signer().map_err(|e| generate(e.to_string()))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = subject_of(&chain[0]).map_err(generate)?;
        let csr = params
            .serialize_request(signer)
            .map_err(|e| generate(e.to_string()))?;
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
                reason: format!(
                    "no certificate in the response matches the public key of `{}`",
                    entry.alias
                ),
            });
        };
        let new_chain = order_chain(leaf.clone(), &certs);
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

    /// "Update": replaces a Tenant Administrator entry with one of the same type under the
    /// same alias: a certificate file (PEM/DER) for a certificate, a PKCS#12 file with
    /// `password` for a key pair.
    pub fn update(
        &mut self,
        actor: &Actor,
        alias: &str,
        bytes: &[u8],
        password: Option<&Password>,
    ) -> Result<(), TenantError> {
        const OP: &str = "update";
        actor.require(Permission::Maintain, OP)?;
        let entry = self.customer_entry(OP, alias)?;
        let kind = match entry.kind {
            EntryKind::TrustedCertificate(_) => {
                check_size("the certificate file", bytes, MAX_CERTIFICATE_BYTES)?;
                EntryKind::TrustedCertificate(read_one_certificate(OP, bytes)?)
            }
            _ => {
                check_size("the key pair file", bytes, MAX_KEY_PAIR_BYTES)?;
                let empty = Password::new("");
                read_one_key_pair(OP, bytes, password.unwrap_or(&empty))?
            }
        };
        let mut draft = self.draft();
        draft.put(&entry.alias, kind, actor);
        self.commit(draft, actor, OP, format!("updated `{}`", entry.alias))
    }

    /// "Rename": a Tenant Administrator entry gets a new alias (at most 250 characters,
    /// outside the reserved namespace: [`Alias`] checks both).
    pub fn rename(&mut self, actor: &Actor, from: &str, to: &Alias) -> Result<(), TenantError> {
        const OP: &str = "rename";
        actor.require(Permission::Maintain, OP)?;
        let entry = self.customer_entry(OP, from)?;
        let mut draft = self.draft();
        draft.require_new(to)?;
        draft
            .keystore
            .rename(&entry.alias, to.as_str())
            .map_err(|_| TenantError::DuplicateAlias {
                alias: to.to_string(),
            })?;
        if let Some(mut record) = draft.meta.entries.remove(&entry.alias) {
            record.modified_at = format_rfc3339(actor.now);
            record.modified_by = actor.user.clone();
            draft.meta.entries.insert(to.to_string(), record);
        }
        if let Some(key) = draft.plain_keys.remove(&entry.alias) {
            draft.plain_keys.insert(to.to_string(), key);
        }
        self.commit(
            draft,
            actor,
            OP,
            format!("renamed `{}` to `{to}`", entry.alias),
        )
    }

    /// "Delete": removes a Tenant Administrator entry.
    pub fn delete(&mut self, actor: &Actor, alias: &str) -> Result<(), TenantError> {
        const OP: &str = "delete";
        actor.require(Permission::Maintain, OP)?;
        let entry = self.customer_entry(OP, alias)?;
        let mut draft = self.draft();
        draft.remove(&entry.alias);
        self.commit(draft, actor, OP, format!("deleted `{}`", entry.alias))
    }

    /// "Backup": saves every Tenant Administrator entry into the one backup slot (a JCEKS
    /// file protected with `password`, which must follow CPI's policy), replacing the
    /// previous backup.
    pub fn backup(&mut self, actor: &Actor, password: &Password) -> Result<(), TenantError> {
        const OP: &str = "backup";
        actor.require(Permission::Maintain, OP)?;
        check_password_policy(password)?;
        let mut store = Keystore::new(Format::Jceks);
        let mut records = BTreeMap::new();
        for alias in self.draft().aliases_owned_by(Owner::TenantAdministrator) {
            let Some(entry) = self.keystore.get(&alias).cloned() else {
                continue;
            };
            let kind = match entry.kind {
                EntryKind::KeyPair { chain, .. } => EntryKind::KeyPair {
                    key: KeyMaterial::plain(self.plain_key(&alias)?),
                    chain,
                },
                other => other,
            };
            store.upsert(Entry { kind, ..entry });
            if let Some(record) = self.meta.entries.get(&alias) {
                records.insert(alias, record.clone());
            }
        }
        let bytes = store.to_bytes_with(
            Format::Jceks,
            &Passwords::new(password.clone()),
            &self.meta.write_options(),
        )?;
        let hash = sha256_hex(&bytes);
        let mut draft = self.draft();
        draft.meta.backup = Some(BackupRecord {
            file: format!("backup-{}.jceks", &hash[..16]),
            sha256: hash,
            created_at: format_rfc3339(actor.now),
            created_by: actor.user.clone(),
            entries: records,
        });
        draft.backup_bytes = Some(bytes);
        let count = store.len();
        self.commit(
            draft,
            actor,
            OP,
            format!("backed up {count} Tenant Administrator entries"),
        )
    }

    /// "Restore": replaces every Tenant Administrator entry with the backup's, opened with
    /// `password`.
    pub fn restore(&mut self, actor: &Actor, password: &Password) -> Result<(), TenantError> {
        const OP: &str = "restore";
        actor.require(Permission::Maintain, OP)?;
        let backup = self.meta.backup.clone().ok_or(TenantError::NoBackup)?;
        let path = self.dir.join(&backup.file);
        let bytes = std::fs::read(&path).map_err(|source| TenantError::Io {
            path: path.clone(),
            source,
        })?;
        if sha256_hex(&bytes) != backup.sha256 {
            return Err(TenantError::Corrupt {
                path,
                reason: "the backup's SHA-256 differs from `tenant.json`".into(),
            });
        }
        let passwords = Passwords::new(password.clone());
        let mut store = Keystore::from_bytes(&bytes, &passwords, &backup.file)?;
        // The backup is the tenant's own file (sha-checked above): no work budget.
        store
            .unlock_keys_unbounded(&passwords)
            .map_err(|kind| crate::keystore::KeystoreError::read(&backup.file, kind))?;
        let mut draft = self.draft();
        for alias in draft.aliases_owned_by(Owner::TenantAdministrator) {
            draft.remove(&alias);
        }
        for entry in store.entries() {
            if draft.meta.entries.contains_key(&entry.alias) {
                // An SAP alias cannot be in a backup we wrote; skip rather than clobber.
                continue;
            }
            draft.put(&entry.alias, entry.kind.clone(), actor);
            if let (Some(old), Some(record)) = (
                backup.entries.get(&entry.alias),
                draft.meta.entries.get_mut(&entry.alias),
            ) {
                record.created_at = old.created_at.clone();
                record.created_by = old.created_by.clone();
            }
        }
        self.commit(
            draft,
            actor,
            OP,
            format!(
                "restored {} entries from the backup of {}",
                store.len(),
                backup.created_at
            ),
        )
    }

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

    pub(crate) fn entry(&self, alias: &str) -> Result<&Entry, TenantError> {
        self.keystore
            .get(alias)
            .ok_or_else(|| TenantError::NoSuchAlias {
                alias: alias.to_owned(),
            })
    }

    /// An existing entry that is not SAP-owned.
    fn customer_entry(&self, operation: &'static str, alias: &str) -> Result<Entry, TenantError> {
        let entry = self.entry(alias)?;
        if self.owner(&entry.alias) != Some(Owner::TenantAdministrator) {
            return Err(TenantError::SapOwned {
                operation,
                alias: entry.alias.clone(),
            });
        }
        Ok(entry.clone())
    }

    fn key_pair(
        &self,
        operation: &'static str,
        alias: &str,
    ) -> Result<(Entry, Vec<CertificateDer<'static>>), TenantError> {
        let entry = self.entry(alias)?;
        match &entry.kind {
            EntryKind::KeyPair { chain, .. } if !chain.is_empty() => {
                Ok((entry.clone(), chain.clone()))
            }
            other => Err(TenantError::WrongType {
                operation,
                alias: entry.alias.clone(),
                expected: "key pair",
                found: type_name(other),
            }),
        }
    }

    fn customer_key_pair(
        &self,
        operation: &'static str,
        alias: &str,
    ) -> Result<(Entry, Vec<CertificateDer<'static>>), TenantError> {
        self.customer_entry(operation, alias)?;
        self.key_pair(operation, alias)
    }

    /// The plain private key of a key pair: from memory, or unsealed with the tenant password.
    fn plain_key(&self, alias: &str) -> Result<PrivateKey, TenantError> {
        if let Some(key) = self.plain_keys.get(alias) {
            return Ok(key.clone());
        }
        let entry = self.entry(alias)?;
        match &entry.kind {
            EntryKind::KeyPair { key, .. } => key
                .unlock(&self.passwords().store, &entry.alias)
                .map_err(|kind| {
                    crate::keystore::KeystoreError::read(
                        &self.keystore_path().display().to_string(),
                        kind,
                    )
                    .into()
                }),
            other => Err(TenantError::WrongType {
                operation: "unlock",
                alias: entry.alias.clone(),
                expected: "key pair",
                found: type_name(other),
            }),
        }
    }
}

impl Draft {
    fn aliases_owned_by(&self, owner: Owner) -> Vec<String> {
        self.meta
            .entries
            .iter()
            .filter(|(_, r)| r.owner == owner)
            .map(|(alias, _)| alias.clone())
            .collect()
    }

    fn require_new(&self, alias: &Alias) -> Result<(), TenantError> {
        if self.keystore.get(alias.as_str()).is_some() {
            return Err(TenantError::DuplicateAlias {
                alias: alias.to_string(),
            });
        }
        Ok(())
    }

    /// Adds or replaces a Tenant Administrator entry (callers have checked the owner).
    fn put(&mut self, alias: &str, kind: EntryKind, actor: &Actor) {
        let now = format_rfc3339(actor.now);
        match &kind {
            EntryKind::KeyPair { key, .. } => match key.plain_key() {
                Some(plain) => {
                    self.plain_keys.insert(alias.to_owned(), plain.clone());
                }
                None => {
                    self.plain_keys.remove(alias);
                }
            },
            _ => {
                self.plain_keys.remove(alias);
            }
        }
        self.keystore.upsert(Entry {
            alias: alias.to_owned(),
            created: actor.now,
            kind,
        });
        let record = self
            .meta
            .entries
            .entry(alias.to_owned())
            .or_insert_with(|| EntryRecord {
                owner: Owner::TenantAdministrator,
                created_at: now.clone(),
                created_by: actor.user.clone(),
                modified_at: now.clone(),
                modified_by: actor.user.clone(),
            });
        record.modified_at = now;
        record.modified_by = actor.user.clone();
    }

    fn remove(&mut self, alias: &str) {
        self.keystore.remove(alias);
        self.meta.entries.remove(alias);
        self.plain_keys.remove(alias);
    }
}

/// The alias as a file name stem: an alias may hold `/`, `\\` or start with `.`, which must
/// not steer a download out of its directory.
fn file_stem(alias: &str) -> String {
    let stem: String = alias
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    match stem.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None => stem,
    }
}

fn item(alias: &str, reason: &str) -> SummaryItem {
    SummaryItem {
        alias: alias.to_owned(),
        reason: reason.to_owned(),
    }
}

pub(crate) fn type_name(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::TrustedCertificate(_) => "certificate",
        EntryKind::KeyPair { .. } => "key pair",
        EntryKind::SecretKey { .. } => "secret key",
    }
}

fn check_size(what: &'static str, bytes: &[u8], limit: u64) -> Result<(), TenantError> {
    let size = bytes.len() as u64;
    if size > limit {
        return Err(TenantError::TooLarge { what, size, limit });
    }
    Ok(())
}

/// Reads an upload and unlocks its keys with `password`; refuses formats not in `allowed`.
fn read_upload(
    operation: &'static str,
    bytes: &[u8],
    password: &Password,
    allowed: &[Format],
) -> Result<Keystore, TenantError> {
    let passwords = Passwords::new(password.clone());
    // The format first: a keystore offered as a certificate must say so, not "wrong password".
    let format = crate::keystore::detect_format(bytes)
        .map_err(|kind| crate::keystore::KeystoreError::read("<upload>", kind))?;
    if !allowed.contains(&format) {
        let names: Vec<&str> = allowed.iter().map(|f| f.name()).collect();
        return Err(TenantError::BadUpload {
            operation,
            reason: format!("the file is {format}, expected {}", names.join(", ")),
        });
    }
    let mut store = Keystore::from_bytes(bytes, &passwords, "<upload>")?;
    store
        .unlock_keys(&passwords)
        .map_err(|kind| crate::keystore::KeystoreError::read("<upload>", kind))?;
    Ok(store)
}

fn read_one_certificate(
    operation: &'static str,
    bytes: &[u8],
) -> Result<CertificateDer<'static>, TenantError> {
    let store = read_upload(
        operation,
        bytes,
        &Password::new(""),
        &[Format::Pem, Format::Der],
    )?;
    match store.entries() {
        [
            Entry {
                kind: EntryKind::TrustedCertificate(cert),
                ..
            },
        ] => Ok(cert.clone()),
        entries => Err(TenantError::BadUpload {
            operation,
            reason: format!(
                "the file holds {} entries, expected exactly one certificate without a key",
                entries.len()
            ),
        }),
    }
}

fn read_one_key_pair(
    operation: &'static str,
    bytes: &[u8],
    password: &Password,
) -> Result<EntryKind, TenantError> {
    let store = read_upload(operation, bytes, password, &[Format::Pkcs12])?;
    let pairs: Vec<&Entry> = store
        .entries()
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::KeyPair { .. }))
        .collect();
    match pairs.as_slice() {
        [entry] => Ok(entry.kind.clone()),
        _ => Err(TenantError::BadUpload {
            operation,
            reason: format!(
                "the file holds {} key pairs, expected exactly one",
                pairs.len()
            ),
        }),
    }
}

fn encode_cert(cert: &CertificateDer<'_>, encoding: CertEncoding) -> Vec<u8> {
    match encoding {
        CertEncoding::Pem => pem_encode("CERTIFICATE", cert).into_bytes(),
        CertEncoding::Der => cert.to_vec(),
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
fn subject_of(cert: &[u8]) -> Result<DistinguishedName, String> {
    let (_, parsed) = X509Certificate::from_der(cert).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    for rdn in parsed.subject().iter_rdn() {
        for atv in rdn.iter() {
            let oid = atv.attr_type().to_id_string();
            let value = atv.as_str().map_err(|e| e.to_string())?.to_owned();
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

/// The chain from `leaf` up, following issuer names through `certs`, leaf first.
fn order_chain(
    leaf: CertificateDer<'static>,
    certs: &[CertificateDer<'static>],
) -> Vec<CertificateDer<'static>> {
    let names = |der: &[u8]| -> Option<(Vec<u8>, Vec<u8>)> {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        Some((c.subject().as_raw().to_vec(), c.issuer().as_raw().to_vec()))
    };
    let mut chain = vec![leaf];
    while chain.len() <= certs.len() {
        // Invariant: chain is never empty.
        let Some((subject, issuer)) = names(&chain[chain.len() - 1]) else {
            break;
        };
        if subject == issuer {
            break;
        }
        let next = certs
            .iter()
            .find(|c| !chain.contains(c) && names(c).is_some_and(|(s, _)| s == issuer));
        match next {
            Some(cert) => chain.push(cert.clone()),
            None => break,
        }
    }
    chain
}
