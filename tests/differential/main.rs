//! Differential test against the real JDK 17 over generated worlds (issue 11, "Must show").
//!
//! A seeded proptest strategy ([`dims::world`]) draws worlds over chain shape, key types,
//! signature algorithms, extensions, name encodings, validity, host form and SNI behaviour,
//! receiver protocol/suites/groups, client authentication (CA names, signature algorithms)
//! and keystore contents. Each world is made with the `openssl` crate ([`pki`]), served by
//! its own `openssl s_server` ([`receiver`]) and probed by both clients: our connectivity
//! test in-process (built as `harness connect --keystore FILE` builds it) and Java 17
//! (`java/DiffProbe.java`, one JVM per batch of worlds). Outcome class, "Client Certificate
//! Used" and, for failures, the Java text must agree, except where
//! `known-divergences.toml` allows it ([`known`]).
//!
//! Environment: `DIFF_SEED` (default [`DEFAULT_SEED`]), `DIFF_WORLDS` (default 300),
//! `DIFF_WRITE_KNOWN=1` rewrites the known-divergences file from the run, `DIFF_VERBOSE=1`
//! prints every world, `DIFF_ONLY=w009,w018` runs only those worlds (no known-divergence
//! check), `DIFF_KEEP=1` keeps every world's files (keystore, PEMs) and prints where.

// Test code: a failed unwrap is a failed run with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dims;
mod known;
mod pki;
mod receiver;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::connect::{
    ClientCertificate, Clock, FailureClass, Options, Outcome, Policy, Target, TrustSource,
    Validation,
};
use harness::keystore::{Keystore, Passwords};
use harness::secret::Password;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use dims::*;
use known::Found;

/// The CI run's seed.
const DEFAULT_SEED: u64 = 0x0D1F_F17A;
/// Worlds per batch: receivers alive at once; each batch's Java half runs in two JVMs.
const BATCH: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(10);

/// What one client concluded.
#[derive(Clone, Debug)]
struct Verdict {
    /// `success`, a failure class id, or `error: ...` (our side refused to run).
    class: String,
    used: bool,
    /// The Java text of the failure (ours: `Failure::java_text()`), empty on success.
    text: String,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        let v = v.trim();
        v.strip_prefix("0x")
            .map(|h| u64::from_str_radix(h, 16))
            .unwrap_or_else(|| v.parse())
            .unwrap_or_else(|e| panic!("{name}=`{v}` is not a number: {e}"))
    })
}

/// Draws `n` worlds from the strategy with `seed`.
fn generate(seed: u64, n: usize) -> Vec<World> {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = dims::world();
    (0..n)
        .map(|i| {
            let mut w = strategy.new_tree(&mut runner).unwrap().current();
            w.id = format!("w{i:03}");
            // Tags say what was made: the digest a key of the signer's type can use.
            let signer = if w.shape == Shape::SelfSigned {
                w.leaf_key
            } else {
                w.ca_key.kind()
            };
            w.digest = pki::effective_digest(signer, w.digest).unwrap_or(Digest::Sha512);
            w
        })
        .collect()
}

/// Our connectivity test on one world, as `harness connect --keystore FILE
/// --keystore-password changeit [--client-cert ALIAS] [--no-validate]` runs it.
async fn ours(w: &World, m: &pki::Materials, port: u16, now: time::OffsetDateTime) -> Verdict {
    let error = |e: &dyn std::error::Error| Verdict {
        class: error_kind(e),
        used: false,
        text: String::new(),
    };
    let passwords = Passwords::new(Password::new(pki::STORE_PASSWORD));
    let store = match Keystore::read_file(&m.keystore, &passwords) {
        Ok(s) => s,
        Err(e) => return error(&e),
    };
    let trust = match TrustSource::from_keystore(&store, &passwords, "world") {
        Ok(t) => t,
        Err(e) => return error(&e),
    };
    let mut options = Options::new(Target::new(w.host_name(), port).unwrap()).timeouts(TIMEOUT);
    options.connect_to = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    options.clock = Clock::Fixed(now);
    options.client_certificate = match (w.client_mode, m.aliases.first()) {
        (ClientMode::Off, _) => ClientCertificate::Off,
        (ClientMode::AliasFirst, Some(a)) => ClientCertificate::Alias(a.clone()),
        _ => ClientCertificate::Automatic(Policy::FirstFitting),
    };
    if w.validate == Validate::Off {
        options.validation = Validation::dangerous_off();
    }
    options.key_manager = w.key_manager.kind();
    match harness::connect::run(&options, &trust).await {
        Ok(o) => verdict_of(&o),
        Err(e) => error(&e),
    }
}

