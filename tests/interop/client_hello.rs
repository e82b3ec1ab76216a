//! The ClientHello of our connectivity test is JDK 17's: the real JDK and our client each
//! connect to `openssl s_server -trace`, and both offers are compared with the measured table
//! in `harness::connect::engine::hello` (cipher suites in order, groups, signature schemes,
//! versions), plus Java's SNI habit (none for `localhost`, none for an IP literal, the name
//! for a dotted host).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use harness::connect::engine::hello;
use harness::connect::{Clock, Options, Target, TrustSource, Validation};
use tests::run_ok;

/// The tiny Java client: `SSLSocketFactory.getDefault()`, optionally over a socket already
/// connected to 127.0.0.1 with another host name (to see Java's SNI for a dotted name).
const HELLO_JAVA: &str = r#"
import javax.net.ssl.*;
import java.net.Socket;
public class Hello {
  public static void main(String[] a) throws Exception {
    SSLSocketFactory f = (SSLSocketFactory) SSLSocketFactory.getDefault();
    Socket raw = new Socket("127.0.0.1", Integer.parseInt(a[1]));
    SSLSocket s = (SSLSocket) f.createSocket(raw, a[0], Integer.parseInt(a[1]), true);
    try { s.startHandshake(); } catch (Exception e) { }
    s.close();
  }
}
"#;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(openssl: &Path, dir: &Path) -> Self {
        let mut child = Command::new(openssl)
            .current_dir(dir)
            .args([
                "s_server",
                "-accept",
                "127.0.0.1:0",
                "-cert",
                "c.pem",
                "-key",
                "k.pem",
                "-trace",
                "-naccept",
                "1",
                "-www",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let port = loop {
            line.clear();
            let n = out.read_line(&mut line).expect("s_server output");
            assert!(n > 0, "s_server ended before its ACCEPT line");
            if let Some(rest) = line.trim().strip_prefix("ACCEPT 127.0.0.1:") {
                break rest.parse().expect("a port");
            }
        };
        child.stdout = Some(out.into_inner());
        Self { child, port }
    }

    /// The trace, once the one connection is over (`-naccept 1` ends the server).
    fn trace(mut self) -> String {
        let mut text = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = out.read_to_string(&mut text);
        }
        text
    }
}

/// What a ClientHello offered, from `openssl s_server -trace`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Offer {
    suites: Vec<u16>,
    groups: Vec<u16>,
    sigalgs: Vec<u16>,
    versions: Vec<u16>,
    sni: Option<String>,
}

fn parse(trace: &str) -> Offer {
    let mut offer = Offer::default();
    let start = trace
        .find("ClientHello")
        .expect("a ClientHello in the trace");
    let body = &trace[start..];
    let end = body.find("\nSent Record").unwrap_or(body.len());
    let mut section = "";
    let mut sni_bytes: Vec<u8> = Vec::new();
    for line in body[..end].lines() {
        let t = line.trim();
        if t.starts_with("cipher_suites") {
            section = "suites";
            continue;
        }
        if let Some(rest) = t.strip_prefix("extension_type=") {
            section = rest.split('(').next().unwrap_or("");
            continue;
        }
        if t.starts_with("compression_methods") {
            section = "";
            continue;
        }
        let last_paren = || {
            let inner = t.rsplit_once('(')?.1.strip_suffix(')')?;
            match inner.strip_prefix("0x") {
                Some(hex) => u16::from_str_radix(hex, 16).ok(),
                None => inner.parse().ok(),
            }
        };
        match section {
            "suites" => {
                if let Some(rest) = t.strip_prefix('{') {
                    let (pair, _) = rest.split_once('}').unwrap();
                    let (a, b) = pair.split_once(", ").unwrap();
                    let byte =
                        |s: &str| u8::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
                    offer
                        .suites
                        .push(u16::from(byte(a)) << 8 | u16::from(byte(b)));
                }
            }
            "supported_groups" => offer.groups.extend(last_paren()),
            "signature_algorithms" => offer.sigalgs.extend(last_paren()),
            "supported_versions" => offer.versions.extend(last_paren()),
            // A hex dump: `0000 - 00 17 00 00 14 72 65 63-65 ...   .....rec`.
            "server_name" => {
                if let Some((_, rest)) = t.split_once(" - ") {
                    let hex = rest.split("   ").next().unwrap_or("").replace('-', " ");
                    sni_bytes.extend(
                        hex.split_whitespace()
                            .filter_map(|b| u8::from_str_radix(b, 16).ok()),
                    );
                }
            }
            _ => {}
        }
    }
    // server_name_list length (2), name type (1), name length (2), then the name.
    if sni_bytes.len() > 5 {
        offer.sni = Some(String::from_utf8_lossy(&sni_bytes[5..]).into_owned());
    }
    offer
}

