//! What `harness explain` says about each failure class: why Java prints its text, the
//! trust-table rows and receiver behaviours that lead there, the built-in scenarios that
//! reproduce it, how to tell it from its look-alikes, and the smallest fix.
//!
//! The scenario ids are checked by `tests/snapshot/explain.rs` against `scenarios/suite/`:
//! every id exists and expects that class, and every suite scenario expecting a failure class
//! is listed under it.

use crate::connect::FailureClass;

/// The advice for one failure class.
#[derive(Clone, Copy, Debug)]
pub struct Advice {
    /// Why the class produces its Java text.
    pub why: &'static str,
    /// Trust-table rows and receiver behaviours that lead to the class.
    pub leads_here: &'static [&'static str],
    /// Built-in scenarios (`scenarios/suite/<id>.toml`) that reproduce it.
    pub scenarios: &'static [&'static str],
    /// The question or command that tells it from the other candidates.
    pub distinguish: &'static str,
    /// The smallest fix.
    pub fix: &'static str,
}

/// The advice for `class`. Exhaustive: a new class does not compile until it has advice.
pub fn advice(class: FailureClass) -> Advice {
    match class {
        FailureClass::UnknownIssuer => Advice {
            why: "Java's PKIX builder found no path from the server's chain to a certificate in the \
                  tenant's keystore, so the handshake stops before any client certificate matters",
            leads_here: &[
                "trust table: leaf only sent, only the root trusted (the intermediate is missing)",
                "trust table: self-signed server certificate not imported",
                "the receiver's root (or any CA of its chain) is not in the tenant keystore",
                "the tenant keystore holds a root of another PKI (unrelated root)",
            ],
            scenarios: &[
                "tenant-delete-entry",
                "trust-fix-by-adding-root",
                "trust-full-chain-unrelated",
                "trust-leaf-intermediate-unrelated",
                "trust-leaf-only-root",
                "trust-self-signed-root-only",
                "trust-two-intermediates-leaf-only-missing",
            ],
            distinguish: "`harness connect --no-validate HOST` shows the chain the server sends and \
                          its top issuer; compare with `harness keystore list` of the tenant keystore",
            fix: "import the root of the server's chain (and the intermediate when the server sends \
                  its leaf only) into the tenant keystore",
        },
        FailureClass::Expired => Advice {
            why: "PKIX validation checks every certificate's validity window at the tenant's clock; \
                  a certificate past its notAfter fails the `validity check`",
            leads_here: &[
                "the receiver's server certificate (or its intermediate) expired",
                "an imported trusted root expired",
            ],
            scenarios: &["validity-server-expired"],
            distinguish: "`harness connect --no-validate HOST` prints each certificate's validity; \
                          `validity check failed` is also the text of a not-yet-valid certificate",
            fix: "the receiver renews its certificate (or the tenant imports the renewed root)",
        },
        FailureClass::NotYetValid => Advice {
            why: "PKIX validation checks every certificate's validity window at the tenant's clock; \
                  a certificate before its notBefore fails the same `validity check`",
            leads_here: &[
                "the receiver installed a certificate dated in the future",
                "a clock skew between the receiver's CA and the tenant",
            ],
            scenarios: &["validity-server-not-yet-valid"],
            distinguish: "`harness connect --no-validate HOST` prints each certificate's notBefore \
                          beside the clock the test judged at",
            fix: "the receiver reissues the certificate with a notBefore in the past (or waits)",
        },
        FailureClass::NameMismatch => Advice {
            why: "after the chain is trusted, HTTPS endpoint identification compares the host of the \
                  receiver URL with the certificate's subject alternative names (or, without any, \
                  its CN)",
            leads_here: &[
                "the receiver URL uses a host or IP address the certificate does not name",
                "the server sends the wrong certificate first (a reversed chain)",
            ],
            scenarios: &["name-wrong-host", "trust-reversed-chain-root"],
            distinguish: "`harness connect --no-validate HOST` lists the names the certificate \
                          presents",
            fix: "call the receiver by a name its certificate carries, or have the receiver add \
                  the name as a DNS subject alternative name",
        },
        FailureClass::BadKeyUsage => Advice {
            why: "the server certificate's extended key usage lacks serverAuth, which Java's \
                  validator requires for a TLS server",
            leads_here: &[
                "the receiver uses a client-only (clientAuth) certificate as its server certificate",
            ],
            scenarios: &["keyusage-server-wrong-eku", "legacy-key-encipherment-only"],
            distinguish: "`harness connect --no-validate HOST` shows the certificate; its extended key \
                          usage is the difference",
            fix: "the receiver uses a certificate with extended key usage serverAuth",
        },
        FailureClass::BadCertificate => Advice {
            why: "a certificate of the path breaks a structural rule of PKIX, such as an issuer \
                  without the CA flag (`basic constraints check failed`)",
            leads_here: &["the receiver's chain goes through an intermediate that is not a CA"],
            scenarios: &["validity-intermediate-not-ca"],
            distinguish: "`harness connect --no-validate HOST` shows the chain; look for the \
                          certificate that issues another without being a CA",
            fix: "the receiver's PKI reissues the intermediate as a CA (basicConstraints CA:true)",
        },
        FailureClass::ClientCertRequired => Advice {
            why: "the receiver demands a client certificate and the tenant sent none: under TLS 1.2 \
                  the receiver answers `handshake_failure` (or `bad_certificate`), under TLS 1.3 \
                  `certificate_required`; CPI shows `Client Certificate Used: NO`",
            leads_here: &[
                "no key pair in the tenant keystore is issued by a CA the receiver names in its \
                 certificate request",
                "the client certificate is not enabled on the receiver channel (no alias set)",
                "the receiver names no or foreign CAs",
            ],
            scenarios: &[
                "article-end-to-end",
                "client-ca-names-foreign",
                "client-required-none-fits",
                "client-required-not-enabled",
            ],
            distinguish: "`harness connect HOST` with the tenant keystore prints whether a \
                          certificate was requested, the CA names asked for and `Client Certificate \
                          Used`; a `handshake_failure` with no certificate requested is a protocol \
                          mismatch instead",
            fix: "import a key pair issued under a CA the receiver trusts and select its alias on \
                  the receiver channel (or have the receiver trust the tenant's client root)",
        },
        FailureClass::ClientCertRejected => Advice {
            why: "the tenant sent a client certificate and the receiver's validation refused it \
                  (untrusted issuer, expired, wrong key usage, incomplete chain)",
            leads_here: &[
                "the receiver trusts another client root than the one that issued the alias",
                "the client certificate expired or lacks clientAuth",
                "the key pair holds the leaf only and the receiver trusts only the root",
            ],
            scenarios: &[
                "client-chain-leaf-only-root",
                "client-expired-rejected",
                "client-required-untrusted-alias",
                "client-wrong-eku-rejected",
            ],
            distinguish: "`harness connect HOST --client-cert ALIAS` names the alias sent; \
                          `harness keystore list -v` shows its chain and validity",
            fix: "send a certificate the receiver trusts: import the full chain into the key pair, \
                  renew it, or have the receiver trust its issuer",
        },
        FailureClass::HttpUnauthorized => Advice {
            why: "the TLS handshake succeeded; the receiver's application answered 401 or 403 \
                  because the certificate maps to no user",
            leads_here: &[
                "the receiver trusts the client certificate but has no user mapping for it",
                "another certificate is mapped than the one sent",
            ],
            scenarios: &[
                "mapping-trusted-unmapped-401",
                "mapping-trusted-unmapped-403",
                "mapping-wrong-certificate-mapped",
            ],
            distinguish: "the connectivity test succeeds (`Client Certificate Used: YES`) while the \
                          message fails with HTTP 401/403",
            fix: "map the client certificate (the leaf the tenant sends) to a user on the receiver",
        },
        FailureClass::ConnectionRefused => Advice {
            why: "the TCP connect got a reset: nothing listens on that host and port",
            leads_here: &[
                "wrong port in the receiver URL",
                "the receiver service is down",
            ],
            scenarios: &["net-connection-refused"],
            distinguish: "`harness connect HOST:PORT` fails before any TLS; check the port",
            fix: "fix the port in the receiver URL or start the receiver",
        },
        FailureClass::ConnectTimeout => Advice {
            why: "the TCP connect got no answer within the timeout: a firewall drops the packets or \
                  the host is unreachable (for CPI: the Cloud Connector or an allow-list)",
            leads_here: &[
                "a firewall or IP allow-list drops the tenant's egress address",
                "an on-premise receiver called without the Cloud Connector",
            ],
            scenarios: &["comment-connect-timed-out"],
            distinguish: "`harness connect HOST:PORT --timeout SECONDS` from a machine inside the \
                          receiver's network tells a firewall from a dead host",
            fix: "allow the tenant's egress IPs on the receiver's firewall, or route through the \
                  Cloud Connector",
        },
        FailureClass::ReadTimeout => Advice {
            why: "the TCP connect succeeded and the receiver then stopped answering (before its \
                  ServerHello, or after requesting a certificate)",
            leads_here: &[
                "a proxy or load balancer that accepts and never forwards",
                "a receiver stalled mid-handshake",
            ],
            scenarios: &[
                "net-stall-after-certificate-request",
                "net-stall-before-server-hello",
            ],
            distinguish: "`harness connect HOST` prints the phase timings: where the time went",
            fix: "find what holds the connection (proxy, load balancer, overloaded receiver)",
        },
        FailureClass::HandshakeClosed => Advice {
            why: "the receiver closed the connection during the handshake without a TLS alert \
                  (JDK 8: `Remote host closed connection during handshake`, JDK 11+: `Remote host \
                  terminated the handshake`)",
            leads_here: &[
                "a receiver or proxy that refuses the ClientHello by closing (SNI, protocol, IP \
                 rules)",
                "a receiver that drops the connection after the client certificate",
            ],
            scenarios: &["net-close-mid-handshake"],
            distinguish: "`harness connect HOST` shows in which phase the connection closed and \
                          whether a certificate was requested",
            fix: "read the receiver's (or proxy's) log for why it closed; compare its TLS versions \
                  and SNI rules with the tenant's",
        },
        FailureClass::NotTls => Advice {
            why: "the bytes that came back are no TLS record: the port speaks plain HTTP or \
                  another protocol",
            leads_here: &["an `https://` receiver URL pointing at a plain HTTP port"],
            scenarios: &["net-plain-http"],
            distinguish: "`harness connect HOST:PORT` reports not-tls; try `http://` on that port",
            fix: "use the receiver's TLS port in the URL",
        },
        FailureClass::ProtocolMismatch => Advice {
            why: "client and receiver share no TLS version or cipher suite; the receiver refuses the \
                  ClientHello with `protocol_version` or `handshake_failure`",
            leads_here: &[
                "a receiver that allows only TLS 1.3 (or only old versions) when the tenant offers \
                 others",
                "a receiver answering `handshake_failure` before sending any certificate",
            ],
            scenarios: &[
                "legacy-tls10-only",
                "legacy-tls11-only",
                "net-alert-handshake-failure",
                "net-protocol-mismatch",
            ],
            distinguish: "`harness connect HOST` shows whether a server certificate was received \
                          and a client certificate requested: none means a protocol mismatch, a \
                          request means a client-certificate problem",
            fix: "enable TLS 1.2/1.3 with current cipher suites on the receiver",
        },
        FailureClass::Alert => Advice {
            why: "the receiver sent a fatal TLS alert that names no certificate or protocol problem \
                  (e.g. `internal_error`)",
            leads_here: &["a receiver-side error during the handshake"],
            scenarios: &["net-alert-internal-error"],
            distinguish: "`harness connect HOST` names the alert and the phase it arrived in",
            fix: "read the receiver's log at the time of the alert",
        },
        FailureClass::UnknownHost => Advice {
            why: "the host name of the receiver URL does not resolve in the tenant's DNS",
            leads_here: &[
                "a typo in the host name",
                "an internal host name called without the Cloud Connector's virtual host",
            ],
            scenarios: &["net-unknown-host"],
            distinguish: "`harness connect HOST` fails at name resolution",
            fix: "correct the host name, or use the Cloud Connector's virtual host",
        },
    }
}
