//! Failure classes: what went wrong, with evidence, under stable kebab-case ids.

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::Duration;

use rustls::{AlertDescription, CertificateError, Error, PeerIncompatible, PeerMisbehaved};
use serde::Serialize;
use time::OffsetDateTime;

use crate::cert::{CertInfo, ValidityState};
use crate::time::format_rfc3339;

/// Where in the connectivity test something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Name resolution and TCP connect.
    Connect,
    /// The TLS handshake.
    Handshake,
    /// After the handshake: sending `GET /` and waiting for the answer (TLS 1.3 client
    /// certificate alerts arrive here).
    Response,
}

/// Why a connectivity test failed. Exhaustive on purpose: a new class does not compile until
/// [`crate::diagnose`] and the reports handle it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "class", content = "evidence", rename_all = "kebab-case")]
pub enum Failure {
    /// The server chain reaches no trusted certificate (missing root, missing intermediate,
    /// self-signed certificate not imported).
    UnknownIssuer {
        /// Subject of the certificate the path stops at (the top of the chain as sent).
        top_subject: String,
        /// Its issuer: the name a trusted certificate needs.
        top_issuer: String,
        /// How many trust anchors the store held.
        trust_anchors: usize,
    },
    /// A certificate of the chain expired before "now".
    Expired {
        /// Its subject.
        subject: String,
        /// Its notAfter.
        not_after: String,
        /// The "now" of the test.
        now: String,
    },
    /// A certificate of the chain is not valid yet at "now".
    NotYetValid {
        /// Its subject.
        subject: String,
        /// Its notBefore.
        not_before: String,
        /// The "now" of the test.
        now: String,
    },
    /// The server certificate does not name the host.
    NameMismatch {
        /// The host the test connected to.
        host: String,
        /// The names the certificate presents (SANs, or `CN=...` without SANs).
        presented: Vec<String>,
    },
    /// The server certificate's (extended) key usage does not allow TLS server auth.
    BadKeyUsage {
        /// Its subject.
        subject: String,
        /// What the validator said.
        detail: String,
        /// Java's exception text for it, when the validator knows it exactly (a rule of
        /// [`crate::pkix::RULES`]); [`Failure::java_text`] falls back to the class's text.
        #[serde(skip)]
        java: Option<String>,
    },
    /// Another certificate problem (bad signature, malformed, CA flag missing, ...).
    BadCertificate {
        /// What the validator said.
        detail: String,
        /// Java's exception text for it, when the validator knows it exactly (a rule of
        /// [`crate::pkix::RULES`]); [`Failure::java_text`] falls back to the class's text.
        #[serde(skip)]
        java: Option<String>,
    },
    /// The server required a client certificate and none was sent.
    ClientCertRequired {
        /// The alert the server sent (TLS name).
        alert: String,
        /// Where it arrived.
        phase: Phase,
    },
    /// The server refused the client certificate that was sent.
    ClientCertRejected {
        /// The alias sent.
        alias: String,
        /// The alert the server sent.
        alert: String,
        /// Where it arrived.
        phase: Phase,
    },
    /// The handshake succeeded; `GET /` was answered 401 or 403 (certificate not mapped to a
    /// user).
    HttpUnauthorized {
        /// The HTTP status.
        status: u16,
    },
    /// Nothing listens on the port.
    ConnectionRefused {
        /// The address tried.
        address: String,
    },
    /// The TCP connect did not finish in time.
    ConnectTimeout {
        /// The address tried.
        address: String,
        /// The timeout, ms.
        timeout_ms: u64,
    },
    /// The server accepted the connection and then did not answer in time.
    ReadTimeout {
        /// Where it stalled.
        phase: Phase,
        /// The timeout, ms.
        timeout_ms: u64,
    },
    /// The server closed the connection (or reset it) without an alert.
    HandshakeClosed {
        /// Where.
        phase: Phase,
        /// What the socket said.
        detail: String,
    },
    /// The server answered with something that is not TLS.
    NotTls {
        /// What the TLS layer said.
        detail: String,
    },
    /// No common protocol version or cipher suite.
    ProtocolMismatch {
        /// What was refused.
        detail: String,
        /// The alert the server sent (TLS name), when the server refused with one; `None`
        /// when our side found nothing in common.
        #[serde(skip_serializing_if = "Option::is_none")]
        alert: Option<String>,
        /// What our ClientHello (Java's) offered: the versions, then the cipher suites in
        /// Java's order. The server's own list is not on the wire; what it chose or said is
        /// in `detail`.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        offered: Vec<String>,
    },
    /// Any other fatal alert from the server.
    Alert {
        /// The alert (TLS name).
        alert: String,
        /// Where it arrived.
        phase: Phase,
    },
    /// The host name does not resolve.
    UnknownHost {
        /// The host.
        host: String,
        /// What the resolver said.
        detail: String,
    },
}

