//! Decoder failures (DER, X.509, PEM) in plain words.
//!
//! The DER and X.509 decoders we use print some of their errors with Rust's `Debug` text
//! (x509-parser's `nom error: Eof`, nom's `Parsing Error: Der(UnexpectedTag { .. })`). Nobody
//! reading "cannot read keystore `a.p12`" should have to decode that, so every decoder error
//! that reaches a message passes through [`DecodeError`] first: "truncated DER", "unexpected
//! tag SEQUENCE (expected INTEGER) at offset 12".

use std::fmt;

use x509_parser::asn1_rs;
use x509_parser::error::X509Error;

/// Why bytes did not decode as the DER structure expected, in plain words. The offset is the
/// byte position within the structure being decoded, when the decoder reports it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes end inside a structure.
    #[error("truncated DER{}", Needed(*.needed))]
    Truncated {
        /// How many more bytes were needed, when known.
        needed: Option<usize>,
    },
    /// A tag other than the one the structure has there.
    #[error("unexpected tag {actual}{}{}", Expected(expected.as_deref()), Offset(*.offset))]
    UnexpectedTag {
        /// The tag expected, when one was.
        expected: Option<String>,
        /// The tag found.
        actual: String,
        /// Where, when known.
        offset: Option<u64>,
    },
    /// Anything else the decoder refused.
    #[error("{what}{}", Offset(*.offset))]
    Invalid {
        /// What is wrong, as a lowercase phrase.
        what: String,
        /// Where, when known.
        offset: Option<u64>,
    },
}

impl DecodeError {
    /// From an x509-parser result's error (nom's wrapper around [`X509Error`]).
    pub fn from_x509_nom(err: &x509_parser::nom::Err<X509Error>) -> Self {
        use x509_parser::nom::{Err, Needed};
        match err {
            Err::Incomplete(Needed::Size(n)) => Self::Truncated {
                needed: Some(n.get()),
            },
            Err::Incomplete(Needed::Unknown) => Self::Truncated { needed: None },
            Err::Error(e) | Err::Failure(e) => Self::from_x509(e),
        }
    }

    /// From an x509-parser error.
    pub fn from_x509(err: &X509Error) -> Self {
        match err {
            X509Error::Der(ber) => Self::from_ber(ber),
            X509Error::NomError(kind) => from_nom_kind(*kind),
            // The other variants print fixed lowercase phrases ("invalid X.509 name").
            other => invalid(other.to_string()),
        }
    }

    /// From a BER/DER error of asn1-rs (x509-parser's decoder).
    pub fn from_ber(err: &asn1_rs::Error) -> Self {
        use asn1_rs::Error as E;
        match err {
            E::Incomplete(asn1_rs::nom::Needed::Size(n)) => Self::Truncated {
                needed: Some(n.get()),
            },
            E::Incomplete(asn1_rs::nom::Needed::Unknown) => Self::Truncated { needed: None },
            E::NomError(kind) => from_nom_kind(*kind),
            E::UnexpectedTag { expected, actual } => Self::UnexpectedTag {
                expected: expected.map(tag_name),
                actual: tag_name(*actual),
                offset: None,
            },
            E::UnexpectedClass { expected, actual } => invalid(match expected {
                Some(expected) => format!("unexpected tag class {actual} (expected {expected})"),
                None => format!("unexpected tag class {actual}"),
            }),
            E::InvalidValue { tag, .. } => invalid(format!("invalid {} value", tag_name(*tag))),
            E::UnknownTag(number) => invalid(format!("unknown tag number {number}")),
            E::InvalidTag => invalid("invalid tag"),
            E::BerTypeError => invalid("unexpected ASN.1 type"),
            E::BerValueError => invalid("unexpected ASN.1 value"),
            E::InvalidLength => invalid("invalid length"),
            E::IndefiniteLengthUnexpected => invalid("indefinite length, not allowed in DER"),
            E::ConstructExpected => invalid("a primitive value where a constructed one belongs"),
            E::ConstructUnexpected => invalid("a constructed value where a primitive one belongs"),
            E::IntegerTooLarge => invalid("integer too large"),
            E::IntegerNegative => invalid("negative integer where an unsigned one belongs"),
            E::BerMaxDepth => invalid("structure nested too deeply"),
            E::StringInvalidCharset => invalid("string with characters its type does not allow"),
            E::InvalidDateTime => invalid("invalid date or time"),
            E::DerConstraintFailed(constraint) => invalid(format!(
                "not canonical DER ({})",
                der_constraint(*constraint)
            )),
            E::LifetimeError | E::Unsupported => invalid("unsupported encoding"),
        }
    }

