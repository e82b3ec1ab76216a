//! `harness::pkix::Validator` against JDK 17's own validator, over small worlds built with
//! the `openssl` crate: certificate features Java accepts and webpki does not (SHA-1, MD5
//! refused, RSA-1024, RSASSA-PSS, DSA, v1, Ed448, SHA-224, dates before 1970, critical
//! policies, SGC EKUs) and the rules with Java's texts (key usage vs key exchange, CA without
//! keyCertSign, pathLenConstraint, name constraints, unknown critical extensions, explicit
//! policy, Netscape cert type, host names).
//!
//! The probe (`java/PkixProbe.java`) runs JSSE's PKIX validator (variant "tls server", JSSE's
//! default algorithm constraints) at a fixed date and `HostnameChecker` in one JVM over every
//! case; verdicts and texts must be equal.

use std::path::Path;
use std::process::Command;

use harness::pkix::{Host, KeyExchange, TlsUsage, Validator};
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time, Asn1Type};
use openssl::bn::BigNum;
use openssl::dsa::Dsa;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509Builder, X509Extension, X509Name, X509NameBuilder};
use rustls_pki_types::{CertificateDer, UnixTime};

/// "Now" of every case: 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

fn key(kind: &str) -> PKey<Private> {
    match kind {
        "p256" | "p192" | "p384" => {
            let nid = match kind {
                "p256" => Nid::X9_62_PRIME256V1,
                "p384" => Nid::SECP384R1,
                _ => Nid::X9_62_PRIME192V1,
            };
            let group = EcGroup::from_curve_name(nid).unwrap();
            PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
        }
        "rsa512" => PKey::from_rsa(Rsa::generate(512).unwrap()).unwrap(),
        "rsa1024" => PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap(),
        "rsa2048" => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
        "dsa2048" => PKey::from_dsa(Dsa::generate(2048).unwrap()).unwrap(),
        "ed25519" => PKey::generate_ed25519().unwrap(),
        "ed448" => PKey::generate_ed448().unwrap(),
        "rsapss" => {
            let out = tests::run_ok(Command::new("openssl").args([
                "genpkey",
                "-algorithm",
                "RSA-PSS",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ]));
            PKey::private_key_from_pem(out.as_bytes()).unwrap()
        }
        other => panic!("unknown key kind {other}"),
    }
}

fn digest_for(key: &PKey<Private>, digest: &str) -> MessageDigest {
    match key.id() {
        openssl::pkey::Id::ED25519 | openssl::pkey::Id::ED448 => MessageDigest::null(),
        _ => MessageDigest::from_name(digest).unwrap(),
    }
}

fn name(cn: &str, utf8: bool) -> X509Name {
    let mut b = X509NameBuilder::new().unwrap();
    b.append_entry_by_nid_with_type(
        Nid::ORGANIZATIONNAME,
        "Pkix Probe",
        if utf8 {
            Asn1Type::UTF8STRING
        } else {
            Asn1Type::PRINTABLESTRING
        },
    )
    .unwrap();
    b.append_entry_by_nid_with_type(
        Nid::COMMONNAME,
        cn,
        if utf8 {
            Asn1Type::UTF8STRING
        } else {
            Asn1Type::PRINTABLESTRING
        },
    )
    .unwrap();
    b.build()
}

