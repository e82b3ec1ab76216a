//! The scenario model: what a scenario file says, once loaded and checked.
//!
//! A scenario is the article's loop written down: the world (seed, key type, "now"), the
//! receivers, and steps in the article's order, each with the expectations that say what the
//! real behaviour is. [`crate::load`] turns a TOML file into a [`Scenario`]; every reference in
//! a loaded scenario (receiver names, keystore names, aliases, certificate roles) resolves.

use std::fmt;
use std::str::FromStr;

use harness::pki::{KeyType, Role};
use serde::Serialize;
use time::OffsetDateTime;

/// The scenario format version this crate reads.
pub const FORMAT_VERSION: u32 = 1;

/// One scenario: a world, receivers and steps.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// The id: the file stem (`trust-leaf-only`).
    pub id: String,
    /// Where it came from: a path, or `suite/<file>` for the built-in suite.
    pub source: String,
    /// The chain in ASCII and why the expectation follows.
    pub description: String,
    /// The world the PKI is generated from.
    pub world: World,
    /// The tenant as provisioned.
    pub tenant: Tenant,
    /// The receivers, in file order.
    pub receivers: Vec<Receiver>,
    /// The steps, in file order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// The expected result in one phrase, for `scenarios list`: the outcome the last
    /// connectivity test or request expects, else the last tenant step's expectation.
    pub fn expected_summary(&self) -> String {
        for step in self.steps.iter().rev() {
            let expect = step.expect();
            if let Some(outcome) = &expect.outcome {
                let mut text = outcome.to_string();
                if let Some(used) = expect.client_certificate_used {
                    text.push_str(if used {
                        ", client certificate used"
                    } else {
                        ", client certificate not used"
                    });
                }
                if let Some(status) = expect.http_status {
                    text.push_str(&format!(", HTTP {status}"));
                }
                return text;
            }
            if let Some(status) = expect.http_status {
                return match &expect.user {
                    Some(user) => format!("HTTP {status} as {user}"),
                    None => format!("HTTP {status}"),
                };
            }
            if let Some(refusal) = &expect.refused_with {
                return format!("refused: {refusal}");
            }
            if let Some(first) = expect.refused.first() {
                return format!("`{}` refused: {}", first.alias, first.reason);
            }
        }
        "steps complete".to_owned()
    }

    /// The area: the file stem up to the first `-` (`trust`, `client`, `tenant`, ...).
    pub fn area(&self) -> &str {
        self.id.split('-').next().unwrap_or(&self.id)
    }
}

/// The world: everything the seeded PKI is generated from.
#[derive(Clone, Debug, Serialize)]
pub struct World {
    /// The seed, when the file fixes one (`--seed` overrides it).
    pub seed: Option<u64>,
    /// The key type of every certificate.
    pub key_type: KeyType,
    /// The simulated "now", when the file fixes one (`--now` overrides it).
    #[serde(serialize_with = "serialize_now")]
    pub now: Option<OffsetDateTime>,
    /// The PBEWithMD5AndTripleDES iteration count JCEKS keys are sealed with, in the files
    /// the scenario builds and in the tenant keystore: Java's `jdk.jceks.iterationCount`
    /// security property (JDK 17, and so CPI, uses 200,000). `scenarios run
    /// --jceks-iterations N` overrides it; a low count only makes the run faster.
    pub jceks_iterations: u32,
}

impl World {
    /// JDK 17's JCEKS iteration count, the default of [`World::jceks_iterations`].
    pub const DEFAULT_JCEKS_ITERATIONS: u32 =
        harness::keystore::WriteOptions::DEFAULT_JCEKS_ITERATIONS;
}

fn serialize_now<S: serde::Serializer>(
    now: &Option<OffsetDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match now {
        Some(at) => serializer.serialize_some(&harness::time::format_rfc3339(*at)),
        None => serializer.serialize_none(),
    }
}

