//! Runs scenarios: concurrently, each isolated, deterministically.
//!
//! Each scenario gets its own temp directory (under one run directory that is removed when the
//! run ends), its own seeded PKI, its own tenant directory and its own receivers bound to
//! 127.0.0.1 port 0. Steps run in file order; a step that cannot run stops its scenario
//! (status `error`, the remaining steps `skipped`), and the other scenarios go on. Results
//! come back in the order the scenarios were given, never in completion order, so the same
//! seed gives the same report once durations, ports and temp paths are redacted.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use harness::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords, WriteOptions};
use harness::pki::{Role, World, WorldSpec};
use harness::secret::Password;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::load::LoadError;
use mock_receiver::{
    CaNames, ClientAuth, ClientAuthMode, Fault, Receiver, ReceiverSpec, RunningReceiver,
    ServerVariant, Timeouts, TlsVersions, TrustProfile, UserMap,
};

use harness::connect::{
    ClientCertificate, Clock, Options, Policy, Target, TlsVersion as ConnectTlsVersion,
    TrustSource, Validation,
};
use harness::tenant::{
    Actor, AddMode, Alias, AliasRule, AuthGroup as TenantRoleName, Tenant, TenantError, TenantSpec,
};

use crate::model::{self, CertSource, Expect, KeystoreFormat, Scenario, Step};
use crate::report::{
    Check, MatrixCell, REPORT_VERSION, RunReport, ScenarioReport, Status, StepReport, Totals,
};

/// The seed used when neither the file nor `--seed` gives one.
pub const DEFAULT_SEED: u64 = 1;

/// The connectivity test's timeouts in scenarios: long enough for any loopback handshake,
/// short enough that a stalled receiver costs half a second, not CPI's minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// A scenario to run, or the reason it could not be loaded (it is reported, not dropped).
#[derive(Debug)]
pub enum Input {
    /// A loaded scenario.
    Loaded(Box<Scenario>),
    /// A file that did not load.
    Broken {
        /// Its id (the file stem).
        id: String,
        /// Its source.
        source: String,
        /// Why it did not load.
        error: LoadError,
    },
}

impl Input {
    /// The id.
    pub fn id(&self) -> &str {
        match self {
            Input::Loaded(s) => &s.id,
            Input::Broken { id, .. } => id,
        }
    }
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Overrides every file's seed.
    pub seed: Option<u64>,
    /// Overrides every file's "now".
    pub now: Option<OffsetDateTime>,
    /// Scenarios run at once.
    pub jobs: usize,
    /// The connectivity test's connect, handshake and read timeouts (a stalled receiver
    /// costs this much).
    pub timeout: Duration,
    /// Print a progress line on stderr (only when stderr is a terminal).
    pub progress: bool,
    /// Overrides every file's `world.jceks_iterations` (Java's `jdk.jceks.iterationCount`).
    pub jceks_iterations: Option<u32>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            seed: None,
            now: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            timeout: DEFAULT_TIMEOUT,
            jceks_iterations: None,
            progress: false,
        }
    }
}

/// Why the run as a whole could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The run directory or the async runtime could not be created.
    #[error("cannot start the run")]
    Start(#[source] std::io::Error),
}

/// Runs the inputs and returns the report, plus the run directory's path (for redaction; the
/// directory itself is gone when this returns).
pub fn run(inputs: Vec<Input>, options: &RunOptions) -> Result<RunReport, RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Start)?;
    runtime.block_on(run_async(inputs, options))
}

/// How early a scenario should start: 2 when a receiver waits out a timeout or a stall, 1 for
/// an RSA world (seeded RSA keys take about 50 ms each), 0 otherwise.
fn start_early(input: &Input) -> u8 {
    let Input::Loaded(scenario) = input else {
        return 0;
    };
    let waits = scenario.receivers.iter().any(|r| {
        matches!(
            r.fault,
            crate::model::Fault::ConnectTimeout
                | crate::model::Fault::StallBeforeServerHello
                | crate::model::Fault::StallAfterCertificateRequest
        )
    });
    if waits {
        2
    } else {
        u8::from(scenario.world.key_type.is_rsa())
    }
}

