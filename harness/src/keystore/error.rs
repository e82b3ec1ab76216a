//! Keystore errors: what went wrong, and with which file.

use std::fmt;

/// A keystore that could not be read or written: the source (path, or a label such as
/// `<upload>`) and what went wrong.
#[derive(Debug, thiserror::Error)]
pub struct KeystoreError {
    /// The file or label.
    pub source_name: String,
    /// Reading or writing.
    pub operation: Operation,
    /// What went wrong.
    #[source]
    pub kind: ErrorKind,
}

/// Whether the error happened reading or writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Reading.
    Read,
    /// Writing.
    Write,
}

impl KeystoreError {
    pub(crate) fn read(source: &str, kind: ErrorKind) -> Self {
        Self {
            source_name: source.to_owned(),
            operation: Operation::Read,
            kind,
        }
    }

    pub(crate) fn write(source: &str, kind: ErrorKind) -> Self {
        Self {
            source_name: source.to_owned(),
            operation: Operation::Write,
            kind,
        }
    }
}

impl fmt::Display for KeystoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.operation {
            Operation::Read => "read",
            Operation::Write => "write",
        };
        // One level: what failed comes through `source()` (see `crate::exit`).
        write!(f, "cannot {verb} keystore `{}`", self.source_name)
    }
}

/// What went wrong with a keystore.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The store password is wrong. For JKS/JCEKS the integrity digest cannot tell a wrong
    /// password from a tampered body, and the message says so.
    #[error("wrong store password{}", if *.integrity_only { " (or the file was tampered with: JKS/JCEKS cannot tell the two apart)" } else { "" })]
    WrongPassword {
        /// True for JKS/JCEKS, where the same digest failure covers tampering.
        integrity_only: bool,
    },
    /// A key entry's password is wrong.
    #[error("wrong key password for alias `{alias}`")]
    WrongKeyPassword {
        /// The alias.
        alias: String,
    },
    /// An encrypted private key file (PKCS#8 `ENCRYPTED PRIVATE KEY`) does not decrypt with
    /// the key password given (or none was given): the password is wrong, or the file corrupt.
    #[error("cannot decrypt the encrypted private key: wrong key password (or a corrupt file)")]
    WrongKeyFilePassword,
    /// The file ends before the structure does.
    #[error("truncated: {reason}")]
    Truncated {
        /// Where it ended.
        reason: String,
    },
    /// The bytes are not a well-formed keystore of the detected format.
    #[error("malformed: {reason}")]
    Malformed {
        /// What is wrong, in our words (a decoder's words come as [`ErrorKind::Der`]).
        reason: String,
    },
    /// A DER structure that the decoder (or encoder) refused: which one here, why in the
    /// source.
    #[error("{context}")]
    Der {
        /// What failed, e.g. `malformed PKCS#12 structure`.
        context: String,
        /// What the decoder refused, in plain words.
        #[source]
        source: crate::decode::DecodeError,
    },
    /// Not a format we know.
    #[error("unknown format (not JKS, JCEKS, PKCS#12, PEM, DER or PKCS#7)")]
    UnknownFormat,
    /// A format or algorithm we do not support.
    #[error("unsupported {what}")]
    Unsupported {
        /// What is unsupported (an algorithm OID, an entry type).
        what: String,
    },
    /// A Java-serialised object in a JCEKS secret-key entry that is not the one shape we read
    /// (we never act as a general Java deserializer).
    #[error("unexpected Java type `{found}` (expected {expected})")]
    UnexpectedJavaType {
        /// The class name found.
        found: String,
        /// What was expected there.
        expected: String,
    },
    /// A key still sealed in a scheme the target format cannot hold (e.g. a JCEKS-protected
    /// key written as JKS): unseal it first ([`crate::keystore::Keystore::unlock_keys`]).
    #[error(
        "the key of alias `{alias}` is still sealed for {sealed_for}: unlock the keys with their key passwords before writing {target}"
    )]
    KeyStillSealed {
        /// The alias.
        alias: String,
        /// The format whose key protector sealed it (`jks`, `jceks`).
        sealed_for: &'static str,
        /// The target format.
        target: &'static str,
    },
    /// Two entries with the same alias (case-insensitively).
    #[error("duplicate alias `{alias}`")]
    DuplicateAlias {
        /// The alias.
        alias: String,
    },
    /// No entry under the alias.
    #[error("no entry with alias `{alias}`")]
    NoSuchAlias {
        /// The alias.
        alias: String,
    },
    /// A declared count, length or iteration count past our work caps.
    #[error("{what} {value} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was counted.
        what: String,
        /// The declared value.
        value: u64,
        /// Our cap.
        limit: u64,
    },
    /// The format cannot hold what was asked (e.g. a private key in a `.p7b`).
    #[error("{format} cannot hold {what}")]
    CannotHold {
        /// The target format.
        format: &'static str,
        /// What it cannot hold.
        what: String,
    },
    /// An I/O error.
    #[error(transparent)]
    Io(std::io::Error),
}
