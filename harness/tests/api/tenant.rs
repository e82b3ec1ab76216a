//! `harness::tenant` and `harness tenant ...`: operations, rules, refusals that change
//! nothing, atomic saves under SIGKILL, and secrets that never reach an output.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use harness::exit::ErrorChain;
use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use harness::pki::{Role as PkiRole, World, WorldSpec};
use harness::secret::Password;
use harness::tenant::{
    Actor, AddMode, Alias, AliasRule, AuthGroup, CertEncoding, Corruption, KeyPairSpec, Owner,
    Refusal, SAP_KEY_PAIR_ALIAS, SAP_TRUSTED_ALIASES, Subject, Tenant, TenantError, TenantSpec,
    UploadError,
};
use harness::time::DEFAULT_NOW;
use time::Duration;

const UPLOAD_PASSWORD: &str = "upload-Pass1";

fn admin() -> Actor {
    Actor::admin(DEFAULT_NOW)
}

fn developer() -> Actor {
    Actor::developer(DEFAULT_NOW)
}

fn world() -> World {
    World::generate(&WorldSpec::new(21)).unwrap()
}

fn new_tenant(dir: &Path) -> Tenant {
    Tenant::create(dir, &TenantSpec::new(7), &admin(), false).unwrap()
}

/// Every file of a directory with its bytes (the whole on-disk state).
fn dir_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn trusted(alias: &str, world: &World, role: PkiRole) -> Entry {
    Entry {
        alias: alias.to_owned(),
        created: DEFAULT_NOW,
        kind: EntryKind::TrustedCertificate(world.get(role).cert().clone()),
    }
}

fn key_pair(alias: &str, world: &World, role: PkiRole) -> Entry {
    let issued = world.get(role);
    Entry {
        alias: alias.to_owned(),
        created: DEFAULT_NOW,
        kind: EntryKind::KeyPair {
            key: KeyMaterial::plain(issued.key().private_key().clone()),
            chain: issued.full_chain(),
        },
    }
}

/// A keystore file as a person builds it in KeyStore Explorer.
fn upload(format: Format, entries: Vec<Entry>) -> Vec<u8> {
    let mut store = Keystore::new(format);
    for entry in entries {
        store.insert(entry).unwrap();
    }
    store
        .to_bytes(format, &Passwords::new(Password::new(UPLOAD_PASSWORD)))
        .unwrap()
}

fn pem(world: &World, role: PkiRole) -> Vec<u8> {
    harness::cert::pem_encode("CERTIFICATE", world.get(role).cert()).into_bytes()
}

#[test]
fn a_new_tenant_holds_the_sap_entries_and_reopens_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let tenant = new_tenant(tmp.path());
    let listing = tenant.list(&developer()).unwrap();
    let aliases: Vec<&str> = listing.entries.iter().map(|r| r.alias.as_str()).collect();
    let mut expected = vec![SAP_KEY_PAIR_ALIAS];
    expected.extend(SAP_TRUSTED_ALIASES);
    expected.sort_unstable();
    assert_eq!(aliases, expected);
    assert!(
        listing
            .entries
            .iter()
            .all(|r| r.locked && r.owner == Owner::Sap)
    );
    let details = tenant.details(&developer(), SAP_KEY_PAIR_ALIAS).unwrap();
    assert_eq!(details.key, "RSA 2048");
    assert_eq!(details.chain.len(), 3);

    let reopened = Tenant::open(tmp.path()).unwrap();
    assert_eq!(reopened.keystore(), tenant.keystore());
    assert_eq!(reopened.records(), tenant.records());
    assert_eq!(reopened.history(), tenant.history());
    let unlocked = reopened.unlocked_keystore().unwrap();
    let (_, key, _) = unlocked.key_pairs().next().unwrap();
    assert!(!key.is_sealed());

    // Same seed, same tenant: certificates and metadata agree (key blobs are salted).
    let other = tempfile::tempdir().unwrap();
    let twin = new_tenant(other.path());
    assert_eq!(twin.list(&admin()).unwrap(), listing);
    assert_eq!(twin.records(), tenant.records());
    let (temp, third) = Tenant::create_temporary(&TenantSpec::new(7), &admin()).unwrap();
    assert_eq!(third.list(&admin()).unwrap(), listing);
    let path = temp.path().to_owned();
    drop(temp);
    assert!(
        !path.exists(),
        "the temporary tenant is removed with its guard"
    );
}

