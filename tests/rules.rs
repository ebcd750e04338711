//! The built-in rules test themselves: every `[[tests]]` case of every file in `rules/` runs
//! here, each rule has a passing and a failing case, and the README's rule and function tables
//! say what the code has. `contactscan rules test` runs a user's cases the same way.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use contactscan::engine::functions::functions;
use contactscan::engine::rule::Scope;
use contactscan::engine::rule_test::{self, Expect};
use contactscan::engine::RuleSet;
use contactscan::finding::Status;
use predicates::prelude::*;

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

/// The rows of the first Markdown table after `heading`, as cells.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} in README"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn every_built_in_case_passes_and_every_rule_has_a_pass_and_a_fail() {
    let mut set = RuleSet::load(None).unwrap();
    let results = rule_test::run(&mut set, |_| true);
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| {
            Some(format!(
                "{} / {}: {}",
                r.rule_id,
                r.case,
                r.failure.as_ref()?
            ))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    for rule in &set.rules {
        let expects: BTreeSet<String> = rule.tests.iter().map(|t| t.expect.to_string()).collect();
        assert!(
            expects.contains("PASS") && expects.contains("FAIL"),
            "{} needs a PASS and a FAIL case, has {expects:?}",
            rule.id
        );
    }
    // A case that passed really compared a verdict.
    assert!(results
        .iter()
        .any(|r| r.got == Expect::Verdict(Status::Fail)));
}

#[test]
fn the_built_in_rules_are_the_files_of_rules_dir() {
    let set = RuleSet::load(None).unwrap();
    let mut files: Vec<String> = std::fs::read_dir("rules")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension() == Some("toml".as_ref()))
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    files.sort();
    let origins: Vec<String> = set
        .rules
        .iter()
        .map(|r| r.origin.trim_start_matches("built-in rules/").to_string())
        .collect();
    assert_eq!(origins, files);
}

#[test]
fn the_readme_rule_table_lists_the_built_in_rules_in_order() {
    let set = RuleSet::load(None).unwrap();
    let rows = table_after(&readme(), "## Rules");
    let listed: Vec<(String, String, String)> = rows
        .iter()
        .map(|row| {
            (
                row[0].trim_matches('`').to_string(),
                row[1].clone(),
                row[2].clone(),
            )
        })
        .collect();
    let actual: Vec<(String, String, String)> = set
        .rules
        .iter()
        .map(|rule| {
            let types: Vec<&str> = rule.contact_types.iter().map(|t| t.as_str()).collect();
            let scope = match rule.scope {
                Scope::Contact if types.len() == 3 => "contact (all)".to_string(),
                scope => format!("{} ({})", scope.as_str(), types.join(", ")),
            };
            (rule.id.clone(), rule.severity.as_str().to_string(), scope)
        })
        .collect();
    assert_eq!(listed, actual);
}

#[test]
fn the_readme_function_table_is_what_rules_can_call() {
    let rows = table_after(&readme(), "## Writing rules");
    let listed: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row[0].trim_matches('`').to_string(), row[1].clone()))
        .collect();
    let actual: Vec<(String, String)> = functions()
        .map(|f| (f.signature(), f.help.to_string()))
        .collect();
    assert_eq!(listed, actual);
}

fn contactscan() -> Command {
    let mut command = Command::cargo_bin("contactscan").unwrap();
    command.env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

const USER_RULE: &str = r#"
id = "org-security-domain"
title = "SECURITY contact is at corp.example"
severity = "high"
scope = "contact"
contact_types = ["SECURITY"]
applies = "contact != null"
check = "email_domain(contact.email_address) == 'corp.example'"
evidence = "email_domain(contact.email_address)"

[[tests]]
name = "corp passes"
contact = { type = "SECURITY", email_address = "security@corp.example" }
expect = "PASS"
"#;

fn rules_test(dir: &Path) -> (Option<i32>, String, String) {
    let output = contactscan()
        .args(["rules", "test"])
        .arg(dir)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn rules_test_runs_a_users_cases_and_exits_1_naming_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("domain.toml");
    std::fs::write(&file, USER_RULE).unwrap();
    let (code, out, _) = rules_test(dir.path());
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("1 case of 1 rule: 1 passed, 0 failed"),
        "{out}"
    );

    let wrong = "\n[[tests]]\nname = \"other domain\"\ncontact = { type = \"SECURITY\", email_address = \"security@other.example\" }\nexpect = \"PASS\"\n\n[[tests]]\nname = \"evidence\"\ncontact = { type = \"SECURITY\", email_address = \"security@other.example\" }\nexpect = \"FAIL\"\nevidence_contains = \"corp\"\n";
    std::fs::write(&file, format!("{USER_RULE}{wrong}")).unwrap();
    let (code, out, _) = rules_test(dir.path());
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("FAIL org-security-domain")
            && out.contains("case \"other domain\": expected PASS, got FAIL: other.example"),
        "{out}"
    );
    assert!(
        out.contains(
            "case \"evidence\": expected evidence containing \"corp\", got \"other.example\""
        ),
        "{out}"
    );
    assert!(
        out.contains("3 cases of 1 rule: 1 passed, 2 failed"),
        "{out}"
    );
}

#[test]
fn a_bad_case_is_exit_2_naming_the_file_and_the_case() {
    for (case, expected) in [
        (
            "contact = { type = \"BILLING\" }\nexpect = \"PASS\"",
            "does not read BILLING",
        ),
        ("expect = \"MAYBE\"", "not PASS, FAIL, ERROR or NONE"),
        (
            "params = { nope = [] }\nexpect = \"PASS\"",
            "no parameter \"nope\"",
        ),
        (
            "contact = { type = \"SECURITY\", email = \"x\" }\nexpect = \"PASS\"",
            "unknown key `email`: did you mean `email_address`?",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{USER_RULE}\n[[tests]]\nname = \"bad\"\n{case}\n");
        std::fs::write(dir.path().join("domain.toml"), text).unwrap();
        let (code, _, err) = rules_test(dir.path());
        assert_eq!(code, Some(2), "{case}: {err}");
        assert!(
            err.contains("domain.toml") && err.contains(expected),
            "{case}: {err}"
        );
    }
    contactscan()
        .args(["rules", "test"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 failed"));
}
