//! The OpenSSL engine of a legacy receiver: context, accept loop, one connection.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use openssl::dh::Dh;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    AlpnError, NameType, Ssl, SslContext, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509, X509Name, X509VerifyResult};
use rustls::server::danger::ClientCertVerifier as _;
use rustls_pki_types::{CertificateDer, UnixTime};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_openssl::SslStream;

use super::{CipherPolicy, LegacyVersion};
use crate::error::ReceiverError;
use crate::http::{ConnectionContext, handle};
use crate::journal::{ChainCertificate, Journal};
use crate::receiver::{ConnectionLog, RunningReceiver, WriteTimeout, serve_accepted, stop_signal};
use crate::spec::{CaNames, ClientAuthMode, Fault, ReceiverSpec, Rejection, TlsVersions};
use crate::tls::{ReceiverVerifier, alert_for};

/// RFC 7919 ffdhe2048, the DHE parameters of every legacy receiver (`openssl genpkey
/// -genparam -algorithm DH -pkeyopt group:ffdhe2048`).
const FFDHE2048: &str = "-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
";

fn tls_error(what: impl Into<String>) -> impl FnOnce(openssl::error::ErrorStack) -> ReceiverError {
    let what = what.into();
    move |e| ReceiverError::Tls {
        what: format!("legacy receiver: {what}"),
        source: Some(Box::new(e)),
    }
}

/// The OpenSSL cipher string of a policy (TLS 1.2 and older), at security level 0 so SHA-1,
/// RSA-1024 and TLS 1.0/1.1 are allowed.
fn cipher_list(policy: Option<CipherPolicy>) -> &'static str {
    match policy {
        None => "DEFAULT:@SECLEVEL=0",
        Some(CipherPolicy::CbcOnly) => "AES:!AESGCM:!AESCCM:!aNULL:!PSK:!SRP:@SECLEVEL=0",
        Some(CipherPolicy::RsaKxOnly) => "kRSA:!aNULL:!PSK:!SRP:@SECLEVEL=0",
        Some(CipherPolicy::DheOnly | CipherPolicy::FfdheOnly) => {
            "kDHE:!aNULL:!PSK:!SRP:@SECLEVEL=0"
        }
    }
}

/// The protocol range of a spec: a legacy version alone, or the spec's versions (TLS 1.2 at
/// most for the TLS 1.2 cipher policies).
fn versions(spec: &ReceiverSpec) -> Result<(SslVersion, SslVersion), ReceiverError> {
    let legacy = spec.legacy;
    if let Some(version) = legacy.version {
        let v = match version {
            LegacyVersion::Tls10 => SslVersion::TLS1,
            LegacyVersion::Tls11 => SslVersion::TLS1_1,
        };
        return Ok((v, v));
    }
    let (min, mut max) = match spec.versions {
        TlsVersions::Both => (SslVersion::TLS1_2, SslVersion::TLS1_3),
        TlsVersions::Tls12Only => (SslVersion::TLS1_2, SslVersion::TLS1_2),
        TlsVersions::Tls13Only => (SslVersion::TLS1_3, SslVersion::TLS1_3),
    };
    if let Some(policy) = legacy.ciphers.filter(|p| p.tls12_at_most()) {
        if spec.versions == TlsVersions::Tls13Only {
            return Err(ReceiverError::Tls {
                what: format!(
                    "legacy receiver: cipher policy `{policy}` has no suite in TLS 1.3 \
                     (use TLS 1.2 or both)"
                ),
                source: None,
            });
        }
        max = SslVersion::TLS1_2;
    }
    Ok((min, max))
}

/// Parsed certificates and keys by their DER, for the life of the process: OpenSSL 3's
/// decoders cost about 0.7 ms a certificate and 2 ms a key (measured, debug build), most of
/// a legacy receiver's start, and scenario runs and tests start many receivers from the same
/// world. Bounded: emptied when it reaches [`PARSED_LIMIT`] entries.
#[derive(Default)]
struct Parsed {
    certs: HashMap<Vec<u8>, X509>,
    keys: HashMap<Vec<u8>, PKey<Private>>,
}

