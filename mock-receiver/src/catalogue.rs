//! The catalogue of `mock-receiver serve --all`: a local badssl.com for CPI's outbound case.
//!
//! Every endpoint is data ([`Endpoint`]): what it sends ([`TrustProfile`] x
//! [`ServerVariant`]), how it treats client certificates ([`ClientAuthMode`], its client trust
//! store, the CA names it sends, the rejection layer), its user mapping ([`Mapping`]) and its
//! [`Fault`]. [`catalogue`] lists them under stable names; [`Endpoint::spec`] turns one into a
//! [`ReceiverSpec`]; [`Endpoint::expected`] derives, from those declared properties alone (no
//! client is run), the outcome CPI's connectivity test shows for the seeded tenant keystore
//! with or without the receiver's root ([`TenantKeystore`]).
//!
//! The expected outcome follows Java's order of checks: the network first (refused, connect
//! timeout, a fault answering before any certificate), then the server chain (path to a
//! trusted certificate, then validity, key usage, host name), then the client certificate
//! (chosen by the CA names the server sends; trusted or refused by alert or HTTP 400), then
//! the user mapping (HTTP 401/403).
//!
//! New kinds of endpoint (the OpenSSL-based legacy receivers) join as a new [`Kind`]: each
//! kind is started and judged by its own code, the catalogue's table and landing page read
//! only the fields every endpoint has.

use std::fmt;

use harness::alert::TlsAlert;
use harness::connect::FailureClass;
use harness::pki::{Role, World};
use serde::Serialize;

use crate::error::ReceiverError;
use crate::profile::{ServerIdentity, ServerVariant, TrustProfile};
use crate::spec::{
    CaNameMode, ClientAuth, ClientAuthMode, Fault, ReceiverSpec, Rejection, TlsVersions, UserMap,
};

/// The alias of the key pair in the seeded tenant keystore (the article's).
pub const CLIENT_ALIAS: &str = "cpi_client";

/// The alias of the receiver's root in the seeded tenant keystore (the article's).
pub const ROOT_ALIAS: &str = "backend_root";

/// The technical user a mapped client certificate is served as.
pub const MAPPED_USER: &str = "CPI_OUTBOUND";

/// The dashboard section an endpoint is listed under (badssl.com groups its endpoints the
/// same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// Which chain the server sends: DESIGN.md's trust table.
    Trust,
    /// What is wrong with the server certificate itself.
    Certificate,
    /// Client authentication: modes, CA names, rejection.
    ClientAuth,
    /// Client certificate trusted, then mapped (or not) to a technical user.
    Mapping,
    /// TLS versions.
    Protocol,
    /// Network and protocol faults.
    Fault,
}

impl Group {
    /// Every group, in dashboard order.
    pub const ALL: [Group; 6] = [
        Group::Trust,
        Group::Certificate,
        Group::ClientAuth,
        Group::Mapping,
        Group::Protocol,
        Group::Fault,
    ];

    /// The section's title.
    pub fn title(self) -> &'static str {
        match self {
            Group::Trust => "Server chain (trust table)",
            Group::Certificate => "Server certificate",
            Group::ClientAuth => "Client authentication",
            Group::Mapping => "User mapping",
            Group::Protocol => "Protocol",
            Group::Fault => "Network and protocol faults",
        }
    }

    /// The section's name in JSON (`client-auth`).
    pub fn name(self) -> &'static str {
        match self {
            Group::Trust => "trust",
            Group::Certificate => "certificate",
            Group::ClientAuth => "client-auth",
            Group::Mapping => "mapping",
            Group::Protocol => "protocol",
            Group::Fault => "fault",
        }
    }
}

/// The receiver's client-certificate trust store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientTrust {
    /// The tenant's client root: the seeded key pair `cpi_client` is trusted.
    ClientRoot,
    /// An unrelated root: `cpi_client` is not trusted.
    UnrelatedRoot,
}

impl ClientTrust {
    /// The PKI role of the trust anchor.
    pub fn role(self) -> Role {
        match self {
            ClientTrust::ClientRoot => Role::ClientRoot,
            ClientTrust::UnrelatedRoot => Role::UnrelatedRoot,
        }
    }
}

