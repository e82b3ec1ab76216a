//! JKS and JCEKS (not written yet: issue 4).

use super::entry::{Entry, Format, Passwords, SealScheme};
use super::error::ErrorKind;
use crate::secret::{Password, PrivateKey};

pub(super) fn read(
    _bytes: &[u8],
    _passwords: &Passwords,
    format: Format,
) -> Result<Vec<Entry>, ErrorKind> {
    Err(ErrorKind::Unsupported {
        what: format!("{format} (codec not written yet)"),
    })
}

pub(super) fn write(
    _entries: &[Entry],
    _passwords: &Passwords,
    format: Format,
) -> Result<Vec<u8>, ErrorKind> {
    Err(ErrorKind::Unsupported {
        what: format!("{format} (codec not written yet)"),
    })
}

pub(super) fn unseal(
    _scheme: SealScheme,
    _blob: &[u8],
    _password: &Password,
) -> Result<PrivateKey, ErrorKind> {
    Err(ErrorKind::Unsupported {
        what: "sealed keys (codec not written yet)".into(),
    })
}
