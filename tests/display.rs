//! What people see: the table's layout at a given width, ERROR grouping, filters that leave the
//! exit status alone, statistics, quiet and verbose, colour, completions, the man page, and where
//! the config is found.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

const DEMO: &str = "fixtures/demo-org.json";

fn contactscan() -> Command {
    let mut cmd = Command::cargo_bin("contactscan").expect("binary");
    cmd.env("SOURCE_DATE_EPOCH", "1795435200")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let output = cmd.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn table(columns: &str, extra: &[&str]) -> (i32, String) {
    let (code, out, _) = run(contactscan()
        .env("COLUMNS", columns)
        .args(["scan", "--input", DEMO])
        .args(extra));
    (code, out)
}

#[test]
fn the_table_fits_the_width_and_names_each_account_once() {
    for columns in ["120", "100", "60"] {
        let width: usize = columns.parse().unwrap();
        let (_, out) = table(columns, &[]);
        for line in out.lines() {
            // A line runs over only when it is one word that cannot be broken.
            assert!(
                line.chars().count() <= width || !line.trim().contains(' '),
                "{columns} columns: {line:?}"
            );
        }
        // Each account id stands in its group's header only, not in the messages (the fix
        // commands under FAIL findings name it, as `--account-id`).
        let naming: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("444444444444") && !l.contains("alternate-contact"))
            .collect();
        assert_eq!(naming, ["444444444444 sandbox-marketing"], "{out}");
        // Commands wrap between words and still paste as one.
        assert!(
            out.contains("--alternate-contact-type \\\n")
                || out.lines().any(|l| l.ends_with(" \\")),
            "{out}"
        );
        // Addresses are never split.
        assert!(out.contains("security@yourcompany.com"), "{out}");
    }
    let (_, wide) = table("120", &[]);
    assert!(wide.contains(
        "  HIGH     contact-email-placeholder-domain   SECURITY   SECURITY contact email"
    ));
    let (_, narrow) = table("60", &[]);
    assert!(narrow.contains(
        "  HIGH     contact-email-placeholder-domain SECURITY\n    SECURITY contact email"
    ));
}

#[test]
fn errors_with_one_cause_are_one_line_naming_the_accounts() {
    let text = fs::read_to_string(DEMO).unwrap();
    let mut snapshot: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Seven accounts the scanning identity may not read, as in a real denial.
    for account in snapshot["Accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .take(7)
    {
        account["AlternateContacts"] = serde_json::json!([]);
        account["Errors"] = serde_json::json!([
            {"AlternateContactType": "SECURITY", "Code": "AccessDeniedException", "Message": "not authorized"},
            {"AlternateContactType": "BILLING", "Code": "AccessDeniedException", "Message": "not authorized"},
            {"AlternateContactType": "OPERATIONS", "Code": "AccessDeniedException", "Message": "not authorized"}
        ]);
    }
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("denied.json");
    fs::write(&path, snapshot.to_string()).unwrap();
    let (code, out, _) = run(contactscan()
        .env("COLUMNS", "400")
        .args(["scan", "--input"])
        .arg(&path));
    assert_eq!(code, 1, "{out}");
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("ERROR"))
        .collect();
    // One line per cause (one per contact type), not one per finding.
    assert!(errors.len() <= 4, "{errors:#?}");
    let security = errors
        .iter()
        .find(|l| l.contains("the SECURITY contact could not be read"))
        .expect("the SECURITY cause");
    assert!(security.contains("on 7 accounts"), "{security}");
    for account in snapshot["Accounts"].as_array().unwrap().iter().take(7) {
        let id = account["Id"].as_str().unwrap();
        if account["State"].as_str().unwrap_or("ACTIVE") == "ACTIVE" {
            assert!(security.contains(id), "{id} missing from {security}");
        }
    }
}