#[test]
fn add_keystore_merges_overwrites_and_replaces_with_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let world = world();
    let mut tenant = new_tenant(tmp.path());
    let password = Password::new(UPLOAD_PASSWORD);
    let first = upload(
        Format::Jceks,
        vec![
            trusted("receiver-root", &world, PkiRole::ReceiverRoot),
            key_pair("client", &world, PkiRole::Client),
            trusted("SAP_sneaky", &world, PkiRole::UnrelatedRoot),
            trusted("hcicertificate", &world, PkiRole::UnrelatedRoot),
        ],
    );
    let summary = tenant
        .add_keystore(&admin(), &first, &password, AddMode::Merge)
        .unwrap();
    assert_eq!(summary.added.len(), 2, "{summary:?}");
    assert_eq!(summary.refused.len(), 2);
    assert!(
        summary
            .refused
            .iter()
            .all(|r| r.reason.contains("reserved") && r.refusal == Some(Refusal::ReservedAlias)),
        "{summary:?}"
    );
    assert!(summary.added.iter().all(|a| a.refusal.is_none()));
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["refused"][0]["refusal"], "reserved-alias");
    assert!(json["added"][0].get("refusal").is_none(), "{json}");
    assert_eq!(tenant.owner("client"), Some(Owner::TenantAdministrator));

    let second = upload(
        Format::Jks,
        vec![
            trusted("receiver-root", &world, PkiRole::ReceiverIntermediate),
            trusted("new-one", &world, PkiRole::ClientRoot),
        ],
    );
    let merged = tenant
        .add_keystore(&admin(), &second, &password, AddMode::Merge)
        .unwrap();
    assert_eq!(merged.preserved.len(), 1);
    assert_eq!(merged.added.len(), 1);
    let cert_of =
        |t: &Tenant, alias: &str| t.keystore().get(alias).unwrap().kind.certificate().cloned();
    assert_eq!(
        cert_of(&tenant, "receiver-root").as_ref(),
        Some(world.get(PkiRole::ReceiverRoot).cert())
    );
    let over = tenant
        .add_keystore(&admin(), &second, &password, AddMode::MergeOverwrite)
        .unwrap();
    assert_eq!(over.overwritten.len(), 2);
    assert_eq!(
        cert_of(&tenant, "receiver-root").as_ref(),
        Some(world.get(PkiRole::ReceiverIntermediate).cert())
    );
    let replaced = tenant
        .add_keystore(&admin(), &second, &password, AddMode::Replace)
        .unwrap();
    assert_eq!(replaced.removed.len(), 3, "{replaced:?}");
    assert_eq!(replaced.added.len(), 2);
    assert!(tenant.keystore().get("client").is_none());
    for alias in SAP_TRUSTED_ALIASES {
        assert_eq!(tenant.owner(alias), Some(Owner::Sap));
    }
    let reopened = Tenant::open(tmp.path()).unwrap();
    assert_eq!(reopened.keystore(), tenant.keystore());
}

#[test]
fn key_pair_lifecycle_create_csr_sign_update_download_rename_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let world = world();
    let mut tenant = new_tenant(tmp.path());
    let alias = Alias::parse("My-Client").unwrap();
    let spec = KeyPairSpec {
        key_type: harness::pki::KeyType::P256,
        subject: Subject {
            common_name: "cpi-client".into(),
            organization: Some("ACME".into()),
            country: Some("DE".into()),
            ..Subject::default()
        },
        not_before: DEFAULT_NOW,
        not_after: DEFAULT_NOW + Duration::days(365),
    };
    tenant.create_key_pair(&admin(), &alias, &spec).unwrap();
    let details = tenant.details(&admin(), "my-client").unwrap();
    assert_eq!(details.key, "EC P-256");
    assert_eq!(
        details.row.subject_dn, details.row.issuer_dn,
        "self-signed until signed"
    );

    // The CA signs the request with the client intermediate of the seeded PKI.
    let csr = tenant.signing_request(&admin(), "my-client").unwrap();
    assert_eq!(csr.file_name, "my-client.csr");
    let csr_text = String::from_utf8(csr.bytes).unwrap();
    let params = rcgen::CertificateSigningRequestParams::from_pem(&csr_text).unwrap();
    let ca = world.get(PkiRole::ClientIntermediate);
    let ca_key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &rustls_pki_types::PrivatePkcs8KeyDer::from(
            ca.key().private_key().secret_pkcs8_der().to_vec(),
        ),
        &rcgen::PKCS_ECDSA_P256_SHA256,
    )
    .unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_der(ca.cert(), ca_key).unwrap();
    let signed = params.signed_by(&issuer).unwrap();
    let mut response =
        harness::cert::pem_encode("CERTIFICATE", world.get(PkiRole::ClientRoot).cert());
    response.push_str(&harness::cert::pem_encode("CERTIFICATE", signed.der()));
    response.push_str(&harness::cert::pem_encode("CERTIFICATE", ca.cert()));
    tenant
        .update_with_signing_response(&admin(), "my-client", response.as_bytes())
        .unwrap();
    let details = tenant.details(&admin(), "my-client").unwrap();
    assert_eq!(details.chain.len(), 3, "ordered leaf first by issuer links");
    // The same response as PKCS#7 (what most CAs send) gives the same chain.
    let p7b = harness::keystore::encode_p7b(
        &[
            ca.cert().clone(),
            signed.der().clone(),
            world.get(PkiRole::ClientRoot).cert().clone(),
        ],
        false,
    )
    .unwrap();
    tenant
        .update_with_signing_response(&admin(), "my-client", &p7b)
        .unwrap();
    assert_eq!(
        tenant.details(&admin(), "my-client").unwrap().chain,
        details.chain
    );
    assert!(details.chain[0].subject.contains("cpi-client"));
    assert!(details.chain[2].self_issued);

    // A response for another key is refused and changes nothing.
    let before = dir_bytes(tmp.path());
    let err = tenant
        .update_with_signing_response(&admin(), "my-client", &pem(&world, PkiRole::Client2))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TenantError::BadUpload {
                source: UploadError::NoMatchingKey { alias },
                ..
            } if alias == "my-client"
        ),
        "{err:?}"
    );
    assert!(ErrorChain(&err).to_string().contains("public key"), "{err}");
    assert_eq!(dir_bytes(tmp.path()), before);

    let p7b = tenant.download_chain(&developer(), "my-client").unwrap();
    assert_eq!(p7b.file_name, "my-client.p7b");
    let chain = harness::keystore::certificates_from_bytes(
        &p7b.bytes,
        &Passwords::new(Password::new("")),
        "p7b",
    )
    .unwrap();
    assert_eq!(chain.len(), 3);
    let root = tenant
        .download_root_ca(&developer(), "my-client", CertEncoding::Der)
        .unwrap();
    assert_eq!(root.file_name, "my-client_rootCA.cer");
    assert_eq!(root.bytes, world.get(PkiRole::ClientRoot).cert().to_vec());

    tenant
        .rename(&admin(), "my-client", &Alias::parse("client-2026").unwrap())
        .unwrap();
    let unlocked = Tenant::open(tmp.path())
        .unwrap()
        .unlocked_keystore()
        .unwrap();
    let (_, key, _) = unlocked
        .key_pairs()
        .find(|(a, _, _)| *a == "client-2026")
        .unwrap();
    assert!(!key.is_sealed());
    tenant.delete(&admin(), "client-2026").unwrap();
    assert!(tenant.keystore().get("client-2026").is_none());
    let ops: Vec<&str> = tenant
        .history()
        .iter()
        .map(|e| e.operation.as_str())
        .collect();
    assert_eq!(
        ops,
        [
            "create",
            "create-key-pair",
            "update-signing-response",
            "update-signing-response",
            "rename",
            "delete"
        ]
    );
}

