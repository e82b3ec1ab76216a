//! `scenarios`: run the built-in suite (or scenario files) and print a report.
//!
//! Exit codes ([`harness::exit::ExitCode`], as ripgrep and x509-limbo): 0 every scenario met its
//! expectations, 1 at least one did not, 2 at least one could not run (a broken file, a harness
//! error) or bad usage.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use harness::exit::{ErrorChain, ExitCode};
use scenarios::model::Scenario;
use scenarios::report::{self, HumanOptions};
use scenarios::runner::{self, Input, RunOptions};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Reproduce SAP Cloud Integration outbound HTTPS with client certificates: run scenario
/// files (default: the built-in suite) and report which expectations were met.
#[derive(Parser, Debug)]
#[command(name = "scenarios", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run scenarios and print a report. Exit 0: all met; 1: some not met; 2: some could not run.
    Run(RunArgs),
    /// Print the catalogue: id, description, expected result.
    List(ListArgs),
    /// Write a commented template scenario NAME.toml that runs as it is (never overwrites).
    New(NewArgs),
}

#[derive(clap::Args, Debug)]
struct NewArgs {
    /// The scenario's name: writes NAME.toml (a path may lead to it: `cases/my-case`).
    name: PathBuf,
}

#[derive(clap::Args, Debug)]
struct Selection {
    /// Scenario files or directories of `*.toml` (default: the built-in suite).
    paths: Vec<PathBuf>,
    /// Only scenarios whose id contains this text, case-insensitive (repeatable: any of them;
    /// matching none is an error, exit 2).
    #[arg(long, value_name = "TEXT")]
    filter: Vec<String>,
    /// Only partition K of N (1-based, for CI matrices): scenario i is in K when i % N == K-1.
    #[arg(long, value_name = "K/N", value_parser = parse_partition)]
    partition: Option<(usize, usize)>,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    selection: Selection,
    /// Seed of the test PKI, overriding every file's own.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Simulated "now" (RFC 3339), overriding every file's own.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<time::OffsetDateTime>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace durations, ports and temp paths with placeholders (stable output).
    #[arg(long)]
    redact: bool,
    /// Show every step of every scenario (human format).
    #[arg(long, short)]
    verbose: bool,
    /// The connectivity test's connect, handshake and read timeouts, in milliseconds
    /// (against a receiver made to stall or to drop SYNs, the phase it stalls in: at most 100).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    timeout_ms: u64,
    /// Scenarios run at once (default: four times the CPUs).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// JCEKS key-sealing iteration count, overriding every file's `world.jceks_iterations`
    /// (Java's `jdk.jceks.iterationCount`; JDK 17 and CPI: 200,000). A low count, e.g.
    /// 1000, makes the suite fast and changes no outcome.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    jceks_iterations: Option<u32>,
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    selection: Selection,
    /// Print JSON.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print the Markdown table that README.md carries.
    #[arg(long)]
    markdown: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// A table; colour only on a terminal.
    Human,
    /// Versioned JSON.
    Json,
    /// JUnit XML for CI servers.
    Junit,
    /// One self-contained HTML page centred on the trust matrix.
    Html,
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => harness::exit::report_error(e.as_ref()).into(),
    }
}

fn run() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::List(args) => list_command(args).map(Into::into),
        Command::New(args) => new_command(&args).map(Into::into),
    }
}

