//! `harness keystore ...`: a keytool-like command line over every format.
//!
//! Every command goes through [`Keystore::read_file`] and [`Keystore::write_file`], so it
//! works on JKS, JCEKS, PKCS#12, PEM, DER and `.p7b` alike (formats detected from content).
//! Passwords come from `--storepass-env VAR`, `--storepass-file FILE` or a prompt on the
//! terminal without echo; never from a plain argument, so they stay off the process list.
//! Outputs are written atomically; input files are never modified; a refused operation
//! changes nothing.

use harness::text::escape;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;

use harness::cert::{CertInfo, pem_encode};
use harness::exit::ExitCode;
use harness::keystore::{
    Entry, EntryKind, Format, Keystore, Passwords, Pkcs12Profile, detect_format, read_certificates,
};
use harness::secret::Password;

/// `harness keystore` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeystoreCommand {
    /// List the entries: alias, type, creation date, subject, issuer, serial, validity,
    /// SHA-256 fingerprint, key algorithm and size, chain length. Needs only the store
    /// password; keys stay sealed.
    List(ListArgs),
    /// Create an empty keystore (refuses to overwrite an existing file).
    New(NewArgs),
    /// Add a trusted certificate entry from a certificate file (DER, PEM or one-certificate
    /// `.p7b`), as `keytool -importcert`. Creates the keystore when it does not exist.
    ImportCert(ImportCertArgs),
    /// Add a key pair entry from a PKCS#12 file (or any keystore), or from a PEM key plus
    /// its chain, as `keytool -importkeystore -srcalias`.
    ImportKeypair(ImportKeypairArgs),
    /// Export an entry's certificate (DER or PEM) or its chain (`.p7b`); never a private key.
    Export(ExportArgs),
    /// Write the keystore in another format to a new file (`keytool -importkeystore`).
    Convert(ConvertArgs),
    /// Rename an entry (`keytool -changealias`).
    Rename(RenameArgs),
    /// Delete an entry (`keytool -delete`).
    Delete(DeleteArgs),
}

/// How the store password is given. Without either flag, it is asked for on the terminal.
#[derive(Debug, Args)]
pub(crate) struct StorePass {
    /// Read the store password from environment variable VAR (without this or
    /// `--storepass-file`, it is asked for on the terminal).
    #[arg(long, value_name = "VAR", conflicts_with = "storepass_file")]
    storepass_env: Option<String>,
    /// Read the store password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    storepass_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The keystore or certificate file.
    file: PathBuf,
    /// Print JSON (every field, `version` 1) instead of text.
    #[arg(long)]
    json: bool,
    /// Print every field of every certificate (keytool's `-v`).
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    pass: StorePass,
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The keystore file to create.
    file: PathBuf,
    /// Store type.
    #[arg(long = "type", value_enum, default_value = "pkcs12")]
    store_type: StoreType,
    #[command(flatten)]
    pass: StorePass,
}

#[derive(Debug, Args)]
pub(crate) struct ImportCertArgs {
    /// The keystore file (created when missing).
    file: PathBuf,
    /// Alias of the new trusted certificate entry.
    #[arg(long)]
    alias: String,
    /// The certificate file (DER, PEM, or a `.p7b`); with several certificates, choose one
    /// with --index or --root.
    #[arg(long = "cert", value_name = "CERT_FILE")]
    cert: PathBuf,
    /// With several certificates: take the N-th (0 = the first, the leaf of a `.p7b` chain).
    #[arg(long, value_name = "N", conflicts_with = "root")]
    index: Option<usize>,
    /// With several certificates: take the root (the self-issued top of the chain).
    #[arg(long)]
    root: bool,
    /// Store type when the keystore is created.
    #[arg(long = "type", value_enum, default_value = "pkcs12")]
    store_type: StoreType,
    #[command(flatten)]
    pass: StorePass,
}

