//! The JSON report: [`RunReport`] as pretty JSON, with its `version`.

use super::model::RunReport;

/// The report as pretty-printed JSON (ends with a newline).
pub fn json(report: &RunReport) -> String {
    // Invariant: the report holds only strings, numbers, booleans and sequences, which
    // serde_json always serialises.
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"version\": {}, \"error\": \"{e}\"}}", report.version));
    text.push('\n');
    text
}
