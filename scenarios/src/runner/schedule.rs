//! The run: one permit per running scenario, the waiting ones first, results in input order.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::{DEFAULT_SEED, Input, RunError, RunOptions, run_one};
use crate::report::{REPORT_VERSION, RunReport, ScenarioReport, Status, Totals};

/// Runs the inputs and returns the report, with the run directory's path (for redaction; the
/// directory itself is gone when this returns).
///
/// SIGINT and SIGTERM end the run cleanly: the runtime is shut down first (every receiver
/// task and listener with it, so nothing writes into the run directory any more), then the
/// run directory is removed, and [`RunError::Interrupted`] says which signal came.
pub fn run(inputs: Vec<Input>, options: &RunOptions) -> Result<RunReport, RunError> {
    let root = run_root().map_err(RunError::Start)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Start)?;
    let outcome = runtime.block_on(async {
        let signals = harness::exit::Signals::install().map_err(RunError::Start)?;
        tokio::select! {
            report = run_in(root.path(), inputs, options) => Ok(report),
            signal = signals.wait() => Err(RunError::Interrupted { signal }),
        }
    });
    // Tasks still running (an interrupted run) end here, before their directory goes.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    drop(root);
    outcome
}

/// The run directory: a new temporary directory, on `/dev/shm` (tmpfs) when `TMPDIR` is not
/// set and `/dev/shm` takes one, in the system temp directory otherwise.
///
/// A run's files are throwaway (every scenario's keystores, tenant and receiver files, all
/// removed when the run ends), and on a disk file system creating, syncing (the tenant's
/// atomic writes `fsync`) and deleting them was about a fifth of the suite's CPU time
/// (`perf record` of `scenarios run`, mostly ext4 inode and journal work). On tmpfs the same
/// calls stay in memory. A user who sets `TMPDIR` gets the run where they asked.
fn run_root() -> std::io::Result<tempfile::TempDir> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("scenarios-run-");
        b
    };
    let shm = std::path::Path::new("/dev/shm");
    if std::env::var_os("TMPDIR").is_none()
        && shm.is_dir()
        && let Ok(dir) = builder.tempdir_in(shm)
    {
        return Ok(dir);
    }
    builder.tempdir()
}

/// How early a scenario should start: 2 when a receiver waits out a timeout or a stall, 1 for
/// an RSA world (seeded RSA keys take about 50 ms each), 0 otherwise.
fn start_early(input: &Input) -> u8 {
    let Input::Loaded(scenario) = input else {
        return 0;
    };
    let waits = scenario
        .receivers
        .iter()
        .any(|r| r.fault.is_some_and(mock_receiver::Fault::waits));
    if waits {
        2
    } else {
        u8::from(scenario.world.key_type.is_rsa())
    }
}

/// [`run`] inside an existing tokio runtime, which must be multi-threaded (CPU-heavy steps use
/// `block_in_place`).
pub async fn run_async(inputs: Vec<Input>, options: &RunOptions) -> Result<RunReport, RunError> {
    let root = run_root().map_err(RunError::Start)?;
    let report = run_in(root.path(), inputs, options).await;
    drop(root);
    Ok(report)
}

/// The run, its scenarios in directories under `root` (which the caller removes).
async fn run_in(root: &std::path::Path, inputs: Vec<Input>, options: &RunOptions) -> RunReport {
    let started = Instant::now();
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
        let dir = root.join(format!("{i:03}"));
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
    let temp_root = root.display().to_string();
    RunReport {
        version: REPORT_VERSION,
        seed: options.seed.unwrap_or(DEFAULT_SEED),
        now: harness::time::format_rfc3339(options.now.unwrap_or(harness::time::DEFAULT_NOW)),
        duration_ms: Some(started.elapsed().as_millis() as u64),
        totals: Totals::of(&scenarios),
        temp_root: Some(temp_root),
        scenarios,
    }
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
