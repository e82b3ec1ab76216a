//! Reports: a human table, JSON (versioned), JUnit XML and an HTML trust matrix.
//!
//! Every format renders the same [`RunReport`]. Redaction (ports, durations, temp paths) lives
//! here, in [`redact`], so users, CI and snapshot tests read one and the same output.

mod html;
mod human;
mod json;
mod junit;
mod matrix;
mod model;
pub mod redact;

pub use html::{html, legend};
pub use human::{HumanOptions, human};
pub use json::json;
pub use junit::junit;
pub(crate) use matrix::matrix_cell;
pub use model::{
    Check, MatrixCell, REPORT_VERSION, RunReport, ScenarioReport, Status, StepReport, Totals,
};
