//! JUnit XML, the format CI servers read: one `<testcase>` per scenario, a `<failure>` for
//! expectations not met, an `<error>` for a scenario that could not run.

use std::fmt::Write;

use super::model::{RunReport, ScenarioReport, Status};

/// The report as JUnit XML.
pub fn junit(report: &RunReport) -> String {
    let t = &report.totals;
    let seconds = |ms: Option<u64>| {
        ms.map_or_else(|| "0".to_owned(), |ms| format!("{:.3}", ms as f64 / 1000.0))
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"scenarios\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        t.total,
        t.not_met,
        t.error,
        seconds(report.duration_ms)
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"scenarios\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{}\">",
        t.total,
        t.not_met,
        t.error,
        seconds(report.duration_ms)
    );
    let _ = writeln!(out, "    <properties>");
    let _ = writeln!(
        out,
        "      <property name=\"seed\" value=\"{}\"/>\n      <property name=\"now\" value=\"{}\"/>\n      <property name=\"report-version\" value=\"{}\"/>",
        report.seed,
        escape(&report.now),
        report.version
    );
    let _ = writeln!(out, "    </properties>");
    for s in &report.scenarios {
        let area = s.id.split('-').next().unwrap_or("scenario");
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"scenarios.{}\" time=\"{}\"",
            escape(&s.id),
            escape(area),
            seconds(s.duration_ms)
        );
        // Each scenario's own seed and "now": a file may fix its own, apart from the run's.
        let _ = writeln!(
            out,
            ">\n      <properties>\n        <property name=\"seed\" value=\"{}\"/>\n        <property name=\"now\" value=\"{}\"/>\n      </properties>",
            s.seed,
            escape(&s.now)
        );
        match s.status {
            Status::Met | Status::Skipped => {}
            Status::NotMet => {
                let _ = writeln!(
                    out,
                    "      <failure type=\"not-met\" message=\"{}\">{}</failure>",
                    escape(&first_failure(s)),
                    escape(&steps_text(s))
                );
            }
            Status::Error => {
                let _ = writeln!(
                    out,
                    "      <error type=\"could-not-run\" message=\"{}\">{}</error>",
                    escape(s.error.as_deref().unwrap_or("could not run")),
                    escape(&steps_text(s))
                );
            }
        }
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>\n    </testcase>",
            escape(&format!("expected: {}\n{}\n", s.expected, s.description))
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn first_failure(s: &ScenarioReport) -> String {
    s.steps
        .iter()
        .flat_map(|step| step.checks.iter().map(move |c| (step.index, c)))
        .find(|(_, c)| !c.met)
        .map(|(i, c)| {
            format!(
                "step {i}: {} expected {}, observed {}",
                c.field, c.expected, c.observed
            )
        })
        .unwrap_or_else(|| "expectation not met".to_owned())
}

fn steps_text(s: &ScenarioReport) -> String {
    let mut out = String::new();
    for step in &s.steps {
        let _ = writeln!(
            out,
            "{}. [{}] {}",
            step.index,
            step.status.label(),
            step.summary
        );
        for c in &step.checks {
            let _ = writeln!(
                out,
                "   {} {}: expected {}, observed {}",
                if c.met { "ok" } else { "!!" },
                c.field,
                c.expected,
                c.observed
            );
        }
        if let Some(e) = &step.error {
            let _ = writeln!(out, "   error: {e}");
        }
        for line in &step.output {
            let _ = writeln!(out, "   | {line}");
        }
    }
    out
}

/// XML text and attribute escaping; control characters XML 1.0 forbids become U+FFFD.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
