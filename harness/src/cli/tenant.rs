//! `harness tenant ...`: the simulated tenant keystore (CPI's Keystore Monitor).
//!
//! Every command except `lint` works on a tenant directory (`--tenant DIR`, or
//! `HARNESS_TENANT`). Each takes the acting role (`--role`; default: the role the operation
//! needs, so refusals are reproduced by naming another role) and "now": the wall clock, or
//! `--now` (or `HARNESS_NOW`) to simulate another time. Passwords come from
//! `--password-env VAR` or `--password-file FILE`, never from a plain argument.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use time::{Duration, OffsetDateTime};

use harness::exit::ExitCode;
use harness::pki::KeyType;
use harness::secret::Password;
use harness::tenant::{
    Actor, AddMode, Alias, AuthGroup, CertEncoding, KeyPairSpec, Permission, Subject, Tenant,
    TenantSpec, lint,
};

/// The help heading of the options every `harness tenant` subcommand takes, so they stand
/// apart from the subcommand's own.
const TENANT_OPTIONS: &str = "Tenant options";

/// `harness tenant`: options shared by every subcommand, then the subcommand.
#[derive(Debug, Args)]
pub(crate) struct TenantArgs {
    /// The tenant directory.
    #[arg(
        long,
        global = true,
        env = "HARNESS_TENANT",
        hide_env_values = true,
        value_name = "DIR",
        help_heading = TENANT_OPTIONS
    )]
    tenant: Option<PathBuf>,
    /// The acting role: AuthGroup.Admin, AuthGroup.IntegrationDeveloper or
    /// AuthGroup.BusinessExpert (default: the role the operation needs).
    #[arg(long, global = true, help_heading = TENANT_OPTIONS)]
    role: Option<AuthGroup>,
    /// The acting user's name (shown as Created By / Modified By).
    #[arg(long, global = true, value_name = "NAME", help_heading = TENANT_OPTIONS)]
    user: Option<String>,
    /// A simulated "now" (RFC 3339) for modification times, history and validity marks;
    /// default: the wall clock.
    #[arg(
        long,
        global = true,
        env = "HARNESS_NOW",
        hide_env_values = true,
        value_name = "RFC3339",
        value_parser = parse_now,
        help_heading = TENANT_OPTIONS
    )]
    now: Option<OffsetDateTime>,
    #[command(subcommand)]
    command: TenantCommand,
}

/// `harness tenant` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Create a tenant, provisioned with SAP-owned entries (a key pair and trusted roots).
    Create(CreateArgs),
    /// List the entries with the Keystore Monitor's columns.
    List(JsonArgs),
    /// Show one entry: serial, key, signature algorithm, fingerprints, chain.
    Show(ShowArgs),
    /// Show the history of changes.
    History(JsonArgs),
    /// Add keystore: upload a JKS, JCEKS or PKCS#12 file (at most 2 MB).
    AddKeystore(AddKeystoreArgs),
    /// Add certificate: one PEM or DER certificate (at most 10,240 bytes) under a new alias.
    AddCertificate(AddCertificateArgs),
    /// Add key pair: a PKCS#12 file (at most 30,720 bytes) under a new alias.
    AddKeyPair(AddKeyPairArgs),
    /// Create key pair: a new RSA or EC key with a self-signed certificate.
    CreateKeyPair(CreateKeyPairArgs),
    /// Download signing request: write `<alias>.csr` (PEM) for a key pair.
    SigningRequest(SigningRequestArgs),
    /// Update a key pair with the CA's signing response (PKCS#7 or PEM chain).
    UpdateSigningResponse(FileArgs),
    /// Update: replace an entry with a certificate (PEM/DER) or key pair (PKCS#12).
    Update(UpdateArgs),
    /// Rename an entry (new alias at most 250 characters, not reserved).
    Rename(RenameArgs),
    /// Delete an entry.
    Delete(AliasArgs),
    /// Backup: save every Tenant Administrator entry into the one backup slot.
    Backup(PasswordOnly),
    /// Restore: replace every Tenant Administrator entry with the backup's.
    Restore(PasswordOnly),
    /// Download: a certificate as `<alias>.cer`; a key pair as `<alias>.p7b` (the whole
    /// chain, never the key) and `<alias>_rootCA.cer`.
    Download(DownloadArgs),
    /// Download the public content as `PublicContentKeystore.jks` (no private keys).
    DownloadPublic(DownloadPublicArgs),
    /// Check a keystore file offline before upload (exit 1 when a finding is an error).
    Lint(LintArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Seed of the SAP-owned entries, the tenant password and created key pairs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The tenant's name (in the SAP key pair's subject).
    #[arg(long, default_value = "tenant")]
    name: String,
    /// Replace an existing tenant in the directory.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct JsonArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The alias.
    alias: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// A password source: `--password-env VAR` or `--password-file FILE`.
