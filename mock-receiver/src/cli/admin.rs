//! The admin listener: plain HTTP on loopback, so the journal of a receiver whose mTLS
//! is being debugged is reachable without a client certificate; `/` is the landing page
//! (with `serve --all`: the catalogue, grouped like badssl.com's dashboard).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use mock_receiver::Journal;
use mock_receiver::catalogue::{Endpoint, Expected, Group};
use tokio::net::TcpListener;

/// One receiver of this process.
pub(crate) struct Entry {
    pub(crate) profile: &'static str,
    pub(crate) identity: String,
    pub(crate) address: String,
    pub(crate) journal: Journal,
    /// With `serve --all`: the catalogue endpoint it serves.
    pub(crate) listed: Option<Listed>,
}

/// A catalogue endpoint as the landing page shows it.
pub(crate) struct Listed {
    pub(crate) endpoint: Endpoint,
    /// CPI's outcome with the tenant keystore with the root, then without.
    pub(crate) expected: [Expected; 2],
    /// The `harness connect` commands that show them.
    pub(crate) commands: [String; 2],
}

/// What the admin listener serves.
pub(crate) struct Catalogue {
    pub(crate) receivers: Vec<Entry>,
    pub(crate) clock: harness::time::Clock,
    pub(crate) trust_from: Option<&'static str>,
    pub(crate) trust_subjects: Vec<String>,
    /// Where the PKI and the tenant keystores are (`serve --all`).
    pub(crate) pki_dir: Option<String>,
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
    typed(status, body, "application/json")
}