const PARSED_LIMIT: usize = 512;

fn parsed() -> &'static Mutex<Parsed> {
    static PARSED: OnceLock<Mutex<Parsed>> = OnceLock::new();
    PARSED.get_or_init(Default::default)
}

/// A certificate, parsed once per process.
fn parse_cert(der: &[u8]) -> Result<X509, openssl::error::ErrorStack> {
    if let Some(cert) = parsed().lock().ok().and_then(|p| p.certs.get(der).cloned()) {
        return Ok(cert);
    }
    let cert = X509::from_der(der)?;
    if let Ok(mut p) = parsed().lock() {
        if p.certs.len() >= PARSED_LIMIT {
            p.certs.clear();
        }
        p.certs.insert(der.to_vec(), cert.clone());
    }
    Ok(cert)
}

/// A private key (PKCS#8), parsed once per process.
fn parse_key(der: &[u8]) -> Result<PKey<Private>, openssl::error::ErrorStack> {
    if let Some(key) = parsed().lock().ok().and_then(|p| p.keys.get(der).cloned()) {
        return Ok(key);
    }
    let key = PKey::private_key_from_der(der)?;
    if let Ok(mut p) = parsed().lock() {
        if p.keys.len() >= PARSED_LIMIT {
            p.keys.clear();
        }
        p.keys.insert(der.to_vec(), key.clone());
    }
    Ok(key)
}

/// The OpenSSL server context of a legacy spec.
pub(crate) fn context(spec: &ReceiverSpec) -> Result<SslContext, ReceiverError> {
    let mut b = SslContextBuilder::new(SslMethod::tls_server()).map_err(tls_error("context"))?;
    b.set_security_level(0);
    let (min, max) = versions(spec)?;
    b.set_min_proto_version(Some(min))
        .and_then(|()| b.set_max_proto_version(Some(max)))
        .map_err(tls_error("protocol versions"))?;
    b.set_cipher_list(cipher_list(spec.legacy.ciphers))
        .map_err(tls_error("cipher list"))?;
    let dh = Dh::params_from_pem(FFDHE2048.as_bytes()).map_err(tls_error("DH parameters"))?;
    b.set_tmp_dh(&dh).map_err(tls_error("DH parameters"))?;
    if spec.legacy.ciphers == Some(CipherPolicy::FfdheOnly) {
        b.set_groups_list("ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192")
            .map_err(tls_error("groups"))?;
    }

    let identity = &spec.identity;
    let (leaf, rest) = identity
        .chain
        .split_first()
        .ok_or_else(|| ReceiverError::Tls {
            what: format!("`{}` has no certificate", identity.label),
            source: None,
        })?;
    let cert = |der: &CertificateDer<'_>| {
        parse_cert(der).map_err(tls_error(format!("certificate of `{}`", identity.label)))
    };
    b.set_certificate(&*cert(leaf)?)
        .map_err(tls_error(format!("certificate of `{}`", identity.label)))?;
    for extra in rest {
        b.add_extra_chain_cert(cert(extra)?)
            .map_err(tls_error("chain"))?;
    }
    let key = parse_key(identity.key.secret_pkcs8_der())
        .map_err(tls_error(format!("server key of `{}`", identity.label)))?;
    // RSA key exchange and DHE_RSA need an RSA server key (DHE_DSS is not offered): refuse a
    // receiver no client could ever complete a handshake with.
    let tls12_only = max == SslVersion::TLS1_2 || spec.legacy.version.is_some();
    let needs_rsa = match spec.legacy.ciphers {
        Some(CipherPolicy::RsaKxOnly | CipherPolicy::DheOnly) => true,
        Some(CipherPolicy::FfdheOnly) => tls12_only,
        _ => false,
    };
    if needs_rsa && key.id() != openssl::pkey::Id::RSA {
        return Err(ReceiverError::Tls {
            what: format!(
                "legacy receiver: cipher policy `{}` needs an RSA server key, and `{}` has \
                 another (use key type rsa2048 or the server key rsa1024)",
                spec.legacy.ciphers.map_or("-", CipherPolicy::name),
                identity.label
            ),
            source: None,
        });
    }
    b.set_private_key(&key)
        .and_then(|()| b.check_private_key())
        .map_err(tls_error(format!(
            "server key of `{}` (OpenSSL needs the key of the first certificate sent)",
            identity.label
        )))?;
    b.set_alpn_select_callback(|_, client| {
        openssl::ssl::select_next_proto(b"\x08http/1.1", client).ok_or(AlpnError::NOACK)
    });

    let auth = &spec.client_auth;
    if auth.mode != ClientAuthMode::None {
        // OpenSSL's own verification only picks the alert (its error code); the decision is
        // the receiver's webpki verifier's, as on the rustls path.
        let mut store = X509StoreBuilder::new().map_err(tls_error("client trust store"))?;
        for der in &auth.trust {
            store
                .add_cert(cert(der)?)
                .map_err(tls_error("client trust store"))?;
        }
        b.set_verify_cert_store(store.build())
            .map_err(tls_error("client trust store"))?;
        let names = match &auth.ca_names {
            CaNames::TrustStore => auth.trust.clone(),
            CaNames::Empty => Vec::new(),
            CaNames::Subjects(certs) => certs.clone(),
        };
        let mut list = openssl::stack::Stack::<X509Name>::new().map_err(tls_error("CA names"))?;
        for der in &names {
            let name = cert(der)?
                .subject_name()
                .to_owned()
                .map_err(tls_error("CA names"))?;
            list.push(name).map_err(tls_error("CA names"))?;
        }
        b.set_client_ca_list(list);
    }
    Ok(b.build())
}