/// A certificate to build.
struct Spec<'a> {
    cn: &'a str,
    key: &'a PKey<Private>,
    issuer: Option<(&'a X509, &'a PKey<Private>)>,
    /// Issuer name written with UTF8String and in another case (Java compares canonically).
    issuer_name_override: Option<X509Name>,
    ca: Option<Option<u32>>,
    ku: Option<&'a [&'a str]>,
    eku: Option<&'a [&'a str]>,
    san: &'a [&'a str],
    digest: &'a str,
    version1: bool,
    not_before: i64,
    not_after: i64,
    /// Extra extensions, OpenSSL config syntax: (name, value).
    conf: Vec<(&'a str, String)>,
    /// Extra DER extensions: (oid, critical, value).
    raw: Vec<(&'a str, bool, Vec<u8>)>,
}

impl<'a> Spec<'a> {
    fn new(cn: &'a str, key: &'a PKey<Private>) -> Self {
        Self {
            cn,
            key,
            issuer: None,
            issuer_name_override: None,
            ca: None,
            ku: None,
            eku: None,
            san: &[],
            digest: "SHA256",
            version1: false,
            not_before: NOW - 30 * DAY,
            not_after: NOW + 365 * DAY,
            conf: Vec::new(),
            raw: Vec::new(),
        }
    }
    fn ca(mut self, path_len: Option<u32>) -> Self {
        self.ca = Some(path_len);
        self.ku = Some(&["keyCertSign", "cRLSign"]);
        self
    }
    fn leaf(mut self) -> Self {
        self.ku = Some(&["digitalSignature", "keyEncipherment"]);
        self.eku = Some(&["serverAuth"]);
        self.san = &["DNS:localhost", "IP:127.0.0.1"];
        self
    }
    fn by(mut self, issuer: &'a X509, key: &'a PKey<Private>) -> Self {
        self.issuer = Some((issuer, key));
        self
    }

    fn build(self) -> X509 {
        let mut b = X509Builder::new().unwrap();
        b.set_version(if self.version1 { 0 } else { 2 }).unwrap();
        let serial = BigNum::from_u32(rand_serial()).unwrap();
        b.set_serial_number(&Asn1Integer::from_bn(&serial).unwrap())
            .unwrap();
        let subject = name(self.cn, false);
        b.set_subject_name(&subject).unwrap();
        match (&self.issuer_name_override, self.issuer) {
            (Some(n), _) => b.set_issuer_name(n).unwrap(),
            (None, Some((issuer, _))) => b.set_issuer_name(issuer.subject_name()).unwrap(),
            (None, None) => b.set_issuer_name(&subject).unwrap(),
        }
        b.set_not_before(&Asn1Time::from_unix(self.not_before).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::from_unix(self.not_after).unwrap())
            .unwrap();
        b.set_pubkey(self.key).unwrap();
        if !self.version1 {
            if let Some(path_len) = self.ca {
                let mut bc = BasicConstraints::new();
                bc.critical().ca();
                if let Some(n) = path_len {
                    bc.pathlen(n);
                }
                b.append_extension(bc.build().unwrap()).unwrap();
            }
            if let Some(bits) = self.ku {
                let mut ku = KeyUsage::new();
                ku.critical();
                for bit in bits {
                    match *bit {
                        "digitalSignature" => ku.digital_signature(),
                        "keyEncipherment" => ku.key_encipherment(),
                        "keyCertSign" => ku.key_cert_sign(),
                        "cRLSign" => ku.crl_sign(),
                        "keyAgreement" => ku.key_agreement(),
                        other => panic!("{other}"),
                    };
                }
                b.append_extension(ku.build().unwrap()).unwrap();
            }
            if let Some(ekus) = self.eku {
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
            if !self.san.is_empty() {
                let mut san = SubjectAlternativeName::new();
                for n in self.san {
                    match n.split_once(':').unwrap() {
                        ("DNS", d) => san.dns(d),
                        ("IP", ip) => san.ip(ip),
                        other => panic!("{other:?}"),
                    };
                }
                let ctx = b.x509v3_context(self.issuer.map(|(i, _)| &**i), None);
                let ext = san.build(&ctx).unwrap();
                b.append_extension(ext).unwrap();
            }
            for (ext_name, value) in &self.conf {
                let ctx = b.x509v3_context(self.issuer.map(|(i, _)| &**i), None);
                #[allow(deprecated)]
                let ext = X509Extension::new(None, Some(&ctx), ext_name, value).unwrap();
                b.append_extension(ext).unwrap();
            }
            for (oid, critical, value) in &self.raw {
                let ext = X509Extension::new_from_der(
                    &Asn1Object::from_str(oid).unwrap(),
                    *critical,
                    &Asn1OctetString::new_from_bytes(value).unwrap(),
                )
                .unwrap();
                b.append_extension(ext).unwrap();
            }
        }
        let signer = self.issuer.map(|(_, k)| k).unwrap_or(self.key);
        b.sign(signer, digest_for(signer, self.digest)).unwrap();
        b.build()
    }
}

fn rand_serial() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One case: what the server sends, what is trusted, the host, the key exchange, and
/// whether "Validate Server Certificate" is on.
struct Case {
    id: String,
    trusted: Vec<X509>,
    chain: Vec<X509>,
    host: &'static str,
    now: i64,
    kx: KeyExchange,
    validate: bool,
}

fn case(id: &str, trusted: &[&X509], chain: &[&X509]) -> Case {
    Case {
        id: id.to_owned(),
        trusted: trusted.iter().map(|c| (*c).clone()).collect(),
        chain: chain.iter().map(|c| (*c).clone()).collect(),
        host: "localhost",
        now: NOW,
        kx: KeyExchange::Ecdhe,
        validate: true,
    }
}

impl Case {
    fn host(mut self, host: &'static str) -> Self {
        self.host = host;
        self
    }
    fn kx(mut self, kx: KeyExchange) -> Self {
        self.kx = kx;
        self
    }
    fn unvalidated(mut self) -> Self {
        self.validate = false;
        self
    }
    fn at(mut self, now: i64) -> Self {
        self.now = now;
        self
    }
}

fn auth_type(kx: KeyExchange) -> &'static str {
    match kx {
        KeyExchange::Rsa => "RSA",
        KeyExchange::Ecdhe => "ECDHE_RSA",
        KeyExchange::Dhe => "DHE_RSA",
        KeyExchange::Tls13 | KeyExchange::Unknown => "UNKNOWN",
    }
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let (rk, ik, lk) = (key("rsa2048"), key("p256"), key("p256"));
    let root = Spec::new("Probe Root", &rk).ca(None).build();
    let int = Spec::new("Probe Intermediate", &ik)
        .ca(None)
        .by(&root, &rk)
        .build();
    let leaf = Spec::new("localhost", &lk).leaf().by(&int, &ik).build();
    let mut cases = vec![
        case("ok-chain", &[&root], &[&leaf, &int]),
        case("ok-full-chain", &[&root], &[&leaf, &int, &root]),
        case("ok-trusted-intermediate", &[&int], &[&leaf, &int]),
        case("ok-rsa-kx-leaf-with-both-bits", &[&root], &[&leaf, &int]).kx(KeyExchange::Rsa),
        case("ok-tls13", &[&root], &[&leaf, &int]).kx(KeyExchange::Tls13),
        case("unknown-issuer", &[&leaf], &[&int]),
        case("reversed", &[&root], &[&int, &leaf]),
        case(
            "duplicates-and-extras",
            &[&root],
            &[&leaf, &leaf, &root, &int],
        ),
        case("leaf-only-missing-intermediate", &[&root], &[&leaf]),
        case("wrong-host", &[&root], &[&leaf, &int]).host("example.com"),
        case("ip-host", &[&root], &[&leaf, &int]).host("127.0.0.1"),
        case("ip-host-mismatch", &[&root], &[&leaf, &int]).host("10.0.0.1"),
        case("expired-now", &[&root], &[&leaf, &int]).at(NOW + 400 * DAY),
        case("not-yet-valid-now", &[&root], &[&leaf, &int]).at(NOW - 40 * DAY),
    ];

    // Signature and key algorithms.
    for (id, kind, digest, kx) in [
        ("sha1-leaf", "p256", "SHA1", KeyExchange::Ecdhe),
        ("sha224-leaf", "p256", "SHA224", KeyExchange::Ecdhe),
        ("md5-leaf", "rsa2048", "MD5", KeyExchange::Ecdhe),
        ("rsa1024-leaf", "rsa1024", "SHA256", KeyExchange::Ecdhe),
        ("rsa512-leaf", "rsa512", "SHA256", KeyExchange::Ecdhe),
        ("p192-leaf", "p192", "SHA256", KeyExchange::Ecdhe),
        ("p384-leaf", "p384", "SHA384", KeyExchange::Ecdhe),
        ("dsa-leaf", "dsa2048", "SHA256", KeyExchange::Dhe),
        ("dsa-sha1-leaf", "dsa2048", "SHA1", KeyExchange::Dhe),
        ("rsa-sha224-leaf", "rsa2048", "SHA224", KeyExchange::Rsa),
        ("rsa-sha512-leaf", "rsa2048", "SHA512", KeyExchange::Ecdhe),
        ("ecdsa-sha512-leaf", "p256", "SHA512", KeyExchange::Ecdhe),
        ("ed25519-leaf", "ed25519", "SHA256", KeyExchange::Tls13),
        ("ed448-leaf", "ed448", "SHA256", KeyExchange::Tls13),
        ("pss-leaf", "rsapss", "SHA256", KeyExchange::Tls13),
    ] {
        let k = key(kind);
        // The leaf's own key is `kind`; the CA signing it uses the same algorithm, so the
        // signature algorithm is exercised too.
        let ca = Spec::new(&format!("CA {id}"), &k)
            .ca(None)
            .digest_of(digest)
            .build();
        let l = Spec::new("localhost", &k)
            .leaf()
            .by(&ca, &k)
            .digest_of(digest)
            .build();
        cases.push(case(id, &[&ca], &[&l]).kx(kx));
        cases.push(case(&format!("{id}-unvalidated"), &[], &[&l, &ca]).unvalidated());
        // The algorithm in an intermediate under a strong root.
        let int2 = Spec::new(&format!("Int {id}"), &k)
            .ca(None)
            .by(&root, &rk)
            .build();
        let l2 = Spec::new("localhost", &lk)
            .leaf()
            .by(&int2, &k)
            .digest_of(digest)
            .build();
        cases.push(case(
            &format!("{id}-as-intermediate"),
            &[&root],
            &[&l2, &int2],
        ));
    }

    // Structure.
    let v1 = {
        let mut s = Spec::new("localhost", &lk).by(&int, &ik);
        s.version1 = true;
        s.build()
    };
    cases.push(case("v1-leaf-cn-host", &[&root], &[&v1, &int]));
    let v1_int = {
        let mut s = Spec::new("V1 Intermediate", &ik).by(&root, &rk);
        s.version1 = true;
        s.build()
    };
    let under_v1 = Spec::new("localhost", &lk).leaf().by(&v1_int, &ik).build();
    cases.push(case("v1-intermediate", &[&root], &[&under_v1, &v1_int]));
    let v1_root = {
        let mut s = Spec::new("V1 Root", &rk);
        s.version1 = true;
        s.build()
    };
    let under_v1_root = Spec::new("localhost", &lk).leaf().by(&v1_root, &rk).build();
    cases.push(case("v1-root", &[&v1_root], &[&under_v1_root]));

    let mut ke_only = Spec::new("localhost", &lk).leaf().by(&int, &ik);
    ke_only.ku = Some(&["keyEncipherment"]);
    let ke_only = ke_only.build();
    cases.push(case("ke-only-ecdhe", &[&root], &[&ke_only, &int]));
    cases.push(case("ke-only-rsa-kx", &[&root], &[&ke_only, &int]).kx(KeyExchange::Rsa));
    cases.push(case("ke-only-tls13", &[&root], &[&ke_only, &int]).kx(KeyExchange::Tls13));
    let mut ds_only = Spec::new("localhost", &lk).leaf().by(&int, &ik);
    ds_only.ku = Some(&["digitalSignature"]);
    let ds_only = ds_only.build();
    cases.push(case("ds-only-rsa-kx", &[&root], &[&ds_only, &int]).kx(KeyExchange::Rsa));

    let mut no_kcs = Spec::new("No KeyCertSign", &ik).ca(None).by(&root, &rk);
    no_kcs.ku = Some(&["digitalSignature"]);
    let no_kcs = no_kcs.build();
    let under_no_kcs = Spec::new("localhost", &lk).leaf().by(&no_kcs, &ik).build();
    cases.push(case(
        "ca-without-keycertsign",
        &[&root],
        &[&under_no_kcs, &no_kcs],
    ));

    let not_ca = Spec::new("Not A CA", &ik).leaf().by(&root, &rk).build();
    let under_not_ca = Spec::new("localhost", &lk).leaf().by(&not_ca, &ik).build();
    cases.push(case(
        "intermediate-not-ca",
        &[&root],
        &[&under_not_ca, &not_ca],
    ));

    let pl0 = Spec::new("PathLen Zero", &ik)
        .ca(Some(0))
        .by(&root, &rk)
        .build();
    let below = Spec::new("Below PathLen Zero", &ik)
        .ca(None)
        .by(&pl0, &ik)
        .build();
    let under_below = Spec::new("localhost", &lk).leaf().by(&below, &ik).build();
    cases.push(case(
        "pathlen-violated",
        &[&root],
        &[&under_below, &below, &pl0],
    ));
    let under_pl0 = Spec::new("localhost", &lk).leaf().by(&pl0, &ik).build();
    cases.push(case("pathlen-zero-ok", &[&root], &[&under_pl0, &pl0]));

    // Name constraints: on an intermediate they apply, on the anchor they do not.
    let mut nc_int = Spec::new("NC Intermediate", &ik).ca(None).by(&root, &rk);
    nc_int.conf.push((
        "nameConstraints",
        "critical,permitted;DNS:example.com".into(),
    ));
    let nc_int = nc_int.build();
    let under_nc = Spec::new("localhost", &lk).leaf().by(&nc_int, &ik).build();
    cases.push(case(
        "nc-intermediate-refuses",
        &[&root],
        &[&under_nc, &nc_int],
    ));
    let mut good = Spec::new("www.example.com", &lk).leaf().by(&nc_int, &ik);
    good.san = &["DNS:www.example.com"];
    let good = good.build();
    cases
        .push(case("nc-intermediate-permits", &[&root], &[&good, &nc_int]).host("www.example.com"));
    let mut nc_root = Spec::new("NC Root", &rk).ca(None);
    nc_root.conf.push((
        "nameConstraints",
        "critical,permitted;DNS:example.com".into(),
    ));
    let nc_root = nc_root.build();
    let under_nc_root = Spec::new("localhost", &lk).leaf().by(&nc_root, &rk).build();
    cases.push(case("nc-anchor-ignored", &[&nc_root], &[&under_nc_root]));
    let mut nc_ex = Spec::new("NC Excluding", &ik).ca(None).by(&root, &rk);
    nc_ex.conf.push((
        "nameConstraints",
        "critical,excluded;IP:127.0.0.0/255.0.0.0".into(),
    ));
    let nc_ex = nc_ex.build();
    let under_nc_ex = Spec::new("localhost", &lk).leaf().by(&nc_ex, &ik).build();
    cases.push(case("nc-excluded-ip", &[&root], &[&under_nc_ex, &nc_ex]));
    let mut cn_only_nc = Spec::new("localhost", &lk).leaf().by(&nc_int, &ik);
    cn_only_nc.san = &[];
    let cn_only_nc = cn_only_nc.build();
    cases.push(case("nc-cn-as-dns", &[&root], &[&cn_only_nc, &nc_int]));

    // Extensions.
    let mut crit = Spec::new("localhost", &lk).leaf().by(&int, &ik);
    crit.raw.push(("1.2.3.4.5", true, vec![0x05, 0x00]));
    let crit = crit.build();
    cases.push(case("unknown-critical-leaf", &[&root], &[&crit, &int]));
    let mut crit_int = Spec::new("Critical Int", &ik).ca(None).by(&root, &rk);
    crit_int.raw.push(("1.2.3.4.5", true, vec![0x05, 0x00]));
    let crit_int = crit_int.build();
    let under_crit = Spec::new("localhost", &lk)
        .leaf()
        .by(&crit_int, &ik)
        .build();
    cases.push(case(
        "unknown-critical-intermediate",
        &[&root],
        &[&under_crit, &crit_int],
    ));
    let mut noncrit = Spec::new("localhost", &lk).leaf().by(&int, &ik);
    noncrit.raw.push(("1.2.3.4.5", false, vec![0x05, 0x00]));
    let noncrit = noncrit.build();
    cases.push(case(
        "unknown-noncritical-leaf",
        &[&root],
        &[&noncrit, &int],
    ));

    for (id, ekus) in [
        ("eku-any", &["2.5.29.37.0"][..]),
        ("eku-client-only", &["clientAuth"][..]),
        ("eku-ms-sgc", &["1.3.6.1.4.1.311.10.3.3"][..]),
        ("eku-ns-sgc", &["2.16.840.1.113730.4.1"][..]),
    ] {
        let mut s = Spec::new("localhost", &lk).leaf().by(&int, &ik);
        s.eku = Some(ekus);
        let c = s.build();
        cases.push(case(id, &[&root], &[&c, &int]));
    }
    let mut ns = Spec::new("localhost", &lk).leaf().by(&int, &ik);
    ns.conf.push(("nsCertType", "client".into()));
    let ns = ns.build();
    cases.push(case("netscape-client-only", &[&root], &[&ns, &int]));
    let mut ns_ok = Spec::new("localhost", &lk).leaf().by(&int, &ik);
    ns_ok.conf.push(("nsCertType", "server".into()));
    let ns_ok = ns_ok.build();
    cases.push(case("netscape-server", &[&root], &[&ns_ok, &int]));

    let mut pol = Spec::new("localhost", &lk).leaf().by(&int, &ik);
    pol.raw.push(("2.5.29.32", true, policies(&[PROBE_POLICY])));
    let pol = pol.build();
    cases.push(case("critical-policies", &[&root], &[&pol, &int]));
    let mut req = Spec::new("Requires Policy", &ik).ca(None).by(&root, &rk);
    req.raw
        .push(("2.5.29.36", true, REQUIRE_EXPLICIT_POLICY.to_vec()));
    let req = req.build();
    let under_req = Spec::new("localhost", &lk).leaf().by(&req, &ik).build();
    cases.push(case(
        "explicit-policy-missing",
        &[&root],
        &[&under_req, &req],
    ));
    let mut req2 = Spec::new("Requires Policy With", &ik)
        .ca(None)
        .by(&root, &rk);
    req2.raw
        .push(("2.5.29.36", true, REQUIRE_EXPLICIT_POLICY.to_vec()));
    req2.raw.push(("2.5.29.32", false, policies(&[ANY_POLICY])));
    let req2 = req2.build();
    let mut with_pol = Spec::new("localhost", &lk).leaf().by(&req2, &ik);
    with_pol
        .raw
        .push(("2.5.29.32", false, policies(&[PROBE_POLICY])));
    let with_pol = with_pol.build();
    cases.push(case(
        "explicit-policy-present",
        &[&root],
        &[&with_pol, &req2],
    ));

    // Dates before 1970.
    let mut old_root = Spec::new("Old Root", &rk).ca(None);
    old_root.not_before = -10 * 365 * DAY;
    let old_root = old_root.build();
    let mut old_leaf = Spec::new("localhost", &lk).leaf().by(&old_root, &rk);
    old_leaf.not_before = -5 * 365 * DAY;
    let old_leaf = old_leaf.build();
    cases.push(case("before-1970", &[&old_root], &[&old_leaf]));

    // Names: the intermediate's issuer written as UTF8String.
    let mut utf8 = Spec::new("UTF8 Issuer", &ik).ca(None).by(&root, &rk);
    utf8.issuer_name_override = Some(name("Probe Root", true));
    let utf8 = utf8.build();
    let under_utf8 = Spec::new("localhost", &lk).leaf().by(&utf8, &ik).build();
    cases.push(case(
        "issuer-utf8-vs-printable",
        &[&root],
        &[&under_utf8, &utf8],
    ));

    // Host names.
    for (id, sans, host) in [
        ("wildcard", &["DNS:*.example.com"][..], "a.example.com"),
        (
            "wildcard-two-labels",
            &["DNS:*.example.com"][..],
            "a.b.example.com",
        ),
        (
            "wildcard-partial",
            &["DNS:f*.example.com"][..],
            "foo.example.com",
        ),
        (
            "wildcard-inner-label",
            &["DNS:www.*.com"][..],
            "www.example.com",
        ),
        ("wildcard-tld", &["DNS:*.com"][..], "example.com"),
        ("ip-san-dns-host", &["IP:127.0.0.1"][..], "localhost"),
        ("dns-san-ip-host", &["DNS:localhost"][..], "127.0.0.1"),
        ("no-san-ip-host", &[][..], "127.0.0.1"),
        ("no-san-cn", &[][..], "localhost"),
        ("no-san-cn-mismatch", &[][..], "other"),
        ("ipv6", &["IP:::1"][..], "::1"),
    ] {
        let mut s = Spec::new("localhost", &lk).leaf().by(&int, &ik);
        s.san = sans;
        let c = s.build();
        cases.push(case(id, &[&root], &[&c, &int]).host(host));
    }

    // Trusted end entity, expired.
    let mut own = Spec::new("localhost", &lk).leaf();
    own.not_after = NOW - DAY;
    own.not_before = NOW - 100 * DAY;
    let own = own.build();
    cases.push(case("trusted-end-entity-expired", &[&own], &[&own]));

    // Long chains: 7 intermediates in order, and the same out of order.
    let mut ints: Vec<(X509, PKey<Private>)> = Vec::new();
    for i in 0..7 {
        let k = key("p256");
        let c = {
            let (issuer, issuer_key) = match ints.last() {
                Some((c, k)) => (c, k),
                None => (&root, &rk),
            };
            Spec::new(&format!("Depth {i}"), &k)
                .ca(None)
                .by(issuer, issuer_key)
                .build()
        };
        ints.push((c, k));
    }
    let (last, last_key) = ints.last().unwrap();
    let deep = Spec::new("localhost", &lk)
        .leaf()
        .by(last, last_key)
        .build();
    let mut in_order: Vec<&X509> = vec![&deep];
    in_order.extend(ints.iter().rev().map(|(c, _)| c));
    cases.push(case("seven-intermediates-in-order", &[&root], &in_order));
    let mut shuffled: Vec<&X509> = vec![&deep];
    shuffled.extend(ints.iter().map(|(c, _)| c));
    cases.push(case(
        "seven-intermediates-out-of-order",
        &[&root],
        &shuffled,
    ));
    let mut five: Vec<&X509> = vec![];
    let (c5, k5) = &ints[4];
    let deep5 = Spec::new("localhost", &lk).leaf().by(c5, k5).build();
    five.push(&deep5);
    five.extend(ints[..5].iter().map(|(c, _)| c));
    cases.push(case("five-intermediates-out-of-order", &[&root], &five));
    cases
}

impl Spec<'_> {
    fn digest_of(mut self, digest: &'static str) -> Self {
        self.digest = digest;
        self
    }
}

