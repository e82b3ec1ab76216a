//! `harness capture HOST[:PORT] --out DIR`: record a real receiver once, reproduce it
//! offline forever (see [`harness::capture`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use harness::connect::{ClientCertificate, Clock, Options, Policy, Target, TrustSource};
use harness::exit::ExitCode;
use harness::keystore::{Keystore, Passwords};
use harness::secret::Password;
use harness::tenant::Tenant;

/// `harness capture` arguments.
#[derive(Debug, Args)]
pub(crate) struct CaptureArgs {
    /// The receiver: `HOST`, `HOST:PORT` or `[IPV6]:PORT`, no scheme (port 443 by default).
    #[arg(value_name = "HOST[:PORT]")]
    target: String,
    /// The directory to write (the twin's files and `<name>.toml`); must be empty or absent
    /// unless `--force`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The scenario's name (its file stem); default `capture-<host>` (anonymized with
    /// `--anonymize`).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Send this SNI name instead of the host.
    #[arg(long, value_name = "NAME")]
    sni: Option<String>,
    /// The keystore the connectivity test trusts and takes key pairs from.
    #[arg(long, value_name = "FILE", conflicts_with = "tenant")]
    keystore: Option<PathBuf>,
    /// A tenant directory to trust and take key pairs from.
    #[arg(long, value_name = "DIR")]
    tenant: Option<PathBuf>,
    /// Read the password of `--keystore` from environment variable VAR.
    #[arg(long, value_name = "VAR", conflicts_with = "storepass_file")]
    storepass_env: Option<String>,
    /// Read the password of `--keystore` from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    storepass_file: Option<PathBuf>,
    /// "Authenticate with Client Certificate": with an alias, send that key pair; without,
    /// choose among the key pairs that fit the CA names the server sends.
    #[arg(long, value_name = "ALIAS", num_args = 0..=1, default_missing_value = "")]
    client_cert: Option<String>,
    /// Turn "Validate Server Certificate Required" off for the captured test.
    #[arg(long)]
    no_validate: bool,
    /// Replace host names, organisation names and serials by a keyed hash (the same input
    /// gives the same output), so the twin can go into a support ticket.
    #[arg(long)]
    anonymize: bool,
    /// Simulated "now" (RFC 3339): judges validity and dates the capture; default: the wall
    /// clock.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<time::OffsetDateTime>,
    /// Timeout in seconds for each of connect, handshake and response, per handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Replace a non-empty `--out` directory.
    #[arg(long)]
    force: bool,
}

fn parse_now(text: &str) -> Result<time::OffsetDateTime, String> {
    harness::time::parse_rfc3339(text).map_err(|e| e.to_string())
}

pub(crate) fn run(args: CaptureArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    if !(args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!(
            "--timeout {} is not a number of seconds between 0 and 3600",
            args.timeout
        );
    }
    let target: Target = args.target.parse()?;
    let trust = match (&args.keystore, &args.tenant) {
        (_, Some(dir)) => TrustSource::from_tenant(&Tenant::open(dir)?)?,
        (None, None) => TrustSource::new(""),
        (Some(path), None) => {
            let password = match (&args.storepass_env, &args.storepass_file) {
                (Some(var), _) => Password::new(std::env::var(var).with_context(|| {
                    format!("environment variable `{var}` (--storepass-env) is not set")
                })?),
                (None, Some(file)) => {
                    Password::new(harness::file::read_password_file(file).with_context(|| {
                        format!("cannot read password file `{}`", file.display())
                    })?)
                }
                (None, None) => Password::new(""),
            };
            let passwords = Passwords::new(password);
            let store = Keystore::read_file(path, &passwords)?;
            TrustSource::from_keystore(&store, &passwords, &path.display().to_string())?
        }
    };
    let mut options = Options::new(target.clone()).timeouts(Duration::from_secs_f64(args.timeout));
    if args.no_validate {
        options.validation = harness::connect::Validation::dangerous_off();
    }
    options.client_certificate = match args.client_cert.as_deref() {
        None => ClientCertificate::Off,
        Some("") => ClientCertificate::Automatic(Policy::FirstFitting),
        Some(alias) => ClientCertificate::Alias(alias.to_owned()),
    };
    options.sni = args.sni.clone();
    // One instant for the whole capture: validity is judged, and the capture dated, at it.
    let captured_at = Clock::from_flag(args.now).now();
    options.clock = Clock::Fixed(captured_at);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let probes = runtime.block_on(harness::capture::probe(&options, &trust))?;
    let handshakes = probes.handshakes;
    let name = args.name.clone().unwrap_or_else(|| {
        let host = if args.anonymize {
            format!("h{}", short_hash(&target.host))
        } else {
            target.host.replace([':', '.', '[', ']'], "-")
        };
        format!("capture-{host}")
    });
    let capture = harness::capture::Capture {
        probes,
        options,
        trust: &trust,
        name,
        anonymize: args.anonymize,
        captured_at,
    };
    let main_class = capture.probes.main.class();
    match capture.write(&args.out, args.force) {
        Ok(written) => {
            println!(
                "captured {} in {} handshakes, {:.0} ms: outcome {main_class}, Client Certificate Used: {}",
                capture.options.target,
                handshakes,
                start.elapsed().as_secs_f64() * 1000.0,
                if capture.probes.main.client_certificate.used {
                    "YES"
                } else {
                    "NO"
                },
            );
            println!(
                "twin: {} certificates re-issued ({} synthesised issuers)",
                written.twins, written.synthesised
            );
            for file in &written.files {
                println!("  {}", written.dir.join(file).display());
            }
            println!("replay offline: scenarios run {}", written.dir.display());
            Ok(ExitCode::Success)
        }
        Err(harness::capture::CaptureError::NothingSent { class, message }) => {
            println!(
                "{}: nothing captured ({handshakes} handshakes): {class}: {message}",
                capture.options.target
            );
            Ok(ExitCode::Failed)
        }
        Err(e) => Err(e.into()),
    }
}

fn short_hash(text: &str) -> String {
    use sha2::Digest as _;
    harness::cert::lower_hex(&sha2::Sha256::digest(text.as_bytes())[..4])
}