fn typed(status: StatusCode, body: String, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

/// The route of one endpoint's journal.
const JOURNAL_PREFIX: &str = "/__admin/journal/";

/// Text for HTML: `&`, `<`, `>`, `"`, `'` escaped.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The CSS class of an expected outcome: `ok` (success, HTTP 200), `http` (handshake fine,
/// HTTP refuses), `fail`.
fn outcome_class(expected: &Expected) -> &'static str {
    match (expected.failure, expected.http_status) {
        (None, Some(200) | None) => "ok",
        (None, Some(_)) | (Some(harness::connect::FailureClass::HttpUnauthorized), _) => "http",
        (Some(_), _) => "fail",
    }
}

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f4;color:#222}\
header{background:#222;color:#fff;padding:1em 2em}header h1{margin:0 0 .3em}\
header p{margin:.2em 0;color:#ccc}header code{color:#fff}\
nav{padding:.5em 2em;background:#ddd}nav a{margin-right:1em;color:#222}\
section{padding:0 2em 1em}h2{margin:1em 0 .5em}\
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(26em,1fr));gap:1em}\
article{background:#fff;border-left:.6em solid #999;padding:.6em 1em;border-radius:3px}\
article.ok{border-color:#2e9e44}article.fail{border-color:#c62828}article.http{border-color:#e6a100}\
article h3{margin:.2em 0}article h3 a{color:#222}\
.summary{margin:.2em 0 .5em;color:#444}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:.3em 0;font-size:.9em}\
dt{color:#666}dd{margin:0}\
.outcome{display:inline-block;padding:.1em .5em;border-radius:3px;font-size:.9em;margin:.1em 0}\
.outcome.ok{background:#d7f2dc}.outcome.fail{background:#f8d7d7}.outcome.http{background:#fbecc2}\
pre{background:#f0f0f0;padding:.4em;white-space:pre-wrap;word-break:break-all;\
user-select:all;font-size:.8em;margin:.2em 0 .5em}\
.legend span{margin-right:1em;color:#222}\
ol.journal{font-size:.8em;color:#444;margin:.2em 0;padding-left:1.5em}";

impl Catalogue {
    /// The landing page: the catalogue grouped like badssl.com's dashboard, each endpoint
    /// with its expected CPI outcome, its `harness connect` commands and a link to its
    /// journal. Plain HTML and CSS, no script, nothing external.
    fn landing_page(&self) -> String {
        let mut html = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>mock-receiver: a local badssl for CPI's outbound case</title>\
             <link rel=\"icon\" href=\"data:,\">",
        );
        html.push_str(&format!("<style>{STYLE}</style></head><body><header>"));
        html.push_str("<h1>mock-receiver</h1>");
        html.push_str(&format!(
            "<p>{} receiver(s). Clock: {}.</p>",
            self.receivers.len(),
            esc(&self.clock.describe(self.clock.now()))
        ));
        if let Some(dir) = &self.pki_dir {
            html.push_str(&format!(
                "<p>Outcomes are those of CPI's connectivity test (validate the server \
                 certificate; authenticate with client certificate, alias empty) with the \
                 seeded tenant keystore: key pair <code>cpi_client</code>, with and without \
                 the receiver's root <code>backend_root</code>. Keystores and PKI: \
                 <code>{}</code>.</p>",
                esc(dir)
            ));
        }
        html.push_str(
            "<p class=\"legend\"><span class=\"outcome ok\">success</span>\
             <span class=\"outcome http\">handshake done, HTTP refuses</span>\
             <span class=\"outcome fail\">failure</span></p></header>",
        );
        let listed = self.receivers.iter().any(|r| r.listed.is_some());
        if listed {
            html.push_str("<nav>");
            for group in Group::ALL {
                if self.in_group(group).next().is_some() {
                    html.push_str(&format!(
                        "<a href=\"#{}\">{}</a>",
                        group.name(),
                        esc(group.title())
                    ));
                }
            }
            html.push_str("</nav>");
            for group in Group::ALL {
                if self.in_group(group).next().is_none() {
                    continue;
                }
                html.push_str(&format!(
                    "<section id=\"{}\"><h2>{}</h2><div class=\"grid\">",
                    group.name(),
                    esc(group.title())
                ));
                for (entry, listed) in self.in_group(group) {
                    html.push_str(&card(entry, listed));
                }
                html.push_str("</div></section>");
            }
        } else {
            html.push_str("<section><h2>Receivers</h2><div class=\"grid\">");
            for entry in &self.receivers {
                html.push_str(&format!(
                    "<article><h3><a class=\"endpoint-link\" href=\"/__admin/journal\">{}</a></h3>\
                     <dl><dt>address</dt><dd>{}</dd><dt>serves</dt><dd>{}</dd>\
                     <dt>journal</dt><dd>{} connection(s)</dd></dl></article>",
                    esc(entry.profile),
                    esc(&entry.address),
                    esc(&entry.identity),
                    entry.journal.len()
                ));
            }
            html.push_str("</div></section>");
        }
        html.push_str("</body></html>\n");
        html
    }

    fn in_group(&self, group: Group) -> impl Iterator<Item = (&Entry, &Listed)> {
        self.receivers.iter().filter_map(move |entry| {
            entry
                .listed
                .as_ref()
                .filter(|l| l.endpoint.group == group)
                .map(|l| (entry, l))
        })
    }

    /// The journal of the endpoint named `name`.
    fn endpoint_journal(&self, name: &str) -> Option<String> {
        self.receivers
            .iter()
            .find(|r| r.listed.as_ref().is_some_and(|l| l.endpoint.name == name))
            .map(|r| r.journal.to_json())
    }
}

/// How many of an endpoint's most recent connections its card shows.
const RECENT: usize = 3;

/// One connection in a line: when, protocol, the client certificate, and what came of it.
fn connection_line(r: &mock_receiver::ConnectionRecord) -> String {
    let mut line = format!("#{} {}", r.id, r.at);
    if let Some(protocol) = &r.protocol {
        line.push_str(&format!(" {protocol}"));
    }
    match r.client_chain.first() {
        Some(leaf) => line.push_str(&format!(", client certificate {}", leaf.subject)),
        None => line.push_str(", no client certificate"),
    }
    for request in &r.requests {
        line.push_str(&format!(
            ", {} {} -> {}{}",
            request.method,
            request.path,
            request.status,
            request
                .user
                .as_deref()
                .map(|u| format!(" as {u}"))
                .unwrap_or_default()
        ));
    }
    if let Some(alert) = &r.alert_sent {
        line.push_str(&format!(", alert {alert} sent"));
    }
    if let Some(fault) = &r.fault {
        line.push_str(&format!(", fault {fault}"));
    }
    if let Some(error) = &r.handshake_error {
        line.push_str(&format!(" ({error})"));
    }
    line
}

/// One endpoint's card: its one link (to its journal), what it does, the expected
/// outcomes and the commands.
fn card(entry: &Entry, listed: &Listed) -> String {
    let e = &listed.endpoint;
    let [with, without] = &listed.expected;
    let mut rows = vec![
        ("address", entry.address.clone()),
        ("sends", e.sends()),
        ("client must trust", e.client_must_trust().to_owned()),
        (
            "client certificate",
            e.wants_client_certificate().to_owned(),
        ),
    ];
    if e.client_auth != mock_receiver::ClientAuthMode::None {
        rows.push(("CA names", e.ca_names_text().to_owned()));
        rows.push(("receiver", e.client_trust_text()));
    }
    if let Some(fault) = e.fault_name() {
        rows.push(("fault", fault));
    }
    let connections = entry.journal.len();
    rows.push(("journal", format!("{connections} connection(s)")));
    let dl: String = rows
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), esc(v)))
        .collect();
    let recent: String = entry
        .journal
        .recent(RECENT)
        .iter()
        .map(|r| format!("<li>{}</li>", esc(&connection_line(r))))
        .collect();
    let recent = if recent.is_empty() {
        String::new()
    } else {
        format!("<ol class=\"journal\">{recent}</ol>")
    };
    format!(
        "<article class=\"{}\" id=\"{name}\"><h3><a class=\"endpoint-link\" \
         href=\"{JOURNAL_PREFIX}{name}\" title=\"journal of {name} (JSON)\">{name}</a></h3>\
         <p class=\"summary\">{}</p><dl>{dl}</dl>\
         <div>with root: <span class=\"outcome {}\">{}</span></div><pre>{}</pre>\
         <div>without root: <span class=\"outcome {}\">{}</span></div><pre>{}</pre>\
         {recent}</article>",
        outcome_class(with),
        esc(e.summary),
        outcome_class(with),
        esc(&with.to_string()),
        esc(&listed.commands[0]),
        outcome_class(without),
        esc(&without.to_string()),
        esc(&listed.commands[1]),
        name = esc(e.name),
    )
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
                    let path = request.uri().path();
                    let response = match (request.method().as_str(), path) {
                        ("GET", "/" | "/index.html") => typed(
                            StatusCode::OK,
                            catalogue.landing_page(),
                            "text/html; charset=utf-8",
                        ),
                        ("GET", "/__admin/journal") => answer(StatusCode::OK, catalogue.journal()),
                        ("GET", _) if path.starts_with(JOURNAL_PREFIX) => {
                            match catalogue.endpoint_journal(&path[JOURNAL_PREFIX.len()..]) {
                                Some(json) => answer(StatusCode::OK, json),
                                None => answer(
                                    StatusCode::NOT_FOUND,
                                    serde_json::json!({"error": "no endpoint of that name"})
                                        .to_string(),
                                ),
                            }
                        }
                        ("GET", "/__admin/receivers" | "/__admin" | "/__admin/") => {
                            answer(StatusCode::OK, catalogue.receivers())
                        }
                        _ => answer(
                            StatusCode::NOT_FOUND,
                            serde_json::json!({
                                "error": "not found",
                                "paths": ["/", "/__admin/journal", "/__admin/journal/NAME", "/__admin/receivers"],
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

#[cfg(test)]
mod tests {
    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            super::esc(r#"<a href='x'>&"</a>"#),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
