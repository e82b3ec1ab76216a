//! What the Keystore Monitor shows: the entry list and one entry's details.

use serde::Serialize;
use sha1::Sha1;
use sha2::Digest;
use time::{Duration, OffsetDateTime};

use super::auth_group::Permission;
use super::error::TenantError;
use super::owner::Owner;
use super::store::{Actor, Tenant};
use crate::cert::{CertInfo, ValidityState, colon_hex};
use crate::keystore::{Entry, EntryKind};
use crate::time::format_rfc3339;

/// Entries whose certificate ends within this many days of "now" are flagged.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The entry list, as of a simulated "now".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// Format version of this JSON.
    pub version: u32,
    /// The "now" validity flags refer to, RFC 3339.
    pub now: String,
    /// One row per entry, sorted by alias.
    pub entries: Vec<EntryRow>,
}

/// One row of the Keystore Monitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryRow {
    /// The alias.
    pub alias: String,
    /// Whether it is locked (owned by SAP: no operation changes it).
    pub locked: bool,
    /// `Certificate` or `Key Pair`.
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    /// The owner.
    pub owner: Owner,
    /// End of validity, RFC 3339.
    pub valid_until: String,
    /// Expired, expiring within [`EXPIRY_WARNING_DAYS`], valid or not yet valid.
    pub status: ValidityFlag,
    /// Last modified at, RFC 3339.
    pub last_modified_at: String,
    /// Last modified by.
    pub last_modified_by: String,
    /// Subject DN.
    pub subject_dn: String,
    /// Issuer DN.
    pub issuer_dn: String,
}

/// The Type column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EntryType {
    /// A trusted certificate entry.
    Certificate,
    /// A key pair entry.
    #[serde(rename = "Key Pair")]
    KeyPair,
    /// A secret key (never admitted by the tenant; shown if a file holds one).
    #[serde(rename = "Secret Key")]
    SecretKey,
}

impl EntryType {
    /// The text the monitor shows.
    pub fn name(self) -> &'static str {
        match self {
            EntryType::Certificate => "Certificate",
            EntryType::KeyPair => "Key Pair",
            EntryType::SecretKey => "Secret Key",
        }
    }
}

/// How an entry's validity looks at "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidityFlag {
    /// Valid for more than [`EXPIRY_WARNING_DAYS`].
    Valid,
    /// Valid, but ends within [`EXPIRY_WARNING_DAYS`].
    ExpiringSoon,
    /// Past notAfter.
    Expired,
    /// Before notBefore.
    NotYetValid,
}

impl ValidityFlag {
    /// The flag of `info` at `now`.
    pub fn of(info: &CertInfo, now: OffsetDateTime) -> Self {
        match info.validity_at(now) {
            ValidityState::Expired => ValidityFlag::Expired,
            ValidityState::NotYetValid => ValidityFlag::NotYetValid,
            ValidityState::Valid
                if info.not_after_time() - now <= Duration::days(EXPIRY_WARNING_DAYS) =>
            {
                ValidityFlag::ExpiringSoon
            }
            ValidityState::Valid => ValidityFlag::Valid,
        }
    }

    /// A short marker for text output (empty when valid).
    pub fn marker(self) -> &'static str {
        match self {
            ValidityFlag::Valid => "",
            ValidityFlag::ExpiringSoon => "expiring",
            ValidityFlag::Expired => "EXPIRED",
            ValidityFlag::NotYetValid => "not yet valid",
        }
    }
}

/// One entry in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryDetails {
    /// Format version of this JSON.
    pub version: u32,
    /// The row as listed.
    #[serde(flatten)]
    pub row: EntryRow,
    /// Created at, RFC 3339.
    pub created_at: String,
    /// Created by.
    pub created_by: String,
    /// Serial number (colon hex).
    pub serial: String,
    /// Key type and size (`RSA 2048`, `EC P-256`).
    pub key: String,
    /// Signature algorithm.
    pub signature_algorithm: String,
    /// Start of validity, RFC 3339.
    pub valid_from: String,
    /// SHA-1 fingerprint (colon hex, as keytool prints it).
    pub sha1: String,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// The chain, leaf first (a certificate entry's chain is the certificate itself).
    pub chain: Vec<CertInfo>,
}

impl Tenant {
    /// The entry list, sorted by alias, with validity flags at `actor.now`.
    pub fn list(&self, actor: &Actor) -> Result<Listing, TenantError> {
        actor.require(Permission::View, "list")?;
        let mut entries: Vec<EntryRow> = self
            .keystore
            .entries()
            .iter()
            .map(|entry| self.row(entry, actor.now))
            .collect();
        entries.sort_by(|a, b| a.alias.cmp(&b.alias));
        Ok(Listing {
            version: 1,
            now: format_rfc3339(actor.now),
            entries,
        })
    }

