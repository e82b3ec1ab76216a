//! Scenario files -> [`Scenario`]: TOML, `version = 1`, unknown fields refused, every reference
//! resolved, and every error naming the file, the line and the field.
//!
//! Loading is two passes over the same text: serde into the raw structs below (type errors
//! and unknown fields, with the `toml` crate's spans), then a check of each step against what
//! its action allows and of every reference against what earlier steps created. The second
//! pass finds its lines in the span tree of `toml::de::DeTable`, so both kinds of error read
//! the same: ``suite/x.toml:12:1: field `step[2].alias`: ...``.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use harness::keystore::WriteOptions;
use harness::pki::{KeyType, Role};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::{
    AliasPolicy, AliasedCert, CaNames, CertSource, ChainExtent, ClientAuth, Expect, FORMAT_VERSION,
    Fault, KeystoreFormat, Outcome, Receiver, Refusal, Rejection, SAP_OWNED_ALIASES, Scenario,
    ServerCertificate, Step, TenantOperation, TenantRole, TlsVersion, UploadMode, UserMapping,
    World, is_reserved_alias,
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
        /// The field's path (`step[2].expect.outcome`), or `-` for a syntax error.
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
    let tree = match DeTable::parse(text) {
        Ok(tree) => tree,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let (line, column) = line_column(text, span.start);
            return Err(LoadError::Invalid {
                file: file.to_owned(),
                line,
                column,
                field: "-".to_owned(),
                message: first_line(e.message()),
            });
        }
    };
    let locator = Locator {
        file,
        text,
        tree: &tree,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        locator.at_span(span, first_line(e.message()))
    })?;
    Checker {
        locator: &locator,
        keystores: BTreeMap::new(),
        tenant_aliases: SAP_OWNED_ALIASES.iter().map(|a| a.to_string()).collect(),
        downloaded: BTreeSet::new(),
        receivers: BTreeSet::new(),
    }
    .scenario(id, file, raw)
}

