//! What an adversarial review found, each kept as a regression test: rule conditions that
//! would exhaust the stack or the machine, XML that consumers reject, and parsers fed random
//! input (bounded property tests: no panic, every rejection placed).

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use contactscan::engine::RuleSet;
use contactscan::report::{self, Format, Options};
use contactscan::scan::{Scan, ScanOptions};
use contactscan::source::snapshot;
use proptest::prelude::*;
use tempfile::TempDir;

fn contactscan() -> Command {
    let mut cmd = Command::cargo_bin("contactscan").expect("binary");
    cmd.env("SOURCE_DATE_EPOCH", "1795435200")
        .env("NO_COLOR", "1");
    cmd
}

fn rule(check: &str) -> String {
    format!(
        "id = \"hostile\"\ntitle = \"t\"\nseverity = \"low\"\nscope = \"contact\"\ncontact_types = [\"SECURITY\"]\ncheck = {}\n",
        toml::Value::String(check.to_string())
    )
}

fn rules_list(check: &str) -> (i32, String) {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("hostile.toml"), rule(check)).unwrap();
    let output = contactscan()
        .args(["rules", "list", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn conditions_too_deep_or_too_costly_are_refused_at_load() {
    let chain = format!("{} > 0", vec!["1"; 6_000].join(" + "));
    let index = format!("[1]{} == 1", "[0]".repeat(3_000));
    let nested_replace = format!(
        "contact.name{} != ''",
        ".replace('a', 'aaaaaaaaaa')".repeat(10)
    );
    let loops = "[1, 2].all(a, [3].all(b, [4].all(c, a + b + c > 0)))".to_string();
    let brackets = format!("size({}1{}) > 0", "[".repeat(200), "]".repeat(200));
    for (check, expected) in [
        (chain, "too complex"),
        (index, "too complex"),
        (nested_replace, "grow a string"),
        (loops, "nested more than 2"),
        (brackets, "brackets"),
    ] {
        let (code, stderr) = rules_list(&check);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("hostile.toml")
                && stderr.contains("check")
                && stderr.contains(expected),
            "{stderr}"
        );
        assert!(!stderr.contains("overflow"), "{stderr}");
    }
}

#[test]
fn conditions_over_the_runtime_budget_are_errors_naming_the_limit() {
    let list = |n: usize| {
        let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        format!("[{}]", items.join(","))
    };
    // Two loops over 1,000 elements each (a million iterations); a 100 KB string; a list of
    // 12,000 elements. `|| true` would absorb the error: the verdict must still be ERROR.
    let loops = format!(
        "{}.all(a, {}.all(b, a + b >= 0)) || true",
        list(1000),
        list(1000)
    );
    let string = format!(
        "size({}.map(a, '{}').join('')) > 0 || true",
        list(100),
        "y".repeat(1000)
    );
    let long_list = format!("size({}) > 0", vec![list(1000); 12].join(" + "));
    let snapshot = TempDir::new().unwrap();
    let input = snapshot.path().join("s.json");
    fs::write(&input, many_accounts(2_000)).unwrap();
    for (check, limit) in [
        (loops, "over 10000 iterations"),
        (string, "a string of 100000 bytes"),
        (long_list, "a list of 11000 elements"),
    ] {
        let dir = TempDir::new().unwrap();
        fs::write(dir.path().join("hostile.toml"), rule(&check)).unwrap();
        let (code, stderr, stdout) = scan_hostile(dir.path(), &input);
        assert_eq!(code, Some(3), "{limit}: {stderr}");
        let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
        assert_eq!(report["summary"]["error"], 2_000, "{limit}");
        let message = report["findings"][0]["message"].as_str().unwrap();
        assert!(message.contains(limit), "{limit}: {message}");
    }
}

/// The exit status, standard error and JSON report of the rule `hostile` (in `rules`) on the
/// snapshot `input`.
fn scan_hostile(rules: &Path, input: &Path) -> (Option<i32>, String, Vec<u8>) {
    let output = contactscan()
        .args(["scan", "--format", "json", "--select", "hostile", "--rules"])
        .arg(rules)
        .arg("--input")
        .arg(input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, output.stdout)
}

/// A snapshot of `n` accounts with the same SECURITY contact.
fn many_accounts(n: usize) -> String {
    let accounts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"Id": "{:012}", "AlternateContacts": [{{"AlternateContactType": "SECURITY", "Name": "SOC", "Title": "SOC", "EmailAddress": "soc@corp.com", "PhoneNumber": "+1 206 266 1000"}}]}}"#,
                100_000_000_000 + i
            )
        })
        .collect();
    format!(
        r#"{{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{}]}}"#,
        accounts.join(",\n")
    )
}