/// The user mapping of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mapping", content = "status")]
pub enum Mapping {
    /// No mapping: every trusted client is let in (HTTP 200, no user).
    Off,
    /// The seeded client certificate is mapped to [`MAPPED_USER`].
    Mapped,
    /// Mapping enforced, nothing mapped: a trusted certificate gets this status (401 or 403).
    Unmapped(u16),
    /// Only the second sender's certificate (`client2`) is mapped: ours gets 401.
    OtherMapped,
}

/// How an endpoint is served. The standard receiver (rustls) is the only kind today; the
/// legacy receivers join as their own kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// [`crate::Receiver`]: rustls, TLS 1.2 and 1.3.
    Standard,
    /// A legacy receiver (OpenSSL, `mock_receiver::legacy`): TLS 1.0/1.1, cipher policies,
    /// server keys only OpenSSL makes.
    Legacy(crate::legacy::Legacy),
}

/// One endpoint of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// The stable name (`leaf-only`, `client-required-foreign-ca-names`).
    pub name: &'static str,
    /// The dashboard section.
    pub group: Group,
    /// What it shows, in one sentence.
    pub summary: &'static str,
    /// How it is served.
    pub kind: Kind,
    /// Which chain it sends.
    pub profile: TrustProfile,
    /// Which server certificate.
    pub variant: ServerVariant,
    /// The TLS versions it offers.
    #[serde(serialize_with = "versions_name")]
    pub tls: TlsVersions,
    /// Whether it asks for a client certificate.
    pub client_auth: ClientAuthMode,
    /// Its client trust store (with client authentication).
    pub client_trust: ClientTrust,
    /// The CA names its CertificateRequest sends.
    pub ca_names: CaNameMode,
    /// How it refuses a missing or untrusted client certificate.
    pub rejection: Rejection,
    /// Its user mapping.
    pub mapping: Mapping,
    /// Its fault.
    pub fault: Option<Fault>,
}

fn versions_name<S: serde::Serializer>(v: &TlsVersions, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.name())
}

/// The seeded tenant keystore a connectivity test runs with: the key pair `cpi_client`
/// (client leaf -> Tenant Client Intermediate CA -> Tenant Client Root CA), and with or
/// without the receiver's root as trusted certificate `backend_root`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TenantKeystore {
    /// `backend_root` (Receiver Root CA) and `cpi_client`.
    WithRoot,
    /// `cpi_client` only.
    WithoutRoot,
}

impl TenantKeystore {
    /// Both, with the root first.
    pub const ALL: [TenantKeystore; 2] = [TenantKeystore::WithRoot, TenantKeystore::WithoutRoot];

    /// The keystore file `serve --all` writes for it into its PKI directory.
    pub fn file_name(self) -> &'static str {
        match self {
            TenantKeystore::WithRoot => "tenant-with-root.p12",
            TenantKeystore::WithoutRoot => "tenant-without-root.p12",
        }
    }

    /// The name in JSON and on the page (`with-root`).
    pub fn name(self) -> &'static str {
        match self {
            TenantKeystore::WithRoot => "with-root",
            TenantKeystore::WithoutRoot => "without-root",
        }
    }
}

/// What CPI's connectivity test (validation on, "Authenticate with Client Certificate"
/// checked with the alias empty) shows against an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Expected {
    /// The failure class; `None` for success.
    pub failure: Option<FailureClass>,
    /// The HTTP status of `GET /`, when the server answers HTTP.
    pub http_status: Option<u16>,
    /// "Client Certificate Used: YES/NO".
    pub client_certificate_used: bool,
}

impl Expected {
    /// The class id, or `success`.
    pub fn class(&self) -> &'static str {
        self.failure.map_or("success", FailureClass::id)
    }

    fn fail(class: FailureClass) -> Self {
        Self {
            failure: Some(class),
            http_status: None,
            client_certificate_used: false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class())?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        if self.client_certificate_used {
            f.write_str(", client certificate used")?;
        }
        Ok(())
    }
}

impl Serialize for Expected {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Expected", 3)?;
        s.serialize_field("class", self.class())?;
        s.serialize_field("http_status", &self.http_status)?;
        s.serialize_field("client_certificate_used", &self.client_certificate_used)?;
        s.end()
    }
}