// ---- raw serde structs ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: u32,
    description: String,
    #[serde(default)]
    world: RawWorld,
    #[serde(default)]
    tenant: RawTenant,
    #[serde(default)]
    receiver: Vec<RawReceiver>,
    #[serde(default)]
    step: Vec<RawStep>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWorld {
    seed: Option<u64>,
    key_type: Option<String>,
    now: Option<String>,
    jceks_iterations: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    #[serde(default)]
    preinstalled: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceiver {
    name: String,
    profile: String,
    certificate: Option<String>,
    client_auth: Option<String>,
    #[serde(default)]
    trust: Vec<String>,
    ca_names: Option<String>,
    rejection: Option<String>,
    #[serde(default)]
    users: Vec<RawUser>,
    #[serde(default)]
    one_user_per_certificate: bool,
    #[serde(default)]
    require_mapping: bool,
    unmapped_status: Option<u16>,
    fault: Option<String>,
    tls_versions: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    certificate: String,
    user: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAliased {
    alias: String,
    certificate: String,
    chain: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    action: String,
    keystore: Option<String>,
    format: Option<String>,
    password: Option<String>,
    trusted: Option<Vec<RawAliased>>,
    key_pairs: Option<Vec<RawAliased>>,
    role: Option<String>,
    mode: Option<String>,
    operation: Option<String>,
    alias: Option<String>,
    argument: Option<String>,
    receiver: Option<String>,
    trust: Option<Vec<String>>,
    users: Option<Vec<RawUser>>,
    validate: Option<bool>,
    client_certificate: Option<String>,
    policy: Option<String>,
    method: Option<String>,
    path: Option<String>,
    host: Option<String>,
    tls_versions: Option<Vec<String>>,
    #[serde(default)]
    expect: RawExpect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    outcome: Option<String>,
    client_certificate_used: Option<bool>,
    chosen_alias: Option<String>,
    user: Option<String>,
    http_status: Option<u16>,
    certificates: Option<usize>,
    #[serde(default)]
    entries: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    added: Vec<String>,
    #[serde(default)]
    preserved: Vec<String>,
    #[serde(default)]
    overwritten: Vec<String>,
    #[serde(default)]
    refused: Vec<RawRefusal>,
    refused_with: Option<String>,
    #[serde(default)]
    text_contains: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefusal {
    alias: String,
    reason: String,
}

/// The fields each action allows (besides `action` and `expect`).
fn allowed_fields(action: &str) -> Option<&'static [&'static str]> {
    Some(match action {
        "build-keystore" => &["keystore", "format", "password", "trusted", "key_pairs"],
        "upload" => &["keystore", "password", "role", "mode"],
        "tenant" => &["operation", "alias", "argument", "role"],
        "download" => &["alias", "role"],
        "configure-receiver" => &["receiver", "trust", "users"],
        "connect" => &[
            "receiver",
            "validate",
            "client_certificate",
            "policy",
            "host",
            "tls_versions",
        ],
        "request" => &["receiver", "client_certificate", "method", "path"],
        _ => return None,
    })
}

const ACTIONS: &str =
    "build-keystore, upload, tenant, download, configure-receiver, connect, request";

// ---- second pass: per-action fields and references -----------------------------------------

struct Checker<'a> {
    locator: &'a Locator<'a>,
    /// Keystore name -> (password, aliases).
    keystores: BTreeMap<String, (String, Vec<String>)>,
    /// Aliases that exist in the tenant (lower-cased, as CPI compares them).
    tenant_aliases: BTreeSet<String>,
    /// Aliases whose `.p7b` has been downloaded.
    downloaded: BTreeSet<String>,
    receivers: BTreeSet<String>,
}

type Path2 = Vec<Seg>;

#[derive(Clone)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

fn path(segs: &[Seg]) -> Path2 {
    segs.to_vec()
}

impl Checker<'_> {
    fn scenario(mut self, id: &str, file: &str, raw: RawFile) -> Result<Scenario, LoadError> {
        if raw.version != FORMAT_VERSION {
            return Err(self.err(
                &[Seg::Key("version")],
                format!(
                    "unsupported version {} (this build reads version {FORMAT_VERSION})",
                    raw.version
                ),
            ));
        }
        if raw.description.trim().is_empty() {
            return Err(self.err(
                &[Seg::Key("description")],
                "must draw the chain and say why the expectation follows".into(),
            ));
        }
        let world = self.world(raw.world)?;
        let mut preinstalled = Vec::new();
        for (j, name) in raw.tenant.preinstalled.iter().enumerate() {
            preinstalled.push(self.role(
                &[Seg::Key("tenant"), Seg::Key("preinstalled"), Seg::Index(j)],
                name,
            )?);
        }
        let mut receivers = Vec::new();
        for (i, r) in raw.receiver.into_iter().enumerate() {
            receivers.push(self.receiver(i, r)?);
        }
        let mut steps = Vec::new();
        for (i, s) in raw.step.into_iter().enumerate() {
            steps.push(self.step(i, s)?);
        }
        Ok(Scenario {
            id: id.to_owned(),
            source: file.to_owned(),
            description: raw.description.trim_end().to_owned(),
            world,
            tenant: crate::model::Tenant { preinstalled },
            receivers,
            steps,
        })
    }

    fn err(&self, at: &[Seg], message: String) -> LoadError {
        self.locator.at_path(at, message)
    }

    fn parse<T: FromStr<Err = String>>(&self, at: &[Seg], text: &str) -> Result<T, LoadError> {
        text.parse::<T>().map_err(|m| self.err(at, m))
    }

    fn role(&self, at: &[Seg], text: &str) -> Result<Role, LoadError> {
        text.parse::<Role>().map_err(|_| {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            self.err(
                at,
                format!(
                    "unknown certificate `{text}` (expected a world role: {})",
                    roles.join(", ")
                ),
            )
        })
    }

    fn world(&self, raw: RawWorld) -> Result<World, LoadError> {
        let key_type = match raw.key_type {
            None => KeyType::P256,
            Some(name) => name
                .parse::<KeyType>()
                .map_err(|e| self.err(&[Seg::Key("world"), Seg::Key("key_type")], e.to_string()))?,
        };
        let now = match raw.now {
            None => None,
            Some(text) => Some(
                harness::time::parse_rfc3339(&text)
                    .map_err(|e| self.err(&[Seg::Key("world"), Seg::Key("now")], e.to_string()))?,
            ),
        };
        let jceks_iterations = raw
            .jceks_iterations
            .unwrap_or(World::DEFAULT_JCEKS_ITERATIONS);
        if jceks_iterations == 0 || jceks_iterations > WriteOptions::MAX_JCEKS_ITERATIONS {
            return Err(self.err(
                &[Seg::Key("world"), Seg::Key("jceks_iterations")],
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

    fn receiver(&mut self, i: usize, raw: RawReceiver) -> Result<Receiver, LoadError> {
        let at = |key| path(&[Seg::Key("receiver"), Seg::Index(i), Seg::Key(key)]);
        if !self.receivers.insert(raw.name.clone()) {
            return Err(self.err(
                &at("name"),
                format!("receiver `{}` is declared twice", raw.name),
            ));
        }
        let mut trust = Vec::new();
        for (j, t) in raw.trust.iter().enumerate() {
            let mut p = at("trust");
            p.push(Seg::Index(j));
            trust.push(self.role(&p, t)?);
        }
        let mut users = Vec::new();
        for (j, u) in raw.users.iter().enumerate() {
            let mut p = at("users");
            p.extend([Seg::Index(j), Seg::Key("certificate")]);
            users.push(UserMapping {
                certificate: CertSource::Role(self.role(&p, &u.certificate)?),
                user: u.user.clone(),
            });
        }
        let unmapped_status = raw.unmapped_status.unwrap_or(401);
        if unmapped_status != 401 && unmapped_status != 403 {
            return Err(self.err(
                &at("unmapped_status"),
                format!("must be 401 or 403, not {unmapped_status}"),
            ));
        }
        let tls_versions = match &raw.tls_versions {
            None => TlsVersion::ALL.to_vec(),
            Some(list) if list.is_empty() => {
                return Err(self.err(&at("tls_versions"), "must name at least one version".into()));
            }
            Some(list) => {
                let mut out = Vec::new();
                for (j, v) in list.iter().enumerate() {
                    let mut p = at("tls_versions");
                    p.push(Seg::Index(j));
                    out.push(self.parse::<TlsVersion>(&p, v)?);
                }
                out
            }
        };
        Ok(Receiver {
            profile: self.parse(&at("profile"), &raw.profile)?,
            certificate: opt(
                self,
                &at("certificate"),
                raw.certificate,
                ServerCertificate::Valid,
            )?,
            client_auth: opt(self, &at("client_auth"), raw.client_auth, ClientAuth::None)?,
            ca_names: opt(self, &at("ca_names"), raw.ca_names, CaNames::TrustStore)?,
            rejection: opt(self, &at("rejection"), raw.rejection, Rejection::Alert)?,
            fault: opt(self, &at("fault"), raw.fault, Fault::None)?,
            name: raw.name,
            trust,
            users,
            one_user_per_certificate: raw.one_user_per_certificate,
            require_mapping: raw.require_mapping,
            unmapped_status,
            tls_versions,
        })
    }

    fn step(&mut self, i: usize, raw: RawStep) -> Result<Step, LoadError> {
        let base = [Seg::Key("step"), Seg::Index(i)];
        let at = |key: &'static str| {
            let mut p = base.to_vec();
            p.push(Seg::Key(key));
            p
        };
        let Some(allowed) = allowed_fields(&raw.action) else {
            return Err(self.err(
                &at("action"),
                format!(
                    "unknown action `{}` (expected one of: {ACTIONS})",
                    raw.action
                ),
            ));
        };
        for key in self.locator.keys(&base) {
            if key != "action" && key != "expect" && !allowed.contains(&key.as_str()) {
                let field: &'static str = FIELD_NAMES
                    .iter()
                    .copied()
                    .find(|f| *f == key)
                    .unwrap_or("action");
                return Err(self.err(
                    &at(field),
                    format!(
                        "field `{key}` does not apply to action `{}` (it takes: {})",
                        raw.action,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        let need = |value: Option<String>, key: &'static str| {
            value.ok_or_else(|| {
                self.err(
                    &base,
                    format!("action `{}` needs field `{key}`", raw.action),
                )
            })
        };
        let role = |this: &Self, value: Option<String>| -> Result<TenantRole, LoadError> {
            opt(this, &at("role"), value, TenantRole::Admin)
        };
        let expect = self.expect(&base, raw.expect)?;
        let step = match raw.action.as_str() {
            "build-keystore" => {
                let keystore = need(raw.keystore, "keystore")?;
                let password = need(raw.password, "password")?;
                let format = opt(self, &at("format"), raw.format, KeystoreFormat::Jceks)?;
                let trusted = self.aliased(&at("trusted"), raw.trusted.unwrap_or_default())?;
                let key_pairs =
                    self.aliased(&at("key_pairs"), raw.key_pairs.unwrap_or_default())?;
                let mut aliases = Vec::new();
                for (j, entry) in trusted.iter().chain(&key_pairs).enumerate() {
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
                if self.keystores.contains_key(&keystore) {
                    return Err(self.err(
                        &at("keystore"),
                        format!("keystore `{keystore}` is built twice"),
                    ));
                }
                self.keystores
                    .insert(keystore.clone(), (password.clone(), aliases));
                Step::BuildKeystore {
                    keystore,
                    format,
                    password,
                    trusted,
                    key_pairs,
                    expect,
                }
            }
            "upload" => {
                let keystore = need(raw.keystore, "keystore")?;
                let Some((saved, aliases)) = self.keystores.get(&keystore) else {
                    return Err(self.err(
                        &at("keystore"),
                        format!("keystore `{keystore}` is never built (add a build-keystore step before)"),
                    ));
                };
                let password = raw.password.unwrap_or_else(|| saved.clone());
                let wrong_password = &password != saved;
                self.tenant_aliases.extend(aliases.iter().cloned());
                Step::Upload {
                    keystore,
                    password,
                    wrong_password,
                    role: role(self, raw.role)?,
                    mode: opt(self, &at("mode"), raw.mode, UploadMode::Add)?,
                    expect,
                }
            }
            "tenant" => {
                let operation: TenantOperation =
                    self.parse(&at("operation"), &need(raw.operation, "operation")?)?;
                let alias = need(raw.alias, "alias")?;
                let argument = raw.argument;
                match operation {
                    TenantOperation::Delete | TenantOperation::Rename => {
                        self.known_alias(&at("alias"), &alias)?;
                    }
                    TenantOperation::AddCertificate => {
                        let arg = argument.as_deref().ok_or_else(|| {
                            self.err(
                                &base,
                                "operation `add-certificate` needs field `argument` (a world role)"
                                    .into(),
                            )
                        })?;
                        self.role(&at("argument"), arg)?;
                    }
                    TenantOperation::AddOversizedCertificate => {}
                }
                if operation == TenantOperation::Rename && argument.is_none() {
                    return Err(self.err(
                        &base,
                        "operation `rename` needs field `argument` (the new alias)".into(),
                    ));
                }
                match operation {
                    TenantOperation::Rename => {
                        if let Some(new) = &argument {
                            self.tenant_aliases.insert(new.to_ascii_lowercase());
                        }
                    }
                    TenantOperation::AddCertificate | TenantOperation::AddOversizedCertificate => {
                        self.tenant_aliases.insert(alias.to_ascii_lowercase());
                    }
                    TenantOperation::Delete => {}
                }
                Step::Tenant {
                    operation,
                    alias,
                    argument,
                    role: role(self, raw.role)?,
                    expect,
                }
            }
            "download" => {
                let alias = need(raw.alias, "alias")?;
                self.known_alias(&at("alias"), &alias)?;
                self.downloaded.insert(alias.to_ascii_lowercase());
                Step::Download {
                    alias,
                    role: opt(
                        self,
                        &at("role"),
                        raw.role,
                        TenantRole::IntegrationDeveloper,
                    )?,
                    expect,
                }
            }
            "configure-receiver" => {
                let receiver = need(raw.receiver, "receiver")?;
                self.known_receiver(&at("receiver"), &receiver)?;
                let mut trust = Vec::new();
                for (j, t) in raw.trust.unwrap_or_default().iter().enumerate() {
                    let mut p = at("trust");
                    p.push(Seg::Index(j));
                    trust.push(self.cert_source(&p, t)?);
                }
                let mut users = Vec::new();
                for (j, u) in raw.users.unwrap_or_default().into_iter().enumerate() {
                    let mut p = at("users");
                    p.extend([Seg::Index(j), Seg::Key("certificate")]);
                    users.push(UserMapping {
                        certificate: self.cert_source(&p, &u.certificate)?,
                        user: u.user,
                    });
                }
                Step::ConfigureReceiver {
                    receiver,
                    trust,
                    users,
                    expect,
                }
            }
            "connect" | "request" => {
                let receiver = need(raw.receiver, "receiver")?;
                self.known_receiver(&at("receiver"), &receiver)?;
                if let Some(alias) = raw.client_certificate.as_deref()
                    && !alias.is_empty()
                {
                    self.known_alias(&at("client_certificate"), alias)?;
                }
                if raw.action == "connect" {
                    let tls_versions = match raw.tls_versions {
                        None => TlsVersion::ALL.to_vec(),
                        Some(list) => {
                            let mut out = Vec::new();
                            for (j, v) in list.iter().enumerate() {
                                let mut p = at("tls_versions");
                                p.push(Seg::Index(j));
                                out.push(self.parse::<TlsVersion>(&p, v)?);
                            }
                            out
                        }
                    };
                    Step::Connect {
                        host: raw.host,
                        tls_versions,
                        receiver,
                        validate: raw.validate.unwrap_or(true),
                        client_certificate: raw.client_certificate,
                        policy: opt(self, &at("policy"), raw.policy, AliasPolicy::First)?,
                        expect,
                    }
                } else {
                    Step::Request {
                        receiver,
                        client_certificate: raw.client_certificate,
                        method: raw.method.unwrap_or_else(|| "GET".to_owned()),
                        path: raw.path.unwrap_or_else(|| "/".to_owned()),
                        expect,
                    }
                }
            }
            _ => unreachable!("allowed_fields returned Some for a known action"),
        };
        Ok(step)
    }

    fn aliased(&self, at: &[Seg], raw: Vec<RawAliased>) -> Result<Vec<AliasedCert>, LoadError> {
        let mut out = Vec::new();
        for (j, e) in raw.into_iter().enumerate() {
            let mut p = at.to_vec();
            p.extend([Seg::Index(j), Seg::Key("certificate")]);
            let mut c = at.to_vec();
            c.extend([Seg::Index(j), Seg::Key("chain")]);
            out.push(AliasedCert {
                certificate: self.role(&p, &e.certificate)?,
                chain: opt(self, &c, e.chain, ChainExtent::Full)?,
                alias: e.alias,
            });
        }
        Ok(out)
    }

    fn cert_source(&self, at: &[Seg], text: &str) -> Result<CertSource, LoadError> {
        let downloaded = |alias: &str| -> Result<String, LoadError> {
            if self.downloaded.contains(&alias.to_ascii_lowercase()) {
                Ok(alias.to_owned())
            } else {
                Err(self.err(
                    at,
                    format!("`{alias}.p7b` is never downloaded (add a download step for alias `{alias}` before)"),
                ))
            }
        };
        if let Some(alias) = text.strip_prefix("leaf-of:") {
            return Ok(CertSource::DownloadedLeaf(downloaded(alias)?));
        }
        if let Some(alias) = text.strip_prefix("root-of:") {
            return Ok(CertSource::DownloadedRoot(downloaded(alias)?));
        }
        self.role(at, text).map(CertSource::Role).map_err(|_| {
            self.err(
                at,
                format!("unknown certificate `{text}` (expected a world role, `leaf-of:ALIAS` or `root-of:ALIAS`)"),
            )
        })
    }

    fn known_alias(&self, at: &[Seg], alias: &str) -> Result<(), LoadError> {
        if self.tenant_aliases.contains(&alias.to_ascii_lowercase()) || is_reserved_alias(alias) {
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

    fn expect(&self, base: &[Seg], raw: RawExpect) -> Result<Expect, LoadError> {
        let at = |key: &'static str| {
            let mut p = base.to_vec();
            p.extend([Seg::Key("expect"), Seg::Key(key)]);
            p
        };
        let outcome = match raw.outcome {
            None => None,
            Some(text) => Some(self.parse::<Outcome>(&at("outcome"), &text)?),
        };
        Ok(Expect {
            outcome,
            client_certificate_used: raw.client_certificate_used,
            chosen_alias: raw.chosen_alias,
            user: raw.user,
            http_status: raw.http_status,
            certificates: raw.certificates,
            entries: raw.entries,
            absent: raw.absent,
            added: raw.added,
            preserved: raw.preserved,
            overwritten: raw.overwritten,
            refused: raw
                .refused
                .into_iter()
                .map(|r| Refusal {
                    alias: r.alias,
                    reason: r.reason,
                })
                .collect(),
            refused_with: raw.refused_with,
            text_contains: raw.text_contains,
        })
    }
}

/// Field names as `'static` strings, so error paths can name a field found in the text.
const FIELD_NAMES: &[&str] = &[
    "keystore",
    "format",
    "password",
    "trusted",
    "key_pairs",
    "role",
    "mode",
    "operation",
    "alias",
    "argument",
    "receiver",
    "trust",
    "users",
    "validate",
    "client_certificate",
    "policy",
    "method",
    "path",
    "host",
    "tls_versions",
];

fn opt<T: FromStr<Err = String>>(
    checker: &Checker<'_>,
    at: &[Seg],
    value: Option<String>,
    default: T,
) -> Result<T, LoadError> {
    match value {
        None => Ok(default),
        Some(text) => checker.parse(at, &text),
    }
}

// ---- spans ----------------------------------------------------------------------------------

struct Locator<'a> {
    file: &'a str,
    text: &'a str,
    tree: &'a Spanned<DeTable<'a>>,
}

impl Locator<'_> {
    /// An error at a path: the deepest node of the path that exists in the file gives the line.
    fn at_path(&self, at: &[Seg], message: String) -> LoadError {
        let span = self.span_of(at);
        let (line, column) = line_column(self.text, span.start);
        LoadError::Invalid {
            file: self.file.to_owned(),
            line,
            column,
            field: render_path(at),
            message,
        }
    }

    /// An error at a span from serde: the path is the deepest node containing it.
    fn at_span(&self, span: Range<usize>, message: String) -> LoadError {
        let mut segs = Vec::new();
        find_path(self.tree.get_ref(), &span, &mut segs);
        let field = if segs.is_empty() {
            // A missing top-level field: serde names it in the message.
            message
                .split('`')
                .nth(1)
                .map(str::to_owned)
                .unwrap_or_else(|| "-".to_owned())
        } else {
            segs.join("")
        };
        let (line, column) = line_column(self.text, span.start);
        LoadError::Invalid {
            file: self.file.to_owned(),
            line,
            column,
            field: field.trim_start_matches('.').to_owned(),
            message,
        }
    }

    /// The keys of the table at `at` (e.g. one step's fields).
    fn keys(&self, at: &[Seg]) -> Vec<String> {
        match self.node(at) {
            Some((Node::Table(table), _)) => {
                table.iter().map(|(k, _)| k.get_ref().to_string()).collect()
            }
            _ => Vec::new(),
        }
    }

    fn span_of(&self, at: &[Seg]) -> Range<usize> {
        let mut best = self.tree.span();
        for depth in (1..=at.len()).rev() {
            if let Some((_, span)) = self.node(&at[..depth]) {
                best = span;
                break;
            }
        }
        best
    }

    /// The node at a path, with the span of its key (or of the value for array items).
    fn node(&self, at: &[Seg]) -> Option<(Node<'_>, Range<usize>)> {
        let mut node = Node::Table(self.tree.get_ref());
        let mut span = self.tree.span();
        for seg in at {
            let value: &Spanned<DeValue<'_>> = match (seg, node) {
                (Seg::Key(key), Node::Table(table)) => {
                    let (k, v) = table.iter().find(|(k, _)| k.get_ref() == key)?;
                    span = k.span();
                    v
                }
                (Seg::Index(index), Node::Array(array)) => {
                    let v = array.get(*index)?;
                    span = v.span();
                    v
                }
                _ => return None,
            };
            node = match value.get_ref() {
                DeValue::Table(t) => Node::Table(t),
                DeValue::Array(a) => Node::Array(a),
                _ => Node::Leaf,
            };
        }
        Some((node, span))
    }
}

#[derive(Clone, Copy)]
enum Node<'t> {
    Table(&'t DeTable<'t>),
    Array(&'t toml::de::DeArray<'t>),
    Leaf,
}

fn find_path(table: &DeTable<'_>, span: &Range<usize>, out: &mut Vec<String>) {
    for (key, value) in table.iter() {
        let contains =
            |r: Range<usize>| r.start <= span.start && span.start < r.end.max(r.start + 1);
        if contains(key.span()) {
            out.push(format!(".{}", key.get_ref()));
            return;
        }
        if contains(value.span()) || value_contains(value, span) {
            out.push(format!(".{}", key.get_ref()));
            find_value(value, span, out);
            return;
        }
    }
}

fn value_contains(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
    match value.get_ref() {
        DeValue::Table(t) => {
            t.iter().any(|(k, v)| {
                let r = k.span();
                (r.start <= span.start && span.start < r.end) || value_contains(v, span)
            }) || {
                let r = value.span();
                r.start <= span.start && span.start < r.end
            }
        }
        DeValue::Array(a) => a.iter().any(|v| value_contains(v, span)),
        _ => {
            let r = value.span();
            r.start <= span.start && span.start < r.end.max(r.start + 1)
        }
    }
}

fn find_value(value: &Spanned<DeValue<'_>>, span: &Range<usize>, out: &mut Vec<String>) {
    match value.get_ref() {
        DeValue::Table(t) => find_path(t, span, out),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if value_contains(item, span) {
                    out.push(format!("[{i}]"));
                    find_value(item, span, out);
                    return;
                }
            }
        }
        _ => {}
    }
}

fn render_path(at: &[Seg]) -> String {
    let mut out = String::new();
    for seg in at {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
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
mod tests {
    use super::*;

    const GOOD: &str = r#"
version = 1
description = "root -> intermediate -> leaf; the tenant trusts the root"

[world]
seed = 3

[[receiver]]
name = "backend"
profile = "full-chain"

[[step]]
action = "build-keystore"
keystore = "customer"
password = "Passw0rd!"
trusted = [{ alias = "backend_root", certificate = "receiver-root" }]

[[step]]
action = "upload"
keystore = "customer"

[[step]]
action = "connect"
receiver = "backend"
expect = { outcome = "success" }
"#;

    fn error(text: &str) -> String {
        load_str("x", "x.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn loads_a_good_file() {
        let s = load_str("x", "x.toml", GOOD).unwrap();
        assert_eq!(s.steps.len(), 3);
        assert_eq!(s.expected_summary(), "success");
        assert_eq!(s.world.seed, Some(3));
    }

    #[test]
    fn jceks_iterations_default_to_java_and_stay_in_javas_range() {
        let s = load_str("x", "x.toml", GOOD).unwrap();
        assert_eq!(s.world.jceks_iterations, 200_000);
        let low = GOOD.replace("seed = 3", "seed = 3\njceks_iterations = 1000");
        let s = load_str("x", "x.toml", &low).unwrap();
        assert_eq!(s.world.jceks_iterations, 1000);
        for bad in ["0", "5000001"] {
            let text = GOOD.replace("seed = 3", &format!("seed = 3\njceks_iterations = {bad}"));
            let e = error(&text);
            assert!(
                e.contains("field `world.jceks_iterations`")
                    && e.contains("jdk.jceks.iterationCount"),
                "{e}"
            );
        }
    }

    #[test]
    fn unknown_field_names_line_and_field() {
        let text = GOOD.replace("seed = 3", "seed = 3\nsede = 4");
        assert_eq!(
            error(&text),
            "x.toml:7:1: field `world.sede`: unknown field `sede`, expected one of `seed`, `key_type`, `now`, `jceks_iterations`"
        );
    }

    #[test]
    fn wrong_type_names_line_and_field() {
        let text = GOOD.replace("seed = 3", "seed = \"three\"");
        let e = error(&text);
        assert!(
            e.starts_with("x.toml:6:8: field `world.seed`: invalid type"),
            "{e}"
        );
    }

    #[test]
    fn unknown_alias_is_a_load_error() {
        let text = GOOD.replace(
            "receiver = \"backend\"\nexpect",
            "receiver = \"backend\"\nclient_certificate = \"nope\"\nexpect",
        );
        assert_eq!(
            error(&text),
            "x.toml:25:1: field `step[2].client_certificate`: alias `nope` is never created (no earlier step puts it in the tenant keystore)"
        );
    }

    #[test]
    fn unknown_receiver_is_a_load_error() {
        let text = GOOD.replace("receiver = \"backend\"", "receiver = \"backnd\"");
        assert_eq!(
            error(&text),
            "x.toml:24:1: field `step[2].receiver`: receiver `backnd` is never declared (add a [[receiver]] with this name)"
        );
    }

    #[test]
    fn field_of_another_action_is_refused() {
        let text = GOOD.replace(
            "keystore = \"customer\"\n\n",
            "keystore = \"customer\"\nvalidate = false\n\n",
        );
        let e = error(&text);
        assert!(
            e.starts_with("x.toml:21:1: field `step[1].validate`: field `validate` does not apply to action `upload`"),
            "{e}"
        );
    }

    #[test]
    fn bad_vocabulary_and_version() {
        let e = error(&GOOD.replace("full-chain", "full"));
        assert!(
            e.starts_with("x.toml:10:1: field `receiver[0].profile`: unknown value `full`"),
            "{e}"
        );
        let e = error(&GOOD.replace("version = 1", "version = 2"));
        assert!(
            e.starts_with("x.toml:2:1: field `version`: unsupported version 2"),
            "{e}"
        );
        let e = error("version = 1\n[world\n");
        assert!(e.starts_with("x.toml:2:"), "{e}");
        let e = error("description = \"x\"\n");
        assert!(
            e.contains("field `version`") || e.contains("missing field"),
            "{e}"
        );
    }
}