#[test]
fn a_condition_at_the_limits_evaluates_on_every_thread_at_any_size() {
    // As deep as the limits allow: evaluation threads must hold it.
    let terms: Vec<String> = (0..90).map(|_| "size(contact.name)".to_string()).collect();
    let check = format!("{} > 0", terms.join(" + "));
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("deep.toml"), rule(&check)).unwrap();
    for n in [2_000, 100_000] {
        let snapshot = dir.path().join(format!("{n}.json"));
        fs::write(&snapshot, many_accounts(n)).unwrap();
        let (code, stderr, stdout) = scan_hostile(dir.path(), &snapshot);
        assert_eq!(code, Some(0), "{n} accounts: {stderr}");
        let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
        assert_eq!(report["summary"]["pass"], n, "{n} accounts");
    }
}

fn scan_of(text: &str) -> Option<Scan> {
    let inventory = snapshot::parse("random.json", text.as_bytes()).ok()?;
    let options = ScanOptions::for_snapshot(
        Path::new("random.json"),
        &inventory,
        "us-east-1".to_string(),
        "2026-11-23T12:00:00Z".to_string(),
    );
    Some(Scan::run(inventory, RuleSet::load(None).unwrap(), options))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any Unicode in names and contact values gives JUnit XML that a strict XML 1.0 parser
    /// reads (U+FFFE, U+FFFF and C0 controls are not XML characters).
    #[test]
    fn junit_is_well_formed_whatever_the_text(
        name in proptest::collection::vec(any::<char>(), 0..24),
        contact in proptest::collection::vec(any::<char>(), 0..24),
    ) {
        let name: String = name.into_iter().collect();
        let contact: String = contact.into_iter().collect();
        let text = serde_json::json!({
            "SchemaVersion": "contactscan/snapshot/v1",
            "Accounts": [{"Id": "123456789012", "Name": name, "AlternateContacts": [
                {"AlternateContactType": "SECURITY", "Name": contact, "Title": contact,
                 "EmailAddress": format!("{contact}@corp.com"), "PhoneNumber": contact}]}]
        })
        .to_string();
        let scan = scan_of(&text).expect("a valid snapshot");
        let mut xml = Vec::new();
        report::write(Format::Junit, &scan, &Options::default(), &mut xml).unwrap();
        let xml = String::from_utf8(xml).unwrap();
        let parsed = roxmltree::Document::parse(&xml);
        prop_assert!(parsed.is_ok(), "{:?}: {}", parsed.err(), xml);
    }

    /// Snapshot bytes changed at random are read or refused with a place, never a panic.
    #[test]
    fn mutated_snapshots_never_panic(position in 0usize..2_000, byte in any::<u8>()) {
        let mut text = fs::read("fixtures/demo-org.json").unwrap();
        let at = position % text.len();
        text[at] = byte;
        if let Err(error) = snapshot::parse("demo.json", &text) {
            prop_assert!(!error.message.is_empty());
            prop_assert_eq!(error.source_name, "demo.json");
        }
    }

    /// Rule files changed at random load or are refused naming the file, never a panic.
    #[test]
    fn mutated_rule_files_never_panic(position in 0usize..1_500, byte in 0x20u8..0x7f) {
        let mut text = include_str!("../rules/13-security-contact-consistent.toml").as_bytes().to_vec();
        let at = position % text.len();
        text[at] = byte;
        let Ok(text) = String::from_utf8(text) else { return Ok(()) };
        let dir = TempDir::new().unwrap();
        fs::write(dir.path().join("mutated.toml"), text).unwrap();
        if let Err(error) = RuleSet::load(Some(dir.path())) {
            prop_assert!(error.source_name.contains("mutated.toml") || error.source_name.contains("built-in"), "{error}");
        }
    }

    /// Config files changed at random load or are refused naming the file, never a panic.
    #[test]
    fn mutated_configs_never_panic(position in 0usize..400, byte in 0x20u8..0x7f) {
        let mut text = fs::read("fixtures/demo-waivers.toml").unwrap();
        let at = position % text.len();
        text[at] = byte;
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("contactscan.toml");
        fs::write(&path, &text).unwrap();
        let mut rules = RuleSet::load(None).unwrap();
        if let Err(error) = contactscan::config::load(&path, &mut rules) {
            prop_assert!(error.source_name.contains("contactscan.toml"), "{error}");
        }
    }
}

