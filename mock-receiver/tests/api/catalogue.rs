//! `mock-receiver serve --all`: every endpoint of the catalogue answers CPI's connectivity
//! test (`harness::connect::run`, the engine behind `harness connect`) exactly as the ready
//! line announces, with the seeded tenant keystore with and without the receiver's root; the
//! landing page renders in headless Chromium without console errors, one link per endpoint.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::connect::{ClientCertificate, Clock, Options, Policy, Target, TrustSource};
use harness::keystore::{Keystore, Passwords};
use harness::secret::Password;
use serde_json::Value;

use crate::cli::{Running, first_line};

/// A fixed simulated start, so the seeded PKI and every validity check agree.
const NOW: &str = "2026-01-15T12:00:00Z";

fn serve_all(pki: &Path) -> (Running, Value) {
    let (child, line) = first_line(&[
        "serve",
        "--all",
        "--json",
        "--log",
        "off",
        "--now",
        NOW,
        "--pki-dir",
        pki.to_str().unwrap(),
    ]);
    let ready: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line `{line}`: {e}"));
    assert_eq!(ready["event"], "ready", "{line}");
    (child, ready)
}

fn tenant_keystore(path: &str, storepass: &str) -> TrustSource {
    let password = std::fs::read_to_string(storepass).unwrap();
    let passwords = Passwords::new(Password::new(password.trim_end()));
    let store = Keystore::read_file(Path::new(path), &passwords).unwrap();
    TrustSource::from_keystore(&store, &passwords, path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_gives_the_announced_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let (_child, ready) = serve_all(&dir.path().join("pki"));
    let receivers = ready["receivers"].as_array().unwrap().clone();
    assert!(receivers.len() >= 30, "{} endpoints", receivers.len());
    let keystores = &ready["tenant_keystores"];
    let storepass = keystores["storepass_file"].as_str().unwrap();
    let sources = [
        (
            "with_root",
            tenant_keystore(keystores["with_root"].as_str().unwrap(), storepass),
        ),
        (
            "without_root",
            tenant_keystore(keystores["without_root"].as_str().unwrap(), storepass),
        ),
    ];
    let now = harness::time::parse_rfc3339(NOW).unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for receiver in &receivers {
        for (key, source) in &sources {
            let key: &'static str = key;
            let name = receiver["name"].as_str().unwrap().to_owned();
            let address: std::net::SocketAddr =
                receiver["address"].as_str().unwrap().parse().unwrap();
            let expected = receiver["expected"][key].clone();
            let command = receiver["connect"][key].as_str().unwrap().to_owned();
            // What the announced command asks for: localhost, the alias chosen by the CA
            // names; a short timeout where the fault's outcome is a timeout.
            assert!(
                command.starts_with(&format!("harness connect localhost:{} ", address.port()))
                    && command.ends_with(" --client-cert"),
                "{command}"
            );
            let waits = command.contains("--timeout 5");
            let mut options = Options::new(Target::new("localhost", address.port()).unwrap())
                .timeouts(Duration::from_secs(if waits { 5 } else { 30 }));
            options.client_certificate = ClientCertificate::Automatic(Policy::FirstFitting);
            options.clock = Clock::from_flag(Some(now));
            let source = source.clone();
            tasks.spawn(async move {
                let outcome = harness::connect::run(&options, &source).await.unwrap();
                let got = serde_json::json!({
                    "class": outcome.class(),
                    "http_status": outcome.http_status,
                    "client_certificate_used": outcome.client_certificate.used,
                });
                (name, key, expected, got)
            });
        }
    }
    let mut mismatches = Vec::new();
    let mut checked = 0;
    while let Some(joined) = tasks.join_next().await {
        let (name, key, expected, got) = joined.unwrap();
        checked += 1;
        // Exactly the announcement: `harness::pkix` builds the path before it judges the
        // certificates, as JDK 17 does (the seven rustls-webpki exceptions are gone).
        if expected != got {
            mismatches.push(format!("{name} {key}: announced {expected}, got {got}"));
        }
    }
    assert_eq!(checked, receivers.len() * 2);
    mismatches.sort();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn ready_line_describes_every_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (_child, ready) = serve_all(&dir.path().join("pki"));
    let receivers = ready["receivers"].as_array().unwrap();
    let mut names: Vec<&str> = receivers
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), receivers.len(), "names are unique");
    for receiver in receivers {
        for field in [
            "address",
            "sends",
            "client_must_trust",
            "client_certificate",
            "journal",
        ] {
            assert!(receiver[field].is_string(), "{field}: {receiver}");
        }
        for key in ["with_root", "without_root"] {
            assert!(receiver["expected"][key]["class"].is_string(), "{receiver}");
        }
    }
    let modes: Vec<&str> = receivers
        .iter()
        .map(|r| r["client_certificate"].as_str().unwrap())
        .collect();
    for mode in ["none", "optional", "required"] {
        assert!(modes.contains(&mode), "{mode}");
    }
    let mut faults: Vec<&str> = receivers
        .iter()
        .filter_map(|r| r["fault"].as_str())
        .collect();
    faults.sort_unstable();
    faults.dedup();
    assert!(faults.len() >= 5, "{faults:?}");
    // The PKI directory holds the served chains and the tenant keystores.
    let pki = PathBuf::from(ready["pki_dir"].as_str().unwrap());
    assert!(pki.join("served-leaf-only.chain.pem").is_file());
    assert!(pki.join("tenant-with-root.p12").is_file());
    // One connection to the plain-HTTP endpoint shows in its card's journal.
    let plain = receivers
        .iter()
        .find(|r| r["name"] == "plain-http")
        .unwrap();
    let mut tcp = std::net::TcpStream::connect(plain["address"].as_str().unwrap()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    std::io::Write::write_all(&mut tcp, b"\x16\x03\x01 not really a ClientHello").unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // The landing page, as served (Chromium renders it in the test below).
    let page = http_get(ready["landing_page"].as_str().unwrap());
    assert_eq!(
        page.matches("class=\"endpoint-link\"").count(),
        receivers.len()
    );
    assert!(page.contains(", fault plain-http</li>"), "{page}");
}