#[test]
fn certificates_key_pairs_backup_restore_and_public_keystore() {
    let tmp = tempfile::tempdir().unwrap();
    let world = world();
    let mut tenant = new_tenant(tmp.path());
    let root = Alias::parse("receiver-root").unwrap();
    tenant
        .add_certificate(&admin(), &root, &pem(&world, PkiRole::ReceiverRoot))
        .unwrap();
    let der = world.get(PkiRole::ReceiverIntermediate).cert().to_vec();
    tenant
        .add_certificate(&admin(), &Alias::parse("receiver-int").unwrap(), &der)
        .unwrap();
    let mut p12_store = Keystore::new(Format::Pkcs12);
    p12_store
        .insert(key_pair("whatever", &world, PkiRole::Client))
        .unwrap();
    let p12 = p12_store
        .to_bytes(
            Format::Pkcs12,
            &Passwords::new(Password::new(UPLOAD_PASSWORD)),
        )
        .unwrap();
    tenant
        .add_key_pair(
            &admin(),
            &Alias::parse("client").unwrap(),
            &p12,
            &Password::new(UPLOAD_PASSWORD),
        )
        .unwrap();
    tenant
        .update(
            &admin(),
            "receiver-root",
            &pem(&world, PkiRole::ClientRoot),
            None,
        )
        .unwrap();

    let cer = tenant
        .download_certificate(&developer(), "receiver-root", CertEncoding::Pem)
        .unwrap();
    assert_eq!(cer.file_name, "receiver-root.cer");
    assert_eq!(cer.bytes, pem(&world, PkiRole::ClientRoot));

    let backup_password = Password::new("Backup-2026");
    tenant.backup(&admin(), &backup_password).unwrap();
    tenant.delete(&admin(), "client").unwrap();
    tenant.delete(&admin(), "receiver-int").unwrap();
    let wrong = tenant
        .restore(&admin(), &Password::new("Wrong-Pass1"))
        .unwrap_err();
    let text = ErrorChain(&wrong).to_string();
    assert!(text.contains("wrong store password"), "{text}");
    tenant.restore(&admin(), &backup_password).unwrap();
    let mut aliases: Vec<String> = tenant
        .records()
        .iter()
        .filter(|(_, r)| r.owner == Owner::TenantAdministrator)
        .map(|(a, _)| a.clone())
        .collect();
    aliases.sort();
    assert_eq!(aliases, ["client", "receiver-int", "receiver-root"]);
    let reopened = Tenant::open(tmp.path()).unwrap();
    let unlocked = reopened.unlocked_keystore().unwrap();
    let (_, key, _) = unlocked
        .key_pairs()
        .find(|(a, _, _)| *a == "client")
        .unwrap();
    assert_eq!(
        key.plain_key().unwrap(),
        world.get(PkiRole::Client).key().private_key(),
        "the key survives backup, restore and reopen"
    );

    let public = tenant
        .download_public_keystore(&developer(), &Password::new("Public-2026"))
        .unwrap();
    assert_eq!(public.file_name, "PublicContentKeystore.jks");
    let store = Keystore::from_bytes(
        &public.bytes,
        &Passwords::new(Password::new("Public-2026")),
        "public",
    )
    .unwrap();
    assert_eq!(store.format(), Format::Jks);
    assert_eq!(
        store.key_pairs().count(),
        0,
        "no private key in public content"
    );
    for alias in [
        "client",
        "client_1",
        "client_2",
        "sap_cloudintegrationcertificate_2",
    ] {
        assert!(store.get(alias).is_some(), "{alias}");
    }
}

