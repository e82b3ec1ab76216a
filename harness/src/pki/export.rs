//! Writing a world to a directory for people: `<role>.<what>.<ext>`, plus an index.

use std::path::Path;

use serde::Serialize;

use super::PkiError;
use super::world::Role;
use super::world::World;
use crate::cert::{CertInfo, certs_to_pem};
use crate::file::{StageError, StagedDir};
use crate::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords, encode_p7b};
use crate::secret::Password;

/// The password of the `client.p12` that [`write_dir`] writes (keytool's customary default;
/// a test PKI, not a secret). [`write_dir_with`] takes another.
pub const CLIENT_P12_PASSWORD: &str = "changeit";

/// The alias of the key pair in `client.p12`.
pub const CLIENT_P12_ALIAS: &str = "client";

/// The index of a generated PKI directory (`index.json`).
#[derive(Clone, Debug, Serialize)]
pub struct PkiIndex {
    /// Format version of this JSON.
    pub version: u32,
    /// The seed.
    pub seed: u64,
    /// The simulated "now", RFC 3339.
    pub now: String,
    /// The key type.
    pub key_type: String,
    /// One entry per certificate.
    pub certificates: Vec<IndexEntry>,
}

/// One certificate in the index.
#[derive(Clone, Debug, Serialize)]
pub struct IndexEntry {
    /// The role (`receiver-root`, `server`, ...), which is also the file name stem.
    pub role: String,
    /// The decoded certificate.
    #[serde(flatten)]
    pub info: CertInfo,
}

impl PkiIndex {
    /// The index as an aligned text table.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "seed {}  now {}  key type {}\n\n",
            self.seed, self.now, self.key_type
        );
        let width = self
            .certificates
            .iter()
            .map(|c| c.role.len())
            .max()
            .unwrap_or(4);
        for entry in &self.certificates {
            let info = &entry.info;
            out.push_str(&format!(
                "{:<width$}  {}\n{:<width$}  issuer   {}\n{:<width$}  serial   {}\n{:<width$}  valid    {} .. {}\n{:<width$}  sha256   {}\n",
                entry.role, info.subject, "", info.issuer, "", info.serial, "",
                info.not_before, info.not_after, "", info.sha256,
            ));
        }
        out
    }
}

/// The index of a world (no files written).
pub fn index(world: &World) -> Result<PkiIndex, PkiError> {
    let spec = world.spec();
    let certificates = world
        .iter()
        .map(|(role, issued)| {
            let info =
                CertInfo::from_der(issued.cert()).map_err(|e| PkiError::Sign(e.to_string()))?;
            Ok(IndexEntry {
                role: role.name().to_owned(),
                info,
            })
        })
        .collect::<Result<_, PkiError>>()?;
    Ok(PkiIndex {
        version: 1,
        seed: spec.seed,
        now: crate::time::format_rfc3339(spec.now),
        key_type: spec.key_type.name().to_owned(),
        certificates,
    })
}

/// Writes every role as PEM and DER into `out`, atomically: the directory appears complete
/// or not at all. For each role: `<role>.cert.pem`, `<role>.cert.der`, `<role>.key.pem`
/// (PKCS#8), `<role>.key.der`; for issued certificates also `<role>.chain.pem` (certificate
/// and intermediates, what a server sends) and `<role>.fullchain.pem` (with the root). Then
/// `index.txt` and `index.json`. Besides: `client.p12` (the client key pair with its full
/// chain, alias [`CLIENT_P12_ALIAS`], password [`CLIENT_P12_PASSWORD`], JDK 17's PKCS#12
/// form) and `client.p7b` / `server.p7b` (each full chain, certs-only PKCS#7 as CPI's
/// Keystore Monitor downloads a key pair).
pub fn write_dir(world: &World, out: &Path, replace: bool) -> Result<PkiIndex, PkiError> {
    write_dir_with(world, out, replace, &Password::new(CLIENT_P12_PASSWORD))
}

/// [`write_dir`] with another password for `client.p12`.
pub fn write_dir_with(
    world: &World,
    out: &Path,
    replace: bool,
    p12_password: &Password,
) -> Result<PkiIndex, PkiError> {
    let stage_err = |e: StageError| match e {
        StageError::NotEmpty { path } => PkiError::OutputNotEmpty { path },
        StageError::Io { path, source } => PkiError::Write { path, source },
    };
    let staged = StagedDir::new(out, replace).map_err(stage_err)?;
    for (role, issued) in world.iter() {
        let name = role.name();
        let key = issued.key().private_key();
        staged
            .write(
                &format!("{name}.cert.pem"),
                certs_to_pem(&[issued.cert().clone()]).as_bytes(),
            )
            .map_err(stage_err)?;
        staged
            .write(&format!("{name}.cert.der"), issued.cert())
            .map_err(stage_err)?;
        staged
            .write_private(
                &format!("{name}.key.pem"),
                key.secret_pkcs8_pem().as_bytes(),
            )
            .map_err(stage_err)?;
        staged
            .write_private(&format!("{name}.key.der"), key.secret_pkcs8_der())
            .map_err(stage_err)?;
        if !issued.issuers().is_empty() {
            staged
                .write(
                    &format!("{name}.chain.pem"),
                    certs_to_pem(&issued.chain()).as_bytes(),
                )
                .map_err(stage_err)?;
            staged
                .write(
                    &format!("{name}.fullchain.pem"),
                    certs_to_pem(&issued.full_chain()).as_bytes(),
                )
                .map_err(stage_err)?;
        }
    }
    let keystore_err = |e: crate::keystore::KeystoreError| PkiError::Write {
        path: out.to_owned(),
        source: std::io::Error::other(e),
    };
    let client = world.get(Role::Client);
    let mut p12 = Keystore::new(Format::Pkcs12);
    p12.insert(Entry {
        alias: CLIENT_P12_ALIAS.to_owned(),
        created: world.spec().now,
        kind: EntryKind::KeyPair {
            key: KeyMaterial::plain(client.key().private_key().clone()),
            chain: client.full_chain(),
        },
    })
    .map_err(|e| keystore_err(crate::keystore::KeystoreError::write("client.p12", e)))?;
    let p12_bytes = p12
        .to_bytes(Format::Pkcs12, &Passwords::new(p12_password.clone()))
        .map_err(keystore_err)?;
    staged
        .write_private("client.p12", &p12_bytes)
        .map_err(stage_err)?;
    for (role, name) in [(Role::Client, "client.p7b"), (Role::Server, "server.p7b")] {
        let p7b = encode_p7b(&world.get(role).full_chain(), false).map_err(keystore_err)?;
        staged.write(name, &p7b).map_err(stage_err)?;
    }
    let index = index(world)?;
    staged
        .write("index.txt", index.to_text().as_bytes())
        .map_err(stage_err)?;
    let json = serde_json::to_string_pretty(&index).map_err(|e| PkiError::Sign(e.to_string()))?;
    staged
        .write("index.json", format!("{json}\n").as_bytes())
        .map_err(stage_err)?;
    staged.commit().map_err(stage_err)?;
    Ok(index)
}
