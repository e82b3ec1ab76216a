//! The SAP-owned entries a new tenant is provisioned with.
//!
//! A real tenant comes with a key pair pre-delivered by SAP (blog: "all newly provisioned
//! cloud integration tenants already have a private key pair pre-delivered by SAP") and with
//! SAP-maintained trusted roots. We simulate them with the seeded PKI, so provisioning is
//! deterministic and cheap (RSA keys are cached per seed for the life of the process):
//!
//! ```text
//! SAP Cloud Root CA (simulated)                       sap_cloudrootca (trusted)
//!   └── SAP Cloud Integration Client CA (simulated)
//!         └── <tenant>.integration.simulated          sap_cloudintegrationcertificate
//!                                                      (key pair, RSA-2048, chain of 3)
//! DigiCert Global Root G2 (simulated)                 sap_digicertglobalrootg2 (trusted)
//! GlobalSign Root R3 (simulated)                      sap_globalsignrootr3 (trusted)
//! ```

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::keystore::{Entry, EntryKind, KeyMaterial};
use crate::memo::Memo;
use crate::pki::{Eku, Issued, KeyType, Pki, PkiError};

/// The alias of the pre-delivered key pair.
pub const SAP_KEY_PAIR_ALIAS: &str = "sap_cloudintegrationcertificate";

/// The aliases of the pre-delivered trusted roots.
pub const SAP_TRUSTED_ALIASES: [&str; 3] = [
    "sap_cloudrootca",
    "sap_digicertglobalrootg2",
    "sap_globalsignrootr3",
];

/// The SAP-owned entries of a tenant named `name`, for `seed` and the simulated `now`:
/// issued once per process for each (seed, now, name). Five RSA-2048 signatures make them,
/// and a scenario run creates dozens of tenants of one seed at once; concurrent creators of
/// the same tenant wait for the first instead of each signing again (`perf record` of
/// `scenarios run`: 9% of its CPU before this memo). At most 16 are kept.
pub(crate) fn provision(
    seed: u64,
    now: OffsetDateTime,
    name: &str,
) -> Result<Vec<Entry>, PkiError> {
    static MEMO: Memo<(u64, OffsetDateTime, String), Vec<Entry>> = Memo::new(16);
    MEMO.get_or_try_insert(&(seed, now, name.to_owned()), || issue(seed, now, name))
}

fn issue(seed: u64, now: OffsetDateTime, name: &str) -> Result<Vec<Entry>, PkiError> {
    let pki = Pki::new(seed, now, KeyType::Rsa2048);
    let sap = "SAP SE (simulated)";
    let root = pki
        .root("sap-cloud-root")
        .common_name("SAP Cloud Root CA (simulated)")
        .organization(sap)
        .build()?;
    let ca = pki
        .intermediate("sap-cloud-integration-client-ca", &root)
        .common_name("SAP Cloud Integration Client CA (simulated)")
        .organization(sap)
        .build()?;
    let leaf = pki
        .leaf("sap-cloudintegrationcertificate", &ca)
        .common_name(&format!("{name}.integration.simulated"))
        .organization(sap)
        .eku(Eku::ClientAuth)
        .build()?;
    let digicert = pki
        .root("sap-digicert-global-root-g2")
        .common_name("DigiCert Global Root G2 (simulated)")
        .organization("DigiCert Inc (simulated)")
        .build()?;
    let globalsign = pki
        .root("sap-globalsign-root-r3")
        .common_name("GlobalSign Root R3 (simulated)")
        .organization("GlobalSign (simulated)")
        .build()?;
    let trusted = |alias: &str, issued: &Issued| Entry {
        alias: alias.to_owned(),
        created: now,
        kind: EntryKind::TrustedCertificate(issued.cert().clone()),
    };
    let chain: Vec<CertificateDer<'static>> = leaf.full_chain();
    Ok(vec![
        Entry {
            alias: SAP_KEY_PAIR_ALIAS.to_owned(),
            created: now,
            kind: EntryKind::KeyPair {
                key: KeyMaterial::plain(leaf.key().private_key().clone()),
                chain,
            },
        },
        trusted(SAP_TRUSTED_ALIASES[0], &root),
        trusted(SAP_TRUSTED_ALIASES[1], &digicert),
        trusted(SAP_TRUSTED_ALIASES[2], &globalsign),
    ])
}
