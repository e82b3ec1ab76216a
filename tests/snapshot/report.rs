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

/// Chromium (Debian's `chromium`, installed by .ci/test): found on PATH under either name;
/// locally a printed skip when absent, under CI=true a failure.
fn chromium() -> Option<std::path::PathBuf> {
    ["chromium", "chromium-browser"]
        .iter()
        .find_map(|name| tests::on_path(name))
        .or_else(|| tests::tool("chromium"))
}

/// Runs headless Chromium on `file` with `args` (a timeout of two minutes: a hung browser
/// fails the test instead of hanging it) and returns its stdout.
fn headless(
    chromium: &std::path::Path,
    profile: &std::path::Path,
    args: &[String],
    file: &std::path::Path,
) -> String {
    let out = tests::run(
        Command::new("timeout")
            .arg("120")
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .arg("--force-device-scale-factor=1")
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .arg(format!("file://{}", file.display())),
    );
    assert!(
        out.status.success(),
        "chromium failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The sample, the two multi-step scenarios whose final outcome differs from their first
/// connect's, and one scenario that fails on purpose (it expects success where the receiver
/// sends its leaf alone and the tenant trusts the root: unknown-issuer).
fn matrix_inputs() -> Vec<Input> {
    let more = [
        "article-end-to-end",
        "tenant-delete-entry",
        "client-required-none-fits",
    ];
    let mut inputs: Vec<Input> = scenarios::suite::inputs()
        .into_iter()
        .filter(|i| SAMPLE.contains(&i.id()) || more.contains(&i.id()))
        .collect();
    let (_, text) = scenarios::suite::files()
        .iter()
        .find(|(name, _)| *name == "trust-leaf-only-root.toml")
        .expect("trust-leaf-only-root is in the suite");
    let wrong = text.replace("outcome = \"unknown-issuer\"", "outcome = \"success\"");
    assert_ne!(&wrong, text);
    let failing = scenarios::load_str("failing-on-purpose", "failing-on-purpose.toml", &wrong)
        .expect("the changed copy loads");
    inputs.push(Input::Loaded(Box::new(failing)));
    inputs
}

/// Reads the page as Chromium lays it out and writes what it finds into `<pre id="check">`:
/// every matrix cell (its scenario, outcome, status, computed background colour and whether
/// it lies inside the screenshot), every legend swatch's computed colour, and the failing
/// list. The report itself has no script: the test adds this one to its own copy.
const CHECK_SCRIPT: &str = r#"<script>
const rgb = el => getComputedStyle(el).backgroundColor;
const cells = [...document.querySelectorAll('table.matrix div.cell')].map(c => ({
  scenario: c.dataset.scenario, outcome: c.dataset.outcome, status: c.dataset.status,
  colour: rgb(c), bottom: c.getBoundingClientRect().bottom,
  details: c.querySelector('details summary') ? c.querySelector('details summary').textContent : null,
  title: c.title }));
const legend = {};
document.querySelectorAll('table.legend .swatch').forEach(s => legend[s.dataset.outcome] = rgb(s));
const failing = [...document.querySelectorAll('ul.failing li')].map(li => ({
  scenario: li.dataset.scenario, diagnosis: li.querySelectorAll('pre.diagnosis').length }));
const pre = document.createElement('pre');
pre.id = 'check';
pre.textContent = 'CHECK' + JSON.stringify({cells, legend, failing}) + 'END';
document.body.appendChild(pre);
</script>"#;

/// Decodes an 8-bit RGB/RGBA PNG (Chromium's screenshots) with the standard library's zlib
/// and prints the pixel count of each colour as JSON: `{"rrggbb": n, ...}`.
const PNG_COLOURS: &str = r#"
import sys, zlib, struct, collections, json
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, []
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos+8])
    body = data[pos+8:pos+8+n]
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
    elif kind == b'IDAT':
        idat.append(body)
    pos += 12 + n
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(b''.join(idat))
stride = w * bpp
prev = bytearray(stride)
counts = collections.Counter()
for y in range(h):
    f = raw[y*(stride+1)]
    line = bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
    if f == 1:
        for i in range(bpp, stride): line[i] = (line[i] + line[i-bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for i in range(stride):
            left = line[i-bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i-bpp] if i >= bpp else 0
            b = prev[i]; c = prev[i-bpp] if i >= bpp else 0
            p = a + b - c; pa = abs(p-a); pb = abs(p-b); pc = abs(p-c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    else:
        assert f == 0, f
    counts.update(bytes(line[i:i+3]).hex() for i in range(0, stride, bpp))
    prev = line
print(json.dumps({"width": w, "height": h, "colours": counts}))
"#;

/// `#6fcf6f` -> `rgb(111, 207, 111)`, as `getComputedStyle` writes colours.
fn css_rgb(hex: &str) -> String {
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
    format!("rgb({}, {}, {})", byte(1), byte(3), byte(5))
}

#[test]
fn html_matrix_in_chromium_counts_cells_and_colours() {
    let Some(chromium) = chromium() else {
        return;
    };
    let Some(python) = tests::tool("python3") else {
        return;
    };
    let options = RunOptions {
        jceks_iterations: Some(1000),
        ..RunOptions::default()
    };
    let mut report = runner::run(matrix_inputs(), &options).expect("the run starts");
    rep::redact::redact(&mut report);
    let html = rep::html(&report);
    assert!(!html.contains("<script"), "the report itself has no script");
    // What the report model says each cell must show.
    let expected: std::collections::BTreeMap<String, (String, String)> = report
        .scenarios
        .iter()
        .filter_map(|s| {
            let cell = s.matrix.as_ref()?;
            let outcome = cell.observed.clone().unwrap_or_else(|| "not-run".into());
            let status = match s.status {
                rep::Status::Met => "met",
                rep::Status::NotMet => "not-met",
                rep::Status::Error => "error",
                rep::Status::Skipped => "skipped",
            };
            Some((s.id.clone(), (outcome, status.to_owned())))
        })
        .collect();
    // The final step decides: article-end-to-end ends in HTTP 200 (its first connect is
    // client-cert-required), tenant-delete-entry ends unknown-issuer (its first: success).
    assert_eq!(expected["article-end-to-end"].0, "success");
    assert_eq!(expected["tenant-delete-entry"].0, "unknown-issuer");
    assert_eq!(
        expected["failing-on-purpose"],
        ("unknown-issuer".into(), "not-met".into())
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    // The test's copy: the legend hidden (so that a colour in the screenshot comes from a
    // cell), and the check script.
    let page = html.replace(
        "</body>",
        &format!("<style>table.legend{{display:none}}</style>{CHECK_SCRIPT}</body>"),
    );
    std::fs::write(&file, &page).unwrap();
    let (width, height) = (1400, 2400);
    let dom = headless(
        &chromium,
        &dir.path().join("profile-dom"),
        &[
            format!("--window-size={width},{height}"),
            "--dump-dom".into(),
        ],
        &file,
    );
    let json = dom
        .split("<pre id=\"check\">CHECK")
        .nth(1)
        .and_then(|rest| rest.split("END</pre>").next())
        .unwrap_or_else(|| panic!("the check script wrote nothing: {dom}"));
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let check: serde_json::Value = serde_json::from_str(&json).unwrap();

    // Cells: one per matrix scenario, each with the model's outcome and status, and the
    // legend's colour of that outcome.
    let cells = check["cells"].as_array().unwrap();
    assert_eq!(cells.len(), expected.len(), "{check:#}");
    let legend: std::collections::BTreeMap<&str, String> = rep::legend()
        .into_iter()
        .map(|(id, colour, _)| (id, colour))
        .collect();
    for (id, colour) in &legend {
        assert_eq!(
            check["legend"][*id],
            css_rgb(colour),
            "legend swatch of {id}"
        );
    }
    for cell in cells {
        let scenario = cell["scenario"].as_str().unwrap();
        let (outcome, status) = &expected[scenario];
        assert_eq!(cell["outcome"], outcome.as_str(), "{cell}");
        assert_eq!(cell["status"], status.as_str(), "{cell}");
        assert_eq!(cell["colour"], css_rgb(&legend[outcome.as_str()]), "{cell}");
        assert!(
            cell["bottom"].as_f64().unwrap() < f64::from(height),
            "{cell} below the screenshot"
        );
    }
    // The multi-step scenarios say which step the cell shows, and list every step on hover.
    let by_id = |id: &str| cells.iter().find(|c| c["scenario"] == id).unwrap();
    assert_eq!(by_id("article-end-to-end")["details"], "step 7 of 7");
    assert_eq!(by_id("tenant-delete-entry")["details"], "step 5 of 5");
    let title = by_id("tenant-delete-entry")["title"].as_str().unwrap();
    assert_eq!(title.lines().count(), 5, "{title}");
    assert!(
        title.lines().nth(2).unwrap().ends_with(": success (met)"),
        "{title}"
    );
    assert!(
        title
            .lines()
            .nth(4)
            .unwrap()
            .ends_with(": unknown-issuer (met)"),
        "{title}"
    );
    // The failing scenario is listed with its diagnosis.
    assert_eq!(
        check["failing"],
        serde_json::json!([{"scenario": "failing-on-purpose", "diagnosis": 1}])
    );

    // The screenshot: every outcome colour of a cell is painted, about as much as its cells
    // (a cell is at least 150x25 pixels), and no other legend colour is (beyond a few
    // anti-aliased pixels).
    let png = dir.path().join("matrix.png");
    headless(
        &chromium,
        &dir.path().join("profile-shot"),
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
        ],
        &file,
    );
    let pixels: serde_json::Value = serde_json::from_str(&tests::run_ok(
        Command::new(python).arg("-c").arg(PNG_COLOURS).arg(&png),
    ))
    .unwrap();
    assert_eq!(pixels["width"], width);
    assert_eq!(pixels["height"], height);
    let mut per_outcome: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for (outcome, _) in expected.values() {
        *per_outcome.entry(outcome.as_str()).or_default() += 1;
    }
    assert!(
        per_outcome.len() >= 3,
        "success and two failure classes at least: {per_outcome:?}"
    );
    for (id, colour) in &legend {
        let painted = pixels["colours"][&colour[1..]].as_u64().unwrap_or(0);
        match per_outcome.get(id) {
            Some(cells) => assert!(
                painted >= cells * 150 * 25,
                "{cells} cell(s) of {id} ({colour}) but {painted} pixels of it"
            ),
            // Anti-aliased edges may hit a colour by chance: far fewer pixels than a cell.
            None => assert!(
                painted < 150 * 25 / 4,
                "no cell is {id}, yet {painted} pixels are {colour}"
            ),
        }
    }
}

#[test]
fn html_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
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
