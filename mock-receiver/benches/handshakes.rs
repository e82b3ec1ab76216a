//! Handshakes per second of the `leaf-intermediate` P-256 profile with new TLS 1.3 sessions,
//! the same external client (`openssl s_time -new -tls1_3`) against `mock-receiver` and
//! against `openssl s_server` in one run, and the idle RSS of `mock-receiver serve --all`.
//!
//! Run: `cargo bench -p mock-receiver --bench handshakes` (release build). Knobs:
//! `BENCH_SECONDS` (default 5) per measurement, `BENCH_CLIENTS` (default 2) parallel
//! `s_time` processes, so a multi-threaded server can use both cores, `BENCH_ROUNDS`
//! (default 3) alternating rounds. Besides handshakes/s (which the client's own CPU bounds
//! on a 2-core machine) it reports each server's CPU time per handshake, read from
//! `/proc/<pid>/stat`, which depends far less on machine load.

// Benchmarks: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
    let rounds: u32 = env_or("BENCH_ROUNDS", 3);
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
    // `-quiet`: without it s_server prints 16 lines per connection, which would slow it down
    // and flatter us. It then prints no ACCEPT line, so pick a free port for it and wait
    // until it accepts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let s_server_addr = format!("127.0.0.1:{port}");
    let s_server = Guard(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-naccept", "100000000", "-accept"])
            .arg(&s_server_addr)
            .args([
                "-cert",
                &file("server.cert.pem"),
                "-key",
                &file("server.key.pem"),
            ])
            .args(["-cert_chain", &file("receiver-intermediate.cert.pem")])
            // stdin stays open (piped, held by the child handle): s_server quits at EOF.
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn s_server"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(&s_server_addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "s_server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let root = file("receiver-root.cert.pem");
    // Alternate the two servers over several rounds so a change in machine load (other
    // builds on a shared machine) hits both alike.
    let (mut ours, mut theirs) = (Measure::default(), Measure::default());
    for _ in 0..rounds {
        ours.add(&receiver_addr, receiver.0.id(), &root, seconds, clients);
        theirs.add(&s_server_addr, s_server.0.id(), &root, seconds, clients);
    }
    drop((receiver, s_server));

    println!(
        "new TLS 1.3 handshakes, leaf-intermediate P-256, {clients} x `openssl s_time -new \
         -tls1_3`, {rounds} alternating rounds of {seconds} s:"
    );
    println!("  server            handshakes/s   server CPU per handshake");
    for (name, m) in [("mock-receiver", &ours), ("openssl s_server", &theirs)] {
        println!(
            "  {name:<16}  {:>12.0}   {:>8.3} ms",
            m.per_second(),
            m.cpu_ms_per_handshake()
        );
    }
    println!(
        "  ratio             {:>11.2}x   {:>8.2}x less CPU (goal >= 1.5x handshakes/s)",
        ours.per_second() / theirs.per_second().max(1.0),
        theirs.cpu_ms_per_handshake() / ours.cpu_ms_per_handshake().max(f64::EPSILON)
    );

    // Its PKI in a temp dir of ours: the receiver is killed, so it cannot remove its own.
    let pki = tempfile::tempdir().expect("temp dir");
    let (all, _) = spawn_first_line(
        Command::new(BIN)
            .args(["serve", "--all", "--json", "--log", "off", "--pki-dir"])
            .arg(pki.path().join("pki")),
        |l| Some(l.to_owned()),
    );
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

/// Handshakes, seconds and server CPU time summed over rounds.
#[derive(Default)]
struct Measure {
    handshakes: u64,
    seconds: u64,
    cpu_ticks: u64,
}

impl Measure {
    fn add(&mut self, addr: &str, pid: u32, root: &str, seconds: u32, clients: u32) {
        let before = cpu_ticks(pid);
        self.handshakes += handshakes(addr, root, seconds, clients);
        self.cpu_ticks += cpu_ticks(pid) - before;
        self.seconds += u64::from(seconds);
    }

    fn per_second(&self) -> f64 {
        self.handshakes as f64 / self.seconds.max(1) as f64
    }

    fn cpu_ms_per_handshake(&self) -> f64 {
        // Clock ticks are 1/100 s on Linux (USER_HZ).
        self.cpu_ticks as f64 * 10.0 / self.handshakes.max(1) as f64
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
}

fn handshakes(addr: &str, root: &str, seconds: u32, clients: u32) -> u64 {
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
    total
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
