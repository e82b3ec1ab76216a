//! The Keystore Monitor's operations. Each checks the acting auth group first, works on a
//! draft of the state, and commits it only when every rule passed: a refusal changes nothing.
//!
//! | module | operations |
//! |---|---|
//! | `upload` | add keystore (with its [`AddSummary`]), add certificate, add key pair |
//! | `key_pair` | create key pair, download signing request, update with signing response |
//! | `edit` | update, rename, delete |
//! | `backup` | backup, restore |
//! | `download` | download certificate, chain, root; download public content |
//!
//! This module holds what they share: the limits, the entry lookups that refuse SAP-owned
//! entries and wrong types, the upload reader, and the draft's edits.

mod backup;
mod download;
mod edit;
mod key_pair;
mod upload;

use rustls_pki_types::CertificateDer;

use crate::keystore::{Entry, EntryKind, Format, Keystore, Passwords};
use crate::secret::{Password, PrivateKey};
use crate::tenant::alias::Alias;
use crate::tenant::error::{TenantError, UploadError};
use crate::tenant::owner::Owner;
use crate::tenant::store::{Actor, Draft, EntryRecord, Tenant};
use crate::time::format_rfc3339;

pub use download::{CertEncoding, Download};
pub use key_pair::{KeyPairSpec, Subject};
pub use upload::{AddMode, AddSummary, SummaryItem};

/// The largest keystore upload (CPI: 2 MB).
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024;
/// The largest certificate file for "Add certificate" (CPI: 10,240 bytes).
pub const MAX_CERTIFICATE_BYTES: u64 = 10_240;
/// The largest PKCS#12 file for "Add key pair" (CPI: 30,720 bytes).
pub const MAX_KEY_PAIR_BYTES: u64 = 30_720;
/// The public keystore's file name.
pub const PUBLIC_KEYSTORE_FILE: &str = "PublicContentKeystore.jks";

impl Tenant {
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
    allowed: &'static [Format],
) -> Result<Keystore, TenantError> {
    let passwords = Passwords::new(password.clone());
    // The format first: a keystore offered as a certificate must say so, not "wrong password".
    let format = crate::keystore::detect_format(bytes)
        .map_err(|kind| crate::keystore::KeystoreError::read("<upload>", kind))?;
    if !allowed.contains(&format) {
        return Err(TenantError::BadUpload {
            operation,
            source: UploadError::WrongFormat {
                found: format,
                expected: allowed,
            },
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
            source: UploadError::NotOneCertificate {
                entries: entries.len(),
            },
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
            source: UploadError::NotOneKeyPair { pairs: pairs.len() },
        }),
    }
}
