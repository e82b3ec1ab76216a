//! `harness::connect` and `harness::diagnose` against in-process TLS servers: real
//! handshakes on 127.0.0.1:0, one server per test, built from a seeded world.
//!
//! Every trust-table row, every fault certificate of the PKI, client authentication under
//! TLS 1.2 and 1.3, and the network faults that loopback can produce for real.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use harness::connect::{
    ChoiceReason, ClientCertificate, Clock, Failure, Options, Outcome, Phase, Policy, Target,
    TlsVersion, TrustSource, Validation,
};
use harness::diagnose::{Store, TrustRow, diagnose};
use harness::pki::{Issued, Pki, Role, Validity, World, WorldSpec};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::{CertificateDer, UnixTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every network wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(5);

pub(crate) fn world() -> World {
    World::generate(&WorldSpec::new(1)).expect("a P-256 world generates")
}

#[derive(Debug)]
struct FixedTime(UnixTime);

impl rustls::time_provider::TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.0)
    }
}

fn unix(at: time::OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(at.unix_timestamp() as u64))
}

/// Client authentication on the test server.
#[derive(Clone)]
pub(crate) enum Auth {
    None,
    Required(Vec<CertificateDer<'static>>),
    Optional(Vec<CertificateDer<'static>>),
    /// Required, but the CertificateRequest names no CA (every key pair fits).
    RequiredWithoutCaNames(Vec<CertificateDer<'static>>),
}

/// A receiver: chain, key, client auth, TLS versions, HTTP status.
pub(crate) struct Server {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: harness::secret::PrivateKey,
    pub(crate) auth: Auth,
    pub(crate) versions: Vec<&'static SupportedProtocolVersion>,
    pub(crate) status: u16,
}

impl Server {
    pub(crate) fn new(issued: &Issued, chain: Vec<CertificateDer<'static>>) -> Self {
        Self {
            chain,
            key: issued.key().private_key().clone(),
            auth: Auth::None,
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            status: 200,
        }
    }

    pub(crate) fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub(crate) fn version(mut self, version: &'static SupportedProtocolVersion) -> Self {
        self.versions = vec![version];
        self
    }

    pub(crate) fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let time = Arc::new(FixedTime(unix(harness::time::DEFAULT_NOW)));
        let roots = |certs: &[CertificateDer<'static>]| {
            let mut store = RootCertStore::empty();
            for cert in certs {
                store.add(cert.clone()).unwrap();
            }
            Arc::new(store)
        };
        let verifier: Arc<dyn ClientCertVerifier> = match &self.auth {
            Auth::None => WebPkiClientVerifier::no_client_auth(),
            Auth::Required(certs) => {
                WebPkiClientVerifier::builder_with_provider(roots(certs), provider.clone())
                    .build()
                    .unwrap()
            }
            Auth::RequiredWithoutCaNames(certs) => {
                WebPkiClientVerifier::builder_with_provider(roots(certs), provider.clone())
                    .clear_root_hint_subjects()
                    .build()
                    .unwrap()
            }
            Auth::Optional(certs) => {
                WebPkiClientVerifier::builder_with_provider(roots(certs), provider.clone())
                    .allow_unauthenticated()
                    .build()
                    .unwrap()
            }
        };
        let config = ServerConfig::builder_with_details(provider, time)
            .with_protocol_versions(&self.versions)
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.chain.clone(), self.key.to_rustls())
            .unwrap();
        Arc::new(config)
    }

    /// Starts the server on 127.0.0.1:0; it serves until the runtime ends.
    pub(crate) async fn start(self) -> SocketAddr {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.config());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let status = self.status;
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(Ok(mut tls)) = tokio::time::timeout(WAIT, acceptor.accept(tcp)).await
                    else {
                        return;
                    };
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tokio::time::timeout(WAIT, tls.read(&mut chunk)).await {
                            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                            _ => return,
                        }
                    }
                    let reply = format!(
                        "HTTP/1.1 {status} Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        addr
    }
}

pub(crate) fn options(addr: SocketAddr) -> Options {
    let mut options = Options::new(Target::new("127.0.0.1", addr.port()).unwrap());
    options.clock = Clock::Fixed(harness::time::DEFAULT_NOW);
    options.timeouts(WAIT)
}

pub(crate) fn trusting(world: &World, roles: &[Role]) -> TrustSource {
    roles.iter().fold(TrustSource::new("test"), |t, role| {
        t.with_trusted(role.name(), world.get(*role).cert().clone())
    })
}

pub(crate) fn with_key_pairs(trust: TrustSource, world: &World, roles: &[Role]) -> TrustSource {
    roles.iter().fold(trust, |t, role| {
        let issued = world.get(*role);
        t.with_key_pair(
            role.name(),
            issued.chain(),
            issued.key().private_key().clone(),
        )
    })
}

async fn run(options: &Options, trust: &TrustSource) -> Outcome {
    tokio::time::timeout(WAIT * 4, harness::connect::run(options, trust))
        .await
        .expect("the connectivity test returns within its timeouts")
        .expect("the connectivity test runs")
}

// ---- the trust table ----------------------------------------------------------------------

async fn server_with(world: &World, role: Role, chain: Vec<CertificateDer<'static>>) -> Options {
    options(Server::new(world.get(role), chain).start().await)
}

#[tokio::test]
async fn full_chain_trusting_the_root_succeeds() {
    let w = world();
    let opts = server_with(&w, Role::Server, w.get(Role::Server).full_chain()).await;
    let out = run(&opts, &trusting(&w, &[Role::ReceiverRoot])).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
    assert_eq!(out.server_chain.len(), 3);
    assert_eq!(out.http_status, Some(200));
    assert_eq!(out.protocol.as_deref(), Some("TLSv1.3"));
    assert!(out.cipher.as_deref().unwrap().starts_with("TLS_"));
    let d = diagnose(&out, &trusting(&w, &[Role::ReceiverRoot]));
    assert_eq!(d.trust_row, Some(TrustRow::FullChain));
    assert_eq!(d.client_certificate_used, "NO");
    assert!(d.findings.is_empty());
}

#[tokio::test]
async fn leaf_and_intermediate_trusting_the_root_succeeds() {
    let w = world();
    let opts = server_with(&w, Role::Server, w.get(Role::Server).chain()).await;
    let out = run(&opts, &trusting(&w, &[Role::ReceiverRoot])).await;
    assert_eq!(out.class(), "success");
    // The chain is kept exactly as sent: leaf first, then the intermediate.
    assert_eq!(out.server_chain[0].der, *w.get(Role::Server).cert());
    assert_eq!(
        out.server_chain[1].der,
        *w.get(Role::ReceiverIntermediate).cert()
    );
    assert_eq!(
        diagnose(&out, &TrustSource::new("")).trust_row,
        Some(TrustRow::LeafAndIntermediate)
    );
}

#[tokio::test]
async fn leaf_only_trusting_the_root_is_unknown_issuer_and_names_the_intermediate() {
    let w = world();
    let opts = server_with(&w, Role::Server, vec![w.get(Role::Server).cert().clone()]).await;
    let trust = trusting(&w, &[Role::ReceiverRoot]);
    let out = run(&opts, &trust).await;
    assert_eq!(out.class(), "unknown-issuer");
    assert_eq!(
        out.server_chain.len(),
        1,
        "the chain is captured on failure"
    );
    let d = diagnose(&out, &trust);
    assert_eq!(d.trust_row, Some(TrustRow::LeafOnly));
    let first = &d.findings[0];
    assert_eq!(first.store, Store::ClientTrustStore);
    assert!(
        first.problem.contains("CN=Receiver Intermediate CA"),
        "{first:?}"
    );
    assert!(first.fix.contains("add the intermediate"), "{first:?}");
    assert!(
        out.failure
            .as_ref()
            .unwrap()
            .java_text()
            .contains("PKIX path building failed")
    );
}

#[tokio::test]
async fn leaf_only_trusting_the_intermediate_succeeds() {
    let w = world();
    let opts = server_with(&w, Role::Server, vec![w.get(Role::Server).cert().clone()]).await;
    let out = run(&opts, &trusting(&w, &[Role::ReceiverIntermediate])).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
}

