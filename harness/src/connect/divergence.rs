//! Known divergences between our connectivity test and Java's, kept as data.
//!
//! `tests/interop/connect_java.rs` runs the same matrix through rustls (this module's
//! verifier) and through the real JDK; it fails when a case disagrees that is not listed
//! here, and when a listed case no longer disagrees.

/// One known difference from Java.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The differential case id (`tests/interop/connect_java.rs`).
    pub case: &'static str,
    /// What differs.
    pub what: &'static str,
    /// Why we keep it.
    pub reason: &'static str,
}

/// Every known divergence from JDK 17.
pub const DIVERGENCES: &[Divergence] = &[];
