//! Client authentication: every mode x {no cert, trusted, untrusted, trusted but unmapped},
//! both rejection layers, the CA names sent, the user mapping and the simulated "now".

use harness::pki::Role;
use mock_receiver::{
    CaNames, CertMatcher, ClientAuth, ClientAuthMode, Receiver, ReceiverError, ReceiverSpec,
    Rejection, TrustProfile, UserMap,
};

use crate::support::{Client, Failure, Reply, cert, request, world};

/// What a client presents.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Presents {
    Nothing,
    Trusted,
    Untrusted,
    TrustedUnmapped,
}

impl Presents {
    const ALL: [Presents; 4] = [
        Presents::Nothing,
        Presents::Trusted,
        Presents::Untrusted,
        Presents::TrustedUnmapped,
    ];

    fn client(self) -> Client {
        let base = Client::trusting(&[Role::ReceiverRoot]);
        match self {
            Presents::Nothing => base,
            Presents::Trusted => base.with_cert(Role::Client),
            Presents::Untrusted => base.with_cert(Role::UnrelatedClient),
            Presents::TrustedUnmapped => base.with_cert(Role::Client2),
        }
    }
}

/// The expected outcome: an HTTP status, or a fragment of the TLS error.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Status(u16),
    Tls(&'static str),
}

fn subject_of(role: Role) -> String {
    harness::cert::CertInfo::from_der(&cert(role))
        .unwrap()
        .subject
}

fn users() -> UserMap {
    UserMap::new()
        .map_certificate(&cert(Role::Client), "tech-user")
        .unwrap()
}

async fn start(
    mode: ClientAuthMode,
    rejection: Rejection,
    users: UserMap,
) -> mock_receiver::RunningReceiver {
    let auth = ClientAuth::new(mode, vec![cert(Role::ClientRoot)]).rejection(rejection);
    let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
        .unwrap()
        .client_auth(auth)
        .users(users);
    Receiver::start(spec).await.unwrap()
}

fn check(outcome: &Result<Reply, Failure>, expect: Expect, what: &str) {
    match (expect, outcome) {
        (Expect::Status(status), Ok(reply)) => {
            assert_eq!(reply.status, status, "{what}: {}", reply.body)
        }
        // TLS 1.3: the server judges the client certificate after the client's handshake is
        // done, so the alert arrives on the first read.
        (Expect::Tls(fragment), Err(Failure::Exchange(text) | Failure::Handshake(text))) => {
            assert!(text.contains(fragment), "{what}: {text}")
        }
        _ => panic!("{what}: expected {expect:?}, got {outcome:?}"),
    }
}

