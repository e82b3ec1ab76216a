//! DESIGN.md's trust table, as the rustls client sees it.

use harness::pki::Role;
use mock_receiver::{Receiver, ReceiverSpec, ServerVariant, TrustProfile};

use crate::support::{Client, Failure, request, world};

/// (profile, client trust store, expected: Ok, or a fragment of the rustls error).
const TABLE: &[(TrustProfile, &[Role], Result<(), &str>)] = &[
    (TrustProfile::FullChain, &[Role::ReceiverRoot], Ok(())),
    (
        TrustProfile::FullChain,
        &[Role::ReceiverIntermediate],
        Ok(()),
    ),
    (
        TrustProfile::FullChain,
        &[Role::UnrelatedRoot],
        Err("UnknownIssuer"),
    ),
    (
        TrustProfile::LeafIntermediate,
        &[Role::ReceiverRoot],
        Ok(()),
    ),
    (
        TrustProfile::LeafIntermediate,
        &[Role::ReceiverIntermediate],
        Ok(()),
    ),
    (
        TrustProfile::LeafIntermediate,
        &[Role::UnrelatedRoot],
        Err("UnknownIssuer"),
    ),
    // Leaf only: the root alone cannot be reached; the intermediate is enough for rustls.
    (
        TrustProfile::LeafOnly,
        &[Role::ReceiverRoot],
        Err("UnknownIssuer"),
    ),
    (
        TrustProfile::LeafOnly,
        &[Role::ReceiverIntermediate],
        Ok(()),
    ),
    (
        TrustProfile::LeafOnly,
        &[Role::ReceiverRoot, Role::ReceiverIntermediate],
        Ok(()),
    ),
    // rustls-webpki 0.103 accepts a self-signed (non-CA) leaf that is itself a trust anchor,
    // as Java does (measured here; DESIGN.md's note predates it).
    (TrustProfile::SelfSigned, &[Role::ServerSelfSigned], Ok(())),
    (
        TrustProfile::SelfSigned,
        &[Role::ReceiverRoot],
        Err("UnknownIssuer"),
    ),
    // The intermediate arrives first, so rustls takes it for the end entity.
    (
        TrustProfile::ReversedChain,
        &[Role::ReceiverRoot],
        Err("CaUsedAsEndEntity"),
    ),
];

