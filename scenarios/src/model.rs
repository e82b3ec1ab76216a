//! The scenario model: what a scenario file says, once loaded and checked.
//!
//! A scenario is the article's loop written down: the world (seed, key type, "now"), the
//! receivers, and steps in the article's order, each with the expectations that say what the
//! real behaviour is. [`crate::load`] deserializes a TOML file straight into these types and
//! checks it; every reference in a loaded scenario (receiver names, keystore names, aliases,
//! certificate roles) resolves.
//!
//! The receiver's vocabulary (trust profile, certificate variant, client-auth mode, CA names,
//! rejection layer, fault) is `mock_receiver`'s own types, the TLS versions are
//! `harness::connect`'s, failure classes are [`harness::connect::FailureClass`] and refusal
//! reasons [`harness::tenant::Refusal`]: this crate declares only the words of its own steps.

use std::fmt;

use harness::connect::{FailureClass, TlsVersion};
use harness::pki::{KeyType, Role};
use harness::tenant::{AuthGroup, Refusal};
use mock_receiver::{CaNameMode, ClientAuthMode, Fault, Rejection, ServerVariant, TrustProfile};
use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

mod words;

pub use words::{AliasPolicy, ChainExtent, KeystoreFormat, TenantOperation, UploadMode};

/// The scenario format version this crate reads.
pub const FORMAT_VERSION: u32 = 1;

/// One scenario: a world, receivers and steps.
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug)]
pub struct World {
    /// The seed, when the file fixes one (`--seed` overrides it).
    pub seed: Option<u64>,
    /// The key type of every certificate.
    pub key_type: KeyType,
    /// The simulated "now", when the file fixes one (`--now` overrides it).
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

/// The tenant as provisioned, before any step.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// World certificates in the tenant before any step (a receiver whose root the tenant
    /// already trusts, like SuccessFactors: reader comment 3). Provisioned as SAP-owned
    /// trusted certificate entries `sap_<role>` (`harness::tenant::TenantSpec::sap_trusted`),
    /// as CPI pre-delivers them: a Tenant Administrator cannot change or delete them.
    #[serde(default)]
    pub preinstalled: Vec<Role>,
    /// A keystore file merged into the tenant by an administrator before any step:
    /// `harness capture`'s twin keystore.
    #[serde(default)]
    pub keystore: Option<TenantKeystore>,
}

/// A keystore file a scenario brings along (`harness capture`'s twin keystore).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantKeystore {
    /// The file, relative to the scenario file.
    pub file: String,
    /// Its store password (a twin's, never a real keystore's).
    pub password: String,
    /// The aliases it holds, so steps may name them.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A receiver system: a mock HTTPS server on loopback.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    /// Its name in the scenario (`backend`).
    pub name: String,
    /// Which chain it sends.
    pub profile: TrustProfile,
    /// Which server certificate it uses.
    #[serde(default)]
    pub certificate: ServerVariant,
    /// Whether it asks for a client certificate.
    #[serde(default)]
    pub client_auth: ClientAuthMode,
    /// Its client-certificate trust store at start (world roles).
    #[serde(default)]
    pub trust: Vec<Role>,
    /// The CA names its CertificateRequest sends.
    #[serde(default)]
    pub ca_names: CaNameMode,
    /// How it refuses a missing or untrusted client certificate.
    #[serde(default)]
    pub rejection: Rejection,
    /// Its user mapping at start: certificate role -> technical user.
    #[serde(default)]
    pub users: Vec<UserMapping>,
    /// At most one certificate per technical user (C4C-like receivers, reader comment 5).
    #[serde(default)]
    pub one_user_per_certificate: bool,
    /// Enforce the user mapping even while nothing is mapped: a trusted certificate mapped
    /// to no user gets `unmapped_status` (without it, an empty mapping lets every trusted
    /// client in; `mock-receiver --require-mapping`).
    #[serde(default)]
    pub require_mapping: bool,
    /// The HTTP status for a trusted but unmapped certificate (401 or 403).
    #[serde(default = "default_unmapped_status")]
    pub unmapped_status: u16,
    /// What goes wrong on purpose; `None` (written `none`, the default) for nothing.
    #[serde(default, deserialize_with = "fault_or_none")]
    pub fault: Option<Fault>,
    /// The TLS versions it accepts (written `["1.2", "1.3"]`, the default).
    #[serde(default = "all_versions", deserialize_with = "tls_versions")]
    pub tls_versions: Vec<TlsVersion>,
    /// A PEM file (relative to the scenario file) with the chain to send, exactly as sent
    /// (`harness capture`'s twin); `profile` and `certificate` are then not used.
    #[serde(default)]
    pub cert_file: Option<String>,
    /// The PKCS#8 PEM key of `cert_file`'s first certificate.
    #[serde(default)]
    pub key_file: Option<String>,
    /// A PEM file of certificates added to the client trust store at start.
    #[serde(default)]
    pub client_trust_file: Option<String>,
    /// A PEM file of certificates whose subjects are the CA names sent, in order (instead of
    /// `ca_names`).
    #[serde(default)]
    pub ca_names_file: Option<String>,
    /// Legacy TLS, served by OpenSSL instead of rustls (all optional, none by default):
    /// `legacy = { ciphers = "cbc-only" | "rsa-kx-only" | "dhe-only" | "ffdhe-only",
    /// version = "1.0" | "1.1", server_key = "rsa1024" | "rsa-pss" | "sha1-chain" |
    /// "key-encipherment-only" }`. The cipher policies other than `ffdhe-only` cap the
    /// receiver at TLS 1.2; `version` replaces `tls_versions`; `server_key` replaces
    /// `certificate` with a leaf of that kind under the same intermediate.
    /// Default: `{}` (a rustls receiver). Example: `{ ciphers = "cbc-only" }`
    #[serde(default)]
    pub legacy: mock_receiver::Legacy,
}

