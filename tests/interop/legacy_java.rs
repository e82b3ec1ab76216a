//! The built-in legacy scenarios (`scenarios/suite/legacy-*.toml`) against the real JDK 17.
//!
//! Each scenario's receiver is started as the scenario runner starts it (mock-receiver's
//! OpenSSL engine for legacy settings), and CPI's connectivity test is run by JDK 17's JSSE
//! (`java/ConnectProbe.java`: PKIX trust manager over the certificates the tenant keystore
//! trusts, HTTPS endpoint identification, TLS 1.3 and 1.2, the keystore's key pairs). The
//! file's expected outcome (success or failure), "client certificate used" and texts must
//! be what Java does: the expectations were taken from this run, and this test keeps them
//! from drifting. One JVM runs every scenario.
//!
//! Java validates at the wall clock, so the worlds are generated at the test's start.

use std::path::PathBuf;

use harness::pki::{Role, World, WorldSpec};
use mock_receiver::{ClientAuth, Receiver, ReceiverSpec, RunningReceiver, TlsVersions};
use scenarios::model::{Outcome, Scenario, Step};

use crate::connect_java::{JavaResult, compile_probe, run_probe};

/// Every `legacy-*.toml` of the built-in suite, in file-name order.
fn legacy_scenarios() -> Vec<Scenario> {
    let dir = tests::workspace_root().join("scenarios/suite");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("legacy-") && n.ends_with(".toml"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| scenarios::load_file(p).unwrap())
        .collect()
}

/// What Java is given for one scenario, and what the file expects.
struct Plan {
    id: String,
    line: String,
    expect: scenarios::model::Expect,
    legacy: mock_receiver::Legacy,
    receiver: RunningReceiver,
}

