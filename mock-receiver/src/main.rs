//! `mock-receiver`: the receiver system on loopback, one command.
//!
//! Exit codes: 0 after a clean shutdown (Ctrl-C, SIGTERM), 2 on bad input (unknown profile,
//! unreadable or mismatched certificate and key, port in use).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use harness::pki::{KeyType, World, WorldSpec};
use harness::secret::Password;
use mock_receiver::{
    CaNames, CertMatcher, ClientAuth, ClientAuthMode, Fault, Receiver, ReceiverError, ReceiverSpec,
    Rejection, RunningReceiver, ServerIdentity, ServerVariant, TlsVersions, TrustProfile, UserMap,
    read_certificates,
};
use rustls_pki_types::CertificateDer;

/// The receiver system of the article: a real HTTPS server for every trust profile,
/// client-authentication mode, user mapping and fault.
#[derive(Debug, Parser)]
#[command(name = "mock-receiver", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve HTTPS until Ctrl-C; prints the bound address on its first line.
    Serve(Serve),
}

#[derive(Debug, Args)]
struct Serve {
    /// Trust profile: full-chain, leaf-intermediate, leaf-only, self-signed, reversed-chain.
    #[arg(long, default_value = "leaf-intermediate", conflicts_with = "all")]
    profile: String,
    /// Server certificate variant: valid, expired, not-yet-valid, wrong-host, cn-only,
    /// wrong-eku, under-not-ca, two-intermediates.
    #[arg(long, default_value = "valid")]
    variant: String,
    /// Start every profile on its own port and print a table.
    #[arg(long)]
    all: bool,
    /// Client authentication: none, optional, required.
    #[arg(long, default_value = "none")]
    client_auth: String,
    /// The receiver's client-certificate trust store (PEM, DER, .p7b, JKS, JCEKS, PKCS#12);
    /// repeatable. Default with client auth: the seeded tenant client root.
    #[arg(long, value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// CA names sent in the CertificateRequest: `trust` (the trust store's subjects),
    /// `empty`, or a certificate FILE whose subject is sent instead (a foreign CA).
    #[arg(long, default_value = "trust", value_name = "trust|empty|FILE")]
    ca_names: String,
    /// How a missing or untrusted client certificate is rejected: `alert` (TLS) or
    /// `http400` (nginx: handshake completes, HTTP 400).
    #[arg(long, default_value = "alert")]
    rejection: String,
    /// Map the certificate in FILE (by SHA-256 fingerprint) to a technical user; repeatable.
    #[arg(long, value_name = "FILE=USER")]
    map_user: Vec<String>,
    /// Map an exact subject DN (`CN=..., O=...`) to a technical user; repeatable.
    #[arg(long, value_name = "DN=USER")]
    map_subject: Vec<String>,
    /// Status for a trusted certificate mapped to no user: 401 or 403.
    #[arg(long, default_value_t = 401, value_parser = clap::value_parser!(u16).range(401..=403))]
    unmapped_status: u16,
    /// Refuse mapping one certificate to more than one user.
    #[arg(long)]
    one_user_per_certificate: bool,
    /// Enforce the user mapping even when nothing is mapped: a trusted certificate mapped to
    /// no user gets --unmapped-status (without it, an empty mapping lets every trusted
    /// client in).
    #[arg(long)]
    require_mapping: bool,
    /// A fault: refuse, connect-timeout, stall-before-server-hello,
    /// stall-after-certificate-request, close-mid-handshake, plain-http, alert:NAME|CODE.
    #[arg(long)]
    fault: Option<String>,
    /// TLS versions: both, tls12, tls13.
    #[arg(long, default_value = "both")]
    tls: String,
    /// Serve your own certificate (or chain, or keystore) instead of a seeded profile.
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    cert: Option<PathBuf>,
    /// The private key for --cert (PKCS#8 PEM/DER, or a keystore).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Extra chain certificates sent after --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    chain: Option<PathBuf>,
    /// Environment variable holding the password of keystore files given to --cert, --key,
    /// --chain, --trust (default password: `changeit`). Never a plain argument: that would
    /// show in the process list.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    password_env: Option<String>,
    /// File whose first line is that password.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Address to listen on (with --all: the IP; every profile gets a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Seed of the test PKI.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The simulated "now" (RFC 3339) for certificate validity.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Key type: p256, p384, rsa2048, rsa3072, rsa4096.
    #[arg(long, default_value = "p256")]
    key_type: String,
    /// Write the test PKI (PEM and DER, with index) into DIR, plus `served.chain.pem` (with
    /// --all: `served-<profile>.chain.pem`): the chain exactly as sent.
    #[arg(long, value_name = "DIR")]
    pki_dir: Option<PathBuf>,
    /// Replace --pki-dir if it exists.
    #[arg(long)]
    force: bool,
    /// How long stalling faults hold a connection, in seconds.
    #[arg(long, default_value_t = 300)]
    stall_seconds: u64,
    /// How many connections the journal (`GET /__admin/journal`) keeps: the most recent N,
    /// so memory stays bounded under load.
    #[arg(
        long,
        value_name = "N",
        default_value_t = mock_receiver::Journal::CAPACITY as u64,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    journal_limit: u64,
    /// Print a JSON ready line instead of text.
    #[arg(long)]
    json: bool,
}

