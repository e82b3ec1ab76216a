//! The rules: one per failure class, plus findings that hold beside the failure.

use serde::Serialize;

use crate::cert::{CertInfo, ValidityState};
use crate::connect::{
    ChainCert, ChoiceReason, ClientCertificate, Failure, Origin, Outcome, TrustSource,
};

/// A row of DESIGN.md's trust table: what the server sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustRow {
    /// Leaf + intermediate(s) + root.
    FullChain,
    /// Leaf + intermediate(s), no root.
    LeafAndIntermediate,
    /// The leaf alone, issued by a CA.
    LeafOnly,
    /// A self-signed leaf.
    SelfSigned,
}

impl TrustRow {
    /// The row for a chain as sent; `None` when nothing was sent.
    pub fn of(chain: &[ChainCert]) -> Option<Self> {
        let first = chain.first()?;
        let last = chain.last()?;
        Some(match (chain.len(), last.info.self_issued) {
            (1, true) => TrustRow::SelfSigned,
            (1, false) => TrustRow::LeafOnly,
            (_, true) => TrustRow::FullChain,
            (_, false) => {
                let _ = first;
                TrustRow::LeafAndIntermediate
            }
        })
    }

    /// The table's left column.
    pub fn sent(self) -> &'static str {
        match self {
            TrustRow::FullChain => "leaf + intermediate + root (\"full chain\")",
            TrustRow::LeafAndIntermediate => "leaf + intermediate",
            TrustRow::LeafOnly => "leaf only",
            TrustRow::SelfSigned => "self-signed leaf",
        }
    }

    /// The table's right column.
    pub fn needs(self) -> &'static str {
        match self {
            TrustRow::FullChain | TrustRow::LeafAndIntermediate => "root",
            TrustRow::LeafOnly => "intermediate (and root)",
            TrustRow::SelfSigned => "that very certificate",
        }
    }
}

/// Where a fix is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Store {
    /// The tenant keystore (or keystore file) as the client's trust store.
    ClientTrustStore,
    /// The tenant keystore's key pairs (the client certificate).
    ClientKeyPairs,
    /// The connectivity test's own settings.
    TestSettings,
    /// The receiver's server certificate and chain configuration.
    ReceiverServer,
    /// The receiver's trust store for client certificates.
    ReceiverTrustStore,
    /// The receiver's certificate-to-user mapping.
    ReceiverUserMapping,
    /// The network between tenant and receiver (host, port, firewall, proxy).
    Network,
}

/// One thing that is wrong (or notable), with where and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A stable id: the failure class, or `validation-off`, `also-expired`, ...
    pub id: String,
    /// Where the fix is made.
    pub store: Store,
    /// What exactly is missing or wrong, naming certificates by subject.
    pub problem: String,
    /// The smallest fix.
    pub fix: String,
}

/// The explanation of one outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// One line: the headline.
    pub summary: String,
    /// The trust-table row of the chain the server sent, if it sent one.
    pub trust_row: Option<TrustRow>,
    /// What the server sent, in the table's words.
    pub server_sent: Option<String>,
    /// What the client trust store needs for that row.
    pub trust_store_needs: Option<String>,
    /// Findings, most specific first.
    pub findings: Vec<Finding>,
    /// "YES" or "NO", as CPI prints it.
    pub client_certificate_used: &'static str,
    /// Why a client certificate was or was not used.
    pub client_certificate_why: String,
}

