//! Scenario files, the runner, the built-in suite and reports.
//!
//! Not built yet (issue 7): this crate is an empty shell so the workspace layering
//! (harness <- mock-receiver <- scenarios) exists from the start.