#[tokio::test]
async fn self_signed_is_trusted_only_when_imported() {
    let w = world();
    let own = w.get(Role::ServerSelfSigned);
    let opts = server_with(&w, Role::ServerSelfSigned, own.chain()).await;
    let out = run(&opts, &trusting(&w, &[Role::ServerSelfSigned])).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
    assert!(out.trusted_end_entity);

    let trust = trusting(&w, &[Role::ReceiverRoot]);
    let out = run(&opts, &trust).await;
    assert_eq!(out.class(), "unknown-issuer");
    let d = diagnose(&out, &trust);
    assert_eq!(d.trust_row, Some(TrustRow::SelfSigned));
    assert!(d.findings[0].problem.contains("self-signed"), "{d:?}");
}

#[tokio::test]
async fn empty_trust_store_gets_javas_empty_store_text() {
    let w = world();
    let opts = server_with(&w, Role::Server, w.get(Role::Server).full_chain()).await;
    let out = run(&opts, &TrustSource::new("empty")).await;
    assert_eq!(out.class(), "unknown-issuer");
    let text = out.failure.as_ref().unwrap().java_text();
    assert!(
        text.contains("trustAnchors parameter must be non-empty"),
        "{text}"
    );
}

#[tokio::test]
async fn unrelated_root_is_unknown_issuer_naming_the_missing_root() {
    let w = world();
    let opts = server_with(&w, Role::Server, w.get(Role::Server).chain()).await;
    let trust = trusting(&w, &[Role::UnrelatedRoot]);
    let out = run(&opts, &trust).await;
    assert_eq!(out.class(), "unknown-issuer");
    let d = diagnose(&out, &trust);
    assert!(
        d.findings[0]
            .problem
            .contains("lacks the root `CN=Receiver Root CA"),
        "{d:?}"
    );
}

#[tokio::test]
async fn two_intermediates_succeed() {
    let w = world();
    let opts = server_with(
        &w,
        Role::ServerTwoIntermediates,
        w.get(Role::ServerTwoIntermediates).chain(),
    )
    .await;
    let out = run(&opts, &trusting(&w, &[Role::ReceiverRoot])).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
    assert_eq!(out.server_chain.len(), 3);
}

// ---- fault certificates -------------------------------------------------------------------

async fn fault(role: Role) -> (Outcome, TrustSource) {
    let w = world();
    let opts = server_with(&w, role, w.get(role).chain()).await;
    let trust = trusting(&w, &[Role::ReceiverRoot]);
    (run(&opts, &trust).await, trust)
}

#[tokio::test]
async fn expired_server_certificate() {
    let (out, trust) = fault(Role::ServerExpired).await;
    match out.failure.as_ref().unwrap() {
        Failure::Expired { subject, .. } => assert!(subject.contains("CN=localhost")),
        other => panic!("{other:?}"),
    }
    assert!(diagnose(&out, &trust).findings[0].fix.contains("renew"));
}

#[tokio::test]
async fn not_yet_valid_server_certificate() {
    let (out, _) = fault(Role::ServerNotYetValid).await;
    assert_eq!(out.class(), "not-yet-valid");
}

