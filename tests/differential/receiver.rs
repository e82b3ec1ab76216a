//! One `openssl s_server -www` per world, configured from the world's receiver dimensions,
//! on a port the kernel picks (`-accept 127.0.0.1:0`; the port is read from its `ACCEPT`
//! line).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::dims::*;
use crate::pki::Materials;

/// A running receiver, killed when dropped.
pub(crate) struct Receiver {
    child: Child,
    pub(crate) port: u16,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `s_server` arguments of a world (without `-accept`).
pub(crate) fn args(w: &World, m: &Materials) -> Vec<String> {
    let s = |v: &str| v.to_owned();
    let path = |p: &Path| p.display().to_string();
    let mut a = vec![
        s("-www"),
        s("-cert"),
        path(&m.server_cert),
        s("-key"),
        path(&m.server_key),
    ];
    if let Some(chain) = &m.server_chain {
        a.extend([s("-cert_chain"), path(chain)]);
    }
    match w.protocol {
        Protocol::Both => {}
        Protocol::Tls13 => a.push(s("-tls1_3")),
        Protocol::Tls12 => a.push(s("-tls1_2")),
        Protocol::Tls11 => a.push(s("-tls1_1")),
    }
    let suites = match w.suites {
        Suites::Default => "DEFAULT",
        Suites::EcdheGcm => {
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
        }
        Suites::Cbc => {
            "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA256:AES128-SHA"
        }
        Suites::RsaKx => "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES128-SHA",
        Suites::Dhe => {
            "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-DSS-AES128-GCM-SHA256:DHE-DSS-AES128-SHA256:DHE-DSS-AES128-SHA"
        }
        Suites::Chacha => "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
    };
    // Security level 0: a legacy receiver loads SHA-1/MD5 chains and 1024-bit keys.
    a.extend([s("-cipher"), format!("{suites}:@SECLEVEL=0")]);
    let groups = match w.groups {
        Groups::Default => None,
        Groups::P256 => Some("P-256"),
        Groups::P384 => Some("P-384"),
        Groups::P521 => Some("P-521"),
        Groups::X25519 => Some("X25519"),
        Groups::X448 => Some("X448"),
        Groups::Ffdhe2048 => Some("ffdhe2048"),
    };
    if let Some(g) = groups {
        a.extend([s("-groups"), s(g)]);
    }
    match w.client_auth {
        ClientAuth::None => {}
        ClientAuth::Optional | ClientAuth::Required => {
            a.push(s(if w.client_auth == ClientAuth::Required {
                "-Verify"
            } else {
                "-verify"
            }));
            a.extend([
                s("4"),
                s("-verify_return_error"),
                s("-CAfile"),
                path(&m.client_ca),
            ]);
            if w.ca_names == CaNames::Empty {
                a.push(s("-no_ca_names"));
            }
            match w.client_sigalgs {
                ClientSigalgs::Default => {}
                ClientSigalgs::Ecdsa => a.extend([
                    s("-client_sigalgs"),
                    s("ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512"),
                ]),
                ClientSigalgs::Rsa => a.extend([
                    s("-client_sigalgs"),
                    s("RSA+SHA256:RSA+SHA384:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384"),
                ]),
            }
        }
    }
    match w.sni {
        Sni::Ignores => {}
        Sni::SwitchesToOther => a.extend([
            s("-servername"),
            s(w.host_name()),
            s("-cert2"),
            path(&m.sni_cert),
            s("-key2"),
            path(&m.sni_key),
        ]),
        Sni::UnrecognizedName => a.extend([
            s("-servername"),
            s("sni-other.test"),
            s("-cert2"),
            path(&m.sni_cert),
            s("-key2"),
            path(&m.sni_key),
        ]),
    }
    a
}

/// Starts the world's receiver; `Err` with s_server's complaint when it does not listen.
pub(crate) fn start(openssl: &Path, w: &World, m: &Materials) -> Result<Receiver, String> {
    let stderr_path = m.dir.join("s_server.stderr");
    let stderr = std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
    let mut child = Command::new(openssl)
        .arg("s_server")
        .args(["-accept", "127.0.0.1:0"])
        .args(args(w, m))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start openssl s_server: {e}"))?;
    let Some(stdout) = child.stdout.take() else {
        return Err("no stdout".into());
    };
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads every line for the receiver's whole life: a full pipe would stop it.
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // `tx.take()` only on the ACCEPT line: earlier lines (DH parameters) go by.
            if let Some(addr) = line.strip_prefix("ACCEPT ")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()));
            }
        }
    });
    let mut receiver = Receiver { child, port: 0 };
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(port)) => {
            receiver.port = port;
            Ok(receiver)
        }
        _ => {
            drop(receiver);
            let text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            let first = text.lines().take(3).collect::<Vec<_>>().join(" / ");
            Err(format!("s_server did not listen: {first}"))
        }
    }
}
