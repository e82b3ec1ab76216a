//! Integration tests of the mock receiver: real handshakes on loopback with a rustls client.
//!
//! One binary, a module per area (rustls-test's `tests/api.rs`):
//! - `trust`: every trust profile and variant against each relevant client trust store
//!   (DESIGN.md's trust table, rustls semantics);
//! - `client_auth`: every client-auth mode x {no cert, trusted, untrusted, trusted but
//!   unmapped}, both rejection layers, CA names, user mapping, simulated "now";
//! - `faults`: refused, connect timeout, stalls, close mid-handshake, plain HTTP, alerts,
//!   TLS versions;
//! - `robustness`: garbage, every ClientHello truncation, 1,000 idle connections, slow
//!   clients, sockets released;
//! - `cli`: the `mock-receiver` binary: ready line, PKI directory, bad input exits 2;
//! - `catalogue`: `serve --all`: every endpoint gives the outcome it announces (with the
//!   harness's connectivity test), and the landing page renders in headless Chromium;
//! - `help`: `--help` snapshots (insta);
//! - `legacy`: the `--legacy-*` flags (an OpenSSL receiver; the engine itself is tested in
//!   `src/legacy/`).

// Tests: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/support.rs"]
mod support;

#[path = "api/catalogue.rs"]
mod catalogue;
#[path = "api/cli.rs"]
mod cli;
#[path = "api/client_auth.rs"]
mod client_auth;
#[path = "api/faults.rs"]
mod faults;
#[path = "api/help.rs"]
mod help;
#[path = "api/legacy.rs"]
mod legacy;
#[path = "api/robustness.rs"]
mod robustness;
#[path = "api/trust.rs"]
mod trust;
