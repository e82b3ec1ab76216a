//! The `mock-receiver serve --legacy-*` flags: an OpenSSL receiver on the wire, and a setting
//! no client could use refused with exit 2 naming the flag.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};

const BIN: &str = env!("CARGO_BIN_EXE_mock-receiver");

/// Kills the child when the test ends; keeps its stdout open till then.
struct Running(
    Child,
    #[allow(dead_code)] BufReader<std::process::ChildStdout>,
);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--now", "2026-06-01T00:00:00Z", "--log", "off"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    (Running(child, reader), line.trim().to_owned())
}

/// One GET over `version` alone; the status line or the handshake error.
fn get(addr: &str, version: SslVersion) -> Result<String, String> {
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_security_level(0);
    b.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
    b.set_min_proto_version(Some(version)).unwrap();
    b.set_max_proto_version(Some(version)).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut tls = b
        .build()
        .connect("localhost", tcp)
        .map_err(|e| e.to_string())?;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer);
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

#[test]
fn legacy_tls_serves_that_version_alone() {
    let (_child, addr) = serve(&["--legacy-tls", "1.1", "--legacy-key", "rsa1024"]);
    assert_eq!(
        get(&addr, SslVersion::TLS1_1).as_deref(),
        Ok("HTTP/1.1 200 OK")
    );
    assert!(get(&addr, SslVersion::TLS1_2).is_err());
}

#[test]
fn a_receiver_no_client_could_use_exits_2_naming_the_flag() {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--legacy-ciphers",
            "rsa-kx-only",
            "--key-type",
            "p256",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("needs an RSA server key"), "{stderr}");
    assert!(stderr.contains("--legacy-*"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let bad = Command::new(BIN)
        .args(["serve", "--legacy-key", "rsa512"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
