//! The trust-matrix cell a scenario fills, for the HTML report's grid.

use std::collections::BTreeMap;

use harness::pki::Role;
use mock_receiver::{ClientAuthMode, ServerVariant};

use super::model::MatrixCell;
use crate::model::{Scenario, Step};

/// The trust-matrix cell of a scenario, and the index of the step that fills it: the first
/// connectivity test with server validation on against the first receiver, when that
/// receiver is healthy (valid certificate, no fault, both TLS versions) and the test uses the
/// receiver's own address. Trust is what the tenant holds at that step; with client
/// authentication, what the receiver trusts is part of the column.
pub(crate) fn matrix_cell(scenario: &Scenario) -> Option<(usize, MatrixCell)> {
    let receiver = scenario.receivers.first()?;
    let both = |versions: &[harness::connect::TlsVersion]| {
        mock_receiver::TlsVersions::of(versions) == mock_receiver::TlsVersions::Both
    };
    if receiver.fault.is_some()
        || receiver.certificate != ServerVariant::Valid
        || !both(&receiver.tls_versions)
    {
        return None;
    }
    let mut built: BTreeMap<&str, Vec<Role>> = BTreeMap::new();
    let mut trusted: Vec<Role> = scenario.tenant.preinstalled.clone();
    for (i, step) in scenario.steps.iter().enumerate() {
        match step {
            Step::BuildKeystore {
                keystore,
                trusted: t,
                ..
            } => {
                built.insert(keystore, t.iter().map(|e| e.certificate).collect());
            }
            Step::Upload { keystore, .. } => {
                if let Some(roles) = built.get(keystore.as_str()) {
                    trusted.extend(roles);
                }
            }
            Step::Tenant { .. } => return None,
            Step::Connect {
                receiver: name,
                validate: true,
                host: None,
                tls_versions,
                ..
            } if name == &receiver.name && both(tls_versions) => {
                let names = |roles: &mut Vec<Role>| {
                    roles.sort();
                    roles.dedup();
                    if roles.is_empty() {
                        "nothing".to_owned()
                    } else {
                        roles
                            .iter()
                            .map(|r| r.name())
                            .collect::<Vec<_>>()
                            .join(" + ")
                    }
                };
                let mut trust = names(&mut trusted);
                if receiver.client_auth != ClientAuthMode::None {
                    let mut theirs = receiver.trust.clone();
                    trust = format!("{trust}; receiver trusts {}", names(&mut theirs));
                }
                return Some((
                    i,
                    MatrixCell {
                        profile: receiver.profile.name().to_owned(),
                        trust,
                        client_auth: receiver.client_auth.name().to_owned(),
                        observed: None,
                    },
                ));
            }
            _ => {}
        }
    }
    None
}
