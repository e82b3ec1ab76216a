//! One case per rule of the table: each builds a small world with OpenSSL and expects that
//! rule's id and Java's text. `tests/interop/pkix_java.rs` checks the same rules against the
//! real JDK 17.

use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509Builder, X509Extension, X509NameBuilder};

use super::*;

const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

fn ec() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// What a certificate of a test world has.
#[derive(Clone)]
struct Opt {
    ca: Option<Option<u32>>,
    ku: Option<Vec<&'static str>>,
    eku: Option<Vec<&'static str>>,
    san: Vec<&'static str>,
    digest: &'static str,
    not_before: i64,
    not_after: i64,
    raw: Vec<(&'static str, bool, Vec<u8>)>,
}

fn leaf() -> Opt {
    Opt {
        ca: None,
        ku: Some(vec!["digitalSignature"]),
        eku: Some(vec!["serverAuth"]),
        san: vec!["DNS:localhost", "IP:127.0.0.1"],
        digest: "SHA256",
        not_before: NOW - DAY,
        not_after: NOW + DAY,
        raw: Vec::new(),
    }
}

fn ca() -> Opt {
    Opt {
        ca: Some(None),
        ku: Some(vec!["keyCertSign"]),
        eku: None,
        san: Vec::new(),
        ..leaf()
    }
}

fn mk(cn: &str, key: &PKey<Private>, issuer: Option<(&X509, &PKey<Private>)>, o: Opt) -> X509 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SERIAL: AtomicU32 = AtomicU32::new(1);
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(SERIAL.fetch_add(1, Ordering::Relaxed)).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&serial).unwrap())
        .unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&*name, |(i, _)| i.subject_name()))
        .unwrap();
    b.set_not_before(&Asn1Time::from_unix(o.not_before).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(o.not_after).unwrap())
        .unwrap();
    b.set_pubkey(key).unwrap();
    if let Some(len) = o.ca {
        let mut bc = BasicConstraints::new();
        bc.critical().ca();
        if let Some(len) = len {
            bc.pathlen(len);
        }
        b.append_extension(bc.build().unwrap()).unwrap();
    }
    if let Some(bits) = &o.ku {
        let mut ku = KeyUsage::new();
        for bit in bits {
            match *bit {
                "digitalSignature" => ku.digital_signature(),
                "keyEncipherment" => ku.key_encipherment(),
                "keyCertSign" => ku.key_cert_sign(),
                _ => ku.crl_sign(),
            };
        }
        b.append_extension(ku.build().unwrap()).unwrap();
    }
    if let Some(ekus) = &o.eku {
        let mut eku = ExtendedKeyUsage::new();
        for e in ekus {
            match *e {
                "serverAuth" => eku.server_auth(),
                "clientAuth" => eku.client_auth(),
                other => eku.other(other),
            };
        }
        b.append_extension(eku.build().unwrap()).unwrap();
    }
    if !o.san.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for n in &o.san {
            match n.split_once(':').unwrap() {
                ("DNS", d) => san.dns(d),
                (_, ip) => san.ip(ip),
            };
        }
        let ctx = b.x509v3_context(issuer.map(|(i, _)| &**i), None);
        let ext = san.build(&ctx).unwrap();
        b.append_extension(ext).unwrap();
    }
    for (oid, critical, value) in &o.raw {
        let ext = X509Extension::new_from_der(
            &Asn1Object::from_str(oid).unwrap(),
            *critical,
            &Asn1OctetString::new_from_bytes(value).unwrap(),
        )
        .unwrap();
        b.append_extension(ext).unwrap();
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer, MessageDigest::from_name(o.digest).unwrap())
        .unwrap();
    b.build()
}

fn der(c: &X509) -> CertificateDer<'static> {
    CertificateDer::from(c.to_der().unwrap())
}

fn at(secs: i64) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs as u64))
}

const ECDHE: TlsUsage = TlsUsage {
    version: TlsVersion::Tls12,
    key_exchange: KeyExchange::Ecdhe,
};