fn default_unmapped_status() -> u16 {
    401
}

/// Both TLS versions, the default of receivers and connectivity tests.
pub fn all_versions() -> Vec<TlsVersion> {
    vec![TlsVersion::Tls12, TlsVersion::Tls13]
}

/// A fault, or `none`.
fn fault_or_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Fault>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text == "none" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::unknown_variant(
            &text,
            &[
                "none",
                "refuse",
                "connect-timeout",
                "stall-before-server-hello",
                "stall-after-certificate-request",
                "close-mid-handshake",
                "plain-http",
                "alert-NAME (alert-handshake-failure, alert-internal-error, ...)",
            ],
        )
    })
}

/// TLS versions as scenario files write them: `"1.2"`, `"1.3"`.
fn tls_versions<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<TlsVersion>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| match text.as_str() {
            "1.2" => Ok(TlsVersion::Tls12),
            "1.3" => Ok(TlsVersion::Tls13),
            other => Err(serde::de::Error::unknown_variant(other, &["1.2", "1.3"])),
        })
        .collect()
}

/// The file's spelling of a TLS version.
pub fn version_id(version: TlsVersion) -> &'static str {
    match version {
        TlsVersion::Tls10 => "1.0",
        TlsVersion::Tls11 => "1.1",
        TlsVersion::Tls12 => "1.2",
        TlsVersion::Tls13 => "1.3",
    }
}

/// A certificate mapped to a technical user.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserMapping {
    /// The certificate (a world role, or the leaf of a downloaded `.p7b` by alias).
    pub certificate: CertSource,
    /// The technical user.
    pub user: String,
}

/// Where a certificate comes from: a world role (`client`), `leaf-of:ALIAS` or
/// `root-of:ALIAS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertSource {
    /// A certificate of the world.
    Role(Role),
    /// The leaf of the chain downloaded for this alias (`<alias>.p7b`).
    DownloadedLeaf(String),
    /// The root of the chain downloaded for this alias (`<alias>.p7b`).
    DownloadedRoot(String),
}

impl<'de> Deserialize<'de> for CertSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if let Some(alias) = text.strip_prefix("leaf-of:") {
            return Ok(CertSource::DownloadedLeaf(alias.to_owned()));
        }
        if let Some(alias) = text.strip_prefix("root-of:") {
            return Ok(CertSource::DownloadedRoot(alias.to_owned()));
        }
        text.parse::<Role>().map(CertSource::Role).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown certificate `{text}` (expected a world role, `leaf-of:ALIAS` or `root-of:ALIAS`)"
            ))
        })
    }
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