/// The review's payloads: contact data in account names, in malformed fields, and written with
/// digits of other scripts.
const PAYLOADS: &str = r#"{"SchemaVersion": "contactscan/snapshot/v1",
  "Organization": {"Id": "o-a1b2c3d4e5", "ManagementAccountId": "111111111111"},
  "Accounts": [
    {"Id": "111111111111", "Name": "team-alpha (owner carol.d@corp.com, +1 206 266 7002)",
     "Email": "aws-root+alpha@corp.com",
     "AlternateContacts": [
       {"AlternateContactType": "SECURITY", "Name": "Carol Danvers", "Title": "Owner",
        "EmailAddress": "carol.danvers@corp.com", "PhoneNumber": "＋１ ２０６ ２６６ ７００３"},
       {"AlternateContactType": "BILLING", "Name": "Billing", "Title": "AP",
        "EmailAddress": "jane.smith(at)corp.com", "PhoneNumber": "٢٠٦٢٦٦٧٠٠٤"},
       {"AlternateContactType": "OPERATIONS", "Name": "Ops", "Title": "Ops",
        "EmailAddress": "ops@example.com", "PhoneNumber": "+91 ९८७६५ ४३२१०"}]},
    {"Id": "222222222222", "Name": "bob.jones@corp.com", "State": "SUSPENDED"},
    {"Id": "333333333333", "Name": "ledger 4155550199", "Email": "root+ledger@corp.com",
     "AlternateContacts": [
       {"AlternateContactType": "SECURITY", "Name": "Security", "Title": "SOC",
        "EmailAddress": "root+ledger@corp.com", "PhoneNumber": "+1 415 555 0142"}]}]}"#;

/// Runs of 4 or more digits of any script in `text` (spelled in ASCII digits), but the
/// accounts' own ids.
fn digit_runs(text: &str) -> Vec<String> {
    let ids = ["111111111111", "222222222222", "333333333333"];
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_numeric() {
            run.push(c);
        } else {
            let ascii = deunicode::deunicode(&run);
            if run.chars().count() >= 4 && !ids.contains(&ascii.as_str()) {
                runs.push(ascii);
            }
            run.clear();
        }
    }
    runs
}

