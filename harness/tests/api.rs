//! Crate-level tests of the `harness` binary and library API, one module per area.

// Tests: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/connect.rs"]
mod connect;
#[path = "api/pki.rs"]
mod pki;

#[path = "api/keystore.rs"]
mod keystore;

#[path = "api/tenant.rs"]
mod tenant;

#[path = "api/secrets.rs"]
mod secrets;

#[path = "api/help.rs"]
mod help;

#[path = "api/bounds.rs"]
mod bounds;

#[path = "api/outputs.rs"]
mod outputs;

#[path = "api/explain.rs"]
mod explain;
