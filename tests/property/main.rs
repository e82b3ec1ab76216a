//! Property tests: round-trips and invariants over generated inputs.

mod pki;
mod tenant;
