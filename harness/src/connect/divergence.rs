//! Known divergences between our connectivity test and Java's, kept as data.
//!
//! `tests/interop/connect_java.rs` runs the same matrix through rustls (this module's
//! verifier) and through the real JDK; it fails when a case disagrees that is not listed
//! here, and when a listed case no longer disagrees.

/// One known difference from Java.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The differential case id (`tests/interop/connect_java.rs`).
    pub case: &'static str,
    /// What differs.
    pub what: &'static str,
    /// Why we keep it.
    pub reason: &'static str,
}

/// Every known divergence from JDK 17 on the differential matrix. Empty: every case of
/// `tests/interop/connect_java.rs` agrees with Java in outcome, client certificate used and
/// exception text (TLS 1.2 client-certificate alerts may reach Java as a socket error; that
/// test explains and accepts the race).
pub const DIVERGENCES: &[Divergence] = &[];

/// Java's rules themselves are the table [`crate::pkix::RULES`] (every rule with its id,
/// Java's exact text, what it checks and where JDK 17 does it); `tests/interop/pkix_java.rs` checks them against the real JDK 17 (its own
/// matrix and the x509-limbo corpus).
///
/// This list names the cases of the API test
/// `verifier_departs_from_webpki_exactly_where_java_does` where those rules decide
/// differently from rustls-webpki (accepting where webpki refuses, or refusing for another
/// reason); the test fails when the set of departures changes.
pub const JAVA_RULES: &[Divergence] = &[
    Divergence {
        case: "trusted-end-entity-expired",
        what: "an expired end-entity certificate that is itself a trusted entry is accepted; \
               webpki refuses it as expired",
        reason: "Java's PKIXValidator returns at once when chain[0] is a trusted certificate, \
                 without checking its validity (JDK 17, differential case \
                 `trust-expired-self-signed-imported`)",
    },
    Divergence {
        case: "cn-only-dns-host",
        what: "a certificate without a DNS SAN matches a DNS host name by its CN; webpki never \
               reads the CN",
        reason: "Java's HostnameChecker falls back to the most specific CN when there is no \
                 DNS SAN (JDK 17, differential case `name-cn-only-dns`)",
    },
    Divergence {
        case: "reversed-chain",
        what: "a chain sent CA first (intermediate before leaf) is validated with the \
               intermediate as the target, and then fails the host name check against the \
               intermediate; webpki refuses it as a CA used as end entity",
        reason: "Java's PKIXValidator takes chain[0] as the target whatever its basic \
                 constraints, builds intermediate -> trusted root, and HTTPS endpoint \
                 identification then checks the intermediate: \"No name matching localhost \
                 found\" (JDK 17, differential case `trust-reversed-chain-root`)",
    },
];
