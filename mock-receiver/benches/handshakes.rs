//! Handshakes per second of the `leaf-intermediate` P-256 profile with new TLS 1.3 sessions,
//! the same external client (`openssl s_time -new -tls1_3`) against `mock-receiver` and
//! against `openssl s_server` in one run, and the idle RSS of `mock-receiver serve --all`.
//!
//! Run: `cargo bench -p mock-receiver --bench handshakes` (release build). Knobs:
//! `BENCH_SECONDS` (default 5) per measurement, `BENCH_CLIENTS` (default 2) parallel
//! `s_time` processes, so a multi-threaded server can use both cores.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mock-receiver");

/// Kills a child process when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: `openssl` is not on PATH");
        return;
    }
    let seconds: u32 = env_or("BENCH_SECONDS", 5);
    let clients: u32 = env_or("BENCH_CLIENTS", 2);
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = dir.path().join("pki");

    let (receiver, receiver_addr) = spawn_first_line(
        Command::new(BIN).args([
            "serve",
            "--profile",
            "leaf-intermediate",
            "--pki-dir",
            pki.to_str().expect("utf-8 temp path"),
        ]),
        |line| Some(line.trim().to_owned()),
    );
    let file = |name: &str| pki.join(name).to_str().expect("utf-8").to_owned();
    let (s_server, s_server_addr) = spawn_first_line(
        Command::new("openssl").args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            &file("server.cert.pem"),
            "-key",
            &file("server.key.pem"),
            "-cert_chain",
            &file("receiver-intermediate.cert.pem"),
            "-naccept",
            "1000000",
        ]),
        |line| line.strip_prefix("ACCEPT ").map(str::to_owned),
    );

    let root = file("receiver-root.cert.pem");
    let ours = handshakes_per_second(&receiver_addr, &root, seconds, clients);
    let theirs = handshakes_per_second(&s_server_addr, &root, seconds, clients);
    drop((receiver, s_server));

    println!(
        "new TLS 1.3 handshakes/s, leaf-intermediate P-256, {clients} x `openssl s_time -new`, {seconds} s each:"
    );
    println!("  mock-receiver    {ours:>8.0}");
    println!("  openssl s_server {theirs:>8.0}");
    println!(
        "  ratio            {:>8.2}x (goal >= 1.5x)",
        ours / theirs.max(1.0)
    );

    let (all, _) = spawn_first_line(Command::new(BIN).args(["serve", "--all", "--json"]), |l| {
        Some(l.to_owned())
    });
    let rss = rss_kib(all.0.id());
    drop(all);
    println!(
        "idle RSS of `mock-receiver serve --all`: {:.1} MiB (goal < 20 MB)",
        rss as f64 / 1024.0
    );
}

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Spawns `command` and returns it with what `parse` makes of the first stdout line it
/// accepts.
fn spawn_first_line(
    command: &mut Command,
    parse: impl Fn(&str) -> Option<String>,
) -> (Guard, String) {
    // stdin stays open (piped, held by the child handle): `s_server` quits at EOF on stdin.
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = Guard(child);
    let mut lines = BufReader::new(stdout).lines();
    let found = loop {
        let line = lines.next().expect("a ready line").expect("utf-8");
        if let Some(found) = parse(&line) {
            break found;
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (guard, found)
}

fn handshakes_per_second(addr: &str, root: &str, seconds: u32, clients: u32) -> f64 {
    let children: Vec<Child> = (0..clients)
        .map(|_| {
            Command::new("openssl")
                .args([
                    "s_time", "-connect", addr, "-new", "-tls1_3", "-CAfile", root,
                ])
                .args(["-time", &seconds.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn s_time")
        })
        .collect();
    let mut total = 0u64;
    for child in children {
        let out = child.wait_with_output().expect("s_time runs");
        let text = String::from_utf8_lossy(&out.stdout);
        // "1234 connections in 5 real seconds, 0 bytes read per connection"
        let count = text
            .lines()
            .find(|l| l.contains("real seconds"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| {
                let errors = String::from_utf8_lossy(&out.stderr);
                panic!("unexpected s_time output:\n{text}\n{errors}")
            });
        total += count;
    }
    total as f64 / f64::from(seconds)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))
        .expect("/proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS line")
}
