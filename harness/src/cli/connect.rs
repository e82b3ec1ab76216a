//! `harness connect HOST[:PORT]`: CPI's Connectivity Test (TLS), with a diagnosis.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use harness::connect::{
    ClientCertificate, Clock, Options, Policy, Target, TlsVersion, TrustSource, Validation,
};
use harness::exit::ExitCode;
use harness::keystore::{Format, Keystore, Passwords};
use harness::secret::Password;
use harness::tenant::Tenant;

/// `harness connect` arguments.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// The receiver: `HOST`, `HOST:PORT` or `[IPV6]:PORT`, no scheme (port 443 by default).
    #[arg(value_name = "HOST[:PORT]")]
    target: String,
    /// The keystore to trust and take key pairs from (JKS, JCEKS, PKCS#12, PEM, DER, .p7b;
    /// detected from content). Without it or `--tenant` nothing is trusted.
    #[arg(long, value_name = "FILE", conflicts_with = "tenant")]
    keystore: Option<PathBuf>,
    /// A tenant directory (`harness tenant create`) to trust and take key pairs from, as CPI
    /// does: its trusted certificates and key pairs, SAP-owned ones included. It keeps its
    /// own password.
    #[arg(long, value_name = "DIR")]
    tenant: Option<PathBuf>,
    /// Read the password of `--keystore` (and `--add-root-to`) from environment variable VAR.
    #[arg(long, value_name = "VAR", conflicts_with = "storepass_file")]
    storepass_env: Option<String>,
    /// Read the password of `--keystore` (and `--add-root-to`) from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    storepass_file: Option<PathBuf>,
    /// Turn "Validate Server Certificate Required" off: the chain is shown, never trusted.
    #[arg(long)]
    no_validate: bool,
    /// "Authenticate with Client Certificate": with an alias, send that key pair; without,
    /// choose among the key pairs that fit the CA names the server sends.
    #[arg(long, value_name = "ALIAS", num_args = 0..=1, default_missing_value = "")]
    client_cert: Option<String>,
    /// With `--client-cert` and no alias: how to pick among the fitting key pairs.
    #[arg(long, value_enum, default_value_t = Pick::First)]
    pick: Pick,
    /// Seed of `--pick random`.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pick_seed: u64,
    /// With `--client-cert` and no alias: which Java key manager decides what fits and ranks
    /// (`pkix`, the JDK default: valid before expired, clientAuth usage first; `sunx509`: the
    /// first fitting).
    #[arg(long, value_enum, default_value_t = harness::connect::KeyManagerKind::Pkix)]
    key_manager: harness::connect::KeyManagerKind,
    /// Simulated "now" (RFC 3339) for certificate validity, a start time that runs forward;
    /// default: the wall clock.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<time::OffsetDateTime>,
    /// Send this SNI name instead of the host (the host is still what the certificate must
    /// name).
    #[arg(long, value_name = "NAME")]
    sni: Option<String>,
    /// Timeout in seconds for each of connect, handshake and response. The host name is
    /// resolved before, by the system resolver with its own timeouts (as Java resolves).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_seconds)]
    timeout: f64,
    /// Lowest TLS version offered (1.0, 1.1, 1.2 or 1.3; Java 17 disables 1.0 and 1.1 by
    /// default, a tenant may enable them).
    #[arg(long, value_name = "VERSION", default_value = "1.2")]
    tls_min: TlsVersion,
    /// Highest TLS version offered (1.0, 1.1, 1.2 or 1.3).
    #[arg(long, value_name = "VERSION", default_value = "1.3")]
    tls_max: TlsVersion,
    /// Save the server chain as sent: `.zip` (DER `.cer` files, as CPI) or anything else
    /// (a PEM bundle).
    /// Never an input file; never an existing file without `--force`.
    #[arg(long, value_name = "FILE")]
    download_chain: Option<PathBuf>,
    /// Replace an existing `--download-chain` file.
    #[arg(long)]
    force: bool,
    /// After the test, add the root the server sent as a trusted certificate entry to this
    /// keystore (created when missing; its format from the extension: `.jks`, `.jceks`,
    /// `.p12`/`.pfx`, else PEM), with the store password given for `--keystore`.
    #[arg(long, value_name = "FILE")]
    add_root_to: Option<PathBuf>,
    /// The alias of the entry `--add-root-to` adds.
    #[arg(long, value_name = "ALIAS", default_value = "receiver-root")]
    add_root_alias: String,
    /// Print the report as JSON (format `version` 2).
    #[arg(long)]
    json: bool,
    /// Print the Java text as this JDK's JSSE writes it (measured, see `harness explain`);
    /// CPI runs 17.
    #[arg(long, value_name = "VERSION", default_value = "17",
          value_parser = clap::builder::PossibleValuesParser::new(["11", "17", "21", "25"]))]
    jdk: String,
}

/// How an empty alias picks among fitting key pairs.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Pick {
    /// The first fitting alias in keystore order (the article).
    First,
    /// A seeded random fitting alias (current CPI help).
    Random,
}

fn parse_now(text: &str) -> Result<time::OffsetDateTime, String> {
    harness::time::parse_rfc3339(text).map_err(|e| e.to_string())
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 3600"
        )),
    }
}

