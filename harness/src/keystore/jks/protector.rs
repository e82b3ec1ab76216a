//! The two key protectors: Sun's proprietary JKS protector and SunJCE's PBEWithMD5AndTripleDES.
//!
//! - JKS (`sun.security.provider.KeyProtector`, OID 1.3.6.1.4.1.42.2.17.1.1): a 20-byte salt,
//!   then the key XORed with the stream `d1 = SHA1(pw || salt)`, `d2 = SHA1(pw || d1)`, ...,
//!   then `SHA1(pw || plain key)` as an integrity check; `pw` is the password as UTF-16BE.
//! - JCEKS (`com.sun.crypto.provider.KeyProtector` with `PBEWithMD5AndTripleDESCipher`, core
//!   in `PBES1Core.deriveCipherKey`, OID 1.3.6.1.4.1.42.2.19.1): an 8-byte salt and an
//!   iteration count; each 4-byte salt half is hashed `x = MD5(x || pw)` `count` times, the
//!   32 output bytes are a DES-EDE3 key (24) and a CBC IV (8), PKCS#5 padding; `pw` is the
//!   password's chars as bytes, printable ASCII only (`com.sun.crypto.provider.PBEKey`).
//!   When the two salt halves are equal, the first half is reversed: `[a, b, c, d]` becomes
//!   `[d, c, b, a]`. JDK 17 (17.0.15, checked against SunJCE's own output in
//!   `harness/tests/data/keytool/pbe-vectors.txt`) does exactly that; older JCE code had a typo
//!   (`salt[3-1] = tmp`) that gave `[d, a, b, d]`, which pyjks still implements. We follow the
//!   JDK we interoperate with.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use md5::{Digest, Md5};
use sha1::Sha1;

use super::der;
use crate::keystore::entry::SealScheme;
use crate::keystore::error::ErrorKind;
use crate::secret::{Password, PrivateKey};

/// OID 1.3.6.1.4.1.42.2.17.1.1 (content bytes): Sun's JKS key protector.
pub(super) const JKS_PROTECTOR_OID: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x11, 0x01, 0x01];
/// OID 1.3.6.1.4.1.42.2.19.1 (content bytes): PBEWithMD5AndTripleDES.
pub(super) const PBE_MD5_3DES_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x13, 0x01];

/// The iteration count JDK 17 writes (`jdk.jceks.iterationCount` defaults to 200,000).
pub(crate) const JCEKS_ITERATIONS: u32 = 200_000;
/// The largest iteration count we read: JDK 17's `KeyProtector.MAX_ITERATION_COUNT`. Anything
/// above it is refused before a single round is run.
pub(crate) const MAX_ITERATIONS: u32 = 5_000_000;

const JKS_SALT_LEN: usize = 20;
const SHA1_LEN: usize = 20;
const PBE_SALT_LEN: usize = 8;

/// Which scheme protects a key blob, read from its `EncryptedPrivateKeyInfo`.
pub(super) fn scheme_of(blob: &[u8]) -> Result<SealScheme, ErrorKind> {
    let info = der::parse_encrypted_key_info(blob)?;
    scheme_of_oid(info.oid)
}

fn scheme_of_oid(oid: &[u8]) -> Result<SealScheme, ErrorKind> {
    if oid == JKS_PROTECTOR_OID {
        Ok(SealScheme::JksKeyProtector)
    } else if oid == PBE_MD5_3DES_OID {
        Ok(SealScheme::JceksPbeMd5TripleDes)
    } else {
        Err(ErrorKind::Unsupported {
            what: format!(
                "key protection algorithm (OID {})",
                crate::cert::oid_text(oid)
            ),
        })
    }
}

/// The key-derivation iterations unsealing `blob` costs: JCEKS its PBE iteration count, JKS
/// 1 (its protector has no count); 0 when the blob does not parse (unsealing refuses it).
pub(crate) fn unseal_work(scheme: SealScheme, blob: &[u8]) -> u64 {
    match scheme {
        SealScheme::JksKeyProtector => 1,
        SealScheme::JceksPbeMd5TripleDes => der::parse_encrypted_key_info(blob)
            .ok()
            .and_then(|info| info.params)
            .and_then(|params| der::parse_pbe_params(params).ok())
            .map_or(0, |(_, iterations)| u64::from(iterations)),
    }
}

