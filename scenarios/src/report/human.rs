//! The human report: one line per scenario, the failed checks below, totals last.

use std::fmt::Write;

use super::model::{RunReport, ScenarioReport, Status};

/// How the human table is printed.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    /// ANSI colours (the CLI sets this only when stdout is a terminal).
    pub colour: bool,
    /// Every step of every scenario, not only of those that did not meet expectations.
    pub verbose: bool,
}

/// The report as a table.
pub fn human(report: &RunReport, options: HumanOptions) -> String {
    let id_width = report
        .scenarios
        .iter()
        .map(|s| s.id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let exp_width = report
        .scenarios
        .iter()
        .map(|s| s.expected.len())
        .max()
        .unwrap_or(8)
        .clamp(8, 48);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<8} {:<id_width$} {:<exp_width$} RESULT",
        "STATUS", "SCENARIO", "EXPECTED"
    );
    for s in &report.scenarios {
        let label = paint(s.status, options.colour);
        let pad = 8usize.saturating_sub(s.status.label().len());
        let _ = writeln!(
            out,
            "{label}{:pad$} {:<id_width$} {:<exp_width$} {}",
            "",
            s.id,
            s.expected,
            result_text(s)
        );
        if options.verbose || s.status != Status::Met {
            details(&mut out, s);
        }
    }
    let t = &report.totals;
    let _ = write!(
        out,
        "\n{} scenarios: {} met, {} not met, {} could not run",
        t.total, t.met, t.not_met, t.error
    );
    match report.duration_ms {
        Some(ms) => {
            let _ = writeln!(out, " ({ms} ms)");
        }
        None => out.push('\n'),
    }
    out
}

fn result_text(s: &ScenarioReport) -> String {
    match s.status {
        Status::Met => "as expected".to_owned(),
        Status::Error => s.error.clone().unwrap_or_default(),
        Status::NotMet | Status::Skipped => s
            .steps
            .iter()
            .flat_map(|step| step.checks.iter().map(move |c| (step.index, c)))
            .find(|(_, c)| !c.met)
            .map(|(i, c)| {
                format!(
                    "step {i}: {} expected {}, observed {}",
                    c.field, c.expected, c.observed
                )
            })
            .unwrap_or_default(),
    }
}

fn details(out: &mut String, s: &ScenarioReport) {
    for step in &s.steps {
        let _ = writeln!(
            out,
            "         {:>2}. [{}] {}",
            step.index,
            step.status.label(),
            step.summary
        );
        for check in &step.checks {
            let mark = if check.met { "ok " } else { "!! " };
            let _ = writeln!(
                out,
                "             {mark}{}: expected {}, observed {}",
                check.field, check.expected, check.observed
            );
        }
        if let Some(e) = &step.error {
            let _ = writeln!(out, "             error: {e}");
        }
        if step.status != Status::Met {
            for line in &step.output {
                let _ = writeln!(out, "             | {line}");
            }
        }
    }
}

fn paint(status: Status, colour: bool) -> String {
    let label = status.label();
    if !colour {
        return label.to_owned();
    }
    let code = match status {
        Status::Met => "32",
        Status::NotMet => "31;1",
        Status::Error => "35;1",
        Status::Skipped => "33",
    };
    format!("\x1b[{code}m{label}\x1b[0m")
}
