//! The `mock-receiver` binary: ready line, PKI directory, bad input exits 2.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mock-receiver");

/// Kills the child when the test ends, however it ends; keeps its stdout open till then.
pub(crate) struct Running(
    pub(crate) Child,
    #[expect(
        dead_code,
        reason = "held open so the child never writes to a closed pipe"
    )]
    Option<BufReader<std::process::ChildStdout>>,
);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn first_line(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    (Running(child, Some(reader)), line)
}

fn fails_with_2(args: &[&str], fragments: &[&str]) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for fragment in fragments {
        assert!(
            stderr.contains(fragment),
            "{args:?}: `{fragment}` not in: {stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn prints_the_address_first_and_writes_the_pki() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let (_child, line) = first_line(&[
        "serve",
        "--profile",
        "leaf-only",
        "--pki-dir",
        pki.to_str().unwrap(),
    ]);
    let addr: std::net::SocketAddr = line
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    assert!(addr.ip().is_loopback());
    std::net::TcpStream::connect(addr).unwrap();
    for file in [
        "receiver-root.cert.pem",
        "receiver-root.cert.der",
        "receiver-intermediate.cert.pem",
        "server.cert.pem",
        "server.chain.pem",
        "server.fullchain.pem",
        "index.json",
        "served.chain.pem",
    ] {
        assert!(pki.join(file).is_file(), "{file}");
    }
    // Leaf only: the served chain is the server certificate alone.
    let served = std::fs::read_to_string(pki.join("served.chain.pem")).unwrap();
    let server = std::fs::read_to_string(pki.join("server.cert.pem")).unwrap();
    assert_eq!(served, server);
}

#[test]
fn json_ready_line() {
    // --pki-dir in the test's own temp dir: a killed receiver cannot remove its default one.
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let (_child, line) = first_line(&[
        "serve",
        "--all",
        "--json",
        "--log",
        "off",
        "--pki-dir",
        pki.to_str().unwrap(),
    ]);
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["event"], "ready");
    let receivers = ready["receivers"].as_array().unwrap();
    assert_eq!(receivers.len(), mock_receiver::catalogue::catalogue().len());
    for receiver in receivers {
        if receiver["fault"].is_string() {
            continue;
        }
        let addr: std::net::SocketAddr = receiver["address"].as_str().unwrap().parse().unwrap();
        std::net::TcpStream::connect(addr).unwrap();
    }
}

#[test]
fn all_refuses_single_receiver_flags() {
    fails_with_2(
        &["serve", "--all", "--client-auth", "required"],
        &["--client-auth"],
    );
}

#[test]
fn all_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Running(
        Command::new(BIN)
            .args(["serve", "--all", "--log", "off", "--pki-dir"])
            .arg(dir.path().join("pki"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
        None,
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let header = lines.next().unwrap().unwrap();
    assert!(header.starts_with("endpoint"), "{header}");
    let catalogue = mock_receiver::catalogue::catalogue();
    let rows: Vec<String> = lines.take(catalogue.len()).map(Result::unwrap).collect();
    for (row, endpoint) in rows.iter().zip(&catalogue) {
        assert!(row.starts_with(&format!("{} ", endpoint.name)), "{row}");
        assert!(row.contains("127.0.0.1:"), "{row}");
    }
}

#[test]
fn bad_input_exits_2_naming_the_flag_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let world = crate::support::world();
    harness::pki::write_dir(world, &dir.path().join("pki"), false).unwrap();
    let pki = |name: &str| {
        dir.path()
            .join("pki")
            .join(name)
            .to_str()
            .unwrap()
            .to_owned()
    };
    fails_with_2(
        &["serve", "--profile", "nope"],
        &["--profile", "invalid value 'nope'"],
    );
    fails_with_2(
        &["serve", "--cert", "/nonexistent/cert.pem"],
        &["--cert", "`/nonexistent/cert.pem`"],
    );
    fails_with_2(
        &[
            "serve",
            "--cert",
            &pki("server.cert.pem"),
            "--key",
            &pki("client.key.pem"),
        ],
        &["does not match", "server.cert.pem", "client.key.pem"],
    );
    fails_with_2(
        &["serve", "--cert", &pki("server.cert.pem")],
        &["no private key", "server.cert.pem"],
    );
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, b"not a certificate").unwrap();
    fails_with_2(
        &[
            "serve",
            "--client-auth",
            "required",
            "--trust",
            garbage.to_str().unwrap(),
        ],
        &["--trust", "garbage.pem"],
    );
    fails_with_2(
        &["serve", "--fault", "explode"],
        &["--fault", "unknown fault `explode`"],
    );
    fails_with_2(
        &["serve", "--map-user", "nouser"],
        &["--map-user", "FILE=USER"],
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    fails_with_2(&["serve", "--listen", &addr], &["--listen", &addr]);
    // One spelling across the commands; the older `--password-*` stays a hidden alias.
    for flag in ["--storepass-env", "--password-env"] {
        fails_with_2(
            &["serve", flag, "MOCK_RECEIVER_TEST_UNSET_VARIABLE"],
            &[
                "--storepass-env",
                "`MOCK_RECEIVER_TEST_UNSET_VARIABLE` is not set",
            ],
        );
    }
    for flag in ["--storepass-file", "--password-file"] {
        fails_with_2(
            &["serve", flag, "/nonexistent/password"],
            &["--storepass-file", "`/nonexistent/password`"],
        );
    }
    // A password is never a plain argument: it would show in the process list.
    fails_with_2(&["serve", "--password", "changeit"], &["--password"]);
}

#[test]
fn bring_your_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let world = crate::support::world();
    harness::pki::write_dir(world, &dir.path().join("pki"), false).unwrap();
    let pki = |name: &str| {
        dir.path()
            .join("pki")
            .join(name)
            .to_str()
            .unwrap()
            .to_owned()
    };
    // A PEM with the chain and the key in separate files, and a DER key.
    for key in ["server.key.pem", "server.key.der"] {
        let (_child, line) = first_line(&[
            "serve",
            "--cert",
            &pki("server.chain.pem"),
            "--key",
            &pki(key),
        ]);
        let addr: std::net::SocketAddr = line
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let reply = runtime
            .block_on(crate::support::request(
                addr,
                &crate::support::Client::trusting(&[harness::pki::Role::ReceiverRoot]),
            ))
            .unwrap();
        assert_eq!(reply.status, 200, "{key}");
    }
    // A keystore as --cert: its password comes from a file or an environment variable.
    let client_p12 = pki("client.p12");
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "changeit\n").unwrap();
    let (_child, line) = first_line(&[
        "serve",
        "--cert",
        &client_p12,
        "--password-file",
        password_file.to_str().unwrap(),
    ]);
    assert!(
        line.trim().parse::<std::net::SocketAddr>().is_ok(),
        "{line}"
    );
    let out = Command::new(BIN)
        .args([
            "serve",
            "--cert",
            &client_p12,
            "--password-env",
            "MR_TEST_WRONG",
        ])
        .env("MR_TEST_WRONG", "not-the-password")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong store password"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");
}