macro_rules! failure_classes {
    ($($(#[$meta:meta])* $variant:ident = $id:literal, $description:literal;)+) => {
        /// The class of a [`Failure`]: DESIGN.md's failure classes under their stable
        /// kebab-case ids (the ids scenario files expect and JSON reports print).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum FailureClass {
            $($(#[$meta])* $variant),+
        }

        impl FailureClass {
            /// Every class, in the order of [`Failure`]'s variants.
            pub const ALL: &'static [FailureClass] = &[$(FailureClass::$variant),+];

            /// Every id, in the same order.
            pub const IDS: &'static [&'static str] = &[$($id),+];

            /// The stable kebab-case id (`unknown-issuer`).
            pub fn id(self) -> &'static str {
                match self {
                    $(FailureClass::$variant => $id),+
                }
            }

            /// What the class means, in one phrase.
            pub fn description(self) -> &'static str {
                match self {
                    $(FailureClass::$variant => $description),+
                }
            }
        }
    };
}

failure_classes! {
    /// The chain reaches no trust anchor.
    UnknownIssuer = "unknown-issuer",
        "the server chain reaches no trusted certificate (missing root or intermediate, self-signed not imported)";
    /// A certificate is past its notAfter.
    Expired = "expired", "a certificate of the chain is past its notAfter";
    /// A certificate is before its notBefore.
    NotYetValid = "not-yet-valid", "a certificate of the chain is before its notBefore";
    /// The host name is not in the certificate.
    NameMismatch = "name-mismatch", "the server certificate does not name the host";
    /// Wrong key usage or extended key usage.
    BadKeyUsage = "bad-key-usage", "the server certificate's (extended) key usage forbids TLS server authentication";
    /// A malformed certificate or one that breaks a structural rule.
    BadCertificate = "bad-certificate",
        "a certificate is malformed or breaks a structural rule (e.g. a CA certificate as the server's end entity)";
    /// The server required a client certificate and none was sent.
    ClientCertRequired = "client-cert-required", "the server required a client certificate and none was sent";
    /// The server refused the client certificate sent.
    ClientCertRejected = "client-cert-rejected", "the server refused the client certificate sent";
    /// Handshake fine, HTTP 401/403.
    HttpUnauthorized = "http-unauthorized",
        "the handshake succeeded, HTTP answered 401 or 403 (certificate trusted but not mapped to a user)";
    /// Nothing listens on the port.
    ConnectionRefused = "connection-refused", "nothing listens on the port";
    /// The TCP connect timed out.
    ConnectTimeout = "connect-timeout", "the TCP connect timed out";
    /// The server stopped answering.
    ReadTimeout = "read-timeout", "the server accepted the connection and stopped answering";
    /// The server closed the connection during the handshake.
    HandshakeClosed = "handshake-closed", "the server closed the connection without an alert";
    /// The answer is not TLS.
    NotTls = "not-tls", "the server's answer is not TLS";
    /// No common protocol version or cipher suite.
    ProtocolMismatch = "protocol-mismatch", "no common TLS version or cipher suite";
    /// Any other TLS alert.
    Alert = "alert", "the server sent another fatal TLS alert";
    /// The host name does not resolve.
    UnknownHost = "unknown-host", "the host name does not resolve";
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A text that is no failure class id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown failure class `{0}`")]
pub struct UnknownFailureClass(pub String);

impl FromStr for FailureClass {
    type Err = UnknownFailureClass;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        FailureClass::ALL
            .iter()
            .copied()
            .find(|c| c.id() == text)
            .ok_or_else(|| UnknownFailureClass(text.to_owned()))
    }
}

