//! `known-divergences.toml`: the divergences from Java we know of, each with a reason.
//!
//! An entry allows a divergence of kind `what` (`class`, `used` or `text`; `*` any) where
//! ours and Java's values are `ours` and `java` (`*` for any; a trailing `*` for a prefix),
//! in a world that has every tag of `when` (`suites=rsa-kx`, or `id=w017` for one world). A
//! divergence no entry allows fails the test; so does a stale entry ([`Known::is_stale`]:
//! its feature alone no longer makes a world diverge; remove it). `DIFF_WRITE_KNOWN=1` rewrites
//! the file from the run (see [`write`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The comment a new file starts with.
const HEADER: &str = "\
# Known divergences of `harness connect` from the real JDK 17 in the differential test
# (tests/differential). An entry allows a divergence of kind `what` (class | used | text;
# `*` any) with our value `ours` and Java's `java` (`*` any, a trailing `*` a prefix) in the
# worlds that have every tag of `when` (the world's dimensions as the summary prints them,
# or `id=wNNN`). The test fails on a divergence no entry allows, and on a stale entry: some
# world moved along the entry's features only and none such diverges as it allows (remove
# it). DIFF_WRITE_KNOWN=1 rewrites the file: stale entries are dropped, each new divergence gets an entry for the dimensions
# its world moved along with reason TODO. `worlds` counts what an entry allowed in the run
# that wrote it (information only).

";

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

impl Known {
    /// Whether the entry no longer diverges: some world of the run moved along the entry's
    /// features only (so nothing else can explain it) and no such world diverges as the entry
    /// allows. An entry whose features this run drew only together with others says nothing.
    pub(crate) fn is_stale(
        &self,
        allowed_in: &BTreeSet<String>,
        tags: &BTreeMap<String, BTreeSet<String>>,
        moved: &BTreeMap<String, Vec<String>>,
    ) -> bool {
        let pure: Vec<&String> = tags
            .iter()
            .filter(|(w, t)| {
                self.when.iter().all(|x| t.contains(x))
                    && moved
                        .get(*w)
                        .is_some_and(|m| m.iter().all(|x| self.when.contains(x)))
            })
            .map(|(w, _)| w)
            .collect();
        !pure.is_empty() && !pure.iter().any(|w| allowed_in.contains(*w))
    }
}

pub(crate) fn load(path: &Path) -> KnownFile {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a known-divergences file: {e}", path.display())),
        Err(_) => KnownFile::default(),
    }
}

/// Rewrites the file from this run: keeps the entries that are not stale
/// ([`Known::is_stale`]; their order, `when` and reason), drops the stale ones, and adds one
/// entry per
/// divergence no entry allows, `when` the dimensions its world moved along (the likely
/// cause; `id=wNNN` for the common world), with the reason `TODO` for review.
pub(crate) fn write(
    path: &Path,
    old: &KnownFile,
    found: &[Found],
    tags: &BTreeMap<String, BTreeSet<String>>,
    moved: &BTreeMap<String, Vec<String>>,
) {
    let mut out = KnownFile::default();
    let mut allowed = vec![false; found.len()];
    for k in &old.divergence {
        let mut n = 0;
        let mut allowed_in = BTreeSet::new();
        for (i, f) in found.iter().enumerate() {
            if k.allows(f, &tags[&f.world]) {
                allowed[i] = true;
                allowed_in.insert(f.world.clone());
                n += 1;
            }
        }
        if !k.is_stale(&allowed_in, tags, moved) {
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
        // The dimensions the world moved along are the likely cause; the common world
        // itself is named by its id.
        let when = match moved.get(&f.world) {
            Some(m) if !m.is_empty() => m.clone(),
            _ => vec![format!("id={}", f.world)],
        };
        let probe = Known {
            what: f.what.to_owned(),
            ours: f.ours.clone(),
            java: f.java.clone(),
            when,
            reason: "TODO".to_owned(),
            worlds: 1,
        };
        match out.divergence.iter_mut().find(|k| {
            k.reason == "TODO"
                && k.what == probe.what
                && k.ours == probe.ours
                && k.java == probe.java
                && k.when == probe.when
        }) {
            Some(k) => k.worlds += 1,
            None => out.divergence.push(probe),
        }
    }
    // The file's own leading comments are kept.
    let old_text = std::fs::read_to_string(path).unwrap_or_default();
    let kept: String = old_text
        .lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let header = if kept.trim().is_empty() {
        HEADER.to_owned()
    } else {
        kept
    };
    let body = toml::to_string_pretty(&out).unwrap();
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, format!("{header}{body}")).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(what: &str, ours: &str, java: &str, when: &[&str]) -> Known {
        Known {
            what: what.into(),
            ours: ours.into(),
            java: java.into(),
            when: when.iter().map(|t| t.to_string()).collect(),
            reason: "r".into(),
            worlds: 0,
        }
    }

    #[test]
    fn entries_match_kind_values_prefixes_and_every_tag() {
        let found = Found {
            world: "w001".into(),
            what: "class",
            ours: "error: cannot use key pair …: wrong key password".into(),
            java: "success".into(),
        };
        let tags: BTreeSet<String> = ["key-password=first-differs", "store=jks", "id=w001"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert!(
            known(
                "class",
                "error: cannot use*",
                "*",
                &["key-password=first-differs"]
            )
            .allows(&found, &tags)
        );
        assert!(known("*", "*", "success", &["store=jks", "id=w001"]).allows(&found, &tags));
        assert!(!known("text", "*", "*", &[]).allows(&found, &tags));
        assert!(!known("class", "error: cannot use", "*", &[]).allows(&found, &tags));
        assert!(!known("class", "*", "*", &["store=jks", "store=pkcs12"]).allows(&found, &tags));
    }

    #[test]
    fn the_checked_in_file_parses_and_every_entry_has_a_reason() {
        let file =
            load(&::tests::workspace_root().join("tests/differential/known-divergences.toml"));
        // Every listed divergence says why it is deliberate (no TODO left by a rewrite).
        for k in &file.divergence {
            assert!(!k.reason.trim().is_empty(), "{k:?}");
            assert_ne!(k.reason.trim(), "TODO", "{k:?}");
            assert!(
                ["class", "used", "text", "*"].contains(&k.what.as_str()),
                "{k:?}"
            );
        }
    }
}
