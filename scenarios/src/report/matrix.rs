//! The trust-matrix cell a scenario fills, for the HTML report's grid.

use std::collections::BTreeMap;

use harness::pki::Role;
use mock_receiver::{ClientAuthMode, ServerVariant};

use super::model::MatrixCell;
use crate::model::{CertSource, Scenario, Step, TenantOperation, UploadMode};

/// The trust-matrix cell of a scenario, and the index (0-based) of the step that fills it:
/// the scenario's FINAL connectivity test or request against its first receiver, when that
/// receiver is healthy (valid certificate of the world, no fault, both TLS versions) and that
/// final step validates the server certificate, offers both TLS versions and uses the
/// receiver's own address. The row is what the receiver sends; the column is what the tenant trusts at that
/// step (after the uploads, deletions, renames and additions before it that the scenario
/// does not expect to be refused), and with client authentication what the receiver trusts
/// by then.
pub(crate) fn matrix_cell(scenario: &Scenario) -> Option<(usize, MatrixCell)> {
    let receiver = scenario.receivers.first()?;
    let both = |versions: &[harness::connect::TlsVersion]| {
        mock_receiver::TlsVersions::of(versions) == mock_receiver::TlsVersions::Both
    };
    if receiver.fault.is_some()
        || receiver.cert_file.is_some()
        || receiver.certificate != ServerVariant::Valid
        || !both(&receiver.tls_versions)
    {
        return None;
    }
    let mut state = Trust {
        built: BTreeMap::new(),
        tenant: BTreeMap::new(),
        receiver: receiver.trust.clone(),
        receiver_extra: Vec::new(),
    };
    let mut last = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        let refused = step.expect().refused_with.is_some();
        match step {
            Step::BuildKeystore {
                keystore, trusted, ..
            } => {
                state.built.insert(
                    keystore.clone(),
                    trusted
                        .iter()
                        .map(|e| (e.alias.to_ascii_lowercase(), e.certificate))
                        .collect(),
                );
            }
            Step::Upload { keystore, mode, .. } if !refused => {
                let refused_aliases: Vec<String> = step
                    .expect()
                    .refused
                    .iter()
                    .map(|r| r.alias.to_ascii_lowercase())
                    .collect();
                if *mode == UploadMode::Replace {
                    state.tenant.clear();
                }
                for (alias, role) in state.built.get(keystore).cloned().unwrap_or_default() {
                    if refused_aliases.contains(&alias) {
                        continue;
                    }
                    if *mode == UploadMode::Add {
                        state.tenant.entry(alias).or_insert(role);
                    } else {
                        state.tenant.insert(alias, role);
                    }
                }
            }
            Step::Tenant {
                operation,
                alias,
                argument,
                ..
            } if !refused => {
                let alias = alias.to_ascii_lowercase();
                match operation {
                    TenantOperation::Delete => {
                        state.tenant.remove(&alias);
                    }
                    TenantOperation::Rename => {
                        if let (Some(role), Some(new)) = (state.tenant.remove(&alias), argument) {
                            state.tenant.insert(new.to_ascii_lowercase(), role);
                        }
                    }
                    TenantOperation::AddCertificate => {
                        if let Some(role) = argument.as_deref().and_then(|a| a.parse().ok()) {
                            state.tenant.insert(alias, role);
                        }
                    }
                    TenantOperation::AddOversizedCertificate => {}
                }
            }
            Step::ConfigureReceiver {
                receiver: name,
                trust,
                ..
            } if name == &receiver.name => {
                for source in trust {
                    match source {
                        CertSource::Role(role) => state.receiver.push(*role),
                        other => state.receiver_extra.push(other.to_string()),
                    }
                }
            }
            Step::Connect {
                receiver: name,
                validate,
                host,
                tls_versions,
                ..
            } if name == &receiver.name => {
                last = (*validate && host.is_none() && both(tls_versions))
                    .then(|| (i, state.cell(scenario, receiver, i)));
            }
            Step::Request { receiver: name, .. } if name == &receiver.name => {
                last = Some((i, state.cell(scenario, receiver, i)));
            }
            _ => {}
        }
    }
    last
}

/// What the tenant and the receiver trust, step by step.
struct Trust {
    /// Keystore name -> its trusted entries (lower-cased alias, role).
    built: BTreeMap<String, Vec<(String, Role)>>,
    /// The tenant's Tenant Administrator trusted entries (lower-cased alias -> role).
    tenant: BTreeMap<String, Role>,
    /// What the first receiver trusts: world roles...
    receiver: Vec<Role>,
    /// ... and downloaded certificates (`root of cpi_client.p7b`).
    receiver_extra: Vec<String>,
}

impl Trust {
    fn cell(&self, scenario: &Scenario, receiver: &crate::model::Receiver, i: usize) -> MatrixCell {
        let roles: Vec<Role> = scenario
            .tenant
            .preinstalled
            .iter()
            .chain(self.tenant.values())
            .copied()
            .collect();
        let mut trust = names(roles, &[]);
        if receiver.client_auth != ClientAuthMode::None {
            let theirs = names(self.receiver.clone(), &self.receiver_extra);
            trust = format!("{trust}; receiver trusts {theirs}");
        }
        MatrixCell {
            profile: receiver.profile.name().to_owned(),
            trust,
            client_auth: receiver.client_auth.name().to_owned(),
            observed: None,
            step: i + 1,
            http_status: None,
        }
    }
}

/// `a + b`: the roles in the world's order without repeats, then the other certificates in
/// the order they were added; `nothing` when there is none.
fn names(mut roles: Vec<Role>, extra: &[String]) -> String {
    roles.sort();
    roles.dedup();
    let mut items: Vec<&str> = roles.iter().map(|r| r.name()).collect();
    for e in extra {
        if !items.contains(&e.as_str()) {
            items.push(e);
        }
    }
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(" + ")
    }
}
