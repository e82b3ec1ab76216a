//! What a receiver is started from: identity, client authentication, user mapping, fault.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use harness::alert::TlsAlert;
use harness::cert::{CertInfo, fingerprint_sha256};
use harness::pki::World;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::error::ReceiverError;
use crate::profile::{ServerIdentity, ServerVariant, TrustProfile};

/// Everything a receiver is started from. Build one with [`ReceiverSpec::new`] or
/// [`ReceiverSpec::profile`] and the setters, then [`Receiver::start`](crate::Receiver::start).
#[derive(Clone, Debug)]
pub struct ReceiverSpec {
    /// Where to listen; `127.0.0.1:0` (a free port) by default.
    pub listen: SocketAddr,
    /// The chain and key served.
    pub identity: ServerIdentity,
    /// The "now" client certificates are validated at, when [`ReceiverSpec::clock`] is fixed
    /// (the start of a running clock otherwise).
    pub now: OffsetDateTime,
    /// The clock that validates client certificates: fixed at [`ReceiverSpec::now`] by
    /// default (scenarios, tests); the command line uses the wall clock, or `--now` running
    /// forward.
    pub clock: harness::time::Clock,
    /// The TLS versions offered.
    pub versions: TlsVersions,
    /// Client authentication.
    pub client_auth: ClientAuth,
    /// Client certificate -> technical user.
    pub users: UserMap,
    /// A fault to reproduce instead of (or inside) a normal handshake.
    pub fault: Option<Fault>,
    /// A timeout for every phase.
    pub timeouts: Timeouts,
    /// One line per connection on stderr when it closes (off by default).
    pub log: crate::receiver::ConnectionLog,
    /// How many connections the journal keeps (the most recent; at least 1; default
    /// [`crate::Journal::CAPACITY`], 10,000).
    pub journal_limit: usize,
    /// Legacy TLS settings; any of them set makes OpenSSL serve the receiver instead of
    /// rustls (see [`crate::Legacy`]). None by default.
    pub legacy: crate::legacy::Legacy,
}

impl ReceiverSpec {
    /// A receiver serving `identity`, with no client authentication, at the default "now".
    pub fn new(identity: ServerIdentity) -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            identity,
            now: harness::time::DEFAULT_NOW,
            clock: harness::time::Clock::Fixed(harness::time::DEFAULT_NOW),
            versions: TlsVersions::Both,
            client_auth: ClientAuth::none(),
            users: UserMap::default(),
            fault: None,
            timeouts: Timeouts::default(),
            log: crate::receiver::ConnectionLog::Off,
            journal_limit: crate::Journal::CAPACITY,
            legacy: crate::legacy::Legacy::default(),
        }
    }

    /// A receiver serving `profile` (valid server certificate) from `world`, at the world's
    /// "now".
    pub fn profile(world: &World, profile: TrustProfile) -> Result<Self, ReceiverError> {
        Self::variant(world, profile, ServerVariant::Valid)
    }

    /// A receiver serving `profile` with a server certificate `variant` from `world`.
    pub fn variant(
        world: &World,
        profile: TrustProfile,
        variant: ServerVariant,
    ) -> Result<Self, ReceiverError> {
        let identity = ServerIdentity::from_world(world, profile, variant)?;
        Ok(Self::new(identity).now(world.spec().now))
    }

    /// Sets the listen address.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Sets a fixed simulated "now".
    pub fn now(mut self, now: OffsetDateTime) -> Self {
        self.now = now;
        self.clock = harness::time::Clock::Fixed(now);
        self
    }

    /// Sets the clock client certificates are validated at (the wall clock, or a simulated
    /// start that runs forward).
    pub fn clock(mut self, clock: harness::time::Clock) -> Self {
        self.now = clock.now();
        self.clock = clock;
        self
    }

    /// Sets the TLS versions.
    pub fn versions(mut self, versions: TlsVersions) -> Self {
        self.versions = versions;
        self
    }

    /// Sets client authentication.
    pub fn client_auth(mut self, client_auth: ClientAuth) -> Self {
        self.client_auth = client_auth;
        self
    }

    /// Sets the user mapping.
    pub fn users(mut self, users: UserMap) -> Self {
        self.users = users;
        self
    }

    /// Sets a fault.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// Sets the timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Logs one line per connection on stderr.
    pub fn log(mut self, log: crate::receiver::ConnectionLog) -> Self {
        self.log = log;
        self
    }

    /// Sets how many connections the journal keeps (at least 1).
    pub fn journal_limit(mut self, limit: usize) -> Self {
        self.journal_limit = limit.max(1);
        self
    }

    /// Sets the legacy TLS settings; a legacy server key replaces the identity with
    /// `profile`'s chain of that key from `world` (the server certificate variant is then
    /// the valid one).
    pub fn with_legacy(
        mut self,
        world: &World,
        profile: TrustProfile,
        legacy: crate::legacy::Legacy,
    ) -> Result<Self, ReceiverError> {
        if let Some(key) = legacy.server_key {
            self.identity = crate::legacy::legacy_identity(world, profile, key)?;
        }
        self.legacy = legacy;
        Ok(self)
    }
}