/// [`run`] inside an existing tokio runtime, which must be multi-threaded (CPU-heavy steps use
/// `block_in_place`).
pub async fn run_async(inputs: Vec<Input>, options: &RunOptions) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let root = tempfile::Builder::new()
        .prefix("scenarios-run-")
        .tempdir()
        .map_err(RunError::Start)?;
    let total = inputs.len();
    let done = Arc::new(AtomicUsize::new(0));
    let progress = options.progress && std::io::stderr().is_terminal();
    let limit = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    // The semaphore hands out permits in request order, so the scenarios that mostly wait
    // (timeouts, stalls) or generate RSA keys ask first: their waiting then overlaps with the
    // CPU work of the rest instead of trailing it. Reports keep the input order.
    let mut order: Vec<(usize, Input)> = inputs.into_iter().enumerate().collect();
    order.sort_by_key(|(i, input)| (std::cmp::Reverse(start_early(input)), *i));
    let mut tasks = Vec::new();
    for (i, input) in order {
        let dir = root.path().join(format!("{i:03}"));
        let options = options.clone();
        let limit = limit.clone();
        let done = done.clone();
        tasks.push((
            i,
            tokio::spawn(async move {
                // Invariant: the semaphore is never closed.
                let _permit = limit.acquire().await.ok();
                let report = run_one(input, &dir, &options).await;
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                if progress {
                    let mut err = std::io::stderr();
                    let _ = write!(err, "\r[{n}/{total}] {:<60}", report.id);
                    let _ = err.flush();
                }
                report
            }),
        ));
    }
    let mut scenarios = Vec::new();
    for (i, task) in tasks {
        match task.await {
            Ok(report) => scenarios.push((i, report)),
            Err(e) => scenarios.push((i, crashed(&e.to_string()))),
        }
    }
    scenarios.sort_by_key(|(i, _)| *i);
    let scenarios: Vec<_> = scenarios.into_iter().map(|(_, report)| report).collect();
    if progress {
        let mut err = std::io::stderr();
        let _ = write!(err, "\r{:<70}\r", "");
        let _ = err.flush();
    }
    let temp_root = root.path().display().to_string();
    drop(root);
    Ok(RunReport {
        version: REPORT_VERSION,
        seed: options.seed.unwrap_or(DEFAULT_SEED),
        now: harness::time::format_rfc3339(options.now.unwrap_or(harness::time::DEFAULT_NOW)),
        duration_ms: Some(started.elapsed().as_millis() as u64),
        totals: Totals::of(&scenarios),
        temp_root: Some(temp_root),
        scenarios,
    })
}

fn crashed(message: &str) -> ScenarioReport {
    ScenarioReport {
        id: "?".into(),
        source: "?".into(),
        description: String::new(),
        expected: String::new(),
        status: Status::Error,
        error: Some(format!("the scenario task failed: {message}")),
        seed: 0,
        now: String::new(),
        duration_ms: None,
        matrix: None,
        steps: Vec::new(),
    }
}

async fn run_one(input: Input, dir: &Path, options: &RunOptions) -> ScenarioReport {
    let started = Instant::now();
    let scenario = match input {
        Input::Loaded(s) => s,
        Input::Broken { id, source, error } => {
            return ScenarioReport {
                id,
                source,
                description: String::new(),
                expected: String::new(),
                status: Status::Error,
                error: Some(error_chain(&error)),
                seed: options.seed.unwrap_or(DEFAULT_SEED),
                now: String::new(),
                duration_ms: None,
                matrix: None,
                steps: Vec::new(),
            };
        }
    };
    let seed = options.seed.or(scenario.world.seed).unwrap_or(DEFAULT_SEED);
    let now = options
        .now
        .or(scenario.world.now)
        .unwrap_or(harness::time::DEFAULT_NOW);
    let jceks_iterations = options
        .jceks_iterations
        .unwrap_or(scenario.world.jceks_iterations);
    let matrix = matrix_cell(&scenario);
    let matrix_step = matrix.as_ref().map(|(i, _)| *i);
    let mut report = ScenarioReport {
        id: scenario.id.clone(),
        source: scenario.source.clone(),
        description: scenario.description.clone(),
        expected: scenario.expected_summary(),
        status: Status::Met,
        error: None,
        seed,
        now: harness::time::format_rfc3339(now),
        duration_ms: None,
        matrix: matrix.map(|(_, cell)| cell),
        steps: Vec::new(),
    };
    // Key generation and JCEKS sealing are CPU work: block_in_place moves the runtime's
    // other tasks (receivers, other scenarios' handshakes) to other workers meanwhile, so no
    // handshake times out waiting for a busy worker.
    let setup = async {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        let spec = WorldSpec::new(seed)
            .now(now)
            .key_type(scenario.world.key_type);
        tokio::task::block_in_place(|| {
            let world = World::generate(&spec).map_err(|e| error_chain(&e))?;
            let mut ctx = Context::new(dir.to_owned(), world, seed, now, options.timeout);
            ctx.write_options = WriteOptions::default().jceks_iterations(jceks_iterations);
            ctx.create_tenant(&scenario.tenant)?;
            Ok::<_, String>(ctx)
        })
    };
    let mut ctx = match setup.await {
        Ok(ctx) => ctx,
        Err(e) => {
            report.status = Status::Error;
            report.error = Some(e);
            report.steps = skipped_steps(&scenario.steps, 0);
            return report;
        }
    };
    if let Err(e) = ctx.start_receivers(&scenario).await {
        report.status = Status::Error;
        report.error = Some(e);
        report.steps = skipped_steps(&scenario.steps, 0);
        let _ = ctx.shutdown().await;
        return report;
    }
    let mut failed_at = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        let mut step_report = StepReport {
            index: i + 1,
            action: step.action().to_owned(),
            summary: step.summary(),
            status: Status::Met,
            error: None,
            checks: Vec::new(),
            output: Vec::new(),
        };
        match ctx.step(&scenario, step).await {
            Ok(observed) => {
                step_report.checks = check(step.expect(), &observed);
                step_report.output = observed.output;
                if step_report.checks.iter().any(|c| !c.met) {
                    step_report.status = Status::NotMet;
                    if report.status == Status::Met {
                        report.status = Status::NotMet;
                    }
                }
                if matrix_step == Some(i)
                    && let (Some(cell), Some(outcome)) = (&mut report.matrix, observed.outcome)
                {
                    cell.observed = Some(outcome);
                }
            }
            Err(e) => {
                step_report.status = Status::Error;
                step_report.error = Some(e.clone());
                report.status = Status::Error;
                report.error = Some(format!("step {} ({}): {e}", i + 1, step.action()));
                report.steps.push(step_report);
                failed_at = Some(i + 1);
                break;
            }
        }
        report.steps.push(step_report);
    }
    if let Some(next) = failed_at {
        report.steps.extend(skipped_steps(&scenario.steps, next));
    }
    if let Err(e) = ctx.shutdown().await {
        report.status = Status::Error;
        report.error.get_or_insert(e);
    }
    report.duration_ms = Some(started.elapsed().as_millis() as u64);
    report
}