fn verdict_of(o: &Outcome) -> Verdict {
    Verdict {
        class: o.class().to_owned(),
        used: o.client_certificate.used,
        text: o
            .failure
            .as_ref()
            .map(|f| f.java_text())
            .unwrap_or_default(),
    }
}

/// The one place Java's answer becomes a failure class: `harness explain`'s best candidate
/// for the exception text (ours where it ties for best), `unrecognised` when none.
fn java_class(ok: bool, status: Option<u16>, text: &str, ours: &str) -> String {
    if ok {
        return match status {
            Some(401 | 403) => "http-unauthorized".to_owned(),
            _ => "success".to_owned(),
        };
    }
    let e = harness::explain::explain(text.as_bytes());
    let Some(best) = e.candidates.first() else {
        return JAVA_ONLY_TEXTS
            .iter()
            .find(|(piece, _)| text.contains(piece))
            .map_or("unrecognised", |(_, class)| class.id())
            .to_owned();
    };
    let tied: Vec<&str> = e
        .candidates
        .iter()
        .filter(|c| c.score >= best.score)
        .map(|c| c.class.id())
        .collect();
    if tied.contains(&ours) {
        ours.to_owned()
    } else {
        best.class.id().to_owned()
    }
}

/// When a receiver refuses our client certificate under TLS 1.2 it alerts and closes while
/// JSSE may still be writing: JDK 17 then reports the socket error instead of the alert, by
/// timing (as tests/interop/connect_java.rs measured). The class agrees; the text races.
const SOCKET_TEXTS: [&str; 2] = [
    "java.net.SocketException: Broken pipe",
    "java.net.SocketException: Connection reset by peer",
];
const RACY_CLASSES: [&str; 3] = ["client-cert-required", "client-cert-rejected", "alert"];

/// Java texts that `harness explain`'s catalogue does not hold yet (rules our validator does
/// not have: issue 11 section 2), and the class each belongs to.
const JAVA_ONLY_TEXTS: &[(&str, FailureClass)] = &[
    ("KeyUsage does not allow", FailureClass::BadKeyUsage),
    (
        "Netscape cert type does not permit",
        FailureClass::BadKeyUsage,
    ),
    (
        "Extended key usage does not permit",
        FailureClass::BadKeyUsage,
    ),
    (
        "name constraints check failed",
        FailureClass::BadCertificate,
    ),
    (
        "unrecognized critical extension",
        FailureClass::BadCertificate,
    ),
    ("keyCertSign bit is not set", FailureClass::BadCertificate),
    ("policy tree", FailureClass::BadCertificate),
    ("is not a CA certificate", FailureClass::BadCertificate),
    (
        "basic constraints check failed",
        FailureClass::BadCertificate,
    ),
    (
        "Algorithm constraints check failed",
        FailureClass::BadCertificate,
    ),
    (
        "Invalid certificate_authorities extension",
        FailureClass::ProtocolMismatch,
    ),
    ("received handshake warning", FailureClass::Alert),
    ("Received fatal alert", FailureClass::Alert),
];

/// Our refusal to run, as a stable kind: the error and its sources, with the quoted parts
/// (aliases, paths) elided.
fn error_kind(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let text = parts.join(": ");
    let mut out = String::new();
    for (i, piece) in text.split('`').enumerate() {
        out.push_str(if i % 2 == 1 { "…" } else { piece });
    }
    format!("error: {}", out.chars().take(160).collect::<String>())
}

/// Java's raw answer for one world.
#[derive(Debug, serde::Deserialize)]
struct JavaLine {
    id: String,
    ok: bool,
    status: Option<u16>,
    text: String,
    used: bool,
    /// Whether the receiver (`s_server -www`'s page) saw a client certificate, when the
    /// handshake succeeded and the page arrived.
    #[serde(default)]
    receiver_saw: Option<bool>,
    /// Whether the probe got as far as connecting (false: Java refused to run, as our
    /// `error: ...`).
    connected: bool,
}

fn compile_probe(javac: &Path, out: &Path) -> PathBuf {
    let classes = out.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let source = tests::workspace_root().join("tests/differential/java/DiffProbe.java");
    tests::run_ok(Command::new(javac).arg("-d").arg(&classes).arg(&source));
    classes
}

