//! The HTML report: one self-contained page (inline CSS, no script, no external asset) whose
//! centre is the trust matrix: receiver profile x tenant trust store, one grid per client-auth
//! mode, each cell met / not met with the outcome observed. Every scenario follows in full.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::junit::escape;
use super::model::{RunReport, ScenarioReport, Status};

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #bbb;padding:.3em .6em;vertical-align:top;text-align:left}
th{background:#eee}
td.met{background:#d9f2d9}td.not-met{background:#f7c6c6}td.error{background:#e9d1f2}
td.skipped{background:#f5f0c8}td.empty{background:#fafafa;color:#999}
.cell a{color:inherit;text-decoration:none;display:block}
.outcome{font-family:monospace;font-size:.9em}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
.ok{color:#1a6b1a}.bad{color:#b00;font-weight:bold}
";

/// The report as one HTML page.
pub fn html(report: &RunReport) -> String {
    let t = &report.totals;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Scenario report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
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

fn matrix(out: &mut String, report: &RunReport) {
    let _ = writeln!(
        out,
        "<h2>Trust matrix</h2>\n<p>Rows: what the receiver sends. Columns: what the tenant keystore trusts. Each cell: the scenario, whether it met its expectation, and the outcome observed.</p>"
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
                let worst = here
                    .iter()
                    .map(|s| s.status)
                    .max_by_key(|s| match s {
                        Status::Met => 0,
                        Status::Skipped => 1,
                        Status::NotMet => 2,
                        Status::Error => 3,
                    })
                    .unwrap_or(Status::Met);
                let _ = write!(out, "<td class=\"cell {}\">", class(worst));
                for s in here {
                    let observed = s
                        .matrix
                        .as_ref()
                        .and_then(|c| c.observed.clone())
                        .unwrap_or_else(|| "not run".to_owned());
                    let _ = write!(
                        out,
                        "<a href=\"#{id}\">{label}: <span class=\"outcome\">{observed}</span><br><small>{id}</small></a>",
                        id = escape(&s.id),
                        label = s.status.label(),
                        observed = escape(&observed)
                    );
                }
                out.push_str("</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
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
