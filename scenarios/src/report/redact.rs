//! Redaction of what changes from run to run: durations, ports and temp paths.
//!
//! After nextest's `redact.rs`: the reporter redacts, so a user's `--redact` output and a
//! snapshot test's are the same text.

use super::model::RunReport;

/// The text that replaces a port number.
pub const PORT: &str = "[port]";
/// The text that replaces the run's temp directory.
pub const TEMP: &str = "[tmp]";

/// Redacts a whole report in place: durations become `None`, ports and temp paths in every
/// text become placeholders.
pub fn redact(report: &mut RunReport) {
    let root = report.temp_root.take();
    let fix = |text: &mut String| {
        if let Some(root) = &root {
            *text = text.replace(root.as_str(), TEMP);
        }
        *text = redact_ports(text);
    };
    report.duration_ms = None;
    for scenario in &mut report.scenarios {
        scenario.duration_ms = None;
        if let Some(e) = &mut scenario.error {
            fix(e);
        }
        for step in &mut scenario.steps {
            if let Some(e) = &mut step.error {
                fix(e);
            }
            for line in &mut step.output {
                fix(line);
            }
            for check in &mut step.checks {
                fix(&mut check.observed);
            }
        }
    }
}

/// Replaces the port of every loopback address (`127.0.0.1:4711`, `[::1]:4711`,
/// `localhost:4711`) and of Java's "port 4711" phrasing with [`PORT`].
pub fn redact_ports(text: &str) -> String {
    const HOSTS: [&str; 4] = ["127.0.0.1:", "[::1]:", "localhost:", "port "];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for host in HOSTS {
            if let Some(after) = rest.strip_prefix(host) {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                out.push_str(host);
                if digits > 0 {
                    out.push_str(PORT);
                }
                rest = &after[digits..];
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_redacted() {
        assert_eq!(
            redact_ports("connect timed out (local port 57753 to address 127.0.0.1:44311)"),
            "connect timed out (local port [port] to address 127.0.0.1:[port])"
        );
        assert_eq!(
            redact_ports("[::1]:8443 and localhost:1"),
            "[::1]:[port] and localhost:[port]"
        );
        assert_eq!(redact_ports("no port here: 12"), "no port here: 12");
    }
}
