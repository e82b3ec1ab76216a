//! The real `openssl s_client` and a Java (JSSE) client against every trust profile of the
//! mock receiver. Both validate at the world's simulated "now" (`-attime`,
//! `PKIXParameters.setDate`), with host name checks, so the outcomes are reproducible.
//!
//! The table records what each validator does, including where they part: Java accepts an
//! intermediate alone as trust anchor, default OpenSSL does not (`-partial_chain` makes it);
//! both fall back to the CN when a certificate has no SAN, rustls never does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use harness::pki::{Role, World, WorldSpec, write_dir};
use mock_receiver::{Receiver, ReceiverSpec, RunningReceiver, ServerVariant, TrustProfile};
use tests::{run, run_ok, tool, workspace_root};

/// An expected outcome: success, or a fragment of the tool's error text.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok,
    Fail(&'static str),
}

struct Case {
    name: &'static str,
    profile: TrustProfile,
    variant: ServerVariant,
    trust: &'static [Role],
    openssl: Expect,
    java: Expect,
}

const fn case(
    name: &'static str,
    profile: TrustProfile,
    variant: ServerVariant,
    trust: &'static [Role],
    openssl: Expect,
    java: Expect,
) -> Case {
    Case {
        name,
        profile,
        variant,
        trust,
        openssl,
        java,
    }
}

use Expect::{Fail, Ok as Pass};
use ServerVariant as V;
use TrustProfile as P;

const PKIX: &str = "PKIX path building failed";

const CASES: &[Case] = &[
    case(
        "full-chain/root",
        P::FullChain,
        V::Valid,
        &[Role::ReceiverRoot],
        Pass,
        Pass,
    ),
    case(
        "leaf-intermediate/root",
        P::LeafIntermediate,
        V::Valid,
        &[Role::ReceiverRoot],
        Pass,
        Pass,
    ),
    case(
        "leaf-only/root",
        P::LeafOnly,
        V::Valid,
        &[Role::ReceiverRoot],
        Fail("unable to get local issuer certificate"),
        Fail(PKIX),
    ),
    // Java takes an intermediate alone as trust anchor; default OpenSSL wants the root.
    case(
        "leaf-only/intermediate",
        P::LeafOnly,
        V::Valid,
        &[Role::ReceiverIntermediate],
        Fail("unable to get issuer certificate"),
        Pass,
    ),
    case(
        "leaf-only/intermediate+root",
        P::LeafOnly,
        V::Valid,
        &[Role::ReceiverIntermediate, Role::ReceiverRoot],
        Pass,
        Pass,
    ),
    case(
        "self-signed/itself",
        P::SelfSigned,
        V::Valid,
        &[Role::ServerSelfSigned],
        Pass,
        Pass,
    ),
    case(
        "self-signed/root",
        P::SelfSigned,
        V::Valid,
        &[Role::ReceiverRoot],
        Fail("self-signed certificate"),
        Fail(PKIX),
    ),
    // The intermediate arrives where the server certificate belongs: both clients take it for
    // the server's certificate, so the host name check fails before any signature check.
    case(
        "reversed-chain/root",
        P::ReversedChain,
        V::Valid,
        &[Role::ReceiverRoot],
        Fail(REVERSED_OPENSSL),
        Fail(REVERSED_JAVA),
    ),
    case(
        "leaf-intermediate/unrelated",
        P::LeafIntermediate,
        V::Valid,
        &[Role::UnrelatedRoot],
        Fail("unable to get local issuer certificate"),
        Fail(PKIX),
    ),
    case(
        "expired/root",
        P::LeafIntermediate,
        V::Expired,
        &[Role::ReceiverRoot],
        Fail("certificate has expired"),
        Fail("CertificateExpiredException"),
    ),
    case(
        "not-yet-valid/root",
        P::LeafIntermediate,
        V::NotYetValid,
        &[Role::ReceiverRoot],
        Fail("certificate is not yet valid"),
        Fail("CertificateNotYetValidException"),
    ),
    case(
        "wrong-host/root",
        P::LeafIntermediate,
        V::WrongHost,
        &[Role::ReceiverRoot],
        Fail("hostname mismatch"),
        Fail("No subject alternative DNS name matching localhost"),
    ),
    // No SAN: both fall back to the CN (rustls refuses; see the api tests).
    case(
        "cn-only/root",
        P::LeafIntermediate,
        V::CnOnly,
        &[Role::ReceiverRoot],
        Pass,
        Pass,
    ),
    case(
        "wrong-eku/root",
        P::LeafIntermediate,
        V::WrongEku,
        &[Role::ReceiverRoot],
        Fail("unsuitable certificate purpose"),
        Fail("Extended key usage does not permit use for TLS server authentication"),
    ),
];

