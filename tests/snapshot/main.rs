//! Snapshot tests: the report of every built-in scenario, `--help`, and the error texts.
//!
//! One test per suite file (`scenarios/suite/<id>.toml` -> test `suite::<id>` -> snapshot
//! `tests/snapshots/snapshot__suite__<id>.snap`), so nextest runs them in parallel and a
//! failure names its scenario. `every_suite_file_has_a_test` fails when a file is added to the
//! suite without a line here. The reports are redacted by the reporter itself (ports,
//! durations, temp paths), the same code path as `scenarios run --redact`.
//!
//! Accept changes locally with `INSTA_UPDATE=always cargo nextest run -p tests --test
//! snapshot`; under `CI=true` insta never writes and fails on any difference.

// Tests: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod explain;
mod reference;
mod report;

use scenarios::report::{self as rep, ScenarioReport};
use scenarios::runner::{self, Input, RunOptions};

/// Runs one built-in scenario and returns its redacted report.
fn run_suite_scenario(id: &str) -> ScenarioReport {
    let input = scenarios::suite::inputs()
        .into_iter()
        .find(|i| i.id() == id)
        .unwrap_or_else(|| panic!("`{id}` is not in the built-in suite"));
    let mut report = runner::run(vec![input], &RunOptions::default()).expect("the run starts");
    rep::redact::redact(&mut report);
    report.scenarios.remove(0)
}

fn snapshot_scenario(id: &str) {
    let report = run_suite_scenario(id);
    let json = serde_json::to_string_pretty(&report).expect("a report serialises");
    settings().bind(|| insta::assert_snapshot!(format!("suite__{id}"), json));
}

/// Snapshots live in `tests/snapshots/` (committed), named without the module path.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

macro_rules! suite {
    ($($name:ident => $id:literal,)*) => {
        mod suite {
            $(
                #[test]
                fn $name() {
                    super::snapshot_scenario($id);
                }
            )*

            /// The ids listed above, to compare with the suite directory.
            pub(super) const LISTED: &[&str] = &[$($id),*];
        }
    };
}

