//! Subcommands of the `harness` binary, one module each.

use std::process::ExitCode;

pub(crate) mod connect;
pub(crate) mod explain;
pub(crate) mod keystore;
pub(crate) mod pki;
pub(crate) mod tenant;

/// The binary's exit codes (named as nextest does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Everything succeeded.
    Success,
    /// The command ran and the thing tested failed (a connectivity test, a lint).
    Failed,
    /// The command could not run.
    Error,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Success => ExitCode::from(0),
            Exit::Failed => ExitCode::from(1),
            Exit::Error => ExitCode::from(2),
        }
    }
}

/// Prints an error and its causes, one level per line, as `error: ...` / `  caused by: ...`.
pub(crate) fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    let mut last = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        // Errors such as `KeystoreError` print their kind on their own line already.
        if !last.ends_with(&text) {
            eprintln!("  caused by: {text}");
        }
        last = text;
    }
}
