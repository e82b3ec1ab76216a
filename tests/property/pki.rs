//! DESIGN.md's trust table over generated worlds: good chains verify with rustls-webpki at the
//! world's "now", and each fault variant fails with its intended error.

use std::sync::Arc;
use std::time::Duration;

use harness::pki::{KeyType, Role, World, WorldSpec};
use proptest::prelude::*;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, Error, RootCertStore};

/// The class of a verification result, in the failure-class ids of DESIGN.md.
fn class(result: Result<(), Error>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(Error::InvalidCertificate(e)) => match e {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired".into(),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "not-yet-valid".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "name-mismatch".into()
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "bad-key-usage".into()
            }
            CertificateError::UnknownIssuer => "unknown-issuer".into(),
            other => format!("other: {other:?}"),
        },
        Err(other) => format!("other: {other:?}"),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn now(world: &World) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(world.spec().now.unix_timestamp() as u64))
}

fn verify_server(world: &World, anchors: &[Role], sent: &[CertificateDer<'static>]) -> String {
    let mut roots = RootCertStore::empty();
    for role in anchors {
        roots.add(world.get(*role).cert().clone()).unwrap();
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    class(
        verifier
            .verify_server_cert(&sent[0], &sent[1..], &name, &[], now(world))
            .map(|_| ()),
    )
}

fn verify_client(world: &World, anchors: &[Role], sent: &[CertificateDer<'static>]) -> String {
    let mut roots = RootCertStore::empty();
    for role in anchors {
        roots.add(world.get(*role).cert().clone()).unwrap();
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    class(
        verifier
            .verify_client_cert(&sent[0], &sent[1..], now(world))
            .map(|_| ()),
    )
}

fn key_type() -> impl Strategy<Value = KeyType> {
    // RSA keys cost ~50 ms each (12 per world), so RSA draws are rare; the interop tests cover
    // every key type with fixed seeds.
    prop_oneof![
        6 => Just(KeyType::P256),
        3 => Just(KeyType::P384),
        1 => Just(KeyType::Rsa2048),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn trust_table_and_fault_variants_hold(seed in any::<u64>(), key_type in key_type()) {
        let world = World::generate(&WorldSpec::new(seed).key_type(key_type)).unwrap();
        let server = world.get(Role::Server);
        let root = [Role::ReceiverRoot];
        // Trust table, server side.
        prop_assert_eq!(verify_server(&world, &root, &server.full_chain()), "ok");
        prop_assert_eq!(verify_server(&world, &root, &server.chain()), "ok");
        prop_assert_eq!(verify_server(&world, &root, &[server.cert().clone()]), "unknown-issuer");
        prop_assert_eq!(
            verify_server(&world, &[Role::ReceiverIntermediate], &[server.cert().clone()]),
            "ok"
        );
        prop_assert_eq!(verify_server(&world, &[Role::UnrelatedRoot], &server.chain()), "unknown-issuer");
        let own = world.get(Role::ServerSelfSigned);
        prop_assert_eq!(verify_server(&world, &root, &own.chain()), "unknown-issuer");
        // Fault variants, each with its intended error.
        for (role, expected) in [
            (Role::ServerExpired, "expired"),
            (Role::ServerNotYetValid, "not-yet-valid"),
            (Role::ServerWrongHost, "name-mismatch"),
            (Role::ServerCnOnly, "name-mismatch"),
            (Role::ServerWrongEku, "bad-key-usage"),
            (Role::ServerTwoIntermediates, "ok"),
        ] {
            prop_assert_eq!(verify_server(&world, &root, &world.get(role).chain()), expected, "{}", role);
        }
        let under_not_ca = verify_server(&world, &root, &world.get(Role::ServerUnderNotCa).chain());
        prop_assert_ne!(under_not_ca, "ok");
        // Trust table, client side (the receiver validating the tenant's certificate).
        let client = world.get(Role::Client);
        prop_assert_eq!(verify_client(&world, &[Role::ClientRoot], &client.chain()), "ok");
        prop_assert_eq!(verify_client(&world, &[Role::ClientRoot], &[client.cert().clone()]), "unknown-issuer");
        prop_assert_eq!(verify_client(&world, &[Role::ClientIntermediate], &[client.cert().clone()]), "ok");
        prop_assert_eq!(verify_client(&world, &[Role::ClientRoot], &world.get(Role::ClientExpired).chain()), "expired");
        prop_assert_eq!(verify_client(&world, &[Role::ClientRoot], &world.get(Role::ClientWrongEku).chain()), "bad-key-usage");
        prop_assert_eq!(verify_client(&world, &[Role::ClientRoot], &world.get(Role::UnrelatedClient).chain()), "unknown-issuer");
    }
}
