//! Property tests: round-trips and invariants over generated inputs.

// Tests: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod error_text;
mod keystore_formats;
mod keystore_jks;
mod pki;
mod tenant;
