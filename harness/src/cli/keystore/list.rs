//! `harness keystore list`: the entries as a table, a verbose listing or JSON.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;

use harness::cert::CertInfo;
use harness::exit::ExitCode;
use harness::keystore::{Entry, EntryKind, EntryView, Format};
use harness::secret::Password;
use harness::text::escape;

use super::{ListArgs, StorePass, open, read_input, store_password};

/// The version of `list --json`'s document.
const LIST_JSON_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
struct Listing {
    version: u32,
    file: String,
    format: Format,
    entries: Vec<ListedEntry>,
}

#[derive(Debug, Serialize)]
struct ListedEntry {
    alias: String,
    entry_type: &'static str,
    /// RFC 3339, or null where the format stores no date (PKCS#12, PEM, DER, `.p7b`).
    created: Option<String>,
    chain_length: usize,
    /// Secret-key entries only.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key_algorithm: Option<String>,
    /// The entry's certificate, then the rest of a key pair's chain.
    certificates: Vec<CertInfo>,
}

pub(super) fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    if !args.json && !args.verbose {
        list_plain(&args.file, &args.pass)?;
        return Ok(ExitCode::Success);
    }
    let (store, _) = open(&args.file, &args.pass)?;
    let entries = store
        .entries()
        .iter()
        .map(listed)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let listing = Listing {
        version: LIST_JSON_VERSION,
        file: args.file.display().to_string(),
        format: store.format(),
        entries,
    };
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&listing)?)
    } else {
        list_text(&listing, args.verbose)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::Success)
}

/// The plain listing, printed from the file's bytes as it goes: no certificate is decoded
/// (the line shows the alias, date, type, chain length and the SHA-256 of the first
/// certificate's DER), no keystore model is built (JKS and JCEKS stream one entry at a time:
/// [`harness::keystore::list_entries`]), and one buffered lock on stdout takes it all. Its
/// memory is the file's plus one entry; `--verbose` and `--json` decode every certificate.
fn list_plain(file: &Path, pass: &StorePass) -> anyhow::Result<()> {
    use sha2::{Digest as _, Sha256};
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = read_input(file)?;
    let format = harness::keystore::detect_format(&bytes)
        .map_err(|kind| anyhow::anyhow!("cannot read keystore `{}`: {kind}", file.display()))?;
    let password = if format.is_keystore() {
        store_password(pass, file)?
    } else {
        Password::new("")
    };
    // `on_start` runs once, before the first `each`; both write to `out`.
    let out = std::cell::RefCell::new(std::io::BufWriter::with_capacity(
        64 * 1024,
        std::io::stdout().lock(),
    ));
    // "AB:CD:...": 32 bytes, 95 characters, written into one reused buffer.
    let mut fingerprint = [0u8; 32 * 3 - 1];
    let on_start = |format: Format, count: usize| {
        write!(
            out.borrow_mut(),
            "Keystore type: {}\nKeystore file: {}\n\nYour keystore contains {count} {}\n",
            format.name().to_uppercase(),
            file.display(),
            if count == 1 { "entry" } else { "entries" },
        )
    };
    let each = |entry: EntryView<'_>| -> std::io::Result<()> {
        let mut out = out.borrow_mut();
        write!(out, "\n{}, ", escape(&entry.alias))?;
        if entry.created == OffsetDateTime::UNIX_EPOCH {
            out.write_all(b"-")?;
        } else {
            out.write_all(harness::time::format_rfc3339(entry.created).as_bytes())?;
        }
        write!(
            out,
            ", {}, chain {}\nCertificate fingerprint (SHA-256): ",
            entry.type_name(),
            entry.chain_length()
        )?;
        match entry.first_certificate() {
            Some(cert) => {
                for (i, byte) in Sha256::digest(cert).iter().enumerate() {
                    fingerprint[i * 3] = HEX[usize::from(byte >> 4)];
                    fingerprint[i * 3 + 1] = HEX[usize::from(byte & 0x0f)];
                    if i < 31 {
                        fingerprint[i * 3 + 2] = b':';
                    }
                }
                out.write_all(&fingerprint)?;
            }
            None => out.write_all(b"-")?,
        }
        out.write_all(b"\n")
    };
    let source = file.display().to_string();
    harness::keystore::list_entries(&bytes, &password, &source, on_start, each)?;
    out.into_inner().flush()?;
    Ok(())
}

fn listed(entry: &Entry) -> anyhow::Result<ListedEntry> {
    let certs: &[CertificateDer<'static>] = match &entry.kind {
        EntryKind::TrustedCertificate(cert) => std::slice::from_ref(cert),
        EntryKind::KeyPair { chain, .. } => chain,
        EntryKind::SecretKey { .. } => &[],
    };
    let certificates = certs
        .iter()
        .map(|c| CertInfo::from_der(c))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot decode a certificate of alias `{}`", entry.alias))?;
    Ok(ListedEntry {
        alias: entry.alias.clone(),
        entry_type: entry.kind.type_name(),
        created: (entry.created != OffsetDateTime::UNIX_EPOCH)
            .then(|| harness::time::format_rfc3339(entry.created)),
        chain_length: certs.len(),
        secret_key_algorithm: match &entry.kind {
            EntryKind::SecretKey { algorithm } => Some(algorithm.clone()),
            _ => None,
        },
        certificates,
    })
}

fn list_text(listing: &Listing, verbose: bool) -> String {
    let mut out = format!(
        "Keystore type: {}\nKeystore file: {}\n\nYour keystore contains {} {}\n",
        listing.format.name().to_uppercase(),
        listing.file,
        listing.entries.len(),
        if listing.entries.len() == 1 {
            "entry"
        } else {
            "entries"
        },
    );
    for entry in &listing.entries {
        out.push('\n');
        let created = entry.created.as_deref().unwrap_or("-");
        if !verbose {
            let fingerprint = entry
                .certificates
                .first()
                .map(|c| c.sha256.as_str())
                .unwrap_or("-");
            out.push_str(&format!(
                "{}, {}, {}, chain {}\nCertificate fingerprint (SHA-256): {}\n",
                escape(&entry.alias),
                created,
                entry.entry_type,
                entry.chain_length,
                fingerprint
            ));
            continue;
        }
        out.push_str(&format!(
            "Alias name: {}\nCreation date: {}\nEntry type: {}\n",
            escape(&entry.alias),
            created,
            entry.entry_type
        ));
        if let Some(algorithm) = &entry.secret_key_algorithm {
            out.push_str(&format!("Secret key algorithm: {algorithm}\n"));
            continue;
        }
        out.push_str(&format!(
            "Certificate chain length: {}\n",
            entry.chain_length
        ));
        for (i, cert) in entry.certificates.iter().enumerate() {
            out.push_str(&format!(
                "Certificate[{}]:\n  Owner: {}\n  Issuer: {}\n  Serial number: {}\n  \
                 Valid from: {} until: {}\n  SHA256: {}\n  Signature algorithm name: {}\n  \
                 Subject public key algorithm: {}\n",
                i + 1,
                escape(&cert.subject),
                escape(&cert.issuer),
                cert.serial,
                cert.not_before,
                cert.not_after,
                cert.sha256,
                cert.signature_algorithm,
                cert.key,
            ));
            if !cert.subject_alt_names.is_empty() {
                out.push_str(&format!(
                    "  Subject alternative names: {}\n",
                    cert.subject_alt_names.join(", ")
                ));
            }
        }
    }
    out
}