/// What a connection's verify callback found.
#[derive(Default)]
struct Verdict {
    decided: Option<bool>,
    presented: Vec<CertificateDer<'static>>,
    error: Option<rustls::Error>,
    alert: Option<u8>,
}

/// The alert OpenSSL sends for an X.509 verification error (`ssl_x509err2alert`).
fn alert_of_x509(code: i32) -> u8 {
    match code {
        10 => 45,               // certificate_expired
        9 | 27 | 28 => 42,      // bad_certificate
        23 => 44,               // certificate_revoked
        7 => 51,                // decrypt_error
        2 | 18..=22 | 24 => 48, // unknown_ca
        26 => 43,               // unsupported_certificate
        50 => 40,               // handshake_failure
        _ => 46,                // certificate_unknown
    }
}

struct Engine {
    spec: ReceiverSpec,
    context: SslContext,
    verifier: Arc<ReceiverVerifier>,
    journal: Journal,
    active: Arc<AtomicUsize>,
}

/// Starts a legacy receiver (the spec has a legacy setting).
pub(crate) async fn start(spec: ReceiverSpec) -> Result<RunningReceiver, ReceiverError> {
    if let Some(fault) = spec
        .fault
        .filter(|f| !matches!(f, Fault::Refuse | Fault::ConnectTimeout))
    {
        return Err(ReceiverError::Tls {
            what: format!(
                "fault `{fault}` is not available on a legacy (OpenSSL) receiver; only \
                 refuse and connect-timeout are"
            ),
            source: None,
        });
    }
    let context = context(&spec)?;
    let verifier = Arc::new(ReceiverVerifier::new(&spec, crate::tls::provider())?);
    let journal = Journal::with_limit(spec.journal_limit);
    let (stop, stopped) = watch::channel(false);
    let active = Arc::new(AtomicUsize::new(0));
    let listen = spec.listen;
    let shutdown_timeout = spec.timeouts.shutdown;
    let bind_err = |source| ReceiverError::Bind {
        addr: listen,
        source,
    };
    let engine = Arc::new(Engine {
        spec,
        context,
        verifier,
        journal: journal.clone(),
        active: active.clone(),
    });
    let (addr, task) = match engine.spec.fault {
        Some(Fault::Refuse) => (crate::fault::refused_addr(listen)?, None),
        Some(Fault::ConnectTimeout) => {
            let (listener, fillers) = crate::fault::full_listener(listen).await?;
            let addr = listener.local_addr().map_err(bind_err)?;
            let mut stopped = stopped.clone();
            let task = tokio::spawn(async move {
                stop_signal(&mut stopped).await;
                drop((listener, fillers));
            });
            (addr, Some(task))
        }
        _ => {
            let listener = TcpListener::bind(listen).await.map_err(bind_err)?;
            let addr = listener.local_addr().map_err(bind_err)?;
            (
                addr,
                Some(tokio::spawn(accept_loop(listener, engine, stopped))),
            )
        }
    };
    Ok(RunningReceiver::from_parts(
        addr,
        journal,
        stop,
        task,
        active,
        shutdown_timeout,
    ))
}

