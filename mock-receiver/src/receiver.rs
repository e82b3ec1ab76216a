//! Starting, running and stopping a receiver.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::LazyConfigAcceptor;

use crate::error::ReceiverError;
use crate::http::{ConnectionContext, handle};
use crate::journal::{ChainCertificate, ConnectionRecord, Journal};
use crate::spec::{Fault, ReceiverSpec};
use crate::tls::{ReceiverVerifier, alert_for, server_config};

/// The entry point: [`Receiver::start`].
#[derive(Debug)]
pub struct Receiver;

impl Receiver {
    /// Binds the spec's address and starts serving on the current tokio runtime. Returns once
    /// the socket is bound, so the address is connectable at once. Many receivers may run in
    /// one process.
    pub async fn start(spec: ReceiverSpec) -> Result<RunningReceiver, ReceiverError> {
        if spec.legacy.is_active() {
            return crate::legacy::start(spec).await;
        }
        let (config, verifier) = server_config(&spec)?;
        let journal = Journal::with_limit(spec.journal_limit);
        let (stop, stopped) = watch::channel(false);
        let active = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            spec,
            config,
            verifier,
            journal: journal.clone(),
            active: active.clone(),
        });
        let listen = shared.spec.listen;
        let bind_err = |source| ReceiverError::Bind {
            addr: listen,
            source,
        };
        let (addr, task) = match shared.spec.fault {
            Some(Fault::Refuse) => (crate::fault::refused_addr(listen)?, None),
            Some(Fault::ConnectTimeout) => {
                let (listener, fillers) = crate::fault::full_listener(listen).await?;
                let addr = listener.local_addr().map_err(bind_err)?;
                let mut stopped = stopped.clone();
                let task = tokio::spawn(async move {
                    // Never accepts: the full queue is the fault.
                    stop_signal(&mut stopped).await;
                    drop((listener, fillers));
                });
                (addr, Some(task))
            }
            _ => {
                let listener = TcpListener::bind(listen).await.map_err(bind_err)?;
                let addr = listener.local_addr().map_err(bind_err)?;
                let task = tokio::spawn(accept_loop(listener, shared.clone(), stopped.clone()));
                (addr, Some(task))
            }
        };
        Ok(RunningReceiver {
            addr,
            journal,
            stop,
            task,
            active,
            shutdown_timeout: shared.spec.timeouts.shutdown,
        })
    }
}

/// A receiver serving on its address until [`RunningReceiver::shutdown`] (or drop, which
/// stops it without waiting).
#[derive(Debug)]
pub struct RunningReceiver {
    addr: SocketAddr,
    journal: Journal,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    active: Arc<AtomicUsize>,
    shutdown_timeout: std::time::Duration,
}

impl RunningReceiver {
    /// A running receiver from its parts (the legacy engine's start).
    pub(crate) fn from_parts(
        addr: SocketAddr,
        journal: Journal,
        stop: watch::Sender<bool>,
        task: Option<tokio::task::JoinHandle<()>>,
        active: Arc<AtomicUsize>,
        shutdown_timeout: std::time::Duration,
    ) -> Self {
        Self {
            addr,
            journal,
            stop,
            task,
            active,
            shutdown_timeout,
        }
    }

    /// The bound address (for [`Fault::Refuse`], an address where nothing listens).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The journal of every connection and request.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Connections currently open (accepted and not yet closed).
    pub fn active_connections(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Stops accepting, lets open connections finish their current request (closing idle
    /// keep-alive connections and stalls), and waits up to the shutdown timeout; connections
    /// still open then are closed. Every socket is released when this returns `Ok`.
    pub async fn shutdown(mut self) -> Result<(), ReceiverError> {
        let _ = self.stop.send(true);
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        // The accept loop waits for its connections, with a grace period of its own;
        // the outer bound here only guards against a bug there.
        match tokio::time::timeout(self.shutdown_timeout * 2, task).await {
            Ok(_) => Ok(()),
            Err(_) => Err(ReceiverError::ShutdownTimeout {
                addr: self.addr,
                seconds: self.shutdown_timeout.as_secs_f64(),
            }),
        }
    }
}

impl Drop for RunningReceiver {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[derive(Debug)]
struct Shared {
    spec: ReceiverSpec,
    config: Arc<ServerConfig>,
    verifier: Arc<ReceiverVerifier>,
    journal: Journal,
    active: Arc<AtomicUsize>,
}

/// Decrements the open-connection count when a connection task ends, however it ends.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stopped: watch::Receiver<bool>) {
    let (active, grace) = (shared.active.clone(), shared.spec.timeouts.shutdown);
    serve_accepted(
        listener,
        active,
        grace,
        stopped,
        move |tcp, peer, stopped| {
            let shared = shared.clone();
            async move { serve_connection(tcp, peer, &shared, stopped).await }
        },
    )
    .await;
}

/// A receiver's accept loop (rustls and legacy OpenSSL alike): each accepted connection is
/// served by `serve` on its own task and counted in `active` while it lives; on stop, the
/// listener closes at once and open connections get `grace` to finish before they are
/// aborted.
pub(crate) async fn serve_accepted<F, Fut>(
    listener: TcpListener,
    active: Arc<AtomicUsize>,
    grace: std::time::Duration,
    mut stopped: watch::Receiver<bool>,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr, watch::Receiver<bool>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stop_signal(&mut stopped) => break,
            accepted = listener.accept() => {
                // Reap finished connections so the set stays small under load.
                while connections.try_join_next().is_some() {}
                match accepted {
                    Ok((tcp, peer)) => {
                        active.fetch_add(1, Ordering::SeqCst);
                        let guard = ActiveGuard(active.clone());
                        let connection = serve(tcp, peer, stopped.clone());
                        connections.spawn(async move {
                            let _guard = guard;
                            connection.await;
                        });
                    }
                    // Out of file descriptors or a connection reset before accept: the
                    // listener stays usable; back off briefly so EMFILE does not spin.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                }
            }
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drain).await.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Whether and how a receiver logs its connections on stderr: one line per connection,
/// when it closes (peer, SNI, protocol, client chain subjects, requests with user and
/// status, or the alert sent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ConnectionLog {
    /// No log (the library default: tests and scenarios stay quiet).
    #[default]
    #[value(alias = "none")]
    Off,
    /// A line of text.
    Text,
    /// The connection's journal record as one JSON line.
    Json,
}

impl std::str::FromStr for ConnectionLog {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "off" | "none" => Ok(ConnectionLog::Off),
            "text" => Ok(ConnectionLog::Text),
            "json" => Ok(ConnectionLog::Json),
            other => Err(format!(
                "unknown log format `{other}` (expected text, json or off)"
            )),
        }
    }
}

