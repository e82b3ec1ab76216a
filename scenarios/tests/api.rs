//! Crate-level tests of the `scenarios` binary. (Its presence also makes `cargo nextest run
//! --workspace` build the binary, which the workspace `tests` crate runs.)

// Tests: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn list_json_catalogues_the_embedded_suite() {
    let out = Command::new(env!("CARGO_BIN_EXE_scenarios"))
        .args(["list", "--json"])
        .output()
        .expect("the scenarios binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let entries = value
        .get("scenarios")
        .and_then(|s| s.as_array())
        .or_else(|| value.as_array())
        .expect("a list of scenarios");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suite");
    let on_disk = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .count();
    assert!(on_disk > 0, "{} has no .toml file", dir.display());
    assert_eq!(
        entries.len(),
        on_disk,
        "`list --json` lists one scenario per suite/*.toml file"
    );
    let ids: Vec<&str> = entries.iter().filter_map(|e| e["id"].as_str()).collect();
    assert!(ids.contains(&"article-end-to-end"), "{ids:?}");
}

#[test]
fn jceks_iterations_override_runs_the_suite_and_refuses_what_java_refuses() {
    let run = |count: &str| {
        Command::new(env!("CARGO_BIN_EXE_scenarios"))
            .args([
                "run",
                "--filter",
                "article-end-to-end",
                "--jceks-iterations",
                count,
            ])
            .output()
            .expect("the scenarios binary runs")
    };
    let out = run("1000");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for bad in ["0", "5000001"] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "--jceks-iterations {bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--jceks-iterations"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
