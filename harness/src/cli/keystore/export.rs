//! `harness keystore export` and `convert`: entries and whole stores written out.

use std::io::Write as _;

use anyhow::{Context, bail};
use rustls_pki_types::CertificateDer;

use harness::cert::pem_encode;
use harness::exit::ExitCode;
use harness::keystore::{EntryKind, Passwords, Pkcs12Profile};

use super::{ConvertArgs, ExportArgs, ExportFormat, StoreType, open, password_from, same_file};

pub(super) fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let (store, _) = open(&args.file, &args.pass)?;
    let entry = store.get(&args.alias).with_context(|| {
        format!(
            "keystore `{}` has no entry with alias `{}`",
            args.file.display(),
            args.alias
        )
    })?;
    let chain: Vec<CertificateDer<'static>> = match &entry.kind {
        EntryKind::TrustedCertificate(cert) => vec![cert.clone()],
        EntryKind::KeyPair { chain, .. } => chain.clone(),
        EntryKind::SecretKey { .. } => bail!(
            "alias `{}` is a secret-key entry: it has no certificate to export",
            args.alias
        ),
    };
    let Some(leaf) = chain.first() else {
        bail!("alias `{}` has no certificate", args.alias);
    };
    let bytes = match args.format {
        ExportFormat::Der => leaf.to_vec(),
        ExportFormat::Pem => pem_encode("CERTIFICATE", leaf).into_bytes(),
        ExportFormat::P7b => harness::keystore::encode_p7b(&chain, args.pem)?,
    };
    match &args.out {
        Some(out) => {
            harness::file::write_outputs(&[(out.clone(), bytes)], args.force, &[&args.file], None)?;
            eprintln!("wrote `{}`", out.display());
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(ExitCode::Success)
}

pub(super) fn convert(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    if args.out.exists() && !args.force {
        bail!(
            "output `{}` exists (pass --force to replace it)",
            args.out.display()
        );
    }
    if same_file(&args.file, &args.out) {
        bail!(
            "output `{}` is the input: convert never modifies its input",
            args.out.display()
        );
    }
    if args.legacy && args.to != StoreType::Pkcs12 {
        bail!("--legacy applies to --to pkcs12 only");
    }
    let (mut store, passwords) = open(&args.file, &args.pass)?;
    let dest = match (&args.destpass_env, &args.destpass_file) {
        (None, None) => passwords.clone(),
        (env, file) => Passwords::new(password_from(
            env.as_deref(),
            file.as_deref(),
            "output",
            &args.out,
        )?),
    };
    let unlock = args.keypass.apply(passwords.clone(), &store, &args.file)?;
    store
        .unlock_keys(&unlock)
        .with_context(|| format!("cannot read keystore `{}`", args.file.display()))?;
    let target = args.to.format();
    let converted = store
        .convert(target)
        .with_context(|| format!("cannot convert `{}` to {target}", args.file.display()))?;
    if args.legacy {
        let bytes = converted.to_pkcs12(&dest, Pkcs12Profile::Legacy)?;
        harness::file::write_atomic(&args.out, &bytes)
            .with_context(|| format!("cannot write `{}`", args.out.display()))?;
    } else {
        converted.write_file(&args.out, target, &dest)?;
    }
    eprintln!(
        "wrote {} entries to {} keystore `{}`",
        converted.len(),
        target,
        args.out.display()
    );
    Ok(ExitCode::Success)
}