impl Serialize for FailureClass {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> serde::Deserialize<'de> for FailureClass {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| serde::de::Error::unknown_variant(&text, FailureClass::IDS))
    }
}

impl Failure {
    /// The failure's class.
    pub fn class(&self) -> FailureClass {
        match self {
            Failure::UnknownIssuer { .. } => FailureClass::UnknownIssuer,
            Failure::Expired { .. } => FailureClass::Expired,
            Failure::NotYetValid { .. } => FailureClass::NotYetValid,
            Failure::NameMismatch { .. } => FailureClass::NameMismatch,
            Failure::BadKeyUsage { .. } => FailureClass::BadKeyUsage,
            Failure::BadCertificate { .. } => FailureClass::BadCertificate,
            Failure::ClientCertRequired { .. } => FailureClass::ClientCertRequired,
            Failure::ClientCertRejected { .. } => FailureClass::ClientCertRejected,
            Failure::HttpUnauthorized { .. } => FailureClass::HttpUnauthorized,
            Failure::ConnectionRefused { .. } => FailureClass::ConnectionRefused,
            Failure::ConnectTimeout { .. } => FailureClass::ConnectTimeout,
            Failure::ReadTimeout { .. } => FailureClass::ReadTimeout,
            Failure::HandshakeClosed { .. } => FailureClass::HandshakeClosed,
            Failure::NotTls { .. } => FailureClass::NotTls,
            Failure::ProtocolMismatch { .. } => FailureClass::ProtocolMismatch,
            Failure::Alert { .. } => FailureClass::Alert,
            Failure::UnknownHost { .. } => FailureClass::UnknownHost,
        }
    }

    /// One line for people.
    pub fn message(&self) -> String {
        match self {
            Failure::UnknownIssuer {
                top_subject,
                top_issuer,
                trust_anchors,
            } => {
                if *trust_anchors == 0 {
                    "the trust store holds no trusted certificate".into()
                } else if top_subject == top_issuer {
                    format!("self-signed certificate `{top_subject}` is not trusted")
                } else {
                    format!(
                        "the server chain ends at `{top_subject}`, whose issuer `{top_issuer}` is not trusted"
                    )
                }
            }
            Failure::Expired {
                subject, not_after, ..
            } => format!("certificate `{subject}` expired at {not_after}"),
            Failure::NotYetValid {
                subject,
                not_before,
                ..
            } => format!("certificate `{subject}` is not valid before {not_before}"),
            Failure::NameMismatch { host, presented } => format!(
                "the server certificate is not valid for `{host}` (it names {})",
                if presented.is_empty() {
                    "nothing".to_owned()
                } else {
                    presented.join(", ")
                }
            ),
            Failure::BadKeyUsage {
                subject, detail, ..
            } => {
                format!(
                    "certificate `{subject}` may not be used for TLS server authentication: {detail}"
                )
            }
            Failure::BadCertificate { detail, .. } => {
                format!("invalid server certificate: {detail}")
            }
            Failure::ClientCertRequired { alert, .. } => format!(
                "the server requires a client certificate and none was sent (alert `{alert}`)"
            ),
            Failure::ClientCertRejected { alias, alert, .. } => {
                format!("the server refused client certificate `{alias}` (alert `{alert}`)")
            }
            Failure::HttpUnauthorized { status } => {
                format!("the TLS handshake succeeded but `GET /` was answered {status}")
            }
            Failure::ConnectionRefused { address } => format!("connection refused by {address}"),
            Failure::ConnectTimeout {
                address,
                timeout_ms,
            } => format!("connect to {address} timed out after {timeout_ms} ms"),
            Failure::ReadTimeout { phase, timeout_ms } => format!(
                "the server did not answer within {timeout_ms} ms ({})",
                phase_text(*phase)
            ),
            Failure::HandshakeClosed { phase, detail } => format!(
                "the server closed the connection ({}): {detail}",
                phase_text(*phase)
            ),
            Failure::NotTls { detail } => format!("the server does not speak TLS: {detail}"),
            Failure::ProtocolMismatch { detail, .. } => {
                format!("no common TLS version or cipher suite: {detail}")
            }
            Failure::Alert { alert, phase } => format!(
                "the server sent fatal alert `{alert}` ({})",
                phase_text(*phase)
            ),
            Failure::UnknownHost { host, detail } => format!("cannot resolve `{host}`: {detail}"),
        }
    }