/// The TLS versions a receiver offers (`--tls`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3.
    #[default]
    Both,
    /// TLS 1.2 only (a client that insists on 1.3 gets `protocol_version`).
    #[value(name = "tls12", alias = "1.2")]
    Tls12Only,
    /// TLS 1.3 only.
    #[value(name = "tls13", alias = "1.3")]
    Tls13Only,
}

impl TlsVersions {
    /// The name on the command line: `both`, `tls12`, `tls13`.
    pub fn name(self) -> &'static str {
        match self {
            TlsVersions::Both => "both",
            TlsVersions::Tls12Only => "tls12",
            TlsVersions::Tls13Only => "tls13",
        }
    }

    /// The versions a receiver accepting exactly `versions` offers: one version alone, or
    /// both (also for an empty list).
    pub fn of(versions: &[harness::connect::TlsVersion]) -> Self {
        use harness::connect::TlsVersion;
        let only = |v: TlsVersion| !versions.is_empty() && versions.iter().all(|x| *x == v);
        if only(TlsVersion::Tls12) {
            TlsVersions::Tls12Only
        } else if only(TlsVersion::Tls13) {
            TlsVersions::Tls13Only
        } else {
            TlsVersions::Both
        }
    }
}

/// Whether the receiver asks for a client certificate, and whether it insists. Scenario files
/// (`client_auth`) and `--client-auth` spell it `none`, `optional`, `required`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuthMode {
    /// No CertificateRequest: "the server did not request a client certificate".
    #[default]
    None,
    /// A CertificateRequest; a client without a certificate is let in.
    Optional,
    /// A CertificateRequest; a client without a trusted certificate is rejected.
    Required,
}

impl ClientAuthMode {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ClientAuthMode::None => "none",
            ClientAuthMode::Optional => "optional",
            ClientAuthMode::Required => "required",
        }
    }
}

/// The certificate_authorities list sent in the CertificateRequest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CaNames {
    /// The subjects of the receiver's client trust store (what servers normally send).
    #[default]
    TrustStore,
    /// An empty list: the client may send any certificate it has.
    Empty,
    /// The subjects of these certificates (e.g. a foreign CA, to reproduce "no key pair
    /// fits" on the client).
    Subjects(Vec<CertificateDer<'static>>),
}

/// Which CA names a receiver sends, as a scenario file (`ca_names`) or `--ca-names` names
/// them before certificates are at hand: [`CaNameMode::resolve`] makes the [`CaNames`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum CaNameMode {
    /// The subjects of the client trust store (the default).
    #[default]
    TrustStore,
    /// An empty list (any key pair fits).
    Empty,
    /// A foreign CA only, the world's unrelated root (no key pair fits).
    Foreign,
}

impl CaNameMode {
    /// The CA names of this mode in `world`.
    pub fn resolve(self, world: &World) -> CaNames {
        match self {
            CaNameMode::TrustStore => CaNames::TrustStore,
            CaNameMode::Empty => CaNames::Empty,
            CaNameMode::Foreign => CaNames::Subjects(vec![
                world.get(harness::pki::Role::UnrelatedRoot).cert().clone(),
            ]),
        }
    }
}

/// How a missing or untrusted client certificate is rejected. Scenario files spell it
/// `alert` or `http-400`; `--rejection` takes `alert` or `http400`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
pub enum Rejection {
    /// A TLS alert during the handshake (rustls, Java, most servers).
    #[default]
    #[serde(rename = "alert", alias = "tls-alert")]
    #[value(name = "alert", alias = "tls-alert")]
    TlsAlert,
    /// nginx style: the handshake completes, and HTTP answers 400 "No required SSL
    /// certificate was sent" (or "The SSL certificate error" for an untrusted one).
    #[serde(rename = "http-400", alias = "http400")]
    #[value(name = "http400", aliases = ["http-400", "nginx"])]
    Http400,
}

/// Client authentication: mode, trust store, CA names, rejection layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientAuth {
    /// Whether a certificate is asked for.
    pub mode: ClientAuthMode,
    /// The receiver's client-certificate trust store (trust anchors). May be empty: then no
    /// client certificate is trusted.
    pub trust: Vec<CertificateDer<'static>>,
    /// The CA names sent in the CertificateRequest.
    pub ca_names: CaNames,
    /// How a missing or untrusted certificate is rejected.
    pub rejection: Rejection,
}

impl ClientAuth {
    /// No client authentication.
    pub fn none() -> Self {
        Self::default()
    }

