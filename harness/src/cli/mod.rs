//! Subcommands of the `harness` binary, one module each. They return
//! [`harness::exit::ExitCode`]; `main` prints an error with [`harness::exit::report_error`].

pub(crate) mod capture;
pub(crate) mod connect;
pub(crate) mod explain;
pub(crate) mod keystore;
pub(crate) mod pki;
pub(crate) mod tenant;
