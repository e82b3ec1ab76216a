//! x509-limbo SERVER cases through our verifier entry point (`harness::connect::ServerVerifier`,
//! the rustls adapter over `harness::pkix::Validator`), each at its own validation time.
//!
//! Results must equal limbo's expected ones except the cases in [`EXCEPTIONS`], each with a
//! reason. The test fails when a case outside the list disagrees, and when a listed case
//! agrees (a stale entry). The corpus is `../shared/corpora/limbo/limbo-server.json`
//! (see its README: regenerated from upstream's builders, ids and expectations unchanged).

use std::collections::BTreeMap;

use harness::connect::ServerVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Cases where our result differs from limbo's expected one, and why. Limbo expects RFC 5280
/// and CABF behaviour; we simulate JDK 17, which differs from it in most of these cases
/// (`tests/interop/pkix_java.rs` runs this corpus through the real JDK 17 and requires the
/// same verdict and text for every case but the few it lists: those are `OURS` here).
const EXCEPTIONS: &[(&str, &str)] = &[
    ("crl::crlnumber-critical", CRL),
    ("crl::crlnumber-missing", CRL),
    ("crl::issuer-missing-crlsign", CRL),
    ("crl::revoked-certificate-with-crl", CRL),
    ("cve::cve-2025-61727", JAVA),
    ("pathlen::max-chain-depth-0-exhausted", DEPTH),
    ("pathlen::max-chain-depth-1-exhausted", DEPTH),
    ("pathological::nc-dos-1", JAVA),
    ("pathological::nc-dos-2", JAVA),
    ("pathological::nc-dos-3", JAVA),
    ("rfc5280::aki::critical-aki", JAVA),
    ("rfc5280::aki::cross-signed-root-missing-aki", JAVA),
    ("rfc5280::aki::intermediate-missing-aki", JAVA),
    ("rfc5280::aki::leaf-missing-aki", JAVA),
    ("rfc5280::leaf-ku-keycertsign", JAVA),
    ("rfc5280::nc::excluded-dns-match-second", JAVA),
    ("rfc5280::nc::excluded-ipv4-match", JAVA),
    ("rfc5280::nc::excluded-ipv6-match", JAVA),
    ("rfc5280::nc::excluded-match-permitted-and-excluded", JAVA),
    ("rfc5280::nc::excluded-self-issued-leaf", JAVA),
    (
        "rfc5280::nc::intermediate-with-san-rejected-by-root-nc",
        JAVA,
    ),
    ("rfc5280::nc::invalid-dnsname-leading-period", JAVA),
    ("rfc5280::nc::invalid-dnsname-wildcard", JAVA),
    ("rfc5280::nc::invalid-ipv4-address", JAVA),
    ("rfc5280::nc::invalid-ipv6-address", JAVA),
    ("rfc5280::nc::nc-forbids-alternate-chain-ica", JAVA),
    ("rfc5280::nc::nc-forbids-dnsname-wildcard-san", JAVA),
    ("rfc5280::nc::nc-forbids-othername", OURS),
    ("rfc5280::nc::nc-permits-invalid-dns-san", JAVA),
    ("rfc5280::nc::nc-permits-invalid-ip-san", JAVA),
    ("rfc5280::nc::not-allowed-in-ee-critical", JAVA),
    ("rfc5280::nc::not-allowed-in-ee-noncritical", JAVA),
    ("rfc5280::nc::permitted-dns-match-noncritical", JAVA),
    ("rfc5280::nc::permitted-ip-mismatch", JAVA),
    ("rfc5280::pc::ica-noncritical-pc", JAVA),
    ("rfc5280::root-non-critical-basic-constraints", JAVA),
    ("rfc5280::san::malformed", JAVA),
    ("rfc5280::serial::negative", JAVA),
    ("rfc5280::serial::too-long", JAVA),
    ("rfc5280::serial::zero", JAVA),
    ("rfc5280::ski::critical-ski", OURS),
    ("rfc5280::ski::intermediate-missing-ski", JAVA),
    ("rfc5280::ski::root-missing-ski", JAVA),
    ("rfc5280::unknown-critical-extension-root", JAVA),
    ("rfc5280::validity::expired-root", JAVA),
    ("webpki::aki::root-with-aki-all-fields", JAVA),
    ("webpki::aki::root-with-aki-authoritycertissuer", JAVA),
    ("webpki::aki::root-with-aki-authoritycertserialnumber", JAVA),
    ("webpki::aki::root-with-aki-missing-keyidentifier", JAVA),
    ("webpki::aki::root-with-aki-ski-mismatch", JAVA),
    ("webpki::ca-as-leaf", JAVA),
    ("webpki::cn::case-mismatch", JAVA),
    ("webpki::cn::ipv4-hex-mismatch", JAVA),
    ("webpki::cn::ipv4-leading-zeros-mismatch", JAVA),
    ("webpki::cn::ipv6-non-rfc5952-mismatch", JAVA),
    ("webpki::cn::ipv6-uncompressed-mismatch", JAVA),
    ("webpki::cn::ipv6-uppercase-mismatch", JAVA),
    ("webpki::cn::not-in-san", JAVA),
    ("webpki::cn::punycode-not-in-san", JAVA),
    ("webpki::cn::utf8-vs-punycode-mismatch", OURS),
    ("webpki::ee-basicconstraints-ca", JAVA),
    ("webpki::eku::ee-anyeku", JAVA),
    ("webpki::eku::ee-critical-eku", JAVA),
    ("webpki::eku::ee-without-eku", JAVA),
    ("webpki::eku::root-has-eku", JAVA),
    ("webpki::forbidden-dsa-leaf", JAVA),
    ("webpki::forbidden-dsa-root", JAVA),
    ("webpki::forbidden-rsa-key-not-divisible-by-8-in-leaf", JAVA),
    ("webpki::forbidden-rsa-not-divisible-by-8-in-root", JAVA),
    ("webpki::forbidden-weak-rsa-in-leaf", JAVA),
    ("webpki::forbidden-weak-rsa-key-in-root", JAVA),
    ("webpki::malformed-aia", JAVA),
    (
        "webpki::nc::intermediate-permitted-excluded-subtrees-both-empty-sequences",
        JAVA,
    ),
    (
        "webpki::nc::intermediate-permitted-excluded-subtrees-both-null",
        JAVA,
    ),
    ("webpki::san::no-san", JAVA),
    ("webpki::san::public-suffix-multi-label-wildcard-san", JAVA),
    (
        "webpki::san::public-suffix-private-namespace-wildcard-san",
        JAVA,
    ),
    ("webpki::san::public-suffix-wildcard-san", JAVA),
    ("webpki::san::san-critical-with-nonempty-subject", JAVA),
    ("webpki::san::wildcard-embedded-leftmost-san", JAVA),
    ("webpki::san::wildcard-embedded-ulabel-san", OURS),
    ("webpki::san::wildcard-not-in-leftmost-san", JAVA),
    ("webpki::v1-cert", JAVA),
];

