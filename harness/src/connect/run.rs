//! One connectivity test: resolve, connect, handshake, `GET /`, read.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::UnixTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_openssl::SslStream;

use super::ConnectError;
use super::client_cert::{ChoiceReason, ClientCertReport};
use super::engine::{self, Hook, Negotiated, Refusal};
use super::failure::{self, Context, Failure, Phase};
use super::key_manager::KeyManager;
use super::options::{ClientCertificate, Options, Validation};
use super::outcome::{ChainCert, Outcome, Timings};
use super::trust::TrustSource;
use crate::cert::CertInfo;
use crate::pkix::Accepted;
use crate::time::format_rfc3339;

/// Runs one connectivity test. `Ok` holds the outcome, success or failure; `Err` means the
/// test could not run (see [`ConnectError`]). Every network wait has a timeout, so this
/// returns within roughly connect + handshake + read timeout.
pub async fn run(options: &Options, trust: &TrustSource) -> Result<Outcome, ConnectError> {
    let prepared = prepare(options, trust)?;
    Ok(execute(options, prepared).await)
}

struct Prepared {
    hook: Arc<Hook>,
    /// The SNI name sent, as Java sends it (none for a single label or an IP literal).
    sni: Option<String>,
    trust_anchors: usize,
    /// The time certificates are judged at: read once, so the report names the same instant.
    now: time::OffsetDateTime,
}

fn prepare(options: &Options, trust: &TrustSource) -> Result<Prepared, ConnectError> {
    let now = options.clock.now();
    let key_manager = KeyManager::new(options, trust, now)?;

    options.target.server_name()?;
    let host = crate::pkix::Host::parse(&options.target.host);
    let sni = match &options.sni {
        Some(name) => {
            let valid = rustls_pki_types::ServerName::try_from(name.as_str())
                .is_ok_and(|n| matches!(n, rustls_pki_types::ServerName::DnsName(_)));
            if !valid {
                return Err(ConnectError::BadSni { name: name.clone() });
            }
            Some(name.clone())
        }
        None => engine::hello::java_sends_sni(&options.target.host),
    };
    if options.min_version > options.max_version {
        return Err(ConnectError::NoVersion {
            min: options.min_version,
            max: options.max_version,
        });
    }

    let validator = trust.validator();
    let trust_anchors = validator.trust_anchor_count();
    let unix = UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(now.unix_timestamp()).unwrap_or(0),
    ));
    let hook = Arc::new(Hook::new(
        validator,
        host,
        unix,
        options.validation == Validation::Required,
        key_manager,
        trust.verdict_cache(),
    ));
    Ok(Prepared {
        hook,
        sni,
        trust_anchors,
        now,
    })
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// What happened on the wire, before it is turned into an [`Outcome`].
#[derive(Default)]
struct Wire {
    address: Option<SocketAddr>,
    reached: bool,
    negotiated: Negotiated,
    http_status: Option<u16>,
    timings: Timings,
    error: Option<WireError>,
}

enum WireError {
    Done(Failure),
    Io(std::io::Error, Phase),
    Ssl(openssl::ssl::Error, Phase),
    Timeout(Phase, Duration),
}

