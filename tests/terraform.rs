//! `scan --terraform`: each configuration shape of `fixtures/terraform/` resolves to the
//! contacts it must, with its verdicts and locations; Terraform itself is the oracle of the
//! static evaluator; plans from `terraform show -json`; bad input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use contactscan::inventory::{ContactField, ContactType};
use contactscan::source::terraform::{self, AccountRef, Contact, Given, Request, Resolved};
use hcl_edit::expr::{Expression, Object, ObjectKey, ObjectValue};
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::{Decorated, Ident};
use serde_json::{json, Value as Json};
use tempfile::TempDir;

/// 2026-11-23T12:00:00Z, so outputs are reproducible.
const EPOCH: &str = "1795435200";
const FIXTURES: &str = "fixtures/terraform";
/// The configurations Terraform plans offline (no data source, no remote module).
const PLANNABLE: [&str; 11] = [
    "literals",
    "variables",
    "objects",
    "for-each-map",
    "for-expression",
    "count-list",
    "locals-maps",
    "conditional-count",
    "created-accounts",
    "local-module",
    "after-apply",
];

fn contactscan() -> Command {
    let mut cmd = Command::cargo_bin("contactscan").expect("binary");
    cmd.env("SOURCE_DATE_EPOCH", EPOCH).env("NO_COLOR", "1");
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn resolve(path: PathBuf, given: Given) -> Resolved {
    terraform::resolve(&Request {
        path,
        dir: None,
        given,
    })
    .expect("the fixture resolves")
}

/// `address → [type, name, title, email_address, phone_number]`, unknown values as `?`.
fn values(resolved: &Resolved) -> BTreeMap<String, [String; 5]> {
    resolved
        .contacts
        .iter()
        .map(|c| {
            let known = |v: &Result<String, String>| v.clone().unwrap_or_else(|_| "?".to_string());
            let kind = c
                .contact_type
                .as_ref()
                .map_or("?".to_string(), |t| t.to_string());
            let [a, b, d, e] = c.fields.clone().map(|f| known(&f.value));
            (c.address.clone(), [kind, a, b, d, e])
        })
        .collect()
}

fn contact<'a>(resolved: &'a Resolved, address: &str) -> &'a Contact {
    resolved
        .contacts
        .iter()
        .find(|c| c.address == address)
        .unwrap_or_else(|| panic!("no contact {address} in {:?}", values(resolved).keys()))
}

fn row(values: [&str; 5]) -> [String; 5] {
    values.map(str::to_string)
}

