//! `contactscan fix` and remediation text that runs.
//!
//! Offline: every remediation of the demo is valid shell (`bash -n`) and parses with the AWS
//! CLI's own argument parser (awscli from the moto virtualenv), in every format and in
//! `rules explain`; PASS findings carry none; the printed commands, run against moto's server,
//! write contacts that pass every rule. Live, against moto through the real SDK: plans, applies,
//! the audit log, faults through the proxy, Ctrl-C, idempotence, `--role-name`, OU overrides.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use support::moto::Moto;
use support::venv;

/// "Now" for every run, so reports are comparable.
const EPOCH: &str = "1795435200";
const DEMO: &str = "fixtures/demo-org.json";

/// Desired contacts for the demo organization (harborlight.com).
const DEMO_CONTACTS: &str = r#"
[contacts.SECURITY]
name = "Security Operations"
title = "Security Team"
email_address = "security@harborlight.com"
phone_number = "+1 206 266 1000"

[contacts.BILLING]
name = "Finance Team"
title = "Accounts Payable"
email_address = "aws-billing@harborlight.com"
phone_number = "+1 206 266 1001"

[contacts.OPERATIONS]
name = "Cloud Operations"
title = "Platform Engineering"
email_address = "cloud-ops@harborlight.com"
phone_number = "+1 206 266 1002"

[[contacts.overrides]]
types = ["SECURITY"]
accounts = ["sandbox-*"]
name = "Sandbox Security"
title = "Security Team"
email_address = "sandbox-security@harborlight.com"
phone_number = "+1 206 266 1003"
"#;

/// The outcome of one run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

fn output(command: &mut Command) -> Run {
    let output = command.output().expect("run the command");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).to_string(),
    }
}

/// contactscan without AWS, in the crate root (the demo's relative path), "now" at EPOCH.
fn offline(args: &[&str]) -> Run {
    output(
        Command::new(env!("CARGO_BIN_EXE_contactscan"))
            .args(args)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null()),
    )
}

/// A config file holding `text` in a fresh directory.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contactscan.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// The remediation of every FAIL and WAIVED finding of a JSON report, by finding id.
fn remediations(report: &Value) -> BTreeMap<String, String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL" || f["status"] == "WAIVED")
        .map(|f| {
            let text = f["remediation"]
                .as_str()
                .unwrap_or_else(|| panic!("{} has no remediation", f["id"]));
            (f["id"].as_str().unwrap().to_string(), text.to_string())
        })
        .collect()
}