#[derive(Debug, Args)]
pub(crate) struct PasswordSource {
    /// Read the password from environment variable VAR.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    password_env: Option<String>,
    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PasswordOnly {
    #[command(flatten)]
    password: PasswordSource,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Add new aliases, preserve existing ones.
    Add,
    /// Add new aliases, overwrite existing Tenant Administrator ones.
    Overwrite,
    /// Remove every Tenant Administrator entry, then add.
    Replace,
}

#[derive(Debug, Args)]
pub(crate) struct AddKeystoreArgs {
    /// The keystore file.
    file: PathBuf,
    /// How existing entries are treated.
    #[arg(long, value_enum, default_value = "add")]
    mode: ModeArg,
    #[command(flatten)]
    password: PasswordSource,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AddCertificateArgs {
    /// The new alias.
    alias: String,
    /// The certificate file (PEM or DER).
    file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct AddKeyPairArgs {
    /// The new alias.
    alias: String,
    /// The PKCS#12 file.
    file: PathBuf,
    #[command(flatten)]
    password: PasswordSource,
}

#[derive(Debug, Args)]
pub(crate) struct CreateKeyPairArgs {
    /// The new alias.
    alias: String,
    /// Key type: p256, p384, rsa2048, rsa3072 or rsa4096.
    #[arg(long, value_name = "TYPE", default_value = "rsa2048", value_parser = parse_key_type)]
    key_type: KeyType,
    /// Subject CN.
    #[arg(long)]
    cn: String,
    /// Subject O.
    #[arg(long)]
    o: Option<String>,
    /// Subject OU.
    #[arg(long)]
    ou: Option<String>,
    /// Subject L.
    #[arg(long)]
    l: Option<String>,
    /// Subject ST.
    #[arg(long)]
    st: Option<String>,
    /// Subject C (two letters).
    #[arg(long)]
    c: Option<String>,
    /// Validity in days from "now".
    #[arg(long, default_value_t = 365)]
    days: i64,
}

#[derive(Debug, Args)]
pub(crate) struct SigningRequestArgs {
    /// The key pair's alias.
    alias: String,
    /// Directory to write `<alias>.csr` into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FileArgs {
    /// The alias.
    alias: String,
    /// The file.
    file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The alias.
    alias: String,
    /// The certificate (PEM/DER) or PKCS#12 file.
    file: PathBuf,
    #[command(flatten)]
    password: PasswordSource,
}

#[derive(Debug, Args)]
pub(crate) struct RenameArgs {
    /// The current alias.
    from: String,
    /// The new alias.
    to: String,
}

#[derive(Debug, Args)]
pub(crate) struct AliasArgs {
    /// The alias.
    alias: String,
}

#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// The alias.
    alias: String,
    /// Directory to write into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Write `.cer` files as DER instead of base64 (PEM).
    #[arg(long)]
    der: bool,
    /// Replace existing files (without it, an existing file is never written over).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DownloadPublicArgs {
    /// Directory to write `PublicContentKeystore.jks` into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    password: PasswordSource,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// The keystore file.
    file: PathBuf,
    #[command(flatten)]
    password: PasswordSource,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_now(text: &str) -> Result<OffsetDateTime, String> {
    harness::time::parse_rfc3339(text).map_err(|e| e.to_string())
}

fn parse_key_type(text: &str) -> Result<KeyType, String> {
    text.parse()
        .map_err(|e: harness::pki::PkiError| e.to_string())
}

/// Runs a `harness tenant` subcommand.
pub(crate) fn run(args: TenantArgs) -> anyhow::Result<ExitCode> {
    // The tenant's records are real certificates: the wall clock unless --now says otherwise.
    let clock = harness::time::Clock::from_flag(args.now);
    let now = clock.now();
    let permission = match &args.command {
        TenantCommand::List(_) | TenantCommand::Show(_) | TenantCommand::History(_) => {
            Permission::View
        }
        TenantCommand::Download(_) | TenantCommand::DownloadPublic(_) => Permission::Download,
        _ => Permission::Maintain,
    };
    let role = args.role.unwrap_or(permission.needed_group());
    let user = args.user.clone().unwrap_or_else(|| {
        match role {
            AuthGroup::Admin => "admin",
            AuthGroup::IntegrationDeveloper => "developer",
            AuthGroup::BusinessExpert => "expert",
        }
        .to_owned()
    });
    let actor = Actor::new(role, &user, now);
    if let TenantCommand::Lint(lint_args) = &args.command {
        return run_lint(lint_args, clock, now);
    }
    let Some(dir) = args.tenant.as_deref() else {
        bail!("no tenant directory: pass --tenant DIR or set HARNESS_TENANT");
    };
    if let TenantCommand::Create(create) = &args.command {
        let spec = TenantSpec {
            name: create.name.clone(),
            ..TenantSpec::new(create.seed)
        };
        let tenant = Tenant::create(dir, &spec, &actor, create.force)
            .with_context(|| format!("cannot create a tenant in `{}`", dir.display()))?;
        println!(
            "created tenant `{}` in {} with {} SAP-owned entries",
            tenant.name(),
            dir.display(),
            tenant.keystore().len()
        );
        return Ok(ExitCode::Success);
    }
    // Read-modify-write operations hold the tenant's lock from before they read it until
    // they saved; readers take none.
    let reads_only = matches!(
        args.command,
        TenantCommand::List(_)
            | TenantCommand::Show(_)
            | TenantCommand::History(_)
            | TenantCommand::SigningRequest(_)
            | TenantCommand::Download(_)
            | TenantCommand::DownloadPublic(_)
    );
    let opened = if reads_only {
        Tenant::open(dir)
    } else {
        Tenant::open_for_update(dir, harness::tenant::LOCK_TIMEOUT, &mut |holder| {
            eprintln!("waiting for tenant {}, held by {holder}", dir.display());
        })
    };
    let mut tenant = opened.with_context(|| format!("cannot open tenant `{}`", dir.display()))?;
    match args.command {
        TenantCommand::Create(_) | TenantCommand::Lint(_) => {}
        TenantCommand::List(a) => {
            let listing = tenant.list(&actor)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&listing)?);
            } else {
                println!("clock: {}", clock.describe(now));
                print!("{}", listing.to_text());
            }
        }
        TenantCommand::Show(a) => {
            let details = tenant.details(&actor, &a.alias)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&details)?);
            } else {
                print!("{}", details.to_text());
            }
        }
        TenantCommand::History(a) => {
            if a.json {
                let report = serde_json::json!({ "version": 1, "events": tenant.history() });
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for e in tenant.history() {
                    println!(
                        "#{:<4} {}  {} ({})  {}: {}",
                        e.generation, e.at, e.user, e.role, e.operation, e.detail
                    );
                }
            }
        }
        TenantCommand::AddKeystore(a) => {
            let bytes = read(&a.file)?;
            let password = password(&a.password)?;
            let mode = match a.mode {
                ModeArg::Add => AddMode::Merge,
                ModeArg::Overwrite => AddMode::MergeOverwrite,
                ModeArg::Replace => AddMode::Replace,
            };
            let summary = tenant.add_keystore(&actor, &bytes, &password, mode)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{}", summary.to_text());
            }
        }
        TenantCommand::AddCertificate(a) => {
            let alias = Alias::parse(&a.alias)?;
            tenant.add_certificate(&actor, &alias, &read(&a.file)?)?;
            println!("added certificate `{alias}`");
        }
        TenantCommand::AddKeyPair(a) => {
            let alias = Alias::parse(&a.alias)?;
            tenant.add_key_pair(&actor, &alias, &read(&a.file)?, &password(&a.password)?)?;
            println!("added key pair `{alias}`");
        }
        TenantCommand::CreateKeyPair(a) => {
            let alias = Alias::parse(&a.alias)?;
            let spec = KeyPairSpec {
                key_type: a.key_type,
                subject: Subject {
                    common_name: a.cn,
                    organization: a.o,
                    organizational_unit: a.ou,
                    locality: a.l,
                    state: a.st,
                    country: a.c,
                },
                not_before: now,
                not_after: now + Duration::days(a.days),
            };
            tenant.create_key_pair(&actor, &alias, &spec)?;
            println!("created key pair `{alias}`");
        }
        TenantCommand::SigningRequest(a) => {
            let download = tenant.signing_request(&actor, &a.alias)?;
            write(&[download], &a.out, a.force, &[".csr"])?;
        }
        TenantCommand::UpdateSigningResponse(a) => {
            tenant.update_with_signing_response(&actor, &a.alias, &read(&a.file)?)?;
            println!("updated `{}` with the signing response", a.alias);
        }
        TenantCommand::Update(a) => {
            let pass = if a.password.password_env.is_some() || a.password.password_file.is_some() {
                Some(password(&a.password)?)
            } else {
                None
            };
            tenant.update(&actor, &a.alias, &read(&a.file)?, pass.as_ref())?;
            println!("updated `{}`", a.alias);
        }
        TenantCommand::Rename(a) => {
            let to = Alias::parse(&a.to)?;
            tenant.rename(&actor, &a.from, &to)?;
            println!("renamed `{}` to `{to}`", a.from);
        }
        TenantCommand::Delete(a) => {
            tenant.delete(&actor, &a.alias)?;
            println!("deleted `{}`", a.alias);
        }
        TenantCommand::Backup(a) => {
            tenant.backup(&actor, &password(&a.password)?)?;
            println!("backed up the Tenant Administrator entries");
        }
        TenantCommand::Restore(a) => {
            tenant.restore(&actor, &password(&a.password)?)?;
            println!("restored the Tenant Administrator entries from the backup");
        }
        TenantCommand::Download(a) => {
            let encoding = if a.der {
                CertEncoding::Der
            } else {
                CertEncoding::Pem
            };
            let is_key_pair = tenant
                .keystore()
                .get(&a.alias)
                .is_some_and(|e| matches!(e.kind, harness::keystore::EntryKind::KeyPair { .. }));
            // Both files of a key pair, or neither.
            if is_key_pair {
                let chain = tenant.download_chain(&actor, &a.alias)?;
                let root = tenant.download_root_ca(&actor, &a.alias, encoding)?;
                write(&[chain, root], &a.out, a.force, &[".p7b", "_rootCA.cer"])?;
            } else {
                let cert = tenant.download_certificate(&actor, &a.alias, encoding)?;
                write(&[cert], &a.out, a.force, &[".cer"])?;
            }
        }
        TenantCommand::DownloadPublic(a) => {
            let download = tenant.download_public_keystore(&actor, &password(&a.password)?)?;
            write(&[download], &a.out, a.force, &[])?;
        }
    }
    Ok(ExitCode::Success)
}

