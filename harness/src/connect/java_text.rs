//! The text CPI shows for a failure: the `toString()` of the exception JDK 17's JSSE throws
//! for the same situation, as recorded by `tests/interop/connect_java.rs` against the real
//! JDK (which fails when a text here drifts from Java's).

use super::failure::Failure;

const HANDSHAKE: &str = "javax.net.ssl.SSLHandshakeException";

pub(super) fn java_text(failure: &Failure) -> String {
    match failure {
        Failure::UnknownIssuer {
            trust_anchors: 0, ..
        } => "javax.net.ssl.SSLException: Unexpected error: \
             java.security.InvalidAlgorithmParameterException: \
             the trustAnchors parameter must be non-empty"
            .into(),
        Failure::UnknownIssuer { .. } => format!(
            "{HANDSHAKE}: PKIX path building failed: \
             sun.security.provider.certpath.SunCertPathBuilderException: \
             unable to find valid certification path to requested target"
        ),
        Failure::Expired { .. } | Failure::NotYetValid { .. } => format!(
            "{HANDSHAKE}: PKIX path validation failed: \
             java.security.cert.CertPathValidatorException: validity check failed"
        ),
        Failure::NameMismatch { host, presented } => {
            let is_ip = host.parse::<std::net::IpAddr>().is_ok();
            if !is_ip && !crate::pkix::valid_sni_host(host) {
                // `new SNIHostName(host)` refuses it before any name is compared.
                return format!("{HANDSHAKE}: Illegal given domain name: {host}");
            }
            let has_san = presented
                .iter()
                .any(|p| p.starts_with("DNS:") || p.starts_with("IP:"));
            if is_ip && has_san {
                format!(
                    "{HANDSHAKE}: No subject alternative names matching IP address {host} found"
                )
            } else if is_ip {
                format!("{HANDSHAKE}: No subject alternative names present")
            } else if presented.iter().any(|p| p.starts_with("DNS:")) {
                format!("{HANDSHAKE}: No subject alternative DNS name matching {host} found.")
            } else {
                format!("{HANDSHAKE}: No name matching {host} found")
            }
        }
        Failure::BadKeyUsage {
            java: Some(java), ..
        }
        | Failure::BadCertificate {
            java: Some(java), ..
        } => java.clone(),
        Failure::BadKeyUsage { .. } => format!(
            "{HANDSHAKE}: Extended key usage does not permit use for TLS server authentication"
        ),
        // Java's own limits (jdk.tls.maxCertificateChainLength, jdk.tls.maxHandshakeMessageSize):
        // the detail is Java's message (measured with JDK 17.0.15).
        Failure::BadCertificate { detail, .. } if is_protocol_limit(detail) => {
            format!("javax.net.ssl.SSLProtocolException: {detail}")
        }
        Failure::BadCertificate { .. } => format!(
            "{HANDSHAKE}: PKIX path validation failed: \
             java.security.cert.CertPathValidatorException: basic constraints check failed: \
             this is not a CA certificate"
        ),
        Failure::ClientCertRequired { alert, .. }
        | Failure::ClientCertRejected { alert, .. }
        | Failure::Alert { alert, .. } => {
            format!("{}: Received fatal alert: {alert}", alert_exception(alert))
        }
        Failure::HttpUnauthorized { status } => {
            format!("java.io.IOException: Server returned HTTP response code: {status}")
        }
        Failure::ConnectionRefused { .. } => "java.net.ConnectException: Connection refused".into(),
        Failure::ConnectTimeout { .. } => {
            "java.net.SocketTimeoutException: Connect timed out".into()
        }
        Failure::ReadTimeout { .. } => "java.net.SocketTimeoutException: Read timed out".into(),
        Failure::HandshakeClosed { .. } => {
            format!("{HANDSHAKE}: Remote host terminated the handshake")
        }
        Failure::NotTls { .. } => {
            "javax.net.ssl.SSLException: Unsupported or unrecognized SSL message".into()
        }
        // Java names the alert the server sent; when our side found no common version,
        // the server's refusal is `protocol_version`.
        // A warning `unrecognized_name` under TLS 1.2, fatal in Java's client (measured).
        Failure::ProtocolMismatch {
            alert: Some(alert), ..
        } if alert == UNRECOGNIZED_NAME_WARNING => {
            format!("{HANDSHAKE}: received handshake warning: unrecognized_name")
        }
        // An empty certificate_authorities extension in a TLS 1.3 CertificateRequest
        // (measured with JDK 17.0.15 against `openssl s_server -no_ca_names`).
        Failure::ProtocolMismatch {
            alert: Some(alert), ..
        } if alert == EMPTY_CERTIFICATE_AUTHORITIES => "javax.net.ssl.SSLProtocolException: \
             Invalid certificate_authorities extension: insufficient data"
            .into(),
        Failure::ProtocolMismatch { alert, .. } => {
            let alert = alert.as_deref().unwrap_or("protocol_version");
            format!("{}: Received fatal alert: {alert}", alert_exception(alert))
        }
        Failure::UnknownHost { host, .. } => format!("java.net.UnknownHostException: {host}"),
    }
}

/// The `alert` of a [`Failure::ProtocolMismatch`] for a warning `unrecognized_name` alert
/// (a fatal one is a [`Failure::Alert`]).
pub(crate) const UNRECOGNIZED_NAME_WARNING: &str = "unrecognized_name (warning)";

/// The `alert` of a [`Failure::ProtocolMismatch`] for a TLS 1.3 CertificateRequest with an
/// empty certificate_authorities extension: Java refuses it and sends `decode_error`.
pub(crate) const EMPTY_CERTIFICATE_AUTHORITIES: &str =
    "decode_error (sent: empty certificate_authorities)";

/// Java's limit messages start so.
pub(crate) fn is_protocol_limit(detail: &str) -> bool {
    detail.starts_with("The certificate chain length (")
        || detail.starts_with("The size of the handshake message")
}

/// The exception JSSE throws for a received fatal alert: `SSLHandshakeException` for the
/// alerts its `Alert` enum marks handshake-only, plain `SSLException` for the others
/// (measured with JDK 17: `internal_error` arrives as `SSLException`).
fn alert_exception(alert: &str) -> &'static str {
    match alert {
        "close_notify"
        | "unexpected_message"
        | "bad_record_mac"
        | "decryption_failed"
        | "record_overflow"
        | "decompression_failure"
        | "internal_error"
        | "inappropriate_fallback"
        | "user_canceled" => "javax.net.ssl.SSLException",
        _ => HANDSHAKE,
    }
}