/// The alias of a pre-installed world certificate: `sap_<role>` (`sap_receiver_root`), in
/// the style of the tenant's own SAP-owned entries.
pub(crate) fn preinstalled_alias(role: Role) -> String {
    format!("sap_{}", role.name().replace('-', "_"))
}

fn skipped_steps(steps: &[Step], from: usize) -> Vec<StepReport> {
    steps
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, step)| StepReport {
            index: i + 1,
            action: step.action().to_owned(),
            summary: step.summary(),
            status: Status::Skipped,
            error: None,
            checks: Vec::new(),
            output: Vec::new(),
        })
        .collect()
}

/// The trust-matrix cell of a scenario, and the index of the step that fills it: the first
/// connectivity test with server validation on against the first receiver, when that
/// receiver is healthy (valid certificate, no fault, both TLS versions) and the test uses the
/// receiver's own address. Trust is what the tenant holds at that step; with client
/// authentication, what the receiver trusts is part of the column.
fn matrix_cell(scenario: &Scenario) -> Option<(usize, MatrixCell)> {
    let receiver = scenario.receivers.first()?;
    if receiver.fault != model::Fault::None
        || receiver.certificate != model::ServerCertificate::Valid
        || receiver.tls_versions.len() != model::TlsVersion::ALL.len()
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
            } if name == &receiver.name && tls_versions.len() == model::TlsVersion::ALL.len() => {
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
                if receiver.client_auth != model::ClientAuth::None {
                    let mut theirs = receiver.trust.clone();
                    trust = format!("{trust}; receiver trusts {}", names(&mut theirs));
                }
                return Some((
                    i,
                    MatrixCell {
                        profile: receiver.profile.id().to_owned(),
                        trust,
                        client_auth: receiver.client_auth.id().to_owned(),
                        observed: None,
                    },
                ));
            }
            _ => {}
        }
    }
    None
}

/// What a step produced, compared field by field with its [`Expect`].
#[derive(Debug, Default)]
struct Observed {
    outcome: Option<String>,
    client_certificate_used: Option<bool>,
    chosen_alias: Option<String>,
    user: Option<String>,
    http_status: Option<u16>,
    certificates: Option<usize>,
    /// Aliases in the tenant keystore after the step (lower-cased).
    entries: Option<Vec<String>>,
    added: Vec<String>,
    preserved: Vec<String>,
    overwritten: Vec<String>,
    refused: Vec<(String, String)>,
    refused_with: Option<String>,
    output: Vec<String>,
}

