//! Secrets: passwords and private keys.
//!
//! Neither type implements `Display`, and `Debug` elides the value (after rustls-pki-types'
//! `PrivateKeyDer`), so a secret cannot reach a log, a report or an error by accident.
//! Accessors that expose the value are named `secret_*`, so every use is easy to find.

use std::fmt;

/// A keystore or key password.
///
/// Java derives keys from passwords as UTF-16 (JKS/JCEKS integrity, PKCS#12) or as the low
/// byte of each UTF-16 unit (PBEWithMD5AndTripleDES); the raw text is kept so each codec can
/// apply its own rule.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The password text. Never log or print it.
    pub fn secret_str(&self) -> &str {
        &self.0
    }

    /// The password as Java's `char[]`: UTF-16 code units.
    pub fn secret_utf16(&self) -> Vec<u16> {
        self.0.encode_utf16().collect()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([secret elided])")
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

/// A private key as PKCS#8 DER (`PrivateKeyInfo`).
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(Vec<u8>);

impl PrivateKey {
    /// Wraps PKCS#8 DER bytes.
    pub fn from_pkcs8_der(der: Vec<u8>) -> Self {
        Self(der)
    }

    /// The PKCS#8 DER bytes. Never log or print them.
    pub fn secret_pkcs8_der(&self) -> &[u8] {
        &self.0
    }

    /// The key as PEM (`-----BEGIN PRIVATE KEY-----`). Never log or print it.
    pub fn secret_pkcs8_pem(&self) -> String {
        crate::cert::pem_encode("PRIVATE KEY", &self.0)
    }

    /// The key in rustls' type, for TLS configurations.
    pub fn to_rustls(&self) -> rustls_pki_types::PrivateKeyDer<'static> {
        rustls_pki_types::PrivateKeyDer::Pkcs8(self.0.clone().into())
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey([secret key elided])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_elides_secrets() {
        let password = Password::new("changeit-Secret1");
        let secret = [0x30, 0x42, 0x13, 0x37];
        let key = PrivateKey::from_pkcs8_der(secret.to_vec());
        for printed in [
            format!("{password:?} {key:?}"),
            format!("{password:#?} {key:#?}"),
        ] {
            assert!(printed.contains("elided"), "{printed}");
            assert!(!printed.contains("changeit"), "{printed}");
            // Every rendering of the key bytes a derive or a helper could produce: the
            // byte list in decimal (`[48, 66, 19, 55]`, also pretty-printed one per line),
            // hex in either case, base64.
            let decimal: Vec<String> = secret.iter().map(u8::to_string).collect();
            let renderings = [
                format!("{secret:?}"),
                decimal.join(",\n"),
                decimal[1..].join(", "),
                secret
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
                secret
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<String>(),
                secret
                    .iter()
                    .map(|b| format!("{b:#04x}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                "MEITNw".to_owned(),
            ];
            for rendering in &renderings {
                assert!(
                    !printed.contains(rendering.as_str()),
                    "{rendering}: {printed}"
                );
            }
            // The pretty-printed decimal list puts one byte per line: no line may be one.
            for line in printed.lines() {
                let line = line.trim().trim_end_matches(',');
                assert!(!decimal[1..].iter().any(|d| d == line), "{line}: {printed}");
            }
        }
    }
}