/// The tenant as provisioned, before any step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tenant {
    /// World certificates in the tenant before any step (a receiver whose root the tenant
    /// already trusts, like SuccessFactors: reader comment 3). Provisioned as SAP-owned
    /// trusted certificate entries `sap_<role>` (`harness::tenant::TenantSpec::sap_trusted`),
    /// as CPI pre-delivers them: a Tenant Administrator cannot change or delete them.
    pub preinstalled: Vec<Role>,
}

/// A receiver system: a mock HTTPS server on loopback.
#[derive(Clone, Debug, Serialize)]
pub struct Receiver {
    /// Its name in the scenario (`backend`).
    pub name: String,
    /// Which chain it sends.
    pub profile: Profile,
    /// Which server certificate it uses.
    pub certificate: ServerCertificate,
    /// Whether it asks for a client certificate.
    pub client_auth: ClientAuth,
    /// Its client-certificate trust store at start (world roles).
    pub trust: Vec<Role>,
    /// The CA names its CertificateRequest sends.
    pub ca_names: CaNames,
    /// How it refuses a missing or untrusted client certificate.
    pub rejection: Rejection,
    /// Its user mapping at start: certificate role -> technical user.
    pub users: Vec<UserMapping>,
    /// At most one certificate per technical user (C4C-like receivers, reader comment 5).
    pub one_user_per_certificate: bool,
    /// Enforce the user mapping even while nothing is mapped: a trusted certificate mapped
    /// to no user gets `unmapped_status` (without it, an empty mapping lets every trusted
    /// client in; `mock-receiver --require-mapping`).
    pub require_mapping: bool,
    /// The HTTP status for a trusted but unmapped certificate (401 or 403).
    pub unmapped_status: u16,
    /// What goes wrong on purpose.
    pub fault: Fault,
    /// The TLS versions it accepts.
    pub tls_versions: Vec<TlsVersion>,
}

/// A certificate mapped to a technical user.
#[derive(Clone, Debug, Serialize)]
pub struct UserMapping {
    /// The certificate (a world role, or the leaf of a downloaded `.p7b` by alias).
    pub certificate: CertSource,
    /// The technical user.
    pub user: String,
}

/// Where a certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertSource {
    /// A certificate of the world.
    Role(Role),
    /// The leaf of the chain downloaded for this alias (`<alias>.p7b`).
    DownloadedLeaf(String),
    /// The root of the chain downloaded for this alias (`<alias>.p7b`).
    DownloadedRoot(String),
}

impl fmt::Display for CertSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertSource::Role(role) => write!(f, "{role}"),
            CertSource::DownloadedLeaf(alias) => write!(f, "leaf of {alias}.p7b"),
            CertSource::DownloadedRoot(alias) => write!(f, "root of {alias}.p7b"),
        }
    }
}