fn check(expect: &Expect, observed: &Observed) -> Vec<Check> {
    let mut checks = Vec::new();
    let none = || "(nothing)".to_owned();
    let mut push = |field: &str, expected: String, observed: String, met: bool| {
        checks.push(Check {
            field: field.to_owned(),
            expected,
            observed,
            met,
        });
    };
    if let Some(outcome) = &expect.outcome {
        let seen = observed.outcome.clone().unwrap_or_else(none);
        push(
            "outcome",
            outcome.to_string(),
            seen.clone(),
            seen == outcome.to_string(),
        );
    }
    if let Some(used) = expect.client_certificate_used {
        let seen = observed.client_certificate_used;
        push(
            "client_certificate_used",
            yes_no(used).to_owned(),
            seen.map_or_else(none, |u| yes_no(u).to_owned()),
            seen == Some(used),
        );
    }
    if let Some(alias) = &expect.chosen_alias {
        let seen = observed.chosen_alias.clone();
        let met = seen
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(alias));
        push(
            "chosen_alias",
            alias.clone(),
            seen.unwrap_or_else(none),
            met,
        );
    }
    if let Some(user) = &expect.user {
        let seen = observed.user.clone();
        push(
            "user",
            user.clone(),
            seen.clone().unwrap_or_else(none),
            seen.as_deref() == Some(user),
        );
    }
    if let Some(status) = expect.http_status {
        let seen = observed.http_status;
        push(
            "http_status",
            status.to_string(),
            seen.map_or_else(none, |s| s.to_string()),
            seen == Some(status),
        );
    }
    if let Some(count) = expect.certificates {
        let seen = observed.certificates;
        push(
            "certificates",
            count.to_string(),
            seen.map_or_else(none, |s| s.to_string()),
            seen == Some(count),
        );
    }
    let entries = observed.entries.clone().unwrap_or_default();
    for alias in &expect.entries {
        let met = entries.contains(&alias.to_ascii_lowercase());
        push(
            "entries",
            format!("`{alias}` present"),
            if met { "present" } else { "absent" }.to_owned(),
            met,
        );
    }
    for alias in &expect.absent {
        let present = entries.contains(&alias.to_ascii_lowercase());
        push(
            "absent",
            format!("`{alias}` absent"),
            if present { "present" } else { "absent" }.to_owned(),
            !present,
        );
    }
    for (field, wanted, seen) in [
        ("added", &expect.added, &observed.added),
        ("preserved", &expect.preserved, &observed.preserved),
        ("overwritten", &expect.overwritten, &observed.overwritten),
    ] {
        for alias in wanted {
            let met = seen.iter().any(|s| s.eq_ignore_ascii_case(alias));
            push(
                field,
                format!("`{alias}`"),
                if met {
                    format!("`{alias}`")
                } else {
                    format!("[{}]", seen.join(", "))
                },
                met,
            );
        }
    }
    for refusal in &expect.refused {
        let seen = observed
            .refused
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(&refusal.alias))
            .map(|(_, r)| r.clone());
        push(
            "refused",
            format!("`{}`: {}", refusal.alias, refusal.reason),
            seen.clone().map_or_else(
                || "not refused".to_owned(),
                |r| format!("`{}`: {r}", refusal.alias),
            ),
            seen.as_deref() == Some(&refusal.reason),
        );
    }
    if let Some(reason) = &expect.refused_with {
        let seen = observed.refused_with.clone();
        push(
            "refused_with",
            reason.clone(),
            seen.clone().unwrap_or_else(|| "not refused".to_owned()),
            seen.as_deref() == Some(reason),
        );
    }
    for text in &expect.text_contains {
        let met = observed.output.iter().any(|line| line.contains(text));
        push(
            "text_contains",
            format!("{text:?}"),
            if met { "found" } else { "not found" }.to_owned(),
            met,
        );
    }
    checks
}

fn yes_no(value: bool) -> &'static str {
    if value { "YES" } else { "NO" }
}

/// Renders an error with its causes: `what: cause: cause` ([`harness::exit::ErrorChain`]).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    format!("{:#}", harness::exit::ErrorChain(error))
}

// ---- the per-scenario context and the steps -----------------------------------------------

/// A keystore built by a build-keystore step.
#[expect(
    dead_code,
    reason = "read by the upload step once harness::tenant is merged"
)]
struct Built {
    path: PathBuf,
    password: String,
}

