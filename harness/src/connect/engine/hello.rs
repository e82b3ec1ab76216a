//! JDK 17's default ClientHello, as data.
//!
//! Measured 2026-12-06 with OpenJDK 17.0.15 (default `java.security`): a plain
//! `SSLSocketFactory.getDefault()` client against `openssl s_server -trace`; the trace's
//! ClientHello is transcribed below in the order Java sends. `tests/interop/client_hello.rs`
//! measures it again against the real JDK (and our client against the same trace), so the
//! table cannot drift from Java.
//!
//! What OpenSSL 3.0 cannot send as Java does, and why it does not change an outcome:
//! - `key_share`: Java sends two shares (x25519 and secp256r1), OpenSSL one (x25519). A
//!   server that wants secp256r1 answers with a HelloRetryRequest; the handshake ends the
//!   same, one round trip later.
//! - `signature_algorithms_cert`: Java repeats `signature_algorithms` in it; OpenSSL sends
//!   no such extension, which by RFC 8446 4.2.3 means the same list.
//! - `status_request_v2` (17): Java offers it; OpenSSL does not implement it (no server we
//!   know decides anything on it).
//! - the order of the extensions differs (servers do not look at it).

/// One cipher suite: IANA code, Java's (= IANA) name, OpenSSL's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    /// The IANA code point.
    pub code: u16,
    /// Java's and IANA's name (`TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384`).
    pub java: &'static str,
    /// OpenSSL's name (`ECDHE-ECDSA-AES256-GCM-SHA384`; TLS 1.3 suites keep the IANA name).
    pub openssl: &'static str,
}

const fn s(code: u16, java: &'static str, openssl: &'static str) -> Suite {
    Suite {
        code,
        java,
        openssl,
    }
}