fn run_java(java: &Path, classes: &Path, worlds_file: &Path) -> Vec<JavaLine> {
    let out = tests::run_ok(
        Command::new(java)
            .args(["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp"])
            .arg(classes)
            .arg("DiffProbe")
            .arg(worlds_file),
    );
    out.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("probe line `{l}`: {e}")))
        .collect()
}

#[test]
fn connectivity_test_agrees_with_jdk17_over_generated_worlds() {
    let (Some(openssl), Some(java), Some(javac)) = (
        tests::tool("openssl"),
        tests::tool("java"),
        tests::tool("javac"),
    ) else {
        return;
    };
    let started = Instant::now();
    let seed = env_u64("DIFF_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("DIFF_WORLDS").map_or(300, |n| n as usize);
    let verbose = std::env::var("DIFF_VERBOSE").is_ok_and(|v| v == "1");
    let mut worlds = generate(seed, count);
    // `DIFF_ONLY=w009,w018`: only those worlds (for a closer look; the known file is then
    // neither checked for stale entries nor rewritten).
    let only: Option<Vec<String>> = std::env::var("DIFF_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    if let Some(only) = &only {
        worlds.retain(|w| only.contains(&w.id));
    }

    let pool = pki::KeyPool::load(
        &openssl,
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-keys"),
    );
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // `DIFF_KEEP=1`: keep every world's files (printed) for a closer look.
    let (_tmp_guard, tmp_path) = if std::env::var("DIFF_KEEP").is_ok_and(|v| v == "1") {
        let kept = tmp.keep();
        println!("world files kept in {}", kept.display());
        (None, kept)
    } else {
        let path = tmp.path().to_owned();
        (Some(tmp), path)
    };
    let classes = compile_probe(&javac, &tmp_path);

    // Materialise every world (two threads).
    let materials: Vec<pki::Materials> = {
        let half = worlds.len().div_ceil(2);
        std::thread::scope(|s| {
            let handles: Vec<_> = worlds
                .chunks(half.max(1))
                .enumerate()
                .map(|(c, chunk)| {
                    let (pool, tmp) = (&pool, tmp_path.as_path());
                    s.spawn(move || {
                        chunk
                            .iter()
                            .enumerate()
                            .map(|(i, w)| {
                                let index = c * half + i;
                                pki::materialise(
                                    w,
                                    index,
                                    pool,
                                    now.unix_timestamp(),
                                    &tmp.join(&w.id),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        })
    };
    let made = started.elapsed();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut results: BTreeMap<String, (Verdict, Verdict)> = BTreeMap::new();
    let mut not_served: BTreeMap<String, String> = BTreeMap::new();
    for (b, batch) in worlds.chunks(BATCH).enumerate() {
        let mats = &materials[b * BATCH..b * BATCH + batch.len()];
        // Receivers, started from four threads.
        let receivers: Vec<Result<receiver::Receiver, String>> = std::thread::scope(|s| {
            let per = batch.len().div_ceil(4).max(1);
            let handles: Vec<_> = batch
                .chunks(per)
                .zip(mats.chunks(per))
                .map(|(ws, ms)| {
                    let openssl = &openssl;
                    s.spawn(move || {
                        ws.iter()
                            .zip(ms)
                            .map(|(w, m)| receiver::start(openssl, w, m))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        // Ours, four at a time.
        let served: Vec<(usize, u16)> = receivers
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Ok(r) => Some((i, r.port)),
                Err(e) => {
                    not_served.insert(batch[i].id.clone(), e.clone());
                    None
                }
            })
            .collect();
        let our_verdicts: Vec<Verdict> = rt.block_on(async {
            let limit = Arc::new(tokio::sync::Semaphore::new(4));
            let mut tasks = Vec::new();
            for &(i, port) in &served {
                let (w, m) = (batch[i].clone(), &mats[i]);
                let m = m.clone();
                let limit = limit.clone();
                tasks.push(tokio::spawn(async move {
                    let _permit = limit.acquire().await.unwrap();
                    ours(&w, &m, port, now).await
                }));
            }
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        // Java: two JVMs, each over half the batch.
        let lines: Vec<String> = served
            .iter()
            .map(|&(i, port)| {
                let (w, m) = (&batch[i], &mats[i]);
                let client = match (w.client_mode, m.aliases.first()) {
                    (ClientMode::Off, _) => "off".to_owned(),
                    (ClientMode::AliasFirst, Some(a)) => format!("alias={a}"),
                    _ => "auto".to_owned(),
                };
                format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    w.id,
                    w.host_name(),
                    port,
                    if w.validate == Validate::On { 1 } else { 0 },
                    client,
                    m.keystore.display(),
                    m.store_type,
                    pki::STORE_PASSWORD,
                    TIMEOUT.as_millis(),
                    w.key_manager.java()
                )
            })
            .collect();
        let java_lines: Vec<JavaLine> = std::thread::scope(|s| {
            let per = lines.len().div_ceil(2).max(1);
            let handles: Vec<_> = lines
                .chunks(per)
                .enumerate()
                .map(|(j, part)| {
                    let file = tmp_path.join(format!("batch{b}-{j}.tsv"));
                    std::fs::write(&file, part.concat()).unwrap();
                    let (java, classes) = (&java, &classes);
                    s.spawn(move || run_java(java, classes, &file))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(
            java_lines.len(),
            served.len(),
            "the probe answers every world"
        );
        for ((&(i, _), our), jl) in served.iter().zip(our_verdicts).zip(java_lines) {
            assert_eq!(batch[i].id, jl.id);
            // Which of client-cert-required, client-cert-rejected or alert a received alert
            // is depends on the alert, whether the server asked and whether a certificate
            // was sent, not on the text alone: the same alert text with the same "used"
            // is the same class.
            let same_alert = !jl.ok
                && jl.text == our.text
                && jl.text.contains(": Received fatal alert: ")
                && jl.used == our.used;
            let class = if !jl.ok && !jl.connected {
                // Java refused to run (before any connection), as ours may: both are an
                // error exit, not an outcome; the kinds are not compared.
                if our.class.starts_with("error:") {
                    our.class.clone()
                } else {
                    format!("error: java: {}", jl.text)
                }
            } else if RACY_CLASSES.contains(&our.class.as_str())
                && (SOCKET_TEXTS.contains(&jl.text.as_str()) || same_alert)
            {
                our.class.clone()
            } else {
                java_class(jl.ok, jl.status, &jl.text, &our.class)
            };
            // What the receiver saw decides where it is known (the probe's record of the
            // key manager's answers is the fallback for failed handshakes).
            if let Some(saw) = jl.receiver_saw
                && saw != jl.used
            {
                println!(
                    "{}: the probe recorded used={} but the receiver saw a certificate: {saw}",
                    jl.id, jl.used
                );
            }
            let theirs = Verdict {
                class,
                used: jl.receiver_saw.unwrap_or(jl.used),
                text: if jl.ok { String::new() } else { jl.text },
            };
            results.insert(jl.id, (our, theirs));
        }
        drop(receivers);
    }
    let probed = started.elapsed();

    // Compare.
    let tags: BTreeMap<String, BTreeSet<String>> = worlds
        .iter()
        .filter(|w| results.contains_key(&w.id))
        .map(|w| {
            let mut t: BTreeSet<String> = w.tags().into_iter().collect();
            t.insert(format!("id={}", w.id));
            (w.id.clone(), t)
        })
        .collect();
    let mut found: Vec<Found> = Vec::new();
    for (id, (our, theirs)) in &results {
        let mut add = |what: &'static str, ours: String, java: String| {
            found.push(Found {
                world: id.clone(),
                what,
                ours,
                java,
            })
        };
        if our.class != theirs.class {
            add("class", our.class.clone(), theirs.class.clone());
        } else if our.class != "success"
            && !our.class.starts_with("error:")
            && our.text != theirs.text
            && !(RACY_CLASSES.contains(&our.class.as_str())
                && SOCKET_TEXTS.contains(&theirs.text.as_str()))
        {
            add("text", our.text.clone(), theirs.text.clone());
        }
        // "Used" is compared where the outcome agrees: where it differs (another failure,
        // or our refusal to run), "used" follows from it and says nothing more.
        if our.used != theirs.used && our.class == theirs.class {
            add("used", our.used.to_string(), theirs.used.to_string());
        }
        if verbose {
            println!(
                "{id} ours={} java={} used={}/{} | {} | {}",
                our.class, theirs.class, our.used, theirs.used, our.text, theirs.text
            );
        }
    }

    // Every world's verdicts, for analysis (one line each: id, ours class/used/text, Java's,
    // all tags, the tags that differ from the common world).
    let dump = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-last.tsv");
    let rows: String = worlds
        .iter()
        .filter_map(|w| {
            let (o, j) = results.get(&w.id)?;
            Some(format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                w.id,
                o.class,
                o.used,
                o.text,
                j.class,
                j.used,
                j.text,
                w.tags().join(" "),
                w.moved().join(" ")
            ))
        })
        .collect();
    std::fs::write(&dump, rows).unwrap();

    // Summary.
    println!(
        "differential: seed {seed:#x}, {} worlds generated, {} probed by both clients, {} not served by s_server; made in {:.1}s, probed in {:.1}s; every world in {}",
        worlds.len(),
        results.len(),
        not_served.len(),
        made.as_secs_f64(),
        (probed - made).as_secs_f64(),
        dump.display()
    );
    let mut per_dim: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for t in tags.values().flatten().filter(|t| !t.starts_with("id=")) {
        let (k, v) = t.split_once('=').unwrap();
        *per_dim
            .entry(k.to_owned())
            .or_default()
            .entry(v.to_owned())
            .or_default() += 1;
    }
    println!("worlds per dimension value:");
    for (k, vs) in &per_dim {
        let vs: Vec<String> = vs.iter().map(|(v, n)| format!("{v} {n}")).collect();
        println!("  {k}: {}", vs.join(", "));
    }
    let mut why_not: BTreeMap<&str, usize> = BTreeMap::new();
    for e in not_served.values() {
        *why_not.entry(e.as_str()).or_default() += 1;
    }
    for (e, n) in &why_not {
        println!("  not served ({n}): {e}");
    }
    let agree = results.len()
        - found
            .iter()
            .map(|f| &f.world)
            .collect::<BTreeSet<_>>()
            .len();
    println!(
        "{agree} of {} worlds agree in class, client certificate used and text",
        results.len()
    );
    let mut by_kind: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for f in &found {
        *by_kind.entry((f.what, &f.ours, &f.java)).or_default() += 1;
    }
    println!("divergences by kind (count, what: ours | java):");
    for ((what, o, j), n) in &by_kind {
        println!("  {n:>4} {what}: {o} | {j}");
    }

    // The known divergences.
    let moved: BTreeMap<String, Vec<String>> =
        worlds.iter().map(|w| (w.id.clone(), w.moved())).collect();
    let file = tests::workspace_root().join("tests/differential/known-divergences.toml");
    let known_file = known::load(&file);
    if only.is_some() {
        println!("DIFF_ONLY: the known divergences are not checked");
        return;
    }
    if std::env::var("DIFF_WRITE_KNOWN").is_ok_and(|v| v == "1") {
        known::write(&file, &known_file, &found, &tags, &moved);
        println!("rewrote {}", file.display());
        return;
    }
    let mut allowed_in = vec![BTreeSet::new(); known_file.divergence.len()];
    let mut unknown = Vec::new();
    // Every entry that allows a divergence counts (a world may diverge for two listed
    // features at once).
    for f in &found {
        let mut allowed = false;
        for (k, worlds) in known_file.divergence.iter().zip(allowed_in.iter_mut()) {
            if k.allows(f, &tags[&f.world]) {
                worlds.insert(f.world.clone());
                allowed = true;
            }
        }
        if !allowed {
            unknown.push(f);
        }
    }
    println!("known divergences allowed (worlds, entry):");
    for (k, a) in known_file.divergence.iter().zip(&allowed_in) {
        if !a.is_empty() {
            println!(
                "  {:>4} {} {} | {} when {}",
                a.len(),
                k.what,
                k.ours,
                k.java,
                k.when.join(" ")
            );
        }
    }
    let stale: Vec<String> = known_file
        .divergence
        .iter()
        .zip(&allowed_in)
        .filter(|(k, a)| k.is_stale(a, &tags, &moved))
        .map(|(k, _)| format!("{} {} | {} when {:?}", k.what, k.ours, k.java, k.when))
        .collect();
    for f in unknown.iter().take(40) {
        println!(
            "NEW {} {}: ours `{}` vs java `{}`\n    {}",
            f.world,
            f.what,
            f.ours,
            f.java,
            worlds
                .iter()
                .find(|w| w.id == f.world)
                .map(|w| w.moved().join(" "))
                .unwrap_or_default()
        );
    }
    assert!(
        unknown.is_empty(),
        "{} divergences from Java that known-divergences.toml does not list (DIFF_WRITE_KNOWN=1 rewrites it for review)",
        unknown.len()
    );
    assert!(
        stale.is_empty(),
        "known divergences that no longer occur (worlds moved along their features alone agree with Java; remove them): {stale:#?}"
    );
}
