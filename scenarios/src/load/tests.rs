use super::*;

const GOOD: &str = r#"
version = 1
description = "root -> intermediate -> leaf; the tenant trusts the root"

[world]
seed = 3

[[receiver]]
name = "backend"
profile = "full-chain"

[[step]]
action = "build-keystore"
keystore = "customer"
password = "Passw0rd!"
trusted = [{ alias = "backend_root", certificate = "receiver-root" }]

[[step]]
action = "upload"
keystore = "customer"

[[step]]
action = "connect"
receiver = "backend"
expect = { outcome = "success" }
"#;

fn error(text: &str) -> String {
    load_str("x", "x.toml", text).unwrap_err().to_string()
}

#[test]
fn loads_a_good_file() {
    let s = load_str("x", "x.toml", GOOD).unwrap();
    assert_eq!(s.steps.len(), 3);
    assert_eq!(s.expected_summary(), "success");
    assert_eq!(s.world.seed, Some(3));
    assert_eq!(
        s.receivers[0].profile,
        mock_receiver::TrustProfile::FullChain
    );
    assert_eq!(s.receivers[0].fault, None);
    assert!(matches!(
        &s.steps[1],
        Step::Upload {
            password: None,
            wrong_password: false,
            ..
        }
    ));
}

#[test]
fn every_suite_file_loads() {
    for (name, text) in crate::suite::files() {
        if let Err(e) = load_str(name, name, text) {
            panic!("{e}");
        }
    }
}

#[test]
fn jceks_iterations_default_to_java_and_stay_in_javas_range() {
    let s = load_str("x", "x.toml", GOOD).unwrap();
    assert_eq!(s.world.jceks_iterations, 200_000);
    let low = GOOD.replace("seed = 3", "seed = 3\njceks_iterations = 1000");
    let s = load_str("x", "x.toml", &low).unwrap();
    assert_eq!(s.world.jceks_iterations, 1000);
    for bad in ["0", "5000001"] {
        let text = GOOD.replace("seed = 3", &format!("seed = 3\njceks_iterations = {bad}"));
        let e = error(&text);
        assert!(
            e.starts_with("x.toml:7:1: field `world.jceks_iterations`")
                && e.contains("jdk.jceks.iterationCount"),
            "{e}"
        );
    }
}

#[test]
fn unknown_field_names_line_and_field() {
    let text = GOOD.replace("seed = 3", "seed = 3\nsede = 4");
    assert_eq!(
        error(&text),
        "x.toml:7:1: field `world.sede`: unknown field `sede`, expected one of `seed`, `key_type`, `now`, `jceks_iterations`"
    );
}

#[test]
fn typo_in_a_step_key_names_line_and_field() {
    let text = GOOD.replace(
        "receiver = \"backend\"\nexpect",
        "reciever = \"backend\"\nexpect",
    );
    let e = error(&text);
    assert!(
        e.starts_with("x.toml:24:1: field `step[3].reciever`: unknown field `reciever`, expected one of `receiver`"),
        "{e}"
    );
}

#[test]
fn typo_in_an_expectation_names_line_and_field() {
    let text = GOOD.replace("{ outcome = \"success\" }", "{ outcom = \"success\" }");
    let e = error(&text);
    assert!(
        e.starts_with("x.toml:25:") && e.contains("`outcom`") && e.contains("step[3]"),
        "{e}"
    );
}

#[test]
fn wrong_type_names_line_and_field() {
    let text = GOOD.replace("seed = 3", "seed = \"three\"");
    let e = error(&text);
    assert!(
        e.starts_with("x.toml:6:8: field `world.seed`: invalid type"),
        "{e}"
    );
}

#[test]
fn missing_version_names_version() {
    let e = error(&GOOD.replace("version = 1\n", ""));
    assert!(
        e.starts_with("x.toml:1:1: field `version`: missing field `version`"),
        "{e}"
    );
    let e = error("description = \"x\"\n");
    assert!(
        e.contains("field `version`: missing field `version`"),
        "{e}"
    );
}

#[test]
fn missing_step_field_names_step_and_field() {
    let text = GOOD.replace(
        "action = \"upload\"\nkeystore = \"customer\"\n",
        "action = \"upload\"\n",
    );
    let e = error(&text);
    assert!(
        e.starts_with("x.toml:18:1: field `step[2].keystore`: missing field `keystore`"),
        "{e}"
    );
}

#[test]
fn bad_enum_values_name_line_and_field() {
    let e = error(&GOOD.replace("full-chain", "full"));
    assert!(
        e.starts_with("x.toml:10:11: field `receiver[1].profile`: unknown variant `full`, expected one of `full-chain`"),
        "{e}"
    );
    let e = error(&GOOD.replace("outcome = \"success\"", "outcome = \"expird\""));
    assert!(
        e.starts_with("x.toml:25:")
            && e.contains("field `step[3].expect.outcome`: unknown variant `expird`"),
        "{e}"
    );
    let e = error(&GOOD.replace(
        "keystore = \"customer\"\n\n[[step]]\naction = \"connect\"",
        "keystore = \"customer\"\nmode = \"merge\"\n\n[[step]]\naction = \"connect\"",
    ));
    assert!(
        e.starts_with("x.toml:21:") && e.contains("field `step[2].mode`: unknown variant `merge`, expected one of `add`, `add-overwrite`, `replace`"),
        "{e}"
    );
    let e = error(&GOOD.replace(
        "profile = \"full-chain\"",
        "profile = \"full-chain\"\nfault = \"alert-nope\"",
    ));
    assert!(
        e.starts_with("x.toml:11:9: field `receiver[1].fault`: unknown variant `alert-nope`")
            && e.contains("field `receiver[1].fault`: unknown variant `alert-nope`"),
        "{e}"
    );
    let e = error(&GOOD.replace("action = \"connect\"", "action = \"conect\""));
    assert!(
        e.starts_with("x.toml:23:")
            && e.contains("field `step[3].action`: unknown variant `conect`"),
        "{e}"
    );
}