/// One step of the loop, in the article's order.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// KeyStore Explorer: a new keystore, trusted certificates and key pairs imported under
    /// aliases, saved with a password.
    BuildKeystore {
        /// The keystore's name in the scenario (also its file name stem).
        keystore: String,
        /// JCEKS, JKS or PKCS#12.
        format: KeystoreFormat,
        /// The store password (never reported).
        #[serde(skip)]
        password: String,
        /// Trusted certificate entries.
        trusted: Vec<AliasedCert>,
        /// Key pair entries (the certificate's key and its chain up to the root).
        key_pairs: Vec<AliasedCert>,
        /// What the step expects.
        expect: Expect,
    },
    /// Keystore Monitor, "Add keystore".
    Upload {
        /// The keystore built earlier.
        keystore: String,
        /// The password typed in the upload dialog (never reported).
        #[serde(skip)]
        password: String,
        /// Whether the typed password differs from the one the keystore was saved with.
        wrong_password: bool,
        /// The acting user's role.
        role: TenantRole,
        /// Add (merge) or replace.
        mode: UploadMode,
        /// What the step expects.
        expect: Expect,
    },
    /// Another Keystore Monitor operation on one entry.
    Tenant {
        /// The operation.
        operation: TenantOperation,
        /// The entry's alias.
        alias: String,
        /// The new alias (rename) or the certificate to add.
        argument: Option<String>,
        /// The acting user's role.
        role: TenantRole,
        /// What the step expects.
        expect: Expect,
    },
    /// Keystore Monitor, "Download" of a key pair: `<alias>.p7b`.
    Download {
        /// The key pair's alias.
        alias: String,
        /// The acting user's role.
        role: TenantRole,
        /// What the step expects.
        expect: Expect,
    },
    /// The receiver administrator imports a certificate into the trust store and maps one to
    /// a technical user.
    ConfigureReceiver {
        /// The receiver.
        receiver: String,
        /// Certificates added to its client trust store.
        trust: Vec<CertSource>,
        /// Certificates mapped to users.
        users: Vec<UserMapping>,
        /// What the step expects.
        expect: Expect,
    },
    /// CPI's Connectivity Test (TLS).
    Connect {
        /// The receiver tested.
        receiver: String,
        /// "Validate Server Certificate Required".
        validate: bool,
        /// "Authenticate with Client Certificate": `None` = off; `Some("")` = on, alias empty.
        client_certificate: Option<String>,
        /// How a key pair is chosen when the alias is empty.
        policy: AliasPolicy,
        /// The host typed, when not the receiver's loopback address (e.g. a name that does
        /// not resolve).
        host: Option<String>,
        /// The TLS versions the client offers (default: 1.2 and 1.3).
        tls_versions: Vec<TlsVersion>,
        /// What the step expects.
        expect: Expect,
    },
    /// An HTTP request through the channel (GET / with the chosen client certificate).
    Request {
        /// The receiver.
        receiver: String,
        /// The key pair alias used, empty for "choose from the CA names", `None` for no
        /// client certificate.
        client_certificate: Option<String>,
        /// The method.
        method: String,
        /// The path.
        path: String,
        /// What the step expects.
        expect: Expect,
    },
}

impl Step {
    /// The action's name as written in files.
    pub fn action(&self) -> &'static str {
        match self {
            Step::BuildKeystore { .. } => "build-keystore",
            Step::Upload { .. } => "upload",
            Step::Tenant { .. } => "tenant",
            Step::Download { .. } => "download",
            Step::ConfigureReceiver { .. } => "configure-receiver",
            Step::Connect { .. } => "connect",
            Step::Request { .. } => "request",
        }
    }

    /// The step's expectations.
    pub fn expect(&self) -> &Expect {
        match self {
            Step::BuildKeystore { expect, .. }
            | Step::Upload { expect, .. }
            | Step::Tenant { expect, .. }
            | Step::Download { expect, .. }
            | Step::ConfigureReceiver { expect, .. }
            | Step::Connect { expect, .. }
            | Step::Request { expect, .. } => expect,
        }
    }

    /// One line saying what the step does, for reports.
    pub fn summary(&self) -> String {
        match self {
            Step::BuildKeystore {
                keystore,
                format,
                trusted,
                key_pairs,
                ..
            } => {
                let mut parts: Vec<String> = trusted
                    .iter()
                    .map(|e| format!("trusted {}={}", e.alias, e.certificate))
                    .collect();
                parts.extend(
                    key_pairs
                        .iter()
                        .map(|e| format!("key pair {}={}", e.alias, e.certificate)),
                );
                format!("new {format} `{keystore}`: {}", parts.join(", "))
            }
            Step::Upload {
                keystore,
                role,
                mode,
                wrong_password,
                ..
            } => {
                let pw = if *wrong_password {
                    ", wrong password"
                } else {
                    ""
                };
                format!("add keystore `{keystore}` ({mode}) as {role}{pw}")
            }
            Step::Tenant {
                operation,
                alias,
                argument,
                role,
                ..
            } => match argument {
                Some(arg) => format!("{operation} `{alias}` -> `{arg}` as {role}"),
                None => format!("{operation} `{alias}` as {role}"),
            },
            Step::Download { alias, role, .. } => format!("download `{alias}.p7b` as {role}"),
            Step::ConfigureReceiver {
                receiver,
                trust,
                users,
                ..
            } => {
                let mut parts: Vec<String> = trust.iter().map(|t| format!("trust {t}")).collect();
                parts.extend(
                    users
                        .iter()
                        .map(|u| format!("map {} -> {}", u.certificate, u.user)),
                );
                format!("receiver `{receiver}`: {}", parts.join(", "))
            }
            Step::Connect {
                receiver,
                validate,
                client_certificate,
                ..
            } => {
                let cert = match client_certificate.as_deref() {
                    None => "no client certificate".to_owned(),
                    Some("") => "client certificate: alias empty".to_owned(),
                    Some(alias) => format!("client certificate `{alias}`"),
                };
                let validate = if *validate {
                    "validate server certificate"
                } else {
                    "no server validation"
                };
                format!("connectivity test to `{receiver}`: {validate}, {cert}")
            }
            Step::Request {
                receiver,
                method,
                path,
                client_certificate,
                ..
            } => {
                let cert = match client_certificate.as_deref() {
                    None => "no client certificate".to_owned(),
                    Some("") => "alias empty".to_owned(),
                    Some(alias) => format!("`{alias}`"),
                };
                format!("{method} {path} to `{receiver}` with {cert}")
            }
        }
    }
}