/// The JSON report of a Terraform scan, and its exit status.
fn scan_json(args: &[&str]) -> (Json, i32) {
    let output = contactscan()
        .args(["scan", "--format", "json", "--terraform"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON report: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code().unwrap())
}

/// `id → (status, message)` of the findings that are not PASS.
fn verdicts(report: &Json) -> BTreeMap<String, (String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "PASS")
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                (
                    f["status"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// The ids of the findings that are not PASS, each with its status.
fn statuses(report: &Json) -> Vec<(String, String)> {
    verdicts(report)
        .into_iter()
        .map(|(id, (status, _))| (id, status))
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn literals_and_a_provider_alias() {
    let resolved = resolve(fixture("literals"), Given::default());
    assert_eq!(
        values(&resolved),
        BTreeMap::from([
            (
                "aws_account_alternate_contact.operations".to_string(),
                row([
                    "OPERATIONS",
                    "Cloud Operations",
                    "Operations team",
                    "cloud-ops@corp.com",
                    "+1 206 266 1001"
                ])
            ),
            (
                "aws_account_alternate_contact.security".to_string(),
                row([
                    "SECURITY",
                    "Security Operations",
                    "SOC",
                    "security@example.com",
                    "+1 206 266 1000"
                ])
            ),
        ])
    );
    assert_eq!(
        contact(&resolved, "aws_account_alternate_contact.operations").account,
        AccountRef::Provider("aws.security".to_string())
    );
    let (report, status) = scan_json(&["fixtures/terraform/literals"]);
    assert_eq!(status, 1);
    assert_eq!(
        statuses(&report),
        owned(&[(
            "contact-email-placeholder-domain/111111111111/SECURITY",
            "FAIL"
        )])
    );
    let (_, message) = &verdicts(&report)["contact-email-placeholder-domain/111111111111/SECURITY"];
    assert!(
        message.ends_with("(at fixtures/terraform/literals/main.tf:12:28)"),
        "{message}"
    );
    // Registration rules do not apply to accounts the configuration does not create.
    let findings = report["findings"].to_string();
    assert!(findings.contains("contact-registered/aws.security/OPERATIONS"));
    assert!(!findings.contains("contact-registered/aws.security/BILLING"));
    assert!(!findings.contains("security-contact-registered/aws.security"));
    assert_eq!(report["source"], "terraform:fixtures/terraform/literals");
}

#[test]
fn variables_take_tfvars_over_defaults_and_flags_over_both() {
    let resolved = resolve(fixture("variables"), Given::default());
    let security = contact(&resolved, "aws_account_alternate_contact.security");
    assert_eq!(
        values(&resolved)["aws_account_alternate_contact.security"],
        row([
            "SECURITY",
            "Security Operations",
            "SOC",
            "marco.rossi@gmail.com",
            "555-0100"
        ])
    );
    // terraform.tfvars, line 1, where the value is written; the phone at its default.
    let at = |field: ContactField| {
        let at = security.fields[field.index()].at.clone().unwrap();
        (at.file.display().to_string(), at.line, at.column)
    };
    assert_eq!(
        at(ContactField::EmailAddress),
        (
            "fixtures/terraform/variables/terraform.tfvars".to_string(),
            1,
            Some(18)
        )
    );
    assert_eq!(
        at(ContactField::PhoneNumber),
        (
            "fixtures/terraform/variables/variables.tf".to_string(),
            13,
            Some(13)
        )
    );

    let dir = TempDir::new().unwrap();
    let var_file = dir.path().join("prod.tfvars");
    fs::write(
        &var_file,
        "security_email = \"secops@corp.com\"\nsecurity_phone = \"+1 206 266 1000\"\n",
    )
    .unwrap();
    let given = Given {
        var_files: vec![var_file.clone()],
        vars: vec![("security_name".to_string(), "SOC team".to_string())],
    };
    let resolved = resolve(fixture("variables"), given);
    assert_eq!(
        values(&resolved)["aws_account_alternate_contact.security"],
        row([
            "SECURITY",
            "SOC team",
            "SOC",
            "secops@corp.com",
            "+1 206 266 1000"
        ])
    );

    let (report, status) = scan_json(&["fixtures/terraform/variables"]);
    assert_eq!(status, 1);
    assert_eq!(
        statuses(&report),
        owned(&[
            ("contact-phone-placeholder/222222222222/SECURITY", "FAIL"),
            ("security-contact-freemail/222222222222/SECURITY", "FAIL"),
            (
                "security-contact-shared-inbox/222222222222/SECURITY",
                "FAIL"
            ),
        ])
    );
    let (report, status) = scan_json(&[
        "fixtures/terraform/variables",
        "--var-file",
        var_file.to_str().unwrap(),
    ]);
    assert_eq!((statuses(&report), status), (Vec::new(), 0));
}

#[test]
fn object_variables() {
    let resolved = resolve(fixture("objects"), Given::default());
    assert_eq!(
        values(&resolved)["aws_account_alternate_contact.security"],
        row([
            "SECURITY",
            "Security Operations",
            "TBD",
            "soc@corp.com",
            "+1 206 266 1000"
        ])
    );
    // The title is written in the variable's default.
    let title = contact(&resolved, "aws_account_alternate_contact.security").fields
        [ContactField::Title.index()]
    .at
    .clone()
    .unwrap();
    assert_eq!((title.line, title.column), (14, Some(23)));
    let (report, _) = scan_json(&["fixtures/terraform/objects"]);
    let verdicts = verdicts(&report);
    let (status, message) = &verdicts["contact-name-placeholder/333333333333/SECURITY"];
    assert_eq!(status, "FAIL");
    // The rule reads the name and the title: it points at the resource block.
    assert!(
        message.ends_with("(at fixtures/terraform/objects/main.tf:21:1)"),
        "{message}"
    );
}

#[test]
fn for_each_over_a_map_with_each_key_as_the_type() {
    let resolved = resolve(fixture("for-each-map"), Given::default());
    assert_eq!(
        values(&resolved),
        BTreeMap::from([
            (
                r#"aws_account_alternate_contact.this["BILLING"]"#.to_string(),
                row([
                    "BILLING",
                    "Accounts Payable",
                    "Finance",
                    "billing@mailinator.com",
                    "+1 206 266 1002"
                ])
            ),
            (
                r#"aws_account_alternate_contact.this["SECURITY"]"#.to_string(),
                row([
                    "SECURITY",
                    "Security Operations",
                    "SOC",
                    "security@corp.com",
                    "+1 206 266 1000"
                ])
            ),
        ])
    );
    let (report, _) = scan_json(&["fixtures/terraform/for-each-map"]);
    let verdicts = verdicts(&report);
    assert_eq!(verdicts.len(), 1);
    let (_, message) = &verdicts["contact-email-placeholder-domain/444444444444/BILLING"];
    assert!(
        message.ends_with("(at fixtures/terraform/for-each-map/contacts.auto.tfvars:11:13)"),
        "{message}"
    );
}

#[test]
fn for_each_over_a_filtered_for_expression() {
    let resolved = resolve(fixture("for-expression"), Given::default());
    let addresses: Vec<String> = values(&resolved).into_keys().collect();
    assert_eq!(
        addresses,
        [
            r#"aws_account_alternate_contact.this["OPERATIONS"]"#,
            r#"aws_account_alternate_contact.this["SECURITY"]"#
        ]
    );
    let (report, _) = scan_json(&["fixtures/terraform/for-expression"]);
    assert_eq!(
        statuses(&report),
        owned(&[("contact-name-placeholder/555555555555/OPERATIONS", "FAIL")])
    );
}

#[test]
fn count_over_a_list() {
    let resolved = resolve(fixture("count-list"), Given::default());
    assert_eq!(
        values(&resolved)["aws_account_alternate_contact.this[1]"],
        row([
            "BILLING",
            "Finance",
            "AP",
            "billing@corp",
            "+1 206 266 1002"
        ])
    );
    let (report, _) = scan_json(&["fixtures/terraform/count-list"]);
    assert_eq!(
        statuses(&report),
        owned(&[("contact-email-valid/666666666666/BILLING", "FAIL")])
    );
}

#[test]
fn locals_built_from_maps_and_functions() {
    let resolved = resolve(fixture("locals-maps"), Given::default());
    assert_eq!(
        values(&resolved),
        BTreeMap::from([
            (
                r#"aws_account_alternate_contact.this["operations"]"#.to_string(),
                row([
                    "OPERATIONS",
                    "Cloud Operations",
                    "Cloud team",
                    "ops@yourcompany.com",
                    "1234567890"
                ])
            ),
            (
                r#"aws_account_alternate_contact.this["security"]"#.to_string(),
                row([
                    "SECURITY",
                    "Security Operations",
                    "Cloud team",
                    "security@corp.com",
                    "+1 206 266 1000"
                ])
            ),
        ])
    );
    let (report, _) = scan_json(&["fixtures/terraform/locals-maps"]);
    let verdicts = verdicts(&report);
    assert_eq!(
        verdicts.keys().collect::<Vec<_>>(),
        [
            "contact-email-placeholder-domain/777777777777/OPERATIONS",
            "contact-phone-placeholder/777777777777/OPERATIONS"
        ]
    );
    // format() makes the address in the local: located at the call; the phone where the
    // override writes it.
    let message = |id: &str| verdicts[id].1.clone();
    let email = message("contact-email-placeholder-domain/777777777777/OPERATIONS");
    assert!(
        email.ends_with("(at fixtures/terraform/locals-maps/main.tf:10:55)"),
        "{email}"
    );
    let phone = message("contact-phone-placeholder/777777777777/OPERATIONS");
    assert!(
        phone.ends_with("(at fixtures/terraform/locals-maps/main.tf:10:106)"),
        "{phone}"
    );
}

#[test]
fn conditional_count_makes_zero_or_one_instance() {
    let resolved = resolve(fixture("conditional-count"), Given::default());
    assert_eq!(
        values(&resolved).into_keys().collect::<Vec<_>>(),
        ["aws_account_alternate_contact.security[0]"]
    );
    let given = Given {
        vars: vec![("manage_billing".to_string(), "true".to_string())],
        ..Given::default()
    };
    let resolved = resolve(fixture("conditional-count"), given);
    assert_eq!(
        values(&resolved)["aws_account_alternate_contact.billing[0]"][3],
        "test@example.org"
    );
    let (report, status) = scan_json(&["fixtures/terraform/conditional-count"]);
    assert_eq!((statuses(&report), status), (Vec::new(), 0));
}

#[test]
fn accounts_created_here_get_registration_rules() {
    let resolved = resolve(fixture("created-accounts"), Given::default());
    assert_eq!(
        contact(&resolved, "aws_account_alternate_contact.payments_security").account,
        AccountRef::Created("aws_organizations_account.payments".to_string())
    );
    assert_eq!(
        contact(
            &resolved,
            r#"aws_account_alternate_contact.team_security["web"]"#
        )
        .account,
        AccountRef::Created(r#"aws_organizations_account.team["web"]"#.to_string())
    );
    let (report, status) = scan_json(&["fixtures/terraform/created-accounts"]);
    assert_eq!(status, 1);
    let team = |key: &str, kind: &str| {
        format!(r#"contact-registered/aws_organizations_account.team["{key}"]/{kind}"#)
    };
    let mut expected = owned(&[
        (
            "contact-registered/aws_organizations_account.payments/BILLING",
            "FAIL",
        ),
        (
            "contact-registered/aws_organizations_account.payments/OPERATIONS",
            "FAIL",
        ),
        (
            "contact-registered/aws_organizations_account.sandbox/OPERATIONS",
            "FAIL",
        ),
        (
            "security-contact-registered/aws_organizations_account.sandbox/SECURITY",
            "FAIL",
        ),
    ]);
    for key in ["data", "web"] {
        for kind in ["BILLING", "OPERATIONS"] {
            expected.push((team(key, kind), "FAIL".to_string()));
        }
    }
    expected.sort();
    assert_eq!(statuses(&report), expected);
    // At the account's block.
    let (_, message) = &verdicts(&report)
        ["security-contact-registered/aws_organizations_account.sandbox/SECURITY"];
    assert!(
        message.ends_with("(at fixtures/terraform/created-accounts/main.tf:7:1)"),
        "{message}"
    );
    let names: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["account_name"].as_str())
        .collect();
    assert!(names.contains(&"payments-prod") && names.contains(&"sandbox"));
}

#[test]
fn a_local_module_once_per_account() {
    let resolved = resolve(fixture("local-module"), Given::default());
    let dev = contact(
        &resolved,
        r#"module.acct["dev"].aws_account_alternate_contact.security"#,
    );
    assert_eq!(
        dev.account,
        AccountRef::Created(r#"module.acct["dev"].aws_organizations_account.this"#.to_string())
    );
    assert_eq!(
        dev.value(ContactField::EmailAddress),
        Some("security@example.net")
    );
    let email_at = dev.fields[ContactField::EmailAddress.index()]
        .at
        .clone()
        .unwrap();
    assert_eq!(
        (email_at.file.display().to_string(), email_at.line),
        ("fixtures/terraform/local-module/main.tf".to_string(), 5)
    );
    assert_eq!(
        resolved
            .accounts
            .iter()
            .map(|a| a.email.clone().unwrap())
            .collect::<Vec<_>>(),
        ["aws-root+dev@corp.com", "aws-root+prod@corp.com"]
    );
    let (report, _) = scan_json(&["fixtures/terraform/local-module"]);
    // PASS findings (pre-rendered) escape the quotes of an address as serde does.
    let pass = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["id"]
                == r#"security-contact-registered/module.acct["prod"].aws_organizations_account.this/SECURITY"#
        })
        .unwrap();
    assert_eq!(pass["status"], "PASS");
    assert_eq!(
        pass["account_id"],
        r#"module.acct["prod"].aws_organizations_account.this"#
    );
    let verdicts = verdicts(&report);
    assert_eq!(verdicts.len(), 5);
    assert_eq!(
        verdicts[r#"contact-email-placeholder-domain/module.acct["dev"].aws_organizations_account.this/SECURITY"#].0,
        "FAIL"
    );
}

#[test]
fn values_not_known_before_apply_are_errors_naming_them() {
    let (report, status) = scan_json(&["fixtures/terraform/unknown"]);
    assert_eq!(status, 3);
    let verdicts = verdicts(&report);
    assert!(verdicts.values().all(|(status, _)| status == "ERROR"));
    let message = |id: &str| verdicts[id].1.clone();
    let email = message("contact-email-valid/aws_account_alternate_contact.security/SECURITY");
    assert!(email.contains("var.security_email has no default and no value: give it with --var security_email=VALUE or in a --var-file"), "{email}");
    assert!(email.contains("--terraform plan.json"), "{email}");
    let resource = message("contact-email-valid/999999999999/OPERATIONS");
    assert!(
        resource.contains(
            "terraform_data.mailbox.output is an attribute of a resource, known after apply"
        ),
        "{resource}"
    );
    let output = message("contact-name-placeholder/999999999999/OPERATIONS");
    assert!(
        output.contains("module.remote.team_name is a module output"),
        "{output}"
    );
    // A rule reading every field names the first one not known.
    let fields = message("contact-fields-complete/999999999999/OPERATIONS");
    assert!(
        fields.contains("the OPERATIONS contact's name is not known"),
        "{fields}"
    );
    // The phone is known: its rules still reach a verdict.
    assert_eq!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "contact-phone-valid/999999999999/OPERATIONS")
            .unwrap()["status"],
        "PASS"
    );
    let resolved = resolve(fixture("unknown"), Given::default());
    let operations = contact(&resolved, "aws_account_alternate_contact.operations");
    let title = operations.fields[ContactField::Title.index()]
        .value
        .clone()
        .unwrap_err();
    assert!(
        title.contains("base64encode(\"ops\") calls base64encode()"),
        "{title}"
    );
    assert!(resolved.warnings[0]
        .contains("module.remote: source \"terraform-aws-modules/iam/aws\" is not a local module"));
    // Given a value, the variable resolves.
    let (report, _) = scan_json(&[
        "fixtures/terraform/unknown",
        "--var",
        "security_email=security@corp.com",
    ]);
    assert!(!report.to_string().contains("var.security_email"));
}

#[test]
fn bad_input_exits_2_naming_the_place() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["fixtures/terraform/syntax-error"],
            "fixtures/terraform/syntax-error/main.tf: line 3, column 3: HCL syntax error",
        ),
        (
            &["fixtures/terraform/missing"],
            "fixtures/terraform/missing: cannot read the Terraform directory",
        ),
        (
            &[
                "fixtures/terraform/variables",
                "--var-file",
                "fixtures/terraform/none.tfvars",
            ],
            "fixtures/terraform/none.tfvars: cannot read the file",
        ),
        (
            &["fixtures/terraform/variables", "--var", "security_mail"],
            "expected NAME=VALUE",
        ),
        (
            &["fixtures/terraform/variables", "--var", "nope=1"],
            "--var: nope: no variable \"nope\" is declared",
        ),
        (
            &["fixtures/terraform/plans", "--terraform-dir", "x"],
            "goes with a plan",
        ),
    ];
    for (args, expected) in cases {
        let output = contactscan()
            .args(["scan", "--terraform"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let output = contactscan()
        .args([
            "scan",
            "--terraform",
            "fixtures/terraform/literals",
            "--securityhub-import",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot import a Terraform scan"));
    let output = contactscan()
        .args([
            "scan",
            "--terraform",
            "fixtures/terraform/literals",
            "--input",
            "fixtures/demo-org.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn sarif_points_at_the_value_with_the_block_related() {
    let output = contactscan()
        .args([
            "scan",
            "--terraform",
            "fixtures/terraform/variables",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    let sarif: Json = serde_json::from_slice(&output.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let freemail = results
        .iter()
        .find(|r| r["ruleId"] == "security-contact-freemail")
        .unwrap();
    assert_eq!(
        freemail["locations"][0]["physicalLocation"],
        json!({"artifactLocation": {"uri": "fixtures/terraform/variables/terraform.tfvars"},
               "region": {"startLine": 1, "startColumn": 18}})
    );
    assert_eq!(
        freemail["relatedLocations"][0]["physicalLocation"],
        json!({"artifactLocation": {"uri": "fixtures/terraform/variables/main.tf"},
               "region": {"startLine": 2, "startColumn": 1}})
    );
}

#[test]
fn asff_holds_only_accounts_with_an_id() {
    let output = contactscan()
        .args([
            "scan",
            "--terraform",
            "fixtures/terraform/unknown",
            "--format",
            "asff",
        ])
        .output()
        .unwrap();
    let asff: Json = serde_json::from_slice(&output.stdout).unwrap();
    let accounts: Vec<&str> = asff
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["AwsAccountId"].as_str().unwrap())
        .collect();
    assert!(!accounts.is_empty());
    assert!(
        accounts.iter().all(|a| *a == "999999999999"),
        "{accounts:?}"
    );
}

#[test]
fn junit_and_table_name_the_file_and_line() {
    let junit = contactscan()
        .args([
            "scan",
            "--terraform",
            "fixtures/terraform/count-list",
            "--format",
            "junit",
        ])
        .output()
        .unwrap();
    let junit = String::from_utf8(junit.stdout).unwrap();
    assert!(
        junit.contains("(at fixtures/terraform/count-list/main.tf:12:65)"),
        "{junit}"
    );
    let table = contactscan()
        .args(["scan", "--terraform", "fixtures/terraform/count-list"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("(at fixtures/terraform/count-list/main.tf:12:65)"),
        "{table}"
    );
}

/// A configuration of 2,000 contact resources (a local map of 667 accounts, each with its
/// three contacts, one in twenty with a placeholder address) scans to the verdicts it must;
/// how fast is measured by `scripts/bench-terraform.sh`, not here.
#[test]
fn a_two_thousand_resource_configuration() {
    let dir = TempDir::new().unwrap();
    let accounts = 667;
    let mut tf = String::from("locals {\n  accounts = {\n");
    for i in 0..accounts {
        let domain = if i % 20 == 0 {
            "example.com"
        } else {
            "corp.com"
        };
        tf.push_str(&format!(
            "    a{i:04} = {{ id = \"{:012}\", domain = \"{domain}\" }}\n",
            100_000_000_000u64 + i as u64
        ));
    }
    tf.push_str("  }\n}\n");
    for (kind, local) in [
        ("SECURITY", "security"),
        ("BILLING", "billing"),
        ("OPERATIONS", "cloud-ops"),
    ] {
        let name = kind.to_lowercase();
        tf.push_str(&format!(
            "resource \"aws_account_alternate_contact\" \"{name}\" {{\n  for_each = local.accounts\n  account_id = each.value.id\n  alternate_contact_type = \"{kind}\"\n  name = \"{kind} team\"\n  title = \"Team\"\n  email_address = \"{local}@${{each.value.domain}}\"\n  phone_number = \"+1 206 266 1000\"\n}}\n"
        ));
    }
    fs::write(dir.path().join("main.tf"), tf).unwrap();
    let resolved = resolve(dir.path().to_path_buf(), Given::default());
    assert_eq!(resolved.contacts.len(), 2001);
    let (report, _) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(report["summary"]["accounts"], 667);
    // 34 accounts at example.com: three placeholder addresses each, and a SECURITY address
    // off the organization's domain.
    let failed = statuses(&report);
    assert!(failed.iter().all(|(_, status)| status == "FAIL"));
    let count = |rule: &str| failed.iter().filter(|(id, _)| id.starts_with(rule)).count();
    assert_eq!(count("contact-email-placeholder-domain/"), 34 * 3);
    assert_eq!(count("security-contact-consistent/"), 34);
    assert_eq!(failed.len(), 34 * 4);
}

// The oracle: Terraform plans each fixture, its contacts rewritten as `terraform_data`.

/// The `terraform` binary, when on the PATH.
fn terraform_binary() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("terraform"))
            .find(|path| path.is_file())
    })
}

/// Meta-arguments kept on the rewritten resource (`provider` needs the AWS provider).
const KEPT: [&str; 3] = ["count", "for_each", "depends_on"];

/// A resource of `kind` rewritten as `terraform_data.<prefix><name>` with its arguments as
/// `input`.
fn as_terraform_data(block: &Block, prefix: &str) -> Block {
    let mut input = Object::new();
    let mut builder = Block::builder(Ident::new("resource"))
        .label("terraform_data")
        .label(format!("{prefix}{}", block.labels[1].as_str()).as_str());
    for attribute in block.body.attributes() {
        let key = attribute.key.as_str();
        if KEPT.contains(&key) {
            builder = builder.attribute(Attribute::new(Ident::new(key), attribute.value.clone()));
        } else if key != "provider" {
            input.insert(
                ObjectKey::Ident(Decorated::new(Ident::new(key))),
                ObjectValue::new(attribute.value.clone()),
            );
        }
    }
    builder
        .attribute(Attribute::new(
            Ident::new("input"),
            Expression::Object(input),
        ))
        .build()
}

/// A `.tf` file Terraform plans offline: contacts and accounts as `terraform_data`, no
/// provider configuration.
fn rewrite(text: &str) -> String {
    let text = text.replace("aws_organizations_account.", "terraform_data.account_");
    let body = hcl_edit::parser::parse_body(&text).unwrap();
    let mut out = Body::new();
    for structure in body {
        match structure {
            Structure::Block(block) => {
                let kind = block.labels.first().map(|l| l.as_str().to_string());
                match (block.ident.as_str(), kind.as_deref()) {
                    ("provider" | "terraform", _) => {}
                    ("resource", Some("aws_account_alternate_contact")) => {
                        out.push(as_terraform_data(&block, "contact_"))
                    }
                    ("resource", Some("aws_organizations_account")) => {
                        out.push(as_terraform_data(&block, "account_"))
                    }
                    ("module", _) => {
                        let mut block = block;
                        block.body.remove_attribute("providers");
                        out.push(block);
                    }
                    _ => out.push(block),
                }
            }
            Structure::Attribute(attribute) => out.push(attribute),
        }
    }
    out.to_string()
}

fn copy_rewritten(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_rewritten(&path, &target);
        } else if path.extension().is_some_and(|e| e == "tf") {
            fs::write(&target, rewrite(&fs::read_to_string(&path).unwrap())).unwrap();
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// Plans `fixture` with Terraform (offline) and returns `terraform show -json`.
fn terraform_plan(terraform: &Path, fixture: &str) -> Json {
    let work = TempDir::new().unwrap();
    let config = work.path().join("config");
    copy_rewritten(&self::fixture(fixture), &config);
    let cli_config = work.path().join("empty.tfrc");
    fs::write(&cli_config, "").unwrap();
    let run = |args: &[&str]| {
        let output = Process::new(terraform)
            .args(args)
            .current_dir(&config)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_DATA_DIR", work.path().join("data"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "terraform {args:?} on {fixture}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    run(&["init", "-input=false", "-no-color", "-backend=false"]);
    run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        "-out=plan.out",
    ]);
    serde_json::from_slice(&run(&["show", "-json", "plan.out"])).unwrap()
}

/// The plan's `terraform_data` changes as the contacts and accounts they stand for.
fn as_aws_plan(plan: &Json) -> Json {
    let changes: Vec<Json> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|change| {
            let name = change["name"].as_str()?;
            let (kind, name) = if let Some(name) = name.strip_prefix("contact_") {
                ("aws_account_alternate_contact", name)
            } else {
                ("aws_organizations_account", name.strip_prefix("account_")?)
            };
            let address = change["address"].as_str()?.replacen(
                &format!("terraform_data.{}", change["name"].as_str()?),
                &format!("{kind}.{name}"),
                1,
            );
            let mut after_unknown = change["change"]["after_unknown"]["input"].clone();
            if kind == "aws_organizations_account" {
                after_unknown = json!({"id": true, "arn": true});
            }
            let mut out = json!({
                "address": address,
                "mode": "managed",
                "type": kind,
                "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": change["change"]["actions"],
                    "before": null,
                    "after": change["change"]["after"]["input"],
                    "after_unknown": after_unknown,
                },
            });
            for key in ["module_address", "index"] {
                if let Some(value) = change.get(key) {
                    out[key] = value.clone();
                }
            }
            Some(out)
        })
        .collect();
    json!({
        "format_version": plan["format_version"],
        "terraform_version": plan["terraform_version"],
        "resource_changes": changes,
        "configuration": {"root_module": as_aws_module(&plan["configuration"]["root_module"])},
    })
}

/// `terraform_data.account_x` as the account resource it stands for.
fn as_aws_reference(reference: &str) -> Option<String> {
    match reference.strip_prefix("terraform_data.account_") {
        Some(rest) => Some(format!("aws_organizations_account.{rest}")),
        None => reference
            .starts_with("each.")
            .then(|| reference.to_string()),
    }
}

/// A module's `configuration` with its `terraform_data` as the contacts and accounts they
/// stand for. Terraform records the references of each argument of a resource, but those of
/// `input` as a whole for `terraform_data`: a contact's `account_id` takes the references of
/// its input to accounts and to `each`.
fn as_aws_module(module: &Json) -> Json {
    let references = |expression: &Json| {
        let refs: Vec<String> = expression["references"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| as_aws_reference(r.as_str()?))
            .collect();
        json!({ "references": refs })
    };
    let resources: Vec<Json> = module["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|resource| {
            let name = resource["name"].as_str()?;
            let (kind, name, expressions) = match name.strip_prefix("contact_") {
                Some(name) => (
                    "aws_account_alternate_contact",
                    name,
                    json!({ "account_id": references(&resource["expressions"]["input"]) }),
                ),
                None => (
                    "aws_organizations_account",
                    name.strip_prefix("account_")?,
                    json!({}),
                ),
            };
            let mut out = json!({
                "address": format!("{kind}.{name}"),
                "mode": "managed",
                "type": kind,
                "name": name,
                "provider_config_key": "aws",
                "expressions": expressions,
            });
            for key in ["for_each_expression", "count_expression"] {
                if let Some(expression) = resource.get(key) {
                    out[key] = references(expression);
                }
            }
            Some(out)
        })
        .collect();
    let calls: serde_json::Map<String, Json> = module["module_calls"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, call)| {
            let converted = json!({
                "source": call["source"],
                "module": as_aws_module(&call["module"]),
            });
            (name.clone(), converted)
        })
        .collect();
    json!({ "resources": resources, "module_calls": calls })
}

/// What contactscan resolved agrees with what Terraform planned: the same instances, each
/// known value equal, each value Terraform leaves unknown unknown.
fn agree(fixture: &str, resolved: &Resolved, planned: &Json) {
    let planned: BTreeMap<String, &Json> = planned["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "aws_account_alternate_contact")
        .map(|c| (c["address"].as_str().unwrap().to_string(), &c["change"]))
        .collect();
    let ours: BTreeMap<String, &Contact> = resolved
        .contacts
        .iter()
        .map(|c| (c.address.clone(), c))
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        planned.keys().collect::<Vec<_>>(),
        "{fixture}: the instances"
    );
    for (address, change) in planned {
        let contact = ours[&address];
        let unknown = |key: &str| change["after_unknown"][key] == true;
        let after = |key: &str| change["after"][key].as_str().map(str::to_string);
        assert_eq!(
            contact.contact_type.clone().ok(),
            after("alternate_contact_type").map(|t| t.parse::<ContactType>().unwrap()),
            "{fixture}: {address} type"
        );
        for field in ContactField::ALL {
            let key = field.as_str();
            let ours = &contact.fields[field.index()].value;
            if unknown(key) {
                assert!(
                    ours.is_err(),
                    "{fixture}: {address}.{key} is unknown to Terraform, not {ours:?}"
                );
            } else {
                assert_eq!(ours.clone().ok(), after(key), "{fixture}: {address}.{key}");
            }
        }
        let account = match (&contact.account, unknown("account_id"), after("account_id")) {
            (AccountRef::Id(id), false, Some(planned)) => *id == planned,
            (AccountRef::Created(_) | AccountRef::Unknown(_), true, _) => true,
            (AccountRef::Provider(_), false, None) => true,
            _ => false,
        };
        assert!(
            account,
            "{fixture}: {address} account {:?} against the plan's {:?}",
            contact.account, change["after"]["account_id"]
        );
    }
}

#[test]
fn terraform_agrees_with_the_static_evaluator() {
    let Some(terraform) = terraform_binary() else {
        println!("skipped: terraform is not on the PATH, so the static evaluator is not checked against it");
        return;
    };
    let update = std::env::var_os("CONTACTSCAN_UPDATE_PLANS").is_some();
    for name in PLANNABLE {
        let plan = as_aws_plan(&terraform_plan(&terraform, name));
        agree(name, &resolve(fixture(name), Given::default()), &plan);
        let path = fixture("plans").join(format!("{name}.json"));
        if update {
            fs::write(&path, serde_json::to_string_pretty(&plan).unwrap() + "\n").unwrap();
        }
        // The plan fixture is what this Terraform plans today.
        let stored: Json = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        // Versions aside: another Terraform may write another format_version.
        let strip = |mut plan: Json| {
            plan["terraform_version"] = Json::Null;
            plan["format_version"] = Json::Null;
            plan
        };
        assert_eq!(
            strip(stored),
            strip(plan),
            "{name}: fixtures/terraform/plans is stale: run with CONTACTSCAN_UPDATE_PLANS=1"
        );
    }
}

#[test]
fn plans_alone_map_contacts_to_the_accounts_they_create() {
    for name in PLANNABLE {
        let plan = resolve(
            fixture("plans").join(format!("{name}.json")),
            Given::default(),
        );
        let hcl = resolve(fixture(name), Given::default());
        assert_eq!(values(&plan), values(&hcl), "{name}");
        for planned in &plan.contacts {
            let account = &contact(&hcl, &planned.address).account;
            // The plan's configuration knows an alias the rewrite for Terraform dropped.
            if !matches!(account, AccountRef::Provider(_)) {
                assert_eq!(&planned.account, account, "{name}: {}", planned.address);
            }
        }
    }
}

#[test]
fn a_plan_whose_contact_account_is_not_known_leaves_created_accounts_without_verdict() {
    let dir = TempDir::new().unwrap();
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_organizations_account.prod",
            "mode": "managed",
            "type": "aws_organizations_account",
            "name": "prod",
            "change": {"actions": ["create"], "after": {"name": "prod"}, "after_unknown": {"id": true}}
        }, {
            "address": "aws_account_alternate_contact.security",
            "mode": "managed",
            "type": "aws_account_alternate_contact",
            "name": "security",
            "change": {
                "actions": ["create"],
                "after": {"alternate_contact_type": "SECURITY", "name": "SOC", "title": "SOC",
                          "email_address": "soc@corp.com", "phone_number": "+1 206 266 1000"},
                "after_unknown": {"account_id": true}
            }
        }]
    });
    let path = dir.path().join("plan.json");
    fs::write(&path, plan.to_string()).unwrap();
    let (report, status) = scan_json(&[path.to_str().unwrap()]);
    assert_eq!(status, 3);
    let verdicts = verdicts(&report);
    // The contact may be the created account's: no FAIL for its registration, an ERROR.
    let (status, message) =
        &verdicts["security-contact-registered/aws_organizations_account.prod/SECURITY"];
    assert_eq!(status, "ERROR");
    assert!(
        message.contains("aws_account_alternate_contact.security is not known before apply"),
        "{message}"
    );
    assert!(verdicts.values().all(|(status, _)| status == "ERROR"));
}

