//! Report formats on the demo organization: exact output (insta snapshots) and the invariants
//! their consumers rely on (GitHub code scanning, Security Hub, JUnit readers).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use contactscan::engine::RuleSet;
use contactscan::finding::Status;
use contactscan::policy;
use contactscan::report::{self, sarif, Format, Options};
use contactscan::scan::{AccountScope, Importer, Scan, ScanOptions};
use contactscan::source::snapshot;
use contactscan::waiver::Waiver;
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use serde_json::Value;

const FIXTURE: &str = "fixtures/demo-org.json";
const SCANNED_AT: &str = "2026-11-23T12:00:00Z";
const WAIVED_ID: &str = "security-contact-shared-inbox/555555555555/SECURITY";

fn finding_id(scan: &Scan, index: usize) -> String {
    scan.view(&scan.findings[index]).id()
}

/// The demo organization scanned with the built-in rules, from `path`, with one FAIL waived.
fn scan_from(path: &Path) -> Scan {
    let inventory = snapshot::read(path).unwrap();
    let rules = RuleSet::load(None).unwrap();
    let options = ScanOptions::for_snapshot(
        path,
        &inventory,
        "us-east-1".to_string(),
        SCANNED_AT.to_string(),
    );
    let mut scan = Scan::run(inventory, rules, options);
    let rule_globs = globset::GlobSetBuilder::new()
        .add(globset::Glob::new("security-contact-shared-inbox").unwrap())
        .build()
        .unwrap();
    let waivers = vec![Waiver {
        rules: vec!["security-contact-shared-inbox".to_string()],
        rule_globs,
        accounts: vec!["555555555555".to_string()],
        contact_types: None,
        reason: "Marco forwards to the SOC rota until security@ exists | TICKET-123".to_string(),
        owner: "platform-team@harborlight.com".to_string(),
        expires: "2027-03-31".to_string(),
        last_day: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
    }];
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let used = policy::apply_waivers(&mut scan, waivers, today);
    assert!(used.stale.is_empty() && used.expired.is_empty());
    let waived: Vec<String> = (0..scan.findings.len())
        .filter(|i| scan.findings[*i].status == Status::Waived)
        .map(|i| finding_id(&scan, i))
        .collect();
    assert_eq!(waived, [WAIVED_ID]);
    scan
}

fn demo() -> Scan {
    scan_from(Path::new(FIXTURE))
}