async fn plan(scenario: &Scenario, dir: &std::path::Path) -> Plan {
    let id = scenario.id.clone();
    let seed = scenario
        .world
        .seed
        .unwrap_or(scenarios::runner::DEFAULT_SEED);
    let now = time::OffsetDateTime::now_utc();
    let world = World::generate(
        &WorldSpec::new(seed)
            .now(now)
            .key_type(scenario.world.key_type),
    )
    .unwrap();
    assert_eq!(scenario.receivers.len(), 1, "{id}: one receiver");
    let d = &scenario.receivers[0];
    assert!(
        d.legacy.is_active(),
        "{id}: a legacy scenario has a legacy setting"
    );
    assert!(
        d.users.is_empty() && d.fault.is_none(),
        "{id}: no users, no fault"
    );
    let trust: Vec<_> = d
        .trust
        .iter()
        .map(|r| world.get(*r).cert().clone())
        .collect();
    let spec = ReceiverSpec::variant(&world, d.profile, d.certificate)
        .unwrap()
        .with_legacy(&world, d.profile, d.legacy)
        .unwrap()
        .now(now)
        .client_auth(
            ClientAuth::new(d.client_auth, trust)
                .ca_names(d.ca_names.resolve(&world))
                .rejection(d.rejection),
        )
        .versions(TlsVersions::of(&d.tls_versions));
    let receiver = Receiver::start(spec).await.unwrap();

    let mut trusted: Vec<Role> = Vec::new();
    let mut key_pairs: Vec<(String, Role)> = Vec::new();
    let mut connect = None;
    for step in &scenario.steps {
        match step {
            Step::BuildKeystore {
                trusted: t,
                key_pairs: k,
                ..
            } => {
                trusted.extend(t.iter().map(|a| a.certificate));
                key_pairs.extend(k.iter().map(|a| (a.alias.clone(), a.certificate)));
            }
            Step::Connect { .. } => {
                assert!(connect.is_none(), "{id}: one connect step");
                connect = Some(step);
            }
            _ => {}
        }
    }
    let Some(Step::Connect {
        validate,
        client_certificate,
        tls_versions,
        host,
        expect,
        ..
    }) = connect
    else {
        panic!("{id}: a legacy scenario has a connect step");
    };
    assert!(host.is_none(), "{id}: the receiver's own host");

    let trust_file = if trusted.is_empty() {
        "-".to_owned()
    } else {
        let path = dir.join(format!("{id}-trust.pem"));
        let certs: Vec<_> = trusted
            .iter()
            .map(|r| world.get(*r).cert().clone())
            .collect();
        std::fs::write(&path, harness::cert::certs_to_pem(&certs)).unwrap();
        path.display().to_string()
    };
    let keys = if key_pairs.is_empty() {
        "-".to_owned()
    } else {
        key_pairs
            .iter()
            .map(|(alias, role)| {
                let issued = world.get(*role);
                let key = dir.join(format!("{id}-{alias}-key.pem"));
                let chain = dir.join(format!("{id}-{alias}-chain.pem"));
                std::fs::write(&key, issued.key().private_key().secret_pkcs8_pem()).unwrap();
                std::fs::write(&chain, harness::cert::certs_to_pem(&issued.full_chain())).unwrap();
                format!("{alias}={}:{}", key.display(), chain.display())
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let client = match client_certificate.as_deref() {
        None => "off".to_owned(),
        Some("") => "auto".to_owned(),
        Some(alias) => format!("alias={alias}"),
    };
    let max = if tls_versions.contains(&harness::connect::TlsVersion::Tls13) {
        "TLSv1.3"
    } else {
        "TLSv1.2"
    };
    let line = format!(
        "{id}\tlocalhost\t{}\t{}\t{client}\t{max}\t10000\t{trust_file}\t{keys}\n",
        receiver.addr().port(),
        if *validate { "1" } else { "0" },
    );
    Plan {
        id,
        line,
        expect: expect.clone(),
        legacy: d.legacy,
        receiver,
    }
}

/// Whether the receiver's journal shows the legacy setting at work on a handshake Java
/// completed: the protocol and suite the setting allows (so a receiver that quietly spoke
/// modern TLS cannot pass).
fn setting_at_work(
    legacy: &mock_receiver::Legacy,
    record: &mock_receiver::ConnectionRecord,
) -> Result<(), String> {
    use mock_receiver::{CipherPolicy, LegacyVersion};
    let protocol = record.protocol.as_deref().unwrap_or("-");
    let cipher = record.cipher.as_deref().unwrap_or("-");
    let ok = match (legacy.version, legacy.ciphers) {
        (Some(LegacyVersion::Tls10), _) => protocol == "TLSv1",
        (Some(LegacyVersion::Tls11), _) => protocol == "TLSv1.1",
        (None, Some(CipherPolicy::CbcOnly)) => protocol == "TLSv1.2" && cipher.contains("_CBC_"),
        (None, Some(CipherPolicy::RsaKxOnly)) => {
            protocol == "TLSv1.2" && cipher.starts_with("TLS_RSA_WITH_")
        }
        (None, Some(CipherPolicy::DheOnly)) => {
            protocol == "TLSv1.2" && cipher.starts_with("TLS_DHE_RSA_WITH_")
        }
        (None, Some(CipherPolicy::FfdheOnly)) => {
            protocol == "TLSv1.3" || cipher.starts_with("TLS_DHE_")
        }
        (None, None) => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("the receiver negotiated {protocol} {cipher}"))
    }
}

/// Where the file and Java disagree, in words (empty when they agree).
fn disagreements(expect: &scenarios::model::Expect, java: &JavaResult) -> Vec<String> {
    let mut problems = Vec::new();
    let java_ok = java.success && !matches!(java.status, Some(401 | 403));
    match expect.outcome {
        Some(Outcome::Success) if !java_ok => problems.push(format!(
            "the file expects success, Java failed: {}",
            java.text
        )),
        Some(Outcome::Failure(class)) if java_ok => {
            problems.push(format!("the file expects {}, Java succeeded", class.id()))
        }
        Some(Outcome::Failure(_)) if expect.text_contains.is_empty() => {
            problems.push("a failure must name Java's text in text_contains".into())
        }
        None => problems.push("the connect step must expect an outcome".into()),
        _ => {}
    }
    for text in &expect.text_contains {
        if !java.chain.contains(text.as_str()) {
            problems.push(format!("Java's text lacks `{text}`: {}", java.chain));
        }
    }
    if let Some(used) = expect.client_certificate_used
        && used != java.used
    {
        problems.push(format!(
            "the file expects client certificate used = {used}, Java: {}",
            java.used
        ));
    }
    if let Some(status) = expect.http_status
        && java.status != Some(status)
    {
        problems.push(format!(
            "the file expects HTTP {status}, Java: {:?}",
            java.status
        ));
    }
    problems
}

#[test]
fn legacy_scenarios_expect_what_jdk17_does() {
    let (Some(java), Some(javac)) = (tests::tool("java"), tests::tool("javac")) else {
        return;
    };
    let scenarios = legacy_scenarios();
    assert!(
        scenarios.len() >= 10,
        "the suite's legacy scenarios are found ({})",
        scenarios.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let plans: Vec<Plan> = rt.block_on(async {
        let mut plans = Vec::new();
        for scenario in &scenarios {
            plans.push(plan(scenario, dir.path()).await);
        }
        plans
    });
    let cases_file = dir.path().join("cases.tsv");
    std::fs::write(
        &cases_file,
        plans.iter().map(|p| p.line.as_str()).collect::<String>(),
    )
    .unwrap();
    let results = rt.block_on(async {
        let (java, javac, cases_file, d) = (java, javac, cases_file, dir.path().to_owned());
        tokio::task::spawn_blocking(move || {
            let classes = compile_probe(&javac, None, &d);
            run_probe(&java, &classes, &cases_file)
        })
        .await
        .unwrap()
    });
    assert_eq!(
        results.len(),
        plans.len(),
        "the probe answers every scenario"
    );
    let mut failures = Vec::new();
    for (plan, (id, java)) in plans.iter().zip(&results) {
        assert_eq!(&plan.id, id);
        let (_, records) = rt.block_on(
            plan.receiver
                .journal()
                .wait_until(std::time::Duration::from_secs(10), |r| {
                    !r.is_empty() && r.iter().all(|c| c.closed)
                }),
        );
        let record = records.first();
        println!(
            "{id:<36} {:<5} used={:<5} {} {} {}",
            if java.success { "OK" } else { "FAIL" },
            java.used,
            record.and_then(|r| r.protocol.as_deref()).unwrap_or("-"),
            record.and_then(|r| r.cipher.as_deref()).unwrap_or("-"),
            if java.success { "" } else { java.text.as_str() }
        );
        for problem in disagreements(&plan.expect, java) {
            failures.push(format!("{id}: {problem}"));
        }
        if java.success {
            match record {
                Some(record) => {
                    if let Err(problem) = setting_at_work(&plan.legacy, record) {
                        failures.push(format!("{id}: {problem}"));
                    }
                }
                None => failures.push(format!("{id}: the receiver journaled no connection")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "legacy scenarios disagree with JDK 17:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_file_that_does_not_say_what_java_does_is_reported() {
    let java_failed = JavaResult {
        success: false,
        requested: false,
        used: false,
        status: None,
        text: "javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version".into(),
        chain: "javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version".into(),
    };
    let mut expect = scenarios::model::Expect {
        outcome: Some(Outcome::Success),
        ..Default::default()
    };
    assert_eq!(disagreements(&expect, &java_failed).len(), 1);
    expect.outcome = Some(Outcome::Failure("protocol-mismatch".parse().unwrap()));
    assert_eq!(
        disagreements(&expect, &java_failed).len(),
        1,
        "no text named"
    );
    expect.text_contains = vec!["Received fatal alert: handshake_failure".into()];
    assert_eq!(disagreements(&expect, &java_failed).len(), 1);
    expect.text_contains = vec!["Received fatal alert: protocol_version".into()];
    assert!(disagreements(&expect, &java_failed).is_empty());
    expect.client_certificate_used = Some(true);
    assert_eq!(disagreements(&expect, &java_failed).len(), 1);
}
