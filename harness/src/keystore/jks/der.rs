//! The few DER shapes the key protectors need: `EncryptedPrivateKeyInfo` (PKCS#8, RFC 5208
//! §6), the PBE parameters of PBEWithMD5AndTripleDES (PKCS#5 v1.5 `PBEParameter`) and the
//! outer shape of a `PrivateKeyInfo`. Hand-written because the shapes are tiny and fixed, and
//! every length is checked against the bytes that remain before anything is sliced.

use crate::keystore::error::ErrorKind;

const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const NULL: u8 = 0x05;

/// One DER element: its tag, its content, and what follows it.
fn element<'a>(bytes: &'a [u8], what: &str) -> Result<(u8, &'a [u8], &'a [u8]), ErrorKind> {
    let bad = |reason: &str| ErrorKind::Malformed {
        reason: format!("{what}: {reason}"),
    };
    let (&tag, rest) = bytes.split_first().ok_or_else(|| bad("missing"))?;
    let (&first, rest) = rest.split_first().ok_or_else(|| bad("no length"))?;
    let (len, rest) = if first & 0x80 == 0 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        // Indefinite lengths (0x80) are BER, not DER; more than 4 length bytes cannot fit.
        if count == 0 || count > 4 || rest.len() < count {
            return Err(bad("bad length"));
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    if len > rest.len() {
        return Err(bad("length runs past the end"));
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

fn expect<'a>(bytes: &'a [u8], tag: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), ErrorKind> {
    let (found, content, rest) = element(bytes, what)?;
    if found != tag {
        return Err(ErrorKind::Malformed {
            reason: format!("{what}: tag {found:#04x}, expected {tag:#04x}"),
        });
    }
    Ok((content, rest))
}

fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// One DER TLV: `tag`, the definite length, `content`.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    encode_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

/// A parsed `EncryptedPrivateKeyInfo`.
pub(super) struct EncryptedKeyInfo<'a> {
    /// The algorithm OID's content bytes (without tag and length).
    pub(super) oid: &'a [u8],
    /// The algorithm parameters element (tag and all), if present.
    pub(super) params: Option<&'a [u8]>,
    /// The encrypted data.
    pub(super) data: &'a [u8],
}

/// Parses `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }`; the
/// whole input must be that one element.
pub(super) fn parse_encrypted_key_info(bytes: &[u8]) -> Result<EncryptedKeyInfo<'_>, ErrorKind> {
    let what = "protected key (EncryptedPrivateKeyInfo)";
    let (info, rest) = expect(bytes, SEQUENCE, what)?;
    if !rest.is_empty() {
        return Err(ErrorKind::Malformed {
            reason: format!("{what}: {} bytes after the structure", rest.len()),
        });
    }
    let (algorithm, after) = expect(info, SEQUENCE, "key protection algorithm")?;
    let (data, tail) = expect(after, OCTET_STRING, "protected key data")?;
    if !tail.is_empty() {
        return Err(ErrorKind::Malformed {
            reason: format!("{what}: unexpected element after the data"),
        });
    }
    let (oid, params) = expect(algorithm, OID, "key protection algorithm OID")?;
    let params = if params.is_empty() {
        None
    } else {
        let (_, _, tail) = element(params, "key protection parameters")?;
        if !tail.is_empty() {
            return Err(ErrorKind::Malformed {
                reason: "key protection algorithm: unexpected element after the parameters".into(),
            });
        }
        Some(params)
    };
    Ok(EncryptedKeyInfo { oid, params, data })
}

/// Encodes an `EncryptedPrivateKeyInfo`; `params` is a whole DER element.
pub(super) fn encode_encrypted_key_info(oid: &[u8], params: &[u8], data: &[u8]) -> Vec<u8> {
    let mut algorithm = tlv(OID, oid);
    algorithm.extend_from_slice(params);
    let mut info = tlv(SEQUENCE, &algorithm);
    info.extend_from_slice(&tlv(OCTET_STRING, data));
    tlv(SEQUENCE, &info)
}

/// DER `NULL`, the parameters Java's `AlgorithmId` writes for the JKS key protector.
pub(super) const DER_NULL: [u8; 2] = [NULL, 0x00];