#[test]
fn plans_resolve_as_their_configurations() {
    for name in PLANNABLE {
        let plan = fixture("plans").join(format!("{name}.json"));
        let from_plan = terraform::resolve(&Request {
            path: plan.clone(),
            dir: Some(fixture(name)),
            given: Given::default(),
        })
        .unwrap();
        let from_hcl = resolve(fixture(name), Given::default());
        assert_eq!(values(&from_plan), values(&from_hcl), "{name}");
        for planned in &from_plan.contacts {
            let hcl = contact(&from_hcl, &planned.address);
            assert_eq!(
                planned.declared_at, hcl.declared_at,
                "{name}: {}",
                planned.address
            );
            assert_eq!(planned.account, hcl.account, "{name}: {}", planned.address);
            let at = |c: &Contact| c.fields.clone().map(|f| f.at);
            assert_eq!(at(planned), at(hcl), "{name}: {}", planned.address);
        }
    }
}

#[test]
fn a_plan_alone_locates_values_in_the_plan() {
    let (report, status) = scan_json(&["fixtures/terraform/plans/after-apply.json"]);
    assert_eq!(status, 1);
    let verdicts = verdicts(&report);
    // The billing contact's literal address is known in the plan.
    let (status, message) = &verdicts["contact-email-placeholder-domain/123456789012/BILLING"];
    assert_eq!(status, "FAIL");
    assert!(
        message.contains("(at fixtures/terraform/plans/after-apply.json:"),
        "{message}"
    );
    // The security contact's address is known after apply only; its account id too, but the
    // plan's configuration says which account it is.
    let (status, message) =
        &verdicts["contact-email-valid/aws_organizations_account.payments/SECURITY"];
    assert_eq!(status, "ERROR");
    assert!(
        message.contains("email_address: the plan marks it known after apply"),
        "{message}"
    );
    assert_eq!(
        verdicts["contact-registered/aws_organizations_account.payments/BILLING"].0,
        "FAIL"
    );

    // With the configuration, accounts map to the ones it creates and values to the HCL.
    let (report, _) = scan_json(&[
        "fixtures/terraform/plans/after-apply.json",
        "--terraform-dir",
        "fixtures/terraform/after-apply",
    ]);
    let located = self::verdicts(&report);
    let (status, message) =
        &located["contact-email-valid/aws_organizations_account.payments/SECURITY"];
    assert_eq!(status, "ERROR");
    assert!(
        message.contains("(at fixtures/terraform/after-apply/main.tf:"),
        "{message}"
    );
    assert!(
        located["contact-email-placeholder-domain/123456789012/BILLING"]
            .1
            .contains("(at fixtures/terraform/after-apply/main.tf:")
    );
}