impl Endpoint {
    const fn new(name: &'static str, group: Group, summary: &'static str) -> Self {
        Self {
            name,
            group,
            summary,
            kind: Kind::Standard,
            profile: TrustProfile::LeafIntermediate,
            variant: ServerVariant::Valid,
            tls: TlsVersions::Both,
            client_auth: ClientAuthMode::None,
            client_trust: ClientTrust::ClientRoot,
            ca_names: CaNameMode::TrustStore,
            rejection: Rejection::TlsAlert,
            mapping: Mapping::Off,
            fault: None,
        }
    }

    const fn profile(mut self, profile: TrustProfile) -> Self {
        self.profile = profile;
        self
    }

    const fn variant(mut self, variant: ServerVariant) -> Self {
        self.variant = variant;
        self
    }

    const fn legacy(
        mut self,
        ciphers: Option<crate::legacy::CipherPolicy>,
        version: Option<crate::legacy::LegacyVersion>,
        server_key: Option<crate::legacy::LegacyServerKey>,
    ) -> Self {
        self.kind = Kind::Legacy(crate::legacy::Legacy {
            ciphers,
            version,
            server_key,
        });
        self
    }

    const fn tls(mut self, tls: TlsVersions) -> Self {
        self.tls = tls;
        self
    }

    const fn auth(mut self, mode: ClientAuthMode, trust: ClientTrust, names: CaNameMode) -> Self {
        self.client_auth = mode;
        self.client_trust = trust;
        self.ca_names = names;
        self
    }

    const fn http400(mut self) -> Self {
        self.rejection = Rejection::Http400;
        self
    }

    const fn mapping(mut self, mapping: Mapping) -> Self {
        self.client_auth = ClientAuthMode::Required;
        self.mapping = mapping;
        self
    }

    const fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// What the endpoint sends, in words (`leaf + intermediate (expired leaf)`).
    pub fn sends(&self) -> String {
        let chain = match self.profile {
            TrustProfile::FullChain => "leaf + intermediate + root",
            TrustProfile::LeafIntermediate => "leaf + intermediate",
            TrustProfile::LeafOnly => "leaf only",
            TrustProfile::SelfSigned => "self-signed leaf",
            TrustProfile::ReversedChain => "intermediate, then leaf",
        };
        let chain = match (self.profile, self.variant) {
            (TrustProfile::FullChain, ServerVariant::TwoIntermediates) => {
                "leaf + 2 intermediates + root"
            }
            (TrustProfile::LeafIntermediate, ServerVariant::TwoIntermediates) => {
                "leaf + 2 intermediates"
            }
            _ => chain,
        };
        let mut text = match self.variant {
            ServerVariant::Valid | ServerVariant::TwoIntermediates => chain.to_owned(),
            other => format!("{chain} ({} leaf)", other.name()),
        };
        if self.tls != TlsVersions::Both {
            text.push_str(&format!(", {} only", self.tls.name()));
        }
        text
    }

