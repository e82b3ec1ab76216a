//! The key-derivation budget of one file.
//!
//! Each iteration count is capped on its own (PKCS#12: 1,000,000; JCEKS: 5,000,000), but a
//! file may hold many encrypted bags or sealed keys: 100 PKCS#12 key bags at 1,000,000
//! PBKDF2 iterations fit in 37 KB and cost 30 s before the MAC or a password is checked.
//! So the iterations a file asks for are also summed, before any derivation, and a file
//! asking for more than [`MAX_KDF_WORK`] in total is refused: that is ten keys at the
//! highest count keytool writes by default (JCEKS, JDK 17: 200,000), or 200 PKCS#12 bags
//! at keytool's 10,000 (OpenSSL writes 2,048).
//!
//! PKCS#12 counts the MAC and every PBE algorithm identifier found in the file's DER
//! (PKCS#12 PBE, PBKDF2 and scrypt parameters; encrypted bags nested inside an encrypted
//! container are only visible after decryption and are capped by the per-count limit).
//! JKS and JCEKS count every sealed key when keys are unsealed ([`super::Keystore`]'s
//! `unlock_keys`); JKS's key protector has no iteration count and counts 1.

use super::error::ErrorKind;

/// The key-derivation iterations one file may ask for in total (see the module docs).
pub const MAX_KDF_WORK: u64 = 2_000_000;

/// How deep the DER walk descends (PKCS#12 nests about ten levels).
const MAX_DEPTH: usize = 32;

/// `pkcs-12PbeIds` 1.2.840.113549.1.12.1 (content bytes, without the last arc).
const PKCS12_PBE_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
/// PBKDF2, 1.2.840.113549.1.5.12.
const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
/// scrypt, 1.3.6.1.4.1.11591.4.11.
const SCRYPT: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b];

/// Refuses `work` above [`MAX_KDF_WORK`], naming the budget.
pub(super) fn check(work: u64, format: &str) -> Result<(), ErrorKind> {
    if work > MAX_KDF_WORK {
        return Err(ErrorKind::LimitExceeded {
            what: format!(
                "{format} key-derivation work (iterations summed over the file, the per-file \
                 budget; about ten keys at 200,000)"
            ),
            value: work,
            limit: MAX_KDF_WORK,
        });
    }
    Ok(())
}

/// The iterations asked for by every PBE algorithm identifier in `der` (PKCS#12 PBE,
/// PBKDF2, scrypt), found by walking the DER, into OCTET STRINGs that hold DER too. Linear in
/// the input and bounded in depth; malformed parts are skipped (the real parser refuses them).
pub(super) fn declared_kdf_work(der: &[u8]) -> u64 {
    let mut work: u64 = 0;
    let mut stack: Vec<(&[u8], usize)> = vec![(der, 0)];
    while let Some((mut rest, depth)) = stack.pop() {
        while let Some((tag, content, after)) = tlv(rest) {
            rest = after;
            if tag == 0x30
                && let Some((0x06, oid, params)) = tlv(content)
            {
                work = work.saturating_add(params_work(oid, params));
            }
            if depth >= MAX_DEPTH {
                continue;
            }
            let constructed = tag & 0x20 != 0;
            let der_in_octets = tag == 0x04 && content.first() == Some(&0x30);
            if constructed || der_in_octets {
                stack.push((content, depth + 1));
            }
        }
    }
    work
}

fn params_work(oid: &[u8], params: &[u8]) -> u64 {
    let Some((0x30, seq, _)) = tlv(params) else {
        return 0;
    };
    let integers = |skip: usize, take: usize| -> Vec<u64> {
        let mut out = Vec::new();
        let mut rest = seq;
        let mut i = 0;
        while let Some((tag, content, after)) = tlv(rest) {
            if i >= skip && out.len() < take {
                out.push(if tag == 0x02 { integer(content) } else { 0 });
            }
            i += 1;
            rest = after;
        }
        out
    };
    if oid.len() == PKCS12_PBE_PREFIX.len() + 1 && oid.starts_with(PKCS12_PBE_PREFIX) {
        // PBEParameter { salt, iterations }
        integers(1, 1).first().copied().unwrap_or(0)
    } else if oid == PBKDF2 {
        // PBKDF2-params { salt, iterationCount, keyLength?, prf? }
        integers(1, 1).first().copied().unwrap_or(0)
    } else if oid == SCRYPT {
        // scrypt-params { salt, costParameter, blockSize, parallelizationParameter, ... }
        integers(1, 3)
            .into_iter()
            .fold(1u64, |acc, n| acc.saturating_mul(n))
    } else {
        0
    }
}

