//! `harness explain`: from the text a customer pastes (a CPI connectivity-test line, a
//! message-processing-log error, a whole stack trace of any JDK) to the failure classes that
//! produce it, ranked, with why, the scenarios that reproduce each, how to tell them apart and
//! the smallest fix.
//!
//! The catalogue is measured: `data/java-texts.tsv` holds the exact text of every failure
//! class per JDK (11, 17, 21, 25) as `tests/interop/java_texts.rs` recorded it against real
//! JDKs; `data/java-texts-jdk8.tsv` holds JDK 8's texts taken from its sources (no JDK 8 runs
//! here). CPI's own phrases around the Java text are in [`CPI_PHRASES`].
//!
//! Matching is one Aho-Corasick pass over the input (linear in its length, whatever it
//! holds), then a bounded check around each hit: [`explain`] never panics and its work is
//! linear.

pub mod classes;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Serialize;

use crate::connect::FailureClass;

pub use classes::{Advice, advice};

/// The format version of [`Explanation`]'s JSON.
pub const FORMAT_VERSION: u32 = 1;

/// The measured texts (generated; see the module docs).
const MEASURED: &str = include_str!("../../data/java-texts.tsv");
/// JDK 8's texts, from its sources.
const JDK8: &str = include_str!("../../data/java-texts-jdk8.tsv");

/// At most this many matches are reported (all of them are scored).
const MAX_REPORTED: usize = 50;

/// CPI's own phrases (its connectivity test's result lines and HTTP adapter errors), which
/// are not Java exceptions: (phrase, classes it points to, weight).
pub const CPI_PHRASES: &[(&str, &[FailureClass], u32)] = &[
    (
        "Client Certificate Used: NO",
        &[FailureClass::ClientCertRequired],
        1,
    ),
    (
        "Client Certificate Used: YES",
        &[
            FailureClass::ClientCertRejected,
            FailureClass::HttpUnauthorized,
        ],
        1,
    ),
    (
        "Server returned HTTP response code: 401",
        &[FailureClass::HttpUnauthorized],
        2,
    ),
    (
        "Server returned HTTP response code: 403",
        &[FailureClass::HttpUnauthorized],
        2,
    ),
    ("with statusCode: 401", &[FailureClass::HttpUnauthorized], 2),
    ("with statusCode: 403", &[FailureClass::HttpUnauthorized], 2),
];

/// One text of the catalogue: what a JDK printed for a failure class.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    /// The JDK's major version.
    pub jdk: u32,
    /// The generator's case (`source` for JDK 8's texts).
    pub case: String,
    /// The class our connectivity test gave the case.
    pub class: FailureClass,
    /// The exception's `toString()`, `{host}` for the host.
    pub text: String,
    /// Whether it was measured (`false`: from the JDK's sources).
    pub measured: bool,
    /// The whole cause chain as measured (`toString()`s joined by ` | Caused by: `); the
    /// sources it was taken from, for JDK 8.
    pub chain: String,
}

/// A phrase the matcher looks for, and what it points to.
#[derive(Clone, Debug)]
struct Key {
    /// The phrase, `{host}` for the host.
    template: String,
    /// The literal piece searched for.
    piece: String,
    /// Where `piece` starts in `template`.
    piece_at: usize,
    classes: Vec<FailureClass>,
    jdks: Vec<u32>,
    weight: u32,
    cpi: bool,
}

struct Catalogue {
    texts: Vec<Recorded>,
    keys: Vec<Key>,
    /// Patterns: every key's piece, then `Caused by:`.
    automaton: Option<AhoCorasick>,
}

/// Every recorded text (measured and from source).
pub fn recorded() -> &'static [Recorded] {
    &catalogue().texts
}

fn parse_rows(data: &str, measured: bool, out: &mut Vec<Recorded>) {
    for line in data.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let chain = f.get(4).copied().unwrap_or_default().to_owned();
        let (Some(jdk), Some(case), Some(class), Some(text)) = (
            f.first().and_then(|v| v.parse().ok()),
            f.get(1),
            f.get(2).and_then(|c| c.parse().ok()),
            f.get(3),
        ) else {
            continue;
        };
        out.push(Recorded {
            jdk,
            case: (*case).to_owned(),
            class,
            text: (*text).to_owned(),
            measured,
            chain,
        });
    }
}