/// Chromium, or `None` with a printed reason; under `CI=true` its absence fails the test.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    });
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    match found {
        Some(path) => Some(path),
        None if in_ci => panic!("`chromium` is required under CI=true but is not on PATH"),
        None => {
            eprintln!("skipped: `chromium` is not on PATH (apt-get install -y chromium)");
            None
        }
    }
}

/// Loads `url` in headless Chromium: the DOM after load, and the console messages of level
/// error that Chromium logged on stderr.
fn load(chromium: &Path, url: &str) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish loading {url} in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (dom, log) = (out.join().unwrap(), err.join().unwrap());
    // Chromium logs console messages as `[...:CONSOLE(line)] "text", source: ...`, with the
    // level in the prefix (`INFO:CONSOLE` for console.log, `ERROR:CONSOLE` and so on) in some
    // versions and not in others: every console message and every failed load counts.
    let errors = log
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Uncaught")
                || l.contains("Failed to load resource")
        })
        .map(str::to_owned)
        .collect();
    (dom, errors)
}

#[test]
fn landing_page_renders_in_chromium_with_one_link_per_endpoint() {
    let Some(chromium) = chromium() else {
        return;
    };
    // The check can fail: a page with a console error is caught.
    let scratch = tempfile::tempdir().unwrap();
    let canary_page = scratch.path().join("canary.html");
    std::fs::write(
        &canary_page,
        "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head><body>\
         <p>canary</p><script>console.error(\"canary-error\")</script></body></html>",
    )
    .unwrap();
    let (_, canary) = load(&chromium, &format!("file://{}", canary_page.display()));
    assert!(
        canary.iter().any(|l| l.contains("canary-error")),
        "a console error was not seen on stderr: {canary:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (_child, ready) = serve_all(&dir.path().join("pki"));
    let receivers = ready["receivers"].as_array().unwrap();
    let url = ready["landing_page"].as_str().unwrap();
    let (dom, errors) = load(&chromium, url);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    assert!(dom.contains("<h1>mock-receiver</h1>"), "{dom}");
    let links = dom.matches("class=\"endpoint-link\"").count();
    assert_eq!(links, receivers.len(), "one link per endpoint");
    for receiver in receivers {
        let name = receiver["name"].as_str().unwrap();
        let href = format!("href=\"/__admin/journal/{name}\"");
        assert_eq!(dom.matches(&href).count(), 1, "{name}");
        let command = receiver["connect"]["with_root"].as_str().unwrap();
        assert!(dom.contains(command), "{name}: {command}");
    }
    // Each link answers that endpoint's journal.
    let first = receivers[0]["journal"].as_str().unwrap();
    let body = http_get(first);
    let journal: Value = serde_json::from_str(&body).unwrap();
    assert!(journal["connections"].is_array(), "{body}");
}

/// A plain HTTP GET on loopback, bounded by a timeout: the body.
fn http_get(url: &str) -> String {
    use std::io::Write;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut tcp = std::net::TcpStream::connect(host).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        tcp,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}
