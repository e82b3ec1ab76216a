//! `harness capture` against real `openssl s_server` receivers made from openssl material at
//! test time: for each receiver and each keystore (trusting the root, the intermediate,
//! nothing), the outcome of the connectivity test against the real server equals the outcome
//! of `scenarios run` on the capture once the real server is stopped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::capture::Capture;
use harness::connect::{ClientCertificate, Clock, Options, Policy, Target, TrustSource};
use harness::keystore::{Keystore, Passwords};
use harness::secret::Password;
use scenarios::runner::{Input, RunOptions};
use tests::openssl_ca::{KeyKind, OpensslCa};
use tests::run_ok;

/// Root -> intermediate -> server (localhost, 127.0.0.1), a wrong-host server, a self-signed
/// server, a client root -> client, and a stranger root (a foreign CA name). RSA and EC
/// mixed, so twins keep key types.
fn make_pki(openssl: &Path, dir: &Path) {
    let ca = OpensslCa::new(openssl, dir);
    ca.ext(
        "ca.ext",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    );
    ca.ext(
        "server.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    );
    ca.ext(
        "wrong.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:elsewhere.invalid\n",
    );
    ca.ext(
        "client.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
    let (rsa, ec) = (KeyKind::Rsa2048, KeyKind::P256);
    ca.root(
        "root",
        "/O=Real Receiver AG/CN=Real Root CA",
        "ca.ext",
        "4097",
        rsa,
    );
    let int = "/O=Real Receiver AG/CN=Real Intermediate CA";
    ca.issue("int", int, "root", "ca.ext", "4098", ec);
    let server = "/O=Real Receiver AG/CN=localhost";
    ca.issue("server", server, "int", "server.ext", "4099", rsa);
    let wrong = "/O=Real Receiver AG/CN=elsewhere.invalid";
    ca.issue("wrong", wrong, "int", "wrong.ext", "4100", ec);
    ca.root(
        "own",
        "/O=Real Receiver AG/CN=localhost",
        "server.ext",
        "4101",
        ec,
    );
    let croot = "/O=Real Tenant AG/CN=Real Client Root CA";
    ca.root("croot", croot, "ca.ext", "4102", ec);
    let client = "/O=Real Tenant AG/CN=real-client";
    ca.issue("client", client, "croot", "client.ext", "4103", ec);
    let stranger = "/O=Real Stranger/CN=Stranger Root CA";
    ca.root("stranger", stranger, "ca.ext", "4104", ec);
    ca.cat("int.root.pem", &["int.pem", "root.pem"]);
    ca.cat("int.int.pem", &["int.pem", "int.pem"]);
    ca.cat(
        "client.bundle.pem",
        &["client.key", "client.pem", "croot.pem"],
    );
}

fn keystore(dir: &Path, trusted: &[&str], with_key_pair: bool) -> TrustSource {
    let passwords = Passwords::new(Password::new(""));
    let mut trust = TrustSource::new("openssl keystore");
    for t in trusted {
        let store = Keystore::read_file(&dir.join(t), &passwords).unwrap();
        let (_, cert) = store.trusted_certificates().next().unwrap();
        trust = trust.with_trusted(t.trim_end_matches(".pem"), cert.clone());
    }
    if with_key_pair {
        let store = Keystore::read_file(&dir.join("client.bundle.pem"), &passwords).unwrap();
        let (_, key, chain) = store.key_pairs().next().unwrap();
        let key = key.unlock(&passwords.store, "client").unwrap();
        trust = trust.with_key_pair("cpi_client", chain.to_vec(), key);
    }
    trust
}

#[test]
fn captured_receivers_replay_offline_with_the_same_outcome() {
    let Some(openssl) = tests::tool("openssl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().to_owned();
    make_pki(&openssl, &dir);
    let wall = time::OffsetDateTime::now_utc();
    let verify_required: &[&str] = &[
        "-Verify",
        "2",
        "-verify_return_error",
        "-CAfile",
        "croot.pem",
    ];
    // (id, server certificate, s_server flags, days from now the test is run at)
    let receivers: Vec<(&str, &str, Vec<&str>, i64)> = vec![
        ("leaf-only", "server.pem", vec![], 0),
        (
            "leaf-intermediate",
            "server.pem",
            vec!["-cert_chain", "int.pem"],
            0,
        ),
        (
            "full-chain",
            "server.pem",
            vec!["-cert_chain", "int.root.pem"],
            0,
        ),
        (
            "duplicate-intermediate",
            "server.pem",
            vec!["-cert_chain", "int.int.pem"],
            0,
        ),
        ("self-signed", "own.pem", vec![], 0),
        (
            "expired",
            "server.pem",
            vec!["-cert_chain", "int.root.pem"],
            30,
        ),
        ("wrong-host", "wrong.pem", vec!["-cert_chain", "int.pem"], 0),
        (
            "tls12-only",
            "server.pem",
            vec!["-cert_chain", "int.pem", "-tls1_2"],
            0,
        ),
        (
            "tls13-only",
            "server.pem",
            vec!["-cert_chain", "int.pem", "-tls1_3"],
            0,
        ),
        // Legacy receivers, now that the client sends Java's ClientHello: a TLS 1.2 CBC-only
        // and an RSA-key-exchange-only receiver (Java succeeds), and a TLS 1.0-only one (JDK
        // 17 disables TLS 1.0: protocol-mismatch); the twin replays them (`legacy = {...}`).
        (
            "legacy-cbc-only",
            "server.pem",
            vec![
                "-cert_chain",
                "int.pem",
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-AES256-SHA384",
            ],
            0,
        ),
        (
            "legacy-rsa-kx-only",
            "server.pem",
            vec![
                "-cert_chain",
                "int.pem",
                "-tls1_2",
                "-cipher",
                "AES256-GCM-SHA384",
            ],
            0,
        ),
        (
            "legacy-tls10-only",
            "server.pem",
            vec![
                "-cert_chain",
                "int.pem",
                "-tls1",
                "-cipher",
                "DEFAULT:@SECLEVEL=0",
            ],
            0,
        ),
        (
            "client-required-client-root",
            "server.pem",
            [&["-cert_chain", "int.pem"], verify_required].concat(),
            0,
        ),
        (
            "client-required-foreign",
            "server.pem",
            vec![
                "-cert_chain",
                "int.pem",
                "-Verify",
                "2",
                "-verify_return_error",
                "-CAfile",
                "stranger.pem",
            ],
            0,
        ),
        (
            "client-optional",
            "server.pem",
            vec![
                "-cert_chain",
                "int.pem",
                "-verify",
                "2",
                "-CAfile",
                "croot.pem",
            ],
            0,
        ),
        (
            "client-required-tls12",
            "server.pem",
            [&["-cert_chain", "int.pem", "-tls1_2"], verify_required].concat(),
            0,
        ),
    ];
    // (id, trusted certificates, key pair)
    let keystores: [(&str, &[&str], bool); 3] = [
        ("root", &["root.pem", "own.pem"], true),
        ("intermediate", &["int.pem"], true),
        ("nothing", &[], false),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = dir.join("captures");
    let capture_started = std::time::Instant::now();
    let mut cases = Vec::new();
    for (id, cert, flags, days) in &receivers {
        let server = crate::s_server::start(&openssl, &dir, cert, flags);
        for (ks_id, trusted, key_pair) in &keystores {
            let trust = keystore(&dir, trusted, *key_pair);
            let mut options = Options::new(Target::new("localhost", server.port).unwrap())
                .timeouts(Duration::from_secs(10));
            options.client_certificate = ClientCertificate::Automatic(Policy::FirstFitting);
            let at = wall + time::Duration::days(*days);
            options.clock = Clock::Fixed(at);
            // What `harness connect` says against the real server.
            let real = rt
                .block_on(harness::connect::run(&options, &trust))
                .unwrap();
            let probes = rt
                .block_on(harness::capture::probe(&options, &trust))
                .unwrap();
            assert!(
                probes.handshakes <= 20,
                "{id}: {} handshakes",
                probes.handshakes
            );
            let name = format!("{id}-{ks_id}");
            let capture = Capture {
                probes,
                options: options.clone(),
                trust: &trust,
                name: name.clone(),
                anonymize: *ks_id == "intermediate",
                captured_at: at,
            };
            let written = capture.write(&out.join(&name), false).unwrap();
            // Nothing secret: no private key of the keystore or the server is in the output.
            for file in &written.files {
                let bytes = std::fs::read(written.dir.join(file)).unwrap();
                for secret in ["client.key", "server.key", "own.key", "wrong.key"] {
                    let pem = std::fs::read_to_string(dir.join(secret)).unwrap();
                    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
                    let text = String::from_utf8_lossy(&bytes).replace('\n', "");
                    assert!(
                        !text.contains(&body[100..160]),
                        "{name}: {file} holds {secret}"
                    );
                }
            }
            cases.push((
                name,
                real.class().to_owned(),
                real.client_certificate.used,
                written.scenario,
            ));
        }
        drop(server);
    }
    eprintln!(
        "{} captures in {:?}",
        cases.len(),
        capture_started.elapsed()
    );
    // The real servers are stopped: replay every capture offline.
    let inputs = cases
        .iter()
        .map(|(_, _, _, path)| Input::Loaded(Box::new(scenarios::load_file(path).unwrap())))
        .collect();
    let options = RunOptions {
        jobs: 2,
        // The tenant keystore's sealing cost is not what this test is about.
        jceks_iterations: Some(1000),
        ..RunOptions::default()
    };
    let replay_started = std::time::Instant::now();
    let report = scenarios::runner::run(inputs, &options).unwrap();
    eprintln!("{} replays in {:?}", cases.len(), replay_started.elapsed());
    let mut failures = Vec::new();
    let mut classes = std::collections::BTreeSet::new();
    for ((name, class, used, _), scenario) in cases.iter().zip(&report.scenarios) {
        let step = scenario.steps.last();
        let observed = |field: &str| {
            step.and_then(|s| s.checks.iter().find(|c| c.field == field))
                .map(|c| c.observed.clone())
                .unwrap_or_else(|| format!("({field} not checked: {:?})", scenario.error))
        };
        let (o_class, o_used) = (observed("outcome"), observed("client_certificate_used"));
        classes.insert(class.clone());
        // Every expectation of the capture (chain length and HTTP status included) holds.
        if scenario.status != scenarios::report::Status::Met {
            let unmet: Vec<String> = scenario
                .steps
                .iter()
                .flat_map(|s| s.checks.iter().filter(|c| !c.met))
                .map(|c| {
                    format!(
                        "{}: expected {}, observed {}",
                        c.field, c.expected, c.observed
                    )
                })
                .collect();
            failures.push(format!(
                "{name}: {:?} {:?} {unmet:?}",
                scenario.status, scenario.error
            ));
        }
        let used_text = if *used { "YES" } else { "NO" };
        if o_class != *class || o_used != used_text {
            failures.push(format!(
                "{name}: real {class}/used {used}, replay {o_class}/used {o_used}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "replays differ:\n{}",
        failures.join("\n")
    );
    // The matrix is not trivial: it covers success and several failure classes.
    for expected in [
        "success",
        "unknown-issuer",
        "expired",
        "name-mismatch",
        "client-cert-required",
    ] {
        assert!(
            classes.contains(expected),
            "no case gave {expected}: {classes:?}"
        );
    }
}

#[test]
fn nothing_is_written_for_an_unreachable_or_non_tls_host() {
    let harness_bin = tests::bin("harness");
    let tmp = tempfile::tempdir().unwrap();
    // A port with nothing listening: bind, note the port, close.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    // A plain HTTP server.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in plain.incoming().take(8) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 512];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    for (port, class) in [(closed_port, "connection-refused"), (plain_port, "not-tls")] {
        let out_dir = tmp.path().join(format!("out-{port}"));
        let out = tests::run(
            Command::new(&harness_bin)
                .args([
                    "capture",
                    &format!("127.0.0.1:{port}"),
                    "--timeout",
                    "5",
                    "--out",
                ])
                .arg(&out_dir),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{class}: {stdout}");
        assert!(stdout.contains(class), "{class}: {stdout}");
        assert!(
            !out_dir.exists(),
            "{class}: {} was written",
            out_dir.display()
        );
        // `harness connect` says the same class.
        let connect = tests::run(Command::new(&harness_bin).args([
            "connect",
            &format!("127.0.0.1:{port}"),
            "--timeout",
            "5",
        ]));
        assert_eq!(connect.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&connect.stdout).contains(class));
    }
}

#[test]
fn the_command_line_counts_its_handshakes_and_replays() {
    let Some(openssl) = tests::tool("openssl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    make_pki(&openssl, &dir);
    let server = crate::s_server::start(
        &openssl,
        &dir,
        "server.pem",
        &[
            "-cert_chain",
            "int.pem",
            "-Verify",
            "2",
            "-verify_return_error",
            "-CAfile",
            "croot.pem",
        ],
    );
    std::fs::write(dir.join("pass"), "\n").unwrap();
    let out_dir = dir.join("cap");
    let stdout = run_ok(
        Command::new(tests::bin("harness"))
            .args([
                "capture",
                &format!("localhost:{}", server.port),
                "--client-cert",
                "--anonymize",
                "--keystore",
            ])
            .arg(dir.join("client.bundle.pem"))
            .arg("--out")
            .arg(&out_dir),
    );
    drop(server);
    assert!(stdout.contains(" handshakes"), "{stdout}");
    let handshakes: usize = stdout
        .split(" handshakes")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((3..=20).contains(&handshakes), "{stdout}");
    // Anonymized: no organisation of the real chain in the twin's names or the scenario,
    // and the twin keeps the chain's shape.
    let twin = harness::keystore::read_certificates(
        &out_dir.join("twin-chain.pem"),
        &Passwords::new(Password::new("")),
    )
    .unwrap();
    assert_eq!(twin.len(), 2);
    for cert in &twin {
        let info = harness::cert::CertInfo::from_der(cert).unwrap();
        for text in [&info.subject, &info.issuer] {
            assert!(!text.contains("Real"), "{text}");
            assert!(text.contains("O=Org "), "{text}");
        }
    }
    let scenario = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "toml"))
        .unwrap();
    let text = std::fs::read_to_string(&scenario).unwrap();
    assert!(!text.contains("Real ") && !text.contains("10:03"), "{text}");
    let replay = tests::run(
        Command::new(tests::bin("scenarios"))
            .arg("run")
            .arg(&out_dir),
    );
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stdout)
    );
}

/// An nginx-style receiver (the handshake completes, HTTP answers 400 to a missing or
/// untrusted client certificate) is captured as one, and a receiver whose CA names are empty
/// keeps them empty: played here by the mock receiver, as `openssl s_server` cannot answer
/// HTTP 400.
#[test]
fn http_400_rejection_and_empty_ca_names_are_captured() {
    use harness::pki::{Role, World, WorldSpec};
    use mock_receiver::{
        CaNames, ClientAuth, ClientAuthMode, Receiver, ReceiverSpec, Rejection, TrustProfile,
    };

    let world = World::generate(&WorldSpec::new(11)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let at = harness::time::DEFAULT_NOW;
    let root = world.get(Role::ReceiverRoot).cert().clone();
    let client = world.get(Role::Client);
    let stranger = world.get(Role::UnrelatedClient);
    let mut paths = Vec::new();
    let mut reals = Vec::new();
    for (id, rejection, ca_names) in [
        ("nginx", Rejection::Http400, CaNames::TrustStore),
        ("empty-names", Rejection::TlsAlert, CaNames::Empty),
    ] {
        let spec = ReceiverSpec::profile(&world, TrustProfile::FullChain)
            .unwrap()
            .now(at)
            .client_auth(
                ClientAuth::new(
                    ClientAuthMode::Required,
                    vec![world.get(Role::ClientRoot).cert().clone()],
                )
                .ca_names(ca_names)
                .rejection(rejection),
            );
        let running = rt.block_on(Receiver::start(spec)).unwrap();
        for (ks, pair) in [("client", client), ("stranger", stranger)] {
            let trust = TrustSource::new("mock keystore")
                .with_trusted("root", root.clone())
                .with_key_pair("cpi", pair.full_chain(), pair.key().private_key().clone());
            let mut options =
                Options::new(Target::new("localhost", running.addr().port()).unwrap())
                    .timeouts(Duration::from_secs(10));
            options.client_certificate = ClientCertificate::Automatic(Policy::FirstFitting);
            options.clock = Clock::Fixed(at);
            let real = rt
                .block_on(harness::connect::run(&options, &trust))
                .unwrap();
            let probes = rt
                .block_on(harness::capture::probe(&options, &trust))
                .unwrap();
            let name = format!("{id}-{ks}");
            let capture = Capture {
                probes,
                options,
                trust: &trust,
                name: name.clone(),
                anonymize: false,
                captured_at: at,
            };
            let written = capture.write(&tmp.path().join(&name), false).unwrap();
            let text = std::fs::read_to_string(&written.scenario).unwrap();
            if id == "nginx" {
                assert!(text.contains("rejection = \"http-400\""), "{text}");
            } else {
                assert!(text.contains("ca_names = \"empty\""), "{text}");
            }
            reals.push((
                name,
                real.class().to_owned(),
                real.client_certificate.used,
                real.http_status,
            ));
            paths.push(written.scenario);
        }
        rt.block_on(running.shutdown()).unwrap();
    }
    drop(rt);
    let inputs = paths
        .iter()
        .map(|p| Input::Loaded(Box::new(scenarios::load_file(p).unwrap())))
        .collect();
    let report = scenarios::runner::run(
        inputs,
        &RunOptions {
            jobs: 2,
            jceks_iterations: Some(1000),
            ..RunOptions::default()
        },
    )
    .unwrap();
    for ((name, class, used, status), scenario) in reals.iter().zip(&report.scenarios) {
        assert_eq!(
            scenario.status,
            scenarios::report::Status::Met,
            "{name} (real {class}, used {used}, HTTP {status:?}): {:?}",
            scenario.steps.last().map(|s| &s.checks)
        );
        let observed = |field: &str| {
            scenario
                .steps
                .last()
                .unwrap()
                .checks
                .iter()
                .find(|c| c.field == field)
                .unwrap()
                .observed
                .clone()
        };
        assert_eq!(observed("outcome"), *class, "{name}");
    }
    // The nginx receiver let the stranger's handshake complete and answered 400.
    assert!(
        reals
            .iter()
            .any(|(n, _, _, s)| n == "nginx-stranger" && *s == Some(400)),
        "{reals:?}"
    );
}