/// Root -> intermediate (`int`) -> leaf (`leaf`), validated for `host` at NOW.
fn world(int: Opt, leaf_opt: Opt, host: &str, usage: TlsUsage) -> Result<Accepted, PkixError> {
    let (rk, ik, lk) = (ec(), ec(), ec());
    let root = mk("Root", &rk, None, ca());
    let i = mk("Int", &ik, Some((&root, &rk)), int);
    let l = mk("localhost", &lk, Some((&i, &ik)), leaf_opt);
    Validator::new([der(&root)]).validate(&[der(&l), der(&i)], &Host::parse(host), at(NOW), usage)
}

fn expect(result: Result<Accepted, PkixError>, rule: &str) -> PkixError {
    let err = result.expect_err(rule);
    assert_eq!(err.rule(), rule, "{}", err.java_text());
    let row = rules::rule(rule).unwrap();
    assert!(
        err.java_text().starts_with(rules::java_prefix(row.wrap)),
        "{}",
        err.java_text()
    );
    assert_eq!(err.class(), row.class);
    assert_eq!(err.failure().class(), row.class);
    // What a connectivity test reports as CPI's text is the rule's own Java text, not the
    // class's most common one.
    assert_eq!(err.failure().java_text(), err.java_text());
    err
}

#[test]
fn every_rule_id_is_unique_kebab_case_and_documented() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
    for r in RULES {
        assert!(
            r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{}",
            r.id
        );
        assert!(!r.java.is_empty() && !r.checks.is_empty() && !r.source.is_empty());
    }
}

#[test]
fn a_chain_in_order_is_accepted() {
    assert_eq!(
        world(ca(), leaf(), "localhost", ECDHE).unwrap(),
        Accepted::Path
    );
    assert_eq!(
        world(ca(), leaf(), "127.0.0.1", ECDHE).unwrap(),
        Accepted::Path
    );
}

#[test]
fn empty_trust_store() {
    let k = ec();
    let c = mk("localhost", &k, None, leaf());
    let err = Validator::new([]).validate(&[der(&c)], &Host::parse("localhost"), at(NOW), ECDHE);
    let err = expect(err, "empty-trust-store");
    assert_eq!(
        err.java_text(),
        "javax.net.ssl.SSLException: Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty"
    );
}

/// Java's PKIX trust manager over a keystore trusts the first certificate of every key pair
/// entry too (`KeyStores.getTrustedCerts`): a keystore with key pairs alone is no empty
/// trust store, and a server showing that very certificate is trusted.
#[test]
fn key_pair_certificates_are_trust_anchors() {
    let (rk, ck) = (ec(), ec());
    let root = mk("Client Root", &rk, None, ca());
    let client = mk("client", &ck, Some((&root, &rk)), leaf());
    let key = crate::secret::PrivateKey::from_pkcs8_der(ck.private_key_to_pkcs8().unwrap());
    let trust = crate::connect::TrustSource::new("t").with_key_pair(
        "client",
        vec![der(&client), der(&root)],
        key,
    );
    let validator = trust.validator();
    assert_eq!(validator.trust_anchor_count(), 1);
    let (sk, sck) = (ec(), ec());
    let other = mk("Other Root", &sk, None, ca());
    let server = mk("localhost", &sck, Some((&other, &sk)), leaf());
    let err = validator.validate(
        &[der(&server), der(&other)],
        &Host::parse("localhost"),
        at(NOW),
        ECDHE,
    );
    let err = expect(err, "path-building");
    assert!(
        err.failure()
            .java_text()
            .ends_with("unable to find valid certification path to requested target")
    );
    assert_eq!(
        validator
            .validate(&[der(&client)], &Host::parse("localhost"), at(NOW), ECDHE)
            .unwrap(),
        Accepted::TrustedEndEntity
    );
}