#[derive(Debug, Args)]
pub(crate) struct ImportKeypairArgs {
    /// The keystore file (created when missing).
    file: PathBuf,
    /// Alias of the new key pair entry.
    #[arg(long)]
    alias: String,
    /// Where the key pair comes from: a PKCS#12 file or any keystore, or a PEM file with the
    /// private key as openssl writes it (PKCS#8, PKCS#1, SEC1 with or without `EC
    /// PARAMETERS`, encrypted PKCS#8) and its chain.
    #[arg(long = "from", value_name = "SOURCE")]
    from: PathBuf,
    /// Read the password of an encrypted PEM key (`ENCRYPTED PRIVATE KEY`) from environment
    /// variable VAR.
    #[arg(long, value_name = "VAR", conflicts_with = "key_password_file")]
    key_password_env: Option<String>,
    /// Read the password of an encrypted PEM key from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    key_password_file: Option<PathBuf>,
    /// With `--from` a PEM key only: the chain as a separate file (PEM, DER or `.p7b`).
    #[arg(long, value_name = "CHAIN_FILE")]
    chain: Option<PathBuf>,
    /// The entry to take from the source (default: its only key pair).
    #[arg(long, value_name = "ALIAS")]
    src_alias: Option<String>,
    /// Read the source's password from environment variable VAR (default: the store's).
    #[arg(long, value_name = "VAR", conflicts_with = "srcpass_file")]
    srcpass_env: Option<String>,
    /// Read the source's password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    srcpass_file: Option<PathBuf>,
    /// Store type when the keystore is created.
    #[arg(long = "type", value_enum, default_value = "pkcs12")]
    store_type: StoreType,
    #[command(flatten)]
    keypass: KeyPass,
    #[command(flatten)]
    pass: StorePass,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The keystore file.
    file: PathBuf,
    /// The entry to export.
    #[arg(long)]
    alias: String,
    /// What to write: the entry's certificate as `der` or `pem`, or its whole chain as
    /// `p7b` (a key pair's chain, as CPI's Keystore Monitor downloads it).
    #[arg(long, value_enum, default_value = "pem")]
    format: ExportFormat,
    /// With `--format p7b`: PEM (`-----BEGIN PKCS7-----`) instead of DER.
    #[arg(long)]
    pem: bool,
    /// Output file (written atomically; standard output when absent). Never the input;
    /// never an existing file without `--force`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    pass: StorePass,
}

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The keystore to read (never modified).
    file: PathBuf,
    /// Target store type.
    #[arg(long, value_enum)]
    to: StoreType,
    /// Output file (must not exist unless `--force`).
    #[arg(long)]
    out: PathBuf,
    /// Replace `--out` if it exists.
    #[arg(long)]
    force: bool,
    /// PKCS#12 only: the legacy algorithms (PBE-SHA1-3DES, SHA-1 MAC) for old consumers.
    #[arg(long)]
    legacy: bool,
    /// Read the output's password from environment variable VAR (default: the source's).
    #[arg(long, value_name = "VAR", conflicts_with = "destpass_file")]
    destpass_env: Option<String>,
    /// Read the output's password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    destpass_file: Option<PathBuf>,
    #[command(flatten)]
    keypass: KeyPass,
    #[command(flatten)]
    pass: StorePass,
}

/// The password of JKS/JCEKS keys when it differs from the store password (keytool's
/// `-srckeypass`); PKCS#12 keys always share the store password.
#[derive(Debug, Args)]
pub(crate) struct KeyPass {
    /// Read the key password of the source's key pairs from environment variable VAR.
    #[arg(long, value_name = "VAR", conflicts_with = "srckeypass_file")]
    srckeypass_env: Option<String>,
    /// Read the key password of the source's key pairs from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    srckeypass_file: Option<PathBuf>,
}

impl KeyPass {
    /// `passwords` with the key password applied to every key pair of `store`.
    fn apply(
        &self,
        passwords: Passwords,
        store: &Keystore,
        file: &Path,
    ) -> anyhow::Result<Passwords> {
        if self.srckeypass_env.is_none() && self.srckeypass_file.is_none() {
            return Ok(passwords);
        }
        let key = password_from(
            self.srckeypass_env.as_deref(),
            self.srckeypass_file.as_deref(),
            "key",
            file,
        )?;
        Ok(store
            .key_pairs()
            .fold(passwords, |p, (alias, _, _)| p.with_key(alias, key.clone())))
    }
}

#[derive(Debug, Args)]
pub(crate) struct RenameArgs {
    /// The keystore file.
    file: PathBuf,
    /// The entry's alias.
    #[arg(long)]
    alias: String,
    /// The new alias.
    #[arg(long = "to", value_name = "NEW_ALIAS")]
    to: String,
    #[command(flatten)]
    pass: StorePass,
}

#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The keystore file.
    file: PathBuf,
    /// The entry's alias.
    #[arg(long)]
    alias: String,
    #[command(flatten)]
    pass: StorePass,
}

/// A keystore type that holds key pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StoreType {
    /// Sun's JKS.
    Jks,
    /// SunJCE's JCEKS (what KeyStore Explorer saves for CPI).
    Jceks,
    /// PKCS#12 (keytool's default since JDK 9).
    Pkcs12,
}

