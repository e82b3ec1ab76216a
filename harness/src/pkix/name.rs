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
    pub(crate) fn from_text(text: String) -> Self {
        Self(text)
    }

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
    let mut rdns: Vec<String> = rdns(name).into_iter().map(|r| r.join("+")).collect();
    // RFC 2253 order: the last RDN first.
    rdns.reverse();
    rdns.join(",")
}

/// The RDNs in encoding order, each the sorted canonical `oid=value` of its attributes.
pub(crate) fn rdns(name: &x509_parser::x509::X509Name<'_>) -> Vec<Vec<String>> {
    name.iter()
        .map(|rdn| {
            let mut avas: Vec<String> = rdn.iter().map(canonical_ava).collect();
            avas.sort();
            avas
        })
        .collect()
}

/// A name as Java's `X500Principal.toString()` prints it (`CN=leaf, O=Org, C=DE`: the last
/// RDN first, `, ` between RDNs, Java's keywords).
pub(crate) fn java_text(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut rdns: Vec<String> = name
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|ava| {
                    let oid = ava.attr_type().to_id_string();
                    let key = match oid.as_str() {
                        "2.5.4.3" => "CN".to_owned(),
                        "2.5.4.6" => "C".to_owned(),
                        "2.5.4.7" => "L".to_owned(),
                        "2.5.4.8" => "ST".to_owned(),
                        "2.5.4.10" => "O".to_owned(),
                        "2.5.4.11" => "OU".to_owned(),
                        "2.5.4.9" => "STREET".to_owned(),
                        "0.9.2342.19200300.100.1.25" => "DC".to_owned(),
                        "0.9.2342.19200300.100.1.1" => "UID".to_owned(),
                        "1.2.840.113549.1.9.1" => "EMAILADDRESS".to_owned(),
                        "2.5.4.5" => "SERIALNUMBER".to_owned(),
                        other => format!("OID.{other}"),
                    };
                    let value = ava.as_str().map(str::to_owned).unwrap_or_else(|_| {
                        format!("#{}", crate::cert::lower_hex(ava.attr_value().data))
                    });
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    rdns.reverse();
    rdns.join(", ")
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