#[tokio::test]
async fn wrong_host_is_name_mismatch() {
    let (out, _) = fault(Role::ServerWrongHost).await;
    match out.failure.as_ref().unwrap() {
        Failure::NameMismatch { host, presented } => {
            assert_eq!(host, "127.0.0.1");
            assert_eq!(presented, &["DNS:wrong.host.invalid"]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn cn_only_fails_for_an_ip_and_passes_for_a_dns_name_as_in_java() {
    let (out, trust) = fault(Role::ServerCnOnly).await;
    assert_eq!(out.class(), "name-mismatch");
    assert!(
        diagnose(&out, &trust).findings[0]
            .problem
            .contains("never for IP")
    );

    let w = world();
    let addr = Server::new(w.get(Role::ServerCnOnly), w.get(Role::ServerCnOnly).chain())
        .start()
        .await;
    let mut opts = options(addr);
    opts.target = Target::new("localhost", addr.port()).unwrap();
    let out = run(&opts, &trust).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
}

#[tokio::test]
async fn wrong_eku_is_bad_key_usage() {
    let (out, _) = fault(Role::ServerWrongEku).await;
    assert_eq!(out.class(), "bad-key-usage");
}

#[tokio::test]
async fn intermediate_without_ca_flag_is_refused() {
    let (out, _) = fault(Role::ServerUnderNotCa).await;
    assert!(
        matches!(out.class(), "unknown-issuer" | "bad-certificate"),
        "{:?}",
        out.failure
    );
}

#[tokio::test]
async fn expired_trust_anchor_is_still_an_anchor() {
    let pki = Pki::new(9, harness::time::DEFAULT_NOW, harness::pki::KeyType::P256);
    let root = pki
        .root("old-root")
        .validity(Validity::Window {
            not_before: harness::time::DEFAULT_NOW - time::Duration::days(800),
            not_after: harness::time::DEFAULT_NOW - time::Duration::days(1),
        })
        .build()
        .unwrap();
    let int = pki.intermediate("int", &root).build().unwrap();
    let leaf = pki.leaf("leaf", &int).names(["127.0.0.1"]).build().unwrap();
    let addr = Server::new(&leaf, leaf.chain()).start().await;
    let trust = TrustSource::new("t").with_trusted("old-root", root.cert().clone());
    let out = run(&options(addr), &trust).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
}

#[tokio::test]
async fn expired_self_signed_trusted_entry_is_accepted_as_java_does() {
    let pki = Pki::new(9, harness::time::DEFAULT_NOW, harness::pki::KeyType::P256);
    let own = pki
        .self_signed_leaf("own")
        .names(["127.0.0.1"])
        .validity(Validity::Expired)
        .build()
        .unwrap();
    let addr = Server::new(&own, own.chain()).start().await;
    let trust = TrustSource::new("t").with_trusted("own", own.cert().clone());
    let out = run(&options(addr), &trust).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
    assert!(out.trusted_end_entity);
}

#[tokio::test]
async fn validation_off_accepts_and_records_what_validation_would_say() {
    let w = world();
    let opts = server_with(&w, Role::Server, vec![w.get(Role::Server).cert().clone()]).await;
    let mut opts = opts;
    opts.validation = Validation::dangerous_off();
    let trust = trusting(&w, &[Role::ReceiverRoot]);
    let out = run(&opts, &trust).await;
    assert_eq!(out.class(), "success");
    assert_eq!(out.server_chain.len(), 1);
    assert_eq!(
        out.ignored_validation_failure.as_ref().map(Failure::class),
        Some(harness::connect::FailureClass::UnknownIssuer)
    );
    let d = diagnose(&out, &trust);
    assert_eq!(d.findings[0].id, "validation-off");
}

// ---- client certificates ------------------------------------------------------------------

fn client_roots(w: &World) -> Vec<CertificateDer<'static>> {
    vec![w.get(Role::ClientRoot).cert().clone()]
}

async fn client_case(
    version: &'static SupportedProtocolVersion,
    auth: Auth,
    status: u16,
    keys: &[Role],
    mode: ClientCertificate,
) -> (Outcome, TrustSource) {
    let w = world();
    let addr = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
        .auth(auth)
        .version(version)
        .status(status)
        .start()
        .await;
    let trust = with_key_pairs(trusting(&w, &[Role::ReceiverRoot]), &w, keys);
    let mut opts = options(addr);
    opts.client_certificate = mode;
    (run(&opts, &trust).await, trust)
}

const VERSIONS: [&SupportedProtocolVersion; 2] = [&rustls::version::TLS12, &rustls::version::TLS13];
const AUTO: ClientCertificate = ClientCertificate::Automatic(Policy::FirstFitting);

#[tokio::test]
async fn required_and_fitting_key_pair_is_used() {
    let w = world();
    for version in VERSIONS {
        let (out, trust) = client_case(
            version,
            Auth::Required(client_roots(&w)),
            200,
            &[Role::UnrelatedClient, Role::Client],
            AUTO,
        )
        .await;
        assert_eq!(out.class(), "success", "{version:?}: {:?}", out.failure);
        let cc = &out.client_certificate;
        assert!(cc.requested && cc.used);
        assert_eq!(cc.chosen_alias.as_deref(), Some("client"));
        assert_eq!(
            cc.ca_names,
            ["CN=Tenant Client Root CA, OU=seed 1, O=Harness Tenant"]
        );
        assert!(
            matches!(&cc.reason, ChoiceReason::BestRanked { fitting, .. } if fitting == &["client"])
        );
        assert_eq!(diagnose(&out, &trust).client_certificate_used, "YES");
    }
}

#[tokio::test]
async fn required_and_none_configured_is_client_cert_required() {
    let w = world();
    for version in VERSIONS {
        let (out, trust) = client_case(
            version,
            Auth::Required(client_roots(&w)),
            200,
            &[Role::Client],
            ClientCertificate::Off,
        )
        .await;
        match out.failure.as_ref() {
            Some(Failure::ClientCertRequired { phase, .. }) => {
                // TLS 1.3 reports it on the first read, after the handshake.
                let expected = if version == &rustls::version::TLS13 {
                    Phase::Response
                } else {
                    Phase::Handshake
                };
                assert_eq!(*phase, expected, "{version:?}");
            }
            other => panic!("{version:?}: {other:?}"),
        }
        let d = diagnose(&out, &trust);
        assert_eq!(d.findings[0].store, Store::TestSettings);
    }
}

#[tokio::test]
async fn required_and_no_key_pair_fits_is_client_cert_required() {
    let w = world();
    for version in VERSIONS {
        let (out, trust) = client_case(
            version,
            Auth::Required(client_roots(&w)),
            200,
            &[Role::UnrelatedClient],
            AUTO,
        )
        .await;
        assert_eq!(out.class(), "client-cert-required", "{version:?}");
        assert!(matches!(
            out.client_certificate.reason,
            ChoiceReason::NoKeyPairFits { .. }
        ));
        let d = diagnose(&out, &trust);
        assert_eq!(d.findings[0].store, Store::ClientKeyPairs);
        assert!(
            d.client_certificate_why
                .contains("CN=Tenant Client Root CA")
        );
    }
}

#[tokio::test]
async fn named_untrusted_key_pair_is_client_cert_rejected() {
    let w = world();
    for version in VERSIONS {
        let (out, trust) = client_case(
            version,
            Auth::Required(client_roots(&w)),
            200,
            &[Role::UnrelatedClient],
            ClientCertificate::Alias("unrelated-client".into()),
        )
        .await;
        match out.failure.as_ref() {
            Some(Failure::ClientCertRejected { alias, .. }) => {
                assert_eq!(alias, "unrelated-client")
            }
            other => panic!("{version:?}: {other:?}"),
        }
        assert!(out.client_certificate.used);
        let d = diagnose(&out, &trust);
        assert_eq!(d.findings[0].store, Store::ReceiverTrustStore);
        assert!(d.findings[0].fix.contains("CN=Unrelated Root CA"), "{d:?}");
    }
}

#[tokio::test]
async fn expired_client_certificate_is_rejected() {
    let w = world();
    for version in VERSIONS {
        let (out, _) = client_case(
            version,
            Auth::Required(client_roots(&w)),
            200,
            &[Role::ClientExpired],
            ClientCertificate::Alias("client-expired".into()),
        )
        .await;
        assert_eq!(out.class(), "client-cert-rejected", "{version:?}");
    }
}

#[tokio::test]
async fn optional_auth_without_a_fitting_key_succeeds_with_no_certificate() {
    let w = world();
    let (out, trust) = client_case(
        &rustls::version::TLS13,
        Auth::Optional(client_roots(&w)),
        200,
        &[Role::UnrelatedClient],
        AUTO,
    )
    .await;
    assert_eq!(out.class(), "success");
    assert!(out.client_certificate.requested && !out.client_certificate.used);
    let d = diagnose(&out, &trust);
    assert_eq!(d.client_certificate_used, "NO");
    assert!(d.client_certificate_why.contains("none of the 1 key pair"));
}

#[tokio::test]
async fn server_that_does_not_ask_gets_no_certificate() {
    let (out, trust) = client_case(
        &rustls::version::TLS13,
        Auth::None,
        200,
        &[Role::Client],
        AUTO,
    )
    .await;
    assert_eq!(out.class(), "success");
    assert!(!out.client_certificate.requested);
    assert_eq!(out.client_certificate.reason, ChoiceReason::ServerDidNotAsk);
    assert!(
        diagnose(&out, &trust)
            .client_certificate_why
            .contains("did not request")
    );
}

#[tokio::test]
async fn random_policy_picks_among_fitting_and_reports_it() {
    let w = world();
    let mut picks = std::collections::BTreeSet::new();
    for seed in 0..6 {
        let (out, _) = client_case(
            &rustls::version::TLS13,
            Auth::Required(client_roots(&w)),
            200,
            &[Role::Client, Role::Client2, Role::UnrelatedClient],
            ClientCertificate::Automatic(Policy::RandomFitting { seed }),
        )
        .await;
        assert_eq!(out.class(), "success");
        match &out.client_certificate.reason {
            ChoiceReason::RandomFitting { fitting, .. } => {
                assert_eq!(fitting, &["client", "client2"])
            }
            other => panic!("{other:?}"),
        }
        picks.insert(out.client_certificate.chosen_alias.clone().unwrap());
    }
    assert_eq!(picks.len(), 2, "six seeds reach both fitting aliases");
}

#[tokio::test]
async fn trusted_but_unmapped_certificate_is_http_unauthorized() {
    let w = world();
    let (out, trust) = client_case(
        &rustls::version::TLS13,
        Auth::Required(client_roots(&w)),
        403,
        &[Role::Client],
        AUTO,
    )
    .await;
    assert_eq!(out.class(), "http-unauthorized");
    assert_eq!(out.http_status, Some(403));
    assert_eq!(
        diagnose(&out, &trust).findings[0].store,
        Store::ReceiverUserMapping
    );
}

#[tokio::test]
async fn unknown_alias_is_an_error_not_an_outcome() {
    let w = world();
    let trust = with_key_pairs(TrustSource::new("t"), &w, &[Role::Client]);
    let mut opts = options("127.0.0.1:9".parse().unwrap());
    opts.client_certificate = ClientCertificate::Alias("nope".into());
    let err = harness::connect::run(&opts, &trust).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no entry with alias `nope` in the keystore"
    );
}

// ---- protocol and network -----------------------------------------------------------------

#[tokio::test]
async fn no_common_version_is_protocol_mismatch() {
    let w = world();
    let addr = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
        .version(&rustls::version::TLS13)
        .start()
        .await;
    let mut opts = options(addr);
    opts.max_version = TlsVersion::Tls12;
    let out = run(&opts, &trusting(&w, &[Role::ReceiverRoot])).await;
    assert_eq!(out.class(), "protocol-mismatch", "{:?}", out.failure);
}

#[tokio::test]
async fn closed_port_is_connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let out = run(&options(addr), &TrustSource::new("")).await;
    assert_eq!(out.class(), "connection-refused");
    assert!(!out.reached);
    assert_eq!(
        out.failure.unwrap().java_text(),
        "java.net.ConnectException: Connection refused"
    );
}

#[tokio::test]
async fn server_that_accepts_and_stalls_is_read_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (held_tx, mut held_rx) = tokio::sync::mpsc::channel::<TcpStream>(4);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = held_tx.send(tcp).await;
        }
    });
    let mut opts = options(addr);
    opts.handshake_timeout = Duration::from_millis(300);
    let out = run(&opts, &TrustSource::new("")).await;
    assert!(out.reached);
    assert_eq!(
        out.failure,
        Some(Failure::ReadTimeout {
            phase: Phase::Handshake,
            timeout_ms: 300
        })
    );
    held_rx.close();
}

#[tokio::test]
async fn plain_tcp_server_is_not_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut buf = [0u8; 512];
            let _ = tokio::time::timeout(WAIT, tcp.read(&mut buf)).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let out = run(&options(addr), &TrustSource::new("")).await;
    assert_eq!(out.class(), "not-tls", "{:?}", out.failure);
}

#[tokio::test]
async fn server_that_closes_is_handshake_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut buf = [0u8; 512];
            let _ = tokio::time::timeout(WAIT, tcp.read(&mut buf)).await;
            drop(tcp);
        }
    });
    let out = run(&options(addr), &TrustSource::new("")).await;
    assert_eq!(out.class(), "handshake-closed", "{:?}", out.failure);
}