impl StoreType {
    fn format(self) -> Format {
        match self {
            StoreType::Jks => Format::Jks,
            StoreType::Jceks => Format::Jceks,
            StoreType::Pkcs12 => Format::Pkcs12,
        }
    }
}

/// What `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// The certificate, DER (`.cer`).
    Der,
    /// The certificate, PEM.
    Pem,
    /// The chain, PKCS#7 certs-only (`.p7b`).
    P7b,
}

/// Runs a `harness keystore` subcommand.
pub(crate) fn run(command: KeystoreCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeystoreCommand::List(args) => list(args),
        KeystoreCommand::New(args) => new(args),
        KeystoreCommand::ImportCert(args) => import_cert(args),
        KeystoreCommand::ImportKeypair(args) => import_keypair(args),
        KeystoreCommand::Export(args) => export(args),
        KeystoreCommand::Convert(args) => convert(args),
        KeystoreCommand::Rename(args) => rename(args),
        KeystoreCommand::Delete(args) => delete(args),
    }
}

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

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let (store, _) = open(&args.file, &args.pass)?;
    if !args.json && !args.verbose {
        list_plain(&store, &args.file)?;
        return Ok(ExitCode::Success);
    }
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

/// The plain listing, printed from the entries' bytes as it goes: no certificate is decoded
/// (the line shows the alias, date, type, chain length and the SHA-256 of the first
/// certificate's DER), nothing is collected, and one buffered lock on stdout takes it all.
/// Its memory is the open keystore's; `--verbose` and `--json` decode every certificate.
fn list_plain(store: &Keystore, file: &Path) -> anyhow::Result<()> {
    use sha2::{Digest as _, Sha256};
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let entries = store.entries();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    write!(
        out,
        "Keystore type: {}\nKeystore file: {}\n\nYour keystore contains {} {}\n",
        store.format().name().to_uppercase(),
        file.display(),
        entries.len(),
        if entries.len() == 1 {
            "entry"
        } else {
            "entries"
        },
    )?;
    // "AB:CD:...": 32 bytes, 95 characters, written into one reused buffer.
    let mut fingerprint = [0u8; 32 * 3 - 1];
    for entry in entries {
        let (first, chain_length) = match &entry.kind {
            EntryKind::TrustedCertificate(cert) => (Some(cert), 1),
            EntryKind::KeyPair { chain, .. } => (chain.first(), chain.len()),
            EntryKind::SecretKey { .. } => (None, 0),
        };
        write!(out, "\n{}, ", escape(&entry.alias))?;
        if entry.created == OffsetDateTime::UNIX_EPOCH {
            out.write_all(b"-")?;
        } else {
            out.write_all(harness::time::format_rfc3339(entry.created).as_bytes())?;
        }
        write!(
            out,
            ", {}, chain {chain_length}\nCertificate fingerprint (SHA-256): ",
            entry.kind.type_name()
        )?;
        match first {
            Some(cert) => {
                for (i, byte) in Sha256::digest(cert.as_ref()).iter().enumerate() {
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
        out.write_all(b"\n")?;
    }
    out.flush()?;
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

fn new(args: NewArgs) -> anyhow::Result<ExitCode> {
    if args.file.exists() {
        bail!(
            "keystore `{}` already exists (refusing to overwrite it)",
            args.file.display()
        );
    }
    let passwords = Passwords::new(store_password(&args.pass, &args.file)?);
    let store = Keystore::new(args.store_type.format());
    store.write_file(&args.file, store.format(), &passwords)?;
    eprintln!(
        "created empty {} keystore `{}`",
        store.format(),
        args.file.display()
    );
    Ok(ExitCode::Success)
}

fn import_cert(args: ImportCertArgs) -> anyhow::Result<ExitCode> {
    let (mut store, passwords) = open_or_create(&args.file, &args.pass, args.store_type)?;
    let certs = read_certificates(&args.cert, &passwords)?;
    let file = args.cert.display();
    let cert = match (certs.as_slice(), args.index, args.root) {
        ([], _, _) => bail!("`{file}` holds no certificate"),
        (certs, Some(n), _) => certs.get(n).cloned().with_context(|| {
            format!(
                "--index {n}: `{file}` holds {} certificate(s) (0 to {})",
                certs.len(),
                certs.len() - 1
            )
        })?,
        (certs, None, true) => certs
            .iter()
            .find(|c| CertInfo::from_der(c.as_ref()).is_ok_and(|i| i.self_issued))
            .cloned()
            .with_context(|| {
                format!(
                    "--root: none of the {} certificate(s) of `{file}` is self-issued (the \
                     file does not hold its root); choose one with --index N",
                    certs.len()
                )
            })?,
        ([cert], None, false) => cert.clone(),
        (more, None, false) => {
            let mut listing = String::new();
            for (i, c) in more.iter().enumerate() {
                let subject = CertInfo::from_der(c.as_ref())
                    .map(|info| {
                        let root = if info.self_issued { " (root)" } else { "" };
                        format!("{}{root}", info.subject)
                    })
                    .unwrap_or_else(|_| "(unreadable)".into());
                listing.push_str(&format!("\n  --index {i}: {subject}"));
            }
            bail!(
                "`{file}` holds {} certificates and a trusted certificate entry holds one: \
                 choose with --index N or --root:{listing}",
                more.len()
            )
        }
    };
    store
        .insert(Entry {
            alias: args.alias.clone(),
            created: now(),
            kind: EntryKind::TrustedCertificate(cert),
        })
        .with_context(|| format!("cannot add to keystore `{}`", args.file.display()))?;
    save(&store, &args.file, &passwords)?;
    eprintln!(
        "added trusted certificate entry `{}` to `{}`",
        args.alias,
        args.file.display()
    );
    Ok(ExitCode::Success)
}

fn import_keypair(args: ImportKeypairArgs) -> anyhow::Result<ExitCode> {
    let (mut store, passwords) = open_or_create(&args.file, &args.pass, args.store_type)?;
    let bytes = harness::file::read_limited(&args.from, harness::keystore::MAX_FILE_BYTES)
        .with_context(|| format!("cannot read `{}`", args.from.display()))?;
    let source_format =
        detect_format(&bytes).with_context(|| format!("cannot read `{}`", args.from.display()))?;
    let src_passwords = if source_format.is_keystore() {
        match (&args.srcpass_env, &args.srcpass_file) {
            (None, None) => passwords.clone(),
            (env, file) => Passwords::new(password_from(
                env.as_deref(),
                file.as_deref(),
                "source",
                &args.from,
            )?),
        }
    } else {
        passwords.clone()
    };
    let mut source = if !source_format.is_keystore() {
        let key_password = match (&args.key_password_env, &args.key_password_file) {
            (None, None) => None,
            (env, file) => Some(password_from(
                env.as_deref(),
                file.as_deref(),
                "key",
                &args.from,
            )?),
        };
        pem_key_pair(
            &args.from,
            &bytes,
            args.chain.as_deref(),
            key_password.as_ref(),
            &src_passwords,
        )?
    } else if args.chain.is_some() {
        bail!(
            "--chain is for a PEM or DER key file; `{}` is a keystore, whose key pairs carry \
             their chains",
            args.from.display()
        );
    } else {
        Keystore::read_file(&args.from, &src_passwords)?
    };
    let unlock = args.keypass.apply(src_passwords, &source, &args.from)?;
    source
        .unlock_keys(&unlock)
        .with_context(|| format!("cannot read keystore `{}`", args.from.display()))?;
    let mut pairs = source
        .entries()
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::KeyPair { .. }));
    let entry = match &args.src_alias {
        Some(alias) => source
            .get(alias)
            .filter(|e| matches!(e.kind, EntryKind::KeyPair { .. }))
            .with_context(|| {
                format!("`{}` has no key pair entry `{alias}`", args.from.display())
            })?,
        None => match (pairs.next(), pairs.next()) {
            (Some(entry), None) => entry,
            (None, _) => bail!("`{}` holds no key pair", args.from.display()),
            (Some(_), Some(_)) => bail!(
                "`{}` holds several key pairs; choose one with --src-alias",
                args.from.display()
            ),
        },
    };
    let mut entry = entry.clone();
    entry.alias = args.alias.clone();
    entry.created = now();
    store
        .insert(entry)
        .with_context(|| format!("cannot add to keystore `{}`", args.file.display()))?;
    save(&store, &args.file, &passwords)?;
    eprintln!(
        "added key pair entry `{}` to `{}`",
        args.alias,
        args.file.display()
    );
    Ok(ExitCode::Success)
}

/// A PEM or DER key file as openssl writes it (its certificates, if any, and `--chain`'s
/// after them) as one key pair entry. Errors name the flag at fault.
fn pem_key_pair(
    key_file: &Path,
    bytes: &[u8],
    chain_file: Option<&Path>,
    key_password: Option<&Password>,
    passwords: &Passwords,
) -> anyhow::Result<Keystore> {
    let key = harness::keystore::read_private_key(bytes, key_password).map_err(|kind| {
        let flag = if key_password.is_some()
            && matches!(kind, harness::keystore::ErrorKind::WrongKeyFilePassword)
        {
            "--key-password-env/--key-password-file"
        } else {
            "--from"
        };
        anyhow::anyhow!("{flag} `{}`: {kind}", key_file.display())
    })?;
    let mut chain = harness::keystore::pem_certificates(bytes);
    if let Some(chain_file) = chain_file {
        let more = read_certificates(chain_file, passwords)
            .with_context(|| format!("--chain `{}`", chain_file.display()))?;
        if more.is_empty() {
            bail!("--chain `{}` holds no certificate", chain_file.display());
        }
        for cert in more {
            if !chain.contains(&cert) {
                chain.push(cert);
            }
        }
    }
    if chain.is_empty() {
        bail!(
            "--from `{}` holds a private key but no certificate: give its certificate (and \
             chain) with --chain FILE",
            key_file.display()
        );
    }
    let mut store = Keystore::new(Format::Pem);
    store.insert(Entry {
        alias: "mykey".to_owned(),
        created: now(),
        kind: EntryKind::KeyPair {
            key: harness::keystore::KeyMaterial::plain(key),
            chain,
        },
    })?;
    Ok(store)
}

fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let (store, _) = open(&args.file, &args.pass)?;
    let entry = store.get(&args.alias).with_context(|| {
        format!(
            "keystore `{}` has no entry with alias `{}`",
            args.file.display(),
            args.alias
        )
    })?;
    let chain: Vec<CertificateDer<'static>> = match &entry.kind {
        EntryKind::TrustedCertificate(cert) => vec![cert.clone()],
        EntryKind::KeyPair { chain, .. } => chain.clone(),
        EntryKind::SecretKey { .. } => bail!(
            "alias `{}` is a secret-key entry: it has no certificate to export",
            args.alias
        ),
    };
    let Some(leaf) = chain.first() else {
        bail!("alias `{}` has no certificate", args.alias);
    };
    let bytes = match args.format {
        ExportFormat::Der => leaf.to_vec(),
        ExportFormat::Pem => pem_encode("CERTIFICATE", leaf).into_bytes(),
        ExportFormat::P7b => harness::keystore::encode_p7b(&chain, args.pem)?,
    };
    match &args.out {
        Some(out) => {
            harness::file::write_outputs(&[(out.clone(), bytes)], args.force, &[&args.file], None)?;
            eprintln!("wrote `{}`", out.display());
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(ExitCode::Success)
}

fn convert(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    if args.out.exists() && !args.force {
        bail!(
            "output `{}` exists (pass --force to replace it)",
            args.out.display()
        );
    }
    if same_file(&args.file, &args.out) {
        bail!(
            "output `{}` is the input: convert never modifies its input",
            args.out.display()
        );
    }
    if args.legacy && args.to != StoreType::Pkcs12 {
        bail!("--legacy applies to --to pkcs12 only");
    }
    let (mut store, passwords) = open(&args.file, &args.pass)?;
    let dest = match (&args.destpass_env, &args.destpass_file) {
        (None, None) => passwords.clone(),
        (env, file) => Passwords::new(password_from(
            env.as_deref(),
            file.as_deref(),
            "output",
            &args.out,
        )?),
    };
    let unlock = args.keypass.apply(passwords.clone(), &store, &args.file)?;
    store
        .unlock_keys(&unlock)
        .with_context(|| format!("cannot read keystore `{}`", args.file.display()))?;
    let target = args.to.format();
    let converted = store
        .convert(target)
        .with_context(|| format!("cannot convert `{}` to {target}", args.file.display()))?;
    if args.legacy {
        let bytes = converted.to_pkcs12(&dest, Pkcs12Profile::Legacy)?;
        harness::file::write_atomic(&args.out, &bytes)
            .with_context(|| format!("cannot write `{}`", args.out.display()))?;
    } else {
        converted.write_file(&args.out, target, &dest)?;
    }
    eprintln!(
        "wrote {} entries to {} keystore `{}`",
        converted.len(),
        target,
        args.out.display()
    );
    Ok(ExitCode::Success)
}

fn rename(args: RenameArgs) -> anyhow::Result<ExitCode> {
    let (mut store, passwords) = open_keystore(&args.file, &args.pass)?;
    store
        .rename(&args.alias, &args.to)
        .with_context(|| format!("cannot rename in keystore `{}`", args.file.display()))?;
    save(&store, &args.file, &passwords)?;
    eprintln!("renamed `{}` to `{}`", args.alias, args.to);
    Ok(ExitCode::Success)
}

fn delete(args: DeleteArgs) -> anyhow::Result<ExitCode> {
    let (mut store, passwords) = open_keystore(&args.file, &args.pass)?;
    if store.remove(&args.alias).is_none() {
        bail!(
            "keystore `{}` has no entry with alias `{}`",
            args.file.display(),
            args.alias
        );
    }
    save(&store, &args.file, &passwords)?;
    eprintln!("deleted `{}` from `{}`", args.alias, args.file.display());
    Ok(ExitCode::Success)
}

/// Opens any file; asks for a password only when the format has one.
fn open(file: &Path, pass: &StorePass) -> anyhow::Result<(Keystore, Passwords)> {
    let bytes = read_input(file)?;
    let format = detect_format(&bytes)
        .map_err(|kind| anyhow::anyhow!("cannot read keystore `{}`: {kind}", file.display()))?;
    let passwords = if format.is_keystore() {
        Passwords::new(store_password(pass, file)?)
    } else {
        Passwords::new(Password::new(""))
    };
    let store = Keystore::from_bytes(&bytes, &passwords, &file.display().to_string())?;
    Ok((store, passwords))
}

/// Opens a file that commands modify: it must be a keystore (JKS, JCEKS, PKCS#12).
fn open_keystore(file: &Path, pass: &StorePass) -> anyhow::Result<(Keystore, Passwords)> {
    let (store, passwords) = open(file, pass)?;
    if !store.format().is_keystore() {
        bail!(
            "`{}` is a {} file, not a keystore: convert it first (harness keystore convert)",
            file.display(),
            store.format()
        );
    }
    Ok((store, passwords))
}

fn open_or_create(
    file: &Path,
    pass: &StorePass,
    store_type: StoreType,
) -> anyhow::Result<(Keystore, Passwords)> {
    if file.exists() {
        return open_keystore(file, pass);
    }
    let passwords = Passwords::new(store_password(pass, file)?);
    Ok((Keystore::new(store_type.format()), passwords))
}

/// Writes the store back in its own format, atomically. Sealed keys are kept sealed by
/// JKS/JCEKS; PKCS#12 unseals them with the key passwords.
fn save(store: &Keystore, file: &Path, passwords: &Passwords) -> anyhow::Result<()> {
    store.write_file(file, store.format(), passwords)?;
    Ok(())
}

fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    // Bounded by the bytes read: pipes, `/dev/stdin` and devices state no size.
    harness::file::read_limited(file, harness::keystore::MAX_FILE_BYTES)
        .with_context(|| format!("cannot read keystore `{}`", file.display()))
}

fn store_password(pass: &StorePass, file: &Path) -> anyhow::Result<Password> {
    password_from(
        pass.storepass_env.as_deref(),
        pass.storepass_file.as_deref(),
        "store",
        file,
    )
}

/// A password from an environment variable, a file's first line, or the terminal.
fn password_from(
    env: Option<&str>,
    file: Option<&Path>,
    what: &str,
    store: &Path,
) -> anyhow::Result<Password> {
    if let Some(var) = env {
        let value = std::env::var(var).with_context(|| {
            format!("environment variable `{var}` (the {what} password) is not set")
        })?;
        return Ok(Password::new(value));
    }
    if let Some(path) = file {
        let line = harness::file::read_password_file(path).with_context(|| {
            format!("cannot read the {what} password file `{}`", path.display())
        })?;
        return Ok(Password::new(line));
    }
    let prompt = format!("Enter {what} password for `{}`: ", store.display());
    let value = rpassword::prompt_password(prompt).with_context(|| {
        format!(
            "no {what} password: give --{}pass-env VAR or --{}pass-file FILE, or run on a terminal",
            flag_prefix(what),
            flag_prefix(what)
        )
    })?;
    Ok(Password::new(value))
}

fn flag_prefix(what: &str) -> &'static str {
    match what {
        "source" => "src",
        "key" => "srckey",
        "output" => "dest",
        _ => "store",
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The creation date of new entries. Wall-clock time is only a label here (keytool records
/// it the same way); no validity decision reads it.
fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    // JKS/JCEKS store milliseconds.
    now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now)
}