/// OID 1.3.6.1.4.1.99999.1 (DER contents).
const PROBE_POLICY: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01];
/// OID 2.5.29.32.0, anyPolicy.
const ANY_POLICY: &[u8] = &[0x55, 0x1d, 0x20, 0x00];
/// PolicyConstraints { requireExplicitPolicy [0] 0 }.
const REQUIRE_EXPLICIT_POLICY: &[u8] = &[0x30, 0x03, 0x80, 0x01, 0x00];

/// certificatePolicies: SEQUENCE OF PolicyInformation { policyIdentifier }.
fn policies(oids: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for oid in oids {
        let mut info = vec![0x06, oid.len() as u8];
        info.extend_from_slice(oid);
        body.push(0x30);
        body.push(info.len() as u8);
        body.extend(info);
    }
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

fn der(c: &X509) -> CertificateDer<'static> {
    CertificateDer::from(c.to_der().unwrap())
}

fn pem(path: &Path, certs: &[X509]) {
    let mut out = Vec::new();
    for c in certs {
        out.extend(c.to_pem().unwrap());
    }
    std::fs::write(path, out).unwrap();
}

const EXPORTS: [&str; 3] = [
    "java.base/sun.security.validator=ALL-UNNAMED",
    "java.base/sun.security.util=ALL-UNNAMED",
    "java.base/sun.security.provider.certpath=ALL-UNNAMED",
];

