//! From probes to files: the twin, the mapped keystore and the scenario.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use super::probe::{Probes, Treatment};
use super::rename::Renamer;
use super::twin::Twins;
use super::{CaptureError, TWIN_KEYSTORE_PASSWORD, der};
use crate::cert::{CertInfo, certs_to_pem, pem_encode};
use crate::connect::{ClientCertificate, FailureClass, Options, TrustSource, Validation};
use crate::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use crate::secret::Password;

/// A capture ready to be written: the probes and what the test was asked to do.
#[derive(Debug)]
pub struct Capture<'a> {
    /// What the probes found.
    pub probes: Probes,
    /// The connectivity test as asked for.
    pub options: Options,
    /// The keystore the test used.
    pub trust: &'a TrustSource,
    /// The scenario's name (the `.toml` file's stem).
    pub name: String,
    /// Replace host names, organisation names and serials (see the renamer).
    pub anonymize: bool,
    /// When the capture was made (from the test's clock).
    pub captured_at: OffsetDateTime,
}

/// What [`Capture::write`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The output directory.
    pub dir: PathBuf,
    /// The scenario file.
    pub scenario: PathBuf,
    /// Every file name written, in order.
    pub files: Vec<String>,
    /// Certificates re-issued (synthesised issuers included).
    pub twins: usize,
    /// Issuers that were neither sent nor in the keystore, synthesised.
    pub synthesised: usize,
}

/// How the twin receiver treats client certificates.
struct ClientSide {
    mode: &'static str,
    rejection: &'static str,
    trust: Vec<CertificateDer<'static>>,
    ca_names: Option<Vec<CertificateDer<'static>>>,
}

fn toml_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