/// `scenarios new NAME`: the template as NAME.toml, written whole or not at all, never over
/// an existing file.
fn new_command(args: &NewArgs) -> anyhow::Result<ExitCode> {
    let mut path = args.name.clone();
    if path.extension().is_none_or(|e| e != "toml") {
        let mut name = path.into_os_string();
        name.push(".toml");
        path = PathBuf::from(name);
    }
    if path.exists() {
        anyhow::bail!(
            "`{}` exists already: `scenarios new` never overwrites a file (choose another name)",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("cannot write in `{}`", dir.display()))?;
    use std::io::Write;
    temp.write_all(scenarios::TEMPLATE.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    temp.persist_noclobber(&path).map_err(|e| {
        anyhow::Error::new(e.error).context(format!(
            "cannot create `{}` (never overwritten)",
            path.display()
        ))
    })?;
    println!(
        "wrote {} (run it: scenarios run {}; every key: docs/SCENARIOS.md)",
        path.display(),
        path.display()
    );
    Ok(ExitCode::Success)
}

fn run_command(args: RunArgs) -> anyhow::Result<std::process::ExitCode> {
    let inputs = match select(&args.selection) {
        Ok(inputs) => inputs,
        Err(no_match) => return Ok(harness::exit::report_error(&no_match).into()),
    };
    // Load errors are reported in the run's report too; on stderr they reach a person even
    // when the report goes to a file.
    for input in &inputs {
        if let Input::Broken { error, .. } = input {
            eprintln!("{}", ErrorChain(error));
        }
    }
    let options = RunOptions {
        seed: args.seed,
        now: args.now,
        jobs: args.jobs.unwrap_or_else(|| RunOptions::default().jobs),
        timeout: std::time::Duration::from_millis(args.timeout_ms),
        progress: true,
        jceks_iterations: args.jceks_iterations,
    };
    let mut report = match runner::run(inputs, &options) {
        Ok(report) => report,
        Err(e) => {
            if let Some(code) = e.signal_exit_code() {
                eprintln!("{}", ErrorChain(&e));
                return Ok(std::process::ExitCode::from(code));
            }
            return Err(anyhow::Error::new(e).context("cannot run the scenarios"));
        }
    };
    let code = match report.exit_code() {
        0 => ExitCode::Success,
        1 => ExitCode::Failed,
        _ => ExitCode::Error,
    };
    if args.redact {
        report::redact::redact(&mut report);
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Human => report::human(
            &report,
            HumanOptions {
                colour: to_terminal,
                verbose: args.verbose,
            },
        ),
        Format::Json => report::json(&report),
        Format::Junit => report::junit(&report),
        Format::Html => report::html(&report),
    };
    emit(args.output.as_deref(), &text)?;
    Ok(code.into())
}

fn list_command(args: ListArgs) -> anyhow::Result<ExitCode> {
    let inputs = match select(&args.selection) {
        Ok(inputs) => inputs,
        Err(no_match) => return Ok(harness::exit::report_error(&no_match)),
    };
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut broken = 0;
    for input in inputs {
        match input {
            Input::Loaded(s) => scenarios.push(*s),
            Input::Broken { error, .. } => {
                broken += 1;
                eprintln!("{}", ErrorChain(&error));
            }
        }
    }
    let text = if args.markdown {
        scenarios::suite::markdown(&scenarios)
    } else if args.json {
        let rows: Vec<serde_json::Value> = scenarios
            .iter()
            .map(|s| {
                serde_json::json!({
                    "id": s.id,
                    "source": s.source,
                    "description": s.description,
                    "expected": s.expected_summary(),
                })
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&serde_json::json!({
            "version": scenarios::report::REPORT_VERSION,
            "scenarios": rows,
        }))?;
        text.push('\n');
        text
    } else {
        let width = scenarios.iter().map(|s| s.id.len()).max().unwrap_or(8);
        let mut text = String::new();
        for s in &scenarios {
            text.push_str(&format!(
                "{:<width$}  {}\n{:<width$}  expected: {}\n",
                s.id,
                scenarios::suite::headline(s),
                "",
                s.expected_summary()
            ));
        }
        text
    };
    emit(None, &text)?;
    Ok(if broken > 0 {
        ExitCode::Error
    } else {
        ExitCode::Success
    })
}

/// `--filter` matched no scenario: a typo in CI must not pass green.
#[derive(Debug, thiserror::Error)]
#[error(
    "no scenario matches --filter {} (among {known} scenarios; `scenarios list` shows their ids)",
    .filters.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
)]
struct NoMatch {
    filters: Vec<String>,
    known: usize,
}

/// The inputs named on the command line (or the built-in suite), filtered (case-insensitive
/// substrings of the id) and partitioned.
fn select(selection: &Selection) -> Result<Vec<Input>, NoMatch> {
    let mut inputs = if selection.paths.is_empty() {
        scenarios::suite::inputs()
    } else {
        let mut inputs = Vec::new();
        for path in &selection.paths {
            inputs.extend(from_path(path));
        }
        inputs
    };
    if !selection.filter.is_empty() {
        let known = inputs.len();
        let filters: Vec<String> = selection.filter.iter().map(|f| f.to_lowercase()).collect();
        inputs.retain(|i| {
            let id = i.id().to_lowercase();
            filters.iter().any(|f| id.contains(f.as_str()))
        });
        if inputs.is_empty() {
            return Err(NoMatch {
                filters: selection.filter.clone(),
                known,
            });
        }
    }
    if let Some((k, n)) = selection.partition {
        inputs = inputs
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, input)| input)
            .collect();
    }
    Ok(inputs)
}

fn from_path(path: &Path) -> Vec<Input> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        return files.iter().flat_map(|f| from_path(f)).collect();
    }
    match scenarios::load_file(path) {
        Ok(s) => vec![Input::Loaded(Box::new(s))],
        Err(error) => vec![Input::Broken {
            id: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            source: path.display().to_string(),
            error,
        }],
    }
}

fn emit(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => harness::file::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write `{}`", path.display())),
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .context("cannot write to stdout")
        }
    }
}

fn parse_partition(text: &str) -> Result<(usize, usize), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not K/N (e.g. 1/4)"))?;
    let k: usize = k.parse().map_err(|_| format!("`{k}` is not a number"))?;
    let n: usize = n.parse().map_err(|_| format!("`{n}` is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("partition `{text}` needs 1 <= K <= N"));
    }
    Ok((k, n))
}

fn parse_now(text: &str) -> Result<time::OffsetDateTime, String> {
    harness::time::parse_rfc3339(text).map_err(|e| e.to_string())
}