fn run_lint(
    args: &LintArgs,
    clock: harness::time::Clock,
    now: OffsetDateTime,
) -> anyhow::Result<ExitCode> {
    let bytes = read(&args.file)?;
    // PEM and DER files need no password; a keystore without one reports `wrong-password`.
    let password = if args.password.password_env.is_some() || args.password.password_file.is_some()
    {
        password(&args.password)?
    } else {
        Password::new("")
    };
    let report = lint(&bytes, &args.file.display().to_string(), &password, now);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("validity judged at {}", clock.describe(now));
        print!("{}", report.to_text());
    }
    Ok(if report.has_errors() {
        ExitCode::Failed
    } else {
        ExitCode::Success
    })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    // Uploads are capped far below this; the cap only keeps absurd inputs out of memory,
    // counted in bytes read (pipes and devices state no size).
    harness::file::read_limited(path, harness::keystore::MAX_FILE_BYTES)
        .with_context(|| format!("cannot read `{}`", path.display()))
}

/// Writes downloads into `dir`, all or nothing, never over an existing file without
/// `force`. A file name too long for the file system (a long alias) is shortened with a hash
/// suffix, and the output says so; `suffixes` are the endings the names are made of.
fn write(
    downloads: &[harness::tenant::Download],
    dir: &Path,
    force: bool,
    suffixes: &[&str],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut files = Vec::with_capacity(downloads.len());
    let mut notes = Vec::new();
    for download in downloads {
        let name = &download.file_name;
        let (stem, suffix) = suffixes
            .iter()
            .find_map(|s| name.strip_suffix(s).map(|stem| (stem, *s)))
            .unwrap_or((name.as_str(), ""));
        let (fitted, shortened) = harness::file::fit_file_name(stem, suffix);
        if shortened {
            notes.push(format!(
                "note: `{}` is longer than {} bytes; written as `{fitted}`",
                harness::text::escape(name),
                harness::file::MAX_FILE_NAME_BYTES
            ));
        }
        files.push((dir.join(fitted), download.bytes.clone()));
    }
    harness::file::write_outputs(&files, force, &[], None)?;
    for note in notes {
        println!("{note}");
    }
    for (path, _) in &files {
        println!(
            "wrote {}",
            harness::text::escape(&path.display().to_string())
        );
    }
    Ok(())
}

fn password(source: &PasswordSource) -> anyhow::Result<Password> {
    if let Some(var) = &source.password_env {
        let text = std::env::var(var)
            .with_context(|| format!("environment variable `{var}` is not set"))?;
        return Ok(Password::new(text));
    }
    if let Some(file) = &source.password_file {
        let line = harness::file::read_password_file(file)
            .with_context(|| format!("cannot read password file `{}`", file.display()))?;
        return Ok(Password::new(line));
    }
    bail!("a password is needed: pass --password-env VAR or --password-file FILE")
}
