//! Every rule Java 17 applies to a server chain, as a table row: the id, Java's exact text,
//! what it checks and where JDK 17 does it. The checks themselves are in `path.rs`
//! (`PKIXValidator`, `PKIXCertPathValidator`'s checkers, `EndEntityChecker`) and `host.rs`
//! (`HostnameChecker`); every [`PkixError`](super::PkixError) names its row.

use crate::connect::FailureClass;

/// How Java reports a rule's exception (the prefix of the message CPI shows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// `javax.net.ssl.SSLHandshakeException: PKIX path validation failed:
    /// java.security.cert.CertPathValidatorException: <text>`.
    PathValidation,
    /// `javax.net.ssl.SSLHandshakeException: PKIX path validation failed:
    /// sun.security.validator.ValidatorException: <text>` (the trust anchor's own checks).
    PathValidationValidator,
    /// `javax.net.ssl.SSLHandshakeException: PKIX path building failed:
    /// sun.security.provider.certpath.SunCertPathBuilderException: <text>`.
    PathBuilding,
    /// `javax.net.ssl.SSLHandshakeException: <text>` (end-entity and host name checks).
    Handshake,
    /// `javax.net.ssl.SSLException: Unexpected error:
    /// java.security.InvalidAlgorithmParameterException: <text>` (the trust manager cannot
    /// be built).
    TrustManager,
}

/// One rule of Java's server certificate validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id ([`PkixError::rule`](super::PkixError::rule)).
    pub id: &'static str,
    /// Java's text (`{...}` marks what the refusal fills in).
    pub java: &'static str,
    /// How Java wraps the text.
    pub wrap: Wrap,
    /// The failure class a connectivity test reports.
    pub class: FailureClass,
    /// What the rule checks.
    pub checks: &'static str,
    /// Where JDK 17 does it (`src/java.base/share/classes/...`).
    pub source: &'static str,
}

macro_rules! rules {
    ($($id:literal, $wrap:ident, $class:ident, $java:literal, $checks:literal, $source:expr;)+) => {
        /// Every rule, in the order Java applies them to one certificate.
        pub const RULES: &[Rule] = &[$(Rule {
            id: $id,
            java: $java,
            wrap: Wrap::$wrap,
            class: FailureClass::$class,
            checks: $checks,
            source: $source,
        }),+];
    };
}

