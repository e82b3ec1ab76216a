//! One scenario's context and the steps of the loop: KeyStore Explorer, the Keystore
//! Monitor, the connectivity test and requests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use harness::connect::{
    ClientCertificate, Clock, Options, Policy, Target, TrustSource, Validation,
};
use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords, WriteOptions};
use harness::pki::{Role, World};
use harness::secret::Password;
use harness::tenant::{Actor, AddMode, Alias, AuthGroup, Tenant, TenantError, TenantSpec};
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use super::expect::{Observed, yes_no};
use super::receiver::ReceiverState;
use super::{StepError, error_chain, preinstalled_alias};
use crate::model::{
    self, AliasPolicy, ChainExtent, KeystoreFormat, Outcome, Refused, Step, TenantOperation,
    UploadMode,
};

/// A keystore built by a build-keystore step.
struct Built {
    path: PathBuf,
    password: String,
}

/// Everything one scenario's steps act on.
pub(super) struct Context {
    dir: PathBuf,
    pub(super) world: Arc<World>,
    pub(super) receivers: BTreeMap<String, ReceiverState>,
    seed: u64,
    now: OffsetDateTime,
    keystores: BTreeMap<String, Built>,
    /// Downloaded chains by lower-cased alias.
    pub(super) downloads: BTreeMap<String, Vec<CertificateDer<'static>>>,
    tenant: Option<Tenant>,
    timeout: Duration,
    /// How JCEKS files (built keystores, the tenant keystore) seal keys.
    pub(super) write_options: WriteOptions,
}

impl Context {
    pub(super) fn new(
        dir: PathBuf,
        world: Arc<World>,
        seed: u64,
        now: OffsetDateTime,
        timeout: Duration,
    ) -> Self {
        Self {
            tenant: None,
            timeout,
            write_options: WriteOptions::default(),
            dir,
            world,
            seed,
            now,
            keystores: BTreeMap::new(),
            downloads: BTreeMap::new(),
            receivers: BTreeMap::new(),
        }
    }

    /// Runs one step.
    pub(super) async fn step(&mut self, step: &Step) -> Result<Observed, StepError> {
        match step {
            Step::BuildKeystore {
                keystore,
                format,
                password,
                trusted,
                key_pairs,
                ..
            } => tokio::task::block_in_place(|| {
                self.build_keystore(keystore, *format, password, trusted, key_pairs)
            }),
            Step::Upload {
                keystore,
                password,
                role,
                mode,
                ..
            } => tokio::task::block_in_place(|| {
                self.upload(keystore, password.as_deref(), *role, *mode)
            }),
            Step::Tenant {
                operation,
                alias,
                argument,
                role,
                ..
            } => tokio::task::block_in_place(|| {
                self.tenant_operation(*operation, alias, argument.as_deref(), *role)
            }),
            Step::Download { alias, role, .. } => {
                tokio::task::block_in_place(|| self.download(alias, *role))
            }
            Step::ConfigureReceiver {
                receiver,
                trust,
                users,
                ..
            } => self.configure_receiver(receiver, trust, users).await,
            Step::Connect {
                receiver,
                validate,
                client_certificate,
                policy,
                host,
                tls_versions,
                key_manager,
                ..
            } => {
                self.connect(
                    receiver,
                    *validate,
                    client_certificate.as_deref(),
                    *policy,
                    host.as_deref(),
                    tls_versions,
                    key_manager.unwrap_or_default(),
                )
                .await
            }
            Step::Request {
                receiver,
                client_certificate,
                ..
            } => self.request(receiver, client_certificate.as_deref()).await,
        }
    }

