//! Interop tests against the real keytool, openssl and Java installed on the machine.
//!
//! Each test skips with a printed reason when a tool is missing, and fails under `CI=true`.

// Tests: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capture;
mod catalogue_java;
mod client_hello;
mod connect_java;
mod connect_openssl;
mod corpus_jks;
mod corpus_p12;
mod java_texts;
mod keymgr_java;
mod keystore_jks;
mod keystore_p12;
mod legacy_java;
mod limbo;
mod pki;
mod pkix_java;
mod real_certs;
mod receiver;
mod s_server;
mod tenant;