async fn accept_loop(listener: TcpListener, engine: Arc<Engine>, stopped: watch::Receiver<bool>) {
    let (active, grace) = (engine.active.clone(), engine.spec.timeouts.shutdown);
    serve_accepted(
        listener,
        active,
        grace,
        stopped,
        move |tcp, peer, stopped| {
            let engine = engine.clone();
            async move {
                let id = engine.journal.open(peer);
                serve(tcp, id, &engine, stopped).await;
                engine.journal.update(id, |r| r.closed = true);
                log(&engine, id);
            }
        },
    )
    .await;
}

fn log(engine: &Engine, id: u64) {
    use std::io::Write as _;
    let Some(record) = engine.journal.get(id) else {
        return;
    };
    let line = match engine.spec.log {
        ConnectionLog::Off => return,
        ConnectionLog::Text => crate::receiver::log_text(&record),
        ConnectionLog::Json => serde_json::to_string(&record).unwrap_or_default(),
    };
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn now_unix(clock: harness::time::Clock) -> i64 {
    clock.now().unix_timestamp()
}

/// The connection's `Ssl`: the verify callback decides with the receiver's verifier at
/// depth 0 (OpenSSL calls it last for the leaf), and journals the chain presented.
fn connection_ssl(engine: &Engine, verdict: &Arc<Mutex<Verdict>>) -> Result<Ssl, String> {
    let mut ssl = Ssl::new(&engine.context).map_err(|e| e.to_string())?;
    let auth = &engine.spec.client_auth;
    if auth.mode == ClientAuthMode::None {
        return Ok(ssl);
    }
    let now = now_unix(engine.spec.clock);
    ssl.param_mut().set_time(now);
    ssl.param_mut()
        .set_flags(X509VerifyFlags::PARTIAL_CHAIN)
        .map_err(|e| e.to_string())?;
    let mut mode = SslVerifyMode::PEER;
    if auth.mode == ClientAuthMode::Required && auth.rejection == Rejection::TlsAlert {
        mode |= SslVerifyMode::FAIL_IF_NO_PEER_CERT;
    }
    let verifier = engine.verifier.clone();
    let verdict = verdict.clone();
    let unix = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(now).unwrap_or(0)));
    ssl.set_verify_callback(mode, move |_openssl_ok, ctx| {
        if ctx.error_depth() != 0 {
            return true;
        }
        let Ok(mut v) = verdict.lock() else {
            return false;
        };
        if let Some(decided) = v.decided {
            return decided;
        }
        let chain: Vec<CertificateDer<'static>> = ctx
            .chain()
            .map(|stack| {
                stack
                    .iter()
                    .filter_map(|c| c.to_der().ok())
                    .map(CertificateDer::from)
                    .collect()
            })
            .unwrap_or_default();
        v.presented = chain.clone();
        let result = match chain.split_first() {
            Some((leaf, rest)) => verifier.verify_client_cert(leaf, rest, unix).map(|_| ()),
            None => Err(rustls::Error::NoCertificatesPresented),
        };
        match result {
            Ok(()) => {
                v.decided = Some(true);
                true
            }
            Err(error) => {
                if ctx.error() == X509VerifyResult::OK {
                    ctx.set_error(X509VerifyResult::APPLICATION_VERIFICATION);
                }
                v.alert = Some(alert_of_x509(ctx.error().as_raw()));
                v.error = Some(error);
                v.decided = Some(false);
                false
            }
        }
    });
    Ok(ssl)
}