fn yes() -> bool {
    true
}

fn get() -> String {
    "GET".to_owned()
}

fn slash() -> String {
    "/".to_owned()
}

/// One step of the loop, in the article's order. The file's `action` picks the variant; a
/// field another action takes is refused.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// KeyStore Explorer: a new keystore, trusted certificates and key pairs imported under
    /// aliases, saved with a password.
    BuildKeystore {
        /// The keystore's name in the scenario (also its file name stem).
        keystore: String,
        /// JCEKS, JKS or PKCS#12.
        #[serde(default)]
        format: KeystoreFormat,
        /// The store password.
        password: String,
        /// Trusted certificate entries.
        #[serde(default)]
        trusted: Vec<AliasedCert>,
        /// Key pair entries (the certificate's key and its chain up to the root).
        #[serde(default)]
        key_pairs: Vec<AliasedCert>,
        /// What the step expects.
        #[serde(default)]
        expect: Expect,
    },
    /// Keystore Monitor, "Add keystore".
    Upload {
        /// The keystore built earlier.
        keystore: String,
        /// The password typed in the upload dialog; `None`: the one the keystore was saved
        /// with.
        password: Option<String>,
        /// Whether the typed password differs from the one the keystore was saved with (set
        /// by the loader).
        #[serde(skip)]
        wrong_password: bool,
        /// The acting user's auth group (an administrator by default).
        #[serde(default = "admin")]
        role: AuthGroup,
        /// Add (merge) or replace.
        #[serde(default)]
        mode: UploadMode,
        /// What the step expects.
        #[serde(default)]
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
        /// The acting user's auth group (an administrator by default).
        #[serde(default = "admin")]
        role: AuthGroup,
        /// What the step expects.
        #[serde(default)]
        expect: Expect,
    },
    /// Keystore Monitor, "Download" of a key pair: `<alias>.p7b`.
    Download {
        /// The key pair's alias.
        alias: String,
        /// The acting user's auth group (an integration developer by default).
        #[serde(default = "developer")]
        role: AuthGroup,
        /// What the step expects.
        #[serde(default)]
        expect: Expect,
    },
    /// The receiver administrator imports a certificate into the trust store and maps one to
    /// a technical user.
    ConfigureReceiver {
        /// The receiver.
        receiver: String,
        /// Certificates added to its client trust store.
        #[serde(default)]
        trust: Vec<CertSource>,
        /// Certificates mapped to users.
        #[serde(default)]
        users: Vec<UserMapping>,
        /// What the step expects.
        #[serde(default)]
        expect: Expect,
    },
    /// CPI's Connectivity Test (TLS).
    Connect {
        /// The receiver tested.
        receiver: String,
        /// "Validate Server Certificate Required".
        #[serde(default = "yes")]
        validate: bool,
        /// "Authenticate with Client Certificate": `None` = off; `Some("")` = on, alias empty.
        client_certificate: Option<String>,
        /// How a key pair is chosen when the alias is empty.
        #[serde(default)]
        policy: AliasPolicy,
        /// The host typed, when not the receiver's loopback address (e.g. a name that does
        /// not resolve).
        host: Option<String>,
        /// The TLS versions the client offers (default: 1.2 and 1.3).
        #[serde(default = "all_versions", deserialize_with = "tls_versions")]
        tls_versions: Vec<TlsVersion>,
        /// What the step expects.
        #[serde(default)]
        expect: Expect,
        /// Which Java key manager chooses when the alias is empty (`pkix`, the default, or
        /// `sunx509`). Example: `"sunx509"`
        #[serde(default)]
        key_manager: Option<harness::connect::KeyManagerKind>,
    },
    /// An HTTP request through the channel (GET / with the chosen client certificate).
    Request {
        /// The receiver.
        receiver: String,
        /// The key pair alias used, empty for "choose from the CA names", `None` for no
        /// client certificate.
        client_certificate: Option<String>,
        /// The method.
        #[serde(default = "get")]
        method: String,
        /// The path.
        #[serde(default = "slash")]
        path: String,
        /// What the step expects.
        #[serde(default)]
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
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasedCert {
    /// The alias typed in KeyStore Explorer.
    pub alias: String,
    /// The world role.
    pub certificate: Role,
    /// For key pairs: how much of the chain the entry holds.
    #[serde(default)]
    pub chain: ChainExtent,
}

/// What a step expects. Every field is optional; an empty expectation only requires that the
/// step ran.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
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
    #[serde(default)]
    pub entries: Vec<String>,
    /// Aliases absent from the tenant keystore after the step.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Aliases the upload added.
    #[serde(default)]
    pub added: Vec<String>,
    /// Aliases the upload left as they were (merge without overwrite).
    #[serde(default)]
    pub preserved: Vec<String>,
    /// Aliases the upload overwrote.
    #[serde(default)]
    pub overwritten: Vec<String>,
    /// Entries refused, each with its reason.
    #[serde(default)]
    pub refused: Vec<RefusedEntry>,
    /// The operation as a whole refused, for this reason.
    pub refused_with: Option<Refused>,
    /// Texts the step's output contains (the CPI/Java text, the diagnosis).
    #[serde(default)]
    pub text_contains: Vec<String>,
}