    /// The text CPI shows for this failure: the Java exception of JDK 17.
    pub fn java_text(&self) -> String {
        super::java_text::java_text(self)
    }
}

fn phase_text(phase: Phase) -> &'static str {
    match phase {
        Phase::Connect => "while connecting",
        Phase::Handshake => "during the handshake",
        Phase::Response => "after the handshake, waiting for the answer to `GET /`",
    }
}

/// What classification needs to know besides the error.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) host: &'a str,
    pub(crate) phase: Phase,
    pub(crate) requested: bool,
    pub(crate) sent_alias: Option<&'a str>,
    pub(crate) chain: &'a [CertInfo],
    pub(crate) now: OffsetDateTime,
    /// The clock `now` came from: named in failures that depend on it (a frozen scenario
    /// clock stays unnamed, so the suite's texts do not change).
    pub(crate) clock: crate::time::Clock,
    pub(crate) trust_anchors: usize,
    pub(crate) timeout: Duration,
    /// The lowest and highest version offered.
    pub(crate) versions: (super::options::TlsVersion, super::options::TlsVersion),
}

/// Classifies an I/O error of the TLS stream (which may wrap a rustls error).
pub(crate) fn classify_io(err: &io::Error, cx: &Context<'_>) -> Failure {
    if let Some(tls) = err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        return classify_tls(tls, cx);
    }
    if let Some(ssl) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<openssl::ssl::Error>())
    {
        return classify_ssl(ssl, cx);
    }
    match err.kind() {
        io::ErrorKind::TimedOut => Failure::ReadTimeout {
            phase: cx.phase,
            timeout_ms: cx.timeout.as_millis() as u64,
        },
        // A server that rejects our certificate and closes before reading the rest of our
        // flight resets the connection (TLS 1.3): the alert may be lost, the reset is the
        // rejection. The evidence says so.
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionAborted
            if cx.requested && cx.sent_alias.is_some() =>
        {
            Failure::ClientCertRejected {
                alias: cx.sent_alias.unwrap_or_default().to_owned(),
                alert: format!(
                    "none received: {} after the client certificate was sent",
                    io_text(err)
                ),
                phase: cx.phase,
            }
        }
        _ => Failure::HandshakeClosed {
            phase: cx.phase,
            detail: io_text(err),
        },
    }
}

/// Classifies an error of the OpenSSL client (handshake, or a read/write after it). A
/// refusal by our own validator is classified by the caller from what the validator said;
/// this sees only what OpenSSL and the server said.
pub(crate) fn classify_ssl(err: &openssl::ssl::Error, cx: &Context<'_>) -> Failure {
    if let Some(io) = err.io_error() {
        return classify_io(io, cx);
    }
    let errors = err.ssl_error().map(|s| s.errors()).unwrap_or_default();
    // An alert from the server: OpenSSL files it as reason 1000 + the alert code.
    if let Some(alert) = errors
        .iter()
        .map(|e| e.reason_code())
        .find(|r| (1000..1256).contains(r))
    {
        return classify_alert(AlertDescription::from((alert - 1000) as u8), cx);
    }
    let reasons: Vec<String> = errors
        .iter()
        .filter_map(|e| e.reason().map(str::to_owned))
        .collect();
    let has = |text: &str| reasons.iter().any(|r| r == text);
    let detail = if reasons.is_empty() {
        "the connection closed".to_owned()
    } else {
        reasons.join("; ")
    };
    if has("wrong version number") || has("packet length too long") || has("http request") {
        return Failure::NotTls { detail };
    }
    if has("unsupported protocol")
        || has("no protocols available")
        || has("wrong cipher returned")
        || has("no ciphers available")
        || has("unknown cipher returned")
        || has("tlsv1 alert protocol version")
        || has("unsupported elliptic curve")
        || has("wrong curve")
    {
        return Failure::ProtocolMismatch {
            detail: format!("the server chose what Java does not offer ({detail})"),
            alert: None,
            offered: offered(cx),
        };
    }
    if has("excessive message size") {
        // Java names the message's size; OpenSSL stops reading it at the limit, so the size
        // is not known here.
        return Failure::BadCertificate {
            detail: format!(
                "The size of the handshake message exceeds the maximum allowed size ({})",
                super::engine::hello::MAX_HANDSHAKE_MESSAGE_SIZE
            ),
            java: None,
        };
    }
    let certificate_library = errors.iter().any(|e| {
        matches!(
            e.library(),
            Some("asn1 encoding routines" | "x509 certificate routines")
        )
    });
    if certificate_library {
        return Failure::BadCertificate {
            detail: format!("the server's certificate does not parse: {detail}"),
            java: None,
        };
    }
    if errors.is_empty() || has("unexpected eof while reading") {
        return match (cx.requested, cx.sent_alias) {
            (true, Some(alias)) if cx.phase == Phase::Response => Failure::ClientCertRejected {
                alias: alias.to_owned(),
                alert: "none received: the connection closed after the client certificate was sent"
                    .into(),
                phase: cx.phase,
            },
            _ => Failure::HandshakeClosed {
                phase: cx.phase,
                detail,
            },
        };
    }
    Failure::HandshakeClosed {
        phase: cx.phase,
        detail,
    }
}

