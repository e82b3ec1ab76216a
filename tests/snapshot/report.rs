//! The report formats: JUnit XML read by a real XML parser, HTML in headless Chromium,
//! determinism, and nothing left behind.

use std::process::Command;

use scenarios::report::{self as rep};
use scenarios::runner::{self, Input, RunOptions};

/// A mix of areas: trust table, client certificates, user mapping, tenant rules, faults.
const SAMPLE: &[&str] = &[
    "trust-leaf-only-root",
    "client-required-trusts-root",
    "mapping-user-mapped",
    "tenant-reserved-alias-sap",
    "net-close-mid-handshake",
    "comment-one-user-per-certificate",
];

fn sample_inputs() -> Vec<Input> {
    scenarios::suite::inputs()
        .into_iter()
        .filter(|i| SAMPLE.contains(&i.id()))
        .collect()
}

fn run_sample() -> rep::RunReport {
    runner::run(sample_inputs(), &RunOptions::default()).expect("the run starts")
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[test]
fn same_seed_same_redacted_json_and_nothing_left_behind() {
    // A first run opens what the process keeps for good (the RNG device, lazily built
    // statics); descriptors are counted after it, so only per-run leaks show.
    let _warm_up = run_sample();
    let fds_before = open_fds();
    let mut first = run_sample();
    let temp_root = first.temp_root.clone().expect("the run names its temp dir");
    assert!(
        !std::path::Path::new(&temp_root).exists(),
        "the run's temp dir `{temp_root}` is removed"
    );
    let mut second = run_sample();
    assert_eq!(first.totals.met, SAMPLE.len(), "{}", rep::json(&first));
    rep::redact::redact(&mut first);
    rep::redact::redact(&mut second);
    assert_eq!(rep::json(&first), rep::json(&second));
    // Every listener and connection of both runs is closed once `run` returns (the runtime
    // is gone with it): the descriptor count is back where it was.
    assert_eq!(
        open_fds(),
        fds_before,
        "file descriptors leaked by the runs"
    );
}

#[test]
fn junit_is_accepted_by_an_xml_parser_with_the_junit_shape() {
    let Some(python) = tests::tool("python3") else {
        return;
    };
    let mut report = run_sample();
    rep::redact::redact(&mut report);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, rep::junit(&report)).unwrap();
    // Python's stdlib XML parser plus the shape CI servers read (Jenkins' and GitLab's JUnit
    // readers): testsuites > testsuite > testcase with name, classname, time; counts agree.
    // PyPI's `junitparser` reads it too when it is installed.
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1
suite = suites[0]
cases = suite.findall("testcase")
assert int(suite.get("tests")) == len(cases)
assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
for c in cases:
    assert c.get("name") and c.get("classname", "").startswith("scenarios.")
    float(c.get("time"))
    # Each scenario's own seed, as a testcase property.
    props = {p.get("name"): p.get("value") for p in c.findall("properties/property")}
    assert props.get("seed", "").isdigit(), props
    assert "now" in props, props
try:
    # A JUnit consumer from PyPI, when installed (`pip install junitparser`).
    from junitparser import JUnitXml
    parsed = JUnitXml.fromfile(sys.argv[1])
    assert sum(1 for s in parsed for c in s) == len(cases)
except ImportError:
    pass
print(len(cases))
"#;
    let out = tests::run_ok(Command::new(python).arg("-c").arg(script).arg(&file));
    assert_eq!(out.trim(), SAMPLE.len().to_string());
}

#[test]
fn html_renders_in_headless_chromium() {
    // Debian's `chromium` is not installed by .ci/test: this test skips (also in CI) when it
    // is absent. Install it with `apt-get install chromium`.
    let Some(chromium) = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|name| tests::on_path(name))
    else {
        eprintln!("skipped: `chromium` is not on PATH (apt-get install chromium)");
        return;
    };
    let mut report = run_sample();
    rep::redact::redact(&mut report);
    let html = rep::html(&report);
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    std::fs::write(&file, &html).unwrap();
    let out = tests::run(
        Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .arg("--dump-dom")
            .arg(format!("file://{}", file.display())),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Trust matrix"), "{dom}");
    assert!(dom.contains("trust-leaf-only-root"), "{dom}");
    assert!(dom.contains("<table class=\"matrix\">"), "{dom}");
}
