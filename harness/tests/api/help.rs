//! `--help` of `harness` and every subcommand, as insta snapshots (STYLE.md §7: the CLI is
//! an API too). Review changes with `cargo insta review`; under `CI=true` insta writes
//! nothing and a changed help text fails.

use std::process::Command;

/// Every command path whose `--help` is snapshotted.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["pki"],
    &["pki", "generate"],
    &["keystore"],
    &["keystore", "list"],
    &["keystore", "new"],
    &["keystore", "import-cert"],
    &["keystore", "import-keypair"],
    &["keystore", "export"],
    &["keystore", "convert"],
    &["keystore", "rename"],
    &["keystore", "delete"],
    &["tenant"],
    &["tenant", "create"],
    &["tenant", "list"],
    &["tenant", "show"],
    &["tenant", "history"],
    &["tenant", "add-keystore"],
    &["tenant", "add-certificate"],
    &["tenant", "add-key-pair"],
    &["tenant", "create-key-pair"],
    &["tenant", "signing-request"],
    &["tenant", "update-signing-response"],
    &["tenant", "update"],
    &["tenant", "rename"],
    &["tenant", "delete"],
    &["tenant", "backup"],
    &["tenant", "restore"],
    &["tenant", "download"],
    &["tenant", "download-public"],
    &["tenant", "lint"],
    &["connect"],
    &["explain"],
    &["capture"],
];

/// `harness ARGS --help`, with the environment that help texts show (`[env: ...]`) cleared.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .arg("--help")
        .env_remove("HARNESS_TENANT")
        .env_remove("HARNESS_NOW")
        .env("COLUMNS", "100")
        .output()
        .expect("the harness binary runs");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    assert!(out.stderr.is_empty(), "{args:?}");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

#[test]
fn help_texts() {
    for args in COMMANDS {
        let name = if args.is_empty() {
            "harness".to_owned()
        } else {
            format!("harness-{}", args.join("-"))
        };
        let text = help(args);
        insta::assert_snapshot!(name, text, &format!("harness {} --help", args.join(" ")));
    }
}

/// Every subcommand clap knows is in [`COMMANDS`], so a new one gets a snapshot.
#[test]
fn every_subcommand_has_a_snapshot() {
    let listed = |args: &[&str]| -> Vec<String> {
        let text = help(args);
        text.lines()
            .skip_while(|l| *l != "Commands:")
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|c| c != "help")
            .collect()
    };
    for parent in [&[][..], &["pki"], &["keystore"], &["tenant"]] {
        for sub in listed(parent) {
            let mut path: Vec<&str> = parent.to_vec();
            path.push(&sub);
            assert!(
                COMMANDS.contains(&path.as_slice()),
                "{path:?} has no snapshot"
            );
        }
    }
}
