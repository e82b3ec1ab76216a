//! `mock-receiver --help` and `mock-receiver serve --help`, as insta snapshots (STYLE.md §7:
//! the CLI is an API too). Review changes with `cargo insta review`; under `CI=true` insta
//! writes nothing and a changed help text fails.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-receiver"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .expect("the mock-receiver binary runs");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    assert!(out.stderr.is_empty(), "{args:?}");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

#[test]
fn help_texts() {
    insta::assert_snapshot!("mock-receiver", help(&[]), "mock-receiver --help");
    insta::assert_snapshot!(
        "mock-receiver-serve",
        help(&["serve"]),
        "mock-receiver serve --help"
    );
}