/// A receiver of the scenario: its declaration, what configure-receiver steps added, and the
/// running server (restarted after each configure-receiver step, as an administrator's change
/// takes effect on new connections).
struct ReceiverState {
    declared: model::Receiver,
    trust: Vec<CertificateDer<'static>>,
    users: Vec<(CertificateDer<'static>, String)>,
    running: Option<RunningReceiver>,
}

struct Context {
    dir: PathBuf,
    world: World,
    receivers: BTreeMap<String, ReceiverState>,
    seed: u64,
    now: OffsetDateTime,
    keystores: BTreeMap<String, Built>,
    /// Downloaded chains by lower-cased alias.
    downloads: BTreeMap<String, Vec<CertificateDer<'static>>>,
    tenant: Option<Tenant>,
    timeout: Duration,
    /// How JCEKS files (built keystores, the tenant keystore) seal keys.
    write_options: WriteOptions,
}

impl Context {
    fn new(dir: PathBuf, world: World, seed: u64, now: OffsetDateTime, timeout: Duration) -> Self {
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

    /// Starts every declared receiver on 127.0.0.1 port 0.
    async fn start_receivers(&mut self, scenario: &Scenario) -> Result<(), String> {
        for declared in &scenario.receivers {
            let trust = declared
                .trust
                .iter()
                .map(|role| self.world.get(*role).cert().clone())
                .collect();
            let users = declared
                .users
                .iter()
                .map(|u| Ok((self.cert_source(&u.certificate)?, u.user.clone())))
                .collect::<Result<Vec<_>, String>>()?;
            let mut state = ReceiverState {
                declared: declared.clone(),
                trust,
                users,
                running: None,
            };
            let spec = self
                .receiver_spec(&state)
                .map_err(|e| format!("receiver `{}`: {e}", declared.name))?;
            state.running = Some(Receiver::start(spec).await.map_err(|e| {
                format!(
                    "cannot start receiver `{}`: {}",
                    declared.name,
                    error_chain(&e)
                )
            })?);
            self.receivers.insert(declared.name.clone(), state);
        }
        Ok(())
    }

    /// The mock receiver's spec for a receiver's current configuration. A user mapping the
    /// receiver refuses (one user per certificate) is `Err(Refused)`.
    fn receiver_spec(&self, state: &ReceiverState) -> Result<ReceiverSpec, String> {
        let d = &state.declared;
        let profile: TrustProfile = d.profile.id().parse().map_err(|e| error_chain(&e))?;
        let variant: ServerVariant = d.certificate.id().parse().map_err(|e| error_chain(&e))?;
        let spec =
            ReceiverSpec::variant(&self.world, profile, variant).map_err(|e| error_chain(&e))?;
        let mut spec = spec.now(self.now).timeouts(RECEIVER_TIMEOUTS);
        let mode = match d.client_auth {
            model::ClientAuth::None => ClientAuthMode::None,
            model::ClientAuth::Optional => ClientAuthMode::Optional,
            model::ClientAuth::Required => ClientAuthMode::Required,
        };
        let ca_names = match d.ca_names {
            model::CaNames::TrustStore => CaNames::TrustStore,
            model::CaNames::Empty => CaNames::Empty,
            model::CaNames::Foreign => {
                CaNames::Subjects(vec![self.world.get(Role::UnrelatedRoot).cert().clone()])
            }
        };
        let rejection = match d.rejection {
            model::Rejection::Alert => mock_receiver::Rejection::TlsAlert,
            model::Rejection::Http400 => mock_receiver::Rejection::Http400,
        };
        spec = spec.client_auth(
            ClientAuth::new(mode, state.trust.clone())
                .ca_names(ca_names)
                .rejection(rejection),
        );
        let mut users = UserMap::new().unmapped_status(d.unmapped_status);
        if d.one_user_per_certificate {
            users = users.one_user_per_certificate();
        }
        if d.require_mapping {
            users = users.require_mapping();
        }
        for (cert, user) in &state.users {
            users = users
                .map_certificate(cert, user)
                .map_err(|e| format!("{REFUSED_PREFIX}{}", error_chain(&e)))?;
        }
        spec = spec.users(users);
        spec = match d.tls_versions.as_slice() {
            [model::TlsVersion::Tls12] => spec.versions(TlsVersions::Tls12Only),
            [model::TlsVersion::Tls13] => spec.versions(TlsVersions::Tls13Only),
            _ => spec,
        };
        let fault = match d.fault {
            model::Fault::None => None,
            model::Fault::AlertHandshakeFailure => Some(Fault::Alert(40)),
            model::Fault::AlertInternalError => Some(Fault::Alert(80)),
            other => Some(other.id().parse::<Fault>().map_err(|e| error_chain(&e))?),
        };
        if let Some(fault) = fault {
            spec = spec.fault(fault);
        }
        Ok(spec)
    }

    /// A certificate named in a scenario: a world role, or the leaf or root of a download.
    fn cert_source(&self, source: &CertSource) -> Result<CertificateDer<'static>, String> {
        let chain = |alias: &str| {
            self.downloads
                .get(&alias.to_ascii_lowercase())
                .ok_or_else(|| format!("`{alias}.p7b` was not downloaded"))
        };
        match source {
            CertSource::Role(role) => Ok(self.world.get(*role).cert().clone()),
            CertSource::DownloadedLeaf(alias) => {
                leaf_of(chain(alias)?).ok_or_else(|| format!("`{alias}.p7b` holds no certificate"))
            }
            CertSource::DownloadedRoot(alias) => root_of(chain(alias)?)
                .ok_or_else(|| format!("`{alias}.p7b` holds no self-signed root")),
        }
    }