/// Whether a parameters element is absent-equivalent: missing or `NULL`.
pub(super) fn is_null_or_absent(params: Option<&[u8]>) -> bool {
    matches!(params, None | Some([NULL, 0x00]))
}

/// Parses `PBEParameter ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER }` (PKCS#5
/// v1.5 §8.1); returns the salt and the count as Java's `int` (negative counts are refused).
pub(super) fn parse_pbe_params(bytes: &[u8]) -> Result<(&[u8], u32), ErrorKind> {
    let what = "PBE parameters";
    let (seq, rest) = expect(bytes, SEQUENCE, what)?;
    if !rest.is_empty() {
        return Err(ErrorKind::Malformed {
            reason: format!("{what}: bytes after the structure"),
        });
    }
    let (salt, after) = expect(seq, OCTET_STRING, "PBE salt")?;
    let (count, tail) = expect(after, INTEGER, "PBE iteration count")?;
    if !tail.is_empty() {
        return Err(ErrorKind::Malformed {
            reason: format!("{what}: unexpected element after the iteration count"),
        });
    }
    let iterations = parse_positive_int(count)?;
    Ok((salt, iterations))
}

/// Encodes a `PBEParameter`.
pub(super) fn encode_pbe_params(salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut count = iterations.to_be_bytes().to_vec();
    while count.len() > 1 && count[0] == 0 && count[1] & 0x80 == 0 {
        count.remove(0);
    }
    if count[0] & 0x80 != 0 {
        count.insert(0, 0);
    }
    let mut seq = tlv(OCTET_STRING, salt);
    seq.extend_from_slice(&tlv(INTEGER, &count));
    tlv(SEQUENCE, &seq)
}

/// A DER INTEGER's content as a positive Java `int`.
fn parse_positive_int(content: &[u8]) -> Result<u32, ErrorKind> {
    let bad = |reason: &str| ErrorKind::Malformed {
        reason: format!("PBE iteration count: {reason}"),
    };
    match content.first() {
        None => return Err(bad("empty integer")),
        Some(b) if b & 0x80 != 0 => return Err(bad("negative")),
        _ => {}
    }
    let digits = content
        .iter()
        .skip_while(|b| **b == 0)
        .copied()
        .collect::<Vec<_>>();
    if digits.len() > 4 {
        return Err(bad("larger than a Java int"));
    }
    let value = digits
        .iter()
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    if value > i32::MAX as u32 {
        return Err(bad("larger than a Java int"));
    }
    Ok(value)
}

/// Whether `bytes` is exactly one DER SEQUENCE, as a `PrivateKeyInfo` (or a certificate) is.
/// After decryption this is the only check Java's key protectors can make besides padding.
pub(super) fn is_one_sequence(bytes: &[u8]) -> bool {
    matches!(element(bytes, "sequence"), Ok((SEQUENCE, _, rest)) if rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbe_params_round_trip() {
        for iterations in [1, 127, 128, 255, 256, 200_000, i32::MAX as u32] {
            let encoded = encode_pbe_params(b"saltsalt", iterations);
            let (salt, count) = parse_pbe_params(&encoded).unwrap();
            assert_eq!((salt, count), (&b"saltsalt"[..], iterations));
        }
    }

    #[test]
    fn encrypted_key_info_round_trip_with_long_lengths() {
        let data = vec![7u8; 300];
        let encoded = encode_encrypted_key_info(&[0x2b, 0x06], &DER_NULL, &data);
        let info = parse_encrypted_key_info(&encoded).unwrap();
        assert_eq!(info.oid, &[0x2b, 0x06]);
        assert!(is_null_or_absent(info.params));
        assert_eq!(info.data, &data[..]);
        for cut in 0..encoded.len() {
            assert!(parse_encrypted_key_info(&encoded[..cut]).is_err());
        }
    }

    #[test]
    fn negative_and_huge_iteration_counts_are_refused() {
        assert!(parse_positive_int(&[0x80]).is_err());
        assert!(parse_positive_int(&[0x01, 0, 0, 0, 0]).is_err());
        assert!(parse_positive_int(&[]).is_err());
        assert_eq!(parse_positive_int(&[0, 0x80]).unwrap(), 128);
    }
}