rules! {
    "empty-trust-store", TrustManager, UnknownIssuer,
        "the trustAnchors parameter must be non-empty",
        "the trust store holds at least one trusted certificate",
        "java/security/cert/PKIXParameters.java (setTrustAnchors)";
    "unparsable-certificate", Handshake, BadCertificate,
        "Failed to parse server certificates",
        "every certificate the server sent decodes as Java's X509CertImpl decodes it (same signature algorithm inside and out, a non-empty issuer, no duplicate extensions, a critical SAN when the subject is empty, named EC curves)",
        "sun/security/ssl/CertificateMessage.java";
    "path-building", PathBuilding, UnknownIssuer,
        "unable to find valid certification path to requested target",
        "a chain not sent in order (or not ending under a trusted name) is searched forward from the first certificate through the certificates sent to a trusted certificate; every candidate path is validated with the rules below, and any failure there only drops that candidate",
        "sun/security/validator/PKIXValidator.java (engineValidate, doBuild); sun/security/provider/certpath/SunCertPathBuilder.java (depthFirstSearchForward)";
    "no-trust-anchor", PathValidation, UnknownIssuer,
        "Path does not chain with any of the trust anchors",
        "a chain sent in order ends under a trusted certificate's name",
        "sun/security/provider/certpath/PKIXCertPathValidator.java";
    "algorithm-key-size", PathValidation, BadCertificate,
        "Algorithm constraints check failed on keysize limits: {alg} {bits} bit key used with certificate: {subject}",
        "jdk.certpath.disabledAlgorithms: RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224 (each certificate's key below the trust anchor; the anchor's own key is not refused)",
        "sun/security/provider/certpath/AlgorithmChecker.java; sun/security/util/DisabledAlgorithmConstraints.java (KeySizeConstraint); conf/security/java.security";
    "algorithm-issuer-key", PathValidation, BadCertificate,
        "Algorithm constraints check failed on signature algorithm: {alg}",
        "the key that signed a certificate (its issuer's, the trust anchor's included) is not below the jdk.certpath.disabledAlgorithms key sizes",
        "sun/security/provider/certpath/AlgorithmChecker.java (measured: x509-limbo webpki::forbidden-p192-root)";
    "algorithm-disabled", PathValidation, BadCertificate,
        "Algorithm constraints check failed on signature algorithm: {alg}",
        "jdk.certpath.disabledAlgorithms: MD2, MD5 in a certificate's signature algorithm (SHA1 only under JDK cacerts roots: jdkCA)",
        "sun/security/provider/certpath/AlgorithmChecker.java; sun/security/util/DisabledAlgorithmConstraints.java (DisabledConstraint)";
    "anchor-not-ca", PathValidationValidator, BadCertificate,
        "TrustAnchor with subject \"{subject}\" is not a CA certificate",
        "a v3 trust anchor that a path ends at has basicConstraints cA=true (not applied when the server's own certificate is the trusted entry)",
        "sun/security/validator/PKIXValidator.java (measured with JDK 17.0.15: x509-limbo rfc5280::root-missing-basic-constraints)";
    "anchor-key-cert-sign", PathValidationValidator, BadCertificate,
        "TrustAnchor with subject \"{subject}\" does not have keyCertSign bit set in KeyUsage extension",
        "a v3 trust anchor that a path ends at, when it has a key usage, has keyCertSign",
        "sun/security/validator/PKIXValidator.java (measured with JDK 17.0.15: x509-limbo rfc5280::root-inconsistent-ca-extensions)";
    "ca-key-cert-sign", PathValidation, BadCertificate,
        "CA key usage check failed: keyCertSign bit is not set",
        "a CA certificate of the path (not the target) with a key usage extension has keyCertSign",
        "sun/security/provider/certpath/KeyChecker.java (verifyCAKeyUsage)";
    "name-constraints", PathValidation, BadCertificate,
        "name constraints check failed",
        "the subject DN, SANs (and without SANs the subject's e-mail and most specific CN) fit the name constraints of every CA above in the path; the trust anchor's own constraints are not applied",
        "sun/security/provider/certpath/ConstraintsChecker.java (verifyNameConstraints); sun/security/x509/NameConstraintsExtension.java (verify)";
    "basic-constraints-not-ca", PathValidation, BadCertificate,
        "basic constraints check failed: this is not a CA certificate",
        "every certificate of the path but the target is a v3 certificate with basicConstraints cA=true (a v1/v2 certificate only when self-issued and directly under the anchor)",
        "sun/security/provider/certpath/ConstraintsChecker.java (checkBasicConstraints)";
    "basic-constraints-path-len", PathValidation, BadCertificate,
        "basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path",
        "no more non-self-issued CA certificates below a CA than its pathLenConstraint allows",
        "sun/security/provider/certpath/ConstraintsChecker.java (checkBasicConstraints)";
    "policy-required", PathValidation, BadCertificate,
        "non-null policy tree required and policy tree is null",
        "when a CA's policyConstraints requireExplicitPolicy has run out, every certificate below carries an acceptable certificate policy",
        "sun/security/provider/certpath/PolicyChecker.java (processPolicies)";
    "name-chaining", PathValidation, BadCertificate,
        "subject/issuer name chaining check failed",
        "each certificate's issuer name equals the subject name above it (canonical form)",
        "sun/security/provider/certpath/BasicChecker.java (verifyNameChaining)";
    "signature", PathValidation, BadCertificate,
        "signature check failed",
        "each certificate's signature verifies with its issuer's key (RSA PKCS#1 v1.5 incl. MD5/SHA-1/SHA-224, RSASSA-PSS, ECDSA, Ed25519, Ed448, DSA)",
        "sun/security/provider/certpath/BasicChecker.java (verifySignature)";
    "validity-expired", PathValidation, Expired,
        "validity check failed",
        "now is not after any certificate's notAfter (the trust anchor's own validity is not checked)",
        "sun/security/provider/certpath/BasicChecker.java (verifyValidity)";
    "validity-not-yet-valid", PathValidation, NotYetValid,
        "validity check failed",
        "now is not before any certificate's notBefore",
        "sun/security/provider/certpath/BasicChecker.java (verifyValidity)";
    "unrecognized-critical-extension", PathValidation, BadCertificate,
        "unrecognized critical extension(s)",
        "every critical extension is one the PKIX checkers process: key usage, extended key usage, subject alternative name, basic constraints, name constraints, certificate policies, policy mappings, policy constraints, inhibit anyPolicy",
        "sun/security/provider/certpath/PKIXMasterCertPathValidator.java";
    "ee-key-encipherment", Handshake, BadKeyUsage,
        "KeyUsage does not allow key encipherment",
        "RSA key exchange (TLS 1.2): the server certificate's key usage, when present, has keyEncipherment",
        "sun/security/validator/EndEntityChecker.java (checkTLSServer)";
    "ee-digital-signature", Handshake, BadKeyUsage,
        "KeyUsage does not allow digital signatures",
        "ECDHE, DHE and TLS 1.3: the server certificate's key usage, when present, has digitalSignature",
        "sun/security/validator/EndEntityChecker.java (checkTLSServer)";
    "ee-extended-key-usage", Handshake, BadKeyUsage,
        "Extended key usage does not permit use for TLS server authentication",
        "the server certificate's extended key usage, when present, has serverAuth, anyExtendedKeyUsage, or a Server Gated Cryptography EKU (Microsoft 1.3.6.1.4.1.311.10.3.3, Netscape 2.16.840.1.113730.4.1)",
        "sun/security/validator/EndEntityChecker.java (checkTLSServer)";
    "ee-netscape-cert-type", Handshake, BadKeyUsage,
        "Netscape cert type does not permit use for SSL server",
        "the server certificate's Netscape cert type, when present, has the SSL server bit",
        "sun/security/validator/EndEntityChecker.java (checkTLSServer); sun/security/validator/SimpleValidator.java (getNetscapeCertTypeBit)";
    "host-illegal-name", Handshake, NameMismatch,
        "Illegal given domain name: {host}",
        "the host name itself is a valid SNI host name (LDH labels, no trailing dot)",
        "sun/security/util/HostnameChecker.java (matchDNS)";
    "host-ip-no-san", Handshake, NameMismatch,
        "No subject alternative names present",
        "an IP literal host needs a subject alternative name extension",
        "sun/security/util/HostnameChecker.java (matchIP)";
    "host-ip-mismatch", Handshake, NameMismatch,
        "No subject alternative names matching IP address {host} found",
        "an IP literal host equals one of the IP address SANs",
        "sun/security/util/HostnameChecker.java (matchIP)";
    "host-dns-san-mismatch", Handshake, NameMismatch,
        "No subject alternative DNS name matching {host} found.",
        "with DNS SANs, the host matches one of them (case-insensitive; '*' may stand for any part of any label, the label counts equal; '*' or '*.' alone and a wildcard in the last label never match)",
        "sun/security/util/HostnameChecker.java (matchDNS, isMatched, matchAllWildcards)";
    "host-cn-mismatch", Handshake, NameMismatch,
        "No name matching {host} found",
        "without DNS SANs, the host matches the most specific CN with the same wildcard rules",
        "sun/security/util/HostnameChecker.java (matchDNS)";
    "unvalidated-algorithm-constraints", Handshake, BadCertificate,
        "Certificates do not conform to algorithm constraints",
        "\"Validate Server Certificate\" off: the chain as sent still passes jdk.tls.disabledAlgorithms + jdk.certpath.disabledAlgorithms (MD5withRSA, small keys)",
        "sun/security/ssl/SSLContextImpl.java (AbstractTrustManagerWrapper.checkAlgorithmConstraints)";
}

/// The row of `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The prefix Java puts before a rule's text.
pub(crate) fn java_prefix(wrap: Wrap) -> &'static str {
    match wrap {
        Wrap::PathValidation => {
            "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: \
             java.security.cert.CertPathValidatorException: "
        }
        Wrap::PathValidationValidator => {
            "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: \
             sun.security.validator.ValidatorException: "
        }
        Wrap::PathBuilding => {
            "javax.net.ssl.SSLHandshakeException: PKIX path building failed: \
             sun.security.provider.certpath.SunCertPathBuilderException: "
        }
        Wrap::Handshake => "javax.net.ssl.SSLHandshakeException: ",
        Wrap::TrustManager => {
            "javax.net.ssl.SSLException: Unexpected error: \
             java.security.InvalidAlgorithmParameterException: "
        }
    }
}
