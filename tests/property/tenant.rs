//! The tenant keystore as a state machine: random operations under random roles never
//! change an SAP-owned entry, never admit a reserved alias, change nothing when refused, and
//! always re-open to the same state. Plus insta snapshots of the entry list, entry details
//! and the "Add keystore" summary (seeded PKI, simulated "now": stable).
//!
//! Larger run: `PROPTEST_CASES=1000 cargo nextest run -p tests --test property tenant`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use harness::pki::{Pki, Role as PkiRole, Validity, World, WorldSpec};
use harness::secret::Password;
use harness::tenant::{
    Actor, AddMode, Alias, AuthGroup, Owner, SAP_KEY_PAIR_ALIAS, Tenant, TenantSpec,
    reserved_prefix,
};
use harness::time::DEFAULT_NOW;
use proptest::prelude::*;
use time::Duration;

const UPLOAD_PASSWORD: &str = "upload-Pass1";
const BACKUP_PASSWORD: &str = "Backup-2026";

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::generate(&WorldSpec::new(5)).unwrap())
}

/// A provisioned tenant made once per process (provisioning seals an RSA key with 200,000
/// MD5 rounds) and copied into each case's directory.
fn template() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        Tenant::create(
            dir.path(),
            &TenantSpec::new(9),
            &Actor::admin(DEFAULT_NOW),
            false,
        )
        .unwrap();
        dir
    })
    .path()
}

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

const ALIASES: [&str; 12] = [
    "a",
    "B",
    "receiver-root",
    "sap_x",
    "SAP_CloudRootCA",
    "sap_cloudintegrationcertificate",
    "hcicertificate",
    "HciMsgCertificate7",
    "my_sap_root",
    "hci",
    " padded",
    "",
];