/// The probe's answer when the trusted certificates do not load in Java (no keystore holds
/// them, so no tenant has that trust store).
const TRUST_UNLOADABLE: &str = "(trust store unloadable)";

/// Compiles and runs the probe over `cases_file`: id -> None (accepted) or Java's text.
fn run_probe(
    java: &Path,
    javac: &Path,
    dir: &Path,
    cases_file: &Path,
) -> std::collections::BTreeMap<String, Option<String>> {
    let classes = dir.join("classes");
    let source = tests::workspace_root().join("tests/interop/java/PkixProbe.java");
    let mut compile = Command::new(javac);
    for e in EXPORTS {
        compile.arg("--add-exports").arg(e);
    }
    tests::run_ok(compile.arg("-nowarn").arg("-d").arg(&classes).arg(&source));
    let mut run = Command::new(java);
    for e in EXPORTS {
        run.arg("--add-exports").arg(e);
    }
    let out = tests::run_ok(
        run.arg("--add-opens")
            .arg("java.base/sun.security.ssl=ALL-UNNAMED")
            .arg("-cp")
            .arg(&classes)
            .arg("PkixProbe")
            .arg(cases_file),
    );
    out.lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, '\t').collect();
            let text = match f[1] {
                "OK" => None,
                "TRUST-UNLOADABLE" => Some(TRUST_UNLOADABLE.to_owned()),
                _ => Some(f.get(2).copied().unwrap_or("").to_owned()),
            };
            (f[0].to_owned(), text)
        })
        .collect()
}