/// Whether `token` is a qualified Java class name of an exception (`java.net.ConnectException`).
fn is_exception_class(token: &str) -> bool {
    let last = token.rsplit('.').next().unwrap_or_default();
    token.contains('.')
        && !token.contains(' ')
        && (last.ends_with("Exception") || last.ends_with("Error"))
        && last.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The phrase of a recorded text the matcher looks for: the innermost message (after the
/// last exception class name), without JDK 25's `(alert) ` prefix; the whole text from its
/// last class name when the message alone is too short to be telling.
pub fn key_of(text: &str) -> String {
    let tokens: Vec<&str> = text.split(": ").collect();
    let last_class = tokens.iter().rposition(|t| is_exception_class(t));
    let message = match last_class {
        Some(i) => tokens[i + 1..].join(": "),
        None => text.to_owned(),
    };
    let message = match message.strip_prefix('(').and_then(|m| m.split_once(") ")) {
        Some((alert, rest)) if !alert.contains(' ') => rest.to_owned(),
        _ => message,
    };
    let literal = longest_piece(&message).1.len();
    match last_class {
        Some(i) if literal < 8 => tokens[i..].join(": "),
        _ => message,
    }
}

/// The longest literal piece of a template (around `{host}`): (start, piece).
fn longest_piece(template: &str) -> (usize, &str) {
    match template.find("{host}") {
        Some(at) => {
            let before = &template[..at];
            let after = &template[at + "{host}".len()..];
            if before.len() >= after.len() {
                (0, before)
            } else {
                (at + "{host}".len(), after)
            }
        }
        None => (0, template),
    }
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut texts = Vec::new();
        parse_rows(MEASURED, true, &mut texts);
        parse_rows(JDK8, false, &mut texts);
        let mut by_key: BTreeMap<String, Key> = BTreeMap::new();
        for r in &texts {
            let template = key_of(&r.text);
            let lower = template.to_ascii_lowercase();
            let key = by_key.entry(lower).or_insert_with(|| {
                let (piece_at, piece) = longest_piece(&template);
                Key {
                    piece: piece.to_owned(),
                    piece_at,
                    template: template.clone(),
                    classes: Vec::new(),
                    jdks: Vec::new(),
                    weight: 2,
                    cpi: false,
                }
            });
            if !key.classes.contains(&r.class) {
                key.classes.push(r.class);
                key.classes.sort();
            }
            if !key.jdks.contains(&r.jdk) {
                key.jdks.push(r.jdk);
                key.jdks.sort();
            }
        }
        let mut keys: Vec<Key> = by_key
            .into_values()
            .filter(|k| !k.piece.is_empty())
            .collect();
        for (phrase, classes, weight) in CPI_PHRASES {
            keys.push(Key {
                template: (*phrase).to_owned(),
                piece: (*phrase).to_owned(),
                piece_at: 0,
                classes: classes.to_vec(),
                jdks: Vec::new(),
                weight: *weight,
                cpi: true,
            });
        }
        let patterns = keys
            .iter()
            .map(|k| k.piece.as_str())
            .chain(std::iter::once("Caused by:"));
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            // A full DFA: the fastest search on inputs dense with hits (built once).
            .kind(Some(AhoCorasickKind::DFA))
            .build(patterns)
            .ok();
        Catalogue {
            texts,
            keys,
            automaton,
        }
    })
}

/// One known text found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The catalogue's phrase (`{host}` for the host).
    pub phrase: String,
    /// The text as found.
    pub found: String,
    /// Its line, from 1.
    pub line: usize,
    /// How many `Caused by:` come before it (0: the outermost exception).
    pub depth: usize,
    /// Whether it is in the innermost cause of the input.
    pub innermost: bool,
    /// A CPI phrase (not a Java text).
    pub cpi: bool,
    /// The classes known to produce it.
    pub classes: Vec<FailureClass>,
    /// The JDK versions it was recorded on.
    pub jdks: Vec<u32>,
}

/// A ranked candidate class.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// The class.
    pub class: FailureClass,
    /// Its share of the evidence, 0 to 1 (the first has 1; ties have equal scores).
    pub score: f64,
    /// Why it produces the text found.
    pub why: &'static str,
    /// Trust-table rows and receiver behaviours that lead there.
    pub leads_here: &'static [&'static str],
    /// Built-in scenarios reproducing it (`scenarios run --filter ID`).
    pub scenarios: &'static [&'static str],
    /// What tells it from the other candidates.
    pub distinguish: &'static str,
    /// The smallest fix.
    pub fix: &'static str,
}

