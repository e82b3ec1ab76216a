//! Scenario files -> [`Scenario`]: TOML, `version = 1`, unknown fields refused, every reference
//! resolved, and every error naming the file, the line and the field.
//!
//! Loading is serde straight into the model ([`Step`] is an enum tagged by `action`, every
//! struct denies unknown fields), with `serde_path_to_error` for the field's path, then a
//! check of every reference against what earlier steps created (receiver names, keystores,
//! aliases, downloads). Both kinds of error find their line in the span tree of
//! `toml::de::DeTable`, so they read the same: ``suite/x.toml:12:1: field `step[3].alias`:
//! ...``. Array items are counted from 1, as a reader counts `[[step]]` tables.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use harness::keystore::WriteOptions;
use harness::pki::{KeyType, Role};
use harness::tenant::{SAP_KEY_PAIR_ALIAS, reserved_prefix};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::{
    CertSource, FORMAT_VERSION, Receiver, Scenario, Step, Tenant, TenantOperation, World,
};

/// Why a scenario file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read scenario `{file}`")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is read, but a field is wrong (syntax, type, unknown field, bad reference).
    #[error("{file}:{line}:{column}: field `{field}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field's path (`step[3].expect.outcome`, array items counted from 1), or `-`
        /// for a syntax error.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl LoadError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            LoadError::Read { file, .. } | LoadError::Invalid { file, .. } => file,
        }
    }
}

/// The commented scenario `scenarios new NAME` writes: it loads, and runs with every
/// expectation met, as it is.
pub const TEMPLATE: &str = include_str!("load/template.toml");

/// Reads and loads one scenario file; the id is the file stem.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        file: file.clone(),
        source,
    })?;
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.clone());
    load_str(&id, &file, &text)
}

/// Loads a scenario from text. `id` is its id, `file` names it in errors.
pub fn load_str(id: &str, file: &str, text: &str) -> Result<Scenario, LoadError> {
    let syntax = |e: toml::de::Error| {
        let (line, column) = line_column(text, e.span().unwrap_or(0..0).start);
        LoadError::Invalid {
            file: file.to_owned(),
            line,
            column,
            field: "-".to_owned(),
            message: first_line(e.message()),
        }
    };
    let tree = DeTable::parse(text).map_err(syntax)?;
    let locator = Locator {
        file,
        text,
        tree: &tree,
    };
    let deserializer = toml::de::Deserializer::parse(text).map_err(syntax)?;
    let raw: File =
        serde_path_to_error::deserialize(deserializer).map_err(|e| locator.serde_error(&e))?;
    Checker {
        locator: &locator,
        keystores: BTreeMap::new(),
        tenant_aliases: [SAP_KEY_PAIR_ALIAS.to_owned()].into(),
        downloaded: BTreeSet::new(),
        receivers: BTreeSet::new(),
        users: BTreeSet::new(),
    }
    .scenario(id, file, raw)
}

// ---- the file -------------------------------------------------------------------------------

/// A scenario file as written: the model's types, plus the world's texts. (The doc comments
/// of these fields, like those of the model's, are docs/SCENARIOS.md's text.)
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The format version: `1`.
    version: u32,
    /// The chain drawn in ASCII, and why the expectation follows (`scenarios list` shows its
    /// first line).
    description: String,
    /// The world the test PKI is generated from.
    #[serde(default)]
    world: FileWorld,
    /// The tenant as provisioned, before any step.
    #[serde(default)]
    tenant: Tenant,
    /// The receivers, each a mock HTTPS server on loopback.
    #[serde(default)]
    receiver: Vec<Receiver>,
    /// The steps, run in file order.
    #[serde(default)]
    step: Vec<Step>,
}

/// The world: what the seeded test PKI (every certificate and key of the scenario) is
/// generated from.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileWorld {
    /// The seed of the test PKI; the same seed gives the same keys and certificates. `scenarios
    /// run --seed N` overrides it. Default: `1` (or `--seed`).
    seed: Option<u64>,
    /// The key type of every certificate. Default: `"p256"`.
    key_type: Option<String>,
    /// The simulated "now" (RFC 3339) certificates are valid at; `--now` overrides it.
    /// Default: `"2026-06-01T00:00:00Z"` (or `--now`).
    now: Option<String>,
    /// The iteration count JCEKS keys are sealed with (Java's `jdk.jceks.iterationCount`;
    /// JDK 17 and CPI use 200,000); a low count only makes the run faster. `scenarios run
    /// --jceks-iterations N` overrides it. Default: `200000`.
    jceks_iterations: Option<u32>,
}