async fn execute(options: &Options, prepared: Prepared) -> Outcome {
    let start = Instant::now();
    let mut wire = Wire::default();
    talk(options, &prepared, &mut wire).await;
    wire.timings.total_ms = ms(start.elapsed());

    let mut record = std::mem::take(
        &mut *prepared
            .hook
            .record
            .lock()
            .unwrap_or_else(|p| p.into_inner()),
    );
    let infos: Vec<CertInfo> = match record.infos.take() {
        Some(infos) => infos,
        None => record
            .chain
            .iter()
            .filter_map(|c| CertInfo::from_der(c.as_ref()).ok())
            .collect(),
    };
    let server_chain = record
        .chain
        .iter()
        .zip(&infos)
        .enumerate()
        .map(|(position, (der, info))| ChainCert {
            position,
            info: info.clone(),
            der: der.clone(),
        })
        .collect();
    // Under TLS 1.3 the CertificateRequest arrives before the server's certificate is
    // judged: a key chosen then is sent only if the server's chain passed (or was not
    // checked).
    let chain_passed = record.refusal.is_none()
        && match options.validation {
            Validation::Required => record.error.is_none(),
            Validation::DangerousOff => record.unvalidated.is_none(),
        };
    let used = record.used && chain_passed;
    let now = prepared.now;
    let cx = |phase| Context {
        host: &options.target.host,
        phase,
        requested: record.requested,
        sent_alias: used.then_some(record.chosen.as_deref()).flatten(),
        chain: &infos,
        now,
        clock: options.clock,
        trust_anchors: prepared.trust_anchors,
        timeout: match phase {
            Phase::Connect => options.connect_timeout,
            Phase::Handshake => options.handshake_timeout,
            Phase::Response => options.read_timeout,
        },
        versions: (options.min_version, options.max_version),
    };
    // Our own refusals come first: OpenSSL only reports "certificate verify failed".
    let refused = match (&record.refusal, wire.error.is_some(), options.validation) {
        (Some(refusal), true, _) => Some(refusal_failure(refusal, prepared.sni.as_deref())),
        (None, true, Validation::Required) => record.error.as_ref().map(|e| e.failure()),
        (None, true, Validation::DangerousOff) => record.unvalidated.as_ref().map(|e| e.failure()),
        _ => None,
    };
    let failure = match (refused, wire.error.take()) {
        (Some(f), _) => Some(f),
        (None, error) => match error {
            Some(WireError::Done(f)) => Some(f),
            Some(WireError::Io(err, phase)) => Some(failure::classify_io(&err, &cx(phase))),
            Some(WireError::Ssl(err, phase)) => Some(failure::classify_ssl(&err, &cx(phase))),
            Some(WireError::Timeout(phase, limit)) => Some(Failure::ReadTimeout {
                phase,
                timeout_ms: limit.as_millis() as u64,
            }),
            None => match wire.http_status {
                Some(status @ (401 | 403)) => Some(Failure::HttpUnauthorized { status }),
                _ => None,
            },
        },
    };
    let ignored_validation_failure = match (&options.validation, &record.error) {
        (Validation::DangerousOff, Some(err)) => Some(err.failure()),
        _ => None,
    };
    let reason = match (&options.client_certificate, record.reason) {
        (_, Some(reason)) => reason,
        (ClientCertificate::Off, None) if wire.negotiated.protocol.is_some() => {
            ChoiceReason::ServerDidNotAsk
        }
        (ClientCertificate::Off, None) => ChoiceReason::NotConfigured,
        (_, None) => ChoiceReason::ServerDidNotAsk,
    };
    let client_certificate = ClientCertReport {
        configured: options.client_certificate.clone(),
        requested: record.requested,
        ca_names: record
            .ca_names
            .iter()
            .map(|n| crate::cert::name_text(n))
            .collect(),
        ca_names_der: record.ca_names,
        chosen_alias: record.chosen,
        reason,
        used,
    };
    Outcome {
        target: options.target.clone(),
        address: wire.address.map(|a| a.to_string()),
        sni: prepared.sni.clone(),
        now: format_rfc3339(now),
        clock: options.clock.label().to_owned(),
        validation: options.validation,
        reached: wire.reached,
        protocol: wire.negotiated.protocol,
        cipher: wire.negotiated.cipher,
        group: wire.negotiated.group,
        signature_scheme: wire.negotiated.signature_scheme,
        server_chain,
        ignored_validation_failure,
        trusted_end_entity: record.accepted == Some(Accepted::TrustedEndEntity),
        client_certificate,
        http_status: wire.http_status,
        timings: wire.timings,
        failure,
    }
}