#[test]
fn pkix_validator_agrees_with_jdk17() {
    let (Some(java), Some(javac), Some(_)) = (
        tests::tool("java"),
        tests::tool("javac"),
        tests::tool("openssl"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let mut lines = String::new();
    for (i, c) in cases.iter().enumerate() {
        let trust = dir.path().join(format!("{i}-trust.pem"));
        let chain = dir.path().join(format!("{i}-chain.pem"));
        pem(&trust, &c.trusted);
        pem(&chain, &c.chain);
        lines.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            c.id,
            trust.display(),
            chain.display(),
            c.host,
            c.now,
            auth_type(c.kx),
            if c.validate {
                "validate"
            } else {
                "unvalidated"
            }
        ));
    }
    let cases_file = dir.path().join("cases.tsv");
    std::fs::write(&cases_file, lines).unwrap();
    let java = run_probe(&java, &javac, dir.path(), &cases_file);
    assert_eq!(java.len(), cases.len(), "one answer per case");

    let mut differ = Vec::new();
    for c in &cases {
        let chain: Vec<CertificateDer<'static>> = c.chain.iter().map(der).collect();
        let usage = TlsUsage {
            version: harness::connect::TlsVersion::Tls12,
            key_exchange: c.kx,
        };
        let ours = if c.validate {
            Validator::new(c.trusted.iter().map(der))
                .validate(
                    &chain,
                    &Host::parse(c.host),
                    UnixTime::since_unix_epoch(std::time::Duration::from_secs(c.now as u64)),
                    usage,
                )
                .map(|_| ())
        } else {
            Validator::new([]).check_unvalidated(&chain, usage)
        };
        let ours = ours.err().map(|e| e.java_text());
        let theirs = &java[&c.id];
        let mark = if &ours == theirs { "  " } else { "!!" };
        println!(
            "{mark} {:<36} ours {:<60} java {}",
            c.id,
            ours.as_deref().unwrap_or("OK"),
            theirs.as_deref().unwrap_or("OK")
        );
        if &ours != theirs {
            differ.push(c.id.clone());
        }
    }
    assert!(differ.is_empty(), "differ from JDK 17: {differ:?}");
}