fn protocol_of(ssl: &openssl::ssl::SslRef) -> String {
    ssl.version_str().to_owned()
}

/// The handshake error in words and the alert OpenSSL sent, where it is known.
fn failure(
    error: &openssl::ssl::Error,
    verdict: &Verdict,
    ssl: &openssl::ssl::SslRef,
) -> (String, Option<u8>) {
    if let Some(e) = &verdict.error {
        let alert = verdict.alert.or_else(|| alert_for(e).map(u8::from));
        return (harness::decode::TlsError(e.clone()).to_string(), alert);
    }
    let reasons: Vec<&str> = error
        .ssl_error()
        .map(|stack| stack.errors().iter().filter_map(|e| e.reason()).collect())
        .unwrap_or_default();
    let text = if reasons.is_empty() {
        error.to_string()
    } else {
        reasons.join("; ")
    };
    let has = |s: &str| reasons.iter().any(|r| r.contains(s));
    let alert = if has("peer did not return a certificate") {
        Some(if ssl.version_str() == "TLSv1.3" {
            116
        } else {
            40
        })
    } else if has("unsupported protocol") || has("wrong version number") {
        Some(70)
    } else if has("no shared cipher")
        || has("no suitable key share")
        || has("no shared signature algorithms")
        || has("no shared groups")
    {
        Some(40)
    } else {
        None
    };
    (text, alert)
}

async fn serve(tcp: TcpStream, id: u64, engine: &Engine, mut stopped: watch::Receiver<bool>) {
    let journal = &engine.journal;
    let timeouts = engine.spec.timeouts;
    let _ = tcp.set_nodelay(true);
    let verdict = Arc::new(Mutex::new(Verdict::default()));
    let stream = connection_ssl(engine, &verdict)
        .and_then(|ssl| SslStream::new(ssl, tcp).map_err(|e| e.to_string()));
    let mut stream = match stream {
        Ok(stream) => stream,
        Err(text) => {
            journal.update(id, |r| r.handshake_error = Some(text));
            return;
        }
    };
    let handshake = Pin::new(&mut stream).accept();
    let result = tokio::select! {
        result = tokio::time::timeout(timeouts.handshake, handshake) => result,
        () = stop_signal(&mut stopped) => {
            journal.update(id, |r| {
                r.handshake_error = Some("receiver shut down during the handshake".into());
            });
            return;
        }
    };
    let ssl = stream.ssl();
    let sni = ssl.servername(NameType::HOST_NAME).map(str::to_owned);
    let ca_names = engine.verifier.hint_names();
    match result {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            let (text, alert, presented) = {
                let v = verdict.lock().map(|v| {
                    let (text, alert) = failure(&error, &v, ssl);
                    (text, alert, v.presented.clone())
                });
                match v {
                    Ok(found) => found,
                    Err(_) => (error.to_string(), None, Vec::new()),
                }
            };
            let alert = alert.and_then(harness::alert::TlsAlert::from_code);
            let sent_alert = alert.is_some();
            journal.update(id, |r| {
                r.sni = sni;
                r.handshake_error = Some(text);
                r.alert_sent = alert;
                r.ca_names_sent = ca_names;
                r.client_chain = presented.iter().map(ChainCertificate::from_der).collect();
            });
            if sent_alert {
                linger(stream.get_mut()).await;
            }
            return;
        }
        Err(_) => {
            journal.update(id, |r| {
                r.sni = sni;
                r.handshake_error = Some("handshake timed out".into());
            });
            return;
        }
    }

    let protocol = Some(protocol_of(ssl));
    let cipher = ssl
        .current_cipher()
        .map(|c| c.standard_name().unwrap_or(c.name()).to_owned());
    let mut chain: Vec<CertificateDer<'static>> = Vec::new();
    if let Some(leaf) = ssl.peer_certificate().and_then(|c| c.to_der().ok()) {
        chain.push(CertificateDer::from(leaf));
    }
    if let Some(stack) = ssl.peer_cert_chain() {
        for der in stack.iter().filter_map(|c| c.to_der().ok()) {
            // On the server side OpenSSL's peer chain leaves the leaf out; skip it if not.
            if chain.first().map(|l| l.as_ref()) != Some(der.as_slice()) {
                chain.push(CertificateDer::from(der));
            }
        }
    }
    journal.update(id, |r| {
        r.sni = sni.clone();
        r.protocol = protocol.clone();
        r.cipher = cipher.clone();
        r.ca_names_sent = ca_names;
        r.client_chain = chain.iter().map(ChainCertificate::from_der).collect();
    });
    let context = Arc::new(ConnectionContext {
        id,
        protocol,
        cipher,
        sni,
        chain,
        mode: engine.spec.client_auth.mode,
        rejection: engine.spec.client_auth.rejection,
        users: Arc::new(engine.spec.users.clone()),
        verifier: engine.verifier.clone(),
        journal: journal.clone(),
        read_timeout: timeouts.read,
    });
    let service = service_fn(move |request| handle(context.clone(), request));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.read);
    let io = TokioIo::new(WriteTimeout::new(stream, timeouts.write));
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stop_signal(&mut stopped) => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(timeouts.shutdown, connection.as_mut()).await;
        }
    }
}