/// A certificate imported under an alias.
#[derive(Clone, Debug, Serialize)]
pub struct AliasedCert {
    /// The alias typed in KeyStore Explorer.
    pub alias: String,
    /// The world role.
    pub certificate: Role,
    /// For key pairs: how much of the chain the entry holds.
    pub chain: ChainExtent,
}

/// What a step expects. Every field is optional; an empty expectation only requires that the
/// step ran.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Expect {
    /// `success`, or a failure class id.
    pub outcome: Option<Outcome>,
    /// "Client Certificate Used: YES/NO".
    pub client_certificate_used: Option<bool>,
    /// The alias the test chose.
    pub chosen_alias: Option<String>,
    /// The technical user the receiver mapped the request to.
    pub user: Option<String>,
    /// The HTTP status.
    pub http_status: Option<u16>,
    /// The number of certificates the server sent (connect), or in the download (download).
    pub certificates: Option<usize>,
    /// Aliases present in the tenant keystore after the step.
    pub entries: Vec<String>,
    /// Aliases absent from the tenant keystore after the step.
    pub absent: Vec<String>,
    /// Aliases the upload added.
    pub added: Vec<String>,
    /// Aliases the upload left as they were (merge without overwrite).
    pub preserved: Vec<String>,
    /// Aliases the upload overwrote.
    pub overwritten: Vec<String>,
    /// Entries refused, each with its reason id.
    pub refused: Vec<Refusal>,
    /// The operation as a whole refused, with this reason id.
    pub refused_with: Option<String>,
    /// Texts the step's output contains (the CPI/Java text, the diagnosis).
    pub text_contains: Vec<String>,
}

/// An entry refused with a reason.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    /// The alias.
    pub alias: String,
    /// The reason id (`reserved-alias`, `sap-owned`, ...).
    pub reason: String,
}

/// `success` or a failure class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum Outcome {
    /// The test succeeded.
    Success,
    /// The test failed with this class.
    Failure(FailureClass),
}

impl From<Outcome> for String {
    fn from(outcome: Outcome) -> String {
        outcome.to_string()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Success => f.write_str("success"),
            Outcome::Failure(class) => f.write_str(class.id()),
        }
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "success" {
            return Ok(Outcome::Success);
        }
        FailureClass::from_str(text).map(Outcome::Failure)
    }
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(into = "&'static str")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The id as written in files.
            pub fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id),+
                }
            }

            /// The ids, comma-separated, for error messages.
            pub(crate) fn expected() -> String {
                Self::ALL.iter().map(|v| v.id()).collect::<Vec<_>>().join(", ")
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.id()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.id() == text)
                    .ok_or_else(|| format!("unknown value `{text}` (expected one of: {})", Self::expected()))
            }
        }
    };
}