/// The text log line of one connection.
pub(crate) fn log_text(r: &ConnectionRecord) -> String {
    let mut line = format!("connection {} from {}", r.id, r.peer);
    line.push_str(&format!(" sni={}", r.sni.as_deref().unwrap_or("-")));
    if let Some(protocol) = &r.protocol {
        line.push_str(&format!(" {protocol}"));
    }
    if let Some(fault) = &r.fault {
        line.push_str(&format!(" fault={fault}"));
    }
    if r.client_chain.is_empty() {
        line.push_str(" client-chain=none");
    } else {
        let subjects: Vec<&str> = r.client_chain.iter().map(|c| c.subject.as_str()).collect();
        line.push_str(&format!(" client-chain=[{}]", subjects.join(" | ")));
    }
    for request in &r.requests {
        line.push_str(&format!(
            " -> {} {} {} user={}",
            request.method,
            request.path,
            request.status,
            request.user.as_deref().unwrap_or("-")
        ));
    }
    if let Some(alert) = &r.alert_sent {
        line.push_str(&format!(" -> alert {alert}"));
    }
    if let Some(error) = &r.handshake_error {
        line.push_str(&format!(" ({error})"));
    }
    line
}

fn log_connection(shared: &Shared, id: u64) {
    use std::io::Write as _;
    let Some(record) = shared.journal.get(id) else {
        return;
    };
    let line = match shared.spec.log {
        ConnectionLog::Off => return,
        ConnectionLog::Text => log_text(&record),
        ConnectionLog::Json => serde_json::to_string(&record).unwrap_or_default(),
    };
    // A closed stderr must not take the receiver down.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// After a failed handshake: the alert is written; half-close, then read what the client
/// already sent (under TLS 1.3 its certificate, CertificateVerify, Finished and maybe its
/// request) for a short, bounded time. Closing with unread data would send a reset, and a
/// Java client would report "Broken pipe" or "Connection reset" instead of the alert.
async fn linger(mut tcp: TcpStream) {
    const LINGER: std::time::Duration = std::time::Duration::from_millis(500);
    const MAX_BYTES: usize = 256 * 1024;
    let _ = tcp.shutdown().await;
    let drain = async {
        let mut buf = [0u8; 8192];
        let mut total = 0;
        while let Ok(n @ 1..) = tcp.read(&mut buf).await {
            total += n;
            if total > MAX_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    stopped: watch::Receiver<bool>,
) {
    let id = shared.journal.open(peer);
    serve_journaled(tcp, id, shared, stopped).await;
    if shared.spec.log != ConnectionLog::Off {
        log_connection(shared, id);
    }
}

async fn serve_journaled(
    tcp: TcpStream,
    id: u64,
    shared: &Shared,
    mut stopped: watch::Receiver<bool>,
) {
    let journal = &shared.journal;
    let timeouts = shared.spec.timeouts;
    let _ = tcp.set_nodelay(true);
    if let Some(fault) = shared.spec.fault {
        crate::fault::run(
            fault,
            tcp,
            shared.config.clone(),
            journal,
            id,
            timeouts,
            stopped,
        )
        .await;
        journal.update(id, |r| r.closed = true);
        return;
    }

    let handshake = async {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp)
            .await
            .map_err(|e| (e, None, false))?;
        let hello = start.client_hello();
        let sni = hello.server_name().map(str::to_owned);
        journal.update(id, |r| r.sni = sni);
        start
            .into_stream(shared.config.clone())
            .into_fallible()
            .await
            .map_err(|(e, tcp)| (e, Some(tcp), true))
    };
    // Journal the chain the client presented even when the handshake then rejects it.
    let handshake = crate::tls::PRESENTED.scope(Default::default(), async {
        let result = handshake.await;
        if result.is_err() {
            let presented = crate::tls::PRESENTED.with(|slot| slot.take());
            journal.update(id, |r| {
                r.client_chain = presented.iter().map(ChainCertificate::from_der).collect();
            });
        }
        result
    });
    let tls = tokio::select! {
        result = tokio::time::timeout(timeouts.handshake, handshake) => match result {
            Ok(Ok(tls)) => tls,
            Ok(Err((error, tcp, hello_read))) => {
                let rustls_error = error
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>());
                let ca_names = if hello_read { shared.verifier.hint_names() } else { Vec::new() };
                let alert = rustls_error
                    .and_then(alert_for)
                    .and_then(|a| harness::alert::TlsAlert::from_code(u8::from(a)));
                let text = match rustls_error {
                    Some(e) => harness::decode::TlsError(e.clone()).to_string(),
                    None => error.to_string(),
                };
                let sent_alert = alert.is_some();
                journal.update(id, |r| {
                    r.handshake_error = Some(text);
                    r.alert_sent = alert;
                    r.ca_names_sent = ca_names;
                });
                if let Some(tcp) = tcp.filter(|_| sent_alert) {
                    linger(tcp).await;
                }
                journal.update(id, |r| r.closed = true);
                return;
            }
            Err(_) => {
                journal.update(id, |r| {
                    r.handshake_error = Some("handshake timed out".into());
                    r.closed = true;
                });
                return;
            }
        },
        () = stop_signal(&mut stopped) => {
            journal.update(id, |r| {
                r.handshake_error = Some("receiver shut down during the handshake".into());
                r.closed = true;
            });
            return;
        }
    };

    let (_, connection) = tls.get_ref();
    let protocol = connection.protocol_version().map(version_name);
    let cipher = connection
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()));
    let chain: Vec<_> = connection
        .peer_certificates()
        .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
        .unwrap_or_default();
    let sni = connection.server_name().map(str::to_owned);
    journal.update(id, |r| {
        r.protocol = protocol.clone();
        r.cipher = cipher.clone();
        r.ca_names_sent = shared.verifier.hint_names();
        r.client_chain = chain.iter().map(ChainCertificate::from_der).collect();
    });

    let context = Arc::new(ConnectionContext {
        id,
        protocol,
        cipher,
        sni,
        chain,
        mode: shared.spec.client_auth.mode,
        rejection: shared.spec.client_auth.rejection,
        users: Arc::new(shared.spec.users.clone()),
        verifier: shared.verifier.clone(),
        journal: journal.clone(),
        read_timeout: timeouts.read,
    });
    let service = service_fn(move |request| handle(context.clone(), request));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.read);
    let io = TokioIo::new(WriteTimeout::new(tls, timeouts.write));
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stop_signal(&mut stopped) => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(timeouts.shutdown, connection.as_mut()).await;
        }
    }
    journal.update(id, |r| r.closed = true);
}

fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

pub(crate) use write_timeout::WriteTimeout;

mod write_timeout {
    //! A stream whose writes fail after a timeout without progress (a client that stops
    //! reading cannot hold a connection task forever).

    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::time::Sleep;

    pub(crate) struct WriteTimeout<S> {
        inner: S,
        timeout: Duration,
        deadline: Option<Pin<Box<Sleep>>>,
    }

    impl<S> WriteTimeout<S> {
        pub(crate) fn new(inner: S, timeout: Duration) -> Self {
            Self {
                inner,
                timeout,
                deadline: None,
            }
        }

        fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
            let timeout = self.timeout;
            let deadline = self
                .deadline
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
            match deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
                }
                Poll::Pending => Poll::Pending,
            }
        }

        fn progress<T>(
            &mut self,
            cx: &mut Context<'_>,
            poll: Poll<io::Result<T>>,
        ) -> Poll<io::Result<T>> {
            match poll {
                Poll::Ready(result) => {
                    self.deadline = None;
                    Poll::Ready(result)
                }
                Poll::Pending => match self.poll_deadline(cx) {
                    Poll::Ready(error) => Poll::Ready(Err(error)),
                    Poll::Pending => Poll::Pending,
                },
            }
        }
    }

    impl<S: AsyncRead + Unpin> AsyncRead for WriteTimeout<S> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    impl<S: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<S> {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
            self.progress(cx, poll)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let poll = Pin::new(&mut self.inner).poll_flush(cx);
            self.progress(cx, poll)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
            self.progress(cx, poll)
        }
    }
}

/// Resolves once the receiver is told to stop (or its handle is gone).
pub(crate) async fn stop_signal(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