/// After a failed handshake (the alert is written): half-close and read what the client
/// already sent for a short, bounded time, so closing does not send a reset (as on the
/// rustls path).
async fn linger(tcp: &mut TcpStream) {
    const LINGER: Duration = Duration::from_millis(500);
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use harness::pki::{KeyType, World, WorldSpec};
    use openssl::ssl::SslConnector;

    use crate::legacy::{Legacy, LegacyServerKey};
    use crate::{ClientAuth, Receiver, TrustProfile};

    const WAIT: Duration = Duration::from_secs(10);

    /// One HTTPS request with an OpenSSL client limited to `ciphers` (TLS 1.2 and older) and
    /// `versions`; the status line, or the handshake error.
    async fn request(
        addr: SocketAddr,
        ciphers: &str,
        versions: (SslVersion, SslVersion),
        client: Option<(&harness::pki::Issued, &[CertificateDer<'static>])>,
    ) -> Result<String, String> {
        let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
        b.set_security_level(0);
        b.set_cipher_list(ciphers).unwrap();
        b.set_min_proto_version(Some(versions.0)).unwrap();
        b.set_max_proto_version(Some(versions.1)).unwrap();
        b.set_verify(SslVerifyMode::NONE);
        if let Some((issued, chain)) = client {
            let key =
                PKey::private_key_from_der(issued.key().private_key().secret_pkcs8_der()).unwrap();
            b.set_private_key(&key).unwrap();
            b.set_certificate(&X509::from_der(&chain[0]).unwrap())
                .unwrap();
            for extra in &chain[1..] {
                b.add_extra_chain_cert(X509::from_der(extra).unwrap())
                    .unwrap();
            }
        }
        let ssl = b
            .build()
            .configure()
            .unwrap()
            .into_ssl("localhost")
            .unwrap();
        let tcp = tokio::time::timeout(WAIT, TcpStream::connect(addr))
            .await
            .unwrap()
            .unwrap();
        let mut stream = SslStream::new(ssl, tcp).unwrap();
        let io = async {
            Pin::new(&mut stream)
                .connect()
                .await
                .map_err(|e| e.to_string())?;
            stream
                .write_all(b"GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .await
                .map_err(|e| e.to_string())?;
            let mut answer = Vec::new();
            stream
                .read_to_end(&mut answer)
                .await
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&answer).into_owned();
            Ok(text.lines().next().unwrap_or_default().to_owned())
        };
        tokio::time::timeout(WAIT, io).await.unwrap()
    }

    /// The journal once `n` connections are closed.
    async fn closed(receiver: &RunningReceiver, n: usize) -> Vec<crate::ConnectionRecord> {
        let (held, records) = receiver
            .journal()
            .wait_until(WAIT, |r| r.len() == n && r.iter().all(|c| c.closed))
            .await;
        assert!(held, "{records:?}");
        records
    }

    const TLS12: (SslVersion, SslVersion) = (SslVersion::TLS1_2, SslVersion::TLS1_2);

    fn rsa_world() -> World {
        World::generate(&WorldSpec::new(1).key_type(KeyType::Rsa2048)).unwrap()
    }

    async fn legacy_receiver(world: &World, legacy: Legacy) -> RunningReceiver {
        let spec = ReceiverSpec::profile(world, TrustProfile::LeafIntermediate)
            .unwrap()
            .with_legacy(world, TrustProfile::LeafIntermediate, legacy)
            .unwrap();
        Receiver::start(spec).await.unwrap()
    }

    #[tokio::test]
    async fn each_cipher_policy_accepts_its_suites_only() {
        let world = rsa_world();
        for (policy, good, bad) in [
            (
                CipherPolicy::CbcOnly,
                "ECDHE-RSA-AES128-SHA",
                "ECDHE-RSA-AES128-GCM-SHA256",
            ),
            (
                CipherPolicy::RsaKxOnly,
                "AES256-GCM-SHA384",
                "ECDHE-RSA-AES256-GCM-SHA384",
            ),
            (
                CipherPolicy::DheOnly,
                "DHE-RSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES128-GCM-SHA256",
            ),
        ] {
            let legacy = Legacy {
                ciphers: Some(policy),
                ..Legacy::default()
            };
            let receiver = legacy_receiver(&world, legacy).await;
            let ok = request(receiver.addr(), good, TLS12, None).await;
            assert_eq!(ok.as_deref(), Ok("HTTP/1.1 200 OK"), "{policy}: {good}");
            let refused = request(receiver.addr(), bad, TLS12, None).await;
            assert!(refused.is_err(), "{policy}: {bad} got {refused:?}");
            let records = closed(&receiver, 2).await;
            assert_eq!(
                records[0].cipher.as_deref().map(|c| c.contains("WITH")),
                Some(true)
            );
            assert_eq!(records[0].protocol.as_deref(), Some("TLSv1.2"));
            assert_eq!(records[0].requests[0].status, 200);
            assert!(records[1].handshake_error.is_some(), "{:?}", records[1]);
            assert_eq!(
                records[1].alert_sent.map(|a| a.code()),
                Some(40),
                "{policy}: {:?}",
                records[1]
            );
            receiver.shutdown().await.unwrap();
        }
    }

    #[tokio::test]
    async fn impossible_settings_are_refused_at_start() {
        let p256 = World::generate(&WorldSpec::new(1)).unwrap();
        let start = |world: &World, legacy: Legacy, versions: TlsVersions, fault: Option<Fault>| {
            let mut spec = ReceiverSpec::profile(world, TrustProfile::LeafIntermediate)
                .unwrap()
                .versions(versions)
                .with_legacy(world, TrustProfile::LeafIntermediate, legacy)
                .unwrap();
            if let Some(fault) = fault {
                spec = spec.fault(fault);
            }
            async move {
                Receiver::start(spec)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        };
        let rsa_kx = Legacy {
            ciphers: Some(CipherPolicy::RsaKxOnly),
            ..Legacy::default()
        };
        let error = start(&p256, rsa_kx, TlsVersions::Both, None)
            .await
            .unwrap_err();
        assert!(error.contains("needs an RSA server key"), "{error}");
        let cbc = Legacy {
            ciphers: Some(CipherPolicy::CbcOnly),
            ..Legacy::default()
        };
        let error = start(&p256, cbc, TlsVersions::Tls13Only, None)
            .await
            .unwrap_err();
        assert!(error.contains("has no suite in TLS 1.3"), "{error}");
        let stall = Some(Fault::StallBeforeServerHello);
        let error = start(&p256, cbc, TlsVersions::Both, stall)
            .await
            .unwrap_err();
        assert!(error.contains("not available on a legacy"), "{error}");
        // RSA-1024 is an RSA key: RSA key exchange works in a P-256 world.
        let rsa1024 = Legacy {
            server_key: Some(LegacyServerKey::Rsa1024),
            ..rsa_kx
        };
        start(&p256, rsa1024, TlsVersions::Both, None)
            .await
            .unwrap();
        start(&p256, cbc, TlsVersions::Both, Some(Fault::Refuse))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_legacy_version_is_offered_alone() {
        let world = rsa_world();
        let legacy = Legacy {
            version: Some(LegacyVersion::Tls10),
            ..Legacy::default()
        };
        let receiver = legacy_receiver(&world, legacy).await;
        let tls10 = (SslVersion::TLS1, SslVersion::TLS1);
        let ok = request(receiver.addr(), "DEFAULT:@SECLEVEL=0", tls10, None).await;
        assert_eq!(ok.as_deref(), Ok("HTTP/1.1 200 OK"));
        let refused = request(receiver.addr(), "DEFAULT:@SECLEVEL=0", TLS12, None).await;
        assert!(refused.is_err(), "{refused:?}");
        let records = closed(&receiver, 2).await;
        assert_eq!(records[0].protocol.as_deref(), Some("TLSv1"));
        assert_eq!(
            records[1].alert_sent.map(|a| a.code()),
            Some(70),
            "{:?}",
            records[1]
        );
        receiver.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn legacy_keys_are_served() {
        let world = rsa_world();
        for key in LegacyServerKey::ALL {
            let legacy = Legacy {
                server_key: Some(key),
                ciphers: (key == LegacyServerKey::KeyEnciphermentOnly)
                    .then_some(CipherPolicy::RsaKxOnly),
                ..Legacy::default()
            };
            let receiver = legacy_receiver(&world, legacy).await;
            let ok = request(receiver.addr(), "DEFAULT:@SECLEVEL=0", TLS12, None).await;
            assert_eq!(ok.as_deref(), Ok("HTTP/1.1 200 OK"), "{key}");
            receiver.shutdown().await.unwrap();
        }
    }

    #[tokio::test]
    async fn client_auth_decides_as_the_rustls_path() {
        let world = rsa_world();
        let trust = vec![world.get(harness::pki::Role::ClientRoot).cert().clone()];
        let spec = ReceiverSpec::profile(&world, TrustProfile::LeafIntermediate)
            .unwrap()
            .client_auth(ClientAuth::new(ClientAuthMode::Required, trust))
            .with_legacy(
                &world,
                TrustProfile::LeafIntermediate,
                Legacy {
                    ciphers: Some(CipherPolicy::CbcOnly),
                    ..Legacy::default()
                },
            )
            .unwrap();
        let receiver = Receiver::start(spec).await.unwrap();
        let cbc = "ECDHE-RSA-AES128-SHA";
        let client = world.get(harness::pki::Role::Client);
        let ok = request(receiver.addr(), cbc, TLS12, Some((client, &client.chain()))).await;
        assert_eq!(ok.as_deref(), Ok("HTTP/1.1 200 OK"));
        let none = request(receiver.addr(), cbc, TLS12, None).await;
        assert!(none.is_err(), "{none:?}");
        let foreign = world.get(harness::pki::Role::UnrelatedClient);
        let bad = request(
            receiver.addr(),
            cbc,
            TLS12,
            Some((foreign, &foreign.chain())),
        )
        .await;
        assert!(bad.is_err(), "{bad:?}");
        let expired = world.get(harness::pki::Role::ClientExpired);
        let old = request(
            receiver.addr(),
            cbc,
            TLS12,
            Some((expired, &expired.chain())),
        )
        .await;
        assert!(old.is_err(), "{old:?}");
        let records = closed(&receiver, 4).await;
        assert_eq!(records[0].client_chain.len(), 2, "{:?}", records[0]);
        assert_eq!(records[0].ca_names_sent.len(), 1);
        assert_eq!(
            records[1].alert_sent.map(|a| a.code()),
            Some(40),
            "{:?}",
            records[1]
        );
        assert_eq!(
            records[2].alert_sent.map(|a| a.code()),
            Some(48),
            "{:?}",
            records[2]
        );
        assert_eq!(records[2].client_chain.len(), 1, "{:?}", records[2]);
        assert_eq!(
            records[3].alert_sent.map(|a| a.code()),
            Some(45),
            "{:?}",
            records[3]
        );
        receiver.shutdown().await.unwrap();
    }
}
