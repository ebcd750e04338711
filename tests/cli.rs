//! The command line as users and CI run it: exit statuses, bad input, reports, rule docs.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const DEMO: &str = "fixtures/demo-org.json";
/// 2026-11-23T12:00:00Z, so outputs are reproducible.
const EPOCH: &str = "1795435200";

fn contactscan() -> Command {
    let mut cmd = Command::cargo_bin("contactscan").expect("binary");
    cmd.env("SOURCE_DATE_EPOCH", EPOCH).env("NO_COLOR", "1");
    cmd
}

fn write(dir: &TempDir, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, contents).expect("write fixture");
    path
}

fn contact(kind: &str, email: &str) -> String {
    format!(
        r#"{{"AlternateContactType": "{kind}", "Name": "Security Operations", "Title": "SOC", "EmailAddress": "{email}", "PhoneNumber": "+1 206 266 1000"}}"#
    )
}

/// A snapshot of one account whose three contacts are all good, plus `extra` JSON fields.
fn clean_account(id: &str, extra: &str) -> String {
    format!(
        r#"{{"Id": "{id}", "Name": "prod", "Email": "root@harborlight.com", "AlternateContacts": [{}, {}, {}]{extra}}}"#,
        contact("SECURITY", "security@harborlight.com"),
        contact("BILLING", "billing@harborlight.com"),
        contact("OPERATIONS", "cloud-ops@harborlight.com"),
    )
}

fn snapshot(accounts: &[String]) -> String {
    format!(
        r#"{{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{}]}}"#,
        accounts.join(", ")
    )
}

#[test]
fn clean_snapshot_exits_0() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "clean.json",
        snapshot(&[clean_account("123456789012", "")]),
    );
    contactscan()
        .args(["scan", "--input"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "1 accounts, 13 rules: 0 failed, 0 errors",
        ));
}

#[test]
fn failing_contacts_exit_1() {
    contactscan()
        .args(["scan", "--input", DEMO])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("security@yourcompany.com"));
}

#[test]
fn fail_on_sets_the_threshold() {
    // The demo's most severe FAIL is HIGH; it also has ERROR verdicts (exit 3 when not failing).
    let run = |threshold: &str| {
        contactscan()
            .args(["scan", "--input", DEMO, "--fail-on", threshold])
            .assert()
    };
    run("high").code(1);
    run("critical").code(3);
    run("never").code(3);
    contactscan()
        .args([
            "scan",
            "--input",
            DEMO,
            "--fail-on",
            "never",
            "--allow-incomplete",
        ])
        .assert()
        .code(0);
}

