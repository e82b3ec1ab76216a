//! Java's distinguished-name comparison: `X500Principal.equals`, which compares the RFC 2253
//! canonical form (`X500Name.getRFC2253CanonicalName`): attribute values of string types
//! compared case-insensitively after Unicode normalisation, leading/trailing whitespace
//! removed and inner runs of whitespace collapsed, whatever the string type
//! (PrintableString, UTF8String, ...); other values compared by their encoding; RDNs with
//! several attributes compared as sets.
//!
//! Source: JDK 17 `sun/security/x509/AVA.java` (`toRFC2253CanonicalString`) and
//! `sun/security/x509/X500Name.java` (`getRFC2253CanonicalName`, `equals`).

/// A distinguished name in Java's canonical form: two names Java finds equal have equal
/// canonical forms.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CanonicalName(String);

impl CanonicalName {
    /// The canonical text (RFC 2253 style, lower case, `oid=value` with Java's rules).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The canonical form of a DER Name (outer SEQUENCE included); `None` when it does not
/// parse.
pub fn canonical(der: &[u8]) -> Option<CanonicalName> {
    use x509_parser::prelude::FromDer;
    let (rest, name) = x509_parser::x509::X509Name::from_der(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    Some(CanonicalName(canonical_text(&name)))
}

/// The canonical form of a parsed name.
pub(crate) fn canonical_text(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut rdns: Vec<String> = Vec::new();
    for rdn in name.iter() {
        let mut avas: Vec<String> = rdn.iter().map(canonical_ava).collect();
        avas.sort();
        rdns.push(avas.join("+"));
    }
    // RFC 2253 order: the last RDN first.
    rdns.reverse();
    rdns.join(",")
}

fn canonical_ava(ava: &x509_parser::x509::AttributeTypeAndValue<'_>) -> String {
    use x509_parser::der_parser::asn1_rs::Tag;
    let oid = ava.attr_type().to_id_string();
    let value = ava.attr_value();
    let text = match value.header.tag() {
        Tag::PrintableString
        | Tag::Utf8String
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::UniversalString
        | Tag::BmpString
        | Tag::VisibleString
        | Tag::NumericString => ava.as_str().ok().map(normalise),
        _ => None,
    };
    match text {
        Some(text) => format!("{oid}={text}"),
        None => format!("{oid}=#{}", crate::cert::lower_hex(value.data)),
    }
}

/// Lower case, whitespace trimmed and inner runs collapsed to one space (Java's
/// `AVA.toRFC2253CanonicalString`).
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_uppercase().to_lowercase());
    }
    out
}
