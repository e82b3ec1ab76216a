//! `harness tenant lint`: the offline check of a keystore file before "Add keystore".
//!
//! It applies the tenant's rules without a tenant: reserved aliases, alias length, duplicate
//! aliases (case-insensitive), key pairs without a complete chain, expired or soon-expiring
//! certificates, size limits, and (for information) JCEKS content in a `.jks` file, which
//! KeyStore Explorer writes and CPI accepts.

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::alias::Alias;
use super::ops::MAX_UPLOAD_BYTES;
use super::store::MAX_STORE_BYTES;
use super::view::ValidityFlag;
use crate::cert::CertInfo;
use crate::keystore::{EntryKind, ErrorKind, Format, Keystore, Passwords};
use crate::secret::Password;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The tenant would refuse the file or the entry.
    Error,
    /// Accepted, but likely to fail later (expired, incomplete chain).
    Warning,
    /// Worth knowing.
    Info,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// A stable id (`reserved-alias`, `expired`, ...).
    pub code: &'static str,
    /// The entry concerned, if any.
    pub alias: Option<String>,
    /// What and why.
    pub message: String,
}

/// The result of a lint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LintReport {
    /// Format version of this JSON.
    pub version: u32,
    /// The file as named.
    pub file: String,
    /// The detected format, when readable.
    pub format: Option<Format>,
    /// Entries read.
    pub entries: usize,
    /// Findings, errors first.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// Whether any finding is an error (the CLI exits 1 then).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The report as text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}: {} entries{}\n",
            self.file,
            self.entries,
            self.format.map(|f| format!(", {f}")).unwrap_or_default()
        );
        for f in &self.findings {
            let alias = f
                .alias
                .as_deref()
                .map(|a| format!(" `{a}`"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{:<7} {}{alias}: {}\n",
                format!("{:?}", f.severity).to_lowercase(),
                f.code,
                f.message
            ));
        }
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        out.push_str(&format!(
            "{} findings, {errors} errors\n",
            self.findings.len()
        ));
        out
    }
}

/// Lints a keystore file's bytes. `file` names it (its extension matters only for the
/// JCEKS-in-`.jks` note); `now` decides expiry.
pub fn lint(bytes: &[u8], file: &str, password: &Password, now: OffsetDateTime) -> LintReport {
    let mut findings = Vec::new();
    let mut push = |severity, code, alias: Option<&str>, message: String| {
        findings.push(Finding {
            severity,
            code,
            alias: alias.map(str::to_owned),
            message,
        });
    };
    let size = bytes.len() as u64;
    if size > MAX_UPLOAD_BYTES {
        push(
            Severity::Error,
            "upload-too-large",
            None,
            format!("the file is {size} bytes, uploads are limited to {MAX_UPLOAD_BYTES}"),
        );
    }
    if size > MAX_STORE_BYTES {
        push(
            Severity::Error,
            "store-too-large",
            None,
            format!(
                "the file is {size} bytes, the tenant keystore is limited to {MAX_STORE_BYTES}"
            ),
        );
    }
    let store = match Keystore::from_bytes(bytes, &Passwords::new(password.clone()), file) {
        Ok(store) => Some(store),
        Err(e) => {
            let code = match e.kind {
                ErrorKind::DuplicateAlias { .. } => "duplicate-alias",
                ErrorKind::WrongPassword { .. } => "wrong-password",
                _ => "unreadable",
            };
            // The report names the file; the finding says what is wrong with it (the kind, not
            // the error's own line, which is about the file).
            push(Severity::Error, code, None, e.kind.to_string());
            None
        }
    };
    let mut entries = 0;
    let mut format = None;
    if let Some(store) = &store {
        entries = store.len();
        format = Some(store.format());
        if !store.format().is_keystore() {
            push(
                Severity::Error,
                "not-a-keystore",
                None,
                format!(
                    "the file is {}, \"Add keystore\" takes JKS, JCEKS or PKCS#12 (use \"Add certificate\" for single certificates)",
                    store.format()
                ),
            );
        }
        if store.format() == Format::Jceks && file.to_ascii_lowercase().ends_with(".jks") {
            push(
                Severity::Info,
                "jceks-in-jks-file",
                None,
                "the file is named .jks but holds JCEKS (KeyStore Explorer does this; CPI accepts it)".into(),
            );
        }
        for entry in store.entries() {
            let alias = Some(entry.alias.as_str());
            if let Err(e) = Alias::parse(&entry.alias) {
                let code = match e.rule {
                    super::alias::AliasRule::Reserved { .. } => "reserved-alias",
                    super::alias::AliasRule::TooLong { .. } => "alias-too-long",
                    _ => "bad-alias",
                };
                push(Severity::Error, code, alias, e.rule.to_string());
            }
            let chain: &[_] = match &entry.kind {
                EntryKind::TrustedCertificate(cert) => std::slice::from_ref(cert),
                EntryKind::KeyPair { chain, .. } => chain,
                EntryKind::SecretKey { .. } => {
                    push(
                        Severity::Error,
                        "secret-key",
                        alias,
                        "secret-key entries are not supported by the Keystore Monitor".into(),
                    );
                    continue;
                }
            };
            if let EntryKind::KeyPair { .. } = entry.kind
                && let Some(reason) = chain_gap(chain)
            {
                push(Severity::Warning, "incomplete-chain", alias, reason);
            }
            if let Some(info) = chain.first().and_then(|c| CertInfo::from_der(c).ok()) {
                let (code, message) = match ValidityFlag::of(&info, now) {
                    ValidityFlag::Valid => continue,
                    ValidityFlag::Expired => ("expired", format!("expired on {}", info.not_after)),
                    ValidityFlag::ExpiringSoon => (
                        "expiring-soon",
                        format!("expires on {}, within 30 days", info.not_after),
                    ),
                    ValidityFlag::NotYetValid => (
                        "not-yet-valid",
                        format!("valid from {} only", info.not_before),
                    ),
                };
                push(Severity::Warning, code, alias, message);
            }
        }
    }
    findings.sort_by_key(|f| f.severity);
    LintReport {
        version: 1,
        file: file.to_owned(),
        format,
        entries,
        findings,
    }
}

/// Why a key pair's chain is incomplete: a broken issuer link, or no self-signed root.
/// Certificates that do not parse are left out (the reader reports those).
fn chain_gap(chain: &[rustls_pki_types::CertificateDer<'static>]) -> Option<String> {
    let parsed: Vec<&[u8]> = chain
        .iter()
        .map(|c| c.as_ref())
        .filter(|c| X509Certificate::from_der(c).is_ok())
        .collect();
    for (i, pair) in parsed.windows(2).enumerate() {
        if !crate::chain::issued_by(pair[0], pair[1]) {
            return Some(format!(
                "certificate {i} of the chain is not issued by certificate {}",
                i + 1
            ));
        }
    }
    let top = parsed.last()?;
    if crate::chain::is_self_issued(top) {
        return None;
    }
    let (_, cert) = X509Certificate::from_der(top).ok()?;
    Some(format!(
        "the chain ends below its root: `{}` is missing",
        cert.issuer()
    ))
}