fn render(scan: &Scan, format: Format, options: &Options) -> String {
    let mut out = Vec::new();
    report::write(format, scan, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn count(scan: &Scan, statuses: &[Status]) -> usize {
    scan.findings
        .iter()
        .filter(|f| statuses.contains(&f.status))
        .count()
}

const REPORTED: [Status; 3] = [Status::Fail, Status::Error, Status::Waived];

#[test]
fn format_names_parse() {
    for name in [
        "table",
        "json",
        "asff",
        "sarif",
        "junit",
        "markdown",
        "ocsf",
        "ocsf-jsonl",
    ] {
        assert!(name.parse::<Format>().is_ok(), "{name}");
        assert!(Format::NAMES.contains(name));
    }
    let error = "xml".parse::<Format>().unwrap_err();
    assert!(error.contains("asff, sarif, junit, markdown"), "{error}");
}

#[test]
fn asff_snapshot() {
    insta::assert_snapshot!(render(&demo(), Format::Asff, &Options::default()));
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(render(&demo(), Format::Sarif, &Options::default()));
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(render(&demo(), Format::Junit, &Options::default()));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(render(&demo(), Format::Markdown, &Options::default()));
}

/// Every string in a JSON value, with its path.
fn strings<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((path, s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                strings(item, format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

fn asff(scan: &Scan, options: &Options) -> Vec<Value> {
    let text = render(scan, Format::Asff, options);
    serde_json::from_str::<Vec<Value>>(&text).unwrap()
}

#[test]
fn asff_findings_meet_security_hub_limits() {
    let scan = demo();
    let findings = asff(&scan, &Options::default());
    assert_eq!(findings.len(), count(&scan, &REPORTED));
    let mut ids = HashSet::new();
    for finding in &findings {
        let id = finding["Id"].as_str().unwrap();
        assert!(ids.insert(id.to_string()), "duplicate Id {id}");
        assert!(id.starts_with("contactscan/"));
        assert_eq!(finding["SchemaVersion"], "2018-10-08");
        assert_eq!(finding["AwsAccountId"], "111111111111");
        assert_eq!(
            finding["ProductArn"],
            "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
        );
        assert_eq!(finding["CreatedAt"], SCANNED_AT);
        assert_eq!(finding["UpdatedAt"], SCANNED_AT);
        assert_eq!(finding["RecordState"], "ACTIVE");
        assert!(finding.get("Workflow").is_none());
        assert!(finding["Title"].as_str().unwrap().chars().count() <= 256);
        assert!(finding["Description"].as_str().unwrap().chars().count() <= 1024);
        if let Some(text) = finding.pointer("/Remediation/Recommendation/Text") {
            assert!(text.as_str().unwrap().chars().count() <= 512);
        }
        for t in finding["Types"].as_array().unwrap() {
            assert!(t.as_str().unwrap().starts_with(
                "Software and Configuration Checks/Industry and Regulatory Standards"
            ));
        }
        let scanned = finding["ProductFields"]["contactscan/ScannedAccountId"]
            .as_str()
            .unwrap();
        assert_eq!(
            finding["Resources"][0]["Id"],
            format!("AWS::::Account:{scanned}")
        );
        assert_eq!(finding["Resources"][0]["Type"], "AwsAccount");
        let fields = finding["ProductFields"].as_object().unwrap();
        assert!(fields.len() <= 50);
        assert!(fields.iter().all(|(k, v)| k.len() <= 128 && v.is_string()));
        let mut texts = Vec::new();
        strings(finding, String::new(), &mut texts);
        for (path, text) in texts {
            assert!(!text.trim().is_empty(), "{id}: {path} is blank");
        }
        let expected = match finding["ProductFields"]["contactscan/Status"]
            .as_str()
            .unwrap()
        {
            "FAIL" => "FAILED",
            "ERROR" => "NOT_AVAILABLE",
            "WAIVED" => "WARNING",
            other => panic!("{id}: status {other} without --include-passed"),
        };
        assert_eq!(finding["Compliance"]["Status"], expected);
    }
    let waived = findings
        .iter()
        .find(|f| f["Id"] == format!("contactscan/{WAIVED_ID}"))
        .unwrap();
    assert_eq!(
        waived["ProductFields"]["contactscan/WaiverExpires"],
        "2027-03-31"
    );
    assert!(waived["ProductFields"]["contactscan/WaiverReason"]
        .as_str()
        .unwrap()
        .contains("TICKET-123"));
    let account_1 = findings
        .iter()
        .find(|f| f["Id"] == "contactscan/security-contact-registered/333333333333/SECURITY")
        .unwrap();
    let requirements = account_1["Compliance"]["RelatedRequirements"]
        .as_array()
        .unwrap();
    assert!(requirements.contains(&Value::from(
        "AWS Foundational Security Best Practices Account.1"
    )));
}

#[test]
fn asff_includes_passed_findings_only_when_asked() {
    let scan = demo();
    let options = Options {
        include_passed: true,
        ..Options::default()
    };
    let findings = asff(&scan, &options);
    assert_eq!(findings.len(), scan.findings.len());
    assert!(findings
        .iter()
        .any(|f| f["Compliance"]["Status"] == "PASSED"));
}

#[test]
fn ocsf_events_map_verdicts_as_the_ocsf_dictionary_defines() {
    let scan = demo();
    let array: Vec<Value> =
        serde_json::from_str(&render(&scan, Format::Ocsf, &Options::default())).unwrap();
    assert_eq!(array.len(), count(&scan, &REPORTED));
    let asff_ids: Vec<Value> = asff(&scan, &Options::default())
        .iter()
        .map(|f| f["Id"].clone())
        .collect();
    let uids: Vec<Value> = array
        .iter()
        .map(|e| e["finding_info"]["uid"].clone())
        .collect();
    assert_eq!(uids, asff_ids, "OCSF and ASFF name findings alike");
    for event in &array {
        assert_eq!(event["class_uid"], 2003);
        assert_eq!(event["type_uid"], 200301);
        assert_eq!(event["cloud"]["provider"], "AWS");
        let account = event["cloud"]["account"]["uid"].as_str().unwrap();
        assert_eq!(
            event["resources"][0]["uid"],
            format!("AWS::::Account:{account}")
        );
        assert!(event["finding_info"]["uid"]
            .as_str()
            .unwrap()
            .contains(account));
        assert!(event["time"].as_i64().unwrap() > 1_000_000_000_000);
        assert!(event["metadata"]["version"]
            .as_str()
            .unwrap()
            .starts_with("1."));
    }
    let by_uid = |uid: &str| {
        array
            .iter()
            .find(|e| e["finding_info"]["uid"] == uid)
            .unwrap_or_else(|| panic!("{uid}"))
    };
    let fail = by_uid("contactscan/security-contact-registered/333333333333/SECURITY");
    assert_eq!(
        (fail["severity_id"].clone(), fail["severity"].clone()),
        (Value::from(3), Value::from("Medium"))
    );
    assert_eq!(fail["compliance"]["status_id"], 3);
    assert!(fail["compliance"]["requirements"]
        .as_array()
        .unwrap()
        .contains(&Value::from(
            "AWS Foundational Security Best Practices Account.1"
        )));
    assert!(fail["remediation"]["desc"].is_string());
    let waived = by_uid(&format!("contactscan/{WAIVED_ID}"));
    assert_eq!(waived["compliance"]["status_id"], 2);
    assert!(waived["unmapped"]["waiver"]["reason"]
        .as_str()
        .unwrap()
        .contains("TICKET-123"));
    let error = array
        .iter()
        .find(|e| e["compliance"]["status_id"] == 0)
        .expect("the demo has an ERROR");
    assert_eq!(error["compliance"]["status"], "Unknown");
    assert!(error["compliance"]["status_detail"].is_string());

    let options = Options {
        include_passed: true,
        ..Options::default()
    };
    let lines = render(&scan, Format::OcsfJsonl, &options);
    let events: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), scan.findings.len());
    for pass in events.iter().filter(|e| e["compliance"]["status_id"] == 1) {
        assert!(pass.get("remediation").is_none(), "{pass}");
    }
}

#[test]
fn asff_imports_into_the_scanned_account_without_an_importer() {
    let mut scan = demo();
    scan.importer = Importer::EachAccount;
    for finding in asff(&scan, &Options::default()) {
        let scanned = finding["ProductFields"]["contactscan/ScannedAccountId"].clone();
        assert_eq!(finding["AwsAccountId"], scanned);
        assert!(finding["ProductArn"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":product/{}/default", scanned.as_str().unwrap())));
    }
}

#[test]
fn asff_cuts_long_texts_on_char_boundaries() {
    let mut scan = demo();
    for rule in &mut scan.rules {
        rule.title = "é".repeat(300);
        rule.rationale = String::new();
    }
    for finding in asff(&scan, &Options::default()) {
        let title = finding["Title"].as_str().unwrap();
        assert_eq!(title.chars().count(), 256);
        assert!(title.ends_with('…'));
    }
}

fn sarif_log(scan: &Scan, options: &Options) -> Value {
    serde_json::from_str(&render(scan, Format::Sarif, options)).unwrap()
}

#[test]
fn sarif_results_have_one_relative_location_and_distinct_fingerprints() {
    let scan = demo();
    let log = sarif_log(&scan, &Options::default());
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), scan.rules.len());
    for rule in rules {
        assert!(rule["properties"]["security-severity"].is_string());
        assert_eq!(rule["properties"]["tags"][0], "security");
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(rule["fullDescription"]["text"].is_string());
        assert!(rule["help"]["markdown"].is_string());
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), count(&scan, &REPORTED));
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    // The line of each account's `"Id"` entry, found the plain way.
    let lines: HashMap<String, usize> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let id = line.trim().strip_prefix("\"Id\": \"")?.get(..12)?;
            Some((id.to_string(), i + 1))
        })
        .collect();
    let mut fingerprints = HashSet::new();
    for result in results {
        let locations = result["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(uri, FIXTURE);
        let account = locations[0]["logicalLocations"][0]["name"]
            .as_str()
            .unwrap();
        assert_eq!(
            physical["region"]["startLine"].as_u64().unwrap() as usize,
            lines[account]
        );
        assert!(result["message"]["text"]
            .as_str()
            .unwrap()
            .contains(account));
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "{fingerprint}"
        );
    }
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");
    assert_eq!(suppressed[0]["suppressions"][0]["status"], "accepted");
}

