//! What a step observed, checked field by field against its expectations.

use harness::tenant::Refusal;

use crate::model::{Expect, Outcome, Refused};
use crate::report::Check;

/// What a step produced, compared field by field with its [`Expect`].
#[derive(Debug, Default)]
pub(super) struct Observed {
    pub(super) outcome: Option<Outcome>,
    pub(super) client_certificate_used: Option<bool>,
    pub(super) chosen_alias: Option<String>,
    pub(super) user: Option<String>,
    pub(super) http_status: Option<u16>,
    pub(super) certificates: Option<usize>,
    /// Aliases in the tenant keystore after the step (lower-cased).
    pub(super) entries: Option<Vec<String>>,
    pub(super) added: Vec<String>,
    pub(super) preserved: Vec<String>,
    pub(super) overwritten: Vec<String>,
    /// Entries an upload refused, each with its reason.
    pub(super) refused: Vec<(String, Refusal)>,
    /// Why the operation as a whole was refused; `None` when it was not.
    pub(super) refused_with: Option<Refused>,
    pub(super) output: Vec<String>,
}

pub(super) fn check(expect: &Expect, observed: &Observed) -> Vec<Check> {
    let mut checks = Vec::new();
    let none = || "(nothing)".to_owned();
    let mut push = |field: &str, expected: String, observed: String, met: bool| {
        checks.push(Check {
            field: field.to_owned(),
            expected,
            observed,
            met,
        });
    };
    if let Some(outcome) = &expect.outcome {
        let seen = observed.outcome;
        push(
            "outcome",
            outcome.to_string(),
            seen.map_or_else(none, |o| o.to_string()),
            seen == Some(*outcome),
        );
    }
    if let Some(used) = expect.client_certificate_used {
        let seen = observed.client_certificate_used;
        push(
            "client_certificate_used",
            yes_no(used).to_owned(),
            seen.map_or_else(none, |u| yes_no(u).to_owned()),
            seen == Some(used),
        );
    }
    if let Some(alias) = &expect.chosen_alias {
        let seen = observed.chosen_alias.clone();
        let met = seen
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(alias));
        push(
            "chosen_alias",
            alias.clone(),
            seen.unwrap_or_else(none),
            met,
        );
    }
    if let Some(user) = &expect.user {
        let seen = observed.user.clone();
        push(
            "user",
            user.clone(),
            seen.clone().unwrap_or_else(none),
            seen.as_deref() == Some(user),
        );
    }
    if let Some(status) = expect.http_status {
        let seen = observed.http_status;
        push(
            "http_status",
            status.to_string(),
            seen.map_or_else(none, |s| s.to_string()),
            seen == Some(status),
        );
    }
    if let Some(count) = expect.certificates {
        let seen = observed.certificates;
        push(
            "certificates",
            count.to_string(),
            seen.map_or_else(none, |s| s.to_string()),
            seen == Some(count),
        );
    }
    let entries = observed.entries.clone().unwrap_or_default();
    for alias in &expect.entries {
        let met = entries.contains(&alias.to_ascii_lowercase());
        push(
            "entries",
            format!("`{alias}` present"),
            if met { "present" } else { "absent" }.to_owned(),
            met,
        );
    }
    for alias in &expect.absent {
        let present = entries.contains(&alias.to_ascii_lowercase());
        push(
            "absent",
            format!("`{alias}` absent"),
            if present { "present" } else { "absent" }.to_owned(),
            !present,
        );
    }
    for (field, wanted, seen) in [
        ("added", &expect.added, &observed.added),
        ("preserved", &expect.preserved, &observed.preserved),
        ("overwritten", &expect.overwritten, &observed.overwritten),
    ] {
        for alias in wanted {
            let met = seen.iter().any(|s| s.eq_ignore_ascii_case(alias));
            push(
                field,
                format!("`{alias}`"),
                if met {
                    format!("`{alias}`")
                } else {
                    format!("[{}]", seen.join(", "))
                },
                met,
            );
        }
    }
    for refusal in &expect.refused {
        let seen = observed
            .refused
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(&refusal.alias))
            .map(|(_, r)| *r);
        push(
            "refused",
            format!("`{}`: {}", refusal.alias, refusal.reason),
            seen.map_or_else(
                || "not refused".to_owned(),
                |r| format!("`{}`: {r}", refusal.alias),
            ),
            seen == Some(refusal.reason),
        );
    }
    if let Some(reason) = &expect.refused_with {
        let seen = observed.refused_with;
        push(
            "refused_with",
            reason.to_string(),
            seen.map_or_else(|| "not refused".to_owned(), |r| r.to_string()),
            seen == Some(*reason),
        );
    }
    for text in &expect.text_contains {
        let met = observed.output.iter().any(|line| line.contains(text));
        push(
            "text_contains",
            format!("{text:?}"),
            if met { "found" } else { "not found" }.to_owned(),
            met,
        );
    }
    checks
}

pub(super) fn yes_no(value: bool) -> &'static str {
    if value { "YES" } else { "NO" }
}