async fn talk(options: &Options, prepared: &Prepared, wire: &mut Wire) {
    let target = &options.target;
    let connect_start = Instant::now();
    let lookup = match (options.connect_to, &options.resolved) {
        (Some(ip), _) => Ok(Ok(vec![SocketAddr::new(ip, target.port)])),
        (None, Some(resolved)) => Ok(resolved.clone()),
        (None, None) => timeout(
            options.connect_timeout,
            tokio::net::lookup_host((target.host.as_str(), target.port)),
        )
        .await
        .map(|r| r.map(|a| a.collect()).map_err(|e| failure::io_text(&e))),
    };
    let addresses: Vec<SocketAddr> = match lookup {
        Ok(Ok(addresses)) => addresses,
        Ok(Err(detail)) => {
            wire.error = Some(WireError::Done(Failure::UnknownHost {
                host: target.host.clone(),
                detail,
            }));
            return;
        }
        Err(_) => {
            wire.error = Some(WireError::Done(Failure::UnknownHost {
                host: target.host.clone(),
                detail: "name resolution timed out".into(),
            }));
            return;
        }
    };
    if addresses.is_empty() {
        wire.error = Some(WireError::Done(Failure::UnknownHost {
            host: target.host.clone(),
            detail: "no address".into(),
        }));
        return;
    }

    // Java connects to the first address; we try each in turn, so "localhost" works whether
    // the receiver listens on 127.0.0.1 or ::1, and report the last failure.
    let mut tcp = None;
    let mut last = None;
    for address in &addresses {
        wire.address = Some(*address);
        let remaining = options
            .connect_timeout
            .saturating_sub(connect_start.elapsed());
        match timeout(remaining, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                tcp = Some(stream);
                break;
            }
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = Some(Failure::ConnectionRefused {
                    address: address.to_string(),
                });
            }
            Ok(Err(err)) => {
                last = Some(Failure::HandshakeClosed {
                    phase: Phase::Connect,
                    detail: failure::io_text(&err),
                });
            }
            Err(_) => {
                last = Some(Failure::ConnectTimeout {
                    address: address.to_string(),
                    timeout_ms: options.connect_timeout.as_millis() as u64,
                });
                break;
            }
        }
    }
    let Some(tcp) = tcp else {
        wire.error = last.map(WireError::Done);
        return;
    };
    let _ = tcp.set_nodelay(true);
    wire.reached = true;
    wire.timings.connect_ms = Some(ms(connect_start.elapsed()));

    let handshake_start = Instant::now();
    let ssl = match engine::new_ssl(
        &prepared.hook,
        options.min_version,
        options.max_version,
        prepared.sni.as_deref(),
    )
    .and_then(|ssl| SslStream::new(ssl, tcp).map_err(ConnectError::Config))
    {
        Ok(stream) => stream,
        Err(err) => {
            wire.error = Some(WireError::Done(Failure::HandshakeClosed {
                phase: Phase::Handshake,
                detail: format!("{err}"),
            }));
            return;
        }
    };
    let mut tls = ssl;
    match timeout(options.handshake_timeout, Pin::new(&mut tls).connect()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            wire.error = Some(WireError::Ssl(err, Phase::Handshake));
            return;
        }
        Err(_) => {
            wire.error = Some(WireError::Timeout(
                Phase::Handshake,
                options.handshake_timeout,
            ));
            return;
        }
    };
    wire.timings.handshake_ms = Some(ms(handshake_start.elapsed()));
    wire.negotiated = engine::negotiated(tls.ssl());

    // Under TLS 1.3 the server judges our certificate only now: the test has not succeeded
    // until the server has answered (crates.md §5 item 5).
    let response_start = Instant::now();
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: harness-connect\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        target.port
    );
    let write = timeout(options.read_timeout, async {
        tls.write_all(request.as_bytes()).await?;
        tls.flush().await
    })
    .await;
    let write_error = match write {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(err),
        Err(_) => {
            wire.error = Some(WireError::Timeout(Phase::Response, options.read_timeout));
            return;
        }
    };
    let mut buf = Vec::with_capacity(1024);
    let read = timeout(options.read_timeout, async {
        let mut chunk = [0u8; 1024];
        loop {
            let n = tls.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(2).any(|w| w == b"\r\n") || buf.len() >= 8192 {
                return Ok(());
            }
        }
    })
    .await;
    match read {
        Ok(Ok(())) => {
            if let Some(err) = write_error {
                wire.error = Some(WireError::Io(err, Phase::Response));
                return;
            }
        }
        Ok(Err(err)) => {
            // A read error carries the server's alert; it is more telling than a write error.
            wire.error = Some(WireError::Io(err, Phase::Response));
            return;
        }
        Err(_) => {
            wire.error = Some(WireError::Timeout(Phase::Response, options.read_timeout));
            return;
        }
    }
    wire.timings.response_ms = Some(ms(response_start.elapsed()));
    wire.http_status = parse_status(&buf);
    let _ = timeout(Duration::from_millis(200), tls.shutdown()).await;
}

/// The failure of a refusal Java makes on its own (not a certificate rule), with Java's
/// message (measured with JDK 17.0.15).
fn refusal_failure(refusal: &Refusal, sni: Option<&str>) -> Failure {
    match refusal {
        Refusal::ChainTooLong { length } => Failure::BadCertificate {
            detail: format!(
                "The certificate chain length ({length}) exceeds the maximum allowed length ({})",
                engine::hello::MAX_CERTIFICATE_CHAIN_LENGTH
            ),
            java: None,
        },
        Refusal::UnrecognizedName => Failure::ProtocolMismatch {
            detail: format!(
                "the server answered the SNI name `{}` with a warning unrecognized_name alert, which Java's client treats as fatal under TLS 1.2",
                sni.unwrap_or("-")
            ),
            alert: Some(super::java_text::UNRECOGNIZED_NAME_WARNING.to_owned()),
            offered: Vec::new(),
        },
        Refusal::EmptyCertificateAuthorities => Failure::ProtocolMismatch {
            detail: "the server's TLS 1.3 CertificateRequest carries an empty certificate_authorities extension (OpenSSL 3.0 with SSL_OP_DISABLE_TLSEXT_CA_NAMES sends one), which Java's client refuses as malformed".into(),
            alert: Some(super::java_text::EMPTY_CERTIFICATE_AUTHORITIES.to_owned()),
            offered: Vec::new(),
        },
    }
}

/// The status code of an HTTP/1.x status line.
fn parse_status(bytes: &[u8]) -> Option<u16> {
    let line = bytes.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 403 Forbidden\r\n"), Some(403));
        assert_eq!(parse_status(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }
}
