//! Nothing on the wire crashes the receiver, other clients are still served, and every
//! socket is released.
//!
//! The fd counts read `/proc/self/fd` of the test process, which the receiver shares: run
//! these under nextest (one process per test), as CI does.

use std::time::Duration;

use harness::pki::Role;
use mock_receiver::{Receiver, ReceiverSpec, RunningReceiver, Timeouts, TrustProfile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Client, WAIT, client_hello, open_fds, request, world};

async fn start(timeouts: Timeouts) -> RunningReceiver {
    let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
        .unwrap()
        .timeouts(timeouts);
    Receiver::start(spec).await.unwrap()
}

async fn still_serves(receiver: &RunningReceiver) {
    let reply = request(receiver.addr(), &Client::trusting(&[Role::ReceiverRoot]))
        .await
        .expect("another client is still served");
    assert_eq!(reply.status, 200);
}

/// Waits until the receiver has closed every connection it accepted.
async fn all_closed(receiver: &RunningReceiver) {
    let (done, records) = receiver
        .journal()
        .wait_until(WAIT, |r| r.iter().all(|c| c.closed))
        .await;
    assert!(
        done,
        "{} connections still open",
        records.iter().filter(|c| !c.closed).count()
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while receiver.active_connections() != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "connection tasks did not end"
        );
        tokio::task::yield_now().await;
    }
}

/// Sends `bytes`, half-closes, and expects the receiver to close (never to hang or crash).
async fn send_and_expect_close(receiver: &RunningReceiver, bytes: &[u8]) {
    let mut tcp = TcpStream::connect(receiver.addr()).await.unwrap();
    let _ = tcp.write_all(bytes).await;
    let _ = tcp.shutdown().await;
    let mut sink = Vec::new();
    let read = tokio::time::timeout(WAIT, tcp.read_to_end(&mut sink)).await;
    assert!(
        read.is_ok(),
        "the receiver did not close after {} bytes",
        bytes.len()
    );
}

#[tokio::test]
async fn garbage_bytes() {
    let receiver = start(Timeouts::default()).await;
    let baseline = open_fds();
    // Deterministic garbage: an LCG, plus shapes that look almost like TLS or HTTP.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut random = |n: usize| {
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect::<Vec<u8>>()
    };
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x16],
        vec![0x16, 0x03, 0x01, 0xff, 0xff],
        vec![0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff],
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28],
        vec![0u8; 70_000],
    ];
    for n in [1, 5, 64, 517, 4096, 20_000] {
        inputs.push(random(n));
    }
    for input in &inputs {
        send_and_expect_close(&receiver, input).await;
    }
    still_serves(&receiver).await;
    all_closed(&receiver).await;
    let records = receiver.journal().connections();
    assert!(
        records[..inputs.len()]
            .iter()
            .all(|r| r.handshake_error.is_some())
    );
    assert_eq!(open_fds(), baseline);
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_truncation_of_a_client_hello() {
    let receiver = start(Timeouts::default()).await;
    let baseline = open_fds();
    let hello = client_hello();
    assert!(
        hello.len() > 200,
        "a real ClientHello ({} bytes)",
        hello.len()
    );
    for chunk in (0..hello.len()).collect::<Vec<_>>().chunks(64) {
        let sends = chunk
            .iter()
            .map(|&n| send_and_expect_close(&receiver, &hello[..n]));
        for send in sends {
            send.await;
        }
    }
    still_serves(&receiver).await;
    all_closed(&receiver).await;
    assert_eq!(receiver.journal().connections().len(), hello.len() + 1);
    assert_eq!(open_fds(), baseline);
    receiver.shutdown().await.unwrap();
}

/// 1,000 idle connections hold 2,000 descriptors in this process (both ends), more than the
/// common soft limit of 1,024: raise the soft limit to what the hard limit allows with
/// `prlimit` (no unsafe `setrlimit` here), and fail clearly if that is not enough.
fn ensure_fd_limit(needed: u64) {
    let soft = || {
        std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|text| {
                let line = text
                    .lines()
                    .find(|l| l.starts_with("Max open files"))?
                    .to_owned();
                let mut fields = line.split_whitespace().skip(3);
                Some((
                    fields.next()?.parse::<u64>().ok()?,
                    fields.next()?.parse::<u64>().ok(),
                ))
            })
            .unwrap_or((0, None))
    };
    let (current, hard) = soft();
    if current >= needed {
        return;
    }
    let target = hard.map_or(needed.max(4096), |h| h.min(needed.max(4096)));
    let _ = std::process::Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={target}:"))
        .status();
    let (after, _) = soft();
    assert!(
        after >= needed,
        "this test needs {needed} file descriptors; the soft limit is {after} and `prlimit` \
         could not raise it (run `ulimit -n {needed}` first)"
    );
}

