//! `contactscan fix` and remediation text that runs.
//!
//! Offline: every remediation of the demo is valid shell (`bash -n`) and parses with the AWS
//! CLI's own argument parser (awscli from the moto virtualenv), in every format and in
//! `rules explain`; PASS findings carry none; the printed commands, run against moto's server,
//! write contacts that pass every rule. Live, against moto through the real SDK: plans, applies,
//! the audit log, faults through the proxy, Ctrl-C, idempotence, `--role-name`, OU overrides.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::aws::{build_org, contacts_of, Aws, Contact, Org, MANAGEMENT, MEMBER_ROLE};
use support::moto::Moto;
use support::proxy::{Fault, Faults, Proxy};
use support::{runtime, venv};

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

// ---------------------------------------------------------------------------------------------
// contactscan fix, offline.

/// Runs `fix` on the demo with `config_text`.
fn demo_fix(config_text: &str, extra: &[&str]) -> Run {
    let (_dir, config) = config_file(config_text);
    let mut args = vec!["fix", "--input", DEMO, "--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    offline(&args)
}

/// (account id, type) → item of a JSON plan.
fn plan_items(plan: &Value) -> BTreeMap<(String, String), Value> {
    plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                (
                    i["account_id"].as_str().unwrap().to_string(),
                    i["contact_type"].as_str().unwrap().to_string(),
                ),
                i.clone(),
            )
        })
        .collect()
}

fn item<'a>(items: &'a BTreeMap<(String, String), Value>, account: &str, t: &str) -> &'a Value {
    items
        .get(&(account.to_string(), t.to_string()))
        .unwrap_or_else(|| panic!("no item {account} {t}"))
}