/// A real connect timeout on loopback: a listener with a backlog of 0 that never accepts
/// takes one connection into its queue; Linux then drops further SYNs, so the next connect
/// waits until its timeout.
#[tokio::test]
async fn full_accept_queue_is_connect_timeout() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break,
        }
    }
    let mut opts = options(addr);
    opts.connect_timeout = Duration::from_millis(400);
    let out = run(&opts, &TrustSource::new("")).await;
    assert_eq!(out.class(), "connect-timeout", "{:?}", out.failure);
    assert_eq!(
        out.failure.unwrap().java_text(),
        "java.net.SocketTimeoutException: Connect timed out"
    );
    drop(listener);
}

#[tokio::test]
async fn unresolvable_host_is_unknown_host() {
    let mut opts = options("127.0.0.1:443".parse().unwrap());
    opts.target = Target::new("no-such-host.invalid", 443).unwrap();
    let out = run(&opts, &TrustSource::new("")).await;
    assert_eq!(out.class(), "unknown-host");
}

#[tokio::test]
async fn a_host_resolved_before_the_test_is_connected_to_and_a_failed_lookup_reported() {
    let w = world();
    let mut opts = server_with(&w, Role::Server, w.get(Role::Server).chain()).await;
    opts.target = Target::new("localhost", opts.target.port).unwrap();
    opts.resolve_now();
    let resolved = opts.resolved.clone().unwrap().unwrap();
    assert!(
        resolved.iter().all(|a| a.ip().is_loopback()),
        "{resolved:?}"
    );
    let out = run(&opts, &trusting(&w, &[Role::ReceiverRoot])).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);

    opts.resolved = Some(Err("no such host (as the resolver said)".into()));
    let out = run(&opts, &trusting(&w, &[Role::ReceiverRoot])).await;
    match out.failure {
        Some(harness::connect::Failure::UnknownHost { host, detail }) => {
            assert_eq!(host, "localhost");
            assert_eq!(detail, "no such host (as the resolver said)");
        }
        other => panic!("expected unknown-host, got {other:?}"),
    }
}

#[test]
fn targets_parse_as_cpi_takes_them() {
    let t: Target = "example.com".parse().unwrap();
    assert_eq!((t.host.as_str(), t.port), ("example.com", 443));
    let t: Target = "[::1]:8443".parse().unwrap();
    assert_eq!((t.host.as_str(), t.port), ("::1", 8443));
    for bad in [
        "https://example.com",
        "example.com:0",
        "example.com:99999",
        "",
        "a b:1",
        "host/path",
    ] {
        assert!(bad.parse::<Target>().is_err(), "{bad}");
    }
}

// ---- keystore source, downloads and the CLI -----------------------------------------------

#[tokio::test]
async fn trust_source_from_a_keystore() {
    use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
    let w = world();
    let mut store = Keystore::new(Format::Pem);
    store
        .insert(Entry {
            alias: "receiver-root".into(),
            created: time::OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::TrustedCertificate(w.get(Role::ReceiverRoot).cert().clone()),
        })
        .unwrap();
    store
        .insert(Entry {
            alias: "client".into(),
            created: time::OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::KeyPair {
                key: KeyMaterial::plain(w.get(Role::Client).key().private_key().clone()),
                chain: w.get(Role::Client).chain(),
            },
        })
        .unwrap();
    let trust = TrustSource::from_keystore(&store, &Passwords::new("x".into()), "mem").unwrap();
    let addr = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
        .auth(Auth::Required(client_roots(&w)))
        .start()
        .await;
    let mut opts = options(addr);
    opts.client_certificate = AUTO;
    let out = run(&opts, &trust).await;
    assert_eq!(out.class(), "success", "{:?}", out.failure);
    assert_eq!(
        out.client_certificate.chosen_alias.as_deref(),
        Some("client")
    );

    // The server sends leaf + intermediate: no root to add.
    let mut store2 = Keystore::new(Format::Pem);
    assert!(
        harness::connect::add_sent_root(
            &mut store2,
            &out.server_chain,
            "r",
            harness::time::DEFAULT_NOW
        )
        .is_err()
    );
    assert!(store2.is_empty());

    let pem = harness::connect::chain_pem(&out.server_chain);
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
    let zip = harness::connect::chain_zip(&out.server_chain);
    let entries = read_stored_zip(&zip);
    let expected: Vec<(usize, Vec<u8>)> = out
        .server_chain
        .iter()
        .map(|c| (c.position, c.der.to_vec()))
        .collect();
    assert_eq!(
        entries.len(),
        expected.len(),
        "one zip entry per chain certificate"
    );
    for ((name, data), (position, der)) in entries.iter().zip(&expected) {
        assert!(
            name.starts_with(&format!("{position}-")) && name.ends_with(".cer"),
            "{name}"
        );
        assert_eq!(data, der, "{name} holds the chain's certificate {position}");
    }
    let der = w.get(Role::Server).cert().as_ref();
    assert!(
        zip.windows(der.len()).any(|win| win == der),
        "the leaf is stored as is"
    );
}

/// Reads a stored (uncompressed) zip back from its end record and central directory, as
/// `unzip` does: (name, data) per entry in directory order, each local header matching its
/// central record and each CRC-32 checked.
fn read_stored_zip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([zip[at], zip[at + 1]]));
    let u32_at = |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]);
    let end = zip
        .len()
        .checked_sub(22)
        .expect("shorter than an end record");
    assert_eq!(
        &zip[end..end + 4],
        b"PK\x05\x06",
        "no end record (or a comment)"
    );
    let count = u16_at(end + 10);
    let (size, offset) = (u32_at(end + 12) as usize, u32_at(end + 16) as usize);
    assert_eq!(
        offset + size,
        end,
        "the central directory ends at the end record"
    );
    let mut entries = Vec::new();
    let mut at = offset;
    for _ in 0..count {
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02", "central record at {at}");
        assert_eq!(u16_at(at + 10), 0, "stored, not compressed");
        let crc = u32_at(at + 16);
        let (packed, unpacked) = (u32_at(at + 20) as usize, u32_at(at + 24) as usize);
        assert_eq!(packed, unpacked);
        let name_len = u16_at(at + 28);
        let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap();
        let local = u32_at(at + 42) as usize;
        assert_eq!(
            &zip[local..local + 4],
            b"PK\x03\x04",
            "{name}: local header"
        );
        assert_eq!(u16_at(local + 26), name_len, "{name}: local name length");
        assert_eq!(&zip[local + 30..local + 30 + name_len], name.as_bytes());
        let data_at = local + 30 + name_len + u16_at(local + 28);
        let data = zip[data_at..data_at + packed].to_vec();
        assert_eq!(crc32(&data), crc, "{name}: CRC-32");
        entries.push((name, data));
        at += 46 + name_len + u16_at(at + 30) + u16_at(at + 32);
    }
    assert_eq!(at, end, "{count} central records fill the directory");
    entries
}

