//! `serve --all`: every endpoint of the catalogue on its own port in one process (one
//! runtime, one world), the seeded tenant keystores beside the PKI, a table or one JSON
//! ready line, and the landing page on the admin listener.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use harness::pki::{Role, World};
use harness::secret::Password;
use harness::time::Clock;
use mock_receiver::catalogue::{self, CLIENT_ALIAS, Endpoint, ROOT_ALIAS, TenantKeystore};
use mock_receiver::{Receiver, ReceiverError, RunningReceiver};

use crate::cli::admin;
use crate::{CliError, Serve, flag};

/// The store password of the tenant keystores `serve --all` writes (keytool's customary
/// default, as `client.p12`'s: a test PKI, not a secret). It is written to
/// [`STOREPASS_FILE`] so commands name the file, never the password.
const TENANT_PASSWORD: &str = harness::pki::CLIENT_P12_PASSWORD;

/// The file holding [`TENANT_PASSWORD`] beside the tenant keystores.
const STOREPASS_FILE: &str = "storepass.txt";

/// One endpoint, started.
pub(crate) struct Started {
    pub(crate) endpoint: Endpoint,
    pub(crate) receiver: RunningReceiver,
    /// `harness connect` with the tenant keystore with the root, then without.
    pub(crate) commands: [String; 2],
}

/// Where the PKI and the tenant keystores are: `--pki-dir`, or a directory of this process
/// under the temp dir, removed at shutdown.
struct PkiDir {
    path: PathBuf,
    temporary: bool,
}

impl Drop for PkiDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

pub(crate) async fn serve(args: &Serve, world: &World, clock: Clock) -> Result<(), CliError> {
    let pki = match &args.pki_dir {
        Some(dir) => PkiDir {
            path: dir.clone(),
            temporary: false,
        },
        None => PkiDir {
            path: std::env::temp_dir().join(format!("mock-receiver-all-{}", std::process::id())),
            temporary: true,
        },
    };
    harness::pki::write_dir(world, &pki.path, args.force || pki.temporary)
        .map_err(|e| flag("--pki-dir")(ReceiverError::Pki(e)))?;
    write_tenant_keystores(world, &pki.path)?;

    let ip = args.listen.ip();
    let host = connect_host(ip);
    let host_is_dns = host == "localhost";
    let timeouts = mock_receiver::Timeouts {
        stall: Duration::from_secs(args.stall_seconds),
        ..Default::default()
    };
    let mut started = Vec::new();
    for endpoint in catalogue::catalogue() {
        let spec = endpoint
            .spec(world)
            .map_err(flag::<ReceiverError>("--all"))?
            .clock(clock)
            .timeouts(timeouts)
            .log(args.log)
            .journal_limit(usize::try_from(args.journal_limit).unwrap_or(usize::MAX))
            .listen(SocketAddr::new(ip, 0));
        let chain_file = pki.path.join(format!("served-{}.chain.pem", endpoint.name));
        let pem = harness::cert::certs_to_pem(&spec.identity.chain);
        harness::file::write_atomic(&chain_file, pem.as_bytes()).map_err(|source| {
            flag("--pki-dir")(ReceiverError::Write {
                path: chain_file.clone(),
                source,
            })
        })?;
        let receiver = Receiver::start(spec)
            .await
            .map_err(flag::<ReceiverError>("--listen"))?;
        let commands = TenantKeystore::ALL.map(|keystore| {
            connect_command(
                &host,
                receiver.addr().port(),
                &pki.path,
                keystore,
                &endpoint,
                args,
            )
        });
        started.push(Started {
            endpoint,
            receiver,
            commands,
        });
    }

    let admin_addr = args
        .admin_listen
        .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
    let listener = tokio::net::TcpListener::bind(admin_addr)
        .await
        .map_err(|source| {
            flag("--admin-listen")(ReceiverError::Bind {
                addr: admin_addr,
                source,
            })
        })?;
    let admin_bound = listener.local_addr().map_err(|source| {
        flag("--admin-listen")(ReceiverError::Bind {
            addr: admin_addr,
            source,
        })
    })?;
    let entries = started
        .iter()
        .map(|s| admin::Entry {
            profile: s.endpoint.profile.name(),
            identity: s.endpoint.name.to_owned(),
            address: s.receiver.addr().to_string(),
            journal: s.receiver.journal().clone(),
            listed: Some(admin::Listed {
                endpoint: s.endpoint.clone(),
                expected: TenantKeystore::ALL.map(|k| s.endpoint.expected(k, host_is_dns)),
                commands: s.commands.clone(),
            }),
        })
        .collect();
    let page_catalogue = Arc::new(admin::Catalogue {
        receivers: entries,
        clock,
        trust_from: Some("per endpoint: the tenant client root or an unrelated root, as listed"),
        trust_subjects: Vec::new(),
        pki_dir: Some(pki.path.display().to_string()),
    });
    let admin_task = tokio::spawn(admin::serve(listener, page_catalogue));

    let signals = harness::exit::Signals::install().map_err(CliError::Signal)?;
    print_ready(args, &started, &pki.path, admin_bound, clock, host_is_dns);

    signals.wait().await;
    admin_task.abort();
    for s in started {
        // A receiver that does not stop in time is closed by dropping it; exit anyway.
        let _ = s.receiver.shutdown().await;
    }
    drop(pki);
    Ok(())
}

