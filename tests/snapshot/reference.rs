//! docs/SCENARIOS.md, the scenario format reference, generated from the loader's own types.
//!
//! The keys, their types, defaults and meanings are read from the source of the types the
//! loader deserializes (`File`/`FileWorld` in scenarios/src/load.rs, the structs and the
//! `Step` enum in scenarios/src/model.rs): field names, `#[serde(default ...)]`, `skip`, and
//! the doc comments. A field added there with a doc comment appears here by itself. The
//! allowed values are the loader's own words: each key is loaded once with a wrong value and
//! the reference quotes what the error says it expected. Each key's example is its value in
//! one of the complete scenarios of docs/scenarios/*.toml, which the reference embeds and
//! which [`every_documented_example_loads_and_meets_its_expectations`] loads and runs: a
//! scenario written from the reference alone.
//!
//! A new field needs nothing here unless its default comes from a function or a type this
//! file does not know (it then says so; or write `Default: ...` in the field's doc comment), or
//! it is a table of its own (add its type to [`TABLES`] and a section to [`sections`]).
//!
//! Regenerate after a change: `SCENARIOS_MD_WRITE=1 cargo nextest run -p tests --test
//! snapshot reference` (under CI=true nothing is written; a stale file fails).

use std::fmt::Write;
use std::path::PathBuf;

use scenarios::LoadError;
use scenarios::runner::{self, Input, RunOptions};
use syn::{Attribute, Fields, Item, Type};

const REGENERATE: &str =
    "SCENARIOS_MD_WRITE=1 cargo nextest run -p tests --test snapshot reference";

/// One key of a table.
struct Field {
    name: String,
    doc: String,
    ty: Type,
    default: Default,
}

enum Default {
    /// No serde default: a missing key is an error, or `None` for an `Option`.
    None,
    /// `#[serde(default)]`: the type's default.
    Type,
    /// `#[serde(default = "function")]`.
    Function(String),
}

/// Writes a scenario that sets `KEY = VALUE` in one table.
type Probe = Box<dyn Fn(&str, &str) -> String>;

/// Finds the tables of one kind in a parsed scenario.
type Finder = Box<dyn Fn(&toml::Value) -> Vec<toml::Table>>;

/// A table of the file format.
struct Section {
    /// The heading (`[[receiver]]`).
    title: String,
    /// What the table is, from the type's or variant's doc comment.
    doc: String,
    fields: Vec<Field>,
    /// A file that sets `KEY = VALUE` in this table (a wrong value, for the loader to name
    /// what it expects).
    probe: Probe,
    /// The tables of this kind in a scenario (for the examples).
    find: Finder,
}

fn source(path: &str) -> syn::File {
    let file = tests::workspace_root().join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn doc_of(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            lines.push(s.value().trim().to_owned());
        }
    }
    lines.join(" ").trim().to_owned()
}

/// The serde default of a field, and whether serde skips it.
fn serde_attrs(attrs: &[Attribute]) -> (Default, bool) {
    let mut default = Default::None;
    let mut skip = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                default = if meta.input.peek(syn::Token![=]) {
                    let f: syn::LitStr = meta.value()?.parse()?;
                    Default::Function(f.value())
                } else {
                    Default::Type
                };
            } else if meta.path.is_ident("skip") {
                skip = true;
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("a serde attribute syn cannot read: {e}"));
    }
    (default, skip)
}

fn fields_of(fields: &Fields) -> Vec<Field> {
    fields
        .iter()
        .filter_map(|f| {
            let (default, skip) = serde_attrs(&f.attrs);
            (!skip).then(|| Field {
                name: f.ident.as_ref().expect("named fields").to_string(),
                doc: doc_of(&f.attrs),
                ty: f.ty.clone(),
                default,
            })
        })
        .collect()
}

/// The named struct's doc and fields in `file`.
fn find_struct(file: &syn::File, name: &str) -> (String, Vec<Field>) {
    file.items
        .iter()
        .find_map(|item| match item {
            Item::Struct(s) if s.ident == name => Some((doc_of(&s.attrs), fields_of(&s.fields))),
            _ => None,
        })
        .unwrap_or_else(|| panic!("struct `{name}` is not in its file"))
}

