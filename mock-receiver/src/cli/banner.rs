//! The ready banner: the addresses, what a client must trust, the clock and the client
//! trust anchors, as text or one JSON line.

use harness::time::Clock;
use mock_receiver::{ClientAuthMode, RunningReceiver, TrustProfile};

use crate::Serve;

/// What the ready banner says besides the addresses: the clock and the client trust anchors.
pub(crate) struct Banner {
    pub(crate) clock: Clock,
    /// Where the client-certificate trust anchors come from; `None` without client auth.
    pub(crate) trust_from: Option<&'static str>,
    pub(crate) trust_subjects: Vec<String>,
}

pub(crate) fn print_ready(
    args: &Serve,
    mode: ClientAuthMode,
    running: &[(String, TrustProfile, RunningReceiver)],
    banner: &Banner,
) {
    let clock_text = banner.clock.describe(banner.clock.now());
    let cert_needed = match mode {
        ClientAuthMode::None => "no",
        ClientAuthMode::Optional => "optional",
        ClientAuthMode::Required => "yes",
    };
    if args.json {
        let receivers: Vec<_> = running
            .iter()
            .map(|(label, profile, receiver)| {
                serde_json::json!({
                    "profile": profile.name(),
                    "identity": label,
                    "address": receiver.addr().to_string(),
                    "client_must_trust": if args.cert.is_some() { "your chain's root" } else { profile.client_must_trust() },
                    "client_certificate": cert_needed,
                    "fault": args.fault,
                })
            })
            .collect();
        let ready = serde_json::json!({
            "version": 1,
            "event": "ready",
            "address": running.first().map(|(_, _, r)| r.addr().to_string()),
            "receivers": receivers,
            "pki_dir": args.pki_dir,
            "clock": banner.clock.label(),
            "now": harness::time::format_rfc3339(banner.clock.now()),
            "client_trust_from": banner.trust_from,
            "client_trust_anchors": if banner.trust_from.is_some() { banner.trust_subjects.clone() } else { Vec::new() },
        });
        say!("{ready}");
        return;
    }
    if let Some((label, profile, receiver)) = running.first() {
        say!("{}", receiver.addr());
        say!(
            "serving {label} (client must trust: {}; client certificate: {cert_needed})",
            if args.cert.is_some() {
                "your chain's root"
            } else {
                profile.client_must_trust()
            }
        );
        print_clock_and_trust(banner, &clock_text);
    }
}

fn print_clock_and_trust(banner: &Banner, clock_text: &str) {
    say!("clock: {clock_text}; {}", harness::time::CLOCK_RULE);
    if let Some(from) = banner.trust_from {
        say!(
            "client certificates are validated against {} trust anchor(s) from {from}:",
            banner.trust_subjects.len()
        );
        for subject in &banner.trust_subjects {
            say!("  - {subject}");
        }
    }
}
