//! The config file: overrides, waivers with expiry, strict validation, `init`, the JSON Schema.

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;
use tempfile::TempDir;

const DEMO: &str = "fixtures/demo-org.json";
/// 2026-11-23T12:00:00Z.
const NOW: &str = "1795435200";

fn contactscan() -> Command {
    let mut cmd = Command::cargo_bin("contactscan").expect("binary");
    cmd.env("SOURCE_DATE_EPOCH", NOW).env("NO_COLOR", "1");
    cmd
}

fn config(dir: &TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("contactscan.toml");
    fs::write(&path, text).unwrap();
    path
}

/// Runs a JSON scan of the demo with `config_text`; returns (exit status, report, stderr).
fn scan(config_text: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let dir = TempDir::new().unwrap();
    let path = config(&dir, config_text);
    let output = contactscan()
        .args(["scan", "--input", DEMO, "--format", "json", "--config"])
        .arg(&path)
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (
        output.status.code().unwrap(),
        report,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn finding<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

const SHARED_INBOX_WAIVER: &str = r#"
[[waivers]]
rules = ["security-contact-shared-inbox"]
accounts = ["555555555555"]
contact_types = ["SECURITY"]
reason = "Data team sandbox; security@ list pending (TICKET-123)"
owner = "platform-team@harborlight.com"
expires = EXPIRES
"#;

#[test]
fn a_live_waiver_turns_fail_into_waived_through_its_last_day() {
    // NOW is 2026-11-23: a waiver ending that day still applies.
    for expires in ["2026-11-23", "2027-03-31", "\"2027-03-31\""] {
        let (status, report, stderr) = scan(&SHARED_INBOX_WAIVER.replace("EXPIRES", expires), &[]);
        assert_eq!(status, 1, "{stderr}");
        let waived = finding(
            &report,
            "security-contact-shared-inbox/555555555555/SECURITY",
        );
        assert_eq!(waived["status"], "WAIVED");
        assert_eq!(
            waived["waiver"]["reason"],
            "Data team sandbox; security@ list pending (TICKET-123)"
        );
        assert_eq!(waived["waiver"]["owner"], "platform-team@harborlight.com");
        assert_eq!(waived["waiver"]["expires"], expires.trim_matches('"'));
        assert_eq!(report["summary"]["waived"], 1);
        assert!(!stderr.contains("warning"), "{stderr}");
    }
}

#[test]
fn an_expired_waiver_no_longer_applies_and_is_warned_about() {
    let (status, report, stderr) = scan(&SHARED_INBOX_WAIVER.replace("EXPIRES", "2026-11-22"), &[]);
    assert_eq!(status, 1);
    let finding = finding(
        &report,
        "security-contact-shared-inbox/555555555555/SECURITY",
    );
    assert_eq!(finding["status"], "FAIL");
    assert!(finding["waiver"].is_null());
    assert!(stderr.contains("expired on 2026-11-22"), "{stderr}");
}

#[test]
fn a_waiver_that_matches_nothing_is_stale() {
    let text = SHARED_INBOX_WAIVER
        .replace("EXPIRES", "2027-01-01")
        .replace("555555555555", "222222222222");
    let (status, report, stderr) = scan(&text, &[]);
    assert_eq!(status, 1);
    assert_eq!(report["summary"]["waived"], 0);
    assert!(stderr.contains("matched no failing finding"), "{stderr}");
}

#[test]
fn waivers_never_touch_pass_or_error_and_respect_contact_types() {
    let text = r#"
[[waivers]]
rules = ["*"]
accounts = ["*"]
contact_types = ["BILLING"]
reason = "Billing is handled by the finance tool"
owner = "finance@harborlight.com"
expires = 2027-01-01
"#;
    let (_, report, _) = scan(text, &[]);
    for f in report["findings"].as_array().unwrap() {
        match f["contact_type"].as_str() {
            Some("BILLING") => assert_ne!(f["status"], "FAIL", "{f}"),
            _ => assert_ne!(f["status"], "WAIVED", "{f}"),
        }
    }
    // The unreadable BILLING slot of 121212121212 stays ERROR.
    assert_eq!(
        finding(&report, "contact-registered/121212121212/BILLING")["status"],
        "ERROR"
    );
    assert_eq!(
        finding(&report, "contact-registered/444444444444/BILLING")["status"],
        "WAIVED"
    );
}

#[test]
fn waived_findings_do_not_fail_the_run() {
    let text = r#"
[[waivers]]
rules = ["*"]
accounts = ["*"]
reason = "Everything accepted for this test"
owner = "auditor@harborlight.com"
expires = 2027-01-01
"#;
    let (status, report, _) = scan(text, &["--allow-incomplete"]);
    assert_eq!(report["summary"]["fail"], 0);
    assert_eq!(status, 0);
}

#[test]
fn rule_overrides_disable_reseverity_and_reparametrise() {
    let text = r#"
[rules.contact-registered]
enabled = false

[rules.security-contact-registered]
severity = "critical"

[rules.security-contact-consistent]
params = { approved_emails = ["security@harborlight.com", "security+aws@harborlight.com"] }

[rules.contact-email-placeholder-domain]
params = { allowed_domains = ["yourcompany.com"] }
"#;
    let (status, report, stderr) = scan(text, &[]);
    assert_eq!(status, 1, "{stderr}");
    let findings = report["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .all(|f| f["rule_id"] != "contact-registered"));
    // Selecting a rule the config turns off says so.
    let (status, _, stderr) = scan(text, &["--select", "contact-registered"]);
    assert_eq!(status, 2);
    assert!(
        stderr.contains("turns off (contact-registered)"),
        "{stderr}"
    );
    assert_eq!(
        finding(&report, "security-contact-registered/333333333333/SECURITY")["severity"],
        "CRITICAL"
    );
    assert_eq!(
        finding(&report, "security-contact-consistent/141414141414")["status"],
        "PASS"
    );
    let edge = finding(&report, "security-contact-consistent/777777777777");
    assert_eq!(edge["status"], "FAIL");
    assert!(
        edge["message"].as_str().unwrap().contains("approved"),
        "{edge}"
    );
    assert_eq!(
        finding(
            &report,
            "contact-email-placeholder-domain/444444444444/SECURITY"
        )["status"],
        "PASS"
    );
}

#[test]
fn the_working_directory_config_is_found() {
    let dir = TempDir::new().unwrap();
    config(&dir, "[rules.contact-registered]\nenabled = false\n");
    let demo = fs::canonicalize(DEMO).unwrap();
    let output = contactscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "--input"])
        .arg(&demo)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule_id"] != "contact-registered"));
}

#[test]
fn bad_configs_exit_2_with_file_line_and_expectation() {
    let waiver = |body: &str| format!("[[waivers]]\n{body}\n");
    let good = "rules = [\"security-contact-shared-inbox\"]\naccounts = [\"555555555555\"]\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-01";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "[rules.nope]\nenabled = false\n".into(),
            vec!["line 1", "unknown rule id \"nope\""],
        ),
        ("frobnicate = 1\n".into(), vec!["line 1", "frobnicate"]),
        (
            "[rules.contact-registered]\nenable = false\n".into(),
            vec!["line 2", "enable"],
        ),
        (
            "[rules.contact-registered]\nenabled = \"no\"\n".into(),
            vec!["line 2", "bool"],
        ),
        (
            "[rules.contact-registered]\nseverity = \"urgent\"\n".into(),
            vec!["line 2", "urgent"],
        ),
        (
            "[rules.contact-registered]\nparams = { x = [] }\n".into(),
            vec!["line 2", "has no parameter \"x\""],
        ),
        (
            "[rules.security-contact-freemail]\nparams = { extra_providers = \"home.nl\" }\n"
                .into(),
            vec![
                "line 2",
                "expected a list like the default [], got a string",
            ],
        ),
        (
            "[rules.security-contact-freemail]\nparams = { extra_providers = [1] }\n".into(),
            vec!["line 2", "list of strings"],
        ),
        (
            waiver(&good.replace("2027-01-01", "2027-02-30")),
            vec!["line 6", "date"],
        ),
        (
            waiver(&good.replace("2027-01-01", "\"2027-02-30\"")),
            vec!["line 6", "not a valid date"],
        ),
        (
            waiver(&good.replace("2027-01-01", "\"next year\"")),
            vec!["line 6", "YYYY-MM-DD"],
        ),
        (
            waiver(&good.replace("2027-01-01", "2027-01-01T10:00:00Z")),
            vec!["line 6", "got the date-time 2027-01-01T10:00:00Z"],
        ),
        (
            waiver(&good.replace("expires = 2027-01-01", "")),
            vec!["expires"],
        ),
        (
            waiver(&good.replace("\"555555555555\"", "\"5555\"")),
            vec!["line 1", "12-digit"],
        ),
        (
            waiver(&good.replace("security-contact-shared-inbox", "no-such-*")),
            vec!["line 1", "matches no rule"],
        ),
        (
            waiver(&format!("{good}\ncontact_types = [\"LEGAL\"]")),
            vec!["line 1", "LEGAL"],
        ),
        (
            waiver(&good.replace("reason = \"r\"", "reason = \" \"")),
            vec!["line 1", "reason"],
        ),
        (waiver(&format!("{good}\nticket = \"T-1\"")), vec!["ticket"]),
        ("[rules\n".into(), vec!["line 1", "invalid config"]),
        (
            "[rules.contact-registered]\nenabeld = false\n".into(),
            vec!["line 2", "did you mean `enabled`?"],
        ),
        // serde's sequence form of a table is no table.
        (
            "[rules]\n\"contact-registered\" = [false]\n".into(),
            vec!["line 2", "expected an object"],
        ),
        (
            "waivers = [[[\"security-contact-shared-inbox\"], [\"*\"], [\"SECURITY\"], \"r\", \"o\", 2027-01-01]]\n"
                .into(),
            vec!["line 1", "expected an object"],
        ),
    ];
    for (text, expected) in cases {
        let (status, report, stderr) = scan(&text, &[]);
        assert_eq!(status, 2, "{text}\n{stderr}");
        assert!(report.is_null(), "a report was written for {text}");
        assert!(stderr.contains("contactscan.toml"), "{stderr}");
        for needle in expected {
            assert!(
                stderr.contains(needle),
                "{text}\nstderr lacks {needle:?}: {stderr}"
            );
        }
    }
    let output = contactscan()
        .args(["scan", "--input", DEMO, "--config", "no-such.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such.toml"));
}