/// Every refusal says why and leaves the directory byte for byte as it was.
#[test]
fn every_refusal_has_a_reason_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let world = world();
    let mut tenant = new_tenant(tmp.path());
    tenant
        .add_certificate(
            &admin(),
            &Alias::parse("mine").unwrap(),
            &pem(&world, PkiRole::ReceiverRoot),
        )
        .unwrap();
    tenant
        .add_certificate(
            &admin(),
            &Alias::parse("other").unwrap(),
            &pem(&world, PkiRole::ClientRoot),
        )
        .unwrap();
    let password = Password::new(UPLOAD_PASSWORD);
    let good_upload = upload(Format::Jks, vec![trusted("x", &world, PkiRole::ClientRoot)]);
    let reserved_only = upload(
        Format::Jks,
        vec![trusted("sap_x", &world, PkiRole::ClientRoot)],
    );
    let business = Actor::new(AuthGroup::BusinessExpert, "viewer", DEFAULT_NOW);
    type Case<'a> = (
        &'a str,
        &'a str,
        Box<dyn Fn(&mut Tenant) -> Result<(), TenantError> + 'a>,
    );
    let cases: Vec<Case> = vec![
        (
            "role: delete as developer",
            "needs role `AuthGroup.Admin`",
            Box::new(|t| t.delete(&developer(), "mine")),
        ),
        (
            "role: add as business expert",
            "needs role `AuthGroup.Admin`",
            Box::new(|t| {
                t.add_keystore(&business, &good_upload, &password, AddMode::Merge)
                    .map(|_| ())
            }),
        ),
        (
            "role: download as admin",
            "needs role `AuthGroup.IntegrationDeveloper`",
            Box::new(|t| t.download_chain(&admin(), SAP_KEY_PAIR_ALIAS).map(|_| ())),
        ),
        (
            "sap: delete",
            "owned by SAP",
            Box::new(|t| t.delete(&admin(), SAP_KEY_PAIR_ALIAS)),
        ),
        (
            "sap: rename",
            "owned by SAP",
            Box::new(|t| t.rename(&admin(), "SAP_CloudRootCA", &Alias::parse("free").unwrap())),
        ),
        (
            "sap: update",
            "owned by SAP",
            Box::new(|t| {
                t.update(
                    &admin(),
                    "sap_cloudrootca",
                    &pem(&world, PkiRole::ClientRoot),
                    None,
                )
            }),
        ),
        (
            "sap: signing request",
            "owned by SAP",
            Box::new(|t| t.signing_request(&admin(), SAP_KEY_PAIR_ALIAS).map(|_| ())),
        ),
        (
            "duplicate certificate",
            "exists already",
            Box::new(|t| {
                t.add_certificate(
                    &admin(),
                    &Alias::parse("MINE").unwrap(),
                    &pem(&world, PkiRole::ClientRoot),
                )
            }),
        ),
        (
            "rename onto existing",
            "exists already",
            Box::new(|t| t.rename(&admin(), "mine", &Alias::parse("Other").unwrap())),
        ),
        (
            "certificate too large",
            "at most 10240 allowed",
            Box::new(|t| {
                t.add_certificate(&admin(), &Alias::parse("big").unwrap(), &vec![b'A'; 10_241])
            }),
        ),
        (
            "upload too large",
            "at most 2097152 allowed",
            Box::new(|t| {
                t.add_keystore(
                    &admin(),
                    &vec![0xCE; 2 * 1024 * 1024 + 1],
                    &password,
                    AddMode::Merge,
                )
                .map(|_| ())
            }),
        ),
        (
            "key pair too large",
            "at most 30720 allowed",
            Box::new(|t| {
                t.add_key_pair(
                    &admin(),
                    &Alias::parse("kp").unwrap(),
                    &vec![0x30; 30_721],
                    &password,
                )
            }),
        ),
        (
            "wrong password",
            "wrong store password",
            Box::new(|t| {
                t.add_keystore(
                    &admin(),
                    &good_upload,
                    &Password::new("nope"),
                    AddMode::Merge,
                )
                .map(|_| ())
            }),
        ),
        (
            "malformed upload",
            "cannot read keystore `<upload>`",
            Box::new(|t| {
                t.add_keystore(
                    &admin(),
                    b"\xCE\xCE\xCE\xCE\x00\x00",
                    &password,
                    AddMode::Merge,
                )
                .map(|_| ())
            }),
        ),
        (
            "certificate as keystore",
            "expected jks, jceks, pkcs12",
            Box::new(|t| {
                t.add_keystore(
                    &admin(),
                    &pem(&world, PkiRole::ClientRoot),
                    &password,
                    AddMode::Merge,
                )
                .map(|_| ())
            }),
        ),
        (
            "weak backup password",
            "password refused",
            Box::new(|t| t.backup(&admin(), &Password::new("short"))),
        ),
        (
            "backup password with 2 classes",
            "3 are required",
            Box::new(|t| t.backup(&admin(), &Password::new("alllowercase1"))),
        ),
        (
            "weak download password",
            "password refused",
            Box::new(|t| {
                t.download_public_keystore(&developer(), &Password::new("changeit"))
                    .map(|_| ())
            }),
        ),
        (
            "no backup",
            "no backup",
            Box::new(|t| t.restore(&admin(), &Password::new("Backup-2026"))),
        ),
        (
            "no such alias",
            "no entry with alias `ghost`",
            Box::new(|t| t.delete(&admin(), "ghost")),
        ),
        (
            "wrong type",
            "needs a key pair",
            Box::new(|t| t.download_chain(&developer(), "mine").map(|_| ())),
        ),
        (
            "bad validity",
            "ends before it starts",
            Box::new(|t| {
                let spec = KeyPairSpec {
                    key_type: harness::pki::KeyType::P256,
                    subject: Subject {
                        common_name: "x".into(),
                        ..Subject::default()
                    },
                    not_before: DEFAULT_NOW,
                    not_after: DEFAULT_NOW - Duration::days(1),
                };
                t.create_key_pair(&admin(), &Alias::parse("x").unwrap(), &spec)
            }),
        ),
    ];
    for (name, fragment, op) in cases {
        let before = dir_bytes(tmp.path());
        let state = (
            tenant.keystore().clone(),
            tenant.records().clone(),
            tenant.generation(),
        );
        let err = op(&mut tenant).expect_err(name);
        let text = ErrorChain(&err).to_string();
        assert!(
            text.contains(fragment),
            "{name}: `{text}` lacks `{fragment}`"
        );
        assert!(
            !text.contains(UPLOAD_PASSWORD),
            "{name}: password in `{text}`"
        );
        assert_eq!(dir_bytes(tmp.path()), before, "{name}: files changed");
        assert_eq!(
            (
                tenant.keystore().clone(),
                tenant.records().clone(),
                tenant.generation()
            ),
            state,
            "{name}: memory changed"
        );
    }
    // An upload whose every entry is refused changes nothing either, and says why.
    let before = dir_bytes(tmp.path());
    let summary = tenant
        .add_keystore(&admin(), &reserved_only, &password, AddMode::Replace)
        .unwrap();
    assert!(
        summary.changed,
        "Replace removes the Tenant Administrator entries"
    );
    let summary = tenant
        .add_keystore(&admin(), &reserved_only, &password, AddMode::Merge)
        .unwrap();
    assert!(!summary.changed);
    assert!(
        summary.refused[0]
            .reason
            .contains("prefix `sap_` is reserved")
    );
    assert_ne!(dir_bytes(tmp.path()), before);
    let err = Alias::parse("HciMsgCertificate_x").unwrap_err();
    assert!(matches!(err.rule, AliasRule::Reserved { .. }));
}