/// What our ClientHello offered, for a protocol mismatch's evidence: the versions of the
/// test, then Java's cipher suites for them, in Java's order.
pub(crate) fn offered(cx: &Context<'_>) -> Vec<String> {
    use super::engine::hello;
    use super::options::TlsVersion;
    let (min, max) = cx.versions;
    let versions = [
        TlsVersion::Tls13,
        TlsVersion::Tls12,
        TlsVersion::Tls11,
        TlsVersion::Tls10,
    ];
    let mut out: Vec<String> = versions
        .iter()
        .filter(|v| **v >= min && **v <= max)
        .map(ToString::to_string)
        .collect();
    if max >= TlsVersion::Tls13 {
        out.extend(hello::TLS13_SUITES.iter().map(|s| s.java.to_owned()));
    }
    if min <= TlsVersion::Tls12 {
        out.extend(hello::TLS12_SUITES.iter().map(|s| s.java.to_owned()));
    }
    out
}

/// Classifies a rustls error.
pub(crate) fn classify_tls(err: &Error, cx: &Context<'_>) -> Failure {
    match err {
        Error::InvalidCertificate(cert) => classify_certificate(cert, cx),
        Error::AlertReceived(alert) => classify_alert(*alert, cx),
        Error::InvalidMessage(m) => {
            if cx.phase == Phase::Handshake && cx.chain.is_empty() {
                Failure::NotTls {
                    detail: format!("{m:?}"),
                }
            } else {
                Failure::BadCertificate {
                    detail: format!("invalid TLS message: {m:?}"),
                    java: None,
                }
            }
        }
        Error::PeerIncompatible(p) => Failure::ProtocolMismatch {
            detail: incompatible_text(p),
            alert: None,
            offered: offered(cx),
        },
        Error::PeerMisbehaved(PeerMisbehaved::SelectedUnusableCipherSuiteForVersion)
        | Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedCipherSuite) => {
            Failure::ProtocolMismatch {
                detail: "the server chose a cipher suite we did not offer".into(),
                alert: None,
                offered: offered(cx),
            }
        }
        Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. }
            if cx.chain.is_empty() =>
        {
            Failure::NotTls {
                detail: err.to_string(),
            }
        }
        other => Failure::HandshakeClosed {
            phase: cx.phase,
            detail: other.to_string(),
        },
    }
}

fn classify_alert(alert: AlertDescription, cx: &Context<'_>) -> Failure {
    let name = alert_name(alert);
    let client_cert_alert = matches!(
        alert,
        AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::AccessDenied
            | AlertDescription::HandshakeFailure
            | AlertDescription::DecryptError
    );
    match (cx.requested, cx.sent_alias) {
        (true, None) if client_cert_alert => Failure::ClientCertRequired {
            alert: name,
            phase: cx.phase,
        },
        (true, Some(alias)) if client_cert_alert && alert != AlertDescription::HandshakeFailure => {
            Failure::ClientCertRejected {
                alias: alias.to_owned(),
                alert: name,
                phase: cx.phase,
            }
        }
        _ if matches!(
            alert,
            AlertDescription::ProtocolVersion | AlertDescription::InsufficientSecurity
        ) || (alert == AlertDescription::HandshakeFailure && cx.chain.is_empty()) =>
        {
            Failure::ProtocolMismatch {
                detail: format!("the server sent alert `{name}`"),
                alert: Some(name),
                offered: offered(cx),
            }
        }
        (true, Some(alias)) if alert == AlertDescription::HandshakeFailure => {
            Failure::ClientCertRejected {
                alias: alias.to_owned(),
                alert: name,
                phase: cx.phase,
            }
        }
        _ => Failure::Alert {
            alert: name,
            phase: cx.phase,
        },
    }
}