#[test]
fn json_tfvars_and_override_files_follow_terraform() {
    let dir = TempDir::new().unwrap();
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
    write(
        "main.tf",
        "variable \"email\" {}\nresource \"aws_account_alternate_contact\" \"s\" {\n  account_id = \"123456789012\"\n  alternate_contact_type = \"SECURITY\"\n  name = \"SOC\"\n  title = \"SOC\"\n  email_address = var.email\n  phone_number = \"+1 206 266 1000\"\n}\n",
    );
    write(
        "terraform.tfvars.json",
        "{\n  \"email\": \"soc@corp.com\"\n}\n",
    );
    write(
        "main_override.tf",
        "resource \"aws_account_alternate_contact\" \"s\" {\n  title = \"Security team\"\n}\n",
    );
    let resolved = resolve(dir.path().to_path_buf(), Given::default());
    let contact = contact(&resolved, "aws_account_alternate_contact.s");
    assert_eq!(
        contact.value(ContactField::EmailAddress),
        Some("soc@corp.com")
    );
    assert_eq!(contact.value(ContactField::Title), Some("Security team"));
    let email_at = contact.fields[ContactField::EmailAddress.index()]
        .at
        .clone()
        .unwrap();
    assert!(email_at.file.ends_with("terraform.tfvars.json"));
    assert_eq!((email_at.line, email_at.column), (2, Some(12)));
}

