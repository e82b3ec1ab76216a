//! Legacy receivers: what many enterprise backends still speak and rustls deliberately does
//! not (TLS 1.0/1.1, CBC suites, RSA key exchange, DHE, ffdhe groups), and server keys or
//! chains rcgen cannot make (RSA-1024, RSA-PSS, SHA-1 signatures, keyEncipherment only).
//!
//! A spec with any [`Legacy`] setting is served by OpenSSL (the system libssl through the
//! `openssl` and `tokio-openssl` crates, at security level 0) instead of rustls, with the
//! same behaviour where it applies: the chain exactly as configured, client authentication
//! none/optional/required with the configured CA names and the same client-certificate
//! decision (the receiver's webpki verifier, called from OpenSSL's verify callback), the
//! journal, the HTTP answer and user mapping. Of the faults, `refuse` and `connect-timeout`
//! are available (they happen before TLS); the others need the rustls engine and are
//! refused at start.
//!
//! | file | what it is |
//! |---|---|
//! | `mod.rs` | the settings ([`Legacy`], [`CipherPolicy`], [`LegacyVersion`], [`LegacyServerKey`]) |
//! | `pki.rs` | server identities with legacy keys and signatures, issued with OpenSSL |
//! | `server.rs` | the OpenSSL context, accept loop and connection handling |

use std::fmt;
use std::str::FromStr;

use crate::error::ReceiverError;

mod pki;
mod server;

pub(crate) use server::start;

/// Which TLS 1.2 cipher suites (and groups) a legacy receiver accepts. Scenario files
/// (`legacy.ciphers`) and `--legacy-ciphers` spell it as [`CipherPolicy::name`] does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum CipherPolicy {
    /// TLS 1.2 (or older) with AES-CBC suites only (ECDHE, DHE and RSA key exchange), no AEAD:
    /// no TLS 1.3, which has no CBC suites.
    CbcOnly,
    /// TLS 1.2 (or older) with RSA key exchange only (`TLS_RSA_WITH_*`): no forward secrecy,
    /// needs an RSA server key with keyEncipherment.
    RsaKxOnly,
    /// TLS 1.2 (or older) with finite-field DHE only (`TLS_DHE_RSA_WITH_*`, 2048-bit ffdhe2048
    /// parameters): needs an RSA server key.
    DheOnly,
    /// Finite-field groups only (ffdhe2048..8192): TLS 1.3 key shares on ffdhe groups (a
    /// client sending only EC key shares gets a HelloRetryRequest), DHE suites under TLS 1.2.
    FfdheOnly,
}

impl CipherPolicy {
    /// Every policy.
    pub const ALL: [CipherPolicy; 4] = [
        CipherPolicy::CbcOnly,
        CipherPolicy::RsaKxOnly,
        CipherPolicy::DheOnly,
        CipherPolicy::FfdheOnly,
    ];

    /// The name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CipherPolicy::CbcOnly => "cbc-only",
            CipherPolicy::RsaKxOnly => "rsa-kx-only",
            CipherPolicy::DheOnly => "dhe-only",
            CipherPolicy::FfdheOnly => "ffdhe-only",
        }
    }

    /// Whether the policy leaves TLS 1.3 out (TLS 1.3 has no CBC, RSA key exchange or
    /// separate DHE suites).
    pub fn tls12_at_most(self) -> bool {
        !matches!(self, CipherPolicy::FfdheOnly)
    }
}

/// A TLS version older than 1.2, offered alone. Scenario files (`legacy.version`) and
/// `--legacy-tls` spell it `1.0` or `1.1`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
pub enum LegacyVersion {
    /// TLS 1.0 only (disabled in JDK 17's default `jdk.tls.disabledAlgorithms`).
    #[serde(rename = "1.0", alias = "tls1.0")]
    #[value(name = "1.0", alias = "tls1.0")]
    Tls10,
    /// TLS 1.1 only (disabled in JDK 17's default `jdk.tls.disabledAlgorithms`).
    #[serde(rename = "1.1", alias = "tls1.1")]
    #[value(name = "1.1", alias = "tls1.1")]
    Tls11,
}

impl LegacyVersion {
    /// The name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            LegacyVersion::Tls10 => "1.0",
            LegacyVersion::Tls11 => "1.1",
        }
    }
}