/// Recovers the PKCS#8 key from a sealed blob. A wrong password is
/// [`ErrorKind::WrongPassword`] (the caller names the alias).
pub(crate) fn unseal(
    scheme: SealScheme,
    blob: &[u8],
    password: &Password,
) -> Result<PrivateKey, ErrorKind> {
    let info = der::parse_encrypted_key_info(blob)?;
    let found = scheme_of_oid(info.oid)?;
    if found != scheme {
        return Err(ErrorKind::Malformed {
            reason: "the protected key's algorithm does not match its scheme".into(),
        });
    }
    let plain = match scheme {
        SealScheme::JksKeyProtector => {
            if !der::is_null_or_absent(info.params) {
                return Err(ErrorKind::Malformed {
                    reason: "JKS key protector with parameters".into(),
                });
            }
            jks_recover(info.data, password)?
        }
        SealScheme::JceksPbeMd5TripleDes => {
            let params = info.params.ok_or_else(|| ErrorKind::Malformed {
                reason: "PBEWithMD5AndTripleDES without parameters".into(),
            })?;
            let (salt, iterations) = der::parse_pbe_params(params)?;
            pbe_decrypt(info.data, password, salt, iterations)?
        }
    };
    // Java parses the result as PKCS#8 and calls a failure "Cannot recover key": a wrong
    // password that happens to pass the padding check ends here too.
    if !der::is_one_sequence(&plain) {
        return Err(ErrorKind::WrongPassword {
            integrity_only: false,
        });
    }
    Ok(PrivateKey::from_pkcs8_der(plain))
}

/// Seals a PKCS#8 key with the JKS key protector.
pub(super) fn jks_seal(key: &PrivateKey, password: &Password, salt: [u8; JKS_SALT_LEN]) -> Vec<u8> {
    let plain = key.secret_pkcs8_der();
    let pw = utf16be(password);
    let mut out = Vec::with_capacity(JKS_SALT_LEN + plain.len() + SHA1_LEN);
    out.extend_from_slice(&salt);
    out.extend(
        plain
            .iter()
            .zip(jks_stream(&pw, &salt, plain.len()))
            .map(|(p, k)| p ^ k),
    );
    out.extend_from_slice(&Sha1::new().chain_update(&pw).chain_update(plain).finalize());
    der::encode_encrypted_key_info(JKS_PROTECTOR_OID, &der::DER_NULL, &out)
}

fn jks_recover(data: &[u8], password: &Password) -> Result<Vec<u8>, ErrorKind> {
    if data.len() < JKS_SALT_LEN + SHA1_LEN {
        return Err(ErrorKind::Malformed {
            reason: format!(
                "JKS protected key of {} bytes is shorter than salt and check digest",
                data.len()
            ),
        });
    }
    let (salt, rest) = data.split_at(JKS_SALT_LEN);
    let (encrypted, check) = rest.split_at(rest.len() - SHA1_LEN);
    let pw = utf16be(password);
    let plain: Vec<u8> = encrypted
        .iter()
        .zip(jks_stream(&pw, salt, encrypted.len()))
        .map(|(c, k)| c ^ k)
        .collect();
    let digest = Sha1::new()
        .chain_update(&pw)
        .chain_update(&plain)
        .finalize();
    if digest.as_slice() != check {
        return Err(ErrorKind::WrongPassword {
            integrity_only: false,
        });
    }
    Ok(plain)
}

/// The JKS protector's key stream: SHA-1 digests chained from the salt.
fn jks_stream<'a>(pw: &'a [u8], salt: &[u8], len: usize) -> impl Iterator<Item = u8> + 'a {
    let mut digest = salt.to_vec();
    (0..len.div_ceil(SHA1_LEN))
        .flat_map(move |_| {
            digest = Sha1::new()
                .chain_update(pw)
                .chain_update(&digest)
                .finalize()
                .to_vec();
            digest.clone()
        })
        .take(len)
}

/// Seals a PKCS#8 key with PBEWithMD5AndTripleDES.
pub(super) fn pbe_seal(
    key: &PrivateKey,
    password: &Password,
    salt: [u8; PBE_SALT_LEN],
    iterations: u32,
) -> Result<Vec<u8>, ErrorKind> {
    let data = pbe_encrypt(key.secret_pkcs8_der(), password, &salt, iterations)?;
    Ok(der::encode_encrypted_key_info(
        PBE_MD5_3DES_OID,
        &der::encode_pbe_params(&salt, iterations),
        &data,
    ))
}

