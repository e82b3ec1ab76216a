//! `harness keystore ...`: a keytool-like command line over every format.
//!
//! Every command goes through [`Keystore::read_file`] and [`Keystore::write_file`], so it
//! works on JKS, JCEKS, PKCS#12, PEM, DER and `.p7b` alike (formats detected from content).
//! Passwords come from `--storepass-env VAR`, `--storepass-file FILE` or a prompt on the
//! terminal without echo; never from a plain argument, so they stay off the process list.
//! Outputs are written atomically; input files are never modified; a refused operation
//! changes nothing.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use time::OffsetDateTime;

use harness::exit::ExitCode;
use harness::keystore::{Format, Keystore, Passwords, detect_format};
use harness::secret::Password;

mod export;
mod import;
mod list;

use export::{convert, export};
use import::{import_cert, import_keypair, new};
use list::list;

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
