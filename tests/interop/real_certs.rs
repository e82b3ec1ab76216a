//! Real certificates, as a new user brings them: made by the real openssl and keytool at test
//! time (so valid from "now", never from the seeded default date), keys as openssl writes
//! them, the chain zip read back by unzip, Python and Java, and the seeded pair under a clock
//! two years ahead (faketime). No `--now` anywhere: these tests are about the wall clock.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tests::{bin, on_path, run, run_ok, tool};

/// How long a receiver may take to print its address.
const READY: Duration = Duration::from_secs(30);

/// A `mock-receiver serve` child, killed when dropped with its whole process group (under
/// `faketime` the receiver is the wrapper's child: killing the wrapper alone left it
/// listening); its stderr (the connection log) goes to a file.
struct Receiver {
    child: Child,
    addr: String,
    log: PathBuf,
    _stdout: mpsc::Receiver<String>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Kills `child`'s process group (it leads its own: `process_group(0)`), then reaps it.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{}", child.id()))
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

impl Receiver {
    /// Starts `command` (a mock-receiver invocation) and waits, bounded, for its address.
    fn start(mut command: Command, dir: &Path) -> Receiver {
        let log = dir.join(format!("receiver-{}.log", std::process::id()));
        let log = unique(log);
        let stderr = std::fs::File::create(&log).unwrap();
        use std::os::unix::process::CommandExt as _;
        let mut child = command
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps reading so the receiver never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let addr = match rx.recv_timeout(READY) {
            Ok(line) => line.trim().to_owned(),
            Err(_) => {
                kill_group(&mut child);
                panic!(
                    "the receiver printed no address within {READY:?}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        Receiver {
            child,
            addr,
            log,
            _stdout: rx,
        }
    }
}

impl Receiver {
    /// The connection log once it holds `needle`, waiting at most 10 s (the line is written
    /// when the receiver sees the connection close, just after the client returns).
    fn wait_for_log(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains(needle) || std::time::Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn unique(path: PathBuf) -> PathBuf {
    let mut n = 0;
    let mut candidate = path.clone();
    while candidate.exists() {
        n += 1;
        candidate = path.with_extension(format!("{n}.log"));
    }
    candidate
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn openssl(openssl: &Path, dir: &Path, args: &[&str]) {
    run_ok(Command::new(openssl).current_dir(dir).args(args));
}

/// A CA made by openssl today: `name.key` (PKCS#8) and `name.crt`.
fn make_ca(o: &Path, dir: &Path, name: &str, cn: &str) {
    openssl(
        o,
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-subj",
            &format!("/CN={cn}/O=Interop Test"),
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// A leaf for `key` (already written) signed by CA `ca`, valid from now for 30 days.
fn sign_leaf(o: &Path, dir: &Path, name: &str, key: &str, ca: &str, cn: &str, server: bool) {
    let ext = if server {
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    } else {
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=clientAuth\n"
    };
    std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
    openssl(
        o,
        dir,
        &[
            "req",
            "-new",
            "-key",
            key,
            "-subj",
            &format!("/CN={cn}/O=Interop Test"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        o,
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.crt"),
        ],
    );
}

fn harness_connect(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(bin("harness"));
    command.arg("connect").args(args).args(["--timeout", "20"]);
    for (k, v) in env {
        command.env(k, v);
    }
    run(&mut command)
}

#[test]
fn the_seeded_pair_works_two_years_ahead_without_now() {
    let Some(faketime) = tool("faketime") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let pki = tmp.path().join("pki");
    // Two years ahead: the seeded default "now" (2026-06-01) is far behind, so the world
    // must be placed around the clock in force. Monotonic time stays real (tokio timers).
    let ahead = |program: PathBuf| {
        let mut c = Command::new(&faketime);
        c.env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .args(["-f", "+730d"])
            .arg(program);
        c
    };
    let probe = run_ok(ahead(PathBuf::from("date")).arg("-u").arg("+%Y"));
    let this_year = time::OffsetDateTime::now_utc().year();
    assert_eq!(
        probe.trim().parse::<i32>().ok(),
        Some(this_year + 2),
        "faketime moves the clock two years ahead"
    );
    let mut serve = ahead(bin("mock-receiver"));
    serve.args(["serve", "--profile", "leaf-intermediate", "--pki-dir"]);
    serve.arg(&pki);
    let receiver = Receiver::start(serve, tmp.path());
    let mut connect = ahead(bin("harness"));
    connect
        .args(["connect", &receiver.addr, "--keystore"])
        .arg(pki.join("receiver-root.cert.pem"))
        .args(["--timeout", "20"]);
    let out = run(&mut connect);
    let report = text(&out);
    assert!(
        out.status.success() && report.contains("Successfully reached host"),
        "{report}"
    );
    assert!(report.contains("(wall clock)"), "{report}");
    assert!(
        report.contains(&format!("judged at: {}", this_year + 2)),
        "{report}"
    );
}

/// The second user's whole path: their own openssl chain, client auth required with their
/// trust file, a keytool-made JCEKS on the CPI side, nothing simulated.
#[test]
fn openssl_chain_issued_today_mtls_with_a_keytool_jceks() {
    let (Some(o), Some(keytool)) = (tool("openssl"), tool("keytool")) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(&o, dir, "server-ca", "Interop Server Root");
    // The server key as `openssl ecparam -genkey` writes it: EC PARAMETERS, then SEC1.
    openssl(
        &o,
        dir,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-out",
            "server.key",
        ],
    );
    sign_leaf(
        &o,
        dir,
        "server",
        "server.key",
        "server-ca",
        "localhost",
        true,
    );
    make_ca(&o, dir, "client-ca", "Interop Client Root");
    // The client key as `openssl genrsa -traditional` writes it: PKCS#1.
    openssl(
        &o,
        dir,
        &["genrsa", "-traditional", "-out", "client.key", "2048"],
    );
    sign_leaf(
        &o,
        dir,
        "client",
        "client.key",
        "client-ca",
        "cpi-client",
        false,
    );
    openssl(
        &o,
        dir,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "client.key",
            "-in",
            "client.crt",
            "-certfile",
            "client-ca.crt",
            "-name",
            "cpi-client",
            "-out",
            "client.p12",
            "-passout",
            "pass:changeit",
        ],
    );
    let keytool_run = |args: &[&str]| {
        run_ok(Command::new(&keytool).current_dir(dir).args(args));
    };
    keytool_run(&[
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        "client.p12",
        "-srcstoretype",
        "PKCS12",
        "-srcstorepass",
        "changeit",
        "-destkeystore",
        "cpi.jceks",
        "-deststoretype",
        "JCEKS",
        "-deststorepass",
        "changeit",
        "-destkeypass",
        "changeit",
    ]);
    keytool_run(&[
        "-importcert",
        "-noprompt",
        "-keystore",
        "cpi.jceks",
        "-storetype",
        "JCEKS",
        "-storepass",
        "changeit",
        "-alias",
        "server-root",
        "-file",
        "server-ca.crt",
    ]);

    let mut serve = Command::new(bin("mock-receiver"));
    serve.current_dir(dir).args([
        "serve",
        "--cert",
        "server.crt",
        "--key",
        "server.key",
        "--chain",
        "server-ca.crt",
        "--client-auth",
        "required",
        "--trust",
        "client-ca.crt",
    ]);
    let receiver = Receiver::start(serve, dir);
    let jceks = dir.join("cpi.jceks");
    let out = harness_connect(
        &[
            &receiver.addr,
            "--keystore",
            jceks.to_str().unwrap(),
            "--storepass-env",
            "INTEROP_PW",
            "--client-cert",
            "cpi-client",
        ],
        &[("INTEROP_PW", "changeit")],
    );
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("Successfully reached host"), "{report}");
    assert!(report.contains("Client Certificate Used: YES"), "{report}");
    assert!(report.contains("HTTP status of GET /: 200"), "{report}");
    assert!(report.contains("(wall clock)"), "{report}");
    // The receiver logs the connection when it closes: its client chain and the status.
    let log = receiver.wait_for_log("GET / 200");
    assert!(log.contains("CN=cpi-client"), "{log}");
    drop(receiver);

    // The same loop through the tenant: upload the JCEKS, download the key pair's `.p7b`,
    // give it to the receiver as its trust; the tenant's records are dated today.
    let tenant = dir.join("tenant");
    let tenant_cmd = |args: &[&str]| {
        let mut c = Command::new(bin("harness"));
        c.current_dir(dir)
            .arg("tenant")
            .arg("--tenant")
            .arg(&tenant)
            .args(args)
            .env("INTEROP_PW", "changeit")
            .env_remove("HARNESS_NOW");
        run_ok(&mut c)
    };
    tenant_cmd(&["create", "--seed", "5"]);
    tenant_cmd(&["add-keystore", "cpi.jceks", "--password-env", "INTEROP_PW"]);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let list = tenant_cmd(&["list"]);
    assert!(list.contains("(wall clock)"), "{list}");
    assert!(
        list.contains("cpi-client") && list.contains(&today),
        "{list}"
    );
    assert!(!list.contains("not yet valid"), "{list}");
    let history = tenant_cmd(&["history"]);
    assert!(history.contains(&today), "{history}");
    tenant_cmd(&["download", "cpi-client", "--out", "."]);
    let mut serve = Command::new(bin("mock-receiver"));
    serve.current_dir(dir).args([
        "serve",
        "--cert",
        "server.crt",
        "--key",
        "server.key",
        "--chain",
        "server-ca.crt",
        "--client-auth",
        "required",
        "--trust",
        "cpi-client.p7b",
    ]);
    let receiver = Receiver::start(serve, dir);
    let out = harness_connect(
        &[
            &receiver.addr,
            "--tenant",
            tenant.to_str().unwrap(),
            "--client-cert",
            "cpi-client",
        ],
        &[],
    );
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("Client Certificate Used: YES"), "{report}");
    assert!(report.contains("HTTP status of GET /: 200"), "{report}");
}

/// Keys exactly as openssl writes them, into `mock-receiver --key` and `harness keystore
/// import-keypair`: PKCS#1, SEC1 after EC PARAMETERS, encrypted PKCS#8.
#[test]
fn keys_as_openssl_writes_them() {
    let Some(o) = tool("openssl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(&o, dir, "ca", "Key Test Root");
    openssl(
        &o,
        dir,
        &["genrsa", "-traditional", "-out", "pkcs1.key", "2048"],
    );
    openssl(
        &o,
        dir,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "secp384r1",
            "-out",
            "sec1.key",
        ],
    );
    openssl(
        &o,
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "pkcs1.key",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:key-secret-42",
            "-out",
            "encrypted.key",
        ],
    );
    let head = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(head("pkcs1.key"), "-----BEGIN RSA PRIVATE KEY-----");
    assert_eq!(head("sec1.key"), "-----BEGIN EC PARAMETERS-----");
    assert_eq!(
        head("encrypted.key"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----"
    );
    sign_leaf(&o, dir, "rsa", "pkcs1.key", "ca", "localhost", true);
    sign_leaf(&o, dir, "ec", "sec1.key", "ca", "localhost", true);
    let env = [("KEY_PW", "key-secret-42"), ("STORE_PW", "changeit")];

    for (key, cert, password) in [
        ("pkcs1.key", "rsa.crt", false),
        ("sec1.key", "ec.crt", false),
        ("encrypted.key", "rsa.crt", true),
    ] {
        let mut serve = Command::new(bin("mock-receiver"));
        serve
            .current_dir(dir)
            .args(["serve", "--cert", cert, "--key", key]);
        if password {
            serve.args(["--key-password-env", "KEY_PW"]).envs(env);
        }
        let receiver = Receiver::start(serve, dir);
        let ca = dir.join("ca.crt");
        let out = harness_connect(&[&receiver.addr, "--keystore", ca.to_str().unwrap()], &[]);
        assert!(out.status.success(), "{key}: {}", text(&out));

        let mut import = Command::new(bin("harness"));
        import
            .current_dir(dir)
            .args(["keystore", "import-keypair", "imported.p12", "--alias"])
            .arg(key.replace('.', "-"))
            .args([
                "--from",
                key,
                "--chain",
                cert,
                "--storepass-env",
                "STORE_PW",
            ])
            .envs(env);
        if password {
            import.args(["--key-password-env", "KEY_PW"]);
        }
        let out = run(&mut import);
        assert!(out.status.success(), "{key}: {}", text(&out));
        assert!(!text(&out).contains("key-secret-42"));
    }
    let list = run_ok(
        Command::new(bin("harness"))
            .current_dir(dir)
            .args([
                "keystore",
                "list",
                "imported.p12",
                "--storepass-env",
                "STORE_PW",
            ])
            .envs(env),
    );
    assert_eq!(list.matches("PrivateKeyEntry").count(), 3, "{list}");

    // The flag at fault, and the real reason.
    let out = run(Command::new(bin("mock-receiver")).current_dir(dir).args([
        "serve",
        "--cert",
        "rsa.crt",
        "--key",
        "encrypted.key",
    ]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--key") && stderr.contains("--key-password-env"),
        "{stderr}"
    );
    let out = run(Command::new(bin("mock-receiver"))
        .current_dir(dir)
        .args([
            "serve",
            "--cert",
            "rsa.crt",
            "--key",
            "encrypted.key",
            "--key-password-env",
            "KEY_PW",
        ])
        .env("KEY_PW", "not-it"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--key-password-env") && stderr.contains("wrong key password"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-it"), "{stderr}");
    let out = run(Command::new(bin("mock-receiver"))
        .current_dir(dir)
        .args(["serve", "--cert", "rsa.crt", "--key", "ca.crt"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--key") && stderr.contains("no private key: found PEM `CERTIFICATE`"),
        "{stderr}"
    );
}

const JAVA_ZIP: &str = r#"
import java.util.zip.ZipFile;
public class ReadZip {
    public static void main(String[] args) throws Exception {
        try (ZipFile zip = new ZipFile(args[0])) {
            var entries = zip.entries();
            while (entries.hasMoreElements()) {
                var e = entries.nextElement();
                byte[] data = zip.getInputStream(e).readAllBytes();
                System.out.println(e.getName() + " " + data.length);
            }
        }
    }
}
"#;

const PYTHON_ZIP: &str = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    for info in z.infolist():
        print(info.filename, len(z.read(info)))
"#;

#[test]
fn the_chain_zip_reads_back_in_unzip_python_and_java() {
    let (Some(python), Some(java)) = (tool("python3"), tool("java")) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut serve = Command::new(bin("mock-receiver"));
    serve
        .current_dir(dir)
        .args(["serve", "--profile", "full-chain", "--pki-dir", "pki"]);
    let receiver = Receiver::start(serve, dir);
    let zip = dir.join("chain.zip");
    let out = harness_connect(
        &[
            &receiver.addr,
            "--no-validate",
            "--download-chain",
            zip.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    // full-chain: leaf, intermediate, root; each entry a DER certificate.
    let expected: Vec<(String, usize)> = ["server", "receiver-intermediate", "receiver-root"]
        .iter()
        .map(|name| {
            std::fs::metadata(dir.join("pki").join(format!("{name}.cert.der")))
                .unwrap()
                .len() as usize
        })
        .enumerate()
        .map(|(i, len)| (i.to_string(), len))
        .collect();
    let check = |tool: &str, listing: &str| {
        let rows: Vec<(String, usize)> = listing
            .lines()
            .filter_map(|l| {
                let (name, size) = l.rsplit_once(' ')?;
                Some((
                    name.split('-').next()?.to_owned(),
                    size.trim().parse().ok()?,
                ))
            })
            .collect();
        assert_eq!(rows, expected, "{tool}: {listing}");
    };
    let py = dir.join("read_zip.py");
    std::fs::write(&py, PYTHON_ZIP).unwrap();
    check("python", &run_ok(Command::new(&python).arg(&py).arg(&zip)));
    let java_file = dir.join("ReadZip.java");
    std::fs::write(&java_file, JAVA_ZIP).unwrap();
    check(
        "java",
        &run_ok(Command::new(&java).arg(&java_file).arg(&zip)),
    );
    if let Some(unzip) = on_path("unzip") {
        let tested = run_ok(Command::new(&unzip).arg("-t").arg(&zip));
        assert!(tested.contains("No errors detected"), "{tested}");
    } else {
        eprintln!("note: `unzip` is not on PATH; the zip is read by Python and Java only");
    }
}