/// A server key or chain made with OpenSSL, issued under the world's receiver intermediate
/// (or self-signed for the self-signed profile). Scenario files (`legacy.server_key`) and
/// `--legacy-key` spell it as [`LegacyServerKey::name`] does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum LegacyServerKey {
    /// A 1024-bit RSA server key (seeded); JDK 17 accepts RSA keys from 1024 bits.
    Rsa1024,
    /// A 2048-bit RSASSA-PSS server key (SPKI algorithm id-RSASSA-PSS, seeded).
    RsaPss,
    /// The world's server key, with the leaf and the intermediate signed with SHA-1
    /// (sha1WithRSAEncryption or ecdsa-with-SHA1).
    Sha1Chain,
    /// The world's server key, with keyUsage keyEncipherment alone (no digitalSignature):
    /// usable only with RSA key exchange.
    KeyEnciphermentOnly,
}

impl LegacyServerKey {
    /// Every legacy key.
    pub const ALL: [LegacyServerKey; 4] = [
        LegacyServerKey::Rsa1024,
        LegacyServerKey::RsaPss,
        LegacyServerKey::Sha1Chain,
        LegacyServerKey::KeyEnciphermentOnly,
    ];

    /// The name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            LegacyServerKey::Rsa1024 => "rsa1024",
            LegacyServerKey::RsaPss => "rsa-pss",
            LegacyServerKey::Sha1Chain => "sha1-chain",
            LegacyServerKey::KeyEnciphermentOnly => "key-encipherment-only",
        }
    }
}

/// The legacy settings of a receiver; any of them set makes the receiver an OpenSSL one.
/// In scenario files: `legacy = { ciphers = "cbc-only", version = "1.0", server_key = "rsa1024" }`
/// (each optional).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct Legacy {
    /// The TLS 1.2 cipher suites (and groups) accepted; `None` for OpenSSL's defaults at
    /// security level 0.
    #[serde(default)]
    pub ciphers: Option<CipherPolicy>,
    /// A TLS version below 1.2 offered alone; `None` for the spec's `versions`.
    #[serde(default)]
    pub version: Option<LegacyVersion>,
    /// A server key or chain only OpenSSL makes; `None` for the spec's identity.
    #[serde(default)]
    pub server_key: Option<LegacyServerKey>,
}

impl Legacy {
    /// Whether any legacy setting is on (then OpenSSL serves the receiver).
    pub fn is_active(&self) -> bool {
        self.ciphers.is_some() || self.version.is_some() || self.server_key.is_some()
    }

    /// The settings as one label (`ciphers=cbc-only version=1.0`), empty when none is on.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.ciphers {
            parts.push(format!("ciphers={}", c.name()));
        }
        if let Some(v) = self.version {
            parts.push(format!("version={}", v.name()));
        }
        if let Some(k) = self.server_key {
            parts.push(format!("server-key={}", k.name()));
        }
        parts.join(" ")
    }
}

impl fmt::Display for CipherPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for LegacyServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LegacyServerKey {
    type Err = ReceiverError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        LegacyServerKey::ALL
            .into_iter()
            .find(|k| k.name() == text)
            .ok_or_else(|| ReceiverError::UnknownVariant {
                name: text.to_owned(),
            })
    }
}

/// The server identity of `profile` with a legacy server key from `world` (see
/// [`LegacyServerKey`]); used by [`ReceiverSpec::with_legacy`](crate::ReceiverSpec::with_legacy).
pub fn legacy_identity(
    world: &harness::pki::World,
    profile: crate::TrustProfile,
    key: LegacyServerKey,
) -> Result<crate::ServerIdentity, ReceiverError> {
    pki::identity(world, profile, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_from_toml_and_refuse_unknown_fields() {
        #[derive(serde::Deserialize)]
        struct Doc {
            legacy: Legacy,
        }
        let doc: Doc = toml_like(
            r#"{"legacy":{"ciphers":"rsa-kx-only","version":"1.1","server_key":"sha1-chain"}}"#,
        );
        assert_eq!(doc.legacy.ciphers, Some(CipherPolicy::RsaKxOnly));
        assert_eq!(doc.legacy.version, Some(LegacyVersion::Tls11));
        assert_eq!(doc.legacy.server_key, Some(LegacyServerKey::Sha1Chain));
        assert!(doc.legacy.is_active());
        assert_eq!(
            doc.legacy.label(),
            "ciphers=rsa-kx-only version=1.1 server-key=sha1-chain"
        );
        assert!(serde_json::from_str::<Legacy>(r#"{"cipher":"cbc-only"}"#).is_err());
        assert!(!Legacy::default().is_active());
    }

    fn toml_like<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn names_round_trip() {
        for key in LegacyServerKey::ALL {
            assert_eq!(key.name().parse::<LegacyServerKey>().unwrap(), key);
        }
        assert!("rsa512".parse::<LegacyServerKey>().is_err());
    }
}