/// `build-keystore` from `BuildKeystore` (serde's kebab-case).
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The last path segment's name and its generic arguments.
fn segment(ty: &Type) -> (String, Vec<Type>) {
    let Type::Path(path) = ty else {
        panic!("a field type the reference cannot name: not a path");
    };
    let last = path.path.segments.last().expect("a path has a segment");
    let args = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    (last.ident.to_string(), args)
}

/// Types written as TOML tables, with the section that describes them.
const TABLES: &[(&str, &str)] = &[
    ("FileWorld", "[world]"),
    ("Tenant", "[tenant]"),
    ("TenantKeystore", "[tenant.keystore]"),
    ("Receiver", "[[receiver]]"),
    ("Step", "[[step]]"),
    ("Expect", "[step.expect]"),
    ("UserMapping", "users items"),
    ("AliasedCert", "trusted / key_pairs items"),
    ("RefusedEntry", "refused items"),
];

fn is_table(name: &str) -> bool {
    TABLES.iter().any(|(t, _)| *t == name)
}

/// The TOML type of a Rust type: every other type of the model is a word (a string).
fn toml_type(ty: &Type) -> String {
    let (name, args) = segment(ty);
    match name.as_str() {
        "Option" => toml_type(&args[0]),
        "Vec" => {
            let inner = toml_type(&args[0]);
            match inner.strip_prefix("table") {
                Some(rest) => format!("array of tables{rest}"),
                None => format!("array of {inner}s"),
            }
        }
        "String" => "string".into(),
        "bool" => "boolean".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "integer".into(),
        t if is_table(t) => {
            let (_, section) = TABLES.iter().find(|(n, _)| *n == t).expect("listed");
            format!("table ({section})")
        }
        _ => "string".into(),
    }
}

/// Whether the loader is asked what it expects of a key: not for tables and free text.
fn probed(ty: &Type) -> bool {
    let (name, args) = segment(ty);
    match name.as_str() {
        "Option" | "Vec" => probed(&args[0]),
        "bool" | "u8" | "u16" | "u32" | "u64" | "usize" => false,
        t => !is_table(t),
    }
}

fn is_vec(ty: &Type) -> bool {
    let (name, args) = segment(ty);
    match name.as_str() {
        "Vec" => true,
        "Option" => is_vec(&args[0]),
        _ => false,
    }
}

/// What a field defaults to, in words.
fn default_text(field: &Field) -> String {
    // A doc comment may say it (the loader's own defaults of `[world]`): `Default: ...`.
    if let Some(at) = field.doc.find("Default: ") {
        let rest = &field.doc[at + "Default: ".len()..];
        return rest
            .split_once(". ")
            .map_or(rest.trim_end_matches('.'), |(first, _)| first)
            .to_owned();
    }
    let (name, _) = segment(&field.ty);
    match &field.default {
        Default::None if name == "Option" => "none".into(),
        Default::None => "required".into(),
        Default::Function(f) => match f.as_str() {
            "yes" => "`true`".into(),
            "get" => "`\"GET\"`".into(),
            "slash" => "`\"/\"`".into(),
            "admin" => format!("`\"{}\"`", harness::tenant::AuthGroup::Admin.name()),
            "developer" => format!(
                "`\"{}\"`",
                harness::tenant::AuthGroup::IntegrationDeveloper.name()
            ),
            "all_versions" => "`[\"1.2\", \"1.3\"]`".into(),
            "default_unmapped_status" => "`401`".into(),
            other => panic!(
                "the default function `{other}` of `{}` is unknown to tests/snapshot/reference.rs: add its value there, or write `Default: ...` in the field's doc comment",
                field.name
            ),
        },
        Default::Type => {
            let json = |v: serde_json::Value| format!("`{v}`");
            match name.as_str() {
                "Vec" => "`[]`".into(),
                "bool" => "`false`".into(),
                "Option" => "none".into(),
                t if is_table(t) => "empty".into(),
                "ServerVariant" => {
                    json(serde_json::to_value(mock_receiver::ServerVariant::default()).unwrap())
                }
                "ClientAuthMode" => {
                    json(serde_json::to_value(mock_receiver::ClientAuthMode::default()).unwrap())
                }
                "CaNameMode" => {
                    json(serde_json::to_value(mock_receiver::CaNameMode::default()).unwrap())
                }
                "Rejection" => {
                    json(serde_json::to_value(mock_receiver::Rejection::default()).unwrap())
                }
                "KeystoreFormat" => {
                    format!("`\"{}\"`", scenarios::model::KeystoreFormat::default())
                }
                "UploadMode" => format!("`\"{}\"`", scenarios::model::UploadMode::default()),
                "AliasPolicy" => format!("`\"{}\"`", scenarios::model::AliasPolicy::default()),
                "ChainExtent" => format!("`\"{}\"`", scenarios::model::ChainExtent::default()),
                other => panic!(
                    "the default of type `{other}` (field `{}`) is unknown to tests/snapshot/reference.rs: add it there, or write `Default: ...` in the field's doc comment",
                    field.name
                ),
            }
        }
    }
}