vocabulary! {
    /// The failure classes of DESIGN.md, with the connectivity test's stable ids.
    FailureClass {
        /// The chain reaches no trust anchor (missing root or intermediate, self-signed not
        /// imported).
        UnknownIssuer = "unknown-issuer",
        /// A certificate is past its notAfter.
        Expired = "expired",
        /// A certificate is before its notBefore.
        NotYetValid = "not-yet-valid",
        /// The host name is not in the certificate.
        NameMismatch = "name-mismatch",
        /// Wrong key usage or extended key usage.
        BadKeyUsage = "bad-key-usage",
        /// A certificate that is malformed or breaks a structural rule (e.g. a CA certificate
        /// as the server's end entity).
        BadCertificate = "bad-certificate",
        /// The server required a client certificate and none was sent.
        ClientCertRequired = "client-cert-required",
        /// The server refused the client certificate sent.
        ClientCertRejected = "client-cert-rejected",
        /// Handshake fine, HTTP 401/403 (trusted but not mapped to a user).
        HttpUnauthorized = "http-unauthorized",
        /// Nothing listens on the port.
        ConnectionRefused = "connection-refused",
        /// The TCP connect timed out.
        ConnectTimeout = "connect-timeout",
        /// The server stopped answering.
        ReadTimeout = "read-timeout",
        /// The server closed the connection during the handshake.
        HandshakeClosed = "handshake-closed",
        /// The answer is not TLS.
        NotTls = "not-tls",
        /// No common protocol version or cipher suite.
        ProtocolMismatch = "protocol-mismatch",
        /// Any other TLS alert.
        Alert = "alert",
        /// The host name does not resolve.
        UnknownHost = "unknown-host",
    }
}

vocabulary! {
    /// Which chain a receiver sends (DESIGN.md's trust table, plus the reversed order).
    Profile {
        /// Leaf + intermediate + root.
        FullChain = "full-chain",
        /// Leaf + intermediate.
        LeafIntermediate = "leaf-intermediate",
        /// Leaf only.
        LeafOnly = "leaf-only",
        /// A self-signed leaf.
        SelfSigned = "self-signed",
        /// Intermediate before leaf.
        ReversedChain = "reversed-chain",
    }
}

vocabulary! {
    /// Which server certificate a receiver uses: the valid one or a fault variant.
    ServerCertificate {
        /// The valid server certificate.
        Valid = "valid",
        /// Expired at "now".
        Expired = "expired",
        /// Not yet valid at "now".
        NotYetValid = "not-yet-valid",
        /// Issued for another host.
        WrongHost = "wrong-host",
        /// Host name in the CN only, no SAN.
        CnOnly = "cn-only",
        /// extendedKeyUsage emailProtection instead of serverAuth.
        WrongEku = "wrong-eku",
        /// Issued by an intermediate without basicConstraints cA=true.
        UnderNotCa = "under-not-ca",
        /// Issued under two intermediates (root -> intermediate -> intermediate 2 -> leaf).
        TwoIntermediates = "two-intermediates",
    }
}

vocabulary! {
    /// Whether a receiver asks for a client certificate.
    ClientAuth {
        /// No CertificateRequest.
        None = "none",
        /// Asks, accepts none.
        Optional = "optional",
        /// Asks, refuses none.
        Required = "required",
    }
}

vocabulary! {
    /// The CA names a receiver's CertificateRequest sends.
    CaNames {
        /// The subjects of its client trust store (the default).
        TrustStore = "trust-store",
        /// An empty list (any key pair fits).
        Empty = "empty",
        /// A foreign CA only (no key pair fits).
        Foreign = "foreign",
    }
}

vocabulary! {
    /// How a receiver refuses a missing or untrusted client certificate.
    Rejection {
        /// A TLS alert during the handshake.
        Alert = "alert",
        /// nginx-style: handshake completes, HTTP 400.
        Http400 = "http-400",
    }
}