/// The result of [`explain`].
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The known texts found, in input order (at most 50 reported).
    pub matches: Vec<Match>,
    /// The candidate classes, best first.
    pub candidates: Vec<Candidate>,
}

/// Reads a host name (or IP address) at the start of `bytes`: its length.
fn host_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(255)
        .take_while(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
        })
        .count()
}

/// Checks the whole template around a hit of its piece at `start..end`: the span it covers.
fn verify(input: &[u8], key: &Key, start: usize, end: usize) -> Option<(usize, usize)> {
    let Some(at) = key.template.find("{host}") else {
        return Some((start, end));
    };
    let eq = |a: &[u8], b: &[u8]| a.eq_ignore_ascii_case(b);
    if key.piece_at == 0 {
        // piece, host, rest
        let rest = &key.template.as_bytes()[at + "{host}".len()..];
        let host = host_len(&input[end..]);
        // A trailing `.` of the rest belongs to the rest, not to the host.
        for h in [host, host.saturating_sub(1)] {
            if h == 0 {
                continue;
            }
            let tail = input.get(end + h..end + h + rest.len())?;
            if eq(tail, rest) {
                return Some((start, end + h + rest.len()));
            }
        }
        None
    } else {
        // before, host, piece
        let before = &key.template.as_bytes()[..at];
        let prefix = &input[start.saturating_sub(255)..start];
        let host = prefix
            .iter()
            .rev()
            .take_while(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
            })
            .count();
        if host == 0 {
            return None;
        }
        let host_start = start - host;
        let head_start = host_start.checked_sub(before.len())?;
        eq(&input[head_start..host_start], before).then_some((head_start, end))
    }
}

/// Finds every known text in `input` and ranks the classes that produce them.
pub fn explain(input: &[u8]) -> Explanation {
    let cat = catalogue();
    let mut hits: Vec<(usize, usize, usize, usize)> = Vec::new(); // key, start, end, depth
    let mut depth = 0;
    if let Some(ac) = &cat.automaton {
        for m in ac.find_iter(input) {
            let id = m.pattern().as_usize();
            if id == cat.keys.len() {
                depth += 1;
                continue;
            }
            let key = &cat.keys[id];
            if let Some((start, end)) = verify(input, key, m.start(), m.end()) {
                hits.push((id, start, end, depth));
            }
        }
    }
    let innermost = hits.iter().map(|h| h.3).max().unwrap_or(0);
    let mut points: BTreeMap<FailureClass, u32> = BTreeMap::new();
    let mut matches = Vec::new();
    let mut line = 1;
    let mut scanned = 0;
    for &(id, start, end, d) in &hits {
        let key = &cat.keys[id];
        let weight = key.weight * if d == innermost { 2 } else { 1 };
        for class in &key.classes {
            *points.entry(*class).or_default() += weight;
        }
        if matches.len() < MAX_REPORTED {
            // A hit checked backwards can start before the previous one: count each byte once.
            if start > scanned {
                line += input[scanned..start]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                scanned = start;
            }
            matches.push(Match {
                phrase: key.template.clone(),
                found: String::from_utf8_lossy(&input[start..end]).into_owned(),
                line,
                depth: d,
                innermost: d == innermost,
                cpi: key.cpi,
                classes: key.classes.clone(),
                jdks: key.jdks.clone(),
            });
        }
    }
    let best = points.values().copied().max().unwrap_or(1).max(1);
    let mut ranked: Vec<(FailureClass, u32)> = points.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let candidates = ranked
        .into_iter()
        .map(|(class, p)| {
            let a = advice(class);
            Candidate {
                class,
                score: (f64::from(p) / f64::from(best) * 1000.0).round() / 1000.0,
                why: a.why,
                leads_here: a.leads_here,
                scenarios: a.scenarios,
                distinguish: a.distinguish,
                fix: a.fix,
            }
        })
        .collect();
    Explanation {
        version: FORMAT_VERSION,
        matches,
        candidates,
    }
}

