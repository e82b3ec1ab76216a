//! Just enough DER to take a certificate apart and put it back together: TLVs, children of
//! a constructed value, and re-encoding. Certificates are edited in place (key, key
//! identifiers, names, serial, signature), so every other byte stays as the real one was.

use super::CaptureError;

/// One TLV: its tag byte, its header and its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// The tag byte (multi-byte tags are not used in certificates).
    pub(crate) tag: u8,
    /// The whole encoding, header included.
    pub(crate) raw: &'a [u8],
    /// The content octets.
    pub(crate) content: &'a [u8],
}

fn bad(what: &str) -> CaptureError {
    CaptureError::Malformed {
        what: what.to_owned(),
    }
}

/// Reads the TLV at the start of `bytes`; returns it and what follows.
pub(crate) fn read(bytes: &[u8]) -> Result<(Tlv<'_>, &[u8]), CaptureError> {
    let tag = *bytes.first().ok_or_else(|| bad("DER: empty input"))?;
    let first = *bytes.get(1).ok_or_else(|| bad("DER: no length"))?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(bad("DER: unsupported length"));
        }
        let mut len = 0usize;
        for i in 0..n {
            let b = *bytes
                .get(2 + i)
                .ok_or_else(|| bad("DER: length cut short"))?;
            len = (len << 8) | usize::from(b);
        }
        (len, 2 + n)
    };
    let end = header
        .checked_add(len)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| bad("DER: value cut short"))?;
    Ok((
        Tlv {
            tag,
            raw: &bytes[..end],
            content: &bytes[header..end],
        },
        &bytes[end..],
    ))
}

/// Reads exactly one TLV.
pub(crate) fn one(bytes: &[u8]) -> Result<Tlv<'_>, CaptureError> {
    let (tlv, rest) = read(bytes)?;
    if !rest.is_empty() {
        return Err(bad("DER: trailing bytes"));
    }
    Ok(tlv)
}

/// The children of a constructed value's content.
pub(crate) fn children(content: &[u8]) -> Result<Vec<Tlv<'_>>, CaptureError> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (tlv, tail) = read(rest)?;
        out.push(tlv);
        rest = tail;
    }
    Ok(out)
}

/// Encodes a TLV.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already encoded parts.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// The DER of an OBJECT IDENTIFIER from its dotted text.
pub(crate) fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut body = Vec::new();
    if arcs.len() >= 2 {
        push_base128(&mut body, arcs[0] * 40 + arcs[1]);
        for arc in &arcs[2..] {
            push_base128(&mut body, *arc);
        }
    }
    tlv(0x06, &body)
}

fn push_base128(out: &mut Vec<u8>, mut value: u64) {
    let mut tmp = vec![(value & 0x7f) as u8];
    value >>= 7;
    while value > 0 {
        tmp.push(((value & 0x7f) as u8) | 0x80);
        value >>= 7;
    }
    tmp.reverse();
    out.extend_from_slice(&tmp);
}

/// A positive INTEGER from big-endian magnitude bytes.
pub(crate) fn uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut body = if trimmed.is_empty() { vec![0] } else { trimmed };
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    tlv(0x02, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; len];
            let enc = tlv(0x04, &content);
            let back = one(&enc).unwrap();
            assert_eq!(back.content, &content[..]);
            assert_eq!(back.raw, &enc[..]);
        }
    }

    #[test]
    fn oids_encode_as_der() {
        assert_eq!(oid("2.5.29.14"), vec![0x06, 0x03, 0x55, 0x1d, 0x0e]);
        assert_eq!(
            oid("1.2.840.113549.1.1.11"),
            vec![
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b
            ]
        );
    }

    #[test]
    fn truncated_input_is_an_error() {
        assert!(read(&[0x30, 0x05, 1, 2]).is_err());
        assert!(read(&[0x30]).is_err());
        assert!(one(&[0x05, 0x00, 0x00]).is_err());
    }
}