    /// KeyStore Explorer: new keystore, import trusted certificates and key pairs, save.
    fn build_keystore(
        &mut self,
        name: &str,
        format: KeystoreFormat,
        password: &str,
        trusted: &[model::AliasedCert],
        key_pairs: &[model::AliasedCert],
    ) -> Result<Observed, StepError> {
        let format = match format {
            KeystoreFormat::Jceks => Format::Jceks,
            KeystoreFormat::Jks => Format::Jks,
            KeystoreFormat::Pkcs12 => Format::Pkcs12,
        };
        let import = |alias: &str| {
            let alias = alias.to_owned();
            move |source| StepError::Import {
                alias,
                source: Box::new(source),
            }
        };
        let mut store = Keystore::new(format);
        let mut output = Vec::new();
        for entry in trusted {
            let cert = self.world.get(entry.certificate).cert().clone();
            store
                .insert(Entry {
                    alias: entry.alias.clone(),
                    created: harness::time::DEFAULT_NOW,
                    kind: EntryKind::TrustedCertificate(cert),
                })
                .map_err(import(&entry.alias))?;
            output.push(format!(
                "trusted certificate entry `{}`: {}",
                entry.alias, entry.certificate
            ));
        }
        for entry in key_pairs {
            let issued = self.world.get(entry.certificate);
            let mut chain = issued.full_chain();
            match entry.chain {
                ChainExtent::Full => {}
                ChainExtent::WithoutRoot => chain = issued.chain(),
                ChainExtent::LeafOnly => chain.truncate(1),
            }
            let length = chain.len();
            store
                .insert(Entry {
                    alias: entry.alias.clone(),
                    created: harness::time::DEFAULT_NOW,
                    kind: EntryKind::KeyPair {
                        key: KeyMaterial::plain(issued.key().private_key().clone()),
                        chain,
                    },
                })
                .map_err(import(&entry.alias))?;
            output.push(format!(
                "key pair entry `{}`: {} (chain of {length})",
                entry.alias, entry.certificate
            ));
        }
        let ext = match format {
            Format::Pkcs12 => "p12",
            // KeyStore Explorer users save JCEKS under `.jks` too (the article does).
            _ => "jks",
        };
        let path = self.dir.join(format!("{name}.{ext}"));
        store
            .write_file_with(
                &path,
                format,
                &Passwords::new(Password::new(password)),
                &self.write_options,
            )
            .map_err(|source| StepError::Keystore {
                name: name.to_owned(),
                source: Box::new(source),
            })?;
        self.keystores.insert(
            name.to_owned(),
            Built {
                path,
                password: password.to_owned(),
            },
        );
        Ok(Observed {
            output,
            ..Observed::default()
        })
    }

    /// A new tenant with its SAP-owned entries, the scenario's pre-installed certificates
    /// among them (SAP-owned, as CPI pre-delivers well-known roots).
    pub(super) fn create_tenant(&mut self, spec: &model::Tenant) -> Result<(), StepError> {
        let dir = self.dir.join("tenant");
        let admin = Actor::admin(self.now);
        let tenant_spec = TenantSpec {
            jceks_iterations: self.write_options.jceks_iteration_count(),
            sap_trusted: spec
                .preinstalled
                .iter()
                .map(|role| {
                    (
                        preinstalled_alias(*role),
                        self.world.get(*role).cert().clone(),
                    )
                })
                .collect(),
            // Reproducible seals, each computed once per run (issue 14).
            seeded_salts: true,
            ..TenantSpec::new(self.seed)
        };
        let tenant =
            Tenant::create(&dir, &tenant_spec, &admin, false).map_err(StepError::CreateTenant)?;
        self.tenant = Some(tenant);
        Ok(())
    }

