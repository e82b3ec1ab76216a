//! Java's `HostnameChecker` for HTTPS endpoint identification (JDK 17
//! `sun/security/util/HostnameChecker.java`, TYPE_TLS; `chainsToPublicCA` false: a tenant
//! keystore's anchors are not JDK cacerts roots, so no public-suffix check).

use std::net::IpAddr;

use super::Host;
use super::cert::{Cert, Name};

/// Why the host does not match: the rule id.
pub(crate) fn check(cert: &Cert, host: &Host) -> Result<(), &'static str> {
    match host {
        Host::Ip(ip) => match_ip(cert, *ip),
        Host::Dns(name) => match_dns(cert, name),
    }
}

fn match_ip(cert: &Cert, ip: IpAddr) -> Result<(), &'static str> {
    let Some(san) = &cert.san else {
        return Err("host-ip-no-san");
    };
    let octets: Vec<u8> = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    if san.iter().any(|n| matches!(n, Name::Ip(b) if *b == octets)) {
        Ok(())
    } else {
        Err("host-ip-mismatch")
    }
}

fn match_dns(cert: &Cert, host: &str) -> Result<(), &'static str> {
    // `new SNIHostName(expectedName)` first.
    if !valid_sni(host) {
        return Err("host-illegal-name");
    }
    if let Some(san) = &cert.san {
        let mut found = false;
        for name in san {
            if let Name::Dns(dns) = name {
                found = true;
                if is_matched(host, dns) {
                    return Ok(());
                }
            }
        }
        if found {
            return Err("host-dns-san-mismatch");
        }
    }
    // The most specific CN: the last one in the subject.
    match cert.common_names.last() {
        Some(cn) if is_matched(host, cn) => Ok(()),
        _ => Err("host-cn-mismatch"),
    }
}

/// `HostnameChecker.isMatched` for TLS.
pub(crate) fn is_matched(name: &str, template: &str) -> bool {
    if has_illegal_wildcard(template) {
        return false;
    }
    // `new SNIHostName(template.replace('*', 'z'))`: a valid host name (LDH labels, no
    // trailing dot).
    if !valid_sni(&template.replace('*', "z")) {
        return false;
    }
    match_all_wildcards(name, template)
}

fn has_illegal_wildcard(domain: &str) -> bool {
    if domain == "*" || domain == "*." {
        return true;
    }
    match domain.rfind('*') {
        None => false,
        Some(i) => !domain[i..].contains('.'),
    }
}

pub(super) fn valid_sni(name: &str) -> bool {
    if name.is_empty() || name.ends_with('.') || !name.is_ascii() {
        return false;
    }
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    })
}

fn match_all_wildcards(name: &str, template: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let template = template.to_ascii_lowercase();
    // StringTokenizer: empty tokens are skipped.
    let names: Vec<&str> = name.split('.').filter(|t| !t.is_empty()).collect();
    let templates: Vec<&str> = template.split('.').filter(|t| !t.is_empty()).collect();
    names.len() == templates.len()
        && names
            .iter()
            .zip(&templates)
            .all(|(n, t)| match_wildcards(n, t))
}

/// `HostnameChecker.matchWildCards`: the template's non-wildcard parts in sequence, the first
/// anchored at the start, the last at the end.
fn match_wildcards(name: &str, template: &str) -> bool {
    let Some(mut idx) = template.find('*') else {
        return name == template;
    };
    let mut name = name;
    let mut after = template;
    let mut beginning = true;
    loop {
        let before = &after[..idx];
        after = &after[idx + 1..];
        let Some(start) = name.find(before) else {
            return false;
        };
        if beginning && start != 0 {
            return false;
        }
        beginning = false;
        name = &name[start + before.len()..];
        match after.find('*') {
            Some(next) => idx = next,
            None => break,
        }
    }
    name.ends_with(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_wildcards() {
        assert!(is_matched("LOCALHOST", "localhost"));
        assert!(is_matched("a.example.com", "*.example.com"));
        assert!(!is_matched("a.b.example.com", "*.example.com"));
        assert!(is_matched("a.b.example.com", "*.*.example.com"));
        assert!(is_matched("foo1.example.com", "foo*.example.com"));
        assert!(is_matched("xbaz.example.com", "*baz.example.com"));
        assert!(!is_matched("baz.example.com", "f*o.example.com"));
        assert!(
            is_matched("example.com", "*.com"),
            "no public suffix check off cacerts"
        );
        assert!(!is_matched("com", "*"));
        assert!(!is_matched("example.com", "example*"));
        assert!(!is_matched("example.com", "example.com."));
        assert!(!is_matched("under_score.com", "under_score.com"));
    }
}