    /// From a PEM framing error (the `pem` crate).
    pub fn from_pem(err: &pem::PemError) -> Self {
        use pem::PemError as E;
        invalid(match err {
            E::MismatchedTags(begin, end) => {
                format!("BEGIN `{begin}` and END `{end}` do not match")
            }
            E::MalformedFraming => "malformed BEGIN/END framing".into(),
            E::MissingBeginTag => "missing BEGIN line".into(),
            E::MissingEndTag => "missing END line".into(),
            E::MissingData => "no data between BEGIN and END".into(),
            E::InvalidData(_) => "invalid base64".into(),
            E::InvalidHeader(_) => "invalid header line".into(),
            E::NotUtf8(_) => "not UTF-8 text".into(),
        })
    }

    /// From an error of the `der` crate (PKCS#12, PKCS#7 and PKCS#8 structures).
    pub fn from_der(err: &der::Error) -> Self {
        let offset = err.position().map(|p| u64::from(u32::from(p)));
        match err.kind() {
            der::ErrorKind::Incomplete {
                expected_len,
                actual_len,
            } => Self::Truncated {
                needed: usize::try_from(u32::from(expected_len))
                    .ok()
                    .zip(usize::try_from(u32::from(actual_len)).ok())
                    .map(|(expected, actual)| expected.saturating_sub(actual)),
            },
            der::ErrorKind::TagUnexpected { expected, actual } => Self::UnexpectedTag {
                expected: expected.map(|t| t.to_string()),
                actual: actual.to_string(),
                offset,
            },
            // Its `Display` prints the `io::Error`'s `Debug`; bytes in memory never get here.
            der::ErrorKind::Io(_) => Self::Invalid {
                what: "input/output error".into(),
                offset,
            },
            // Every other kind prints a lowercase phrase ("incorrect length for SEQUENCE").
            kind => Self::Invalid {
                what: kind.to_string(),
                offset,
            },
        }
    }
}

fn invalid(what: impl Into<String>) -> DecodeError {
    DecodeError::Invalid {
        what: what.into(),
        offset: None,
    }
}

/// nom reports where a combinator gave up, not why; `Eof` means the bytes ran out.
fn from_nom_kind(kind: x509_parser::nom::error::ErrorKind) -> DecodeError {
    match kind {
        x509_parser::nom::error::ErrorKind::Eof | x509_parser::nom::error::ErrorKind::Complete => {
            DecodeError::Truncated { needed: None }
        }
        _ => invalid("malformed DER"),
    }
}

/// A universal tag by its ASN.1 name, any other by number.
fn tag_name(tag: asn1_rs::Tag) -> String {
    let name = match tag.0 {
        1 => "BOOLEAN",
        2 => "INTEGER",
        3 => "BIT STRING",
        4 => "OCTET STRING",
        5 => "NULL",
        6 => "OBJECT IDENTIFIER",
        10 => "ENUMERATED",
        12 => "UTF8String",
        16 => "SEQUENCE",
        17 => "SET",
        19 => "PrintableString",
        20 => "TeletexString",
        22 => "IA5String",
        23 => "UTCTime",
        24 => "GeneralizedTime",
        30 => "BMPString",
        number => return format!("number {number}"),
    };
    name.to_owned()
}

