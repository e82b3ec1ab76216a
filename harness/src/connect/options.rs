//! What the connectivity test is asked to do: CPI's form fields plus the harness's own.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rustls_pki_types::ServerName;
use serde::Serialize;

use super::ConnectError;

/// The receiver: host (no scheme, as CPI asks for it) and port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    /// A DNS name or an IP address.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

impl Target {
    /// CPI's default port.
    pub const DEFAULT_PORT: u16 = 443;

    /// A target from a host and port; the host must be a DNS name or an IP address.
    pub fn new(host: &str, port: u16) -> Result<Self, ConnectError> {
        let bad = |reason: &str| ConnectError::BadTarget {
            text: host.to_owned(),
            reason: reason.to_owned(),
        };
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        if host.contains("://") {
            return Err(bad(
                "give the host without a scheme (CPI's field takes no `https://`)",
            ));
        }
        if port == 0 {
            return Err(bad("port 0"));
        }
        ServerName::try_from(host).map_err(|_| bad("not a DNS name or IP address"))?;
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }

    /// The host as rustls' server name (DNS name or IP address).
    ///
    /// `new` checked this, but the fields are public: a host changed afterwards is refused
    /// here with the same error as in `new`.
    pub(crate) fn server_name(&self) -> Result<ServerName<'static>, ConnectError> {
        ServerName::try_from(self.host.clone()).map_err(|_| ConnectError::BadTarget {
            text: self.host.clone(),
            reason: "not a DNS name or IP address".to_owned(),
        })
    }
}

impl FromStr for Target {
    type Err = ConnectError;

    /// Parses `HOST`, `HOST:PORT`, `[IPV6]:PORT` or a bare IPv6 address.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| ConnectError::BadTarget {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        if text.contains("://") {
            return Err(bad(
                "give the host without a scheme (CPI's field takes no `https://`)",
            ));
        }
        if text.contains('/') {
            return Err(bad("give host and port only, no path"));
        }
        let parse_port = |p: &str| -> Result<u16, ConnectError> {
            match p.parse::<u16>() {
                Ok(0) | Err(_) => Err(bad(&format!("`{p}` is not a port (1 to 65535)"))),
                Ok(port) => Ok(port),
            }
        };
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| bad("unclosed `[` in an IPv6 address"))?;
            let port = match after {
                "" => Self::DEFAULT_PORT,
                _ => parse_port(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("expected `:PORT` after `]`"))?,
                )?,
            };
            (host, port)
        } else if text.matches(':').count() > 1 {
            (text, Self::DEFAULT_PORT)
        } else if let Some((host, port)) = text.split_once(':') {
            (host, parse_port(port)?)
        } else {
            (text, Self::DEFAULT_PORT)
        };
        Target::new(host, port).map_err(|e| match e {
            ConnectError::BadTarget { reason, .. } => bad(&reason),
            other => other,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// "Validate Server Certificate Required".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validation {
    /// On (CPI's default): the chain must reach a trusted certificate and name the host.
    Required,
    /// Off: any server certificate is accepted; what validation would have said is still
    /// recorded. Construct it with [`Validation::dangerous_off`].
    DangerousOff,
}

impl Validation {
    /// Turns server certificate validation off, as CPI's checkbox does. Anyone can then
    /// impersonate the receiver: use it to look at a chain, never to trust one.
    pub fn dangerous_off() -> Self {
        Validation::DangerousOff
    }
}

/// "Authenticate with Client Certificate".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode", content = "alias")]
pub enum ClientCertificate {
    /// Unchecked: never send a client certificate.
    Off,
    /// Checked with an alias: send that key pair whenever the server asks.
    Alias(String),
    /// Checked with the alias empty: choose among the key pairs whose chain fits the CA names
    /// the server's CertificateRequest sends.
    Automatic(Policy),
}

/// How the automatic choice picks among fitting key pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "policy")]
pub enum Policy {
    /// The first fitting alias in keystore order (the article's description).
    FirstFitting,
    /// One of the fitting aliases at random, from a seed (the current CPI help: "a random
    /// key pair among those that fit").
    RandomFitting {
        /// The seed of the choice; the same seed picks the same alias.
        seed: u64,
    },
}

/// A TLS protocol version, in Java's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum TlsVersion {
    /// TLS 1.0 (disabled in Java 17 by default; reachable when a tenant enables it).
    #[serde(rename = "TLSv1")]
    Tls10,
    /// TLS 1.1 (disabled in Java 17 by default).
    #[serde(rename = "TLSv1.1")]
    Tls11,
    /// TLS 1.2.
    #[serde(rename = "TLSv1.2")]
    Tls12,
    /// TLS 1.3.
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls10 => "TLSv1",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        })
    }
}

