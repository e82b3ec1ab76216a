//! A keystore listed one entry at a time, borrowed from the file's bytes: what
//! `harness keystore list` prints without building a [`Keystore`].
//!
//! JKS and JCEKS are streamed: [`list_entries`] checks the whole file first (structure, entry
//! headers, duplicate aliases, the integrity digest: everything [`Keystore::from_bytes`]
//! checks except key work), then hands out one [`EntryView`] at a time. The memory beyond the
//! file is one entry plus a hash per alias, so a 50,000-entry JCEKS lists in a few megabytes
//! more than its own size (issue 14). Other formats are small by nature (PKCS#12 from a
//! tenant, PEM, DER, `.p7b`): they are read whole and viewed entry by entry.

use time::OffsetDateTime;

use super::entry::{EntryKind, Format, Keystore, Passwords};
use super::error::{ErrorKind, KeystoreError};
use super::{detect, jks};
use crate::secret::Password;

/// One entry as a listing sees it.
#[derive(Debug)]
pub struct EntryView<'a> {
    /// The alias as stored (JKS and JCEKS lower-case it).
    pub alias: String,
    /// The creation date; the Unix epoch where the format stores none.
    pub created: OffsetDateTime,
    /// The entry's type and certificates.
    pub kind: ViewKind<'a>,
}

/// The type of an [`EntryView`], with its certificates as DER.
#[derive(Debug)]
pub enum ViewKind<'a> {
    /// A trusted certificate entry.
    TrustedCertificate(&'a [u8]),
    /// A key pair entry: its chain, leaf first (the key stays sealed).
    KeyPair {
        /// The chain as stored.
        chain: Vec<&'a [u8]>,
    },
    /// A secret-key entry (not opened).
    SecretKey,
}

impl EntryView<'_> {
    /// keytool's name for the entry type.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ViewKind::TrustedCertificate(_) => "trustedCertEntry",
            ViewKind::KeyPair { .. } => "PrivateKeyEntry",
            ViewKind::SecretKey => "SecretKeyEntry",
        }
    }

    /// The entry's certificate: the trusted certificate, or the key pair's leaf.
    pub fn first_certificate(&self) -> Option<&[u8]> {
        match &self.kind {
            ViewKind::TrustedCertificate(der) => Some(der),
            ViewKind::KeyPair { chain } => chain.first().copied(),
            ViewKind::SecretKey => None,
        }
    }

    /// How many certificates the entry holds.
    pub fn chain_length(&self) -> usize {
        match &self.kind {
            ViewKind::TrustedCertificate(_) => 1,
            ViewKind::KeyPair { chain } => chain.len(),
            ViewKind::SecretKey => 0,
        }
    }
}

/// Why a listing stopped: the keystore (named by `source`) could not be read, or the
/// listing's own output failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The keystore was refused; nothing was handed out.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// A callback failed (writing the listing).
    #[error("cannot write the listing")]
    Output(#[source] std::io::Error),
}

/// Lists the keystore in `bytes`: `on_start` hears the format and the entry count once the
/// file is known to be good, then `each` sees every entry in file order. `source` names the
/// input in errors. Store password as for [`Keystore::from_bytes`] (ignored by certificate
/// formats).
pub fn list_entries(
    bytes: &[u8],
    store_password: &Password,
    source: &str,
    on_start: impl FnOnce(Format, usize) -> std::io::Result<()>,
    mut each: impl FnMut(EntryView<'_>) -> std::io::Result<()>,
) -> Result<Format, ListError> {
    let format = detect::detect(bytes).map_err(|kind| KeystoreError::read(source, kind))?;
    if matches!(format, Format::Jks | Format::Jceks) {
        // The callbacks' I/O errors travel out of the JKS reader beside its own errors: the
        // reader sees a placeholder and stops; the real error is kept here.
        let output: std::cell::RefCell<Option<std::io::Error>> = std::cell::RefCell::default();
        let keep = |e: std::io::Error| {
            *output.borrow_mut() = Some(e);
            ErrorKind::Io(std::io::Error::other("the listing's output failed"))
        };
        let result = jks::visit(
            bytes,
            store_password,
            format,
            |count| on_start(format, count).map_err(keep),
            |view| each(view).map_err(keep),
        );
        return match (result, output.into_inner()) {
            (_, Some(io)) => Err(ListError::Output(io)),
            (Err(kind), None) => Err(KeystoreError::read(source, kind).into()),
            (Ok(()), None) => Ok(format),
        };
    }
    let passwords = Passwords::new(store_password.clone());
    let store = Keystore::from_bytes(bytes, &passwords, source)?;
    on_start(format, store.entries().len()).map_err(ListError::Output)?;
    for entry in store.entries() {
        let kind = match &entry.kind {
            EntryKind::TrustedCertificate(cert) => ViewKind::TrustedCertificate(cert.as_ref()),
            EntryKind::KeyPair { chain, .. } => ViewKind::KeyPair {
                chain: chain.iter().map(|c| c.as_ref()).collect(),
            },
            EntryKind::SecretKey { .. } => ViewKind::SecretKey,
        };
        each(EntryView {
            alias: entry.alias.clone(),
            created: entry.created,
            kind,
        })
        .map_err(ListError::Output)?;
    }
    Ok(format)
}