pub(super) fn pbe_encrypt(
    plain: &[u8],
    password: &Password,
    salt: &[u8],
    iterations: u32,
) -> Result<Vec<u8>, ErrorKind> {
    let (key, iv) = pbe_derive(password, salt, iterations)?;
    let cipher = cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
        .map_err(|_| internal("DES-EDE3 key or IV length"))?;
    Ok(cipher.encrypt_padded_vec::<Pkcs7>(plain))
}

/// Decrypts PBEWithMD5AndTripleDES data; bad padding is a wrong password.
pub(super) fn pbe_decrypt(
    data: &[u8],
    password: &Password,
    salt: &[u8],
    iterations: u32,
) -> Result<Vec<u8>, ErrorKind> {
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(ErrorKind::Malformed {
            reason: format!(
                "PBEWithMD5AndTripleDES data of {} bytes is not whole 8-byte blocks",
                data.len()
            ),
        });
    }
    let (key, iv) = pbe_derive(password, salt, iterations)?;
    let cipher = cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
        .map_err(|_| internal("DES-EDE3 key or IV length"))?;
    cipher
        .decrypt_padded_vec::<Pkcs7>(data)
        .map_err(|_| ErrorKind::WrongPassword {
            integrity_only: false,
        })
}

/// `PBES1Core.deriveCipherKey` for DESede: 24 key bytes and 8 IV bytes.
pub(super) fn pbe_derive(
    password: &Password,
    salt: &[u8],
    iterations: u32,
) -> Result<([u8; 24], [u8; 8]), ErrorKind> {
    if salt.len() != PBE_SALT_LEN {
        return Err(ErrorKind::Malformed {
            reason: format!(
                "PBEWithMD5AndTripleDES salt of {} bytes (expected 8)",
                salt.len()
            ),
        });
    }
    if iterations == 0 {
        return Err(ErrorKind::Malformed {
            reason: "PBE iteration count 0 (Java requires a positive count)".into(),
        });
    }
    if iterations > MAX_ITERATIONS {
        return Err(ErrorKind::LimitExceeded {
            what: "PBE iteration count".into(),
            value: u64::from(iterations),
            limit: u64::from(MAX_ITERATIONS),
        });
    }
    let pw = pbe_password_bytes(password)?;
    // The same (password, salt, count) derives the same key and IV: a seeded keystore sealed
    // at Java's 200,000 rounds, then opened again (an upload's unseal, a scenario that builds
    // the same world twice), pays the rounds once per process. Entries are named by a SHA-256
    // over the inputs, so the password itself is not kept as a map key.
    let name: [u8; 32] = {
        let mut h = sha2::Sha256::new();
        sha2::Digest::update(&mut h, b"harness-pbe-derive/v1\0");
        sha2::Digest::update(&mut h, (pw.len() as u64).to_be_bytes());
        sha2::Digest::update(&mut h, &pw);
        sha2::Digest::update(&mut h, salt);
        sha2::Digest::update(&mut h, iterations.to_be_bytes());
        sha2::Digest::finalize(h).into()
    };
    // One cell per inputs: a second thread asking for the same derivation while the first
    // computes it waits for that result instead of running the rounds again (scenarios run
    // in parallel and seal the same seeded keys).
    let cell = derive_cache(|c| {
        if c.len() >= DERIVE_CACHE_LIMIT {
            c.clear();
        }
        Some(std::sync::Arc::clone(c.entry(name).or_default()))
    });
    Ok(match cell {
        Some(cell) => *cell.get_or_init(|| pbe_derive_uncached(&pw, salt, iterations)),
        None => pbe_derive_uncached(&pw, salt, iterations),
    })
}

/// Cache entries before the derive cache is emptied (a bound for long property-test runs).
const DERIVE_CACHE_LIMIT: usize = 1024;

/// A derived key and IV, computed at most once per inputs.
type DeriveCell = std::sync::Arc<std::sync::OnceLock<([u8; 24], [u8; 8])>>;

type DeriveCache = std::collections::HashMap<[u8; 32], DeriveCell>;

/// Runs `f` on the process's derive cache; `None` when the lock is poisoned.
fn derive_cache<T>(f: impl FnOnce(&mut DeriveCache) -> Option<T>) -> Option<T> {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<DeriveCache>> = std::sync::OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().ok()?;
    f(&mut cache)
}

