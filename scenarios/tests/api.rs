//! Crate-level tests of the `scenarios` binary. (Its presence also makes `cargo nextest run
//! --workspace` build the binary, which the workspace `tests` crate runs.)

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
    assert!(
        entries.len() >= 60,
        "the built-in suite has at least 60 scenarios"
    );
    let ids: Vec<&str> = entries.iter().filter_map(|e| e["id"].as_str()).collect();
    assert!(ids.contains(&"article-end-to-end"), "{ids:?}");
}
