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

#[test]
fn a_filter_matching_nothing_exits_2_and_filters_ignore_case() {
    let out = Command::new(env!("CARGO_BIN_EXE_scenarios"))
        .args(["run", "--filter", "no-such-scenario-xyz"])
        .output()
        .expect("the scenarios binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no scenario matches --filter `no-such-scenario-xyz`"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_scenarios"))
        .args(["list", "--filter", "ARTICLE-End-To-End"])
        .output()
        .expect("the scenarios binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("article-end-to-end"));
}

/// SIGINT and SIGTERM stop the run: exit 130 / 143, nothing left in `TMPDIR`.
#[cfg(unix)]
#[test]
fn an_interrupted_run_exits_128_plus_the_signal_and_leaves_nothing_behind() {
    use std::time::{Duration, Instant};
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let tmp = tempfile::tempdir().expect("a temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_scenarios"))
            .args(["run", "--jceks-iterations", "1000"])
            .env("TMPDIR", tmp.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the scenarios binary runs");
        // Wait until the run has scenarios under way: a scenario directory exists.
        let deadline = Instant::now() + Duration::from_secs(60);
        let started = loop {
            let busy = std::fs::read_dir(tmp.path())
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("scenarios-run-")
                })
                .any(|run| {
                    std::fs::read_dir(run.path()).is_ok_and(|mut entries| entries.next().is_some())
                });
            if busy {
                break true;
            }
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                break false;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        assert!(started, "the run never created its scenario directories");
        let status = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        let out = child.wait_with_output().expect("the run ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(0) {
            // The whole suite finished before the signal: nothing to check this round.
            continue;
        }
        assert_eq!(out.status.code(), Some(code), "{signal}: {stderr}");
        assert!(stderr.contains("interrupted by"), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .expect("TMPDIR")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "{signal}: left behind in TMPDIR: {left:?}");
    }
}