#[test]
fn init_writes_a_config_that_loads_and_expects_the_dominant_address() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("contactscan.toml");
    contactscan()
        .args(["init", "--input", DEMO, "--output"])
        .arg(&path)
        .assert()
        .code(0);
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("approved_emails = [\"security@harborlight.com\"]"),
        "{text}"
    );
    assert!(text.contains("# [[waivers]]"));
    let (status, report, stderr) = scan(&text, &[]);
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(
        finding(&report, "security-contact-consistent/222222222222")["status"],
        "PASS"
    );
    contactscan()
        .args(["init", "--input", DEMO, "--output"])
        .arg(&path)
        .assert()
        .code(2);
}

#[test]
fn config_schema_is_current() {
    let generated = contactscan::config::json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        fs::write("contactscan.schema.json", &generated).unwrap();
    }
    let shipped = fs::read_to_string("contactscan.schema.json").unwrap_or_default();
    assert_eq!(
        shipped, generated,
        "contactscan.schema.json is stale: rerun with UPDATE_SCHEMA=1"
    );
    let schema: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for key in ["rules", "waivers", "contacts"] {
        assert!(schema["properties"][key].is_object(), "{key}");
    }
    let contact = &schema["$defs"]["ContactEntry"];
    assert_eq!(contact["properties"]["name"]["maxLength"], 64);
    assert_eq!(
        contact["required"],
        serde_json::json!(["name", "title", "email_address", "phone_number"])
    );
    assert!(schema["$defs"]["ContactsSection"]["examples"].is_array());
}