/// Client auth, trust files, user mapping, rejection, faults and versions through the flags.
#[test]
fn client_auth_and_mapping_flags() {
    use crate::support::{Client, Failure, request};
    use harness::pki::Role;
    let dir = tempfile::tempdir().unwrap();
    let world = crate::support::world();
    harness::pki::write_dir(world, &dir.path().join("pki"), false).unwrap();
    let pki = |name: &str| {
        dir.path()
            .join("pki")
            .join(name)
            .to_str()
            .unwrap()
            .to_owned()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ask = |args: &[&str], client: Client| {
        // The library world and the test client are at the default "now": the receiver too.
        let mut all = vec!["serve", "--now", "2026-06-01T00:00:00Z"];
        all.extend_from_slice(args);
        let (_child, line) = first_line(&all);
        let addr: std::net::SocketAddr = line
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        runtime.block_on(request(addr, &client))
    };
    let trusting = || Client::trusting(&[Role::ReceiverRoot]);
    let mapped = format!("{}=tech-user", pki("client.cert.der"));
    let subject = harness::cert::CertInfo::from_der(world.get(Role::Client2).cert())
        .unwrap()
        .subject;
    let by_subject = format!("{subject}=second-user");
    let trust_der = pki("client-root.cert.der");
    let required = ["--client-auth", "required", "--trust", trust_der.as_str()];

    let with = |extra: &[&str]| -> Vec<String> {
        required
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>, client: Client| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ask(&refs, client)
    };
    let args = with(&["--map-user", &mapped, "--map-subject", &by_subject]);
    let reply = run(args.clone(), trusting().with_cert(Role::Client)).unwrap();
    assert_eq!(
        (reply.status, reply.json()["user"].clone()),
        (200, "tech-user".into())
    );
    let reply = run(args.clone(), trusting().with_cert(Role::Client2)).unwrap();
    assert_eq!(reply.json()["user"], "second-user");
    let mut strict = args.clone();
    strict.extend(["--unmapped-status".into(), "403".into()]);
    strict.retain(|a| a != "--map-subject" && *a != by_subject);
    let reply = run(strict, trusting().with_cert(Role::Client2)).unwrap();
    assert_eq!(reply.status, 403);
    // Nothing mapped: open without --require-mapping, 401/403 with it.
    let reply = run(with(&[]), trusting().with_cert(Role::Client)).unwrap();
    assert_eq!(reply.status, 200);
    let reply = run(
        with(&["--require-mapping", "--unmapped-status", "403"]),
        trusting().with_cert(Role::Client),
    )
    .unwrap();
    assert_eq!(reply.status, 403);
    let outcome = run(with(&[]), trusting().with_cert(Role::UnrelatedClient));
    assert!(
        matches!(outcome, Err(Failure::Exchange(ref t)) if t.contains("UnknownCA")),
        "{outcome:?}"
    );
    let reply = run(with(&["--rejection", "http400"]), trusting()).unwrap();
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("No required SSL certificate was sent"));
    let reply = run(
        with(&["--ca-names", "empty"]),
        trusting().with_cert(Role::Client),
    )
    .unwrap();
    assert_eq!(reply.hints, Some(vec![]));
    let reply = run(vec!["--tls".into(), "tls12".into()], trusting()).unwrap();
    assert_eq!(reply.json()["protocol"], "TLSv1.2");
    let outcome = run(
        vec!["--fault".into(), "alert:unknown_ca".into()],
        trusting(),
    );
    assert!(
        matches!(outcome, Err(Failure::Handshake(ref t)) if t.contains("UnknownCA")),
        "{outcome:?}"
    );
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let (mut child, line) = first_line(&["serve", "--all", "--json"]);
    assert!(line.contains("\"ready\""), "{line}");
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    let exit = loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(exit.code(), Some(0));
}