fn classify_certificate(err: &CertificateError, cx: &Context<'_>) -> Failure {
    let leaf_subject = || {
        cx.chain
            .first()
            .map(|c| c.subject.clone())
            .unwrap_or_default()
    };
    let now = match cx.clock {
        crate::time::Clock::Fixed(_) => format_rfc3339(cx.now),
        clock => clock.describe(cx.now),
    };
    let find = |state: ValidityState| cx.chain.iter().find(|c| c.validity_at(cx.now) == state);
    match err {
        CertificateError::UnknownIssuer => {
            let top = cx.chain.last();
            Failure::UnknownIssuer {
                top_subject: top.map(|c| c.subject.clone()).unwrap_or_default(),
                top_issuer: top.map(|c| c.issuer.clone()).unwrap_or_default(),
                trust_anchors: cx.trust_anchors,
            }
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let cert = find(ValidityState::Expired);
            Failure::Expired {
                subject: cert.map(|c| c.subject.clone()).unwrap_or_else(leaf_subject),
                not_after: cert.map(|c| c.not_after.clone()).unwrap_or_default(),
                now,
            }
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            let cert = find(ValidityState::NotYetValid);
            Failure::NotYetValid {
                subject: cert.map(|c| c.subject.clone()).unwrap_or_else(leaf_subject),
                not_before: cert.map(|c| c.not_before.clone()).unwrap_or_default(),
                now,
            }
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let presented = match cx.chain.first() {
                Some(leaf) if !leaf.subject_alt_names.is_empty() => leaf.subject_alt_names.clone(),
                Some(leaf) => vec![leaf.subject.clone()],
                None => Vec::new(),
            };
            Failure::NameMismatch {
                host: cx.host.to_owned(),
                presented,
            }
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            Failure::BadKeyUsage {
                subject: leaf_subject(),
                detail: "the extended key usage does not include serverAuth".into(),
                java: None,
            }
        }
        other => Failure::BadCertificate {
            detail: format!("{other:?}"),
            java: None,
        },
    }
}

fn incompatible_text(p: &PeerIncompatible) -> String {
    match p {
        PeerIncompatible::ServerDoesNotSupportTls12Or13 => {
            "the server supports neither TLS 1.2 nor TLS 1.3".into()
        }
        PeerIncompatible::Tls12NotOffered | PeerIncompatible::Tls12NotOfferedOrEnabled => {
            "TLS 1.2 is not enabled".into()
        }
        PeerIncompatible::Tls13RequiredForQuic => "TLS 1.3 is required".into(),
        other => format!("{other:?}"),
    }
}

/// An alert's name as the TLS registry and Java spell it (`unknown_ca`), from the one
/// table in [`crate::alert`].
pub(crate) fn alert_name(alert: AlertDescription) -> String {
    crate::alert::alert_name(u8::from(alert))
}