/// Explains an outcome.
pub fn diagnose(outcome: &Outcome, trust: &TrustSource) -> Diagnosis {
    let row = TrustRow::of(&outcome.server_chain);
    let mut findings = Vec::new();
    if let Some(failure) = &outcome.failure {
        findings.push(explain(failure, outcome, trust, row));
    }
    if let Some(ignored) = &outcome.ignored_validation_failure {
        let inner = explain(ignored, outcome, trust, row);
        findings.push(Finding {
            id: "validation-off".into(),
            store: Store::TestSettings,
            problem: format!(
                "server certificate validation is off; with it on the test would fail: {}",
                inner.problem
            ),
            fix: inner.fix,
        });
    }
    findings.extend(side_findings(outcome, &findings));
    let cc = &outcome.client_certificate;
    let why = client_cert_why(outcome);
    let summary = match findings.first() {
        None => format!(
            "connectivity test to {} succeeded ({}); client certificate used: {}",
            outcome.target,
            outcome.protocol.as_deref().unwrap_or("TLS"),
            if cc.used { "YES" } else { "NO" }
        ),
        Some(first) => first.problem.clone(),
    };
    Diagnosis {
        summary,
        trust_row: row,
        server_sent: row.map(|r| r.sent().to_owned()),
        trust_store_needs: row.map(|r| r.needs().to_owned()),
        findings,
        client_certificate_used: if cc.used { "YES" } else { "NO" },
        client_certificate_why: why,
    }
}

