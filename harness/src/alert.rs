//! The TLS alert registry: one table of name <-> code, used by the connectivity test's
//! failure mapping and by the mock receiver (its `alert:NAME` fault and its journal).
//!
//! Names are the IANA registry's (`unknown_ca`), which is also how JDK 17 prints them in
//! "Received fatal alert: NAME". Codes are RFC 8446 §6's `AlertDescription` values.

use std::fmt;
use std::str::FromStr;

macro_rules! alerts {
    ($($(#[$meta:meta])* $variant:ident = $code:literal, $name:literal;)+) => {
        /// A TLS alert description with a registered name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum TlsAlert {
            $($(#[$meta])* $variant),+
        }

        impl TlsAlert {
            /// Every registered alert, by code.
            pub const ALL: &'static [TlsAlert] = &[$(TlsAlert::$variant),+];

            /// Every registered name, by code.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The alert's code on the wire.
            pub fn code(self) -> u8 {
                match self {
                    $(TlsAlert::$variant => $code),+
                }
            }

            /// The registry's name (`unknown_ca`).
            pub fn name(self) -> &'static str {
                match self {
                    $(TlsAlert::$variant => $name),+
                }
            }
        }
    };
}

alerts! {
    /// close_notify (0).
    CloseNotify = 0, "close_notify";
    /// unexpected_message (10).
    UnexpectedMessage = 10, "unexpected_message";
    /// bad_record_mac (20).
    BadRecordMac = 20, "bad_record_mac";
    /// decryption_failed (21, TLS 1.0 only).
    DecryptionFailed = 21, "decryption_failed";
    /// record_overflow (22).
    RecordOverflow = 22, "record_overflow";
    /// decompression_failure (30, TLS 1.2 and before).
    DecompressionFailure = 30, "decompression_failure";
    /// handshake_failure (40): what servers send when no cipher suite is common.
    HandshakeFailure = 40, "handshake_failure";
    /// no_certificate (41, SSL 3.0).
    NoCertificate = 41, "no_certificate";
    /// bad_certificate (42).
    BadCertificate = 42, "bad_certificate";
    /// unsupported_certificate (43).
    UnsupportedCertificate = 43, "unsupported_certificate";
    /// certificate_revoked (44).
    CertificateRevoked = 44, "certificate_revoked";
    /// certificate_expired (45).
    CertificateExpired = 45, "certificate_expired";
    /// certificate_unknown (46).
    CertificateUnknown = 46, "certificate_unknown";
    /// illegal_parameter (47).
    IllegalParameter = 47, "illegal_parameter";
    /// unknown_ca (48).
    UnknownCa = 48, "unknown_ca";
    /// access_denied (49).
    AccessDenied = 49, "access_denied";
    /// decode_error (50).
    DecodeError = 50, "decode_error";
    /// decrypt_error (51).
    DecryptError = 51, "decrypt_error";
    /// export_restriction (60, TLS 1.0 only).
    ExportRestriction = 60, "export_restriction";
    /// protocol_version (70).
    ProtocolVersion = 70, "protocol_version";
    /// insufficient_security (71).
    InsufficientSecurity = 71, "insufficient_security";
    /// internal_error (80).
    InternalError = 80, "internal_error";
    /// inappropriate_fallback (86).
    InappropriateFallback = 86, "inappropriate_fallback";
    /// user_canceled (90).
    UserCanceled = 90, "user_canceled";
    /// no_renegotiation (100).
    NoRenegotiation = 100, "no_renegotiation";
    /// missing_extension (109).
    MissingExtension = 109, "missing_extension";
    /// unsupported_extension (110).
    UnsupportedExtension = 110, "unsupported_extension";
    /// certificate_unobtainable (111).
    CertificateUnobtainable = 111, "certificate_unobtainable";
    /// unrecognized_name (112).
    UnrecognizedName = 112, "unrecognized_name";
    /// bad_certificate_status_response (113).
    BadCertificateStatusResponse = 113, "bad_certificate_status_response";
    /// bad_certificate_hash_value (114).
    BadCertificateHashValue = 114, "bad_certificate_hash_value";
    /// unknown_psk_identity (115).
    UnknownPskIdentity = 115, "unknown_psk_identity";
    /// certificate_required (116).
    CertificateRequired = 116, "certificate_required";
    /// no_application_protocol (120).
    NoApplicationProtocol = 120, "no_application_protocol";
    /// encrypted_client_hello_required (121).
    EncryptedClientHelloRequired = 121, "encrypted_client_hello_required";
}

impl TlsAlert {
    /// The registered alert with this code.
    pub fn from_code(code: u8) -> Option<TlsAlert> {
        Self::ALL.iter().copied().find(|a| a.code() == code)
    }

    /// The alert with this name; `-` is read as `_` (`unknown-ca`, as scenario files and
    /// command lines write it).
    pub fn from_name(name: &str) -> Option<TlsAlert> {
        Self::ALL.iter().copied().find(|a| {
            a.name()
                .bytes()
                .eq(name.bytes().map(|b| if b == b'-' { b'_' } else { b }))
        })
    }
}

/// The name of the alert with this code, or the code itself when the registry has no name
/// for it (a peer may send any byte).
pub fn alert_name(code: u8) -> String {
    TlsAlert::from_code(code).map_or_else(|| code.to_string(), |a| a.name().to_owned())
}

impl fmt::Display for TlsAlert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An alert text that is neither a registered name nor a registered code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown TLS alert `{0}` (expected a name such as `handshake_failure`, or its code)")]
pub struct UnknownAlert(pub String);

impl FromStr for TlsAlert {
    type Err = UnknownAlert;

    /// A name (`unknown_ca`, `unknown-ca`) or a code (`48`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let found = match text.parse::<u8>() {
            Ok(code) => TlsAlert::from_code(code),
            Err(_) => TlsAlert::from_name(text),
        };
        found.ok_or_else(|| UnknownAlert(text.to_owned()))
    }
}

