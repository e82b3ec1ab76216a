//! Seeded key pairs and their deterministic signers.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use p256::elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rcgen::{PublicKeyData, SignatureAlgorithm, SigningKey};
use serde::Serialize;

use super::PkiError;
use crate::secret::PrivateKey;

/// The key algorithms the PKI generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// ECDSA on P-256 with SHA-256 (the default).
    P256,
    /// ECDSA on P-384 with SHA-384.
    P384,
    /// RSA 2048 with SHA-256 (CPI's pre-delivered key pair).
    Rsa2048,
    /// RSA 3072 with SHA-256.
    Rsa3072,
    /// RSA 4096 with SHA-256.
    Rsa4096,
}

impl KeyType {
    /// Every key type, in the order `--help` lists them.
    pub const ALL: [KeyType; 5] = [
        KeyType::P256,
        KeyType::P384,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
    ];

    /// The name used on the command line and in files: `p256`, `rsa2048`, ...
    pub fn name(self) -> &'static str {
        match self {
            KeyType::P256 => "p256",
            KeyType::P384 => "p384",
            KeyType::Rsa2048 => "rsa2048",
            KeyType::Rsa3072 => "rsa3072",
            KeyType::Rsa4096 => "rsa4096",
        }
    }

    /// Whether this is an RSA key type.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }

    fn rsa_bits(self) -> usize {
        match self {
            KeyType::Rsa3072 => 3072,
            KeyType::Rsa4096 => 4096,
            _ => 2048,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyType {
    type Err = PkiError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.to_ascii_lowercase().replace(['-', '_'], "");
        KeyType::ALL
            .into_iter()
            .find(|t| t.name() == wanted)
            .ok_or_else(|| PkiError::UnknownKeyType {
                name: text.to_owned(),
            })
    }
}

/// Seeded keys generated (or being generated) in this process: (type, seed) -> a slot that
/// holds the key with its signer, or why it could not be made.
type KeyCache = HashMap<(KeyType, [u8; 32]), Arc<OnceLock<Result<KeyPair, String>>>>;

/// Cache entries before the cache is emptied (a bound for long property-test runs).
const KEY_CACHE_LIMIT: usize = 4096;

/// A private key with its type, generated from a seed or loaded from PKCS#8.
///
/// `Debug` elides the private key.
#[derive(Clone)]
pub struct KeyPair {
    key_type: KeyType,
    private: PrivateKey,
    /// Built once: decoding PKCS#8 recomputes the public key, which dominated world cost.
    signer: Arc<OnceLock<Result<Signer, String>>>,
}

impl KeyPair {
    /// Derives a key pair from 32 seed bytes. The same bytes always give the same key.
    ///
    /// Keys are cached per (seed, type) for the life of the process: a seeded RSA-2048 key
    /// costs about 50 ms, and tests build the same worlds many times. RSA keys whose seed is
    /// in the committed pool (`pki/pool.rs`: the same bytes this generator makes) are read
    /// from it instead of generated.
    pub fn from_seed(key_type: KeyType, seed: [u8; 32]) -> Result<Self, PkiError> {
        static CACHE: OnceLock<Mutex<KeyCache>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        // One slot per key: threads asking for the same key at once (concurrent scenarios
        // building the same world) wait for the first one instead of each generating it.
        let slot = match cache.lock() {
            Ok(mut c) => {
                if c.len() >= KEY_CACHE_LIMIT {
                    c.clear();
                }
                Arc::clone(c.entry((key_type, seed)).or_default())
            }
            Err(_) => Arc::new(OnceLock::new()),
        };
        slot.get_or_init(|| {
            if let Some(der) = super::pool::lookup(key_type, &seed) {
                return Ok(Self::from_parts(key_type, der.to_vec()));
            }
            Self::generate(key_type, seed).map_err(|e| match e {
                PkiError::Key(reason) => reason,
                other => other.to_string(),
            })
        })
        .clone()
        .map_err(PkiError::Key)
    }

    pub(super) fn generate(key_type: KeyType, seed: [u8; 32]) -> Result<Self, PkiError> {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let der = match key_type {
            KeyType::P256 => {
                let key = p256::ecdsa::SigningKey::generate_from_rng(&mut rng);
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| PkiError::Key(e.to_string()))?
                    .as_bytes()
                    .to_vec();
                let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
                return Ok(Self::with_signer(
                    key_type,
                    der,
                    Signer::P256(Box::new(key), public),
                ));
            }
            KeyType::P384 => {
                let key = p384::ecdsa::SigningKey::generate_from_rng(&mut rng);
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| PkiError::Key(e.to_string()))?
                    .as_bytes()
                    .to_vec();
                let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
                return Ok(Self::with_signer(
                    key_type,
                    der,
                    Signer::P384(Box::new(key), public),
                ));
            }
            _ => generate_rsa(key_type.rsa_bits(), seed)?,
        };
        Ok(Self::from_parts(key_type, der))
    }

    /// A seeded RSA private key of `bits` bits as PKCS#8 DER: the generator behind the RSA
    /// key types (ChaCha20 from `seed`, then `rsa`'s prime search), for callers that need
    /// sizes [`KeyType`] does not offer (mock-receiver's RSA-1024 legacy receiver). Read from
    /// the committed pool when the seed is pooled (the same bytes), generated otherwise;
    /// not cached (callers keep what they need).
    pub fn seeded_rsa_pkcs8(bits: usize, seed: [u8; 32]) -> Result<Vec<u8>, PkiError> {
        match super::pool::lookup_rsa(bits, &seed) {
            Some(der) => Ok(der.to_vec()),
            None => generate_rsa(bits, seed),
        }
    }

    /// Wraps an existing PKCS#8 key of a known type.
    pub fn from_parts(key_type: KeyType, pkcs8_der: Vec<u8>) -> Self {
        Self {
            key_type,
            private: PrivateKey::from_pkcs8_der(pkcs8_der),
            signer: Arc::new(OnceLock::new()),
        }
    }

    fn with_signer(key_type: KeyType, pkcs8_der: Vec<u8>, signer: Signer) -> Self {
        let key = Self::from_parts(key_type, pkcs8_der);
        let _ = key.signer.set(Ok(signer));
        key
    }

    /// The key algorithm.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The private key (PKCS#8).
    pub fn private_key(&self) -> &PrivateKey {
        &self.private
    }

    /// A deterministic signer for rcgen: RFC 6979 ECDSA through the p256/p384 crates, and
    /// PKCS#1 v1.5 RSA (deterministic by construction) through rcgen's aws-lc-rs key pair.
    pub(crate) fn signer(&self) -> Result<&Signer, PkiError> {
        self.signer
            .get_or_init(|| self.decode_signer().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| PkiError::Key(e.clone()))
    }

    fn decode_signer(&self) -> Result<Signer, PkiError> {
        let der = self.private.secret_pkcs8_der();
        let key_err = |e: &dyn fmt::Display| PkiError::Key(e.to_string());
        Ok(match self.key_type {
            KeyType::P256 => {
                let key = p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| key_err(&e))?;
                let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
                Signer::P256(Box::new(key), public)
            }
            KeyType::P384 => {
                let key = p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| key_err(&e))?;
                let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
                Signer::P384(Box::new(key), public)
            }
            _ => {
                let pkcs8 = rustls_pki_types::PrivatePkcs8KeyDer::from(der.to_vec());
                let pair =
                    rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
                        .map_err(|e| key_err(&e))?;
                Signer::Rsa(Box::new(pair))
            }
        })
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("key_type", &self.key_type)
            .field("private", &self.private)
            .finish()
    }
}