#[tokio::test]
async fn a_thousand_idle_connections() {
    ensure_fd_limit(2_200);
    let receiver = start(Timeouts::default()).await;
    let baseline = open_fds();
    let mut idle = Vec::with_capacity(1000);
    for _ in 0..1000 {
        idle.push(TcpStream::connect(receiver.addr()).await.unwrap());
    }
    let (done, _) = receiver
        .journal()
        .wait_until(WAIT, |r| r.len() == 1000)
        .await;
    assert!(done, "the receiver accepted all 1,000");
    assert_eq!(receiver.active_connections(), 1000);
    still_serves(&receiver).await;
    drop(idle);
    all_closed(&receiver).await;
    assert_eq!(open_fds(), baseline);
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_others_served() {
    let timeouts = Timeouts {
        handshake: Duration::from_millis(300),
        read: Duration::from_millis(300),
        ..Timeouts::default()
    };
    let receiver = start(timeouts).await;
    let baseline = open_fds();
    let hello = client_hello();
    // A client that dribbles its ClientHello one byte at a time, too slowly.
    let dribble = async {
        let mut tcp = TcpStream::connect(receiver.addr()).await.unwrap();
        for byte in &hello {
            if tcp.write_all(std::slice::from_ref(byte)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // A client that completes the handshake and then sends half a request head.
    let slow_head = async {
        let tls = crate::support::handshake_only(receiver.addr()).await;
        let mut tls = tls;
        tls.write_all(b"GET / HTTP/1.1\r\nHost: loc").await.unwrap();
        let mut sink = Vec::new();
        let read = tokio::time::timeout(WAIT, tls.read_to_end(&mut sink)).await;
        assert!(
            read.is_ok(),
            "the receiver did not cut off a slow request head"
        );
    };
    let served = async {
        still_serves(&receiver).await;
    };
    tokio::time::timeout(WAIT * 2, async { tokio::join!(dribble, slow_head, served) })
        .await
        .unwrap();
    all_closed(&receiver).await;
    let records = receiver.journal().connections();
    assert!(
        records
            .iter()
            .any(|r| r.handshake_error.as_deref() == Some("handshake timed out")),
        "{records:#?}"
    );
    assert_eq!(open_fds(), baseline);
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_releases_every_socket() {
    let baseline = open_fds();
    let receiver = start(Timeouts::default()).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(receiver.addr()).await.unwrap());
    }
    let kept = crate::support::handshake_only(receiver.addr()).await;
    let (done, _) = receiver.journal().wait_until(WAIT, |r| r.len() == 21).await;
    assert!(done);
    let journal = receiver.journal().clone();
    tokio::time::timeout(WAIT, receiver.shutdown())
        .await
        .unwrap()
        .unwrap();
    assert!(journal.connections().iter().all(|r| r.closed));
    for mut tcp in idle {
        let mut buf = [0u8; 1];
        let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0);
    }
    drop(kept);
    assert_eq!(open_fds(), baseline);
}

#[tokio::test]
async fn garbage_against_every_fault() {
    use mock_receiver::Fault;
    let faults = [
        Fault::StallBeforeServerHello,
        Fault::StallAfterCertificateRequest,
        Fault::CloseMidHandshake,
        Fault::PlainHttp,
        Fault::Alert(mock_receiver::TlsAlert::HandshakeFailure),
    ];
    let hello = client_hello();
    for fault in faults {
        let timeouts = Timeouts {
            handshake: Duration::from_millis(300),
            stall: Duration::from_millis(300),
            ..Timeouts::default()
        };
        let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
            .unwrap()
            .timeouts(timeouts)
            .fault(fault);
        let receiver = Receiver::start(spec).await.unwrap();
        let baseline = open_fds();
        for input in [
            &b""[..],
            &[0x16, 0x03, 0x01, 0xff, 0xff],
            &[0xAB; 70_000],
            &hello[..40],
            &hello,
        ] {
            send_and_expect_close(&receiver, input).await;
        }
        all_closed(&receiver).await;
        assert_eq!(open_fds(), baseline, "{fault:?}");
        receiver.shutdown().await.unwrap();
    }
}
