//! The HTTP layer: client certificate -> user mapping -> 200 / 400 / 401 / 403, and a JSON
//! answer describing the connection for any method and path.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use rustls_pki_types::CertificateDer;
use serde::Serialize;

use crate::journal::{ChainCertificate, Journal, RequestRecord};
use crate::spec::{ClientAuthMode, Rejection, UserMap};
use crate::tls::ReceiverVerifier;

/// The admin path answering the journal.
pub(crate) const JOURNAL_PATH: &str = "/__admin/journal";

/// What the HTTP layer knows about its connection.
#[derive(Debug)]
pub(crate) struct ConnectionContext {
    pub(crate) id: u64,
    pub(crate) protocol: Option<String>,
    pub(crate) cipher: Option<String>,
    pub(crate) sni: Option<String>,
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) mode: ClientAuthMode,
    pub(crate) rejection: Rejection,
    pub(crate) users: Arc<UserMap>,
    pub(crate) verifier: Arc<ReceiverVerifier>,
    pub(crate) journal: Journal,
    pub(crate) read_timeout: Duration,
}

/// The JSON answer to every request.
#[derive(Debug, Serialize)]
struct Answer<'a> {
    version: u32,
    status: u16,
    error: Option<&'a str>,
    protocol: Option<&'a str>,
    cipher: Option<&'a str>,
    sni: Option<&'a str>,
    client_chain: Vec<ChainCertificate>,
    user: Option<&'a str>,
    method: &'a str,
    path: &'a str,
    body_size: u64,
}

/// The nginx texts users meet (ngx_http_request.c, `ssl_verify_client on|optional`).
const NO_CERT: &str = "No required SSL certificate was sent";
const BAD_CERT: &str = "The SSL certificate error";

pub(crate) async fn handle(
    ctx: Arc<ConnectionContext>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let mut body = request.into_body();
    let mut body_size = 0u64;
    loop {
        match tokio::time::timeout(ctx.read_timeout, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    body_size += data.len() as u64;
                }
            }
            Ok(Some(Err(e))) => return Err(e),
            Ok(None) => break,
            Err(_) => {
                return Ok(plain(StatusCode::REQUEST_TIMEOUT, "request body timed out"));
            }
        }
    }

    if method == "GET" && path == JOURNAL_PATH {
        let response = Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(ctx.journal.to_json())));
        record(&ctx, &method, &path, body_size, 200, None);
        return Ok(response.unwrap_or_else(|_| plain(StatusCode::OK, "")));
    }

    let (status, user, error) = decide(&ctx);
    record(
        &ctx,
        &method,
        &path,
        body_size,
        status.as_u16(),
        user.clone(),
    );
    if status == StatusCode::BAD_REQUEST
        && let Some(text) = error.as_deref()
    {
        return Ok(nginx_400(text));
    }
    let answer = Answer {
        version: 1,
        status: status.as_u16(),
        error: error.as_deref(),
        protocol: ctx.protocol.as_deref(),
        cipher: ctx.cipher.as_deref(),
        sni: ctx.sni.as_deref(),
        client_chain: ctx.chain.iter().map(ChainCertificate::from_der).collect(),
        user: user.as_deref(),
        method: &method,
        path: &path,
        body_size,
    };
    let json = serde_json::to_string_pretty(&answer).unwrap_or_default();
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if status == StatusCode::UNAUTHORIZED {
        builder = builder.header("www-authenticate", "Certificate");
    }
    Ok(builder
        .body(Full::new(Bytes::from(json)))
        .unwrap_or_else(|_| plain(status, "")))
}

/// Status, mapped user and error text for this connection's client certificate.
fn decide(ctx: &ConnectionContext) -> (StatusCode, Option<String>, Option<String>) {
    let has_cert = !ctx.chain.is_empty();
    if ctx.rejection == Rejection::Http400 && ctx.mode != ClientAuthMode::None {
        if !has_cert && ctx.mode == ClientAuthMode::Required {
            return (StatusCode::BAD_REQUEST, None, Some(NO_CERT.into()));
        }
        if has_cert && ctx.verifier.check(&ctx.chain).is_err() {
            return (StatusCode::BAD_REQUEST, None, Some(BAD_CERT.into()));
        }
    }
    if !ctx.users.is_enforced() {
        return (StatusCode::OK, None, None);
    }
    let Some(leaf) = ctx.chain.first() else {
        return (
            StatusCode::UNAUTHORIZED,
            None,
            Some("no client certificate: cannot map a user".into()),
        );
    };
    let users = ctx.users.users_for(leaf);
    match users.as_slice() {
        [] => {
            let status =
                StatusCode::from_u16(ctx.users.unmapped_status).unwrap_or(StatusCode::UNAUTHORIZED);
            (
                status,
                None,
                Some("client certificate is trusted but mapped to no user".into()),
            )
        }
        [_, _, ..] if ctx.users.requires_one_user() => (
            StatusCode::FORBIDDEN,
            None,
            Some("client certificate is mapped to more than one user".into()),
        ),
        [first, ..] => (StatusCode::OK, Some(first.clone()), None),
    }
}

fn record(
    ctx: &ConnectionContext,
    method: &str,
    path: &str,
    body_size: u64,
    status: u16,
    user: Option<String>,
) {
    ctx.journal.update(ctx.id, |r| {
        r.requests.push(RequestRecord {
            method: method.to_owned(),
            path: path.to_owned(),
            body_size,
            status,
            user,
        });
    });
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// nginx's 400 page, byte for byte as nginx 1.x writes it.
fn nginx_400(text: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<html>\r\n<head><title>400 {text}</title></head>\r\n<body>\r\n\
         <center><h1>400 Bad Request</h1></center>\r\n<center>{text}</center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/html"),
    );
    response
}