/// The x509-limbo SERVER corpus through JDK 17 and through `pkix::Validator`: same verdicts
/// and same texts, except the cases listed in [`LIMBO_DIVERGENCES`] (each with its reason;
/// the test fails when one stops diverging).
#[test]
fn pkix_validator_agrees_with_jdk17_on_limbo() {
    let (Some(java), Some(javac)) = (tests::tool("java"), tests::tool("javac")) else {
        return;
    };
    let Some(shared) = tests::shared_dir() else {
        return;
    };
    use rustls_pki_types::pem::PemObject;
    let text = std::fs::read_to_string(shared.join("corpora/limbo/limbo-server.json")).unwrap();
    let suite: serde_json::Value = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    let mut ours = std::collections::BTreeMap::new();
    for (i, case) in suite["testcases"].as_array().unwrap().iter().enumerate() {
        let id = case["id"].as_str().unwrap().to_owned();
        let Some(host) = case["expected_peer_name"]["value"].as_str() else {
            continue;
        };
        let pems = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect()
        };
        let trusted = pems(&case["trusted_certs"]);
        let mut chain = vec![case["peer_certificate"].as_str().unwrap().to_owned()];
        chain.extend(pems(&case["untrusted_intermediates"]));
        let time = case["validation_time"]
            .as_str()
            .unwrap_or("2024-01-01T00:00:00Z");
        let now = harness::time::parse_rfc3339(time).unwrap().unix_timestamp();
        let trust_file = dir.path().join(format!("{i}-t.pem"));
        let chain_file = dir.path().join(format!("{i}-c.pem"));
        std::fs::write(&trust_file, trusted.join("\n")).unwrap();
        std::fs::write(&chain_file, chain.join("\n")).unwrap();
        lines.push_str(&format!(
            "{id}\t{}\t{}\t{host}\t{now}\tECDHE_RSA\tvalidate\n",
            trust_file.display(),
            chain_file.display()
        ));
        let der = |p: &String| CertificateDer::from_pem_slice(p.as_bytes()).unwrap();
        let verdict = Validator::new(trusted.iter().map(der))
            .validate(
                &chain.iter().map(der).collect::<Vec<_>>(),
                &Host::parse(host),
                UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.max(0) as u64)),
                TlsUsage {
                    version: harness::connect::TlsVersion::Tls12,
                    key_exchange: KeyExchange::Ecdhe,
                },
            )
            .err()
            .map(|e| e.java_text());
        ours.insert(id, verdict);
    }
    let cases_file = dir.path().join("cases.tsv");
    std::fs::write(&cases_file, lines).unwrap();
    let out = run_probe(&java, &javac, dir.path(), &cases_file);
    let mut differ = Vec::new();
    let mut unloadable = 0;
    for (id, theirs) in &out {
        if theirs.as_deref() == Some(TRUST_UNLOADABLE) {
            unloadable += 1;
            continue;
        }
        let mine = &ours[id];
        if mine != theirs {
            println!(
                "!! {id}\n   ours {}\n   java {}",
                mine.as_deref().unwrap_or("OK"),
                theirs.as_deref().unwrap_or("OK")
            );
            differ.push(id.clone());
        }
    }
    println!(
        "limbo through JDK 17: {} cases ({unloadable} with a trust store Java cannot load), {} differ",
        out.len(),
        differ.len()
    );
    let listed: Vec<&str> = LIMBO_DIVERGENCES.iter().map(|(id, _)| *id).collect();
    let new: Vec<_> = differ
        .iter()
        .filter(|d| !listed.contains(&d.as_str()))
        .collect();
    let stale: Vec<_> = listed
        .iter()
        .filter(|l| !differ.iter().any(|d| d == *l))
        .collect();
    assert!(
        new.is_empty(),
        "undocumented divergences from JDK 17: {new:?}"
    );
    assert!(
        stale.is_empty(),
        "listed divergences that agree now: {stale:?}"
    );
}

/// Limbo cases where `pkix::Validator` and JDK 17 still differ, with the reason.
const LIMBO_DIVERGENCES: &[(&str, &str)] = &[
    (
        "rfc5280::nc::nc-forbids-othername",
        "JDK 17 throws UnsupportedOperationException (\"Narrowing, widening, and matching are not supported for OtherName\") out of the validator, a crash rather than a verdict; we apply no otherName constraint",
    ),
    (
        "rfc5280::ski::critical-ski",
        "JDK 17 does not select a trust anchor whose subject key identifier extension is critical (\"Path does not chain with any of the trust anchors\"); we do not model its X509CertSelector",
    ),
    (
        "webpki::cn::utf8-vs-punycode-mismatch",
        "HostnameChecker converts names with IDN.toUnicode/toASCII; we compare ASCII labels only",
    ),
    (
        "webpki::san::wildcard-embedded-ulabel-san",
        "HostnameChecker converts names with IDN.toUnicode/toASCII; we compare ASCII labels only",
    ),
];
