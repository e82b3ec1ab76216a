//! The client-certificate part of a connectivity test: why a key pair was (or was not) sent
//! ([`ChoiceReason`], [`ClientCertReport`]), and rustls' hook into the engine-agnostic
//! [`KeyManager`] (see [`super::key_manager`] for Java's rules).
//!
//! The CA names (`certificate_authorities`) are DER `Name`s, outer SEQUENCE included; they
//! are compared with the issuer of every certificate in a key pair's chain as Java's
//! `X500Principal` compares them (canonical form). An empty list lets every key pair fit.

use serde::Serialize;

use super::ConnectError;
use super::key_manager::{CheckResult, Dropped, same_name};
use super::options::{ClientCertificate, Policy};
use super::trust::KeyPairSource;

/// Why an alias was (or was not) chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "reason")]
pub enum ChoiceReason {
    /// "Authenticate with Client Certificate" is off.
    NotConfigured,
    /// The server never sent a CertificateRequest.
    ServerDidNotAsk,
    /// The alias was named.
    NamedAlias,
    /// The named alias exists but is not a key pair entry.
    NamedAliasNotKeyPair,
    /// The first key pair (in keystore order) whose chain fits the CA names.
    FirstFitting {
        /// Every fitting alias, in keystore order.
        fitting: Vec<String>,
    },
    /// A fitting key pair chosen at random from a seed.
    RandomFitting {
        /// Every fitting alias, in keystore order.
        fitting: Vec<String>,
        /// The seed.
        seed: u64,
    },
    /// No key pair's chain has an issuer among the CA names.
    NoKeyPairFits {
        /// The key pairs that were considered.
        key_pairs: Vec<String>,
    },
    /// The keystore holds no key pair at all.
    NoKeyPairs,
    /// Java's PKIX key manager (the default): the first key pair, in keystore order, of the
    /// best rank among those that fit (see the module docs of `connect::key_manager`).
    BestRanked {
        /// The rank of the chosen key pair.
        rank: CheckResult,
        /// Every fitting alias, best first.
        fitting: Vec<String>,
        /// The key pairs that do not fit, and why.
        dropped: Vec<Dropped>,
    },
    /// The key manager chose a key pair whose key password differs from the keystore
    /// password: Java's key manager cannot unseal the key (`getPrivateKey` gives `null`), so
    /// no certificate is sent.
    KeyPasswordDiffers {
        /// The alias chosen.
        alias: String,
    },
    /// No key pair fits the CertificateRequest, for the reasons given (key type, CA names,
    /// signature algorithms of the chain).
    NothingFits {
        /// Every key pair and why it does not fit.
        dropped: Vec<Dropped>,
    },
}

impl ChoiceReason {
    /// One sentence for people.
    pub fn describe(&self, alias: Option<&str>) -> String {
        let alias = alias.unwrap_or("-");
        match self {
            ChoiceReason::NotConfigured => "client certificate authentication is off".into(),
            ChoiceReason::ServerDidNotAsk => {
                "the server did not request a client certificate".into()
            }
            ChoiceReason::NamedAlias => format!("alias `{alias}` was named"),
            ChoiceReason::NamedAliasNotKeyPair => "the named alias is not a key pair entry".into(),
            ChoiceReason::FirstFitting { fitting } => format!(
                "`{alias}` is the first of {} key pair(s) whose chain fits the server's CA names",
                fitting.len()
            ),
            ChoiceReason::RandomFitting { fitting, seed } => format!(
                "`{alias}` was picked at random (seed {seed}) among {} fitting key pair(s)",
                fitting.len()
            ),
            ChoiceReason::NoKeyPairFits { key_pairs } => format!(
                "none of the {} key pair(s) has a chain issued under the CA names the server sent",
                key_pairs.len()
            ),
            ChoiceReason::NoKeyPairs => "the keystore holds no key pair".into(),
            ChoiceReason::BestRanked {
                rank,
                fitting,
                dropped,
            } => {
                let mut text = format!(
                    "Java's PKIX key manager chose `{alias}` ({}), the first of the best rank among {} fitting key pair(s)",
                    rank.describe(),
                    fitting.len()
                );
                if !dropped.is_empty() {
                    text.push_str(&format!("; not fitting: {}", dropped_text(dropped)));
                }
                text
            }
            ChoiceReason::KeyPasswordDiffers { alias } => format!(
                "Java's key manager chose `{alias}`, but its key password differs from the keystore password, so Java cannot unseal the key and sends no certificate"
            ),
            ChoiceReason::NothingFits { dropped } => format!(
                "no key pair fits the server's CertificateRequest: {}",
                dropped_text(dropped)
            ),
        }
    }
}