/// An I/O error without the OS error number (`connection reset by peer`).
pub(crate) fn io_text(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names_follow_the_registry() {
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::CertificateRequired),
            "certificate_required"
        );
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
        assert_eq!(
            alert_name(AlertDescription::ProtocolVersion),
            "protocol_version"
        );
    }

    /// Every alert `mock-receiver --fault alert:NAME` can send, as JDK 17 names it in
    /// "Received fatal alert: NAME" (the differential test checks the same list against Java).
    const RECEIVER_ALERTS: [(u8, &str); 14] = [
        (40, "handshake_failure"),
        (42, "bad_certificate"),
        (43, "unsupported_certificate"),
        (44, "certificate_revoked"),
        (45, "certificate_expired"),
        (46, "certificate_unknown"),
        (47, "illegal_parameter"),
        (48, "unknown_ca"),
        (49, "access_denied"),
        (50, "decode_error"),
        (51, "decrypt_error"),
        (70, "protocol_version"),
        (80, "internal_error"),
        (116, "certificate_required"),
    ];

    #[test]
    fn java_text_of_refusals_java_makes_on_its_own() {
        let empty_ca_names = Failure::ProtocolMismatch {
            detail: String::new(),
            alert: Some(super::super::java_text::EMPTY_CERTIFICATE_AUTHORITIES.to_owned()),
            offered: Vec::new(),
        };
        assert_eq!(
            empty_ca_names.java_text(),
            "javax.net.ssl.SSLProtocolException: Invalid certificate_authorities extension: insufficient data"
        );
        assert_eq!(empty_ca_names.class(), FailureClass::ProtocolMismatch);
        // A host name Java's SNIHostName refuses fails before any name is compared.
        let illegal = Failure::NameMismatch {
            host: "under_score.example".into(),
            presented: vec!["DNS:under_score.example".into()],
        };
        assert_eq!(
            illegal.java_text(),
            "javax.net.ssl.SSLHandshakeException: Illegal given domain name: under_score.example"
        );
        // A validator refusal carries its own Java text.
        let exact = Failure::BadCertificate {
            detail: "name constraints check failed".into(),
            java: Some("javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: name constraints check failed".into()),
        };
        assert!(exact.java_text().ends_with("name constraints check failed"));
    }

    #[test]
    fn java_text_names_the_alert_the_server_sent() {
        for (requested, sent_alias) in [(false, None), (true, None), (true, Some("cpi"))] {
            for (code, name) in RECEIVER_ALERTS {
                let cx = Context {
                    host: "localhost",
                    phase: Phase::Handshake,
                    requested,
                    sent_alias,
                    chain: &[],
                    now: crate::time::DEFAULT_NOW,
                    clock: crate::time::Clock::Fixed(crate::time::DEFAULT_NOW),
                    trust_anchors: 1,
                    timeout: Duration::from_secs(1),
                    versions: (
                        super::super::options::TlsVersion::Tls12,
                        super::super::options::TlsVersion::Tls13,
                    ),
                };
                let failure = classify_alert(AlertDescription::from(code), &cx);
                assert_eq!(alert_name(AlertDescription::from(code)), name);
                let exception = if name == "internal_error" {
                    "javax.net.ssl.SSLException"
                } else {
                    "javax.net.ssl.SSLHandshakeException"
                };
                assert_eq!(
                    failure.java_text(),
                    format!("{exception}: Received fatal alert: {name}"),
                    "{failure:?}"
                );
            }
        }
    }

    #[test]
    fn failure_class_ids_are_stable_and_round_trip() {
        assert_eq!(FailureClass::ALL.len(), FailureClass::IDS.len());
        assert_eq!(
            FailureClass::IDS,
            [
                "unknown-issuer",
                "expired",
                "not-yet-valid",
                "name-mismatch",
                "bad-key-usage",
                "bad-certificate",
                "client-cert-required",
                "client-cert-rejected",
                "http-unauthorized",
                "connection-refused",
                "connect-timeout",
                "read-timeout",
                "handshake-closed",
                "not-tls",
                "protocol-mismatch",
                "alert",
                "unknown-host",
            ]
        );
        for (class, id) in FailureClass::ALL.iter().zip(FailureClass::IDS) {
            assert_eq!(class.id(), *id);
            assert_eq!(class.to_string(), *id);
            assert_eq!(id.parse::<FailureClass>(), Ok(*class));
            assert_eq!(serde_json::to_value(class).unwrap(), *id);
            let back: FailureClass = serde_json::from_value(serde_json::json!(id)).unwrap();
            assert_eq!(back, *class);
            assert!(!class.description().is_empty());
        }
        assert!("success".parse::<FailureClass>().is_err());
        let err = serde_json::from_str::<FailureClass>("\"expird\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `expird`"),
            "{err}"
        );
    }

    #[test]
    fn class_ids_are_listed() {
        let failure = Failure::Alert {
            alert: "x".into(),
            phase: Phase::Handshake,
        };
        assert_eq!(failure.class(), FailureClass::Alert);
        let json = serde_json::to_value(&failure).unwrap();
        assert_eq!(json["class"], "alert");
    }
}