/// What the loader says it expects of `key` in this table, when it names values.
fn allowed(section: &Section, field: &Field) -> String {
    if !probed(&field.ty) {
        return String::new();
    }
    let value = if is_vec(&field.ty) {
        "[\"?\"]"
    } else {
        "\"?\""
    };
    let text = (section.probe)(&field.name, value);
    match scenarios::load_str("probe", "probe.toml", &text) {
        Err(LoadError::Invalid {
            field: at, message, ..
        }) if at.contains(&field.name)
            && !message.starts_with("invalid type")
            && message.contains("expected") =>
        {
            let from = message.find("expected").expect("checked") + "expected".len();
            let words = message[from..]
                .trim_start_matches(" one of")
                .trim_start_matches(':')
                .trim();
            words.trim_end_matches(')').to_owned()
        }
        _ => String::new(),
    }
}

/// Examples of the keys that name files beside the scenario (the twin scenarios `harness
/// capture` writes): the runnable examples of docs/scenarios/ do not carry such files.
const FILE_EXAMPLES: &[(&str, &str, &str)] = &[
    ("[tenant]", "keystore", "see below"),
    ("[tenant.keystore]", "file", "`\"twin-keystore.p12\"`"),
    ("[tenant.keystore]", "password", "`\"Twin-Keystore-1\"`"),
    ("[tenant.keystore]", "aliases", "`[\"backend_root\"]`"),
    ("[[receiver]]", "cert_file", "`\"twin-chain.pem\"`"),
    ("[[receiver]]", "key_file", "`\"twin-key.pem\"`"),
    (
        "[[receiver]]",
        "client_trust_file",
        "`\"twin-client-trust.pem\"`",
    ),
    ("[[receiver]]", "ca_names_file", "`\"twin-ca-names.pem\"`"),
];