/// Prints a line to stdout, ignoring a closed pipe: a reader that took the ready line and
/// went away must not bring the receiver down (`println!` would panic on EPIPE).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Some harness errors already print their cause: show each text once.
            let mut message = format!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !message.contains(&text) {
                    message.push_str(": ");
                    message.push_str(&text);
                }
                source = cause.source();
            }
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

/// A bad-input error naming the flag it came from.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{flag}")]
    Flag {
        flag: &'static str,
        #[source]
        source: ReceiverError,
    },
    #[error("{flag}: {message}")]
    Text { flag: &'static str, message: String },
    #[error("cannot install the signal handler")]
    Signal(#[source] std::io::Error),
}

fn flag(flag: &'static str) -> impl FnOnce(ReceiverError) -> CliError {
    move |source| CliError::Flag { flag, source }
}

fn text(flag: &'static str) -> impl FnOnce(String) -> CliError {
    move |message| CliError::Text { flag, message }
}

/// The password of bring-your-own keystore files: from `--password-env`, `--password-file`,
/// or `changeit` (keytool's habitual default) when neither is given.
fn keystore_password(args: &Serve) -> Result<Password, (&'static str, String)> {
    if let Some(var) = &args.password_env {
        return std::env::var(var).map(Password::new).map_err(|_| {
            (
                "--password-env",
                format!("environment variable `{var}` is not set or not UTF-8"),
            )
        });
    }
    if let Some(file) = &args.password_file {
        let line = harness::file::read_password_file(file).map_err(|e| {
            (
                "--password-file",
                format!("cannot read `{}`: {e}", file.display()),
            )
        })?;
        return Ok(Password::new(line));
    }
    Ok(Password::new("changeit"))
}

async fn serve(args: Serve) -> Result<(), CliError> {
    let password =
        keystore_password(&args).map_err(|(flag, message)| CliError::Text { flag, message })?;
    let mut world_spec = WorldSpec::new(args.seed);
    if let Some(now) = &args.now {
        let now = harness::time::parse_rfc3339(now).map_err(|e| CliError::Text {
            flag: "--now",
            message: e.to_string(),
        })?;
        world_spec = world_spec.now(now);
    }
    let key_type: KeyType =
        args.key_type
            .parse()
            .map_err(|e: harness::pki::PkiError| CliError::Text {
                flag: "--key-type",
                message: e.to_string(),
            })?;
    world_spec = world_spec.key_type(key_type);
    let world = World::generate(&world_spec).map_err(|e| CliError::Flag {
        flag: "--seed",
        source: ReceiverError::Pki(e),
    })?;
    let variant: ServerVariant = args.variant.parse().map_err(flag("--variant"))?;
    let mode: ClientAuthMode = args.client_auth.parse().map_err(text("--client-auth"))?;
    let rejection: Rejection = args.rejection.parse().map_err(text("--rejection"))?;
    let versions: TlsVersions = args.tls.parse().map_err(text("--tls"))?;
    let fault = match &args.fault {
        Some(name) => Some(name.parse::<Fault>().map_err(flag("--fault"))?),
        None => None,
    };

    let mut trust: Vec<CertificateDer<'static>> = Vec::new();
    for path in &args.trust {
        trust.extend(read_certificates(path, &password).map_err(flag("--trust"))?);
    }
    if trust.is_empty() && mode != ClientAuthMode::None {
        trust.push(world.get(harness::pki::Role::ClientRoot).cert().clone());
    }
    let ca_names = match args.ca_names.as_str() {
        "trust" => CaNames::TrustStore,
        "empty" => CaNames::Empty,
        file => CaNames::Subjects(
            read_certificates(Path::new(file), &password).map_err(flag("--ca-names"))?,
        ),
    };
    let client_auth = ClientAuth::new(mode, trust)
        .ca_names(ca_names)
        .rejection(rejection);

    if args.unmapped_status == 402 {
        return Err(CliError::Text {
            flag: "--unmapped-status",
            message: "expected 401 or 403".into(),
        });
    }
    let mut users = UserMap::new().unmapped_status(args.unmapped_status);
    if args.one_user_per_certificate {
        users = users.one_user_per_certificate();
    }
    if args.require_mapping {
        users = users.require_mapping();
    }
    for mapping in &args.map_user {
        let (file, user) = split_mapping(mapping).map_err(flag("--map-user"))?;
        let certs = read_certificates(Path::new(file), &password).map_err(flag("--map-user"))?;
        users = users
            .map(CertMatcher::fingerprint_of(&certs[0]), user)
            .map_err(flag("--map-user"))?;
    }
    for mapping in &args.map_subject {
        let (dn, user) = split_mapping(mapping).map_err(flag("--map-subject"))?;
        users = users
            .map(CertMatcher::Subject(dn.to_owned()), user)
            .map_err(flag("--map-subject"))?;
    }

    if let Some(dir) = &args.pki_dir {
        harness::pki::write_dir(&world, dir, args.force).map_err(|e| CliError::Flag {
            flag: "--pki-dir",
            source: ReceiverError::Pki(e),
        })?;
    }

    let profiles: Vec<TrustProfile> = if args.all {
        TrustProfile::ALL.to_vec()
    } else {
        vec![args.profile.parse().map_err(flag("--profile"))?]
    };
    let mut running: Vec<(String, TrustProfile, RunningReceiver)> = Vec::new();
    for profile in &profiles {
        let identity = match &args.cert {
            Some(cert) => ServerIdentity::from_files(
                cert,
                args.key.as_deref(),
                args.chain.as_deref(),
                &password,
            )
            .map_err(flag("--cert"))?,
            None => {
                ServerIdentity::from_world(&world, *profile, variant).map_err(flag("--profile"))?
            }
        };
        let timeouts = mock_receiver::Timeouts {
            stall: Duration::from_secs(args.stall_seconds),
            ..Default::default()
        };
        let mut spec = ReceiverSpec::new(identity)
            .now(world.spec().now)
            .versions(versions)
            .client_auth(client_auth.clone())
            .users(users.clone())
            .timeouts(timeouts)
            .journal_limit(usize::try_from(args.journal_limit).unwrap_or(usize::MAX))
            .listen(args.listen);
        if args.all {
            spec = spec.listen(SocketAddr::new(args.listen.ip(), 0));
        }
        if let Some(fault) = fault {
            spec = spec.fault(fault);
        }
        let label = spec.identity.label.clone();
        if let Some(dir) = &args.pki_dir {
            // Exactly what goes on the wire, beside the PKI it came from.
            let name = if args.all {
                format!("served-{}.chain.pem", profile.name())
            } else {
                "served.chain.pem".to_owned()
            };
            let pem = harness::cert::certs_to_pem(&spec.identity.chain);
            harness::file::write_atomic(&dir.join(&name), pem.as_bytes()).map_err(|source| {
                CliError::Flag {
                    flag: "--pki-dir",
                    source: ReceiverError::Write {
                        path: dir.join(name),
                        source,
                    },
                }
            })?;
        }
        let receiver = Receiver::start(spec).await.map_err(|e| {
            let name = match (&e, &args.cert) {
                (ReceiverError::Bind { .. }, _) => "--listen",
                (_, Some(_)) => "--cert",
                (_, None) => "--profile",
            };
            CliError::Flag {
                flag: name,
                source: e,
            }
        })?;
        running.push((label, *profile, receiver));
    }

    print_ready(&args, mode, &running);

    wait_for_signal().await?;
    for (_, _, receiver) in running {
        // A receiver that does not stop in time is closed by dropping it; exit anyway.
        let _ = receiver.shutdown().await;
    }
    Ok(())
}

fn split_mapping(text: &str) -> Result<(&str, &str), ReceiverError> {
    match text.rsplit_once('=') {
        Some((left, user)) if !left.is_empty() && !user.is_empty() => Ok((left, user)),
        _ => Err(ReceiverError::BadMapping {
            text: text.to_owned(),
            reason: "expected `FILE=USER` (or `DN=USER`)".into(),
        }),
    }
}

fn print_ready(
    args: &Serve,
    mode: ClientAuthMode,
    running: &[(String, TrustProfile, RunningReceiver)],
) {
    let cert_needed = match mode {
        ClientAuthMode::None => "no",
        ClientAuthMode::Optional => "optional",
        ClientAuthMode::Required => "yes",
    };
    if args.json {
        let receivers: Vec<_> = running
            .iter()
            .map(|(label, profile, receiver)| {
                serde_json::json!({
                    "profile": profile.name(),
                    "identity": label,
                    "address": receiver.addr().to_string(),
                    "client_must_trust": if args.cert.is_some() { "your chain's root" } else { profile.client_must_trust() },
                    "client_certificate": cert_needed,
                    "fault": args.fault,
                })
            })
            .collect();
        let ready = serde_json::json!({
            "version": 1,
            "event": "ready",
            "address": running.first().map(|(_, _, r)| r.addr().to_string()),
            "receivers": receivers,
            "pki_dir": args.pki_dir,
        });
        say!("{ready}");
        return;
    }
    if !args.all {
        if let Some((label, profile, receiver)) = running.first() {
            say!("{}", receiver.addr());
            say!(
                "serving {label} (client must trust: {}; client certificate: {cert_needed})",
                if args.cert.is_some() {
                    "your chain's root"
                } else {
                    profile.client_must_trust()
                }
            );
        }
        return;
    }
    let width = TrustProfile::ALL
        .iter()
        .map(|p| p.name().len())
        .max()
        .unwrap_or(8);
    say!(
        "{:<width$}  {:<21}  {:<8}  client must trust",
        "profile",
        "address",
        "cert"
    );
    for (_, profile, receiver) in running {
        say!(
            "{:<width$}  {:<21}  {:<8}  {}",
            profile.name(),
            receiver.addr().to_string(),
            cert_needed,
            profile.client_must_trust()
        );
    }
}

async fn wait_for_signal() -> Result<(), CliError> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(CliError::Signal)?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map_err(CliError::Signal),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(CliError::Signal)
    }
}