fn dropped_text(dropped: &[Dropped]) -> String {
    dropped
        .iter()
        .map(|d| format!("`{}` ({})", d.alias, d.drop.describe()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The client-certificate part of an outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientCertReport {
    /// What was configured.
    pub configured: ClientCertificate,
    /// Whether the server sent a CertificateRequest.
    pub requested: bool,
    /// The CA names it sent, as text (`CN=..., O=...`), in order.
    pub ca_names: Vec<String>,
    /// The CA names as DER, for byte comparisons (not serialised).
    #[serde(skip)]
    pub ca_names_der: Vec<Vec<u8>>,
    /// The alias whose certificate was sent.
    pub chosen_alias: Option<String>,
    /// Why.
    #[serde(flatten)]
    pub reason: ChoiceReason,
    /// "Client Certificate Used: YES/NO".
    pub used: bool,
}

/// Chooses an alias for a CertificateRequest: pure logic, unit-tested below.
///
/// `candidates` are (alias, DER issuer names of its chain) in keystore order.
pub fn choose_alias(
    configured: &ClientCertificate,
    candidates: &[(&str, &[Vec<u8>])],
    ca_names: &[&[u8]],
) -> (Option<String>, ChoiceReason) {
    match configured {
        ClientCertificate::Off => (None, ChoiceReason::NotConfigured),
        ClientCertificate::Alias(alias) => {
            match candidates
                .iter()
                .find(|(a, _)| a.eq_ignore_ascii_case(alias))
            {
                Some((a, _)) => (Some((*a).to_owned()), ChoiceReason::NamedAlias),
                None => (None, ChoiceReason::NamedAliasNotKeyPair),
            }
        }
        ClientCertificate::Automatic(policy) => {
            if candidates.is_empty() {
                return (None, ChoiceReason::NoKeyPairs);
            }
            let fitting: Vec<String> = candidates
                .iter()
                .filter(|(_, issuers)| {
                    ca_names.is_empty()
                        || issuers
                            .iter()
                            .any(|i| ca_names.iter().any(|n| same_name(n, i)))
                })
                .map(|(a, _)| (*a).to_owned())
                .collect();
            if fitting.is_empty() {
                let key_pairs = candidates.iter().map(|(a, _)| (*a).to_owned()).collect();
                return (None, ChoiceReason::NoKeyPairFits { key_pairs });
            }
            match policy {
                Policy::FirstFitting => (
                    Some(fitting[0].clone()),
                    ChoiceReason::FirstFitting { fitting },
                ),
                Policy::RandomFitting { seed } => {
                    let pick = (splitmix64(*seed) % fitting.len() as u64) as usize;
                    (
                        Some(fitting[pick].clone()),
                        ChoiceReason::RandomFitting {
                            fitting,
                            seed: *seed,
                        },
                    )
                }
            }
        }
    }
}

/// A seeded mix (SplitMix64): enough for a reproducible pick, no RNG crate API needed.
pub(crate) fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Checks that a key pair's private key is one Java accepts as a client key (RSA of any
/// size, RSASSA-PSS, EC, EdDSA, DSA: PKCS#8 with that algorithm), so a bad key is bad input,
/// found before any network traffic. Whether a TLS engine can sign with it is the engine's
/// business.
pub(crate) fn check_key(kp: &KeyPairSource) -> Result<(), ConnectError> {
    const JAVA_CLIENT_KEYS: &[&str] = &[
        "1.2.840.113549.1.1.1",
        "1.2.840.113549.1.1.10",
        "1.2.840.10045.2.1",
        "1.3.101.112",
        "1.3.101.113",
        "1.2.840.10040.4.1",
    ];
    let algorithm = pkcs8_algorithm(kp.key.secret_pkcs8_der());
    match algorithm {
        Some(oid) if JAVA_CLIENT_KEYS.contains(&oid.as_str()) => Ok(()),
        other => Err(ConnectError::KeyPair {
            alias: kp.alias.clone(),
            source: super::KeyPairError::UnsupportedKey(crate::decode::TlsError(
                rustls::Error::General(match other {
                    Some(oid) => format!("key algorithm {oid} is not a client key Java can use"),
                    None => "the private key is not PKCS#8".to_owned(),
                }),
            )),
        }),
    }
}

/// The algorithm OID of a PKCS#8 `PrivateKeyInfo`.
fn pkcs8_algorithm(der: &[u8]) -> Option<String> {
    let (_, info) = x509_parser::der_parser::parse_der(der).ok()?;
    let fields = info.as_sequence().ok()?;
    let algorithm = fields.get(1)?.as_sequence().ok()?;
    Some(algorithm.first()?.as_oid().ok()?.to_id_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        (vec![0x30, 1], vec![0x30, 2], vec![0x30, 3])
    }

    #[test]
    fn first_fitting_follows_keystore_order() {
        let (a, b, c) = names();
        let one = vec![a.clone()];
        let two = vec![b.clone(), c.clone()];
        let cands = [("k1", one.as_slice()), ("k2", two.as_slice())];
        let auto = ClientCertificate::Automatic(Policy::FirstFitting);
        let (alias, _) = choose_alias(&auto, &cands, &[c.as_slice()]);
        assert_eq!(alias.as_deref(), Some("k2"));
        let (alias, _) = choose_alias(&auto, &cands, &[]);
        assert_eq!(alias.as_deref(), Some("k1"), "no CA names: any key fits");
        let (alias, reason) = choose_alias(&auto, &cands, &[&[0x30, 9][..]]);
        assert_eq!(alias, None);
        assert!(matches!(reason, ChoiceReason::NoKeyPairFits { .. }));
    }

    #[test]
    fn random_fitting_is_seeded() {
        let (a, _, _) = names();
        let one = vec![a.clone()];
        let cands: Vec<(String, Vec<Vec<u8>>)> =
            (0..8).map(|i| (format!("k{i}"), one.clone())).collect();
        let views: Vec<(&str, &[Vec<u8>])> = cands
            .iter()
            .map(|(a, i)| (a.as_str(), i.as_slice()))
            .collect();
        let pick = |seed| {
            choose_alias(
                &ClientCertificate::Automatic(Policy::RandomFitting { seed }),
                &views,
                &[a.as_slice()],
            )
            .0
        };
        assert_eq!(pick(7), pick(7));
        let distinct: std::collections::BTreeSet<_> = (0..64).map(pick).collect();
        assert!(distinct.len() > 1, "different seeds pick different aliases");
    }

    #[test]
    fn named_alias_ignores_ca_names() {
        let (a, b, _) = names();
        let one = vec![a];
        let cands = [("k1", one.as_slice())];
        let named = ClientCertificate::Alias("K1".into());
        assert_eq!(
            choose_alias(&named, &cands, &[b.as_slice()]).0.as_deref(),
            Some("k1")
        );
        let missing = ClientCertificate::Alias("nope".into());
        assert_eq!(
            choose_alias(&missing, &cands, &[]).1,
            ChoiceReason::NamedAliasNotKeyPair
        );
    }
}