/// A non-negative INTEGER's value, saturating (negative counts as 0).
fn integer(content: &[u8]) -> u64 {
    if content.first().is_some_and(|b| b & 0x80 != 0) {
        return 0;
    }
    let digits = match content.iter().position(|&b| b != 0) {
        Some(i) => &content[i..],
        None => return 0,
    };
    if digits.len() > 8 {
        return u64::MAX;
    }
    digits
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// One DER TLV with a one-byte tag: `(tag, content, rest)`, or `None` when it does not
/// parse (high tag numbers, indefinite or oversized lengths, truncation).
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first & 0x80 == 0 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::keystore::jks::der::tlv as tlv_of;

    #[test]
    fn pbkdf2_and_pkcs12_pbe_counts_are_summed_also_inside_octet_strings() {
        let pbkdf2 = [
            tlv_of(0x06, PBKDF2),
            tlv_of(
                0x30,
                &[tlv_of(0x04, b"salt"), tlv_of(0x02, &[0x0f, 0x42, 0x40])].concat(),
            ),
        ]
        .concat();
        let mut pbe_oid = PKCS12_PBE_PREFIX.to_vec();
        pbe_oid.push(3);
        let pbe = [
            tlv_of(0x06, &pbe_oid),
            tlv_of(
                0x30,
                &[tlv_of(0x04, b"salt"), tlv_of(0x02, &[0x08, 0x00])].concat(),
            ),
        ]
        .concat();
        let inner = tlv_of(0x30, &[tlv_of(0x30, &pbkdf2), tlv_of(0x30, &pbe)].concat());
        let outer = tlv_of(0x30, &tlv_of(0x04, &inner));
        assert_eq!(declared_kdf_work(&outer), 1_000_000 + 2048);
        assert!(check(1_002_048, "PKCS#12").is_ok());
        let err = check(3_000_000, "PKCS#12").unwrap_err().to_string();
        assert!(err.contains("per-file budget"), "{err}");
    }

    #[test]
    fn deep_nesting_and_garbage_cost_no_stack_and_count_nothing() {
        let mut deep = tlv_of(0x02, &[1]);
        for _ in 0..100_000 {
            deep = tlv_of(0x30, &deep);
        }
        assert_eq!(declared_kdf_work(&deep), 0);
        assert_eq!(declared_kdf_work(&[0x30, 0x88, 0xff, 0xff]), 0);
        assert_eq!(declared_kdf_work(&[]), 0);
    }

    /// Sealed JCEKS keys asking for more than the budget together are refused before the
    /// first is unsealed (the blobs here are not even decryptable: no work is done).
    #[test]
    fn unsealing_jceks_keys_beyond_the_budget_is_refused_before_any_work() {
        use crate::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
        use crate::secret::Password;
        let pbe_md5_3des = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x13, 0x01];
        let params = tlv_of(
            0x30,
            &[tlv_of(0x04, &[1; 8]), tlv_of(0x02, &[0x0f, 0x42, 0x40])].concat(),
        );
        let algorithm = tlv_of(0x30, &[tlv_of(0x06, &pbe_md5_3des), params].concat());
        let blob = tlv_of(0x30, &[algorithm, tlv_of(0x04, &[0; 48])].concat());
        let store_of = |keys: usize| {
            let mut store = Keystore::new(Format::Jceks);
            for i in 0..keys {
                store
                    .insert(Entry {
                        alias: format!("key-{i}"),
                        created: time::OffsetDateTime::UNIX_EPOCH,
                        kind: EntryKind::KeyPair {
                            key: KeyMaterial::sealed(
                                crate::keystore::entry::SealScheme::JceksPbeMd5TripleDes,
                                blob.clone(),
                            ),
                            chain: vec![rustls_pki_types::CertificateDer::from(vec![0x30, 0x00])],
                        },
                    })
                    .unwrap();
            }
            store
        };
        let passwords = Passwords::new(Password::new("pw"));
        match store_of(3).unlock_keys(&passwords).unwrap_err() {
            ErrorKind::LimitExceeded { what, value, limit } => {
                assert!(what.contains("per-file budget"), "{what}");
                assert_eq!((value, limit), (3_000_000, MAX_KDF_WORK));
            }
            other => panic!("expected the budget refusal, got {other:?}"),
        }
        assert!(store_of(3).key_pairs().all(|(_, key, _)| key.is_sealed()));
    }
}