/// Checks that `text` is valid POSIX shell for bash.
fn assert_valid_shell(text: &str) {
    let mut child = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "bash -n refuses:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Splits each text into shell words (shlex, comments dropped) and parses every command line
/// with the AWS CLI's own argument table for `aws account put-alternate-contact`, which
/// requires every field. Returns, per text, the parsed arguments of each command.
const AWSCLI_PARSER: &str = r#"
import json, shlex, sys
from awscli.clidriver import create_clidriver
from awscli.argparser import ArgTableArgParser
driver = create_clidriver()
command = driver._get_command_table()['account']._get_command_table()['put-alternate-contact']
parser = ArgTableArgParser(command.arg_table)
keys = ['account_id', 'alternate_contact_type', 'name', 'title', 'email_address', 'phone_number']
out = []
for text in json.load(sys.stdin):
    commands = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[:3] != ['aws', 'account', 'put-alternate-contact']:
            sys.exit('not a put-alternate-contact command: ' + line)
        try:
            args, rest = parser.parse_known_args(words[3:])
        except SystemExit:
            sys.exit('the AWS CLI refuses: ' + line)
        if rest:
            sys.exit('unknown arguments %r in %s' % (rest, line))
        commands.append({k: getattr(args, k) for k in keys})
    out.append(commands)
json.dump(out, sys.stdout)
"#;

fn parse_with_awscli(texts: &[&str]) -> Vec<Vec<Value>> {
    let python = venv::bin_dir().join("python");
    let mut child = Command::new(python)
        .args(["-c", AWSCLI_PARSER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the virtualenv's python");
    let input = serde_json::to_vec(texts).unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the AWS CLI's parser refuses:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The demo's JSON report with `config` (and `extra` flags).
fn demo_report(config: Option<&Path>, extra: &[&str]) -> Value {
    let mut args = vec!["scan", "--input", DEMO, "--format", "json"];
    let config = config.map(|c| c.to_str().unwrap().to_string());
    if let Some(config) = &config {
        args.extend(["--config", config.as_str()]);
    }
    args.extend_from_slice(extra);
    let run = offline(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.json()
}

#[test]
fn every_remediation_of_the_demo_is_shell_the_aws_cli_parses() {
    let (_dir, config) = config_file(DEMO_CONTACTS);
    for (variant, config, extra) in [
        ("no desired contacts", None, &[][..]),
        ("desired contacts", Some(config.as_path()), &[][..]),
        ("redacted", Some(config.as_path()), &["--redact"][..]),
    ] {
        let report = demo_report(config, extra);
        let texts = remediations(&report);
        assert_eq!(texts.len(), 17, "{variant}: every FAIL has a command");
        for text in texts.values() {
            assert_valid_shell(text);
        }
        let all: Vec<&str> = texts.values().map(String::as_str).collect();
        let parsed = parse_with_awscli(&all);
        for ((id, text), commands) in texts.iter().zip(&parsed) {
            // One command per failing slot: account-scope findings included.
            assert_eq!(commands.len(), 1, "{variant} {id}:\n{text}");
            let command = &commands[0];
            let account = id.split('/').nth(1).unwrap();
            assert_eq!(command["account_id"], account, "{variant} {id}");
            let variables: Vec<&str> = ["name", "title", "email_address", "phone_number"]
                .into_iter()
                .filter(|k| command[*k].as_str().unwrap().starts_with('$'))
                .collect();
            match variant {
                "desired contacts" => assert!(variables.is_empty(), "{id}:\n{text}"),
                "redacted" => assert_eq!(variables, ["email_address", "phone_number"], "{id}"),
                _ => assert!(!variables.is_empty(), "{id}:\n{text}"),
            }
            assert!(
                text.lines().last().unwrap().contains("contactscan fix"),
                "{variant} {id}: no pointer to contactscan fix:\n{text}"
            );
        }
        // PASS findings carry no remediation; ERROR findings say how to reach a verdict.
        for finding in report["findings"].as_array().unwrap() {
            match finding["status"].as_str().unwrap() {
                "PASS" => assert!(finding["remediation"].is_null(), "{}", finding["id"]),
                "ERROR" => assert!(finding["remediation"]
                    .as_str()
                    .unwrap()
                    .starts_with("No verdict was reached")),
                _ => {}
            }
        }
    }
    // Fields that are fine keep their values; only those at fault change (no desired contact).
    let report = demo_report(None, &[]);
    let texts = remediations(&report);
    let fields =
        &parse_with_awscli(&[texts["contact-fields-complete/888888888888/SECURITY"].as_str()])[0]
            [0];
    assert_eq!(fields["name"], "$SECURITY_NAME");
    assert_eq!(fields["title"], "$SECURITY_TITLE");
    assert_eq!(fields["email_address"], "security@harborlight.com");
    assert_eq!(fields["phone_number"], "+1 206 266 1000");
    let inbox =
        &parse_with_awscli(
            &[texts["security-contact-shared-inbox/555555555555/SECURITY"].as_str()],
        )[0][0];
    assert_eq!(inbox["name"], "Marco Rossi");
    assert_eq!(inbox["email_address"], "$SECURITY_EMAIL");
}

#[test]
fn remediation_in_every_format_and_rules_explain_is_the_same_runnable_text() {
    let (_dir, config) = config_file(DEMO_CONTACTS);
    let config = config.to_str().unwrap();
    let json = demo_report(Some(Path::new(config)), &[]);
    let texts = remediations(&json);
    // ASFF: PASS findings (with --include-passed) carry no Remediation; the others the
    // JSON report's text.
    let asff = offline(&[
        "scan",
        "--input",
        DEMO,
        "--config",
        config,
        "--format",
        "asff",
        "--include-passed",
    ]);
    let mut passed = 0;
    for finding in asff.json().as_array().unwrap() {
        let id = finding["Id"]
            .as_str()
            .unwrap()
            .trim_start_matches("contactscan/");
        let text = &finding["Remediation"]["Recommendation"]["Text"];
        match finding["Compliance"]["Status"].as_str().unwrap() {
            "PASSED" => {
                passed += 1;
                assert!(finding.get("Remediation").is_none(), "{id}: {text}");
            }
            "FAILED" => assert_eq!(text.as_str(), Some(texts[id].as_str()), "{id}"),
            _ => {}
        }
    }
    assert!(passed > 100);
    // JUnit: each failure says how to fix it with the same command.
    let junit = offline(&[
        "scan", "--input", DEMO, "--config", config, "--format", "junit",
    ]);
    for (id, text) in &texts {
        let escaped = text.replace('"', "&quot;").replace('\'', "&apos;");
        assert!(
            junit.stdout.contains(&format!("How to fix: {escaped}")),
            "JUnit lacks the command of {id}"
        );
    }
    // SARIF rule help and `rules explain`: a command per type with shell variables.
    let sarif = offline(&[
        "scan", "--input", DEMO, "--config", config, "--format", "sarif",
    ]);
    let rules = sarif.json()["runs"][0]["tool"]["driver"]["rules"].clone();
    let mut helps = Vec::new();
    for rule in rules.as_array().unwrap() {
        let help = rule["help"]["text"].as_str().unwrap();
        let fix = help
            .split("How to fix: ")
            .nth(1)
            .and_then(|rest| rest.split("\n\nCompliance").next())
            .unwrap_or_else(|| panic!("{}: no fix in {help}", rule["id"]));
        helps.push(fix.to_string());
        let explain = offline(&["rules", "explain", rule["id"].as_str().unwrap()]);
        let section: String = explain
            .stdout
            .split("\nHow to fix\n")
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| l.starts_with("  "))
            .map(|l| format!("{}\n", l.trim_start()))
            .collect();
        assert_eq!(section.trim_end(), fix.trim_end(), "{}", rule["id"]);
    }
    for help in &helps {
        assert_valid_shell(help);
    }
    let helps: Vec<&str> = helps.iter().map(String::as_str).collect();
    let parsed = parse_with_awscli(&helps);
    // contact-registered documents BILLING and OPERATIONS; SECURITY-only rules one command.
    assert_eq!(parsed[0].len(), 1);
    assert_eq!(parsed[1].len(), 2);
    assert_eq!(parsed[0][0]["account_id"], "$ACCOUNT_ID");
    assert_eq!(parsed[0][0]["email_address"], "$SECURITY_EMAIL");
    assert_eq!(parsed[1][1]["alternate_contact_type"], "OPERATIONS");
}

#[test]
fn any_name_or_address_is_one_safe_word() {
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
    let name = "Sec'Ops \"Team\" $(touch pwned) `touch pwned` \\ ; | & *";
    let title = "-SOC- # not a comment";
    let edge = snapshot["Accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["Id"] == "777777777777")
        .unwrap();
    edge["AlternateContacts"][0]["Name"] = json!(name);
    edge["AlternateContacts"][0]["Title"] = json!(title);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let run = offline(&[
        "scan",
        "--input",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let texts = remediations(&run.json());
    // The root email is at fault; the odd Name and Title are kept as they are.
    let text = &texts["security-contact-not-root-email/777777777777/SECURITY"];
    assert_valid_shell(text);
    let parsed = &parse_with_awscli(&[text.as_str()])[0][0];
    assert_eq!(parsed["name"], name);
    assert_eq!(parsed["title"], title);
    assert_eq!(parsed["email_address"], "$SECURITY_EMAIL");
    // Run by a shell, nothing in the values is executed.
    let status = Command::new("bash")
        .arg("-c")
        .arg(format!("aws() {{ :; }}\n{text}"))
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(!dir.path().join("pwned").exists());
}

/// The management account writes itself without `--account-id`.
#[test]
fn the_management_account_is_written_in_its_own_context() {
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
    snapshot["Accounts"][0]["AlternateContacts"][0]["EmailAddress"] = json!("soc@example.com");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("management.json");
    std::fs::write(&path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let run = offline(&[
        "scan",
        "--input",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let texts = remediations(&run.json());
    let text = &texts["contact-email-placeholder-domain/111111111111/SECURITY"];
    assert!(
        text.starts_with("aws account put-alternate-contact --alternate-contact-type SECURITY "),
        "{text}"
    );
    assert!(parse_with_awscli(&[text.as_str()])[0][0]["account_id"].is_null());
}

/// Values for the shell variables of the commands printed without desired contacts.
fn variables() -> Vec<(String, String)> {
    let mut values = Vec::new();
    for (t, name, title, local, phone) in [
        (
            "SECURITY",
            "Security Operations",
            "Security Team",
            "security",
            "+1 206 266 1000",
        ),
        (
            "BILLING",
            "Finance Team",
            "Accounts Payable",
            "aws-billing",
            "+1 206 266 1001",
        ),
        (
            "OPERATIONS",
            "Cloud Operations",
            "Platform Engineering",
            "cloud-ops",
            "+1 206 266 1002",
        ),
    ] {
        values.push((format!("{t}_NAME"), name.to_string()));
        values.push((format!("{t}_TITLE"), title.to_string()));
        values.push((format!("{t}_EMAIL"), format!("{local}@harborlight.com")));
        values.push((format!("{t}_PHONE"), phone.to_string()));
    }
    values
}

#[test]
fn the_printed_commands_run_against_moto_and_leave_no_failing_rule() {
    let moto = Moto::start();
    let aws = support::aws::Aws::new(&moto.url);
    let (_dir, config) = config_file(DEMO_CONTACTS);
    let bin = venv::bin_dir();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for config in [Some(config.as_path()), None] {
        let report = demo_report(config, &[]);
        let texts = remediations(&report);
        // Every finding of a slot prints the same command.
        let mut by_slot: BTreeMap<(String, String), String> = BTreeMap::new();
        let all: Vec<&str> = texts.values().map(String::as_str).collect();
        for (text, commands) in all.iter().zip(parse_with_awscli(&all)) {
            let command = &commands[0];
            let slot = (
                command["account_id"].as_str().unwrap().to_string(),
                command["alternate_contact_type"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
            let line = text
                .lines()
                .find(|l| l.starts_with("aws "))
                .unwrap()
                .to_string();
            if let Some(seen) = by_slot.insert(slot.clone(), line.clone()) {
                assert_eq!(seen, line, "{slot:?}");
            }
        }
        let mut snapshot: Value =
            serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
        for ((account, contact_type), line) in &by_slot {
            let run = output(
                Command::new("bash")
                    .args(["-c", line])
                    .env("PATH", &path)
                    .env("AWS_ENDPOINT_URL", &moto.url)
                    .env("AWS_ACCESS_KEY_ID", "testing")
                    .env("AWS_SECRET_ACCESS_KEY", "testing")
                    .env("AWS_DEFAULT_REGION", "us-east-1")
                    .env("AWS_CONFIG_FILE", "/dev/null")
                    .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                    .env("AWS_EC2_METADATA_DISABLED", "true")
                    .envs(variables()),
            );
            assert_eq!(run.code, 0, "{line}\n{}", run.stderr);
            let types = ["SECURITY", "BILLING", "OPERATIONS"];
            let t = types.into_iter().find(|t| t == contact_type).unwrap();
            let written = aws
                .get_contact(Some(account), t)
                .expect("the command wrote it");
            // The written contact goes into the snapshot, as a rescan would read it.
            let entry = snapshot["Accounts"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|a| a["Id"] == account.as_str())
                .unwrap();
            let contacts = entry["AlternateContacts"].as_array_mut().unwrap();
            contacts.retain(|c| c["AlternateContactType"] != t);
            contacts.push(json!({
                "AlternateContactType": t, "Name": written.name, "Title": written.title,
                "EmailAddress": written.email, "PhoneNumber": written.phone
            }));
        }
        let dir = tempfile::tempdir().unwrap();
        let fixed = dir.path().join("fixed.json");
        std::fs::write(&fixed, serde_json::to_string(&snapshot).unwrap()).unwrap();
        let mut args = vec![
            "scan",
            "--input",
            fixed.to_str().unwrap(),
            "--format",
            "json",
        ];
        if let Some(config) = config {
            args.extend(["--config", config.to_str().unwrap()]);
        }
        let rescan = offline(&args);
        let rescanned = rescan.json();
        let failing: Vec<&Value> = rescanned["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "FAIL")
            .collect();
        assert!(failing.is_empty(), "still failing: {failing:#?}");
        // The unreadable slot keeps its ERROR verdicts: nothing was written blind.
        assert_eq!(rescan.code, 3, "{}", rescan.stderr);
    }
}