/// The host `harness connect` is pointed at: `localhost` for a loopback listener (a DNS name,
/// as CPI's receivers have), the IP otherwise.
fn connect_host(ip: IpAddr) -> String {
    match ip {
        ip if ip.is_loopback() => "localhost".to_owned(),
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// Writes the seeded tenant keystores (PKCS#12): `cpi_client` with its full chain, with and
/// without `backend_root`, and the password file naming their password.
fn write_tenant_keystores(world: &World, dir: &Path) -> Result<(), CliError> {
    let passwords = Passwords::new(Password::new(TENANT_PASSWORD));
    let now = world.spec().now;
    let client = world.get(Role::Client);
    let write = |path: PathBuf, bytes: &[u8]| {
        harness::file::write_atomic(&path, bytes)
            .map_err(|source| flag("--pki-dir")(ReceiverError::Write { path, source }))
    };
    let keystore_error = |path: &Path, e: harness::keystore::ErrorKind| {
        flag("--pki-dir")(ReceiverError::KeyFile {
            path: path.to_owned(),
            source: e,
        })
    };
    for keystore in TenantKeystore::ALL {
        let path = dir.join(keystore.file_name());
        let mut store = Keystore::new(Format::Pkcs12);
        if keystore == TenantKeystore::WithRoot {
            store
                .insert(Entry {
                    alias: ROOT_ALIAS.to_owned(),
                    created: now,
                    kind: EntryKind::TrustedCertificate(
                        world.get(Role::ReceiverRoot).cert().clone(),
                    ),
                })
                .map_err(|e| keystore_error(&path, e))?;
        }
        store
            .insert(Entry {
                alias: CLIENT_ALIAS.to_owned(),
                created: now,
                kind: EntryKind::KeyPair {
                    key: KeyMaterial::plain(client.key().private_key().clone()),
                    chain: client.full_chain(),
                },
            })
            .map_err(|e| keystore_error(&path, e))?;
        let bytes = store.to_bytes(Format::Pkcs12, &passwords).map_err(|e| {
            flag("--pki-dir")(ReceiverError::Keystore {
                path: path.clone(),
                source: Box::new(e),
            })
        })?;
        write(path, &bytes)?;
    }
    write(
        dir.join(STOREPASS_FILE),
        format!("{TENANT_PASSWORD}\n").as_bytes(),
    )
}

/// A path as one shell word.
fn shell_word(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:+=,@".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The `harness connect` command that shows CPI's outcome for `keystore`: validation on,
/// "Authenticate with Client Certificate" with the alias empty.
fn connect_command(
    host: &str,
    port: u16,
    dir: &Path,
    keystore: TenantKeystore,
    endpoint: &Endpoint,
    args: &Serve,
) -> String {
    let mut command = format!(
        "harness connect {host}:{port} --keystore {} --storepass-file {}",
        shell_word(&dir.join(keystore.file_name()).display().to_string()),
        shell_word(&dir.join(STOREPASS_FILE).display().to_string()),
    );
    if let Some(now) = &args.now {
        command.push_str(&format!(" --now {}", shell_word(now)));
    }
    if endpoint.fault.is_some_and(mock_receiver::Fault::waits) {
        command.push_str(" --timeout 5");
    }
    command.push_str(" --client-cert");
    command
}

fn print_ready(
    args: &Serve,
    started: &[Started],
    pki_dir: &Path,
    admin: SocketAddr,
    clock: Clock,
    host_is_dns: bool,
) {
    let page = format!("http://{admin}/");
    if args.json {
        let receivers: Vec<_> = started
            .iter()
            .map(|s| {
                let e = &s.endpoint;
                let [with, without] =
                    TenantKeystore::ALL.map(|k| serde_json::to_value(e.expected(k, host_is_dns)));
                serde_json::json!({
                    "name": e.name,
                    "group": e.group.name(),
                    "summary": e.summary,
                    "profile": e.profile.name(),
                    "variant": e.variant.name(),
                    "tls": e.tls.name(),
                    "address": s.receiver.addr().to_string(),
                    "sends": e.sends(),
                    "client_must_trust": e.client_must_trust(),
                    "client_certificate": e.wants_client_certificate(),
                    "ca_names": (e.client_auth != mock_receiver::ClientAuthMode::None)
                        .then(|| e.ca_names_text()),
                    "client_trust": (e.client_auth != mock_receiver::ClientAuthMode::None)
                        .then(|| e.client_trust_text()),
                    "fault": e.fault_name(),
                    "expected": {
                        "with_root": with.unwrap_or_default(),
                        "without_root": without.unwrap_or_default(),
                    },
                    "connect": {
                        "with_root": s.commands[0],
                        "without_root": s.commands[1],
                    },
                    "journal": format!("http://{admin}/__admin/journal/{}", e.name),
                })
            })
            .collect();
        let ready = serde_json::json!({
            "version": 1,
            "event": "ready",
            "address": started.first().map(|s| s.receiver.addr().to_string()),
            "receivers": receivers,
            "pki_dir": pki_dir,
            "tenant_keystores": {
                "with_root": pki_dir.join(TenantKeystore::WithRoot.file_name()),
                "without_root": pki_dir.join(TenantKeystore::WithoutRoot.file_name()),
                "storepass_file": pki_dir.join(STOREPASS_FILE),
            },
            "landing_page": page,
            "clock": clock.label(),
            "now": harness::time::format_rfc3339(clock.now()),
        });
        say!("{ready}");
        say!(
            "{}",
            serde_json::json!({"version": 1, "event": "admin", "address": admin.to_string(), "journal": format!("http://{admin}/__admin/journal"), "landing_page": page})
        );
        return;
    }
    let width = started
        .iter()
        .map(|s| s.endpoint.name.len())
        .max()
        .unwrap_or(8);
    say!(
        "{:<width$}  {:<21}  {:<8}  {:<24}  {:<28}  {:<38}  sends; client must trust",
        "endpoint",
        "address",
        "cert",
        "fault",
        "CPI with root",
        "CPI without root",
    );
    for s in started {
        let e = &s.endpoint;
        let [with, without] = TenantKeystore::ALL.map(|k| e.expected(k, host_is_dns).to_string());
        say!(
            "{:<width$}  {:<21}  {:<8}  {:<24}  {:<28}  {:<38}  {}; {}",
            e.name,
            s.receiver.addr().to_string(),
            e.wants_client_certificate(),
            e.fault_name().unwrap_or_else(|| "-".into()),
            with,
            without,
            e.sends(),
            e.client_must_trust(),
        );
    }
    say!(
        "{} endpoints; tenant keystores (key pair `{CLIENT_ALIAS}`, with and without `{ROOT_ALIAS}`) in {}",
        started.len(),
        pki_dir.display()
    );
    say!(
        "clock: {}; {}",
        clock.describe(clock.now()),
        harness::time::CLOCK_RULE
    );
    say!("landing page (plain HTTP, no client certificate): {page}");
}