fn sections() -> Vec<Section> {
    let load = source("scenarios/src/load.rs");
    let model = source("scenarios/src/model.rs");
    let head = "version = 1\ndescription = \"probe\"\n";
    let mut out = Vec::new();
    let (doc, fields) = find_struct(&load, "File");
    out.push(Section {
        title: "Top level".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| format!("{head}{k} = {v}\n")),
        find: Box::new(|root| root.as_table().into_iter().cloned().collect()),
    });
    let table_of = |name: &'static str| {
        move |root: &toml::Value| -> Vec<toml::Table> {
            root.get(name)
                .and_then(toml::Value::as_table)
                .into_iter()
                .cloned()
                .collect()
        }
    };
    let (doc, fields) = find_struct(&load, "FileWorld");
    out.push(Section {
        title: "[world]".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| format!("{head}[world]\n{k} = {v}\n")),
        find: Box::new(table_of("world")),
    });
    let (doc, fields) = find_struct(&model, "Tenant");
    out.push(Section {
        title: "[tenant]".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| format!("{head}[tenant]\n{k} = {v}\n")),
        find: Box::new(table_of("tenant")),
    });
    let (doc, fields) = find_struct(&model, "TenantKeystore");
    out.push(Section {
        title: "[tenant.keystore]".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| format!("{head}[tenant.keystore]\n{k} = {v}\n")),
        find: Box::new(|root| {
            root.get("tenant")
                .and_then(|t| t.get("keystore"))
                .and_then(toml::Value::as_table)
                .into_iter()
                .cloned()
                .collect()
        }),
    });
    let items = |root: &toml::Value, name: &str| -> Vec<toml::Table> {
        root.get(name)
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_table().cloned()).collect())
            .unwrap_or_default()
    };
    let (doc, fields) = find_struct(&model, "Receiver");
    out.push(Section {
        title: "[[receiver]]".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| format!("{head}[[receiver]]\n{k} = {v}\n")),
        find: Box::new(move |root| items(root, "receiver")),
    });
    let (doc, fields) = find_struct(&model, "UserMapping");
    out.push(Section {
        title: "users items (of [[receiver]] and configure-receiver)".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| format!("{head}[[receiver]]\nusers = [{{ {k} = {v} }}]\n")),
        find: Box::new(move |root| {
            let mut tables = items(root, "receiver");
            tables.extend(items(root, "step"));
            tables
                .iter()
                .flat_map(|t| items(&toml::Value::Table(t.clone()), "users"))
                .collect()
        }),
    });
    let step = model
        .items
        .iter()
        .find_map(|item| match item {
            Item::Enum(e) if e.ident == "Step" => Some(e.clone()),
            _ => None,
        })
        .expect("enum Step is in model.rs");
    for variant in &step.variants {
        let action = kebab(&variant.ident.to_string());
        let mut fields = fields_of(&variant.fields);
        fields.insert(
            0,
            Field {
                name: "action".into(),
                doc: format!("`\"{action}\"`: picks this kind of step."),
                ty: syn::parse_str("String").expect("a type"),
                default: Default::None,
            },
        );
        let a = action.clone();
        let b = action.clone();
        out.push(Section {
            title: format!("[[step]] action = \"{action}\""),
            doc: doc_of(&variant.attrs),
            fields,
            probe: Box::new(move |k, v| {
                if k == "action" {
                    format!("{head}[[step]]\naction = {v}\n")
                } else {
                    format!("{head}[[step]]\naction = \"{a}\"\n{k} = {v}\n")
                }
            }),
            find: Box::new(move |root| {
                items(root, "step")
                    .into_iter()
                    .filter(|t| t.get("action").and_then(toml::Value::as_str) == Some(&b))
                    .collect()
            }),
        });
    }
    let (doc, fields) = find_struct(&model, "AliasedCert");
    out.push(Section {
        title: "trusted / key_pairs items (of build-keystore)".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| {
            format!("{head}[[step]]\naction = \"build-keystore\"\ntrusted = [{{ {k} = {v} }}]\n")
        }),
        find: Box::new(move |root| {
            items(root, "step")
                .iter()
                .flat_map(|t| {
                    let t = toml::Value::Table(t.clone());
                    let mut all = items(&t, "trusted");
                    all.extend(items(&t, "key_pairs"));
                    all
                })
                .collect()
        }),
    });
    let expects = move |root: &toml::Value| -> Vec<toml::Table> {
        items(root, "step")
            .iter()
            .filter_map(|t| t.get("expect").and_then(toml::Value::as_table).cloned())
            .collect()
    };
    let (doc, fields) = find_struct(&model, "Expect");
    out.push(Section {
        title: "[step.expect]".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| {
            format!("{head}[[step]]\naction = \"connect\"\n[step.expect]\n{k} = {v}\n")
        }),
        find: Box::new(expects),
    });
    let (doc, fields) = find_struct(&model, "RefusedEntry");
    out.push(Section {
        title: "refused items (of [step.expect])".into(),
        doc,
        fields,
        probe: Box::new(move |k, v| {
            format!(
                "{head}[[step]]\naction = \"upload\"\n[step.expect]\nrefused = [{{ {k} = {v} }}]\n"
            )
        }),
        find: Box::new(move |root| {
            expects(root)
                .into_iter()
                .flat_map(|t| items(&toml::Value::Table(t), "refused"))
                .collect()
        }),
    });
    out
}