// --- the binary -------------------------------------------------------------------------

fn harness(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harness"));
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the harness binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn cli_operations_refusals_lint_and_no_secret_in_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("t");
    let d = dir.to_str().unwrap();
    let world = world();
    let mut outputs = String::new();
    let mut run = |args: &[&str], code: i32| {
        let mut full = vec!["tenant", "--tenant", d];
        full.extend_from_slice(args);
        let out = harness(
            &full,
            &[
                ("UPLOAD_PW", UPLOAD_PASSWORD),
                ("OUT_PW", "Download-2026"),
                ("WEAK_PW", "alllowercase1"),
            ],
        );
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", text(&out));
        outputs.push_str(&text(&out));
        text(&out)
    };
    run(&["create", "--seed", "3"], 0);
    run(&["create", "--seed", "3"], 2);
    let file = tmp.path().join("upload.jks");
    fs::write(
        &file,
        upload(
            Format::Jceks,
            vec![
                trusted("receiver-root", &world, PkiRole::ReceiverRoot),
                trusted("sap_mine", &world, PkiRole::ClientRoot),
            ],
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let summary = run(&["add-keystore", f, "--password-env", "UPLOAD_PW"], 0);
    assert!(
        summary.contains("added: 1") && summary.contains("refused: 1"),
        "{summary}"
    );
    let list = run(&["list"], 0);
    assert!(
        list.contains("receiver-root") && list.contains("(locked)"),
        "{list}"
    );
    run(&["list", "--json"], 0);
    run(&["show", "sap_cloudintegrationcertificate", "--json"], 0);
    run(&["history"], 0);
    let refused = run(
        &[
            "--role",
            "AuthGroup.IntegrationDeveloper",
            "delete",
            "receiver-root",
        ],
        2,
    );
    assert!(
        refused.contains("needs role `AuthGroup.Admin`"),
        "{refused}"
    );
    let refused = run(&["rename", "receiver-root", "SAP_x"], 2);
    assert!(refused.contains("reserved"), "{refused}");
    let before = dir_bytes(&dir);
    for (args, fragment) in [
        (
            &["--role", "business-expert", "add-certificate", "x", f][..],
            "needs role",
        ),
        (&["add-certificate", "hcicertificate9", f], "reserved"),
        (&["add-certificate", "x", f], "expected pem, der"),
        (
            &["add-keystore", f, "--password-env", "OUT_PW"],
            "wrong store password",
        ),
        (&["delete", "sap_cloudrootca"], "owned by SAP"),
        (&["backup", "--password-env", "WEAK_PW"], "3 are required"),
    ] {
        let message = run(args, 2);
        assert!(message.contains(fragment), "{args:?}: {message}");
        assert_eq!(dir_bytes(&dir), before, "{args:?} changed the tenant");
    }
    let out = tmp.path().join("dl");
    let o = out.to_str().unwrap();
    run(
        &["download", "sap_cloudintegrationcertificate", "--out", o],
        0,
    );
    run(&["download", "receiver-root", "--out", o, "--der"], 0);
    run(
        &["download-public", "--out", o, "--password-env", "OUT_PW"],
        0,
    );
    run(&["backup", "--password-env", "OUT_PW"], 0);
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "PublicContentKeystore.jks",
            "receiver-root.cer",
            "sap_cloudintegrationcertificate.p7b",
            "sap_cloudintegrationcertificate_rootCA.cer"
        ]
    );
    assert_eq!(
        fs::read(out.join("receiver-root.cer")).unwrap(),
        world.get(PkiRole::ReceiverRoot).cert().to_vec()
    );

    // Lint: errors exit 1, a clean file exits 0, the JCEKS-in-.jks note is informational.
    let lint = harness(
        &["tenant", "lint", f, "--password-env", "UPLOAD_PW"],
        &[("UPLOAD_PW", UPLOAD_PASSWORD)],
    );
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint));
    let report = text(&lint);
    assert!(
        report.contains("reserved-alias `sap_mine`") && report.contains("jceks-in-jks-file"),
        "{report}"
    );
    let clean = tmp.path().join("clean.p12");
    fs::write(
        &clean,
        upload(
            Format::Pkcs12,
            vec![key_pair("client", &world, PkiRole::Client)],
        ),
    )
    .unwrap();
    let lint = harness(
        &[
            "tenant",
            "lint",
            clean.to_str().unwrap(),
            "--password-env",
            "UPLOAD_PW",
            "--json",
        ],
        &[("UPLOAD_PW", UPLOAD_PASSWORD)],
    );
    assert_eq!(lint.status.code(), Some(0), "{}", text(&lint));
    outputs.push_str(&text(&lint));

    // A certificate file needs no password; "Add keystore" would refuse it: exit 1.
    let cert_file = tmp.path().join("root.pem");
    fs::write(&cert_file, pem(&world, PkiRole::ReceiverRoot)).unwrap();
    let lint = harness(&["tenant", "lint", cert_file.to_str().unwrap()], &[]);
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint));
    assert!(text(&lint).contains("not-a-keystore"), "{}", text(&lint));

    let tenant_password = Tenant::open(&dir).unwrap().passwords().store;
    let secret = tenant_password.secret_str();
    assert!(
        !outputs.contains(secret),
        "the tenant password leaked into an output"
    );
    assert!(!outputs.contains(UPLOAD_PASSWORD) && !outputs.contains("Download-2026"));
    assert!(!format!("{:?}", Tenant::open(&dir).unwrap()).contains(secret));
}

fn committed(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let meta = fs::read(dir.join("tenant.json")).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&meta).unwrap();
    let file = json["keystore_file"].as_str().unwrap().to_owned();
    BTreeMap::from([
        ("tenant.json".to_owned(), meta),
        (file.clone(), fs::read(dir.join(&file)).unwrap()),
    ])
}

