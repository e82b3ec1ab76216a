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
        .map(|s| s.expected.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, EXPECTED_WIDTH);
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
            fit(&s.expected, exp_width),
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

/// The widest EXPECTED column; longer values are cut with `…` so RESULT stays aligned (the
/// whole value is in the details, `--verbose`, JSON and JUnit).
const EXPECTED_WIDTH: usize = 48;

/// `text` in at most `width` characters: cut with `…` when longer.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
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

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn long_expected_values_are_cut_to_the_column() {
        assert_eq!(fit("success", 8), "success");
        let long = "client-cert-rejected, client certificate used, HTTP 403 as nobody at all";
        let cut = fit(long, 48);
        assert_eq!(cut.chars().count(), 48);
        assert!(cut.ends_with('…') && long.starts_with(cut.trim_end_matches('…')));
    }
}
