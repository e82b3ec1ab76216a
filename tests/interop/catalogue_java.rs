//! The outcomes `mock-receiver serve --all` announces, checked against the real JDK 17: every
//! endpoint of `mock_receiver::catalogue`, started in-process, is tested by
//! `java/ConnectProbe.java` (JSSE, PKIX, HTTPS endpoint identification, SunX509 key manager
//! choosing by the CA names) with the seeded tenant keystore with and without the receiver's
//! root. Java's success, HTTP status and "client certificate used" must equal the announced
//! ones, and for a failure the announced class must be among the classes `harness explain`
//! reads from Java's exception text.
//!
//! Java validates at the wall clock, so the world is generated around the test's start.

use std::fmt::Write as _;
use std::time::Duration;

use harness::pki::{Role, World, WorldSpec};
use mock_receiver::catalogue::{CLIENT_ALIAS, TenantKeystore, catalogue};

use crate::connect_java::{compile_probe, run_probe};

#[test]
fn announced_outcomes_agree_with_jdk17() {
    let (Some(java), Some(javac)) = (tests::tool("java"), tests::tool("javac")) else {
        return;
    };
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let world = World::generate(&WorldSpec::new(1).now(now)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("receiver-root.pem");
    std::fs::write(
        &root,
        harness::cert::certs_to_pem(&[world.get(Role::ReceiverRoot).cert().clone()]),
    )
    .unwrap();
    let client = world.get(Role::Client);
    let key = dir.path().join("client.key.pem");
    std::fs::write(&key, client.key().private_key().secret_pkcs8_pem()).unwrap();
    let chain = dir.path().join("client.chain.pem");
    std::fs::write(&chain, harness::cert::certs_to_pem(&client.full_chain())).unwrap();
    let keys = format!("{CLIENT_ALIAS}={}:{}", key.display(), chain.display());

    let endpoints = catalogue();
    let mut running = Vec::new();
    let mut lines = String::new();
    for endpoint in &endpoints {
        let spec = endpoint.spec(&world).unwrap();
        let receiver = rt.block_on(mock_receiver::Receiver::start(spec)).unwrap();
        let timeout = if endpoint.fault.is_some_and(mock_receiver::Fault::waits) {
            3000
        } else {
            20000
        };
        for keystore in TenantKeystore::ALL {
            let trust = match keystore {
                TenantKeystore::WithRoot => root.display().to_string(),
                TenantKeystore::WithoutRoot => "-".to_owned(),
            };
            writeln!(
                lines,
                "{}/{}\tlocalhost\t{}\t1\tauto\tTLSv1.3\t{timeout}\t{trust}\t{keys}",
                endpoint.name,
                keystore.name(),
                receiver.addr().port()
            )
            .unwrap();
        }
        running.push(receiver);
    }
    let cases = dir.path().join("cases.tsv");
    std::fs::write(&cases, &lines).unwrap();
    // The receivers keep serving on the runtime's workers while the JVM runs.
    let classes = compile_probe(&javac, None, dir.path());
    let results = run_probe(&java, &classes, &cases);
    assert_eq!(
        results.len(),
        endpoints.len() * 2,
        "the probe answers every case"
    );

    let mut disagreements = Vec::new();
    let mut results = results.into_iter();
    for endpoint in &endpoints {
        for keystore in TenantKeystore::ALL {
            let (id, java) = results.next().unwrap();
            assert_eq!(id, format!("{}/{}", endpoint.name, keystore.name()));
            let expected = endpoint.expected(keystore, true);
            let mut problems = Vec::new();
            if java.used != expected.client_certificate_used {
                problems.push(format!("client certificate used: java {}", java.used));
            }
            if java.success {
                let unauthorized = matches!(java.status, Some(401 | 403));
                let class = if unauthorized {
                    "http-unauthorized"
                } else {
                    "success"
                };
                if class != expected.class() || java.status != expected.http_status {
                    problems.push(format!("java: {class}, HTTP {:?}", java.status));
                }
            } else {
                let explained = harness::explain::explain(java.text.as_bytes());
                let classes: Vec<&str> =
                    explained.candidates.iter().map(|c| c.class.id()).collect();
                if expected.failure.is_none() || !classes.contains(&expected.class()) {
                    problems.push(format!("java: `{}` (read as {classes:?})", java.text));
                }
            }
            if !problems.is_empty() {
                disagreements.push(format!(
                    "{id}: announced {expected}; {}",
                    problems.join("; ")
                ));
            }
        }
    }
    for receiver in running {
        let _ = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), receiver.shutdown()).await
        });
    }
    assert!(
        disagreements.is_empty(),
        "announced outcomes that JDK 17 does not show:\n{}",
        disagreements.join("\n")
    );
}