suite! {
    article_end_to_end => "article-end-to-end",
    client_ca_names_empty => "client-ca-names-empty",
    client_ca_names_foreign => "client-ca-names-foreign",
    client_chain_leaf_only_intermediate => "client-chain-leaf-only-intermediate",
    client_chain_leaf_only_root => "client-chain-leaf-only-root",
    client_chain_without_root => "client-chain-without-root",
    client_expired_rejected => "client-expired-rejected",
    client_first_fitting_alias => "client-first-fitting-alias",
    client_optional_fits => "client-optional-fits",
    client_optional_none_fits => "client-optional-none-fits",
    client_rejected_http_400 => "client-rejected-http-400",
    client_required_none_fits => "client-required-none-fits",
    client_required_not_enabled => "client-required-not-enabled",
    client_required_trusts_intermediate => "client-required-trusts-intermediate",
    client_required_trusts_root => "client-required-trusts-root",
    client_required_untrusted_alias => "client-required-untrusted-alias",
    client_wrong_eku_rejected => "client-wrong-eku-rejected",
    comment_client_certificate_used_no => "comment-client-certificate-used-no",
    comment_connect_timed_out => "comment-connect-timed-out",
    comment_one_user_per_certificate => "comment-one-user-per-certificate",
    comment_successfactors_root_already_trusted => "comment-successfactors-root-already-trusted",
    keytype_p384 => "keytype-p384",
    keytype_rsa2048 => "keytype-rsa2048",
    keyusage_server_wrong_eku => "keyusage-server-wrong-eku",
    legacy_cbc_client_required => "legacy-cbc-client-required",
    legacy_cbc_only => "legacy-cbc-only",
    legacy_dhe_only => "legacy-dhe-only",
    legacy_ffdhe_only => "legacy-ffdhe-only",
    legacy_key_encipherment_only => "legacy-key-encipherment-only",
    legacy_key_encipherment_rsa_kx => "legacy-key-encipherment-rsa-kx",
    legacy_rsa_kx_only => "legacy-rsa-kx-only",
    legacy_rsa_pss => "legacy-rsa-pss",
    legacy_rsa1024 => "legacy-rsa1024",
    legacy_sha1_chain => "legacy-sha1-chain",
    legacy_tls10_only => "legacy-tls10-only",
    legacy_tls11_only => "legacy-tls11-only",
    mapping_trusted_unmapped_401 => "mapping-trusted-unmapped-401",
    mapping_trusted_unmapped_403 => "mapping-trusted-unmapped-403",
    mapping_user_mapped => "mapping-user-mapped",
    mapping_wrong_certificate_mapped => "mapping-wrong-certificate-mapped",
    name_cn_only => "name-cn-only",
    name_wrong_host => "name-wrong-host",
    net_alert_handshake_failure => "net-alert-handshake-failure",
    net_alert_internal_error => "net-alert-internal-error",
    net_close_mid_handshake => "net-close-mid-handshake",
    net_connection_refused => "net-connection-refused",
    net_plain_http => "net-plain-http",
    net_protocol_mismatch => "net-protocol-mismatch",
    net_stall_after_certificate_request => "net-stall-after-certificate-request",
    net_stall_before_server_hello => "net-stall-before-server-hello",
    net_tls12_only_receiver => "net-tls12-only-receiver",
    net_unknown_host => "net-unknown-host",
    tenant_add_certificate => "tenant-add-certificate",
    tenant_delete_entry => "tenant-delete-entry",
    tenant_keypair_upload => "tenant-keypair-upload",
    tenant_merge_overwrite => "tenant-merge-overwrite",
    tenant_merge_preserves => "tenant-merge-preserves",
    tenant_rename_entry => "tenant-rename-entry",
    tenant_reserved_alias_hcicertificate => "tenant-reserved-alias-hcicertificate",
    tenant_reserved_alias_hcimsgcertificate => "tenant-reserved-alias-hcimsgcertificate",
    tenant_reserved_alias_sap => "tenant-reserved-alias-sap",
    tenant_reserved_alias_uppercase => "tenant-reserved-alias-uppercase",
    tenant_role_download_developer => "tenant-role-download-developer",
    tenant_role_download_none => "tenant-role-download-none",
    tenant_role_upload_developer => "tenant-role-upload-developer",
    tenant_sap_owned_delete => "tenant-sap-owned-delete",
    tenant_sap_owned_rename => "tenant-sap-owned-rename",
    tenant_sap_owned_replace_keeps => "tenant-sap-owned-replace-keeps",
    tenant_size_limit_certificate => "tenant-size-limit-certificate",
    tenant_upload_jks => "tenant-upload-jks",
    tenant_upload_pkcs12 => "tenant-upload-pkcs12",
    tenant_wrong_password => "tenant-wrong-password",
    trust_fix_by_adding_root => "trust-fix-by-adding-root",
    trust_full_chain_intermediate => "trust-full-chain-intermediate",
    trust_full_chain_root => "trust-full-chain-root",
    trust_full_chain_unrelated => "trust-full-chain-unrelated",
    trust_leaf_intermediate_intermediate => "trust-leaf-intermediate-intermediate",
    trust_leaf_intermediate_root => "trust-leaf-intermediate-root",
    trust_leaf_intermediate_unrelated => "trust-leaf-intermediate-unrelated",
    trust_leaf_only_intermediate => "trust-leaf-only-intermediate",
    trust_leaf_only_intermediate_and_root => "trust-leaf-only-intermediate-and-root",
    trust_leaf_only_root => "trust-leaf-only-root",
    trust_reversed_chain_root => "trust-reversed-chain-root",
    trust_self_signed_imported => "trust-self-signed-imported",
    trust_self_signed_root_only => "trust-self-signed-root-only",
    trust_two_intermediates_leaf_only_missing => "trust-two-intermediates-leaf-only-missing",
    trust_two_intermediates_root => "trust-two-intermediates-root",
    trust_validation_off => "trust-validation-off",
    validity_expired_validation_off => "validity-expired-validation-off",
    validity_intermediate_not_ca => "validity-intermediate-not-ca",
    validity_server_expired => "validity-server-expired",
    validity_server_not_yet_valid => "validity-server-not-yet-valid",
}

#[test]
fn every_suite_file_has_a_test() {
    let mut in_suite: Vec<&str> = scenarios::suite::files()
        .iter()
        .map(|(name, _)| name.trim_end_matches(".toml"))
        .collect();
    in_suite.sort_unstable();
    let mut listed = suite::LISTED.to_vec();
    listed.sort_unstable();
    assert_eq!(
        in_suite, listed,
        "tests/snapshot/main.rs must list every scenarios/suite/*.toml file"
    );
}

/// The number of `*.toml` files in `scenarios/suite`, read from the directory.
fn suite_files_on_disk() -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/suite");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .count()
}

#[test]
fn the_suite_embeds_every_suite_file_and_all_load() {
    let inputs = scenarios::suite::inputs();
    let on_disk = suite_files_on_disk();
    assert!(on_disk > 0, "scenarios/suite has no .toml file");
    assert_eq!(
        inputs.len(),
        on_disk,
        "the embedded suite and scenarios/suite/*.toml differ in size"
    );
    for input in &inputs {
        if let Input::Broken { error, .. } = input {
            panic!("{error}");
        }
    }
}