    /// What a client must trust to validate the chain.
    pub fn client_must_trust(&self) -> &'static str {
        self.profile.client_must_trust()
    }

    /// Whether a client certificate is wanted: `no`, `optional`, `required`.
    pub fn wants_client_certificate(&self) -> &'static str {
        self.client_auth.name()
    }

    /// The CA names the CertificateRequest sends, in words (empty without client auth).
    pub fn ca_names_text(&self) -> &'static str {
        if self.client_auth == ClientAuthMode::None {
            return "";
        }
        match (self.ca_names, self.client_trust) {
            (CaNameMode::TrustStore, ClientTrust::ClientRoot) => {
                "trust store: Tenant Client Root CA"
            }
            (CaNameMode::TrustStore, ClientTrust::UnrelatedRoot) => {
                "trust store: Unrelated Root CA"
            }
            (CaNameMode::Empty, _) => "empty list",
            (CaNameMode::Foreign, _) => "foreign: Unrelated Root CA",
        }
    }

    /// The client trust store and rejection layer in words (empty without client auth).
    pub fn client_trust_text(&self) -> String {
        if self.client_auth == ClientAuthMode::None {
            return String::new();
        }
        let trust = match self.client_trust {
            ClientTrust::ClientRoot => "trusts Tenant Client Root CA",
            ClientTrust::UnrelatedRoot => "trusts Unrelated Root CA",
        };
        let rejection = match self.rejection {
            Rejection::TlsAlert => "rejects by TLS alert",
            Rejection::Http400 => "rejects by HTTP 400 (nginx)",
        };
        let mapping = match self.mapping {
            Mapping::Off => String::new(),
            Mapping::Mapped => format!("; cpi_client mapped to {MAPPED_USER}"),
            Mapping::Unmapped(status) => format!("; mapping required, nothing mapped ({status})"),
            Mapping::OtherMapped => "; only client2 mapped (401)".to_owned(),
        };
        format!("{trust}, {rejection}{mapping}")
    }

    /// The fault's name, if any.
    pub fn fault_name(&self) -> Option<String> {
        self.fault.map(Fault::name)
    }

    /// The receiver spec of this endpoint in `world` (listen address, clock, timeouts and
    /// logging are the caller's).
    pub fn spec(&self, world: &World) -> Result<ReceiverSpec, ReceiverError> {
        let identity = ServerIdentity::from_world(world, self.profile, self.variant)?;
        let mut spec = ReceiverSpec::new(identity)
            .now(world.spec().now)
            .versions(self.tls);
        if self.client_auth != ClientAuthMode::None {
            let trust = vec![world.get(self.client_trust.role()).cert().clone()];
            spec = spec.client_auth(
                ClientAuth::new(self.client_auth, trust)
                    .ca_names(self.ca_names.resolve(world))
                    .rejection(self.rejection),
            );
        }
        let users = match self.mapping {
            Mapping::Off => UserMap::new(),
            Mapping::Mapped => {
                UserMap::new().map_certificate(world.get(Role::Client).cert(), MAPPED_USER)?
            }
            Mapping::Unmapped(status) => UserMap::new().require_mapping().unmapped_status(status),
            Mapping::OtherMapped => {
                UserMap::new().map_certificate(world.get(Role::Client2).cert(), "CPI_OTHER")?
            }
        };
        spec = spec.users(users);
        if let Some(fault) = self.fault {
            spec = spec.fault(fault);
        }
        if let Kind::Legacy(legacy) = self.kind {
            spec = spec.with_legacy(world, self.profile, legacy)?;
        }
        Ok(spec)
    }

    /// The outcome CPI's connectivity test shows against this endpoint with `keystore`
    /// (validation on; client certificate chosen by the CA names), when the host is a DNS
    /// name (`localhost`) or, with `host_is_dns` false, an IP address. Derived from the
    /// endpoint's declared properties; no client is run.
    pub fn expected(&self, keystore: TenantKeystore, host_is_dns: bool) -> Expected {
        match self.kind {
            Kind::Standard => self.expected_standard(keystore, host_is_dns),
            Kind::Legacy(legacy) => self.expected_legacy(legacy, keystore, host_is_dns),
        }
    }

    /// A legacy receiver, as JDK 17 meets it with its default `jdk.tls.disabledAlgorithms`
    /// (the legacy scenarios' expectations, measured with the JDK): TLS 1.0 and 1.1 are
    /// disabled (`protocol_version`); CBC, RSA key exchange, DHE, ffdhe groups, SHA-1 chains
    /// under the tenant's own anchor, RSA-1024 and RSA-PSS keys are accepted; a
    /// keyEncipherment-only certificate fails once its path is found, unless the key exchange
    /// is RSA. Everything else is the standard receiver's.
    fn expected_legacy(
        &self,
        legacy: crate::legacy::Legacy,
        keystore: TenantKeystore,
        host_is_dns: bool,
    ) -> Expected {
        use crate::legacy::{CipherPolicy, LegacyServerKey};
        if legacy.version.is_some() {
            return Expected::fail(FailureClass::ProtocolMismatch);
        }
        let expected = self.expected_standard(keystore, host_is_dns);
        let signs_handshake = legacy.ciphers != Some(CipherPolicy::RsaKxOnly);
        if legacy.server_key == Some(LegacyServerKey::KeyEnciphermentOnly)
            && signs_handshake
            && expected.class() == "success"
        {
            return Expected::fail(FailureClass::BadKeyUsage);
        }
        expected
    }

    fn expected_standard(&self, keystore: TenantKeystore, host_is_dns: bool) -> Expected {
        use FailureClass as C;
        // The network, and faults that answer before any certificate.
        match self.fault {
            Some(Fault::Refuse) => return Expected::fail(C::ConnectionRefused),
            Some(Fault::ConnectTimeout) => return Expected::fail(C::ConnectTimeout),
            Some(Fault::StallBeforeServerHello) => return Expected::fail(C::ReadTimeout),
            Some(Fault::PlainHttp) => return Expected::fail(C::NotTls),
            // Half the server's first flight: the client never gets the whole certificate.
            Some(Fault::CloseMidHandshake) => return Expected::fail(C::HandshakeClosed),
            Some(Fault::Alert(alert)) => {
                // The alert answers the ClientHello: no chain, no CertificateRequest.
                return Expected::fail(match alert {
                    TlsAlert::HandshakeFailure
                    | TlsAlert::ProtocolVersion
                    | TlsAlert::InsufficientSecurity => C::ProtocolMismatch,
                    _ => C::Alert,
                });
            }
            Some(Fault::StallAfterCertificateRequest) | None => {}
        }
        // The server chain, as sent in the server's first flight.
        if let Some(class) = self.server_chain_failure(keystore, host_is_dns) {
            return Expected::fail(class);
        }
        // The client certificate, chosen by the CA names: `cpi_client` is issued under the
        // Tenant Client Root CA, so it fits the client root's names or an empty list.
        let asked = self.client_auth != ClientAuthMode::None;
        let fits = match self.ca_names {
            CaNameMode::TrustStore => self.client_trust == ClientTrust::ClientRoot,
            CaNameMode::Empty => true,
            CaNameMode::Foreign => false,
        };
        let sent = asked && fits;
        if self.fault == Some(Fault::StallAfterCertificateRequest) {
            // The client answers the first flight and waits for the server's next.
            return Expected {
                client_certificate_used: sent,
                ..Expected::fail(C::ReadTimeout)
            };
        }
        let trusted = sent && self.client_trust == ClientTrust::ClientRoot;
        let success = |status: u16| Expected {
            failure: None,
            http_status: Some(status),
            client_certificate_used: sent,
        };
        if asked && sent && !trusted {
            return match self.rejection {
                Rejection::TlsAlert => Expected {
                    client_certificate_used: true,
                    ..Expected::fail(C::ClientCertRejected)
                },
                Rejection::Http400 => success(400),
            };
        }
        if self.client_auth == ClientAuthMode::Required && !sent {
            return match self.rejection {
                Rejection::TlsAlert => Expected::fail(C::ClientCertRequired),
                Rejection::Http400 => success(400),
            };
        }
        let status = match self.mapping {
            Mapping::Off => 200,
            Mapping::Mapped if sent => 200,
            Mapping::Mapped | Mapping::OtherMapped => 401,
            Mapping::Unmapped(status) => status,
        };
        if matches!(status, 401 | 403) {
            return Expected {
                failure: Some(C::HttpUnauthorized),
                http_status: Some(status),
                client_certificate_used: sent,
            };
        }
        success(status)
    }

    /// Why the tenant refuses the server chain, if it does: Java builds the path to a trusted
    /// certificate first, then checks validity, key usage and the host name.
    fn server_chain_failure(
        &self,
        keystore: TenantKeystore,
        host_is_dns: bool,
    ) -> Option<FailureClass> {
        use FailureClass as C;
        if keystore == TenantKeystore::WithoutRoot {
            // Nothing of the receiver's PKI is trusted.
            return Some(C::UnknownIssuer);
        }
        match self.profile {
            // The root does not issue the self-signed leaf; the leaf alone does not reach
            // the root (the intermediate is missing).
            TrustProfile::SelfSigned | TrustProfile::LeafOnly => Some(C::UnknownIssuer),
            // The intermediate, taken for the server certificate, reaches the root but names
            // no host.
            TrustProfile::ReversedChain => Some(C::NameMismatch),
            TrustProfile::FullChain | TrustProfile::LeafIntermediate => match self.variant {
                ServerVariant::Valid | ServerVariant::TwoIntermediates => None,
                ServerVariant::Expired => Some(C::Expired),
                ServerVariant::NotYetValid => Some(C::NotYetValid),
                ServerVariant::WrongHost => Some(C::NameMismatch),
                // Java falls back to the CN for a DNS host name, never for an IP address.
                ServerVariant::CnOnly => (!host_is_dns).then_some(C::NameMismatch),
                ServerVariant::WrongEku => Some(C::BadKeyUsage),
                ServerVariant::UnderNotCa => Some(C::BadCertificate),
            },
        }
    }
}