#[test]
fn unreadable_slot_is_error_and_exits_3() {
    let dir = TempDir::new().unwrap();
    let errors = r#", "Errors": [{"AlternateContactType": "SECURITY", "Code": "AccessDeniedException", "Message": "denied"}]"#;
    let account = format!(
        r#"{{"Id": "123456789012", "AlternateContacts": [{}, {}]{errors}}}"#,
        contact("BILLING", "billing@harborlight.com"),
        contact("OPERATIONS", "cloud-ops@harborlight.com"),
    );
    let path = write(
        &dir,
        "denied.json",
        snapshot(std::slice::from_ref(&account)),
    );
    let output = contactscan()
        .args(["scan", "--format", "json", "--input"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let security: Vec<&serde_json::Value> = findings(&report)
        .filter(|f| f["contact_type"] == "SECURITY")
        .collect();
    assert!(!security.is_empty());
    for finding in security {
        assert_eq!(finding["status"], "ERROR", "{finding}");
        assert!(finding["message"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"));
        // Never the put-alternate-contact command: it would overwrite a contact nobody read.
        let remediation = finding["remediation"].as_str().unwrap();
        assert!(
            remediation.contains("account:GetAlternateContact"),
            "{remediation}"
        );
        assert!(
            !remediation.contains("put-alternate-contact"),
            "{remediation}"
        );
    }
    // Rules that cannot apply whatever the slot holds give no finding: the root-email rule
    // without a root email, the consistency rule in a one-account scan.
    for rule in [
        "security-contact-not-root-email",
        "security-contact-consistent",
    ] {
        assert!(findings(&report).all(|f| f["rule_id"] != rule), "{rule}");
    }
    // With a root email the root-email rule needs the slot: ERROR.
    let with_root = account.replace(
        r#""Id": "123456789012""#,
        r#""Id": "123456789012", "Email": "root@harborlight.com""#,
    );
    let with_root = write(&dir, "denied-root.json", snapshot(&[with_root]));
    let output = contactscan()
        .args(["scan", "--format", "json", "--input"])
        .arg(&with_root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let root_rule: Vec<&serde_json::Value> = findings(&report)
        .filter(|f| f["rule_id"] == "security-contact-not-root-email")
        .map(|f| &f["status"])
        .collect();
    assert_eq!(root_rule, ["ERROR"]);
    contactscan()
        .args(["scan", "--allow-incomplete", "--input"])
        .arg(&path)
        .assert()
        .code(0);
}

#[test]
fn resource_not_found_in_errors_reads_as_not_registered() {
    let dir = TempDir::new().unwrap();
    let account = r#"{"Id": "123456789012", "Errors": [{"AlternateContactType": "SECURITY",
        "Code": "ResourceNotFoundException", "Message": "No contact of the inputted alternate contact type found."}]}"#;
    let path = write(&dir, "not-found.json", snapshot(&[account.to_string()]));
    let (code, report) = account_one_scan(&path);
    assert_eq!(code, Some(1));
    let statuses: Vec<&serde_json::Value> = findings(&report).map(|f| &f["status"]).collect();
    assert_eq!(statuses, ["FAIL"]);
}

#[test]
fn suspended_accounts_are_skipped_and_listed() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "suspended.json",
        snapshot(&[
            clean_account("123456789012", ""),
            r#"{"Id": "210987654321", "Name": "old", "Status": "SUSPENDED"}"#.to_string(),
        ]),
    );
    let output = contactscan()
        .args(["scan", "--format", "json", "--input"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["accounts"], 1);
    assert_eq!(report["summary"]["skipped_accounts"], 1);
    assert_eq!(report["skipped_accounts"][0]["id"], "210987654321");
    assert_eq!(report["skipped_accounts"][0]["state"], "SUSPENDED");
    assert!(findings(&report).all(|f| f["account_id"] == "123456789012"));
}

#[test]
fn a_byte_order_mark_and_a_hand_typed_state_are_read() {
    let dir = TempDir::new().unwrap();
    let mut text = b"\xEF\xBB\xBF".to_vec();
    text.extend_from_slice(
        snapshot(&[
            clean_account("123456789012", r#", "State": "Active""#),
            r#"{"Id": "210987654321", "State": " suspended "}"#.to_string(),
        ])
        .as_bytes(),
    );
    let path = write(&dir, "bom.json", text);
    let output = contactscan()
        .args(["scan", "--format", "json", "--input"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["accounts"], 1);
    assert_eq!(report["skipped_accounts"][0]["state"], "SUSPENDED");
    // An unknown name is null, not "".
    assert_eq!(
        report["skipped_accounts"][0]["name"],
        serde_json::Value::Null
    );
}

#[test]
fn the_other_fields_of_aws_cli_output_paste_in() {
    let dir = TempDir::new().unwrap();
    let text = r#"{"SchemaVersion": "contactscan/snapshot/v1",
      "Organization": {"Id": "o-a1b2c3d4e5", "Arn": "arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5",
        "FeatureSet": "ALL", "MasterAccountArn": "arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/111111111111",
        "MasterAccountId": "111111111111", "MasterAccountEmail": "root@corp.com", "ManagementAccountId": "111111111111",
        "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]},
      "Accounts": [{"Id": "123456789012", "Arn": "arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/123456789012",
        "Email": "root@corp.com", "Name": "prod", "Status": "ACTIVE", "JoinedMethod": "CREATED",
        "JoinedTimestamp": "2024-05-01T10:00:00.000000+00:00", "AlternateContacts": []}]}"#;
    let path = write(&dir, "pasted.json", text);
    let output = contactscan()
        .args(["scan", "--format", "json", "--fail-on", "never", "--input"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["accounts"], 1);
}

#[test]
fn no_report_file_is_left_when_the_run_fails() {
    let dir = TempDir::new().unwrap();
    let same = dir.path().join("same.out");
    contactscan()
        .args(["scan", "--input", DEMO, "--report"])
        .arg(format!("json={}", same.display()))
        .arg("--report")
        .arg(format!(
            "sarif={}",
            dir.path().join(".").join("same.out").display()
        ))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("twice"));
    assert!(!same.exists());
    // Standard output that cannot be written fails the run before any file is moved in place.
    let full = dir.path().join("full.json");
    if let Ok(dev_full) = fs::OpenOptions::new().write(true).open("/dev/full") {
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("contactscan"))
            .args(["scan", "--input", DEMO, "--format", "json", "--report"])
            .arg(format!("json={}", full.display()))
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .stdout(dev_full)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2));
        assert!(!full.exists());
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("contactscan"))
        .args(["rules", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_table_shows_control_characters_instead_of_sending_them() {
    let dir = TempDir::new().unwrap();
    let account = r#"{"Id": "123456789012", "Name": "evil\u001b[2J\u001b[31mname"}"#;
    let path = write(&dir, "evil.json", snapshot(&[account.to_string()]));
    let output = contactscan()
        .args(["scan", "--input"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(!table.contains('\u{1b}'), "{table:?}");
    assert!(table.contains(r"evil\u{1b}[2J"), "{table}");
}

#[test]
fn the_management_account_is_fixed_without_naming_its_own_id() {
    let dir = TempDir::new().unwrap();
    let text = r#"{"SchemaVersion": "contactscan/snapshot/v1",
        "Organization": {"Id": "o-a1b2c3d4e5", "ManagementAccountId": "111111111111"},
        "Accounts": [{"Id": "111111111111"}, {"Id": "222222222222"}]}"#;
    let path = write(&dir, "org.json", text);
    let (_, report) = account_one_scan(&path);
    let remediation = |account: &str| {
        findings(&report)
            .find(|f| f["account_id"] == account)
            .unwrap()["remediation"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(!remediation("111111111111").contains("--account-id"));
    assert!(remediation("222222222222").contains("--account-id 222222222222"));
}

#[test]
fn snapshot_findings_take_the_region_of_the_aws_config_file() {
    let dir = TempDir::new().unwrap();
    let config = write(&dir, "config", "[default]\nregion = eu-central-1\n");
    let asff = |region_flag: Option<&str>| {
        let mut command = contactscan();
        command
            .args(["scan", "--input", DEMO, "--format", "asff"])
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_PROFILE");
        if let Some(region) = region_flag {
            command.args(["--region", region]);
        }
        let output = command.output().unwrap();
        let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        findings[0]["Resources"][0]["Region"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(asff(None), "eu-central-1");
    assert_eq!(asff(Some("ap-southeast-2")), "ap-southeast-2");
}

/// The exit status and JSON report of a scan of `path` with Account.1's rule alone.
fn account_one_scan(path: &Path) -> (Option<i32>, serde_json::Value) {
    let output = contactscan()
        .args(["scan", "--format", "json", "--input"])
        .arg(path)
        .args(["--select", "security-contact-registered"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap();
    (output.status.code(), report)
}

/// The findings of a JSON report.
fn findings(report: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    report["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
}

/// Runs a scan that must be refused: exit 2, nothing on stdout, the message names `expected`.
fn refused(args: &[&str], input: Option<&Path>, expected: &[&str]) {
    let mut cmd = contactscan();
    cmd.args(args);
    if let Some(path) = input {
        cmd.arg("--input").arg(path);
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?} {input:?}: stderr: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "partial report on stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
}

#[test]
fn bad_snapshots_exit_2_naming_file_and_place() {
    let dir = TempDir::new().unwrap();
    let good = clean_account("123456789012", "");
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        ("empty.json", b"".to_vec(), vec!["empty.json", "empty"]),
        ("blank.json", b"  \n".to_vec(), vec!["blank.json", "empty"]),
        ("text.json", b"hello".to_vec(), vec!["text.json", "line 1, column 1", "not valid JSON"]),
        ("binary.json", vec![0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe], vec!["binary.json", "line 1"]),
        ("truncated.json", snapshot(std::slice::from_ref(&good)).as_bytes()[..60].to_vec(), vec!["truncated.json", "ends too early"]),
        ("array.json", b"[1, 2]".to_vec(), vec!["array.json", "expected"]),
        (
            "schema.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v9", "Accounts": []}"#.to_vec(),
            vec!["schema.json", "SchemaVersion", "contactscan/snapshot/v1"],
        ),
        (
            "no-accounts.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v1"}"#.to_vec(),
            vec!["no-accounts.json", "Accounts"],
        ),
        (
            "bad-id.json",
            snapshot(&[clean_account("12345", "")]).into_bytes(),
            vec!["bad-id.json", "Accounts[0].Id", "12 digits"],
        ),
        (
            "numeric-id.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{"Id": 123456789012}]}"#.to_vec(),
            vec!["numeric-id.json", "Accounts[0].Id", "string"],
        ),
        (
            "wrong-type.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{"Id": "123456789012", "AlternateContacts": [{"AlternateContactType": "SECURITY", "EmailAddress": 42}]}]}"#.to_vec(),
            vec!["wrong-type.json", "Accounts[0].AlternateContacts[0].EmailAddress", "string"],
        ),
        (
            "unknown-type.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{"Id": "123456789012", "AlternateContacts": [{"AlternateContactType": "LEGAL"}]}]}"#.to_vec(),
            vec!["unknown-type.json", "Accounts[0].AlternateContacts[0].AlternateContactType", "LEGAL"],
        ),
        (
            "twice-type.json",
            snapshot(&[clean_account(
                "123456789012",
                r#", "Errors": [{"AlternateContactType": "BILLING", "Code": "X"}]"#,
            )])
            .into_bytes(),
            vec!["twice-type.json", "Accounts[0].Errors[0]", "twice"],
        ),
        (
            "twice-account.json",
            snapshot(&[good.clone(), good.clone()]).into_bytes(),
            vec!["twice-account.json", "Accounts[1].Id", "twice"],
        ),
        (
            "nested.json",
            format!(
                r#"{{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [], "Deep": {}{}}}"#,
                "[".repeat(100_000),
                "]".repeat(100_000)
            )
            .into_bytes(),
            vec!["nested.json", "nested deeper than"],
        ),
        (
            "singular.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{"Id": "123456789012", "AlternateContact": {"AlternateContactType": "SECURITY"}}]}"#.to_vec(),
            vec!["singular.json", "Accounts[0].AlternateContact", "did you mean `AlternateContacts`?"],
        ),
        (
            "camel.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{"Id": "123456789012", "AlternateContacts": [{"AlternateContactType": "SECURITY", "emailAddress": "security@corp.com"}]}]}"#.to_vec(),
            vec!["camel.json", "AlternateContacts[0].emailAddress", "did you mean `EmailAddress`?"],
        ),
        (
            "positional.json",
            br#"["contactscan/snapshot/v1", null, null, [["123456789012"]]]"#.to_vec(),
            vec!["positional.json", "expected an object"],
        ),
        (
            "positional-account.json",
            br#"{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [["123456789012"]]}"#.to_vec(),
            vec!["positional-account.json", "Accounts[0]", "expected an object"],
        ),
        (
            "trailing.json",
            format!("{} {{}}", snapshot(std::slice::from_ref(&good))).into_bytes(),
            vec!["trailing.json", "trailing"],
        ),
    ];
    for (name, contents, expected) in cases {
        let path = write(&dir, name, contents);
        let report = dir.path().join(format!("{name}.report.json"));
        refused(
            &["scan", "--report", &format!("json={}", report.display())],
            Some(&path),
            &expected,
        );
        assert!(!report.exists(), "{name}: a report was written");
    }
    refused(
        &["scan"],
        Some(&dir.path().join("missing.json")),
        &["missing.json", "cannot read"],
    );
}

#[test]
fn bad_flags_exit_2() {
    refused(
        &["scan", "--input", DEMO, "--fail-on", "severe"],
        None,
        &["--fail-on", "severe"],
    );
    refused(
        &["scan", "--input", DEMO, "--format", "pdf"],
        None,
        &["pdf"],
    );
    refused(
        &["scan", "--input", DEMO, "--report", "json"],
        None,
        &["FORMAT=PATH"],
    );
    refused(
        &["scan", "--input", DEMO, "--select", "no-such-rule*"],
        None,
        &["--select", "no-such-rule*", "matches no rule"],
    );
    refused(
        &["scan", "--input", DEMO, "--ignore", "[bad"],
        None,
        &["--ignore", "invalid glob"],
    );
    refused(
        &["scan", "--input", DEMO, "--frobnicate"],
        None,
        &["--frobnicate"],
    );
    refused(
        &["rules", "explain", "no-such-rule"],
        None,
        &["no-such-rule", "rules list"],
    );
    let mut cmd = contactscan();
    cmd.env("SOURCE_DATE_EPOCH", "yesterday");
    let output = cmd.args(["scan", "--input", DEMO]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn select_and_ignore_narrow_the_rules() {
    let output = contactscan()
        .args([
            "scan",
            "--input",
            DEMO,
            "--format",
            "json",
            "--select",
            "security-contact-*",
            "--ignore",
            "security-contact-consistent",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut rules: Vec<&str> = findings(&report)
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "security-contact-freemail",
            "security-contact-not-root-email",
            "security-contact-registered",
            "security-contact-shared-inbox"
        ]
    );
}

fn rule_dir(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (name, text) in files {
        write(&dir, name, text);
    }
    dir
}

const USER_RULE: &str = r#"
id = "org-security-contact-domain"
title = "SECURITY contact is at harborlight.com"
severity = "high"
scope = "contact"
contact_types = ["SECURITY"]
applies = "contact != null"
check = "email_domain(contact.email_address) == params.domain"
evidence = "email_domain(contact.email_address)"
message = "{contact.type} contact of {account.id} is at {evidence}, expected {params.domain}"
[params]
domain = "harborlight.com"
"#;

/// The exit status and JSON report of the demo scanned with the `org-*` rules of `dir`.
fn user_rules_scan(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let output = contactscan()
        .args([
            "scan", "--input", DEMO, "--format", "json", "--select", "org-*",
        ])
        .arg("--rules")
        .arg(dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap();
    (output.status.code(), report)
}

#[test]
fn user_rules_run_beside_the_built_in_ones() {
    let dir = rule_dir(&[("domain.toml", USER_RULE)]);
    let (code, report) = user_rules_scan(dir.path());
    assert_eq!(code, Some(1));
    let failed: Vec<&serde_json::Value> = findings(&report)
        .filter(|f| f["status"] == "FAIL")
        .collect();
    assert_eq!(failed.len(), 3, "{failed:#?}");
    assert!(failed.iter().any(|f| f["message"]
        == "SECURITY contact of 666666666666 is at gmail.com, expected harborlight.com"));
}

#[test]
fn broken_rule_files_exit_2_naming_file_and_expression() {
    let base = USER_RULE.replace("org-security-contact-domain", "org-x");
    let cases = [
        (
            "syntax.toml",
            "id = ",
            vec!["syntax.toml", "invalid rule file"],
        ),
        (
            "unknown-key.toml",
            &*format!("frobnicate = 1\n{base}"),
            vec!["unknown-key.toml", "frobnicate"],
        ),
        (
            "cel-syntax.toml",
            &*base.replace(
                r#"check = "email_domain(contact.email_address) == params.domain""#,
                r#"check = "email_domain(contact.email_address == ""#,
            ),
            vec!["cel-syntax.toml", "check", "CEL syntax error"],
        ),
        (
            "unknown-function.toml",
            &*base.replace(
                "email_domain(contact.email_address) ==",
                "domain_of(contact.email_address) ==",
            ),
            vec!["unknown-function.toml", "check", "domain_of"],
        ),
        (
            "unknown-variable.toml",
            &*base.replace(
                "applies = \"contact != null\"",
                "applies = \"user != null\"",
            ),
            vec!["unknown-variable.toml", "applies", "user"],
        ),
        (
            "bad-placeholder.toml",
            &*base.replace("expected {params.domain}", "expected {params.nope}"),
            vec!["bad-placeholder.toml", "message", "params.nope"],
        ),
        (
            "duplicate.toml",
            &*base.replace("org-x", "security-contact-registered"),
            vec![
                "duplicate.toml",
                "security-contact-registered",
                "already defined",
            ],
        ),
        (
            "bad-severity.toml",
            &*base.replace("severity = \"high\"", "severity = \"urgent\""),
            vec!["bad-severity.toml", "urgent"],
        ),
    ];
    for (name, text, expected) in cases {
        let dir = rule_dir(&[(name, text)]);
        let mut args = vec!["scan", "--input", DEMO, "--rules"];
        let path = dir.path().to_str().unwrap().to_string();
        args.push(&path);
        refused(&args, None, &expected);
    }
}

#[test]
fn reports_are_written_to_files_in_one_run() {
    let dir = TempDir::new().unwrap();
    let first = dir.path().join("a.json");
    let second = dir.path().join("b.txt");
    contactscan()
        .args(["scan", "--input", DEMO, "--format", "json"])
        .arg("--report")
        .arg(format!("json={}", first.display()))
        .arg("--report")
        .arg(format!("table={}", second.display()))
        .assert()
        .code(1);
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&first).unwrap()).unwrap();
    assert_eq!(report["summary"]["fail"], 17);
    assert!(fs::read_to_string(&second)
        .unwrap()
        .contains("13 accounts (1 skipped, not ACTIVE)"));
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn finding_ids_are_stable_across_runs() {
    let ids = || {
        let output = contactscan()
            .env("SOURCE_DATE_EPOCH", "1")
            .args(["scan", "--input", DEMO, "--format", "json"])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        findings(&report)
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let first = ids();
    assert_eq!(first, ids());
    assert!(first.contains(&"security-contact-registered/333333333333/SECURITY".to_string()));
    assert!(first.contains(&"security-contact-consistent/444444444444".to_string()));
    let unique: std::collections::HashSet<_> = first.iter().collect();
    assert_eq!(unique.len(), first.len());
}

#[test]
fn rules_list_and_explain_come_from_the_rule_files() {
    let output = contactscan().args(["rules", "list"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let listing = String::from_utf8(output.stdout).unwrap();
    let rule_files = std::fs::read_dir("rules")
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("toml".as_ref()))
        .count();
    assert_eq!(listing.lines().count(), rule_files);
    assert!(listing.contains("contact-email-placeholder-domain  high"));
    contactscan()
        .args(["rules", "explain", "security-contact-registered"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Why it matters"))
        .stdout(predicate::str::contains("Example that fails"))
        .stdout(predicate::str::contains(
            "aws account put-alternate-contact",
        ))
        .stdout(predicate::str::contains("Account.1"));
    let dir = rule_dir(&[("domain.toml", USER_RULE)]);
    contactscan()
        .args(["rules", "explain", "org-security-contact-domain", "--rules"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("email_domain(email)"));
    // Without an id: every variable and function rule conditions can use.
    let output = contactscan().args(["rules", "explain"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let reference = String::from_utf8(output.stdout).unwrap();
    for name in [
        "contacts:",
        "org:",
        "email_domain(",
        "is_approved_address(",
        "is_freemail(",
    ] {
        assert!(reference.contains(name), "{name} missing from {reference}");
    }
}

#[test]
fn demo_table_and_json_are_unchanged() {
    let table = contactscan()
        .args(["scan", "--input", DEMO])
        .output()
        .unwrap();
    insta::assert_snapshot!("demo_table", String::from_utf8(table.stdout).unwrap());
    let json = contactscan()
        .args(["scan", "--input", DEMO, "--format", "json"])
        .output()
        .unwrap();
    insta::assert_snapshot!("demo_json", String::from_utf8(json.stdout).unwrap());
}

#[test]
fn a_finding_about_two_slots_has_a_command_for_each_then_one_pointer() {
    let rule = r#"
id = "org-two-slots"
title = "SECURITY and BILLING are never both registered"
severity = "low"
scope = "account"
contact_types = ["SECURITY"]
applies = "contacts.SECURITY != null && contacts.BILLING != null"
check = "false"
message = "both registered"
remediation = "{fix.command}"
"#;
    let dir = rule_dir(&[("two.toml", rule)]);
    let (_, report) = user_rules_scan(dir.path());
    let remediation = findings(&report)
        .find(|f| f["id"] == "org-two-slots/222222222222")
        .and_then(|f| f["remediation"].as_str())
        .expect("a remediation for 222222222222")
        .to_string();
    let lines: Vec<&str> = remediation.lines().collect();
    assert_eq!(lines.len(), 3, "{remediation}");
    for (line, contact_type) in lines.iter().zip(["SECURITY", "BILLING"]) {
        assert!(
            line.starts_with(&format!(
                "aws account put-alternate-contact --account-id 222222222222 \
                 --alternate-contact-type {contact_type} "
            )),
            "{line}"
        );
    }
    assert_eq!(
        lines[2],
        "# set SECURITY_NAME SECURITY_TITLE SECURITY_EMAIL SECURITY_PHONE BILLING_NAME \
         BILLING_TITLE BILLING_EMAIL BILLING_PHONE first, or configure [contacts.SECURITY] \
         [contacts.BILLING] in contactscan.toml and run contactscan fix"
    );
}

#[test]
fn rules_may_loop_and_never_guess_about_unreadable_slots() {
    let rule = r#"
id = "org-all-types"
title = "Every contact type is registered"
severity = "low"
scope = "account"
contact_types = ["SECURITY"]
check = "['SECURITY', 'BILLING', 'OPERATIONS'].all(t, contacts[t] != null)"
"#;
    let selected = r#"
id = "org-billing-named"
title = "BILLING contact has a name"
severity = "low"
scope = "account"
contact_types = ["SECURITY"]
check = "contacts.BILLING == null || contacts.BILLING.name != ''"
"#;
    // Presence tests on an unreadable slot must not read as "absent, so not applicable".
    let presence = r#"
id = "org-billing-present"
title = "BILLING contact, when present, has a name"
severity = "low"
scope = "account"
contact_types = ["SECURITY"]
applies = "has(contacts.BILLING) && 'BILLING' in contacts"
check = "contacts.BILLING == null || contacts.BILLING.name != ''"
"#;
    let dir = rule_dir(&[
        ("all.toml", rule),
        ("billing.toml", selected),
        ("presence.toml", presence),
    ]);
    let (_, report) = user_rules_scan(dir.path());
    let status = |id: &str| {
        findings(&report)
            .find(|f| f["id"] == id)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {id}"))
    };
    assert_eq!(status("org-all-types/222222222222"), "PASS");
    assert_eq!(status("org-all-types/333333333333"), "FAIL");
    // 121212121212's BILLING slot could not be read: both rules read it, neither guesses.
    assert_eq!(status("org-all-types/121212121212"), "ERROR");
    assert_eq!(status("org-billing-named/121212121212"), "ERROR");
    assert_eq!(status("org-billing-named/222222222222"), "PASS");
    assert_eq!(status("org-billing-present/121212121212"), "ERROR");
    assert_eq!(status("org-billing-present/222222222222"), "PASS");
}

#[test]
fn a_rule_that_fails_to_run_is_error_and_blamed_on_the_rule() {
    let rule = r#"
id = "org-broken"
title = "A rule whose condition fails at run time"
severity = "low"
scope = "contact"
contact_types = ["SECURITY"]
check = "contact.name.size() > 0 && int(contact.title) > 0"
"#;
    let dir = rule_dir(&[("broken.toml", rule)]);
    let (code, report) = user_rules_scan(dir.path());
    assert_eq!(code, Some(3));
    let finding = findings(&report)
        .find(|f| f["id"] == "org-broken/222222222222/SECURITY")
        .unwrap();
    assert_eq!(finding["status"], "ERROR");
    let remediation = finding["remediation"].as_str().unwrap();
    assert!(
        remediation.contains("rules explain org-broken"),
        "{remediation}"
    );
    assert!(
        !remediation.contains("GetAlternateContact"),
        "{remediation}"
    );
}

#[test]
fn equal_looking_contacts_never_share_a_memoized_verdict() {
    let dir = TempDir::new().unwrap();
    let account = |id: &str, name: &str, title: &str| {
        format!(
            r#"{{"Id": "{id}", "AlternateContacts": [{{"AlternateContactType": "SECURITY", "Name": {}, "Title": {}, "EmailAddress": "security@harborlight.com", "PhoneNumber": "+1 206 266 1000"}}]}}"#,
            serde_json::to_string(name).unwrap(),
            serde_json::to_string(title).unwrap()
        )
    };
    for order in [[0, 1], [1, 0]] {
        let accounts = [
            account("111111111111", "Sec Ops\u{1f}", ""),
            account("222222222222", "Sec Ops", "\u{1f}"),
        ];
        let path = write(
            &dir,
            "memo.json",
            snapshot(&[accounts[order[0]].clone(), accounts[order[1]].clone()]),
        );
        let output = contactscan()
            .args([
                "scan",
                "--format",
                "json",
                "--select",
                "contact-fields-complete",
                "--input",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let status = |account: &str| {
            findings(&report)
                .find(|f| f["account_id"] == account)
                .unwrap()["status"]
                .clone()
        };
        assert_eq!(status("111111111111"), "FAIL", "blank Title");
        assert_eq!(status("222222222222"), "PASS", "Title holds a character");
    }
}

/// A live scan in an environment with nothing of the machine's AWS set-up: no credentials, no
/// config files, no instance metadata.
fn isolated_live_scan(home: &Path, extra_env: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let mut cmd = Command::cargo_bin("contactscan").expect("binary");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_MAX_ATTEMPTS", "1");
    for (key, value) in extra_env {
        cmd.env(key, value);
    }
    let output = cmd.arg("scan").args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn aws_errors_are_one_line_in_the_aws_clis_words() {
    let home = TempDir::new().unwrap();
    fs::write(
        home.path().join("config"),
        "[default]\nregion = eu-west-1\n",
    )
    .unwrap();
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = format!("http://127.0.0.1:{closed_port}");
    // (environment, arguments, what stderr says)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], vec![], "Unable to locate credentials"),
        (
            vec![],
            vec!["--profile", "prod"],
            "The config profile (prod) could not be found",
        ),
        (
            vec![
                ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE12"),
                ("AWS_SECRET_ACCESS_KEY", "secret"),
                ("AWS_ENDPOINT_URL", &unreachable),
            ],
            vec![],
            "Could not connect to the endpoint URL",
        ),
    ];
    for (env, args, expected) in cases {
        let (code, stderr) = isolated_live_scan(home.path(), &env, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        for dump in [
            "DispatchFailure",
            "ConnectorError",
            "{ source:",
            "Attempted:",
        ] {
            assert!(!stderr.contains(dump), "{dump} in {stderr}");
        }
    }
}

#[test]
fn report_targets_that_would_destroy_something_are_refused_before_the_scan() {
    let dir = TempDir::new().unwrap();
    let input = write(&dir, "s.json", fs::read(DEMO).unwrap());
    let victim = write(&dir, "victim", "precious");
    let old = write(&dir, "old.json", "old report");
    std::os::unix::fs::symlink(&victim, dir.path().join("link.json")).unwrap();
    fs::create_dir(dir.path().join("somedir")).unwrap();
    let fifo = dir.path().join("fifo.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let at = |name: &str| dir.path().join(name).display().to_string();
    for (reports, expected) in [
        (
            vec![format!("json={}", at("link.json"))],
            "not a regular file",
        ),
        (
            vec![format!("json={}", at("fifo.json"))],
            "not a regular file",
        ),
        (vec!["json=/dev/null".to_string()], "not a regular file"),
        (
            vec![
                format!("json={}", at("old.json")),
                format!("sarif={}", at("somedir")),
            ],
            "not a regular file",
        ),
        (vec![format!("json={}", at("s.json"))], "input of this run"),
        (
            vec![format!("json={}", at("no-such-dir/r.json"))],
            "does not exist",
        ),
        (
            vec![
                format!("json={}", at("r.json")),
                format!("sarif={}/./r.json", at("")),
            ],
            "named twice",
        ),
        (
            vec!["json=-".to_string(), "sarif=-".to_string()],
            "standard output",
        ),
    ] {
        let mut args = vec!["scan".to_string()];
        for report in &reports {
            args.push("--report".to_string());
            args.push(report.clone());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, Some(&input), &[expected]);
    }
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(fs::read_to_string(&old).unwrap(), "old report");
    assert_eq!(fs::read(&input).unwrap(), fs::read(DEMO).unwrap());
    assert!(!dir.path().join("r.json").exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".contactscan"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn reports_replace_old_files_and_a_long_name_fits() {
    let dir = TempDir::new().unwrap();
    let name = format!("{}.json", "r".repeat(245));
    let long = write(&dir, &name, "old");
    let output = contactscan()
        .args([
            "scan",
            "--input",
            DEMO,
            "--fail-on",
            "never",
            "--allow-incomplete",
        ])
        .arg("--report")
        .arg(format!("json={}", long.display()))
        .args(["--report", "sarif=-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&fs::read(&long).unwrap()).unwrap();
    assert_eq!(report["source"], format!("snapshot:{DEMO}"));
    // `-` put the SARIF report on standard output in place of the table.
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn output_paths_are_checked_before_any_aws_call() {
    let home = TempDir::new().unwrap();
    for args in [
        vec!["--save-snapshot", "/nonexistent/x.json"],
        vec!["--report", "sarif=/nonexistent/x.sarif"],
    ] {
        let (code, stderr) = isolated_live_scan(home.path(), &[], &args);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(!stderr.contains("credentials"), "AWS was called: {stderr}");
    }
    let output = Command::cargo_bin("contactscan")
        .unwrap()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .args(["collect", "--org", "--output", "/nonexistent/x.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/nonexistent") && stderr.contains("does not exist"),
        "{stderr}"
    );
}

#[test]
fn snapshots_are_narrowed_and_read_from_standard_input() {
    let output = contactscan()
        .args([
            "scan",
            "--input",
            "-",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args([
            "--allow-incomplete",
            "--accounts",
            "222222222222,333333333333",
        ])
        .args(["--exclude-accounts", "333333333333"])
        .write_stdin(fs::read(DEMO).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["source"], "snapshot:-");
    let accounts: std::collections::BTreeSet<&str> = findings(&report)
        .map(|f| f["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts.into_iter().collect::<Vec<_>>(), ["222222222222"]);
    refused(
        &["scan", "--accounts", "123"],
        Some(Path::new(DEMO)),
        &["--accounts", "12 digits"],
    );
    refused(
        &["scan", "--accounts", "123456789000"],
        Some(Path::new(DEMO)),
        &["123456789000 not in the snapshot"],
    );
}

/// A report file that cannot be written fails the run: no file is left, and the report on
/// standard output, written meanwhile, stops short of its end, so that no reader takes it for
/// a complete one.
#[test]
fn a_report_file_that_cannot_be_written_leaves_no_file_and_standard_output_cut_short() {
    let dir = TempDir::new().unwrap();
    let junit = dir.path().join("report.xml");
    // Files past 16 blocks cannot grow (EFBIG, with SIGXFSZ ignored): the JUnit report of the
    // demo is longer. Standard output is a pipe, which has no such limit.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"trap "" XFSZ; ulimit -f 16; exec "$0" "$@""#)
        .arg(assert_cmd::cargo::cargo_bin("contactscan"))
        .args(["scan", "--input", DEMO, "--format", "json", "--report"])
        .arg(format!("junit={}", junit.display()))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(stderr.contains("report.xml"), "{stderr}");
    assert!(stderr.contains("stops short of its end"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        serde_json::from_slice::<serde_json::Value>(&output.stdout).is_err(),
        "a complete report on standard output: {} bytes",
        output.stdout.len()
    );
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "files left: {left:?}");
}

#[test]
fn an_interruption_while_reports_are_written_leaves_no_file_and_exits_130() {
    let dir = TempDir::new().unwrap();
    let accounts: Vec<String> = (0..40_000u64)
        .map(|i| clean_account(&format!("{:012}", 100_000_000_000 + i), ""))
        .collect();
    let input = write(&dir, "big.json", snapshot(&accounts));
    let report = dir.path().join("report.json");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("contactscan"))
        .args(["scan", "--format", "json", "--input"])
        .arg(&input)
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the report is being written: its temporary file exists.
    let partial = || {
        fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".partial"))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !partial() {
        assert!(
            std::time::Instant::now() < deadline,
            "no report was started"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted; not written"), "{stderr}");
    assert!(!report.exists());
    assert!(!partial(), "a temporary file was left");
}
