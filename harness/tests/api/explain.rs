//! `harness explain`: every recorded text, alone and inside a realistic stack trace or log
//! line, ranks the class that produced it first (or tied first) and lists every class known
//! to produce the identical text; arbitrary input never panics and does bounded work.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use harness::connect::FailureClass;
use harness::explain::{Explanation, explain, recorded};
use proptest::prelude::*;

const HOST: &str = "api.receiver.example";

/// Every concrete text (host filled in) and the classes known to produce exactly it.
fn texts() -> BTreeMap<String, BTreeSet<FailureClass>> {
    let mut out: BTreeMap<String, BTreeSet<FailureClass>> = BTreeMap::new();
    for r in recorded() {
        out.entry(r.text.replace("{host}", HOST))
            .or_default()
            .insert(r.class);
    }
    out
}

/// Asserts `class` ranks first or tied first and every class of `all` is a candidate.
fn assert_ranks(e: &Explanation, class: FailureClass, all: &BTreeSet<FailureClass>, what: &str) {
    let first = e
        .candidates
        .first()
        .unwrap_or_else(|| panic!("{what}: no candidate"));
    let top: Vec<FailureClass> = e
        .candidates
        .iter()
        .filter(|c| c.score == first.score)
        .map(|c| c.class)
        .collect();
    assert!(top.contains(&class), "{what}: {class} not first: {top:?}");
    let listed: BTreeSet<FailureClass> = e.candidates.iter().map(|c| c.class).collect();
    assert!(
        all.is_subset(&listed),
        "{what}: classes producing this text {all:?}, listed {listed:?}"
    );
}

/// A stack trace as a JDK prints it: the exception, frames, then each cause.
fn stack_trace(text: &str, chain: &str) -> String {
    let mut out = format!(
        "2026-12-06 10:15:02.123 ERROR [com.sap.it.op.agent.connectivity] Connectivity test failed\n{text}\n"
    );
    out.push_str("\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)\n");
    out.push_str("\tat sun.security.ssl.TransportContext.fatal(TransportContext.java:371)\n");
    for cause in chain.split(" | Caused by: ").skip(1) {
        out.push_str(&format!("Caused by: {}\n", cause.replace("{host}", HOST)));
        out.push_str("\tat java.base/java.net.Socket.connect(Socket.java:633)\n\t... 12 more\n");
    }
    out
}

#[test]
fn every_recorded_text_ranks_its_class_first_alone_and_embedded() {
    let texts = texts();
    assert!(texts.len() > 20, "the catalogue is loaded");
    for r in recorded() {
        let text = r.text.replace("{host}", HOST);
        let all = &texts[&text];
        let what = format!("JDK {} {} `{text}`", r.jdk, r.case);
        assert_ranks(
            &explain(text.as_bytes()),
            r.class,
            all,
            &format!("{what} alone"),
        );
        let trace = stack_trace(&text, &r.chain);
        assert_ranks(
            &explain(trace.as_bytes()),
            r.class,
            all,
            &format!("{what} in a trace:\n{trace}"),
        );
        let log = format!(
            "Dec 6, 2026 10:15:02 AM MPL ERROR: com.sap.gateway.core.ip.component.odata.exception.OsciException: {text}, cause: {text}"
        );
        assert_ranks(
            &explain(log.as_bytes()),
            r.class,
            all,
            &format!("{what} in a log line"),
        );
    }
}

#[test]
fn every_failure_class_has_a_recorded_text_or_a_documented_reason() {
    let classes: BTreeSet<FailureClass> = recorded().iter().map(|r| r.class).collect();
    for class in FailureClass::ALL {
        // http-unauthorized: the handshake succeeds, so no JSSE text exists; its texts are
        // HttpURLConnection's and CPI's HTTP adapter's (`CPI_PHRASES`).
        if *class == FailureClass::HttpUnauthorized {
            assert!(
                harness::explain::CPI_PHRASES
                    .iter()
                    .any(|(_, c, _)| c.contains(class))
            );
            continue;
        }
        assert!(classes.contains(class), "{class} has no recorded text");
    }
    // Every measured class is recorded on every measured JDK.
    let jdks: BTreeSet<u32> = recorded()
        .iter()
        .filter(|r| r.measured)
        .map(|r| r.jdk)
        .collect();
    assert_eq!(jdks, BTreeSet::from([11, 17, 21, 25]));
    // JDK 8's rows come from its sources (no runtime here) and cover every class too.
    for jdk in jdks.into_iter().chain([8]) {
        let on: BTreeSet<FailureClass> = recorded()
            .iter()
            .filter(|r| r.jdk == jdk)
            .map(|r| r.class)
            .collect();
        for class in &classes {
            assert!(on.contains(class), "{class} has no text on JDK {jdk}");
        }
    }
}