impl From<TlsAlert> for rustls::AlertDescription {
    fn from(alert: TlsAlert) -> Self {
        rustls::AlertDescription::from(alert.code())
    }
}

impl serde::Serialize for TlsAlert {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for TlsAlert {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        TlsAlert::from_name(&text)
            .ok_or_else(|| serde::de::Error::unknown_variant(&text, TlsAlert::NAMES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip_and_match_rustls() {
        for alert in TlsAlert::ALL {
            assert_eq!(TlsAlert::from_code(alert.code()), Some(*alert));
            assert_eq!(TlsAlert::from_name(alert.name()), Some(*alert));
            assert_eq!(alert.name().parse::<TlsAlert>(), Ok(*alert));
            assert_eq!(alert.code().to_string().parse::<TlsAlert>(), Ok(*alert));
            // rustls knows every registered code by its own variant, never as `Unknown`.
            let theirs = rustls::AlertDescription::from(*alert);
            assert_eq!(u8::from(theirs), alert.code());
            assert!(
                !format!("{theirs:?}").starts_with("Unknown("),
                "{alert}: {theirs:?}"
            );
        }
    }

    #[test]
    fn registry_names_as_java_prints_them() {
        assert_eq!(alert_name(48), "unknown_ca");
        assert_eq!(alert_name(40), "handshake_failure");
        assert_eq!(alert_name(116), "certificate_required");
        assert_eq!(alert_name(115), "unknown_psk_identity");
        assert_eq!(alert_name(20), "bad_record_mac");
        assert_eq!(alert_name(255), "255");
        assert_eq!(
            TlsAlert::from_name("internal-error"),
            Some(TlsAlert::InternalError)
        );
        assert!("nope".parse::<TlsAlert>().is_err());
        assert!("255".parse::<TlsAlert>().is_err());
    }

    #[test]
    fn serializes_as_its_name() {
        let json = serde_json::to_string(&TlsAlert::UnknownCa).unwrap();
        assert_eq!(json, "\"unknown_ca\"");
        let back: TlsAlert = serde_json::from_str("\"access_denied\"").unwrap();
        assert_eq!(back, TlsAlert::AccessDenied);
        let err = serde_json::from_str::<TlsAlert>("\"nope\"").unwrap_err();
        assert!(err.to_string().contains("unknown variant `nope`"), "{err}");
    }
}
