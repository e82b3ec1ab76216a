//! Seeded RSA keys generated ahead of time, so a process does not pay the ~50-500 ms of
//! RSA prime search for the keys the built-in suite, the benches and the tests ask for.
//!
//! `rsa_pool.bin` holds records `[key type: u8][seed: 32 bytes][length: u16 BE][PKCS#8 DER]`.
//! Each key is exactly what [`super::KeyPair::from_seed`] generates for that (type, seed):
//! the pool was written by that generator (`regenerate_rsa_pool` below, from the seeds in
//! `rsa_pool.seeds`) and the test `every_pooled_key_is_the_generated_key` regenerates every
//! record and compares the bytes. A seed outside the pool is generated as before, so no key,
//! certificate or fingerprint depends on whether its seed is pooled.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::KeyType;

static POOL: &[u8] = include_bytes!("rsa_pool.bin");

fn type_code(key_type: KeyType) -> u8 {
    match key_type {
        KeyType::P256 => 0,
        KeyType::P384 => 1,
        KeyType::Rsa2048 => 2,
        KeyType::Rsa3072 => 3,
        KeyType::Rsa4096 => 4,
    }
}

/// The code of RSA-1024 keys, which no [`KeyType`] names (mock-receiver's legacy receiver).
const RSA_1024: u8 = 5;

/// The code of an RSA key of `bits` bits.
fn rsa_code(bits: usize) -> Option<u8> {
    match bits {
        1024 => Some(RSA_1024),
        2048 => Some(type_code(KeyType::Rsa2048)),
        3072 => Some(type_code(KeyType::Rsa3072)),
        4096 => Some(type_code(KeyType::Rsa4096)),
        _ => None,
    }
}

/// One pooled key: its key type's code, its seed, its PKCS#8 DER.
type Record = (u8, [u8; 32], &'static [u8]);

/// The pool's index: (key type code, seed) -> PKCS#8 DER.
type Index = HashMap<(u8, [u8; 32]), &'static [u8]>;

/// The records of `bytes`; `None` when a record is cut short.
fn records(bytes: &'static [u8]) -> Option<Vec<Record>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (&code, tail) = rest.split_first()?;
        let seed: [u8; 32] = tail.get(..32)?.try_into().ok()?;
        let len = usize::from(u16::from_be_bytes(tail.get(32..34)?.try_into().ok()?));
        let der = tail.get(34..34 + len)?;
        out.push((code, seed, der));
        rest = &tail[34 + len..];
    }
    Some(out)
}

/// The pooled PKCS#8 DER of the key `from_seed(key_type, seed)` makes, if pooled.
pub(super) fn lookup(key_type: KeyType, seed: &[u8; 32]) -> Option<&'static [u8]> {
    lookup_code(type_code(key_type), seed)
}

/// The pooled PKCS#8 DER of the key `generate_rsa(bits, seed)` makes, if pooled.
pub(super) fn lookup_rsa(bits: usize, seed: &[u8; 32]) -> Option<&'static [u8]> {
    lookup_code(rsa_code(bits)?, seed)
}

fn lookup_code(code: u8, seed: &[u8; 32]) -> Option<&'static [u8]> {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            records(POOL)
                .unwrap_or_default()
                .into_iter()
                .map(|(code, seed, der)| ((code, seed), der))
                .collect()
        })
        .get(&(code, *seed))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::key::generate_rsa;

    /// The RSA size of a pool code.
    fn bits_of(code: u8) -> usize {
        [1024, 2048, 3072, 4096]
            .into_iter()
            .find(|bits| rsa_code(*bits) == Some(code))
            .expect("an RSA key code")
    }

    /// A line of `rsa_pool.seeds`: `<rsa1024|rsa2048|rsa3072|rsa4096> <hex seed>`, as (code,
    /// seed).
    fn hex_seed(line: &str) -> (u8, [u8; 32]) {
        let (name, hex) = line.split_once(' ').expect("`<type> <hex seed>`");
        let bits: usize = name
            .strip_prefix("rsa")
            .and_then(|b| b.parse().ok())
            .expect("rsa<bits>");
        let code = rsa_code(bits).expect("a pooled RSA size");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
        (code, bytes.try_into().expect("32 seed bytes"))
    }

    fn listed_seeds() -> Vec<(u8, [u8; 32])> {
        include_str!("rsa_pool.seeds")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(hex_seed)
            .collect()
    }

    #[test]
    fn the_pool_parses_and_lists_the_seeds_file() {
        let records = records(POOL).expect("whole records");
        let seeds = listed_seeds();
        assert_eq!(records.len(), seeds.len());
        for ((code, seed, _), listed) in records.iter().zip(&seeds) {
            assert_eq!(&(*code, *seed), listed);
        }
    }

    /// The pool changes nothing: each pooled key is byte for byte the generated one.
    #[test]
    fn every_pooled_key_is_the_generated_key() {
        for (code, seed, der) in records(POOL).expect("whole records") {
            let generated = generate_rsa(bits_of(code), seed).expect("generates");
            assert!(
                generated == der,
                "pooled key for seed {seed:02x?} differs from the generated one"
            );
        }
    }

    /// Every RSA key type's generator is the pooled one: `KeyPair::from_seed` of a pooled
    /// seed gives the pooled bytes whether or not the pool is read.
    #[test]
    fn key_pairs_generate_what_the_pool_holds() {
        let (code, seed, der) = records(POOL)
            .expect("whole records")
            .into_iter()
            .find(|(code, _, _)| *code == type_code(KeyType::Rsa2048))
            .expect("an RSA-2048 record");
        let generated = crate::pki::KeyPair::generate(KeyType::Rsa2048, seed).expect("generates");
        assert_eq!(code, type_code(KeyType::Rsa2048));
        assert!(generated.private_key().secret_pkcs8_der() == der);
    }

    /// Writes `rsa_pool.bin` from `rsa_pool.seeds` with the seeded generator:
    /// `cargo test --release -p harness --lib regenerate_rsa_pool -- --ignored`.
    #[test]
    #[ignore = "rewrites src/pki/rsa_pool.bin"]
    fn regenerate_rsa_pool() {
        let mut out = Vec::new();
        for (code, seed) in listed_seeds() {
            let der = generate_rsa(bits_of(code), seed).expect("generates");
            out.push(code);
            out.extend_from_slice(&seed);
            out.extend_from_slice(&u16::try_from(der.len()).expect("short").to_be_bytes());
            out.extend_from_slice(&der);
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pki/rsa_pool.bin");
        std::fs::write(path, out).expect("writes the pool");
    }
}
