//! `harness keystore new`, `import-cert` and `import-keypair`: stores created and filled.

use std::path::Path;

use anyhow::{Context, bail};

use harness::cert::CertInfo;
use harness::exit::ExitCode;
use harness::keystore::{
    Entry, EntryKind, Format, Keystore, Passwords, detect_format, read_certificates,
};
use harness::secret::Password;

use super::{
    ImportCertArgs, ImportKeypairArgs, NewArgs, now, open_or_create, password_from, save,
    store_password,
};

pub(super) fn new(args: NewArgs) -> anyhow::Result<ExitCode> {
    if args.file.exists() {
        bail!(
            "keystore `{}` already exists (refusing to overwrite it)",
            args.file.display()
        );
    }
    let passwords = Passwords::new(store_password(&args.pass, &args.file)?);
    let store = Keystore::new(args.store_type.format());
    store.write_file(&args.file, store.format(), &passwords)?;
    eprintln!(
        "created empty {} keystore `{}`",
        store.format(),
        args.file.display()
    );
    Ok(ExitCode::Success)
}

pub(super) fn import_cert(args: ImportCertArgs) -> anyhow::Result<ExitCode> {
    let (mut store, passwords) = open_or_create(&args.file, &args.pass, args.store_type)?;
    let certs = read_certificates(&args.cert, &passwords)?;
    let file = args.cert.display();
    let cert = match (certs.as_slice(), args.index, args.root) {
        ([], _, _) => bail!("`{file}` holds no certificate"),
        (certs, Some(n), _) => certs.get(n).cloned().with_context(|| {
            format!(
                "--index {n}: `{file}` holds {} certificate(s) (0 to {})",
                certs.len(),
                certs.len() - 1
            )
        })?,
        (certs, None, true) => certs
            .iter()
            .find(|c| CertInfo::from_der(c.as_ref()).is_ok_and(|i| i.self_issued))
            .cloned()
            .with_context(|| {
                format!(
                    "--root: none of the {} certificate(s) of `{file}` is self-issued (the \
                     file does not hold its root); choose one with --index N",
                    certs.len()
                )
            })?,
        ([cert], None, false) => cert.clone(),
        (more, None, false) => {
            let mut listing = String::new();
            for (i, c) in more.iter().enumerate() {
                let subject = CertInfo::from_der(c.as_ref())
                    .map(|info| {
                        let root = if info.self_issued { " (root)" } else { "" };
                        format!("{}{root}", info.subject)
                    })
                    .unwrap_or_else(|_| "(unreadable)".into());
                listing.push_str(&format!("\n  --index {i}: {subject}"));
            }
            bail!(
                "`{file}` holds {} certificates and a trusted certificate entry holds one: \
                 choose with --index N or --root:{listing}",
                more.len()
            )
        }
    };
    store
        .insert(Entry {
            alias: args.alias.clone(),
            created: now(),
            kind: EntryKind::TrustedCertificate(cert),
        })
        .with_context(|| format!("cannot add to keystore `{}`", args.file.display()))?;
    save(&store, &args.file, &passwords)?;
    eprintln!(
        "added trusted certificate entry `{}` to `{}`",
        args.alias,
        args.file.display()
    );
    Ok(ExitCode::Success)
}

