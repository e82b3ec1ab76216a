//! A real `openssl s_server` on a port the kernel picks, for the interop tests that need one
//! (capture, key managers, failure classes): one copy of the start-up and the port reading.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `openssl s_server -www`, killed when dropped.
pub(crate) struct SServer {
    child: Child,
    /// The port it accepts on (127.0.0.1).
    pub(crate) port: u16,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server -accept 127.0.0.1:0 -www -cert CERT -key KEY EXTRA...` in `dir`
/// (`KEY` is `CERT` with `.pem` replaced by `.key`) and waits up to 10 s for the port its
/// `ACCEPT` line names.
pub(crate) fn start(openssl: &Path, dir: &Path, cert: &str, extra: &[&str]) -> SServer {
    let mut child = Command::new(openssl)
        .current_dir(dir)
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-www",
            "-cert",
            cert,
            "-key",
        ])
        .arg(format!("{}.key", cert.trim_end_matches(".pem")))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("ACCEPT ") {
                let _ = tx.send(addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()));
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(10))
        .ok()
        .flatten()
        .expect("s_server prints its ACCEPT line");
    SServer { child, port }
}
