//! Format detection from content, never from the file name.

use super::entry::Format;
use super::error::ErrorKind;

/// Which format `bytes` hold.
pub(super) fn detect(bytes: &[u8]) -> Result<Format, ErrorKind> {
    if bytes.is_empty() {
        return Err(ErrorKind::Truncated {
            reason: "the file is empty".into(),
        });
    }
    match bytes.get(..4) {
        Some([0xFE, 0xED, 0xFE, 0xED]) => return Ok(Format::Jks),
        Some([0xCE, 0xCE, 0xCE, 0xCE]) => return Ok(Format::Jceks),
        _ => {}
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    // A `.p7b` in PEM form starts with its PKCS7 block; a PKCS7 block later in a bundle is
    // one more source of certificates for the PEM reader.
    if let Some(at) = text.find("-----BEGIN ") {
        return Ok(if text[at..].starts_with("-----BEGIN PKCS7-----") {
            Format::Pkcs7
        } else {
            Format::Pem
        });
    }
    if bytes[0] == 0x30 {
        return Ok(der_kind(bytes));
    }
    Err(ErrorKind::UnknownFormat)
}

/// Tells a DER PKCS#12 PFX, a PKCS#7 ContentInfo and an X.509 certificate apart by their
/// first elements: PFX = SEQUENCE { INTEGER 3, ContentInfo }, ContentInfo = SEQUENCE { OID,
/// [0] }, Certificate = SEQUENCE { SEQUENCE tbs, ... }.
fn der_kind(bytes: &[u8]) -> Format {
    let Some(inner) = first_content(bytes) else {
        return Format::Der;
    };
    match inner.first() {
        Some(0x02) => Format::Pkcs12,
        Some(0x06) => Format::Pkcs7,
        _ => Format::Der,
    }
}

/// The content of the outer SEQUENCE (header skipped), without checking its length.
fn first_content(bytes: &[u8]) -> Option<&[u8]> {
    let len_byte = *bytes.get(1)?;
    let header = if len_byte & 0x80 == 0 {
        2
    } else {
        2 + usize::from(len_byte & 0x7f)
    };
    bytes.get(header..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(detect(b"\xfe\xed\xfe\xed....").unwrap(), Format::Jks);
        assert_eq!(detect(b"\xce\xce\xce\xce....").unwrap(), Format::Jceks);
        assert_eq!(
            detect(b"x\n-----BEGIN PKCS7-----\n").unwrap(),
            Format::Pkcs7
        );
        let bundle = b"-----BEGIN CERTIFICATE-----\n-----BEGIN PKCS7-----\n";
        assert_eq!(detect(bundle).unwrap(), Format::Pem);
        assert_eq!(
            detect(&[0x30, 0x03, 0x02, 0x01, 0x03]).unwrap(),
            Format::Pkcs12
        );
        assert_eq!(
            detect(&[0x30, 0x03, 0x06, 0x01, 0x00]).unwrap(),
            Format::Pkcs7
        );
        assert_eq!(
            detect(&[0x30, 0x03, 0x30, 0x01, 0x00]).unwrap(),
            Format::Der
        );
        assert!(matches!(detect(b""), Err(ErrorKind::Truncated { .. })));
        assert!(matches!(detect(b"\x00abc"), Err(ErrorKind::UnknownFormat)));
    }
}
