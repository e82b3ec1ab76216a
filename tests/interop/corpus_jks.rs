//! The external JKS/JCEKS corpus (`../shared/corpora/keystores`, pyjks and keystore-go files)
//! as a table test: every `jks`/`jceks` row of `MANIFEST.tsv` opens with the entries and
//! fingerprints that keytool reported (`FINGERPRINTS.tsv`), its keys unseal with the listed
//! key passwords, and every file expected to fail fails with the typed error of its reason.

use std::collections::BTreeMap;
use std::path::Path;

use harness::cert::fingerprint_sha256;
use harness::keystore::{EntryKind, ErrorKind, Keystore, Passwords};
use harness::secret::Password;

/// Where we knowingly report something other than keytool, each with its reason.
const DIVERGENCES: &[(&str, &str, &str, &str)] = &[(
    "keystore-go/keystore.jks",
    "alias",
    "PrivateKeyEntry(chain 0)",
    "the entry is a key pair (tag 1) with an empty chain; keytool calls any key entry without \
     a chain SecretKeyEntry, we keep its kind and an empty chain",
)];

struct Row {
    path: String,
    format: String,
    store_password: String,
    key_password: String,
    expected: String,
    entries: String,
    notes: String,
}

/// `\uXXXX` escapes (UTF-16 code units) to text, as MANIFEST's README defines them.
fn unescape(field: &str) -> String {
    let mut units = Vec::new();
    let mut rest = field;
    while !rest.is_empty() {
        if let Some(hex) = rest.strip_prefix("\\u") {
            units.push(u16::from_str_radix(&hex[..4], 16).expect("4 hex digits after \\u"));
            rest = &hex[4..];
        } else {
            let c = rest.chars().next().unwrap();
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            rest = &rest[c.len_utf8()..];
        }
    }
    String::from_utf16(&units).expect("the manifest's escapes form valid UTF-16")
}

fn manifest(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Row {
                path: f[0].into(),
                format: f[2].into(),
                store_password: unescape(f[3]),
                key_password: unescape(f[4]),
                expected: f[5].into(),
                entries: f[6].into(),
                notes: f.get(9).copied().unwrap_or("").into(),
            }
        })
        .filter(|row| row.format == "jks" || row.format == "jceks")
        .collect()
}

/// (path, alias) -> fingerprints by chain index.
fn fingerprints(dir: &Path) -> BTreeMap<(String, String), BTreeMap<usize, String>> {
    let text = std::fs::read_to_string(dir.join("FINGERPRINTS.tsv")).unwrap();
    let mut out: BTreeMap<(String, String), BTreeMap<usize, String>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        out.entry((f[0].into(), f[1].into()))
            .or_default()
            .insert(f[3].parse().unwrap(), f[4].into());
    }
    out
}

/// The `entries` column: `N: alias=Type(chain n); ...`, optionally after `keytool: `.
fn expected_entries(column: &str) -> Vec<(String, String)> {
    let column = column.strip_prefix("keytool: ").unwrap_or(column);
    let Some((_, list)) = column.split_once(": ") else {
        return Vec::new();
    };
    let list = list.split(" (").next().unwrap();
    list.split("; ")
        .map(|item| {
            let (alias, kind) = item.split_once('=').unwrap();
            (alias.to_owned(), kind.to_owned())
        })
        .collect()
}

fn passwords(row: &Row, aliases: &[(String, String)]) -> Passwords {
    let mut passwords = Passwords::new(Password::new(row.store_password.as_str()));
    if row.key_password.contains('=') {
        for pair in row.key_password.split(';') {
            let (alias, password) = pair.split_once('=').unwrap();
            passwords = passwords.with_key(alias, Password::new(password));
        }
    } else if !row.key_password.is_empty() {
        for (alias, _) in aliases {
            passwords = passwords.with_key(alias, Password::new(row.key_password.as_str()));
        }
    }
    passwords
}

fn described(kind: &EntryKind) -> String {
    match kind {
        EntryKind::KeyPair { chain, .. } => format!("PrivateKeyEntry(chain {})", chain.len()),
        other => other.type_name().to_owned(),
    }
}

/// The fingerprint without colons, as FINGERPRINTS.tsv writes it.
fn fingerprint(der: &[u8]) -> String {
    fingerprint_sha256(der).replace(':', "")
}