fn der_constraint(constraint: asn1_rs::DerConstraint) -> &'static str {
    use asn1_rs::DerConstraint as C;
    match constraint {
        C::IndefiniteLength => "indefinite length",
        C::Constructed => "constructed where primitive is required",
        C::NotConstructed => "primitive where constructed is required",
        C::MissingTimeZone => "time without a time zone",
        C::MissingSeconds => "time without seconds",
        C::UnusedBitsNotZero => "unused bits of a BIT STRING not zero",
        C::InvalidBoolean => "BOOLEAN neither 0x00 nor 0xff",
        C::IntegerEmpty => "empty INTEGER",
        C::IntegerLeadingZeroes => "INTEGER with leading zeroes",
        C::IntegerLeadingFF => "negative INTEGER with leading 0xff",
    }
}

/// ` (N more bytes needed)` when known.
struct Needed(Option<usize>);

impl fmt::Display for Needed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(1) => write!(f, " (1 more byte needed)"),
            Some(n) if n > 0 => write!(f, " ({n} more bytes needed)"),
            _ => Ok(()),
        }
    }
}

/// ` (expected X)` when known.
struct Expected<'a>(Option<&'a str>);

impl fmt::Display for Expected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(tag) => write!(f, " (expected {tag})"),
            None => Ok(()),
        }
    }
}

/// ` at offset N` when known.
struct Offset(Option<u64>);

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(offset) => write!(f, " at offset {offset}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use x509_parser::prelude::{FromDer, X509Certificate};

    use super::*;

    fn x509(bytes: &[u8]) -> String {
        let err = X509Certificate::from_der(bytes).expect_err("not a certificate");
        DecodeError::from_x509_nom(&err).to_string()
    }

    #[test]
    fn x509_errors_read_as_plain_phrases() {
        assert!(x509(b"").starts_with("truncated DER"), "{}", x509(b""));
        assert!(x509(&[0x30, 0x82, 0x01]).starts_with("truncated DER"));
        assert_eq!(
            x509(&[0x02, 0x01, 0x00]),
            "unexpected tag INTEGER (expected SEQUENCE)"
        );
        assert_eq!(
            x509(&[0x30, 0x03, 1, 1, 1]),
            "unexpected tag BOOLEAN (expected SEQUENCE)"
        );
    }

    #[test]
    fn der_errors_read_as_plain_phrases() {
        let err = <u32 as der::Decode>::from_der(&[0x30, 0x00]).expect_err("not an INTEGER");
        assert_eq!(
            DecodeError::from_der(&err).to_string(),
            "unexpected tag SEQUENCE (expected INTEGER)"
        );
        let err = <Vec<u32> as der::Decode>::from_der(&[0x30, 0x03, 0x04, 0x01, 0x00])
            .expect_err("an OCTET STRING in a SEQUENCE OF INTEGER");
        let text = DecodeError::from_der(&err).to_string();
        assert!(
            text.starts_with("unexpected tag OCTET STRING (expected INTEGER)"),
            "{text}"
        );
        let at = DecodeError::UnexpectedTag {
            expected: None,
            actual: "SET".into(),
            offset: Some(7),
        };
        assert_eq!(at.to_string(), "unexpected tag SET at offset 7");
        let err = <u32 as der::Decode>::from_der(&[0x02, 0x05, 0x01]).expect_err("cut");
        let text = DecodeError::from_der(&err).to_string();
        assert!(text.starts_with("truncated DER"), "{text}");
    }
}

