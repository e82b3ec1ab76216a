//! `mock-receiver`: the receiver system on loopback, one command.
//!
//! Exit codes ([`harness::exit::ExitCode`]): 0 after a clean shutdown (Ctrl-C, SIGTERM), 2 on
//! bad input (unknown profile, unreadable or mismatched certificate and key, port in use).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use harness::pki::{KeyType, World, WorldSpec};
use harness::secret::Password;
use harness::time::Clock;
use mock_receiver::{
    CaNames, CertMatcher, ClientAuth, ClientAuthMode, ConnectionLog, Fault, Receiver,
    ReceiverError, ReceiverSpec, Rejection, RunningReceiver, ServerIdentity, ServerVariant,
    TlsVersions, TrustProfile, UserMap, read_certificates,
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
    #[arg(
        long,
        value_enum,
        default_value = "leaf-intermediate",
        conflicts_with = "all",
        hide_possible_values = true
    )]
    profile: TrustProfile,
    /// Server certificate variant: valid, expired, not-yet-valid, wrong-host, cn-only,
    /// wrong-eku, under-not-ca, two-intermediates.
    #[arg(long, value_enum, default_value = "valid", hide_possible_values = true)]
    variant: ServerVariant,
    /// Start the whole catalogue, a local badssl: every trust profile and certificate
    /// variant, client-auth mode, user mapping and fault on its own port, with the seeded
    /// tenant keystores in --pki-dir (default: a temp dir removed at exit) and a landing page
    /// on the admin listener (--admin-listen, default 127.0.0.1:0). Prints a table (or
    /// --json): name, address, what it sends, client certificate, fault, CPI's outcome.
    #[arg(
        long,
        conflicts_with_all = [
            "variant", "client_auth", "trust", "ca_names", "rejection", "map_user",
            "map_subject", "unmapped_status", "one_user_per_certificate", "require_mapping",
            "fault", "tls",
        ]
    )]
    all: bool,
    /// Client authentication: none, optional, required.
    #[arg(long, value_enum, default_value = "none", hide_possible_values = true)]
    client_auth: ClientAuthMode,
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
    #[arg(long, value_enum, default_value = "alert", hide_possible_values = true)]
    rejection: Rejection,
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
    #[arg(long, value_enum, default_value = "both", hide_possible_values = true)]
    tls: TlsVersions,
    /// Serve your own certificate (or chain, or keystore) instead of a seeded profile.
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    cert: Option<PathBuf>,
    /// The private key for --cert, as openssl writes it: PEM `PRIVATE KEY`, `RSA PRIVATE
    /// KEY`, `EC PRIVATE KEY` (with or without `EC PARAMETERS`), `ENCRYPTED PRIVATE KEY`
    /// (with --key-password-env/-file), DER, or a keystore.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Environment variable holding the password of an encrypted --key.
    #[arg(
        long,
        value_name = "VAR",
        requires = "key",
        conflicts_with = "key_password_file"
    )]
    key_password_env: Option<String>,
    /// File whose first line is the password of an encrypted --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    key_password_file: Option<PathBuf>,
    /// Extra chain certificates sent after --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    chain: Option<PathBuf>,
    /// Environment variable holding the password of keystore files given to --cert, --key,
    /// --chain, --trust (default password: `changeit`). Never a plain argument: that would
    /// show in the process list.
    #[arg(
        long = "storepass-env",
        alias = "password-env",
        value_name = "VAR",
        conflicts_with = "password_file"
    )]
    password_env: Option<String>,
    /// File whose first line is that password.
    #[arg(long = "storepass-file", alias = "password-file", value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Address to listen on (with --all: the IP; every profile gets a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Seed of the test PKI.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A simulated "now" (RFC 3339) for client certificate validity and the seeded PKI: a
    /// start time that runs forward. Default: the wall clock (the seeded PKI is then placed
    /// around today).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Key type: p256, p384, rsa2048, rsa3072, rsa4096.
    #[arg(long, default_value = "p256")]
    key_type: String,
    /// Write the test PKI (PEM and DER, with index) into DIR, plus `served.chain.pem` (with
    /// --all: `served-<endpoint>.chain.pem`, and the seeded tenant keystores
    /// `tenant-with-root.p12`, `tenant-without-root.p12` with `storepass.txt`): the chain
    /// exactly as sent.
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
    /// One line per connection on stderr when it closes: peer, SNI, protocol, client chain
    /// subjects, user and status, or the alert sent. `text`, `json` or `off`.
    #[arg(
        long,
        value_enum,
        default_value_t = ConnectionLog::Text,
        value_name = "text|json|off",
        hide_possible_values = true
    )]
    log: ConnectionLog,
    /// Serve the journal (`/__admin/journal`) and the receivers (`/__admin/receivers`) over
    /// plain HTTP on this loopback address, reachable without a client certificate.
    #[arg(long, value_name = "ADDR")]
    admin_listen: Option<SocketAddr>,
    /// Legacy receiver (served by OpenSSL): TLS 1.2 cipher suites cbc-only, rsa-kx-only,
    /// dhe-only, or groups ffdhe-only.
    #[arg(long, value_enum, value_name = "POLICY", hide_possible_values = true)]
    legacy_ciphers: Option<mock_receiver::CipherPolicy>,
    /// Legacy receiver (served by OpenSSL): TLS 1.0 or 1.1 alone (replaces --tls).
    #[arg(long, value_enum, value_name = "1.0|1.1", hide_possible_values = true)]
    legacy_tls: Option<mock_receiver::LegacyVersion>,
    /// Legacy receiver (served by OpenSSL): server key rsa1024, rsa-pss, sha1-chain or
    /// key-encipherment-only, issued under the seeded intermediate (replaces --variant).
    #[arg(
        long,
        value_enum,
        value_name = "KEY",
        conflicts_with = "cert",
        hide_possible_values = true
    )]
    legacy_key: Option<mock_receiver::LegacyServerKey>,
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