impl Capture<'_> {
    /// Writes the capture into `dir` (staged, then moved into place: nothing half-written;
    /// an existing non-empty `dir` is replaced only with `force`). A capture whose receiver
    /// sent no certificate writes nothing ([`CaptureError::NothingSent`]).
    pub fn write(&self, dir: &Path, force: bool) -> Result<Written, CaptureError> {
        let chain = self.probes.chain();
        if chain.is_empty() {
            let failure = self.probes.main.failure.as_ref();
            return Err(CaptureError::NothingSent {
                class: self.probes.main.class().to_owned(),
                message: failure.map_or_else(
                    || "the receiver sent no certificate".to_owned(),
                    |f| f.message(),
                ),
            });
        }
        let host = &self.options.target.host;
        let stand_in = if host.parse::<std::net::IpAddr>().is_ok() {
            "127.0.0.1"
        } else {
            "localhost"
        };
        let renamer = Renamer::new(host, stand_in, self.anonymize);
        let mut candidates = chain.clone();
        candidates.extend(self.trust.trusted().iter().map(|(_, c)| c.clone()));
        for pair in self.trust.key_pairs() {
            candidates.extend(pair.chain.iter().cloned());
        }
        let mut twins = Twins::new(renamer, candidates);
        let mut sent = Vec::new();
        for cert in &chain {
            let i = twins.twin(cert)?;
            sent.push(twins.certs()[i].twin.clone());
        }
        let leaf_key = twins
            .get(chain[0].as_ref())
            .map(|t| t.key.private_key().clone())
            .ok_or_else(|| CaptureError::Malformed {
                what: "the leaf has no twin".to_owned(),
            })?;

        // Key pairs first, so a trusted entry that is also in a key pair's chain (the client
        // root, say) maps to the same twin.
        for pair in self.trust.key_pairs() {
            for cert in &pair.chain {
                twins.twin(cert)?;
            }
        }
        // The keystore mapped onto the twin.
        let mut store = Keystore::new(Format::Pkcs12);
        let mut aliases = Vec::new();
        let mut keystore_lines = Vec::new();
        for (alias, cert) in self.trust.trusted() {
            // A captured certificate or an issuer of one (by name and key identifier) has a
            // twin by now; every other entry stays as it is.
            let twin = twins
                .get(cert.as_ref())
                .map_or_else(|| cert.clone(), |t| t.twin.clone());
            let how = if twin == *cert { "kept" } else { "twin" };
            keystore_lines.push(format!("  trusted {alias}: {} ({how})", subject(&twin)));
            store
                .insert(Entry {
                    alias: alias.clone(),
                    created: self.captured_at,
                    kind: EntryKind::TrustedCertificate(twin),
                })
                .map_err(|source| CaptureError::Entry {
                    alias: alias.clone(),
                    source,
                })?;
            aliases.push(alias.clone());
        }
        let mut pair_issuers: Vec<CertificateDer<'static>> = Vec::new();
        for pair in self.trust.key_pairs() {
            let mut new_chain = Vec::new();
            for cert in &pair.chain {
                let i = twins.twin(cert)?;
                new_chain.push(twins.certs()[i].twin.clone());
            }
            let Some(first) = pair.chain.first() else {
                continue;
            };
            let key = twins
                .get(first.as_ref())
                .map(|t| t.key.private_key().clone())
                .ok_or_else(|| CaptureError::Malformed {
                    what: format!("key pair `{}` has no twin", pair.alias),
                })?;
            // Every CA above the key pair's certificate, synthesised root included.
            let mut issuer = issuer_twin(&twins, &new_chain[0]);
            let mut guard = 0;
            while let Some(cert) = issuer {
                if pair_issuers.contains(&cert) || guard > 8 {
                    break;
                }
                pair_issuers.push(cert.clone());
                issuer = issuer_twin(&twins, &cert);
                guard += 1;
            }
            keystore_lines.push(format!(
                "  key pair {}: {} (re-issued twin, chain of {})",
                pair.alias,
                subject(&new_chain[0]),
                new_chain.len()
            ));
            store
                .insert(Entry {
                    alias: pair.alias.clone(),
                    created: self.captured_at,
                    kind: EntryKind::KeyPair {
                        key: KeyMaterial::plain(key),
                        chain: new_chain,
                    },
                })
                .map_err(|source| CaptureError::Entry {
                    alias: pair.alias.clone(),
                    source,
                })?;
            aliases.push(pair.alias.clone());
        }

        let client = self.client_side(&mut twins, &pair_issuers)?;

        // Files.
        let staged = crate::file::StagedDir::new(dir, force)?;
        let mut files = Vec::new();
        let mut put = |name: &str, bytes: &[u8], private: bool| -> Result<(), CaptureError> {
            if private {
                staged.write_private(name, bytes)?;
            } else {
                staged.write(name, bytes)?;
            }
            files.push(name.to_owned());
            Ok(())
        };
        put("twin-chain.pem", certs_to_pem(&sent).as_bytes(), false)?;
        put(
            "twin-key.pem",
            pem_encode("PRIVATE KEY", leaf_key.secret_pkcs8_der()).as_bytes(),
            true,
        )?;
        if !client.trust.is_empty() {
            put(
                "twin-client-trust.pem",
                certs_to_pem(&client.trust).as_bytes(),
                false,
            )?;
        }
        if let Some(names) = client.ca_names.as_ref().filter(|n| !n.is_empty()) {
            put("twin-ca-names.pem", certs_to_pem(names).as_bytes(), false)?;
        }
        let has_keystore = !store.is_empty();
        if has_keystore {
            let bytes = store
                .to_bytes(
                    Format::Pkcs12,
                    &Passwords::new(Password::new(TWIN_KEYSTORE_PASSWORD)),
                )
                .map_err(|e| CaptureError::Keystore(Box::new(e)))?;
            put("twin-keystore.p12", &bytes, true)?;
        }
        let scenario = self.scenario_text(
            &twins,
            &sent,
            &client,
            has_keystore.then_some(aliases.as_slice()),
            &keystore_lines,
        );
        let scenario_name = format!("{}.toml", self.name);
        put(&scenario_name, scenario.as_bytes(), false)?;
        let twins_made = twins.certs().len();
        let synthesised = twins.certs().iter().filter(|t| t.synthesised).count();
        let dir = staged.commit()?;
        Ok(Written {
            scenario: dir.join(&scenario_name),
            dir,
            files,
            twins: twins_made,
            synthesised,
        })
    }

    fn client_side(
        &self,
        twins: &mut Twins,
        pair_issuers: &[CertificateDer<'static>],
    ) -> Result<ClientSide, CaptureError> {
        let probes = &self.probes;
        if !probes.requested() {
            return Ok(ClientSide {
                mode: "none",
                rejection: "alert",
                trust: Vec::new(),
                ca_names: None,
            });
        }
        let (mode, rejection) = match probes.without_certificate() {
            Treatment::Answered(Some(400)) => ("required", "http-400"),
            Treatment::Answered(_) => ("optional", "alert"),
            Treatment::Refused { .. } => ("required", "alert"),
        };
        let rejection = match probes.untrusted_certificate() {
            Some(Treatment::Answered(Some(400))) => "http-400",
            _ => rejection,
        };
        // The certificates the CA names name: a twin whose real subject is the name, else a
        // synthesised CA with that name.
        let mut names = Vec::new();
        for name in probes.ca_names() {
            let known = twins
                .certs()
                .iter()
                .find(|t| {
                    crate::cert::subject_der(t.original.as_ref())
                        .ok()
                        .as_deref()
                        == Some(name.as_slice())
                        && !t.synthesised
                })
                .or_else(|| {
                    twins.certs().iter().find(|t| {
                        crate::cert::subject_der(t.original.as_ref())
                            .ok()
                            .as_deref()
                            == Some(name.as_slice())
                    })
                })
                .map(|t| t.twin.clone());
            let cert = match known {
                Some(c) => c,
                None => {
                    let stand_in = named_ca(name)?;
                    let i = twins.twin(&stand_in)?;
                    twins.certs()[i].twin.clone()
                }
            };
            names.push(cert);
        }
        let mut trust = names.clone();
        let lets_any_in = matches!(
            probes.untrusted_certificate(),
            Some(Treatment::Answered(status)) if status != Some(400)
        );
        let accepted_ours = probes.main.client_certificate.used && probes.main.succeeded();
        if lets_any_in || (names.is_empty() && accepted_ours) {
            for c in pair_issuers {
                if !trust.contains(c) {
                    trust.push(c.clone());
                }
            }
        }
        Ok(ClientSide {
            mode,
            rejection,
            trust,
            ca_names: Some(names),
        })
    }

    fn scenario_text(
        &self,
        twins: &Twins,
        sent: &[CertificateDer<'static>],
        client: &ClientSide,
        keystore: Option<&[String]>,
        keystore_lines: &[String],
    ) -> String {
        let p = &self.probes;
        let main = &p.main;
        let renamer = twins.renamer();
        let target = format!(
            "{}:{}",
            renamer.host_text(&self.options.target.host),
            self.options.target.port
        );
        let when = crate::time::format_rfc3339(self.captured_at);
        let mut d = String::new();
        let _ = writeln!(
            d,
            "Captured by `harness capture` from {target} at {when} ({}){}.",
            self.options.clock.label(),
            match (&main.address, self.anonymize) {
                (Some(a), false) => format!(", from this machine, connected to {a}"),
                _ => String::new(),
            }
        );
        if let (Some(sni), false) = (&self.options.sni, self.anonymize) {
            let _ = writeln!(d, "SNI sent: {sni}.");
        }
        let _ = writeln!(d);
        let drawn: Vec<String> = sent.iter().map(|c| format!("[{}]", subject(c))).collect();
        let _ = writeln!(d, "receiver sends:   {}", drawn.join(" -> "));
        for (i, c) in sent.iter().enumerate() {
            if let Ok(info) = CertInfo::from_der(c) {
                let _ = writeln!(
                    d,
                    "  {i}: {} | issuer {} | serial {} | {} .. {} | {} | {}",
                    info.subject,
                    info.issuer,
                    info.serial,
                    info.not_before,
                    info.not_after,
                    info.key,
                    info.signature_algorithm
                );
            }
        }
        let synthesised: Vec<String> = twins
            .certs()
            .iter()
            .filter(|t| t.synthesised)
            .map(|t| subject(&t.twin))
            .collect();
        if !synthesised.is_empty() {
            let _ = writeln!(
                d,
                "not sent, synthesised: {} (name and key identifier as the chain names them)",
                synthesised.join("; ")
            );
        }
        let _ = writeln!(
            d,
            "protocol:         {} {}; versions taken alone: {}",
            p.look.protocol.as_deref().unwrap_or("-"),
            p.look.cipher.as_deref().unwrap_or("-"),
            p.versions
                .iter()
                .map(|(v, took)| format!("{v} {}", if *took { "yes" } else { "no" }))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if p.requested() {
            let names: Vec<String> = client.ca_names.iter().flatten().map(subject).collect();
            let _ = writeln!(
                d,
                "client auth:      {} ({}); CA names: {}",
                client.mode,
                client.rejection,
                if names.is_empty() {
                    "(empty)".to_owned()
                } else {
                    names.join("; ")
                }
            );
            let _ = writeln!(
                d,
                "  without a certificate: {}",
                p.without_certificate().describe()
            );
            if let Some(t) = p.untrusted_certificate() {
                let _ = writeln!(d, "  certificate from an unknown CA: {}", t.describe());
            }
        } else {
            let _ = writeln!(d, "client auth:      not requested");
        }
        if keystore.is_some() {
            let _ = writeln!(
                d,
                "tenant keystore (twin of `{}`):",
                store_label(self.trust, self.anonymize)
            );
            for line in keystore_lines {
                let _ = writeln!(d, "{line}");
            }
        }
        let _ = writeln!(
            d,
            "connectivity test: {} -> {}, Client Certificate Used: {}{}",
            step_words(&self.options),
            main.class(),
            if main.client_certificate.used {
                "YES"
            } else {
                "NO"
            },
            main.http_status
                .map(|s| format!(", HTTP {s}"))
                .unwrap_or_default()
        );
        let _ = writeln!(d);
        let _ = writeln!(
            d,
            "The twin re-issues every certificate with seeded keys (same subject, issuer, serial,\n\
             validity, extensions, key type); the host is played by {}: names that answered for\n\
             it answer for {} in the twin. {} handshakes.",
            renamer.stand_in(),
            renamer.stand_in(),
            p.handshakes
        );
        let d = d.replace("'''", "' ' '");

        let mut t = String::new();
        let _ = writeln!(t, "version = 1");
        let _ = writeln!(t, "description = '''\n{}'''", d);
        let _ = writeln!(t, "\n[world]\nnow = {}", toml_str(&when));
        if let Some(aliases) = keystore {
            let list: Vec<String> = aliases.iter().map(|a| toml_str(a)).collect();
            let _ = writeln!(
                t,
                "\n[tenant]\nkeystore = {{ file = \"twin-keystore.p12\", password = {}, aliases = [{}] }}",
                toml_str(TWIN_KEYSTORE_PASSWORD),
                list.join(", ")
            );
        }
        let _ = writeln!(t, "\n[[receiver]]\nname = \"twin\"");
        let _ = writeln!(
            t,
            "profile = \"leaf-only\" # not used: cert_file gives the chain"
        );
        let _ = writeln!(t, "client_auth = \"{}\"", client.mode);
        if p.requested() {
            let _ = writeln!(t, "rejection = \"{}\"", client.rejection);
            if client.ca_names.as_ref().is_some_and(Vec::is_empty) {
                let _ = writeln!(t, "ca_names = \"empty\"");
            }
        }
        if let Some(status @ (401 | 403)) = main.http_status {
            let _ = writeln!(t, "require_mapping = true\nunmapped_status = {status}");
        }
        let taken: Vec<String> = p
            .versions
            .iter()
            .filter(|(v, took)| *took && (v == "1.2" || v == "1.3"))
            .map(|(v, _)| toml_str(v))
            .collect();
        let legacy = legacy_replay(p, taken.is_empty());
        if !taken.is_empty() && !legacy.contains("version") {
            let _ = writeln!(t, "tls_versions = [{}]", taken.join(", "));
        }
        if !legacy.is_empty() {
            let _ = writeln!(
                t,
                "legacy = {{ {legacy} }} # replays what the receiver accepted"
            );
        }
        let _ = writeln!(
            t,
            "cert_file = \"twin-chain.pem\"\nkey_file = \"twin-key.pem\""
        );
        if !client.trust.is_empty() {
            let _ = writeln!(t, "client_trust_file = \"twin-client-trust.pem\"");
        }
        if client.ca_names.as_ref().is_some_and(|n| !n.is_empty()) {
            let _ = writeln!(t, "ca_names_file = \"twin-ca-names.pem\"");
        }

        let _ = writeln!(t, "\n[[step]]\naction = \"connect\"\nreceiver = \"twin\"");
        if self.options.validation == Validation::DangerousOff {
            let _ = writeln!(t, "validate = false");
        }
        match &self.options.client_certificate {
            ClientCertificate::Off => {}
            ClientCertificate::Alias(a) => {
                let _ = writeln!(t, "client_certificate = {}", toml_str(a));
            }
            // With no CA names every key pair fits, the scenario tenant's own SAP key pair
            // too: name the alias the real test chose (or none, if it chose none).
            ClientCertificate::Automatic(_) if p.requested() && p.ca_names().is_empty() => {
                let _ = writeln!(
                    t,
                    "# alias empty in the real test; the receiver sent no CA names, so every key pair\n\
                     # fits (the tenant's own SAP key pair too): the alias it chose is named"
                );
                if let Some(alias) = main.client_certificate.chosen_alias.as_deref() {
                    let _ = writeln!(t, "client_certificate = {}", toml_str(alias));
                }
            }
            ClientCertificate::Automatic(policy) => {
                let _ = writeln!(t, "client_certificate = \"\"");
                if matches!(policy, crate::connect::Policy::RandomFitting { .. }) {
                    let _ = writeln!(t, "policy = \"random\"");
                }
            }
        }
        if renamer.stand_in() != "localhost" {
            let _ = writeln!(t, "host = {}", toml_str(renamer.stand_in()));
        }
        let versions: Vec<String> = ["1.2", "1.3"]
            .iter()
            .filter(|v| {
                v.parse::<crate::connect::TlsVersion>()
                    .is_ok_and(|v| v >= self.options.min_version && v <= self.options.max_version)
            })
            .map(|v| toml_str(v))
            .collect();
        if versions.len() == 1 {
            let _ = writeln!(t, "tls_versions = [{}]", versions.join(", "));
        }
        let _ = writeln!(t, "[step.expect]\noutcome = \"{}\"", main.class());
        let _ = writeln!(
            t,
            "client_certificate_used = {}",
            main.client_certificate.used
        );
        if let Some(status) = main.http_status {
            let _ = writeln!(t, "http_status = {status}");
        }
        if !main.server_chain.is_empty()
            && !matches!(main.failure_class(), Some(FailureClass::ReadTimeout))
        {
            let _ = writeln!(t, "certificates = {}", main.server_chain.len());
        }
        t
    }
}

/// The twin that issued `cert`, by issuer name (first match among the twins).
fn issuer_twin(twins: &Twins, cert: &CertificateDer<'static>) -> Option<CertificateDer<'static>> {
    let issuer = crate::cert::issuer_der(cert.as_ref()).ok()?;
    if crate::cert::subject_der(cert.as_ref()).ok()? == issuer {
        return None;
    }
    twins
        .certs()
        .iter()
        .map(|t| &t.twin)
        .find(|t| crate::cert::subject_der(t.as_ref()).ok().as_deref() == Some(issuer.as_slice()))
        .cloned()
}

/// A stand-in CA certificate named `name` (a CA name no certificate at hand has).
fn named_ca(name: &[u8]) -> Result<CertificateDer<'static>, CaptureError> {
    // 2000-01-01 .. 2099-12-31, wide enough for any test.
    let validity = der::seq(&[
        &der::tlv(0x17, b"000101000000Z"),
        &der::tlv(0x18, b"20991231235959Z"),
    ]);
    let version = der::tlv(0xa0, &[0x02, 0x01, 0x02]);
    let alg = der::seq(&[&der::oid("1.2.840.10045.4.3.2")]);
    let serial = {
        use sha1::Digest as _;
        sha1::Sha1::digest(name)
    };
    let bc = der::seq(&[
        &der::oid("2.5.29.19"),
        &[0x01, 0x01, 0xff],
        &der::tlv(0x04, &der::seq(&[&[0x01, 0x01, 0xff]])),
    ]);
    let ski = der::seq(&[
        &der::oid("2.5.29.14"),
        &der::tlv(0x04, &der::tlv(0x04, &[0; 20])),
    ]);
    let exts = der::tlv(0xa3, &der::seq(&[&bc, &ski]));
    let spki = der::seq(&[
        &der::seq(&[
            &der::oid("1.2.840.10045.2.1"),
            &der::oid("1.2.840.10045.3.1.7"),
        ]),
        &der::tlv(0x03, &[0, 4]),
    ]);
    let tbs = der::seq(&[
        &version,
        &der::uint(&serial[..16]),
        &alg,
        name,
        &validity,
        name,
        &spki,
        &exts,
    ]);
    Ok(CertificateDer::from(der::seq(&[
        &tbs,
        &alg,
        &der::tlv(0x03, &[0]),
    ])))
}

fn subject(cert: &CertificateDer<'_>) -> String {
    CertInfo::from_der(cert)
        .map(|i| i.subject)
        .unwrap_or_else(|_| "unparsable certificate".to_owned())
}

fn store_label(trust: &TrustSource, anonymize: bool) -> String {
    if anonymize {
        return "the keystore".to_owned();
    }
    match trust.label.as_str() {
        "" => "the keystore".to_owned(),
        label => label.to_owned(),
    }
}

fn step_words(options: &Options) -> String {
    let validate = match options.validation {
        Validation::Required => "validate server certificate",
        Validation::DangerousOff => "no server validation",
    };
    let cert = match &options.client_certificate {
        ClientCertificate::Off => "no client certificate".to_owned(),
        ClientCertificate::Alias(a) => format!("client certificate `{a}`"),
        ClientCertificate::Automatic(_) => "client certificate: alias empty".to_owned(),
    };
    format!("{validate}, {cert}")
}

/// The scenario's `legacy` settings that replay what the receiver accepted (the fields of a
/// TOML inline table, empty when nothing legacy was seen): a TLS version below 1.2 when the
/// receiver took no newer one, and the cipher policy the suite it chose for Java's
/// ClientHello belongs to (RSA key exchange, finite-field DHE, CBC). The suite is the one
/// the receiver picked from Java's whole list, so a receiver that prefers CBC over GCM is
/// replayed as CBC-only: the same outcome for a Java client, which offers both.
fn legacy_replay(p: &Probes, no_modern_version: bool) -> String {
    let mut fields = Vec::new();
    if no_modern_version
        && let Some((v, _)) = p
            .versions
            .iter()
            .rev()
            .find(|(v, took)| *took && (v == "1.0" || v == "1.1"))
    {
        fields.push(format!("version = {}", toml_str(v)));
    }
    let suite = p.look.cipher.as_deref().or(p.main.cipher.as_deref());
    let policy = suite.and_then(|suite| {
        if suite.starts_with("TLS_RSA_WITH_") {
            Some("rsa-kx-only")
        } else if suite.starts_with("TLS_DHE_") {
            Some("dhe-only")
        } else if suite.contains("_CBC_") {
            Some("cbc-only")
        } else {
            None
        }
    });
    if let Some(policy) = policy {
        fields.push(format!("ciphers = {}", toml_str(policy)));
    }
    fields.join(", ")
}