/// TLS 1.3 cipher suites, in Java's order.
pub const TLS13_SUITES: &[Suite] = &[
    s(0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    s(0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    s(
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
];

/// TLS 1.2 (and 1.0/1.1, when enabled) cipher suites, in Java's order. The
/// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` that ends Java's list OpenSSL adds by itself.
pub const TLS12_SUITES: &[Suite] = &[
    s(
        0xC02C,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
    ),
    s(
        0xC02B,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    ),
    s(
        0xCCA9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ),
    s(
        0xC030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
    ),
    s(
        0xCCA8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ),
    s(
        0xC02F,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ),
    s(
        0x009F,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "DHE-RSA-AES256-GCM-SHA384",
    ),
    s(
        0xCCAA,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "DHE-RSA-CHACHA20-POLY1305",
    ),
    s(
        0x00A3,
        "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
        "DHE-DSS-AES256-GCM-SHA384",
    ),
    s(
        0x009E,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "DHE-RSA-AES128-GCM-SHA256",
    ),
    s(
        0x00A2,
        "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
        "DHE-DSS-AES128-GCM-SHA256",
    ),
    s(
        0xC024,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        "ECDHE-ECDSA-AES256-SHA384",
    ),
    s(
        0xC028,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        "ECDHE-RSA-AES256-SHA384",
    ),
    s(
        0xC023,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "ECDHE-ECDSA-AES128-SHA256",
    ),
    s(
        0xC027,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "ECDHE-RSA-AES128-SHA256",
    ),
    s(
        0x006B,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        "DHE-RSA-AES256-SHA256",
    ),
    s(
        0x006A,
        "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
        "DHE-DSS-AES256-SHA256",
    ),
    s(
        0x0067,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        "DHE-RSA-AES128-SHA256",
    ),
    s(
        0x0040,
        "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
        "DHE-DSS-AES128-SHA256",
    ),
    s(
        0xC00A,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "ECDHE-ECDSA-AES256-SHA",
    ),
    s(
        0xC014,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "ECDHE-RSA-AES256-SHA",
    ),
    s(
        0xC009,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "ECDHE-ECDSA-AES128-SHA",
    ),
    s(
        0xC013,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "ECDHE-RSA-AES128-SHA",
    ),
    s(
        0x0039,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        "DHE-RSA-AES256-SHA",
    ),
    s(
        0x0038,
        "TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
        "DHE-DSS-AES256-SHA",
    ),
    s(
        0x0033,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        "DHE-RSA-AES128-SHA",
    ),
    s(
        0x0032,
        "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
        "DHE-DSS-AES128-SHA",
    ),
    s(
        0x009D,
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "AES256-GCM-SHA384",
    ),
    s(
        0x009C,
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "AES128-GCM-SHA256",
    ),
    s(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"),
    s(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"),
    s(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"),
    s(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"),
];

/// The signalling suite that ends Java's list (RFC 5746).
pub const RENEGOTIATION_SCSV: u16 = 0x00FF;

/// `supported_groups`, in Java's order: (IANA code, TLS name, OpenSSL name).
pub const GROUPS: &[(u16, &str, &str)] = &[
    (29, "x25519", "X25519"),
    (23, "secp256r1", "P-256"),
    (24, "secp384r1", "P-384"),
    (25, "secp521r1", "P-521"),
    (30, "x448", "X448"),
    (256, "ffdhe2048", "ffdhe2048"),
    (257, "ffdhe3072", "ffdhe3072"),
    (258, "ffdhe4096", "ffdhe4096"),
    (259, "ffdhe6144", "ffdhe6144"),
    (260, "ffdhe8192", "ffdhe8192"),
];

/// `signature_algorithms` (and, in Java, the same `signature_algorithms_cert`), in Java's
/// order: (IANA code, TLS name, OpenSSL name).
pub const SIGNATURE_SCHEMES: &[(u16, &str, &str)] = &[
    (0x0403, "ecdsa_secp256r1_sha256", "ECDSA+SHA256"),
    (0x0503, "ecdsa_secp384r1_sha384", "ECDSA+SHA384"),
    (0x0603, "ecdsa_secp521r1_sha512", "ECDSA+SHA512"),
    (0x0807, "ed25519", "ed25519"),
    (0x0808, "ed448", "ed448"),
    (0x0804, "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha256"),
    (0x0805, "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha384"),
    (0x0806, "rsa_pss_rsae_sha512", "rsa_pss_rsae_sha512"),
    (0x0809, "rsa_pss_pss_sha256", "rsa_pss_pss_sha256"),
    (0x080A, "rsa_pss_pss_sha384", "rsa_pss_pss_sha384"),
    (0x080B, "rsa_pss_pss_sha512", "rsa_pss_pss_sha512"),
    (0x0401, "rsa_pkcs1_sha256", "RSA+SHA256"),
    (0x0501, "rsa_pkcs1_sha384", "RSA+SHA384"),
    (0x0601, "rsa_pkcs1_sha512", "RSA+SHA512"),
    (0x0402, "dsa_sha256", "DSA+SHA256"),
    (0x0303, "ecdsa_sha224", "ECDSA+SHA224"),
    (0x0301, "rsa_sha224", "RSA+SHA224"),
    (0x0302, "dsa_sha224", "DSA+SHA224"),
    (0x0203, "ecdsa_sha1", "ECDSA+SHA1"),
    (0x0201, "rsa_pkcs1_sha1", "RSA+SHA1"),
    (0x0202, "dsa_sha1", "DSA+SHA1"),
];

/// The protocol versions Java 17 enables by default (TLS 1.0 and 1.1 are in
/// `jdk.tls.disabledAlgorithms`).
pub const DEFAULT_VERSIONS: &[&str] = &["TLSv1.3", "TLSv1.2"];

/// Java's `jdk.tls.maxCertificateChainLength` default: a server Certificate message with more
/// certificates is refused.
pub const MAX_CERTIFICATE_CHAIN_LENGTH: usize = 10;

/// Java's `jdk.tls.maxHandshakeMessageSize` default, in bytes.
pub const MAX_HANDSHAKE_MESSAGE_SIZE: usize = 32768;

/// The suite's Java name for an IANA code, if Java offers it.
pub fn suite_name(code: u16) -> Option<&'static str> {
    TLS13_SUITES
        .iter()
        .chain(TLS12_SUITES)
        .find(|s| s.code == code)
        .map(|s| s.java)
}

/// A signature scheme's TLS name for its IANA code.
pub fn scheme_name(code: u16) -> Option<&'static str> {
    SIGNATURE_SCHEMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, _)| *name)
}

/// OpenSSL's cipher list for TLS 1.2 and below, in Java's order, at security level 0 (so
/// SHA-1 signatures and RSA keys from 1024 bits are acceptable, as in Java).
pub(crate) fn openssl_cipher_list() -> String {
    let mut list: Vec<&str> = TLS12_SUITES.iter().map(|s| s.openssl).collect();
    list.push("@SECLEVEL=0");
    list.join(":")
}

/// OpenSSL's TLS 1.3 cipher suites, in Java's order.
pub(crate) fn openssl_ciphersuites() -> String {
    let list: Vec<&str> = TLS13_SUITES.iter().map(|s| s.openssl).collect();
    list.join(":")
}

/// OpenSSL's group list, in Java's order.
pub(crate) fn openssl_groups() -> String {
    let list: Vec<&str> = GROUPS.iter().map(|(_, _, o)| *o).collect();
    list.join(":")
}

/// OpenSSL's signature algorithm list, in Java's order.
pub(crate) fn openssl_sigalgs() -> String {
    let list: Vec<&str> = SIGNATURE_SCHEMES.iter().map(|(_, _, o)| *o).collect();
    list.join(":")
}

/// Whether Java sends the host as SNI: JSSE's `Utilities.rawToSNIHostName` sends a host
/// name that contains a dot (after a trailing dot is removed) and is no IP literal; a
/// single label such as `localhost` gets no SNI.
pub fn java_sends_sni(host: &str) -> Option<String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.parse::<std::net::IpAddr>().is_ok()
        || host.starts_with('[')
        || !host.contains('.')
        || host.starts_with('.')
        || host.ends_with('.')
    {
        return None;
    }
    Some(host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sni_follows_java() {
        assert_eq!(java_sends_sni("localhost"), None);
        assert_eq!(java_sends_sni("127.0.0.1"), None);
        assert_eq!(java_sends_sni("::1"), None);
        assert_eq!(
            java_sends_sni("receiver.example.com").as_deref(),
            Some("receiver.example.com")
        );
        assert_eq!(
            java_sends_sni("receiver.example.com.").as_deref(),
            Some("receiver.example.com")
        );
    }

    #[test]
    fn tables_have_no_duplicates() {
        let mut codes: Vec<u16> = TLS13_SUITES
            .iter()
            .chain(TLS12_SUITES)
            .map(|s| s.code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TLS13_SUITES.len() + TLS12_SUITES.len());
        assert_eq!(
            suite_name(0xC02C),
            Some("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
        );
        assert_eq!(scheme_name(0x0201), Some("rsa_pkcs1_sha1"));
    }
}