#[test]
fn unparsable_certificate() {
    let k = ec();
    let c = mk("localhost", &k, None, leaf());
    let err = Validator::new([der(&c)]).validate(
        &[CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01])],
        &Host::parse("localhost"),
        at(NOW),
        ECDHE,
    );
    let err = expect(err, "unparsable-certificate");
    assert_eq!(
        err.java_text(),
        "javax.net.ssl.SSLHandshakeException: Failed to parse server certificates"
    );
}

#[test]
fn path_building_and_out_of_order() {
    let (rk, ik, lk) = (ec(), ec(), ec());
    let root = mk("Root", &rk, None, ca());
    let i = mk("Int", &ik, Some((&root, &rk)), ca());
    let l = mk("localhost", &lk, Some((&i, &ik)), leaf());
    let v = Validator::new([der(&root)]);
    let host = Host::parse("localhost");
    let err = expect(
        v.validate(&[der(&l)], &host, at(NOW), ECDHE),
        "path-building",
    );
    assert!(
        err.java_text()
            .ends_with("unable to find valid certification path to requested target")
    );
    // Out of order with a duplicate and an extra: built.
    let other = mk("Other", &ec(), None, ca());
    let sent = [der(&l), der(&other), der(&l), der(&i)];
    assert_eq!(
        v.validate(&sent, &host, at(NOW), ECDHE).unwrap(),
        Accepted::Path
    );
    // CA first: the CA is the target, then the host name is checked against it.
    let err = v
        .validate(&[der(&i), der(&l)], &host, at(NOW), ECDHE)
        .unwrap_err();
    assert_eq!(err.rule(), "ee-digital-signature");
    // The leaf itself trusted: accepted at once, even expired.
    let own = mk(
        "localhost",
        &lk,
        None,
        Opt {
            not_after: NOW - DAY,
            not_before: NOW - 2 * DAY,
            ..leaf()
        },
    );
    assert_eq!(
        Validator::new([der(&own)])
            .validate(&[der(&own)], &host, at(NOW), ECDHE)
            .unwrap(),
        Accepted::TrustedEndEntity
    );
}

#[test]
fn algorithm_rules() {
    // MD5 in the leaf's signature.
    let (rk, lk) = (PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(), ec());
    let root = mk("Root", &rk, None, ca());
    let l = mk(
        "localhost",
        &lk,
        Some((&root, &rk)),
        Opt {
            digest: "MD5",
            ..leaf()
        },
    );
    let err = expect(
        Validator::new([der(&root)]).validate(
            &[der(&l)],
            &Host::parse("localhost"),
            at(NOW),
            ECDHE,
        ),
        "algorithm-disabled",
    );
    assert!(
        err.java_text()
            .ends_with("Algorithm constraints check failed on signature algorithm: MD5withRSA"),
        "{}",
        err.java_text()
    );
    // RSA 512 leaf key.
    let (rk, lk) = (ec(), PKey::from_rsa(Rsa::generate(512).unwrap()).unwrap());
    let root = mk("Root", &rk, None, ca());
    let l = mk("localhost", &lk, Some((&root, &rk)), leaf());
    let err = expect(
        Validator::new([der(&root)]).validate(
            &[der(&l)],
            &Host::parse("localhost"),
            at(NOW),
            ECDHE,
        ),
        "algorithm-key-size",
    );
    assert!(
        err.java_text().ends_with("Algorithm constraints check failed on keysize limits: RSA 512 bit key used with certificate: CN=localhost"),
        "{}",
        err.java_text()
    );
    // Signed by a 512-bit anchor key.
    let (rk, lk) = (PKey::from_rsa(Rsa::generate(512).unwrap()).unwrap(), ec());
    let root = mk("Root", &rk, None, ca());
    let l = mk("localhost", &lk, Some((&root, &rk)), leaf());
    expect(
        Validator::new([der(&root)]).validate(
            &[der(&l)],
            &Host::parse("localhost"),
            at(NOW),
            ECDHE,
        ),
        "algorithm-issuer-key",
    );
    // Validation off: MD5 still refused, SHA-1 not.
    let k = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
    let md5 = mk(
        "localhost",
        &k,
        None,
        Opt {
            digest: "MD5",
            ..leaf()
        },
    );
    let sha1 = mk(
        "localhost",
        &k,
        None,
        Opt {
            digest: "SHA1",
            ..leaf()
        },
    );
    let v = Validator::new([]);
    let err = v.check_unvalidated(&[der(&md5)], ECDHE).unwrap_err();
    assert_eq!(err.rule(), "unvalidated-algorithm-constraints");
    assert_eq!(
        err.java_text(),
        "javax.net.ssl.SSLHandshakeException: Certificates do not conform to algorithm constraints"
    );
    v.check_unvalidated(&[der(&sha1)], ECDHE).unwrap();
}

