//! `harness pki ...`

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use harness::exit::ExitCode;
use harness::pki::{KeyType, World, WorldSpec, write_dir_with};
use harness::secret::Password;

/// `harness pki` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum PkiCommand {
    /// Write every certificate and key of a seeded world as PEM and DER, with an index.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Seed: the same seed gives the same keys, serials, dates and subjects.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory to create (written atomically: complete or not at all).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Key type: p256, p384, rsa2048, rsa3072 or rsa4096.
    #[arg(long, value_name = "TYPE", default_value = "p256", value_parser = parse_key_type)]
    key_type: KeyType,
    /// Simulated "now" (RFC 3339) that validity windows are placed around; default: the
    /// start of today (UTC), so the PKI is valid today.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<time::OffsetDateTime>,
    /// Host name or IP address for the server certificate (repeatable; default localhost,
    /// 127.0.0.1 and ::1).
    #[arg(long = "server-name", value_name = "NAME")]
    server_names: Vec<String>,
    /// Replace `--out` if it exists and is not empty.
    #[arg(long)]
    force: bool,
    /// Print the index as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Read the password of `client.p12` from environment variable VAR (default
    /// `changeit`: a test PKI, not a secret).
    #[arg(long, value_name = "VAR")]
    p12_password_env: Option<String>,
}

fn parse_key_type(text: &str) -> Result<KeyType, String> {
    text.parse()
        .map_err(|e: harness::pki::PkiError| e.to_string())
}

fn parse_now(text: &str) -> Result<time::OffsetDateTime, String> {
    harness::time::parse_rfc3339(text).map_err(|e| e.to_string())
}

/// Runs a `harness pki` subcommand.
pub(crate) fn run(command: PkiCommand) -> anyhow::Result<ExitCode> {
    match command {
        PkiCommand::Generate(args) => generate(args),
    }
}

fn generate(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    // The seeded PKI is placed around the clock in force: --now, or the start of today
    // (UTC), so a receiver and a client started today without --now agree on every byte.
    let now = args
        .now
        .unwrap_or_else(|| harness::time::world_anchor(time::OffsetDateTime::now_utc()));
    let mut spec = WorldSpec::new(args.seed).key_type(args.key_type).now(now);
    if !args.server_names.is_empty() {
        spec.server_names = args.server_names;
    }
    let world = World::generate(&spec).context("cannot generate the PKI")?;
    let p12_password = match &args.p12_password_env {
        Some(var) => Password::new(std::env::var(var).with_context(|| {
            format!("environment variable `{var}` (the client.p12 password) is not set")
        })?),
        None => Password::new(harness::pki::CLIENT_P12_PASSWORD),
    };
    let index = write_dir_with(&world, &args.out, args.force, &p12_password)
        .with_context(|| format!("cannot write the PKI to `{}`", args.out.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&index)?);
    } else {
        println!(
            "wrote {} certificates to {}\n",
            index.certificates.len(),
            args.out.display()
        );
        print!("{}", index.to_text());
    }
    Ok(ExitCode::Success)
}
