//! The seeded PKI as OpenSSL and keytool see it.

use std::process::Command;

use harness::pki::{KeyType, World, WorldSpec, write_dir};
use tests::{run, run_ok, tool};

fn written(spec: &WorldSpec) -> (World, tempfile::TempDir) {
    let world = World::generate(spec).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_dir(&world, &dir.path().join("pki"), false).unwrap();
    (world, dir)
}

fn attime(world: &World) -> String {
    world.spec().now.unix_timestamp().to_string()
}

#[test]
fn openssl_verifies_the_receiver_and_client_chains_at_now() {
    let Some(openssl) = tool("openssl") else {
        return;
    };
    for key_type in [KeyType::P256, KeyType::P384, KeyType::Rsa2048] {
        let (world, dir) = written(&WorldSpec::new(11).key_type(key_type));
        let pki = dir.path().join("pki");
        let f = |name: &str| pki.join(name);
        let verify = |root: &str, untrusted: &[&str], leaf: &str| {
            let mut cmd = Command::new(&openssl);
            cmd.args(["verify", "-attime", &attime(&world), "-CAfile"])
                .arg(f(root));
            for u in untrusted {
                cmd.arg("-untrusted").arg(f(u));
            }
            cmd.arg(f(leaf));
            run(&mut cmd)
        };
        for (root, untrusted, leaf) in [
            (
                "receiver-root.cert.pem",
                &["receiver-intermediate.cert.pem"][..],
                "server.cert.pem",
            ),
            (
                "client-root.cert.pem",
                &["client-intermediate.cert.pem"][..],
                "client.cert.pem",
            ),
            (
                "receiver-root.cert.pem",
                &[
                    "receiver-intermediate.cert.pem",
                    "receiver-intermediate2.cert.pem",
                ][..],
                "server-two-intermediates.cert.pem",
            ),
            (
                "server-self-signed.cert.pem",
                &[][..],
                "server-self-signed.cert.pem",
            ),
        ] {
            let out = verify(root, untrusted, leaf);
            assert!(
                out.status.success(),
                "{key_type}: openssl verify {leaf}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for (leaf, reason) in [
            ("server-expired.cert.pem", "certificate has expired"),
            (
                "server-not-yet-valid.cert.pem",
                "certificate is not yet valid",
            ),
        ] {
            let out = verify(
                "receiver-root.cert.pem",
                &["receiver-intermediate.cert.pem"],
                leaf,
            );
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{leaf} must fail");
            assert!(text.contains(reason), "{leaf}: {text}");
        }
        let out = verify(
            "receiver-root.cert.pem",
            &["intermediate-not-ca.cert.pem"],
            "server-under-not-ca.cert.pem",
        );
        assert!(
            !out.status.success(),
            "an intermediate without cA=true must not verify"
        );
        let out = verify("receiver-root.cert.pem", &[], "server.cert.pem");
        assert!(
            !out.status.success(),
            "leaf without its intermediate must not verify"
        );
    }
}

#[test]
fn openssl_shows_the_intended_extensions() {
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let (_world, dir) = written(&WorldSpec::new(12));
    let text = |name: &str| {
        run_ok(
            Command::new(&openssl)
                .args(["x509", "-noout", "-text", "-in"])
                .arg(dir.path().join("pki").join(name)),
        )
    };
    let server = text("server.cert.pem");
    assert!(
        server.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"),
        "{server}"
    );
    assert!(server.contains("TLS Web Server Authentication"), "{server}");
    assert!(server.contains("Digital Signature"), "{server}");
    assert!(
        server.contains("X509v3 Authority Key Identifier"),
        "{server}"
    );
    let root = text("receiver-root.cert.pem");
    assert!(root.contains("CA:TRUE"), "{root}");
    assert!(root.contains("Certificate Sign, CRL Sign"), "{root}");
    let not_ca = text("intermediate-not-ca.cert.pem");
    assert!(not_ca.contains("CA:FALSE"), "{not_ca}");
    let cn_only = text("server-cn-only.cert.pem");
    assert!(!cn_only.contains("Subject Alternative Name"), "{cn_only}");
    assert!(
        cn_only.contains("CN = localhost") || cn_only.contains("CN=localhost"),
        "{cn_only}"
    );
    let client = text("client.cert.pem");
    assert!(client.contains("TLS Web Client Authentication"), "{client}");
    let wrong = text("server-wrong-eku.cert.pem");
    assert!(wrong.contains("E-mail Protection"), "{wrong}");
    let own = text("server-self-signed.cert.pem");
    assert!(
        !own.contains("CA:TRUE"),
        "a self-signed server certificate is not a CA: {own}"
    );
}

#[test]
fn keytool_prints_every_certificate() {
    let Some(keytool) = tool("keytool") else {
        return;
    };
    let (world, dir) = written(&WorldSpec::new(13).key_type(KeyType::Rsa2048));
    for (role, issued) in world.iter() {
        for ext in ["der", "pem"] {
            let out = run_ok(
                Command::new(&keytool)
                    .args(["-printcert", "-file"])
                    .arg(dir.path().join("pki").join(format!("{role}.cert.{ext}"))),
            );
            let info = harness::cert::CertInfo::from_der(issued.cert()).unwrap();
            assert!(
                out.contains(&format!("Owner: {}", info.subject)),
                "{role}: {out}"
            );
            assert!(
                out.contains(&format!("SHA256: {}", info.sha256)),
                "{role}: {out}"
            );
        }
    }
}