#[test]
fn redaction_leaves_no_local_part_root_email_or_number_in_any_format() {
    let scan = scan_of(PAYLOADS).expect("the payloads are a valid snapshot");
    let options = Options {
        redact: true,
        include_passed: true,
        ..Options::default()
    };
    let secrets = [
        "carol.d@",
        "carol.danvers",
        "jane.smith",
        "bob.jones",
        "aws-root+alpha",
        "root+ledger",
    ];
    for format in [
        Format::Table,
        Format::Json,
        Format::Asff,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Ocsf,
    ] {
        let mut out = Vec::new();
        report::write(format, &scan, &options, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for secret in secrets {
            assert!(!text.contains(secret), "{format:?} shows {secret}");
        }
        // Templates and dates hold digits too: none of them is four digits of a contact's.
        let runs: Vec<String> = digit_runs(&text)
            .into_iter()
            .filter(|run| !["2026", "2018", "1000"].contains(&run.as_str()))
            .collect();
        for number in [
            "2062667002",
            "2062667003",
            "7003",
            "7004",
            "43210",
            "4155550199",
            "0142",
        ] {
            assert!(
                !runs.iter().any(|run| run.contains(number)),
                "{format:?} shows {number}: {runs:?}"
            );
        }
        // Domains and account ids stay: findings remain attributable.
        assert!(
            text.contains("corp.com") && text.contains("111111111111"),
            "{format:?}"
        );
    }
}

#[test]
fn redaction_covers_stderr_too() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("s.json"), PAYLOADS).unwrap();
    fs::write(
        dir.path().join("contactscan.toml"),
        "[[waivers]]\nrules = [\"contact-registered\"]\naccounts = [\"*\"]\nreason = \"r\"\nowner = \"carol.danvers@corp.com\"\nexpires = 2020-01-01\n",
    )
    .unwrap();
    let output = contactscan()
        .current_dir(dir.path())
        .args(["scan", "--input", "s.json", "--redact", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(!stderr.contains("carol.danvers"), "{stderr}");
    assert!(stderr.contains("@corp.com"), "{stderr}");
}

#[test]
fn markdown_keeps_within_a_job_summary_whatever_the_names() {
    let long_name = "n".repeat(600 * 1024);
    let accounts: Vec<serde_json::Value> = (0..3)
        .map(|i| serde_json::json!({"Id": format!("12345678901{i}"), "Name": long_name}))
        .collect();
    let text =
        serde_json::json!({"SchemaVersion": "contactscan/snapshot/v1", "Accounts": accounts})
            .to_string();
    let scan = scan_of(&text).unwrap();
    let mut out = Vec::new();
    report::write(Format::Markdown, &scan, &Options::default(), &mut out).unwrap();
    assert!(out.len() <= 1024 * 1024, "{} bytes", out.len());
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("more findings are left out"),
        "{}",
        &text[text.len() - 300..]
    );
    assert!(text.starts_with("# contactscan"));
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = contactscan().current_dir(dir).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn terraform_files_and_the_config_are_never_report_or_audit_targets() {
    let dir = TempDir::new().unwrap();
    let tf = dir.path().join("infra");
    fs::create_dir_all(tf.join("modules/acct")).unwrap();
    let main_tf = "resource \"aws_account_alternate_contact\" \"s\" {\n  alternate_contact_type = \"SECURITY\"\n  name = \"Sec\"\n  title = \"SOC\"\n  email_address = var.email\n  phone_number = \"+1 206 266 1000\"\n}\nvariable \"email\" {}\n";
    fs::write(tf.join("main.tf"), main_tf).unwrap();
    fs::write(
        tf.join("terraform.tfvars"),
        "email = \"security@corp.com\"\n",
    )
    .unwrap();
    fs::write(tf.join("modules/acct/main.tf"), "# module\n").unwrap();
    fs::write(
        dir.path().join("extra.tfvars"),
        "email = \"soc@corp.com\"\n",
    )
    .unwrap();
    for target in [
        "infra/main.tf",
        "infra/terraform.tfvars",
        "infra/modules/acct/main.tf",
        "extra.tfvars",
    ] {
        let (code, _, stderr) = run_in(
            dir.path(),
            &[
                "scan",
                "--terraform",
                "infra",
                "--var-file",
                "extra.tfvars",
                "--report",
                &format!("json={target}"),
            ],
        );
        assert_eq!(code, 2, "{target}: {stderr}");
        assert!(stderr.contains("input of this run"), "{target}: {stderr}");
    }
    assert_eq!(fs::read_to_string(tf.join("main.tf")).unwrap(), main_tf);
    // --accounts means nothing to a Terraform scan: refused, not ignored.
    let (code, _, stderr) = run_in(
        dir.path(),
        &["scan", "--terraform", "infra", "--accounts", "abc"],
    );
    assert_eq!(code, 2, "{stderr}");
    // The audit log of fix is never the config.
    fs::write(
        dir.path().join("contactscan.toml"),
        "[contacts.SECURITY]\nname = \"Security Operations\"\ntitle = \"SOC\"\nemail_address = \"security@corp.com\"\nphone_number = \"+1 206 266 1000\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run_in(
        dir.path(),
        &["fix", "--org", "--apply", "--audit-log", "contactscan.toml"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("input of this run"), "{stderr}");
}

#[test]
fn a_config_above_a_scratch_directory_outside_any_repository_is_not_used() {
    // A CI job's scratch directory: no repository, not under the home directory.
    let scratch = TempDir::new().unwrap();
    let job = scratch.path().join("job");
    fs::create_dir(&job).unwrap();
    fs::write(
        scratch.path().join("contactscan.toml"),
        "[[waivers]]\nrules = [\"*\"]\naccounts = [\"*\"]\nreason = \"r\"\nowner = \"o\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
    let demo = fs::canonicalize("fixtures/demo-org.json").unwrap();
    let output = contactscan()
        .current_dir(&job)
        .env("HOME", "/nonexistent-home")
        .args(["scan", "--format", "json", "--input"])
        .arg(&demo)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["summary"]["waived"], 0,
        "the stray config waived findings"
    );
    assert!(report["summary"]["fail"].as_u64().unwrap() > 0);
}

#[test]
fn ocsf_names_only_aws_account_ids() {
    let output = contactscan()
        .args([
            "scan",
            "--terraform",
            "fixtures/terraform/created-accounts",
            "--format",
            "ocsf",
        ])
        .output()
        .unwrap();
    let events: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    for event in &events {
        let uid = event["cloud"]["account"]["uid"].as_str().unwrap();
        assert!(
            uid.len() == 12 && uid.bytes().all(|b| b.is_ascii_digit()),
            "{uid}"
        );
    }
}

#[test]
fn a_fix_plan_from_a_snapshot_is_narrowed_by_accounts() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("contactscan.toml"),
        "[contacts.SECURITY]\nname = \"Security Operations\"\ntitle = \"SOC\"\nemail_address = \"security@harborlight.com\"\nphone_number = \"+1 206 266 1000\"\n",
    )
    .unwrap();
    let demo = fs::canonicalize("fixtures/demo-org.json").unwrap();
    let demo = demo.to_str().unwrap();
    let (_, out, stderr) = run_in(
        dir.path(),
        &[
            "fix",
            "--input",
            demo,
            "--accounts",
            "444444444444",
            "--emit",
            "terraform",
        ],
    );
    assert!(out.contains("444444444444"), "{stderr}");
    assert!(!out.contains("333333333333"), "{out}");
    let (code, _, stderr) = run_in(dir.path(), &["fix", "--input", demo, "--accounts", "123"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn hostile_terraform_gives_errors_not_an_abort() {
    let dir = TempDir::new().unwrap();
    let mut text = String::from("locals {\n");
    for i in 0..2_000 {
        text.push_str(&format!("  l{i} = local.l{}\n", i + 1));
    }
    text.push_str("  l2000 = \"security@corp.com\"\n}\n");
    text.push_str("resource \"aws_account_alternate_contact\" \"s\" {\n  alternate_contact_type = \"SECURITY\"\n  name = \"Sec\"\n  title = \"SOC\"\n  email_address = local.l0\n  phone_number = \"+1 206 266 1000\"\n}\n");
    text.push_str("resource \"aws_account_alternate_contact\" \"b\" {\n  count = 1e15\n  alternate_contact_type = \"BILLING\"\n  name = \"B\"\n  title = \"AP\"\n  email_address = \"b@corp.com\"\n  phone_number = \"+1 206 266 1000\"\n}\n");
    fs::write(dir.path().join("main.tf"), text).unwrap();
    let output = contactscan()
        .args(["scan", "--format", "json", "--terraform"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("chain of more than")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("more instances than")),
        "{messages:#?}"
    );
}