fn stray_files(dir: &Path) -> Vec<String> {
    let committed = committed(dir);
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The lock file stays: it is the tenant's, not a leftover of a save.
        .filter(|name| !committed.contains_key(name) && name != harness::tenant::LOCK_FILE)
        .collect()
}

/// SplitMix64: a seeded source of kill moments, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The `harness` binary renames an entry back and forth while we SIGKILL it at seeded random
/// moments. After every kill the tenant opens and its committed files equal the state
/// before or the state a completed run produces (computed in a copy), byte for byte; the
/// next completed save leaves no temp or stray file. `TENANT_CRASH_KILLS=2000` runs longer.
#[test]
fn sigkill_during_saves_leaves_the_old_or_the_new_state() {
    let kills: usize = std::env::var("TENANT_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tenant");
    let world = world();
    let mut tenant = new_tenant(&dir);
    // A few hundred entries make each save long enough for kills to land inside it.
    let many: Vec<Entry> = (0..100)
        .map(|i| {
            trusted(
                &format!("bulk-{i:03}"),
                &world,
                PkiRole::ALL[i % PkiRole::ALL.len()],
            )
        })
        .collect();
    let bytes = upload(Format::Jks, many);
    tenant
        .add_keystore(
            &admin(),
            &bytes,
            &Password::new(UPLOAD_PASSWORD),
            AddMode::Merge,
        )
        .unwrap();
    tenant
        .add_certificate(
            &admin(),
            &Alias::parse("a").unwrap(),
            &pem(&world, PkiRole::ReceiverRoot),
        )
        .unwrap();
    let command = |dir: &Path, step: usize| {
        let state = committed(dir);
        let json: serde_json::Value = serde_json::from_slice(&state["tenant.json"]).unwrap();
        let (from, to) = if json["entries"].get("a").is_some() {
            ("a", "b")
        } else {
            ("b", "a")
        };
        let now = harness::time::format_rfc3339(DEFAULT_NOW + Duration::seconds(step as i64));
        let mut c = Command::new(env!("CARGO_BIN_EXE_harness"));
        c.args(["tenant", "--tenant"])
            .arg(dir)
            .args(["--now", &now, "rename", from, to]);
        c
    };
    let complete = |mut c: Command| {
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    };
    let reference = tmp.path().join("reference");
    // Calibrate the kill window on completed runs.
    let started = std::time::Instant::now();
    for step in 0..4 {
        complete(command(&dir, step));
    }
    let window = (started.elapsed() / 4).as_micros() as u64 + 1;
    let mut rng = Rng(0x007e_4a47);
    let (mut old_seen, mut new_seen, mut strays_seen) = (0, 0, 0);
    for step in 0..kills {
        let step = 10 + 2 * step;
        let old = committed(&dir);
        let _ = fs::remove_dir_all(&reference);
        fs::create_dir_all(&reference).unwrap();
        for (name, bytes) in &old {
            fs::write(reference.join(name), bytes).unwrap();
        }
        complete(command(&reference, step));
        let new = committed(&reference);
        assert_ne!(old, new);

        let mut child = command(&dir, step).spawn().unwrap();
        let delay = rng.next() % (window + window / 2);
        std::thread::sleep(std::time::Duration::from_micros(delay));
        let _ = child.kill();
        let _ = child.wait();

        Tenant::open(&dir).unwrap_or_else(|e| panic!("kill {step}: tenant does not open: {e}"));
        let now = committed(&dir);
        if now == old {
            old_seen += 1;
        } else if now == new {
            new_seen += 1;
        } else {
            panic!("kill {step} (after {delay} µs): the state is neither the old nor the new");
        }
        if !stray_files(&dir).is_empty() {
            strays_seen += 1;
        }
        complete(command(&dir, step + 1));
        assert_eq!(
            stray_files(&dir),
            Vec::<String>::new(),
            "kill {step}: files left after the next save"
        );
    }
    eprintln!(
        "{kills} kills (window {window} µs): {old_seen} left the old state, {new_seen} the new; {strays_seen} left temp or stray files that the next save removed"
    );
    assert_eq!(old_seen + new_seen, kills);
    // A kill that leaves a temp file landed inside a save (after its first temp file was
    // created, before its cleanup): without enough of those, the test has only killed
    // processes before or after their save and shown nothing about crash safety.
    // (Measured: 85 of 200 on a loaded 2-core machine.)
    let in_save_window = strays_seen;
    let minimum = (kills / 20).max(1);
    assert!(
        in_save_window >= minimum,
        "only {in_save_window} of {kills} kills landed inside a save (need {minimum}): the kill window is miscalibrated"
    );
}

/// A JKS file with two aliases equal but for case: our writer refuses to make one, so the
/// second alias is patched in the bytes and the integrity digest recomputed as Java does
/// (SHA-1 over the password as UTF-16BE, "Mighty Aphrodite" and the body).
fn jks_with_duplicate_aliases(world: &World) -> Vec<u8> {
    let mut bytes = upload(
        Format::Jks,
        vec![
            trusted("dup-a", world, PkiRole::ReceiverRoot),
            trusted("dup-b", world, PkiRole::ClientRoot),
        ],
    );
    let body_len = bytes.len() - 20;
    let at = bytes
        .windows(5)
        .position(|w| w == b"dup-b")
        .expect("the second alias is in the file");
    bytes[at + 4] = b'a';
    use sha1::Digest;
    let mut digest = sha1::Sha1::new();
    for unit in UPLOAD_PASSWORD.encode_utf16() {
        digest.update(unit.to_be_bytes());
    }
    digest.update(b"Mighty Aphrodite");
    digest.update(&bytes[..body_len]);
    let sum = digest.finalize();
    bytes[body_len..].copy_from_slice(&sum);
    bytes
}