fn client_cert_why(outcome: &Outcome) -> String {
    let cc = &outcome.client_certificate;
    let base = cc.reason.describe(cc.chosen_alias.as_deref());
    match (&cc.reason, cc.used) {
        (ChoiceReason::NoKeyPairFits { key_pairs }, _) => format!(
            "{base}: the server named {}; the key pairs are {}",
            list(&cc.ca_names),
            key_pairs
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (ChoiceReason::NamedAliasNotKeyPair, _) => match &cc.configured {
            ClientCertificate::Alias(alias) => {
                format!("alias `{alias}` is not a key pair entry (a trusted certificate?)")
            }
            _ => base,
        },
        _ => base,
    }
}

/// What a `bad-key-usage` refusal means and how the receiver fixes it, by the rule that
/// refused ([`crate::pkix::RULES`]: the detail is the rule's Java text).
fn key_usage_finding(detail: &str) -> (&'static str, &'static str) {
    let rule = crate::pkix::RULES
        .iter()
        .find(|r| r.java == detail)
        .map(|r| r.id);
    match rule {
        Some("ee-digital-signature") => (
            "its key usage lacks digitalSignature, which TLS 1.3, ECDHE and DHE need: the server signs the handshake",
            "the receiver must use a certificate whose key usage includes digitalSignature (keyEncipherment alone suits only TLS 1.2 RSA key exchange)",
        ),
        Some("ee-key-encipherment") => (
            "its key usage lacks keyEncipherment, which the negotiated TLS 1.2 RSA key exchange needs",
            "the receiver must use a certificate whose key usage includes keyEncipherment, or offer ECDHE cipher suites (which need digitalSignature instead)",
        ),
        Some("ee-netscape-cert-type") => (
            "its Netscape cert type extension excludes SSL server",
            "the receiver must use a certificate without the Netscape cert type extension, or with its SSL server bit",
        ),
        _ => (
            "extended key usage without serverAuth",
            "the receiver must use a certificate whose extended key usage includes serverAuth",
        ),
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "no CA names".into()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Trusted subjects, as text.
fn trusted_subjects(trust: &TrustSource) -> Vec<(String, String)> {
    trust
        .trusted()
        .iter()
        .filter_map(|(alias, cert)| {
            CertInfo::from_der(cert.as_ref())
                .ok()
                .map(|i| (alias.clone(), i.subject))
        })
        .collect()
}

fn explain(
    failure: &Failure,
    outcome: &Outcome,
    trust: &TrustSource,
    row: Option<TrustRow>,
) -> Finding {
    let id = failure.class().id().to_owned();
    let chain = &outcome.server_chain;
    let leaf = chain
        .first()
        .map(|c| c.info.subject.clone())
        .unwrap_or_default();
    let finding = |store, problem: String, fix: String| Finding {
        id: id.clone(),
        store,
        problem,
        fix,
    };
    let store_label = trust.store_name();
    // In a tenant the fix is made in the Keystore Monitor (blog step 3), not in a file.
    let as_trusted = match trust.origin {
        Origin::KeystoreFile => "as a trusted certificate entry",
        Origin::Tenant => "in the Keystore Monitor as a trusted certificate (Add > Certificate)",
    };
    match failure {
        Failure::UnknownIssuer {
            top_subject,
            top_issuer,
            trust_anchors,
        } => {
            let subjects = trusted_subjects(trust);
            let holds = |name: &str| subjects.iter().find(|(_, s)| s == name).map(|(a, _)| a.clone());
            if *trust_anchors == 0 {
                return finding(
                    Store::ClientTrustStore,
                    format!("{store_label} holds no trusted certificate entry at all (Java: \"the trustAnchors parameter must be non-empty\")"),
                    format!("add the receiver's root `{}` {as_trusted}", root_name(chain, top_issuer)),
                );
            }
            match row {
                Some(TrustRow::SelfSigned) => finding(
                    Store::ClientTrustStore,
                    format!("the receiver sends only its self-signed certificate `{top_subject}`, and {store_label} does not hold it"),
                    format!("download the server chain from this test and add `{top_subject}` itself {as_trusted}"),
                ),
                Some(TrustRow::LeafOnly) => match holds(top_issuer) {
                    Some(alias) => finding(
                        Store::ClientTrustStore,
                        format!("the receiver sends only its leaf `{leaf}`; {store_label} holds a certificate named `{top_issuer}` (alias `{alias}`), but it did not sign the leaf (another key: a re-issued CA?)"),
                        format!("replace alias `{alias}` with the receiver's current intermediate `{top_issuer}`"),
                    ),
                    None => finding(
                        Store::ClientTrustStore,
                        format!("the receiver sends only its leaf `{leaf}`; {store_label} has neither its issuer, the intermediate `{top_issuer}`, nor a path to it"),
                        format!("add the intermediate `{top_issuer}` {as_trusted}, or have the receiver send its chain (leaf + intermediate) and add its root"),
                    ),
                },
                Some(TrustRow::LeafAndIntermediate) => match holds(top_issuer) {
                    Some(alias) => finding(
                        Store::ClientTrustStore,
                        format!("the chain ends at `{top_subject}`; {store_label} holds a certificate named `{top_issuer}` (alias `{alias}`), but it did not sign `{top_subject}` (another key: a re-issued root?)"),
                        format!("replace alias `{alias}` with the receiver's current root `{top_issuer}`"),
                    ),
                    None => finding(
                        Store::ClientTrustStore,
                        format!("the receiver sends `{leaf}` with intermediate `{top_subject}`; {store_label} lacks the root `{top_issuer}`"),
                        format!("add the root `{top_issuer}` {as_trusted} (the receiver does not send it: ask its owner), or add the intermediate `{top_subject}` (Java accepts an intermediate as trust anchor)"),
                    ),
                },
                Some(TrustRow::FullChain) => finding(
                    Store::ClientTrustStore,
                    format!("the receiver sends its full chain up to the root `{top_subject}`, which {store_label} does not hold"),
                    format!("download the server chain from this test and add the root `{top_subject}` {as_trusted}"),
                ),
                None => finding(
                    Store::ClientTrustStore,
                    format!("the server's chain reaches no trusted certificate (issuer `{top_issuer}`)"),
                    format!("add `{top_issuer}` {as_trusted}"),
                ),
            }
        }
        Failure::Expired { subject, not_after, now } => finding(
            Store::ReceiverServer,
            format!("certificate `{subject}` of the server chain expired at {not_after} (now is {now})"),
            format!("the receiver must renew `{subject}`; if this is a test, check the simulated \"now\""),
        ),
        Failure::NotYetValid { subject, not_before, now } => finding(
            Store::ReceiverServer,
            format!("certificate `{subject}` of the server chain is valid only from {not_before} (now is {now})"),
            format!("wait until {not_before}, or have the receiver use a certificate valid now; check the clocks"),
        ),
        // Java checks the host against the first certificate sent: a CA there means the
        // receiver sends its chain out of order, and no name would help.
        Failure::NameMismatch { host, .. } if chain.first().is_some_and(|c| c.info.is_ca) && chain.len() > 1 => finding(
            Store::ReceiverServer,
            format!("the receiver sends its chain out of order: the first certificate `{leaf}` is a CA, so Java validates it as the server's certificate and checks `{host}` against it"),
            "the receiver must send its own certificate first, then the intermediates (leaf first, each followed by its issuer)".into(),
        ),
        Failure::NameMismatch { host, presented } => {
            let cn_only = presented.iter().all(|p| !p.starts_with("DNS:") && !p.starts_with("IP:"));
            let extra = if cn_only && host.parse::<std::net::IpAddr>().is_ok() {
                " (Java falls back to the CN for DNS names only, never for IP addresses)"
            } else {
                ""
            };
            finding(
                Store::ReceiverServer,
                format!("the server certificate `{leaf}` names {} but the test connects to `{host}`{extra}", list(presented)),
                format!("connect using a name the certificate holds, or have the receiver issue a certificate with subject alternative name `{host}`"),
            )
        }
        Failure::BadKeyUsage { subject, detail, .. } => {
            let (what, fix) = key_usage_finding(detail);
            finding(
                Store::ReceiverServer,
                format!("the server certificate `{subject}` does not allow TLS server authentication ({what})"),
                fix.into(),
            )
        }
        Failure::BadCertificate { detail, .. } => finding(
            Store::ReceiverServer,
            format!("the server chain is malformed or mis-issued ({detail}): a CA without cA=true, a bad signature, or an unknown critical extension"),
            "the receiver must send a correctly issued chain".into(),
        ),
        Failure::ClientCertRequired { alert, .. } => {
            let cc = &outcome.client_certificate;
            let (store, fix) = match &cc.reason {
                ChoiceReason::NotConfigured => (
                    Store::TestSettings,
                    "turn on \"Authenticate with Client Certificate\" (alias empty, or the alias of the key pair the receiver trusts)".to_owned(),
                ),
                ChoiceReason::NoKeyPairFits { .. } => (
                    Store::ClientKeyPairs,
                    format!("the receiver names {} as acceptable issuers: add a key pair issued under one of them, or have the receiver add your client root to its trust store (it then names it too), or name the alias explicitly", list(&cc.ca_names)),
                ),
                ChoiceReason::NoKeyPairs => (
                    Store::ClientKeyPairs,
                    "add a key pair entry whose chain the receiver trusts".to_owned(),
                ),
                ChoiceReason::KeyPasswordDiffers { alias } => (
                    Store::ClientKeyPairs,
                    format!("seal the key of `{alias}` with the keystore password (Java's key manager unseals keys with the keystore password only), or delete the entry so another key pair is chosen"),
                ),
                _ => (
                    Store::ClientKeyPairs,
                    "name the alias of a key pair the receiver trusts".to_owned(),
                ),
            };
            finding(
                store,
                format!("the receiver requires a client certificate and none was sent ({}; alert `{alert}`)", client_cert_why(outcome)),
                fix,
            )
        }
        Failure::ClientCertRejected { alias, alert, .. } => {
            let kp = trust.key_pair(alias);
            let infos: Vec<CertInfo> = kp
                .map(|k| k.chain.iter().filter_map(|c| CertInfo::from_der(c.as_ref()).ok()).collect())
                .unwrap_or_default();
            let subject = infos.first().map(|i| i.subject.clone()).unwrap_or_default();
            let top = infos.last().map(|i| i.issuer.clone()).unwrap_or_default();
            let named = list(&outcome.client_certificate.ca_names);
            if alert == "certificate_expired" {
                // rustls, Java and OpenSSL send this one alert for "expired" and "not yet
                // valid": place the certificate's window beside the clocks.
                let window = infos
                    .first()
                    .map(|i| format!("valid from {} to {}", i.not_before, i.not_after))
                    .unwrap_or_else(|| "validity unknown".into());
                let ours = crate::time::parse_rfc3339(&outcome.now).ok();
                let state = ours.zip(infos.first()).map(|(now, i)| i.validity_at(now));
                let verdict = match state {
                    Some(ValidityState::Expired) => "it is expired at this test's clock too",
                    Some(ValidityState::NotYetValid) => "it is not yet valid at this test's clock either",
                    _ => "it is valid at this test's clock, so the receiver's clock differs (a simulated or wrong clock)",
                };
                let fix = match state {
                    Some(ValidityState::Expired) => format!("renew key pair `{alias}` and give the receiver the new certificate"),
                    Some(ValidityState::NotYetValid) => format!("wait until the certificate of `{alias}` is valid, or re-issue it with an earlier notBefore"),
                    _ => "check the receiver's clock (mock-receiver prints it in its banner; without --now it is the wall clock)".to_owned(),
                };
                finding(
                    Store::ClientKeyPairs,
                    format!("the receiver refused client certificate `{subject}` (alias `{alias}`) with alert `certificate_expired`, which also means \"not yet valid\": the certificate is {window}; the receiver judged it at its own clock; this test's clock reads {} ({}): {verdict}", outcome.now, outcome.clock),
                    fix,
                )
            } else if infos.last().is_some_and(|i| i.self_issued) {
                finding(
                    Store::ReceiverTrustStore,
                    format!("the receiver does not trust client certificate `{subject}` (alias `{alias}`, chain up to `{top}`; alert `{alert}`); it names {named} as acceptable issuers"),
                    format!("add the root `{top}` (download `{alias}.p7b` from {store_label}) to the receiver's trust store, or use a key pair issued under one of {named}"),
                )
            } else {
                // The key pair's chain stops below its root: the receiver cannot build a path
                // unless it trusts the missing issuer itself (DESIGN.md's trust table, client
                // direction: a leaf sent alone needs its intermediate in the trust store).
                finding(
                    Store::ReceiverTrustStore,
                    format!("the receiver does not trust client certificate `{subject}` (alias `{alias}`; alert `{alert}`): the key pair's chain ends below its root, at a certificate issued by `{top}`, which the chain does not contain; the receiver names {named} as acceptable issuers"),
                    format!("add `{top}` (and its root) to the receiver's trust store, or update key pair `{alias}` in {store_label} with its complete chain up to the root"),
                )
            }
        }
        Failure::HttpUnauthorized { status } => {
            let cc = &outcome.client_certificate;
            let who = cc.chosen_alias.as_deref().filter(|_| cc.used);
            finding(
                Store::ReceiverUserMapping,
                match who {
                    Some(alias) => format!("TLS succeeded with client certificate `{alias}`, but the receiver answered {status}: the certificate is trusted but not mapped to a user (or the user lacks the role)"),
                    None => format!("TLS succeeded without a client certificate, and the receiver answered {status}: it wants a user"),
                },
                match who {
                    Some(alias) => format!("map the certificate of `{alias}` to a technical user in the receiver (one certificate per user), and give that user the role"),
                    None => "send a client certificate the receiver maps to a user, or use another authentication".into(),
                },
            )
        }
        Failure::ConnectionRefused { address } => finding(
            Store::Network,
            format!("nothing listens on {address} (connection refused)"),
            "check host and port, and that the receiver is running".into(),
        ),
        Failure::ConnectTimeout { address, timeout_ms } => finding(
            Store::Network,
            format!("no TCP connection to {address} within {timeout_ms} ms: a firewall drops the packets, the host is down, or its accept queue is full"),
            "check the port and the firewall between tenant and receiver (CPI reaches only allowed hosts; on-premise receivers need the Cloud Connector)".into(),
        ),
        Failure::ReadTimeout { phase, timeout_ms } => finding(
            Store::ReceiverServer,
            format!(
                "the receiver accepted the connection but did not answer within {timeout_ms} ms ({})",
                match phase {
                    crate::connect::Phase::Connect => "while connecting",
                    crate::connect::Phase::Handshake => "during the TLS handshake",
                    crate::connect::Phase::Response => "after the handshake, to `GET /`",
                }
            ),
            "check that the port is the receiver's TLS port and that the receiver is not overloaded".into(),
        ),
        Failure::HandshakeClosed { detail, .. } => finding(
            Store::ReceiverServer,
            format!("the receiver closed the connection without a TLS alert ({detail})"),
            "check the receiver's TLS settings (versions, cipher suites, SNI) and any proxy in front of it".into(),
        ),
        Failure::NotTls { detail } => finding(
            Store::Network,
            format!("the port does not speak TLS ({detail}): plain HTTP or another protocol"),
            "use the receiver's HTTPS port, or plain HTTP without TLS if that is intended".into(),
        ),
        Failure::ProtocolMismatch { detail, .. } => finding(
            Store::ReceiverServer,
            format!("no common TLS version or cipher suite ({detail})"),
            "enable TLS 1.2 or 1.3 with current cipher suites on the receiver".into(),
        ),
        Failure::Alert { alert, .. } => finding(
            Store::ReceiverServer,
            format!("the receiver aborted the handshake with alert `{alert}`"),
            "look at the receiver's TLS log for why it sent this alert".into(),
        ),
        Failure::UnknownHost { host, detail } => finding(
            Store::Network,
            format!("host `{host}` does not resolve ({detail})"),
            "check the host name (no scheme, no path) and DNS".into(),
        ),
    }
}

fn root_name(chain: &[ChainCert], top_issuer: &str) -> String {
    match chain.last() {
        Some(last) if last.info.self_issued => last.info.subject.clone(),
        _ => top_issuer.to_owned(),
    }
}

/// Things wrong beside the main failure: an expired certificate elsewhere in the chain.
fn side_findings(outcome: &Outcome, already: &[Finding]) -> Vec<Finding> {
    let mut out = Vec::new();
    let Ok(now) = crate::time::parse_rfc3339(&outcome.now) else {
        return out;
    };
    for cert in &outcome.server_chain {
        let state = cert.info.validity_at(now);
        if state == crate::cert::ValidityState::Valid {
            continue;
        }
        if already.iter().any(|f| {
            f.problem.contains(&cert.info.subject) && (f.id == "expired" || f.id == "not-yet-valid")
        }) {
            continue;
        }
        out.push(Finding {
            id: "chain-validity".into(),
            store: Store::ReceiverServer,
            problem: format!(
                "certificate `{}` (position {}) is {} at {} (valid {} to {})",
                cert.info.subject,
                cert.position,
                if state == crate::cert::ValidityState::Expired {
                    "expired"
                } else {
                    "not yet valid"
                },
                outcome.now,
                cert.info.not_before,
                cert.info.not_after
            ),
            fix: format!(
                "the receiver must renew `{}` or stop sending it",
                cert.info.subject
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::FailureClass;

    #[test]
    fn each_key_usage_rule_gets_its_own_finding_and_fix() {
        let rules: Vec<_> = crate::pkix::RULES
            .iter()
            .filter(|r| r.class == FailureClass::BadKeyUsage)
            .collect();
        assert_eq!(rules.len(), 4, "KU x2, EKU, Netscape cert type");
        let findings: Vec<_> = rules.iter().map(|r| key_usage_finding(r.java)).collect();
        for (i, a) in findings.iter().enumerate() {
            for b in &findings[i + 1..] {
                assert_ne!(a, b, "two rules, one finding");
            }
        }
        let by_id = |id: &str| {
            let rule = rules.iter().find(|r| r.id == id).unwrap();
            key_usage_finding(rule.java)
        };
        assert!(by_id("ee-digital-signature").0.contains("digitalSignature"));
        assert!(by_id("ee-key-encipherment").1.contains("keyEncipherment"));
        assert!(by_id("ee-extended-key-usage").0.contains("serverAuth"));
        assert!(by_id("ee-netscape-cert-type").0.contains("Netscape"));
    }
}