/// rcgen's view of one of our keys.
pub(crate) enum Signer {
    P256(Box<p256::ecdsa::SigningKey>, Vec<u8>),
    P384(Box<p384::ecdsa::SigningKey>, Vec<u8>),
    Rsa(Box<rcgen::KeyPair>),
}

impl PublicKeyData for Signer {
    fn der_bytes(&self) -> &[u8] {
        match self {
            Signer::P256(_, public) | Signer::P384(_, public) => public,
            Signer::Rsa(pair) => pair.der_bytes(),
        }
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self {
            Signer::P256(..) => &rcgen::PKCS_ECDSA_P256_SHA256,
            Signer::P384(..) => &rcgen::PKCS_ECDSA_P384_SHA384,
            Signer::Rsa(pair) => pair.algorithm(),
        }
    }
}

impl SigningKey for Signer {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        use p256::ecdsa::signature::Signer as _;
        match self {
            Signer::P256(key, _) => {
                let sig: p256::ecdsa::DerSignature = key.sign(msg);
                Ok(sig.as_bytes().to_vec())
            }
            Signer::P384(key, _) => {
                let sig: p384::ecdsa::DerSignature = key.sign(msg);
                Ok(sig.as_bytes().to_vec())
            }
            Signer::Rsa(pair) => pair.sign(msg),
        }
    }
}
/// RSA key generation from a seed: ChaCha20 seeded with `seed`, `rsa`'s prime search,
/// PKCS#8 DER. The pool (`pool.rs`) holds outputs of exactly this function.
pub(super) fn generate_rsa(bits: usize, seed: [u8; 32]) -> Result<Vec<u8>, PkiError> {
    let mut rng = ChaCha20Rng::from_seed(seed);
    let key = rsa::PrivateKey::new(&mut rng, bits).map_err(|e| PkiError::Key(e.to_string()))?;
    Ok(rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key)
        .map_err(|e| PkiError::Key(e.to_string()))?
        .as_bytes()
        .to_vec())
}