pub(crate) fn run(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    // This process runs one connectivity test and no other OpenSSL work: EC public keys
    // decoded the fast way (same results; see `harness::connect::engine::fast_public_keys`).
    harness::connect::engine::fast_public_keys();
    let target: Target = args.target.parse()?;
    let trust = match (&args.keystore, &args.tenant) {
        (_, Some(dir)) => {
            let tenant = Tenant::open(dir)?;
            TrustSource::from_tenant(&tenant)?
        }
        (None, None) => TrustSource::new(""),
        (Some(path), None) => {
            let password = store_password(&args)?;
            let given = password.is_some();
            let passwords = Passwords::new(password.unwrap_or_else(|| Password::new("")));
            let store = Keystore::read_file(path, &passwords).map_err(|e| {
                let wrong = matches!(e.kind, harness::keystore::ErrorKind::WrongPassword { .. });
                if given || !wrong {
                    return anyhow::Error::new(e);
                }
                anyhow::Error::new(NoStorePassword {
                    path: e.source_name,
                    source: e.kind,
                })
            })?;
            TrustSource::from_keystore(&store, &passwords, &path.display().to_string())?
        }
    };
    let mut options = Options::new(target).timeouts(Duration::from_secs_f64(args.timeout));
    if args.no_validate {
        options.validation = Validation::dangerous_off();
    }
    options.client_certificate = match args.client_cert.as_deref() {
        None => ClientCertificate::Off,
        Some("") => ClientCertificate::Automatic(match args.pick {
            Pick::First => Policy::FirstFitting,
            Pick::Random => Policy::RandomFitting {
                seed: args.pick_seed,
            },
        }),
        Some(alias) => ClientCertificate::Alias(alias.to_owned()),
    };
    options.key_manager = args.key_manager;
    options.sni = args.sni.clone();
    options.clock = Clock::from_flag(args.now);
    options.min_version = args.tls_min;
    options.max_version = args.tls_max;
    if options.min_version > options.max_version {
        bail!(
            "--tls-min {} is above --tls-max {}",
            options.min_version,
            options.max_version
        );
    }

    // One test in this process, on this thread: no resolver thread (as Java resolves).
    options.resolve_now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(harness::connect::run(&options, &trust))?;
    let diagnosis = harness::diagnose::diagnose(&outcome, &trust);

    if let Some(path) = &args.download_chain {
        let bytes = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            harness::connect::chain_zip(&outcome.server_chain)
        } else {
            harness::connect::chain_pem(&outcome.server_chain).into_bytes()
        };
        let inputs: Vec<&std::path::Path> = [
            &args.keystore,
            &args.tenant,
            &args.add_root_to,
            &args.storepass_file,
        ]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
        harness::file::write_outputs(&[(path.clone(), bytes)], args.force, &inputs, None)?;
    }
    // The JDK's dialect of the Java text (JDK 17's is the report's own).
    let dialect = outcome.failure.as_ref().and_then(|f| {
        let jdk = args.jdk.parse().ok().filter(|v| *v != 17)?;
        let text = f.java_text();
        harness::explain::dialect(&text, jdk).map(|d| (text, d))
    });
    if args.json {
        let mut report = harness::diagnose::report_json(&outcome, &diagnosis);
        if let (Some((_, d)), Some(failure)) = (&dialect, report.get_mut("failure")) {
            failure["java_text"] = serde_json::Value::from(d.as_str());
        }
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mut report = harness::diagnose::report_text(&outcome, &diagnosis);
        if let Some((text, d)) = &dialect {
            report = report.replacen(
                &format!("CPI/Java: {text}"),
                &format!("CPI/Java (JDK {}): {d}", args.jdk),
                1,
            );
        }
        print!("{report}");
    }
    // The report first, then what --add-root-to did with it.
    if let Some(path) = &args.add_root_to {
        if outcome.server_chain.is_empty() {
            let why = outcome
                .failure
                .as_ref()
                .map_or_else(|| "no chain was received".to_owned(), |f| f.message());
            bail!(
                "--add-root-to `{}`: nothing to add, the server sent no certificate ({why})",
                path.display()
            );
        }
        let password = store_password(&args)?.unwrap_or_else(|| Password::new(""));
        let passwords = Passwords::new(password);
        let format = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(ext) if ext == "jks" => Format::Jks,
            Some(ext) if ext == "jceks" => Format::Jceks,
            Some(ext) if ext == "p12" || ext == "pfx" => Format::Pkcs12,
            _ => Format::Pem,
        };
        let mut store = if path.exists() {
            let mut store = Keystore::read_file(path, &passwords)?;
            store.unlock_keys(&passwords).with_context(|| {
                format!(
                    "cannot unlock the keys of `{}` to rewrite it",
                    path.display()
                )
            })?;
            store
        } else {
            Keystore::new(format)
        };
        harness::connect::add_sent_root(
            &mut store,
            &outcome.server_chain,
            &args.add_root_alias,
            options.clock.now(),
        )
        .with_context(|| format!("--add-root-to `{}`", path.display()))?;
        let format = store.format();
        store.write_file(path, format, &passwords)?;
        eprintln!(
            "added the server's root as trusted certificate `{}` to `{}`",
            args.add_root_alias,
            path.display()
        );
    }
    Ok(if outcome.succeeded() {
        ExitCode::Success
    } else {
        ExitCode::Failed
    })
}

fn store_password(args: &ConnectArgs) -> anyhow::Result<Option<Password>> {
    if let Some(var) = &args.storepass_env {
        let value = std::env::var(var).with_context(|| {
            format!("environment variable `{var}` (--storepass-env) is not set")
        })?;
        return Ok(Some(Password::new(value)));
    }
    if let Some(path) = &args.storepass_file {
        let line = harness::file::read_password_file(path)
            .with_context(|| format!("cannot read password file `{}`", path.display()))?;
        return Ok(Some(Password::new(line)));
    }
    Ok(None)
}

/// A trust keystore refused for its store password while none was given: the message says
/// which flags give one, the keystore's own words come through the source.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot read keystore `{path}` (no store password given: pass --storepass-env or \
     --storepass-file)"
)]
struct NoStorePassword {
    path: String,
    #[source]
    source: harness::keystore::ErrorKind,
}
