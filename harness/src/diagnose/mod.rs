//! Why a connectivity test failed, in the terms of DESIGN.md's trust table, and the smallest
//! fix, with where to make it.
//!
//! [`diagnose`] reads an [`Outcome`](crate::connect::Outcome) and the
//! [`TrustSource`](crate::connect::TrustSource) it ran with, and returns a [`Diagnosis`]:
//! which trust-table row applies (what the server sent, what the client trust store needs),
//! findings ranked most specific first (each names a store, what exactly is missing from it
//! by subject, and the fix), and for "Client Certificate Used: NO" the reason. Pure and
//! synchronous: no network, no clock.

mod diagnosis;
mod report;

pub use diagnosis::{Diagnosis, Finding, Store, TrustRow, diagnose};
pub use report::{report_json, report_text};