#[test]
fn anchor_rules() {
    let (rk, lk) = (ec(), ec());
    let root = mk("Root", &rk, None, Opt { ca: None, ..ca() });
    let l = mk("localhost", &lk, Some((&root, &rk)), leaf());
    let err = expect(
        Validator::new([der(&root)]).validate(
            &[der(&l)],
            &Host::parse("localhost"),
            at(NOW),
            ECDHE,
        ),
        "anchor-not-ca",
    );
    assert!(
        err.java_text()
            .ends_with("TrustAnchor with subject \"CN=Root\" is not a CA certificate")
    );
    let root = mk(
        "Root",
        &rk,
        None,
        Opt {
            ku: Some(vec!["digitalSignature"]),
            ..ca()
        },
    );
    let l = mk("localhost", &lk, Some((&root, &rk)), leaf());
    expect(
        Validator::new([der(&root)]).validate(
            &[der(&l)],
            &Host::parse("localhost"),
            at(NOW),
            ECDHE,
        ),
        "anchor-key-cert-sign",
    );
}

#[test]
fn ca_rules() {
    let err = expect(
        world(
            Opt {
                ku: Some(vec!["digitalSignature"]),
                ..ca()
            },
            leaf(),
            "localhost",
            ECDHE,
        ),
        "ca-key-cert-sign",
    );
    assert!(
        err.java_text()
            .ends_with("CA key usage check failed: keyCertSign bit is not set")
    );
    // A mis-issued CA, not the server certificate's usage (Java's text classifies so).
    assert_eq!(err.class(), FailureClass::BadCertificate);
    expect(
        world(Opt { ca: None, ..ca() }, leaf(), "localhost", ECDHE),
        "basic-constraints-not-ca",
    );
    // A server certificate that claims to be a CA does not make up for an intermediate
    // that is none (the path is validated as sent).
    expect(
        world(
            Opt { ca: None, ..ca() },
            Opt {
                ca: Some(None),
                ..leaf()
            },
            "localhost",
            ECDHE,
        ),
        "basic-constraints-not-ca",
    );
    // pathLen 0 on the intermediate and another CA below it.
    let (rk, ik, jk, lk) = (ec(), ec(), ec(), ec());
    let root = mk("Root", &rk, None, ca());
    let i = mk(
        "Int",
        &ik,
        Some((&root, &rk)),
        Opt {
            ca: Some(Some(0)),
            ..ca()
        },
    );
    let j = mk("Below", &jk, Some((&i, &ik)), ca());
    let l = mk("localhost", &lk, Some((&j, &jk)), leaf());
    let err = expect(
        Validator::new([der(&root)]).validate(
            &[der(&l), der(&j), der(&i)],
            &Host::parse("localhost"),
            at(NOW),
            ECDHE,
        ),
        "basic-constraints-path-len",
    );
    assert!(err.java_text().ends_with("basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path"));
}

/// nameConstraints: permitted dNSName example.com.
const NC_EXAMPLE_COM: &[u8] = &[
    0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x82, 0x09, b'e', b'x', b'a', b'm', b'p', b'l', b'e', b'.',
    b'c',
];