#[test]
fn the_docs_list_every_function_static_evaluation_follows() {
    let docs = fs::read_to_string("docs/terraform.md").unwrap();
    for function in terraform::supported_functions() {
        assert!(
            docs.contains(&format!("`{function}`")),
            "docs/terraform.md does not list {function}"
        );
    }
}

#[test]
fn files_that_are_not_plans_exit_2() {
    let dir = TempDir::new().unwrap();
    let cases = [
        ("main.tf", "resource \"x\" \"y\" {}\n", "not JSON"),
        (
            "state.json",
            r#"{"format_version": "1.0", "values": {}}"#,
            "this is a state",
        ),
        (
            "other.json",
            r#"{"Accounts": []}"#,
            "not a plan from `terraform show -json plan.out`",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let output = contactscan()
            .args(["scan", "--terraform"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}

#[test]
fn a_plan_without_account_id_names_its_provider_configuration() {
    let dir = TempDir::new().unwrap();
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_account_alternate_contact.ops",
            "mode": "managed",
            "type": "aws_account_alternate_contact",
            "name": "ops",
            "change": {
                "actions": ["create"],
                "after": {"account_id": null, "alternate_contact_type": "OPERATIONS",
                          "name": "Ops", "title": "Ops", "email_address": "ops@corp.com",
                          "phone_number": "+1 206 266 1001"},
                "after_unknown": {}
            }
        }, {
            "address": "aws_account_alternate_contact.gone",
            "mode": "managed",
            "type": "aws_account_alternate_contact",
            "name": "gone",
            "change": {"actions": ["delete"], "after": null, "after_unknown": {}}
        }],
        "configuration": {"root_module": {"resources": [{
            "address": "aws_account_alternate_contact.ops",
            "provider_config_key": "aws.ops"
        }]}}
    });
    let path = dir.path().join("plan.json");
    fs::write(&path, plan.to_string()).unwrap();
    let resolved = resolve(path, Given::default());
    assert_eq!(
        resolved.contacts.len(),
        1,
        "a deleted contact is not scanned"
    );
    assert_eq!(
        resolved.contacts[0].account,
        AccountRef::Provider("aws.ops".to_string())
    );
    // The plan is one line, as terraform writes it: the column says where.
    let at = resolved.contacts[0].fields[ContactField::EmailAddress.index()]
        .at
        .clone()
        .unwrap();
    assert_eq!(at.line, 1);
    let text = plan.to_string();
    let column = at.column.unwrap() as usize;
    assert!(text[column - 1..].starts_with("\"email_address\":\"ops@corp.com\""));
}