/// The MD5 rounds themselves (`salt` is 8 bytes, `iterations` >= 1: checked by the caller).
///
/// Java's PBES1 core (`PBES1Core.deriveCipherKey`) runs one MD5 chain per salt half, and the
/// two chains never meet: at Java's 200,000 rounds they run on two threads, which halves the
/// time a first keystore seal or open waits (about 40 ms a chain on these machines).
fn pbe_derive_uncached(pw: &[u8], salt: &[u8], iterations: u32) -> ([u8; 24], [u8; 8]) {
    #[cfg(test)]
    tests::COMPUTED.with(|c| c.set(c.get() + 1));
    let mut halves = [[0u8; 4]; 2];
    halves[0].copy_from_slice(&salt[..4]);
    halves[1].copy_from_slice(&salt[4..]);
    if halves[0] == halves[1] {
        halves[0].reverse();
    }
    let chain = |half: &[u8; 4]| {
        let first: [u8; 16] = Md5::new()
            .chain_update(half)
            .chain_update(pw)
            .finalize()
            .into();
        md5_rounds(first, pw, iterations - 1)
    };
    let (a, b) = if iterations >= PARALLEL_ITERATIONS {
        std::thread::scope(|scope| {
            let second = scope.spawn(|| chain(&halves[1]));
            let a = chain(&halves[0]);
            // A thread that cannot be joined panicked; compute its half here instead.
            (a, second.join().unwrap_or_else(|_| chain(&halves[1])))
        })
    } else {
        (chain(&halves[0]), chain(&halves[1]))
    };
    let mut key = [0u8; 24];
    let mut iv = [0u8; 8];
    key[..16].copy_from_slice(&a);
    key[16..].copy_from_slice(&b[..8]);
    iv.copy_from_slice(&b[8..]);
    (key, iv)
}

/// Iteration counts from which the two MD5 chains run on two threads (below it, a thread
/// costs more than it saves).
const PARALLEL_ITERATIONS: u32 = 20_000;

/// `x = MD5(x || pw)`, `rounds` times.
///
/// When `x || pw` fits one MD5 block with its padding (passwords up to 39 bytes, nearly all),
/// the padded block is built once and only `x` changes per round: one compression per round
/// and nothing else, instead of the hasher's buffering and finalisation.
fn md5_rounds(mut x: [u8; 16], pw: &[u8], rounds: u32) -> [u8; 16] {
    const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let len = 16 + pw.len();
    if len > 55 {
        let mut hasher = Md5::new();
        for _ in 0..rounds {
            hasher.update(x);
            hasher.update(pw);
            x = hasher.finalize_reset().into();
        }
        return x;
    }
    let mut block = [0u8; 64];
    block[16..len].copy_from_slice(pw);
    block[len] = 0x80;
    block[56..].copy_from_slice(&(len as u64 * 8).to_le_bytes());
    for _ in 0..rounds {
        block[..16].copy_from_slice(&x);
        let mut state = IV;
        md5::block_api::compress(&mut state, std::slice::from_ref(&block));
        for (out, word) in x.chunks_exact_mut(4).zip(state) {
            out.copy_from_slice(&word.to_le_bytes());
        }
    }
    x
}

/// `com.sun.crypto.provider.PBEKey`: printable ASCII only (a lone `\0` stands for the empty
/// password), one byte per char.
fn pbe_password_bytes(password: &Password) -> Result<Vec<u8>, ErrorKind> {
    let text = password.secret_str();
    if text == "\0" {
        return Ok(vec![0]);
    }
    if !text.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(ErrorKind::Unsupported {
            what: "key password with characters outside printable ASCII for \
                   PBEWithMD5AndTripleDES (Java's PBEKey refuses it: \"Password is not ASCII\")"
                .into(),
        });
    }
    Ok(text.as_bytes().to_vec())
}

/// The password as Java's `char[]` in big-endian bytes (JKS protector and store integrity).
pub(super) fn utf16be(password: &Password) -> Vec<u8> {
    password
        .secret_utf16()
        .into_iter()
        .flat_map(u16::to_be_bytes)
        .collect()
}

fn internal(what: &str) -> ErrorKind {
    ErrorKind::Malformed {
        reason: format!("internal: {what}"),
    }
}

