//! Error texts are for people: whatever bytes a keystore holds, no level of the error chain
//! carries Rust's `Debug` text (`NomError(Eof)`, `Der(UnexpectedTag { .. })`, `Some(..)`),
//! only plain phrases (issue 10, point 3). The inputs are the other keystore properties'
//! generators: mutated and truncated valid files of every format, and arbitrary bytes.
//!
//! The larger run:
//!
//! ```text
//! PROPTEST_CASES=20000 cargo nextest run -p tests --test property error_text
//! ```

use harness::exit::ErrorChain;
use harness::keystore::{Format, Keystore, Passwords, certificates_from_bytes};
use harness::secret::Password;
use proptest::prelude::*;

use super::keystore_formats::valid_files;
use super::keystore_jks::{apply, format, mutation, mutation_samples, redigest};

/// Words that only `Debug` output prints: variant names of the decoders' error enums and of
/// `Option`/`Result`.
const DEBUG_WORDS: &[&str] = &[
    "Eof",
    "NomError",
    "UnexpectedTag",
    "UnexpectedClass",
    "InvalidLength",
    "InvalidValue",
    "BerError",
    "BerTypeError",
    "Incomplete",
    "Needed",
    "Parsing Error",
    "Parsing Failure",
    "Some(",
    "None",
    "Ok(",
    "Err(",
    "Der(",
    "Tag(",
];

/// `Err(text)` naming the first `Debug` marker in `text`: a brace, a word of [`DEBUG_WORDS`],
/// or a CamelCase name directly followed by `(` or ` {` (a tuple or struct variant).
fn debug_marker(text: &str) -> Result<(), String> {
    // What a message quotes in backticks is data from the file (an alias, an algorithm
    // name), not the message's own text: a mutated file may put a brace there.
    let unquoted = text
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect::<Vec<_>>()
        .join("``");
    let text = unquoted.as_str();
    if let Some(brace) = text.find(['{', '}']) {
        return Err(format!("brace at {brace}"));
    }
    if let Some(word) = DEBUG_WORDS.iter().find(|w| text.contains(*w)) {
        return Err(format!("`{word}`"));
    }
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_uppercase()) {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tail.len());
        let word = &tail[..end];
        let camel = word.len() > 2
            && word[1..].contains(|c: char| c.is_ascii_lowercase())
            && word[1..].contains(|c: char| c.is_ascii_uppercase());
        if camel && tail[end..].starts_with('(') {
            return Err(format!("`{word}(`"));
        }
        rest = &tail[end..];
    }
    Ok(())
}

/// Every level of the chain of `err` is free of `Debug` text.
fn plain(err: &dyn std::error::Error, input: &str) -> Result<(), TestCaseError> {
    for level in ErrorChain(err).levels() {
        if let Err(marker) = debug_marker(&level) {
            return Err(TestCaseError::fail(format!(
                "{input}: {marker} in `{level}` of:\n{}",
                ErrorChain(err)
            )));
        }
    }
    Ok(())
}

/// Reads `bytes` as a keystore and as a certificate list; each error's chain must be plain.
fn read_plainly(bytes: &[u8], password: &str, input: &str) -> Result<(), TestCaseError> {
    let passwords = Passwords::new(Password::new(password));
    if let Err(err) = Keystore::from_bytes(bytes, &passwords, "mutated.p12") {
        plain(&err, input)?;
    }
    if let Err(err) = certificates_from_bytes(bytes, &passwords, "mutated.pem") {
        plain(&err, input)?;
    }
    Ok(())
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn the_marker_check_sees_debug_text() {
    for debug in [
        "malformed: PKCS#12 certificate: Parsing Error: Der(UnexpectedTag { expected: Some(Tag(16)), actual: Tag(2) })",
        "not a valid X.509 certificate: nom error: Eof",
        "Parsing Error: NomError(Eof)",
        "UnknownOid(3)",
    ] {
        assert!(debug_marker(debug).is_err(), "{debug}");
    }
    for plain in [
        "unexpected tag INTEGER (expected SEQUENCE) at offset 4",
        "truncated DER (2 more bytes needed)",
        "malformed certificate 2 of the PEM file",
        "entry `key \u{1f511}` (alias `k`) has unknown tag 7 at byte 33",
        "PKCS#8 PrivateKeyInfo",
    ] {
        assert_eq!(debug_marker(plain), Ok(()), "{plain}");
    }
}

#[test]
fn every_truncation_reads_plainly() {
    for (name, bytes) in valid_files() {
        for cut in 0..bytes.len() {
            read_plainly(&bytes[..cut], "pw", &format!("{name} cut at {cut}")).unwrap();
        }
    }
    for format in [Format::Jks, Format::Jceks] {
        let samples = mutation_samples(format);
        let (bytes, password) = &samples[0];
        for cut in 0..bytes.len() {
            read_plainly(&bytes[..cut], password, &format!("{format} cut at {cut}")).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// PKCS#12 (JDK 17 and legacy), `.p7b` (DER and PEM), PEM and DER files with bytes set,
    /// flipped, inserted or removed.
    #[test]
    fn mutated_files_read_plainly(
        file in 0..6usize,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let (name, original) = &valid_files()[file];
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        read_plainly(&bytes, "pw", &format!("{name} after {mutations:?}"))?;
    }

    /// JKS and JCEKS files mutated behind a recomputed integrity digest, so the mutations
    /// reach the entry parsers and the certificates.
    #[test]
    fn mutated_java_keystores_read_plainly(
        format in format(),
        which in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let samples = mutation_samples(format);
        let (original, password) = &samples[which % samples.len()];
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let body = &bytes[..bytes.len().saturating_sub(20)];
        let input = format!("{format} after {mutations:?}");
        read_plainly(&redigest(body, password), password, &input)?;
    }

    /// Arbitrary bytes, bare or behind a keystore's magic number or a PEM header.
    #[test]
    fn arbitrary_bytes_read_plainly(
        prefix in prop::sample::select(vec![
            &b""[..], b"\x30\x82", b"\x30\x80", b"\x30\x03\x02\x01",
            b"\xfe\xed\xfe\xed\x00\x00\x00\x02", b"\xce\xce\xce\xce\x00\x00\x00\x02",
            b"-----BEGIN PKCS7-----\n", b"-----BEGIN CERTIFICATE-----\n",
            b"-----BEGIN EC PRIVATE KEY-----\n",
        ]),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend(body);
        read_plainly(&bytes, "pw", "arbitrary bytes")?;
    }
}
