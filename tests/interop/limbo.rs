//! x509-limbo SERVER cases through our verifier entry point (`harness::connect::ServerVerifier`,
//! the one the connectivity test uses), each at its own validation time.
//!
//! Results must equal limbo's expected ones except the cases in [`EXCEPTIONS`], each with a
//! reason. The test fails when a case outside the list disagrees, and when a listed case
//! agrees (a stale entry). The corpus is `../shared/corpora/limbo/limbo-server.json`
//! (see its README: regenerated from upstream's builders, ids and expectations unchanged).

use std::collections::BTreeMap;

use harness::connect::ServerVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Cases where our result differs from limbo's expected one, and why we accept that. All but
/// one are rustls-webpki's own known differences (its `third-party/x509-limbo/exceptions.json`
/// lists the same cases) or harness parameters we do not apply; `webpki::san::no-san`,
/// `webpki::ca-as-leaf` and `webpki::ee-basicconstraints-ca` are ours: Java rules we simulate
/// on purpose (the CN fallback, a CA certificate as PKIX target).
const EXCEPTIONS: &[(&str, &str)] = &[
    ("crl::crlnumber-critical", CRL),
    ("crl::crlnumber-missing", CRL),
    ("crl::issuer-missing-crlsign", CRL),
    ("crl::revoked-certificate-with-crl", CRL),
    ("pathlen::max-chain-depth-0-exhausted", DEPTH),
    ("pathlen::max-chain-depth-1-exhausted", DEPTH),
    ("pathlen::self-issued-certs-pathlen", SELF_ISSUED),
    ("pathological::nc-dos-3", NC_DOS),
    ("rfc5280::aki::critical-aki", AKI_SKI),
    ("rfc5280::aki::cross-signed-root-missing-aki", AKI_SKI),
    ("rfc5280::aki::intermediate-missing-aki", AKI_SKI),
    ("rfc5280::aki::leaf-missing-aki", AKI_SKI),
    ("rfc5280::ca-empty-subject", ANCHOR),
    ("rfc5280::leaf-ku-keycertsign", LEAF_KU),
    ("rfc5280::nc::invalid-dnsname-leading-period", NC),
    ("rfc5280::nc::not-allowed-in-ee-critical", NC),
    ("rfc5280::nc::not-allowed-in-ee-noncritical", NC),
    ("rfc5280::nc::permitted-dn-match", NC_DN),
    ("rfc5280::nc::permitted-dns-match-noncritical", NC),
    ("rfc5280::nc::permitted-self-issued", SELF_ISSUED),
    ("rfc5280::pc::ica-noncritical-pc", PC),
    ("rfc5280::root-inconsistent-ca-extensions", ANCHOR),
    ("rfc5280::root-missing-basic-constraints", ANCHOR),
    ("rfc5280::root-non-critical-basic-constraints", ANCHOR),
    ("rfc5280::san::noncritical-with-empty-subject", SAN_RULES),
    ("rfc5280::san::underscore-dns", SAN_RULES),
    ("rfc5280::serial::negative", SERIAL),
    ("rfc5280::serial::too-long", SERIAL),
    ("rfc5280::serial::zero", SERIAL),
    ("rfc5280::ski::critical-ski", AKI_SKI),
    ("rfc5280::ski::intermediate-missing-ski", AKI_SKI),
    ("rfc5280::ski::root-missing-ski", AKI_SKI),
    ("rfc5280::unknown-critical-extension-root", ANCHOR),
    ("rfc5280::validity::expired-root", ANCHOR),
    ("webpki::aki::root-with-aki-all-fields", ANCHOR),
    ("webpki::aki::root-with-aki-authoritycertissuer", ANCHOR),
    (
        "webpki::aki::root-with-aki-authoritycertserialnumber",
        ANCHOR,
    ),
    ("webpki::aki::root-with-aki-missing-keyidentifier", ANCHOR),
    ("webpki::aki::root-with-aki-ski-mismatch", ANCHOR),
    ("webpki::cn::case-mismatch", CN_SAN),
    ("webpki::cn::ipv4-hex-mismatch", CN_SAN),
    ("webpki::cn::ipv4-leading-zeros-mismatch", CN_SAN),
    ("webpki::cn::ipv6-non-rfc5952-mismatch", CN_SAN),
    ("webpki::cn::ipv6-uncompressed-mismatch", CN_SAN),
    ("webpki::cn::ipv6-uppercase-mismatch", CN_SAN),
    ("webpki::cn::not-in-san", CN_SAN),
    ("webpki::cn::punycode-not-in-san", CN_SAN),
    ("webpki::cn::utf8-vs-punycode-mismatch", CN_SAN),
    ("webpki::eku::ee-anyeku", EKU),
    ("webpki::eku::ee-critical-eku", EKU),
    ("webpki::eku::ee-without-eku", EKU),
    ("webpki::eku::root-has-eku", EKU),
    ("webpki::forbidden-dsa-leaf", KEYS),
    ("webpki::forbidden-p192-leaf", KEYS),
    ("webpki::forbidden-rsa-key-not-divisible-by-8-in-leaf", KEYS),
    ("webpki::forbidden-rsa-not-divisible-by-8-in-root", ANCHOR),
    ("webpki::forbidden-weak-rsa-in-leaf", KEYS),
    ("webpki::malformed-aia", AIA),
    (
        "webpki::nc::intermediate-permitted-excluded-subtrees-both-empty-sequences",
        CABF_NC,
    ),
    (
        "webpki::nc::intermediate-permitted-excluded-subtrees-both-null",
        CABF_NC,
    ),
    ("webpki::san::no-san", JAVA_CN),
    ("webpki::san::public-suffix-multi-label-wildcard-san", PSL),
    (
        "webpki::san::public-suffix-private-namespace-wildcard-san",
        PSL,
    ),
    ("webpki::san::san-critical-with-nonempty-subject", SAN_RULES),
    ("webpki::ca-as-leaf", JAVA_CA_TARGET),
    ("webpki::ee-basicconstraints-ca", JAVA_CA_TARGET),
];