#[cfg(test)]
mod tests {
    thread_local! {
        /// How many derivations this thread computed (not taken from the cache).
        pub(super) static COMPUTED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn concurrent_equal_derivations_compute_once() {
        let password = crate::secret::Password::new("concurrent derivation test");
        // A salt no other test uses, so the cache cannot already hold it.
        let salt = [0x5a, 0x17, 0xc3, 0x08, 0x99, 0x42, 0xe1, 0x7d];
        let barrier = std::sync::Barrier::new(8);
        let (results, computed): (Vec<_>, Vec<u32>) = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        let derived = super::pbe_derive(&password, &salt, 20_000).unwrap();
                        (derived, COMPUTED.with(std::cell::Cell::get))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).unzip()
        });
        assert_eq!(computed.iter().sum::<u32>(), 1, "{computed:?}");
        assert!(results.windows(2).all(|w| w[0] == w[1]));
    }
    #[test]
    fn one_block_md5_rounds_equal_the_hasher_for_every_password_length() {
        for len in 0..=60 {
            let pw: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let start: [u8; 16] = std::array::from_fn(|i| i as u8);
            let mut expected = start;
            for _ in 0..5 {
                expected = super::Md5::new()
                    .chain_update(expected)
                    .chain_update(&pw)
                    .finalize()
                    .into();
            }
            assert_eq!(
                super::md5_rounds(start, &pw, 5),
                expected,
                "password of {len}"
            );
            assert_eq!(super::md5_rounds(start, &pw, 0), start);
        }
    }

    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn oids_print_dotted() {
        assert_eq!(
            crate::cert::oid_text(JKS_PROTECTOR_OID),
            "1.3.6.1.4.1.42.2.17.1.1"
        );
        assert_eq!(
            crate::cert::oid_text(PBE_MD5_3DES_OID),
            "1.3.6.1.4.1.42.2.19.1"
        );
    }

    #[test]
    fn jks_protector_round_trips_and_detects_a_wrong_password() {
        let key = PrivateKey::from_pkcs8_der(hex("3011020100300506032b6570040504030102ff"));
        let password = Password::new("g\u{e9}heim-\u{10da}");
        let blob = jks_seal(&key, &password, [9; 20]);
        assert_eq!(scheme_of(&blob).unwrap(), SealScheme::JksKeyProtector);
        let back = unseal(SealScheme::JksKeyProtector, &blob, &password).unwrap();
        assert_eq!(back.secret_pkcs8_der(), key.secret_pkcs8_der());
        assert!(matches!(
            unseal(SealScheme::JksKeyProtector, &blob, &Password::new("other")),
            Err(ErrorKind::WrongPassword { .. })
        ));
    }

    #[test]
    fn pbe_round_trips_with_equal_salt_halves() {
        let key = PrivateKey::from_pkcs8_der(hex("3011020100300506032b6570040504030102ff"));
        let password = Password::new("changeit");
        for salt in [*b"abcdabcd", *b"abcdefgh"] {
            let blob = pbe_seal(&key, &password, salt, 10).unwrap();
            let back = unseal(SealScheme::JceksPbeMd5TripleDes, &blob, &password).unwrap();
            assert_eq!(back.secret_pkcs8_der(), key.secret_pkcs8_der());
        }
        // Equal halves are not hashed as given: the first is reversed.
        let quirk = pbe_derive(&password, b"abcdabcd", 1).unwrap();
        let plain_halves = {
            let h = |s: &[u8]| {
                Md5::new()
                    .chain_update(s)
                    .chain_update(b"changeit")
                    .finalize()
            };
            let mut out = h(b"abcd").to_vec();
            out.extend_from_slice(&h(b"abcd"));
            out
        };
        assert_ne!(&quirk.0[..], &plain_halves[..24]);
        let inverted = Md5::new()
            .chain_update(b"dcba")
            .chain_update(b"changeit")
            .finalize();
        assert_eq!(&quirk.0[..16], &inverted[..]);
    }

    #[test]
    fn pbe_refuses_absurd_iterations_before_work() {
        let started = std::time::Instant::now();
        let err = pbe_derive(&Password::new("x"), b"12345678", u32::MAX >> 1).unwrap_err();
        assert!(matches!(err, ErrorKind::LimitExceeded { limit, .. } if limit == 5_000_000));
        assert!(started.elapsed().as_secs() < 1);
        assert!(pbe_derive(&Password::new("x"), b"12345678", 0).is_err());
        assert!(pbe_derive(&Password::new("x"), b"1234567", 1).is_err());
    }

    #[test]
    fn pbe_refuses_non_ascii_passwords_as_java_does() {
        let err = pbe_derive(&Password::new("gr\u{fc}n"), b"12345678", 1).unwrap_err();
        assert!(err.to_string().contains("not ASCII"), "{err}");
    }
}
