//! The HTML report: one self-contained page (inline CSS, no script, no external asset) whose
//! centre is the trust matrix: receiver profile x tenant trust store, one grid per client-auth
//! mode. Each scenario in a cell is coloured by the outcome its FINAL connectivity test or
//! request observed (success, or a failure class: the legend), and carries met / not met as
//! a separate mark; a multi-step scenario lists its steps on hover and in a `<details>` row.
//! Failing scenarios follow with their unmet checks and diagnosis, then every scenario in
//! full.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use harness::connect::FailureClass;

use super::junit::escape;
use super::model::{RunReport, ScenarioReport, Status, StepReport};

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #bbb;padding:.3em .6em;vertical-align:top;text-align:left}
th{background:#eee}
td.met{background:#d9f2d9}td.not-met{background:#f7c6c6}td.error{background:#e9d1f2}
td.skipped{background:#f5f0c8}td.empty{background:#fafafa;color:#999}
table.matrix td{padding:.2em}
div.cell{padding:.35em .5em;margin:.15em 0;min-width:11em;border:2px solid transparent}
div.cell.status-not-met,div.cell.status-error{border:2px dashed #600}
div.cell a{color:inherit;text-decoration:none}
.mark{display:inline-block;font-size:.8em;font-weight:bold;padding:0 .3em;border-radius:.3em;background:#fff}
.mark.met{color:#1a6b1a}.mark.not-met,.mark.error{color:#b00}.mark.skipped{color:#775}
.outcome{font-family:monospace;font-size:.95em;font-weight:bold}
details{font-size:.85em}details ol{margin:.2em 0;padding-left:1.5em}
.swatch{display:inline-block;width:2.2em;height:1.1em;border:1px solid #888;vertical-align:middle}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
.ok{color:#1a6b1a}.bad{color:#b00;font-weight:bold}
";

/// The outcome id a cell shows when its test did not run.
const NOT_RUN: &str = "not-run";

/// Every outcome the legend names, with its colour (`#rrggbb`) and meaning: `success`, each
/// failure class in [`FailureClass::ALL`]'s order, and `not-run`.
pub fn legend() -> Vec<(&'static str, String, &'static str)> {
    let mut rows = vec![(
        "success",
        "#6fcf6f".to_owned(),
        "the connectivity test or request succeeded",
    )];
    let n = FailureClass::ALL.len().max(2);
    for (i, class) in FailureClass::ALL.iter().enumerate() {
        // Hues from teal through blue, purple and red to yellow, never green (success's);
        // neighbours alternate in lightness so close hues stay apart.
        let hue = 175.0 + 235.0 * i as f64 / (n - 1) as f64;
        let lightness = if i % 2 == 0 { 0.66 } else { 0.80 };
        rows.push((
            class.id(),
            hsl(hue % 360.0, 0.75, lightness),
            class.description(),
        ));
    }
    rows.push((NOT_RUN, "#cfcfcf".to_owned(), "the step did not run"));
    rows
}

/// `#rrggbb` of an HSL colour (hue in degrees, saturation and lightness in 0..=1).
fn hsl(hue: f64, saturation: f64, lightness: f64) -> String {
    let c = (1.0 - (2.0 * lightness - 1.0).abs()) * saturation;
    let h = hue / 60.0;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = lightness - c / 2.0;
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

/// The report as one HTML page.
pub fn html(report: &RunReport) -> String {
    let t = &report.totals;
    let mut style = STYLE.to_owned();
    for (id, colour, _) in legend() {
        let _ = writeln!(style, ".o-{id}{{background:{colour}}}");
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Scenario report</title>\n<style>{style}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(
        out,
        "<h1>Outbound TLS scenarios</h1>\n<p>{} scenarios: {} met, {} not met, {} could not run. Seed {}, now {}.</p>",
        t.total,
        t.met,
        t.not_met,
        t.error,
        report.seed,
        escape(&report.now)
    );
    matrix(&mut out, report);
    failing(&mut out, report);
    let _ = writeln!(out, "<h2>Scenarios</h2>");
    summary_table(&mut out, report);
    for s in &report.scenarios {
        scenario(&mut out, s);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn class(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::NotMet => "not-met",
        Status::Error => "error",
        Status::Skipped => "skipped",
    }
}

fn mark(status: Status) -> String {
    let text = match status {
        Status::Met => "\u{2713} met",
        Status::NotMet => "\u{2717} NOT MET",
        Status::Error => "\u{2717} ERROR",
        Status::Skipped => "skipped",
    };
    format!("<span class=\"mark {}\">{text}</span>", class(status))
}

/// The outcome id a cell is coloured by: a legend id, or `not-run`.
fn outcome_id(observed: Option<&str>) -> &str {
    match observed {
        Some(id) if id == "success" || FailureClass::IDS.contains(&id) => id,
        _ => NOT_RUN,
    }
}

fn legend_table(out: &mut String) {
    out.push_str("<table class=\"legend\">\n<tr><th>colour</th><th>outcome observed</th><th>meaning</th></tr>\n");
    for (id, _, meaning) in legend() {
        let _ = writeln!(
            out,
            "<tr><td><span class=\"swatch o-{id}\" data-outcome=\"{id}\"></span></td><td class=\"outcome\">{id}</td><td>{}</td></tr>",
            escape(meaning)
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<p>The mark in each cell says whether the scenario met its expectations: {} {} {}; a cell with a dashed border did not.</p>",
        mark(Status::Met),
        mark(Status::NotMet),
        mark(Status::Error)
    );
}

fn matrix(out: &mut String, report: &RunReport) {
    let _ = writeln!(
        out,
        "<h2>Trust matrix</h2>\n<p>Rows: what the receiver sends. Columns: what the tenant keystore trusts at the scenario's final connectivity test or request. Each cell: the scenario, coloured by the outcome that final step observed, with a mark saying whether the scenario met its expectations.</p>"
    );
    let mut by_auth: BTreeMap<&str, Vec<&ScenarioReport>> = BTreeMap::new();
    for s in &report.scenarios {
        if let Some(cell) = &s.matrix {
            by_auth
                .entry(cell.client_auth.as_str())
                .or_default()
                .push(s);
        }
    }
    if by_auth.is_empty() {
        let _ = writeln!(out, "<p>No trust-matrix scenario in this run.</p>");
        return;
    }
    legend_table(out);
    for (auth, scenarios) in by_auth {
        let profiles: BTreeSet<&str> = scenarios
            .iter()
            .filter_map(|s| s.matrix.as_ref().map(|c| c.profile.as_str()))
            .collect();
        let trusts: BTreeSet<&str> = scenarios
            .iter()
            .filter_map(|s| s.matrix.as_ref().map(|c| c.trust.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "<h3>Client authentication: {}</h3>\n<table class=\"matrix\">\n<tr><th>receiver sends \\ tenant trusts</th>",
            escape(auth)
        );
        for trust in &trusts {
            let _ = write!(out, "<th>{}</th>", escape(trust));
        }
        out.push_str("</tr>\n");
        for profile in &profiles {
            let _ = write!(out, "<tr><th>{}</th>", escape(profile));
            for trust in &trusts {
                let here: Vec<&&ScenarioReport> = scenarios
                    .iter()
                    .filter(|s| {
                        s.matrix
                            .as_ref()
                            .is_some_and(|c| c.profile == *profile && c.trust == *trust)
                    })
                    .collect();
                if here.is_empty() {
                    out.push_str("<td class=\"empty\">-</td>");
                    continue;
                }
                out.push_str("<td>");
                for s in here {
                    cell(out, s);
                }
                out.push_str("</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
}

/// One scenario in a matrix cell.
fn cell(out: &mut String, s: &ScenarioReport) {
    let Some(m) = &s.matrix else {
        return;
    };
    let id = outcome_id(m.observed.as_deref());
    let mut shown = m.observed.clone().unwrap_or_else(|| "not run".to_owned());
    if let Some(status) = m.http_status {
        let _ = write!(shown, ", HTTP {status}");
    }
    let tests: Vec<&StepReport> = s
        .steps
        .iter()
        .filter(|st| st.action == "connect" || st.action == "request")
        .collect();
    let multi = s.steps.len() > 1 && tests.len() > 1;
    let title = if multi {
        let lines: Vec<String> = s.steps.iter().map(step_line).collect();
        format!(" title=\"{}\"", escape(&lines.join("\n")))
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<div class=\"cell o-{id} status-{status}\" data-outcome=\"{id}\" data-status=\"{status}\" data-scenario=\"{sid}\"{title}><a href=\"#{sid}\"><span class=\"outcome\">{shown}</span> {mark}<br><small>{sid}</small></a>",
        status = class(s.status),
        sid = escape(&s.id),
        shown = escape(&shown),
        mark = mark(s.status),
    );
    if multi {
        let _ = write!(
            out,
            "<details><summary>step {} of {}</summary><ol>",
            m.step,
            s.steps.len()
        );
        for st in &s.steps {
            let _ = write!(out, "<li>{}</li>", escape(&step_line(st)));
        }
        out.push_str("</ol></details>");
    }
    out.push_str("</div>");
}

/// `connect: connectivity test to ...: unknown-issuer (met)`.
fn step_line(step: &StepReport) -> String {
    let outcome = step
        .checks
        .iter()
        .find(|c| c.field == "outcome")
        .map(|c| format!(": {}", c.observed))
        .unwrap_or_default();
    format!(
        "{}{outcome} ({})",
        step.summary,
        step.status.label().to_lowercase()
    )
}

/// Every scenario that did not meet its expectations: what was expected and observed, and
/// the diagnosis the failing step printed.
fn failing(out: &mut String, report: &RunReport) {
    let bad: Vec<&ScenarioReport> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.status, Status::NotMet | Status::Error))
        .collect();
    let _ = writeln!(out, "<h2>Failing scenarios</h2>");
    if bad.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"ok\">None: every scenario met its expectations.</p>"
        );
        return;
    }
    out.push_str("<ul class=\"failing\">\n");
    for s in bad {
        let _ = write!(
            out,
            "<li data-scenario=\"{id}\"><a href=\"#{id}\">{id}</a> {}",
            mark(s.status),
            id = escape(&s.id)
        );
        if let Some(e) = &s.error {
            let _ = write!(out, "<br><span class=\"bad\">{}</span>", escape(e));
        }
        for step in s
            .steps
            .iter()
            .filter(|st| matches!(st.status, Status::NotMet | Status::Error))
        {
            let _ = write!(
                out,
                "<br>step {} ({}): {}",
                step.index,
                escape(&step.action),
                escape(&step.summary)
            );
            for c in step.checks.iter().filter(|c| !c.met) {
                let _ = write!(
                    out,
                    "<br>&nbsp;&nbsp;<span class=\"bad\">{}: expected {}, observed {}</span>",
                    escape(&c.field),
                    escape(&c.expected),
                    escape(&c.observed)
                );
            }
            let diagnosis = diagnosis(&step.output);
            if !diagnosis.is_empty() {
                let _ = write!(
                    out,
                    "<pre class=\"diagnosis\">{}</pre>",
                    escape(&diagnosis.join("\n"))
                );
            }
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}

/// The `diagnosis:` line of a step's output and the indented lines after it; the whole
/// output when there is none.
fn diagnosis(output: &[String]) -> Vec<&str> {
    match output.iter().position(|l| l.starts_with("diagnosis:")) {
        Some(start) => output[start..]
            .iter()
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with(' '))
            .map(|(_, l)| l.as_str())
            .collect(),
        None => output.iter().map(String::as_str).collect(),
    }
}

fn summary_table(out: &mut String, report: &RunReport) {
    out.push_str("<table>\n<tr><th>status</th><th>scenario</th><th>expected</th></tr>\n");
    for s in &report.scenarios {
        let _ = writeln!(
            out,
            "<tr><td class=\"{}\">{}</td><td><a href=\"#{id}\">{id}</a></td><td>{}</td></tr>",
            class(s.status),
            s.status.label(),
            escape(&s.expected),
            id = escape(&s.id)
        );
    }
    out.push_str("</table>\n");
}

fn scenario(out: &mut String, s: &ScenarioReport) {
    let _ = writeln!(
        out,
        "<section id=\"{id}\">\n<h3>{id}: <span class=\"{}\">{}</span></h3>\n<pre>{}</pre>\n<p>Expected: {}. Seed {}, now {}.</p>",
        if s.status == Status::Met { "ok" } else { "bad" },
        s.status.label(),
        escape(&s.description),
        escape(&s.expected),
        s.seed,
        escape(&s.now),
        id = escape(&s.id)
    );
    if let Some(e) = &s.error {
        let _ = writeln!(out, "<p class=\"bad\">{}</p>", escape(e));
    }
    if !s.steps.is_empty() {
        out.push_str("<table>\n<tr><th>#</th><th>step</th><th>status</th><th>checks</th></tr>\n");
        for step in &s.steps {
            let mut checks = String::new();
            for c in &step.checks {
                let _ = write!(
                    checks,
                    "<span class=\"{}\">{}: expected {}, observed {}</span><br>",
                    if c.met { "ok" } else { "bad" },
                    escape(&c.field),
                    escape(&c.expected),
                    escape(&c.observed)
                );
            }
            if let Some(e) = &step.error {
                let _ = write!(checks, "<span class=\"bad\">{}</span>", escape(e));
            }
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                step.index,
                escape(&step.summary),
                class(step.status),
                step.status.label(),
                checks
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_colours_are_distinct_and_name_every_class() {
        let rows = legend();
        assert_eq!(rows.len(), FailureClass::ALL.len() + 2);
        let colours: BTreeSet<&str> = rows.iter().map(|(_, c, _)| c.as_str()).collect();
        assert_eq!(colours.len(), rows.len(), "{rows:?}");
        assert_eq!(hsl(0.0, 1.0, 0.5), "#ff0000");
        assert_eq!(hsl(240.0, 1.0, 0.5), "#0000ff");
    }

    #[test]
    fn diagnosis_is_the_diagnosis_block() {
        let out: Vec<String> = ["a", "diagnosis: x", "  y", "z"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(diagnosis(&out), ["diagnosis: x", "  y"]);
        assert_eq!(diagnosis(&out[..1]), ["a"]);
    }
}