#[test]
fn lint_finds_each_rule_and_add_keystore_refuses_duplicates() {
    let world = world();
    let password = Password::new(UPLOAD_PASSWORD);
    let codes = |bytes: &[u8], file: &str| {
        let report = harness::tenant::lint(bytes, file, &password, DEFAULT_NOW);
        let mut codes: Vec<(String, Option<String>)> = report
            .findings
            .iter()
            .map(|f| (format!("{:?}:{}", f.severity, f.code), f.alias.clone()))
            .collect();
        codes.sort();
        (report.has_errors(), codes)
    };
    let leaf_only = Entry {
        alias: "leaf-only".into(),
        created: DEFAULT_NOW,
        kind: EntryKind::KeyPair {
            key: KeyMaterial::plain(world.get(PkiRole::Client).key().private_key().clone()),
            chain: world.get(PkiRole::Client).chain(),
        },
    };
    let file = upload(
        Format::Jceks,
        vec![
            trusted("sap_root", &world, PkiRole::ReceiverRoot),
            trusted(&"x".repeat(251), &world, PkiRole::ReceiverRoot),
            trusted("expired", &world, PkiRole::ClientExpired),
            trusted("later", &world, PkiRole::ServerNotYetValid),
            leaf_only,
            key_pair("complete", &world, PkiRole::Client),
        ],
    );
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        codes(&file, "upload.jks"),
        (
            true,
            vec![
                ("Error:alias-too-long".into(), some(&"x".repeat(251))),
                ("Error:reserved-alias".into(), some("sap_root")),
                ("Info:jceks-in-jks-file".into(), None),
                ("Warning:expired".into(), some("expired")),
                ("Warning:incomplete-chain".into(), some("leaf-only")),
                ("Warning:not-yet-valid".into(), some("later")),
            ]
        )
    );
    let clean = upload(
        Format::Jks,
        vec![key_pair("complete", &world, PkiRole::Client)],
    );
    assert_eq!(codes(&clean, "clean.jks"), (false, vec![]));
    let dup = jks_with_duplicate_aliases(&world);
    assert_eq!(
        codes(&dup, "dup.jks"),
        (true, vec![("Error:duplicate-alias".into(), None)])
    );
    assert_eq!(
        codes(&clean, "clean.jks").1,
        codes(&clean, "clean.jceks").1,
        "the name matters only for the JCEKS note"
    );
    let (errors, found) = codes(&clean, "x");
    assert!(!errors && found.is_empty());
    let wrong = harness::tenant::lint(&clean, "clean.jks", &Password::new("nope"), DEFAULT_NOW);
    assert_eq!(wrong.findings[0].code, "wrong-password");

    let tmp = tempfile::tempdir().unwrap();
    let mut tenant = new_tenant(tmp.path());
    let before = dir_bytes(tmp.path());
    let err = tenant
        .add_keystore(&admin(), &dup, &password, AddMode::Merge)
        .unwrap_err();
    let text = ErrorChain(&err).to_string();
    assert!(text.contains("duplicate alias `dup-a`"), "{text}");
    assert_eq!(dir_bytes(tmp.path()), before);
}

/// The store limit (6 MB) refuses the upload that would pass it, and changes nothing.
#[test]
fn the_store_never_passes_six_megabytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tenant = new_tenant(tmp.path());
    let password = Password::new(UPLOAD_PASSWORD);
    // A certificate with many SANs (about 5 KB) keeps the entry count, and the test, small.
    let pki = harness::pki::Pki::new(1, DEFAULT_NOW, harness::pki::KeyType::P256);
    let root = pki.root("big-root").build().unwrap();
    let names: Vec<String> = (0..250)
        .map(|i| format!("host-{i:03}.big.example"))
        .collect();
    let big = pki.leaf("big", &root).names(&names).build().unwrap();
    let mut refused = None;
    for round in 0..5 {
        let size = big.cert().len() + 40;
        let count = (harness::tenant::MAX_UPLOAD_BYTES as usize - 4096) / size;
        let entries = (0..count)
            .map(|i| Entry {
                alias: format!("r{round}-{i:05}"),
                created: DEFAULT_NOW,
                kind: EntryKind::TrustedCertificate(big.cert().clone()),
            })
            .collect();
        let bytes = upload(Format::Jks, entries);
        let before = dir_bytes(tmp.path());
        match tenant.add_keystore(&admin(), &bytes, &password, AddMode::Merge) {
            Ok(summary) => assert!(summary.changed),
            Err(e) => {
                assert!(e.to_string().contains("the tenant keystore is"), "{e}");
                assert!(e.to_string().contains("at most 6291456 allowed"), "{e}");
                assert_eq!(dir_bytes(tmp.path()), before);
                refused = Some(round);
                break;
            }
        }
    }
    assert_eq!(
        refused,
        Some(3),
        "three uploads of 2 MB fit, the fourth does not"
    );
    let size = fs::metadata(Tenant::open(tmp.path()).unwrap().keystore_path())
        .unwrap()
        .len();
    assert!(size <= harness::tenant::MAX_STORE_BYTES, "{size}");
}

#[test]
fn downloads_stay_in_their_directory_whatever_the_alias() {
    let tmp = tempfile::tempdir().unwrap();
    let world = world();
    let mut tenant = new_tenant(tmp.path());
    let alias = Alias::parse("../escape/x").unwrap();
    tenant
        .add_certificate(&admin(), &alias, &pem(&world, PkiRole::ReceiverRoot))
        .unwrap();
    let download = tenant
        .download_certificate(&developer(), "../escape/x", CertEncoding::Pem)
        .unwrap();
    assert_eq!(download.file_name, "_._escape_x.cer");
    let out = tmp.path().join("out");
    let path = download.write_to(&out).unwrap();
    assert_eq!(path.parent(), Some(out.as_path()));
}