const CRL: &str = "revocation is not checked: neither the connectivity test nor JSSE by default (`com.sun.net.ssl.checkRevocation=false`)";
const DEPTH: &str = "the case's `max_chain_depth` is a harness parameter we do not apply (Java's own limit is `jdk.tls.maxCertificateChainLength`, 10)";
const JAVA: &str = "JDK 17 decides this case as we do, against limbo's expectation (measured: `tests/interop/pkix_java.rs`, limbo through the real JDK): e.g. a trust anchor's own name constraints, validity and extensions are not applied, the CN is matched without DNS SANs, wildcards may stand in any label, DSA, v1 and small-but-allowed keys are accepted, AKI/SKI presence is not required";
const OURS: &str = "JDK 17 refuses this case too but we accept it: a known divergence listed with its reason in `tests/interop/pkix_java.rs` (LIMBO_DIVERGENCES)";

/// "Now" for cases without a validation time (their certificates run from 1970 to 2969).
const DEFAULT_TIME: &str = "2024-01-01T00:00:00Z";

#[test]
fn limbo_server_cases_match_except_documented_exceptions() {
    let Some(shared) = tests::shared_dir() else {
        return;
    };
    let path = shared.join("corpora/limbo/limbo-server.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let suite: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = suite["testcases"].as_array().unwrap();
    assert!(cases.len() > 150, "the corpus holds the SERVER cases");

    let pem = |v: &serde_json::Value| -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(v.as_str().unwrap().as_bytes()).unwrap()
    };
    let mut differs = BTreeMap::new();
    let mut counts = (0, 0);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let trusted: Vec<_> = case["trusted_certs"]
            .as_array()
            .unwrap()
            .iter()
            .map(pem)
            .collect();
        let intermediates: Vec<_> = case["untrusted_intermediates"]
            .as_array()
            .unwrap()
            .iter()
            .map(pem)
            .collect();
        let peer = pem(&case["peer_certificate"]);
        let time = case["validation_time"].as_str().unwrap_or(DEFAULT_TIME);
        let now = harness::time::parse_rfc3339(time).unwrap();
        let now =
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.unix_timestamp() as u64));
        let name = case["expected_peer_name"]["value"].as_str();
        let server_name = ServerName::try_from(name.unwrap_or("no-name.invalid").to_owned());
        let verifier = ServerVerifier::new(trusted);
        let result = match server_name {
            Err(_) => Err("expected peer name is not a valid DNS name or IP".to_owned()),
            Ok(server_name) => match verifier.verify(&peer, &intermediates, &server_name, now) {
                Ok(_) => Ok(()),
                // Without an expected name limbo checks the path only.
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. },
                )) if name.is_none() => Ok(()),
                Err(err) => Err(format!("{err:?}")),
            },
        };
        let expected_ok = case["expected_result"] == "SUCCESS";
        if result.is_ok() == expected_ok {
            counts.0 += 1;
        } else {
            counts.1 += 1;
            differs.insert(
                id.to_owned(),
                format!(
                    "expected {}, got {:?}; features {}",
                    case["expected_result"], result, case["features"]
                ),
            );
        }
    }
    println!("limbo SERVER: {} agree, {} differ", counts.0, counts.1);
    for (id, what) in &differs {
        println!("  {id}: {what}");
    }
    let listed: BTreeMap<&str, &str> = EXCEPTIONS.iter().copied().collect();
    let new: Vec<_> = differs
        .keys()
        .filter(|id| !listed.contains_key(id.as_str()))
        .collect();
    let stale: Vec<_> = listed
        .keys()
        .filter(|id| !differs.contains_key(**id))
        .collect();
    assert!(new.is_empty(), "undocumented limbo differences: {new:?}");
    assert!(
        stale.is_empty(),
        "limbo exceptions that no longer differ: {stale:?}"
    );
}
