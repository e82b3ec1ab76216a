//! Shared helpers for the workspace's property, snapshot and interop tests.
//!
//! External tools and the shared corpora are optional on a developer's clone and mandatory in
//! CI: [`tool`] and [`shared_dir`] print why a test skips locally, and panic under `CI=true`.

// Test support: a failed `unwrap`/`expect` is a failed run with its location (the
// workspace denies both in library code; clippy.toml allows them only in #[test] functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod openssl_ca;

/// Whether the tests run in CI (`CI=true`), where nothing may skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The path of an external tool (`java`, `keytool`, `openssl`), or `None` with a printed
/// reason when it is missing. Under `CI=true` a missing tool fails the test.
pub fn tool(name: &str) -> Option<PathBuf> {
    match on_path(name) {
        Some(path) => Some(path),
        None if in_ci() => panic!("`{name}` is required under CI=true but is not on PATH"),
        None => {
            eprintln!("skipped: `{name}` is not on PATH (install it to run this interop test)");
            None
        }
    }
}

/// The path of `name` on PATH, if any: no skip message, no CI rule (for optional tools such
/// as Chromium; required ones go through [`tool`]).
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `../shared` beside the checkout (external corpora), or `None` with a printed reason.
/// Under `CI=true` its absence fails the test.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("..").join("shared");
    if dir.is_dir() {
        Some(dir)
    } else if in_ci() {
        panic!(
            "`{}` is required under CI=true but is absent",
            dir.display()
        )
    } else {
        eprintln!(
            "skipped: `{}` is absent (the shared corpora live beside the checkout in CI)",
            dir.display()
        );
        None
    }
}

/// The path of a workspace binary built alongside the tests (`harness`, `mock-receiver`,
/// `scenarios`).
pub fn bin(name: &str) -> PathBuf {
    // Test executables live in target/<profile>/deps; binaries one level up.
    let exe = std::env::current_exe().expect("the test binary knows its own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    dir.join(name)
}

/// Runs a command to completion and returns its output; panics when it cannot start.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Runs a command and panics with its stderr unless it exits 0; returns stdout as text.
pub fn run_ok(command: &mut Command) -> String {
    let out = run(command);
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
