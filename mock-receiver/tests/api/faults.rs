//! Faults, each reproduced on a real socket and seen by a real client.

use std::time::{Duration, Instant};

use harness::pki::Role;
use mock_receiver::{
    ClientAuth, ClientAuthMode, Fault, Receiver, ReceiverSpec, Timeouts, TlsVersions, TrustProfile,
};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::support::{Client, Failure, WAIT, cert, request, world};

fn spec(fault: Fault) -> ReceiverSpec {
    ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
        .unwrap()
        .fault(fault)
}

fn client() -> Client {
    Client::trusting(&[Role::ReceiverRoot])
}

#[tokio::test]
async fn refused() {
    let receiver = Receiver::start(spec(Fault::Refuse)).await.unwrap();
    let error = tokio::time::timeout(WAIT, TcpStream::connect(receiver.addr()))
        .await
        .expect("a refusal is immediate")
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    receiver.shutdown().await.unwrap();
}

/// The accept queue is full, so the kernel drops the SYN: the client's connect neither
/// completes nor is refused, it times out (measured on Linux with the default
/// `tcp_abort_on_overflow = 0`).
#[tokio::test]
async fn connect_timeout_is_a_timeout_not_a_refusal() {
    let receiver = Receiver::start(spec(Fault::ConnectTimeout)).await.unwrap();
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_millis(1500),
        TcpStream::connect(receiver.addr()),
    )
    .await;
    assert!(outcome.is_err(), "connect returned: {outcome:?}");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let outcome = request(
        receiver.addr(),
        &client().timeout(Duration::from_millis(500)),
    )
    .await;
    assert!(
        matches!(outcome, Err(Failure::ConnectTimeout)),
        "{outcome:?}"
    );
    assert!(receiver.journal().connections().is_empty());
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn stall_before_server_hello() {
    let receiver = Receiver::start(spec(Fault::StallBeforeServerHello))
        .await
        .unwrap();
    let outcome = request(
        receiver.addr(),
        &client().timeout(Duration::from_millis(500)),
    )
    .await;
    assert!(
        matches!(outcome, Err(Failure::HandshakeTimeout)),
        "{outcome:?}"
    );
    let (done, records) = receiver
        .journal()
        .wait_until(WAIT, |r| r.len() == 1 && r[0].sni.is_some())
        .await;
    assert!(done, "{records:#?}");
    assert_eq!(
        records[0].fault.as_deref(),
        Some("stall-before-server-hello")
    );
    // Shutdown ends the stall at once rather than after the stall time.
    let started = Instant::now();
    receiver.shutdown().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn stall_after_certificate_request() {
    let auth = ClientAuth::new(ClientAuthMode::Required, vec![cert(Role::ClientRoot)]);
    let receiver = Receiver::start(spec(Fault::StallAfterCertificateRequest).client_auth(auth))
        .await
        .unwrap();
    // TLS 1.3: the server's flight ends with its Finished, so the client's handshake completes
    // and the stall shows as a read timeout.
    let tls13 = client()
        .with_cert(Role::Client)
        .timeout(Duration::from_millis(500))
        .versions(crate::support::TLS13);
    let outcome = request(receiver.addr(), &tls13).await;
    assert!(
        matches!(outcome, Err(Failure::ExchangeTimeout)),
        "{outcome:?}"
    );
    // TLS 1.2: the client waits for the server's Finished, so the handshake times out.
    let tls12 = tls13.clone().versions(crate::support::TLS12);
    let outcome = request(receiver.addr(), &tls12).await;
    assert!(
        matches!(outcome, Err(Failure::HandshakeTimeout)),
        "{outcome:?}"
    );
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn close_mid_handshake() {
    let receiver = Receiver::start(spec(Fault::CloseMidHandshake))
        .await
        .unwrap();
    match request(receiver.addr(), &client()).await {
        Err(Failure::Handshake(text)) => assert!(text.contains("UnexpectedEof"), "{text}"),
        other => panic!("expected a closed handshake, got {other:?}"),
    }
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn plain_http_on_the_tls_port() {
    let receiver = Receiver::start(spec(Fault::PlainHttp)).await.unwrap();
    match request(receiver.addr(), &client()).await {
        Err(Failure::Handshake(text)) => assert!(text.contains("InvalidContentType"), "{text}"),
        other => panic!("expected a non-TLS answer, got {other:?}"),
    }
    // A plain TCP client reads the HTTP answer itself.
    let mut tcp = TcpStream::connect(receiver.addr()).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut tcp, b"GET / HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn chosen_alert() {
    for (name, debug) in [
        ("alert:handshake-failure", "HandshakeFailure"),
        ("alert:unknown-ca", "UnknownCA"),
        ("alert:70", "ProtocolVersion"),
        ("alert:internal_error", "InternalError"),
    ] {
        let fault: Fault = name.parse().unwrap();
        let receiver = Receiver::start(spec(fault)).await.unwrap();
        match request(receiver.addr(), &client()).await {
            Err(Failure::Handshake(text)) => {
                assert!(
                    text.contains(&format!("AlertReceived({debug})")),
                    "{name}: {text}"
                )
            }
            other => panic!("{name}: expected the alert, got {other:?}"),
        }
        let records = receiver.journal().connections();
        let sent = records[0].alert_sent.unwrap();
        assert_eq!(Fault::Alert(sent), fault, "{name}");
        assert_eq!(format!("alert:{sent}"), fault.name(), "{name}");
        receiver.shutdown().await.unwrap();
    }
    assert!("alert:nope".parse::<Fault>().is_err());
}

#[tokio::test]
async fn tls_versions() {
    let only = |versions| {
        ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
            .unwrap()
            .versions(versions)
    };
    let receiver = Receiver::start(only(TlsVersions::Tls12Only)).await.unwrap();
    let reply = request(receiver.addr(), &client()).await.unwrap();
    assert_eq!(reply.json()["protocol"], "TLSv1.2");
    let outcome = request(receiver.addr(), &client().versions(crate::support::TLS13)).await;
    match outcome {
        Err(Failure::Handshake(text)) => assert!(text.contains("ProtocolVersion"), "{text}"),
        other => panic!("expected no common version, got {other:?}"),
    }
    receiver.shutdown().await.unwrap();

    let receiver = Receiver::start(only(TlsVersions::Tls13Only)).await.unwrap();
    let outcome = request(receiver.addr(), &client().versions(crate::support::TLS12)).await;
    match outcome {
        Err(Failure::Handshake(text)) => assert!(text.contains("ProtocolVersion"), "{text}"),
        other => panic!("expected no common version, got {other:?}"),
    }
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn handshake_timeout_closes_a_silent_client() {
    let timeouts = Timeouts {
        handshake: Duration::from_millis(200),
        ..Timeouts::default()
    };
    let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
        .unwrap()
        .timeouts(timeouts);
    let receiver = Receiver::start(spec).await.unwrap();
    let mut tcp = TcpStream::connect(receiver.addr()).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "the receiver closes a client that never says hello");
    let records = receiver.journal().connections();
    assert_eq!(
        records[0].handshake_error.as_deref(),
        Some("handshake timed out")
    );
    receiver.shutdown().await.unwrap();
}
