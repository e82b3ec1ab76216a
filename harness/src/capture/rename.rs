//! Names in a twin: the captured host played by loopback, and `--anonymize`.
//!
//! The scenario's connectivity test connects to `localhost` (or `127.0.0.1` for an IP
//! host), so every name that answers for the captured host (a DNS SAN equal to it, a
//! wildcard that covers it, a CN equal to it, an IP SAN equal to it) is renamed to the
//! loopback name; every other name stays, so a wrong-host certificate stays wrong.
//!
//! `--anonymize` also replaces every other host name, organisation (`O`, `OU`) and common
//! name, and every serial, by a keyed hash of the original: the same input gives the same
//! output in every capture, so issuer and subject still match across certificates and
//! captures.

use sha2::{Digest, Sha256};

/// The hash key of `--anonymize` (fixed, so captures agree with each other).
const KEY: &[u8] = b"harness-capture/anonymize/v1\0";

/// What names become in the twin.
#[derive(Clone, Debug)]
pub(crate) struct Renamer {
    /// The captured host (lower case) and what plays it.
    host: Option<(String, String)>,
    /// The captured host as IP bytes, when it is an IP address.
    host_ip: Option<Vec<u8>>,
    anonymize: bool,
}

/// Common name, organisation, organisational unit.
const CN: &str = "2.5.4.3";
const O: &str = "2.5.4.10";
const OU: &str = "2.5.4.11";

impl Renamer {
    /// A renamer for `host` played by `stand_in`.
    pub(crate) fn new(host: &str, stand_in: &str, anonymize: bool) -> Self {
        let host_ip = host.parse::<std::net::IpAddr>().ok().map(|ip| match ip {
            std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
            std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
        });
        Self {
            host: Some((host.to_ascii_lowercase(), stand_in.to_owned())),
            host_ip,
            anonymize,
        }
    }

    /// The keyed hash of `text` in `kind`, as 8 hex digits.
    pub(crate) fn hash(kind: &str, text: &str) -> String {
        let mut h = Sha256::new();
        h.update(KEY);
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        crate::cert::lower_hex(&h.finalize()[..4])
    }

    /// Whether `pattern` (a DNS SAN, maybe a wildcard) answers for the captured host.
    fn covers_host(&self, pattern: &str) -> bool {
        let Some((host, _)) = &self.host else {
            return false;
        };
        let pattern = pattern.to_ascii_lowercase();
        if pattern == *host {
            return true;
        }
        match pattern.strip_prefix("*.") {
            Some(rest) => host
                .split_once('.')
                .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
            None => false,
        }
    }

    /// A DNS name of a SAN or CN.
    pub(crate) fn dns(&self, name: &str) -> String {
        if let Some((_, stand_in)) = self.host.as_ref().filter(|_| self.covers_host(name)) {
            return stand_in.clone();
        }
        if !self.anonymize || name.eq_ignore_ascii_case("localhost") {
            return name.to_owned();
        }
        let lower = name.to_ascii_lowercase();
        match lower.strip_prefix("*.") {
            Some(rest) => format!("*.d{}.example", Self::hash("dns", rest)),
            None => format!("h{}.example", Self::hash("dns", &lower)),
        }
    }

    /// An IP address SAN (4 or 16 bytes): the captured host's becomes loopback.
    pub(crate) fn ip(&self, bytes: &[u8]) -> Vec<u8> {
        match &self.host_ip {
            Some(ip) if ip == bytes => vec![127, 0, 0, 1],
            _ => bytes.to_vec(),
        }
    }

    /// The new text of a name attribute, `None` when it stays.
    pub(crate) fn attribute(&self, oid: &str, text: &str) -> Option<String> {
        let looks_like_host = !text.is_empty()
            && text.contains('.')
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_'));
        let new = match oid {
            CN if looks_like_host || self.covers_host(text) => self.dns(text),
            CN if self.anonymize => format!("Name {}", Self::hash("cn", text)),
            O if self.anonymize => format!("Org {}", Self::hash("o", text)),
            OU if self.anonymize => format!("Unit {}", Self::hash("ou", text)),
            _ => return None,
        };
        (new != text).then_some(new)
    }

    /// A serial: the same length, from the hash when anonymizing.
    pub(crate) fn serial(&self, magnitude: &[u8]) -> Vec<u8> {
        if !self.anonymize {
            return magnitude.to_vec();
        }
        let mut out = Vec::with_capacity(magnitude.len());
        let mut counter = 0u32;
        while out.len() < magnitude.len().max(1) {
            let mut h = Sha256::new();
            h.update(KEY);
            h.update(b"serial\0");
            h.update(counter.to_be_bytes());
            h.update(magnitude);
            out.extend_from_slice(&h.finalize());
            counter += 1;
        }
        out.truncate(magnitude.len().max(1));
        out[0] = (out[0] & 0x7f) | 0x01;
        out
    }

    /// The host as the twin's connectivity test names it.
    pub(crate) fn stand_in(&self) -> &str {
        self.host.as_ref().map_or("localhost", |(_, s)| s)
    }

    /// A host name in the scenario's text.
    pub(crate) fn host_text(&self, host: &str) -> String {
        if self.anonymize && host.parse::<std::net::IpAddr>().is_err() {
            self.dns_plain(host)
        } else if self.anonymize {
            format!("ip-{}", Self::hash("ip", host))
        } else {
            host.to_owned()
        }
    }

    fn dns_plain(&self, name: &str) -> String {
        if name.eq_ignore_ascii_case("localhost") {
            return name.to_owned();
        }
        format!("h{}.example", Self::hash("dns", &name.to_ascii_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_and_its_wildcard_become_the_stand_in() {
        let r = Renamer::new("api.customer.com", "localhost", false);
        assert_eq!(r.dns("api.customer.com"), "localhost");
        assert_eq!(r.dns("API.customer.com"), "localhost");
        assert_eq!(r.dns("*.customer.com"), "localhost");
        assert_eq!(r.dns("other.customer.com"), "other.customer.com");
        assert_eq!(r.dns("*.com"), "*.com");
    }

    #[test]
    fn anonymizing_is_consistent_and_hides_names() {
        let r = Renamer::new("api.customer.com", "localhost", true);
        let a = r.attribute(O, "Customer AG").unwrap();
        assert_eq!(r.attribute(O, "Customer AG").unwrap(), a);
        assert!(!a.contains("Customer"));
        assert_ne!(r.attribute(O, "Other AG").unwrap(), a);
        let other = r.dns("www.customer.com");
        assert!(other.ends_with(".example") && !other.contains("customer"));
        let s = r.serial(&[0x12, 0x34, 0x56]);
        assert_eq!(s.len(), 3);
        assert_ne!(s, vec![0x12, 0x34, 0x56]);
        assert_eq!(r.serial(&[0x12, 0x34, 0x56]), s);
        assert_eq!(
            r.host_text("api.customer.com"),
            r.host_text("api.customer.com")
        );
        assert!(!r.host_text("api.customer.com").contains("customer"));
    }

    #[test]
    fn without_anonymize_only_the_host_changes() {
        let r = Renamer::new("127.0.0.1", "127.0.0.1", false);
        assert_eq!(r.attribute(O, "Customer AG"), None);
        assert_eq!(r.ip(&[10, 0, 0, 1]), vec![10, 0, 0, 1]);
        let r = Renamer::new("10.0.0.1", "127.0.0.1", false);
        assert_eq!(r.ip(&[10, 0, 0, 1]), vec![127, 0, 0, 1]);
        assert_eq!(r.serial(&[1, 2]), vec![1, 2]);
    }
}