#[tokio::test]
async fn every_mode_and_rejection_layer_for_every_client() {
    use Expect::{Status, Tls};
    // Rows: (mode, rejection) -> expectation per Presents::ALL.
    let table: [(ClientAuthMode, Rejection, [Expect; 4]); 5] = [
        // No CertificateRequest: no certificate ever arrives, so no user can be mapped.
        (
            ClientAuthMode::None,
            Rejection::TlsAlert,
            [Status(401), Status(401), Status(401), Status(401)],
        ),
        (
            ClientAuthMode::Optional,
            Rejection::TlsAlert,
            [
                Status(401),
                Status(200),
                Tls("AlertReceived(UnknownCA)"),
                Status(401),
            ],
        ),
        (
            ClientAuthMode::Required,
            Rejection::TlsAlert,
            [
                Tls("AlertReceived(CertificateRequired)"),
                Status(200),
                Tls("AlertReceived(UnknownCA)"),
                Status(401),
            ],
        ),
        (
            ClientAuthMode::Optional,
            Rejection::Http400,
            [Status(401), Status(200), Status(400), Status(401)],
        ),
        (
            ClientAuthMode::Required,
            Rejection::Http400,
            [Status(400), Status(200), Status(400), Status(401)],
        ),
    ];
    for (mode, rejection, expected) in table {
        let receiver = start(mode, rejection, users()).await;
        for (presents, expect) in Presents::ALL.into_iter().zip(expected) {
            let what = format!("{mode:?}/{rejection:?}/{presents:?}");
            let outcome = request(receiver.addr(), &presents.client()).await;
            check(&outcome, expect, &what);
            if let Ok(reply) = &outcome {
                match (reply.status, presents) {
                    (200, _) => {
                        let json = reply.json();
                        assert_eq!(json["user"], "tech-user", "{what}");
                        assert_eq!(json["client_chain"].as_array().unwrap().len(), 2, "{what}");
                        assert_eq!(
                            json["client_chain"][0]["sha256"],
                            harness::cert::fingerprint_sha256(&cert(Role::Client))
                        );
                    }
                    (400, Presents::Nothing) => {
                        assert!(
                            reply.body.contains("No required SSL certificate was sent"),
                            "{what}"
                        )
                    }
                    (400, _) => assert!(reply.body.contains("The SSL certificate error"), "{what}"),
                    _ => {}
                }
            }
            // A CertificateRequest arrives exactly when the mode asks for one.
            if let Ok(reply) = &outcome {
                assert_eq!(
                    reply.hints.is_some(),
                    mode != ClientAuthMode::None,
                    "{what}"
                );
            }
        }
        let (done, records) = receiver
            .journal()
            .wait_until(crate::support::WAIT, |r| {
                r.len() == 4 && r.iter().all(|c| c.closed)
            })
            .await;
        assert!(done, "{records:#?}");
        for record in &records {
            assert_eq!(
                record.ca_names_sent.len(),
                usize::from(mode != ClientAuthMode::None)
            );
        }
        receiver.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn journal_records_the_alert_and_the_chain() {
    let receiver = start(
        ClientAuthMode::Required,
        Rejection::TlsAlert,
        UserMap::new(),
    )
    .await;
    let _ = request(receiver.addr(), &Presents::Untrusted.client()).await;
    let _ = request(receiver.addr(), &Presents::Trusted.client()).await;
    let (done, records) = receiver
        .journal()
        .wait_until(crate::support::WAIT, |r| {
            r.len() == 2 && r.iter().all(|c| c.closed)
        })
        .await;
    assert!(done, "{records:#?}");
    assert_eq!(
        records[0].alert_sent,
        Some(mock_receiver::TlsAlert::UnknownCa)
    );
    // The rejected chain is journalled too.
    assert_eq!(records[0].client_chain.len(), 1);
    assert_eq!(
        records[0].client_chain[0].sha256,
        harness::cert::fingerprint_sha256(&cert(Role::UnrelatedClient))
    );
    assert!(
        records[0]
            .handshake_error
            .as_deref()
            .unwrap()
            .contains("invalid peer certificate: unknown issuer"),
        "{:?}",
        records[0].handshake_error
    );
    assert_eq!(records[0].ca_names_sent, [subject_of(Role::ClientRoot)]);
    assert_eq!(records[1].protocol.as_deref(), Some("TLSv1.3"));
    assert_eq!(records[1].client_chain.len(), 2);
    assert_eq!(records[1].requests.len(), 1);
    assert_eq!(records[1].requests[0].status, 200);
    assert!(records[1].requests[0].user.is_none());
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn unmapped_status_is_configurable_and_subjects_map_too() {
    let users = UserMap::new()
        .unmapped_status(403)
        .map(CertMatcher::Subject(subject_of(Role::Client)), "by-subject")
        .unwrap();
    let receiver = start(ClientAuthMode::Required, Rejection::TlsAlert, users).await;
    let reply = request(receiver.addr(), &Presents::Trusted.client())
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["user"], "by-subject");
    let reply = request(receiver.addr(), &Presents::TrustedUnmapped.client())
        .await
        .unwrap();
    assert_eq!(reply.status, 403);
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn required_mapping_refuses_trusted_clients_while_nothing_is_mapped() {
    // Empty and not required: every trusted client gets in without a user.
    let receiver = start(
        ClientAuthMode::Required,
        Rejection::TlsAlert,
        UserMap::new(),
    )
    .await;
    let reply = request(receiver.addr(), &Presents::Trusted.client())
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    receiver.shutdown().await.unwrap();
    for status in [401, 403] {
        let users = UserMap::new().require_mapping().unmapped_status(status);
        assert!(users.is_empty() && users.is_enforced());
        let receiver = start(ClientAuthMode::Required, Rejection::TlsAlert, users).await;
        let reply = request(receiver.addr(), &Presents::Trusted.client())
            .await
            .unwrap();
        assert_eq!(reply.status, status);
        assert!(reply.json()["user"].is_null());
        receiver.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn one_user_per_certificate() {
    let client = cert(Role::Client);
    // Without the rule, one certificate may serve two users (the first mapping answers).
    let relaxed = UserMap::new()
        .map_certificate(&client, "first")
        .unwrap()
        .map_certificate(&client, "second")
        .unwrap();
    let receiver = start(ClientAuthMode::Required, Rejection::TlsAlert, relaxed).await;
    let reply = request(receiver.addr(), &Presents::Trusted.client())
        .await
        .unwrap();
    assert_eq!(reply.json()["user"], "first");
    receiver.shutdown().await.unwrap();

    // With it, the second mapping is refused at configuration...
    let strict = UserMap::new()
        .one_user_per_certificate()
        .map_certificate(&client, "first")
        .unwrap();
    let error = strict
        .clone()
        .map_certificate(&client, "second")
        .unwrap_err();
    assert!(matches!(
        error,
        ReceiverError::CertificateAlreadyMapped { .. }
    ));
    assert!(
        error.to_string().contains("already mapped to user `first`"),
        "{error}"
    );
    // ... and a certificate reaching two users through different matchers is refused (403).
    let strict = strict
        .map(CertMatcher::Subject(subject_of(Role::Client)), "second")
        .unwrap();
    let receiver = start(ClientAuthMode::Required, Rejection::TlsAlert, strict).await;
    let reply = request(receiver.addr(), &Presents::Trusted.client())
        .await
        .unwrap();
    assert_eq!(reply.status, 403);
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn ca_names_default_empty_or_foreign() {
    let subject = |role| harness::cert::subject_der(&cert(role)).unwrap();
    let cases = [
        (CaNames::TrustStore, vec![subject(Role::ClientRoot)]),
        (CaNames::Empty, vec![]),
        (
            CaNames::Subjects(vec![cert(Role::UnrelatedRoot)]),
            vec![subject(Role::UnrelatedRoot)],
        ),
    ];
    for (names, expected) in cases {
        let auth = ClientAuth::new(ClientAuthMode::Optional, vec![cert(Role::ClientRoot)])
            .ca_names(names.clone());
        let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
            .unwrap()
            .client_auth(auth);
        let receiver = Receiver::start(spec).await.unwrap();
        let reply = request(receiver.addr(), &Presents::Nothing.client())
            .await
            .unwrap();
        assert_eq!(reply.hints.as_ref(), Some(&expected), "{names:?}");
        receiver.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn empty_trust_store_trusts_nothing() {
    let auth = ClientAuth::new(ClientAuthMode::Optional, vec![]);
    let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
        .unwrap()
        .client_auth(auth);
    let receiver = Receiver::start(spec).await.unwrap();
    let reply = request(receiver.addr(), &Presents::Nothing.client())
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.hints, Some(vec![]));
    let outcome = request(receiver.addr(), &Presents::Trusted.client()).await;
    check(
        &outcome,
        Expect::Tls("AlertReceived(UnknownCA)"),
        "empty store, a certificate",
    );
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn client_certificate_validity_uses_the_simulated_now() {
    let auth = || ClientAuth::new(ClientAuthMode::Required, vec![cert(Role::ClientRoot)]);
    let client = Client::trusting(&[Role::ReceiverRoot]).with_cert(Role::ClientExpired);
    let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
        .unwrap()
        .client_auth(auth());
    let receiver = Receiver::start(spec).await.unwrap();
    check(
        &request(receiver.addr(), &client).await,
        Expect::Tls("AlertReceived(CertificateExpired)"),
        "expired at now",
    );
    receiver.shutdown().await.unwrap();

    // 100 days earlier the same certificate was valid (it expired one day before "now").
    let earlier = world().spec().now - time::Duration::days(100);
    let spec = ReceiverSpec::profile(world(), TrustProfile::LeafIntermediate)
        .unwrap()
        .client_auth(auth())
        .now(earlier);
    let receiver = Receiver::start(spec).await.unwrap();
    let reply = request(receiver.addr(), &client).await.unwrap();
    assert_eq!(reply.status, 200);
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_eku_client_is_refused() {
    let receiver = start(
        ClientAuthMode::Required,
        Rejection::TlsAlert,
        UserMap::new(),
    )
    .await;
    let client = Client::trusting(&[Role::ReceiverRoot]).with_cert(Role::ClientWrongEku);
    let outcome = request(receiver.addr(), &client).await;
    assert!(
        matches!(outcome, Err(Failure::Exchange(_) | Failure::Handshake(_))),
        "{outcome:?}"
    );
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn tls12_rejects_during_the_handshake() {
    let receiver = start(
        ClientAuthMode::Required,
        Rejection::TlsAlert,
        UserMap::new(),
    )
    .await;
    let client = Presents::Untrusted.client().versions(crate::support::TLS12);
    match request(receiver.addr(), &client).await {
        Err(Failure::Handshake(text)) => assert!(text.contains("UnknownCA"), "{text}"),
        other => panic!("expected a handshake failure, got {other:?}"),
    }
    // No certificate at all: rustls sends certificate_required under TLS 1.2 too.
    let client = Presents::Nothing.client().versions(crate::support::TLS12);
    match request(receiver.addr(), &client).await {
        Err(Failure::Handshake(text)) => assert!(text.contains("CertificateRequired"), "{text}"),
        other => panic!("expected a handshake failure, got {other:?}"),
    }
    let (done, records) = receiver
        .journal()
        .wait_until(crate::support::WAIT, |r| {
            r.len() == 2 && r.iter().all(|c| c.closed)
        })
        .await;
    assert!(done, "{records:#?}");
    assert_eq!(
        records[0].alert_sent,
        Some(mock_receiver::TlsAlert::UnknownCa)
    );
    assert_eq!(
        records[1].alert_sent,
        Some(mock_receiver::TlsAlert::CertificateRequired)
    );
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn admin_endpoint_serves_the_journal() {
    let receiver = start(ClientAuthMode::None, Rejection::TlsAlert, UserMap::new()).await;
    request(receiver.addr(), &Presents::Nothing.client())
        .await
        .unwrap();
    let reply = crate::support::request_path(receiver.addr(), "/__admin/journal").await;
    let json: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(json["version"], 1);
    let connections = json["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 2);
    assert_eq!(connections[0]["requests"][0]["path"], "/check");
    assert_eq!(connections[0]["requests"][0]["status"], 200);
    receiver.shutdown().await.unwrap();
}