#[derive(Clone, Debug)]
enum Op {
    AddCertificate(usize, usize),
    AddKeystore(AddMode, Vec<(usize, usize)>, bool),
    AddKeyPair(usize),
    Update(usize, usize),
    Rename(usize, usize),
    Delete(usize),
    Backup,
    Restore(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let alias = 0..ALIASES.len();
    let cert = 0..PkiRole::ALL.len();
    prop_oneof![
        4 => (alias.clone(), cert.clone()).prop_map(|(a, c)| Op::AddCertificate(a, c)),
        3 => (
            prop_oneof![Just(AddMode::Merge), Just(AddMode::MergeOverwrite), Just(AddMode::Replace)],
            prop::collection::vec((alias.clone(), cert.clone()), 0..4),
            any::<bool>(),
        )
            .prop_map(|(m, e, jceks)| Op::AddKeystore(m, e, jceks)),
        // Key pairs cost a JCEKS sealing (200,000 MD5 rounds) per save: drawn rarely.
        1 => alias.clone().prop_map(Op::AddKeyPair),
        3 => (alias.clone(), cert).prop_map(|(a, c)| Op::Update(a, c)),
        3 => (alias.clone(), alias.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
        3 => alias.prop_map(Op::Delete),
        1 => Just(Op::Backup),
        1 => any::<bool>().prop_map(Op::Restore),
    ]
}

fn role() -> impl Strategy<Value = AuthGroup> {
    prop_oneof![
        6 => Just(AuthGroup::Admin),
        1 => Just(AuthGroup::IntegrationDeveloper),
        1 => Just(AuthGroup::BusinessExpert),
    ]
}

fn cert_pem(index: usize) -> Vec<u8> {
    harness::cert::pem_encode("CERTIFICATE", world().get(PkiRole::ALL[index]).cert()).into_bytes()
}

fn upload(format: Format, entries: &[(usize, usize)]) -> Vec<u8> {
    let mut store = Keystore::new(format);
    for (alias, cert) in entries {
        let _ = store.insert(Entry {
            alias: ALIASES[*alias].to_owned(),
            created: DEFAULT_NOW,
            kind: EntryKind::TrustedCertificate(world().get(PkiRole::ALL[*cert]).cert().clone()),
        });
    }
    store
        .to_bytes(format, &Passwords::new(Password::new(UPLOAD_PASSWORD)))
        .unwrap()
}

fn client_p12() -> &'static [u8] {
    static P12: OnceLock<Vec<u8>> = OnceLock::new();
    P12.get_or_init(|| {
        let issued = world().get(PkiRole::Client);
        let mut store = Keystore::new(Format::Pkcs12);
        store
            .insert(Entry {
                alias: "client".into(),
                created: DEFAULT_NOW,
                kind: EntryKind::KeyPair {
                    key: KeyMaterial::plain(issued.key().private_key().clone()),
                    chain: issued.full_chain(),
                },
            })
            .unwrap();
        store
            .to_bytes(
                Format::Pkcs12,
                &Passwords::new(Password::new(UPLOAD_PASSWORD)),
            )
            .unwrap()
    })
}

/// Runs one operation; `Ok(false)` when the alias never parsed (the typed API cannot even
/// express the call), `Err` when the tenant refused.
fn apply(tenant: &mut Tenant, actor: &Actor, op: &Op) -> Result<bool, String> {
    let password = Password::new(UPLOAD_PASSWORD);
    let parse = |i: usize| Alias::parse(ALIASES[i]);
    let result = match op {
        Op::AddCertificate(a, c) => match parse(*a) {
            Ok(alias) => tenant.add_certificate(actor, &alias, &cert_pem(*c)),
            Err(_) => return Ok(false),
        },
        Op::AddKeystore(mode, entries, jceks) => {
            let format = if *jceks { Format::Jceks } else { Format::Jks };
            tenant
                .add_keystore(actor, &upload(format, entries), &password, *mode)
                .map(|_| ())
        }
        Op::AddKeyPair(a) => match parse(*a) {
            Ok(alias) => tenant.add_key_pair(actor, &alias, client_p12(), &password),
            Err(_) => return Ok(false),
        },
        Op::Update(a, c) => tenant.update(actor, ALIASES[*a], &cert_pem(*c), None),
        Op::Rename(a, b) => match parse(*b) {
            Ok(to) => tenant.rename(actor, ALIASES[*a], &to),
            Err(_) => return Ok(false),
        },
        Op::Delete(a) => tenant.delete(actor, ALIASES[*a]),
        Op::Backup => tenant.backup(actor, &Password::new(BACKUP_PASSWORD)),
        Op::Restore(right) => {
            let text = if *right {
                BACKUP_PASSWORD
            } else {
                "Wrong-Pass1"
            };
            tenant.restore(actor, &Password::new(text))
        }
    };
    result.map(|()| true).map_err(|e| e.to_string())
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    // An explicit `cases` would override PROPTEST_CASES, so the variable is read here.
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_the_rules_and_reopen_to_the_same_state(
        steps in prop::collection::vec((role(), op()), 1..10)
    ) {
        let tmp = tempfile::tempdir().unwrap();
        for (name, bytes) in dir_bytes(template()) {
            fs::write(tmp.path().join(name), bytes).unwrap();
        }
        let mut tenant = Tenant::open(tmp.path()).unwrap();
        let sap_entries: Vec<(Entry, _)> = tenant
            .records()
            .iter()
            .filter(|(_, r)| r.owner == Owner::Sap)
            .map(|(alias, r)| (tenant.keystore().get(alias).unwrap().clone(), r.clone()))
            .collect();
        prop_assert_eq!(sap_entries.len(), 4);
        for (i, (role, op)) in steps.iter().enumerate() {
            let actor = Actor::new(*role, "user", DEFAULT_NOW + Duration::minutes(i as i64));
            let before = dir_bytes(tmp.path());
            let memory = (tenant.keystore().clone(), tenant.records().clone(), tenant.generation());
            match apply(&mut tenant, &actor, op) {
                Ok(_) => {}
                Err(reason) => {
                    prop_assert!(!reason.is_empty());
                    prop_assert_eq!(&dir_bytes(tmp.path()), &before, "refused `{}` changed files", reason);
                    let after = (tenant.keystore().clone(), tenant.records().clone(), tenant.generation());
                    prop_assert!(after == memory, "refused `{}` changed memory", reason);
                }
            }
            if *role != AuthGroup::Admin {
                prop_assert_eq!(&dir_bytes(tmp.path()), &before, "{:?} changed the tenant", role);
            }
            for (entry, record) in &sap_entries {
                prop_assert_eq!(tenant.keystore().get(&entry.alias), Some(entry));
                prop_assert_eq!(tenant.record(&entry.alias), Some(record));
            }
            for (alias, record) in tenant.records() {
                prop_assert_eq!(
                    record.owner == Owner::Sap,
                    reserved_prefix(alias).is_some(),
                    "alias `{}` owned by {}", alias, record.owner
                );
            }
            let reopened = Tenant::open(tmp.path()).unwrap();
            prop_assert!(reopened.keystore() == tenant.keystore(), "reopened keystore differs");
            prop_assert_eq!(reopened.records(), tenant.records());
            prop_assert_eq!(reopened.history(), tenant.history());
            prop_assert_eq!(reopened.backup_record(), tenant.backup_record());
        }
        let listed = tenant.list(&Actor::developer(DEFAULT_NOW)).unwrap();
        prop_assert_eq!(listed.entries.len(), tenant.keystore().len());
    }
}

// --- snapshots ---------------------------------------------------------------------------

/// A tenant after the article's step 3: the receiver's root, a client key pair, an expired
/// and a soon-expiring certificate uploaded next to a reserved alias.
fn article_tenant(dir: &Path) -> (Tenant, harness::tenant::AddSummary) {
    let now = DEFAULT_NOW;
    let world = World::generate(&WorldSpec::new(1)).unwrap();
    let mut tenant = Tenant::create(dir, &TenantSpec::new(1), &Actor::admin(now), false).unwrap();
    let pki = Pki::new(1, now, harness::pki::KeyType::P256);
    let root = pki
        .root("snapshot-root")
        .common_name("Snapshot Root")
        .build()
        .unwrap();
    let soon = pki
        .leaf("soon", &root)
        .common_name("expires-soon.example")
        .validity(Validity::Window {
            not_before: now - Duration::days(300),
            not_after: now + Duration::days(10),
        })
        .build()
        .unwrap();
    let trusted = |alias: &str, cert: &rustls_pki_types::CertificateDer<'static>| Entry {
        alias: alias.into(),
        created: now,
        kind: EntryKind::TrustedCertificate(cert.clone()),
    };
    let client = world.get(PkiRole::Client);
    let mut store = Keystore::new(Format::Jceks);
    for entry in [
        trusted("receiver-root", world.get(PkiRole::ReceiverRoot).cert()),
        trusted("old-client", world.get(PkiRole::ClientExpired).cert()),
        trusted("soon", soon.cert()),
        trusted(
            "sap_receiver",
            world.get(PkiRole::ReceiverIntermediate).cert(),
        ),
        Entry {
            alias: "client".into(),
            created: now,
            kind: EntryKind::KeyPair {
                key: KeyMaterial::plain(client.key().private_key().clone()),
                chain: client.full_chain(),
            },
        },
    ] {
        store.insert(entry).unwrap();
    }
    let bytes = store
        .to_bytes(
            Format::Jceks,
            &Passwords::new(Password::new(UPLOAD_PASSWORD)),
        )
        .unwrap();
    let summary = tenant
        .add_keystore(
            &Actor::admin(now),
            &bytes,
            &Password::new(UPLOAD_PASSWORD),
            AddMode::Merge,
        )
        .unwrap();
    (tenant, summary)
}

#[test]
fn snapshots_of_list_details_and_add_keystore_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let (tenant, summary) = article_tenant(tmp.path());
    let viewer = Actor::developer(DEFAULT_NOW);
    insta::assert_json_snapshot!("tenant_add_keystore_summary", summary);
    insta::assert_snapshot!("tenant_list", tenant.list(&viewer).unwrap().to_text());
    insta::assert_json_snapshot!("tenant_list_json", tenant.list(&viewer).unwrap());
    insta::assert_snapshot!(
        "tenant_details_sap_key_pair",
        tenant
            .details(&viewer, SAP_KEY_PAIR_ALIAS)
            .unwrap()
            .to_text()
    );
    insta::assert_snapshot!(
        "tenant_details_client",
        tenant.details(&viewer, "client").unwrap().to_text()
    );
}
