//! The report of one connectivity test: JSON (a stable, versioned format) and text.

use std::fmt::Write;

use serde_json::{Value, json};

use super::diagnosis::Diagnosis;
use crate::connect::{Failure, Outcome, REPORT_VERSION};

/// The JSON report: the outcome, the failure as `{class, message, evidence, java_text}` (or
/// null), and the diagnosis, under a format `version`.
pub fn report_json(outcome: &Outcome, diagnosis: &Diagnosis) -> Value {
    let failure = |f: &Failure| {
        let evidence = serde_json::to_value(f)
            .ok()
            .and_then(|v| v.get("evidence").cloned())
            .unwrap_or(Value::Null);
        json!({
            "class": f.class(),
            "message": f.message(),
            "evidence": evidence,
            "java_text": f.java_text(),
        })
    };
    let cc = &outcome.client_certificate;
    json!({
        "version": REPORT_VERSION,
        "target": outcome.target.to_string(),
        "address": outcome.address,
        "sni": outcome.sni,
        "now": outcome.now,
        "clock": outcome.clock,
        "validation": outcome.validation,
        "success": outcome.succeeded(),
        "reached": outcome.reached,
        "protocol": outcome.protocol,
        "cipher": outcome.cipher,
        "group": outcome.group,
        "signature_scheme": outcome.signature_scheme,
        "server_chain": outcome.server_chain,
        "trusted_end_entity": outcome.trusted_end_entity,
        "client_certificate_requested": cc.requested,
        "client_certificate_ca_names": cc.ca_names,
        "client_certificate_used": cc.used,
        "chosen_alias": cc.chosen_alias,
        "client_certificate": cc,
        "http_status": outcome.http_status,
        "timings": outcome.timings,
        "failure": outcome.failure.as_ref().map(failure),
        "ignored_validation_failure": outcome.ignored_validation_failure.as_ref().map(failure),
        "diagnosis": diagnosis,
    })
}

/// The report for people, in CPI's words where CPI has them.
pub fn report_text(outcome: &Outcome, diagnosis: &Diagnosis) -> String {
    let mut out = String::new();
    let cc = &outcome.client_certificate;
    let _ = match &outcome.failure {
        None => writeln!(out, "Successfully reached host at {}.", outcome.target),
        Some(f) => writeln!(
            out,
            "Connectivity test to {} failed [{}]: {}\nCPI/Java: {}",
            outcome.target,
            f.class(),
            f.message(),
            f.java_text()
        ),
    };
    let _ = writeln!(
        out,
        "Certificates judged at: {} ({})",
        outcome.now, outcome.clock
    );
    if let (Some(protocol), Some(cipher)) = (&outcome.protocol, &outcome.cipher) {
        let _ = write!(out, "Protocol: {protocol}, cipher suite: {cipher}");
        if let Some(group) = &outcome.group {
            let _ = write!(out, ", group: {group}");
        }
        if let Some(scheme) = &outcome.signature_scheme {
            let _ = write!(out, ", server signature: {scheme}");
        }
        let _ = writeln!(out);
    }
    if let Some(status) = outcome.http_status {
        let _ = writeln!(out, "HTTP status of GET /: {status}");
    }
    let _ = writeln!(
        out,
        "Client Certificate Used: {} ({})",
        diagnosis.client_certificate_used, diagnosis.client_certificate_why
    );
    if cc.requested {
        let _ = writeln!(
            out,
            "The server requested a client certificate, naming {} CA(s):",
            cc.ca_names.len()
        );
        for name in &cc.ca_names {
            let _ = writeln!(out, "  - {name}");
        }
    }
    if !outcome.server_chain.is_empty() {
        let _ = writeln!(
            out,
            "Server certificate chain as sent ({}):",
            diagnosis.server_sent.as_deref().unwrap_or("?")
        );
        for cert in &outcome.server_chain {
            let info = &cert.info;
            let _ = writeln!(
                out,
                "  [{}] {}\n      issuer: {}\n      valid: {} to {}\n      serial: {}\n      SHA-256: {}",
                cert.position,
                info.subject,
                info.issuer,
                info.not_before,
                info.not_after,
                info.serial,
                info.sha256
            );
        }
    }
    if !diagnosis.findings.is_empty() {
        let _ = writeln!(out, "Diagnosis:");
        if let (Some(sent), Some(needs)) = (&diagnosis.server_sent, &diagnosis.trust_store_needs) {
            let _ = writeln!(
                out,
                "  trust table: the server sends {sent}; the client trust store needs at least: {needs}"
            );
        }
        for finding in &diagnosis.findings {
            let _ = writeln!(
                out,
                "  - [{}] {}\n    fix ({}): {}",
                finding.id,
                finding.problem,
                serde_json::to_value(finding.store)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                finding.fix
            );
        }
    }
    let t = &outcome.timings;
    let _ = writeln!(
        out,
        "Timings: connect {}, handshake {}, response {}, total {} ms",
        phase_ms(t.connect_ms),
        phase_ms(t.handshake_ms),
        phase_ms(t.response_ms),
        t.total_ms
    );
    out
}

/// A phase's duration, or `-` (no unit) for a phase that did not happen.
fn phase_ms(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".to_owned(), |v| format!("{v} ms"))
}