fn table() -> Offer {
    let mut suites: Vec<u16> = hello::TLS13_SUITES
        .iter()
        .chain(hello::TLS12_SUITES)
        .map(|s| s.code)
        .collect();
    suites.push(hello::RENEGOTIATION_SCSV);
    Offer {
        suites,
        groups: hello::GROUPS.iter().map(|g| g.0).collect(),
        sigalgs: hello::SIGNATURE_SCHEMES.iter().map(|s| s.0).collect(),
        versions: vec![0x0304, 0x0303],
        sni: None,
    }
}

fn setup(openssl: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run_ok(Command::new(openssl).current_dir(dir.path()).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
        "-subj",
        "/CN=hello",
        "-days",
        "3",
    ]));
    std::fs::write(dir.path().join("Hello.java"), HELLO_JAVA).unwrap();
    dir
}

fn java_offer(java: &Path, openssl: &Path, dir: &Path, host: &str) -> Offer {
    let server = Server::start(openssl, dir);
    let status = Command::new(java)
        .current_dir(dir)
        .args(["Hello.java", host, &server.port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("java runs");
    assert!(status.success(), "the Java client ran");
    parse(&server.trace())
}

fn our_offer(openssl: &Path, dir: &Path, host: &str) -> Offer {
    let server = Server::start(openssl, dir);
    let mut options =
        Options::new(Target::new(host, server.port).unwrap()).timeouts(Duration::from_secs(20));
    options.validation = Validation::dangerous_off();
    options.clock = Clock::System;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = rt
        .block_on(harness::connect::run(&options, &TrustSource::new("none")))
        .unwrap();
    assert!(outcome.succeeded(), "{:?}", outcome.failure);
    assert_eq!(outcome.protocol.as_deref(), Some("TLSv1.3"));
    assert_eq!(outcome.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(outcome.group.as_deref(), Some("x25519"));
    assert_eq!(
        outcome.signature_scheme.as_deref(),
        Some("ecdsa_secp256r1_sha256")
    );
    parse(&server.trace())
}

#[test]
fn jdk17_client_hello_is_the_measured_table_and_ours() {
    let (Some(java), Some(openssl)) = (tests::tool("java"), tests::tool("openssl")) else {
        return;
    };
    let dir = setup(&openssl);
    let expected = table();

    let java_ip = java_offer(&java, &openssl, dir.path(), "127.0.0.1");
    assert_eq!(
        java_ip, expected,
        "JDK 17's ClientHello drifted from the table"
    );
    let java_single = java_offer(&java, &openssl, dir.path(), "localhost");
    assert_eq!(
        java_single.sni, None,
        "Java sends no SNI for a single label"
    );
    let java_dotted = java_offer(&java, &openssl, dir.path(), "receiver.example.com");
    assert_eq!(java_dotted.sni.as_deref(), Some("receiver.example.com"));
    assert_eq!(
        hello::java_sends_sni("receiver.example.com").as_deref(),
        Some("receiver.example.com")
    );

    let ours = our_offer(&openssl, dir.path(), "127.0.0.1");
    assert_eq!(ours, expected, "our ClientHello differs from Java's");
    let ours_single = our_offer(&openssl, dir.path(), "localhost");
    assert_eq!(ours_single.sni, None, "no SNI for `localhost`, as Java");
}

/// A client that trusts any server chain (CPI's "Validate Server Certificate" off), over a
/// socket to 127.0.0.1 sending `host` as SNI when Java sends one; prints `OK` or the
/// exception.
const TRUST_ALL_JAVA: &str = r#"
import javax.net.ssl.*;
import java.net.Socket;
import java.security.cert.X509Certificate;
public class TrustAll {
  public static void main(String[] a) throws Exception {
    TrustManager[] tm = { new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] c, String t) {}
      public void checkServerTrusted(X509Certificate[] c, String t) {}
      public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; } } };
    SSLContext ctx = SSLContext.getInstance("TLS"); ctx.init(null, tm, null);
    Socket raw = new Socket("127.0.0.1", Integer.parseInt(a[1]));
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, a[0], Integer.parseInt(a[1]), true);
    try { s.startHandshake(); System.out.println("OK"); } catch (Exception e) { System.out.println(e); }
  }
}
"#;

fn s_server_with(openssl: &Path, dir: &Path, extra: &[&str]) -> (Child, u16) {
    let mut child = Command::new(openssl)
        .current_dir(dir)
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            "c.pem",
            "-key",
            "k.pem",
            "-naccept",
            "1",
            "-www",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    let port = loop {
        line.clear();
        assert!(
            out.read_line(&mut line).expect("s_server output") > 0,
            "no ACCEPT line"
        );
        if let Some(rest) = line.trim().strip_prefix("ACCEPT 127.0.0.1:") {
            break rest.parse().expect("a port");
        }
    };
    child.stdout = Some(out.into_inner());
    (child, port)
}