#[tokio::test]
async fn every_profile_against_each_trust_store() {
    for (profile, trust, expected) in TABLE {
        let receiver = Receiver::start(ReceiverSpec::profile(world(), *profile).unwrap())
            .await
            .unwrap();
        let outcome = request(receiver.addr(), &Client::trusting(trust)).await;
        match (expected, &outcome) {
            (Ok(()), Ok(reply)) => {
                assert_eq!(reply.status, 200, "{profile} {trust:?}");
                let json = reply.json();
                assert_eq!(json["protocol"], "TLSv1.3");
                assert_eq!(json["sni"], "localhost");
                assert_eq!(json["path"], "/check");
                assert_eq!(json["method"], "GET");
            }
            (Err(fragment), Err(Failure::Handshake(text))) => {
                assert!(text.contains(fragment), "{profile} {trust:?}: {text}");
            }
            _ => panic!("{profile} trusting {trust:?}: expected {expected:?}, got {outcome:?}"),
        }
        let records = receiver.journal().connections();
        assert_eq!(records.len(), 1, "{profile}");
        assert_eq!(records[0].sni.as_deref(), Some("localhost"));
        receiver.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn profiles_send_the_chain_they_name() {
    let w = world();
    let chain_of = |profile| {
        mock_receiver::ServerIdentity::from_world(w, profile, ServerVariant::Valid)
            .unwrap()
            .chain
    };
    let server = w.get(Role::Server).cert().clone();
    let int = w.get(Role::ReceiverIntermediate).cert().clone();
    let root = w.get(Role::ReceiverRoot).cert().clone();
    assert_eq!(
        chain_of(TrustProfile::FullChain),
        [server.clone(), int.clone(), root]
    );
    assert_eq!(
        chain_of(TrustProfile::LeafIntermediate),
        [server.clone(), int.clone()]
    );
    assert_eq!(
        chain_of(TrustProfile::LeafOnly),
        std::slice::from_ref(&server)
    );
    assert_eq!(chain_of(TrustProfile::ReversedChain), [int, server]);
    assert_eq!(
        chain_of(TrustProfile::SelfSigned),
        [w.get(Role::ServerSelfSigned).cert().clone()]
    );
}

#[tokio::test]
async fn validity_and_name_variants_on_every_issued_profile() {
    let expected = [
        (ServerVariant::Expired, "Expired"),
        (ServerVariant::NotYetValid, "NotValidYet"),
        (ServerVariant::WrongHost, "NotValidForName"),
        (ServerVariant::CnOnly, "NotValidForName"),
        (ServerVariant::WrongEku, "InvalidPurpose"),
    ];
    for profile in [
        TrustProfile::FullChain,
        TrustProfile::LeafIntermediate,
        TrustProfile::LeafOnly,
    ] {
        for (variant, fragment) in expected {
            let spec = ReceiverSpec::variant(world(), profile, variant).unwrap();
            let receiver = Receiver::start(spec).await.unwrap();
            let client = Client::trusting(&[Role::ReceiverRoot, Role::ReceiverIntermediate]);
            match request(receiver.addr(), &client).await {
                Err(Failure::Handshake(text)) => {
                    assert!(text.contains(fragment), "{profile}/{variant}: {text}")
                }
                other => panic!("{profile}/{variant}: expected {fragment}, got {other:?}"),
            }
            receiver.shutdown().await.unwrap();
        }
    }
}

#[tokio::test]
async fn self_signed_variants_are_reissued_under_the_same_key() {
    let w = world();
    let valid = mock_receiver::ServerIdentity::from_world(
        w,
        TrustProfile::SelfSigned,
        ServerVariant::Valid,
    )
    .unwrap();
    for variant in ServerVariant::ALL[1..]
        .iter()
        .filter(|v| v.is_self_signable())
    {
        let identity =
            mock_receiver::ServerIdentity::from_world(w, TrustProfile::SelfSigned, *variant)
                .unwrap();
        assert_eq!(identity.chain.len(), 1);
        assert_ne!(identity.chain[0], valid.chain[0], "{variant}");
        assert_eq!(identity.key, valid.key, "{variant}");
        let info = harness::cert::CertInfo::from_der(&identity.chain[0]).unwrap();
        assert!(info.self_issued);
        let state = info.validity_at(w.spec().now);
        match variant {
            ServerVariant::Expired => assert_eq!(state, harness::cert::ValidityState::Expired),
            ServerVariant::NotYetValid => {
                assert_eq!(state, harness::cert::ValidityState::NotYetValid)
            }
            _ => assert_eq!(state, harness::cert::ValidityState::Valid),
        }
    }
}

#[test]
fn issuer_variants_follow_every_profile_and_refuse_self_signed() {
    let w = world();
    for (variant, role, length) in [
        (ServerVariant::UnderNotCa, Role::ServerUnderNotCa, 2),
        (
            ServerVariant::TwoIntermediates,
            Role::ServerTwoIntermediates,
            3,
        ),
    ] {
        let leaf = w.get(role);
        assert!(!variant.is_self_signable());
        for profile in [
            TrustProfile::FullChain,
            TrustProfile::LeafIntermediate,
            TrustProfile::LeafOnly,
            TrustProfile::ReversedChain,
        ] {
            let identity = mock_receiver::ServerIdentity::from_world(w, profile, variant).unwrap();
            assert_eq!(
                identity.chain,
                profile.chain_for(leaf),
                "{profile}/{variant}"
            );
            assert_eq!(&identity.key, leaf.key().private_key());
        }
        assert_eq!(TrustProfile::LeafIntermediate.chain_for(leaf).len(), length);
        let err = mock_receiver::ServerIdentity::from_world(w, TrustProfile::SelfSigned, variant)
            .unwrap_err();
        assert!(err.to_string().contains("cannot send it"), "{err}");
    }
    assert_eq!(
        "two-intermediates".parse::<ServerVariant>().unwrap(),
        ServerVariant::TwoIntermediates
    );
}

#[tokio::test]
async fn many_receivers_in_one_process() {
    let mut receivers = Vec::new();
    for profile in TrustProfile::ALL {
        for _ in 0..4 {
            let spec = ReceiverSpec::profile(world(), profile).unwrap();
            receivers.push(Receiver::start(spec).await.unwrap());
        }
    }
    let addrs: std::collections::BTreeSet<_> = receivers.iter().map(|r| r.addr()).collect();
    assert_eq!(addrs.len(), receivers.len());
    for receiver in &receivers {
        assert!(receiver.addr().ip().is_loopback());
    }
    let full = &receivers[0];
    let reply = request(full.addr(), &Client::trusting(&[Role::ReceiverRoot]))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    for receiver in receivers {
        receiver.shutdown().await.unwrap();
    }
}
