//! The probes: a bounded number of connectivity tests against the real receiver.

use rustls_pki_types::CertificateDer;

use crate::connect::{
    ClientCertificate, ConnectError, FailureClass, Options, Outcome, TlsVersion, TrustSource,
    Validation,
};
use crate::pki::{Eku, Pki};

/// How the receiver treated one probe's client certificate (or its absence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Treatment {
    /// The handshake completed and `GET /` was answered with this status.
    Answered(Option<u16>),
    /// The receiver refused: the failure class and the alert, if one was named.
    Refused {
        /// The failure class.
        class: FailureClass,
        /// The TLS alert's name.
        alert: Option<String>,
    },
}

impl Treatment {
    fn of(outcome: &Outcome) -> Self {
        match &outcome.failure {
            None => Treatment::Answered(outcome.http_status),
            Some(crate::connect::Failure::HttpUnauthorized { status }) => {
                Treatment::Answered(Some(*status))
            }
            Some(f) => Treatment::Refused {
                class: f.class(),
                alert: serde_json::to_value(f).ok().and_then(|v| {
                    v.get("evidence")
                        .and_then(|e| e.get("alert"))
                        .and_then(|a| a.as_str())
                        .map(str::to_owned)
                }),
            },
        }
    }

    /// In words, for the scenario's description.
    pub fn describe(&self) -> String {
        match self {
            Treatment::Answered(Some(status)) => format!("let in, HTTP {status}"),
            Treatment::Answered(None) => "let in, no HTTP answer".to_owned(),
            Treatment::Refused {
                class,
                alert: Some(a),
            } => format!("refused: {class} (alert {a})"),
            Treatment::Refused { class, alert: None } => format!("refused: {class}"),
        }
    }
}

/// What the probes found.
#[derive(Clone, Debug)]
pub struct Probes {
    /// The connectivity test as asked for (keystore, client certificate, SNI).
    pub main: Outcome,
    /// Validation off, no client certificate: the chain, protocol, suite, CA names, HTTP.
    pub look: Outcome,
    /// Each TLS version the client can offer alone, and whether the receiver took it.
    pub versions: Vec<(String, bool)>,
    /// A client certificate from an issuer the receiver cannot know, when it asked for one.
    pub untrusted: Option<Outcome>,
    /// How many handshakes were made.
    pub handshakes: usize,
}

impl Probes {
    /// The chain exactly as sent (from the first probe that received one).
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        let from = if self.main.server_chain.is_empty() {
            &self.look
        } else {
            &self.main
        };
        from.server_chain.iter().map(|c| c.der.clone()).collect()
    }

    /// Whether the receiver sent a CertificateRequest.
    pub fn requested(&self) -> bool {
        self.look.client_certificate.requested || self.main.client_certificate.requested
    }

    /// The CA names of the CertificateRequest, DER.
    pub fn ca_names(&self) -> &[Vec<u8>] {
        if self.look.client_certificate.requested {
            &self.look.client_certificate.ca_names_der
        } else {
            &self.main.client_certificate.ca_names_der
        }
    }

    /// How a client without a certificate was treated.
    pub fn without_certificate(&self) -> Treatment {
        Treatment::of(&self.look)
    }

    /// How a certificate from an unknown issuer was treated.
    pub fn untrusted_certificate(&self) -> Option<Treatment> {
        self.untrusted.as_ref().map(Treatment::of)
    }
}

/// The TLS versions a client may offer, oldest first; those this build's client does not
/// know (`TlsVersion` has no such variant) are skipped.
const VERSION_NAMES: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

/// Runs the probes.
pub async fn probe(options: &Options, trust: &TrustSource) -> Result<Probes, ConnectError> {
    let main = crate::connect::run(options, trust).await?;
    let mut handshakes = 1;
    let mut look_options = options.clone();
    look_options.validation = Validation::dangerous_off();
    look_options.client_certificate = ClientCertificate::Off;
    let versions_known: Vec<TlsVersion> = VERSION_NAMES
        .iter()
        .filter_map(|v| v.parse::<TlsVersion>().ok())
        .collect();
    if let (Some(lo), Some(hi)) = (versions_known.first(), versions_known.last()) {
        look_options.min_version = *lo;
        look_options.max_version = *hi;
    }
    let empty = TrustSource::new("capture");
    let look = crate::connect::run(&look_options, &empty).await?;
    handshakes += 1;
    if main.server_chain.is_empty() && look.server_chain.is_empty() {
        return Ok(Probes {
            main,
            look,
            versions: Vec::new(),
            untrusted: None,
            handshakes,
        });
    }
    let mut versions = Vec::new();
    for name in VERSION_NAMES {
        let Ok(version) = name.parse::<TlsVersion>() else {
            continue;
        };
        let mut o = look_options.clone();
        o.min_version = version;
        o.max_version = version;
        let outcome = crate::connect::run(&o, &empty).await?;
        handshakes += 1;
        let took = outcome.protocol.is_some()
            || matches!(
                outcome.failure_class(),
                Some(FailureClass::ClientCertRequired | FailureClass::HttpUnauthorized)
            );
        versions.push((name.to_owned(), took));
    }
    let untrusted = if look.client_certificate.requested {
        let pki = Pki::new(1, options.clock.now(), crate::pki::KeyType::P256);
        let root = pki
            .root("capture-probe-root")
            .common_name("harness capture probe CA (unknown to every receiver)")
            .organization("harness capture probe")
            .build()
            .map_err(probe_key)?;
        let leaf = pki
            .leaf("capture-probe-client", &root)
            .common_name("harness capture probe client")
            .organization("harness capture probe")
            .eku(Eku::ClientAuth)
            .build()
            .map_err(probe_key)?;
        let source = TrustSource::new("capture probe").with_key_pair(
            "capture-probe",
            leaf.full_chain(),
            leaf.key().private_key().clone(),
        );
        let mut o = look_options.clone();
        o.client_certificate = ClientCertificate::Alias("capture-probe".to_owned());
        let outcome = crate::connect::run(&o, &source).await?;
        handshakes += 1;
        Some(outcome)
    } else {
        None
    };
    Ok(Probes {
        main,
        look,
        versions,
        untrusted,
        handshakes,
    })
}

fn probe_key(e: crate::pki::PkiError) -> ConnectError {
    ConnectError::KeyPair {
        alias: "capture-probe".to_owned(),
        source: crate::connect::KeyPairError::Keystore(crate::keystore::ErrorKind::Unsupported {
            what: e.to_string(),
        }),
    }
}