// ---- the reference check --------------------------------------------------------------------

struct Checker<'a> {
    locator: &'a Locator<'a>,
    /// Keystore name -> (password, lower-cased aliases).
    keystores: BTreeMap<String, (String, Vec<String>)>,
    /// Aliases that exist in the tenant (lower-cased, as CPI compares them).
    tenant_aliases: BTreeSet<String>,
    /// Aliases whose `.p7b` has been downloaded (lower-cased).
    downloaded: BTreeSet<String>,
    receivers: BTreeSet<String>,
    /// Technical users some receiver maps (at start or by a configure-receiver step).
    users: BTreeSet<String>,
}

/// One segment of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    /// 0-based (rendered from 1).
    Index(usize),
}

fn key(name: &str) -> Seg {
    Seg::Key(name.to_owned())
}

impl Checker<'_> {
    fn scenario(mut self, id: &str, file: &str, raw: File) -> Result<Scenario, LoadError> {
        if raw.version != FORMAT_VERSION {
            return Err(self.err(
                &[key("version")],
                format!(
                    "unsupported version {} (this build reads version {FORMAT_VERSION})",
                    raw.version
                ),
            ));
        }
        if raw.description.trim().is_empty() {
            return Err(self.err(
                &[key("description")],
                "must draw the chain and say why the expectation follows".into(),
            ));
        }
        let world = self.world(raw.world)?;
        self.tenant_aliases.extend(
            raw.tenant
                .preinstalled
                .iter()
                .map(|role| crate::runner::preinstalled_alias(*role).to_ascii_lowercase()),
        );
        // A twin keystore (`harness capture`) brings its aliases.
        if let Some(k) = &raw.tenant.keystore {
            self.tenant_aliases
                .extend(k.aliases.iter().map(|a| a.to_ascii_lowercase()));
        }
        for (i, receiver) in raw.receiver.iter().enumerate() {
            self.receiver(i, receiver)?;
        }
        let mut steps = raw.step;
        for (i, step) in steps.iter_mut().enumerate() {
            self.step(i, step)?;
        }
        Ok(Scenario {
            id: id.to_owned(),
            source: file.to_owned(),
            description: raw.description.trim_end().to_owned(),
            world,
            tenant: raw.tenant,
            receivers: raw.receiver,
            steps,
        })
    }

    fn err(&self, at: &[Seg], message: String) -> LoadError {
        self.locator.at_path(at, None, message)
    }

    fn world(&self, raw: FileWorld) -> Result<World, LoadError> {
        let at = |name| [key("world"), key(name)];
        let key_type = match raw.key_type {
            None => KeyType::P256,
            Some(name) => name
                .parse::<KeyType>()
                .map_err(|e| self.err(&at("key_type"), e.to_string()))?,
        };
        let now = match raw.now {
            None => None,
            Some(text) => Some(
                harness::time::parse_rfc3339(&text)
                    .map_err(|e| self.err(&at("now"), e.to_string()))?,
            ),
        };
        let jceks_iterations = raw
            .jceks_iterations
            .unwrap_or(World::DEFAULT_JCEKS_ITERATIONS);
        if jceks_iterations == 0 || jceks_iterations > WriteOptions::MAX_JCEKS_ITERATIONS {
            return Err(self.err(
                &at("jceks_iterations"),
                format!(
                    "{jceks_iterations} is outside 1 to {} (Java's `jdk.jceks.iterationCount`)",
                    WriteOptions::MAX_JCEKS_ITERATIONS
                ),
            ));
        }
        Ok(World {
            seed: raw.seed,
            key_type,
            now,
            jceks_iterations,
        })
    }

    fn receiver(&mut self, i: usize, receiver: &Receiver) -> Result<(), LoadError> {
        let at = |name: &str| vec![key("receiver"), Seg::Index(i), key(name)];
        if !self.receivers.insert(receiver.name.clone()) {
            return Err(self.err(
                &at("name"),
                format!("receiver `{}` is declared twice", receiver.name),
            ));
        }
        self.users
            .extend(receiver.users.iter().map(|u| u.user.clone()));
        for (j, mapping) in receiver.users.iter().enumerate() {
            if !matches!(mapping.certificate, CertSource::Role(_)) {
                let mut p = at("users");
                p.extend([Seg::Index(j), key("certificate")]);
                return Err(self.err(
                    &p,
                    format!(
                        "a receiver starts with world certificates only (`{}` is a download: map it in a configure-receiver step)",
                        mapping.certificate
                    ),
                ));
            }
        }
        if receiver.unmapped_status != 401 && receiver.unmapped_status != 403 {
            return Err(self.err(
                &at("unmapped_status"),
                format!("must be 401 or 403, not {}", receiver.unmapped_status),
            ));
        }
        if receiver.tls_versions.is_empty() {
            return Err(self.err(&at("tls_versions"), "must name at least one version".into()));
        }
        Ok(())
    }

    fn step(&mut self, i: usize, step: &mut Step) -> Result<(), LoadError> {
        let at = |name: &str| vec![key("step"), Seg::Index(i), key(name)];
        match step {
            Step::BuildKeystore {
                keystore,
                password,
                trusted,
                key_pairs,
                ..
            } => {
                let mut aliases = Vec::new();
                for (j, entry) in trusted.iter().chain(key_pairs.iter()).enumerate() {
                    let lower = entry.alias.to_ascii_lowercase();
                    if aliases.contains(&lower) {
                        let field = if j < trusted.len() {
                            "trusted"
                        } else {
                            "key_pairs"
                        };
                        return Err(self.err(
                            &at(field),
                            format!(
                                "alias `{}` is used twice in keystore `{keystore}`",
                                entry.alias
                            ),
                        ));
                    }
                    aliases.push(lower);
                }
                if self.keystores.contains_key(keystore.as_str()) {
                    return Err(self.err(
                        &at("keystore"),
                        format!("keystore `{keystore}` is built twice"),
                    ));
                }
                self.keystores
                    .insert(keystore.clone(), (password.clone(), aliases));
            }
            Step::Upload {
                keystore,
                password,
                wrong_password,
                ..
            } => {
                let Some((saved, aliases)) = self.keystores.get(keystore.as_str()) else {
                    return Err(self.err(
                        &at("keystore"),
                        format!("keystore `{keystore}` is never built (add a build-keystore step before)"),
                    ));
                };
                *wrong_password = password.as_ref().is_some_and(|typed| typed != saved);
                self.tenant_aliases.extend(aliases.iter().cloned());
            }
            Step::Tenant {
                operation,
                alias,
                argument,
                ..
            } => {
                match operation {
                    TenantOperation::Delete | TenantOperation::Rename => {
                        self.known_alias(&at("alias"), alias)?;
                    }
                    TenantOperation::AddCertificate => {
                        let Some(arg) = argument.as_deref() else {
                            return Err(self.err(
                                &at("operation"),
                                "operation `add-certificate` needs field `argument` (a world role)"
                                    .into(),
                            ));
                        };
                        if arg.parse::<Role>().is_err() {
                            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                            return Err(self.err(
                                &at("argument"),
                                format!(
                                    "unknown certificate `{arg}` (expected a world role: {})",
                                    roles.join(", ")
                                ),
                            ));
                        }
                    }
                    TenantOperation::AddOversizedCertificate => {}
                }
                match operation {
                    TenantOperation::Rename => {
                        let Some(new) = argument else {
                            return Err(self.err(
                                &at("operation"),
                                "operation `rename` needs field `argument` (the new alias)".into(),
                            ));
                        };
                        self.tenant_aliases.insert(new.to_ascii_lowercase());
                    }
                    TenantOperation::AddCertificate | TenantOperation::AddOversizedCertificate => {
                        self.tenant_aliases.insert(alias.to_ascii_lowercase());
                    }
                    TenantOperation::Delete => {}
                }
            }
            Step::Download { alias, .. } => {
                self.known_alias(&at("alias"), alias)?;
                self.downloaded.insert(alias.to_ascii_lowercase());
            }
            Step::ConfigureReceiver {
                receiver,
                trust,
                users,
                ..
            } => {
                self.known_receiver(&at("receiver"), receiver)?;
                for (j, source) in trust.iter().enumerate() {
                    let mut p = at("trust");
                    p.push(Seg::Index(j));
                    self.downloaded_source(&p, source)?;
                }
                for (j, mapping) in users.iter().enumerate() {
                    let mut p = at("users");
                    p.extend([Seg::Index(j), key("certificate")]);
                    self.downloaded_source(&p, &mapping.certificate)?;
                    self.users.insert(mapping.user.clone());
                }
            }
            Step::Connect {
                receiver,
                client_certificate,
                ..
            }
            | Step::Request {
                receiver,
                client_certificate,
                ..
            } => {
                self.known_receiver(&at("receiver"), receiver)?;
                if let Some(alias) = client_certificate.as_deref()
                    && !alias.is_empty()
                {
                    self.known_alias(&at("client_certificate"), alias)?;
                }
            }
        }
        self.expectations(i, &*step)
    }

    /// The expectation values the loader can check: aliases that the scenario creates,
    /// users that a receiver maps, statuses HTTP has, texts that can fail to match.
    fn expectations(&mut self, i: usize, step: &Step) -> Result<(), LoadError> {
        let expect = step.expect();
        let at = |name: &str, j: Option<usize>| {
            let mut p = vec![key("step"), Seg::Index(i), key("expect"), key(name)];
            p.extend(j.map(Seg::Index));
            p
        };
        if let Some(alias) = &expect.chosen_alias {
            self.known_alias(&at("chosen_alias", None), alias)?;
        }
        for (j, alias) in expect.entries.iter().enumerate() {
            self.known_alias(&at("entries", Some(j)), alias)?;
        }
        for (j, alias) in expect.absent.iter().enumerate() {
            // An alias nothing ever mentions is trivially absent: an expectation that cannot
            // fail is a typo.
            let lower = alias.to_ascii_lowercase();
            if !self.tenant_aliases.contains(&lower)
                && !self.keystores.values().any(|(_, a)| a.contains(&lower))
                && reserved_prefix(alias).is_none()
            {
                return Err(self.err(
                    &at("absent", Some(j)),
                    format!("alias `{alias}` is in no keystore and never in the tenant, so it is always absent (a typo?)"),
                ));
            }
        }
        let uploaded = match step {
            Step::Upload { keystore, .. } => self.keystores.get(keystore).map(|(_, a)| a.clone()),
            _ => None,
        };
        let upload_lists = [
            ("added", &expect.added),
            ("preserved", &expect.preserved),
            ("overwritten", &expect.overwritten),
        ];
        for (name, aliases) in upload_lists {
            for (j, alias) in aliases.iter().enumerate() {
                self.uploaded_alias(&at(name, Some(j)), uploaded.as_deref(), name, alias)?;
            }
        }
        for (j, entry) in expect.refused.iter().enumerate() {
            let mut p = at("refused", Some(j));
            p.push(key("alias"));
            self.uploaded_alias(&p, uploaded.as_deref(), "refused", &entry.alias)?;
        }
        if let Some(user) = &expect.user
            && !self.users.contains(user)
        {
            return Err(self.err(
                &at("user", None),
                format!("user `{user}` is mapped by no receiver (no `users` entry names it before this step)"),
            ));
        }
        if let Some(status) = expect.http_status
            && !(100..=599).contains(&status)
        {
            return Err(self.err(
                &at("http_status", None),
                format!("{status} is no HTTP status (100 to 599)"),
            ));
        }
        for (j, text) in expect.text_contains.iter().enumerate() {
            if text.is_empty() {
                return Err(self.err(
                    &at("text_contains", Some(j)),
                    "an empty text is in every output: the expectation cannot fail".into(),
                ));
            }
        }
        Ok(())
    }

    /// An alias an upload expectation names must be in the uploaded keystore.
    fn uploaded_alias(
        &self,
        at: &[Seg],
        uploaded: Option<&[String]>,
        name: &str,
        alias: &str,
    ) -> Result<(), LoadError> {
        match uploaded {
            None => Err(self.err(
                at,
                format!("`{name}` is an upload's expectation (this step is no upload)"),
            )),
            Some(aliases) if !aliases.contains(&alias.to_ascii_lowercase()) => Err(self.err(
                at,
                format!("alias `{alias}` is not in the uploaded keystore"),
            )),
            Some(_) => Ok(()),
        }
    }

    /// A `leaf-of:` / `root-of:` source needs a download step before.
    fn downloaded_source(&self, at: &[Seg], source: &CertSource) -> Result<(), LoadError> {
        match source {
            CertSource::Role(_) => Ok(()),
            CertSource::DownloadedLeaf(alias) | CertSource::DownloadedRoot(alias) => {
                if self.downloaded.contains(&alias.to_ascii_lowercase()) {
                    Ok(())
                } else {
                    Err(self.err(
                        at,
                        format!("`{alias}.p7b` is never downloaded (add a download step for alias `{alias}` before)"),
                    ))
                }
            }
        }
    }

    fn known_alias(&self, at: &[Seg], alias: &str) -> Result<(), LoadError> {
        if self.tenant_aliases.contains(&alias.to_ascii_lowercase())
            || reserved_prefix(alias).is_some()
        {
            Ok(())
        } else {
            Err(self.err(
                at,
                format!("alias `{alias}` is never created (no earlier step puts it in the tenant keystore)"),
            ))
        }
    }

    fn known_receiver(&self, at: &[Seg], name: &str) -> Result<(), LoadError> {
        if self.receivers.contains(name) {
            Ok(())
        } else {
            Err(self.err(
                at,
                format!("receiver `{name}` is never declared (add a [[receiver]] with this name)"),
            ))
        }
    }
}