    /// One entry's details.
    pub fn details(&self, actor: &Actor, alias: &str) -> Result<EntryDetails, TenantError> {
        actor.require(Permission::View, "show")?;
        let entry = self.entry(alias)?;
        let row = self.row(entry, actor.now);
        let certs = match &entry.kind {
            EntryKind::TrustedCertificate(cert) => vec![cert.clone()],
            EntryKind::KeyPair { chain, .. } => chain.clone(),
            EntryKind::SecretKey { .. } => Vec::new(),
        };
        let chain: Vec<CertInfo> = certs
            .iter()
            .filter_map(|c| CertInfo::from_der(c).ok())
            .collect();
        let leaf = chain.first();
        let record = self.record(&entry.alias);
        let field = |f: fn(&CertInfo) -> &String| leaf.map(f).cloned().unwrap_or_default();
        Ok(EntryDetails {
            version: 1,
            created_at: record.map(|r| r.created_at.clone()).unwrap_or_default(),
            created_by: record.map(|r| r.created_by.clone()).unwrap_or_default(),
            serial: field(|i| &i.serial),
            key: field(|i| &i.key),
            signature_algorithm: field(|i| &i.signature_algorithm),
            valid_from: field(|i| &i.not_before),
            sha1: certs
                .first()
                .map(|c| colon_hex(&Sha1::digest(c)))
                .unwrap_or_default(),
            sha256: field(|i| &i.sha256),
            chain,
            row,
        })
    }

    fn row(&self, entry: &Entry, now: OffsetDateTime) -> EntryRow {
        let record = self.record(&entry.alias);
        let owner = record
            .map(|r| r.owner)
            .unwrap_or(Owner::TenantAdministrator);
        let info = entry
            .kind
            .certificate()
            .and_then(|c| CertInfo::from_der(c).ok());
        let entry_type = match entry.kind {
            EntryKind::TrustedCertificate(_) => EntryType::Certificate,
            EntryKind::KeyPair { .. } => EntryType::KeyPair,
            EntryKind::SecretKey { .. } => EntryType::SecretKey,
        };
        EntryRow {
            alias: entry.alias.clone(),
            locked: owner == Owner::Sap,
            entry_type,
            owner,
            valid_until: info
                .as_ref()
                .map(|i| i.not_after.clone())
                .unwrap_or_default(),
            status: info
                .as_ref()
                .map(|i| ValidityFlag::of(i, now))
                .unwrap_or(ValidityFlag::Valid),
            last_modified_at: record.map(|r| r.modified_at.clone()).unwrap_or_default(),
            last_modified_by: record.map(|r| r.modified_by.clone()).unwrap_or_default(),
            subject_dn: info.as_ref().map(|i| i.subject.clone()).unwrap_or_default(),
            issuer_dn: info.as_ref().map(|i| i.issuer.clone()).unwrap_or_default(),
        }
    }
}

impl Listing {
    /// The list as an aligned text table, in the Keystore Monitor's column order.
    pub fn to_text(&self) -> String {
        let header = [
            "Alias",
            "Type",
            "Owner",
            "Valid Until",
            "Last Modified At",
            "Subject DN",
            "Issuer DN",
        ];
        let rows: Vec<[String; 7]> = self
            .entries
            .iter()
            .map(|r| {
                let lock = if r.locked { " (locked)" } else { "" };
                let flag = match r.status.marker() {
                    "" => String::new(),
                    m => format!(" [{m}]"),
                };
                [
                    format!("{}{lock}", crate::text::escape(&r.alias)),
                    r.entry_type.name().to_owned(),
                    r.owner.name().to_owned(),
                    format!("{}{flag}", r.valid_until),
                    r.last_modified_at.clone(),
                    crate::text::escape(&r.subject_dn).into_owned(),
                    crate::text::escape(&r.issuer_dn).into_owned(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    out.push_str(cell);
                } else {
                    out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
                }
            }
            out.push('\n');
            out
        };
        let mut out = format!("now {}  {} entries\n", self.now, self.entries.len());
        out.push_str(&line(header.to_vec()));
        for row in &rows {
            out.push_str(&line(row.iter().map(String::as_str).collect()));
        }
        out
    }
}

impl EntryDetails {
    /// The details as text.
    pub fn to_text(&self) -> String {
        let r = &self.row;
        let mut out = String::new();
        let mut kv =
            |k: &str, v: &str| out.push_str(&format!("{k:<20}{}\n", crate::text::escape(v)));
        kv("Alias", &r.alias);
        kv("Type", r.entry_type.name());
        kv(
            "Owner",
            &format!("{}{}", r.owner, if r.locked { " (locked)" } else { "" }),
        );
        kv("Status", &format!("{:?}", r.status));
        kv("Subject DN", &r.subject_dn);
        kv("Issuer DN", &r.issuer_dn);
        kv("Serial Number", &self.serial);
        kv("Key", &self.key);
        kv("Signature Algorithm", &self.signature_algorithm);
        kv("Valid From", &self.valid_from);
        kv("Valid Until", &r.valid_until);
        kv("SHA-1", &self.sha1);
        kv("SHA-256", &self.sha256);
        kv(
            "Created",
            &format!("{} by {}", self.created_at, self.created_by),
        );
        kv(
            "Last Modified",
            &format!("{} by {}", r.last_modified_at, r.last_modified_by),
        );
        out.push_str(&format!("Chain ({})\n", self.chain.len()));
        for (i, cert) in self.chain.iter().enumerate() {
            out.push_str(&format!(
                "  [{i}] {}\n      issuer {}\n      serial {}  valid until {}\n",
                cert.subject, cert.issuer, cert.serial, cert.not_after
            ));
        }
        out
    }
}
