//! The built-in suite: `scenarios/suite/*.toml`, embedded at build time.

use crate::load::load_str;
use crate::model::Scenario;
use crate::runner::Input;

include!(concat!(env!("OUT_DIR"), "/suite.rs"));

/// The suite's files: (file name, text), sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    FILES
}

/// Loads every suite file; a broken one becomes an [`Input::Broken`], the others still load.
pub fn inputs() -> Vec<Input> {
    FILES
        .iter()
        .map(|(name, text)| {
            let id = name.trim_end_matches(".toml");
            let source = format!("suite/{name}");
            match load_str(id, &source, text) {
                Ok(s) => Input::Loaded(Box::new(s)),
                Err(error) => Input::Broken {
                    id: id.to_owned(),
                    source,
                    error,
                },
            }
        })
        .collect()
}

/// The first paragraph of a description, on one line (for tables).
pub fn headline(scenario: &Scenario) -> String {
    scenario
        .description
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The catalogue as a Markdown table (the README's suite table is this text).
pub fn markdown(scenarios: &[Scenario]) -> String {
    let mut out = String::from("| scenario | what it shows | expected |\n|---|---|---|\n");
    for s in scenarios {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            s.id,
            headline(s).replace('|', "\\|"),
            s.expected_summary().replace('|', "\\|")
        ));
    }
    out
}
