//! `harness`: the command line of the harness library.
//!
//! Exit codes ([`harness::exit::ExitCode`]), as ripgrep and x509-limbo: 0 success, 1 the test
//! ran and failed, 2 the command could not run (bad input, unreadable files).

use clap::{Parser, Subcommand};

mod cli;

/// Reproduce SAP Cloud Integration's outbound HTTPS with client certificates, locally.
#[derive(Debug, Parser)]
#[command(name = "harness", version, about, propagate_version = true)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Seeded test PKI: generate every certificate of the loop.
    #[command(subcommand)]
    Pki(cli::pki::PkiCommand),
    /// Keystores (JKS, JCEKS, PKCS#12, PEM, DER, .p7b): list, import, export, convert.
    #[command(subcommand)]
    Keystore(cli::keystore::KeystoreCommand),
    /// CPI's Connectivity Test (TLS) against HOST[:PORT], with a diagnosis. Exit 0 when it
    /// succeeded, 1 when it ran and failed, 2 when it could not run.
    Connect(cli::connect::ConnectArgs),
    /// From an error text (a CPI line, a log excerpt, a stack trace of any JDK) to the failure
    /// classes that produce it, ranked, with scenarios, how to tell them apart and the fix.
    /// Exit 0 when a known text was found, 1 when none was.
    Explain(cli::explain::ExplainArgs),
    /// The simulated tenant keystore (CPI's Keystore Monitor): entries, owners, roles.
    Tenant(cli::tenant::TenantArgs),
    /// Record a real receiver once (chain, versions, client-certificate behaviour, the test's
    /// outcome) and write its twin and a scenario that reproduces it offline. Exit 0 when
    /// written, 1 when the receiver sent no certificate (nothing written), 2 on bad input.
    Capture(cli::capture::CaptureArgs),
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Pki(command) => cli::pki::run(command),
        Command::Keystore(command) => cli::keystore::run(command),
        Command::Connect(args) => cli::connect::run(args),
        Command::Tenant(args) => cli::tenant::run(args),
        Command::Explain(args) => cli::explain::run(args),
        Command::Capture(args) => cli::capture::run(args),
    };
    match result {
        Ok(code) => code.into(),
        Err(err) => harness::exit::report_error(err.as_ref()).into(),
    }
}