const REVERSED_OPENSSL: &str = "REVERSED_OPENSSL";
const REVERSED_JAVA: &str = "REVERSED_JAVA";

struct Setup {
    world: World,
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    receivers: BTreeMap<(&'static str, &'static str), RunningReceiver>,
}

impl Setup {
    fn new() -> Self {
        let world = World::generate(&WorldSpec::new(21)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        write_dir(&world, &dir.path().join("pki"), false).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut receivers = BTreeMap::new();
        for case in CASES {
            let key = (case.profile.name(), case.variant.name());
            if receivers.contains_key(&key) {
                continue;
            }
            let spec = ReceiverSpec::variant(&world, case.profile, case.variant).unwrap();
            let receiver = runtime.block_on(Receiver::start(spec)).unwrap();
            receivers.insert(key, receiver);
        }
        Self {
            world,
            dir,
            runtime,
            receivers,
        }
    }

    fn addr(&self, case: &Case) -> std::net::SocketAddr {
        self.receivers[&(case.profile.name(), case.variant.name())].addr()
    }

    fn cert_file(&self, role: Role) -> PathBuf {
        self.dir
            .path()
            .join("pki")
            .join(format!("{}.cert.pem", role.name()))
    }

    /// One PEM bundle of the trusted certificates.
    fn bundle(&self, case: &Case) -> PathBuf {
        let path = self
            .dir
            .path()
            .join(format!("{}.trust.pem", case.name.replace('/', "_")));
        let text: String = case
            .trust
            .iter()
            .map(|r| std::fs::read_to_string(self.cert_file(*r)).unwrap())
            .collect();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn now(&self) -> i64 {
        self.world.spec().now.unix_timestamp()
    }

    fn shutdown(self) {
        let Setup {
            runtime, receivers, ..
        } = self;
        runtime.block_on(async {
            for (_, receiver) in receivers {
                receiver.shutdown().await.unwrap();
            }
        });
    }
}

fn check(tool: &str, case: &Case, expect: Expect, ok: bool, text: &str) {
    match expect {
        Expect::Ok => assert!(ok, "{tool} {}: expected success, got:\n{text}", case.name),
        Expect::Fail(fragment) => {
            let fragment = match fragment {
                REVERSED_OPENSSL => "hostname mismatch",
                REVERSED_JAVA => "No name matching localhost found",
                other => other,
            };
            assert!(
                !ok,
                "{tool} {}: expected failure `{fragment}`, got success",
                case.name
            );
            assert!(
                text.contains(fragment),
                "{tool} {}: `{fragment}` not in:\n{text}",
                case.name
            );
        }
    }
}

#[test]
fn openssl_s_client_against_every_profile() {
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let setup = Setup::new();
    for case in CASES {
        let out = run(Command::new(&openssl)
            .args([
                "s_client",
                "-brief",
                "-verify_return_error",
                "-servername",
                "localhost",
            ])
            .args([
                "-verify_hostname",
                "localhost",
                "-attime",
                &setup.now().to_string(),
            ])
            .arg("-connect")
            .arg(setup.addr(case).to_string())
            .arg("-CAfile")
            .arg(setup.bundle(case))
            .stdin(Stdio::null()));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ok = out.status.success() && text.contains("Verification: OK");
        check("openssl", case, case.openssl, ok, &text);
    }
    // `-partial_chain` lets OpenSSL take the intermediate alone as anchor, as Java does.
    let leaf_only = &CASES[3];
    let out = run(Command::new(&openssl)
        .args([
            "s_client",
            "-brief",
            "-verify_return_error",
            "-partial_chain",
        ])
        .args(["-attime", &setup.now().to_string(), "-connect"])
        .arg(setup.addr(leaf_only).to_string())
        .arg("-CAfile")
        .arg(setup.bundle(leaf_only))
        .stdin(Stdio::null()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    setup.shutdown();
}

#[test]
fn java_jsse_against_every_profile() {
    let (Some(java), Some(javac)) = (tool("java"), tool("javac")) else {
        return;
    };
    let setup = Setup::new();
    let classes = setup.dir.path().join("classes");
    let source = workspace_root().join("tests/interop/java/ReceiverProbe.java");
    run_ok(Command::new(&javac).arg("-d").arg(&classes).arg(&source));

    let now_ms = setup.now() * 1000;
    let mut input = String::new();
    for case in CASES {
        let files: Vec<String> = case
            .trust
            .iter()
            .map(|r| setup.cert_file(*r).display().to_string())
            .collect();
        let addr = setup.addr(case);
        input.push_str(&format!(
            "{}\tlocalhost\t{}\t{now_ms}\t{}\n",
            case.name,
            addr.port(),
            files.join(",")
        ));
    }
    // An empty trust store: Java's own message, not the PKIX one.
    let empty = &CASES[1];
    input.push_str(&format!(
        "empty-trust-store\tlocalhost\t{}\t{now_ms}\t\n",
        setup.addr(empty).port()
    ));
    let results = run_java(&java, &classes, &input);
    for case in CASES {
        let (ok, text) = &results[case.name];
        check("java", case, case.java, *ok, text);
        if *ok {
            assert!(text.starts_with("HTTP/1.1 200"), "{}: {text}", case.name);
        }
    }
    let (ok, text) = &results["empty-trust-store"];
    assert!(!ok);
    assert!(
        text.contains("the trustAnchors parameter must be non-empty"),
        "{text}"
    );
    setup.shutdown();
}

/// Runs the probe once for the whole batch; returns name -> (ok, text).
fn run_java(java: &Path, classes: &Path, input: &str) -> BTreeMap<String, (bool, String)> {
    use std::io::Write;
    let mut child = Command::new(java)
        .arg("-cp")
        .arg(classes)
        .arg("ReceiverProbe")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let name = fields.next()?.to_owned();
            let ok = fields.next()? == "OK";
            Some((name, (ok, fields.next().unwrap_or_default().to_owned())))
        })
        .collect()
}

/// CPI's "empty alias" rule comes from Java's key manager: it sends the key pair whose chain
/// fits the CA names of the CertificateRequest, and nothing when none fits ("Client
/// Certificate Used: NO"). The receiver requires a certificate and trusts the client root.
#[test]
fn java_picks_its_client_certificate_by_the_ca_names() {
    use mock_receiver::{CaNames, ClientAuth, ClientAuthMode};
    let (Some(java), Some(javac)) = (tool("java"), tool("javac")) else {
        return;
    };
    let setup = Setup::new();
    let classes = setup.dir.path().join("classes");
    let source = workspace_root().join("tests/interop/java/ReceiverProbe.java");
    run_ok(Command::new(&javac).arg("-d").arg(&classes).arg(&source));
    let world = &setup.world;
    let cert = |role: Role| world.get(role).cert().clone();
    let start = |names: CaNames| {
        let auth =
            ClientAuth::new(ClientAuthMode::Required, vec![cert(Role::ClientRoot)]).ca_names(names);
        let spec = ReceiverSpec::profile(world, TrustProfile::LeafIntermediate)
            .unwrap()
            .client_auth(auth);
        setup.runtime.block_on(Receiver::start(spec)).unwrap()
    };
    let default = start(CaNames::TrustStore);
    let empty = start(CaNames::Empty);
    let foreign = start(CaNames::Subjects(vec![cert(Role::UnrelatedRoot)]));
    let pki = setup.dir.path().join("pki");
    let key = |role: Role| {
        (
            pki.join(format!("{}.key.der", role.name()))
                .display()
                .to_string(),
            pki.join(format!("{}.chain.pem", role.name()))
                .display()
                .to_string(),
        )
    };
    let root = setup.cert_file(Role::ReceiverRoot).display().to_string();
    let now_ms = setup.now() * 1000;
    // (name, receiver, client key, expected: Ok, or a fragment of Java's error)
    type KeyCase<'a> = (
        &'a str,
        &'a RunningReceiver,
        Option<Role>,
        Result<(), &'a str>,
    );
    let cases: [KeyCase<'_>; 5] = [
        ("default-names/client", &default, Some(Role::Client), Ok(())),
        (
            "default-names/no-key",
            &default,
            None,
            Err("certificate_required"),
        ),
        (
            "foreign-names/client",
            &foreign,
            Some(Role::Client),
            Err("certificate_required"),
        ),
        ("empty-names/client", &empty, Some(Role::Client), Ok(())),
        (
            "empty-names/unrelated",
            &empty,
            Some(Role::UnrelatedClient),
            Err("unknown_ca"),
        ),
    ];
    let mut input = String::new();
    for (name, receiver, client, _) in &cases {
        let (key_file, chain_file) = client.map(key).unwrap_or_default();
        input.push_str(&format!(
            "{name}\tlocalhost\t{}\t{now_ms}\t{root}\t{key_file}\t{chain_file}\n",
            receiver.addr().port()
        ));
    }
    let results = run_java(&java, &classes, &input);
    for (name, _, _, expected) in &cases {
        let (ok, text) = &results[*name];
        match expected {
            Ok(()) => assert!(*ok && text.starts_with("HTTP/1.1 200"), "{name}: {text}"),
            Err(fragment) => assert!(!ok && text.contains(fragment), "{name}: {text}"),
        }
    }
    // The receiver saw the client's chain (leaf + intermediate) exactly where Java sent one,
    // and journals it even when it rejects it (the unrelated client: leaf only).
    let chains = |receiver: &RunningReceiver| -> Vec<usize> {
        receiver
            .journal()
            .connections()
            .iter()
            .map(|c| c.client_chain.len())
            .collect()
    };
    assert_eq!(chains(&default), [2, 0]);
    assert_eq!(chains(&foreign), [0]);
    assert_eq!(chains(&empty), [2, 1]);
    setup.runtime.block_on(async {
        for receiver in [default, empty, foreign] {
            receiver.shutdown().await.unwrap();
        }
    });
    setup.shutdown();
}

/// `openssl s_client` with and without the tenant's client certificate against a receiver
/// that requires one: without it, TLS 1.2 fails in the handshake (rustls sends
/// certificate_required, the TLS 1.3 alert, under TLS 1.2 too), and the nginx-style receiver
/// completes the handshake and answers 400.
#[test]
fn openssl_s_client_with_a_client_certificate() {
    use mock_receiver::{ClientAuth, ClientAuthMode, Rejection};
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let setup = Setup::new();
    let world = &setup.world;
    let start = |rejection| {
        let auth = ClientAuth::new(
            ClientAuthMode::Required,
            vec![world.get(Role::ClientRoot).cert().clone()],
        )
        .rejection(rejection);
        let spec = ReceiverSpec::profile(world, TrustProfile::LeafIntermediate)
            .unwrap()
            .client_auth(auth);
        setup.runtime.block_on(Receiver::start(spec)).unwrap()
    };
    let alert = start(Rejection::TlsAlert);
    let nginx = start(Rejection::Http400);
    let pki = setup.dir.path().join("pki");
    let s_client = |receiver: &RunningReceiver, extra: &[&str], with_cert: bool, request: &str| {
        use std::io::Write;
        let mut command = Command::new(&openssl);
        command
            .args(["s_client", "-quiet", "-verify_return_error", "-attime"])
            .arg(setup.now().to_string())
            .arg("-connect")
            .arg(receiver.addr().to_string())
            .arg("-CAfile")
            .arg(setup.cert_file(Role::ReceiverRoot))
            .args(extra);
        if with_cert {
            command
                .arg("-cert")
                .arg(pki.join("client.cert.pem"))
                .arg("-key")
                .arg(pki.join("client.key.pem"))
                .arg("-cert_chain")
                .arg(pki.join("client-intermediate.cert.pem"));
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // s_client sends stdin, then waits for the server to close (Connection: close).
        let _ = child.stdin.take().unwrap().write_all(request.as_bytes());
        let out = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let get = "GET /openssl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let text = s_client(&alert, &[], true, get);
    assert!(text.contains("HTTP/1.1 200"), "{text}");
    let text = s_client(&alert, &["-tls1_2"], false, get);
    assert!(text.contains("alert certificate required"), "{text}");
    assert!(!text.contains("HTTP/1.1"), "{text}");
    let text = s_client(&nginx, &[], false, get);
    assert!(text.contains("HTTP/1.1 400"), "{text}");
    assert!(
        text.contains("No required SSL certificate was sent"),
        "{text}"
    );
    let chains: Vec<usize> = alert
        .journal()
        .connections()
        .iter()
        .map(|c| c.client_chain.len())
        .collect();
    assert_eq!(chains, [2, 0]);
    setup.runtime.block_on(async {
        alert.shutdown().await.unwrap();
        nginx.shutdown().await.unwrap();
    });
    setup.shutdown();
}
