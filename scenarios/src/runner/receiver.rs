//! Receivers of a scenario: the mock receiver's spec from a declaration and what
//! configure-receiver steps added, starts, restarts and shutdown.

use std::time::Duration;

use harness::pki::World;
use mock_receiver::{
    ClientAuth, Receiver, ReceiverError, ReceiverSpec, RunningReceiver, Timeouts, TlsVersions,
    UserMap,
};
use rustls_pki_types::CertificateDer;

use super::StepError;
use super::expect::Observed;
use super::step::{Context, subject};
use crate::model::{self, CertSource, Refused, Scenario};

/// Receivers in scenarios stall for less than the connectivity test's read timeout would
/// wait in CPI, so stalls end well within a run; shutdown is short for the same reason.
const RECEIVER_TIMEOUTS: Timeouts = Timeouts {
    handshake: Duration::from_secs(5),
    read: Duration::from_secs(5),
    write: Duration::from_secs(5),
    shutdown: Duration::from_millis(500),
    stall: Duration::from_secs(5),
};

/// A receiver of the scenario: its declaration, what configure-receiver steps added, and the
/// running server (restarted after each configure-receiver step, as an administrator's change
/// takes effect on new connections).
pub(super) struct ReceiverState {
    declared: model::Receiver,
    trust: Vec<CertificateDer<'static>>,
    users: Vec<(CertificateDer<'static>, String)>,
    pub(super) running: Option<RunningReceiver>,
    /// Files the declaration names (`harness capture`'s twin), read at start.
    files: TwinFiles,
}

/// A receiver's own files: the identity to serve and the CA names to send.
#[derive(Clone, Default)]
struct TwinFiles {
    identity: Option<mock_receiver::ServerIdentity>,
    ca_names: Option<Vec<CertificateDer<'static>>>,
}

impl TwinFiles {
    /// Reads the files of `declared`, relative to the scenario file's directory.
    fn read(
        declared: &model::Receiver,
        source: &str,
        trust: &mut Vec<CertificateDer<'static>>,
    ) -> Result<Self, StepError> {
        let base = std::path::Path::new(source)
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let spec_error = |source: ReceiverError| StepError::Spec {
            name: declared.name.clone(),
            source: Box::new(source),
        };
        let certs = |file: &str| {
            let path = base.join(file);
            harness::keystore::read_certificates(
                &path,
                &harness::keystore::Passwords::new(harness::secret::Password::new("")),
            )
            .map_err(|source| StepError::Keystore {
                name: path.display().to_string(),
                source: Box::new(source),
            })
        };
        let mut files = TwinFiles::default();
        if let Some(cert) = &declared.cert_file {
            let key = declared.key_file.as_ref().map(|k| base.join(k));
            files.identity = Some(
                mock_receiver::ServerIdentity::from_files(
                    &base.join(cert),
                    key.as_deref(),
                    None,
                    &harness::secret::Password::new(""),
                )
                .map_err(spec_error)?,
            );
        }
        if let Some(file) = &declared.client_trust_file {
            trust.extend(certs(file)?);
        }
        if let Some(file) = &declared.ca_names_file {
            files.ca_names = Some(certs(file)?);
        }
        Ok(files)
    }
}

impl ReceiverState {
    /// The user mapping; a second user for one certificate where the receiver maps one user
    /// per certificate is the receiver's refusal.
    fn user_map(&self) -> Result<UserMap, ReceiverError> {
        let d = &self.declared;
        let mut users = UserMap::new().unmapped_status(d.unmapped_status);
        if d.one_user_per_certificate {
            users = users.one_user_per_certificate();
        }
        if d.require_mapping {
            users = users.require_mapping();
        }
        for (cert, user) in &self.users {
            users = users.map_certificate(cert, user)?;
        }
        Ok(users)
    }

    /// The fault the receiver is configured with now.
    pub(super) fn fault(&self) -> Option<mock_receiver::Fault> {
        self.declared.fault
    }

