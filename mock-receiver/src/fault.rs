//! Faults: what a broken receiver does on the wire, reproduced for real on loopback.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::server::{Accepted, Acceptor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use crate::error::ReceiverError;
use crate::journal::Journal;
use crate::spec::{Fault, Timeouts};

/// An address where nothing listens: a port bound and closed again. Another process could
/// take the port in between; on loopback with ephemeral ports that is rare, and the test of
/// this fault asserts the refusal itself.
pub(crate) fn refused_addr(listen: SocketAddr) -> Result<SocketAddr, ReceiverError> {
    let listener = std::net::TcpListener::bind(listen).map_err(|source| ReceiverError::Bind {
        addr: listen,
        source,
    })?;
    listener.local_addr().map_err(|source| ReceiverError::Bind {
        addr: listen,
        source,
    })
}

/// A listener that never accepts, with its accept queue filled, so the kernel drops every
/// new SYN and a client's connect times out (Linux: `tcp_abort_on_overflow = 0`, the
/// default; with it set to 1 the client would see a reset instead). Returns the listener
/// and the sockets that fill its queue; both must live as long as the fault.
pub(crate) async fn full_listener(
    listen: SocketAddr,
) -> Result<(TcpListener, Vec<TcpStream>), ReceiverError> {
    let bind_err = |source| ReceiverError::Bind {
        addr: listen,
        source,
    };
    let socket = if listen.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(bind_err)?;
    socket.bind(listen).map_err(bind_err)?;
    // Backlog 0: Linux queues `backlog + 1` established connections, so one filler is
    // enough; the loop stops at the first filler whose handshake the kernel leaves hanging.
    let listener = socket.listen(0).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let mut fillers = Vec::new();
    for _ in 0..8 {
        // A loopback SYN the kernel answers is answered at once; 50 ms is the proof that it
        // will not (a connect that was merely slow only adds one more filler).
        match tokio::time::timeout(Duration::from_millis(50), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            Ok(Err(source)) => return Err(bind_err(source)),
            // The queue is full once a filler is queued and the next SYN goes unanswered (a
            // first filler that was merely slow is retried).
            Err(_) if !fillers.is_empty() => break,
            Err(_) => {}
        }
    }
    Ok((listener, fillers))
}

/// Runs a handshake-level fault on one accepted connection.
pub(crate) async fn run(
    fault: Fault,
    mut tcp: TcpStream,
    config: Arc<ServerConfig>,
    journal: &Journal,
    id: u64,
    timeouts: Timeouts,
    mut shutdown: watch::Receiver<bool>,
) {
    let (stall, handshake_timeout) = (timeouts.stall, timeouts.handshake);
    journal.update(id, |r| r.fault = Some(fault.name()));
    if fault == Fault::PlainHttp {
        // Wait for the client's first bytes (its ClientHello) so the answer is a reply.
        let mut buf = [0u8; 1024];
        let _ = tokio::time::timeout(handshake_timeout, tcp.read(&mut buf)).await;
        let body = "This receiver speaks plain HTTP on its TLS port.\n";
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = tokio::time::timeout(handshake_timeout, tcp.write_all(answer.as_bytes())).await;
        let _ = tcp.shutdown().await;
        return;
    }
    let accepted = match tokio::time::timeout(handshake_timeout, read_client_hello(&mut tcp)).await
    {
        Ok(Ok(accepted)) => accepted,
        Ok(Err(reason)) => {
            journal.update(id, |r| r.handshake_error = Some(reason));
            return;
        }
        Err(_) => {
            journal.update(id, |r| {
                r.handshake_error = Some("handshake timed out".into())
            });
            return;
        }
    };
    let sni = accepted.client_hello().server_name().map(str::to_owned);
    journal.update(id, |r| r.sni = sni);
    match fault {
        Fault::StallBeforeServerHello => hold(&mut tcp, stall, &mut shutdown).await,
        Fault::Alert(alert) => {
            // A plaintext alert record: content type 21, TLS 1.2 record version, level fatal.
            let record = [21, 3, 3, 0, 2, 2, alert.code()];
            let _ = tokio::time::timeout(handshake_timeout, tcp.write_all(&record)).await;
            journal.update(id, |r| r.alert_sent = Some(alert));
            let _ = tcp.shutdown().await;
        }
        Fault::CloseMidHandshake | Fault::StallAfterCertificateRequest => {
            let mut connection = match accepted.into_connection(config) {
                Ok(connection) => connection,
                Err((error, _)) => {
                    journal.update(id, |r| r.handshake_error = Some(error.to_string()));
                    return;
                }
            };
            let mut flight = Vec::new();
            while connection.wants_write() {
                if connection.write_tls(&mut flight).is_err() {
                    break;
                }
            }
            if fault == Fault::CloseMidHandshake {
                let half = &flight[..flight.len() / 2];
                let _ = tokio::time::timeout(handshake_timeout, tcp.write_all(half)).await;
                let _ = tcp.shutdown().await;
            } else {
                let _ = tokio::time::timeout(handshake_timeout, tcp.write_all(&flight)).await;
                hold(&mut tcp, stall, &mut shutdown).await;
            }
        }
        Fault::Refuse | Fault::ConnectTimeout | Fault::PlainHttp => {}
    }
}

/// Reads and discards whatever the client sends, answering nothing, until the stall ends,
/// the client closes, or the receiver shuts down.
async fn hold(tcp: &mut TcpStream, stall: Duration, shutdown: &mut watch::Receiver<bool>) {
    let mut buf = [0u8; 4096];
    let drain = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        () = drain => {}
        _ = tokio::time::sleep(stall) => {}
        () = crate::receiver::stop_signal(shutdown) => {}
    }
}

/// Reads a ClientHello with rustls' [`Acceptor`].
async fn read_client_hello(tcp: &mut TcpStream) -> Result<Accepted, String> {
    let mut acceptor = Acceptor::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tcp
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading the ClientHello: {e}"))?;
        if n == 0 {
            return Err("the client closed before its ClientHello was complete".into());
        }
        let mut slice = &buf[..n];
        while !slice.is_empty() {
            let consumed = acceptor
                .read_tls(&mut slice)
                .map_err(|e| format!("reading the ClientHello: {e}"))?;
            if consumed == 0 {
                return Err("the ClientHello does not fit rustls' buffer".into());
            }
        }
        match acceptor.accept() {
            Ok(Some(accepted)) => return Ok(accepted),
            Ok(None) => {}
            Err((error, _)) => return Err(format!("bad ClientHello: {error}")),
        }
    }
}