/// An entry refused with a reason.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusedEntry {
    /// The alias.
    pub alias: String,
    /// The reason (`reserved-alias`, `sap-owned`, ...).
    pub reason: Refusal,
}

/// Why an operation was refused: by the Keystore Monitor, or by the receiver's
/// administration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The Keystore Monitor refused (`role`, `sap-owned`, ...).
    Tenant(Refusal),
    /// The receiver maps one user per certificate and the certificate is mapped already.
    CertificateAlreadyMapped,
}

impl Refused {
    const ALREADY_MAPPED: &'static str = "certificate-already-mapped";
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Tenant(refusal) => write!(f, "{refusal}"),
            Refused::CertificateAlreadyMapped => f.write_str(Self::ALREADY_MAPPED),
        }
    }
}

impl<'de> Deserialize<'de> for Refused {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == Self::ALREADY_MAPPED {
            return Ok(Refused::CertificateAlreadyMapped);
        }
        text.parse().map(Refused::Tenant).map_err(|_| {
            let mut ids: Vec<&str> = Refusal::ALL.iter().map(|r| r.id()).collect();
            ids.push(Self::ALREADY_MAPPED);
            serde::de::Error::custom(format!(
                "unknown variant `{text}`, expected one of {}",
                ids.iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

/// `success` or a failure class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The test succeeded.
    Success,
    /// The test failed with this class.
    Failure(FailureClass),
}

impl Outcome {
    /// The outcome of a connectivity test.
    pub fn of(outcome: &harness::connect::Outcome) -> Self {
        outcome
            .failure_class()
            .map_or(Outcome::Success, Outcome::Failure)
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

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "success" {
            return Ok(Outcome::Success);
        }
        text.parse().map(Outcome::Failure).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown variant `{text}`, expected `success` or one of {}",
                FailureClass::IDS
                    .iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

/// The default acting user of Keystore Monitor maintenance steps.
fn admin() -> AuthGroup {
    AuthGroup::Admin
}

/// The default acting user of download steps.
fn developer() -> AuthGroup {
    AuthGroup::IntegrationDeveloper
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_roles_read_as_their_names() {
        for role in Role::ALL {
            let value = toml::Value::String(role.name().to_owned());
            let back: Role = value.try_into().unwrap();
            assert_eq!(back, role);
        }
    }

    #[test]
    fn outcomes_read_success_and_every_class() {
        let read = |text: &str| Outcome::deserialize(toml::Value::String(text.to_owned()));
        assert_eq!(read("success").unwrap(), Outcome::Success);
        for class in FailureClass::ALL {
            assert_eq!(read(class.id()).unwrap(), Outcome::Failure(*class));
            assert_eq!(Outcome::Failure(*class).to_string(), class.id());
        }
        let e = read("expird").unwrap_err().to_string();
        assert!(e.contains("unknown variant `expird`"), "{e}");
    }
}
