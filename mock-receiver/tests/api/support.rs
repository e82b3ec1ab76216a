//! A rustls client for the tests: real handshakes, one HTTP request, every wait bounded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use harness::pki::{Issued, Role, World, WorldSpec};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every network wait in the tests is bounded by this.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// The seed-1 P-256 world, generated once per test process.
pub(crate) fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::generate(&WorldSpec::new(1)).expect("world generates"))
}

pub(crate) fn cert(role: Role) -> CertificateDer<'static> {
    world().get(role).cert().clone()
}

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

#[derive(Debug)]
struct Fixed(UnixTime);

impl rustls::time_provider::TimeProvider for Fixed {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.0)
    }
}

/// Records the CA names of the CertificateRequest and answers with the configured key.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    key: Option<Arc<CertifiedKey>>,
    pub(crate) hints: Mutex<Option<Vec<Vec<u8>>>>,
}

impl ResolvesClientCert for Resolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        *self.hints.lock().unwrap() = Some(root_hint_subjects.iter().map(|h| h.to_vec()).collect());
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// How the test client connects.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub(crate) trust: Vec<CertificateDer<'static>>,
    pub(crate) identity: Option<Role>,
    pub(crate) versions: &'static [&'static rustls::SupportedProtocolVersion],
    pub(crate) server_name: &'static str,
    pub(crate) timeout: Duration,
}

impl Client {
    pub(crate) fn trusting(roles: &[Role]) -> Self {
        Self {
            trust: roles.iter().map(|r| cert(*r)).collect(),
            identity: None,
            versions: rustls::ALL_VERSIONS,
            server_name: "localhost",
            timeout: WAIT,
        }
    }

    pub(crate) fn with_cert(mut self, role: Role) -> Self {
        self.identity = Some(role);
        self
    }

    pub(crate) fn versions(
        mut self,
        versions: &'static [&'static rustls::SupportedProtocolVersion],
    ) -> Self {
        self.versions = versions;
        self
    }

    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What one connection attempt gave.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
    /// The CA names of the CertificateRequest, when one arrived.
    pub(crate) hints: Option<Vec<Vec<u8>>>,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Where a connection attempt failed.
#[derive(Debug)]
pub(crate) enum Failure {
    #[expect(dead_code, reason = "read through Debug in assertion messages")]
    Connect(std::io::ErrorKind),
    ConnectTimeout,
    Handshake(String),
    HandshakeTimeout,
    /// After the handshake: the request or response failed (TLS 1.3 client-auth alerts).
    Exchange(String),
    ExchangeTimeout,
}

fn issued(role: Role) -> &'static Issued {
    world().get(role)
}

/// Connects, sends `GET /check`, reads the whole answer.
pub(crate) async fn request(addr: SocketAddr, client: &Client) -> Result<Reply, Failure> {
    let provider = provider();
    let now = world().spec().now.unix_timestamp() as u64;
    let mut roots = RootCertStore::empty();
    for cert in &client.trust {
        roots.add(cert.clone()).unwrap();
    }
    let resolver = Arc::new(Resolver {
        key: client.identity.map(|role| {
            let issued = issued(role);
            let key = provider
                .key_provider
                .load_private_key(issued.key().private_key().to_rustls())
                .unwrap();
            Arc::new(CertifiedKey::new(issued.chain(), key))
        }),
        hints: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_details(
        provider,
        Arc::new(Fixed(UnixTime::since_unix_epoch(Duration::from_secs(now)))),
    )
    .with_protocol_versions(client.versions)
    .unwrap()
    .with_root_certificates(roots)
    .with_client_cert_resolver(resolver.clone());
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = match tokio::time::timeout(client.timeout, TcpStream::connect(addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return Err(Failure::Connect(e.kind())),
        Err(_) => return Err(Failure::ConnectTimeout),
    };
    let name = ServerName::try_from(client.server_name).unwrap();
    let mut tls = match tokio::time::timeout(client.timeout, connector.connect(name, tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return Err(Failure::Handshake(error_text(&e))),
        Err(_) => return Err(Failure::HandshakeTimeout),
    };
    let exchange = async {
        tls.write_all(b"GET /check HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await?;
        Ok::<_, std::io::Error>(out)
    };
    let raw = match tokio::time::timeout(client.timeout, exchange).await {
        Ok(Ok(raw)) => raw,
        Ok(Err(e)) => return Err(Failure::Exchange(error_text(&e))),
        Err(_) => return Err(Failure::ExchangeTimeout),
    };
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    let hints = resolver.hints.lock().unwrap().clone();
    Ok(Reply {
        status,
        body,
        hints,
    })
}

/// rustls' error inside an io::Error, as Debug text (`InvalidCertificate(UnknownIssuer)`).
pub(crate) fn error_text(error: &std::io::Error) -> String {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => format!("{tls:?}"),
        None => format!("{:?}: {error}", error.kind()),
    }
}

/// File descriptors open in this process (Linux).
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A real ClientHello as the test client sends it.
pub(crate) fn client_hello() -> Vec<u8> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

/// GET `path` from a receiver trusting its root; returns the body.
pub(crate) async fn request_path(addr: SocketAddr, path: &str) -> String {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates({
            let mut roots = RootCertStore::empty();
            roots.add(cert(Role::ReceiverRoot)).unwrap();
            roots
        })
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let io = async {
        let tcp = TcpStream::connect(addr).await?;
        let mut tls = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await?;
        tls.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await?;
        Ok::<_, std::io::Error>(out)
    };
    let raw = tokio::time::timeout(WAIT, io).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// A completed TLS handshake trusting the receiver root, nothing sent yet.
pub(crate) async fn handshake_only(addr: SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates({
            let mut roots = RootCertStore::empty();
            roots.add(cert(Role::ReceiverRoot)).unwrap();
            roots
        })
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let io = async {
        let tcp = TcpStream::connect(addr).await?;
        connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
    };
    tokio::time::timeout(WAIT, io).await.unwrap().unwrap()
}

pub(crate) const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
pub(crate) const TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
