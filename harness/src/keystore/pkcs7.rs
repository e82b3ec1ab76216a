//! PKCS#7 certs-only `.p7b` (not written yet: issue 4).

use super::entry::Entry;
use super::error::ErrorKind;

pub(super) fn read(_bytes: &[u8]) -> Result<Vec<Entry>, ErrorKind> {
    Err(ErrorKind::Unsupported {
        what: "pkcs7 (codec not written yet)".into(),
    })
}

pub(super) fn write(_entries: &[Entry]) -> Result<Vec<u8>, ErrorKind> {
    Err(ErrorKind::Unsupported {
        what: "pkcs7 (codec not written yet)".into(),
    })
}