pub(super) fn import_keypair(args: ImportKeypairArgs) -> anyhow::Result<ExitCode> {
    let (mut store, passwords) = open_or_create(&args.file, &args.pass, args.store_type)?;
    let bytes = harness::file::read_limited(&args.from, harness::keystore::MAX_FILE_BYTES)
        .with_context(|| format!("cannot read `{}`", args.from.display()))?;
    let source_format =
        detect_format(&bytes).with_context(|| format!("cannot read `{}`", args.from.display()))?;
    let src_passwords = if source_format.is_keystore() {
        match (&args.srcpass_env, &args.srcpass_file) {
            (None, None) => passwords.clone(),
            (env, file) => Passwords::new(password_from(
                env.as_deref(),
                file.as_deref(),
                "source",
                &args.from,
            )?),
        }
    } else {
        passwords.clone()
    };
    let mut source = if !source_format.is_keystore() {
        let key_password = match (&args.key_password_env, &args.key_password_file) {
            (None, None) => None,
            (env, file) => Some(password_from(
                env.as_deref(),
                file.as_deref(),
                "key",
                &args.from,
            )?),
        };
        pem_key_pair(
            &args.from,
            &bytes,
            args.chain.as_deref(),
            key_password.as_ref(),
            &src_passwords,
        )?
    } else if args.chain.is_some() {
        bail!(
            "--chain is for a PEM or DER key file; `{}` is a keystore, whose key pairs carry \
             their chains",
            args.from.display()
        );
    } else {
        Keystore::read_file(&args.from, &src_passwords)?
    };
    let unlock = args.keypass.apply(src_passwords, &source, &args.from)?;
    source
        .unlock_keys(&unlock)
        .with_context(|| format!("cannot read keystore `{}`", args.from.display()))?;
    let mut pairs = source
        .entries()
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::KeyPair { .. }));
    let entry = match &args.src_alias {
        Some(alias) => source
            .get(alias)
            .filter(|e| matches!(e.kind, EntryKind::KeyPair { .. }))
            .with_context(|| {
                format!("`{}` has no key pair entry `{alias}`", args.from.display())
            })?,
        None => match (pairs.next(), pairs.next()) {
            (Some(entry), None) => entry,
            (None, _) => bail!("`{}` holds no key pair", args.from.display()),
            (Some(_), Some(_)) => bail!(
                "`{}` holds several key pairs; choose one with --src-alias",
                args.from.display()
            ),
        },
    };
    let mut entry = entry.clone();
    entry.alias = args.alias.clone();
    entry.created = now();
    store
        .insert(entry)
        .with_context(|| format!("cannot add to keystore `{}`", args.file.display()))?;
    save(&store, &args.file, &passwords)?;
    eprintln!(
        "added key pair entry `{}` to `{}`",
        args.alias,
        args.file.display()
    );
    Ok(ExitCode::Success)
}

/// A PEM or DER key file as openssl writes it (its certificates, if any, and `--chain`'s
/// after them) as one key pair entry. Errors name the flag at fault.
fn pem_key_pair(
    key_file: &Path,
    bytes: &[u8],
    chain_file: Option<&Path>,
    key_password: Option<&Password>,
    passwords: &Passwords,
) -> anyhow::Result<Keystore> {
    let key = harness::keystore::read_private_key(bytes, key_password).map_err(|kind| {
        let flag = if key_password.is_some()
            && matches!(kind, harness::keystore::ErrorKind::WrongKeyFilePassword)
        {
            "--key-password-env/--key-password-file"
        } else {
            "--from"
        };
        anyhow::anyhow!("{flag} `{}`: {kind}", key_file.display())
    })?;
    let mut chain = harness::keystore::pem_certificates(bytes);
    if let Some(chain_file) = chain_file {
        let more = read_certificates(chain_file, passwords)
            .with_context(|| format!("--chain `{}`", chain_file.display()))?;
        if more.is_empty() {
            bail!("--chain `{}` holds no certificate", chain_file.display());
        }
        for cert in more {
            if !chain.contains(&cert) {
                chain.push(cert);
            }
        }
    }
    if chain.is_empty() {
        bail!(
            "--from `{}` holds a private key but no certificate: give its certificate (and \
             chain) with --chain FILE",
            key_file.display()
        );
    }
    let mut store = Keystore::new(Format::Pem);
    store.insert(Entry {
        alias: "mykey".to_owned(),
        created: now(),
        kind: EntryKind::KeyPair {
            key: harness::keystore::KeyMaterial::plain(key),
            chain,
        },
    })?;
    Ok(store)
}