// ---- spans ----------------------------------------------------------------------------------

struct Locator<'a> {
    file: &'a str,
    text: &'a str,
    tree: &'a Spanned<DeTable<'a>>,
}

/// A node of the span tree: what it is, the span of its key (or of the item, in an array)
/// and the span of its value.
struct Found<'t> {
    node: Node<'t>,
    key_span: Range<usize>,
    value_span: Range<usize>,
}

#[derive(Clone, Copy)]
enum Node<'t> {
    Table(&'t DeTable<'t>),
    Array(&'t toml::de::DeArray<'t>),
    Leaf,
}

impl Locator<'_> {
    /// An error of serde: the path serde_path_to_error tracked, completed from the message
    /// where serde stopped tracking (inside a step, which serde reads through a buffer to
    /// find its `action`).
    fn serde_error(&self, error: &serde_path_to_error::Error<toml::de::Error>) -> LoadError {
        let mut at: Vec<Seg> = Vec::new();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => at.push(Seg::Index(*index)),
                serde_path_to_error::Segment::Map { key } => at.push(Seg::Key(key.clone())),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        let message = first_line(error.inner().message());
        let quoted = message.split('`').nth(1).map(str::to_owned);
        // The deepest node that exists: the path may name a field the file lacks.
        while !at.is_empty() && self.find(&at).is_none() {
            at.pop();
        }
        if let Some(field) = &quoted {
            if message.starts_with("missing field") {
                // The table that lacks it gives the line; the field names it.
                let mut shown = at.clone();
                shown.push(Seg::Key(field.clone()));
                return self.at_path(&at, Some(&render_path(&shown)), message);
            }
            if message.starts_with("unknown field") {
                // serde_path_to_error names the key, except inside a step (read through a
                // buffer): there the key is searched for in the step's table.
                if at.last() != Some(&Seg::Key(field.clone()))
                    && let Some(Found {
                        node: Node::Table(table),
                        ..
                    }) = self.find(&at)
                {
                    at.extend(find_key(table, field));
                }
                return self.at_path(&at, None, message);
            }
        }
        // A bad value inside a table serde read as a whole (a step): find the value that
        // holds the span or the quoted text.
        if let Some(Found {
            node: Node::Table(table),
            ..
        }) = self.find(&at)
        {
            let span = error.inner().span();
            let wanted = quoted.as_deref().or_else(|| message.split('"').nth(1));
            let mut found = Vec::new();
            if find_value(table, span.as_ref(), wanted, &mut found) {
                at.extend(found);
            }
        }
        self.at_path_with_span(&at, error.inner().span(), message)
    }

    /// An error at a path: the deepest node of the path that exists in the file gives the
    /// line; `shown` overrides the field path printed.
    fn at_path(&self, at: &[Seg], shown: Option<&str>, message: String) -> LoadError {
        let start = self.span_of(at).start;
        self.invalid(
            start,
            shown.map_or_else(|| render_path(at), str::to_owned),
            message,
        )
    }

    /// Like [`Locator::at_path`], but a span serde reported inside the node's value is more
    /// precise (the value itself).
    fn at_path_with_span(
        &self,
        at: &[Seg],
        span: Option<Range<usize>>,
        message: String,
    ) -> LoadError {
        let found = self.find(at);
        let start = match (found, span) {
            (
                Some(Found {
                    node: Node::Leaf,
                    value_span,
                    ..
                }),
                Some(span),
            ) if value_span.start <= span.start
                && span.start < value_span.end.max(span.start + 1) =>
            {
                span.start
            }
            (Some(found), _) => found.key_span.start,
            (None, Some(span)) => span.start,
            (None, None) => 0,
        };
        self.invalid(start, render_path(at), message)
    }

    fn invalid(&self, offset: usize, field: String, message: String) -> LoadError {
        let (line, column) = line_column(self.text, offset);
        LoadError::Invalid {
            file: self.file.to_owned(),
            line,
            column,
            field: if field.is_empty() { "-".into() } else { field },
            message,
        }
    }

    fn span_of(&self, at: &[Seg]) -> Range<usize> {
        (1..=at.len())
            .rev()
            .find_map(|depth| self.find(&at[..depth]))
            .map_or_else(|| self.tree.span(), |found| found.key_span)
    }

    /// The node at a path.
    fn find(&self, at: &[Seg]) -> Option<Found<'_>> {
        let mut found = Found {
            node: Node::Table(self.tree.get_ref()),
            key_span: self.tree.span(),
            value_span: self.tree.span(),
        };
        for seg in at {
            let (key_span, value): (Range<usize>, &Spanned<DeValue<'_>>) = match (seg, found.node) {
                (Seg::Key(name), Node::Table(table)) => {
                    let (k, v) = table.iter().find(|(k, _)| k.get_ref() == name)?;
                    (k.span(), v)
                }
                (Seg::Index(index), Node::Array(array)) => {
                    let v = array.get(*index)?;
                    (v.span(), v)
                }
                _ => return None,
            };
            found = Found {
                node: match value.get_ref() {
                    DeValue::Table(t) => Node::Table(t),
                    DeValue::Array(a) => Node::Array(a),
                    _ => Node::Leaf,
                },
                key_span,
                value_span: value.span(),
            };
        }
        Some(found)
    }
}

