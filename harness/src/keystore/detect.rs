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
    if text.contains("-----BEGIN PKCS7-----") {
        return Ok(Format::Pkcs7);
    }
    if text.contains("-----BEGIN ") {
        return Ok(Format::Pem);
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
