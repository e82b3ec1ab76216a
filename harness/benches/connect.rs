//! Connectivity tests per second against a local in-process receiver:
//! `cargo bench -p harness --bench connect`.
//!
//! Each test is a full TLS handshake (no resumption) with a P-256 chain of two, then `GET /`
//! and the status line, exactly what `harness::connect::run` does for CPI's Connectivity Test.
//! Two cases: no client authentication, and client authentication required (the client
//! chooses its key pair from the CA names). Tests run concurrently on a two-worker runtime,
//! the server in the same process.

// Benchmarks: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::connect::{ClientCertificate, Clock, Options, Policy, Target, TrustSource};
use harness::pki::{Role, World, WorldSpec};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::UnixTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug)]
struct FixedTime(UnixTime);

impl rustls::time_provider::TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.0)
    }
}

async fn serve(world: &World, client_auth: bool) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let now = UnixTime::since_unix_epoch(Duration::from_secs(
        harness::time::DEFAULT_NOW.unix_timestamp() as u64,
    ));
    let verifier = if client_auth {
        let mut roots = RootCertStore::empty();
        roots
            .add(world.get(Role::ClientRoot).cert().clone())
            .expect("the client root parses");
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .expect("a verifier with one root builds")
    } else {
        WebPkiClientVerifier::no_client_auth()
    };
    let server = world.get(Role::Server);
    let config = ServerConfig::builder_with_details(provider, Arc::new(FixedTime(now)))
        .with_safe_default_protocol_versions()
        .expect("default versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(server.chain(), server.key().private_key().to_rustls())
        .expect("the server key matches");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 2048];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(n) if n > 0 => seen.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

fn main() {
    // As `harness connect` does: this process's only OpenSSL work is connectivity tests (the
    // server here is rustls on aws-lc, untouched by the switch).
    harness::connect::engine::fast_public_keys();
    let quick = !std::env::args().any(|a| a == "--bench");
    let total: usize = if quick { 50 } else { 4_000 };
    let concurrency = 16;
    let world = World::generate(&WorldSpec::new(1)).expect("world generates");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for client_auth in [false, true] {
        let trust = TrustSource::new("bench")
            .with_trusted("root", world.get(Role::ReceiverRoot).cert().clone())
            .with_key_pair(
                "client",
                world.get(Role::Client).chain(),
                world.get(Role::Client).key().private_key().clone(),
            );
        let (elapsed, failures) = runtime.block_on(async {
            let addr = serve(&world, client_auth).await;
            let mut options =
                Options::new(Target::new("127.0.0.1", addr.port()).expect("loopback target"))
                    .timeouts(Duration::from_secs(10));
            options.clock = Clock::Fixed(harness::time::DEFAULT_NOW);
            options.client_certificate = ClientCertificate::Automatic(Policy::FirstFitting);
            let options = Arc::new(options);
            let trust = Arc::new(trust);
            let start = Instant::now();
            let mut tasks = Vec::new();
            for worker in 0..concurrency {
                let (options, trust) = (options.clone(), trust.clone());
                tasks.push(tokio::spawn(async move {
                    let mut failures = 0;
                    for _ in (worker..total).step_by(concurrency) {
                        let outcome = harness::connect::run(&options, &trust)
                            .await
                            .expect("the test runs");
                        if !outcome.succeeded() {
                            failures += 1;
                        }
                    }
                    failures
                }));
            }
            let mut failures = 0;
            for task in tasks {
                failures += task.await.expect("task");
            }
            (start.elapsed(), failures)
        });
        println!(
            "connectivity tests, P-256, client auth {}: {total} in {elapsed:.2?} = {:.0}/s ({failures} failed)",
            if client_auth { "required" } else { "off" },
            total as f64 / elapsed.as_secs_f64()
        );
        assert_eq!(failures, 0, "every connectivity test succeeds");
    }
}