/// Finds, under `table`, the value at `span` or else the string value `wanted`; pushes its
/// path onto `out` and says whether it found one.
fn find_value(
    table: &DeTable<'_>,
    span: Option<&Range<usize>>,
    wanted: Option<&str>,
    out: &mut Vec<Seg>,
) -> bool {
    fn walk(
        value: &Spanned<DeValue<'_>>,
        test: &dyn Fn(&Spanned<DeValue<'_>>) -> bool,
        out: &mut Vec<Seg>,
    ) -> bool {
        match value.get_ref() {
            DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    out.push(Seg::Key(k.get_ref().to_string()));
                    if walk(v, test, out) {
                        return true;
                    }
                    out.pop();
                }
                false
            }
            DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    out.push(Seg::Index(i));
                    if walk(v, test, out) {
                        return true;
                    }
                    out.pop();
                }
                false
            }
            _ => test(value),
        }
    }
    let at_span = |v: &Spanned<DeValue<'_>>| {
        span.is_some_and(|s| {
            let r = v.span();
            r.start <= s.start && s.start < r.end && !(s.start == 0 && s.end == 0)
        })
    };
    let is_wanted = |v: &Spanned<DeValue<'_>>| match (v.get_ref(), wanted) {
        (DeValue::String(text), Some(w)) => text.as_ref() == w,
        _ => false,
    };
    for test in [
        &at_span as &dyn Fn(&Spanned<DeValue<'_>>) -> bool,
        &is_wanted,
    ] {
        for (k, v) in table.iter() {
            out.push(Seg::Key(k.get_ref().to_string()));
            if walk(v, test, out) {
                return true;
            }
            out.pop();
        }
    }
    false
}

/// The path to the first key named `name` in `table` or the tables below it; the key alone
/// when there is none.
fn find_key(table: &DeTable<'_>, name: &str) -> Vec<Seg> {
    fn walk(table: &DeTable<'_>, name: &str, out: &mut Vec<Seg>) -> bool {
        if table.iter().any(|(k, _)| k.get_ref() == name) {
            out.push(Seg::Key(name.to_owned()));
            return true;
        }
        for (k, v) in table.iter() {
            if let DeValue::Table(inner) = v.get_ref() {
                out.push(Seg::Key(k.get_ref().to_string()));
                if walk(inner, name, out) {
                    return true;
                }
                out.pop();
            }
        }
        false
    }
    let mut out = Vec::new();
    if !walk(table, name, &mut out) {
        out = vec![Seg::Key(name.to_owned())];
    }
    out
}

/// `step[3].expect.outcome`: keys joined with `.`, array items counted from 1.
fn render_path(at: &[Seg]) -> String {
    let mut out = String::new();
    for seg in at {
        match seg {
            Seg::Key(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Seg::Index(i) => out.push_str(&format!("[{}]", i + 1)),
        }
    }
    out
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, column)
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_owned()
}

#[cfg(test)]
mod tests;