#[test]
fn an_offline_plan_repairs_what_fails_and_says_why_it_skips() {
    let run = demo_fix(DEMO_CONTACTS, &["--format", "json"]);
    assert_eq!(run.code, 1, "changes: exit 1; {}", run.stderr);
    let plan = run.json();
    assert_eq!(plan["scope"], "repair");
    assert_eq!(
        plan["summary"],
        json!({"create": 3, "update": 7, "unchanged": 28, "skipped": 4})
    );
    assert!(plan["apply"].is_null());
    let items = plan_items(&plan);
    let create = item(&items, "333333333333", "SECURITY");
    assert_eq!(create["action"], "create");
    assert_eq!(create["reason"], "fails security-contact-registered");
    assert_eq!(create["desired_from"], "contacts.SECURITY");
    assert_eq!(create["changes"].as_array().unwrap().len(), 4);
    // The account name glob selects the sandbox's override.
    let sandbox = item(&items, "444444444444", "SECURITY");
    assert_eq!(sandbox["action"], "update");
    assert_eq!(sandbox["desired_from"], "contacts.overrides[0]");
    assert_eq!(
        sandbox["after"]["EmailAddress"],
        "sandbox-security@harborlight.com"
    );
    // An update lists the fields that change, old → new.
    let payroll = item(&items, "151515151515", "OPERATIONS");
    assert_eq!(
        payroll["changes"],
        json!([{"field": "PhoneNumber", "old": "+1 206 266 100", "new": "+1 206 266 1002"}])
    );
    assert_eq!(
        item(&items, "222222222222", "SECURITY")["action"],
        "unchanged"
    );
    let suspended = item(&items, "101010101010", "BILLING");
    assert_eq!(suspended["action"], "skipped");
    assert_eq!(suspended["reason"], "the account is SUSPENDED, not ACTIVE");
    let unreadable = item(&items, "121212121212", "BILLING");
    assert_eq!(unreadable["action"], "skipped");
    assert!(unreadable["reason"]
        .as_str()
        .unwrap()
        .contains("AccessDeniedException"));
    assert!(unreadable["after"].is_null());

    // Without a desired OPERATIONS contact, the failing slot is skipped with why.
    let no_operations = DEMO_CONTACTS.replace("[contacts.OPERATIONS]", "[contacts.NONE]");
    let no_operations = no_operations.replace("[contacts.NONE]\n", "");
    let no_operations: String = no_operations
        .split("\n\n")
        .filter(|block| !block.contains("cloud-ops@"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let plan = demo_fix(&no_operations, &["--format", "json"]).json();
    let skipped = &plan_items(&plan)[&("151515151515".to_string(), "OPERATIONS".to_string())];
    assert_eq!(skipped["action"], "skipped");
    assert_eq!(
        skipped["reason"],
        "fails contact-phone-valid; no desired contact is configured ([contacts.OPERATIONS] or an override)"
    );

    // Enforce: every slot with a desired contact; the table names old → new.
    let run = demo_fix(DEMO_CONTACTS, &["--enforce"]);
    assert_eq!(run.code, 1);
    assert!(run
        .stdout
        .starts_with("contactscan fix (enforce) of snapshot:fixtures/demo-org.json:"));
    assert!(
        run.stdout
            .contains("Title         \"Security Operations Center\" → \"Security Team\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Dry run: nothing was written."));
}

#[test]
fn a_desired_contact_that_would_fail_a_rule_stops_the_plan() {
    let fictional = DEMO_CONTACTS.replacen("+1 206 266 1000", "+1 206 555 0100", 1);
    let run = demo_fix(&fictional, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no plan is printed: {}", run.stdout);
    assert!(
        run.stderr.contains(
            "account 333333333333 (data-lake) SECURITY: the desired contact (contacts.SECURITY) \
             would FAIL contact-phone-placeholder: SECURITY contact phone +1 206 555 0100 is \
             the NANP 555 exchange, reserved for fiction"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the plan is refused before any write"));
    // The desired SECURITY address is an account's root email: that account is named.
    let root = DEMO_CONTACTS.replace(
        "[[contacts.overrides]]",
        "[[contacts.overrides]]\ntypes = [\"SECURITY\"]\naccounts = [\"777777777777\"]\nname = \"Edge Security\"\ntitle = \"Security Team\"\nemail_address = \"aws-root+edge-cdn@harborlight.com\"\nphone_number = \"+1 206 266 1000\"\n\n[[contacts.overrides]]",
    );
    let run = demo_fix(&root, &["--enforce"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "account 777777777777 (edge-cdn) SECURITY: the desired contact \
             (contacts.overrides[0]) would FAIL security-contact-not-root-email: SECURITY contact \
             email aws-root+edge-cdn@harborlight.com is the account's root email"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn fix_refuses_what_it_cannot_do_with_exit_2() {
    let ous = DEMO_CONTACTS.replace("accounts = [\"sandbox-*\"]", "ous = [\"Root/Sandbox\"]");
    let run = demo_fix(&ous, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("contacts.overrides[0]: selects by ous"),
        "{}",
        run.stderr
    );
    let run = demo_fix(DEMO_CONTACTS, &["--apply"]);
    assert_eq!(run.code, 2, "--apply reads live: {}", run.stderr);
    let run = demo_fix("[rules.contact-registered]\nenabled = false\n", &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no [contacts]"), "{}", run.stderr);
    let run = demo_fix(DEMO_CONTACTS, &["--audit-log", "audit.jsonl"]);
    assert_eq!(run.code, 2, "--audit-log needs --apply");
    assert!(run
        .stderr
        .contains("--audit-log records the writes of --apply"));
}

#[test]
fn emitted_terraform_is_formatted_and_imports_existing_contacts() {
    let run = demo_fix(DEMO_CONTACTS, &["--emit", "terraform"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hcl = &run.stdout;
    // The management account is the provider's own: no account_id, imported by type.
    assert!(hcl.contains(
        "resource \"aws_account_alternate_contact\" \"security_111111111111\" {\n  alternate_contact_type = \"SECURITY\"\n"
    ));
    assert!(hcl.contains(
        "  to = aws_account_alternate_contact.security_111111111111\n  id = \"SECURITY\"\n"
    ));
    // Members carry account_id; existing contacts are imported as <account>/<TYPE>.
    assert!(hcl.contains("  account_id             = \"222222222222\"\n"));
    assert!(hcl.contains("  id = \"222222222222/SECURITY\"\n"));
    // A missing contact is created, not imported.
    assert!(hcl.contains("\"security_333333333333\""));
    assert!(!hcl.contains("333333333333/SECURITY"));
    // Suspended accounts are not declared; an unreadable slot is left out with why.
    assert!(!hcl.contains("101010101010"));
    assert!(hcl.contains("# 121212121212 BILLING: left out, the slot could not be read"));
    assert_eq!(
        hcl.matches("resource \"aws_account_alternate_contact\"")
            .count(),
        38
    );
    assert_eq!(hcl.matches("import {").count(), 35);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("contacts.tf"), hcl).unwrap();
    let fmt = output(
        Command::new("terraform")
            .args(["fmt", "-check", "-diff", "contacts.tf"])
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .current_dir(dir.path()),
    );
    assert_eq!(
        fmt.code, 0,
        "terraform fmt -check:\n{}{}",
        fmt.stdout, fmt.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// contactscan fix against moto, through the real SDK.

/// contactscan pointed at `endpoint` with moto's test credentials, run in `dir`.
fn live(endpoint: &str, dir: &Path) -> Command {
    support::contactscan_command(
        Path::new(env!("CARGO_BIN_EXE_contactscan")),
        endpoint,
        dir,
        EPOCH,
    )
}

fn live_run(endpoint: &str, dir: &Path, args: &[&str]) -> Run {
    output(live(endpoint, dir).args(args))
}

/// Desired contacts for the test organizations (acmecorp.io): defaults, an OPERATIONS override
/// for an OU path, a SECURITY override for account names AND an OU id.
fn org_contacts(prod_ou: &str) -> String {
    format!(
        r#"
[contacts.SECURITY]
name = "Security Operations"
title = "Security Team"
email_address = "security@acmecorp.io"
phone_number = "+1 206 266 1000"

[contacts.BILLING]
name = "Accounts Payable"
title = "Finance"
email_address = "billing@acmecorp.io"
phone_number = "+1 206 266 1001"

[contacts.OPERATIONS]
name = "Cloud Operations"
title = "Operations"
email_address = "cloud-ops@acmecorp.io"
phone_number = "+1 206 266 1002"

[[contacts.overrides]]
types = ["OPERATIONS"]
ous = ["Root/Workloads/Prod"]
name = "Payments On-call"
title = "Operations"
email_address = "payments-oncall@acmecorp.io"
phone_number = "+1 206 266 1003"

[[contacts.overrides]]
types = ["SECURITY"]
accounts = ["member-000*"]
ous = ["{prod_ou}"]
name = "Payments Security"
title = "Security Team"
email_address = "payments-security@acmecorp.io"
phone_number = "+1 206 266 1004"
"#
    )
}

/// An organization of `members` (contacts by [`contacts_of`], the last one suspended), with
/// OUs Root/Workloads/Prod/Payments holding member 6 and Root/Workloads holding member 1;
/// returns it, the Prod OU id and the config file (in `dir`).
fn org_with_ous(aws: &Aws, members: usize, dir: &Path) -> (Org, String, PathBuf) {
    let org = build_org(aws, members, 1, true);
    let root = aws.root_id();
    let workloads = aws.create_ou(&root, "Workloads");
    let prod = aws.create_ou(&workloads, "Prod");
    let payments = aws.create_ou(&prod, "Payments");
    aws.move_account(&org.members[6], &root, &payments);
    aws.move_account(&org.members[1], &root, &workloads);
    let config = dir.join("contactscan.toml");
    std::fs::write(&config, org_contacts(&prod)).unwrap();
    (org, prod, config)
}

fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn contact_json(c: &Contact) -> Value {
    json!({"Name": c.name, "Title": c.title, "EmailAddress": c.email, "PhoneNumber": c.phone})
}

#[test]
fn fix_plans_applies_and_audits_an_organization_then_scan_passes() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    let (org, _prod, _config) = org_with_ous(&aws, 8, dir.path());
    let m = &org.members;
    // The management account's BILLING contact is a placeholder: written in its own context.
    let placeholder = Contact::new(
        "BILLING",
        "Billing",
        "Finance",
        "billing@example.com",
        "+1 206 266 1001",
    );
    aws.put_contact(None, &placeholder);
    let proxy = Proxy::start(&moto.address, Faults::default());

    let run = live_run(
        &proxy.url,
        dir.path(),
        &["fix", "--org", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let plan = run.json();
    assert_eq!(plan["source"], format!("aws:organization:{}", org.id));
    let items = plan_items(&plan);
    let action = |a: &str, t: &str| item(&items, a, t)["action"].as_str().unwrap().to_string();
    assert_eq!(action(MANAGEMENT, "BILLING"), "update");
    assert_eq!(action(&m[0], "SECURITY"), "unchanged");
    assert_eq!(action(&m[1], "SECURITY"), "create");
    assert_eq!(action(&m[2], "OPERATIONS"), "create");
    assert_eq!(action(&m[3], "SECURITY"), "update");
    assert_eq!(action(&m[4], "SECURITY"), "update");
    assert_eq!(action(&m[5], "BILLING"), "update");
    assert_eq!(action(&m[7], "SECURITY"), "skipped");
    // Member 6 sits in Root/Workloads/Prod/Payments: a child of the override's OU path, and
    // named member-0006 and under the Prod OU id for the SECURITY override.
    let payments = item(&items, &m[6], "OPERATIONS");
    assert_eq!(payments["desired_from"], "contacts.overrides[0]");
    assert_eq!(
        payments["after"]["EmailAddress"],
        "payments-oncall@acmecorp.io"
    );
    assert_eq!(
        item(&items, &m[6], "SECURITY")["desired_from"],
        "contacts.overrides[1]"
    );
    // Member 3 matches the name glob but is not under Prod: both selectors must hold.
    assert_eq!(
        item(&items, &m[3], "SECURITY")["desired_from"],
        "contacts.SECURITY"
    );
    // Member 1 is in Root/Workloads, not Prod.
    assert_eq!(
        item(&items, &m[1], "SECURITY")["desired_from"],
        "contacts.SECURITY"
    );
    let changes =
        plan["summary"]["create"].as_u64().unwrap() + plan["summary"]["update"].as_u64().unwrap();
    assert_eq!(changes, 11);
    assert!(proxy.writes().is_empty(), "a dry run writes nothing");

    let audit = dir.path().join("audit.jsonl");
    let audit_arg = audit.to_str().unwrap();
    let run = live_run(
        &proxy.url,
        dir.path(),
        &["fix", "--org", "--apply", "--audit-log", audit_arg],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Applied and verified 11 of 11 changes; 0 failed"),
        "{}",
        run.stdout
    );
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 11);
    for line in &lines {
        assert_eq!(line["outcome"], "applied", "{line}");
        assert!(line["caller"]
            .as_str()
            .unwrap()
            .starts_with(&format!("arn:aws:sts::{MANAGEMENT}:")));
        assert!(line["time"].as_str().unwrap().ends_with('Z'));
    }
    let line = |account: &str, t: &str| {
        lines
            .iter()
            .find(|l| l["account"] == account && l["type"] == t)
            .unwrap_or_else(|| panic!("no audit line for {account} {t}"))
    };
    assert_eq!(
        line(&m[3], "SECURITY")["before"],
        contact_json(&contacts_of(3)[0])
    );
    assert_eq!(
        line(&m[3], "SECURITY")["after"]["EmailAddress"],
        "security@acmecorp.io"
    );
    assert!(line(&m[1], "SECURITY")["before"].is_null());
    assert_eq!(
        line(MANAGEMENT, "BILLING")["before"],
        contact_json(&placeholder)
    );
    // Members through Organizations (AccountId), the management account in its own context.
    let writes = proxy.writes();
    assert_eq!(writes.len(), 11);
    for write in &writes {
        assert_eq!(write.status, 200);
        assert_eq!(
            write.by_account_id,
            write.account != MANAGEMENT,
            "{write:?}"
        );
    }
    // What moto holds now is the desired contact.
    let written = aws.get_contact(Some(&m[6]), "OPERATIONS").unwrap();
    assert_eq!(written.email, "payments-oncall@acmecorp.io");
    assert_eq!(
        aws.get_contact(None, "BILLING").unwrap().email,
        "billing@acmecorp.io"
    );
    assert_eq!(
        aws.get_contact(Some(&m[7]), "SECURITY").unwrap().title,
        "Team",
        "suspended: untouched"
    );
    assert!(!writes.iter().any(|w| w.account == m[7]));

    // Everything fix touched passes.
    let scan = live_run(&proxy.url, dir.path(), &["scan", "--org"]);
    assert_eq!(scan.code, 0, "{}\n{}", scan.stdout, scan.stderr);
    // A second apply has nothing to do.
    let again = live_run(
        &proxy.url,
        dir.path(),
        &["fix", "--org", "--apply", "--audit-log", audit_arg],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("Nothing to change."),
        "{}",
        again.stdout
    );
    assert_eq!(audit_lines(&audit).len(), 11);
    assert_eq!(proxy.writes().len(), 11);
    let dry = live_run(&proxy.url, dir.path(), &["fix", "--org"]);
    assert_eq!(dry.code, 0, "{}", dry.stdout);
}

#[test]
fn enforce_makes_every_slot_the_desired_contact_and_terraform_adopts_them() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    let (org, _prod, _config) = org_with_ous(&aws, 8, dir.path());
    // Repair leaves a passing contact that differs from the desired one; enforce does not.
    let repair = live_run(&moto.url, dir.path(), &["fix", "--org", "--format", "json"]);
    let enforce = live_run(
        &moto.url,
        dir.path(),
        &["fix", "--org", "--enforce", "--format", "json"],
    );
    assert_eq!(enforce.code, 1);
    let (repair, enforce) = (plan_items(&repair.json()), plan_items(&enforce.json()));
    let good = (org.members[0].clone(), "SECURITY".to_string());
    assert_eq!(repair[&good]["action"], "unchanged");
    assert_eq!(enforce[&good]["action"], "update");
    assert_eq!(
        enforce[&good]["changes"],
        json!([{"field": "Title", "old": "Team", "new": "Security Team"}])
    );
    let hcl = live_run(
        &moto.url,
        dir.path(),
        &["fix", "--org", "--emit", "terraform"],
    );
    assert_eq!(hcl.code, 0, "{}", hcl.stderr);
    let registered = enforce
        .values()
        .filter(|i| !i["before"].is_null() && !i["after"].is_null())
        .count();
    assert_eq!(hcl.stdout.matches("import {").count(), registered);
    std::fs::write(dir.path().join("contacts.tf"), &hcl.stdout).unwrap();
    let fmt = output(
        Command::new("terraform")
            .args(["fmt", "-check", "contacts.tf"])
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .current_dir(dir.path()),
    );
    assert_eq!(fmt.code, 0, "{}", fmt.stdout);

    let apply = live_run(
        &moto.url,
        dir.path(),
        &["fix", "--org", "--enforce", "--apply"],
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let after = live_run(&moto.url, dir.path(), &["fix", "--org", "--enforce"]);
    assert_eq!(after.code, 0, "{}", after.stdout);
    assert!(after.stdout.contains("Nothing to change."));
    let security = aws.get_contact(Some(&org.members[0]), "SECURITY").unwrap();
    assert_eq!(security.title, "Security Team");
}

#[test]
fn failed_throttled_and_lost_writes_give_exact_outcomes_and_unreadable_slots_are_never_written() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    let org = build_org(&aws, 7, 0, true);
    let m = &org.members;
    std::fs::write(
        dir.path().join("contactscan.toml"),
        org_contacts("ou-none-00000000"),
    )
    .unwrap();
    let slot = |a: &String, t: &str| (a.clone(), t.to_string());
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            // Member 6 has no contacts: its BILLING slot cannot be read at all.
            always: vec![(m[6].clone(), "BILLING".to_string(), Fault::Deny)],
            write_throttle_percent: 50,
            write_throttle_attempts: 2,
            always_writes: vec![(m[1].clone(), "SECURITY".to_string(), Fault::Deny)],
            lose_writes: vec![slot(&m[2], "OPERATIONS")],
            ..Faults::default()
        },
    );
    let audit = dir.path().join("audit.jsonl");
    let run = live_run(
        &proxy.url,
        dir.path(),
        &[
            "fix",
            "--org",
            "--apply",
            "--audit-log",
            audit.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let plan = run.json();
    let items = plan_items(&plan);
    let unreadable = item(&items, &m[6], "BILLING");
    assert_eq!(unreadable["action"], "skipped");
    assert!(unreadable["reason"]
        .as_str()
        .unwrap()
        .contains("never written blind"));
    assert!(unreadable["outcome"].is_null());
    assert_eq!(item(&items, &m[1], "SECURITY")["outcome"], "failed");
    assert_eq!(item(&items, &m[2], "OPERATIONS")["outcome"], "mismatch");
    assert_eq!(
        item(&items, &m[2], "OPERATIONS")["error"],
        "read back without a contact"
    );
    // The audit log says exactly what happened to each write.
    let outcomes: BTreeMap<(String, String), String> = audit_lines(&audit)
        .iter()
        .map(|l| {
            (
                (
                    l["account"].as_str().unwrap().to_string(),
                    l["type"].as_str().unwrap().to_string(),
                ),
                l["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeMap<(String, String), String> = items
        .iter()
        .filter(|(_, i)| i["action"] == "create" || i["action"] == "update")
        .map(|(k, _)| {
            let outcome = match (k.0 == m[1], k.0 == m[2], k.1.as_str()) {
                (true, _, "SECURITY") => "failed",
                (_, true, "OPERATIONS") => "mismatch",
                _ => "applied",
            };
            (k.clone(), outcome.to_string())
        })
        .collect();
    assert_eq!(outcomes, expected);
    let failed = audit_lines(&audit)
        .into_iter()
        .find(|l| l["outcome"] == "failed")
        .unwrap();
    assert!(failed["error"]
        .as_str()
        .unwrap()
        .starts_with("AccessDeniedException: "));
    assert_eq!(
        plan["apply"]["applied"].as_u64().unwrap() as usize,
        expected.len() - 2
    );
    // Throttled writes were retried until they went through; the denied one was tried once.
    let writes = proxy.writes();
    assert!(proxy.counts().planned_throttled > 0);
    assert_eq!(
        writes
            .iter()
            .filter(|w| w.account == m[1] && w.contact_type == "SECURITY")
            .count(),
        1
    );
    assert!(!writes
        .iter()
        .any(|w| w.account == m[6] && w.contact_type == "BILLING"));
    // The rest passes a scan: only the two failed writes and the slot never written fail.
    let scan = live_run(
        &moto.url,
        dir.path(),
        &["scan", "--org", "--format", "json"],
    );
    let report = scan.json();
    let failing: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in &failing {
        assert!(
            id.ends_with(&format!("/{}/SECURITY", m[1]))
                || *id == format!("security-contact-consistent/{}", m[1])
                || id.ends_with(&format!("/{}/OPERATIONS", m[2]))
                || *id == format!("contact-registered/{}/BILLING", m[6]),
            "{id} still fails; members {m:?}"
        );
    }
}

#[test]
fn ctrl_c_mid_apply_stops_cleanly_and_the_audit_log_is_exact() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    aws.create_organization();
    for t in ["SECURITY", "BILLING", "OPERATIONS"] {
        aws.put_contact(None, &Contact::good(t));
    }
    let members: Vec<String> = (0..10)
        .map(|i| aws.create_account(&format!("empty-{i}")))
        .collect();
    aws.enable_account_trusted_access();
    std::fs::write(
        dir.path().join("contactscan.toml"),
        org_contacts("ou-none-00000000"),
    )
    .unwrap();
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            slow_writes: Some(Duration::from_millis(1500)),
            ..Faults::default()
        },
    );
    let audit = dir.path().join("audit.jsonl");
    let child = live(&proxy.url, dir.path())
        .args([
            "fix",
            "--org",
            "--apply",
            "--audit-log",
            audit.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once a write is in flight (the proxy answers it late).
    let deadline = Instant::now() + Duration::from_secs(120);
    while proxy.writes().is_empty() {
        assert!(Instant::now() < deadline, "no write reached the proxy");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // The writes in flight finished, were read back and logged; no other was sent.
    let sent = proxy.writes();
    assert!(!sent.is_empty() && sent.len() < 30, "{} writes", sent.len());
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), sent.len());
    assert!(lines.iter().all(|l| l["outcome"] == "applied"));
    assert!(
        stderr.contains(&format!(
            "interrupted; applied {} of 30 changes (",
            sent.len()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("not applied: {} (", 30 - sent.len())),
        "{stderr}"
    );
    // moto holds exactly the logged writes.
    let mut holding = 0;
    for member in &members {
        for t in ["SECURITY", "BILLING", "OPERATIONS"] {
            let logged = lines
                .iter()
                .any(|l| l["account"] == member.as_str() && l["type"] == t);
            let held = aws.get_contact(Some(member), t).is_some();
            assert_eq!(logged, held, "{member} {t}");
            holding += usize::from(held);
        }
    }
    assert_eq!(holding, sent.len());
}

#[test]
fn role_name_writes_each_member_with_its_own_credentials() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    let org = build_org(&aws, 5, 0, true);
    std::fs::write(
        dir.path().join("contactscan.toml"),
        org_contacts("ou-none-00000000"),
    )
    .unwrap();
    let proxy = Proxy::start(&moto.address, Faults::default());
    let run = live_run(
        &proxy.url,
        dir.path(),
        &["fix", "--org", "--role-name", MEMBER_ROLE, "--apply"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let writes = proxy.writes();
    assert!(!writes.is_empty());
    for write in &writes {
        assert!(!write.by_account_id, "{write:?}");
        assert!(org.members.contains(&write.account), "{write:?}");
        assert_ne!(
            write.access_key, "testing",
            "members write with their own credentials"
        );
    }
    let scan = live_run(
        &proxy.url,
        dir.path(),
        &["scan", "--org", "--role-name", MEMBER_ROLE],
    );
    assert_eq!(scan.code, 0, "{}\n{}", scan.stdout, scan.stderr);
}

#[test]
fn a_printed_command_run_against_moto_turns_its_finding_pass_and_nothing_new_fails() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    // Eight members: most SECURITY contacts share acmecorp.io before and after the command, so
    // security-contact-consistent judges the same way on both scans.
    let org = build_org(&aws, 8, 0, true);
    let scan = |config: bool| {
        let mut args = vec!["scan", "--org", "--format", "json"];
        if !config {
            args.extend(["--config", "none.toml"]);
            std::fs::write(dir.path().join("none.toml"), "").unwrap();
        }
        let run = live_run(&moto.url, dir.path(), &args);
        assert!([0, 1].contains(&run.code), "{}", run.stderr);
        run.json()
    };
    let failing = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "FAIL")
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let bin = venv::bin_dir();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Without desired contacts (shell variables), then with them (the values themselves).
    for (config, id) in [
        (
            false,
            format!(
                "contact-email-placeholder-domain/{}/SECURITY",
                org.members[3]
            ),
        ),
        (
            true,
            format!("security-contact-freemail/{}/SECURITY", org.members[4]),
        ),
    ] {
        if config {
            std::fs::write(
                dir.path().join("contactscan.toml"),
                org_contacts("ou-none-00000000"),
            )
            .unwrap();
        }
        let before = scan(config);
        let text = remediations(&before)[&id].clone();
        let run = output(
            Command::new("bash")
                .args(["-c", &text])
                .env("PATH", &path)
                .env("AWS_ENDPOINT_URL", &moto.url)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .env("AWS_CONFIG_FILE", "/dev/null")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .env("SECURITY_EMAIL", "security@acmecorp.io")
                .env("SECURITY_NAME", "Security Operations")
                .env("SECURITY_TITLE", "Security Team")
                .env("SECURITY_PHONE", "+1 206 266 1000"),
        );
        assert_eq!(run.code, 0, "{text}\n{}", run.stderr);
        let after = scan(config);
        let statuses: HashMap<&str, &str> = after["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["id"].as_str().unwrap(), f["status"].as_str().unwrap()))
            .collect();
        assert_eq!(statuses[id.as_str()], "PASS", "{text}");
        let was_failing = failing(&before);
        for id in failing(&after) {
            assert!(
                was_failing.contains(&id),
                "{id} fails after the command:\n{text}"
            );
        }
    }
}

#[test]
fn a_write_that_fails_every_attempt_is_failed_never_applied() {
    use contactscan::engine::RuleSet;
    use contactscan::fix::apply::{self, ApplyOptions, Outcome};
    use contactscan::fix::plan::{self, PlanInput, Scope};
    use contactscan::source::aws::{self as live_source, LiveOptions, NoProgress, RetryPolicy};

    let moto = Moto::start();
    let aws = Aws::new(&moto.url);
    let dir = tempfile::tempdir().unwrap();
    let org = build_org(&aws, 4, 0, true);
    let m = &org.members;
    // Member 1 lacks SECURITY, member 2 BILLING and OPERATIONS, member 3's SECURITY is a
    // placeholder: four writes, each failing its own way.
    let faults = [
        (
            m[1].clone(),
            "SECURITY",
            Fault::Throttle,
            "TooManyRequestsException",
        ),
        (
            m[2].clone(),
            "BILLING",
            Fault::ServerError,
            "InternalServerException",
        ),
        (m[2].clone(), "OPERATIONS", Fault::Reset, "ConnectionError"),
        (
            m[3].clone(),
            "SECURITY",
            Fault::Deny,
            "AccessDeniedException",
        ),
    ];
    let proxy = Proxy::start(
        &moto.address,
        Faults {
            always_writes: faults
                .iter()
                .map(|(a, t, f, _)| (a.clone(), t.to_string(), f.clone()))
                .collect(),
            ..Faults::default()
        },
    );
    let config_path = dir.path().join("contactscan.toml");
    std::fs::write(&config_path, org_contacts("ou-none-00000000")).unwrap();
    let mut rules = RuleSet::load(None).unwrap();
    let config = contactscan::config::load(&config_path, &mut rules).unwrap();
    let sdk = support::aws::sdk_config(&proxy.url);
    let quick = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        attempt_timeout: Duration::from_millis(500),
    };
    let options = LiveOptions {
        organization: true,
        max_rps: 500.0,
        retry: quick.clone(),
        ..LiveOptions::default()
    };
    let read = runtime()
        .block_on(live_source::read_with(
            &sdk,
            &options,
            &mut NoProgress,
            std::future::pending(),
        ))
        .unwrap();
    let clients = contactscan::aws::config::Clients::new(&sdk, "us-east-1", &quick);
    let ids: Vec<String> = read
        .inventory
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let placements = runtime()
        .block_on(live_source::placements(&clients.organizations, &ids))
        .unwrap();
    assert!(placements
        .values()
        .all(|p| p.ancestors.len() == 1 && p.ancestors[0].path == "Root"));
    let plan = plan::plan(&PlanInput {
        inventory: &read.inventory,
        rules: &rules,
        desired: config.contacts.as_ref().unwrap(),
        placements: Some(&placements),
        waivers: &[],
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        scope: Scope::Repair,
    })
    .unwrap();
    assert_eq!(plan.changes().count(), 4);
    let apply_options = ApplyOptions {
        retry: quick,
        ..ApplyOptions::new("us-east-1", None)
    };
    let report = runtime()
        .block_on(apply::apply(
            &sdk,
            &read.inventory,
            &plan,
            &apply_options,
            None,
            &mut NoProgress,
            std::future::pending(),
        ))
        .unwrap();
    assert!(!report.complete());
    assert_eq!(report.count("failed"), 4);
    for (index, outcome) in &report.outcomes {
        let item = &plan.items[*index];
        let account = &read.inventory.accounts[item.account].id;
        let (_, _, _, code) = faults
            .iter()
            .find(|(a, t, _, _)| a == account && *t == item.contact_type.as_str())
            .unwrap();
        let Outcome::Failed { code: got, message } = outcome else {
            panic!("{account} {}: {outcome:?}", item.contact_type);
        };
        assert_eq!(got, *code, "{account} {}: {message}", item.contact_type);
        let attempts = proxy
            .writes()
            .iter()
            .filter(|w| w.account == *account && w.contact_type == item.contact_type.as_str())
            .count();
        if *code == "AccessDeniedException" {
            assert_eq!(attempts, 1, "a refusal is not retried");
        } else {
            assert_eq!(attempts, 3, "{code}");
            assert!(message.ends_with("(gave up after 3 attempts)"), "{message}");
        }
    }
    assert_eq!(report.throttled, 3);
    assert!(aws.get_contact(Some(&m[1]), "SECURITY").is_none());
}

#[test]
fn a_scan_leaves_to_a_variable_what_an_ou_override_may_set() {
    let config = r#"
[contacts.SECURITY]
name = "Security Operations"
title = "Security Team"
email_address = "security@harborlight.com"
phone_number = "+1 206 266 1000"

[[contacts.overrides]]
types = ["SECURITY"]
ous = ["Root/Sandbox"]
name = "Sandbox Security"
title = "Security Team"
email_address = "sandbox-security@harborlight.com"
phone_number = "+1 206 266 1003"
"#;
    let (_dir, path) = config_file(config);
    let report = demo_report(Some(&path), &[]);
    let text = &remediations(&report)["security-contact-freemail/666666666666/SECURITY"];
    let parsed = &parse_with_awscli(&[text.as_str()])[0][0];
    assert_eq!(parsed["email_address"], "$SECURITY_EMAIL");
    assert_eq!(parsed["name"], "CRM Security");
    assert!(
        text.ends_with("# set SECURITY_EMAIL first, or run contactscan fix: an OU override in contactscan.toml may apply"),
        "{text}"
    );
}