#[test]
fn name_constraints_on_intermediates_not_on_anchors() {
    // "example.c" (the DER above is cut to 9 characters on purpose: any name but
    // `example.c` and its subdomains is outside).
    let nc = Opt {
        raw: vec![("2.5.29.30", true, NC_EXAMPLE_COM.to_vec())],
        ..ca()
    };
    let err = expect(
        world(nc.clone(), leaf(), "localhost", ECDHE),
        "name-constraints",
    );
    assert!(err.java_text().ends_with("name constraints check failed"));
    // The same constraints on the anchor: ignored.
    let (rk, lk) = (ec(), ec());
    let root = mk("Root", &rk, None, nc);
    let l = mk("localhost", &lk, Some((&root, &rk)), leaf());
    Validator::new([der(&root)])
        .validate(&[der(&l)], &Host::parse("localhost"), at(NOW), ECDHE)
        .unwrap();
}

#[test]
fn policy_and_extension_rules() {
    let require = Opt {
        raw: vec![("2.5.29.36", true, vec![0x30, 0x03, 0x80, 0x01, 0x00])],
        ..ca()
    };
    let err = expect(
        world(require, leaf(), "localhost", ECDHE),
        "policy-required",
    );
    assert!(
        err.java_text()
            .ends_with("non-null policy tree required and policy tree is null")
    );
    // Java refuses the policy at the certificate below the CA that requires it (its
    // requireExplicitPolicy is merged after the CA's own policy step), so that
    // certificate's name constraints check comes first.
    assert_eq!(err.index(), Some(0), "refused at the leaf, not the CA");
    let both = Opt {
        raw: vec![
            ("2.5.29.36", true, vec![0x30, 0x03, 0x80, 0x01, 0x00]),
            ("2.5.29.30", true, NC_EXAMPLE_COM.to_vec()),
        ],
        ..ca()
    };
    expect(world(both, leaf(), "localhost", ECDHE), "name-constraints");
    // Critical certificate policies are processed, not unknown.
    let policies = vec![0x30, 0x06, 0x30, 0x04, 0x06, 0x02, 0x2a, 0x03];
    world(
        ca(),
        Opt {
            raw: vec![("2.5.29.32", true, policies)],
            ..leaf()
        },
        "localhost",
        ECDHE,
    )
    .unwrap();
    let critical = Opt {
        raw: vec![("1.2.3.4", true, vec![0x05, 0x00])],
        ..leaf()
    };
    let err = expect(
        world(ca(), critical, "localhost", ECDHE),
        "unrecognized-critical-extension",
    );
    assert!(
        err.java_text()
            .ends_with("unrecognized critical extension(s)")
    );
}

#[test]
fn signature_and_validity_rules() {
    let (rk, ik, lk) = (ec(), ec(), ec());
    let root = mk("Root", &rk, None, ca());
    let i = mk("Int", &ik, Some((&root, &rk)), ca());
    // Signed by another key with the intermediate's name.
    let l = mk("localhost", &lk, Some((&i, &lk)), leaf());
    let v = Validator::new([der(&root)]);
    let host = Host::parse("localhost");
    expect(
        v.validate(&[der(&l), der(&i)], &host, at(NOW), ECDHE),
        "signature",
    );
    let l = mk("localhost", &lk, Some((&i, &ik)), leaf());
    let err = expect(
        v.validate(&[der(&l), der(&i)], &host, at(NOW + 2 * DAY), ECDHE),
        "validity-expired",
    );
    // Checked from the anchor down: the intermediate (sent second) expires first.
    assert_eq!(err.index(), Some(1));
    expect(
        v.validate(&[der(&l), der(&i)], &host, at(NOW - 2 * DAY), ECDHE),
        "validity-not-yet-valid",
    );
    // Before 1970.
    let old = mk(
        "Old",
        &rk,
        None,
        Opt {
            not_before: -3650 * DAY,
            ..ca()
        },
    );
    let l = mk(
        "localhost",
        &lk,
        Some((&old, &rk)),
        Opt {
            not_before: -DAY,
            ..leaf()
        },
    );
    Validator::new([der(&old)])
        .validate(&[der(&l)], &host, at(NOW), ECDHE)
        .unwrap();
}