/// The JDK `jdk` text of the failure whose JDK 17 text is `text17` (the same generator case
/// on the other JDK), with its host; `None` when the catalogue has no such pair.
pub fn dialect(text17: &str, jdk: u32) -> Option<String> {
    if jdk == 17 {
        return Some(text17.to_owned());
    }
    let texts = recorded();
    for r in texts.iter().filter(|r| r.jdk == 17) {
        let Some(host) = template_host(&r.text, text17) else {
            continue;
        };
        // A socket error that raced with the alert on the other JDK is no dialect.
        let racy = |t: &str| {
            t.starts_with("java.net.SocketException")
                != text17.starts_with("java.net.SocketException")
        };
        if let Some(other) = texts
            .iter()
            .find(|o| o.jdk == jdk && o.case == r.case && !racy(&o.text))
        {
            return Some(other.text.replace("{host}", &host));
        }
    }
    None
}

/// When `text` is `template` with some host for `{host}`: that host.
fn template_host(template: &str, text: &str) -> Option<String> {
    match template.split_once("{host}") {
        None => (template == text).then(String::new),
        Some((before, after)) => {
            let host = text.strip_prefix(before)?.strip_suffix(after)?;
            (!host.is_empty() && !host.contains(' ')).then(|| host.to_owned())
        }
    }
}

/// The explanation for people.
pub fn render_text(e: &Explanation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if e.candidates.is_empty() {
        out.push_str(
            "No known Java or CPI text found in the input.\n\
             Run `harness connect HOST[:PORT]` (with `--keystore` or `--tenant`) against the \
             receiver to see what happens and why.\n",
        );
        return out;
    }
    let _ = writeln!(out, "Found {} known text(s):", e.matches.len());
    for m in &e.matches {
        let jdks = if m.cpi {
            "CPI".to_owned()
        } else {
            format!(
                "JDK {}",
                m.jdks
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            out,
            "  line {}{}: `{}` ({jdks}) -> {}",
            m.line,
            if m.innermost && m.depth > 0 {
                " (innermost cause)"
            } else {
                ""
            },
            m.found,
            m.classes
                .iter()
                .map(|c| c.id())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(out, "\nCandidates, most likely first:");
    for (i, c) in e.candidates.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}. {} (score {}): {}",
            i + 1,
            c.class,
            c.score,
            c.class.description()
        );
        let _ = writeln!(out, "   why: {}", c.why);
        for row in c.leads_here {
            let _ = writeln!(out, "   leads here: {row}");
        }
        if !c.scenarios.is_empty() {
            let filters: Vec<String> = c
                .scenarios
                .iter()
                .map(|s| format!("--filter {s}"))
                .collect();
            let _ = writeln!(
                out,
                "   reproduce: cargo run -p scenarios -- run {}",
                filters.join(" ")
            );
        }
        let _ = writeln!(out, "   tell apart: {}", c.distinguish);
        let _ = writeln!(out, "   fix: {}", c.fix);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_innermost_message() {
        assert_eq!(
            key_of(
                "javax.net.ssl.SSLHandshakeException: (handshake_failure) Received fatal alert: handshake_failure"
            ),
            "Received fatal alert: handshake_failure"
        );
        assert_eq!(
            key_of("java.net.UnknownHostException: {host}"),
            "java.net.UnknownHostException: {host}"
        );
        assert_eq!(
            key_of(
                "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: \
                 java.security.cert.CertPathValidatorException: validity check failed"
            ),
            "validity check failed"
        );
    }

    #[test]
    fn unknown_text_has_no_candidates_and_says_so() {
        let e = explain(b"everything is fine");
        assert!(e.candidates.is_empty() && e.matches.is_empty());
        assert!(render_text(&e).contains("harness connect"));
    }

    #[test]
    fn hosts_are_matched_around_the_template() {
        let e = explain(b"x: No name matching api.example.com found\n");
        assert_eq!(e.candidates[0].class, FailureClass::NameMismatch);
        assert_eq!(e.matches[0].found, "No name matching api.example.com found");
        let e =
            explain(b"java.net.UnknownHostException: nohost.example: Name or service not known");
        assert_eq!(e.candidates[0].class, FailureClass::UnknownHost);
    }

    #[test]
    fn dialects_follow_the_measured_rows() {
        let t17 = "javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure";
        assert_eq!(dialect(t17, 17).as_deref(), Some(t17));
        assert_eq!(
            dialect(t17, 25).as_deref(),
            Some(
                "javax.net.ssl.SSLHandshakeException: (handshake_failure) Received fatal alert: handshake_failure"
            )
        );
    }
}