/// The binary's own modules (the library is `mock_receiver`): declared after `say!`, which
/// they use.
mod cli {
    pub(crate) mod admin;
    pub(crate) mod all;
    pub(crate) mod banner;
}

use cli::admin;
use cli::banner::{Banner, print_ready};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let error = CliError::Runtime(e);
            return harness::exit::report_error(&error).into();
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
        }
    });
    match result {
        Ok(()) => harness::exit::ExitCode::Success.into(),
        Err(error) => harness::exit::report_error(&error).into(),
    }
}

/// A bad-input error naming the flag it came from.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// A flag whose value could not be used; why comes through the source.
    #[error("{flag}")]
    Flag {
        flag: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A flag whose value is refused, in our words (nothing below to chain).
    #[error("{flag}: {message}")]
    Text { flag: &'static str, message: String },
    #[error("cannot install the signal handler")]
    Signal(#[source] std::io::Error),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

fn flag<E: std::error::Error + Send + Sync + 'static>(
    flag: &'static str,
) -> impl FnOnce(E) -> CliError {
    move |source| CliError::Flag {
        flag,
        source: Box::new(source),
    }
}

/// The password of bring-your-own keystore files: from `--storepass-env`, `--storepass-file`,
/// or `changeit` (keytool's habitual default) when neither is given.
fn keystore_password(args: &Serve) -> Result<Password, CliError> {
    if let Some(var) = &args.password_env {
        return std::env::var(var)
            .map(Password::new)
            .map_err(|_| CliError::Text {
                flag: "--storepass-env",
                message: format!("environment variable `{var}` is not set or not UTF-8"),
            });
    }
    if let Some(file) = &args.password_file {
        let line = harness::file::read_password_file(file).map_err(|source| {
            flag("--storepass-file")(ReceiverError::PasswordFile {
                path: file.clone(),
                source,
            })
        })?;
        return Ok(Password::new(line));
    }
    Ok(Password::new("changeit"))
}

async fn serve(args: Serve) -> Result<(), CliError> {
    let password = keystore_password(&args)?;
    // One clock: the wall clock, or --now as a start time that runs forward. The seeded
    // world is placed around it (the start of today without --now, so a client started
    // today generates the same PKI).
    let start = match &args.now {
        Some(now) => Some(harness::time::parse_rfc3339(now).map_err(flag("--now"))?),
        None => None,
    };
    let clock = Clock::from_flag(start);
    let anchor = start.unwrap_or_else(|| harness::time::world_anchor(clock.now()));
    let mut world_spec = WorldSpec::new(args.seed).now(anchor);
    let key_type: KeyType = args
        .key_type
        .parse()
        .map_err(flag::<harness::pki::PkiError>("--key-type"))?;
    world_spec = world_spec.key_type(key_type);
    let world = World::generate(&world_spec).map_err(|e| flag("--seed")(ReceiverError::Pki(e)))?;
    let (variant, mode, rejection, versions) =
        (args.variant, args.client_auth, args.rejection, args.tls);
    let log = args.log;
    if let Some(addr) = args.admin_listen
        && !addr.ip().is_loopback()
    {
        return Err(CliError::Text {
            flag: "--admin-listen",
            message: format!(
                "`{addr}` is not a loopback address: the journal shows every client's chain, \
                 so it is served on 127.0.0.1 or ::1 only"
            ),
        });
    }
    if args.all {
        return cli::all::serve(&args, &world, clock).await;
    }
    let fault = match &args.fault {
        Some(name) => Some(name.parse::<Fault>().map_err(flag("--fault"))?),
        None => None,
    };

    let mut trust: Vec<CertificateDer<'static>> = Vec::new();
    for path in &args.trust {
        trust.extend(read_certificates(path, &password).map_err(flag("--trust"))?);
    }
    let trust_from = if trust.is_empty() && mode != ClientAuthMode::None {
        trust.push(world.get(harness::pki::Role::ClientRoot).cert().clone());
        "the seeded tenant client root (no --trust given)"
    } else {
        "--trust"
    };
    let banner = Banner {
        clock,
        trust_from: (mode != ClientAuthMode::None).then_some(trust_from),
        trust_subjects: trust
            .iter()
            .map(|c| {
                harness::cert::CertInfo::from_der(c.as_ref())
                    .map(|i| i.subject)
                    .unwrap_or_else(|_| "(unreadable certificate)".into())
            })
            .collect(),
    };
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
        harness::pki::write_dir(&world, dir, args.force)
            .map_err(|e| flag("--pki-dir")(ReceiverError::Pki(e)))?;
    }

    // One receiver (`--all` returned above, serving the catalogue).
    let profiles: Vec<TrustProfile> = vec![args.profile];
    let server_key = match &args.key {
        Some(path) => Some((path.as_path(), read_key(path, &args, &password)?)),
        None => None,
    };
    let mut running: Vec<(String, TrustProfile, RunningReceiver)> = Vec::new();
    for profile in &profiles {
        let identity = match &args.cert {
            Some(cert) => ServerIdentity::from_files_with_key(
                cert,
                server_key.clone(),
                args.chain.as_deref(),
                &password,
            )
            .map_err(|e| {
                // A key that does not match the certificate is either flag's fault: name both.
                let name = match (&e, &args.key) {
                    (ReceiverError::KeyMismatch { .. }, Some(_)) => "--cert/--key",
                    _ => "--cert",
                };
                flag::<ReceiverError>(name)(e)
            })?,
            None => {
                ServerIdentity::from_world(&world, *profile, variant).map_err(flag("--profile"))?
            }
        };
        let timeouts = mock_receiver::Timeouts {
            stall: Duration::from_secs(args.stall_seconds),
            ..Default::default()
        };
        let mut spec = ReceiverSpec::new(identity)
            .clock(clock)
            .versions(versions)
            .client_auth(client_auth.clone())
            .users(users.clone())
            .timeouts(timeouts)
            .log(log)
            .journal_limit(usize::try_from(args.journal_limit).unwrap_or(usize::MAX))
            .listen(args.listen);
        if let Some(fault) = fault {
            spec = spec.fault(fault);
        }
        let legacy = mock_receiver::Legacy {
            ciphers: args.legacy_ciphers,
            version: args.legacy_tls,
            server_key: args.legacy_key,
        };
        if legacy.is_active() {
            spec = spec
                .with_legacy(&world, *profile, legacy)
                .map_err(flag("--legacy-key"))?;
        }
        let label = spec.identity.label.clone();
        if let Some(dir) = &args.pki_dir {
            // Exactly what goes on the wire, beside the PKI it came from.
            let name = "served.chain.pem";
            let pem = harness::cert::certs_to_pem(&spec.identity.chain);
            harness::file::write_atomic(&dir.join(name), pem.as_bytes()).map_err(|source| {
                flag("--pki-dir")(ReceiverError::Write {
                    path: dir.join(name),
                    source,
                })
            })?;
        }
        let receiver = Receiver::start(spec).await.map_err(|e| {
            let name = match (&e, &args.cert) {
                (ReceiverError::Bind { .. }, _) => "--listen",
                (ReceiverError::Tls { .. }, _) if legacy.is_active() => "--legacy-*",
                (_, Some(_)) => "--cert",
                (_, None) => "--profile",
            };
            flag::<ReceiverError>(name)(e)
        })?;
        running.push((label, *profile, receiver));
    }

    let admin = match args.admin_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| flag("--admin-listen")(ReceiverError::Bind { addr, source }))?;
            let bound = listener.local_addr().ok();
            let catalogue = Arc::new(admin::Catalogue {
                receivers: running
                    .iter()
                    .map(|(label, profile, receiver)| admin::Entry {
                        profile: profile.name(),
                        identity: label.clone(),
                        address: receiver.addr().to_string(),
                        journal: receiver.journal().clone(),
                        listed: None,
                    })
                    .collect(),
                clock: banner.clock,
                trust_from: banner.trust_from,
                trust_subjects: banner.trust_subjects.clone(),
                pki_dir: None,
            });
            Some((bound, tokio::spawn(admin::serve(listener, catalogue))))
        }
        None => None,
    };

    let signals = harness::exit::Signals::install().map_err(CliError::Signal)?;
    print_ready(&args, mode, &running, &banner);
    if let Some((Some(addr), _)) = &admin {
        if args.json {
            say!(
                "{}",
                serde_json::json!({"version": 1, "event": "admin", "address": addr.to_string(), "journal": format!("http://{addr}/__admin/journal")})
            );
        } else {
            say!("admin (plain HTTP, no client certificate): http://{addr}/__admin/journal");
        }
    }

    signals.wait().await;
    if let Some((_, task)) = admin {
        task.abort();
    }
    for (_, _, receiver) in running {
        // A receiver that does not stop in time is closed by dropping it; exit anyway.
        let _ = receiver.shutdown().await;
    }
    Ok(())
}

