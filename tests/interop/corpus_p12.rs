//! The external PKCS#12 corpus (`../shared/corpora/keystores`, OpenSSL's test files) as a
//! table test: every `pkcs12` row of MANIFEST.tsv. Good files open with the certificates
//! FINGERPRINTS.tsv lists; bad files give a typed error, never a panic.
//!
//! Where we part from the manifest, the row is a documented exception below, with the
//! reason and what we do instead. The test fails when an exception stops holding (so a
//! fixed crate shows up), and when a row not listed here fails.
//!
//! `openssl/nomac_parse.p12` (public-key privacy mode, no MAC): we refuse it as an
//! unsupported content type, as keytool does and as the manifest expects, rather than
//! opening it with no entries.

use std::collections::BTreeMap;
use std::path::Path;

use harness::cert::CertInfo;
use harness::keystore::{EntryKind, ErrorKind, Keystore, Passwords};
use harness::secret::Password;

/// What we do with a row, when it differs from the manifest's expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Instead {
    /// We refuse the file as unsupported (the manifest expects it to open).
    Unsupported,
    /// We open the file (the manifest expects an error).
    Opens,
}

/// Known divergences: (file, what we do, why).
const EXCEPTIONS: &[(&str, Instead, &str)] = &[
    (
        "openssl/pbmac1_256_256.good.p12",
        Instead::Unsupported,
        "PBMAC1 (RFC 9579) MACs are not implemented by p12-keystore 0.4 (nor by keytool 17 or \
         OpenSSL 3.0); the file is also BER, not DER",
    ),
    (
        "openssl/pbmac1_256_256.good-shorter-key-len.p12",
        Instead::Unsupported,
        "PBMAC1 is not implemented by p12-keystore 0.4",
    ),
    (
        "openssl/pbmac1_512_256.good.p12",
        Instead::Unsupported,
        "PBMAC1 is not implemented by p12-keystore 0.4; BER",
    ),
    (
        "openssl/pbmac1_512_512.good.p12",
        Instead::Unsupported,
        "PBMAC1 is not implemented by p12-keystore 0.4; BER",
    ),
    (
        "openssl/pbmac1_sha1_hmac_and_prf.p12",
        Instead::Unsupported,
        "PBMAC1 is not implemented by p12-keystore 0.4",
    ),
    (
        "openssl/BOOLEAN-in-friendlyName-of-cert-pkcs12-sha256mac.p12",
        Instead::Opens,
        "p12-keystore drops a friendlyName that is not a BMPString instead of failing \
         (CVE-2026-22795 files); the certificate then gets its CN as alias. Harmless for us: \
         the attribute is never used as anything but a name",
    ),
    (
        "openssl/BOOLEAN-in-friendlyName-of-key-pkcs12-sha256mac.p12",
        Instead::Opens,
        "as above, for the key bag's friendlyName",
    ),
    (
        "openssl/BOOLEAN-in-localKeyID-of-cert-pkcs12-sha256mac.p12",
        Instead::Opens,
        "p12-keystore drops a localKeyID that is not an OCTET STRING; with one key and one \
         certificate we pair them anyway (as OpenSSL's PKCS12_parse does when IDs are absent)",
    ),
    (
        "openssl/BOOLEAN-in-localKeyID-of-key-pkcs12-sha256mac.p12",
        Instead::Opens,
        "as above, for the key bag's localKeyID",
    ),
];

struct Row {
    path: String,
    store_password: String,
    expected_ok: bool,
    expected: String,
}

fn unescape(text: &str) -> String {
    // MANIFEST.tsv writes non-ASCII as \uXXXX UTF-16 units (README.md).
    let mut units: Vec<u16> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\\u") {
        units.extend(rest[..i].encode_utf16());
        let hex = &rest[i + 2..i + 6];
        units.push(u16::from_str_radix(hex, 16).expect("4 hex digits after \\u"));
        rest = &rest[i + 6..];
    }
    units.extend(rest.encode_utf16());
    String::from_utf16(&units).expect("valid UTF-16")
}

fn rows(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (path, format, pass, expected) = (
        col("path"),
        col("format"),
        col("store_password"),
        col("expected"),
    );
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[format] == "pkcs12")
        .map(|f| Row {
            path: f[path].to_owned(),
            store_password: unescape(f[pass]),
            expected_ok: f[expected] == "ok",
            expected: f[expected].to_owned(),
        })
        .collect()
}

/// FINGERPRINTS.tsv: path -> SHA-256 fingerprints (colon-separated, as CertInfo prints them).
fn fingerprints(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(dir.join("FINGERPRINTS.tsv")).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let hex = f[4];
        let colon = hex
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        out.entry(f[0].to_owned()).or_default().push(colon);
    }
    out
}

fn listed_fingerprints(store: &Keystore) -> Vec<String> {
    let mut out: Vec<String> = store
        .entries()
        .iter()
        .flat_map(|e| match &e.kind {
            EntryKind::TrustedCertificate(c) => vec![c.clone()],
            EntryKind::KeyPair { chain, .. } => chain.clone(),
            EntryKind::SecretKey { .. } => vec![],
        })
        .map(|c| CertInfo::from_der(&c).unwrap().sha256)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_pkcs12_row_of_the_corpus() {
    let Some(shared) = tests::shared_dir() else {
        return;
    };
    let dir = shared.join("corpora").join("keystores");
    let rows = rows(&dir);
    assert_eq!(rows.len(), 29, "the manifest's pkcs12 rows");
    let prints = fingerprints(&dir);
    let mut failures = Vec::new();
    for row in &rows {
        let file = dir.join(&row.path);
        let passwords = Passwords::new(Password::new(row.store_password.clone()));
        let result = std::panic::catch_unwind(|| Keystore::read_file(&file, &passwords));
        let Ok(result) = result else {
            failures.push(format!("{}: panicked", row.path));
            continue;
        };
        let exception = EXCEPTIONS.iter().find(|(p, _, _)| *p == row.path);
        let verdict = match (exception, &result) {
            (Some((_, Instead::Unsupported, _)), Err(e))
                if matches!(e.kind, ErrorKind::Unsupported { .. }) =>
            {
                Ok(())
            }
            (Some((_, Instead::Opens, _)), Ok(_)) => Ok(()),
            (Some((_, instead, why)), other) => Err(format!(
                "exception no longer holds (documented: {instead:?}, {why}); now: {}",
                describe(other)
            )),
            (None, Ok(store)) if row.expected_ok => {
                let mut wanted = prints.get(&row.path).cloned().unwrap_or_default();
                wanted.sort();
                if listed_fingerprints(store) == wanted {
                    Ok(())
                } else {
                    Err(format!(
                        "fingerprints {:?}, expected {wanted:?}",
                        listed_fingerprints(store)
                    ))
                }
            }
            (None, Err(e)) if !row.expected_ok => {
                // A typed error that names the file.
                if e.to_string().contains(&row.path) {
                    Ok(())
                } else {
                    Err(format!("error does not name the file: {e}"))
                }
            }
            (None, other) => Err(format!(
                "expected {}, got {}",
                row.expected,
                describe(other)
            )),
        };
        if let Err(why) = verdict {
            failures.push(format!("{}: {why}", row.path));
        }
    }
    for (path, _, _) in EXCEPTIONS {
        assert!(
            rows.iter().any(|r| r.path == *path),
            "exception for a file not in the manifest: {path}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn describe(result: &Result<Keystore, harness::keystore::KeystoreError>) -> String {
    match result {
        Ok(store) => format!("opened with {} entries", store.len()),
        Err(e) => format!("error: {e}"),
    }
}
