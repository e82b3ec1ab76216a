//! The admin listener: plain HTTP on loopback, so the journal of a receiver whose mTLS
//! is being debugged is reachable without a client certificate.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use mock_receiver::Journal;
use tokio::net::TcpListener;

/// One receiver of this process.
pub(crate) struct Entry {
    pub(crate) profile: &'static str,
    pub(crate) identity: String,
    pub(crate) address: String,
    pub(crate) journal: Journal,
}

/// What the admin listener serves.
pub(crate) struct Catalogue {
    pub(crate) receivers: Vec<Entry>,
    pub(crate) clock: harness::time::Clock,
    pub(crate) trust_from: Option<&'static str>,
    pub(crate) trust_subjects: Vec<String>,
}

impl Catalogue {
    fn journal(&self) -> String {
        // One receiver: its journal as the TLS path serves it; several: one per profile.
        if let [only] = self.receivers.as_slice() {
            return only.journal.to_json();
        }
        let receivers: Vec<_> = self
            .receivers
            .iter()
            .map(|r| {
                serde_json::json!({
                    "profile": r.profile,
                    "address": r.address,
                    "connections": r.journal.connections(),
                })
            })
            .collect();
        serde_json::json!({ "version": 1, "receivers": receivers }).to_string()
    }

    fn receivers(&self) -> String {
        let receivers: Vec<_> = self
            .receivers
            .iter()
            .map(|r| {
                serde_json::json!({
                    "profile": r.profile,
                    "identity": r.identity,
                    "address": r.address,
                })
            })
            .collect();
        serde_json::json!({
            "version": 1,
            "receivers": receivers,
            "clock": self.clock.label(),
            "now": harness::time::format_rfc3339(self.clock.now()),
            "client_trust_from": self.trust_from,
            "client_trust_anchors": self.trust_subjects,
        })
        .to_string()
    }
}

fn answer(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Serves until the task is aborted; each connection is bounded by a header timeout.
pub(crate) async fn serve(listener: TcpListener, catalogue: Arc<Catalogue>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let catalogue = catalogue.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let catalogue = catalogue.clone();
                async move {
                    let response = match (request.method().as_str(), request.uri().path()) {
                        ("GET", "/__admin/journal") => answer(StatusCode::OK, catalogue.journal()),
                        ("GET", "/__admin/receivers" | "/__admin" | "/__admin/") => {
                            answer(StatusCode::OK, catalogue.receivers())
                        }
                        _ => answer(
                            StatusCode::NOT_FOUND,
                            serde_json::json!({
                                "error": "not found",
                                "paths": ["/__admin/journal", "/__admin/receivers"],
                            })
                            .to_string(),
                        ),
                    };
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(10));
            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
        });
    }
}