/// Reads `--key` as openssl writes it; keystores through the keystore password. Errors
/// name `--key` (or the key password flag) and the real reason.
fn read_key(
    path: &Path,
    args: &Serve,
    store_password: &Password,
) -> Result<harness::secret::PrivateKey, CliError> {
    let key_password = match (&args.key_password_env, &args.key_password_file) {
        (Some(var), _) => {
            Some(
                std::env::var(var)
                    .map(Password::new)
                    .map_err(|_| CliError::Text {
                        flag: "--key-password-env",
                        message: format!("environment variable `{var}` is not set or not UTF-8"),
                    })?,
            )
        }
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|source| {
                flag("--key-password-file")(ReceiverError::Read {
                    path: file.clone(),
                    source,
                })
            })?;
            Some(Password::new(text.lines().next().unwrap_or_default()))
        }
        (None, None) => None,
    };
    let bytes = std::fs::read(path).map_err(|source| {
        flag("--key")(ReceiverError::Read {
            path: path.to_owned(),
            source,
        })
    })?;
    use harness::keystore::Format;
    let format = harness::keystore::detect_format(&bytes);
    let from_keystore = || {
        ServerIdentity::from_files(path, None, None, store_password)
            .map(|identity| identity.key)
            .map_err(flag("--key"))
    };
    if matches!(format, Ok(Format::Jks | Format::Jceks)) {
        return from_keystore();
    }
    // A DER PKCS#8 key and a PKCS#12 file both start with a SEQUENCE and an INTEGER: try the
    // key first, then the keystore.
    let key = harness::keystore::read_private_key(&bytes, key_password.as_ref());
    if key.is_err() && matches!(format, Ok(Format::Pkcs12)) {
        return from_keystore();
    }
    key.map_err(|source| {
        let wrong = matches!(
            source,
            harness::keystore::ErrorKind::WrongKeyPassword { .. }
                | harness::keystore::ErrorKind::WrongKeyFilePassword
        );
        let name = match (&args.key_password_env, &args.key_password_file, wrong) {
            (Some(_), _, true) => "--key-password-env",
            (_, Some(_), true) => "--key-password-file",
            _ => "--key",
        };
        flag(name)(ReceiverError::KeyFile {
            path: path.to_owned(),
            source,
        })
    })
}

fn split_mapping(text: &str) -> Result<(&str, &str), ReceiverError> {
    match text.rsplit_once('=') {
        Some((left, user)) if !left.is_empty() && !user.is_empty() => Ok((left, user)),
        _ => Err(ReceiverError::BadMapping {
            text: text.to_owned(),
            reason: "expected `FILE=USER` (or `DN=USER`)",
        }),
    }
}