    /// `mode` with `trust` as the trust store; CA names from the trust store, TLS alerts.
    pub fn new(mode: ClientAuthMode, trust: Vec<CertificateDer<'static>>) -> Self {
        Self {
            mode,
            trust,
            ca_names: CaNames::TrustStore,
            rejection: Rejection::TlsAlert,
        }
    }

    /// Sets the CA names sent.
    pub fn ca_names(mut self, ca_names: CaNames) -> Self {
        self.ca_names = ca_names;
        self
    }

    /// Sets the rejection layer.
    pub fn rejection(mut self, rejection: Rejection) -> Self {
        self.rejection = rejection;
        self
    }
}

/// How a client certificate is recognised in the user mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertMatcher {
    /// SHA-256 over the DER, as lower-case hex without separators.
    Sha256(String),
    /// The exact subject DN as [`CertInfo`] prints it (`CN=..., O=...`).
    Subject(String),
}

impl CertMatcher {
    /// The matcher for one certificate's SHA-256 fingerprint.
    pub fn fingerprint_of(cert: &CertificateDer<'_>) -> Self {
        CertMatcher::Sha256(normalize_fingerprint(&fingerprint_sha256(cert)))
    }

    /// A fingerprint matcher from text (`AB:CD:..` or `abcd..`).
    pub fn sha256(text: &str) -> Self {
        CertMatcher::Sha256(normalize_fingerprint(text))
    }

    fn matches(&self, fingerprint: &str, subject: &str) -> bool {
        match self {
            CertMatcher::Sha256(hex) => hex == fingerprint,
            CertMatcher::Subject(dn) => dn == subject,
        }
    }
}

impl fmt::Display for CertMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertMatcher::Sha256(hex) => write!(f, "sha256:{hex}"),
            CertMatcher::Subject(dn) => write!(f, "subject:{dn}"),
        }
    }
}

/// Client certificate -> technical user, as the receiver administrator maintains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserMap {
    mappings: Vec<(CertMatcher, String)>,
    /// The status for a trusted certificate mapped to no user: 401 (default) or 403.
    pub unmapped_status: u16,
    one_user_per_certificate: bool,
    require_mapping: bool,
}

impl Default for UserMap {
    fn default() -> Self {
        Self {
            mappings: Vec::new(),
            unmapped_status: 401,
            one_user_per_certificate: false,
            require_mapping: false,
        }
    }
}

impl UserMap {
    /// An empty map: every trusted client is let in without a user.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses a second user for the same certificate (some receivers map exactly one
    /// technical user per certificate, so each sender needs its own key pair; the article's
    /// comments).
    pub fn one_user_per_certificate(mut self) -> Self {
        self.one_user_per_certificate = true;
        self
    }

    /// Enforces the mapping even while it is empty: a trusted certificate mapped to no user
    /// gets [`UserMap::unmapped_status`], as on a receiver where every technical user must be
    /// mapped before anyone gets in. Without it an empty map lets every trusted client in.
    pub fn require_mapping(mut self) -> Self {
        self.require_mapping = true;
        self
    }

    /// Whether the mapping is enforced: something is mapped, or
    /// [`UserMap::require_mapping`] was asked for.
    pub fn is_enforced(&self) -> bool {
        self.require_mapping || !self.mappings.is_empty()
    }

    /// Answers `status` (401 or 403) for a trusted certificate that maps to no user.
    pub fn unmapped_status(mut self, status: u16) -> Self {
        self.unmapped_status = status;
        self
    }

    /// Maps `matcher` to `user`. With one user per certificate, a matcher already mapped to
    /// another user is refused.
    pub fn map(mut self, matcher: CertMatcher, user: &str) -> Result<Self, ReceiverError> {
        if self.one_user_per_certificate
            && let Some((_, existing)) = self
                .mappings
                .iter()
                .find(|(m, u)| *m == matcher && u != user)
        {
            return Err(ReceiverError::CertificateAlreadyMapped {
                certificate: matcher.to_string(),
                existing: existing.clone(),
                user: user.to_owned(),
            });
        }
        self.mappings.push((matcher, user.to_owned()));
        Ok(self)
    }

    /// Maps a certificate's SHA-256 fingerprint to `user`.
    pub fn map_certificate(
        self,
        cert: &CertificateDer<'_>,
        user: &str,
    ) -> Result<Self, ReceiverError> {
        self.map(CertMatcher::fingerprint_of(cert), user)
    }

    /// Whether no mapping exists (see [`UserMap::is_enforced`] for whether the map is
    /// applied).
    pub fn is_empty(&self) -> bool {
        self.mappings.is_empty()
    }

    /// The mappings.
    pub fn mappings(&self) -> &[(CertMatcher, String)] {
        &self.mappings
    }