    /// The receiver administrator's change: trust store and user mapping, then a restart.
    async fn configure_receiver(
        &mut self,
        name: &str,
        trust: &[CertSource],
        users: &[model::UserMapping],
    ) -> Result<Observed, String> {
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
            return Err(format!("receiver `{name}` is not running"));
        };
        let mut next = ReceiverState {
            declared: state.declared.clone(),
            trust: state.trust.clone(),
            users: state.users.clone(),
            running: None,
        };
        next.trust.extend(added_trust);
        next.users.extend(added_users);
        let spec = match self.receiver_spec(&next) {
            Ok(spec) => spec,
            Err(e) if e.starts_with(REFUSED_PREFIX) => {
                output.push(e[REFUSED_PREFIX.len()..].to_owned());
                return Ok(Observed {
                    refused_with: Some("certificate-already-mapped".to_owned()),
                    output,
                    ..Observed::default()
                });
            }
            Err(e) => return Err(e),
        };
        if let Some(state) = self.receivers.get_mut(name)
            && let Some(old) = state.running.take()
        {
            old.shutdown()
                .await
                .map_err(|e| format!("cannot stop receiver `{name}`: {}", error_chain(&e)))?;
        }
        next.running = Some(
            Receiver::start(spec)
                .await
                .map_err(|e| format!("cannot restart receiver `{name}`: {}", error_chain(&e)))?,
        );
        self.receivers.insert(name.to_owned(), next);
        Ok(Observed {
            output,
            ..Observed::default()
        })
    }