#[test]
fn corpus_jks_and_jceks_files_match_the_manifest() {
    let Some(shared) = tests::shared_dir() else {
        return;
    };
    let dir = shared.join("corpora").join("keystores");
    let rows = manifest(&dir);
    assert!(rows.len() >= 26, "only {} JKS/JCEKS rows", rows.len());
    let prints = fingerprints(&dir);
    let mut failures = Vec::new();
    for row in &rows {
        if let Err(problem) = check(&dir, row, &prints) {
            failures.push(format!("{}: {problem}", row.path));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check(
    dir: &Path,
    row: &Row,
    prints: &BTreeMap<(String, String), BTreeMap<usize, String>>,
) -> Result<(), String> {
    let bytes = std::fs::read(dir.join(&row.path)).map_err(|e| e.to_string())?;
    let listed = expected_entries(&row.entries);
    let passwords = passwords(row, &listed);
    let result = Keystore::from_bytes(&bytes, &passwords, &row.path);
    if let Some(reason) = row.expected.strip_prefix("error:") {
        let err = match result {
            Ok(store) => {
                return Err(format!(
                    "opened with {} entries, expected {reason}",
                    store.len()
                ));
            }
            Err(err) => err,
        };
        let matches = match reason {
            "duplicate_alias" => matches!(err.kind, ErrorKind::DuplicateAlias { .. }),
            "unexpected_java_type" => matches!(err.kind, ErrorKind::UnexpectedJavaType { .. }),
            "unexpected_seal_algorithm" => {
                matches!(&err.kind, ErrorKind::Unsupported { what } if what.contains("seal algorithm"))
            }
            other => return Err(format!("no mapping for reason `{other}`")),
        };
        return if matches {
            Ok(())
        } else {
            Err(format!("expected {reason}, got: {err}"))
        };
    }
    let store = result.map_err(|e| format!("expected ok, got: {e}"))?;
    if store.format().name() != row.format {
        return Err(format!("detected as {}", store.format()));
    }
    let mut actual: Vec<(String, String)> = store
        .entries()
        .iter()
        .map(|e| (e.alias.clone(), described(&e.kind)))
        .collect();
    actual.sort();
    let mut expected: Vec<(String, String)> = listed
        .iter()
        .map(|(alias, kind)| {
            let ours = DIVERGENCES
                .iter()
                .find(|(path, a, _, _)| *path == row.path && a == alias)
                .map(|(_, _, ours, _)| (*ours).to_owned());
            (alias.clone(), ours.unwrap_or_else(|| kind.clone()))
        })
        .collect();
    expected.sort();
    if actual != expected {
        return Err(format!("entries {actual:?}, expected {expected:?}"));
    }
    for entry in store.entries() {
        let certs: Vec<&[u8]> = match &entry.kind {
            EntryKind::TrustedCertificate(cert) => vec![cert.as_ref()],
            EntryKind::KeyPair { chain, .. } => chain.iter().map(|c| c.as_ref()).collect(),
            EntryKind::SecretKey { .. } => Vec::new(),
        };
        let want = prints
            .get(&(row.path.clone(), entry.alias.clone()))
            .cloned()
            .unwrap_or_default();
        let got: BTreeMap<usize, String> = certs
            .iter()
            .enumerate()
            .map(|(i, der)| (i, fingerprint(der)))
            .collect();
        // FINGERPRINTS.tsv lists at least the leaf of each entry; every listed one must match.
        for (index, print) in &want {
            if got.get(index) != Some(print) {
                return Err(format!(
                    "`{}` certificate {index}: {:?}, keytool {print}",
                    entry.alias,
                    got.get(index)
                ));
            }
        }
        if want.is_empty() && !certs.is_empty() {
            return Err(format!("`{}` has no fingerprints listed", entry.alias));
        }
        match &entry.kind {
            EntryKind::KeyPair { key, .. } => {
                let key = key
                    .unlock(passwords.key_for(&entry.alias), &entry.alias)
                    .map_err(|e| format!("`{}` key does not unseal: {e}", entry.alias))?;
                if key.secret_pkcs8_der().first() != Some(&0x30) {
                    return Err(format!("`{}` key is not PKCS#8", entry.alias));
                }
            }
            EntryKind::SecretKey { algorithm } => {
                // pyjks' tests name the algorithm ("AES-128"); the notes carry it.
                if let Some(named) = row.notes.strip_prefix("secret key algorithm ") {
                    let named = named.split(' ').next().unwrap();
                    let family = named.split_once('-').map_or(named, |(f, _)| f);
                    let family = if named.starts_with("PBKDF2") {
                        named
                    } else {
                        family
                    };
                    if algorithm != family {
                        return Err(format!(
                            "`{}` algorithm {algorithm}, expected {family}",
                            entry.alias
                        ));
                    }
                }
            }
            EntryKind::TrustedCertificate(_) => {}
        }
    }
    Ok(())
}

#[test]
fn wrong_store_passwords_fail_the_integrity_check() {
    let Some(shared) = tests::shared_dir() else {
        return;
    };
    let dir = shared.join("corpora").join("keystores");
    for row in manifest(&dir).iter().filter(|r| r.expected == "ok") {
        let bytes = std::fs::read(dir.join(&row.path)).unwrap();
        let wrong = Passwords::new(Password::new(format!("{}x", row.store_password)));
        let err = Keystore::from_bytes(&bytes, &wrong, &row.path).unwrap_err();
        assert!(
            matches!(
                err.kind,
                ErrorKind::WrongPassword {
                    integrity_only: true
                }
            ),
            "{}: {err}",
            row.path
        );
    }
}