#[test]
fn a_waiver_with_contact_types_covers_account_scope_findings_of_those_types() {
    let text = r#"
[[waivers]]
rules = ["security-contact-consistent"]
accounts = ["444444444444"]
contact_types = ["SECURITY"]
reason = "Marketing sandbox; security contact moves with SEC-9"
owner = "secops@harborlight.com"
expires = 2027-01-01
"#;
    let (_, report, stderr) = scan(text, &[]);
    assert_eq!(
        finding(&report, "security-contact-consistent/444444444444")["status"],
        "WAIVED"
    );
    assert!(!stderr.contains("matched no failing finding"), "{stderr}");
    let (status, _, stderr) = scan(&text.replace("[\"SECURITY\"]", "[]"), &[]);
    assert_eq!(status, 2);
    assert!(stderr.contains("contact_types is empty"), "{stderr}");
}

#[test]
fn a_waiver_for_rules_that_did_not_run_is_not_stale() {
    let text = SHARED_INBOX_WAIVER.replace("EXPIRES", "2027-01-01");
    let (_, _, stderr) = scan(&text, &["--select", "contact-registered"]);
    assert!(!stderr.contains("matched no failing finding"), "{stderr}");
}

/// A `[contacts]` section with a SECURITY default and one override.
const CONTACTS: &str = r#"
[contacts.SECURITY]
name = "Security Operations"
title = "Security Team"
email_address = "security@harborlight.com"
phone_number = "+1 206 266 1000"

[[contacts.overrides]]
types = ["SECURITY"]
accounts = ["sandbox-*", "555555555555"]
ous = ["Root/Workloads/Prod", "ou-ab12-cdef3456"]
name = "Sandbox Security"
title = "Security Team"
email_address = "sandbox-security@harborlight.com"
phone_number = "+1 206 266 1003"
"#;