    async fn step(&mut self, _scenario: &Scenario, step: &Step) -> Result<Observed, String> {
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
            } => tokio::task::block_in_place(|| self.upload(keystore, password, *role, *mode)),
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
                ..
            } => {
                self.connect(
                    receiver,
                    *validate,
                    client_certificate.as_deref(),
                    *policy,
                    host.as_deref(),
                    tls_versions,
                )
                .await
            }
            Step::Request {
                receiver,
                client_certificate,
                ..
            } => {
                let mut observed = self
                    .connect(
                        receiver,
                        true,
                        client_certificate.as_deref(),
                        model::AliasPolicy::First,
                        None,
                        &[],
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
    }

    /// KeyStore Explorer: new keystore, import trusted certificates and key pairs, save.
    fn build_keystore(
        &mut self,
        name: &str,
        format: KeystoreFormat,
        password: &str,
        trusted: &[model::AliasedCert],
        key_pairs: &[model::AliasedCert],
    ) -> Result<Observed, String> {
        let format = match format {
            KeystoreFormat::Jceks => Format::Jceks,
            KeystoreFormat::Jks => Format::Jks,
            KeystoreFormat::Pkcs12 => Format::Pkcs12,
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
                .map_err(|e| format!("cannot import `{}`: {}", entry.alias, error_chain(&e)))?;
            output.push(format!(
                "trusted certificate entry `{}`: {}",
                entry.alias, entry.certificate
            ));
        }
        for entry in key_pairs {
            let issued = self.world.get(entry.certificate);
            let mut chain = issued.full_chain();
            match entry.chain {
                model::ChainExtent::Full => {}
                model::ChainExtent::WithoutRoot => chain = issued.chain(),
                model::ChainExtent::LeafOnly => chain.truncate(1),
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
                .map_err(|e| format!("cannot import `{}`: {}", entry.alias, error_chain(&e)))?;
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
            .map_err(|e| error_chain(&e))?;
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
    fn create_tenant(&mut self, spec: &model::Tenant) -> Result<(), String> {
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
            ..TenantSpec::new(self.seed)
        };
        let tenant = Tenant::create(&dir, &tenant_spec, &admin, false)
            .map_err(|e| format!("cannot create the tenant: {}", error_chain(&e)))?;
        self.tenant = Some(tenant);
        Ok(())
    }

    fn tenant_mut(&mut self) -> Result<&mut Tenant, String> {
        self.tenant
            .as_mut()
            .ok_or_else(|| "the tenant was not created".to_owned())
    }

    fn actor(&self, role: model::TenantRole) -> Actor {
        let (role, user) = match role {
            model::TenantRole::Admin => (TenantRoleName::Admin, "admin"),
            model::TenantRole::IntegrationDeveloper => {
                (TenantRoleName::IntegrationDeveloper, "developer")
            }
            model::TenantRole::BusinessExpert => (TenantRoleName::BusinessExpert, "viewer"),
        };
        Actor::new(role, user, self.now)
    }

    /// The aliases in the tenant keystore, lower-cased.
    fn tenant_entries(&self) -> Vec<String> {
        self.tenant
            .as_ref()
            .map(|t| t.records().keys().map(|a| a.to_ascii_lowercase()).collect())
            .unwrap_or_default()
    }

    /// Keystore Monitor, "Add keystore".
    fn upload(
        &mut self,
        keystore: &str,
        password: &str,
        role: model::TenantRole,
        mode: model::UploadMode,
    ) -> Result<Observed, String> {
        let built = self
            .keystores
            .get(keystore)
            .ok_or_else(|| format!("keystore `{keystore}` was not built"))?;
        let bytes = std::fs::read(&built.path)
            .map_err(|e| format!("cannot read `{}`: {e}", built.path.display()))?;
        let actor = self.actor(role);
        let mode = match mode {
            model::UploadMode::Add => AddMode::Merge,
            model::UploadMode::AddOverwrite => AddMode::MergeOverwrite,
            model::UploadMode::Replace => AddMode::Replace,
        };
        let result =
            self.tenant_mut()?
                .add_keystore(&actor, &bytes, &Password::new(password), mode);
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
                    .map(|i| (i.alias.clone(), refusal_id(&i.alias, &i.reason)))
                    .collect();
                observed
                    .output
                    .extend(summary.to_text().lines().map(str::to_owned));
            }
            Err(e) => refused(&mut observed, &e)?,
        }
        observed.entries = Some(self.tenant_entries());
        Ok(observed)
    }

    /// Keystore Monitor operations on one entry.
    fn tenant_operation(
        &mut self,
        operation: model::TenantOperation,
        alias: &str,
        argument: Option<&str>,
        role: model::TenantRole,
    ) -> Result<Observed, String> {
        let actor = self.actor(role);
        let mut observed = Observed::default();
        let parse = |text: &str| Alias::parse(text).map_err(TenantError::from);
        let result = match operation {
            model::TenantOperation::Delete => self.tenant_mut()?.delete(&actor, alias),
            model::TenantOperation::Rename => {
                let to = argument.unwrap_or_default();
                match parse(to) {
                    Ok(to) => self.tenant_mut()?.rename(&actor, alias, &to),
                    Err(e) => Err(e),
                }
            }
            model::TenantOperation::AddCertificate => {
                let role: Role = argument
                    .unwrap_or_default()
                    .parse()
                    .map_err(|e| error_chain(&e))?;
                let pem = harness::cert::pem_encode("CERTIFICATE", self.world.get(role).cert());
                match parse(alias) {
                    Ok(a) => self
                        .tenant_mut()?
                        .add_certificate(&actor, &a, pem.as_bytes()),
                    Err(e) => Err(e),
                }
            }
            model::TenantOperation::AddOversizedCertificate => {
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
            Err(e) => refused(&mut observed, &e)?,
        }
        observed.entries = Some(self.tenant_entries());
        Ok(observed)
    }

    /// Keystore Monitor, "Download" of a key pair: `<alias>.p7b`.
    fn download(&mut self, alias: &str, role: model::TenantRole) -> Result<Observed, String> {
        let actor = self.actor(role);
        let mut observed = Observed::default();
        let tenant = self.tenant_mut()?;
        match tenant.download_chain(&actor, alias) {
            Ok(download) => {
                let path = download
                    .write_to(&self.dir.join("downloads"))
                    .map_err(|e| format!("cannot write `{}`: {e}", download.file_name))?;
                let store = Keystore::read_file(&path, &Passwords::new(Password::new("")))
                    .map_err(|e| error_chain(&e))?;
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
            Err(e) => refused(&mut observed, &e)?,
        }
        Ok(observed)
    }

    /// CPI's Connectivity Test (TLS) against a receiver, with the tenant keystore as trust
    /// store and key source.
    async fn connect(
        &mut self,
        receiver: &str,
        validate: bool,
        client_certificate: Option<&str>,
        policy: model::AliasPolicy,
        host: Option<&str>,
        tls_versions: &[model::TlsVersion],
    ) -> Result<Observed, String> {
        let addr = self
            .receivers
            .get(receiver)
            .and_then(|r| r.running.as_ref())
            .map(RunningReceiver::addr)
            .ok_or_else(|| format!("receiver `{receiver}` is not running"))?;
        let tenant = self
            .tenant
            .as_ref()
            .ok_or_else(|| "the tenant was not created".to_owned())?;
        let trust = tokio::task::block_in_place(|| {
            TrustSource::from_tenant(tenant).map_err(|e| error_chain(&e))
        })?;
        // The host a CPI channel names: `localhost` resolves to the loopback receiver, and a
        // DNS name (not an IP) is what Java's hostname rules, CN fallback included, apply to.
        let target =
            Target::new(host.unwrap_or("localhost"), addr.port()).map_err(|e| error_chain(&e))?;
        let mut options = Options::new(target).timeouts(self.timeout);
        options.clock = Clock::Fixed(self.now);
        if !validate {
            options.validation = Validation::dangerous_off();
        }
        options.client_certificate = match client_certificate {
            None => ClientCertificate::Off,
            Some("") => ClientCertificate::Automatic(match policy {
                model::AliasPolicy::First => Policy::FirstFitting,
                model::AliasPolicy::Random => Policy::RandomFitting { seed: self.seed },
            }),
            Some(alias) => ClientCertificate::Alias(alias.to_owned()),
        };
        if let (Some(min), Some(max)) = (tls_versions.iter().min(), tls_versions.iter().max()) {
            let version = |v: &model::TlsVersion| match v {
                model::TlsVersion::Tls12 => ConnectTlsVersion::Tls12,
                model::TlsVersion::Tls13 => ConnectTlsVersion::Tls13,
            };
            options.min_version = version(min);
            options.max_version = version(max);
        }
        let outcome = harness::connect::run(&options, &trust)
            .await
            .map_err(|e| error_chain(&e))?;
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
            outcome: Some(outcome.class().to_owned()),
            client_certificate_used: Some(outcome.client_certificate.used),
            chosen_alias: outcome.client_certificate.chosen_alias.clone(),
            http_status: outcome.http_status,
            certificates: Some(outcome.server_chain.len()),
            output,
            ..Observed::default()
        })
    }

    /// Stops every receiver and waits until its sockets are released.
    async fn shutdown(&mut self) -> Result<(), String> {
        let mut first_error = None;
        for (name, state) in &mut self.receivers {
            if let Some(running) = state.running.take()
                && let Err(e) = running.shutdown().await
            {
                first_error.get_or_insert(format!(
                    "cannot stop receiver `{name}`: {}",
                    error_chain(&e)
                ));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Marks a refusal by the receiver (an outcome) apart from a harness error.
const REFUSED_PREFIX: &str = "refused: ";

/// Receivers in scenarios stall for less than the connectivity test's read timeout would
/// wait in CPI, so stalls end well within a run; shutdown is short for the same reason.
const RECEIVER_TIMEOUTS: Timeouts = Timeouts {
    handshake: Duration::from_secs(5),
    read: Duration::from_secs(5),
    write: Duration::from_secs(5),
    shutdown: Duration::from_millis(500),
    stall: Duration::from_secs(5),
};

fn subject(cert: &CertificateDer<'_>) -> String {
    harness::cert::CertInfo::from_der(cert)
        .map(|info| info.subject)
        .unwrap_or_else(|_| "unparsable certificate".to_owned())
}

/// The leaf of a chain as a `.p7b` holds it (sorted, not leaf first): the certificate that
/// issued no other certificate of the chain.
fn leaf_of(chain: &[CertificateDer<'static>]) -> Option<CertificateDer<'static>> {
    use harness::cert::{issuer_der, subject_der};
    chain
        .iter()
        .find(|c| {
            let subject = subject_der(c).ok();
            !chain
                .iter()
                .any(|other| other != *c && issuer_der(other).ok() == subject)
        })
        .cloned()
}

/// The root of a chain: the self-signed certificate (subject = issuer).
fn root_of(chain: &[CertificateDer<'static>]) -> Option<CertificateDer<'static>> {
    chain
        .iter()
        .find(|c| {
            matches!(
                (harness::cert::subject_der(c), harness::cert::issuer_der(c)),
                (Ok(s), Ok(i)) if s == i
            )
        })
        .cloned()
}

/// A tenant refusal is an observation (with a reason id); a broken tenant is an error.
fn refused(observed: &mut Observed, error: &TenantError) -> Result<(), String> {
    let id = match error {
        TenantError::Forbidden { .. } => "role",
        TenantError::SapOwned { .. } => "sap-owned",
        TenantError::Alias(e) => alias_rule_id(&e.rule),
        TenantError::DuplicateAlias { .. } => "duplicate-alias",
        TenantError::NoSuchAlias { .. } => "no-such-alias",
        TenantError::WrongType { .. } => "wrong-type",
        TenantError::TooLarge { .. } => "size-limit",
        TenantError::Password(_) => "password-policy",
        TenantError::Keystore(e) => match e.kind {
            harness::keystore::ErrorKind::WrongPassword { .. }
            | harness::keystore::ErrorKind::WrongKeyPassword { .. } => "wrong-password",
            _ => "malformed",
        },
        TenantError::BadUpload { .. } => "bad-upload",
        TenantError::NoBackup => "no-backup",
        _ => return Err(error_chain(error)),
    };
    observed.refused_with = Some(id.to_owned());
    observed
        .output
        .push(format!("refused ({id}): {}", error_chain(error)));
    Ok(())
}

fn alias_rule_id(rule: &AliasRule) -> &'static str {
    match rule {
        AliasRule::Reserved { .. } => "reserved-alias",
        AliasRule::TooLong { .. } => "alias-too-long",
        AliasRule::Empty => "alias-empty",
        AliasRule::ControlCharacter | AliasRule::SurroundingBlanks => "alias-invalid",
    }
}

/// The reason id of an entry the upload refused (its summary gives text).
fn refusal_id(alias: &str, reason: &str) -> String {
    if let Err(e) = Alias::parse(alias) {
        return alias_rule_id(&e.rule).to_owned();
    }
    if reason.contains("owned by SAP") {
        "sap-owned".to_owned()
    } else if reason.contains("secret-key") {
        "secret-key".to_owned()
    } else {
        reason.to_owned()
    }
}
