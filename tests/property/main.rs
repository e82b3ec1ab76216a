//! Property tests: round-trips and invariants over generated inputs.

mod error_text;
mod keystore_formats;
mod keystore_jks;
mod pki;
mod tenant;