/// Every endpoint of `serve --all`, in dashboard order, under stable names.
pub fn catalogue() -> Vec<Endpoint> {
    use crate::legacy::{CipherPolicy, LegacyServerKey, LegacyVersion};
    use ClientAuthMode::{Optional, Required};
    use ClientTrust::{ClientRoot, UnrelatedRoot};
    use Group as G;
    use ServerVariant as V;
    use TrustProfile as P;
    let e = Endpoint::new;
    vec![
        // The trust table.
        e("full-chain", G::Trust, "Sends leaf, intermediate and root: the root must be trusted.")
            .profile(P::FullChain),
        e("leaf-intermediate", G::Trust, "The usual configuration: leaf and intermediate; the root must be trusted."),
        e("leaf-only", G::Trust, "Sends the leaf alone: the intermediate must be trusted, the root alone is not enough.")
            .profile(P::LeafOnly),
        e("self-signed", G::Trust, "A self-signed leaf: only that very certificate, imported, is trusted.")
            .profile(P::SelfSigned),
        e("reversed-chain", G::Trust, "Intermediate before leaf: the intermediate is taken for the server certificate.")
            .profile(P::ReversedChain),
        e("full-chain-two-intermediates", G::Trust, "Leaf under two intermediates, all sent with the root.")
            .profile(P::FullChain)
            .variant(V::TwoIntermediates),
        e("leaf-only-two-intermediates", G::Trust, "Leaf under two intermediates, sent alone: neither intermediate is in the tenant.")
            .profile(P::LeafOnly)
            .variant(V::TwoIntermediates),
        // The server certificate.
        e("expired", G::Certificate, "The server certificate expired before now.").variant(V::Expired),
        e("not-yet-valid", G::Certificate, "The server certificate is not valid yet.")
            .variant(V::NotYetValid),
        e("wrong-host", G::Certificate, "Issued for wrong.host.invalid.").variant(V::WrongHost),
        e("cn-only", G::Certificate, "Host name in the CN only, no SAN: Java falls back to the CN for DNS names.")
            .variant(V::CnOnly),
        e("wrong-eku", G::Certificate, "extendedKeyUsage emailProtection instead of serverAuth.")
            .variant(V::WrongEku),
        e("under-not-ca", G::Certificate, "Issued by an intermediate without the CA flag.")
            .variant(V::UnderNotCa),
        e("two-intermediates", G::Certificate, "Issued under two intermediates, both sent.")
            .variant(V::TwoIntermediates),
        e("self-signed-expired", G::Certificate, "A self-signed leaf that expired.")
            .profile(P::SelfSigned)
            .variant(V::Expired),
        e("full-chain-expired", G::Certificate, "The full chain with an expired leaf.")
            .profile(P::FullChain)
            .variant(V::Expired),
        // Client authentication.
        e("client-optional", G::ClientAuth, "Asks for a certificate, names the client root: cpi_client fits and is trusted.")
            .auth(Optional, ClientRoot, CaNameMode::TrustStore),
        e("client-optional-empty-ca-names", G::ClientAuth, "Asks with an empty CA list: any key pair fits.")
            .auth(Optional, ClientRoot, CaNameMode::Empty),
        e("client-optional-foreign-ca-names", G::ClientAuth, "Asks naming a foreign CA: no key pair fits, nothing is sent, the receiver lets the client in.")
            .auth(Optional, ClientRoot, CaNameMode::Foreign),
        e("client-optional-untrusted", G::ClientAuth, "Asks with an empty CA list but trusts another root: cpi_client is sent and refused.")
            .auth(Optional, UnrelatedRoot, CaNameMode::Empty),
        e("client-required", G::ClientAuth, "Requires a certificate, names the client root: cpi_client fits and is trusted.")
            .auth(Required, ClientRoot, CaNameMode::TrustStore),
        e("client-required-empty-ca-names", G::ClientAuth, "Requires a certificate, empty CA list: cpi_client fits and is trusted.")
            .auth(Required, ClientRoot, CaNameMode::Empty),
        e("client-required-foreign-ca-names", G::ClientAuth, "Requires a certificate but names a foreign CA: no key pair fits, nothing is sent.")
            .auth(Required, ClientRoot, CaNameMode::Foreign),
        e("client-required-other-root", G::ClientAuth, "Requires a certificate under Unrelated Root CA and names it: no key pair fits.")
            .auth(Required, UnrelatedRoot, CaNameMode::TrustStore),
        e("client-required-untrusted", G::ClientAuth, "Requires a certificate, empty CA list, trusts another root: cpi_client is sent and refused by alert.")
            .auth(Required, UnrelatedRoot, CaNameMode::Empty),
        e("client-required-http400-none-sent", G::ClientAuth, "nginx style: no fitting certificate, the handshake completes, HTTP 400.")
            .auth(Required, ClientRoot, CaNameMode::Foreign)
            .http400(),
        e("client-required-http400-untrusted", G::ClientAuth, "nginx style: an untrusted certificate is let through the handshake, HTTP 400.")
            .auth(Required, UnrelatedRoot, CaNameMode::Empty)
            .http400(),
        e("client-required-tls12", G::ClientAuth, "Requires a certificate under TLS 1.2 only.")
            .auth(Required, ClientRoot, CaNameMode::TrustStore)
            .tls(TlsVersions::Tls12Only),
        e("client-required-tls12-foreign-ca-names", G::ClientAuth, "TLS 1.2, a foreign CA named: the refusal comes inside the handshake.")
            .auth(Required, ClientRoot, CaNameMode::Foreign)
            .tls(TlsVersions::Tls12Only),
        // User mapping.
        e("mapping-mapped", G::Mapping, "cpi_client is trusted and mapped to CPI_OUTBOUND: HTTP 200.")
            .mapping(Mapping::Mapped),
        e("mapping-unmapped-401", G::Mapping, "Trusted, mapping required, nothing mapped: HTTP 401.")
            .mapping(Mapping::Unmapped(401)),
        e("mapping-unmapped-403", G::Mapping, "Trusted, mapping required, nothing mapped: HTTP 403.")
            .mapping(Mapping::Unmapped(403)),
        e("mapping-other-certificate", G::Mapping, "Only the second sender's certificate is mapped: ours gets HTTP 401.")
            .mapping(Mapping::OtherMapped),
        // Protocol.
        e("tls12-only", G::Protocol, "Offers TLS 1.2 only.").tls(TlsVersions::Tls12Only),
        e("tls13-only", G::Protocol, "Offers TLS 1.3 only.").tls(TlsVersions::Tls13Only),
        // Legacy receivers (OpenSSL): what enterprise backends still run.
        e("legacy-tls10-only", G::Protocol, "Speaks TLS 1.0 only: disabled in JDK 17.")
            .legacy(None, Some(LegacyVersion::Tls10), None),
        e("legacy-tls11-only", G::Protocol, "Speaks TLS 1.1 only: disabled in JDK 17.")
            .legacy(None, Some(LegacyVersion::Tls11), None),
        e("legacy-cbc-only", G::Protocol, "TLS 1.2 with AES-CBC suites only: Java still offers them.")
            .legacy(Some(CipherPolicy::CbcOnly), None, None),
        e("legacy-ffdhe-only", G::Protocol, "Finite-field groups only (ffdhe2048..): Java offers them.")
            .legacy(Some(CipherPolicy::FfdheOnly), None, None),
        e("legacy-rsa-kx-only", G::Protocol, "RSA key exchange only (TLS_RSA_WITH_*), RSA-1024 key.")
            .legacy(Some(CipherPolicy::RsaKxOnly), None, Some(LegacyServerKey::Rsa1024)),
        e("legacy-dhe-only", G::Protocol, "Finite-field DHE suites only (TLS_DHE_RSA_WITH_*), RSA-1024 key.")
            .legacy(Some(CipherPolicy::DheOnly), None, Some(LegacyServerKey::Rsa1024)),
        e("legacy-sha1-chain", G::Certificate, "A SHA-1-signed chain under the tenant's own root: Java accepts it.")
            .legacy(None, None, Some(LegacyServerKey::Sha1Chain)),
        e("legacy-rsa-pss", G::Certificate, "An RSASSA-PSS server key: Java accepts it.")
            .legacy(None, None, Some(LegacyServerKey::RsaPss)),
        e("legacy-key-encipherment-only", G::Certificate, "A server certificate whose key usage is keyEncipherment alone: Java refuses it when the server signs the key exchange.")
            .legacy(None, None, Some(LegacyServerKey::KeyEnciphermentOnly)),
        // Faults.
        e("refuse", G::Fault, "Nothing listens: connection refused.").fault(Fault::Refuse),
        e("connect-timeout", G::Fault, "A full accept queue: SYNs go unanswered, the connect times out.")
            .fault(Fault::ConnectTimeout),
        e("stall-before-server-hello", G::Fault, "Reads the ClientHello and never answers.")
            .fault(Fault::StallBeforeServerHello),
        e("stall-after-certificate-request", G::Fault, "Sends its first flight with a CertificateRequest, then stalls.")
            .auth(Required, ClientRoot, CaNameMode::TrustStore)
            .fault(Fault::StallAfterCertificateRequest),
        e("close-mid-handshake", G::Fault, "Sends half of its first flight and closes.")
            .fault(Fault::CloseMidHandshake),
        e("plain-http", G::Fault, "Answers plain HTTP on the TLS port.").fault(Fault::PlainHttp),
        e("alert-handshake-failure", G::Fault, "Answers the ClientHello with a handshake_failure alert.")
            .fault(Fault::Alert(TlsAlert::HandshakeFailure)),
        e("alert-internal-error", G::Fault, "Answers the ClientHello with an internal_error alert.")
            .fault(Fault::Alert(TlsAlert::InternalError)),
        e("alert-protocol-version", G::Fault, "Answers the ClientHello with a protocol_version alert.")
            .fault(Fault::Alert(TlsAlert::ProtocolVersion)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let all = catalogue();
        let mut names: Vec<&str> = all.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for name in names {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
        }
    }

    #[test]
    fn covers_what_the_issue_asks() {
        let all = catalogue();
        assert!(all.len() >= 30, "{} endpoints", all.len());
        for mode in [
            ClientAuthMode::None,
            ClientAuthMode::Optional,
            ClientAuthMode::Required,
        ] {
            assert!(all.iter().any(|e| e.client_auth == mode), "{mode:?}");
        }
        let mut faults: Vec<String> = all.iter().filter_map(Endpoint::fault_name).collect();
        faults.dedup();
        assert!(faults.len() >= 5, "{faults:?}");
        for names in [
            CaNameMode::TrustStore,
            CaNameMode::Empty,
            CaNameMode::Foreign,
        ] {
            assert!(
                all.iter()
                    .any(|e| e.client_auth != ClientAuthMode::None && e.ca_names == names)
            );
        }
        assert!(all.iter().any(|e| e.rejection == Rejection::Http400));
        for group in Group::ALL {
            assert!(all.iter().any(|e| e.group == group), "{group:?}");
        }
    }

    #[test]
    fn expected_outcomes_read_as_cpi_shows_them() {
        let all = catalogue();
        let get = |name: &str| all.iter().find(|e| e.name == name).unwrap().clone();
        let with = |name: &str| {
            get(name)
                .expected(TenantKeystore::WithRoot, true)
                .to_string()
        };
        let without = |name: &str| {
            get(name)
                .expected(TenantKeystore::WithoutRoot, true)
                .to_string()
        };
        assert_eq!(with("leaf-intermediate"), "success (HTTP 200)");
        assert_eq!(without("leaf-intermediate"), "unknown-issuer");
        assert_eq!(with("leaf-only"), "unknown-issuer");
        assert_eq!(with("cn-only"), "success (HTTP 200)");
        assert_eq!(
            get("cn-only")
                .expected(TenantKeystore::WithRoot, false)
                .to_string(),
            "name-mismatch"
        );
        assert_eq!(
            with("client-required"),
            "success (HTTP 200), client certificate used"
        );
        assert_eq!(
            with("client-required-foreign-ca-names"),
            "client-cert-required"
        );
        assert_eq!(
            with("client-required-untrusted"),
            "client-cert-rejected, client certificate used"
        );
        assert_eq!(
            with("client-required-http400-none-sent"),
            "success (HTTP 400)"
        );
        assert_eq!(
            with("mapping-unmapped-403"),
            "http-unauthorized (HTTP 403), client certificate used"
        );
        assert_eq!(without("refuse"), "connection-refused");
        assert_eq!(without("stall-after-certificate-request"), "unknown-issuer");
        assert_eq!(
            with("stall-after-certificate-request"),
            "read-timeout, client certificate used"
        );
    }

    #[test]
    fn every_endpoint_builds_a_spec() {
        let world = World::generate(&harness::pki::WorldSpec::new(1)).unwrap();
        for endpoint in catalogue() {
            endpoint.spec(&world).unwrap();
        }
    }
}
