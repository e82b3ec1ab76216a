//! PKCS#12 (not written yet: issue 4).

use super::entry::{Entry, Passwords};
use super::error::ErrorKind;

pub(super) fn read(_bytes: &[u8], _passwords: &Passwords) -> Result<Vec<Entry>, ErrorKind> {
    Err(ErrorKind::Unsupported {
        what: "pkcs12 (codec not written yet)".into(),
    })
}

pub(super) fn write(_entries: &[Entry], _passwords: &Passwords) -> Result<Vec<u8>, ErrorKind> {
    Err(ErrorKind::Unsupported {
        what: "pkcs12 (codec not written yet)".into(),
    })
}
