//! The `scenarios` binary: `--help`, exit codes, and what a broken file says.

use std::process::Command;

use super::settings;

fn scenarios() -> Command {
    Command::new(tests::bin("scenarios"))
}

#[test]
fn help_texts() {
    for (name, args) in [
        ("help", &["--help"][..]),
        ("help_run", &["run", "--help"][..]),
        ("help_list", &["list", "--help"][..]),
    ] {
        let text = tests::run_ok(scenarios().args(args));
        settings().bind(|| insta::assert_snapshot!(name, text));
    }
}

const GOOD: &str = r#"version = 1
description = "A receiver sending its full chain is trusted through its root."

[[receiver]]
name = "backend"
profile = "full-chain"

[[step]]
action = "build-keystore"
keystore = "customer"
password = "Tenant-Keystore-1"
trusted = [{ alias = "backend_root", certificate = "receiver-root" }]

[[step]]
action = "upload"
keystore = "customer"

[[step]]
action = "connect"
receiver = "backend"
expect = { outcome = "success" }
"#;

#[test]
fn a_broken_file_names_file_line_and_field_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, GOOD).unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        GOOD.replace(
            "receiver = \"backend\"\nexpect",
            "receiver = \"backend\"\nclient_certificate = \"cpi_client\"\nexpect",
        ),
    )
    .unwrap();
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, GOOD.replace("profile = ", "profil = ")).unwrap();
    let missing = dir.path().join("missing.toml");

    let out = tests::run(
        scenarios()
            .args(["run", "--redact"])
            .args([&good, &broken, &typo, &missing]),
    );
    assert_eq!(out.status.code(), Some(2), "a broken file exits 2");
    let text =
        String::from_utf8_lossy(&out.stdout).replace(&dir.path().display().to_string(), "[dir]");
    settings().bind(|| insta::assert_snapshot!("broken_files", text));
    assert!(
        text.contains("met      good"),
        "the good scenario still ran:\n{text}"
    );
}

#[test]
fn list_prints_the_catalogue_as_text_and_json() {
    let text = tests::run_ok(scenarios().args(["list", "--filter", "article"]));
    assert!(text.starts_with("article-end-to-end"), "{text}");
    let json = tests::run_ok(scenarios().args(["list", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], 1);
    let rows = value["scenarios"].as_array().unwrap();
    assert_eq!(rows.len(), scenarios::suite::files().len());
    for row in rows {
        for key in ["id", "description", "expected"] {
            assert!(row[key].as_str().is_some_and(|s| !s.is_empty()), "{row}");
        }
    }
}

#[test]
fn partitions_cover_the_suite_once() {
    let mut seen = Vec::new();
    for k in 1..=3 {
        let json =
            tests::run_ok(scenarios().args(["list", "--json", "--partition", &format!("{k}/3")]));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        for row in value["scenarios"].as_array().unwrap() {
            seen.push(row["id"].as_str().unwrap().to_owned());
        }
    }
    seen.sort();
    let mut all: Vec<String> = scenarios::suite::files()
        .iter()
        .map(|(n, _)| n.trim_end_matches(".toml").to_owned())
        .collect();
    all.sort();
    assert_eq!(seen, all);
    let bad = tests::run(scenarios().args(["list", "--partition", "4/3"]));
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn readme_suite_table_is_fresh() {
    let readme = std::fs::read_to_string(tests::workspace_root().join("README.md")).unwrap();
    let start = "<!-- suite-table:start (generated: scenarios list --markdown) -->\n";
    let end = "<!-- suite-table:end -->";
    let from = readme
        .find(start)
        .expect("README.md has the suite table start marker")
        + start.len();
    let to = readme[from..]
        .find(end)
        .expect("README.md has the end marker")
        + from;
    let table = tests::run_ok(scenarios().args(["list", "--markdown"]));
    assert!(
        readme[from..to] == table,
        "README.md's suite table is stale: regenerate it with \
         `cargo run -p scenarios -- list --markdown` between the markers"
    );
}

#[test]
fn a_wrong_expectation_is_not_met_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // The receiver sends its leaf only; the tenant trusts the root alone: the truth is
    // unknown-issuer, so expecting success must be reported as not met.
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(&wrong, GOOD.replace("\"full-chain\"", "\"leaf-only\"")).unwrap();
    let out = tests::run(scenarios().args(["run", "--redact"]).arg(&wrong));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("NOT MET  wrong")
            && text.contains("outcome expected success, observed unknown-issuer"),
        "{text}"
    );
    let json_file = dir.path().join("report.json");
    let out = tests::run(
        scenarios()
            .args(["run", "--redact", "--format", "json", "--output"])
            .arg(&json_file)
            .arg(&wrong),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["totals"]["not_met"], 1);
    assert_eq!(report["scenarios"][0]["status"], "not-met");
    assert_eq!(
        report["scenarios"][0]["matrix"]["observed"],
        "unknown-issuer"
    );
}