#[test]
fn filters_change_what_is_shown_not_the_exit_status() {
    let (all_code, all) = table("200", &[]);
    assert!(all.contains("contact-registered "));
    let (code, high) = table("200", &["--min-severity", "high"]);
    assert_eq!(code, all_code);
    assert!(high.contains("contact-email-placeholder-domain"));
    assert!(!high.contains("contact-registered "), "{high}");
    let (code, errors) = table("200", &["--status", "error"]);
    assert_eq!(code, all_code);
    assert!(
        errors.contains("No verdict (ERROR)") && !errors.contains("  MEDIUM "),
        "{errors}"
    );
    let (_, out, _) = run(contactscan().args([
        "scan",
        "--input",
        DEMO,
        "--format",
        "sarif",
        "--min-severity",
        "high",
    ]));
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    // The one high rule of the pack.
    assert!(
        results
            .iter()
            .all(|r| r["ruleId"] == "contact-email-placeholder-domain"),
        "{results:#?}"
    );
    let (_, out, _) = run(contactscan().args(["scan", "--input", DEMO, "--status", "bogus"]));
    assert!(out.is_empty());
}

#[test]
fn statistics_count_each_status_per_rule() {
    let (code, out) = table("200", &["--statistics"]);
    assert_eq!(code, 1);
    let row = out
        .lines()
        .find(|l| l.starts_with("security-contact-registered "))
        .expect("a row per rule");
    let numbers: Vec<&str> = row.split_whitespace().skip(2).collect();
    assert_eq!(numbers, ["1", "0", "0", "12"], "{row}");
    assert!(out.lines().last().unwrap().contains("17 failed"));
}

#[test]
fn quiet_verbose_and_colour() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("contactscan.toml"),
        "[[waivers]]\nrules = [\"contact-registered\"]\naccounts = [\"*\"]\nreason = \"r\"\nowner = \"o\"\nexpires = 2020-01-01\n",
    )
    .unwrap();
    let demo = fs::canonicalize(DEMO).unwrap();
    let (_, _, stderr) = run(contactscan()
        .current_dir(dir.path())
        .args(["scan", "--input"])
        .arg(&demo));
    assert!(stderr.contains("expired"), "{stderr}");
    let (_, _, stderr) = run(contactscan()
        .current_dir(dir.path())
        .args(["scan", "-q", "--input"])
        .arg(&demo));
    assert!(stderr.is_empty(), "-q: {stderr}");
    let (_, _, stderr) = run(contactscan()
        .current_dir(dir.path())
        .args(["scan", "-v", "--input"])
        .arg(&demo));
    assert!(stderr.contains("config: contactscan.toml"), "{stderr}");
    let (_, colored, _) = run(contactscan().args(["scan", "--color", "always", "--input", DEMO]));
    assert!(colored.contains("\u{1b}["));
    let (_, plain, _) = run(contactscan().args(["scan", "--color", "never", "--input", DEMO]));
    assert!(!plain.contains("\u{1b}["));
    let (_, forced, _) = run(contactscan()
        .env("CLICOLOR_FORCE", "1")
        .args(["scan", "--input", DEMO]));
    assert!(forced.contains("\u{1b}["));
}

#[test]
fn the_config_is_found_from_the_working_directory_up_to_the_repository_root() {
    let repo = TempDir::new().unwrap();
    fs::create_dir(repo.path().join(".git")).unwrap();
    let deep = repo.path().join("infra/accounts");
    fs::create_dir_all(&deep).unwrap();
    fs::write(
        repo.path().join("contactscan.toml"),
        "[rules.contact-registered]\nenabled = false\n",
    )
    .unwrap();
    let demo = fs::canonicalize(DEMO).unwrap();
    let rules_in = |dir: &Path| {
        let (_, out, stderr) = run(contactscan()
            .current_dir(dir)
            .args(["scan", "-v", "--format", "json", "--input"])
            .arg(&demo));
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let ran = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "contact-registered");
        (ran, stderr)
    };
    let (ran, stderr) = rules_in(&deep);
    assert!(!ran, "the repository's config turned the rule off");
    assert!(
        stderr.contains(&format!(
            "config: {}",
            repo.path().join("contactscan.toml").display()
        )),
        "{stderr}"
    );
    // Outside the repository, the config above it is not used.
    let outside = TempDir::new().unwrap();
    let (ran, stderr) = rules_in(outside.path());
    assert!(ran, "{stderr}");
}

#[test]
fn completions_and_the_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, _) = run(contactscan().args(["completions", shell]));
        assert_eq!(code, 0);
        assert!(
            out.contains("min-severity") && out.contains("contactscan"),
            "{shell}"
        );
    }
    let (code, out, _) = run(contactscan().arg("man"));
    assert_eq!(code, 0);
    assert!(out.starts_with(".ie") || out.contains(".TH"), "{out}");
    assert!(out.contains("contactscan"));
}
