//! Runs scenarios: concurrently, each isolated, deterministically.
//!
//! Each scenario gets its own temp directory (under one run directory that is removed when the
//! run ends), its own seeded PKI, its own tenant directory and its own receivers bound to
//! 127.0.0.1 port 0. Steps run in file order; a step that cannot run stops its scenario
//! (status `error`, the remaining steps `skipped`), and the other scenarios go on. Results
//! come back in the order the scenarios were given, never in completion order, so the same
//! seed gives the same report once durations, ports and temp paths are redacted.
//!
//! | module | job |
//! |---|---|
//! | `schedule` | the run: permits, start order, results in input order |
//! | `step` | one scenario's context and the steps of the loop |
//! | `receiver` | receiver specs from declarations, starts and restarts |
//! | `expect` | what a step observed, checked against its expectations |

mod error;
mod expect;
mod receiver;
mod schedule;
mod step;

use std::path::Path;
use std::time::{Duration, Instant};

use harness::keystore::WriteOptions;
use harness::pki::{Role, World, WorldSpec};
use time::OffsetDateTime;

use crate::load::LoadError;
use crate::model::{Scenario, Step};
use crate::report::{ScenarioReport, Status, StepReport, matrix_cell};

pub use error::StepError;
pub use schedule::{run, run_async};

use step::Context;

/// The seed used when neither the file nor `--seed` gives one.
pub const DEFAULT_SEED: u64 = 1;

/// The connectivity test's timeouts in scenarios: long enough for any loopback handshake,
/// short enough that a stalled receiver costs half a second, not CPI's minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// The timeout of the one phase in which a receiver made to wait never answers
/// (`connect-timeout`: the TCP connect; `stall-before-server-hello`: the handshake;
/// `stall-after-certificate-request`: the read after a TLS 1.3 handshake). The outcome is the
/// same for any timeout there, so a shorter one only ends the wait sooner; the phases before
/// it keep the full timeout, so a busy machine cannot change the outcome.
pub const WAITING_FAULT_TIMEOUT: Duration = Duration::from_millis(100);

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
    /// Scenarios run at once. The default is four per CPU: a scenario spends much of its
    /// time waiting (its own loopback handshakes, a stalled receiver), and at two per CPU the
    /// waiting scenarios, which start first, held the permits while cores idled (built-in
    /// suite, 2 cores, `hyperfine -N -w 2 -r 10`: 339 ms at `--jobs 4`, 310 ms at 8).
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
            jobs: std::thread::available_parallelism().map_or(4, |n| n.get() * 4),
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
    /// SIGINT or SIGTERM arrived: the receivers were stopped and the run directory removed.
    #[error("interrupted by {}: receivers stopped, run directory removed", signal_name(*.signal))]
    Interrupted {
        /// The signal's number (2 for SIGINT, 15 for SIGTERM).
        signal: i32,
    },
}

impl RunError {
    /// The exit status a shell gives a process ended by a signal (128 + its number: 130 for
    /// SIGINT, 143 for SIGTERM), when this is an interruption.
    pub fn signal_exit_code(&self) -> Option<u8> {
        match self {
            RunError::Interrupted { signal } => u8::try_from(128 + signal).ok(),
            RunError::Start(_) => None,
        }
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Runs one scenario in `dir` and reports it.
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
        std::fs::create_dir_all(dir).map_err(|source| StepError::CreateDir {
            path: dir.display().to_string(),
            source,
        })?;
        let spec = WorldSpec::new(seed)
            .now(now)
            .key_type(scenario.world.key_type);
        tokio::task::block_in_place(|| {
            let world = World::shared(&spec).map_err(StepError::World)?;
            let mut ctx = Context::new(dir.to_owned(), world, seed, now, options.timeout);
            ctx.write_options = WriteOptions::default()
                .jceks_iterations(jceks_iterations)
                .salt_seed(seed);
            ctx.create_tenant(&scenario.tenant)?;
            ctx.upload_scenario_keystore(&scenario)?;
            Ok::<_, StepError>(ctx)
        })
    };
    let mut ctx = match setup.await {
        Ok(ctx) => ctx,
        Err(e) => {
            report.status = Status::Error;
            report.error = Some(error_chain(&e));
            report.steps = skipped_steps(&scenario.steps, 0);
            return report;
        }
    };
    if let Err(e) = ctx.start_receivers(&scenario).await {
        report.status = Status::Error;
        report.error = Some(error_chain(&e));
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
        match ctx.step(step).await {
            Ok(observed) => {
                step_report.checks = expect::check(step.expect(), &observed);
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
                    cell.observed = Some(outcome.to_string());
                    cell.http_status = observed.http_status;
                }
            }
            Err(e) => {
                let text = error_chain(&e);
                step_report.status = Status::Error;
                step_report.error = Some(text.clone());
                report.status = Status::Error;
                report.error = Some(format!("step {} ({}): {text}", i + 1, step.action()));
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
        report.error.get_or_insert(error_chain(&e));
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

/// Renders an error with its causes: `what: cause: cause`.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    format!("{:#}", harness::exit::ErrorChain(error))
}