/// Java's limits and its `unrecognized_name` habit, each measured against the real JDK and
/// compared with our outcome (class and Java text).
#[test]
fn java_wire_limits_and_unrecognized_name() {
    let (Some(java), Some(openssl)) = (tests::tool("java"), tests::tool("openssl")) else {
        return;
    };
    let dir = setup(&openssl);
    let d = dir.path();
    std::fs::write(d.join("TrustAll.java"), TRUST_ALL_JAVA).unwrap();
    let cert = std::fs::read_to_string(d.join("c.pem")).unwrap();
    std::fs::write(d.join("chain10.pem"), cert.repeat(10)).unwrap();
    std::fs::write(d.join("chain9.pem"), cert.repeat(9)).unwrap();
    // CA names: 260 long names make a CertificateRequest of about 41 KB.
    run_ok(Command::new(&openssl).current_dir(d).args([
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "cak.pem",
    ]));
    let mut cas = String::new();
    for i in 0..260 {
        let subject = format!(
            "/CN=Certificate Authority number {i} of a very large enterprise PKI/O=Some Long Organisation Name Incorporated Worldwide/OU=Unit {i}"
        );
        cas.push_str(&run_ok(Command::new(&openssl).current_dir(d).args([
            "req", "-x509", "-key", "cak.pem", "-subj", &subject, "-days", "3",
        ])));
    }
    std::fs::write(d.join("cas.pem"), cas).unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // (case, s_server options, host Java connects as, expected Java text prefix)
    let cases: [(&str, &[&str], &str, Option<&str>); 6] = [
        (
            "no-suite-java-offers",
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-CAMELLIA256-SHA384"],
            "localhost",
            Some("javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure"),
        ),
        (
            "chain-of-11",
            &["-cert_chain", "chain10.pem"],
            "localhost",
            Some(
                "javax.net.ssl.SSLProtocolException: The certificate chain length (11) exceeds the maximum allowed length (10)",
            ),
        ),
        (
            "chain-of-10",
            &["-cert_chain", "chain9.pem"],
            "localhost",
            None,
        ),
        (
            "ca-names-41k",
            &["-verify", "1", "-CAfile", "cas.pem"],
            "localhost",
            Some("javax.net.ssl.SSLProtocolException: The size of the handshake message"),
        ),
        (
            "unrecognized-name-tls12",
            &[
                "-cert2",
                "c.pem",
                "-key2",
                "k.pem",
                "-servername",
                "other.example.com",
                "-tls1_2",
            ],
            "receiver.example.com",
            Some(
                "javax.net.ssl.SSLHandshakeException: received handshake warning: unrecognized_name",
            ),
        ),
        (
            "unrecognized-name-tls13",
            &[
                "-cert2",
                "c.pem",
                "-key2",
                "k.pem",
                "-servername",
                "other.example.com",
                "-tls1_3",
            ],
            "receiver.example.com",
            None,
        ),
    ];
    for (id, extra, host, expected) in cases {
        let (mut server, port) = s_server_with(&openssl, d, extra);
        let out = run_ok(Command::new(&java).current_dir(d).args([
            "TrustAll.java",
            host,
            &port.to_string(),
        ]));
        let _ = server.kill();
        let _ = server.wait();
        let java_text = out.trim().to_owned();
        match expected {
            Some(prefix) => assert!(
                java_text.starts_with(prefix),
                "{id}: Java said `{java_text}`"
            ),
            None => assert_eq!(java_text, "OK", "{id}"),
        }

        let (mut server, port) = s_server_with(&openssl, d, extra);
        let mut options =
            Options::new(Target::new("127.0.0.1", port).unwrap()).timeouts(Duration::from_secs(20));
        options.validation = Validation::dangerous_off();
        if host.contains('.') {
            options.sni = Some(host.to_owned());
        }
        let outcome = rt
            .block_on(harness::connect::run(&options, &TrustSource::new("none")))
            .unwrap();
        let _ = server.kill();
        let _ = server.wait();
        match expected {
            Some(prefix) => {
                let failure = outcome
                    .failure
                    .as_ref()
                    .unwrap_or_else(|| panic!("{id}: we succeeded"));
                assert!(
                    failure.java_text().starts_with(prefix),
                    "{id}: ours `{}` vs Java `{java_text}`",
                    failure.java_text()
                );
                if id == "no-suite-java-offers" {
                    let evidence = serde_json::to_value(failure).unwrap();
                    assert_eq!(evidence["class"], "protocol-mismatch", "{evidence}");
                    let offered = evidence["evidence"]["offered"].as_array().unwrap();
                    assert!(
                        offered.iter().any(|s| s == "TLS_RSA_WITH_AES_128_CBC_SHA"),
                        "{evidence}"
                    );
                }
            }
            None => assert!(outcome.succeeded(), "{id}: {:?}", outcome.failure),
        }
    }
}