vocabulary! {
    /// What goes wrong on purpose at a receiver.
    Fault {
        /// Nothing.
        None = "none",
        /// Nothing listens: connection refused.
        Refuse = "refuse",
        /// SYNs go unanswered: connect timed out (reader comment 2).
        ConnectTimeout = "connect-timeout",
        /// The server never sends its ServerHello.
        StallBeforeServerHello = "stall-before-server-hello",
        /// The server stalls after its CertificateRequest.
        StallAfterCertificateRequest = "stall-after-certificate-request",
        /// The server closes in the middle of the handshake.
        CloseMidHandshake = "close-mid-handshake",
        /// Plain HTTP on the TLS port.
        PlainHttp = "plain-http",
        /// A handshake_failure alert (what servers send when no cipher suite is common).
        AlertHandshakeFailure = "alert-handshake-failure",
        /// An internal_error alert.
        AlertInternalError = "alert-internal-error",
    }
}

vocabulary! {
    /// A TLS protocol version.
    TlsVersion {
        /// TLS 1.2.
        Tls12 = "1.2",
        /// TLS 1.3.
        Tls13 = "1.3",
    }
}

vocabulary! {
    /// How much of its chain a key pair entry holds.
    ChainExtent {
        /// Leaf, intermediate and root (KeyStore Explorer's import of a full chain).
        Full = "full",
        /// Leaf and intermediate.
        WithoutRoot = "without-root",
        /// The leaf alone.
        LeafOnly = "leaf-only",
    }
}

vocabulary! {
    /// The keystore types KeyStore Explorer offers that CPI accepts.
    KeystoreFormat {
        /// JCEKS (the article's choice).
        Jceks = "jceks",
        /// JKS.
        Jks = "jks",
        /// PKCS#12.
        Pkcs12 = "pkcs12",
    }
}

vocabulary! {
    /// The acting user's role in the Keystore Monitor.
    TenantRole {
        /// `AuthGroup.Admin`: may maintain (and download).
        Admin = "AuthGroup.Admin",
        /// `AuthGroup.IntegrationDeveloper`: may download.
        IntegrationDeveloper = "AuthGroup.IntegrationDeveloper",
        /// `AuthGroup.BusinessExpert`: may only view the list.
        BusinessExpert = "AuthGroup.BusinessExpert",
    }
}

vocabulary! {
    /// "Add keystore" modes.
    UploadMode {
        /// Merge; existing aliases preserved.
        Add = "add",
        /// Merge; existing Tenant Administrator aliases overwritten.
        AddOverwrite = "add-overwrite",
        /// Replace every Tenant Administrator entry.
        Replace = "replace",
    }
}

vocabulary! {
    /// Keystore Monitor operations on one entry.
    TenantOperation {
        /// Delete the entry.
        Delete = "delete",
        /// Rename the entry (argument: the new alias).
        Rename = "rename",
        /// Add a certificate (argument: a world role) under the alias.
        AddCertificate = "add-certificate",
        /// Add an oversized certificate file (more than 10,240 bytes) under the alias.
        AddOversizedCertificate = "add-oversized-certificate",
    }
}

vocabulary! {
    /// How the connectivity test picks a key pair when the alias is empty.
    AliasPolicy {
        /// The first fitting alias (the article).
        First = "first",
        /// A random one among the fitting (current CPI help; seeded here).
        Random = "random",
    }
}

/// Aliases that exist on every new tenant (SAP-owned, pre-delivered). A scenario may refer to
/// them without creating them.
pub const SAP_OWNED_ALIASES: &[&str] = &["sap_cloudintegrationcertificate"];

/// The alias prefixes CPI reserves (the article: "you are not allowed to use aliases with
/// prefix sap_, hcicertificate and hcimsgcertificate").
pub const RESERVED_PREFIXES: &[&str] = &["sap_", "hcicertificate", "hcimsgcertificate"];

/// Whether CPI reserves this alias (case-insensitive).
pub fn is_reserved_alias(alias: &str) -> bool {
    let lower = alias.to_ascii_lowercase();
    RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p))
}
