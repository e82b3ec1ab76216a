//! How the three binaries (`harness`, `mock-receiver`, `scenarios`) end: one set of named
//! exit codes and one printer for an error and its causes.
//!
//! The error contract (hyper's `src/error.rs`, nextest's `errors.rs`): an error's `Display`
//! prints its own level only, a lowercase fragment saying what failed and where; what caused
//! it comes through [`std::error::Error::source`]. [`ErrorChain`] walks that chain and prints
//! every level once, as it is: no level repeats another's text, so nothing is guessed away.

use std::error::Error;
use std::fmt;

/// The exit codes of the three binaries, as ripgrep and x509-limbo use them and named as
/// nextest's `NextestExitCode` names its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything ran and met its expectation (0).
    Success,
    /// The command ran and what it tested failed: a connectivity test, a lint, a scenario
    /// that did not meet its expectation (1).
    Failed,
    /// The command could not run: bad input, an unreadable file, a harness error (2).
    Error,
}

impl ExitCode {
    /// The process status.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failed => 1,
            Self::Error => 2,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(exit: ExitCode) -> Self {
        Self::from(exit.code())
    }
}

/// An error and its causes, for people.
///
/// `{}` prints `error: <error>` and then one `  caused by: <source>` line per level (no
/// trailing newline), as the binaries print to stderr; `{:#}` prints the levels on one line
/// joined by `: `, for report tables and journal fields.
///
/// ```
/// use harness::exit::ErrorChain;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("cannot read `a.p12`")]
/// struct Outer(#[source] std::io::Error);
///
/// let err = Outer(std::io::Error::other("permission denied"));
/// assert_eq!(
///     ErrorChain(&err).to_string(),
///     "error: cannot read `a.p12`\n  caused by: permission denied"
/// );
/// assert_eq!(format!("{:#}", ErrorChain(&err)), "cannot read `a.p12`: permission denied");
/// ```
#[derive(Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'a));

impl<'a> ErrorChain<'a> {
    /// Each level's own text, the error first.
    pub fn levels(&self) -> impl Iterator<Item = String> + 'a {
        let mut next: Option<&'a (dyn Error + 'a)> = Some(self.0);
        std::iter::from_fn(move || {
            let error = next?;
            next = error.source();
            Some(error.to_string())
        })
    }
}

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one_line = f.alternate();
        for (depth, text) in self.levels().enumerate() {
            match (one_line, depth) {
                (true, 0) => write!(f, "{text}")?,
                (true, _) => write!(f, ": {text}")?,
                (false, 0) => write!(f, "error: {text}")?,
                (false, _) => write!(f, "\n  caused by: {text}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:#}")
    }
}

/// Prints `err` and its causes to stderr as [`ErrorChain`] does, and returns
/// [`ExitCode::Error`] for the caller's `main` to return.
pub fn report_error(err: &dyn Error) -> ExitCode {
    eprintln!("{}", ErrorChain(err));
    ExitCode::Error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot use `{0}`")]
    struct Top(&'static str, #[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("malformed")]
    struct Middle(#[source] std::io::Error);

    fn sample() -> Top {
        Top("a.jks", Middle(std::io::Error::other("truncated DER")))
    }

    #[test]
    fn prints_every_level_once_on_its_own_line() {
        assert_eq!(
            ErrorChain(&sample()).to_string(),
            "error: cannot use `a.jks`\n  caused by: malformed\n  caused by: truncated DER"
        );
    }

    #[test]
    fn alternate_form_is_one_line() {
        assert_eq!(
            format!("{:#}", ErrorChain(&sample())),
            "cannot use `a.jks`: malformed: truncated DER"
        );
    }

    #[test]
    fn repeated_text_is_kept_not_guessed_away() {
        #[derive(Debug, thiserror::Error)]
        #[error("bad: {0}")]
        struct Leaky(#[source] std::io::Error);
        let err = Leaky(std::io::Error::other("x"));
        assert_eq!(format!("{:#}", ErrorChain(&err)), "bad: x: x");
    }

    #[test]
    fn codes_are_zero_one_two() {
        assert_eq!(
            [ExitCode::Success, ExitCode::Failed, ExitCode::Error].map(ExitCode::code),
            [0, 1, 2]
        );
    }
}

/// SIGINT / SIGTERM listeners for the long-running commands (`mock-receiver serve`,
/// `scenarios run`). Install them before telling anyone the process is ready: a supervisor
/// that signals as soon as it reads a ready line must find them in place, or the default
/// action kills the process without its clean-up.
#[derive(Debug)]
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the listeners (inside a tokio runtime).
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for the first signal and returns its number (2 for SIGINT, 15 for SIGTERM): a
    /// shell reports a process ended by it as 128 + that number.
    pub async fn wait(mut self) -> i32 {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => 2,
                _ = self.terminate.recv() => 15,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}