#[test]
fn a_tampered_tenant_is_refused_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let tenant = new_tenant(tmp.path());
    let meta_path = tmp.path().join("tenant.json");
    let original = fs::read_to_string(&meta_path).unwrap();
    let cases = [
        (
            original.replacen(
                "\"owner\": \"SAP\"",
                "\"owner\": \"Tenant Administrator\"",
                1,
            ),
            "is owned by Tenant Administrator",
        ),
        (
            original.replacen("\"version\": 1", "\"version\": 9", 1),
            "metadata version 9",
        ),
        ("{".to_owned(), "does not parse"),
    ];
    for (text, fragment) in cases {
        fs::write(&meta_path, text).unwrap();
        let err = Tenant::open(tmp.path()).unwrap_err();
        let TenantError::Corrupt { source, .. } = &err else {
            panic!("not corrupt: {err:?}");
        };
        // One level per line: the top names the file, the cause says what is wrong.
        assert!(err.to_string().ends_with("is corrupt"), "{err}");
        let cause = source.to_string();
        assert!(cause.contains(fragment), "`{cause}` lacks `{fragment}`");
    }
    fs::write(&meta_path, &original).unwrap();
    let mut bytes = fs::read(tenant.keystore_path()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(tenant.keystore_path(), bytes).unwrap();
    let err = Tenant::open(tmp.path()).unwrap_err();
    assert!(
        matches!(
            err,
            TenantError::Corrupt {
                source: Corruption::KeystoreHash,
                ..
            }
        ),
        "{err:?}"
    );
    let empty = tempfile::tempdir().unwrap();
    let err = Tenant::open(empty.path()).unwrap_err().to_string();
    assert!(err.contains("not a tenant directory"), "{err}");
}

#[test]
fn spec_adds_sap_owned_trusted_entries_and_keeps_its_jceks_iteration_count() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let spec = TenantSpec {
        jceks_iterations: 1000,
        sap_trusted: vec![(
            "sap_successfactors_root".to_owned(),
            w.get(PkiRole::ReceiverRoot).cert().clone(),
        )],
        ..TenantSpec::new(7)
    };
    let mut tenant = Tenant::create(dir.path(), &spec, &admin(), false).unwrap();
    assert_eq!(tenant.owner("sap_successfactors_root"), Some(Owner::Sap));
    assert_eq!(
        tenant
            .keystore()
            .get("sap_successfactors_root")
            .unwrap()
            .kind,
        EntryKind::TrustedCertificate(w.get(PkiRole::ReceiverRoot).cert().clone())
    );
    for alias in SAP_TRUSTED_ALIASES {
        assert_eq!(tenant.owner(alias), Some(Owner::Sap), "{alias}");
    }
    let before = dir_bytes(dir.path());
    assert!(matches!(
        tenant.delete(&admin(), "sap_successfactors_root"),
        Err(TenantError::SapOwned { .. })
    ));
    assert_eq!(dir_bytes(dir.path()), before, "a refusal changes nothing");

    // The count is the tenant's: kept in its metadata, used by later saves after `open`.
    let meta = fs::read_to_string(dir.path().join("tenant.json")).unwrap();
    assert!(meta.contains("\"jceks_iterations\": 1000"), "{meta}");
    let mut reopened = Tenant::open(dir.path()).unwrap();
    reopened
        .create_key_pair(
            &admin(),
            &Alias::parse("later").unwrap(),
            &KeyPairSpec {
                key_type: harness::pki::KeyType::P256,
                subject: Subject {
                    common_name: "later".into(),
                    ..Subject::default()
                },
                not_before: DEFAULT_NOW,
                not_after: DEFAULT_NOW + Duration::days(30),
            },
        )
        .unwrap();
    let meta = fs::read_to_string(dir.path().join("tenant.json")).unwrap();
    assert!(meta.contains("\"jceks_iterations\": 1000"), "{meta}");
    assert!(reopened.unlocked_keystore().unwrap().get("later").is_some());

    // The default stays JDK 17's and leaves tenant.json as before the setting existed; a
    // standard tenant of the same seed does not get the extra entry from the cache.
    let plain = tempfile::tempdir().unwrap();
    let standard = new_tenant(plain.path());
    assert!(standard.keystore().get("sap_successfactors_root").is_none());
    let meta = fs::read_to_string(plain.path().join("tenant.json")).unwrap();
    assert!(!meta.contains("jceks_iterations"), "{meta}");
}

#[test]
fn seeded_salts_make_a_tenant_keystore_reproducible_and_are_kept() {
    // Creation is cached per process (sealed once), so compare a key pair generated later:
    // the tenant seals it at that save, with a seeded or a random salt.
    let make = |seeded_salts| {
        let dir = tempfile::tempdir().unwrap();
        let spec = TenantSpec {
            jceks_iterations: 10,
            seeded_salts,
            ..TenantSpec::new(5)
        };
        Tenant::create(dir.path(), &spec, &admin(), false).unwrap();
        // Reopened: the setting must come from the metadata.
        let mut tenant = Tenant::open(dir.path()).unwrap();
        tenant
            .create_key_pair(
                &admin(),
                &Alias::parse("later").unwrap(),
                &KeyPairSpec {
                    key_type: harness::pki::KeyType::P256,
                    subject: Subject {
                        common_name: "later".into(),
                        ..Subject::default()
                    },
                    not_before: DEFAULT_NOW,
                    not_after: DEFAULT_NOW + Duration::days(30),
                },
            )
            .unwrap();
        let bytes = fs::read(tenant.keystore_path()).unwrap();
        let meta = fs::read_to_string(dir.path().join("tenant.json")).unwrap();
        (bytes, meta)
    };
    let (seeded, meta) = make(true);
    assert!(meta.contains("\"seeded_salts\": true"), "{meta}");
    assert_eq!(seeded, make(true).0, "same seed, same keystore bytes");
    let (random, meta) = make(false);
    assert!(!meta.contains("seeded_salts"), "absent when off: {meta}");
    assert_ne!(random, make(false).0, "random salts by default");
}