#[test]
fn desired_contacts_load_and_set_the_expected_security_address() {
    let (status, report, stderr) = scan(CONTACTS, &[]);
    assert_eq!(status, 1, "{stderr}");
    // The desired SECURITY addresses (default and overrides) are the expected ones: a
    // harborlight.com address passes, the template domain does not, and the rule applies
    // without needing 3 accounts on one domain.
    assert_eq!(
        finding(&report, "security-contact-consistent/222222222222")["status"],
        "PASS"
    );
    let sandbox = finding(&report, "security-contact-consistent/444444444444");
    assert_eq!(sandbox["status"], "FAIL");
    assert_eq!(
        sandbox["evidence"],
        "is not one of the approved addresses or domains in the config"
    );
    // The rule's own approved_* params win over the desired contacts.
    let own = format!(
        "{CONTACTS}\n[rules.security-contact-consistent]\nparams = {{ approved_domains = [\"yourcompany.com\"] }}\n"
    );
    let (_, report, stderr) = scan(&own, &[]);
    assert_eq!(
        finding(&report, "security-contact-consistent/444444444444")["status"],
        "PASS",
        "{stderr}"
    );
    assert_eq!(
        finding(&report, "security-contact-consistent/222222222222")["status"],
        "FAIL"
    );
}

#[test]
fn bad_desired_contacts_exit_2_with_the_line_and_what_was_expected() {
    let section = |body: &str| format!("[contacts.SECURITY]\n{body}\n");
    let fields = "name = \"Security Operations\"\ntitle = \"Security Team\"\nemail_address = \"security@harborlight.com\"\nphone_number = \"+1 206 266 1000\"";
    let with = |from: &str, to: &str| section(&fields.replace(from, to));
    let over = |selectors: &str| format!("[[contacts.overrides]]\n{selectors}\n{fields}\n");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            with("phone_number = \"+1 206 266 1000\"", ""),
            vec!["line 1", "missing field `phone_number`"],
        ),
        (
            with("name = \"Security Operations\"", "name = \"  \""),
            vec!["line 2", "contacts.SECURITY.name: is blank"],
        ),
        (
            with("Security Operations", &"x".repeat(65)),
            vec!["line 2", "65 characters long", "at most 64"],
        ),
        (
            with("Security Team", &"x".repeat(51)),
            vec!["line 3", "at most 50"],
        ),
        (
            with("security@harborlight.com", "security@harborlight"),
            vec!["line 4", "not a deliverable address", "no '.'"],
        ),
        (
            with("+1 206 266 1000", "+1 206 266 1000 ext 5"),
            vec!["line 5", "digits, spaces and + - ( ) only"],
        ),
        (
            format!("{}pager = \"x\"\n", section(fields)),
            vec!["line 6", "pager"],
        ),
        (
            format!("[contacts.LEGAL]\n{fields}\n"),
            vec!["line 1", "LEGAL"],
        ),
        (
            over("types = [\"SECURITY\", \"SECURITY\"]\naccounts = [\"222222222222\"]"),
            vec![
                "line 1",
                "contacts.overrides[0]",
                "types lists SECURITY twice",
            ],
        ),
        (
            over("types = [\"LEGAL\"]\naccounts = [\"222222222222\"]"),
            vec!["line 1", "LEGAL"],
        ),
        (
            over("types = []\naccounts = [\"222222222222\"]"),
            vec!["line 1", "types is empty"],
        ),
        (over("accounts = []"), vec!["line 1", "accounts is empty"]),
        (
            over("types = [\"SECURITY\"]"),
            vec!["line 1", "selects no account"],
        ),
        (
            over("accounts = [\"sandbox-[\"]"),
            vec!["line 1", "invalid account name glob"],
        ),
        (
            over("ous = [\"Workloads/Prod\"]"),
            vec!["line 1", "OU path from the root"],
        ),
        (over("ous = [\"Root//Prod\"]"), vec!["line 1", "empty name"]),
        (
            over("ous = [\"ou-AB12-cdef3456\"]"),
            vec!["line 1", "neither an OU id"],
        ),
        (
            over("accounts = [\"222222222222\"]")
                .replace("title = \"Security Team\"", "title = \"\""),
            vec!["line 4", "contacts.overrides[0].title: is blank"],
        ),
    ];
    for (text, expected) in cases {
        let (status, report, stderr) = scan(&text, &[]);
        assert_eq!(status, 2, "{text}\n{stderr}");
        assert!(report.is_null(), "a report was written for {text}");
        for needle in expected {
            assert!(
                stderr.contains(needle),
                "{text}\nstderr lacks {needle:?}: {stderr}"
            );
        }
    }
}