/// CRC-32 (IEEE, reflected), bit by bit: enough for a few certificates.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn harness_cli(args: Vec<String>) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("connect")
        .args(args)
        .output()
        .expect("the harness binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_exit_codes_and_json_report() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("roots.pem");
    std::fs::write(
        &roots,
        harness::cert::certs_to_pem(&[w.get(Role::ReceiverRoot).cert().clone()]),
    )
    .unwrap();
    let leaf_only = Server::new(
        w.get(Role::Server),
        vec![w.get(Role::Server).cert().clone()],
    )
    .start()
    .await;
    let chain = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
        .start()
        .await;
    let zip = dir.path().join("chain.zip");
    let roots_arg = roots.display().to_string();
    let common = move |addr: SocketAddr| {
        vec![
            format!("127.0.0.1:{}", addr.port()),
            "--keystore".into(),
            roots_arg.clone(),
            "--now".into(),
            "2026-06-01T00:00:00Z".into(),
            "--timeout".into(),
            "5".into(),
            "--json".into(),
        ]
    };
    let mut ok_args = common(chain);
    ok_args.extend(["--download-chain".into(), zip.display().to_string()]);
    let (ok, failed) =
        tokio::task::spawn_blocking(move || (harness_cli(ok_args), harness_cli(common(leaf_only))))
            .await
            .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["version"], 2);
    assert_eq!(report["group"], "x25519");
    assert!(
        report["signature_scheme"]
            .as_str()
            .is_some_and(|s| s.starts_with("ecdsa_")),
        "{report}"
    );
    assert_eq!(report["reached"], true);
    assert_eq!(report["failure"], serde_json::Value::Null);
    assert_eq!(report["server_chain"].as_array().unwrap().len(), 2);
    assert_eq!(report["client_certificate_used"], false);
    let entries = read_stored_zip(&std::fs::read(&zip).unwrap());
    let sent = report["server_chain"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        sent.len(),
        "one zip entry per chain certificate"
    );
    for ((name, data), cert) in entries.iter().zip(sent) {
        assert_eq!(
            harness::cert::fingerprint_sha256(data),
            cert["sha256"].as_str().unwrap(),
            "{name} holds the certificate the report lists"
        );
    }

    assert_eq!(failed.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(report["failure"]["class"], "unknown-issuer");
    assert!(
        report["failure"]["java_text"]
            .as_str()
            .unwrap()
            .contains("PKIX")
    );
    assert_eq!(report["diagnosis"]["trust_row"], "leaf-only");

    for bad in [
        vec!["https://host".to_owned()],
        vec!["host:70000".to_owned()],
        vec!["host".into(), "--keystore".into(), "/no/such/file".into()],
        vec![
            "host".into(),
            "--keystore".into(),
            roots.display().to_string(),
            "--client-cert".into(),
            "no-such-alias".into(),
        ],
        vec![
            "host".into(),
            "--storepass-env".into(),
            "NO_SUCH_VAR_X".into(),
            "--keystore".into(),
            roots.display().to_string(),
        ],
    ] {
        let out = harness_cli(bad.clone());
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error"),
            "{bad:?}"
        );
    }
}

// ---- the rule model over the whole matrix -------------------------------------------------

/// What the server sends, by trust-table row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    FullChain,
    LeafAndIntermediate,
    LeafOnly,
    SelfSigned,
}