impl FromStr for TlsVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "1.0" | "1" | "tlsv1" | "tlsv1.0" | "tls1.0" => Ok(TlsVersion::Tls10),
            "1.1" | "tlsv1.1" | "tls1.1" => Ok(TlsVersion::Tls11),
            "1.2" | "tlsv1.2" | "tls1.2" => Ok(TlsVersion::Tls12),
            "1.3" | "tlsv1.3" | "tls1.3" => Ok(TlsVersion::Tls13),
            other => Err(format!(
                "unknown TLS version `{other}` (expected 1.0, 1.1, 1.2 or 1.3)"
            )),
        }
    }
}

/// Where "now" comes from for validity checks (see [`crate::time::Clock`]).
pub use crate::time::Clock;

/// Everything one connectivity test needs besides the trust source.
#[derive(Clone, Debug)]
pub struct Options {
    /// Host and port.
    pub target: Target,
    /// Server certificate validation on or off.
    pub validation: Validation,
    /// Whether and how a client certificate is sent.
    pub client_certificate: ClientCertificate,
    /// The name sent as SNI, when it differs from the host (IP hosts send none by default).
    pub sni: Option<String>,
    /// "Now" for certificate validity.
    pub clock: Clock,
    /// The TCP connect timeout.
    pub connect_timeout: Duration,
    /// The TLS handshake timeout.
    pub handshake_timeout: Duration,
    /// How long to wait for the server's answer to `GET /`.
    pub read_timeout: Duration,
    /// The lowest TLS version offered.
    pub min_version: TlsVersion,
    /// The highest TLS version offered.
    pub max_version: TlsVersion,
    /// Connect to this address instead of resolving the host (as curl's `--resolve`): the
    /// host still names the receiver for SNI and host-name checks. The differential test uses
    /// it for dotted host names that no resolver here knows.
    pub connect_to: Option<std::net::IpAddr>,
    /// The host's addresses when the caller has resolved them already
    /// ([`Options::resolve_now`]); `None`: the test resolves the host itself, within the
    /// connect timeout. `Err` holds the resolver's reason (reported as `unknown-host`).
    pub resolved: Option<Result<Vec<std::net::SocketAddr>, String>>,
    /// Which Java key manager chooses the client certificate when the alias is empty.
    pub key_manager: super::KeyManagerKind,
}

impl Options {
    /// CPI's defaults for `target`: validation on, no client certificate, TLS 1.2 to 1.3,
    /// 10 s timeouts, the wall clock.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            validation: Validation::Required,
            client_certificate: ClientCertificate::Off,
            sni: None,
            clock: Clock::System,
            connect_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            connect_to: None,
            resolved: None,
            key_manager: super::KeyManagerKind::Pkix,
        }
    }

    /// Resolves the host now, on this thread, through the system resolver (as Java's
    /// `InetAddress.getByName` does before it connects: bounded by the resolver's own
    /// timeouts, not by the connect timeout). For a process that runs one test: handing the
    /// lookup to a resolver thread (what the test does otherwise, so a runtime's workers
    /// never block) costs more than the lookup itself, about 0.4 ms of a ~7 ms `harness
    /// connect` on these machines (cross-CPU wake-ups). Does nothing when `connect_to` is
    /// set.
    pub fn resolve_now(&mut self) {
        use std::net::ToSocketAddrs as _;
        if self.connect_to.is_some() {
            return;
        }
        let found = (self.target.host.as_str(), self.target.port).to_socket_addrs();
        self.resolved = Some(
            found
                .map(|addresses| addresses.collect())
                .map_err(|e| super::failure::io_text(&e)),
        );
    }

    /// Sets one timeout for connect, handshake and read.
    pub fn timeouts(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self.handshake_timeout = timeout;
        self.read_timeout = timeout;
        self
    }
}