#[test]
fn unknown_alias_is_a_load_error() {
    let text = GOOD.replace(
        "receiver = \"backend\"\nexpect",
        "receiver = \"backend\"\nclient_certificate = \"nope\"\nexpect",
    );
    assert_eq!(
        error(&text),
        "x.toml:25:1: field `step[3].client_certificate`: alias `nope` is never created (no earlier step puts it in the tenant keystore)"
    );
}

#[test]
fn unknown_receiver_is_a_load_error() {
    let text = GOOD.replace("receiver = \"backend\"", "receiver = \"backnd\"");
    assert_eq!(
        error(&text),
        "x.toml:24:1: field `step[3].receiver`: receiver `backnd` is never declared (add a [[receiver]] with this name)"
    );
}

#[test]
fn field_of_another_action_is_refused() {
    let text = GOOD.replace(
        "keystore = \"customer\"\n\n",
        "keystore = \"customer\"\nvalidate = false\n\n",
    );
    let e = error(&text);
    assert!(
        e.starts_with("x.toml:21:1: field `step[2].validate`: unknown field `validate`, expected one of `keystore`, `password`"),
        "{e}"
    );
}

#[test]
fn bad_version_and_syntax() {
    let e = error(&GOOD.replace("version = 1", "version = 2"));
    assert!(
        e.starts_with("x.toml:2:1: field `version`: unsupported version 2"),
        "{e}"
    );
    let e = error("version = 1\n[world\n");
    assert!(e.starts_with("x.toml:2:"), "{e}");
}

#[test]
fn wrong_password_is_seen_at_load() {
    let text = GOOD.replace(
        "action = \"upload\"\nkeystore = \"customer\"\n",
        "action = \"upload\"\nkeystore = \"customer\"\npassword = \"other\"\n",
    );
    let s = load_str("x", "x.toml", &text).unwrap();
    assert!(matches!(
        &s.steps[1],
        Step::Upload {
            wrong_password: true,
            ..
        }
    ));
}

/// GOOD with the connect step's expectation replaced.
fn expecting(expect: &str) -> String {
    GOOD.replace(
        "expect = { outcome = \"success\" }",
        &format!("expect = {{ {expect} }}"),
    )
}

#[test]
fn expected_aliases_must_be_created() {
    assert_eq!(
        error(&expecting("chosen_alias = \"cpi_clinet\"")),
        "x.toml:25:12: field `step[3].expect.chosen_alias`: alias `cpi_clinet` is never created (no earlier step puts it in the tenant keystore)"
    );
    assert_eq!(
        error(&expecting("entries = [\"backend_root\", \"backend_rot\"]")),
        "x.toml:25:39: field `step[3].expect.entries[2]`: alias `backend_rot` is never created (no earlier step puts it in the tenant keystore)"
    );
    let e = error(&expecting("absent = [\"nothing_like_it\"]"));
    assert!(
        e.starts_with("x.toml:25:22: field `step[3].expect.absent[1]`: alias `nothing_like_it` is in no keystore"),
        "{e}"
    );
    // Created aliases, SAP's own and pre-installed ones are fine.
    let ok = expecting(
        "entries = [\"Backend_Root\", \"sap_cloudintegrationcertificate\", \"sap_receiver_root\"]",
    )
    .replace(
        "[world]",
        "[tenant]\npreinstalled = [\"receiver-root\"]\n[world]",
    );
    load_str("x", "x.toml", &ok).unwrap();
}

#[test]
fn upload_expectations_name_aliases_of_the_uploaded_keystore() {
    let text = GOOD.replace(
        "action = \"upload\"\nkeystore = \"customer\"\n",
        "action = \"upload\"\nkeystore = \"customer\"\nexpect = { added = [\"backend_rot\"] }\n",
    );
    assert_eq!(
        error(&text),
        "x.toml:21:21: field `step[2].expect.added[1]`: alias `backend_rot` is not in the uploaded keystore"
    );
    assert_eq!(
        error(&expecting("overwritten = [\"backend_root\"]")),
        "x.toml:25:27: field `step[3].expect.overwritten[1]`: `overwritten` is an upload's expectation (this step is no upload)"
    );
}

#[test]
fn expected_users_statuses_and_texts_are_checked() {
    let e = error(&expecting("user = \"CPI_OUTBOUND\""));
    assert!(
        e.starts_with("x.toml:25:12: field `step[3].expect.user`: user `CPI_OUTBOUND` is mapped by no receiver"),
        "{e}"
    );
    let e = error(&expecting("http_status = 20"));
    assert!(
        e.starts_with("x.toml:25:12: field `step[3].expect.http_status`: 20 is no HTTP status"),
        "{e}"
    );
    let e = error(&expecting("text_contains = [\"\"]"));
    assert!(
        e.starts_with("x.toml:25:29: field `step[3].expect.text_contains[1]`: an empty text"),
        "{e}"
    );
    let e = error(&expecting("outcome = \"unknown-isuer\""));
    assert!(
        e.contains("field `step[3].expect.outcome`: unknown variant `unknown-isuer`"),
        "{e}"
    );
}