/// A rustls error in plain words. rustls' own `Display` names alerts and certificate errors
/// with their Rust variant names ("received fatal alert: BadCertificate", "invalid peer
/// certificate: UnknownIssuer"); messages and the receiver's journal use this instead:
/// alerts by their RFC 8446 names (as Java prints them), certificate errors in words.
#[derive(Clone, Debug)]
pub struct TlsError(pub rustls::Error);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use rustls::Error;
        match &self.0 {
            Error::AlertReceived(alert) => write!(
                f,
                "received fatal alert `{}`",
                crate::alert::alert_name(u8::from(*alert))
            ),
            Error::InvalidCertificate(error) => {
                write!(f, "invalid peer certificate: {}", certificate_words(error))
            }
            Error::NoCertificatesPresented => f.write_str("the peer sent no certificate"),
            Error::UnsupportedNameType => f.write_str("unsupported server name type"),
            Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
                f.write_str("unexpected TLS message")
            }
            Error::InvalidMessage(_) => {
                f.write_str("malformed TLS message (the peer does not speak TLS, or sent garbage)")
            }
            Error::DecryptError => f.write_str("cannot decrypt a TLS record"),
            Error::EncryptError => f.write_str("cannot encrypt a TLS record"),
            Error::PeerIncompatible(_) => f.write_str(
                "the peer is incompatible: no protocol version, cipher suite, group or \
                 signature scheme in common",
            ),
            Error::PeerMisbehaved(_) => f.write_str("the peer broke the TLS protocol"),
            Error::InvalidCertRevocationList(_) => {
                f.write_str("invalid certificate revocation list")
            }
            Error::InvalidEncryptedClientHello(_) => {
                f.write_str("invalid encrypted ClientHello configuration")
            }
            Error::General(text) => f.write_str(text),
            Error::FailedToGetCurrentTime => f.write_str("cannot read the clock"),
            Error::FailedToGetRandomBytes => f.write_str("cannot get random bytes"),
            Error::HandshakeNotComplete => f.write_str("the handshake is not complete"),
            Error::PeerSentOversizedRecord => f.write_str("the peer sent an oversized record"),
            Error::NoApplicationProtocol => f.write_str("no application protocol (ALPN) in common"),
            Error::BadMaxFragmentSize => f.write_str("bad maximum fragment size"),
            Error::InconsistentKeys(_) => {
                f.write_str("the private key does not match the certificate")
            }
            Error::Other(other) => write!(f, "{other}"),
            _ => f.write_str("TLS error"),
        }
    }
}

impl std::error::Error for TlsError {}

fn certificate_words(error: &rustls::CertificateError) -> &'static str {
    use rustls::CertificateError as E;
    match error {
        E::BadEncoding => "malformed certificate",
        E::Expired | E::ExpiredContext { .. } => "expired",
        E::NotValidYet | E::NotValidYetContext { .. } => "not yet valid",
        E::Revoked => "revoked",
        E::UnhandledCriticalExtension => "unhandled critical extension",
        E::UnknownIssuer => "unknown issuer (no path to a trusted certificate)",
        E::UnknownRevocationStatus => "unknown revocation status",
        E::ExpiredRevocationList | E::ExpiredRevocationListContext { .. } => {
            "expired revocation list"
        }
        E::BadSignature => "bad signature",
        E::UnsupportedSignatureAlgorithmContext { .. }
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "unsupported signature algorithm"
        }
        E::NotValidForName | E::NotValidForNameContext { .. } => "not valid for the host name",
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => {
            "not valid for this purpose (extended key usage)"
        }
        E::ApplicationVerificationFailure => "refused by the application's verifier",
        _ => "invalid certificate",
    }
}

#[cfg(test)]
mod tls_tests {
    use super::TlsError;
    use rustls::{AlertDescription, CertificateError, Error};

    #[test]
    fn rustls_errors_read_in_words_without_variant_names() {
        let cases = [
            (
                Error::AlertReceived(AlertDescription::BadCertificate),
                "received fatal alert `bad_certificate`",
            ),
            (
                Error::InvalidCertificate(CertificateError::UnknownIssuer),
                "invalid peer certificate: unknown issuer (no path to a trusted certificate)",
            ),
            (
                Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch),
                "the private key does not match the certificate",
            ),
        ];
        for (error, text) in cases {
            let printed = TlsError(error).to_string();
            assert_eq!(printed, text);
            assert!(!printed.contains("BadCertificate") && !printed.contains("UnknownIssuer"));
        }
    }
}