#[test]
fn sarif_anchors_outside_snapshots_on_a_relative_file() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("org.json");
    std::fs::copy(FIXTURE, &outside).unwrap();
    let scan = scan_from(&outside);
    let uris = |options: &Options| -> HashSet<(String, u64)> {
        sarif_log(&scan, options)["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let physical = &r["locations"][0]["physicalLocation"];
                (
                    physical["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    physical["region"]["startLine"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let one = |uri: &str| HashSet::from([(uri.to_string(), 1)]);
    let cwd = std::env::current_dir().unwrap();
    let anchored = Options {
        sarif_anchor: Some(cwd.join(".github/contactscan anchor.txt")),
        config_path: Some(PathBuf::from("ci/contactscan.toml")),
        ..Options::default()
    };
    assert_eq!(uris(&anchored), one(".github/contactscan%20anchor.txt"));
    let configured = Options {
        sarif_anchor: Some(dir.path().join("not-under-cwd.txt")),
        config_path: Some(PathBuf::from("./ci/contactscan.toml")),
        ..Options::default()
    };
    assert_eq!(uris(&configured), one("ci/contactscan.toml"));
    assert_eq!(uris(&Options::default()), one("contactscan.toml"));
}

#[test]
fn sarif_keeps_the_most_severe_results_within_the_limit() {
    let scan = demo();
    let mut out = Vec::new();
    sarif::write_limited(&scan, &Options::default(), 3, &mut out).unwrap();
    let log: Value = serde_json::from_slice(&out).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let kept: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    // The demo has one HIGH FAIL (placeholder domain) and MEDIUM FAILs after it.
    assert!(
        kept.contains(&"contact-email-placeholder-domain"),
        "{kept:?}"
    );
    let severities: Vec<String> = results
        .iter()
        .map(|r| {
            let rule = &log["runs"][0]["tool"]["driver"]["rules"]
                [r["ruleIndex"].as_u64().unwrap() as usize];
            rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        severities.iter().all(|s| s == "8.0" || s == "5.5"),
        "{severities:?}"
    );
    assert!(results.iter().all(|r| r.get("suppressions").is_none()));
}

#[test]
fn junit_has_one_suite_per_rule_and_unique_cases() {
    let scan = demo();
    let xml = render(&scan, Format::Junit, &Options::default());
    let root = xml.lines().nth(1).unwrap();
    assert!(
        root.starts_with("<testsuites ") && !root.contains("skipped="),
        "{root}"
    );
    let report = Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(report.test_suites.len(), scan.rules.len());
    assert_eq!(report.tests, scan.findings.len());
    let mut seen = HashSet::new();
    for (suite, rule) in report.test_suites.iter().zip(&scan.rules) {
        assert_eq!(suite.name.as_str(), rule.id);
        for case in &suite.test_cases {
            let classname = case.classname.as_ref().unwrap().as_str();
            assert_eq!(classname, rule.id);
            assert!(
                seen.insert((classname.to_string(), case.name.to_string())),
                "duplicate {classname} {}",
                case.name.as_str()
            );
            match &case.status {
                TestCaseStatus::NonSuccess {
                    kind,
                    description,
                    ty,
                    ..
                } => {
                    let text = description.as_ref().unwrap();
                    assert!(!text.trim().is_empty());
                    if *kind == NonSuccessKind::Failure {
                        assert!(text.contains("How to fix: "), "{}", text.as_str());
                        assert_eq!(ty.as_ref().unwrap().as_str(), rule.severity.label());
                    }
                }
                TestCaseStatus::Skipped { message, .. } => {
                    assert!(message.as_ref().unwrap().contains("TICKET-123"));
                }
                TestCaseStatus::Success { .. } => {}
            }
        }
        let compliance: usize = rule.compliance.values().map(Vec::len).sum();
        assert_eq!(suite.properties.len(), compliance + 2);
    }
    assert_eq!(seen.len(), scan.findings.len());
}

/// Every email and phone number of the fixture (phones with 7 or more digits).
fn fixture_addresses() -> Vec<String> {
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let mut texts = Vec::new();
    strings(&snapshot, String::new(), &mut texts);
    let mut addresses: Vec<String> = texts
        .into_iter()
        .filter(|(path, text)| {
            let digits = text.chars().filter(char::is_ascii_digit).count();
            path.ends_with(".EmailAddress")
                || path.ends_with(".Email")
                || (path.ends_with(".PhoneNumber") && digits >= 7)
        })
        .map(|(_, text)| text.to_string())
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

#[test]
fn redact_hides_every_fixture_address_in_every_format() {
    let scan = demo();
    let addresses = fixture_addresses();
    assert!(addresses.len() > 20);
    let formats = [
        Format::Table,
        Format::Json,
        Format::Asff,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
    ];
    let plain = render(&scan, Format::Json, &Options::default());
    assert!(plain.contains("security@yourcompany.com") && plain.contains("+1 206 555 0100"));
    let options = Options {
        redact: true,
        include_passed: true,
        ..Options::default()
    };
    for format in formats {
        let text = render(&scan, format, &options);
        for address in &addresses {
            assert!(
                !text.contains(address.as_str()),
                "{format:?} shows {address}"
            );
        }
        let masked = if format == Format::Markdown {
            "s\\*\\*\\*\\*\\*\\*y&#64;yourcompany.com"
        } else {
            "s******y@yourcompany.com"
        };
        assert!(text.contains(masked), "{format:?} lost the domain");
    }
    let table = render(&scan, Format::Table, &options);
    assert!(table.contains("+* *** *** **00"), "{table}");
    assert!(
        table.contains("444444444444 sandbox-marketing"),
        "account ids stay visible"
    );
}

/// An organization of `n` accounts, none with a SECURITY contact.
fn without_security_contacts(n: usize) -> Scan {
    let accounts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"Id": "{:012}", "Name": "acct-{i}", "AlternateContacts": []}}"#,
                100_000_000_000u64 + i as u64
            )
        })
        .collect();
    let text = format!(
        r#"{{"SchemaVersion": "contactscan/snapshot/v1", "Accounts": [{}]}}"#,
        accounts.join(",\n")
    );
    let mut inventory = snapshot::parse("generated.json", text.as_bytes()).unwrap();
    // As a live read gives it: no file to point at.
    for account in &mut inventory.accounts {
        account.location = None;
    }
    let mut rules = RuleSet::load(None).unwrap();
    rules
        .select(&["security-contact-registered".to_string()], &[])
        .unwrap();
    let options = ScanOptions {
        source: "aws:organization:o-generated".to_string(),
        scanned_at: SCANNED_AT.to_string(),
        region: "us-east-1".to_string(),
        importer: Importer::EachAccount,
        accounts: AccountScope::of_inventory(&inventory),
    };
    Scan::run(inventory, rules, options)
}

#[test]
fn markdown_collapses_rows_past_fifty() {
    let scan = without_security_contacts(60);
    let text = render(&scan, Format::Markdown, &Options::default());
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| 1000000000"))
        .collect();
    assert_eq!(rows.len(), 60);
    let details = text.find("<details><summary>10 more</summary>").unwrap();
    assert_eq!(text[..details].matches("| 1000000000").count(), 50);
    assert!(text.trim_end().ends_with("</details>"));
}

#[test]
fn sarif_without_a_snapshot_anchors_on_the_config_file_default() {
    let scan = without_security_contacts(3);
    let log = sarif_log(&scan, &Options::default());
    for result in log["runs"][0]["results"].as_array().unwrap() {
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "contactscan.toml");
        assert_eq!(physical["region"]["startLine"], 1);
    }
}
