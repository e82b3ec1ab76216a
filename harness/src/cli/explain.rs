//! `harness explain [TEXT | --file F | -]`: from a pasted error text to the failure classes
//! that produce it.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use harness::exit::ExitCode;

/// `harness explain` arguments.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The text: an exception line, a log excerpt, a whole stack trace. `-` (or nothing, with
    /// standard input piped) reads standard input.
    #[arg(value_name = "TEXT", conflicts_with = "file")]
    text: Option<String>,
    /// Read the text from FILE.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Print the explanation as JSON (format `version` 1): `{version, matches, candidates}`.
    #[arg(long)]
    json: bool,
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("cannot read standard input")?;
    Ok(input)
}

pub(crate) fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let input = match (args.text.as_deref(), &args.file) {
        (_, Some(path)) => {
            std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?
        }
        (Some("-"), None) => read_stdin()?,
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, None) if !std::io::stdin().is_terminal() => read_stdin()?,
        (None, None) => {
            bail!(
                "no text to explain: give TEXT, `--file FILE`, or pipe it into `harness explain -`"
            )
        }
    };
    let explanation = harness::explain::explain(&input);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        print!("{}", harness::explain::render_text(&explanation));
    }
    Ok(if explanation.candidates.is_empty() {
        ExitCode::Failed
    } else {
        ExitCode::Success
    })
}
