//! The connectivity test against `openssl s_server`, with certificates made by `openssl`
//! itself: the failure classes do not depend on our PKI or on a rustls receiver.
//!
//! Validity is judged at a simulated "now": the certificates are made valid from the wall
//! clock for 10 days, and the test moves "now" to 30 days later (expired) or one day earlier
//! (not yet valid).

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::connect::{
    ClientCertificate, Clock, Options, Policy, Target, TlsVersion, TrustSource,
};
use harness::keystore::{Keystore, Passwords};
use harness::secret::Password;
use tests::openssl_ca::{KeyKind, OpensslCa};

/// Makes the PKI with openssl: receiver root -> intermediate -> server (127.0.0.1), a server
/// for another host, a self-signed server, and a client root -> client plus an unrelated
/// self-signed client.
fn make_pki(openssl: &Path, dir: &Path) {
    let ca = OpensslCa::new(openssl, dir);
    ca.ext(
        "ca.ext",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    ca.ext(
        "server.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    );
    ca.ext(
        "wrong.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:elsewhere.invalid\n",
    );
    ca.ext(
        "client.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
    let ec = KeyKind::P256;
    ca.root(
        "root",
        "/O=OpenSSL Receiver/CN=OpenSSL Root CA",
        "ca.ext",
        "1",
        ec,
    );
    let int = "/O=OpenSSL Receiver/CN=OpenSSL Intermediate CA";
    ca.issue("int", int, "root", "ca.ext", "2", ec);
    let server = "/O=OpenSSL Receiver/CN=127.0.0.1";
    ca.issue("server", server, "int", "server.ext", "3", ec);
    let wrong = "/O=OpenSSL Receiver/CN=elsewhere.invalid";
    ca.issue("wrong", wrong, "int", "wrong.ext", "4", ec);
    ca.root(
        "own",
        "/O=OpenSSL Receiver/CN=127.0.0.1",
        "server.ext",
        "5",
        ec,
    );
    let croot = "/O=OpenSSL Tenant/CN=OpenSSL Client Root CA";
    ca.root("croot", croot, "ca.ext", "6", ec);
    let client = "/O=OpenSSL Tenant/CN=openssl-client";
    ca.issue("client", client, "croot", "client.ext", "7", ec);
    let stranger = "/O=OpenSSL Stranger/CN=stranger-client";
    ca.root("stranger", stranger, "client.ext", "8", ec);
    ca.cat("server.chain.pem", &["server.pem", "int.pem"]);
    ca.cat("server.full.pem", &["server.pem", "int.pem", "root.pem"]);
    ca.cat("wrong.chain.pem", &["wrong.pem", "int.pem"]);
    ca.cat("client.bundle.pem", &["client.key", "client.pem"]);
    ca.cat("stranger.bundle.pem", &["stranger.key", "stranger.pem"]);
}

/// `openssl s_server` with the certificate, chain, client-certificate check and TLS version
/// flag of a case.
fn s_server(
    openssl: &Path,
    dir: &Path,
    cert: &str,
    chain: Option<&str>,
    verify_ca: Option<&str>,
    tls: &str,
) -> crate::s_server::SServer {
    let mut extra = vec![tls];
    if let Some(chain) = chain {
        extra.extend(["-cert_chain", chain]);
    }
    if let Some(ca) = verify_ca {
        extra.extend(["-Verify", "2", "-verify_return_error", "-CAfile", ca]);
    }
    crate::s_server::start(openssl, dir, cert, &extra)
}

fn source(dir: &Path, trusted: &[&str], bundles: &[(&str, &str)]) -> TrustSource {
    let passwords = Passwords::new(Password::new(""));
    let mut trust = TrustSource::new("openssl");
    for t in trusted {
        let store = Keystore::read_file(&dir.join(t), &passwords).unwrap();
        let (_, cert) = store.trusted_certificates().next().unwrap();
        trust = trust.with_trusted(t, cert.clone());
    }
    for (alias, file) in bundles {
        let store = Keystore::read_file(&dir.join(file), &passwords).unwrap();
        let (_, key, chain) = store.key_pairs().next().unwrap();
        let key = key.unlock(&passwords.store, alias).unwrap();
        trust = trust.with_key_pair(alias, chain.to_vec(), key);
    }
    trust
}

#[test]
fn failure_classes_against_openssl_s_server() {
    let Some(openssl) = tests::tool("openssl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().to_owned();
    make_pki(&openssl, &dir);
    let wall = time::OffsetDateTime::now_utc();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let auto = ClientCertificate::Automatic(Policy::FirstFitting);

    struct Row {
        id: &'static str,
        cert: &'static str,
        chain: Option<&'static str>,
        verify_ca: Option<&'static str>,
        trusted: &'static [&'static str],
        keys: &'static [(&'static str, &'static str)],
        client: ClientCertificate,
        now_days: i64,
        expected: &'static str,
        used: bool,
    }
    let row = |id, cert, chain, trusted, expected| Row {
        id,
        cert,
        chain,
        verify_ca: None,
        trusted,
        keys: &[],
        client: ClientCertificate::Off,
        now_days: 0,
        expected,
        used: false,
    };
    let rows = vec![
        row(
            "full-chain",
            "server.pem",
            Some("server.full.pem"),
            &["root.pem"],
            "success",
        ),
        row(
            "leaf-and-intermediate",
            "server.pem",
            Some("int.pem"),
            &["root.pem"],
            "success",
        ),
        row(
            "leaf-only",
            "server.pem",
            None,
            &["root.pem"],
            "unknown-issuer",
        ),
        row(
            "leaf-only-intermediate-anchor",
            "server.pem",
            None,
            &["int.pem"],
            "success",
        ),
        row(
            "self-signed-imported",
            "own.pem",
            None,
            &["own.pem"],
            "success",
        ),
        row(
            "self-signed-not-imported",
            "own.pem",
            None,
            &["root.pem"],
            "unknown-issuer",
        ),
        row(
            "wrong-host",
            "wrong.pem",
            Some("int.pem"),
            &["root.pem"],
            "name-mismatch",
        ),
        Row {
            now_days: 30,
            ..row(
                "expired",
                "server.pem",
                Some("int.pem"),
                &["root.pem"],
                "expired",
            )
        },
        Row {
            now_days: -1,
            ..row(
                "not-yet-valid",
                "server.pem",
                Some("int.pem"),
                &["root.pem"],
                "not-yet-valid",
            )
        },
        Row {
            verify_ca: Some("croot.pem"),
            keys: &[
                ("stranger", "stranger.bundle.pem"),
                ("client", "client.bundle.pem"),
            ],
            client: auto.clone(),
            used: true,
            ..row(
                "client-auto-fitting",
                "server.pem",
                Some("int.pem"),
                &["root.pem"],
                "success",
            )
        },
        Row {
            verify_ca: Some("croot.pem"),
            keys: &[("client", "client.bundle.pem")],
            ..row(
                "client-none-sent",
                "server.pem",
                Some("int.pem"),
                &["root.pem"],
                "client-cert-required",
            )
        },
        Row {
            verify_ca: Some("croot.pem"),
            keys: &[("stranger", "stranger.bundle.pem")],
            client: auto.clone(),
            ..row(
                "client-no-key-fits",
                "server.pem",
                Some("int.pem"),
                &["root.pem"],
                "client-cert-required",
            )
        },
        Row {
            verify_ca: Some("croot.pem"),
            keys: &[("stranger", "stranger.bundle.pem")],
            client: ClientCertificate::Alias("stranger".into()),
            used: true,
            ..row(
                "client-untrusted-alias",
                "server.pem",
                Some("int.pem"),
                &["root.pem"],
                "client-cert-rejected",
            )
        },
    ];
    for (tls, max) in [
        ("-tls1_2", TlsVersion::Tls12),
        ("-tls1_3", TlsVersion::Tls13),
    ] {
        for r in &rows {
            let server = s_server(&openssl, &dir, r.cert, r.chain, r.verify_ca, tls);
            let trust = source(&dir, r.trusted, r.keys);
            let mut options = Options::new(Target::new("127.0.0.1", server.port).unwrap())
                .timeouts(Duration::from_secs(5));
            options.clock = Clock::Fixed(wall + time::Duration::days(r.now_days));
            options.client_certificate = r.client.clone();
            options.max_version = max;
            let out = rt
                .block_on(harness::connect::run(&options, &trust))
                .unwrap();
            assert_eq!(out.class(), r.expected, "{} {tls}: {:?}", r.id, out.failure);
            assert_eq!(out.client_certificate.used, r.used, "{} {tls}", r.id);
            if r.expected == "success" {
                assert_eq!(out.http_status, Some(200), "{} {tls}", r.id);
            }
        }
    }
}