    /// The mock receiver's spec for the current configuration.
    fn spec(&self, world: &World, users: UserMap) -> Result<ReceiverSpec, StepError> {
        let d = &self.declared;
        let spec_error = |source| StepError::Spec {
            name: d.name.clone(),
            source: Box::new(source),
        };
        let spec = match &self.files.identity {
            Some(identity) => Ok(ReceiverSpec::new(identity.clone())),
            None => ReceiverSpec::variant(world, d.profile, d.certificate),
        }
        .and_then(|spec| spec.with_legacy(world, d.profile, d.legacy))
        .map_err(spec_error)?;
        let ca_names = match &self.files.ca_names {
            Some(certs) => mock_receiver::CaNames::Subjects(certs.clone()),
            None => d.ca_names.resolve(world),
        };
        let mut spec = spec
            .now(world.spec().now)
            .timeouts(RECEIVER_TIMEOUTS)
            .client_auth(
                ClientAuth::new(d.client_auth, self.trust.clone())
                    .ca_names(ca_names)
                    .rejection(d.rejection),
            )
            .users(users)
            .versions(TlsVersions::of(&d.tls_versions));
        if let Some(fault) = d.fault {
            spec = spec.fault(fault);
        }
        Ok(spec)
    }
}

impl Context {
    /// Starts every declared receiver on 127.0.0.1 port 0.
    pub(super) async fn start_receivers(&mut self, scenario: &Scenario) -> Result<(), StepError> {
        for declared in &scenario.receivers {
            let mut trust = declared
                .trust
                .iter()
                .map(|role| self.world.get(*role).cert().clone())
                .collect();
            let files = TwinFiles::read(declared, &scenario.source, &mut trust)?;
            let users = declared
                .users
                .iter()
                .map(|u| Ok((self.cert_source(&u.certificate)?, u.user.clone())))
                .collect::<Result<Vec<_>, StepError>>()?;
            let mut state = ReceiverState {
                declared: declared.clone(),
                trust,
                users,
                running: None,
                files,
            };
            let users = state.user_map().map_err(|source| StepError::Spec {
                name: declared.name.clone(),
                source: Box::new(source),
            })?;
            let spec = state.spec(&self.world, users)?;
            state.running =
                Some(
                    Receiver::start(spec)
                        .await
                        .map_err(|source| StepError::Start {
                            name: declared.name.clone(),
                            source: Box::new(source),
                        })?,
                );
            self.receivers.insert(declared.name.clone(), state);
        }
        Ok(())
    }

    /// A certificate named in a scenario: a world role, or the leaf or root of a download.
    pub(super) fn cert_source(
        &self,
        source: &CertSource,
    ) -> Result<CertificateDer<'static>, StepError> {
        let missing = |alias: &str, problem| StepError::Download {
            alias: alias.to_owned(),
            problem,
        };
        let chain = |alias: &str| {
            self.downloads
                .get(&alias.to_ascii_lowercase())
                .ok_or_else(|| missing(alias, "was not downloaded"))
        };
        match source {
            CertSource::Role(role) => Ok(self.world.get(*role).cert().clone()),
            CertSource::DownloadedLeaf(alias) => harness::chain::leaf_of(chain(alias)?)
                .cloned()
                .ok_or_else(|| missing(alias, "holds no certificate")),
            CertSource::DownloadedRoot(alias) => harness::chain::root_of(chain(alias)?)
                .cloned()
                .ok_or_else(|| missing(alias, "holds no self-signed root")),
        }
    }

    /// The receiver administrator's change: trust store and user mapping, then a restart.
    pub(super) async fn configure_receiver(
        &mut self,
        name: &str,
        trust: &[CertSource],
        users: &[model::UserMapping],
    ) -> Result<Observed, StepError> {
        let mut output = Vec::new();
        let mut added_trust = Vec::new();
        for source in trust {
            let cert = self.cert_source(source)?;
            output.push(format!("trust store += {source} ({})", subject(&cert)));
            added_trust.push(cert);
        }
        let mut added_users = Vec::new();
        for mapping in users {
            let cert = self.cert_source(&mapping.certificate)?;
            output.push(format!(
                "user mapping += {} ({}) -> {}",
                mapping.certificate,
                subject(&cert),
                mapping.user
            ));
            added_users.push((cert, mapping.user.clone()));
        }
        let Some(state) = self.receivers.get(name) else {
            return Err(StepError::NotRunning(name.to_owned()));
        };
        let mut next = ReceiverState {
            declared: state.declared.clone(),
            trust: state.trust.clone(),
            users: state.users.clone(),
            running: None,
            files: state.files.clone(),
        };
        next.trust.extend(added_trust);
        next.users.extend(added_users);
        let user_map = match next.user_map() {
            Ok(users) => users,
            Err(refusal @ ReceiverError::CertificateAlreadyMapped { .. }) => {
                output.push(super::error_chain(&refusal));
                return Ok(Observed {
                    refused_with: Some(Refused::CertificateAlreadyMapped),
                    output,
                    ..Observed::default()
                });
            }
            Err(source) => {
                return Err(StepError::Spec {
                    name: name.to_owned(),
                    source: Box::new(source),
                });
            }
        };
        let spec = next.spec(&self.world, user_map)?;
        if let Some(state) = self.receivers.get_mut(name)
            && let Some(old) = state.running.take()
        {
            old.shutdown().await.map_err(|source| StepError::Stop {
                name: name.to_owned(),
                source: Box::new(source),
            })?;
        }
        next.running = Some(
            Receiver::start(spec)
                .await
                .map_err(|source| StepError::Start {
                    name: name.to_owned(),
                    source: Box::new(source),
                })?,
        );
        self.receivers.insert(name.to_owned(), next);
        Ok(Observed {
            output,
            ..Observed::default()
        })
    }

    /// Stops every receiver and waits until its sockets are released.
    pub(super) async fn shutdown(&mut self) -> Result<(), StepError> {
        let mut first_error = None;
        for (name, state) in &mut self.receivers {
            if let Some(running) = state.running.take()
                && let Err(source) = running.shutdown().await
            {
                first_error.get_or_insert(StepError::Stop {
                    name: name.clone(),
                    source: Box::new(source),
                });
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
