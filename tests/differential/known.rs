//! `known-divergences.toml`: the divergences from Java we know of, each with a reason.
//!
//! An entry allows a divergence of kind `what` (`class`, `used` or `text`; `*` any) where
//! ours and Java's values are `ours` and `java` (`*` for any; a trailing `*` for a prefix),
//! in a world that has every tag of `when` (`suites=rsa-kx`, or `id=w017` for one world). A
//! divergence no entry allows fails the test; so does an entry that allows nothing in a run
//! with the default seed (it no longer diverges: remove it). `DIFF_WRITE_KNOWN=1` rewrites
//! the file from the run (see [`write`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One divergence found in one world.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub(crate) world: String,
    pub(crate) what: &'static str,
    pub(crate) ours: String,
    pub(crate) java: String,
}

/// One entry of the file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Known {
    pub(crate) what: String,
    pub(crate) ours: String,
    pub(crate) java: String,
    #[serde(default)]
    pub(crate) when: Vec<String>,
    pub(crate) reason: String,
    /// Worlds it allowed when the file was written (information only).
    #[serde(default)]
    pub(crate) worlds: usize,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KnownFile {
    #[serde(default)]
    pub(crate) divergence: Vec<Known>,
}

fn value_matches(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

impl Known {
    pub(crate) fn allows(&self, found: &Found, tags: &BTreeSet<String>) -> bool {
        value_matches(&self.what, found.what)
            && value_matches(&self.ours, &found.ours)
            && value_matches(&self.java, &found.java)
            && self.when.iter().all(|t| tags.contains(t))
    }
}

pub(crate) fn load(path: &Path) -> KnownFile {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a known-divergences file: {e}", path.display())),
        Err(_) => KnownFile::default(),
    }
}

/// Rewrites the file from this run: keeps the entries that allowed a divergence (their
/// order, `when` and reason), drops the ones that allowed none, and adds one entry per
/// divergence no entry allows, for that world only (`when = ["id=w017"]`) with the reason
/// `TODO`, for review: replace its `when` by the feature that causes it.
pub(crate) fn write(
    path: &Path,
    old: &KnownFile,
    found: &[Found],
    tags: &BTreeMap<String, BTreeSet<String>>,
) {
    let mut out = KnownFile::default();
    let mut allowed = vec![false; found.len()];
    for k in &old.divergence {
        let mut n = 0;
        for (i, f) in found.iter().enumerate() {
            if k.allows(f, &tags[&f.world]) {
                allowed[i] = true;
                n += 1;
            }
        }
        if n > 0 {
            out.divergence.push(Known {
                worlds: n,
                ..k.clone()
            });
        } else {
            println!(
                "dropped (allows nothing): {} {} | {} when {:?}",
                k.what, k.ours, k.java, k.when
            );
        }
    }
    for (f, _) in found.iter().zip(&allowed).filter(|(_, a)| !**a) {
        out.divergence.push(Known {
            what: f.what.to_owned(),
            ours: f.ours.clone(),
            java: f.java.clone(),
            when: vec![format!("id={}", f.world)],
            reason: "TODO".to_owned(),
            worlds: 1,
        });
    }
    let header = "# Known divergences of `harness connect` from the real JDK 17 in the differential test\n\
        # (tests/differential). An entry allows a divergence of kind `what` (class | used | text;\n\
        # `*` any) with our value `ours` and Java's `java` (`*` any, a trailing `*` a prefix) in\n\
        # the worlds that have every tag of `when` (the world's dimensions, as the summary prints\n\
        # them, and `id=wNNN`). The test fails on a divergence no entry allows and, with the\n\
        # default seed, on an entry that allows none (it no longer diverges: remove it).\n\
        # DIFF_WRITE_KNOWN=1 rewrites the file: entries that allow nothing are dropped, each\n\
        # new divergence gets an entry for its world with reason TODO. `worlds` counts what an\n\
        # entry allowed in the run that wrote it (information only).\n\n";
    let body = toml::to_string_pretty(&out).unwrap();
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, format!("{header}{body}")).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