#[test]
fn the_innermost_cause_counts_most() {
    let trace = "java.net.SocketTimeoutException: Read timed out\n\
                 Caused by: javax.net.ssl.SSLHandshakeException: PKIX path building failed: \
                 sun.security.provider.certpath.SunCertPathBuilderException: unable to find \
                 valid certification path to requested target\n";
    let e = explain(trace.as_bytes());
    assert_eq!(e.candidates[0].class, FailureClass::UnknownIssuer);
    assert_eq!(e.candidates[1].class, FailureClass::ReadTimeout);
    assert!(e.candidates[1].score < e.candidates[0].score);
}

#[test]
fn cpi_phrases_break_the_handshake_failure_tie() {
    let e = explain(b"Received fatal alert: handshake_failure\nClient Certificate Used: NO\n");
    assert_eq!(e.candidates[0].class, FailureClass::ClientCertRequired);
    let e = explain(b"HTTP operation failed invoking https://x with statusCode: 403");
    assert_eq!(e.candidates[0].class, FailureClass::HttpUnauthorized);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary bytes mixed with pieces of known texts: no panic, scores in 0..=1, the first
    /// scores 1, at most 50 matches reported.
    #[test]
    fn arbitrary_input_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..2000),
                (0..recorded().len(), 0usize..200, 0usize..200).prop_map(|(i, a, b)| {
                    let t = recorded()[i].text.as_bytes();
                    let (a, b) = (a.min(t.len()), b.min(t.len()));
                    t[a.min(b)..a.max(b)].to_vec()
                }),
                Just(b"Caused by: ".to_vec()),
                Just(b"No name matching ".to_vec()),
            ],
            0..64,
        )
    ) {
        let input: Vec<u8> = parts.concat();
        let e = explain(&input);
        prop_assert!(e.matches.len() <= 50);
        for (i, c) in e.candidates.iter().enumerate() {
            prop_assert!((0.0..=1.0).contains(&c.score));
            if i == 0 {
                prop_assert_eq!(c.score, 1.0);
            }
        }
    }
}

#[test]
fn a_megabyte_of_log_is_one_pass() {
    // 1 MiB of repeated known texts: every one is scored, 50 reported.
    let line = "javax.net.ssl.SSLHandshakeException: No name matching host.example found\n";
    let input = line.repeat((1 << 20) / line.len());
    let e = explain(input.as_bytes());
    assert_eq!(e.matches.len(), 50);
    assert_eq!(e.candidates.len(), 1);
    // And 1 MiB without a line break or a known text.
    let e = explain(&vec![b'N'; 1 << 20]);
    assert!(e.candidates.is_empty());
}

fn harness_explain(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("explain")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness binary runs");
    {
        use std::io::Write;
        let mut input = child.stdin.take().expect("stdin is piped");
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("stdin takes the text");
    }
    let out = child.wait_with_output().expect("harness explain ends");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_reads_argument_file_and_stdin() {
    let text = "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: \
                java.security.cert.CertPathValidatorException: validity check failed";
    let (code, out, _) = harness_explain(&[text], None);
    assert_eq!(code, Some(0));
    assert!(out.contains("1. expired (score 1)"), "{out}");
    assert!(out.contains("not-yet-valid (score 1)"), "{out}");
    assert!(out.contains("--filter validity-server-expired"), "{out}");

    let (code, out, _) = harness_explain(&["-", "--json"], Some(text));
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(json["matches"][0]["phrase"], "validity check failed");
    let classes: Vec<&str> = json["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["expired", "not-yet-valid"]);
    for key in ["score", "why", "scenarios", "distinguish", "fix"] {
        assert!(json["candidates"][0].get(key).is_some(), "{key}");
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trace.log");
    std::fs::write(
        &file,
        "java.net.ConnectException: Connection refused (Connection refused)\n",
    )
    .unwrap();
    let (code, out, _) = harness_explain(&["--file", file.to_str().unwrap()], None);
    assert_eq!(code, Some(0));
    assert!(out.contains("1. connection-refused"), "{out}");

    let (code, out, _) = harness_explain(&["all good"], None);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("No known Java or CPI text") && out.contains("harness connect"),
        "{out}"
    );

    let (code, _, err) = harness_explain(&["--file", "/nonexistent/x.log"], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("/nonexistent/x.log"), "{err}");
}

#[test]
fn connect_prints_the_dialect_of_the_jdk_asked_for() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = format!("127.0.0.1:{port}");
    let run = |jdk: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(["connect", &target, "--timeout", "5", "--jdk", jdk])
            .output()
            .expect("the harness binary runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = run("11");
    assert!(
        out.contains(
            "CPI/Java (JDK 11): java.net.ConnectException: Connection refused (Connection refused)"
        ),
        "{out}"
    );
    let out = run("17");
    assert!(
        out.contains("CPI/Java: java.net.ConnectException: Connection refused\n"),
        "{out}"
    );
}