    /// Every distinct user the certificate maps to, in mapping order.
    pub fn users_for(&self, cert: &CertificateDer<'_>) -> Vec<String> {
        let fingerprint = normalize_fingerprint(&fingerprint_sha256(cert));
        let subject = CertInfo::from_der(cert)
            .map(|info| info.subject)
            .unwrap_or_default();
        let mut users: Vec<String> = Vec::new();
        for (matcher, user) in &self.mappings {
            if matcher.matches(&fingerprint, &subject) && !users.contains(user) {
                users.push(user.clone());
            }
        }
        users
    }

    /// Whether the one-user-per-certificate rule is on.
    pub fn requires_one_user(&self) -> bool {
        self.one_user_per_certificate
    }
}

fn normalize_fingerprint(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A network or protocol fault to reproduce (DESIGN.md's failure classes).
///
/// Spelled as [`Fault::name`] prints it on the command line (`--fault alert:unknown_ca`) and
/// in the journal; scenario files write an alert fault `alert-NAME` with dashes
/// (`alert-handshake-failure`), which [`FromStr`] and serde read too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Nothing listens: a port that was bound and closed ("connection refused").
    Refuse,
    /// A listener whose accept queue is full, so SYNs go unanswered ("connect timed out").
    ConnectTimeout,
    /// Accept, read the ClientHello, never answer ("read timed out" during the handshake).
    StallBeforeServerHello,
    /// Send the server's first flight (with the CertificateRequest when client auth is on),
    /// then never answer the client's flight.
    StallAfterCertificateRequest,
    /// Read the ClientHello, send half of the server's first flight, close.
    CloseMidHandshake,
    /// Answer plain HTTP on the TLS port ("non-TLS answer on a TLS port").
    PlainHttp,
    /// Read the ClientHello and answer with this fatal TLS alert.
    Alert(TlsAlert),
}

impl Fault {
    const EXPECTED: &'static str = "expected refuse, connect-timeout, stall-before-server-hello, \
         stall-after-certificate-request, close-mid-handshake, plain-http or alert:NAME|CODE";

    /// The fault's name on the command line.
    pub fn name(self) -> String {
        match self {
            Fault::Refuse => "refuse".into(),
            Fault::ConnectTimeout => "connect-timeout".into(),
            Fault::StallBeforeServerHello => "stall-before-server-hello".into(),
            Fault::StallAfterCertificateRequest => "stall-after-certificate-request".into(),
            Fault::CloseMidHandshake => "close-mid-handshake".into(),
            Fault::PlainHttp => "plain-http".into(),
            Fault::Alert(alert) => format!("alert:{alert}"),
        }
    }

    /// Whether the fault makes a client wait out a timeout or a stall.
    pub fn waits(self) -> bool {
        matches!(
            self,
            Fault::ConnectTimeout
                | Fault::StallBeforeServerHello
                | Fault::StallAfterCertificateRequest
        )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Fault {
    type Err = ReceiverError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let unknown = || ReceiverError::UnknownFault {
            name: text.to_owned(),
            expected: Fault::EXPECTED,
        };
        Ok(match text {
            "refuse" | "connection-refused" => Fault::Refuse,
            "connect-timeout" => Fault::ConnectTimeout,
            "stall-before-server-hello" => Fault::StallBeforeServerHello,
            "stall-after-certificate-request" => Fault::StallAfterCertificateRequest,
            "close-mid-handshake" => Fault::CloseMidHandshake,
            "plain-http" => Fault::PlainHttp,
            other => {
                let alert = other
                    .strip_prefix("alert:")
                    .or_else(|| other.strip_prefix("alert-"))
                    .ok_or_else(unknown)?;
                Fault::Alert(alert.parse::<TlsAlert>().map_err(|_| unknown())?)
            }
        })
    }
}

impl serde::Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Fault {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(|_| {
            serde::de::Error::unknown_variant(
                &text,
                &[
                    "refuse",
                    "connect-timeout",
                    "stall-before-server-hello",
                    "stall-after-certificate-request",
                    "close-mid-handshake",
                    "plain-http",
                    "alert-NAME",
                ],
            )
        })
    }
}

/// A timeout for every phase of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// From accept to the end of the TLS handshake.
    pub handshake: Duration,
    /// Waiting for a request's head or body (also the keep-alive idle time).
    pub read: Duration,
    /// Writing a response.
    pub write: Duration,
    /// How long [`RunningReceiver::shutdown`](crate::RunningReceiver::shutdown) waits for
    /// open connections before closing them.
    pub shutdown: Duration,
    /// How long a stalling fault holds a connection (shutdown ends it sooner).
    pub stall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            handshake: Duration::from_secs(10),
            read: Duration::from_secs(30),
            write: Duration::from_secs(30),
            shutdown: Duration::from_secs(5),
            stall: Duration::from_secs(300),
        }
    }
}