#[test]
fn end_entity_rules() {
    let rsa = TlsUsage {
        version: TlsVersion::Tls12,
        key_exchange: KeyExchange::Rsa,
    };
    let tls13 = TlsUsage {
        version: TlsVersion::Tls13,
        key_exchange: KeyExchange::Tls13,
    };
    let ke = Opt {
        ku: Some(vec!["keyEncipherment"]),
        ..leaf()
    };
    world(ca(), ke.clone(), "localhost", rsa).unwrap();
    let err = expect(
        world(ca(), ke.clone(), "localhost", tls13),
        "ee-digital-signature",
    );
    assert_eq!(
        err.java_text(),
        "javax.net.ssl.SSLHandshakeException: KeyUsage does not allow digital signatures"
    );
    expect(world(ca(), leaf(), "localhost", rsa), "ee-key-encipherment");
    let client = Opt {
        eku: Some(vec!["clientAuth"]),
        ..leaf()
    };
    expect(
        world(ca(), client, "localhost", ECDHE),
        "ee-extended-key-usage",
    );
    for accepted in [
        "2.5.29.37.0",
        "1.3.6.1.4.1.311.10.3.3",
        "2.16.840.1.113730.4.1",
    ] {
        world(
            ca(),
            Opt {
                eku: Some(vec![accepted]),
                ..leaf()
            },
            "localhost",
            ECDHE,
        )
        .unwrap();
    }
    // Netscape cert type: SSL client only (03 02 07 80).
    let ns = Opt {
        raw: vec![("2.16.840.1.113730.1.1", false, vec![0x03, 0x02, 0x07, 0x80])],
        ..leaf()
    };
    expect(world(ca(), ns, "localhost", ECDHE), "ee-netscape-cert-type");
}

#[test]
fn host_rules() {
    let err = expect(
        world(ca(), leaf(), "other.example", ECDHE),
        "host-dns-san-mismatch",
    );
    assert_eq!(
        err.java_text(),
        "javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching other.example found."
    );
    expect(world(ca(), leaf(), "10.0.0.1", ECDHE), "host-ip-mismatch");
    let no_san = Opt {
        san: Vec::new(),
        ..leaf()
    };
    world(ca(), no_san.clone(), "localhost", ECDHE).unwrap();
    expect(
        world(ca(), no_san.clone(), "127.0.0.1", ECDHE),
        "host-ip-no-san",
    );
    let err = expect(world(ca(), no_san, "other", ECDHE), "host-cn-mismatch");
    assert_eq!(
        err.java_text(),
        "javax.net.ssl.SSLHandshakeException: No name matching other found"
    );
    expect(
        world(ca(), leaf(), "under_score.example", ECDHE),
        "host-illegal-name",
    );
}

#[test]
fn canonical_names_ignore_case_string_type_and_spaces() {
    use x509_parser::prelude::FromDer;
    let a = X509NameBuilder::new()
        .map(|mut b| {
            b.append_entry_by_nid_with_type(
                Nid::COMMONNAME,
                "My  Root",
                openssl::asn1::Asn1Type::PRINTABLESTRING,
            )
            .unwrap();
            b.build()
        })
        .unwrap();
    let b = X509NameBuilder::new()
        .map(|mut b| {
            b.append_entry_by_nid_with_type(
                Nid::COMMONNAME,
                " my root ",
                openssl::asn1::Asn1Type::UTF8STRING,
            )
            .unwrap();
            b.build()
        })
        .unwrap();
    let (a, b) = (a.to_der().unwrap(), b.to_der().unwrap());
    assert_ne!(a, b);
    assert_eq!(name::canonical(&a), name::canonical(&b));
    assert!(x509_parser::x509::X509Name::from_der(&a).is_ok());
    assert_eq!(name::canonical(&[0x30]), None);
}