/// docs/scenarios/*.toml: (file name, text), by name.
fn examples() -> Vec<(String, String)> {
    let dir = tests::workspace_root().join("docs/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect()
}

/// A key's example value as a code span: tables are the sections below, long texts the
/// examples at the end.
fn example_text(ty: &Type, value: &toml::Value) -> String {
    let text = value.to_string();
    if toml_type(ty).contains("table") {
        "see below".into()
    } else if text.contains('\n') || text.chars().count() > 60 {
        "see the examples".into()
    } else if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

const INTRO: &str = "\
A scenario is one TOML file: the world the test PKI is generated from, the tenant as
provisioned, the receivers (mock HTTPS servers on loopback), and the steps in the article's
order, each with what it expects. `scenarios run FILE...` runs files; `scenarios new NAME`
writes a commented template `NAME.toml` that runs as it is.

```toml
# the outline of a scenario file
version = 1                # required
description = '''...'''    # required: the chain drawn, and why the expectation follows
[world]                    # optional
[tenant]                   # optional
[[receiver]]               # zero or more
[[step]]                   # zero or more, run in order; `action` picks the kind
[step.expect]              # optional, for the step above
```

Rules the loader checks before anything runs, each error naming `file:line:column: field`:
an unknown key, a wrong type or an unknown value; a receiver, keystore, alias or download a
step refers to that no earlier step declares or creates (a receiver is declared by
`[[receiver]]`, a keystore by `build-keystore`, an alias in the tenant by `upload`,
`tenant` `rename`/`add-certificate`, or `tenant.preinstalled`); and expectations that
name what the scenario never creates: `chosen_alias` and `entries` an alias no earlier step
puts in the tenant, `absent` an alias in no keystore and never in the tenant (always
absent: a typo), `added`/`preserved`/`overwritten`/`refused` an alias not in the uploaded
keystore (or on a step that is no upload), `user` a user no receiver maps, `http_status`
outside 100 to 599, an empty `text_contains` text, an `outcome` that is no failure class.
Steps and array items are counted from 1 everywhere (`step[3].expect.outcome` is the third
`[[step]]`), as in the reports.

Columns: **type** is the TOML type; **allowed** is what the loader says it expects when
given a wrong value; **default** applies when the key is left out (*required*: it may not
be); **example** is the key's value in one of the complete examples at the end.
";

/// The reference, or the keys no example sets.
fn generate() -> Result<String, Vec<String>> {
    let examples = examples();
    let parsed: Vec<toml::Value> = examples
        .iter()
        .map(|(name, text)| {
            text.parse::<toml::Table>()
                .map(toml::Value::Table)
                .unwrap_or_else(|e| panic!("docs/scenarios/{name}: {e}"))
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Scenario files\n\n<!-- Generated by tests/snapshot/reference.rs from the loader's types (scenarios/src/load.rs,\n     scenarios/src/model.rs) and the examples in docs/scenarios/. Do not edit: regenerate with\n     {REGENERATE} -->\n\n{INTRO}"
    );
    let sections = sections();
    out.push_str("Contents:");
    for s in &sections {
        let _ = write!(out, " [{}](#{}),", s.title, anchor(&s.title));
    }
    out.push_str(" [failure classes](#failure-classes), [examples](#examples).\n");
    let mut missing = Vec::new();
    for section in &sections {
        let tables: Vec<toml::Table> = parsed.iter().flat_map(|p| (section.find)(p)).collect();
        let _ = writeln!(out, "\n## {}\n\n{}\n", section.title, section.doc);
        out.push_str(
            "| key | type | allowed | default | example | meaning |\n|---|---|---|---|---|---|\n",
        );
        for field in &section.fields {
            let example = tables
                .iter()
                .find_map(|t| t.get(&field.name))
                .map(|v| example_text(&field.ty, v));
            // A key no runnable example can set (it needs files of its own) may give its
            // example in its doc comment (`Example: `VALUE`.`) or in FILE_EXAMPLES.
            let example = example
                .or_else(|| {
                    FILE_EXAMPLES
                        .iter()
                        .find(|(t, k, _)| *t == section.title && *k == field.name)
                        .map(|(_, _, e)| (*e).to_owned())
                })
                .or_else(|| {
                    let at = field.doc.find("Example: ")?;
                    let rest = &field.doc[at + "Example: ".len()..];
                    Some(
                        rest.split_once(". ")
                            .map_or(rest, |(e, _)| e)
                            .trim_end_matches('.')
                            .to_owned(),
                    )
                })
                .unwrap_or_else(|| {
                    missing.push(format!("{}: `{}`", section.title, field.name));
                    String::new()
                });
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                field.name,
                toml_type(&field.ty),
                cell(&allowed(section, field)),
                cell(&default_text(field)),
                cell(&example),
                cell(&field.doc)
            );
        }
    }
    out.push_str("\n## Failure classes\n\nThe values of `expect.outcome` besides `success`, as the connectivity test classifies a failure:\n\n| class | meaning |\n|---|---|\n");
    for class in harness::connect::FailureClass::ALL {
        let _ = writeln!(out, "| `{}` | {} |", class.id(), cell(class.description()));
    }
    out.push_str("\n## Examples\n\nEach one loads and meets its expectations (`scenarios run docs/scenarios/`).\n");
    for (name, text) in &examples {
        let _ = writeln!(
            out,
            "\n### docs/scenarios/{name}\n\n```toml\n{}\n```",
            text.trim_end()
        );
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// GitHub's heading anchor.
fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

fn doc_path() -> PathBuf {
    tests::workspace_root().join("docs/SCENARIOS.md")
}

#[test]
fn scenarios_md_is_generated_from_the_loader_types() {
    let text = generate().unwrap_or_else(|missing| {
        panic!(
            "no example in docs/scenarios/*.toml sets these keys; add each to an example (one that still runs and meets its expectations), or, for a key no runnable example can set, end its doc comment with `Example: `VALUE`.`; then run {REGENERATE}:\n  {}",
            missing.join("\n  ")
        )
    });
    let path = doc_path();
    if std::env::var("SCENARIOS_MD_WRITE").is_ok_and(|v| v == "1") && !tests::in_ci() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "docs/SCENARIOS.md is stale (the loader's types or docs/scenarios/ changed): regenerate it with\n  {REGENERATE}\nand commit it"
    );
}

/// The ```toml blocks of a Markdown text that are whole scenarios (`version = 1`).
fn scenario_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .filter(|block| block.starts_with("version = 1"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_documented_example_loads_and_meets_its_expectations() {
    let markdown = std::fs::read_to_string(doc_path()).unwrap();
    let blocks = scenario_blocks(&markdown);
    assert_eq!(
        blocks.len(),
        examples().len(),
        "docs/SCENARIOS.md embeds every docs/scenarios/*.toml"
    );
    let inputs: Vec<Input> = blocks
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let id = format!("example-{}", i + 1);
            let scenario = scenarios::load_str(&id, "docs/SCENARIOS.md", text)
                .unwrap_or_else(|e| panic!("example {} of docs/SCENARIOS.md: {e}", i + 1));
            Input::Loaded(Box::new(scenario))
        })
        .collect();
    let options = RunOptions {
        jceks_iterations: Some(1000),
        ..RunOptions::default()
    };
    let report = runner::run(inputs, &options).expect("the run starts");
    assert_eq!(
        report.totals.met,
        blocks.len(),
        "{}",
        scenarios::report::json(&report)
    );
}

#[test]
fn every_key_of_the_reference_is_a_key_the_loader_reads() {
    // A key the generator found in the source but serde would refuse (a rename the
    // generator does not know): the probe must not call it unknown.
    for section in sections() {
        for field in &section.fields {
            let text = (section.probe)(&field.name, "\"?\"");
            if let Err(LoadError::Invalid { message, .. }) =
                scenarios::load_str("probe", "probe.toml", &text)
            {
                assert!(
                    !message.starts_with("unknown field"),
                    "{}: `{}`: {message}",
                    section.title,
                    field.name
                );
            }
        }
    }
}

#[test]
fn scenarios_new_writes_a_template_that_runs_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = || {
        let mut c = std::process::Command::new(tests::bin("scenarios"));
        c.current_dir(dir.path());
        c
    };
    let out = tests::run_ok(scenarios().args(["new", "my-case"]));
    assert!(out.contains("wrote my-case.toml"), "{out}");
    let file = dir.path().join("my-case.toml");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), scenarios::TEMPLATE);
    // Never over an existing file: exit 2, the file as it was, no temp file left.
    std::fs::write(&file, "mine").unwrap();
    let again = tests::run(scenarios().args(["new", "my-case.toml"]));
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists already"),
        "{again:?}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // The template as written runs with every expectation met.
    std::fs::write(&file, scenarios::TEMPLATE).unwrap();
    let run = tests::run(scenarios().args(["run", "my-case.toml"]));
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}
