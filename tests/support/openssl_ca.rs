//! A small CA made with the `openssl` command line, for interop tests whose certificates must
//! come from OpenSSL itself (not from our PKI): keys, self-signed roots and issued
//! certificates as `NAME.key` / `NAME.pem` files in one directory, extensions from
//! OpenSSL extension files, every certificate valid from the wall clock for 10 days.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run_ok;

/// Key algorithms a certificate can be made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA P-256.
    P256,
    /// RSA 2048.
    Rsa2048,
}

/// The `openssl` binary and the directory it works in.
#[derive(Debug)]
pub struct OpensslCa {
    openssl: PathBuf,
    dir: PathBuf,
}

impl OpensslCa {
    /// A CA writing its files to `dir` with the `openssl` at `openssl`.
    pub fn new(openssl: &Path, dir: &Path) -> Self {
        Self {
            openssl: openssl.to_owned(),
            dir: dir.to_owned(),
        }
    }

    fn sh(&self, args: &[&str]) {
        run_ok(
            Command::new(&self.openssl)
                .current_dir(&self.dir)
                .args(args),
        );
    }

    /// Writes the extension file `name` (OpenSSL `-extfile` syntax).
    pub fn ext(&self, name: &str, body: &str) {
        std::fs::write(self.dir.join(name), body).unwrap();
    }

    /// Generates `NAME.key`.
    pub fn key(&self, name: &str, kind: KeyKind) {
        let (algorithm, option) = match kind {
            KeyKind::P256 => ("EC", "ec_paramgen_curve:P-256"),
            KeyKind::Rsa2048 => ("RSA", "rsa_keygen_bits:2048"),
        };
        let out = format!("{name}.key");
        self.sh(&[
            "genpkey",
            "-algorithm",
            algorithm,
            "-pkeyopt",
            option,
            "-out",
            &out,
        ]);
    }

    /// `NAME.key` and a request `NAME.csr` for `subject`, then `NAME.pem` signed with
    /// `signer` (the `x509 -req` arguments naming the issuer).
    fn make(
        &self,
        name: &str,
        subject: &str,
        kind: KeyKind,
        signer: &[&str],
        ext: &str,
        serial: &str,
    ) {
        self.key(name, kind);
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        self.sh(&["req", "-new", "-key", &key, "-subj", subject, "-out", &csr]);
        let mut args = vec!["x509", "-req", "-in", &csr];
        args.extend_from_slice(signer);
        args.extend([
            "-set_serial",
            serial,
            "-days",
            "10",
            "-extfile",
            ext,
            "-out",
            &pem,
        ]);
        self.sh(&args);
    }

    /// A self-signed certificate `NAME.pem` (a root, or a self-signed server) with its key.
    pub fn root(&self, name: &str, subject: &str, ext: &str, serial: &str, kind: KeyKind) {
        let key = format!("{name}.key");
        self.make(name, subject, kind, &["-signkey", &key], ext, serial);
    }

    /// A certificate `NAME.pem` with its key, issued by `ca` (`CA.pem`, `CA.key`).
    pub fn issue(
        &self,
        name: &str,
        subject: &str,
        ca: &str,
        ext: &str,
        serial: &str,
        kind: KeyKind,
    ) {
        let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
        self.make(
            name,
            subject,
            kind,
            &["-CA", &ca_pem, "-CAkey", &ca_key],
            ext,
            serial,
        );
    }

    /// Writes `out` as the concatenation of `parts` (chains and key + certificate bundles).
    pub fn cat(&self, out: &str, parts: &[&str]) {
        let text: String = parts
            .iter()
            .map(|p| std::fs::read_to_string(self.dir.join(p)).unwrap())
            .collect();
        std::fs::write(self.dir.join(out), text).unwrap();
    }
}
