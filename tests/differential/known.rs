//! `known-divergences.toml`: the divergences from Java we know of, each with a reason.
//!
//! An entry allows a divergence of kind `what` (`class`, `used` or `text`) where ours and
//! Java's values are `ours` and `java` (`*` for any; a trailing `*` for a prefix), in a world
//! that has every tag of `when` (`suites=rsa-kx`). A divergence no entry allows fails the
//! test; so does an entry that allows nothing in a run with the default seed (it no longer
//! diverges: remove it). `DIFF_WRITE_KNOWN=1` rewrites the file from the run: one entry per
//! (what, ours, java), `when` the fewest of the group's common tags that keep out the worlds
//! without that divergence, the reason kept from a matching entry or `TODO`.

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
        self.what == found.what
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

/// Rewrites the file from this run's divergences.
pub(crate) fn write(
    path: &Path,
    old: &KnownFile,
    found: &[Found],
    tags: &BTreeMap<String, BTreeSet<String>>,
) {
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&Found>> = BTreeMap::new();
    for f in found {
        groups
            .entry((f.what, f.ours.as_str(), f.java.as_str()))
            .or_default()
            .push(f);
    }
    let mut out = KnownFile::default();
    for ((what, ours, java), members) in groups {
        let in_group: BTreeSet<&str> = members.iter().map(|f| f.world.as_str()).collect();
        let mut common: Option<BTreeSet<String>> = None;
        for w in &in_group {
            let t = &tags[*w];
            common = Some(match common {
                None => t.clone(),
                Some(c) => c.intersection(t).cloned().collect(),
            });
        }
        let common = common.unwrap_or_default();
        // Greedy: add the common tag that keeps out the most worlds outside the group.
        let mut when: Vec<String> = Vec::new();
        let outside = |when: &[String]| -> usize {
            tags.iter()
                .filter(|(w, t)| !in_group.contains(w.as_str()) && when.iter().all(|x| t.contains(x)))
                .count()
        };
        let mut left = outside(&when);
        while left > 0 {
            let best = common
                .iter()
                .filter(|t| !when.contains(t))
                .map(|t| {
                    let mut with = when.clone();
                    with.push(t.clone());
                    (outside(&with), t.clone())
                })
                .min();
            match best {
                Some((n, t)) if n < left => {
                    when.push(t);
                    left = n;
                }
                _ => break,
            }
        }
        when.sort();
        let probe = Found {
            world: String::new(),
            what,
            ours: ours.to_owned(),
            java: java.to_owned(),
        };
        let reason = old
            .divergence
            .iter()
            .find(|k| k.allows(&probe, &when.iter().cloned().collect()))
            .or_else(|| {
                old.divergence
                    .iter()
                    .find(|k| k.what == what && value_matches(&k.ours, ours) && value_matches(&k.java, java))
            })
            .map(|k| k.reason.clone())
            .unwrap_or_else(|| "TODO".to_owned());
        out.divergence.push(Known {
            what: what.to_owned(),
            ours: ours.to_owned(),
            java: java.to_owned(),
            when,
            reason,
            worlds: in_group.len(),
        });
    }
    let header = "# Known, deliberate divergences of `harness connect` from the real JDK 17 in the\n\
        # differential test (tests/differential). One entry allows a divergence of kind `what`\n\
        # (class | used | text) with our value `ours` and Java's `java` (`*` any, trailing `*` a\n\
        # prefix) in worlds having every tag of `when`. The test fails on a divergence no entry\n\
        # allows, and (with the default seed) on an entry that allows nothing. Regenerate with\n\
        # DIFF_WRITE_KNOWN=1 (reasons are kept; new entries get `TODO`).\n\n";
    let body = toml::to_string_pretty(&out).unwrap();
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, format!("{header}{body}")).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