    /// The scenario's own keystore file (`harness capture`'s twin keystore), merged into
    /// the tenant by an administrator before any step. A keystore the tenant refuses as a
    /// whole is an error; an entry it refuses (a reserved alias) is left out silently.
    pub(super) fn upload_scenario_keystore(
        &mut self,
        scenario: &crate::model::Scenario,
    ) -> Result<(), StepError> {
        let Some(keystore) = &scenario.tenant.keystore else {
            return Ok(());
        };
        let path = std::path::Path::new(&scenario.source)
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(&keystore.file);
        let bytes = std::fs::read(&path).map_err(|source| StepError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let actor = Actor::admin(self.now);
        let password = Password::new(keystore.password.as_str());
        self.tenant_mut()?
            .add_keystore(&actor, &bytes, &password, AddMode::Merge)
            .map_err(StepError::Tenant)?;
        Ok(())
    }

    fn tenant(&self) -> Result<&Tenant, StepError> {
        self.tenant.as_ref().ok_or(StepError::NoTenant)
    }

    fn tenant_mut(&mut self) -> Result<&mut Tenant, StepError> {
        self.tenant.as_mut().ok_or(StepError::NoTenant)
    }

    fn actor(&self, group: AuthGroup) -> Actor {
        let user = match group {
            AuthGroup::Admin => "admin",
            AuthGroup::IntegrationDeveloper => "developer",
            AuthGroup::BusinessExpert => "viewer",
        };
        Actor::new(group, user, self.now)
    }

    /// The aliases in the tenant keystore, lower-cased.
    fn tenant_entries(&self) -> Vec<String> {
        self.tenant
            .as_ref()
            .map(|t| t.records().keys().map(|a| a.to_ascii_lowercase()).collect())
            .unwrap_or_default()
    }

    /// Keystore Monitor, "Add keystore": the password typed, or the one the keystore was
    /// saved with.
    fn upload(
        &mut self,
        keystore: &str,
        password: Option<&str>,
        role: AuthGroup,
        mode: UploadMode,
    ) -> Result<Observed, StepError> {
        let built = self
            .keystores
            .get(keystore)
            .ok_or_else(|| StepError::NotBuilt(keystore.to_owned()))?;
        let bytes = std::fs::read(&built.path).map_err(|source| StepError::Read {
            path: built.path.display().to_string(),
            source,
        })?;
        let password = Password::new(password.unwrap_or(&built.password));
        let actor = self.actor(role);
        let mode = match mode {
            UploadMode::Add => AddMode::Merge,
            UploadMode::AddOverwrite => AddMode::MergeOverwrite,
            UploadMode::Replace => AddMode::Replace,
        };
        let result = self
            .tenant_mut()?
            .add_keystore(&actor, &bytes, &password, mode);
        let mut observed = Observed::default();
        match result {
            Ok(summary) => {
                let ids = |items: &[harness::tenant::SummaryItem]| {
                    items.iter().map(|i| i.alias.clone()).collect::<Vec<_>>()
                };
                observed.added = ids(&summary.added);
                observed.preserved = ids(&summary.preserved);
                observed.overwritten = ids(&summary.overwritten);
                observed.refused = summary
                    .refused
                    .iter()
                    .filter_map(|i| i.refusal.map(|r| (i.alias.clone(), r)))
                    .collect();
                observed
                    .output
                    .extend(summary.to_text().lines().map(str::to_owned));
            }
            Err(e) => refused(&mut observed, e)?,
        }
        observed.entries = Some(self.tenant_entries());
        Ok(observed)
    }

    /// Keystore Monitor operations on one entry.
    fn tenant_operation(
        &mut self,
        operation: TenantOperation,
        alias: &str,
        argument: Option<&str>,
        role: AuthGroup,
    ) -> Result<Observed, StepError> {
        let actor = self.actor(role);
        let mut observed = Observed::default();
        let parse = |text: &str| Alias::parse(text).map_err(TenantError::from);
        let result = match operation {
            TenantOperation::Delete => self.tenant_mut()?.delete(&actor, alias),
            TenantOperation::Rename => match parse(argument.unwrap_or_default()) {
                Ok(to) => self.tenant_mut()?.rename(&actor, alias, &to),
                Err(e) => Err(e),
            },
            TenantOperation::AddCertificate => {
                let role: Role = argument
                    .unwrap_or_default()
                    .parse()
                    .map_err(StepError::Role)?;
                let pem = harness::cert::pem_encode("CERTIFICATE", self.world.get(role).cert());
                match parse(alias) {
                    Ok(a) => self
                        .tenant_mut()?
                        .add_certificate(&actor, &a, pem.as_bytes()),
                    Err(e) => Err(e),
                }
            }
            TenantOperation::AddOversizedCertificate => {
                // PEM allows explanatory text before the block (RFC 7468 section 5.2); enough
                // of it makes a valid certificate file over CPI's 10,240-byte limit.
                let mut pem = "# padding\n".repeat(1200);
                pem.push_str(&harness::cert::pem_encode(
                    "CERTIFICATE",
                    self.world.get(Role::ReceiverRoot).cert(),
                ));
                match parse(alias) {
                    Ok(a) => self
                        .tenant_mut()?
                        .add_certificate(&actor, &a, pem.as_bytes()),
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            Ok(()) => observed.output.push(format!("{operation} `{alias}`: done")),
            Err(e) => refused(&mut observed, e)?,
        }
        observed.entries = Some(self.tenant_entries());
        Ok(observed)
    }

    /// Keystore Monitor, "Download" of a key pair: `<alias>.p7b`.
    fn download(&mut self, alias: &str, role: AuthGroup) -> Result<Observed, StepError> {
        let actor = self.actor(role);
        let mut observed = Observed::default();
        match self.tenant()?.download_chain(&actor, alias) {
            Ok(download) => {
                let path = download
                    .write_to(&self.dir.join("downloads"))
                    .map_err(|source| StepError::Write {
                        path: download.file_name.clone(),
                        source,
                    })?;
                let store = Keystore::read_file(&path, &Passwords::new(Password::new("")))
                    .map_err(|source| StepError::Keystore {
                        name: download.file_name.clone(),
                        source: Box::new(source),
                    })?;
                let chain: Vec<CertificateDer<'static>> = store
                    .entries()
                    .iter()
                    .filter_map(|e| e.kind.certificate().cloned())
                    .collect();
                observed.certificates = Some(chain.len());
                observed.output.push(format!(
                    "{}: {} certificates",
                    download.file_name,
                    chain.len()
                ));
                for cert in &chain {
                    observed.output.push(format!("  {}", subject(cert)));
                }
                self.downloads.insert(alias.to_ascii_lowercase(), chain);
            }
            Err(e) => refused(&mut observed, e)?,
        }
        Ok(observed)
    }

    /// CPI's Connectivity Test (TLS) against a receiver, with the tenant keystore as trust
    /// store and key source.
    #[allow(clippy::too_many_arguments)] // one per field of the connect step
    async fn connect(
        &mut self,
        receiver: &str,
        validate: bool,
        client_certificate: Option<&str>,
        policy: AliasPolicy,
        host: Option<&str>,
        tls_versions: &[harness::connect::TlsVersion],
        key_manager: harness::connect::KeyManagerKind,
    ) -> Result<Observed, StepError> {
        let state = self.receivers.get(receiver);
        let addr = state
            .and_then(|r| r.running.as_ref())
            .map(mock_receiver::RunningReceiver::addr)
            .ok_or_else(|| StepError::NotRunning(receiver.to_owned()))?;
        let fault = state.and_then(super::receiver::ReceiverState::fault);
        let tenant = self.tenant()?;
        let trust = tokio::task::block_in_place(|| TrustSource::from_tenant(tenant))
            .map_err(StepError::Connect)?;
        // The host a CPI channel names: `localhost` resolves to the loopback receiver, and a
        // DNS name (not an IP) is what Java's hostname rules, CN fallback included, apply to.
        let target =
            Target::new(host.unwrap_or("localhost"), addr.port()).map_err(StepError::Connect)?;
        let mut options = Options::new(target).timeouts(self.timeout);
        // A receiver made to stall or to leave SYNs unanswered never answers in the phase it
        // stalls: any timeout there gives the same outcome, so that one wait is shorter (the
        // suite's wall time is these waits); the phases before it keep theirs.
        let short = self.timeout.min(super::WAITING_FAULT_TIMEOUT);
        match fault {
            Some(mock_receiver::Fault::ConnectTimeout) => options.connect_timeout = short,
            Some(mock_receiver::Fault::StallBeforeServerHello) => options.handshake_timeout = short,
            Some(mock_receiver::Fault::StallAfterCertificateRequest) => {
                // TLS 1.3: the client's handshake is complete when the server stalls.
                options.read_timeout = short;
            }
            _ => {}
        }
        options.clock = Clock::Fixed(self.now);
        options.key_manager = key_manager;
        if !validate {
            options.validation = Validation::dangerous_off();
        }
        options.client_certificate = match client_certificate {
            None => ClientCertificate::Off,
            Some("") => ClientCertificate::Automatic(match policy {
                AliasPolicy::First => Policy::FirstFitting,
                AliasPolicy::Random => Policy::RandomFitting { seed: self.seed },
            }),
            Some(alias) => ClientCertificate::Alias(alias.to_owned()),
        };
        if let (Some(min), Some(max)) = (tls_versions.iter().min(), tls_versions.iter().max()) {
            options.min_version = *min;
            options.max_version = *max;
        }
        let outcome = harness::connect::run(&options, &trust)
            .await
            .map_err(StepError::Connect)?;
        let diagnosis = harness::diagnose::diagnose(&outcome, &trust);
        let mut output = Vec::new();
        match &outcome.failure {
            None => output.push(format!(
                "successfully reached {} ({})",
                outcome.target,
                outcome.protocol.as_deref().unwrap_or("?")
            )),
            Some(failure) => {
                output.push(format!("{}: {}", failure.class(), failure.message()));
                output.push(format!("CPI/Java: {}", failure.java_text()));
            }
        }
        for cert in &outcome.server_chain {
            output.push(format!(
                "server certificate {}: {}",
                cert.position, cert.info.subject
            ));
        }
        output.push(format!(
            "Client Certificate Used: {} ({})",
            yes_no(outcome.client_certificate.used),
            diagnosis.client_certificate_why
        ));
        if let Some(status) = outcome.http_status {
            output.push(format!("HTTP status {status}"));
        }
        output.push(format!("diagnosis: {}", diagnosis.summary));
        for finding in &diagnosis.findings {
            output.push(format!(
                "  {}: {} -> {}",
                finding.id, finding.problem, finding.fix
            ));
        }
        Ok(Observed {
            outcome: Some(Outcome::of(&outcome)),
            client_certificate_used: Some(outcome.client_certificate.used),
            chosen_alias: outcome.client_certificate.chosen_alias.clone(),
            http_status: outcome.http_status,
            certificates: Some(outcome.server_chain.len()),
            output,
            ..Observed::default()
        })
    }

    /// A request through the channel: the connectivity test's `GET /`, and the user the
    /// receiver mapped it to.
    async fn request(
        &mut self,
        receiver: &str,
        client_certificate: Option<&str>,
    ) -> Result<Observed, StepError> {
        let mut observed = self
            .connect(
                receiver,
                true,
                client_certificate,
                AliasPolicy::First,
                None,
                &[],
                harness::connect::KeyManagerKind::default(),
            )
            .await?;
        if let Some(running) = self
            .receivers
            .get(receiver)
            .and_then(|r| r.running.as_ref())
        {
            observed.user = running
                .journal()
                .connections()
                .iter()
                .rev()
                .find_map(|c| c.requests.last().and_then(|r| r.user.clone()));
        }
        if let Some(user) = &observed.user {
            observed
                .output
                .push(format!("receiver mapped the request to user {user}"));
        }
        Ok(observed)
    }
}

/// A tenant refusal is an observation; a broken tenant is an error.
fn refused(observed: &mut Observed, error: TenantError) -> Result<(), StepError> {
    let Some(refusal) = error.refusal() else {
        return Err(StepError::Tenant(error));
    };
    observed.refused_with = Some(Refused::Tenant(refusal));
    observed
        .output
        .push(format!("refused ({refusal}): {}", error_chain(&error)));
    Ok(())
}

/// A certificate's subject, for output lines.
pub(super) fn subject(cert: &CertificateDer<'_>) -> String {
    harness::cert::CertInfo::from_der(cert)
        .map(|info| info.subject)
        .unwrap_or_else(|_| "unparsable certificate".to_owned())
}