const PSL: &str =
    "rustls-webpki has no public suffix list, so wildcards over public suffixes are not refused";
const CRL: &str = "revocation is not checked: neither the connectivity test nor JSSE by default (`com.sun.net.ssl.checkRevocation=false`)";
const DEPTH: &str = "the case's `max_chain_depth` is a harness parameter we do not apply (Java's own limit is `jdk.tls.maxCertificateChainLength`, 10)";
const SELF_ISSUED: &str =
    "rustls-webpki does not build paths through self-issued intermediates (key rollover)";
const JAVA_CA_TARGET: &str = "we simulate Java (`harness::connect::JAVA_RULES`, `reversed-chain`): its PKIX validator takes the first certificate as the target whatever its basic constraints, and JSSE's TLS server checks read its key usages, not cA=true";
const NC_DOS: &str = "rustls-webpki's name-constraint work budget is larger than the case assumes; the chain is valid otherwise";
const AKI_SKI: &str =
    "rustls-webpki does not enforce RFC 5280's AKI/SKI presence and criticality rules";
const ANCHOR: &str = "a trust anchor is a name and a key to rustls-webpki (and to Java's PKIX): its own extensions, validity and key size are not checked";
const LEAF_KU: &str =
    "rustls-webpki checks the EKU of an end entity, not keyCertSign in its key usage";
const NC: &str = "rustls-webpki's name-constraint processing is laxer than RFC 5280 here (criticality, placement, leading period)";
const NC_DN: &str = "rustls-webpki does not support directoryName name constraints";
const PC: &str = "policy constraints are not processed by rustls-webpki";
const SAN_RULES: &str =
    "rustls-webpki does not enforce RFC 5280/CABF SAN encoding rules (criticality, underscores)";
const SERIAL: &str = "rustls-webpki does not enforce RFC 5280 serial number rules";
const CN_SAN: &str = "the CABF rule that the CN repeat a SAN is checked neither by rustls-webpki nor by Java; the SAN matches the host";
const JAVA_CN: &str =
    "we simulate Java's CN fallback: without a DNS SAN, Java's HostnameChecker matches the CN";
const EKU: &str = "rustls-webpki does not enforce the CABF EKU profile (anyEKU, criticality, presence, EKU in roots)";
const KEYS: &str = "rustls-webpki does not enforce the CABF subscriber key profile (DSA, P-192, weak or odd-sized RSA)";
const AIA: &str = "rustls-webpki does not parse the AIA extension";
const CABF_NC: &str = "rustls-webpki does not enforce the CABF NameConstraints encoding rules";

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