/// The rule model: DESIGN.md's trust table plus the client-certificate rules, predicting the
/// class and "Client Certificate Used" without a handshake.
fn predict(
    profile: Profile,
    trust: &[Role],
    auth: &str,
    keys: &[Role],
    mode: &ClientCertificate,
) -> (&'static str, bool) {
    let trusted = match profile {
        Profile::SelfSigned => trust.contains(&Role::ServerSelfSigned),
        Profile::FullChain | Profile::LeafAndIntermediate => {
            trust.contains(&Role::ReceiverRoot) || trust.contains(&Role::ReceiverIntermediate)
        }
        Profile::LeafOnly => trust.contains(&Role::ReceiverIntermediate),
    };
    if !trusted {
        return ("unknown-issuer", false);
    }
    if auth == "none" {
        return ("success", false);
    }
    // The server names the client root; only `client`'s chain is issued under it.
    let sent = match mode {
        ClientCertificate::Off => None,
        ClientCertificate::Alias(alias) => Some(alias.as_str()),
        ClientCertificate::Automatic(_) => keys.contains(&Role::Client).then_some("client"),
    };
    match (sent, auth) {
        (Some("client"), _) => ("success", true),
        (Some(_), _) => ("client-cert-rejected", true),
        (None, "optional") => ("success", false),
        (None, _) => ("client-cert-required", false),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_store_auth_and_key_set_matches_the_rule_model() {
    let w = world();
    let profiles = [
        (
            Profile::FullChain,
            Role::Server,
            w.get(Role::Server).full_chain(),
        ),
        (
            Profile::LeafAndIntermediate,
            Role::Server,
            w.get(Role::Server).chain(),
        ),
        (
            Profile::LeafOnly,
            Role::Server,
            vec![w.get(Role::Server).cert().clone()],
        ),
        (
            Profile::SelfSigned,
            Role::ServerSelfSigned,
            w.get(Role::ServerSelfSigned).chain(),
        ),
    ];
    let stores: [&[Role]; 5] = [
        &[],
        &[Role::ReceiverRoot],
        &[Role::ReceiverIntermediate],
        &[Role::ServerSelfSigned],
        &[Role::UnrelatedRoot],
    ];
    let key_sets: [&[Role]; 4] = [
        &[],
        &[Role::Client],
        &[Role::UnrelatedClient],
        &[Role::UnrelatedClient, Role::Client],
    ];
    let mut checked = 0;
    for (profile, role, chain) in &profiles {
        for auth in ["none", "optional", "required"] {
            let server = Server::new(w.get(*role), chain.clone()).auth(match auth {
                "none" => Auth::None,
                "optional" => Auth::Optional(client_roots(&w)),
                _ => Auth::Required(client_roots(&w)),
            });
            let addr = server.start().await;
            for store in stores {
                for keys in key_sets {
                    let mut modes = vec![ClientCertificate::Off, AUTO];
                    if keys.contains(&Role::UnrelatedClient) {
                        modes.push(ClientCertificate::Alias("unrelated-client".into()));
                    }
                    for mode in modes {
                        let trust = with_key_pairs(trusting(&w, store), &w, keys);
                        let mut opts = options(addr);
                        opts.client_certificate = mode.clone();
                        let out = run(&opts, &trust).await;
                        let (class, used) = predict(*profile, store, auth, keys, &mode);
                        let case = format!(
                            "{profile:?} trust={store:?} auth={auth} keys={keys:?} mode={mode:?}"
                        );
                        assert_eq!(out.class(), class, "{case}: {:?}", out.failure);
                        assert_eq!(out.client_certificate.used, used, "{case}");
                        let d = diagnose(&out, &trust);
                        assert_eq!(
                            d.trust_row,
                            Some(match profile {
                                Profile::FullChain => TrustRow::FullChain,
                                Profile::LeafAndIntermediate => TrustRow::LeafAndIntermediate,
                                Profile::LeafOnly => TrustRow::LeafOnly,
                                Profile::SelfSigned => TrustRow::SelfSigned,
                            }),
                            "{case}"
                        );
                        let store_of_fix = d.findings.first().map(|f| f.store);
                        let expected_store = match class {
                            "success" => None,
                            "unknown-issuer" => Some(Store::ClientTrustStore),
                            "client-cert-rejected" => Some(Store::ReceiverTrustStore),
                            _ if matches!(mode, ClientCertificate::Off) => {
                                Some(Store::TestSettings)
                            }
                            _ => Some(Store::ClientKeyPairs),
                        };
                        assert_eq!(store_of_fix, expected_store, "{case}: {d:?}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 3 * 5 * (2 + 2 + 3 + 3));
}

// ---- where we depart from rustls-webpki ---------------------------------------------------

#[test]
fn verifier_departs_from_webpki_exactly_where_java_does() {
    use harness::connect::{JAVA_RULES, ServerVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::ServerCertVerifier;
    use rustls_pki_types::ServerName;

    let w = world();
    let pki = Pki::new(9, harness::time::DEFAULT_NOW, harness::pki::KeyType::P256);
    let expired_own = pki
        .self_signed_leaf("own")
        .names(["127.0.0.1"])
        .validity(Validity::Expired)
        .build()
        .unwrap();
    let g = |r: Role| w.get(r);
    let cases: Vec<(
        &str,
        Vec<CertificateDer<'static>>,
        Vec<CertificateDer<'static>>,
        &str,
    )> = vec![
        (
            "full-chain",
            g(Role::Server).full_chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "127.0.0.1",
        ),
        (
            "leaf-only-root",
            vec![g(Role::Server).cert().clone()],
            vec![g(Role::ReceiverRoot).cert().clone()],
            "127.0.0.1",
        ),
        (
            "leaf-only-intermediate",
            vec![g(Role::Server).cert().clone()],
            vec![g(Role::ReceiverIntermediate).cert().clone()],
            "localhost",
        ),
        (
            "self-signed-trusted",
            g(Role::ServerSelfSigned).chain(),
            vec![g(Role::ServerSelfSigned).cert().clone()],
            "localhost",
        ),
        (
            "self-signed-untrusted",
            g(Role::ServerSelfSigned).chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "localhost",
        ),
        (
            "trusted-end-entity-expired",
            expired_own.chain(),
            vec![expired_own.cert().clone()],
            "127.0.0.1",
        ),
        (
            "expired",
            g(Role::ServerExpired).chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "localhost",
        ),
        (
            "wrong-host",
            g(Role::ServerWrongHost).chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "localhost",
        ),
        (
            "cn-only-dns-host",
            g(Role::ServerCnOnly).chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "localhost",
        ),
        (
            "cn-only-ip-host",
            g(Role::ServerCnOnly).chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "127.0.0.1",
        ),
        (
            "wrong-eku",
            g(Role::ServerWrongEku).chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "localhost",
        ),
        (
            "not-ca",
            g(Role::ServerUnderNotCa).chain(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "localhost",
        ),
        (
            "reversed-chain",
            g(Role::Server).chain().into_iter().rev().collect(),
            vec![g(Role::ReceiverRoot).cert().clone()],
            "localhost",
        ),
    ];
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let now = unix(harness::time::DEFAULT_NOW);
    let mut departures = Vec::new();
    for (id, chain, trusted, host) in cases {
        let name = ServerName::try_from(host.to_owned()).unwrap();
        // Departures in the decision or in the reason for a refusal.
        let ours = ServerVerifier::new(trusted.clone())
            .verify(&chain[0], &chain[1..], &name, now)
            .map(|_| ());
        let mut roots = RootCertStore::empty();
        for t in trusted {
            roots.add(t).unwrap();
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .unwrap()
            .verify_server_cert(&chain[0], &chain[1..], &name, &[], now)
            .map(|_| ());
        // Compare the kind of refusal (webpki adds context our adapter does not carry).
        let kind = |r: Result<(), rustls::Error>| {
            use rustls::CertificateError as C;
            match r {
                Ok(()) => "ok".to_owned(),
                Err(rustls::Error::InvalidCertificate(e)) => match e {
                    C::Expired | C::ExpiredContext { .. } => "expired".to_owned(),
                    C::NotValidYet | C::NotValidYetContext { .. } => "not-yet-valid".to_owned(),
                    C::NotValidForName | C::NotValidForNameContext { .. } => "name".to_owned(),
                    C::InvalidPurpose | C::InvalidPurposeContext { .. } => "purpose".to_owned(),
                    C::UnknownIssuer => "unknown-issuer".to_owned(),
                    _ => "bad-certificate".to_owned(),
                },
                Err(other) => format!("{other:?}"),
            }
        };
        let (ours, webpki) = (kind(ours), kind(webpki));
        if ours != webpki {
            departures.push(id);
        }
    }
    let listed: Vec<&str> = JAVA_RULES.iter().map(|d| d.case).collect();
    assert_eq!(departures, listed);
}

#[tokio::test]
async fn sni_override_is_sent_while_the_host_is_verified() {
    let w = world();
    let server = w.get(Role::Server);
    // A receiver that answers only for SNI `localhost`, as name-based virtual hosts do.
    let mut resolver = rustls::server::ResolvesServerCertUsingSni::new();
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let key = provider
        .key_provider
        .load_private_key(server.key().private_key().to_rustls())
        .unwrap();
    resolver
        .add(
            "localhost",
            rustls::sign::CertifiedKey::new(server.chain(), key),
        )
        .unwrap();
    let config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(Ok(mut tls)) = tokio::time::timeout(WAIT, acceptor.accept(tcp)).await {
                    let mut buf = [0u8; 1024];
                    let _ = tokio::time::timeout(WAIT, tls.read(&mut buf)).await;
                    let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    let trust = trusting(&w, &[Role::ReceiverRoot]);
    let without = run(&options(addr), &trust).await;
    // An IP host sends no SNI; rustls' receiver then refuses with `access_denied`.
    assert_eq!(without.class(), "alert", "{:?}", without.failure);
    assert_eq!(without.sni, None);
    let mut opts = options(addr);
    opts.sni = Some("localhost".into());
    let with = run(&opts, &trust).await;
    assert_eq!(with.class(), "success", "{:?}", with.failure);
    assert_eq!(with.sni.as_deref(), Some("localhost"));
    assert_eq!(with.http_status, Some(204));
}

#[test]
fn no_output_holds_a_private_key() {
    let w = world();
    let trust = with_key_pairs(TrustSource::new("t"), &w, &[Role::Client]);
    let key_pem = w.get(Role::Client).key().private_key().secret_pkcs8_pem();
    let body: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let printed = format!("{trust:?}");
    assert!(!printed.contains(&body[..40]));
    assert!(printed.contains("elided"));
}

// ---- the rule model over generated worlds (proptest) --------------------------------------

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// One generated case: indexes into the matrix of the exhaustive test above.
    #[derive(Debug)]
    struct Pick {
        profile: usize,
        store: usize,
        auth: usize,
        keys: usize,
        mode: usize,
        tls13: bool,
    }

    fn check(seed: u64, key_type: harness::pki::KeyType, pick: Pick) {
        let Pick {
            profile,
            store,
            auth,
            keys,
            mode,
            tls13,
        } = pick;
        let w = World::generate(&WorldSpec::new(seed).key_type(key_type)).unwrap();
        let (profile, role, chain) = [
            (
                Profile::FullChain,
                Role::Server,
                w.get(Role::Server).full_chain(),
            ),
            (
                Profile::LeafAndIntermediate,
                Role::Server,
                w.get(Role::Server).chain(),
            ),
            (
                Profile::LeafOnly,
                Role::Server,
                vec![w.get(Role::Server).cert().clone()],
            ),
            (
                Profile::SelfSigned,
                Role::ServerSelfSigned,
                w.get(Role::ServerSelfSigned).chain(),
            ),
        ][profile]
            .clone();
        let store: &[Role] = [
            &[][..],
            &[Role::ReceiverRoot],
            &[Role::ReceiverIntermediate],
            &[Role::ServerSelfSigned],
            &[Role::UnrelatedRoot],
        ][store];
        let auth = ["none", "optional", "required"][auth];
        let keys: &[Role] = [
            &[][..],
            &[Role::Client],
            &[Role::UnrelatedClient],
            &[Role::UnrelatedClient, Role::Client],
        ][keys];
        let mode = match mode {
            0 => ClientCertificate::Off,
            1 => AUTO,
            _ if keys.contains(&Role::UnrelatedClient) => {
                ClientCertificate::Alias("unrelated-client".into())
            }
            _ => AUTO,
        };
        let version = if tls13 {
            &rustls::version::TLS13
        } else {
            &rustls::version::TLS12
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let addr = Server::new(w.get(role), chain)
                .auth(match auth {
                    "none" => Auth::None,
                    "optional" => Auth::Optional(client_roots(&w)),
                    _ => Auth::Required(client_roots(&w)),
                })
                .version(version)
                .start()
                .await;
            let trust = with_key_pairs(trusting(&w, store), &w, keys);
            let mut opts = options(addr);
            opts.client_certificate = mode.clone();
            let out = run(&opts, &trust).await;
            let (class, used) = predict(profile, store, auth, keys, &mode);
            let case = format!(
                "seed={seed} {key_type:?} {profile:?} trust={store:?} auth={auth} keys={keys:?} mode={mode:?} tls13={tls13}"
            );
            assert_eq!(out.class(), class, "{case}: {:?}", out.failure);
            assert_eq!(out.client_certificate.used, used, "{case}");
        });
    }

    proptest! {
        // Each case generates a world and makes a real handshake; 24 cases keep this under a
        // few seconds. A larger run: PROPTEST_CASES=2000 cargo nextest run -p harness generated
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn outcome_class_matches_the_rule_model(
            seed in 0u64..10_000,
            p384 in any::<bool>(),
            profile in 0usize..4,
            store in 0usize..5,
            auth in 0usize..3,
            keys in 0usize..4,
            mode in 0usize..3,
            tls13 in any::<bool>(),
        ) {
            let key_type = if p384 { harness::pki::KeyType::P384 } else { harness::pki::KeyType::P256 };
            check(seed, key_type, Pick { profile, store, auth, keys, mode, tls13 });
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_adds_the_root_the_server_sent_and_the_next_test_passes() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tenant.pem");
    let addr = Server::new(w.get(Role::Server), w.get(Role::Server).full_chain())
        .start()
        .await;
    let args = move |extra: &[&str]| {
        let mut v = vec![
            format!("127.0.0.1:{}", addr.port()),
            "--now".into(),
            "2026-06-01T00:00:00Z".into(),
            "--timeout".into(),
            "5".into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let store_arg = store.display().to_string();
    let (first, second) = tokio::task::spawn_blocking(move || {
        let first = harness_cli(args(&["--no-validate", "--add-root-to", &store_arg]));
        let second = harness_cli(args(&["--keystore", &store_arg]));
        (first, second)
    })
    .await
    .unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    let text = std::fs::read_to_string(&store).unwrap();
    assert_eq!(
        text,
        harness::cert::certs_to_pem(&[w.get(Role::ReceiverRoot).cert().clone()])
    );
}

// ---- the tenant as trust and key source (issue 6: "a tenant directory or any keystore") --

mod tenant {
    use super::*;
    use harness::connect::Origin;
    use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
    use harness::secret::Password;
    use harness::tenant::{
        Actor, AddMode, Alias, SAP_KEY_PAIR_ALIAS, SAP_TRUSTED_ALIASES, Tenant, TenantSpec,
    };

    const UPLOAD_PASSWORD: &str = "upload-Pass1";

    fn admin() -> Actor {
        Actor::admin(harness::time::DEFAULT_NOW)
    }

    /// A tenant in `dir`; with `root`, the receiver root added through "Add certificate";
    /// with `client`, the client key pair added through "Add keystore" (a PKCS#12 upload).
    fn tenant_in(dir: &std::path::Path, w: &World, root: bool, client: bool) -> Tenant {
        let mut tenant = Tenant::create(dir, &TenantSpec::new(3), &admin(), false).unwrap();
        if root {
            let pem = harness::cert::certs_to_pem(&[w.get(Role::ReceiverRoot).cert().clone()]);
            tenant
                .add_certificate(
                    &admin(),
                    &Alias::parse("receiver-root").unwrap(),
                    pem.as_bytes(),
                )
                .unwrap();
        }
        if client {
            let issued = w.get(Role::Client);
            let mut upload = Keystore::new(Format::Pkcs12);
            upload
                .insert(Entry {
                    alias: "client".into(),
                    created: harness::time::DEFAULT_NOW,
                    kind: EntryKind::KeyPair {
                        key: KeyMaterial::plain(issued.key().private_key().clone()),
                        chain: issued.chain(),
                    },
                })
                .unwrap();
            let password = Password::new(UPLOAD_PASSWORD);
            let bytes = upload
                .to_bytes(
                    Format::Pkcs12,
                    &Passwords::new(Password::new(UPLOAD_PASSWORD)),
                )
                .unwrap();
            let summary = tenant
                .add_keystore(&admin(), &bytes, &password, AddMode::Merge)
                .unwrap();
            assert_eq!(summary.added.len(), 1, "{summary:?}");
        }
        tenant
    }

    fn sap_root(tenant: &Tenant) -> CertificateDer<'static> {
        match &tenant.keystore().get(SAP_TRUSTED_ALIASES[0]).unwrap().kind {
            EntryKind::TrustedCertificate(cert) => cert.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn tenant_trusting_the_receiver_root_succeeds() {
        let w = world();
        let dir = tempfile::tempdir().unwrap();
        let tenant = tenant_in(dir.path(), &w, true, false);
        let trust = TrustSource::from_tenant(&tenant).unwrap();
        assert_eq!(trust.origin, Origin::Tenant);
        assert_eq!(trust.label, dir.path().display().to_string());
        // The SAP-owned roots and the customer's root, in the tenant's order.
        let aliases: Vec<&str> = trust.trusted().iter().map(|(a, _)| a.as_str()).collect();
        assert!(aliases.contains(&"receiver-root"), "{aliases:?}");
        for sap in SAP_TRUSTED_ALIASES {
            assert!(aliases.contains(&sap), "{aliases:?}");
        }
        let opts = server_with(&w, Role::Server, w.get(Role::Server).chain()).await;
        let out = run(&opts, &trust).await;
        assert_eq!(out.class(), "success", "{:?}", out.failure);
        assert!(diagnose(&out, &trust).findings.is_empty());
    }

    #[tokio::test]
    async fn tenant_without_the_root_is_unknown_issuer_naming_the_tenant() {
        let w = world();
        let dir = tempfile::tempdir().unwrap();
        let tenant = tenant_in(dir.path(), &w, false, false);
        let trust = TrustSource::from_tenant(&tenant).unwrap();
        let opts = server_with(&w, Role::Server, w.get(Role::Server).chain()).await;
        let out = run(&opts, &trust).await;
        match &out.failure {
            // The SAP-owned roots are anchors: not Java's empty-store text. So is the first
            // certificate of every key pair entry (Java's PKIX trust manager over a keystore).
            Some(Failure::UnknownIssuer { trust_anchors, .. }) => assert_eq!(
                *trust_anchors,
                SAP_TRUSTED_ALIASES.len()
                    + trust.key_pairs().len()
                    + trust.locked_key_pairs().len()
            ),
            other => panic!("{other:?}"),
        }
        let d = diagnose(&out, &trust);
        let first = &d.findings[0];
        assert_eq!(first.store, Store::ClientTrustStore);
        let named = format!("tenant keystore `{}`", dir.path().display());
        assert!(first.problem.contains(&named), "{}", first.problem);
        assert!(
            first
                .problem
                .contains("lacks the root `CN=Receiver Root CA"),
            "{}",
            first.problem
        );
        assert!(
            first
                .fix
                .contains("in the Keystore Monitor as a trusted certificate"),
            "{}",
            first.fix
        );
        assert!(
            !first.fix.contains("trusted certificate entry"),
            "{}",
            first.fix
        );
    }

    #[tokio::test]
    async fn tenant_reopened_from_disk_gives_the_same_source() {
        let w = world();
        let dir = tempfile::tempdir().unwrap();
        let fresh = TrustSource::from_tenant(&tenant_in(dir.path(), &w, true, true)).unwrap();
        let reopened = TrustSource::from_tenant(&Tenant::open(dir.path()).unwrap()).unwrap();
        let names = |t: &TrustSource| {
            (
                t.trusted()
                    .iter()
                    .map(|(a, _)| a.clone())
                    .collect::<Vec<_>>(),
                t.key_pairs()
                    .iter()
                    .map(|k| k.alias.clone())
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(names(&fresh), names(&reopened));
        assert_eq!(
            names(&reopened).1,
            [SAP_KEY_PAIR_ALIAS, "client"],
            "keystore order: the SAP-owned key pair (provisioned first) before the customer's"
        );
        let key = |t: &TrustSource| {
            t.key_pair("client")
                .unwrap()
                .key
                .secret_pkcs8_der()
                .to_vec()
        };
        assert_eq!(
            key(&fresh),
            key(&reopened),
            "the key unseals from the JCEKS file"
        );
    }

    async fn required(w: &World, trust: &TrustSource, auth: Auth) -> Outcome {
        let addr = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
            .auth(auth)
            .start()
            .await;
        let mut opts = options(addr);
        opts.client_certificate = AUTO;
        run(&opts, trust).await
    }

    /// The client-certificate choice over the tenant's two key pairs: the customer's `client`
    /// (issued under the Tenant Client Root) and the SAP-owned one (under the SAP Cloud Root).
    #[tokio::test]
    async fn tenant_key_pair_is_chosen_by_the_ca_names() {
        let w = world();
        let dir = tempfile::tempdir().unwrap();
        let tenant = tenant_in(dir.path(), &w, true, true);
        let trust = TrustSource::from_tenant(&tenant).unwrap();
        let client_root = w.get(Role::ClientRoot).cert().clone();
        let sap_root = sap_root(&tenant);
        let case = |auth: Auth| required(&w, &trust, auth);

        // The receiver names only the customer's root: only `client` fits.
        let out = case(Auth::Required(vec![client_root.clone()])).await;
        assert_eq!(out.class(), "success", "{:?}", out.failure);
        let cc = &out.client_certificate;
        assert_eq!(cc.chosen_alias.as_deref(), Some("client"));
        assert!(
            matches!(&cc.reason, ChoiceReason::BestRanked { fitting, .. } if fitting == &["client"])
        );
        assert_eq!(diagnose(&out, &trust).client_certificate_used, "YES");

        // The receiver names only SAP's root: the SAP-owned key pair fits and is sent.
        let out = case(Auth::Required(vec![sap_root.clone()])).await;
        assert_eq!(out.class(), "success", "{:?}", out.failure);
        assert_eq!(
            out.client_certificate.chosen_alias.as_deref(),
            Some(SAP_KEY_PAIR_ALIAS)
        );

        // Both roots named: both fit. Java's PKIX key manager asks for the key types in the
        // order of the server's signature schemes (this receiver lists ECDSA first), so the
        // EC `client` ranks before the RSA SAP-owned key pair, though the latter comes first
        // in keystore order (measured with JDK 17: tests/interop/keymgr_java.rs).
        let out = case(Auth::Required(vec![client_root.clone(), sap_root.clone()])).await;
        assert_eq!(out.class(), "success", "{:?}", out.failure);
        let cc = &out.client_certificate;
        assert!(
            matches!(&cc.reason, ChoiceReason::BestRanked { fitting, .. }
                if fitting == &["client", SAP_KEY_PAIR_ALIAS]),
            "{:?}",
            cc.reason
        );
        assert_eq!(cc.chosen_alias.as_deref(), Some("client"));

        // No CA names, the receiver trusts the customer's root: every key pair fits, and
        // Java's PKIX key manager asks for EC keys first (this receiver lists ECDSA schemes
        // first), so `client` is sent and accepted.
        let out = case(Auth::RequiredWithoutCaNames(vec![client_root.clone()])).await;
        assert_eq!(out.class(), "success", "{:?}", out.failure);
        assert!(out.client_certificate.ca_names.is_empty());
        assert_eq!(
            out.client_certificate.chosen_alias.as_deref(),
            Some("client")
        );

        // No CA names, the receiver trusts only SAP's root: `client` still ranks first, is
        // sent, and is refused. The diagnosis points at the receiver's trust store; naming the
        // alias (`--client-cert sap_cloudintegrationcertificate`) is the way out.
        let out = case(Auth::RequiredWithoutCaNames(vec![sap_root.clone()])).await;
        assert_eq!(out.class(), "client-cert-rejected", "{:?}", out.failure);
        assert_eq!(
            out.client_certificate.chosen_alias.as_deref(),
            Some("client")
        );
        let d = diagnose(&out, &trust);
        assert_eq!(d.findings[0].store, Store::ReceiverTrustStore);
        let named = format!("in tenant keystore `{}`", dir.path().display());
        assert!(d.findings[0].fix.contains(&named), "{}", d.findings[0].fix);
        let addr = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
            .auth(Auth::RequiredWithoutCaNames(vec![sap_root.clone()]))
            .start()
            .await;
        let mut opts = options(addr);
        opts.client_certificate = ClientCertificate::Alias(SAP_KEY_PAIR_ALIAS.into());
        let out = run(&opts, &trust).await;
        assert_eq!(out.class(), "success", "{:?}", out.failure);

        // A tenant with only the SAP key pair, against a receiver naming the customer's
        // root: nothing fits, the certificate is not used.
        let bare_dir = tempfile::tempdir().unwrap();
        let bare = TrustSource::from_tenant(&tenant_in(bare_dir.path(), &w, true, false)).unwrap();
        let out = required(&w, &bare, Auth::Required(vec![client_root])).await;
        assert_eq!(out.class(), "client-cert-required", "{:?}", out.failure);
        assert!(
            matches!(&out.client_certificate.reason, ChoiceReason::NoKeyPairFits { key_pairs }
                if key_pairs == &[SAP_KEY_PAIR_ALIAS]),
            "{:?}",
            out.client_certificate.reason
        );
        assert_eq!(
            diagnose(&out, &bare).findings[0].store,
            Store::ClientKeyPairs
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cli_connect_with_a_tenant() {
        let w = world();
        let with_root = tempfile::tempdir().unwrap();
        let without_root = tempfile::tempdir().unwrap();
        tenant_in(with_root.path(), &w, true, true);
        tenant_in(without_root.path(), &w, false, false);
        let addr = Server::new(w.get(Role::Server), w.get(Role::Server).chain())
            .auth(Auth::Required(vec![w.get(Role::ClientRoot).cert().clone()]))
            .start()
            .await;
        let args = move |dir: &std::path::Path, extra: &[&str]| {
            let mut v = vec![
                format!("127.0.0.1:{}", addr.port()),
                "--tenant".into(),
                dir.display().to_string(),
                "--now".into(),
                "2026-06-01T00:00:00Z".into(),
                "--timeout".into(),
                "5".into(),
                "--client-cert".into(),
            ];
            v.extend(extra.iter().map(|s| s.to_string()));
            v
        };
        let ok_json = args(with_root.path(), &["--json"]);
        let ok_text = args(with_root.path(), &[]);
        let failed_json = args(without_root.path(), &["--json"]);
        let failed_text = args(without_root.path(), &[]);
        let empty = tempfile::tempdir().unwrap();
        let not_a_tenant = vec![
            "127.0.0.1:1".to_owned(),
            "--tenant".into(),
            empty.path().display().to_string(),
        ];
        let both = vec![
            "127.0.0.1:1".to_owned(),
            "--tenant".into(),
            with_root.path().display().to_string(),
            "--keystore".into(),
            "x.pem".into(),
        ];
        let outs = tokio::task::spawn_blocking(move || {
            [
                ok_json,
                ok_text,
                failed_json,
                failed_text,
                not_a_tenant,
                both,
            ]
            .map(harness_cli)
        })
        .await
        .unwrap();
        let [
            ok_json,
            ok_text,
            failed_json,
            failed_text,
            not_a_tenant,
            both,
        ] = outs;
        let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();

        assert_eq!(ok_json.status.code(), Some(0), "{}", stderr(&ok_json));
        let report: serde_json::Value = serde_json::from_slice(&ok_json.stdout).unwrap();
        assert_eq!(report["failure"], serde_json::Value::Null);
        assert_eq!(report["client_certificate_used"], true);
        assert_eq!(report["chosen_alias"], "client");
        assert_eq!(ok_text.status.code(), Some(0), "{}", stderr(&ok_text));
        let text = String::from_utf8_lossy(&ok_text.stdout);
        assert!(text.contains("Client Certificate Used: YES"), "{text}");

        assert_eq!(
            failed_json.status.code(),
            Some(1),
            "{}",
            stderr(&failed_json)
        );
        let report: serde_json::Value = serde_json::from_slice(&failed_json.stdout).unwrap();
        assert_eq!(report["failure"]["class"], "unknown-issuer");
        let named = format!("tenant keystore `{}`", without_root.path().display());
        let finding = &report["diagnosis"]["findings"][0];
        assert!(
            finding["problem"].as_str().unwrap().contains(&named),
            "{finding}"
        );
        assert!(
            finding["fix"]
                .as_str()
                .unwrap()
                .contains("Keystore Monitor"),
            "{finding}"
        );
        assert_eq!(failed_text.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&failed_text.stdout).contains(&named));

        assert_eq!(not_a_tenant.status.code(), Some(2));
        assert!(
            stderr(&not_a_tenant).contains("is not a tenant directory"),
            "{}",
            stderr(&not_a_tenant)
        );
        assert_eq!(both.status.code(), Some(2));
        assert!(
            stderr(&both).contains("cannot be used with"),
            "{}",
            stderr(&both)
        );
    }
}

/// A phase that did not happen prints `-` without a unit; phases that did carry `ms`.
#[tokio::test]
async fn timings_of_phases_that_did_not_happen_print_a_bare_dash() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let trust = TrustSource::new("");
    let out = run(&options(addr), &trust).await;
    assert_eq!(out.class(), "connection-refused");
    let text = harness::diagnose::report_text(&out, &diagnose(&out, &trust));
    let line = text.lines().find(|l| l.starts_with("Timings:")).unwrap();
    assert!(line.contains("handshake -, response -,"), "{line}");
    assert!(!line.contains("- ms"), "{line}");

    let w = world();
    let opts = server_with(&w, Role::Server, w.get(Role::Server).chain()).await;
    let trust = trusting(&w, &[Role::ReceiverRoot]);
    let out = run(&opts, &trust).await;
    let text = harness::diagnose::report_text(&out, &diagnose(&out, &trust));
    let line = text.lines().find(|l| l.starts_with("Timings:")).unwrap();
    assert!(!line.contains('-'), "{line}");
    assert_eq!(line.matches(" ms").count(), 4, "{line}");
}
